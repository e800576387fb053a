"""Control messages are checked on creation and round-trip through their JSON form."""

from __future__ import annotations

import dataclasses
import json
import math
import typing

import pytest

from qrna.control import (
    ConnectionSetupReject,
    ConnectionSetupRequest,
    ConnectionSetupResponse,
    ConnectionTeardown,
    ControlError,
    HopRecord,
    LinkState,
    LinkStateAdvertisement,
    PlanRequest,
    RejectReason,
    message_from_dict,
    message_to_dict,
)
from qrna.rules import chain_rulesets

LINK = LinkState("b", 1234.5, (0.9, 0.05, 0.03, 0.02), 10.0, 5e-5)
HOP = HopRecord(
    "b",
    LINK,
    4,
    3,
    0.01,
    0.002,
    math.inf,
    1.5,
    qnic_in="b/qnic0",
    qnic_out="b/qnic1",
    cost_s=1e-3,
    swap_degradation=0.95,
    single_qubit_error=0.001,
)


@pytest.mark.parametrize(
    "message",
    [
        ConnectionSetupRequest("c1", "a", "c", 0.9, pairs=10, hops=(HOP,), attempt=2),
        ConnectionSetupRequest(
            "c1",
            "a",
            "c",
            0.99,
            pairs=10,
            plan=PlanRequest(link_rounds=2, swap_order="sequential", e2e_scheme="double_z"),
            best_effort=True,
        ),
        # The Initiator's own hop record: no link reached it (link_in None).
        ConnectionSetupRequest(
            "c3",
            "a",
            "c",
            0.9,
            pairs=1,
            hops=(HopRecord("a", None, 0, 4, 0.0, 0.0, math.inf, math.inf, qnic_out="a/qnic0"),),
        ),
        ConnectionSetupRequest("c2", "a", "c", 0.5, duration_s=0.25, memories=2),
        ConnectionSetupResponse("c1", ("a", "b"), chain_rulesets("c1", ["a", "b"])["a"], 3),
        ConnectionSetupReject("c1", ("a", "b"), RejectReason.NO_RESOURCES, "busy"),
        ConnectionTeardown("c1", ("a", "b", "c")),
        LinkStateAdvertisement("a", 7, (LINK,)),
        # Recursion (spec §5): a request embedded at a border carries the one above (here two
        # layers of it), routed in a network's scope; a hop over a virtual link names the
        # network it crosses; an advertisement names its layer; a lower layer's RuleSet hands
        # its pairs to the connection above.
        ConnectionSetupRequest(
            "c1@x.b@x.y.b",
            "x.y.b",
            "x.y.c",
            0.95,
            memories=2,
            scope="x.y",
            upper=ConnectionSetupRequest(
                "c1@x.b",
                "x.b",
                "x.c",
                0.9,
                memories=2,
                scope="x",
                hops=(dataclasses.replace(HOP, via="x.y", free_in=10**9),),
                upper=ConnectionSetupRequest(
                    "c1", "a", "z", 0.8, pairs=5, memories=2, hops=(HOP,), attempt=3
                ),
            ),
        ),
        LinkStateAdvertisement("x.b", 2, (LINK,), relay=True, network="x"),
        ConnectionSetupResponse(
            "c1@a", ("a", "b"), chain_rulesets("c1@a", ["a", "b"])["b"].delivering_to("c1"), 2
        ),
    ],
)
def test_round_trip_through_json(message: object) -> None:
    text = json.dumps(message_to_dict(message))  # type: ignore[arg-type]
    back = message_from_dict(json.loads(text))
    assert back == message
    assert json.loads(text)["version"] == 1


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: ConnectionSetupRequest("c", "a", "a", 0.9, pairs=1), "both 'a'"),
        (lambda: ConnectionSetupRequest("c", "a", "b", 1.2, pairs=1), r"fidelity=1.2"),
        (lambda: ConnectionSetupRequest("c", "a", "b", 0.9), "exactly one"),
        (lambda: ConnectionSetupRequest("c", "a", "b", 0.9, pairs=0), "pairs=0"),
        (lambda: ConnectionSetupRequest("c", "a", "b", 0.9, pairs=1, memories=0), "memories=0"),
        (lambda: ConnectionSetupRequest("c", "a b", "b", 0.9, pairs=1), "'a b' is not a node"),
        (lambda: LinkState("b", -1.0, (1, 0, 0, 0), 1.0, 1e-6), "rate_hz=-1.0"),
        (lambda: LinkState("b", 1.0, (0.5, 0, 0, 0), 1.0, 1e-6), "summing to 1"),
        (lambda: HopRecord("b", None, -1, 0, 0.0, 0.0, 1.0, 1.0), "free_in=-1"),
        (
            lambda: ConnectionSetupReject("c", ("a",), "tired"),  # type: ignore[arg-type]
            r"^reason='tired'; expected one of no_route, no_resources, fidelity_unreachable, "
            r"not_authorised$",
        ),
        (
            lambda: HopRecord("b", None, 0, 0, 1.5, 0.0, 1.0, 1.0),
            r"^HopRecord\.gate_error=1\.5 is outside \[0, 1\]$",
        ),
        (
            lambda: HopRecord("b", None, 0, 0, 0.0, 0.0, 1.0, 1.0, swap_degradation=-0.5),
            r"^HopRecord\.swap_degradation=-0\.5 is outside \[0, 1\]$",
        ),
        (
            lambda: HopRecord("b", None, 0, 0, 0.0, 0.0, 1.0, 1.0, swap_degradation="0.9"),
            r"^HopRecord\.swap_degradation='0\.9' must be a number in \[0, 1\]$",
        ),
        (
            lambda: HopRecord("b", None, 0, 0, None, 0.0, 1.0, 1.0),
            r"^HopRecord\.gate_error=None must be a number in \[0, 1\]$",
        ),
        (
            lambda: HopRecord("b", None, 0, 0, 0.0, 0.0, 1.0, 1.0, swap_degradation=True),
            r"^HopRecord\.swap_degradation=True must be a number in \[0, 1\]$",
        ),
        (
            lambda: HopRecord("b", None, 0, 0, 0.0, 0.0, 0.0, 1.0),
            r"^HopRecord: t1_s=0\.0, t2_s=1\.0 must both be > 0$",
        ),
        (
            lambda: LinkState("b", 1.0, (1, 0, 0, 0), math.inf, 1e-6),
            r"^LinkState\.length_km=inf must be finite and >= 0$",
        ),
        (
            lambda: ConnectionSetupRequest("", "a", "b", 0.9, pairs=1),
            r"^connection='' must be a non-empty name$",
        ),
        (
            lambda: ConnectionSetupRequest("c", "a", "b", 0.9, duration_s=math.nan),
            r"^duration_s=nan must be finite and > 0$",
        ),
        (
            lambda: ConnectionSetupRequest("c", "a", "b", 0.9, pairs=1, memories=True),
            r"^memories=True must be an integer >= 1$",
        ),
        (
            lambda: ConnectionSetupResponse("c1", ("a",), chain_rulesets("c1", ["a", "b"])["a"], 1),
            r"^path=\('a',\) needs at least two nodes$",
        ),
        (
            lambda: ConnectionSetupResponse(
                "c2", ("a", "b"), chain_rulesets("c1", ["a", "b"])["a"], 1
            ),
            r"^RuleSet of connection 'c1' in a response for 'c2'$",
        ),
        (
            lambda: ConnectionSetupResponse(
                "c1", ("a", "b"), chain_rulesets("c1", ["a", "b"])["a"], 0
            ),
            r"^memories=0 must be an integer >= 1$",
        ),
    ],
)
def test_bad_values_are_named(build, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ControlError, match=match):
        build()


