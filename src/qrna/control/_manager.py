"""The connection manager: two-pass setup, reject, retry and teardown at one node, sans-IO.

Spec §3.5 and Fig. 4. The Initiator sends a ``ConnectionSetupRequest`` to the next hop its
routing daemon names; every node checks and holds ``memories`` free memories on the QNICs toward
the previous and the next hop (first come, first served: whole memories per connection),
appends its ``HopRecord`` and passes the request on. The Responder asks its RuleSet generator
and sends each node its ``ConnectionSetupResponse``; a node installs its RuleSet and turns its
hold into a reservation (effect ``Reserve``: the link layer may now make pairs for the
connection on those memories). A node that cannot hold memories, has no route, or a Responder
whose generator refuses, sends a ``ConnectionSetupReject`` back along the path: every node on
the way releases its hold; the Initiator retries NO_ROUTE and NO_RESOURCES with randomised
exponential back-off, at most ``max_attempts`` times.

A request made before routing has converged (a long network floods its link state for a
while: 50 ms across 1000 nodes of 10 km) finds no route at the Initiator: it waits for one
instead of failing, without using an attempt. It is tried again when the Initiator's routing
database holds the newest advertisement of every node (``LinkStateDatabase.current``: a route
found on part of them may not be the one routing converges to, and the connection would keep
it for its whole life), and at the latest when every advertisement sent before it can have
reached the Initiator (``converged_by``); if there is still no route then, it is a NO_ROUTE
attempt like any other, whose detail says how long it waited.

The Initiator counts the pairs its node delivers; when the demand is met (pairs, or duration
since the connection came up), or on ``teardown``, it sends ``ConnectionTeardown`` along the
path: every node uninstalls the RuleSet (its qubits are freed) and releases its memories.
Late messages for a connection a node has finished are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from qrna.control._errors import ControlError
from qrna.control._generator import Accepted, RuleSetGenerator
from qrna.control._layers import Layers, Step
from qrna.control._messages import (
    ConnectionSetupReject,
    ConnectionSetupRequest,
    ConnectionSetupResponse,
    ConnectionTeardown,
    ControlMessage,
    HopRecord,
    LinkState,
    LinkStateAdvertisement,
    RejectReason,
)
from qrna.control._routing import RoutingDaemon, SendControl, qdijkstra_cost
from qrna.control._virtual import planned_link
from qrna.kernel import s_to_ps
from qrna.rules import EngineEffect, RuleEngine

__all__ = ["ConnectionEvent", "ConnectionManager", "ManagerEffect", "Release", "Reserve", "Wake"]


@dataclass(frozen=True, slots=True)
class Reserve:
    """Effect: ``memories`` memories of the QNIC toward ``neighbour`` now serve ``connection``;
    toward a virtual neighbour (a network between), those of the QNIC toward ``port``, the
    physical neighbour the connection below it starts with (pairs it hands over move there)."""

    connection: str
    neighbour: str
    memories: int
    port: str = ""


@dataclass(frozen=True, slots=True)
class Release:
    """Effect: the connection's memories at this node are free again."""

    connection: str


@dataclass(frozen=True, slots=True)
class Wake:
    """Effect: call ``on_wake(connection)`` after ``delay_ps`` (retry or demand timer)."""

    delay_ps: int
    connection: str
    route: bool = False  # the end of a wait for a route (``ConnectionManager`` docstring)


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """Effect: what happened to a connection this node initiated."""

    connection: str
    kind: Literal["up", "done", "rejected", "failed"]
    t_ps: int
    detail: str = ""


ManagerEffect = SendControl | Reserve | Release | Wake | ConnectionEvent | EngineEffect


