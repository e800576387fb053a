"""Plots of a run (matplotlib, headless): throughput over time per connection, the delivered
fidelity distribution, and the topology with its node and link types.

Each function takes ``Results`` and returns a matplotlib ``Figure``; ``save_figures`` writes
PNGs. With many connections the throughput and fidelity plots show the ``top`` connections by
pairs delivered and sum the rest as "others", so a 60-connection run has at most ``top + 1``
series and a legend that can be read; legends sit outside the axes, beside the data.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")  # no display needed: files and reports only

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from qrna.scenario import Results

__all__ = ["fidelity_figure", "save_figures", "throughput_figure", "topology_figure"]

_TOP = 8
"""How many connections the plots draw one by one (the busiest); the rest are "others"."""

# Node types of scenario files (spec §4.1), each a colour and a marker, so a printout in grey
# still tells them apart.
_NODE_STYLE: dict[str, tuple[str, str]] = {
    "COMP": ("#1f77b4", "o"),
    "REP1": ("#ff7f0e", "s"),
    "RTR": ("#2ca02c", "D"),
    "MEAS": ("#d62728", "^"),
    "SNSR": ("#9467bd", "p"),
}
_LINK_STYLE: dict[str, Literal["solid", "dashed", "dotted"]] = {
    "MIM": "solid",
    "MM": "dashed",
    "MSM": "dotted",
}
_OTHERS_COLOUR = "#7f7f7f"
# Colours of the top connections, the same in every plot: matplotlib's ten without its grey
# (C7), which is the others' and the links' colour.
_COLOURS = [f"C{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]


def _colours(i: int) -> str:
    return _COLOURS[i % len(_COLOURS)]


def _ranked(results: Results, top: int) -> tuple[list[str], list[str]]:
    """The ``top`` connection ids by pairs delivered (ties in scenario order), and the rest."""
    conns = results.summary["connections"]
    order = sorted(range(len(conns)), key=lambda i: (-conns[i]["pairs_delivered"], i))
    ids = [conns[i]["id"] for i in order]
    return ids[:top], ids[top:]


def _by_connection(results: Results, key: str) -> dict[str, list[Any]]:
    """Column ``key`` of the per-pair rows, per connection (read from the pairs file: one
    column at a time, never the whole rows)."""
    import pyarrow.parquet as pq

    table = pq.read_table(results.pairs_file, columns=["connection", key])
    connections = np.asarray(table.column("connection").to_numpy(zero_copy_only=False))
    values = table.column(key).to_numpy()
    out: dict[str, list[Any]] = defaultdict(list)
    for cid in np.unique(connections):
        out[str(cid)] = values[connections == cid].tolist()
    return out


def _legend_outside(ax: Axes, title: str | None = None) -> None:
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        frameon=False,
        title=title,
        title_fontsize="small",
    )


def _figure_legend(
    fig: Figure, handles: list[Line2D], where: Literal["upper", "lower"], title: str
) -> None:
    """A legend outside the axes, on the right (constrained layout makes room for it)."""
    fig.legend(
        handles=handles,
        loc="outside right upper" if where == "upper" else "outside right lower",
        fontsize="small",
        frameon=False,
        title=title,
        title_fontsize="small",
    )


def throughput_figure(results: Results, bins: int = 40, top: int = _TOP) -> Figure:
    """Delivered pairs per second over simulated time: one line for each of the ``top``
    connections with the most pairs, and one for the others' mean (their sum would dwarf
    the lines it is to be compared with). The time axis ends a
    little after the last delivery (or at the run's end), so short bursts are not squeezed
    into a corner of a long run."""
    fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    times = _by_connection(results, "delivered_ps")
    last = max((t for ts in times.values() for t in ts), default=0) * 1e-12
    duration = results.summary["sim_time_s"]
    end = min(duration, last * 1.05) if last > 0 else duration
    width = end / bins if end > 0 else 1.0
    xs = [(i + 0.5) * width for i in range(bins)]

    def rates(ids: list[str]) -> list[float]:
        """Per connection: the mean over ``ids``."""
        counts = [0] * bins
        for cid in ids:
            for t in times.get(cid, []):
                counts[min(bins - 1, int(t * 1e-12 / width))] += 1
        return [n / width / len(ids) for n in counts]

    apps = {c["id"]: c["app"] for c in results.summary["connections"]}
    shown, others = _ranked(results, top)
    for i, cid in enumerate(shown):
        ax.plot(xs, rates([cid]), label=f"{cid} ({apps[cid]})", color=_colours(i))
    if others:
        ax.plot(
            xs,
            rates(others),
            label=f"others ({len(others)}, mean)",
            color=_OTHERS_COLOUR,
            linestyle="--",
        )
    ax.set_xlim(0, end)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("pairs delivered per second")
    ax.set_title("Throughput per connection" + (f" (top {top} by pairs)" if others else ""))
    if shown:
        _legend_outside(ax)
    return fig


def fidelity_figure(results: Results, bins: int = 40, top: int = _TOP) -> Figure:
    """Stacked histogram of the delivered pairs' true fidelity (ground truth), the ``top``
    connections with the most pairs one by one and the others summed; ``bins`` equal bins
    span the fidelities delivered and the targets, so every bar and every dashed target line
    is on the axis however narrow the spread."""
    fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    values = _by_connection(results, "fidelity")
    targets = sorted({c["fidelity_target"] for c in results.summary["connections"]})
    points = [f for fs in values.values() for f in fs] + targets
    lo, hi = (min(points), max(points)) if points else (0.5, 1.0)
    pad = max(0.005, 0.03 * (hi - lo))
    lo, hi = max(0.0, lo - pad), min(1.0, hi + pad)
    edges = [lo + (hi - lo) * k / bins for k in range(bins + 1)]
    shown, others = _ranked(results, top)
    series = [(values.get(cid, []), cid, _colours(i)) for i, cid in enumerate(shown)]
    if others:
        rest = [f for cid in others for f in values.get(cid, [])]
        series.append((rest, f"others ({len(others)})", _OTHERS_COLOUR))
    series = [s for s in series if s[0]]
    if series:
        ax.hist(
            [s[0] for s in series],
            bins=edges,
            stacked=True,
            label=[s[1] for s in series],
            color=[s[2] for s in series],
        )
    for target in targets:
        ax.axvline(target, linestyle="--", color="black", linewidth=1, label=f"target {target:g}")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("fidelity of delivered pairs (ground truth; 1 = perfect Bell pair)")
    ax.set_ylabel(f"pairs per bin (bin {(hi - lo) / bins:.2g})")
    ax.set_title("Fidelity distribution" + (f" (top {top} by pairs)" if others else ""))
    if series or targets:
        _legend_outside(ax)
    return fig


def topology_figure(results: Results, top: int = _TOP) -> Figure:
    """The quantum topology: nodes by type (colour and marker), links by type (line style),
    link rates as labels when there are few enough links to read them, and the paths of the
    ``top`` connections in the throughput plot's colours."""
    links = results.summary["links"]
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(sorted(results.network.nodes))
    kind_of: dict[tuple[str, str], str] = {}
    for link in links:
        a, b = link["endpoints"]
        g.add_edge(a, b)
        kind_of[(a, b)] = link["type"]
    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    pos = _layout(g)
    for kind, style in _LINK_STYLE.items():
        edges = [e for e, k in kind_of.items() if k == kind]
        if edges:
            nx.draw_networkx_edges(
                g, pos, edgelist=edges, ax=ax, style=style, edge_color="#888888", width=1.2
            )
    conns = {c["id"]: c for c in results.summary["connections"]}
    shown, others = _ranked(results, top)
    paths = []
    for i, cid in enumerate(shown):
        path = conns[cid]["path"]
        if len(path) > 1:
            edges = list(itertools.pairwise(path))
            nx.draw_networkx_edges(
                g, pos, edgelist=edges, ax=ax, width=4, alpha=0.45, edge_color=_colours(i)
            )
            paths.append(Line2D([], [], color=_colours(i), linewidth=4, alpha=0.45, label=cid))
    types = {name: node.type.value for name, node in results.network.nodes.items()}
    used = []
    for kind, (colour, marker) in _NODE_STYLE.items():
        nodes = [n for n in g.nodes if types.get(n) == kind]
        if nodes:
            nx.draw_networkx_nodes(
                g, pos, nodelist=nodes, ax=ax, node_color=colour, node_shape=marker, node_size=160
            )
            used.append(
                Line2D([], [], color=colour, marker=marker, linestyle="", markersize=8, label=kind)
            )
    ys = [y for _, y in pos.values()]
    lift = 0.03 * ((max(ys) - min(ys)) or 1.0)  # names above the markers, not on them
    nx.draw_networkx_labels(
        g,
        {n: (x, y + lift) for n, (x, y) in pos.items()},
        ax=ax,
        font_size=8 if len(g) <= 30 else 6,
        verticalalignment="bottom",
    )
    if len(links) <= 20:
        rates = {tuple(link["endpoints"]): f"{link['rate_hz']:.0f}/s" for link in links}
        nx.draw_networkx_edge_labels(g, pos, edge_labels=rates, ax=ax, font_size=7)
    kinds = set(kind_of.values())
    used += [
        Line2D([], [], color="#888888", linestyle=style, label=f"{kind} link")
        for kind, style in _LINK_STYLE.items()
        if kind in kinds
    ]
    _figure_legend(fig, used, "upper", "nodes and links")
    if paths:
        _figure_legend(fig, paths, "lower", "paths" + (f" (top {top})" if others else ""))
    rates_note = "link labels: generated pairs per second" if len(links) <= 20 else ""
    ax.set_title("Topology" + (f" ({rates_note})" if rates_note else ""))
    ax.axis("off")
    return fig


_SPRING_MAX_NODES = 500  # above this networkx's spring layout needs scipy (not a dependency)


def _layout(g: nx.Graph[str]) -> dict[str, tuple[float, float]]:
    """A spring layout; for small graphs the one of eight seeded tries with the fewest
    crossing links (crossings are what make a drawn network hard to follow). Networks of
    more than 500 nodes are drawn on a circle: a spring layout there is slow, and networkx
    computes it with scipy."""
    if g.number_of_nodes() > _SPRING_MAX_NODES:
        return {n: (float(x), float(y)) for n, (x, y) in nx.circular_layout(g).items()}
    if g.number_of_edges() > 60:
        return {n: (float(x), float(y)) for n, (x, y) in nx.spring_layout(g, seed=1).items()}
    best: tuple[int, dict[str, tuple[float, float]]] | None = None
    for seed in range(1, 9):
        pos = {n: (float(x), float(y)) for n, (x, y) in nx.spring_layout(g, seed=seed).items()}
        crossings = _crossings(list(g.edges), pos)
        if best is None or crossings < best[0]:
            best = (crossings, pos)
    assert best is not None
    return best[1]


def _crossings(edges: list[tuple[str, str]], pos: dict[str, tuple[float, float]]) -> int:
    def side(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    count = 0
    for (a, b), (c, d) in itertools.combinations(edges, 2):
        if len({a, b, c, d}) < 4:
            continue  # links sharing a node meet there, they do not cross
        pa, pb, pc, pd = pos[a], pos[b], pos[c], pos[d]
        if side(pa, pb, pc) * side(pa, pb, pd) < 0 and side(pc, pd, pa) * side(pc, pd, pb) < 0:
            count += 1
    return count


def save_figures(results: Results, folder: Path) -> dict[str, Path]:
    """Write the PNGs into ``folder``: the three plots, and for a network of networks its
    layers (``layers_figure``); returns {name: path}."""
    from qrna.report._layers import layers_figure  # it draws with this module's helpers

    out: dict[str, Path] = {}
    makers: dict[str, Any] = {
        "throughput": throughput_figure,
        "fidelity": fidelity_figure,
        "topology": topology_figure,
        "layers": layers_figure,
    }
    for name, make in makers.items():
        fig = make(results)
        if fig is None:
            continue
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        out[name] = path
    return out
