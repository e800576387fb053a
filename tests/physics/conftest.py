"""Shared helpers for the physics tests."""

from __future__ import annotations

from qrna.physics import BellDiagonal, DensityMatrix, State


def both(bd: BellDiagonal) -> tuple[BellDiagonal, DensityMatrix]:
    """The same Bell-diagonal state in both backends."""
    return bd, DensityMatrix.from_bell_diagonal(bd)


def weights(state: State) -> tuple[float, float, float, float]:
    """Bell weights (Φ+, Ψ−, Ψ+, Φ−) of a state of either backend."""
    return state.as_tuple() if isinstance(state, BellDiagonal) else state.bell_weights()
