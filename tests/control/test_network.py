"""Connections over a network: qDijkstra's choice is the fastest path, accepted connections
meet their fidelity, teardown leaves nothing behind, many connections run at once, the setup
messages follow spec Fig. 4, and every generated RuleSet verifies."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from typing import Any

import networkx as nx
import numpy as np
import pytest

from qrna.control import (
    Accepted,
    ConnectionManager,
    ConnectionSetupReject,
    ConnectionSetupRequest,
    ControlError,
    GeneratorError,
    HopRecord,
    LinkState,
    Network,
    Rejected,
    default_generator,
    line_network,
    links_from_graph,
    qdijkstra_cost,
    random_graph,
)
from qrna.hardware import QNIC
from qrna.link import herald_model
from qrna.physics import GateNoise
from qrna.rules import RuleEngine, verify
from tests._scope import per_module


def _graph(edges: list[tuple[str, str, float]]) -> nx.Graph[str]:
    g: nx.Graph[str] = nx.Graph()
    for a, b, emission_fidelity in edges:
        g.add_edge(a, b, emission_fidelity=emission_fidelity, length_km=10.0)
    return g


def _rate(report: Any) -> float:
    """Pairs delivered per simulated second while the connection was up."""
    up = next(e.t_ps for e in report.events if e.kind == "up")
    done = next(e.t_ps for e in report.events if e.kind == "done")
    return len(report.pairs) / ((done - up) * 1e-12)


def test_qdijkstra_picks_the_path_that_measures_fastest() -> None:
    """a-c directly is one hop but a poor link (its pairs need purifying to reach F = 0.9);
    a-b-c is two good links. qDijkstra (seconds per pair at F) picks a-b-c; hop count picks
    a-c. Forcing each path (a network of that path alone) and measuring the delivery rate
    confirms a-b-c is the faster by far."""
    edges = [("a", "b", 0.99), ("b", "c", 0.99), ("a", "c", 0.88)]
    chosen = {}
    for metric in ("qdijkstra", "hops"):
        net = Network(links_from_graph(_graph(edges), memories=4), seed=4, metric=metric)
        c = net.request("a", "c", fidelity=0.9, duration_s=0.05)
        chosen[metric] = net.run(0.1).connections[c].path
    assert chosen == {"qdijkstra": ("a", "b", "c"), "hops": ("a", "c")}
    rates = {}
    for path, sub in ((("a", "b", "c"), edges[:2]), (("a", "c"), edges[2:])):
        net = Network(links_from_graph(_graph(sub), memories=4), seed=4)
        c = net.request("a", "c", fidelity=0.9, duration_s=0.1)
        report = net.run(0.2).connections[c]
        assert report.path == path
        assert report.mean_fidelity >= 0.9
        rates[path] = _rate(report)
    # Counts are ~1700 and ~170 pairs: Poisson noise is a few percent; the gap is 10x.
    assert rates[("a", "b", "c")] > 3 * rates[("a", "c")], rates


NOISY = QNIC(8, t1_s=1.0, t2_s=0.05, gate_noise=GateNoise(cnot_error=0.01))


@pytest.mark.parametrize("target", [0.8, 0.9, 0.95])
def test_accepted_connections_meet_their_fidelity(target: float) -> None:
    """Noisy hardware (emission fidelity 0.95, T2 = 50 ms, 1 % CNOT error): the generator
    purifies as needed; the delivered mean fidelity and the lower end of its 95 % confidence
    interval are both at or above the target."""
    g = _graph([("a", "b", 0.95), ("b", "c", 0.95)])
    net = Network(links_from_graph(g, qnic=NOISY), seed=3)
    c = net.request("a", "c", fidelity=target, pairs=150)
    report = net.run(2.0).connections[c]
    assert report.status == "done"
    f = np.array([p.fidelity for p in report.pairs])
    assert len(f) >= 150
    lower = f.mean() - 1.96 * f.std(ddof=1) / math.sqrt(len(f))
    assert f.mean() >= target
    assert lower >= target, (f.mean(), lower)


def test_unreachable_fidelity_is_rejected_with_the_reason() -> None:
    g = _graph([("a", "b", 0.95), ("b", "c", 0.95)])
    net = Network(links_from_graph(g, qnic=NOISY), seed=3)
    c = net.request("a", "c", fidelity=0.995, pairs=10)
    report = net.run(0.05).connections[c]
    assert report.status == "failed"
    assert report.attempts == 1  # not worth retrying
    assert "fidelity_unreachable" in report.events[-1].detail
    assert re.search(r"best plan gives 0\.9\d{3}$", report.events[-1].detail)
    assert net.leaks() == []


def test_no_route_is_retried_with_backoff_then_given_up() -> None:
    """Two islands: the Initiator never learns a route; it retries, bounded, then fails."""
    g = _graph([("a", "b", 1.0), ("c", "d", 1.0)])
    net = Network(links_from_graph(g), seed=1, max_attempts=4)
    c = net.request("a", "d", fidelity=0.5, pairs=1)
    report = net.run(1.0).connections[c]
    assert report.status == "failed"
    assert [e.kind for e in report.events] == ["rejected"] * 3 + ["failed"]
    assert "no_route" in report.events[-1].detail
    # Randomised exponential back-off: after failed attempt k the next waits a time uniform
    # in [0, backoff·2^(k−1)] (backoff 1 ms); NO_ROUTE is found at once, so the gaps are
    # exactly those waits (+1 ps).
    gaps_s = np.diff([e.t_ps for e in report.events]) * 1e-12
    for k, gap in enumerate(gaps_s, start=1):
        assert 0 < gap <= 1e-3 * 2 ** (k - 1) + 1e-12, (k, gap)
    assert len(set(np.round(gaps_s, 12))) == len(gaps_s)  # drawn, not fixed


@pytest.mark.parametrize("seed", range(6))
def test_teardown_leaves_nothing_behind(seed: int) -> None:
    """Connections that end by demand, by duration, or torn down mid-flight at a random
    moment: afterwards no node has the RuleSet installed, memories held, a qubit not FREE,
    or a ground-truth pair in the connection's memories."""
    rng = np.random.default_rng(seed)
    net = line_network(4, length_km=10.0, memories=6, seed=seed)
    a = net.request("n0", "n3", fidelity=0.6, pairs=int(rng.integers(20, 200)), memories=2)
    b = net.request(
        "n1", "n3", fidelity=0.6, duration_s=float(rng.uniform(0.005, 0.03)), memories=2
    )
    c = net.request("n0", "n2", fidelity=0.6, pairs=10**9, memories=2)
    net.teardown(c, at_s=float(rng.uniform(0.002, 0.02)))
    result = net.run(0.1)
    assert {r.status for r in result.connections.values()} == {"done"}
    assert result.connections[c].delivered > 0  # it ran before it was cut
    assert net.leaks() == []
    for name, engine in net.engines.items():
        assert engine.connections() == [], name
        assert net.managers[name].held == {}, name
    # Finished connections' links and memories are pruned once their heralds have landed;
    # a bank with a qubit not FREE would be kept (and reported by leaks()).
    assert net.sublinks.links == {}
    assert net.banks == {}
    assert net.store.held_qubits() == []
    del a, b


