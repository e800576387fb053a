"""Plans given by a working fidelity (issue 12, item 1: "purify until"): the Responder
resolves ``PlanRequest.until`` into rounds per level from its own estimate of each level.

With memories that do not decohere and no gate noise but swap degradation, the estimate of
every level is a closed form of the physics layer's ``purify`` and ``swap``: the rounds are
checked against that hand computation on dephasing-dominated (non-Werner) links of
different fidelities, and the refusals against the purification fixed point that noisy gates
leave below the working fidelity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.control import (
    Accepted,
    ConnectionSetupRequest,
    ControlError,
    HopRecord,
    LinkState,
    PlanRequest,
    Rejected,
    RejectReason,
    default_generator,
    estimate,
)
from qrna.control._generator import _untils
from qrna.control._until import UNTIL_MAX_ROUNDS, until_grid
from qrna.physics import BellDiagonal, GateNoise, purify, swap
from qrna.rules import Purify, RuleSet, verify

LATENCY = 2.5e-5  # one way per link (5 km)
# Dephasing-dominated links (most of the error is Φ−, a Z flip), each a different state.
WEIGHTS = (
    (0.88, 0.01, 0.02, 0.09),
    (0.86, 0.02, 0.01, 0.11),
    (0.90, 0.01, 0.01, 0.08),
    (0.87, 0.02, 0.02, 0.09),
    (0.89, 0.01, 0.02, 0.08),
    (0.85, 0.02, 0.02, 0.11),
    (0.91, 0.01, 0.01, 0.07),
    (0.88, 0.02, 0.01, 0.09),
)
DEGRADATION = 0.97


def _hops(
    weights: tuple[tuple[float, float, float, float], ...],
    degradation: float = DEGRADATION,
    gate_error: float = 0.0,
    memories: int = 20,
) -> tuple[HopRecord, ...]:
    """The records of a chain n0 … nN with these link states, memories that never decohere,
    and the repeaters' swaps degraded."""
    inf = math.inf
    hops = [HopRecord("n0", None, memories, memories, gate_error, 0.0, inf, inf)]
    for i, w in enumerate(weights, 1):
        link = LinkState(f"n{i - 1}", 1000.0, w, 5.0, LATENCY)
        repeater = i < len(weights)
        hops.append(
            HopRecord(
                f"n{i}",
                link,
                memories,
                memories,
                gate_error,
                0.0,
                inf,
                inf,
                swap_degradation=degradation if repeater else 1.0,
            )
        )
    return tuple(hops)


def _request(
    hops: tuple[HopRecord, ...], target: float, plan: PlanRequest, **kwargs: bool
) -> ConnectionSetupRequest:
    responder = hops[-1].node
    memories = hops[0].free_out
    return ConnectionSetupRequest(
        "c", "n0", responder, target, pairs=5, memories=memories, hops=hops, plan=plan, **kwargs
    )


def _rounds(
    state: BellDiagonal, rounds: int, noise: GateNoise | None = None, scheme: str = "dejmps"
) -> BellDiagonal:
    """``rounds`` rounds of recurrence, each on two copies of the last round's pair."""
    pair = None if noise is None else (noise, noise)
    for _ in range(rounds):
        _, kept = purify(state, state, scheme, pair)
        assert kept is not None
        state = kept
    return state


def _fewest(states: list[BellDiagonal], aim: float, scheme: str = "dejmps") -> int | None:
    """The fewest rounds (at most the cap) after which every state is ≥ ``aim``."""
    for r in range(UNTIL_MAX_ROUNDS + 1):
        if min(_rounds(s, r, scheme=scheme).fidelity for s in states) >= aim:
            return r
    return None


