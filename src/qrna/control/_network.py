"""A quantum network running connections: nodes' software wired to links and a classical network.

``Network`` takes the links of a topology (every node needs one QNIC per link, ``LinkSpec``'s
``qnic_a``/``qnic_b``) and gives every node a rule engine, a routing daemon and a connection
manager. Classical messages — control, routing, and the RuleSets' own — travel the classical
network: by default along the fibres, each message taking the shortest fibre delay between its
two nodes (plus optional jitter); ``classical`` may give another graph with ``delay_s`` on its
edges (it may differ from the quantum topology).

Resources: a connection reserves whole memories (first come, first served). When both ends of
a link have installed a connection's RuleSets, the link makes pairs for it on the reserved
memories (a ``HeraldedLink`` over those memories alone: the reserved memories attempt as the
link's own time bins; different connections' attempts on one fibre do not slow each other,
which holds when the round is set by the fibre's round trip, not by emission). A herald that
reaches a node after the connection ended there frees its qubit.

Example:
    >>> from qrna.control import line_network
    >>> net = line_network(3, length_km=5.0, memories=4, seed=1)
    >>> c = net.request("n0", "n2", fidelity=0.5, pairs=20)
    >>> net.run(0.05).connections[c].delivered >= 20
    True
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import networkx as nx

from qrna.control._delays import ClassicalDelays
from qrna.control._errors import ControlError, GeneratorError
from qrna.control._flooding import Flooding
from qrna.control._generator import (
    Accepted,
    Plan,
    Rejected,
    RuleSetGenerator,
    default_generator,
)
from qrna.control._layering import Layering
from qrna.control._layers import Names
from qrna.control._lsdb import LinkStateStore
from qrna.control._manager import (
    ConnectionEvent,
    ConnectionManager,
    ManagerEffect,
    Release,
    Reserve,
    Wake,
)
from qrna.control._messages import (
    ConnectionSetupRequest,
    ControlMessage,
    HopRecord,
    LinkState,
    LinkStateAdvertisement,
    PlanRequest,
)
from qrna.control._plugins import BUILTIN_GENERATORS
from qrna.control._reports import ConnectionReport, NetworkResult, connection_reports
from qrna.control._routing import Metric, RoutingDaemon, SendControl, qdijkstra_cost
from qrna.control._sublinks import SubLinks
from qrna.hardware import (
    QNIC,
    Node,
    NodeType,
    PairStore,
    PurificationBook,
    Qubit,
)
from qrna.kernel import RngStreams, Scheduler, TraceHook, s_to_ps
from qrna.link import LinkSpec, herald_model
from qrna.rules import (
    DeliveryLedger,
    EngineRuntime,
    MeasurementDone,
    NodeHardware,
    PairDelivered,
    RuleEngine,
)

__all__ = ["ConnectionReport", "Network", "NetworkResult"]

_UNLIMITED = 10**9  # "free memories" of a MEAS node, which needs none
# An advertisement arriving at a node is taken before anything else there in that picosecond
# (scheduler priority): a read in the very picosecond it arrives sees it, flooded hop by hop
# as when worked out when read (``Flooding``), whatever the order events were queued in.
_FLOOD = -1


class Network:
    """Nodes, links and the classical network, running connections.

    Args:
        links: the quantum links; node objects are taken from them.
        seed: root seed (one stream per component).
        backend: "bell_diagonal" or "density_matrix".
        metric: the routing metric (``METRICS`` name or callable).
        generator: the RuleSet generator every Responder runs.
        classical: the classical network (edges with ``delay_s``); default: the fibres.
        jitter: extra delay of each classical message, uniform in [0, jitter × its latency].
        trace: optional kernel trace hook.
        max_attempts: setup attempts before an Initiator gives up.
        monitor_fraction: fraction of each connection's link pairs both ends measure for link
            monitoring (0: none). Every ``monitor_interval_s`` a node estimates each link's
            Bell-diagonal state from all its results so far (once it has 200) and, if the
            fidelity moved beyond the estimate's 95 % interval and by more than 0.01,
            advertises it (the rate stays the link's calibrated one: monitoring a
            connection's share of the memories measures its use, not the link's capacity).
        message_log: keep a trace of every control message sent, ``(t_ps, src, dst, type,
            connection)``, in ``message_log`` (off by default: flooding alone sends N² of
            them, a million at 1000 nodes).
        internet: the networks the nodes form (spec §5; a ``qrna.internet.Internetwork``;
            default: one). Each network routes in its own layer (``Internetwork.layer``),
            every node with one link-state daemon per layer it is a vertex of; a network is
            seen one layer up as a virtual link per
            pair of its borders, advertised by them with the network's offer (its own
            generator's estimate for the path between them, ``qrna.internet.offer``); a
            request whose next hop crosses a network is embedded there (``Layers``,
            ``ConnectionManager``). Connection names may not hold "@" (the connections
            across networks are named ``c@border``).
        offer_fidelity: per network, the fidelity its connections for the layer above are
            made at and its virtual links are offered at (default: a connection across it
            is asked the fidelity of the one it serves, and its links are advertised as
            planned for 0.5, unpurified).
        generators, metrics: per network of ``internet`` (full name; "" the top layer), the
            generator its Responders run (its connections' plans and its offers) and the
            metric its layer routes by; a network not named runs ``generator`` and
            ``metric`` (``Layering``).

    Link-state flooding (spec §4.2) runs message by message, an event per hop, only with
    ``jitter``, ``message_log`` or a classical hop of 0 ps (a fibre of 0 km); otherwise each
    advertisement is noted once and a daemon's database catches up when read (``Flooding``):
    it holds what the flood has brought it by then, the same advertisements at the same
    instants, without the N² events. Either way an advertisement arriving at a node is taken
    before anything else there in that picosecond.
    """

    def __init__(
        self,
        links: Sequence[LinkSpec],
        seed: int = 0,
        backend: str = "bell_diagonal",
        metric: str | Metric = "qdijkstra",
        generator: RuleSetGenerator = default_generator,
        classical: nx.Graph[str] | None = None,
        jitter: float = 0.0,
        trace: TraceHook | None = None,
        max_attempts: int = 6,
        monitor_fraction: float = 0.0,
        monitor_interval_s: float = 0.01,
        message_log: bool = False,
        internet: Names | None = None,
        offer_fidelity: Mapping[str, float] | None = None,
        generators: Mapping[str, RuleSetGenerator] | None = None,
        metrics: Mapping[str, str | Metric] | None = None,
    ) -> None:
        if not links:
            raise ControlError("a network needs at least one link")
        self.scheduler = Scheduler(trace=trace)
        self.streams = RngStreams(seed)
        self.store = PairStore()
        self.book = PurificationBook(self.store)
        self.backend = backend
        self.jitter = jitter
        self._jitter_rng = self.streams.stream("classical/jitter")
        self.nodes: dict[str, Node] = {}
        # node -> neighbour -> (link spec, which end this node is)
        self.ports: dict[str, dict[str, tuple[LinkSpec, int]]] = {}
        for spec in links:
            for end, node in enumerate((spec.a, spec.b)):
                known = self.nodes.setdefault(node.address, node)
                if known != node:
                    raise ControlError(f"two different nodes are named {node.address!r}")
                other = (spec.b, spec.a)[end].address
                if other in self.ports.setdefault(node.address, {}):
                    raise ControlError(f"two links join {node.address!r} and {other!r}")
                self.ports[node.address][other] = (spec, end)
        if classical is None:
            classical = nx.Graph()
            for spec in links:
                classical.add_edge(spec.a.address, spec.b.address, delay_s=spec.fibre.delay_s)
        missing = set(self.nodes) - set(classical)
        if missing:
            raise ControlError(f"nodes {sorted(missing)} are not on the classical network")
        strangers = set(classical) - set(self.nodes)
        if strangers:  # nothing would run there to pass a message on
            raise ControlError(
                f"classical network: {sorted(strangers)} are not nodes of the quantum network; "
                "its channels join the network's own nodes"
            )
        # Computed per pair when first needed (``ClassicalDelays``), not as an N² table.
        self.delay_s = ClassicalDelays(classical)
        for spec in links:
            if not self.delay_s.connected(spec.a.address, spec.b.address):
                raise ControlError(
                    f"classical network: no route between {spec.a.address!r} and "
                    f"{spec.b.address!r}, the ends of a quantum link"
                )
        self.plans: dict[str, Plan] = {}  # connection -> the plan its RuleSets follow
        self.engines: dict[str, RuleEngine] = {}
        self.link_states = LinkStateStore()  # every daemon's advertisements, kept once
        self.managers: dict[str, ConnectionManager] = {}
        self.internet = internet
        self.layering: Layering | None = None
        if internet is not None:
            self.layering = Layering(
                self,
                internet,
                links,
                offer_fidelity or {},
                generator,
                metric,
                generators or {},
                metrics or {},
            )
        elif generators or metrics:
            raise ControlError("generators and metrics per network need an internetwork")
        generate = self._recording(generator)
        if self.layering is not None:
            # A request is planned by the generator of the network it crosses (its scope).
            layering = self.layering
            recorded = {
                n: self._recording(layering.generator(n)) for n in layering.internet.networks
            }
            generate = lambda request: recorded[request.scope](request)  # noqa: E731
        for name in sorted(self.nodes):
            engine = RuleEngine(name, NodeHardware(self, name))
            relay = self.nodes[name].type in (NodeType.REP1, NodeType.RTR)
            layers = None
            if self.layering is None:
                routing = RoutingDaemon(
                    name, sorted(classical.neighbors(name)), metric, relay, self.link_states
                )
            else:
                layers = self.layering.routing(name)
                routing = layers.daemons[self.layering.internet.layers_of(name)[0]]
            self.engines[name] = engine
            self.managers[name] = ConnectionManager(
                name,
                routing,
                engine,
                lambda nbr, n=name: self._memories(n, nbr),  # type: ignore[misc]
                lambda prev, nxt, f, n=name: self._hop(n, prev, nxt, f),  # type: ignore[misc]
                generate,
                self.streams.stream(f"control/{name}"),
                max_attempts=max_attempts,
                converged_by=lambda n=name: self._routing_converged_ps(n),  # type: ignore[misc]
                layers=layers,
                embed_fidelity=None if self.layering is None else self.layering.embed_fidelity,
            )
        if not (0.0 <= monitor_fraction < 1.0 and monitor_interval_s > 0):
            raise ControlError(
                f"monitor_fraction={monitor_fraction!r} must be in [0, 1) and "
                f"monitor_interval_s={monitor_interval_s!r} > 0"
            )
        self.sublinks = SubLinks(self, monitor_fraction)
        self._monitor_ps = s_to_ps(monitor_interval_s)
        self.banks = self.sublinks.banks  # QNIC (sub-bank) address -> its memories
        self.ledger = DeliveryLedger(self.store, self.sublinks.free)
        self._requests: dict[str, ConnectionSetupRequest] = {}
        self._events: dict[str, list[ConnectionEvent]] = {}
        self.measurements: list[MeasurementDone] = []
        self.runtime = EngineRuntime(
            self.scheduler,
            self.engines,
            self._latency_ps,
            self.sublinks.free,
            self._delivered,
            self.measurements.append,
        )
        # t, src, dst, type, connection of every control message, when asked (``message_log``)
        self.message_log: list[tuple[int, str, str, str, str]] = []
        self._log_messages = message_log
        self._latency_cache: dict[tuple[str, str], int] = {}  # without jitter: ps per pair
        self._count = 0
        self._apps: dict[tuple[str, str], tuple[Callable[[PairDelivered], None], bool]] = {}
        self._app_rng = self.streams.stream("applications")
        self._listeners: dict[str, list[Any]] = {}  # node -> listening sockets (qrna.api)
        self._sockets = 0  # sockets made so far (each names its random stream by its number)
        self._cancelled: set[str] = set()  # connections torn down (perhaps before they began)
        self._initiator_delivered: dict[str, int] = {}
        self.paths: dict[str, tuple[str, ...]] = {}  # connection -> its path, once it is up
        self._estimates: dict[tuple[str, str], LinkState] = {}
        self._advertised_ps = 0  # when a node last advertised its links
        self._flooding: Flooding | None = None
        self._wakes: dict[int, set[str]] = {}  # instant -> managers to wake for routes then
        self.segments: dict[str, list[ConnectionEvent]] = {}  # connections across networks
        if self.layering is not None:
            self.layering.make_offers()
        # Every hop's latency is fixed: floods are foreseen (in one layer: an internetwork's
        # layers flood message by message).
        if not (jitter or message_log or internet is not None):
            hops = {
                a: [(b, self._latency_ps(a, b)) for b in sorted(classical.neighbors(a))]
                for a in sorted(self.nodes)
            }
            # Not over a hop of 0 ps (a fibre of 0 km): hop by hop, its message is taken only
            # after the event that sent it (which may advertise again, or read: a monitoring
            # tick advertises every node that moved), worked out when read at once.
            if all(ps > 0 for out in hops.values() for _, ps in out):
                self._flooding = Flooding(hops, lambda: self.scheduler.now_ps)
        if self._flooding is not None:
            for name, mgr in self.managers.items():
                self._flooding.follow(mgr.routing.lsdb, name)
        for name in sorted(self.nodes):
            self.scheduler.schedule(0, lambda n=name: self._advertise(n))  # type: ignore[misc]
        if monitor_fraction:
            self.scheduler.schedule(self._monitor_ps, self.sublinks.monitor_tick)

    def _recording(self, generator: RuleSetGenerator) -> RuleSetGenerator:
        """The generator, keeping each accepted plan (``plans``) for the reports.

        A plugin generator (any but qrna's own, ``BUILTIN_GENERATORS``) is checked on each
        call: raising, or answering other than ``Accepted`` or ``Rejected``, is its fault, not
        qrna's, so it raises ``GeneratorError`` naming the generator and what it did. A
        built-in generator's exception stays what it is, a fault in qrna."""
        builtin = any(generator is g for _, g in BUILTIN_GENERATORS.values())
        where = getattr(generator, "__module__", None)
        what = getattr(generator, "__qualname__", None) or type(generator).__qualname__
        name = f"{where}:{what}" if where else what

        def generate(request: ConnectionSetupRequest) -> Accepted | Rejected:
            if builtin:
                answer = generator(request)
            else:
                try:
                    answer = generator(request)
                except Exception as exc:
                    raise GeneratorError(
                        f"generator {name!r} raised {type(exc).__name__}: {exc} (connection "
                        f"{request.connection!r})"
                    ) from exc
                if not isinstance(answer, Accepted | Rejected):
                    raise GeneratorError(
                        f"generator {name!r} returned {_short(answer)}; expected Accepted or "
                        f"Rejected (connection {request.connection!r})"
                    )
                if isinstance(answer, Accepted):
                    _check_accepted(name, request, answer)
            if isinstance(answer, Accepted):
                self.plans[request.connection] = answer.plan
            return answer

        return generate

    # -- an internetwork's layers (spec §5) ----------------------------------------------------

    def layer_link(self, network: str, a: str, b: str) -> LinkState | None:
        """What ``a`` advertises of its link to ``b`` in ``network``'s layer (an
        internetwork's): a physical link's state, or the offer of the network a virtual link
        crosses (None: none made)."""
        if self.layering is None:
            raise ControlError("a network of one layer has no layers to look up")
        return self.layering.link(network, a, b)

    # -- the nodes' view of their hardware ----------------------------------------------------

    def _memories(self, node: str, neighbour: str) -> int:
        if self.nodes[node].type is NodeType.MEAS:
            return _UNLIMITED  # it stores nothing: every photon is measured on arrival
        return self._qnic(node, neighbour).memories

    def _qnic(self, node: str, neighbour: str) -> QNIC:
        spec, end = self.ports[node][neighbour]
        return self.nodes[node].qnics[spec.qnic_b if end else spec.qnic_a]

    def link_state(self, node: str, neighbour: str) -> LinkState:
        """What ``node`` knows of its link to ``neighbour`` (set by ``set_link_estimate``, or
        the link's calibrated closed form)."""
        known = self._estimates.get((node, neighbour))
        return self._calibrated(node, neighbour) if known is None else known

    def _calibrated(self, node: str, neighbour: str) -> LinkState:
        """The link's calibrated closed form as ``node`` sees it: its herald model's rate,
        state and timing, and the one-way latency bound."""
        spec, _ = self.ports[node][neighbour]
        model = herald_model(spec)
        return LinkState(
            neighbour,
            model.rate_hz(),
            model.state.as_tuple(),
            spec.fibre.length_km,
            self._latency_bound(node, neighbour),
            model.p_success,
            model.base_s,
            model.slot_s,
            model.reinit_s,
        )

    def set_link_estimate(self, a: str, b: str, rate_hz: float, weights: Sequence[float]) -> None:
        """Link monitoring of link a-b reports new estimates: both ends re-advertise."""
        if b not in self.ports.get(a, {}):
            raise ControlError(f"no link joins {a!r} and {b!r}")
        w = (float(weights[0]), float(weights[1]), float(weights[2]), float(weights[3]))
        for x, y in ((a, b), (b, a)):
            # Monitoring measures the rate and the state; the rest is the link's hardware.
            calibrated = self._calibrated(x, y)
            self._estimates[(x, y)] = dataclasses.replace(calibrated, rate_hz=rate_hz, weights=w)
        self.estimates_moved([a, b])

    def estimates_moved(self, nodes: Sequence[str]) -> None:
        """What ``nodes`` know of their links changed: they advertise it; in an
        internetwork, the networks holding them plan their offers again and the borders
        whose offers changed advertise them in the layer above (``Layering.reoffer``)."""
        for node in nodes:
            self._advertise(node)
        if self.layering is not None:
            for border in self.layering.reoffer(nodes):
                if border not in nodes:
                    self._advertise(border)

    def _latency_bound(self, a: str, b: str) -> float:
        """The longest a classical message from ``a`` to ``b`` can take (jitter included):
        what discard timers must outlast (spec §6)."""
        return self.delay_s.delay_s(a, b) * (1.0 + self.jitter)

    def _routing_converged_ps(self, node: str) -> int:
        """When every advertisement sent so far has reached ``node`` at the latest: flooding
        takes the shortest classical path (each hop's latency at most (1 + jitter) times its
        delay, rounded to the picosecond: 1 ps per node covers the rounding); in an
        internetwork, the shortest path in each of its layers, whose hops are classical
        paths."""
        if self.layering is None:
            spread = s_to_ps(self.delay_s.eccentricity_s(node) * (1.0 + self.jitter))
        else:
            spread = self.layering.spread_ps(node)
        return self._advertised_ps + spread + len(self.nodes)

    def _advertise(self, node: str) -> None:
        self._advertised_ps = self.scheduler.now_ps
        if self.layering is not None:  # in each of its layers (flooded message by message)
            self._control(node, self.layering.advertise(node, self.scheduler.now_ps))
            return
        states = [self.link_state(node, n) for n in sorted(self.ports[node])]
        effects = self.managers[node].link_states(states, self.scheduler.now_ps)
        flooding = self._flooding
        if flooding is None:
            self._control(node, effects)
            return
        # Its advertisement, sent to every neighbour, is noted once; the rest are what its own
        # advertisement gave connections waiting here for a route (a setup request among them).
        rest: list[ManagerEffect] = []
        lsa = None
        for e in effects:
            if isinstance(e, SendControl) and e.message.__class__ is LinkStateAdvertisement:
                lsa = e.message
            else:
                rest.append(e)
        if lsa is not None:
            assert isinstance(lsa, LinkStateAdvertisement)
            flooding.flood(lsa)
        self._control(node, rest)
        for name, mgr in self.managers.items():
            if mgr.waiting_for_routes and name != node:
                self._wake_for_routes(name)

    def _wake_for_routes(self, node: str) -> None:
        """Wake ``node``'s manager, waiting for a route, when its database will hold the
        newest advertisement of every node: what the last of them to arrive would do."""
        assert self._flooding is not None
        at = self._flooding.current_at(self.managers[node].routing.lsdb)
        if at is None:
            return
        woken = self._wakes.get(at)
        if woken is None:
            woken = self._wakes[at] = set()
            self.scheduler.schedule_at(at, partial(self._routes_woken_at, at), _FLOOD)
        woken.add(node)

    def _routes_woken_at(self, at: int) -> None:
        """Wake the managers due now, in the order the last advertisement of each would
        have reached it hop by hop (in one picosecond that order is the order they act in)."""
        assert self._flooding is not None
        for node in self._flooding.wake_order(self._wakes.pop(at)):
            self._routes_woken(node)

    def _routes_woken(self, node: str) -> None:
        mgr = self.managers[node]
        if not mgr.waiting_for_routes:
            return
        self._control(node, mgr.on_routes(self.scheduler.now_ps))
        if mgr.waiting_for_routes and not mgr.routing.lsdb.current():
            self._wake_for_routes(node)  # a newer advertisement set out meanwhile

    def _hop(self, node: str, prev: str | None, nxt: str | None, fidelity: float) -> HopRecord:
        mgr = self.managers[node]
        link_in = None if prev is None else self.link_state(node, prev)
        cost = 0.0 if link_in is None else qdijkstra_cost(link_in, fidelity)
        free_in = 0 if prev is None else min(mgr.available(prev), _UNLIMITED)
        free_out = 0 if nxt is None else min(mgr.available(nxt), _UNLIMITED)
        if self.nodes[node].type is NodeType.MEAS:
            return HopRecord(
                node, link_in, free_in, free_out, 0.0, 0.0, math.inf, math.inf, True, cost_s=cost
            )
        # Both sides virtual (a node between two networks it crosses): its first QNIC's quality.
        qnic = self._qnic(node, prev or nxt or min(self.ports[node]))
        noise = qnic.gate_noise
        return HopRecord(
            node,
            link_in,
            free_in,
            free_out,
            noise.cnot_error,
            noise.readout_error,
            qnic.t1_s,
            qnic.t2_s,
            qnic_in="" if prev is None else self._qnic_address(node, prev),
            qnic_out="" if nxt is None else self._qnic_address(node, nxt),
            cost_s=cost,
            swap_degradation=noise.swap_degradation,
            swap_success_probability=noise.swap_success_probability,
            single_qubit_error=noise.single_qubit_error,
            depolarising_time_s=qnic.depolarising_time_s,
            correction_error=qnic.correction_error,
        )

    def _qnic_address(self, node: str, neighbour: str) -> str:
        if self.nodes[node].type is NodeType.MEAS:
            return ""
        spec, end = self.ports[node][neighbour]
        return self.nodes[node].qnic_address(spec.qnic_b if end else spec.qnic_a)

    # -- requests -------------------------------------------------------------------------------

    def request(
        self,
        initiator: str,
        responder: str,
        fidelity: float,
        pairs: int | None = None,
        duration_s: float | None = None,
        memories: int = 4,
        at_s: float = 1e-3,
        connection: str | None = None,
        plan: PlanRequest | None = None,
        best_effort: bool = False,
    ) -> str:
        """Schedule an application at ``initiator`` asking for a connection; returns its id.

        ``plan`` fixes parts of the plan the Responder's generator chooses (all of them: one
        plan); with ``best_effort`` a fidelity no plan reaches gets the nearest plan instead
        of a refusal (``ConnectionSetupRequest``).

        The default start (1 ms) leaves the routing daemons of a small network time to learn
        the topology; a request that comes before its route waits for it (bounded: until every
        advertisement can have reached the Initiator; ``ConnectionManager``).
        """
        for node in (initiator, responder):
            if node not in self.nodes:
                raise ControlError(f"no node {node!r} in the network; nodes: {sorted(self.nodes)}")
        self._count += 1
        cid = connection or f"c{self._count}"
        if cid in self._requests:
            raise ControlError(f"connection {cid!r} was requested already")
        scope = ""
        if self.layering is not None:
            if "@" in cid:
                raise ControlError(
                    f"connection {cid!r}: in an internetwork a name may not hold '@' (it "
                    "names the connections across networks)"
                )
            scope = self.layering.scope(initiator, responder)
        req = ConnectionSetupRequest(
            cid,
            initiator,
            responder,
            fidelity,
            pairs,
            duration_s,
            memories,
            plan=plan,
            best_effort=best_effort,
            scope=scope,
        )
        self._requests[cid] = req
        self._events[cid] = []
        mgr = self.managers[initiator]

        def start() -> None:
            if cid in self._cancelled:  # torn down before its request left
                self._events[cid].append(ConnectionEvent(cid, "done", self.now_ps, "cancelled"))
                return
            self._control(initiator, mgr.connect(req, self.scheduler.now_ps))

        self.scheduler.schedule_at(max(self.scheduler.now_ps, s_to_ps(at_s)), start)
        return cid

    def below(self, connection: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """The connections across networks that served ``connection`` (spec §5: its path per
        layer), each with the network it crossed (the innermost holding its path) and its
        path, by name (``c1@isp2.n0``, then the ones inside it, ``c1@isp2.n0@...``), those of
        its last attempt. Empty in a network of one layer, and for a connection none of
        whose requests crossed a network."""
        if self.layering is None:
            return []

        def attempt(cid: str) -> int:  # ``c1@b~3``: embedded by the third attempt of c1
            first = cid[len(connection) + 1 :].split("@")[0]
            return int(first.rsplit("~", 1)[1]) if "~" in first else 1

        below = [c for c in self.paths if c.startswith(connection + "@")]
        last = max(map(attempt, below), default=1)
        out = []
        for cid in sorted(c for c in below if attempt(c) == last):  # the last attempt's
            path = self.paths[cid]
            out.append((cid, self.layering.network_of(path), path))
        return out

    def progress(self, connection: str) -> str:
        """Where a connection that is not up stands ("" if it is up or over)."""
        req = self._requests[connection]
        return self.managers[req.initiator].progress(connection)

    def teardown(self, connection: str, at_s: float) -> None:
        """Schedule the Initiator to end ``connection`` at ``at_s`` (if it is still live; a
        connection whose request has not left by then never starts)."""
        req = self._requests[connection]
        mgr = self.managers[req.initiator]

        def stop() -> None:
            self._cancelled.add(connection)
            if connection in mgr.conns:
                self._control(req.initiator, mgr.teardown(connection, self.scheduler.now_ps))

        self.scheduler.schedule_at(s_to_ps(at_s), stop)

    # -- applications (the socket layer's hooks) -----------------------------------------------

    def attach(
        self,
        connection: str,
        node: str,
        handler: Callable[[PairDelivered], None],
        hold: bool = False,
    ) -> None:
        """Call ``handler`` with every half of ``connection`` delivered at ``node``; with
        ``hold`` the application keeps each qubit until it calls ``release``."""
        if connection not in self._requests:
            raise ControlError(f"no connection {connection!r} was requested")
        self._apps[(connection, node)] = (handler, hold)

    def measure(self, node: str, qubit: Qubit, basis: str) -> int:
        """Measure a delivered half at ``node`` in "X", "Y" or "Z" (with its QNIC's readout
        error); the qubit stays allocated until released."""
        pair = self.store.pair_of(qubit)
        noise = self.banks[qubit[0]].spec.gate_noise
        return self.store.measure(
            pair,
            pair.half_of(qubit),
            basis,
            self.scheduler.now_ps,
            self._app_rng,
            noise.readout_error,
        )

    def release(self, qubit: Qubit) -> None:
        """An application is done with a half it held."""
        self.ledger.release(qubit)

    def hand_over(self, node: str, qubit: Qubit, to: str, partner: str) -> Qubit | None:
        """A network's connection hands a pair up at ``node`` (a border): its half moves into
        a memory connection ``to`` holds there for its virtual link to ``partner`` (None: all
        of them busy; ``SubLinks.hand_over``)."""
        return self.sublinks.hand_over(node, qubit, to, partner)

    def send_classical(self, src: str, dst: str, deliver: Callable[[], object]) -> None:
        """Run ``deliver`` at ``dst`` after the classical latency from ``src``."""
        self.scheduler.schedule(self._latency_ps(src, dst), deliver)

    @property
    def now_ps(self) -> int:
        return self.scheduler.now_ps

    # -- effects --------------------------------------------------------------------------------

    def _latency_ps(self, src: str, dst: str) -> int:
        if not self.jitter:
            key = (src, dst)
            known = self._latency_cache.get(key)
            if known is None:
                known = self._latency_cache[key] = s_to_ps(self.delay_s.delay_s(src, dst))
            return known
        latency = self.delay_s.delay_s(src, dst)
        latency += self.jitter * latency * float(self._jitter_rng.random())
        return s_to_ps(latency)

    def _control(self, node: str, effects: Sequence[ManagerEffect]) -> None:
        mgr = self.managers[node]
        for eff in effects:
            if isinstance(eff, SendControl):
                self._send_control(node, eff.dst, eff.message)
            elif isinstance(eff, Reserve):
                self.sublinks.reserve(node, eff)
            elif isinstance(eff, Release):
                self.sublinks.release(node, eff.connection)
            elif isinstance(eff, Wake):
                cid, route = eff.connection, eff.route
                if route and self._flooding is not None:
                    self._wake_for_routes(node)  # its wait began: no message will end it
                self.scheduler.schedule(
                    eff.delay_ps,
                    lambda c=cid, r=route: self._control(  # type: ignore[misc]
                        node, mgr.on_wake(c, self.scheduler.now_ps, r)
                    ),
                )
            elif isinstance(eff, ConnectionEvent):
                if self.layering is not None and "no route to" in eff.detail:
                    why = self.layering.why_no_route()
                    if why:
                        eff = dataclasses.replace(eff, detail=f"{eff.detail}; {why}")
                events = self._events.get(eff.connection)
                if events is None:  # a connection across a network, for one above it
                    events = self.segments.setdefault(eff.connection, [])
                events.append(eff)
                if eff.kind == "up":
                    self.paths[eff.connection] = mgr.conns[eff.connection].path
            else:
                self.runtime.apply(node, [eff])

    def _send_control(self, src: str, dst: str, message: ControlMessage) -> None:
        if self._log_messages:
            kind = type(message).__name__
            cid = getattr(message, "connection", "")
            self.message_log.append((self.scheduler.now_ps, src, dst, kind, cid))
        if message.__class__ is LinkStateAdvertisement:
            self.scheduler.schedule(
                self._latency_ps(src, dst),
                lambda: self._flooded(src, dst, message),
                _FLOOD,
            )
            return
        mgr = self.managers[dst]

        def arrive() -> None:
            self._control(dst, mgr.on_message(src, message, self.scheduler.now_ps))

        self.scheduler.schedule(self._latency_ps(src, dst), arrive)

    def _flooded(self, src: str, node: str, lsa: LinkStateAdvertisement) -> None:
        """An advertisement reached ``node`` from ``src``: what ``on_message`` would do,
        without an effect object per message."""
        onward, effects = self.managers[node].on_flood(src, lsa, self.scheduler.now_ps)
        if onward:
            if self._log_messages or self.jitter:
                for neighbour in onward:
                    self._send_control(node, neighbour, lsa)
            else:  # _send_control inlined: a million of these set up a 1000-node chain
                known = self._latency_cache
                schedule = self.scheduler.schedule
                for neighbour in onward:
                    ps = known.get((node, neighbour))
                    if ps is None:
                        ps = self._latency_ps(node, neighbour)
                    schedule(ps, partial(self._flooded, node, neighbour, lsa), _FLOOD)
        if effects:
            self._control(node, effects)

    def _delivered(self, node: str, eff: PairDelivered) -> None:
        """A pair delivered at ``node``: to its application, the ledger and the manager."""
        req = self._requests[eff.connection]
        app = self._apps.get((eff.connection, node))
        hold = app is not None and app[1]
        if app is not None and not hold:
            app[0](eff)  # it measures at once, before the pair may be freed
        self.ledger.deliver(node, node == req.initiator, eff, self.scheduler.now_ps, hold)
        if app is not None and hold:
            app[0](eff)  # after the ledger knows the application holds it
        if node == req.initiator:
            self._initiator_delivered[eff.connection] = (
                self._initiator_delivered.get(eff.connection, 0) + 1
            )
        self._control(node, self.managers[node].on_delivered(eff.connection, eff.t_ps))

    # -- running ----------------------------------------------------------------------------------

    def run(self, duration_s: float) -> NetworkResult:
        """Run ``duration_s`` more simulated seconds; report every connection so far."""
        if not (duration_s > 0 and math.isfinite(duration_s)):
            raise ControlError(f"duration_s={duration_s!r} is invalid; expected a finite value > 0")
        wall = time.perf_counter()
        events = self.scheduler.events_processed
        self.scheduler.run(until_ps=self.scheduler.now_ps + s_to_ps(duration_s))
        return NetworkResult(
            self.reports(),
            self.scheduler.events_processed - events,
            time.perf_counter() - wall,
            duration_s,
        )

    def reports(self) -> dict[str, ConnectionReport]:
        """Every requested connection's report."""
        return connection_reports(self)

    # -- checks -----------------------------------------------------------------------------------

    def leaks(self, finished_by_ps: int | None = None) -> list[str]:
        """What finished connections left behind (empty when nothing leaked): installed
        RuleSets, held memories, qubits not FREE, ground-truth pairs still held.

        ``finished_by_ps`` looks only at connections that ended by then: a teardown still on
        its way along the path at the end of a run is no leak (run on a little, then ask)."""
        out = []
        by = self.now_ps if finished_by_ps is None else finished_by_ps
        finished = {
            cid
            for cid, evs in self._events.items()
            if any(e.kind in ("done", "failed") and e.t_ps <= by for e in evs)
        }
        # A connection across a network, ``c@border``, ends with the connection ``c`` it serves.
        for name, engine in self.engines.items():
            for cid in engine.connections():
                if cid.split("@")[0] in finished:
                    out.append(f"{name}: RuleSet of {cid} still installed")
        for name, mgr in self.managers.items():
            for cid in mgr.conns:
                if cid.split("@")[0] in finished:
                    out.append(f"{name}: connection {cid} still holds {mgr.conns[cid].holds}")
            owed: dict[str, int] = {}
            for conn in mgr.conns.values():
                for neighbour, m in [*conn.holds.items(), *conn.virtual.values()]:
                    owed[neighbour] = owed.get(neighbour, 0) + m
            if owed != mgr.held:
                out.append(f"{name}: holds {mgr.held} but its connections account for {owed}")
        below = {c for c in self.sublinks.connections() if c.split("@")[0] in finished}
        return out + self.sublinks.leaks(finished | below)


def _short(value: object) -> str:
    """``value`` for a message: its repr, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_accepted(name: str, request: ConnectionSetupRequest, answer: Accepted) -> None:
    """A plugin's ``Accepted`` must give each node on the path its RuleSet of this connection
    and reserve between 1 and the memories asked (``GeneratorError`` naming what is wrong)."""
    cid = request.connection
    path = [h.node for h in request.hops]
    problem = ""
    if sorted(answer.rulesets) != sorted(path):
        problem = f"RuleSets for {sorted(answer.rulesets)}, but the path is {path}"
    elif any(rs.connection != cid or rs.node != node for node, rs in answer.rulesets.items()):
        problem = "a RuleSet of another connection or node"
    elif not (isinstance(answer.memories, int) and 1 <= answer.memories <= request.memories):
        problem = f"memories={answer.memories!r}; expected 1 to {request.memories}"
    if problem:
        raise GeneratorError(f"generator {name!r} accepted with {problem} (connection {cid!r})")
