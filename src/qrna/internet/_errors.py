"""Errors of the internet layer (recursion: networks of networks)."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["InternetError"]


class InternetError(QrnaError, ValueError):
    """An internetwork was described with an invalid value: a name, a network or a link."""
