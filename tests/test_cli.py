"""The ``qrna`` command answers --help and --version from day one."""

from __future__ import annotations

import subprocess
import sys

import pytest
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


@pytest.mark.subprocess
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


@pytest.mark.subprocess
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
    units = {
        "_db_per_km": "(dB/km)",
        "_per_km": "per km",
        "_km": "(km)",
        "_m_per_s": "(m/s",
        "_s": "(s",
    }
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


def test_the_readme_networks_scenario_runs_across_its_networks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from qrna.scenario import load_scenario, run

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    (block,) = [b.split("```", 1)[0] for b in readme.split("```yaml\n")[1:] if "networks:" in b]
    path = tmp_path / "networks.yaml"
    path.write_text(block)
    summary = run(load_scenario(path)).summary
    (conn,) = summary["connections"]
    assert conn["status"] == "done"
    assert conn["pairs_delivered"] == 50
    assert conn["path"][0] == "alice"
    assert conn["path"][-1] == "isp2.metro.e2"
    assert conn["path"][1:3] == ["isp1.r1", "isp1.r2"]
    assert conn["fidelity_ci"][0] >= 0.7


def test_verify_names_a_missing_file_and_bad_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nosuch.json"
    result = runner.invoke(app, ["verify", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {missing}: cannot read it: No such file or directory\n"
    bad = tmp_path / "bad.json"
    bad.write_text('{"rulesets": [}')
    result = runner.invoke(app, ["verify", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {bad}: not valid JSON: Expecting value: line 1 column 15 (char 14)\n"
    )


def test_a_fault_with_nowhere_to_write_its_log_prints_the_traceback(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch
) -> None:
    """Neither the current nor the temporary folder takes the log: the traceback goes to
    stderr, and the one line says so."""
    import pathlib

    import qrna.scenario

    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(qrna.scenario, "check_traffic", _planted)
    monkeypatch.setattr(pathlib.Path, "write_text", refuse)
    result = runner.invoke(app, ["validate", "chain"])
    assert result.exit_code == 3
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.endswith(
        "— a fault in qrna, not in your input; to reproduce: qrna validate chain; the "
        "traceback is above (no log file could be written)\n"
    )
    assert "raise ControlError(\"connection 'c1' is not installed at 'alice'\")" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_writing_warns_once_then_aborts(capsys) -> None:  # type: ignore[no-untyped-def]
    """While results are written, a first SIGINT or SIGTERM only warns; the next one raises
    KeyboardInterrupt; one that already stopped the run counts as the first. The handlers in
    place before are back afterwards."""
    import signal

    from qrna.cli import _sigint_while_writing

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with _sigint_while_writing(False):
        signal.raise_signal(signal.SIGTERM)
        assert capsys.readouterr().err == "writing the results; Ctrl-C again aborts\n"
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    with _sigint_while_writing(True), pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    assert capsys.readouterr().err == ""
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_signal_handlers_are_left_alone_off_the_main_thread() -> None:
    """Only the main thread may install signal handlers: elsewhere (``qrna run`` called from
    a worker thread) the block runs with the handlers as they were."""
    import signal
    import threading

    from qrna.cli import _sigterm_as_ctrl_c

    seen = []

    def work() -> None:
        with _sigterm_as_ctrl_c():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [before]
    with _sigterm_as_ctrl_c():
        assert signal.getsignal(signal.SIGTERM) is not before  # the main thread does install
    assert signal.getsignal(signal.SIGTERM) is before
