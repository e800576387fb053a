"""Errors of the control layer."""

from __future__ import annotations

from qrna.errors import InputError, QrnaError

__all__ = ["ControlError", "GeneratorError"]


class ControlError(QrnaError, ValueError):
    """A control message, routing request or connection was given an invalid value."""


class GeneratorError(ControlError, InputError):
    """A plugin generator (not one qrna ships) raised or answered something that is neither
    ``Accepted`` nor ``Rejected``: the plugin's fault, so the person's to fix (exit 2)."""
