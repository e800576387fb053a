"""Setup that scales (issue 11, item 4): classical delays on demand equal the old all-pairs
table to the bit, routes computed over a shared graph equal networkx's, the link-state store
keeps each advertisement once, ``message_log`` is a trace taken only when asked, and a request
made before routing has converged waits for its route (bounded) instead of failing."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qrna.control import (
    LinkState,
    LinkStateAdvertisement,
    Network,
    RoutingDaemon,
    line_network,
    links_from_graph,
)
from qrna.control._delays import ClassicalDelays
from qrna.control._routing import _dijkstra, _is_forest, _Routes, _search, _usable_links
from qrna.kernel import s_to_ps

PERFECT = (1.0, 0.0, 0.0, 0.0)


@st.composite
def classical_graphs(draw: st.DrawFn) -> nx.Graph[str]:
    """2 to 12 nodes, any edges (perhaps disconnected), delays from 0.1 µs to 10 ms."""
    n = draw(st.integers(2, 12))
    nodes = [f"v{i}" for i in range(n)]
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(nodes)
    pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1 :]]
    for a, b in draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True)):
        g.add_edge(a, b, delay_s=draw(st.floats(1e-7, 1e-2)))
    return g


@given(classical_graphs(), st.randoms(use_true_random=False))
def test_delays_on_demand_equal_the_all_pairs_table(g: nx.Graph[str], rng: object) -> None:
    """Every pair, asked in a random order (rows for eccentricities mixed in), gives the
    all-pairs Dijkstra's number exactly; unreachable pairs are infinite and not in the row."""
    table = dict(nx.all_pairs_dijkstra_path_length(g, weight="delay_s"))
    delays = ClassicalDelays(g)
    pairs = [(a, b) for a in g for b in g]
    rng.shuffle(pairs)  # type: ignore[attr-defined]
    for k, (a, b) in enumerate(pairs):
        if k % 7 == 0:
            assert delays.eccentricity_s(a) == max(table[a].values())
        if b in table[a]:
            assert delays.delay_s(a, b) == table[a][b]
            assert delays[a][b] == table[a][b]
            assert b in delays[a]
        else:
            assert delays.delay_s(a, b) == math.inf
            assert b not in delays[a]
            with pytest.raises(KeyError):
                delays[a][b]


def test_a_source_asked_for_many_destinations_takes_its_whole_row_once() -> None:
    """A Responder answering each node of a 500-node ring: two destinations found one by
    one, then the source's whole row, one search in all for the other 497 (each equal to
    networkx's own number)."""
    g = nx.cycle_graph([f"n{i}" for i in range(500)])
    for k, (a, b) in enumerate(g.edges):
        g.edges[a, b]["delay_s"] = 1e-5 * (1 + k % 7) / 3
    delays = ClassicalDelays(g)
    got = [delays.delay_s("n499", f"n{k}") for k in range(500)]
    assert (dict(delays._asked), list(delays._rows)) == ({"n499": 2}, ["n499"])
    want = nx.single_source_dijkstra_path_length(g, "n499", weight="delay_s")
    assert got == [want[f"n{k}"] for k in range(500)]


@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.floats(1e-7, 1e-2)), min_size=1, max_size=14),
    st.integers(0, 3),
)
def test_delays_on_a_forest_are_sums_along_its_one_path_equal_to_dijkstra(
    parents: list[tuple[int, float]], cut: int
) -> None:
    """Random forests (each node joined to an earlier one by a random delay, some joins left
    out): every pair's delay, added up along the one path, and every row equal networkx's
    Dijkstra to the bit, with no search."""
    g: nx.Graph[str] = nx.Graph()
    g.add_node("v0")
    for i, (j, w) in enumerate(parents, start=1):
        g.add_node(f"v{i}")
        if cut == 0 or (i + j) % (cut + 2):
            g.add_edge(f"v{j % i}", f"v{i}", delay_s=w)
    table = dict(nx.all_pairs_dijkstra_path_length(g, weight="delay_s"))
    delays = ClassicalDelays(g)
    assert delays._up is not None
    for a in sorted(g):
        for b in sorted(g):
            assert delays.delay_s(a, b) == table[a].get(b, math.inf)
        assert delays.row(a) == table[a]
    assert delays._asked == {}


