"""Purify until a working fidelity: the nested scheme of Dür and Briegel as it is meant
(issue 12, item 1).

A plan may give a working fidelity ``until`` instead of round counts. The Responder resolves
it at setup into ordinary rounds per level, from its own estimate of each level (the state
``estimate`` computes there: link pairs after their herald and each round's waits, segments
after their swap with the swapping node's gate noise and the waits of the waiting model):

- link level: the fewest rounds (0 to ``UNTIL_MAX_ROUNDS``) after which every link's pair
  has fidelity ≥ ``until``;
- each swap level below the top, level 1 first, given the rounds resolved below it: the
  fewest rounds after which every segment the level's swaps make has fidelity ≥ ``until``;
- end to end: the fewest rounds (0 to ``Until.max_e2e_rounds``) that bring the
  delivered pair to the connection's fidelity.

Every level purifies with the scheme and the method (recurrence or pumping) the plan gives
it, and never holds more memories than the connection reserves (``memories_needed``).

Contract: the resolution happens once, at setup, where "RuleSets are created by the
Responder" (spec §3.5); what it returns is a plain plan, and ``chain_rulesets`` turns it
into ordinary fixed-round RuleSets whose Stages show the resolved rounds (spec §3.2:
"Entangled states are allocated to a given Stage. [...] After one of the Rules in the Stage
fires, the entangled state is either promoted to the next Stage or declared defunct [...]
This ensures that the flow of qubits is unidirectional"): one Stage per round at each
level, a level's pairs promoted up to the next level's Stages, never back. Nothing is
measured against ``until`` at run time. A level that cannot reach its aim within the cap
and the memories (a purification fixed point below it with noisy gates, or too few
memories) is a shortfall: ``resolve`` names the level, the fidelity it reached and the aim,
and with ``best_effort`` takes the rounds that came nearest and goes on up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from qrna.control._errors import ControlError
from qrna.control._estimate import (
    _joined,
    _Levels,
    _Memo,
    _segment_purified,
    _timed_rounds,
    _Tree,
    held_rounds,
    memories_needed,
)
from qrna.control._parts import Candidate, Parts
from qrna.control._waiting import ChainTiming
from qrna.physics import SCHEMES, BellDiagonal
from qrna.rules import SWAP_ORDERS

__all__ = ["UNTIL_MAX_ROUNDS", "Resolved", "Until", "resolve", "until_grid"]

UNTIL_MAX_ROUNDS: Final = 4  # the most rounds a working fidelity resolves to at one level

_Made = tuple[BellDiagonal, float, float]  # a segment: (state, swap successes, kept fraction)


@dataclass(frozen=True, slots=True)
class Until:
    """A plan given by its working fidelity: how each level purifies (scheme, pumping; the
    segment levels' lists from level 1 up, DEJMPS by recurrence past their end), the swap
    order, and the most rounds a level may take (``max_rounds`` at link and segment levels,
    ``max_e2e_rounds`` end to end; 0 on a path with a MEAS end)."""

    until: float
    link_scheme: str = "dejmps"
    link_pumping: bool = False
    swap_order: str = "nested"
    segment_schemes: tuple[str, ...] = ()
    segment_pumping: tuple[bool, ...] = ()
    e2e_scheme: str = "dejmps"
    e2e_pumping: bool = False
    max_rounds: int = UNTIL_MAX_ROUNDS
    max_e2e_rounds: int = UNTIL_MAX_ROUNDS

    def __post_init__(self) -> None:
        if isinstance(self.until, bool) or not 0.5 < self.until < 1.0:
            raise ControlError(f"Until.until={self.until!r} must be a number in (0.5, 1)")
        for scheme in (self.link_scheme, self.e2e_scheme, *self.segment_schemes):
            if scheme not in SCHEMES:
                raise ControlError(f"Until: scheme {scheme!r} is not one of {sorted(SCHEMES)}")
        if self.swap_order not in SWAP_ORDERS:
            raise ControlError(f"Until.swap_order={self.swap_order!r}; expected {SWAP_ORDERS}")
        for name in ("max_rounds", "max_e2e_rounds"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ControlError(f"Until.{name}={v!r} must be an integer >= 0")

    def segment(self, level: int) -> tuple[str, bool]:
        """(scheme, pumping) of swap level ``level`` (1 up)."""
        scheme = self.segment_schemes[level - 1] if level <= len(self.segment_schemes) else None
        pump = self.segment_pumping[level - 1] if level <= len(self.segment_pumping) else False
        return scheme or "dejmps", pump


@dataclass(frozen=True, slots=True)
class Resolved:
    """``resolve``'s answer: the plan with its resolved rounds (None: a level fell short and
    no best effort was asked), and why a level fell short ("" if every level reached its
    aim)."""

    candidate: Candidate | None
    shortfall: str = ""


def until_grid(target: float) -> tuple[float, ...]:
    """The working fidelities the search weighs on a deep path: the target and values above
    it up to 0.99, a third of the way apart (those in (0.5, 1) only).

    >>> until_grid(0.9)
    (0.9, 0.93, 0.96, 0.99)
    """
    values = (round(target + (0.99 - target) * k / 3, 6) for k in range(4))
    return tuple(sorted({u for u in values if 0.5 < u < 1.0 and u >= target}))


def _fewest(fidelities: Iterator[float], aim: float) -> tuple[int, float, bool]:
    """(rounds, fidelity, reached) of the fewest rounds whose fidelity is ≥ ``aim`` (rounds
    counted from 0, as ``fidelities`` gives them), or of the highest fidelity (fewest rounds
    on a tie) when none is."""
    best = (0, -1.0)
    for rounds, fidelity in enumerate(fidelities):
        if fidelity >= aim:
            return rounds, fidelity, True
        if fidelity > best[1]:
            best = (rounds, fidelity)
    return best[0], best[1], False


def _short(
    level: str, reached: float, most: int, why: str, scheme: str, pump: bool, aim: str
) -> str:
    """A level's shortfall in words: what it reached with the most rounds it could take,
    why no more (``why``), and its aim."""
    how = f"{scheme} pumping" if pump else scheme
    rounds = "1 round" if most == 1 else f"{most} rounds"
    return f"{level} reaches {reached:.4f} at most (up to {rounds} of {how}; {why}), below {aim}"


def _why(most: int, cap: int, memories: int) -> str:
    """Why a level can take no more than ``most`` rounds: the cap (0: no level may purify),
    or the memories."""
    if not cap:
        return "no level may purify"
    if most >= cap:
        return f"the cap is {cap}"
    return f"{memories} memories per QNIC allow no more"


def resolve(parts: Parts, spec: Until, target: float, best_effort: bool = False) -> Resolved:
    """The plan ``spec`` resolves to on ``parts``' path (module docstring) for a connection
    of fidelity ``target``. A level short of its aim ends the resolution (candidate None)
    unless ``best_effort``; then the nearest rounds are taken at every short level, and the
    first shortfall is reported. A level's most rounds are the cap's or fewer, as the
    connection's memories allow; a shortfall's text names the level ("the link level",
    "swap level k", "end to end"), the fidelity it reached, the most rounds it could take,
    and its aim."""
    until = spec.until
    link_pairs, e2e_pairs = SCHEMES[spec.link_scheme].pairs, SCHEMES[spec.e2e_scheme].pairs
    working = f"the working fidelity {until:g}"

    def need(link_rounds: int, segments: _Levels, e2e_rounds: int) -> int:
        return memories_needed(
            held_rounds(link_rounds, spec.link_pumping),
            held_rounds(e2e_rounds, spec.e2e_pumping),
            link_pairs,
            e2e_pairs,
            segments=[(held_rounds(r, p), SCHEMES[x].pairs) for r, x, p in segments],
        )

    def most(cap: int, fits: Callable[[int], bool]) -> int:
        # No rounds need one memory per QNIC, which a connection always reserves.
        return max(r for r in range(cap + 1) if not r or fits(r))

    # The link level: every link's pair after its rounds.
    link_most = most(spec.max_rounds, lambda r: need(r, (), 0) <= parts.memories)

    def link_level(rounds: int) -> float:
        links = parts.links((spec.link_scheme, rounds, spec.link_pumping))
        return 0.0 if links is None else min(state.fidelity for state, _ in links)

    levels = (link_level(r) for r in range(link_most + 1))
    link_rounds, reached, ok = _fewest(levels, until)
    first = ""
    if not ok:
        why = _why(link_most, spec.max_rounds, parts.memories)
        first = _short(
            "the link level", reached, link_most, why, spec.link_scheme, spec.link_pumping, working
        )
    if first and not best_effort:
        return Resolved(None, first)
    # Fewer than two rounds are the same by pumping or recurrence: a plan says recurrence
    # then (as the search's plans do).
    link_key = (spec.link_scheme, link_rounds, spec.link_pumping and link_rounds >= 2)
    if parts.links(link_key) is None:
        return Resolved(None, first or "a link delivers no pairs")
    # Up the levels, then end to end: the fewest end-to-end rounds that reach the target,
    # the levels below resolved again for each (their timing holds the end memories longer).
    nearest: tuple[float, Candidate | None, str] = (-1.0, None, "")  # (fidelity, plan, why)
    e2e_most = most(spec.max_e2e_rounds, lambda r: need(link_rounds, (), r) <= parts.memories)
    tried = 0  # the most end-to-end rounds weighed
    for e2e_rounds in range(e2e_most + 1):
        segments, short = _segments(parts, spec, link_key, e2e_rounds, need, best_effort)
        if short and not best_effort:
            if not e2e_rounds:
                return Resolved(None, first or short)
            # The end memories these rounds hold leave a level below short: the memories
            # allow no more end-to-end rounds.
            e2e_most = -1
            break
        tried = e2e_rounds
        candidate = (
            *link_key,
            spec.swap_order,
            segments,
            spec.e2e_scheme,
            e2e_rounds,
            spec.e2e_pumping and e2e_rounds >= 2,
        )
        fidelity, _ = parts.delivered(candidate)
        if fidelity >= target:
            return Resolved(candidate, first or short)
        if fidelity > nearest[0]:
            nearest = (fidelity, candidate, short)
    fidelity, best, short = nearest
    e2e = _short(
        "end to end",
        max(fidelity, 0.0),
        tried,
        _why(e2e_most, spec.max_e2e_rounds, parts.memories),
        spec.e2e_scheme,
        spec.e2e_pumping,
        f"the target {target:g}",
    )
    return Resolved(best if best_effort else None, first or short or e2e)


def _segments(
    parts: Parts,
    spec: Until,
    link_key: tuple[str, int, bool],
    e2e_rounds: int,
    need: Callable[[int, _Levels, int], int],
    best_effort: bool,
) -> tuple[_Levels, str]:
    """The resolved (rounds, scheme, pumping) of each swap level below the top, level 1
    first, and the first level's shortfall ("" if none); the nearest rounds at a short
    level. Each level's segments are swapped from those below as ``_swapped`` swaps them,
    and the chosen ones go into its memo: the plan's estimate then finds them there."""
    memories = parts.memories
    order = spec.swap_order
    tree = parts.tree(order)
    e2e_held = _timed_rounds(e2e_rounds, spec.e2e_pumping)
    timing = parts.timing(link_key, order, e2e_held)
    memo = parts.memo(link_key, order, e2e_held)
    links = parts.links(link_key)
    assert links is not None
    done: dict[tuple[int, int], _Made] = {
        (i, i + 1): (state, 1.0, 1.0) for i, (state, _) in enumerate(links)
    }
    top = max((level for *_, level in tree.steps), default=1)
    by_level: dict[int, list[tuple[int, int, int]]] = {}
    for mid, left, right, level in tree.steps:
        if level < top:
            by_level.setdefault(level, []).append((mid, left, right))
    segments: _Levels = ()
    first = ""
    for level in range(1, top):
        scheme, pump = spec.segment(level)
        steps = by_level[level]
        joined: dict[int, tuple[BellDiagonal, float]] = {}
        lower = segments
        # No rounds hold no more memories than the levels below, which fit.
        level_most = max(
            r
            for r in range(spec.max_rounds + 1)
            if not r or need(link_key[1], (*lower, (r, scheme, pump)), e2e_rounds) <= memories
        )
        # Rounds are tried from none up, each only if the fewer did not reach the aim.
        tried: list[list[_Made]] = []
        plans = [(*lower, (r, scheme, pump)) for r in range(level_most + 1)]
        fidelities = _trials(parts, tree, timing, memo, done, steps, plans, joined, tried)
        rounds, reached, ok = _fewest(fidelities, spec.until)
        if not ok and not first:
            working = f"the working fidelity {spec.until:g}"
            why = _why(level_most, spec.max_rounds, memories)
            first = _short(f"swap level {level}", reached, level_most, why, scheme, pump, working)
            if not best_effort:
                break  # the plan is refused: the levels above need not be resolved
        # Every trial goes into the memo: other working fidelities, and the plans the search
        # weighs with the same rounds below, find them there.
        for r, made in enumerate(tried):
            plan = (*lower, (r, scheme, pump))
            for (_, left, right), out in zip(steps, made, strict=True):
                memo.setdefault((left, right, plan), out)
        segments = (*lower, (rounds, scheme, pump))
        for (_, left, right), out in zip(steps, tried[rounds], strict=True):
            done[(left, right)] = out
    return segments, first


