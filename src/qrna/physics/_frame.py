"""Exact Bell-diagonal purification by following Pauli errors through bilateral circuits.

A Bell-diagonal pair is Φ+ with a random Pauli error on one half. Bilateral Clifford gates leave
Φ+⊗Φ+(⊗Φ+) unchanged, so the circuit only permutes error patterns (CNOT: x_t ^= x_c,
z_c ^= z_t; the DEJMPS rotation: x ^= z), Pauli noise mixes them, and a sacrificed pair measured
in Z (X) shows odd parity exactly when its two halves carry an odd number of X (Z) components.
This is exact for Pauli noise and any Bell-diagonal inputs.

For each (scheme, noise) the engine builds once, and caches, a transfer tensor
``T[input combination, parity record, output Bell index]``: the probability of each record and
output given the Bell index of every input pair. A purification is then one contraction of the
input weights with T, a few microseconds.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numpy.typing import NDArray

from qrna.physics._bell import _CODE_OF_INDEX, _INDEX_OF_CODE
from qrna.physics._noise import GateNoise
from qrna.physics._schemes import get_scheme

__all__ = ["transfer_tensor"]

FloatArray = NDArray[np.float64]


def _x(idx: NDArray[np.int64], q: int) -> NDArray[np.int64]:
    return (idx >> (2 * q)) & 1


def _z(idx: NDArray[np.int64], q: int) -> NDArray[np.int64]:
    return (idx >> (2 * q + 1)) & 1


def _permute(v: FloatArray, new_index: NDArray[np.int64]) -> FloatArray:
    out = np.empty_like(v)
    out[new_index] = v
    return out


def _depolarize(
    v: FloatArray, idx: NDArray[np.int64], qubits: tuple[int, ...], p: float
) -> FloatArray:
    if p == 0.0:
        return v
    masks = [0]
    for q in qubits:
        masks = [m | (code << (2 * q)) for m in masks for code in range(4)]
    mixed = sum(v[idx ^ m] for m in masks)
    return (1.0 - p) * v + (p / len(masks)) * mixed  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=512)
def transfer_tensor(scheme_name: str, noise: tuple[GateNoise, GateNoise]) -> FloatArray:
    """``T[c, record, out]`` for the named scheme under ``noise`` at nodes (A, B) (see the
    module docstring).

    ``c`` enumerates the input pairs' Bell indices with pair 0 most significant (the order of
    ``np.multiply.outer(w0, w1).ravel()``); bit j of ``record`` is the reported parity of the
    j-th measured pair (0 = coincidence); ``out`` is the kept pair's Bell index.
    """
    scheme = get_scheme(scheme_name)
    n = 2 * scheme.pairs
    idx = np.arange(4**n, dtype=np.int64)
    combos = list(itertools.product(range(4), repeat=scheme.pairs))
    v = np.zeros((4**n, len(combos)))
    for col, combo in enumerate(combos):
        # Each pair's error sits on its B half (qubit 2i+1).
        pattern = sum(_CODE_OF_INDEX[k] << (2 * (2 * i + 1)) for i, k in enumerate(combo))
        v[pattern, col] = 1.0
    for gate in scheme.gates:
        if gate[0] == "cnot":
            c, t = gate[1], gate[2]  # type: ignore[misc]
            for side in (0, 1):
                qc, qt = 2 * c + side, 2 * t + side
                new = idx ^ (_x(idx, qc) << (2 * qt)) ^ (_z(idx, qt) << (2 * qc + 1))
                v = _permute(v, new)
                v = _depolarize(v, idx, (qc, qt), noise[side].cnot_error)
        else:  # "rotate": Rx(±π/2) maps Z↔Y on each half
            for side in (0, 1):
                q = 2 * gate[1] + side
                v = _permute(v, idx ^ (_z(idx, q) << (2 * q)))
                v = _depolarize(v, idx, (q,), noise[side].single_qubit_error)
    record = np.zeros_like(idx)
    for j, (pair, basis) in enumerate(scheme.measured):
        bit = _x if basis == "Z" else _z
        record |= (bit(idx, 2 * pair) ^ bit(idx, 2 * pair + 1)) << j
    code = (_x(idx, 0) ^ _x(idx, 1)) | ((_z(idx, 0) ^ _z(idx, 1)) << 1)
    out = np.array(_INDEX_OF_CODE)[code]
    n_records = 2 ** len(scheme.measured)
    onehot = np.zeros((4**n, n_records * 4))
    onehot[idx, record * 4 + out] = 1.0
    t = (onehot.T @ v).T.reshape(len(combos), n_records, 4)
    ra, rb = noise[0].readout_error, noise[1].readout_error
    if ra or rb:
        flip = ra * (1.0 - rb) + rb * (1.0 - ra)  # one of the two bits flipped: parity flips
        recs = np.arange(n_records)
        for j in range(len(scheme.measured)):
            t = (1.0 - flip) * t + flip * t[:, recs ^ (1 << j), :]
    t.setflags(write=False)
    return t
