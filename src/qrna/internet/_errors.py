"""Errors of the internet layer (recursion: networks of networks)."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["InternetError"]


class InternetError(QrnaError, ValueError):
    """An internetwork was described with an invalid value: a name, a network or a link.

    ``network`` is the network at fault when there is one (a network whose interior is not
    connected), so that a caller can name where it was declared."""

    def __init__(self, message: str, network: str | None = None) -> None:
        super().__init__(message)
        self.network = network
