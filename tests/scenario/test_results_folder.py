"""Results on disk are whole: the folder is written aside and renamed into place, a run
stopped by Ctrl-C or ``--max-wall`` writes what it simulated (marked ``"interrupted"``), JSON
output is strict (no NaN), and delivered pairs stream to disk instead of piling up."""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qrna.apps import RunningStats
from qrna.cli import app
from qrna.link import LinkMonitor
from qrna.report import write_results
from qrna.scenario import ScenarioError, _run, load_scenario, run
from qrna.scenario._run import _mean_ci

runner = CliRunner()


def _strict(text: str) -> Any:
    """Parse JSON as a strict parser does: NaN and Infinity are errors."""

    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def _open_ended(duration_s: float = 0.15) -> dict[str, Any]:
    """A repeater between two end nodes, pairs asked for the whole run."""
    return {
        "name": "open",
        "qnic": {"memories": 4, "t2_s": 0.5},
        "nodes": [
            {"name": "a", "type": "COMP"},
            {"name": "b", "type": "REP1"},
            {"name": "c", "type": "COMP"},
        ],
        "links": [{"a": "a", "b": "b", "length_km": 5}, {"a": "b", "b": "c", "type": "MM"}],
        "traffic": [{"initiator": "c", "responder": "a", "fidelity": 0.7}],
        "simulation": {"duration_s": duration_s, "seed": 4},
    }


def _check_folder(folder: Path, duration_s: float = 0.15) -> dict[str, Any]:
    """The folder is complete and its files agree: the same pairs counted everywhere."""
    summary = _strict((folder / "summary.json").read_text())
    counts: dict[str, int] = {}
    with (folder / "pairs.csv").open() as f:
        for row in csv.DictReader(f):
            counts[row["connection"]] = counts.get(row["connection"], 0) + 1
    table = pq.read_table(folder / "pairs.parquet")
    assert table.num_rows == sum(counts.values())
    for c in summary["connections"]:
        assert c["pairs_delivered"] == counts.get(c["id"], 0)
    assert summary["sim_time_s"] <= duration_s + 1e-12
    report = (folder / "report.html").read_text()
    assert report.rstrip().endswith("</html>")
    if summary["interrupted"]:
        assert "these are the results so far" in report
    return summary


