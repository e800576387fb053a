"""Bad input: each gets one clear message naming the file, the field path and what is allowed,
on stderr, with exit code 2 and no traceback (``qrna run`` and ``qrna validate``); a fault
inside qrna is exit code 3, "internal error", with what reproduces it."""

from __future__ import annotations

import json
from dataclasses import dataclass
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


BASE_YAML = yaml.safe_dump(_base(), sort_keys=False)


@dataclass(frozen=True)
class Bad:
    """A bad input and the message it must produce after ``error: <file>: ``."""

    name: str
    content: dict[str, Any] | str | bytes  # a dict is written as YAML; text or bytes as they are
    message: str
    suffix: str = ".yaml"
    args: tuple[str, ...] = ()  # more command-line arguments (--set ...)


CASES: list[Bad] = [
    Bad(
        "too many purification rounds forced",
        _with("traffic.0.plan", {"link_rounds": 9}),
        "traffic[0].plan.link_rounds: Input should be less than or equal to 5; got 9",
    ),
    Bad(
        "an unknown purification scheme forced",
        _with("traffic.0.plan", {"e2e_scheme": "dejmp"}),
        "traffic[0].plan.e2e_scheme: Input should be 'bbpssw', 'dejmps', 'single_x', "
        "'single_z', 'double_x' or 'double_z'; got 'dejmp'",
    ),
    Bad(
        "unknown node in a link",
        _with("links.1.b", "zed"),
        "links[1].b: unknown node 'zed'; nodes: a, b, c",
    ),
    Bad(
        "negative length",
        _with("links.0.length_km", -3),
        "links[0].length_km: Input should be greater than or equal to 0; got -3",
    ),
    Bad(
        "efficiency above one",
        _with("links.0.detector_efficiency", 1.5),
        "links[0].detector_efficiency: Input should be less than or equal to 1; got 1.5",
    ),
    Bad(
        "unknown link type",
        _with("links.0.type", "QUANTUM"),
        "links[0].type: Input should be 'MIM', 'MM' or 'MSM'; got 'QUANTUM'",
    ),
    Bad(
        "unknown app",
        _with("traffic.0.app", "chess"),
        (
            "traffic[0].app: Input should be 'pairs', 'qkd', 'teleport', 'tomography' or "
            "'sensing'; got 'chess'"
        ),
    ),
    Bad(
        "wrong type of field",
        _with("traffic.0.pairs", "many"),
        "traffic[0].pairs: Input should be a valid integer; got 'many' (a string)",
    ),
    Bad(
        "unknown field",
        _with("simulation.durration_s", 1.0),
        (
            "simulation.durration_s: unknown field; expected one of backend, duration_s, "
            "generator, jitter, metric, monitor_fraction, monitor_interval_s, seed"
        ),
    ),
    Bad(
        "unknown top-level field",
        {**_base(), "trafic": []},
        (
            "trafic: unknown field; expected one of classical_links, description, links, name, "
            "networks, nodes, qnic, simulation, topology, traffic"
        ),
    ),
    Bad("missing field", _with("links.0", {"a": "a"}), "links[0].b: required, missing"),
    # An unknown field inside a list item, or inside a model inside one, is named with the
    # fields of the model it is in (not the list's owner, not none).
    Bad(
        "unknown field in a link",
        _with("links.0.colour", "red"),
        (
            "links[0].colour: unknown field; expected one of a, b, bright_state_population, "
            "dark_count_probability, detector_efficiency, emission_fidelity, heralding, "
            "length_km, loss_db_per_km, memories, pair_probability, pauli_error_per_km, "
            "source_fidelity, speed_m_per_s, type, visibility"
        ),
    ),
    Bad(
        "unknown field in a node's QNIC",
        _with("nodes.1.qnic", {"t2": 0.1}),
        (
            "nodes[1].qnic.t2: unknown field; expected one of absorption_efficiency, cnot_error, "
            "depolarising_time_s, emission_efficiency, emission_fidelity, emission_interval_s, "
            "frame_correction_gate, memories, memory_noise, readout_error, reinit_s, "
            "single_qubit_error, swap_degradation, swap_success_probability, t1_s, t2_s"
        ),
    ),
    Bad(
        "a null name",
        _with("traffic.0.initiator", None),
        "traffic[0].initiator: Input should be a valid string; got None (null)",
    ),
    # Five bad values: the first and the next three are named, the fifth (visibility) not.
    Bad(
        "five bad values",
        _with(
            "links.0",
            {
                "a": "a",
                "b": "b",
                "length_km": -1,
                "loss_db_per_km": -1,
                "detector_efficiency": 2,
                "dark_count_probability": 2,
                "visibility": 2,
            },
        ),
        (
            "links[0].length_km: Input should be greater than or equal to 0; got -1; "
            "links[0].loss_db_per_km: Input should be greater than or equal to 0; got -1; "
            "links[0].detector_efficiency: Input should be less than or equal to 1; got 2; "
            "links[0].dark_count_probability: Input should be less than or equal to 1; got 2"
        ),
    ),
    # A bad value is shown whole up to 40 characters of its repr, then cut to 37 and "...".
    Bad(
        "a bad value of 40 characters",
        _with("links.0.type", "Q" * 38),
        "links[0].type: Input should be 'MIM', 'MM' or 'MSM'; got '" + "Q" * 38 + "'",
    ),
    Bad(
        "a bad value of 41 characters",
        _with("links.0.type", "Q" * 39),
        "links[0].type: Input should be 'MIM', 'MM' or 'MSM'; got '" + "Q" * 36 + "...",
    ),
    Bad(
        "same initiator and responder",
        _with("traffic.0.responder", "a"),
        "traffic[0]: initiator and responder are both 'a'",
    ),
    Bad(
        "zero memories",
        _with("links.0.memories", 0),
        "links[0].memories: Input should be greater than or equal to 1; got 0",
    ),
    Bad("node listed twice", _with("nodes.2.name", "a"), "nodes[2].name: node 'a' is listed twice"),
    Bad(
        "fidelity out of range",
        _with("traffic.0.fidelity", 1.2),
        "traffic[0].fidelity: Input should be less than or equal to 1; got 1.2",
    ),
    Bad(
        "both topology and links",
        {**_base(), "topology": {"kind": "chain"}},
        "$: give either topology or nodes and links, not both",
    ),
    Bad(
        "unknown topology kind",
        {"topology": {"kind": "torus"}},
        (
            "topology.kind: Input should be 'chain', 'ring', 'grid', 'star', 'dumbbell' or "
            "'random'; got 'torus'"
        ),
    ),
    Bad(
        "bad node name",
        _with("nodes.0.name", "a b"),
        (
            "nodes[0].name: String should match pattern '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$'; "
            "got 'a b'"
        ),
    ),
    Bad("a link to itself", _with("links.0.b", "a"), "links[0]: a link from 'a' to itself"),
    Bad(
        "infinite duration",
        _with("simulation.duration_s", float("inf")),
        "simulation.duration_s: Input should be a finite number; got inf",
    ),
    Bad(
        "negative seed",
        _with("simulation.seed", -1),
        "simulation.seed: Input should be greater than or equal to 0; got -1",
    ),
    Bad(
        "T2 above twice T1",
        {**_base(), "qnic": {"t1_s": 1.0, "t2_s": 3.0}},
        (
            "qnic: QNIC: t2_s=3.0 exceeds 2·t1_s = 2.0; the total coherence time must satisfy 0 "
            "< T2 <= 2·T1"
        ),
    ),
    Bad(
        "a depolarising time under the t1t2 model",
        {**_base(), "qnic": {"depolarising_time_s": 0.5}},
        (
            "qnic: QNIC: depolarising_time_s=0.5 is set, but memory_noise='t1t2'; set "
            "memory_noise='depolarising' to use it"
        ),
    ),
    Bad(
        "T2 under the depolarising model",
        {**_base(), "qnic": {"memory_noise": "depolarising", "t2_s": 0.5}},
        (
            "qnic: QNIC: memory_noise='depolarising' takes depolarising_time_s, but t1_s=inf, "
            "t2_s=0.5; leave both at math.inf"
        ),
    ),
    Bad(
        "an unknown memory noise model",
        {**_base(), "qnic": {"memory_noise": "amplitude"}},
        "qnic.memory_noise: Input should be 't1t2' or 'depolarising'; got 'amplitude'",
    ),
    Bad(
        "a depolarising time of zero",
        {**_base(), "qnic": {"memory_noise": "depolarising", "depolarising_time_s": 0}},
        "qnic.depolarising_time_s: Input should be greater than 0; got 0",
    ),
    Bad(
        "a number for the frame correction gate",
        {**_base(), "qnic": {"frame_correction_gate": 1}},
        "qnic.frame_correction_gate: Input should be a valid boolean; got 1",
    ),
    Bad(
        "a bool for a length",
        _with("links.0.length_km", True),
        "links[0].length_km: Input should be a valid number; got True (a boolean)",
    ),
    Bad(
        "a string for a number",
        _with("links.0.length_km", "5"),
        "links[0].length_km: Input should be a valid number; got '5' (a string)",
    ),
    Bad(
        "a float for a seed",
        _with("simulation.seed", 1.0),
        "simulation.seed: Input should be a valid integer; got 1.0",
    ),
    Bad(
        "a fraction for a count",
        _with("traffic.0.pairs", 2.5),
        "traffic[0].pairs: Input should be a valid integer; got 2.5",
    ),
    Bad(
        "a string for a count",
        _with("traffic.0.pairs", "3"),
        "traffic[0].pairs: Input should be a valid integer; got '3' (a string)",
    ),
    Bad(
        "a bool for a count",
        _with("qnic", {"memories": True}),
        "qnic.memories: Input should be a valid integer; got True (a boolean)",
    ),
    Bad(
        "a number for a name",
        _with("nodes.0.name", 5),
        "nodes[0].name: Input should be a valid string; got 5",
    ),
    Bad(
        "a bool for a choice",
        _with("simulation.backend", True),
        "simulation.backend: Input should be 'bell_diagonal' or 'density_matrix'; got True",
    ),
    Bad(
        "a string for a duration",
        _with("simulation.duration_s", "0.1"),
        "simulation.duration_s: Input should be a valid number; got '0.1' (a string)",
    ),
    Bad(
        "YAML key given twice",
        BASE_YAML + "simulation: {seed: 2}\n",
        "simulation: given twice (lines 17 and 19)",
    ),
    Bad(
        "YAML nested key given twice",
        BASE_YAML.replace("- a: a\n  b: b\n", "- a: a\n  b: b\n  length_km: 5\n  length_km: 50\n"),
        "links[0].length_km: given twice (lines 11 and 12)",
    ),
    Bad(
        "JSON key given twice",
        json.dumps(_base())[:-1] + ', "simulation": {"seed": 2}}',
        "simulation: given twice",
        ".json",
    ),
    Bad(
        "TOML key given twice",
        'name = "x"\nname = "y"\n',
        "$: not valid TOML: Cannot overwrite a value (at line 2, column 11)",
        ".toml",
    ),
    Bad(
        "two links between the same nodes",
        {**_base(), "links": [*_base()["links"], {"a": "b", "b": "a", "type": "MM"}]},
        (
            "links[2]: a second link between 'b' and 'a' (links[0] joins them already); two "
            "nodes share at most one quantum link"
        ),
    ),
    Bad(
        "a binary file",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "$: a binary file, not YAML text (a zero byte at offset 8)",
    ),
    Bad(
        "not UTF-8",
        "name: caf\xe9\n".encode("latin-1"),
        "$: not UTF-8 text: byte 0xe9 at offset 9; save the file as UTF-8",
    ),
    Bad("an empty file", "", "$: the file is empty; a scenario is a mapping (qrna schema)"),
    Bad(
        "an impossible date",
        BASE_YAML + "description: 2024-13-01\n",
        "$: not valid YAML: month must be in 1..12",
    ),
    Bad("not a mapping", "- just\n- a list\n", "$: expected a mapping at the top, got list"),
    Bad(
        "broken YAML",
        "nodes: [a, b\n",
        (
            "$: not valid YAML: line 2, column 1: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence)"
        ),
    ),
    Bad(
        "broken YAML, no context",
        "name: a: b\n",
        "$: not valid YAML: line 1, column 8: mapping values are not allowed here",
    ),
    # The duplicate-key check visits a node reached twice (an alias) once: the scan goes on
    # past it, and a node that holds itself does not send it round for ever.
    Bad(
        "a key given twice beside an alias",
        "d: {k: 1, k: 2}\na: &x {k: 1}\nb: *x\n",
        "d.k: given twice (lines 1 and 1)",
    ),
    Bad(
        "a list that holds itself",
        BASE_YAML + "description: &x [*x]\n",
        "description: Input should be a valid string",
    ),
    # Keys that are not scalars are told apart (by node), so YAML itself refuses them.
    Bad(
        "two list keys",
        "? [a]\n: 1\n? [b]\n: 2\n",
        "$: not valid YAML: line 1, column 3: found unhashable key (while constructing a mapping)",
    ),
    Bad(
        "a JSON key given twice, two levels down",
        '{"topology": {"kind": "chain", "link": {"type": "MM", "type": "MIM"}}}',
        "topology.link.type: given twice",
        suffix=".json",
    ),
    Bad(
        "broken JSON",
        '{"nodes": [}',
        "$: not valid JSON: Expecting value: line 1 column 12 (char 11)",
        ".json",
    ),
    Bad(
        "JSON nested too deeply",
        "[" * 100_000 + "]" * 100_000,
        "$: not valid JSON: nested too deeply",
        ".json",
    ),
    Bad(
        "a --set of a whole list item",
        BASE_YAML,
        "links[1].b: unknown node 'zz'; nodes: a, b, c",
        args=("--set", "links.1={a: b, b: zz}"),
    ),
    Bad(
        "traffic starting at the end",
        _with("traffic.0.start_s", 0.01),
        (
            "traffic[0].start_s: 0.01 s is not before the end of the run (simulation.duration_s "
            "= 0.01 s)"
        ),
    ),
    Bad(
        "traffic starting after the end",
        _with("traffic.0.start_s", 5),
        "traffic[0].start_s: 5 s is not before the end of the run (simulation.duration_s = 0.01 s)",
    ),
    Bad(
        "unknown generator module",
        _with("simulation.generator", "nowhere:gen"),
        (
            "simulation.generator: generator 'nowhere:gen' is neither built in (default) nor "
            "registered by an installed package (entry point group 'qrna.generators'); importing "
            "module 'nowhere' would run code the scenario names: allow it with --allow-plugin "
            "(qrna run, qrna validate) or allow_plugins=True"
        ),
    ),
    Bad(
        "a generator that runs a shell",
        _with("simulation.generator", "os:system"),
        (
            "simulation.generator: generator 'os:system' is neither built in (default) nor "
            "registered by an installed package (entry point group 'qrna.generators'); importing "
            "module 'os' would run code the scenario names: allow it with --allow-plugin (qrna "
            "run, qrna validate) or allow_plugins=True"
        ),
    ),
    Bad(
        "a generator that is not callable",
        _with("simulation.generator", "qrna.control:CONTROL_VERSION"),
        (
            "simulation.generator: generator 'qrna.control:CONTROL_VERSION' is not callable (a "
            "value of type int); a generator is a function of one ConnectionSetupRequest "
            "returning Accepted or Rejected"
        ),
        args=("--allow-plugin",),
    ),
    Bad(
        "a generator that is a class",
        _with("simulation.generator", "qrna.control:Network"),
        (
            "simulation.generator: generator 'qrna.control:Network' is a class (Network), not a "
            "generator; a generator is a function of one ConnectionSetupRequest returning "
            "Accepted or Rejected"
        ),
        args=("--allow-plugin",),
    ),
    Bad(
        "a generator of the wrong shape",
        _with("simulation.generator", "qrna.cli:main"),
        (
            "simulation.generator: generator 'qrna.cli:main' takes (), not one argument; a "
            "generator is a function of one ConnectionSetupRequest returning Accepted or Rejected"
        ),
        args=("--allow-plugin",),
    ),
    Bad(
        "a generator that is missing",
        _with("simulation.generator", "qrna.control:nothing"),
        (
            "simulation.generator: generator 'qrna.control:nothing' cannot be loaded: module "
            "'qrna.control' has no attribute 'nothing'"
        ),
        args=("--allow-plugin",),
    ),
    Bad(
        "an unknown generator name",
        _with("simulation.generator", "fastest"),
        (
            "simulation.generator: generator 'fastest' is not a generator name (default) nor a "
            "dotted path 'module:attribute'"
        ),
    ),
    Bad(
        "a generator path with spaces",
        _with("simulation.generator", "my module:gen"),
        (
            "simulation.generator: String should match pattern "
            "'^[A-Za-z_][\\w.-]*(:[A-Za-z_]\\w*)?$'; got 'my module:gen'"
        ),
    ),
    Bad(
        "--set with no value",
        BASE_YAML,
        (
            "--set: 'traffic.0.pairs=': no value after '='; write traffic.0.pairs=null to clear "
            "the field"
        ),
        args=("--set", "traffic.0.pairs="),
    ),
    Bad(
        "--set an unknown field",
        BASE_YAML,
        (
            "simulation.sed: unknown field; expected one of backend, duration_s, generator, "
            "jitter, metric, monitor_fraction, monitor_interval_s, seed"
        ),
        args=("--set", "simulation.sed=3"),
    ),
    Bad(
        "--set a missing item",
        BASE_YAML,
        "traffic.3: no item 3 (the list has 1)",
        args=("--set", "traffic.3.pairs=3"),
    ),
    Bad(
        "--set a bad index",
        BASE_YAML,
        "traffic.x: no item x (the list has 1)",
        args=("--set", "traffic.x.pairs=3"),
    ),
    Bad(
        "--set an item one past the end",
        BASE_YAML,
        "traffic.1: no item 1 (the list has 1)",
        args=("--set", "traffic.1.pairs=3"),
    ),
    Bad(
        "--set bad YAML",
        BASE_YAML,
        (
            "--set: 'simulation.seed=[1,': the value is not valid YAML: line 1, column 4: "
            "expected the node content, but found '<stream end>' (while parsing a flow node)"
        ),
        args=("--set", "simulation.seed=[1,"),
    ),
    Bad(
        "--set a float seed",
        BASE_YAML,
        "simulation.seed: Input should be a valid integer; got 1.0",
        args=("--set", "simulation.seed=1.0"),
    ),
    Bad(
        "--set without =",
        BASE_YAML,
        "--set: 'simulation.seed' is not path=value",
        args=("--set", "simulation.seed"),
    ),
    Bad(
        "--set an empty path part",
        BASE_YAML,
        "--set: 'simulation..seed=1': the path 'simulation..seed' has an empty part",
        args=("--set", "simulation..seed=1"),
    ),
    Bad(
        "--set inside a value",
        BASE_YAML,
        "traffic.0.pairs.x: cannot set a field inside a value",
        args=("--set", "traffic.0.pairs.x=1"),
    ),
    Bad(
        "--set a key twice",
        BASE_YAML,
        "--set: 'simulation={seed: 1, seed: 2}': seed: given twice (lines 1 and 1)",
        args=("--set", "simulation={seed: 1, seed: 2}"),
    ),
    Bad(
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
    Bad(
        "unknown traffic node",
        _with("traffic.0.responder", "zz"),
        "traffic[0].responder: unknown node 'zz'; nodes: a, b, c",
    ),
    Bad(
        "REP1 with three links",
        {
            **_base(),
            "nodes": [*_base()["nodes"], {"name": "d", "type": "COMP"}],
            "links": [*_base()["links"], {"a": "b", "b": "d"}],
        },
        (
            "nodes[1].type: node 'b': a REP1 has two interfaces: two QNICs, or one QNIC behind a "
            "two-port switch (spec Fig. 2); got 3 QNIC(s) and switch=None"
        ),
    ),
    Bad(
        "tomography at a MEAS end",
        {
            **_base(),
            "nodes": [{"name": "a", "type": "MEAS"}, *_base()["nodes"][1:]],
            "links": [{"a": "a", "b": "b", "type": "MSM"}, {"a": "b", "b": "c"}],
            "traffic": [{"initiator": "a", "responder": "c", "app": "tomography", "pairs": 5}],
        },
        (
            "traffic[0].app: 'tomography' needs memories at both ends, but 'a' is a MEAS node "
            "(it measures on arrival); MEAS ends run 'qkd' or 'pairs'"
        ),
    ),
    Bad(
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
    Bad(
        "classical network does not reach a link's end",
        {
            **_base(),
            "classical_links": [
                {"a": "a", "b": "b", "delay_s": 0.001},
                {"a": "c", "b": "c", "delay_s": 0.001},
            ],
        },
        (
            "classical_links: classical network: no route between 'b' and 'c', the ends of a "
            "quantum link"
        ),
    ),
    Bad(
        "random graph that cannot connect",
        {
            "topology": {"kind": "random", "nodes": 40, "degree": 0.5},
            "traffic": [{"initiator": "r0", "responder": "r1", "pairs": 5}],
        },
        (
            "topology.degree: no connected random graph of 40 nodes with about 0.5 links per "
            "node in 200 draws; raise the degree (at least ln(n) ≈ 3.7 connects most graphs)"
        ),
    ),
    Bad(
        "a node without a link",
        {**_base(), "nodes": [*_base()["nodes"], {"name": "d", "type": "COMP"}]},
        "nodes[3]: node 'd' has no link",
    ),
    Bad(
        "a classical link to an unknown node",
        {**_base(), "classical_links": [{"a": "a", "b": "zz", "delay_s": 0.001}]},
        "classical_links[0].b: unknown node 'zz'",
    ),
    Bad(
        "single-click heralding on a link without a midpoint station",
        _with("links.0", {"a": "a", "b": "b", "type": "MM", "heralding": "single_click"}),
        "links[0]: link a~b: single_click heralding needs a MIM link",
    ),
    Bad(
        "a demand of both a number of pairs and a duration",
        _with("traffic.0.duration_s", 0.001),
        "traffic[0]: give pairs or duration_s, not both",
    ),
    Bad(
        "no links, no topology, no networks",
        {k: v for k, v in _base().items() if k not in ("nodes", "links")},
        "$: a scenario needs links (or a topology, or networks)",
    ),
    Bad(
        "more memories than a QNIC has",
        _with("traffic.0.memories", 50),
        "traffic[0].memories: 50 memories per QNIC asked, but 'a' has at most 8",
    ),
]


def _write(tmp_path: Path, case: Bad) -> Path:
    path = tmp_path / (case.name.replace(" ", "_").replace("'", "") + case.suffix)
    if isinstance(case.content, dict):
        path.write_text(yaml.safe_dump(case.content, sort_keys=False))
    elif isinstance(case.content, str):
        path.write_text(case.content, encoding="utf-8")
    else:
        path.write_bytes(case.content)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_input_is_one_clear_message(tmp_path: Path, command: str, case: Bad) -> None:
    path = _write(tmp_path, case)
    args = [command, str(path), *case.args]
    if command == "run":
        args += ["--no-files", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {path}: {case.message}\n"
    assert result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_load_scenario_names_the_file_in_every_error_it_raises(tmp_path: Path, case: Bad) -> None:
    """The API gives the message the CLI prints, the file included (the CLI adds the source
    only to an error that names no file, so it cannot show a file left out); a case the
    reader accepts is refused with the same message when its network is built."""
    from qrna.scenario import ScenarioError, build_network, check_traffic, load_scenario

    path = _write(tmp_path, case)
    overrides = [case.args[1]] if case.args[:1] == ("--set",) else []
    allow = "--allow-plugin" in case.args
    refused: ScenarioError | None = None
    try:
        scenario = load_scenario(path, overrides)
    except ScenarioError as exc:
        refused = exc
    if refused is not None:
        assert refused.file == str(path)
        assert str(refused) == f"{path}: {case.message}"
        return

    def build() -> None:
        check_traffic(scenario, build_network(scenario, allow_plugins=allow))

    with pytest.raises(ScenarioError) as built:  # accepted by the reader, refused here
        build()
    assert str(built.value) == case.message


def test_the_table_covers_forty_kinds_of_bad_input() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    kinds = {
        "coercion": [c for c in CASES if c.name.startswith(("a bool", "a string", "a float"))],
        "duplicates": [c for c in CASES if "twice" in c.message],
        "bytes": [c for c in CASES if isinstance(c.content, bytes)],
        "plugins": [c for c in CASES if c.message.startswith("simulation.generator")],
        "--set": [c for c in CASES if c.args],
    }
    assert {k: len(v) >= 2 for k, v in kinds.items()} == dict.fromkeys(kinds, True)


def test_missing_file_and_unknown_preset_and_bad_override(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "nosuch"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: nosuch: $: no such file, and not a preset; presets: "
        "chain, internet, metro, random\n"
    )
    result = runner.invoke(app, ["validate", "chain", "--set", "topology.nodes=1"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: chain: topology.nodes: Input should be greater than or equal to 2; got 1\n"
    )
    result = runner.invoke(app, ["validate", "chain", "--set", "traffic.0.pairs="])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: chain: --set: 'traffic.0.pairs=': no value after '='; write "
        "traffic.0.pairs=null to clear the field\n"
    )
    path = tmp_path / "s.ini"
    path.write_text("x")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: $: unknown file type '.ini'; expected .yaml, .yml, .toml or .json\n"
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown file type ''" in result.stderr
    folder = tmp_path / "d.yaml"
    folder.mkdir()
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {folder}: $: cannot read it: Is a directory\n"


def test_the_api_error_names_the_file(tmp_path: Path) -> None:
    """``load_scenario(path)`` raises a ScenarioError whose ``file`` is the path and whose
    text starts with it, for a key given twice, a bad value and a bad override alike (the CLI
    adds the source only to errors that name no file)."""
    from qrna.scenario import ScenarioError, load_scenario

    twice = tmp_path / "twice.yaml"
    twice.write_text("name: a\nname: b\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_with("links.0.length_km", -3)))
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    ini = tmp_path / "s.ini"
    ini.write_text("x")
    cases = [
        (folder, (), "$: cannot read it: Is a directory"),
        (ini, (), "$: unknown file type '.ini'; expected .yaml, .yml, .toml or .json"),
        (twice, (), "name: given twice (lines 1 and 2)"),
        (bad, (), "links[0].length_km: Input should be greater than or equal to 0; got -3"),
        (
            tmp_path / "good.yaml",
            ("x=",),
            "--set: 'x=': no value after '='; write x=null to clear the field",
        ),
    ]
    (tmp_path / "good.yaml").write_text(BASE_YAML)
    for path, overrides, message in cases:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path, overrides)
        assert caught.value.file == str(path)
        assert str(caught.value) == f"{path}: {message}"


def test_a_scenario_error_reads_and_pickles_whole() -> None:
    """Its text, repr and fields, and the same after a pickle round trip (what a worker
    process sends back): pickling once failed, re-calling the constructor with the text."""
    import pickle

    from qrna.scenario import ScenarioError

    err = ScenarioError("links[0].a", "unknown node 'zz'", "net.yaml")
    for e in (err, pickle.loads(pickle.dumps(err))):
        assert type(e) is ScenarioError
        assert str(e) == "net.yaml: links[0].a: unknown node 'zz'"
        assert repr(e) == "ScenarioError(\"net.yaml: links[0].a: unknown node 'zz'\")"
        assert (e.path, e.message, e.file) == ("links[0].a", "unknown node 'zz'", "net.yaml")
    assert str(ScenarioError("$", "empty")) == "$: empty"


def test_out_that_cannot_be_a_folder_is_input_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    small = ["--set", "traffic.0.pairs=2", "--format", "json"]
    # Checked before the simulation starts, so nothing ran and nothing was created.
    for out, why in [
        ("afile/sub", f"{tmp_path / 'afile'} is a file, not a folder"),
        ("afile", "exists and is not a folder"),
    ]:
        target = tmp_path / out
        result = runner.invoke(app, ["run", "chain", *small, "--out", str(target)])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: --out {target}"), result.stderr
        assert result.stderr.endswith(f"{why}\n"), result.stderr
        assert result.stdout == ""
        assert "Traceback" not in result.output


def test_bad_options_are_usage_errors_not_faults() -> None:
    for args in (
        ["run", "chain", "--seed", "-1"],
        ["links", "--duration", "0"],
        ["links", "--duration", "inf"],
        ["links", "--monitor", "1"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Invalid value for '--" in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


def test_verify_input_errors_name_the_file_and_field(tmp_path: Path) -> None:
    from qrna.rules import chain_rulesets, ruleset_to_dict

    def rulesets(connection: str) -> list[dict[str, Any]]:
        return [ruleset_to_dict(r) for r in chain_rulesets(connection, ["a", "b"]).values()]

    cases = {
        "latin1.json": ("caf\xe9".encode("latin-1"), "not UTF-8 text: a bad byte at offset 3"),
        "two.json": (
            json.dumps(rulesets("c1") + rulesets("c2")).encode(),
            "$.rulesets: expected the RuleSets of one connection; got ['c1', 'c2']",
        ),
        "latency.json": (
            json.dumps(
                {"rulesets": rulesets("c1"), "latencies_s": [{"a": "a", "b": "b", "seconds": "1"}]}
            ).encode(),
            '$.latencies_s[0]: expected {"a": node, "b": node, "seconds": a number >= 0}; got '
            "{'a': 'a', 'b': 'b', 'seconds': '1'}",
        ),
        "chain.json": (
            json.dumps({"rulesets": rulesets("c1"), "chain": ["a", "zz"]}).encode(),
            "$.chain: expected the RuleSets' nodes in chain order: ['a', 'b']",
        ),
        "empty.json": (
            b"{}",
            "$: expected an array of RuleSets or an object with a 'rulesets' array",
        ),
        # Each of these once escaped as "internal error: TypeError", exit 3.
        "latencies-5.json": (
            json.dumps({"rulesets": rulesets("c1"), "latencies_s": 5}).encode(),
            '$.latencies_s: expected a list of {"a": node, "b": node, "seconds": a number >= 0}; '
            "got 5",
        ),
        "latencies-null.json": (
            json.dumps({"rulesets": rulesets("c1"), "latencies_s": None}).encode(),
            '$.latencies_s: expected a list of {"a": node, "b": node, "seconds": a number >= 0}; '
            "got None",
        ),
        "latency-nan.json": (
            b'{"rulesets": ' + json.dumps(rulesets("c1")).encode() + b', "latencies_s": '
            b'[{"a": "a", "b": "b", "seconds": 1e-5}, {"a": "a", "b": "b", "seconds": NaN}]}',
            '$.latencies_s[1]: expected {"a": node, "b": node, "seconds": a number >= 0}; got '
            "{'a': 'a', 'b': 'b', 'seconds': nan}",
        ),
        "latency-extra.json": (
            json.dumps(
                {"rulesets": rulesets("c1"), "latencies_s": [{"a": "a", "b": 1, "seconds": 1}]}
            ).encode(),
            '$.latencies_s[0]: expected {"a": node, "b": node, "seconds": a number >= 0}; got '
            "{'a': 'a', 'b': 1, 'seconds': 1}",
        ),
        "latency-node.json": (
            json.dumps(
                {"rulesets": rulesets("c1"), "latencies_s": [{"a": "a", "b": "zz", "seconds": 1}]}
            ).encode(),
            "$.latencies_s[0].b: unknown node 'zz'; the RuleSets' nodes: a, b",
        ),
        "chain-string.json": (
            json.dumps({"rulesets": rulesets("c1"), "chain": "ab"}).encode(),
            "$.chain: expected a list of node names; got 'ab'",
        ),
        "chain-number.json": (
            json.dumps({"rulesets": rulesets("c1"), "chain": ["a", 2]}).encode(),
            "$.chain[1]: expected a node name (a string); got 2",
        ),
        "unknown-key.json": (
            json.dumps({"rulesets": rulesets("c1"), "latency_s": []}).encode(),
            "$: unknown key 'latency_s'; expected 'rulesets', 'latencies_s', 'chain' and 'below'",
        ),
        "below-not-a-list.json": (
            json.dumps({"rulesets": rulesets("c1"), "below": {"x": 1}}).encode(),
            "$.below: expected a list of arrays of RuleSets; got {'x': 1}",
        ),
        "below-two-connections.json": (
            json.dumps(
                {"rulesets": rulesets("c1"), "below": [rulesets("c2")[:1] + rulesets("c3")[1:]]}
            ).encode(),
            "$.below[0]: expected the RuleSets of one connection; got ['c2', 'c3']",
        ),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = runner.invoke(app, ["verify", str(path)])
        assert result.exit_code == 2, (name, result.output)
        assert result.stderr == f"error: {path}: {message}\n"


def test_an_unnamed_connection_takes_c_and_its_position_and_a_clash_is_named() -> None:
    """Traffic without a name is c1, c2, … by position (from 1): the second entry, unnamed,
    is c2 and clashes with a first entry named "c2"; named "c1" it clashes with the first,
    unnamed."""
    from qrna.scenario import ScenarioError, build_network, load_scenario
    from qrna.scenario._run import check_traffic

    for first, second in (("c2", None), (None, "c1")):
        data = _base()
        entries = [dict(data["traffic"][0]), {"initiator": "c", "responder": "a", "pairs": 5}]
        for entry, name in zip(entries, (first, second), strict=True):
            if name is not None:
                entry["name"] = name
        data["traffic"] = entries
        s = load_scenario(data)
        with pytest.raises(ScenarioError) as err:
            check_traffic(s, build_network(s))
        clash = first or second
        assert (err.value.path, err.value.message) == (
            "traffic[1].name",
            f"connection name {clash!r} is used twice",
        )
