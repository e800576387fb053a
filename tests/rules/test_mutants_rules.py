"""The nodes' own fidelity bookkeeping against closed forms, for inputs of unequal fidelity
(equal inputs hide which input an estimate was computed from)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pytest

from qrna.hardware import EPPS, QNIC, Fibre, Node, NodeType
from qrna.kernel import s_to_ps
from qrna.link import LinkSpec, LinkType, PairName
from qrna.physics import BellDiagonal, swap
from qrna.rules import (
    ChainSimulation,
    Deliver,
    EnoughResources,
    PairDelivered,
    PurificationResult,
    Purify,
    Rule,
    RuleEngine,
    RuleSet,
    RuleSetError,
    Send,
    Stage,
    Swap,
    SwapResult,
    chain_rulesets,
)
from qrna.rules._effects import werner_swap_fidelity
from qrna.rules._verify import _SymbolicHardware as _Hardware  # always succeeds, reads 0
from tests.rules.test_meas_ends import _comp_rep_meas, _measuring


def _bbpssw_werner(f1: float, f2: float) -> float:
    """BBPSSW on Werner pairs of fidelities f1, f2 (Bennett et al. 1996), kept pair's F."""
    e1, e2 = (1 - f1) / 3, (1 - f2) / 3
    num = f1 * f2 + e1 * e2
    den = f1 * f2 + f1 * e2 + e1 * f2 + 5 * e1 * e2
    return num / den


@pytest.mark.parametrize(("fa", "fb"), [(0.9, 0.8), (0.6, 0.95), (0.5, 0.3)])
def test_werner_swap_estimate_is_the_two_pair_closed_form(fa: float, fb: float) -> None:
    """Swapping Werner pairs of fidelities fa, fb gives F = fa·fb + (1−fa)(1−fb)/3: both pairs
    right (fa·fb) or both wrong by the same Pauli error (3 ways, each (1−fa)/3·(1−fb)/3)."""
    expected = fa * fb + (1 - fa) * (1 - fb) / 3
    assert werner_swap_fidelity(fa, fb) == pytest.approx(expected, abs=1e-15)
    exact = swap(BellDiagonal.werner(fa), BellDiagonal.werner(fb)).fidelity
    assert werner_swap_fidelity(fa, fb) == pytest.approx(exact, abs=1e-12)


def test_the_swapping_engine_sends_the_closed_form_estimate_to_both_ends() -> None:
    """Node b swaps its pair with a (estimate 0.9) and its pair with c (estimate 0.8): both
    SwapResults carry 0.9·0.8 + 0.1·0.2/3 = 0.72666…, not 0.72 (the product alone)."""
    engine = RuleEngine("b", _Hardware())  # type: ignore[arg-type]
    rule = Rule("swap", (EnoughResources("a"), EnoughResources("c")), Swap("a", "c"))
    engine.install(RuleSet("c1", "b", (Stage((rule,)),)))
    assert engine.assign("c1", PairName("ab", 10), ("b/q0", 0), "a", 10, fidelity=0.9) == []
    effects = engine.assign("c1", PairName("bc", 20), ("b/q1", 0), "c", 20, fidelity=0.8)
    results = {e.dst: e.message for e in effects if isinstance(e, Send)}
    assert set(results) == {"a", "c"}
    for message in results.values():
        assert isinstance(message, SwapResult)
        assert message.fidelity == pytest.approx(0.72 + 0.1 * 0.2 / 3, abs=1e-12)


def _purify_then_deliver(floor: float) -> list[PairDelivered]:
    """Node a (which sorts first, so leads) purifies two pairs with b, estimates 0.9 (older,
    kept) and 0.75, then delivers the kept pair only if its estimate is at least ``floor``."""
    engine = RuleEngine("a", _Hardware())  # type: ignore[arg-type]
    purify = Rule("purify", (EnoughResources("b", 2),), Purify("b", "bbpssw"))
    deliver = Rule("deliver", (EnoughResources("b", 1, min_fidelity=floor),), Deliver("b"))
    engine.install(RuleSet("c1", "a", (Stage((purify,)), Stage((deliver,)))))
    names = (PairName("ab", 10), PairName("ab", 20))
    engine.assign("c1", names[0], ("a/q", 0), "b", 10, fidelity=0.9)
    effects = engine.assign("c1", names[1], ("a/q", 1), "b", 20, fidelity=0.75)
    sent = [e.message for e in effects if isinstance(e, Send)]
    assert len(sent) == 1
    first = sent[0]
    assert isinstance(first, PurificationResult)
    assert first.names == names
    answer = PurificationResult("c1", names, "bbpssw", first.bits, first=False)
    out = engine.on_message("b", answer, 30)
    return [e for e in out if isinstance(e, PairDelivered)]


