"""Conversions between seconds (at the edges) and integer picoseconds (everywhere inside).

Example:
    >>> s_to_ps(1.5e-6)
    1500000
    >>> ps_to_s(2_000_000_000_000)
    2.0
"""

from __future__ import annotations

import math
from typing import Final

from qrna.kernel._errors import KernelError

__all__ = ["PS_PER_S", "ps_to_s", "s_to_ps"]

PS_PER_S: Final = 1_000_000_000_000


def s_to_ps(seconds: float) -> int:
    """Seconds to the nearest integer picosecond.

    Raises:
        KernelError: for NaN or infinite input, which has no picosecond value.
    """
    if not math.isfinite(seconds):
        raise KernelError(f"time {seconds!r} s is not finite; expected a finite number of seconds")
    return round(seconds * PS_PER_S)


def ps_to_s(ps: int) -> float:
    """Integer picoseconds to float seconds (for reports and physics formulas)."""
    return ps / PS_PER_S
