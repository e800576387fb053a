"""The recurrence plan behind a link's routing cost: its round limit and its refusals."""

from __future__ import annotations

import math

import pytest

from qrna.link import LinkError, purification_plan
from qrna.physics import BellDiagonal, purify


def test_a_plan_stops_at_max_rounds_and_is_then_unreachable() -> None:
    """Werner 0.9 reaches 0.95 in exactly two DEJMPS rounds (its doctest): allowed one round,
    the plan is out of reach, with no rounds and the input state; allowed two, it is the
    two rounds' state and consumption 2·(2/p1)/p2."""
    w = BellDiagonal.werner(0.9)
    short = purification_plan(w, 0.95, max_rounds=1)
    assert (short.rounds, short.state, short.reachable) == (0, w, False)
    assert math.isinf(short.link_pairs)
    p1, s1 = purify(w, w, "dejmps")
    assert s1 is not None
    p2, s2 = purify(s1, s1, "dejmps")
    assert s2 is not None
    enough = purification_plan(w, 0.95, max_rounds=2)
    assert (enough.rounds, enough.state, enough.reachable) == (2, s2, True)
    assert enough.link_pairs == pytest.approx(2 * (2 / p1) / p2, rel=1e-12)


def test_a_state_already_good_enough_needs_no_rounds() -> None:
    w = BellDiagonal.werner(0.9)
    plan = purification_plan(w, 0.9, max_rounds=0)
    assert (plan.rounds, plan.state, plan.link_pairs, plan.reachable) == (0, w, 1.0, True)


@pytest.mark.parametrize("fidelity", [-0.1, 1.5, math.nan])
def test_a_target_fidelity_outside_zero_one_is_refused(fidelity: float) -> None:
    with pytest.raises(LinkError) as info:
        purification_plan(BellDiagonal.werner(0.9), fidelity)
    assert str(info.value) == f"fidelity={fidelity!r} is outside [0, 1]"
