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
destination back, is smallest. Routes are cached per fidelity and recomputed when any link
state changes; a daemon whose database is the newest (every daemon, once flooding is over)
shares the usable links with the others, and its routes sit among the network's few most recent
(``LinkStateStore``), so that routing a request along a path of N nodes costs N Dijkstra runs
over one shared graph, and memory for a few, not N² (1000 nodes: a path of 1000 hops once
built 1000 graphs of 1000 links and kept 1000 route tables).

Example:
    >>> d = RoutingDaemon("a", neighbours=["b"])
    >>> effects = d.set_links([LinkState("b", 1000.0, (1.0, 0.0, 0.0, 0.0), 1.0, 5e-6)])
    >>> [(e.dst, type(e.message).__name__) for e in effects]
    [('b', 'LinkStateAdvertisement')]
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping
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
        network: the layer it routes in (spec §5; "" the whole network): its advertisements
            carry it, and are flooded to its neighbours in that layer.
    """

    def __init__(
        self,
        node: str,
        neighbours: Iterable[str],
        metric: str | Metric = "qdijkstra",
        relay: bool = True,
        store: LinkStateStore | None = None,
        network: str = "",
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
        self.network = network
        self.relay = relay
        self.neighbours = sorted(set(neighbours))
        self.metric = metric
        self.lsdb = LinkStateDatabase(LinkStateStore() if store is None else store)
        self._onward: dict[str, list[str]] = {}  # sender -> the neighbours to flood on to
        self._seq = 0
        self._cache: dict[float, _Routes] = {}  # while its database is not the newest
        self._cache_version = 0  # the database's version the cached routes were found on
        self.recomputations = 0

    @property
    def version(self) -> int:
        """Counts the changes of its database."""
        return self.lsdb.version

    # -- events -------------------------------------------------------------------------------

    def set_links(self, links: Iterable[LinkState]) -> list[SendControl]:
        """This node's link states changed (link monitoring): advertise them."""
        self._seq += 1
        lsa = LinkStateAdvertisement(self.node, self._seq, tuple(links), self.relay, self.network)
        self.lsdb.offer(lsa)
        return [SendControl(n, lsa) for n in self.neighbours]

    def on_advertisement(self, src: str, lsa: LinkStateAdvertisement) -> list[SendControl]:
        """An advertisement arrived from neighbour ``src``: keep and pass it on if new."""
        onward = self.flood(src, lsa)
        return [] if onward is None else [SendControl(n, lsa) for n in onward]

    def flood(self, src: str, lsa: LinkStateAdvertisement) -> list[str] | None:
        """``on_advertisement`` without the effects (a network's fast path: flooding sends
        N² messages): the neighbours to pass ``lsa`` on to, or None if it was not new."""
        if lsa.origin == self.node or not self.lsdb.offer(lsa):
            return None
        onward = self._onward.get(src)
        if onward is None:
            onward = self._onward[src] = [n for n in self.neighbours if n != src]
        return onward

    # -- routes -------------------------------------------------------------------------------

    def graph(self, fidelity: float) -> nx.DiGraph[str]:
        """The advertised topology with each usable link's cost under the metric, directed so
        that a path leaves a node that does not relay only if the path starts there."""
        links, stubs = _usable_links(self.lsdb, self.metric, fidelity)
        g: nx.DiGraph[str] = nx.DiGraph()
        for x, out in links.items():
            if x == self.node or x not in stubs:
                for y, cost in out:
                    g.add_edge(x, y, cost=cost)
            else:
                g.add_node(x)
        return g

    def _shared(self, fidelity: float) -> tuple[Links, frozenset[str], bool]:
        """The usable links, the nodes that do not relay, and whether the links form a forest,
        worked out once per metric and fidelity for every daemon that holds the newest
        advertisement of every node (the store's)."""
        store = self.lsdb.store
        shared = store.links.get((self.metric, fidelity))
        if shared is None:
            links, stubs = _usable_links(self.lsdb, self.metric, fidelity)
            shared = (links, stubs, _is_forest(links))
            store.links[(self.metric, fidelity)] = shared
        return shared

    def _routes(self, fidelity: float) -> _Routes:
        # A daemon that holds the newest advertisement of every node sees what every such
        # daemon sees: the usable links are worked out once for all of them (the store's), and
        # its routes kept among the store's few recent ones; during flooding it has its own.
        if self.lsdb.current():
            store = self.lsdb.store
            key = (self.node, self.metric, fidelity)
            routes = store.routes.get(key)
            if routes is None:
                self.recomputations += 1
                links, stubs, _ = self._shared(fidelity)
                routes = _Routes(self.node, *_search(self.node, links, stubs))
                store.keep_routes(key, routes)
            return routes
        if self._cache_version != self.lsdb.version:
            self._cache.clear()
            self._cache_version = self.lsdb.version
        routes = self._cache.get(fidelity)
        if routes is None:
            self.recomputations += 1
            links, stubs = _usable_links(self.lsdb, self.metric, fidelity)
            routes = _Routes(self.node, *_search(self.node, links, stubs))
            self._cache[fidelity] = routes
        return routes

    def _toward(self, dst: str, fidelity: float) -> dict[str, str] | None:
        """Every node's next hop toward ``dst``, when the usable links form a forest (a chain,
        a tree) and this daemon holds the newest of every advertisement; None otherwise.

        On a forest there is one path between two nodes, so it is the cheapest whatever the
        metric: one walk out from ``dst`` finds every node's next hop, where a request routed
        hop by hop along N nodes would otherwise search from each of them (N searches of N
        nodes: most of a 1000-node chain's connection setup)."""
        if not self.lsdb.current():
            return None
        links, stubs, forest = self._shared(fidelity)
        if not forest:
            return None
        store = self.lsdb.store
        key = ("toward", self.metric, fidelity, dst)
        toward = store.routes.get(key)
        if toward is None:
            toward = _walk_out(dst, links, stubs)
            store.keep_routes(key, toward)
        else:
            store.routes.move_to_end(key)
        return toward

    def path(self, dst: str, fidelity: float) -> list[str] | None:
        """The cheapest path from this node to ``dst`` for pairs of ``fidelity`` (None: no
        usable route); among equally cheap ones the fewest hops, then the first by name."""
        toward = self._toward(dst, fidelity)
        if toward is None:
            return self._routes(fidelity).path(dst)
        if self.node != dst and self.node not in toward:
            return None
        out = [self.node]
        while out[-1] != dst:
            out.append(toward[out[-1]])
        return out

    def cost(self, dst: str, fidelity: float) -> float:
        """The path cost to ``dst`` under the metric (inf: unreachable)."""
        return float(self._routes(fidelity).dist.get(dst, math.inf))

    def next_hop(self, dst: str, fidelity: float) -> str | None:
        """The neighbour to forward toward ``dst`` (None: no route)."""
        if dst == self.node:
            return None
        toward = self._toward(dst, fidelity)
        if toward is not None:
            return toward.get(self.node)
        p = self._routes(fidelity).path(dst)
        return p[1] if p is not None else None


