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

import math
from collections.abc import Sequence
from dataclasses import dataclass

from qrna.control._errors import ControlError
from qrna.control._messages import HopRecord, LinkState
from qrna.control._rounds import (
    _age,
    _noise,
    _pumped,
    _purified,
    _recurrence,
    recurrence_link_rate,
)
from qrna.control._segment_timing import segment_timing
from qrna.control._waiting import ChainTiming, LinkTiming, chain_timing
from qrna.physics import SCHEMES, BellDiagonal, GateNoise, depolarize_half, purify, swap
from qrna.rules import segment_levels, segment_plan, swap_schedule

__all__ = ["estimate", "held_rounds", "memories_needed", "pairs_used"]


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
    the bins allow, held while a round's pairs wait and its bits travel
    (``_rounds.recurrence_link_rate``), not at the raw rate × p / pairs. Swapping and
    delivery: ``qrna.control._waiting`` plays out the timing of the protocol (bins that hold
    their pairs until swapped or delivered, swaps when a node knows both pairs, swap
    results' way back, end-to-end rounds holding the end memories) and gives the delivered
    rate and the mean time pairs wait before each swap, before delivery and before each
    end-to-end round; both halves of each pair dephase and relax (each
    node's T1, T2) over those waits. A failed Bell measurement or purification loses pairs:
    the rate is multiplied by each swap's success probability and each round's p / pairs.
    A segment a swap makes below the top is purified as a link is (``segment_rounds[k - 1]``
    rounds of ``segment_schemes[k - 1]`` at level k; DEJMPS by default): each round's inputs
    wait for each other and the bits (``_wait``), and the rate is multiplied by each level's
    slowest p / pairs (the level's segments purify side by side). The rate of a plan that
    purifies segments by recurrence comes from the waiting model that plays its rounds
    (``_segment_factor``); the waits its states decohere over, for the swaps above and
    before delivery, are still those of unpurified segments. A level pumped
    (``link_pumping``, ``segment_pumping[k - 1]``, ``e2e_pumping``) is estimated by
    ``_pumped``. With ``twirl`` every purification round twirls its inputs to Werner form
    first (``Purify.twirl``).
    """
    state, rate = estimate_state(
        hops,
        link_scheme,
        link_rounds,
        swap_order,
        e2e_scheme,
        e2e_rounds,
        memories,
        segment_rounds=segment_rounds,
        segment_schemes=segment_schemes,
        link_pumping=link_pumping,
        segment_pumping=segment_pumping,
        e2e_pumping=e2e_pumping,
        twirl=twirl,
    )
    return (0.0 if state is None else state.fidelity), rate


def estimate_state(
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
) -> tuple[BellDiagonal | None, float]:
    """``estimate``'s delivered pair as a Bell-diagonal state (None when no pair ever comes)
    and its rate: what a network offers one layer up as a virtual link's state (spec §5:
    "its estimate of the performance of the path [...] is used to derive the performance
    characteristics it reports when describing the virtual link"). ``estimate``'s fidelity
    is this state's Φ+ weight."""
    links = _links(hops, link_scheme, link_rounds, memories, link_pumping, twirl)
    if links is None:
        return None, 0.0
    plan = segment_plan(tuple(segment_rounds), segment_schemes)
    pumped = (False,) * len(plan) if segment_pumping is None else tuple(segment_pumping)
    if len(pumped) != len(plan):
        raise ControlError(
            f"segment_pumping={segment_pumping!r} must have one entry per level of "
            f"segment_rounds={list(segment_rounds)!r}"
        )
    segments = tuple((r, scheme, pump) for (r, scheme), pump in zip(plan, pumped, strict=True))
    tree = _Tree.of(hops, swap_order)
    e2e_held = _timed_rounds(e2e_rounds, e2e_pumping)
    swapped = _swapped(
        hops,
        links,
        tree,
        memories,
        e2e_held,
        link_rounds,
        segments,
        twirl=twirl,
    )
    state, rate = _delivered_state(
        hops, swapped, e2e_scheme, e2e_rounds, memories, e2e_pumping, twirl
    )
    if rate > 0:
        rate *= _segment_factor(
            hops,
            links,
            swapped[2],
            swap_order,
            memories,
            e2e_held,
            link_rounds,
            segments,
        )
    return state, rate


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
    connection's ``memories`` bins, the link alone (recurrence: ``recurrence_link_rate``;
    pumping: ``_pumped``); None if a link cannot deliver."""
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
            raw_hz = memories * p / round_s
            if pumping and rounds >= 2:
                args = (rounds, scheme, ends, link.latency_s, memories, twirl)
                seen[key] = _pumped(state, raw_hz, *args)
            else:
                done = _recurrence(state, raw_hz, rounds, scheme, ends, link.latency_s, twirl)
                if done is None:
                    seen[key] = None
                else:
                    pairs = SCHEMES[scheme].pairs
                    rate = recurrence_link_rate(
                        p, round_s, link.latency_s, memories, pairs, done[1]
                    )
                    # No bin left to attempt (the rounds' pairs waiting hold every memory):
                    # the link cannot deliver, not a link of rate 0 (a division by it below).
                    seen[key] = (done[0], rate) if rate > 0 else None
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
) -> ChainTiming:
    """The waiting model's timing of the path (``qrna.control._waiting``) without segment
    purification."""
    timings = _link_timings(hops, links, memories, rounds)
    return chain_timing(timings, swap_order, memories, e2e_rounds)


def _link_timings(
    hops: tuple[HopRecord, ...],
    links: list[_Segment],
    memories: int,
    rounds: int,
) -> tuple[LinkTiming, ...]:
    """The path's links as the waiting model sees them: each link's bins succeed with the
    link's per-attempt probability per round, scaled by what link purification keeps (its
    pairs come at ``links``' rates); a purified pair's wait before it is made is already in
    its state."""
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
            # The link alone makes a purified pair per memories / rate of bin time (``_links``,
            # its rounds' waits, bits and sacrificed pairs in it), the last of it the kept
            # pair's bits there and back, one round's per round (one-way: in the state). The
            # model's bin attempts for the rest (its success probability per round) and is
            # then held for that delay: the link alone gives the same rate (``_waiting``).
            herald, delay = rounds * link.latency_s, 2 * rounds * link.latency_s
            p = min(1.0, round_s / max(memories / rate - delay, round_s))
        seen[(link, rate)] = LinkTiming(p, round_s, herald, link.latency_s, delay)
        timings.append(seen[(link, rate)])
    return tuple(timings)


def segment_factor_limit(segments: _Levels) -> float:
    """The most ``_segment_factor`` can be for the segment purification ``segments``: the
    pairs its played levels' rounds consume (a pumped level is not played). Played, the
    rate out of the swap tree cannot exceed the unpurified timing's (the rounds only take
    pairs and hold memories), so the factor, that rate times these pairs over the
    unpurified rate, is at most these pairs, up to the waiting model's sampling. It can
    exceed 1 by far: a round on a segment that is not the path's bottleneck costs the path
    little of its rate, while ``_swapped`` divides the whole path's rate by the pairs.

    >>> segment_factor_limit(((1, "dejmps", False), (2, "dejmps", False), (3, "dejmps", True)))
    8.0
    """
    return float(math.prod(SCHEMES[scheme].pairs ** r for r, scheme, pump in segments if not pump))


def segment_ceiling(link_rates: Sequence[float], order: str, segments: _Levels) -> float:
    """The most end-to-end pairs per second the links at ``link_rates`` (link i joins
    nodes i and i + 1) can feed through the segment purification ``segments`` in ``order``,
    every round and swap succeeding: each end-to-end pair takes, of every link, the pairs
    the rounds of the segments around it take (``pairs_used`` per level), so the path is
    no faster than its slowest link over those pairs. A round on a segment off the
    bottleneck costs nothing here, which is what makes it a bound.

    >>> segment_ceiling([100.0, 100.0, 30.0], "sequential", ((1, "dejmps", False),))
    30.0
    >>> segment_ceiling([100.0, 100.0, 30.0], "sequential", ((2, "dejmps", False),))
    25.0
    """
    taken = [1] * len(link_rates)
    levels = segment_levels(len(link_rates) + 1, order)
    for (left, right), level in levels.items():
        if level <= len(segments):
            rounds, scheme, pump = segments[level - 1]
            for link in range(left, right):
                taken[link] *= pairs_used(SCHEMES[scheme].pairs, rounds, pump)
    return min(rate / k for rate, k in zip(link_rates, taken, strict=True))


def _segment_factor(
    hops: tuple[HopRecord, ...],
    links: list[_Segment],
    timing: ChainTiming,
    swap_order: str,
    memories: int,
    e2e_rounds: int,
    link_rounds: int,
    segments: _Levels,
) -> float:
    """What segment purification's timing does to ``_swapped``'s rate: the rate out of the
    swap tree with the segments purified (``qrna.control._segment_timing``: a round takes
    the segment's next pairs and holds its ends' memories until the bits have gone there
    and back) over the unpurified ``timing``'s rate divided by the pairs every round
    consumes, which ``_swapped`` divided it by; each round's success probability stays
    ``_swapped``'s. 1 without segment purification, or when the path's pairs are too many
    to play (``segment_timing`` gives None): then the rate is the unpurified timing's less
    the pairs the rounds consume, which ignores the memories the rounds hold (too fast). A
    pumped level is not played (as 0 rounds here): ``_pumped`` gives its rate."""
    depth = max(segment_levels(len(hops), swap_order).values(), default=0)
    levels = tuple(
        (0 if pump else r, SCHEMES[scheme].pairs) for r, scheme, pump in segments[:depth]
    )
    if not any(r for r, _ in levels) or timing.rate_hz <= 0:
        return 1.0
    timings = _link_timings(hops, links, memories, link_rounds)
    played = segment_timing(timings, swap_order, memories, levels, e2e_rounds)
    if played is None:
        return 1.0
    return float(played.rate_hz * math.prod(k**r for r, k in levels) / timing.rate_hz)


def _swapped(
    hops: tuple[HopRecord, ...],
    links: list[_Segment],
    tree: _Tree,
    memories: int,
    e2e_rounds: int = 0,
    link_rounds: int = 0,
    segments: _Levels = (),
    memo: _Memo | None = None,
    twirl: bool = False,
) -> tuple[BellDiagonal, float, ChainTiming]:
    """``estimate``'s end-to-end pair after the last swap, before it waits for delivery; its
    rate; and the timing it came from. ``segments`` is (rounds, scheme) of segment
    purification per swap level, level 1 first; ``memo`` (for one set of ``links``, one
    ``tree`` and one timing) keeps segments for later calls."""
    n = len(hops)
    timing = _timing(hops, links, tree.order, memories, e2e_rounds, link_rounds)
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
    """``estimate``'s (fidelity, rate) from the swapped pair (``_delivered_state``)."""
    state, rate = _delivered_state(hops, swapped, scheme, rounds, memories, pumping, twirl)
    return (0.0 if state is None else state.fidelity), rate


def _delivered_state(
    hops: tuple[HopRecord, ...],
    swapped: tuple[BellDiagonal, float, ChainTiming],
    scheme: str,
    rounds: int,
    memories: int,
    pumping: bool = False,
    twirl: bool = False,
) -> tuple[BellDiagonal | None, float]:
    """``estimate_state``'s result from the swapped pair: it waits until both ends hold it, then
    end-to-end purification, each round's inputs waiting for their partners (the timing's
    waits) and its kept pair for the bits; or, ``pumping``, end-to-end pumping
    (``_pumped``) of the pairs at the swapped rate."""
    latency = _latencies(hops)[-1]
    state, rate, timing = swapped
    if rate <= 0:
        return None, 0.0  # no pair ever comes
    ends = (hops[0], hops[-1])
    state = _age(state, timing.delivery_wait, *ends)
    if pumping and rounds >= 2:
        pumped = _pumped(state, rate, rounds, scheme, ends, latency, memories, twirl)
        if pumped is None:
            return None, 0.0
        return _age(pumped[0], latency, *ends), pumped[1]
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    for wait in timing.e2e_waits[:rounds]:
        state = _age(state, wait, *ends)
        p, kept = purify(state, state if k == 2 else (state, state), scheme, noise, twirl=twirl)
        if kept is None or p <= 0:
            return None, 0.0
        state, rate = _age(kept, latency, *ends), rate * p / k
    return state, rate
