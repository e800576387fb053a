"""Exact density-matrix circuit primitives on a few qubits (the reference backend's engine).

A state on ``n`` qubits is a (2**n, 2**n) complex array; qubit 0 is the most significant bit of
the basis index (``np.kron`` order). Gates and Kraus operators act through tensor contraction, so
no 2**n-sized operator is ever built. Everything here is private: the public operations in
``_swap``, ``_purify``, ``_channels`` and ``_measure`` compose these.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BASIS_CHANGE",
    "CNOT",
    "H",
    "PAULIS",
    "Array",
    "apply",
    "apply_kraus",
    "depolarize",
    "measure_and_discard",
    "rx",
]

Array: TypeAlias = NDArray[Any]

I2: Final = np.eye(2, dtype=complex)
X: Final = np.array([[0, 1], [1, 0]], dtype=complex)
Y: Final = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z: Final = np.array([[1, 0], [0, -1]], dtype=complex)
H: Final = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
S_DAG: Final = np.array([[1, 0], [0, -1j]], dtype=complex)
CNOT: Final = np.array(
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex
)  # control is the first qubit given
PAULIS: Final = {"I": I2, "X": X, "Y": Y, "Z": Z}

# Unitary taking the eigenbasis of each measurement basis to the computational basis, with the
# +1 eigenstate to |0⟩ (so outcome 0 means eigenvalue +1 in every basis).
BASIS_CHANGE: Final = {"Z": I2, "X": H, "Y": H @ S_DAG}


def rx(theta: float) -> Array:
    """Rotation exp(−iθX/2)."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -1j * s], [-1j * s, c]], dtype=complex)


def apply(rho: Array, n: int, op: Array, qubits: Sequence[int]) -> Array:
    """``op · ρ · op†`` with ``op`` acting on ``qubits`` (in the order given)."""
    k = len(qubits)
    t = rho.reshape((2,) * (2 * n))
    u = op.reshape((2,) * (2 * k))
    rows = list(qubits)
    cols = [n + q for q in qubits]
    t = np.tensordot(u, t, axes=(list(range(k, 2 * k)), rows))
    t = np.moveaxis(t, list(range(k)), rows)
    t = np.tensordot(t, u.conj(), axes=(cols, list(range(k, 2 * k))))
    t = np.moveaxis(t, list(range(2 * n - k, 2 * n)), cols)
    return t.reshape(rho.shape)


def apply_kraus(rho: Array, n: int, kraus: Iterable[Array], qubits: Sequence[int]) -> Array:
    """Σ_k K ρ K† over the Kraus operators, acting on ``qubits``."""
    out = np.zeros_like(rho)
    for k in kraus:
        out += apply(rho, n, k, qubits)
    return out


def depolarize(rho: Array, n: int, qubits: Sequence[int], p: float) -> Array:
    """With probability p replace ``qubits`` by the maximally mixed state: (1 − p)ρ + p·avg_P PρP
    over all Pauli strings P on those qubits (the uniform Pauli twirl equals the full
    depolarisation)."""
    if p == 0.0:
        return rho
    strings = list(itertools.product(PAULIS.values(), repeat=len(qubits)))
    mixed = np.zeros_like(rho)
    for paulis in strings:
        op = paulis[0]
        for extra in paulis[1:]:
            op = np.kron(op, extra)
        mixed += apply(rho, n, op, qubits)
    return (1.0 - p) * rho + (p / len(strings)) * mixed


def measure_and_discard(
    rho: Array,
    n: int,
    measured: Sequence[tuple[int, str]],
    readout_error: float | Sequence[float] = 0.0,
) -> dict[tuple[int, ...], Array]:
    """Measure ``(qubit, basis)`` pairs, trace the measured qubits out, and group by record.

    Returns ``{reported bits: unnormalised state of the other qubits}``; the trace of each
    state is the probability of that record. A reported bit differs from the true outcome with
    probability ``readout_error`` (one value, or one per measured qubit), independently per bit.
    """
    rotated = rho
    for q, basis in measured:
        if basis != "Z":
            rotated = apply(rotated, n, BASIS_CHANGE[basis], [q])
    qubits = [q for q, _ in measured]
    keep = [q for q in range(n) if q not in qubits]
    t = rotated.reshape((2,) * (2 * n))
    branches: dict[tuple[int, ...], Array] = {}
    for outcome in itertools.product((0, 1), repeat=len(qubits)):
        index: list[int | slice] = [slice(None)] * (2 * n)
        for q, bit in zip(qubits, outcome, strict=True):
            index[q] = bit
            index[n + q] = bit
        d = 2 ** len(keep)
        branches[outcome] = np.ascontiguousarray(t[tuple(index)]).reshape(d, d)
    errors = (
        [float(readout_error)] * len(qubits)
        if isinstance(readout_error, int | float)
        else [float(e) for e in readout_error]
    )
    if not any(errors):
        return branches
    reported: dict[tuple[int, ...], Array] = {}
    for record in branches:
        acc = np.zeros_like(next(iter(branches.values())))
        for outcome, state in branches.items():
            weight = 1.0
            for r, o, e in zip(record, outcome, errors, strict=True):
                weight *= e if r != o else 1.0 - e
            if weight:
                acc += weight * state
        reported[record] = acc
    return reported
