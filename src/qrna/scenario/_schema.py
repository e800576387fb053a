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

from qrna.hardware import LIGHT_IN_FIBRE_M_PER_S

__all__ = [
    "ClassicalLinkConfig",
    "LinkConfig",
    "LinkSettings",
    "NetworkConfig",
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
StateFidelity = Annotated[float, Field(ge=0.25, le=1.0)]  # 1/4: the fully mixed state
Count = Annotated[int, Field(ge=1)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")]
Label = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")]  # one label of a hierarchical name
# A generator name (``default``, an entry point's name) or a dotted path ``module:attribute``;
# what it may import is decided when the network is built (``qrna.control.load_generator``).
GeneratorName = Annotated[str, Field(pattern=r"^[A-Za-z_][\w.-]*(:[A-Za-z_]\w*)?$")]


class _Strict(BaseModel):
    # strict: no coercion. ``true`` is not 1 km, ``"5"`` is not a number, ``1.0`` is not a
    # seed; an int is still a float (``length_km: 10``).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class QNICConfig(_Strict):
    """A node's memory interface: one per link the node has."""

    memories: Count = Field(default=8, description="Memory qubits in the QNIC (count).")
    t1_s: Lifetime = Field(
        default=math.inf, description="Memory relaxation time T1 (s); .inf (the default): no decay."
    )
    t2_s: Lifetime = Field(
        default=math.inf, description="Memory dephasing time T2 (s), at most 2·T1; .inf: no decay."
    )
    emission_efficiency: Probability = Field(
        default=1.0, description="Probability that an emitted photon enters the fibre (0 to 1)."
    )
    absorption_efficiency: Probability = Field(
        default=1.0,
        description="Probability that an arriving photon is absorbed by a memory (0 to 1).",
    )
    emission_fidelity: StateFidelity = Field(
        default=1.0,
        description="Fidelity of the memory-photon state at emission (0.25 to 1; 1: perfect).",
    )
    emission_interval_s: Positive = Field(
        default=1e-8, description="Time between two emissions of one memory (s)."
    )
    cnot_error: Probability = Field(
        default=0.0, description="Depolarising error probability of a CNOT gate (0 to 1)."
    )
    single_qubit_error: Probability = Field(
        default=0.0, description="Depolarising error probability of a single-qubit gate (0 to 1)."
    )
    readout_error: Probability = Field(
        default=0.0, description="Probability that a measurement reports the wrong result (0 to 1)."
    )
    swap_degradation: Probability = Field(
        default=1.0,
        description="Probability that a swap's resulting pair survives it (0 to 1; 1: no loss): "
        "otherwise it is replaced by the maximally mixed state.",
    )
    reinit_s: NonNegative = Field(
        default=0.0,
        description="Time a memory takes to be re-initialised before it attempts again (s); "
        "a link's round lasts at least that long.",
    )
    swap_success_probability: Probability = Field(
        default=1.0,
        description="Probability that a swap's Bell measurement succeeds (0 to 1; linear "
        "optics: 0.5); a failed one loses both pairs.",
    )
    memory_noise: Literal["t1t2", "depolarising"] = Field(
        default="t1t2",
        description="How an idle memory qubit decays: t1t2 (relaxation t1_s and dephasing "
        "t2_s) or depolarising (idle for t, it is replaced by the maximally mixed state with "
        "probability 1 - exp(-t/depolarising_time_s)); the other model's times stay .inf.",
    )
    depolarising_time_s: Lifetime = Field(
        default=math.inf,
        description="Time constant of depolarising memory noise (s; memory_noise: "
        "depolarising); .inf (the default): no decay.",
    )
    frame_correction_gate: bool = Field(
        default=False,
        description="A swap's Pauli-frame correction at this node is a physical gate, with "
        "single_qubit_error's depolarising error on the corrected qubit (default false: "
        "classical bookkeeping, no error).",
    )


class NodeConfig(_Strict):
    """A node; ``qnic`` overrides the scenario's default QNIC for this node. A MEAS node has
    no memories: it measures each photon on arrival in ``measurement_basis`` ("random": X or
    Z), and ends MM links (as ``b``) or MSM links."""

    name: Name = Field(description="The node's name (letters, digits, '_', '-', '.').")
    type: Literal["MEAS", "COMP", "SNSR", "REP1", "RTR"] = Field(
        default="RTR",
        description="MEAS (measures on arrival), COMP or SNSR (end nodes), REP1 (repeater of two "
        "links), RTR (router).",
    )
    qnic: QNICConfig | None = Field(
        default=None, description="This node's QNICs (default: the scenario's qnic)."
    )
    measurement_basis: Literal["X", "Y", "Z", "random"] = Field(
        default="random", description="A MEAS node's basis; random: X or Z, even odds."
    )


class LinkSettings(_Strict):
    """A quantum link's settings, its ends aside (a generated topology's every link)."""

    type: Literal["MIM", "MM", "MSM"] = Field(
        default="MIM",
        description="MIM: both ends emit to a BSA in the middle; MM: a emits to b; MSM: an "
        "entangled-pair source in the middle sends to both.",
    )
    length_km: NonNegative = Field(default=10.0, description="Fibre length, end to end (km).")
    loss_db_per_km: NonNegative = Field(default=0.2, description="Fibre attenuation (dB/km).")
    speed_m_per_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = Field(
        default=LIGHT_IN_FIBRE_M_PER_S,
        description="Signal speed in the fibre (m/s; photons, heralds and, on the default "
        "classical network, messages).",
    )
    pauli_error_per_km: Probability = Field(
        default=0.0,
        description="Probability per km that a photon's qubit is depolarised (0 to 1).",
    )
    heralding: Literal["double_click", "single_click"] = Field(
        default="double_click", description="MIM heralding scheme."
    )
    bright_state_population: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        default=0.1,
        description="Single-click heralding's bright-state population θ² (0 to 1, open).",
    )
    detector_efficiency: Probability = Field(
        default=1.0, description="Probability that a detector clicks on a photon (0 to 1)."
    )
    dark_count_probability: Probability = Field(
        default=0.0, description="Probability of a dark count per detection window (0 to 1)."
    )
    visibility: Probability = Field(
        default=1.0, description="Two-photon interference visibility at the BSA (0 to 1)."
    )
    pair_probability: Probability = Field(
        default=1.0, description="MSM: probability the source emits a pair per attempt (0 to 1)."
    )
    source_fidelity: StateFidelity = Field(
        default=1.0, description="MSM: fidelity of the source's pairs (0.25 to 1)."
    )
    emission_fidelity: StateFidelity | None = Field(
        default=None,
        description="Memory-photon fidelity on this link (0.25 to 1; default: the QNIC's).",
    )
    memories: Count | None = Field(
        default=None, description="Memories per end on this link (count; default: the QNIC's)."
    )


class LinkConfig(LinkSettings):
    """A quantum link between nodes ``a`` and ``b``."""

    a: Name = Field(description="The node at one end (an MM link's emitting end).")
    b: Name = Field(description="The node at the other end (an MM link's receiving end).")


class ClassicalLinkConfig(_Strict):
    """A classical channel; when any are given they are the whole classical network."""

    a: Name = Field(description="The node at one end.")
    b: Name = Field(description="The node at the other end.")
    delay_s: NonNegative = Field(description="One-way message delay (s).")


class TopologyConfig(_Strict):
    """A generated topology (instead of listing nodes and links): nodes are named n0, n1, …
    (``random``: r0, r1, …); every link gets ``link``'s settings."""

    kind: Literal["chain", "ring", "grid", "star", "dumbbell", "random"] = Field(
        description="The shape: chain, ring, grid (rows of columns), star (n0 in the middle), "
        "dumbbell (two joined stars), random (connected)."
    )
    nodes: Annotated[int, Field(ge=2, le=10_000)] = Field(default=4, description="Nodes (count).")
    columns: Count | None = Field(
        default=None, description="grid: nodes per row (count; default: a near-square grid)."
    )
    degree: Positive = Field(default=3.0, description="random: mean links per node.")
    seed: Annotated[int, Field(ge=0)] = Field(default=0, description="random: the graph's seed.")
    link: LinkSettings | None = Field(
        default=None,
        description="Settings of every link (no a and b: the generator joins the nodes; "
        "default: the link defaults).",
    )


class NetworkConfig(_Strict):
    """A network (administrative domain, spec §5) inside the scenario or inside another
    network. Its nodes are named by the networks holding it: the node ``r3`` of the network
    ``metro2`` inside ``isp1`` is ``isp1.metro2.r3``. A link of a network names its ends
    relative to it: ``r3`` (a node of its own) or ``metro2.r3`` (a node of a network in it),
    so the links between two networks are listed by the network holding both (the scenario's
    own ``links`` for networks at the top). A node with a link leaving its network is a
    border of it and relays between networks: type REP1 or RTR, unless it is the network's only
    node (a generated node is typed by all its links)."""

    name: Label = Field(description="The network's label (letters, digits, '_', '-').")
    description: str = Field(default="", description="Free text about the network.")
    qnic: QNICConfig | None = Field(
        default=None,
        description="The default QNIC of the nodes in this network and the networks in it "
        "(default: the enclosing network's).",
    )
    nodes: list[NodeConfig] = Field(
        default_factory=list,
        description="Its own nodes (labels without dots; with links, or give topology).",
    )
    links: list[LinkConfig] = Field(
        default_factory=list,
        description="Links between its nodes and the nodes of the networks in it, named "
        "relative to this network.",
    )
    topology: TopologyConfig | None = Field(
        default=None,
        description="A generated interior (nodes n0, n1, …) instead of nodes; links may "
        "join its nodes to the networks inside.",
    )
    networks: list[NetworkConfig] = Field(
        default_factory=list, description="The networks inside this one."
    )
    offer_fidelity: Annotated[float, Field(gt=0.5, lt=1.0)] | None = Field(
        default=None,
        description="The fidelity of the pairs this network makes between two of its borders "
        "for the layer above (its virtual links, spec §5: its policy; it purifies inside to "
        "reach it). Default: a connection across it is asked the fidelity of the connection "
        "it serves, and its virtual links are advertised as planned without purification.",
    )
    generator: GeneratorName | None = Field(
        default=None,
        description="The RuleSet generator its Responders run: the plans of connections "
        "across it and of its offers (names as simulation.generator). Default: the enclosing "
        "network's (at the top, simulation.generator).",
    )
    metric: Literal["qdijkstra", "hops", "length"] | None = Field(
        default=None,
        description="The routing cost in its layer (as simulation.metric). Default: the "
        "enclosing network's (at the top, simulation.metric).",
    )

    @model_validator(mode="after")
    def _one_topology(self) -> NetworkConfig:
        if self.topology is not None and self.nodes:
            raise ValueError("give either topology or nodes, not both")
        return self


Scheme = Literal["bbpssw", "dejmps", "single_x", "single_z", "double_x", "double_z"]


class PlanConfig(_Strict):
    """What the connection's plan must be: each field given is one the Responder's generator
    follows, the rest it chooses (every field given: that one plan)."""

    link_scheme: Scheme | None = Field(default=None, description="Link purification scheme.")
    link_rounds: Annotated[int, Field(ge=0, le=5)] | None = Field(
        default=None, description="Rounds of link purification (0 to 5)."
    )
    swap_order: Literal["nested", "sequential"] | None = Field(
        default=None, description="Swap order: nested (doubling) or sequential."
    )
    e2e_scheme: Scheme | None = Field(default=None, description="End-to-end purification scheme.")
    e2e_rounds: Annotated[int, Field(ge=0, le=5)] | None = Field(
        default=None, description="Rounds of end-to-end purification (0 to 5)."
    )
    segment_rounds: list[Annotated[int, Field(ge=0, le=5)]] | None = Field(
        default=None,
        max_length=16,
        description="Rounds of purification of the segments each swap level makes, level 1 "
        "(the smallest swapped segments) first; levels past the list are not purified.",
    )
    segment_schemes: list[Scheme] | None = Field(
        default=None,
        max_length=16,
        description="Scheme per level of segment_rounds, one each (default: dejmps).",
    )
    link_pumping: bool | None = Field(
        default=None,
        description="Link purification by entanglement pumping (true: n rounds take n + 1 "
        "pairs, one chain at a time) or recurrence (false); default: the generator weighs both.",
    )
    segment_pumping: list[bool] | None = Field(
        default=None,
        max_length=16,
        description="Pumping (true) or recurrence (false) per level of segment_rounds, one "
        "each (default: recurrence).",
    )
    e2e_pumping: bool | None = Field(
        default=None,
        description="End-to-end purification by pumping (true) or recurrence (false); "
        "default: the generator weighs both.",
    )

    discard_after_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        default=None,
        description="Discard timer of the lowest swap level (s; the levels above wait "
        "longer); must exceed the path's one-way latency.",
    )
    objective: Literal["rate", "fidelity"] | None = Field(
        default=None,
        description="Choose the plan of highest rate at the target fidelity (rate, the "
        "default) or of highest fidelity (fidelity).",
    )
    min_rate_hz: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        default=None, description="Only plans estimated to deliver at least this many pairs/s."
    )
    twirl: bool = Field(
        default=False,
        description="Every purification first twirls its input pairs to the Werner state of "
        "their fidelity (BBPSSW's original protocol, for any scheme); default false.",
    )
    until: Annotated[float, Field(gt=0.5, lt=1, allow_inf_nan=False)] | None = Field(
        default=None,
        description="Working fidelity instead of rounds (Dür-Briegel): the link level and each "
        "swap level below the top are purified the fewest rounds (at most 4) that bring the "
        "level's estimated fidelity to it, end to end the fewest that reach the connection's "
        "fidelity; not with link_rounds, segment_rounds or e2e_rounds. segment_schemes and "
        "segment_pumping then list levels from 1 up (past the list: dejmps, recurrence).",
    )

    @model_validator(mode="after")
    def _one_scheme_per_level(self) -> PlanConfig:
        for name in ("link_rounds", "segment_rounds", "e2e_rounds"):
            if self.until is not None and getattr(self, name) is not None:
                raise ValueError(
                    f"until={self.until!r} and {name}={getattr(self, name)!r} both fix "
                    "rounds: give one of them"
                )
        for name in ("segment_schemes", "segment_pumping"):
            given = getattr(self, name)
            # Given without segment_rounds, even empty, is refused here as PlanRequest does
            # (with until, they list levels from 1 up without rounds).
            if (
                given is not None
                and self.until is None
                and (self.segment_rounds is None or len(given) != len(self.segment_rounds))
            ):
                raise ValueError(
                    f"{name} has {len(given)} entries; give segment_rounds with one entry per level"
                )
        return self


