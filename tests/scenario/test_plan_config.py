"""``traffic[].plan`` and ``traffic[].best_effort`` from a scenario file: the forced plan runs
(and its estimate is what the pairs show), best effort takes the nearest plan and the summary
says so, and a plan that changes nothing changes no number of the run."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from qrna.control import Accepted, Rejected, default_generator
from qrna.control._messages import ConnectionSetupRequest
from qrna.scenario import Scenario, load_scenario, run

BASE: dict[str, Any] = {
    "name": "plans",
    "qnic": {"memories": 8, "t2_s": 1.0},
    "nodes": [
        {"name": "a", "type": "COMP"},
        {"name": "b", "type": "REP1"},
        {"name": "c", "type": "COMP"},
    ],
    "links": [
        {"a": "a", "b": "b", "length_km": 5, "emission_fidelity": 0.97},
        {"a": "b", "b": "c", "length_km": 5, "emission_fidelity": 0.97},
    ],
    "traffic": [
        {
            "initiator": "a",
            "responder": "c",
            "pairs": 10,
            "fidelity": 0.8,
            "app": "qkd",
            "plan": {
                "link_scheme": "bbpssw",
                "link_rounds": 1,
                "swap_order": "sequential",
                "e2e_scheme": "dejmps",
                "e2e_rounds": 1,
            },
        },
        {"initiator": "a", "responder": "c", "pairs": 5, "fidelity": 1.0, "best_effort": True},
    ],
    "simulation": {"duration_s": 0.05, "seed": 3},
}


def test_a_forced_plan_and_best_effort_from_a_scenario_file(tmp_path: Path) -> None:
    """The QKD connection runs BBPSSW once per link and DEJMPS once end to end, though the
    generator alone would not purify for 0.8; its pairs' fidelity is the estimate's within
    0.005. The second asks for fidelity 1: best effort takes the nearest plan, done, and the
    summary says which and why (estimate below 1, true fidelity within 0.005 of it)."""
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(BASE))
    forced, nearest = run(load_scenario(path)).summary["connections"]
    assert forced["plan"]["link_purification"] == "1 x bbpssw"
    assert forced["plan"]["swap_order"] == "sequential"
    assert forced["plan"]["e2e_purification"] == "1 x dejmps"
    assert (forced["status"], forced["pairs_delivered"], forced["detail"]) == ("done", 10, "")
    assert forced["plan"]["best_effort"] is False
    assert forced["fidelity_mean"] == pytest.approx(forced["plan"]["estimated_fidelity"], abs=5e-3)
    assert nearest["status"] == "done"
    assert nearest["plan"]["best_effort"] is True
    estimate = nearest["plan"]["estimated_fidelity"]
    assert 0.99 < estimate < 1.0
    assert nearest["detail"] == (
        f"best effort: no plan reaches 1; the nearest, taken, is estimated at {estimate:.4f}"
    )
    assert nearest["fidelity_mean"] == pytest.approx(estimate, abs=5e-3)


def test_a_plan_that_fixes_the_generator_s_own_choice_changes_nothing() -> None:
    """The QKD connection without a plan, and with a plan naming what the generator chooses
    anyway: the same summary, pair for pair."""
    free = copy.deepcopy(BASE)
    del free["traffic"][0]["plan"]
    free["traffic"] = free["traffic"][:1]
    first = run(Scenario.model_validate(free)).summary
    plan = first["connections"][0]["plan"]
    rounds, scheme = plan["link_purification"].split(" x ")
    e2e_rounds, e2e_scheme = plan["e2e_purification"].split(" x ")
    fixed = copy.deepcopy(free)
    fixed["traffic"][0]["plan"] = {
        "link_scheme": scheme,
        "link_rounds": int(rounds),
        "swap_order": plan["swap_order"],
        "e2e_scheme": e2e_scheme,
        "e2e_rounds": int(e2e_rounds),
    }
    second = run(Scenario.model_validate(fixed)).summary
    for s in (first, second):
        s.pop("wall_time_s")
    assert second == first


def test_a_plan_that_purifies_with_a_meas_end_is_refused_for_that_reason() -> None:
    """A MEAS end measures its halves on arrival and holds none to purify with: a plan that
    forces a purification round is refused once (retrying cannot help) saying so, best effort
    or not, rather than as a memory shortage with 2 memories per QNIC, enough for one round."""
    data = copy.deepcopy(BASE)
    data["nodes"][0]["type"] = "MEAS"
    data["links"][0] = {"a": "b", "b": "a", "type": "MM", "length_km": 5}
    data["traffic"] = [
        {
            "initiator": "a",
            "responder": "c",
            "pairs": 5,
            "fidelity": 0.5,
            "memories": 2,
            "plan": {"link_rounds": 1},
        },
        {
            "initiator": "a",
            "responder": "c",
            "pairs": 5,
            "fidelity": 0.5,
            "memories": 2,
            "plan": {"e2e_rounds": 2},
            "best_effort": True,
        },
        {
            "initiator": "a",
            "responder": "c",
            "pairs": 5,
            "fidelity": 0.5,
            "memories": 2,
            "plan": {"link_rounds": 0, "e2e_rounds": 0},
        },
    ]
    link, e2e, plain = run(Scenario.model_validate(data)).summary["connections"]
    for c, rounds in ((link, "link_rounds=1"), (e2e, "e2e_rounds=2")):
        assert (c["status"], c["attempts"], c["pairs_delivered"]) == ("failed", 1, 0)
        assert c["detail"] == (
            f"fidelity_unreachable: the request's plan purifies ({rounds}), but a is a MEAS "
            "node: it measures its halves on arrival and holds none to purify with"
        )
    assert (plain["status"], plain["pairs_delivered"], plain["detail"]) == ("done", 5, "")


def test_best_effort_under_a_plan_says_the_plan_not_every_plan_misses() -> None:
    """No purification forced, target 0.97, best effort: the forced plan misses (estimate
    0.887) and is taken. Beside it, on the same path, the generator's own choice reaches 0.99:
    so the detail must not say that no plan reaches 0.97, only none the request allows."""
    data = copy.deepcopy(BASE)
    data["traffic"] = [
        {
            "initiator": "a",
            "responder": "c",
            "pairs": 10,
            "fidelity": 0.97,
            "memories": 4,
            "best_effort": True,
            "plan": {"link_rounds": 0, "e2e_rounds": 0},
        },
        {"initiator": "a", "responder": "c", "pairs": 10, "fidelity": 0.97, "memories": 4},
    ]
    forced, free = run(Scenario.model_validate(data)).summary["connections"]
    assert (free["status"], free["detail"], free["plan"]["best_effort"]) == ("done", "", False)
    assert free["fidelity_ci"][0] > 0.97
    assert (forced["status"], forced["plan"]["best_effort"]) == ("done", True)
    estimate = forced["plan"]["estimated_fidelity"]
    assert 0.88 < estimate < 0.89
    assert forced["detail"] == (
        "best effort: no plan the request allows reaches 0.97; the nearest, taken, is "
        f"estimated at {estimate:.4f}"
    )


@pytest.mark.parametrize(
    ("plan", "match"),
    [
        ({"segment_rounds": [1], "segment_schemes": ["dejmps", "bbpssw"]}, "segment_schemes has 2"),
        ({"segment_schemes": ["dejmps"]}, "segment_schemes has 1 entries; give segment_rounds"),
        ({"segment_rounds": [6]}, "less than or equal to 5"),
        ({"segment_rounds": [1], "segment_schemes": ["dejmp"]}, "segment_schemes.0"),
    ],
)
def test_a_bad_segment_plan_in_a_scenario_is_refused_naming_it(
    plan: dict[str, Any], match: str
) -> None:
    data = copy.deepcopy(BASE)
    data["traffic"][0]["plan"] = plan
    with pytest.raises(ValueError, match=match):
        Scenario.model_validate(data)


def test_a_segment_plan_from_a_scenario_file_reaches_the_generator(tmp_path: Path) -> None:
    """Written in YAML-compatible JSON as a user would, on a 3-node path: no level lies below
    the top there, so levels of 0 rounds are accepted and the summary lists none."""
    data = copy.deepcopy(BASE)
    data["traffic"] = [
        {
            "initiator": "a",
            "responder": "c",
            "pairs": 5,
            "fidelity": 0.5,
            "plan": {"segment_rounds": [0], "segment_schemes": ["double_z"]},
        }
    ]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    (c,) = run(load_scenario(path)).summary["connections"]
    assert (c["status"], c["plan"]["segment_purification"]) == ("done", [])


def test_objective_and_discard_timer_from_a_scenario_reach_the_generator() -> None:
    """objective fidelity takes a more faithful plan than the default at the same target, and
    a forced discard timer is the plan's; a bad objective is refused naming it."""
    data = copy.deepcopy(BASE)
    data["traffic"] = [{"initiator": "a", "responder": "c", "pairs": 5, "fidelity": 0.5}]
    (fast,) = run(Scenario.model_validate(data)).summary["connections"]
    data["traffic"][0]["plan"] = {"objective": "fidelity", "discard_after_s": 0.02}
    (faithful,) = run(Scenario.model_validate(data)).summary["connections"]
    assert faithful["status"] == fast["status"] == "done"
    assert faithful["plan"]["estimated_fidelity"] > fast["plan"]["estimated_fidelity"] + 0.01
    assert faithful["fidelity_mean"] > fast["fidelity_mean"]
    assert faithful["plan"]["discard_after_s"] == 0.02
    data["traffic"][0]["plan"] = {"objective": "cost"}
    with pytest.raises(ValueError, match="objective"):
        Scenario.model_validate(data)


