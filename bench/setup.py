"""Setup of long chains: building the network, routing convergence and the first connection.

For each chain length N (the ``chain`` preset with ``topology.nodes=N``: 10 km noisy MIM links,
one connection n0 → n(N-1)) a fresh child process times, in order:

- ``build_s``: ``build_network`` of the scenario (links, classical delays, every node's software);
- ``converge_s``: running the simulation from t = 0 until the link-state flooding is over (the
  event queue is empty: nothing else is scheduled yet) and every routing daemon holds every
  node's advertisement (checked);
- ``setup_s``: the two together, the figure the issue's acceptance bounds (≤ 5 s at N = 1000),
  and ``setup_cpu_s`` its CPU seconds (steadier than wall time on a shared machine);
- ``connect_s``: then the connection n0 → n(N-1) is requested and the simulation runs until the
  Initiator has its answer (the request hops along the chain, every node routing it; the
  Responder plans and writes the RuleSets, or refuses: on the preset's noisy hardware no plan
  reaches F = 0.8 beyond a few dozen nodes, so ``answer`` is ``fidelity_unreachable`` there and
  ``up`` on short chains), and ``route_s``: the first route computed at n0, alone;
- ``peak_rss_mb``: the child's peak resident set size (``getrusage``) at the end,
  ``built_rss_mb`` the same once routing has converged (before the connection), and
  ``import_rss_mb`` before building (imports only): the differences are what the network
  costs.

Each size runs ``--repeats`` times (a fresh child each) and reports the run of least
``setup_s`` (on a shared machine the others lost time to other jobs). Sizes whose child exceeds
``--timeout`` wall seconds are reported with ``"timeout": true``.

Prints one JSON line last:
    {"setup": [{"nodes": 100, "build_s": ..., "converge_s": ..., "setup_s": ..., "route_s": ...,
     "connect_s": ..., "events": ..., "import_rss_mb": ..., "peak_rss_mb": ...}, ...]}

Usage: python bench/setup.py [--sizes 100 300 1000 2000] [--repeats 1] [--timeout 900]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

_KIB = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _KIB / 2**20


def measure(nodes: int) -> dict[str, Any]:
    """One chain of ``nodes`` nodes, in this process."""
    from qrna.scenario import build_network, load_scenario

    import_rss = peak_rss_mb()
    scenario = load_scenario(
        "chain", [f"topology.nodes={nodes}", f"traffic.0.responder=n{nodes - 1}"]
    )
    c0, t0 = time.process_time(), time.perf_counter()
    net = build_network(scenario)
    t1 = time.perf_counter()
    events = net.scheduler.run()
    c2, t2 = time.process_time(), time.perf_counter()
    built_rss = peak_rss_mb()
    held = {len(m.routing.lsdb) for m in net.managers.values()}
    if held != {nodes}:
        raise SystemExit(f"routing did not converge: daemons hold {sorted(held)} advertisements")
    routing = net.managers["n0"].routing
    t3 = time.perf_counter()
    # Another fidelity than the connection's, so that the connection computes its own route.
    hop = routing.next_hop(f"n{nodes - 1}", 0.79)
    t4 = time.perf_counter()
    assert hop == "n1", hop
    t5 = time.perf_counter()
    cid = net.request("n0", f"n{nodes - 1}", fidelity=0.8, pairs=1, at_s=net.now_ps * 1e-12)
    while not any(e.kind in ("up", "failed") for e in net._events[cid]):
        if not net.scheduler.run(max_events=1000):
            break
    t6 = time.perf_counter()
    answer = net._events[cid][-1]
    if answer.kind not in ("up", "failed") or answer.detail.startswith("no_route"):
        raise SystemExit(f"the request found no path: {net._events[cid]}")
    return {
        "nodes": nodes,
        "build_s": round(t1 - t0, 3),
        "converge_s": round(t2 - t1, 3),
        "setup_s": round(t2 - t0, 3),
        "setup_cpu_s": round(c2 - c0, 3),
        "route_s": round(t4 - t3, 4),
        "connect_s": round(t6 - t5, 3),
        "events": events,
        "answer": answer.kind if answer.kind == "up" else answer.detail.split(":")[0],
        "import_rss_mb": round(import_rss, 1),
        "built_rss_mb": round(built_rss, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 2000])
    parser.add_argument("--repeats", type=int, default=1, help="runs per size; the best counts")
    parser.add_argument("--timeout", type=float, default=900.0, help="wall seconds per run")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child's own size
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one)))
        return
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n)]
        runs = []
        for _ in range(args.repeats):
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                break
            if done.returncode:
                raise SystemExit(f"chain of {n}: {done.stderr.strip() or done.stdout.strip()}")
            runs.append(json.loads(done.stdout.splitlines()[-1]))
        if not runs:
            rows.append({"nodes": n, "timeout": True})
            print(f"{n:5d} nodes  timed out after {args.timeout:g} s", flush=True)
            continue
        row = min(runs, key=lambda r: float(r["setup_s"]))
        rows.append(row)
        print(
            f"{n:5d} nodes  setup {row['setup_s']:8.2f} s ({row['setup_cpu_s']:.2f} CPU; build "
            f"{row['build_s']:.2f}, converge {row['converge_s']:.2f})  route "
            f"{row['route_s']:.3f} s  connect "
            f"{row['connect_s']:7.2f} s  peak RSS {row['peak_rss_mb']:7.1f} MB (built "
            f"{row['built_rss_mb']:.1f}, imports {row['import_rss_mb']:.1f})",
            flush=True,
        )
    print(json.dumps({"setup": rows}))


if __name__ == "__main__":
    main()
