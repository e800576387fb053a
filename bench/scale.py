"""Speed at internet scale: the paper's Fig. 7 network and long chains through ``Network``,
against the bare kernel's events per second measured in the same run (issue 11, item 7).

Pieces (each in its own child process, one after another, so that each one's peak memory is
its own and one piece's garbage does not slow the next):

- ``kernel``: the bare kernel's events/s (``bench/kernel.py``'s workload, best of 3), the
  denominator of every ``pct_of_kernel``.
- ``fig7``: the spec's Fig. 7 network as a scenario (``Scenario.model_validate`` of a dict,
  built by ``build_network``): 10 RTR routers in a ring (10 MM links of 20 km); each router
  serves 10 COMP end nodes, each through its own line of REP1 repeaters (one REP1 for nine of
  them, two for the tenth: 11 REP1 per router), REP1-REP1 and REP1-RTR links MM of 10 km, the
  last link to the COMP node MIM (a BSA in the middle) of 5 km. That is 100 COMP, 110 REP1,
  10 RTR, 220 links (100 with a BSA, as in the figure's caption) and, with 100 memories per
  QNIC, 440 QNICs x 100 = 44,000 qubits. Hardware as the ``chain`` and ``random`` presets
  (T2 = 1 s, T1 = 10 s, emission fidelity 0.98, gate and readout errors, 0.9 detectors).
  Traffic: ``--fig7-connections`` (100) connections between random distinct COMP nodes
  (``random.Random(--seed)``), fidelity ``--fig7-fidelity``, 4 memories each, open-ended,
  starting 1 ms + i x 10 us; simulated to ``--fig7-sim-s`` (0.05 s).
- ``chain:N``: one connection n0 -> n(N-1) over a ``topology: {kind: chain, nodes: N}``
  scenario (10 km MIM links, ideal hardware) asking for ``--chain-pairs`` pairs at fidelity
  0.8. Its request starts once routing has converged: at 2 x the chain's end-to-end fibre
  delay + 1 ms (at 1000 nodes the default 1 ms start fails with ``no_route``:
  ``probe:N`` shows it). The run goes on, in 5 ms slices, until the connection is done.
- ``probe:N`` (``--probe``): the same chain with the request at the default start (1 ms),
  run until the connection is up or failed: its status and the reason.

Phases: *setup* is building the network (``build_network``, ``check_traffic``, the requests)
plus simulating until the first request starts (routing's link-state flooding); *run* is the
rest. Per piece it prints: wall per simulated second and per end-to-end pair (both ends
delivered) of the run phase, events per pair, us per event, events/s as a % of the bare
kernel's, the run's wall time until no connection is pending (setting connections up: RuleSet
generation and route lookups along the path) and the us per event after it (the steady
state), setup seconds, peak memory (``ru_maxrss`` of the piece's process), and the run
phase's events per pair by kind. Kinds come from a kernel trace hook that names each event by
its callback (a link round, a herald, a rule-engine message by its type, a rule timer, a
control message by its type, a wake-up, ...; about 1 us per event, under 1 % of these runs),
and a counting wrapper around ``NodeHardware.swap``, ``purify_first`` and ``measure`` counts
the operations done inside those events (``op:swap``, ...). ``--no-kinds`` runs without both.

Prints one JSON line last:
    {"kernel_events_per_s": ..., "runs": [{"piece": "fig7", "sim_s": ..., ...}, ...]}

Usage: python bench/scale.py [--quick] [--chains 100,300,1000] [--chain-pairs K]
                             [--fig7-sim-s S] [--no-fig7] [--probe] [--max-wall-s S]
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import random
import resource
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The bench folder is on sys.path when this runs as a script: bench/kernel.py's workload.
from kernel import _delays, run_kernel
from qrna.control import Network
from qrna.rules import NodeHardware
from qrna.scenario import Scenario, build_network, check_traffic
from qrna.scenario._presets import _NOISY_LINK, _NOISY_QNIC

FIBRE_S_PER_KM = 5e-6  # light in fibre, about 200,000 km/s
CHAIN_LINK_KM = 10.0
CHAIN_SLICE_S = 0.005
FIG7_SLICE_S = 0.001

# The noisy hardware of the ``chain`` and ``random`` presets, 100 memories per QNIC.
_QNIC: dict[str, Any] = _NOISY_QNIC | {"memories": 100}
_LINK: dict[str, Any] = _NOISY_LINK


# -- the networks -------------------------------------------------------------------------------


def fig7_scenario(connections: int, sim_s: float, fidelity: float, seed: int) -> Scenario:
    """The Fig. 7 network (module docstring) with ``connections`` random COMP-to-COMP
    connections, validated by the scenario loader's model."""
    nodes: list[dict[str, Any]] = [{"name": f"rtr{i}", "type": "RTR"} for i in range(10)]
    links: list[dict[str, Any]] = [
        {"a": f"rtr{i}", "b": f"rtr{(i + 1) % 10}", "type": "MM", "length_km": 20.0} | _LINK
        for i in range(10)
    ]
    comps: list[str] = []
    rep = 0
    for i in range(10):
        for j in range(10):
            prev = f"rtr{i}"
            for _ in range(2 if j == 9 else 1):
                name = f"rep{rep}"
                rep += 1
                nodes.append({"name": name, "type": "REP1"})
                links.append({"a": prev, "b": name, "type": "MM", "length_km": 10.0} | _LINK)
                prev = name
            comp = f"comp{len(comps)}"
            comps.append(comp)
            nodes.append({"name": comp, "type": "COMP"})
            links.append({"a": prev, "b": comp, "type": "MIM", "length_km": 5.0} | _LINK)
    rng = random.Random(seed)
    traffic = []
    for i in range(connections):
        a, b = rng.sample(comps, 2)
        traffic.append(
            {
                "initiator": a,
                "responder": b,
                "fidelity": fidelity,
                "memories": 4,
                "start_s": 1e-3 + i * 1e-5,
                "name": f"c{i}",
            }
        )
    return Scenario.model_validate(
        {
            "name": "fig7",
            "qnic": _QNIC,
            "nodes": nodes,
            "links": links,
            "traffic": traffic,
            "simulation": {"duration_s": sim_s, "seed": seed},
        }
    )


