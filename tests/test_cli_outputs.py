"""The text output of ``qrna presets`` and ``qrna links``: what they print is what the data
says (the presets' own descriptions; the same figures as ``--format json`` for the same seed)."""

from __future__ import annotations

import json

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
