"""The rule engine tries only the rules a change woke (issue: per-event work proportional to
what changed). Its contract: the same rules fire, in the same order, as a scan of every rule
of every Stage, pass after pass until a pass fires nothing. The scan is kept here as the
reference, and whole chains run under both must agree event for event.

And a Stage-wide discard (``ANY_PARTNER``) does what one discard rule per partner did."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from qrna.link import PairName
from qrna.rules import (
    ANY_PARTNER,
    ChainSimulation,
    Discard,
    EngineEffect,
    EnoughResources,
    FreeQubit,
    FreeResource,
    ResourceOlderThan,
    Rule,
    RuleEngine,
    RuleSet,
    RuleSetError,
    Send,
    SetTimer,
    Stage,
    Swap,
    chain_rulesets,
)
from qrna.rules._engine import _MAX_FIRINGS
from qrna.rules._verify import _SymbolicHardware
from tests.rules.conftest import chain


def _scan_evaluate(self: RuleEngine, conn: Any, effects: list[EngineEffect]) -> None:
    """The reference: every rule tried in order, pass after pass."""
    firings = 0
    fired = True
    while fired:
        fired = False
        for request in list(conn.requests.values()):
            if self._try_second(conn, request, effects):
                fired = True
        for index, (stage, rule) in enumerate(conn.plan.rules):
            conn.position = index + 1
            if self._fire(conn, stage, rule, effects):
                fired = True
                firings += 1
                assert firings <= _MAX_FIRINGS
    conn.woken.clear()
    conn.behind.clear()
    conn.queued.clear()
    conn.position = 0


def _run(scan: bool, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[list[Any], Any]:
    config = dict(kw)
    n = config.pop("nodes", 5)
    seed = config.pop("seed", 1)
    jitter = config.pop("jitter", 0.0)
    duration = config.pop("duration", 0.01)
    names, specs = chain(n, memories=4, emission_fidelity=0.97, t2_s=config.pop("t2_s", math.inf))
    events: list[tuple[int, int]] = []
    with monkeypatch.context() as m:
        if scan:
            m.setattr(RuleEngine, "_evaluate", _scan_evaluate)
        sim = ChainSimulation(
            specs,
            chain_rulesets("c", names, **config),
            seed=seed,
            jitter=jitter,
            trace=lambda t, p, _: events.append((t, p)),
        )
        result = sim.run(duration)
    return events, result


CONFIGS = [
    {"swap_order": "nested"},
    {"swap_order": "sequential", "nodes": 6},
    {"link_rounds": 1, "jitter": 10.0, "seed": 2},
    {"e2e_rounds": 1, "link_rounds": 1, "seed": 3},
    {"discard_after_s": 1e-4, "t2_s": 2e-3, "seed": 8, "duration": 0.02},
    {"discard_after_s": 2e-4, "link_rounds": 1, "jitter": 2.0, "t2_s": 2e-3, "seed": 4},
]


def _id(config: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in config.items())


@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_woken_rules_fire_as_a_scan_of_every_rule_would(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    woken_events, woken = _run(False, monkeypatch, **config)
    scan_events, scan = _run(True, monkeypatch, **config)
    assert woken.pairs > 3
    assert woken_events == scan_events
    assert [(d.name, d.fidelity, d.delivered_ps) for d in woken.delivered] == [
        (d.name, d.fidelity, d.delivered_ps) for d in scan.delivered
    ]
    assert woken.discarded == scan.discarded
    if "discard_after_s" in config:
        assert woken.discarded > 5  # the timers did act: the comparison covers discards


def _per_partner(rs: RuleSet, everyone: list[str]) -> RuleSet:
    """The same RuleSet with each Stage-wide discard written as one rule per partner."""
    stages = []
    for stage in rs.stages:
        rules: list[Rule] = []
        for rule in stage.rules:
            clause = rule.condition[0] if rule.condition else None
            if isinstance(rule.action, Discard) and rule.action.partner == ANY_PARTNER:
                assert isinstance(clause, ResourceOlderThan)
                rules += [
                    Rule(f"discard-{p}", (ResourceOlderThan(p, clause.seconds),), Discard(p))
                    for p in everyone
                    if p != rs.node
                ]
            else:
                rules.append(rule)
        stages.append(dataclasses.replace(stage, rules=tuple(rules)))
    return dataclasses.replace(rs, stages=tuple(stages))


@pytest.mark.parametrize("seed", [8, 9])
def test_a_stage_wide_discard_frees_what_one_rule_per_partner_freed(seed: int) -> None:
    names, specs = chain(5, memories=4, emission_fidelity=0.99, t2_s=2e-3)
    wide = chain_rulesets("c", names, discard_after_s=1e-4)
    assert all(
        sum(isinstance(r.action, Discard) for r in st.rules) <= 1
        for rs in wide.values()
        for st in rs.stages
    )
    narrow = {n: _per_partner(rs, names) for n, rs in wide.items()}
    a = ChainSimulation(specs, wide, seed=seed).run(0.02)
    b = ChainSimulation(specs, narrow, seed=seed).run(0.02)
    assert a.discarded > 20
    assert (a.discarded, a.pairs) == (b.discarded, b.pairs)
    assert [(d.name, d.fidelity) for d in a.delivered] == [
        (d.name, d.fidelity) for d in b.delivered
    ]


def test_a_stage_wide_discard_frees_the_oldest_idle_resource_of_any_partner() -> None:
    """Two partners' resources in one Stage: at the timer the older one goes first, then the
    other once it is of age, each with a Free to its own partner."""
    rule = Rule("discard", (ResourceOlderThan(ANY_PARTNER, 1e-6),), Discard(ANY_PARTNER))
    hold = Rule("hold", (EnoughResources("z", 99),), Discard("z"))
    engine = RuleEngine("m", _SymbolicHardware())
    engine.install(RuleSet("c", "m", (Stage((hold, rule)),)))
    first = engine.assign("c", PairName("a", 0), ("m", 0), "a", 0)
    engine.assign("c", PairName("b", 5), ("m", 1), "b", 500_000)
    assert first == [SetTimer(1_000_001, ("c", (0, "a")))]
    out = engine.on_timer(("c", (0, "a")), 1_000_001)
    assert out == [FreeQubit(("m", 0)), Send("a", FreeResource("c", PairName("a", 0)))]
    assert engine.holds("c") == 1
    out = engine.on_timer(("c", (0, "b")), 1_500_001)
    assert out == [FreeQubit(("m", 1)), Send("b", FreeResource("c", PairName("b", 5)))]
    assert engine.holds("c") == 0


def test_a_discard_due_between_timers_fires_at_the_next_event() -> None:
    """A resource comes of age with no timer of its own due (its bucket's timer is armed for
    an older one that left): the next event at this node discards it, as a scan would."""
    rule = Rule("discard", (ResourceOlderThan("a", 1e-6),), Discard("a"))
    engine = RuleEngine("m", _SymbolicHardware())
    engine.install(RuleSet("c", "m", (Stage((rule,)),)))
    engine.assign("c", PairName("a", 0), ("m", 0), "a", 0)
    engine.assign("c", PairName("a", 1), ("m", 1), "a", 10)
    # The partner frees the older pair; the younger is due at 1_000_010 ps.
    engine.on_message("a", FreeResource("c", PairName("a", 0)), 20)
    out = engine.assign("c", PairName("a", 2), ("m", 2), "a", 1_000_010)
    assert FreeQubit(("m", 1)) in out
    assert Send("a", FreeResource("c", PairName("a", 1))) in out
    assert engine.holds("c") == 1


def test_a_rule_that_raised_is_tried_again_at_the_next_event() -> None:
    """A Swap that meets a MEAS record raises; a scan meets it again at the next event, so the
    engine must keep it woken rather than forget it (an unrelated timer here)."""
    swap = Rule("swap", (), Swap("a", "b"))
    engine = RuleEngine("m", _SymbolicHardware())
    engine.install(RuleSet("c", "m", (Stage((swap,)),)))
    engine.assign("c", PairName("a", 0), ("m", 0), "a", 0)
    with pytest.raises(RuleSetError, match="only holds a measurement record"):
        engine.assign_record("c", PairName("b", 0), ("Z", 0), "b", 0)
    with pytest.raises(RuleSetError, match="only holds a measurement record"):
        engine.on_timer(("c", (0, "a")), 10)
