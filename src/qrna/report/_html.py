"""``report.html``: one self-contained page (plots inlined as base64 PNGs, no external
resources), so it can be mailed or archived as is.

Everything is a table a person reads, not a JSON dump: the connections (figures with their
95 % intervals), each application's own results (one table per application, a row per
connection), the plan the RuleSet generator chose per connection beside what it delivered,
the links, and the plots.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qrna.scenario import Results

__all__ = ["report_html"]

# Application figures as column headers (units in brackets); a figure not listed here is
# shown under its key with "_hz" read as (/s) and "_s" as (s).
_APP_LABELS: dict[str, str] = {
    "pairs_measured": "pairs measured",
    "qber_x": "QBER X",
    "qber_z": "QBER Z",
    "sifted_x": "sifted X",
    "sifted_z": "sifted Z",
    "sifted_bits": "sifted bits",
    "sifted_key_rate_hz": "sifted key rate (bit/s)",
    "secret_fraction": "secret fraction",
    "secret_key_rate_hz": "secret key rate (bit/s)",
    "teleported": "teleported",
    "lost": "lost",
    "teleport_fidelity": "teleportation fidelity",
    "by_basis": "fidelity in",
    "samples": "samples",
    "state": "Bell weights (Φ+, Ψ−, Ψ+, Φ−)",
    "fidelity_estimate": "fidelity estimate",
    "events": "events",
    "timestamp_offset_mean_s": "timestamp offset, mean (s)",
    "timestamp_precision_s": "timestamp precision (s)",
    "latency_mean_s": "latency, mean (s)",
    "parity_agreement": "parity agreement",
}
_APP_TITLES = {
    "qkd": "QKD (BBM92)",
    "teleport": "Teleportation",
    "tomography": "Tomography",
    "sensing": "Sensing",
}
_CONNECTION_HEADERS = [
    "connection",
    "app",
    "path",
    "status",
    "pairs",
    "rate (pairs/s, 95% CI)",
    "fidelity (95% CI)",
    "target",
    "latency (ms)",
]
_PLAN_HEADERS = [
    "connection",
    "hops",
    "link purification",
    "swap order",
    "segment purification (per level)",
    "end-to-end purification",
    "discard timer (ms)",
    "estimated fidelity",
    "delivered fidelity",
    "estimated rate (pairs/s)",
    "delivered rate (pairs/s)",
]
_LINK_HEADERS = [
    "link",
    "type",
    "length (km)",
    "success probability",
    "pairs generated",
    "rate (pairs/s)",
    "fidelity at herald",
    "fidelity advertised",
]


def _number(value: Any, digits: int = 4) -> str:
    """A figure as a person reads it: ``–`` for none or NaN, integers as they are, rates from
    100 up as whole numbers, others to ``digits`` significant figures."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _fidelity(value: Any) -> str:
    """Fidelities to four decimals, so a column of them lines up: ``0.8030``."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4f}"
    return _number(value)


def _interval(ci: Any) -> bool:
    return isinstance(ci, list | tuple) and len(ci) == 2 and all(_number(x) != "–" for x in ci)


def _with_ci(value: Any, ci: Any, fmt: Callable[[Any], str] = _number) -> str:
    """``5606 (5360–5852)``; the value alone when there is no interval."""
    return f"{fmt(value)} ({fmt(ci[0])}–{fmt(ci[1])})" if _interval(ci) else fmt(value)


def _rate(rate: float, ci: Any) -> str:
    """A connection's rate with its interval; ``–`` for one never up (no interval: there was
    no time to measure a rate over)."""
    return _with_ci(rate, ci) if _interval(ci) else "–"


def _label(key: str) -> str:
    if key in _APP_LABELS:
        return _APP_LABELS[key]
    for suffix, unit in (("_hz", " (/s)"), ("_s", " (s)")):
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " ") + unit
    return key.replace("_", " ")


def _table(headers: list[str], rows: list[list[str]], css: str = "") -> str:
    """Cells are trusted HTML (callers escape text); headers are escaped here."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _path(path: list[str]) -> str:
    """Nodes joined by arrows; a long path wraps at the arrows, never inside a name (names
    often hold hyphens, where browsers would otherwise break)."""
    if not path:
        return "–"
    return " → ".join(f'<span class="node">{html.escape(n)}</span>' for n in path)


