"""Errors of the hardware layer."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["HardwareError", "UnsupportedNodeTypeError"]


class HardwareError(QrnaError, ValueError):
    """A hardware component was given an invalid parameter, or used in a way it cannot be."""


class UnsupportedNodeTypeError(HardwareError):
    """A node type the spec names but qrna does not model yet (REP2, RGSS, ABSA)."""
