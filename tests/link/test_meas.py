"""A MEAS end node (no memory) takes part in MM and MSM links: it yields measurement records,
not stored qubits, and its records are correlated with the partner's as the heralded state
predicts (QBER_Z = Ψ− + Ψ+, QBER_X = Ψ− + Φ−)."""

from __future__ import annotations

import math

import pytest

from qrna.hardware import EPPS, QNIC, Fibre, Node, NodeType
from qrna.link import LinkError, LinkSimulation, LinkSpec, LinkType, herald_model
from qrna.physics import measurement_probabilities


def _sift(records: tuple) -> dict[str, list[tuple[int, int]]]:  # type: ignore[type-arg]
    by_name: dict[object, dict[int, tuple[str, int]]] = {}
    for end, name, basis, bit, _ in records:
        by_name.setdefault(name, {})[end] = (basis, bit)
    out: dict[str, list[tuple[int, int]]] = {"X": [], "Z": []}
    for ends in by_name.values():
        if len(ends) == 2 and ends[0][0] == ends[1][0]:
            out[ends[0][0]].append((ends[0][1], ends[1][1]))
    return out


def _check_qber(spec: LinkSpec, seed: int) -> None:
    """About 6,000 pairs, half sifted; each basis's QBER within 4 standard errors."""
    model = herald_model(spec)
    state = model.state
    result = LinkSimulation(spec, seed=seed, measure_bases="random").run(6000 / model.rate_hz())
    sifted = _sift(result.records)
    for basis in "XZ":
        pairs = sifted[basis]
        assert len(pairs) > 1000
        qber = sum(a != b for a, b in pairs) / len(pairs)
        probs = measurement_probabilities(state, (basis, basis))
        expected = float(probs[0, 1] + probs[1, 0])
        se = math.sqrt(expected * (1 - expected) / len(pairs))
        assert abs(qber - expected) <= 4 * se, (basis, qber, expected)


def test_mm_link_to_a_meas_receiver_yields_records() -> None:
    memory = Node("a", NodeType.COMP, (QNIC(5, emission_fidelity=0.9),))
    meas = Node("m", NodeType.MEAS, measurement_basis="random", detector_efficiency=0.8)
    spec = LinkSpec(memory, meas, LinkType.MM, Fibre(15.0))
    model = herald_model(spec)
    assert model.measured == (False, True)
    # p = η_emit · η_fibre · η_det: no Bell measurement, the photon is detected directly.
    assert model.p_success == pytest.approx(Fibre(15.0).transmittance * 0.8, rel=1e-12)
    sim = LinkSimulation(spec, seed=1, measure_bases="random")
    result = sim.run(0.02)
    assert sim.banks[1] is None  # nothing stored at the MEAS node
    assert sim.ends[1].pairs == {}
    meas_records = [r for r in result.records if r[0] == 1]
    assert len(meas_records) > 100
    assert {r[2] for r in meas_records} == {"X", "Z"}
    assert all(q[0] == "a/qnic0" for q in sim.store.held_qubits())
    _check_qber(spec, seed=2)


def test_msm_link_with_a_meas_end_and_qkd_statistics() -> None:
    memory = Node("a", NodeType.COMP, (QNIC(10),))
    meas = Node("m", NodeType.MEAS, measurement_basis="random")
    src = Node("src", NodeType.EPPS, epps=EPPS(pair_probability=0.5, source_fidelity=0.92))
    spec = LinkSpec(memory, meas, LinkType.MSM, Fibre(20.0), middle=src)
    _check_qber(spec, seed=3)


def test_two_meas_nodes_do_bbm92_over_a_source() -> None:
    alice = Node("alice", NodeType.MEAS, measurement_basis="random")
    bob = Node("bob", NodeType.MEAS, measurement_basis="random")
    src = Node("src", NodeType.EPPS, epps=EPPS(pair_probability=0.05, source_fidelity=0.9))
    spec = LinkSpec(alice, bob, LinkType.MSM, Fibre(30.0), middle=src)
    _check_qber(spec, seed=4)


def test_a_meas_node_cannot_emit() -> None:
    meas = Node("m", NodeType.MEAS)
    memory = Node("a", NodeType.COMP, (QNIC(1),))
    with pytest.raises(LinkError, match="a MIM link needs memories at both ends to emit"):
        LinkSpec(meas, memory, LinkType.MIM, Fibre(1.0))
    with pytest.raises(LinkError, match="put the MEAS node at end b"):
        LinkSpec(meas, memory, LinkType.MM, Fibre(1.0))
    spec = LinkSpec(memory, meas, LinkType.MM, Fibre(1.0))
    with pytest.raises(LinkError, match="no stored pair whose fidelity to record"):
        LinkSimulation(spec, record_fidelity=True)
    with pytest.raises(LinkError, match="monitoring needs memories at both ends"):
        LinkSimulation(spec, monitor_fraction=0.1)
