"""Noise channels on stored pairs: Pauli channels, depolarisation and memory decoherence.

On ``DensityMatrix`` each channel is applied exactly. On ``BellDiagonal`` a Pauli channel is exact
(it permutes Bell states) and amplitude damping, which is not a Pauli channel, enters as its Pauli
twirl per qubit (physics.md): p_x = p_y = (1 − a)/4, p_z = (1 + a)/4 − e^{−t/T2}/2 with
a = e^{−t/T1}. The twirl keeps the single-qubit fidelity exact; the tests state how far the two
backends drift apart when both halves decay and the pair is then swapped or purified.

Example:
    >>> from qrna.physics import BellDiagonal
    >>> out = decohere(BellDiagonal.perfect(), t_s=1.0, t1_s=math.inf, t2_s=1.0, qubits=(0,))
    >>> round(out.fidelity, 12) == round((1 + math.exp(-1.0)) / 2, 12)
    True
"""

from __future__ import annotations

import math

import numpy as np

from qrna.physics._bell import BellDiagonal, compose
from qrna.physics._circuit import PAULIS, apply_kraus
from qrna.physics._circuit import depolarize as _depolarize_dm
from qrna.physics._density import DensityMatrix
from qrna.physics._errors import PhysicsError
from qrna.physics._noise import check_halves, check_memory_times, check_probability
from qrna.physics._state import StateT, check_same_backend

__all__ = [
    "decohere",
    "decohere_half",
    "depolarize",
    "depolarize_half",
    "memory_depolarizing_probability",
    "memory_pauli_twirl",
    "pauli_channel",
]


def memory_pauli_twirl(t_s: float, t1_s: float, t2_s: float) -> tuple[float, float, float]:
    """(p_x, p_y, p_z) of the Pauli twirl of T1/T2 decay over ``t_s`` on one qubit."""
    check_memory_times(t_s, t1_s, t2_s)
    a = math.exp(-t_s / t1_s)
    e2 = math.exp(-t_s / t2_s)
    pz = max(0.0, (1.0 + a) / 4.0 - e2 / 2.0)  # >= 0 by AM-GM when T2 <= 2·T1; clamp rounding
    return ((1.0 - a) / 4.0, (1.0 - a) / 4.0, pz)


def pauli_channel(
    state: StateT, probabilities: tuple[float, float, float], qubits: tuple[int, ...] = (0, 1)
) -> StateT:
    """Apply X, Y, Z with probabilities (p_x, p_y, p_z), independently on each named half.

    Raises:
        PhysicsError: if a probability is outside [0, 1] or they sum above 1.
    """
    check_same_backend("pauli_channel", state)
    qubits = check_halves(qubits)
    px, py, pz = (check_probability(p, f"p_{n}") for p, n in zip(probabilities, "xyz", strict=True))
    if px + py + pz > 1.0 + 1e-12:
        raise PhysicsError(
            f"Pauli probabilities (p_x, p_y, p_z) = {probabilities!r} sum above 1; expected <= 1"
        )
    pi = max(0.0, 1.0 - px - py - pz)
    if isinstance(state, BellDiagonal):
        # One half's Pauli error, as Bell-index weights: I→Φ+, Y→Ψ−, X→Ψ+, Z→Φ−. On the other
        # half the same channel acts identically (X, Z are symmetric; Y^T = −Y is a phase).
        kernel = (pi, py, px, pz)
        w = state.as_tuple()
        for _ in qubits:
            w = tuple(compose(w, kernel))  # type: ignore[assignment]
        return BellDiagonal.from_weights(w)
    kraus = [
        math.sqrt(pi) * PAULIS["I"],
        math.sqrt(px) * PAULIS["X"],
        math.sqrt(py) * PAULIS["Y"],
        math.sqrt(pz) * PAULIS["Z"],
    ]
    m = state.matrix
    for q in qubits:
        m = apply_kraus(m, 2, kraus, [q])
    return DensityMatrix(m)


def depolarize(state: StateT, p: float, qubits: tuple[int, ...] = (0, 1)) -> StateT:
    """With probability p replace each named half by the maximally mixed state.

    A depolarising memory with time constant τ is ``depolarize(s, 1 − e^{−t/τ})``; on both halves
    it gives F(t) = 1/4 + (F0 − 1/4)·e^{−2t/τ} (physics.md).
    """
    check_same_backend("depolarize", state)
    p = check_probability(p, "p")
    qubits = check_halves(qubits)
    if isinstance(state, BellDiagonal):
        return pauli_channel(state, (p / 4.0, p / 4.0, p / 4.0), qubits)
    m = state.matrix
    for q in qubits:
        m = _depolarize_dm(m, 2, [q], p)
    return DensityMatrix(m)


