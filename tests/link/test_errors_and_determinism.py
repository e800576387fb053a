"""Bad link parameters raise a QrnaError naming the component, the field and the valid range;
the same seed gives the same event trace."""

from __future__ import annotations

import pytest

from qrna import QrnaError
from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.kernel import TraceRecorder
from qrna.link import LinkError, LinkSimulation, LinkSpec, LinkType
from tests.link.conftest import link

A = Node("a", NodeType.COMP, (QNIC(2),))
B = Node("b", NodeType.COMP, (QNIC(2),))

CASES = [
    (
        lambda: LinkSpec(A, B, "MMI", Fibre(1.0)),  # type: ignore[arg-type]
        r"link a~b: type='MMI' is not a link type; expected one of MM, MIM, MSM",
    ),
    (
        lambda: LinkSpec(A, B, LinkType.MIM, Fibre(1.0), heralding="triple"),
        r"link a~b: heralding='triple'; expected one of double_click, single_click",
    ),
    (
        lambda: LinkSpec(A, B, LinkType.MM, Fibre(1.0), heralding="single_click"),
        r"single_click heralding needs a MIM link",
    ),
    (
        lambda: LinkSpec(A, B, LinkType.MIM, Fibre(1.0), bright_state_population=0.0),
        r"bright_state_population=0.0 is outside the valid range \(0, 1\)",
    ),
    (
        lambda: LinkSpec(A, B, LinkType.MIM, Fibre(1.0), middle_fraction=1.5),
        r"middle_fraction=1.5 is outside the valid range \[0, 1\]",
    ),
    (lambda: LinkSpec(A, A, LinkType.MIM, Fibre(1.0)), r"both ends are 'a'"),
    (
        lambda: LinkSpec(A, B, LinkType.MIM, Fibre(1.0), qnic_b=3),
        r"qnic_b=3 but node 'b' has 1 QNIC\(s\)",
    ),
    (
        lambda: LinkSpec(A, B, LinkType.MSM, Fibre(1.0), middle=Node("x", NodeType.BSA)),
        r"a MSM link needs a EPPS middle node; 'x' is BSA",
    ),
    (
        lambda: LinkSpec(A, B, LinkType.MM, Fibre(1.0), middle=Node("x", NodeType.BSA)),
        r"an MM link has no middle node",
    ),
    (
        lambda: LinkSpec(A, Node("x", NodeType.BSA), LinkType.MIM, Fibre(1.0)),
        r"end 'x' must be an end node or a repeater",
    ),
    (
        lambda: LinkSimulation(link("MIM", 1.0, 1), backend="qutip"),
        r"backend='qutip'; expected 'bell_diagonal' or 'density_matrix'",
    ),
    (
        lambda: LinkSimulation(link("MIM", 1.0, 1), monitor_fraction=2.0),
        r"monitor_fraction=2.0 is outside \[0, 1\]",
    ),
    (
        lambda: LinkSimulation(link("MIM", 1.0, 1)).run(-1.0),
        r"duration_s=-1.0 is invalid; expected a finite value > 0",
    ),
    (lambda: LinkSimulation(link("MIM", 1.0, 1), hold_s=-1.0), r"hold_s=-1.0 is invalid"),
]


@pytest.mark.parametrize(("make", "message"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_link_parameters(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LinkError, match=message) as info:
        make()
    assert isinstance(info.value, QrnaError)


def test_freeing_a_qubit_that_is_not_free_is_refused() -> None:
    sim = LinkSimulation(link("MIM", 1.0, 2), seed=1)
    sim.run(1e-5)
    with pytest.raises(LinkError, match=r"qubits \[0\] of QNIC 'a/qnic0' are not FREE"):
        sim.link.memories_freed(0, [0])


def _trace(seed: int) -> TraceRecorder:
    rec = TraceRecorder()
    LinkSimulation(link("MIM", 20.0, 10, t2_s=0.1), seed=seed, monitor_fraction=0.1, trace=rec).run(
        0.01
    )
    return rec


def test_same_seed_same_trace_event_for_event() -> None:
    a, b = _trace(7), _trace(7)
    assert a.count > 100
    assert a.events == b.events
    assert _trace(8).digest() != a.digest()
