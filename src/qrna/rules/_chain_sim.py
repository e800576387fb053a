"""Node software on a chain: rule engines wired to the link layer and the classical network.

``ChainSimulation`` runs one connection over a chain of nodes: every link's heralded pairs are
handed to the connection at both ends, each node's ``RuleEngine`` runs its RuleSet, messages
travel with the fibre delay between the two nodes (plus optional random jitter, to provoke
reordering), and the application at the two end nodes holds each delivered half until the
other end has delivered its own. Then the simulator checks, on every delivery, that the two
halves are the same Bell pair in the ground truth, records its true fidelity and frees both.

An end may be a MEAS node: it holds no memories, measures each photon on arrival and takes
part with the records (the engine corrects them by the swaps' Pauli frames). Such a delivery is
checked against the ground truth too: the record must be the one the pair's measured half
holds, after the same correction.

Example:
    >>> from qrna.hardware import QNIC, Fibre, Node, NodeType
    >>> from qrna.link import LinkSpec, LinkType
    >>> from qrna.rules import chain_rulesets
    >>> ends = [Node(n, NodeType.COMP, (QNIC(4),)) for n in ("a", "c")]
    >>> rep = Node("b", NodeType.REP1, (QNIC(4), QNIC(4)))
    >>> links = [LinkSpec(ends[0], rep, LinkType.MIM, Fibre(5.0), qnic_b=0),
    ...          LinkSpec(rep, ends[1], LinkType.MIM, Fibre(5.0), qnic_a=1)]
    >>> sim = ChainSimulation(links, chain_rulesets("c1", ["a", "b", "c"]), seed=1)
    >>> sim.run(0.005).pairs > 10
    True
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from qrna.hardware import (
    MemoryBank,
    NodeType,
    PairStore,
    PurificationBook,
    Qubit,
    QubitStatus,
)
from qrna.kernel import RngStreams, Scheduler, TraceHook, s_to_ps
from qrna.link import (
    HeraldedLink,
    Heralds,
    LinkEndpoint,
    LinkSpec,
    PairsReady,
    RecordReady,
    herald_model,
)
from qrna.physics import GateNoise
from qrna.rules._delivery import DeliveredPair, DeliveryLedger
from qrna.rules._effects import (
    MeasurementDone,
)
from qrna.rules._engine import RuleEngine
from qrna.rules._errors import RuleSetError
from qrna.rules._model import Purify, RuleSet, Swap
from qrna.rules._runtime import EngineRuntime

__all__ = ["ChainResult", "ChainSimulation", "NodeHardware", "free_memory"]


@dataclass(frozen=True, slots=True)
class ChainResult:
    """What a chain run measured."""

    connection: str
    duration_s: float
    delivered: tuple[DeliveredPair, ...]
    measurements: tuple[MeasurementDone, ...]
    link_pairs: int
    discarded: int  # resources freed by Discard rules (each tells its partner)
    events: int
    wall_s: float

    @property
    def pairs(self) -> int:
        """End-to-end pairs delivered at both ends."""
        return len(self.delivered)

    @property
    def rate_hz(self) -> float:
        """Delivered end-to-end pairs per simulated second."""
        return self.pairs / self.duration_s

    @property
    def mean_fidelity(self) -> float:
        """Mean true fidelity of the delivered pairs (NaN if none)."""
        if not self.delivered:
            return math.nan
        return sum(d.fidelity for d in self.delivered) / len(self.delivered)


class _Truth(Protocol):
    """What ``NodeHardware`` reads of a simulation."""

    @property
    def streams(self) -> RngStreams: ...
    @property
    def store(self) -> PairStore: ...
    @property
    def book(self) -> PurificationBook: ...
    @property
    def banks(self) -> Mapping[str, MemoryBank]: ...
    @property
    def scheduler(self) -> Scheduler: ...
    @property
    def ledger(self) -> DeliveryLedger: ...
    def hand_over(self, node: str, qubit: Qubit, to: str, partner: str) -> Qubit | None: ...


def free_memory(
    store: PairStore,
    book: PurificationBook,
    bank: MemoryBank,
    link: HeraldedLink | None,
    end: int,
    qubit: Qubit,
) -> None:
    """Reset ``qubit`` (held at ``end`` of ``link``, in ``bank``) and give it back to the link:
    its half leaves the ground truth, any purification it began is forgotten, and the memory
    is FREE and attempting again (without a link, a virtual link's memory: FREE only). Every
    driver of the rule engine frees qubits this way."""
    store.discard(qubit)
    book.abort(qubit)
    bank.move(qubit[1], QubitStatus.FREE)
    if link is not None:
        link.memories_freed(end, [qubit[1]])


class NodeHardware:
    """One node's local operations (``EngineHardware``), answered from a simulation's
    ground truth: its pair store, purification book, memory banks and clock."""

    def __init__(self, sim: _Truth, node: str) -> None:
        self.sim = sim
        self.node = node
        self.rng = sim.streams.stream(f"hardware/{node}")

    def _noise(self, qubit: Qubit) -> GateNoise:
        return self.sim.banks[qubit[0]].spec.gate_noise

    def swap(self, q1: Qubit, q2: Qubit) -> tuple[tuple[int, int], str] | None:
        noise = self._noise(q1)
        a = noise.swap_success_probability
        if a < 1.0 and self.rng.random() >= a:  # drawn only when it can fail
            return None  # the engine frees both halves here and tells both partners
        now = self.sim.scheduler.now_ps
        pair, bits, frame = self.sim.store.swap(q1, q2, now, self.rng, noise)
        far = pair.qubits[1]  # the end that corrects the frame (the ground truth's half 1)
        if far is not None and not pair.released[1]:
            # Recorded at the swap, as the frame itself is: a depolarising error commutes with
            # the Pauli noise the half meets before the correction (with T1 decay on density
            # matrices only nearly).
            self.sim.store.gate_error(pair, 1, self.sim.banks[far[0]].spec.correction_error, now)
        self.sim.ledger.swapped(pair)
        return bits, frame

    def purify_first(self, qubits: list[Qubit], scheme: str, twirl: bool) -> tuple[int, ...]:
        return self.sim.book.begin(
            qubits, scheme, self.sim.scheduler.now_ps, self.rng, self._noise(qubits[0]), twirl
        )

    def purify_second(
        self, qubits: list[Qubit], scheme: str, twirl: bool
    ) -> tuple[tuple[int, ...], bool]:
        bits, _, ok = self.sim.book.end(
            qubits, scheme, self.sim.scheduler.now_ps, self.rng, self._noise(qubits[0]), twirl
        )
        return bits, ok

    def measure(self, qubit: Qubit, basis: str) -> tuple[str, int]:
        if basis == "random":
            basis = "XYZ"[int(self.rng.integers(3))]
        store = self.sim.store
        pair = store.pair_of(qubit)
        bit = store.measure(
            pair,
            pair.half_of(qubit),
            basis,
            self.sim.scheduler.now_ps,
            self.rng,
            self._noise(qubit).readout_error,
        )
        store.release(qubit)
        return basis, bit

    def hand_over(self, qubit: Qubit, to: str, partner: str) -> Qubit | None:
        return self.sim.hand_over(self.node, qubit, to, partner)


class ChainSimulation:
    """One connection over a chain of links.

    Args:
        links: the links in chain order: ``links[i]`` joins node i (its ``a``) and node i + 1
            (its ``b``); a node in the middle serves its two links with different QNICs.
        rulesets: each node's RuleSet for the connection (e.g. from ``chain_rulesets``).
        below: connections of the layers below (spec §5): each one's RuleSets run on a
            stretch of the chain (consecutive nodes), whose links make pairs for it; its ends
            hand the pairs it makes over to the connection above (``Deliver.to``) as link
            pairs between them. Stretches are nested or apart; a link makes pairs for the
            innermost one holding it, the other links for ``rulesets``' connection, which
            runs on every node no stretch has inside it.
        seed: root seed.
        backend: "bell_diagonal" or "density_matrix".
        jitter: extra delay of each classical message, uniform in [0, jitter × its latency].
        trace: optional kernel trace hook.
    """

    def __init__(
        self,
        links: Sequence[LinkSpec],
        rulesets: Mapping[str, RuleSet],
        seed: int = 0,
        backend: str = "bell_diagonal",
        jitter: float = 0.0,
        trace: TraceHook | None = None,
        below: Sequence[Mapping[str, RuleSet]] = (),
    ) -> None:
        if not links:
            raise RuleSetError("a chain needs at least one link")
        self.nodes = [links[0].a.address] + [spec.b.address for spec in links]
        for i, spec in enumerate(links[1:], start=1):
            if spec.a.address != self.nodes[i]:
                raise RuleSetError(
                    f"links[{i}] starts at {spec.a.address!r}, not at {self.nodes[i]!r}"
                )
        repeated = sorted(n for n, k in Counter(self.nodes).items() if k > 1)
        if repeated:
            raise RuleSetError(f"the chain {self.nodes} passes {repeated} more than once")
        connections = {rs.connection for rs in rulesets.values()}
        if len(connections) != 1:
            raise RuleSetError(f"RuleSets of several connections: {sorted(connections)}")
        self.connection = next(iter(connections))
        # Each link makes pairs for the innermost connection whose stretch holds it.
        self._link_connection = [self.connection] * len(links)
        hidden = self._stretches(below)
        top = [n for i, n in enumerate(self.nodes) if i not in hidden]
        if sorted(rulesets) != sorted(top):
            raise RuleSetError(
                f"RuleSets are for {sorted(rulesets)}; the chain's nodes are {self.nodes}"
                + (
                    f", of which {sorted(set(self.nodes) - set(top))} are inside stretches below"
                    if hidden
                    else ""
                )
            )
        if not (jitter >= 0 and math.isfinite(jitter)):
            raise RuleSetError(f"jitter={jitter!r} is invalid; expected a finite value >= 0")
        meas = {spec_node.address for spec in links for spec_node in (spec.a, spec.b)}
        meas = {a for a in meas if self._node_type(links, a) is NodeType.MEAS}
        every = [rs for layer in (rulesets, *below) for rs in layer.values()]
        for rs in every:
            for stage in rs.stages:
                for rule in stage.rules:
                    act = rule.action
                    if isinstance(act, Swap) and rs.node in meas:
                        raise RuleSetError(
                            f"rule {rule.name!r} of {rs.node!r}: {rs.node!r} is a MEAS node and "
                            "holds only records; it cannot Swap"
                        )
                    if isinstance(act, Purify) and meas & {rs.node, act.partner}:
                        who = rs.node if rs.node in meas else act.partner
                        raise RuleSetError(
                            f"rule {rule.name!r} of {rs.node!r}: {who!r} is a MEAS node (it "
                            "measures on arrival), so pairs with it cannot Purify"
                        )
        self.scheduler = Scheduler(trace=trace)
        self.streams = RngStreams(seed)
        self.store = PairStore()
        self.book = PurificationBook(self.store)
        self.banks: dict[str, MemoryBank] = {}
        self._end_of: dict[str, tuple[int, int]] = {}  # QNIC address -> (link index, end)
        self.links: list[HeraldedLink] = []
        self.endpoints: list[tuple[LinkEndpoint, LinkEndpoint]] = []
        # Position along the chain, for classical delays (messages follow the fibres).
        positions = [0.0]
        for spec in links:
            positions.append(positions[-1] + spec.fibre.delay_s)
        self._position = dict(zip(self.nodes, positions, strict=True))  # a lookup per message
        for i, spec in enumerate(links):
            ends: list[MemoryBank | None] = []
            for end, (node, index) in enumerate(((spec.a, spec.qnic_a), (spec.b, spec.qnic_b))):
                if node.type is NodeType.MEAS:
                    ends.append(None)
                    continue
                address = node.qnic_address(index)
                if address in self.banks:
                    raise RuleSetError(f"QNIC {address!r} serves two links")
                self.banks[address] = MemoryBank(address, node.qnics[index])
                self._end_of[address] = (i, end)
                ends.append(self.banks[address])
            link = HeraldedLink(
                spec,
                herald_model(spec),
                self.scheduler,
                self.streams.stream(f"link/{spec.id}"),
                self.store,
                (ends[0], ends[1]),
                self._herald_handler(i),
                backend,
            )
            self.links.append(link)
            self.endpoints.append(
                (
                    LinkEndpoint(spec.a.address, spec.id, spec.b.address, _NoMeasure()),
                    LinkEndpoint(spec.b.address, spec.id, spec.a.address, _NoMeasure()),
                )
            )
        self.engines = {node: RuleEngine(node, NodeHardware(self, node)) for node in self.nodes}
        for rs in every:
            self.engines[rs.node].install(rs)
        self._jitter = jitter
        self._jitter_rng = self.streams.stream("classical/jitter")
        self.ledger = DeliveryLedger(self.store, self._free)
        for link, cid in zip(self.links, self._link_connection, strict=True):
            if link.banks == (None, None):  # two MEAS ends: records find their pair here
                link.on_unheld = lambda pair, c=cid: self.ledger.measured_link_pair(c, pair)
        self._delivered = self.ledger.delivered
        self._measured: list[MeasurementDone] = []
        self._link_pairs = 0
        self.runtime = EngineRuntime(
            self.scheduler,
            self.engines,
            self._delay_ps,
            self._free,
            lambda node, eff: self.ledger.deliver(
                node, node == self.nodes[0], eff, self.scheduler.now_ps
            ),
            self._measured.append,
        )
        self._apply = self.runtime.apply

    def _stretches(self, below: Sequence[Mapping[str, RuleSet]]) -> set[int]:
        """Check the layers below and assign each link its connection; the positions of the
        nodes inside some stretch (they run only the layers below). A layer runs on its
        stretch's nodes but those inside a stretch nested in it (they run only that one)."""
        spans: list[tuple[int, int, str, list[int]]] = []
        for k, layer in enumerate(below):
            names = {rs.connection for rs in layer.values()}
            if len(names) != 1 or not layer:
                raise RuleSetError(f"below[{k}]: RuleSets of one connection, not {sorted(names)}")
            where = sorted(self.nodes.index(n) for n in layer if n in self.nodes)
            if len(where) != len(layer):
                raise RuleSetError(
                    f"below[{k}]: RuleSets for {sorted(layer)}, not a stretch of the chain "
                    f"{self.nodes}"
                )
            if len(where) < 2:
                raise RuleSetError(
                    f"below[{k}]: a stretch has two ends or more; got {sorted(layer)}"
                )
            spans.append((where[0], where[-1], names.pop(), where))
        for (a0, a1, x, _), (b0, b1, y, _) in itertools.combinations(spans, 2):
            crossing = a0 < b0 < a1 < b1 or b0 < a0 < b1 < a1
            if crossing or (a0, a1) == (b0, b1) or x == y:
                raise RuleSetError(f"stretches of {x!r} and {y!r} cross or coincide")
        for k, (first, last, _, where) in enumerate(spans):
            inner = {
                i
                for b0, b1, _, _ in spans
                if first <= b0 and b1 <= last and (b0, b1) != (first, last)
                for i in range(b0 + 1, b1)
            }
            if where != [i for i in range(first, last + 1) if i not in inner]:
                raise RuleSetError(
                    f"below[{k}]: RuleSets for {sorted(below[k])}, not a stretch of the chain "
                    f"{self.nodes} (its nodes, less those inside a stretch nested in it)"
                )
        hidden: set[int] = set()
        for first, last, name, _ in sorted(spans, key=lambda s: s[0] - s[1]):  # outermost first
            for i in range(first, last):
                self._link_connection[i] = name
            hidden.update(range(first + 1, last))
        return hidden

    @staticmethod
    def _node_type(links: Sequence[LinkSpec], address: str) -> NodeType:
        for spec in links:
            for node in (spec.a, spec.b):
                if node.address == address:
                    return node.type
        raise RuleSetError(f"no node {address!r} on the chain")

    # -- wiring -------------------------------------------------------------------------------

    def _herald_handler(self, i: int):  # type: ignore[no-untyped-def]
        def deliver(end: int, heralds: Heralds) -> None:
            endpoint = self.endpoints[i][end]
            now = self.scheduler.now_ps
            for effect in endpoint.on_heralds(heralds, now):
                if isinstance(effect, RecordReady):
                    self._link_pairs += 1 if end == 0 else 0
                    node = endpoint.node
                    rec = effect.record
                    cid = self._link_connection[i]
                    self.ledger.record_arrived(cid, node, effect.name, rec.origin, end)
                    self._apply(
                        node,
                        self.engines[node].assign_record(
                            cid, effect.name, (rec.basis, rec.bit), effect.partner, now
                        ),
                    )
                elif isinstance(effect, PairsReady):
                    self._link_pairs += len(effect.names) if end == 0 else 0
                    endpoint.hand_over(effect.names)
                    node = endpoint.node
                    engine = self.engines[node]
                    cid = self._link_connection[i]
                    for name, qubit in zip(effect.names, effect.qubits, strict=True):
                        self.banks[qubit[0]].move(qubit[1], QubitStatus.ASSIGNED)
                        self._apply(node, engine.assign(cid, name, qubit, effect.partner, now))

        return deliver

    def _delay_ps(self, src: str, dst: str) -> int:
        latency = abs(self._position[src] - self._position[dst])
        if self._jitter:
            latency += self._jitter * latency * float(self._jitter_rng.random())
        return s_to_ps(latency)

    def hand_over(self, node: str, qubit: Qubit, to: str, partner: str) -> Qubit | None:
        """A stretch's end hands a pair to the layer above: on a chain the layers share the
        node's memories (the half stays where it is)."""
        return qubit

    def _free(self, qubit: Qubit) -> None:
        link_index, end = self._end_of[qubit[0]]
        free_memory(self.store, self.book, self.banks[qubit[0]], self.links[link_index], end, qubit)

    # -- running ------------------------------------------------------------------------------

    def run(self, duration_s: float) -> ChainResult:
        """Run for ``duration_s`` simulated seconds and report this run."""
        if not (duration_s > 0 and math.isfinite(duration_s)):
            raise RuleSetError(f"duration_s={duration_s!r} is invalid; expected a finite value > 0")
        marks = (
            len(self._delivered),
            len(self._measured),
            self._link_pairs,
            self.scheduler.events_processed,
            self.runtime.discards,
        )
        wall = time.perf_counter()
        for link in self.links:
            link.start()
        self.scheduler.run(until_ps=self.scheduler.now_ps + s_to_ps(duration_s))
        wall = time.perf_counter() - wall
        return ChainResult(
            connection=self.connection,
            duration_s=duration_s,
            delivered=tuple(self._delivered[marks[0] :]),
            measurements=tuple(self._measured[marks[1] :]),
            link_pairs=self._link_pairs - marks[2],
            discarded=self.runtime.discards - marks[4],
            events=self.scheduler.events_processed - marks[3],
            wall_s=wall,
        )


class _NoMeasure:
    """Link endpoints of a chain do no link monitoring here; measuring would be a bug."""

    def measure(self, qubit: Qubit, basis: str) -> int:
        raise RuleSetError("link monitoring is off on chain links")
