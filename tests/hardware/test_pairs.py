"""The ground-truth pair store: lazy decoherence per half, measurement in either order,
transfer to a buffer qubit, and entanglement swapping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qrna.hardware import HardwareError, Memory, PairStore
from qrna.physics import BellDiagonal, DensityMatrix, decohere, measurement_probabilities, swap

PS = 1_000_000_000_000


def test_each_half_decoheres_from_its_own_time_with_its_own_memory() -> None:
    store = PairStore()
    pair = store.create(
        BellDiagonal.perfect(),
        (("a/q", 0), ("b/q", 0)),
        (Memory(math.inf, 1.0), Memory(math.inf, 0.5)),
        (0, PS // 10),
        PS // 10,
    )
    state = pair.advance(PS)  # half a for 1 s at T2 = 1; half b for 0.9 s at T2 = 0.5
    expected = decohere(
        decohere(BellDiagonal.perfect(), 1.0, math.inf, 1.0, (0,)), 0.9, math.inf, 0.5, (1,)
    )
    assert state.as_tuple() == pytest.approx(expected.as_tuple(), abs=1e-12)
    with pytest.raises(HardwareError, match="cannot go back"):
        pair.advance(PS // 2)


@pytest.mark.parametrize("first", [0, 1])
def test_measuring_halves_at_different_times_has_the_joint_statistics(first: int) -> None:
    """Half ``first`` is measured at t = 0.1 s and the other at 0.6 s; the joint frequencies
    match the state with each half decohered to its own measurement time (chi-square, 3
    degrees of freedom, 99.9% quantile 16.27, seed 3)."""
    rng = np.random.default_rng(3)
    start = DensityMatrix.werner(0.95)
    counts = np.zeros((2, 2))
    mem = Memory(1.0, 0.8)
    for _ in range(3000):
        store = PairStore()
        pair = store.create(start, (("a/q", 0), ("b/q", 0)), (mem, mem), (0, 0), 0)
        bits = [0, 0]
        bits[first] = store.measure(pair, first, "X", PS // 10, rng)
        bits[1 - first] = store.measure(pair, 1 - first, "X", 6 * PS // 10, rng)
        counts[bits[0], bits[1]] += 1
    halves = [(first,), (1 - first,)]
    t1, t2, _ = mem
    truth = decohere(decohere(start, 0.1, t1, t2, halves[0]), 0.6, t1, t2, halves[1])
    expected = measurement_probabilities(truth, ("X", "X")) * counts.sum()
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 16.27


def test_transfer_to_buffer_then_swap_gives_the_closed_form() -> None:
    store = PairStore()
    left = store.create(BellDiagonal.werner(0.9), (("l/q", 0), ("r/q", 0)), (None, None), (0, 0), 0)
    store.transfer(("r/q", 0), ("r/q", 1), 10, None)
    assert store.pair_of(("r/q", 1)) is left
    assert not store.holds(("r/q", 0))
    right = store.create(
        BellDiagonal.werner(0.8), (("r/q", 0), ("x/q", 0)), (None, None), (20, 20), 20
    )
    pair, bits, frame = store.swap(("r/q", 1), ("r/q", 0), 30, np.random.default_rng(1))
    assert pair.qubits == (("l/q", 0), ("x/q", 0))
    assert frame in "IXYZ"
    assert all(b in (0, 1) for b in bits)
    expected = swap(BellDiagonal.werner(0.9), BellDiagonal.werner(0.8))
    assert pair.state.as_tuple() == pytest.approx(expected.as_tuple(), abs=1e-12)
    assert len(store) == 2
    assert right is not pair


def test_store_refuses_double_use_and_unknown_qubits() -> None:
    store = PairStore()
    store.create(BellDiagonal.perfect(), (("a/q", 0), ("b/q", 0)), (None, None), (0, 0), 0)
    with pytest.raises(HardwareError, match=r"qubit \('a/q', 0\) already holds half of"):
        store.create(BellDiagonal.perfect(), (("a/q", 0), ("c/q", 0)), (None, None), (0, 0), 0)
    with pytest.raises(HardwareError, match=r"qubit \('z/q', 0\) holds no Bell pair"):
        store.pair_of(("z/q", 0))
    store.release(("a/q", 0))
    with pytest.raises(HardwareError, match="holds no Bell pair to release"):
        store.release(("a/q", 0))
