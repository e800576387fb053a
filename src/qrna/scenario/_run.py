"""Running a scenario: the network, its traffic as applications, and the results.

``run(scenario)`` builds the network, starts each traffic entry's application (``qrna.apps``)
at its start time, runs the simulated duration in slices (a ``progress`` callback hears after
each), and returns ``Results``: the summary object ``qrna run --format json`` prints, one row
per delivered pair, and per-link statistics.

Rates come with 95 % intervals from the Poisson count (N ± 1.96 √N over the time the connection
was up; for N = 0 the exact [0, 3.69/T]); fidelities with the normal interval of the mean
(± 1.96 s/√n, none for fewer than two pairs) of the delivered pairs' true fidelities (the
simulator's ground truth, beside what the applications estimate).

Example:
    >>> from qrna.scenario import load_scenario
    >>> r = run(load_scenario("chain", ["traffic.0.pairs=50"]))
    >>> c = r.summary["connections"][0]
    >>> c["status"], c["pairs_delivered"] >= 50
    ('done', True)
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from qrna._version import __version__
from qrna.apps import APPS, App
from qrna.control import Network
from qrna.hardware import NodeType
from qrna.link import herald_model
from qrna.scenario._build import build_network
from qrna.scenario._errors import ScenarioError
from qrna.scenario._schema import Scenario

__all__ = ["Progress", "Results", "check_traffic", "run"]

Progress = Callable[[float, float, int], None]
"""Called as ``progress(sim_time_s, wall_time_s, events)`` after each slice."""

_SLICES = 50


@dataclass(frozen=True)
class Results:
    """What a scenario run produced.

    Attributes:
        scenario: the scenario as run.
        seed: the root seed used.
        summary: the JSON-ready summary (README, "qrna run --format json").
        pairs: one row per delivered pair (connection, pair name, creation and delivery
            times, true fidelity and Bell-diagonal weights, latency).
        network: the network, for inspection after the run.
    """

    scenario: Scenario
    seed: int
    summary: dict[str, Any]
    pairs: list[dict[str, Any]]
    network: Network

    def pairs_table(self) -> Any:
        """The per-pair rows as a ``pyarrow.Table`` (pyarrow is installed with qrna)."""
        import pyarrow as pa

        columns = list(self.pairs[0]) if self.pairs else list(_PAIR_COLUMNS)
        return pa.table({k: [row[k] for row in self.pairs] for k in columns})


_PAIR_COLUMNS = (
    "connection",
    "creator",
    "name_ps",
    "created_ps",
    "delivered_ps",
    "latency_s",
    "fidelity",
    "w_phi_plus",
    "w_psi_minus",
    "w_psi_plus",
    "w_phi_minus",
)


def check_traffic(s: Scenario, network: Network) -> None:
    """Refuse traffic between unknown or unconnected nodes, and repeated names."""
    g: nx.Graph[str] = nx.Graph()
    for node, ports in network.ports.items():
        g.add_edges_from((node, other) for other in ports)
    names: set[str] = set()
    for i, t in enumerate(s.traffic):
        for end in ("initiator", "responder"):
            node = getattr(t, end)
            if node not in g:
                raise ScenarioError(
                    f"traffic[{i}].{end}", f"unknown node {node!r}; nodes: {', '.join(sorted(g))}"
                )
        for end in (t.initiator, t.responder):
            qnics = network.nodes[end].qnics
            if qnics and max(q.memories for q in qnics) < t.memories:
                raise ScenarioError(
                    f"traffic[{i}].memories",
                    f"{t.memories} memories per QNIC asked, but {end!r} has at most "
                    f"{max(q.memories for q in qnics)}",
                )
        meas = [n for n in (t.initiator, t.responder) if network.nodes[n].type is NodeType.MEAS]
        if meas and t.app not in ("qkd", "pairs"):
            raise ScenarioError(
                f"traffic[{i}].app",
                f"{t.app!r} needs memories at both ends, but {meas[0]!r} is a MEAS node "
                "(it measures on arrival); MEAS ends run 'qkd' or 'pairs'",
            )
        if not nx.has_path(g, t.initiator, t.responder):
            raise ScenarioError(
                f"traffic[{i}]", f"{t.initiator!r} and {t.responder!r} are not connected by links"
            )
        relays = {n for n in g if network.nodes[n].type in (NodeType.REP1, NodeType.RTR)}
        usable = g.subgraph(relays | {t.initiator, t.responder})
        if not nx.has_path(usable, t.initiator, t.responder):
            raise ScenarioError(
                f"traffic[{i}]",
                f"every path from {t.initiator!r} to {t.responder!r} passes an end node; only "
                "REP1 and RTR nodes relay",
            )
        name = t.name or f"c{i + 1}"
        if name in names:
            raise ScenarioError(f"traffic[{i}].name", f"connection name {name!r} is used twice")
        names.add(name)


def run(
    scenario: Scenario,
    seed: int | None = None,
    progress: Progress | None = None,
    *,
    allow_plugins: bool = False,
) -> Results:
    """Run ``scenario`` (with ``seed`` instead of its own, if given); ``allow_plugins`` lets its
    generator be any ``module:attribute`` (``build_network``)."""
    seed = scenario.simulation.seed if seed is None else seed
    network = build_network(scenario, seed, allow_plugins=allow_plugins)
    check_traffic(scenario, network)
    apps: dict[str, tuple[str, App | None]] = {}
    for i, t in enumerate(scenario.traffic):
        name = t.name or f"c{i + 1}"
        kwargs: dict[str, Any] = dict(
            fidelity=t.fidelity, pairs=t.pairs, duration_s=t.duration_s, memories=t.memories
        )
        if t.pairs is None and t.duration_s is None:
            kwargs["duration_s"] = scenario.simulation.duration_s
        if t.app == "pairs":
            network.request(t.initiator, t.responder, at_s=t.start_s, connection=name, **kwargs)
            apps[name] = (t.app, None)
        else:
            app = APPS[t.app](
                network, t.initiator, t.responder, start_s=t.start_s, connection=name, **kwargs
            )
            apps[name] = (t.app, app)
    duration = scenario.simulation.duration_s
    started = time.perf_counter()
    events = 0
    for k in range(_SLICES):
        events += network.run(duration / _SLICES).events
        if progress is not None:
            progress(duration * (k + 1) / _SLICES, time.perf_counter() - started, events)
    wall = time.perf_counter() - started
    rows = _pair_rows(network)
    summary = {
        "version": __version__,
        "scenario": scenario.name,
        "seed": seed,
        "sim_time_s": duration,
        "wall_time_s": wall,
        "events": events,
        "connections": _connections(network, apps, rows, duration),
        "links": _links(network, duration),
    }
    return Results(scenario, seed, summary, rows, network)


def _pair_rows(network: Network) -> list[dict[str, Any]]:
    rows = []
    for p in network.ledger.delivered:
        rows.append(
            {
                "connection": p.connection,
                "creator": p.name.creator,
                "name_ps": p.name.t_ps,
                "created_ps": p.created_ps,
                "delivered_ps": p.delivered_ps,
                "latency_s": (p.delivered_ps - p.created_ps) * 1e-12,
                "fidelity": p.fidelity,
                "w_phi_plus": p.weights[0],
                "w_psi_minus": p.weights[1],
                "w_psi_plus": p.weights[2],
                "w_phi_minus": p.weights[3],
            }
        )
    return rows


def _mean_ci(values: list[float]) -> tuple[float, list[float]]:
    if not values:
        return math.nan, [math.nan, math.nan]
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, [math.nan, math.nan]  # one value says nothing about its spread
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values))
    return mean, [mean - half, mean + half]


def _connections(
    network: Network,
    apps: dict[str, tuple[str, App | None]],
    rows: list[dict[str, Any]],
    duration: float,
) -> list[dict[str, Any]]:
    out = []
    reports = network.reports()
    for cid, (kind, app) in apps.items():
        r = reports[cid]
        mine = [row for row in rows if row["connection"] == cid]
        up = next((e.t_ps for e in r.events if e.kind == "up"), None)
        end = next((e.t_ps for e in r.events if e.kind in ("done", "failed")), None)
        active = 0.0
        if up is not None:
            # Up until teardown (or now), and until the last half arrived after it.
            stop = end if end is not None else network.now_ps
            stop = max([stop] + [row["delivered_ps"] for row in mine])
            active = (stop - up) * 1e-12
        n = len(mine)
        rate = n / active if active > 0 else 0.0
        if active <= 0:
            rate_ci = [math.nan, math.nan]
        elif n == 0:
            rate_ci = [0.0, -math.log(0.025) / active]  # exact Poisson upper bound for 0
        else:
            half = 1.96 * math.sqrt(n) / active
            rate_ci = [max(0.0, rate - half), rate + half]
        fidelity, fidelity_ci = _mean_ci([row["fidelity"] for row in mine])
        latency, _ = _mean_ci([row["latency_s"] for row in mine])
        # Why it failed, or why it is still pending: the last refusal (or that it never left).
        refused = [e.detail for e in r.events if e.kind in ("failed", "rejected")]
        detail = ""
        if r.status in ("failed", "pending"):
            detail = refused[-1] if refused else "not started before the run ended"
        out.append(
            {
                "id": cid,
                "app": kind,
                "initiator": r.initiator,
                "responder": r.responder,
                "path": list(r.path),
                "status": r.status,
                "detail": detail,
                "attempts": r.attempts,
                "fidelity_target": r.fidelity_target,
                "pairs_delivered": n,
                "rate_hz": rate,
                "rate_ci_hz": rate_ci,
                "fidelity_mean": fidelity,
                "fidelity_ci": fidelity_ci,
                "latency_s_mean": latency,
                "plan": _plan(network, cid),
                "app_results": app.summary() if app is not None else {},
            }
        )
    return out


def _plan(network: Network, cid: str) -> dict[str, Any] | None:
    plan = network.plans.get(cid)
    if plan is None:
        return None
    return {
        "link_purification": f"{plan.link_rounds} x {plan.link_scheme}",
        "swap_order": plan.swap_order,
        "e2e_purification": f"{plan.e2e_rounds} x {plan.e2e_scheme}",
        "discard_after_s": plan.discard_after_s,
        "estimated_fidelity": plan.fidelity,
        "estimated_rate_hz": plan.rate_hz,
    }


def _links(network: Network, duration: float) -> list[dict[str, Any]]:
    seen = set()
    out = []
    for node in sorted(network.ports):
        for _, (spec, _end) in sorted(network.ports[node].items()):
            if spec.id in seen:
                continue
            seen.add(spec.id)
            generated = network.sublinks.generated(spec.a.address, spec.b.address)
            model = herald_model(spec)
            out.append(
                {
                    "endpoints": [spec.a.address, spec.b.address],
                    "type": spec.type.value,
                    "length_km": spec.fibre.length_km,
                    "success_probability": model.p_success,
                    "pairs_generated": generated,
                    "rate_hz": generated / duration,
                    "fidelity_mean": model.state.fidelity,
                    # What the routing daemons use: link monitoring's estimate if it runs.
                    "fidelity_advertised": network.link_state(
                        spec.a.address, spec.b.address
                    ).fidelity,
                }
            )
    return out
