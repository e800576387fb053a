"""Flooding worked out when read (``Flooding``) against flooding message by message: every
daemon holds the same advertisements at every instant, waiting requests leave at the same
instant, and the flood costs no event per hop."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.control import Network, _flooding, line_network, links_from_graph
from qrna.control._flooding import Flooding
from qrna.control._lsdb import LinkStateDatabase, LinkStateStore
from qrna.control._messages import LinkStateAdvertisement
from qrna.kernel import s_to_ps
from qrna.physics import BellDiagonal


@st.composite
def topologies(draw: st.DrawFn) -> nx.Graph[str]:
    """2 to 9 nodes, fibres of 1 to 60 km, perhaps in more than one piece."""
    n = draw(st.integers(2, 9))
    nodes = [f"v{i}" for i in range(n)]
    pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1 :]]
    g: nx.Graph[str] = nx.Graph()
    for a, b in draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=2 * n, unique=True)):
        g.add_edge(a, b, length_km=draw(st.floats(1.0, 60.0)))
    return g


def _held(net: Network) -> dict[str, tuple[dict[str, int], bool]]:
    """Each daemon's database as seqs per origin, and whether it is current."""
    out = {}
    for name, mgr in net.managers.items():
        db = mgr.routing.lsdb
        out[name] = ({o: db[o].seq for o in db}, db.current())
    return out


@settings(max_examples=60, deadline=None)
@given(
    g=topologies(),
    changes=st.lists(st.tuples(st.integers(0, 3_000), st.integers(0, 50)), max_size=4),
    probes=st.lists(st.integers(1, 4_000), min_size=1, max_size=8),
    request=st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 2_000)),
)
def test_databases_and_waiting_requests_match_flooding_hop_by_hop(
    g: nx.Graph[str],
    changes: list[tuple[int, int]],
    probes: list[int],
    request: tuple[int, int, int],
) -> None:
    """Re-advertised links at random instants (µs) and a request made early: with the flood
    worked out when read and with one event per hop (the message log asks for those), every
    daemon holds the same seq of every origin at every probed instant, is current at the same
    ones, and the request has the same history."""
    edges = sorted(g.edges)
    nodes = sorted(g)
    nets = [Network(links_from_graph(g), seed=3, message_log=log) for log in (False, True)]
    assert nets[0]._flooding is not None
    assert nets[1]._flooding is None
    i, r, at_us = request
    ini, resp = nodes[i % len(nodes)], nodes[r % len(nodes)]
    cid = None
    for net in nets:
        for k, (t_us, e) in enumerate(changes):
            a, b = edges[e % len(edges)]
            f = 0.95 - 0.05 * k
            w = (f, (1 - f) / 2, (1 - f) / 3, (1 - f) / 6)
            net.scheduler.schedule_at(
                t_us * 1_000_000, lambda n=net, a=a, b=b, w=w: n.set_link_estimate(a, b, 2e3, w)
            )
        if ini != resp:
            cid = net.request(ini, resp, fidelity=0.6, pairs=2, at_s=at_us * 1e-6)
    for t_us in sorted(probes):
        for net in nets:
            net.scheduler.run(until_ps=t_us * 1_000_000)
        assert _held(nets[0]) == _held(nets[1])
    if cid is not None:
        reports = [net.run(0.004).connections[cid] for net in nets]
        assert reports[0] == reports[1]


def test_a_flood_costs_no_event_per_hop() -> None:
    """200 nodes in a line, no connection: until every advertisement is everywhere (10 ms)
    the network runs one event per node (its advertisement), not one per hop as well
    (199 hops each, with the message log), and every daemon holds all 200."""
    counts = {}
    for log in (False, True):
        net = line_network(200, seed=1, message_log=log)
        counts[log] = net.scheduler.run(until_ps=s_to_ps(0.01))
        assert {len(m.routing.lsdb) for m in net.managers.values()} == {200}
        assert all(m.routing.lsdb.current() for m in net.managers.values())
    assert counts == {False: 200, True: 200 + 200 * 199}


