"""Link-state flooding worked out when a database is read, not message by message.

Spec §4.2: each node's routing daemon floods its link-state advertisement, and every daemon
that receives one newer than what it holds keeps it and passes it on. Over a classical network
whose delays do not change, and without jitter, that flood is fully determined: the
advertisement an origin sends at ``t0`` first reaches node ``v`` at ``t0 + D(origin, v)``, where
``D`` is the least sum of the per-hop message latencies (integer picoseconds, each hop's latency
as the network rounds it) over paths of classical neighbours. Simulated hop by hop it costs one
event per node and advertisement: N² events at every start (a million at 1000 nodes, most of a
large network's set-up time), though almost no node reads its database before routing has
converged.

So a network without jitter, a message log or a hop of 0 ps floods with ``Flooding``: an
advertisement is noted once, with its time, and a daemon's database catches up when it is
read (``LinkStateDatabase`` calls ``catch_up`` first), taking of each origin the newest
advertisement that has reached it by now, this very picosecond included. What a daemon holds
at any instant is what it would hold had every hop been an event: hop by hop an advertisement
is taken before anything else in the picosecond it arrives (``Network``'s scheduler priority),
whenever the event that reads was queued. (A hop of 0 ps is taken only after the event that
sent it, which may read again: such a network floods hop by hop.) Once every advertisement
sent so far has reached every node (``settled_ps``: a bound, the farthest any node is from a
pivot node and back), a stale database takes the newest of every origin at once; before that,
a node's distances from every origin are worked out (one Dijkstra) and kept in a few recent
rows. Of each origin only the floods that can still be news are kept: once a newer one has
reached all of the origin's piece of the network, the older go, and the store's older
versions with them (a database still holding one catches up before it is read).

A connection manager waiting for its routes is woken (``Network``) at the instant its database
would become current, first in that picosecond, as the last arriving advertisement would have
woken it; managers woken in one picosecond go on in the order their last advertisements would
have arrived hop by hop (``wake_order``: who asks first may get the memories).

Example:
    >>> from qrna.control._lsdb import LinkStateDatabase, LinkStateStore
    >>> from qrna.control._messages import LinkStateAdvertisement
    >>> clock = [0]
    >>> hops = {"a": [("b", 5)], "b": [("a", 5), ("c", 7)], "c": [("b", 7)]}
    >>> flooding = Flooding(hops, lambda: clock[0])
    >>> store = LinkStateStore()
    >>> dbs = {v: LinkStateDatabase(store) for v in hops}
    >>> for v, db in dbs.items():
    ...     flooding.follow(db, v)
    >>> lsa = LinkStateAdvertisement("a", 1, ())
    >>> _ = dbs["a"].offer(lsa)
    >>> flooding.flood(lsa)
    >>> clock[0] = 11
    >>> "a" in dbs["b"], "a" in dbs["c"], flooding.current_at(dbs["c"])
    (True, False, 12)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from qrna.control._delays import _dijkstra
from qrna.control._messages import LinkStateAdvertisement

if TYPE_CHECKING:
    from qrna.control._lsdb import LinkStateDatabase, LinkStateStore

__all__ = ["Flooding"]

_ROWS = 16  # nodes' distance rows kept (each N entries; needed only while a flood is under way)

_Places = tuple[dict[str, tuple[int, ...]], dict[str, "str | None"]]
"""Of one flood: each node's arrival's place (``Flooding._arrival``), and who sent it."""

Hops = Mapping[str, Sequence[tuple[str, int]]]
"""node -> (classical neighbour, latency in ps of a message to it) for every neighbour."""


class Flooding:
    """The floods of one network's daemons, over ``hops`` (each node's classical neighbours and
    the latency of a message to each, in ps), on the clock ``now_ps``."""

    def __init__(self, hops: Hops, now_ps: Callable[[], int]) -> None:
        self._now = now_ps
        self._into: dict[str, list[tuple[str, int]]] = {v: [] for v in hops}
        for u, out in hops.items():
            for v, ps in out:
                self._into.setdefault(v, []).append((u, ps))
        self._out = {u: list(out) for u, out in hops.items()}
        self._nodes: dict[int, str] = {}  # id(database) -> its node
        self._store: LinkStateStore | None = None  # the databases' (``follow``)
        # per origin: (sent at, advertisement, its number among all floods) of each flood
        self._floods: dict[str, list[tuple[int, LinkStateAdvertisement, int]]] = {}
        self._rows: OrderedDict[str, dict[str, int]] = OrderedDict()
        self._from: OrderedDict[str, dict[str, int]] = OrderedDict()  # origin -> distances
        # Per node: a bound on how long its flood takes to reach all it ever reaches (None:
        # some node of its piece cannot reach another); the network's, if in one piece.
        self._reach = _reach_ps(self._out, self._into)
        bounds = set(self._reach.values())
        self._spread = bounds.pop() if len(bounds) == 1 and len(_pieces(self._into)) == 1 else None
        self.settled_ps = 0  # by then every flood so far has reached every node
        self.count = 0  # floods noted so far

    def follow(self, db: LinkStateDatabase, node: str) -> None:
        """``db`` is ``node``'s: it catches up from here before every read."""
        self._nodes[id(db)] = node
        self._store = db.store
        db.flooding = self

    def flood(self, lsa: LinkStateAdvertisement) -> None:
        """``lsa`` leaves its origin now (the origin's own database has taken it)."""
        now = self._now()
        floods = self._floods.setdefault(lsa.origin, [])
        floods.append((now, lsa, self.count))
        if self._spread is not None:
            self.settled_ps = max(self.settled_ps, now + self._spread)
        reach = self._reach.get(lsa.origin)
        if reach is not None and len(floods) > 1 and floods[1][0] + reach <= now:
            # An older flood of this origin that has reached all it reaches is never the
            # answer any more once a newer one has too: only the newest of those is kept,
            # and no database will read an older version again (it catches up first), though
            # one that has not read since may still hold it: the store may drop those.
            while len(floods) > 1 and floods[1][0] + reach <= now:
                del floods[0]
            if self._store is not None:
                self._store.drop_older(self._store.index[lsa.origin], floods[0][1].seq)
        self.count += 1

    def catch_up(self, db: LinkStateDatabase) -> None:
        """Bring ``db`` to what its node holds now: of each origin, the newest advertisement
        that has reached it."""
        now = self._now()
        if db.synced == (now, self.count):
            return
        db.synced = (now, self.count)
        store = db.store
        if db.current_now():
            return
        if now >= self.settled_ps and self._spread is not None:
            db.take_newest()
            return
        row = self._row(self._nodes[id(db)])
        held = db.held_seqs()
        for i, origin in enumerate(store.origins):
            seq = held[i] if i < len(held) else 0
            if seq == store.newest[i] or origin not in row:
                continue
            d = row[origin]
            for t0, lsa, _ in reversed(self._floods.get(origin, ())):
                if t0 + d <= now:
                    if lsa.seq > seq:
                        db.offer(lsa)
                    break

    def current_at(self, db: LinkStateDatabase) -> int | None:
        """When ``db`` will hold the newest advertisement of every origin sent so far (None:
        never, some origin cannot reach it)."""
        now = self._now()
        if self._spread is not None and now >= self.settled_ps:
            return now
        row = self._row(self._nodes[id(db)])
        at = now
        for origin, floods in self._floods.items():
            d = row.get(origin)
            if d is None:
                return None
            at = max(at, floods[-1][0] + d)
        return at

    def wake_order(self, nodes: Iterable[str]) -> list[str]:
        """``nodes`` whose databases become current now, in the order hop by hop would have
        them go on: that of the events that bring each its last advertisement."""
        order = sorted(nodes)
        if len(order) > 1:
            known: dict[int, _Places] = {}
            order.sort(key=lambda node: self._last_arrival(node, known))
        return order

    def _last_arrival(self, node: str, known: dict[int, _Places]) -> tuple[int, ...]:
        """Where, among the events of this picosecond, hop by hop the last advertisement to
        reach ``node`` now would arrive (``_arrival``); () if none arrives now."""
        now = self._now()
        row = self._row(node)
        last: tuple[int, ...] = ()
        for origin, floods in self._floods.items():
            d = row.get(origin)
            t0, _, number = floods[-1]
            if d is not None and t0 + d == now:
                last = max(last, self._arrival(origin, t0, number, node, known))
        return last

    def _arrival(
        self, origin: str, t0: int, number: int, node: str, known: dict[int, _Places]
    ) -> tuple[int, ...]:
        """The place of flood ``number``'s arrival at ``node`` in the scheduler's order, as
        a tuple that sorts like it: the arrival's time and priority (-1, ``Network``), then,
        for events of one instant, the place of the event that sent it, then which of that
        event's messages it was. An event that passes an advertisement on sends it to its
        classical neighbours in name order but the one it came from; the origin's is that of
        its ``flood`` call. Of the messages that bring it at one instant (paths of equal
        latency), the first is the one passed on. ``known``: the places (and senders) found
        so far, per flood."""
        places, sender = known.setdefault(number, ({origin: (t0, 0, number)}, {origin: None}))
        if node in places:
            return places[node]
        dist = self._distances_from(origin)
        into = self._into
        # The nodes on least-latency paths from the origin to ``node`` not placed yet.
        need = {node}
        todo = [node]
        while todo:
            v = todo.pop()
            for u, ps in into.get(v, ()):
                if u not in need and u not in places and u in dist and dist[u] + ps == dist[v]:
                    need.add(u)
                    todo.append(u)
        for v in sorted(need, key=lambda v: (dist[v], v)):  # nearest first
            first: tuple[tuple[int, ...], int, str] | None = None
            for u, ps in into.get(v, ()):
                if u in dist and dist[u] + ps == dist[v]:
                    candidate = (places[u], self._nth(u, sender[u], v), u)
                    if first is None or candidate < first:
                        first = candidate
            assert first is not None
            sender[v] = first[2]
            places[v] = (t0 + dist[v], -1, *first[0], first[1])
        return places[node]

    def _nth(self, node: str, came_from: str | None, to: str) -> int:
        """Which of the messages ``node`` sends passing an advertisement on goes to ``to``."""
        return [n for n, _ in self._out[node] if n != came_from].index(to)

    def _distances_from(self, origin: str) -> dict[str, int]:
        """Least latency (ps) from ``origin`` to each node it reaches."""
        return _recent(self._from, origin, self._out)

    def _row(self, node: str) -> dict[str, int]:
        """Least latency (ps) from each node that can reach ``node``, to it."""
        return _recent(self._rows, node, self._into)


