"""Static verification of one connection's RuleSets (spec §6: reasoning about RuleSets).

``verify`` checks:

- **stage exits**: every Stage has a rule that takes resources out of it (promote, purify,
  swap, discard, deliver, measure); otherwise resources entering it never leave;
- **discard timers against latencies**: a node that may discard a pair must wait longer than
  the one-way latency to the partner, or the partner's swap of that pair can still be in flight
  (the spec's race): the far end then holds half of a pair whose other half was reset;
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
  and nodes, is interleaved in every possible way, with states already seen pruned.

Every violation carries a trace: the events that produce it.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from qrna.link import PairName
from qrna.rules._effects import (
    EngineEffect,
    FreeQubit,
    MeasurementDone,
    PairDelivered,
    Send,
    SetTimer,
)
from qrna.rules._engine import RuleEngine
from qrna.rules._errors import RuleSetError
from qrna.rules._messages import Message
from qrna.rules._model import (
    Deliver,
    Discard,
    Measure,
    Promote,
    Purify,
    ResourceOlderThan,
    RuleSet,
    Swap,
)

__all__ = ["Violation", "verify"]

_EXITS = (Promote, Purify, Swap, Discard, Deliver, Measure)
_MAX_STATES = 200_000


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem found, with the trace of events that produces it."""

    kind: str  # "no-exit", "discard-race", "no-receiver", "leftover", "mismatch"
    node: str
    message: str
    trace: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"[{self.kind}] {self.node}: {self.message}"]
        lines += [f"    {i + 1}. {step}" for i, step in enumerate(self.trace)]
        return "\n".join(lines)


def verify(
    rulesets: Sequence[RuleSet] | Mapping[str, RuleSet],
    latencies_s: Mapping[tuple[str, str], float] | None = None,
    chain: Sequence[str] | None = None,
    explore: bool | None = None,
) -> list[Violation]:
    """Check one connection's RuleSets; an empty list means none was found.

    Args:
        rulesets: one RuleSet per node.
        latencies_s: one-way classical latency between nodes, either order of the key; needed
            for the discard-timer check (skipped for pairs without one).
        chain: the nodes in chain order, for the exploration's link pairs (default: the order
            given, which ``chain_rulesets`` keeps).
        explore: run the exhaustive exploration (default: for up to 4 nodes).
    """
    by_node = dict(rulesets) if isinstance(rulesets, Mapping) else {r.node: r for r in rulesets}
    if not by_node:
        raise RuleSetError("verify needs at least one RuleSet")
    connections = {rs.connection for rs in by_node.values()}
    if len(connections) != 1:
        raise RuleSetError(f"verify takes one connection; got {sorted(connections)}")
    order = list(chain) if chain is not None else list(by_node)
    out: list[Violation] = []
    out += _stage_exits(by_node)
    out += _receivers(by_node)
    out += _discard_races(by_node, latencies_s or {})
    if explore is None:
        explore = len(order) <= 4
    if explore and not any(v.kind == "no-receiver" for v in out):
        out += _explore(by_node, order)
    return out


# -- static checks --------------------------------------------------------------------------


def _stage_exits(by_node: Mapping[str, RuleSet]) -> list[Violation]:
    out = []
    for node, rs in by_node.items():
        for i, stage in enumerate(rs.stages):
            if not any(isinstance(rule.action, _EXITS) for rule in stage.rules):
                entry = "assigned link-level pairs" if i == 0 else f"promotions from Stage {i - 1}"
                out.append(
                    Violation(
                        "no-exit",
                        node,
                        f"Stage {i} has no rule that takes a resource out of it",
                        (
                            f"a resource enters Stage {i} at {node} ({entry})",
                            f"no rule of Stage {i} promotes, purifies, swaps, discards, "
                            "delivers or measures it: it is held forever",
                        ),
                    )
                )
    return out


def _receivers(by_node: Mapping[str, RuleSet]) -> list[Violation]:
    out = []
    for node, rs in by_node.items():
        for i, stage in enumerate(rs.stages):
            for rule in stage.rules:
                action = rule.action
                targets = (
                    (action.left, action.right)
                    if isinstance(action, Swap)
                    else (action.partner,)
                    if isinstance(action, Purify | Discard)
                    else ()
                )
                for target in targets:
                    if target not in by_node:
                        out.append(
                            Violation(
                                "no-receiver",
                                node,
                                f"rule {rule.name!r} (Stage {i}) sends to {target!r}, which "
                                "runs no RuleSet of this connection",
                                (
                                    f"{node} fires {rule.name!r}",
                                    f"its message to {target} finds no RuleSet to receive it",
                                ),
                            )
                        )
                if isinstance(action, Purify) and action.partner in by_node:
                    theirs = [
                        r
                        for st in by_node[action.partner].stages
                        for r in st.rules
                        if isinstance(r.action, Purify)
                        and r.action.partner == node
                        and r.action.scheme == action.scheme
                    ]
                    if not theirs:
                        out.append(
                            Violation(
                                "no-receiver",
                                node,
                                f"rule {rule.name!r} purifies with {action.partner!r} by "
                                f"{action.scheme!r}, but {action.partner!r} has no Purify rule for "
                                f"{node!r} with that scheme",
                                (
                                    f"{min(node, action.partner)} leads the purification and sends "
                                    "its bits",
                                    f"{max(node, action.partner)} has no rule to answer",
                                ),
                            )
                        )
    return out