def test_a_database_holds_what_has_reached_its_node() -> None:
    """a -5- b -7- c (ps), and d alone: an advertisement a sends at 10 ps reaches b at 15 and
    c at 22, never d; a second one from a at 20 replaces it at b from 25 on. Until a flood is
    everywhere a node's view comes from its distances; c is current at 22 and d never."""
    clock = [0]
    hops = {"a": [("b", 5)], "b": [("a", 5), ("c", 7)], "c": [("b", 7)], "d": []}
    flooding = Flooding(hops, lambda: clock[0])
    store = LinkStateStore()
    dbs = {v: LinkStateDatabase(store) for v in hops}
    for v, db in dbs.items():
        flooding.follow(db, v)

    def send(seq: int, t: int) -> None:
        clock[0] = t
        lsa = LinkStateAdvertisement("a", seq, ())
        dbs["a"].offer(lsa)
        flooding.flood(lsa)

    def seqs(t: int) -> dict[str, int]:
        clock[0] = t
        return {v: db.get_seq("a") for v, db in dbs.items()}

    send(1, 10)
    assert seqs(14) == {"a": 1, "b": 0, "c": 0, "d": 0}
    assert seqs(15) == {"a": 1, "b": 1, "c": 0, "d": 0}
    send(2, 20)
    assert seqs(22) == {"a": 2, "b": 1, "c": 1, "d": 0}
    assert seqs(25) == {"a": 2, "b": 2, "c": 1, "d": 0}
    assert flooding.current_at(dbs["c"]) == 32
    assert flooding.current_at(dbs["d"]) is None
    assert seqs(10**6) == {"a": 2, "b": 2, "c": 2, "d": 0}
    assert [dbs[v].current() for v in "abcd"] == [True, True, True, False]


def test_once_settled_a_stale_database_takes_every_newest_advertisement_at_once() -> None:
    """A connected line: after the bound (here 2 × 12 ps from pivot a) a stale database
    takes the newest of every origin in one step, and the store still keeps one version of
    each origin once every database has the newest."""
    clock = [0]
    hops = {"a": [("b", 5)], "b": [("a", 5), ("c", 7)], "c": [("b", 7)]}
    flooding = Flooding(hops, lambda: clock[0])
    store = LinkStateStore()
    dbs = {v: LinkStateDatabase(store) for v in hops}
    for v, db in dbs.items():
        flooding.follow(db, v)
    for seq in (1, 2):
        for v in hops:
            lsa = LinkStateAdvertisement(v, seq, ())
            dbs[v].offer(lsa)
            flooding.flood(lsa)
        clock[0] += 1
    assert flooding.settled_ps == 1 + 24
    clock[0] = 25
    assert all(db.current() for db in dbs.values())
    assert {v: len(db) for v, db in dbs.items()} == {"a": 3, "b": 3, "c": 3}
    assert store.stored() == 3


@pytest.mark.parametrize("log", [False, True])
def test_a_request_before_convergence_leaves_when_the_last_advertisement_arrives(
    log: bool,
) -> None:
    """A 30-node line, request n0 → n29 at t = 0: n0 becomes current when n29's
    advertisement arrives (29 hops), and the request leaves then, flooded either way."""
    net = line_network(30, length_km=10.0, memories=4, seed=1, message_log=log)
    c = net.request("n0", "n29", fidelity=0.5, pairs=1, at_s=0.0)
    report = net.run(0.02).connections[c]
    hop = s_to_ps(net.delay_s["n0"]["n1"])
    up = next(e for e in report.events if e.kind == "up")
    assert up.t_ps == 29 * hop + 29 * hop + s_to_ps(net.delay_s["n29"]["n0"])
    assert (report.status, report.attempts) == ("done", 1)


