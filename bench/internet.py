"""The price of hiding (issue 13): a network of networks run recursively against the same
nodes and links run flat, and the routing state each node holds.

Builds a three-level internetwork as a scenario (``networks``): ``--isps`` providers joined
in a ring at the top, each a ring of ``--routers`` routers holding ``--metros`` metro
networks, each metro a star of ``--hosts`` end hosts around a hub that links to one router of
its provider (the hub is the metro's border). The flat twin is the same nodes and links with
their full names in one network.

Routing state: once link-state flooding has converged (``--converge-s``), each node's
advertisements held, summed over its routing daemons (one per layer it is a vertex of, its
own network's and, at a border, the one above), against the flat network's (every node's).
Routing messages: advertisements sent until then (both flood message by message here).

The price of hiding: ``--connections`` connections between hosts of different providers
(each to the host ``--isps // 2`` providers on), at ``--fidelity`` for ``--pairs`` pairs with
``--memories`` memories,
the same requests in both runs (seed ``--seed``): each one's setup time (request to up),
end-to-end rate and mean fidelity, and the path length in physical hops (the recursive
path's networks crossed counted by their own connections' hops).

Prints a table and one JSON line last:
    {"internet": {"nodes": ..., "networks": ..., "state": {"flat": ..., "recursive":
     {"max": ..., "mean": ..., "interior max": ..., "border max": ...}}, "lsa_messages":
     {...}, "connections": {"flat": {...}, "recursive": {...}}, "wall_s": {...}}}

Usage: python bench/internet.py [--isps 4] [--routers 5] [--metros 2] [--hosts 25]
                                [--connections 4] [--pairs 50] [--fidelity 0.75]
                                [--memories 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from typing import Any

from qrna.control import Network
from qrna.scenario import Scenario, build_links, listing

# Dephasing memories and noisy emission: connections across providers need the generator to
# choose purification somewhere.
HARDWARE = {
    # A host in a metro in a provider holds, for one connection of 2 memories, 2 for the
    # metro's connection and 4 each for the provider's and the top one's virtual links.
    "memories": 12,
    "t2_s": 0.5,
    "cnot_error": 0.002,
    "readout_error": 0.001,
    "emission_fidelity": 0.97,
}


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
    return {"name": "internet-bench", "qnic": HARDWARE, "networks": networks, "links": top}


def flat_twin(data: dict[str, Any]) -> dict[str, Any]:
    """The same nodes (typed and equipped as resolved) and links, by full name, in one
    network."""
    listed = listing(Scenario.model_validate(data))
    return {
        "name": "internet-bench-flat",
        "qnic": HARDWARE,
        "nodes": [n.model_dump(exclude_none=True) for n in listed.nodes],
        "links": [x.model_dump(exclude_none=True) for x in listed.links],
    }


def _state(net: Network) -> dict[str, int]:
    """Advertisements each node's routing holds, over all its layers."""
    out = {}
    for name, mgr in net.managers.items():
        daemons = mgr.layers.daemons.values() if mgr.layers is not None else [mgr.routing]
        out[name] = sum(len(d.lsdb) for d in daemons)
    return out


