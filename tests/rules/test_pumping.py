"""Entanglement pumping (issue 12, item 1: "entanglement pumping as an alternative to
recurrence"): the RuleSet form (``Purify.pump_from``), its checks, the shapes
``chain_rulesets`` writes, the verifier on them, and what the engine does with them.

Pumping keeps one pair and purifies it again and again with fresh pairs: n rounds deliver
s_n with s_1 = purify(s_0, s_0) and s_(k+1) = purify(s_k, s_0), from n + 1 fresh pairs. The
physics closed forms below use the physics layer's own ``purify`` on link states that are
not Werner states after the first round, so pumping run as recurrence (purify(s_1, s_1))
gives a different number."""

from __future__ import annotations

import dataclasses
import math

import pytest

from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.link import LinkSpec, LinkType, herald_model
from qrna.physics import BellDiagonal, purify
from qrna.rules import (
    ChainSimulation,
    Deliver,
    EnoughResources,
    Purify,
    Rule,
    RuleSet,
    RuleSetDecodeError,
    RuleSetError,
    Stage,
    chain_rulesets,
    ruleset_from_dict,
    ruleset_schema,
    ruleset_to_dict,
    verify,
)

# -- the RuleSet form -------------------------------------------------------------------------


def _pumped(pump_from: int, at: int = 1) -> RuleSet:
    stages = [Stage(()) for _ in range(at)]
    stages.append(Stage((Rule("pump", (), Purify("b", "dejmps", pump_from)),)))
    stages.append(Stage((Rule("deliver", (EnoughResources("b"),), Deliver("b")),)))
    return RuleSet("c", "a", tuple(stages))


def test_a_pump_takes_its_fresh_pairs_from_an_earlier_stage_only() -> None:
    assert _pumped(0).stages[1].rules[0].action == Purify("b", "dejmps", 0)
    for bad in (1, 2):  # its own Stage, a later one
        with pytest.raises(RuleSetError, match=f"pumps from stages\\[{bad}\\]"):
            _pumped(bad)
    for bad in (-1, True, 1.0):
        with pytest.raises(RuleSetError, match="pump_from"):
            Purify("b", "dejmps", bad)  # type: ignore[arg-type]


def test_the_codec_keeps_pump_from_and_leaves_it_out_for_recurrence() -> None:
    rs = _pumped(0, at=2)
    data = ruleset_to_dict(rs)
    assert data["stages"][2]["rules"][0]["action"] == {
        "type": "Purify",
        "partner": "b",
        "scheme": "dejmps",
        "pump_from": 0,
        "twirl": False,
    }
    assert ruleset_from_dict(data) == rs
    plain = chain_rulesets("c", ["a", "b"], link_rounds=1)["a"]
    assert "pump_from" not in ruleset_to_dict(plain)["stages"][0]["rules"][0]["action"]
    for bad in (None, "0", True, 0.5):
        data["stages"][2]["rules"][0]["action"]["pump_from"] = bad
        with pytest.raises(RuleSetDecodeError, match=r"stages\[2\]\.rules\[0\]\.action"):
            ruleset_from_dict(data)
    assert ruleset_schema()["$defs"]["Purify"]["properties"]["pump_from"] == {"type": "integer"}


# -- chain_rulesets -----------------------------------------------------------------------------


def _shape(rulesets: dict[str, RuleSet], node: str) -> list[list[tuple[str, int | None]]]:
    return [
        [(r.name, getattr(r.action, "pump_from", None)) for r in stage.rules]
        for stage in rulesets[node].stages
    ]


def test_link_pumping_waits_in_stage_0_and_pumps_from_it() -> None:
    rs = chain_rulesets("c", ["a", "b"], link_rounds=3, link_pumping=True)
    assert _shape(rs, "a") == [
        [],
        [("link1-pump-b", 0)],
        [("link2-pump-b", 0)],
        [("link3-pump-b", 0)],
        [("deliver", None)],
    ]


def test_one_round_of_pumping_is_one_round_of_recurrence() -> None:
    for kw in ({"link_rounds": 1}, {"e2e_rounds": 1}):
        rounds = dict(kw)
        pumped = {**rounds, "link_pumping": True, "e2e_pumping": True}
        assert chain_rulesets("c", ["a", "b", "c"], **pumped) == chain_rulesets(  # type: ignore[arg-type]
            "c", ["a", "b", "c"], **rounds
        )


def test_end_to_end_pumping_replaces_the_promotion_with_a_wait_stage() -> None:
    rs = chain_rulesets("c", ["a", "b", "c"], e2e_rounds=2, e2e_pumping=True)
    assert _shape(rs, "a") == [[], [("e2e1-pump-c", 0)], [("e2e2-pump-c", 0)], [("deliver", None)]]
    assert _shape(rs, "b") == [[("swap", None)]]