@st.composite
def databases(draw: st.DrawFn) -> tuple[RoutingDaemon, float]:
    """A daemon of ``v0`` holding advertisements of a random topology: costs from the length
    metric (zero-length links included), some one-sided links, some end nodes."""
    n = draw(st.integers(2, 9))
    nodes = [f"v{i}" for i in range(n)]
    lengths = st.sampled_from([0.0, 1.0, 2.0, 3.0, 2.5])
    links: dict[str, list[LinkState]] = {v: [] for v in nodes}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            if draw(st.booleans()):
                km = draw(lengths)
                for x, y in ((a, b), (b, a)):
                    if draw(st.integers(0, 9)):  # one in ten views is missing: one-sided
                        links[x].append(LinkState(y, 100.0, PERFECT, km, 1e-6))
    relays = {v: draw(st.booleans()) for v in nodes}
    d = RoutingDaemon("v0", nodes[1:], metric="length", relay=relays["v0"])
    d.set_links(links["v0"])
    for v in nodes[1:]:
        d.on_advertisement("v1", LinkStateAdvertisement(v, 1, tuple(links[v]), relays[v]))
    return d, 0.5


@given(databases())
def test_routes_equal_networkx_dijkstra(case: tuple[RoutingDaemon, float]) -> None:
    """The shared-links Dijkstra gives networkx's distances and predecessor sets (what the
    path's tie-break reads) on the daemon's own graph, ties and zero-cost links included."""
    d, fidelity = case
    want_pred, want_dist = (
        nx.dijkstra_predecessor_and_distance(d.graph(fidelity), d.node, weight="cost")
        if d.node in d.graph(fidelity)
        else ({d.node: []}, {d.node: 0.0})
    )
    pred, dist = _dijkstra(d.node, *_usable_links(d.lsdb, d.metric, fidelity))
    assert dist == want_dist
    assert {v: sorted(p) for v, p in pred.items()} == {v: sorted(p) for v, p in want_pred.items()}


@st.composite
def forests(draw: st.DrawFn) -> tuple[RoutingDaemon, float]:
    """A daemon of ``v0`` holding advertisements of a random forest (each node joined to an
    earlier one, or not), as ``databases``: zero-length links, one-sided views, end nodes."""
    n = draw(st.integers(2, 12))
    nodes = [f"v{i}" for i in range(n)]
    links: dict[str, list[LinkState]] = {v: [] for v in nodes}
    for i in range(1, n):
        if draw(st.integers(0, 5)):
            a, b = nodes[draw(st.integers(0, i - 1))], nodes[i]
            km = draw(st.sampled_from([0.0, 1.0, 2.5]))
            for x, y in ((a, b), (b, a)):
                if draw(st.integers(0, 9)):
                    links[x].append(LinkState(y, 100.0, PERFECT, km, 1e-6))
    relays = {v: draw(st.integers(0, 3)) > 0 for v in nodes}
    d = RoutingDaemon("v0", nodes[1:], metric="length", relay=relays["v0"])
    d.set_links(links["v0"])
    for v in nodes[1:]:
        d.on_advertisement("v1", LinkStateAdvertisement(v, 1, tuple(links[v]), relays[v]))
    return d, 0.5


