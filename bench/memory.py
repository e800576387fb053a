"""Memory of a long run: resident set size as a network delivers pairs without end.

A 100-router random graph (the ``random`` preset's shape, 8 memories per QNIC) carries 60
open-ended connections (traffic with neither ``pairs`` nor ``duration_s``: each asks for pairs
for the whole run) between node pairs drawn with a fixed seed. One run of 1 s simulated reads
its RSS (``/proc/self/status`` VmRSS; the peak from ``getrusage`` where there is no /proc) at
0.1, 0.3 and 1 s simulated (the progress callback, between slices), and once more after
``run`` returned, with its ``Results`` alive. The pairs delivered by each checkpoint come from
the per-pair table afterwards. Growth per delivered pair: ``bytes_per_pair_running`` from the
first checkpoint to the last, ``bytes_per_pair`` from the first checkpoint to the returned
Results (what a caller holds at the end; issue 10 measured about 1.2 KB).

Prints one JSON line last:
    {"memory": {"nodes": 100, "connections": 60, "rss_before_mb": ..., "runs": [{"sim_s":
     0.1, "wall_s": ..., "pairs": ..., "rss_mb": ...}, ...], "rss_after_results_mb": ...,
     "bytes_per_pair_running": ..., "bytes_per_pair": ...}}

Usage: python bench/memory.py [--duration 1] [--checkpoints 0.1 0.3] [--nodes 100]
    [--connections 60]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
from pathlib import Path

from qrna.scenario import Scenario
from qrna.scenario import run as run_scenario


def scenario(nodes: int, connections: int, duration_s: float) -> Scenario:
    """The benchmark's network: ``connections`` open-ended demands on a random graph."""
    rng = random.Random(7)
    ends = [rng.sample(range(nodes), 2) for _ in range(connections)]
    return Scenario.model_validate(
        {
            "name": "memory",
            "qnic": {"memories": 8},
            "topology": {"kind": "random", "nodes": nodes, "seed": 3, "degree": 3.0},
            "traffic": [
                {
                    "initiator": f"r{a}",
                    "responder": f"r{b}",
                    "fidelity": 0.8,
                    "memories": 2,
                    "start_s": 0.001 + i * 1e-4,
                }
                for i, (a, b) in enumerate(ends)
            ],
            "simulation": {"duration_s": duration_s, "seed": 2},
        }
    )


def rss_bytes() -> int:
    """Current resident set size (peak, where /proc is missing)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--checkpoints", type=float, nargs="+", default=[0.1, 0.3])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--connections", type=int, default=60)
    args = parser.parse_args()
    marks = sorted({*args.checkpoints, args.duration})
    seen: dict[float, tuple[float, int]] = {}  # checkpoint -> (wall s, RSS bytes)

    def progress(sim_s: float, wall_s: float, events: int) -> None:
        for mark in marks:
            if mark not in seen and sim_s >= mark * (1 - 1e-9):
                seen[mark] = (wall_s, rss_bytes())
                print(
                    f"{mark:5.2f} s simulated  {wall_s:8.2f} s wall  "
                    f"{seen[mark][1] / 2**20:8.1f} MB RSS",
                    flush=True,
                )

    gc.collect()
    base = rss_bytes()
    results = run_scenario(scenario(args.nodes, args.connections, args.duration), None, progress)
    gc.collect()
    end_rss = rss_bytes()  # with the Results alive: what the caller holds counts too
    delivered = results.pairs_table().column("delivered_ps").to_pylist()
    runs = []
    for mark in marks:
        wall, rss = seen[mark]
        pairs = sum(1 for t in delivered if t <= round(mark * 1e12))
        runs.append(
            {
                "sim_s": mark,
                "wall_s": round(wall, 2),
                "pairs": pairs,
                "rss_mb": round(rss / 2**20, 1),
                "_rss": rss,
            }
        )
    first, last = runs[0], runs[-1]
    grown = last["pairs"] - first["pairs"]
    per_pair = (last["_rss"] - first["_rss"]) / grown if grown > 0 else None
    # From the first checkpoint to the returned Results (what a caller holds at the end).
    total = len(delivered) - first["pairs"]
    per_pair_end = (end_rss - first["_rss"]) / total if total > 0 else None
    out = {
        "nodes": args.nodes,
        "connections": args.connections,
        "rss_before_mb": round(base / 2**20, 1),
        "runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs],
        "rss_after_results_mb": round(end_rss / 2**20, 1),
        "bytes_per_pair_running": None if per_pair is None else round(per_pair, 1),
        "bytes_per_pair": None if per_pair_end is None else round(per_pair_end, 1),
    }
    print(json.dumps({"memory": out}))


if __name__ == "__main__":
    main()
