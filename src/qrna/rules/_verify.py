"""Static verification of one connection's RuleSets (spec §6: reasoning about RuleSets).

``verify`` checks:

- **stage exits**: every Stage has a rule that takes resources out of it (promote, purify,
  swap, discard, deliver, measure); otherwise resources entering it never leave;
- **discard timers against latencies**: a node that may discard a pair must wait longer than
  the one-way latency to the partner, or the partner's swap of that pair can still be in flight
  (the spec's race): the far end then holds half of a pair whose other half was reset; and
  longer than the partner's own timer for a pair the partner swaps, plus twice the latency
  (``discard_order``);
- **every message has a receiver**: a Swap or Purify names partners that run this
  connection, and a partner asked to purify has a Purify rule for the sender;
- **exhaustive exploration** (chains of up to 4 nodes, or whenever asked): every interleaving
  of herald arrivals and message deliveries is explored with the real ``RuleEngine`` on
  symbolic hardware, for the link pairs of one end-to-end pair (two where two or more nodes
  swap, which is what leapfrogging needs); every run must end with nothing left over and both
  ends delivering the same pairs. Leftovers reveal leapfrogging (A-B-C-D ending as A-C and
  B-D), resources with no exit, and messages no rule ever consumes. Heralds of one link reach
  each end in the order the pairs were made, and messages between two nodes arrive in the order
  sent (classical channels are ordered, as TCP is); everything else, across links, channels
  and nodes, is interleaved in every possible way.

Every violation carries a trace: the events that produce it.

Why the exploration is fast yet misses nothing. An event at node X pops the head of one of X's
queues (the heralds of one of its links, or the channel from one sender), changes X's engine
only, and appends to channels from X. So X's step depends on X's engine state and the item
alone: it is computed once and remembered, engine states told apart by everything the engine's
behaviour depends on (``_local_key``: states merged as seen are equal, not merely alike). And
events at different nodes commute: each stays enabled after the other, and both orders reach
one state (a push onto a channel's tail commutes with a pop of its non-empty head). The search
uses sleep sets (Godefroid 1996, ch. 5): once t has been explored from a state, t sleeps in the
later siblings' subtrees until an event of t's node, as there t leads only where the t-subtree
goes; a state reached again with fewer sleeping events explores those only its stored sleep set
skipped, and keeps the intersection. Sleep sets skip transitions, never states: every reachable
state is visited, so every end state is checked (a test compares the count with the plain
search), and a sleeping step was taken at an ancestor from the same engine state and queue
head, so an engine error in any reachable step is raised too. (Persistent sets, which skip
states, cut about 5 % here: any node may message any other until late in a run.)
"""

from __future__ import annotations

import copy
import itertools
import operator
from collections.abc import Mapping, Sequence
from typing import TypeVar

from qrna.link import PairName
from qrna.rules._effects import PairDelivered, Send
from qrna.rules._engine import RuleEngine
from qrna.rules._errors import RuleSetError
from qrna.rules._messages import Message
from qrna.rules._model import (
    Purify,
    RuleSet,
    Swap,
)
from qrna.rules._static import (
    Violation,
    discard_order,
    discard_races,
    receivers,
    stage_exits,
)

__all__ = ["Violation", "verify"]

_MAX_STATES = 1_000_000  # about 0.5 GB
_last_run: dict[str, int] = {}  # the last exploration's states and transitions, for bench/


