"""RuleSet generators: the Responder's point of innovation (spec §3.5).

A generator takes the ``ConnectionSetupRequest`` as it reached the Responder (one ``HopRecord``
per node, Initiator first) and returns either ``Accepted`` — one RuleSet per node and the plan
behind them — or ``Rejected`` with a reason. Any callable of that shape is a generator; a
scenario names one (``load_generator``, which decides what a name may import).

``default_generator`` searches link purification rounds (0–3, DEJMPS recurrence), swap order
(nested, sequential), purification of the segments each swap level makes (0–2 rounds per
level, the nested scheme of Dür and Briegel: every combination where the path has up to three
levels below the top, the same rounds at every level where it has more) and end-to-end
purification rounds (0–2). For each it estimates, from the records alone, the delivered
state — links purified, swapped in order with each swapping node's gate noise, segments
purified, memory decoherence over the expected wait (see ``estimate``), end-to-end
purification — and the rate. It picks the plan that reaches the requested fidelity at the
highest estimated rate (ties: fewer operations, nested first), sets discard timers well above
every one-way latency on the path and ordered up the swap hierarchy (so ``qrna verify``
passes: no end gives up on a pair its partner may still swap), and rejects, with the best
fidelity it could find, a target no plan reaches.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qrna.control._errors import ControlError
from qrna.control._messages import (
    ConnectionSetupRequest,
    HopRecord,
    LinkState,
    PlanRequest,
    RejectReason,
)
from qrna.control._waiting import ChainTiming, LinkTiming, chain_timing
from qrna.physics import SCHEMES, BellDiagonal, GateNoise, decohere_half, purify, swap
from qrna.rules import SWAP_ORDERS, RuleSet, chain_rulesets, segment_levels, swap_schedule

__all__ = [
    "Accepted",
    "Plan",
    "Rejected",
    "RuleSetGenerator",
    "default_generator",
    "estimate",
    "memories_needed",
]


@dataclass(frozen=True, slots=True)
class Plan:
    """How a connection runs, with the generator's estimates."""

    link_scheme: str
    link_rounds: int
    swap_order: str
    e2e_scheme: str
    e2e_rounds: int
    discard_after_s: float
    fidelity: float  # estimated delivered fidelity
    rate_hz: float  # estimated end-to-end pairs per second
    best_effort: bool = False  # taken though its estimate is below the requested fidelity
    # Rounds and scheme of segment purification per swap level below the top (level 1 first;
    # levels past the end are not purified).
    segment_rounds: tuple[int, ...] = ()
    segment_schemes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for scheme in (self.link_scheme, self.e2e_scheme, *self.segment_schemes):
            if scheme not in SCHEMES:
                raise ControlError(f"Plan: scheme {scheme!r} is not one of {sorted(SCHEMES)}")
        if len(self.segment_schemes) != len(self.segment_rounds):
            raise ControlError(
                f"Plan: segment_schemes={self.segment_schemes!r} must name one scheme per "
                f"level of segment_rounds={self.segment_rounds!r}"
            )
        if self.swap_order not in SWAP_ORDERS:
            raise ControlError(f"Plan: swap_order={self.swap_order!r}; expected {SWAP_ORDERS}")


@dataclass(frozen=True, slots=True)
class Accepted:
    rulesets: dict[str, RuleSet]
    plan: Plan
    memories: int


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: RejectReason
    detail: str


RuleSetGenerator = Callable[[ConnectionSetupRequest], Accepted | Rejected]


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
    """Both halves of a pair wait ``t_s`` in the memories of ``left`` and ``right``."""
    for hop in (left, right):
        if t_s > 0 and (math.isfinite(hop.t1_s) or math.isfinite(hop.t2_s)):
            # decohere(state, t_s, T1, T2, (half,)) without its checks (HopRecord checks its
            # times; T2 is capped at 2·T1 here): the same numbers, and alike for either half.
            state = decohere_half(state, t_s, hop.t1_s, min(hop.t2_s, 2 * hop.t1_s))
    return state


