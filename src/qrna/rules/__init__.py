"""RuleSets (spec §3.2–3.4): the data model, its JSON form and schema, the rule engine, chain
RuleSets and node software on a chain."""

from qrna.rules._chain import (
    SWAP_ORDERS,
    chain_rulesets,
    segment_levels,
    segment_plan,
    swap_schedule,
)
from qrna.rules._chain_sim import ChainResult, ChainSimulation, NodeHardware, free_memory
from qrna.rules._codec import (
    ruleset_from_dict,
    ruleset_from_json,
    ruleset_schema,
    ruleset_to_dict,
    ruleset_to_json,
)
from qrna.rules._delivery import DeliveredPair, DeliveryLedger
from qrna.rules._effects import (
    EngineEffect,
    EngineHardware,
    FreeQubit,
    MeasurementDone,
    PairDelivered,
    Send,
    SetTimer,
)
from qrna.rules._engine import RuleEngine
from qrna.rules._errors import RuleSetDecodeError, RuleSetError
from qrna.rules._messages import FreeResource, Message, PurificationResult, SwapResult
from qrna.rules._model import (
    ACTIONS,
    ANY_PARTNER,
    CLAUSES,
    VERSION,
    Action,
    Clause,
    Deliver,
    Discard,
    EnoughResources,
    Increment,
    Measure,
    Promote,
    Purify,
    ResourceOlderThan,
    Rule,
    RuleSet,
    Stage,
    Swap,
    VariableBelow,
)
from qrna.rules._runtime import EngineRuntime
from qrna.rules._verify import Violation, verify

__all__ = [
    "ACTIONS",
    "ANY_PARTNER",
    "Action",
    "CLAUSES",
    "ChainResult",
    "ChainSimulation",
    "Clause",
    "Deliver",
    "DeliveredPair",
    "DeliveryLedger",
    "Discard",
    "EngineEffect",
    "EngineHardware",
    "EngineRuntime",
    "EnoughResources",
    "FreeQubit",
    "FreeResource",
    "Increment",
    "Measure",
    "MeasurementDone",
    "Message",
    "NodeHardware",
    "PairDelivered",
    "Promote",
    "PurificationResult",
    "Purify",
    "ResourceOlderThan",
    "Rule",
    "RuleEngine",
    "RuleSet",
    "RuleSetDecodeError",
    "RuleSetError",
    "SWAP_ORDERS",
    "Send",
    "SetTimer",
    "Stage",
    "Swap",
    "SwapResult",
    "VERSION",
    "VariableBelow",
    "Violation",
    "chain_rulesets",
    "free_memory",
    "ruleset_from_dict",
    "ruleset_from_json",
    "ruleset_schema",
    "ruleset_to_dict",
    "ruleset_to_json",
    "segment_levels",
    "segment_plan",
    "swap_schedule",
    "verify",
]
