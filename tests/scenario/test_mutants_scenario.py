"""A connection's summary numbers recomputed from its delivered pairs (``pairs_table()``) and
the time it was up: the rate is N / T, its interval N/T ± 1.96·√N / T, and the fidelity's
interval the mean ± 1.96·s/√n of the per-pair fidelities (s: the sample deviation)."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import pytest

from qrna.scenario import load_scenario, run
from tests._scope import per_module

REL = 1e-9


@pytest.fixture(
    scope=per_module,
    params=[["traffic.0.pairs=200"], ["traffic.0.pairs=1000000", "simulation.duration_s=0.02"]],
    ids=["done", "up-at-the-end"],
)
def connection(request: pytest.FixtureRequest) -> tuple[dict, list[dict], float]:  # type: ignore[type-arg]
    """The chain preset's connection, its delivered pairs, and the seconds it was up: from its
    "up" event to its teardown (or the run's end), or to the last pair's delivery if later."""
    r = run(load_scenario("chain", request.param))
    c = r.summary["connections"][0]
    rows = [p for p in r.pairs if p["connection"] == c["id"]]
    events = r.network.reports()[c["id"]].events
    up = next(e.t_ps for e in events if e.kind == "up")
    end = next((e.t_ps for e in events if e.kind in ("done", "failed")), r.network.now_ps)
    stop = max([end] + [p["delivered_ps"] for p in rows])
    return c, rows, (stop - up) * 1e-12


def test_rate_is_the_pairs_delivered_over_the_time_up(connection) -> None:  # type: ignore[no-untyped-def]
    """rate_hz = N / T exactly, N counted in the pairs table (not one more or less)."""
    c, rows, active = connection
    n = len(rows)
    assert n >= 150
    assert c["pairs_delivered"] == n
    assert c["rate_hz"] == pytest.approx(n / active, rel=REL)
    assert c["rate_hz"] != pytest.approx((n - 1) / active, rel=1e-6)
    assert c["rate_hz"] != pytest.approx((n + 1) / active, rel=1e-6)


def test_rate_interval_is_the_poisson_normal_interval(connection) -> None:  # type: ignore[no-untyped-def]
    """rate_ci_hz = N/T ∓ 1.96·√N/T: both edges, and so the width 2·1.96·√N/T."""
    c, rows, active = connection
    n = len(rows)
    lo, hi = c["rate_ci_hz"]
    half = 1.96 * math.sqrt(n) / active
    assert n / active - half > 0  # not clipped at 0
    assert lo == pytest.approx(n / active - half, rel=REL)
    assert hi == pytest.approx(n / active + half, rel=REL)
    assert hi - lo == pytest.approx(2 * half, rel=1e-6)


def test_fidelity_interval_is_the_normal_interval_of_the_mean(connection) -> None:  # type: ignore[no-untyped-def]
    """fidelity_ci = mean ∓ 1.96·s/√n of the per-pair true fidelities (none clipped at 1
    here), and fidelity_mean their mean."""
    c, rows, _ = connection
    f = [p["fidelity"] for p in rows]
    mean, s = statistics.fmean(f), statistics.stdev(f)
    half = 1.96 * s / math.sqrt(len(f))
    assert s > 1e-4  # the pairs differ: the interval has a width to check
    assert mean + half < 1.0
    assert c["fidelity_mean"] == pytest.approx(mean, rel=REL)
    lo, hi = c["fidelity_ci"]
    assert lo == pytest.approx(mean - half, rel=REL)
    assert hi == pytest.approx(mean + half, rel=REL)
    assert hi - lo == pytest.approx(2 * half, rel=1e-6)


def test_latency_is_the_mean_of_delivery_minus_creation(connection) -> None:  # type: ignore[no-untyped-def]
    """latency_s_mean = mean(delivered − created) over the pairs table, and each row's
    latency_s is its own delivered − created."""
    c, rows, _ = connection
    latencies = [(p["delivered_ps"] - p["created_ps"]) * 1e-12 for p in rows]
    assert min(latencies) > 0
    for p, latency in zip(rows, latencies, strict=True):
        assert p["latency_s"] == pytest.approx(latency, rel=REL)
    assert c["latency_s_mean"] == pytest.approx(statistics.fmean(latencies), rel=REL)


@pytest.mark.parametrize("app", ["pairs", "teleport"])
def test_traffic_starts_at_its_start_time_whatever_its_app(app: str) -> None:
    """traffic.start_s = 4 ms: the request leaves then, for the plain pair service as for an
    application, so everything the connection does happens after 4 ms (the default is 1 ms)."""
    s = load_scenario(
        "chain",
        [
            "topology.nodes=3",
            "traffic.0.responder=n2",
            f"traffic.0.app={app}",
            "traffic.0.pairs=3",
            "traffic.0.start_s=0.004",
            "simulation.duration_s=0.02",
        ],
    )
    r = run(s)
    (c,) = r.summary["connections"]
    assert c["status"] == "done"
    events = r.network.reports()[c["id"]].events
    assert events
    assert min(e.t_ps for e in events) > 4 * 10**9


def test_the_pair_file_is_a_hidden_parquet_file_in_pairs_dir(tmp_path: Path) -> None:
    """The per-pair file goes where asked, hidden and named for what it is (the CLI puts it
    beside the results folder, and a crash leaves it recognisable: ``.qrna-pairs-*.parquet``)."""
    s = load_scenario("chain", ["topology.nodes=3", "traffic.0.responder=n2"])
    r = run(s, pairs_dir=tmp_path)
    f = r.pairs_file
    assert f.parent == tmp_path
    assert f.name.startswith(".qrna-pairs-")
    assert f.name.endswith(".parquet")
    assert list(tmp_path.iterdir()) == [f]
