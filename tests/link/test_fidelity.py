"""Fidelity at herald time and after storage agrees with the closed forms; dark counts, fibre
noise, emission fidelity and single-click heralding lower it by the predicted amounts."""

from __future__ import annotations

import math

import pytest

from qrna.hardware import BSA, EPPS, QNIC, Fibre, Node, NodeType
from qrna.link import LinkSimulation, LinkSpec, LinkType, herald_model, single_click_state
from qrna.physics import BellDiagonal, swap
from tests.link.conftest import link

TOL = 1e-9
C_KM = Fibre(1.0).delay_s  # one-way delay of 1 km


def _dephased(f_total_s: float, t2: float) -> float:
    """Φ+ whose halves dephased for a total of f_total_s at T2: (1 + e^{−t/T2})/2."""
    return (1 + math.exp(-f_total_s / t2)) / 2


# Memory time from emission (or absorption) until both ends hold the pair, summed over the two
# halves, for a link of length L: MIM: each memory waits L/c (photon to the middle, herald
# back); MM: a's photon crosses (L/c) and the herald returns (L/c) while b's memory, emitting
# as the photon arrives, waits L/c for a to know; MSM: each memory waits for the other's
# absorption herald, L/c.
STORED = {"MIM": 2.0, "MM": 3.0, "MSM": 2.0}


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
@pytest.mark.parametrize("kind", ["MIM", "MM", "MSM"])
def test_fidelity_at_herald_and_after_storage(kind: str, backend: str) -> None:
    length, t2, hold = 20.0, 0.01, 0.003
    spec = link(kind, length, 1, t2_s=t2)
    result = LinkSimulation(spec, seed=3, backend=backend, record_fidelity=True, hold_s=hold).run(
        0.1
    )
    stored = STORED[kind] * length * C_KM
    assert len(result.fidelity_at_herald) > 10
    assert result.fidelity_at_herald == pytest.approx(
        [_dephased(stored, t2)] * len(result.fidelity_at_herald), abs=TOL
    )
    assert result.fidelity_after_hold == pytest.approx(
        [_dephased(stored + 2 * hold, t2)] * len(result.fidelity_after_hold), abs=TOL
    )


def test_t1_decay_exact_in_density_matrix_and_twirled_in_bell_diagonal() -> None:
    """Symmetric MIM: both halves stored t = L/c with T1 = 0.02 s, T2 = 0.01 s. Exact:
    [1 + (1 − a)² + a²]/4 + e^{−2t/T2}/2; the twirl gives (1 + a² + 2e^{−2t/T2})/4."""
    length, t1, t2 = 50.0, 0.02, 0.01
    a_node = Node("a", NodeType.COMP, (QNIC(1, t1_s=t1, t2_s=t2),))
    b_node = Node("b", NodeType.COMP, (QNIC(1, t1_s=t1, t2_s=t2),))
    spec = LinkSpec(a_node, b_node, LinkType.MIM, Fibre(length))
    t = length * C_KM
    a = math.exp(-t / t1)
    e2 = math.exp(-2 * t / t2)
    exact = LinkSimulation(spec, seed=1, backend="density_matrix", record_fidelity=True).run(0.01)
    fast = LinkSimulation(spec, seed=1, record_fidelity=True).run(0.01)
    assert exact.fidelity_at_herald[0] == pytest.approx(
        (1 + (1 - a) ** 2 + a * a) / 4 + e2 / 2, abs=TOL
    )
    assert fast.fidelity_at_herald[0] == pytest.approx((1 + a * a + 2 * e2) / 4, abs=TOL)


def test_multi_memory_mean_fidelity_between_the_bin_extremes() -> None:
    """With 50 bins 10 ns apart a pair may wait up to 49 bins longer for its train's herald."""
    length, t2 = 20.0, 1e-3
    result = LinkSimulation(link("MIM", length, 50, t2_s=t2), seed=2, record_fidelity=True).run(
        0.005
    )
    stored = 2 * length * C_KM
    best, worst = _dephased(stored, t2), _dephased(stored + 2 * 49 * 10e-9, t2)
    assert all(worst - TOL <= f <= best + TOL for f in result.fidelity_at_herald)
    assert len(result.fidelity_at_herald) > 500


@pytest.mark.parametrize("kind", ["MIM", "MM"])
def test_dark_counts_lower_fidelity_by_the_predicted_amount(kind: str) -> None:
    """Double-click heralding with efficiency η per arm and dark-count probability d:
    p_true = ½·η_a·η_b·(1−d)², p_false = [η_a(1−η_b) + (1−η_a)η_b]·2d(1−d)² +
    (1−η_a)(1−η_b)·4d²(1−d)², F = (p_true + p_false/4)/(p_true + p_false)."""
    d, length, eta_d = 1e-3, 50.0, 0.9
    spec = link(kind, length, 1, bsa=BSA(detector_efficiency=eta_d, dark_count_probability=d))
    t = Fibre(length).transmittance
    eta_a, eta_b = ((eta_d * math.sqrt(t),) * 2) if kind == "MIM" else (eta_d * t, eta_d)
    p_true = 0.5 * eta_a * eta_b * (1 - d) ** 2
    p_false = (eta_a * (1 - eta_b) + (1 - eta_a) * eta_b) * 2 * d * (1 - d) ** 2 + (1 - eta_a) * (
        1 - eta_b
    ) * 4 * d * d * (1 - d) ** 2
    model = herald_model(spec)
    assert model.p_success == pytest.approx(p_true + p_false, rel=1e-12)
    predicted = (p_true + p_false / 4) / (p_true + p_false)
    assert model.fidelity == pytest.approx(predicted, abs=TOL)
    assert 1 - predicted > 0.001  # the dark counts matter at this length
    result = LinkSimulation(spec, seed=4, record_fidelity=True).run(0.05)
    assert result.fidelity_at_herald == pytest.approx(
        [predicted] * len(result.fidelity_at_herald), abs=TOL
    )


