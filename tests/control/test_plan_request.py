"""A request's plan and best effort (issue 12, item 3): a forced plan is followed exactly, a
partial one narrows the generator's choice, one that misses the fidelity is refused unless
best effort is asked, and best effort takes the nearest plan and says so."""

from __future__ import annotations

import re
import typing

import networkx as nx
import pytest

from qrna.control import (
    Accepted,
    ConnectionSetupRequest,
    ControlError,
    Network,
    PlanRequest,
    Rejected,
    default_generator,
    links_from_graph,
)
from qrna.hardware import QNIC
from qrna.physics import SCHEMES
from qrna.rules import SWAP_ORDERS, Deliver, Promote, Purify, RuleSet, Swap, verify
from qrna.scenario._schema import Scheme

FORCED = PlanRequest("bbpssw", 1, "sequential", "double_x", 1)


def _captured(net_kwargs: dict[str, object]) -> tuple[Network, list[Accepted | Rejected]]:
    """A 4-node line (5 km links, emission fidelity 0.97, T2 = 1 s) whose Responder's answers
    are kept."""
    answers: list[Accepted | Rejected] = []

    def generator(request: ConnectionSetupRequest) -> Accepted | Rejected:
        answers.append(default_generator(request))
        return answers[-1]

    graph = nx.path_graph([f"n{i}" for i in range(4)])
    links = links_from_graph(graph, 5.0, qnic=QNIC(8, t2_s=1.0, emission_fidelity=0.97))
    return Network(links, seed=2, generator=generator, **net_kwargs), answers


def _actions(ruleset: RuleSet) -> list[list[str]]:
    """Each Stage's actions, by kind and scheme or partner."""
    out = []
    for stage in ruleset.stages:
        row = []
        for rule in stage.rules:
            a = rule.action
            if isinstance(a, Purify):
                row.append(f"purify {a.partner} {a.scheme}")
            elif isinstance(a, Swap):
                row.append(f"swap {a.left} {a.right}")
            elif isinstance(a, Promote | Deliver):
                row.append(f"{type(a).__name__.lower()} {a.partner}")
        out.append(row)
    return out


def test_a_forced_plan_is_followed_exactly_in_the_installed_rulesets() -> None:
    """Every field given (BBPSSW once per link, sequential swaps, double selection X once end
    to end): the plan and every node's RuleSet are that plan, and the pairs come."""
    net, answers = _captured({})
    c = net.request("n0", "n3", 0.5, pairs=3, memories=8, plan=FORCED)
    report = net.run(0.05).connections[c]
    (answer,) = answers
    assert isinstance(answer, Accepted)
    plan = answer.plan
    got = (plan.link_scheme, plan.link_rounds, plan.swap_order, plan.e2e_scheme, plan.e2e_rounds)
    assert got == ("bbpssw", 1, "sequential", "double_x", 1)
    assert not plan.best_effort
    rs = answer.rulesets
    assert _actions(rs["n0"]) == [
        ["purify n1 bbpssw"],
        ["promote n3"],
        ["purify n3 double_x"],
        ["deliver n3"],
    ]
    assert _actions(rs["n1"]) == [["purify n0 bbpssw", "purify n2 bbpssw"], ["swap n0 n2"]]
    assert _actions(rs["n2"]) == [["purify n1 bbpssw", "purify n3 bbpssw"], ["swap n0 n3"]]
    assert (report.status, report.delivered >= 3) == ("done", True)


