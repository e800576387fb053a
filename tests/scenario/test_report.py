"""report.html is read by a person: tables of the connections, of each application's figures
and of the plans (not JSON), plots that stay legible with 60 connections, a histogram over
the fidelities actually delivered, and a topology legend for node and link types."""

from __future__ import annotations

import copy
import html
import itertools
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest

from qrna.report import (
    fidelity_figure,
    layer_paths,
    layers_figure,
    report_html,
    throughput_figure,
    topology_figure,
    write_results,
)
from qrna.scenario import PRESETS, Results, TopologyConfig, load_scenario, run, topology_graph
from tests._scope import per_module


class _Tables(HTMLParser):
    """Every <table> as (headers, rows of cell texts), and every <h3> text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self.h3: list[str] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self._in_h3 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "h3":
            self._in_h3 = True
            self.h3.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            headers, rows = self.tables[-1]
            if headers:
                rows.append(self._row)
            else:
                headers.extend(self._row)
        elif tag == "h3":
            self._in_h3 = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h3:
            self.h3[-1] += data

    def table(self, first: str, second: str) -> tuple[list[str], list[list[str]]]:
        """The one table whose first two headers are ``first`` and ``second``."""
        (found,) = [t for t in self.tables if t[0][:2] == [first, second]]
        return found


def _three_apps() -> dict[str, Any]:
    """QKD (purified to reach 0.93), teleportation and tomography through one router, on the
    presets' noisy hardware; MIM and MM links."""
    return {
        "name": "three-apps",
        "qnic": PRESETS["chain"]["qnic"],
        "nodes": [
            {"name": "alice", "type": "COMP"},
            {"name": "bob", "type": "COMP"},
            {"name": "carol", "type": "COMP"},
            {"name": "hub", "type": "RTR"},
        ],
        "links": [
            {"a": "alice", "b": "hub", "length_km": 5},
            {"a": "hub", "b": "bob", "type": "MM", "length_km": 4},
            {"a": "carol", "b": "hub", "length_km": 6},
        ],
        "traffic": [
            {"app": "qkd", "initiator": "alice", "responder": "bob", "pairs": 60, "fidelity": 0.93},
            {"app": "teleport", "initiator": "carol", "responder": "alice", "pairs": 40},
            {"app": "tomography", "initiator": "bob", "responder": "carol", "pairs": 30},
        ],
        "simulation": {"duration_s": 0.05, "seed": 1},
    }


@pytest.fixture(scope=per_module)
def three_apps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, _Tables, str]:
    results = run(load_scenario(_three_apps()))
    folder = write_results(results, tmp_path_factory.mktemp("report") / "out")
    text = (folder / "report.html").read_text()
    parser = _Tables()
    parser.feed(text)
    # The tables are read against what summary.json says, as a user would compare them.
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["connections"] == json.loads(json.dumps(results.summary["connections"]))
    return results, parser, text


