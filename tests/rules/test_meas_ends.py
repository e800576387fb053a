"""MEAS end nodes in the rule engine: a node without memories measures each photon on arrival
and takes part in a connection with the record, corrected by the swaps' Pauli frames.

The frame a swap sends is uniform over I, X, Y, Z, so an uncorrected record would disagree
with the far end half of the time in every basis; corrected, an ideal chain gives Φ+ records:
equal in Z and X, opposite in Y, every time.
"""

from __future__ import annotations

import math

import pytest

from qrna.hardware import EPPS, QNIC, Fibre, Node, NodeType
from qrna.link import LinkSpec, LinkType, PairName, herald_model
from qrna.physics import GateNoise, swap
from qrna.rules import (
    ChainSimulation,
    Deliver,
    EnoughResources,
    Measure,
    Rule,
    RuleEngine,
    RuleSet,
    RuleSetError,
    Stage,
    SwapResult,
    chain_rulesets,
)


def _comp_rep_meas(basis: str, emission_fidelity: float = 1.0) -> list[LinkSpec]:
    """alice (memories) -MIM- rep -MM- bob (MEAS, measures in ``basis``)."""
    qnic = QNIC(4, emission_fidelity=emission_fidelity)
    alice = Node("alice", NodeType.COMP, (qnic,))
    rep = Node("rep", NodeType.REP1, (qnic, qnic))
    bob = Node("bob", NodeType.MEAS, measurement_basis=basis)
    return [
        LinkSpec(alice, rep, LinkType.MIM, Fibre(5.0), qnic_b=0),
        LinkSpec(rep, bob, LinkType.MM, Fibre(5.0), qnic_a=1),
    ]


def _meas_rep_meas(basis: str, source_fidelity: float = 1.0) -> list[LinkSpec]:
    """alice (MEAS) -MSM- rep -MSM- bob (MEAS): no end stores anything (BBM92 via a repeater)."""
    qnic = QNIC(4)
    alice = Node("alice", NodeType.MEAS, measurement_basis=basis)
    rep = Node("rep", NodeType.REP1, (qnic, qnic))
    bob = Node("bob", NodeType.MEAS, measurement_basis=basis)
    source = EPPS(source_fidelity=source_fidelity)
    return [
        LinkSpec(
            alice, rep, LinkType.MSM, Fibre(5.0), middle=Node("s1", NodeType.EPPS, epps=source)
        ),
        LinkSpec(
            rep,
            bob,
            LinkType.MSM,
            Fibre(5.0),
            qnic_a=1,
            middle=Node("s2", NodeType.EPPS, epps=source),
        ),
    ]


def _measuring(basis: str) -> dict[str, RuleSet]:
    """Chain RuleSets whose ends measure (in ``basis``) instead of delivering."""
    rulesets = chain_rulesets("qkd", ["alice", "rep", "bob"])
    for end, other in (("alice", "bob"), ("bob", "alice")):
        rule = Rule("measure", (EnoughResources(other),), Measure(other, basis))
        rulesets[end] = RuleSet("qkd", end, (Stage((rule,)),))
    return rulesets