def _by_hand(
    weights: tuple[tuple[float, float, float, float], ...],
    until: float,
    target: float,
    schemes: tuple[str, ...] = (),
    degradation: float = DEGRADATION,
) -> tuple[int, list[int], int, float] | str:
    """A nested chain of 2^k links resolved with the closed forms: (link rounds, rounds per
    level below the top, end-to-end rounds, delivered fidelity), or the first level short.
    ``schemes``: the segment levels' from level 1 up (past the list: DEJMPS)."""
    noise = GateNoise(swap_degradation=degradation)
    states = [BellDiagonal(*w) for w in weights]
    link = _fewest(states, until)
    if link is None:
        return "the link level"
    states = [_rounds(s, link) for s in states]
    levels = []
    while len(states) > 2:  # each swap level below the top halves the segments
        states = [swap(a, b, noise) for a, b in zip(states[::2], states[1::2], strict=True)]
        scheme = schemes[len(levels)] if len(levels) < len(schemes) else "dejmps"
        r = _fewest(states, until, scheme)
        if r is None:
            return f"swap level {len(levels) + 1}"
        levels.append(r)
        states = [_rounds(s, r, scheme=scheme) for s in states]
    top = swap(states[0], states[1], noise)
    e2e = _fewest([top], target)
    if e2e is None:
        return "end to end"
    return link, levels, e2e, _rounds(top, e2e).fidelity


def _accepted(request: ConnectionSetupRequest) -> Accepted:
    answer = default_generator(request)
    assert isinstance(answer, Accepted), answer
    return answer


def _purify_partners(ruleset: RuleSet) -> list[str]:
    """The partner of each Stage's purification, Stage by Stage (one per Stage that purifies)."""
    out = []
    for stage in ruleset.stages:
        partners = {r.action.partner for r in stage.rules if isinstance(r.action, Purify)}
        out += sorted(partners)
    return out


def test_rounds_per_level_are_the_closed_form_s_on_nine_nodes() -> None:
    """Nested on nine nodes, working fidelity 0.98, target 0.95: DEJMPS twice at link level,
    twice at swap level 1, once at swap level 2 and once end to end, as the closed forms say;
    the plan's estimate is the closed form's delivered fidelity, the installed RuleSets show
    the rounds (n0 purifies with n1 twice, n2 twice, n4 once, n8 once; n4, an end of level-2
    segments only, with n0 and n8 once each after purifying its level-1 segments twice), and
    they verify."""
    hops = _hops(WEIGHTS)
    plan = PlanRequest(swap_order="nested", link_pumping=False, e2e_pumping=False, until=0.98)
    answer = _accepted(_request(hops, 0.95, plan))
    hand = _by_hand(WEIGHTS, 0.98, 0.95)
    assert hand == (2, [2, 1], 1, pytest.approx(answer.plan.fidelity, abs=1e-12))
    p = answer.plan
    assert (p.link_rounds, p.segment_rounds, p.e2e_rounds) == (2, (2, 1), 1)
    assert (p.until, p.best_effort, p.shortfall) == (0.98, False, "")
    assert _purify_partners(answer.rulesets["n0"]) == ["n1", "n1", "n2", "n2", "n4", "n8"]
    assert _purify_partners(answer.rulesets["n4"]) == [
        "n3",
        "n5",
        "n3",
        "n5",
        "n2",
        "n6",
        "n2",
        "n6",
        "n0",
        "n8",
    ]
    nodes = [h.node for h in hops]
    latencies = {
        (a, b): LATENCY * abs(i - j)
        for i, a in enumerate(nodes)
        for j, b in enumerate(nodes)
        if a != b
    }
    assert verify(answer.rulesets, latencies, chain=nodes) == []


def test_a_lower_working_fidelity_needs_fewer_rounds_and_each_level_is_minimal() -> None:
    """Working fidelity 0.9 on the same chain: one round at link level and at each swap
    level, end to end once for 0.9 and none for 0.8; one round fewer at any level leaves it
    below 0.9 (the closed form says so too)."""
    hops = _hops(WEIGHTS)
    plan = PlanRequest(swap_order="nested", link_pumping=False, e2e_pumping=False, until=0.9)
    for target, e2e in ((0.9, 1), (0.8, 0)):
        p = _accepted(_request(hops, target, plan)).plan
        assert (p.link_rounds, p.segment_rounds, p.e2e_rounds) == (1, (1, 1), e2e)
        hand = _by_hand(WEIGHTS, 0.9, target)
        assert hand == (1, [1, 1], e2e, pytest.approx(p.fidelity, abs=1e-12))
    # Without link purification the worst link (0.85) is below 0.9: the round is needed.
    assert min(w[0] for w in WEIGHTS) < 0.9