def test_segment_pumping_per_level() -> None:
    """Five nested nodes: the level-1 segments (n0, n2) and (n2, n4) pumped twice; n2 ends
    both, so its two sides pump side by side from their shared wait Stage (after one link
    round)."""
    nodes = [f"n{i}" for i in range(5)]
    rs = chain_rulesets("c", nodes, link_rounds=1, segment_rounds=[2], segment_pumping=[True])
    assert _shape(rs, "n0")[1:4] == [[], [("seg1-pump-n2", 1)], [("seg2-pump-n2", 1)]]
    assert _shape(rs, "n2")[1:4] == [
        [],
        [("seg1-pump-n0", 1), ("seg1-pump-n4", 1)],
        [("seg2-pump-n0", 1), ("seg2-pump-n4", 1)],
    ]
    with pytest.raises(RuleSetError, match="segment_pumping"):
        chain_rulesets("c", nodes, segment_rounds=[2], segment_pumping=[True, False])
    with pytest.raises(RuleSetError, match="link_pumping"):
        chain_rulesets("c", nodes, link_pumping=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nodes", "kw"),
    [
        (2, {"link_rounds": 3, "link_pumping": True}),
        (3, {"link_rounds": 2, "link_pumping": True}),
        (3, {"e2e_rounds": 3, "e2e_pumping": True}),
        (2, {"link_rounds": 2, "link_pumping": True, "e2e_rounds": 2, "e2e_pumping": True}),
        (3, {"link_rounds": 1, "e2e_rounds": 2, "e2e_pumping": True}),
    ],
)
def test_every_interleaving_of_a_pumped_chain_delivers_and_leaves_nothing(
    nodes: int, kw: dict[str, object]
) -> None:
    """The verifier supplies each link the 1 + n pairs per pumped level (times the levels
    above), and runs every order of heralds and messages: a second chain started while one
    is under way would strand pairs (a leftover), as would a wake missed."""
    assert verify(chain_rulesets("c", ["a", "b", "c", "d"][:nodes], **kw)) == []  # type: ignore[arg-type]


def test_the_verifier_catches_one_end_pumping_and_the_other_recurring() -> None:
    pumped = chain_rulesets("c", ["a", "b"], link_rounds=2, link_pumping=True)
    plain = chain_rulesets("c", ["a", "b"], link_rounds=2)
    found = verify({"a": pumped["a"], "b": plain["b"]})
    # Each of a's two pumps, and each of b's two recurrence rounds, has no counterpart.
    assert sorted((v.kind, v.node) for v in found) == [
        ("no-receiver", "a"),
        ("no-receiver", "a"),
        ("no-receiver", "b"),
        ("no-receiver", "b"),
    ]
    assert all("(pumping)" in v.message for v in found if v.node == "a")
    assert all("(recurrence)" in v.message for v in found if v.node == "b")


def test_a_wait_stage_no_pump_takes_from_has_no_exit() -> None:
    """The wait Stage's exit is the pump that consumes its pairs: with the pumps gone, the
    Stage holds its pairs forever."""
    rs = chain_rulesets("c", ["a", "b"], link_rounds=2, link_pumping=True)
    assert verify(rs) == []
    broken = {n: dataclasses.replace(r, stages=(r.stages[0], r.stages[-1])) for n, r in rs.items()}
    exits = [v for v in verify(broken) if v.kind == "no-exit"]
    assert sorted(v.node for v in exits) == ["a", "b"]
    assert all("Stage 0 has no rule" in v.message for v in exits)


# -- the engine, with the physics ---------------------------------------------------------------


def _link(
    emission: float, backend: str, rulesets: dict[str, RuleSet]
) -> tuple[ChainSimulation, LinkSpec]:
    a = Node("a", NodeType.COMP, (QNIC(6, emission_fidelity=emission),))
    b = Node("b", NodeType.COMP, (QNIC(6, emission_fidelity=emission),))
    spec = LinkSpec(a, b, LinkType.MIM, Fibre(2.0))
    return ChainSimulation([spec], rulesets, seed=5, backend=backend), spec


def _pump_closed_form(s0: BellDiagonal, rounds: int) -> tuple[float, float]:
    """(fidelity, link pairs per delivered pair) of ``rounds`` pumping rounds of DEJMPS:
    a chain succeeds with the product of its rounds' success probabilities and uses the
    seed's two pairs plus one per further round it reaches."""
    state, reach, pairs, success = s0, 1.0, 0.0, 1.0
    for k in range(rounds):
        p, kept = purify(state, s0, "dejmps")
        assert kept is not None
        pairs += reach * (2 if k == 0 else 1)
        reach *= p
        state = kept
        success *= p
    return state.fidelity, pairs / success


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
@pytest.mark.parametrize("rounds", [2, 3])
def test_pumped_link_pairs_have_the_pumping_closed_form(backend: str, rounds: int) -> None:
    """Memories that do not decohere, perfect gates: every delivered pair is s_n exactly,
    which differs from recurrence's; the link pairs used per delivered pair match the closed
    form's (n + 1 per chain, chains lost with each round's failure) within 4 standard errors
    of the number of chains."""
    rs = chain_rulesets("c", ["a", "b"], link_rounds=rounds, link_pumping=True)
    sim, spec = _link(0.9, backend, rs)
    s0 = herald_model(spec).state
    result = sim.run(0.02)
    want, per_pair = _pump_closed_form(s0, rounds)
    recurrence = s0
    for _ in range(rounds):
        recurrence = purify(recurrence, recurrence, "dejmps")[1]  # type: ignore[assignment]
    assert abs(want - recurrence.fidelity) > 0.01  # the two protocols tell apart
    assert result.pairs >= 100
    for d in result.delivered:
        assert d.fidelity == pytest.approx(want, abs=1e-9)
    # Link pairs consumed: those heralded, less those still held (at most 6 per end).
    used = result.link_pairs / result.pairs
    sigma = per_pair / math.sqrt(result.pairs)
    assert abs(used - per_pair) < 4 * sigma + 6 / result.pairs
