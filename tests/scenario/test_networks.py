"""Networks in scenarios (issue 13, item 1; spec §3.1 and §5): a scenario's networks resolve
into hierarchical names, each node's hardware comes from the nearest network that sets it,
errors name the field of the file, and the resolved internetwork's borders and layers follow
from its links alone."""

from __future__ import annotations

import copy
import re
from typing import Any

import networkx as nx
import pytest

from qrna.internet import ROOT
from qrna.scenario import Scenario, ScenarioError, build_links, listing, run

THREE: dict[str, Any] = {
    "name": "three",
    "qnic": {"memories": 6, "t2_s": 1.0, "cnot_error": 0.002},
    "nodes": [{"name": "alice", "type": "COMP"}],
    "networks": [
        {
            "name": "isp1",
            "nodes": [
                {"name": "r1", "type": "REP1"},
                {"name": "r2"},
                {"name": "h1", "type": "COMP"},
            ],
            "links": [{"a": "r1", "b": "r2"}, {"a": "r2", "b": "h1"}],
        },
        {
            "name": "isp2",
            "qnic": {"memories": 8, "t2_s": 0.5},
            "topology": {"kind": "chain", "nodes": 3, "link": {"length_km": 5.0}},
        },
        {
            "name": "isp3",
            "nodes": [{"name": "gw", "type": "REP1"}],
            "links": [{"a": "gw", "b": "metro.b1"}],
            "networks": [
                {
                    "name": "metro",
                    "nodes": [
                        {"name": "b1", "type": "REP1", "qnic": {"memories": 3}},
                        {"name": "e2", "type": "COMP"},
                    ],
                    "links": [{"a": "b1", "b": "e2", "type": "MM"}],
                }
            ],
        },
    ],
    "links": [
        {"a": "alice", "b": "isp1.r1"},
        {"a": "isp1.r2", "b": "isp2.n0"},
        {"a": "isp2.n2", "b": "isp3.gw"},
    ],
    "traffic": [
        {
            "initiator": "alice",
            "responder": "isp3.metro.e2",
            "fidelity": 0.7,
            "pairs": 30,
            "memories": 3,
        }
    ],
    "simulation": {"duration_s": 0.2},
}


