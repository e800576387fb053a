"""RuleSets as JSON: a versioned encoding, a decoder whose errors name the JSON path, and the
published JSON Schema.

Clauses and actions are objects with a ``"type"`` naming their class. Decoding checks every
field's JSON type, refuses unknown and missing fields, and then lets the dataclasses check their
values; any failure is a ``RuleSetDecodeError`` whose message starts with the path, e.g.
``$.stages[1].rules[0].action.scheme: ...``.

Example:
    >>> from qrna.rules import Deliver, EnoughResources, Rule, RuleSet, Stage
    >>> rs = RuleSet("c1", "alice", (Stage((Rule("go", (EnoughResources("bob"),),
    ...                                           Deliver("bob")),)),))
    >>> ruleset_from_json(ruleset_to_json(rs)) == rs
    True
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any, Final, get_type_hints

from qrna.rules._errors import RuleSetDecodeError, RuleSetError
from qrna.rules._model import ACTIONS, CLAUSES, VERSION, Rule, RuleSet, Stage

__all__ = [
    "ruleset_from_dict",
    "ruleset_from_json",
    "ruleset_schema",
    "ruleset_to_dict",
    "ruleset_to_json",
]

_CLAUSE_TYPES: Final = {c.__name__: c for c in CLAUSES}
_ACTION_TYPES: Final = {a.__name__: a for a in ACTIONS}
_JSON_NAMES: Final = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _item_to_dict(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(item).__name__}
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if value is not None:  # an optional field left unset is absent, never null
            out[f.name] = value
    return out


def _json_kind(hint: Any) -> type:
    """The JSON type of a field: ``int | None`` is an integer that may be left out."""
    kinds = [k for k in getattr(hint, "__args__", (hint,)) if k is not type(None)]
    return kinds[0]  # type: ignore[no-any-return]


def ruleset_to_dict(rs: RuleSet) -> dict[str, Any]:
    """The JSON-ready dict form of a RuleSet."""
    return {
        "version": rs.version,
        "connection": rs.connection,
        "node": rs.node,
        "stages": [
            {
                "variables": dict(stage.variables),
                "rules": [
                    {
                        "name": rule.name,
                        "condition": [_item_to_dict(c) for c in rule.condition],
                        "action": _item_to_dict(rule.action),
                    }
                    for rule in stage.rules
                ],
            }
            for stage in rs.stages
        ],
    }


def ruleset_to_json(rs: RuleSet, indent: int | None = None) -> str:
    """The RuleSet as JSON text (keys in a fixed order, so equal RuleSets give equal text)."""
    return json.dumps(ruleset_to_dict(rs), indent=indent)


# -- decoding -------------------------------------------------------------------------------


def _expect_object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleSetDecodeError(path, f"expected an object, got {type(value).__name__}")
    return value


def _expect_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise RuleSetDecodeError(path, f"expected an array, got {type(value).__name__}")
    return value


def _check_keys(obj: dict[str, Any], path: str, required: set[str], optional: set[str]) -> None:
    missing = sorted(required - obj.keys())
    if missing:
        raise RuleSetDecodeError(path, f"missing field(s) {missing}")
    unknown = sorted(obj.keys() - required - optional)
    if unknown:
        allowed = sorted(required | optional)
        raise RuleSetDecodeError(path, f"unknown field(s) {unknown}; allowed: {allowed}")


def _check_type(value: object, kind: type, path: str) -> None:
    ok = (
        isinstance(value, bool)
        if kind is bool
        else isinstance(value, str)
        if kind is str
        else (isinstance(value, int) and not isinstance(value, bool))
        if kind is int
        else (isinstance(value, int | float) and not isinstance(value, bool))
    )
    if not ok:
        raise RuleSetDecodeError(path, f"{value!r} is not a JSON {_JSON_NAMES[kind]}")


def _decode_item(value: object, path: str, types: Mapping[str, type]) -> Any:
    obj = _expect_object(value, path)
    name = obj.get("type")
    cls = types.get(name) if isinstance(name, str) else None
    if cls is None:
        raise RuleSetDecodeError(
            f"{path}.type", f"{name!r} is not one of " + ", ".join(sorted(types))
        )
    fields = dataclasses.fields(cls)
    hints = get_type_hints(cls)
    required = {f.name for f in fields if f.default is dataclasses.MISSING}
    optional = {f.name for f in fields} - required
    _check_keys(obj, path, required | {"type"}, optional)
    kwargs = {}
    for f in fields:
        if f.name in obj:
            _check_type(obj[f.name], _json_kind(hints[f.name]), f"{path}.{f.name}")
            kwargs[f.name] = obj[f.name]
    try:
        return cls(**kwargs)
    except RuleSetError as exc:
        raise RuleSetDecodeError(path, str(exc)) from None


def ruleset_from_dict(data: object, path: str = "$") -> RuleSet:
    """Decode the dict form; errors name the JSON path."""
    obj = _expect_object(data, path)
    _check_keys(obj, path, {"version", "connection", "node", "stages"}, set())
    version = obj["version"]
    if type(version) is not int or version != VERSION:  # JSON true and 1.0 are not 1
        raise RuleSetDecodeError(
            f"{path}.version", f"{version!r} is not supported; this qrna reads {VERSION}"
        )
    for key in ("connection", "node"):
        _check_type(obj[key], str, f"{path}.{key}")
    stages = []
    for i, stage_value in enumerate(_expect_list(obj["stages"], f"{path}.stages")):
        sp = f"{path}.stages[{i}]"
        stage_obj = _expect_object(stage_value, sp)
        _check_keys(stage_obj, sp, {"rules"}, {"variables"})
        variables = _expect_object(stage_obj.get("variables", {}), f"{sp}.variables")
        for k, v in variables.items():
            _check_type(v, int, f"{sp}.variables.{k}")
        rules = []
        for j, rule_value in enumerate(_expect_list(stage_obj["rules"], f"{sp}.rules")):
            rp = f"{sp}.rules[{j}]"
            rule_obj = _expect_object(rule_value, rp)
            _check_keys(rule_obj, rp, {"name", "condition", "action"}, set())
            _check_type(rule_obj["name"], str, f"{rp}.name")
            clauses = tuple(
                _decode_item(c, f"{rp}.condition[{k}]", _CLAUSE_TYPES)
                for k, c in enumerate(_expect_list(rule_obj["condition"], f"{rp}.condition"))
            )
            action = _decode_item(rule_obj["action"], f"{rp}.action", _ACTION_TYPES)
            try:
                rules.append(Rule(rule_obj["name"], clauses, action))
            except RuleSetError as exc:
                raise RuleSetDecodeError(rp, str(exc)) from None
        try:
            stages.append(Stage(tuple(rules), dict(variables)))  # type: ignore[arg-type]
        except RuleSetError as exc:
            raise RuleSetDecodeError(sp, str(exc)) from None
    try:
        return RuleSet(obj["connection"], obj["node"], tuple(stages), version)
    except RuleSetError as exc:
        raise RuleSetDecodeError(path, str(exc)) from None


def ruleset_from_json(text: str) -> RuleSet:
    """Decode RuleSet JSON text; malformed JSON and bad content both raise
    ``RuleSetDecodeError`` naming where."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleSetDecodeError(
            "$", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    return ruleset_from_dict(data)


