"""The purification book's Bell-diagonal path draws exactly what the outcome table drew.

``PurificationBook`` skips ``purification_outcomes``'s table for Bell-diagonal pairs (the first
node's bits are uniform; the second's follow from the parity records). The reference here is
the table-based algorithm, written out: the first node draws from the table's marginal, the
second from the table conditioned on the first's bits, both with ``Generator.choice``. On the
same pairs, times and seed, both must give the same bits, the same success, the same kept
state (to the last bit) and leave their generators in the same state: for every scheme
(one and two measured pairs), either orientation of every pair, asymmetric noise and
non-Werner states."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qrna.hardware import Memory, PairStore, PurificationBook
from qrna.physics import (
    SCHEMES,
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    PhysicsError,
    State,
    purification_outcomes,
)

MEM = Memory(0.05, 0.02)  # T1, T2 (s)
PS = 10**12

_states = st.lists(st.floats(0.001, 1.0), min_size=4, max_size=4).map(
    lambda w: BellDiagonal.from_weights([x / sum(w) for x in w])
)
_noise = st.builds(
    GateNoise,
    cnot_error=st.sampled_from([0.0, 0.02]),
    single_qubit_error=st.sampled_from([0.0, 0.01]),
    readout_error=st.sampled_from([0.0, 0.03]),
)


def _choice(weights: dict[tuple[int, ...], float], rng: np.random.Generator) -> tuple[int, ...]:
    keys = sorted(weights)
    p = np.array([max(0.0, weights[k]) for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _oriented(state: State, half: int) -> State:
    return state if half == 0 else state.reversed()


def _table(states: list[State], scheme: str, noise: tuple[GateNoise, GateNoise]) -> dict:  # type: ignore[type-arg]
    sacrifice = states[1] if len(states) == 2 else tuple(states[1:])
    return purification_outcomes(states[0], sacrifice, scheme, noise)  # type: ignore[type-var]


def _store(states: list[BellDiagonal], flips: list[bool]) -> PairStore:
    store = PairStore()
    for i, (state, flip) in enumerate(zip(states, flips, strict=True)):
        if flip:  # node a holds half 1
            store.create(state.reversed(), (("b", i), ("a", i)), (MEM, MEM), (0, 0), 0)
        else:
            store.create(state, (("a", i), ("b", i)), (MEM, MEM), (0, 0), 0)
    return store


def _reference(
    store: PairStore,
    k: int,
    scheme: str,
    times: tuple[int, int],
    noise: tuple[GateNoise, GateNoise],
    rng: np.random.Generator,
) -> tuple[tuple[int, ...], tuple[int, ...], State | None]:
    """The table-based algorithm: (bits at a, bits at b, the kept state or None)."""
    a_qubits = [("a", i) for i in range(k)]
    pairs = [store.pair_of(q) for q in a_qubits]
    halves = [p.half_of(q) for p, q in zip(pairs, a_qubits, strict=True)]
    first = [_oriented(p.advance(times[0], (h,)), h) for p, h in zip(pairs, halves, strict=True)]
    marginal: dict[tuple[int, ...], float] = {}
    for (bits_a, _), (p, _) in _table(first, scheme, (noise[0], GateNoise.NONE)).items():
        marginal[bits_a] = marginal.get(bits_a, 0.0) + p
    bits_a = _choice(marginal, rng)
    second = [
        _oriented(p.advance(times[1], (1 - h,)), h) for p, h in zip(pairs, halves, strict=True)
    ]
    table = _table(second, scheme, noise)
    bits_b = _choice({b: p for (a, b), (p, _) in table.items() if a == bits_a}, rng)
    return bits_a, bits_b, table[(bits_a, bits_b)][1]


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from(sorted(SCHEMES)),
    states=st.lists(_states, min_size=3, max_size=3),
    flips=st.lists(st.booleans(), min_size=3, max_size=3),
    na=_noise,
    nb=_noise,
    gap_us=st.integers(0, 5000),
    seed=st.integers(0, 2**32 - 1),
)
# The nodes' noise swapped changes the kept DEJMPS state in its last bits only: pinned here,
# since the derandomised examples above do not reach such a case.
@example(
    scheme="dejmps",
    states=[BellDiagonal(0.8, 0.05, 0.1, 0.05)] * 3,
    flips=[False] * 3,
    na=GateNoise(single_qubit_error=0.01),
    nb=GateNoise(cnot_error=0.02, readout_error=0.03),
    gap_us=0,
    seed=1,
)
def test_book_draws_what_the_table_drew(
    scheme: str,
    states: list[BellDiagonal],
    flips: list[bool],
    na: GateNoise,
    nb: GateNoise,
    gap_us: int,
    seed: int,
) -> None:
    k = SCHEMES[scheme].pairs
    times = (PS // 1000, PS // 1000 + gap_us * 10**6)
    ref_rng, rng = np.random.default_rng(seed), np.random.default_rng(seed)
    ref_store = _store(states[:k], flips[:k])
    bits_a, bits_b, kept = _reference(ref_store, k, scheme, times, (na, nb), ref_rng)

    store = _store(states[:k], flips[:k])
    book = PurificationBook(store)
    got_a = book.begin([("a", i) for i in range(k)], scheme, times[0], rng, na)
    got_b, echoed, ok = book.end([("b", i) for i in range(k)], scheme, times[1], rng, nb)
    assert (got_a, got_b, echoed) == (bits_a, bits_b, bits_a)
    assert ok == (kept is not None) == (bits_a == bits_b)
    if ok:
        pair = store.pair_of(("a", 0))
        expected = kept if not flips[0] else kept.reversed()  # type: ignore[union-attr]
        assert pair.state == expected
    assert rng.random() == ref_rng.random()


def test_first_bits_are_uniform_for_two_measured_pairs() -> None:
    """double_x measures two pairs: node A's four outcomes each within 4.5 SE of 1/4."""
    rng = np.random.default_rng(11)
    counts = dict.fromkeys([(0, 0), (0, 1), (1, 0), (1, 1)], 0)
    n = 4000
    state = BellDiagonal(0.7, 0.05, 0.2, 0.05)
    for _ in range(n):
        store = _store([state] * 3, [False, True, False])
        bits = PurificationBook(store).begin([("a", i) for i in range(3)], "double_x", 0, rng)
        counts[bits] += 1
    se = math.sqrt(0.25 * 0.75 / n)
    for bits, c in counts.items():
        assert abs(c / n - 0.25) <= 4.5 * se, (bits, c)


