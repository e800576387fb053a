"""A connection's summary line (``_connections``) from what the network reports: the rate is
N/T over the time T it was up (to its end, or to now, or to its last pair if later), with the
normal interval N/T ∓ 1.96·√N/T clipped at 0, the exact Poisson upper bound −ln(0.025)/T when
no pair came, and no interval at all when it was never up; the detail of a failed or pending
connection is its last refusal, else where its setup stands."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from qrna.apps import RunningStats
from qrna.control import ConnectionEvent, ConnectionReport, Plan
from qrna.scenario._pairs import ConnectionPairs
from qrna.scenario._run import _connections

PS = 10**12


def _report(cid: str, status: str, *events: tuple[str, float, str]) -> ConnectionReport:
    evs = tuple(ConnectionEvent(cid, kind, round(t * PS), d) for kind, t, d in events)  # type: ignore[arg-type]
    return ConnectionReport(cid, "a", "b", 0.9, status, ("a", "b"), 1, 0, (), evs)


def _pairs(last_s: float, *fidelities: float) -> ConnectionPairs:
    f, latency = RunningStats(), RunningStats()
    for x in fidelities:
        f.add(x)
        latency.add(0.001)
    return ConnectionPairs(f, latency, round(last_s * PS))


def _summary(
    report: ConnectionReport,
    pairs: ConnectionPairs | None,
    now_s: float = 10.0,
    plan: Plan | None = None,
    progress: str = "setup attempt 1 on its way, not answered yet",
) -> Any:
    network = SimpleNamespace(
        reports=lambda: {report.connection: report},
        now_ps=round(now_s * PS),
        progress=lambda cid: progress,
        plans={} if plan is None else {report.connection: plan},
        sublinks=SimpleNamespace(connection_counts=lambda cid: (0, 0)),
        engines={},
        below=lambda cid: [],  # one network: no layers below
    )
    mine = {} if pairs is None else {report.connection: pairs}
    (line,) = _connections(network, {report.connection: ("pairs", None)}, mine)  # type: ignore[arg-type]
    return line


def test_never_up_has_rate_zero_and_no_interval() -> None:
    c = _summary(_report("c", "failed", ("failed", 1.0, "no_route: none")), None)
    assert c["rate_hz"] == 0.0
    assert all(math.isnan(x) for x in c["rate_ci_hz"])
    assert c["pairs_delivered"] == 0
    assert c["detail"] == "no_route: none"


def test_up_without_pairs_has_the_exact_poisson_upper_bound() -> None:
    c = _summary(_report("c", "done", ("up", 2.0, ""), ("done", 6.0, "")), None)
    assert c["rate_hz"] == 0.0
    assert c["rate_ci_hz"] == [0.0, pytest.approx(-math.log(0.025) / 4.0, rel=1e-12)]
    assert math.isnan(c["fidelity_mean"])


def test_one_pair_has_the_normal_interval_clipped_at_zero() -> None:
    c = _summary(_report("c", "done", ("up", 2.0, ""), ("done", 6.0, "")), _pairs(5.0, 0.9))
    assert c["rate_hz"] == pytest.approx(1 / 4.0, rel=1e-12)
    assert c["rate_ci_hz"] == [0.0, pytest.approx(2.96 / 4.0, rel=1e-12)]
    assert c["fidelity_mean"] == 0.9


def test_time_up_runs_to_the_end_or_now_or_the_last_pair_if_later() -> None:
    done = _report("c", "done", ("up", 2.0, ""), ("done", 6.0, ""))
    assert _summary(done, _pairs(5.0, 0.9, 0.8))["rate_hz"] == pytest.approx(2 / 4.0, rel=1e-12)
    assert _summary(done, _pairs(7.0, 0.9, 0.8))["rate_hz"] == pytest.approx(2 / 5.0, rel=1e-12)
    still_up = _report("c", "up", ("up", 2.0, ""))
    c = _summary(still_up, _pairs(5.0, *[0.9] * 9), now_s=8.0)
    assert c["rate_hz"] == pytest.approx(9 / 6.0, rel=1e-12)
    half = 1.96 * 3 / 6.0
    assert c["rate_ci_hz"] == [
        pytest.approx(1.5 - half, rel=1e-12),
        pytest.approx(1.5 + half, rel=1e-12),
    ]
    assert c["detail"] == ""


def test_a_failed_or_pending_connection_says_why() -> None:
    refused = _report(
        "c", "failed", ("rejected", 1.0, "no_resources: x"), ("failed", 2.0, "no_route: y")
    )
    assert _summary(refused, None)["detail"] == "no_route: y"
    retrying = _report("c", "pending", ("rejected", 1.0, "no_resources: x"))
    assert _summary(retrying, None)["detail"] == "no_resources: x"
    asked = _report("c", "pending")
    assert _summary(asked, None)["detail"] == "setup attempt 1 on its way, not answered yet"
    # A request its initiator had not sent yet when the run ended (no progress to tell).
    late = _summary(asked, None, progress="")
    assert late["detail"] == "not started before the run ended"


def test_the_plan_is_reported_as_the_generator_made_it() -> None:
    plan = Plan(
        "dejmps",
        2,
        "nested",
        "bbpssw",
        1,
        0.0125,
        0.8675,
        431.5,
        segment_rounds=(0, 2),
        segment_schemes=("dejmps", "double_z"),
        twirl=True,
    )
    c = _summary(_report("c", "up", ("up", 2.0, "")), None, plan=plan)
    assert c["plan"] == {
        "link_purification": "2 x dejmps",
        "swap_order": "nested",
        "segment_purification": ["0 x dejmps", "2 x double_z"],
        "e2e_purification": "1 x bbpssw",
        "discard_after_s": 0.0125,
        "estimated_fidelity": 0.8675,
        "estimated_rate_hz": 431.5,
        "best_effort": False,
        "twirl": True,
    }
    assert _summary(_report("c", "up", ("up", 2.0, "")), None)["plan"] is None
