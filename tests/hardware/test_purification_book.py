"""Bilateral purification with the two nodes acting at different times matches the one-shot
physics: success frequency within 4 SE of purify() applied to the states as each node saw
them, the kept state exactly, in both backends and either pair orientation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qrna.hardware import HardwareError, Memory, PairStore, PurificationBook
from qrna.physics import BellDiagonal, DensityMatrix, GateNoise, decohere, purify

PS = 1_000_000_000_000
NA = GateNoise(cnot_error=0.02, readout_error=0.01)
NB = GateNoise(cnot_error=0.01, single_qubit_error=0.01, readout_error=0.03)
T2 = 0.01
MEM = Memory(math.inf, T2)


def _setup(dm: bool, flip_sacrifice: bool) -> tuple[PairStore, PurificationBook]:
    store = PairStore()
    make = (lambda bd: DensityMatrix.from_bell_diagonal(bd)) if dm else (lambda bd: bd)
    keep, sac = BellDiagonal(0.85, 0.05, 0.06, 0.04), BellDiagonal(0.8, 0.02, 0.1, 0.08)
    store.create(make(keep), (("a", 0), ("b", 0)), (MEM, MEM), (0, 0), 0)
    if flip_sacrifice:  # the first node holds half 1 of the sacrificed pair
        store.create(make(sac).reversed(), (("b", 1), ("a", 1)), (MEM, MEM), (0, 0), 0)
    else:
        store.create(make(sac), (("a", 1), ("b", 1)), (MEM, MEM), (0, 0), 0)
    return store, PurificationBook(store)


@pytest.mark.parametrize("dm", [False, True])
@pytest.mark.parametrize("flip", [False, True])
def test_split_purification_statistics(dm: bool, flip: bool) -> None:
    """A acts at 1 ms, B at 3 ms: B's halves decohere 2 ms longer (T2 = 10 ms)."""
    t1, t2 = PS // 1000, 3 * PS // 1000
    keep, sac = BellDiagonal(0.85, 0.05, 0.06, 0.04), BellDiagonal(0.8, 0.02, 0.1, 0.08)
    if dm:
        keep, sac = DensityMatrix.from_bell_diagonal(keep), DensityMatrix.from_bell_diagonal(sac)  # type: ignore[assignment]
    seen = [decohere(decohere(s, 1e-3, *MEM[:2], (0,)), 3e-3, *MEM[:2], (1,)) for s in (keep, sac)]
    p_expected, kept_expected = purify(seen[0], seen[1], "dejmps", (NA, NB))
    assert kept_expected is not None
    rng = np.random.default_rng(5)
    n = 1500 if not dm else 400
    hits = 0
    for _ in range(n):
        store, book = _setup(dm, flip)
        bits_a = book.begin([("a", 0), ("a", 1)], "dejmps", t1, rng, NA)
        bits_b, echoed, ok = book.end([("b", 0), ("b", 1)], "dejmps", t2, rng, NB)
        assert echoed == bits_a
        assert ok == (bits_a == bits_b)
        assert not store.holds(("a", 1))
        assert not store.holds(("b", 1))
        if ok:
            hits += 1
            pair = store.pair_of(("a", 0))
            # The first node's half stays at t1 until touched: bring both to t2 to compare.
            state = pair.advance(t2)
            expected = decohere(kept_expected, 2e-3, *MEM[:2], (0,))
            got = state.as_tuple() if not dm else state.bell_weights()  # type: ignore[union-attr]
            want = expected.as_tuple() if not dm else expected.bell_weights()  # type: ignore[union-attr]
            assert got == pytest.approx(want, abs=1e-9)
        else:
            assert not store.holds(("b", 0))
        assert len(book) == 0
    se = math.sqrt(p_expected * (1 - p_expected) / n)
    assert abs(hits / n - p_expected) <= 4 * se


def test_book_refuses_misuse() -> None:
    store, book = _setup(False, False)
    rng = np.random.default_rng(1)
    with pytest.raises(HardwareError, match="no purification of pairs"):
        book.end([("b", 0), ("b", 1)], "dejmps", 0, rng)
    book.begin([("a", 0), ("a", 1)], "dejmps", 0, rng)
    with pytest.raises(HardwareError, match="was already begun"):  # both ends think they lead
        book.begin([("b", 0), ("b", 1)], "dejmps", 0, rng)
    with pytest.raises(
        HardwareError,
        match=r"begun as 'dejmps' \(twirl=False\), ended as 'single_x' \(twirl=False\)",
    ):
        book.end([("b", 0), ("b", 1)], "single_x", 0, rng)
    assert len(book) == 1  # a refused end leaves the purification pending
    assert book.abort(("b", 0)) is False  # the second node's half began nothing
    assert book.abort(("a", 1)) is False  # a sacrificed qubit is not the kept one
    assert len(book) == 1
    assert book.abort(("a", 0)) is True
    assert len(book) == 0
    assert book.abort(("a", 0)) is False  # forgotten once
    assert store.holds(("a", 0))


def test_an_ended_purification_cannot_be_aborted() -> None:
    _, book = _setup(False, False)
    rng = np.random.default_rng(3)
    book.begin([("a", 0), ("a", 1)], "dejmps", 0, rng)
    book.end([("b", 0), ("b", 1)], "dejmps", 10, rng)
    assert len(book) == 0
    assert book.abort(("a", 0)) is False


def test_second_node_acting_after_the_first_gave_up_keeps_nothing() -> None:
    """The first node acted, then its connection ended and it reset its kept qubit (abort)
    before the second node heard: the second still runs its circuit, keeps nothing, and
    every qubit it used is reset. Without the first node's reset it is still an error."""
    store, book = _setup(False, False)
    rng = np.random.default_rng(2)
    book.begin([("a", 0), ("a", 1)], "dejmps", 0, rng)
    assert book.abort(("a", 0))
    store.release(("a", 0))
    bits, first_bits, ok = book.end([("b", 0), ("b", 1)], "dejmps", 10, rng)
    assert ok is False
    assert first_bits == ()
    assert len(bits) == 1
    assert not store.holds(("b", 0))
    assert not store.holds(("b", 1))


@pytest.mark.xfail(
    strict=True,
    reason="abort looks the purification up by the kept qubit named at begin; after "
    "PairStore.transfer moves that half to another qubit the index misses it (the scan it "
    "replaced found it by the pair's current qubit). No runtime transfers a half that is "
    "purifying today: transfer has no caller in qrna",
)
def test_abort_finds_a_purification_whose_kept_half_was_transferred() -> None:
    store, book = _setup(False, False)
    book.begin([("a", 0), ("a", 1)], "dejmps", 0, np.random.default_rng(1))
    store.transfer(("a", 0), ("a", 5), 10, MEM)
    assert store.pair_of(("a", 5)).qubits == (("a", 5), ("b", 0))
    assert book.abort(("a", 5)) is True
    assert len(book) == 0