def test_twenty_concurrent_connections_on_thirty_nodes() -> None:
    """20 connections between random pairs of a 30-node random topology, requested within
    2 ms: all complete, the ledger checked every delivered pair's halves against the ground
    truth (a wrong pair raises), and nothing leaks."""
    g = random_graph(30, seed=3)
    net = Network(links_from_graph(g, memories=8), seed=2)
    rng = np.random.default_rng(5)
    nodes = sorted(g)
    for i in range(20):
        a, b = rng.choice(nodes, 2, replace=False)
        net.request(str(a), str(b), fidelity=0.8, pairs=50, memories=2, at_s=1e-3 + i * 1e-4)
    result = net.run(2.0)
    assert [r.status for r in result.connections.values()] == ["done"] * 20
    assert all(len(r.pairs) >= 50 for r in result.connections.values())
    assert max(r.attempts for r in result.connections.values()) > 1  # some had to wait
    assert net.leaks() == []
    assert net.store.held_qubits() == []


def test_setup_and_teardown_follow_spec_figure_4() -> None:
    """Outbound: the request hops Initiator → … → Responder; return: the Responder sends each
    other node its response; then the connection runs; teardown hops Initiator → Responder."""
    net = line_network(4, length_km=10.0, memories=4, seed=1, message_log=True)
    c = net.request("n0", "n3", fidelity=0.6, pairs=5)
    net.run(0.05)
    flow = [(src, dst, kind) for _, src, dst, kind, cid in net.message_log if cid == c]
    assert flow == [
        ("n0", "n1", "ConnectionSetupRequest"),
        ("n1", "n2", "ConnectionSetupRequest"),
        ("n2", "n3", "ConnectionSetupRequest"),
        ("n3", "n0", "ConnectionSetupResponse"),
        ("n3", "n1", "ConnectionSetupResponse"),
        ("n3", "n2", "ConnectionSetupResponse"),
        ("n0", "n1", "ConnectionTeardown"),
        ("n1", "n2", "ConnectionTeardown"),
        ("n2", "n3", "ConnectionTeardown"),
    ]
    times = [t for t, *_, cid in net.message_log if cid == c]
    assert times == sorted(times)