def _purified(
    state: BellDiagonal,
    rate_hz: float,
    rounds: int,
    scheme: str,
    ends: tuple[HopRecord, HopRecord],
    latency_s: float,
    memories: int,
) -> tuple[BellDiagonal, float] | None:
    """(state, output rate) after ``rounds`` recurrence rounds of a link's pairs, made at
    ``rate_hz`` by its ``memories`` bins (None if a round cannot succeed). Before each round
    both inputs wait for the round's pairs and the partner's bits (``_wait``)."""
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    for _ in range(rounds):
        state = _age(state, _wait(rate_hz, k, latency_s), *ends)
        p, kept = purify(state, state if k == 2 else (state, state), scheme, noise)
        if kept is None or p <= 0:
            return None
        state, rate_hz = kept, rate_hz * p / k
    return state, rate_hz


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
    the connection would stall until discard.

    >>> memories_needed(0, 0), memories_needed(2, 0), memories_needed(1, 2)
    (1, 3, 4)
    >>> memories_needed(1, 1, 3)  # double selection at link level
    4
    >>> memories_needed(1, 0, segments=[(1, 2), (2, 2)])  # and segments at two levels
    5
    """
    held = sum((pairs - 1) * rounds for rounds, pairs in segments)
    return (link_pairs - 1) * link_rounds + (e2e_pairs - 1) * e2e_rounds + held + 1


_Segment = tuple[BellDiagonal, float]  # (state, rate in Hz)
_Levels = tuple[tuple[int, str], ...]  # (rounds, scheme) of segment purification per level


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
    segments.
    """
    links = _links(hops, link_scheme, link_rounds, memories)
    if links is None:
        return 0.0, 0.0
    rounds = tuple(segment_rounds)
    schemes = ("dejmps",) * len(rounds) if segment_schemes is None else tuple(segment_schemes)
    segments = tuple(zip(rounds, schemes, strict=True))
    tree = _Tree.of(hops, swap_order)
    swapped = _swapped(hops, links, tree, memories, e2e_rounds, link_rounds, segments)
    return _delivered(hops, swapped, e2e_scheme, e2e_rounds, memories)


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
    hops: tuple[HopRecord, ...], scheme: str, rounds: int, memories: int
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
            *((_noise(h), h.t1_s, h.t2_s) for h in ends),
        )
        if key not in seen:
            p, round_s, herald = _attempts(link, memories)
            state = BellDiagonal(*link.weights)
            if rounds:  # its halves have waited for the herald since they were emitted
                state = _age(state, herald, *ends)
            seen[key] = _purified(
                state, memories * p / round_s, rounds, scheme, ends, link.latency_s, memories
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
) -> ChainTiming:
    """The waiting model's timing of the path (``qrna.control._waiting``): each link's bins
    succeed with the link's per-attempt probability per round, scaled by what link
    purification keeps (its pairs come at ``links``' rates); a purified pair's wait before
    it is made is already in its state."""
    timings = []
    for hop, (_, rate) in zip(hops[1:], links, strict=True):
        link = hop.link_in
        assert link is not None
        p, round_s, herald = _attempts(link, memories)
        delay = 0.0
        if rounds:
            # A bin's pairs kept: the purified rate over the raw one. Each round's bits go
            # there and back; the one-way part of that is already in the state. A round's
            # first pair holds its bin while it waits for its partner, about half the time
            # at each round: fewer bins attempt.
            p *= rate / (memories * p / round_s) * max(0.0, 1.0 - rounds / (2 * memories))
            herald, delay = rounds * link.latency_s, 2 * rounds * link.latency_s
        timings.append(LinkTiming(p, round_s, herald, link.latency_s, delay))
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
) -> tuple[BellDiagonal, float, ChainTiming]:
    """``estimate``'s end-to-end pair after the last swap, before it waits for delivery; its
    rate; and the timing it came from. ``segments`` is (rounds, scheme) of segment
    purification per swap level, level 1 first; ``memo`` (for one set of ``links``, one
    ``tree`` and one timing) keeps segments for later calls."""
    n = len(hops)
    timing = _timing(hops, links, tree.order, memories, e2e_rounds, link_rounds)
    done = {(i, i + 1): (state, 1.0, 1.0) for i, (state, _) in enumerate(links)}
    latency = tree.latency
    memo = {} if memo is None else memo
    kept: dict[int, float] = {}  # per level, its slowest segment's purification yield
    for mid, left, right, level in tree.steps:
        key = (left, right, segments[:level])
        made = memo.get(key)
        if made is None:
            (a, sa, _), (b, sb, _) = done[(left, mid)], done[(mid, right)]
            noise = tree.noise[mid]
            wait_a, wait_b = timing.swap_waits[mid]
            a = _age(a, wait_a, hops[left], hops[mid])
            b = _age(b, wait_b, hops[mid], hops[right])
            # A failed Bell measurement loses both pairs: the segment gets a pair per success.
            success = sa * sb * noise.swap_success_probability
            made = (swap(a, b, noise), success, 1.0)
            rate = timing.rate_hz * success
            if rate > 0 and level <= len(segments) and segments[level - 1][0]:
                rounds, scheme = segments[level - 1]
                ends = (hops[left], hops[right])
                span = latency[right] - latency[left]
                purified = _purified(made[0], rate, rounds, scheme, ends, span, memories)
                if purified is None:
                    made = (made[0], success, 0.0)
                else:
                    made = (purified[0], success, purified[1] / rate)
            memo[key] = made
        done[(left, right)] = made
        kept[level] = min(kept.get(level, 1.0), made[2])
    state, success, _ = done[(0, n - 1)]
    # A level's segments purify side by side: the slowest sets the pace.
    return state, timing.rate_hz * success * math.prod(kept.values()), timing


