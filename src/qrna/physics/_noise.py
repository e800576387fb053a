"""Noise parameters of local operations and memories, validated where they enter.

``GateNoise`` is the error model of a node's gates and readout, used by swapping and
purification in both backends:

- ``cnot_error``: probability p that a two-qubit depolarising channel follows each CNOT, i.e.
  (1 − p)ρ + p·(I/4 on those two qubits);
- ``single_qubit_error``: the same for a one-qubit depolarising channel after each single-qubit
  gate (Hadamard of the Bell measurement, DEJMPS rotations);
- ``readout_error``: probability that each measured bit is reported flipped;
- ``swap_degradation``: d, the probability that a swap's resulting pair survives it: with
  probability 1 − d the swapped pair is replaced by the maximally mixed state (a swap's noise
  beyond its gates and readout, as other simulators model it; the bits read are unaffected);
- ``swap_success_probability``: a, the probability that the Bell measurement of a swap
  succeeds (½ for linear optics); when it fails both pairs are lost, and the node says so to
  both partners (the node's hardware draws it: the physics of a successful swap is the rest).

Pauli-frame corrections and twirls are classical bookkeeping and carry no noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from qrna.physics._errors import PhysicsError

__all__ = ["GateNoise", "check_halves", "check_memory_times", "check_probability"]


def check_probability(value: float, name: str) -> float:
    """Return ``value`` as a float if it lies in [0, 1]; otherwise raise naming ``name``."""
    if isinstance(value, bool) or not (0.0 <= value <= 1.0):
        raise PhysicsError(f"{name}={value!r} is not a probability; expected a value in [0, 1]")
    return float(value)


@dataclass(frozen=True, slots=True)
class GateNoise:
    """Error probabilities of local gates and readout (see the module docstring).

    >>> GateNoise(cnot_error=0.01).readout_error
    0.0
    """

    cnot_error: float = 0.0
    single_qubit_error: float = 0.0
    readout_error: float = 0.0
    swap_degradation: float = 1.0
    swap_success_probability: float = 1.0

    NONE: ClassVar[GateNoise]

    def __post_init__(self) -> None:
        for name in (
            "cnot_error",
            "single_qubit_error",
            "readout_error",
            "swap_degradation",
            "swap_success_probability",
        ):
            check_probability(getattr(self, name), f"GateNoise.{name}")

    @property
    def is_ideal(self) -> bool:
        """True when every error probability is zero (and swaps do not degrade)."""
        return (
            self.cnot_error == 0.0
            and self.single_qubit_error == 0.0
            and (self.readout_error == 0.0)
            and self.swap_degradation == 1.0
            and self.swap_success_probability == 1.0
        )


GateNoise.NONE = GateNoise()


def check_memory_times(t_s: float, t1_s: float, t2_s: float) -> None:
    """Validate a storage time and memory coherence times (physics.md conventions).

    T1 and T2 are positive (``math.inf`` for no decay of that kind); T2 is the total coherence
    time, so T2 ≤ 2·T1.

    Raises:
        PhysicsError: naming the bad value and the valid range.
    """
    if not (t_s >= 0.0 and math.isfinite(t_s)):
        raise PhysicsError(f"storage time t_s={t_s!r} is invalid; expected a finite value >= 0")
    if not t1_s > 0.0:
        raise PhysicsError(f"t1_s={t1_s!r} is invalid; expected T1 > 0 (math.inf for none)")
    if not t2_s > 0.0:
        raise PhysicsError(f"t2_s={t2_s!r} is invalid; expected T2 > 0 (math.inf for none)")
    if t2_s > 2.0 * t1_s * (1.0 + 1e-12):
        raise PhysicsError(
            f"t2_s={t2_s!r} exceeds 2·T1 = {2.0 * t1_s!r}; the total coherence time T2 must "
            "satisfy 0 < T2 <= 2·T1"
        )


def check_halves(qubits: tuple[int, ...]) -> tuple[int, ...]:
    """Validate a selection of halves of a pair: (0,), (1,) or (0, 1)."""
    if (
        not isinstance(qubits, tuple | list)
        or not qubits
        or len(set(qubits)) != len(qubits)
        or (any(q not in (0, 1) for q in qubits))
    ):
        raise PhysicsError(
            f"qubits={qubits!r} does not name halves of a pair; expected (0,), (1,) or (0, 1)"
        )
    return tuple(qubits)
