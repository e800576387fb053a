"""Trains in the ground truth: ``add_train`` records pairs that are built only when read, and
whatever is read is exactly what one ``create`` per pair would have recorded."""

from __future__ import annotations

import math

import pytest

from qrna.hardware import BellPair, HardwareError, Memory, PairStore
from qrna.physics import BellDiagonal

MEM = Memory(math.inf, 0.5)
STATE = BellDiagonal.werner(0.93)
QA = [("a/q", 3), ("a/q", 0), ("a/q", 7)]
QB = [("b/q", 1), ("b/q", 4), ("b/q", 2)]
SLOTS = [1_000, 2_000, 5_000]
OFFSETS = (10, 250)


def _eager() -> PairStore:
    store = PairStore()
    store.create(BellDiagonal.perfect(), (("x/q", 0), ("y/q", 0)), (None, None), (0, 0), 0)
    for qa, qb, t in zip(QA, QB, SLOTS, strict=True):
        store.create(STATE, (qa, qb), (MEM, MEM), (t + OFFSETS[0], t + OFFSETS[1]), t)
    return store


def _lazy() -> PairStore:
    store = PairStore()
    store.create(BellDiagonal.perfect(), (("x/q", 0), ("y/q", 0)), (None, None), (0, 0), 0)
    store.add_train(STATE, (list(QA), list(QB)), (MEM, MEM), list(SLOTS), OFFSETS)
    return store


def _view(pair: BellPair) -> tuple[object, ...]:
    return (
        pair.uid,
        pair.state.as_tuple(),
        pair.qubits,
        pair.memories,
        pair.t_ps,
        pair.created_ps,
        pair.measured,
        pair.released,
        pair.origins,
    )


def _snapshot(store: PairStore) -> list[tuple[object, ...]]:
    return [(q, _view(store.pair_of(q))) for q in store.held_qubits()]


def test_a_train_read_later_holds_exactly_the_pairs_create_would_make() -> None:
    eager, lazy = _eager(), _lazy()
    assert len(lazy) == len(eager) == 8
    assert _snapshot(lazy) == _snapshot(eager)  # same pairs, uids and qubit order
    # Later pairs continue the uid sequence.
    args = (STATE, (("c/q", 0), ("d/q", 0)), (None, None), (9, 9), 9)
    assert lazy.create(*args).uid == eager.create(*args).uid == 4


def test_one_end_freed_then_read_leaves_the_other_halves_as_discards_would() -> None:
    eager, lazy = _eager(), _lazy()
    for q in QA:
        eager.discard(q)
    lazy.discard_many(list(QA))
    assert _snapshot(lazy) == _snapshot(eager)
    assert all(lazy.pair_of(q).released == [True, False] for q in QB)
    assert not any(lazy.holds(q) for q in QA)


def test_a_train_freed_at_both_ends_leaves_nothing_and_keeps_the_uids() -> None:
    eager, lazy = _eager(), _lazy()
    for store in (eager, lazy):
        store.discard_many(list(QB))
        store.discard_many(list(QA))
    assert _snapshot(lazy) == _snapshot(eager)
    assert len(lazy) == 2
    args = (STATE, (QA[0], QB[0]), (None, None), (9, 9), 9)
    assert lazy.create(*args).uid == eager.create(*args).uid == 4


def test_freeing_part_of_a_train_builds_it_and_frees_just_that_part() -> None:
    eager, lazy = _eager(), _lazy()
    for store in (eager, lazy):
        store.discard_many([QA[1], QB[2]])
    assert _snapshot(lazy) == _snapshot(eager)
    assert len(lazy) == 6


def test_a_train_refuses_qubits_that_hold_a_half_or_repeat() -> None:
    store = _lazy()
    with pytest.raises(HardwareError, match=r"qubits \[\('a/q', 3\)\] of a new train"):
        store.add_train(STATE, ([("a/q", 3)], [("c/q", 0)]), (MEM, MEM), [9], OFFSETS)
    with pytest.raises(HardwareError, match=r"qubits \[\('c/q', 0\)\] of a new train"):
        store.add_train(
            STATE,
            ([("c/q", 0), ("c/q", 0)], [("d/q", 0), ("d/q", 1)]),
            (MEM, MEM),
            [9, 10],
            OFFSETS,
        )
    with pytest.raises(HardwareError, match="a train of 2 pairs needs 2 qubits per end"):
        store.add_train(STATE, ([("c/q", 0)], [("d/q", 0)]), (MEM, MEM), [9, 10], OFFSETS)


def test_the_store_keeps_its_own_copy_of_a_trains_lists() -> None:
    """The link hands the same qubit lists on in its heralds; changing them later must not
    change the ground truth."""
    store = PairStore()
    qa, qb, slots = [("a/q", 0)], [("b/q", 0)], [100]
    store.add_train(STATE, (qa, qb), (MEM, MEM), slots, OFFSETS)
    qa[0], qb[0], slots[0] = ("a/q", 9), ("b/q", 9), 7
    pair = store.pair_of(("a/q", 0))
    assert pair.qubits == (("a/q", 0), ("b/q", 0))
    assert pair.created_ps == 100
