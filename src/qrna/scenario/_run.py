"""Running a scenario: the network, its traffic as applications, and the results.

``run(scenario)`` builds the network, starts each traffic entry's application (``qrna.apps``)
at its start time, runs the simulated duration in slices (a ``progress`` callback hears after
each), and returns ``Results``: the summary object ``qrna run --format json`` prints, one row
per delivered pair, and per-link statistics.

Delivered pairs stream to a Parquet file as they come (``qrna.scenario._pairs``), so memory
does not grow with the pairs delivered; the summary is built from running statistics.

A run can stop early: on Ctrl-C (SIGINT) or SIGTERM (with ``catch_sigint=True``), or when
``max_wall_s`` wall-clock seconds have passed, the simulation stops after the event it is
running, and the results are those of the time reached (``sim_time_s``), marked
``"interrupted": true`` with ``"stopped"`` saying why ("interrupt", for SIGTERM too, or
"max_wall"; null for a run that reached its end).

Rates come with 95 % intervals from the Poisson count (N ± 1.96 √N over the time the connection
was up; for N = 0 the exact [0, 3.69/T]); fidelities with the normal interval of the mean
(± 1.96 s/√n, clipped to [0, 1] where fidelities live; none for fewer than two pairs) of the
delivered pairs' true fidelities (the simulator's ground truth, beside what the applications
estimate).

Example:
    >>> from qrna.scenario import load_scenario
    >>> r = run(load_scenario("chain", ["traffic.0.pairs=50"]))
    >>> c = r.summary["connections"][0]
    >>> c["status"], c["pairs_delivered"] >= 50
    ('done', True)
"""

from __future__ import annotations

import math
import os
import signal
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import networkx as nx