def _trials(
    parts: Parts,
    tree: _Tree,
    timing: ChainTiming,
    memo: _Memo,
    done: dict[tuple[int, int], _Made],
    steps: list[tuple[int, int, int]],
    plans: list[_Levels],
    joined: dict[int, tuple[BellDiagonal, float]],
    tried: list[list[_Made]],
) -> Iterator[float]:
    """One level's fidelity (its worst segment's) under each of ``plans`` in turn, as
    ``_fewest`` asks for them; each plan's segments are appended to ``tried``."""
    for plan in plans:
        tried.append(_level(parts, tree, timing, memo, done, steps, plan, joined))
        # A purification that cannot succeed keeps nothing: no pair reaches the aim.
        yield min(s.fidelity if kept > 0 else 0.0 for s, _, kept in tried[-1])


def _level(
    parts: Parts,
    tree: _Tree,
    timing: ChainTiming,
    memo: _Memo,
    done: dict[tuple[int, int], _Made],
    steps: list[tuple[int, int, int]],
    plan: _Levels,
    joined: dict[int, tuple[BellDiagonal, float]],
) -> list[_Made]:
    """The segments ``steps`` (one level's swaps: (mid, left, right)) make from ``done``,
    purified as the last level of ``plan`` says: from the memo if there, else swapped
    (``_joined``, kept in ``joined`` by step for the level's other trials) and purified."""
    out = []
    for k, (mid, left, right) in enumerate(steps):
        known = memo.get((left, right, plan))
        if known is None:
            if k not in joined:
                joined[k] = _joined(parts.hops, tree, timing, done, mid, left, right)
            state, success = joined[k]
            known = _segment_purified(
                parts.hops,
                tree,
                timing,
                state,
                success,
                left,
                right,
                plan[-1],
                parts.memories,
                parts.twirl,
            )
        out.append(known)
    return out
