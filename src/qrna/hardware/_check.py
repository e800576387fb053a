"""Parameter checks shared by the hardware specs: each names the component, the field and the
valid range (STYLE.md §3)."""

from __future__ import annotations

import math

from qrna.hardware._errors import HardwareError

__all__ = ["check_fraction", "check_positive", "check_non_negative", "check_count"]


def check_fraction(component: str, field: str, value: float) -> float:
    """A probability or efficiency in [0, 1]."""
    if isinstance(value, bool) or not (0.0 <= value <= 1.0):
        raise HardwareError(f"{component}: {field}={value!r} is outside the valid range [0, 1]")
    return float(value)


def check_non_negative(component: str, field: str, value: float) -> float:
    """A finite value >= 0."""
    if isinstance(value, bool) or not (value >= 0.0 and math.isfinite(value)):
        raise HardwareError(
            f"{component}: {field}={value!r} is invalid; expected a finite value >= 0"
        )
    return float(value)


def check_positive(component: str, field: str, value: float, allow_inf: bool = False) -> float:
    """A value > 0 (``math.inf`` allowed when ``allow_inf``)."""
    ok = value > 0.0 and (allow_inf or math.isfinite(value))
    if isinstance(value, bool) or not ok:
        extra = " (math.inf for none)" if allow_inf else ""
        raise HardwareError(
            f"{component}: {field}={value!r} is invalid; expected a value > 0{extra}"
        )
    return float(value)


def check_count(component: str, field: str, value: int, minimum: int = 1) -> int:
    """An integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise HardwareError(
            f"{component}: {field}={value!r} is invalid; expected an integer >= {minimum}"
        )
    return value
