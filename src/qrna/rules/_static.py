"""The static checks of ``verify`` (spec §6), and what every check reports: a ``Violation``
with the trace of events that produces it.

- **stage exits**: every Stage has a rule that takes resources out of it;
- **message receivers**: a Swap or Purify names partners that run this connection, and a
  partner asked to purify has a Purify rule for the sender;
- **discard timers against latencies**: a node that may discard a pair waits longer than the
  one-way latency to the partner (the spec's race);
- **discard timers in order**: a node holding a pair its partner will swap waits longer than
  the partner's own timer for it plus twice the latency between them (the partner may swap
  just before giving up; the result then needs a latency to arrive, and the two ends'
  clocks for the pair start up to a latency apart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qrna.rules._model import (
    ANY_PARTNER,
    Deliver,
    Discard,
    Measure,
    Promote,
    Purify,
    ResourceOlderThan,
    RuleSet,
    Swap,
)

__all__ = ["Violation", "discard_order", "discard_races", "receivers", "stage_exits"]

_EXITS = (Promote, Purify, Swap, Discard, Deliver, Measure)


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem found, with the trace of events that produces it."""

    kind: str  # "no-exit", "discard-race", "no-receiver", "leftover", "mismatch"
    node: str
    message: str
    trace: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"[{self.kind}] {self.node}: {self.message}"]
        lines += [f"    {i + 1}. {step}" for i, step in enumerate(self.trace)]
        return "\n".join(lines)


def stage_exits(by_node: Mapping[str, RuleSet]) -> list[Violation]:
    out = []
    for node, rs in by_node.items():
        # A Stage that a later pump takes fresh pairs from is left by being consumed there.
        pumped = {
            rule.action.pump_from
            for stage in rs.stages
            for rule in stage.rules
            if isinstance(rule.action, Purify)
        }
        for i, stage in enumerate(rs.stages):
            if i not in pumped and not any(isinstance(rule.action, _EXITS) for rule in stage.rules):
                entry = "assigned link-level pairs" if i == 0 else f"promotions from Stage {i - 1}"
                out.append(
                    Violation(
                        "no-exit",
                        node,
                        f"Stage {i} has no rule that takes a resource out of it",
                        (
                            f"a resource enters Stage {i} at {node} ({entry})",
                            f"no rule of Stage {i} promotes, purifies, swaps, discards, "
                            "delivers or measures it: it is held forever",
                        ),
                    )
                )
    return out


def receivers(by_node: Mapping[str, RuleSet]) -> list[Violation]:
    out = []
    for node, rs in by_node.items():
        for i, stage in enumerate(rs.stages):
            for rule in stage.rules:
                action = rule.action
                targets = (
                    (action.left, action.right)
                    if isinstance(action, Swap)
                    else (action.partner,)
                    if isinstance(action, Purify | Discard) and action.partner != ANY_PARTNER
                    else ()  # a Stage-wide discard tells whichever partner holds the pair
                )
                for target in targets:
                    if target not in by_node:
                        out.append(
                            Violation(
                                "no-receiver",
                                node,
                                f"rule {rule.name!r} (Stage {i}) sends to {target!r}, which "
                                "runs no RuleSet of this connection",
                                (
                                    f"{node} fires {rule.name!r}",
                                    f"its message to {target} finds no RuleSet to receive it",
                                ),
                            )
                        )
                if isinstance(action, Purify) and action.partner in by_node:
                    theirs = [
                        r
                        for st in by_node[action.partner].stages
                        for r in st.rules
                        if isinstance(r.action, Purify)
                        and r.action.partner == node
                        and r.action.scheme == action.scheme
                        and r.action.twirl == action.twirl
                        and (r.action.pump_from is None) == (action.pump_from is None)
                    ]
                    if not theirs:
                        how = "recurrence" if action.pump_from is None else "pumping"
                        how += ", twirled" if action.twirl else ""
                        out.append(
                            Violation(
                                "no-receiver",
                                node,
                                f"rule {rule.name!r} purifies with {action.partner!r} by "
                                f"{action.scheme!r} ({how}), but {action.partner!r} has no "
                                f"Purify rule for {node!r} with that scheme by {how}",
                                (
                                    f"{min(node, action.partner)} leads the purification and sends "
                                    "its bits",
                                    f"{max(node, action.partner)} has no rule to answer",
                                ),
                            )
                        )
    return out


