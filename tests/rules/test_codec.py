"""RuleSets round-trip through JSON unchanged; the published JSON Schema accepts what the
encoder writes; malformed JSON gets an error naming the JSON path."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from typing import Any

import jsonschema
import pytest

from qrna.rules import (
    ACTIONS,
    ANY_PARTNER,
    CLAUSES,
    Deliver,
    Discard,
    EnoughResources,
    Increment,
    Measure,
    Promote,
    Purify,
    ResourceOlderThan,
    Rule,
    RuleSet,
    RuleSetDecodeError,
    RuleSetError,
    Stage,
    Swap,
    VariableBelow,
    ruleset_from_dict,
    ruleset_from_json,
    ruleset_schema,
    ruleset_to_dict,
    ruleset_to_json,
)


def sample() -> RuleSet:
    """A RuleSet using every clause and action type."""
    return RuleSet(
        "conn-7",
        "isp1.r4",
        (
            Stage(
                (
                    Rule(
                        "purify", (EnoughResources("isp1.r3", 2, 0.5),), Purify("isp1.r3", "dejmps")
                    ),
                    Rule("cutoff", (ResourceOlderThan("isp1.r3", 0.002),), Discard("isp1.r3")),
                )
            ),
            Stage(
                (
                    Rule(
                        "swap",
                        (EnoughResources("isp1.r3"), EnoughResources("isp2.e1")),
                        Swap("isp1.r3", "isp2.e1"),
                    ),
                    Rule("up", (EnoughResources("isp2.e1", 1, 0.9),), Promote("isp2.e1")),
                )
            ),
            Stage(
                (
                    Rule(
                        "tomo",
                        (VariableBelow("measured", 100), EnoughResources("isp2.e1")),
                        Measure("isp2.e1", "random"),
                    ),
                    Rule("count", (VariableBelow("rounds", 3),), Increment("rounds", 2)),
                    Rule("deliver", (EnoughResources("isp2.e1"),), Deliver("isp2.e1")),
                ),
                {"measured": 0, "rounds": 1},
            ),
        ),
    )


def test_round_trip_is_exact() -> None:
    rs = sample()
    text = ruleset_to_json(rs)
    assert ruleset_from_json(text) == rs
    assert ruleset_to_json(ruleset_from_json(text)) == text
    assert json.loads(text)["version"] == 1
    assert rs.partners() == {"isp1.r3", "isp2.e1"}


def test_partners_are_every_node_a_clause_or_an_action_names() -> None:
    """A partner counts wherever it appears: in a clause only (carol), a Discard only (dave),
    a Swap's left or right only (erin, frank), a Deliver only (gina); the whole-Stage
    ``ANY_PARTNER`` is no node."""
    rs = RuleSet(
        "c1",
        "me",
        (
            Stage(
                (
                    Rule("old", (ResourceOlderThan("carol", 0.1),), Discard("dave")),
                    Rule("swap", (VariableBelow("m", 1),), Swap("erin", "frank")),
                    Rule("give", (VariableBelow("n", 3),), Deliver("gina")),
                    Rule("cut", (ResourceOlderThan(ANY_PARTNER, 0.2),), Discard(ANY_PARTNER)),
                )
            ),
        ),
    )
    assert rs.partners() == {"carol", "dave", "erin", "frank", "gina"}


def test_json_text_is_compact_or_indented_on_request() -> None:
    rs = sample()
    assert "\n" not in ruleset_to_json(rs)
    text = ruleset_to_json(rs, indent=2)
    assert text == json.dumps(ruleset_to_dict(rs), indent=2)
    assert text.startswith('{\n  "version": 1,\n  "connection": "conn-7",\n')


def test_a_decode_error_carries_the_json_path_at_fault() -> None:
    """...and keeps it, with its message, through a pickle round trip (which once failed)."""
    import pickle

    with pytest.raises(RuleSetDecodeError) as caught:
        ruleset_from_json(_mutate(["stages", 0, "rules", 0, "condition", 0, "count"], "2"))
    for e in (caught.value, pickle.loads(pickle.dumps(caught.value))):
        assert type(e) is RuleSetDecodeError
        assert e.path == "$.stages[0].rules[0].condition[0].count"
        assert e.message == "'2' is not a JSON integer"
        assert str(e) == "$.stages[0].rules[0].condition[0].count: '2' is not a JSON integer"


def test_schema_accepts_encoded_rulesets_and_rejects_bad_ones() -> None:
    schema = ruleset_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = ruleset_to_dict(sample())
    validator.validate(good)
    bad = json.loads(json.dumps(good))
    bad["stages"][0]["rules"][0]["action"]["type"] = "Teleport"
    assert not validator.is_valid(bad)
    bad = json.loads(json.dumps(good))
    bad["stages"][0]["rules"][0]["action"]["colour"] = "red"
    assert not validator.is_valid(bad)
    for not_an_object in ([], "ruleset", 1, None):
        assert not validator.is_valid(not_an_object), not_an_object


def _mutate(path: list[object], value: object, delete: bool = False) -> str:
    data = ruleset_to_dict(sample())
    target = data
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    if delete:
        del target[path[-1]]  # type: ignore[arg-type]
    else:
        target[path[-1]] = value  # type: ignore[index]
    return json.dumps(data)


BAD = [
    ("{not json", r"^\$: not JSON: .* line 1 column 2"),
    ("[]", r"^\$: expected an object, got list"),
    (_mutate(["version"], 2), r"^\$\.version: 2 is not supported; this qrna reads 1"),
    (_mutate(["version"], 1.0), r"^\$\.version: 1\.0 is not supported; this qrna reads 1$"),
    (_mutate(["version"], True), r"^\$\.version: True is not supported; this qrna reads 1$"),
    (_mutate(["node"], None, delete=True), r"^\$: missing field\(s\) \['node'\]"),
    (
        _mutate(["extra"], 1),
        r"^\$: unknown field\(s\) \['extra'\]; allowed: \['connection', 'node', 'stages', "
        r"'version'\]$",
    ),
    (
        _mutate(["stages", 0, "colour"], "red"),
        r"^\$\.stages\[0\]: unknown field\(s\) \['colour'\]; allowed: \['rules', 'variables'\]$",
    ),
    (_mutate(["stages", 0, "rules"], {}), r"^\$\.stages\[0\]\.rules: expected an array, got dict$"),
    (
        _mutate(["stages", 0, "rules", 0, "action", "scheme"], "dejmsp"),
        r"^\$\.stages\[0\]\.rules\[0\]\.action: Purify: scheme='dejmsp' is not a purification",
    ),
    (
        _mutate(["stages", 0, "rules", 0, "action", "type"], "Teleport"),
        r"^\$\.stages\[0\]\.rules\[0\]\.action\.type: 'Teleport' is not one of Deliver, Discard",
    ),
    (
        _mutate(["stages", 0, "rules", 0, "condition", 0, "count"], "2"),
        r"^\$\.stages\[0\]\.rules\[0\]\.condition\[0\]\.count: '2' is not a JSON integer",
    ),
    (
        _mutate(["stages", 0, "rules", 0, "condition", 0, "count"], True),
        r"\.count: True is not a JSON integer",
    ),
    (
        _mutate(["stages", 0, "rules", 1, "condition", 0, "seconds"], -1),
        r"^\$\.stages\[0\]\.rules\[1\]\.condition\[0\]: ResourceOlderThan: seconds=-1 is invalid",
    ),
    (
        _mutate(["stages", 1, "rules", 0, "action", "right"], "isp1.r3"),
        r"^\$\.stages\[1\]\.rules\[0\]\.action: Swap: left and right are both 'isp1.r3'",
    ),
    (
        _mutate(["stages", 2, "variables", "measured"], 0.5),
        r"^\$\.stages\[2\]\.variables\.measured: 0\.5 is not a JSON integer",
    ),
    (
        _mutate(["stages", 2, "rules", 2, "action", "partner"], "bad name"),
        r"Deliver: partner='bad name' is not a node address",
    ),
    (
        _mutate(["stages", 2, "rules", 0, "action", "type"], "Promote"),
        r"^\$\.stages\[2\]\.rules\[0\]\.action: unknown field\(s\) \['basis', 'counter'\]",
    ),
    (
        _mutate(["stages", 1, "rules", 1, "name"], "swap"),
        r"^\$\.stages\[1\]: Stage: rule names \['swap'\] appear more than once",
    ),
    (
        _mutate(["stages", 2, "rules", 2, "action"], {"type": "Promote", "partner": "isp2.e1"}),
        r"^\$: RuleSet: stages\[2\] rule 'deliver' promotes to a next Stage, but it is the last",
    ),
    (
        _mutate(["stages", 0, "rules", 0, "name"], ""),
        r"^\$\.stages\[0\]\.rules\[0\]: Rule: name='' must be a non-empty string$",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_malformed_json_names_the_path(text: str, message: str) -> None:
    with pytest.raises(RuleSetDecodeError, match=message):
        ruleset_from_json(text)


def test_model_refuses_bad_values() -> None:
    with pytest.raises(RuleSetError, match=r"EnoughResources: count=0 is invalid"):
        EnoughResources("bob", 0)
    with pytest.raises(RuleSetError, match=r"Measure: basis='W'"):
        Measure("bob", "W")
    with pytest.raises(RuleSetError, match=r"needs at least one Stage"):
        RuleSet("c", "alice", ())
    with pytest.raises(RuleSetError, match=r"is not an action"):
        Rule("r", (), "deliver")  # type: ignore[arg-type]
    assert Purify("bob", "double_x").pairs == 3


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: VariableBelow("", 1), "VariableBelow: variable='' must be a name"),
        (lambda: VariableBelow(5, 1), "VariableBelow: variable=5 must be a name"),
        (
            lambda: VariableBelow("n", -1),
            "VariableBelow: limit=-1 is invalid; expected an integer >= 0",
        ),
        (lambda: Increment(""), "Increment: variable='' must be a name"),
        (lambda: Increment(5), "Increment: variable=5 must be a name"),
        (lambda: Increment("n", 1.5), "Increment: by=1.5 is not an integer"),
        (lambda: Increment("n", True), "Increment: by=True is not an integer"),
        (
            lambda: Measure("a b"),
            "Measure: partner='a b' is not a node address (dotted labels, e.g. 'isp1.r4')",
        ),
        (lambda: Deliver("bob", to=""), "Deliver: to='' must name a connection"),
        (lambda: Deliver("bob", to=5), "Deliver: to=5 must name a connection"),
        (
            lambda: Rule("r", ("bob",), Deliver("bob")),
            "Rule 'r': 'bob' is not a condition clause",
        ),
        (lambda: Stage(("r",)), "Stage: 'r' is not a Rule"),
        (
            lambda: RuleSet("c", "alice", (Stage(()),), version=2),
            "RuleSet: version=2 is not supported; this qrna reads 1",
        ),
        (lambda: RuleSet("c", "alice", (Stage(()), "s")), "RuleSet: stages[1] is not a Stage"),
    ],
)
def test_clauses_and_actions_refuse_bad_values_by_name(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuleSetError) as caught:
        build()
    assert str(caught.value) == message


def test_variable_limits_may_be_zero_and_steps_negative() -> None:
    """``VariableBelow(v, 0)`` (closed while v >= 0) and ``Increment(v, -1)`` are valid."""
    assert VariableBelow("n", 0).limit == 0
    assert Increment("n", -1).by == -1


def test_a_stage_without_variables_decodes_with_no_variables() -> None:
    data = ruleset_to_dict(sample())
    del data["stages"][0]["variables"]
    assert ruleset_from_dict(data) == sample()


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a JSON value: each key of each object, each item of each array."""
    out = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def test_any_one_bad_value_is_a_decode_error_naming_its_path() -> None:
    """Every place of an encoded RuleSet, replaced by each of a score of odd JSON values (or
    removed): the decoder either accepts the result or raises ``RuleSetDecodeError`` under
    ``$``, never another exception. ``qrna verify`` relies on it: any other exception there
    is a fault in qrna (exit 3), not a refused input (exit 2)."""
    odd = [None, True, 0, -1, 2**70, 0.5, -0.5, 1e308, math.inf, math.nan, "", "a b", "x"]
    odd += [[], {}, [1], {"type": "Swap"}]
    refused = accepted = 0
    wheres: set[str] = set()
    for data in _variants(ruleset_to_dict(sample()), odd):
        try:
            ruleset_from_dict(data)
        except RuleSetDecodeError as exc:
            wheres.add(str(exc).split(":")[0])
            refused += 1
        else:
            accepted += 1
    assert refused > 1500  # 1745 at the time of writing
    assert all(w.startswith("$") for w in wheres), wheres
    assert len(wheres) > 30  # each error names where it is
    assert accepted > 100  # e.g. another name, another count, another fidelity in [0, 1]


