"""A RuleSet compiled once at install, for the rule engine (``RuleEngine``): the rules in the
order they are tried, which rules each change of a bucket, a Stage variable or the clock can
wake, the discard timers per bucket, and the Stages that pump from each Stage (entanglement
pumping, ``Purify.pump_from``)."""

from __future__ import annotations

from qrna.kernel import s_to_ps
from qrna.rules._model import (
    ANY_PARTNER,
    Deliver,
    Discard,
    Purify,
    ResourceOlderThan,
    Rule,
    RuleSet,
    VariableBelow,
)

__all__ = ["_Key", "_Plan"]

_Key = tuple[int, str]  # (Stage, partner): a bucket of resources; partner ANY_PARTNER: the Stage


class _Plan:
    """A RuleSet compiled once at install: its rules in the order they are tried (Stage by
    Stage), and which rules each change can wake. A rule's outcome depends only on the buckets
    its clauses and action name, its Stage's variables, and the clock through its
    ``ResourceOlderThan`` clauses; a rule none of these changed for since it last failed fails
    again, so only woken rules are tried (per-event work proportional to what changed).
    Immutable once built, so copies of an engine share it."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.rules: list[tuple[int, Rule]] = []
        self.by_bucket: dict[_Key, list[int]] = {}
        self.by_variable: dict[tuple[int, str], list[int]] = {}
        self.by_age: dict[_Key, list[int]] = {}
        # Discard-timer seconds per bucket: (Stage, partner) or (Stage, ANY_PARTNER).
        self.age_limits: dict[_Key, list[int]] = {}
        self.timeouts: list[dict[str, float]] = []
        # Entanglement pumping, per (Stage pumped from, partner): the Stages whose Purify
        # rules pump from it, in order; the first of them also starts (seeds) a chain.
        self.pumps: dict[_Key, list[int]] = {}
        # The connections this RuleSet hands pairs over to (``Deliver.to``: the layer above).
        self.hands_to = tuple(
            sorted(
                {
                    rule.action.to
                    for stage in ruleset.stages
                    for rule in stage.rules
                    if isinstance(rule.action, Deliver) and rule.action.to is not None
                }
            )
        )
        seeders: dict[_Key, list[tuple[int, int]]] = {}  # (Stage, rule index) per pump group
        # Whether a Stage-wide discard can fire with no time passed (no age clause of a
        # positive number of ps holds it back): then a Stage's order across its buckets
        # decides what it frees at t = 0, and the verifier's state key must keep that order.
        self.discards_at_once = any(
            isinstance(rule.action, Discard)
            and rule.action.partner == ANY_PARTNER
            and not any(
                isinstance(c, ResourceOlderThan) and s_to_ps(c.seconds) > 0 for c in rule.condition
            )
            for stage in ruleset.stages
            for rule in stage.rules
        )
        for stage_index, stage in enumerate(ruleset.stages):
            per_partner: dict[str, float] = {}
            for rule in stage.rules:
                index = len(self.rules)
                self.rules.append((stage_index, rule))
                buckets = {
                    getattr(item, attr)
                    for item in (*rule.condition, rule.action)
                    for attr in ("partner", "left", "right")
                    if isinstance(getattr(item, attr, None), str)
                }
                for partner in sorted(buckets):
                    self.by_bucket.setdefault((stage_index, partner), []).append(index)
                action = rule.action
                if isinstance(action, Purify) and action.pump_from is not None:
                    # A pump also reads the earlier Stage's fresh pairs.
                    fresh = (action.pump_from, action.partner)
                    self.by_bucket.setdefault(fresh, []).append(index)
                    stages = self.pumps.setdefault(fresh, [])
                    if stage_index not in stages:
                        stages.append(stage_index)
                    seeders.setdefault(fresh, []).append((stage_index, index))
                for clause in rule.condition:
                    if isinstance(clause, VariableBelow):
                        key = (stage_index, clause.variable)
                        self.by_variable.setdefault(key, []).append(index)
                    elif isinstance(clause, ResourceOlderThan):
                        bucket = (stage_index, clause.partner)
                        self.by_age.setdefault(bucket, []).append(index)
                        limits = self.age_limits.setdefault(bucket, [])
                        if s_to_ps(clause.seconds) not in limits:
                            limits.append(s_to_ps(clause.seconds))
                        old = per_partner.get(clause.partner, clause.seconds)
                        per_partner[clause.partner] = min(old, clause.seconds)
            self.timeouts.append(per_partner)
        # A chain's seed waits for the whole pipeline to empty: the first pumping Stage's
        # rules also wake when a pair leaves a later one.
        for fresh, rules in seeders.items():
            first, later = self.pumps[fresh][0], self.pumps[fresh][1:]
            for stage_index, index in rules:
                if stage_index == first:
                    for s in later:
                        self.by_bucket.setdefault((s, fresh[1]), []).append(index)

    def timeout(self, stage: int, partner: str) -> float | None:
        """The shortest discard timer for a resource with ``partner`` in ``stage``."""
        if stage >= len(self.timeouts):
            return None
        limits = self.timeouts[stage]
        own, anyone = limits.get(partner), limits.get(ANY_PARTNER)
        if own is None or anyone is None:
            return own if anyone is None else anyone
        return min(own, anyone)

    def __deepcopy__(self, memo: dict[int, object]) -> _Plan:
        return self
