"""Bad input raises a PhysicsError (a QrnaError and ValueError) naming the bad value and the
valid range or choices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qrna import QrnaError
from qrna.physics import (
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    PhysicsError,
    bell_index_of_pauli,
    decohere,
    depolarize,
    frame_flips,
    measure,
    pauli_channel,
    pauli_of_bell_index,
    purify,
    swap,
)

W = BellDiagonal.werner(0.9)
D = DensityMatrix.werner(0.9)

CASES = [
    (
        lambda: BellDiagonal(1.1, -0.1, 0.0, 0.0),
        r"BellDiagonal.psi_minus=-0.1 is not a probability; expected a finite value in \[0, 1\]",
    ),
    (lambda: BellDiagonal(0.5, 0.25, 0.25, 0.25), r"sum to 1.25; they must sum to 1 within 1e-12"),
    (lambda: BellDiagonal(float("nan"), 0, 0, 1), r"phi_plus=nan is not a probability"),
    (lambda: BellDiagonal.werner(1.2), r"fidelity=1.2 is outside the valid range \[0, 1\]"),
    (lambda: BellDiagonal.werner(-0.01), r"fidelity=-0.01 is outside the valid range \[0, 1\]"),
    (lambda: DensityMatrix(np.eye(3) / 3), r"shape \(3, 3\); expected \(4, 4\)"),
    (lambda: DensityMatrix(np.eye(4) / 2), r"trace is 2.0; expected 1"),
    (lambda: DensityMatrix(np.diag([1.5, -0.5, 0, 0])), r"eigenvalue -0.5 < 0"),
    (lambda: DensityMatrix(np.triu(np.ones((4, 4))) / 4), r"not Hermitian"),
    (
        lambda: decohere(W, 1.0, t1_s=1.0, t2_s=3.0),
        r"t2_s=3.0 exceeds 2·T1 = 2.0; .* 0 < T2 <= 2·T1",
    ),
    (lambda: decohere(D, -1.0, 1.0, 1.0), r"storage time t_s=-1.0 is invalid; expected .* >= 0"),
    (lambda: decohere(W, 1.0, 0.0, 1.0), r"t1_s=0.0 is invalid; expected T1 > 0"),
    (lambda: decohere(W, 1.0, math.inf, -2.0), r"t2_s=-2.0 is invalid; expected T2 > 0"),
    (
        lambda: decohere(W, 1.0, 1.0, 1.0, qubits=(2,)),
        r"qubits=\(2,\) does not name halves of a pair; expected \(0,\), \(1,\) or \(0, 1\)",
    ),
    (
        lambda: purify(W, W, "dejmsp"),
        r"scheme='dejmsp' is not a purification scheme; expected one of bbpssw, dejmps, "
        r"double_x, double_z, single_x, single_z",
    ),
    (lambda: purify(W, W, "double_x"), r"'double_x' sacrifices 2 pair\(s\); got 1"),
    (lambda: purify(W, (W, W), "dejmps"), r"'dejmps' sacrifices 1 pair\(s\); got 2"),
    (lambda: swap(W, D), r"swap takes states of one backend .* got BellDiagonal, DensityMatrix"),
    (lambda: swap(W, 0.9), r"got BellDiagonal, float"),  # type: ignore[arg-type]
    (lambda: swap(W, W, correct_at="c"), r"correct_at='c' is not a side; expected 'a' or 'b'"),
    (
        lambda: GateNoise(cnot_error=1.5),
        r"GateNoise.cnot_error=1.5 is not a probability; expected a value in \[0, 1\]",
    ),
    (lambda: GateNoise(readout_error=-0.1), r"GateNoise.readout_error=-0.1 is not a probability"),
    (
        lambda: GateNoise(swap_degradation=1.5),
        r"GateNoise.swap_degradation=1.5 is not a probability",
    ),
    (lambda: depolarize(W, 2.0), r"p=2.0 is not a probability"),
    (lambda: pauli_channel(W, (0.5, 0.4, 0.3)), r"sum above 1; expected <= 1"),
    (
        lambda: measure(W, ("Z", "W"), np.random.default_rng(0)),
        r"bases=\('Z', 'W'\) is not a basis per half; expected two of 'X', 'Y', 'Z'",
    ),
    (lambda: bell_index_of_pauli("Q"), r"pauli='Q' is not a Pauli; expected one of"),
    (lambda: pauli_of_bell_index(4), r"^Bell index 4 is out of range; expected 0, 1, 2 or 3$"),
    (
        lambda: BellDiagonal.from_weights([1.0, 0.0, 0.0]),
        r"^expected 4 Bell-diagonal weights, got 3$",
    ),
    (
        lambda: BellDiagonal.from_weights([0.5, 0.5, 0.5, 0.0]),
        r"^Bell-diagonal weights \(0.5, 0.5, 0.5, 0.0\) sum to 1.5; expected 1$",
    ),
    (
        lambda: DensityMatrix(np.full((4, 4), np.nan)),
        r"^DensityMatrix.matrix has non-finite entries$",
    ),
    (
        lambda: DensityMatrix.from_unnormalised(np.zeros((4, 4))),
        r"^cannot normalise a state of trace 0.0; expected > 0$",
    ),
    (lambda: D.reduced(2), r"^qubit=2 is not a half of a pair; expected 0 or 1$"),
    (
        lambda: frame_flips("W", "Z"),
        r"^frame='W' is not a Pauli; expected one of 'I', 'X', 'Y', 'Z'$",
    ),
    (lambda: frame_flips("X", "W"), r"^basis='W' is not a basis; expected one of 'X', 'Y', 'Z'$"),
]


@pytest.mark.parametrize(("call", "message"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input_names_the_value_and_the_valid_choices(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PhysicsError, match=message) as info:
        call()
    assert isinstance(info.value, QrnaError)
    assert isinstance(info.value, ValueError)


def test_tiny_negative_rounding_is_read_as_zero() -> None:
    bd = BellDiagonal(1.0 + 1e-13, -1e-13, 0.0, 0.0)
    assert bd.psi_minus == 0.0


def test_states_are_immutable() -> None:
    with pytest.raises(AttributeError):
        W.phi_plus = 0.5  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        D.matrix[0, 0] = 1.0


def test_density_matrix_views_equality_and_text() -> None:
    """One half of |01⟩ is |0⟩⟨0|, the other |1⟩⟨1|; of a Werner state, I/2. Equal matrices
    are equal and hash alike; a DensityMatrix is never equal to a BellDiagonal."""
    ket01 = np.zeros((4, 4))
    ket01[1, 1] = 1.0
    product = DensityMatrix(ket01)
    assert np.array_equal(product.reduced(0), np.diag([1.0, 0.0]))
    assert np.array_equal(product.reduced(1), np.diag([0.0, 1.0]))
    assert np.allclose(D.reduced(0), np.eye(2) / 2, atol=1e-12)
    same = DensityMatrix(D.matrix.copy())
    assert same == D
    assert hash(same) == hash(D)
    assert {same, D} == {D}
    assert DensityMatrix.werner(0.8) != D
    assert D != W
    assert repr(D) == "DensityMatrix(fidelity=0.900000)"
    assert f"{W}" == "BellDiagonal(0.9000, 0.0333, 0.0333, 0.0333)"
    assert f"{W:.2f}" == "BellDiagonal(0.90, 0.03, 0.03, 0.03)"


def test_pauli_of_bell_index_inverts_bell_index_of_pauli() -> None:
    assert [pauli_of_bell_index(i) for i in range(4)] == ["I", "Y", "X", "Z"]
    assert all(bell_index_of_pauli(pauli_of_bell_index(i)) == i for i in range(4))
