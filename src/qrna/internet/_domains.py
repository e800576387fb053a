"""Networks of networks (spec §5, Fig. 5): the networks an internetwork is made of, their
borders, and the graph each layer routes over.

A *network* (an administrative domain) holds nodes and networks. Names are hierarchical
(spec §3.1): the node ``r3`` of the network ``metro2`` inside ``isp1`` is ``isp1.metro2.r3``,
and the network itself is ``isp1.metro2``. The spec allows the names to form a DAG; here they
form a tree (a network lies in exactly one network), the common case of providers and their
metro networks. The whole internetwork is the *root* network, named ``""``: a flat scenario
is a root with no networks in it.

A *border* of a network is a node of it, at any depth, with a quantum link to a node outside
it. Seen from the network that contains it, a network is its borders joined pairwise by
*virtual links*: its border-to-border paths, which it offers one layer up with its own
estimate and hides otherwise ("the border router rewrites the existing set of link
information into a single hop, much like a single hop in BGP routing", spec §5).

The *layer* of a network ``N`` is the graph its routing sees: as vertices, ``N``'s own nodes
and the borders of the networks directly in ``N``; as edges, the links between those vertices
that do not lie inside one of those networks (``N``'s interior links and the links between
its networks), and one virtual link per network directly in ``N`` and per pair of its borders.
A node therefore appears in the layer of its own network and, if it is a border, in the layer
of each enclosing network up to the one its outward link reaches.

Example:
    >>> net = Internetwork(
    ...     {"a.r": "a", "a.x": "a", "b.r": "b", "b.y": "b"},
    ...     [("a.x", "a.r"), ("a.r", "b.r"), ("b.r", "b.y")],
    ...     {"a": "", "b": ""},
    ... )
    >>> sorted(net.borders("a")), net.network_of("b.y")
    (['a.r'], 'b')
    >>> sorted(net.layer("").edges)
    [('a.r', 'b.r')]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import networkx as nx

from qrna.internet._errors import InternetError

__all__ = ["ROOT", "Internetwork"]

ROOT = ""
"""The root network's name: the whole internetwork."""


def _join(network: str, label: str) -> str:
    return f"{network}.{label}" if network else label


