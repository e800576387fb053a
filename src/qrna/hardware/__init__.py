"""Hardware: QNICs and memory qubits with T1/T2, fibres, BSAs, EPPSs, optical switches, node
types (spec §4.1), and the ground-truth store of the Bell pairs the memories hold."""

from qrna.hardware._components import BSA, EPPS, LIGHT_IN_FIBRE_M_PER_S, QNIC, Fibre, OpticalSwitch
from qrna.hardware._errors import HardwareError, UnsupportedNodeTypeError
from qrna.hardware._memory import MemoryBank, Qubit, QubitStatus
from qrna.hardware._node import Node, NodeType, check_address, qnic_address
from qrna.hardware._pairs import BellPair, Memory, PairStore
from qrna.hardware._purification import PurificationBook

__all__ = [
    "BSA",
    "BellPair",
    "EPPS",
    "Fibre",
    "HardwareError",
    "LIGHT_IN_FIBRE_M_PER_S",
    "Memory",
    "MemoryBank",
    "Node",
    "NodeType",
    "OpticalSwitch",
    "PairStore",
    "PurificationBook",
    "QNIC",
    "Qubit",
    "QubitStatus",
    "UnsupportedNodeTypeError",
    "check_address",
    "qnic_address",
]