@given(st.one_of(forests(), databases()))
def test_paths_on_a_forest_are_those_of_the_search(case: tuple[RoutingDaemon, float]) -> None:
    """Whether or not the usable links form a forest (walked out from the destination, one
    path each), every node's path and next hop to every destination are those the cheapest
    path search gives."""
    d, fidelity = case
    links, stubs = _usable_links(d.lsdb, d.metric, fidelity)
    routes = _Routes(d.node, *_dijkstra(d.node, links, stubs))
    for dst in sorted({d.node} | set(links) | {"nowhere"}):
        want = routes.path(dst)
        assert d.path(dst, fidelity) == want
        assert d.next_hop(dst, fidelity) == (want[1] if want and len(want) > 1 else None)


def test_a_chain_is_a_forest_and_a_ring_is_not() -> None:
    """The walk is taken on a chain (its next hops come from one walk out of the
    destination, not a search per node) and not on a ring."""
    for n, ring, forest in ((6, False, True), (6, True, False)):
        g = nx.cycle_graph(n) if ring else nx.path_graph(n)
        links = {f"v{a}": [(f"v{b}", 1.0) for b in g.neighbors(a)] for a in g}
        assert _is_forest(links) is forest
    net = line_network(50, seed=1)
    net.run(0.01)  # the flood crosses 49 links of 48 µs
    assert [net.managers[f"n{k}"].routing.next_hop("n49", 0.8) for k in (0, 25, 48, 49)] == [
        "n1",
        "n26",
        "n49",
        None,
    ]
    assert sum(m.routing.recomputations for m in net.managers.values()) == 0


@given(databases())
def test_hops_counted_during_the_search_equal_a_breadth_first_count(
    case: tuple[RoutingDaemon, float],
) -> None:
    """The fewest hops over cheapest-path links, counted as nodes settle, equal a
    breadth-first count over the predecessor graph; after a zero-cost link gave a settled
    node a late predecessor the search leaves the count to ``_Routes``, which then counts."""
    d, fidelity = case
    links, stubs = _usable_links(d.lsdb, d.metric, fidelity)
    pred, dist, hops = _search(d.node, links, stubs)
    counted = _Routes(d.node, pred, dist).hops()
    if hops is not None:
        assert hops == counted
    else:
        assert any(cost == 0.0 for out in links.values() for _, cost in out)
    assert _Routes(d.node, pred, dist, hops).hops() == counted


def test_every_daemon_holds_every_advertisement_and_the_store_keeps_each_once() -> None:
    """Ten nodes in a line: after flooding every daemon holds ten advertisements, and the
    network's store ten in all (not a hundred). A re-advertised link replaces its two ends'
    advertisements everywhere: still ten."""
    net = line_network(10, seed=1)
    net.run(1e-3)
    assert {len(m.routing.lsdb) for m in net.managers.values()} == {10}
    assert all(m.routing.lsdb.current() for m in net.managers.values())
    assert net.link_states.stored() == 10
    net.set_link_estimate("n3", "n4", 10.0, (0.9, 0.05, 0.03, 0.02))
    net.run(1e-3)
    assert [m.routing.lsdb["n3"].seq for m in net.managers.values()] == [2] * 10
    assert net.link_states.stored() == 10


def test_message_log_is_off_by_default_and_on_when_asked() -> None:
    """Three nodes in a line: flooding sends 3 × 2 advertisements, setup 2 requests and 2
    responses, and teardown 2 messages. Logged only with ``message_log=True``; the run is the
    same either way, but for the 6 advertisements' hops: events only when they are logged
    (otherwise the flood is worked out when a database is read, ``Flooding``)."""
    runs = {}
    for log in (False, True):
        net = line_network(3, seed=1, message_log=log)
        c = net.request("n0", "n2", fidelity=0.5, pairs=5)
        runs[log] = (net.run(0.01), net.message_log)
        assert runs[log][0].connections[c].status == "done"
    assert runs[False][1] == []
    kinds = [kind for _, _, _, kind, _ in runs[True][1]]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "LinkStateAdvertisement": 6,
        "ConnectionSetupRequest": 2,
        "ConnectionSetupResponse": 2,
        "ConnectionTeardown": 2,
    }
    assert runs[True][0].events - runs[False][0].events == 6
    assert runs[False][0].connections == runs[True][0].connections