class Internetwork:
    """The networks, their nodes and the physical links of an internetwork; immutable.

    Args:
        nodes: every node's full name -> the network directly holding it (``ROOT`` for the
            root's own nodes).
        links: the quantum links, as pairs of node names.
        parents: every network but the root -> the network directly holding it.

    Raises:
        InternetError: naming the bad value, for a name that is not its network's name
            followed by one label, a network whose parent is unknown, a link to an unknown
            node or from a node to itself, or a network whose interior is not connected
            (its nodes would need a path outside it to reach each other, and no virtual link
            could be offered over that). The whole internetwork may be islands, as a flat
            network may: a connection joins nodes of one island.
    """

    def __init__(
        self,
        nodes: Mapping[str, str],
        links: Iterable[tuple[str, str]],
        parents: Mapping[str, str],
    ) -> None:
        self._parent: dict[str, str] = dict(parents)
        children: dict[str, list[str]] = {ROOT: []}
        for name in sorted(self._parent):
            children.setdefault(name, [])
        for name, parent in sorted(self._parent.items()):
            if name == ROOT:
                raise InternetError("the root network has no parent")
            if parent not in children:
                raise InternetError(f"network {name!r}: its parent {parent!r} is not a network")
            self._check_name("network", name, parent)
            children[parent].append(name)
        for name in self._parent:  # a cycle would never reach the root
            self._ancestors(name)
        self._children = {k: tuple(v) for k, v in children.items()}
        self._network: dict[str, str] = dict(nodes)
        members: dict[str, list[str]] = {n: [] for n in children}
        for node, network in sorted(self._network.items()):
            if network not in members:
                raise InternetError(f"node {node!r}: its network {network!r} is not a network")
            self._check_name("node", node, network)
            if node in children:
                raise InternetError(f"{node!r} names both a node and a network")
            members[network].append(node)
        self._members = {k: tuple(v) for k, v in members.items()}
        self.graph: nx.Graph[str] = nx.Graph()
        self.graph.add_nodes_from(sorted(self._network))
        for a, b in links:
            for end in (a, b):
                if end not in self._network:
                    raise InternetError(f"link {a!r}-{b!r}: no node {end!r}")
            if a == b:
                raise InternetError(f"link from {a!r} to itself")
            self.graph.add_edge(a, b)
        self._inside: dict[str, frozenset[str]] = {}
        for name in self._children:
            self._inside[name] = frozenset(self._subtree_nodes(name))
        self._borders = {name: self._find_borders(name) for name in self._children}
        for name in sorted(self._parent):  # the root may be islands, as a flat network may
            self._check_connected(name)

    # -- names --------------------------------------------------------------------------------

    @staticmethod
    def _check_name(kind: str, name: str, network: str) -> None:
        label = name[len(network) + 1 :] if network else name
        if (network and not name.startswith(network + ".")) or not label or "." in label:
            raise InternetError(
                f"{kind} {name!r} in "
                + (f"network {network!r}" if network else "the top level")
                + f": a name is its network's name and one label (e.g. {_join(network, 'r1')!r})"
            )

    def _ancestors(self, network: str) -> list[str]:
        out = []
        seen = {network}
        while network != ROOT:
            network = self._parent[network]
            if network in seen:
                raise InternetError(f"networks {sorted(seen)} hold each other in a cycle")
            seen.add(network)
            out.append(network)
        return out

    @property
    def networks(self) -> tuple[str, ...]:
        """Every network's name, the root (``""``) first, then in name order."""
        return (ROOT, *sorted(self._parent))

    def parent(self, network: str) -> str:
        """The network directly holding ``network`` (not for the root)."""
        self._known(network)
        if network == ROOT:
            raise InternetError("the root network has no parent")
        return self._parent[network]

    def children(self, network: str) -> tuple[str, ...]:
        """The networks directly in ``network``, in name order."""
        self._known(network)
        return self._children[network]

    def members(self, network: str) -> tuple[str, ...]:
        """The nodes directly in ``network`` (not in its networks), in name order."""
        self._known(network)
        return self._members[network]

    def nodes(self, network: str = ROOT) -> frozenset[str]:
        """Every node in ``network``, at any depth."""
        self._known(network)
        return self._inside[network]

    def network_of(self, node: str) -> str:
        """The network directly holding ``node``."""
        try:
            return self._network[node]
        except KeyError:
            raise InternetError(f"no node {node!r} in the internetwork") from None

    def chain(self, node: str) -> tuple[str, ...]:
        """The networks holding ``node``, innermost first, the root last."""
        first = self.network_of(node)
        return (first, *self._ancestors(first))

    def _known(self, network: str) -> None:
        if network not in self._children:
            raise InternetError(
                f"no network {network!r}; networks: {', '.join(self.networks[1:]) or 'none'}"
            )

    def _subtree_nodes(self, network: str) -> list[str]:
        out = list(self._members[network])
        for child in self._children[network]:
            out += self._subtree_nodes(child)
        return out

    # -- borders and layers ---------------------------------------------------------------------

    def _find_borders(self, network: str) -> frozenset[str]:
        inside = self._inside[network]
        return frozenset(n for n in inside if any(m not in inside for m in self.graph.neighbors(n)))

    def borders(self, network: str) -> frozenset[str]:
        """The nodes of ``network`` (at any depth) with a link leaving it (none for the root)."""
        self._known(network)
        return self._borders[network]

    def layers_of(self, node: str) -> tuple[str, ...]:
        """The networks in whose layer ``node`` is a vertex, innermost first: its own, then
        each one above while it is a border of the network below it there (a border of
        ``isp1`` is seen in the root's layer; an interior node only in its own)."""
        out = [self.network_of(node)]
        for below, above in itertools.pairwise(self.chain(node)):
            if node not in self._borders[below]:
                break
            out.append(above)
        return tuple(out)

    def interior(self, network: str) -> nx.Graph[str]:
        """The links with both ends in ``network``: what its own routing may use."""
        return self.graph.subgraph(self.nodes(network))

    def _check_connected(self, network: str) -> None:
        inside = self.interior(network)
        parts = sorted(sorted(p) for p in nx.connected_components(inside))
        if len(parts) > 1:
            shown = "; ".join(", ".join(p[:3]) + (", ..." if len(p) > 3 else "") for p in parts)
            what = f"network {network!r}" if network else "the internetwork"
            raise InternetError(
                f"{what} falls apart into {len(parts)} pieces not linked inside it ({shown}): "
                "a network's nodes reach each other within it",
                network,
            )

    def layer(self, network: str) -> nx.Graph[str]:
        """The graph ``network``'s routing sees (see the module's docstring). A virtual link
        carries ``via``: the network it crosses; a physical link carries ``via`` None."""
        self._known(network)
        g: nx.Graph[str] = nx.Graph()
        g.add_nodes_from(self._members[network])
        owner: dict[str, str] = {n: network for n in self._members[network]}
        for child in self._children[network]:
            for b in self._borders[child]:
                g.add_node(b)
                owner[b] = child
            for a, b in itertools.combinations(sorted(self._borders[child]), 2):
                g.add_edge(a, b, via=child)
        for a in list(g.nodes):
            for b in self.graph.neighbors(a):
                # A link inside one of the networks is hidden in its virtual links.
                if b in owner and (owner[a] != owner[b] or owner[a] == network):
                    g.add_edge(a, b, via=None)
        return g

    def __repr__(self) -> str:
        return (
            f"Internetwork(networks={len(self._parent)}, nodes={len(self._network)}, "
            f"links={self.graph.number_of_edges()})"
        )