def test_a_forced_segment_plan_is_followed_and_its_rulesets_verify() -> None:
    """Sequential on four nodes: n1 makes (n0, n2), which the plan purifies once by single
    selection X before n2 swaps it with the last link. The plan and every RuleSet say so,
    the RuleSets pass every interleaving with the network's latencies and discard timers,
    and the pairs come."""
    forced = PlanRequest("dejmps", 0, "sequential", "dejmps", 0, (1,), ("single_x",))
    net, answers = _captured({})
    c = net.request("n0", "n3", 0.5, pairs=3, memories=8, plan=forced)
    report = net.run(0.05).connections[c]
    (answer,) = answers
    assert isinstance(answer, Accepted)
    assert (answer.plan.segment_rounds, answer.plan.segment_schemes) == ((1,), ("single_x",))
    rs = answer.rulesets
    assert _actions(rs["n0"]) == [["purify n2 single_x"], ["deliver n3"]]
    assert _actions(rs["n1"]) == [["swap n0 n2"]]
    assert _actions(rs["n2"]) == [["purify n0 single_x", "promote n3"], ["swap n0 n3"]]
    assert _actions(rs["n3"]) == [["deliver n0"]]
    nodes = [f"n{i}" for i in range(4)]
    latencies = {(x, y): net.delay_s.delay_s(x, y) for x in nodes for y in nodes if x != y}
    assert verify(rs, latencies, chain=nodes, explore=True) == []
    assert (report.status, report.delivered >= 3) == ("done", True)


def test_a_segment_plan_for_more_levels_than_the_path_has_is_refused_saying_so() -> None:
    """Nested on four nodes has one level below the top (n2 makes (n1, n3)), and so has
    sequential (n1 makes (n0, n2)): a plan purifying level 2 cannot be followed there (levels
    listed with 0 rounds are no purification, and allowed). The refusal names the deepest
    level the plan purifies (not the length of its list) and the levels the path has."""
    cases: tuple[tuple[PlanRequest, str | None], ...] = (
        (
            PlanRequest(swap_order="nested", segment_rounds=(1, 1)),
            "the request's plan purifies segments up to swap level 2; n0-n1-n2-n3 has 1 "
            "below the top (nested)",
        ),
        (
            PlanRequest(swap_order="nested", segment_rounds=(1, 2, 0, 0)),
            "the request's plan purifies segments up to swap level 2; n0-n1-n2-n3 has 1 "
            "below the top (nested)",
        ),
        (
            PlanRequest(segment_rounds=(0, 0, 1)),
            "the request's plan purifies segments up to swap level 3; n0-n1-n2-n3 has 1 "
            "below the top (nested), 1 (sequential)",
        ),
        (PlanRequest(swap_order="nested", segment_rounds=(0, 0, 0)), None),
    )
    for plan, refusal in cases:
        net, answers = _captured({})
        net.request("n0", "n3", 0.5, pairs=1, memories=8, plan=plan)
        net.run(0.002)
        (answer,) = answers
        if refusal is None:
            assert isinstance(answer, Accepted)
            assert answer.plan.segment_rounds == ()
        else:
            assert isinstance(answer, Rejected)
            assert answer.detail == refusal


def _answer(plan: PlanRequest, fidelity: float = 0.5) -> Accepted | Rejected:
    net, answers = _captured({})
    net.request("n0", "n3", fidelity, pairs=1, memories=8, plan=plan)
    net.run(0.002)
    (answer,) = answers
    return answer


def test_a_forced_discard_timer_is_the_lowest_level_s_and_must_outlast_the_latency() -> None:
    """discard_after_s = 5 ms: the nested plan's level-1 swapper (n2, which makes (n1, n3))
    discards after 5 ms, the levels above (n1, then the ends) later; 10 µs, below the path's
    72 µs of latency (15 km of fibre), is refused."""
    answer = _answer(PlanRequest(swap_order="nested", discard_after_s=5e-3))
    assert isinstance(answer, Accepted)
    assert answer.plan.discard_after_s == 5e-3
    timers = {
        node: {
            c.seconds
            for st in rs.stages
            for r in st.rules
            for c in r.condition
            if hasattr(c, "seconds")
        }
        for node, rs in answer.rulesets.items()
    }
    assert timers["n2"] == {5e-3}
    assert min(timers["n1"]) > 5e-3
    assert min(timers["n0"]) > min(timers["n1"])
    refused = _answer(PlanRequest(discard_after_s=1e-5))
    assert isinstance(refused, Rejected)
    assert re.fullmatch(
        r"the request's plan sets discard_after_s=1e-05, not more than the one-way latency of "
        r"n0-n1-n2-n3 \(7\.2\d*e-05 s\): a partner's swap may still be on its way when a "
        r"node gives up on the pair \(spec §6\)",
        refused.detail,
    )


