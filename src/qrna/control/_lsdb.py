"""Link-state databases of a whole network, each advertisement stored once.

Every routing daemon holds one advertisement per node: N² entries in all, a million dict
entries (about 40 MB) at 1000 nodes, though after flooding every daemon holds the same ones.
So a network's daemons share one ``LinkStateStore``: it keeps each advertisement once, and a
daemon's database is a version vector, the sequence number it holds of each origin (4 bytes
an entry; 0: none yet). An advertisement no daemon holds any more (a newer one replaced it
everywhere) is dropped from the store.

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
from collections.abc import Iterator, Mapping

from qrna.control._messages import LinkStateAdvertisement

__all__ = ["LinkStateDatabase", "LinkStateStore"]


class LinkStateStore:
    """Every advertisement some daemon of a network holds, once, with how many hold it."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}  # origin -> its number
        self.origins: list[str] = []
        # per origin number: seq -> [advertisement, daemons holding it]
        self._versions: list[dict[int, list[object]]] = []
        self.newest = array("I")  # per origin number: the newest seq any daemon holds

    def number(self, origin: str) -> int:
        """The origin's number, given on first sight."""
        i = self.index.get(origin)
        if i is None:
            i = self.index[origin] = len(self.origins)
            self.origins.append(origin)
            self._versions.append({})
            self.newest.append(0)
        return i

    def hold(self, i: int, lsa: LinkStateAdvertisement, old_seq: int) -> None:
        """A daemon now holds ``lsa`` (of origin number ``i``) instead of ``old_seq``."""
        versions = self._versions[i]
        entry = versions.get(lsa.seq)
        if entry is None:
            versions[lsa.seq] = [lsa, 1]
            if lsa.seq > self.newest[i]:
                self.newest[i] = lsa.seq
        else:
            entry[1] += 1  # type: ignore[operator]
        if old_seq:
            old = versions[old_seq]
            old[1] -= 1  # type: ignore[operator]
            if not old[1]:
                del versions[old_seq]

    def get(self, i: int, seq: int) -> LinkStateAdvertisement:
        lsa: LinkStateAdvertisement = self._versions[i][seq][0]  # type: ignore[assignment]
        return lsa

    def stored(self) -> int:
        """Advertisements kept (for tests: old ones are dropped once no daemon holds them)."""
        return sum(len(v) for v in self._versions)


class LinkStateDatabase(Mapping[str, LinkStateAdvertisement]):
    """One daemon's database: origin → the newest advertisement it holds, over a shared
    ``LinkStateStore``."""

    __slots__ = ("_count", "_held", "store")

    def __init__(self, store: LinkStateStore) -> None:
        self.store = store
        self._held = array("I")  # per origin number: the seq held (0: none)
        self._count = 0

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
        held[i] = lsa.seq
        if not old:
            self._count += 1
        store.hold(i, lsa, old)
        return True

    def current(self) -> bool:
        """Whether it holds the newest advertisement of every origin the network knows."""
        return self._held == self.store.newest  # a shorter one misses an origin

    def __getitem__(self, origin: str) -> LinkStateAdvertisement:
        i = self.store.index.get(origin)
        if i is None or i >= len(self._held) or not self._held[i]:
            raise KeyError(origin)
        return self.store.get(i, self._held[i])

    def get_seq(self, origin: str) -> int:
        """The seq held of ``origin`` (0: none)."""
        i = self.store.index.get(origin)
        return 0 if i is None or i >= len(self._held) else self._held[i]

    def __contains__(self, origin: object) -> bool:
        return isinstance(origin, str) and self.get_seq(origin) > 0

    def __iter__(self) -> Iterator[str]:
        origins = self.store.origins
        return (origins[i] for i, seq in enumerate(self._held) if seq)

    def __len__(self) -> int:
        return self._count