def _recent(
    rows: OrderedDict[str, dict[str, int]],
    node: str,
    edges: Mapping[str, Sequence[tuple[str, int]]],
) -> dict[str, int]:
    """``_dijkstra(edges, node)``, kept among the ``_ROWS`` most recently used ``rows``."""
    row = rows.get(node)
    if row is None:
        row = rows[node] = _dijkstra(edges, node)
        if len(rows) > _ROWS:
            rows.popitem(last=False)
    else:
        rows.move_to_end(node)
    return row


def _pieces(into: Mapping[str, Sequence[tuple[str, int]]]) -> list[list[str]]:
    """The nodes in pieces, two nodes in one piece when a hop joins them either way."""
    near: dict[str, set[str]] = {v: set() for v in into}
    for v, ins in into.items():
        for u, _ in ins:
            near[v].add(u)
            near.setdefault(u, set()).add(v)
    seen: set[str] = set()
    pieces = []
    for start in sorted(near):
        if start in seen:
            continue
        piece, todo = [], [start]
        seen.add(start)
        while todo:
            v = todo.pop()
            piece.append(v)
            for u in near[v]:
                if u not in seen:
                    seen.add(u)
                    todo.append(u)
        pieces.append(piece)
    return pieces


def _reach_ps(
    out: Mapping[str, Sequence[tuple[str, int]]], into: Mapping[str, Sequence[tuple[str, int]]]
) -> dict[str, int | None]:
    """Per node, a bound on the latency from it to any node of its piece: to the piece's pivot
    node and on from it (the triangle inequality); None when some node of the piece cannot
    reach another."""
    reach: dict[str, int | None] = {}
    for piece in _pieces(into):
        pivot = min(piece)
        to_pivot = _dijkstra(into, pivot)
        from_pivot = _dijkstra(out, pivot)
        bound = None
        if len(to_pivot) == len(piece) and len(from_pivot) == len(piece):
            bound = max(to_pivot.values()) + max(from_pivot.values())
        for v in piece:
            reach[v] = bound
    return reach
