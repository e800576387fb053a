"""Chain builders for the rules tests."""

from __future__ import annotations

import math

import pytest

import qrna.rules._engine
from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.link import LinkSpec, LinkType
from qrna.physics import GateNoise

# A compiled rule engine (tools/compile.py) has no instance __dict__ and cannot be subclassed
# from Python; the tests that read its attributes or subclass it run on the Python engine only
# (tools/compile.py --check compares the compiled engine's traces with the Python engine's).
introspects_engine = pytest.mark.skipif(
    not (qrna.rules._engine.__file__ or "").endswith(".py"),
    reason="reads the rule engine's Python attributes or subclasses it; the engine is compiled",
)


def chain(
    n: int,
    length_km: float = 5.0,
    memories: int = 4,
    emission_fidelity: float = 1.0,
    t2_s: float = math.inf,
    speed: float | None = None,
    noise: GateNoise | None = None,
) -> tuple[list[str], list[LinkSpec]]:
    """Node names and MIM links of an n-node chain: COMP ends, REP1 repeaters with one QNIC
    per side (QNIC 0 faces left, QNIC 1 faces right)."""
    names = [f"n{i}" for i in range(n)]
    qnic = QNIC(
        memories, emission_fidelity=emission_fidelity, t2_s=t2_s, gate_noise=noise or GateNoise.NONE
    )
    nodes = [
        Node(name, NodeType.COMP, (qnic,))
        if i in (0, n - 1)
        else Node(name, NodeType.REP1, (qnic, qnic))
        for i, name in enumerate(names)
    ]
    fibre = Fibre(length_km) if speed is None else Fibre(length_km, speed_m_per_s=speed)
    links = [
        LinkSpec(nodes[i], nodes[i + 1], LinkType.MIM, fibre, qnic_a=1 if i else 0, qnic_b=0)
        for i in range(n - 1)
    ]
    return names, links
