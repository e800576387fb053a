"""The ``Increment`` action: a rule adds ``by`` to a Stage variable each time it fires, and a
``VariableBelow`` clause reads it, so a variable can open or close a rule (spec §3.2: Stage-local
variables)."""

from __future__ import annotations

import pytest

from qrna.link import PairName
from qrna.rules import (
    Deliver,
    EnoughResources,
    Increment,
    Measure,
    MeasurementDone,
    PairDelivered,
    Rule,
    RuleEngine,
    RuleSet,
    Stage,
    VariableBelow,
)
from tests.rules.test_mutants_rules import _Hardware


def _delivered(by: int, limit: int, start: int = 0) -> list[PairDelivered]:
    """One pair enters a Stage whose first rule, while ``opened`` < 1, adds ``by`` to it
    (so it fires once, or never if ``start`` ≥ 1), and whose second delivers a pair while
    ``opened`` < ``limit``."""
    engine = RuleEngine("a", _Hardware())  # type: ignore[arg-type]
    opener = Rule("open", (VariableBelow("opened", 1),), Increment("opened", by))
    deliver = Rule("deliver", (EnoughResources("b"), VariableBelow("opened", limit)), Deliver("b"))
    engine.install(RuleSet("c1", "a", (Stage((opener, deliver), {"opened": start}),)))
    effects = engine.assign("c1", PairName("ab", 10), ("a/q", 0), "b", 10, fidelity=0.9)
    return [e for e in effects if isinstance(e, PairDelivered)]


@pytest.mark.parametrize(
    ("by", "limit", "start", "delivered"),
    [
        (4, 5, 0, 1),  # 0 + 4 < 5: open
        (5, 5, 0, 0),  # 0 + 5 = 5: closed
        (1, 2, 0, 1),  # fires once (1 is no longer below 1): 1 < 2
        (1, 1, 0, 0),  # ... and 1 is not below 1
        (3, 2, 1, 1),  # starts at 1: never fires, 1 < 2
    ],
)
def test_increment_adds_its_step_once_per_firing(
    by: int, limit: int, start: int, delivered: int
) -> None:
    assert len(_delivered(by, limit, start)) == delivered


def _outcomes(rules: tuple[Rule, ...], variables: dict[str, int], pairs: int) -> list[str]:
    """Assign ``pairs`` pairs with b, one after another, to a one-Stage RuleSet: what each
    became ("measured" or "delivered"), in order."""
    engine = RuleEngine("a", _Hardware())  # type: ignore[arg-type]
    engine.install(RuleSet("c1", "a", (Stage(rules, variables),)))
    out = []
    for t in range(1, pairs + 1):
        for e in engine.assign("c1", PairName("ab", t), ("a/q", t), "b", t, fidelity=0.9):
            if isinstance(e, MeasurementDone):
                out.append("measured")
            elif isinstance(e, PairDelivered):
                out.append("delivered")
    return out


def test_an_undeclared_counter_counts_from_zero_and_adds_up() -> None:
    """Tomography of the first two pairs, then delivery: the Measure's counter, declared
    nowhere, starts at 0 and grows by one per measurement (2 after two, closing the rule)."""
    tomo = Rule("tomo", (EnoughResources("b"), VariableBelow("measured", 2)), Measure("b", "Z"))
    deliver = Rule("deliver", (EnoughResources("b"),), Deliver("b"))
    assert _outcomes((tomo, deliver), {}, 4) == ["measured", "measured", "delivered", "delivered"]


def test_lowering_a_variable_reopens_the_rule_it_closed() -> None:
    """``deliver`` is closed while gate ≥ 1 and is tried first; ``lower`` then takes gate from
    1 to 0, which wakes ``deliver``: it delivers the pair in the next pass, and ``lower``,
    needing that pair, stops (were ``deliver`` not woken, ``lower`` would fire for ever)."""
    deliver = Rule("deliver", (EnoughResources("b"), VariableBelow("gate", 1)), Deliver("b"))
    lower = Rule("lower", (EnoughResources("b"), VariableBelow("gate", 2)), Increment("gate", -1))
    assert _outcomes((deliver, lower), {"gate": 1}, 1) == ["delivered"]
