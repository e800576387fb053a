"""Networks of networks (issue 13), fuzzed: scenarios with nested networks, and nested layers
on a chain.

The scenario part draws a tree of networks up to three deep, each with listed nodes (joined
in a chain or a star by its own links) or a generated chain or star, sometimes its own
default QNIC, and links, listed by the network holding both ends with names relative to it,
that join its own nodes and its networks' nodes at any depth (links between networks at
different levels). Two hosts at the top link to nodes anywhere; one asks the other for pairs,
and the other a node anywhere (a descent into the networks). Listed nodes are typed by
their links, as generated ones are. A third of the drawn scenarios get one mistake (an
unknown or outward link end, a node named like a network or with a dot, a network listed
twice, a network not linked inside, a relaying border typed COMP, a link to itself, a
network named like a generated node beside it, a one-node COMP network inside a larger one
and linked out of both).

Every drawn scenario is either refused with a ``ScenarioError`` whose field exists in the
file (or in the validated scenario, for a default such as the top-level ``qnic``), or it
runs, and then: each connection ends with a status a user is told about; a ``done`` one met
its fidelity target; nothing a finished connection had is left behind at any layer
(``Network.leaks``, as the scenario fuzzer checks it); a second run is the same event for
event (trace digest); and the flat twin (every node under its full name with its resolved
QNIC, every link by full names) is a valid scenario that runs too.

The chain part draws a laminar family of stretches (nested up to three layers below the
top, or side by side) on a chain of 4-8 nodes, each layer purifying its links or its ends'
pairs once or not at all: every pair the top delivers is exactly the composition of what
each layer does, in whole Bell-diagonal weights.

The suite runs a few derandomised examples; ``HYPOTHESIS_PROFILE=explore`` (and
``NETWORKS_FUZZ_EXAMPLES``) many more, with fresh ones.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qrna.internet import hand_over
from qrna.kernel import TraceRecorder
from qrna.link import herald_model
from qrna.physics import BellDiagonal, purify, swap
from qrna.rules import ChainSimulation, RuleSet, chain_rulesets
from qrna.scenario import Scenario, ScenarioError, build_links, listing, load_scenario, run
from tests.rules.conftest import chain

_EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"
EXAMPLES = int(os.environ.get("NETWORKS_FUZZ_EXAMPLES", "300" if _EXPLORE else "20"))
TOL = 1e-9

# -- scenarios with networks ----------------------------------------------------------------


class _Net:
    """A network being drawn: its own node labels, its networks, its links (relative)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.own: list[str] = []
        self.generated: dict[str, Any] | None = None  # a topology instead of listed nodes
        self.children: list[_Net] = []
        self.links: list[tuple[str, str]] = []
        self.qnic: dict[str, Any] | None = None

    def names(self) -> list[str]:
        """Every node in it, named relative to it."""
        out = list(self.own)
        for child in self.children:
            out += [f"{child.label}.{n}" for n in child.names()]
        return out


def _topology_names(kind: str, n: int) -> tuple[list[str], list[tuple[str, str]]]:
    names = [f"n{i}" for i in range(n)]
    if kind == "chain":
        return names, list(itertools.pairwise(names))
    return names, [("n0", x) for x in names[1:]]


@st.composite
def _network(draw: st.DrawFn, label: str, depth: int) -> _Net:
    net = _Net(label)
    kind = draw(st.sampled_from(("chain", "star")))
    if draw(st.booleans()):
        n = draw(st.integers(2, 4))
        net.generated = {"kind": kind, "nodes": n}
        net.own, _ = _topology_names(kind, n)
    else:
        n = draw(st.integers(1, 3))
        net.own = [f"r{i}" for i in range(n)]
        _, inside = _topology_names(kind, n)
        net.links += [(a.replace("n", "r"), b.replace("n", "r")) for a, b in inside]
    if draw(st.integers(0, 2)) == 0:
        net.qnic = {"memories": draw(st.integers(4, 8))}
        if draw(st.booleans()):
            net.qnic["emission_fidelity"] = draw(st.sampled_from((0.97, 0.99)))
    if depth < 3:
        for i in range(draw(st.integers(0, 2 if depth < 2 else 1))):
            net.children.append(draw(_network(f"{label[0]}{depth}{i}", depth + 1)))
    # Link each network inside to what is already joined, at nodes of any depth.
    for child in net.children:
        inner = draw(st.sampled_from(child.names()))
        joined = net.own + [
            f"{c.label}.{n}" for c in net.children[: net.children.index(child)] for n in c.names()
        ]
        net.links.append((draw(st.sampled_from(joined)), f"{child.label}.{inner}"))
    return net


