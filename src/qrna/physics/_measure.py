"""Measuring both halves of a pair in the X, Y or Z basis (QKD, tomography, link monitoring).

Outcome 0 means eigenvalue +1 of the basis Pauli. For Φ+, Z⊗Z and X⊗X outcomes agree and Y⊗Y
outcomes disagree. On a Bell-diagonal state each outcome alone is uniform; with equal bases the
two disagree with probability B + C in Z, B + D in X and A + B in Y (weights in (Φ+, Ψ−, Ψ+, Φ−)
order), and with different bases they are independent.

Example:
    >>> from qrna.physics import BellDiagonal
    >>> p = measurement_probabilities(BellDiagonal(0.85, 0.05, 0.07, 0.03), ("Z", "Z"))
    >>> round(float(p[0, 1] + p[1, 0]), 12)  # QBER in Z = B + C
    0.12
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from qrna.physics._bell import BellDiagonal
from qrna.physics._circuit import BASIS_CHANGE, apply
from qrna.physics._errors import PhysicsError
from qrna.physics._noise import check_probability
from qrna.physics._state import State, check_same_backend

__all__ = ["BASES", "frame_flips", "measure", "measurement_probabilities"]

BASES = ("X", "Y", "Z")


def _check_bases(bases: tuple[str, str]) -> tuple[str, str]:
    if not isinstance(bases, tuple | list) or len(bases) != 2 or any(b not in BASES for b in bases):
        raise PhysicsError(
            f"bases={bases!r} is not a basis per half; expected two of 'X', 'Y', 'Z', "
            "e.g. ('Z', 'Z')"
        )
    return (bases[0], bases[1])


def measurement_probabilities(
    state: State, bases: tuple[str, str], readout_error: float = 0.0
) -> NDArray[np.float64]:
    """P[m0, m1] of reading bits (m0, m1) when half 0 is measured in ``bases[0]`` and half 1 in
    ``bases[1]``, each bit flipped with probability ``readout_error``."""
    check_same_backend("measurement_probabilities", state)
    b0, b1 = _check_bases(bases)
    r = check_probability(readout_error, "readout_error")
    if isinstance(state, BellDiagonal):
        probs = np.full((2, 2), 0.25)
        if b0 == b1:
            a, b, c, d = state.as_tuple()
            odd = {"Z": b + c, "X": b + d, "Y": a + b}[b0]
            odd = odd + 2.0 * r * (1.0 - r) * (1.0 - 2.0 * odd)  # either bit flipped
            probs = np.array([[1.0 - odd, odd], [odd, 1.0 - odd]]) / 2.0
        return probs
    m = apply(state.matrix, 2, BASIS_CHANGE[b0], [0])
    m = apply(m, 2, BASIS_CHANGE[b1], [1])
    probs = np.clip(np.diag(m).real, 0.0, None).reshape(2, 2)
    if r:
        flip = np.array([[1.0 - r, r], [r, 1.0 - r]])
        probs = flip @ probs @ flip.T
    return probs / probs.sum()  # type: ignore[no-any-return]


def measure(
    state: State, bases: tuple[str, str], rng: np.random.Generator, readout_error: float = 0.0
) -> tuple[int, int]:
    """Measure both halves and return the two bits, drawn with their joint probabilities."""
    probs = measurement_probabilities(state, bases, readout_error).ravel()
    k = int(rng.choice(4, p=probs))
    return (k >> 1, k & 1)


def frame_flips(frame: str, basis: str) -> bool:
    """Whether the Pauli correction ``frame`` flips a bit already read in ``basis``.

    A half measured before its swap's frame arrives (a MEAS node) applies the correction to
    its classical record instead: a Pauli that anticommutes with the measured one flips it.

    Example:
        >>> [frame_flips(f, "Z") for f in "IXYZ"]
        [False, True, True, False]
    """
    if frame not in ("I", "X", "Y", "Z"):
        raise PhysicsError(f"frame={frame!r} is not a Pauli; expected one of 'I', 'X', 'Y', 'Z'")
    if basis not in BASES:
        raise PhysicsError(f"basis={basis!r} is not a basis; expected one of 'X', 'Y', 'Z'")
    return frame not in ("I", basis)
