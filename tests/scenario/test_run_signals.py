"""``run`` takes over SIGINT and SIGTERM only when asked (``catch_sigint=True``) and only in
the main thread, where Python lets a handler be set; otherwise the process's handlers stay
as they are throughout the run."""

from __future__ import annotations

import signal
import threading
from typing import Any

from qrna.scenario import load_scenario, run

SMALL = ["topology.nodes=3", "traffic.0.responder=n2", "simulation.duration_s=0.002"]
# A connection for the whole of a 1000 s run: it ends at its wall-clock limit.
WATCHED: dict[str, Any] = {
    "name": "watched",
    "qnic": {"memories": 4, "t2_s": 0.5},
    "nodes": [
        {"name": "a", "type": "COMP"},
        {"name": "b", "type": "REP1"},
        {"name": "c", "type": "COMP"},
    ],
    "links": [{"a": "a", "b": "b", "length_km": 5}, {"a": "b", "b": "c"}],
    "traffic": [{"initiator": "c", "responder": "a", "fidelity": 0.7}],
    "simulation": {"duration_s": 1000.0, "seed": 4},
}


def _handlers_during(**kwargs: Any) -> list[Any]:
    seen: list[Any] = []

    def progress(sim_s: float, wall_s: float, events: int) -> None:
        seen.append((signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)))

    run(load_scenario("chain", SMALL), progress=progress, **kwargs)
    return seen


def test_without_catch_sigint_the_handlers_stay_during_the_run() -> None:
    """Whether catch_sigint is False or left out (False by default)."""
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    for seen in (_handlers_during(catch_sigint=False), _handlers_during()):
        assert seen
        assert set(seen) == {before}


def test_with_catch_sigint_the_run_handles_both_and_gives_them_back() -> None:
    """The handlers given back are the very ones found, here handlers of the test's own
    (not the defaults a run would fall back to)."""

    def mine(signum: int, frame: object) -> None:
        raise AssertionError("no signal is sent")

    found = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    signal.signal(signal.SIGINT, mine)
    signal.signal(signal.SIGTERM, mine)
    try:
        seen = _handlers_during(catch_sigint=True)
        after = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    finally:
        signal.signal(signal.SIGINT, found[0])
        signal.signal(signal.SIGTERM, found[1])
    assert seen
    assert all(h != mine and h == t for h, t in seen)  # one handler, not the old one
    assert after == (mine, mine)


def test_off_the_main_thread_catch_sigint_leaves_the_handlers_alone() -> None:
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(_handlers_during(catch_sigint=True)))
    worker.start()
    worker.join()
    assert out
    assert out[0]
    assert set(out[0]) == {before}


def test_watch_is_told_the_clocks_once_a_second_of_wall_time() -> None:
    """``watch`` hears from a thread every wall-clock second: the simulated seconds reached
    (never beyond the run's end), the wall seconds since the start, and the events so far.
    The thread is named for what it does ("qrna-watch", as a traceback or profiler shows it)."""
    ticks: list[tuple[float, float, int]] = []
    threads: list[str] = []

    def watch(sim_s: float, wall_s: float, events: int) -> None:
        ticks.append((sim_s, wall_s, events))
        threads.append(threading.current_thread().name)

    scenario = load_scenario(WATCHED)
    r = run(scenario, max_wall_s=1.6, watch=watch)
    end = r.summary["sim_time_s"]
    assert 0 < end < 1000
    assert len(ticks) == 1
    assert threads == ["qrna-watch"]
    sim_s, wall_s, _ = ticks[0]
    assert 0 < sim_s <= end
    assert 0.95 <= wall_s <= 1.6


def test_progress_after_a_stop_reports_the_instant_reached() -> None:
    """``progress`` hears after each slice (1/50 of the run): the slice's end while the run
    goes on, and, once stopped (here by max_wall_s within the first 20 s slice), the instant
    the simulation reached, which the summary reports too."""
    calls: list[tuple[float, float, int]] = []
    r = run(load_scenario(WATCHED), max_wall_s=0.3, progress=lambda *c: calls.append(c))
    end = r.summary["sim_time_s"]
    assert r.summary["stopped"] == "max_wall"
    assert 0 < end < 1000 / 50
    assert [c[0] for c in calls] == [end]
    assert 0.3 <= calls[0][1] < 30  # wall seconds since the start: the limit, and a little
    assert calls[0][2] == r.summary["events"] > 0
