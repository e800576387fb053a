"""The exact reference backend: a two-qubit density matrix (4×4, complex).

It applies every operation exactly, including non-Pauli noise such as amplitude damping, and is
the yardstick the Bell-diagonal backend is checked against. Qubit 0 is the first half of the pair
(the most significant bit of the basis index |q0 q1⟩).

Example:
    >>> from qrna.physics import BellDiagonal
    >>> dm = DensityMatrix.from_bell_diagonal(BellDiagonal.werner(0.8))
    >>> round(dm.fidelity, 12)
    0.8
    >>> [round(w, 12) for w in dm.twirl().as_tuple()]
    [0.8, 0.066666666667, 0.066666666667, 0.066666666667]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from qrna.physics._bell import BellDiagonal
from qrna.physics._circuit import Array
from qrna.physics._errors import PhysicsError

__all__ = ["BELL_BASIS", "DensityMatrix"]

_S: Final = 1.0 / np.sqrt(2.0)
BELL_BASIS: Final = np.array(
    [
        [_S, 0, 0, _S],  # Φ+
        [0, _S, -_S, 0],  # Ψ−
        [0, _S, _S, 0],  # Ψ+
        [_S, 0, 0, -_S],  # Φ−
    ],
    dtype=complex,
)
"""Rows are the Bell states in (Φ+, Ψ−, Ψ+, Φ−) order, in the basis |00⟩, |01⟩, |10⟩, |11⟩."""

_TOL: Final = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class DensityMatrix:
    """A two-qubit state as a 4×4 density matrix.

    Invariants: shape (4, 4), Hermitian, trace 1 and positive semidefinite, each within 1e-9.
    The array is copied and made read-only, so a ``DensityMatrix`` never changes.

    Raises:
        PhysicsError: naming the violated invariant and the offending value.
    """

    matrix: Array

    def __post_init__(self) -> None:
        m = np.array(self.matrix, dtype=complex, copy=True)
        if m.shape != (4, 4):
            raise PhysicsError(f"DensityMatrix.matrix has shape {m.shape}; expected (4, 4)")
        if not np.all(np.isfinite(m)):
            raise PhysicsError("DensityMatrix.matrix has non-finite entries")
        herm_err = float(np.max(np.abs(m - m.conj().T)))
        if herm_err > _TOL:
            raise PhysicsError(
                f"DensityMatrix.matrix is not Hermitian (max |ρ − ρ†| = {herm_err:.3g}); "
                "expected at most 1e-9"
            )
        m = (m + m.conj().T) / 2.0
        trace = float(np.trace(m).real)
        if abs(trace - 1.0) > _TOL:
            raise PhysicsError(f"DensityMatrix trace is {trace!r}; expected 1 within 1e-9")
        low = float(np.linalg.eigvalsh(m)[0])
        if low < -_TOL:
            raise PhysicsError(
                f"DensityMatrix has eigenvalue {low:.3g} < 0; a state must be positive "
                "semidefinite (eigenvalues >= -1e-9)"
            )
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def from_bell_diagonal(cls, bd: BellDiagonal) -> DensityMatrix:
        """The density matrix Σ_k λ_k |β_k⟩⟨β_k| of a Bell-diagonal state."""
        weights = np.array(bd.as_tuple())
        return cls((BELL_BASIS.T * weights) @ BELL_BASIS.conj())

    @classmethod
    def werner(cls, fidelity: float) -> DensityMatrix:
        """The Werner state of fidelity F, as a density matrix."""
        return cls.from_bell_diagonal(BellDiagonal.werner(fidelity))

    @classmethod
    def perfect(cls) -> DensityMatrix:
        """The pure target state Φ+."""
        return cls.from_bell_diagonal(BellDiagonal.perfect())

    @classmethod
    def from_unnormalised(cls, matrix: Array) -> DensityMatrix:
        """Normalise a positive matrix by its trace (the state after a post-selection).

        Raises:
            PhysicsError: if the trace is not positive (the branch has probability zero).
        """
        trace = float(np.trace(matrix).real)
        if not trace > 0.0:
            raise PhysicsError(f"cannot normalise a state of trace {trace!r}; expected > 0")
        return cls(matrix / trace)

    # -- views ----------------------------------------------------------------------------

    @property
    def fidelity(self) -> float:
        """F = ⟨Φ+|ρ|Φ+⟩."""
        v = BELL_BASIS[0]
        f = float((v.conj() @ self.matrix @ v).real)
        return min(1.0, max(0.0, f))  # clip float rounding (~1e-16) outside [0, 1]

    def bell_weights(self) -> tuple[float, float, float, float]:
        """⟨β|ρ|β⟩ for the four Bell states, in (Φ+, Ψ−, Ψ+, Φ−) order."""
        w = np.einsum("ki,ij,kj->k", BELL_BASIS.conj(), self.matrix, BELL_BASIS).real
        return (float(w[0]), float(w[1]), float(w[2]), float(w[3]))

    def twirl(self) -> BellDiagonal:
        """The Bell-diagonal state with the same Bell weights: the result of a random bilateral
        Pauli twirl, which removes every off-diagonal term in the Bell basis."""
        return BellDiagonal.from_weights(self.bell_weights())

    def reversed(self) -> DensityMatrix:
        """The same state with its two qubits exchanged."""
        t = self.matrix.reshape(2, 2, 2, 2).transpose(1, 0, 3, 2)
        return DensityMatrix(t.reshape(4, 4))

    def reduced(self, qubit: int) -> Array:
        """The 2×2 state of one half (0 or 1)."""
        if qubit not in (0, 1):
            raise PhysicsError(f"qubit={qubit!r} is not a half of a pair; expected 0 or 1")
        t = self.matrix.reshape(2, 2, 2, 2)
        out: Array = np.einsum("ajbj->ab", t) if qubit == 0 else np.einsum("jajb->ab", t)
        return out

    def allclose(self, other: DensityMatrix, atol: float = 1e-9) -> bool:
        """Entry-wise equality within ``atol``."""
        return bool(np.allclose(self.matrix, other.matrix, atol=atol, rtol=0.0))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DensityMatrix):
            return NotImplemented
        return bool(np.array_equal(self.matrix, other.matrix))

    def __hash__(self) -> int:
        return hash(self.matrix.tobytes())

    def __repr__(self) -> str:
        return f"DensityMatrix(fidelity={self.fidelity:.6f})"