def test_every_generated_ruleset_verifies() -> None:
    """Requests over paths of 2 to 6 nodes, targets needing no, link or end-to-end
    purification: every RuleSet set the default generator writes passes ``verify`` with the
    path's real latencies."""
    made: list[tuple[ConnectionSetupRequest, Accepted]] = []

    def recording(request: ConnectionSetupRequest) -> Accepted | Rejected:
        answer = default_generator(request)
        if isinstance(answer, Accepted):
            made.append((request, answer))
        return answer

    g = _graph([(f"n{i}", f"n{i + 1}", 0.97) for i in range(5)])
    net = Network(links_from_graph(g, qnic=NOISY), seed=5, generator=recording)
    targets = [(1, 0.97), (2, 0.6), (2, 0.93), (2, 0.95), (3, 0.8), (3, 0.9), (5, 0.6)]
    for i, (end, target) in enumerate(targets):
        net.request("n0", f"n{end}", fidelity=target, pairs=3, memories=4, at_s=1e-3 + i * 0.01)
    net.run(0.2)
    assert len(made) == len(targets)
    assert {a.plan.link_rounds for _, a in made} == {0, 1, 2}
    for request, answer in made:
        path = request.path
        # What each hop appended on the way out (spec §3.5).
        for prev, hop in itertools.pairwise(request.hops):
            assert hop.link_in is not None
            assert hop.link_in.neighbour == prev.node
            assert hop.cost_s == qdijkstra_cost(hop.link_in, request.fidelity) > 0
            assert prev.qnic_out
            assert hop.qnic_in.startswith(hop.node + "/qnic")
            assert hop.t2_s == 0.05
            assert hop.gate_error == 0.01
        latency = {(x, y): net.delay_s[x][y] for x in path for y in path if x != y}
        # Every interleaving up to 4 nodes; two rounds of link purification on 4 nodes pass
        # the exploration's state cap, so those get the static checks (as longer paths do).
        explore = len(path) <= 3 or (len(path) == 4 and answer.plan.link_rounds <= 1)
        assert verify(answer.rulesets, latency, chain=path, explore=explore) == [], path


