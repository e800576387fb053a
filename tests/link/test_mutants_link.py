"""Link-layer physics and statistics against closed forms where a mistake stays plausible:
single-click heralding at visibility below 1, link monitoring of a state whose Ψ− and Ψ+
weights differ, the exact width of the monitored rate's interval, and the Wilson interval."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from qrna.apps import binomial_ci
from qrna.link import LinkMonitor, single_click_state
from qrna.physics import BellDiagonal, measurement_probabilities

PS = 1_000_000_000_000
Z95 = NormalDist().inv_cdf(0.975)


@pytest.mark.parametrize(
    ("theta", "eta_a", "eta_b", "d", "v"),
    [(0.1, 0.3, 0.2, 0.0, 0.8), (0.2, 0.5, 0.1, 0.0, 0.5), (0.05, 0.4, 0.4, 1e-3, 0.9)],
)
def test_single_click_state_at_visibility_below_one(
    theta: float, eta_a: float, eta_b: float, d: float, v: float
) -> None:
    """One bright memory (θ(1−θ) each side) clicks with η_a or η_b; the two paths interfere
    with visibility V, so the |01⟩–|10⟩ coherence is θ(1−θ)·V·√(η_a η_b) (V is the probability
    the photons are indistinguishable: the double-click model dephases with (1 − V)/2 and HOM
    bunching has (1 + V)/2 below, the same convention). Both bright: one click unless both are
    seen and leave by different ports, θ²[η_a(1−η_b) + (1−η_a)η_b + η_a η_b (1+V)/2]. A dark
    count (2d(1−d)) with no photon seen heralds the memories' diagonal state. After X on b,
    F = {(1−d)θ(1−θ)[(η_a+η_b)/2 + V√(η_a η_b)] + d(1−d)θ(1−θ)(2 − η_a − η_b)}/p."""
    one = (1 - d) * theta * (1 - theta)
    bright = (
        theta**2
        * (1 - d)
        * (eta_a * (1 - eta_b) + (1 - eta_a) * eta_b + eta_a * eta_b * (1 + v) / 2)
    )
    dark = (
        2
        * d
        * (1 - d)
        * (
            (1 - theta) ** 2
            + theta * (1 - theta) * ((1 - eta_a) + (1 - eta_b))
            + theta**2 * (1 - eta_a) * (1 - eta_b)
        )
    )
    p = one * (eta_a + eta_b) + bright + dark
    coherence = one * v * math.sqrt(eta_a * eta_b) / p
    # A dark count with one memory bright and its photon lost leaves |01⟩ or |10⟩: weight ½
    # on Φ+ after the correction, with no coherence.
    one_dark = 2 * d * (1 - d) * theta * (1 - theta) * ((1 - eta_a) + (1 - eta_b))
    fidelity = (one * ((eta_a + eta_b) / 2 + v * math.sqrt(eta_a * eta_b)) + one_dark / 2) / p
    got_p, got_true, state = single_click_state(theta, eta_a, eta_b, d, v)
    assert got_p == pytest.approx(p, rel=1e-12)
    assert got_true == pytest.approx(one * (eta_a + eta_b), rel=1e-12)
    m = np.asarray(state.matrix)
    assert m[0, 3].real == pytest.approx(coherence, abs=1e-12)  # ⟨00|ρ|11⟩ after X on b
    assert m[3, 0].real == pytest.approx(coherence, abs=1e-12)
    assert state.fidelity == pytest.approx(fidelity, abs=1e-12)
    assert state.twirl().fidelity == pytest.approx(fidelity, abs=1e-12)


def test_link_monitor_tells_psi_minus_from_psi_plus() -> None:
    """Pairs of a non-Werner state (Φ+, Ψ−, Ψ+, Φ−) = (0.70, 0.04, 0.20, 0.06), 6000 per basis
    measured at both ends (seed 11). Each weight is (1 ± E_X ± E_Y ± E_Z)/4, with standard
    error √(Σ_b (1 − E_b²)/n)/4 ≈ 0.004; every estimated weight is within 4 of them of the
    truth (Ψ− and Ψ+ differ by 0.16, 40 standard errors)."""
    truth = (0.70, 0.04, 0.20, 0.06)
    state = BellDiagonal.from_weights(truth)
    rng = np.random.default_rng(11)
    monitor = LinkMonitor()
    n = 6000
    var = 0.0
    for basis in ("X", "Y", "Z"):
        probs = measurement_probabilities(state, (basis, basis)).ravel()
        e = probs[0] + probs[3] - probs[1] - probs[2]
        var += (1 - e * e) / n
        for outcome in rng.choice(4, size=n, p=probs):
            monitor.observe_result(basis, int(outcome) // 2, int(outcome) % 2)
    se = math.sqrt(var) / 4
    assert 0.003 < se < 0.005
    est = monitor.estimate()
    assert est.samples == 3 * n
    assert est.state is not None
    for got, want in zip(est.state.as_tuple(), truth, strict=True):
        assert abs(got - want) < 4 * se, (est.state.as_tuple(), truth, se)
    assert abs(est.fidelity - truth[0]) < 4 * se


@pytest.mark.parametrize(("heralds", "window_ps"), [(400, PS // 2), (10_000, 2 * PS), (9, PS)])
def test_monitored_rate_interval_is_the_poisson_width(heralds: int, window_ps: int) -> None:
    """n heralds in a window of W seconds: rate n/W with the normal Poisson interval
    n/W ± z·√n/W (z = 1.95996…), so the interval is exactly 2z√n/W wide around the rate (the
    lower edge is not clipped for these n)."""
    monitor = LinkMonitor()
    monitor.observe_heralds(window_ps // 4, heralds - 1)
    monitor.observe_heralds(window_ps, 1)
    est = monitor.estimate()
    window = window_ps * 1e-12
    lo, hi = est.rate_ci_hz
    assert est.rate_hz == pytest.approx(heralds / window, rel=1e-12)
    assert hi - lo == pytest.approx(2 * Z95 * math.sqrt(heralds) / window, rel=1e-9)
    assert (lo + hi) / 2 == pytest.approx(heralds / window, rel=1e-12)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (37, 120), (500, 1000)])
def test_wilson_interval_matches_the_hand_computed_one(k: int, n: int) -> None:
    """Wilson score interval of k successes in n trials, written as
    [2k + z² ± z√(z² + 4k(n−k)/n)] / (2(n + z²)) (the solutions of |p̂ − p| = z√(p(1−p)/n))."""
    z = 1.96
    root = z * math.sqrt(z * z + 4 * k * (n - k) / n)
    lo = (2 * k + z * z - root) / (2 * (n + z * z))
    hi = (2 * k + z * z + root) / (2 * (n + z * z))
    got = binomial_ci(k, n)
    assert got == pytest.approx((max(0.0, lo), min(1.0, hi)), abs=1e-12)


def test_wilson_interval_with_no_successes_in_ten() -> None:
    """0 of 10: the interval is [0, z²/(n + z²)] = [0, 3.8416/13.8416] = [0, 0.277540…]."""
    lo, hi = binomial_ci(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12)
    assert hi == pytest.approx(3.8416 / 13.8416, abs=1e-12)
    assert hi == pytest.approx(0.277540, abs=1e-6)
