"""What a scenario lists: its nodes and links, declared or generated, flat or in networks.

A scenario's ``networks`` (spec §5: administrative domains; ``NetworkConfig``) are resolved
here into one list of nodes and links with full hierarchical names (``isp1.metro2.r3``), the
``Internetwork`` they form, and, for every node and link, the field of the file it came from,
so that an error found later names ``networks[0].links[2]``, not a position in the resolved
list. A flat scenario (no ``networks``) is listed as it is, its names untouched.

Topology generators name nodes n0 … (random graphs: r0 …) and give every link the
topology's link settings: ``chain`` (a line), ``ring``, ``grid`` (rows × ``columns``),
``star`` (n0 in the middle), ``dumbbell`` (two joined stars), ``random`` (connected, about
``degree`` links per node). A generated node's type follows its links, those leaving its
network included (1: COMP, 2: REP1, else RTR). A border (a node with a link leaving its
network) relays between networks: it must be a REP1 or an RTR, unless it is its network's
only node.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as _field

import networkx as nx

from qrna.control import random_graph
from qrna.internet import ROOT, InternetError, Internetwork
from qrna.scenario._errors import ScenarioError
from qrna.scenario._schema import (
    LinkConfig,
    LinkSettings,
    NetworkConfig,
    NodeConfig,
    QNICConfig,
    Scenario,
    TopologyConfig,
)

__all__ = ["Listing", "listing", "topology_graph"]


def topology_graph(t: TopologyConfig) -> nx.Graph[str]:
    """The graph a topology generator makes."""
    n = t.nodes
    names = [f"n{i}" for i in range(n)]
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(names)
    if t.kind == "chain":
        g.add_edges_from(itertools.pairwise(names))
    elif t.kind == "ring":
        if n < 3:
            raise ScenarioError("topology.nodes", f"a ring needs at least 3 nodes; got {n}")
        g.add_edges_from(zip(names, names[1:] + names[:1], strict=True))
    elif t.kind == "star":
        g.add_edges_from(("n0", x) for x in names[1:])
    elif t.kind == "grid":
        cols = t.columns or max(1, round(math.sqrt(n)))
        for i in range(n):
            if (i + 1) % cols and i + 1 < n:
                g.add_edge(names[i], names[i + 1])
            if i + cols < n:
                g.add_edge(names[i], names[i + cols])
    elif t.kind == "dumbbell":
        if n < 6:
            raise ScenarioError("topology.nodes", f"a dumbbell needs at least 6 nodes; got {n}")
        half = n // 2
        g.add_edges_from(("n0", names[i]) for i in range(1, half))
        g.add_edges_from((names[half], names[i]) for i in range(half + 1, n))
        g.add_edge("n0", names[half])
    else:
        g = random_graph(n, seed=t.seed, degree=t.degree)
    return g


@dataclass(frozen=True, slots=True)
class Listing:
    """A scenario's nodes and links with full names, and where each came from.

    ``node_fields[j]`` / ``link_fields[i]`` are the file's field paths of ``nodes[j]`` /
    ``links[i]``; ``qnic_fields[j]`` that of the QNIC settings ``nodes[j]`` takes (its own, its
    network's or the scenario's). ``internet`` is None for a flat scenario."""

    nodes: tuple[NodeConfig, ...]
    links: tuple[LinkConfig, ...]
    node_fields: tuple[str, ...]
    link_fields: tuple[str, ...]
    qnic_fields: tuple[str, ...]
    internet: Internetwork | None
    offer_fidelity: Mapping[str, float] = _field(default_factory=dict)  # per network (full name)
    # Per network that sets one or is inside one that does: (generator, its field path).
    generators: Mapping[str, tuple[str, str]] = _field(default_factory=dict)
    metrics: Mapping[str, str] = _field(default_factory=dict)  # ... the metric of its layer

    def qnic(self, j: int, default: QNICConfig) -> QNICConfig:
        """The QNIC settings of ``nodes[j]``."""
        return self.nodes[j].qnic or default


def _generated(
    t: TopologyConfig, where: str
) -> tuple[list[NodeConfig], list[LinkConfig], list[str], list[str]]:
    try:
        g = topology_graph(t)
    except ScenarioError as exc:
        raise ScenarioError(where + exc.path, exc.message) from None
    except ValueError as exc:  # a random graph that would not connect
        raise ScenarioError(f"{where}topology.degree", str(exc)) from None
    base = (t.link or LinkSettings()).model_dump()
    links = [LinkConfig(a=a, b=b, **base) for a, b in sorted(g.edges)]
    degree = dict(g.degree)
    kinds = {1: "COMP", 2: "REP1"}
    nodes = [NodeConfig(name=n, type=kinds.get(degree[n], "RTR")) for n in sorted(g)]  # type: ignore[arg-type]
    return nodes, links, [f"{where}topology"] * len(nodes), [f"{where}topology"] * len(links)


class _Lister:
    """Walks the tree of networks, root first, collecting full names."""

    def __init__(self) -> None:
        self.nodes: list[NodeConfig] = []
        self.links: list[LinkConfig] = []
        self.node_fields: list[str] = []
        self.link_fields: list[str] = []
        self.link_networks: list[str] = []  # the network that lists each link
        self.qnic_fields: list[str] = []
        self.generated: list[bool] = []
        self.network_of: dict[str, str] = {}
        self.parents: dict[str, str] = {}
        self.network_fields: dict[str, str] = {ROOT: "networks"}  # where each was declared
        self.offer_fidelity: dict[str, float] = {}
        self.generators: dict[str, tuple[str, str]] = {}
        self.metrics: dict[str, str] = {}

    def visit(
        self,
        network: str,
        where: str,
        nodes: Sequence[NodeConfig],
        links: Sequence[LinkConfig],
        topology: TopologyConfig | None,
        networks: Sequence[NetworkConfig],
        qnic: tuple[QNICConfig | None, str],
    ) -> None:
        labels: dict[str, int] = {}
        for i, sub in enumerate(networks):
            if sub.name in labels:
                raise ScenarioError(
                    f"{where}networks[{i}].name",
                    f"network {sub.name!r} is listed twice (networks[{labels[sub.name]}])",
                )
            labels[sub.name] = i
        generated = topology is not None
        link_fields = [f"{where}links[{i}]" for i in range(len(links))]
        if topology is not None:  # its links, then the listed ones (to networks inside)
            nodes, made, node_fields, made_fields = _generated(topology, where)
            links, link_fields = [*made, *links], made_fields + link_fields
        else:
            node_fields = [f"{where}nodes[{j}]" for j in range(len(nodes))]
        for node, field in zip(nodes, node_fields, strict=True):
            self._node(network, node, field, labels, qnic, generated)
        for link, field in zip(links, link_fields, strict=True):
            a = f"{network}.{link.a}" if network else link.a
            b = f"{network}.{link.b}" if network else link.b
            self.links.append(link.model_copy(update={"a": a, "b": b}))
            self.link_fields.append(field)
            self.link_networks.append(network)
        for i, sub in enumerate(networks):
            name = f"{network}.{sub.name}" if network else sub.name
            self.parents[name] = network
            self.network_fields[name] = f"{where}networks[{i}]"
            if sub.offer_fidelity is not None:
                self.offer_fidelity[name] = sub.offer_fidelity
            # Settings a network does not give are its enclosing network's.
            if sub.generator is not None:
                self.generators[name] = (sub.generator, f"{where}networks[{i}].generator")
            elif network in self.generators:
                self.generators[name] = self.generators[network]
            if sub.metric is not None:
                self.metrics[name] = sub.metric
            elif network in self.metrics:
                self.metrics[name] = self.metrics[network]
            inner = (sub.qnic, f"{where}networks[{i}].qnic") if sub.qnic is not None else qnic
            self.visit(
                name,
                f"{where}networks[{i}].",
                sub.nodes,
                sub.links,
                sub.topology,
                sub.networks,
                inner,
            )

    def _node(
        self,
        network: str,
        node: NodeConfig,
        field: str,
        labels: dict[str, int],
        qnic: tuple[QNICConfig | None, str],
        generated: bool,
    ) -> None:
        if "." in node.name:
            raise ScenarioError(
                f"{field}.name",
                f"{node.name!r}: in a scenario with networks a node's name is one label "
                "(letters, digits, '_', '-'); its network's names make the rest",
            )
        if node.name in labels:
            # A generated node has no name field of its own: the network's name is at fault.
            raise ScenarioError(
                f"{field.removesuffix('topology')}networks[{labels[node.name]}].name"
                if generated
                else f"{field}.name",
                f"{node.name!r} names both a node and a network (networks[{labels[node.name]}])"
                + (" (the topology's nodes are named n0, n1, ...)" if generated else ""),
            )
        full = f"{network}.{node.name}" if network else node.name
        own = node.qnic is not None
        self.nodes.append(
            node.model_copy(update={"name": full, "qnic": node.qnic if own else qnic[0]})
        )
        self.node_fields.append(field)
        self.qnic_fields.append(f"{field}.qnic" if own else qnic[1])
        self.generated.append(generated)
        self.network_of[full] = network


def listing(s: Scenario) -> Listing:
    """The scenario's nodes and links (see the module's docstring).

    Raises:
        ScenarioError: naming the field, for a generated topology that cannot be made, and,
            in a scenario with networks, a network listed twice, a node named with a dot or
            like a network beside it, a link to a node that is not in the network listing it,
            a network not linked inside, or a border node that is not a router.
    """
    if not s.networks:
        if s.topology is not None:
            nodes, links, nf, lf = _generated(s.topology, "")
        else:
            nodes, links = list(s.nodes), list(s.links)
            nf = [f"nodes[{j}]" for j in range(len(nodes))]
            lf = [f"links[{i}]" for i in range(len(links))]
        qf = [f"{f}.qnic" if n.qnic is not None else "qnic" for n, f in zip(nodes, nf, strict=True)]
        return Listing(tuple(nodes), tuple(links), tuple(nf), tuple(lf), tuple(qf), None)
    lister = _Lister()
    lister.visit(ROOT, "", s.nodes, s.links, s.topology, s.networks, (None, "qnic"))
    for i, link in enumerate(lister.links):
        for end in ("a", "b"):
            name = getattr(link, end)
            if name not in lister.network_of:
                holder = lister.link_networks[i]
                given = name[len(holder) + 1 :] if holder else name
                raise ScenarioError(
                    f"{lister.link_fields[i]}.{end}",
                    f"unknown node {given!r} in "
                    + (f"network {holder!r}" if holder else "the scenario's top level")
                    + "; a link names a node of the network listing it, or of a network in "
                    "it (e.g. 'metro.r1'), relative to that network",
                )
        if link.a == link.b:
            raise ScenarioError(lister.link_fields[i], f"a link from {link.a!r} to itself")
    try:
        internet = Internetwork(
            lister.network_of, [(x.a, x.b) for x in lister.links], lister.parents
        )
    except InternetError as exc:
        where = lister.network_fields.get(exc.network or ROOT, "networks")
        raise ScenarioError(where, str(exc)) from None
    nodes = lister.nodes
    kinds = {1: "COMP", 2: "REP1"}
    for j, node in enumerate(nodes):
        if lister.generated[j]:  # typed by all its links, its network's and those leaving it
            kind = kinds.get(internet.graph.degree(node.name), "RTR")
            nodes[j] = node.model_copy(update={"type": kind})
            continue
        if node.type in ("REP1", "RTR"):
            continue
        # A border passes its network's traffic on, unless it is the whole network: of a
        # network around it too (a one-node network inside a larger one, linked out of both).
        for inner in internet.chain(node.name)[:-1]:
            inside = internet.nodes(inner)
            if node.name not in internet.borders(inner) or len(inside) == 1:
                continue
            out = next(m for m in internet.graph.neighbors(node.name) if m not in inside)
            raise ScenarioError(
                f"{lister.node_fields[j]}.type",
                f"{node.name!r} is a border of network {inner!r} (its link to {out!r} leaves "
                f"it), so it relays between networks: type REP1 or RTR, not {node.type}",
            )
    return Listing(
        tuple(nodes),
        tuple(lister.links),
        tuple(lister.node_fields),
        tuple(lister.link_fields),
        tuple(lister.qnic_fields),
        internet,
        lister.offer_fidelity,
        lister.generators,
        lister.metrics,
    )
