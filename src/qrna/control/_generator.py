"""RuleSet generators: the Responder's point of innovation (spec §3.5).

A generator takes the ``ConnectionSetupRequest`` as it reached the Responder (one ``HopRecord``
per node, Initiator first) and returns either ``Accepted`` — one RuleSet per node and the plan
behind them — or ``Rejected`` with a reason. Any callable of that shape is a generator; a
scenario names one (``load_generator``, which decides what a name may import).

``default_generator`` searches link purification rounds (0–3, DEJMPS recurrence), swap order
(nested, sequential) and end-to-end purification rounds (0–2). For each it estimates, from the
records alone, the delivered state — links purified, swapped in order with each swapping
node's gate noise, memory decoherence over the expected wait (see ``estimate``), end-to-end
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
from qrna.control._messages import ConnectionSetupRequest, HopRecord, LinkState, RejectReason
from qrna.control._waiting import ChainTiming, LinkTiming, chain_timing
from qrna.physics import SCHEMES, BellDiagonal, GateNoise, decohere_half, purify, swap
from qrna.rules import SWAP_ORDERS, RuleSet, chain_rulesets, swap_schedule

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

    def __post_init__(self) -> None:
        for scheme in (self.link_scheme, self.e2e_scheme):
            if scheme not in SCHEMES:
                raise ControlError(f"Plan: scheme {scheme!r} is not one of {sorted(SCHEMES)}")
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
    link_rounds: int, e2e_rounds: int, link_pairs: int = 2, e2e_pairs: int = 2
) -> int:
    """Memories per QNIC a plan needs so that its pairs can always find partners.

    Recurrence purification joins ``pairs`` pairs (2; 3 for double selection) of the same
    round. Built greedily, a round-r link pair needs (pairs − 1)·r + 1 memories at each end
    (pairs − 1 held at each round below it, and one more to make the last); an end node holds
    up to (pairs − 1)·``e2e_rounds`` end-to-end pairs besides while it builds the next. With
    fewer memories, pairs of different rounds can fill every memory, none with a partner of
    its own round: the connection would stall until discard.

    >>> memories_needed(0, 0), memories_needed(2, 0), memories_needed(1, 2)
    (1, 3, 4)
    >>> memories_needed(1, 1, 3)  # double selection at link level
    4
    """
    return (link_pairs - 1) * link_rounds + (e2e_pairs - 1) * e2e_rounds + 1


_Segment = tuple[BellDiagonal, float]  # (state, rate in Hz)


def estimate(
    hops: tuple[HopRecord, ...],
    link_scheme: str,
    link_rounds: int,
    swap_order: str,
    e2e_scheme: str,
    e2e_rounds: int,
    memories: int = 1,
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
    """
    links = _links(hops, link_scheme, link_rounds, memories)
    if links is None:
        return 0.0, 0.0
    swapped = _swapped(hops, links, swap_order, memories, e2e_rounds, link_rounds)
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
    swap_order: str,
    memories: int,
    e2e_rounds: int = 0,
    link_rounds: int = 0,
) -> tuple[BellDiagonal, float, ChainTiming]:
    """``estimate``'s end-to-end pair after the last swap, before it waits for delivery; its
    rate; and the timing it came from."""
    n = len(hops)
    timing = _timing(hops, links, swap_order, memories, e2e_rounds, link_rounds)
    done = {(i, i + 1): state for i, (state, _) in enumerate(links)}
    schedule = sorted(swap_schedule(n, swap_order).items(), key=lambda kv: kv[1][1] - kv[1][0])
    success = 1.0
    for mid, (left, right) in schedule:
        a, b = done[(left, mid)], done[(mid, right)]
        noise = _noise(hops[mid])
        wait_a, wait_b = timing.swap_waits[mid]
        a = _age(a, wait_a, hops[left], hops[mid])
        b = _age(b, wait_b, hops[mid], hops[right])
        done[(left, right)] = swap(a, b, noise)
        # A failed Bell measurement loses both pairs: the segment gets a pair per success.
        success *= noise.swap_success_probability
    state = done[(0, n - 1)]
    return state, timing.rate_hz * success, timing


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


def _space(request: ConnectionSetupRequest) -> list[tuple[str, int, str, str, int]]:
    """(link scheme, link rounds, swap order, e2e scheme, e2e rounds) of every plan to weigh:
    the search space, narrowed to what the request's ``plan`` fixes."""
    want = request.plan
    link_schemes = ["dejmps"] if want is None or want.link_scheme is None else [want.link_scheme]
    e2e_schemes = ["dejmps"] if want is None or want.e2e_scheme is None else [want.e2e_scheme]
    link_rounds = range(4) if want is None or want.link_rounds is None else [want.link_rounds]
    orders = SWAP_ORDERS if want is None or want.swap_order is None else (want.swap_order,)
    e2e_rounds = range(3) if want is None or want.e2e_rounds is None else [want.e2e_rounds]
    return [
        (ls, lr, order, es, er)
        for ls, lr, order, es, er in itertools.product(
            link_schemes, link_rounds, orders, e2e_schemes, e2e_rounds
        )
    ]