def test_a_fixed_point_below_the_working_fidelity_is_refused_naming_the_level() -> None:
    """CNOT error 2 % at every node: DEJMPS on these links levels off near 0.96, so no number
    of link rounds reaches 0.99. The refusal names the link level, the best fidelity of
    rounds 0–4 (the closed form with the ends' gate noise) and the working fidelity."""
    hops = _hops(WEIGHTS[:4], gate_error=0.02)
    noise = GateNoise(cnot_error=0.02)
    states = [BellDiagonal(*w) for w in WEIGHTS[:4]]
    reached = max(
        min(_rounds(s, r, noise).fidelity for s in states) for r in range(UNTIL_MAX_ROUNDS + 1)
    )
    assert 0.9 < reached < 0.99
    plan = PlanRequest(swap_order="nested", link_pumping=False, e2e_pumping=False, until=0.99)
    answer = default_generator(_request(hops, 0.9, plan))
    assert isinstance(answer, Rejected)
    assert answer.reason is RejectReason.FIDELITY_UNREACHABLE
    assert answer.detail == (
        "the request's plan purifies each level until 0.99; on n0-n1-n2-n3-n4 (nested): the "
        f"link level reaches {reached:.4f} at most (up to 4 rounds of dejmps; the cap is 4), "
        "below the working fidelity 0.99"
    )


