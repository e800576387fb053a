"""Errors of the physics layer."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["PhysicsError"]


class PhysicsError(QrnaError, ValueError):
    """A quantum state or operation was given an invalid value (probability, time, scheme...)."""
