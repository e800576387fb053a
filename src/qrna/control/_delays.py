"""Classical delays between nodes, computed when first asked and kept.

A message between two nodes takes the shortest delay of the classical network between them.
A table of every pair costs N² memory and an all-pairs Dijkstra before the first event (1000
nodes: a million entries, 2 s); a network uses few of those pairs (classical neighbours for
flooding, the nodes of each connection's path). So a pair's delay is computed on first use by
a Dijkstra from its source that stops at its destination, and kept per pair; a source asked
for a third destination it has no row for gets its whole row (a Responder answering every
node of a 1000-node path, a swapping node telling its partners), and rows (also for
eccentricities) are kept in a small least-recently-used set.

The numbers are those of the old table to the last bit: networkx's Dijkstra from the source
(this module's own, without networkx's per-edge weight calls, does the same additions) has
summed the same edges in the same order, whether or not it stopped at the destination.

Example:
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_edge("a", "b", delay_s=1e-3)
    >>> g.add_edge("b", "c", delay_s=2e-3)
    >>> d = ClassicalDelays(g)
    >>> d.delay_s("a", "c"), d["c"]["a"], d.eccentricity_s("a")
    (0.003, 0.003, 0.003)
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TypeVar

import networkx as nx

__all__ = ["ClassicalDelays"]

_N = TypeVar("_N", int, float)
_ROWS = 64  # whole rows kept (each is N floats)
_ROW_AFTER = 2  # a source's destinations found one by one before its whole row is taken


class ClassicalDelays:
    """Shortest delays (s, edge attribute ``delay_s``) of a classical network, on demand.

    ``delays[a][b]`` reads like the old all-pairs table; ``delay_s(a, b)`` is the same number.
    An unreachable pair is ``math.inf``. The delays are those of ``graph`` when given (a copy
    is kept: the caller may change its graph afterwards, as it could the all-pairs table's).
    """

    def __init__(self, graph: nx.Graph[str]) -> None:
        self.graph: nx.Graph[str] = graph.copy()
        # networkx's weight for an edge without the attribute is 1, as the old table had it.
        self._adj = {
            v: [(u, e.get("delay_s", 1)) for u, e in self.graph.adj[v].items()] for v in self.graph
        }
        self._pairs: dict[tuple[str, str], float] = {}
        self._asked: dict[str, int] = {}  # source -> destinations found one by one
        self._rows: OrderedDict[str, dict[str, float]] = OrderedDict()
        self._component: dict[str, int] = {}
        pieces = list(nx.connected_components(self.graph))
        for i, nodes in enumerate(pieces):
            for node in nodes:
                self._component[node] = i
        # A forest (a chain, a tree: as many edges as nodes less pieces, no loop) has one path
        # between two nodes: a delay is the sum along it, from the source, as a Dijkstra adds
        # it up, with no search (each node's parent, depth and edge to its parent).
        self._up: dict[str, tuple[str, int, float]] | None = None
        if self.graph.number_of_edges() == len(self.graph) - len(pieces):
            self._up = {}
            for nodes in pieces:
                root = min(nodes)
                self._up[root] = (root, 0, 0.0)
                stack = [root]
                while stack:
                    v = stack.pop()
                    depth = self._up[v][1] + 1
                    for u, w in self._adj[v]:
                        if u not in self._up:
                            self._up[u] = (v, depth, w)
                            stack.append(u)

    def connected(self, a: str, b: str) -> bool:
        """Whether a message from ``a`` can reach ``b`` at all."""
        ca = self._component.get(a)
        return ca is not None and ca == self._component.get(b)

    def delay_s(self, src: str, dst: str) -> float:
        """The shortest classical delay from ``src`` to ``dst`` (inf: no route)."""
        key = (src, dst)
        known = self._pairs.get(key)
        if known is not None:
            return known
        row = self._rows.get(src)
        if row is not None:
            found = row.get(dst, math.inf)
        elif not self.connected(src, dst):
            found = math.inf
        elif self._up is not None:
            found = float(_along(self._up, src, dst))
        else:
            asked = self._asked.get(src, 0)
            if asked >= _ROW_AFTER:
                found = float(self.row(src)[dst])
            else:
                self._asked[src] = asked + 1
                found = float(_dijkstra(self._adj, src, dst)[dst])
        self._pairs[key] = found
        return found

    def row(self, src: str) -> dict[str, float]:
        """Every node's delay from ``src`` (the reachable ones)."""
        row = self._rows.get(src)
        if row is None:
            if src not in self._adj:
                raise nx.NodeNotFound(f"Node {src} not found in graph")
            row = _dijkstra(self._adj, src) if self._up is None else _spread(self._adj, src)
            self._rows[src] = row
            if len(self._rows) > _ROWS:
                self._rows.popitem(last=False)
        else:
            self._rows.move_to_end(src)
        return row

    def eccentricity_s(self, node: str) -> float:
        """The longest delay from ``node`` to a node it can reach: by then, anything every
        node sent at once has reached it."""
        return max(self.row(node).values())

    def __getitem__(self, src: str) -> _Row:
        if src not in self._component:
            raise KeyError(src)
        return _Row(self, src)


def _along(up: dict[str, tuple[str, int, float]], src: str, dst: str) -> float:
    """On a forest: the sum of the edges from ``src`` to ``dst`` (same piece), added in order
    from ``src`` (as a Dijkstra from ``src`` adds them)."""
    rise: list[float] = []  # src up to the meeting node
    fall: list[float] = []  # dst up to the meeting node (added in reverse)
    a, b = src, dst
    while a != b:
        pa, da, wa = up[a]
        pb, db, wb = up[b]
        if da >= db:
            rise.append(wa)
            a = pa
        else:
            fall.append(wb)
            b = pb
    d: float = 0
    for w in rise:
        d = d + w
    for w in reversed(fall):
        d = d + w
    return d


def _spread(adj: dict[str, list[tuple[str, float]]], source: str) -> dict[str, float]:
    """On a forest: every node's delay from ``source`` (its piece), each its parent's plus the
    edge, as a Dijkstra finds them."""
    dist: dict[str, float] = {source: 0}
    stack = [source]
    while stack:
        v = stack.pop()
        d = dist[v]
        for u, w in adj[v]:
            if u not in dist:
                dist[u] = d + w
                stack.append(u)
    return dist


def _dijkstra(
    adj: Mapping[str, Sequence[tuple[str, _N]]], source: str, target: str | None = None
) -> dict[str, _N]:
    """Least delays from ``source``, settled in order until ``target`` is (or all are): the
    additions of networkx's ``_dijkstra_multisource``, in its order. Weights are seconds
    here, integer picoseconds for ``Flooding``."""
    dist: dict[str, _N] = {}
    seen: dict[str, _N] = {source: 0}
    fringe: list[tuple[_N, int, str]] = [(0, 0, source)]
    count = 1
    while fringe:
        d, _, v = heapq.heappop(fringe)
        if v in dist:
            continue
        dist[v] = d
        if v == target:
            break
        for u, cost in adj.get(v, ()):
            vu = d + cost
            if u not in dist and (u not in seen or vu < seen[u]):
                seen[u] = vu
                heapq.heappush(fringe, (vu, count, u))
                count += 1
    return dist


class _Row:
    """``delays[src]``: the delays from one source, read one at a time."""

    __slots__ = ("_delays", "_src")

    def __init__(self, delays: ClassicalDelays, src: str) -> None:
        self._delays = delays
        self._src = src

    def __getitem__(self, dst: str) -> float:
        if not self._delays.connected(self._src, dst):
            raise KeyError(dst)
        return self._delays.delay_s(self._src, dst)

    def __contains__(self, dst: object) -> bool:
        return isinstance(dst, str) and self._delays.connected(self._src, dst)