def test_the_fidelity_objective_takes_the_most_faithful_plan_and_min_rate_bounds_it() -> None:
    """At target 0.5 the rate objective takes the fastest plan; the fidelity objective one of
    higher fidelity and lower rate (the best the generator estimates); a minimum rate keeps
    every choice at or above it, and one above every plan's rate is refused naming the
    fastest rate that reaches the fidelity."""
    fast = _answer(PlanRequest())
    faithful = _answer(PlanRequest(objective="fidelity"))
    assert isinstance(fast, Accepted)
    assert isinstance(faithful, Accepted)
    assert faithful.plan.fidelity > fast.plan.fidelity + 0.01
    assert faithful.plan.rate_hz < fast.plan.rate_hz
    floor = fast.plan.rate_hz / 3
    bounded = _answer(PlanRequest(objective="fidelity", min_rate_hz=floor))
    assert isinstance(bounded, Accepted)
    assert floor <= bounded.plan.rate_hz
    assert faithful.plan.fidelity >= bounded.plan.fidelity > fast.plan.fidelity
    refused = _answer(PlanRequest(min_rate_hz=2 * fast.plan.rate_hz))
    assert isinstance(refused, Rejected)
    assert refused.detail == (
        f"no plan reaches fidelity 0.5 at {2 * fast.plan.rate_hz:g} pairs/s or more on "
        f"n0-n1-n2-n3; the fastest that reaches it gives {fast.plan.rate_hz:.4g} pairs/s"
    )


def test_a_partial_plan_narrows_the_choice() -> None:
    """Only the swap order given: the generator picks the rest, as it would with the order
    free, among that order's plans; without the hint it picks the faster of the two."""
    plans = {}
    for order in (None, "nested", "sequential"):
        hint = None if order is None else PlanRequest(swap_order=order)
        net, answers = _captured({})
        net.request("n0", "n3", 0.85, pairs=1, memories=8, plan=hint)
        net.run(0.002)
        (answer,) = answers
        assert isinstance(answer, Accepted)
        plans[order] = answer.plan
    assert (plans["nested"].swap_order, plans["sequential"].swap_order) == SWAP_ORDERS
    assert plans[None] == max(plans["nested"], plans["sequential"], key=lambda p: p.rate_hz)


def test_a_forced_plan_that_misses_the_fidelity_is_refused_unless_best_effort() -> None:
    """No purification forced on 4 nodes at fidelity 0.99: refused, naming the forced plan's
    estimate as "the best plan the request allows"; with best effort that very plan runs,
    marked so, with that estimate, and its pairs' true fidelity is within 0.02 of it."""
    plan = PlanRequest("dejmps", 0, "nested", "dejmps", 0)
    outcomes = {}
    for best_effort in (False, True):
        net, answers = _captured({})
        c = net.request("n0", "n3", 0.99, pairs=20, memories=8, plan=plan, best_effort=best_effort)
        result = net.run(0.05)
        outcomes[best_effort] = (answers[0], result, c)
    refused, _, _ = outcomes[False]
    assert isinstance(refused, Rejected)
    assert refused.reason.value == "fidelity_unreachable"
    head, best = refused.detail.rsplit(" gives ", 1)
    assert head.endswith("with 8 memories per QNIC; the best plan the request allows")
    taken, result, c = outcomes[True]
    assert isinstance(taken, Accepted)
    got = taken.plan
    assert (got.link_rounds, got.swap_order, got.e2e_rounds, got.best_effort) == (
        0,
        "nested",
        0,
        True,
    )
    assert f"{got.fidelity:.4f}" == best
    report = result.connections[c]
    assert (report.status, report.delivered >= 20) == ("done", True)
    assert report.mean_fidelity == pytest.approx(got.fidelity, abs=0.02)