class TrafficConfig(_Strict):
    """A connection and the application that uses it."""

    initiator: Name = Field(description="The node that asks for the connection.")
    responder: Name = Field(description="The node at the other end; its generator plans it.")
    app: Literal["pairs", "qkd", "teleport", "tomography", "sensing"] = Field(
        default="pairs", description="The application using the pairs (pairs: deliver them only)."
    )
    pairs: Count | None = Field(
        default=None, description="Pairs to deliver, then tear down (count; or give duration_s)."
    )
    duration_s: Positive | None = Field(
        default=None,
        description="How long to keep the connection up (s; default with no pairs: the run).",
    )
    fidelity: StateFidelity = Field(
        default=0.8, description="The least fidelity of a delivered pair (0.25 to 1)."
    )
    start_s: NonNegative = Field(
        default=1e-3, description="When the initiator asks (s), before simulation.duration_s."
    )
    memories: Count = Field(
        default=4, description="Memories reserved per QNIC on the path (count)."
    )
    name: Name | None = Field(
        default=None, description="The connection's name (default: c1, c2, …)."
    )
    plan: PlanConfig | None = Field(
        default=None,
        description="Forces (every field) or narrows (some) the plan the generator chooses.",
    )
    best_effort: bool = Field(
        default=False,
        description="If no plan reaches the fidelity, take the nearest instead of a refusal "
        "(summary: plan.best_effort, estimated_fidelity).",
    )

    @model_validator(mode="after")
    def _demand(self) -> TrafficConfig:
        if self.pairs is not None and self.duration_s is not None:
            raise ValueError("give pairs or duration_s, not both")
        if self.initiator == self.responder:
            raise ValueError(f"initiator and responder are both {self.initiator!r}")
        return self


