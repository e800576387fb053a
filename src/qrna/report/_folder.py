"""The results folder of a run: ``summary.json``, ``pairs.csv`` (and ``pairs.parquet``),
``links.csv``, the plots, and ``report.html`` (built by ``_html``).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from qrna.report._html import report_html
from qrna.report._plots import save_figures
from qrna.scenario import Results

__all__ = ["default_folder", "summary_json", "write_results"]


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


def summary_json(results: Results) -> str:
    """The summary as JSON text (NaN and infinities become null)."""
    return json.dumps(_json_safe(results.summary), indent=2)


def write_results(results: Results, folder: Path | None = None) -> Path:
    """Write every result file into ``folder`` (default ``default_folder``); returns it."""
    folder = default_folder(results) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(summary_json(results))
    columns = list(results.pairs[0]) if results.pairs else ["connection"]
    with (folder / "pairs.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(results.pairs)
    try:
        import pyarrow.parquet as pq

        pq.write_table(results.pairs_table(), folder / "pairs.parquet")
    except ImportError:  # pragma: no cover - pyarrow is a dependency; keep CSV regardless
        pass
    links = results.summary["links"]
    with (folder / "links.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(links[0]) if links else ["endpoints"])
        writer.writeheader()
        for link in links:
            writer.writerow({**link, "endpoints": "~".join(link["endpoints"])})
    figures = save_figures(results, folder)
    (folder / "report.html").write_text(report_html(results, figures))
    return folder