def test_best_effort_takes_the_nearest_plan_and_says_so() -> None:
    """Fidelity 1 is out of every plan's reach (4 memories per QNIC): with best effort the
    plan of the highest estimated fidelity is taken (marked best effort, its estimate below
    the target), and the connection delivers; without best effort it is refused with that
    number."""
    results = {}
    for best_effort in (False, True):
        net, answers = _captured({})
        c = net.request("n0", "n3", 1.0, pairs=2, memories=4, best_effort=best_effort)
        report = net.run(0.05).connections[c]
        results[best_effort] = (answers[0], report)
    refused, _ = results[False]
    taken, report = results[True]
    assert isinstance(refused, Rejected)
    assert isinstance(taken, Accepted)
    best = float(refused.detail.rsplit("gives ", 1)[1])
    assert taken.plan.best_effort
    assert taken.plan.fidelity == pytest.approx(best, abs=1e-4)
    assert taken.plan.fidelity < 1.0
    assert (report.status, report.delivered >= 2) == ("done", True)


def test_a_plan_its_own_memories_never_fit_is_refused_once_saying_what_it_needs() -> None:
    """Three rounds of double selection per link by recurrence need 7 memories per QNIC; a
    request that reserves 4 can never have them: refused at the first attempt (no retry
    could help), saying what the plan needs and what the request reserves. Left open, the
    generator pumps instead: one chain holds its kept pair and two fresh ones, 3 memories."""
    net, answers = _captured({})
    forced = PlanRequest("double_z", 3, link_pumping=False)
    c = net.request("n0", "n3", 0.5, pairs=1, memories=4, plan=forced)
    report = net.run(0.05).connections[c]
    (answer,) = answers
    assert isinstance(answer, Rejected)
    assert answer.reason.value == "fidelity_unreachable"
    assert answer.detail == "the request's plan needs 7 memories per QNIC; it reserves 4"
    assert (report.status, report.attempts) == ("failed", 1)
    net, answers = _captured({})
    net.request("n0", "n3", 0.5, pairs=1, memories=4, plan=PlanRequest("double_z", 3))
    net.run(0.01)
    (answer,) = answers
    assert isinstance(answer, Accepted)
    assert (answer.plan.link_rounds, answer.plan.link_pumping) == (3, True)


def test_best_effort_never_takes_a_separable_pair() -> None:
    """Links of fidelity about 0.6 over three hops with no purification forced: every plan
    the request allows is estimated at 1/2 or less (no entanglement left), so even best
    effort refuses, with that estimate."""
    answers: list[Accepted | Rejected] = []

    def generator(request: ConnectionSetupRequest) -> Accepted | Rejected:
        answers.append(default_generator(request))
        return answers[-1]

    graph = nx.path_graph([f"n{i}" for i in range(4)])
    links = links_from_graph(graph, 5.0, qnic=QNIC(8, emission_fidelity=0.75))
    net = Network(links, seed=2, generator=generator, max_attempts=1)
    plan = PlanRequest("dejmps", 0, "nested", "dejmps", 0)
    c = net.request("n0", "n3", 0.9, pairs=1, memories=8, plan=plan, best_effort=True)
    report = net.run(0.01).connections[c]
    (answer,) = answers
    assert isinstance(answer, Rejected)
    best = float(answer.detail.rsplit("gives ", 1)[1])
    assert 0.25 < best <= 0.5
    assert report.status == "failed"


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: PlanRequest(link_scheme="dejmp"), r"^PlanRequest\.link_scheme='dejmp'; expected"),
        (
            lambda: PlanRequest(swap_order="random"),
            r"^PlanRequest\.swap_order='random'; expected one of nested, sequential$",
        ),
        (lambda: PlanRequest(e2e_rounds=-1), r"^PlanRequest\.e2e_rounds=-1 must be an integer"),
        (lambda: PlanRequest(link_rounds=True), r"^PlanRequest\.link_rounds=True must be an"),
        # Not a name at all (JSON can carry a list or an object): named, not a TypeError.
        (
            lambda: PlanRequest(link_scheme=["dejmps"]),  # type: ignore[arg-type]
            r"^PlanRequest\.link_scheme=\['dejmps'\]; expected one of bbpssw, ",
        ),
        (
            lambda: PlanRequest(e2e_scheme={"name": "dejmps"}),  # type: ignore[arg-type]
            r"^PlanRequest\.e2e_scheme=\{'name': 'dejmps'\}; expected one of bbpssw, ",
        ),
        (
            lambda: PlanRequest(segment_rounds=(1, -2)),
            r"^PlanRequest\.segment_rounds has -2; expected integers >= 0$",
        ),
        (
            lambda: PlanRequest(segment_rounds=(1,), segment_schemes=("dejmps", "bbpssw")),
            r"^PlanRequest\.segment_schemes=\['dejmps', 'bbpssw'\] needs segment_rounds with",
        ),
        (
            lambda: PlanRequest(segment_schemes=("dejmps",)),
            r"^PlanRequest\.segment_schemes=\['dejmps'\] needs segment_rounds",
        ),
        (
            lambda: PlanRequest(segment_rounds=(1,), segment_schemes=("nope",)),
            r"^PlanRequest\.segment_schemes has 'nope'; expected one of bbpssw, ",
        ),
        (
            lambda: PlanRequest(segment_rounds=3),  # type: ignore[arg-type]
            r"^PlanRequest\.segment_rounds=3; expected a list or None$",
        ),
        (
            lambda: PlanRequest(objective="cheapest"),
            r"^PlanRequest\.objective='cheapest'; expected one of rate, fidelity$",
        ),
        (
            lambda: PlanRequest(discard_after_s=0.0),
            r"^PlanRequest\.discard_after_s=0\.0 must be a finite number > 0$",
        ),
        (
            lambda: PlanRequest(min_rate_hz=float("nan")),
            r"^PlanRequest\.min_rate_hz=nan must be a finite number >= 0$",
        ),
        (
            lambda: PlanRequest(min_rate_hz="10"),  # type: ignore[arg-type]
            r"^PlanRequest\.min_rate_hz='10' must be a finite number >= 0$",
        ),
        (
            lambda: ConnectionSetupRequest("c", "a", "b", 0.9, pairs=1, best_effort=1),  # type: ignore[arg-type]
            r"^best_effort=1 must be true or false$",
        ),
    ],
)
def test_bad_plan_requests_name_the_field(build: typing.Callable[[], object], match: str) -> None:
    with pytest.raises(ControlError, match=match):
        build()


