"""Classical delays between nodes, computed when first asked and kept.

A message between two nodes takes the shortest delay of the classical network between them.
A table of every pair costs N² memory and an all-pairs Dijkstra before the first event (1000
nodes: a million entries, 2 s); a network uses few of those pairs (classical neighbours for
flooding, the nodes of each connection's path). So a pair's delay is computed on first use by
a Dijkstra from its source that stops at its destination, and kept per pair; a source's whole
row (for its eccentricity) is kept in a small least-recently-used set of rows.

The numbers are those of the old table to the last bit: networkx's Dijkstra from the source,
stopped when the destination is settled, has summed the same edges in the same order.

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

import math
from collections import OrderedDict

import networkx as nx

__all__ = ["ClassicalDelays"]

_ROWS = 16  # whole rows kept (eccentricities; each is N floats)


class ClassicalDelays:
    """Shortest delays (s, edge attribute ``delay_s``) of a classical network, on demand.

    ``delays[a][b]`` reads like the old all-pairs table; ``delay_s(a, b)`` is the same number.
    An unreachable pair is ``math.inf``. The delays are those of ``graph`` when given (a copy
    is kept: the caller may change its graph afterwards, as it could the all-pairs table's).
    """

    def __init__(self, graph: nx.Graph[str]) -> None:
        self.graph: nx.Graph[str] = graph.copy()
        self._pairs: dict[tuple[str, str], float] = {}
        self._rows: OrderedDict[str, dict[str, float]] = OrderedDict()
        self._component: dict[str, int] = {}
        for i, nodes in enumerate(nx.connected_components(graph)):
            for node in nodes:
                self._component[node] = i

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
        else:
            found = float(nx.dijkstra_path_length(self.graph, src, dst, weight="delay_s"))
        self._pairs[key] = found
        return found

    def row(self, src: str) -> dict[str, float]:
        """Every node's delay from ``src`` (the reachable ones)."""
        row = self._rows.get(src)
        if row is None:
            row = dict(nx.single_source_dijkstra_path_length(self.graph, src, weight="delay_s"))
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