def _connections(conns: list[dict[str, Any]]) -> str:
    rows = []
    for c in conns:
        mean, target = c["fidelity_mean"], c["fidelity_target"]
        short = c["pairs_delivered"] > 0 and _number(mean) != "–" and mean < target
        fidelity = _with_ci(mean, c["fidelity_ci"], _fidelity)
        latency = c["latency_s_mean"]
        rows.append(
            [
                html.escape(c["id"]),
                html.escape(c["app"]),
                _path(c["path"]),
                f'<span class="{html.escape(c["status"])}">{html.escape(c["status"])}</span>',
                _number(c["pairs_delivered"]),
                _rate(c["rate_hz"], c["rate_ci_hz"]),
                f'<span class="miss">{fidelity}</span>' if short else fidelity,
                _number(target),
                _number(None if latency is None else latency * 1e3, 3),
            ]
        )
    table = _table(_CONNECTION_HEADERS, rows, "connections")
    details = "".join(
        f"<li><b>{html.escape(c['id'])}</b> {html.escape(c['status'])}: "
        f"{html.escape(str(c['detail']))}</li>"
        for c in conns
        if c.get("detail")
    )
    return table + (f'<ul class="details">{details}</ul>' if details else "")


def _app_tables(conns: list[dict[str, Any]]) -> str:
    """One table per application, a row per connection, a column per figure; a figure's
    ``_ci`` joins its column, a mapping (teleportation by basis) spreads over columns."""
    out = []
    for app in dict.fromkeys(c["app"] for c in conns):
        group = [c for c in conns if c["app"] == app and c["app_results"]]
        if not group:
            continue
        columns: dict[str, str] = {}  # column key -> header
        for c in group:
            for key, value in c["app_results"].items():
                if key.endswith("_ci") and key[:-3] in c["app_results"]:
                    continue
                if isinstance(value, dict):
                    for sub in value:
                        columns.setdefault(f"{key}.{sub}", f"{_label(key)} {sub}")
                else:
                    columns.setdefault(key, _label(key))
        rows = []
        for c in group:
            res = c["app_results"]
            row = [html.escape(c["id"])]
            for key in columns:
                if "." in key:
                    outer, sub = key.split(".", 1)
                    row.append(_number((res.get(outer) or {}).get(sub)))
                elif isinstance(res.get(key), list) and f"{key}_ci" not in res:
                    row.append(", ".join(_number(v, 3) for v in res[key]))
                else:
                    row.append(_with_ci(res.get(key), res.get(f"{key}_ci")))
            rows.append(row)
        title = _APP_TITLES.get(app, app)
        out.append(
            f"<h3>{html.escape(title)}</h3>"
            + _table(["connection", *columns.values()], rows, f"app app-{html.escape(app)}")
        )
    return "".join(out) or "<p>No application reported figures.</p>"


def _purification(text: Any) -> str:
    """The generator's ``"2 x dejmps"`` as ``2 × DEJMPS``; no rounds is ``none``."""
    if not isinstance(text, str):
        return _number(text)
    rounds, _, scheme = text.partition(" x ")
    if rounds == "0":
        return "none"
    scheme, _, method = scheme.partition(" ")  # "dejmps pumping": entanglement pumping
    shown = f"{rounds} × {scheme.upper()}" + (f", {method}" if method else "")
    return html.escape(shown if scheme else text)


def _levels(levels: Any) -> str:
    """Segment purification per swap level, level 1 first: ``L1: 1 × DEJMPS; L2: none``;
    ``none`` if no level purifies."""
    if not isinstance(levels, list) or not levels:
        return "none" if levels is not None else "–"
    return "; ".join(f"L{k}: {_purification(text)}" for k, text in enumerate(levels, 1))


def _plans(conns: list[dict[str, Any]]) -> str:
    rows = []
    for c in conns:
        plan = c.get("plan") or {}
        discard = plan.get("discard_after_s")
        rows.append(
            [
                html.escape(c["id"]),
                _number(max(0, len(c["path"]) - 1)) if c["path"] else "–",
                _purification(plan.get("link_purification")),
                html.escape(str(plan.get("swap_order", "–"))),
                _levels(plan.get("segment_purification")),
                _purification(plan.get("e2e_purification")),
                _number(None if discard is None else discard * 1e3, 3),
                _fidelity(plan.get("estimated_fidelity")),
                _fidelity(c["fidelity_mean"]),
                _number(plan.get("estimated_rate_hz")),
                _number(c["rate_hz"]),
            ]
        )
    return _table(_PLAN_HEADERS, rows, "plans")


_COUNT_HEADERS = [
    "connection",
    "link attempts",
    "link pairs",
    "swaps",
    "failed swaps",
    "purifications",
    "failed purifications",
]


