"""A two-node link run: the link process, both ends' node software, and the wiring between.

``LinkSimulation`` drives one ``HeraldedLink`` and two ``LinkEndpoint``s with the kernel: it
turns heralds into events for the endpoints, carries their messages with the fibre's delay,
frees qubits they release, and gives ready pairs to a simple consumer that either frees them at
once or, when fidelities are recorded, waits until both ends hold the pair, notes the true
fidelity (ground truth, never shown to the nodes), optionally stores it for ``hold_s``, notes it
again, and frees it.

Example:
    >>> from qrna.hardware import QNIC, Fibre, Node, NodeType
    >>> from qrna.link import LinkSpec, LinkType
    >>> a = Node("a", NodeType.COMP, (QNIC(memories=4),))
    >>> b = Node("b", NodeType.COMP, (QNIC(memories=4),))
    >>> result = LinkSimulation(LinkSpec(a, b, LinkType.MIM, Fibre(5.0)), seed=1).run(0.01)
    >>> result.pairs > 100
    True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from operator import itemgetter

from qrna.hardware import MemoryBank, Node, NodeType, PairStore, Qubit, QubitStatus
from qrna.kernel import RngStreams, Scheduler, TraceHook, ps_to_s, s_to_ps
from qrna.link._endpoint import (
    Effect,
    FreeQubits,
    LinkEndpoint,
    MessageReceived,
    MonitorResult,
    PairsReady,
    RecordReady,
    SendMessage,
)
from qrna.link._errors import LinkError
from qrna.link._heralding import HeraldModel, herald_model
from qrna.link._heralds import Heralds
from qrna.link._monitor import LinkEstimate
from qrna.link._naming import PairName
from qrna.link._process import HERALD_PRIORITY, HeraldedLink
from qrna.link._spec import LinkSpec

__all__ = ["LinkRunResult", "LinkSimulation"]

_INDEX = itemgetter(1)  # a qubit's index in its QNIC


@dataclass(frozen=True, slots=True)
class LinkRunResult:
    """What a two-node link run measured.

    Attributes:
        link: the link id.
        duration_s: simulated time.
        pairs: heralded pairs (successes), monitored ones included.
        rounds: attempt rounds that started during the run (each with up to ``bins``
            attempts).
        rate_hz: pairs per simulated second; ``analytic_rate_hz`` the closed form m·p/T.
        p_success, period_s: the model's per-attempt probability and round period.
        fidelity_model: the heralded state's fidelity from the closed form.
        fidelity_at_herald: true fidelities when both ends held the pair (if recorded).
        fidelity_after_hold: true fidelities after ``hold_s`` of storage (if recorded).
        records: MEAS ends' records: (end, name, basis, bit, t_ps).
        estimates: each end's link-monitoring estimate.
        events: kernel events processed; ``wall_s`` the wall-clock time of ``run``.
    """

    link: str
    duration_s: float
    pairs: int
    rounds: int
    rate_hz: float
    analytic_rate_hz: float
    p_success: float
    period_s: float
    fidelity_model: float
    fidelity_at_herald: tuple[float, ...]
    fidelity_after_hold: tuple[float, ...]
    records: tuple[tuple[int, PairName, str, int, int], ...]
    estimates: tuple[LinkEstimate, LinkEstimate]
    events: int
    wall_s: float

    @property
    def rate_standard_error_hz(self) -> float:
        """Standard error of the rate, from the count's Poisson-like spread."""
        return math.sqrt(max(self.pairs, 1)) / self.duration_s


def _bank(node: Node, index: int) -> MemoryBank | None:
    if node.type is NodeType.MEAS:
        return None
    return MemoryBank(node.qnic_address(index), node.qnics[index])


class _EndHardware:
    """The local operations of one end, answered from the ground truth."""

    __slots__ = ("_sim",)

    def __init__(self, sim: LinkSimulation) -> None:
        self._sim = sim

    def measure(self, qubit: Qubit, basis: str) -> int:
        sim = self._sim
        pair = sim.store.pair_of(qubit)
        return sim.store.measure(
            pair,
            pair.half_of(qubit),
            basis,
            sim.scheduler.now_ps,
            sim.rng_hw,
            sim.readout_error(qubit),
        )


@dataclass
class _Consumer:
    record_fidelity: bool
    hold_ps: int
    ready: dict[PairName, list[Qubit]] = field(default_factory=dict)
    at_herald: list[float] = field(default_factory=list)
    after_hold: list[float] = field(default_factory=list)


