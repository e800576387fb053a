"""``qnic.swap_degradation`` (issue 12, item 4): a swap's pair survives with probability d and
is otherwise replaced by the maximally mixed state. On a 3-node chain with ideal links and
memories, every delivered pair has the closed-form fidelity, the generator's estimate is the
same number, and a target the swap alone misses is reached by end-to-end purification."""

from __future__ import annotations

from typing import Any

import pytest

from qrna.physics import BellDiagonal, purify
from qrna.scenario import Scenario, run


def _chain(d: float, fidelity: float, backend: str, on_every_node: bool) -> Scenario:
    degraded = {"memories": 4, "swap_degradation": d}
    data: dict[str, Any] = {
        "name": "degraded",
        "qnic": degraded if on_every_node else {"memories": 4},
        "nodes": [
            {"name": "a", "type": "COMP"},
            {"name": "b", "type": "REP1", "qnic": degraded},
            {"name": "c", "type": "COMP"},
        ],
        "links": [{"a": "a", "b": "b", "length_km": 5}, {"a": "b", "b": "c", "length_km": 5}],
        "traffic": [{"initiator": "a", "responder": "c", "pairs": 40, "fidelity": fidelity}],
        "simulation": {"duration_s": 0.1, "seed": 4, "backend": backend},
    }
    return Scenario.model_validate(data)


@pytest.mark.parametrize("on_every_node", [False, True])
@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_every_pair_has_the_closed_form_fidelity_and_the_estimate_says_so(
    backend: str, on_every_node: bool
) -> None:
    """d = 0.8 at the repeater (the end nodes do not swap, so degrading theirs changes
    nothing): each of the 40 pairs has fidelity 0.8·1 + 0.2/4 = 0.85, and the plan's estimate
    is 0.85 too; without degradation, 1."""
    for d, want in ((0.8, 0.85), (1.0, 1.0)):
        (c,) = run(_chain(d, 0.8, backend, on_every_node)).summary["connections"]
        assert (c["status"], c["pairs_delivered"]) == ("done", 40)
        assert c["fidelity_ci"] == pytest.approx([want, want], abs=1e-9)
        assert c["plan"]["estimated_fidelity"] == pytest.approx(want, abs=1e-9)
        assert c["plan"]["e2e_purification"] == "0 x dejmps"


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_a_target_the_swap_misses_is_met_by_purifying_end_to_end(backend: str) -> None:
    """Target 0.9 with d = 0.8: the swapped pair (Werner 0.85) is purified end to end; two
    rounds of DEJMPS by entanglement pumping (the kept pair purified again with a fresh
    swapped pair: three pairs, not recurrence's four, and above the target) give the
    fidelity every delivered pair has and the estimate promised."""
    (c,) = run(_chain(0.8, 0.9, backend, False)).summary["connections"]
    _, once = purify(BellDiagonal.werner(0.85), BellDiagonal.werner(0.85), "dejmps")
    assert once is not None
    _, kept = purify(once, BellDiagonal.werner(0.85), "dejmps")
    assert kept is not None
    twice = kept.fidelity
    assert c["plan"]["e2e_purification"] == "2 x dejmps pumping"
    assert (c["status"], c["pairs_delivered"]) == ("done", 40)
    assert c["fidelity_ci"] == pytest.approx([twice, twice], abs=1e-9)
    assert c["plan"]["estimated_fidelity"] == pytest.approx(twice, abs=1e-9)
    assert 0.9 < twice < 0.99


# The estimate's error bound per chain: 0.01 at 5 nodes, as before segments were searched
# (measured 0.0072); 9 nodes are estimated 0.021 low (issue 12, item 2, is to close that).
@pytest.mark.parametrize(("n", "pairs", "error"), [(5, 60, 0.01), (9, 40, 0.025)])
def test_chains_of_degrading_swaps_are_accepted_at_0_9_and_deliver_it(
    n: int, pairs: int, error: float
) -> None:
    """Issue 12's chains: 20 km links of raw fidelity 0.935 (MIM, emission fidelity 0.967),
    T2 = 1.3 s, swap degradation 0.95 at the repeaters, 20 memories per node (a repeater's
    two QNICs of 10, an end node's one of 20), target 0.9. The generator accepts, purifying
    segments between swap levels (without that, 9 nodes were refused: "best plan gives
    0.8886"), and the delivered pairs' true fidelity has mean and the lower end of its 95 %
    interval at least 0.9, within ``error`` of the estimate."""
    nodes: list[dict[str, Any]] = [{"name": "n0", "type": "COMP"}]
    nodes += [
        {
            "name": f"n{i}",
            "type": "REP1",
            "qnic": {"memories": 10, "t2_s": 1.3, "swap_degradation": 0.95},
        }
        for i in range(1, n - 1)
    ]
    nodes.append({"name": f"n{n - 1}", "type": "COMP"})
    scenario = Scenario.model_validate(
        {
            "name": "issue12",
            "qnic": {"memories": 20, "t2_s": 1.3},  # the end nodes: one QNIC of 20
            "nodes": nodes,
            "links": [
                {"a": f"n{i}", "b": f"n{i + 1}", "length_km": 20, "emission_fidelity": 0.967}
                for i in range(n - 1)
            ],
            "traffic": [
                {
                    "initiator": "n0",
                    "responder": f"n{n - 1}",
                    "fidelity": 0.9,
                    "pairs": pairs,
                    "memories": 10,
                }
            ],
            "simulation": {"duration_s": 1.0, "seed": 1},
        }
    )
    summary = run(scenario).summary
    assert summary["links"][0]["fidelity_advertised"] == pytest.approx(0.9355, abs=5e-4)
    (c,) = summary["connections"]
    assert (c["status"], c["pairs_delivered"]) == ("done", pairs)
    assert c["fidelity_ci"][0] >= 0.9
    assert c["fidelity_mean"] >= 0.9
    assert any(not level.startswith("0 x") for level in c["plan"]["segment_purification"])
    assert c["fidelity_mean"] == pytest.approx(c["plan"]["estimated_fidelity"], abs=error)


def test_the_estimate_counts_the_swap_s_single_qubit_error() -> None:
    """A one-qubit gate error of 0.1 at the repeater (the Hadamard of its Bell measurement):
    the phase bit flips with probability 0.05, so every pair has fidelity 0.95, and the
    generator's estimate says 0.95 too (it used to leave that error out: 1.0)."""
    data: dict[str, Any] = {
        "name": "h-error",
        "qnic": {"memories": 4},
        "nodes": [
            {"name": "a", "type": "COMP"},
            {"name": "b", "type": "REP1", "qnic": {"memories": 4, "single_qubit_error": 0.1}},
            {"name": "c", "type": "COMP"},
        ],
        "links": [{"a": "a", "b": "b", "length_km": 5}, {"a": "b", "b": "c", "length_km": 5}],
        "traffic": [{"initiator": "a", "responder": "c", "pairs": 20, "fidelity": 0.9}],
        "simulation": {"duration_s": 0.05, "seed": 4},
    }
    (c,) = run(Scenario.model_validate(data)).summary["connections"]
    assert (c["status"], c["pairs_delivered"]) == ("done", 20)
    assert c["fidelity_ci"] == pytest.approx([0.95, 0.95], abs=1e-9)
    assert c["plan"]["estimated_fidelity"] == pytest.approx(0.95, abs=1e-9)