def test_a_request_before_convergence_waits_for_its_route() -> None:
    """60 nodes in a line, 10 km apart, a request at t = 0: n0 learns a route when n59's
    advertisement reaches it (59 hops); the request then hops 59 links and the response comes
    straight back. Up at exactly that time, on the first attempt, and pairs are delivered."""
    net = line_network(60, length_km=10.0, memories=4, seed=1)
    c = net.request("n0", "n59", fidelity=0.5, pairs=3, at_s=0.0)
    net.run(2e-3)  # the flood takes 59 × 48 µs = 2.8 ms to cross
    assert net.progress(c) == "waiting since 0 s for a route to n59 (routing has not converged)"
    net.run(2e-3)  # the request left at 2.8 ms; its answer comes at 8.5 ms
    assert net.progress(c) == "setup attempt 1 on its way, not answered yet"
    report = net.run(0.046).connections[c]
    assert net.progress(c) == ""
    assert report.status == "done"
    assert report.attempts == 1
    assert report.delivered >= 3
    hop = s_to_ps(net.delay_s["n0"]["n1"])
    up = next(e for e in report.events if e.kind == "up")
    assert up.t_ps == 59 * hop + 59 * hop + s_to_ps(net.delay_s["n59"]["n0"])
    assert [e.kind for e in report.events] == ["up", "done"]


def test_a_request_to_an_unreachable_node_fails_after_the_bound() -> None:
    """Two islands a-b and c-d, a request a → d at t = 0: a waits until every advertisement
    sent at t = 0 can have reached it (its farthest node, b, 48 µs away, plus 1 ps per node
    of rounding), then finds still no route and fails saying so."""
    g: nx.Graph[str] = nx.Graph([("a", "b"), ("c", "d")])
    net = Network(links_from_graph(g, length_km=10.0), seed=1, max_attempts=1)
    c = net.request("a", "d", fidelity=0.5, pairs=1, at_s=0.0)
    report = net.run(0.01).connections[c]
    assert report.status == "failed"
    (failed,) = report.events
    assert failed.t_ps == s_to_ps(net.delay_s["a"]["b"]) + 4
    waited = f"{failed.t_ps * 1e-12:.3g}"
    assert waited == "4.81e-05"  # 10 km of fibre at 2.08e8 m/s
    assert failed.detail == (
        f"no_route: no route to d known after waiting {waited} s for routing to converge "
        "(after 1 attempts)"
    )
    assert net.leaks() == []


def test_in_an_internetwork_the_route_wait_covers_the_farthest_node_of_every_layer() -> None:
    """Fig. 6's shape (e1 – x – y – e2, 5 km links) with a dead-end branch of six more links
    inside y and an island f1–f2 at the top, flood latency up to 1.25 times each delay. The
    border y.r4 runs two layers: in y its farthest node is the branch's end y.d6 (35 km of
    fibre), farther than any node of the top layer (e1, 30 km). A request y.r4 → f2 at t = 0
    waits until the advertisements sent at t = 0 can have reached y.r4 from y.d6, at 1.25
    times the classical delay plus 1 ps per node of rounding, and then fails: no route."""
    from tests.internet.test_recursion import fig6_internetwork

    branch = [("y.m", "y.d1"), *((f"y.d{i}", f"y.d{i + 1}") for i in range(1, 6))]
    g, internet = fig6_internetwork([*branch, ("f1", "f2")])
    net = Network(
        links_from_graph(g, length_km=5.0),
        internet=internet,
        jitter=0.25,
        seed=1,
        max_attempts=1,
    )
    c = net.request("y.r4", "f2", fidelity=0.5, pairs=1, at_s=0.0)
    report = net.run(0.01).connections[c]
    far = net.delay_s["y.r4"]["y.d6"]
    assert far == pytest.approx(35e3 / 2.08e8, rel=1e-3)  # 35 km of fibre
    assert net.delay_s["y.r4"]["e1"] == pytest.approx(30e3 / 2.08e8, rel=1e-3)
    assert report.status == "failed"
    (failed,) = report.events
    assert failed.t_ps == s_to_ps(far * 1.25) + len(g)
    assert failed.detail == (
        f"no_route: no route to f2 known after waiting {failed.t_ps * 1e-12:.3g} s for routing "
        "to converge (after 1 attempts)"
    )


