"""Wall time of the RuleSet generator: what a connection's setup spends choosing its plan.

Requests, each answered by ``default_generator`` with its caches cleared first (the waiting
model's timings, the hops' gate noise: a Responder meets a new path cold):

- ``chain``: the ``chain`` preset's connection (4 nodes, 10 km noisy MIM links, F ≥ 0.8,
  8 memories);
- ``hops10``, ``hops100``, ``hops1000``: the same hardware and request on chains of 10, 100
  and 1000 hops (on the noisy hardware the long ones are refused: fidelity out of reach, so
  the generator weighs its whole search space, nothing pruned; that is the case to time).

The hop records are those the request collects on its way (``Network._hop``, as
``bench/generator.py`` takes them), built before the clock starts. Each request runs
``--repeats`` times and reports the least wall time (the others lost time to other jobs on a
shared machine) and the median, the least CPU seconds (steadier than wall time when other
jobs share the cores), and how many of the waiting model's timings it computed (without
segment purification + with it).

``metro``: the default scenario run whole (``build_network`` and ``run``, 0.5 s simulated),
its wall time and the part of it spent in the generator (its three connections' setups),
least of ``--repeats`` runs.

Prints a table and one JSON line last:
    {"requests": [{"id": "chain", "hops": 3, "best_s": ..., "median_s": ...,
     "best_cpu_s": ..., "timings": ..., "answer": "accepted ..." | "rejected ..."}, ...],
     "metro": {"best_s": ..., "generator_s": ..., "best_cpu_s": ...}}

Usage: python bench/generator_speed.py [--repeats 3] [--only chain,hops10,...] [--no-metro]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from qrna.control import (
    Accepted,
    ConnectionSetupRequest,
    HopRecord,
    _estimate,
    _plugins,
    _waiting,
    default_generator,
)
from qrna.scenario import build_network, load_scenario, run

SIZES = {"chain": 3, "hops10": 10, "hops100": 100, "hops1000": 1000}


def path(hops: int) -> tuple[ConnectionSetupRequest, int]:
    """The chain preset's request over ``hops`` links, with the hop records it collects."""
    nodes = hops + 1
    scenario = load_scenario(
        "chain", [f"topology.nodes={nodes}", f"traffic.0.responder=n{nodes - 1}"]
    )
    net = build_network(scenario)
    traffic = scenario.traffic[0]
    names = [f"n{i}" for i in range(nodes)]
    records: tuple[HopRecord, ...] = tuple(
        net._hop(
            name,
            names[i - 1] if i else None,
            names[i + 1] if i + 1 < nodes else None,
            traffic.fidelity,
        )
        for i, name in enumerate(names)
    )
    request = ConnectionSetupRequest(
        "bench",
        names[0],
        names[-1],
        traffic.fidelity,
        duration_s=1.0,
        memories=traffic.memories,
        hops=records,
    )
    return request, nodes


try:  # the waiting model with segment purification (absent from older trees)
    from qrna.control import _segment_timing
except ImportError:  # pragma: no cover - timing an older tree with PYTHONPATH for a ratio
    _segment_timing = None  # type: ignore[assignment]


def clear_caches() -> None:
    _waiting._timing.cache_clear()
    _estimate._noise.cache_clear()
    if _segment_timing is not None:
        _segment_timing.segment_timing.cache_clear()


def played() -> int:
    """Timings of segment purification computed since the caches were cleared."""
    return 0 if _segment_timing is None else _segment_timing.segment_timing.cache_info().misses


def time_request(request: ConnectionSetupRequest, repeats: int) -> dict[str, Any]:
    walls, cpus = [], []
    answer: Any = None
    timings = 0
    for _ in range(repeats):
        clear_caches()
        c0, t0 = time.process_time(), time.perf_counter()
        answer = default_generator(request)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        timings = _waiting._timing.cache_info().misses
        segment_timings = played()
    if isinstance(answer, Accepted):
        p = answer.plan
        text = (
            f"accepted {p.link_rounds}/{p.swap_order[:3]}/{list(p.segment_rounds)}/"
            f"{p.e2e_rounds} F {p.fidelity:.4f} at {p.rate_hz:.4g}/s"
        )
    else:
        text = f"rejected {answer.reason.value}"
    return {
        "hops": len(request.hops) - 1,
        "best_s": min(walls),
        "median_s": statistics.median(walls),
        "best_cpu_s": min(cpus),
        "timings": timings,
        "segment_timings": segment_timings,
        "answer": text,
    }


def time_metro(repeats: int) -> dict[str, Any]:
    """The metro scenario run whole, and its generator's share (a wrapper in its place)."""
    spent = [0.0]
    name, original = _plugins.BUILTIN_GENERATORS["default"]

    def timed(request: ConnectionSetupRequest) -> Any:
        t0 = time.perf_counter()
        try:
            return original(request)
        finally:
            spent[0] += time.perf_counter() - t0

    walls, generator, cpus = [], [], []
    _plugins.BUILTIN_GENERATORS["default"] = (name, timed)
    try:
        for _ in range(repeats):
            clear_caches()
            spent[0] = 0.0
            c0, t0 = time.process_time(), time.perf_counter()
            run(load_scenario("metro"))
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            generator.append(spent[0])
    finally:
        _plugins.BUILTIN_GENERATORS["default"] = (name, original)
    best = min(range(repeats), key=walls.__getitem__)
    return {
        "best_s": walls[best],
        "generator_s": generator[best],
        "min_generator_s": min(generator),
        "best_cpu_s": min(cpus),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=",".join(SIZES), help="comma-separated request ids")
    parser.add_argument("--no-metro", action="store_true", help="skip the metro scenario")
    args = parser.parse_args()
    rows = []
    for rid in args.only.split(","):
        request, _ = path(SIZES[rid])
        row = {"id": rid} | time_request(request, args.repeats)
        rows.append(row)
        print(
            f"{rid:9} {row['hops']:5d} hops  best {row['best_s']:8.4f} s  median "
            f"{row['median_s']:8.4f} s  CPU {row['best_cpu_s']:8.4f} s  {row['timings']:3d}+"
            f"{row['segment_timings']:<3d} timings  {row['answer']}",
            flush=True,
        )
    metro = None
    if not args.no_metro:
        metro = time_metro(args.repeats)
        print(
            f"metro     run {metro['best_s']:.2f} s (CPU {metro['best_cpu_s']:.2f} s), of it "
            f"generator {metro['generator_s']:.3f} s (least {metro['min_generator_s']:.3f} s)",
            flush=True,
        )
    print(json.dumps({"requests": rows, "metro": metro}))


if __name__ == "__main__":
    main()
