"""``traffic[].plan.twirl`` (issue 12, item 4), end to end: scenario → PlanRequest → generator
(estimate and RuleSets) → engines → ground truth.

A 2-node single-click link of 5 km heralds pairs of Bell-diagonal weights (0.94198, 0.02901,
0.02901, 0) on the Bell-diagonal backend (not Werner; on the density-matrix backend the
heralded state is not Bell-diagonal at all, with the same fidelity). With no memory decay
every pair waits harmlessly, so each delivered pair of one link purification round has one
fidelity. Twirled, both schemes and both backends give the Werner recurrence
F' = (F² + g²)/(F² + 2Fg + 5g²), g = (1 − F)/3, and the estimate says so; untwirled,
DEJMPS and single selection X give their own numbers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from qrna.control import (
    ConnectionSetupRequest,
    ControlError,
    PlanRequest,
    message_from_dict,
    message_to_dict,
)
from qrna.physics import BellDiagonal, purify
from qrna.scenario import Scenario, run

HERALDED = BellDiagonal(
    0.9419768893151204, 0.029011555342439793, 0.029011555342439793, 0.0
)  # single click, θ² = 0.1, 5 km (the link model's state)


def _link(scheme: str, twirl: bool, backend: str) -> dict[str, Any]:
    scenario = Scenario.model_validate(
        {
            "name": "twirl",
            "qnic": {"memories": 4},
            "nodes": [{"name": "a", "type": "COMP"}, {"name": "b", "type": "COMP"}],
            "links": [{"a": "a", "b": "b", "length_km": 5, "heralding": "single_click"}],
            "traffic": [
                {
                    "initiator": "a",
                    "responder": "b",
                    "pairs": 40,
                    "fidelity": 0.9,
                    "plan": {
                        "link_scheme": scheme,
                        "link_rounds": 1,
                        "e2e_rounds": 0,
                        "twirl": twirl,
                    },
                }
            ],
            "simulation": {"duration_s": 0.1, "seed": 4, "backend": backend},
        }
    )
    (c,) = run(scenario).summary["connections"]
    assert (c["status"], c["pairs_delivered"]) == ("done", 40)
    assert c["plan"]["twirl"] is twirl
    assert c["plan"]["link_purification"] == f"1 x {scheme}"
    return c  # type: ignore[no-any-return]


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
@pytest.mark.parametrize("scheme", ["dejmps", "single_x"])
def test_twirled_link_purification_delivers_the_werner_recurrence(
    scheme: str, backend: str
) -> None:
    f = HERALDED.fidelity
    g = (1 - f) / 3
    want = (f * f + g * g) / (f * f + 2 * f * g + 5 * g * g)
    c = _link(scheme, True, backend)
    assert c["fidelity_ci"] == pytest.approx([want, want], abs=1e-12)
    assert c["plan"]["estimated_fidelity"] == pytest.approx(want, abs=1e-12)


def test_untwirled_link_purification_keeps_the_weights_structure() -> None:
    """Bell-diagonal backend: DEJMPS gives (A² + B²)/N = 0.94119, single selection X
    (which removes Ψ± weight and sees no Φ−) 0.99622; each pair and the estimate alike."""
    for scheme in ("dejmps", "single_x"):
        _, kept = purify(HERALDED, HERALDED, scheme)
        assert kept is not None
        c = _link(scheme, False, "bell_diagonal")
        assert c["fidelity_ci"] == pytest.approx([kept.fidelity] * 2, abs=1e-12)
        assert c["plan"]["estimated_fidelity"] == pytest.approx(kept.fidelity, abs=1e-12)
    assert purify(HERALDED, HERALDED, "single_x")[1].fidelity == pytest.approx(  # type: ignore[union-attr]
        0.9962201303, abs=1e-10
    )


def test_the_plan_request_carries_twirl_on_the_wire_and_refuses_a_non_boolean() -> None:
    request = ConnectionSetupRequest(
        "c1", "a", "b", 0.9, pairs=1, plan=PlanRequest(link_rounds=1, twirl=True)
    )
    again = message_from_dict(message_to_dict(request))
    assert isinstance(again, ConnectionSetupRequest)
    assert again.plan == PlanRequest(link_rounds=1, twirl=True)
    with pytest.raises(ControlError, match=r"PlanRequest\.twirl=1 must be True or False"):
        PlanRequest(twirl=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"plan\.twirl\s+Input should be a valid boolean"):
        Scenario.model_validate(
            {
                "topology": {"kind": "chain", "nodes": 2},
                "traffic": [{"initiator": "n0", "responder": "n1", "plan": {"twirl": 1}}],
            }
        )
