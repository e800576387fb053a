"""``default_generator`` fuzzed on random connection setup requests: paths of 2–40 hops
(and one of 500), links with and without their hardware timing (``p_success``, ``round_s``,
``slot_s``, ``reinit_s``), targets 0.5–0.99, 1–20 memories, with and without a
``PlanRequest`` (fixed fields, segment rounds, objective, minimum rate, discard timer) and
best effort.

Every request must end in ``Accepted`` or ``Rejected``, never an exception. An accepted plan
carries exactly the numbers ``estimate`` gives for it, follows what the request fixed,
reaches the target unless taken as best effort (then above 1/2, entangled), and meets the
minimum rate; a refusal is one of the generator's documented ones.

The suite runs a few derandomised examples; ``HYPOTHESIS_PROFILE=explore`` (and
``GENERATOR_FUZZ_EXAMPLES``) many more, with fresh ones.
"""

from __future__ import annotations

import math
import os
import re

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qrna.control import LinkState, estimate
from qrna.control._generator import Accepted, Rejected, default_generator
from qrna.control._messages import (
    ConnectionSetupRequest,
    HopRecord,
    PlanRequest,
    RejectReason,
)
from qrna.control._until import UNTIL_MAX_ROUNDS
from qrna.rules import SWAP_ORDERS

_EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"
EXAMPLES = int(os.environ.get("GENERATOR_FUZZ_EXAMPLES", "300" if _EXPLORE else "8"))

# The generator's refusals (its docstring and code), each with its reason.
REFUSALS = (
    (RejectReason.NO_RESOURCES, r"a QNIC on the path has no free memory"),
    (RejectReason.FIDELITY_UNREACHABLE, r"the request's plan sets discard_after_s="),
    (RejectReason.FIDELITY_UNREACHABLE, r"the request's plan purifies segments up to swap"),
    (RejectReason.FIDELITY_UNREACHABLE, r"the request's plan needs \d+ memories per QNIC"),
    (RejectReason.NO_RESOURCES, r"no plan the request allows fits \d+ free memories"),
    (RejectReason.FIDELITY_UNREACHABLE, r"no plan delivers pairs on .*: its swaps never"),
    (RejectReason.FIDELITY_UNREACHABLE, r"no plan reaches fidelity \S+ at \S+ pairs/s or"),
    (RejectReason.FIDELITY_UNREACHABLE, r"fidelity \S+ is out of reach on .* the best plan"),
    (
        RejectReason.FIDELITY_UNREACHABLE,
        r"the request's plan purifies each level until \S+; on .* \((nested|sequential)\): "
        r"(the link level|swap level \d+|end to end) reaches \d\.\d{4} at most \(up to \d ",
    ),
)


@st.composite
def _weights(draw: st.DrawFn) -> tuple[float, float, float, float]:
    """Fidelity 0.7-1 with its error split unevenly over Ψ−, Ψ+, Φ−."""
    error = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.3)))
    split = draw(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3))
    return (1 - error, *(error * x / sum(split) for x in split))  # type: ignore[return-value]


def _log_floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(lambda x: min(high, 10.0**x))


@st.composite
def _link(draw: st.DrawFn, neighbour: str) -> LinkState:
    timed = draw(st.booleans())
    return LinkState(
        neighbour,
        draw(_log_floats(1.0, 1e6)),
        draw(_weights()),
        draw(st.floats(0.0, 200.0)),
        draw(st.one_of(st.just(0.0), _log_floats(1e-7, 1e-3))),
        # The link's hardware, or left at "not known".
        p_success=draw(_log_floats(1e-4, 1.0)) if timed else 0.0,
        round_s=draw(st.one_of(st.just(0.0), _log_floats(1e-7, 1e-3))) if timed else 0.0,
        slot_s=draw(st.one_of(st.just(0.0), _log_floats(1e-9, 1e-5))) if timed else 0.0,
        reinit_s=draw(st.one_of(st.just(0.0), _log_floats(1e-7, 1e-3))) if timed else 0.0,
    )


