"""What ``ChainSimulation`` refuses before it runs: layers below that are not one connection
on a stretch of the chain, stretches that cross or coincide, a QNIC serving two links; and
what a run that delivered nothing reports."""

from __future__ import annotations

import math

import pytest

from qrna.hardware import Fibre
from qrna.link import LinkSpec, LinkType
from qrna.rules import ChainSimulation, RuleSet, RuleSetError, chain_rulesets
from tests.rules.conftest import chain

NAMES, SPECS = chain(5)  # n0 - n1 - n2 - n3 - n4
TOP = chain_rulesets("c", NAMES)


def _refused(below: list[dict[str, RuleSet]], specs: list[LinkSpec] = SPECS) -> str:
    with pytest.raises(RuleSetError) as info:
        ChainSimulation(specs, TOP, below=below)
    return str(info.value)


def test_a_layer_below_is_the_rulesets_of_one_connection() -> None:
    x = chain_rulesets("x", ["n1", "n2", "n3"])
    mixed = {**x, "n3": chain_rulesets("y", ["n2", "n3"])["n3"]}
    assert _refused([mixed]) == "below[0]: RuleSets of one connection, not ['x', 'y']"
    assert _refused([x, {}]) == "below[1]: RuleSets of one connection, not []"


def test_a_layer_below_lies_on_the_chain_and_has_two_ends() -> None:
    off = chain_rulesets("x", ["n1", "n2", "zz"])
    assert _refused([off]) == (
        "below[0]: RuleSets for ['n1', 'n2', 'zz'], not a stretch of the chain "
        "['n0', 'n1', 'n2', 'n3', 'n4']"
    )
    one = {"n2": chain_rulesets("x", ["n1", "n2", "n3"])["n2"]}
    assert _refused([one]) == "below[0]: a stretch has two ends or more; got ['n2']"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("x", 1, 4), ("y", 2, 5)),  # x = n1..n3 starts before y = n2..n4 and ends inside it
        (("y", 2, 5), ("x", 1, 4)),  # the same, listed the other way round
        (("x", 1, 4), ("y", 1, 4)),  # two connections on one stretch
        (("x", 1, 4), ("x", 0, 5)),  # one connection twice, nested
    ],
)
def test_stretches_below_neither_cross_nor_coincide(
    first: tuple[str, int, int], second: tuple[str, int, int]
) -> None:
    below = [chain_rulesets(name, NAMES[i:j]) for name, i, j in (first, second)]
    assert _refused(below) == f"stretches of {first[0]!r} and {second[0]!r} cross or coincide"


def test_stretches_that_only_share_a_border_are_two_networks_side_by_side() -> None:
    """n0..n2 and n2..n4 meet at n2 without crossing: accepted, each link made for the
    connection whose stretch holds it."""
    left, right = chain_rulesets("x", NAMES[0:3]), chain_rulesets("y", NAMES[2:5])
    sim = ChainSimulation(SPECS, chain_rulesets("c", ["n0", "n2", "n4"]), below=[left, right])
    assert sim._link_connection == ["x", "x", "y", "y"]


def test_a_qnic_serves_one_link() -> None:
    """The second link leaves n1 from QNIC 0, which already faces n0."""
    clash = LinkSpec(SPECS[1].a, SPECS[1].b, LinkType.MIM, Fibre(5.0), qnic_a=0, qnic_b=0)
    assert _refused([], [SPECS[0], clash, *SPECS[2:]]) == "QNIC 'n1/qnic0' serves two links"


def test_a_run_that_delivers_nothing_has_no_mean_fidelity() -> None:
    """1 µs is shorter than one heralding round trip over 5 km (about 25 µs per direction)."""
    result = ChainSimulation(SPECS, TOP, seed=1).run(1e-6)
    assert (result.pairs, result.delivered) == (0, ())
    assert math.isnan(result.mean_fidelity)
