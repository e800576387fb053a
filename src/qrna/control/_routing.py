"""The routing daemon: link-state flooding and qDijkstra (spec §4.2), sans-IO.

Each node's daemon knows its own links (from link monitoring) and advertises them in a
``LinkStateAdvertisement`` with a sequence number; a daemon that receives an advertisement newer
than the one it holds stores it and passes it on to its classical neighbours except the sender.
Paths are computed on the graph of every advertised link with networkx's Dijkstra, under a
pluggable metric:

- ``"qdijkstra"`` (default): seconds per Bell pair of the requested fidelity, purification
  included (``seconds_per_pair``), the spec's recommendation;
- ``"hops"``: one per link; ``"length"``: fibre kilometres (for comparison).

A link is used only if both ends advertise it; its cost is the larger of the two ends' views.
Ties break deterministically: among equal-cost paths the one whose node sequence, read from the
destination back, is smallest. Routes are cached per (destination, fidelity) and recomputed
when any link state changes.

Example:
    >>> d = RoutingDaemon("a", neighbours=["b"])
    >>> effects = d.set_links([LinkState("b", 1000.0, (1.0, 0.0, 0.0, 0.0), 1.0, 5e-6)])
    >>> [(e.dst, type(e.message).__name__) for e in effects]
    [('b', 'LinkStateAdvertisement')]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import networkx as nx

from qrna.control._errors import ControlError
from qrna.control._lsdb import LinkStateDatabase, LinkStateStore
from qrna.control._messages import ControlMessage, LinkState, LinkStateAdvertisement
from qrna.link import seconds_per_pair
from qrna.physics import BellDiagonal

__all__ = ["METRICS", "Metric", "RoutingDaemon", "SendControl", "qdijkstra_cost"]

Metric = Callable[[LinkState, float], float]
"""A link's cost given the requested end-to-end fidelity (math.inf: unusable)."""


def qdijkstra_cost(link: LinkState, fidelity: float) -> float:
    """Seconds per Bell pair of at least ``fidelity`` on this link (spec §4.2)."""
    return seconds_per_pair(link.rate_hz, BellDiagonal(*link.weights), fidelity)


METRICS: dict[str, Metric] = {
    "qdijkstra": qdijkstra_cost,
    "hops": lambda link, fidelity: 1.0,
    "length": lambda link, fidelity: link.length_km,
}


@dataclass(frozen=True, slots=True)
class SendControl:
    """Effect: send a control message to ``dst`` over the classical network."""

    dst: str
    message: ControlMessage