def test_too_few_memories_for_a_level_are_refused_and_best_effort_takes_the_nearest() -> None:
    """Four memories per QNIC on five nodes at working fidelity 0.98: two link rounds
    (needing 3 memories) reach it, then swap level 1 may take one round more (4) and is
    short. The refusal says so; best effort takes that round and keeps the shortfall for
    the report: the plan still reaches 0.9 (not best effort by its fidelity). For 0.95 no
    resolution reaches the target; the nearest holds the end memories for one end-to-end
    round instead (leaving swap level 1 none), and is taken as best effort."""
    weights = WEIGHTS[:4]
    hops = _hops(weights, memories=4)
    plan = PlanRequest(swap_order="nested", link_pumping=False, e2e_pumping=False, until=0.98)
    noise = GateNoise(swap_degradation=DEGRADATION)
    links = [_rounds(BellDiagonal(*w), 2) for w in weights]
    assert (
        min(s.fidelity for s in links)
        >= 0.98
        > min(_rounds(BellDiagonal(*w), 1).fidelity for w in weights)
    )
    level = [swap(links[0], links[1], noise), swap(links[2], links[3], noise)]
    reached = max(min(_rounds(s, r).fidelity for s in level) for r in (0, 1))
    assert reached < 0.98 <= min(_rounds(s, 2).fidelity for s in level)
    why = (
        f"swap level 1 reaches {reached:.4f} at most (up to 1 round of dejmps; 4 memories "
        "per QNIC allow no more), below the working fidelity 0.98"
    )
    answer = default_generator(_request(hops, 0.9, plan))
    assert isinstance(answer, Rejected)
    assert answer.detail == (
        f"the request's plan purifies each level until 0.98; on n0-n1-n2-n3-n4 (nested): {why}"
    )
    top = swap(_rounds(level[0], 1), _rounds(level[1], 1), noise)
    p = _accepted(_request(hops, 0.9, plan, best_effort=True)).plan
    assert (p.link_rounds, p.segment_rounds, p.e2e_rounds) == (2, (1,), 0)
    assert (p.best_effort, p.shortfall, p.until) == (False, why, 0.98)
    assert p.fidelity == pytest.approx(top.fidelity, abs=1e-12)
    assert 0.9 < top.fidelity < 0.95
    p = _accepted(_request(hops, 0.95, plan, best_effort=True)).plan
    once = _rounds(swap(level[0], level[1], noise), 1).fidelity
    assert top.fidelity < once < 0.95
    assert (p.link_rounds, p.segment_rounds, p.e2e_rounds) == (2, (), 1)
    assert p.fidelity == pytest.approx(once, abs=1e-12)
    assert (p.best_effort, p.until) == (True, 0.98)
    assert p.shortfall == (
        f"swap level 1 reaches {min(s.fidelity for s in level):.4f} at most (up to 0 rounds "
        "of dejmps; 4 memories per QNIC allow no more), below the working fidelity 0.98"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"until": 0.4}, "PlanRequest.until=0.4 must be a number in (0.5, 1)"),
        ({"until": 1.0}, "PlanRequest.until=1.0 must be a number in (0.5, 1)"),
        ({"until": 0.5}, "PlanRequest.until=0.5 must be a number in (0.5, 1)"),
        ({"until": "x"}, "PlanRequest.until='x' must be a number in (0.5, 1)"),
        ({"until": True}, "PlanRequest.until=True must be a number in (0.5, 1)"),
        (
            {"until": 0.9, "link_rounds": 1},
            "PlanRequest.until=0.9 and PlanRequest.link_rounds=1 both fix rounds: give one of them",
        ),
        (
            {"until": 0.9, "segment_rounds": [1, 0]},
            "PlanRequest.until=0.9 and PlanRequest.segment_rounds=[1, 0] both fix rounds: "
            "give one of them",
        ),
        # A tuple, as the typed API gives it, reads as the list JSON would give.
        (
            {"until": 0.9, "segment_rounds": (2,)},
            "PlanRequest.until=0.9 and PlanRequest.segment_rounds=[2] both fix rounds: "
            "give one of them",
        ),
        (
            {"until": 0.9, "e2e_rounds": 0},
            "PlanRequest.until=0.9 and PlanRequest.e2e_rounds=0 both fix rounds: give one of them",
        ),
    ],
)
def test_a_bad_working_fidelity_is_refused_naming_the_fields(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ControlError) as info:
        PlanRequest(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_segment_schemes_with_until_say_how_each_level_purifies() -> None:
    """With ``until``, segment_schemes lists levels from 1 up without rounds: BBPSSW at swap
    level 1 (level 2 past the list: DEJMPS). BBPSSW twirls its output to Werner form, so
    level 1 takes three rounds where DEJMPS took two, level 2 then two where it took one,
    and the end-to-end pair needs none (DEJMPS: one); the plan's estimate is the closed
    form's and ``estimate``'s of the resolved plan."""
    hops = _hops(WEIGHTS)
    plan = PlanRequest(
        swap_order="nested",
        link_pumping=False,
        e2e_pumping=False,
        segment_schemes=("bbpssw",),
        until=0.98,
    )
    p = _accepted(_request(hops, 0.95, plan)).plan
    hand = _by_hand(WEIGHTS, 0.98, 0.95, ("bbpssw",))
    assert not isinstance(hand, str)
    assert hand == (2, [3, 2], 0, pytest.approx(p.fidelity, abs=1e-12))
    assert (p.link_rounds, p.segment_rounds, p.e2e_rounds) == (2, (3, 2), 0)
    assert p.segment_schemes == ("bbpssw", "dejmps")
    fidelity, rate = estimate(
        hops,
        p.link_scheme,
        p.link_rounds,
        p.swap_order,
        p.e2e_scheme,
        p.e2e_rounds,
        20,
        segment_rounds=p.segment_rounds,
        segment_schemes=p.segment_schemes,
    )
    assert (p.fidelity, p.rate_hz) == pytest.approx((fidelity, rate), rel=1e-12)


def test_the_search_grid_is_the_target_and_values_up_to_0_99() -> None:
    assert until_grid(0.9) == (0.9, 0.93, 0.96, 0.99)
    assert until_grid(0.99) == (0.99,)
    # 0.4 itself is no working fidelity (a pair of fidelity ½ or less is separable).
    assert until_grid(0.4) == (0.596667, 0.793333, 0.99)
    # Near 0.99 the thirds are small, and nothing past 0.99 is added however close the target.
    assert until_grid(0.97) == (0.97, 0.976667, 0.983333, 0.99)
    # Working fidelities lie in (0.5, 1): a target of 1 leaves none.
    assert until_grid(1.0) == ()


_fidelity = st.floats(0.75, 0.97)
_dephasing = st.floats(0.5, 0.95)  # the share of the error that is Φ−


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(_fidelity, _dephasing), min_size=4, max_size=4),
    st.floats(0.8, 0.99),
    st.floats(0.6, 0.97),
)
def test_resolved_rounds_are_minimal_at_every_level(
    links: list[tuple[float, float]], until: float, target: float
) -> None:
    """For random link states on five nodes: the generator resolves what the closed form
    resolves (the same rounds per level, or a refusal naming the same level), so each level
    reaches its aim and one round fewer would leave it below."""
    weights = tuple(
        (f, (1 - f) * (1 - d) / 2, (1 - f) * (1 - d) / 2, (1 - f) * d) for f, d in links
    )
    hops = _hops(weights)
    plan = PlanRequest(swap_order="nested", link_pumping=False, e2e_pumping=False, until=until)
    answer = default_generator(_request(hops, target, plan))
    hand = _by_hand(weights, until, target)
    if isinstance(hand, str):
        assert isinstance(answer, Rejected)
        assert f": {hand} reaches " in answer.detail
        return
    assert isinstance(answer, Accepted), answer
    p = answer.plan
    assert (p.link_rounds, list(p.segment_rounds) or [0], p.e2e_rounds) == hand[:3]
    assert p.fidelity == pytest.approx(hand[3], abs=1e-12)
    # Minimal: one round fewer at the link level leaves a link below the working fidelity.
    if p.link_rounds:
        worst = min(_rounds(BellDiagonal(*w), p.link_rounds - 1).fidelity for w in weights)
        assert worst < until