@pytest.mark.parametrize("log", [False, True])
def test_a_zero_latency_hop_floods_hop_by_hop(log: bool) -> None:
    """a -0 km- b -10 km- c, request a → b at t = 0. b's advertisement reaches a in the
    picosecond it is sent and, taken first in its picosecond, is there when the request
    leaves: up at 0 (every message of a-b takes 0 ps), not when c's advertisement completes
    a's database (48.08 µs), flooded either way. Still flooded hop by hop: within the event
    that advertises (``set_link_estimate`` both ends of a link, a monitoring tick every node
    that moved) a flood worked out when read would show an advertisement over a 0 ps hop at
    once, where hop by hop it is taken only after that event."""
    g: nx.Graph[str] = nx.Graph()
    g.add_edge("a", "b", length_km=0.0)
    g.add_edge("b", "c", length_km=10.0)
    net = Network(links_from_graph(g, memories=4), seed=1, message_log=log)
    c = net.request("a", "b", fidelity=0.6, pairs=3, at_s=0.0)
    report = net.run(0.01).connections[c]
    up = next(e for e in report.events if e.kind == "up")
    assert up.t_ps == 0
    assert (report.status, report.attempts, len(report.pairs)) == ("done", 1, 3)
    assert net._flooding is None


@pytest.mark.parametrize("log", [False, True])
def test_a_route_its_own_advertisement_gives_leaves_at_once(log: bool) -> None:
    """n0 -10 km- n1. At 1 ms link monitoring at n0 finds the link at Werner 0.4 and n0
    re-advertises it (what ``SubLinks.monitor_tick`` does: n0's own estimate, then
    ``_advertise``); a request n0 → n1 for fidelity 0.9 a picosecond later has no route (no
    purification reaches 0.9 from 0.4) and waits. At 1.01 ms monitoring finds 0.99: n0's own
    advertisement gives the route, and the request leaves then, in that event, flooded
    either way: up once the request and its response have crossed the link."""
    net = line_network(2, length_km=10.0, memories=4, seed=1, message_log=log)

    def monitor(fidelity: float) -> None:
        known = net.link_state("n0", "n1")
        weights = BellDiagonal.werner(fidelity).as_tuple()
        net._estimates[("n0", "n1")] = dataclasses.replace(known, weights=weights)
        net._advertise("n0")

    net.scheduler.schedule_at(s_to_ps(1e-3), lambda: monitor(0.4))
    c = net.request("n0", "n1", fidelity=0.9, pairs=2, at_s=1e-3 + 1e-12)
    net.scheduler.schedule_at(s_to_ps(1.01e-3), lambda: monitor(0.99))
    report = net.run(0.01).connections[c]
    up = next(e for e in report.events if e.kind == "up")
    assert up.t_ps == s_to_ps(1.01e-3) + 2 * s_to_ps(net.delay_s["n0"]["n1"])
    assert (report.status, report.attempts, len(report.pairs)) == ("done", 1, 2)


@pytest.mark.parametrize("log", [False, True])
def test_a_request_in_the_picosecond_an_advertisement_arrives_sees_it(log: bool) -> None:
    """a -10 km- b -10 km- c and a -30 km- c, routed by fibre length; classical delays a-b
    200 µs, b-c and a-c 100 µs, so b's advertisement reaches a at exactly 200 µs, when a's
    request to c leaves (queued before the run, long before the advertisement's last hop).
    An arriving advertisement is taken first in its picosecond, flooded either way: a holds
    b's and goes a-b-c (20 km), not a-c (30 km) as when the request came first hop by hop
    and a flood worked out when read showed it b's all the same. Up once the request has
    gone a-b-c and the response come back from c (100 µs each way)."""
    g: nx.Graph[str] = nx.Graph()
    g.add_edge("a", "b", length_km=10.0)
    g.add_edge("b", "c", length_km=10.0)
    g.add_edge("a", "c", length_km=30.0)
    classical: nx.Graph[str] = nx.Graph()
    classical.add_edge("a", "b", delay_s=2e-4)
    classical.add_edge("b", "c", delay_s=1e-4)
    classical.add_edge("a", "c", delay_s=1e-4)
    net = Network(
        links_from_graph(g), seed=1, metric="length", classical=classical, message_log=log
    )
    c = net.request("a", "c", fidelity=0.6, pairs=3, at_s=2e-4)
    report = net.run(0.01).connections[c]
    assert report.path == ("a", "b", "c")
    assert report.events[0].t_ps == s_to_ps(2e-4) + s_to_ps(2e-4) + s_to_ps(1e-4) + s_to_ps(1e-4)
    assert (report.status, report.attempts, len(report.pairs)) == ("done", 1, 3)


