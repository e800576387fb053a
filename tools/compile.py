"""Compile qrna's hot path with mypyc, in place, and check that it changes nothing but speed.

The modules in ``HOT`` (the rule engine, the runtime that turns its effects into events,
the ground-truth pair store, the link process and its sampler) are compiled to C extensions
beside their sources. Python imports a module's extension whenever it is present and its
source otherwise, so a checkout without a compiled build runs pure Python, unchanged;
``--clean`` goes back to it. A build records its sources' hashes, and the test suite fails on
a build older than its sources (Python would go on importing the stale extension).

Why not more modules (each was tried; issue 11's note has the measurements): compiled
functions check their annotated argument types on entry, so the scheduler's documented
acceptance of numpy integers and the typed refusals of bad input in ``hardware/_purification``
would become ``TypeError``s; tests replace ``SubLinks`` methods (``control/_sublinks``); the
physics' frozen slotted dataclasses and constrained type variables are outside what mypyc
compiles as written. (The rule engine copies itself through its own ``__deepcopy__``: the
verifier copies engines, and a compiled class cannot be copied the default way.)

Needs mypy (which ships mypyc), setuptools and a C compiler: ``pip install -e '.[compile]'``
in an editable install (the extensions land in ``src/``, which such an install imports from;
the build refuses any other). ``python -m pytest`` runs the suite against a compiled build
(the repository's ``conftest.py`` stops a stale one and skips the compiled modules' doctests,
which pytest cannot collect from an extension).

``--check`` runs the same seeded scenarios (``qrna.scenario.run``, applications included)
compiled and as pure Python (a copy of the sources without the extensions), each in a child
process, and fails unless both give the same kernel trace digest, events, summary (but its
wall time) and pair fidelities; it prints the wall-time ratio of each.

Usage: python tools/compile.py [--clean | --check]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
# What the build compiled: each source's hash, so that a build older than its sources is found
# (Python would go on importing the stale extension).
STAMP = SRC / ".qrna-compiled.json"
HOT = (
    "qrna/rules/_engine.py",
    "qrna/rules/_plan.py",
    "qrna/rules/_runtime.py",
    "qrna/hardware/_pairs.py",
    "qrna/link/_process.py",
    "qrna/link/_sampler.py",
)

# A child process: run one seeded simulation and print what must not change, and its wall.
_RUNNER = r"""
import importlib, json, sys
from qrna.kernel import TraceRecorder
from qrna.scenario import load_scenario, run

