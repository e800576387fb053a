"""Errors of the control layer."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["ControlError"]


class ControlError(QrnaError, ValueError):
    """A control message, routing request or connection was given an invalid value."""