def _counts(conns: list[dict[str, Any]]) -> str:
    rows = []
    for c in conns:
        counts = c.get("counts") or {}
        link, swap, pur = (counts.get(k, {}) for k in ("link", "swap", "purification"))
        rows.append(
            [
                html.escape(c["id"]),
                _number(link.get("attempts")),
                _number(link.get("successes")),
                _number(swap.get("attempts")),
                _number(swap.get("failures")),
                _number(pur.get("attempts")),
                _number(pur.get("failures")),
            ]
        )
    return _table(_COUNT_HEADERS, rows, "counts")


def _links(links: list[dict[str, Any]]) -> str:
    rows = [
        [
            html.escape(" – ".join(link["endpoints"])),
            html.escape(link["type"]),
            _number(link["length_km"]),
            _number(link["success_probability"]),
            _number(link["pairs_generated"]),
            _number(link["rate_hz"]),
            _fidelity(link["fidelity_mean"]),
            _fidelity(link.get("fidelity_advertised")),
        ]
        for link in links
    ]
    return _table(_LINK_HEADERS, rows, "links")


_CAPTIONS = {
    "throughput": "Pairs delivered per second over simulated time, per connection.",
    "fidelity": "True fidelity of the delivered pairs (stacked); dashed lines: the targets.",
    "topology": "Nodes by type, links by type, and the busiest connections' paths.",
    "layers": "Each layer of the network of networks: its nodes and the borders of the "
    "networks in it, its links and virtual links (dashed, named by the network crossed), "
    "and the path each of the busiest connections took there.",
}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1150px; }
h2 { border-bottom: 1px solid #ccd; padding-bottom: 0.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.85em; }
td, th { border: 1px solid #d4d8e0; padding: 0.2em 0.55em; text-align: right;
  white-space: nowrap; font-variant-numeric: tabular-nums; }
th { background: #eef2f8; text-align: center; white-space: normal; }
td:first-child, table.connections td:nth-child(2), table.connections td:nth-child(3),
table.connections td:nth-child(4), table.plans td:nth-child(4), table.links td:nth-child(2)
  { text-align: left; }
table.connections td:nth-child(3) { white-space: normal; min-width: 12em; max-width: 30em; }
span.node { white-space: nowrap; }
tbody tr:nth-child(even) { background: #f8f9fb; }
.done { color: #1a7f37; } .failed { color: #c62828; font-weight: bold; }
.up, .pending { color: #b26a00; } .miss { color: #c62828; }
ul.details { font-size: 0.9em; color: #444; }
figure { margin: 1em 0; } img { max-width: 100%; }
figcaption { font-size: 0.9em; color: #555; }
p.note { font-size: 0.9em; color: #555; }
"""


def report_html(results: Results, figures: dict[str, Path]) -> str:
    """One self-contained HTML page: the tables, and the plots inlined."""
    s = results.summary
    conns = s["connections"]
    done = sum(c["status"] == "done" for c in conns)
    images = "".join(
        f'<figure><img alt="{html.escape(name)} plot" src="data:image/png;base64,'
        + base64.b64encode(path.read_bytes()).decode()
        + f'"><figcaption>{html.escape(_CAPTIONS.get(name, name))}</figcaption></figure>'
        for name, path in figures.items()
    )
    title = f"qrna {s['version']}: {html.escape(s['scenario'])}, seed {s['seed']}"
    stopped = ""
    if s.get("interrupted"):
        asked = results.scenario.simulation.duration_s
        why = {"interrupt": "interrupted (Ctrl-C)", "max_wall": "stopped by --max-wall"}
        stopped = (
            f" <strong>The run was {why.get(s['stopped'], 'stopped')} at "
            f"{_number(s['sim_time_s'])} s of {_number(asked)} s: these are the results so "
            "far.</strong>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{_STYLE}</style></head><body>
<h1>{title}</h1>
<p>{html.escape(results.scenario.description)}</p>
<p>{_number(s["sim_time_s"])} s simulated in {s["wall_time_s"]:.2f} s wall time,
{s["events"]} events; {done} of {len(conns)} connections done.{stopped}</p>
<h2>Connections</h2>
<p class="note">Fidelity: the delivered pairs' true fidelity (the simulator's ground truth),
mean and 95&nbsp;% interval; in red where the mean falls short of the target. Latency: from
a pair's creation to its delivery.</p>
{_connections(conns)}
<h2>Plots</h2>{images}
<h2>Applications</h2>{_app_tables(conns)}
<h2>Plans</h2>
<p class="note">What the RuleSet generator chose for each connection and what it expected,
beside what was delivered.</p>
{_plans(conns)}
<h2>Counts</h2>
<p class="note">Link attempts (one per memory and round), the pairs they heralded, swaps and
purifications (counted at the node that leads them, once decided) and those that failed.</p>
{_counts(conns)}
<h2>Links</h2>{_links(s["links"])}
</body></html>
"""
