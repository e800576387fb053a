"""Bell-diagonal two-qubit states: the fast backend (four probabilities per pair).

Order (DESIGN.md, physics.md): weights of (Φ+, Ψ−, Ψ+, Φ−), the DEJMPS order; target Φ+.
A Pauli error on one half maps Φ+ to: I→Φ+, X→Ψ+, Z→Φ−, Y→Ψ−. Writing a Pauli as its
(x, z) bits, Pauli errors on a pair compose by XOR of those bits, which is all that swapping,
Pauli channels and the bilateral-CNOT purification algebra need: the backend is exact for Pauli
noise and Pauli-frame operations.

Example:
    >>> bd = BellDiagonal.werner(0.9)
    >>> round(bd.fidelity, 12), round(bd.psi_minus, 12)
    (0.9, 0.033333333333)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Final

from qrna.physics._errors import PhysicsError

__all__ = [
    "BELL_NAMES",
    "BellDiagonal",
    "bell_index_of_pauli",
    "pauli_of_bell_index",
]

BELL_NAMES: Final = ("phi_plus", "psi_minus", "psi_plus", "phi_minus")
"""Names of the four Bell-diagonal weights, in the order used everywhere."""

_TOL: Final = 1e-12

# A Pauli as a 2-bit code c = x | (z << 1): I=0, X=1, Z=2, Y=3. Bell index i (DEJMPS order) of
# the error that code causes on one half of Φ+, and back.
_CODE_OF_INDEX: Final = (0, 3, 1, 2)
_INDEX_OF_CODE: Final = (0, 2, 3, 1)
_PAULI_LETTERS: Final = "IXZY"

# XOR[i][j]: Bell index of two Pauli errors (given as Bell indices) composed.
XOR: Final = tuple(
    tuple(_INDEX_OF_CODE[_CODE_OF_INDEX[i] ^ _CODE_OF_INDEX[j]] for j in range(4)) for i in range(4)
)


def bell_index_of_pauli(pauli: str) -> int:
    """Bell index of the state a Pauli error (``"I"``, ``"X"``, ``"Y"``, ``"Z"``) on one half
    turns Φ+ into.

    >>> [BELL_NAMES[bell_index_of_pauli(p)] for p in "IXYZ"]
    ['phi_plus', 'psi_plus', 'psi_minus', 'phi_minus']
    """
    code = _PAULI_LETTERS.find(pauli) if isinstance(pauli, str) and len(pauli) == 1 else -1
    if code < 0:
        raise PhysicsError(f"pauli={pauli!r} is not a Pauli; expected one of 'I', 'X', 'Y', 'Z'")
    return _INDEX_OF_CODE[code]


def pauli_of_bell_index(index: int) -> str:
    """The Pauli (one letter) whose error on one half turns Φ+ into Bell state ``index``."""
    if index not in (0, 1, 2, 3):
        raise PhysicsError(f"Bell index {index!r} is out of range; expected 0, 1, 2 or 3")
    return _PAULI_LETTERS[_CODE_OF_INDEX[index]]


@dataclass(frozen=True, slots=True)
class BellDiagonal:
    """A Bell-diagonal two-qubit state: probabilities of (Φ+, Ψ−, Ψ+, Φ−).

    Invariants: every weight is finite and non-negative and they sum to 1 within 1e-12
    (weights in [-1e-12, 0) are rounding noise and are read as 0).

    Raises:
        PhysicsError: naming the bad weight and the valid range.
    """

    phi_plus: float
    psi_minus: float
    psi_plus: float
    phi_minus: float

    names: ClassVar[tuple[str, str, str, str]] = BELL_NAMES

    def __post_init__(self) -> None:
        a, b, c, d = self.phi_plus, self.psi_minus, self.psi_plus, self.phi_minus
        if not (a >= 0.0 and b >= 0.0 and c >= 0.0 and d >= 0.0):  # NaN fails too
            for name, value in zip(BELL_NAMES, (a, b, c, d), strict=True):
                if not (value >= -_TOL and math.isfinite(value)):
                    raise PhysicsError(
                        f"BellDiagonal.{name}={value!r} is not a probability; "
                        "expected a finite value in [0, 1]"
                    )
            for name, value in zip(BELL_NAMES, (a, b, c, d), strict=True):
                if value < 0.0:
                    object.__setattr__(self, name, 0.0)
            a, b, c, d = self.phi_plus, self.psi_minus, self.psi_plus, self.phi_minus
        total = a + b + c + d
        if abs(total - 1.0) > _TOL:
            raise PhysicsError(
                f"BellDiagonal weights ({a!r}, {b!r}, {c!r}, {d!r}) sum to {total!r}; "
                "they must sum to 1 within 1e-12"
            )

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def werner(cls, fidelity: float) -> BellDiagonal:
        """The Werner state of fidelity F: (F, g, g, g) with g = (1 − F)/3.

        Raises:
            PhysicsError: if F is outside [0, 1].
        """
        if not 0.0 <= fidelity <= 1.0:
            raise PhysicsError(f"fidelity={fidelity!r} is outside the valid range [0, 1]")
        g = (1.0 - fidelity) / 3.0
        return cls(fidelity, g, g, g)

    @classmethod
    def perfect(cls) -> BellDiagonal:
        """The pure target state Φ+."""
        return cls(1.0, 0.0, 0.0, 0.0)

    @classmethod
    def from_weights(cls, weights: tuple[float, float, float, float] | list[float]) -> BellDiagonal:
        """Build from four weights in (Φ+, Ψ−, Ψ+, Φ−) order, renormalising rounding drift.

        Use it for the output of arithmetic whose sum is 1 only up to float error; weights that
        are genuinely off (negative beyond 1e-12, or a sum off by more than 1e-9) still raise.
        """
        if len(weights) != 4:
            raise PhysicsError(f"expected 4 Bell-diagonal weights, got {len(weights)}")
        a, b, c, d = (float(w) for w in weights)
        total = a + b + c + d
        if not abs(total - 1.0) <= 1e-9:
            raise PhysicsError(
                f"Bell-diagonal weights ({a!r}, {b!r}, {c!r}, {d!r}) sum to {total!r}; expected 1"
            )
        return cls(a / total, b / total, c / total, d / total)

    @classmethod
    def _unchecked(cls, a: float, b: float, c: float, d: float) -> BellDiagonal:
        """Built without the checks, for the hot paths inside the ground truth whose
        arithmetic keeps the invariants (non-negative weights normalised by their sum):
        validation belongs at the boundary, where states come from outside."""
        state = object.__new__(cls)
        object.__setattr__(state, "phi_plus", a)
        object.__setattr__(state, "psi_minus", b)
        object.__setattr__(state, "psi_plus", c)
        object.__setattr__(state, "phi_minus", d)
        return state

    # -- views ----------------------------------------------------------------------------

    @property
    def fidelity(self) -> float:
        """F = ⟨Φ+|ρ|Φ+⟩."""
        return self.phi_plus

    @property
    def werner_parameter(self) -> float:
        """w = (4F − 1)/3, the weight of Φ+ over the maximally mixed state for a Werner state."""
        return (4.0 * self.phi_plus - 1.0) / 3.0

    def as_tuple(self) -> tuple[float, float, float, float]:
        """The weights (Φ+, Ψ−, Ψ+, Φ−)."""
        return (self.phi_plus, self.psi_minus, self.psi_plus, self.phi_minus)

    def to_werner(self) -> BellDiagonal:
        """The Werner state of the same fidelity (the result of a random bilateral twirl)."""
        return BellDiagonal.werner(self.phi_plus)

    def reversed(self) -> BellDiagonal:
        """The same state with its two qubits exchanged: Bell-diagonal states are symmetric."""
        return self

    def __format__(self, spec: str) -> str:
        spec = spec or ".4f"
        return "BellDiagonal(" + ", ".join(format(w, spec) for w in self.as_tuple()) + ")"


def compose(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> list[float]:
    """XOR-convolution of two distributions over Pauli errors given as Bell-index weights:
    ν_k = Σ_{i⊕j=k} a_i b_j (physics.md, swapping).

    Written out (``XOR[i][j]`` is i ^ j): the hot paths of the estimate and the ground truth
    call it millions of times. Each sum runs over i in order, as a loop over ``XOR`` would.

    >>> compose((0.5, 0.5, 0.0, 0.0), (0.9, 0.1, 0.0, 0.0))
    [0.5, 0.5, 0.0, 0.0]
    """
    a0, a1, a2, a3 = a
    b0, b1, b2, b3 = b
    return [
        a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3,
        a0 * b1 + a1 * b0 + a2 * b3 + a3 * b2,
        a0 * b2 + a1 * b3 + a2 * b0 + a3 * b1,
        a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0,
    ]