def test_the_kept_pairs_estimate_is_the_closed_form_of_both_inputs() -> None:
    """BBPSSW on Werner pairs of estimates 0.9 and 0.75 keeps F' = (F1F2 + e1e2)/(F1F2 + F1e2
    + e1F2 + 5e1e2), e = (1−F)/3: 0.8592…. The kept pair passes a min_fidelity just below F'
    and fails one just above it (an estimate from 0.9 alone, 0.9263…, would pass both)."""
    kept = _bbpssw_werner(0.9, 0.75)
    assert kept == pytest.approx(0.859155, abs=1e-6)
    assert _bbpssw_werner(0.9, 0.9) > kept + 0.01  # the two-input dependence is visible
    delivered = _purify_then_deliver(kept - 1e-9)
    assert [d.name for d in delivered] == [PairName("ab", 10)]
    assert _purify_then_deliver(kept + 1e-9) == []


def test_a_chain_link_end_refuses_to_measure_for_link_monitoring() -> None:
    """A chain's link endpoints do no link monitoring: a measurement asked of them is a bug,
    and says so."""
    from qrna.rules._chain_sim import _NoMeasure

    with pytest.raises(RuleSetError, match=r"^link monitoring is off on chain links$"):
        _NoMeasure().measure(("n0", 0), "Z")  # type: ignore[arg-type]


def test_releasing_a_half_the_teardown_freed_already_frees_nothing() -> None:
    """An application may release a held half after its connection was torn down and the
    half freed: the ledger knows it no longer and frees nothing a second time."""
    from qrna.rules._delivery import DeliveryLedger

    freed: list[object] = []
    ledger = DeliveryLedger(None, freed.append)  # type: ignore[arg-type]
    ledger.release(("b", 0))  # type: ignore[arg-type]
    assert freed == []


def _meas_meas() -> list[LinkSpec]:
    """alice (MEAS, Z) -MSM 5 km- bob (MEAS, Z): both ends measure each photon on arrival."""
    alice = Node("alice", NodeType.MEAS, measurement_basis="Z")
    bob = Node("bob", NodeType.MEAS, measurement_basis="Z")
    middle = Node("s", NodeType.EPPS, epps=EPPS())
    return [LinkSpec(alice, bob, LinkType.MSM, Fibre(5.0), middle=middle)]


def _comp_meas() -> list[LinkSpec]:
    """alice (memories) -MM 5 km- bob (MEAS, Z): alice stores her half, bob measures his."""
    alice = Node("alice", NodeType.COMP, (QNIC(4),))
    bob = Node("bob", NodeType.MEAS, measurement_basis="Z")
    return [LinkSpec(alice, bob, LinkType.MM, Fibre(5.0))]


@pytest.mark.parametrize(("specs", "duration_s"), [(_meas_meas, 1e-4), (_comp_meas, 2e-3)])
def test_a_link_pair_counts_once_whatever_its_ends_hold(
    specs: Callable[[], list[LinkSpec]], duration_s: float
) -> None:
    """One link, no swap, each pair delivered as soon as both ends have it: a record at each
    end (two MEAS ends), or a stored half and a record (memories and a MEAS end). Every link
    pair is one delivered pair, so the chain counts as many link pairs as pairs delivered:
    each pair once, not once per end."""
    result = ChainSimulation(specs(), chain_rulesets("c", ["alice", "bob"]), seed=3).run(duration_s)
    assert result.pairs > 100
    assert result.link_pairs == result.pairs


@pytest.mark.parametrize("duration_s", [0.0, -1.0, math.inf, -math.inf, math.nan])
def test_a_chain_runs_only_for_a_finite_positive_duration(duration_s: float) -> None:
    sim = ChainSimulation(_meas_meas(), chain_rulesets("c", ["alice", "bob"]), seed=3)
    with pytest.raises(RuleSetError) as caught:
        sim.run(duration_s)
    assert str(caught.value) == (
        f"duration_s={duration_s!r} is invalid; expected a finite value > 0"
    )


def test_message_jitter_adds_up_to_its_fraction_of_the_latency() -> None:
    """jitter 0.5 on a 5 km channel (latency L = 24.04 µs): each message takes L(1 + 0.5u),
    u uniform on [0, 1), so within [L, 1.5 L] and 1.25 L on average, within 4 standard
    errors (0.5 L / √12 / √2000) over 2000 messages."""
    sim = ChainSimulation(_meas_meas(), chain_rulesets("c", ["alice", "bob"]), seed=3, jitter=0.5)
    latency = 5e3 / 2.08e8  # the fibre's length over its light speed
    delays = [sim._delay_ps("alice", "bob") for _ in range(2000)]
    assert s_to_ps(latency) - 1 <= min(delays)  # 1 ps: rounding
    assert max(delays) <= s_to_ps(1.5 * latency) + 1
    mean = sum(delays) / len(delays)
    assert abs(mean - s_to_ps(1.25 * latency)) <= 4 * s_to_ps(0.5 * latency) / math.sqrt(12 * 2000)


