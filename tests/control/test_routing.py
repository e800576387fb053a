"""qDijkstra: the link cost in closed form, link-state flooding, deterministic ties, and
recomputation when link state changes."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from qrna.control import (
    ControlError,
    LinkState,
    Network,
    RoutingDaemon,
    links_from_graph,
    purification_plan,
    seconds_per_pair,
)
from qrna.link import LinkError
from qrna.physics import BellDiagonal, purify

PERFECT = (1.0, 0.0, 0.0, 0.0)


def test_cost_without_purification_is_one_over_the_rate() -> None:
    assert seconds_per_pair(500.0, BellDiagonal.werner(0.95), 0.9) == pytest.approx(1 / 500)


def test_cost_with_purification_is_the_recurrence_consumption() -> None:
    """Werner 0.9 to 0.95 needs two DEJMPS rounds: L = 2·(2/p1)/p2 link pairs per output."""
    w = BellDiagonal.werner(0.9)
    p1, s1 = purify(w, w, "dejmps")
    assert s1 is not None
    assert s1.fidelity < 0.95
    p2, s2 = purify(s1, s1, "dejmps")
    assert s2 is not None
    assert s2.fidelity >= 0.95
    expected = 2 * (2 / p1) / p2
    plan = purification_plan(w, 0.95)
    assert plan.rounds == 2
    assert plan.link_pairs == pytest.approx(expected, rel=1e-12)
    assert seconds_per_pair(100.0, w, 0.95) == pytest.approx(expected / 100, rel=1e-12)


def test_unreachable_fidelity_costs_infinity() -> None:
    assert math.isinf(seconds_per_pair(100.0, BellDiagonal.werner(0.45), 0.9))
    assert math.isinf(seconds_per_pair(0.0, BellDiagonal.werner(0.99), 0.9))
    with pytest.raises(LinkError, match="scheme='nope'"):
        purification_plan(BellDiagonal.werner(0.9), 0.95, scheme="nope")


def _daemons(edges: dict[tuple[str, str], LinkState | float], metric: str = "qdijkstra"):  # type: ignore[no-untyped-def]
    g = nx.Graph(list(edges))
    daemons = {n: RoutingDaemon(n, g.neighbors(n), metric) for n in g}
    # Flood synchronously: deliver every advertisement until none is left.
    queue = []
    for n in sorted(g):
        links = []
        for (a, b), value in edges.items():
            if n in (a, b):
                other = b if n == a else a
                rate = value if isinstance(value, float) else value.rate_hz
                links.append(LinkState(other, rate, PERFECT, 1.0, 1e-6))
        queue += [(n, e) for e in daemons[n].set_links(links)]
    sent = len(queue)
    while queue:
        src, eff = queue.pop(0)
        new = daemons[eff.dst].on_advertisement(src, eff.message)
        sent += len(new)
        queue += [(eff.dst, e) for e in new]
    return daemons, sent


def test_flooding_reaches_every_daemon_once_per_advertisement() -> None:
    edges = {("a", "b"): 100.0, ("b", "c"): 100.0, ("c", "d"): 100.0, ("a", "d"): 100.0}
    daemons, sent = _daemons(edges)  # type: ignore[arg-type]
    for d in daemons.values():
        assert sorted(d.lsdb) == ["a", "b", "c", "d"]
    # 4 originators; each advertisement crosses each of the 4 links at most twice.
    assert sent <= 4 * 4 * 2


def test_qdijkstra_prefers_fast_links_over_few_hops() -> None:
    edges = {("a", "d"): 10.0, ("a", "b"): 1000.0, ("b", "c"): 1000.0, ("c", "d"): 1000.0}
    daemons, _ = _daemons(edges)  # type: ignore[arg-type]
    assert daemons["a"].path("d", 0.9) == ["a", "b", "c", "d"]
    assert daemons["a"].cost("d", 0.9) == pytest.approx(3 / 1000)
    hops, _ = _daemons(edges, metric="hops")  # type: ignore[arg-type]
    assert hops["a"].path("d", 0.9) == ["a", "d"]


def test_ties_break_deterministically() -> None:
    """Two equal-cost paths a-b-d and a-c-d: always the one through the smaller name."""
    edges = {("a", "c"): 100.0, ("c", "d"): 100.0, ("a", "b"): 100.0, ("b", "d"): 100.0}
    for _ in range(3):
        daemons, _ = _daemons(edges)  # type: ignore[arg-type]
        assert daemons["a"].path("d", 0.5) == ["a", "b", "d"]
        assert daemons["d"].path("a", 0.5) == ["d", "b", "a"]


def test_routes_are_recomputed_when_link_state_changes() -> None:
    """In a running network, link monitoring reports a link degraded: the daemons learn it by
    flooding and route around it."""
    square = nx.cycle_graph(["a", "b", "c", "d"])
    net = Network(links_from_graph(square, length_km=5.0), seed=1)
    net.run(0.001)
    routing = net.managers["a"].routing
    first = routing.path("c", 0.9)
    assert first == ["a", "b", "c"]
    before = routing.recomputations
    net.set_link_estimate("a", "b", 1.0, (0.97, 0.01, 0.01, 0.01))  # very slow now
    net.run(0.001)
    assert routing.path("c", 0.9) == ["a", "d", "c"]
    assert routing.recomputations == before + 1
    # Converged, a's routes for 0.9 are searched once, however often and whatever asked
    # (even b is reached around the slow link).
    assert [routing.path(dst, 0.9) for dst in "bcdc"] == [
        ["a", "d", "c", "b"],
        ["a", "d", "c"],
        ["a", "d"],
        ["a", "d", "c"],
    ]
    assert routing.recomputations == before + 1


def test_unknown_metric_is_named() -> None:
    with pytest.raises(ControlError, match=r"metric='fastest'.*hops, length, qdijkstra"):
        RoutingDaemon("a", [], "fastest")