@dataclass
class _Conn:
    path: tuple[str, ...]
    holds: dict[str, int]  # neighbour -> memories held
    installed: bool = False
    request: ConnectionSetupRequest | None = None  # at the Initiator
    delivered: int = 0
    up_ps: int = -1
    attempts: int = 0
    pending: bool = False  # Initiator: waiting for the answer to an attempt
    wait_from_ps: int = -1  # Initiator: when it began to wait for a route (-1: never)
    route_deadline_ps: int = -1  # ... and when that wait ends at the latest
    reasons: list[str] = field(default_factory=list)
    lower: str = ""  # the connection this node embedded for its next hop (spec §5)
    serves: str = ""  # at a lower connection's Initiator: the connection above it serves
    via: str = ""  # ... and the network it crosses
    climb: bool = False  # ... out of that network, to whichever border it reaches
    # A virtual side's memories: side ("in"/"out") -> (the physical neighbour whose QNIC
    # holds them, how many); a side whose connection below has not left yet is not here.
    virtual: dict[str, tuple[str, int]] = field(default_factory=dict)
    port_in: str = ""  # the physical neighbour its pairs come in by, this layer or below


class ConnectionManager:
    """Connection setup and teardown at ``node``.

    Args:
        node: this node's address.
        routing: its routing daemon (next hops).
        engine: its rule engine (RuleSets are installed there).
        free: ``free(neighbour)`` → free memories of the QNIC toward ``neighbour``.
        record: ``record(prev, next, fidelity)`` → this node's ``HopRecord`` for a request
            from ``prev`` (None at the Initiator) to ``next`` (None at the Responder) for pairs
            of ``fidelity``.
        generator: the RuleSet generator it runs as Responder.
        rng: for back-off jitter.
        max_attempts: setup attempts before the Initiator gives up.
        converged_by: ``converged_by()`` → the time (ps) by which every advertisement sent so
            far has reached this node; a request that finds no route earlier waits for one
            until then (None: it never waits).
        layers: in an internetwork, its routing per layer (``Layers``); ``routing`` is then
            its innermost layer's daemon. A request is embedded where its next hop crosses a
            network (``_embed``).
        embed_fidelity: ``embed_fidelity(network, fidelity)`` → the fidelity a connection
            across ``network`` is asked for, serving one that asks ``fidelity`` (default: the
            same).
        backoff_s: the first back-off; after failed attempt k (1, 2, …) the next waits a
            time uniform in [0, backoff_s·2^(k−1)].
    """

    def __init__(
        self,
        node: str,
        routing: RoutingDaemon,
        engine: RuleEngine,
        free: Callable[[str], int],
        record: Callable[[str | None, str | None, float], HopRecord],
        generator: RuleSetGenerator,
        rng: np.random.Generator,
        max_attempts: int = 6,
        backoff_s: float = 1e-3,
        converged_by: Callable[[], int] | None = None,
        layers: Layers | None = None,
        embed_fidelity: Callable[[str, float], float] | None = None,
    ) -> None:
        self.node = node
        self.routing = routing
        self.engine = engine
        self._free = free
        self._record = record
        self.generator = generator
        self.rng = rng
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.conns: dict[str, _Conn] = {}
        self.finished: set[str] = set()
        self.held: dict[str, int] = {}  # neighbour -> memories held or reserved by connections
        self._converged_by = converged_by
        self.layers = layers
        self._embed_fidelity = embed_fidelity or (lambda network, fidelity: fidelity)
        # connections waiting for a route (in the order they began to)
        self.waiting_for_routes: dict[str, None] = {}

    def _shortage(self, neighbour: str, memories: int, cid: str = "") -> str:
        """Why ``memories`` cannot be held toward ``neighbour`` now ("" if they can): too few
        on the QNIC at all, or too few of them free (saying how many the layers of the same
        connection hold there: a node holds memories for each layer it runs)."""
        have, free = self._free(neighbour), self.available(neighbour)
        if have < memories:
            return f"{self.node} has {have} memories toward {neighbour}; {memories} asked"
        if free < memories:
            top = cid.split("@")[0]
            own = sum(
                m
                for other, conn in self.conns.items()
                if cid and other.split("@")[0] == top
                for n, m in [*conn.holds.items(), *conn.virtual.values()]
                if n == neighbour
            )
            layers = (
                f", {own} of them for the layers of {top} below this one (a node holds "
                "memories for each layer it runs)"
                if own
                else ""
            )
            return f"{self.node} is busy: {free} of {have} memories toward {neighbour} free{layers}"
        return ""

    def available(self, neighbour: str) -> int:
        """Memories toward ``neighbour`` not held by any connection."""
        return self._free(neighbour) - self.held.get(neighbour, 0)

    # -- the Initiator --------------------------------------------------------------------------

    def connect(self, request: ConnectionSetupRequest, t_ps: int) -> list[ManagerEffect]:
        """An application at this node asks for a connection (``request.initiator`` is us)."""
        if request.initiator != self.node:
            raise ControlError(f"{self.node} cannot initiate for {request.initiator!r}")
        cid = request.connection
        if cid in self.conns or cid in self.finished:
            raise ControlError(f"connection {cid!r} exists already at {self.node}")
        self.conns[cid] = _Conn((), {}, request=request)
        return self._attempt(cid, t_ps)

    def _attempt(self, cid: str, t_ps: int) -> list[ManagerEffect]:
        conn = self.conns[cid]
        assert conn.request is not None
        responder = conn.request.responder
        step = self._step(conn.request)
        nxt = None if step is None else step.next
        if step is None and self._converged_by is not None and not conn.serves:
            if conn.route_deadline_ps < 0:  # the bound is set once: the wait cannot grow
                conn.route_deadline_ps = self._converged_by()
            if t_ps < conn.route_deadline_ps:
                if conn.wait_from_ps < 0:
                    conn.wait_from_ps = t_ps
                self.waiting_for_routes[cid] = None
                return [Wake(conn.route_deadline_ps - t_ps, cid, route=True)]
        conn.attempts += 1
        conn.pending = True
        request = replace(conn.request, hops=(), attempt=conn.attempts)
        if step is None:
            detail = f"no route to {responder} known"
            if conn.wait_from_ps >= 0:
                waited = (conn.route_deadline_ps - conn.wait_from_ps) * 1e-12
                detail += f" after waiting {waited:.3g} s for routing to converge"
            return self._rejected(cid, RejectReason.NO_ROUTE, detail, t_ps)
        if step.via is not None:
            conn.path = (self.node,)
            hops = (
                self.hop_record(
                    None, None, request.fidelity, out_virtual=True, memories=request.memories
                ),
            )
            return self._embed(cid, conn, replace(request, hops=hops), step, t_ps)
        assert nxt is not None
        above = self._awaiting_port(conn)
        short = self._shortage(nxt, request.memories * (1 + len(above)), cid)
        if short:
            return self._rejected(cid, RejectReason.NO_RESOURCES, short, t_ps)
        hops = (
            self._record(None, nxt, request.fidelity),
        )  # free memories as found, before holding
        self._hold(conn, nxt, request.memories)
        for upper in above:  # their pairs come out of the network by this QNIC too
            self._hold_virtual(upper, "out", nxt, request.memories)
        return [SendControl(nxt, replace(request, hops=hops))]

    def _awaiting_port(self, conn: _Conn) -> list[_Conn]:
        """The connections above ``conn`` at this node (it serves them, each its Initiator
        here) still waiting to learn which QNIC their virtual out-side's memories are on."""
        out = []
        upper = self.conns.get(conn.serves) if conn.serves else None
        while upper is not None and "out" not in upper.virtual:
            out.append(upper)
            upper = self.conns.get(upper.serves) if upper.serves else None
        return out

    def _step(self, request: ConnectionSetupRequest) -> Step | None:
        """The next step of ``request`` from this node (None: no route known)."""
        if self.layers is None:
            nxt = self.routing.next_hop(request.responder, request.fidelity)
            return None if nxt is None else Step(nxt)
        return self.layers.step(request.scope, request.responder, request.fidelity)

    def _responds(self, request: ConnectionSetupRequest) -> bool:
        if self.layers is None:
            return request.responder == self.node
        return self.layers.responds(request.scope, request.responder)

    def hop_record(
        self,
        prev: str | None,
        nxt: str | None,
        fidelity: float,
        link_in: LinkState | None = None,
        via: str = "",
        out_virtual: bool = False,
        memories: int = 0,
    ) -> HopRecord:
        """This node's ``HopRecord`` where a side may be a virtual link (``link_in`` from the
        network below, or ``out_virtual``): that side names no QNIC, and has the ``memories``
        the connection holds for it (checked where its physical QNIC is known)."""
        record = self._record(
            None if link_in is not None else prev, None if out_virtual else nxt, fidelity
        )
        if link_in is not None:
            record = replace(
                record,
                link_in=link_in,
                free_in=memories,
                cost_s=qdijkstra_cost(link_in, fidelity),
                via=via,
            )
        if out_virtual:
            record = replace(record, free_out=memories)
        return record

    def _embed(
        self, cid: str, conn: _Conn, request: ConnectionSetupRequest, step: Step, t_ps: int
    ) -> list[ManagerEffect]:
        """Spec §5: the next hop crosses a network: "it is embedded and passed to Layer k−1 by
        the border router", which requests a connection across the network (to the next
        node, or out of it for a climb) carrying ``request`` (with this node's record); the
        far end passes it on at this layer (``_respond``)."""
        assert step.via is not None
        lower = f"{cid}@{self.node}" + (f"~{request.attempt}" if request.attempt > 1 else "")
        conn.lower = lower
        embedded = ConnectionSetupRequest(
            lower,
            self.node,
            request.responder if step.next is None else step.next,
            self._embed_fidelity(step.via, request.fidelity),
            memories=request.memories,
            scope=step.via,
            upper=request,
            plan=None,
        )
        self.conns[lower] = _Conn(
            (), {}, request=embedded, serves=cid, via=step.via, climb=step.next is None
        )
        return self._attempt(lower, t_ps)

    def teardown(self, cid: str, t_ps: int, detail: str = "by request") -> list[ManagerEffect]:
        """End a connection this node initiated, now (mid-flight is fine)."""
        conn = self.conns.get(cid)
        if conn is None or conn.request is None:
            raise ControlError(f"{self.node} did not initiate a live connection {cid!r}")
        out: list[ManagerEffect] = []
        if conn.installed:
            out.append(SendControl(conn.path[1], ConnectionTeardown(cid, conn.path)))
        # Not up yet: the answer to the pending attempt will find the connection finished and
        # undo the setup (a reject needs nothing: it releases as it travels).
        out += self._finish(cid)
        out.append(ConnectionEvent(cid, "done", t_ps, detail))
        return out

    def on_delivered(self, cid: str, t_ps: int) -> list[ManagerEffect]:
        """This node delivered a pair of ``cid`` to its application."""
        conn = self.conns.get(cid)
        if conn is None or conn.request is None:
            return []
        conn.delivered += 1
        if conn.request.pairs is not None and conn.delivered >= conn.request.pairs:
            return self.teardown(cid, t_ps, f"{conn.delivered} pairs delivered")
        return []

    def on_wake(self, cid: str, t_ps: int, route: bool = False) -> list[ManagerEffect]:
        """A ``Wake`` is due (``route``: the one that ends a wait for a route)."""
        conn = self.conns.get(cid)
        if conn is None or conn.request is None:
            return []
        if route:
            # Stale when a route came earlier (the connection went on without waiting).
            if cid not in self.waiting_for_routes or t_ps < conn.route_deadline_ps:
                return []
            del self.waiting_for_routes[cid]
            return self._attempt(cid, t_ps)
        if conn.installed:  # the duration demand is met
            return self.teardown(cid, t_ps, f"{conn.request.duration_s} s elapsed")
        return self._attempt(cid, t_ps)

    def _rejected(
        self, cid: str, reason: RejectReason, detail: str, t_ps: int
    ) -> list[ManagerEffect]:
        conn = self.conns[cid]
        conn.pending = False
        conn.reasons.append(f"{reason.value}: {detail}")
        self._release_holds(conn)
        out = self._end_lower(conn)
        if conn.serves:  # a connection across a network for the one above: that one fails
            del self.conns[cid]
            self.finished.add(cid)
            return [
                *out,
                ConnectionEvent(cid, "failed", t_ps, f"{reason.value}: {detail}"),
                *self._refused_above(conn, reason, t_ps),
            ]
        retry = reason in (RejectReason.NO_ROUTE, RejectReason.NO_RESOURCES)
        if retry and conn.attempts < self.max_attempts:
            wait = self.rng.uniform(0.0, self.backoff_s * 2.0 ** (conn.attempts - 1))
            return [
                *out,
                ConnectionEvent(cid, "rejected", t_ps, detail),
                Wake(s_to_ps(wait) + 1, cid),
            ]
        del self.conns[cid]
        self.finished.add(cid)
        why = f"{reason.value}: {detail}" + (f" (after {conn.attempts} attempts)" if retry else "")
        return [*out, ConnectionEvent(cid, "failed", t_ps, why)]

    def _refused_above(self, lower: _Conn, reason: RejectReason, t_ps: int) -> list[ManagerEffect]:
        """The connection across network ``lower.via`` failed: the request it carried is
        refused at this layer, naming the network and not its interior (spec §5: nothing of
        a network's interior leaves it)."""
        above = lower.serves
        assert lower.request is not None
        conn = self.conns.get(above)
        if conn is None or conn.installed or conn.lower != lower.request.connection:
            return []  # given up, or retried, meanwhile
        where = "out of it" if lower.climb else f"from {self.node} to {lower.request.responder}"
        detail = f"network {lower.via} cannot make the connection {where} ({reason.value})"
        path = conn.path
        return self._on_reject(ConnectionSetupReject(above, path, reason, detail), t_ps)

    def progress(self, cid: str) -> str:
        """Where a connection this node initiated stands while it is not up ("" if it is up,
        over, or not this node's)."""
        conn = self.conns.get(cid)
        if conn is None or conn.request is None or conn.installed:
            return ""
        if cid in self.waiting_for_routes:
            return (
                f"waiting since {conn.wait_from_ps * 1e-12:.3g} s for a route to "
                f"{conn.request.responder} (routing has not converged)"
            )
        if conn.pending:
            return f"setup attempt {conn.attempts} on its way, not answered yet"
        return f"waiting to retry after {conn.attempts} attempts"

    # -- messages -------------------------------------------------------------------------------

    def on_message(self, src: str, message: ControlMessage, t_ps: int) -> list[ManagerEffect]:
        """A control message arrived from ``src``."""
        if message.__class__ is LinkStateAdvertisement:  # most messages: flooding
            return self._on_advertisement(src, message, t_ps)
        if isinstance(message, ConnectionSetupRequest):
            return self._on_request(src, message, t_ps)
        if isinstance(message, ConnectionSetupResponse):
            return self._on_response(message, t_ps)
        if isinstance(message, ConnectionSetupReject):
            return self._on_reject(message, t_ps)
        if isinstance(message, ConnectionTeardown):
            return self._on_teardown(message)
        return self._on_advertisement(src, message, t_ps)

    def _on_advertisement(
        self, src: str, lsa: LinkStateAdvertisement, t_ps: int
    ) -> list[ManagerEffect]:
        daemon = self._daemon(lsa.network)
        if daemon is None:
            return []
        version = daemon.version
        out: list[ManagerEffect] = daemon.on_advertisement(src, lsa)  # type: ignore[assignment]
        if self.waiting_for_routes and daemon.version != version:
            out += self._route_changed(t_ps)
        return out

    def on_flood(
        self, src: str, lsa: LinkStateAdvertisement, t_ps: int
    ) -> tuple[list[str] | None, list[ManagerEffect]]:
        """``on_message`` for an advertisement, the network's fast path: the neighbours to
        pass it on to (None: it was not new) and what else follows (waiting connections)."""
        daemon = self._daemon(lsa.network)
        if daemon is None:
            return None, []
        onward = daemon.flood(src, lsa)
        if onward is None or not self.waiting_for_routes:
            return onward, []
        return onward, self._route_changed(t_ps)

    def _daemon(self, network: str) -> RoutingDaemon | None:
        """Its routing daemon of the layer ``network`` (a flat network's one daemon for any);
        None for a layer this node is not in (an advertisement of it is dropped: it is
        flooded in its own layer only)."""
        if self.layers is None:
            return self.routing
        return self.layers.daemons.get(network)

    def on_routes(self, t_ps: int) -> list[ManagerEffect]:
        """The routing database may have changed without a message arriving (a network that
        works its floods out when read, ``Flooding``): go on with each waiting connection
        that has its route now."""
        return self._route_changed(t_ps) if self.waiting_for_routes else []

    def _route_changed(self, t_ps: int) -> list[ManagerEffect]:
        """The routing database changed: once it holds every node's newest advertisement, go
        on with each waiting connection it routes. Not before: a route on part of the
        advertisements can be far dearer than the converged one (a near Responder's
        advertisement in, a cheaper path's farther relay's not yet). A route also needs the
        Responder's own advertisement (a link is used only when both its ends advertise it)."""
        if not (self.routing.lsdb.current() if self.layers is None else self.layers.current()):
            return []
        out: list[ManagerEffect] = []
        for cid in list(self.waiting_for_routes):
            request = self.conns[cid].request
            assert request is not None
            if self.layers is None and request.responder not in self.routing.lsdb:
                continue
            if self._step(request) is not None:
                del self.waiting_for_routes[cid]
                out += self._attempt(cid, t_ps)
        return out

    def _on_request(
        self,
        src: str,
        req: ConnectionSetupRequest,
        t_ps: int,
        link_in: LinkState | None = None,
        via: str = "",
        port: str = "",
    ) -> list[ManagerEffect]:
        """A request from ``src``: over a physical link, or (``link_in``, made across the
        network ``via``) over a virtual one, passed up by the network below, whose pairs
        come in by the QNIC toward ``port``."""
        cid = req.connection
        before = req.path  # built from the hop records: once (a path of N nodes: N of them)
        path = (*before, self.node)
        if self.node in before or cid in self.finished or cid in self.conns:
            return [
                SendControl(
                    src,
                    ConnectionSetupReject(cid, path, RejectReason.NO_ROUTE, f"loop at {self.node}"),
                )
            ]
        is_responder = self._responds(req)
        step = None if is_responder else self._step(req)
        nxt = None if step is None else step.next
        out_virtual = step is not None and step.via is not None
        reason, detail = None, ""
        if not is_responder and step is None:
            reason, detail = RejectReason.NO_ROUTE, f"{self.node} knows no route to {req.responder}"
        elif nxt is not None and (nxt == src or nxt in before):
            # Routing tables disagree (link state still flooding): going on would loop.
            reason, detail = RejectReason.NO_ROUTE, f"routes disagree at {self.node} (loop)"
        else:
            # A virtual in-side holds its memories on the QNIC its pairs come in by (``port``),
            # beside those the connection below holds there.
            detail = self._shortage(port or src, req.memories, cid) or (
                "" if nxt is None or out_virtual else self._shortage(nxt, req.memories, cid)
            )
            reason = RejectReason.NO_RESOURCES if detail else None
        if reason is not None:
            return [SendControl(src, ConnectionSetupReject(cid, before, reason, detail))]
        hops = (
            *req.hops,
            self.hop_record(src, nxt, req.fidelity, link_in, via, out_virtual, req.memories),
        )  # free memories as found, before holding
        conn = _Conn(path, {}, port_in=port or src)
        self.conns[cid] = conn
        if link_in is None:
            self._hold(conn, src, req.memories)
        else:
            self._hold_virtual(conn, "in", port, req.memories)
        if nxt is not None and not out_virtual:
            self._hold(conn, nxt, req.memories)
        forwarded = replace(req, hops=hops)
        if is_responder and req.responder != self.node:
            # The exit border of a climb out of a network: it is the Responder of the
            # connection across it (spec §5: "the border router acts as a Responder").
            forwarded = replace(forwarded, responder=self.node)
        if step is not None and step.via is not None:
            return self._embed(cid, conn, forwarded, step, t_ps)
        if nxt is not None:
            return [SendControl(nxt, forwarded)]
        return self._respond(src, forwarded, t_ps)

    def _respond(self, src: str, req: ConnectionSetupRequest, t_ps: int) -> list[ManagerEffect]:
        """The Responder: its generator's RuleSets go to every node of the path. A connection
        across a network for the layer above (``req.upper``) is provisional (spec §5, Fig. 6:
        "Each network constructs provisional RuleSets upon the connection request reaching
        the corresponding Layer k−1 Responders"): its two ends hand their pairs to the
        connection above (RuleSet rewriting), and this node passes the request above on, over
        the virtual link its plan makes."""
        cid = req.connection
        answer = self.generator(req)
        path = req.path
        link = None
        if isinstance(answer, Accepted) and req.upper is not None:
            link = planned_link(req.hops, answer.plan, answer.memories, path[0])
        if not isinstance(answer, Accepted) or (req.upper is not None and link is None):
            self._release_holds(self.conns.pop(cid))
            reason = (
                answer.reason
                if not isinstance(answer, Accepted)
                else (RejectReason.FIDELITY_UNREACHABLE)
            )
            detail = answer.detail if not isinstance(answer, Accepted) else "no pairs planned"
            return [SendControl(src, ConnectionSetupReject(cid, path, reason, detail))]
        rulesets = answer.rulesets
        if req.upper is not None:
            rulesets = {n: rs.delivering_to(req.upper.connection) for n, rs in rulesets.items()}
        out: list[ManagerEffect] = []
        for node in path:
            response = ConnectionSetupResponse(cid, path, rulesets[node], answer.memories)
            if node == self.node:
                out += self._on_response(response, t_ps)
            else:
                out.append(SendControl(node, response))
        if req.upper is not None:
            assert link is not None
            here = self.conns[cid]
            out += self._on_request(path[0], req.upper, t_ps, link, req.scope, here.port_in)
        return out

    def _on_response(self, msg: ConnectionSetupResponse, t_ps: int) -> list[ManagerEffect]:
        conn = self.conns.get(msg.connection)
        if conn is None and msg.path[0] == self.node and msg.connection in self.finished:
            # The Initiator gave up before the answer came: undo the setup along the path.
            return [SendControl(msg.path[1], ConnectionTeardown(msg.connection, msg.path))]
        if conn is None or conn.installed:
            return []  # torn down (or refused) meanwhile
        conn.path = msg.path
        conn.installed = True
        self.engine.install(msg.ruleset)
        out: list[ManagerEffect] = [
            Reserve(msg.connection, n, min(msg.memories, held))
            for n, held in sorted(conn.holds.items())
        ]
        i = msg.path.index(self.node)
        for side, (port, held) in sorted(conn.virtual.items()):
            neighbour = msg.path[i - 1] if side == "in" else msg.path[i + 1]
            out.append(Reserve(msg.connection, neighbour, held, port))
        if conn.request is not None:
            conn.pending = False
            conn.up_ps = t_ps
            out.append(ConnectionEvent(msg.connection, "up", t_ps, "-".join(msg.path)))
            if conn.request.duration_s is not None and conn.request.upper is None:
                out.append(Wake(s_to_ps(conn.request.duration_s), msg.connection))
        return out

    def _on_reject(self, msg: ConnectionSetupReject, t_ps: int) -> list[ManagerEffect]:
        conn = self.conns.get(msg.connection)
        if conn is None or conn.installed:
            return []
        if conn.request is not None:
            return self._rejected(msg.connection, msg.reason, msg.detail, t_ps)
        self._release_holds(conn)
        del self.conns[msg.connection]
        i = conn.path.index(self.node)
        return [*self._end_lower(conn), SendControl(conn.path[i - 1], msg)]

    def _on_teardown(self, msg: ConnectionTeardown) -> list[ManagerEffect]:
        cid = msg.connection
        if cid in self.finished:
            return []
        out: list[ManagerEffect] = []
        i = msg.path.index(self.node)
        if i + 1 < len(msg.path):
            out.append(SendControl(msg.path[i + 1], msg))
        if cid in self.conns:
            out += self._finish(cid)
        else:
            self.finished.add(cid)  # its response may still be on the way: ignore it
        return out

    # -- resources -------------------------------------------------------------------------------

    def _hold(self, conn: _Conn, neighbour: str, memories: int) -> None:
        conn.holds[neighbour] = memories
        self.held[neighbour] = self.held.get(neighbour, 0) + memories

    def _hold_virtual(self, conn: _Conn, side: str, port: str, memories: int) -> None:
        """Hold a virtual side's memories on the QNIC toward ``port`` (checked before): the
        connection's, as many as its plan counts on. (More, while free, only let pairs age
        in them: the rules take the oldest, and the pairs the layer below hands up wait
        there instead of in its own memories, measured 0.854 against 0.881 delivered.)"""
        conn.virtual[side] = (port, memories)
        self.held[port] = self.held.get(port, 0) + memories

    def _release_holds(self, conn: _Conn) -> None:
        for neighbour, m in [*conn.holds.items(), *conn.virtual.values()]:
            self.held[neighbour] -= m
            if not self.held[neighbour]:
                del self.held[neighbour]
        conn.holds = {}
        conn.virtual = {}

    def _finish(self, cid: str) -> list[ManagerEffect]:
        conn = self.conns.pop(cid)
        self.finished.add(cid)
        self.waiting_for_routes.pop(cid, None)
        out: list[ManagerEffect] = []
        if conn.installed:
            out += self.engine.uninstall(cid)
            out.append(Release(cid))
        self._release_holds(conn)
        return out + self._end_lower(conn)

    def _end_lower(self, conn: _Conn) -> list[ManagerEffect]:
        """A connection ends (or is refused) here: so does the connection this node embedded
        for it across the network below, at every layer down (spec §5: teardown crosses
        layers). Not up yet: its answer will find it finished and undo its setup."""
        cid, conn.lower = conn.lower, ""
        lower = self.conns.get(cid) if cid else None
        if lower is None:
            return []
        out: list[ManagerEffect] = []
        if lower.installed:
            out.append(SendControl(lower.path[1], ConnectionTeardown(cid, lower.path)))
        return out + self._finish(cid)

    def link_states(
        self, states: list[LinkState], t_ps: int = 0, network: str | None = None
    ) -> list[ManagerEffect]:
        """Link monitoring has new estimates of this node's links (at ``t_ps``): advertise
        them (in the layer ``network``, in an internetwork), and go on with a connection
        waiting for a route that its own links now give."""
        daemon = self.routing if network is None else self._daemon(network)
        if daemon is None:
            raise ControlError(f"{self.node} routes in no layer {network!r}")
        out: list[ManagerEffect] = list(daemon.set_links(states))
        if self.waiting_for_routes:
            out += self._route_changed(t_ps)
        return out