def default_generator(request: ConnectionSetupRequest) -> Accepted | Rejected:
    """Choose the fastest plan that reaches the requested fidelity (module docstring).

    A request's ``plan`` narrows the search to the plans that follow it (every field given:
    that one plan). With ``best_effort``, when no plan reaches the fidelity the one that comes
    nearest is taken (its estimate in the ``Plan``) rather than refused. A plan that must
    purify on a path with a MEAS end is refused as out of reach, saying why (that end holds
    no qubits to purify with), not retried as a shortage of memories."""
    hops = request.hops
    path = [h.node for h in hops]
    if len(hops) < 2 or path[0] != request.initiator or path[-1] != request.responder:
        raise ControlError(f"request {request.connection!r} has not travelled the path: {path}")
    memories = min(
        [request.memories] + [h.free_out for h in hops[:-1]] + [h.free_in for h in hops[1:]]
    )
    if memories < 1:
        return Rejected(RejectReason.NO_RESOURCES, "a QNIC on the path has no free memory")
    candidates = []
    nearest: list[tuple[float, float, int, int, int, str, int, str]] = []  # best effort
    best = 0.0
    links: dict[tuple[str, int], list[_Segment] | None] = {}
    swapped: dict[tuple[str, int, str, int], tuple[BellDiagonal, float, ChainTiming]] = {}
    meas_end = hops[0].is_meas or hops[-1].is_meas
    weighed = 0
    least = math.inf  # the fewest memories a plan allowed (and not purifying at a MEAS end) needs
    space = _space(request)
    orders = {order for _, _, order, _, _ in space}
    for link_scheme, link_rounds, order, e2e_scheme, e2e_rounds in space:
        if len(hops) == 2 and order != SWAP_ORDERS[0] and len(orders) > 1:
            continue  # no swapping: the order does not matter
        if meas_end and (link_rounds or e2e_rounds):
            continue  # a MEAS end holds no qubits to purify with
        pairs = (SCHEMES[link_scheme].pairs, SCHEMES[e2e_scheme].pairs)
        need = memories_needed(link_rounds, e2e_rounds, *pairs)
        least = min(least, need)
        if need > memories:
            continue  # it would hold every memory with pairs waiting for partners, forever
        weighed += 1
        # estimate(hops, link_scheme, link_rounds, order, e2e_scheme, e2e_rounds, memories),
        # with the parts the plans share computed once: link purification per scheme and
        # rounds, the swap tree per those and the order.
        if (link_scheme, link_rounds) not in links:
            links[(link_scheme, link_rounds)] = _links(hops, link_scheme, link_rounds, memories)
        purified = links[(link_scheme, link_rounds)]
        fidelity, rate = 0.0, 0.0
        if purified is not None:
            key = (link_scheme, link_rounds, order, e2e_rounds)
            if key not in swapped:
                swapped[key] = _swapped(hops, purified, order, memories, e2e_rounds, link_rounds)
            fidelity, rate = _delivered(hops, swapped[key], e2e_scheme, e2e_rounds, memories)
        best = max(best, fidelity)
        ops = link_rounds + e2e_rounds
        # Ties: fewer operations, then nested first, then the schemes by name.
        row = (ops, SWAP_ORDERS.index(order), link_rounds, link_scheme, e2e_rounds, e2e_scheme)
        if fidelity >= request.fidelity and rate > 0:
            candidates.append((-rate, *row, fidelity))
        elif request.best_effort and rate > 0 and fidelity > 0.5:
            # Best effort still means entanglement: a Bell-diagonal pair of fidelity 1/2 or
            # less is separable, of no use to anyone.
            nearest.append((-fidelity, -rate, *row))
    if candidates:
        chosen = min(candidates)
        neg_rate, _, order_index, link_rounds, link_scheme, e2e_rounds, e2e_scheme, fidelity = (
            chosen
        )
    elif nearest:
        neg_f, neg_rate, _, order_index, link_rounds, link_scheme, e2e_rounds, e2e_scheme = min(
            nearest
        )
        fidelity = -neg_f
    elif not weighed and meas_end:
        # Every plan the request allows purifies (the others would have been weighed): not a
        # shortage that a retry could end, and no plan best effort could take.
        want = request.plan
        assert want is not None  # without a plan, the plan without purification is weighed
        rounds = ", ".join(
            f"{name}={value}"
            for name, value in (("link_rounds", want.link_rounds), ("e2e_rounds", want.e2e_rounds))
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
    else:
        asked = "" if request.plan is None else " the request allows"
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"fidelity {request.fidelity} is out of reach on {_path_text(path)} with {memories} "
            f"memories per QNIC; the best plan{asked} gives {best:.4f}",
        )
    order = SWAP_ORDERS[order_index]
    latency = sum(h.link_in.latency_s for h in hops[1:] if h.link_in is not None)
    # Long enough never to cut a pair a plan expects to use (a full memory queue at the
    # estimated rate) and far above every one-way latency on the path (the spec's race).
    discard = 4.0 * latency + 4.0 * memories / -neg_rate
    plan = Plan(
        link_scheme,
        link_rounds,
        order,
        e2e_scheme,
        e2e_rounds,
        discard,
        fidelity,
        -neg_rate,
        best_effort=not candidates,
    )
    rulesets = chain_rulesets(
        request.connection,
        path,
        link_scheme=plan.link_scheme,
        link_rounds=link_rounds,
        swap_order=order,
        e2e_scheme=plan.e2e_scheme,
        e2e_rounds=e2e_rounds,
        discard_after_s=discard,
        # Up the swap hierarchy each level waits out the one below plus a message's way back
        # and the skew between two ends' heralds: twice the largest latency on the path.
        discard_step_s=2.0 * latency + 1e-9,
    )
    return Accepted(rulesets, plan, memories)