_REMOVE = object()


def _variants(encoded: dict[str, Any], odd: list[object]) -> list[dict[str, Any]]:
    """The encoded RuleSet with one place replaced by one of the ``odd`` JSON values, or
    removed: every such variant."""
    out = []
    for path in _paths(encoded):
        for value in [*odd, _REMOVE]:
            data = copy.deepcopy(encoded)
            target: Any = data
            for key in path[:-1]:
                target = target[key]
            if value is _REMOVE:
                del target[path[-1]]
            else:
                target[path[-1]] = value
            out.append(data)
    return out


# Decoder messages about the JSON's shape (a field missing or unknown, a wrong JSON type, an
# unknown clause or action), which the schema states too; the others are about values
# (addresses, counts, schemes) that the schema leaves to the decoder.
_SHAPE = (
    "missing field",
    "unknown field",
    "is not a JSON",
    "expected an object",
    "expected an array",
    ".type: ",
)


def test_the_schema_and_the_decoder_agree_on_the_shape_of_a_ruleset() -> None:
    """Over every one-place change of an encoded RuleSet: what the decoder accepts the schema
    accepts, and what the schema accepts the decoder refuses only for a value the schema
    does not describe. So the published schema is the decoder's, field for field."""
    validator = jsonschema.Draft202012Validator(ruleset_schema())
    accepted = shape = 0
    odd: list[object] = [None, True, 0, -1, 2**70, 0.5, "", "x", [], {}, [1], {"type": "Swap"}]
    for data in _variants(ruleset_to_dict(sample()), odd):
        valid = validator.is_valid(data)
        try:
            ruleset_from_dict(data)
            refusal = None
        except RuleSetDecodeError as exc:
            refusal = str(exc)
        if refusal is None:
            accepted += 1
            assert valid, data
        elif any(s in refusal for s in _SHAPE):
            shape += 1
            assert not valid, (refusal, data)
    assert accepted > 50
    assert shape > 500


