"""The waiting model with segment purification: the protocol's timing played segment by
segment (issue 12: estimates that match what runs).

``qrna.control._waiting`` steps a chain whose k-th end-to-end pair is made of every link's
k-th pair. Segment purification breaks that: a segment that a swap at level ℓ makes, purified
r times by a scheme of k pairs per round, consumes k^r of its swap's outputs per pair it
passes up, so links under purified segments make more pairs per end-to-end pair than the
others. This model pulls pairs through the swap tree instead, in the order the protocol uses
them (every queue is first in, first out):

- a link's next pair is its bins' earliest next herald; the bin is busy until both of its
  memories are free again, then attempts from the next round on;
- a node swaps its oldest pair of each side once it knows both (their heralds, or the swap
  results renaming them), not before its previous swap; the swap frees its two memories, and
  the result reaches the segment's ends one latency later;
- a purification round of segment (a, b) takes the segment's next k pairs: its leader (the
  left end) acts when it knows them all and frees the measured ones; its bits reach the right
  end, which acts when it knows them all too and frees its measured halves; the answer goes
  back, and the leader knows the kept pair one latency after the right end;
- end-to-end purification is the whole chain's segment purified the same way (2 pairs per
  round), and each end delivers and frees the pair when it knows it.

What it returns is ``ChainTiming``'s: the rate out of the swap tree (the delivered rate times
2 per end-to-end round, as ``_waiting``'s rate is counted), the mean wait of each swap's
pairs from being made (emission, a swap, or the end of the round that kept it) until the
swap, after the last swap until both ends know the pair, and of each end-to-end round's
inputs. Timing only: every swap and round succeeds, the caller counts losses as
probabilities. A link's pairs cost a few microseconds each, so the pairs played are bounded
(``PAIR_BUDGET``); a plan needing more per end-to-end pair than the budget allows for 60 of
them returns None and the caller says what it does instead.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable

import numpy as np

from qrna.control._waiting import ChainTiming, LinkTiming, rate_over_batches
from qrna.rules._chain import swap_levels, swap_schedule

__all__ = ["PAIR_BUDGET", "segment_timing"]

PAIR_BUDGET = 12_000
"""Link pairs played per timing, at most (spread over the links)."""
# End-to-end pairs played: a chain of a few links samples 300, its rate then off by about
# 2 % (one standard deviation over seeds, 4 links, 4 bins, a purified level), 3 % with 150;
# the estimate aims at 25 % and the generator's pruning allows the sampling 25 % as well.
_MAX_OUTPUTS = 300
_MIN_OUTPUTS = 60
_SEED = 20_261_203

# A pair as the model carries it: when its left and right ends know it, when it was made
# (its waits before the next swap count from there), and its bins at the two ends (link,
# bin index).
_Pair = tuple[float, float, float, tuple[int, int], tuple[int, int]]


class _StallError(Exception):
    """Every bin of a link holds a pair that waits for more pairs: the chain never delivers."""


@functools.lru_cache(maxsize=1024)
def segment_timing(
    links: tuple[LinkTiming, ...],
    order: str,
    memories: int,
    segments: tuple[tuple[int, int], ...],
    e2e_rounds: int = 0,
) -> ChainTiming | None:
    """The timing of a chain of ``links`` under swap ``order`` with ``memories`` bins per link,
    the segments of swap level ℓ purified ``segments[ℓ − 1]`` = (rounds, pairs per round)
    times and ``e2e_rounds`` end-to-end rounds (module docstring); None if a pair needs more
    link pairs than ``PAIR_BUDGET`` allows for 60 of them."""
    n = len(links) + 1
    stall = ChainTiming(0.0, ((0.0, 0.0),) * n, 0.0, (0.0,) * e2e_rounds)
    if any(link.p <= 0 for link in links):
        return stall
    chain = _Chain(links, order, memories, segments, e2e_rounds)
    per_output = sum(chain.multiplicity)
    outputs = min(_MAX_OUTPUTS, PAIR_BUDGET // per_output)
    if outputs < _MIN_OUTPUTS:
        return None
    warm = max(2 * memories, outputs // 5)
    total = max(outputs, warm + max(_MIN_OUTPUTS, 8 * memories))
    done: list[float] = []
    try:
        for k in range(total):
            chain.counting = k >= warm
            done.append(chain.deliver())
    except _StallError:
        return stall
    rate = rate_over_batches(np.array(done), warm) * 2**e2e_rounds
    swaps = tuple((x / max(c, 1), y / max(c, 1)) for x, y, c in chain.swap_waits)
    rounds = tuple(x / max(c, 1) for x, c in zip(chain.e2e_sum, chain.e2e_count, strict=True))
    delivery, count = chain.delivery
    return ChainTiming(rate, swaps, delivery / max(count, 1), rounds)


class _Chain:
    """One chain's bins, swap tree and running sums (``segment_timing``)."""

    def __init__(
        self,
        links: tuple[LinkTiming, ...],
        order: str,
        memories: int,
        segments: tuple[tuple[int, int], ...],
        e2e_rounds: int,
    ) -> None:
        n = len(links) + 1
        self.links = links
        self.n = n
        self.cum = [0.0]
        for link in links:
            self.cum.append(self.cum[-1] + link.latency_s)
        self.rng = random.Random(_SEED)
        self.nxt = [
            [self._geometric(link.p) * link.round_s for _ in range(memories)] for link in links
        ]
        # Per bin of a pair in use: when its first memory was freed, −inf while both are held.
        self.held = [[-math.inf] * memories for _ in links]
        self.last_swap = [-math.inf] * n
        self.swap_waits = [[0.0, 0.0, 0.0] for _ in range(n)]  # left, right, swaps counted
        self.delivery = [0.0, 0.0]  # waits after the last swap, swaps counted
        self.e2e_sum = [0.0] * e2e_rounds
        self.e2e_count = [0] * e2e_rounds
        self.counting = False
        self.e2e_rounds = e2e_rounds
        swapper = {ends: mid for mid, ends in swap_schedule(n, order).items()}
        level = swap_levels(n, order)

        def rounds(a: int, b: int) -> tuple[int, int]:
            if (a, b) == (0, n - 1):
                return e2e_rounds, 2
            if b - a == 1:
                return 0, 2
            lv = level[swapper[(a, b)]]
            return segments[lv - 1] if lv <= len(segments) else (0, 2)

        # How many of each link's pairs one end-to-end pair consumes.
        self.multiplicity = [0] * len(links)

        def build(a: int, b: int, factor: int) -> Callable[[], _Pair]:
            r, k = rounds(a, b)
            factor *= k**r
            if b - a == 1:
                self.multiplicity[a] = factor
                raw: Callable[[], _Pair] = functools.partial(self._link, a)
            else:
                mid = swapper[(a, b)]
                left, right = build(a, mid, factor), build(mid, b, factor)
                raw = functools.partial(self._swap, a, mid, b, left, right)
            return self._purified(raw, a, b, r, k) if r else raw

        self.top = build(0, n - 1, 1)

    def _geometric(self, p: float) -> int:
        """Rounds until a bin's success (at least 1), by inversion."""
        if p >= 1.0:
            return 1
        return 1 + int(math.log(1.0 - self.rng.random()) / math.log1p(-p))

    def _free(self, where: tuple[int, int], at: float) -> None:
        """One memory of bin ``where`` is free at ``at``; with both, the bin attempts again from
        its next round on (a bin freed at a round's end, up to rounding, takes that round)."""
        link, col = where
        held = self.held[link]
        first = held[col]
        if first == -math.inf:  # its other memory is still held
            held[col] = at
            return
        latest = max(first, at)
        period = self.links[link].round_s
        start = math.ceil(latest / period - 1e-9) * period
        self.nxt[link][col] = start + self._geometric(self.links[link].p) * period

    def _link(self, i: int) -> _Pair:
        row = self.nxt[i]
        t = min(row)
        if t == math.inf:
            raise _StallError
        col = row.index(t)  # the first of the earliest, as numpy's argmin
        row[col] = math.inf
        self.held[i][col] = -math.inf
        link = self.links[i]
        a = t + link.delay_s
        return a, a, a - link.herald_s, (i, col), (i, col)

    def _swap(
        self,
        a: int,
        mid: int,
        b: int,
        left: Callable[[], _Pair],
        right: Callable[[], _Pair],
    ) -> _Pair:
        lk, lr, lmade, lbin, lend = left()
        rk, rr, rmade, rend, rbin = right()
        w = max(lr, rk, self.last_swap[mid])
        self.last_swap[mid] = w
        self._free(lend, w)
        self._free(rend, w)
        cum = self.cum
        # The latency first: ``w + cum[b] − cum[mid]`` rounds below w when it is 0.
        kl, kr = max(lk, w + (cum[mid] - cum[a])), max(rr, w + (cum[b] - cum[mid]))
        if self.counting:
            waits = self.swap_waits[mid]
            waits[0] += w - lmade
            waits[1] += w - rmade
            waits[2] += 1
            if (a, b) == (0, self.n - 1):
                self.delivery[0] += max(kl, kr) - w
                self.delivery[1] += 1
        return kl, kr, w, lbin, rbin

    def _purified(
        self, below: Callable[[], _Pair], a: int, b: int, rounds: int, k: int
    ) -> Callable[[], _Pair]:
        """Pairs of segment (a, b) after ``rounds`` rounds of ``k`` pairs each."""
        span = self.cum[b] - self.cum[a]
        top = (a, b) == (0, self.n - 1)

        def one(level: int) -> _Pair:
            if level == 0:
                return below()
            inputs = [one(level - 1) for _ in range(k)]
            lead = max(x[0] for x in inputs)
            follow = max(lead + span, max(x[1] for x in inputs))
            if top and self.counting:
                at = max(max(x[0], x[1]) for x in inputs)
                self.e2e_sum[level - 1] += sum(at - max(x[0], x[1]) for x in inputs)
                self.e2e_count[level - 1] += k
            for x in inputs[1:]:  # measured: freed where each end acts
                self._free(x[3], lead)
                self._free(x[4], follow)
            kept = inputs[0]
            return follow + span, follow, follow + span, kept[3], kept[4]

        return functools.partial(one, rounds)

    def deliver(self) -> float:
        """The next end-to-end pair: when both ends know it (each frees its memory then)."""
        kl, kr, _, left, right = self.top()
        self._free(left, kl)
        self._free(right, kr)
        return max(kl, kr)