@pytest.mark.subprocess
def test_sigint_at_random_instants_leaves_no_folder_or_a_whole_one(tmp_path: Path) -> None:
    """`qrna run` in a subprocess, SIGINT sent at instants: after the end (a first, whole
    run), very early (while Python imports), three drawn with seed 10 within the simulation
    (after the run's temporary pairs file appears, a random fraction up to half of the whole run's
    simulation wall time), and as soon as the results are being written. Each time the
    target is absent or complete and consistent, marked interrupted exactly when the exit
    code is 130, and nothing temporary is left beside it. A Ctrl-C while a whole run's
    results are written only warns."""
    scenario = tmp_path / "open.json"
    scenario.write_text(json.dumps(_open_ended()))
    env = {**os.environ, "COLUMNS": "200"}

    def start(out: Path) -> subprocess.Popen[str]:
        code = "from qrna.cli import main; main()"
        args = [sys.executable, "-c", code, "run", str(scenario), "--out", str(out)]
        return subprocess.Popen(
            [*args, "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def wait_for(prefix: str, proc: subprocess.Popen[str]) -> None:
        deadline = time.perf_counter() + 60
        while not any(p.name.startswith(prefix) for p in tmp_path.iterdir()):
            assert proc.poll() is None
            assert time.perf_counter() < deadline
            time.sleep(0.002)

    proc = start(tmp_path / "whole")
    _, err = proc.communicate(timeout=60)
    proc.send_signal(signal.SIGINT)  # after the end: no effect
    assert proc.returncode == 0, err
    whole = _check_folder(tmp_path / "whole")
    assert whole["interrupted"] is False
    simulating = whole["wall_time_s"]

    rng = random.Random(10)
    instants: list[tuple[str, float]] = [("start", 0.05)]
    instants += [("simulating", rng.uniform(0.1, 0.5) * simulating) for _ in range(3)]
    instants += [("writing", 0.0)]
    outcomes = []
    for k, (phase, delay) in enumerate(instants):
        out = tmp_path / f"run{k}"
        proc = start(out)
        if phase == "simulating":
            wait_for(".qrna-pairs-", proc)  # the run streams its pairs there from its start
        elif phase == "writing":
            wait_for(f".{out.name}.tmp-", proc)  # the simulation is over
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        stdout, err = proc.communicate(timeout=60)
        rc = proc.returncode
        if phase == "start" and rc == 1 and "Fatal Python error: init" in err:
            # On a loaded machine 50 ms can fall in CPython's own start-up, before any of
            # qrna runs: the interpreter exits 1 with a fatal error naming KeyboardInterrupt.
            assert "KeyboardInterrupt" in err, err
            rc = -signal.SIGINT
        assert rc in (0, 130, -signal.SIGINT), (phase, rc, err)
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
        assert leftovers == [], phase
        if out.exists():
            summary = _check_folder(out)
            assert rc in (0, 130), (phase, rc, err)
            assert summary["interrupted"] is (rc == 130), (phase, err)
            assert summary["stopped"] == ("interrupt" if rc == 130 else None)
            if rc == 130:
                assert summary["sim_time_s"] < 0.15
                assert _strict(stdout) == summary
                assert f"interrupted: stopped at {summary['sim_time_s']:.6g} s of 0.15 s" in err
            outcomes.append("interrupted" if rc == 130 else "complete")
            if phase == "writing":
                assert "writing the results; Ctrl-C again aborts" in err
        else:
            assert rc != 0, (phase, err)
            outcomes.append("none")
    assert outcomes == ["none", "interrupted", "interrupted", "interrupted", "complete"]


@pytest.mark.subprocess
def test_sigterm_stops_and_writes_like_ctrl_c_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    """`qrna run` in a subprocess: SIGTERM while simulating stops the run and writes the
    results so far (exit 130, "stopped": "interrupt"); a second SIGTERM soon after aborts the
    writing if it comes before the folder is renamed into place. Either way no `.qrna-pairs-*`
    file (nor any other) is left beside the folder: the default SIGTERM used to end the
    process with its pairs file."""
    scenario = tmp_path / "long.json"
    scenario.write_text(json.dumps(_open_ended(duration_s=1000.0)))
    code = "from qrna.cli import main; main()"
    for signals in (1, 2):
        out = tmp_path / f"r{signals}"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "run", str(scenario), "--out", str(out), "--format=json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.perf_counter() + 60
        while not any(p.name.startswith(".qrna-pairs-") for p in tmp_path.iterdir()):
            assert proc.poll() is None
            assert time.perf_counter() < deadline
            time.sleep(0.002)
        time.sleep(0.2)  # well inside the simulation (1000 s simulated take minutes)
        proc.send_signal(signal.SIGTERM)
        if signals == 2:
            # Two signals at once would be handled as one: the second comes once the first
            # has stopped the simulation.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        stdout, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        if out.exists():
            summary = _check_folder(out, 1000.0)
            assert summary["stopped"] == "interrupt"
            assert 0 < summary["sim_time_s"] < 1000
            assert _strict(stdout) == summary
        else:
            assert signals == 2
            assert err.endswith("interrupted: no results written\n"), err


def test_the_pairs_file_goes_when_building_the_summary_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary pairs file is removed until the Results' finalizer owns it: a fault (or
    Ctrl-C) while the summary is built used to leave it behind."""

    def broken(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("qrna.scenario._run._links", broken)
    with pytest.raises(KeyboardInterrupt):
        run(load_scenario(_open_ended(0.01)), pairs_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    results = run(load_scenario(_open_ended(0.01)), pairs_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [results.pairs_file.name]
    del results
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_in_process_writes_the_results_so_far_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``qrna run`` in this process: a SIGINT mid-run (from a timer thread, started once the
    simulation runs: on a loaded machine a fixed delay from the start can land while the
    network is still being built, which is another test's case) stops it, the folder holds
    what was simulated, and the exit code is 130 with one line saying so."""
    path = tmp_path / "long.json"
    path.write_text(json.dumps(_open_ended(duration_s=1000.0)))
    out = tmp_path / "r"
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.3, signal.raise_signal, (signal.SIGINT,))
    slices = _run._run_slices

    def started(*args: Any, **kwargs: Any) -> Any:
        timer.start()
        return slices(*args, **kwargs)

    monkeypatch.setattr(_run, "_run_slices", started)
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--format", "json"])
    timer.join()
    assert result.exit_code == 130, result.output
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    summary = _check_folder(out, 1000.0)
    assert (summary["interrupted"], summary["stopped"]) == (True, "interrupt")
    assert _strict(result.stdout) == summary
    assert result.stderr == (
        f"interrupted: stopped at {summary['sim_time_s']:.6g} s of 1000 s simulated; results "
        f"so far in {out}/\n"
    )