def test_generators_load_by_dotted_path_and_bad_input_is_named() -> None:
    from qrna.control import ControlError, load_generator

    assert load_generator("qrna.control:default_generator") is default_generator
    assert load_generator("qrna.control.default_generator") is default_generator
    with pytest.raises(ControlError, match=r"'qrna\.control:nothing' cannot be loaded"):
        load_generator("qrna.control:nothing", allow_plugins=True)
    with pytest.raises(ControlError, match=r"'qrna\.control:CONTROL_VERSION' is not callable"):
        load_generator("qrna.control:CONTROL_VERSION", allow_plugins=True)
    net = line_network(3, seed=1)
    with pytest.raises(ControlError, match="no node 'zz' in the network"):
        net.request("n0", "zz", fidelity=0.9, pairs=1)
    with pytest.raises(ControlError, match=r"fidelity=1\.5"):
        net.request("n0", "n2", fidelity=1.5, pairs=1)
    with pytest.raises(ControlError, match="duration_s=-1"):
        net.run(-1)


@pytest.mark.parametrize(
    ("answer", "shown"),
    [("x" * 78, "'" + "x" * 78 + "'"), ("x" * 79, "'" + "x" * 76 + "...")],
    ids=["80 characters whole", "81 cut to 77 and ..."],
)
def test_a_generator_answering_nonsense_is_named_with_its_answer_cut_to_80(
    answer: str, shown: str
) -> None:
    """A plugin generator's wrong answer is shown by its repr, whole up to 80 characters, else
    its first 77 and "..."."""
    from qrna.control import GeneratorError

    def chatty(request: ConnectionSetupRequest) -> Any:
        return answer

    net = line_network(2, seed=1, generator=chatty)
    net.request("n0", "n1", fidelity=0.5, pairs=1)
    with pytest.raises(GeneratorError) as caught:
        net.run(0.01)
    name = f"{__name__}:{chatty.__qualname__}"
    assert str(caught.value) == (
        f"generator {name!r} returned {shown}; expected Accepted or Rejected (connection 'c1')"
    )


def _answering(change: Any) -> Any:
    """A plugin generator: the default generator's answer, changed by ``change``."""

    def generator(request: ConnectionSetupRequest) -> Any:
        answer = default_generator(request)
        assert isinstance(answer, Accepted)
        return change(request, answer)

    return generator


def _other_connection(request: ConnectionSetupRequest, answer: Accepted) -> Accepted:
    rulesets = {n: dataclasses.replace(rs, connection="c9") for n, rs in answer.rulesets.items()}
    return Accepted(rulesets, answer.plan, answer.memories)


def _nodes_swapped(request: ConnectionSetupRequest, answer: Accepted) -> Accepted:
    a, b = sorted(answer.rulesets)
    return Accepted({a: answer.rulesets[b], b: answer.rulesets[a]}, answer.plan, answer.memories)


@pytest.mark.parametrize("change", [_other_connection, _nodes_swapped])
def test_a_plugin_must_give_each_node_its_own_ruleset_of_this_connection(change: Any) -> None:
    """RuleSets of another connection, or the right ones given to the wrong nodes: refused."""
    net = line_network(2, seed=1, generator=_answering(change))
    net.request("n0", "n1", fidelity=0.5, pairs=1)
    with pytest.raises(GeneratorError) as caught:
        net.run(0.01)
    assert str(caught.value) == (
        f"generator '{__name__}:_answering.<locals>.generator' accepted with a RuleSet of "
        "another connection or node (connection 'c1')"
    )


def test_a_plugin_may_reserve_a_single_memory() -> None:
    """1 is the least a plugin may reserve (of the 4 asked): the connection runs on it."""
    one = _answering(lambda request, answer: Accepted(answer.rulesets, answer.plan, 1))
    net = line_network(2, seed=1, generator=one)
    c = net.request("n0", "n1", fidelity=0.5, pairs=5)
    report = net.run(0.01).connections[c]
    assert report.status == "done"
    assert len(report.pairs) == 5