def test_until_rulesets_pass_every_interleaving_the_verifier_explores() -> None:
    """Four nodes at working fidelity 0.9 (either order allowed): one link round (the raw
    links, 0.86 to 0.90, are not all there; one DEJMPS round brings each above), one at the
    single swap level below the top, none end to end for 0.8; the RuleSets pass the
    verifier's exhaustive exploration."""
    hops = _hops(WEIGHTS[:3])
    plan = PlanRequest(link_pumping=False, e2e_pumping=False, until=0.9)
    answer = _accepted(_request(hops, 0.8, plan))
    p = answer.plan
    assert (p.link_rounds, p.segment_rounds, p.e2e_rounds) == (1, (1,), 0)
    states = [BellDiagonal(*w) for w in WEIGHTS[:3]]
    assert _fewest(states, 0.9) == 1
    nodes = [h.node for h in hops]
    latencies = {
        (a, b): LATENCY * abs(i - j)
        for i, a in enumerate(nodes)
        for j, b in enumerate(nodes)
        if a != b
    }
    assert verify(answer.rulesets, latencies, chain=nodes, explore=True) == []


def test_the_search_gives_a_deep_chain_rounds_per_level() -> None:
    """33 nodes, nested: four levels below the top, where the search by rounds gives every
    level the same rounds. Good links (0.985, mostly dephased) and swaps degraded 1 % each:
    the low levels need less purification than the high ones. The search's working-fidelity
    grid finds a plan whose rounds differ by level (the closed form's resolution of its
    working fidelity) and more than twice as fast as the best nested plan with the same
    rounds at every level."""
    weights = ((0.985, 0.002, 0.003, 0.01),) * 32
    hops = _hops(weights, degradation=0.99)
    answer = _accepted(
        ConnectionSetupRequest("c", "n0", "n32", 0.9, pairs=5, memories=20, hops=hops)
    )
    p = answer.plan
    assert p.swap_order == "nested"
    assert p.until in until_grid(0.9)
    levels = list(p.segment_rounds) + [0] * (4 - len(p.segment_rounds))
    assert len(set(levels)) > 1
    hand = _by_hand(weights, p.until, 0.9, degradation=0.99)
    assert hand == (p.link_rounds, levels, p.e2e_rounds, pytest.approx(p.fidelity, abs=1e-12))
    uniform = 0.0
    for link in range(4):
        for rounds in range(3):
            for e2e in range(3):
                fidelity, rate = estimate(
                    hops, "dejmps", link, "nested", "dejmps", e2e, 20, segment_rounds=(rounds,) * 4
                )
                if fidelity >= 0.9:
                    uniform = max(uniform, rate)
    assert p.rate_hz > 2 * uniform > 0


