"""From a validated ``Scenario`` to the simulator's frozen objects: nodes, links, the classical
network, and a ``Network`` ready to run.

The nodes and links are the scenario's listing (``listing``: declared or generated, flat or
in networks, with full names); an error names the field of the file a node or link came from.
A node gets one QNIC per link, in the order the links are listed.
"""

from __future__ import annotations

import networkx as nx

from qrna.control import ControlError, Network, load_generator
from qrna.hardware import BSA, EPPS, QNIC, Fibre, Node, NodeType
from qrna.link import LinkSpec, LinkType
from qrna.physics import GateNoise
from qrna.scenario._errors import ScenarioError
from qrna.scenario._networks import Listing, listing
from qrna.scenario._schema import LinkConfig, NodeConfig, QNICConfig, Scenario

__all__ = ["build_links", "build_network"]


def _qnic(cfg: QNICConfig, link: LinkConfig) -> QNIC:
    return QNIC(
        link.memories or cfg.memories,
        t1_s=cfg.t1_s,
        t2_s=cfg.t2_s,
        emission_efficiency=cfg.emission_efficiency,
        absorption_efficiency=cfg.absorption_efficiency,
        emission_interval_s=cfg.emission_interval_s,
        gate_noise=GateNoise(
            cfg.cnot_error,
            cfg.single_qubit_error,
            cfg.readout_error,
            cfg.swap_degradation,
            cfg.swap_success_probability,
        ),
        emission_fidelity=(
            cfg.emission_fidelity if link.emission_fidelity is None else link.emission_fidelity
        ),
        reinit_s=cfg.reinit_s,
        memory_noise=cfg.memory_noise,
        depolarising_time_s=cfg.depolarising_time_s,
        frame_correction_gate=cfg.frame_correction_gate,
    )


def build_links(s: Scenario, listed: Listing | None = None) -> list[LinkSpec]:
    """The scenario's links, with their nodes (of its ``listing``, when given); errors name
    the field at fault."""
    listed = listing(s) if listed is None else listed
    nodes, links = listed.nodes, listed.links
    node_at, link_at = listed.node_fields, listed.link_fields
    configs: dict[str, NodeConfig] = {}
    index: dict[str, int] = {}
    for j, node in enumerate(nodes):
        if node.name in configs:
            raise ScenarioError(f"{node_at[j]}.name", f"node {node.name!r} is listed twice")
        configs[node.name] = node
        index[node.name] = j
    ports: dict[str, list[tuple[int, LinkConfig]]] = {name: [] for name in configs}
    joined: dict[frozenset[str], int] = {}
    for i, link in enumerate(links):
        for end in ("a", "b"):
            name = getattr(link, end)
            if name not in configs:
                raise ScenarioError(
                    f"{link_at[i]}.{end}",
                    f"unknown node {name!r}; nodes: {', '.join(sorted(configs)) or 'none'}",
                )
            ports[name].append((i, link))
        if link.a == link.b:
            raise ScenarioError(link_at[i], f"a link from {link.a!r} to itself")
        pair = frozenset((link.a, link.b))
        if pair in joined:
            raise ScenarioError(
                link_at[i],
                f"a second link between {link.a!r} and {link.b!r} ({link_at[joined[pair]]} "
                "joins them already); two nodes share at most one quantum link",
            )
        joined[pair] = i
    built: dict[str, Node] = {}
    for name, cfg in configs.items():
        j = index[name]
        if not ports[name]:
            raise ScenarioError(node_at[j], f"node {name!r} has no link")
        qnic_cfg = cfg.qnic or s.qnic
        node_type = NodeType(cfg.type)
        where = listed.qnic_fields[j]
        try:
            qnics = (
                ()
                if node_type is NodeType.MEAS
                else tuple(_qnic(qnic_cfg, link) for _, link in ports[name])
            )
        except ValueError as exc:
            raise ScenarioError(where, str(exc)) from None
        try:
            built[name] = Node(name, node_type, qnics, measurement_basis=cfg.measurement_basis)
        except ValueError as exc:
            raise ScenarioError(f"{node_at[j]}.type", str(exc)) from None
    out = []
    for i, link in enumerate(links):
        qa = [k for k, _ in ports[link.a]].index(i)
        qb = [k for k, _ in ports[link.b]].index(i)
        try:
            bsa = BSA(link.detector_efficiency, link.dark_count_probability, link.visibility)
            kind = LinkType(link.type)
            middle = None
            if kind is LinkType.MSM:
                source = EPPS(
                    link.pair_probability,
                    link.source_fidelity,
                    link.detector_efficiency,
                    link.dark_count_probability,
                )
                middle = Node(
                    f"epps-{link.a}-{link.b}".replace(".", "_"), NodeType.EPPS, epps=source
                )
            elif kind is LinkType.MIM:
                middle = Node(f"bsa-{link.a}-{link.b}".replace(".", "_"), NodeType.BSA, bsa=bsa)
            out.append(
                LinkSpec(
                    built[link.a],
                    built[link.b],
                    kind,
                    Fibre(
                        link.length_km,
                        link.loss_db_per_km,
                        link.speed_m_per_s,
                        link.pauli_error_per_km,
                    ),
                    middle=middle,
                    qnic_a=qa,
                    qnic_b=qb,
                    heralding=link.heralding,
                    bright_state_population=link.bright_state_population,
                    receiver_bsa=bsa,
                )
            )
        except ValueError as exc:
            raise ScenarioError(link_at[i], str(exc)) from None
    return out