Links = dict[str, list[tuple[str, float]]]
"""node -> (neighbour, cost) of each usable link, both ways."""


def _usable_links(
    lsdb: Mapping[str, LinkStateAdvertisement], metric: Metric, fidelity: float
) -> tuple[Links, frozenset[str]]:
    """The links both ends advertise with a finite cost (the larger of the two ends' views),
    and the nodes that do not relay."""
    views: dict[tuple[str, str], list[float]] = {}
    stubs = set()
    for origin in sorted(lsdb):
        lsa = lsdb[origin]
        if not lsa.relay:
            stubs.add(origin)
        for link in lsa.links:
            key = (min(origin, link.neighbour), max(origin, link.neighbour))
            views.setdefault(key, []).append(metric(link, fidelity))
    links: Links = {}
    for (a, b), costs in sorted(views.items()):
        if len(costs) == 2 and all(math.isfinite(c) for c in costs):
            cost = max(costs)
            links.setdefault(a, []).append((b, cost))
            links.setdefault(b, []).append((a, cost))
    return links, frozenset(stubs)


def _is_forest(links: Links) -> bool:
    """Whether ``links`` (each one listed both ways) hold no cycle: as many links as nodes
    less pieces."""
    seen: set[str] = set()
    pieces = 0
    for start in links:
        if start in seen:
            continue
        pieces += 1
        seen.add(start)
        stack = [start]
        while stack:
            for u, _ in links[stack.pop()]:
                if u not in seen:
                    seen.add(u)
                    stack.append(u)
    edges = sum(len(out) for out in links.values()) // 2
    return edges == len(links) - pieces


