"""The ``qrna`` command line.

``qrna --help`` lists the commands; ``qrna --version`` prints the version; ``qrna run`` runs the
built-in default and prints a summary table (or one JSON object with ``--format json``).
"""

from __future__ import annotations

import json
import math
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
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


@app.command()
def run(
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
    """Run the built-in default: four heralded links (MIM double and single click, MM, MSM),
    each with link monitoring, and report rates and fidelities beside the closed forms."""
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
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"qrna {__version__}: default links, {duration:g} s simulated, seed {seed}")
    for col in ("link", "type", "km", "p", "pairs", "rate/s (model)", "F", "F est. (95% CI)"):
        table.add_column(col, justify="right" if col not in ("link", "type") else "left")
    for r in rows:
        kind = r["type"] + (" 1-click" if r["heralding"] == "single_click" else "")
        lo, hi = r["monitored_fidelity_ci"]
        table.add_row(
            "~".join(r["endpoints"]),
            kind,
            f"{r['length_km']:g}",
            f"{r['success_probability']:.4f}",
            str(r["pairs_generated"]),
            f"{r['rate_hz']:.0f} ({r['analytic_rate_hz']:.0f})",
            f"{r['fidelity_mean']:.3f}",
            f"{r['monitored_fidelity']:.3f} ({lo:.2f}–{hi:.2f})",
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


def main() -> None:
    """Entry point of the ``qrna`` console script."""
    app()
