"""The scheduler runs events in (time, priority, insertion) order over integer picoseconds."""

from __future__ import annotations

import pytest

from qrna.kernel import Scheduler, SchedulingError


def test_events_run_in_time_then_priority_then_insertion_order() -> None:
    sim = Scheduler()
    seen: list[str] = []
    sim.schedule(10, lambda: seen.append("t10-p0-first"))
    sim.schedule(10, lambda: seen.append("t10-p-1"), priority=-1)
    sim.schedule(10, lambda: seen.append("t10-p0-second"))
    sim.schedule(3, lambda: seen.append("t3"))
    assert sim.run() == 4
    assert seen == ["t3", "t10-p-1", "t10-p0-first", "t10-p0-second"]
    assert sim.now_ps == 10
    assert sim.events_processed == 4


def test_callbacks_see_their_own_time_and_can_schedule_more() -> None:
    sim = Scheduler()
    times: list[int] = []

    def tick() -> None:
        times.append(sim.now_ps)
        if len(times) < 5:
            sim.schedule(7, tick)

    sim.schedule(1, tick)
    sim.run()
    assert times == [1, 8, 15, 22, 29]


def test_cancelled_timer_never_runs_and_is_not_counted() -> None:
    sim = Scheduler()
    seen: list[int] = []
    keep = sim.schedule(5, lambda: seen.append(5))
    drop = sim.schedule(3, lambda: seen.append(3))
    assert sim.cancel(drop) is True
    assert sim.cancel(drop) is False  # twice is harmless
    assert not sim.is_active(drop)
    assert sim.run() == 1
    assert seen == [5]
    assert sim.cancel(keep) is False  # already ran
    assert sim.fire_time(keep) == 5


def test_a_callback_can_cancel_a_later_event() -> None:
    sim = Scheduler()
    seen: list[str] = []
    later = sim.schedule(10, lambda: seen.append("later"))
    sim.schedule(2, lambda: sim.cancel(later))
    sim.run()
    assert seen == []
    assert sim.now_ps == 2


def test_run_until_stops_at_horizon_and_advances_clock() -> None:
    sim = Scheduler()
    seen: list[int] = []
    for t in (5, 10, 15):
        sim.schedule(t, lambda t=t: seen.append(t))
    assert sim.run(until_ps=10) == 2  # events at the horizon run
    assert seen == [5, 10]
    assert sim.now_ps == 10
    assert sim.run(until_ps=12) == 0
    assert sim.now_ps == 12
    assert sim.peek() == 15
    sim.run()
    assert seen == [5, 10, 15]


def test_run_until_with_empty_heap_moves_the_clock() -> None:
    sim = Scheduler()
    sim.run(until_ps=1_000)
    assert sim.now_ps == 1_000


def test_max_events_and_step() -> None:
    sim = Scheduler()
    for t in range(1, 6):
        sim.schedule(t, lambda: None)
    assert sim.run(max_events=2) == 2
    assert sim.now_ps == 2
    assert sim.step() is True
    assert sim.now_ps == 3
    assert sim.run() == 2
    assert sim.step() is False


def test_stop_returns_after_current_event_and_keeps_the_rest() -> None:
    sim = Scheduler()
    seen: list[int] = []
    sim.schedule(1, lambda: (seen.append(1), sim.stop()))
    sim.schedule(2, lambda: seen.append(2))
    assert sim.run(until_ps=100) == 1
    assert sim.now_ps == 1  # a stopped run does not jump to the horizon
    assert sim.run() == 1
    assert seen == [1, 2]


def test_a_stop_asked_before_run_is_kept_and_honoured_once() -> None:
    """A stop that comes (from a signal handler or a timer thread) between two runs, e.g. just
    before the next slice of a long run starts, is not erased: that run returns at once."""
    sim = Scheduler()
    seen: list[int] = []
    sim.schedule(1, lambda: seen.append(1))
    sim.schedule(2, lambda: seen.append(2))
    sim.stop()
    assert sim.run(until_ps=100) == 0
    assert (seen, sim.now_ps, sim.events_processed) == ([], 0, 0)
    assert sim.run(until_ps=100) == 2  # honoured once, then cleared
    assert (seen, sim.now_ps) == ([1, 2], 100)


def test_peek_skips_cancelled_entries() -> None:
    sim = Scheduler()
    first = sim.schedule(1, lambda: None)
    sim.schedule(4, lambda: None)
    sim.cancel(first)
    assert sim.peek() == 4
    assert Scheduler().peek() is None


def test_schedule_at_absolute_time() -> None:
    sim = Scheduler()
    seen: list[int] = []
    sim.schedule(5, lambda: sim.schedule_at(20, lambda: seen.append(sim.now_ps)))
    sim.run()
    assert seen == [20]


def test_numpy_integer_delays_are_accepted() -> None:
    import numpy as np

    sim = Scheduler()
    sim.schedule(np.int64(7), lambda: None)
    sim.run()
    assert sim.now_ps == 7
    assert type(sim.now_ps) is int


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.schedule(-1, lambda: None), r"negative delay -1 ps .* must be >= 0 ps"),
        (lambda s: s.schedule(1.5, lambda: None), r"delay_ps=1.5 .* not an integer number of"),
        (lambda s: s.schedule(True, lambda: None), r"delay_ps=True .* not an integer"),
        (lambda s: s.run(until_ps=-5), r"until_ps=-5 is in the past; now is 0 ps"),
        (lambda s: s.run(max_events=-2), r"max_events=-2 must be >= 0"),
    ],
)
def test_bad_scheduling_is_refused_with_the_value(call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchedulingError, match=message):
        call(Scheduler())


def test_schedule_at_in_the_past_is_refused() -> None:
    sim = Scheduler()
    sim.run(until_ps=50)
    with pytest.raises(SchedulingError, match=r"time 10 ps .* is in the past; now is 50 ps"):
        sim.schedule_at(10, lambda: None)


def test_run_cannot_be_reentered() -> None:
    sim = Scheduler()
    errors: list[Exception] = []

    def nested() -> None:
        try:
            sim.run()
        except SchedulingError as exc:
            errors.append(exc)

    sim.schedule(1, nested)
    sim.run()
    assert len(errors) == 1
    assert "inside a running event" in str(errors[0])


def test_scheduling_error_is_a_qrna_error_and_value_error() -> None:
    from qrna import QrnaError

    with pytest.raises(QrnaError):
        Scheduler().schedule(-3, lambda: None)
    with pytest.raises(ValueError, match="negative"):
        Scheduler().schedule(-3, lambda: None)