def _dump(net: _Net, degree: dict[str, int], prefix: str) -> dict[str, Any]:
    """The network as a file lists it; listed nodes typed by their links."""
    kinds = {1: "COMP", 2: "REP1"}
    out: dict[str, Any] = {"name": net.label}
    full = f"{prefix}{net.label}."
    if net.generated is not None:
        out["topology"] = net.generated
    else:
        out["nodes"] = [
            {"name": n, "type": kinds.get(degree.get(full + n, 0), "RTR")} for n in net.own
        ]
    out["links"] = [{"a": a, "b": b} for a, b in net.links]  # a topology makes its own
    if net.qnic is not None:
        out["qnic"] = net.qnic
    out["networks"] = [_dump(c, degree, full) for c in net.children]
    return out


def _all_links(net: _Net, prefix: str) -> list[tuple[str, str]]:
    full = f"{prefix}{net.label}."
    _, made = _topology_names(net.generated["kind"], len(net.own)) if net.generated else ("", [])
    out = [(full + a, full + b) for a, b in [*made, *net.links]]
    for child in net.children:
        out += _all_links(child, full)
    return out


_MISTAKES = (
    "unknown end",
    "outward end",
    "node like a network",
    "dotted node",
    "network twice",
    "not linked inside",
    "COMP border",
    "link to itself",
    "network like a generated node",
    "one-node COMP network linked out",
)


@st.composite
def network_scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], str | None]:
    """(scenario data, the mistake put in it or None)."""
    tops = [draw(_network(label, 1)) for label in ("a", "b", "c")[: draw(st.integers(1, 3))]]
    everything = [f"{t.label}.{n}" for t in tops for n in t.names()]
    root_links = [
        (
            f"{x.label}.{draw(st.sampled_from(x.names()))}",
            f"{y.label}.{draw(st.sampled_from(y.names()))}",
        )
        for x, y in itertools.pairwise(tops)
    ]
    hosts = ["h0", "h1"]
    for h in hosts:
        root_links.append((h, draw(st.sampled_from(everything))))
    links = root_links + [lk for t in tops for lk in _all_links(t, "")]
    degree: dict[str, int] = {}
    for a, b in links:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    data: dict[str, Any] = {
        "nodes": [{"name": h, "type": "COMP"} for h in hosts],
        "networks": [_dump(t, degree, "") for t in tops],
        "links": [{"a": a, "b": b} for a, b in root_links],
        "traffic": [
            {"initiator": "h0", "responder": "h1", "fidelity": 0.6, "pairs": 4, "memories": 2},
            # into the networks: a descent to a node anywhere (an end inside, or a border)
            {
                "initiator": "h1",
                "responder": draw(st.sampled_from(everything)),
                "fidelity": 0.6,
                "pairs": 4,
                "memories": 1,
                "start_s": 0.002,
            },
        ],
        "simulation": {
            "duration_s": 0.05,
            "seed": draw(st.integers(0, 2**16)),
            "backend": draw(st.sampled_from(("bell_diagonal", "bell_diagonal", "density_matrix"))),
        },
    }
    mistake = draw(st.sampled_from((None, None, *_MISTAKES)))
    if mistake is not None and not _make(draw, data, mistake):
        mistake = None  # it does not fit the drawn network
    return data, mistake


