"""Entanglement swapping: a Bell measurement at the middle node plus a Pauli-frame correction.

Pairs ``a`` = (X, M1) and ``b`` = (M2, Y): a's second half and b's first half sit at the swapping
node, which runs CNOT(M1→M2), H(M1) and measures both in Z. The result is the pair (X, Y), with
the Pauli frame Z^{m1}·X^{m2} applied at Y (``correct_at="b"``, default) or at X. Noise follows
``GateNoise``: a two-qubit depolarising channel after the CNOT, a one-qubit one after the H, and
independent readout flips of m1 and m2; the correction itself is classical bookkeeping.

Closed form on Bell-diagonal inputs (derived from that circuit; checked against the density-
matrix backend): the Pauli errors of a and b compose by XOR, the CNOT error mixes the result
toward I/4 with probability p_cnot, a flip of m1 (probability q1 = h ⊕ r, with h = p_1q/2 from
the H error and r the readout error) leaves a Z error and a flip of m2 (probability r) an X
error. With perfect inputs this gives F = (1 − r)² (physics.md). Last, a swap degradation d
< 1 replaces the corrected pair by I/4 with probability 1 − d: weights w → d·w + (1 − d)/4.

Example:
    >>> from qrna.physics import BellDiagonal
    >>> round(swap(BellDiagonal.werner(0.9), BellDiagonal.werner(0.9)).fidelity, 10)
    0.8133333333
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic

import numpy as np

from qrna.kernel import choice_index
from qrna.physics._bell import BellDiagonal, compose
from qrna.physics._circuit import CNOT, PAULIS, Array, apply, depolarize, measure_and_discard
from qrna.physics._circuit import H as HADAMARD
from qrna.physics._density import DensityMatrix
from qrna.physics._errors import PhysicsError
from qrna.physics._noise import GateNoise
from qrna.physics._state import StateT, check_same_backend

__all__ = ["SwapOutcome", "swap", "swap_sampled"]

_FRAME_LETTERS = {(0, 0): "I", (1, 0): "Z", (0, 1): "X", (1, 1): "Y"}


@dataclass(frozen=True, slots=True)
class SwapOutcome(Generic[StateT]):
    """One sampled swap: the bits the middle node read and the corrected (X, Y) pair.

    Attributes:
        bits: (m1, m2) as reported (after readout errors): m1 the phase bit, m2 the parity bit.
        pauli_frame: the correction those bits call for, one of "I", "X", "Y", "Z".
        state: the pair (X, Y) after the correction.
    """

    bits: tuple[int, int]
    pauli_frame: str
    state: StateT


def _check_side(correct_at: str) -> None:
    if correct_at not in ("a", "b"):
        raise PhysicsError(f"correct_at={correct_at!r} is not a side; expected 'a' or 'b'")


def _bd_swap(a: BellDiagonal, b: BellDiagonal, noise: GateNoise) -> BellDiagonal:
    w = compose(a.as_tuple(), b.as_tuple())
    pc = noise.cnot_error
    if pc:
        w = [(1.0 - pc) * x + pc / 4.0 for x in w]
    h = noise.single_qubit_error / 2.0  # X or Y of a depolarised qubit flips its Z readout
    r = noise.readout_error
    q1 = h + r - 2.0 * h * r  # two independent flips of m1
    q2 = r
    if q1 or q2:
        # Residual frame error on one half, as Bell-index weights (I, Y, X, Z).
        kernel = ((1 - q1) * (1 - q2), q1 * q2, (1 - q1) * q2, q1 * (1 - q2))
        w = compose(tuple(w), kernel)  # type: ignore[arg-type]
    d = noise.swap_degradation
    if d != 1.0:
        w = [d * x + (1.0 - d) / 4.0 for x in w]
    return BellDiagonal.from_weights(w)


def _dm_branches(
    a: DensityMatrix, b: DensityMatrix, noise: GateNoise, correct_at: str
) -> dict[tuple[int, ...], Array]:
    """Unnormalised corrected (X, Y) states per reported record (m1, m2)."""
    rho = np.kron(a.matrix, b.matrix)
    rho = apply(rho, 4, CNOT, [1, 2])
    rho = depolarize(rho, 4, [1, 2], noise.cnot_error)
    rho = apply(rho, 4, HADAMARD, [1])
    rho = depolarize(rho, 4, [1], noise.single_qubit_error)
    branches = measure_and_discard(rho, 4, [(1, "Z"), (2, "Z")], noise.readout_error)
    target = 1 if correct_at == "b" else 0
    d = noise.swap_degradation
    out: dict[tuple[int, ...], Array] = {}
    for (m1, m2), sigma in branches.items():
        fix = np.linalg.matrix_power(PAULIS["X"], m2) @ np.linalg.matrix_power(PAULIS["Z"], m1)
        fixed = apply(sigma, 2, fix, [target])
        if d != 1.0:  # the record keeps its probability; the pair it left may be lost
            fixed = d * fixed + (1.0 - d) * np.trace(sigma).real * np.eye(4) / 4.0
        out[(m1, m2)] = fixed
    return out


def swap(a: StateT, b: StateT, noise: GateNoise | None = None, correct_at: str = "b") -> StateT:
    """Swap pairs ``a`` = (X, M1) and ``b`` = (M2, Y) into (X, Y), averaged over outcomes.

    Args:
        a, b: states of the same backend; a's half 1 and b's half 0 are at the swapping node.
        noise: gate and readout noise at the swapping node (default: ideal).
        correct_at: "b" applies the Pauli frame at Y, "a" at X (matters only for states that
            are not Bell-diagonal).

    Returns:
        The (X, Y) pair, of the same type as the inputs.
    """
    check_same_backend("swap", a, b)
    _check_side(correct_at)
    noise = noise or GateNoise.NONE
    if isinstance(a, BellDiagonal):
        return _bd_swap(a, b, noise)
    total = np.sum(list(_dm_branches(a, b, noise, correct_at).values()), axis=0)
    return DensityMatrix(total)


def swap_sampled(
    a: StateT,
    b: StateT,
    rng: np.random.Generator,
    noise: GateNoise | None = None,
    correct_at: str = "b",
) -> SwapOutcome[StateT]:
    """Swap with the Bell-measurement outcome drawn from ``rng``, as the simulator needs it.

    For Bell-diagonal inputs the reported bits are uniform and the corrected state does not
    depend on them; for density matrices each record is drawn with its probability and the state
    is the one conditioned on it.
    """
    check_same_backend("swap_sampled", a, b)
    _check_side(correct_at)
    noise = noise or GateNoise.NONE
    bits: tuple[int, int]
    if isinstance(a, BellDiagonal):
        k = int(rng.integers(4))
        bits = (k >> 1, k & 1)
        state: BellDiagonal | DensityMatrix = _bd_swap(a, b, noise)
    else:
        branches = _dm_branches(a, b, noise, correct_at)
        records = list(branches)
        probs = np.array([max(0.0, float(np.trace(branches[r]).real)) for r in records])
        pick = records[choice_index(probs.tolist(), rng)]
        bits = (pick[0], pick[1])
        state = DensityMatrix.from_unnormalised(branches[pick])
    return SwapOutcome(bits, _FRAME_LETTERS[bits], state)  # type: ignore[arg-type]
