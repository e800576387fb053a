"""The Bell-diagonal purification's hot path gives the numbers of its reference forms exactly:
``_bd_joint``'s one dot product equals ``np.tensordot`` with the transfer tensor, and
``bell_diagonal_records`` equals ``purification_outcomes`` outcome by outcome (probability
``records[r] / 2**m`` for every (a, a ^ r), the kept state on coincidence) and ``purify``
(which shares none of its code past the joint), for every scheme, asymmetric gate and readout
noise, and states that are not Werner."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.physics import (
    SCHEMES,
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    PhysicsError,
    bell_diagonal_records,
    purification_outcomes,
    purify,
)
from qrna.physics._frame import transfer_tensor
from qrna.physics._purify import _bd_joint

_states = st.lists(st.floats(0.001, 1.0), min_size=4, max_size=4).map(
    lambda w: BellDiagonal.from_weights([x / sum(w) for x in w])
)
_noise = st.builds(
    GateNoise,
    cnot_error=st.sampled_from([0.0, 0.013, 0.05]),
    single_qubit_error=st.sampled_from([0.0, 0.007]),
    readout_error=st.sampled_from([0.0, 0.02]),
)


# Every scheme, three non-Werner states (the scheme takes the first 2 or 3), either node's noise;
# no deadline: the first example builds and caches the transfer tensor.
def _any_round(test: Callable[..., None]) -> Callable[..., None]:
    return settings(deadline=None)(
        given(
            scheme=st.sampled_from(sorted(SCHEMES)),
            states=st.lists(_states, min_size=3, max_size=3),
            na=_noise,
            nb=_noise,
        )(test)
    )


@_any_round
def test_joint_is_tensordot_exactly(
    scheme: str, states: list[BellDiagonal], na: GateNoise, nb: GateNoise
) -> None:
    spec = SCHEMES[scheme]
    pairs = states[: spec.pairs]
    weights = np.array(pairs[0].as_tuple())
    for p in pairs[1:]:
        weights = np.multiply.outer(weights, np.array(p.as_tuple())).ravel()
    reference = np.tensordot(weights, transfer_tensor(scheme, (na, nb)), axes=1)
    assert np.array_equal(_bd_joint(pairs, spec, (na, nb)), reference)


@_any_round
def test_records_are_the_outcome_table(
    scheme: str, states: list[BellDiagonal], na: GateNoise, nb: GateNoise
) -> None:
    spec = SCHEMES[scheme]
    keep, *rest = states[: spec.pairs]
    sacrifice = rest[0] if len(rest) == 1 else tuple(rest)
    records, kept = bell_diagonal_records(keep, sacrifice, scheme, (na, nb))
    table = purification_outcomes(keep, sacrifice, scheme, (na, nb))
    m = len(spec.measured)
    assert len(records) == 2**m
    assert len(table) == 4**m
    assert sum(records) == pytest.approx(1.0, abs=1e-12)
    for (a, b), (p, state) in table.items():
        r = sum((x ^ y) << j for j, (x, y) in enumerate(zip(a, b, strict=True)))
        assert p == records[r] / 2**m  # the same float, not a close one
        assert state == (kept if r == 0 else None)
    assert kept is not None
    assert kept.fidelity > 0
    # purify's own arithmetic (it builds no table): the same success probability and kept
    # state, to the last bit (the table above shares bell_diagonal_records' code).
    assert purify(keep, sacrifice, scheme, (na, nb)) == (records[0], kept)


def test_records_against_closed_form_bbpssw() -> None:
    """BBPSSW on Werner F = 0.8 (physics.md): success 0.76888..., kept F 0.83815..."""
    w = BellDiagonal.werner(0.8)
    records, kept = bell_diagonal_records(w, w, "bbpssw")
    assert records[0] == pytest.approx(0.7688888889, abs=1e-10)
    assert records[1] == pytest.approx(1 - 0.7688888889, abs=1e-10)
    assert kept is not None
    assert kept.fidelity == pytest.approx(0.838150289, abs=1e-9)


def test_records_refuse_density_matrices_and_wrong_counts() -> None:
    dm = DensityMatrix.werner(0.9)
    with pytest.raises(PhysicsError, match=r"takes BellDiagonal pairs"):
        bell_diagonal_records(dm, dm, "dejmps")  # type: ignore[arg-type]
    w = BellDiagonal.werner(0.9)
    with pytest.raises(PhysicsError, match=r"sacrifices 2 pair\(s\); got 1"):
        bell_diagonal_records(w, w, "double_x")
