"""The application side of delivery, with the simulator's ground-truth check.

The application at each end holds its delivered half until the other end has delivered the
same pair name; then the simulator checks, on every delivery, that the two halves are one Bell
pair in the ground truth, reads its true fidelity and frees both qubits. A MEAS end delivers a
record instead of a qubit: the record must be the one the pair's measured half holds, after
the same Pauli-frame correction the node applied.

An application may hold its half after delivery (``hold=True``: it measures it later, e.g.
when a classical message arrives); that qubit is freed when the application ``release``s it
and the pair has been matched, whichever comes last.

Checked pairs go to ``DeliveryLedger.delivered`` (a list) unless a sink is set with
``stream_to``: a long run hands each pair to its results writer instead, so the ledger's memory
stays bounded by the pairs in flight (half delivered, or held by an application).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qrna.hardware import BellPair, PairStore, Qubit
from qrna.link import PairName
from qrna.physics import BellDiagonal
from qrna.rules._effects import PairDelivered
from qrna.rules._errors import RuleSetError

__all__ = ["DeliveredPair", "DeliveryLedger"]


@dataclass(frozen=True, slots=True)
class DeliveredPair:
    """One end-to-end pair as the application saw it, with the simulator's ground truth."""

    name: PairName
    created_ps: int
    delivered_ps: int  # when the second end delivered its half
    fidelity: float
    # (basis, bit) each end read, for a MEAS end (first node of the path, then the last).
    records: tuple[tuple[str, int] | None, tuple[str, int] | None] = (None, None)
    connection: str = ""
    # Bell-diagonal weights (Φ+, Ψ−, Ψ+, Φ−) of the true state (of a density matrix: its
    # diagonal in the Bell basis), the first node's half first.
    weights: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)


# qubit, record, and for a record: the ground-truth pair it came from and the link end (0: the
# link's a end) that read it, which tells the halves apart when both ends of one link measured.
_Half = tuple[Qubit | None, tuple[str, int] | None, int, int]