def test_in_an_internetwork_a_waiting_request_leaves_once_its_layers_have_converged() -> None:
    """Fig. 6's shape (e1 – x – y – e2, 5 km links), flood latency 1 to 1.25 times each
    delay, a request from the top-layer host e1 to y.m, inside network y, at t = 0. e1 waits
    for routes; it sends its setup request once its databases hold every advertisement, not
    at the bound on when they must (the bound only ends a wait that found nothing): after the
    farthest advertisement can have arrived (e2's, 35 km away) and before the bound."""
    from tests.internet.test_recursion import fig6_internetwork

    g, internet = fig6_internetwork()
    net = Network(
        links_from_graph(g, length_km=5.0),
        internet=internet,
        jitter=0.25,
        seed=1,
        message_log=True,
    )
    c = net.request("e1", "y.m", fidelity=0.5, pairs=1, at_s=0.0)
    report = net.run(0.01).connections[c]
    assert report.status == "done"
    sent = [
        t
        for t, src, _, kind, _ in net.message_log
        if (src, kind) == ("e1", "ConnectionSetupRequest")
    ]
    bound = s_to_ps(net.delay_s["e1"]["e2"] * 1.25) + len(g)
    assert s_to_ps(net.delay_s["e1"]["e2"]) <= sent[0] < bound - s_to_ps(1e-6)


def test_a_pending_connection_says_where_its_setup_stands() -> None:
    """The chain preset stretched to 200 nodes (10 km links) and run for 5 ms: the request of
    1 ms is still waiting for routing to converge (9.6 ms), and the summary says so."""
    from qrna.scenario import load_scenario, run

    scenario = load_scenario(
        "chain",
        ["topology.nodes=200", "traffic.0.responder=n199", "simulation.duration_s=0.005"],
    )
    (c,) = run(scenario).summary["connections"]
    assert (c["status"], c["attempts"]) == ("pending", 0)
    assert c["detail"] == "waiting since 0.001 s for a route to n199 (routing has not converged)"


def test_a_waiting_request_takes_the_route_routing_converges_to() -> None:
    """i-r is one 100 km link; i-a-x-r (55, 55 and 5 km) is far cheaper per pair. x is 105 km
    of fibre from i, r only 100: r's advertisement reaches i first, when i knows only i-r.
    A request at t = 0 waits until i holds every advertisement, then takes i-a-x-r (the
    route of a request made after convergence), not i-r for the connection's whole life."""
    g: nx.Graph[str] = nx.Graph()
    for a, b, km in (("i", "r", 100.0), ("i", "a", 55.0), ("a", "x", 55.0), ("x", "r", 5.0)):
        g.add_edge(a, b, length_km=km)
    net = Network(links_from_graph(g), seed=1)
    c = net.request("i", "r", fidelity=0.5, pairs=2, at_s=0.0)
    report = net.run(0.01).connections[c]
    assert net.managers["i"].routing.path("r", 0.5) == ["i", "a", "x", "r"]
    up = next(e for e in report.events if e.kind == "up")
    assert (up.detail, report.attempts, report.status) == ("i-a-x-r", 1, "done")
    # It left when x's advertisement (the last) came in by x-r-i, hopped i-a-x-r, and the
    # answer came straight back from r.
    ps = {(u, v): s_to_ps(net.delay_s[u][v]) for u, v in (("x", "r"), ("r", "i"), ("i", "a"))}
    left = ps["x", "r"] + ps["r", "i"]
    assert left > ps["r", "i"]  # r's advertisement came first
    assert (
        up.t_ps
        == left + ps["i", "a"] + s_to_ps(net.delay_s["a"]["x"]) + ps["x", "r"] + (ps["r", "i"])
    )