def test_a_network_in_two_pieces_keeps_only_the_floods_that_can_still_be_news() -> None:
    """a -10 km- b and c -10 km- d, no channel between the pieces. a-b re-advertised every
    millisecond, 40 times: each flood has reached all of its piece (b, 48 µs away) before
    the next leaves, so of a's floods two are kept when the last leaves (the one before,
    which has reached all, and the last, on its way), as in a connected network: not all
    41 (a piece's flood never reaches everyone, which alone let them pile up). Every node
    of a's piece holds its newest, c and d none."""
    g: nx.Graph[str] = nx.Graph()
    g.add_edge("a", "b")
    g.add_edge("c", "d")
    net = Network(links_from_graph(g, memories=4), seed=1)
    flooding = net._flooding
    assert flooding is not None
    for k in range(40):
        f = 0.95 - 0.001 * (k % 2)
        w = (f, (1 - f) / 2, (1 - f) / 3, (1 - f) / 6)
        net.scheduler.schedule_at(
            s_to_ps(1e-3 * (k + 1)), lambda w=w: net.set_link_estimate("a", "b", 2e3, w)
        )
    net.run(0.05)
    assert [len(flooding._floods[v]) for v in "abcd"] == [2, 2, 1, 1]
    seqs = {v: net.managers[v].routing.lsdb.get_seq("a") for v in "abcd"}
    assert seqs == {"a": 41, "b": 41, "c": 0, "d": 0}


@pytest.mark.parametrize("log", [False, True])
def test_managers_woken_in_one_picosecond_go_on_in_the_order_their_last_advertisements_arrive(
    log: bool,
) -> None:
    """A star, v0 in the middle, four 10 km arms, one memory per QNIC; at t = 0 v0 asks for
    v3, v1 for v4 and v4 for v3. v1 and v4 hold every advertisement at the same instant (two
    hops, 96.15 µs), each when the last of the others' reaches it through v0. v0 passed them
    on in the order they reached it (v1's, v2's, v3's, v4's), each to its other arms in name
    order: v4's last (v3's) arrives before v1's last (v4's), so v4's request leaves first and
    reaches v0 first, where c0 holds the memory toward v3: refused at 4 hops. v1's request
    then finds v0's memories free and v4's released by the time it gets there: up at 6 hops
    (request v1 → v0 → v4, response back). Flooded hop by hop or worked out when read."""
    g = nx.relabel_nodes(nx.star_graph(4), {i: f"v{i}" for i in range(5)})
    net = Network(links_from_graph(g, memories=1), seed=224, metric="length", message_log=log)
    for i, (a, b) in enumerate([("v0", "v3"), ("v1", "v4"), ("v4", "v3")]):
        net.request(a, b, fidelity=0.6, pairs=2, memories=1, at_s=0.0, connection=f"c{i}")
    reports = net.run(0.01).connections
    hop = s_to_ps(net.delay_s["v0"]["v1"])
    first = {c: reports[c].events[0] for c in ("c1", "c2")}
    assert (first["c1"].kind, first["c1"].t_ps, reports["c1"].path) == (
        "up",
        6 * hop,
        ("v1", "v0", "v4"),
    )
    assert (first["c2"].kind, first["c2"].t_ps) == ("rejected", 4 * hop)
    assert first["c2"].detail == "v0 is busy: 0 of 1 memories toward v3 free"


def test_versions_no_read_can_return_to_are_dropped_from_the_store() -> None:
    """n0 … n9 in a line; n0-n1 re-advertised every millisecond, 24 times, and half a
    millisecond after each one node of n2 … n9 in turn reads its database: each is left
    holding (until it reads again) another version of n0's and n1's advertisements. Each
    flood has reached every node before the next leaves, so no read can take an older one
    again (a read catches up first): the store keeps the newest two of each, 2 + 2 + 8 in
    all, where hop by hop (every node takes each as it arrives) it keeps 1 + 1 + 8."""
    stored = {}
    for log in (False, True):
        net = line_network(10, length_km=10.0, seed=1, message_log=log)
        for k in range(24):
            f = 0.95 - 0.001 * (k % 2)
            w = (f, (1 - f) / 2, (1 - f) / 3, (1 - f) / 6)
            net.scheduler.schedule_at(
                s_to_ps(1e-3 * (k + 1)),
                lambda w=w, net=net: net.set_link_estimate("n0", "n1", 2e3, w),
            )
            reader = net.managers[f"n{2 + k % 8}"].routing.lsdb
            net.scheduler.schedule_at(s_to_ps(1e-3 * (k + 1.5)), lambda r=reader: r.get_seq("n0"))
        net.run(0.03)
        stored[log] = net.link_states.stored()
        assert {m.routing.lsdb.get_seq("n0") for m in net.managers.values()} == {25}
    assert stored == {False: 12, True: 10}