spec, duration, hot = json.loads(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
scenario = load_scenario(spec, [f"simulation.duration_s={duration}"])
trace = TraceRecorder(keep=False)
results = run(scenario, trace=trace)
summary = dict(results.summary)
wall = summary.pop("wall_time_s")
print(json.dumps({
    "compiled": [m for m in hot if not importlib.import_module(m).__file__.endswith(".py")],
    "digest": trace.digest(),
    "events": trace.count,
    "summary": summary,
    "fidelity": results.pairs_table().column("fidelity").to_pylist(),
    "pairs": {c["id"]: c["pairs_delivered"] for c in summary["connections"]},
    "wall_s": wall,
}))
"""

# The runs --check compares: the default preset, and a 60-node chain (no purification, many
# swaps) whose request starts once routing has converged.
_RUNS: tuple[tuple[str, object, float], ...] = (
    ("metro (0.2 s)", "metro", 0.2),
    (
        "chain of 60 (0.05 s)",
        {
            "name": "chain60",
            "topology": {"kind": "chain", "nodes": 60, "link": {"length_km": 10.0}},
            "traffic": [
                {
                    "initiator": "n0",
                    "responder": "n59",
                    "fidelity": 0.8,
                    "pairs": 20,
                    "start_s": 0.01,
                    "name": "c0",
                }
            ],
            "simulation": {"duration_s": 0.05, "seed": 3},
        },
        0.05,
    ),
)


_SAME = ("digest", "events", "summary", "fidelity")  # what --check requires to be equal


def _compiled() -> list[Path]:
    """The extension files of a compiled build, if any (per-module shims and the shared
    library mypyc puts beside the package)."""
    return sorted([*SRC.glob("qrna/**/*.so"), *SRC.glob("*__mypyc*.so")])


def _digest(module: str) -> str | None:
    """The hash of a module's source (``qrna/link/_sampler.py``), None if it is gone."""
    path = SRC / module
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _source(extension: Path) -> str:
    """The source a per-module extension was built from, named as in ``HOT``
    (``qrna/link/_sampler.cpython-311-x86_64-linux-gnu.so`` -> ``qrna/link/_sampler.py``)."""
    return extension.with_name(extension.name.split(".")[0] + ".py").relative_to(SRC).as_posix()


def stale() -> list[str]:
    """The compiled modules whose sources changed since the build (all of them if the build
    left no stamp); empty when there is no compiled build. Every extension present counts, and
    every module the build recorded or ``HOT`` names now: a module dropped from ``HOT`` since
    keeps its extension, which Python still imports."""
    if not _compiled():
        return []
    try:
        built = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        built = {}
    modules = {*HOT, *built, *map(_source, SRC.glob("qrna/**/*.so"))}
    return sorted(m for m in modules if built.get(m) != _digest(m))


def clean() -> None:
    for path in _compiled():
        path.unlink()
    STAMP.unlink(missing_ok=True)
    shutil.rmtree(SRC / "build", ignore_errors=True)
    shutil.rmtree(SRC / ".mypy_cache", ignore_errors=True)  # left by builds before this one


def _installed_from() -> Path | None:
    """The folder this Python imports qrna from (None if it has no qrna)."""
    spec = importlib.util.find_spec("qrna")
    return None if spec is None or spec.origin is None else Path(spec.origin).resolve().parent


def build() -> None:
    if importlib.util.find_spec("mypyc") is None:
        sys.exit(f"mypyc is not installed for {sys.executable}: pip install -e '.[compile]'")
    installed = _installed_from()
    if installed != (SRC / "qrna").resolve():
        # Python would import qrna from elsewhere and never load extensions built here.
        where = "has no qrna" if installed is None else f"imports qrna from {installed}"
        sys.exit(f"{sys.executable} {where}, not from {SRC}: pip install -e '.[compile]' first")
    clean()
    start = time.perf_counter()
    hashes = {m: _digest(m) for m in HOT}
    # mypyc writes its C sources and objects under build/ in its working directory and copies
    # each extension beside its module. It runs under this Python (the extensions are built
    # for the interpreter that runs mypyc), with its cache out of the source tree.
    with tempfile.TemporaryDirectory() as cache:
        subprocess.run(
            [sys.executable, "-m", "mypyc", *HOT],
            cwd=SRC,
            env={**os.environ, "MYPY_CACHE_DIR": cache},
            check=True,
        )
    shutil.rmtree(SRC / "build", ignore_errors=True)
    STAMP.write_text(json.dumps(hashes, indent=1) + "\n")
    print(f"compiled {len(HOT)} modules in {time.perf_counter() - start:.0f} s")


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _child(pythonpath: Path, spec: object, duration: float) -> dict[str, object]:
    # -P: ``python -c`` would put the working directory ahead of PYTHONPATH, and run from
    # src/ both children would import the compiled build.
    hot = json.dumps([_module(m) for m in HOT])
    done = subprocess.run(
        [sys.executable, "-P", "-c", _RUNNER, json.dumps(spec), str(duration), hot],
        env={"PYTHONPATH": str(pythonpath), "PATH": ""},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"the run with PYTHONPATH={pythonpath} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def check() -> bool:
    """Compiled against pure Python, run by run; True if nothing but the wall time differs."""
    if not _compiled():
        sys.exit("no compiled build here: run python tools/compile.py first")
    if stale():
        sys.exit(f"the compiled build is older than {', '.join(stale())}: rebuild it")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        pure = Path(tmp)
        shutil.copytree(SRC / "qrna", pure / "qrna", ignore=shutil.ignore_patterns("*.so"))
        for label, spec, duration in _RUNS:
            python = _child(pure, spec, duration)
            compiled = _child(SRC, spec, duration)
            if python["compiled"]:
                sys.exit(f"the pure-Python run imported compiled {python['compiled']}")
            if compiled["compiled"] != [_module(m) for m in HOT]:
                sys.exit(
                    f"the compiled run imported only {compiled['compiled']} compiled, "
                    f"not all of {[_module(m) for m in HOT]} (built for another Python?)"
                )
            differ = [k for k in _SAME if python[k] != compiled[k]]
            same = not differ
            ok &= same
            if differ:
                print(f"{label}: compiled and Python differ in {', '.join(differ)}")
            ratio = float(python["wall_s"]) / float(compiled["wall_s"])  # type: ignore[arg-type]
            print(
                f"{label:22} {'same' if same else 'DIFFERENT'} trace ({compiled['events']} events, "
                f"digest {compiled['digest']}), pairs {compiled['pairs']}; "
                f"Python {python['wall_s']:.2f} s, compiled {compiled['wall_s']:.2f} s: "
                f"{ratio:.2f}x"
            )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--clean", action="store_true", help="remove the compiled modules")
    group.add_argument("--check", action="store_true", help="compare compiled with pure Python")
    args = parser.parse_args()
    if args.clean:
        clean()
    elif args.check:
        sys.exit(0 if check() else 1)
    else:
        build()


if __name__ == "__main__":
    main()