def _run(
    data: dict[str, Any], requests: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    t0 = time.perf_counter()
    s = Scenario.model_validate(data)
    listed = listing(s)
    # Message by message (``message_log``), so that advertisements are counted in both.
    net = Network(
        build_links(s, listed),
        seed=args.seed,
        internet=listed.internet,
        offer_fidelity=listed.offer_fidelity,
        message_log=True,
    )
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(args.converge_s)
    state = _state(net)
    lsas = sum(1 for m in net.message_log if m[3] == "LinkStateAdvertisement")
    ids = [
        net.request(
            a, b, args.fidelity, pairs=args.pairs, memories=args.memories, at_s=args.converge_s
        )
        for a, b in requests
    ]
    reports = net.run(args.run_s).connections
    wall = time.perf_counter() - t0
    conns = {}
    for cid in ids:
        r = reports[cid]
        up = next((e.t_ps for e in r.events if e.kind == "up"), None)
        done = next((e.t_ps for e in r.events if e.kind == "done"), None)
        fs = [p.fidelity for p in r.pairs]
        hops = _physical_hops(net, cid)
        conns[cid] = {
            "status": r.status,
            "pairs": r.delivered,
            "setup_ms": None if up is None else round((up * 1e-12 - args.converge_s) * 1e3, 3),
            "rate_hz": None
            if done is None or up is None or not fs
            else round(len(fs) / ((done - up) * 1e-12), 1),
            "fidelity": round(statistics.fmean(fs), 4) if fs else None,
            "hops": hops,
        }
    return {"state": state, "lsas": lsas, "conns": conns, "build_s": build_s, "wall_s": wall}


def _physical_hops(net: Network, cid: str) -> int:
    """Physical links on a connection's path: its own, and those of the connections across
    the networks it crosses (named ``cid@border``), recursively."""
    path = net.paths.get(cid, ())
    total = 0
    for a, b in itertools.pairwise(path):
        if b in net.ports.get(a, {}):
            total += 1
        else:
            below = f"{cid}@{a}"
            total += _physical_hops(net, below) if below in net.paths else 0
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isps", type=int, default=4)
    parser.add_argument("--routers", type=int, default=5)
    parser.add_argument("--metros", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=25)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--fidelity", type=float, default=0.75)
    parser.add_argument("--memories", type=int, default=2)
    parser.add_argument("--converge-s", type=float, default=0.005)
    parser.add_argument("--run-s", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = scenario(args.isps, args.routers, args.metros, args.hosts)
    requests = [
        (
            f"isp{k % args.isps}.metro{k % args.metros}.h{k % args.hosts}",
            f"isp{(k + args.isps // 2) % args.isps}.metro{(k + 1) % args.metros}."
            f"h{(k + 1) % args.hosts}",
        )
        for k in range(args.connections)
    ]
    runs = {"flat": _run(flat_twin(data), requests, args), "recursive": _run(data, requests, args)}
    internet = listing(Scenario.model_validate(data)).internet
    assert internet is not None
    flat_state = runs["flat"]["state"]
    state = runs["recursive"]["state"]
    interior = [v for n, v in state.items() if len(internet.layers_of(n)) == 1]
    border = [v for n, v in state.items() if len(internet.layers_of(n)) > 1]
    summary = {
        "flat": max(flat_state.values()),
        "recursive": {
            "max": max(state.values()),
            "mean": round(statistics.fmean(state.values()), 2),
            "interior max": max(interior),
            "border max": max(border),
        },
    }
    print(f"nodes {len(state)}, networks {len(internet.networks) - 1}")
    print(
        f"routing state (advertisements held): flat {summary['flat']} at every node; "
        f"recursive interior <= {summary['recursive']['interior max']}, "
        f"border <= {summary['recursive']['border max']}"
    )
    print(
        f"advertisements sent to converge: flat {runs['flat']['lsas']}, "
        f"recursive {runs['recursive']['lsas']}"
    )
    print(
        f"{'connection':>10} {'run':>9} {'status':>7} {'setup ms':>9} {'rate/s':>8} "
        f"{'F':>7} {'hops':>5}"
    )
    for cid in runs["flat"]["conns"]:
        for kind in ("flat", "recursive"):
            c = runs[kind]["conns"][cid]
            print(
                f"{cid:>10} {kind:>9} {c['status']:>7} {c['setup_ms']!s:>9} "
                f"{c['rate_hz']!s:>8} {c['fidelity']!s:>7} {c['hops']:>5}"
            )
    out = {
        "nodes": len(state),
        "networks": len(internet.networks) - 1,
        "state": summary,
        "lsa_messages": {k: runs[k]["lsas"] for k in runs},
        "connections": {k: runs[k]["conns"] for k in runs},
        "wall_s": {k: round(runs[k]["wall_s"], 2) for k in runs},
        "build_s": {k: round(runs[k]["build_s"], 2) for k in runs},
    }
    print(json.dumps({"internet": out}))


if __name__ == "__main__":
    main()
