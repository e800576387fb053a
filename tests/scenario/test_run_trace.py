"""``run(scenario, trace=hook)`` hands every event of the run to the kernel trace hook: a
``TraceRecorder`` sees as many events as the summary counts, and a seeded run's digest is the
same run after run and differs for another seed."""

from __future__ import annotations

from qrna.kernel import TraceRecorder
from qrna.scenario import load_scenario, run


def _traced(seed: int) -> tuple[TraceRecorder, int]:
    scenario = load_scenario("metro", ["simulation.duration_s=0.02"])
    trace = TraceRecorder(keep=False)
    results = run(scenario, seed, trace=trace)
    return trace, results.summary["events"]


def test_the_trace_hook_sees_every_event_and_fingerprints_the_run() -> None:
    a, events = _traced(1)
    assert a.count == events > 1000
    b, _ = _traced(1)
    assert b.digest() == a.digest()
    c, _ = _traced(2)
    assert c.digest() != a.digest()
