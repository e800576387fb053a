"""Routing and the generator's estimate against hand-computed answers: asymmetric and
one-sided link-state advertisements, and closed-form delivered fidelity and rate of a 3-node
chain whose memories only dephase (T2, no T1) and whose gates are perfect."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import networkx as nx
import pytest

from qrna.control import (
    ControlError,
    LinkState,
    Network,
    RoutingDaemon,
    estimate,
    line_network,
    links_from_graph,
    random_graph,
)
from qrna.control._delays import _ROWS, ClassicalDelays
from qrna.control._lsdb import LinkStateDatabase, LinkStateStore
from qrna.control._messages import HopRecord, LinkStateAdvertisement
from qrna.control._waiting import ChainTiming, LinkTiming, chain_timing
from qrna.hardware import QNIC
from qrna.link import LinkEstimate, LinkMonitor, PairName
from qrna.physics import BellDiagonal, GateNoise, purify, swap
from qrna.rules import PairDelivered


def _link(neighbour: str, km: float) -> LinkState:
    return LinkState(neighbour, 1000.0, (1.0, 0.0, 0.0, 0.0), km, 1e-5)


def _daemon(adverts: dict[str, list[LinkState]]) -> RoutingDaemon:
    """The daemon of ``a`` (length metric) holding exactly these advertisements."""
    d = RoutingDaemon("a", neighbours=["b", "c"], metric="length")
    d.set_links(adverts.pop("a"))
    for origin, links in sorted(adverts.items()):
        d.on_advertisement("b", LinkStateAdvertisement(origin, 1, tuple(links)))
    return d


@pytest.mark.parametrize(("a_view", "b_view"), [(1.0, 10.0), (10.0, 1.0)])
def test_a_link_costs_the_worse_of_its_two_ends_views(a_view: float, b_view: float) -> None:
    """Diamond a–b–d, a–c–d. The ends of a–b disagree (1 km and 10 km); the link costs 10
    whichever end says so, so a–b–d costs 11 and the route is a–c–d at 5 + 1 = 6 (with the
    better view, 1, it would be a–b–d at 2)."""
    d = _daemon(
        {
            "a": [_link("b", a_view), _link("c", 5.0)],
            "b": [_link("a", b_view), _link("d", 1.0)],
            "c": [_link("a", 5.0), _link("d", 1.0)],
            "d": [_link("b", 1.0), _link("c", 1.0)],
        }
    )
    assert d.path("d", 0.5) == ["a", "c", "d"]
    assert d.cost("d", 0.5) == 6.0
    assert d.graph(0.5).edges["a", "b"]["cost"] == 10.0
    assert d.graph(0.5).edges["b", "d"]["cost"] == 1.0


def test_a_link_only_one_end_advertises_is_not_routed_over() -> None:
    """a advertises a–b at 1 km, b does not list a: the only route to b is a–c–b (2 + 2)."""
    d = _daemon(
        {
            "a": [_link("b", 1.0), _link("c", 2.0)],
            "b": [_link("c", 2.0)],
            "c": [_link("a", 2.0), _link("b", 2.0)],
        }
    )
    assert d.path("b", 0.5) == ["a", "c", "b"]
    assert d.cost("b", 0.5) == 4.0
    assert not d.graph(0.5).has_edge("a", "b")
    # With b silent altogether, a–b is one-sided too and b is out of reach.
    lone = _daemon({"a": [_link("b", 1.0)], "c": []})
    assert lone.path("b", 0.5) is None
    assert math.isinf(lone.cost("b", 0.5))


def test_equally_cheap_paths_take_the_fewest_hops_whichever_predecessor_came_first() -> None:
    """a–b–c–x (0.5 + 0.5 + 1 km) and a–e–x (1.5 + 0.5 km) both cost 2 km. The search
    settles c (1 km) before e (1.5 km), so c is x's first-found predecessor, yet x is
    2 hops away (through e, 1 hop), not 3: the route is a–e–x."""
    d = _daemon(
        {
            "a": [_link("b", 0.5), _link("e", 1.5)],
            "b": [_link("a", 0.5), _link("c", 0.5)],
            "c": [_link("b", 0.5), _link("x", 1.0)],
            "e": [_link("a", 1.5), _link("x", 0.5)],
            "x": [_link("c", 1.0), _link("e", 0.5)],
        }
    )
    assert d.cost("x", 0.5) == 2.0
    assert d.path("x", 0.5) == ["a", "e", "x"]


def _hop(node: str, t2: float, link: LinkState | None) -> HopRecord:
    return HopRecord(node, link, 8, 8, 0.0, 0.0, math.inf, t2)


# A 3-node chain: T2 per node, a Φ+/Φ− (dephased) link state per link, different rates and
# latencies, so that every term of the closed form below is distinct.
T2 = (0.05, 0.02, 0.08)
R1, R2 = 400.0, 250.0
L1, L2 = 3e-5, 7e-5
W1 = (0.97, 0.0, 0.0, 0.03)
W2 = (0.9, 0.0, 0.0, 0.1)


def _chain() -> tuple[HopRecord, ...]:
    return (
        _hop("a", T2[0], None),
        _hop("b", T2[1], LinkState("a", R1, W1, 6.0, L1)),
        _hop("c", T2[2], LinkState("b", R2, W2, 14.0, L2)),
    )


def _closed_form(memories: int) -> float:
    """Pure dephasing keeps a pair on Φ+/Φ− and multiplies its coherence A − D by e^{−t/T2}
    per half per second waited; a perfect swap multiplies the coherences. Each link pair waits
    in both its memories for as long as the waiting model says (``chain_timing``: from its
    emission until b swaps it), and the swapped pair until both ends hold it."""
    timing = _timing(memories)
    ta, tb = timing.swap_waits[1]
    deliver = timing.delivery_wait
    exponent = (
        ta * (1 / T2[0] + 1 / T2[1])
        + tb * (1 / T2[1] + 1 / T2[2])
        + deliver * (1 / T2[0] + 1 / T2[2])
    )
    coherence = (W1[0] - W1[3]) * (W2[0] - W2[3]) * math.exp(-exponent)
    return (1 + coherence) / 2


def _timing(memories: int) -> ChainTiming:
    """The waiting model of ``_chain``: links whose advertised rates are made by ``memories``
    bins, rounds of the link's latency (no per-attempt probability advertised)."""
    links = tuple(
        LinkTiming(rate * latency / memories, latency, latency, latency)
        for rate, latency in ((R1, L1), (R2, L2))
    )
    return chain_timing(links, "nested", memories)


