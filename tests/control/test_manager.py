"""The connection manager driven message by message (sans-IO): refusals name their reason,
NO_RESOURCES from the Responder's generator is retried with back-off and then given up, and
messages that arrive late (an answer after the Initiator gave up, a reject or teardown for a
connection already gone) undo what they must and nothing else."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from qrna.control import (
    Accepted,
    ConnectionEvent,
    ConnectionManager,
    ConnectionSetupReject,
    ConnectionSetupRequest,
    ConnectionSetupResponse,
    ConnectionTeardown,
    ControlError,
    HopRecord,
    LinkState,
    LinkStateAdvertisement,
    ManagerEffect,
    Rejected,
    RejectReason,
    Release,
    Reserve,
    RoutingDaemon,
    RuleSetGenerator,
    SendControl,
    Wake,
    default_generator,
)
from qrna.kernel import s_to_ps
from qrna.rules import RuleEngine, chain_rulesets

WEIGHTS = (0.95, 0.05 / 3, 0.05 / 3, 0.05 / 3)
LINK = LinkState("x", 1000.0, WEIGHTS, 10.0, 5e-5)
LINK_ARGS = (1000.0, WEIGHTS, 10.0, 5e-5)
CHAIN = ("a", "b", "c")


class _Line:
    """Routing on the line a-b-c: the next hop toward ``dst``, None where none is known."""

    def __init__(self, node: str, known: bool = True) -> None:
        self.node, self.known = node, known

    def next_hop(self, dst: str, fidelity: float) -> str | None:
        if not self.known:
            return None
        i, j = CHAIN.index(self.node), CHAIN.index(dst)
        return CHAIN[i + (1 if j > i else -1)]


def _record(node: str) -> Callable[[str | None, str | None, float], HopRecord]:
    def record(prev: str | None, nxt: str | None, fidelity: float) -> HopRecord:
        link = None if prev is None else LinkState(prev, 1000.0, WEIGHTS, 10.0, 5e-5)
        return HopRecord(node, link, 8, 8, 0.0, 0.0, math.inf, math.inf)

    return record


def _manager(
    node: str, generator: RuleSetGenerator = default_generator, known: bool = True
) -> ConnectionManager:
    return ConnectionManager(
        node,
        _Line(node, known),  # type: ignore[arg-type]
        RuleEngine(node, None),
        lambda neighbour: 8,
        _record(node),
        generator,
        np.random.default_rng(0),
        max_attempts=3,
    )


def _request(**kw: object) -> ConnectionSetupRequest:
    return ConnectionSetupRequest("c1", "a", "c", 0.8, pairs=5, memories=2, **kw)  # type: ignore[arg-type]


def _sent(effects: list[ManagerEffect]) -> list[tuple[str, object]]:
    return [(e.dst, e.message) for e in effects if isinstance(e, SendControl)]


def _deliver(
    managers: dict[str, ConnectionManager], src: str, effects: list[ManagerEffect], t_ps: int
) -> list[ManagerEffect]:
    """Pass every message in ``effects`` on until none is left; the other effects, in order."""
    out: list[ManagerEffect] = []
    queue = [(src, e) for e in effects]
    while queue:
        frm, e = queue.pop(0)
        if isinstance(e, SendControl):
            queue += [(e.dst, x) for x in managers[e.dst].on_message(frm, e.message, t_ps)]
        else:
            out.append(e)
    return out


def test_the_initiator_refuses_what_is_not_its_own() -> None:
    a = _manager("a")
    with pytest.raises(ControlError, match=r"^a cannot initiate for 'b'$"):
        a.connect(ConnectionSetupRequest("c1", "b", "c", 0.8, pairs=1), 0)
    a.connect(_request(), 0)
    with pytest.raises(ControlError, match=r"^connection 'c1' exists already at a$"):
        a.connect(_request(), 0)
    with pytest.raises(ControlError, match=r"^a did not initiate a live connection 'zz'$"):
        a.teardown("zz", 0)
    assert a.on_wake("zz", 0) == []  # a timer of a connection long gone
    assert a.on_delivered("zz", 0) == []


def test_a_request_back_on_its_path_or_without_a_route_is_refused_at_once() -> None:
    b = _manager("b")
    hop = _record("a")(None, "b", 0.8)
    looped = _request(hops=(hop, _record("b")(None, "c", 0.8)))  # b is on the path already
    assert _sent(b.on_message("a", looped, 0)) == [
        ("a", ConnectionSetupReject("c1", ("a", "b", "b"), RejectReason.NO_ROUTE, "loop at b"))
    ]
    lost = _manager("b", known=False)
    assert _sent(lost.on_message("a", _request(hops=(hop,)), 0)) == [
        ("a", ConnectionSetupReject("c1", ("a",), RejectReason.NO_ROUTE, "b knows no route to c"))
    ]
    assert (b.held, lost.held) == ({}, {})


def test_default_generator_rejects_a_path_with_a_full_qnic() -> None:
    hops = tuple(_record(n)(None, None, 0.8) for n in ("a",)) + tuple(
        HopRecord(n, LINK, free, 8, 0.0, 0.0, math.inf, math.inf) for n, free in (("b", 0),)
    )
    request = ConnectionSetupRequest("c1", "a", "b", 0.8, pairs=1, hops=hops)
    assert default_generator(request) == Rejected(
        RejectReason.NO_RESOURCES, "a QNIC on the path has no free memory"
    )
    with pytest.raises(ControlError, match=r"has not travelled the path: \['a'\]"):
        default_generator(ConnectionSetupRequest("c1", "a", "b", 0.8, pairs=1, hops=hops[:1]))


def test_no_resources_from_the_responder_is_retried_then_given_up() -> None:
    """The Responder's generator finds no free memory: every node releases its hold, the
    Initiator waits a back-off in [0, 1 ms·2^(k−1)] and tries again, and gives up after
    ``max_attempts`` (3) with the reason and the count."""
    asked: list[int] = []

    def full(request: ConnectionSetupRequest) -> Accepted | Rejected:
        asked.append(request.attempt)
        return Rejected(RejectReason.NO_RESOURCES, "c is full")

    managers = {"a": _manager("a"), "b": _manager("b"), "c": _manager("c", full)}
    effects = _deliver(managers, "a", managers["a"].connect(_request(), 0), 0)
    for k in (1, 2):
        rejected, wake = effects
        assert rejected == ConnectionEvent("c1", "rejected", 0, "c is full")
        assert isinstance(wake, Wake)
        assert 1 <= wake.delay_ps <= 1e-3 * 2 ** (k - 1) * 1e12 + 1
        assert [m.held for m in managers.values()] == [{}, {}, {}]
        effects = _deliver(managers, "a", managers["a"].on_wake("c1", wake.delay_ps), 0)
    assert effects == [
        ConnectionEvent("c1", "failed", 0, "no_resources: c is full (after 3 attempts)")
    ]
    assert asked == [1, 2, 3]
    assert [m.conns for m in managers.values()] == [{}, {}, {}]
    assert "c1" in managers["a"].finished


def test_an_answer_after_the_initiator_gave_up_is_undone_along_the_path() -> None:
    managers = {n: _manager(n) for n in CHAIN}
    a, b, c = managers.values()
    to_b = a.connect(_request(), 0)
    # The application goes away while the request travels: nothing to send yet.
    assert a.teardown("c1", 10, "cancelled") == [ConnectionEvent("c1", "done", 10, "cancelled")]
    (to_c,) = _sent(b.on_message("a", to_b[0].message, 20))  # type: ignore[union-attr]
    responses = _sent(c.on_message("b", to_c[1], 30))  # type: ignore[arg-type]
    assert [dst for dst, _ in responses] == ["a", "b"]  # c installed its own RuleSet
    response_a = responses[0][1]
    assert isinstance(response_a, ConnectionSetupResponse)
    # a finds the connection finished and tears the path down.
    teardown = ConnectionTeardown("c1", CHAIN)
    assert _sent(a.on_message("c", response_a, 40)) == [("b", teardown)]
    # b's response is still on its way when the teardown reaches it: b drops the
    # connection, remembers it finished, and ignores the late response.
    assert _sent(b.on_message("a", teardown, 50)) == [("c", teardown)]
    assert b.on_message("c", responses[1][1], 60) == []  # type: ignore[arg-type]
    assert (b.conns, b.held, "c1" in b.finished) == ({}, {}, True)
    effects = c.on_message("b", teardown, 70)
    assert [e for e in effects if isinstance(e, Release)] == [Release("c1")]
    assert (c.conns, c.held) == ({}, {})
    # A second teardown (a duplicate on the wire) finds nothing to do anywhere.
    assert [m.on_message("x", teardown, 80) for m in managers.values()] == [[], [], []]


def test_late_rejects_and_duplicate_responses_change_nothing() -> None:
    managers = {n: _manager(n) for n in CHAIN}
    a = managers["a"]
    effects = _deliver(managers, "a", a.connect(_request(), 0), 5)
    # c answers first (its own RuleSet at once), then a and b as the responses arrive.
    assert [e for e in effects if isinstance(e, Reserve)] == [
        Reserve("c1", "b", 2),  # c
        Reserve("c1", "b", 2),  # a
        Reserve("c1", "a", 2),  # b, toward both neighbours
        Reserve("c1", "c", 2),
    ]
    assert [e for e in effects if isinstance(e, ConnectionEvent)] == [
        ConnectionEvent("c1", "up", 5, "a-b-c")
    ]
    held = {n: dict(m.held) for n, m in managers.items()}
    reject = ConnectionSetupReject("c1", CHAIN, RejectReason.NO_ROUTE, "stale")
    response = ConnectionSetupResponse("c1", CHAIN, chain_rulesets("c1", list(CHAIN))["a"], 2)
    for n, m in managers.items():
        assert m.on_message("x", reject, 6) == [], n  # installed: a reject is stale
        assert m.on_message("x", response, 6) == [], n  # installed already
        assert m.held == held[n]
    assert _manager("b").on_message("a", reject, 6) == []  # never heard of c1
    # A teardown reaching a node that never held the connection is passed on, and the
    # node then ignores any answer for it.
    fresh = _manager("b")
    teardown = ConnectionTeardown("c1", CHAIN)
    assert _sent(fresh.on_message("a", teardown, 7)) == [("c", teardown)]
    assert fresh.on_message("c", response, 8) == []
    assert (fresh.conns, fresh.finished) == ({}, {"c1"})


def test_a_refusal_names_a_long_path_by_its_ends_and_length() -> None:
    from qrna.control._generator import _path_text

    assert _path_text([f"n{i}" for i in range(8)]) == "n0-n1-n2-n3-n4-n5-n6-n7"
    assert _path_text([f"n{i}" for i in range(9)]) == "n0-n1-...-n7-n8 (8 hops)"
    assert _path_text([f"n{i}" for i in range(1000)]) == "n0-n1-...-n998-n999 (999 hops)"


def test_advertisements_as_messages_flood_on_and_release_the_waiting_connections() -> None:
    """``on_message`` with an advertisement (the sans-IO path; the network floods through
    ``on_flood``). a sits between d and b on the line d–a–b–c, with a real routing daemon, and
    its requests to e, c (4 memories) and c again (6 memories) wait for routes. b's
    advertisement goes on to d only (not back to b) and routes nothing yet (c has not
    advertised). c's goes on to d and routes both requests to c, in the order they began to
    wait: the first leaves, the second finds 4 of a's 8 memories toward b free and is
    rejected, at the advertisement's arrival, to retry later. The one to e (never advertised)
    keeps waiting. The same advertisement again is not new: nothing is sent."""
    routing = RoutingDaemon("a", ["b", "d"])
    routing.set_links([LinkState("b", *LINK_ARGS), LinkState("d", *LINK_ARGS)])
    mgr = ConnectionManager(
        "a",
        routing,
        RuleEngine("a", None),
        lambda neighbour: 8,
        _record("a"),
        default_generator,
        np.random.default_rng(0),
        converged_by=lambda: 10**9,
    )
    for cid, responder, memories in (("c1", "e", 2), ("c2", "c", 4), ("c3", "c", 6)):
        request = ConnectionSetupRequest(cid, "a", responder, 0.8, pairs=5, memories=memories)
        assert mgr.connect(request, 0) == [Wake(10**9, cid, route=True)]
    b = LinkStateAdvertisement("b", 1, (LinkState("a", *LINK_ARGS), LinkState("c", *LINK_ARGS)))
    assert mgr.on_message("b", b, 5) == [SendControl("d", b)]
    assert list(mgr.waiting_for_routes) == ["c1", "c2", "c3"]
    c = LinkStateAdvertisement("c", 1, (LinkState("b", *LINK_ARGS),))
    out = mgr.on_message("b", c, 7)
    assert [type(e).__name__ for e in out] == [
        "SendControl", "SendControl", "ConnectionEvent", "Wake",
    ]  # fmt: skip
    assert out[0] == SendControl("d", c)
    assert isinstance(out[1], SendControl)
    sent = out[1].message
    assert isinstance(sent, ConnectionSetupRequest)
    assert (out[1].dst, sent.connection, sent.responder, sent.attempt) == ("b", "c2", "c", 1)
    assert [h.node for h in sent.hops] == ["a"]
    assert out[2] == ConnectionEvent(
        "c3", "rejected", 7, "a is busy: 4 of 8 memories toward b free"
    )
    # Retried after a back-off uniform in [0, 1 ms) (the manager's generator, seed 0), plus
    # 1 ps so that a zero draw still waits.
    assert out[3] == Wake(s_to_ps(np.random.default_rng(0).uniform(0.0, 1e-3)) + 1, "c3")
    assert mgr.progress("c3") == "waiting to retry after 1 attempts"
    assert list(mgr.waiting_for_routes) == ["c1"]
    assert mgr.held == {"b": 4}
    assert mgr.on_message("d", c, 9) == []