def chain_start_s(n: int) -> float:
    """When a chain's request starts: twice the end-to-end fibre delay (the link-state
    flooding crosses the chain once; the margin covers the re-floods) plus 1 ms."""
    return 2 * (n - 1) * CHAIN_LINK_KM * FIBRE_S_PER_KM + 1e-3


def chain_scenario(n: int, pairs: int, start_s: float, horizon_s: float, seed: int) -> Scenario:
    return Scenario.model_validate(
        {
            "name": f"chain{n}",
            "topology": {"kind": "chain", "nodes": n, "link": {"length_km": CHAIN_LINK_KM}},
            "traffic": [
                {
                    "initiator": "n0",
                    "responder": f"n{n - 1}",
                    "fidelity": 0.8,
                    "pairs": pairs,
                    "start_s": start_s,
                    "name": "c0",
                }
            ],
            "simulation": {"duration_s": horizon_s, "seed": seed},
        }
    )


# -- counting events by kind --------------------------------------------------------------------


class KindCounter:
    """A kernel trace hook naming each event by its callback."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.last_advert_ps = 0  # when the last link-state advertisement arrived
        self._names: dict[object, str] = {}

    def __call__(self, t_ps: int, priority: int, fn: Callable[[], object]) -> None:
        kind = self._kind(fn)
        self.counts[kind] += 1
        if kind == _ADVERT:
            self.last_advert_ps = t_ps

    def _kind(self, fn: Any) -> str:
        # Class tests, not getattr with a default: a failed attribute lookup raises inside,
        # which would cost more than the rest of the hook.
        func = fn.func if fn.__class__ is functools.partial else fn  # heralds
        if func.__class__ is types.MethodType:  # link rounds
            func = func.__func__
        code = getattr(func, "__code__", None)
        name = self._names.get(code)
        if name is None:
            name = self._names[code] = _KINDS.get(
                getattr(func, "__qualname__", ""), getattr(func, "__qualname__", repr(func))
            )
        if name == "rule_message":
            return f"rule_message:{type(fn.args[3]).__name__}"  # partial(_arrive, ..., message)
        if name == "control_message":
            cells = dict(zip(fn.__code__.co_freevars, fn.__closure__, strict=True))
            return f"control_message:{type(cells['message'].cell_contents).__name__}"
        return name


_ADVERT = "control_message:LinkStateAdvertisement"
_KINDS = {
    "HeraldedLink._on_round": "link_round",
    "HeraldedLink._herald_both": "herald",
    "HeraldedLink._herald": "herald",
    "EngineRuntime._arrive": "rule_message",
    "EngineRuntime._fire": "rule_timer",  # a bucket's age timer (discard)
    "Network._send_control.<locals>.arrive": "control_message",
    "Network._control.<locals>.<lambda>": "wake",
    "Network.__init__.<locals>.<lambda>": "advertise",
    "Network.request.<locals>.start": "request",
}


def count_operations(counts: collections.Counter[str]) -> Callable[[], None]:
    """Wrap ``NodeHardware``'s operations so each call counts as ``op:<name>`` (the bench's
    own wrapper, not qrna's); returns the function that unwraps them."""
    originals = {}
    for op in ("swap", "purify_first", "measure"):
        original = getattr(NodeHardware, op)
        originals[op] = original

        def counted(self: Any, *args: Any, _op: str = op, _f: Any = original) -> Any:
            counts[f"op:{_op}"] += 1
            return _f(self, *args)

        setattr(NodeHardware, op, counted)

    def restore() -> None:
        for op, original in originals.items():
            setattr(NodeHardware, op, original)

    return restore


