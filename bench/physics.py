"""Throughput of the physics operations on the two state backends, measured in one run.

Each operation is timed on ``BellDiagonal`` and on ``DensityMatrix`` holding the same state: a
Werner-like but non-symmetric Bell-diagonal pair, so no backend can shortcut on symmetry. The
operations: swap, purification, memory decoherence, measurement, the sampled variants the
simulator calls, and the ground truth's purification with its two nodes acting at different
times (``PurificationBook.begin`` then ``end`` on a fresh ``PairStore``). Gates carry realistic
noise, so the noisy code paths are the ones timed.

For every operation each backend gets a wall-clock budget rather than a fixed count: a short
calibration picks a batch size, then the best of ``--repeats`` batches gives operations per
second. With the defaults the whole run takes about 6 s (budget x 16 plus calibration).

Prints one JSON line last:
    {"ops_per_s": {"bell_diagonal": {"swap": ..., ...}, "density_matrix": {...}},
     "speedup": {"swap": ..., ...}}
where ``speedup`` is bell_diagonal ops/s divided by density_matrix ops/s.

Usage: python bench/physics.py [--budget SECONDS] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable

import numpy as np

from qrna.hardware import PairStore, PurificationBook
from qrna.physics import (
    BellDiagonal,
    DensityMatrix,
    GateNoise,
    State,
    decohere,
    measure,
    purify,
    purify_sampled,
    swap,
    swap_sampled,
)

NOISE = GateNoise(cnot_error=0.01, single_qubit_error=0.001, readout_error=0.01)
# Why: Werner-like (F = 0.9) but with unequal error weights, so the input is a generic
# Bell-diagonal state rather than the special Werner form.
INPUT = BellDiagonal(0.9, 0.03, 0.04, 0.03)
T_S, T1_S, T2_S = 1e-3, 1.0, 0.5
SEED = 1
# Why: a calibration batch must last at least this long for its per-call time to be trusted
# (timer resolution and loop overhead are well below it).
CALIBRATE_MIN_S = 0.01

Op = Callable[[], object]
MEMORY = (T1_S, T2_S)


def _split_purification(state: State, rng: np.random.Generator) -> Op:
    """One DEJMPS round in the ground truth: node a acts at 1 ms, node b at 2 ms."""

    def run() -> object:
        store = PairStore()
        for i in range(2):
            store.create(state, (("a", i), ("b", i)), (MEMORY, MEMORY), (0, 0), 0)
        book = PurificationBook(store)
        book.begin([("a", 0), ("a", 1)], "dejmps", 10**9, rng, NOISE)
        return book.end([("b", 0), ("b", 1)], "dejmps", 2 * 10**9, rng, NOISE)

    return run


def _operations(state: State) -> dict[str, Op]:
    """The benchmarked calls on ``state``, each a zero-argument closure, in report order."""
    # Why: one Generator per operation, each seeded alike, so both backends draw from the same
    # stream and no operation's draws depend on which ran before it.
    rng_measure = np.random.default_rng(SEED)
    rng_swap = np.random.default_rng(SEED)
    rng_purify = np.random.default_rng(SEED)
    rng_book = np.random.default_rng(SEED)
    return {
        "swap": lambda: swap(state, state, NOISE),
        "purify_dejmps": lambda: purify(state, state, "dejmps", NOISE),
        # double_x sacrifices two pairs, so it takes a sequence of two.
        "purify_double_x": lambda: purify(state, (state, state), "double_x", NOISE),
        "decohere": lambda: decohere(state, T_S, T1_S, T2_S, qubits=(0, 1)),
        "measure": lambda: measure(state, ("Z", "Z"), rng_measure),
        "swap_sampled": lambda: swap_sampled(state, state, rng_swap, NOISE),
        "purify_sampled_dejmps": lambda: purify_sampled(state, state, "dejmps", rng_purify, NOISE),
        "split_purification_dejmps": _split_purification(state, rng_book),
    }


def _time_batch(fn: Op, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - t0


def _batch_size(fn: Op, target_s: float) -> int:
    """Calls of ``fn`` that take about ``target_s`` seconds, found by doubling a small batch."""
    n = 1
    while True:
        elapsed = _time_batch(fn, n)
        if elapsed >= CALIBRATE_MIN_S or elapsed >= target_s:
            return max(1, math.ceil(n * target_s / elapsed))
        n *= 2


def _round_sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant figures (ratios span 1x to 1000x)."""
    if x == 0.0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def run(budget_s: float, repeats: int) -> dict[str, dict[str, float]]:
    """Best-of-``repeats`` ops/s per backend and operation, ``budget_s`` seconds of timed work
    per (backend, operation)."""
    states: dict[str, State] = {
        "bell_diagonal": INPUT,
        "density_matrix": DensityMatrix.from_bell_diagonal(INPUT),
    }
    ops = {backend: _operations(state) for backend, state in states.items()}
    rates: dict[str, dict[str, float]] = {backend: {} for backend in states}
    for name in ops["bell_diagonal"]:
        fns = {backend: ops[backend][name] for backend in states}
        sizes = {}
        for backend, fn in fns.items():
            # Why: the first call fills caches (e.g. the purification transfer tensor, built once
            # per (scheme, noise) and memoised), which is set-up cost, not throughput.
            fn()
            sizes[backend] = _batch_size(fn, budget_s / repeats)
        best = dict.fromkeys(fns, math.inf)
        # Why: interleave the backends batch by batch and keep the best of each, so a burst of
        # machine noise hits both alike instead of skewing the ratio.
        for _ in range(repeats):
            for backend, fn in fns.items():
                best[backend] = min(best[backend], _time_batch(fn, sizes[backend]))
        for backend in fns:
            rates[backend][name] = sizes[backend] / best[backend]
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--budget",
        type=float,
        default=0.3,
        help="seconds of timed calls per operation and backend (default 0.3)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="batches per budget (best kept)")
    args = parser.parse_args()
    if args.budget <= 0.0 or args.repeats < 1:
        parser.error("--budget must be > 0 and --repeats >= 1")
    rates = run(args.budget, args.repeats)
    bd, dm = rates["bell_diagonal"], rates["density_matrix"]
    print(
        json.dumps(
            {
                # Why: whole ops/s are precise enough; the slowest (density-matrix double
                # selection) still runs at over a hundred per second.
                "ops_per_s": {
                    backend: {name: round(rate) for name, rate in by_op.items()}
                    for backend, by_op in rates.items()
                },
                "speedup": {name: _round_sig(bd[name] / dm[name]) for name in bd},
            }
        )
    )


if __name__ == "__main__":
    main()
