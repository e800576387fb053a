"""The hardware a scenario builds carries the scenario's numbers, field for field: every QNIC
setting (the scenario-wide QNIC, a node's own, a link's memories and emission fidelity), every
link setting (fibre, BSA, EPPS, heralding) and which QNIC of each end a link uses. Each value
below differs from its default, so a setting dropped on the way is seen."""

from __future__ import annotations

from typing import Any

from qrna.hardware import BSA, EPPS, QNIC, Fibre, NodeType
from qrna.link import LinkType
from qrna.physics import GateNoise
from qrna.scenario import load_scenario
from qrna.scenario._build import build_links

WIDE = {
    "memories": 3,
    "t1_s": 2.5,
    "t2_s": 0.75,
    "emission_efficiency": 0.6,
    "absorption_efficiency": 0.7,
    "emission_fidelity": 0.96,
    "emission_interval_s": 3e-8,
    "cnot_error": 0.004,
    "single_qubit_error": 0.0007,
    "readout_error": 0.02,
}
OWN = {
    "memories": 5,
    "t1_s": 4.0,
    "t2_s": 1.5,
    "emission_efficiency": 0.55,
    "absorption_efficiency": 0.65,
    "emission_fidelity": 0.94,
    "emission_interval_s": 2e-8,
    "cnot_error": 0.003,
    "single_qubit_error": 0.0006,
    "readout_error": 0.015,
}


def _qnic(cfg: dict[str, Any], memories: int | None = None, fidelity: float | None = None) -> QNIC:
    return QNIC(
        memories or cfg["memories"],
        t1_s=cfg["t1_s"],
        t2_s=cfg["t2_s"],
        emission_efficiency=cfg["emission_efficiency"],
        absorption_efficiency=cfg["absorption_efficiency"],
        emission_interval_s=cfg["emission_interval_s"],
        gate_noise=GateNoise(cfg["cnot_error"], cfg["single_qubit_error"], cfg["readout_error"]),
        emission_fidelity=cfg["emission_fidelity"] if fidelity is None else fidelity,
    )


def _scenario() -> dict[str, Any]:
    return {
        "name": "built",
        "qnic": WIDE,
        "nodes": [
            {"name": "a", "type": "COMP"},
            {"name": "r", "type": "REP1", "qnic": OWN},
            {"name": "b", "type": "SNSR"},
            {"name": "m", "type": "MEAS"},
        ],
        "links": [
            {
                "a": "a",
                "b": "r",
                "type": "MIM",
                "length_km": 12.0,
                "loss_db_per_km": 0.25,
                "heralding": "single_click",
                "bright_state_population": 0.05,
                "detector_efficiency": 0.85,
                "dark_count_probability": 2e-6,
                "visibility": 0.97,
                "memories": 2,
            },
            {
                "a": "r",
                "b": "b",
                "type": "MSM",
                "length_km": 7.0,
                "loss_db_per_km": 0.3,
                "detector_efficiency": 0.8,
                "dark_count_probability": 3e-6,
                "pair_probability": 0.4,
                "source_fidelity": 0.93,
                "emission_fidelity": 0.99,
            },
            {
                "a": "b",
                "b": "m",
                "type": "MM",
                "length_km": 3.0,
                "loss_db_per_km": 0.35,
                "detector_efficiency": 0.75,
                "dark_count_probability": 4e-6,
                "visibility": 0.95,
            },
        ],
    }


def test_every_qnic_and_link_setting_reaches_the_built_hardware() -> None:
    mim, msm, mm = build_links(load_scenario(_scenario()))

    # MIM a–r: a has the scenario-wide QNIC with the link's memories; r its own QNIC.
    assert (mim.a.address, mim.b.address, mim.type) == ("a", "r", LinkType.MIM)
    assert mim.a.type is NodeType.COMP
    assert mim.b.type is NodeType.REP1
    assert mim.a.qnics == (_qnic(WIDE, memories=2),)
    assert mim.b.qnics == (_qnic(OWN, memories=2), _qnic(OWN, fidelity=0.99))
    assert (mim.qnic_a, mim.qnic_b) == (0, 0)
    assert mim.fibre == Fibre(12.0, 0.25)
    assert (mim.heralding, mim.bright_state_population) == ("single_click", 0.05)
    assert mim.middle is not None
    assert mim.middle.address == "bsa-a-r"
    assert mim.middle.type is NodeType.BSA
    assert mim.middle.bsa == BSA(0.85, 2e-6, 0.97)
    assert mim.receiver_bsa == BSA(0.85, 2e-6, 0.97)

    # MSM r–b: r's second QNIC, with the link's emission fidelity at both ends.
    assert (msm.a.address, msm.b.address, msm.type) == ("r", "b", LinkType.MSM)
    assert msm.b.type is NodeType.SNSR
    assert msm.b.qnics == (_qnic(WIDE, fidelity=0.99), _qnic(WIDE))
    assert msm.a.qnics[1] == _qnic(OWN, fidelity=0.99)
    assert (msm.qnic_a, msm.qnic_b) == (1, 0)
    assert msm.fibre == Fibre(7.0, 0.3)
    assert msm.middle is not None
    assert msm.middle.address == "epps-r-b"
    assert msm.middle.type is NodeType.EPPS
    assert msm.middle.epps == EPPS(0.4, 0.93, 0.8, 3e-6)

    # MM b–m: b's second QNIC; a MEAS node has none; the BSA sits at the receiving end.
    assert (mm.a.address, mm.b.address, mm.type) == ("b", "m", LinkType.MM)
    assert mm.b.type is NodeType.MEAS
    assert mm.b.qnics == ()
    assert (mm.qnic_a, mm.qnic_b) == (1, 0)
    assert mm.fibre == Fibre(3.0, 0.35)
    assert mm.middle is None
    assert mm.receiver_bsa == BSA(0.75, 4e-6, 0.95)


def test_a_node_in_several_links_is_one_node_with_a_qnic_per_link() -> None:
    mim, msm, mm = build_links(load_scenario(_scenario()))
    assert mim.b is msm.a
    assert msm.b is mm.a
    assert len(mim.b.qnics) == 2
    assert len(msm.b.qnics) == 2


def test_dotted_node_names_give_middle_nodes_underscored_names() -> None:
    data = _scenario()
    data["nodes"][0]["name"] = "x.1"
    data["links"][0]["a"] = "x.1"
    data["nodes"][2]["name"] = "y.2"
    data["links"][1]["b"] = "y.2"
    data["links"][2]["a"] = "y.2"
    mim, msm, _ = build_links(load_scenario(data))
    assert mim.middle is not None
    assert mim.middle.address == "bsa-x_1-r"
    assert msm.middle is not None
    assert msm.middle.address == "epps-r-y_2"