def test_decoding_errors_name_the_field() -> None:
    with pytest.raises(ControlError, match=r"^\$: expected an object, got list$"):
        message_from_dict([])  # type: ignore[arg-type]
    with pytest.raises(ControlError) as caught:
        message_from_dict({"type": "Hello", "version": 1})
    assert str(caught.value) == (
        "$.type: 'Hello' is not one of ConnectionSetupReject, ConnectionSetupRequest, "
        "ConnectionSetupResponse, ConnectionTeardown, LinkStateAdvertisement"
    )
    with pytest.raises(ControlError, match=r"\$\.version: 9"):
        message_from_dict({"type": "ConnectionTeardown", "version": 9})
    with pytest.raises(ControlError, match="ConnectionTeardown fields do not match"):
        message_from_dict({"type": "ConnectionTeardown", "version": 1, "connection": "c"})
    request = message_to_dict(ConnectionSetupRequest("c1", "a", "c", 0.9, pairs=2))
    with pytest.raises(ControlError, match=r"^\$\.plan: expected an object, got 'fast'$"):
        message_from_dict({**request, "plan": "fast"})
    with pytest.raises(ControlError, match="ConnectionSetupRequest fields do not match"):
        message_from_dict({**request, "plan": {"rounds": 2}})
    with pytest.raises(ControlError, match=r"^PlanRequest\.link_scheme=\['dejmps'\]; expected"):
        message_from_dict({**request, "plan": {"link_scheme": ["dejmps"]}})
    hop = message_to_dict(
        ConnectionSetupRequest(
            "c1", "a", "c", 0.9, pairs=2, hops=(HopRecord("a", None, 1, 1, 0.0, 0.0, 1.0, 1.0),)
        )
    )
    bad_hop = {**hop["hops"][0], "swap_degradation": "0.95"}
    with pytest.raises(ControlError, match=r"^HopRecord\.swap_degradation='0\.95' must be a"):
        message_from_dict({**hop, "hops": [bad_hop]})


