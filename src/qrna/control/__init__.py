"""Connections (spec §3.5, §4): control messages, two-pass setup, RuleSet generators,
qDijkstra routing, and a network that runs them."""

from qrna.control._errors import ControlError, GeneratorError
from qrna.control._estimate import estimate, estimate_state, memories_needed
from qrna.control._generator import (
    Accepted,
    Plan,
    Rejected,
    RuleSetGenerator,
    default_generator,
)
from qrna.control._manager import (
    ConnectionEvent,
    ConnectionManager,
    ManagerEffect,
    Release,
    Reserve,
    Wake,
)
from qrna.control._messages import (
    CONTROL_VERSION,
    ConnectionSetupReject,
    ConnectionSetupRequest,
    ConnectionSetupResponse,
    ConnectionTeardown,
    ControlMessage,
    HopRecord,
    LinkState,
    LinkStateAdvertisement,
    PlanRequest,
    RejectReason,
    message_from_dict,
    message_to_dict,
)
from qrna.control._network import ConnectionReport, Network, NetworkResult
from qrna.control._plugins import load_generator
from qrna.control._routing import METRICS, Metric, RoutingDaemon, SendControl, qdijkstra_cost
from qrna.control._topology import line_network, links_from_graph, random_graph
from qrna.control._virtual import offer, planned_link
from qrna.link import PurificationPlan, purification_plan, seconds_per_pair  # re-exported

__all__ = [
    "Accepted",
    "CONTROL_VERSION",
    "ConnectionEvent",
    "ConnectionManager",
    "ConnectionReport",
    "ConnectionSetupReject",
    "ConnectionSetupRequest",
    "ConnectionSetupResponse",
    "ConnectionTeardown",
    "ControlError",
    "ControlMessage",
    "GeneratorError",
    "HopRecord",
    "LinkState",
    "LinkStateAdvertisement",
    "METRICS",
    "ManagerEffect",
    "Metric",
    "Network",
    "NetworkResult",
    "Plan",
    "PlanRequest",
    "PurificationPlan",
    "RejectReason",
    "Rejected",
    "Release",
    "Reserve",
    "RoutingDaemon",
    "RuleSetGenerator",
    "SendControl",
    "Wake",
    "default_generator",
    "estimate",
    "estimate_state",
    "line_network",
    "links_from_graph",
    "load_generator",
    "memories_needed",
    "message_from_dict",
    "message_to_dict",
    "offer",
    "planned_link",
    "purification_plan",
    "qdijkstra_cost",
    "random_graph",
    "seconds_per_pair",
]
