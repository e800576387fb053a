"""Herald messages: what a link tells each end about a successful train of attempts.

A link reports a whole train at once (as a BSA does): one ``Heralds`` message per end, listing
the train's pairs by name with, per pair, the end's qubit holding its half or, at a MEAS end,
the ``MeasurementRecord`` its detector read from the photon on arrival.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from qrna.hardware import Qubit
from qrna.link._naming import PairName

__all__ = ["Deliver", "Heralds", "MeasurementRecord"]


class Heralds(NamedTuple):
    """One herald message to one end: the successful pairs of a train, as parallel lists.

    ``qubits`` holds the end's stored halves; at a MEAS end it is None and ``records`` holds
    what the detector read from each photon.
    """

    names: list[PairName]
    qubits: list[Qubit] | None
    records: list[MeasurementRecord] | None


Deliver = Callable[[int, Heralds], None]


class MeasurementRecord(tuple[str, int, int, int]):
    """(basis, bit, t_ps, origin): what a MEAS end read from its photon, and when.

    ``origin`` is the ground-truth pair's uid, for the simulator's checks only: node software
    never reads it (a real detector reports no such thing).
    """

    __slots__ = ()

    @property
    def basis(self) -> str:
        return self[0]

    @property
    def bit(self) -> int:
        return self[1]

    @property
    def t_ps(self) -> int:
        return self[2]

    @property
    def origin(self) -> int:
        return self[3]
