"""The generator's estimate against what runs (issue 12, "estimates that match what runs"):
a few cheap cells of ``bench/generator.py``'s matrix, each a chain (10 km MIM links, every
node an RTR, four memories reserved per QNIC) whose plan is forced, run for about 1,500
pairs at a fixed seed.

Measured: the pairs after the first 10 % (the memories start empty), their rate over the time
they span and their mean true fidelity. The bounds are the calibration's aim (fidelity
within 0.01, rate within 25 %) tightened where the model does better, and two-sided: an
estimate that grew pessimistic fails as well. Before the waiting model these cells were
predicted 1.3 to 2.7 times too fast, and the 10 ms memories' fidelity 0.05 too low."""

from __future__ import annotations

from typing import Any

import pytest

from qrna.scenario import load_scenario, run


def _measure(
    nodes: int, t2_s: float, plan: dict[str, Any], duration_s: float
) -> tuple[dict[str, Any], float, float, int]:
    """The forced plan's summary entry, and the measured rate, mean fidelity and pairs."""
    scenario = {
        "name": "calibration",
        "qnic": {"memories": 4, "t2_s": t2_s, "cnot_error": 0.005},
        "topology": {
            "kind": "chain",
            "nodes": nodes,
            "link": {"length_km": 10.0, "emission_fidelity": 0.974},
        },
        "traffic": [
            {
                "initiator": "n0",
                "responder": f"n{nodes - 1}",
                "fidelity": 0.25,
                "memories": 4,
                "plan": {"link_scheme": "dejmps", "e2e_scheme": "dejmps", **plan},
            }
        ],
        "simulation": {"duration_s": duration_s, "seed": 1},
    }
    results = run(load_scenario(scenario))
    table = results.pairs_table().sort_by("delivered_ps")
    times = [t * 1e-12 for t in table.column("delivered_ps").to_pylist()]
    fidelities = table.column("fidelity").to_pylist()
    skip = len(times) // 10
    rate = (len(times) - 1 - skip) / (times[-1] - times[skip])
    fidelity = sum(fidelities[skip:]) / len(fidelities[skip:])
    return results.summary["connections"][0]["plan"], rate, fidelity, len(times)


_PLAIN = {"link_rounds": 0, "e2e_rounds": 0}


@pytest.mark.parametrize(
    ("nodes", "t2_s", "plan", "duration_s", "rate_rel", "fidelity_abs"),
    [
        # Decoherence matters: pairs wait ~0.2 ms in 10 ms memories.
        (5, 0.01, {"swap_order": "nested", "link_rounds": 0, "e2e_rounds": 0}, 0.14, 0.1, 0.004),
        # The end links' bins hold pairs for the results' way along 8 links, one by one.
        (9, 1.0, {"swap_order": "sequential", "link_rounds": 0, "e2e_rounds": 0}, 0.3, 0.1, 0.002),
        # A link round and an end-to-end round: the bits' ways there and back.
        (3, 0.1, {"swap_order": "nested", "link_rounds": 1, "e2e_rounds": 1}, 0.6, 0.25, 0.004),
        # Segment purification: its rounds hold the segments' end memories (the waiting
        # model plays them; before, it was predicted 40 % too fast).
        (5, 1.0, {**_PLAIN, "swap_order": "nested", "segment_rounds": [1]}, 0.35, 0.1, 0.002),
    ],
)
def test_the_estimate_is_what_the_forced_plan_delivers(
    nodes: int,
    t2_s: float,
    plan: dict[str, Any],
    duration_s: float,
    rate_rel: float,
    fidelity_abs: float,
) -> None:
    """Estimated rate within ``rate_rel`` of the measured one and fidelity within
    ``fidelity_abs``, both ways, on at least 1,000 pairs (module docstring)."""
    estimated, rate, fidelity, pairs = _measure(nodes, t2_s, plan, duration_s)
    assert pairs >= 1000
    assert estimated["estimated_rate_hz"] == pytest.approx(rate, rel=rate_rel)
    assert estimated["estimated_fidelity"] == pytest.approx(fidelity, abs=fidelity_abs)


@pytest.mark.xfail(
    strict=True,
    reason="segment purification's states decohere over the unpurified segments' waits "
    "(estimate's docstring): two rounds a level with 0.1 s memories estimate 0.896 and "
    "deliver 0.828",
)
def test_two_segment_rounds_on_decohering_memories_are_estimated_as_they_deliver() -> None:
    """Five nodes, T2 0.1 s, sequential, segment rounds (2, 1): estimated 0.896, delivered
    0.828 (91 pairs). Two rounds on one level alone: 0.871 against 0.830; one round: 0.821
    against 0.813, and two with T2 1 s: 0.900 against 0.894. The rounds hold the segments'
    pairs while their partners come and the bits travel, which the rate's played timing
    counts but the state does not. In the recursive three-level connection under jitter the
    generator chose such a plan and delivered 0.657 against 0.863."""
    plan = {**_PLAIN, "swap_order": "sequential", "segment_rounds": [2, 1]}
    estimated, rate, fidelity, pairs = _measure(5, 0.1, plan, 0.2)
    assert pairs >= 80
    assert estimated["estimated_rate_hz"] == pytest.approx(rate, rel=0.25)
    assert estimated["estimated_fidelity"] == pytest.approx(fidelity, abs=0.01)
