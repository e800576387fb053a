"""What the rule engine asks of its node and tells its node (sans-IO, DESIGN.md): the local
operations it may request (``EngineHardware``, answered synchronously as QNIC firmware would),
the effects it returns, and the estimate arithmetic both ends of a pair share."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

from qrna.hardware import Qubit
from qrna.link import PairName
from qrna.physics import BellDiagonal, purify
from qrna.rules._messages import Message

__all__ = [
    "EngineEffect",
    "EngineHardware",
    "FreeQubit",
    "MeasurementDone",
    "PairDelivered",
    "Send",
    "SetTimer",
    "purified_fidelity",
    "werner_swap_fidelity",
]


def werner_swap_fidelity(fa: float, fb: float) -> float:
    """A node's estimate after swapping pairs it believes Werner of fidelities fa, fb."""
    return fa * fb + (1.0 - fa) * (1.0 - fb) / 3.0


def purified_fidelity(fidelities: list[float], scheme: str) -> float:
    """A node's estimate of the kept pair after a successful round on Werner pairs (the same
    arithmetic at both ends, so their estimates agree)."""
    return _purified(tuple(fidelities), scheme)


@functools.lru_cache(maxsize=4096)
def _purified(fidelities: tuple[float, ...], scheme: str) -> float:
    # Memoised: estimates repeat (link monitoring gives every pair of a link the same one),
    # and a closed-form purification costs as much as the rest of the round.
    states = [BellDiagonal.werner(min(1.0, max(0.0, f))) for f in fidelities]
    sacrifice = states[1] if len(states) == 2 else tuple(states[1:])
    _, kept = purify(states[0], sacrifice, scheme)
    return kept.fidelity if kept is not None else 0.0


class EngineHardware(Protocol):
    """Local operations the rule engine may ask of its node's hardware."""

    def swap(self, q1: Qubit, q2: Qubit) -> tuple[tuple[int, int], str] | None:
        """Bell measurement of two local qubits; returns the bits and the Pauli frame, or None
        when the measurement failed (a swap success probability below 1): both pairs are
        lost, their halves here still to be freed."""
        ...

    def purify_first(self, qubits: list[Qubit], scheme: str, twirl: bool) -> tuple[int, ...]:
        """This node acts first in a purification of these (kept, sacrificed...) halves,
        twirled to Werner form first when ``twirl``."""
        ...

    def purify_second(
        self, qubits: list[Qubit], scheme: str, twirl: bool
    ) -> tuple[tuple[int, ...], bool]:
        """This node acts second; returns its bits and whether the pair is kept."""
        ...

    def measure(self, qubit: Qubit, basis: str) -> tuple[str, int]:
        """Measure a qubit in "X", "Y", "Z" or "random"; returns the basis used and the bit."""
        ...

    def hand_over(self, qubit: Qubit, to: str, partner: str) -> Qubit | None:
        """A half a layer below hands to connection ``to`` (its pair with ``partner``): the
        qubit that holds it for ``to`` now (moved into a memory of ``to``'s own, or the same
        one), or None when ``to`` has no memory free for it (the pair is then discarded)."""
        ...


@dataclass(frozen=True, slots=True)
class Send:
    """Effect: send ``message`` to node ``dst``."""

    dst: str
    message: Message


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Effect: call ``on_timer(token)`` after ``delay_ps``; the token names the connection
    and the (Stage, partner) whose oldest resource's discard timer it is."""

    delay_ps: int
    token: tuple[str, tuple[int, str]]


@dataclass(frozen=True, slots=True)
class FreeQubit:
    """Effect: the qubit is reset and free for new link-level pairs."""

    qubit: Qubit


@dataclass(frozen=True, slots=True)
class PairDelivered:
    """Effect: the application receives this node's half of pair ``name`` with ``partner``:
    the qubit holding it, or at a MEAS node (``qubit`` None) the corrected ``record``
    (basis, bit) of the photon measured on arrival. ``link_pair`` is the link-level pair this
    half entered the connection as (through a layer below, the one it entered that layer as)."""

    connection: str
    name: PairName
    qubit: Qubit | None
    partner: str
    t_ps: int
    record: tuple[str, int] | None = None
    link_pair: PairName | None = None


@dataclass(frozen=True, slots=True)
class MeasurementDone:
    """Effect: a Measure action read ``bit`` in ``basis`` on this node's half of ``name``."""

    connection: str
    name: PairName
    partner: str
    basis: str
    bit: int
    t_ps: int


EngineEffect = Send | SetTimer | FreeQubit | PairDelivered | MeasurementDone
