"""The two interchangeable state backends, as one type."""

from __future__ import annotations

from typing import TypeAlias, TypeVar

from qrna.physics._bell import BellDiagonal
from qrna.physics._density import DensityMatrix
from qrna.physics._errors import PhysicsError

__all__ = ["State", "StateT", "check_same_backend"]

State: TypeAlias = BellDiagonal | DensityMatrix
"""A two-qubit state in either backend."""

StateT = TypeVar("StateT", BellDiagonal, DensityMatrix)


def check_same_backend(operation: str, *states: object) -> None:
    """Refuse inputs that are not states, or that mix the two backends.

    Raises:
        PhysicsError: naming the operation and the types received.
    """
    kind = type(states[0]) if states else None
    if kind in (BellDiagonal, DensityMatrix) and all(type(s) is kind for s in states):
        return  # the common case, checked without building sets (a hot path)
    kinds = {type(s) for s in states}
    if not kinds <= {BellDiagonal, DensityMatrix} or len(kinds) != 1:
        names = ", ".join(type(s).__name__ for s in states)
        raise PhysicsError(
            f"{operation} takes states of one backend (all BellDiagonal or all DensityMatrix); "
            f"got {names}"
        )