def _delivered(
    hops: tuple[HopRecord, ...],
    swapped: tuple[BellDiagonal, float, ChainTiming],
    scheme: str,
    rounds: int,
    memories: int,
) -> tuple[float, float]:
    """``estimate``'s result from the swapped pair: it waits until both ends hold it, then
    end-to-end purification, each round's inputs waiting for their partners (the timing's
    waits) and its kept pair for the bits."""
    latency = _latencies(hops)[-1]
    state, rate, timing = swapped
    if rate <= 0:
        return 0.0, 0.0  # no pair ever comes
    ends = (hops[0], hops[-1])
    state = _age(state, timing.delivery_wait, *ends)
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    for wait in timing.e2e_waits[:rounds]:
        state = _age(state, wait, *ends)
        p, kept = purify(state, state if k == 2 else (state, state), scheme, noise)
        if kept is None or p <= 0:
            return 0.0, 0.0
        state, rate = _age(kept, latency, *ends), rate * p / k
    return state.fidelity, rate


def _path_text(path: Sequence[str]) -> str:
    """A path for a message: whole up to 8 nodes, else its ends and its length (a refusal on
    a 1000-node chain must not print 1000 names)."""
    if len(path) <= 8:
        return "-".join(path)
    return f"{path[0]}-{path[1]}-...-{path[-2]}-{path[-1]} ({len(path) - 1} hops)"


_Candidate = tuple[str, int, str, _Levels, str, int]
# A plan as the search ranks it: (operations, order index, link rounds, link scheme, segment
# purification, e2e rounds, e2e scheme).
_Row = tuple[int, int, int, str, _Levels, int, str]