class SimulationConfig(_Strict):
    """How the run goes: its length, seed, state backend, generator, routing and noise."""

    duration_s: Positive = Field(default=0.1, description="Simulated time (s).")
    seed: Annotated[int, Field(ge=0)] = Field(
        default=1, description="Root seed (an integer >= 0); the same seed gives the same run."
    )
    backend: Literal["bell_diagonal", "density_matrix"] = Field(
        default="bell_diagonal", description="How two-qubit states are held."
    )
    generator: GeneratorName = Field(
        default="default",
        description="The RuleSet generator: default, a name registered under the entry point "
        "group qrna.generators, a path into qrna, or (with --allow-plugin) any module:attribute.",
    )
    metric: Literal["qdijkstra", "hops", "length"] = Field(
        default="qdijkstra",
        description="Routing cost: qdijkstra (seconds per pair), hops or length.",
    )
    jitter: NonNegative = Field(
        default=0.0,
        description="Extra classical delay of each message, uniform in [0, jitter × its delay] "
        "(a fraction of the delay, no unit).",
    )
    monitor_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        default=0.0,
        description="Fraction of link pairs measured for link monitoring (0 to 1, open).",
    )
    monitor_interval_s: Positive = Field(
        default=0.01, description="Time between link-monitoring reports (s)."
    )