@pytest.mark.parametrize("memories", [1, 3])
def test_estimate_is_the_dephasing_closed_form_of_a_three_node_chain(memories: int) -> None:
    """estimate() of a 3-node chain without purification: F = (1 + c)/2 with the coherence c
    of ``_closed_form``, to 1e-12; the rate is the waiting model's, below the slower link's
    250 Hz (bins hold pairs that wait for the other link and the swap result)."""
    fidelity, rate = estimate(_chain(), "dejmps", 0, "nested", "dejmps", 0, memories)
    assert fidelity == pytest.approx(_closed_form(memories), rel=1e-12, abs=1e-12)
    assert rate == _timing(memories).rate_hz
    assert 0.5 * R2 < rate < R2
    # The memories' queue matters: with 3 memories pairs wait longer for their partners.
    assert _closed_form(3) < _closed_form(1) - 1e-3


def test_estimate_rate_through_swaps_is_below_the_slowest_link() -> None:
    """A 4-node chain of links at 900, 150 and 600 Hz (two memories) delivers below 150 Hz in
    either swap order, but not far below: the slow link's bins also hold pairs waiting for
    the swap results (each 10 µs away, its rounds 10 µs long: a few per cent)."""
    hops = (
        _hop("a", 1.0, None),
        _hop("b", 1.0, LinkState("a", 900.0, W1, 1.0, 1e-5)),
        _hop("c", 1.0, LinkState("b", 150.0, W1, 1.0, 1e-5)),
        _hop("d", 1.0, LinkState("c", 600.0, W1, 1.0, 1e-5)),
    )
    for order in ("nested", "sequential"):
        _, rate = estimate(hops, "dejmps", 0, order, "dejmps", 0, 2)
        assert 0.9 * 150.0 < rate < 150.0, order