# -- schema ---------------------------------------------------------------------------------


def _item_schema(cls: type) -> dict[str, Any]:
    hints = get_type_hints(cls)
    props: dict[str, Any] = {"type": {"const": cls.__name__}}
    required = ["type"]
    for f in dataclasses.fields(cls):
        props[f.name] = {"type": _JSON_NAMES[_json_kind(hints[f.name])]}
        if f.default is dataclasses.MISSING:
            required.append(f.name)
        elif f.default is not None:
            props[f.name]["default"] = f.default
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "description": (cls.__doc__ or "").split("\n\n")[0],
    }


def ruleset_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the RuleSet JSON form."""
    defs = {cls.__name__: _item_schema(cls) for cls in (*CLAUSES, *ACTIONS)}
    ref: Callable[[list[str]], dict[str, Any]] = lambda names: {  # noqa: E731
        "oneOf": [{"$ref": f"#/$defs/{n}"} for n in names]
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "qrna RuleSet",
        "type": "object",
        "required": ["version", "connection", "node", "stages"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": VERSION},
            "connection": {"type": "string", "minLength": 1},
            "node": {"type": "string", "minLength": 1},
            "stages": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["rules"],
                    "additionalProperties": False,
                    "properties": {
                        "variables": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                        "rules": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "condition", "action"],
                                "additionalProperties": False,
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "condition": {
                                        "type": "array",
                                        "items": ref([c.__name__ for c in CLAUSES]),
                                    },
                                    "action": ref([a.__name__ for a in ACTIONS]),
                                },
                            },
                        },
                    },
                },
            },
        },
        "$defs": defs,
    }