def test_the_schema_names_each_clause_and_action_with_its_fields() -> None:
    schema = ruleset_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "qrna RuleSet"
    assert set(schema["$defs"]) == {c.__name__ for c in (*CLAUSES, *ACTIONS)}
    for cls in (*CLAUSES, *ACTIONS):
        item = schema["$defs"][cls.__name__]
        fields = {f.name: f for f in dataclasses.fields(cls)}
        assert item["description"] == (cls.__doc__ or "").split("\n\n")[0]
        assert set(item["properties"]) == {"type", *fields}
        assert item["properties"]["type"] == {"const": cls.__name__}
        required = {n for n, f in fields.items() if f.default is dataclasses.MISSING}
        assert set(item["required"]) == {"type", *required}
        for name, f in fields.items():
            if f.default is None:  # optional, left out when unset: no default to state
                assert "default" not in item["properties"][name]
            elif f.default is not dataclasses.MISSING:
                assert item["properties"][name]["default"] == f.default
    stage_wide = Rule("cutoff", (ResourceOlderThan(ANY_PARTNER, 1e-3),), Discard(ANY_PARTNER))
    rs = RuleSet("c", "a", (Stage((stage_wide,)),))
    jsonschema.validate(ruleset_to_dict(rs), schema)
    assert ruleset_from_json(ruleset_to_json(rs)) == rs
    assert rs.partners() == set()


