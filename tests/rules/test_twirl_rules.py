"""``Purify.twirl`` (issue 12, item 4): carried by the RuleSet codec and its JSON Schema as a
JSON boolean, written by ``chain_rulesets`` into every purification of a plan, checked by the
verifier (both ends of a purification must agree on it), and refused by the ground truth when
the two ends' operations disagree."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from qrna.hardware import HardwareError, PairStore, PurificationBook
from qrna.physics import BellDiagonal
from qrna.rules import (
    Deliver,
    EnoughResources,
    Purify,
    Rule,
    RuleSet,
    RuleSetDecodeError,
    RuleSetError,
    Stage,
    chain_rulesets,
    ruleset_from_json,
    ruleset_schema,
    ruleset_to_dict,
    ruleset_to_json,
    verify,
)


def _purifying(twirl: bool) -> RuleSet:
    rule = Rule("p", (EnoughResources("b", 2),), Purify("b", "dejmps", twirl=twirl))
    deliver = Rule("d", (EnoughResources("b"),), Deliver("b"))
    return RuleSet("c1", "a", (Stage((rule,)), Stage((deliver,))))


def test_twirl_round_trips_as_a_json_boolean_and_the_schema_says_so() -> None:
    rs = _purifying(True)
    data = ruleset_to_dict(rs)
    assert data["stages"][0]["rules"][0]["action"] == {
        "type": "Purify",
        "partner": "b",
        "scheme": "dejmps",
        "twirl": True,
    }
    assert ruleset_from_json(ruleset_to_json(rs)) == rs
    schema = ruleset_schema()
    assert schema["$defs"]["Purify"]["properties"]["twirl"] == {"type": "boolean", "default": False}
    jsonschema.Draft202012Validator(schema).validate(data)
    # A RuleSet written before the field existed still reads, untwirled.
    del data["stages"][0]["rules"][0]["action"]["twirl"]
    old = ruleset_from_json(json.dumps(data))
    action = old.stages[0].rules[0].action
    assert isinstance(action, Purify)
    assert action.twirl is False


@pytest.mark.parametrize("value", [1, "true", None])
def test_a_twirl_that_is_no_boolean_is_refused_naming_its_path(value: object) -> None:
    data = ruleset_to_dict(_purifying(True))
    data["stages"][0]["rules"][0]["action"]["twirl"] = value
    with pytest.raises(RuleSetDecodeError) as caught:
        ruleset_from_json(json.dumps(data))
    assert str(caught.value) == (
        f"$.stages[0].rules[0].action.twirl: {value!r} is not a JSON boolean"
    )
    with pytest.raises(RuleSetError, match=r"^Purify: twirl=1 must be true or false$"):
        Purify("b", "dejmps", twirl=1)  # type: ignore[arg-type]


def test_chain_rulesets_twirl_every_purification_and_verify_clean() -> None:
    """Link, segment and end-to-end rounds on a 5-node chain: every Purify twirls, and the
    RuleSets pass the verifier."""
    rulesets = chain_rulesets(
        "c1",
        ["n0", "n1", "n2", "n3", "n4"],
        link_rounds=1,
        segment_rounds=(1,),
        e2e_rounds=1,
        twirl=True,
    )
    actions = [
        r.action
        for rs in rulesets.values()
        for st in rs.stages
        for r in st.rules
        if isinstance(r.action, Purify)
    ]
    assert len(actions) > 10
    assert all(a.twirl for a in actions)
    assert verify(rulesets, explore=False) == []


def test_the_verifier_catches_ends_that_disagree_on_the_twirl() -> None:
    rulesets = chain_rulesets("c1", ["a", "b"], link_rounds=1, twirl=True)
    untwirled = chain_rulesets("c1", ["a", "b"], link_rounds=1)
    rulesets["b"] = untwirled["b"]
    violations = verify(rulesets)
    assert any(
        v.kind == "no-receiver"
        and "by 'dejmps' (recurrence, twirled), but 'b' has no Purify rule for 'a' with that "
        "scheme by recurrence, twirled"
        in v.message
        for v in violations
    )


def test_the_ground_truth_refuses_a_purification_ended_with_another_twirl() -> None:
    store = PairStore()
    book = PurificationBook(store)
    for i in range(2):
        store.create(BellDiagonal.werner(0.9), (("a", i), ("b", i)), (None, None), (0, 0), 0)
    rng = np.random.default_rng(1)
    book.begin([("a", 0), ("a", 1)], "dejmps", 0, rng, twirl=True)
    with pytest.raises(
        HardwareError,
        match=r"was begun as 'dejmps' \(twirl=True\), ended as 'dejmps' \(twirl=False\)",
    ):
        book.end([("b", 0), ("b", 1)], "dejmps", 0, rng)