def test_msm_dark_counts_and_source_fidelity() -> None:
    d, ps, fs, length = 1e-4, 0.2, 0.97, 40.0
    spec = link(
        "MSM",
        length,
        1,
        epps=EPPS(pair_probability=ps, source_fidelity=fs, dark_count_probability=d),
    )
    eta = math.sqrt(Fibre(length).transmittance)
    h = eta + (1 - eta) * d
    p_true = ps * eta * eta
    p_all = ps * h * h + (1 - ps) * d * d
    model = herald_model(spec)
    assert model.p_success == pytest.approx(p_all, rel=1e-12)
    w = (p_all - p_true) / p_all
    assert model.fidelity == pytest.approx((1 - w) * fs + w / 4, abs=TOL)


def test_emission_fidelity_and_fibre_noise() -> None:
    fe, per_km, length = 0.96, 0.002, 20.0
    a = Node("a", NodeType.COMP, (QNIC(1, emission_fidelity=fe),))
    b = Node("b", NodeType.COMP, (QNIC(1, emission_fidelity=fe),))
    spec = LinkSpec(a, b, LinkType.MIM, Fibre(length, pauli_error_per_km=per_km))
    swapped = swap(BellDiagonal.werner(fe), BellDiagonal.werner(fe)).fidelity
    q = (1 - per_km) ** (length / 2)  # each photon crosses half the fibre undepolarised
    assert herald_model(spec).fidelity == pytest.approx(0.25 + (swapped - 0.25) * q * q, abs=TOL)


@pytest.mark.parametrize("theta", [0.05, 0.1, 0.3])
@pytest.mark.parametrize("d", [0.0, 1e-4])
def test_single_click_exact_expressions(theta: float, d: float) -> None:
    """Symmetric arms of efficiency η, visibility 1: one photon heralds Ψ (probability
    2θ(1−θ)η(1−d)); two bright memories herald |11⟩ (θ²(2η − η²)(1−d)); a dark count with no
    photon heralds the memories' diagonal state (2d(1−d)·[(1−θ)² + 2θ(1−θ)(1−η) + θ²(1−η)²]).
    F = [2θ(1−θ)η(1−d) + 2d(1−d)·θ(1−θ)(1−η)]/p."""
    length, eta_d = 30.0, 0.8
    eta = eta_d * math.sqrt(Fibre(length).transmittance)
    p = (1 - d) * (2 * theta * (1 - theta) * eta + theta**2 * (2 * eta - eta * eta)) + 2 * d * (
        1 - d
    ) * ((1 - theta) ** 2 + 2 * theta * (1 - theta) * (1 - eta) + theta**2 * (1 - eta) ** 2)
    f = (
        2 * theta * (1 - theta) * eta * (1 - d) + 2 * d * (1 - d) * theta * (1 - theta) * (1 - eta)
    ) / p
    p_model, _, state = single_click_state(theta, eta, eta, d, 1.0)
    assert p_model == pytest.approx(p, rel=1e-12)
    assert state.fidelity == pytest.approx(f, abs=TOL)
    spec = link(
        "MIM",
        length,
        1,
        bsa=BSA(detector_efficiency=eta_d, dark_count_probability=d),
        heralding="single_click",
        bright_state_population=theta,
    )
    model = herald_model(spec)
    assert model.p_success == pytest.approx(p, rel=1e-12)
    assert model.state_dm.fidelity == pytest.approx(f, abs=TOL)
    assert model.state.fidelity == pytest.approx(f, abs=TOL)  # the twirl keeps F
    exact = LinkSimulation(spec, seed=6, backend="density_matrix", record_fidelity=True)
    assert exact.run(0.05).fidelity_at_herald[0] == pytest.approx(f, abs=TOL)


def test_single_click_trades_rate_for_fidelity_through_theta() -> None:
    models = [
        herald_model(link("MIM", 20.0, 1, heralding="single_click", bright_state_population=t))
        for t in (0.02, 0.05, 0.1, 0.2)
    ]
    rates = [m.p_success for m in models]
    fids = [m.fidelity for m in models]
    assert rates == sorted(rates)
    assert fids == sorted(fids, reverse=True)
    for theta, m in zip((0.02, 0.05, 0.1, 0.2), models, strict=True):
        assert m.fidelity == pytest.approx(1 - theta, abs=0.6 * theta)  # ≈ 1 − θ (physics.md)
