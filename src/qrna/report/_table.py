"""The summary table ``qrna run`` prints: one line per connection, fitted to the terminal.

Example:
    >>> _path_texts([["alice", "r1", "r2", "r3", "bob"]], 14)
    ['alice→…→bob (4 hops)']
"""

from __future__ import annotations

import math
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from qrna.report._html import _number  # whole numbers from 100 up, figures below

__all__ = ["print_summary"]


def print_summary(s: dict[str, Any], console: Console | None = None) -> None:
    """The run's table, one line per connection, fitted to the terminal (80 columns when
    piped): the key figures (id, status, pairs, rate, F and target) are never cut; the path
    gets the width left over and shrinks to its ends and hop count when it does not fit.
    Failure details and application figures follow on lines of their own."""
    console = Console() if console is None else console
    header = ("connection", "path", "status", "pairs", "rate/s (95% CI)", "F (target)")
    figures = [
        (
            c["id"],
            c["status"],
            str(c["pairs_delivered"]),
            _rate_text(c["rate_hz"], c["rate_ci_hz"]),
            _fidelity_text(c["fidelity_mean"], c["fidelity_target"]),
        )
        for c in s["connections"]
    ]
    fixed = sum(
        max([len(title)] + [len(row[k]) for row in figures])
        for k, title in enumerate(h for h in header if h != "path")
    )
    # Columns are separated by their right padding and the box's blank divider: 2 characters.
    path_width = max(8, console.width - fixed - 2 * (len(header) - 1))
    paths = _path_texts([c["path"] for c in s["connections"]], path_width)
    table = Table(
        title=f"qrna {s['version']}: {s['scenario']}, {s['sim_time_s']:g} s simulated, "
        f"seed {s['seed']}",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for title in header:
        table.add_column(
            title,
            justify="left" if title in ("connection", "path", "status") else "right",
            no_wrap=True,
            max_width=path_width if title == "path" else None,
        )
    for (cid, *rest), path in zip(figures, paths, strict=True):
        table.add_row(cid, path, *rest)
    console.print(table)
    for c in s["connections"]:  # in a network of networks, the path in each one crossed
        for layer in c.get("layers", []):
            console.print(
                f"{c['id']} across {layer['network']}: " + "→".join(layer["path"]),
                highlight=False,
            )
    for c in s["connections"]:
        if c["detail"]:
            console.print(f"{c['id']} {c['status']}: {c['detail']}", highlight=False)
    for c in s["connections"]:
        shown = {
            k: (f"{v:.4g}" if isinstance(v, float) else v)
            for k, v in c["app_results"].items()
            if not isinstance(v, list | dict)
        }
        if shown:
            console.print(
                f"{c['id']} ({c['app']}): " + ", ".join(f"{k}={v}" for k, v in shown.items()),
                highlight=False,
            )
    console.print(f"{s['events']} events in {s['wall_time_s']:.2f} s wall time")


def _rate_text(rate: float, ci: list[float]) -> str:
    """``5606 ± 246`` when the interval is symmetric (Poisson, N > 0), else ``0 (0–37)``;
    ``–`` for a connection that was never up."""
    lo, hi = ci
    if math.isnan(lo) or math.isnan(hi):  # never up: no time to measure a rate over
        return "–"
    if math.isclose(hi - rate, rate - lo, rel_tol=1e-6, abs_tol=1e-9):
        return f"{_number(rate, 3)} ± {_number(hi - rate, 3)}"
    return f"{_number(rate, 3)} ({_number(lo, 3)}–{_number(hi, 3)})"


def _fidelity_text(mean: float, target: float) -> str:
    return ("–" if math.isnan(mean) else f"{mean:.3f}") + f" ({target:g})"


def _path_texts(paths: list[list[str]], width: int) -> list[str]:
    """Each path whole if it fits ``width``, else its ends and hop count (``a→…→b (5 hops)``,
    long end names cut); spaced arrows only when every path fits with them, so the column
    reads alike. Rich cuts what still does not fit (only names too long for the terminal)."""
    arrow = " → " if all(len(" → ".join(p)) <= width for p in paths) else "→"

    def text(path: list[str]) -> str:
        if len(path) < 2:
            return "–"
        whole = arrow.join(path)
        if len(whole) <= width:
            return whole
        hops = f"({len(path) - 1} hops)"
        share = (width - len(f"→…→ {hops}")) // 2  # for each end's name, cut to fit
        if share < 4 or len(f"{path[0]}→…→{path[-1]} {hops}") <= width:
            return f"{path[0]}→…→{path[-1]} {hops}"
        return f"{_cut(path[0], share)}→…→{_cut(path[-1], share)} {hops}"

    return [text(p) for p in paths]


def _cut(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"
