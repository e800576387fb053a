"""A connection's fidelity summary (``_mean_ci``): the mean of the per-pair fidelities and its
95 % normal interval mean ∓ 1.96·s/√n, clipped to [0, 1]; no interval from fewer than two
values, and nothing at all from none."""

from __future__ import annotations

import math
import statistics

import pytest

from qrna.apps import RunningStats
from qrna.scenario._run import _mean_ci


def _stats(*values: float) -> RunningStats:
    s = RunningStats()
    for x in values:
        s.add(x)
    return s


def test_no_values_give_no_mean_and_no_interval() -> None:
    mean, (lo, hi) = _mean_ci(_stats())
    assert math.isnan(mean)
    assert math.isnan(lo)
    assert math.isnan(hi)


def test_one_value_is_the_mean_without_an_interval() -> None:
    mean, (lo, hi) = _mean_ci(_stats(0.83))
    assert mean == 0.83
    assert math.isnan(lo)
    assert math.isnan(hi)


def test_the_interval_is_the_mean_plus_minus_1_96_standard_errors() -> None:
    values = (0.81, 0.86, 0.78, 0.9, 0.84)
    mean, (lo, hi) = _mean_ci(_stats(*values))
    m, s = statistics.fmean(values), statistics.stdev(values)
    half = 1.96 * s / math.sqrt(len(values))
    assert mean == pytest.approx(m, rel=1e-12)
    assert lo == pytest.approx(m - half, rel=1e-12)
    assert hi == pytest.approx(m + half, rel=1e-12)


def test_the_interval_is_clipped_to_zero_and_one() -> None:
    mean, (lo, hi) = _mean_ci(_stats(0.02, 0.99))  # half-width 1.96·0.686/√2 ≈ 0.95
    assert mean == pytest.approx(0.505, rel=1e-12)
    assert (lo, hi) == (0.0, 1.0)
    mean, (lo, hi) = _mean_ci(_stats(0.97, 0.99, 1.0))
    half = 1.96 * statistics.stdev((0.97, 0.99, 1.0)) / math.sqrt(3)
    assert lo == pytest.approx(mean - half, rel=1e-12)
    assert mean + half > 1.0
    assert hi == 1.0