def discard_races(
    by_node: Mapping[str, RuleSet], latencies: Mapping[tuple[str, str], float]
) -> list[Violation]:
    out = []
    for node, rs in by_node.items():
        for i, stage in enumerate(rs.stages):
            for rule in stage.rules:
                for clause in rule.condition:
                    if not isinstance(clause, ResourceOlderThan):
                        continue
                    # A Stage-wide timer races the slowest partner a pair may have there.
                    partners = (
                        [p for p in by_node if p != node]
                        if clause.partner == ANY_PARTNER
                        else [clause.partner]
                    )
                    known = [
                        (latencies.get((node, p), latencies.get((p, node))), p) for p in partners
                    ]
                    worst = max(((lat, p) for lat, p in known if lat is not None), default=None)
                    if worst is None or clause.seconds > worst[0]:
                        continue
                    latency, partner = worst
                    out.append(
                        Violation(
                            "discard-race",
                            node,
                            f"rule {rule.name!r} (Stage {i}) discards a pair with {partner!r} "
                            f"after {clause.seconds:g} s, not more than the one-way latency "
                            f"{latency:g} s to it",
                            (
                                f"t = 0: a pair P of {node} and {partner} is heralded at both",
                                f"t = 0+: {partner} uses P (a swap), its result leaves for {node}",
                                f"t = {clause.seconds:g} s: {node}'s timer fires, it discards P "
                                "and resets its qubit",
                                f"t = {latency:g} s: the swap result reaches {node} too late: the "
                                "new pair's far end holds half of a pair whose other half is gone",
                            ),
                        )
                    )
    return out


def _timers(rs: RuleSet, partner: str, stages: set[int] | None = None) -> float | None:
    """The shortest discard timer ``rs`` sets for pairs with ``partner`` (in ``stages``)."""
    found = [
        clause.seconds
        for i, stage in enumerate(rs.stages)
        if stages is None or i in stages
        for rule in stage.rules
        for clause in rule.condition
        if isinstance(clause, ResourceOlderThan) and clause.partner in (partner, ANY_PARTNER)
    ]
    return min(found) if found else None


def discard_order(
    by_node: Mapping[str, RuleSet], latencies: Mapping[tuple[str, str], float]
) -> list[Violation]:
    out = []
    for node, rs in sorted(by_node.items()):
        for partner, other in sorted(by_node.items()):
            mine = _timers(rs, partner)
            if partner == node or mine is None:
                continue
            swapping = {
                i
                for i, stage in enumerate(other.stages)
                for rule in stage.rules
                if isinstance(rule.action, Swap) and node in (rule.action.left, rule.action.right)
            }
            if not swapping:
                continue  # the partner never swaps pairs with this node
            theirs = _timers(other, node, swapping)
            latency = latencies.get((node, partner), latencies.get((partner, node), 0.0))
            if theirs is not None and mine > theirs + 2 * latency:
                continue
            when = "at any age" if theirs is None else f"until it is {theirs:g} s old"
            out.append(
                Violation(
                    "discard-order",
                    node,
                    f"discards pairs with {partner!r} after {mine:g} s, but {partner!r} may swap "
                    f"them {when}; {node!r} must wait longer than that plus twice the latency "
                    f"({latency:g} s)",
                    (
                        f"t = 0: a pair P of {node} and {partner} is heralded at both",
                        f"t = {mine:g} s - e: {partner} swaps P, its result leaves for {node}",
                        f"t = {mine:g} s: {node}'s timer fires first: it discards P and resets "
                        "its qubit",
                        f"t = {mine:g} s + {latency:g} s: the swap result reaches {node} too "
                        "late: the new pair's far end holds half of a pair whose other half is "
                        "gone",
                    ),
                )
            )
    return out
