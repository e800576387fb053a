"""The scenario file format, validated at the boundary with pydantic (DESIGN.md: config).

A scenario describes hardware defaults, nodes, links (or a generated topology), optional
classical links, traffic (who connects to whom, how many pairs, at what fidelity, with which
application) and the simulation settings. Every model refuses unknown fields, so a typo is an
error naming its path rather than a silently ignored setting. ``Scenario.model_json_schema()``
is the published JSON Schema (``qrna schema``).

Example:
    >>> s = Scenario.model_validate({"topology": {"kind": "chain", "nodes": 3},
    ...                              "traffic": [{"initiator": "n0", "responder": "n2"}]})
    >>> s.traffic[0].app, s.simulation.duration_s
    ('pairs', 0.1)
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ClassicalLinkConfig",
    "LinkConfig",
    "NodeConfig",
    "QNICConfig",
    "Scenario",
    "SimulationConfig",
    "TopologyConfig",
    "TrafficConfig",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Lifetime = Annotated[float, Field(gt=0.0)]  # a memory time: .inf means no decay
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QNICConfig(_Strict):
    """A node's memory interface: one per link the node has."""

    memories: Annotated[int, Field(ge=1)] = 8
    t1_s: Lifetime = math.inf
    t2_s: Lifetime = math.inf
    emission_efficiency: Probability = 1.0
    absorption_efficiency: Probability = 1.0
    emission_fidelity: Annotated[float, Field(ge=0.25, le=1.0)] = 1.0
    emission_interval_s: Positive = 1e-8
    cnot_error: Probability = 0.0
    single_qubit_error: Probability = 0.0
    readout_error: Probability = 0.0


class NodeConfig(_Strict):
    """A node; ``qnic`` overrides the scenario's default QNIC for this node. A MEAS node has
    no memories: it measures each photon on arrival in ``measurement_basis`` ("random": X or
    Z), and ends MM links (as ``b``) or MSM links."""

    name: Name
    type: Literal["MEAS", "COMP", "SNSR", "REP1", "RTR"] = "RTR"
    qnic: QNICConfig | None = None
    measurement_basis: Literal["X", "Y", "Z", "random"] = "random"  # MEAS nodes


class LinkConfig(_Strict):
    """A quantum link between nodes ``a`` and ``b``."""

    a: Name
    b: Name
    type: Literal["MIM", "MM", "MSM"] = "MIM"
    length_km: NonNegative = 10.0
    loss_db_per_km: NonNegative = 0.2
    heralding: Literal["double_click", "single_click"] = "double_click"
    bright_state_population: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.1
    detector_efficiency: Probability = 1.0
    dark_count_probability: Probability = 0.0
    visibility: Probability = 1.0
    pair_probability: Probability = 1.0  # MSM source
    source_fidelity: Annotated[float, Field(ge=0.25, le=1.0)] = 1.0  # MSM source
    emission_fidelity: Annotated[float, Field(ge=0.25, le=1.0)] | None = None
    memories: Annotated[int, Field(ge=1)] | None = None  # per end, overrides the QNIC's


class ClassicalLinkConfig(_Strict):
    """A classical channel; when any are given they are the whole classical network."""

    a: Name
    b: Name
    delay_s: NonNegative


class TopologyConfig(_Strict):
    """A generated topology (instead of listing nodes and links): nodes are named n0, n1, …
    (``random``: r0, r1, …); every link gets ``link``'s settings."""

    kind: Literal["chain", "ring", "grid", "star", "dumbbell", "random"]
    nodes: Annotated[int, Field(ge=2, le=10_000)] = 4
    columns: Annotated[int, Field(ge=1)] | None = None  # grid: default a near-square grid
    degree: Positive = 3.0  # random: mean links per node
    seed: Annotated[int, Field(ge=0)] = 0  # random
    link: LinkConfig | None = None  # a, b ignored; default: LinkConfig defaults


class TrafficConfig(_Strict):
    """A connection and the application that uses it."""

    initiator: Name
    responder: Name
    app: Literal["pairs", "qkd", "teleport", "tomography", "sensing"] = "pairs"
    pairs: Annotated[int, Field(ge=1)] | None = None
    duration_s: Positive | None = None
    fidelity: Annotated[float, Field(ge=0.25, le=1.0)] = 0.8
    start_s: NonNegative = 1e-3
    memories: Annotated[int, Field(ge=1)] = 4
    name: Name | None = None

    @model_validator(mode="after")
    def _demand(self) -> TrafficConfig:
        if self.pairs is not None and self.duration_s is not None:
            raise ValueError("give pairs or duration_s, not both")
        if self.initiator == self.responder:
            raise ValueError(f"initiator and responder are both {self.initiator!r}")
        return self


class SimulationConfig(_Strict):
    duration_s: Positive = 0.1
    seed: Annotated[int, Field(ge=0)] = 1
    backend: Literal["bell_diagonal", "density_matrix"] = "bell_diagonal"
    generator: str = "qrna.control:default_generator"
    metric: Literal["qdijkstra", "hops", "length"] = "qdijkstra"
    jitter: NonNegative = 0.0
    monitor_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0  # link monitoring
    monitor_interval_s: Positive = 0.01


class Scenario(_Strict):
    """A whole scenario file."""

    name: Name = "scenario"
    description: str = ""
    qnic: QNICConfig = QNICConfig()
    nodes: list[NodeConfig] = []
    links: list[LinkConfig] = []
    topology: TopologyConfig | None = None
    classical_links: list[ClassicalLinkConfig] = []
    traffic: list[TrafficConfig] = []
    simulation: SimulationConfig = SimulationConfig()

    @model_validator(mode="after")
    def _one_topology(self) -> Scenario:
        if self.topology is not None and (self.nodes or self.links):
            raise ValueError("give either topology or nodes and links, not both")
        if self.topology is None and not self.links:
            raise ValueError("a scenario needs links (or a topology)")
        return self
