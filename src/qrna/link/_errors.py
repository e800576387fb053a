"""Errors of the link layer."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["LinkError"]


class LinkError(QrnaError, ValueError):
    """A link was described inconsistently, or driven in a way it cannot be."""
