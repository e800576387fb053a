"""Mutation testing: plant small bugs in the rules, control, scenario and apps packages and
count the ones the test suite misses.

Runs mutmut (``pip install -e '.[mutation]'``) with the ``[tool.mutmut]`` settings of
``pyproject.toml``: each mutant is one small change to one function (an operator, a constant,
a comparison, an argument, a string), and the tests that ran that function in a first,
instrumented run are run against it, stopping at the first failure. Tests marked
``subprocess`` are left out (the child process imports the unmutated code).

mutmut keeps its work in ``mutants/`` (git-ignored) and resumes: a second run re-tests only
the functions changed since. ``--minutes`` bounds the wall time of this run (on 2 cores with
``--children 2``, the four packages take several hours from scratch; an interrupted run
continues where it stopped). ``FUZZ_EXAMPLES`` is lowered to ``--fuzz-examples`` (default 20)
so the scenario fuzzer does not dominate every mutant.

Prints, per package, the mutants killed, survived, timed out and not yet checked, then the
survivors' names (``mutmut show NAME`` prints the change; ``mutmut apply NAME`` writes it
into ``src/`` for debugging — revert it with git afterwards), and one JSON line last:
    {"mutation": {"rules": {"killed": ..., "survived": ..., ...}, ...},
     "survivors": [...], "wall_s": ...}

Usage: python bench/mutation.py [--packages rules,control,scenario,apps] [--minutes M]
                                [--children N] [--fuzz-examples K]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

PACKAGES = ("rules", "control", "scenario", "apps")
ROOT = Path(__file__).resolve().parent.parent


def _results() -> dict[str, str]:
    """{mutant name: status} as ``mutmut results --all true`` reports them."""
    out = subprocess.run(
        ["mutmut", "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    status = {}
    for line in out.splitlines():
        name, sep, state = line.strip().rpartition(": ")
        if sep and name.startswith("qrna."):
            status[name] = state
    return status


def _package(name: str) -> str:
    return name.split(".")[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default=",".join(PACKAGES))
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fuzz-examples", type=int, default=20)
    args = parser.parse_args()
    packages = [p for p in args.packages.split(",") if p]
    unknown = sorted(set(packages) - set(PACKAGES))
    if unknown:
        parser.error(f"--packages: {unknown} not among {', '.join(PACKAGES)}")
    if shutil.which("mutmut") is None:
        sys.exit("mutmut is not installed: pip install -e '.[mutation]'")

    env = dict(os.environ, FUZZ_EXAMPLES=str(args.fuzz_examples))
    command = ["mutmut", "run", "--max-children", str(args.children)]
    command += [f"qrna.{p}.*" for p in packages]
    start = time.perf_counter()
    # A process group of its own, so that the time limit stops mutmut's workers too.
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        proc.wait(timeout=args.minutes * 60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        print(f"stopped after {args.minutes:g} min; run again to continue", file=sys.stderr)
    wall = time.perf_counter() - start

    status = {k: v for k, v in _results().items() if _package(k) in packages}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, state in status.items():
        counts[_package(name)][state] += 1
    survivors = sorted(k for k, v in status.items() if v == "survived")
    for package in packages:
        c = counts[package]
        print(f"{package:9} " + "  ".join(f"{k} {v}" for k, v in sorted(c.items())))
    print(f"survivors ({len(survivors)}):")
    for name in survivors:
        print(f"  {name}")
    print(
        json.dumps(
            {
                "mutation": {p: dict(counts[p]) for p in packages},
                "survivors": survivors,
                "wall_s": round(wall, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