def _walk_out(dst: str, links: Links, stubs: frozenset[str]) -> dict[str, str]:
    """On a forest: each node that has a path to ``dst`` (through nodes that relay) and its
    next hop on it."""
    toward: dict[str, str] = {}
    frontier = [dst]
    while frontier:
        nxt = []
        for v in frontier:
            if v in stubs and v != dst:
                continue  # a path may start at a node that does not relay, not cross it
            for u, _ in links.get(v, ()):
                if u != dst and u not in toward:
                    toward[u] = v
                    nxt.append(u)
        frontier = nxt
    return toward


def _dijkstra(
    source: str, links: Links, stubs: frozenset[str]
) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Predecessors and distances from ``source`` over ``links``, leaving a node of ``stubs``
    only from the source: networkx's ``dijkstra_predecessor_and_distance`` to the bit (a
    node's distance is the least of its settled predecessors' distance plus the link, and its
    predecessors all those that reach it at that distance, in whatever order they settle)."""
    pred, dist, _ = _search(source, links, stubs)
    return pred, dist


def _search(
    source: str, links: Links, stubs: frozenset[str]
) -> tuple[dict[str, list[str]], dict[str, float], dict[str, int] | None]:
    """``_dijkstra``, and the fewest hops to each node over cheapest-path links (None when a
    zero-cost link gave a settled node a predecessor late: ``_Routes`` then counts them)."""
    dist: dict[str, float] = {}
    seen = {source: 0.0}
    pred: dict[str, list[str]] = {source: []}
    hops: dict[str, int] | None = {}
    fringe = [(0.0, 0, source)]
    count = 1
    while fringe:
        d, _, v = heapq.heappop(fringe)
        if v in dist:
            continue
        dist[v] = d
        if hops is not None:
            # Every predecessor settled before v (its distance is smaller, the link costing
            # more than 0): v's hop count is final now, as a breadth-first count would find.
            ps = pred[v]
            if not ps:
                hops[v] = 0
            elif len(ps) == 1:
                hops[v] = hops[ps[0]] + 1
            else:
                hops[v] = min(hops[p] for p in ps) + 1
        if v in stubs and v != source:
            continue
        for u, cost in links.get(v, ()):
            vu = d + cost
            if u in dist:
                if vu == dist[u]:
                    pred[u].append(v)
                    hops = None  # a settled node's predecessors grew: counted afterwards
            elif u not in seen or vu < seen[u]:
                seen[u] = vu
                heapq.heappush(fringe, (vu, count, u))
                count += 1
                pred[u] = [v]
            elif vu == seen[u]:
                pred[u].append(v)
    return pred, dist, hops


class _Routes:
    """One daemon's cheapest paths for one fidelity: predecessors, distances, and (when
    first needed) the fewest hops to each node over cheapest-path links only."""

    __slots__ = ("_hops", "dist", "pred", "source")

    def __init__(
        self,
        source: str,
        pred: dict[str, list[str]],
        dist: dict[str, float],
        hops: dict[str, int] | None = None,
    ) -> None:
        self.source = source
        self.pred = pred
        self.dist = dist
        self._hops = hops

    def path(self, dst: str) -> list[str] | None:
        """The cheapest path from the source to ``dst``: among equally cheap ones the fewest
        hops, then the smallest node sequence read from ``dst`` back (None: unreachable)."""
        pred = self.pred
        if dst not in pred:
            return None
        hops = self.hops()
        out = [dst]
        while out[-1] != self.source:
            v = out[-1]
            # A predecessor one hop nearer: zero-cost links (the length metric, links of
            # 0 km) make equal-cost predecessors of each other, and a walk by name alone
            # could go round them for ever.
            out.append(min(p for p in pred[v] if hops[p] == hops[v] - 1))
        return out[::-1]

    def hops(self) -> dict[str, int]:
        if self._hops is None:
            succ: dict[str, list[str]] = {}
            for v, ps in self.pred.items():
                for p in ps:
                    succ.setdefault(p, []).append(v)
            hops = {self.source: 0}
            frontier = [self.source]
            while frontier:
                nxt = []
                for u in frontier:
                    for v in succ.get(u, ()):
                        if v not in hops:
                            hops[v] = hops[u] + 1
                            nxt.append(v)
                frontier = nxt
            self._hops = hops
        return self._hops
