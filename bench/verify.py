"""Exhaustive RuleSet verification: states explored and wall time on 4-node chains.

``verify`` explores every interleaving of herald arrivals and message deliveries for the
RuleSets ``chain_rulesets`` writes for nodes a-b-c-d: nested and sequential swap orders, with no
purification, one round of link purification (``link_rounds=1``) or one round of end-to-end
purification (``e2e_rounds=1``). Each must pass (``verify`` returns []); ``states`` is the
number of distinct states the exploration visited, ``transitions`` the steps it took (sleep sets
skip steps, never states), ``wall_s`` the best of ``--repeats`` runs of ``verify`` alone.

Prints one JSON line last:
    {"verify": [{"nodes": 4, "options": "link_rounds=1", "states": ..., "transitions": ...,
     "wall_s": ...}, ...]}

Usage: python bench/verify.py [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import time

from qrna.rules import _verify, chain_rulesets, verify  # _verify: the last run's state count

NODES = ["a", "b", "c", "d"]
CASES: list[dict[str, object]] = [
    {},
    {"swap_order": "sequential"},
    {"e2e_rounds": 1},
    {"swap_order": "sequential", "e2e_rounds": 1},
    {"link_rounds": 1},
    {"swap_order": "sequential", "link_rounds": 1},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for options in CASES:
        rulesets = chain_rulesets("bench", NODES, **options)  # type: ignore[arg-type]
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            violations = verify(rulesets, chain=NODES)
            best = min(best, time.perf_counter() - start)
            if violations:
                raise RuntimeError(f"{options}: {violations[0]}")
        label = ",".join(f"{k}={v}" for k, v in options.items()) or "plain"
        row = {"nodes": len(NODES), "options": label, **_verify._last_run, "wall_s": round(best, 3)}
        print(f"{label:40} {row['states']:>8} states {row['transitions']:>8} steps {best:7.2f} s")
        rows.append(row)
    print(json.dumps({"verify": rows}))


if __name__ == "__main__":
    main()