def _discard_races(
    by_node: Mapping[str, RuleSet], latencies: Mapping[tuple[str, str], float]
) -> list[Violation]:
    out = []
    for node, rs in by_node.items():
        for i, stage in enumerate(rs.stages):
            for rule in stage.rules:
                for clause in rule.condition:
                    if not isinstance(clause, ResourceOlderThan):
                        continue
                    partner = clause.partner
                    latency = latencies.get((node, partner), latencies.get((partner, node)))
                    if latency is None or clause.seconds > latency:
                        continue
                    out.append(
                        Violation(
                            "discard-race",
                            node,
                            f"rule {rule.name!r} (Stage {i}) discards a pair with {partner!r} "
                            f"after {clause.seconds:g} s, not more than the one-way latency "
                            f"{latency:g} s to it",
                            (
                                f"t = 0: a pair P of {node} and {partner} is heralded at both",
                                f"t = 0+: {partner} uses P (a swap), its result leaves for {node}",
                                f"t = {clause.seconds:g} s: {node}'s timer fires, it discards P "
                                "and resets its qubit",
                                f"t = {latency:g} s: the swap result reaches {node} too late: the "
                                "new pair's far end holds half of a pair whose other half is gone",
                            ),
                        )
                    )
    return out


# -- exhaustive exploration -----------------------------------------------------------------


class _SymbolicHardware:
    """Operations that always succeed; qubits are names only."""

    def swap(self, q1: tuple[str, int], q2: tuple[str, int]) -> tuple[tuple[int, int], str]:
        return (0, 0), "I"

    def purify_first(self, qubits: list[tuple[str, int]], scheme: str) -> tuple[int, ...]:
        return (0,) * (len(qubits) - 1)

    def purify_second(
        self, qubits: list[tuple[str, int]], scheme: str
    ) -> tuple[tuple[int, ...], bool]:
        return (0,) * (len(qubits) - 1), True

    def measure(self, qubit: tuple[str, int], basis: str) -> tuple[str, int]:
        return ("Z" if basis == "random" else basis), 0


@dataclass
class _World:
    engines: dict[str, RuleEngine]
    # FIFO queues: messages per (src, dst) channel; heralds per (node, link).
    channels: dict[tuple[str, str], list[Message]] = field(default_factory=dict)
    heralds: dict[tuple[str, int], list[tuple[PairName, str]]] = field(default_factory=dict)
    delivered: dict[str, list[tuple[PairName, str]]] = field(default_factory=dict)
    trace: list[str] = field(default_factory=list)

    def key(self) -> str:
        parts = []
        for node in sorted(self.engines):
            for _, conn in sorted(self.engines[node]._conns.items()):
                res = sorted(
                    (str(r.name), r.partner, r.stage, r.busy) for r in conn.by_name.values()
                )
                parts.append(
                    f"{node}:{res}:{sorted(map(str, conn.waiting))}:"
                    f"{sorted(map(str, conn.purifications))}:"
                    f"{sorted(map(str, conn.requests))}:{conn.variables}"
                )
        parts.append(repr(sorted((k, v) for k, v in self.channels.items() if v)))
        parts.append(repr(sorted((k, v) for k, v in self.heralds.items() if v)))
        parts.append(repr(sorted((k, sorted(map(str, v))) for k, v in self.delivered.items())))
        return "|".join(parts)


def _pairs_per_link(rs: RuleSet, neighbour: str) -> int:
    """Link pairs one end-to-end pair needs on a link: each purification round multiplies."""
    need = 1
    for stage in rs.stages:
        for rule in stage.rules:
            if isinstance(rule.action, Purify) and rule.action.partner == neighbour:
                need *= rule.action.pairs
    return need