def verify(
    rulesets: Sequence[RuleSet] | Mapping[str, RuleSet],
    latencies_s: Mapping[tuple[str, str], float] | None = None,
    chain: Sequence[str] | None = None,
    explore: bool | None = None,
    below: Sequence[Sequence[RuleSet] | Mapping[str, RuleSet]] = (),
) -> list[Violation]:
    """Check one connection's RuleSets; an empty list means none was found.

    A layer's RuleSets that hand their pairs to the layer above (``Deliver.to``, a network's
    virtual link) are checked as the connection they are on their own: a hand-over counts as
    a delivery (the layer above is the hand-over's application). With ``below``, the
    connections across networks that make the virtual links of ``rulesets`` (each handing
    its pairs to it), the static checks run on every layer and the exploration on the
    composed whole (spec §5: the rewritten RuleSets together): the lower layers' link pairs,
    their hand-overs both ends, and the connection above using what they hand up, every
    interleaving; every layer must end with nothing left over (no pair handed up at one end
    only, no notice of a hand-over waiting for its pair).

    Args:
        rulesets: one RuleSet per node.
        latencies_s: one-way classical latency between nodes, either order of the key; needed
            for the discard-timer check (skipped for pairs without one).
        chain: the nodes in chain order, for the exploration's link pairs (default: the order
            given, which ``chain_rulesets`` keeps; with ``below``, every layer's nodes in
            the order of the physical chain, which the default fills in from the layers).
        explore: run the exhaustive exploration (default: for up to 4 nodes of the chain).
        below: the layers below, one connection's RuleSets each, each between two
            consecutive nodes of a layer above (its virtual link).
    """
    by_node = dict(rulesets) if isinstance(rulesets, Mapping) else {r.node: r for r in rulesets}
    if not by_node:
        raise RuleSetError("verify needs at least one RuleSet")
    connections = {rs.connection for rs in by_node.values()}
    if len(connections) != 1:
        raise RuleSetError(f"verify takes one connection; got {sorted(connections)}")
    layers = [dict(x) if isinstance(x, Mapping) else {r.node: r for r in x} for x in below]
    out: list[Violation] = []
    for layer in [by_node, *layers]:
        names = {rs.connection for rs in layer.values()}
        if len(names) != 1:
            raise RuleSetError(f"each layer below is one connection; got {sorted(names)}")
        out += stage_exits(layer)
        out += receivers(layer)
        out += discard_races(layer, latencies_s or {})
        out += discard_order(layer, latencies_s or {})
    order = list(chain) if chain is not None else _chain(list(by_node), layers)
    if explore is None:
        explore = len(order) <= 4
    if explore and not any(v.kind == "no-receiver" for v in out):
        if not layers:  # a layer alone: what it hands up is its delivery
            by_node = {n: rs.delivering_to(None) for n, rs in by_node.items()}
        out += _explore(by_node, order, layers=layers)
    return out


def _chain(order: list[str], layers: Sequence[Mapping[str, RuleSet]]) -> list[str]:
    """The physical chain: ``order`` with each layer below's interior put between its two
    ends (recursively, for a layer below a layer below)."""
    out = [order[0]]
    for a, b in itertools.pairwise(order):
        stretch = next((list(x) for x in layers if {next(iter(x)), list(x)[-1]} == {a, b}), None)
        if stretch is not None:
            inner = _chain(stretch, [x for x in layers if list(x) != stretch])
            out += (inner if inner[0] == a else inner[::-1])[1:]
        else:
            out.append(b)
    return out


# -- exhaustive exploration -----------------------------------------------------------------


class _SymbolicHardware:
    """Operations that always succeed; qubits are names only."""

    def swap(self, q1: tuple[str, int], q2: tuple[str, int]) -> tuple[tuple[int, int], str] | None:
        return (0, 0), "I"

    def purify_first(
        self, qubits: list[tuple[str, int]], scheme: str, twirl: bool
    ) -> tuple[int, ...]:
        return (0,) * (len(qubits) - 1)

    def purify_second(
        self, qubits: list[tuple[str, int]], scheme: str, twirl: bool
    ) -> tuple[tuple[int, ...], bool]:
        return (0,) * (len(qubits) - 1), True

    def measure(self, qubit: tuple[str, int], basis: str) -> tuple[str, int]:
        return ("Z" if basis == "random" else basis), 0

    def hand_over(self, qubit: tuple[str, int], to: str, partner: str) -> tuple[str, int] | None:
        return qubit


# A resource's stage and partner are the ``by_key`` bucket it sits in.
_RESOURCE_KEY = operator.attrgetter(
    "name", "qubit", "since_ps", "fidelity", "busy", "record", "link_pair"
)