def test_estimate_caps_t2_at_twice_t1_on_a_one_link_path() -> None:
    """Memories that only relax (T1 = 10 ms and 40 ms, T2 = inf read as 2·T1): a perfect pair
    over one link waits the link's latency L = 1 ms at both ends. Each half's twirled channel
    has p_x = p_y = (1 − a)/4, p_z = (1 − √a)²/4, p_I = (1 + √a)²/4 with a = e^{−L/T1}, and
    F = Σ_k p_k(a) p_k(b), to 1e-12. Uncapped (T2 = inf taken as is) p_z would be 0: F is
    then 6e-4 higher."""
    t1 = (0.01, 0.04)
    latency = 1e-3
    hops = (
        HopRecord("a", None, 8, 8, 0.0, 0.0, t1[0], math.inf),
        HopRecord(
            "b",
            LinkState("a", 300.0, (1.0, 0.0, 0.0, 0.0), 200.0, latency),
            8,
            8,
            0.0,
            0.0,
            t1[1],
            math.inf,
        ),
    )

    def channel(t1_s: float) -> tuple[float, float, float, float]:
        a = math.exp(-latency / t1_s)
        s = math.sqrt(a)
        return ((1 + s) ** 2 / 4, (1 - a) / 4, (1 - a) / 4, (1 - s) ** 2 / 4)

    expected = sum(p * q for p, q in zip(channel(t1[0]), channel(t1[1]), strict=True))
    fidelity, rate = estimate(hops, "dejmps", 0, "nested", "dejmps", 0, 2)
    assert fidelity == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert rate == 300.0
    assert 0.9 < expected < 0.99


def test_estimate_assumes_one_memory_unless_told_and_a_dead_link_delivers_nothing() -> None:
    """Without ``memories`` the estimate is the one-memory closed form (not two memories'); a
    path with a link at 0 Hz (link monitoring saw no pair) expects neither fidelity nor rate.
    (Named anew when estimate moved to its own module: mutmut maps tests to functions once.)"""
    fidelity, rate = estimate(_chain(), "dejmps", 0, "nested", "dejmps", 0)
    assert fidelity == pytest.approx(_closed_form(1), rel=1e-12, abs=1e-12)
    assert abs(fidelity - _closed_form(2)) > 1e-4
    assert rate == _timing(1).rate_hz
    dead = (_chain()[0], _chain()[1], _hop("c", T2[2], LinkState("b", 0.0, W2, 14.0, L2)))
    assert estimate(dead, "dejmps", 0, "nested", "dejmps", 0) == (0.0, 0.0)


def _dephased_line(n: int) -> tuple[HopRecord, ...]:
    """n nodes, perfect memories and gates, every link advertising Φ+ 0.9 / Φ− 0.1."""
    hops = [_hop("n0", math.inf, None)]
    for i in range(1, n):
        hops.append(_hop(f"n{i}", math.inf, LinkState(f"n{i - 1}", 500.0, W2, 5.0, 2.5e-5)))
    return tuple(hops)


@pytest.mark.parametrize(
    ("scheme", "expected"), [("dejmps", 0.9122855953854935), ("bbpssw", 0.7412620500392927)]
)
def test_estimate_purifies_level_one_segments_with_the_scheme_named(
    scheme: str, expected: float
) -> None:
    """5 nodes, nested, one round at level 1: the segments n0–n2 and n2–n4 are each
    swap(L, L) of the link state L, purified against a copy of themselves, and the top swap
    joins the two kept pairs. Without decoherence that is the physics layer's closed form:
    on Φ+/Φ− segments DEJMPS keeps 0.9123 and BBPSSW (which twirls) 0.7413, against 0.7048
    unpurified."""
    link = BellDiagonal.from_weights(W2)
    _, kept = purify(swap(link, link), swap(link, link), scheme)
    assert kept is not None
    assert swap(kept, kept).fidelity == pytest.approx(expected, abs=1e-12)
    fidelity, _ = estimate(
        _dephased_line(5),
        "dejmps",
        0,
        "nested",
        "dejmps",
        0,
        segment_rounds=(1,),
        segment_schemes=(scheme,),
    )
    assert fidelity == pytest.approx(expected, abs=1e-12)


def test_a_database_holds_only_what_it_took_of_a_shared_store() -> None:
    """Two databases over one store: the origin one of them took is known to the store, but
    the other holds none of it (seq 0, not ``in``); an origin nobody advertised is seq 0 too."""
    store = LinkStateStore()
    took, other = LinkStateDatabase(store), LinkStateDatabase(store)
    assert took.offer(LinkStateAdvertisement("x", 3, ()))
    assert (took.get_seq("x"), other.get_seq("x"), took.get_seq("nobody")) == (3, 0, 0)
    assert "x" in took
    assert "x" not in other
    assert "nobody" not in took
    assert 3 not in took  # not an address


