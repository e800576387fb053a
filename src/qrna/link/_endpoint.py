"""The node-side link layer: sans-IO (DESIGN.md), events in, effects out.

A ``LinkEndpoint`` is what a node runs for one link. It keeps the node's private map from pair
names to qubits, hands pairs up (``PairsReady``) or, for a MEAS node, measurement records
(``RecordReady``), and runs link monitoring: pairs whose name selects them are measured at
once in the basis the name selects, and the bit goes to the partner (``MonitorResult``); results
are matched by pair name, never by arrival order.

Local quantum operations go through the injected ``hardware`` (``measure(qubit, basis)``),
which answers synchronously, as QNIC firmware would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

from qrna.hardware import Qubit
from qrna.link._errors import LinkError
from qrna.link._heralds import Heralds, MeasurementRecord
from qrna.link._monitor import LinkMonitor
from qrna.link._naming import PairName

__all__ = [
    "Effect",
    "Event",
    "FreeQubits",
    "LinkEndpoint",
    "LocalHardware",
    "MessageReceived",
    "MonitorResult",
    "PairsHeralded",
    "PairsReady",
    "RecordReady",
    "SendMessage",
    "monitor_basis",
]

_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


class LocalHardware(Protocol):
    """The local operations node software may ask of its hardware."""

    def measure(self, qubit: Qubit, basis: str) -> int:
        """Measure ``qubit`` in ``basis`` ("X", "Y" or "Z") and return the bit read."""
        ...


class PairsHeralded(NamedTuple):
    """Event: a herald message reached this node, for the pairs of one train."""

    link: str
    heralds: Heralds
    t_ps: int


@dataclass(frozen=True, slots=True)
class MonitorResult:
    """Message (spec Table 1 style): my bit for monitored pair ``name``, measured in
    ``basis``."""

    link: str
    name: PairName
    basis: str
    bit: int


class MessageReceived(NamedTuple):
    """Event: a classical message arrived from ``src``."""

    src: str
    message: MonitorResult


class PairsReady(NamedTuple):
    """Effect: stored halves of pairs with ``partner`` are ready for the layers above:
    ``names[i]`` is held by ``qubits[i]`` (one effect per herald message keeps the hot path
    lean)."""

    link: str
    names: list[PairName]
    qubits: list[Qubit]
    partner: str
    t_ps: int


class RecordReady(NamedTuple):
    """Effect (MEAS nodes): the measurement record of pair ``name``."""

    link: str
    name: PairName
    record: MeasurementRecord
    partner: str


class SendMessage(NamedTuple):
    """Effect: send ``message`` to node ``dst`` over the classical network."""

    dst: str
    message: MonitorResult


class FreeQubits(NamedTuple):
    """Effect: reset these qubits and return them to the free pool."""

    qubits: list[Qubit]


Event = PairsHeralded | MessageReceived
Effect = PairsReady | RecordReady | SendMessage | FreeQubits


def monitor_basis(name: PairName, fraction: float) -> str | None:
    """The basis in which pair ``name`` is monitored, or None if it is not sampled.

    A fixed hash of the name's time stamp, so both ends decide alike without a message.
    """
    if fraction <= 0.0:
        return None
    h = (name.t_ps * _GOLDEN) & _MASK64
    if (h >> 11) * (1.0 / (1 << 53)) >= fraction:
        return None
    return "XYZ"[((h * _GOLDEN) & _MASK64) % 3]


class LinkEndpoint:
    """One node's side of one link.

    Args:
        node: this node's address.
        link: the link id.
        partner: the node at the other end.
        hardware: local operations.
        monitor_fraction: fraction of pairs measured for link monitoring (both ends must use
            the same fraction; a MEAS node's records serve its applications instead).
    """

    __slots__ = (
        "_own",
        "_partner_bits",
        "hardware",
        "link",
        "monitor",
        "monitor_fraction",
        "node",
        "pairs",
        "partner",
    )

    def __init__(
        self,
        node: str,
        link: str,
        partner: str,
        hardware: LocalHardware,
        monitor_fraction: float = 0.0,
    ) -> None:
        if not 0.0 <= monitor_fraction <= 1.0:
            raise LinkError(f"link {link}: monitor_fraction={monitor_fraction!r} is outside [0, 1]")
        self.node = node
        self.link = link
        self.partner = partner
        self.hardware = hardware
        self.monitor_fraction = monitor_fraction
        self.monitor = LinkMonitor()
        self.pairs: dict[PairName, Qubit] = {}
        self._own: dict[PairName, tuple[str, int]] = {}
        self._partner_bits: dict[PairName, tuple[str, int]] = {}

    def on_event(self, event: Event) -> list[Effect]:
        """Handle a herald message or a monitoring message; return the effects."""
        if isinstance(event, PairsHeralded):
            return self.on_heralds(event.heralds, event.t_ps)
        return self._on_message(event.message)

    def on_heralds(self, heralds: Heralds, t_ps: int) -> list[Effect]:
        """The body of ``on_event`` for ``PairsHeralded`` (callable directly, sparing the
        event object on the hottest path)."""
        names, qubits, records = heralds
        link, partner = self.link, self.partner
        self.monitor.observe_heralds(t_ps, len(names))
        if records is not None:  # MEAS node: each photon was measured on arrival
            return [RecordReady(link, n, r, partner) for n, r in zip(names, records, strict=True)]
        if qubits is None or len(qubits) != len(names):
            raise LinkError(f"link {link}: a herald must carry one qubit or record per pair")
        fraction = self.monitor_fraction
        if not fraction:  # the common case, in bulk
            self.pairs.update(zip(names, qubits, strict=True))
            return [PairsReady(link, names, qubits, partner, t_ps)]
        effects: list[Effect] = []
        ready_names: list[PairName] = []
        ready_qubits: list[Qubit] = []
        for name, qubit in zip(names, qubits, strict=True):
            basis = monitor_basis(name, fraction)
            if basis is not None:
                bit = self.hardware.measure(qubit, basis)
                effects.extend(self._monitored(name, basis, bit, qubit))
                continue
            self.pairs[name] = qubit
            ready_names.append(name)
            ready_qubits.append(qubit)
        if ready_names:
            effects.append(PairsReady(link, ready_names, ready_qubits, partner, t_ps))
        return effects

    def on_heralds_freed(self, heralds: Heralds, t_ps: int) -> list[Qubit]:
        """``on_heralds`` followed at once by ``release_all`` of the pairs it made ready, for
        layers above that free every pair as soon as it is heralded: the same change of state
        (the heralds are counted; the pairs come and go), returning the qubits to free, the
        list ``FreeQubits`` would carry, without making the effects in between.

        Raises:
            LinkError: at a MEAS node or with monitoring on, where heralds make other effects
                than ready pairs (use ``on_heralds``), or for a malformed herald.
        """
        names, qubits, records = heralds
        if records is not None or self.monitor_fraction:
            raise LinkError(
                f"link {self.link}: node {self.node} has monitoring or measures on arrival; "
                "its heralds make other effects than ready pairs (use on_heralds)"
            )
        n = len(names)
        if qubits is None or len(qubits) != n:
            raise LinkError(f"link {self.link}: a herald must carry one qubit or record per pair")
        self.monitor.observe_heralds(t_ps, n)
        return qubits

    def _monitored(self, name: PairName, basis: str, bit: int, qubit: Qubit) -> list[Effect]:
        msg = MonitorResult(self.link, name, basis, bit)
        effects: list[Effect] = [SendMessage(self.partner, msg), FreeQubits([qubit])]
        theirs = self._partner_bits.pop(name, None)
        if theirs is None:
            self._own[name] = (basis, bit)
        else:
            self._pair_up(basis, bit, theirs)
        return effects

    def _on_message(self, msg: MonitorResult) -> list[Effect]:
        own = self._own.pop(msg.name, None)
        if own is None and monitor_basis(msg.name, self.monitor_fraction) != msg.basis:
            # Both ends select pairs by the same rule; a result for a pair this end did not
            # select means the two ends were given different fractions.
            raise LinkError(
                f"link {self.link}: {self.partner} monitored {msg.name} in {msg.basis}, which "
                f"this end does not select at monitor_fraction={self.monitor_fraction}; both "
                "ends must use the same fraction"
            )
        if own is None:  # it overtook our own herald: keep it until we measure
            self._partner_bits[msg.name] = (msg.basis, msg.bit)
        else:
            self._pair_up(own[0], own[1], (msg.basis, msg.bit))
        return []

    def _pair_up(self, basis: str, bit: int, theirs: tuple[str, int]) -> None:
        if theirs[0] != basis:
            raise LinkError(
                f"link {self.link}: partner measured in {theirs[0]}, this end in {basis}"
            )
        self.monitor.observe_result(basis, bit, theirs[1])

    def hand_over(self, names: list[PairName]) -> list[Qubit]:
        """The layers above take ownership of these pairs (e.g. a connection's RuleSet): this
        endpoint forgets them and will not free them."""
        try:
            return [self.pairs.pop(name) for name in names]
        except KeyError as exc:
            raise LinkError(
                f"link {self.link}: node {self.node} holds no pair named {exc.args[0]}"
            ) from None

    def release(self, name: PairName) -> list[Effect]:
        """The layers above are done with pair ``name``: free its qubit."""
        return self.release_all([name])

    def release_all(self, names: list[PairName]) -> list[Effect]:
        """``release`` for several pairs at once."""
        pairs = self.pairs
        try:
            qubits = [pairs[name] for name in names]  # all or nothing: look before taking
        except KeyError as exc:
            raise LinkError(
                f"link {self.link}: node {self.node} holds no pair named {exc.args[0]}"
            ) from None
        for name in names:
            del pairs[name]
        return [FreeQubits(qubits)]
