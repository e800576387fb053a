"""Hypothesis strategies that draw whole valid scenarios (STYLE.md §11).

A drawn scenario is a plain mapping, as a user would write in a file: 2–8 nodes joined by a
random connected graph (chains, stars, trees and cycles), node types wherever the spec allows
them (MEAS, COMP and SNSR ends; REP1 with two links; RTR with three or more; COMP with several),
every link type in both orientations (a MEAS node only as ``b`` of MM or either end of MSM),
lengths down to zero, noisy or ideal hardware, and 1–3 connections between end nodes that
some path of repeaters joins, each with an application its ends can run and a pairs or a
duration demand. Simulation settings vary the backend, jitter, link monitoring and the seed.

Every example is small enough to run in a fraction of a second: the suite runs a bounded,
derandomised number of them, and ``HYPOTHESIS_PROFILE=explore`` many more.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from hypothesis import strategies as st

from qrna.scenario import TopologyConfig, topology_graph

END_TYPES = ("MEAS", "COMP", "SNSR")
RELAYS = ("REP1", "RTR")
APPS_ANY = ("pairs", "qkd", "teleport", "tomography", "sensing")
APPS_MEAS = ("pairs", "qkd")


@st.composite
def graphs(draw: st.DrawFn) -> nx.Graph[int]:
    """A connected graph on 2–8 nodes: a chain, a star or a random tree, plus a few extra
    edges (cycles) now and then."""
    n = draw(st.integers(2, 8))
    shape = draw(st.sampled_from(("chain", "star", "tree")))
    g: nx.Graph[int] = nx.Graph()
    g.add_nodes_from(range(n))
    for i in range(1, n):
        parent = {"chain": i - 1, "star": 0}.get(shape)
        if parent is None:
            parent = draw(st.integers(0, i - 1))
        g.add_edge(parent, i)
    if n >= 3:
        for _ in range(draw(st.integers(0, 2))):
            a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            if a != b:
                g.add_edge(a, b)
    return g


def _node_type(draw: st.DrawFn, degree: int) -> str:
    if degree == 1:
        return draw(st.sampled_from(END_TYPES))
    if degree == 2:
        return draw(st.sampled_from(("REP1", "REP1", "REP1", "COMP", "SNSR")))
    return draw(st.sampled_from(("RTR", "RTR", "RTR", "COMP")))


def _link(draw: st.DrawFn, x: str, y: str, types: dict[str, str]) -> dict[str, Any]:
    """A link joining x and y in either orientation, of a type their ends allow."""
    a, b = (x, y) if draw(st.booleans()) else (y, x)
    meas = {n for n in (a, b) if types[n] == "MEAS"}
    if len(meas) == 2:
        kinds = ["MSM"]
    elif meas:
        kinds = ["MSM"] if a in meas else ["MM", "MSM"]
    else:
        kinds = ["MIM", "MM", "MSM"]
    kind = draw(st.sampled_from(kinds))
    link: dict[str, Any] = {
        "a": a,
        "b": b,
        "type": kind,
        "length_km": draw(st.sampled_from((0, 0.0, 0.5, 2, 5.0, 10, 25.0))),
    }
    if draw(st.booleans()):
        link["detector_efficiency"] = draw(st.sampled_from((0.5, 0.8, 0.95)))
        link["dark_count_probability"] = draw(st.sampled_from((0.0, 1e-6, 1e-4)))
    if kind == "MIM" and draw(st.integers(0, 4)) == 0:
        link["heralding"] = "single_click"
        link["bright_state_population"] = draw(st.sampled_from((0.02, 0.1)))
    if kind == "MSM":
        link["pair_probability"] = draw(st.sampled_from((0.1, 0.5, 1.0)))
        link["source_fidelity"] = draw(st.sampled_from((0.9, 0.97, 1.0)))
    if draw(st.booleans()):
        link["emission_fidelity"] = draw(st.sampled_from((0.9, 0.97, 0.99, 1.0)))
    if draw(st.integers(0, 3)) == 0:
        link["memories"] = draw(st.integers(1, 6))
    return link


# (T1, T2) with T2 <= 2 T1, as physics requires.
_LIFETIMES = (
    {"t1_s": 0.05, "t2_s": 0.01},
    {"t1_s": 1.0, "t2_s": 0.5},
    {"t1_s": 10.0, "t2_s": 5.0},
    {"t1_s": 0.5, "t2_s": 1.0},
    {"t2_s": 0.05},
)


def _qnic(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"memories": draw(st.integers(1, 8))}  # ideal memories and gates
    return {
        "memories": draw(st.integers(1, 8)),
        **draw(st.sampled_from(_LIFETIMES)),
        "emission_efficiency": draw(st.sampled_from((0.5, 0.9, 1.0))),
        "emission_fidelity": draw(st.sampled_from((0.93, 0.98, 1.0))),
        "cnot_error": draw(st.sampled_from((0.0, 0.002, 0.01))),
        "readout_error": draw(st.sampled_from((0.0, 0.005))),
    }


def _traffic(
    draw: st.DrawFn,
    named: nx.Graph[str],
    types: dict[str, str],
    per_node: dict[str, int],
    short: bool,
) -> list[dict[str, Any]]:
    """1–3 connections between end nodes that a path of repeaters joins (none if no two
    are), each with an application its ends can run and a demand."""
    relay = [n for n in named if types[n] in RELAYS]
    ends = sorted(n for n in named if types[n] not in RELAYS)
    candidates = [
        (x, y)
        for x in ends
        for y in ends
        if x < y and nx.has_path(named.subgraph([*relay, x, y]), x, y)
    ]
    traffic: list[dict[str, Any]] = []
    if not candidates:
        return traffic
    for k in range(draw(st.integers(1, 3))):
        x, y = draw(st.sampled_from(candidates))
        if draw(st.booleans()):
            x, y = y, x
        meas = types[x] == "MEAS" or types[y] == "MEAS"
        t: dict[str, Any] = {
            "initiator": x,
            "responder": y,
            "app": draw(st.sampled_from(APPS_MEAS if meas else APPS_ANY)),
            "fidelity": draw(st.sampled_from((0.5, 0.7, 0.8, 0.9, 0.95))),
            "start_s": draw(st.sampled_from((0.0, 1e-3, 2e-3))),
            "name": f"t{k}",
        }
        limit = min(per_node.get(x, 8), per_node.get(y, 8))
        t["memories"] = draw(st.integers(1, max(1, min(limit, 4))))
        # Links under a kilometre herald pairs every few tens of nanoseconds, and two MEAS
        # ends have no memory to bound the source's rate: open-ended demands there deliver
        # millions of pairs, a benchmark rather than a test.
        fast = short or (types[x] == "MEAS" and types[y] == "MEAS")
        demand = "pairs" if fast else draw(st.sampled_from(("pairs", "duration", "open")))
        if demand == "pairs":
            t["pairs"] = draw(st.integers(1, 40))
        elif demand == "duration":
            t["duration_s"] = draw(st.sampled_from((1e-3, 5e-3)))
        traffic.append(t)
    return traffic


def _simulation(draw: st.DrawFn) -> dict[str, Any]:
    simulation: dict[str, Any] = {
        "duration_s": draw(st.sampled_from((0.005, 0.01, 0.02))),
        "seed": draw(st.integers(0, 2**31 - 1)),
        "backend": draw(st.sampled_from(("bell_diagonal", "bell_diagonal", "density_matrix"))),
        "metric": draw(st.sampled_from(("qdijkstra", "qdijkstra", "hops", "length"))),
    }
    if draw(st.integers(0, 3)) == 0:
        simulation["jitter"] = draw(st.sampled_from((0.5, 2.0)))
    if draw(st.integers(0, 3)) == 0:
        simulation["monitor_fraction"] = draw(st.sampled_from((0.05, 0.3)))
        simulation["monitor_interval_s"] = 0.002
    return simulation


@st.composite
def generated_topologies(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario on a generated topology (``topology:``), its link template drawn like a
    listed link's; nodes get the types the generator gives them (COMP, REP1, RTR)."""
    kind, low, high = draw(
        st.sampled_from(
            (
                ("chain", 2, 8),
                ("ring", 3, 8),
                ("grid", 2, 9),
                ("star", 3, 8),
                ("dumbbell", 6, 8),
                ("random", 4, 10),
            )
        )
    )
    topology: dict[str, Any] = {"kind": kind, "nodes": draw(st.integers(low, high))}
    if kind == "random":
        topology["seed"] = draw(st.integers(0, 1000))
        topology["degree"] = draw(st.sampled_from((2, 2.5, 3.0)))
    link = _link(draw, "x", "y", {"x": "COMP", "y": "COMP"})
    del link["a"], link["b"]
    topology["link"] = link
    graph = topology_graph(TopologyConfig.model_validate(topology))
    kinds = {1: "COMP", 2: "REP1"}
    types = {n: kinds.get(d, "RTR") for n, d in graph.degree}
    qnic = _qnic(draw)
    m = link.get("memories", qnic["memories"])
    return {
        "name": "fuzz",
        "qnic": qnic,
        "topology": topology,
        "traffic": _traffic(draw, graph, types, dict.fromkeys(graph, m), link["length_km"] < 1),
        "simulation": _simulation(draw),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A whole valid scenario mapping (see the module docstring)."""
    if draw(st.integers(0, 3)) == 0:
        return draw(generated_topologies())
    g = draw(graphs())
    names = {i: f"n{i}" for i in g}
    types = {names[i]: _node_type(draw, g.degree(i)) for i in g}
    qnic = _qnic(draw)
    nodes = [{"name": names[i], "type": types[names[i]]} for i in sorted(g)]
    if draw(st.integers(0, 3)) == 0:  # a node with its own QNIC settings
        k = draw(st.integers(0, len(nodes) - 1))
        if types[nodes[k]["name"]] != "MEAS":
            nodes[k]["qnic"] = _qnic(draw)
    links = [_link(draw, names[u], names[v], types) for u, v in sorted(g.edges)]
    # Memories per QNIC of each node, over its links (what a connection may reserve).
    per_node: dict[str, int] = {}
    node_qnic = {n["name"]: n.get("qnic", qnic) for n in nodes}
    for link in links:
        for end in (link["a"], link["b"]):
            m = link.get("memories", node_qnic[end]["memories"])
            per_node[end] = min(per_node.get(end, m), m)
    named = nx.relabel_nodes(g, names)
    short = any(link["length_km"] < 1 for link in links)
    scenario: dict[str, Any] = {
        "name": "fuzz",
        "qnic": qnic,
        "nodes": nodes,
        "links": links,
        "traffic": _traffic(draw, named, types, per_node, short),
        "simulation": _simulation(draw),
    }
    if draw(st.integers(0, 4)) == 0:
        # A classical network of its own: the same edges, each message slower or faster
        # than light in the fibre.
        scenario["classical_links"] = [
            {
                "a": link["a"],
                "b": link["b"],
                "delay_s": link["length_km"] * 5e-6 * draw(st.sampled_from((0.5, 1, 3))),
            }
            for link in links
        ]
    return scenario
