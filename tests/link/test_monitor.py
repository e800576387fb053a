"""Link monitoring: the nodes' own tomography agrees with the true state within its CI; the
rate estimate matches; the routing cost is seconds per pair at fidelity F; results are matched
by pair name, whatever order they arrive in."""

from __future__ import annotations

import math

import pytest

from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.link import (
    Heralds,
    LinkEndpoint,
    LinkError,
    LinkSimulation,
    LinkSpec,
    LinkType,
    MessageReceived,
    MonitorResult,
    PairName,
    PairsHeralded,
    SendMessage,
    herald_model,
    monitor_basis,
    seconds_per_pair,
)
from qrna.physics import BellDiagonal, purify


def _noisy_link() -> LinkSpec:
    # Emission fidelity 0.9 and fibre noise: a heralded state well away from Φ+ and not Werner.
    a = Node("a", NodeType.COMP, (QNIC(10, emission_fidelity=0.9),))
    b = Node("b", NodeType.COMP, (QNIC(10, emission_fidelity=0.95),))
    return LinkSpec(a, b, LinkType.MIM, Fibre(10.0, pauli_error_per_km=0.005))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tomography_estimate_contains_the_true_fidelity(seed: int) -> None:
    spec = _noisy_link()
    truth = herald_model(spec).state  # no memory decay: the state measured is the heralded one
    result = LinkSimulation(spec, seed=seed, monitor_fraction=0.3).run(0.15)
    for est in result.estimates:
        assert est.samples > 1500
        lo, hi = est.fidelity_ci
        assert lo <= truth.fidelity <= hi, (est.fidelity_ci, truth.fidelity)
        assert hi - lo < 0.06
        assert est.state is not None
        se = (hi - lo) / (2 * 1.96)
        for got, want in zip(est.state.as_tuple(), truth.as_tuple(), strict=True):
            assert abs(got - want) < 5 * se + 0.01


def test_both_ends_reach_the_same_estimate_and_the_rate() -> None:
    result = LinkSimulation(_noisy_link(), seed=4, monitor_fraction=0.2).run(0.05)
    a, b = result.estimates
    assert a.samples == b.samples
    assert a.fidelity == pytest.approx(b.fidelity, abs=1e-12)  # the same pairs, both bits
    assert a.rate_hz == pytest.approx(result.rate_hz, rel=0.01)
    assert a.rate_ci_hz[0] <= result.analytic_rate_hz <= a.rate_ci_hz[1]


def test_monitored_pairs_are_not_handed_up() -> None:
    sim = LinkSimulation(_noisy_link(), seed=5, monitor_fraction=1.0)
    result = sim.run(0.01)
    samples = result.estimates[0].samples
    # Every pair is measured; the last few are still waiting for the partner's bit.
    assert 0.95 * result.pairs <= samples <= result.pairs
    assert sim.ends[0].pairs == {}  # none held for the layers above
    # Every qubit still holding a half is one whose herald is in flight, none a leaked one.
    from qrna.hardware import QubitStatus

    for address, index in sim.store.held_qubits():
        bank = sim.banks[0] if sim.banks[0] and sim.banks[0].address == address else sim.banks[1]
        assert bank is not None
        assert bank.status(index) is QubitStatus.EMITTING


def test_monitor_selection_is_a_fixed_fraction_and_agrees_at_both_ends() -> None:
    names = [PairName("bsa", 1_000 * k + 17) for k in range(20000)]
    chosen = [monitor_basis(n, 0.1) for n in names]
    share = sum(c is not None for c in chosen) / len(names)
    assert abs(share - 0.1) < 4 * math.sqrt(0.1 * 0.9 / len(names))
    bases = [c for c in chosen if c is not None]
    for basis in "XYZ":
        assert abs(bases.count(basis) / len(bases) - 1 / 3) < 0.04
    assert chosen == [monitor_basis(n, 0.1) for n in names]  # deterministic
    assert monitor_basis(names[0], 0.0) is None


class _FixedHardware:
    def __init__(self, bit: int) -> None:
        self.bit = bit

    def measure(self, qubit: tuple[str, int], basis: str) -> int:
        return self.bit


def test_results_are_matched_by_name_even_when_the_partner_is_first() -> None:
    name = next(PairName("bsa", t) for t in range(10_000) if monitor_basis(PairName("bsa", t), 0.5))
    basis = monitor_basis(name, 0.5)
    assert basis is not None
    end = LinkEndpoint("a", "a~b", "b", _FixedHardware(1), monitor_fraction=0.5)
    # The partner's bit for this pair arrives before our own herald ...
    assert end.on_event(MessageReceived("b", MonitorResult("a~b", name, basis, 1))) == []
    effects = end.on_event(PairsHeralded("a~b", Heralds([name], [("a/qnic0", 0)], None), 5))
    assert any(isinstance(e, SendMessage) and e.message.name == name for e in effects)
    assert end.monitor.counts[basis] == [1, 1]  # ... and is paired by name once we measure
    # Another selected pair's result waits for its own pair and never pairs with ours.
    other = next(
        PairName("bsa", t)
        for t in range(name.t_ps + 1, 10**6)
        if monitor_basis(PairName("bsa", t), 0.5)
    )
    other_basis = monitor_basis(other, 0.5)
    assert other_basis is not None
    assert end.on_event(MessageReceived("b", MonitorResult("a~b", other, other_basis, 0))) == []
    assert sum(c[0] for c in end.monitor.counts.values()) == 1
    # A result for a pair this end never selects means the ends use different fractions.
    unselected = next(
        PairName("bsa", t) for t in range(10**6) if monitor_basis(PairName("bsa", t), 0.5) is None
    )
    with pytest.raises(LinkError, match="both ends must use the same fraction"):
        end.on_event(MessageReceived("b", MonitorResult("a~b", unselected, "Z", 0)))


def test_seconds_per_pair_with_and_without_purification() -> None:
    rate = 1000.0
    werner = BellDiagonal.werner(0.8)
    assert seconds_per_pair(rate, werner, 0.75) == pytest.approx(1e-3)
    p1, once = purify(werner, werner, "dejmps")
    assert once is not None
    assert seconds_per_pair(rate, werner, 0.83) == pytest.approx(2 / p1 / rate)
    p2, twice = purify(once, once, "dejmps")
    assert twice is not None
    assert seconds_per_pair(rate, werner, 0.9) == pytest.approx(2 * (2 / p1) / p2 / rate)
    assert seconds_per_pair(rate, BellDiagonal.werner(0.5), 0.6) == math.inf  # no gain at 1/2
    assert seconds_per_pair(0.0, werner, 0.5) == math.inf


def test_estimate_cost_uses_the_estimated_state() -> None:
    result = LinkSimulation(_noisy_link(), seed=6, monitor_fraction=0.3).run(0.05)
    est = result.estimates[0]
    assert est.state is not None
    assert est.seconds_per_pair(0.5) == pytest.approx(1 / est.rate_hz)
    assert est.seconds_per_pair(0.9) > 2 / est.rate_hz  # needs at least one round
