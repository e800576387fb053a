"""The order of events within one picosecond, flooding worked out when read (``Flooding``)
against flooding message by message: the managers woken in one picosecond go on in the
order of the events that bring each its last advertisement, and before anything else then."""

from __future__ import annotations

import heapq
import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.control import Network, line_network, links_from_graph
from qrna.control._flooding import Flooding
from qrna.control._messages import LinkStateAdvertisement
from qrna.kernel import s_to_ps


def _event_order(
    hops: dict[str, list[tuple[str, int]]], floods: list[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """Flooding message by message, as ``Network``'s scheduler runs it: events in order of
    time, then priority (a flood call 0, an arriving message -1), then when they were queued;
    an origin's flood calls in the order made. A node that takes an advertisement newer than
    what it holds of its origin passes it on to its neighbours in their order but the one it
    came from. Returns {(flood number, node): the place in the run of the event that brought
    it there (the origin: its flood call)}."""
    heap: list[tuple[int, int, int, str, int, str | None]] = []
    queued = itertools.count()
    for number, (t0, origin) in enumerate(floods):
        heapq.heappush(heap, (t0, 0, number, origin, number, None))
    held: dict[tuple[str, str], int] = {}
    place: dict[tuple[int, str], int] = {}
    ran = 0
    while heap:
        t, _, _, node, number, came_from = heapq.heappop(heap)
        origin = floods[number][1]
        if came_from is not None and (node == origin or held.get((node, origin), -1) >= number):
            continue  # not new: kept, not passed on
        held[node, origin] = number
        place[number, node] = ran
        ran += 1
        for n, ps in hops[node]:
            if n != came_from:
                heapq.heappush(heap, (t + ps, -1, next(queued), n, number, node))
    return place


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 7),
    edges=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 3)), max_size=14),
    names=st.permutations("abcdefg"),
    sent=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6)), min_size=1, max_size=5),
)
def test_woken_in_one_picosecond_in_the_order_of_the_events_that_bring_their_last_news(
    n: int, edges: list[tuple[int, int, int]], names: list[str], sent: list[tuple[int, int]]
) -> None:
    """Random networks of 2 to 7 nodes, named out of distance order, with hops of 1 to 3 ps
    (so that many messages arrive in one picosecond, over paths of equal latency), and up to
    five floods in the first 4 ps: at every later instant ``wake_order`` of all nodes puts
    first those no flood's newest advertisement reaches then (by name), the others in the
    order of the events that bring each its last, flooded message by message."""
    nodes = names[:n]
    latency = {(nodes[a % n], nodes[b % n]): ps for a, b, ps in edges if a % n != b % n}
    hops: dict[str, list[tuple[str, int]]] = {v: [] for v in nodes}
    for (a, b), ps in sorted(latency.items()):
        if (b, a) not in latency or a < b:
            hops[a].append((b, ps))
            hops[b].append((a, ps))
    hops = {v: sorted(out) for v, out in hops.items()}
    floods = [(t0, nodes[o % n]) for t0, o in sorted(sent)]
    clock = [0]
    flooding = Flooding(hops, lambda: clock[0])
    seqs: dict[str, int] = {}
    for t0, origin in floods:
        clock[0] = t0
        seqs[origin] = seqs.get(origin, 0) + 1
        flooding.flood(LinkStateAdvertisement(origin, seqs[origin], ()))
    place = _event_order(hops, floods)
    newest = {origin: number for number, (_, origin) in enumerate(floods)}
    for now in range(floods[-1][0], floods[-1][0] + 3 * n + 1):
        clock[0] = now
        due: dict[str, int] = {}
        for origin, number in newest.items():
            for v in nodes:
                d = flooding._row(v).get(origin)
                if d is not None and floods[number][0] + d == now:
                    due[v] = max(due.get(v, -1), place[number, v])
        expected = sorted(nodes, key=lambda v: (due.get(v, -1), v))
        assert flooding.wake_order(nodes) == expected, now


@pytest.mark.parametrize("log", [False, True])
def test_a_manager_woken_for_its_routes_goes_on_before_a_request_in_that_picosecond(
    log: bool,
) -> None:
    """n0 -10 km- n1 -10 km- n2, one memory per QNIC. c0 (n0 → n2, asked at 0) waits for
    n2's advertisement, which reaches n0 at two hops; c1 (n0 → n2) is asked at exactly that
    instant, queued before the run. The advertisement is taken first in its picosecond and
    c0 goes on in that event, so c0 holds n0's memory and c1 finds it busy: c0 up at six
    hops (request there, response back), c1 refused at once. Flooded hop by hop or worked
    out when read."""
    net = line_network(3, length_km=10.0, memories=1, seed=1, message_log=log)
    hop = s_to_ps(net.delay_s["n0"]["n1"])
    for cid, at in (("c0", 0), ("c1", 2 * hop)):
        net.request("n0", "n2", fidelity=0.5, pairs=1, memories=1, at_s=at * 1e-12, connection=cid)
    reports = net.run(0.01).connections
    first = {c: reports[c].events[0] for c in ("c0", "c1")}
    assert (first["c0"].kind, first["c0"].t_ps, first["c0"].detail) == ("up", 6 * hop, "n0-n1-n2")
    assert (first["c1"].kind, first["c1"].t_ps, first["c1"].detail) == (
        "rejected",
        2 * hop,
        "n0 is busy: 0 of 1 memories toward n1 free",
    )


def test_flooded_hop_by_hop_a_passed_on_advertisement_is_taken_before_a_request_then() -> None:
    """Fibres a -10 km- b -10 km- c and a -30 km- c, routed by fibre length; classical
    channels a-c and b-c of 100 µs and c-d of 0 (d on a 0 km fibre from c). The 0 ps hop has
    the network flood message by message even without a message log. b's advertisement,
    passed on by c, reaches a at exactly 200 µs, when a's request to c (queued before the
    run) leaves: taken first in its picosecond, it sends the request a-b-c (20 km), not a-c
    (30 km). Up once the request has reached b (200 µs, through c) and c, and the response
    come back to a (100 µs)."""
    g: nx.Graph[str] = nx.Graph()
    classical: nx.Graph[str] = nx.Graph()
    for u, v, km in [("a", "b", 10.0), ("b", "c", 10.0), ("a", "c", 30.0), ("c", "d", 0.0)]:
        g.add_edge(u, v, length_km=km)
    for u, v, delay_s in [("a", "c", 1e-4), ("b", "c", 1e-4), ("c", "d", 0.0)]:
        classical.add_edge(u, v, delay_s=delay_s)
    net = Network(links_from_graph(g), seed=1, metric="length", classical=classical)
    assert net._flooding is None
    c = net.request("a", "c", fidelity=0.6, pairs=3, at_s=2e-4)
    report = net.run(0.01).connections[c]
    assert report.path == ("a", "b", "c")
    assert report.events[0].t_ps == s_to_ps(2e-4) + s_to_ps(2e-4) + 2 * s_to_ps(1e-4)
    assert (report.status, report.attempts, len(report.pairs)) == ("done", 1, 3)
