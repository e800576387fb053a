"""Topology builders: a networkx graph becomes nodes with one QNIC per link, and MIM links.

Every node gets one QNIC per incident edge (QNIC i faces its i-th neighbour in sorted order),
by degree a COMP end node (one link), a REP1 (two) or an RTR (three or more); any of them
can end a connection, and every one but a COMP can relay. Edge attributes override the defaults:
``length_km``, ``emission_fidelity``, ``memories``.

Example:
    >>> links = links_from_graph(nx.path_graph(["a", "b", "c"]), length_km=10.0)
    >>> [(s.a.address, s.b.address, s.qnic_a, s.qnic_b) for s in links]
    [('a', 'b', 0, 0), ('b', 'c', 1, 0)]
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import networkx as nx
import numpy as np

from qrna.control._errors import ControlError
from qrna.control._network import Network
from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.link import LinkSpec, LinkType

__all__ = ["line_network", "links_from_graph", "random_graph"]

_DRAWS = 200


def links_from_graph(
    graph: nx.Graph[Any],
    length_km: float = 10.0,
    memories: int = 8,
    qnic: QNIC | None = None,
) -> list[LinkSpec]:
    """MIM links for every edge of ``graph`` (node names must be addresses)."""
    if graph.number_of_edges() == 0:
        raise ControlError("the graph has no edges")
    base = qnic or QNIC(memories)
    order = {n: sorted(graph.neighbors(n)) for n in graph}
    nodes = {}
    for n in graph:
        qnics = []
        for nbr in order[n]:
            data = graph.edges[n, nbr]
            # Every setting of ``qnic`` (new ones too), with the edge's own where it has one.
            qnics.append(
                dataclasses.replace(
                    base,
                    memories=int(data.get("memories", base.memories)),
                    emission_fidelity=float(data.get("emission_fidelity", base.emission_fidelity)),
                )
            )
        kind = {1: NodeType.COMP, 2: NodeType.REP1}.get(len(qnics), NodeType.RTR)
        nodes[n] = Node(str(n), kind, tuple(qnics))
    links = []
    for a, b in sorted((min(u, v), max(u, v)) for u, v in graph.edges):
        length = float(graph.edges[a, b].get("length_km", length_km))
        links.append(
            LinkSpec(
                nodes[a],
                nodes[b],
                LinkType.MIM,
                Fibre(length),
                qnic_a=order[a].index(b),
                qnic_b=order[b].index(a),
            )
        )
    return links


def line_network(n: int, length_km: float = 10.0, memories: int = 8, **kwargs: Any) -> Network:
    """A network of ``n`` nodes n0 … n{n−1} in a line; ``kwargs`` go to ``Network``."""
    graph = nx.path_graph([f"n{i}" for i in range(n)])
    return Network(links_from_graph(graph, length_km, memories), **kwargs)


def random_graph(
    n: int, seed: int, degree: float = 3.0, km: tuple[float, float] = (5.0, 25.0)
) -> nx.Graph[str]:
    """A connected random geometric-style graph of ``n`` nodes r0 …, with edge lengths in
    ``km`` (uniform), about ``degree`` links per node."""
    rng = np.random.default_rng(seed)
    p = min(1.0, degree / max(1, n - 1))
    for _ in range(_DRAWS):
        g = nx.gnp_random_graph(n, p, seed=int(rng.integers(2**31)))
        if nx.is_connected(g):
            break
    else:
        raise ControlError(
            f"no connected random graph of {n} nodes with about {degree} links per node in "
            f"{_DRAWS} draws; raise the degree (at least ln(n) ≈ {math.log(n):.1f} connects "
            "most graphs)"
        )
    out: nx.Graph[str] = nx.relabel_nodes(g, {i: f"r{i}" for i in g})
    for u, v in sorted(out.edges):
        out.edges[u, v]["length_km"] = float(rng.uniform(*km))
    return out