def test_delays_are_those_of_the_classical_graph_when_the_network_was_built() -> None:
    """A caller that builds a network on its classical graph and then changes the graph (to
    build another network, say) does not change the first network's delays: the all-pairs
    table they replace was a snapshot, and so are they."""
    g: nx.Graph[str] = nx.Graph()
    g.add_edge("a", "b", delay_s=1e-3)
    g.add_edge("b", "c", delay_s=2e-3)
    net = Network(links_from_graph(nx.path_graph(["a", "b", "c"])), classical=g, seed=1)
    g.add_edge("a", "c", delay_s=1e-6)
    g.edges["a", "b"]["delay_s"] = 5.0
    assert net.delay_s.delay_s("a", "c") == 3e-3
    assert net.delay_s["b"]["a"] == 1e-3
    assert net.delay_s.eccentricity_s("a") == 3e-3


def test_a_waiting_request_goes_when_its_own_node_re_advertises_a_route() -> None:
    """n0's own view of its link to n1 is too poor for fidelity 0.9, so its request waits.
    Once n0 holds every advertisement (jitter leaves the bound later than that), link
    monitoring at n0 re-advertises the link as calibrated: the request leaves then, not at the
    bound."""
    net = line_network(3, seed=1, jitter=1.0)
    good = net.link_state("n0", "n1")
    net._estimates[("n0", "n1")] = LinkState(
        "n1", good.rate_hz, (0.6, 0.2, 0.1, 0.1), good.length_km, good.latency_s
    )
    c = net.request("n0", "n2", fidelity=0.9, pairs=1, at_s=0.0)
    routing = net.managers["n0"].routing
    while net.scheduler.now_ps == 0 or not routing.lsdb.current():
        net.scheduler.step()
    deadline = net.managers["n0"].conns[c].route_deadline_ps
    assert net.scheduler.now_ps < deadline
    assert net.progress(c) == "waiting since 0 s for a route to n2 (routing has not converged)"
    del net._estimates[("n0", "n1")]
    net._advertise("n0")  # what link monitoring does
    assert routing.path("n2", 0.9) == ["n0", "n1", "n2"]
    assert net.progress(c) == "setup attempt 1 on its way, not answered yet"


@given(
    st.lists(
        st.tuples(
            st.integers(0, 7), st.integers(0, 7), st.sampled_from([0.0, 1e-17, 1.0, 2.0, 1e16])
        ),
        min_size=1,
        max_size=20,
    ),
    st.sets(st.integers(0, 7)),
)
def test_hops_during_the_search_hold_where_floats_absorb_a_link(
    edges: list[tuple[int, int, float]], ends: set[int]
) -> None:
    """Costs a sum absorbs (1e16 + 1 == 1e16, 1 + 1e-17 == 1) make a settled node's cost
    equal through a link of cost > 0, as a zero-cost link does: the hops found during the
    search, when it keeps them, still equal a breadth-first count over the predecessors."""
    links: dict[str, list[tuple[str, float]]] = {}
    for a, b, cost in edges:
        x, y = f"v{a}", f"v{b}"
        if x != y and all(n != y for n, _ in links.get(x, [])):
            links.setdefault(x, []).append((y, cost))
            links.setdefault(y, []).append((x, cost))
    stubs = frozenset(f"v{i}" for i in ends) - {"v0"}
    pred, dist, hops = _search("v0", links, stubs)
    counted = _Routes("v0", pred, dist).hops()
    assert hops is None or hops == counted
    assert set(counted) == set(dist)