def _disagreement(measurements, basis: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    by_name: dict[PairName, list[int]] = {}
    for m in measurements:
        assert m.basis == basis
        by_name.setdefault(m.name, []).append(m.bit)
    both = [bits for bits in by_name.values() if len(bits) == 2]
    return sum(a != b for a, b in both), len(both)


@pytest.mark.parametrize(("basis", "expected"), [("Z", 0), ("X", 0), ("Y", 1)])
def test_meas_end_record_is_corrected_by_the_frame(basis: str, expected: int) -> None:
    """Ideal chain, alice measures her qubit, bob's photon was read on arrival: Φ+ statistics
    on every pair, which only the frame correction of bob's record can give."""
    sim = ChainSimulation(_comp_rep_meas(basis), _measuring(basis), seed=11)
    result = sim.run(0.02)
    wrong, pairs = _disagreement(result.measurements, basis)
    assert pairs > 100
    assert wrong == expected * pairs


def test_meas_end_delivery_is_checked_against_the_truth_and_matches_f2() -> None:
    """Delivering: the MEAS end hands over its corrected record; the simulator checks it is
    the record the ground-truth pair holds, and the pair's fidelity is F_2 = 1/4 + 3/4 w^2."""
    specs = _comp_rep_meas("Z", emission_fidelity=0.95)
    sim = ChainSimulation(specs, chain_rulesets("c", ["alice", "rep", "bob"]), seed=5)
    result = sim.run(0.02)
    assert result.pairs > 100
    w_mim = (4 * herald_model(specs[0]).fidelity - 1) / 3
    w_mm = (4 * herald_model(specs[1]).fidelity - 1) / 3
    assert [d.fidelity for d in result.delivered] == pytest.approx(
        [0.25 + 0.75 * w_mim * w_mm] * result.pairs, abs=1e-9
    )
    assert all(d.records[0] is None and d.records[1] is not None for d in result.delivered)
    held = sim.ledger.held.values()
    assert all(q is not None or r is not None for q, r, _ in held)


def test_two_meas_ends_through_a_repeater_agree_on_sifted_bits() -> None:
    """BBM92 through a repeater: both ends measure on arrival in random X/Z; a sifted pair's
    two corrected bits always agree (ideal hardware), about half the pairs sift."""
    specs = _meas_rep_meas("random")
    result = ChainSimulation(specs, chain_rulesets("c", ["alice", "rep", "bob"]), seed=8).run(0.05)
    assert result.pairs > 200
    sifted = [
        (a, b)
        for a, b in (d.records for d in result.delivered)
        if a is not None and b is not None and a[0] == b[0]
    ]
    n = result.pairs
    assert abs(len(sifted) - n / 2) <= 4 * math.sqrt(n / 4)
    assert all(a[1] == b[1] for a, b in sifted)
    assert all(d.fidelity == pytest.approx(1.0) for d in result.delivered)


def test_two_meas_ends_qber_matches_the_swapped_state() -> None:
    """Noisy sources (Werner 0.93 per link): the Z-basis QBER of the two records is B + C of
    swap(link, link), within 4 standard errors; the records drive it, not the truth."""
    specs = _meas_rep_meas("Z", source_fidelity=0.93)
    state = swap(herald_model(specs[0]).state, herald_model(specs[1]).state)
    _, b, c, _ = state.as_tuple()
    result = ChainSimulation(specs, chain_rulesets("c", ["alice", "rep", "bob"]), seed=9).run(0.05)
    n = result.pairs
    assert n > 500
    wrong = sum(a[1] != b_[1] for a, b_ in (d.records for d in result.delivered))  # type: ignore[index]
    qber = b + c
    assert abs(wrong / n - qber) <= 4 * math.sqrt(qber * (1 - qber) / n), (wrong / n, qber)


def test_engine_flips_a_record_only_for_an_anticommuting_frame_it_must_apply() -> None:
    old, new = PairName("rep", 1), PairName("rep", 2)
    cases = {("X", True): 1, ("Z", True): 0, ("Y", True): 1, ("X", False): 0, ("I", True): 0}
    for (frame, correct), flipped in cases.items():
        engine = RuleEngine("bob", hardware=None)  # type: ignore[arg-type]
        rule = Rule("deliver", (EnoughResources("alice"),), Deliver("alice"))
        engine.install(RuleSet("c", "bob", (Stage((rule,)),)))
        engine.assign_record("c", old, ("Z", 0), "rep", 0)
        effects = engine.on_message("rep", SwapResult("c", old, new, "alice", frame, correct), 5)
        (delivered,) = effects
        assert delivered.record == ("Z", flipped), (frame, correct)  # type: ignore[union-attr]
        assert delivered.qubit is None  # type: ignore[union-attr]
        assert delivered.link_pair == old  # type: ignore[union-attr]


def test_a_meas_node_cannot_purify_and_says_so() -> None:
    specs = _comp_rep_meas("Z")
    rulesets = chain_rulesets("c", ["alice", "rep", "bob"], link_rounds=1)
    with pytest.raises(RuleSetError, match=r"'bob' is a MEAS node.*Purify"):
        ChainSimulation(specs, rulesets, seed=1)


def test_bad_record_is_refused() -> None:
    engine = RuleEngine("bob", hardware=None)  # type: ignore[arg-type]
    engine.install(RuleSet("c", "bob", (Stage(()),)))
    with pytest.raises(RuleSetError, match=r"record=\('W', 0\)"):
        engine.assign_record("c", PairName("rep", 1), ("W", 0), "rep", 0)


def test_a_random_basis_is_x_y_or_z_evenly_and_the_readout_error_applies() -> None:
    """alice (readout error 0.2) and bob (none) measure each ideal Φ+ pair in a basis each
    draws from X, Y, Z: every basis about a third of alice's draws (within 3 standard errors
    at seed 4), and the pairs measured in one basis disagree from Φ+ (equal in X and Z,
    opposite in Y) a fifth of the time (within 3 standard errors)."""
    noisy = QNIC(4, gate_noise=GateNoise(readout_error=0.2))
    alice = Node("alice", NodeType.COMP, (noisy,))
    bob = Node("bob", NodeType.COMP, (QNIC(4),))
    rulesets = {
        end: RuleSet("qkd", end, (Stage((Rule("m", (EnoughResources(o),), Measure(o)),)),))
        for end, o in (("alice", "bob"), ("bob", "alice"))
    }
    sim = ChainSimulation([LinkSpec(alice, bob, LinkType.MIM, Fibre(5.0))], rulesets, seed=4)
    measurements = sim.run(0.02).measurements
    mine = [m.basis for m in measurements if m.partner == "bob"]
    n = len(mine)
    assert n > 1000
    for basis in "XYZ":
        assert abs(mine.count(basis) / n - 1 / 3) < 3 * math.sqrt(2 / 9 / n)
    by_name: dict[PairName, dict[str, tuple[str, int]]] = {}
    for m in measurements:
        by_name.setdefault(m.name, {})[m.partner] = (m.basis, m.bit)
    matched = [p for p in by_name.values() if len(p) == 2 and p["bob"][0] == p["alice"][0]]
    wrong = sum((p["bob"][1] != p["alice"][1]) != (p["bob"][0] == "Y") for p in matched)
    assert len(matched) > 300
    assert abs(wrong / len(matched) - 0.2) < 3 * math.sqrt(0.16 / len(matched))


def test_a_meas_node_s_own_purify_rule_is_refused_naming_that_node() -> None:
    """The MEAS node's own RuleSet read first: its rule purifies with the repeater, and the
    refusal names the MEAS node (the one that cannot purify), not its partner, in words."""
    specs = _comp_rep_meas("Z")
    rulesets = chain_rulesets("c", ["alice", "rep", "bob"], link_rounds=1)
    first = {"bob": rulesets["bob"], "rep": rulesets["rep"], "alice": rulesets["alice"]}
    with pytest.raises(RuleSetError) as refused:
        ChainSimulation(specs, first, seed=1)
    assert str(refused.value) == (
        "rule 'link0-purify-rep' of 'bob': 'bob' is a MEAS node (it measures on arrival), "
        "so pairs with it cannot Purify"
    )
