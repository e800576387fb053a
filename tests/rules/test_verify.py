"""The verifier passes the generated chain RuleSets and catches, each with a counterexample
trace: a discard timer shorter than the one-way latency, a swap rule that does not bind the
partners the schedule needs (leapfrogging), a Stage with no exit, and an unanswerable
purification. Its reduced exploration visits every state the plain search does, and still
finds a violation that only some interleavings show."""

from __future__ import annotations

import dataclasses

import pytest

from qrna.link import PairName
from qrna.rules import (
    ANY_PARTNER,
    Deliver,
    Discard,
    EnoughResources,
    Increment,
    Purify,
    Rule,
    RuleSet,
    Send,
    Stage,
    Swap,
    VariableBelow,
    _verify,
    chain_rulesets,
    verify,
)
from qrna.rules._engine import RuleEngine, _Connection, _Resource
from tests.rules.conftest import introspects_engine

NAMES3 = ["a", "b", "c"]
NAMES4 = ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"link_rounds": 1},
        {"e2e_rounds": 1},
        {"swap_order": "sequential", "link_rounds": 1},
        {"link_scheme": "single_x", "link_rounds": 1},
        {"discard_after_s": 1e-3},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain",
)
def test_generated_three_node_rulesets_pass(options: dict[str, object]) -> None:
    rulesets = chain_rulesets("c1", NAMES3, **options)  # type: ignore[arg-type]
    latencies = {("a", "b"): 1e-4, ("b", "c"): 1e-4, ("a", "c"): 2e-4}
    assert verify(rulesets, latencies, chain=NAMES3) == []


@pytest.mark.parametrize("order", ["nested", "sequential"])
def test_generated_four_node_rulesets_pass_every_interleaving(order: str) -> None:
    assert verify(chain_rulesets("c1", NAMES4, swap_order=order), chain=NAMES4) == []