def test_line_network_has_the_length_and_memories_asked_10_km_and_8_by_default() -> None:
    def links(net: Network) -> list[tuple[float, int, int]]:
        specs = [net.ports[f"n{i}"][f"n{i + 1}"][0] for i in range(len(net.ports) - 1)]
        return [
            (s.fibre.length_km, s.a.qnics[s.qnic_a].memories, s.b.qnics[s.qnic_b].memories)
            for s in specs
        ]

    assert links(line_network(3, length_km=5.0, memories=2, seed=1)) == [(5.0, 2, 2)] * 2
    assert links(line_network(2, seed=1)) == [(10.0, 8, 8)]


def test_a_link_estimate_is_what_both_ends_then_know_weight_for_weight() -> None:
    """Link monitoring's estimate replaces the closed form at both ends, each weight in its
    place (a state that is not Werner, so a swapped pair of weights shows); a pair of nodes
    with no link between them is refused by name."""
    net = line_network(3, seed=1)
    net.set_link_estimate("n0", "n1", 123.0, (0.85, 0.1, 0.04, 0.01))
    model = herald_model(net.ports["n0"]["n1"][0])
    for x, y in (("n0", "n1"), ("n1", "n0")):
        # The hardware's attempts (probability, round) stay: monitoring measures neither.
        assert net.link_state(x, y) == LinkState(
            y,
            123.0,
            (0.85, 0.1, 0.04, 0.01),
            10.0,
            net.delay_s[x][y],
            model.p_success,
            model.base_s,
            model.slot_s,
            model.reinit_s,
        )
    for a, b in (("n0", "n2"), ("zz", "n0")):
        with pytest.raises(ControlError) as caught:
            net.set_link_estimate(a, b, 1.0, (1.0, 0.0, 0.0, 0.0))
        assert str(caught.value) == f"no link joins {a!r} and {b!r}"


@pytest.mark.parametrize(("n", "complete", "more"), [(2, 1.0, 3.0), (4, 3.0, 10.0)])
def test_a_random_graph_of_degree_n_minus_1_is_complete(
    n: int, complete: float, more: float
) -> None:
    """Degree n − 1 asks for every link; a larger degree asks for no more: the same graph,
    link lengths and all, at every seed."""
    for seed in range(10):
        g = random_graph(n, seed=seed, degree=complete)
        assert g.number_of_edges() == n * (n - 1) // 2
        assert nx.utils.edges_equal(
            g.edges(data=True), random_graph(n, seed, more).edges(data=True)
        )


def test_classical_network_can_differ_from_the_fibres() -> None:
    """Quantum line a-b-c; the classical network joins a-c and b-c only (1 ms each), so a's
    request reaches b through c. Setup takes request a→b (2 ms) + b→c (1 ms) + response c→a
    (1 ms) = 4 ms after the request leaves; along the fibres it would take three 50 µs hops."""
    g = _graph([("a", "b", 1.0), ("b", "c", 1.0)])
    classical: nx.Graph[str] = nx.Graph()
    classical.add_edge("a", "c", delay_s=1e-3)
    classical.add_edge("b", "c", delay_s=1e-3)
    net = Network(links_from_graph(g, length_km=10.0), seed=1, classical=classical)
    c = net.request("a", "c", fidelity=0.5, pairs=20, at_s=0.01)
    report = net.run(0.1).connections[c]
    assert report.status == "done"
    up = next(e.t_ps for e in report.events if e.kind == "up")
    assert up == 10_000_000_000 + 4_000_000_000
    assert net.delay_s["a"]["b"] == pytest.approx(2e-3)


def test_a_classical_network_with_other_nodes_is_refused_by_name() -> None:
    """A classical channel to a node that runs no qrna software would lose the messages sent
    its way (flooding crashed on it): refused when the network is built, naming it."""
    g = _graph([("a", "b", 1.0)])
    classical: nx.Graph[str] = nx.Graph()
    classical.add_edge("a", "relay", delay_s=1e-3)
    classical.add_edge("relay", "b", delay_s=1e-3)
    with pytest.raises(ControlError) as caught:
        Network(links_from_graph(g, length_km=10.0), classical=classical)
    assert str(caught.value) == (
        "classical network: ['relay'] are not nodes of the quantum network; its channels join "
        "the network's own nodes"
    )