def test_ctrl_c_before_the_simulation_and_a_failed_write_leave_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_open_ended(0.01)))
    out = tmp_path / "r"

    def pressed(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt  # as if Ctrl-C came while the network was built

    monkeypatch.setattr("qrna.scenario.run", pressed)
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert (result.stdout, result.stderr) == ("", "interrupted: no results written\n")
    assert not out.exists()
    monkeypatch.undo()

    def full(results: Any, folder: Path) -> Path:
        raise OSError(28, "No space left on device", str(folder / "pairs.csv"))

    monkeypatch.setattr("qrna.report.write_results", full)
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: --out {out / 'pairs.csv'}: cannot write results: No space left on device\n"
    )
    assert result.stdout == ""
    assert not out.exists()


def test_max_wall_stops_the_run_and_writes_what_it_reached(tmp_path: Path) -> None:
    path = tmp_path / "long.json"
    path.write_text(json.dumps(_open_ended(duration_s=1000.0)))
    out = tmp_path / "r"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--max-wall", "0.5"])
    assert result.exit_code == 0, result.output
    summary = _strict((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert summary["stopped"] == "max_wall"
    assert 0 < summary["sim_time_s"] < 1000
    assert (
        f"warning: --max-wall 0.5 s reached: stopped at {summary['sim_time_s']:.6g} s of "
        f"1000 s simulated; results so far in {out}/"
    ) in result.stderr
    bad = runner.invoke(app, ["run", str(path), "--max-wall", "-1"])
    assert bad.exit_code == 2
    assert bad.stderr == "error: --max-wall -1.0: expected a number of seconds > 0\n"


@pytest.mark.subprocess
def test_open_ended_long_run_warns_with_its_projected_wall_time(tmp_path: Path) -> None:
    """Without --max-wall, an open-ended demand whose pace projects past a minute gets a
    warning once a second of wall time has run; Ctrl-C then stops it (exit 130)."""
    path = tmp_path / "long.json"
    path.write_text(json.dumps(_open_ended(duration_s=1000.0)))
    code = "from qrna.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "run", str(path), "--no-files", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # blocks until the warning (or the end of the run)
    proc.send_signal(signal.SIGINT)
    stdout, err = proc.communicate(timeout=60)
    assert line.startswith("warning: at this pace the run takes about "), line + err
    assert "Bound it with --max-wall SECONDS" in line
    projected = float(line.split("about ")[1].split(" s")[0])
    assert projected > 60
    assert proc.returncode == 130
    summary = _strict(stdout)
    assert summary["interrupted"] is True
    assert summary["stopped"] == "interrupt"


def test_folder_is_replaced_whole_and_a_failed_write_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = run(load_scenario(_open_ended(0.02)))
    out = tmp_path / "r"
    write_results(results, out)
    (out / "stale.png").write_text("a plot of an older run")
    write_results(results, out)
    assert not (out / "stale.png").exists()  # replaced, not merged
    (out / "stale.png").write_text("a plot of an older run")

    def broken(*args: Any) -> dict[str, Path]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qrna.report._folder.save_figures", broken)
    with pytest.raises(OSError, match="No space left on device"):
        write_results(results, out)
    assert (out / "stale.png").read_text() == "a plot of an older run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_write_results_default_empty_and_nested_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a folder: results/<scenario>-<seed> under the current folder. An empty folder
    is taken; missing parents are made; a folder whose nearest parent we may not write in is
    refused before anything is made; a rename that fails puts the old folder back."""
    from qrna.report import ResultsFolderError, check_folder, default_folder

    monkeypatch.chdir(tmp_path)
    no_plots = ("qrna.report._folder.save_figures", lambda results, folder: {})
    monkeypatch.setattr(*no_plots)  # the plots are not the point here, and take the time
    results = run(load_scenario(_open_ended(0.01)))
    assert default_folder(results) == Path("results") / "open-4"
    assert write_results(results) == Path("results") / "open-4"
    assert _check_folder(tmp_path / "results" / "open-4", 0.01)["seed"] == 4
    empty = tmp_path / "empty"
    empty.mkdir()
    write_results(results, empty)
    assert (empty / "summary.json").is_file()
    deep = tmp_path / "x" / "y" / "z"
    check_folder(deep)  # its parents do not exist yet: the nearest one that does is checked
    assert not (tmp_path / "x").exists()
    write_results(results, deep)
    assert (deep / "report.html").is_file()

    monkeypatch.setattr("qrna.report._folder.os.access", lambda path, mode: False)
    with pytest.raises(
        ResultsFolderError, match=rf"^{tmp_path / 'new' / 'r'}: no permission to write in "
    ):
        write_results(results, tmp_path / "new" / "r")
    assert not (tmp_path / "new").exists()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(*no_plots)

    before = (empty / "summary.json").read_text()
    real = Path.rename

    def stuck(self: Path, target: Any) -> Path:
        if ".tmp-" in self.name:  # the new folder cannot take the old one's place
            raise OSError(16, "Device or resource busy")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", stuck)
    with pytest.raises(OSError, match="Device or resource busy"):
        write_results(results, empty)
    monkeypatch.undo()
    assert (empty / "summary.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "results", "x"]


def test_out_is_checked_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    result = runner.invoke(app, ["run", "chain", "--out", str(tmp_path / "f")])
    assert result.exit_code == 2
    assert result.stderr == f"error: --out {tmp_path / 'f'} exists and is not a folder\n"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("not results")
    result = runner.invoke(app, ["run", "chain", "--out", str(mine)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --out {mine} exists and is not a results folder (it holds notes.txt, which "
        "qrna does not write); it would be replaced: choose another --out or remove it\n"
    )
    result = runner.invoke(app, ["run", "chain", "--out", "."])
    assert result.exit_code == 2
    assert result.stderr == "error: --out . is the current folder or one above it\n"
    assert (mine / "notes.txt").read_text() == "not results"
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = runner.invoke(app, ["run", "chain", "--out", str(locked / "r")])
        assert result.exit_code == 2
        assert result.stderr == (
            f"error: --out {locked / 'r'}: no permission to write in {locked}\n"
        )


def test_out_replaces_only_a_results_folder(tmp_path: Path) -> None:
    """A summary.json is not enough: a folder with a file qrna does not write, or whose
    summary.json is not a qrna summary, is refused before the run and left as it was (it once
    lost thesis.tex); a symbolic link is refused too. Only a whole results folder is replaced."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_open_ended(0.01)))
    summary = '{"version": "0.1", "scenario": "old", "seed": 1}'
    cases = [
        (
            {"summary.json": "{}", "thesis.tex": "precious"},
            "it holds thesis.tex, which qrna does not write",
        ),
        (
            {"summary.json": "{}"},
            "its summary.json is not a qrna summary (no 'version', 'scenario' and 'seed')",
        ),
        ({"summary.json": "[1, 2"}, "its summary.json is not JSON"),
        ({"pairs.csv": "a,b"}, "no summary.json"),
        ({"summary.json": summary, "sub/": ""}, "it holds sub, which qrna does not write"),
        (
            {"summary.json": summary, **{f"{c}.tex": "" for c in "abcdef"}},
            "it holds a.tex, b.tex, c.tex, d.tex, e.tex and 1 more, which qrna does not write",
        ),
    ]
    for k, (files, why) in enumerate(cases):
        out = tmp_path / f"proj{k}"
        out.mkdir()
        for name, text in files.items():
            if name.endswith("/"):
                (out / name).mkdir()
            else:
                (out / name).write_text(text)
        before = sorted(p.name for p in out.iterdir())
        result = runner.invoke(app, ["run", str(path), "--out", str(out)])
        assert result.exit_code == 2, (files, result.output)
        assert result.stderr == (
            f"error: --out {out} exists and is not a results folder ({why}); it would be "
            "replaced: choose another --out or remove it\n"
        )
        assert sorted(p.name for p in out.iterdir()) == before
    assert (tmp_path / "proj0" / "thesis.tex").read_text() == "precious"

    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    result = runner.invoke(app, ["run", str(path), "--out", str(link)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: --out {link} is a symbolic link; give the folder it points to\n"
    )
    assert link.is_symlink()
    assert not any(target.iterdir())

    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text(summary)
    (old / "throughput.png").write_text("")
    result = runner.invoke(app, ["run", str(path), "--out", str(old)])
    assert result.exit_code == 0, result.output
    assert json.loads((old / "summary.json").read_text())["scenario"] != "old"
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert left == []


def test_json_outputs_are_strict_and_intervals_stay_in_0_1(tmp_path: Path) -> None:
    """`qrna links` monitors too few pairs on one link for an estimate (NaN before: null
    now); every interval printed lies in [0, 1] and holds its estimate."""
    links = runner.invoke(app, ["links", "--format", "json", "--duration", "0.05"])
    assert links.exit_code == 0, links.output
    rows = _strict(links.stdout)["links"]
    assert [r["monitored_fidelity"] is None for r in rows] == [False, False, False, True]
    for r in rows:
        lo, hi = r["monitored_fidelity_ci"]
        if r["monitored_fidelity"] is None:
            assert (lo, hi) == (None, None)
        else:
            assert 0.0 <= lo <= r["monitored_fidelity"] <= hi <= 1.0
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_open_ended(0.02)))
    out = tmp_path / "r"
    result = runner.invoke(app, ["run", str(path), "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = _strict(result.stdout)
    assert summary == _strict((out / "summary.json").read_text())
    assert summary["interrupted"] is False
    assert summary["stopped"] is None
    for c in summary["connections"]:
        lo, hi = c["fidelity_ci"]
        assert 0.0 <= lo <= c["fidelity_mean"] <= hi <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=3, max_size=3).map(
        lambda c: [(n, min(n, e)) for n, e in c]
    )
)
def test_link_monitor_fidelity_interval_lies_in_0_1_and_holds_the_estimate(
    counts: list[tuple[int, int]],
) -> None:
    m = LinkMonitor()
    m.counts = {b: list(c) for b, c in zip("XYZ", counts, strict=True)}
    est = m.estimate()
    if est.state is None:
        assert math.isnan(est.fidelity)
        return
    lo, hi = est.fidelity_ci
    assert 0.0 <= lo <= est.fidelity <= hi <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=50))