def test_a_setup_request_without_hops_decodes_with_no_hops() -> None:
    """``hops`` may be left out of a request's JSON: it has passed no node yet."""
    data = {
        "type": "ConnectionSetupRequest",
        "version": 1,
        "connection": "c1",
        "initiator": "a",
        "responder": "c",
        "fidelity": 0.9,
        "pairs": 2,
    }
    assert message_from_dict(data) == ConnectionSetupRequest("c1", "a", "c", 0.9, pairs=2)


def test_a_link_state_s_timing_round_trips_and_is_not_advertised_when_absent() -> None:
    """A link state's herald timing (p_success, round_s, slot_s, reinit_s) comes back from
    JSON field for field, each its own value; a form without those fields (written before
    they existed) reads 0 for each, "not advertised", which the generator replaces by the
    latency (``estimate``)."""
    timed = LinkState("b", 1234.5, (0.9, 0.05, 0.03, 0.02), 10.0, 5e-5, 0.125, 2e-4, 3e-6, 4e-5)
    advert = LinkStateAdvertisement("a", 7, (timed,))
    data = json.loads(json.dumps(message_to_dict(advert)))
    (back,) = typing.cast(LinkStateAdvertisement, message_from_dict(data)).links
    assert (back.p_success, back.round_s, back.slot_s, back.reinit_s) == (0.125, 2e-4, 3e-6, 4e-5)
    for key in ("p_success", "round_s", "slot_s", "reinit_s"):
        del data["links"][0][key]
    (old,) = typing.cast(LinkStateAdvertisement, message_from_dict(data)).links
    assert (old.p_success, old.round_s, old.slot_s, old.reinit_s) == (0.0, 0.0, 0.0, 0.0)
    assert old.rate_hz == 1234.5
    assert old.weights == (0.9, 0.05, 0.03, 0.02)


def test_a_hop_record_written_before_depolarising_memories_reads_none() -> None:
    """A hop's ``depolarising_time_s`` may be absent from its JSON (written before memories
    could depolarise): it reads inf, no depolarising noise, and every other field as sent."""
    data = message_to_dict(ConnectionSetupRequest("c1", "a", "c", 0.9, pairs=2, hops=(HOP,)))
    del data["hops"][0]["depolarising_time_s"]
    back = typing.cast(ConnectionSetupRequest, message_from_dict(data))
    assert back.hops == (HOP,)
    assert back.hops[0].depolarising_time_s == math.inf


def test_an_embedded_request_that_is_not_an_object_is_named() -> None:
    """A request's ``upper`` (the request it carries from the layer above) must be an
    object: anything else is refused naming the field and what it held."""
    request = message_to_dict(ConnectionSetupRequest("c1", "a", "c", 0.9, pairs=2))
    with pytest.raises(ControlError) as caught:
        message_from_dict({**request, "upper": ["c0"]})
    assert str(caught.value) == "$.upper: expected an object, got ['c0']"