def test_the_scenario_schemes_are_the_physics_schemes() -> None:
    assert set(typing.get_args(Scheme)) == set(SCHEMES)


@pytest.mark.parametrize("link_scheme", ["bbpssw", "double_x"])
@pytest.mark.parametrize("e2e_scheme", ["single_z", "double_z"])
def test_forced_plans_of_every_scheme_pass_the_verifier(link_scheme: str, e2e_scheme: str) -> None:
    """Forced plans with two- and three-pair schemes, one round each: the RuleSets the
    generator installs pass ``verify``, exhaustive exploration included (3 nodes)."""
    answers: list[Accepted | Rejected] = []

    def generator(request: ConnectionSetupRequest) -> Accepted | Rejected:
        answers.append(default_generator(request))
        return answers[-1]

    graph = nx.path_graph(["n0", "n1", "n2"])
    links = links_from_graph(graph, 5.0, qnic=QNIC(8, t2_s=1.0, emission_fidelity=0.97))
    net = Network(links, seed=1, generator=generator)
    plan = PlanRequest(link_scheme, 1, "nested", e2e_scheme, 1)
    net.request("n0", "n2", 0.5, pairs=1, memories=8, plan=plan)
    net.run(0.003)
    (answer,) = answers
    assert isinstance(answer, Accepted)
    latencies = {(x, y): net.delay_s.delay_s(x, y) for x in graph for y in graph if x != y}
    assert verify(answer.rulesets, latencies, chain=list(graph), explore=True) == []


def test_a_segment_plan_on_three_nodes_is_refused_saying_no_level_lies_below_the_top() -> None:
    """n0-n1-n2: the one swap (n1) makes the whole path, purified end to end, so neither
    order has a segment level below the top: the refusal says 0 for each."""
    net, answers = _captured({})
    net.request("n0", "n2", 0.5, pairs=1, memories=8, plan=PlanRequest(segment_rounds=(1,)))
    net.run(0.002)
    (answer,) = answers
    assert isinstance(answer, Rejected)
    assert answer.detail == (
        "the request's plan purifies segments up to swap level 1; n0-n1-n2 has 0 below the "
        "top (nested), 0 (sequential)"
    )