class RoutingDaemon:
    """The routing daemon of ``node``.

    Args:
        node: this node's address.
        neighbours: its classical neighbours (advertisements are flooded to them).
        metric: a name in ``METRICS`` or a callable ``(LinkState, fidelity) -> cost``.
        relay: whether this node may be in the middle of a path (an end node may not).
        store: where the advertisements are kept, shared by a network's daemons
            (``LinkStateStore``); default: one of its own.
    """

    def __init__(
        self,
        node: str,
        neighbours: Iterable[str],
        metric: str | Metric = "qdijkstra",
        relay: bool = True,
        store: LinkStateStore | None = None,
    ) -> None:
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ControlError(
                    f"metric={metric!r} is not a routing metric; expected one of "
                    + ", ".join(sorted(METRICS))
                    + " or a callable"
                )
            metric = METRICS[metric]
        self.node = node
        self.relay = relay
        self.neighbours = sorted(set(neighbours))
        self.metric = metric
        self.lsdb = LinkStateDatabase(LinkStateStore() if store is None else store)
        self.version = 0  # counts the changes of its database
        self._seq = 0
        self._cache: dict[float, tuple[dict[str, list[str]], dict[str, float]]] = {}
        self._hop_cache: dict[float, dict[str, int]] = {}
        self.recomputations = 0

    # -- events -------------------------------------------------------------------------------

    def set_links(self, links: Iterable[LinkState]) -> list[SendControl]:
        """This node's link states changed (link monitoring): advertise them."""
        self._seq += 1
        lsa = LinkStateAdvertisement(self.node, self._seq, tuple(links), self.relay)
        self._store(lsa)
        return [SendControl(n, lsa) for n in self.neighbours]

    def on_advertisement(self, src: str, lsa: LinkStateAdvertisement) -> list[SendControl]:
        """An advertisement arrived from neighbour ``src``: keep and pass it on if new."""
        if lsa.origin == self.node or not self.lsdb.offer(lsa):
            return []
        self._changed()
        return [SendControl(n, lsa) for n in self.neighbours if n != src]

    def _store(self, lsa: LinkStateAdvertisement) -> None:
        self.lsdb.offer(lsa)
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        if self._cache:
            self._cache.clear()
            self._hop_cache.clear()

    # -- routes -------------------------------------------------------------------------------

    def graph(self, fidelity: float) -> nx.DiGraph[str]:
        """The advertised topology with each usable link's cost under the metric, directed so
        that a path leaves a node that does not relay only if the path starts there."""
        g: nx.DiGraph[str] = nx.DiGraph()
        views: dict[tuple[str, str], list[float]] = {}
        for origin in sorted(self.lsdb):
            for link in self.lsdb[origin].links:
                key = (min(origin, link.neighbour), max(origin, link.neighbour))
                views.setdefault(key, []).append(self.metric(link, fidelity))
        for (a, b), costs in sorted(views.items()):
            if len(costs) == 2 and all(math.isfinite(c) for c in costs):
                for x, y in ((a, b), (b, a)):
                    if x == self.node or self._relays(x):
                        g.add_edge(x, y, cost=max(costs))
                    else:
                        g.add_node(x)
        return g

    def _relays(self, node: str) -> bool:
        lsa = self.lsdb.get(node)
        return lsa is None or lsa.relay

    def _routes(self, fidelity: float) -> tuple[dict[str, list[str]], dict[str, float]]:
        cached = self._cache.get(fidelity)
        if cached is None:
            self.recomputations += 1
            g = self.graph(fidelity)
            if self.node in g:
                pred, dist = nx.dijkstra_predecessor_and_distance(g, self.node, weight="cost")
            else:
                pred, dist = {self.node: []}, {self.node: 0.0}
            cached = (pred, dist)
            self._cache[fidelity] = cached
        return cached

    def path(self, dst: str, fidelity: float) -> list[str] | None:
        """The cheapest path from this node to ``dst`` for pairs of ``fidelity`` (None: no
        usable route); among equally cheap ones the fewest hops, then the first by name."""
        pred, _ = self._routes(fidelity)
        if dst not in pred:
            return None
        hops = self._hops(fidelity, pred)
        out = [dst]
        while out[-1] != self.node:
            v = out[-1]
            # A predecessor one hop nearer: zero-cost links (the length metric, links of
            # 0 km) make equal-cost predecessors of each other, and a walk by name alone
            # could go round them for ever.
            out.append(min(p for p in pred[v] if hops[p] == hops[v] - 1))
        return out[::-1]

    def _hops(self, fidelity: float, pred: dict[str, list[str]]) -> dict[str, int]:
        """Fewest hops from this node to each node over cheapest-path links only."""
        hops = self._hop_cache.get(fidelity)
        if hops is None:
            succ: dict[str, list[str]] = {}
            for v, ps in pred.items():
                for p in ps:
                    succ.setdefault(p, []).append(v)
            hops = {self.node: 0}
            frontier = [self.node]
            while frontier:
                nxt = []
                for u in frontier:
                    for v in succ.get(u, ()):
                        if v not in hops:
                            hops[v] = hops[u] + 1
                            nxt.append(v)
                frontier = nxt
            self._hop_cache[fidelity] = hops
        return hops

    def cost(self, dst: str, fidelity: float) -> float:
        """The path cost to ``dst`` under the metric (inf: unreachable)."""
        _, dist = self._routes(fidelity)
        return float(dist.get(dst, math.inf))

    def next_hop(self, dst: str, fidelity: float) -> str | None:
        """The neighbour to forward toward ``dst`` (None: no route)."""
        p = self.path(dst, fidelity)
        return p[1] if p is not None and len(p) > 1 else None