def test_link_monitoring_corrects_a_wrong_link_state() -> None:
    """Link a-b is told to advertise a perfect state, but its pairs have fidelity ~0.81 (the
    emission fidelity is 0.9 at each end). With monitoring on, both ends measure a fifth of
    the connection's link pairs, estimate the state from the correlations and advertise it:
    every routing daemon ends up with the true fidelity (within 0.03), and the connection
    still gets the other four fifths."""
    g = _graph([("a", "b", 0.9), ("b", "c", 1.0)])
    net = Network(links_from_graph(g), seed=3, monitor_fraction=0.2)
    spec, _ = net.ports["a"]["b"]
    true_f = herald_model(spec).fidelity
    net.set_link_estimate("a", "b", net.link_state("a", "b").rate_hz, (1.0, 0.0, 0.0, 0.0))
    c = net.request("a", "c", fidelity=0.5, duration_s=0.3)
    report = net.run(0.4).connections[c]
    assert report.status == "done"
    for node, neighbour in (("a", "b"), ("b", "a")):
        assert abs(net.link_state(node, neighbour).fidelity - true_f) < 0.03
    for daemon in ("a", "b", "c"):
        lsa = net.managers[daemon].routing.lsdb["a"]
        (link,) = [x for x in lsa.links if x.neighbour == "b"]
        assert abs(link.fidelity - true_f) < 0.03
    generated = net.sublinks.generated("a", "b")
    assert 0.7 * generated < len(report.pairs) < 0.9 * generated  # a fifth went to monitoring
    assert net.leaks() == []


@pytest.fixture(scope=per_module)
def monitored() -> dict[str, Any]:
    """Line a-b-c-d: a-b perfect and idle, b-c noisy (F = 0.813) but told perfect, c-d
    (F = 0.941) told its closed form; a connection b→d for 50 ms with half of each link's
    pairs monitored. What the nodes know at 20 ms (under 200 results on b-c), at 40 ms, and
    at 80 ms (the connection over, its links pruned)."""
    g = _graph([("a", "b", 1.0), ("b", "c", 0.9), ("c", "d", 0.97)])
    net = Network(links_from_graph(g), seed=3, monitor_fraction=0.5)
    closed = {k: net.link_state(*k) for k in (("b", "c"), ("c", "d"))}
    net.set_link_estimate("b", "c", closed["b", "c"].rate_hz, (1.0, 0.0, 0.0, 0.0))
    net.request("b", "d", fidelity=0.5, duration_s=0.05, at_s=0.001)
    out: dict[str, Any] = {"net": net, "closed": closed}
    for t, dt in (("20ms", 0.02), ("40ms", 0.02), ("80ms", 0.04)):
        net.run(dt)
        out[t] = {
            "observed": {k: net.sublinks.observed(*k).estimate() for k in (("b", "c"), ("c", "d"))},
            "state": {k: net.link_state(*k) for k in (("b", "c"), ("c", "b"), ("c", "d"))},
            "endpoints": len(net.sublinks.endpoints),
        }
    return out


def test_monitoring_pools_each_link_apart_and_keeps_a_finished_connections_results(
    monitored: dict[str, Any],
) -> None:
    """``observed(node, neighbour)`` is that node's results for that link only (b-c's
    fidelity is not c-d's), and a pruned connection's results stay counted."""
    true_bc = herald_model(monitored["net"].ports["b"]["c"][0]).fidelity
    true_cd = herald_model(monitored["net"].ports["c"]["d"][0]).fidelity
    mid, end = monitored["40ms"], monitored["80ms"]
    assert mid["endpoints"] == 4
    assert abs(mid["observed"]["b", "c"].fidelity - true_bc) < 0.05
    assert abs(mid["observed"]["c", "d"].fidelity - true_cd) < 0.03
    assert end["endpoints"] == 0  # the connection's links are gone...
    for k in (("b", "c"), ("c", "d")):  # ...not what they measured
        assert end["observed"][k].samples > mid["observed"][k].samples > 200