def _three(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(THREE)
    data.update(changes)
    return data


def _edges(g: Any) -> set[tuple[str, str, str | None]]:
    return {(*sorted((a, b)), via) for a, b, via in g.edges(data="via")}  # type: ignore[misc]


def _refused(data: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        build_links(Scenario.model_validate(data))
    return info.value


def test_names_fields_and_hardware_resolve_through_the_networks() -> None:
    listed = listing(Scenario.model_validate(THREE))
    nodes = {
        n.name: (n.type, f, q)
        for n, f, q in zip(listed.nodes, listed.node_fields, listed.qnic_fields, strict=True)
    }
    assert nodes == {
        "alice": ("COMP", "nodes[0]", "qnic"),
        "isp1.r1": ("REP1", "networks[0].nodes[0]", "qnic"),
        "isp1.r2": ("RTR", "networks[0].nodes[1]", "qnic"),
        "isp1.h1": ("COMP", "networks[0].nodes[2]", "qnic"),
        # generated: typed by every link, the ones leaving isp2 included (ends become REP1)
        "isp2.n0": ("REP1", "networks[1].topology", "networks[1].qnic"),
        "isp2.n1": ("REP1", "networks[1].topology", "networks[1].qnic"),
        "isp2.n2": ("REP1", "networks[1].topology", "networks[1].qnic"),
        "isp3.gw": ("REP1", "networks[2].nodes[0]", "qnic"),
        "isp3.metro.b1": (
            "REP1",
            "networks[2].networks[0].nodes[0]",
            "networks[2].networks[0].nodes[0].qnic",
        ),
        "isp3.metro.e2": ("COMP", "networks[2].networks[0].nodes[1]", "qnic"),
    }
    links = {(x.a, x.b, x.length_km, x.type) for x in listed.links}
    assert ("isp2.n0", "isp2.n1", 5.0, "MIM") in links
    assert ("isp3.metro.b1", "isp3.metro.e2", 10.0, "MM") in links
    assert ("isp1.r2", "isp2.n0", 10.0, "MIM") in links
    built = {(s.a.address, s.b.address): s for s in build_links(Scenario.model_validate(THREE))}
    # memories: the scenario's 6, isp2's 8, b1's own 3; T2 from isp2 for its nodes only
    assert built["isp2.n0", "isp2.n1"].a.qnics[0].memories == 8
    assert built["isp2.n0", "isp2.n1"].a.qnics[0].t2_s == 0.5
    assert built["isp1.r2", "isp2.n0"].a.qnics[0].t2_s == 1.0
    assert built["isp3.metro.b1", "isp3.metro.e2"].a.qnics[0].memories == 3
    assert built["alice", "isp1.r1"].a.qnics[0].memories == 6


def test_borders_and_layers_of_the_resolved_internetwork() -> None:
    net = listing(Scenario.model_validate(THREE)).internet
    assert net is not None
    assert net.networks == (ROOT, "isp1", "isp2", "isp3", "isp3.metro")
    assert net.borders("isp1") == {"isp1.r1", "isp1.r2"}
    assert net.borders("isp3") == {"isp3.gw"}
    assert net.borders("isp3.metro") == {"isp3.metro.b1"}
    assert net.chain("isp3.metro.e2") == ("isp3.metro", "isp3", ROOT)
    assert net.layers_of("isp3.metro.e2") == ("isp3.metro",)
    assert net.layers_of("isp3.metro.b1") == ("isp3.metro", "isp3")  # not a border of isp3
    assert net.layers_of("isp3.gw") == ("isp3", ROOT)
    assert net.layers_of("alice") == (ROOT,)
    top = net.layer(ROOT)
    assert _edges(top) == {
        ("alice", "isp1.r1", None),
        ("isp1.r1", "isp1.r2", "isp1"),  # isp1 offered as one virtual link
        ("isp1.r2", "isp2.n0", None),
        ("isp2.n0", "isp2.n2", "isp2"),
        ("isp2.n2", "isp3.gw", None),
    }
    # isp3 has one border: seen from above it is a stub, reached at isp3.gw
    assert set(top) == {"alice", "isp1.r1", "isp1.r2", "isp2.n0", "isp2.n2", "isp3.gw"}
    assert _edges(net.layer("isp3")) == {("isp3.gw", "isp3.metro.b1", None)}


def test_a_scenario_with_networks_runs_recursively_and_its_flat_twin_runs_flat() -> None:
    """Networks run recursively (spec §5): the connection's path names only its ends and
    the borders it crosses, each network crossed carries a connection of its own between
    them, and the same nodes written flat (full names, each node's resolved hardware) route
    through the interiors instead; both deliver their 30 pairs above the target."""
    # A node holds memories for each layer it runs: isp3.metro.e2 runs three (metro's, isp3's
    # and the top one), 3 memories each.
    three = copy.deepcopy(THREE)
    three["qnic"]["memories"] = 12
    three["networks"][2]["networks"][0]["nodes"][0]["qnic"] = {"memories": 12}
    flat = _three(networks=[], nodes=[], links=[])
    listed = listing(Scenario.model_validate(three))
    flat["nodes"] = [n.model_dump(exclude_none=True) for n in listed.nodes]
    flat["links"] = [x.model_dump(exclude_none=True) for x in listed.links]
    nested = run(Scenario.model_validate(three))
    (conn,) = nested.summary["connections"]
    assert conn["path"] == [
        "alice",
        "isp1.r1",
        "isp1.r2",
        "isp2.n0",
        "isp2.n2",
        "isp3.gw",
        "isp3.metro.e2",
    ]
    assert (conn["status"], conn["pairs_delivered"]) == ("done", 30)
    assert conn["fidelity_ci"][0] >= conn["fidelity_target"]
    paths = nested.network.paths
    assert paths["c1@isp2.n0"] == ("isp2.n0", "isp2.n1", "isp2.n2")  # isp2's own connection
    assert paths["c1@isp3.gw"] == ("isp3.gw", "isp3.metro.b1", "isp3.metro.e2")
    assert paths["c1@isp3.gw@isp3.metro.b1"] == ("isp3.metro.b1", "isp3.metro.e2")
    (twin,) = run(Scenario.model_validate(flat)).summary["connections"]
    assert twin["path"][3:6] == ["isp2.n0", "isp2.n1", "isp2.n2"]  # one Responder, every hop
    assert (twin["status"], twin["pairs_delivered"]) == ("done", 30)


@pytest.mark.parametrize(
    ("where", "change", "path", "message"),
    [
        (
            "networks",
            lambda d: d["networks"].append({"name": "isp1", "nodes": []}),
            "networks[3].name",
            "network 'isp1' is listed twice (networks[0])",
        ),
        (
            "dotted",
            lambda d: d["networks"][0]["nodes"].append({"name": "x.y"}),
            "networks[0].nodes[3].name",
            "'x.y': in a scenario with networks a node's name is one label",
        ),
        (
            "like a network",
            lambda d: d["networks"][2]["nodes"].append({"name": "metro"}),
            "networks[2].nodes[1].name",
            "'metro' names both a node and a network (networks[0])",
        ),
        (
            "unknown end",
            lambda d: d["networks"][2]["links"].append({"a": "gw", "b": "metro.zz"}),
            "networks[2].links[1].b",
            "unknown node 'metro.zz' in network 'isp3'",
        ),
        (
            "outside its network",
            lambda d: d["networks"][0]["links"].append({"a": "r1", "b": "isp2.n1"}),
            "networks[0].links[2].b",
            "unknown node 'isp2.n1' in network 'isp1'",
        ),
        (
            "border type",
            lambda d: d["links"].append({"a": "isp1.h1", "b": "isp3.gw"}),
            "networks[0].nodes[2].type",
            "'isp1.h1' is a border of network 'isp1' (its link to 'isp3.gw' leaves it), so "
            "it relays between networks: type REP1 or RTR, not COMP",
        ),
        (
            "topology",
            lambda d: d["networks"][1].update(topology={"kind": "ring", "nodes": 2}),
            "networks[1].topology.nodes",
            "a ring needs at least 3 nodes; got 2",
        ),
        (
            "second link",
            lambda d: d["networks"][0]["links"].append({"a": "r2", "b": "r1"}),
            "networks[0].links[2]",
            "(networks[0].links[0] joins them already)",
        ),
        (
            "a link to itself",
            lambda d: d["networks"][0]["links"].append({"a": "r2", "b": "r2"}),
            "networks[0].links[2]",
            "a link from 'isp1.r2' to itself",
        ),
        (
            # a generated node has no name field: the network named like it is at fault
            "generated like a network",
            lambda d: d["networks"][1].update(networks=[{"name": "n1", "nodes": [{"name": "x"}]}]),
            "networks[1].networks[0].name",
            "'n1' names both a node and a network (networks[0]) (the topology's nodes",
        ),
        (
            "border of a network around its one-node network",
            lambda d: (
                d["networks"][2]["networks"].append(
                    {"name": "lab", "nodes": [{"name": "x", "type": "COMP"}]}
                ),
                d["networks"][2]["links"].append({"a": "gw", "b": "lab.x"}),
                d["links"].append({"a": "isp3.lab.x", "b": "isp1.h1"}),
                d["networks"][0]["nodes"][2].update(type="REP1"),
            ),
            "networks[2].networks[1].nodes[0].type",
            "'isp3.lab.x' is a border of network 'isp3' (its link to 'isp1.h1' leaves it)",
        ),
        (
            "qnic",
            lambda d: d["networks"][1]["qnic"].update(t2_s=5.0, t1_s=1.0),
            "networks[1].qnic",
            "QNIC: t2_s=5.0 exceeds 2·t1_s = 2.0",
        ),
    ],
)
def test_errors_name_the_field_of_the_file(
    where: str, change: Any, path: str, message: str
) -> None:
    data = _three()
    change(data)
    err = _refused(data)
    assert err.path == path, where
    assert message in err.message, where


def test_a_network_not_linked_inside_is_refused_naming_its_pieces() -> None:
    data = _three()
    data["networks"][0]["links"] = [{"a": "r1", "b": "r2"}]  # h1 only by a link from outside
    data["links"].append({"a": "isp2.n1", "b": "isp1.h1"})
    data["networks"][0]["nodes"][2]["type"] = "REP1"  # a border now, and it relays
    err = _refused(data)
    assert err.path == "networks[0]"  # the network's own field, not the list of them
    assert err.message == (
        "network 'isp1' falls apart into 2 pieces not linked inside it (isp1.h1; isp1.r1, "
        "isp1.r2): a network's nodes reach each other within it"
    )


def test_a_flat_scenario_is_listed_as_written() -> None:
    data = {
        "nodes": [{"name": "lab.a", "type": "COMP"}, {"name": "lab.b", "type": "COMP"}],
        "links": [{"a": "lab.a", "b": "lab.b"}],
    }
    listed = listing(Scenario.model_validate(data))
    assert listed.internet is None
    assert [n.name for n in listed.nodes] == ["lab.a", "lab.b"]  # dots allowed when flat
    assert listed.node_fields == ("nodes[0]", "nodes[1]")
    assert listed.qnic_fields == ("qnic", "qnic")


def test_a_network_may_not_list_both_topology_and_nodes() -> None:
    data = _three()
    data["networks"][1]["nodes"] = [{"name": "x"}]
    with pytest.raises(Exception, match=re.escape("give either topology or nodes, not both")):
        Scenario.model_validate(data)


def test_a_generated_interior_links_to_the_networks_inside_it() -> None:
    data = _three()
    data["networks"][1]["networks"] = [{"name": "lab", "nodes": [{"name": "x", "type": "COMP"}]}]
    data["networks"][1]["links"] = [{"a": "n1", "b": "lab.x", "length_km": 2.0}]
    listed = listing(Scenario.model_validate(data))
    assert listed.internet is not None
    # a COMP border: allowed, as the whole of its network it has nothing to pass on
    assert listed.internet.borders("isp2.lab") == {"isp2.lab.x"}
    nodes = dict(zip([n.name for n in listed.nodes], listed.nodes, strict=True))
    assert nodes["isp2.n1"].type == "RTR"  # typed by its three links
    link = listed.links[listed.link_fields.index("networks[1].links[0]")]
    assert (link.a, link.b, link.length_km) == ("isp2.n1", "isp2.lab.x", 2.0)


def test_a_generated_top_level_node_named_like_a_network_names_the_network() -> None:
    data = {
        "topology": {"kind": "chain", "nodes": 3},
        "networks": [{"name": "n1", "nodes": [{"name": "a", "type": "COMP"}]}],
        "links": [{"a": "n2", "b": "n1.a"}],
    }
    err = _refused(data)
    assert (err.path, err.message) == (
        "networks[0].name",
        "'n1' names both a node and a network (networks[0]) (the topology's nodes are named "
        "n0, n1, ...)",
    )


def test_the_top_level_may_be_islands_as_a_flat_scenario_may() -> None:
    """Two providers with no link between them: accepted (a flat scenario of two islands is),
    and the top layer has two pieces; a network inside must still be linked inside."""
    data = _three()
    data["links"] = [x for x in data["links"] if x["b"] != "isp2.n0"]
    data["traffic"] = []
    listed = listing(Scenario.model_validate(data))
    assert listed.internet is not None
    top = listed.internet.layer(ROOT)
    # isp1.r2 links out no more: not a border, so not in the top layer
    assert sorted(sorted(p) for p in nx.connected_components(top)) == [
        ["alice", "isp1.r1"],
        ["isp2.n2", "isp3.gw"],
    ]