_BD, _DM = BellDiagonal(0.8, 0.05, 0.1, 0.05), DensityMatrix.werner(0.9)


@pytest.mark.parametrize(
    ("scheme", "states", "message"),
    [
        ("dejmps", [_BD, _DM], r"one backend .* got BellDiagonal, DensityMatrix"),
        ("bbpssw", [_BD, _DM], r"one backend .* got BellDiagonal, DensityMatrix"),
        ("single_z", [_DM, _BD], r"one backend .* got DensityMatrix, BellDiagonal"),
        ("double_x", [_BD, _BD, _DM], r"one backend .* got BellDiagonal, BellDiagonal, Dens"),
        ("dejmps", [_BD, _BD, _BD], r"'dejmps' sacrifices 1 pair\(s\); got 2"),
        ("single_x", [_BD], r"'single_x' sacrifices 1 pair\(s\); got 0"),
        ("double_z", [_BD, _BD], r"'double_z' sacrifices 2 pair\(s\); got 1"),
        ("dejmp", [_BD, _BD], r"scheme='dejmp' is not a purification scheme; expected one of"),
        (["dejmps"], [_BD, _BD], r"scheme=\['dejmps'\] is not a purification scheme"),
    ],
)
def test_begin_refuses_before_it_draws_or_resets(
    scheme: str, states: list[State], message: str
) -> None:
    """Mixed backends, a wrong pair count or an unknown scheme: ``begin`` raises the physics
    error at once, as the outcome table did, having drawn nothing, reset no qubit and left
    nothing pending (the fast path for one measured pair must not skip these checks)."""
    store = PairStore()
    for i, state in enumerate(states):
        store.create(state, (("a", i), ("b", i)), (MEM, MEM), (0, 0), 0)
    book = PurificationBook(store)
    rng, untouched = np.random.default_rng(2), np.random.default_rng(2)
    with pytest.raises(PhysicsError, match=message):
        book.begin([("a", i) for i in range(len(states))], scheme, PS // 1000, rng)
    assert len(book) == 0
    assert all(store.holds(("a", i)) for i in range(len(states)))
    assert rng.random() == untouched.random()