def test_the_delays_keep_the_rows_used_last() -> None:
    """``ClassicalDelays`` keeps whole rows in a least-recently-used set of ``_ROWS``: on a
    line of ``_ROWS`` + 4 nodes, rows n0 … n(_ROWS − 1), n0 again, then n(_ROWS) leave n1
    out, and n0 and n(_ROWS) last."""
    n = _ROWS + 4
    g: nx.Graph[str] = nx.Graph()
    for i in range(n - 1):
        g.add_edge(f"n{i}", f"n{i + 1}", delay_s=1e-3)
    d = ClassicalDelays(g)
    for i in range(_ROWS):
        assert d.row(f"n{i}")[f"n{n - 1}"] == pytest.approx((n - 1 - i) * 1e-3, rel=1e-12)
    d.row("n0")
    d.row(f"n{_ROWS}")
    assert list(d._rows) == [f"n{i}" for i in range(2, _ROWS)] + ["n0", f"n{_ROWS}"]


def test_a_duration_demand_ends_that_long_after_it_is_up_and_says_so() -> None:
    """A 5 ms demand is torn down 5 ms (to the picosecond) after the connection is up, and
    its "done" event says why."""
    net = line_network(3, seed=1)
    c = net.request("n0", "n2", fidelity=0.5, duration_s=0.005)
    net.run(0.02)
    report = net.reports()[c]
    assert report.status == "done"
    (up, done) = report.events
    assert (up.kind, up.detail) == ("up", "n0-n1-n2")
    assert (done.kind, done.detail) == ("done", "0.005 s elapsed")
    assert done.t_ps - up.t_ps == 5 * 10**9


def test_an_unknown_node_has_no_delays_and_the_error_names_it() -> None:
    g: nx.Graph[str] = nx.Graph()
    g.add_edge("a", "b", delay_s=1e-3)
    g.add_node("lone")
    d = ClassicalDelays(g)
    with pytest.raises(KeyError) as src:
        d["zz"]
    assert src.value.args == ("zz",)
    with pytest.raises(KeyError) as dst:
        d["a"]["lone"]
    assert dst.value.args == ("lone",)
    assert d["a"]["b"] == 1e-3


def test_the_delays_row_of_an_unknown_node_names_it() -> None:
    g: nx.Graph[str] = nx.Graph()
    g.add_edge("a", "b", delay_s=1e-3)
    with pytest.raises(nx.NodeNotFound) as row:
        ClassicalDelays(g).row("zz")
    assert str(row.value) == "Node zz not found in graph"


def test_a_delivered_half_reads_with_its_qnics_readout_error() -> None:
    """One ideal link a–c (Φ+ to 1e-9, no swap): each end reads its half in Z on arrival and
    gives it back. Each readout flips its bit with probability r = 0.2 independently, so the
    two bits differ with 2r(1 − r) = 0.32, within 4 standard errors over 400 pairs (without
    the readout error they would always agree)."""
    qnic = QNIC(8, gate_noise=GateNoise(readout_error=0.2))
    net = Network(links_from_graph(nx.path_graph(["a", "c"]), qnic=qnic), seed=4)
    cid = net.request("a", "c", fidelity=0.5, pairs=400)
    bits: dict[str, dict[PairName, int]] = {"a": {}, "c": {}}

    def read(node: str, d: PairDelivered) -> None:
        assert d.qubit is not None
        bits[node][d.name] = net.measure(node, d.qubit, "Z")
        net.release(d.qubit)

    for node in bits:
        net.attach(cid, node, lambda d, node=node: read(node, d), hold=True)
    net.run(0.5)
    pairs = [p for p in net.ledger.delivered if p.connection == cid]
    assert len(pairs) >= 400
    assert min(p.weights[0] for p in pairs) > 1 - 1e-9
    both = sorted(set(bits["a"]) & set(bits["c"]))
    assert len(both) >= 400
    differ = sum(bits["a"][n] != bits["c"][n] for n in both) / len(both)
    assert abs(differ - 0.32) <= 4 * math.sqrt(0.32 * 0.68 / len(both)), differ


def test_attach_without_hold_gives_each_half_back_and_refuses_an_unknown_connection() -> None:
    """By default (no ``hold``) a delivered half goes back right after the handler: nothing
    is left held when the connection is done. An unknown connection is named."""
    net = line_network(3, seed=2)
    cid = net.request("n0", "n2", fidelity=0.5, pairs=5)
    seen: list[PairDelivered] = []
    net.attach(cid, "n0", seen.append)
    net.attach(cid, "n2", seen.append)
    net.run(0.05)
    assert len(seen) >= 10
    assert not any(net.store.holds(d.qubit) for d in seen if d.qubit is not None)
    assert net.leaks() == []
    with pytest.raises(ControlError, match=r"^no connection 'zz' was requested$"):
        net.attach("zz", "n0", seen.append)


