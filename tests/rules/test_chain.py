"""End-to-end pairs over repeater chains driven by RuleSets: fidelities match the closed forms,
the 3-node rate matches its renewal-theory expectation, and no reordering of messages ever
delivers the wrong pair."""

from __future__ import annotations

import math

import pytest

from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.link import LinkSpec, LinkType, herald_model
from qrna.physics import BellDiagonal, GateNoise, purify, swap
from qrna.rules import ChainSimulation, chain_rulesets
from tests.rules.conftest import chain

TOL = 1e-9


@pytest.mark.parametrize("order", ["nested", "sequential"])
@pytest.mark.parametrize("links", [2, 4, 8])
def test_ideal_chain_fidelity_is_f_n(order: str, links: int) -> None:
    """Werner links (emission fidelity 0.97, swapped at the BSA), ideal operations, no
    decoherence: every delivered pair has F_N = 1/4 + 3/4·w^N exactly, in either swap order."""
    names, specs = chain(links + 1, emission_fidelity=0.97)
    w = (4 * herald_model(specs[0]).fidelity - 1) / 3
    result = ChainSimulation(specs, chain_rulesets("c", names, swap_order=order), seed=2).run(0.01)
    assert result.pairs > 50
    expected = 0.25 + 0.75 * w**links
    assert [d.fidelity for d in result.delivered] == pytest.approx(
        [expected] * result.pairs, abs=TOL
    )


@pytest.mark.parametrize("scheme", ["dejmps", "bbpssw", "single_z"])
def test_link_purification_then_swap_matches_the_closed_forms(scheme: str) -> None:
    """One round of link purification on each of two links, then a swap: the delivered state
    is swap(purify(link, link), purify(link, link)) in closed form."""
    names, specs = chain(3, emission_fidelity=0.95)
    link_state = herald_model(specs[0]).state
    _, kept = purify(link_state, link_state, scheme)
    assert kept is not None
    expected = swap(kept, kept).fidelity
    rulesets = chain_rulesets("c", names, link_scheme=scheme, link_rounds=1)
    result = ChainSimulation(specs, rulesets, seed=3).run(0.02)
    assert result.pairs > 20
    assert [d.fidelity for d in result.delivered] == pytest.approx(
        [expected] * result.pairs, abs=TOL
    )


def test_end_to_end_purification_matches_the_closed_form() -> None:
    names, specs = chain(3, emission_fidelity=0.95)
    link_state = herald_model(specs[0]).state
    e2e = swap(link_state, link_state)
    _, kept = purify(e2e, e2e, "dejmps")
    assert kept is not None
    result = ChainSimulation(specs, chain_rulesets("c", names, e2e_rounds=1), seed=4).run(0.02)
    assert result.pairs > 20
    assert [d.fidelity for d in result.delivered] == pytest.approx(
        [kept.fidelity] * result.pairs, abs=TOL
    )


def test_purification_with_gate_noise_at_the_nodes() -> None:
    noise = GateNoise(cnot_error=0.01, readout_error=0.01)
    names, specs = chain(2, emission_fidelity=0.9, noise=noise)
    link_state = herald_model(specs[0]).state
    _, kept = purify(link_state, link_state, "dejmps", noise)
    assert kept is not None
    result = ChainSimulation(specs, chain_rulesets("c", names, link_rounds=1), seed=5).run(0.01)
    assert result.pairs > 20
    assert result.mean_fidelity == pytest.approx(kept.fidelity, abs=TOL)


def test_three_node_rate_matches_renewal_theory() -> None:
    """One memory per QNIC, 20 km MIM links at 2e8 m/s (round T = L/c = 100 µs exactly).

    A cycle starts with both links attempting in round 0. Link i succeeds in round r_i
    (failures before success ~ geometric, p per round) and heralds at (r_i + 1)·T. The
    repeater swaps at (max(r_1, r_2) + 1)·T; its result reaches both ends one link latency T
    later, when both deliver and the application frees the end memories, exactly at a round
    start from outside a herald, so they attempt again from the round after:
    cycle = (max(r_1, r_2) + 3)·T, with E[max] = 2q/(1 − q) − q²/(1 − q²), q = 1 − p.
    Rate = 1/((E[max] + 3)·T), within 3 standard errors of the cycle count (seed 6)."""
    names, specs = chain(3, length_km=20.0, memories=1, speed=2e8)
    model = herald_model(specs[0])
    p, period = model.p_success, model.period_s
    assert period == pytest.approx(1e-4, abs=1e-15)
    q = 1 - p
    e_max = 2 * q / (1 - q) - q * q / (1 - q * q)
    cycle = (e_max + 3) * period
    # Var[max] from P(max > k) = 2q^(k+1) − q^(2k+2): E[max²] = Σ (2k+1)·P(max > k).
    e_max2 = sum((2 * k + 1) * (2 * q ** (k + 1) - q ** (2 * k + 2)) for k in range(2000))
    sd_cycle = math.sqrt(e_max2 - e_max**2) * period
    duration = 3000 * cycle
    result = ChainSimulation(specs, chain_rulesets("c", names), seed=6).run(duration)
    cycles = duration / cycle
    se_rate = sd_cycle / cycle * math.sqrt(cycles) / duration  # renewal CLT
    assert abs(result.rate_hz - 1 / cycle) <= 3 * se_rate, (result.rate_hz, 1 / cycle, se_rate)