# -- one piece ----------------------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _pairs(network: Network) -> tuple[int, int]:
    """(end-to-end pairs, pairs the Initiators delivered) over every connection."""
    reports = network.reports().values()
    return sum(len(r.pairs) for r in reports), sum(r.delivered for r in reports)


def _setup(scenario: Scenario, kinds: bool) -> tuple[Network, KindCounter | None, float]:
    """Build the network and make its requests (as ``qrna.scenario.run`` does for "pairs"
    traffic); returns it, its kind counter, and the seconds it took."""
    t0 = time.perf_counter()
    network = build_network(scenario)
    check_traffic(scenario, network)
    counter = KindCounter() if kinds else None
    network.scheduler.trace = counter
    for t in scenario.traffic:
        duration = t.duration_s
        if t.pairs is None and duration is None:
            duration = scenario.simulation.duration_s
        network.request(
            t.initiator,
            t.responder,
            t.fidelity,
            pairs=t.pairs,
            duration_s=duration,
            memories=t.memories,
            at_s=t.start_s,
            connection=t.name,
        )
    return network, counter, time.perf_counter() - t0


def run_piece(piece: str, args: argparse.Namespace) -> dict[str, Any]:
    kinds = not args.no_kinds
    if piece == "kernel":
        delays = _delays(1 << 16)
        best = min(run_kernel(args.kernel_events, delays) for _ in range(3))
        return {"piece": piece, "kernel_events_per_s": round(args.kernel_events / best)}
    kind, _, size = piece.partition(":")
    if kind == "fig7":
        scenario = fig7_scenario(args.fig7_connections, args.fig7_sim_s, args.fig7_fidelity, 1)
        slice_s = FIG7_SLICE_S
        done = None
    elif kind in ("chain", "probe"):
        n = int(size)
        start = chain_start_s(n) if kind == "chain" else 1e-3
        horizon = start + args.chain_max_sim_s
        pairs = args.chain_pairs if kind == "chain" else 1
        scenario = chain_scenario(n, pairs, start, horizon, 1)
        slice_s = CHAIN_SLICE_S
        done = ("done", "failed") if kind == "chain" else ("up", "done", "failed")
    else:
        raise SystemExit(f"unknown piece {piece!r}; expected kernel, fig7, chain:N or probe:N")

    imported_mb = _peak_mb()  # the interpreter, numpy, networkx, qrna: before building
    network, counter, build_s = _setup(scenario, kinds)
    ops: collections.Counter[str] = collections.Counter()
    restore = count_operations(ops) if kinds else None
    first_start = min(t.start_s for t in scenario.traffic)
    horizon = scenario.simulation.duration_s

    # Setup, simulated part: routing floods until the first request leaves.
    t0 = time.perf_counter()
    setup = network.run(first_start)
    converge_s = time.perf_counter() - t0
    # Routing's flood, counted by the kind counter (``Network.message_log`` is off here).
    routing_messages = counter.counts[_ADVERT] if counter is not None else None
    converged_at = counter.last_advert_ps * 1e-12 if counter is not None else None
    if counter is not None:
        setup_kinds = dict(counter.counts)
        counter.counts.clear()

    # Run: in slices until the horizon, the pieces' end condition, or the wall-clock cap.
    stopped = ""
    timer = threading.Timer(args.max_wall_s, network.scheduler.stop)
    timer.daemon = True
    timer.start()
    t0 = time.perf_counter()
    events = 0
    now = first_start
    # Once every connection is set up (none pending): wall and events from there on, the
    # steady state without the one-off work of setting connections up (RuleSet generation,
    # route lookups along the path), which the run's figures include.
    up: tuple[float, int] | None = None
    while now < horizon - 1e-12:
        step = min(slice_s, horizon - now)
        before = network.scheduler.now_ps
        events += network.run(step).events
        now = network.scheduler.now_ps * 1e-12
        if network.scheduler.now_ps < before + round(step * 1e12):
            stopped = f"max_wall_s={args.max_wall_s:g}"
            break
        statuses_now = [r.status for r in network.reports().values()]
        if up is None and "pending" not in statuses_now:
            up = (time.perf_counter(), events)
        if done is not None and all(s in done for s in statuses_now):
            break
    wall = time.perf_counter() - t0
    steady_wall = time.perf_counter() - up[0] if up is not None else None
    steady_events = events - up[1] if up is not None else 0
    timer.cancel()
    if restore is not None:
        restore()

    e2e, initiator = _pairs(network)
    reports = network.reports()
    statuses = collections.Counter(r.status for r in reports.values())
    sim = now - first_start
    row: dict[str, Any] = {
        "piece": piece,
        "nodes": len(network.nodes),
        "links": sum(len(p) for p in network.ports.values()) // 2,
        "qubits": sum(q.memories for node in network.nodes.values() for q in node.qnics),
        "connections": len(reports),
        "statuses": dict(statuses),
        "setup_s": round(build_s + converge_s, 3),
        "build_s": round(build_s, 3),
        "converge_wall_s": round(converge_s, 3),
        "converge_sim_s": first_start,
        "routing_converged_at_s": converged_at,
        "setup_events": setup.events,
        "routing_messages": routing_messages,
        "sim_s": round(sim, 6),
        "wall_s": round(wall, 3),
        "events": events,
        "e2e_pairs": e2e,
        "initiator_pairs": initiator,
        "wall_per_sim_s": round(wall / sim, 2) if sim > 0 else None,
        "wall_per_pair_s": round(wall / e2e, 5) if e2e else None,
        "events_per_pair": round(events / e2e, 1) if e2e else None,
        "us_per_event": round(wall / events * 1e6, 2) if events else None,
        "events_per_s": round(events / wall) if wall > 0 else None,
        "connect_wall_s": round(up[0] - t0, 3) if up is not None else None,
        "steady_us_per_event": (
            round(steady_wall / steady_events * 1e6, 2)
            if steady_wall is not None and steady_events
            else None
        ),
        "peak_rss_mb": round(_peak_mb(), 1),
        "rss_before_build_mb": round(imported_mb, 1),
        "stopped": stopped or None,
    }
    if kind == "probe":
        r = reports["c0"]
        row["probe"] = {
            "start_s": 1e-3,
            "status": r.status,
            "attempts": r.attempts,
            "events": [(e.kind, round(e.t_ps * 1e-12, 6), e.detail[:80]) for e in r.events],
        }
    if counter is not None:
        per = max(e2e, 1)
        run_kinds = counter.counts + ops
        row["routing_adverts_in_run"] = counter.counts[_ADVERT]
        row["setup_kinds"] = setup_kinds
        row["kinds_per_pair"] = {
            k: round(v / per, 2) for k, v in sorted(run_kinds.items(), key=lambda kv: -kv[1])
        }
    return row


