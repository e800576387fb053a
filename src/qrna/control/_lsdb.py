"""Link-state databases of a whole network, each advertisement stored once.

Every routing daemon holds one advertisement per node: N² entries in all, a million dict
entries (about 40 MB) at 1000 nodes, though after flooding every daemon holds the same ones.
So a network's daemons share one ``LinkStateStore``: it keeps each advertisement once, and a
daemon's database is a version vector, the sequence number it holds of each origin (4 bytes
an entry; 0: none yet). An advertisement no daemon holds any more (a newer one replaced it
everywhere, or a newer one came and no daemon holds it) is dropped from the store.

Example:
    >>> from qrna.control._messages import LinkStateAdvertisement
    >>> store = LinkStateStore()
    >>> db = LinkStateDatabase(store)
    >>> db.offer(LinkStateAdvertisement("b", 1, ()))
    True
    >>> db.offer(LinkStateAdvertisement("b", 1, ()))  # not newer than what it holds
    False
    >>> sorted(db), len(db), db["b"].seq
    (['b'], 1, 1)
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from qrna.control._messages import LinkStateAdvertisement

if TYPE_CHECKING:
    from qrna.control._flooding import Flooding

__all__ = ["LinkStateDatabase", "LinkStateStore"]

_ROUTES = 64  # route tables kept (each N entries; a request routed hop by hop needs one at a time)


class LinkStateStore:
    """Every advertisement some daemon of a network holds, once."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}  # origin -> its number
        self.origins: list[str] = []
        self.versions: list[dict[int, LinkStateAdvertisement]] = []  # per origin number
        self.newest = array("I")  # per origin number: the newest seq any daemon holds
        self.takers = array("I")  # per origin number: databases that hold the newest
        self.databases: list[LinkStateDatabase] = []
        # Derived from the newest advertisements, dropped when one changes (the routing
        # daemons' business: _routing.py): usable links per (metric, fidelity), and the
        # recent route tables of daemons that hold the newest of every advertisement.
        self.links: dict[Any, Any] = {}
        self.routes: OrderedDict[Any, Any] = OrderedDict()

    def number(self, origin: str) -> int:
        """The origin's number, given on first sight."""
        i = self.index.get(origin)
        if i is None:
            i = self.index[origin] = len(self.origins)
            self.origins.append(origin)
            self.versions.append({})
            self.newest.append(0)
            self.takers.append(0)
        return i

    def add(self, i: int, lsa: LinkStateAdvertisement) -> None:
        """A database takes ``lsa`` (of origin number ``i``), which the store lacks."""
        versions = self.versions[i]
        versions[lsa.seq] = lsa
        if lsa.seq > self.newest[i]:
            self.newest[i] = lsa.seq
            self.takers[i] = 0
            if self.links or self.routes:
                self.links.clear()
                self.routes.clear()
            if len(versions) > 1:
                # Drop the versions no database holds any more (a message on its way with
                # one brings it back when it is taken: it is newer than what its taker has).
                held = {db._held[i] for db in self.databases if i < len(db._held)}
                for seq in [seq for seq in versions if seq not in held]:
                    if seq != lsa.seq:
                        del versions[seq]

    def took_newest(self, i: int) -> None:
        """Every database holds the newest advertisement of origin number ``i``: the older
        versions go."""
        versions = self.versions[i]
        for seq in [seq for seq in versions if seq != self.newest[i]]:
            del versions[seq]

    def drop_older(self, i: int, seq: int) -> None:
        """No database will read a version of origin number ``i`` older than ``seq`` again
        (``Flooding``: each catches up before it reads, past them): they go, though a
        database that has not read since may still hold one."""
        versions = self.versions[i]
        for old in [old for old in versions if old < seq]:
            del versions[old]

    def keep_routes(self, key: Any, routes: Any) -> None:
        """Keep a daemon's route table among the most recent few."""
        self.routes[key] = routes
        if len(self.routes) > _ROUTES:
            self.routes.popitem(last=False)

    def stored(self) -> int:
        """Advertisements kept (old ones go once no daemon holds them)."""
        return sum(len(v) for v in self.versions)