def test_a_chain_run_reports_the_wall_time_it_took() -> None:
    """``wall_s``: the run's own wall-clock time, at least 0 and at most the time around it."""
    sim = ChainSimulation(_meas_meas(), chain_rulesets("c", ["alice", "bob"]), seed=3)
    before = time.perf_counter()
    result = sim.run(1e-5)
    around = time.perf_counter() - before
    assert 0.0 <= result.wall_s <= around


def test_a_second_run_reports_only_what_it_delivered() -> None:
    """Two runs of 0.1 ms one after the other: each reports the pairs delivered during it,
    none twice, the second's all delivered after the first ended."""
    sim = ChainSimulation(_meas_meas(), chain_rulesets("c", ["alice", "bob"]), seed=3)
    first, second = sim.run(1e-4), sim.run(1e-4)
    assert first.pairs > 100
    assert second.pairs > 100
    assert not {d.name for d in first.delivered} & {d.name for d in second.delivered}
    assert max(d.delivered_ps for d in first.delivered) <= s_to_ps(1e-4)
    assert min(d.delivered_ps for d in second.delivered) > s_to_ps(1e-4)


def _stranded_chain() -> ChainSimulation:
    """n0 -MIM- n1 -MIM- n2 whose n2 never emits: n1 holds each n0 pair until its discard
    timer (0.1 ms) frees it, so every link pair but the last is discarded."""
    q = QNIC(1)
    n0, n1 = Node("n0", NodeType.COMP, (q,)), Node("n1", NodeType.REP1, (q, q))
    n2 = Node("n2", NodeType.COMP, (QNIC(1, emission_efficiency=0.0),))
    specs = [
        LinkSpec(n0, n1, LinkType.MIM, Fibre(5.0)),
        LinkSpec(n1, n2, LinkType.MIM, Fibre(5.0), qnic_a=1),
    ]
    return ChainSimulation(specs, chain_rulesets("c", ["n0", "n1", "n2"], discard_after_s=1e-4))


def test_two_runs_in_a_row_split_the_counts_of_one_run_as_long_as_both() -> None:
    """A simulation run twice reports each run's own counts: with the same seed they add up
    to those of one run of the total length, exactly (the events, the link pairs, the
    measurement records of MEAS ends, and the pairs discarded), and each run has some."""
    sim = ChainSimulation(_comp_rep_meas("Z"), _measuring("Z"), seed=11)
    first, second = sim.run(1e-3), sim.run(1e-3)
    whole = ChainSimulation(_comp_rep_meas("Z"), _measuring("Z"), seed=11).run(2e-3)
    for result in (first, second):
        assert result.events > 100
        assert result.link_pairs > 50
        assert len(result.measurements) > 50
    assert first.events + second.events == whole.events
    assert first.link_pairs + second.link_pairs == whole.link_pairs
    assert len(first.measurements) + len(second.measurements) == len(whole.measurements)
    assert first.measurements + second.measurements == whole.measurements
    stranded = _stranded_chain()
    early, late = stranded.run(5e-3), stranded.run(5e-3)
    total = _stranded_chain().run(1e-2)
    assert early.discarded > 20
    assert late.discarded > 20
    assert early.discarded + late.discarded == total.discarded == total.link_pairs - 1


def test_a_meas_node_cannot_swap_and_the_error_names_the_rule_and_the_node() -> None:
    rulesets = dict(chain_rulesets("c", ["alice", "bob"]))
    swap_rule = Rule(
        "swap", (EnoughResources("bob"), EnoughResources("carol")), Swap("bob", "carol")
    )
    rulesets["alice"] = RuleSet("c", "alice", (Stage((swap_rule,)),))
    with pytest.raises(RuleSetError) as caught:
        ChainSimulation(_meas_meas(), rulesets)
    assert str(caught.value) == (
        "rule 'swap' of 'alice': 'alice' is a MEAS node and holds only records; it cannot Swap"
    )


def test_a_chain_without_seed_or_jitter_is_seed_0_with_exact_latencies() -> None:
    """Unset, the seed is 0 (the same run as seed=0, not seed=1's) and messages take exactly
    the channel latency, 5 km / 2.08e8 m/s = 24 038 462 ps, every time."""
    rulesets = chain_rulesets("c", ["alice", "bob"])
    plain = ChainSimulation(_meas_meas(), rulesets)
    assert {plain._delay_ps("alice", "bob") for _ in range(100)} == {24_038_462}
    unset = plain.run(2e-5)
    zero = ChainSimulation(_meas_meas(), rulesets, seed=0).run(2e-5)
    one = ChainSimulation(_meas_meas(), rulesets, seed=1).run(2e-5)
    assert (unset.events, unset.link_pairs) == (zero.events, zero.link_pairs)
    assert unset.events != one.events