class DeliveryLedger:
    """Pairs half delivered, matched by (connection, name) and checked against ``store``.

    Args:
        store: the ground truth.
        free: called with each qubit to free once both halves were delivered.
    """

    def __init__(self, store: PairStore, free: Callable[[Qubit], None]) -> None:
        self.store = store
        self.free = free
        self.held: dict[tuple[str, PairName], _Half] = {}
        self.delivered: list[DeliveredPair] = []
        self._sink: Callable[[DeliveredPair], None] = self.delivered.append
        self._unheld: dict[tuple[int, int], BellPair] = {}
        # connection -> its keys above that are link pairs (two MEAS ends), until delivered
        self._link_unheld: dict[str, set[tuple[int, int]]] = {}
        # (node, link pair) -> (origin, end, connection) of a MEAS node's record; not keyed
        # by connection: a layer below may hand the record to the connection that delivers it.
        self._origin: dict[tuple[str, PairName], tuple[int, int, str]] = {}
        self._app: dict[Qubit, str] = {}  # qubits applications hold -> connection
        self._matched: set[Qubit] = set()  # held by an application, pair already matched

    def stream_to(self, sink: Callable[[DeliveredPair], None]) -> None:
        """Hand each pair checked from now on to ``sink`` instead of keeping it in
        ``delivered``."""
        self._sink = sink

    def record_arrived(
        self, connection: str, node: str, name: PairName, origin: int, end: int
    ) -> None:
        """A MEAS node's record of link pair ``name`` (ground-truth pair ``origin``, read at
        ``end`` of its link) entered ``connection``."""
        self._origin[(node, name)] = (origin, end, connection)

    def swapped(self, pair: BellPair) -> None:
        """A swap made ``pair``; if no qubit holds it (both far halves were measured on
        arrival), keep it so that the two records' delivery can find it."""
        if pair.qubits == (None, None):
            self._unheld[(pair.origins[0], pair.origins[1])] = pair

    def measured_link_pair(self, connection: str, pair: BellPair) -> None:
        """A link pair of ``connection`` whose ends are both MEAS nodes: no qubit holds it,
        so keep it for its two records' delivery (as ``swapped`` does for swaps)."""
        key = (pair.uid, pair.uid)
        self._unheld[key] = pair
        self._link_unheld.setdefault(connection, set()).add(key)

    def forget(self, connection: str) -> None:
        """The connection ended: drop what it left half delivered (its qubits are freed by
        the RuleSet's uninstall; the halves the application held are freed here)."""
        for key in [k for k in self.held if k[0] == connection]:
            qubit = self.held.pop(key)[0]
            if qubit is not None:
                self.free(qubit)
        for key3 in [k for k, v in self._origin.items() if v[2] == connection]:
            del self._origin[key3]
        for key2 in self._link_unheld.pop(connection, set()):
            self._unheld.pop(key2, None)
        for qubit in [q for q, c in self._app.items() if c == connection]:
            del self._app[qubit]
            if qubit in self._matched:
                self._matched.discard(qubit)
                self.free(qubit)

    def release(self, qubit: Qubit) -> None:
        """The application is done with ``qubit`` (delivered with ``hold=True``)."""
        if self._app.pop(qubit, None) is None:
            return  # the connection was torn down and its halves freed meanwhile
        if qubit in self._matched:
            self._matched.discard(qubit)
            self.free(qubit)

    def deliver(
        self, node: str, first: bool, d: PairDelivered, now_ps: int, hold: bool = False
    ) -> None:
        """Node ``node`` (the path's first node if ``first``) delivered its half; with
        ``hold`` its application keeps the qubit until ``release``."""
        if hold and d.qubit is not None:
            self._app[d.qubit] = d.connection
        origin, end = -1, -1
        if d.record is not None:
            assert d.link_pair is not None
            origin, end, _ = self._origin.pop((node, d.link_pair))
        other = self.held.pop((d.connection, d.name), None)
        if other is None:
            self.held[(d.connection, d.name)] = (d.qubit, d.record, origin, end)
            return
        halves = [other, (d.qubit, d.record, origin, end)]
        if first:
            halves.reverse()  # path order: the first node's half first
        pair = self._truth(d.connection, d.name, halves)
        state = pair.advance(now_ps)
        # Orient the pair in path order: half 0 at the first node.
        first_half = self._half(pair, halves[0])
        if first_half == 1:
            state = state.reversed()
        weights = state.as_tuple() if isinstance(state, BellDiagonal) else state.bell_weights()
        records = (halves[0][1], halves[1][1])
        self._sink(
            DeliveredPair(
                d.name, d.name.t_ps, d.t_ps, state.fidelity, records, d.connection, weights
            )
        )
        for qubit, *_ in halves:
            if qubit is None:
                continue
            if qubit in self._app:
                self._matched.add(qubit)
            else:
                self.free(qubit)

    @staticmethod
    def _half(pair: BellPair, half: _Half) -> int:
        qubit, _, origin, end = half
        if qubit is not None:
            return pair.half_of(qubit)
        if pair.origins[0] == pair.origins[1]:  # a link pair: its ends measured it
            return end
        return 0 if pair.qubits[0] is None and pair.origins[0] == origin else 1

    def _truth(self, connection: str, name: PairName, halves: list[_Half]) -> BellPair:
        """The ground-truth pair both delivered halves belong to; raise if they are not one."""
        qubits = [q for q, *_ in halves if q is not None]
        if qubits:
            pair = self.store.pair_of(qubits[0])
        else:
            key = (halves[0][2], halves[1][2])
            found = self._unheld.pop(key, None) or self._unheld.pop((key[1], key[0]), None)
            link_pairs = self._link_unheld.get(connection)
            if link_pairs is not None:
                link_pairs.discard(key)
            if found is None:
                raise RuleSetError(f"pair {name}: the two records are of no one Bell pair")
            pair = found
        for half in halves:
            qubit, record, origin, _ = half
            if qubit is not None:
                ok = self.store.pair_of(qubit) is pair
            else:
                h = self._half(pair, half)
                ok = (
                    pair.qubits[h] is None
                    and pair.origins[h] == origin
                    and pair.measured[h] == record
                )
            if not ok:
                raise RuleSetError(
                    f"pair {name} was delivered with halves of two different Bell pairs "
                    f"(half {qubit or record} is not part of {pair!r})"
                )
        return pair