def _apply(world: _World, node: str, effects: list[EngineEffect]) -> None:
    for eff in effects:
        if isinstance(eff, Send):
            world.channels.setdefault((node, eff.dst), []).append(eff.message)
        elif isinstance(eff, PairDelivered):
            world.delivered.setdefault(node, []).append((eff.name, eff.partner))
        elif isinstance(eff, FreeQubit | SetTimer | MeasurementDone):
            pass  # timers are the static check's business; frees and records end a path


def _explore(by_node: Mapping[str, RuleSet], order: Sequence[str]) -> list[Violation]:
    connection = next(iter(by_node.values())).connection
    engines = {}
    for node, rs in by_node.items():
        engine = RuleEngine(node, _SymbolicHardware())
        engine.install(rs)
        engines[node] = engine
    world = _World(engines)
    swappers = sum(
        any(isinstance(r.action, Swap) for st in rs.stages for r in st.rules)
        for rs in by_node.values()
    )
    copies = 2 if swappers >= 2 else 1
    # Purification between non-neighbours (end to end, or at a swap level) multiplies the
    # link pairs every link must supply.
    adjacent = {frozenset(p) for p in itertools.pairwise(order)}
    upper = (
        max(
            _pairs_per_link(rs, other)
            for node, rs in by_node.items()
            for other in by_node
            if other != node and frozenset((node, other)) not in adjacent
        )
        if len(order) > 2
        else 1
    )
    for i, (a, b) in enumerate(itertools.pairwise(order)):
        # Two upper-level pairs already give a second swap a choice, as ``copies`` would.
        link = max(_pairs_per_link(by_node[a], b), _pairs_per_link(by_node[b], a))
        need = max(copies, upper) * link
        names = [PairName(f"link{i}", k) for k in range(need)]
        world.heralds[(a, i)] = [(n, b) for n in names]
        world.heralds[(b, i)] = [(n, a) for n in names]
    seen: set[str] = set()
    found: list[Violation] = []
    stack = [world]
    while stack and not found:
        w = stack.pop()
        key = w.key()
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > _MAX_STATES:
            raise RuleSetError(
                f"exploration passed {_MAX_STATES} states; explore a shorter chain or fewer "
                "purification rounds"
            )
        herald_keys = [k for k, q in sorted(w.heralds.items()) if q]
        channel_keys = [k for k, q in sorted(w.channels.items()) if q]
        if not herald_keys and not channel_keys:
            found += _check_end(w, connection)
            continue
        for hk in herald_keys:
            nxt = copy.deepcopy(w)
            node = hk[0]
            name, partner = nxt.heralds[hk].pop(0)
            nxt.trace.append(f"herald of link pair {name} reaches {node} (partner {partner})")
            qubit = (f"{node}/q", len(nxt.trace))
            _apply(nxt, node, nxt.engines[node].assign(connection, name, qubit, partner, 0))
            stack.append(nxt)
        for ck in channel_keys:
            nxt = copy.deepcopy(w)
            src, dst = ck
            message = nxt.channels[ck].pop(0)
            nxt.trace.append(
                f"{type(message).__name__} from {src} reaches {dst}: {_describe(message)}"
            )
            _apply(nxt, dst, nxt.engines[dst].on_message(src, message, 0))
            stack.append(nxt)
    return found


def _describe(message: Message) -> str:
    fields = {k: getattr(message, k) for k in message.__slots__ if k != "connection"}
    return ", ".join(f"{k}={v}" for k, v in fields.items())


def _check_end(w: _World, connection: str) -> list[Violation]:
    out = []
    for node, engine in sorted(w.engines.items()):
        conn = engine._conns[connection]
        for res in conn.by_name.values():
            out.append(
                Violation(
                    "leftover",
                    node,
                    f"a resource named {res.name} with partner {res.partner!r} is left in Stage "
                    f"{res.stage}: no rule takes it out (leapfrogging, a Stage without an exit for "
                    "that partner, or a missing transfer)",
                    tuple(w.trace),
                )
            )
        for name, messages in conn.waiting.items():
            out.append(
                Violation(
                    "no-receiver",
                    node,
                    f"{len(messages)} message(s) about {name} never found their pair",
                    tuple(w.trace),
                )
            )
    ends = sorted(w.delivered)
    if len(ends) == 2:
        a, b = ends
        names_a = sorted(str(n) for n, _ in w.delivered[a])
        names_b = sorted(str(n) for n, _ in w.delivered[b])
        if names_a != names_b:
            out.append(
                Violation(
                    "mismatch",
                    a,
                    f"{a} delivered {names_a} but {b} delivered {names_b}",
                    tuple(w.trace),
                )
            )
    elif len(ends) > 2:
        out.append(
            Violation("mismatch", ends[0], f"nodes {ends} all delivered pairs", tuple(w.trace))
        )
    return out[:1] if out else []
