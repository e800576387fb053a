"""The physical process of one heralded link: attempt rounds, sampled exactly (DESIGN.md).

The link's memories sit in n time bins, each holding one memory of end a and one of end b
(or one memory and a MEAS detector). Every round, each filled bin attempts once. Rather than
stepping through rounds, the process samples the round of the next success and how many bins
succeed in it (``AttemptSampler``) and schedules one event there. When memories come back
(freed by the layers above), they fill empty bins from the next round on and the future is
re-sampled: rounds are independent, so discarding an unrealised sample and drawing afresh is
exact.

For each success it records the ground-truth pairs (``PairStore``) with each half decohering from
its own emission or absorption time: one lazy train when both ends store their halves, built
only if something reads it (a consumer that frees every pair at its herald never pays for the
pair objects). Heralds are classical messages: one per train and end, listing the train's
successful bins, sent when the train's last filled bin is detected and reaching each end after
its fibre delay (by the round period's definition, before the next round). A MEAS end measures
its photon on arrival, in its node's basis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

import numpy as np

from qrna.hardware import BellPair, Memory, MemoryBank, NodeType, PairStore, Qubit, QubitStatus
from qrna.kernel import Scheduler, s_to_ps
from qrna.link._errors import LinkError
from qrna.link._heralding import HeraldModel
from qrna.link._heralds import Deliver, Heralds, MeasurementRecord
from qrna.link._naming import PairName
from qrna.link._sampler import AttemptSampler
from qrna.link._spec import LinkSpec
from qrna.physics import State

__all__ = ["HERALD_PRIORITY", "ROUND_PRIORITY", "HeraldedLink"]

# At one instant heralds come first, so a memory freed by one may attempt in the round that
# starts then.
HERALD_PRIORITY = 0
ROUND_PRIORITY = 1


_NO_RECORDS: tuple[None, None] = (None, None)


class _Batch(NamedTuple):
    """The pairs of one successful train, as the heralds to both ends need them: per end, the
    memory indices and qubits holding the halves (empty lists at a MEAS end) and the records
    its detector read (None at an end with memories)."""

    names: list[PairName]
    indices: tuple[list[int], list[int]]
    qubits: tuple[list[Qubit], list[Qubit]]
    records: tuple[list[MeasurementRecord] | None, list[MeasurementRecord] | None]


def _memory_of(bank: MemoryBank | None) -> Memory | None:
    """The noise of a bank's memories, or None when they do not decohere (or there are
    none)."""
    if bank is None:
        return None
    spec = bank.spec
    memory = Memory(spec.t1_s, spec.t2_s, spec.depolarising_time_s)
    return None if all(math.isinf(t) for t in memory) else memory


class HeraldedLink:
    """Runs the attempts of one link and delivers heralds.

    Args:
        spec: the link.
        model: its closed-form attempt model.
        sim: the scheduler.
        rng: this link's random stream.
        store: the ground truth.
        banks: the memory banks of (a, b); None for a MEAS end.
        deliver: called as ``deliver(end, heralds)`` when a herald message (``Heralds``)
            reaches end 0 (a) or 1 (b).
        backend: "bell_diagonal" or "density_matrix".
    """

    def __init__(
        self,
        spec: LinkSpec,
        model: HeraldModel,
        sim: Scheduler,
        rng: np.random.Generator,
        store: PairStore,
        banks: tuple[MemoryBank | None, MemoryBank | None],
        deliver: Deliver,
        backend: str = "bell_diagonal",
    ) -> None:
        if backend not in ("bell_diagonal", "density_matrix"):
            raise LinkError(f"backend={backend!r}; expected 'bell_diagonal' or 'density_matrix'")
        self.spec = spec
        self.model = model
        self.sim = sim
        self.store = store
        self.banks = banks
        self.deliver = deliver
        # Told of each pair no memory holds (both ends MEAS), so that a driver checking
        # deliveries against the ground truth can find it from the two records.
        self.on_unheld: Callable[[BellPair], None] | None = None
        self._rng = rng
        self._sampler = AttemptSampler(model.p_success, rng)
        self._state: State = model.state if backend == "bell_diagonal" else model.state_dm
        self._slot = s_to_ps(model.slot_s)
        if self._slot < 1:
            raise LinkError(f"link {spec.id}: time bins must be >= 1 ps apart (slot_s)")
        self._commit = (s_to_ps(model.commit_s[0]), s_to_ps(model.commit_s[1]))
        self._herald_off = (s_to_ps(model.herald_s[0]), s_to_ps(model.herald_s[1]))
        # The period from the same rounded parts, so a herald due at the next round's start
        # is never 1 ps late for it.
        base = max(
            (h for h, b in zip(self._herald_off, banks, strict=True) if b is not None), default=0
        )
        n = model.bins
        self._period = max(n * self._slot, (n - 1) * self._slot + base, s_to_ps(model.reinit_s))
        self._name = s_to_ps(model.name_s)
        self._memories: tuple[Memory | None, Memory | None] = (
            _memory_of(banks[0]),
            _memory_of(banks[1]),
        )
        self._bases = tuple(
            (node.measurement_basis if node.type is NodeType.MEAS else "")
            for node in (spec.a, spec.b)
        )
        self._bins: list[tuple[int | None, int | None] | None] = [None] * model.bins
        self._empty = list(range(model.bins))  # the empty bins (sorted when filling)
        self._filled = 0  # bins holding memories: len(_bins) - len(_empty)
        self._n_bins = model.bins
        self._free: list[list[int]] = [[], []]  # per end, memories waiting for a bin (FIFO)
        # Per end, memories freed at the start of the fresh round about to run: they join the
        # round after it (see memories_returned), so that round must not take them.
        self._deferred: tuple[list[int], list[int]] = ([], [])
        self._t0 = 0
        self._event: list[object] | None = None  # the one pending round event
        self._on_round_cb = self._on_round  # bound once: scheduled every round
        self._success_due = False  # whether it is a sampled success (else a fresh round)
        self._event_round = -1  # the round it is at
        self._started = -1  # last round whose round event has run: its draw is final
        self._has_meas = None in banks
        # Per end, the number of emitting memories when the bank also has buffer qubits (which
        # never attempt), else None.
        self._emitters = tuple(
            b.emitters if b is not None and b.emitters < len(b) else None for b in banks
        )
        self._delivering = False  # inside a herald delivery (HERALD_PRIORITY)
        # One tuple per qubit, made once: heralds and frees reuse them.
        self._qubits: tuple[list[Qubit], list[Qubit]] = tuple(  # type: ignore[assignment]
            [] if b is None else [(b.address, i) for i in range(len(b))] for b in banks
        )
        self.running = False
        self.successes = 0
        self.success_rounds = 0
        # Attempts (one per filled bin and round): those of rounds whose outcome is settled,
        # and the open streak of rounds from ``since`` with ``bins`` filled (None: none).
        self._attempts_settled = 0
        self._streak: tuple[int, int] | None = None

    # -- control ------------------------------------------------------------------------------

    def start(self, at_ps: int | None = None) -> None:
        """Take every free memory of the link's QNICs and start attempting."""
        if self.running:
            return
        now = self.sim.now_ps if at_ps is None else at_ps
        if now < self.sim.now_ps:
            raise LinkError(
                f"link {self.spec.id}: start at {now} ps is in the past; now is "
                f"{self.sim.now_ps} ps"
            )
        # Round times must keep every event (and name) at or after now.
        self._t0 = now + max(0, -min(self._name, *self._commit))
        self._started = -1
        for end, bank in enumerate(self.banks):
            if bank is not None:
                self._free[end].extend(
                    i for i in bank.indices(QubitStatus.FREE) if i < bank.emitters
                )
        self.running = True
        self._schedule_round(0, success_due=False)

    def stop(self) -> None:
        """Stop attempting (e.g. a switch turned away): binned memories become free again.

        Pairs already heralded or in flight are unaffected.
        """
        if not self.running:
            return
        self._attempts_settled = self.attempts  # the open streak's rounds so far failed
        self._streak = None
        self.running = False
        self._cancel()
        for end, bank in enumerate(self.banks):
            if bank is None:
                continue
            for slot in self._bins:
                if slot is not None and slot[end] is not None:
                    bank.move(slot[end], QubitStatus.FREE)  # type: ignore[arg-type]
            self._free[end].clear()
            self._deferred[end].clear()
        self._bins = [None] * len(self._bins)
        self._empty = list(range(len(self._bins)))
        self._filled = 0

    @property
    def attempts(self) -> int:
        """Attempts so far: one per filled bin in every round that has started (a success
        due at a later round has not happened yet). ``attempts − successes`` failed."""
        streak = self._streak
        if streak is None:
            return self._attempts_settled
        since, bins = streak
        last = (self.sim.now_ps - self._t0) // self._period  # the latest round started
        if self._event is not None and self._success_due:
            last = min(last, self._event_round - 1)  # its success round is still ahead
        return self._attempts_settled + bins * max(0, last - since + 1)

    def _settle(self, until_round: int) -> None:
        """The open streak's rounds before ``until_round`` are over: count their attempts."""
        if self._streak is not None:
            since, bins = self._streak
            self._attempts_settled += bins * max(0, until_round - since)
            self._streak = None

    def rounds_started(self, since_ps: int, until_ps: int) -> int:
        """Number of attempt rounds that start in [since_ps, until_ps], counted on the round
        grid of the last ``start`` (0 before any)."""
        if not self.running and self._t0 == 0 and self.successes == 0:
            return 0
        first = max(0, -(-(since_ps - self._t0) // self._period))
        last = (until_ps - self._t0) // self._period
        return max(0, last - first + 1)

    def memory_freed(self, end: int, index: int) -> None:
        """Memory ``index`` of end ``end`` was freed by the layers above."""
        self.memories_freed(end, (index,))

    def memories_freed(self, end: int, indices: Sequence[int]) -> None:
        """Memories of end ``end`` were freed by the layers above: they fill empty time bins
        from the next round on, and the future is re-sampled (exact: no round after now has
        been realised)."""
        bank = self.banks[end]
        if bank is None:
            raise LinkError(f"link {self.spec.id}: end {end} has no memories")
        if not bank.all_are(indices, QubitStatus.FREE):
            bad = [
                i
                for i in indices
                if not (0 <= i < len(bank)) or bank.status(i) is not QubitStatus.FREE
            ]
            raise LinkError(
                f"link {self.spec.id}: qubits {bad} of QNIC {bank.address!r} are not FREE"
            )
        queued = set(self._free[end]) | set(self._deferred[end])
        again = sorted(
            {i for i in indices if i in queued} | {i for i in indices if list(indices).count(i) > 1}
        )
        if again:
            raise LinkError(
                f"link {self.spec.id}: qubits {again} of QNIC {bank.address!r} were already "
                "returned to this link"
            )
        self.memories_returned(end, indices)

    def memories_returned(self, end: int, indices: Sequence[int]) -> None:
        """``memories_freed`` for a caller that has just set these memories FREE itself (the
        hot path of a driver that frees at once): the same, without re-checking them."""
        if not self.running:
            return
        emitters = self._emitters[end]
        if emitters is not None:
            indices = [i for i in indices if i < emitters]  # buffers never emit
        if (
            self._event is not None
            and not self._success_due
            and not self._delivering
            and self._round_time(self._event_round) == self.sim.now_ps
        ):
            # The fresh round starting now has not run yet, but a free at a round's start
            # joins the round after it (below), whichever runs first at this instant.
            self._deferred[end].extend(indices)
            return
        self._free[end].extend(indices)
        if self._filled == self._n_bins or not (self._free[1 - end] or self.banks[1 - end] is None):
            return  # no bin can take them yet
        if self._event is not None and not self._success_due:
            return  # the pending fresh round fills the bins (the common case: checked first)
        # Re-drawing must not touch a round whose start has passed: whether such a round
        # produced a success is already decided (an event ran, or its absence says no), and
        # re-drawing would give its bins a second attempt. A free inside a herald delivery runs
        # before the round events of its instant (HERALD_PRIORITY), so a round starting right
        # then is still open; any other free at a round's start joins the round after it.
        r = self._next_round()
        if self._round_time(r) == self.sim.now_ps and not self._delivering:
            r += 1
        r = max(r, self._started + 1)
        if self._event is not None:
            if self._event_round < r:
                # A success before r comes first; the new memories wait for the fresh round
                # that follows it.
                return
            self.sim.cancel(self._event)  # re-draw from r with the new memories
        self._settle(r)  # rounds before r have started, and failed
        self._schedule_round(r, success_due=False)

    # -- rounds -------------------------------------------------------------------------------
    #
    # One kind of event drives the link: a round event at the start of round r. A "fresh" one
    # fills empty bins, then samples G, the rounds until the next success: if G = 1 the success
    # is this round and is handled at once, otherwise a "success due" round event is scheduled
    # G − 1 rounds on. After a success, a fresh round event follows at the next round, by which
    # time every herald of this train is back (the period's definition), so memories the layers
    # above free at once are attempting again without a re-plan.

    def _round_time(self, r: int) -> int:
        return self._t0 + r * self._period

    def _next_round(self) -> int:
        """Index of the first round starting at or after now."""
        elapsed = self.sim.now_ps - self._t0
        return max(0, -(-elapsed // self._period))

    def _schedule_round(self, r: int, success_due: bool) -> None:
        self._success_due = success_due
        self._event_round = r
        self._event = self.sim.schedule_at(
            self._t0 + r * self._period, self._on_round_cb, ROUND_PRIORITY
        )

    def _cancel(self) -> None:
        if self._event is not None:
            self.sim.cancel(self._event)
            self._event = None

    def _fill(self) -> None:
        """Put free memories (one per end with memories) into empty time bins, lowest first."""
        free_a, free_b = self._free
        bank_a, bank_b = self.banks
        empty = self._empty
        n = len(empty)
        if bank_a is not None and len(free_a) < n:
            n = len(free_a)
        if bank_b is not None and len(free_b) < n:
            n = len(free_b)
        if n <= 0:
            return
        take_a: list[int] | list[None]
        take_b: list[int] | list[None]
        if bank_a is None:
            take_a = [None] * n
        else:
            take_a = free_a[:n]
            del free_a[:n]
            bank_a.move_many(take_a, QubitStatus.EMITTING)
        if bank_b is None:
            take_b = [None] * n
        else:
            take_b = free_b[:n]
            del free_b[:n]
            bank_b.move_many(take_b, QubitStatus.EMITTING)
        empty.sort()  # lowest first
        if n == len(empty):
            new = empty  # every empty bin fills (the common case)
            self._empty = []
        else:
            new = empty[:n]
            del empty[:n]
        bins = self._bins
        for s, ia, ib in zip(new, take_a, take_b, strict=True):
            bins[s] = (ia, ib)
        self._filled += n

    def _on_round(self) -> None:
        self._round()
        if self._deferred[0] or self._deferred[1]:
            # Memories freed at this round's start: they join from the next round on.
            for end in (0, 1):
                late = self._deferred[end][:]
                self._deferred[end].clear()
                if late:
                    self.memories_returned(end, late)

    def _round(self) -> None:
        self._event = None
        r = self._event_round  # this event's round: set whenever it is scheduled
        self._started = r
        if not self._success_due:
            self._fill()
            if self._filled:
                self._streak = (r, self._filled)
            g = self._sampler.rounds_until_success(self._filled)
            if g is None:
                return  # idle until memories come back
            if g > 1:
                self._schedule_round(r + g - 1, success_due=True)
                return
        self._success(r)
        # Inline _schedule_round(r + 1, success_due=False): this runs once per success.
        self._success_due = False
        self._event_round = r + 1
        self._event = self.sim.schedule_at(
            self._t0 + (r + 1) * self._period, self._on_round_cb, ROUND_PRIORITY
        )

    def _success(self, r: int) -> None:
        """Realise round ``r`` as a success: draw which bins won and send the heralds."""
        now = self.sim.now_ps
        bins = self._bins
        m = self._filled
        won = self._sampler.winners(m)  # positions among the filled bins, ascending
        k = len(won)
        self._settle(r + 1)
        if m == self._n_bins:  # every bin attempted: positions are bins
            last = m - 1
        else:
            filled = [s for s, slot in enumerate(bins) if slot is not None]
            last = filled[-1]
            won = [filled[pos] for pos in won]
        self.success_rounds += 1
        self.successes += k
        self._filled = m - k
        self._empty.extend(won)
        # One herald message per train and end (as a BSA reports a whole train), sent when the
        # train's last filled bin has been detected.
        slot_ps = self._slot
        t_last = now + last * slot_ps
        creator, n_off = self.model.creator, self._name
        qubits_a, qubits_b = self._qubits
        names: list[PairName] = []
        slots: list[int] = []
        idx_a: list[int] = []
        idx_b: list[int] = []
        held_a: list[Qubit] = []
        held_b: list[Qubit] = []
        new_name = tuple.__new__  # a NamedTuple without its Python-level __new__
        for s in won:
            ia, ib = bins[s]  # type: ignore[misc]
            bins[s] = None
            t_slot = now + s * slot_ps
            slots.append(t_slot)
            names.append(new_name(PairName, (creator, t_slot + n_off)))
            if ia is not None:
                idx_a.append(ia)
                held_a.append(qubits_a[ia])
            if ib is not None:
                idx_b.append(ib)
                held_b.append(qubits_b[ib])
        records: tuple[list[MeasurementRecord] | None, list[MeasurementRecord] | None]
        records = _NO_RECORDS
        if self._has_meas:
            records = self._measure_ends(slots, held_a, held_b)
        else:  # both ends store their halves: one lazy record for the train (PairStore)
            self.store.add_train(self._state, (held_a, held_b), self._memories, slots, self._commit)
        batch = tuple.__new__(_Batch, (names, (idx_a, idx_b), (held_a, held_b), records))
        ha, hb = t_last + self._herald_off[0], t_last + self._herald_off[1]
        if ha == hb:
            self.sim.schedule_at(ha, partial(self._herald_both, batch), HERALD_PRIORITY)
        else:
            self.sim.schedule_at(ha, partial(self._herald, 0, batch), HERALD_PRIORITY)
            self.sim.schedule_at(hb, partial(self._herald, 1, batch), HERALD_PRIORITY)

    def _measure_ends(
        self, slots: list[int], held_a: list[Qubit], held_b: list[Qubit]
    ) -> tuple[list[MeasurementRecord] | None, list[MeasurementRecord] | None]:
        """Record a train with a MEAS end pair by pair, and read each MEAS end's photons.

        A MEAS end reads its photon when it arrives, so its bit is drawn now, before anyone can
        act on the pair (the herald only reports it).
        """
        create = self.store.create
        state, memories = self._state, self._memories
        c0, c1 = self._commit
        a_stores, b_stores = self.banks[0] is not None, self.banks[1] is not None
        pairs = [
            create(
                state,
                (held_a[i] if a_stores else None, held_b[i] if b_stores else None),
                memories,
                (t + c0, t + c1),
                t,
            )
            for i, t in enumerate(slots)
        ]
        if not (a_stores or b_stores) and self.on_unheld is not None:
            for p in pairs:
                self.on_unheld(p)
        return (
            None if a_stores else [self._record(p, 0) for p in pairs],
            None if b_stores else [self._record(p, 1) for p in pairs],
        )

    def _herald_both(self, batch: _Batch) -> None:
        """Both heralds of a train, when they arrive at the same instant (one event): end a's,
        then end b's, as two ``_herald`` calls would (inlined: this runs once per success)."""
        bank_a, bank_b = self.banks
        if bank_a is None or bank_b is None:
            self._herald(0, batch)
            self._herald(1, batch)
            return
        names, indices, qubits, _ = batch
        deliver, entangled, new = self.deliver, QubitStatus.ENTANGLED, tuple.__new__
        self._delivering = True
        try:
            bank_a.move_many(indices[0], entangled)
            deliver(0, new(Heralds, (names, qubits[0], None)))
            bank_b.move_many(indices[1], entangled)
            deliver(1, new(Heralds, (names, qubits[1], None)))
        finally:
            self._delivering = False

    def _herald(self, end: int, batch: _Batch) -> None:
        bank = self.banks[end]
        if bank is None:
            heralds = tuple.__new__(Heralds, (batch.names, None, batch.records[end]))
        else:
            bank.move_many(batch.indices[end], QubitStatus.ENTANGLED)
            heralds = tuple.__new__(Heralds, (batch.names, batch.qubits[end], None))
        self._delivering = True
        try:
            self.deliver(end, heralds)
        finally:
            self._delivering = False

    def _record(self, pair: BellPair, end: int) -> MeasurementRecord:
        basis = self._bases[end]
        if basis == "random":
            basis = "X" if self._sampler.uniform() < 0.5 else "Z"
        t = pair.t_ps[end]
        bit = self.store.measure(pair, end, basis, t, self._rng)
        return MeasurementRecord((basis, bit, t, pair.uid))
