"""The event scheduler: a heap of (time, priority, sequence, callback) over integer picoseconds.

Like SimPy's core, the scheduler knows nothing of qubits, nodes or messages: it runs callables at
integer picosecond times, in (time, priority, insertion order) order, so that a run is a pure
function of what was scheduled. Time is an ``int`` of picoseconds (DESIGN.md, core conventions):
integer time makes "same seed, same trace" exact, with no float rounding to reorder events.

Example:
    >>> sim = Scheduler()
    >>> seen = []
    >>> _ = sim.schedule(5, lambda: seen.append(("late", sim.now_ps)))
    >>> _ = sim.schedule(2, lambda: seen.append(("early", sim.now_ps)))
    >>> sim.run()
    2
    >>> seen
    [('early', 2), ('late', 5)]
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from qrna.kernel._errors import SchedulingError

__all__ = ["Callback", "Scheduler", "Timer", "TraceHook"]

Callback = Callable[[], object]
"""A scheduled action: called with no arguments; its return value is ignored."""

TraceHook = Callable[[int, int, Callback], None]
"""Called as ``hook(t_ps, priority, callback)`` just before each event runs."""

_NO_LIMIT: Final = -1


Timer: TypeAlias = list[Any]
"""Opaque handle of one scheduled event, returned by ``Scheduler.schedule``.

