"""Bad scenarios: each gets one clear message naming the file, the field path and what is
allowed, on stderr, with exit code 2 and no traceback (``qrna run`` and ``qrna validate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from qrna.cli import app

runner = CliRunner()


def _base() -> dict[str, Any]:
    return {
        "nodes": [
            {"name": "a", "type": "COMP"},
            {"name": "b", "type": "REP1"},
            {"name": "c", "type": "COMP"},
        ],
        "links": [{"a": "a", "b": "b"}, {"a": "b", "b": "c"}],
        "traffic": [{"initiator": "a", "responder": "c", "pairs": 5}],
        "simulation": {"duration_s": 0.01},
    }


def _with(path: str, value: Any) -> dict[str, Any]:
    data = _base()
    node: Any = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


# (name, scenario dict or raw text, the message it must produce after "<file>: ")
CASES: list[tuple[str, Any, str]] = [
    (
        "unknown node in a link",
        _with("links.1.b", "zed"),
        "links[1].b: unknown node 'zed'; nodes: a, b, c",
    ),
    (
        "negative length",
        _with("links.0.length_km", -3),
        "links[0].length_km: Input should be greater than or equal to 0",
    ),
    (
        "efficiency above one",
        _with("links.0.detector_efficiency", 1.5),
        "links[0].detector_efficiency: Input should be less than or equal to 1",
    ),
    (
        "unknown link type",
        _with("links.0.type", "QUANTUM"),
        "links[0].type: Input should be 'MIM', 'MM' or 'MSM'",
    ),
    (
        "unknown app",
        _with("traffic.0.app", "chess"),
        "traffic[0].app: Input should be 'pairs', 'qkd', 'teleport', 'tomography' or 'sensing'",
    ),
    (
        "wrong type of field",
        _with("traffic.0.pairs", "many"),
        "traffic[0].pairs: Input should be a valid integer",
    ),
    (
        "unknown field",
        _with("simulation.durration_s", 1.0),
        "simulation.durration_s: Extra inputs are not permitted",
    ),
    (
        "unreachable nodes",
        {
            **_base(),
            "nodes": [
                *_base()["nodes"],
                {"name": "d", "type": "COMP"},
                {"name": "e", "type": "COMP"},
            ],
            "links": [*_base()["links"], {"a": "d", "b": "e"}],
            "traffic": [{"initiator": "a", "responder": "e", "pairs": 1}],
        },
        "traffic[0]: 'a' and 'e' are not connected by links",
    ),
    (
        "unknown traffic node",
        _with("traffic.0.responder", "zz"),
        "traffic[0].responder: unknown node 'zz'; nodes: a, b, c",
    ),
    (
        "same initiator and responder",
        _with("traffic.0.responder", "a"),
        "traffic[0]: Value error, initiator and responder are both 'a'",
    ),
    (
        "zero memories",
        _with("links.0.memories", 0),
        "links[0].memories: Input should be greater than or equal to 1",
    ),
    (
        "REP1 with three links",
        {
            **_base(),
            "nodes": [*_base()["nodes"], {"name": "d", "type": "COMP"}],
            "links": [*_base()["links"], {"a": "b", "b": "d"}],
        },
        "nodes[1].type: node 'b': a REP1 has two interfaces",
    ),
    ("node listed twice", _with("nodes.2.name", "a"), "nodes[2].name: node 'a' is listed twice"),
    (
        "fidelity out of range",
        _with("traffic.0.fidelity", 1.2),
        "traffic[0].fidelity: Input should be less than or equal to 1",
    ),
    (
        "both topology and links",
        {**_base(), "topology": {"kind": "chain"}},
        "$: Value error, give either topology or nodes and links, not both",
    ),
    (
        "unknown topology kind",
        {"topology": {"kind": "torus"}},
        "topology.kind: Input should be 'chain', 'ring', 'grid', 'star', 'dumbbell' or 'random'",
    ),
    (
        "unknown generator",
        _with("simulation.generator", "nowhere:gen"),
        "simulation.generator: generator 'nowhere:gen' cannot be loaded: No module named 'nowhere'",
    ),
    ("bad node name", _with("nodes.0.name", "a b"), "nodes[0].name: String should match pattern"),
    ("a link to itself", _with("links.0.b", "a"), "links[0]: a link from 'a' to itself"),
    (
        "tomography at a MEAS end",
        {
            **_base(),
            "nodes": [{"name": "a", "type": "MEAS"}, *_base()["nodes"][1:]],
            "links": [{"a": "a", "b": "b", "type": "MSM"}, {"a": "b", "b": "c"}],
            "traffic": [{"initiator": "a", "responder": "c", "app": "tomography", "pairs": 5}],
        },
        "traffic[0].app: 'tomography' needs memories at both ends, but 'a' is a MEAS node",
    ),
    (
        "only an end node in between",
        {
            **_base(),
            "nodes": [
                {"name": "a", "type": "COMP"},
                {"name": "b", "type": "COMP"},
                {"name": "c", "type": "COMP"},
            ],
        },
        "traffic[0]: every path from 'a' to 'c' passes an end node; only REP1 and RTR nodes relay",
    ),
    (
        "classical network does not reach a link's end",
        {
            **_base(),
            "classical_links": [
                {"a": "a", "b": "b", "delay_s": 0.001},
                {"a": "c", "b": "c", "delay_s": 0.001},
            ],
        },
        "classical_links: classical network: no route between 'b' and 'c'",
    ),
    (
        "random graph that cannot connect",
        {
            "topology": {"kind": "random", "nodes": 40, "degree": 0.5},
            "traffic": [{"initiator": "r0", "responder": "r1", "pairs": 5}],
        },
        "topology.degree: no connected random graph of 40 nodes",
    ),
    (
        "more memories than a QNIC has",
        _with("traffic.0.memories", 50),
        "traffic[0].memories: 50 memories per QNIC asked, but 'a' has at most 8",
    ),
    (
        "infinite duration",
        _with("simulation.duration_s", float("inf")),
        "simulation.duration_s: Input should be a finite number",
    ),
    (
        "negative seed",
        _with("simulation.seed", -1),
        "simulation.seed: Input should be greater than or equal to 0",
    ),
    ("not a mapping", "- just\n- a list\n", "$: expected a mapping at the top, got list"),
    ("broken YAML", "nodes: [a, b\n", "$: not valid YAML:"),
]


def _write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / (name.replace(" ", "_") + ".yaml")
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


@pytest.mark.parametrize(("name", "content", "message"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenario_is_one_clear_message(
    tmp_path: Path, command: str, name: str, content: Any, message: str
) -> None:
    path = _write(tmp_path, name, content)
    args = [command, str(path)] + (["--no-files", "--format", "json"] if command == "run" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert err.startswith(f"error: {path}: {message}"), err
    assert "Traceback" not in result.output
    assert len(err.splitlines()) == 1
    assert result.stdout == ""


def test_table_has_at_least_fifteen_cases() -> None:
    assert len(CASES) >= 15


def test_missing_file_and_unknown_preset_and_bad_override(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "nosuch"])
    assert result.exit_code == 2
    assert "error: nosuch: $: no such file, and not a preset; presets: chain, metro, random" in (
        result.stderr
    )
    result = runner.invoke(app, ["validate", "chain", "--set", "topology.nodes=1"])
    assert result.exit_code == 2
    assert "topology.nodes: Input should be greater than or equal to 2" in result.stderr
    result = runner.invoke(app, ["validate", "chain", "--set", "traffic.7.pairs=1"])
    assert result.exit_code == 2
    assert "traffic.7: no item 7 (the list has 1)" in result.stderr
    path = tmp_path / "s.ini"
    path.write_text("x")
    result = runner.invoke(app, ["validate", str(path)])
    assert "unknown file type '.ini'; expected .yaml, .yml, .toml or .json" in result.stderr
    result = runner.invoke(app, ["validate", "chain", "--set", "simulation.seed=[1,"])
    assert result.exit_code == 2
    assert "--set: 'simulation.seed=[1,': the value is not valid YAML" in result.stderr
    (tmp_path / "afile").write_text("")
    result = runner.invoke(app, ["run", "chain", "--out", str(tmp_path / "afile" / "sub")])
    assert result.exit_code == 2
    # Checked before the simulation starts, so nothing ran and nothing was created.
    assert result.stderr == (
        f"error: --out {tmp_path / 'afile' / 'sub'}: {tmp_path / 'afile'} is a file, not a folder\n"
    )
