"""Heterogeneous interiors (spec §5; issue 13, item 4): each network runs its own RuleSet
generator and routes its own layer by its own metric; a network that sets neither takes the
enclosing network's, the top the simulation's."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from qrna.control import Accepted, Rejected, default_generator
from qrna.control._messages import ConnectionSetupRequest, PlanRequest
from qrna.scenario import Scenario, ScenarioError, build_network, run

# Plans this module's generator made, by connection (a run's record of which generator
# answered which request; cleared by each test that reads it).
ANSWERED: dict[str, str] = {}


def link_purifying(request: ConnectionSetupRequest) -> Accepted | Rejected:
    """A plugin generator: the default's plan with one round of link purification forced."""
    ANSWERED[request.connection] = request.scope
    plan = dataclasses.replace(request.plan or PlanRequest(), link_rounds=1)
    return default_generator(dataclasses.replace(request, plan=plan))


def _two_ways(**b: Any) -> dict[str, Any]:
    """h0 - B - h1. Inside B, from border n0 to border n3: two long, noisy hops by n1, or
    three short, clean ones by m1 and m2."""
    poor = {"length_km": 30.0, "emission_fidelity": 0.85}
    good = {"length_km": 4.0, "emission_fidelity": 0.99}
    return {
        "name": "two-ways",
        "qnic": {"memories": 12, "t2_s": 0.5},
        "nodes": [{"name": "h0", "type": "COMP"}, {"name": "h1", "type": "COMP"}],
        "networks": [
            {
                "name": "B",
                "nodes": [
                    {"name": n, "type": "RTR" if n in ("n0", "n3") else "REP1"}
                    for n in ("n0", "n1", "m1", "m2", "n3")
                ],
                "links": [
                    {"a": "n0", "b": "n1", **poor},
                    {"a": "n1", "b": "n3", **poor},
                    {"a": "n0", "b": "m1", **good},
                    {"a": "m1", "b": "m2", **good},
                    {"a": "m2", "b": "n3", **good},
                ],
                **b,
            }
        ],
        "links": [{"a": "h0", "b": "B.n0", **good}, {"a": "B.n3", "b": "h1", **good}],
        "traffic": [{"initiator": "h0", "responder": "h1", "fidelity": 0.6, "pairs": 10}],
        "simulation": {"duration_s": 0.1},
    }


def _layer_path(summary: dict[str, Any], network: str) -> list[str]:
    (c,) = summary["connections"]
    assert (c["status"], c["pairs_delivered"]) == ("done", 10), c["detail"]
    (layer,) = [x for x in c["layers"] if x["network"] == network]
    return list(layer["path"])


@pytest.mark.parametrize(
    ("metric", "path"),
    [
        (None, ["B.n0", "B.m1", "B.m2", "B.n3"]),  # the top's qDijkstra: the fast clean way
        ("hops", ["B.n0", "B.n1", "B.n3"]),
    ],
)
def test_a_network_routes_its_layer_by_its_own_metric(metric: str | None, path: list[str]) -> None:
    """B routing by hops crosses itself by n1 (two hops), though the top routes by qDijkstra,
    which takes three short, clean hops; B's offer between its borders follows its metric
    too (the poor way's pairs: a lower fidelity)."""
    data = _two_ways(**({} if metric is None else {"metric": metric}))
    results = run(Scenario.model_validate(data))
    assert _layer_path(results.summary, "B") == path
    offered = results.network.layer_link("", "B.n0", "B.n3")
    assert offered is not None
    assert (offered.fidelity < 0.8) is (metric == "hops")


def test_a_network_runs_its_own_generator_and_the_networks_in_it_inherit_it() -> None:
    """B (and C inside it, which sets none) plan with a generator that purifies every link
    once: the connections across them and their offers do, the top's plan does not."""
    data = _two_ways(generator=f"{__name__}:link_purifying")
    b = data["networks"][0]
    b["networks"] = [
        {
            "name": "C",
            "nodes": [{"name": "c0", "type": "REP1"}, {"name": "c1", "type": "REP1"}],
            "links": [{"a": "c0", "b": "c1", "length_km": 4.0}],
        }
    ]
    b["links"] += [{"a": "n1", "b": "C.c0"}, {"a": "C.c1", "b": "n3"}]
    b["nodes"][1]["type"] = "RTR"  # n1: three links now
    ANSWERED.clear()
    net = build_network(Scenario.model_validate(data), allow_plugins=True)
    # The offers were planned by B's and C's generator (link purified: above the plain plan).
    assert {scope for scope in ANSWERED.values()} == {"B", "B.C"}
    ANSWERED.clear()
    c = net.request("h0", "h1", fidelity=0.6, pairs=10)
    assert net.run(0.1).connections[c].status == "done"
    assert ANSWERED == {"c1@B.n0": "B"}  # the top's request went to the default generator
    assert net.plans["c1@B.n0"].link_rounds == 1
    assert net.plans["c1"].link_rounds == 0


def test_a_network_s_generator_that_cannot_be_loaded_is_refused_by_its_field() -> None:
    data = _two_ways(generator="nowhere:gen")
    with pytest.raises(ScenarioError, match=r"networks\[0\]\.generator: generator 'nowhere:gen'"):
        build_network(Scenario.model_validate(data), allow_plugins=True)
    data = _two_ways(generator=f"{__name__}:link_purifying")
    with pytest.raises(ScenarioError, match=r"networks\[0\]\.generator: .*--allow-plugin"):
        build_network(Scenario.model_validate(data))
    with pytest.raises(ValueError, match="metric"):
        Scenario.model_validate(_two_ways(metric="fastest"))


def test_a_network_offers_anew_when_what_it_knows_of_its_interior_moves() -> None:
    """Link monitoring inside B reports its clean way's middle link worse (as
    ``set_link_estimate`` takes it): B plans its offer again and its borders advertise the
    new one in the layer above, where h0's daemon has it once the flood has come; h0's own
    network (the top) knows nothing of B's interior still."""
    net = build_network(Scenario.model_validate(_two_ways()))
    net.run(0.001)
    before = net.layer_link("", "B.n0", "B.n3")
    assert before is not None
    top = net.managers["h0"].layers
    assert top is not None

    def advertised() -> float:
        lsa = top.daemons[""].lsdb["B.n0"]
        (link,) = [x for x in lsa.links if x.neighbour == "B.n3"]
        return link.fidelity

    assert advertised() == before.fidelity
    net.set_link_estimate("B.m1", "B.m2", 2000.0, (0.8, 0.1, 0.05, 0.05))
    after = net.layer_link("", "B.n0", "B.n3")
    assert after is not None
    assert after.fidelity < before.fidelity - 0.05
    net.run(0.001)
    assert advertised() == after.fidelity
    assert not any(n.startswith("B.m") for n in top.daemons[""].lsdb)


def test_a_network_that_cannot_make_its_offer_is_named_when_no_route_is_found() -> None:
    """B's policy asks 0.9999 of its pairs for the layer above, which no plan reaches: it
    offers no virtual link, so nothing crosses it, and the connection fails saying so, by
    B's name and borders only (not a bare 'no route')."""
    data = _two_ways(offer_fidelity=0.9999)
    data["simulation"]["duration_s"] = 0.05
    (c,) = run(Scenario.model_validate(data)).summary["connections"]
    assert c["status"] == "failed"
    assert c["detail"].startswith("no_route: no route to h1 known")
    assert c["detail"].endswith(
        "; network B offers no link between its borders B.n0 and B.n3 (no plan reaches its "
        "offer fidelity 0.9999)"
    )
    assert "B.m1" not in c["detail"]
