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
    assert "[discard-race] b: rule 'discard-a'" in result.stdout
    assert "[discard-order] a: discards pairs with 'b'" in result.stdout
    assert "too late" in result.stdout

    bad = tmp_path / "bad.json"
    bad.write_text('{"rulesets": [{"version": 1}]}')
    result = runner.invoke(app, ["verify", str(bad)])
    assert result.exit_code == 2
    assert "$.rulesets[0]: missing field(s)" in result.output