def test_each_clause_and_action_schema_alone_describes_an_object() -> None:
    """Each ``$defs`` entry on its own (an author checking one clause or action): the encoded
    clauses and actions of a RuleSet pass their own entry, and a string, number, array or
    null in their place passes none."""
    schema = ruleset_schema()

    def alone(name: str) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(
            {"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}
        )

    checked = set()
    for rule in (r for stage in ruleset_to_dict(sample())["stages"] for r in stage["rules"]):
        for item in (*rule["condition"], rule["action"]):
            alone(item["type"]).validate(item)
            checked.add(item["type"])
    assert len(checked) >= 3
    for cls in (*CLAUSES, *ACTIONS):
        for odd in (cls.__name__, 1, [], None):
            assert not alone(cls.__name__).is_valid(odd), (cls.__name__, odd)


def test_a_stage_wide_discard_round_trips_and_the_schema_says_how_to_write_it() -> None:
    """``ANY_PARTNER`` is ``"*"`` on the wire: it decodes to the same rule, the schema accepts
    it, and the schema's descriptions tell a JSON author to write ``"*"``."""
    rule = Rule("discard", (ResourceOlderThan(ANY_PARTNER, 1e-3),), Discard(ANY_PARTNER))
    rs = RuleSet("c1", "alice", (Stage((rule,)),))
    data = ruleset_to_dict(rs)
    assert data["stages"][0]["rules"][0]["action"] == {"type": "Discard", "partner": "*"}
    assert ruleset_from_json(ruleset_to_json(rs)) == rs
    schema = ruleset_schema()
    jsonschema.Draft202012Validator(schema).validate(data)
    for name in ("Discard", "ResourceOlderThan"):
        assert '``"*"`` in JSON' in schema["$defs"][name]["description"]
    assert rs.partners() == set()


def test_the_schema_refuses_what_its_constraints_state() -> None:
    """Beyond types and fields: the version is 1, names are not empty, a RuleSet has a Stage,
    and no object takes a field it does not list (top level, Stage, Rule, clause, action)."""
    validator = jsonschema.Draft202012Validator(ruleset_schema())
    good = ruleset_to_dict(sample())
    assert validator.is_valid(good)
    changes: list[tuple[list[object], object]] = [
        (["version"], 2),
        (["connection"], ""),
        (["node"], ""),
        (["stages"], []),
        (["stages", 0, "rules", 0, "name"], ""),
        (["extra"], 1),
        (["stages", 0, "extra"], 1),
        (["stages", 0, "rules", 0, "extra"], 1),
        (["stages", 0, "rules", 0, "condition", 0, "extra"], 1),
        (["stages", 0, "rules", 0, "action", "extra"], 1),
        (["stages", 0, "variables", "n"], 0.5),
    ]
    for path, value in changes:
        data = copy.deepcopy(good)
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not validator.is_valid(data), path


def test_an_items_description_is_its_docstrings_first_paragraph() -> None:
    """The schema describes a clause or action by its docstring's first paragraph only, and
    by nothing when the class has no docstring."""
    from qrna.rules._codec import _item_schema

    @dataclasses.dataclass(frozen=True)
    class Probe:
        """First paragraph,
        two lines.

        Second paragraph."""

        partner: str

    assert _item_schema(Probe)["description"] == "First paragraph,\n        two lines."
    Probe.__doc__ = None
    assert _item_schema(Probe)["description"] == ""
