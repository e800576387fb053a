"""Plots of a run (matplotlib, headless): throughput over time per connection, the delivered
fidelity distribution, and the topology drawn with link rates.

Each function takes ``Results`` and returns a matplotlib ``Figure``; ``save`` writes PNGs.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display needed: files and reports only

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.figure import Figure

from qrna.scenario import Results


def _columns(results: Results, *names: str) -> dict[str, Any]:
    """Columns of the per-pair rows as numpy arrays (only those read from the file)."""
    import pyarrow.parquet as pq

    table = pq.read_table(results.pairs_file, columns=list(names))
    return {n: table.column(n).to_numpy() for n in names}


__all__ = ["fidelity_figure", "save_figures", "throughput_figure", "topology_figure"]


def throughput_figure(results: Results, bins: int = 40) -> Figure:
    """Delivered pairs per second over simulated time, one line per connection."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    duration = results.summary["sim_time_s"]
    width = duration / bins if duration > 0 else 1.0
    rows = _columns(results, "connection", "delivered_ps")
    for c in results.summary["connections"]:
        times = rows["delivered_ps"][rows["connection"] == c["id"]] * 1e-12
        counts = np.bincount(np.minimum(bins - 1, (times / width).astype(np.int64)), minlength=bins)
        xs = (np.arange(bins) + 0.5) * width
        ax.plot(xs, counts / width, label=f"{c['id']} ({c['app']})")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("pairs delivered per second")
    ax.set_title("Throughput per connection")
    if results.summary["connections"]:
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def fidelity_figure(results: Results) -> Figure:
    """Histogram of delivered pairs' true fidelity per connection, targets dashed."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    rows = _columns(results, "connection", "fidelity")
    for i, c in enumerate(results.summary["connections"]):
        values = rows["fidelity"][rows["connection"] == c["id"]]
        if len(values):
            ax.hist(values, bins=30, alpha=0.55, label=c["id"], color=f"C{i}")
            ax.axvline(c["fidelity_target"], linestyle="--", color=f"C{i}")
    ax.set_xlabel("fidelity of delivered pairs (ground truth)")
    ax.set_ylabel("pairs")
    ax.set_title("Fidelity distribution (dashed: requested)")
    if len(rows["fidelity"]):
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def topology_figure(results: Results) -> Figure:
    """The quantum topology; link labels are generated pairs per second, connection paths
    drawn over it."""
    g: nx.Graph[str] = nx.Graph()
    rates: dict[tuple[str, str], str] = {}
    for link in results.summary["links"]:
        a, b = link["endpoints"]
        g.add_edge(a, b)
        rates[(a, b)] = f"{link['rate_hz']:.0f}/s"
    fig, ax = plt.subplots(figsize=(7, 5))
    pos = nx.spring_layout(g, seed=1)
    nx.draw_networkx(g, pos, ax=ax, node_color="#dde6f3", edge_color="#999999", font_size=8)
    nx.draw_networkx_edge_labels(g, pos, edge_labels=rates, ax=ax, font_size=7)
    for i, c in enumerate(results.summary["connections"]):
        path = c["path"]
        if len(path) > 1:
            edges = list(itertools.pairwise(path))
            nx.draw_networkx_edges(
                g, pos, edgelist=edges, ax=ax, width=3, alpha=0.5, edge_color=f"C{i}"
            )
    ax.set_title("Topology, link rates and connection paths")
    ax.axis("off")
    fig.tight_layout()
    return fig


def save_figures(results: Results, folder: Path) -> dict[str, Path]:
    """Write the three PNGs into ``folder``; returns {name: path}."""
    out: dict[str, Path] = {}
    makers: dict[str, Any] = {
        "throughput": throughput_figure,
        "fidelity": fidelity_figure,
        "topology": topology_figure,
    }
    for name, make in makers.items():
        fig = make(results)
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        out[name] = path
    return out
