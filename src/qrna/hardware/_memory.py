"""Memory qubits at run time: the life cycle free → emitting → entangled → assigned → free.

A ``MemoryBank`` holds the status of every qubit of one QNIC and refuses illegal transitions
(freeing a free qubit, assigning one that holds nothing), so that a protocol bug surfaces as an
error naming the qubit, not as a silently reused memory. A physical qubit is addressed by
``(QNIC address, index)`` (spec §3.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TypeAlias

from qrna.hardware._components import QNIC
from qrna.hardware._errors import HardwareError

__all__ = ["MemoryBank", "Qubit", "QubitStatus"]

Qubit: TypeAlias = tuple[str, int]
"""A physical qubit: (QNIC address, qubit index)."""


class QubitStatus(IntEnum):
    """Where a memory qubit is in its life cycle."""

    FREE = 0
    EMITTING = 1  # taking part in link-level attempts
    ENTANGLED = 2  # holds half of a heralded Bell pair, not yet given to a connection
    ASSIGNED = 3  # holds a resource of a connection's RuleSet


_ALLOWED = {
    QubitStatus.FREE: (QubitStatus.EMITTING, QubitStatus.ENTANGLED),
    QubitStatus.EMITTING: (QubitStatus.FREE, QubitStatus.ENTANGLED),
    QubitStatus.ENTANGLED: (QubitStatus.ASSIGNED, QubitStatus.FREE),
    QubitStatus.ASSIGNED: (QubitStatus.FREE,),
}

_LEGAL = frozenset((a, b) for a, targets in _ALLOWED.items() for b in targets)
_SOURCES = {to: frozenset(a for a, b in _LEGAL if b is to) for to in QubitStatus}


class MemoryBank:
    """The memory qubits of one QNIC.

    Args:
        address: the QNIC's address.
        spec: its static description.
    """

    __slots__ = ("_status", "address", "spec")

    def __init__(self, address: str, spec: QNIC) -> None:
        self.address = address
        self.spec = spec
        self._status = [QubitStatus.FREE] * (spec.memories + spec.buffer_memories)

    def __len__(self) -> int:
        return len(self._status)

    @property
    def emitters(self) -> int:
        """Qubits 0 .. emitters − 1 have an optical port; the rest are buffer qubits."""
        return self.spec.memories

    def status(self, index: int) -> QubitStatus:
        """Status of qubit ``index``."""
        self._check_index(index)
        return self._status[index]

    def count(self, status: QubitStatus) -> int:
        """Number of qubits in ``status``."""
        return self._status.count(status)

    def indices(self, status: QubitStatus) -> list[int]:
        """Indices of the qubits in ``status``, ascending."""
        return [i for i, s in enumerate(self._status) if s is status]

    def move(self, index: int, to: QubitStatus) -> None:
        """Change qubit ``index``'s status along the life cycle.

        Raises:
            HardwareError: for an index out of range or a transition the life cycle forbids.
        """
        # Hot path (every herald and free): one set lookup. A negative index would wrap
        # around silently, so it is refused before any lookup.
        status = self._status
        if 0 <= index < len(status) and status[index] in _SOURCES[to]:
            status[index] = to
            return
        self._check_index(index)
        now = status[index]
        raise HardwareError(
            f"qubit ({self.address!r}, {index}) cannot go from {now.name} to {to.name}; "
            f"from {now.name} it may go to " + ", ".join(s.name for s in _ALLOWED[now])
        )

    def move_many(self, indices: list[int], to: QubitStatus) -> None:
        """``move`` for several qubits (the link layer's hot path: one call per train)."""
        status, sources = self._status, _SOURCES[to]
        try:
            for index in indices:
                if index >= 0 and status[index] in sources:
                    status[index] = to
                else:
                    self.move(index, to)  # raises the precise error
        except IndexError:
            self.move(index, to)

    def all_are(self, indices: Sequence[int], status: QubitStatus) -> bool:
        """Whether every qubit in ``indices`` (all in range) is in ``status``."""
        own = self._status
        try:
            for i in indices:
                if i < 0 or own[i] is not status:
                    return False
        except IndexError:
            return False
        return True

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self._status):
            raise HardwareError(
                f"QNIC {self.address!r} has no qubit {index}; valid indices are "
                f"0..{len(self._status) - 1}"
            )
