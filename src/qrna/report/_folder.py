"""The results folder of a run: ``summary.json``, ``pairs.csv`` (and ``pairs.parquet``),
``links.csv``, the plots, and ``report.html`` — one self-contained page (plots inlined as
base64 PNGs, no external resources), so it can be mailed or archived as is.

The folder appears whole or not at all: it is built in a hidden sibling folder (same parent,
so the same file system) and renamed into place; a results folder already there (one with a
``summary.json``, or an empty one; anything else is refused) is renamed aside first and
removed after. A write that fails or is interrupted removes its sibling and leaves
the target as it was (the old folder, or none).
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from qrna.errors import QrnaError
from qrna.report._plots import save_figures
from qrna.scenario import Results

__all__ = [
    "ResultsFolderError",
    "check_folder",
    "default_folder",
    "report_html",
    "strict_json",
    "summary_json",
    "write_results",
]


class ResultsFolderError(QrnaError, ValueError):
    """The results folder cannot be written where asked."""


def default_folder(results: Results) -> Path:
    """``results/<scenario>-<seed>``."""
    return Path("results") / f"{results.scenario.name}-{results.seed}"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def strict_json(value: Any, indent: int | None = 2) -> str:
    """``value`` as strict JSON text: NaN and infinities become null (JSON has neither, and
    strict parsers reject Python's ``NaN``)."""
    return json.dumps(_json_safe(value), indent=indent, allow_nan=False)


def summary_json(results: Results) -> str:
    """The summary as strict JSON text (NaN and infinities become null)."""
    return strict_json(results.summary)


def check_folder(folder: Path) -> None:
    """Raise ``ResultsFolderError`` unless a results folder can be written at ``folder``:
    it is absent, empty or an earlier results folder (it holds ``summary.json``) and not the
    current folder or above it, and its nearest existing parent is a folder we may write in.
    Creates nothing (a run that fails leaves no trace)."""
    if folder.exists() and not folder.is_dir():
        raise ResultsFolderError(f"{folder} exists and is not a folder")
    if folder.is_dir():
        # Replacing a folder removes the old one: only ever a results folder (or an empty
        # one), never the folder a user works in.
        here = Path.cwd().resolve()
        if folder.resolve() in (here, *here.parents):
            raise ResultsFolderError(f"{folder} is the current folder or one above it")
        if any(folder.iterdir()) and not (folder / "summary.json").is_file():
            raise ResultsFolderError(
                f"{folder} exists and is not a results folder (no summary.json); it would be "
                "replaced: choose another --out or remove it"
            )
    parent = folder.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ResultsFolderError(f"{folder}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ResultsFolderError(f"{folder}: no permission to write in {parent}")


def write_results(results: Results, folder: Path | None = None) -> Path:
    """Write every result file into ``folder`` (default ``default_folder``), atomically
    (module docstring); returns it."""
    folder = default_folder(results) if folder is None else folder
    check_folder(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    building = folder.parent / f".{folder.name}.tmp-{tag}"
    building.mkdir()
    try:
        _write_files(results, building)
        if folder.exists():
            old = folder.parent / f".{folder.name}.old-{tag}"
            folder.rename(old)
            try:
                building.rename(folder)
            except BaseException:
                old.rename(folder)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            building.rename(folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return folder


def _write_files(results: Results, folder: Path) -> None:
    import pyarrow.parquet as pq

    (folder / "summary.json").write_text(summary_json(results))
    shutil.copyfile(results.pairs_file, folder / "pairs.parquet")
    parquet = pq.ParquetFile(folder / "pairs.parquet")
    with (folder / "pairs.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=parquet.schema_arrow.names)
        writer.writeheader()
        for batch in parquet.iter_batches(batch_size=65536):
            writer.writerows(batch.to_pylist())
    links = results.summary["links"]
    with (folder / "links.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(links[0]) if links else ["endpoints"])
        writer.writeheader()
        for link in links:
            writer.writerow({**link, "endpoints": "~".join(link["endpoints"])})
    figures = save_figures(results, folder)
    (folder / "report.html").write_text(report_html(results, figures))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "–" if not math.isfinite(value) else f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return html.escape(str(value))


def report_html(results: Results, figures: dict[str, Path]) -> str:
    """One self-contained HTML page: the summary tables and the plots inlined."""
    s = results.summary
    conn_cols = [
        "id",
        "app",
        "path",
        "status",
        "fidelity_target",
        "pairs_delivered",
        "rate_hz",
        "rate_ci_hz",
        "fidelity_mean",
        "fidelity_ci",
        "latency_s_mean",
    ]
    link_cols = [
        "endpoints",
        "type",
        "length_km",
        "success_probability",
        "pairs_generated",
        "rate_hz",
        "fidelity_mean",
    ]

    def table(rows: list[dict[str, Any]], cols: list[str]) -> str:
        head = "".join(f"<th>{c}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{_fmt(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    apps = "".join(
        f"<h3>{html.escape(c['id'])} ({html.escape(c['app'])})</h3><pre>"
        + html.escape(strict_json(c["app_results"], indent=1))
        + "</pre>"
        for c in s["connections"]
        if c["app_results"]
    )
    images = "".join(
        f'<figure><img alt="{name}" src="data:image/png;base64,'
        + base64.b64encode(path.read_bytes()).decode()
        + f'"><figcaption>{name}</figcaption></figure>'
        for name, path in figures.items()
    )
    title = f"qrna {s['version']}: {html.escape(s['scenario'])}, seed {s['seed']}"
    stopped = ""
    if s.get("interrupted"):
        asked = results.scenario.simulation.duration_s
        why = {"interrupt": "interrupted (Ctrl-C)", "max_wall": "stopped by --max-wall"}
        stopped = (
            f" <strong>The run was {why.get(s['stopped'], 'stopped')} at "
            f"{_fmt(s['sim_time_s'])} s of {_fmt(asked)} s: these are the results so far."
            "</strong>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th {{ background: #eef2f8; }}
figure {{ display: inline-block; margin: 0.5em; }}
img {{ max-width: 100%; }}
pre {{ background: #f6f6f6; padding: 0.6em; }}
</style></head><body>
<h1>{title}</h1>
<p>{html.escape(results.scenario.description)}</p>
<p>{_fmt(s["sim_time_s"])} s simulated in {_fmt(s["wall_time_s"])} s wall time,
{s["events"]} events.{stopped}</p>
<h2>Connections</h2>{table(s["connections"], conn_cols)}
<h2>Links</h2>{table(s["links"], link_cols)}
<h2>Applications</h2>{apps or "<p>none</p>"}
<h2>Plots</h2>{images}
</body></html>
"""