def _levels(n_nodes: int, order: str, want: PlanRequest | None) -> list[_Levels]:
    """The segment purifications to weigh on a chain of ``n_nodes`` in ``order``: with up
    to three levels below the top, every combination of 0–2 DEJMPS rounds per level; with
    more, the same rounds at every level (the search stays small on long chains); or what
    ``want`` fixes (an empty list if it purifies more levels than the chain has)."""
    depth = max(segment_levels(n_nodes, order).values(), default=0)
    if want is not None and want.segment_rounds is not None:
        if len(want.segment_rounds) > depth and any(want.segment_rounds[depth:]):
            return []
        rounds = want.segment_rounds[:depth]
        schemes = want.segment_schemes or ("dejmps",) * len(want.segment_rounds)
        return [tuple(zip(rounds, schemes[:depth], strict=True))]
    if depth <= 3:
        options = list(itertools.product(range(3), repeat=depth))
    else:
        options = [(r,) * depth for r in range(3)]
    return [tuple((r, "dejmps") for r in rounds) for rounds in options]


def _too_deep(request: ConnectionSetupRequest, path: Sequence[str]) -> str:
    """Why a request's plan fits no swap order it allows: the deepest level it purifies,
    and the levels below the top the path has in each of those orders."""
    want = request.plan
    assert want is not None
    assert want.segment_rounds is not None
    deepest = max(k for k, rounds in enumerate(want.segment_rounds, 1) if rounds)
    orders = SWAP_ORDERS if want.swap_order is None else (want.swap_order,)
    has = ", ".join(
        f"{max(segment_levels(len(path), order).values(), default=0)}"
        + (" below the top" if k == 0 else "")
        + f" ({order})"
        for k, order in enumerate(orders)
    )
    return (
        f"the request's plan purifies segments up to swap level {deepest}; "
        f"{_path_text(path)} has {has}"
    )


def _space(request: ConnectionSetupRequest) -> list[_Candidate]:
    """(link scheme, link rounds, swap order, segment purification, e2e scheme, e2e rounds)
    of every plan to weigh: the search space, narrowed to what the request's ``plan``
    fixes."""
    want = request.plan
    link_schemes = ["dejmps"] if want is None or want.link_scheme is None else [want.link_scheme]
    e2e_schemes = ["dejmps"] if want is None or want.e2e_scheme is None else [want.e2e_scheme]
    link_rounds = range(4) if want is None or want.link_rounds is None else [want.link_rounds]
    orders = SWAP_ORDERS if want is None or want.swap_order is None else (want.swap_order,)
    e2e_rounds = range(3) if want is None or want.e2e_rounds is None else [want.e2e_rounds]
    n = len(request.hops)
    return [
        (ls, lr, order, segments, es, er)
        for ls, lr, order, es, er in itertools.product(
            link_schemes, link_rounds, orders, e2e_schemes, e2e_rounds
        )
        for segments in _levels(n, order, want)
    ]


