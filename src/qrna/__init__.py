"""qrna: the Quantum Recursive Network Architecture, simulated fast and faithfully.

Layers (DESIGN.md): ``qrna.kernel`` (events, time, randomness) and ``qrna.physics`` (two-qubit
states and the operations on them) are the foundation the network layers stand on.
"""

from qrna._version import __version__
from qrna.errors import QrnaError

__all__ = [
    "QrnaError",
    "__version__",
]
