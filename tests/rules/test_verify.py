"""The verifier passes the generated chain RuleSets and catches, each with a counterexample
trace: a discard timer shorter than the one-way latency, a swap rule that does not bind the
partners the schedule needs (leapfrogging), a Stage with no exit, and an unanswerable
purification."""

from __future__ import annotations

import dataclasses

import pytest

from qrna.rules import (
    Deliver,
    EnoughResources,
    Increment,
    Purify,
    Rule,
    RuleSet,
    Stage,
    Swap,
    VariableBelow,
    chain_rulesets,
    verify,
)

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