class Scenario(_Strict):
    """A whole scenario file."""

    name: Name = Field(
        default="scenario", description="The scenario's name (in results and reports)."
    )
    description: str = Field(default="", description="Free text about the scenario.")
    qnic: QNICConfig = Field(default=QNICConfig(), description="Every node's default QNIC.")
    nodes: list[NodeConfig] = Field(
        default_factory=list, description="The nodes (with links; or give topology)."
    )
    links: list[LinkConfig] = Field(
        default_factory=list, description="The quantum links between nodes."
    )
    topology: TopologyConfig | None = Field(
        default=None, description="A generated topology instead of nodes and links."
    )
    networks: list[NetworkConfig] = Field(
        default_factory=list,
        description="Networks (administrative domains, spec §5), each with its own nodes, "
        "links and networks; the scenario's links may join their nodes by full name.",
    )
    classical_links: list[ClassicalLinkConfig] = Field(
        default_factory=list,
        description="The classical network (default: along the quantum links' fibres, "
        "at the speed of light in fibre).",
    )
    traffic: list[TrafficConfig] = Field(
        default_factory=list, description="The connections and their apps."
    )
    simulation: SimulationConfig = Field(
        default=SimulationConfig(),
        description="Run settings: duration, seed, backend, generator, …",
    )

    @model_validator(mode="after")
    def _one_topology(self) -> Scenario:
        # With networks, links beside a topology join its nodes to them.
        if self.topology is not None and (self.nodes or (self.links and not self.networks)):
            raise ValueError(
                "give either topology or nodes, not both"
                if self.networks
                else "give either topology or nodes and links, not both"
            )
        if self.topology is None and not self.links and not self.networks:
            raise ValueError("a scenario needs links (or a topology, or networks)")
        return self
