"""The internetwork's networks, borders and layers (spec §5), on internetworks drawn at
random: every physical link is routed by exactly one layer (the innermost network holding both
its ends), a network is seen one layer up as its borders joined pairwise, and each layer of a
network linked inside is connected."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.internet import ROOT, InternetError, Internetwork


def _draw(seed: int) -> Internetwork:
    """A random tree of networks (depth up to 3), each linked inside: its own nodes and the
    networks in it joined by a random tree of links, plus a few more links between them."""
    rng = random.Random(seed)
    nodes: dict[str, str] = {}
    parents: dict[str, str] = {}
    links: list[tuple[str, str]] = []

    def build(network: str, depth: int) -> list[str]:
        units: list[list[str]] = []
        for i in range(rng.randint(0 if depth < 3 else 1, 3)):
            name = f"{network}.n{i}" if network else f"n{i}"
            nodes[name] = network
            units.append([name])
        for i in range(rng.randint(0, 3) if depth < 3 else 0):
            child = f"{network}.net{i}" if network else f"net{i}"
            parents[child] = network
            units.append(build(child, depth + 1))
        if not units:  # a network holds something
            name = f"{network}.n0" if network else "n0"
            nodes[name] = network
            units.append([name])
        order = list(range(len(units)))
        rng.shuffle(order)
        for k in range(1, len(order)):
            a = rng.choice(units[order[k]])
            b = rng.choice(units[order[rng.randrange(k)]])
            links.append((a, b))
        for _ in range(rng.randint(0, 2)):
            if len(units) > 1:
                u, v = rng.sample(range(len(units)), 2)
                links.append((rng.choice(units[u]), rng.choice(units[v])))
        return [n for unit in units for n in unit]

    build(ROOT, 0)
    unique = {tuple(sorted(x)) for x in links if x[0] != x[1]}
    return Internetwork(nodes, sorted(unique), parents)  # type: ignore[arg-type]


def _innermost_common(net: Internetwork, a: str, b: str) -> str:
    shared = set(net.chain(b))
    return next(n for n in net.chain(a) if n in shared)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_layers_partition_the_links_and_hide_each_network_behind_its_borders(seed: int) -> None:
    net = _draw(seed)
    physical: dict[frozenset[str], list[str]] = {}
    for network in net.networks:
        layer = net.layer(network)
        children = net.children(network)
        expected = set(net.members(network)).union(*(net.borders(c) for c in children))
        assert set(layer) == expected
        for child in children:
            virtual = {frozenset((a, b)) for a, b, via in layer.edges(data="via") if via == child}
            pairs = {frozenset(p) for p in itertools.combinations(net.borders(child), 2)}
            assert virtual == pairs
        for a, b, via in layer.edges(data="via"):
            if via is None:
                assert net.graph.has_edge(a, b)
                physical.setdefault(frozenset((a, b)), []).append(network)
        if len(layer):
            assert nx.is_connected(layer), network
        inside = net.nodes(network)
        assert net.borders(network) == {
            n for n in inside if any(m not in inside for m in net.graph.neighbors(n))
        }
    for a, b in net.graph.edges:
        assert physical[frozenset((a, b))] == [_innermost_common(net, a, b)]
    # a node's layers are exactly the layers it is a vertex of, innermost first
    seen: dict[str, list[str]] = {}
    for network in net.networks:
        for v in net.layer(network):
            seen.setdefault(v, []).append(network)
    for node in net.nodes():
        layers = net.layers_of(node)
        assert sorted(layers) == sorted(seen[node])
        assert list(layers) == [n for n in net.chain(node) if n in layers]
    for node in net.nodes():
        assert node.rsplit(".", 1)[0] == net.network_of(node) or (
            "." not in node and net.network_of(node) == ROOT
        )


def test_names_must_be_their_network_and_one_label() -> None:
    with pytest.raises(InternetError, match=r"node 'b\.x' in network 'a': a name is its"):
        Internetwork({"b.x": "a"}, [], {"a": ""})
    with pytest.raises(InternetError, match=r"node 'a\.x\.y' in network 'a'"):
        Internetwork({"a.x.y": "a"}, [], {"a": ""})
    with pytest.raises(InternetError, match=r"network 'a\.b' in network 'c'"):
        Internetwork({}, [], {"a.b": "c", "c": ""})
    with pytest.raises(InternetError, match=r"network 'a': its parent 'z' is not a network"):
        Internetwork({}, [], {"a": "z"})
    with pytest.raises(InternetError, match="'a' names both a node and a network"):
        Internetwork({"a": ""}, [], {"a": ""})
    with pytest.raises(InternetError, match=r"link 'x'-'y': no node 'y'"):
        Internetwork({"x": ""}, [("x", "y")], {})
    with pytest.raises(InternetError, match="no network 'q'; networks: a"):
        Internetwork({"a.x": "a"}, [], {"a": ""}).borders("q")
    with pytest.raises(InternetError, match="no node 'q' in the internetwork"):
        Internetwork({"a.x": "a"}, [], {"a": ""}).network_of("q")


def test_a_network_in_pieces_is_refused() -> None:
    with pytest.raises(
        InternetError,
        match=r"network 'a' falls apart into 2 pieces not linked inside it \(a\.x; a\.y\)",
    ):
        Internetwork({"a.x": "a", "a.y": "a", "z": ""}, [("a.x", "z"), ("z", "a.y")], {"a": ""})