@pytest.mark.parametrize(
    "options",
    [
        {"link_rounds": 1},
        {"swap_order": "sequential", "link_rounds": 1},
        {"e2e_rounds": 1},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_four_node_rulesets_with_purification_pass_every_interleaving(
    options: dict[str, object],
) -> None:
    """With link purification, about 265,000 states: a few seconds."""
    rulesets = chain_rulesets("c1", NAMES4, **options)  # type: ignore[arg-type]
    assert verify(rulesets, chain=NAMES4) == []


def _eager_swap(**options: object) -> dict[str, RuleSet]:
    """A-B-C-D, nested: B swaps (A, D) as it should, and also (A, C), its link neighbour, once
    it holds two pairs with C. Those are C's to swap with D: where C's swap result reaches B
    first, B only ever holds one and waits for D; where both of B's C heralds come first, B
    swaps one away and A is left with a pair with C that no rule takes."""
    rulesets = chain_rulesets("c1", NAMES4, **options)  # type: ignore[arg-type]
    b = rulesets["b"]
    eager = Rule("swap-eager", (EnoughResources("a"), EnoughResources("c", 2)), Swap("a", "c"))
    last = Stage((*b.stages[-1].rules, eager))
    rulesets["b"] = dataclasses.replace(b, stages=(*b.stages[:-1], last))
    return rulesets


@pytest.mark.parametrize("options", [{}, {"link_rounds": 1}], ids=["plain", "link_rounds=1"])
def test_a_violation_only_some_interleavings_show_is_found(options: dict[str, object]) -> None:
    violations = verify(_eager_swap(**options), chain=NAMES4)
    assert violations
    v = violations[0]
    assert v.kind == "leftover"
    assert "with partner 'c'" in v.message
    assert any(
        step.startswith("SwapResult from b reaches a") and "new_partner=c" in step
        for step in v.trace
    )


def test_the_eager_swap_breaks_some_runs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the test above tests the reduction: other runs end cleanly, so a search that
    skipped the wrong interleavings would pass these RuleSets."""
    ends: list[bool] = []
    check = _verify._check_end
    monkeypatch.setattr(_verify, "_check_end", lambda *a: ends.append(bool(check(*a))) or [])
    assert verify(_eager_swap(), chain=NAMES4) == []  # every end was checked; none stopped it
    assert True in ends
    assert False in ends


@pytest.mark.parametrize("eager", [False, True], ids=["generated", "eager-swap"])
@pytest.mark.parametrize("order", ["nested", "sequential"])
def test_sleep_sets_visit_every_state_the_plain_search_visits(
    order: str, eager: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both searches take only real steps, so equal counts mean equal sets of states: every
    end state the plain search checks, the reduced one checks too. Ends never stop the
    search here, so the eager swap's failing runs are counted as well."""
    monkeypatch.setattr(_verify, "_check_end", lambda *a: [])
    if eager:
        rulesets = _eager_swap(swap_order=order)
    else:
        rulesets = chain_rulesets("c1", NAMES4, swap_order=order)
    _verify._explore(rulesets, NAMES4, sleep_sets=False)
    plain = dict(_verify._last_run)
    _verify._explore(rulesets, NAMES4)
    reduced = dict(_verify._last_run)
    assert reduced["states"] == plain["states"] > 1000
    assert reduced["transitions"] < plain["transitions"] / 2


@introspects_engine
def test_the_exploration_state_key_reads_every_field_of_the_engine() -> None:
    """The exploration merges engines whose ``_local_key``s are equal. A field the engine
    gains is state the key misses, and merging different states can hide a run: if this
    fails, teach ``_local_key`` the field (or show it cannot change behaviour), then here."""
    engine = RuleEngine("a", _verify._SymbolicHardware())
    # counts: statistics the engine writes and never reads, so the key leaves them.
    assert set(vars(engine)) == {"node", "hardware", "now_ps", "_conns", "_last_stamp", "counts"}
    assert [f.name for f in dataclasses.fields(_Connection)] == [
        "ruleset",
        "plan",  # compiled from the RuleSet
        "variables",
        "by_name",
        "by_key",
        "by_stage",  # in the key when a Stage-wide discard can fire at t = 0
        "waiting",
        "cleared",  # pairs the partner handed up, this end to follow: in the key
        "pending",  # pairs handed up here, the partner's word awaited: in the key
        "purifications",
        "requests",
        "timers",
        # Which rules to try next and when buckets come of age: they decide only which rules
        # are tried, never which fire (a rule not woken would fail), so the key leaves them.
        "woken",
        "behind",
        "queued",
        "position",
        "deadlines",
        "aged",
    ]
    assert [f.name for f in dataclasses.fields(_Resource)] == [
        "name",
        "qubit",
        "partner",
        "stage",
        "since_ps",
        "fidelity",
        "busy",
        "record",
        "link_pair",
    ]


def test_two_node_rulesets_with_two_purification_rounds_pass() -> None:
    assert verify(chain_rulesets("c1", ["a", "b"], link_rounds=2)) == []


def test_a_discard_timer_shorter_than_the_latency_is_caught() -> None:
    rulesets = chain_rulesets("c1", NAMES3, discard_after_s=2e-5)
    latencies = {("a", "b"): 2.4e-5, ("b", "c"): 2.4e-5, ("a", "c"): 4.8e-5}
    violations = verify(rulesets, latencies, chain=NAMES3, explore=False)
    races = [v for v in violations if v.kind == "discard-race"]
    assert races
    first = races[0]
    assert "not more than the one-way latency" in first.message
    assert any("too late" in step for step in first.trace)
    assert "[discard-race]" in str(first)


def test_a_swap_that_binds_link_neighbours_instead_of_the_segment_ends_leapfrogs() -> None:
    """A-B-C-D: B swaps (A, C) and C swaps (B, D), both on link-level pairs. With two B-C
    pairs they may use different ones and leave A-C and B-D: the explorer finds that run."""
    good = chain_rulesets("c1", NAMES4)
    bad = dict(good)
    for node, (left, right) in (("b", ("a", "c")), ("c", ("b", "d"))):
        swap = Rule("swap", (EnoughResources(left), EnoughResources(right)), Swap(left, right))
        bad[node] = RuleSet("c1", node, (Stage((swap,)),))
    violations = verify(bad, chain=NAMES4)
    assert violations
    v = violations[0]
    assert v.kind in ("leftover", "mismatch")
    assert len(v.trace) > 4
    assert any("SwapResult" in step for step in v.trace)


def test_a_stage_with_no_exit_is_caught() -> None:
    rulesets = chain_rulesets("c1", NAMES3)
    stuck = Stage((Rule("count", (VariableBelow("n", 3),), Increment("n")),))
    rs = rulesets["a"]
    rulesets["a"] = dataclasses.replace(rs, stages=(*rs.stages, stuck))
    violations = verify(rulesets, chain=NAMES3, explore=False)
    assert [v.kind for v in violations] == ["no-exit"]
    assert "Stage 1 has no rule that takes a resource out of it" in violations[0].message
    assert "held forever" in violations[0].trace[-1]


def test_a_violation_prints_as_its_kind_node_message_and_numbered_trace() -> None:
    rulesets = chain_rulesets("c1", NAMES3)
    stuck = Stage((Rule("count", (VariableBelow("n", 3),), Increment("n")),))
    rs = rulesets["a"]
    rulesets["a"] = dataclasses.replace(rs, stages=(*rs.stages, stuck))
    (violation,) = verify(rulesets, chain=NAMES3, explore=False)
    assert str(violation) == (
        "[no-exit] a: Stage 1 has no rule that takes a resource out of it\n"
        "    1. a resource enters Stage 1 at a (promotions from Stage 0)\n"
        "    2. no rule of Stage 1 promotes, purifies, swaps, discards, delivers or measures it: "
        "it is held forever"
    )


def test_a_purification_the_partner_cannot_answer_is_caught() -> None:
    rulesets = chain_rulesets("c1", ["a", "b"], link_rounds=1)
    rs = rulesets["b"]
    deliver = Rule("deliver", (EnoughResources("a"),), Deliver("a"))
    rulesets["b"] = dataclasses.replace(
        rs,
        stages=(
            Stage((Rule("p", (EnoughResources("a", 2),), Purify("a", "bbpssw")),)),
            Stage((deliver,)),
        ),
    )
    violations = verify(rulesets)
    assert any(v.kind == "no-receiver" and "no Purify rule" in v.message for v in violations)


def test_engines_that_discard_stage_wide_differently_have_different_state_keys() -> None:
    """A Stage-wide discard with no age clause fires at t = 0 and frees the Stage's oldest
    resource: two engines that took the same pairs in different orders answer the next pair
    differently, so they must not share a key (the exploration would merge them and never
    run the other order's Frees)."""
    rule = Rule("d", (EnoughResources("c"),), Discard(ANY_PARTNER))
    rs = RuleSet("c1", "m", (Stage((rule,)),))
    engines = []
    for order in (("a", "b"), ("b", "a")):
        engine = RuleEngine("m", _verify._SymbolicHardware())
        engine.install(rs)
        for p in order:
            assert engine.assign("c1", PairName(p, 0), (p, 0), p, 0) == []
        engines.append(engine)
    keys = [_verify._local_key(e, "c1") for e in engines]
    out = [e.assign("c1", PairName("c", 0), ("c", 0), "c", 0) for e in engines]
    assert [m.dst for m in out[0] if isinstance(m, Send)] == ["a", "b", "c"]
    assert [m.dst for m in out[1] if isinstance(m, Send)] == ["b", "a", "c"]
    assert keys[0] != keys[1]
