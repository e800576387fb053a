"""Applications, written only against the socket API (``qrna.api``): BBM92 QKD, teleportation,
end-to-end tomography and sensing."""

from qrna.apps._base import App, RunningStats, binary_entropy, binomial_ci
from qrna.apps._measuring import QKD, Sensing
from qrna.apps._teleport import Teleport, Tomography

APPS: dict[str, type[App]] = {
    "pairs": App,
    "qkd": QKD,
    "teleport": Teleport,
    "tomography": Tomography,
    "sensing": Sensing,
}
"""Applications by the name scenario files use."""

__all__ = [
    "APPS",
    "App",
    "QKD",
    "RunningStats",
    "Sensing",
    "Teleport",
    "Tomography",
    "binary_entropy",
    "binomial_ci",
]
