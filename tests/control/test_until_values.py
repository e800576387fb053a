"""``Until``, the plan a PlanRequest's working fidelity stands for, checks itself as every
frozen value does: each bad field refused by name with its value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from qrna.control import ControlError
from qrna.control._until import Until

SCHEMES = "['bbpssw', 'dejmps', 'double_x', 'double_z', 'single_x', 'single_z']"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"until": 0.5}, "Until.until=0.5 must be a number in (0.5, 1)"),
        ({"until": 1.0}, "Until.until=1.0 must be a number in (0.5, 1)"),
        ({"until": True}, "Until.until=True must be a number in (0.5, 1)"),
        ({"link_scheme": "x"}, f"Until: scheme 'x' is not one of {SCHEMES}"),
        ({"e2e_scheme": "x"}, f"Until: scheme 'x' is not one of {SCHEMES}"),
        ({"segment_schemes": ("dejmps", "y")}, f"Until: scheme 'y' is not one of {SCHEMES}"),
        ({"swap_order": "z"}, "Until.swap_order='z'; expected ('nested', 'sequential')"),
        ({"max_rounds": -1}, "Until.max_rounds=-1 must be an integer >= 0"),
        ({"max_rounds": 1.0}, "Until.max_rounds=1.0 must be an integer >= 0"),
        ({"max_e2e_rounds": True}, "Until.max_e2e_rounds=True must be an integer >= 0"),
    ],
)
def test_until_refuses_a_bad_field_by_name(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ControlError) as info:
        Until(**{"until": 0.9, **fields})
    assert str(info.value) == message


def test_until_accepts_the_edges_of_its_ranges() -> None:
    u = Until(0.5000001, max_rounds=0, max_e2e_rounds=0)
    assert (u.until, u.max_rounds, u.max_e2e_rounds) == (0.5000001, 0, 0)


def test_a_level_past_the_lists_purifies_by_dejmps_recurrence() -> None:
    u = Until(0.9, segment_schemes=("bbpssw",), segment_pumping=(False, True))
    assert [u.segment(level) for level in (1, 2, 3)] == [
        ("bbpssw", False),
        ("dejmps", True),
        ("dejmps", False),
    ]