def test_connections_table_shows_each_connection_with_intervals(
    three_apps: tuple[Results, _Tables, str],
) -> None:
    results, parser, _ = three_apps
    headers, rows = parser.table("connection", "app")
    assert headers == [
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
    conns = results.summary["connections"]
    assert [r[:5] for r in rows] == [
        ["c1", "qkd", "alice → hub → bob", "done", "60"],
        ["c2", "teleport", "carol → hub → alice", "done", "40"],
        ["c3", "tomography", "bob → hub → carol", "done", "30"],
    ]
    for row, c in zip(rows, conns, strict=True):
        lo, hi = c["rate_ci_hz"]
        assert row[5] == f"{c['rate_hz']:.0f} ({lo:.0f}–{hi:.0f})"
        flo, fhi = c["fidelity_ci"]
        assert row[6] == f"{c['fidelity_mean']:.4f} ({flo:.4f}–{fhi:.4f})"
        assert row[7] == f"{c['fidelity_target']:g}"
        assert row[8] == f"{c['latency_s_mean'] * 1e3:.3g}"


def test_application_results_are_tables_not_json(
    three_apps: tuple[Results, _Tables, str],
) -> None:
    results, parser, text = three_apps
    assert "<pre" not in text
    assert '"qber_x"' not in text
    assert parser.h3 == ["QKD (BBM92)", "Teleportation", "Tomography"]
    qkd, teleport, tomo = (c["app_results"] for c in results.summary["connections"])

    headers, rows = parser.table("connection", "pairs measured")
    assert headers == [
        "connection",
        "pairs measured",
        "QBER X",
        "sifted X",
        "QBER Z",
        "sifted Z",
        "sifted bits",
        "sifted key rate (bit/s)",
        "secret fraction",
        "secret key rate (bit/s)",
    ]
    lo, hi = qkd["qber_x_ci"]
    assert rows == [
        [
            "c1",
            str(qkd["pairs_measured"]),
            f"{qkd['qber_x']:.4g} ({lo:.4g}–{hi:.4g})",
            str(qkd["sifted_x"]),
            "0 (0–{:.4g})".format(qkd["qber_z_ci"][1]),
            str(qkd["sifted_z"]),
            str(qkd["sifted_bits"]),
            f"{qkd['sifted_key_rate_hz']:.0f}",
            f"{qkd['secret_fraction']:.4g}",
            f"{qkd['secret_key_rate_hz']:.0f}",
        ]
    ]

    headers, rows = parser.table("connection", "teleported")
    assert headers == [
        "connection",
        "teleported",
        "lost",
        "teleportation fidelity",
        "fidelity in X",
        "fidelity in Y",
        "fidelity in Z",
    ]
    assert rows[0][:3] == ["c2", "40", "0"]
    assert rows[0][3].startswith(f"{teleport['teleport_fidelity']:.4g} (")
    assert rows[0][4:] == [f"{teleport['by_basis'][b]:.4g}" for b in "XYZ"]

    headers, rows = parser.table("connection", "samples")
    assert headers == [
        "connection",
        "samples",
        "Bell weights (Φ+, Ψ−, Ψ+, Φ−)",
        "fidelity estimate",
    ]
    assert rows[0][:2] == ["c3", "30"]
    assert rows[0][2] == ", ".join(f"{w:.3g}" for w in tomo["state"])


def test_plan_table_per_connection(three_apps: tuple[Results, _Tables, str]) -> None:
    results, parser, _ = three_apps
    headers, rows = parser.table("connection", "hops")
    assert headers == [
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
    qkd = results.summary["connections"][0]
    plan = qkd["plan"]
    assert plan["e2e_purification"] == "1 x dejmps"  # the 0.93 target needs a round
    assert rows[0] == [
        "c1",
        "2",
        "none",
        plan["swap_order"],
        "none",  # two hops: the one swap makes the whole path, purified end to end
        "1 × DEJMPS",
        f"{plan['discard_after_s'] * 1e3:.3g}",
        f"{plan['estimated_fidelity']:.4f}",
        f"{qkd['fidelity_mean']:.4f}",
        f"{plan['estimated_rate_hz']:.0f}",
        f"{qkd['rate_hz']:.0f}",
    ]
    assert [r[0] for r in rows] == ["c1", "c2", "c3"]


def test_counts_table(three_apps: tuple[Results, _Tables, str]) -> None:
    """A row per connection: its link attempts and pairs, swaps and purifications and the
    failed ones, as the summary counts them."""
    results, parser, _ = three_apps
    headers, rows = parser.table("connection", "link attempts")
    assert headers == [
        "connection",
        "link attempts",
        "link pairs",
        "swaps",
        "failed swaps",
        "purifications",
        "failed purifications",
    ]
    want = []
    for c in results.summary["connections"]:
        n = c["counts"]
        want.append(
            [
                c["id"],
                str(n["link"]["attempts"]),
                str(n["link"]["successes"]),
                str(n["swap"]["attempts"]),
                str(n["swap"]["failures"]),
                str(n["purification"]["attempts"]),
                str(n["purification"]["failures"]),
            ]
        )
    assert rows == want
    assert all(int(r[1]) > int(r[2]) > 0 for r in rows)


def test_links_table(three_apps: tuple[Results, _Tables, str]) -> None:
    results, parser, _ = three_apps
    headers, rows = parser.table("link", "type")
    assert headers == [
        "link",
        "type",
        "length (km)",
        "success probability",
        "pairs generated",
        "rate (pairs/s)",
        "fidelity at herald",
        "fidelity advertised",
    ]
    links = results.summary["links"]
    assert [r[:2] for r in rows] == [[" – ".join(k["endpoints"]), k["type"]] for k in links]
    assert [r[4] for r in rows] == [str(k["pairs_generated"]) for k in links]


def test_fidelity_histogram_spans_the_delivered_range(
    three_apps: tuple[Results, _Tables, str],
) -> None:
    results, _, _ = three_apps
    fig = fidelity_figure(results)
    ax = fig.axes[0]
    delivered = [r["fidelity"] for r in results.pairs]
    lo, hi = ax.get_xlim()
    assert lo < 0.8 < min(delivered)  # the lower target is on the axis
    assert max(delivered) < hi
    assert hi - lo < 0.2  # the delivered spread, not [0, 1]
    assert ax.get_xlabel() == "fidelity of delivered pairs (ground truth; 1 = perfect Bell pair)"
    assert ax.get_ylabel().startswith("pairs per bin (bin ")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["c1", "c2", "c3", "target 0.8", "target 0.93"]
    plt.close(fig)


def test_topology_legend_names_node_and_link_types(
    three_apps: tuple[Results, _Tables, str],
) -> None:
    results, _, _ = three_apps
    fig = topology_figure(results)
    nodes, paths = fig.legends
    assert [t.get_text() for t in nodes.get_texts()] == ["COMP", "RTR", "MIM link", "MM link"]
    assert [t.get_text() for t in paths.get_texts()] == ["c1", "c2", "c3"]
    markers = {h.get_label(): (h.get_marker(), h.get_color()) for h in nodes.legend_handles}
    assert markers["COMP"] != markers["RTR"]
    plt.close(fig)


def test_a_network_of_networks_draws_each_layer(
    tmp_path: Path, three_apps: tuple[Results, _Tables, str]
) -> None:
    """The internet preset: a panel per layer, the top first, each network's after it; the
    paths each layer ran (a connection's own in the innermost network holding it, those of
    the connections across networks that served it, a host's climb out of its network
    included); layers.png in the report. A network of one layer has no such figure."""
    data = copy.deepcopy(PRESETS["internet"])
    for t in data["traffic"]:
        t["pairs"] = 5
    results = run(load_scenario(data))
    paths = layer_paths(results)
    assert sorted(paths) == ["", "city", "telco", "uni", "uni.lab"]
    assert paths["uni.lab"] == [("alice-eve", ["uni.lab.alice", "uni.lab.hub"])]
    assert paths["city"] == [
        ("carol-dave", ["city.gw", "city.dave"]),
        ("eve-bob", ["city.gw", "city.c1", "city.bob"]),
    ]
    assert ("eve-bob", ["eve", "telco.t1", "telco.t2", "city.gw", "city.bob"]) in paths[""]
    fig = layers_figure(results)
    assert fig is not None
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [
        "top layer",
        "network city",
        "network telco",
        "network uni",
        "network uni.lab",
    ]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][:3] == ["alice-eve", "carol-dave", "eve-bob"]
    plt.close(fig)
    folder = write_results(results, tmp_path / "out")
    assert (folder / "layers.png").stat().st_size > 10_000
    assert (folder / "report.html").read_text().count("data:image/png;base64,") == 4
    flat, _, _ = three_apps
    assert layers_figure(flat) is None


def _sixty() -> dict[str, Any]:
    """60 connections (2 to 6 pairs each) between routers of a 30-node random graph that are
    not neighbours."""
    g = topology_graph(TopologyConfig(kind="random", nodes=30, seed=3, degree=3.0))
    names = sorted(g.nodes, key=lambda n: int(n[1:]))
    ends = [(a, b) for a, b in itertools.combinations(names, 2) if not g.has_edge(a, b)]
    return {
        "name": "sixty",
        "qnic": PRESETS["random"]["qnic"],
        "topology": {"kind": "random", "nodes": 30, "seed": 3, "degree": 3.0},
        "traffic": [
            {"initiator": a, "responder": b, "pairs": 2 + i % 5, "memories": 2, "fidelity": 0.6}
            for i, (a, b) in enumerate(ends[::6][:60])
        ],
        "simulation": {"duration_s": 0.05, "seed": 1},
    }


def test_sixty_connections_plot_the_top_eight_and_the_others(tmp_path: Path) -> None:
    results = run(load_scenario(_sixty()))
    conns = results.summary["connections"]
    assert len(conns) == 60
    # The eight with most pairs (6 each: c5, c10, …, c40), the 52 others as one line.
    fig = throughput_figure(results)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [f"c{5 * k} (pairs)" for k in range(1, 9)] + ["others (52, mean)"]
    assert len(fig.axes[0].get_lines()) == 9
    plt.close(fig)
    fig = fidelity_figure(results)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [f"c{5 * k}" for k in range(1, 9)] + ["others (52)", "target 0.6"]
    plt.close(fig)
    folder = write_results(results, tmp_path / "out")
    parser = _Tables()
    parser.feed((folder / "report.html").read_text())
    assert len(parser.table("connection", "app")[1]) == 60
    assert len(parser.table("connection", "hops")[1]) == 60


def test_a_failed_connection_reads_as_such() -> None:
    """No route meets 0.999: the row says failed with dashes for what was never measured, and
    the reason follows the table."""
    scenario = _three_apps() | {
        "traffic": [{"initiator": "alice", "responder": "bob", "pairs": 5, "fidelity": 0.999}]
    }
    results = run(load_scenario(scenario))
    (c,) = results.summary["connections"]
    assert c["status"] == "failed"
    text = report_html(results, {})
    parser = _Tables()
    parser.feed(text)
    _, rows = parser.table("connection", "app")
    assert rows == [["c1", "pairs", "–", "failed", "0", "–", "–", "0.999", "–"]]
    assert f"<li><b>c1</b> failed: {html.escape(c['detail'])}</li>" in text
    assert c["detail"].startswith("fidelity_unreachable: fidelity 0.999 is out of reach")


def test_an_application_figure_without_a_label_reads_its_unit_from_its_name() -> None:
    """A figure the page has no label for (an application added later) is headed by its key:
    ``_hz`` reads as (/s), ``_s`` as (s), underscores as spaces; the title is the app's name."""
    scenario = _three_apps() | {
        "traffic": [{"initiator": "alice", "responder": "bob", "pairs": 5, "fidelity": 0.999}]
    }
    results = run(load_scenario(scenario))
    (c,) = results.summary["connections"]
    c["app"] = "ranging"
    c["app_results"] = {"echo_rate_hz": 1234.4, "round_trip_s": 0.00125, "echo_count": 7}
    parser = _Tables()
    parser.feed(report_html(results, {}))
    assert parser.h3[0] == "ranging"
    assert parser.table("connection", "echo rate (/s)") == (
        ["connection", "echo rate (/s)", "round trip (s)", "echo count"],
        [["c1", "1234", "0.00125", "7"]],
    )


def test_a_network_of_more_than_500_nodes_is_laid_out_without_scipy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """networkx's spring layout needs scipy above 500 nodes; scipy is not a dependency, so a
    600-node chain is drawn on a circle (a crash there once failed big runs with exit 3)."""
    import math
    import sys

    import networkx as nx

    from qrna.report._plots import _layout

    monkeypatch.setitem(sys.modules, "scipy", None)  # as on a machine without scipy
    pos = _layout(nx.path_graph([f"n{i}" for i in range(600)]))
    assert len(pos) == 600
    assert all(math.isclose(math.hypot(x, y), 1.0, abs_tol=1e-6) for x, y in pos.values())
    small = _layout(nx.path_graph([f"n{i}" for i in range(20)]))
    assert len(small) == 20
    assert not all(math.isclose(math.hypot(x, y), 1.0, abs_tol=1e-6) for x, y in small.values())