def _local_key(engine: RuleEngine, connection: str) -> tuple[object, ...]:
    """Everything an engine's future behaviour depends on: engines with equal keys answer
    every event alike. Orders the engine only looks things up in are sorted away; the orders it
    acts on (a Stage's resources, oldest first; requests; messages waiting for a pair) are
    kept. ``by_name`` is ``by_key``'s contents. A Stage's order across its buckets
    (``by_stage``) is acted on only by Stage-wide discards; the exploration runs at t = 0,
    where no resource is of age, so it is kept only for those a positive age does not hold
    back. Which rules are woken, and when buckets come of age, decide only which rules are
    tried, never which fire."""
    conn = engine._conns[connection]
    stage_order = (
        tuple((stage, tuple(held)) for stage, held in sorted(conn.by_stage.items()) if held)
        if conn.plan.discards_at_once
        else ()
    )
    return (
        stage_order,
        engine.now_ps,
        engine._last_stamp,
        tuple((where, tuple(map(_RESOURCE_KEY, rs))) for where, rs in sorted(conn.by_key.items())),
        tuple(sorted((name, tuple(ms)) for name, ms in conn.waiting.items())),
        tuple(sorted(conn.cleared)),
        tuple((name, _RESOURCE_KEY(r)) for name, r in sorted(conn.pending.items())),
        tuple(sorted(conn.purifications.items())),
        tuple(conn.requests.items()),
        tuple(tuple(sorted(v.items())) for v in conn.variables),
        tuple(sorted(conn.timers.items())),
    )


_K = TypeVar("_K")
_V = TypeVar("_V")

# One id per node, its local state; then one per queue, its contents (``_Network.contents``:
# the ids of its items, head first, indexing ``herald_items`` or ``messages``; 0 is empty).
_State = tuple[int, ...]


