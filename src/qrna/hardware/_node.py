"""Node types of spec §4.1 as capabilities, and the static description of a node.

End nodes: MEAS (no memory: measures photons on arrival in a chosen or random basis), COMP and
SNSR (memories). Repeaters: REP1 (two interfaces, or one QNIC behind a two-port switch as in the
minimal repeater of spec Fig. 2), RTR (three or more QNICs). Support nodes: BSA, EPPS, OSW.
REP2, RGSS and ABSA are named by the spec but not modelled yet: they are refused with
``UnsupportedNodeTypeError``.

Addresses are hierarchical dotted names (spec §3.1), e.g. ``isp1.r4``: each label is letters,
digits, ``_`` or ``-``.

Example:
    >>> from qrna.hardware import QNIC, OpticalSwitch
    >>> Node("lab.rep", NodeType.REP1, qnics=(QNIC(memories=2),), switch=OpticalSwitch())
    ... # doctest: +ELLIPSIS
    Node(address='lab.rep', type=<NodeType.REP1: 'REP1'>, ...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from qrna.hardware._components import BSA, EPPS, QNIC, OpticalSwitch
from qrna.hardware._errors import HardwareError, UnsupportedNodeTypeError

__all__ = ["Node", "NodeType", "check_address", "qnic_address"]

_LABEL: Final = re.compile(r"[A-Za-z0-9_-]+")


class NodeType(Enum):
    """The node types of spec §4.1."""

    MEAS = "MEAS"
    COMP = "COMP"
    SNSR = "SNSR"
    REP1 = "REP1"
    REP2 = "REP2"
    RTR = "RTR"
    BSA = "BSA"
    EPPS = "EPPS"
    RGSS = "RGSS"
    ABSA = "ABSA"
    OSW = "OSW"

    @property
    def is_end_node(self) -> bool:
        """MEAS, COMP and SNSR: the nodes applications run on."""
        return self in (NodeType.MEAS, NodeType.COMP, NodeType.SNSR)

    @property
    def has_memory(self) -> bool:
        """Whether the type stores qubits (MEAS and the support nodes do not)."""
        return self in (NodeType.COMP, NodeType.SNSR, NodeType.REP1, NodeType.RTR)

    @property
    def is_support(self) -> bool:
        """BSA, EPPS, OSW: invisible to connection planning (spec §4.1)."""
        return self in (NodeType.BSA, NodeType.EPPS, NodeType.OSW)


_UNSUPPORTED: Final = {
    NodeType.REP2: "2G repeaters (logical qubits, error correction)",
    NodeType.RGSS: "repeater graph state sources (all-photonic repeaters)",
    NodeType.ABSA: "advanced Bell state analysers (all-photonic repeaters)",
}


def check_address(address: str) -> str:
    """Validate a hierarchical dotted node address such as ``isp1.r4``."""
    if not isinstance(address, str) or not all(_LABEL.fullmatch(p) for p in address.split(".")):
        raise HardwareError(
            f"address {address!r} is not a dotted name; expected labels of letters, digits, "
            "'_' or '-' joined by '.', e.g. 'isp1.r4'"
        )
    return address


def qnic_address(node: str, index: int) -> str:
    """The network address of QNIC ``index`` of ``node`` (spec §3.1: addresses name interfaces).

    >>> qnic_address("isp1.r4", 2)
    'isp1.r4/qnic2'
    """
    return f"{node}/qnic{index}"


@dataclass(frozen=True, slots=True)
class Node:
    """A node: its address, type and hardware.

    Attributes:
        address: hierarchical dotted name.
        type: a ``NodeType``.
        qnics: memory interfaces (none for MEAS and support nodes).
        switch: an optical switch in front of a single QNIC (the minimal repeater of Fig. 2).
        bsa: the analyser of a BSA node.
        epps: the source of an EPPS node.
        measurement_basis: for MEAS nodes: "X", "Y", "Z", or "random" (uniform over X and Z,
            as BB84/BBM92 receivers do).
        detector_efficiency: for MEAS nodes: efficiency of the measuring detectors.

    Raises:
        HardwareError: for hardware the type cannot have or must have.
        UnsupportedNodeTypeError: for REP2, RGSS and ABSA.
    """

    address: str
    type: NodeType
    qnics: tuple[QNIC, ...] = ()
    switch: OpticalSwitch | None = None
    bsa: BSA | None = None
    epps: EPPS | None = None
    measurement_basis: str = "random"
    detector_efficiency: float = 1.0

    def __post_init__(self) -> None:
        check_address(self.address)
        where = f"node {self.address!r}"
        if not isinstance(self.type, NodeType):
            raise HardwareError(
                f"{where}: type={self.type!r} is not a node type; expected one of "
                + ", ".join(t.value for t in NodeType)
            )
        if self.type in _UNSUPPORTED:
            raise UnsupportedNodeTypeError(
                f"{where}: node type {self.type.value} ({_UNSUPPORTED[self.type]}) is not "
                "supported yet; supported types: "
                + ", ".join(t.value for t in NodeType if t not in _UNSUPPORTED)
            )
        object.__setattr__(self, "qnics", tuple(self.qnics))
        n = len(self.qnics)
        if self.type.has_memory and n == 0:
            raise HardwareError(f"{where}: a {self.type.value} node needs at least one QNIC")
        if not self.type.has_memory and n:
            raise HardwareError(f"{where}: a {self.type.value} node has no memory; got {n} QNIC(s)")
        if self.type is NodeType.REP1 and not (n == 2 or (n == 1 and self.switch is not None)):
            raise HardwareError(
                f"{where}: a REP1 has two interfaces: two QNICs, or one QNIC behind a two-port "
                f"switch (spec Fig. 2); got {n} QNIC(s) and switch={self.switch!r}"
            )
        if self.type is NodeType.RTR and n < 3:
            raise HardwareError(f"{where}: an RTR has three or more QNICs; got {n}")
        if self.type is NodeType.BSA and self.bsa is None:
            object.__setattr__(self, "bsa", BSA())
        if self.type is NodeType.EPPS and self.epps is None:
            object.__setattr__(self, "epps", EPPS())
        if self.type is NodeType.OSW and self.switch is None:
            object.__setattr__(self, "switch", OpticalSwitch())
        if self.measurement_basis not in ("X", "Y", "Z", "random"):
            raise HardwareError(
                f"{where}: measurement_basis={self.measurement_basis!r}; expected one of "
                "'X', 'Y', 'Z', 'random'"
            )
        if not 0.0 <= self.detector_efficiency <= 1.0:
            raise HardwareError(
                f"{where}: detector_efficiency={self.detector_efficiency!r} is outside the "
                "valid range [0, 1]"
            )

    def qnic_address(self, index: int) -> str:
        """Address of this node's QNIC ``index``."""
        if not 0 <= index < len(self.qnics):
            raise HardwareError(
                f"node {self.address!r} has no QNIC {index}; it has {len(self.qnics)}"
            )
        return qnic_address(self.address, index)