@st.composite
def _hop(draw: st.DrawFn, i: int, link: LinkState | None) -> HopRecord:
    return HopRecord(
        f"n{i}",
        link,
        draw(st.integers(0, 20)) if draw(st.integers(0, 9)) == 0 else 20,
        20,
        draw(st.sampled_from((0.0, 0.01))),
        draw(st.sampled_from((0.0, 0.005))),
        draw(st.sampled_from((math.inf, 0.5, 5.0))),
        draw(st.sampled_from((math.inf, 0.01, 1.0))),
        swap_degradation=draw(st.sampled_from((1.0, 0.97))),
        swap_success_probability=draw(st.sampled_from((1.0, 0.5))),
    )


@st.composite
def _paths(draw: st.DrawFn) -> tuple[HopRecord, ...]:
    hops_n = draw(st.one_of(st.integers(2, 8), st.integers(2, 40)))
    # A few kinds of link and node, so that long paths stay cheap to draw.
    links = draw(st.lists(_link("x"), min_size=1, max_size=3))
    nodes = draw(st.lists(_hop(0, None), min_size=1, max_size=3))
    hops = []
    for i in range(hops_n + 1):
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        link = None
        if i:
            kind = links[draw(st.integers(0, len(links) - 1))]
            link = LinkState(
                f"n{i - 1}",
                kind.rate_hz,
                kind.weights,
                kind.length_km,
                kind.latency_s,
                kind.p_success,
                kind.round_s,
                kind.slot_s,
                kind.reinit_s,
            )
        hops.append(
            HopRecord(
                f"n{i}",
                link,
                node.free_in,
                node.free_out,
                node.gate_error,
                node.readout_error,
                node.t1_s,
                node.t2_s,
                swap_degradation=node.swap_degradation,
                swap_success_probability=node.swap_success_probability,
            )
        )
    return tuple(hops)


def _maybe(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), strategy)


@st.composite
def plan_requests(draw: st.DrawFn) -> PlanRequest:
    """A request's plan: any field given or left open; segment rounds with or without their
    pumping flags (one per level)."""
    until = draw(_maybe(st.floats(0.51, 0.99)))
    levels = draw(_maybe(st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=4)))
    if until is not None:  # a working fidelity instead of rounds
        levels = None
    pumped = levels is not None and draw(st.booleans())
    rounds = st.none() if until is not None else _maybe(st.integers(0, 3))
    return PlanRequest(
        link_rounds=draw(rounds),  # type: ignore[arg-type]
        swap_order=draw(_maybe(st.sampled_from(SWAP_ORDERS))),
        e2e_rounds=draw(rounds),  # type: ignore[arg-type]
        segment_rounds=None if levels is None else tuple(r for r, _ in levels),
        segment_pumping=tuple(p for _, p in levels) if levels is not None and pumped else None,
        link_pumping=draw(_maybe(st.booleans())),
        e2e_pumping=draw(_maybe(st.booleans())),
        discard_after_s=draw(_maybe(_log_floats(1e-6, 10.0))),
        objective=draw(_maybe(st.sampled_from(("rate", "fidelity")))),
        min_rate_hz=draw(_maybe(st.one_of(st.just(0.0), _log_floats(1e-3, 1e6)))),
        until=until,  # type: ignore[arg-type]
    )


