"""``qnic.frame_correction_gate`` (issue 12, item 4): a swap's Pauli-frame correction is a
physical gate at the corrected end, with that node's ``single_qubit_error`` s as a one-qubit
depolarising error on the kept qubit. One-qubit depolarising s on one half of a Bell-diagonal
pair maps each weight w to (1 − s)·w + s/4.

The ground truth, both backends: swapping (0.85, .05, .07, .03) with (0.90, .02, .03, .05)
gives (0.7696, 0.0664, 0.0916, 0.0724) (physics.md), then the correction's error. A 3-node
chain with ideal links and memories: the Responder corrects every swap, so with the gate on
there each pair has F = 1 − 3s/4 and the estimate says so; on the Initiator, which corrects
nothing, or with the gate off (the default), F = 1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qrna.hardware import PairStore
from qrna.physics import BellDiagonal, DensityMatrix
from qrna.scenario import Scenario, run

SWAPPED = (0.7696, 0.0664, 0.0916, 0.0724)


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_the_correction_s_error_on_a_swapped_pair_is_the_closed_form(backend: str) -> None:
    s = 0.1
    pairs = [BellDiagonal(0.85, 0.05, 0.07, 0.03), BellDiagonal(0.90, 0.02, 0.03, 0.05)]
    states = (
        pairs
        if backend == "bell_diagonal"
        else [DensityMatrix.from_bell_diagonal(p) for p in pairs]
    )
    store = PairStore()
    store.create(states[0], (("x/q", 0), ("m/q", 0)), (None, None), (0, 0), 0)
    store.create(states[1], (("m/q", 1), ("y/q", 0)), (None, None), (0, 0), 0)
    pair, _, _ = store.swap(("m/q", 0), ("m/q", 1), 10, np.random.default_rng(1))
    store.gate_error(pair, 1, s, 10)
    out = pair.state
    weights = out.as_tuple() if isinstance(out, BellDiagonal) else out.bell_weights()
    assert weights == pytest.approx(tuple((1 - s) * w + s / 4 for w in SWAPPED), abs=1e-12)


def _chain(gate_at: str | None, s: float, backend: str) -> Scenario:
    def node(name: str, kind: str) -> dict[str, Any]:
        qnic = {"memories": 4, "single_qubit_error": s if name in ("a", "c") else 0.0}
        return {
            "name": name,
            "type": kind,
            "qnic": {**qnic, "frame_correction_gate": name == gate_at},
        }

    return Scenario.model_validate(
        {
            "name": "corrections",
            "nodes": [node("a", "COMP"), node("b", "REP1"), node("c", "COMP")],
            "links": [
                {"a": "a", "b": "b", "length_km": 5},
                {"a": "b", "b": "c", "length_km": 5},
            ],
            "traffic": [{"initiator": "a", "responder": "c", "pairs": 40, "fidelity": 0.8}],
            "simulation": {"duration_s": 0.1, "seed": 4, "backend": backend},
        }
    )


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_every_pair_corrected_by_a_noisy_gate_has_the_closed_form_fidelity(backend: str) -> None:
    """s = 0.08 at both end nodes: with the gate at the Responder, each of the 40 pairs and
    the estimate have F = 1 − 3·0.08/4 = 0.94; with it at the Initiator or nowhere, 1."""
    for gate_at, want in (("c", 0.94), ("a", 1.0), (None, 1.0)):
        (c,) = run(_chain(gate_at, 0.08, backend)).summary["connections"]
        assert (c["status"], c["pairs_delivered"]) == ("done", 40)
        assert c["fidelity_ci"] == pytest.approx([want, want], abs=1e-9)
        assert c["plan"]["estimated_fidelity"] == pytest.approx(want, abs=1e-9)


def _five(order: str, gate: bool) -> dict[str, Any]:
    """A 5-node chain of ideal links, s = 0.05 on every node, the gate on every node or none;
    its one connection's summary."""
    nodes = [{"name": f"n{i}", "type": "COMP" if i in (0, 4) else "REP1"} for i in range(5)]
    scenario = Scenario.model_validate(
        {
            "name": "corrections5",
            "qnic": {"memories": 4, "single_qubit_error": 0.05, "frame_correction_gate": gate},
            "nodes": nodes,
            "links": [{"a": f"n{i}", "b": f"n{i + 1}", "length_km": 5} for i in range(4)],
            "traffic": [
                {
                    "initiator": "n0",
                    "responder": "n4",
                    "pairs": 30,
                    "fidelity": 0.6,
                    "plan": {"swap_order": order, "link_rounds": 0, "e2e_rounds": 0},
                }
            ],
            "simulation": {"duration_s": 0.1, "seed": 4},
        }
    )
    (c,) = run(scenario).summary["connections"]
    assert (c["status"], c["pairs_delivered"]) == ("done", 30)
    return c  # type: ignore[no-any-return]


@pytest.mark.parametrize("order", ["nested", "sequential"])
def test_on_every_node_of_a_5_node_chain_each_correction_scales_f_minus_a_quarter(
    order: str,
) -> None:
    """s = 0.05 everywhere (the swaps' H gates err too): the three swaps' corrections each
    scale F − 1/4 by 1 − s (depolarising commutes with the Pauli channels of the rest), so
    F_on − 1/4 = 0.95³·(F_off − 1/4), for every pair and the estimate alike."""
    on, off = _five(order, True), _five(order, False)
    for c in (on, off):
        low, high = c["fidelity_ci"]
        assert low == pytest.approx(high, abs=1e-12)  # every pair alike
        assert c["plan"]["estimated_fidelity"] == pytest.approx(low, abs=1e-12)
    assert on["fidelity_mean"] - 0.25 == pytest.approx(0.95**3 * (off["fidelity_mean"] - 0.25))
    assert off["fidelity_mean"] < 0.99
