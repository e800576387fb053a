"""The one root of every error qrna raises, and the mark of the person's own mistakes.

Each layer derives its own subclass (``KernelError``, ``PhysicsError``, ...) so callers can catch a
whole layer or all of qrna. Errors that reject a bad value also derive from ``ValueError``, so code
written against the standard library keeps working. Messages name the bad value, where it came from,
and the valid range or choices (STYLE.md §3).

``InputError`` is what the boundary raises when the person running qrna gave something it refuses
(a scenario file, a ``--set``, a generator name): the command line says so and exits 2. Any other
exception escaping a command is a fault in qrna itself (exit 3, "internal error"), whatever its
class: an engine's ``QrnaError`` raised mid-run means a check at the boundary is missing.
"""

from __future__ import annotations

__all__ = ["InputError", "QrnaError"]


class QrnaError(Exception):
    """Base class of every error raised by qrna."""


class InputError(QrnaError, ValueError):
    """The input given to qrna (a file, an option, an argument) is refused; the message says
    where and what is allowed."""