def _check(
    hops: tuple[HopRecord, ...],
    target: float,
    memories: int,
    plan: PlanRequest | None,
    best_effort: bool,
) -> str:
    """Ask ``default_generator``, check its answer; the answer's kind."""
    request = ConnectionSetupRequest(
        "c",
        hops[0].node,
        hops[-1].node,
        target,
        pairs=5,
        memories=memories,
        hops=hops,
        plan=plan,
        best_effort=best_effort,
    )
    result = default_generator(request)
    if isinstance(result, Rejected):
        assert any(
            result.reason == reason and re.match(pattern, result.detail)
            for reason, pattern in REFUSALS
        ), result
        return "Rejected"
    assert isinstance(result, Accepted)
    got = result.plan
    fidelity, rate = estimate(
        hops,
        got.link_scheme,
        got.link_rounds,
        got.swap_order,
        got.e2e_scheme,
        got.e2e_rounds,
        result.memories,
        segment_rounds=got.segment_rounds,
        segment_schemes=got.segment_schemes,
        link_pumping=got.link_pumping,
        segment_pumping=got.segment_pumping or None,
        e2e_pumping=got.e2e_pumping,
    )
    assert (got.fidelity, got.rate_hz) == (fidelity, rate)
    assert math.isfinite(rate), got
    assert rate > 0, got
    assert math.isfinite(got.discard_after_s), got
    assert got.discard_after_s > 0, got
    assert 1 <= result.memories <= memories
    if got.best_effort:
        assert best_effort, got
        assert 0.5 < fidelity < target, got
    else:
        assert fidelity >= target, got
    if plan is not None:
        for name in ("link_rounds", "swap_order", "e2e_rounds", "discard_after_s"):
            if getattr(plan, name) is not None:
                assert getattr(got, name) == getattr(plan, name), (name, got, plan)
        if plan.segment_rounds is not None:
            # The plan's levels, unpurified levels at the top left off.
            n = len(got.segment_rounds)
            assert tuple(plan.segment_rounds[:n]) == got.segment_rounds, (got, plan)
            assert not any(plan.segment_rounds[n:]), (got, plan)
            if plan.segment_pumping is not None:
                flags = got.segment_pumping or (False,) * n
                assert flags == tuple(plan.segment_pumping[:n]), (got, plan)
        for name, rounds in (("link_pumping", got.link_rounds), ("e2e_pumping", got.e2e_rounds)):
            if getattr(plan, name) is not None:  # forced; one round is recurrence either way
                assert getattr(got, name) == (getattr(plan, name) and rounds >= 2), (got, plan)
        if plan.min_rate_hz is not None:
            assert rate >= plan.min_rate_hz, (got, plan)
        if plan.until is not None:  # resolved: at most the cap's rounds at every level
            assert got.until == plan.until, (got, plan)
            levels = (got.link_rounds, *got.segment_rounds, got.e2e_rounds)
            assert max(levels) <= UNTIL_MAX_ROUNDS, (got, plan)
            assert not got.shortfall or best_effort, (got, plan)
    return "Accepted best effort" if got.best_effort else "Accepted"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    _paths(),
    st.floats(0.5, 0.99),
    st.integers(1, 20),
    _maybe(plan_requests()),
    st.booleans(),
)
def test_default_generator_accepts_what_estimate_says_or_refuses_as_documented(
    hops: tuple[HopRecord, ...],
    target: float,
    memories: int,
    plan: PlanRequest | None,
    best_effort: bool,
) -> None:
    kind = _check(hops, target, memories, plan, best_effort)  # type: ignore[arg-type]
    event(f"{kind} hops={'≤8' if len(hops) <= 9 else '9-40'}")


def test_a_500_hop_path() -> None:
    """One long chain of timed links, every plan weighed (the longest path the suite asks
    the generator about)."""
    weights = (0.9994, 0.0002, 0.0002, 0.0002)
    link = LinkState("x", 2000.0, weights, 5.0, 2.5e-5, 0.05, 5e-5, 1e-8, 1e-6)
    hops = tuple(
        HopRecord(
            f"n{i}",
            None if i == 0 else LinkState(f"n{i - 1}", *[getattr(link, f) for f in _FIELDS]),
            8,
            8,
            0.0,
            0.0,
            math.inf,
            100.0,
        )
        for i in range(501)
    )
    assert _check(hops, 0.5, 8, None, False) == "Accepted"


_FIELDS = ("rate_hz", "weights", "length_km", "latency_s", "p_success", "round_s")
_FIELDS += ("slot_s", "reinit_s")
