"""Mutation testing: plant small bugs in the rules, control, scenario and apps packages and
count the ones the test suite misses.

Runs mutmut (``pip install -e '.[mutation]'``) with the ``[tool.mutmut]`` settings of
``pyproject.toml``: each mutant is one small change to one function (an operator, a constant,
a comparison, an argument, a string). A mutant that strict mypy rejects is caught without
running tests ("caught by type check"); the others run the tests that reached their function
in a first, instrumented run, fastest first, stopping at the first failure. Tests marked
``subprocess`` are left out (the child process imports the unmutated code).

Under mutmut the test suite (``tests/_mutation.py``) does not shrink Hypothesis failures,
ends a mutant's run as a timeout as soon as one test runs 10 times its clean duration plus
10 s, and runs first the tests that killed the function's earlier mutants. ``FUZZ_EXAMPLES``
is lowered to ``--fuzz-examples`` (default 20) so the scenario fuzzer does not dominate
every mutant.

With all four packages (the default) mutmut starts once and checks the mutants of the
cheapest functions first, across packages. A subset given with ``--packages`` runs package by
package in the order given (one mutmut start each), so a bounded run completes whole
packages. mutmut keeps its work in ``mutants/`` (git-ignored); a second run checks only the
mutants not checked yet (naming them: mutmut re-tests every mutant it is given by name or
pattern) and re-tests functions changed since. ``--minutes`` bounds the wall time of this
run: the four packages hold about 9,000 mutants, and the ones that survive run every test
that reaches them, minutes each in the rule engine and the network.

Prints, per package, the mutants killed, survived, timed out, caught by type check and not yet
checked, then the survivors' names (``mutmut show NAME`` prints the change; ``mutmut apply
NAME`` writes it into ``src/`` for debugging — revert it with git afterwards), and one JSON
line last:
    {"mutation": {"scenario": {"killed": ..., "survived": ..., ...}, ...},
     "survivors": [...], "wall_s": ...}

Usage: python bench/mutation.py [--packages scenario,apps,control,rules] [--minutes M]
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

# The default order is the order of completion a bounded run aims at.
PACKAGES = ("scenario", "apps", "control", "rules")
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


def _run_mutmut(args: list[str], env: dict[str, str], seconds: float) -> bool:
    """Runs ``mutmut run ARGS``; False if it was stopped at the time limit."""
    # A process group of its own, so that the time limit stops mutmut's workers too.
    proc = subprocess.Popen(["mutmut", "run", *args], cwd=ROOT, env=env, start_new_session=True)
    try:
        proc.wait(timeout=max(seconds, 0.0))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        return False
    return True


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
    start = time.perf_counter()
    deadline = start + args.minutes * 60
    if sorted(packages) == sorted(PACKAGES):
        # Every mutated package: one mutmut start (each start costs minutes of type checking
        # and clean tests). Without names mutmut checks every mutant without a result,
        # cheapest function first (by its covering tests' clean duration).
        print("all packages: one mutmut run", file=sys.stderr)
        if not _run_mutmut(["--max-children", str(args.children)], env, deadline - start):
            print(f"stopped after {args.minutes:g} min; run again to continue", file=sys.stderr)
        packages_each: list[str] = []
    else:
        packages_each = packages
    for package in packages_each:
        status = _results()
        known = [k for k in status if _package(k) == package]
        # Named mutants are re-tested even if they have a result, so a resumed run names the
        # ones not checked yet; a pattern is given only before mutmut has listed any.
        todo = [k for k in known if status[k] == "not checked"]
        if known and not todo:
            continue
        names = todo or [f"qrna.{package}.*"]
        print(f"{package}: {len(todo) if todo else 'all'} mutants to check", file=sys.stderr)
        if not _run_mutmut(
            ["--max-children", str(args.children), *names], env, deadline - time.perf_counter()
        ):
            print(f"stopped after {args.minutes:g} min; run again to continue", file=sys.stderr)
            break
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
