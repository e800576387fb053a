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
