"""Every closed form and worked example of reference/physics.md, reproduced to 1e-9, in both
backends wherever the formula holds for both."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

from qrna.physics import (
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    decohere,
    depolarize,
    measurement_probabilities,
    memory_pauli_twirl,
    pauli_channel,
    purify,
    swap,
    swap_sampled,
)
from qrna.physics._swap import _dm_branches
from tests.physics.conftest import both, weights

TOL = 1e-9
BACKENDS = [BellDiagonal, DensityMatrix]


def make(backend: type, bd: BellDiagonal) -> BellDiagonal | DensityMatrix:
    return bd if backend is BellDiagonal else DensityMatrix.from_bell_diagonal(bd)


# -- conventions --------------------------------------------------------------------------


def test_werner_state_and_parameter() -> None:
    bd = BellDiagonal.werner(0.7)
    g = 0.1
    assert bd.as_tuple() == pytest.approx((0.7, g, g, g), abs=1e-15)
    assert bd.werner_parameter == pytest.approx((4 * 0.7 - 1) / 3, abs=1e-15)


def test_pauli_error_on_one_half_maps_phi_plus_as_documented() -> None:
    # I→Φ+, X→Ψ+, Z→Φ−, Y→Ψ−, on either half, in the density-matrix backend.
    expected = {"X": (0, 0, 1, 0), "Z": (0, 0, 0, 1), "Y": (0, 1, 0, 0)}
    for pauli, target in expected.items():
        probs = {"X": (1.0, 0, 0), "Y": (0, 1.0, 0), "Z": (0, 0, 1.0)}[pauli]
        for half in ((0,), (1,)):
            out = pauli_channel(DensityMatrix.perfect(), probs, half)  # type: ignore[arg-type]
            assert out.bell_weights() == pytest.approx(target, abs=TOL)
            bd_out = pauli_channel(BellDiagonal.perfect(), probs, half)  # type: ignore[arg-type]
            assert bd_out.as_tuple() == pytest.approx(target, abs=TOL)


# -- swapping -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_werner_swap_example(backend: type) -> None:
    out = swap(make(backend, BellDiagonal.werner(0.9)), make(backend, BellDiagonal.werner(0.9)))
    assert out.fidelity == pytest.approx(0.8133333333, abs=TOL)


@pytest.mark.parametrize(("f1", "f2"), [(0.9, 0.9), (0.95, 0.7), (0.6, 0.5), (1.0, 0.3)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_werner_swap_closed_form(backend: type, f1: float, f2: float) -> None:
    out = swap(make(backend, BellDiagonal.werner(f1)), make(backend, BellDiagonal.werner(f2)))
    assert out.fidelity == pytest.approx(f1 * f2 + (1 - f1) * (1 - f2) / 3, abs=TOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bell_diagonal_swap_example(backend: type) -> None:
    a = make(backend, BellDiagonal(0.85, 0.05, 0.07, 0.03))
    b = make(backend, BellDiagonal(0.90, 0.02, 0.03, 0.05))
    assert weights(swap(a, b)) == pytest.approx((0.7696, 0.0664, 0.0916, 0.0724), abs=TOL)


def _chain_sequential(pairs: list) -> object:  # type: ignore[type-arg]
    out = pairs[0]
    for p in pairs[1:]:
        out = swap(out, p)
    return out


def _chain_nested(pairs: list) -> object:  # type: ignore[type-arg]
    while len(pairs) > 1:
        pairs = [swap(a, b) for a, b in zip(pairs[0::2], pairs[1::2], strict=True)]
    return pairs[0]


@pytest.mark.parametrize("n", [2, 4, 8])
@pytest.mark.parametrize("order", [_chain_sequential, _chain_nested])
@pytest.mark.parametrize("backend", BACKENDS)
def test_n_werner_pairs_any_swap_order(backend: type, order, n: int) -> None:  # type: ignore[no-untyped-def]
    f = 0.93
    w = (4 * f - 1) / 3
    out = order([make(backend, BellDiagonal.werner(f)) for _ in range(n)])
    assert out.fidelity == pytest.approx(0.25 + 0.75 * w**n, abs=TOL)


@pytest.mark.parametrize("p_m", [0.0, 0.01, 0.1, 0.3])
@pytest.mark.parametrize("backend", BACKENDS)
def test_readout_flip_on_perfect_inputs(backend: type, p_m: float) -> None:
    pair = make(backend, BellDiagonal.perfect())
    out = swap(pair, pair, GateNoise(readout_error=p_m))
    assert out.fidelity == pytest.approx((1 - p_m) ** 2, abs=TOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cnot_error_in_swap_mixes_toward_maximally_mixed(backend: type) -> None:
    pair = make(backend, BellDiagonal.perfect())
    out = swap(pair, pair, GateNoise(cnot_error=0.2))
    assert out.fidelity == pytest.approx(0.8 + 0.2 / 4, abs=TOL)


@pytest.mark.parametrize("d", [1.0, 0.95, 0.5, 0.0])
@pytest.mark.parametrize("backend", BACKENDS)
def test_swap_degradation_mixes_each_weight_toward_a_quarter(backend: type, d: float) -> None:
    """A dephasing-dominated pair (weights 0.9, 0.01, 0.02, 0.07) swapped with a bit-flip-
    dominated one: with degradation d every Bell weight of the ideal swap's result w becomes
    d·w + (1 − d)/4 (each weight, not only the fidelity, so that no permutation passes)."""
    a = make(backend, BellDiagonal(0.9, 0.01, 0.02, 0.07))
    b = make(backend, BellDiagonal(0.85, 0.03, 0.1, 0.02))
    ideal = swap(a, b)
    out = swap(a, b, GateNoise(swap_degradation=d))
    assert weights(out) == pytest.approx([d * w + (1 - d) / 4 for w in weights(ideal)], abs=TOL)
    assert out.fidelity == pytest.approx(d * ideal.fidelity + (1 - d) / 4, abs=TOL)


def test_swap_degradation_leaves_the_bits_and_their_odds_alone() -> None:
    """Density matrices: the record (m1, m2) of a degraded swap is drawn with the same odds as
    an ideal one's (same generator draws, same bits), and each conditioned pair is the ideal
    conditioned pair mixed with I/4 by 1 − d."""
    a = DensityMatrix.from_bell_diagonal(BellDiagonal(0.9, 0.01, 0.02, 0.07))
    b = DensityMatrix.from_bell_diagonal(BellDiagonal(0.85, 0.03, 0.1, 0.02))
    for seed in range(6):
        ideal = swap_sampled(a, b, np.random.default_rng(seed))
        out = swap_sampled(a, b, np.random.default_rng(seed), GateNoise(swap_degradation=0.7))
        assert (out.bits, out.pauli_frame) == (ideal.bits, ideal.pauli_frame)
        want = 0.7 * ideal.state.matrix + 0.3 * np.eye(4) / 4
        assert np.allclose(out.state.matrix, want, atol=TOL)


@pytest.mark.parametrize("correct_at", ["a", "b"])
@pytest.mark.parametrize("d", [0.7, 0.0])
def test_swap_degradation_keeps_uneven_record_odds(d: float, correct_at: str) -> None:
    """Pairs that are not Bell-diagonal, sqrt(0.8)|00> + sqrt(0.2)|11>, whose Bell
    measurement is not uniform: the parity bit m2 reads 0 with probability 0.8² + 0.2² =
    0.68. A degraded swap keeps every record's probability exactly and mixes the pair
    conditioned on it with I/4 by 1 − d, on either side of the correction; averaged over
    the records, that is the averaged swap mixed the same way."""
    psi = np.array([math.sqrt(0.8), 0, 0, math.sqrt(0.2)])
    a = b = DensityMatrix(np.outer(psi, psi))
    noise = GateNoise(cnot_error=0.02, readout_error=0.01, swap_degradation=d)
    ideal = _dm_branches(a, b, GateNoise(cnot_error=0.02, readout_error=0.01), correct_at)
    out = _dm_branches(a, b, noise, correct_at)
    odds = {r: float(np.trace(m).real) for r, m in ideal.items()}
    assert odds[(0, 0)] + odds[(1, 0)] == pytest.approx(0.68, abs=0.02)  # uneven, not 1/2
    for record, m in out.items():
        p = odds[record]
        assert float(np.trace(m).real) == pytest.approx(p, abs=TOL)
        assert np.allclose(m / p, d * ideal[record] / p + (1 - d) * np.eye(4) / 4, atol=TOL)
    averaged = swap(a, b, noise, correct_at).matrix
    plain = swap(a, b, GateNoise(cnot_error=0.02, readout_error=0.01), correct_at).matrix
    assert np.allclose(averaged, d * plain + (1 - d) * np.eye(4) / 4, atol=TOL)


# -- purification -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_bbpssw_example(backend: type) -> None:
    pair = make(backend, BellDiagonal.werner(0.8))
    p, out = purify(pair, pair, "bbpssw")
    assert p == pytest.approx(0.7688888889, abs=TOL)
    assert out is not None
    assert out.fidelity == pytest.approx(0.8381502890, abs=TOL)


@pytest.mark.parametrize("f", [0.3, 0.55, 0.7, 0.95, 1.0])
@pytest.mark.parametrize("backend", BACKENDS)
def test_bbpssw_closed_form(backend: type, f: float) -> None:
    g = (1 - f) / 3
    p, out = purify(
        make(backend, BellDiagonal.werner(f)), make(backend, BellDiagonal.werner(f)), "bbpssw"
    )
    p_succ = f * f + 2 * f * g + 5 * g * g
    assert p == pytest.approx(p_succ, abs=TOL)
    assert out is not None
    assert weights(out) == pytest.approx(
        BellDiagonal.werner((f * f + g * g) / p_succ).as_tuple(), abs=TOL
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_dejmps_two_rounds_example(backend: type) -> None:
    pair = make(backend, BellDiagonal.werner(0.8))
    _, once = purify(pair, pair, "dejmps")
    assert once is not None
    assert once.fidelity == pytest.approx(0.8381502890, abs=TOL)
    _, twice = purify(once, once, "dejmps")
    assert twice is not None
    assert twice.fidelity == pytest.approx(0.9436392192, abs=TOL)


@pytest.mark.parametrize(
    "w",
    [(0.7, 0.1, 0.15, 0.05), (0.5, 0.3, 0.1, 0.1), (0.9, 0.0, 0.0, 0.1), (0.6, 0.05, 0.3, 0.05)],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_dejmps_closed_form(backend: type, w: tuple[float, float, float, float]) -> None:
    a, b, c, d = w
    pair = make(backend, BellDiagonal(*w))
    p, out = purify(pair, pair, "dejmps")
    n = (a + b) ** 2 + (c + d) ** 2
    assert p == pytest.approx(n, abs=TOL)
    assert out is not None
    expected = ((a * a + b * b) / n, 2 * c * d / n, (c * c + d * d) / n, 2 * a * b / n)
    assert weights(out) == pytest.approx(expected, abs=TOL)


# Single selection without rotation or twirl: derived by hand from the bilateral-CNOT algebra
# (which Pauli bits reach the measured pair, which copy back onto the kept one) and pinned here;
# the density-matrix backend, which runs the circuit itself, must agree.


def _single_x(k: tuple[float, ...], s: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    a1, b1, c1, d1 = k
    a2, b2, c2, d2 = s
    n = (a1 + d1) * (a2 + d2) + (b1 + c1) * (b2 + c2)
    out = (a1 * a2 + d1 * d2, b1 * c2 + c1 * b2, c1 * c2 + b1 * b2, a1 * d2 + d1 * a2)
    return n, tuple(x / n for x in out)


def _single_z(k: tuple[float, ...], s: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    a1, b1, c1, d1 = k
    a2, b2, c2, d2 = s
    n = (a1 + c1) * (a2 + c2) + (b1 + d1) * (b2 + d2)
    out = (a1 * a2 + c1 * c2, d1 * b2 + b1 * d2, a1 * c2 + c1 * a2, d1 * d2 + b1 * b2)
    return n, tuple(x / n for x in out)


@pytest.mark.parametrize(("scheme", "formula"), [("single_x", _single_x), ("single_z", _single_z)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_single_selection_closed_forms(backend: type, scheme: str, formula) -> None:  # type: ignore[no-untyped-def]
    keep = BellDiagonal(0.8, 0.05, 0.1, 0.05)
    sac = BellDiagonal(0.7, 0.12, 0.03, 0.15)
    p, out = purify(make(backend, keep), make(backend, sac), scheme)
    n, expected = formula(keep.as_tuple(), sac.as_tuple())
    assert p == pytest.approx(n, abs=TOL)
    assert out is not None
    assert weights(out) == pytest.approx(expected, abs=TOL)


def test_single_x_removes_bit_flips_and_single_z_phase_flips() -> None:
    bit_flipped = BellDiagonal(0.8, 0.0, 0.2, 0.0)
    _, out_x = purify(bit_flipped, bit_flipped, "single_x")
    assert out_x is not None
    assert out_x.fidelity == pytest.approx(0.64 / (0.64 + 0.04), abs=TOL)
    phase_flipped = BellDiagonal(0.8, 0.0, 0.0, 0.2)
    p_blind, out_blind = purify(phase_flipped, phase_flipped, "single_x")
    assert p_blind == pytest.approx(1.0, abs=TOL)  # Z errors pass undetected
    _, out_z = purify(phase_flipped, phase_flipped, "single_z")
    assert out_z is not None
    assert out_blind is not None
    assert out_z.fidelity == pytest.approx(0.64 / (0.64 + 0.04), abs=TOL)


# Double selection: an independent derivation by enumerating the 64 Pauli-error combinations of
# (keep, s1, s2) by hand-written bit rules for the circuits in qrna.physics._schemes.
_BITS = {0: (0, 0), 1: (1, 1), 2: (1, 0), 3: (0, 1)}  # Bell index → (x, z) of its Pauli error
_INDEX = {v: k for k, v in _BITS.items()}


def _double(scheme: str, pairs: list[tuple[float, ...]]) -> tuple[float, list[float]]:
    out = [0.0] * 4
    for i in range(4):
        for j in range(4):
            for k in range(4):
                (x1, z1), (x2, z2), (x3, z3) = _BITS[i], _BITS[j], _BITS[k]
                if scheme == "double_x":  # CNOT 1→2, CNOT 3→2; s1 in Z, s2 in X
                    ok = (x1 ^ x2 ^ x3) == 0 and (z2 ^ z3) == 0
                    result = (x1, z1 ^ z2)
                else:  # double_z: CNOT 2→1, CNOT 2→3; s1 in X, s2 in Z
                    ok = (z1 ^ z2 ^ z3) == 0 and (x2 ^ x3) == 0
                    result = (x1 ^ x2, z1)
                if ok:
                    out[_INDEX[result]] += pairs[0][i] * pairs[1][j] * pairs[2][k]
    n = sum(out)
    return n, [x / n for x in out]


@pytest.mark.parametrize("scheme", ["double_x", "double_z"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_double_selection_matches_enumeration(backend: type, scheme: str) -> None:
    pairs = [
        BellDiagonal(0.8, 0.05, 0.1, 0.05),
        BellDiagonal(0.75, 0.1, 0.1, 0.05),
        BellDiagonal(0.9, 0.02, 0.03, 0.05),
    ]
    states = [make(backend, p) for p in pairs]
    p, out = purify(states[0], (states[1], states[2]), scheme)
    n, expected = _double(scheme, [q.as_tuple() for q in pairs])
    assert p == pytest.approx(n, abs=TOL)
    assert out is not None
    assert weights(out) == pytest.approx(expected, abs=TOL)


def test_double_x_beats_single_x_on_phase_noisy_sacrifices() -> None:
    keep = BellDiagonal(0.8, 0.05, 0.1, 0.05)
    noisy = BellDiagonal(0.7, 0.05, 0.05, 0.2)
    _, single = purify(keep, noisy, "single_x")
    _, double = purify(keep, (noisy, noisy), "double_x")
    assert single is not None
    assert double is not None
    assert double.fidelity > single.fidelity + 0.01


# -- memory decoherence -------------------------------------------------------------------


@pytest.mark.parametrize("t", [0.0, 0.1, 0.5, 2.0])
@pytest.mark.parametrize("backend", BACKENDS)
def test_pure_dephasing(backend: type, t: float) -> None:
    perfect = make(backend, BellDiagonal.perfect())
    one = decohere(perfect, t, math.inf, 1.0, qubits=(0,))
    assert one.fidelity == pytest.approx((1 + math.exp(-t)) / 2, abs=TOL)
    two = decohere(perfect, t, math.inf, 1.0, qubits=(0, 1))
    assert two.fidelity == pytest.approx((1 + math.exp(-2 * t)) / 2, abs=TOL)


@pytest.mark.parametrize("t", [0.05, 0.3, 1.0])
@pytest.mark.parametrize("qubits", [(0,), (1,), (0, 1)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_pure_dephasing_as_bell_diagonal_map(
    backend: type, t: float, qubits: tuple[int, ...]
) -> None:
    a, b, c, d = 0.7, 0.1, 0.15, 0.05
    out = decohere(make(backend, BellDiagonal(a, b, c, d)), t, math.inf, 1.0, qubits=qubits)
    p = (1 - math.exp(-len(qubits) * t)) / 2
    expected = ((1 - p) * a + p * d, (1 - p) * b + p * c, (1 - p) * c + p * b, (1 - p) * d + p * a)
    assert weights(out) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize(("t", "t1", "t2"), [(0.1, 1.0, 0.5), (0.4, 1.0, 2.0), (1.0, 0.7, 0.3)])
def test_t1_t2_exact_in_density_matrix(t: float, t1: float, t2: float) -> None:
    a = math.exp(-t / t1)
    one = decohere(DensityMatrix.perfect(), t, t1, t2, qubits=(0,))
    assert one.fidelity == pytest.approx((1 + a + 2 * math.exp(-t / t2)) / 4, abs=TOL)
    two = decohere(DensityMatrix.perfect(), t, t1, t2, qubits=(0, 1))
    expected = (1 + (1 - a) ** 2 + a * a) / 4 + math.exp(-2 * t / t2) / 2
    assert two.fidelity == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize(("t", "t1", "t2"), [(0.1, 1.0, 0.5), (0.4, 1.0, 2.0), (1.0, 0.7, 0.3)])
def test_bell_diagonal_uses_the_documented_twirl(t: float, t1: float, t2: float) -> None:
    a = math.exp(-t / t1)
    px, py, pz = memory_pauli_twirl(t, t1, t2)
    assert (px, py) == pytest.approx(((1 - a) / 4, (1 - a) / 4), abs=1e-15)
    assert pz == pytest.approx((1 + a) / 4 - math.exp(-t / t2) / 2, abs=1e-15)
    out = decohere(BellDiagonal.werner(0.9), t, t1, t2, qubits=(1,))
    assert out == pauli_channel(BellDiagonal.werner(0.9), (px, py, pz), qubits=(1,))
    # The twirl keeps one qubit's decay exact on Φ+ ...
    one = decohere(BellDiagonal.perfect(), t, t1, t2, qubits=(0,))
    assert one.fidelity == pytest.approx((1 + a + 2 * math.exp(-t / t2)) / 4, abs=TOL)
    # ... and under-reports both-halves decay by exactly (1 − a)²/4 (derived: the exact
    # |11⟩→|00⟩ decay keeps weight in Φ+ that no Pauli channel can).
    exact = decohere(DensityMatrix.perfect(), t, t1, t2).fidelity
    twirled = decohere(BellDiagonal.perfect(), t, t1, t2).fidelity
    assert exact - twirled == pytest.approx((1 - a) ** 2 / 4, abs=TOL)


@pytest.mark.parametrize("f0", [1.0, 0.9, 0.6])
@pytest.mark.parametrize("backend", BACKENDS)
def test_depolarising_memory(backend: type, f0: float) -> None:
    tau = 0.2
    for t in (0.0, 0.05, 0.3):
        out = depolarize(make(backend, BellDiagonal.werner(f0)), 1 - math.exp(-t / tau))
        assert out.fidelity == pytest.approx(0.25 + (f0 - 0.25) * math.exp(-2 * t / tau), abs=TOL)


def test_decoherence_composes_over_time() -> None:
    # Lazy decoherence applies elapsed time in one step; it must equal applying it piecewise.
    for backend in BACKENDS:
        start = make(backend, BellDiagonal(0.9, 0.03, 0.04, 0.03))
        once = decohere(start, 0.3, 1.0, 0.8)
        steps = start
        for a, b in pairwise([0.0, 0.1, 0.25, 0.3]):
            steps = decohere(steps, b - a, 1.0, 0.8)
        assert weights(once) == pytest.approx(weights(steps), abs=TOL)


# -- measurement --------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_qber_per_basis(backend: type) -> None:
    a, b, c, d = 0.85, 0.05, 0.07, 0.03
    state = make(backend, BellDiagonal(a, b, c, d))
    for basis, qber in (("Z", b + c), ("X", b + d)):
        p = measurement_probabilities(state, (basis, basis))
        assert p[0, 1] + p[1, 0] == pytest.approx(qber, abs=TOL)
        assert p[0, 0] + p[0, 1] == pytest.approx(0.5, abs=TOL)  # each outcome alone uniform
    p = measurement_probabilities(state, ("Y", "Y"))
    assert p[0, 1] + p[1, 0] == pytest.approx(a + b, abs=TOL)  # Φ+ is anti-correlated in Y
    assert measurement_probabilities(state, ("X", "Z")) == pytest.approx(0.25, abs=TOL)


def test_measurement_readout_error() -> None:
    for state in both(BellDiagonal.perfect()):
        p = measurement_probabilities(state, ("Z", "Z"), readout_error=0.1)
        assert p[0, 1] + p[1, 0] == pytest.approx(2 * 0.1 * 0.9, abs=TOL)