It is the heap entry itself, ``[t_ps, priority, seq, callback]`` (callback None once run or
cancelled): a plain list because a handle object per event would cost about a fifth of the
kernel's speed (measured with ``bench/kernel.py``). Use ``Scheduler.cancel``,
``Scheduler.is_active`` and ``Scheduler.fire_time``; never mutate it.
"""


class Scheduler:
    """A discrete-event scheduler over integer picoseconds.

    Events at equal times run in ascending ``priority``, then in the order they were scheduled.
    Callbacks may schedule further events and cancel timers; they read the time from ``now_ps``.

    Args:
        trace: optional hook called as ``trace(t_ps, priority, callback)`` before every event.
    """

    __slots__ = ("_heap", "_running", "_seq", "_stopped", "events_processed", "now_ps", "trace")

    def __init__(self, trace: TraceHook | None = None) -> None:
        self.now_ps: int = 0
        self.events_processed: int = 0
        self.trace = trace
        self._heap: list[Timer] = []
        self._seq = 0
        self._running = False
        self._stopped = False

    # -- scheduling ---------------------------------------------------------------------------

    def schedule(self, delay_ps: int, fn: Callback, priority: int = 0) -> Timer:
        """Run ``fn`` ``delay_ps`` picoseconds from now.

        Raises:
            SchedulingError: if ``delay_ps`` is negative or not an integer.
        """
        if delay_ps.__class__ is not int:
            delay_ps = _as_ps(delay_ps, "delay_ps", fn)
        if delay_ps < 0:
            raise SchedulingError(
                f"negative delay {delay_ps} ps for {fn!r}; delays must be >= 0 ps"
            )
        t_ps = self.now_ps + delay_ps
        seq = self._seq
        self._seq = seq + 1
        entry = [t_ps, priority, seq, fn]
        heapq.heappush(self._heap, entry)
        return entry

    @staticmethod
    def cancel(timer: Timer) -> bool:
        """Cancel a scheduled event. Returns True if it was still pending, False if it had
        already run or been cancelled (cancelling twice is harmless: a timer may race its own
        firing). Cancellation is lazy: the entry is skipped when popped, so this is O(1)."""
        was_active = timer[3] is not None
        timer[3] = None
        return was_active

    @staticmethod
    def is_active(timer: Timer) -> bool:
        """True until the event has run or been cancelled."""
        return timer[3] is not None

    @staticmethod
    def fire_time(timer: Timer) -> int:
        """The time in ps at which the event runs (or would have run)."""
        return int(timer[0])

    def schedule_at(self, t_ps: int, fn: Callback, priority: int = 0) -> Timer:
        """Run ``fn`` at absolute time ``t_ps``, which must not be in the past."""
        if t_ps.__class__ is not int:
            t_ps = _as_ps(t_ps, "t_ps", fn)
        if t_ps < self.now_ps:
            raise SchedulingError(
                f"time {t_ps} ps for {fn!r} is in the past; now is {self.now_ps} ps"
            )
        seq = self._seq
        self._seq = seq + 1
        entry = [t_ps, priority, seq, fn]
        heapq.heappush(self._heap, entry)
        return entry

    # -- inspection ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Number of heap entries not yet popped (cancelled ones included until popped)."""
        return len(self._heap)

    def peek(self) -> int | None:
        """Time of the next live event, or None when nothing is pending."""
        heap = self._heap
        while heap and heap[0][3] is None:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    # -- running ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Make ``run`` return after the event now running; later events stay scheduled.

        Safe from a signal handler or another thread. A stop asked while no ``run`` is running
        is kept, not lost: the next ``run`` returns at once, having run nothing (a stop asked
        between two slices of a long run would otherwise be erased, and the slice run whole).
        The ``run`` that honours a stop clears it."""
        self._stopped = True

    def step(self) -> bool:
        """Run the next live event. Returns False when nothing ran: nothing was left, or a
        pending ``stop()`` was honoured (``stop``)."""
        return self.run(max_events=1) == 1

    def run(self, until_ps: int | None = None, max_events: int | None = None) -> int:
        """Run events in order and return how many ran.

        Args:
            until_ps: run every event at or before this time, then set the clock to it (like
                SimPy's ``run(until=...)``); None runs until the heap is empty or ``stop()``.
            max_events: stop after this many events.

        Raises:
            SchedulingError: if ``until_ps`` is in the past, or ``run`` is re-entered from a
                callback.
        """
        if self._running:
            raise SchedulingError("Scheduler.run() called from inside a running event")
        if until_ps is not None:
            until_ps = _as_ps(until_ps, "until_ps", None)
            if until_ps < self.now_ps:
                raise SchedulingError(
                    f"until_ps={until_ps} is in the past; now is {self.now_ps} ps"
                )
        limit = _NO_LIMIT if max_events is None else max_events
        if limit != _NO_LIMIT and limit < 0:
            raise SchedulingError(f"max_events={max_events} must be >= 0")
        self._running = True
        try:
            done = 0 if self._stopped else self._loop(until_ps, limit)
        finally:
            self._running = False
        # Cleared only when seen: a stop that comes (from a signal or a thread) after the loop
        # ended without one stays pending for the next run.
        stopped = self._stopped
        if stopped:
            self._stopped = False
        if until_ps is not None and not stopped and (limit == _NO_LIMIT or done < limit):
            self.now_ps = until_ps
        return done

    def _loop(self, until_ps: int | None, limit: int) -> int:
        # The hot loop: locals only, one branch per optional feature. Cancelled entries are
        # skipped without counting as events.
        heap = self._heap
        pop = heapq.heappop
        trace = self.trace
        done = 0
        horizon = until_ps
        while heap and done != limit:
            if horizon is not None and heap[0][0] > horizon:
                break
            entry = pop(heap)
            fn = entry[3]
            if fn is None:
                continue
            entry[3] = None
            self.now_ps = entry[0]
            if trace is not None:
                trace(entry[0], entry[1], fn)
            done += 1
            fn()
            if self._stopped:
                break
        self.events_processed += done
        return done


def _as_ps(value: object, field: str, fn: object) -> int:
    """Accept ints (and integral numpy ints); refuse floats, which would make time inexact."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        where = f" for {fn!r}" if fn is not None else ""
        raise SchedulingError(
            f"{field}={value!r}{where} is not an integer number of picoseconds; "
            "convert at the edge, e.g. round(seconds * 1e12)"
        )
    return int(value.__index__())
