"""Reading scenarios: YAML, TOML or JSON files, presets by name, or dicts; ``--set`` overrides.

Errors name the file and the field path: ``metro.yaml: links[2].length_km: Input should be
greater than or equal to 0``.

Example:
    >>> s = load_scenario("chain", overrides=["topology.nodes=5", "simulation.seed=7"])
    >>> s.topology.nodes, s.simulation.seed
    (5, 7)
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from qrna.scenario._errors import ScenarioError
from qrna.scenario._presets import PRESETS
from qrna.scenario._schema import Scenario

__all__ = ["apply_override", "load_scenario", "read_scenario_file"]

_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading numbers as YAML 1.2 does: ``1e-6`` is a float (YAML 1.1,
    which PyYAML follows, wants a decimal point and reads ``1e-6`` as a string)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _yaml(text: str) -> Any:
    """``text`` read as YAML, refusing a key given twice in one mapping (PyYAML keeps the last
    silently, so a scenario would run with a setting its author did not mean)."""
    root = yaml.compose(text, Loader=_Loader)
    if root is None:
        return None
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, str]] = [(root, "")]
    while todo:  # a loop, not recursion: aliases may nest as deep as they like
        node, where = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[Any, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else id(key)
                path = f"{where}.{name}" if where else str(name)
                line = key.start_mark.line + 1
                if name in lines and name != "<<":
                    raise ScenarioError(path, f"given twice (lines {lines[name]} and {line})")
                lines[name] = line
                todo.append((value, path))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, f"{where}[{i}]") for i, item in enumerate(node.value))
    return yaml.load(text, Loader=_Loader)  # a SafeLoader: plain data, never objects


class _Pairs(dict[str, Any]):
    """A JSON object, remembering the first key it was given twice."""

    twice: str | None = None


def _json_object(pairs: list[tuple[str, Any]]) -> _Pairs:
    out = _Pairs()
    for key, value in pairs:
        if key in out and out.twice is None:
            out.twice = key
        out[key] = value
    return out


def _json(text: str) -> Any:
    """``text`` read as JSON, refusing a key given twice in one object."""
    data = json.loads(text, object_pairs_hook=_json_object)
    todo: list[tuple[Any, str]] = [(data, "")]
    while todo:
        value, where = todo.pop()
        if isinstance(value, _Pairs):
            if value.twice is not None:
                path = f"{where}.{value.twice}" if where else value.twice
                raise ScenarioError(path, "given twice")
            todo.extend((v, f"{where}.{k}" if where else k) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
    return data


def _detail(exc: Exception) -> str:
    """A parser's complaint on one line: where, then what (PyYAML's own text spans lines)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        context = f" ({exc.context})" if exc.context else ""
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}{context}"
    return " ".join(str(exc).split())


def read_scenario_file(path: Path) -> dict[str, Any]:
    """The raw mapping a scenario file holds: UTF-8 text, no key given twice."""
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ScenarioError(
            "$",
            f"unknown file type {path.suffix!r}; expected .yaml, .yml, .toml or .json",
            str(path),
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError("$", f"cannot read it: {exc.strerror}", str(path)) from None
    if b"\x00" in raw:
        raise ScenarioError(
            "$",
            f"a binary file, not {kind.upper()} text (a zero byte at offset {raw.index(0)})",
            str(path),
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            "$",
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}; save the file "
            "as UTF-8",
            str(path),
        ) from None
    try:
        if kind == "yaml":
            data = _yaml(text)
        elif kind == "toml":
            data = tomllib.loads(text)
        else:
            data = _json(text)
    except ScenarioError as exc:
        raise exc.in_file(str(path)) from None
    # ValueError: YAML dates such as 2024-13-01, integers past Python's digit limit.
    except (yaml.YAMLError, ValueError) as exc:
        detail = _detail(exc)
        raise ScenarioError("$", f"not valid {kind.upper()}: {detail}", str(path)) from None
    except RecursionError:
        raise ScenarioError(
            "$", f"not valid {kind.upper()}: nested too deeply", str(path)
        ) from None
    if data is None:
        raise ScenarioError(
            "$", "the file is empty; a scenario is a mapping (qrna schema)", str(path)
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            "$", f"expected a mapping at the top, got {type(data).__name__}", str(path)
        )
    return data


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Set ``path=value`` in ``data`` (dots for keys, integers for list items; the value is
    read as YAML, so ``3``, ``0.5``, ``true`` and ``[1, 2]`` keep their types, and ``null``
    clears a field). An empty value is refused: it would otherwise mean null silently."""
    path, sep, raw = assignment.partition("=")
    if not sep or not path:
        raise ScenarioError("--set", f"{assignment!r} is not path=value")
    keys = path.split(".")
    if "" in keys:
        raise ScenarioError("--set", f"{assignment!r}: the path {path!r} has an empty part")
    if not raw.strip():
        raise ScenarioError(
            "--set", f"{assignment!r}: no value after '='; write {path}=null to clear the field"
        )
    try:
        value = _yaml(raw)
    except ScenarioError as exc:
        raise ScenarioError("--set", f"{assignment!r}: {exc}") from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        detail = _detail(exc)
        raise ScenarioError(
            "--set", f"{assignment!r}: the value is not valid YAML: {detail}"
        ) from None
    node: Any = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        where = ".".join(keys[: i + 1])
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ScenarioError(where, f"no item {key} (the list has {len(node)})")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            raise ScenarioError(where, "cannot set a field inside a value")


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model whose field ``loc`` names (``("links", 0, "x")``: ``LinkConfig``)."""
    model: type[BaseModel] | None = Scenario
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = None if field is None else _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(err: ErrorDetails) -> str:
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "extra_forbidden":
        model = _model_at(tuple(err["loc"]))
        known = ", ".join(sorted(model.model_fields)) if model is not None else ""
        return f"unknown field; expected one of {known}" if known else "unknown field"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "missing":
        return "required, missing"
    if isinstance(value, bool | int | float | str | None):
        noun = {bool: "a boolean", str: "a string", type(None): "null"}.get(type(value), "")
        return f"{msg}; got {_shown(value)}" + (f" ({noun})" if noun and "type" in kind else "")
    return msg


def _format(exc: ValidationError) -> ScenarioError:
    lines = []
    for err in exc.errors():
        path = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if j else str(p))
            for j, p in enumerate(err["loc"])
        )
        lines.append((path or "$", _message(err)))
    first_path, first_msg = lines[0]
    more = "".join(f"; {p}: {m}" for p, m in lines[1:4])
    return ScenarioError(first_path, first_msg + more)


def load_scenario(
    source: str | Path | Mapping[str, Any], overrides: Sequence[str] = ()
) -> Scenario:
    """A validated scenario from a file path, a preset name or a mapping."""
    file = None
    if isinstance(source, Mapping):
        data = json.loads(json.dumps(source))  # a deep copy, JSON types only
    elif isinstance(source, str) and source in PRESETS:
        data = json.loads(json.dumps(PRESETS[source]))
    else:
        path = Path(source)
        if not path.exists():
            raise ScenarioError(
                "$",
                f"no such file, and not a preset; presets: {', '.join(sorted(PRESETS))}",
                str(source),
            )
        file = str(path)
        data = read_scenario_file(path)
    try:
        for assignment in overrides:
            apply_override(data, assignment)
        return Scenario.model_validate(data)
    except ScenarioError as exc:
        raise exc.in_file(file) if file else exc from None
    except ValidationError as exc:
        err = _format(exc)
        raise err.in_file(file) if file else err from None