class _Network:
    """The explored system. Transition ``q`` pops the head of queue ``q`` at its consumer
    node: herald queues (node, link) first, then channels (src, dst). A node's step depends
    only on its local state and the item, so it is computed once and remembered."""

    def __init__(
        self,
        connection: str,
        by_node: Mapping[str, Sequence[RuleSet]],
        heralds: Mapping[tuple[str, int], list[tuple[PairName, str, str]]],
    ) -> None:
        self.connection = connection  # the one that delivers (the others hand up)
        self.nodes = list(by_node)
        index = {node: i for i, node in enumerate(self.nodes)}
        self.channels = [(s, d) for s in self.nodes for d in self.nodes if s != d]
        self.herald_items = [item for _, items in sorted(heralds.items()) for item in items]
        self.n_heralds = len(heralds)
        self.consumer = [index[node] for node, _ in sorted(heralds)]
        self.consumer += [index[d] for _, d in self.channels]
        self.node_queues = [0] * len(self.nodes)  # bitmask of the queues each node pops
        for q, x in enumerate(self.consumer):
            self.node_queues[x] |= 1 << q
        self._channel = {c: self.n_heralds + i for i, c in enumerate(self.channels)}
        self._steps: dict[tuple[int, int, int], tuple[int, tuple[tuple[int, int], ...]]] = {}
        # Interned by id: messages, queue contents, and local states: an engine (never changed
        # once stored) with the pairs it delivered (sorted: only the set is checked).
        self.messages: list[Message] = []
        self._message_ids: dict[Message, int] = {}
        self.contents: list[tuple[int, ...]] = [()]
        self._content_ids: dict[tuple[int, ...], int] = {(): 0}
        self.locals: list[tuple[RuleEngine, tuple[tuple[PairName, str], ...]]] = []
        self._local_ids: dict[object, int] = {}
        engines = []
        for node, rulesets in by_node.items():
            engine = RuleEngine(node, _SymbolicHardware())
            for rs in rulesets:
                engine.install(rs)
            engines.append(self._local(engine, ()))
        sizes = [len(items) for _, items in sorted(heralds.items())]
        queues = [tuple(range(sum(sizes[:i]), sum(sizes[: i + 1]))) for i in range(len(sizes))]
        self.start = (*engines, *map(self._queue, queues), *[0] * len(self.channels))

    def fire(self, state: _State, enabled: int, q: int) -> tuple[_State, int]:
        """The state after transition ``q`` (in ``enabled``, the bitmask of the transitions
        enabled in ``state``: its non-empty queues), and the transitions enabled then."""
        x, slot = self.consumer[q], len(self.nodes) + q
        items = self.contents[state[slot]]
        step = (state[x], q, items[0])
        local, sends = self._steps.get(step) or self._step(x, *step)
        after = list(state)
        after[x] = local
        after[slot] = self._queue(items[1:])
        if len(items) == 1:
            enabled &= ~(1 << q)
        for channel, message in sends:
            slot = len(self.nodes) + channel
            after[slot] = self._queue((*self.contents[after[slot]], message))
            enabled |= 1 << channel
        return tuple(after), enabled

    def describe(self, state: _State, q: int) -> str:
        """Transition ``q`` from ``state``, for a trace."""
        node = self.nodes[self.consumer[q]]
        item = self.contents[state[len(self.nodes) + q]][0]
        if q < self.n_heralds:
            name, partner, connection = self.herald_items[item]
            of = "" if connection == self.connection else f" of {connection}"
            return f"herald of link pair {name}{of} reaches {node} (partner {partner})"
        src, message = self.channels[q - self.n_heralds][0], self.messages[item]
        return f"{type(message).__name__} from {src} reaches {node}: {_describe(message)}"

    def _step(
        self, x: int, local: int, q: int, item: int
    ) -> tuple[int, tuple[tuple[int, int], ...]]:
        """Node ``x`` in local state ``local`` pops ``item`` from queue ``q``: its new local
        state and the (channel, message) pairs it sends, in order; remembered in ``_steps``."""
        node, (engine, delivered) = self.nodes[x], self.locals[local]
        engine = copy.deepcopy(engine)
        if q < self.n_heralds:
            name, partner, connection = self.herald_items[item]
            qubit = (f"{node}/{name.creator}", name.t_ps)
            effects = engine.assign(connection, name, qubit, partner, 0)
        else:
            src = self.channels[q - self.n_heralds][0]
            effects = engine.on_message(src, self.messages[item], 0)
        sends = []
        for eff in effects:
            if isinstance(eff, Send):
                message = _id(self._message_ids, self.messages, eff.message, eff.message)
                sends.append((self._channel[(node, eff.dst)], message))
            elif isinstance(eff, PairDelivered):
                delivered = tuple(sorted((*delivered, (eff.name, eff.partner))))
            # FreeQubit, SetTimer, MeasurementDone: timers are the static check's business;
            # frees and records end a path.
        done = self._local(engine, delivered), tuple(sends)
        self._steps[(local, q, item)] = done
        return done

    def _queue(self, items: tuple[int, ...]) -> int:
        return _id(self._content_ids, self.contents, items, items)

    def _local(self, engine: RuleEngine, delivered: tuple[tuple[PairName, str], ...]) -> int:
        state = tuple(_local_key(engine, c) for c in sorted(engine._conns))
        key = (engine.node, state, delivered)
        return _id(self._local_ids, self.locals, key, (engine, delivered))


def _id(ids: dict[_K, int], values: list[_V], key: _K, value: _V) -> int:
    """The id of ``key``; a new key gets the next one, and ``value`` is stored under it."""
    found = ids.setdefault(key, len(values))
    if found == len(values):
        values.append(value)
    return found