def test_monitoring_replaces_a_link_state_only_when_sure(monitored: dict[str, Any]) -> None:
    """Under 200 results the told state stands; past them, b-c's wrong state is replaced at
    both ends (at b although its first link, to a, has no results); c-d's estimate, within
    its interval of the closed form, changes nothing; a and d, with nothing changed, never
    advertise again (sequence 1)."""
    net, closed = monitored["net"], monitored["closed"]
    true_bc = herald_model(net.ports["b"]["c"][0]).fidelity
    early = monitored["20ms"]
    assert 100 < early["observed"]["b", "c"].samples < 200
    assert early["state"]["b", "c"].weights == (1.0, 0.0, 0.0, 0.0)
    end = monitored["80ms"]
    for k in (("b", "c"), ("c", "b")):
        assert abs(end["state"][k].fidelity - true_bc) < 0.05
    assert end["state"]["c", "d"] == closed["c", "d"]
    seqs = {n: lsa.seq for n, lsa in net.managers["b"].routing.lsdb.items()}
    assert seqs["a"] == seqs["d"] == 1
    assert seqs["b"] > 1


@pytest.mark.parametrize(("results", "replaced"), [(199, False), (200, True)])
def test_a_link_estimate_is_trusted_from_200_results(results: int, replaced: bool) -> None:
    """A node adopts its monitoring estimate's weights (here mostly Φ+, one Z result in
    ten disagreeing: not the link's closed form either) against a told F = 0.7 from 200
    results on, not before."""
    from qrna.link import LinkMonitor

    net = line_network(2, seed=1)
    told = (0.7, 0.1, 0.1, 0.1)
    net.set_link_estimate("n0", "n1", 1.0, told)
    monitor = LinkMonitor()
    for i in range(results):  # Φ+: X and Z bits agree, Y bits differ
        basis = "XYZ"[i % 3]
        flip = basis == "Z" and i % 30 == 2
        monitor.observe_result(basis, 0, int(basis == "Y") ^ flip)
    net.sublinks.observed = lambda node, neighbour: monitor  # type: ignore[method-assign]
    net.sublinks.monitor_tick()
    weights = net.link_state("n0", "n1").weights
    estimate = monitor.estimate().state
    assert estimate is not None
    assert estimate.as_tuple() != (1.0, 0.0, 0.0, 0.0)
    assert weights == (estimate.as_tuple() if replaced else told)


@pytest.mark.parametrize(
    ("off", "replaced"), [(-0.8, False), (0.8, False), (-1.5, True), (1.5, True)]
)
def test_an_estimate_replaces_a_told_state_only_beyond_its_half_interval(
    off: float, replaced: bool
) -> None:
    """600 results (F about 0.9, its 95 % interval about ±0.03): a told state ``off``
    half-widths away from the estimate stands within one half-width and is replaced beyond."""
    from qrna.link import LinkMonitor

    monitor = LinkMonitor()
    for i in range(600):  # X and Z agree, Y differs, but for a few results in each basis
        basis = "XYZ"[i % 3]
        monitor.observe_result(basis, 0, int(basis == "Y") ^ (i % 45 < 3))
    est = monitor.estimate()
    lo, hi = est.fidelity_ci
    half = (hi - lo) / 2
    assert 0.02 < half < 0.04
    told_f = est.fidelity + off * half
    net = line_network(2, seed=1)
    e = (1 - told_f) / 3
    net.set_link_estimate("n0", "n1", 1.0, (told_f, e, e, e))
    net.sublinks.observed = lambda node, neighbour: monitor  # type: ignore[method-assign]
    net.sublinks.monitor_tick()
    assert est.state is not None
    assert net.link_state("n0", "n1").weights == (
        est.state.as_tuple() if replaced else (told_f, e, e, e)
    )