class LinkSimulation:
    """One link between two nodes, run on its own scheduler.

    Args:
        spec: the link.
        seed: root seed of all randomness.
        backend: "bell_diagonal" or "density_matrix".
        monitor_fraction: fraction of pairs both ends measure for link monitoring.
        record_fidelity: keep each pair until both ends hold it and record its true fidelity;
            otherwise each end frees its half as soon as it is heralded.
        hold_s: with ``record_fidelity``, store each pair this long and record it again.
        measure_bases: if given ("X", "Y", "Z" or "random" for X or Z at random), each end
            with memories measures every half as soon as it is heralded and keeps a record, as
            a MEAS end does on arrival (for QKD-style checks of a link).
        trace: optional kernel trace hook.
    """

    def __init__(
        self,
        spec: LinkSpec,
        seed: int = 0,
        backend: str = "bell_diagonal",
        monitor_fraction: float = 0.0,
        record_fidelity: bool = False,
        hold_s: float = 0.0,
        measure_bases: str | None = None,
        trace: TraceHook | None = None,
    ) -> None:
        if monitor_fraction and NodeType.MEAS in (spec.a.type, spec.b.type):
            raise LinkError(
                f"link {spec.id}: monitoring needs memories at both ends; a MEAS end's records "
                "serve its applications (QKD, tomography) instead"
            )
        if measure_bases not in (None, "X", "Y", "Z", "random"):
            raise LinkError(
                f"measure_bases={measure_bases!r}; expected None, 'X', 'Y', 'Z' or 'random'"
            )
        if record_fidelity and NodeType.MEAS in (spec.a.type, spec.b.type):
            raise LinkError(
                f"link {spec.id}: a MEAS end measures its photon on arrival, so there is no "
                "stored pair whose fidelity to record; compare measurement records instead "
                "(measure_bases)"
            )
        if measure_bases is not None and record_fidelity:
            raise LinkError("measure_bases and record_fidelity exclude each other")
        if hold_s < 0 or not math.isfinite(hold_s):
            raise LinkError(f"hold_s={hold_s!r} is invalid; expected a finite value >= 0")
        self.spec = spec
        self.model: HeraldModel = herald_model(spec)
        self.scheduler = Scheduler(trace=trace)
        streams = RngStreams(seed)
        self.rng_hw = streams.stream(f"hardware/{spec.id}")
        self.store = PairStore()
        self.banks: tuple[MemoryBank | None, MemoryBank | None] = (
            _bank(spec.a, spec.qnic_a),
            _bank(spec.b, spec.qnic_b),
        )
        self._bank_end = {b.address: end for end, b in enumerate(self.banks) if b is not None}
        self.link = HeraldedLink(
            spec,
            self.model,
            self.scheduler,
            streams.stream(f"link/{spec.id}"),
            self.store,
            self.banks,
            self._deliver,
            backend,
        )
        hw = _EndHardware(self)
        self.ends = (
            LinkEndpoint(spec.a.address, spec.id, spec.b.address, hw, monitor_fraction),
            LinkEndpoint(spec.b.address, spec.id, spec.a.address, hw, monitor_fraction),
        )
        self._delay_ps = s_to_ps(spec.fibre.delay_s)
        self._consumer = _Consumer(record_fidelity, s_to_ps(hold_s))
        self._measure_bases = measure_bases
        self._hw = hw
        self._records: list[tuple[int, PairName, str, int, int]] = []
        # The hot path: no monitoring, no MEAS end, every pair freed as soon as it is heralded.
        if (
            measure_bases is None
            and not record_fidelity
            and not monitor_fraction
            and None not in self.banks
        ):
            self.link.deliver = self._deliver_freeing

    def readout_error(self, qubit: Qubit) -> float:
        """Readout error of the QNIC holding ``qubit``."""
        bank = self.banks[self._bank_end[qubit[0]]]
        assert bank is not None
        return bank.spec.gate_noise.readout_error

    # -- wiring -------------------------------------------------------------------------------

    def _deliver(self, end: int, heralds: Heralds) -> None:
        self._apply(end, self.ends[end].on_heralds(heralds, self.scheduler.now_ps))

    def _deliver_freeing(self, end: int, heralds: Heralds) -> None:
        """``_deliver`` when the consumer frees every pair at once and heralds make no other
        effect: the same, through ``LinkEndpoint.on_heralds_freed``."""
        # _free inlined (this runs twice per success round).
        qubits = self.ends[end].on_heralds_freed(heralds, self.scheduler.now_ps)
        self.store.discard_many(qubits)
        indices = list(map(_INDEX, qubits))
        self.banks[end].move_many(indices, QubitStatus.FREE)  # type: ignore[union-attr]
        self.link.memories_returned(end, indices)

    def _apply(self, end: int, effects: list[Effect]) -> None:
        freed: list[Qubit] = []
        for eff in effects:
            kind = type(eff)
            if kind is PairsReady:
                if self._measure_bases is not None:
                    self._measure_ready(end, eff)  # type: ignore[arg-type]
                elif self._consumer.record_fidelity:
                    self._on_ready(end, eff)  # type: ignore[arg-type]
                else:  # the consumer frees each half as soon as it is heralded
                    for f in self.ends[end].release_all(eff.names):  # type: ignore[union-attr]
                        freed.extend(f.qubits)  # type: ignore[union-attr]
            elif kind is FreeQubits:
                freed.extend(eff.qubits)  # type: ignore[union-attr]
            elif kind is SendMessage:
                self._send(end, eff.message)  # type: ignore[union-attr]
            elif kind is RecordReady:
                r = eff.record  # type: ignore[union-attr]
                self._records.append((end, eff.name, r.basis, r.bit, r.t_ps))  # type: ignore[union-attr]
        if freed:
            self._free(end, freed)

    def _send(self, end: int, message: MonitorResult) -> None:
        dst = 1 - end
        src = self.ends[end].node

        def arrive() -> None:
            self._apply(dst, self.ends[dst].on_event(MessageReceived(src, message)))

        self.scheduler.schedule(self._delay_ps, arrive, HERALD_PRIORITY)

    def _free(self, end: int, qubits: list[Qubit]) -> None:
        bank = self.banks[end]
        assert bank is not None
        self.store.discard_many(qubits)
        indices = [q[1] for q in qubits]
        bank.move_many(indices, QubitStatus.FREE)  # checks every transition
        self.link.memories_returned(end, indices)

    # -- the consumer -------------------------------------------------------------------------

    def _on_ready(self, end: int, ready: PairsReady) -> None:
        c = self._consumer
        for name, qubit in zip(ready.names, ready.qubits, strict=True):
            held = c.ready.setdefault(name, [])
            held.append(qubit)
            if len(held) == 2:
                self._both_hold(name)

    def _measure_ready(self, end: int, ready: PairsReady) -> None:
        bases = self._measure_bases
        now = self.scheduler.now_ps
        for name, qubit in zip(ready.names, ready.qubits, strict=True):
            basis = bases if bases != "random" else ("X" if self.rng_hw.random() < 0.5 else "Z")
            bit = self._hw.measure(qubit, basis)  # type: ignore[arg-type]
            self._records.append((end, name, basis, bit, now))  # type: ignore[arg-type]
        self._apply(end, self.ends[end].release_all(ready.names))

    def _both_hold(self, name: PairName) -> None:
        c = self._consumer
        qubits = c.ready[name]
        pair = self.store.pair_of(qubits[0])
        c.at_herald.append(pair.advance(self.scheduler.now_ps).fidelity)

        def done() -> None:
            if c.hold_ps:
                c.after_hold.append(pair.advance(self.scheduler.now_ps).fidelity)
            del c.ready[name]
            for q in qubits:
                end = self._bank_end[q[0]]
                self._apply(end, list(self.ends[end].release(name)))

        if c.hold_ps:
            self.scheduler.schedule(c.hold_ps, done, HERALD_PRIORITY)
        else:
            done()

    # -- running ------------------------------------------------------------------------------

    def run(self, duration_s: float) -> LinkRunResult:
        """Run the link for ``duration_s`` of simulated time from now and report what this
        run observed (a later run reports only its own window)."""
        if not duration_s > 0 or not math.isfinite(duration_s):
            raise LinkError(f"duration_s={duration_s!r} is invalid; expected a finite value > 0")
        start = self.scheduler.now_ps
        before = self.link.successes
        events_before = self.scheduler.events_processed
        c = self._consumer
        marks = (len(c.at_herald), len(c.after_hold), len(self._records))
        for end in self.ends:  # each run is its own observation window
            end.monitor.reset()
        wall = time.perf_counter()
        self.link.start()
        self.scheduler.run(until_ps=start + s_to_ps(duration_s))
        wall = time.perf_counter() - wall
        pairs = self.link.successes - before
        return LinkRunResult(
            link=self.spec.id,
            duration_s=duration_s,
            pairs=pairs,
            rounds=self.link.rounds_started(start, self.scheduler.now_ps),
            rate_hz=pairs / duration_s,
            analytic_rate_hz=self.model.rate_hz(),
            p_success=self.model.p_success,
            period_s=self.model.period_s,
            fidelity_model=self.model.fidelity,
            fidelity_at_herald=tuple(c.at_herald[marks[0] :]),
            fidelity_after_hold=tuple(c.after_hold[marks[1] :]),
            records=tuple(self._records[marks[2] :]),
            estimates=(
                self.ends[0].monitor.estimate(start, self.scheduler.now_ps),
                self.ends[1].monitor.estimate(start, self.scheduler.now_ps),
            ),
            events=self.scheduler.events_processed - events_before,
            wall_s=wall,
        )

    @property
    def now_s(self) -> float:
        """Simulated time in seconds."""
        return ps_to_s(self.scheduler.now_ps)