def test_an_end_to_end_level_short_of_the_target_is_refused_naming_it() -> None:
    """Three nodes, three memories per QNIC: the links (0.90, 0.91) are above the working
    fidelity 0.85 (no link rounds, no level below the top), and end to end two rounds fit
    the memories; the swapped pair after two DEJMPS rounds is below the target 0.99."""
    weights = (WEIGHTS[2], WEIGHTS[6])
    hops = _hops(weights, memories=3)
    top = swap(
        BellDiagonal(*weights[0]),
        BellDiagonal(*weights[1]),
        GateNoise(swap_degradation=DEGRADATION),
    )
    reached = _rounds(top, 2).fidelity
    assert _rounds(top, 1).fidelity < reached < 0.99
    plan = PlanRequest(swap_order="nested", link_pumping=False, e2e_pumping=False, until=0.85)
    answer = default_generator(_request(hops, 0.99, plan))
    assert isinstance(answer, Rejected)
    assert answer.detail == (
        "the request's plan purifies each level until 0.85; on n0-n1-n2 (nested): end to end "
        f"reaches {reached:.4f} at most (up to 2 rounds of dejmps; 3 memories per QNIC allow "
        "no more), below the target 0.99"
    )


def test_until_with_a_meas_end_is_refused_saying_it_cannot_purify() -> None:
    """A MEAS Responder holds no qubits to purify with: no level may purify, so links of
    0.88 and 0.86 stay below the working fidelity 0.87 and the refusal says why."""
    hops = list(_hops(WEIGHTS[:2]))
    hops[-1] = HopRecord("n2", hops[-1].link_in, 20, 20, 0.0, 0.0, math.inf, math.inf, is_meas=True)
    plan = PlanRequest(swap_order="nested", link_pumping=False, e2e_pumping=False, until=0.87)
    answer = default_generator(_request(tuple(hops), 0.7, plan))
    assert isinstance(answer, Rejected)
    assert answer.detail == (
        "the request's plan purifies each level until 0.87; on n0-n1-n2 (nested): the link "
        "level reaches 0.8600 at most (up to 0 rounds of dejmps; no level may purify), below "
        "the working fidelity 0.87 (n2 is a MEAS node: it holds no qubits to purify with)"
    )


def test_the_search_grid_follows_what_the_request_fixes() -> None:
    """On a 33-node path (nested: four levels below the top; sequential: thirty) the grid
    is weighed in both orders, at every grid value, with the request's pumping flags and
    schemes; a request that fixes any rounds gets none, and a 9-node path nested (two
    levels below the top) only in the sequential order (six)."""
    hops = _hops(((0.985, 0.002, 0.003, 0.01),) * 32)
    plan = PlanRequest(link_scheme="bbpssw", link_pumping=True, e2e_pumping=True)
    specs = _untils(_request(hops, 0.9, plan), meas_end=False)
    assert [(u.swap_order, u.until) for u in specs] == [
        (order, u) for order in ("nested", "sequential") for u in until_grid(0.9)
    ]
    assert {(u.link_scheme, u.link_pumping, u.e2e_pumping, u.max_e2e_rounds) for u in specs} == {
        ("bbpssw", True, True, 2)
    }
    assert _untils(_request(hops, 0.9, PlanRequest(e2e_rounds=1)), meas_end=False) == []
    nine = _untils(_request(_hops(WEIGHTS), 0.9, PlanRequest()), meas_end=False)
    assert {u.swap_order for u in nine} == {"sequential"}


def test_pumping_asked_for_levels_resolved_to_one_round_or_none_is_recurrence() -> None:
    """Pumping asked for at link level and end to end, but the links (0.90, 0.91) are above
    the working fidelity 0.85 and the swapped pair above 0.8 (no rounds), or one end-to-end
    round reaches 0.85: fewer than two rounds are the same either way, and the plan says
    recurrence (as the search's plans do)."""
    weights = (WEIGHTS[2], WEIGHTS[6])
    hops = _hops(weights)
    plan = PlanRequest(link_pumping=True, e2e_pumping=True, until=0.85)
    top = swap(
        BellDiagonal(*weights[0]),
        BellDiagonal(*weights[1]),
        GateNoise(swap_degradation=DEGRADATION),
    )
    assert 0.8 < top.fidelity < 0.85 < _rounds(top, 1).fidelity
    for target, e2e in ((0.8, 0), (0.85, 1)):
        p = _accepted(_request(hops, target, plan)).plan
        assert (p.link_rounds, p.e2e_rounds, p.link_pumping, p.e2e_pumping) == (
            0,
            e2e,
            False,
            False,
        )
