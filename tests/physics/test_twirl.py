"""Twirling before purification (issue 12, item 4): ``purify(..., twirl=True)`` turns each input
pair into the Werner state of its fidelity before the circuit, BBPSSW's original protocol.

Closed forms (physics.md, BBPSSW): with g = (1 − F)/3, p = F² + 2Fg + 5g² and
F' = (F² + g²)/p. Twirled inputs make DEJMPS and single selection X give the same numbers (on
Werner inputs their bilateral rotations leave the state alone, and the CNOT algebra is
BBPSSW's), whatever the inputs' Bell-diagonal weights; untwirled they do not. Both backends
agree on twirled inputs, with and without gate noise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.physics import (
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    bell_diagonal_records,
    purification_outcomes,
    purify,
)

WEIGHTS = (0.8, 0.1, 0.06, 0.04)  # F = 0.8, not Werner


def _werner_recurrence(f: float) -> tuple[float, float]:
    g = (1 - f) / 3
    p = f * f + 2 * f * g + 5 * g * g
    return p, (f * f + g * g) / p


def test_the_textbook_numbers_at_f_0_8() -> None:
    p, f = _werner_recurrence(0.8)
    assert (round(p, 10), round(f, 10)) == (0.7688888889, 0.838150289)


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
@pytest.mark.parametrize("scheme", ["bbpssw", "dejmps", "single_x"])
def test_twirled_inputs_follow_the_werner_recurrence(scheme: str, backend: str) -> None:
    bd = BellDiagonal(*WEIGHTS)
    state = bd if backend == "bell_diagonal" else DensityMatrix.from_bell_diagonal(bd)
    p, kept = purify(state, state, scheme, twirl=True)  # type: ignore[type-var]
    want_p, want_f = _werner_recurrence(0.8)
    assert kept is not None
    assert p == pytest.approx(want_p, abs=1e-12)
    assert kept.fidelity == pytest.approx(want_f, abs=1e-12)


def test_without_the_twirl_only_bbpssw_follows_it() -> None:
    """BBPSSW twirls anyway; DEJMPS keeps the weights' structure: its first round gives
    (A² + B²)/N = 0.7927 here, not the recurrence's 0.8382 (its second round gains more)."""
    bd = BellDiagonal(*WEIGHTS)
    _, want_f = _werner_recurrence(0.8)
    _, bbpssw = purify(bd, bd, "bbpssw")
    _, dejmps = purify(bd, bd, "dejmps")
    assert bbpssw is not None
    assert dejmps is not None
    assert bbpssw.fidelity == pytest.approx(want_f, abs=1e-12)
    a, b, c, d = WEIGHTS
    assert dejmps.fidelity == pytest.approx((a * a + b * b) / ((a + b) ** 2 + (c + d) ** 2))
    assert dejmps.fidelity == pytest.approx(0.7926829268, abs=1e-10)


_weights = st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4).map(
    lambda w: tuple(x / sum(w) for x in w)
)
_noise = st.builds(
    GateNoise,
    cnot_error=st.sampled_from([0.0, 0.02]),
    single_qubit_error=st.sampled_from([0.0, 0.01]),
    readout_error=st.sampled_from([0.0, 0.01]),
)


@settings(max_examples=30, deadline=None)
@given(
    keep=_weights,
    sacrifice=_weights,
    scheme=st.sampled_from(["bbpssw", "dejmps", "single_x", "single_z", "double_x"]),
    noise=_noise,
)
def test_both_backends_agree_on_twirled_inputs(
    keep: tuple[float, ...], sacrifice: tuple[float, ...], scheme: str, noise: GateNoise
) -> None:
    """Random Bell-diagonal weights: the twirled purification's success probability and kept
    state agree between backends, the outcome table sums to ``purify``'s numbers, and the
    result depends on the inputs only through their fidelities."""
    k, s = BellDiagonal.from_weights(list(keep)), BellDiagonal.from_weights(list(sacrifice))
    sac_bd = s if scheme != "double_x" else (s, s)
    k_dm, s_dm = DensityMatrix.from_bell_diagonal(k), DensityMatrix.from_bell_diagonal(s)
    sac_dm = s_dm if scheme != "double_x" else (s_dm, s_dm)
    p_bd, out_bd = purify(k, sac_bd, scheme, noise, twirl=True)  # type: ignore[arg-type]
    p_dm, out_dm = purify(k_dm, sac_dm, scheme, noise, twirl=True)  # type: ignore[arg-type]
    assert p_dm == pytest.approx(p_bd, abs=1e-10)
    assert (out_bd is None) == (out_dm is None)
    if out_bd is not None and out_dm is not None:
        assert out_dm.bell_weights() == pytest.approx(out_bd.as_tuple(), abs=1e-10)
    werner = BellDiagonal.werner(k.fidelity), BellDiagonal.werner(s.fidelity)
    sac_w = werner[1] if scheme != "double_x" else (werner[1], werner[1])
    p_w, out_w = purify(werner[0], sac_w, scheme, noise)  # type: ignore[arg-type]
    assert p_bd == pytest.approx(p_w, abs=1e-12)
    records, kept = bell_diagonal_records(k, sac_bd, scheme, noise, twirl=True)  # type: ignore[arg-type]
    assert records[0] == pytest.approx(p_bd, abs=1e-12)
    table = purification_outcomes(k_dm, sac_dm, scheme, noise, twirl=True)  # type: ignore[arg-type]
    coincident = sum(p for (a, b), (p, _) in table.items() if a == b)
    assert coincident == pytest.approx(p_bd, abs=1e-10)
    if out_w is not None and kept is not None:
        assert kept.as_tuple() == pytest.approx(out_w.as_tuple(), abs=1e-12)
