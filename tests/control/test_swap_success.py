"""``swap_success_probability`` a (issue 12, item 4): a failed Bell measurement loses both pairs
and the swapping node tells both partners, who free their halves.

On a 3-node chain a failure frees the end nodes' halves exactly when a success would have
delivered them (the notice and the swap result take the same way), and the links draw from
streams of their own: the repeater attempts the same swaps, at the same instants, whatever a
is. So the pairs delivered are a binomial sample of those swaps with probability a."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from qrna.control import Network, links_from_graph
from qrna.hardware import QNIC
from qrna.physics import GateNoise
from qrna.rules import _chain_sim


def _run(a: float, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, float, list[str]]:
    """Swaps attempted, pairs delivered, the plan's estimated rate and the leaks of 0.2 s
    of a 3-node chain (5 km links, 4 memories) with success probability a."""
    attempts = 0
    original = _chain_sim.NodeHardware.swap

    def counted(self: _chain_sim.NodeHardware, q1: object, q2: object) -> object:
        nonlocal attempts
        attempts += 1
        return original(self, q1, q2)  # type: ignore[arg-type]

    monkeypatch.setattr(_chain_sim.NodeHardware, "swap", counted)
    qnic = QNIC(4, gate_noise=GateNoise(swap_success_probability=a))
    net = Network(links_from_graph(nx.path_graph(["a", "b", "c"]), 5.0, qnic=qnic), seed=5)
    c = net.request("a", "c", 0.5, duration_s=0.2, memories=4)
    report = net.run(0.2).connections[c]
    assert report.status == "up"
    assert len(report.pairs) == report.delivered  # both ends delivered each
    return attempts, report.delivered, net.plans[c].rate_hz, net.leaks()


@pytest.mark.parametrize("a", [0.5, 0.25])
def test_delivered_pairs_are_a_binomial_sample_of_the_same_swaps(
    a: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same swap attempts as with a = 1 (about 7,900 in 0.2 s); the pairs delivered
    within 3 standard errors of a times those; nothing held after; the generator's rate is
    a times its rate with a = 1."""
    sure_attempts, sure_delivered, sure_rate, _ = _run(1.0, monkeypatch)
    attempts, delivered, rate, leaks = _run(a, monkeypatch)
    assert attempts == sure_attempts > 5000
    assert sure_delivered >= sure_attempts - 4  # a few still on their way at the end
    se = math.sqrt(attempts * a * (1 - a))
    assert abs(delivered - a * attempts) <= 3 * se
    assert rate == pytest.approx(a * sure_rate, rel=1e-12)
    assert leaks == []


def test_a_repeater_whose_swaps_never_succeed_is_refused_saying_so() -> None:
    """a = 0 at the repeaters (with and without memory decay): no plan delivers anything, so
    the request is refused saying why, and nothing is held."""
    for t2 in (math.inf, 1.0):
        qnic = QNIC(4, t2_s=t2, gate_noise=GateNoise(swap_success_probability=0.0))
        graph = nx.path_graph(["a", "b", "c", "d"])
        net = Network(links_from_graph(graph, 5.0, qnic=qnic), seed=5, max_attempts=1)
        c = net.request("a", "d", 0.5, duration_s=0.2, memories=4)
        report = net.run(0.05).connections[c]
        assert report.status == "failed"
        assert report.events[-1].detail == (
            "fidelity_unreachable: no plan delivers pairs on a-b-c-d: its swaps never succeed"
        )
        assert net.leaks() == []
