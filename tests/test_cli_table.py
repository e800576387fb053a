"""`qrna run`'s summary table fits 80 columns and keeps its key figures whole: connection
id, status, pairs, rate with its interval, fidelity and target."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qrna.cli import app
from qrna.report._table import _path_texts, _rate_text
from qrna.report._table import print_summary as _print_summary

runner = CliRunner()
GOLDEN = Path(__file__).parent / "scenario" / "golden_metro.json"
NAMES = [
    "frankfurt-exchange-1",
    "mainz-repeater-22",
    "mannheim-repeater-33",
    "stuttgart-router-44",
    "augsburg-repeater-55",
    "munich-exchange-6",
]


def _run_at_80_columns(*args: str) -> list[str]:
    result = runner.invoke(app, ["run", *args], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    return lines


def _rows(lines: list[str], n: int) -> dict[str, list[str]]:
    """The table's ``n`` rows (they follow the header's rule), split at blanks, by id."""
    rule = next(i for i, line in enumerate(lines) if line.startswith("────"))
    rows = [line.split() for line in lines[rule + 1 : rule + 1 + n]]
    return {row[0]: row for row in rows}


def test_default_run_table_fits_80_columns_with_whole_figures() -> None:
    lines = _run_at_80_columns("--no-files")
    assert lines[1].split() == [
        "connection", "path", "status", "pairs", "rate/s", "(95%", "CI)", "F", "(target)",
    ]  # fmt: skip
    # The golden run's figures (tests/scenario/golden_metro.json), every path whole; the
    # interval is the Poisson one, ±1.96·√N over the time the connection was up.
    golden = json.loads(GOLDEN.read_text())["connections"]
    rows = _rows(lines, 3)
    for c in golden:
        n, rate = c["pairs_delivered"], c["rate_hz"]
        half = 1.96 * math.sqrt(n) * rate / n
        assert rows[c["id"]] == [
            c["id"],
            "→".join(c["path"]),
            c["status"],
            str(n),
            f"{rate:.0f}",
            "±",
            f"{half:.0f}",
            f"{c['fidelity_mean']:.3f}",
            {"qkd": "(0.85)", "teleport": "(0.9)", "tomography": "(0.8)"}[c["id"]],
        ]
    assert not any("…" in line for line in lines)


def _long_names() -> dict[str, Any]:
    """Six nodes with long names in a line, eleven connections and one that cannot reach
    its target (so it fails with a long detail)."""
    return {
        "name": "long-names",
        "qnic": {"memories": 8, "t2_s": 1.0, "cnot_error": 0.002},
        "nodes": [
            {"name": n, "type": "COMP" if i in (0, 5) else "REP1"} for i, n in enumerate(NAMES)
        ],
        "links": [{"a": a, "b": b, "length_km": 5} for a, b in itertools.pairwise(NAMES)],
        "traffic": [
            {
                "initiator": NAMES[i % 3],
                "responder": NAMES[3 + i % 3],
                "pairs": 5,
                "memories": 1,
            }
            for i in range(11)
        ]
        + [
            {
                "name": "out-of-reach",
                "initiator": NAMES[0],
                "responder": NAMES[5],
                "pairs": 5,
                "fidelity": 0.999,
            }
        ],
        "simulation": {"duration_s": 0.02, "seed": 3},
    }


def test_long_names_and_many_connections_fit_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("long.json").write_text(json.dumps(_long_names()))
    lines = _run_at_80_columns("long.json", "--out", "out")
    summary = json.loads(Path("out", "summary.json").read_text())
    assert len(summary["connections"]) == 12
    rows = _rows(lines, 12)
    for c in summary["connections"]:
        row = " ".join(rows[c["id"]])
        ci = [math.nan if x is None else x for x in c["rate_ci_hz"]]  # JSON's null is NaN
        rate = _rate_text(c["rate_hz"], ci)
        assert f" {c['status']} {c['pairs_delivered']} {rate} " in row, row
        if c["pairs_delivered"]:
            assert row.endswith(f" {c['fidelity_mean']:.3f} ({c['fidelity_target']:g})"), row
    failed = next(c for c in summary["connections"] if c["id"] == "out-of-reach")
    assert failed["status"] == "failed"
    assert rows["out-of-reach"] == [
        "out-of-reach", "–", "failed", "0", "–", "–", "(0.999)",
    ]  # fmt: skip
    # The reason follows the table, on lines of its own.
    text = " ".join(lines)
    assert "out-of-reach failed: fidelity_unreachable: fidelity 0.999 is out of reach" in text


def test_paths_shrink_to_their_ends_and_hop_count() -> None:
    path = ["a", "b", "c", "d", "e", "f"]
    assert _path_texts([path], 30) == ["a → b → c → d → e → f"]
    assert _path_texts([path, ["a", "b", "c"]], 16) == ["a→b→c→d→e→f", "a→b→c"]
    assert _path_texts([path], 10) == ["a→…→f (5 hops)"]  # too wide still: rich cuts it
    assert _path_texts([[*path, "g", "h", "i", "j"]], 18) == ["a→…→j (9 hops)"]
    assert _path_texts([[], ["a"]], 10) == ["–", "–"]
    names = ["frankfurt-exchange-1", "x", "munich-exchange-6"]
    assert _path_texts([names], 30) == ["frankfur…→…→munich-e… (2 hops)"]


def test_rates_read_as_value_and_interval() -> None:
    assert _rate_text(5606.0, [5360.0, 5852.0]) == "5606 ± 246"
    assert _rate_text(12.25, [10.0, 14.5]) == "12.2 ± 2.25"
    assert _rate_text(0.0, [0.0, 36.9]) == "0 (0–36.9)"
    assert _rate_text(0.0, [float("nan"), float("nan")]) == "–"


def test_a_run_without_connections_prints_an_empty_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    summary = {"version": "0", "scenario": "idle", "sim_time_s": 0.1, "seed": 1}
    _print_summary(summary | {"connections": [], "events": 16, "wall_time_s": 0.001})
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["connection", "path", "status"]
    assert lines[-1] == "16 events in 0.00 s wall time"
