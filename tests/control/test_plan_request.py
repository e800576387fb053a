"""A request's plan and best effort (issue 12, item 3): a forced plan is followed exactly, a
partial one narrows the generator's choice, one that misses the fidelity is refused unless
best effort is asked, and best effort takes the nearest plan and says so."""

from __future__ import annotations

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
from qrna.rules import Deliver, Promote, Purify, RuleSet, Swap, verify
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


def test_a_partial_plan_narrows_the_choice() -> None:
    """Only the swap order given: the generator picks the rest, as it would with the order
    free, among the sequential plans; without the hint it picks nested."""
    orders = {}
    for hint in (None, PlanRequest(swap_order="sequential")):
        net, answers = _captured({})
        net.request("n0", "n3", 0.85, pairs=1, memories=8, plan=hint)
        net.run(0.002)
        (answer,) = answers
        assert isinstance(answer, Accepted)
        orders[hint is None] = answer.plan.swap_order
    assert orders == {True: "nested", False: "sequential"}


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
    """Three rounds of double selection per link need 7 memories per QNIC; a request that
    reserves 4 can never have them: refused at the first attempt (no retry could help),
    saying what the plan needs and what the request reserves."""
    net, answers = _captured({})
    c = net.request("n0", "n3", 0.5, pairs=1, memories=4, plan=PlanRequest("double_z", 3))
    report = net.run(0.05).connections[c]
    (answer,) = answers
    assert isinstance(answer, Rejected)
    assert answer.reason.value == "fidelity_unreachable"
    assert answer.detail == "the request's plan needs 7 memories per QNIC; it reserves 4"
    assert (report.status, report.attempts) == ("failed", 1)


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
