"""Scenario files (YAML, TOML, JSON) validated with pydantic, presets, and running them."""

from qrna.scenario._build import build_links, build_network
from qrna.scenario._errors import ScenarioError
from qrna.scenario._load import apply_override, load_scenario, read_scenario_file
from qrna.scenario._networks import Listing, listing, topology_graph
from qrna.scenario._presets import DEFAULT_PRESET, PRESETS
from qrna.scenario._run import Progress, Results, check_traffic, run
from qrna.scenario._schema import (
    ClassicalLinkConfig,
    LinkConfig,
    LinkSettings,
    NetworkConfig,
    NodeConfig,
    QNICConfig,
    Scenario,
    SimulationConfig,
    TopologyConfig,
    TrafficConfig,
)

__all__ = [
    "ClassicalLinkConfig",
    "DEFAULT_PRESET",
    "LinkConfig",
    "LinkSettings",
    "Listing",
    "NetworkConfig",
    "NodeConfig",
    "PRESETS",
    "Progress",
    "QNICConfig",
    "Results",
    "Scenario",
    "ScenarioError",
    "SimulationConfig",
    "TopologyConfig",
    "TrafficConfig",
    "apply_override",
    "build_links",
    "build_network",
    "check_traffic",
    "listing",
    "load_scenario",
    "read_scenario_file",
    "run",
    "topology_graph",
]
