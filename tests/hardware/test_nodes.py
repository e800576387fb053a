"""Node types of spec §4.1 as capabilities; components validate their parameters and name the
component, the field and the valid range."""

from __future__ import annotations

import math

import pytest

from qrna import QrnaError
from qrna.hardware import (
    BSA,
    EPPS,
    QNIC,
    Fibre,
    HardwareError,
    MemoryBank,
    Node,
    NodeType,
    OpticalSwitch,
    QubitStatus,
    UnsupportedNodeTypeError,
)


def test_end_repeater_and_support_capabilities() -> None:
    assert NodeType.MEAS.is_end_node
    assert not NodeType.MEAS.has_memory
    assert NodeType.COMP.has_memory
    assert NodeType.SNSR.is_end_node
    assert NodeType.REP1.has_memory
    assert not NodeType.REP1.is_end_node
    for support in (NodeType.BSA, NodeType.EPPS, NodeType.OSW):
        assert support.is_support
        assert not support.has_memory


def test_support_nodes_get_their_component_by_default() -> None:
    assert Node("b", NodeType.BSA).bsa == BSA()
    assert Node("e", NodeType.EPPS).epps == EPPS()
    assert Node("s", NodeType.OSW).switch == OpticalSwitch()


def test_minimal_repeater_of_fig_2_is_expressible() -> None:
    rep = Node(
        "lab.rep",
        NodeType.REP1,
        qnics=(QNIC(memories=1, buffer_memories=1, t2_s=1.0),),
        switch=OpticalSwitch(ports=2),
    )
    bank = MemoryBank(rep.qnic_address(0), rep.qnics[0])
    assert len(bank) == 2
    assert bank.emitters == 1


def test_a_router_has_three_or_more_qnics() -> None:
    Node("r", NodeType.RTR, qnics=(QNIC(2), QNIC(2), QNIC(2)))
    with pytest.raises(HardwareError, match=r"node 'r': an RTR has three or more QNICs; got 2"):
        Node("r", NodeType.RTR, qnics=(QNIC(2), QNIC(2)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": NodeType.REP2, "qnics": (QNIC(1),)}, r"node type REP2 \(2G repeaters"),
        ({"type": NodeType.RGSS}, r"node type RGSS .* is not supported yet; supported types: "),
        ({"type": NodeType.ABSA}, r"node type ABSA .* is not supported yet"),
    ],
)
def test_unmodelled_node_types_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UnsupportedNodeTypeError, match=message):
        Node("n", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Node("m", NodeType.MEAS, qnics=(QNIC(1),)),
            r"node 'm': a MEAS node has no memory; got 1 QNIC\(s\)",
        ),
        (lambda: Node("c", NodeType.COMP), r"node 'c': a COMP node needs at least one QNIC"),
        (lambda: Node("r", NodeType.REP1, qnics=(QNIC(1),)), r"a REP1 has two interfaces"),
        (
            lambda: Node("bad name", NodeType.COMP, qnics=(QNIC(1),)),
            r"address 'bad name' is not a dotted name",
        ),
        (
            lambda: Node("m", NodeType.MEAS, measurement_basis="W"),
            r"measurement_basis='W'; expected one of 'X', 'Y', 'Z', 'random'",
        ),
        (lambda: Node("m", "MEAS"), r"type='MEAS' is not a node type"),  # type: ignore[arg-type]
        (lambda: Fibre(-1.0), r"Fibre: length_km=-1.0 is invalid; expected a finite value >= 0"),
        (lambda: Fibre(5.0, loss_db_per_km=math.nan), r"Fibre: loss_db_per_km=nan is invalid"),
        (lambda: QNIC(memories=0), r"QNIC: memories=0 is invalid; expected an integer >= 1"),
        (lambda: QNIC(memories=2.5), r"QNIC: memories=2.5 is invalid"),  # type: ignore[arg-type]
        (
            lambda: QNIC(1, emission_efficiency=1.5),
            r"QNIC: emission_efficiency=1.5 is outside the valid range \[0, 1\]",
        ),
        (lambda: QNIC(1, t1_s=1.0, t2_s=3.0), r"QNIC: t2_s=3.0 exceeds 2·t1_s = 2.0"),
        (lambda: QNIC(1, t1_s=-1.0), r"QNIC: t1_s=-1.0 is invalid; expected a value > 0"),
        (
            lambda: BSA(detector_efficiency=-0.1),
            r"BSA: detector_efficiency=-0.1 is outside the valid range \[0, 1\]",
        ),
        (lambda: BSA(dark_count_probability=2.0), r"BSA: dark_count_probability=2.0"),
        (lambda: EPPS(source_fidelity=1.1), r"EPPS: source_fidelity=1.1 is outside"),
        (
            lambda: OpticalSwitch(ports=1),
            r"OpticalSwitch: ports=1 is invalid; expected an integer >= 2",
        ),
        (
            lambda: QNIC(1, reinit_s=-1.0),
            r"^QNIC: reinit_s=-1.0 must be a finite number of seconds >= 0$",
        ),
        (
            lambda: QNIC(1, reinit_s=True),
            r"^QNIC: reinit_s=True must be a finite number of seconds >= 0$",
        ),
        (lambda: QNIC(1, gate_noise="x"), r"^QNIC: gate_noise='x' is not a GateNoise$"),  # type: ignore[arg-type]
        (
            lambda: QNIC(1, memory_noise="weird"),
            r"^QNIC: memory_noise='weird' is not a memory noise model; expected one of t1t2, "
            r"depolarising$",
        ),
        (
            lambda: QNIC(1, frame_correction_gate=1),
            r"^QNIC: frame_correction_gate=1 must be True or False$",
        ),
    ],
)
def test_bad_hardware_is_refused_by_name_field_and_range(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HardwareError, match=message) as info:
        make()
    assert isinstance(info.value, QrnaError)


def test_an_optical_switch_passes_ten_to_the_minus_loss_over_ten() -> None:
    assert OpticalSwitch(2, insertion_loss_db=3.0).transmittance == pytest.approx(
        10**-0.3, rel=1e-15
    )
    assert OpticalSwitch(2, insertion_loss_db=0.0).transmittance == 1.0


def test_memory_life_cycle() -> None:
    bank = MemoryBank("n/qnic0", QNIC(3))
    bank.move(0, QubitStatus.EMITTING)
    bank.move(0, QubitStatus.ENTANGLED)
    bank.move(0, QubitStatus.ASSIGNED)
    bank.move(0, QubitStatus.FREE)
    assert bank.count(QubitStatus.FREE) == 3
    bank.move_many([1, 2], QubitStatus.EMITTING)
    assert bank.indices(QubitStatus.EMITTING) == [1, 2]
    assert bank.all_are([1, 2], QubitStatus.EMITTING)
    with pytest.raises(
        HardwareError,
        match=r"qubit \('n/qnic0', 0\) cannot go from FREE to "
        r"ASSIGNED; from FREE it may go to EMITTING, ENTANGLED",
    ):
        bank.move(0, QubitStatus.ASSIGNED)
    with pytest.raises(HardwareError, match=r"cannot go from FREE to FREE"):  # double free
        bank.move_many([0], QubitStatus.FREE)
    with pytest.raises(
        HardwareError, match=r"QNIC 'n/qnic0' has no qubit 7; valid indices are 0..2"
    ):
        bank.move(7, QubitStatus.EMITTING)
    with pytest.raises(HardwareError, match=r"has no qubit -1"):
        bank.move_many([-1], QubitStatus.EMITTING)
