"""Link-level pairs for connections: each connection's reserved memories, per link.

When both ends of a link have installed a connection's RuleSets (``Reserve`` effects), the link
makes pairs for that connection on the memories it reserved: a ``HeraldedLink`` over those
memories alone (a memory bank named ``<QNIC address>:<connection>``). A MEAS end reserves
nothing and yields records instead of qubits. Heralds that reach a node after the connection
ended there free their qubits; ``release`` stops the connection's links at that node.

Link monitoring (``monitor_fraction`` > 0): each end runs a ``LinkEndpoint``; the pairs a
pair name's hash selects are measured at both ends in the basis it selects and the bits
exchanged over the classical network, never given to the connection (spec §4.2: fidelity
needs constant monitoring). ``observed(node, neighbour)`` pools a node's results for one link
over every connection that used it; ``monitor_tick`` turns them into advertised link state.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import TYPE_CHECKING

from qrna.control._manager import Reserve
from qrna.hardware import MemoryBank, Node, NodeType, Qubit, QubitStatus
from qrna.kernel import s_to_ps
from qrna.link import (
    FreeQubits,
    HeraldedLink,
    Heralds,
    LinkEndpoint,
    LinkMonitor,
    LinkSpec,
    MessageReceived,
    PairName,
    PairsReady,
    SendMessage,
    herald_model,
)
from qrna.rules import free_memory

if TYPE_CHECKING:
    from qrna.control._network import Network

__all__ = ["SubLinks"]

_MIN_SAMPLES = 200  # monitoring results before a node trusts its estimate


class SubLinks:
    """The per-connection links of ``network``."""

    def __init__(self, network: Network, monitor_fraction: float = 0.0) -> None:
        self.net = network
        self.monitor_fraction = monitor_fraction
        # (connection, node, neighbour) -> that end's link layer, when monitoring
        self.endpoints: dict[tuple[str, str, str], LinkEndpoint] = {}
        self.banks: dict[str, MemoryBank] = {}
        # bank -> its link (None: a virtual link's bank), which end, its connection
        self._bank_link: dict[str, tuple[HeraldedLink | None, int, str]] = {}
        self._virtual: dict[tuple[str, str, str], str] = {}  # (connection, node, partner) -> bank
        self._virtual_node: dict[str, str] = {}  # a virtual link's bank -> its node
        self.links: dict[tuple[str, frozenset[str]], HeraldedLink] = {}
        self._reserved: dict[tuple[str, frozenset[str]], dict[str, int]] = {}
        self._released: set[tuple[str, str]] = set()
        self._keys: dict[str, set[tuple[str, frozenset[str]]]] = {}  # connection -> its links
        # What pruned (finished) connections leave behind: counts, not objects.
        # (attempts, successes) per link's ends and per connection
        self._past_links: dict[frozenset[str], tuple[int, int]] = {}
        self._past_counts: dict[str, tuple[int, int]] = {}
        self._past_results: dict[tuple[str, str], LinkMonitor] = {}

    def reserve(self, node: str, eff: Reserve) -> None:
        """``node`` reserved memories toward a neighbour; start the link when both ends have.
        Toward a virtual neighbour (``eff.port`` set) the memories are a bank of their own on
        the QNIC toward the port, with no link: the pairs the network below hands over move
        into them (``hand_over``)."""
        if eff.port:
            self._reserve_virtual(node, eff)
            return
        key = (eff.connection, frozenset((node, eff.neighbour)))
        self._keys.setdefault(eff.connection, set()).add(key)
        ends = self._reserved.setdefault(key, {})
        ends[node] = eff.memories
        if len(ends) < 2 or any((eff.connection, n) in self._released for n in ends):
            return
        spec, _ = self.net.ports[node][eff.neighbour]
        m = min(ends.values())
        sub_nodes: list[Node] = []
        banks: list[MemoryBank | None] = []
        for n, index in ((spec.a, spec.qnic_a), (spec.b, spec.qnic_b)):
            if n.type is NodeType.MEAS:
                sub_nodes.append(n)
                banks.append(None)
                continue
            qnic = dataclasses.replace(n.qnics[index], memories=m, buffer_memories=0)
            qnics = list(n.qnics)
            qnics[index] = qnic
            sub_nodes.append(dataclasses.replace(n, qnics=tuple(qnics)))
            bank = MemoryBank(f"{n.qnic_address(index)}:{eff.connection}", qnic)
            self.banks[bank.address] = bank
            banks.append(bank)
        sub = dataclasses.replace(spec, a=sub_nodes[0], b=sub_nodes[1])
        link = HeraldedLink(
            sub,
            herald_model(sub),
            self.net.scheduler,
            self.net.streams.stream(f"link/{spec.id}/{eff.connection}"),
            self.net.store,
            (banks[0], banks[1]),
            self._handler(eff.connection, sub),
            self.net.backend,
        )
        if banks == [None, None]:  # two MEAS ends: the ledger finds pairs by their records
            link.on_unheld = lambda pair, c=eff.connection: self.net.ledger.measured_link_pair(
                c, pair
            )
        for end, maybe in enumerate(banks):
            if maybe is not None:
                self._bank_link[maybe.address] = (link, end, eff.connection)
        if self.monitor_fraction and None not in banks:
            a, b = spec.a.address, spec.b.address
            for x, y in ((a, b), (b, a)):
                self.endpoints[(eff.connection, x, y)] = LinkEndpoint(
                    x, spec.id, y, _Measurer(self.net, x), self.monitor_fraction
                )
        self.links[key] = link
        link.start()

    def _reserve_virtual(self, node: str, eff: Reserve) -> None:
        spec, end = self.net.ports[node][eff.port]
        index = spec.qnic_b if end else spec.qnic_a
        n = self.net.nodes[node]
        qnic = dataclasses.replace(n.qnics[index], memories=eff.memories, buffer_memories=0)
        bank = MemoryBank(f"{n.qnic_address(index)}:{eff.connection}:{eff.neighbour}", qnic)
        self.banks[bank.address] = bank
        self._bank_link[bank.address] = (None, 0, eff.connection)
        self._virtual[(eff.connection, node, eff.neighbour)] = bank.address
        self._virtual_node[bank.address] = node

    def hand_over(self, node: str, qubit: Qubit, to: str, partner: str) -> Qubit | None:
        """Move the half in ``qubit`` into a free memory of connection ``to``'s bank at
        ``node`` for its virtual link to ``partner``; None if there is none (all busy, or
        ``to`` released there). The move is a memory-to-memory transfer of the half, noise
        free here (the transfer gates' error is not modelled)."""
        address = self._virtual.get((to, node, partner))
        if address is None or (to, node) in self._released:
            return None
        bank = self.banks[address]
        free = bank.indices(QubitStatus.FREE)
        if not free:
            return None
        target = (address, free[0])
        store = self.net.store
        pair = store.pair_of(qubit)
        store.transfer(qubit, target, self.net.scheduler.now_ps, pair.memories[pair.half_of(qubit)])
        self.net.book.abort(qubit)
        bank.move(free[0], QubitStatus.ENTANGLED)  # it holds a half now, as if heralded,
        bank.move(free[0], QubitStatus.ASSIGNED)  # and belongs to the connection
        return target

    def _handler(self, cid: str, spec: LinkSpec):  # type: ignore[no-untyped-def]
        nodes = (spec.a.address, spec.b.address)
        net = self.net

        def deliver(end: int, heralds: Heralds) -> None:
            node, partner = nodes[end], nodes[1 - end]
            engine = net.engines[node]
            now = net.scheduler.now_ps
            if heralds.records is not None:  # a MEAS end: what it read, not qubits
                for name, rec in zip(heralds.names, heralds.records, strict=True):
                    # Each record may end the connection here (its demand met): check each.
                    if not self._live(cid, node):
                        return
                    net.ledger.record_arrived(cid, node, name, rec.origin, end)
                    effects = engine.assign_record(cid, name, (rec.basis, rec.bit), partner, now)
                    net.runtime.apply(node, effects)
                return
            assert heralds.qubits is not None
            if not self._live(cid, node):
                for qubit in heralds.qubits:
                    self.free(qubit)
                return
            endpoint = self.endpoints.get((cid, node, partner))
            if endpoint is not None:
                self._monitored(endpoint, cid, heralds, now)
            else:
                self._assign(cid, node, partner, heralds.names, heralds.qubits, now)

        return deliver

    def _assign(
        self,
        cid: str,
        node: str,
        partner: str,
        names: list[PairName],
        qubits: list[Qubit],
        now: int,
    ) -> None:
        """Heralded pairs become resources of the connection at ``node``."""
        engine = self.net.engines[node]
        for k, (name, qubit) in enumerate(zip(names, qubits, strict=True)):
            if not self._live(cid, node):
                # An earlier pair of this train met the demand and ended the connection here.
                for rest in qubits[k:]:
                    self.free(rest)
                return
            self.banks[qubit[0]].move(qubit[1], QubitStatus.ASSIGNED)
            self.net.runtime.apply(node, engine.assign(cid, name, qubit, partner, now))

    def _live(self, cid: str, node: str) -> bool:
        """Whether ``cid`` still runs at ``node`` (installed, not released)."""
        return self.net.engines[node].is_installed(cid) and (cid, node) not in self._released

    def _monitored(self, endpoint: LinkEndpoint, cid: str, heralds: Heralds, now: int) -> None:
        """Heralds through the node's link layer: monitored pairs measured and reported, the
        rest handed to the connection."""
        net = self.net
        node, partner = endpoint.node, endpoint.partner
        for effect in endpoint.on_heralds(heralds, now):
            if isinstance(effect, PairsReady):
                endpoint.hand_over(effect.names)
                self._assign(cid, node, partner, effect.names, effect.qubits, now)
            elif isinstance(effect, SendMessage):
                other = self.endpoints.get((cid, partner, node))
                if other is not None:
                    event = MessageReceived(node, effect.message)
                    net.send_classical(node, partner, partial(other.on_event, event))
            elif isinstance(effect, FreeQubits):
                for qubit in effect.qubits:
                    self.free(qubit)

    def observed(self, node: str, neighbour: str) -> LinkMonitor:
        """``node``'s monitoring results for its link to ``neighbour``, over every
        connection (results only: heralds are counted per connection's memories)."""
        pooled = LinkMonitor()
        past = self._past_results.get((node, neighbour))
        if past is not None:
            pooled.absorb(past)
        for (_, x, y), endpoint in self.endpoints.items():
            if x == node and y == neighbour:
                pooled.absorb(endpoint.monitor)
        return pooled

    def monitor_tick(self) -> None:
        """Each node turns its link monitoring into link state (``Network``'s
        ``monitor_fraction``); runs every monitoring interval."""
        net = self.net
        movers: list[str] = []
        for node in sorted(net.ports):
            changed = False
            for neighbour in sorted(net.ports[node]):
                est = self.observed(node, neighbour).estimate()
                if est.state is None or est.samples < _MIN_SAMPLES:
                    continue
                known = net.link_state(node, neighbour)
                moved = abs(est.fidelity - known.fidelity)
                # Only a move the estimate is sure of: beyond its 95 % interval, and 0.01.
                if moved > max(0.01, (est.fidelity_ci[1] - est.fidelity_ci[0]) / 2):
                    net._estimates[(node, neighbour)] = dataclasses.replace(
                        known, weights=est.state.as_tuple()
                    )
                    changed = True
            if changed:
                movers.append(node)
        if movers:
            net.estimates_moved(movers)
        net.scheduler.schedule(net._monitor_ps, self.monitor_tick)

    def release(self, node: str, cid: str) -> None:
        """The connection ended at ``node``: its links there stop attempting."""
        self._released.add((cid, node))
        keys = self._keys.get(cid, set())
        for key in keys:
            link = self.links.get(key)
            if link is not None and node in key[1]:
                link.stop()
        linked = {n for key in keys for n in key[1]}
        # An end reached over a virtual hop alone (a network's border-to-border path, spec
        # §5) has no link of the connection here but delivers halves too: while it holds
        # the RuleSet, its halves may still come, and the pairs they complete must count.
        ends = set(self.net.paths.get(cid, ())) - linked
        if all((cid, n) in self._released for n in linked) and not any(
            (cid, n) not in self._released and self.net.engines[n].is_installed(cid) for n in ends
        ):
            self.net.ledger.forget(cid)
            # Heralds already in flight land within a round period; then the connection's
            # links, banks and bookkeeping can go (a long run would otherwise keep them all).
            wait = max((self.links[k].model.period_s for k in keys if k in self.links), default=0)
            # A partial, not a lambda: a trace names it alike compiled or not (tools/compile.py).
            self.net.scheduler.schedule(s_to_ps(2 * wait) + 1, partial(self._prune, cid))

    def _prune(self, cid: str) -> None:
        """Drop a finished connection's links and memories, keeping their counts. A bank with
        a qubit not FREE is kept, so that ``leaks`` still reports it."""
        for key in self._keys.pop(cid, set()):
            link = self.links.pop(key, None)
            if link is not None:
                n, k = self._past_links.get(key[1], (0, 0))
                self._past_links[key[1]] = (n + link.attempts, k + link.successes)
                n, k = self._past_counts.get(cid, (0, 0))
                self._past_counts[cid] = (n + link.attempts, k + link.successes)
            self._reserved.pop(key, None)
            for node in key[1]:
                self._released.discard((cid, node))
        for node in self.net.paths.get(cid, ()):
            self._released.discard((cid, node))
        for address in [a for a, (_, _, c) in self._bank_link.items() if c == cid]:
            bank = self.banks[address]
            if bank.count(QubitStatus.FREE) == len(bank):
                del self.banks[address], self._bank_link[address]
                self._virtual_node.pop(address, None)
        for virtual in [v for v in self._virtual if v[0] == cid]:
            if self._virtual[virtual] not in self.banks:
                del self._virtual[virtual]
        for ends in [e for e in self.endpoints if e[0] == cid]:
            endpoint = self.endpoints.pop(ends)
            self._past_results.setdefault((ends[1], ends[2]), LinkMonitor()).absorb(
                endpoint.monitor
            )

    def free(self, qubit: Qubit) -> None:
        """Reset a qubit and give its memory back to its link (a virtual link's: to its bank)."""
        link, end, cid = self._bank_link[qubit[0]]
        free_memory(self.net.store, self.net.book, self.banks[qubit[0]], link, end, qubit)
        if link is None:
            # A pair the layer below holds for it, waiting for a memory, may come up now.
            node = self._virtual_node[qubit[0]]
            self.net.runtime.apply(node, self.net.engines[node].room(cid))

    def generated(self, a: str, b: str) -> int:
        """Pairs link a-b generated, over every connection."""
        return self.link_counts(a, b)[1]

    def link_counts(self, a: str, b: str) -> tuple[int, int]:
        """Attempts link a-b made (one per filled time bin and round) and the pairs they
        heralded, over every connection."""
        key = frozenset((a, b))
        n, k = self._past_links.get(key, (0, 0))
        for (_, ends), link in self.links.items():
            if ends == key:
                n, k = n + link.attempts, k + link.successes
        return n, k

    def connection_counts(self, cid: str) -> tuple[int, int]:
        """Link attempts and successes (pairs heralded) for connection ``cid``, over its links."""
        n, k = self._past_counts.get(cid, (0, 0))
        for key in self._keys.get(cid, ()):
            link = self.links.get(key)
            if link is not None:
                n, k = n + link.attempts, k + link.successes
        return n, k

    def connections(self) -> set[str]:
        """The connections whose memories are still here."""
        return {c for _, _, c in self._bank_link.values()}

    def leaks(self, finished: set[str]) -> list[str]:
        """Qubits of finished connections not FREE, or still holding ground-truth pairs."""
        out = []
        for address, bank in self.banks.items():
            if self._bank_link[address][2] in finished and bank.count(QubitStatus.FREE) != len(
                bank
            ):
                out.append(f"{address}: {len(bank) - bank.count(QubitStatus.FREE)} qubits not free")
        for address in {q[0] for q in self.net.store.held_qubits()}:
            if self._bank_link[address][2] in finished:
                out.append(f"{address}: the ground truth still has pairs there")
        return out


class _Measurer:
    """A node's measurement of a monitored half (its QNIC's readout error applies)."""

    def __init__(self, network: Network, node: str) -> None:
        self.network = network
        self.node = node

    def measure(self, qubit: Qubit, basis: str) -> int:
        return self.network.measure(self.node, qubit, basis)
