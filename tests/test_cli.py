"""The ``qrna`` command answers --help and --version from day one."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

import qrna
from qrna.cli import app

runner = CliRunner()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"qrna {qrna.__version__}"


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout
    assert "--version" in result.stdout


def test_console_script_runs_as_a_module() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from qrna.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"qrna {qrna.__version__}"


def test_verify_command_exit_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from qrna.rules import chain_rulesets, ruleset_to_dict

    ok = tmp_path / "ok.json"
    ok.write_text(
        json.dumps([ruleset_to_dict(r) for r in chain_rulesets("c1", ["a", "b", "c"]).values()])
    )
    result = runner.invoke(app, ["verify", str(ok)])
    assert result.exit_code == 0
    assert "OK: 3 RuleSets of connection 'c1', no violation" in result.stdout

    racy = tmp_path / "racy.json"
    racy.write_text(
        json.dumps(
            {
                "rulesets": [
                    ruleset_to_dict(r)
                    for r in chain_rulesets("c1", ["a", "b", "c"], discard_after_s=1e-5).values()
                ],
                "latencies_s": [{"a": "a", "b": "b", "seconds": 2.4e-5}],
            }
        )
    )
    result = runner.invoke(app, ["verify", str(racy), "--no-explore"])
    assert result.exit_code == 1
    # b (the swapper) waits 10 µs, less than the 24 µs latency; a (an end) waits 10 µs more,
    # less than b's timer plus twice the latency.
    assert "[discard-race] b: rule 'discard' (Stage 0) discards a pair with 'a'" in result.stdout
    assert "[discard-order] a: discards pairs with 'b'" in result.stdout
    assert "too late" in result.stdout

    bad = tmp_path / "bad.json"
    bad.write_text('{"rulesets": [{"version": 1}]}')
    result = runner.invoke(app, ["verify", str(bad)])
    assert result.exit_code == 2
    assert "$.rulesets[0]: missing field(s)" in result.output


# -- exit code 3: faults inside qrna -----------------------------------------------------------


def _planted(*args: object, **kwargs: object) -> None:
    from qrna.control import ControlError

    # The fault issue 10 saw: a QrnaError raised mid-run, which once came out as exit 2.
    raise ControlError("connection 'c1' is not installed at 'alice'")


def test_a_fault_mid_run_is_exit_3_with_what_reproduces_it(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from qrna.control import Network

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Network, "run", _planted)
    result = runner.invoke(
        app, ["run", "chain", "--set", "traffic.0.pairs=3", "--no-files", "--format", "json"]
    )
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    [log] = list(tmp_path.glob("qrna-internal-error-*.log"))
    assert result.stderr == (
        "internal error: ControlError: connection 'c1' is not installed at 'alice' — a fault in "
        "qrna, not in your input; to reproduce: qrna run chain --seed 1 --set "
        f"traffic.0.pairs=3; traceback in {log.name} (or rerun with --debug)\n"
    )
    text = log.read_text()
    assert "command: qrna run chain --seed 1 --set traffic.0.pairs=3\n" in text
    assert "Traceback (most recent call last):" in text
    assert "raise ControlError(\"connection 'c1' is not installed at 'alice'\")" in text
    scenario = text[text.index("{") : text.index("\nTraceback")]
    assert json.loads(scenario)["traffic"][0]["pairs"] == 3  # the scenario as run

    # --debug: the traceback on stderr, no log file; --seed is kept as given.
    log.unlink()
    result = runner.invoke(app, ["run", "chain", "--seed", "7", "--debug", "--no-files"])
    assert result.exit_code == 3
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.endswith("to reproduce: qrna run chain --seed 7; the traceback is above\n")
    assert list(tmp_path.glob("*.log")) == []


def test_every_command_maps_a_fault_to_exit_3(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    import qrna.cli
    import qrna.scenario
    from qrna.rules import chain_rulesets, ruleset_to_dict

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(qrna.scenario, "check_traffic", _planted)
    monkeypatch.setattr(qrna.cli, "verify", _planted)
    monkeypatch.setattr(qrna.cli.LinkSimulation, "run", _planted)
    ok = tmp_path / "ok.json"
    ok.write_text(
        json.dumps([ruleset_to_dict(r) for r in chain_rulesets("c1", ["a", "b"]).values()])
    )
    for args, rerun in [
        (["validate", "metro"], "qrna validate metro"),
        (["verify", str(ok)], f"qrna verify {ok}"),
        (
            ["links", "--duration", "0.01"],
            "qrna links --seed 1 --duration 0.01 --backend bell_diagonal --monitor 0.05",
        ),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 3, (args, result.output)
        assert result.stderr.startswith("internal error: ControlError: connection 'c1'"), args
        assert f"to reproduce: {rerun}; traceback in qrna-internal-error-" in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert len(list(tmp_path.glob("qrna-internal-error-*.log"))) >= 1


def test_internal_error_in_a_real_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The console script's own process: exit status 3, one line, the log on disk."""
    planted = (
        "import sys\n"
        "from qrna.control import Network\n"
        "def boom(self, *a, **k):\n"
        "    raise RuntimeError('planted fault')\n"
        "Network.run = boom\n"
        "from qrna.cli import main\n"
        "sys.argv = ['qrna', *sys.argv[1:]]\n"
        "main()\n"
    )
    args = ["run", "chain", "--set", "traffic.0.pairs=2", "--no-files", "--format", "json"]
    out = subprocess.run(
        [sys.executable, "-c", planted, *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 3, out.stderr
    assert out.stdout == ""
    [line] = out.stderr.splitlines()
    assert line.startswith("internal error: RuntimeError: planted fault — a fault in qrna")
    [log] = list(tmp_path.glob("qrna-internal-error-*.log"))
    assert line.endswith(f"traceback in {log.name} (or rerun with --debug)")
    assert "in boom\nRuntimeError: planted fault\n" in log.read_text()
    out = subprocess.run(
        [sys.executable, "-c", planted, *args, "--debug"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 3
    assert "Traceback (most recent call last):" in out.stderr
    assert "RuntimeError: planted fault\n" in out.stderr


# -- qrna schema -----------------------------------------------------------------------------


def test_schema_describes_every_field_with_its_unit() -> None:
    import json

    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    models = {"Scenario": schema, **schema["$defs"]}
    fields = 0
    # The unit a field's name promises is in its description.
    units = {"_db_per_km": "(dB/km)", "_km": "(km)", "_s": "(s"}
    for model, body in models.items():
        assert body.get("description"), f"{model} has no description"
        for name, prop in body["properties"].items():
            fields += 1
            assert prop.get("description", "").strip(), f"{model}.{name} has no description"
            unit = next((u for suffix, u in units.items() if name.endswith(suffix)), "")
            assert unit in prop["description"], f"{model}.{name}: no unit {unit}"
    assert fields >= 60


def test_the_readme_scenario_is_valid(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "line.yaml"
    path.write_text(block)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"OK: {path}: scenario 'line'\n"
