"""Errors of the kernel layer."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["KernelError", "SchedulingError"]


class KernelError(QrnaError):
    """An error raised by the event kernel (scheduler, RNG streams, tracing)."""


class SchedulingError(KernelError, ValueError):
    """An event was scheduled at an invalid time, or the scheduler was driven wrongly."""
