"""The scenario fuzzer: random valid scenarios run, and every run keeps the invariants.

On every drawn scenario (``scenarios.py``): no exception escapes; each connection ends
``done``, ``up`` (its demand not met in time) or ``failed`` with a reason; nothing a finished
connection had is left behind (``Network.leaks``); every delivered pair is checked against the
ground truth as it is delivered (the delivery ledger raises on a wrong pair); a ``done``
connection met its fidelity target; and the same seed gives the same summary.

The suite runs a bounded, derandomised number of examples (``FUZZ_EXAMPLES``, default 200);
``HYPOTHESIS_PROFILE=explore FUZZ_EXAMPLES=5000`` searches many more with fresh examples.
"""

from __future__ import annotations

import math
import os
from typing import Any

from hypothesis import HealthCheck, given, settings

from qrna.scenario import load_scenario, run
from tests.fuzz.scenarios import scenarios

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))


def _comparable(summary: dict[str, Any]) -> Any:
    """The summary without wall-clock figures, NaN made comparable."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if k != "wall_time_s"}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return clean(summary)


def check_invariants(data: dict[str, Any], again: bool = False) -> dict[str, Any]:
    """Run the scenario ``data`` and assert every invariant; returns the summary."""
    scenario = load_scenario(data)
    results = run(scenario)
    net = results.network
    summary = results.summary
    # Teardowns still on their way at the end are no leak: let them land (10 ms is far above
    # any path's latency here, jitter and the links' last rounds included), then look at the
    # connections that had ended by the end of the run.
    end = net.now_ps
    net.ledger.stream_to(lambda pair: None)
    net.run(0.01)
    assert net.leaks(finished_by_ps=end) == []
    for c in summary["connections"]:
        assert c["status"] in ("done", "up", "failed", "pending"), c
        if c["status"] in ("failed", "pending"):
            assert c["detail"], c  # a user is told why
        if c["status"] == "done" and c["pairs_delivered"] >= 2:
            # Done means the target was met by the mean true fidelity of what was delivered,
            # to numerical precision (a plan whose estimate ties the target delivers it less
            # nanoseconds of decoherence), or within the sampling spread of pairs whose waits
            # are random (three standard errors of the mean).
            lo, hi = c["fidelity_ci"]
            spread = 3 * (hi - lo) / (2 * 1.96)
            assert c["fidelity_mean"] >= c["fidelity_target"] - max(1e-6, spread), c
        if c["status"] == "up" and c["plan"] is not None:
            # An accepted plan delivers: a connection up for 50 times its estimated time per
            # pair (estimates are pessimistic) has delivered something (P(none) ~ e^-50).
            up = next(e.t_ps for e in net.reports()[c["id"]].events if e.kind == "up")
            expected = c["plan"]["estimated_rate_hz"] * (end - up) * 1e-12
            assert expected < 50 or c["pairs_delivered"] > 0, c
    if again:
        assert _comparable(run(load_scenario(data)).summary) == _comparable(summary)
    return summary


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_random_valid_scenarios_keep_the_invariants(data: dict[str, Any]) -> None:
    check_invariants(data)


@settings(max_examples=max(1, EXAMPLES // 10), deadline=None)
@given(scenarios())
def test_the_same_seed_gives_the_same_summary(data: dict[str, Any]) -> None:
    check_invariants(data, again=True)