@st.composite
def classical_cases(draw: st.DrawFn) -> tuple[nx.Graph[str], nx.Graph[str]]:
    """A topology of equal-ish fibres and a classical network of its own: each fibre's
    channel 50, 100 or 200 µs, and up to three extra channels (a shortcut, or one slower
    than the path it skips), so that advertisements and requests meet in one picosecond."""
    g = draw(topologies())
    for a, b in g.edges:
        g.edges[a, b]["length_km"] = draw(st.sampled_from([5.0, 10.0]))
    classical: nx.Graph[str] = nx.Graph()
    for a, b in sorted(g.edges):
        classical.add_edge(a, b, delay_s=draw(st.sampled_from([5e-5, 1e-4, 2e-4])))
    nodes = sorted(g)
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        if a != b:
            classical.add_edge(a, b, delay_s=draw(st.sampled_from([5e-5, 1.5e-4, 4e-4])))
    return g, classical


@settings(max_examples=40, deadline=None)
@given(
    case=classical_cases(),
    metric=st.sampled_from(["qdijkstra", "hops", "length"]),
    changes=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 50)), max_size=4),
    requests=st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 40)), min_size=1, max_size=4
    ),
)
def test_runs_over_a_classical_network_of_its_own_match_flooding_hop_by_hop(
    case: tuple[nx.Graph[str], nx.Graph[str]],
    metric: str,
    changes: list[tuple[int, int]],
    requests: list[tuple[int, int, int]],
) -> None:
    """Requests and re-advertisements on a 50 µs grid over classical channels of 50 to
    400 µs (instants where advertisements arrive), two memories per QNIC (requests contend):
    every connection has the same history, path and pairs, flooded hop by hop (the message
    log asks for it) or worked out when read."""
    g, classical = case
    edges, nodes = sorted(g.edges), sorted(g)
    links = links_from_graph(g, memories=2)
    reports = []
    for log in (False, True):
        net = Network(links, seed=5, metric=metric, classical=classical, message_log=log)
        for t, e in changes:
            a, b = edges[e % len(edges)]
            net.scheduler.schedule_at(
                t * 50_000_000,
                lambda a=a, b=b, net=net: net.set_link_estimate(a, b, 2e3, (0.9, 0.05, 0.03, 0.02)),
            )
        for i, (x, y, t) in enumerate(requests):
            a, b = nodes[x % len(nodes)], nodes[y % len(nodes)]
            if a != b:
                net.request(a, b, 0.6, pairs=2, memories=2, at_s=t * 5e-5, connection=f"c{i}")
        reports.append(net.run(0.01).connections)
    assert reports[0] == reports[1]


def test_distance_rows_are_kept_for_the_most_recently_used_nodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``_recent`` keeps the rows of the ``_ROWS`` (16) most recently used nodes: of 17
    nodes asked in turn, with the first asked again before the 17th, the second is the one
    worked out again, and the first and the 17th are not."""
    worked: list[str] = []

    def dijkstra(edges: object, node: str) -> dict[str, int]:
        worked.append(node)
        return {node: 0}

    monkeypatch.setattr(_flooding, "_dijkstra", dijkstra)
    rows: OrderedDict[str, dict[str, int]] = OrderedDict()
    nodes = [f"v{i:02}" for i in range(_flooding._ROWS + 1)]
    for v in [*nodes[:-1], nodes[0], nodes[-1], nodes[0], nodes[-1], nodes[1]]:
        assert _flooding._recent(rows, v, {}) == {v: 0}
    assert worked == [*nodes, nodes[1]]
    assert len(rows) == _flooding._ROWS