def _pairs_per_link(rs: RuleSet, neighbour: str) -> int:
    """Pairs with ``neighbour`` one pair leaving the RuleSet takes: a recurrence round
    multiplies the pairs its Stage's resource took by its scheme's pairs; a pumping round
    adds, per sacrificed pair, what a resource of the Stage it pumps from took."""
    took = 1
    per_stage = []
    for stage in rs.stages:
        per_stage.append(took)
        for rule in stage.rules:
            a = rule.action
            if isinstance(a, Purify) and a.partner == neighbour:
                if a.pump_from is None:
                    took *= a.pairs
                else:
                    took += (a.pairs - 1) * per_stage[a.pump_from]
                break  # one purification per partner and Stage: the pair takes one path
    return took


def _spans(by_node: Mapping[str, RuleSet], order: Sequence[str]) -> list[int]:
    """Per link of ``order`` (one connection's path), how many end-to-end pairs' worth of
    it one end-to-end pair takes: purification between non-neighbours (end to end, or of a
    segment at a swap level) multiplies the link pairs each link it spans must supply,
    level upon level, by the product over every purifying pair of nodes that spans it.
    Supplying more on one link than the others can use would leave pairs behind."""
    position = {node: k for k, node in enumerate(order)}
    spans = [1] * max(len(order) - 1, 0)
    for a, b in itertools.combinations(order, 2):
        i, j = sorted((position[a], position[b]))
        if j - i >= 2:
            rounds = max(_pairs_per_link(by_node[a], b), _pairs_per_link(by_node[b], a))
            for k in range(i, j):
                spans[k] *= rounds
    return spans


def _link_pairs(by_node: Mapping[str, RuleSet], order: Sequence[str]) -> list[int]:
    """Per link of ``order``, the link pairs one end-to-end pair takes of it: its span
    (``_spans``) times what the link's own purification takes."""
    return [
        span * max(_pairs_per_link(by_node[a], b), _pairs_per_link(by_node[b], a))
        for span, (a, b) in zip(_spans(by_node, order), itertools.pairwise(order), strict=True)
    ]


def _explore(
    by_node: Mapping[str, RuleSet],
    order: Sequence[str],
    sleep_sets: bool = True,
    layers: Sequence[Mapping[str, RuleSet]] = (),
) -> list[Violation]:
    """Run every interleaving to its end; the violations of the first bad end found.
    ``by_node`` runs on ``order``'s nodes with the ``layers`` below making its virtual links
    (``verify``).

    ``sleep_sets=False`` is the plain search the reduction must agree with (tests compare).
    """
    swappers = sum(
        any(isinstance(r.action, Swap) for st in rs.stages for r in st.rules)
        for rs in by_node.values()
    )
    top_order = [n for n in order if n in by_node]
    # Two upper-level pairs already give a second swap a choice, as two copies would.
    copies = 2 if swappers >= 2 and max(_spans(by_node, top_order), default=1) == 1 else 1
    position = {node: k for k, node in enumerate(order)}
    running: dict[str, list[RuleSet]] = {node: [] for node in order}
    heralds: dict[tuple[str, int], list[tuple[PairName, str, str]]] = {}

    def supply(rulesets: Mapping[str, RuleSet], path: Sequence[str], pairs: int) -> None:
        for node, rs in rulesets.items():
            running[node].append(rs)
        cid = next(iter(rulesets.values())).connection
        for (a, b), k in zip(itertools.pairwise(path), _link_pairs(rulesets, path), strict=True):
            stretch = next((x for x in layers if {next(iter(x)), list(x)[-1]} == {a, b}), None)
            if stretch is not None:  # a virtual link: the layer below makes its pairs
                supply(stretch, sorted(stretch, key=position.__getitem__), pairs * k)
                continue
            i = min(position[a], position[b])
            if abs(position[a] - position[b]) != 1:
                raise RuleSetError(
                    f"{cid}: {a!r} and {b!r} are not neighbours on the chain {list(order)} "
                    "and no layer below joins them"
                )
            names = [PairName(f"link{i}", j) for j in range(pairs * k)]
            heralds[(a, i)] = [(n, b, cid) for n in names]
            heralds[(b, i)] = [(n, a, cid) for n in names]

    supply(by_node, top_order, copies)
    connection = next(iter(by_node.values())).connection
    net = _Network(connection, {n: rs for n, rs in running.items() if rs}, heralds)
    # Depth-first, with sleep sets (see the module docstring). Each stacked entry carries the
    # state it was reached from and by which transition: ``path`` holds those of the current
    # state's ancestors (the root's first, a dummy), for the trace.
    visited: dict[_State, int] = {}  # state -> its sleep set, a bitmask of transitions
    start_enabled = sum(1 << q for q, c in enumerate(net.start[len(net.nodes) :]) if c)
    stack = [(net.start, start_enabled, 0, 0, net.start, -1)]
    path: list[tuple[_State, int]] = []
    transitions = 0
    found: list[Violation] = []
    while stack and not found:
        state, enabled, sleep, depth, before, q = stack.pop()
        del path[depth:]
        path.append((before, q))
        stored = visited.get(state)
        if stored is None:
            if len(visited) >= _MAX_STATES:
                raise RuleSetError(
                    f"exploration passed {_MAX_STATES} states; explore a shorter chain or "
                    "fewer purification rounds"
                )
            visited[state] = sleep
            if not enabled:
                found = _check_end(net, state, [net.describe(s, t) for s, t in path[1:]])
            todo = enabled & ~sleep
        else:
            # Reached again: what the stored sleep set skipped but this path's does not is due
            # now (Godefroid's fix for caching), and what both skip stays asleep.
            todo = stored & ~sleep
            sleep &= stored
            visited[state] = sleep
        while todo:
            t = (todo & -todo).bit_length() - 1
            todo &= todo - 1
            transitions += 1
            after, after_enabled = net.fire(state, enabled, t)
            # Transitions of other nodes commute with t: asleep here, asleep after t.
            asleep = sleep & ~net.node_queues[net.consumer[t]]
            stack.append((after, after_enabled, asleep, depth + 1, state, t))
            if sleep_sets:
                sleep |= 1 << t
    _last_run.update(states=len(visited), transitions=transitions)
    return found


