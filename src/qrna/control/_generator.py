"""RuleSet generators: the Responder's point of innovation (spec §3.5).

A generator takes the ``ConnectionSetupRequest`` as it reached the Responder (one ``HopRecord``
per node, Initiator first) and returns either ``Accepted`` — one RuleSet per node and the plan
behind them — or ``Rejected`` with a reason. Any callable of that shape is a generator; a
scenario names one (``load_generator``, which decides what a name may import).

``default_generator`` searches link purification rounds (0–3, DEJMPS recurrence), swap order
(nested, sequential), purification of the segments each swap level makes (0–2 rounds per
level, the nested scheme of Dür and Briegel: every combination where the path has up to three
levels below the top, the same rounds at every level where it has more) and end-to-end
purification rounds (0–2); where a path has more than three levels below the top, also plans
given by a working fidelity (``until_grid``: the target up to 0.99), resolved into rounds per
level by ``qrna.control._until`` (the fewest that bring each level's estimate to it). A
request's ``plan.until`` is resolved so, and nothing else weighed but its schemes, pumping
and orders. For each it estimates, from the records alone, the delivered
state — links purified, swapped in order with each swapping node's gate noise, segments
purified, memory decoherence over the expected wait (see ``estimate``), end-to-end
purification — and the rate. It picks the plan that reaches the requested fidelity at the
highest estimated rate (ties: fewer operations, nested first), sets discard timers well above
every one-way latency on the path and ordered up the swap hierarchy (so ``qrna verify``
passes: no end gives up on a pair its partner may still swap), and rejects, with the best
fidelity it could find, a target no plan reaches.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qrna.control._errors import ControlError
from qrna.control._estimate import (
    _Levels,
    held_rounds,
    memories_needed,
    pairs_used,
    segment_ceiling,
    segment_factor_limit,
)
from qrna.control._messages import ConnectionSetupRequest, PlanRequest, RejectReason
from qrna.control._parts import Candidate, Parts
from qrna.control._until import UNTIL_MAX_ROUNDS, Until, resolve, until_grid
from qrna.physics import SCHEMES
from qrna.rules import SWAP_ORDERS, RuleSet, chain_rulesets, segment_levels, segment_plan

__all__ = [
    "Accepted",
    "Plan",
    "Rejected",
    "RuleSetGenerator",
    "default_generator",
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
    # Entanglement pumping instead of recurrence, per level (``chain_rulesets``): at link
    # level, per segment level (one flag per entry of segment_rounds, or none), end to end.
    link_pumping: bool = False
    segment_pumping: tuple[bool, ...] = ()
    e2e_pumping: bool = False
    twirl: bool = False  # every purification twirls its inputs to Werner form first
    # The working fidelity its rounds were resolved for (``qrna.control._until``; None: rounds
    # given or searched), and, taken by best effort, the level that fell short of it (the
    # plan may still reach the requested fidelity: ``best_effort`` says whether it does).
    until: float | None = None
    shortfall: str = ""

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
        if self.segment_pumping and len(self.segment_pumping) != len(self.segment_rounds):
            raise ControlError(
                f"Plan: segment_pumping={self.segment_pumping!r} must have one entry per level "
                f"of segment_rounds={self.segment_rounds!r}"
            )


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


def _path_text(path: Sequence[str]) -> str:
    """A path for a message: whole up to 8 nodes, else its ends and its length (a refusal on
    a 1000-node chain must not print 1000 names)."""
    if len(path) <= 8:
        return "-".join(path)
    return f"{path[0]}-{path[1]}-...-{path[-2]}-{path[-1]} ({len(path) - 1} hops)"


# How far the waiting model's sampled rate may lie above its links' rate (its sampling error
# on a few hundred pairs is a few per cent).
_RATE_SLACK = 1.25
# A plan as the search ranks it: (operations, order index, link rounds, link scheme, link
# pumping, segment purification, e2e rounds, e2e scheme, e2e pumping): recurrence before
# pumping on a tie.
_Row = tuple[int, int, int, str, bool, _Levels, int, str, bool]


def _levels(n_nodes: int, order: str, want: PlanRequest | None) -> list[_Levels]:
    """The segment purifications to weigh on a chain of ``n_nodes`` in ``order``: with up
    to three levels below the top, every combination of 0–2 DEJMPS rounds per level; with
    more, the same rounds at every level (the search stays small on long chains); or what
    ``want`` fixes (an empty list if it purifies more levels than the chain has). Segments
    are pumped only where ``want`` says so."""
    depth = max(segment_levels(n_nodes, order).values(), default=0)
    if want is not None and want.segment_rounds is not None:
        if len(want.segment_rounds) > depth and any(want.segment_rounds[depth:]):
            return []
        plan = segment_plan(want.segment_rounds, want.segment_schemes)
        pumped = want.segment_pumping or (False,) * len(plan)
        levels = tuple((r, x, p) for (r, x), p in zip(plan, pumped, strict=True))
        return [levels[:depth]]
    if depth <= 3:
        options = list(itertools.product(range(3), repeat=depth))
    else:
        options = [(r,) * depth for r in range(3)]
    return [tuple((r, x, False) for r, x in segment_plan(rounds)) for rounds in options]


def _methods(rounds: int, forced: bool | None) -> list[bool]:
    """Pumping or not at a level of ``rounds`` rounds: both when the request leaves it open
    and the rounds are two or more (one round is the same either way)."""
    if forced is not None:
        return [forced and rounds >= 2]
    return [False, True] if rounds >= 2 else [False]


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


def _space(request: ConnectionSetupRequest) -> list[Candidate]:
    """(link scheme, link rounds, link pumping, swap order, segment purification, e2e scheme,
    e2e rounds, e2e pumping) of every plan to weigh: the search space, narrowed to what the
    request's ``plan`` fixes."""
    want = request.plan
    if want is not None and want.until is not None:
        return []  # every plan it allows is resolved from its working fidelity (``_untils``)
    link_schemes = ["dejmps"] if want is None or want.link_scheme is None else [want.link_scheme]
    e2e_schemes = ["dejmps"] if want is None or want.e2e_scheme is None else [want.e2e_scheme]
    link_rounds = range(4) if want is None or want.link_rounds is None else [want.link_rounds]
    orders = SWAP_ORDERS if want is None or want.swap_order is None else (want.swap_order,)
    e2e_rounds = range(3) if want is None or want.e2e_rounds is None else [want.e2e_rounds]
    n = len(request.hops)
    link_pump = None if want is None else want.link_pumping
    e2e_pump = None if want is None else want.e2e_pumping
    return [
        (ls, lr, lp, order, segments, es, er, ep)
        for ls, lr, order, es, er in itertools.product(
            link_schemes, link_rounds, orders, e2e_schemes, e2e_rounds
        )
        for segments in _levels(n, order, want)
        for lp in _methods(lr, link_pump)
        for ep in _methods(er, e2e_pump)
    ]


