"""Routing across the layers of an internetwork, at one node, sans-IO (spec §5, Figs. 5-6).

"During connection setup, at every layer, the node is given a Responder (destination) address
and can determine the next hop based on local selection policy. To advance the setup process,
the node sends the request to the neighbor (if we have reached the physical link level) or
recurses." A node routes in the layer of each network it is a vertex of (``Internetwork``:
its own network, and each one above while it is a border), with one link-state daemon per
layer, and knows of the rest only the names (spec §3.1: names are a hierarchy) and which
nodes are the borders of the networks it sees.

A request is routed within a *scope*, a network. Its next step from this node is one of:

- a physical link of the scope's layer to a neighbour: the request is sent there;
- a virtual link of the scope's layer, across a network ``via`` directly in the scope, to
  one of its borders: the request is embedded, and a connection in ``via`` between this node
  and that border realises the hop;
- when the destination lies in the network directly in the scope that holds this node (this
  node is its border): a virtual hop across it straight to the destination (descent);
- when this node is not a vertex of the scope's layer (it lies inside a network there, as an
  end node does): a virtual hop out of that network, to whichever border its own routing
  finds (climb; the border is the next node of the request above).

Toward a destination inside a network of the scope, the request goes to that network's
nearest border; toward one outside the scope, to the scope's nearest border that leaves the
networks the destination is not in, as far up as possible. Nothing beyond the border is known
(its interior is hidden): hot-potato routing, the price of hiding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import networkx as nx

from qrna.control._routing import RoutingDaemon

__all__ = ["Layers", "Names", "Step"]


class Names(Protocol):
    """The internetwork's names and layers (``qrna.internet.Internetwork``, the layer above
    this one, gives them): what a node knows of them is the names (a hierarchy, spec §3.1)
    and which nodes are borders; the layers' graphs are what a network is built of."""

    @property
    def networks(self) -> tuple[str, ...]: ...
    @property
    def graph(self) -> nx.Graph[str]: ...
    def nodes(self, network: str = ...) -> frozenset[str]: ...
    def borders(self, network: str) -> frozenset[str]: ...
    def chain(self, node: str) -> tuple[str, ...]: ...
    def layers_of(self, node: str) -> tuple[str, ...]: ...
    def layer(self, network: str) -> nx.Graph[str]: ...


@dataclass(frozen=True, slots=True)
class Step:
    """Where a setup request goes next from a node.

    ``next`` is the next node of the request (None for a climb: the border the network below
    reaches is its next node); ``via`` the network a virtual hop crosses (None: a physical
    link), in which a connection realises the hop."""

    next: str | None
    via: str | None = None


class Layers:
    """The routing of ``node`` over every layer it is a vertex of.

    Args:
        node: this node's address.
        daemons: its routing daemon per layer (network name), innermost first.
        vias: per layer, each neighbour there and the network the link to it crosses (None:
            a physical link).
        names: the internetwork's names.
    """

    def __init__(
        self,
        node: str,
        daemons: Mapping[str, RoutingDaemon],
        vias: Mapping[str, Mapping[str, str | None]],
        names: Names,
    ) -> None:
        self.node = node
        self.daemons = dict(daemons)
        self._vias = {k: dict(v) for k, v in vias.items()}
        self._names = names

    def current(self) -> bool:
        """Whether every layer's database holds every node's newest advertisement."""
        return all(d.lsdb.current() for d in self.daemons.values())

    @property
    def version(self) -> int:
        """Counts the changes of its databases."""
        return sum(d.version for d in self.daemons.values())

    def responds(self, scope: str, dst: str) -> bool:
        """Whether this node answers a request routed in ``scope`` toward ``dst``: it is the
        destination, or a border of the scope the destination lies outside of."""
        if dst == self.node:
            return True
        return dst not in self._names.nodes(scope) and self.node in self._names.borders(scope)

    def _child(self, scope: str, node: str) -> str | None:
        """The network directly in ``scope`` holding ``node`` (None: ``node`` is a member of
        ``scope``, or outside it)."""
        chain = self._names.chain(node)
        if scope not in chain:
            return None
        i = chain.index(scope)
        return chain[i - 1] if i else None

    def step(self, scope: str, dst: str, fidelity: float) -> Step | None:
        """The next step toward ``dst`` of a request routed in ``scope`` (see the module's
        docstring); None when no route is known. Not for the node that ``responds``."""
        names = self._names
        if scope not in self.daemons:  # inside a network of the scope: climb out of it
            out = self._child(scope, self.node)
            return None if out is None else Step(None, out)
        if dst in names.nodes(scope):
            inside = self._child(scope, dst)
            if inside is None or dst in names.borders(inside):
                targets: frozenset[str] = frozenset((dst,))
            elif self.node in names.nodes(inside):  # we are its border: descend
                return Step(dst, inside)
            else:
                targets = names.borders(inside)
        else:
            targets = self._exits(scope, dst)
        daemon = self.daemons[scope]
        best = min(
            ((daemon.cost(t, fidelity), t) for t in targets if t != self.node),
            default=(math.inf, ""),
        )
        if (
            not math.isfinite(best[0])
            and targets != names.borders(scope)
            and dst not in (names.nodes(scope))
        ):
            # No way out by the far exits: any border of the scope, and climb again above.
            best = min(
                ((daemon.cost(t, fidelity), t) for t in names.borders(scope) if t != self.node),
                default=(math.inf, ""),
            )
        if not math.isfinite(best[0]):
            return None
        path = daemon.path(best[1], fidelity)
        if path is None:
            return None
        nxt = path[1]
        return Step(nxt, self._vias[scope].get(nxt))

    def _exits(self, scope: str, dst: str) -> frozenset[str]:
        """The borders of ``scope`` to leave by toward ``dst`` (outside it): those of the
        largest network holding ``scope`` but not ``dst`` (they leave every network the
        destination is not in at once), else all its own."""
        names = self._names
        inside = names.nodes(scope)
        own = names.borders(scope)
        if not own:
            return own
        chain = names.chain(min(own))
        best = own
        for network in chain[chain.index(scope) + 1 :]:
            if dst in names.nodes(network):
                break
            far = names.borders(network) & inside
            if not far:
                break
            best = far
        return best
