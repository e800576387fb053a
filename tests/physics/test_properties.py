"""Invariants of every operation (hypothesis), and the sampled forms against the averaged ones
(binomial and chi-square bounds at fixed seeds)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.physics import (
    SCHEMES,
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    decohere,
    decohere_half,
    depolarize,
    measure,
    measurement_probabilities,
    pauli_channel,
    purify,
    purify_sampled,
    swap,
    swap_sampled,
)
from tests.physics.conftest import both, weights

_raw = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=4, max_size=4).filter(
    lambda w: sum(w) > 1e-3
)
bell_states = _raw.map(lambda w: BellDiagonal.from_weights([x / sum(w) for x in w]))
# States whose largest weight is Φ+ and with F >= 1/2: the ones noise can only degrade (below
# that, noise drives F toward its fixed point, 1/4 for depolarisation or 1/2 for T1 decay).


def _good(f: float, rest: list[float]) -> BellDiagonal:
    scale = (1.0 - f) / sum(rest[1:]) if sum(rest[1:]) > 1e-9 else 0.0
    others = [x * scale for x in rest[1:]] if scale else [(1.0 - f) / 3] * 3
    return BellDiagonal.from_weights([f, *others])


good_states = st.builds(_good, st.floats(0.5, 1.0), _raw)
noises = st.builds(GateNoise, *(st.floats(0.0, 0.3) for _ in range(3)))
times = st.tuples(st.floats(0.0, 2.0), st.floats(0.1, 3.0), st.floats(0.0, 1.0)).map(
    lambda v: (v[0], v[1], v[1] * (0.05 + 1.95 * v[2]))  # T2 in (0, 2·T1]
)


def assert_valid(state: BellDiagonal | DensityMatrix) -> None:
    if isinstance(state, BellDiagonal):
        w = state.as_tuple()
        assert all(0.0 <= x <= 1.0 for x in w)
        assert sum(w) == pytest.approx(1.0, abs=1e-12)
    else:
        m = state.matrix
        assert np.trace(m).real == pytest.approx(1.0, abs=1e-9)
        assert np.allclose(m, m.conj().T, atol=1e-12)
        assert np.linalg.eigvalsh(m)[0] >= -1e-9
    assert 0.0 <= state.fidelity <= 1.0


@settings(max_examples=40, deadline=None)
@given(bell_states, bell_states, noises, times)
def test_every_output_is_a_valid_state(
    a: BellDiagonal, b: BellDiagonal, noise: GateNoise, tt: tuple[float, float, float]
) -> None:
    for x, y in zip(both(a), both(b), strict=True):
        assert_valid(swap(x, y, noise))  # type: ignore[arg-type]
        assert_valid(decohere(x, *tt))
        for scheme in ("dejmps", "single_z"):
            p, out = purify(x, y, scheme, noise)  # type: ignore[arg-type]
            assert 0.0 <= p <= 1.0
            if out is not None:
                assert_valid(out)
        probs = measurement_probabilities(x, ("X", "Z"), noise.readout_error)
        assert probs.min() >= 0.0
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    good_states, times, st.floats(0.0, 1.0), st.tuples(*(st.floats(0.0, 0.33) for _ in range(3)))
)
def test_fidelity_never_rises_under_noise_alone(
    bd: BellDiagonal, tt: tuple[float, float, float], p: float, paulis: tuple[float, float, float]
) -> None:
    for state in both(bd):
        f0 = state.fidelity
        assert decohere(state, *tt).fidelity <= f0 + 1e-12
        assert depolarize(state, p).fidelity <= f0 + 1e-12
        assert pauli_channel(state, paulis).fidelity <= f0 + 1e-12


@settings(max_examples=30, deadline=None)
@given(good_states, st.floats(0.0, 0.5))
def test_gate_noise_never_helps_a_swap(bd: BellDiagonal, p: float) -> None:
    ideal = swap(bd, bd).fidelity
    for noise in (
        GateNoise(cnot_error=p),
        GateNoise(single_qubit_error=p),
        GateNoise(readout_error=p),
    ):
        assert swap(bd, bd, noise).fidelity <= ideal + 1e-12


def test_decoherence_is_monotone_in_time_down_to_the_fixed_point() -> None:
    # Pauli decay (the Bell-diagonal twirl) falls monotonically toward I/4 (F = 1/4). Exact T1
    # decay ends in |00⟩, whose fidelity is 1/2: once below 1/2 the exact fidelity climbs back
    # toward it. That is physics, not a bug, and the test pins both behaviours.
    ts = np.linspace(0, 3, 13)
    bd, dm = both(BellDiagonal(0.92, 0.02, 0.04, 0.02))
    fast = [decohere(bd, t, 1.0, 0.7).fidelity for t in ts]
    assert all(b < a for a, b in itertools.pairwise(fast))
    assert fast[-1] == pytest.approx(0.25, abs=0.01)
    exact = [decohere(dm, t, 1.0, 0.7).fidelity for t in ts]
    low = int(np.argmin(exact))
    assert all(b < a for a, b in itertools.pairwise(exact[: low + 1]))
    assert exact[low] < 0.5
    assert all(b > a for a, b in itertools.pairwise(exact[low:]))
    assert exact[-1] < 0.5


# -- sampled forms ------------------------------------------------------------------------


def _binomial_ok(hits: int, n: int, p: float, z: float = 4.0) -> bool:
    """|hits/n − p| within z standard errors (z = 4: a false alarm about once in 16,000)."""
    se = math.sqrt(max(p * (1 - p), 1e-12) / n)
    return abs(hits / n - p) <= z * se


CASES = [
    ("bbpssw", BellDiagonal.werner(0.75), 4000, 600),
    ("dejmps", BellDiagonal(0.8, 0.05, 0.1, 0.05), 4000, 600),
    ("single_x", BellDiagonal(0.7, 0.1, 0.15, 0.05), 4000, 600),
    ("single_z", BellDiagonal(0.7, 0.1, 0.05, 0.15), 4000, 600),
    ("double_x", BellDiagonal(0.75, 0.05, 0.1, 0.1), 4000, 150),
    ("double_z", BellDiagonal(0.75, 0.05, 0.1, 0.1), 4000, 150),
]


@pytest.mark.parametrize(("scheme", "bd", "n_bd", "n_dm"), CASES, ids=[c[0] for c in CASES])
def test_sampled_purification_success_frequency(
    scheme: str, bd: BellDiagonal, n_bd: int, n_dm: int
) -> None:
    """Success frequency within 4 standard errors of purify()'s probability, seed 7, both
    backends; the kept state on success equals purify()'s state; nodes' bits agree iff success."""
    noise = GateNoise(cnot_error=0.02, single_qubit_error=0.01, readout_error=0.03)
    for state, n in zip(both(bd), (n_bd, n_dm), strict=True):
        sac = (state, state) if SCHEMES[scheme].pairs == 3 else state
        p, expected = purify(state, sac, scheme, noise)  # type: ignore[arg-type]
        rng = np.random.default_rng(7)
        hits = 0
        for _ in range(n):
            out = purify_sampled(state, sac, scheme, rng, noise)  # type: ignore[arg-type]
            assert out.success == (out.outcomes[0] == out.outcomes[1])
            assert out.success_probability == pytest.approx(p, abs=1e-12)
            if out.success:
                hits += 1
                assert out.state is not None
                assert expected is not None
                assert weights(out.state) == pytest.approx(weights(expected), abs=1e-9)
            else:
                assert out.state is None
        assert _binomial_ok(hits, n, p), (scheme, type(state).__name__, hits / n, p)


def test_sampled_purification_bits_are_uniform_at_each_node() -> None:
    rng = np.random.default_rng(3)
    bd = BellDiagonal.werner(0.9)
    ones = sum(purify_sampled(bd, bd, "dejmps", rng).outcomes[0][0] for _ in range(4000))
    assert _binomial_ok(ones, 4000, 0.5)


def _chi_square_ok(counts: np.ndarray, probs: np.ndarray) -> bool:
    """Pearson chi-square below the 99.9% quantile for 3 degrees of freedom (16.27)."""
    n = counts.sum()
    expected = probs * n
    mask = expected > 0
    stat = float((((counts - expected) ** 2)[mask] / expected[mask]).sum())
    return stat < 16.27 and counts[~mask].sum() == 0


@pytest.mark.parametrize("bases", [("Z", "Z"), ("X", "X"), ("Y", "Y"), ("X", "Z")])
def test_measure_frequencies_match_probabilities(bases: tuple[str, str]) -> None:
    for state in both(BellDiagonal(0.8, 0.06, 0.1, 0.04)):
        rng = np.random.default_rng(11)
        counts = np.zeros(4)
        for _ in range(3000):
            m0, m1 = measure(state, bases, rng, readout_error=0.02)
            counts[2 * m0 + m1] += 1
        probs = measurement_probabilities(state, bases, 0.02).ravel()
        assert _chi_square_ok(counts, probs), (bases, counts, probs)


def test_sampled_swap_outcomes_and_state() -> None:
    """Density matrix: outcome frequencies match the branch probabilities (chi-square) and the
    average of the conditional states is swap(); Bell-diagonal: uniform bits, swap() state."""
    noise = GateNoise(cnot_error=0.05, single_qubit_error=0.02, readout_error=0.05)
    a = decohere(DensityMatrix.werner(0.9), 0.2, 1.0, 0.5)  # not Bell-diagonal: outcomes biased
    b = decohere(
        DensityMatrix.from_bell_diagonal(BellDiagonal(0.85, 0.05, 0.05, 0.05)), 0.3, 1.0, 1.0
    )
    rng = np.random.default_rng(5)
    counts = np.zeros(4)
    total = np.zeros((4, 4), dtype=complex)
    n = 800
    for _ in range(n):
        out = swap_sampled(a, b, rng, noise)
        counts[2 * out.bits[0] + out.bits[1]] += 1
        assert out.pauli_frame == {(0, 0): "I", (1, 0): "Z", (0, 1): "X", (1, 1): "Y"}[out.bits]
        total += out.state.matrix
    from qrna.physics._swap import _dm_branches

    branches = _dm_branches(a, b, noise, "b")
    probs = np.array([np.trace(branches[(k >> 1, k & 1)]).real for k in range(4)])
    assert _chi_square_ok(counts, probs)
    assert not np.allclose(probs, 0.25, atol=0.01)  # the test has something to detect
    avg = DensityMatrix.from_unnormalised(total)
    assert abs(avg.fidelity - swap(a, b, noise).fidelity) < 0.01

    bd = BellDiagonal(0.85, 0.05, 0.07, 0.03)
    rng = np.random.default_rng(5)
    bd_counts = np.zeros(4)
    for _ in range(4000):
        out_bd = swap_sampled(bd, bd, rng, noise)
        bd_counts[2 * out_bd.bits[0] + out_bd.bits[1]] += 1
        assert out_bd.state == swap(bd, bd, noise)
    assert _chi_square_ok(bd_counts, np.full(4, 0.25))


def test_sampling_is_reproducible_at_a_seed() -> None:
    bd = BellDiagonal.werner(0.85)

    def draws(seed: int) -> list[object]:
        rng = np.random.default_rng(seed)
        return [purify_sampled(bd, bd, "dejmps", rng).outcomes for _ in range(50)] + [
            measure(bd, ("Z", "Z"), rng) for _ in range(50)
        ]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


@settings(max_examples=300)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda w: sum(w) > 0.1),
    st.floats(1e-9, 10.0),
    st.floats(1e-3, 100.0),
    st.floats(0.01, 1.0),
    st.sampled_from([0, 1]),
)
def test_the_unchecked_decoherence_gives_the_checked_numbers_exactly(
    raw: list[float], t_s: float, t1_s: float, t2_fraction: float, half: int
) -> None:
    """The ground truth's hot path (``decohere_half``) must not change any result: equal to
    the last bit to ``decohere`` on one half, for any Bell-diagonal state (not only Werner)
    and any valid memory (T2 <= 2 T1), including no T1 decay."""
    state = BellDiagonal.from_weights([w / sum(raw) for w in raw])
    for t1 in (t1_s, math.inf):
        t2 = t2_fraction * 2.0 * t1_s
        assert decohere_half(state, t_s, t1, t2) == decohere(state, t_s, t1, t2, (half,))


@given(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=8, max_size=8))
def test_compose_written_out_is_the_xor_convolution_to_the_bit(w: list[float]) -> None:
    """``compose`` is written out for speed; it must give the XOR-convolution's numbers
    exactly, summed in the same order (a loop over i, skipping zero weights), or every seeded
    result that swaps would move."""
    from qrna.physics._bell import XOR, compose

    a, b = tuple(w[:4]), tuple(w[4:])
    want = [0.0, 0.0, 0.0, 0.0]
    for i in range(4):
        if a[i]:
            for j in range(4):
                want[XOR[i][j]] += a[i] * b[j]
    assert compose(a, b) == want  # type: ignore[arg-type]