@pytest.mark.parametrize("order", ["nested", "sequential"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_message_jitter_never_delivers_a_wrong_pair(order: str, seed: int) -> None:
    """Every classical message gets a random extra delay up to 10× its latency, so swap
    results, purification results and frees overtake each other; ChainSimulation checks on
    every delivery that both halves are one Bell pair (it raises otherwise), and the delivered
    fidelity stays the closed form."""
    names, specs = chain(5, memories=6, emission_fidelity=0.97)
    rulesets = chain_rulesets("c", names, swap_order=order, link_rounds=1)
    result = ChainSimulation(specs, rulesets, seed=seed, jitter=10.0).run(0.02)
    assert result.pairs > 10
    link_state = herald_model(specs[0]).state
    _, kept = purify(link_state, link_state, "dejmps")
    assert kept is not None
    e2e = swap(swap(kept, kept), swap(kept, kept))
    assert [d.fidelity for d in result.delivered] == pytest.approx(
        [e2e.fidelity] * result.pairs, abs=TOL
    )


def test_decoherence_bell_diagonal_against_density_matrix() -> None:
    """Memories with T1 = 0.2 s, T2 = 0.1 s on a 5-node chain: the two backends draw the same
    events (same seed, same sampled outcomes for Bell-diagonal inputs) and their delivered
    fidelities differ by at most the stated amplitude-damping drift bound (1 − a)² per stored
    half, here below 1e-3."""
    import dataclasses

    names, specs = chain(5, emission_fidelity=0.97, t2_s=0.1)
    specs = [dataclasses.replace(s, a=_with_t1(s.a), b=_with_t1(s.b)) for s in specs]
    rulesets = chain_rulesets("c", names)
    fast = ChainSimulation(specs, rulesets, seed=7).run(0.01)
    exact = ChainSimulation(specs, rulesets, seed=7, backend="density_matrix").run(0.01)
    assert fast.pairs > 20
    assert [d.name for d in fast.delivered][:20] == [d.name for d in exact.delivered][:20]
    diffs = [
        abs(a.fidelity - b.fidelity) for a, b in zip(fast.delivered, exact.delivered, strict=False)
    ]
    assert max(diffs) < 1e-3
    assert max(d.fidelity for d in fast.delivered) < 0.99  # decoherence did act


def _with_t1(node):  # type: ignore[no-untyped-def]
    import dataclasses

    qnics = tuple(dataclasses.replace(q, t1_s=0.2) for q in node.qnics)
    return dataclasses.replace(node, qnics=qnics)


def test_werner_closed_form_reference() -> None:
    # Guard for the helpers above: the swap of two Werner pairs is Werner.
    out = swap(BellDiagonal.werner(0.9), BellDiagonal.werner(0.8))
    assert out.fidelity == pytest.approx(0.9 * 0.8 + 0.1 * 0.2 / 3, abs=TOL)


def test_discard_timers_free_waiting_pairs_and_tell_the_partner() -> None:
    """A 5-node chain whose lowest swappers wait at most 0.1 ms (more than the 96 µs end-to-end
    latency, less than a typical wait; nodes higher up the swap hierarchy wait 0.2 ms longer per
    level): pairs are discarded, every delivered pair is still one Bell pair (checked on
    delivery), the decohering memories (T2 = 2 ms) deliver better pairs than without the
    cutoff, and, the timers being ordered, no message is ever left about a pair already gone
    (no Free for a pair swapped, no swap result for a pair freed)."""
    names, specs = chain(5, memories=4, emission_fidelity=0.99, t2_s=2e-3)
    plain = ChainSimulation(specs, chain_rulesets("c", names), seed=8).run(0.02)
    cut = ChainSimulation(specs, chain_rulesets("c", names, discard_after_s=1e-4), seed=8)
    result = cut.run(0.02)
    assert result.pairs > 5
    assert result.mean_fidelity > plain.mean_fidelity
    assert plain.discarded == 0
    assert result.discarded > 20
    stranded = sum(len(c.waiting) for e in cut.engines.values() for c in e._conns.values())
    assert stranded <= 4  # at most messages still in flight when the run stopped


def test_zero_length_links_free_memories_into_the_next_round() -> None:
    """Zero-length MIM links (p = 1/2, one memory per QNIC): a link's herald lands at the start
    of the round it succeeded in, the repeater swaps at once and both ends deliver and free
    at that same instant, from outside the freed link's own herald; by HeraldedLink's rule
    those memories attempt from the next round. So each end-to-end pair takes
    max(G₁, G₂) rounds, G geometric in p: E = 2/p − 1/(1 − q²) = 8/3 rounds. (A memory that
    joined the round starting at that instant gave 2.59.) Within 3 standard errors (seed 8)."""
    names, specs = chain(3, length_km=0.0, memories=1)
    model = herald_model(specs[0])
    assert model.p_success == pytest.approx(0.5, abs=1e-12)
    q = 1 - model.p_success
    e_max = 2 / (1 - q) - 1 / (1 - q * q)
    assert e_max == pytest.approx(8 / 3)
    # Var[max] from P(max > k) = 1 − (1 − q^k)²: E[max²] = Σ (2k+1)·P(max > k).
    e_max2 = sum((2 * k + 1) * (1 - (1 - q**k) ** 2) for k in range(200))
    rounds = 30_000
    result = ChainSimulation(specs, chain_rulesets("c", names), seed=8).run(rounds * model.period_s)
    se = math.sqrt((e_max2 - e_max**2) / result.pairs)
    assert abs(rounds / result.pairs - e_max) <= 3 * se, (rounds / result.pairs, e_max, se)


def test_a_bad_chain_is_refused_by_name() -> None:
    import dataclasses

    from qrna.rules import RuleSetError

    names, specs = chain(3)
    rulesets = chain_rulesets("c", names)
    cases = [
        ([], rulesets, 0.0, r"^a chain needs at least one link$"),
        ([specs[1], specs[0]], rulesets, 0.0, r"^links\[1\] starts at 'n0', not at 'n2'$"),
        (
            [specs[0], dataclasses.replace(specs[0], a=specs[0].b, b=specs[0].a)],
            {n: rulesets[n] for n in names[:2]},
            0.0,
            r"^the chain \['n0', 'n1', 'n0'\] passes \['n0'\] more than once$",
        ),
        (specs[:1], rulesets, 0.0, r"^RuleSets are for \['n0', 'n1', 'n2'\]; the chain's nodes"),
        (
            specs,
            {**rulesets, "n2": chain_rulesets("d", names)["n2"]},
            0.0,
            r"^RuleSets of several connections: \['c', 'd'\]$",
        ),
        (specs, rulesets, -1.0, r"^jitter=-1\.0 is invalid; expected a finite value >= 0$"),
        (specs, rulesets, math.nan, r"^jitter=nan is invalid"),
    ]
    for links, rs, jitter, message in cases:
        with pytest.raises(RuleSetError, match=message):
            ChainSimulation(links, rs, jitter=jitter)


def test_a_discard_timer_fires_when_nothing_else_happens() -> None:
    """n0 -MIM- n1 -MIM- n2 with one memory per QNIC, n2 emitting nothing: n1-n2 never
    heralds, so each n0-n1 pair waits at both ends with no other event to wake them; only
    the discard timers free it (the memories then make the next). Every link pair but the
    last, still waiting when the run ends, is discarded."""
    q = QNIC(1)
    n0, n1 = Node("n0", NodeType.COMP, (q,)), Node("n1", NodeType.REP1, (q, q))
    n2 = Node("n2", NodeType.COMP, (QNIC(1, emission_efficiency=0.0),))
    specs = [
        LinkSpec(n0, n1, LinkType.MIM, Fibre(5.0)),
        LinkSpec(n1, n2, LinkType.MIM, Fibre(5.0), qnic_a=1),
    ]
    rulesets = chain_rulesets("c", ["n0", "n1", "n2"], discard_after_s=1e-4)
    result = ChainSimulation(specs, rulesets, seed=1).run(0.01)
    assert result.pairs == 0
    assert result.link_pairs > 40
    assert result.discarded == result.link_pairs - 1
