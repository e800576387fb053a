"""Recording the event trace of a run, for determinism checks and debugging.

A ``TraceRecorder`` is a ready-made ``Scheduler`` trace hook: it keeps (time, priority, label)
per event, where the label is the callback's qualified name (or its ``trace_label`` attribute when
a component sets one), and digests the whole trace into one hash so two runs compare in O(1).

Example:
    >>> from qrna.kernel import Scheduler
    >>> rec = TraceRecorder()
    >>> sim = Scheduler(trace=rec)
    >>> def ping() -> None: ...
    >>> _ = sim.schedule(3, ping)
    >>> _ = sim.run()
    >>> rec.events
    [(3, 0, 'ping')]
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

__all__ = ["TraceRecorder", "callback_label"]


def callback_label(fn: Callable[[], object]) -> str:
    """A stable, human-readable name for a callback (no memory addresses)."""
    label = getattr(fn, "trace_label", None)
    if isinstance(label, str):
        return label
    func = getattr(fn, "func", fn)  # functools.partial
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return str(name).replace(".<locals>", "")


class TraceRecorder:
    """Keeps ``(t_ps, priority, label)`` for each event a scheduler runs.

    Args:
        keep: keep the events in memory (``events``); with False only the digest is kept, so a
            long run can be fingerprinted in constant memory.
    """

    __slots__ = ("_hash", "count", "events", "keep")

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.events: list[tuple[int, int, str]] = []
        self.count = 0
        self._hash = hashlib.blake2b(digest_size=16)

    def __call__(self, t_ps: int, priority: int, fn: Callable[[], object]) -> None:
        label = callback_label(fn)
        self.count += 1
        self._hash.update(f"{t_ps}|{priority}|{label}\n".encode())
        if self.keep:
            self.events.append((t_ps, priority, label))

    def digest(self) -> str:
        """Hex digest of every event recorded so far; equal traces give equal digests."""
        return self._hash.hexdigest()