# -- the driver ---------------------------------------------------------------------------------


def _child(piece: str, argv: list[str]) -> dict[str, Any]:
    """Run one piece in a fresh process; its last stdout line is its JSON row."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--piece", piece, *argv]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    row: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return row


def _show(row: dict[str, Any], kernel: float) -> None:
    if row["piece"] == "kernel":
        print(f"kernel   {row['kernel_events_per_s']:>12,} events/s", flush=True)
        return
    if "probe" in row:
        p = row["probe"]
        print(
            f"{row['piece']:10s} request at {p['start_s']} s: {p['status']} after "
            f"{p['attempts']} attempts: {p['events'][-1]}",
            flush=True,
        )
        return
    rate = row["events_per_s"] or 0
    print(
        f"{row['piece']:10s} setup {row['setup_s']:8.2f} s  run {row['wall_s']:8.2f} s wall "
        f"for {row['sim_s']:.4f} s sim: {row['wall_per_sim_s']} s/sim-s, "
        f"{row['wall_per_pair_s']} s/pair, {row['events_per_pair']} events/pair, "
        f"{row['us_per_event']} us/event ({100 * rate / kernel:.2f} % of kernel), "
        f"connections up after {row['connect_wall_s']} s wall, then "
        f"{row['steady_us_per_event']} us/event, "
        f"{row['e2e_pairs']} pairs, peak {row['peak_rss_mb']} MB {row['statuses']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    parser.add_argument("--chains", default="100,300,1000", help="chain sizes, comma-separated")
    parser.add_argument("--chain-pairs", type=int, default=50, help="pairs each chain asks")
    parser.add_argument(
        "--chain-max-sim-s", type=float, default=5.0, help="simulated time cap after the start"
    )
    parser.add_argument("--fig7-sim-s", type=float, default=0.05, help="Fig. 7 simulated time")
    parser.add_argument("--fig7-connections", type=int, default=100)
    parser.add_argument("--fig7-fidelity", type=float, default=0.8)
    parser.add_argument("--no-fig7", action="store_true", help="skip the Fig. 7 network")
    parser.add_argument("--probe", action="store_true", help="also probe:N of the largest chain")
    parser.add_argument("--no-kinds", action="store_true", help="no event-kind counting")
    parser.add_argument("--kernel-events", type=int, default=400_000)
    parser.add_argument(
        "--max-wall-s", type=float, default=1500.0, help="wall-clock cap of a piece's run phase"
    )
    parser.add_argument("--piece", help=argparse.SUPPRESS)  # one piece, in this process
    args = parser.parse_args()
    if args.piece:
        print(json.dumps(run_piece(args.piece, args)))
        return
    if args.quick:
        args.chains = "20,50"
        args.chain_pairs = min(args.chain_pairs, 20)
        args.fig7_sim_s = min(args.fig7_sim_s, 0.003)
        args.kernel_events = min(args.kernel_events, 200_000)
    passed = [
        f"--chain-pairs={args.chain_pairs}",
        f"--chain-max-sim-s={args.chain_max_sim_s}",
        f"--fig7-sim-s={args.fig7_sim_s}",
        f"--fig7-connections={args.fig7_connections}",
        f"--fig7-fidelity={args.fig7_fidelity}",
        f"--kernel-events={args.kernel_events}",
        f"--max-wall-s={args.max_wall_s}",
    ] + (["--no-kinds"] if args.no_kinds else [])
    sizes = [int(x) for x in args.chains.split(",") if x]
    pieces = ["kernel"] + ([] if args.no_fig7 else ["fig7"]) + [f"chain:{n}" for n in sizes]
    if args.probe and sizes:
        pieces.append(f"probe:{max(sizes)}")
    kernel = 0.0
    rows = []
    for piece in pieces:
        row = _child(piece, passed)
        if piece == "kernel":
            kernel = row["kernel_events_per_s"]
        elif row["events_per_s"]:
            row["pct_of_kernel"] = round(100 * row["events_per_s"] / kernel, 2)
        _show(row, kernel)
        rows.append(row)
    print(json.dumps({"kernel_events_per_s": kernel, "runs": rows[1:]}))


if __name__ == "__main__":
    main()
