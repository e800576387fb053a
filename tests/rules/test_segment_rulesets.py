"""RuleSets that purify the segments each swap level makes (issue 12, item 1; spec §3.2:
Stages in sequence): their shape, node by node, and the verifier on them — every interleaving
ends with both ends delivering and nothing left over, and one end's missing rounds are caught."""

from __future__ import annotations

import dataclasses

import pytest

from qrna.rules import (
    Promote,
    Purify,
    RuleSetError,
    Swap,
    chain_rulesets,
    segment_levels,
    swap_schedule,
    verify,
)
from qrna.rules._chain import swap_levels

N5 = [f"n{i}" for i in range(5)]
N4 = ["a", "b", "c", "d"]


def _shape(rulesets: dict, node: str) -> list[list[str]]:  # type: ignore[type-arg]
    return [[r.name for r in stage.rules] for stage in rulesets[node].stages]


def test_segment_levels_of_nested_and_sequential_chains() -> None:
    """Levels are the heights of the swapping nodes: on six nested nodes n2 splits (0, 5),
    n1 makes (0, 2) at level 1, n4 makes (3, 5) at level 1 and n3 makes (2, 5) at level 2."""
    assert segment_levels(6, "nested") == {(0, 2): 1, (2, 5): 2, (3, 5): 1}
    assert segment_levels(6, "sequential") == {(0, 2): 1, (0, 3): 2, (0, 4): 3}
    assert segment_levels(3, "nested") == {}  # the one swap makes the whole chain


def test_the_cached_schedule_and_levels_are_handed_out_as_copies() -> None:
    """They are worked out once per chain length and order; a caller changing its copy
    changes nobody else's."""
    mine = segment_levels(6, "nested")
    mine[(0, 2)] = 9
    swaps = swap_schedule(6, "nested")
    swaps.clear()
    levels = swap_levels(6, "nested")
    levels[0] = 99
    assert segment_levels(6, "nested") == {(0, 2): 1, (2, 5): 2, (3, 5): 1}
    assert swap_schedule(6, "nested") == {1: (0, 2), 4: (3, 5), 3: (2, 5), 2: (0, 5)}
    assert swap_levels(6, "nested") == [4, 1, 3, 2, 1, 4]


def test_each_node_purifies_the_segments_it_ends_smallest_first() -> None:
    """Five nested nodes, one round at level 1, one link round: the chain ends and the middle
    node (an end of both level-1 segments) get one segment Stage; the level-1 swappers none."""
    rs = chain_rulesets("c", N5, link_rounds=1, segment_rounds=[1])
    assert _shape(rs, "n0") == [["link0-purify-n1"], ["seg0-purify-n2"], ["deliver"]]
    assert _shape(rs, "n1") == [["link0-purify-n0", "link0-purify-n2"], ["swap"]]
    assert _shape(rs, "n2") == [
        ["link0-purify-n1", "link0-purify-n3"],
        ["seg0-purify-n0", "seg0-purify-n4"],
        ["swap"],
    ]
    assert _shape(rs, "n4") == [["link0-purify-n3"], ["seg0-purify-n2"], ["deliver"]]
    assert rs["n2"].stages[1].rules[0].action == Purify("n0", "dejmps")


def test_a_side_with_fewer_rounds_promotes_its_pair_once_renamed() -> None:
    """Six nested nodes, rounds [1, 2], schemes per level: n2's left segment (0, 2) is level 1
    (one BBPSSW round), its right (2, 5) level 2 (two double-selection rounds); after its
    left round, the left pair is promoted (once its partner is n0) through the right's second
    round to the swap."""
    rs = chain_rulesets(
        "c",
        [f"n{i}" for i in range(6)],
        segment_rounds=[1, 2],
        segment_schemes=["bbpssw", "double_x"],
    )
    assert _shape(rs, "n2") == [
        ["seg0-purify-n0", "seg0-purify-n5"],
        ["seg1-promote-n0", "seg1-purify-n5"],
        ["swap"],
    ]
    stages = rs["n2"].stages
    assert [r.action for r in stages[0].rules] == [
        Purify("n0", "bbpssw"),
        Purify("n5", "double_x"),
    ]
    assert stages[0].rules[1].condition[0].count == 3  # double selection takes three pairs
    assert stages[1].rules[0].action == Promote("n0")
    assert stages[2].rules[0].action == Swap("n0", "n5")
    # n3 swaps (2, 5) and purifies (3, 5), the level-1 segment at its right, once; its link
    # pair with n2 passes that Stage by promotion.
    assert _shape(rs, "n3") == [["seg0-promote-n2", "seg0-purify-n5"], ["swap"]]
    assert _shape(rs, "n5") == [
        ["seg0-purify-n3"],
        ["seg1-purify-n2"],
        ["seg2-purify-n2"],
        ["deliver"],
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"swap_order": "sequential", "segment_rounds": [1]},
        {"swap_order": "sequential", "segment_rounds": [2]},
        {"swap_order": "sequential", "segment_rounds": [1], "link_rounds": 1},
        {"swap_order": "sequential", "segment_rounds": [1], "e2e_rounds": 1},
        {"swap_order": "sequential", "segment_rounds": [1], "segment_schemes": ["double_z"]},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_four_node_segment_purification_passes_every_interleaving(
    options: dict[str, object],
) -> None:
    """Every order of heralds and messages ends with the same pairs delivered at both ends
    and nothing held: the verifier supplies each link the pairs its purifications need,
    level upon level (four on the links of a twice-purified segment, one on the last)."""
    rulesets = chain_rulesets("c1", N4, **options)  # type: ignore[arg-type]
    assert verify(rulesets, chain=N4) == []


def test_five_node_nested_segment_purification_passes_every_interleaving() -> None:
    rulesets = chain_rulesets("c1", N5, segment_rounds=[1])
    assert verify(rulesets, chain=N5, explore=True) == []


def test_one_end_skipping_its_segment_round_is_caught() -> None:
    """a-b-c-d sequential, (a, c) purified once: c without its segment Stage never answers
    a's purification, and a's pairs are left in that Stage."""
    rulesets = chain_rulesets("c1", N4, swap_order="sequential", segment_rounds=[1])
    c = rulesets["c"]
    rulesets["c"] = dataclasses.replace(
        c, stages=tuple(s for s in c.stages if "seg0" not in s.rules[0].name)
    )
    violations = verify(rulesets, chain=N4)
    assert violations
    assert violations[0].kind == "no-receiver"
    assert "'c'" in violations[0].message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"segment_rounds": [1, 1]},
            "segment_rounds=[1, 1] lists 2 swap levels; a nested chain of 5 nodes has 1 "
            "below the top",
        ),
        (
            # No rounds past level 1, but a list for a deeper chain: not this chain's plan.
            {"segment_rounds": [1, 0]},
            "segment_rounds=[1, 0] lists 2 swap levels; a nested chain of 5 nodes has 1 "
            "below the top",
        ),
        ({"segment_rounds": [-1]}, "segment_rounds[0]=-1 is invalid"),
        ({"segment_rounds": [True]}, "segment_rounds[0]=True is invalid"),
        ({"segment_rounds": [1], "segment_schemes": ["x"]}, "scheme 'x' is not one of"),
        (
            {"segment_rounds": [1], "segment_schemes": []},
            "segment_schemes=[] must name one scheme per level of segment_rounds=[1]",
        ),
    ],
)
def test_bad_segment_purification_is_refused_naming_it(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(RuleSetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        chain_rulesets("c", N5, **options)  # type: ignore[arg-type]