def _describe(message: Message) -> str:
    fields = {k: getattr(message, k) for k in message.__slots__ if k != "connection"}
    return ", ".join(f"{k}={v}" for k, v in fields.items())


def _check_end(net: _Network, state: _State, trace: list[str]) -> list[Violation]:
    """The first problem of an end state (every queue empty), with the trace that reached it."""
    found = []
    delivered = {}
    for node, i in sorted(zip(net.nodes, state[: len(net.nodes)], strict=True)):
        engine, pairs = net.locals[i]
        for cid, conn in sorted(engine._conns.items()):
            of = "" if cid == net.connection else f" of {cid}"
            found += [
                (
                    "leftover",
                    node,
                    f"a resource{of} named {res.name} with partner {res.partner!r} is left in "
                    f"Stage {res.stage}: no rule takes it out (leapfrogging, a Stage without an "
                    "exit for that partner, or a missing transfer)",
                )
                for res in conn.by_name.values()
            ]
            found += [
                (
                    "leftover",
                    node,
                    f"a pair{of} named {name} was handed up here, but its other end never "
                    "said it handed its half up too",
                )
                for name in conn.pending
            ]
            found += [
                (
                    "no-receiver",
                    node,
                    f"{len(ms)} message(s){of} about {name} never found their pair",
                )
                for name, ms in conn.waiting.items()
            ]
            found += [
                ("no-receiver", node, f"notice{of}: {name} handed up, never found here")
                for name in conn.cleared
            ]
        if pairs:
            delivered[node] = sorted(str(name) for name, _ in pairs)
    ends = sorted(delivered)
    if len(ends) == 2 and delivered[ends[0]] != delivered[ends[1]]:
        a, b = ends
        found.append(
            ("mismatch", a, f"{a} delivered {delivered[a]} but {b} delivered {delivered[b]}")
        )
    elif len(ends) > 2:
        found.append(("mismatch", ends[0], f"nodes {ends} all delivered pairs"))
    return [Violation(*found[0], tuple(trace))] if found else []