def test_monitoring_re_advertises_only_a_move_beyond_the_estimates_half_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """n0 -10 km- n1 advertised at Werner 0.5. Monitoring at n0 estimates Werner 0.75 over
    1000 pairs: with the interval (0.5, 1.0) the move, 0.25, is exactly its half-width and
    not beyond it, so nothing is re-advertised; with (0.625, 0.875) (half-width 0.125) n0 takes
    the estimate and re-advertises, once. (All values exact in binary.)"""
    net = line_network(2, length_km=10.0, memories=4, seed=1)
    net.set_link_estimate("n0", "n1", 1000.0, BellDiagonal.werner(0.5).as_tuple())
    advertised: list[str] = []
    monkeypatch.setattr(net, "_advertise", advertised.append)
    estimate = LinkEstimate(
        1000.0, (900.0, 1100.0), BellDiagonal.werner(0.75), 0.75, (0.5, 1.0), 1000
    )
    monitor = SimpleNamespace(estimate=lambda: estimate)
    monkeypatch.setattr(
        net.sublinks, "observed", lambda node, _: monitor if node == "n0" else LinkMonitor()
    )
    net.sublinks.monitor_tick()
    assert advertised == []
    assert net.link_state("n0", "n1").weights == BellDiagonal.werner(0.5).as_tuple()
    estimate = dataclasses.replace(estimate, fidelity_ci=(0.625, 0.875))
    net.sublinks.monitor_tick()
    assert advertised == ["n0"]
    assert net.link_state("n0", "n1").weights == BellDiagonal.werner(0.75).as_tuple()
    assert net.link_state("n1", "n0").weights == BellDiagonal.werner(0.5).as_tuple()


def test_a_random_graph_draws_each_link_with_probability_degree_over_n_minus_1() -> None:
    """Three nodes, degree 1: each of the three links is drawn with p = 1/2 and a draw is
    kept once connected, so the triangle is p³ / (p³ + 3p²(1 − p)) = 1/4 of the graphs and a
    path the rest. Over 400 seeds the triangles number 100 ± 4.3 standard deviations
    (σ = √(400 · 1/4 · 3/4) ≈ 8.66)."""
    triangles = 0
    for seed in range(400):
        edges = random_graph(3, seed=seed, degree=1.0).number_of_edges()
        assert edges in (2, 3)
        triangles += edges == 3
    assert 63 <= triangles <= 137


def test_a_daemon_still_flooding_routes_on_what_it_holds_now_searching_once_per_change() -> None:
    """The ring a -1- b -1- c -1- d -5- a (km, metric length), one store for all daemons,
    flooded until all hold everything: a goes to d over b and c (3 km). Then d re-advertises
    the same links and nothing passes it on: a misses d's newest and routes on what it holds,
    still a-b-c-d, searched once however often asked. c re-advertises c-d at 10 km and only
    that reaches a: a's database changed, so a searches again and goes the short way round
    (a-d, 5 km, against 12), though it still misses d's newest."""
    store = LinkStateStore()
    km = {("a", "b"): 1.0, ("b", "c"): 1.0, ("c", "d"): 1.0, ("a", "d"): 5.0}

    def links(node: str) -> list[LinkState]:
        return [_link(y if x == node else x, k) for (x, y), k in km.items() if node in (x, y)]

    ring = {"a": "bd", "b": "ac", "c": "bd", "d": "ac"}
    daemons = {n: RoutingDaemon(n, list(ring[n]), metric="length", store=store) for n in ring}
    queue = [(n, s) for n in sorted(ring) for s in daemons[n].set_links(links(n))]
    while queue:
        src, send = queue.pop(0)
        queue += [(send.dst, s) for s in daemons[send.dst].on_advertisement(src, send.message)]
    a = daemons["a"]
    assert a.lsdb.current()
    assert a.path("d", 0.5) == ["a", "b", "c", "d"]
    daemons["d"].set_links(links("d"))
    assert not a.lsdb.current()
    before = a.recomputations
    assert [a.path("d", 0.5) for _ in range(3)] == [["a", "b", "c", "d"]] * 3
    assert a.recomputations == before + 1
    km[("c", "d")] = 10.0
    lsa = daemons["c"].set_links(links("c"))[0].message
    assert a.on_advertisement("b", lsa) != []
    assert not a.lsdb.current()
    assert [a.path("d", 0.5) for _ in range(2)] == [["a", "d"]] * 2
    assert a.cost("d", 0.5) == 5.0
    assert a.recomputations == before + 2