def _untils(request: ConnectionSetupRequest, meas_end: bool) -> list[Until]:
    """The working-fidelity plans to resolve: the request's ``until`` with every scheme,
    pumping and order its plan allows (at most ``UNTIL_MAX_ROUNDS`` rounds per level); or,
    when the request fixes no rounds, ``until_grid``'s values on each order whose path has
    more than three levels below the top (where the search gives every level the same
    rounds), purified by recurrence (pumping only where the request says so) with the
    schemes the request gives (default DEJMPS) and at most the search's end-to-end rounds
    (2). On a path with a MEAS end no level may purify."""
    want = request.plan
    n = len(request.hops)
    cap = 0 if meas_end else UNTIL_MAX_ROUNDS
    if want is not None and want.until is not None:
        orders = SWAP_ORDERS if want.swap_order is None else (want.swap_order,)
        link_pumps = [False, True] if want.link_pumping is None else [want.link_pumping]
        e2e_pumps = [False, True] if want.e2e_pumping is None else [want.e2e_pumping]
        return [
            Until(
                want.until,
                want.link_scheme or "dejmps",
                link_pump,
                order,
                want.segment_schemes or (),
                want.segment_pumping or (),
                want.e2e_scheme or "dejmps",
                e2e_pump,
                cap,
                cap,
            )
            for order in orders
            for link_pump in link_pumps
            for e2e_pump in e2e_pumps
        ]
    if want is not None and not (
        want.link_rounds is None and want.segment_rounds is None and want.e2e_rounds is None
    ):
        return []
    orders = SWAP_ORDERS if want is None or want.swap_order is None else (want.swap_order,)
    return [
        Until(
            until,
            swap_order=order,
            link_scheme=(want and want.link_scheme) or "dejmps",
            link_pumping=bool(want and want.link_pumping),
            e2e_scheme=(want and want.e2e_scheme) or "dejmps",
            e2e_pumping=bool(want and want.e2e_pumping),
            max_rounds=cap,
            max_e2e_rounds=min(cap, 2),
        )
        for order in orders
        if max(segment_levels(n, order).values(), default=0) > 3
        for until in until_grid(request.fidelity)
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
    twirl = want is not None and want.twirl
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
    parts = Parts(hops, memories, twirl)
    meas_end = hops[0].is_meas or hops[-1].is_meas
    weighed = 0
    least = math.inf  # the fewest memories a plan allowed (and not purifying at a MEAS end) needs
    space = _space(request)
    forced = want is not None and want.until is not None
    # Plans given by a working fidelity, resolved into rounds (the request's, or the search's
    # grid on a deep path): {plan: (working fidelity, a level's shortfall)}.
    resolved: dict[Candidate, tuple[float, str]] = {}
    shortfalls: list[tuple[Until, str]] = []
    for spec in _untils(request, meas_end):
        answer = resolve(parts, spec, request.fidelity, forced and request.best_effort)
        if answer.candidate is None:
            shortfalls.append((spec, answer.shortfall))
        elif answer.candidate not in resolved:
            resolved[answer.candidate] = (spec.until, answer.shortfall)
    if forced and not resolved:
        spec, why = shortfalls[0]
        if meas_end:
            meas = next(h.node for h in (hops[0], hops[-1]) if h.is_meas)
            why += f" ({meas} is a MEAS node: it holds no qubits to purify with)"
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"the request's plan purifies each level until {spec.until:g}; on "
            f"{_path_text(path)} ({spec.swap_order}): {why}",
        )
    known = set(space)
    space += [candidate for candidate in resolved if candidate not in known]
    if not space:
        return Rejected(RejectReason.FIDELITY_UNREACHABLE, _too_deep(request, path))
    orders = {candidate[3] for candidate in space}
    # Under the rate objective, with nothing asked of the losers (no best effort), plans that
    # cannot be faster than a candidate found already need no estimate.
    prune = by_rate and not request.best_effort
    swap_success = math.prod(h.swap_success_probability for h in hops[1:-1])
    for candidate in space:
        link_scheme, link_rounds, link_pump, order, segments, e2e_scheme, e2e_rounds, e2e_pump = (
            candidate
        )
        if len(hops) == 2 and order != SWAP_ORDERS[0] and len(orders) > 1:
            continue  # no swapping: the order does not matter
        segment_ops = sum(r for r, _, _ in segments)
        if meas_end and (link_rounds or e2e_rounds or segment_ops):
            continue  # a MEAS end holds no qubits to purify with
        pairs = (SCHEMES[link_scheme].pairs, SCHEMES[e2e_scheme].pairs)
        held = [(held_rounds(r, p), SCHEMES[scheme].pairs) for r, scheme, p in segments]
        need = memories_needed(
            held_rounds(link_rounds, link_pump),
            held_rounds(e2e_rounds, e2e_pump),
            *pairs,
            segments=held,
        )
        least = min(least, need)
        if need > memories:
            continue  # it would hold every memory with pairs waiting for partners, forever
        weighed += 1
        # estimate(hops, ..., memories, segment_rounds=..., segment_schemes=...), with the
        # parts the plans share computed once: link purification per scheme and rounds, the
        # swap tree per those, the order and the segment purification.
        purified = parts.links((link_scheme, link_rounds, link_pump))
        fidelity, rate = 0.0, 0.0
        best_rate = -min(candidates)[0][0] if prune and candidates else 0.0
        ceiling = math.inf
        if purified is not None and best_rate:
            # A plan cannot beat the fastest candidate if even its links' rates, over the
            # pairs the purification takes of each and less every swap's losses, are below
            # it: skip its waiting model. (Its estimate could only be slower; the slack
            # covers the model's sampling.)
            ceiling = segment_ceiling([r for _, r in purified], order, segments)
            ceiling *= swap_success * _RATE_SLACK / pairs_used(pairs[1], e2e_rounds, e2e_pump)
            if ceiling < best_rate:
                continue
        if purified is not None:
            fidelity, rate = parts.delivered(candidate)
            # Segment purification's own timing costs more than the rest: played only where
            # the rate counts (a candidate, or best effort's), once per timing it needs, and
            # not for a plan that cannot be faster than a candidate even at the most its
            # timing can give: the unpurified timing's rate, none of the played rounds'
            # pairs taken from it (segment_factor_limit), nor above the ceiling (the slack
            # covers sampling).
            wanted = fidelity >= request.fidelity or (request.best_effort and fidelity > 0.5)
            most = min(rate * segment_factor_limit(segments) * _RATE_SLACK, ceiling)
            if segment_ops and wanted and most < best_rate:
                wanted = False
                rate = 0.0  # not a candidate: it cannot be chosen
            if rate > 0 and segment_ops and wanted:
                rate *= parts.segment_factor(candidate)
        best = max(best, fidelity)
        # Ties: fewer operations, then nested first, then lower levels' rounds first, then the
        # schemes by name.
        row = (
            link_rounds + segment_ops + e2e_rounds,
            SWAP_ORDERS.index(order),
            link_rounds,
            link_scheme,
            link_pump,
            segments,
            e2e_rounds,
            e2e_scheme,
            e2e_pump,
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
    _, order_index, link_rounds, link_scheme, link_pump, segments = row[:6]
    e2e_rounds, e2e_scheme, e2e_pump = row[6:]
    order = SWAP_ORDERS[order_index]
    # Long enough never to cut a pair a plan expects to use (a full memory queue at the
    # estimated rate) and far above every one-way latency on the path (the spec's race).
    discard = 4.0 * latency + 4.0 * memories / rate
    if want is not None and want.discard_after_s is not None:
        discard = want.discard_after_s
    until, shortfall = resolved.get(
        (link_scheme, link_rounds, link_pump, order, segments, e2e_scheme, e2e_rounds, e2e_pump),
        (None, ""),
    )
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
        segment_rounds=tuple(r for r, _, _ in segments),
        segment_schemes=tuple(scheme for _, scheme, _ in segments),
        link_pumping=link_pump,
        # Flags only where a level pumps (a plan without pumping says none).
        segment_pumping=tuple(p for _, _, p in segments) if any(p for *_, p in segments) else (),
        e2e_pumping=e2e_pump,
        twirl=twirl,
        until=until,
        shortfall=shortfall,
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
        link_pumping=link_pump,
        segment_pumping=plan.segment_pumping or None,
        e2e_pumping=e2e_pump,
        discard_after_s=discard,
        # Up the swap hierarchy each level waits out the one below plus a message's way back
        # and the skew between two ends' heralds: twice the largest latency on the path.
        discard_step_s=2.0 * latency + 1e-9,
        twirl=twirl,
    )
    return Accepted(rulesets, plan, memories)