from qrna._version import __version__
from qrna.apps import APPS, App, RunningStats
from qrna.control import Network, PlanRequest
from qrna.control._counts import connection_counts, node_counts
from qrna.hardware import NodeType
from qrna.kernel import TraceHook
from qrna.link import herald_model
from qrna.scenario._build import build_network
from qrna.scenario._errors import ScenarioError
from qrna.scenario._pairs import PAIR_SCHEMA, ConnectionPairs, PairRecorder
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
        network: the network, for inspection after the run (its delivery ledger streamed
            the pairs to ``pairs_file``: ``network.reports()`` carry none).
        pairs_file: the per-pair rows as a Parquet file; a temporary file that lives as long
            as these Results (``qrna.report.write_results`` copies it into the folder).
    """

    scenario: Scenario
    seed: int
    summary: dict[str, Any]
    network: Network
    pairs_file: Path

    def pairs_table(self) -> Any:
        """One row per delivered pair (connection, pair name, creation and delivery times,
        latency, true fidelity and Bell-diagonal weights) as a ``pyarrow.Table``."""
        import pyarrow.parquet as pq

        return pq.read_table(self.pairs_file, schema=PAIR_SCHEMA)

    @property
    def pairs(self) -> list[dict[str, Any]]:
        """The rows of ``pairs_table()`` as dicts (read back on each access: for small runs;
        use ``pairs_table()`` for large ones)."""
        rows: list[dict[str, Any]] = self.pairs_table().to_pylist()
        return rows


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


class _Stop:
    """Why the run stops early, once set; setting it stops the simulation after the event
    that is running (``Scheduler.stop``). Safe from a signal handler and from a timer thread:
    it only sets flags."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.reason: str | None = None

    def __call__(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.network.scheduler.stop()

    def is_set(self) -> bool:
        return self.reason is not None

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.reason == "interrupt":
            raise KeyboardInterrupt  # a second Ctrl-C (or SIGTERM): the user will not wait
        self("interrupt")


def run(
    scenario: Scenario,
    seed: int | None = None,
    progress: Progress | None = None,
    *,
    allow_plugins: bool = False,
    max_wall_s: float | None = None,
    catch_sigint: bool = False,
    pairs_dir: Path | None = None,
    watch: Progress | None = None,
    trace: TraceHook | None = None,
) -> Results:
    """Run ``scenario`` (with ``seed`` instead of its own, if given).

    Args:
        allow_plugins: let its generator be any ``module:attribute`` (``build_network``).
        max_wall_s: stop after this many wall-clock seconds (results up to the time reached).
        catch_sigint: while running, Ctrl-C (SIGINT) or SIGTERM stops the run the same way
            (``"stopped": "interrupt"``) instead of raising ``KeyboardInterrupt`` or ending
            the process (a second one raises ``KeyboardInterrupt``); main thread only.
        pairs_dir: where the temporary per-pair file goes (default: the system's temporary
            folder); same disk as the results folder makes copying it cheap.
        watch: like ``progress``, but called about once per wall-clock second from a helper
            thread while a slice runs (a slice of a long run can take minutes); ``events``
            counts the finished slices' only.
        trace: a kernel trace hook called for every event of the run (e.g. a
            ``qrna.kernel.TraceRecorder``, whose digest fingerprints the run).
    """
    if max_wall_s is not None and not (max_wall_s > 0 and math.isfinite(max_wall_s)):
        raise ScenarioError("max_wall_s", f"{max_wall_s!r} is not a finite number of seconds > 0")
    seed = scenario.simulation.seed if seed is None else seed
    network = build_network(scenario, seed, allow_plugins=allow_plugins)
    if trace is not None:
        network.scheduler.trace = trace
    check_traffic(scenario, network)
    apps: dict[str, tuple[str, App | None]] = {}
    for i, t in enumerate(scenario.traffic):
        name = t.name or f"c{i + 1}"
        kwargs: dict[str, Any] = dict(
            fidelity=t.fidelity, pairs=t.pairs, duration_s=t.duration_s, memories=t.memories
        )
        if t.plan is not None or t.best_effort:
            kwargs["plan"] = None if t.plan is None else PlanRequest(**t.plan.model_dump())
            kwargs["best_effort"] = t.best_effort
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
    fd, name = tempfile.mkstemp(prefix=".qrna-pairs-", suffix=".parquet", dir=pairs_dir)
    os.close(fd)
    pairs_file = Path(name)
    try:
        recorder = PairRecorder(pairs_file)
        network.ledger.stream_to(recorder.add)
        duration = scenario.simulation.duration_s
        stop = _Stop(network)
        started = time.perf_counter()
        events = _run_slices(network, duration, stop, progress, max_wall_s, catch_sigint, watch)
        wall = time.perf_counter() - started
        recorder.close()
        # A run that reached its end reports the duration asked (the slices' picosecond
        # rounding aside); a stopped one the instant of its last event.
        reached = duration if stop.reason is None else network.scheduler.now_ps * 1e-12
        summary = {
            "version": __version__,
            "scenario": scenario.name,
            "seed": seed,
            "sim_time_s": reached,
            "wall_time_s": wall,
            "events": events,
            "interrupted": stop.reason is not None,
            "stopped": stop.reason,
            "connections": _connections(network, apps, recorder.stats),
            "links": _links(network, reached),
            "nodes": node_counts(network),
        }
        results = Results(scenario, seed, summary, network, pairs_file)
        weakref.finalize(results, pairs_file.unlink, missing_ok=True)
    except BaseException:
        # Until the finalizer owns the file (an exception, Ctrl-C or SIGTERM while the summary
        # is built included), it is ours to remove.
        pairs_file.unlink(missing_ok=True)
        raise
    return results


def _run_slices(
    network: Network,
    duration: float,
    stop: _Stop,
    progress: Progress | None,
    max_wall_s: float | None,
    catch_sigint: bool,
    watch: Progress | None,
) -> int:
    """Run ``duration`` in slices until done or ``stop`` is set; returns the events run."""
    timer = None
    if max_wall_s is not None:
        timer = threading.Timer(max_wall_s, stop, ("max_wall",))
        timer.daemon = True
    catching = catch_sigint and threading.current_thread() is threading.main_thread()
    previous: dict[signal.Signals, Any] = {}
    if catching:
        # SIGTERM (kill, a batch system's time limit) stops the run as Ctrl-C does: the
        # results so far are kept, rather than the process dying with its temporary file.
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, stop.on_sigint)
    started = time.perf_counter()
    events = 0
    done = threading.Event()
    watcher = None
    if watch is not None:
        hook = watch

        def watching() -> None:
            # Reads the clock the simulation advances: an int, read whole under the GIL.
            while not done.wait(1.0):
                now = network.scheduler.now_ps * 1e-12
                hook(now, time.perf_counter() - started, events)

        watcher = threading.Thread(target=watching, name="qrna-watch", daemon=True)
    try:
        if timer is not None:
            timer.start()
        if watcher is not None:
            watcher.start()
        for k in range(_SLICES):
            if stop.is_set():
                break
            events += network.run(duration / _SLICES).events
            if progress is not None:
                sim = duration * (k + 1) / _SLICES
                if stop.is_set():
                    sim = network.scheduler.now_ps * 1e-12
                progress(sim, time.perf_counter() - started, events)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
        if timer is not None:
            timer.cancel()
        for signum, handler in previous.items():
            # None: the handler was not set from Python; the default is the nearest to it.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    return events


