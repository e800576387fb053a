"""Two-qubit quantum states and the operations a quantum network applies to them.

Two interchangeable backends behind one set of functions (DESIGN.md, physics): ``BellDiagonal``
(fast, exact for Pauli noise) and ``DensityMatrix`` (the exact 4×4 reference). Every function
returns the same state type it was given. Conventions: Bell-diagonal order (Φ+, Ψ−, Ψ+, Φ−),
target Φ+, fidelity ⟨Φ+|ρ|Φ+⟩ (``reference/physics.md``).
"""

from qrna.physics._bell import BELL_NAMES, BellDiagonal, bell_index_of_pauli, pauli_of_bell_index
from qrna.physics._channels import (
    decohere,
    decohere_half,
    depolarize,
    depolarize_half,
    memory_depolarizing_probability,
    memory_pauli_twirl,
    pauli_channel,
)
from qrna.physics._density import DensityMatrix
from qrna.physics._errors import PhysicsError
from qrna.physics._measure import BASES, frame_flips, measure, measurement_probabilities
from qrna.physics._noise import GateNoise
from qrna.physics._purify import (
    Noise,
    PurificationOutcome,
    bell_diagonal_records,
    purification_outcomes,
    purify,
    purify_sampled,
)
from qrna.physics._schemes import SCHEMES, PurificationScheme
from qrna.physics._state import State
from qrna.physics._swap import SwapOutcome, swap, swap_sampled

__all__ = [
    "BASES",
    "BELL_NAMES",
    "BellDiagonal",
    "DensityMatrix",
    "GateNoise",
    "Noise",
    "PhysicsError",
    "PurificationOutcome",
    "PurificationScheme",
    "SCHEMES",
    "State",
    "SwapOutcome",
    "bell_diagonal_records",
    "bell_index_of_pauli",
    "decohere",
    "decohere_half",
    "depolarize",
    "depolarize_half",
    "frame_flips",
    "measure",
    "measurement_probabilities",
    "memory_depolarizing_probability",
    "memory_pauli_twirl",
    "pauli_channel",
    "pauli_of_bell_index",
    "purification_outcomes",
    "purify",
    "purify_sampled",
    "swap",
    "swap_sampled",
]
