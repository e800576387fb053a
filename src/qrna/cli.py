"""The ``qrna`` command line.

``qrna --help`` lists the commands; ``qrna --version`` prints the version. ``qrna run
[SCENARIO]`` runs a scenario file or preset (default: the ``metro`` preset), shows progress on
a terminal, prints a summary table (or one JSON object with ``--format json``) and writes the
results folder. ``qrna presets``, ``qrna schema`` and ``qrna validate FILE`` help write
scenarios; ``qrna links`` runs four links alone; ``qrna verify`` checks RuleSets.

``qrna run`` stops at a first Ctrl-C and writes the results so far, marked "interrupted" (exit
code 130); ``--max-wall`` stops it the same way (exit code 0, with a warning).

Exit codes say whose fault a failure is. 2: the input (a file, an option, a ``--set``) is
refused, in one line on stderr naming the file, the field and what is allowed. 3: a fault inside
qrna (any exception but an ``InputError``, which only the boundary raises): one line
"internal error: ..." with the command line that reproduces it, and the traceback in a log file
(``qrna-internal-error-<time>-<pid>.log`` in the current directory, else the temporary
directory) or, with ``--debug``, on stderr. ``qrna verify`` exits 1 when it finds violations.
Never a bare traceback.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from qrna._version import __version__
from qrna.errors import InputError
from qrna.hardware import BSA, EPPS, QNIC, Fibre, Node, NodeType
from qrna.link import LinkRunResult, LinkSimulation, LinkSpec, LinkType
from qrna.rules import RuleSet, RuleSetDecodeError, RuleSetError, ruleset_from_dict, verify

if TYPE_CHECKING:
    from qrna.scenario import Results, Scenario

app = typer.Typer(
    name="qrna",
    help="qrna: simulate quantum networks built on the Quantum Recursive Network Architecture.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    """How ``qrna run`` reports."""

    table = "table"
    json = "json"


class Backend(StrEnum):
    """The state backend."""

    bell_diagonal = "bell_diagonal"
    density_matrix = "density_matrix"


# -- exit codes -------------------------------------------------------------------------------

Debug = Annotated[
    bool,
    typer.Option(
        "--debug", help="On an internal error (exit 3), print the traceback here, not to a log."
    ),
]
AllowPlugin = Annotated[
    bool,
    typer.Option(
        "--allow-plugin",
        help="Let simulation.generator import any module:attribute (runs that module's code).",
    ),
]


@dataclass
class _Case:
    """What reproduces a command: its command line, and once read, the scenario as validated."""

    argv: list[str]
    scenario: dict[str, Any] | None = None


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextmanager
def _exit_codes(source: str, case: _Case, debug: bool) -> Iterator[None]:
    """Exit 2 for refused input, 3 for anything else that escapes (module docstring)."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise  # an exit code already chosen
    except InputError as exc:
        named = getattr(exc, "file", None)
        raise _fail(_one_line(str(exc) if named else f"{source}: {exc}")) from None
    except Exception as exc:
        raise _internal(exc, case, debug) from None


def _internal(exc: Exception, case: _Case, debug: bool) -> typer.Exit:
    rerun = shlex.join(case.argv)
    trace = "".join(traceback.format_exception(exc))
    if debug:
        typer.echo(trace, err=True, nl=False)
        where = "the traceback is above"
    else:
        log = _write_log(case, trace)
        if log is None:
            typer.echo(trace, err=True, nl=False)
            where = "the traceback is above (no log file could be written)"
        else:
            where = f"traceback in {log} (or rerun with --debug)"
    typer.echo(
        f"internal error: {type(exc).__name__}: {_one_line(str(exc))} — a fault in qrna, not in "
        f"your input; to reproduce: {rerun}; {where}",
        err=True,
    )
    return typer.Exit(3)


