"""Quantum sockets (spec §2.2): how applications use the network.

Like a classical socket: create one on an end node (``socket``), ``connect`` to a peer that
``listen``s, ``recv`` what arrived, ``send`` classical data to the peer, set options
(``setsockopt``), talk to the QNICs (``ioctl``), and ``close``. The kind follows the end node
types of spec §4.1:

- ``"MEAS"`` and ``"SNSR"``: every delivered half is measured at once, in the basis the
  ``"basis"`` option names (X, Y, Z, "random" for X or Z, "random3" for X, Y or Z, "shared"
  for X, Y or Z chosen by a hash of the pair's name, so both ends agree without a message —
  tomography); ``recv`` returns classical records. SNSR records are for sensing: their
  timestamps are the point.
- ``"COMP"``: ``recv`` returns held qubits; the application measures each (``measure``) when
  it chooses, e.g. after a classical message arrives, and the qubit decoheres meanwhile.

Every ``Delivery`` carries the pair's creation and delivery timestamps in ps (spec §2.2: time
is part of the service). Applications never read a pair's true state: only what they measure.

Example:
    >>> from qrna.control import line_network
    >>> net = line_network(3, seed=1)
    >>> a, b = socket(net, "n0", "MEAS"), socket(net, "n2", "MEAS")
    >>> b.listen()
    >>> a.setsockopt("basis", "Z"); b.setsockopt("basis", "Z")
    >>> c = a.connect("n2", pairs=20, fidelity=0.9)
    >>> _ = net.run(0.05)
    >>> ra, rb = {x.name: x.bit for x in a.recv()}, {x.name: x.bit for x in b.recv()}
    >>> both = ra.keys() & rb.keys()
    >>> len(both) >= 19, all(ra[n] == rb[n] for n in both)
    (True, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from qrna.control import ControlError, Network, PlanRequest
from qrna.hardware import NodeType, Qubit
from qrna.link import PairName, monitor_basis
from qrna.rules import PairDelivered

__all__ = ["Delivery", "QuantumSocket", "SocketError", "socket"]

Kind = Literal["MEAS", "SNSR", "COMP"]
_BASES = {"X": "X", "Y": "Y", "Z": "Z", "random": "XZ", "random3": "XYZ", "shared": ""}


class SocketError(ControlError):
    """A socket was used wrongly (bad option, recv before connect, ...)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivered half: for MEAS/SNSR the basis and bit read; for COMP the held qubit."""

    connection: str
    name: PairName
    partner: str
    created_ps: int
    delivered_ps: int
    basis: str | None = None
    bit: int | None = None
    qubit: Qubit | None = None


def socket(network: Network, node: str, kind: Kind = "COMP") -> QuantumSocket:
    """A new socket on end node ``node``."""
    return QuantumSocket(network, node, kind)


class QuantumSocket:
    """A socket on one node of ``network`` (see the module docstring)."""

    def __init__(self, network: Network, node: str, kind: Kind = "COMP") -> None:
        if node not in network.nodes:
            raise SocketError(f"no node {node!r} in the network")
        if kind not in ("MEAS", "SNSR", "COMP"):
            raise SocketError(f"kind={kind!r}; expected 'MEAS', 'SNSR' or 'COMP'")
        if network.nodes[node].type is NodeType.MEAS and kind != "MEAS":
            raise SocketError(
                f"{node!r} is a MEAS node (it measures photons on arrival): only a 'MEAS' socket "
                "can run there"
            )
        self.network = network
        self.node = node
        self.kind = kind
        self.options: dict[str, Any] = {
            "basis": "random",
            "memories": 4,
            "start_s": None,
            "plan": None,
            "best_effort": False,
        }
        self.connection: str | None = None
        self.peer: str | None = None
        self.closed = False
        self._listening = False
        self._inbox: list[Delivery] = []
        self._messages: list[Any] = []
        self._on_message: Callable[[Any], None] | None = None
        self._on_receive: Callable[[Delivery], None] | None = None
        # Named by creation order, so a seeded run draws the same bases every time.
        network._sockets += 1
        self._rng = network.streams.stream(f"socket/{node}/{network._sockets}")
        self._peer_socket: QuantumSocket | None = None

    # -- options ----------------------------------------------------------------------------------

    def setsockopt(self, name: str, value: Any) -> None:
        """Options: ``"basis"`` (MEAS/SNSR: X, Y, Z, "random", "random3"), ``"memories"``
        (per QNIC on the path), ``"start_s"`` (when connect's request leaves), ``"plan"`` (a
        ``PlanRequest``: what the Responder's plan must be) and ``"best_effort"`` (take the
        nearest plan when none reaches the fidelity)."""
        if name not in self.options:
            raise SocketError(
                f"unknown option {name!r}; options: {', '.join(sorted(self.options))}"
            )
        if name == "basis" and value not in _BASES:
            raise SocketError(f"basis={value!r}; expected one of {', '.join(_BASES)}")
        if name == "plan" and not (value is None or isinstance(value, PlanRequest)):
            raise SocketError(f"plan={value!r}; expected a PlanRequest or None")
        if name == "best_effort" and not isinstance(value, bool):
            raise SocketError(f"best_effort={value!r}; expected true or false")
        self.options[name] = value

    def ioctl(self, request: str, arg: str | None = None) -> dict[str, Any]:
        """QNIC-level requests: ``"qnic"`` (the QNIC facing neighbour ``arg``: its settings),
        ``"link"`` (what this node knows of its link to ``arg``: rate and Bell-diagonal
        estimate), ``"neighbours"``."""
        ports = self.network.ports[self.node]
        if request == "neighbours":
            return {"neighbours": sorted(ports)}
        if arg not in ports:
            raise SocketError(f"{self.node} has no link to {arg!r}; neighbours: {sorted(ports)}")
        if request == "qnic":
            qnic = self.network._qnic(self.node, arg)
            out = dataclasses.asdict(qnic)
            out["gate_noise"] = dataclasses.asdict(qnic.gate_noise)
            return out
        if request == "link":
            state = self.network.link_state(self.node, arg)
            return {
                "rate_hz": state.rate_hz,
                "weights": list(state.weights),
                "fidelity": state.fidelity,
            }
        raise SocketError(f"unknown ioctl {request!r}; expected 'qnic', 'link' or 'neighbours'")

    # -- connections -------------------------------------------------------------------------------

    def listen(self) -> None:
        """Accept the next connection whose Responder is this node."""
        self._check_open()
        if self._listening or self.connection is not None:
            raise SocketError(f"socket on {self.node} is listening or connected already")
        self._listening = True
        self.network._listeners.setdefault(self.node, []).append(self)

    def connect(
        self,
        peer: str,
        pairs: int | None = None,
        fidelity: float = 0.8,
        duration_s: float | None = None,
        name: str | None = None,
    ) -> str:
        """Ask for end-to-end pairs with ``peer``; returns the connection id (``name`` if
        given). The peer's listening socket (if any) gets the other halves."""
        self._check_open()
        if self.connection is not None or self._listening:
            raise SocketError(
                f"socket on {self.node} is {'connected' if self.connection else 'listening'} "
                "already; a socket carries one connection"
            )
        start = self.options["start_s"]
        at_s = max(1e-3, self.network.now_ps * 1e-12) if start is None else float(start)
        cid = self.network.request(
            self.node,
            peer,
            fidelity,
            pairs,
            duration_s,
            self.options["memories"],
            at_s,
            name,
            plan=self.options["plan"],
            best_effort=self.options["best_effort"],
        )
        self._bind(cid, peer)
        listeners = self.network._listeners.get(peer, [])
        if listeners:
            other = listeners.pop(0)
            other._bind(cid, self.node)
            self._peer_socket, other._peer_socket = other, self
        return cid

    def _bind(self, cid: str, peer: str) -> None:
        self._listening = False
        self.connection, self.peer = cid, peer
        self.network.attach(cid, self.node, self._delivered, hold=self.kind == "COMP")

    def _delivered(self, d: PairDelivered) -> None:
        if self.closed:  # nobody reads this socket any more: give the half back at once
            if d.qubit is not None and self.kind == "COMP":
                self.network.release(d.qubit)
            return
        base = dict(
            connection=d.connection,
            name=d.name,
            partner=d.partner,
            created_ps=d.name.t_ps,
            delivered_ps=d.t_ps,
        )
        if d.qubit is None:  # a MEAS node: read on arrival, in its own basis
            assert d.record is not None
            self._put(Delivery(**base, basis=d.record[0], bit=d.record[1]))  # type: ignore[arg-type]
            return
        if self.kind == "COMP":
            self._put(Delivery(**base, qubit=d.qubit))  # type: ignore[arg-type]
            return
        choices = _BASES[self.options["basis"]]
        if not choices:
            basis = monitor_basis(d.name, 1.0) or "Z"
        elif len(choices) > 1:
            basis = choices[int(self._rng.integers(len(choices)))]
        else:
            basis = choices
        bit = self.network.measure(self.node, d.qubit, basis)
        self._put(Delivery(**base, basis=basis, bit=bit))  # type: ignore[arg-type]

    def _put(self, delivery: Delivery) -> None:
        if self._on_receive is not None:
            self._on_receive(delivery)
        else:
            self._inbox.append(delivery)

    def on_receive(self, handler: Callable[[Delivery], None]) -> None:
        """Call ``handler`` with each delivery as it arrives (instead of queueing for
        ``recv``): how an application reacts to stochastic arrivals (spec §2.2)."""
        self._on_receive = handler

    # -- data -----------------------------------------------------------------------------------

    def recv(self) -> list[Delivery]:
        """Everything delivered since the last ``recv``."""
        out, self._inbox = self._inbox, []
        return out

    def measure(self, delivery: Delivery, basis: str) -> int:
        """COMP: measure a held qubit in "X", "Y" or "Z" now, and release it."""
        if delivery.qubit is None:
            raise SocketError("only a COMP socket's deliveries hold qubits")
        if basis not in ("X", "Y", "Z"):
            raise SocketError(f"basis={basis!r}; expected 'X', 'Y' or 'Z'")
        if not self.network.store.holds(delivery.qubit):
            raise SocketError(f"pair {delivery.name}: the connection ended and freed this half")
        bit = self.network.measure(self.node, delivery.qubit, basis)
        self.network.release(delivery.qubit)
        return bit

    def send(self, message: Any) -> None:
        """Send classical ``message`` to the peer's socket (classical latency applies)."""
        self._check_open()
        if self.peer is None or self._peer_socket is None:
            raise SocketError(f"socket on {self.node} has no connected peer socket")
        target = self._peer_socket
        self.network.send_classical(self.node, self.peer, lambda: target._arrive(message))

    def on_message(self, handler: Callable[[Any], None]) -> None:
        """Call ``handler`` with each classical message as it arrives (instead of queueing)."""
        self._on_message = handler

    def recv_messages(self) -> list[Any]:
        """Classical messages queued since the last call."""
        out, self._messages = self._messages, []
        return out

    def _arrive(self, message: Any) -> None:
        if self.closed:
            return
        if self._on_message is not None:
            self._on_message(message)
        else:
            self._messages.append(message)

    def close(self) -> None:
        """End the connection (if this socket initiated it and it is live) and stop."""
        if self.closed:
            return
        self.closed = True
        if self._listening and self in self.network._listeners.get(self.node, []):
            self.network._listeners[self.node].remove(self)
        for d in self._inbox:  # held qubits nobody will measure now
            if d.qubit is not None:
                self.network.release(d.qubit)
        self._inbox = []
        if (
            self.connection is not None
            and self.network._requests[self.connection].initiator == self.node
        ):
            self.network.teardown(self.connection, self.network.now_ps * 1e-12)

    def _check_open(self) -> None:
        if self.closed:
            raise SocketError(f"socket on {self.node} is closed")
