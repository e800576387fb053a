"""Builders for link tests."""

from __future__ import annotations

import math

from qrna.hardware import BSA, EPPS, QNIC, Fibre, Node, NodeType
from qrna.link import LinkSpec, LinkType


def comp(name: str, memories: int, **qnic: float) -> Node:
    return Node(name, NodeType.COMP, (QNIC(memories=memories, **qnic),))  # type: ignore[arg-type]


def link(
    kind: str,
    length_km: float,
    memories: int,
    *,
    t2_s: float = math.inf,
    bsa: BSA | None = None,
    epps: EPPS | None = None,
    **extra: object,
) -> LinkSpec:
    a = comp("a", memories, t2_s=t2_s)
    b = comp("b", memories, t2_s=t2_s)
    middle = None
    if kind == "MIM":
        middle = Node("mid", NodeType.BSA, bsa=bsa or BSA())
    elif kind == "MSM":
        middle = Node("mid", NodeType.EPPS, epps=epps or EPPS())
    more = dict(extra)
    if kind == "MM" and bsa is not None:
        more["receiver_bsa"] = bsa
    return LinkSpec(a, b, LinkType(kind), Fibre(length_km), middle=middle, **more)  # type: ignore[arg-type]
