"""The parts of a plan's estimate that the plans weighed on one path share, worked out once
per request (issue 12: the generator's search stays fast).

``estimate`` is the whole model; the generator and the working-fidelity resolver
(``qrna.control._until``) ask ``Parts`` for its pieces instead, so that plans differing only
above a level share what lies below it: the purified links per (scheme, rounds, pumping),
the swap tree per order, the waiting model's timing per links and end-to-end rounds held,
the swapped segments per segment purification of the levels up to their own, and what
segment purification's own timing does to a plan's rate.
"""

from __future__ import annotations

from qrna.control._estimate import (
    _delivered,
    _Levels,
    _links,
    _Memo,
    _Segment,
    _segment_factor,
    _Swapped,
    _swapped,
    _timed_rounds,
    _timing,
    _Tree,
)
from qrna.control._messages import HopRecord
from qrna.control._waiting import ChainTiming

__all__ = ["Candidate", "LinkKey", "Parts"]

# (link scheme, link rounds, link pumping, swap order, segment purification, e2e scheme,
# e2e rounds, e2e pumping): one plan the generator weighs.
Candidate = tuple[str, int, bool, str, _Levels, str, int, bool]
LinkKey = tuple[str, int, bool]  # (link scheme, link rounds, link pumping)


class Parts:
    """The estimate's shared parts on the path ``hops`` for ``memories`` memories per QNIC
    (and ``twirl``: every purification twirls its inputs), each computed on first use.
    Every answer is the one ``estimate`` computes for the same plan."""

    __slots__ = (
        "_factors",
        "_links",
        "_memos",
        "_swapped",
        "_timings",
        "_trees",
        "hops",
        "memories",
        "twirl",
    )

    def __init__(self, hops: tuple[HopRecord, ...], memories: int, twirl: bool) -> None:
        self.hops = hops
        self.memories = memories
        self.twirl = twirl
        self._links: dict[LinkKey, list[_Segment] | None] = {}
        self._trees: dict[str, _Tree] = {}
        self._memos: dict[tuple[LinkKey, str, int], _Memo] = {}
        self._swapped: dict[tuple[LinkKey, str, int, _Levels], _Swapped] = {}
        self._timings: dict[tuple[LinkKey, str, int], ChainTiming] = {}
        self._factors: dict[tuple[LinkKey, str, int, _Levels], float] = {}

    def links(self, key: LinkKey) -> list[_Segment] | None:
        """Every link's purified (state, rate); None if a link cannot deliver."""
        if key not in self._links:
            scheme, rounds, pump = key
            self._links[key] = _links(self.hops, scheme, rounds, self.memories, pump, self.twirl)
        return self._links[key]

    def tree(self, order: str) -> _Tree:
        if order not in self._trees:
            self._trees[order] = _Tree.of(self.hops, order)
        return self._trees[order]

    def memo(self, key: LinkKey, order: str, e2e_held: int) -> _Memo:
        """The swapped segments already worked out for these links, order and end-to-end
        rounds held (``_swapped``'s memo)."""
        return self._memos.setdefault((key, order, e2e_held), {})

    def timing(self, key: LinkKey, order: str, e2e_held: int) -> ChainTiming:
        """The waiting model's timing ``_swapped`` uses for these links (which must deliver)."""
        if (key, order, e2e_held) not in self._timings:
            links = self.links(key)
            assert links is not None
            _, rounds, _ = key
            self._timings[(key, order, e2e_held)] = _timing(
                self.hops, links, order, self.memories, e2e_held, rounds
            )
        return self._timings[(key, order, e2e_held)]

    def swapped(self, candidate: Candidate) -> _Swapped | None:
        """The end-to-end pair after the last swap, its rate and timing; None if a link
        cannot deliver."""
        link_scheme, link_rounds, link_pump, order, segments, _, e2e_rounds, e2e_pump = candidate
        key = (link_scheme, link_rounds, link_pump)
        links = self.links(key)
        if links is None:
            return None
        # The timing, hence the states, depend on the end-to-end rounds the end memories
        # are held for too (a pumped level: none, its rate counts its kept pair).
        e2e_held = _timed_rounds(e2e_rounds, e2e_pump)
        full = (key, order, e2e_held, segments)
        if full not in self._swapped:
            self._swapped[full] = _swapped(
                self.hops,
                links,
                self.tree(order),
                self.memories,
                e2e_held,
                link_rounds,
                segments,
                self.memo(key, order, e2e_held),
                twirl=self.twirl,
            )
        return self._swapped[full]

    def segment_factor(self, candidate: Candidate) -> float:
        """What segment purification's own timing does to the plan's rate
        (``_segment_factor``; 1 without segment purification); ``estimate`` multiplies the
        rate ``delivered`` gives by it."""
        link_scheme, link_rounds, link_pump, order, segments, _, e2e_rounds, e2e_pump = candidate
        key = (link_scheme, link_rounds, link_pump)
        e2e_held = _timed_rounds(e2e_rounds, e2e_pump)
        full = (key, order, e2e_held, segments)
        if full not in self._factors:
            swapped = self.swapped(candidate)
            links = self.links(key)
            assert swapped is not None
            assert links is not None
            self._factors[full] = _segment_factor(
                self.hops,
                links,
                swapped[2],
                order,
                self.memories,
                e2e_held,
                link_rounds,
                segments,
            )
        return self._factors[full]

    def delivered(self, candidate: Candidate) -> tuple[float, float]:
        """(fidelity, rate in Hz) ``estimate`` gives the plan ``candidate``."""
        swapped = self.swapped(candidate)
        if swapped is None:
            return 0.0, 0.0
        _, _, _, _, _, e2e_scheme, e2e_rounds, e2e_pump = candidate
        return _delivered(
            self.hops, swapped, e2e_scheme, e2e_rounds, self.memories, e2e_pump, self.twirl
        )
