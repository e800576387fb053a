"""Mutation testing: plant small bugs in the rules, control, scenario and apps packages and
count the ones the test suite misses.

Runs mutmut (``pip install -e '.[mutation]'``) with the ``[tool.mutmut]`` settings of
``pyproject.toml``: each mutant is one small change to one function (an operator, a constant,
a comparison, an argument, a string). A mutant that strict mypy rejects is caught without
running tests ("type check"); the others run the tests that reached their function in a
first, instrumented run, fastest first, stopping at the first failure. Tests marked
``subprocess`` are left out (the child process imports the unmutated code).

Under mutmut the test suite (``tests/_mutation.py``) does not shrink Hypothesis failures,
ends a mutant's run as a timeout as soon as one test runs 10 times its clean duration plus
10 s, and runs first the tests that killed the function's earlier mutants. ``FUZZ_EXAMPLES``
is lowered to ``--fuzz-examples`` (default 20) so the scenario fuzzer does not dominate
every mutant.

The results live in git, in the ledger ``bench/mutation_ledger.json`` (``mutation_ledger``):
one line per mutated function, with the hash of its source as mutmut mutates it and one
letter per mutant (killed, type check, timeout, survived, no tests, not checked), and for a
survivor judged equivalent the reason. mutmut's own work in ``mutants/`` is git-ignored and
lost with the checkout. So a run first merges into the ledger whatever ``mutants/`` holds,
then seeds ``mutants/`` from the ledger (the ``.meta`` files mutmut reads; mutmut itself
drops the results of every function whose hash changed), names to mutmut only the mutants
the ledger has no result for, of the packages given (mutmut re-tests every mutant it is
named), and writes the ledger back every two minutes, at the end and when stopped at the
time limit. Commit the ledger with the tests.

mutmut starts once (minutes of mapping tests to functions and type checking) and checks the
named mutants cheapest function first (by its covering tests' clean duration), across the
packages given. ``--minutes`` bounds the wall time: the four packages hold about 10,200
mutants, and the ones that survive run every test that reaches them, minutes each in the
rule engine and the network; run again to continue (``--minutes 0`` prints the table only).

Prints, per package, the mutants in each status, then the survivors without a reason
(``mutmut show NAME`` prints the change; ``mutmut apply NAME`` writes it into ``src/`` for
debugging — revert it with git afterwards), and one JSON line last:
    {"mutation": {"control": {"killed": ..., "survived": ..., ...}, ...},
     "survivors": [...], "wall_s": ...}
A survivor is killed by a new test (then ``--survivors`` checks the survivors without a
reason again, and only them), or recorded as equivalent with ``--equivalent NAME REASON`` (a
reason why the change cannot alter behaviour). A new test, by name: mutmut maps tests to the
functions they reach once, and maps again only tests with new names, so an existing test
extended to reach another function is not run for that function's mutants.

Usage: python bench/mutation.py [--packages control,rules,scenario,apps] [--minutes M]
                                [--children N] [--fuzz-examples K] [--survivors]
       python bench/mutation.py --equivalent NAME REASON
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
from importlib.metadata import version
from multiprocessing import Pool
from pathlib import Path

import mutation_ledger as ml  # beside this script, on the path python gives it

PACKAGES = ("control", "rules", "scenario", "apps")
ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "bench" / "mutation_ledger.json"
MUTANTS = ROOT / "mutants"
SAVE_EVERY_S = 120.0


def _sources(packages: list[str]) -> list[Path]:
    """The mutated source files of the packages, relative to the repository."""
    return sorted(
        p.relative_to(ROOT) for pkg in packages for p in (ROOT / "src/qrna" / pkg).rglob("*.py")
    )


def _read_meta(source: Path) -> ml.Meta | None:
    try:
        meta: ml.Meta = json.loads((MUTANTS / f"{source}.meta").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or cut short by a stop at the time limit
        return None
    return meta


def _collect(ledger: ml.Ledger, sources: list[Path]) -> ml.Ledger:
    """The ledger with every readable .meta file in ``mutants/`` merged in."""
    for source in sources:
        meta = _read_meta(source)
        if meta is not None:
            ledger = ml.merge(ledger, ml.module_of(source), meta)
    return ledger


def _save(ledger: ml.Ledger) -> None:
    LEDGER.write_text(ml.dump(ledger, version("mutmut")), encoding="utf-8")


def _seed(ledger: ml.Ledger, sources: list[Path]) -> int:
    """Writes the ledger's results into ``mutants/``; returns how many mutants it filled."""
    filled = 0
    for source in sources:
        module = ml.module_of(source)
        meta = _read_meta(source)
        if meta is None:
            meta = ml.fresh_meta(module, ledger)
            filled += sum(c is not None for c in meta["exit_code_by_key"].values())
            # Without its mutated copy mutmut generates the file again, compares each
            # function's hash with the one written here and drops the changed ones' results.
            (MUTANTS / source).unlink(missing_ok=True)
        else:
            filled += ml.seed(meta, module, ledger)
        (MUTANTS / source).parent.mkdir(parents=True, exist_ok=True)
        (MUTANTS / f"{source}.meta").write_text(json.dumps(meta, indent=4), encoding="utf-8")
    return filled