class LinkStateDatabase(Mapping[str, LinkStateAdvertisement]):
    """One daemon's database: origin → the newest advertisement it holds, over a shared
    ``LinkStateStore``.

    ``version`` counts its changes. A database that follows a ``Flooding`` (a network's
    daemons without jitter) catches up with it before every read: it holds what the flood
    has brought its node by now."""

    __slots__ = ("_count", "_held", "flooding", "store", "synced", "version")

    def __init__(self, store: LinkStateStore) -> None:
        self.store = store
        self._held = array("I")  # per origin number: the seq held (0: none)
        self._count = 0
        self.version = 0
        self.flooding: Flooding | None = None
        self.synced = (-1, -1)  # (time, floods) of its last catch-up
        store.databases.append(self)

    def _sync(self) -> None:
        if self.flooding is not None:
            self.flooding.catch_up(self)

    def offer(self, lsa: LinkStateAdvertisement) -> bool:
        """Keep ``lsa`` if it is newer than what this database holds of its origin; whether
        it was kept."""
        store = self.store
        i = store.index.get(lsa.origin)
        if i is None:
            i = store.number(lsa.origin)
        held = self._held
        if i >= len(held):
            held.frombytes(bytes(held.itemsize * (len(store.origins) - len(held))))
        old = held[i]
        if old >= lsa.seq:
            return False
        seq = held[i] = lsa.seq
        self.version += 1
        if not old:
            self._count += 1
        newest = store.newest[i]
        if seq != newest and seq not in store.versions[i]:  # the newest is always stored
            store.add(i, lsa)
            newest = store.newest[i]
        if seq == newest:  # store.took_newest inlined: a million calls set up 1000 nodes
            takers = store.takers[i] + 1
            store.takers[i] = takers
            if takers == len(store.databases) and len(store.versions[i]) > 1:
                store.took_newest(i)
        return True

    def current(self) -> bool:
        """Whether it holds the newest advertisement of every origin the network knows."""
        self._sync()
        return self._held == self.store.newest  # a shorter one misses an origin

    def current_now(self) -> bool:
        """``current`` without catching up first (``Flooding``'s own test)."""
        return self._held == self.store.newest

    def held_seqs(self) -> array[int]:
        """The seq held per origin number, as it stands (no catch-up)."""
        return self._held

    def take_newest(self) -> None:
        """Hold the newest advertisement of every origin (a flood that has reached every
        node): what taking each would do, at once."""
        store = self.store
        newest = np.frombuffer(store.newest, dtype=store.newest.typecode)
        takers = np.frombuffer(store.takers, dtype=store.takers.typecode)  # a view: written through
        held = np.zeros_like(newest)
        held[: len(self._held)] = np.frombuffer(self._held, dtype=self._held.typecode)
        taken = held != newest
        takers[taken] += 1
        # A Python loop over every origin here is N² at the start of an N-node network.
        for i in np.flatnonzero(taken & (takers == len(store.databases))).tolist():
            if len(store.versions[i]) > 1:
                store.took_newest(i)
        self._held = array("I", store.newest)
        self._count = len(newest)  # an origin is numbered when its first advertisement comes
        self.version += 1

    def __getitem__(self, origin: str) -> LinkStateAdvertisement:
        self._sync()
        i = self.store.index.get(origin)
        if i is None or i >= len(self._held) or not self._held[i]:
            raise KeyError(origin)
        return self.store.versions[i][self._held[i]]

    def get_seq(self, origin: str) -> int:
        """The seq held of ``origin`` (0: none)."""
        self._sync()
        i = self.store.index.get(origin)
        return 0 if i is None or i >= len(self._held) else self._held[i]

    def __contains__(self, origin: object) -> bool:
        return isinstance(origin, str) and self.get_seq(origin) > 0

    def __iter__(self) -> Iterator[str]:
        self._sync()
        origins = self.store.origins
        return (origins[i] for i, seq in enumerate(self._held) if seq)

    def __len__(self) -> int:
        self._sync()
        return self._count
