"""Depolarising memory noise with a time constant τ (issue 12, item 4): a qubit idle for t is
replaced by the maximally mixed state with probability p = 1 − e^{−t/τ}. On one half of a
Bell-diagonal pair each weight w becomes (1 − p)·w + p/4; on both halves after the same t,
w becomes e^{−2t/τ}·w + (1 − e^{−2t/τ})/4 (physics.md: F(t) = 1/4 + (F0 − 1/4)·e^{−2t/τ}).
The ground truth (``BellPair.advance``) applies it lazily; waiting in steps is waiting once."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.hardware import BellPair, Memory, PairStore
from qrna.physics import (
    BellDiagonal,
    DensityMatrix,
    PhysicsError,
    decohere,
    depolarize,
    depolarize_half,
    memory_depolarizing_probability,
)

PS = 1_000_000_000_000
WEIGHTS = (0.8, 0.1, 0.06, 0.04)  # Bell-diagonal, not Werner


def _stored(backend: str, memory: Memory) -> BellPair:
    state = BellDiagonal(*WEIGHTS)
    start = state if backend == "bell_diagonal" else DensityMatrix.from_bell_diagonal(state)
    return PairStore().create(start, (("a/q", 0), ("b/q", 0)), (memory, memory), (0, 0), 0)


def _bell_weights(state: object) -> tuple[float, ...]:
    if isinstance(state, BellDiagonal):
        return state.as_tuple()
    assert isinstance(state, DensityMatrix)
    return tuple(state.bell_weights())


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_a_stored_pair_depolarises_to_the_closed_form_on_both_halves(backend: str) -> None:
    """τ = 0.5 s, both halves idle 0.3 s: w → e^{−1.2}·w + (1 − e^{−1.2})/4, in both backends
    (the density matrix stays Bell-diagonal: depolarising is a Pauli channel)."""
    state = _stored(backend, Memory(math.inf, math.inf, 0.5)).advance(3 * PS // 10)
    s = math.exp(-2 * 0.3 / 0.5)
    want = tuple(s * w + (1 - s) / 4 for w in WEIGHTS)
    assert _bell_weights(state) == pytest.approx(want, abs=1e-12)
    assert state.fidelity == pytest.approx(0.25 + (0.8 - 0.25) * s, abs=1e-12)
    if isinstance(state, DensityMatrix):  # nothing off the Bell diagonal
        assert state.matrix == pytest.approx(
            DensityMatrix.from_bell_diagonal(BellDiagonal(*want)).matrix, abs=1e-12
        )


def test_one_half_maps_each_weight_to_the_affine_closed_form() -> None:
    """p = 0.3 on one half: (1 − p)·w + p/4, by the hot path and by ``depolarize``."""
    p = 0.3
    want = tuple((1 - p) * w + p / 4 for w in WEIGHTS)
    assert depolarize_half(BellDiagonal(*WEIGHTS), p).as_tuple() == pytest.approx(want, abs=1e-15)
    for half in (0, 1):
        out = depolarize(BellDiagonal(*WEIGHTS), p, (half,))
        assert out.as_tuple() == pytest.approx(want, abs=1e-15)


def test_depolarising_at_tau_is_the_t1_t2_twirl_at_t1_equals_t2_equals_tau() -> None:
    """On the Bell-diagonal backend the T1/T2 twirl has p_x = p_y = (1 − a)/4 and
    p_z = (1 + a)/4 − e^{−t/T2}/2; at T1 = T2 = τ all three are p/4: depolarising."""
    state = BellDiagonal(*WEIGHTS)
    for t in (0.0, 1e-4, 0.2, 3.0):
        p = memory_depolarizing_probability(t, 0.7)
        assert depolarize_half(state, p).as_tuple() == pytest.approx(
            decohere(state, t, 0.7, 0.7, (0,)).as_tuple(), abs=1e-14
        )


def test_bad_times_are_refused_naming_them() -> None:
    with pytest.raises(PhysicsError, match=r"tau_s=0\.0 is invalid; expected > 0"):
        memory_depolarizing_probability(1.0, 0.0)
    with pytest.raises(PhysicsError, match=r"t_s=-1\.0 is invalid"):
        memory_depolarizing_probability(-1.0, 1.0)
    assert memory_depolarizing_probability(5.0, math.inf) == 0.0


_weights = st.lists(st.floats(0.001, 1.0), min_size=4, max_size=4).map(
    lambda w: tuple(x / sum(w) for x in w)
)


@settings(max_examples=40, deadline=None)
@given(
    weights=_weights,
    t1=st.floats(1e-6, 2.0),
    t2=st.floats(1e-6, 2.0),
    tau=st.floats(1e-3, 10.0),
    backend=st.sampled_from(["bell_diagonal", "density_matrix"]),
)
def test_waiting_t1_then_t2_is_waiting_t1_plus_t2(
    weights: tuple[float, float, float, float], t1: float, t2: float, tau: float, backend: str
) -> None:
    """Depolarising composes: (1 − p(t1))(1 − p(t2)) = 1 − p(t1 + t2); the lazy ground truth
    gives the same state whether a half is advanced once or in two steps, in both backends,
    and both backends agree."""
    memory = Memory(math.inf, math.inf, tau)
    start_bd = BellDiagonal.from_weights(list(weights))
    states = []
    for kind in ("bell_diagonal", backend):
        start = start_bd if kind == "bell_diagonal" else DensityMatrix.from_bell_diagonal(start_bd)
        once, stepped = PairStore(), PairStore()
        a = once.create(start, (("a/q", 0), ("b/q", 0)), (memory, memory), (0, 0), 0)
        b = stepped.create(start, (("a/q", 0), ("b/q", 0)), (memory, memory), (0, 0), 0)
        t1_ps, t2_ps = round(t1 * PS), round(t2 * PS)
        b.advance(t1_ps)
        whole = a.advance(t1_ps + t2_ps)
        steps = b.advance(t1_ps + t2_ps)
        assert _bell_weights(steps) == pytest.approx(_bell_weights(whole), abs=1e-12)
        states.append(whole)
    assert _bell_weights(states[1]) == pytest.approx(_bell_weights(states[0]), abs=1e-12)
    s = math.exp(-2 * (round(t1 * PS) + round(t2 * PS)) / PS / tau)
    assert states[0].fidelity == pytest.approx(0.25 + (weights[0] - 0.25) * s, abs=1e-12)
