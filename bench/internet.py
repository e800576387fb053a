"""Routing state per node in a network of networks, against the flat network (issue 13).

Builds a three-level internetwork as a scenario (``networks``): ``--isps`` providers joined
in a ring at the top, each a ring of ``--routers`` routers holding ``--metros`` metro
networks, each metro a star of ``--hosts`` end hosts around a hub that links to one router of
its provider (the hub is the metro's border). It resolves the scenario
(``qrna.scenario.listing``) and measures, per node, the routing state a per-layer routing
protocol holds: the vertices of every layer the node takes part in
(``Internetwork.layers_of``), against the whole internetwork's node count, which flat
link-state routing holds at every node.

What it shows today is the layer graphs' size, not yet routing daemons per layer (issue 13,
item 2 builds those on these layers): an interior node holds its own network's layer; a
border also the layer above, where each network is only its borders.

Prints one JSON line last:
    {"internet": {"nodes": ..., "networks": ..., "levels": 3, "flat_entries": ...,
     "entries": {"max": ..., "mean": ..., "by_kind": {...}}, "build_s": ..., "layers_s": ...}}

Usage: python bench/internet.py [--isps 4] [--routers 5] [--metros 2] [--hosts 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from qrna.scenario import Scenario, listing


def scenario(isps: int, routers: int, metros: int, hosts: int) -> dict[str, Any]:
    """The three-level internetwork as a scenario dict."""
    networks = []
    for i in range(isps):
        inner = []
        links: list[dict[str, Any]] = []
        for m in range(metros):
            inner.append(
                {
                    "name": f"metro{m}",
                    "nodes": [{"name": "hub"}]
                    + [{"name": f"h{h}", "type": "COMP"} for h in range(hosts)],
                    "links": [{"a": "hub", "b": f"h{h}"} for h in range(hosts)],
                }
            )
            links.append({"a": f"n{m % routers}", "b": f"metro{m}.hub"})
        networks.append(
            {
                "name": f"isp{i}",
                "topology": {"kind": "ring", "nodes": routers},
                "links": links,
                "networks": inner,
            }
        )
    top = [{"a": f"isp{i}.n{routers - 1}", "b": f"isp{(i + 1) % isps}.n0"} for i in range(isps)]
    return {"name": "internet-bench", "networks": networks, "links": top}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isps", type=int, default=4)
    parser.add_argument("--routers", type=int, default=5)
    parser.add_argument("--metros", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=25)
    args = parser.parse_args()
    data = scenario(args.isps, args.routers, args.metros, args.hosts)
    t0 = time.perf_counter()
    listed = listing(Scenario.model_validate(data))
    build_s = time.perf_counter() - t0
    net = listed.internet
    assert net is not None
    t0 = time.perf_counter()
    size = {n: net.layer(n).number_of_nodes() for n in net.networks}
    layers_s = time.perf_counter() - t0
    nodes = sorted(net.nodes())
    entries = {v: sum(size[n] for n in net.layers_of(v)) for v in nodes}
    kinds: dict[str, list[int]] = {}
    for v in nodes:
        depth = len(net.layers_of(v))
        kind = {1: "interior", 2: "border", 3: "border of two levels"}.get(depth, "deeper")
        kinds.setdefault(kind, []).append(entries[v])
    for kind, values in sorted(kinds.items()):
        print(f"{kind:>22}: {len(values):4d} nodes, {max(values):4d} entries at most")
    print(f"{'flat':>22}: {len(nodes):4d} nodes, {len(nodes):4d} entries each")
    out = {
        "nodes": len(nodes),
        "networks": len(net.networks) - 1,
        "levels": 3,
        "flat_entries": len(nodes),
        "entries": {
            "max": max(entries.values()),
            "mean": round(statistics.fmean(entries.values()), 2),
            "by_kind": {k: max(v) for k, v in sorted(kinds.items())},
        },
        "build_s": round(build_s, 4),
        "layers_s": round(layers_s, 4),
    }
    print(json.dumps({"internet": out}))


if __name__ == "__main__":
    main()