def _current(source: Path) -> dict[str, tuple[str, int]]:
    """{function: (hash, number of mutants)} of a source file as mutmut mutates it now."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    mutated = mutate_file_contents(str(source), (ROOT / source).read_text(encoding="utf-8"))
    module = ml.module_of(source)
    count: dict[str, int] = {}
    for name in mutated.mutant_names:
        function, index = ml.split(f"{module}.{name}")
        count[function] = max(count.get(function, 0), index)
    hashes = mutated.hash_by_function_name
    return {f: (hashes[f[len(module) + 1 :]], n) for f, n in count.items()}


def _run_mutmut(args: list[str], env: dict[str, str], seconds: float, sources: list[Path]) -> bool:
    """Runs ``mutmut run ARGS``, writing the ledger as results arrive; False if it was
    stopped at the time limit."""
    deadline = time.monotonic() + seconds
    # A process group of its own, so that the time limit stops mutmut's workers too.
    proc = subprocess.Popen(["mutmut", "run", *args], cwd=ROOT, env=env, start_new_session=True)
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                proc.wait(timeout=max(min(left, SAVE_EVERY_S), 0.0))
                return True
            except subprocess.TimeoutExpired:
                if left <= SAVE_EVERY_S:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait()
                    return False
                _save(_collect(ml.load(LEDGER), sources))
    finally:
        _save(_collect(ml.load(LEDGER), sources))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default=",".join(PACKAGES))
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fuzz-examples", type=int, default=20)
    parser.add_argument("--equivalent", nargs=2, metavar=("NAME", "REASON"))
    parser.add_argument("--survivors", action="store_true")
    args = parser.parse_args()
    packages = [p for p in args.packages.split(",") if p]
    unknown = sorted(set(packages) - set(PACKAGES))
    if unknown:
        parser.error(f"--packages: {unknown} not among {', '.join(PACKAGES)}")
    if shutil.which("mutmut") is None:
        sys.exit("mutmut is not installed: pip install -e '.[mutation]'")
    if args.equivalent:
        ledger = ml.load(LEDGER)
        ml.explain(ledger, *args.equivalent)
        _save(ledger)
        return

    start = time.perf_counter()
    os.chdir(ROOT)  # mutmut reads its settings from pyproject.toml in the working directory
    ledger = ml.load(LEDGER)
    if ledger and ml.version_of(LEDGER) != version("mutmut"):
        # Another mutmut may number a function's mutants differently.
        print(f"ledger written by mutmut {ml.version_of(LEDGER)}: starting afresh", file=sys.stderr)
        ledger = {}
    everything = _sources(list(PACKAGES))
    ledger = _collect(ledger, everything)
    _save(ledger)
    filled = _seed(ledger, everything)
    with Pool(max(args.children, 1)) as pool:
        current: dict[str, tuple[str, int]] = {}
        for part in pool.map(_current, _sources(packages)):
            current.update(part)
    todo = ml.unchecked(current, ledger)
    if args.survivors:
        # Only the survivors without a reason, of functions unchanged since they survived.
        todo = [
            name
            for name in ml.survivors(ledger)[0]
            if ml.split(name)[0] in current
            and current[ml.split(name)[0]][0] == ledger[ml.split(name)[0]]["hash"]
        ]
    print(f"{filled} results from the ledger; {len(todo)} mutants to check", file=sys.stderr)
    seconds = args.minutes * 60 - (time.perf_counter() - start)
    if todo and seconds > 0:  # --minutes 0: only the table, from the ledger
        env = dict(os.environ, FUZZ_EXAMPLES=str(args.fuzz_examples))
        mutmut_args = ["--max-children", str(args.children), *todo]
        if not _run_mutmut(mutmut_args, env, seconds, everything):
            print(f"stopped after {args.minutes:g} min; run again to continue", file=sys.stderr)
    wall = time.perf_counter() - start

    ledger = {f: e for f, e in ml.load(LEDGER).items() if current.get(f, ("",))[0] == e["hash"]}
    # Mutants no run has reached yet are "not checked" though the ledger has no line for them.
    for function, (_, n) in current.items():
        ledger.setdefault(function, {"hash": "", "mutants": "." * n})
    counts = ml.counts(ledger, packages)
    survivors, _ = ml.survivors(ledger)
    for package in packages:
        print(f"{package:9} " + "  ".join(f"{k} {v}" for k, v in counts[package].items()))
    print(f"survivors without a reason ({len(survivors)}):")
    for name in survivors:
        print(f"  {name}")
    print(json.dumps({"mutation": counts, "survivors": survivors, "wall_s": round(wall, 1)}))


if __name__ == "__main__":
    main()