def decohere_half(state: BellDiagonal, t_s: float, t1_s: float, t2_s: float) -> BellDiagonal:
    """``decohere(state, t_s, t1_s, t2_s, (h,))`` of a ``BellDiagonal`` state, for either
    half ``h`` (the twirled channel acts alike on both), with the same arithmetic and so the
    same numbers, but no checks: for the ground truth's hot path, whose times are valid by
    construction (memories were checked when their QNIC was built; ``t_s`` > 0)."""
    a = math.exp(-t_s / t1_s)
    e2 = math.exp(-t_s / t2_s)
    pz = max(0.0, (1.0 + a) / 4.0 - e2 / 2.0)
    px = (1.0 - a) / 4.0
    pi = max(0.0, 1.0 - px - px - pz)
    w0, w1, w2, w3 = compose(state.as_tuple(), (pi, px, px, pz))
    total = w0 + w1 + w2 + w3
    return BellDiagonal._unchecked(w0 / total, w1 / total, w2 / total, w3 / total)


def memory_depolarizing_probability(t_s: float, tau_s: float) -> float:
    """1 − e^{−t/τ}: the probability that a qubit idle for ``t_s`` in a depolarising memory of
    time constant ``tau_s`` (``math.inf``: none) has been replaced by the maximally mixed state.

    Raises:
        PhysicsError: for a negative or infinite time, or a time constant that is not > 0.

    >>> round(memory_depolarizing_probability(1.0, 1.0), 12) == round(1 - math.exp(-1.0), 12)
    True
    """
    if not (t_s >= 0.0 and math.isfinite(t_s)):
        raise PhysicsError(f"storage time t_s={t_s!r} is invalid; expected a finite value >= 0")
    if not tau_s > 0.0:
        raise PhysicsError(
            f"depolarising time constant tau_s={tau_s!r} is invalid; expected > 0 "
            "(math.inf for none)"
        )
    return -math.expm1(-t_s / tau_s)


def depolarize_half(state: BellDiagonal, p: float) -> BellDiagonal:
    """``depolarize(state, p, (h,))`` of a ``BellDiagonal`` state, for either half ``h``,
    without checks: each weight w becomes (1 − p)·w + p/4 (the fully mixed state has every
    weight 1/4). For the ground truth's hot path, whose ``p`` is a probability by
    construction; the same numbers as ``depolarize`` up to rounding."""
    q = 0.25 * p
    keep = 1.0 - p
    w0, w1, w2, w3 = state.as_tuple()
    return BellDiagonal._unchecked(keep * w0 + q, keep * w1 + q, keep * w2 + q, keep * w3 + q)


def decohere(
    state: StateT, t_s: float, t1_s: float, t2_s: float, qubits: tuple[int, ...] = (0, 1)
) -> StateT:
    """Memory decoherence of the named halves over ``t_s`` seconds.

    Exact amplitude damping (T1, toward |0⟩) plus pure dephasing such that coherences decay as
    e^{−t/T2} on ``DensityMatrix``; the Pauli twirl of that channel on ``BellDiagonal``.

    Raises:
        PhysicsError: for negative time, non-positive T1 or T2, T2 > 2·T1, or bad ``qubits``.
    """
    check_same_backend("decohere", state)
    check_memory_times(t_s, t1_s, t2_s)
    qubits = check_halves(qubits)
    if t_s == 0.0:
        return state
    if isinstance(state, BellDiagonal):
        return pauli_channel(state, memory_pauli_twirl(t_s, t1_s, t2_s), qubits)
    gamma = 1.0 - math.exp(-t_s / t1_s)
    damp = [
        np.array([[1.0, 0.0], [0.0, math.sqrt(1.0 - gamma)]], dtype=complex),
        np.array([[0.0, math.sqrt(gamma)], [0.0, 0.0]], dtype=complex),
    ]
    # Amplitude damping alone shrinks coherences by e^{−t/2T1}; dephase the rest of the way.
    extra = math.exp(-t_s / t2_s + t_s / (2.0 * t1_s))
    pz = (1.0 - min(1.0, extra)) / 2.0
    dephase = [math.sqrt(1.0 - pz) * PAULIS["I"], math.sqrt(pz) * PAULIS["Z"]]
    m = state.matrix
    for q in qubits:
        m = apply_kraus(apply_kraus(m, 2, damp, [q]), 2, dephase, [q])
    return DensityMatrix(m)