def default_generator(request: ConnectionSetupRequest) -> Accepted | Rejected:
    """Choose the fastest plan that reaches the requested fidelity (module docstring).

    A request's ``plan`` narrows the search to the plans that follow it (every field given:
    that one plan), may set the discard timer (refused unless above the path's one-way
    latency), and may change the objective: the highest estimated fidelity instead of rate,
    and only plans of at least ``min_rate_hz``. With ``best_effort``, when no plan reaches
    the fidelity the one that comes nearest is taken (its estimate in the ``Plan``) rather
    than refused. A plan that must purify on a path with a MEAS end is refused as out of
    reach, saying why (that end holds no qubits to purify with), not retried as a shortage
    of memories."""
    hops = request.hops
    path = [h.node for h in hops]
    if len(hops) < 2 or path[0] != request.initiator or path[-1] != request.responder:
        raise ControlError(f"request {request.connection!r} has not travelled the path: {path}")
    memories = min(
        [request.memories] + [h.free_out for h in hops[:-1]] + [h.free_in for h in hops[1:]]
    )
    if memories < 1:
        return Rejected(RejectReason.NO_RESOURCES, "a QNIC on the path has no free memory")
    want = request.plan
    by_rate = want is None or want.objective in (None, "rate")
    min_rate = 0.0 if want is None or want.min_rate_hz is None else want.min_rate_hz
    latency = sum(h.link_in.latency_s for h in hops[1:] if h.link_in is not None)
    if want is not None and want.discard_after_s is not None and want.discard_after_s <= latency:
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"the request's plan sets discard_after_s={want.discard_after_s:g}, not more than "
            f"the one-way latency of {_path_text(path)} ({latency:g} s): a partner's swap "
            "may still be on its way when a node gives up on the pair (spec §6)",
        )
    # (rank, plan row, fidelity, rate): the chosen plan is the least; best effort's likewise.
    candidates: list[tuple[tuple[float, float], _Row, float, float]] = []
    nearest: list[tuple[tuple[float, float], _Row, float, float]] = []
    best = 0.0
    fastest = 0.0  # the highest rate of a plan reaching the fidelity, whatever min_rate_hz
    links: dict[tuple[str, int], list[_Segment] | None] = {}
    swapped: dict[tuple[str, int, str, int, _Levels], _Swapped] = {}
    memos: dict[tuple[str, int, str, int], _Memo] = {}
    trees: dict[str, _Tree] = {}
    meas_end = hops[0].is_meas or hops[-1].is_meas
    weighed = 0
    least = math.inf  # the fewest memories a plan allowed (and not purifying at a MEAS end) needs
    space = _space(request)
    if not space:
        return Rejected(RejectReason.FIDELITY_UNREACHABLE, _too_deep(request, path))
    orders = {order for _, _, order, _, _, _ in space}
    for link_scheme, link_rounds, order, segments, e2e_scheme, e2e_rounds in space:
        if len(hops) == 2 and order != SWAP_ORDERS[0] and len(orders) > 1:
            continue  # no swapping: the order does not matter
        segment_ops = sum(r for r, _ in segments)
        if meas_end and (link_rounds or e2e_rounds or segment_ops):
            continue  # a MEAS end holds no qubits to purify with
        pairs = (SCHEMES[link_scheme].pairs, SCHEMES[e2e_scheme].pairs)
        held = [(r, SCHEMES[scheme].pairs) for r, scheme in segments]
        need = memories_needed(link_rounds, e2e_rounds, *pairs, segments=held)
        least = min(least, need)
        if need > memories:
            continue  # it would hold every memory with pairs waiting for partners, forever
        weighed += 1
        # estimate(hops, ..., memories, segment_rounds=..., segment_schemes=...), with the
        # parts the plans share computed once: link purification per scheme and rounds, the
        # swap tree per those, the order and the segment purification.
        if (link_scheme, link_rounds) not in links:
            links[(link_scheme, link_rounds)] = _links(hops, link_scheme, link_rounds, memories)
        purified = links[(link_scheme, link_rounds)]
        fidelity, rate = 0.0, 0.0
        if purified is not None:
            key = (link_scheme, link_rounds, order, e2e_rounds, segments)
            if key not in swapped:
                if order not in trees:
                    trees[order] = _Tree.of(hops, order)
                # The timing, hence the states, depend on the end-to-end rounds too.
                memo = memos.setdefault((link_scheme, link_rounds, order, e2e_rounds), {})
                swapped[key] = _swapped(
                    hops, purified, trees[order], memories, e2e_rounds, link_rounds, segments, memo
                )
            fidelity, rate = _delivered(hops, swapped[key], e2e_scheme, e2e_rounds, memories)
        best = max(best, fidelity)
        # Ties: fewer operations, then nested first, then lower levels' rounds first, then the
        # schemes by name.
        row = (
            link_rounds + segment_ops + e2e_rounds,
            SWAP_ORDERS.index(order),
            link_rounds,
            link_scheme,
            segments,
            e2e_rounds,
            e2e_scheme,
        )
        if fidelity >= request.fidelity and rate > 0:
            fastest = max(fastest, rate)
        if fidelity >= request.fidelity and rate > 0 and rate >= min_rate:
            # Ties of the objective's figure: the plan row's order (module docstring).
            rank = (-rate, 0.0) if by_rate else (-fidelity, -rate)
            candidates.append((rank, row, fidelity, rate))
        elif request.best_effort and rate > 0 and rate >= min_rate and fidelity > 0.5:
            # Best effort still means entanglement: a Bell-diagonal pair of fidelity 1/2 or
            # less is separable, of no use to anyone.
            nearest.append(((-fidelity, -rate), row, fidelity, rate))
    if candidates or nearest:
        _, row, fidelity, rate = min(candidates or nearest)
    elif not weighed and meas_end:
        # Every plan the request allows purifies (the others would have been weighed): not a
        # shortage that a retry could end, and no plan best effort could take.
        want = request.plan
        assert want is not None  # without a plan, the plan without purification is weighed
        segment_rounds = list(want.segment_rounds or ()) if any(want.segment_rounds or ()) else 0
        rounds = ", ".join(
            f"{name}={value}"
            for name, value in (
                ("link_rounds", want.link_rounds),
                ("segment_rounds", segment_rounds),
                ("e2e_rounds", want.e2e_rounds),
            )
            if value
        )
        meas = next(h.node for h in (hops[0], hops[-1]) if h.is_meas)
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"the request's plan purifies ({rounds}), but {meas} is a MEAS node: it measures "
            "its halves on arrival and holds none to purify with",
        )
    elif not weighed:
        if least > request.memories:  # what it reserves can never be enough: no retry helps
            return Rejected(
                RejectReason.FIDELITY_UNREACHABLE,
                f"the request's plan needs {least} memories per QNIC; it reserves "
                f"{request.memories}",
            )
        return Rejected(
            RejectReason.NO_RESOURCES,
            f"no plan the request allows fits {memories} free memories per QNIC on "
            f"{_path_text(path)} (it needs {least})",
        )
    elif any(h.swap_success_probability == 0 for h in hops[1:-1]):
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"no plan delivers pairs on {_path_text(path)}: its swaps never succeed",
        )
    elif fastest > 0:  # the fidelity is reached, only too slowly
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"no plan reaches fidelity {request.fidelity} at {min_rate:g} pairs/s or more on "
            f"{_path_text(path)}; the fastest that reaches it gives {fastest:.4g} pairs/s",
        )
    else:
        asked = "" if request.plan is None else " the request allows"
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"fidelity {request.fidelity} is out of reach on {_path_text(path)} with {memories} "
            f"memories per QNIC; the best plan{asked} gives {best:.4f}",
        )
    _, order_index, link_rounds, link_scheme, segments, e2e_rounds, e2e_scheme = row
    order = SWAP_ORDERS[order_index]
    # Long enough never to cut a pair a plan expects to use (a full memory queue at the
    # estimated rate) and far above every one-way latency on the path (the spec's race).
    discard = 4.0 * latency + 4.0 * memories / rate
    if want is not None and want.discard_after_s is not None:
        discard = want.discard_after_s
    # Levels not purified at the top of the list are left off: the same plan, said once.
    while segments and not segments[-1][0]:
        segments = segments[:-1]
    plan = Plan(
        link_scheme,
        link_rounds,
        order,
        e2e_scheme,
        e2e_rounds,
        discard,
        fidelity,
        rate,
        best_effort=not candidates,
        segment_rounds=tuple(r for r, _ in segments),
        segment_schemes=tuple(scheme for _, scheme in segments),
    )
    rulesets = chain_rulesets(
        request.connection,
        path,
        link_scheme=plan.link_scheme,
        link_rounds=link_rounds,
        swap_order=order,
        e2e_scheme=plan.e2e_scheme,
        e2e_rounds=e2e_rounds,
        segment_rounds=plan.segment_rounds,
        segment_schemes=plan.segment_schemes,
        discard_after_s=discard,
        # Up the swap hierarchy each level waits out the one below plus a message's way back
        # and the skew between two ends' heralds: twice the largest latency on the path.
        discard_step_s=2.0 * latency + 1e-9,
    )
    return Accepted(rulesets, plan, memories)