def _mean_ci(stats: RunningStats) -> tuple[float, list[float]]:
    """Mean and its 95 % normal interval, clipped to [0, 1]: for fidelities, which live
    there (the clipped interval still holds the mean, itself in [0, 1])."""
    if stats.n == 0:
        return math.nan, [math.nan, math.nan]
    if stats.n < 2:
        return stats.mean, [math.nan, math.nan]  # one value says nothing about its spread
    half = 1.96 * stats.stdev / math.sqrt(stats.n)
    return stats.mean, [max(0.0, stats.mean - half), min(1.0, stats.mean + half)]


def _connections(
    network: Network,
    apps: dict[str, tuple[str, App | None]],
    pairs: dict[str, ConnectionPairs],
) -> list[dict[str, Any]]:
    out = []
    reports = network.reports()
    for cid, (kind, app) in apps.items():
        r = reports[cid]
        mine = pairs.get(cid)
        n = 0 if mine is None else mine.count
        up = next((e.t_ps for e in r.events if e.kind == "up"), None)
        end = next((e.t_ps for e in r.events if e.kind in ("done", "failed")), None)
        active = 0.0
        if up is not None:
            # Up until teardown (or now), and until the last half arrived after it.
            stop = end if end is not None else network.now_ps
            if mine is not None:
                stop = max(stop, mine.last_ps)
            active = (stop - up) * 1e-12
        rate = n / active if active > 0 else 0.0
        if active <= 0:
            rate_ci = [math.nan, math.nan]
        elif n == 0:
            rate_ci = [0.0, -math.log(0.025) / active]  # exact Poisson upper bound for 0
        else:
            half = 1.96 * math.sqrt(n) / active
            rate_ci = [max(0.0, rate - half), rate + half]
        if mine is None:
            fidelity, fidelity_ci, latency = math.nan, [math.nan, math.nan], math.nan
        else:
            fidelity, fidelity_ci = _mean_ci(mine.fidelity)
            latency = mine.latency_s.mean
        # Why it failed, or why it is still pending: the last refusal, or where its setup
        # stands (waiting for a route, a request on its way), or that it never left.
        refused = [e.detail for e in r.events if e.kind in ("failed", "rejected")]
        detail = ""
        if r.status in ("failed", "pending"):
            detail = (
                refused[-1]
                if refused
                else network.progress(cid) or "not started before the run ended"
            )
        elif (plan := network.plans.get(cid)) is not None and plan.shortfall:
            # Best effort on a working fidelity: the level that fell short, and the plan
            # taken (which may still reach the connection's fidelity).
            detail = (
                f"best effort: purifying each level until {plan.until:g}, {plan.shortfall}; "
                f"the plan taken is estimated at {plan.fidelity:.4f}"
            )
        elif plan is not None and plan.best_effort:
            # A request's plan narrows the search: other plans may reach the target.
            allows = "" if network._requests[cid].plan is None else " the request allows"
            detail = (
                f"best effort: no plan{allows} reaches {r.fidelity_target:g}; the nearest, "
                f"taken, is estimated at {plan.fidelity:.4f}"
            )
        elif fidelity_ci[1] < r.fidelity_target:
            # The pairs' own interval lies under the target: said, not left to a reader of F
            # (the plan promised it; in a network of networks the estimates run high).
            lo, hi = fidelity_ci
            detail = (
                f"the pairs fell short of the target: mean F {fidelity:.4f} (95 % interval "
                f"{lo:.4f}-{hi:.4f}) against {r.fidelity_target:g}"
                + ("" if plan is None else f"; the plan estimated {plan.fidelity:.4f}")
            )
        out.append(
            {
                "id": cid,
                "app": kind,
                "initiator": r.initiator,
                "responder": r.responder,
                "path": list(r.path),
                "layers": [
                    {"connection": below, "network": where, "path": list(path)}
                    for below, where, path in network.below(cid)
                ],
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
                "counts": connection_counts(network, cid),
                "app_results": app.summary() if app is not None else {},
            }
        )
    return out


