"""Purification at every level of the swap hierarchy (issue 12, item 1), run end to end.

With memories that do not decohere and no gate noise, every delivered pair of a plan has one
state: the closed form built from the link states with the physics layer's own ``swap`` and
``purify``, in the order the plan says. Links of four different fidelities (Werner states that
DEJMPS turns into non-Werner ones) and swap degradation at the repeaters make each place a
purification could be put give a different number, so a segment purified at the wrong level,
or not at all, or a level skipped, fails here on either state backend."""

from __future__ import annotations

from typing import Any

import pytest

from qrna.link import herald_model
from qrna.physics import BellDiagonal, GateNoise, purify, swap
from qrna.scenario import Scenario, run

EMISSION = (0.97, 0.94, 0.96, 0.93)  # one per link, n0-n1 first
DEGRADATION = 0.95


def _scenario(plan: dict[str, Any], backend: str) -> Scenario:
    nodes: list[dict[str, Any]] = [{"name": "n0", "type": "COMP"}]
    nodes += [
        {"name": f"n{i}", "type": "REP1", "qnic": {"memories": 8, "swap_degradation": DEGRADATION}}
        for i in (1, 2, 3)
    ]
    nodes.append({"name": "n4", "type": "COMP"})
    data = {
        "name": "segments",
        "qnic": {"memories": 8},
        "nodes": nodes,
        "links": [
            {"a": f"n{i}", "b": f"n{i + 1}", "length_km": 5, "emission_fidelity": f}
            for i, f in enumerate(EMISSION)
        ],
        "traffic": [
            {
                "initiator": "n0",
                "responder": "n4",
                "pairs": 12,
                "fidelity": 0.5,
                "memories": 8,
                "plan": {"link_rounds": 0, "e2e_rounds": 0, **plan},
            }
        ],
        "simulation": {"duration_s": 0.5, "seed": 3, "backend": backend},
    }
    return Scenario.model_validate(data)


def _link_states(scenario: Scenario) -> tuple[list[BellDiagonal], dict[str, Any]]:
    results = run(scenario)
    net = results.network
    specs = {(s.a.address, s.b.address): s for p in net.ports.values() for s, _ in p.values()}
    links = [herald_model(specs[f"n{i}", f"n{i + 1}"]).state for i in range(4)]
    (c,) = results.summary["connections"]
    return links, c


def _dejmps(state: BellDiagonal) -> BellDiagonal:
    _, kept = purify(state, state, "dejmps")
    assert kept is not None
    return kept


NOISE = GateNoise(swap_degradation=DEGRADATION)


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_nested_level_one_segments_are_purified_before_the_top_swap(backend: str) -> None:
    """n1 swaps (n0, n2) and n3 swaps (n2, n4); each of those segments is purified once
    (DEJMPS), then n2 swaps the two purified segments."""
    links, c = _link_states(_scenario({"swap_order": "nested", "segment_rounds": [1]}, backend))
    left = _dejmps(swap(links[0], links[1], NOISE))
    right = _dejmps(swap(links[2], links[3], NOISE))
    want = swap(left, right, NOISE).fidelity
    unpurified = swap(swap(links[0], links[1], NOISE), swap(links[2], links[3], NOISE), NOISE)
    assert want - unpurified.fidelity > 0.02  # the segment rounds are seen in the number
    assert c["plan"]["segment_purification"] == ["1 x dejmps"]
    assert (c["status"], c["pairs_delivered"]) == ("done", 12)
    assert c["fidelity_ci"] == pytest.approx([want, want], abs=1e-9)
    assert c["plan"]["estimated_fidelity"] == pytest.approx(want, abs=1e-9)
    # Two purified segments per delivered pair; each purification, kept or not, used two
    # swapped segments (DEJMPS fails at times: more are made), and n2 swapped each pair.
    purifications, swaps = c["counts"]["purification"], c["counts"]["swap"]
    assert purifications["successes"] >= 12 * 2
    assert purifications["failures"] > 0
    assert swaps["successes"] >= 12 + 2 * purifications["attempts"]


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_sequential_second_level_segment_only(backend: str) -> None:
    """Sequential on five nodes: n1 makes (n0, n2), n2 makes (n0, n3), n3 makes (n0, n4).
    segment_rounds [0, 2] leaves level 1 alone and purifies (n0, n3) twice (DEJMPS, the second
    round on two pairs of the first), before n3's swap with the last link."""
    plan = {"swap_order": "sequential", "segment_rounds": [0, 2]}
    links, c = _link_states(_scenario(plan, backend))
    s02 = swap(links[0], links[1], NOISE)
    s03 = _dejmps(_dejmps(swap(s02, links[2], NOISE)))
    want = swap(s03, links[3], NOISE).fidelity
    once = swap(_dejmps(swap(s02, links[2], NOISE)), links[3], NOISE).fidelity
    assert abs(want - once) > 0.005  # two rounds are told apart from one
    assert c["plan"]["segment_purification"] == ["0 x dejmps", "2 x dejmps"]
    assert (c["status"], c["pairs_delivered"]) == ("done", 12)
    assert c["fidelity_ci"] == pytest.approx([want, want], abs=1e-9)
    assert c["plan"]["estimated_fidelity"] == pytest.approx(want, abs=1e-9)
