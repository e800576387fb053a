"""The one root of every error qrna raises.

Each layer derives its own subclass (``KernelError``, ``PhysicsError``, ...) so callers can catch a
whole layer or all of qrna. Errors that reject a bad value also derive from ``ValueError``, so code
written against the standard library keeps working. Messages name the bad value, where it came from,
and the valid range or choices (STYLE.md §3).
"""

from __future__ import annotations

__all__ = ["QrnaError"]


class QrnaError(Exception):
    """Base class of every error raised by qrna."""
