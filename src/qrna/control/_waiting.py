"""How long a chain's pairs wait, and how fast it delivers: a Monte Carlo of the protocol's
timing (the generator's waiting model, issue 12).

A connection reserves ``memories`` memories per QNIC on every link. Each link attempts on
every memory pair (bin) that is free at both ends, one attempt per bin per round of period T,
each heralding with probability p; a bin whose pair is heralded stays busy until both of its
memories are freed: at a repeater when it swaps the pair (at once, when it holds a pair for
each side: pairs are used oldest first), at an end node when the pair is delivered (every
swap result has come back) or, with end-to-end purification, when the round that consumes it
is over. A freed bin attempts again from the next round on. So a link's rate is not its
advertised rate: its bins spend much of their time holding pairs that wait for the rest of
the chain, and the end links' bins wait for the whole chain plus its swap results' way back.

``chain_timing`` plays that out pair by pair: since every queue is first in, first out, the
k-th end-to-end pair is made of every link's k-th pair, so one pass over k computes, for all
links at once (numpy), the k-th herald of each link (the earliest next success of its bins),
the swap times up the swap tree (a node swaps when it knows both of its pairs: their heralds,
or the swap results renaming them), the delivery times, and when each bin is free again.
What it returns: the delivered rate, and the mean time the pairs of each swap wait from
being made (emission, or the swap below) to their swap, and after the last swap until
delivery, and before each end-to-end purification round: the waits decoherence acts over.

Timing only: every swap and purification succeeds (a failure loses pairs, which the caller
counts as probabilities); link purification is folded into the link as a smaller success
probability (the caller's effective p). Results are cached by their parameters, and a fixed
seed makes them reproducible.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from qrna.rules._chain import swap_levels, swap_schedule

__all__ = ["ChainTiming", "LinkTiming", "chain_timing", "rate_over_batches"]


@dataclass(frozen=True, slots=True)
class LinkTiming:
    """One link as the waiting model sees it: a bin's success probability per round, the
    round's period, the time from an emission to its herald at both ends, the classical
    one-way latency between the ends, and how long after its herald a pair can be used
    (link purification: each round's bits go there and back before the leading end knows
    it kept the pair)."""

    p: float
    round_s: float
    herald_s: float
    latency_s: float
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ChainTiming:
    """What ``chain_timing`` measured.

    Attributes:
        rate_hz: end-to-end pairs per second out of the swap tree (before end-to-end
            purification divides it), every swap succeeding.
        swap_waits: per node, the mean time its (left, right) pair waits from being made
            until the node swaps it; (0, 0) for the two ends.
        delivery_wait: the mean time from the last swap (the herald, on one link) until
            both ends hold the end-to-end pair.
        e2e_waits: per end-to-end purification round, the mean time an input waits for its
            partner pair (the bits' way back comes on top).
    """

    rate_hz: float
    swap_waits: tuple[tuple[float, float], ...]
    delivery_wait: float
    e2e_waits: tuple[float, ...]


def chain_timing(
    links: tuple[LinkTiming, ...], order: str, memories: int, e2e_rounds: int = 0
) -> ChainTiming:
    """The timing of a chain of ``links`` under swap ``order`` with ``memories`` memories per
    QNIC and ``e2e_rounds`` end-to-end purification rounds (module docstring)."""
    return _timing(links, order, memories, e2e_rounds)


# Up to this many nodes a nested tree is evaluated swap by swap in Python (``_Tree``): the
# numpy levels cost a few microseconds per call, a swap in Python about one.
_SCALAR_NODES = 24


def _pairs(n_links: int) -> int:
    """Pairs to simulate: enough for a steady state, fewer on long chains (each pair costs a
    step over every link, and the chain averages over its links)."""
    return max(60, min(600, 30_000 // n_links))


@functools.lru_cache(maxsize=4096)
def _timing(
    links: tuple[LinkTiming, ...], order: str, memories: int, e2e_rounds: int
) -> ChainTiming:
    n_links = len(links)
    n = n_links + 1
    stall = ChainTiming(0.0, ((0.0, 0.0),) * n, 0.0, (0.0,) * e2e_rounds)
    if memories < e2e_rounds + 1 or any(link.p <= 0 for link in links):
        return stall
    if n == 2 and not e2e_rounds:
        # One link, its pairs delivered when known (at their heralds, at a round's end, or
        # ``delay_s`` later): a bin attempts 1/p rounds, is held for the delay and attempts
        # again from the next round start on.
        (link,) = links
        cycle = link.round_s / link.p + float(_next_round(link.delay_s, link.round_s))
        return ChainTiming(memories / cycle, stall.swap_waits, link.herald_s, ())
    rng = np.random.default_rng(20_261_203)
    p = np.array([link.p for link in links])
    period = np.array([link.round_s for link in links])
    herald = np.array([link.herald_s for link in links])
    delay = np.array([link.delay_s for link in links])
    cum = np.concatenate(([0.0], np.cumsum([link.latency_s for link in links])))
    path_latency = float(cum[-1])
    rows = np.arange(n_links)
    # Each bin's next herald; a bin holding an unfinished pair waits at +inf.
    nxt = rng.geometric(p[:, None], (n_links, memories)) * period[:, None]
    # Per step a pass over every link in numpy: its fixed costs (a call is a microsecond or
    # more) are what a short chain pays, so buffers are reused and constants hoisted.
    tree = _Tree(n, order, cum)
    warm = max(2 * memories * (1 << e2e_rounds), _pairs(n_links) // 5)
    # At least 60 pairs after the warm-up: many memories and rounds on a long chain warm up
    # longer than the pairs a long chain is otherwise given.
    # And at least 8 rounds' worth of bins past it: pairs come in batches of up to
    # ``memories`` (every bin heralding in one round), and the rate is read over whole ones.
    total = max(_pairs(n_links), warm + max(60, 8 * memories))
    done = np.empty(total)  # when both ends hold pair k
    sw = np.zeros((n, 2))
    deliver = 0.0
    e2e = np.zeros(e2e_rounds)
    e2e_n = np.zeros(e2e_rounds)
    last_w = np.full(n, -np.inf)
    # End-to-end purification (binary counter): per level, the kept pair waiting for its
    # partner, as (ready time, its bins at the two end links).
    held: list[tuple[float, int, int] | None] = [None] * e2e_rounds
    # Without end-to-end rounds nothing else draws between the steps, so every step's draws
    # come at once: the same numbers (a generator fills an array in the order of successive
    # calls), without a call's checks per step (most of a short chain's step).
    block = None if e2e_rounds else rng.geometric(p, (total, n_links)) * period
    for k in range(total):
        col = nxt.argmin(axis=1)
        a = nxt[rows, col] + delay
        if not a.max() < math.inf:
            return stall  # every bin of a link holds a pair that waits for more pairs
        made = a - herald  # emission: when the halves start to decohere
        w, k0, k1, waits, top_made = tree.run(a, made, last_w)
        last_w = w
        ready = max(k0, k1)
        done[k] = ready
        # Bins free again: a repeater's at its swap (the ends' swap times are +inf)...
        free = np.maximum(w[:-1], w[1:])
        if e2e_rounds:
            free[0] = free[-1] = math.inf  # ... an end's when its rounds decide (below)
        elif n_links == 1:
            free[0] = max(k0, k1)
        else:  # ... or when it knows the pair and delivers it
            free[0] = max(k0, w[1])
            free[-1] = max(w[-2], k1)
        if k >= warm:
            sw += waits
            deliver += ready - top_made
        draws = rng.geometric(p) * period if block is None else block[k]
        nxt[rows, col] = _next_round(free, period) + draws
        if e2e_rounds:
            # The end links' bins of this pair stay busy until its rounds decide.
            c0, c1 = int(col[0]), int(col[-1])
            inputs: tuple[float, int, int] | None = (ready, c0, c1)
            for level in range(e2e_rounds):
                assert inputs is not None
                if held[level] is None:
                    held[level], inputs = inputs, None
                    break
                first = held[level]
                assert first is not None
                held[level] = None
                at = max(first[0], inputs[0])
                if k >= warm:
                    e2e[level] += (at - first[0]) + (at - inputs[0])
                    e2e_n[level] += 2
                # The other end frees the measured pair when the leader's bits come; the
                # leader knows it kept the first when the answer is back.
                _free_end_bins(nxt, inputs[1], inputs[2], at + path_latency, period, p, rng)
                inputs = (at + 2 * path_latency, first[1], first[2])
            if inputs is not None:  # the last round is over: the kept pair is delivered
                _free_end_bins(nxt, inputs[1], inputs[2], inputs[0], period, p, rng)
    kept = total - warm
    rate = rate_over_batches(done, warm)
    swaps = tuple((float(x / kept), float(y / kept)) for x, y in sw)
    rounds = tuple(float(x / max(c, 1)) for x, c in zip(e2e, e2e_n, strict=True))
    return ChainTiming(rate, swaps, float(deliver / kept), rounds)


def rate_over_batches(done: np.ndarray, warm: int) -> float:
    """Pairs per second of delivery times ``done`` (in order) past the first ``warm``, read
    over whole batches: from the warm-up's last delivery time to the last one before the
    final time (pairs past the simulated ones may share that), the pairs delivered in
    between, each batch once."""
    start = done[warm]
    end = float(np.max(done[done < done[-1]], initial=start))
    counted = int(np.count_nonzero((done > start) & (done <= end)))
    return float(counted / (end - start)) if end > start else 0.0


def _next_round(free: Any, period: Any) -> Any:
    """When a bin freed at ``free`` starts its next round: the first multiple of ``period``
    not before it. A bin freed at its herald, a round's end, is freed at a multiple of the
    period up to rounding (0.07 / 0.01 is 7.000000000000001): within a billionth of a
    period it is that round's start, not the next one's (it would skip a round)."""
    return np.ceil(free / period - 1e-9) * period


def _free_end_bins(
    nxt: np.ndarray,
    c0: int,
    c1: int,
    at: float,
    period: np.ndarray,
    p: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Free the end links' bins ``c0`` (first link) and ``c1`` (last) of a pair whose end
    memories are freed at ``at`` (their repeater ends swapped it before it reached the ends)."""
    for link, col in ((0, c0), (len(period) - 1, c1)):
        t = period[link]
        nxt[link, col] = _next_round(at, t) + rng.geometric(p[link]) * t


class _Tree:
    """The swap tree of a chain, evaluated for all swaps of one end-to-end pair at once."""

    def __init__(self, n: int, order: str, cum: np.ndarray) -> None:
        self.n = n
        self.order = order
        self.cum = cum
        schedule = swap_schedule(n, order)
        level = swap_levels(n, order)
        self.levels: list[tuple[np.ndarray, ...]] = []
        if order != "sequential":
            # Segments: links are 0 … n−2, a swap's segment is n − 1 + its node.
            by: dict[int, list[tuple[int, int, int]]] = {}
            for mid, (left, right) in schedule.items():
                by.setdefault(level[mid], []).append((mid, left, right))

            swapper = {lr: m for m, lr in schedule.items()}

            def seg_of(a: int, b: int) -> int:
                return a if b - a == 1 else n - 1 + swapper[(a, b)]

            for lv in sorted(by):
                items = by[lv]
                mids = np.array([m for m, _, _ in items])
                lefts = np.array([lo for _, lo, _ in items])
                rights = np.array([hi for _, _, hi in items])
                cl = np.array([seg_of(lo, m) for m, lo, _ in items])
                cr = np.array([seg_of(m, hi) for m, _, hi in items])
                # The latency first: ``ws + cum[r] − cum[m]`` rounds below ws when it is 0.
                to_left = cum[mids] - cum[lefts]
                to_right = cum[rights] - cum[mids]
                self.levels.append((mids, n - 1 + mids, cl, cr, to_left, to_right))
            self.top = seg_of(0, n - 1)
            # The same swaps one by one, for short chains (``_SCALAR_NODES``).
            self.swaps = [
                (int(m), int(m) + n - 1, int(x), int(y), float(dl), float(dr))
                for mids, _, cl, cr, to_left, to_right in self.levels
                for m, x, y, dl, dr in zip(mids, cl, cr, to_left, to_right, strict=True)
            ]
        # Buffers reused from pair to pair: swap times in two (a pair's are the next one's
        # ``last_w``), waits (the ends' stay 0), and each segment's times (all written before
        # they are read).
        self._w = [np.full(n, np.inf), np.full(n, np.inf)]
        self._waits = np.zeros((n, 2))
        size = 2 * n - 1
        self._kl, self._kr, self._created = np.empty(size), np.empty(size), np.empty(size)
        self._inner = cum[1:-1]

    def run(
        self, a: np.ndarray, made: np.ndarray, last_w: np.ndarray
    ) -> tuple[np.ndarray, float, float, np.ndarray, float]:
        """(swap time per node (ends: +inf), when the first and the last node know the
        end-to-end pair, per node the (left, right) waits, when the top segment was made).
        The arrays returned are the tree's own: valid until the next call but one (the swap
        times) or the next call (the waits)."""
        n, cum = self.n, self.cum
        w = self._w[0] if last_w is not self._w[0] else self._w[1]
        waits = self._waits
        if n == 2:
            return w, float(a[0]), float(a[0]), waits, float(made[0])
        if self.order == "sequential":
            inner = self._inner
            # Node s swaps (0, s) with (s, s+1) once it knows both: W_s = max(M_s,
            # W_{s−1} + latency), a max-plus scan done with a running maximum.
            m = np.maximum(np.maximum(a[:-1], a[1:]), last_w[1:-1])
            ws = inner + np.maximum.accumulate(m - inner)
            # The scan's `+ cum − cum` rounds: W_s may come out an ulp below M_s or W_{s−1},
            # a swap "before" what it swaps (a negative wait). Exactly: at least both.
            ws = np.maximum.accumulate(np.maximum(ws, m))
            w[1:-1] = ws
            waits[1, 0] = ws[0] - made[0]
            waits[2:-1, 0] = ws[1:] - ws[:-1]
            waits[1:-1, 1] = ws - made[1:]
            k0 = max(float(a[0]), float((ws + inner).max()))
            k1 = max(float(a[-1]), float(ws[-1] + (cum[-1] - cum[-2])))
            return w, k0, k1, waits, float(ws[-1])
        if n <= _SCALAR_NODES:
            return self._run_scalar(a, made, last_w, w)
        kl, kr, created = self._kl, self._kr, self._created
        kl[: n - 1] = a
        kr[: n - 1] = a
        created[: n - 1] = made
        for mids, segs, cl, cr, to_left, to_right in self.levels:
            ws = np.maximum(np.maximum(kr[cl], kl[cr]), last_w[mids])
            w[mids] = ws
            waits[mids, 0] = ws - created[cl]
            waits[mids, 1] = ws - created[cr]
            kl[segs] = np.maximum(kl[cl], ws + to_left)
            kr[segs] = np.maximum(kr[cr], ws + to_right)
            created[segs] = ws
        return w, float(kl[self.top]), float(kr[self.top]), waits, float(created[self.top])

    def _run_scalar(
        self, a: np.ndarray, made: np.ndarray, last_w: np.ndarray, w: np.ndarray
    ) -> tuple[np.ndarray, float, float, np.ndarray, float]:
        """``run`` of a nested tree swap by swap in Python floats: the same operations on
        the same numbers as the vectorised levels (so the same results, to the bit), without
        a dozen numpy calls per level, which are most of a short chain's time."""
        kl = a.tolist() + [0.0] * self.n
        kr = kl.copy()
        created = made.tolist() + [0.0] * self.n
        last = last_w.tolist()
        times = w.tolist()
        waits = self._waits
        left_waits, right_waits = [0.0] * self.n, [0.0] * self.n
        for mid, seg, cl, cr, to_left, to_right in self.swaps:
            ws = max(max(kr[cl], kl[cr]), last[mid])
            times[mid] = ws
            left_waits[mid] = ws - created[cl]
            right_waits[mid] = ws - created[cr]
            kl[seg] = max(kl[cl], ws + to_left)
            kr[seg] = max(kr[cr], ws + to_right)
            created[seg] = ws
        w[:] = times
        waits[:, 0] = left_waits
        waits[:, 1] = right_waits
        top = self.top
        return w, kl[top], kr[top], waits, created[top]
