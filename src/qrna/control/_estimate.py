"""The RuleSet generator's estimate of a plan: the fidelity and rate it expects on a path,
from the hop records alone (issue 12: estimates that match what runs).

Links are purified by recurrence, their rounds waiting for each other and the partner's bits;
the swap tree's timing comes from the waiting model (``qrna.control._waiting``); segments
below the top are purified after their swap; the end-to-end pair waits for delivery and its
own purification rounds. Both halves of each pair decohere (each node's T1, T2, or its
depolarising time constant) over every wait; a node whose Pauli-frame correction is a
physical gate adds its one-qubit error to each swap's pair it corrects. ``estimate`` is the
whole model; the generator calls its parts so that plans share what they have in common.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from qrna.control._errors import ControlError
from qrna.control._messages import HopRecord, LinkState
from qrna.control._waiting import ChainTiming, LinkTiming, chain_timing
from qrna.physics import (
    SCHEMES,
    BellDiagonal,
    GateNoise,
    decohere_half,
    depolarize_half,
    purify,
    swap,
)
from qrna.rules import segment_levels, segment_plan, swap_schedule

__all__ = ["estimate", "held_rounds", "memories_needed", "pairs_used"]


@functools.lru_cache(maxsize=4096)
def _noise(hop: HopRecord) -> GateNoise:
    """A hop's gate noise (cached: a long path's swaps ask for it once per plan weighed)."""
    return GateNoise(
        cnot_error=hop.gate_error,
        single_qubit_error=hop.single_qubit_error,
        readout_error=hop.readout_error,
        swap_degradation=hop.swap_degradation,
        swap_success_probability=hop.swap_success_probability,
    )


def _age(state: BellDiagonal, t_s: float, left: HopRecord, right: HopRecord) -> BellDiagonal:
    """Both halves of a pair wait ``t_s`` in the memories of ``left`` and ``right``: T1/T2
    decay, then depolarising with probability 1 − e^{−t/τ}, as the ground truth ages them."""
    for hop in (left, right):
        if t_s > 0 and (math.isfinite(hop.t1_s) or math.isfinite(hop.t2_s)):
            # decohere(state, t_s, T1, T2, (half,)) without its checks (HopRecord checks its
            # times; T2 is capped at 2·T1 here): the same numbers, and alike for either half.
            state = decohere_half(state, t_s, hop.t1_s, min(hop.t2_s, 2 * hop.t1_s))
        if t_s > 0 and math.isfinite(hop.depolarising_time_s):
            state = depolarize_half(state, -math.expm1(-t_s / hop.depolarising_time_s))
    return state


def _purified(
    state: BellDiagonal,
    rate_hz: float,
    rounds: int,
    scheme: str,
    ends: tuple[HopRecord, HopRecord],
    latency_s: float,
    memories: int,
    pumping: bool = False,
    twirl: bool = False,
) -> tuple[BellDiagonal, float] | None:
    """(state, output rate) after ``rounds`` recurrence rounds of a link's pairs, made at
    ``rate_hz`` by its ``memories`` bins (None if a round cannot succeed). Before each round
    both inputs wait for the round's pairs and the partner's bits (``_wait``); with
    ``twirl`` each round's inputs are twirled to Werner form first. ``pumping`` (two rounds
    or more): entanglement pumping instead (``_pumped``)."""
    if pumping and rounds >= 2:
        return _pumped(state, rate_hz, rounds, scheme, ends, latency_s, memories, twirl)
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    for _ in range(rounds):
        state = _age(state, _wait(rate_hz, k, latency_s), *ends)
        p, kept = purify(state, state if k == 2 else (state, state), scheme, noise, twirl=twirl)
        if kept is None or p <= 0:
            return None
        state, rate_hz = kept, rate_hz * p / k
    return state, rate_hz


def _pumped(
    state: BellDiagonal,
    rate_hz: float,
    rounds: int,
    scheme: str,
    ends: tuple[HopRecord, HopRecord],
    latency_s: float,
    memories: int,
    twirl: bool = False,
) -> tuple[BellDiagonal, float] | None:
    """(state, output rate) after ``rounds`` rounds of entanglement pumping (``Purify``'s
    ``pump_from``): one chain at a time seeds a kept pair from fresh pairs, then purifies it
    with a fresh one per round; None if a round cannot succeed.

    Each round takes the bits' way there and back (2 latencies) plus, when no fresh pair
    came meanwhile, the wait for one (Poisson arrivals at ``rate_hz`` from the memories the
    kept pair leaves free): the kept pair waits
    that long between rounds. Fresh pairs queue while a chain runs: when the link makes
    them faster than chains use them, the queue is full (the connection's memories less the
    round's pairs) and each waits its length over the use rate, else about as long as a
    recurrence round's inputs (``_wait``). Chains come one after another, so the output
    rate is the lesser of the success probability over a chain's mean duration and the
    fresh pairs' rate over the mean pairs a chain uses."""
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    # While a chain runs its kept pair holds one of the memories: the others make fresh ones.
    fresh_hz = rate_hz * (memories - 1) / memories if memories > 1 else rate_hz
    gap = math.exp(-2.0 * latency_s * fresh_hz) / fresh_hz  # a fresh pair not already there
    period = 2.0 * latency_s + gap  # between two rounds of one chain
    fresh_wait = _wait(rate_hz, k, latency_s)
    result: tuple[BellDiagonal, float] | None = None
    for _ in range(2):  # the fresh pairs' wait depends on how fast chains use them
        fresh = _age(state, fresh_wait, *ends)
        kept, reach, duration, used = fresh, 1.0, 0.0, 0.0
        for r in range(rounds):
            if r:
                kept = _age(kept, period, *ends)
            inputs = (fresh,) * (k - 1)
            p, out = purify(kept, inputs[0] if k == 2 else inputs, scheme, noise, twirl=twirl)
            if out is None or p <= 0:
                return None
            used += reach * (k if r == 0 else k - 1)
            duration += reach * period
            reach *= p
            kept = out
        rate = min(reach / duration, fresh_hz * reach / used)
        result = (kept, rate)
        use_hz = used / duration
        queue = max(memories - k, 0)
        if fresh_hz > use_hz and queue:
            fresh_wait = latency_s + queue / use_hz
    return result


def _wait(rate_hz: float, pairs: int, latency_s: float) -> float:
    """The mean time an input of a purification round waits in memory: pairs arrive about
    1/``rate_hz`` apart, so of the round's ``pairs`` the i-th waits (pairs − i) gaps for the
    last; then the partner's bits take one message latency."""
    return (pairs - 1) / (2 * rate_hz) + latency_s


def memories_needed(
    link_rounds: int,
    e2e_rounds: int,
    link_pairs: int = 2,
    e2e_pairs: int = 2,
    segments: Sequence[tuple[int, int]] = (),
) -> int:
    """Memories per QNIC a plan needs so that its pairs can always find partners.

    Recurrence purification joins ``pairs`` pairs (2; 3 for double selection) of the same
    round. Built greedily, a round-r link pair needs (pairs − 1)·r + 1 memories at each end
    (pairs − 1 held at each round below it, and one more to make the last); an end node holds
    up to (pairs − 1)·``e2e_rounds`` end-to-end pairs besides while it builds the next, and
    likewise (pairs − 1)·rounds for each purified swap level of ``segments`` ((rounds, pairs)
    per level): a chain end is an end of a segment at every level. With fewer memories,
    pairs of different rounds can fill every memory, none with a partner of its own round:
    the connection would stall until discard. A pumped level runs one chain at a time: its
    kept pair and a round's fresh ones, as one round of recurrence (``held_rounds``).

    >>> memories_needed(0, 0), memories_needed(2, 0), memories_needed(1, 2)
    (1, 3, 4)
    >>> memories_needed(1, 1, 3)  # double selection at link level
    4
    >>> memories_needed(1, 0, segments=[(1, 2), (2, 2)])  # and segments at two levels
    5
    """
    held = sum((pairs - 1) * rounds for rounds, pairs in segments)
    return (link_pairs - 1) * link_rounds + (e2e_pairs - 1) * e2e_rounds + held + 1


def held_rounds(rounds: int, pumping: bool) -> int:
    """The rounds of recurrence whose memories a level's purification holds at once:
    pumping holds one round's (its one chain's kept pair and the fresh ones of a round)."""
    return min(rounds, 1) if pumping else rounds


def _timed_rounds(rounds: int, pumping: bool) -> int:
    """The rounds of a level (link or end to end) the waiting model holds memories for: a
    pumped level none, since ``_pumped`` counts its kept pair's memory already (its fresh
    pairs come from the others)."""
    return 0 if pumping and rounds >= 2 else rounds


def pairs_used(pairs: int, rounds: int, pumping: bool) -> int:
    """Pairs a level's purification takes per pair it keeps, every round succeeding:
    pairsʳ for recurrence; pairs + (rounds − 1)·(pairs − 1) for pumping (the seed's, then
    the fresh ones of each further round).

    >>> pairs_used(2, 3, False), pairs_used(2, 3, True), pairs_used(3, 2, True)
    (8, 4, 5)
    """
    if pumping and rounds >= 2:
        return pairs + (rounds - 1) * (pairs - 1)
    return int(pairs**rounds)


_Segment = tuple[BellDiagonal, float]  # (state, rate in Hz)
# (rounds, scheme, pumping) of segment purification per level, level 1 first.
_Levels = tuple[tuple[int, str, bool], ...]


def estimate(
    hops: tuple[HopRecord, ...],
    link_scheme: str,
    link_rounds: int,
    swap_order: str,
    e2e_scheme: str,
    e2e_rounds: int,
    memories: int = 1,
    *,
    segment_rounds: Sequence[int] = (),
    segment_schemes: Sequence[str] | None = None,
    link_pumping: bool = False,
    segment_pumping: Sequence[bool] | None = None,
    e2e_pumping: bool = False,
    twirl: bool = False,
) -> tuple[float, float]:
    """(fidelity, rate in Hz) the generator expects of a plan on the path ``hops``.

    Link purification: each round joins pairs made by the link's ``memories`` bins, which
    wait for each other and the partner's bits (``_wait``); the kept pairs come at the rate
    × p / pairs. Swapping and delivery: ``qrna.control._waiting`` plays out the timing of
    the protocol (bins that hold their pairs until swapped or delivered, swaps when a node
    knows both pairs, swap results' way back, end-to-end rounds holding the end memories) and
    gives the delivered rate and the mean time pairs wait before each swap, before delivery
    and before each end-to-end round; both halves of each pair dephase and relax (each
    node's T1, T2) over those waits. A failed Bell measurement or purification loses pairs:
    the rate is multiplied by each swap's success probability and each round's p / pairs.
    A segment a swap makes below the top is purified as a link is (``segment_rounds[k - 1]``
    rounds of ``segment_schemes[k - 1]`` at level k; DEJMPS by default): each round's inputs
    wait for each other and the bits (``_wait``), and the rate is multiplied by each level's
    slowest p / pairs (the level's segments purify side by side). The timing model does not
    see segment purification: its waits for the swaps above are those of unpurified
    segments. A level pumped (``link_pumping``, ``segment_pumping[k - 1]``,
    ``e2e_pumping``) is estimated by ``_pumped``. With ``twirl`` every purification round
    twirls its inputs to Werner form first (``Purify.twirl``).
    """
    links = _links(hops, link_scheme, link_rounds, memories, link_pumping, twirl)
    if links is None:
        return 0.0, 0.0
    plan = segment_plan(tuple(segment_rounds), segment_schemes)
    pumped = (False,) * len(plan) if segment_pumping is None else tuple(segment_pumping)
    if len(pumped) != len(plan):
        raise ControlError(
            f"segment_pumping={segment_pumping!r} must have one entry per level of "
            f"segment_rounds={list(segment_rounds)!r}"
        )
    segments = tuple((r, scheme, pump) for (r, scheme), pump in zip(plan, pumped, strict=True))
    tree = _Tree.of(hops, swap_order)
    swapped = _swapped(
        hops,
        links,
        tree,
        memories,
        _timed_rounds(e2e_rounds, e2e_pumping),
        link_rounds,
        segments,
        link_pumping=link_pumping,
        twirl=twirl,
    )
    return _delivered(hops, swapped, e2e_scheme, e2e_rounds, memories, e2e_pumping, twirl)


def _attempts(link: LinkState, memories: int) -> tuple[float, float, float]:
    """(per-attempt success probability, round period, emission-to-herald time) of a link's
    bins, ``memories`` of them (``LinkState``: the round is the longest of the bins' train,
    the last bin's commitment and the re-initialisation). Not advertised (0): the round is
    the latency, and the advertised rate is taken as made by ``memories`` bins."""
    commit = link.round_s or link.latency_s or 1.0 / link.rate_hz
    slot = link.slot_s
    round_s = max(memories * slot, (memories - 1) * slot + commit, link.reinit_s)
    p = link.p_success or min(1.0, link.rate_hz * round_s / memories)
    return p, round_s, min(commit, link.latency_s)


def _links(
    hops: tuple[HopRecord, ...],
    scheme: str,
    rounds: int,
    memories: int,
    pumping: bool = False,
    twirl: bool = False,
) -> list[_Segment] | None:
    """``estimate``'s purified link pairs, one per link, and their rates as made by the
    connection's ``memories`` bins; None if a link cannot deliver."""
    links = [h.link_in for h in hops[1:]]
    if not links or any(link is None for link in links):
        raise ControlError("every hop after the Initiator needs the link it was reached by")
    out = []
    # Links alike (a long chain of one kind) are worked out once: a link's result depends on
    # its state, its timing and its two ends' hardware, not on their names.
    seen: dict[tuple[object, ...], _Segment | None] = {}
    for i, link in enumerate(links):
        assert link is not None
        if link.rate_hz <= 0:
            return None
        ends = (hops[i], hops[i + 1])
        key = (
            link.weights,
            link.rate_hz,
            link.latency_s,
            link.p_success,
            link.round_s,
            link.slot_s,
            link.reinit_s,
            *((_noise(h), h.t1_s, h.t2_s, h.depolarising_time_s) for h in ends),
        )
        if key not in seen:
            p, round_s, herald = _attempts(link, memories)
            state = BellDiagonal(*link.weights)
            if rounds:  # its halves have waited for the herald since they were emitted
                state = _age(state, herald, *ends)
            seen[key] = _purified(
                state,
                memories * p / round_s,
                rounds,
                scheme,
                ends,
                link.latency_s,
                memories,
                pumping,
                twirl,
            )
        segment = seen[key]
        if segment is None:
            return None
        out.append(segment)
    return out


def _latencies(hops: tuple[HopRecord, ...]) -> list[float]:
    """Cumulative one-way latency from the Initiator to each hop."""
    latency = [0.0]
    for hop in hops[1:]:
        latency.append(latency[-1] + (hop.link_in.latency_s if hop.link_in is not None else 0.0))
    return latency


@dataclass(frozen=True, slots=True)
class _Tree:
    """A path's swap tree in one order, for ``_swapped``: each swap as (mid, left, right,
    level), smaller segments first (a segment's halves before it; the whole path's level is
    one past every intermediate one), the cumulative latency to each hop and each hop's gate
    noise."""

    order: str
    steps: tuple[tuple[int, int, int, int], ...]
    latency: tuple[float, ...]
    noise: tuple[GateNoise, ...]

    @classmethod
    def of(cls, hops: tuple[HopRecord, ...], order: str) -> _Tree:
        n = len(hops)
        levels = segment_levels(n, order)
        top = max(levels.values(), default=0) + 1
        swaps = sorted(swap_schedule(n, order).items(), key=lambda kv: kv[1][1] - kv[1][0])
        steps = tuple((mid, a, b, levels.get((a, b), top)) for mid, (a, b) in swaps)
        return cls(order, steps, tuple(_latencies(hops)), tuple(_noise(h) for h in hops))


_Swapped = tuple[BellDiagonal, float, ChainTiming]  # ``_swapped``'s state, rate and timing

# Segments already worked out, by (left, right, segment purification of the levels up to
# the segment's own): (state, the fraction of its swaps' successes, the fraction of segment
# purification kept at its level). Plans differing only above a segment's level share it.
_Memo = dict[tuple[int, int, _Levels], tuple[BellDiagonal, float, float]]


def _timing(
    hops: tuple[HopRecord, ...],
    links: list[_Segment],
    swap_order: str,
    memories: int,
    e2e_rounds: int,
    rounds: int,
    pumping: bool = False,
) -> ChainTiming:
    """The waiting model's timing of the path (``qrna.control._waiting``): each link's bins
    succeed with the link's per-attempt probability per round, scaled by what link
    purification keeps (its pairs come at ``links``' rates); a purified pair's wait before
    it is made is already in its state."""
    timings = []
    # Links alike (a long chain of one kind) are worked out once, as in ``_links``.
    seen: dict[tuple[LinkState, float], LinkTiming] = {}
    for hop, (_, rate) in zip(hops[1:], links, strict=True):
        link = hop.link_in
        assert link is not None
        known = seen.get((link, rate))
        if known is not None:
            timings.append(known)
            continue
        p, round_s, herald = _attempts(link, memories)
        delay = 0.0
        if rounds:
            # A bin's pairs kept: the purified rate over the raw one. Each round's bits go
            # there and back; the one-way part of that is already in the state. A round's
            # first pair holds its bin while it waits for its partner, about half the time
            # at each round: fewer bins attempt.
            held = _timed_rounds(rounds, pumping)
            p *= rate / (memories * p / round_s) * max(0.0, 1.0 - held / (2 * memories))
            herald, delay = rounds * link.latency_s, 2 * rounds * link.latency_s
        seen[(link, rate)] = LinkTiming(p, round_s, herald, link.latency_s, delay)
        timings.append(seen[(link, rate)])
    return chain_timing(tuple(timings), swap_order, memories, e2e_rounds)


def _swapped(
    hops: tuple[HopRecord, ...],
    links: list[_Segment],
    tree: _Tree,
    memories: int,
    e2e_rounds: int = 0,
    link_rounds: int = 0,
    segments: _Levels = (),
    memo: _Memo | None = None,
    link_pumping: bool = False,
    twirl: bool = False,
) -> tuple[BellDiagonal, float, ChainTiming]:
    """``estimate``'s end-to-end pair after the last swap, before it waits for delivery; its
    rate; and the timing it came from. ``segments`` is (rounds, scheme) of segment
    purification per swap level, level 1 first; ``memo`` (for one set of ``links``, one
    ``tree`` and one timing) keeps segments for later calls."""
    n = len(hops)
    timing = _timing(hops, links, tree.order, memories, e2e_rounds, link_rounds, link_pumping)
    done = {(i, i + 1): (state, 1.0, 1.0) for i, (state, _) in enumerate(links)}
    memo = {} if memo is None else memo
    kept: dict[int, float] = {}  # per level, its slowest segment's purification yield
    for mid, left, right, level in tree.steps:
        key = (left, right, segments[:level])
        made = memo.get(key)
        if made is None:
            state, success = _joined(hops, tree, timing, done, mid, left, right)
            plan = segments[level - 1] if level <= len(segments) else None
            made = _segment_purified(
                hops, tree, timing, state, success, left, right, plan, memories, twirl
            )
            memo[key] = made
        done[(left, right)] = made
        kept[level] = min(kept.get(level, 1.0), made[2])
    state, success, _ = done[(0, n - 1)]
    # A level's segments purify side by side: the slowest sets the pace.
    return state, timing.rate_hz * success * math.prod(kept.values()), timing


def _joined(
    hops: tuple[HopRecord, ...],
    tree: _Tree,
    timing: ChainTiming,
    done: dict[tuple[int, int], tuple[BellDiagonal, float, float]],
    mid: int,
    left: int,
    right: int,
) -> tuple[BellDiagonal, float]:
    """The segment (``left``, ``right``) that ``mid`` swaps from its halves in ``done``
    (each (state, fraction of its swaps' successes, kept fraction)), before any segment
    purification: its state, each half aged over its wait for the swap, and the fraction of
    its swaps' successes."""
    (a, sa, _), (b, sb, _) = done[(left, mid)], done[(mid, right)]
    noise = tree.noise[mid]
    wait_a, wait_b = timing.swap_waits[mid]
    a = _age(a, wait_a, hops[left], hops[mid])
    b = _age(b, wait_b, hops[mid], hops[right])
    # A failed Bell measurement loses both pairs: the segment gets a pair per success.
    success = sa * sb * noise.swap_success_probability
    # The right end corrects the Pauli frame (``chain_rulesets``' swaps name the left pair
    # first): a physical correction adds its one-qubit error there.
    return depolarize_half(swap(a, b, noise), hops[right].correction_error), success


def _segment_purified(
    hops: tuple[HopRecord, ...],
    tree: _Tree,
    timing: ChainTiming,
    state: BellDiagonal,
    success: float,
    left: int,
    right: int,
    plan: tuple[int, str, bool] | None,
    memories: int,
    twirl: bool = False,
) -> tuple[BellDiagonal, float, float]:
    """A swapped segment (``_joined``) after its level's purification ``plan`` ((rounds,
    scheme, pumping); None: not purified): (state, fraction of its swaps' successes,
    fraction its purification keeps; 0 if a round cannot succeed)."""
    rate = timing.rate_hz * success
    if rate <= 0 or plan is None or not plan[0]:
        return state, success, 1.0
    rounds, scheme, pump = plan
    span = tree.latency[right] - tree.latency[left]
    purified = _purified(
        state, rate, rounds, scheme, (hops[left], hops[right]), span, memories, pump, twirl
    )
    if purified is None:
        return state, success, 0.0
    return purified[0], success, purified[1] / rate


def _delivered(
    hops: tuple[HopRecord, ...],
    swapped: tuple[BellDiagonal, float, ChainTiming],
    scheme: str,
    rounds: int,
    memories: int,
    pumping: bool = False,
    twirl: bool = False,
) -> tuple[float, float]:
    """``estimate``'s result from the swapped pair: it waits until both ends hold it, then
    end-to-end purification, each round's inputs waiting for their partners (the timing's
    waits) and its kept pair for the bits; or, ``pumping``, end-to-end pumping
    (``_pumped``) of the pairs at the swapped rate."""
    latency = _latencies(hops)[-1]
    state, rate, timing = swapped
    if rate <= 0:
        return 0.0, 0.0  # no pair ever comes
    ends = (hops[0], hops[-1])
    state = _age(state, timing.delivery_wait, *ends)
    if pumping and rounds >= 2:
        pumped = _pumped(state, rate, rounds, scheme, ends, latency, memories, twirl)
        if pumped is None:
            return 0.0, 0.0
        return _age(pumped[0], latency, *ends).fidelity, pumped[1]
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    for wait in timing.e2e_waits[:rounds]:
        state = _age(state, wait, *ends)
        p, kept = purify(state, state if k == 2 else (state, state), scheme, noise, twirl=twirl)
        if kept is None or p <= 0:
            return 0.0, 0.0
        state, rate = _age(kept, latency, *ends), rate * p / k
    return state.fidelity, rate
