"""An internetwork as a ``Network`` runs it (spec §5): each network's layer, the link-state
daemons a node runs in the layers it is a vertex of, the virtual links each network offers
the layer above, and each network's own RuleSet generator and routing metric.

Spec §5: "the resources of a network can be virtualised as a single node, and the network's
internal structure becomes invisible to the upper-level network" — a network appears one
layer up as a virtual link per pair of its borders, advertised with its offer: the path its
own layer's routing finds between them, planned by its own generator (``offer``). A network
sets its policy for the layer above (``offer_fidelity``) and runs its own generator and
metric (issue: heterogeneous interiors); where it sets none, the network holding it decides.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

from qrna.control._errors import ControlError
from qrna.control._generator import RuleSetGenerator
from qrna.control._layers import Layers, Names
from qrna.control._lsdb import LinkStateStore
from qrna.control._messages import HopRecord, LinkState
from qrna.control._routing import METRICS, Metric, RoutingDaemon
from qrna.control._virtual import offer
from qrna.hardware import NodeType
from qrna.kernel import s_to_ps
from qrna.link import LinkSpec

if TYPE_CHECKING:
    from qrna.control._manager import ManagerEffect
    from qrna.control._network import Network

__all__ = ["Layering"]

# The memories per QNIC a network's offer is planned with, on its virtual sides too: without
# them a side crossing a network inside reports none free and no offer is made.
OFFER_MEMORIES = 4


class Layering:
    """The layers of ``internet`` as ``net`` runs them.

    Args:
        net: the network (its nodes, links, managers and classical delays).
        internet: the networks the nodes form; it must name exactly ``links``' nodes and
            links (``ControlError`` otherwise).
        offer_fidelity: per network, the fidelity of the pairs it makes for the layer above.
        generators, metrics: per network (full name; ``""`` is the top layer), the generator
            its Responders run and the metric its layer routes by; a network not named takes
            ``generator`` and ``metric``.
    """

    def __init__(
        self,
        net: Network,
        internet: Names,
        links: Sequence[LinkSpec],
        offer_fidelity: Mapping[str, float],
        generator: RuleSetGenerator,
        metric: str | Metric,
        generators: Mapping[str, RuleSetGenerator],
        metrics: Mapping[str, str | Metric],
    ) -> None:
        named = set(internet.nodes())
        if named != set(net.nodes):
            odd = sorted(named ^ set(net.nodes))[:5]
            raise ControlError(f"the internetwork and the links name different nodes: {odd}")
        ours = {frozenset((spec.a.address, spec.b.address)) for spec in links}
        theirs = {frozenset(e) for e in internet.graph.edges}
        if ours != theirs:
            pairs = sorted(tuple(sorted(e)) for e in ours ^ theirs)[:5]
            raise ControlError(f"the internetwork and the links join different nodes: {pairs}")
        for name in [*generators, *metrics]:
            if name not in internet.networks:
                raise ControlError(
                    f"no network {name!r} to set a generator or metric for; networks: "
                    f"{sorted(internet.networks)}"
                )
        for name, m in metrics.items():
            if isinstance(m, str) and m not in METRICS:
                raise ControlError(
                    f"network {name!r}: metric={m!r} is not a routing metric; expected one of "
                    f"{sorted(METRICS)}"
                )
        self.net = net
        self.internet = internet
        self.offer_fidelity = dict(offer_fidelity)
        self._generator = generator
        self._metric = metric
        self._generators = dict(generators)
        self._metrics = dict(metrics)
        self.graphs: dict[str, nx.Graph[str]] = {n: internet.layer(n) for n in internet.networks}
        # node -> layer -> neighbour in that layer -> the network the link crosses (or None)
        self.vias: dict[str, dict[str, dict[str, str | None]]] = {}
        self.offers: dict[tuple[str, str, str], LinkState] = {}  # (network, border, border)
        # (network, border, border) -> the fidelity its generator could not offer there
        self.refused: dict[tuple[str, str, str], float] = {}
        self._stores: dict[str, LinkStateStore] = {}
        self._spread_ps: dict[str, int] = {}  # node -> its layers' flooding time, at most

    def generator(self, network: str) -> RuleSetGenerator:
        """The generator the Responders of ``network``'s layer run."""
        return self._generators.get(network, self._generator)

    def embed_fidelity(self, network: str, fidelity: float) -> float:
        """The fidelity a connection across ``network`` is asked, serving one that asks
        ``fidelity``: the network's offer policy, if it has one."""
        return self.offer_fidelity.get(network, fidelity)

    def metric(self, network: str) -> str | Metric:
        """The metric ``network``'s layer routes by."""
        return self._metrics.get(network, self._metric)

    def routing(self, node: str) -> Layers:
        """``node``'s link-state daemons, one per layer it is a vertex of (each routing by
        its layer's metric and flooding only inside it), and its view of the layers."""
        relay = self.net.nodes[node].type in (NodeType.REP1, NodeType.RTR)
        daemons = {}
        vias = self.vias[node] = {}
        for layer in self.internet.layers_of(node):
            g = self.graphs[layer]
            near = sorted(g.neighbors(node))
            store = self._stores.setdefault(layer, LinkStateStore())
            daemons[layer] = RoutingDaemon(node, near, self.metric(layer), relay, store, layer)
            vias[layer] = {n: g.edges[node, n]["via"] for n in near}
        return Layers(node, daemons, vias, self.internet)

    def make_offers(self) -> None:
        """Every network's offer of a virtual link per pair of its borders (``offers``, by
        (network, from, to)), innermost networks first (a path may cross networks inside,
        whose offers it needs): the path its layer's metric finds at the fidelity it offers,
        planned by its generator (``offer``). A pair it cannot serve is offered no link."""
        for network in _deepest_first(n for n in self.internet.networks if n):
            self._offer(network)

    def reoffer(self, moved: Sequence[str]) -> list[str]:
        """What ``moved`` nodes know of their links changed (link monitoring): every network
        holding one of them plans its offers again, innermost first (a network around it
        may cross it), and the borders whose offers changed are returned, to advertise them
        in the layer above (spec §5: an offer is the network's own estimate, kept current
        as its interior's are)."""
        networks = {n for node in moved for n in self.internet.chain(node) if n}
        changed: set[str] = set()
        for network in _deepest_first(networks):
            before = {k: v for k, v in self.offers.items() if k[0] == network}
            self._offer(network)
            after = {k: v for k, v in self.offers.items() if k[0] == network}
            changed |= {k[1] for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        return sorted(changed)

    def _offer(self, network: str) -> None:
        """``network``'s offers, one per pair of its borders its layer joins."""
        for offers in (self.offers, self.refused):
            for key in [k for k in offers if k[0] == network]:
                del offers[key]
        fidelity = self.offer_fidelity.get(network, 0.5)
        for a, b in itertools.combinations(sorted(self.internet.borders(network)), 2):
            path = self._path(network, a, b, fidelity)
            if path is None:
                continue
            hops = self._records(network, path, fidelity)
            link = offer(hops, fidelity, self.generator(network), OFFER_MEMORIES, network)
            if link is not None:
                self.offers[(network, b, a)] = link
                self.offers[(network, a, b)] = dataclasses.replace(link, neighbour=b)
            else:
                self.refused[(network, a, b)] = fidelity

    def why_no_route(self) -> str:
        """What a request that found no route may have missed: the virtual links networks
        could not offer (named by network and borders only; "" if none)."""
        said = [
            f"network {n} offers no link between its borders {a} and {b} (no plan reaches "
            f"its offer fidelity {f:g})"
            for (n, a, b), f in sorted(self.refused.items())
        ]
        more = f"; and {len(said) - 3} more" if len(said) > 3 else ""
        return "; ".join(said[:3]) + more

    def link(self, network: str, a: str, b: str) -> LinkState | None:
        """What ``a`` advertises of its link to ``b`` in ``network``'s layer: a physical
        link's state, or the offer of the network a virtual link crosses (None: none made)."""
        via = self.graphs[network].edges[a, b]["via"]
        if via is None:
            return self.net.link_state(a, b)
        return self.offers.get((via, a, b))

    def _path(self, network: str, a: str, b: str, fidelity: float) -> list[str] | None:
        """The cheapest path from ``a`` to ``b`` in ``network``'s layer under its metric at
        ``fidelity``, not through a node that does not relay."""
        metric = self.metric(network)
        cost_of = METRICS[metric] if isinstance(metric, str) else metric
        nodes = self.net.nodes

        def cost(u: str, v: str, _: Any) -> float | None:
            if v != b and nodes[v].type not in (NodeType.REP1, NodeType.RTR):
                return None
            link = self.link(network, u, v)
            c = math.inf if link is None else cost_of(link, fidelity)
            return c if math.isfinite(c) else None

        try:
            return list(nx.dijkstra_path(self.graphs[network], a, b, weight=cost))
        except nx.NetworkXNoPath:
            return None

    def _records(self, network: str, path: Sequence[str], fidelity: float) -> tuple[HopRecord, ...]:
        """The hop records a request along ``path`` in ``network``'s layer would gather."""
        g = self.graphs[network]
        out = []
        for i, node in enumerate(path):
            prev = path[i - 1] if i else None
            nxt = path[i + 1] if i + 1 < len(path) else None
            via_in = None if prev is None else g.edges[prev, node]["via"]
            via_out = None if nxt is None else g.edges[node, nxt]["via"]
            link_in = None
            if via_in is not None:
                assert prev is not None
                link_in = self.offers[(via_in, node, prev)]
            out.append(
                self.net.managers[node].hop_record(
                    prev, nxt, fidelity, link_in, via_in or "", via_out is not None, OFFER_MEMORIES
                )
            )
        return tuple(out)

    def spread_ps(self, node: str) -> int:
        """The longest an advertisement takes to reach ``node`` in any of its layers: the
        shortest path in each layer, whose hops are classical paths, each at most (1 +
        jitter) times its delay."""
        known = self._spread_ps.get(node)
        if known is None:
            delay_s = self.net.delay_s.delay_s
            far = 0.0
            for layer in self.internet.layers_of(node):
                lengths = nx.single_source_dijkstra_path_length(
                    self.graphs[layer], node, weight=lambda u, v, _: delay_s(u, v)
                )
                far = max(far, *lengths.values())
            known = self._spread_ps[node] = s_to_ps(far * (1.0 + self.net.jitter))
        return known

    def advertise(self, node: str, now_ps: int) -> list[ManagerEffect]:
        """``node`` advertises its links in each of its layers (they flood message by
        message, each inside its layer)."""
        effects: list[ManagerEffect] = []
        for layer, near in self.vias[node].items():
            found = [self.link(layer, node, n) for n in sorted(near)]
            states = [x for x in found if x is not None]
            effects += self.net.managers[node].link_states(states, now_ps, layer)
        return effects

    def scope(self, initiator: str, responder: str) -> str:
        """The layer a request from ``initiator`` to ``responder`` begins in: the innermost
        network holding both."""
        outer = self.internet.chain(responder)
        return next(n for n in self.internet.chain(initiator) if n in outer)

    def network_of(self, path: Sequence[str]) -> str:
        """The innermost network holding every node of ``path``."""
        chains = [self.internet.chain(n) for n in path]
        return next(n for n in chains[0] if all(n in c for c in chains[1:]))


def _deepest_first(networks: Iterable[str]) -> list[str]:
    return sorted(networks, key=lambda n: (-n.count("."), n))
