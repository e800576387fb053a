"""Kernel throughput beside a bare heapq loop doing the same work, measured in one run.

The workload is a set of independent self-rescheduling processes (like link rounds and timers):
each event draws its next delay from a precomputed table and schedules its successor. The bare
loop does exactly that with ``heapq`` and (time, seq, callback) tuples; the kernel adds priorities,
cancellable timers, the event count and the optional trace hook.

Prints one JSON line last:
    {"kernel_events_per_s": ..., "heapq_events_per_s": ..., "ratio": ...}

Usage: python bench/kernel.py [--events N] [--repeats R]
"""

from __future__ import annotations

import argparse
import heapq
import json
import time

import numpy as np

from qrna.kernel import Scheduler

PROCESSES = 64


def _delays(n: int) -> list[int]:
    rng = np.random.default_rng(1)
    return [int(d) for d in rng.integers(1, 1_000_000, size=n)]


def run_kernel(n_events: int, delays: list[int]) -> float:
    sim = Scheduler()
    mask = len(delays) - 1
    count = [0]

    def make(i: int):  # type: ignore[no-untyped-def]
        def fire() -> None:
            k = count[0] = count[0] + 1
            sim.schedule(delays[(k + i) & mask], fire)

        return fire

    for i in range(PROCESSES):
        sim.schedule(delays[i], make(i))
    t0 = time.perf_counter()
    sim.run(max_events=n_events)
    return time.perf_counter() - t0


def run_heapq(n_events: int, delays: list[int]) -> float:
    heap: list[tuple[int, int, object]] = []
    seq = [0]
    now = [0]
    mask = len(delays) - 1
    count = [0]

    def push(delay: int, fn: object) -> None:
        s = seq[0] = seq[0] + 1
        heapq.heappush(heap, (now[0] + delay, s, fn))

    def make(i: int):  # type: ignore[no-untyped-def]
        def fire() -> None:
            k = count[0] = count[0] + 1
            push(delays[(k + i) & mask], fire)

        return fire

    for i in range(PROCESSES):
        push(delays[i], make(i))
    t0 = time.perf_counter()
    pop = heapq.heappop
    done = 0
    while heap and done < n_events:
        t, _, fn = pop(heap)
        now[0] = t
        fn()  # type: ignore[operator]
        done += 1
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    delays = _delays(1 << 16)
    best_k = best_h = float("inf")
    # Interleave the two and keep the best of each, so machine noise hits both alike.
    for _ in range(args.repeats):
        best_h = min(best_h, run_heapq(args.events, delays))
        best_k = min(best_k, run_kernel(args.events, delays))
    k_rate = args.events / best_k
    h_rate = args.events / best_h
    print(
        json.dumps(
            {
                "events": args.events,
                "kernel_events_per_s": round(k_rate),
                "heapq_events_per_s": round(h_rate),
                "ratio": round(k_rate / h_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
