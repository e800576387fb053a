"""The link layer: heralded link-level entanglement over MM, MIM and MSM links, exact and cheap
(spec §1.3 task 1, §4.1), Bell-pair naming, and link monitoring."""

from qrna.link._cost import PurificationPlan, purification_plan, seconds_per_pair
from qrna.link._endpoint import (
    FreeQubits,
    LinkEndpoint,
    LocalHardware,
    MessageReceived,
    MonitorResult,
    PairsHeralded,
    PairsReady,
    RecordReady,
    SendMessage,
    monitor_basis,
)
from qrna.link._errors import LinkError
from qrna.link._heralding import HeraldModel, herald_model, single_click_state
from qrna.link._heralds import Heralds, MeasurementRecord
from qrna.link._monitor import LinkEstimate, LinkMonitor
from qrna.link._naming import PairName
from qrna.link._process import HeraldedLink
from qrna.link._sampler import AttemptSampler
from qrna.link._sim import LinkRunResult, LinkSimulation
from qrna.link._spec import HERALDING, LinkSpec, LinkType
from qrna.link._switch import SwitchedLinks

__all__ = [
    "AttemptSampler",
    "FreeQubits",
    "HERALDING",
    "HeraldModel",
    "HeraldedLink",
    "Heralds",
    "LinkEndpoint",
    "LinkError",
    "LinkEstimate",
    "LinkMonitor",
    "LinkRunResult",
    "LinkSimulation",
    "LinkSpec",
    "LinkType",
    "LocalHardware",
    "MeasurementRecord",
    "MessageReceived",
    "MonitorResult",
    "PairName",
    "PairsHeralded",
    "PairsReady",
    "PurificationPlan",
    "RecordReady",
    "SendMessage",
    "SwitchedLinks",
    "herald_model",
    "monitor_basis",
    "purification_plan",
    "seconds_per_pair",
    "single_click_state",
]
