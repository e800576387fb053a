"""What a network run reports per connection, as its Initiator saw it, with the delivered
pairs' ground truth."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qrna.control._manager import ConnectionEvent
from qrna.rules import DeliveredPair

if TYPE_CHECKING:
    from qrna.control._network import Network

__all__ = ["ConnectionReport", "NetworkResult", "connection_reports"]


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """One connection as its Initiator saw it, with the delivered pairs' ground truth."""

    connection: str
    initiator: str
    responder: str
    fidelity_target: float
    status: str  # "pending", "up", "done", "failed"
    path: tuple[str, ...]
    attempts: int
    delivered: int  # pairs the Initiator delivered
    pairs: tuple[DeliveredPair, ...]  # pairs both ends delivered (checked, with fidelity)
    events: tuple[ConnectionEvent, ...]

    @property
    def mean_fidelity(self) -> float:
        if not self.pairs:
            return math.nan
        return sum(p.fidelity for p in self.pairs) / len(self.pairs)


@dataclass(frozen=True, slots=True)
class NetworkResult:
    """What a run measured."""

    connections: dict[str, ConnectionReport]
    events: int
    wall_s: float
    sim_s: float


def connection_reports(network: Network) -> dict[str, ConnectionReport]:
    """Every connection requested of ``network`` so far."""
    pairs: dict[str, list[DeliveredPair]] = {}
    for p in network.ledger.delivered:
        pairs.setdefault(p.connection, []).append(p)
    out = {}
    for cid, req in network._requests.items():
        events = tuple(network._events[cid])
        kinds = [e.kind for e in events]
        status = "pending"
        for kind in ("up", "done", "failed"):
            if kind in kinds:
                status = kind
        out[cid] = ConnectionReport(
            cid,
            req.initiator,
            req.responder,
            req.fidelity,
            status,
            network.paths.get(cid, ()),
            len([e for e in events if e.kind in ("rejected", "failed", "up")]),
            network._initiator_delivered.get(cid, 0),
            tuple(pairs.get(cid, ())),
            events,
        )
    return out
