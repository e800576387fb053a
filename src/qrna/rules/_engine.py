"""The rule engine: one node's software for its connections, sans-IO (DESIGN.md).

Events in (a resource assigned to a connection, a message, a timer), effects out (send, set a
timer, free a qubit, deliver a pair, report a measurement). Local quantum operations go through
the injected ``EngineHardware``, which answers synchronously as QNIC firmware would; the engine
never sees a true state.

Resources sit in Stages, indexed by (Stage, partner) so that a rule's condition is matched
without scanning every qubit. They leave a Stage only by promotion, delivery or being freed.
Messages are matched to resources by pair name; a message about a pair not held yet waits
for it (it overtook its herald or transfer).

A MEAS node holds no qubits: its resources are the records of photons it measured on arrival
(``assign_record``). When a swap's Pauli frame reaches such a record, the node corrects the
recorded bit (it flips when the frame anticommutes with the basis); a record can be delivered
or measured (reported), never swapped or purified.

Purification is led by the end whose address sorts first: it chooses the pairs (its oldest
eligible ones), acts, and sends their names and its bits; the other end acts on the same names
when it holds them all in the purifying Stage, and answers with its bits. Both keep the pair,
promoted to the next Stage, when the bits agree, and free everything otherwise.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from qrna.hardware import Qubit
from qrna.kernel import s_to_ps
from qrna.link import PairName
from qrna.physics import frame_flips
from qrna.rules._effects import (
    EngineEffect,
    EngineHardware,
    FreeQubit,
    MeasurementDone,
    PairDelivered,
    Send,
    SetTimer,
    purified_fidelity,
    werner_swap_fidelity,
)
from qrna.rules._errors import RuleSetError
from qrna.rules._messages import (
    FreeResource,
    HandedOver,
    Message,
    PurificationResult,
    SwapResult,
)
from qrna.rules._model import (
    ANY_PARTNER,
    Deliver,
    Discard,
    EnoughResources,
    Increment,
    Measure,
    Promote,
    Purify,
    ResourceOlderThan,
    Rule,
    RuleSet,
    Swap,
)
from qrna.rules._plan import _Key, _Plan

__all__ = ["RuleEngine"]


_MAX_FIRINGS = 100_000  # per event: a RuleSet that fires more has a rule that never settles
_LIMIT_PS: dict[float, int] = {}  # discard-timer seconds -> ps (a pure function, memoised)


@dataclass
class _Resource:
    name: PairName
    qubit: Qubit | None  # None: a MEAS node's record
    partner: str
    stage: int
    since_ps: int
    fidelity: float  # this node's estimate (link monitoring, then swap and purification math)
    busy: bool = False
    record: tuple[str, int] | None = None  # (basis, bit) read on arrival, Pauli-corrected
    # The link-level pair it entered as (set on entry; a hand-over to the layer above keeps
    # it, so that a MEAS node's record is still found by the link pair it was read from).
    link_pair: PairName | None = None

    def __deepcopy__(self, memo: dict[int, object]) -> _Resource:
        return _copied(self, memo)  # type: ignore[no-any-return]


def _copied(obj: Any, memo: dict[int, object]) -> Any:
    """A deep copy of a dataclass, made through its constructor: a class compiled by mypyc
    (``tools/compile.py``) cannot be copied the default way, which makes the instance without
    calling ``__init__``. The verifier copies engines (``qrna.rules.verify``)."""
    fields = dataclasses.fields(obj)
    return type(obj)(**{f.name: copy.deepcopy(getattr(obj, f.name), memo) for f in fields})


def _held(conn: _Connection, stage: int, partner: str) -> Iterable[_Resource]:
    """The bucket's resources (the Stage's, for ``ANY_PARTNER``), in the order they entered."""
    if partner == ANY_PARTNER:
        return conn.by_stage.get(stage, {}).values()
    return conn.by_key.get((stage, partner), ())


def _freed(res: _Resource) -> list[EngineEffect]:
    return [] if res.qubit is None else [FreeQubit(res.qubit)]


_COUNTS = ("swaps", "swaps_failed", "purifications", "purifications_failed")


@dataclass
class _Connection:
    ruleset: RuleSet
    plan: _Plan
    variables: list[dict[str, int]]
    by_name: dict[PairName, _Resource] = field(default_factory=dict)
    by_key: dict[_Key, list[_Resource]] = field(default_factory=dict)
    # Each Stage's resources in the order they entered it (oldest first), for Stage-wide
    # discards; a dict keeps that order and removes in O(1).
    by_stage: dict[int, dict[PairName, _Resource]] = field(default_factory=dict)
    waiting: dict[PairName, list[Message]] = field(default_factory=dict)
    # Pairs the partner first by address handed up, which this end hands up too (HandedOver).
    cleared: set[PairName] = field(default_factory=set)
    # Pairs a layer below handed up here, the end first by address, whose other end has not
    # said it handed its half up too (HandedOver.reply): in this RuleSet's memories, not yet
    # in its Stages.
    pending: dict[PairName, _Resource] = field(default_factory=dict)
    # Purifications this node began, awaiting the partner's bits (with the Stage the kept
    # pair goes to); and the partner's requests this node will act second on once it holds
    # the named pairs.
    purifications: dict[tuple[PairName, ...], tuple[PurificationResult, int]] = field(
        default_factory=dict
    )
    requests: dict[tuple[PairName, ...], PurificationResult] = field(default_factory=dict)
    # (Stage, partner) -> when its pending discard timer fires: one timer per bucket, for its
    # oldest resource, re-armed for the next when it fires (not one event per resource).
    timers: dict[_Key, int] = field(default_factory=dict)
    # Rules to try: a heap of rule indices, those woken behind the current pass's position
    # (tried in the next pass, as a scan of every rule would), and the set of both.
    woken: list[int] = field(default_factory=list)
    behind: list[int] = field(default_factory=list)
    queued: set[int] = field(default_factory=set)
    position: int = 0
    # When a bucket's oldest idle resource comes of age for an age clause: (ps, bucket), lazy
    # (an entry may be stale; popping it only wakes rules to be tried again).
    deadlines: list[tuple[int, _Key]] = field(default_factory=list)
    aged: dict[_Key, int] = field(default_factory=dict)  # bucket -> since_ps last scheduled

    def __deepcopy__(self, memo: dict[int, object]) -> _Connection:
        return _copied(self, memo)  # type: ignore[no-any-return]


class RuleEngine:
    """The rule engine of node ``node``.

    Args:
        node: this node's address.
        hardware: its local operations.
    """

    def __init__(self, node: str, hardware: EngineHardware) -> None:
        self.node = node
        self.hardware = hardware
        self.now_ps = 0
        self._conns: dict[str, _Connection] = {}
        self._last_stamp = -1
        # Per connection (kept after it ends): swaps tried and failed here, and purifications
        # this node led to an outcome and those whose pair was lost.
        self.counts: dict[str, dict[str, int]] = {}

    def _count(self, connection: str, what: str, failed: bool) -> None:
        tally = self.counts.get(connection)
        if tally is None:
            tally = self.counts[connection] = dict.fromkeys(_COUNTS, 0)
        tally[what] += 1
        if failed:
            tally[what + "_failed"] += 1

    def __deepcopy__(self, memo: dict[int, object]) -> RuleEngine:
        """An independent copy (the verifier explores from copies); every attribute above."""
        engine = RuleEngine(self.node, copy.deepcopy(self.hardware, memo))
        memo[id(self)] = engine
        engine.now_ps = self.now_ps
        engine._conns = copy.deepcopy(self._conns, memo)
        engine._last_stamp = self._last_stamp
        engine.counts = copy.deepcopy(self.counts, memo)
        return engine

    # -- installing ---------------------------------------------------------------------------

    def install(self, ruleset: RuleSet) -> None:
        """Install the RuleSet of one connection at this node."""
        if ruleset.node != self.node:
            raise RuleSetError(f"RuleSet for {ruleset.node!r} installed at {self.node!r}")
        if ruleset.connection in self._conns:
            raise RuleSetError(f"connection {ruleset.connection!r} is installed already")
        plan = _Plan(ruleset)
        self._check_hand_overs(ruleset.connection, plan)
        conn = _Connection(ruleset, plan, [dict(s.variables) for s in ruleset.stages])
        self._conns[ruleset.connection] = conn
        for index in range(len(plan.rules)):
            self._wake(conn, index)

    def _check_hand_overs(self, connection: str, plan: _Plan) -> None:
        """Refuse a RuleSet whose hand-overs (``Deliver.to``) lead back to its own connection
        through those installed here: a pair would be handed round the loop for ever."""
        todo = [(to, [connection]) for to in plan.hands_to]
        seen: set[str] = set()
        while todo:
            to, path = todo.pop()
            if to == connection:
                raise RuleSetError(
                    f"connection {connection!r} hands its pairs round a loop at {self.node!r}: "
                    + " -> ".join([*path, to])
                    + "; Deliver.to names a layer above"
                )
            upper = self._conns.get(to)
            if upper is None or to in seen:
                continue
            seen.add(to)
            todo += [(nxt, [*path, to]) for nxt in upper.plan.hands_to]

    def uninstall(self, connection: str) -> list[EngineEffect]:
        """Remove a connection; every qubit it still holds is freed."""
        conn = self._conns.pop(connection, None)
        if conn is None:
            raise RuleSetError(f"connection {connection!r} is not installed at {self.node!r}")
        held = [*conn.by_name.values(), *conn.pending.values()]
        return [FreeQubit(r.qubit) for r in held if r.qubit is not None]

    def holds(self, connection: str) -> int:
        """Number of resources the connection holds here (pending hand-overs included)."""
        conn = self._conns[connection]
        return len(conn.by_name) + len(conn.pending)

    def connections(self) -> list[str]:
        """The installed connections."""
        return sorted(self._conns)

    def is_installed(self, connection: str) -> bool:
        """Whether ``connection`` has a RuleSet here (a herald's hot path: no list built)."""
        return connection in self._conns

    # -- events -------------------------------------------------------------------------------

    def assign(
        self,
        connection: str,
        name: PairName,
        qubit: Qubit,
        partner: str,
        t_ps: int,
        fidelity: float = 1.0,
    ) -> list[EngineEffect]:
        """A resource (a link-level pair's half) is assigned to ``connection``: it enters the
        first Stage, with ``fidelity`` the node's estimate (from link monitoring)."""
        return self._enter(connection, _Resource(name, qubit, partner, 0, t_ps, fidelity))

    def assign_record(
        self,
        connection: str,
        name: PairName,
        record: tuple[str, int],
        partner: str,
        t_ps: int,
        fidelity: float = 1.0,
    ) -> list[EngineEffect]:
        """A MEAS node's resource: the (basis, bit) it read from its half of link-level pair
        ``name`` enters the first Stage of ``connection``."""
        basis, bit = record
        if basis not in ("X", "Y", "Z") or bit not in (0, 1):
            raise RuleSetError(f"record={record!r} is not (basis 'X'|'Y'|'Z', bit 0|1)")
        res = _Resource(name, None, partner, 0, t_ps, fidelity, record=(basis, bit))
        return self._enter(connection, res)

    def _enter(self, connection: str, res: _Resource) -> list[EngineEffect]:
        self.now_ps = res.since_ps
        conn = self._conn(connection)
        name = res.name
        if name in conn.by_name:
            raise RuleSetError(f"pair {name} is assigned to {connection!r} twice")
        effects: list[EngineEffect] = []
        if res.link_pair is None:
            res.link_pair = name
        self._add(conn, res, effects)
        for message in conn.waiting.pop(name, []):
            self._apply(conn, message, effects)
        self._evaluate(conn, effects)
        return effects

    def on_message(self, src: str, message: Message, t_ps: int) -> list[EngineEffect]:
        """A message from node ``src`` arrived."""
        self.now_ps = t_ps
        conn = self._conns.get(message.connection)
        if conn is None:
            return []  # the connection was torn down here first: nothing to act on
        effects: list[EngineEffect] = []
        self._apply(conn, message, effects)
        self._evaluate(conn, effects)
        return effects

    def on_timer(self, token: tuple[str, tuple[int, str]], t_ps: int) -> list[EngineEffect]:
        """A timer set by a ``SetTimer`` effect fired."""
        self.now_ps = t_ps
        conn = self._conns.get(token[0])
        if conn is None:
            return []
        key = token[1]
        if conn.timers.get(key) == t_ps:
            del conn.timers[key]
        effects: list[EngineEffect] = []
        self._evaluate(conn, effects)
        # The next resource of that bucket to come of age gets the timer (resources enter a
        # bucket oldest first, so the first one not yet of age is the next).
        limit = conn.plan.timeout(*key)
        if limit is not None and key not in conn.timers:
            due = s_to_ps(limit) + 1
            for r in conn.by_key.get(key, ()):
                if r.since_ps + due > t_ps:
                    self._arm(conn, key, r.since_ps + due, effects)
                    break
        return effects

    def _arm(
        self, conn: _Connection, key: tuple[int, str], at_ps: int, effects: list[EngineEffect]
    ) -> None:
        conn.timers[key] = at_ps
        effects.append(SetTimer(at_ps - self.now_ps, (conn.ruleset.connection, key)))

    # -- resources ----------------------------------------------------------------------------

    def _conn(self, connection: str) -> _Connection:
        conn = self._conns.get(connection)
        if conn is None:
            raise RuleSetError(f"connection {connection!r} is not installed at {self.node!r}")
        return conn

    def _add(self, conn: _Connection, res: _Resource, effects: list[EngineEffect]) -> None:
        if res.name in conn.by_name:
            raise RuleSetError(
                f"{self.node}: two resources of {conn.ruleset.connection!r} named {res.name}"
            )
        key = (res.stage, res.partner)
        conn.by_name[res.name] = res
        conn.by_key.setdefault(key, []).append(res)
        conn.by_stage.setdefault(res.stage, {})[res.name] = res
        res.since_ps = self.now_ps
        seconds = conn.plan.timeout(res.stage, res.partner)
        if seconds is not None and key not in conn.timers:
            self._arm(conn, key, self.now_ps + s_to_ps(seconds) + 1, effects)
        self._touch(conn, key)

    def _remove(self, conn: _Connection, res: _Resource) -> None:
        key = (res.stage, res.partner)
        del conn.by_name[res.name]
        bucket = conn.by_key[key]
        bucket.remove(res)
        if not bucket:
            del conn.by_key[key]
        del conn.by_stage[res.stage][res.name]
        self._touch(conn, key)

    def _set_busy(self, conn: _Connection, res: _Resource, busy: bool) -> None:
        res.busy = busy
        self._touch(conn, (res.stage, res.partner))

    # -- waking rules -------------------------------------------------------------------------

    def _wake(self, conn: _Connection, index: int) -> None:
        """Rule ``index`` is to be tried: in this pass if the pass has not reached it yet,
        else in the next (the order a scan of every rule, pass after pass, would try it)."""
        if index in conn.queued:
            return
        conn.queued.add(index)
        if index < conn.position:
            conn.behind.append(index)
        else:
            heapq.heappush(conn.woken, index)

    def _next_pass(self, conn: _Connection) -> None:
        """Start a pass from the first rule: the rules woken behind the last one join it."""
        conn.position = 0
        for index in conn.behind:
            heapq.heappush(conn.woken, index)
        conn.behind.clear()

    def _touch(self, conn: _Connection, key: _Key) -> None:
        """Bucket ``key`` changed: wake the rules that read it or its whole Stage, and note
        when its oldest idle resource comes of age for the rules that wait for that."""
        plan = conn.plan
        stage = key[0]
        whole = (stage, ANY_PARTNER)
        for bucket in (key, whole):
            for index in plan.by_bucket.get(bucket, ()):
                self._wake(conn, index)
            limits = plan.age_limits.get(bucket)
            if limits is None:
                continue
            oldest = self._oldest_idle(conn, stage, bucket[1])
            if oldest is None:
                conn.aged.pop(bucket, None)
            elif conn.aged.get(bucket) != oldest.since_ps:
                conn.aged[bucket] = oldest.since_ps
                for limit in limits:
                    heapq.heappush(conn.deadlines, (oldest.since_ps + limit, bucket))

    def _oldest_idle(self, conn: _Connection, stage: int, partner: str) -> _Resource | None:
        """The oldest resource of the bucket (of the Stage, for ``ANY_PARTNER``) not busy in
        a purification; buckets and Stages list resources in the order they entered."""
        for r in _held(conn, stage, partner):  # a loop, not next(): half the cost on this path
            if not r.busy:
                return r
        return None

    def _move(
        self,
        conn: _Connection,
        res: _Resource,
        stage: int,
        partner: str,
        effects: list[EngineEffect],
    ) -> None:
        self._remove(conn, res)
        res.stage, res.partner = stage, partner
        self._add(conn, res, effects)

    def _free(
        self, conn: _Connection, res: _Resource, effects: list[EngineEffect], tell: bool
    ) -> None:
        self._remove(conn, res)
        effects += _freed(res)
        if tell:
            effects.append(Send(res.partner, FreeResource(conn.ruleset.connection, res.name)))

    def _hand_over(
        self,
        conn: _Connection,
        res: _Resource,
        to: str,
        qubit: Qubit | None,
        effects: list[EngineEffect],
        pending: bool = False,
    ) -> None:
        """``Deliver.to``: the pair enters the first Stage of this node's RuleSet of ``to`` as
        a link pair with the same partner, name and estimate (spec §5: what a lower layer
        delivers are the links of the layer above), its half moved into a memory of ``to``'s
        own (``hardware.hand_over``: each layer has its memories, so the layer above holding
        pairs never starves the one below of the memories it works with); ``pending``: it
        waits in that memory until the other end says it handed its half up too
        (``HandedOver.reply``). Without that RuleSet here (not yet installed, or torn down
        first), or without a memory of it free, the pair is discarded and the partner told,
        as a Discard would."""
        if to not in self._conns:
            effects += _freed(res)
            effects.append(Send(res.partner, FreeResource(conn.ruleset.connection, res.name)))
            return
        if qubit != res.qubit:
            effects += _freed(res)  # its memory (the layer below's) is free again
        entered = _Resource(
            res.name,
            qubit,
            res.partner,
            0,
            self.now_ps,
            res.fidelity,
            record=res.record,
            link_pair=res.link_pair,
        )
        if pending:
            self._conns[to].pending[res.name] = entered
        else:
            effects += self._enter(to, entered)

    def _admit(self, conn: _Connection, name: PairName, effects: list[EngineEffect]) -> None:
        """The other end handed its half of ``name`` up too: the pair this end handed up
        first enters the RuleSet above, from now (a pair it lost meanwhile, or a RuleSet
        torn down, is not found: nothing to do)."""
        for to in conn.plan.hands_to:
            upper = self._conns.get(to)
            res = None if upper is None else upper.pending.pop(name, None)
            if res is not None:
                res.since_ps = self.now_ps
                effects += self._enter(to, res)
                return

    def _handable(
        self, conn: _Connection, stage: int, partner: str, first: bool
    ) -> _Resource | None:
        """The pair to hand up next: the oldest idle one, at the end first by address; at the
        other, the oldest the first has handed up (None: none yet)."""
        if first:
            return self._oldest_idle(conn, stage, partner)
        for r in _held(conn, stage, partner):
            if not r.busy and r.name in conn.cleared:
                return r
        return None

    def room(self, connection: str) -> list[EngineEffect]:
        """A memory of ``connection`` freed up at this node: the connections below that hand
        it their pairs try again with any pair waiting (``Deliver.to``)."""
        effects: list[EngineEffect] = []
        for conn in list(self._conns.values()):
            if connection in conn.plan.hands_to:
                self._wake_hand_overs(conn, connection)
                self._evaluate(conn, effects)
        return effects

    def _wake_hand_overs(self, conn: _Connection, to: str | None = None) -> None:
        """Wake ``conn``'s rules that hand pairs up (to ``to``, or to any layer above)."""
        for index, (_, rule) in enumerate(conn.plan.rules):
            action = rule.action
            if isinstance(action, Deliver) and action.to is not None and to in (None, action.to):
                self._wake(conn, index)

    def _freed_above(self, conn: _Connection, name: PairName, effects: list[EngineEffect]) -> bool:
        """A Free for a pair ``conn`` no longer holds because it handed it over: free it in
        the RuleSet above, if still there under the same name, busy or not (as a Free within
        one layer frees a pair busy in a purification: the partner's half is gone, so the
        purification's result never comes). A layer that passed the pair on unchanged (its
        only link was that pair) hands the Free on up too; install refuses hand-over loops."""
        for to in conn.plan.hands_to:
            upper = self._conns.get(to)
            if upper is None:
                continue
            waiting = upper.pending.pop(name, None)
            if waiting is not None:  # the other end never handed its half up
                effects += _freed(waiting)
                return True
            res = upper.by_name.get(name)
            if res is not None:
                self._free(upper, res, effects, tell=False)
                self._evaluate(upper, effects)
                return True
            if upper.plan.hands_to and self._freed_above(upper, name, effects):
                return True
        return False

    # -- messages -----------------------------------------------------------------------------

    def _apply(self, conn: _Connection, msg: Message, effects: list[EngineEffect]) -> None:
        if isinstance(msg, SwapResult):
            res = conn.by_name.get(msg.old_name)
            if res is None or res.busy:
                # Not held yet, or still waiting for the partner's purification bits (the swap
                # result overtook them): apply it once the pair is ours and settled.
                conn.waiting.setdefault(msg.old_name, []).append(msg)
                return
            self._remove(conn, res)
            res.name = msg.new_name
            res.partner = msg.new_partner
            res.fidelity = msg.fidelity
            # The frame is Pauli bookkeeping: the ground truth records the corrected state, and
            # a record read before the frame arrived is corrected here, as the truth's is.
            if (
                msg.correct
                and res.record is not None
                and frame_flips(msg.pauli_frame, res.record[0])
            ):
                res.record = (res.record[0], res.record[1] ^ 1)
            self._add(conn, res, effects)
            for waiting in conn.waiting.pop(msg.new_name, []):
                self._apply(conn, waiting, effects)
        elif isinstance(msg, HandedOver):
            if msg.reply:
                self._admit(conn, msg.name, effects)
            else:
                conn.cleared.add(msg.name)
                self._wake_hand_overs(conn)
        elif isinstance(msg, FreeResource):
            res = conn.by_name.get(msg.name)
            if res is None:
                if not (conn.plan.hands_to and self._freed_above(conn, msg.name, effects)):
                    conn.waiting.setdefault(msg.name, []).append(msg)
                return
            self._free(conn, res, effects, tell=False)
        elif msg.first:
            conn.requests[msg.names] = msg  # acted on by _evaluate once possible
        else:
            self._finish_first(conn, msg, effects)

    def _try_second(
        self, conn: _Connection, msg: PurificationResult, effects: list[EngineEffect]
    ) -> bool:
        """Act second on a purification the partner began, once this node holds every named
        pair, idle, where a Purify rule of the kept pair's Stage takes them: all in that
        Stage (recurrence), or the sacrificed ones in the Stage it pumps from; otherwise keep
        waiting (a pair may still be on its way, or about to be promoted into that Stage)."""
        held = [conn.by_name.get(n) for n in msg.names]
        resources = [r for r in held if r is not None and not r.busy]
        if len(resources) != len(msg.names):
            return False
        partner = resources[0].partner
        source = resources[1].stage
        if any(r.stage != source or r.partner != partner for r in resources[1:]):
            return False
        target = self._purify_target(
            conn, resources[0].stage, source, partner, msg.scheme, msg.twirl
        )
        if target is None:
            return False
        del conn.requests[msg.names]
        self._need_qubits(conn, resources, "purify")
        bits, kept = self.hardware.purify_second(
            [r.qubit for r in resources if r.qubit is not None], msg.scheme, msg.twirl
        )
        resources[0].fidelity = purified_fidelity([r.fidelity for r in resources], msg.scheme)
        effects.append(
            Send(
                partner,
                PurificationResult(
                    conn.ruleset.connection, msg.names, msg.scheme, bits, False, msg.twirl
                ),
            )
        )
        for r in resources[1:]:
            self._remove(conn, r)  # measured out by the hardware
            effects += _freed(r)
        self._settle(conn, resources[0], target if kept else None, effects)
        return True

    def _purify_target(
        self, conn: _Connection, stage: int, source: int, partner: str, scheme: str, twirl: bool
    ) -> int | None:
        """The Stage a purification's kept pair goes to, if a rule here takes a kept pair
        from ``stage`` and the others from ``source`` with ``partner`` by ``scheme`` (and
        ``twirl``): recurrence or a pump (the rule of the kept pair's Stage), or a pump
        chain's seed (both from the Stage pumped from; the first pumping Stage's rule)."""

        def purifies(a: object) -> TypeGuard[Purify]:
            return (
                isinstance(a, Purify)
                and a.partner == partner
                and a.scheme == scheme
                and a.twirl == twirl
            )

        for r in conn.ruleset.stages[stage].rules:
            a = r.action
            if purifies(a) and (stage if a.pump_from is None else a.pump_from) == source:
                return stage + 1
        seeds = conn.plan.pumps.get((source, partner))
        if stage == source and seeds:
            first = seeds[0]
            if any(purifies(r.action) for r in conn.ruleset.stages[first].rules):
                return first + 1
        return None

    def _pipeline_idle(self, conn: _Connection, fresh: _Key) -> bool:
        """No pump chain from bucket ``fresh`` is under way: no pair with its partner in a
        Stage that pumps from it, and none of its fresh pairs busy as a seed."""
        by_key = conn.by_key
        partner = fresh[1]
        if any(by_key.get((s, partner)) for s in conn.plan.pumps.get(fresh, ())):
            return False
        return not any(r.busy for r in by_key.get(fresh, ()))

    def _finish_first(
        self, conn: _Connection, msg: PurificationResult, effects: list[EngineEffect]
    ) -> None:
        keep = conn.by_name.get(msg.names[0])
        if keep is None or not keep.busy:
            return  # freed meanwhile (a Free crossed this result)
        self._set_busy(conn, keep, False)
        mine = conn.purifications.pop(msg.names, None)
        target = mine[1] if mine is not None and mine[0].bits == msg.bits else None
        self._count(conn.ruleset.connection, "purifications", target is None)
        self._settle(conn, keep, target, effects)

    def _settle(
        self, conn: _Connection, keep: _Resource, target: int | None, effects: list[EngineEffect]
    ) -> None:
        """End a purification at this node: promote the kept pair to Stage ``target`` (then
        apply messages that waited for it to settle) or, if it failed (None), free it."""
        if target is not None:
            self._move(conn, keep, target, keep.partner, effects)
            for waiting in conn.waiting.pop(keep.name, []):
                self._apply(conn, waiting, effects)
        else:
            self._remove(conn, keep)
            effects += _freed(keep)

    def _need_qubits(self, conn: _Connection, resources: list[_Resource], what: str) -> None:
        for r in resources:
            if r.qubit is None:
                raise RuleSetError(
                    f"{self.node}: connection {conn.ruleset.connection!r} asks to {what} pair "
                    f"{r.name}, but this node only holds a measurement record of it (a MEAS "
                    "node can deliver or report records, not operate on them)"
                )

    # -- rules --------------------------------------------------------------------------------

    def _evaluate(self, conn: _Connection, effects: list[EngineEffect]) -> None:
        """Fire rules until none can: pass after pass, each trying the partner's pending
        purification requests, then the woken rules in order. The same rules fire in the same
        order as a scan of every rule each pass would; the others could not fire."""
        now = self.now_ps
        deadlines = conn.deadlines
        plan = conn.plan
        while deadlines and deadlines[0][0] <= now:
            for index in plan.by_age.get(heapq.heappop(deadlines)[1], ()):
                self._wake(conn, index)
        woken = conn.woken
        self._next_pass(conn)
        rules = plan.rules
        firings = 0
        fired = True
        while fired:
            fired = False
            if conn.requests:
                for request in list(conn.requests.values()):
                    if self._try_second(conn, request, effects):
                        fired = True
            while woken:
                index = heapq.heappop(woken)
                conn.queued.discard(index)
                conn.position = index + 1
                stage, rule = rules[index]
                try:
                    fired_now = self._fire(conn, stage, rule, effects)
                except BaseException:
                    # A scan tries the failing rule again at the next event (a caller may go
                    # on after an error): keep it woken, first of the next evaluation.
                    conn.position = index
                    self._wake(conn, index)
                    raise
                if fired_now:
                    fired = True
                    firings += 1
                    self._wake(conn, index)  # it may fire again, in the next pass
                    if firings > _MAX_FIRINGS:
                        raise RuleSetError(
                            f"{self.node}: rule {rule.name!r} of connection "
                            f"{conn.ruleset.connection!r} keeps firing; a rule must use up "
                            "what it matches"
                        )
            self._next_pass(conn)

    def _eligible(
        self, conn: _Connection, stage: int, partner: str, min_fidelity: float = 0.0
    ) -> list[_Resource]:
        return [
            r
            for r in conn.by_key.get((stage, partner), ())
            if not r.busy and r.fidelity >= min_fidelity
        ]

    def _holds(self, conn: _Connection, stage: int, rule: Rule) -> bool:
        # The hot path of every event: most conditions fail on an empty or short bucket, so
        # that is checked before anything is scanned. A bucket lists its resources in the
        # order they entered it (their ``since_ps`` order), so the first idle one is the
        # oldest idle one.
        by_key = conn.by_key
        for clause in rule.condition:
            if isinstance(clause, EnoughResources):
                bucket = by_key.get((stage, clause.partner))
                need = clause.count
                if bucket is None or len(bucket) < need:
                    return False
                floor = clause.min_fidelity
                for r in bucket:
                    if not r.busy and r.fidelity >= floor:
                        need -= 1
                        if not need:
                            break
                else:
                    return False
            elif isinstance(clause, ResourceOlderThan):
                oldest = self._oldest_idle(conn, stage, clause.partner)
                seconds = clause.seconds
                limit = _LIMIT_PS.get(seconds)
                if limit is None:
                    limit = _LIMIT_PS[seconds] = s_to_ps(seconds)
                if oldest is None or self.now_ps - oldest.since_ps < limit:
                    return False
            elif conn.variables[stage].get(clause.variable, 0) >= clause.limit:
                return False
        return True

    def _fire(self, conn: _Connection, stage: int, rule: Rule, effects: list[EngineEffect]) -> bool:
        if not self._holds(conn, stage, rule):
            return False
        action = rule.action
        cid = conn.ruleset.connection
        if isinstance(action, Swap):
            left = self._eligible(conn, stage, action.left)
            right = self._eligible(conn, stage, action.right)
            if not left or not right:
                return False
            a, b = left[0], right[0]
            self._need_qubits(conn, [a, b], "swap")
            assert a.qubit is not None
            assert b.qubit is not None
            done = self.hardware.swap(a.qubit, b.qubit)
            self._count(cid, "swaps", done is None)
            self._remove(conn, a)
            self._remove(conn, b)
            effects += [FreeQubit(a.qubit), FreeQubit(b.qubit)]
            if done is None:  # the Bell measurement failed: both pairs are lost
                effects += [
                    Send(a.partner, FreeResource(cid, a.name)),
                    Send(b.partner, FreeResource(cid, b.name)),
                ]
                return True
            _, frame = done  # the frame is what the far end needs
            # Names must be unique: two swaps at one instant get time stamps 1 ps apart.
            stamp = max(self.now_ps, self._last_stamp + 1)
            self._last_stamp = stamp
            new = PairName(self.node, stamp)
            f = werner_swap_fidelity(a.fidelity, b.fidelity)
            effects += [
                Send(a.partner, SwapResult(cid, a.name, new, b.partner, frame, False, f)),
                Send(b.partner, SwapResult(cid, b.name, new, a.partner, frame, True, f)),
            ]
            return True
        if isinstance(action, Purify):
            if self.node > action.partner:
                return False  # the other end leads; this one answers its message
            pool = self._eligible(conn, stage, action.partner)
            if action.pump_from is None:
                if len(pool) < action.pairs:
                    return False
                chosen = pool[: action.pairs]
            else:
                bucket = (action.pump_from, action.partner)
                fresh = self._eligible(conn, *bucket)
                if pool:  # pump: keep this Stage's oldest pair, sacrifice fresh ones
                    if len(fresh) < action.pairs - 1:
                        return False
                    chosen = [pool[0], *fresh[: action.pairs - 1]]
                elif (
                    conn.plan.pumps[bucket][0] == stage
                    and len(fresh) >= action.pairs
                    and self._pipeline_idle(conn, bucket)
                ):  # seed: the first pumping Stage starts a chain from fresh pairs alone
                    chosen = fresh[: action.pairs]
                else:
                    return False
            self._need_qubits(conn, chosen, "purify")
            names = tuple(r.name for r in chosen)
            first_bits = self.hardware.purify_first(
                [r.qubit for r in chosen if r.qubit is not None], action.scheme, action.twirl
            )
            self._set_busy(conn, chosen[0], True)
            for r in chosen[1:]:
                self._remove(conn, r)
                effects += _freed(r)
            chosen[0].fidelity = purified_fidelity([r.fidelity for r in chosen], action.scheme)
            result = PurificationResult(cid, names, action.scheme, first_bits, True, action.twirl)
            conn.purifications[names] = (result, stage + 1)
            effects.append(Send(action.partner, result))
            return True
        partner = getattr(action, "partner", None)
        if isinstance(action, Increment):
            self._add_to(conn, stage, action.variable, action.by)
            return True
        found = self._oldest_idle(conn, stage, partner) if partner else None
        if found is None:
            return False
        res = found
        if isinstance(action, Promote):
            self._move(conn, res, stage + 1, res.partner, effects)
        elif isinstance(action, Discard):
            self._free(conn, res, effects, tell=True)
        elif isinstance(action, Deliver):
            moved = res.qubit
            first = self.node < res.partner
            if action.to is not None and action.to in self._conns:
                # Both ends hand up the same pairs, in the order the end first by address
                # does (``HandedOver``): otherwise, each end taking whichever pairs its free
                # memories allow, the two could fill with different pairs and wait for ever.
                handed = self._handable(conn, stage, action.partner, first)
                if handed is None:
                    return False
                res = handed
                if res.qubit is not None:
                    moved = self.hardware.hand_over(res.qubit, action.to, res.partner)
                    if moved is None:
                        # The layer above has no memory free: the pair waits here (flow
                        # control) until it has (``room``), not discarded at one end only.
                        return False
                if not first:
                    conn.cleared.discard(res.name)
                effects.append(Send(res.partner, HandedOver(cid, res.name, reply=not first)))
            self._remove(conn, res)
            if action.to is None:
                effects.append(
                    PairDelivered(
                        cid,
                        res.name,
                        res.qubit,
                        res.partner,
                        self.now_ps,
                        res.record,
                        res.link_pair,
                    )
                )
            else:
                self._hand_over(conn, res, action.to, moved, effects, pending=first)
        elif isinstance(action, Measure):
            if res.qubit is None:  # read on arrival, in the MEAS node's own basis
                assert res.record is not None
                basis, bit = res.record
            else:
                basis, bit = self.hardware.measure(res.qubit, action.basis)
            self._remove(conn, res)
            self._add_to(conn, stage, action.counter, 1)
            effects += _freed(res)
            effects.append(MeasurementDone(cid, res.name, res.partner, basis, bit, self.now_ps))
        return True

    def _add_to(self, conn: _Connection, stage: int, variable: str, by: int) -> None:
        """Add ``by`` to a Stage variable and wake the rules whose condition reads it."""
        conn.variables[stage][variable] = conn.variables[stage].get(variable, 0) + by
        for index in conn.plan.by_variable.get((stage, variable), ()):
            self._wake(conn, index)