def build_network(s: Scenario, seed: int | None = None, *, allow_plugins: bool = False) -> Network:
    """A ``Network`` of the scenario's links and classical network, traffic not yet added.

    Besides the links (``build_links``), refused here with a ``ScenarioError`` naming the field:
    a generator the scenario may not import (``allow_plugins`` lets it name any
    ``module:attribute``; see ``qrna.control.load_generator``) or that is not a generator, a
    classical network that misses a link's ends, and traffic that starts at or after the end of
    the run (``check_traffic`` checks the rest of the traffic)."""
    for i, t in enumerate(s.traffic):
        if t.start_s >= s.simulation.duration_s:
            raise ScenarioError(
                f"traffic[{i}].start_s",
                f"{t.start_s:g} s is not before the end of the run (simulation.duration_s = "
                f"{s.simulation.duration_s:g} s)",
            )
    listed = listing(s)
    links = build_links(s, listed)
    classical: nx.Graph[str] | None = None
    if s.classical_links:
        classical = nx.Graph()
        known = {spec.a.address for spec in links} | {spec.b.address for spec in links}
        for i, c in enumerate(s.classical_links):
            for end in ("a", "b"):
                if getattr(c, end) not in known:
                    raise ScenarioError(
                        f"classical_links[{i}].{end}", f"unknown node {getattr(c, end)!r}"
                    )
            classical.add_edge(c.a, c.b, delay_s=c.delay_s)
    try:
        generator = load_generator(s.simulation.generator, allow_plugins=allow_plugins)
    except ControlError as exc:
        raise ScenarioError("simulation.generator", str(exc)) from None
    generators = {}
    for network, (name, field) in listed.generators.items():
        try:
            generators[network] = load_generator(name, allow_plugins=allow_plugins)
        except ControlError as exc:
            raise ScenarioError(field, str(exc)) from None
    try:
        return Network(
            links,
            seed=s.simulation.seed if seed is None else seed,
            backend=s.simulation.backend,
            metric=s.simulation.metric,
            generator=generator,
            classical=classical,
            jitter=s.simulation.jitter,
            monitor_fraction=s.simulation.monitor_fraction,
            monitor_interval_s=s.simulation.monitor_interval_s,
            internet=listed.internet,
            offer_fidelity=listed.offer_fidelity,
            generators=generators,
            metrics=dict(listed.metrics),
        )
    except ValueError as exc:
        # The links were checked above (build_links), so what remains is the classical
        # network: a node it misses, or two ends of a link it does not join.
        raise ScenarioError("classical_links", str(exc)) from None
