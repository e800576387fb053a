"""The summary's line per quantum link (``_links``): its ends, type and length as the scenario
gave them, its herald model's success probability and fidelity, the pairs it generated and
their rate over the simulated time (0 for no time at all), and the fidelity the routing
daemons use."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from qrna.control import Network, links_from_graph
from qrna.link import herald_model
from qrna.scenario import load_scenario, run
from qrna.scenario._run import _links


def _network():  # type: ignore[no-untyped-def]
    s = load_scenario(
        "chain",
        [
            "topology.nodes=3",
            "topology.link.length_km=4",
            "traffic.0.responder=n2",
            "traffic.0.pairs=20",
            "simulation.duration_s=0.01",
        ],
    )
    results = run(s)
    assert results.summary["sim_time_s"] == 0.01
    return results.network


def test_each_link_once_with_its_numbers() -> None:
    net = _network()
    lines = _links(net, 0.01)
    assert [line["endpoints"] for line in lines] == [["n0", "n1"], ["n1", "n2"]]
    specs = {(s.a.address, s.b.address): s for p in net.ports.values() for s, _ in p.values()}
    for line in lines:
        a, b = line["endpoints"]
        model = herald_model(specs[a, b])
        assert line["type"] == "MIM"
        assert line["length_km"] == 4.0
        # A 4 km MIM link: each arm 2 km of 0.2 dB/km, detectors 0.9, both photons needed.
        assert line["success_probability"] == model.p_success
        assert pytest.approx(model.p_success, rel=1e-3) == 0.5 * (0.9 * 10 ** (-0.04)) ** 2
        generated = net.sublinks.generated(a, b)
        assert generated > 10
        assert line["pairs_generated"] == generated
        assert line["rate_hz"] == pytest.approx(generated / 0.01, rel=1e-12)
        assert line["fidelity_mean"] == model.state.fidelity
        assert line["fidelity_advertised"] == net.link_state(a, b).fidelity
        assert 0.9 < line["fidelity_advertised"] <= 1.0


def test_no_simulated_time_gives_rate_zero() -> None:
    lines = _links(_network(), 0.0)
    assert [line["rate_hz"] for line in lines] == [0.0, 0.0]
    assert all(not math.isnan(line["fidelity_mean"]) for line in lines)


def test_a_tree_lists_every_link_once_in_the_order_of_its_first_end() -> None:
    """The tree a–m, m–x, m–y, y–b: a link is listed at its first end in name order, once,
    and a node whose first link was listed already still lists its others (m's, y's)."""
    g = nx.Graph([("a", "m"), ("m", "x"), ("m", "y"), ("y", "b")])
    net = Network(links_from_graph(g), seed=1)
    endpoints = [sorted(line["endpoints"]) for line in _links(net, 0.0)]
    assert sorted(map(tuple, endpoints)) == sorted(tuple(sorted(e)) for e in g.edges)
    assert endpoints == [["a", "m"], ["b", "y"], ["m", "x"], ["m", "y"]]
