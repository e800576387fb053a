"""The layers of a network of networks, drawn (spec §5, Fig. 5: "the resources of a network
can be virtualised as a single node"): one panel per layer, the top layer first, each
network's own after it, outer before inner.

In a layer's panel: its vertices (the network's own nodes and the borders of the networks in
it) by type, its physical links solid, its virtual links (a network crossed, one per pair of
that network's borders) dashed and named by the network, and the path each of the busiest
connections took in that layer, in the colours of the throughput plot. What a panel does not
show is what the layer does not see: the inside of the networks it crosses.
"""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")  # no display needed: files and reports only

import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from qrna.report._plots import _NODE_STYLE, _TOP, _colours, _figure_legend, _layout, _ranked
from qrna.scenario import Results

__all__ = ["layer_paths", "layers_figure"]

_PANEL_COLUMNS = 3


def layer_paths(results: Results) -> dict[str, list[tuple[str, list[str]]]]:
    """Per layer (network name, "" for the top), the (connection, path) pairs that ran in
    it: each connection's own path in the innermost network holding it, and the path of
    every connection across a network that served it (``connections[].layers``)."""
    layering = results.network.layering
    assert layering is not None
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for c in results.summary["connections"]:
        if len(c["path"]) > 1:
            out.setdefault(layering.network_of(c["path"]), []).append((c["id"], c["path"]))
        for below in c.get("layers", []):
            out.setdefault(below["network"], []).append((c["id"], list(below["path"])))
    return out


def layers_figure(results: Results, top: int = _TOP) -> Figure | None:
    """Each layer in a panel (module docstring), with the paths of the ``top`` connections
    by pairs delivered; None for a network of one layer."""
    layering = results.network.layering
    if layering is None:
        return None
    layers = sorted(layering.graphs, key=lambda n: (n.count(".") + bool(n), n))
    cols = min(_PANEL_COLUMNS, len(layers))
    rows = math.ceil(len(layers) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.4 * cols, 3.8 * rows), layout="constrained", squeeze=False
    )
    shown, others = _ranked(results, top)
    colour = {cid: _colours(i) for i, cid in enumerate(shown)}
    paths = layer_paths(results)
    types = {name: node.type.value for name, node in results.network.nodes.items()}
    for ax, layer in zip(axes.flat, layers, strict=False):
        g: nx.Graph[str] = nx.Graph(layering.graphs[layer])
        # A host inside a network below climbs out of it to a border of this layer: a hop
        # of its path that is no link of the layer, drawn dotted.
        climbs = [
            (a, b)
            for _, path in paths.get(layer, [])
            for a, b in itertools.pairwise(path)
            if not g.has_edge(a, b)
        ]
        g.add_edges_from(climbs)
        pos = _layout(g)
        crossed: dict[tuple[str, str], str | None] = {
            (a, b): data.get("via") for a, b, data in g.edges(data=True)
        }
        physical = [e for e, via in crossed.items() if via is None]
        virtual = {e: via for e, via in crossed.items() if via is not None}
        nx.draw_networkx_edges(
            g, pos, edgelist=[e for e in physical if e not in climbs], ax=ax, edge_color="#888888"
        )
        nx.draw_networkx_edges(
            g, pos, edgelist=list(virtual), ax=ax, edge_color="#888888", style="dashed"
        )
        nx.draw_networkx_edges(g, pos, edgelist=climbs, ax=ax, edge_color="#888888", style="dotted")
        for cid, path in paths.get(layer, []):
            if cid in colour:
                nx.draw_networkx_edges(
                    g,
                    pos,
                    edgelist=list(itertools.pairwise(path)),
                    ax=ax,
                    width=4,
                    alpha=0.45,
                    edge_color=colour[cid],
                )
        for kind, (node_colour, marker) in _NODE_STYLE.items():
            nodes = [n for n in g.nodes if types.get(n) == kind]
            if nodes:
                nx.draw_networkx_nodes(
                    g,
                    pos,
                    nodelist=nodes,
                    ax=ax,
                    node_color=node_colour,
                    node_shape=marker,
                    node_size=110,
                )
        prefix = f"{layer}." if layer else ""
        nx.draw_networkx_labels(
            g, pos, labels={n: n.removeprefix(prefix) for n in g.nodes}, ax=ax, font_size=7
        )
        nx.draw_networkx_edge_labels(
            g,
            pos,
            edge_labels={e: via.removeprefix(prefix) for e, via in virtual.items()},
            ax=ax,
            font_size=7,
            font_color="#555555",
        )
        ax.set_title(f"network {layer}" if layer else "top layer", fontsize="medium")
        ax.axis("off")
    for ax in list(axes.flat)[len(layers) :]:
        ax.axis("off")
    handles = [
        Line2D([], [], color=colour[cid], linewidth=4, alpha=0.45, label=cid) for cid in shown
    ]
    handles += [
        Line2D([], [], color="#888888", label="link"),
        Line2D([], [], color="#888888", linestyle="dashed", label="virtual link (network)"),
        Line2D([], [], color="#888888", linestyle="dotted", label="out of a network below"),
    ]
    _figure_legend(fig, handles, "upper", "paths" + (f" (top {top})" if others else ""))
    return fig
