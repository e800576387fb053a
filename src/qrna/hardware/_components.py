"""Static descriptions of the physical components: fibres, QNICs, BSAs, EPPSs, optical switches.

All are frozen dataclasses validated on creation; a bad parameter raises ``HardwareError``
naming the component, the field and the valid range. Lengths are in km, times in seconds at
this boundary (converted to integer picoseconds by the layers that schedule events).

Example:
    >>> Fibre(length_km=20.0).transmittance
    0.3981071705534972
    >>> Fibre(length_km=-1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qrna.hardware._errors.HardwareError: Fibre: length_km=-1.0 is invalid; expected a finite ...
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from qrna.hardware._check import check_count, check_fraction, check_non_negative, check_positive
from qrna.hardware._errors import HardwareError
from qrna.physics import GateNoise

__all__ = [
    "BSA",
    "EPPS",
    "LIGHT_IN_FIBRE_M_PER_S",
    "MEMORY_NOISE_MODELS",
    "QNIC",
    "Fibre",
    "OpticalSwitch",
]

LIGHT_IN_FIBRE_M_PER_S: Final = 2.08e8
"""Speed of light in fibre, c/1.44 (physics.md)."""

MEMORY_NOISE_MODELS: Final = ("t1t2", "depolarising")
"""How an idle memory qubit decays (``QNIC.memory_noise``)."""


@dataclass(frozen=True, slots=True)
class Fibre:
    """An optical fibre.

    Attributes:
        length_km: length in km (>= 0).
        loss_db_per_km: attenuation α (default 0.2 dB/km).
        speed_m_per_s: signal speed (default c/1.44 ≈ 2.08e8 m/s); classical heralds use it too.
        pauli_error_per_km: probability per km that a photon's qubit suffers a depolarising
            error (default 0), e.g. polarisation drift.
    """

    length_km: float
    loss_db_per_km: float = 0.2
    speed_m_per_s: float = LIGHT_IN_FIBRE_M_PER_S
    pauli_error_per_km: float = 0.0

    def __post_init__(self) -> None:
        check_non_negative("Fibre", "length_km", self.length_km)
        check_non_negative("Fibre", "loss_db_per_km", self.loss_db_per_km)
        check_positive("Fibre", "speed_m_per_s", self.speed_m_per_s)
        check_fraction("Fibre", "pauli_error_per_km", self.pauli_error_per_km)

    @property
    def transmittance(self) -> float:
        """η = 10^(−α·L/10)."""
        return float(10.0 ** (-self.loss_db_per_km * self.length_km / 10.0))

    @property
    def delay_s(self) -> float:
        """One-way propagation delay in seconds."""
        return self.length_km * 1e3 / self.speed_m_per_s

    @property
    def depolarising_probability(self) -> float:
        """Probability that a photon crossing the whole fibre is depolarised."""
        return float(1.0 - (1.0 - self.pauli_error_per_km) ** self.length_km)

    def split(self, fraction: float) -> tuple[Fibre, Fibre]:
        """Two fibres of lengths fraction·L and (1 − fraction)·L, e.g. to a midpoint BSA."""
        check_fraction("Fibre", "split fraction", fraction)
        a = Fibre(
            self.length_km * fraction,
            self.loss_db_per_km,
            self.speed_m_per_s,
            self.pauli_error_per_km,
        )
        b = Fibre(
            self.length_km * (1.0 - fraction),
            self.loss_db_per_km,
            self.speed_m_per_s,
            self.pauli_error_per_km,
        )
        return a, b


@dataclass(frozen=True, slots=True)
class QNIC:
    """A quantum network interface card: a bank of memory qubits behind one optical port.

    Attributes:
        memories: number of memory qubits that can emit (or absorb) photons through the port
            (>= 1; a MEAS node has no QNIC at all).
        buffer_memories: further qubits that only store (the buffer qubit of the minimal
            repeater, spec Fig. 2); they are indices ``memories`` .. ``memories + buffer - 1``.
        t1_s, t2_s: memory relaxation and total coherence times (math.inf for none;
            T2 <= 2·T1).
        emission_efficiency: probability that an emission attempt puts a photon, entangled with
            the memory, into the fibre (includes collection and frequency conversion).
        absorption_efficiency: probability that an arriving photon is stored (MSM links).
        emission_interval_s: spacing of the memories' emissions within one round (the emission
            train is memories × interval long).
        gate_noise: errors of the node's local gates and readout on these qubits.
        emission_fidelity: fidelity (Werner) of the memory–photon entanglement.
        reinit_s: how long a memory takes to be re-initialised before it can attempt again
            (0: at once); a link's round lasts at least its ends' longest.
        memory_noise: how an idle qubit decays: "t1t2" (the default: relaxation and
            dephasing, ``t1_s`` and ``t2_s``) or "depolarising" (idle for t, it is replaced
            by the maximally mixed state with probability 1 − e^{−t/τ},
            τ = ``depolarising_time_s``); the times of the other model stay ``math.inf``.
        depolarising_time_s: τ of the depolarising model (math.inf: no decay).
        frame_correction_gate: when True, the Pauli-frame correction a swap calls for at this
            node's end of the new pair is a physical gate, followed by a one-qubit
            depolarising error of probability ``gate_noise.single_qubit_error`` on that
            qubit (applied for every swap result, the identity frame included: the node does
            not skip the gate slot). False (the default): the correction is bookkeeping.
    """

    memories: int
    buffer_memories: int = 0
    t1_s: float = math.inf
    t2_s: float = math.inf
    emission_efficiency: float = 1.0
    absorption_efficiency: float = 1.0
    emission_interval_s: float = 1e-8
    gate_noise: GateNoise = GateNoise.NONE
    emission_fidelity: float = 1.0
    reinit_s: float = 0.0
    memory_noise: Literal["t1t2", "depolarising"] = "t1t2"
    depolarising_time_s: float = math.inf
    frame_correction_gate: bool = False

    def __post_init__(self) -> None:
        check_count("QNIC", "memories", self.memories)
        check_count("QNIC", "buffer_memories", self.buffer_memories, minimum=0)
        check_positive("QNIC", "t1_s", self.t1_s, allow_inf=True)
        check_positive("QNIC", "t2_s", self.t2_s, allow_inf=True)
        if self.t2_s > 2.0 * self.t1_s * (1.0 + 1e-12):
            raise HardwareError(
                f"QNIC: t2_s={self.t2_s!r} exceeds 2·t1_s = {2.0 * self.t1_s!r}; "
                "the total coherence time must satisfy 0 < T2 <= 2·T1"
            )
        check_fraction("QNIC", "emission_efficiency", self.emission_efficiency)
        check_fraction("QNIC", "absorption_efficiency", self.absorption_efficiency)
        check_positive("QNIC", "emission_interval_s", self.emission_interval_s)
        check_fraction("QNIC", "emission_fidelity", self.emission_fidelity)
        if isinstance(self.reinit_s, bool) or not (0.0 <= self.reinit_s < math.inf):
            raise HardwareError(
                f"QNIC: reinit_s={self.reinit_s!r} must be a finite number of seconds >= 0"
            )
        if not isinstance(self.gate_noise, GateNoise):
            raise HardwareError(f"QNIC: gate_noise={self.gate_noise!r} is not a GateNoise")
        self._check_memory_noise()
        if not isinstance(self.frame_correction_gate, bool):
            raise HardwareError(
                f"QNIC: frame_correction_gate={self.frame_correction_gate!r} must be True or False"
            )

    def _check_memory_noise(self) -> None:
        if self.memory_noise not in MEMORY_NOISE_MODELS:
            raise HardwareError(
                f"QNIC: memory_noise={self.memory_noise!r} is not a memory noise model; expected "
                "one of " + ", ".join(MEMORY_NOISE_MODELS)
            )
        check_positive("QNIC", "depolarising_time_s", self.depolarising_time_s, allow_inf=True)
        if self.memory_noise == "t1t2" and self.depolarising_time_s != math.inf:
            raise HardwareError(
                f"QNIC: depolarising_time_s={self.depolarising_time_s!r} is set, but "
                "memory_noise='t1t2'; set memory_noise='depolarising' to use it"
            )
        if self.memory_noise == "depolarising" and (self.t1_s != math.inf or self.t2_s != math.inf):
            raise HardwareError(
                f"QNIC: memory_noise='depolarising' takes depolarising_time_s, but t1_s="
                f"{self.t1_s!r}, t2_s={self.t2_s!r}; leave both at math.inf"
            )

    @property
    def correction_error(self) -> float:
        """The depolarising probability a swap's Pauli-frame correction adds at this end:
        ``gate_noise.single_qubit_error`` when ``frame_correction_gate``, else 0."""
        return self.gate_noise.single_qubit_error if self.frame_correction_gate else 0.0


@dataclass(frozen=True, slots=True)
class BSA:
    """A Bell-state analyser (linear optics: succeeds on half the Bell states).

    Attributes:
        detector_efficiency: η_d of each detector.
        dark_count_probability: probability that a detector fires with no photon within one
            detection window.
        visibility: two-photon interference visibility (1 = perfect); an imperfect one leaves
            the heralded pair mixed with probability 1 − visibility.
    """

    detector_efficiency: float = 1.0
    dark_count_probability: float = 0.0
    visibility: float = 1.0

    def __post_init__(self) -> None:
        check_fraction("BSA", "detector_efficiency", self.detector_efficiency)
        check_fraction("BSA", "dark_count_probability", self.dark_count_probability)
        check_fraction("BSA", "visibility", self.visibility)


@dataclass(frozen=True, slots=True)
class EPPS:
    """An entangled photon pair source (e.g. SPDC), the midpoint of an MSM link.

    Attributes:
        pair_probability: probability that a pump pulse (one attempt) yields a pair.
        source_fidelity: fidelity (Werner) of the emitted photon pair.
        detector_efficiency: efficiency η_d of each end's absorption herald.
        dark_count_probability: probability that an end's herald fires with no photon stored.
        pulse_interval_s: spacing of pump pulses; the attempt period of a link whose two ends
            measure photons on arrival (no memory waits for a herald).
    """

    pair_probability: float = 1.0
    source_fidelity: float = 1.0
    detector_efficiency: float = 1.0
    dark_count_probability: float = 0.0
    pulse_interval_s: float = 1e-8

    def __post_init__(self) -> None:
        check_fraction("EPPS", "pair_probability", self.pair_probability)
        check_fraction("EPPS", "source_fidelity", self.source_fidelity)
        check_fraction("EPPS", "detector_efficiency", self.detector_efficiency)
        check_fraction("EPPS", "dark_count_probability", self.dark_count_probability)
        check_positive("EPPS", "pulse_interval_s", self.pulse_interval_s)


@dataclass(frozen=True, slots=True)
class OpticalSwitch:
    """An optical switch connecting one QNIC port to one of ``ports`` fibres at a time.

    Attributes:
        ports: number of selectable outputs (>= 2).
        switching_time_s: time to change position, during which no port is connected.
        insertion_loss_db: loss added to every photon passing it.
    """

    ports: int = 2
    switching_time_s: float = 0.0
    insertion_loss_db: float = 0.0

    def __post_init__(self) -> None:
        check_count("OpticalSwitch", "ports", self.ports, minimum=2)
        check_non_negative("OpticalSwitch", "switching_time_s", self.switching_time_s)
        check_non_negative("OpticalSwitch", "insertion_loss_db", self.insertion_loss_db)

    @property
    def transmittance(self) -> float:
        """Fraction of photons that pass."""
        return float(10.0 ** (-self.insertion_loss_db / 10.0))