@pytest.mark.parametrize("jitter", [0.5, 2.0])
def test_jittered_classical_messages_never_strand_a_pair(jitter: float) -> None:
    """Messages take up to (1 + jitter) times their latency: link state says so, so the
    generator's discard timers outlast every message. Teleportation (whose receiver holds each
    half until the sender's bits arrive) completes, no engine keeps a message for a pair that
    will never come, and nothing leaks."""
    from qrna.apps import Teleport

    net = line_network(3, length_km=10.0, seed=5, jitter=jitter)
    assert net.link_state("n0", "n1").latency_s == pytest.approx(
        net.delay_s["n0"]["n1"] * (1 + jitter)
    )
    app = Teleport(net, "n0", "n2", fidelity=0.5, pairs=300)
    report = net.run(0.3).connections[app.connection]
    assert report.status == "done"
    assert app.summary()["teleported"] >= 290
    for engine in net.engines.values():
        assert all(not c.waiting for c in engine._conns.values())
    assert net.leaks() == []


def test_a_route_back_to_the_sender_is_refused_without_a_hold() -> None:
    """Routing tables that disagree (still flooding) can send a request back where it came
    from: the node refuses at once and holds nothing, so no memory is lost."""

    class Stale:
        def next_hop(self, dst: str, fidelity: float) -> str:
            return "a"  # "to c, go back through a"

    def record(prev: str | None, nxt: str | None, f: float) -> HopRecord:
        return HopRecord("b", None, 8, 8, 0.0, 0.0, math.inf, math.inf)

    mgr = ConnectionManager(
        "b",
        Stale(),
        RuleEngine("b", None),
        lambda n: 8,
        record,  # type: ignore[arg-type]
        default_generator,
        np.random.default_rng(0),
    )
    hop = HopRecord("a", None, 0, 8, 0.0, 0.0, math.inf, math.inf)
    req = ConnectionSetupRequest("c1", "a", "c", 0.8, pairs=10, memories=4, hops=(hop,))
    (out,) = mgr.on_message("a", req, 0)
    assert isinstance(out.message, ConnectionSetupReject)  # type: ignore[union-attr]
    assert "routes disagree at b" in out.message.detail  # type: ignore[union-attr]
    assert mgr.held == {}
    assert mgr.available("a") == 8


def test_finished_connections_leave_only_counts_behind() -> None:
    """Thirty short connections one after another: each one's links, memory banks and
    bookkeeping are dropped after it ends, while the per-link pair counts keep growing."""
    net = line_network(3, seed=4)
    for i in range(30):
        net.request("n0", "n2", fidelity=0.5, pairs=5, at_s=1e-3 + i * 2e-3)
    result = net.run(0.08)
    assert [r.status for r in result.connections.values()] == ["done"] * 30
    assert net.sublinks.links == {}
    assert net.banks == {}
    assert net.sublinks.generated("n0", "n1") >= 30 * 5
    assert net.leaks() == []


def test_seeded_network_runs_are_reproducible_event_for_event() -> None:
    """Same seed, same trace (every event's time, priority and callback), same pairs; another
    seed, another trace. With applications, purification, jitter and monitoring all on."""
    from qrna.apps import QKD, Teleport
    from qrna.kernel import TraceRecorder

    def once(seed: int) -> tuple[str, list[float]]:
        trace = TraceRecorder(keep=False)
        g = _graph([("a", "b", 0.95), ("b", "c", 0.95), ("c", "d", 0.95)])
        net = Network(
            links_from_graph(g, qnic=NOISY),
            seed=seed,
            jitter=0.5,
            monitor_fraction=0.1,
            trace=trace,
        )
        QKD(net, "a", "d", fidelity=0.7, pairs=200)
        Teleport(net, "b", "d", fidelity=0.9, pairs=100, memories=2)
        net.run(0.1)
        return trace.digest(), [p.fidelity for p in net.ledger.delivered]

    first, again, other = once(11), once(11), once(12)
    assert first == again
    assert first[0] != other[0]
    assert len(first[1]) > 100
