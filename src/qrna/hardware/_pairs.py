"""Ground truth: the Bell pairs the memories really hold, with lazy memory decoherence.

Node software never reads this (DESIGN.md): it knows only what a node could know. The simulator
keeps it to answer local quantum operations (measurement, moving a half to another memory,
entanglement swapping) and to report the true fidelity beside the nodes' estimates.

Each half of a pair records the time its decoherence was last applied; the elapsed time is
applied, with that half's memory noise (T1/T2 decay, or depolarising with a time constant),
only when the pair is next touched. A half that is a
photon measured on arrival (a MEAS node) has no memory and does not decohere.

A link heralds pairs a train at a time (``add_train``); the store records a train as one entry
and builds its ``BellPair`` objects only when something first reads or changes the store other
than discarding that train's halves. A consumer that frees every pair as soon as it is heralded
(``discard_many`` of a train's halves) never reads them, so such pairs cost no object at all;
any other use sees exactly the pairs ``create`` would have made, with the same uids, in the
same order.

Measuring: the first half measured draws its outcome from its marginal and is frozen as a
classical record; the second draws conditioned on the first. Local operations on different
halves commute, so this gives exactly the joint statistics of the two measurements at their own
times.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from qrna.hardware._errors import HardwareError
from qrna.hardware._memory import Qubit
from qrna.kernel import choice_index
from qrna.physics import (
    BellDiagonal,
    GateNoise,
    State,
    decohere,
    decohere_half,
    depolarize,
    depolarize_half,
    frame_flips,
    measurement_probabilities,
    swap_sampled,
)

__all__ = ["BellPair", "Memory", "PairStore"]


class Memory(NamedTuple):
    """The noise of the memory holding one half: T1 and T2 decay and a depolarising time
    constant τ, each in seconds (``math.inf``: none). Over an idle time t the half decays
    by T1/T2 and then, with probability 1 − e^{−t/τ}, is replaced by the maximally mixed
    state (a QNIC uses one of the two models; ``QNIC.memory_noise``)."""

    t1_s: float
    t2_s: float
    depolarising_time_s: float = math.inf


_PS = 1e-12


class BellPair:
    """One Bell pair in the ground truth.

    Attributes:
        uid: a unique integer (for checking that two halves delivered together belong together).
        state: the pair's state as of the halves' reference times.
        qubits: the qubit holding each half, or None for a photon measured on arrival.
        memories: the ``Memory`` of each half, or None for no decoherence.
        t_ps: per half, the time up to which decoherence has been applied.
        created_ps: the time of the attempt that made it (its time-bin slot), or of the swap.
        measured: per half, (basis, true outcome) once measured.
        released: per half, True once its qubit was reset: the other half then holds only
            noise (its measurements draw from the marginal).
        origins: per half, the uid of the link-level pair that half was created in (swapping
            carries it along), so the simulator can follow a measured half that no qubit holds.
    """

    __slots__ = (
        "created_ps",
        "measured",
        "memories",
        "origins",
        "qubits",
        "released",
        "state",
        "t_ps",
        "uid",
    )

    def __init__(
        self,
        uid: int,
        state: State,
        qubits: tuple[Qubit | None, Qubit | None],
        memories: tuple[Memory | None, Memory | None],
        t_ps: tuple[int, int],
        created_ps: int,
    ) -> None:
        self.uid = uid
        self.state = state
        self.qubits = qubits
        self.memories = memories
        self.t_ps = list(t_ps)
        self.created_ps = created_ps
        self.measured: list[tuple[str, int] | None] = [None, None]
        self.released = [False, False]
        self.origins = [uid, uid]

    def half_of(self, qubit: Qubit) -> int:
        """0 or 1: which half ``qubit`` holds."""
        if self.qubits[0] == qubit:
            return 0
        if self.qubits[1] == qubit:
            return 1
        raise HardwareError(f"qubit {qubit!r} holds no half of pair {self.uid}")

    def advance(self, t_ps: int, halves: tuple[int, ...] = (0, 1)) -> State:
        """Apply decoherence to the named halves up to ``t_ps`` and return the state."""
        for h in halves:
            mem = self.memories[h]
            dt = t_ps - self.t_ps[h]
            if dt < 0:
                raise HardwareError(
                    f"pair {self.uid}: half {h} is already at {self.t_ps[h]} ps, cannot go back "
                    f"to {t_ps} ps"
                )
            if dt and mem is not None and self.measured[h] is None:
                t1, t2, tau = mem
                if math.isinf(t1) and math.isinf(t2):
                    pass
                elif type(self.state) is BellDiagonal:  # the hot path: no checks, same numbers
                    self.state = decohere_half(self.state, dt * _PS, t1, t2)
                else:
                    # mypy cannot pass a union through a constrained TypeVar; either works.
                    self.state = decohere(self.state, dt * _PS, t1, t2, (h,))  # type: ignore[type-var]
                if tau != math.inf:
                    p = -math.expm1(-dt * _PS / tau)  # 1 − e^{−t/τ}, exact for small t/τ
                    if type(self.state) is BellDiagonal:
                        self.state = depolarize_half(self.state, p)
                    else:
                        self.state = depolarize(self.state, p, (h,))  # type: ignore[type-var]
            self.t_ps[h] = t_ps
        return self.state

    def __repr__(self) -> str:
        return f"BellPair(uid={self.uid}, qubits={self.qubits}, created_ps={self.created_ps})"


class _Train(NamedTuple):
    """Pairs recorded by ``add_train`` and not built yet: pair i has uid ``uid + i``, halves
    ``qubits[0][i]`` and ``qubits[1][i]``, and was made at ``created_ps[i]``."""

    uid: int
    state: State
    qubits: tuple[list[Qubit], list[Qubit]]
    memories: tuple[Memory | None, Memory | None]
    created_ps: list[int]
    offsets_ps: tuple[int, int]


class PairStore:
    """The ground-truth pairs, indexed by the qubits holding them."""

    __slots__ = ("_by_qubit", "_next_uid", "_train", "_train_released")

    def __init__(self) -> None:
        self._by_qubit: dict[Qubit, BellPair] = {}
        self._next_uid = 0
        # The train recorded last, if not built yet. Every method but ``discard_many`` of its
        # halves builds it first, so the rest of the class never sees it, and there is at most
        # one.
        self._train: _Train | None = None
        self._train_released = [False, False]  # per end: its halves of the train are discarded

    def __len__(self) -> int:
        """Number of qubits currently holding a half."""
        if self._train is not None:
            self._build()
        return len(self._by_qubit)

    def create(
        self,
        state: State,
        qubits: tuple[Qubit | None, Qubit | None],
        memories: tuple[Memory | None, Memory | None],
        t_ps: tuple[int, int],
        created_ps: int,
    ) -> BellPair:
        """Record a new pair held by ``qubits`` (None for a half that is no stored qubit)."""
        if self._train is not None:
            self._build()
        pair = BellPair(self._next_uid, state, qubits, memories, t_ps, created_ps)
        self._next_uid += 1
        by_qubit = self._by_qubit
        qa, qb = qubits
        if qa is not None:
            if qa in by_qubit:
                raise HardwareError(f"qubit {qa!r} already holds half of {by_qubit[qa]!r}")
            by_qubit[qa] = pair
        if qb is not None:
            if qb in by_qubit:
                raise HardwareError(f"qubit {qb!r} already holds half of {by_qubit[qb]!r}")
            by_qubit[qb] = pair
        return pair

    def add_train(
        self,
        state: State,
        qubits: tuple[list[Qubit], list[Qubit]],
        memories: tuple[Memory | None, Memory | None],
        created_ps: list[int],
        offsets_ps: tuple[int, int],
    ) -> None:
        """Record ``len(created_ps)`` new pairs at once, as ``create`` would one by one: pair i
        is held by ``(qubits[0][i], qubits[1][i])``, was made at ``created_ps[i]``, and its
        half h decoheres from ``created_ps[i] + offsets_ps[h]``.

        The pairs are built when the store is next used for anything but ``discard_many`` of
        this train's halves.
        """
        if self._train is not None:
            self._build()
        by_qubit = self._by_qubit
        qa, qb = qubits
        n = len(created_ps)
        if len(qa) != n or len(qb) != n:
            raise HardwareError(f"a train of {n} pairs needs {n} qubits per end")
        # Disjoint from each other and from every held qubit, as n ``create`` calls require.
        if (
            by_qubit and not (by_qubit.keys().isdisjoint(qa) and by_qubit.keys().isdisjoint(qb))
        ) or len({*qa, *qb}) != 2 * n:
            seen: set[Qubit] = set()
            bad = []
            for q in (*qa, *qb):
                if q in by_qubit or q in seen:
                    bad.append(q)
                seen.add(q)
            raise HardwareError(
                f"qubits {bad} of a new train already hold a half or appear twice in it"
            )
        if n:
            # Copies: the caller may hand the same lists on (e.g. in heralds). tuple.__new__
            # skips the NamedTuple's Python-level __new__ (this runs once per success).
            own = (qa.copy(), qb.copy())
            uid = self._next_uid
            self._train = tuple.__new__(
                _Train, (uid, state, own, memories, created_ps.copy(), offsets_ps)
            )
            self._train_released = [False, False]
            self._next_uid = uid + n

    def discard_many(self, qubits: list[Qubit]) -> None:
        """``discard`` each of ``qubits``. When they are exactly one end's halves of the
        unbuilt train (a consumer freeing a herald's pairs at once), that end is only flagged,
        and a train discarded at both ends is dropped without ever being built."""
        train = self._train
        if train is not None:
            released = self._train_released
            for end in (0, 1):
                if not released[end] and qubits == train.qubits[end]:
                    released[end] = True
                    if released[1 - end]:
                        self._train = None
                    return
            self._build()
        discard = self.discard
        for q in qubits:
            discard(q)

    def _build(self) -> None:
        """Turn the unbuilt train into ``BellPair``s exactly as ``create`` would have made them
        (uids, ``_by_qubit`` order, halves already discarded)."""
        train = self._train
        assert train is not None
        self._train = None
        by_qubit = self._by_qubit
        gone_a, gone_b = self._train_released
        c0, c1 = train.offsets_ps
        state, memories, uid = train.state, train.memories, train.uid
        for i, (qa, qb, t) in enumerate(
            zip(train.qubits[0], train.qubits[1], train.created_ps, strict=True)
        ):
            pair = BellPair(uid + i, state, (qa, qb), memories, (t + c0, t + c1), t)
            pair.released = [gone_a, gone_b]
            if not gone_a:
                by_qubit[qa] = pair
            if not gone_b:
                by_qubit[qb] = pair

    def held_qubits(self) -> list[Qubit]:
        """Every qubit holding a half, in no particular order."""
        if self._train is not None:
            self._build()
        return list(self._by_qubit)

    def pair_of(self, qubit: Qubit) -> BellPair:
        """The pair whose half ``qubit`` holds."""
        if self._train is not None:
            self._build()
        pair = self._by_qubit.get(qubit)
        if pair is None:
            raise HardwareError(f"qubit {qubit!r} holds no Bell pair")
        return pair

    def holds(self, qubit: Qubit) -> bool:
        """Whether ``qubit`` holds half of a pair."""
        if self._train is not None:
            self._build()
        return qubit in self._by_qubit

    def release(self, qubit: Qubit) -> None:
        """The qubit is reset: its half is gone (the partner half keeps only noise)."""
        if self._train is not None:
            self._build()
        pair = self._by_qubit.pop(qubit, None)
        if pair is None:
            raise HardwareError(f"qubit {qubit!r} holds no Bell pair to release")
        pair.released[pair.half_of(qubit)] = True

    def discard(self, qubit: Qubit) -> None:
        """Like ``release``, but a qubit holding nothing (e.g. already measured out) is fine."""
        if self._train is not None:
            self._build()
        pair = self._by_qubit.pop(qubit, None)
        if pair is not None:
            pair.released[0 if pair.qubits[0] == qubit else 1] = True

    def measure(
        self,
        pair: BellPair,
        half: int,
        basis: str,
        t_ps: int,
        rng: np.random.Generator,
        readout_error: float = 0.0,
    ) -> int:
        """Measure ``half`` of ``pair`` in ``basis`` at ``t_ps``; return the bit read.

        The qubit (if any) stays recorded until ``release``; the half becomes a classical
        record, so later decoherence no longer touches it.
        """
        if pair.measured[half] is not None:
            raise HardwareError(f"half {half} of pair {pair.uid} was already measured")
        state = pair.advance(t_ps, (half,))
        other = 1 - half
        done = pair.measured[other]
        if done is None:
            bases = (basis, "Z") if half == 0 else ("Z", basis)
            probs = measurement_probabilities(state, bases)
            p_one = float(probs[1, :].sum() if half == 0 else probs[:, 1].sum())
        else:
            o_basis, o_bit = done
            bases = (basis, o_basis) if half == 0 else (o_basis, basis)
            probs = measurement_probabilities(state, bases)
            row = probs[:, o_bit] if half == 0 else probs[o_bit, :]
            p_one = float(row[1] / row.sum())
        bit = int(rng.random() < p_one)
        pair.measured[half] = (basis, bit)
        if readout_error and rng.random() < readout_error:
            return bit ^ 1
        return bit

    def transfer(
        self, src: Qubit, dst: Qubit, t_ps: int, memory: Memory | None, error: float = 0.0
    ) -> BellPair:
        """Move the half held by ``src`` into ``dst`` at ``t_ps`` (spec Fig. 2, step 2: the
        transceiver qubit's state goes to the buffer qubit). ``memory`` is dst's noise;
        ``error`` a depolarising probability for the transfer gates."""
        if self._train is not None:
            self._build()
        if dst in self._by_qubit:
            raise HardwareError(f"qubit {dst!r} already holds half of {self._by_qubit[dst]!r}")
        pair = self.pair_of(src)
        half = pair.half_of(src)
        state = pair.advance(t_ps)
        if error:
            state = depolarize(state, error, (half,))  # type: ignore[type-var]
            pair.state = state
        qubits = list(pair.qubits)
        qubits[half] = dst
        pair.qubits = (qubits[0], qubits[1])
        memories = list(pair.memories)
        memories[half] = memory
        pair.memories = (memories[0], memories[1])
        del self._by_qubit[src]
        self._by_qubit[dst] = pair
        return pair

    def gate_error(self, pair: BellPair, half: int, p: float, t_ps: int) -> None:
        """A one-qubit gate on ``half`` of ``pair`` at ``t_ps`` with depolarising error
        probability ``p`` (e.g. a physical Pauli-frame correction, ``QNIC.frame_correction_gate``).
        A half measured already is a classical record: no gate touches it."""
        if pair.measured[half] is not None or not p:
            return
        state = pair.advance(t_ps, (half,))
        if type(state) is BellDiagonal:
            pair.state = depolarize_half(state, p)
        else:
            pair.state = depolarize(state, p, (half,))  # type: ignore[type-var]

    def swap(
        self,
        q1: Qubit,
        q2: Qubit,
        t_ps: int,
        rng: np.random.Generator,
        noise: GateNoise | None = None,
    ) -> tuple[BellPair, tuple[int, int], str]:
        """Entanglement swapping at the node holding ``q1`` and ``q2`` (a Bell measurement of
        the two, spec Fig. 1a): the pairs (x, q1) and (q2, y) become one pair (x, y).

        Returns the new pair, the two bits read and the Pauli frame they call for; the new
        state is recorded with that frame applied at y (the far end that receives it). If y
        was measured already (a MEAS node), the frame corrects its record instead: the bit
        flips when the frame anticommutes with the basis, as the node itself will do.
        """
        p1, p2 = self.pair_of(q1), self.pair_of(q2)
        if p1 is p2:
            raise HardwareError(f"qubits {q1!r} and {q2!r} hold the same pair {p1.uid}")
        h1, h2 = p1.half_of(q1), p2.half_of(q2)
        s1 = p1.advance(t_ps)
        s2 = p2.advance(t_ps)
        a = s1 if h1 == 1 else s1.reversed()  # (x, q1)
        b = s2 if h2 == 0 else s2.reversed()  # (q2, y)
        out = swap_sampled(a, b, rng, noise)  # type: ignore[type-var]
        x, y = 1 - h1, 1 - h2
        bits, frame = out.bits, out.pauli_frame
        mx, my = p1.measured[x], p2.measured[y]
        if mx is not None and my is not None:
            bits, frame = _conditioned_frame(out.state, mx, my, rng)
        del self._by_qubit[q1], self._by_qubit[q2]
        # A far half whose qubit was reset meanwhile (a cutoff the swapping node had not heard
        # of) stays gone: its qubit, perhaps holding something new by now, is not touched.
        far = []
        for old, h in ((p1, x), (p2, y)):
            q = old.qubits[h]
            alive = q is not None and not old.released[h] and self._by_qubit.get(q) is old
            if alive:
                del self._by_qubit[q]  # type: ignore[arg-type]
            far.append(q if alive else None)
        pair = self.create(
            out.state,
            (far[0], far[1]),
            (p1.memories[x], p2.memories[y]),
            (t_ps, t_ps),
            t_ps,
        )
        pair.measured = [p1.measured[x], p2.measured[y]]
        pair.origins = [p1.origins[x], p2.origins[y]]
        done = pair.measured[1]
        if done is not None and frame_flips(frame, done[0]):
            pair.measured[1] = (done[0], done[1] ^ 1)
        pair.released = [
            p1.released[x] or (p1.qubits[x] is not None and far[0] is None),
            p2.released[y] or (p2.qubits[y] is not None and far[1] is None),
        ]
        return pair, bits, frame


_FRAMES = (((0, 0), "I"), ((0, 1), "X"), ((1, 0), "Z"), ((1, 1), "Y"))


def _conditioned_frame(
    state: State, mx: tuple[str, int], my: tuple[str, int], rng: np.random.Generator
) -> tuple[tuple[int, int], str]:
    """The swap's outcome when both far halves were read before it (two MEAS ends).

    Each record alone is independent of the Bell measurement (a Bell-diagonal half is
    maximally mixed), but the two together are not: the outcome must be drawn given both.
    Every frame is a priori equally likely and leaves the same corrected state, so frame f
    has weight P(x reads mx, y reads my corrected by f) in that state.
    """
    probs = measurement_probabilities(state, (mx[0], my[0]))
    weights = [float(probs[mx[1], my[1] ^ frame_flips(f, my[0])]) for _, f in _FRAMES]
    k = choice_index(weights, rng)
    return _FRAMES[k]
