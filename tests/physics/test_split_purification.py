"""Per-node gate noise and the full outcome table used when the two nodes of a purification
act at different times."""

from __future__ import annotations

import pytest

from qrna.physics import (
    SCHEMES,
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    PhysicsError,
    purification_outcomes,
    purify,
)
from tests.physics.conftest import weights

NA = GateNoise(cnot_error=0.03, single_qubit_error=0.01, readout_error=0.02)
NB = GateNoise(cnot_error=0.005, single_qubit_error=0.0, readout_error=0.08)
PAIRS = [
    BellDiagonal(0.8, 0.05, 0.1, 0.05),
    BellDiagonal(0.75, 0.1, 0.1, 0.05),
    BellDiagonal(0.9, 0.02, 0.03, 0.05),
]


def _args(scheme: str, dm: bool) -> tuple[object, object]:
    states = [DensityMatrix.from_bell_diagonal(p) if dm else p for p in PAIRS]
    sac = (states[1], states[2]) if SCHEMES[scheme].pairs == 3 else states[1]
    return states[0], sac


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_per_node_noise_agrees_across_backends(scheme: str) -> None:
    keep_bd, sac_bd = _args(scheme, dm=False)
    keep_dm, sac_dm = _args(scheme, dm=True)
    p_bd, out_bd = purify(keep_bd, sac_bd, scheme, (NA, NB))  # type: ignore[arg-type]
    p_dm, out_dm = purify(keep_dm, sac_dm, scheme, (NA, NB))  # type: ignore[arg-type]
    assert p_dm == pytest.approx(p_bd, abs=1e-9)
    assert out_bd is not None
    assert out_dm is not None
    assert weights(out_dm) == pytest.approx(weights(out_bd), abs=1e-9)


def test_equal_sides_equal_one_noise_and_sides_matter() -> None:
    keep, sac = _args("dejmps", dm=False)
    assert purify(keep, sac, "dejmps", (NA, NA)) == purify(keep, sac, "dejmps", NA)  # type: ignore[arg-type]
    assert purify(keep, sac, "dejmps", (NA, NB))[0] != purify(keep, sac, "dejmps", NA)[0]  # type: ignore[arg-type]
    with pytest.raises(PhysicsError, match="is not a GateNoise or a pair"):
        purify(keep, sac, "dejmps", (NA,))  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", ["bbpssw", "dejmps", "single_z", "double_x"])
@pytest.mark.parametrize("dm", [False, True])
def test_outcome_table_matches_purify(scheme: str, dm: bool) -> None:
    keep, sac = _args(scheme, dm)
    table = purification_outcomes(keep, sac, scheme, (NA, NB))  # type: ignore[arg-type]
    assert sum(p for p, _ in table.values()) == pytest.approx(1.0, abs=1e-9)
    p_succ, kept = purify(keep, sac, scheme, (NA, NB))  # type: ignore[arg-type]
    success = {k: v for k, v in table.items() if k[0] == k[1]}
    assert sum(p for p, _ in success.values()) == pytest.approx(p_succ, abs=1e-9)
    assert kept is not None
    for (a, b), (p, state) in table.items():
        assert (state is not None) == (a == b and p > 1e-15)
        if state is not None:
            assert weights(state) == pytest.approx(weights(kept), abs=1e-9)


def test_outcome_tables_agree_across_backends_for_bell_diagonal_inputs() -> None:
    keep_bd, sac_bd = _args("dejmps", dm=False)
    keep_dm, sac_dm = _args("dejmps", dm=True)
    bd = purification_outcomes(keep_bd, sac_bd, "dejmps", (NA, NB))  # type: ignore[arg-type]
    dm = purification_outcomes(keep_dm, sac_dm, "dejmps", (NA, NB))  # type: ignore[arg-type]
    assert bd.keys() == dm.keys()
    for key in bd:
        assert dm[key][0] == pytest.approx(bd[key][0], abs=1e-9)