def _rounds(rounds: int, scheme: str, pumping: bool) -> str:
    """A level's purification: ``2 x dejmps``, or ``3 x dejmps pumping``."""
    return f"{rounds} x {scheme}" + (" pumping" if pumping and rounds >= 2 else "")


def _plan(network: Network, cid: str) -> dict[str, Any] | None:
    plan = network.plans.get(cid)
    if plan is None:
        return None
    pumped = plan.segment_pumping or (False,) * len(plan.segment_rounds)
    # The working fidelity the rounds were resolved for, only where there is one (the
    # summaries of plans given or searched by rounds stay as they were).
    until = {} if plan.until is None else {"until": plan.until}
    return {
        "link_purification": _rounds(plan.link_rounds, plan.link_scheme, plan.link_pumping),
        "swap_order": plan.swap_order,
        "segment_purification": [
            _rounds(rounds, scheme, pump)
            for rounds, scheme, pump in zip(
                plan.segment_rounds, plan.segment_schemes, pumped, strict=True
            )
        ],
        "e2e_purification": _rounds(plan.e2e_rounds, plan.e2e_scheme, plan.e2e_pumping),
        "discard_after_s": plan.discard_after_s,
        "estimated_fidelity": plan.fidelity,
        "estimated_rate_hz": plan.rate_hz,
        "best_effort": plan.best_effort,
        "twirl": plan.twirl,
        **until,
    }


def _links(network: Network, duration: float) -> list[dict[str, Any]]:
    seen = set()
    out = []
    for node in sorted(network.ports):
        for _, (spec, _end) in sorted(network.ports[node].items()):
            if spec.id in seen:
                continue
            seen.add(spec.id)
            attempts, generated = network.sublinks.link_counts(spec.a.address, spec.b.address)
            model = herald_model(spec)
            out.append(
                {
                    "endpoints": [spec.a.address, spec.b.address],
                    "type": spec.type.value,
                    "length_km": spec.fibre.length_km,
                    "success_probability": model.p_success,
                    "attempts": attempts,
                    "pairs_generated": generated,
                    "rate_hz": generated / duration if duration > 0 else 0.0,
                    "fidelity_mean": model.state.fidelity,
                    # What the routing daemons use: link monitoring's estimate if it runs.
                    "fidelity_advertised": network.link_state(
                        spec.a.address, spec.b.address
                    ).fidelity,
                }
            )
    return out
