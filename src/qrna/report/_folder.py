"""The results folder of a run: ``summary.json``, ``pairs.csv`` (and ``pairs.parquet``),
``links.csv``, the plots, and ``report.html`` (built by ``_html``).

The folder appears whole or not at all: it is built in a hidden sibling folder (same parent,
so the same file system) and renamed into place; a results folder already there is renamed
aside first and removed after. Only an empty folder, or one that holds nothing but the files
a run writes (``_RESULT_FILES``, ``*.png``) with a ``summary.json`` that is a qrna summary,
counts as one: anything else may be the person's work and is refused, as is a symbolic link.
A write that fails or is interrupted removes its sibling and leaves the target as it was (the
old folder, or none).
"""

from __future__ import annotations

import csv
import json
import math
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from qrna.errors import QrnaError
from qrna.report._html import report_html
from qrna.report._plots import save_figures
from qrna.scenario import Results

__all__ = [
    "ResultsFolderError",
    "check_folder",
    "default_folder",
    "strict_json",
    "summary_json",
    "write_results",
]


class ResultsFolderError(QrnaError, ValueError):
    """The results folder cannot be written where asked."""


_RESULT_FILES = frozenset(
    {"summary.json", "pairs.csv", "pairs.parquet", "links.csv", "report.html"}
)
"""The files ``write_results`` writes, besides the plots (``*.png``, ``save_figures``)."""

_SUMMARY_KEYS = ("version", "scenario", "seed")


def _not_results(folder: Path) -> str | None:
    """Why the existing folder ``folder`` is not one qrna may replace; None if it may (it is
    empty, or holds only result files and a qrna ``summary.json``)."""
    entries = sorted(folder.iterdir())
    if not entries:
        return None
    foreign = [
        p.name
        for p in entries
        if p.is_symlink()
        or not p.is_file()
        or not (p.name in _RESULT_FILES or p.name.endswith(".png"))
    ]
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        return f"it holds {shown}, which qrna does not write"
    summary = folder / "summary.json"
    if not summary.is_file():
        return "no summary.json"
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return "its summary.json is not JSON"
    if not isinstance(data, dict) or not all(k in data for k in _SUMMARY_KEYS):
        return "its summary.json is not a qrna summary (no 'version', 'scenario' and 'seed')"
    return None


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
    it is not a symbolic link, it is absent, empty or an earlier results folder (module
    docstring) and not the current folder or above it, and its nearest existing parent is a
    folder we may write in. Creates nothing (a run that fails leaves no trace)."""
    if folder.is_symlink():
        # Replacing it would rename the link aside and put a folder in its place, not write
        # where it points: refuse rather than guess.
        raise ResultsFolderError(f"{folder} is a symbolic link; give the folder it points to")
    if folder.exists() and not folder.is_dir():
        raise ResultsFolderError(f"{folder} exists and is not a folder")
    if folder.is_dir():
        # Replacing a folder removes the old one: only ever a results folder (or an empty
        # one), never the folder a user works in.
        here = Path.cwd().resolve()
        if folder.resolve() in (here, *here.parents):
            raise ResultsFolderError(f"{folder} is the current folder or one above it")
        why = _not_results(folder)
        if why is not None:
            raise ResultsFolderError(
                f"{folder} exists and is not a results folder ({why}); it would be replaced: "
                "choose another --out or remove it"
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
