"""A link's fibre settings from a scenario (issue 12, item 4): the signal speed sets the round
and the classical delays, and ``pauli_error_per_km`` depolarises each photon on its way to
the BSA, so the heralded pair's fidelity is the closed form of two depolarised halves."""

from __future__ import annotations

from typing import Any

import pytest

from qrna.hardware import LIGHT_IN_FIBRE_M_PER_S
from qrna.link import herald_model
from qrna.scenario import Scenario, build_network, run


def _pair(**link: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "fibre",
        "qnic": {"memories": 1},
        "nodes": [{"name": "a", "type": "COMP"}, {"name": "b", "type": "COMP"}],
        "links": [{"a": "a", "b": "b", "length_km": 20, **link}],
        "traffic": [
            {"initiator": "a", "responder": "b", "pairs": 50, "fidelity": 0.5, "memories": 1}
        ],
        "simulation": {"duration_s": 0.05, "seed": 1},
    }
    return Scenario.model_validate(data)


def test_the_signal_speed_sets_the_round_and_the_classical_delay() -> None:
    """20 km at twice the default speed: the one-memory round (L/v to the middle and back)
    and the classical delay both halve, to the rounding of a float."""
    rounds, delays = [], []
    for speed in (LIGHT_IN_FIBRE_M_PER_S, 2 * LIGHT_IN_FIBRE_M_PER_S):
        net = build_network(_pair(speed_m_per_s=speed))
        spec = net.ports["a"]["b"][0]
        rounds.append(herald_model(spec).period_s)
        delays.append(net.delay_s.delay_s("a", "b"))
    assert delays[0] == pytest.approx(20e3 / LIGHT_IN_FIBRE_M_PER_S, rel=1e-12)
    assert rounds[1] == pytest.approx(rounds[0] / 2, rel=1e-12)
    assert delays[1] == pytest.approx(delays[0] / 2, rel=1e-12)


def test_photon_depolarisation_per_km_gives_the_closed_form_fidelity() -> None:
    """1 % per km over 10 km to the BSA on each side: each photon is depolarised with
    q = 1 − 0.99¹⁰, and the heralded pair is Werner with F = 1/4 + 3/4·(1 − q)², which every
    delivered pair has (ideal memories)."""
    q = 1 - 0.99**10
    want = 0.25 + 0.75 * (1 - q) ** 2
    summary = run(_pair(pauli_error_per_km=0.01)).summary
    (link,) = summary["links"]
    assert link["fidelity_mean"] == pytest.approx(want, abs=1e-12)
    (c,) = summary["connections"]
    assert (c["status"], c["pairs_delivered"]) == ("done", 50)
    assert c["fidelity_ci"] == pytest.approx([want, want], abs=1e-9)
