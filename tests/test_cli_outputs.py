"""The text output of ``qrna presets`` and ``qrna links``: what they print is what the data
says (the presets' own descriptions; the same figures as ``--format json`` for the same seed)."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from qrna.cli import app
from qrna.scenario import DEFAULT_PRESET, PRESETS

runner = CliRunner()


def test_presets_lists_each_preset_with_its_description() -> None:
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{name}{' (default)' if name == DEFAULT_PRESET else ''}: {data['description']}"
        for name, data in PRESETS.items()
    ]
    assert DEFAULT_PRESET == "metro"


def test_links_table_shows_the_figures_of_its_json_form() -> None:
    args = ["links", "--duration", "0.05", "--seed", "2"]
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-1] == f"{data['events']} events in " + lines[-1].split(" events in ")[1]
    assert len(data["links"]) == 4
    for link in data["links"]:
        row = next(
            line
            for line in lines
            if "~".join(link["endpoints"]) in line
            and (("1-click" in line) == (link["heralding"] == "single_click"))
        )
        cells = [c.strip() for c in row.split("│") if c.strip()]
        lo, hi = link["monitored_fidelity_ci"]
        est = link["monitored_fidelity"]
        assert cells[2:] == [
            f"{link['length_km']:g}",
            f"{link['success_probability']:.4f}",
            str(link["pairs_generated"]),
            f"{link['rate_hz']:.0f} ({link['analytic_rate_hz']:.0f})",
            f"{link['fidelity_mean']:.3f}",
            "–" if est is None else f"{est:.3f} ({lo:.2f}–{hi:.2f})",
        ]
        assert link["pairs_generated"] > 0
        if est is not None:  # null (never NaN) when monitoring measured nothing yet
            assert 0.0 <= lo <= est <= hi <= 1.0


def test_help_lists_every_command_with_its_summary() -> None:
    """Each command has a test of its output: links and presets here, run in
    test_cli_table.py, verify, schema and validate in test_cli.py. A new command fails this
    test until it is added to the list (and given one)."""
    tested = ["links", "verify", "run", "presets", "schema", "validate"]
    assert [c.name or c.callback.__name__ for c in app.registered_commands] == tested  # type: ignore[union-attr]
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    rows = [line.strip("│ ").split(maxsplit=1) for line in result.stdout.splitlines()]
    listed = {r[0]: r[1] for r in rows if len(r) == 2 and r[0] in tested}
    assert list(listed) == tested
    assert listed["presets"] == "List the built-in scenarios."
    assert listed["schema"] == "Print the JSON Schema of scenario files."
    assert listed["verify"] == "Check one connection's RuleSets statically (spec §6)."
    assert listed["run"].startswith("Run a scenario (default: the built-in metropolitan")


def test_run_on_a_terminal_shows_progress_then_the_same_table() -> None:
    """On a terminal (forced here) ``qrna run`` draws a progress bar on stderr, whose last
    update reads the whole duration simulated, and erases it; the table is the one printed
    without a terminal (the wall-time line aside)."""
    ansi = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
    args = ["run", "chain", "--no-files", "--set", "traffic.0.pairs=50"]
    plain = runner.invoke(app, args, env={"COLUMNS": "100"})
    shown = runner.invoke(app, args, env={"COLUMNS": "100", "FORCE_COLOR": "1"})
    assert (plain.exit_code, shown.exit_code) == (0, 0)
    assert plain.stderr == ""
    bar = ansi.sub("", shown.stderr)
    last = bar.split("\r")[-2].strip()
    assert re.fullmatch(r"chain ━+ 0\.1 s simulated, \d+\.\d s wall, [\d,]+ events/s", last), bar
    assert shown.stderr.endswith("\x1b[1A\x1b[2K")  # transient: the line is cleared
    table = ansi.sub("", shown.stdout).splitlines()
    assert table[:-1] == plain.stdout.splitlines()[:-1]
    assert table[-1].endswith(" s wall time")
