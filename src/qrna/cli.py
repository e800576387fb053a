"""The ``qrna`` command line.

``qrna --help`` lists the commands; ``qrna --version`` prints the version. ``qrna run
[SCENARIO]`` runs a scenario file or preset (default: the ``metro`` preset), shows progress on
a terminal, prints a summary table (or one JSON object with ``--format json``) and writes the
results folder. ``qrna presets``, ``qrna schema`` and ``qrna validate FILE`` help write
scenarios; ``qrna links`` runs four links alone; ``qrna verify`` checks RuleSets.

Bad input of any kind is one line on stderr naming the file, the field and what is allowed,
and exit code 2 — never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import threading
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from qrna._version import __version__
from qrna.errors import QrnaError
from qrna.hardware import BSA, EPPS, QNIC, Fibre, Node, NodeType
from qrna.link import LinkRunResult, LinkSimulation, LinkSpec, LinkType
from qrna.rules import RuleSetDecodeError, ruleset_from_dict, verify

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


@app.command("links")
def links_command(
    seed: Annotated[int, typer.Option(help="Root seed; the same seed gives the same run.")] = 1,
    duration: Annotated[float, typer.Option(help="Simulated seconds per link.")] = 0.5,
    backend: Annotated[Backend, typer.Option(help="State backend.")] = Backend.bell_diagonal,
    output: Annotated[OutputFormat, typer.Option("--format", help="Report format.")] = (
        OutputFormat.table
    ),
    monitor: Annotated[
        float, typer.Option(help="Fraction of pairs both ends measure for link monitoring.")
    ] = 0.05,
) -> None:
    """Run four heralded links alone (MIM double and single click, MM, MSM), each with link
    monitoring, and report rates and fidelities beside the closed forms."""
    started = time.perf_counter()
    rows = []
    try:
        for i, spec in enumerate(default_links()):
            sim = LinkSimulation(
                spec,
                seed=seed + i,
                backend=backend.value,
                monitor_fraction=monitor,
                record_fidelity=True,
            )
            rows.append(_summary(spec, sim.run(duration)))
    except QrnaError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
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
) -> None:
    """Check one connection's RuleSets statically (spec §6).

    The file holds either a JSON array of RuleSets or an object with "rulesets", and
    optionally "chain" (node order) and "latencies_s" (a list of {"a", "b", "seconds"}).
    Exit code 0: no violation; 1: violations (each printed with its trace); 2: bad input.
    """
    try:
        data = json.loads(path.read_text())
        if isinstance(data, list):
            data = {"rulesets": data}
        if not isinstance(data, dict) or "rulesets" not in data:
            raise RuleSetDecodeError(
                "$", "expected an array of RuleSets or an object with 'rulesets'"
            )
        rulesets = [
            ruleset_from_dict(r, f"$.rulesets[{i}]") for i, r in enumerate(data["rulesets"])
        ]
        latencies = {(e["a"], e["b"]): float(e["seconds"]) for e in data.get("latencies_s", [])}
        violations = verify(rulesets, latencies, chain=data.get("chain"), explore=explore)
    except (OSError, json.JSONDecodeError, QrnaError, KeyError, TypeError) as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
        raise typer.Exit(2) from None
    if not violations:
        typer.echo(
            f"OK: {len(rulesets)} RuleSets of connection {rulesets[0].connection!r}, no violation"
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
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the scenario's).")] = None,
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
) -> None:
    """Run a scenario (default: the built-in metropolitan network) and report it.

    Ctrl-C stops the simulation and writes the results so far, marked "interrupted" (exit
    code 130); a second Ctrl-C aborts without writing. The results folder appears whole or
    not at all.
    """
    from qrna.report import ResultsFolderError, check_folder, summary_json, write_results
    from qrna.scenario import DEFAULT_PRESET, ScenarioError, load_scenario
    from qrna.scenario import run as run_scenario

    if max_wall is not None and not (max_wall > 0 and math.isfinite(max_wall)):
        raise _fail(f"--max-wall {max_wall!r}: expected a number of seconds > 0")
    name = scenario or DEFAULT_PRESET
    folder: Path | None = None
    try:
        loaded = load_scenario(name, set_ or [])
        if files:
            # The default of qrna.report.default_folder, known before the run.
            used = loaded.simulation.seed if seed is None else seed
            folder = out if out is not None else Path("results") / f"{loaded.name}-{used}"
            check_folder(folder)
        console = Console(stderr=True)
        show = output is OutputFormat.table and console.is_terminal
        duration = loaded.simulation.duration_s
        open_ended = any(t.pairs is None for t in loaded.traffic)
        warned = False

        def pace(sim_s: float, wall_s: float, events: int) -> None:
            # An open-ended demand runs the whole duration however long that takes: say so
            # once the pace is known (a second of wall time), when it projects past a minute.
            # Called from the run's watcher thread (Console.print takes a lock).
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
        if show:
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

                results = run_scenario(
                    loaded,
                    seed,
                    tick,
                    max_wall_s=max_wall,
                    catch_sigint=True,
                    pairs_dir=pairs_dir,
                    watch=pace,
                )
        else:
            results = run_scenario(
                loaded,
                seed,
                max_wall_s=max_wall,
                catch_sigint=True,
                pairs_dir=pairs_dir,
                watch=pace,
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
        # Before the simulation ran, or a second Ctrl-C while writing: the folder is whole or
        # absent (written aside, then renamed), never half written.
        typer.echo("interrupted: no results written", err=True)
        raise typer.Exit(130) from None
    except ResultsFolderError as exc:
        raise _fail(f"--out {exc}") from None
    except ScenarioError as exc:
        raise _fail(str(exc) if exc.file else f"{name}: {exc}") from None
    except QrnaError as exc:
        raise _fail(f"{name}: {exc}") from None
    s = results.summary
    if output is OutputFormat.json:
        typer.echo(summary_json(results))
    else:
        _print_summary(s)
        if folder is not None:
            typer.echo(f"results: {folder}/ (summary.json, pairs.csv, plots, report.html)")
    if s["interrupted"]:
        how = "interrupted" if s["stopped"] == "interrupt" else f"--max-wall {max_wall:g} s reached"
        where = f"; results so far in {folder}/" if folder is not None else ""
        typer.echo(
            f"{'warning: ' if s['stopped'] == 'max_wall' else ''}{how}: stopped at "
            f"{s['sim_time_s']:.6g} s of {duration:g} s simulated{where}",
            err=True,
        )
        if s["stopped"] == "interrupt":
            raise typer.Exit(130)


@contextlib.contextmanager
def _sigint_while_writing(pressed: bool) -> Iterator[None]:
    """While the results are written, a first Ctrl-C (``pressed``: one already stopped the
    simulation) only warns: the folder on its way is complete. The next one aborts the
    writing (``KeyboardInterrupt``); the folder then stays as it was, being written aside."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 1 if pressed else 0

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        typer.echo("writing the results; Ctrl-C again aborts", err=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _print_summary(s: dict[str, Any]) -> None:
    console = Console()
    table = Table(
        title=f"qrna {s['version']}: {s['scenario']}, {s['sim_time_s']:g} s simulated, "
        f"seed {s['seed']}"
    )
    for col in ("connection", "app", "path", "status", "pairs", "rate/s (95% CI)", "F (target)"):
        table.add_column(col, justify="left" if col in ("connection", "app", "path") else "right")
    for c in s["connections"]:
        lo, hi = c["rate_ci_hz"]
        f = c["fidelity_mean"]
        table.add_row(
            c["id"],
            c["app"],
            "-".join(c["path"]) or "-",
            c["status"] + (f": {c['detail']}" if c["detail"] else ""),
            str(c["pairs_delivered"]),
            f"{c['rate_hz']:.0f} ({lo:.0f}–{hi:.0f})",
            ("–" if math.isnan(f) else f"{f:.3f}") + f" ({c['fidelity_target']:g})",
        )
    console.print(table)
    for c in s["connections"]:
        shown = {
            k: (round(v, 4) if isinstance(v, float) else v)
            for k, v in c["app_results"].items()
            if not isinstance(v, list | dict)
        }
        if shown:
            console.print(
                f"{c['id']} ({c['app']}): " + ", ".join(f"{k}={v}" for k, v in shown.items())
            )
    console.print(f"{s['events']} events in {s['wall_time_s']:.2f} s wall time")


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
) -> None:
    """Check a scenario file (and build its network) without running it. Exit 0 if it can run,
    2 with the reason if not."""
    from qrna.scenario import ScenarioError, build_network, check_traffic, load_scenario

    try:
        loaded = load_scenario(path, set_ or [])
        check_traffic(loaded, build_network(loaded))
    except ScenarioError as exc:
        raise _fail(str(exc) if exc.file else f"{path}: {exc}") from None
    except QrnaError as exc:
        raise _fail(f"{path}: {exc}") from None
    typer.echo(f"OK: {path}: scenario {loaded.name!r}")


def main() -> None:
    """Entry point of the ``qrna`` console script."""
    app()