def _write_log(case: _Case, trace: str) -> Path | None:
    """The traceback and what reproduces it, in the current directory (else the temporary one)."""
    now = datetime.now(UTC)
    name = f"qrna-internal-error-{now:%Y%m%dT%H%M%SZ}-{os.getpid()}.log"
    lines = [
        f"qrna {__version__}: internal error at {now.isoformat(timespec='seconds')}",
        f"command: {shlex.join(case.argv)}",
        f"python {platform.python_version()} on {platform.platform()}",
    ]
    if case.scenario is not None:
        lines.append("scenario as validated (JSON; run it with qrna run FILE.json):")
        lines.append(json.dumps(case.scenario, indent=2, default=str))
    text = "\n".join([*lines, "", trace])
    for path in (Path(name), Path(tempfile.gettempdir()) / name):
        try:
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qrna {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """qrna: simulate quantum networks built on the Quantum Recursive Network Architecture."""


def default_links() -> list[LinkSpec]:
    """The built-in default: one metropolitan link of each architecture.

    Memories with T1 = 1 s and T2 = 0.5 s, 20 per QNIC; detectors of efficiency 0.9 with
    dark counts 1e-6 per window; MIM 20 km (double click), MIM 20 km (single click, θ = 0.1),
    MM 10 km, MSM 30 km through an SPDC source (pair probability 0.1, fidelity 0.97).
    """
    qnic = QNIC(memories=20, t1_s=1.0, t2_s=0.5, emission_efficiency=0.8)
    bsa = BSA(detector_efficiency=0.9, dark_count_probability=1e-6)

    def comp(name: str) -> Node:
        return Node(name, NodeType.COMP, (qnic,))

    alice, bob, carol, dave = comp("alice"), comp("bob"), comp("carol"), comp("dave")
    bsa_node = Node("bsa-ab", NodeType.BSA, bsa=bsa)
    epps = Node("epps-cd", NodeType.EPPS, epps=EPPS(pair_probability=0.1, source_fidelity=0.97))
    return [
        LinkSpec(alice, bob, LinkType.MIM, Fibre(20.0), middle=bsa_node),
        LinkSpec(
            alice,
            bob,
            LinkType.MIM,
            Fibre(20.0),
            middle=bsa_node,
            heralding="single_click",
            bright_state_population=0.1,
        ),
        LinkSpec(bob, carol, LinkType.MM, Fibre(10.0), receiver_bsa=bsa),
        LinkSpec(carol, dave, LinkType.MSM, Fibre(30.0), middle=epps),
    ]


def _summary(spec: LinkSpec, r: LinkRunResult) -> dict[str, Any]:
    est = r.estimates[0]
    fid = r.fidelity_at_herald
    mean_f = sum(fid) / len(fid) if fid else math.nan
    return {
        "endpoints": [spec.a.address, spec.b.address],
        "type": spec.type.value,
        "heralding": spec.heralding if spec.type is LinkType.MIM else None,
        "length_km": spec.fibre.length_km,
        "success_probability": r.p_success,
        "round_period_s": r.period_s,
        "pairs_generated": r.pairs,
        "rate_hz": r.rate_hz,
        "analytic_rate_hz": r.analytic_rate_hz,
        "fidelity_mean": mean_f,
        "fidelity_model": r.fidelity_model,
        "monitored_fidelity": est.fidelity,
        "monitored_fidelity_ci": list(est.fidelity_ci),
        "monitored_samples": est.samples,
        "events": r.events,
        "wall_time_s": r.wall_s,
    }


def _duration(value: float) -> float:
    if not 0 < value < math.inf:
        raise typer.BadParameter(f"{value} is not a finite number of seconds > 0")
    return value


def _fraction(value: float) -> float:
    if not 0 <= value < 1:
        raise typer.BadParameter(f"{value} is not in [0, 1)")
    return value


Seed = Annotated[
    int, typer.Option(min=0, help="Root seed (>= 0); the same seed gives the same run.")
]


@app.command("links")
def links_command(
    seed: Seed = 1,
    duration: Annotated[
        float,
        typer.Option(callback=_duration, help="Simulated seconds per link (> 0)."),
    ] = 0.5,
    backend: Annotated[Backend, typer.Option(help="State backend.")] = Backend.bell_diagonal,
    output: Annotated[OutputFormat, typer.Option("--format", help="Report format.")] = (
        OutputFormat.table
    ),
    monitor: Annotated[
        float,
        typer.Option(
            callback=_fraction,
            help="Fraction of pairs both ends measure for link monitoring, in [0, 1).",
        ),
    ] = 0.05,
    debug: Debug = False,
) -> None:
    """Run four heralded links alone (MIM double and single click, MM, MSM), each with link
    monitoring, and report rates and fidelities beside the closed forms."""
    started = time.perf_counter()
    rows = []
    # The options are checked as they are parsed (exit 2); past that, a failure is qrna's.
    case = _Case(
        [
            *("qrna", "links", "--seed", str(seed), "--duration", repr(duration)),
            *("--backend", backend.value, "--monitor", repr(monitor)),
        ]
    )
    with _exit_codes("qrna links", case, debug):
        for i, spec in enumerate(default_links()):
            sim = LinkSimulation(
                spec,
                seed=seed + i,
                backend=backend.value,
                monitor_fraction=monitor,
                record_fidelity=True,
            )
            rows.append(_summary(spec, sim.run(duration)))
    result = {
        "version": __version__,
        "seed": seed,
        "sim_time_s": duration,
        "wall_time_s": time.perf_counter() - started,
        "events": sum(r["events"] for r in rows),
        "links": rows,
    }
    if output is OutputFormat.json:
        from qrna.report import strict_json

        typer.echo(strict_json(result))
        return
    table = Table(title=f"qrna {__version__}: default links, {duration:g} s simulated, seed {seed}")
    for col in ("link", "type", "km", "p", "pairs", "rate/s (model)", "F", "F est. (95% CI)"):
        table.add_column(col, justify="right" if col not in ("link", "type") else "left")
    for r in rows:
        kind = r["type"] + (" 1-click" if r["heralding"] == "single_click" else "")
        lo, hi = r["monitored_fidelity_ci"]
        est = r["monitored_fidelity"]
        table.add_row(
            "~".join(r["endpoints"]),
            kind,
            f"{r['length_km']:g}",
            f"{r['success_probability']:.4f}",
            str(r["pairs_generated"]),
            f"{r['rate_hz']:.0f} ({r['analytic_rate_hz']:.0f})",
            f"{r['fidelity_mean']:.3f}",
            "–" if math.isnan(est) else f"{est:.3f} ({lo:.2f}–{hi:.2f})",
        )
    Console().print(table)
    typer.echo(f"{result['events']} events in {result['wall_time_s']:.2f} s wall time")


def _read_layer(entries: object, where: str) -> list[RuleSet]:
    """One connection's RuleSets from the JSON array at ``where``; ``InputError`` if not."""
    if not isinstance(entries, list):
        raise InputError(f"{where}: expected an array of RuleSets; got {entries!r}")
    rulesets = []
    for i, r in enumerate(entries):
        try:
            rulesets.append(ruleset_from_dict(r, f"{where}[{i}]"))
        except RuleSetDecodeError as exc:  # the decoder's only error (tests/rules/test_codec.py)
            raise InputError(str(exc)) from None
    connections = sorted({r.connection for r in rulesets})
    if len(connections) != 1:
        raise InputError(
            f"{where}: expected the RuleSets of one connection; got {connections or 'none'}"
        )
    return rulesets


def _read_rulesets(
    path: Path,
) -> tuple[list[RuleSet], dict[tuple[str, str], float], list[str] | None, list[list[RuleSet]]]:
    """The RuleSets, latencies, chain and layers below a ``qrna verify`` file holds;
    ``InputError`` if not."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: a bad byte at offset {exc.start}") from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}") from None
    if isinstance(data, list):
        data = {"rulesets": data}
    if not isinstance(data, dict) or not isinstance(data.get("rulesets"), list):
        raise InputError("$: expected an array of RuleSets or an object with a 'rulesets' array")
    unknown = sorted(set(data) - {"rulesets", "latencies_s", "chain", "below"})
    if unknown:
        raise InputError(
            f"$: unknown key {unknown[0]!r}; expected 'rulesets', 'latencies_s', 'chain' and "
            "'below'"
        )
    rulesets = _read_layer(data["rulesets"], "$.rulesets")
    layers = data.get("below", [])
    if not isinstance(layers, list):
        raise InputError(f"$.below: expected a list of arrays of RuleSets; got {layers!r}")
    below = [_read_layer(x, f"$.below[{j}]") for j, x in enumerate(layers)]
    nodes = {r.node for r in [*rulesets, *(r for layer in below for r in layer)]}
    latencies = {}
    entries = data.get("latencies_s", [])
    if not isinstance(entries, list):
        raise InputError(
            f'$.latencies_s: expected a list of {{"a": node, "b": node, "seconds": a number >= 0}}'
            f"; got {entries!r}"
        )
    for i, e in enumerate(entries):
        seconds = e.get("seconds") if isinstance(e, dict) else None
        if not (
            isinstance(e, dict)
            and set(e) == {"a", "b", "seconds"}
            and isinstance(e.get("a"), str)
            and isinstance(e.get("b"), str)
            and isinstance(seconds, int | float)
            and not isinstance(seconds, bool)
            and 0 <= seconds < math.inf
        ):
            raise InputError(
                f'$.latencies_s[{i}]: expected {{"a": node, "b": node, "seconds": a number >= 0}}'
                f"; got {e!r}"
            )
        for end in ("a", "b"):
            if e[end] not in nodes:
                # A latency of a node no RuleSet runs on would be silently ignored.
                raise InputError(
                    f"$.latencies_s[{i}].{end}: unknown node {e[end]!r}; the RuleSets' nodes: "
                    f"{', '.join(sorted(nodes))}"
                )
        latencies[(e["a"], e["b"])] = float(seconds)
    chain = data.get("chain")
    if chain is not None:
        if not isinstance(chain, list):
            raise InputError(f"$.chain: expected a list of node names; got {chain!r}")
        for i, node in enumerate(chain):
            if not isinstance(node, str):
                raise InputError(f"$.chain[{i}]: expected a node name (a string); got {node!r}")
        if sorted(chain) != sorted(nodes):
            raise InputError(
                f"$.chain: expected the RuleSets' nodes in chain order: {sorted(nodes)}"
            )
    return rulesets, latencies, chain, below


@app.command("verify")
def verify_command(
    path: Annotated[Path, typer.Argument(help="JSON file of one connection's RuleSets.")],
    explore: Annotated[
        bool | None,
        typer.Option(
            "--explore/--no-explore",
            help="Explore every interleaving (default: for chains of up to 4 nodes).",
        ),
    ] = None,
    debug: Debug = False,
) -> None:
    """Check one connection's RuleSets statically (spec §6).

    The file holds either a JSON array of RuleSets or an object with "rulesets", and
    optionally "chain" (node order), "latencies_s" (a list of {"a", "b", "seconds"}) and
    "below" (the layers below: an array of RuleSets per connection across a network that
    makes a virtual link of "rulesets"; every layer is checked, and the exploration runs on
    the composed whole).
    Exit code 0: no violation; 1: violations (each printed with its trace); 2: bad input;
    3: a fault in qrna.
    """
    case = _Case(
        ["qrna", "verify", str(path)]
        + ([] if explore is None else [f"--{'' if explore else 'no-'}explore"])
    )
    with _exit_codes(str(path), case, debug):
        rulesets, latencies, chain, below = _read_rulesets(path)
        try:
            violations = verify(rulesets, latencies, chain=chain, explore=explore, below=below)
        except RuleSetError as exc:  # layers that do not compose, or too many states
            raise InputError(str(exc)) from None
    if not violations:
        layers = f" over {len(below)} layer(s) below" if below else ""
        typer.echo(
            f"OK: {len(rulesets)} RuleSets of connection {rulesets[0].connection!r}{layers}, "
            "no violation"
        )
        return
    for v in violations:
        typer.echo(str(v))
    typer.echo(f"{len(violations)} violation(s)")
    raise typer.Exit(1)


# -- scenarios --------------------------------------------------------------------------------


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@app.command()
def run(
    scenario: Annotated[
        str | None,
        typer.Argument(help="A scenario file (.yaml, .toml, .json) or a preset name."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a field: path=value (e.g. traffic.0.pairs=200)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Results folder (default: results/<scenario>-<seed>)."),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Report format.")] = (
        OutputFormat.table
    ),
    files: Annotated[
        bool, typer.Option("--files/--no-files", help="Write the results folder.")
    ] = True,
    max_wall: Annotated[
        float | None,
        typer.Option(
            "--max-wall",
            metavar="SECONDS",
            help="Stop after this much wall-clock time; the results so far are written, "
            'marked "interrupted" (exit code 0, with a warning).',
        ),
    ] = None,
    allow_plugin: AllowPlugin = False,
    debug: Debug = False,
) -> None:
    """Run a scenario (default: the built-in metropolitan network) and report it.

    Ctrl-C (or SIGTERM) stops the simulation and writes the results so far, marked
    "interrupted" (exit code 130); a second one aborts without writing. The results folder
    appears whole or not at all.
    """
    from qrna.report import (
        ResultsFolderError,
        check_folder,
        print_summary,
        summary_json,
        write_results,
    )
    from qrna.scenario import DEFAULT_PRESET, load_scenario

    if max_wall is not None and not (max_wall > 0 and math.isfinite(max_wall)):
        raise _fail(f"--max-wall {max_wall!r}: expected a number of seconds > 0")
    source = scenario or DEFAULT_PRESET
    case = _scenario_case("run", source, set_, allow_plugin)
    folder: Path | None = None
    with _exit_codes(source, case, debug), _sigterm_as_ctrl_c():
        try:
            loaded = load_scenario(source, set_ or [])
            _reproducible(case, loaded, seed)
            if files:
                # The default of qrna.report.default_folder, known before the run.
                used = loaded.simulation.seed if seed is None else seed
                folder = out if out is not None else Path("results") / f"{loaded.name}-{used}"
                check_folder(folder)
            results = _run_with_progress(
                loaded, seed, output is OutputFormat.table, max_wall, folder, allow_plugin
            )
            if folder is not None:
                try:
                    with _sigint_while_writing(results.summary["stopped"] == "interrupt"):
                        write_results(results, folder)
                except OSError as exc:
                    raise _fail(
                        f"--out {exc.filename or folder}: cannot write results: {exc.strerror}"
                    ) from None
        except KeyboardInterrupt:
            # Before the simulation ran, or a second Ctrl-C while writing: the folder is whole
            # or absent (written aside, then renamed), never half written.
            typer.echo("interrupted: no results written", err=True)
            raise typer.Exit(130) from None
        except ResultsFolderError as exc:
            raise _fail(f"--out {exc}") from None
        s = results.summary
        if output is OutputFormat.json:
            typer.echo(summary_json(results))
        else:
            print_summary(s)
            if folder is not None:
                typer.echo(f"results: {folder}/ (summary.json, pairs.csv, plots, report.html)")
        if s["interrupted"]:
            how = (
                "interrupted"
                if s["stopped"] == "interrupt"
                else f"--max-wall {max_wall:g} s reached"
            )
            where = f"; results so far in {folder}/" if folder is not None else ""
            typer.echo(
                f"{'warning: ' if s['stopped'] == 'max_wall' else ''}{how}: stopped at "
                f"{s['sim_time_s']:.6g} s of {loaded.simulation.duration_s:g} s "
                f"simulated{where}",
                err=True,
            )
            if s["stopped"] == "interrupt":
                raise typer.Exit(130)


def _run_with_progress(
    loaded: Scenario,
    seed: int | None,
    table: bool,
    max_wall: float | None,
    folder: Path | None,
    allow_plugins: bool,
) -> Results:
    """Run ``loaded``: a progress bar on a terminal (``table`` output), a warning when an
    open-ended demand would take long, Ctrl-C and ``max_wall`` stopping it cleanly."""
    from qrna.scenario import run as run_scenario

    console = Console(stderr=True)
    duration = loaded.simulation.duration_s
    open_ended = any(t.pairs is None for t in loaded.traffic)
    warned = False

    def pace(sim_s: float, wall_s: float, events: int) -> None:
        # An open-ended demand runs the whole duration however long that takes: say so once
        # the pace is known (a second of wall time), when it projects past a minute. Called
        # from the run's watcher thread (Console.print takes a lock).
        nonlocal warned
        if warned or not open_ended or max_wall is not None or wall_s < 1.0 or sim_s <= 0:
            return
        projected = wall_s * duration / sim_s
        if projected > 60:
            warned = True
            console.print(
                f"warning: at this pace the run takes about {projected:.0f} s wall time "
                f"({sim_s:.3g} of {duration:g} s simulated in {wall_s:.1f} s); open-ended "
                "traffic runs the whole duration. Bound it with --max-wall SECONDS, or "
                "press Ctrl-C to stop and keep the results so far.",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )

    pairs_dir = folder.parent if folder is not None and folder.parent.is_dir() else None
    options: dict[str, Any] = dict(
        allow_plugins=allow_plugins,
        max_wall_s=max_wall,
        catch_sigint=True,
        pairs_dir=pairs_dir,
        watch=pace,
    )
    if not (table and console.is_terminal):
        return run_scenario(loaded, seed, **options)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(loaded.name, total=duration, info="")

        def tick(sim_s: float, wall_s: float, events: int) -> None:
            rate = events / wall_s if wall_s > 0 else 0.0
            info = f"{sim_s:.3g} s simulated, {wall_s:.1f} s wall, {rate:,.0f} events/s"
            bar.update(task, completed=sim_s, info=info)

        return run_scenario(loaded, seed, tick, **options)


def _sigterm_as_ctrl_c() -> AbstractContextManager[None]:
    """SIGTERM (kill, a batch system's time limit) does what Ctrl-C does: the simulation
    stops and the results so far are written (``qrna.scenario.run``'s ``catch_sigint`` takes
    both while simulating), and elsewhere it raises ``KeyboardInterrupt``, so that nothing
    temporary is left behind, where the default would end the process on the spot."""

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    return _handling(on_sigterm, signal.SIGTERM)


def _sigint_while_writing(pressed: bool) -> AbstractContextManager[None]:
    """While the results are written, a first Ctrl-C or SIGTERM (``pressed``: one already
    stopped the simulation) only warns: the folder on its way is complete. The next one aborts
    the writing (``KeyboardInterrupt``); the folder then stays as it was, being written aside."""
    presses = 1 if pressed else 0

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        typer.echo("writing the results; Ctrl-C again aborts", err=True)

    return _handling(on_sigint, signal.SIGINT, signal.SIGTERM)


@contextmanager
def _handling(handler: Any, *signums: signal.Signals) -> Iterator[None]:
    """``handler`` takes ``signums`` for the block, and the previous handlers are back after
    it (signals reach only the main thread: elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in signums}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, signal.SIG_DFL if old is None else old)


def _scenario_case(command: str, source: str, set_: list[str] | None, plugin: bool) -> _Case:
    overrides = [x for assignment in set_ or [] for x in ("--set", assignment)]
    return _Case(["qrna", command, source, *overrides, *(["--allow-plugin"] if plugin else [])])


def _reproducible(case: _Case, loaded: Any, seed: int | None) -> None:
    """Name the seed in the command line that reproduces ``case``, and keep the scenario."""
    used = loaded.simulation.seed if seed is None else seed
    case.argv[3:3] = ["--seed", str(used)]
    case.scenario = loaded.model_dump()


@app.command()
def presets() -> None:
    """List the built-in scenarios."""
    from qrna.scenario import DEFAULT_PRESET, PRESETS

    for name, data in PRESETS.items():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        typer.echo(f"{name}{mark}: {data.get('description', '')}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from qrna.scenario import Scenario

    def finite(value: Any) -> Any:  # JSON has no Infinity: YAML's .inf is written "inf"
        if isinstance(value, float) and math.isinf(value):
            return "inf"
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [finite(v) for v in value]
        return value

    typer.echo(json.dumps(finite(Scenario.model_json_schema()), indent=2, allow_nan=False))


@app.command()
def validate(
    path: Annotated[str, typer.Argument(help="A scenario file or preset name.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: path=value.")] = None,
    allow_plugin: AllowPlugin = False,
    debug: Debug = False,
) -> None:
    """Check a scenario file (and build its network) without running it. Exit 0 if it can run,
    2 with the reason if not (3: a fault in qrna)."""
    from qrna.scenario import build_network, check_traffic, load_scenario

    case = _scenario_case("validate", path, set_, allow_plugin)
    with _exit_codes(path, case, debug):
        loaded = load_scenario(path, set_ or [])
        case.scenario = loaded.model_dump()
        check_traffic(loaded, build_network(loaded, allow_plugins=allow_plugin))
    typer.echo(f"OK: {path}: scenario {loaded.name!r}")


def main() -> None:
    """Entry point of the ``qrna`` console script."""
    app()