def _networks_in(d: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for n in d.get("networks", []):
        out += [n, *_networks_in(n)]
    return out


def _make(draw: st.DrawFn, data: dict[str, Any], mistake: str) -> bool:
    """Put ``mistake`` into ``data``, at a drawn network; False if it does not fit there."""
    net = draw(st.sampled_from(_networks_in(data)))
    listed = "nodes" in net
    node = draw(st.sampled_from([n["name"] for n in net["nodes"]] if listed else ["n0"]))
    if mistake == "unknown end":
        net["links"].append({"a": node, "b": "nosuch"})
    elif mistake == "outward end":  # a link naming a node of the enclosing level
        net["links"].append({"a": node, "b": "h0"})
    elif mistake == "node like a network" and net["networks"] and listed:
        net["nodes"].append({"name": net["networks"][0]["name"], "type": "COMP"})
    elif mistake == "dotted node" and listed:
        net["nodes"].append({"name": "x.y", "type": "COMP"})
    elif mistake == "network twice":
        net["networks"] += [{"name": net["name"], "nodes": []}, {"name": net["name"]}]
    elif mistake == "not linked inside" and listed:
        net["nodes"].append({"name": "loose", "type": "REP1"})
        data["links"].append({"a": "h0", "b": _full(data, net, "loose")})
    elif mistake == "COMP border" and listed:
        net["nodes"].append({"name": "edge", "type": "COMP"})
        net["links"].append({"a": node, "b": "edge"})
        data["links"].append({"a": "h1", "b": _full(data, net, "edge")})
    elif mistake == "link to itself":
        net["links"].append({"a": node, "b": node})
    elif mistake == "network like a generated node" and not listed:
        net["networks"].append({"name": "n1", "nodes": [{"name": "x", "type": "COMP"}]})
        net["links"].append({"a": "n0", "b": "n1.x"})
    elif mistake == "one-node COMP network linked out":
        # a border of its one-node network (exempt) and of ``net`` (not: it relays for it)
        net["networks"].append({"name": "solo", "nodes": [{"name": "x", "type": "COMP"}]})
        net["links"].append({"a": node, "b": "solo.x"})
        data["links"].append({"a": "h1", "b": _full(data, net, "solo.x")})
    else:
        return False
    return True


def _full(data: dict[str, Any], net: dict[str, Any], label: str) -> str:
    def find(d: dict[str, Any], prefix: str) -> str | None:
        for n in d.get("networks", []):
            name = f"{prefix}{n['name']}"
            if n is net:
                return f"{name}.{label}"
            found = find(n, name + ".")
            if found:
                return found
        return None

    out = find(data, "")
    assert out is not None
    return out


def _resolves(path: str, data: Any) -> bool:
    """Whether the field path (``networks[1].links[0].b``) names something in ``data``."""
    if not path:
        return False
    at = data
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if key:
            if not isinstance(at, dict) or key not in at:
                return False
            at = at[key]
        else:
            if not isinstance(at, list) or int(index) >= len(at):
                return False
            at = at[int(index)]
    return True


def _flat_twin(s: Scenario) -> dict[str, Any]:
    listed = listing(s)
    data = s.model_dump(exclude_none=True)
    del data["networks"]
    data.pop("topology", None)
    data["nodes"] = [n.model_dump(exclude_none=True) for n in listed.nodes]
    data["links"] = [x.model_dump(exclude_none=True) for x in listed.links]
    return data


def _built(data: dict[str, Any]) -> tuple[Scenario | None, ScenarioError | None]:
    """The scenario, its listing and hardware built, or the error refusing it."""
    try:
        scenario = load_scenario(data)
        build_links(scenario)
    except ScenarioError as exc:
        return None, exc
    return scenario, None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(network_scenarios())
def test_scenarios_with_networks_are_refused_by_field_or_run_recursively(
    drawn: tuple[dict[str, Any], str | None],
) -> None:
    data, mistake = drawn
    event(f"mistake: {mistake}")
    original = copy.deepcopy(data)
    scenario, refused = _built(data)
    if refused is not None:
        event("refused")
        try:
            dumped = Scenario.model_validate(original).model_dump()
        except ValueError:  # refused by the schema: its path is in the file as written
            dumped = {}
        assert _resolves(refused.path, original) or _resolves(refused.path, dumped), refused
        assert mistake is not None, refused  # a scenario drawn right is never refused
        return
    assert mistake is None, f"{mistake}: not refused"  # every mistake drawn is refused
    assert scenario is not None
    # Every physical link is routed by exactly one layer: the innermost network holding both.
    internet = listing(scenario).internet
    assert internet is not None
    routed: Counter[frozenset[str]] = Counter()
    for network in internet.networks:
        for a, b, via in internet.layer(network).edges(data="via"):
            if via is None:
                routed[frozenset((a, b))] += 1
                inner = set(internet.chain(a)) & set(internet.chain(b))
                assert network == max(inner, key=len), (a, b, network)
    assert routed == Counter(frozenset(e) for e in internet.graph.edges)
    trace = TraceRecorder(keep=False)
    results = run(scenario, trace=trace)
    digest = trace.digest()
    net = results.network
    end = net.now_ps
    net.ledger.stream_to(lambda pair: None)
    net.run(0.01)
    assert net.leaks(finished_by_ps=end) == []
    for c in results.summary["connections"]:
        event(f"status: {c['status']}")
        assert c["status"] in ("done", "up", "failed", "pending"), c
        if c["status"] in ("failed", "pending"):
            assert c["detail"], c
        if c["status"] == "done":
            assert c["pairs_delivered"] == 4, c
            lo, hi = c["fidelity_ci"]
            spread = 3 * (hi - lo) / (2 * 1.96)
            assert c["fidelity_mean"] >= c["fidelity_target"] - max(1e-6, spread), c
    again = TraceRecorder(keep=False)
    run(scenario, trace=again)
    assert again.digest() == digest  # recursive setup is reproducible, event for event
    # The flat twin (one network over the same names) is a valid scenario of its own; it
    # routes and plans the whole path at once, so its run differs from the recursive one.
    twin_results = run(load_scenario(_flat_twin(scenario)))
    for c in twin_results.summary["connections"]:
        assert c["status"] in ("done", "up", "failed", "pending"), c


# -- nested layers on a chain ---------------------------------------------------------------

# A stretch: (first node, last node, its stretches inside).
_Span = tuple[int, int, list[Any]]


@st.composite
def _stretches(draw: st.DrawFn, first: int, last: int, depth: int, least: int = 0) -> list[_Span]:
    """Stretches inside [first, last] (none equal to it), nested up to ``depth`` more; at
    least ``least`` tries."""
    out: list[_Span] = []
    if depth == 0:
        return out
    at = first
    for _ in range(draw(st.integers(least, 2))):
        if last - at < 1:
            break
        a = draw(st.integers(at, last - 1))
        b = draw(st.just(last) | st.integers(a + 1, last))  # wide ones have room inside
        if (a, b) == (first, last):  # not the stretch itself: one node in from its end
            if last - first < 2:
                break
            b -= 1
        # the top's stretches always try to hold one: three layers are the point
        inner = draw(_stretches(a, b, depth - 1, least=1 if depth == 3 else 0))
        out.append((a, b, inner))
        at = b
    return out


def _layer_nodes(first: int, last: int, inner: list[_Span]) -> list[int]:
    hidden = {i for a, b, _ in inner for i in range(a + 1, b)}
    return [i for i in range(first, last + 1) if i not in hidden]


def _rounds(state: BellDiagonal, rounds: int) -> BellDiagonal:
    for _ in range(rounds):
        _, kept = purify(state, state, "dejmps")
        assert kept is not None
        state = kept
    return state


@st.composite
def layered_chains(draw: st.DrawFn) -> tuple[int, list[_Span], dict[str, Any]]:
    n = draw(st.integers(4, 8))
    spans = draw(_stretches(0, n - 1, 3, least=1))
    options = {
        "order": draw(st.sampled_from(("nested", "sequential"))),
        "link_rounds": draw(st.integers(0, 1)),
        "e2e_rounds": draw(st.integers(0, 1)),
        "seed": draw(st.integers(0, 2**16)),
    }
    return n, spans, options


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layered_chains())
def test_nested_layers_on_a_chain_deliver_the_composed_closed_form(
    drawn: tuple[int, list[_Span], dict[str, Any]],
) -> None:
    """Each layer: its links (physical, or the pairs of the stretch below between its two
    nodes) purified ``link_rounds`` times, swapped together, purified ``e2e_rounds`` times;
    the innermost layers purify their links once more when ``link_rounds`` is 0 (the state
    handed up is then not Werner, so a half handed the wrong way round would show)."""
    n, spans, options = drawn
    names, specs = chain(n, memories=6, emission_fidelity=0.95)
    below: list[dict[str, RuleSet]] = []

    def layer(cid: str, first: int, last: int, inner: list[_Span], to: str | None) -> BellDiagonal:
        nodes = _layer_nodes(first, last, inner)
        ends = {(a, b): (a, b, sub) for a, b, sub in inner}
        innermost = not inner and to is not None
        rounds = options["link_rounds"] + (1 if innermost and not options["link_rounds"] else 0)
        states = []
        for k, (u, v) in enumerate(itertools.pairwise(nodes)):
            if (u, v) in ends:
                a, b, sub = ends[(u, v)]
                states.append(layer(f"{cid}.{k}", a, b, sub, cid))
            else:
                states.append(herald_model(specs[u]).state)
        rulesets = chain_rulesets(
            cid,
            [names[i] for i in nodes],
            link_rounds=rounds,
            swap_order=options["order"],
            e2e_rounds=options["e2e_rounds"] if to is None else 0,
        )
        if to is not None:
            below.append(hand_over(rulesets, to))
        else:
            below.insert(0, rulesets)
        state = _rounds(states[0], rounds)
        for s in states[1:]:
            state = swap(state, _rounds(s, rounds))
        return _rounds(state, options["e2e_rounds"] if to is None else 0)

    expected = layer("c", 0, n - 1, spans, None)
    top, *lower = below
    event(f"layers below: {len(lower)}")

    def depth(spans: list[_Span]) -> int:
        return max((1 + depth(sub) for _, _, sub in spans), default=0)

    event(f"layers deep: {1 + depth(spans)}")
    sim = ChainSimulation(specs, top, seed=options["seed"], below=lower)
    result = sim.run(0.02)
    assert result.pairs >= 1
    weights = tuple(
        getattr(expected, k) for k in ("phi_plus", "psi_minus", "psi_plus", "phi_minus")
    )
    for pair in result.delivered:
        assert pair.connection == "c"
        assert pair.weights == pytest.approx(weights, abs=TOL)