def boasting(request: ConnectionSetupRequest) -> Accepted | Rejected:
    """A plugin generator that plans without purification whatever the target and claims
    the target plus 0.01 as its estimate (for the summary's shortfall check)."""
    answer = default_generator(dataclasses.replace(request, fidelity=0.55))
    if isinstance(answer, Rejected):
        return answer
    plan = dataclasses.replace(answer.plan, fidelity=request.fidelity + 0.01)
    return Accepted(answer.rulesets, plan, answer.memories)


def test_pairs_whose_interval_lies_under_the_target_are_said_so() -> None:
    """A generator's estimate is a claim, not a delivery: where the pairs' 95 % interval
    lies under the target, the connection is done (its pairs came) and its summary says
    they fell short, with their mean, interval and the plan's estimate; where the
    interval reaches the target, nothing is said."""
    data = copy.deepcopy(BASE)
    data["traffic"] = [
        {"initiator": "a", "responder": "c", "pairs": 30, "fidelity": 0.97, "memories": 4},
        {"initiator": "a", "responder": "c", "pairs": 30, "fidelity": 0.6, "memories": 4},
    ]
    data["simulation"]["generator"] = f"{__name__}:boasting"
    short, met = run(Scenario.model_validate(data), allow_plugins=True).summary["connections"]
    for c in (short, met):
        assert (c["status"], c["pairs_delivered"]) == ("done", 30)
    lo, hi = short["fidelity_ci"]
    assert 0.8 < lo < hi < 0.96  # raw links swapped once: far under 0.97
    assert short["detail"] == (
        f"the pairs fell short of the target: mean F {short['fidelity_mean']:.4f} (95 % "
        f"interval {lo:.4f}-{hi:.4f}) against 0.97; the plan estimated 0.9800"
    )
    assert met["fidelity_ci"][0] > 0.6
    assert met["detail"] == ""