def test_summary_fidelity_interval_lies_in_0_1_and_holds_the_mean(values: list[float]) -> None:
    stats = RunningStats()
    for v in values:
        stats.add(v)
    mean, (lo, hi) = _mean_ci(stats)
    assert 0.0 <= lo <= mean <= hi <= 1.0


def test_pairs_stream_to_disk_and_the_ledger_keeps_none() -> None:
    """A scenario run leaves no delivered pair in memory; the table read back has the
    summary's count, and the running statistics equal the rows' own."""
    results = run(load_scenario(_open_ended(0.03)))
    assert results.network.ledger.delivered == []
    table = results.pairs_table()
    c = results.summary["connections"][0]
    assert table.num_rows == c["pairs_delivered"] > 100
    fidelity = table.column("fidelity").to_pylist()
    assert c["fidelity_mean"] == pytest.approx(sum(fidelity) / len(fidelity), rel=1e-12)
    assert results.pairs[0]["fidelity"] == fidelity[0]
    path = results.pairs_file
    assert path.exists()
    del results
    assert not path.exists()  # the temporary file goes with its Results


def test_a_first_interrupt_stops_the_run_and_a_second_aborts_it() -> None:
    """The run's SIGINT handler: the first Ctrl-C records "interrupt" and stops the run after
    the event now running; a second one, the user not waiting for that, raises
    KeyboardInterrupt."""
    from qrna.scenario import build_network
    from qrna.scenario._run import _Stop

    network = build_network(load_scenario("chain"))
    stop = _Stop(network)
    stop.on_sigint(signal.SIGINT, None)
    assert stop.reason == "interrupt"
    assert network.scheduler.pending > 0
    assert network.scheduler.run() == 0  # the stop is kept: the next run runs no event
    with pytest.raises(KeyboardInterrupt):
        stop.on_sigint(signal.SIGINT, None)
    assert stop.reason == "interrupt"


def test_api_run_stops_on_sigint_or_max_wall_with_consistent_results() -> None:
    """In-process: a SIGINT (raised from a timer thread, handled in the main thread) or the
    wall-clock limit stops the run where it is; the counts agree, ``sim_time_s`` is the
    clock reached, and the previous SIGINT handler is back afterwards."""
    before = signal.getsignal(signal.SIGINT)
    scenario = load_scenario(_open_ended(1000.0))
    timer = threading.Timer(0.3, signal.raise_signal, (signal.SIGINT,))
    timer.start()
    interrupted = run(scenario, catch_sigint=True)
    timer.join()
    stopped = run(scenario, max_wall_s=0.3)
    assert signal.getsignal(signal.SIGINT) is before
    for r, reason in ((interrupted, "interrupt"), (stopped, "max_wall")):
        s = r.summary
        assert s["interrupted"] is True
        assert s["stopped"] == reason
        assert 0 < s["sim_time_s"] == r.network.scheduler.now_ps * 1e-12 < 1000
        assert r.pairs_table().num_rows == s["connections"][0]["pairs_delivered"] > 0
    with pytest.raises(ScenarioError, match=r"max_wall_s: 0 is not a finite number of seconds"):
        run(scenario, max_wall_s=0)
