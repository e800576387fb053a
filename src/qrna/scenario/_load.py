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
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from qrna.scenario._errors import ScenarioError
from qrna.scenario._presets import PRESETS
from qrna.scenario._schema import Scenario

__all__ = ["apply_override", "load_scenario", "read_scenario_file"]

_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


def read_scenario_file(path: Path) -> dict[str, Any]:
    """The raw mapping a scenario file holds."""
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ScenarioError(
            "$",
            f"unknown file type {path.suffix!r}; expected .yaml, .yml, .toml or .json",
            str(path),
        )
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError("$", f"cannot read it: {exc.strerror}", str(path)) from None
    try:
        if kind == "yaml":
            data = yaml.safe_load(text)
        elif kind == "toml":
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise ScenarioError("$", f"not valid {kind.upper()}: {detail}", str(path)) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            "$", f"expected a mapping at the top, got {type(data).__name__}", str(path)
        )
    return data


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Set ``path=value`` in ``data`` (dots for keys, integers for list items; the value is
    read as YAML, so ``3``, ``0.5``, ``true`` and ``[1, 2]`` keep their types)."""
    path, sep, raw = assignment.partition("=")
    if not sep or not path:
        raise ScenarioError("--set", f"{assignment!r} is not path=value")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ScenarioError(
            "--set", f"{assignment!r}: the value is not valid YAML: {detail}"
        ) from None
    keys = path.split(".")
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


def _format(exc: ValidationError) -> ScenarioError:
    lines = []
    for err in exc.errors():
        path = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if j else str(p))
            for j, p in enumerate(err["loc"])
        )
        lines.append((path or "$", err["msg"]))
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
