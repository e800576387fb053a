"""The data plane of recursion (spec §5): a network's connection between two borders makes
pairs that, handed over by its rewritten RuleSets (``Deliver.to``), are the link pairs of the
connection above. Checked on a chain a-b-c-d-e whose stretch b-c-d is a network: the pairs
a and e receive are the closed-form composition of what each layer does, in both state
backends, and every delivery is one Bell pair in the ground truth (``ChainSimulation`` raises
otherwise), however the messages of both layers are reordered."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qrna.cli import app
from qrna.hardware import QNIC, Fibre, Node, NodeType
from qrna.internet import InternetError, hand_over
from qrna.link import LinkSpec, LinkType, PairName, herald_model
from qrna.physics import purify, swap
from qrna.rules import (
    ChainSimulation,
    Deliver,
    Discard,
    EnoughResources,
    FreeQubit,
    FreeResource,
    HandedOver,
    Purify,
    Rule,
    RuleEngine,
    RuleSet,
    RuleSetError,
    Send,
    Stage,
    Swap,
    SwapResult,
    _verify,
    chain_rulesets,
    ruleset_from_json,
    ruleset_to_dict,
    ruleset_to_json,
    verify,
)
from tests.rules.conftest import chain, introspects_engine
from tests.rules.test_mutants_rules import _Hardware

TOL = 1e-9


def _weights(state: object) -> tuple[float, float, float, float]:
    return tuple(getattr(state, n) for n in ("phi_plus", "psi_minus", "psi_plus", "phi_minus"))  # type: ignore[return-value]


def _layers(below: dict[str, object] | None = None, above: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    names, specs = chain(5, memories=6, emission_fidelity=0.95)
    a, b, c, d, e = names
    lower = hand_over(chain_rulesets("c1.net", [b, c, d], **(below or {})), "c1")  # type: ignore[arg-type]
    upper = chain_rulesets("c1", [a, b, d, e], **(above or {}))  # type: ignore[arg-type]
    return names, specs, lower, upper


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
@pytest.mark.parametrize("order", ["nested", "sequential"])
def test_a_layer_below_purifies_and_swaps_and_the_layer_above_uses_its_pairs_as_links(
    backend: str, order: str
) -> None:
    """Below: one DEJMPS round on each of b-c and c-d, swapped at c, so the virtual link b-d
    carries V = swap(P, P) with P = DEJMPS(L, L), a state that is not Werner. Above: a-b and
    d-e raw, swapped in ``order``, then one DEJMPS round end to end: every delivered pair has
    exactly DEJMPS(E, E) with E = swap(swap(L, V), L)."""
    _, specs, lower, upper = _layers(
        below={"link_rounds": 1}, above={"swap_order": order, "e2e_rounds": 1}
    )
    sim = ChainSimulation(specs, upper, seed=5, backend=backend, below=[lower])
    result = sim.run(0.03)
    link = herald_model(specs[0]).state
    _, kept = purify(link, link, "dejmps")
    assert kept is not None
    virtual = swap(kept, kept)
    assert abs(virtual.psi_minus - virtual.phi_minus) > 1e-3  # not Werner: order shows
    end_to_end = swap(swap(link, virtual), link)
    _, delivered = purify(end_to_end, end_to_end, "dejmps")
    assert delivered is not None
    assert result.pairs > 20
    # the whole Bell-diagonal state, not only its fidelity: a layer's pairs handed over
    # with a wrong name or to the wrong half would show here (or be refused by the ledger)
    for pair in result.delivered:
        assert pair.connection == "c1"  # the layer below never delivers to an application
        assert pair.weights == pytest.approx(_weights(delivered), abs=TOL)


def test_the_rewritten_ruleset_hands_over_at_both_borders_and_round_trips() -> None:
    _, _, lower, _ = _layers()
    handed = {
        node: [r.action for s in rs.stages for r in s.rules if isinstance(r.action, Deliver)]
        for node, rs in lower.items()
    }
    assert handed == {
        "n1": [Deliver("n3", to="c1")],
        "n2": [],
        "n3": [Deliver("n1", to="c1")],
    }
    for rs in lower.values():
        assert ruleset_from_json(ruleset_to_json(rs)) == rs


def _border() -> RuleEngine:
    """A border b running the layer below ("low": pairs with d handed to "up") and the
    layer above ("up": its pairs with d held in a first Stage until the test frees them)."""
    engine = RuleEngine("b", _Hardware())  # type: ignore[arg-type]
    handing = Rule("deliver", (EnoughResources("d"),), Deliver("d", to="up"))
    engine.install(RuleSet("low", "b", (Stage((handing,)),)))
    return engine


def _above() -> RuleSet:
    hold = Rule("hold", (EnoughResources("a"), EnoughResources("d")), Swap("a", "d"))
    return RuleSet("up", "b", (Stage((hold,)),))


def test_a_handed_pair_enters_the_layer_above_under_its_name_and_estimate() -> None:
    """b, first by address, hands its half up at once, but the pair enters the layer
    above's rules only when d says it handed its half up too: used before, it could join a
    purification whose partner half d discards while waiting for a memory."""
    engine = _border()
    engine.install(_above())
    name = PairName("c", 7)
    effects = engine.assign("low", name, ("b/q", 3), "d", 10, fidelity=0.875)
    # No delivery to an application, no free; b tells d to hand its half up too.
    assert effects == [Send("d", HandedOver("low", name))]
    assert engine.holds("low") == 0
    assert engine.holds("up") == 1  # in the layer above's memory, not yet in its Stages
    assert engine._conns["up"].by_name == {}
    assert engine.on_message("d", HandedOver("low", name, reply=True), 30) == []
    held = engine._conns["up"].by_name[name]
    assert (held.qubit, held.partner, held.stage, held.since_ps, held.fidelity) == (
        ("b/q", 3),
        "d",
        0,
        30,  # a link pair of the layer above from when both ends hold it
        0.875,
    )
    assert engine._conns["up"].pending == {}
    assert engine.uninstall("up") == [FreeQubit(("b/q", 3))]


def test_without_the_layer_above_a_handed_pair_is_discarded_and_its_partner_told() -> None:
    engine = _border()
    name = PairName("c", 7)
    effects = engine.assign("low", name, ("b/q", 3), "d", 10)
    assert effects == [FreeQubit(("b/q", 3)), Send("d", FreeResource("low", name))]
    assert engine.holds("low") == 0


def test_a_free_from_below_reaches_the_pair_handed_above() -> None:
    """The other border discarded its half before handing it over: its Free, sent in the
    layer below, frees the half this border already handed to the layer above."""
    engine = _border()
    engine.install(_above())
    name = PairName("c", 7)
    engine.assign("low", name, ("b/q", 3), "d", 10)
    effects = engine.on_message("d", FreeResource("low", name), 20)
    assert effects == [FreeQubit(("b/q", 3))]  # no Free sent back: d knows
    assert engine.holds("up") == 0
    assert engine._conns["up"].pending == {}
    # d's answer for a pair this end no longer holds finds nothing to admit
    assert engine.on_message("d", HandedOver("low", name, reply=True), 25) == []
    assert engine._conns["up"].by_name == {}
    assert engine._conns["low"].waiting == {}  # nothing left waiting for a pair to come
    # a Free for a pair neither layer holds still waits, as before: it may be on its way
    engine.on_message("d", FreeResource("low", PairName("c", 8)), 30)
    assert list(engine._conns["low"].waiting) == [PairName("c", 8)]


def test_hand_over_refuses_what_cannot_be_a_virtual_link() -> None:
    with pytest.raises(InternetError, match="'c1' cannot hand its pairs over to itself"):
        hand_over(chain_rulesets("c1", ["b", "c", "d"]), "c1")
    only_one = {"b": chain_rulesets("x", ["b", "c"])["b"]}
    with pytest.raises(InternetError, match=r"its RuleSets deliver at \['b'\]"):
        hand_over(only_one, "c1")
    two = {"b": chain_rulesets("x", ["b", "c"])["b"], "d": chain_rulesets("y", ["c", "d"])["d"]}
    with pytest.raises(InternetError, match=r"RuleSets of \['x', 'y'\]; a virtual link is one"):
        hand_over(two, "c1")
    with pytest.raises(InternetError, match=r"RuleSets of \[\]"):
        hand_over({}, "c1")
    rs = chain_rulesets("c1", ["b", "c"])["b"]
    rule = rs.stages[-1].rules[0]
    with pytest.raises(RuleSetError, match="hands its pairs to its own connection 'c1'"):
        RuleSet(
            "c1",
            "b",
            (
                dataclasses.replace(
                    rs.stages[0], rules=(dataclasses.replace(rule, action=Deliver("c", to="c1")),)
                ),
            ),
        )


def test_a_stretch_below_must_be_a_stretch_of_the_chain() -> None:
    names, specs, lower, upper = _layers()
    c = names[2]
    with pytest.raises(RuleSetError, match="not a stretch of the chain"):
        ChainSimulation(specs, upper, below=[{k: v for k, v in lower.items() if k != c}])
    with pytest.raises(RuleSetError, match=r"of which \['n2'\] are inside stretches below"):
        ChainSimulation(specs, chain_rulesets("c1", names), below=[lower])


@pytest.mark.parametrize("rounds", [0, 1])
def test_a_layer_s_rewritten_rulesets_verify_as_the_connection_they_are(rounds: int) -> None:
    lower = hand_over(chain_rulesets("c1.net", ["b", "c", "d"], link_rounds=rounds), "c1")
    assert verify(lower) == []
    assert verify(chain_rulesets("c1", ["a", "b", "d", "e"])) == []


@pytest.mark.parametrize("backend", ["bell_diagonal", "density_matrix"])
def test_three_nested_layers_deliver_the_composed_closed_form(backend: str) -> None:
    """a-b-c-d-e-f-g: the innermost network c-d-e purifies once and swaps (V1 = swap(P, P),
    P = DEJMPS(L, L)); the network around it, b-c-e-f, swaps its links and V1 one after the
    other (V2 = swap(swap(L, V1), L)); the top a-b-f-g does the same over V2 and purifies once
    end to end: every pair delivered is exactly DEJMPS(E, E), E = swap(swap(L, V2), L). The
    middle layer runs on its stretch less the nodes inside the stretch nested in it."""
    names, specs = chain(7, memories=6, emission_fidelity=0.95)
    a, b, c, d, e, f, g = names
    inner = hand_over(chain_rulesets("c1.x.y", [c, d, e], link_rounds=1), "c1.x")
    middle = hand_over(chain_rulesets("c1.x", [b, c, e, f], swap_order="sequential"), "c1")
    top = chain_rulesets("c1", [a, b, f, g], e2e_rounds=1)
    result = ChainSimulation(specs, top, seed=5, backend=backend, below=[middle, inner]).run(0.03)
    link = herald_model(specs[0]).state
    _, kept = purify(link, link, "dejmps")
    assert kept is not None
    v2 = swap(swap(link, swap(kept, kept)), link)
    end_to_end = swap(swap(link, v2), link)
    _, delivered = purify(end_to_end, end_to_end, "dejmps")
    assert delivered is not None
    assert result.pairs > 50
    for pair in result.delivered:
        assert pair.connection == "c1"
        assert pair.weights == pytest.approx(_weights(delivered), abs=TOL)


def test_a_layer_around_a_nested_stretch_does_not_run_inside_it() -> None:
    names, specs = chain(7)
    a, b, c, d, e, f, g = names
    inner = hand_over(chain_rulesets("c1.x.y", [c, d, e]), "c1.x")
    middle = hand_over(chain_rulesets("c1.x", [b, c, d, e, f]), "c1")
    top = chain_rulesets("c1", [a, b, f, g])
    with pytest.raises(RuleSetError, match=r"below\[0\].*less those inside a stretch nested"):
        ChainSimulation(specs, top, below=[middle, inner])


def test_a_meas_border_hands_its_record_up_and_the_ledger_finds_its_link_pair() -> None:
    """alice -MIM- r1 -MIM- r2 -MM- bob (MEAS, Z): the network r1-r2-bob swaps at r2 and bob
    hands its record, read on arrival, to the connection above, which swaps at r1. The ledger
    finds the record's ground-truth pair by the link pair it was read from (it once looked
    for it under the connection above and raised KeyError); every pair delivered has
    F = 1/4 + 3/4 w1 w2 w3 (Werner links, w = (4F - 1)/3) and bob's record."""
    qnic = QNIC(4, emission_fidelity=0.95)
    alice = Node("alice", NodeType.COMP, (qnic,))
    r1 = Node("r1", NodeType.REP1, (qnic, qnic))
    r2 = Node("r2", NodeType.REP1, (qnic, qnic))
    bob = Node("bob", NodeType.MEAS, measurement_basis="Z")
    specs = [
        LinkSpec(alice, r1, LinkType.MIM, Fibre(5.0), qnic_b=0),
        LinkSpec(r1, r2, LinkType.MIM, Fibre(5.0), qnic_a=1, qnic_b=0),
        LinkSpec(r2, bob, LinkType.MM, Fibre(5.0), qnic_a=1),
    ]
    below = hand_over(chain_rulesets("c.net", ["r1", "r2", "bob"]), "c")
    top = chain_rulesets("c", ["alice", "r1", "bob"])
    result = ChainSimulation(specs, top, seed=5, below=[below]).run(0.02)
    w = [(4 * herald_model(s).fidelity - 1) / 3 for s in specs]
    assert result.pairs > 100
    for pair in result.delivered:
        assert pair.fidelity == pytest.approx(0.25 + 0.75 * w[0] * w[1] * w[2], abs=TOL)
        assert pair.records[0] is None
        assert pair.records[1] is not None
        assert pair.records[1][0] == "Z"


@introspects_engine
def test_a_pair_handed_up_waits_for_the_other_end_before_a_purification_takes_it() -> None:
    """b handed two pairs up; d discarded its half of one below before handing it over.
    Nothing above began with either meanwhile (once, b began purifying them at once, and
    the kept half stayed busy for bits that never came, until its discard timer: measured,
    a three-level connection's pairs at 0.828 against its 0.85 target); d's Free frees the
    one from the layer above's memory, and d's answer admits the other alone."""
    engine = _border()
    purifying = Rule("purify", (EnoughResources("d", 2),), Purify("d", "dejmps"))
    engine.install(RuleSet("up", "b", (Stage((purifying,)), Stage((Rule("x", (), Deliver("d")),)))))
    kept, lost = PairName("c", 7), PairName("c", 8)
    assert engine.assign("low", kept, ("b/q", 1), "d", 10) == [Send("d", HandedOver("low", kept))]
    assert engine.assign("low", lost, ("b/q", 2), "d", 11) == [Send("d", HandedOver("low", lost))]
    assert engine._conns["up"].by_name == {}  # no purification began
    assert (engine.holds("low"), engine.holds("up")) == (0, 2)
    assert engine.on_message("d", FreeResource("low", lost), 20) == [FreeQubit(("b/q", 2))]
    assert engine._conns["low"].waiting == {}
    assert engine.on_message("d", HandedOver("low", kept, reply=True), 21) == []
    assert list(engine._conns["up"].by_name) == [kept]
    assert not engine._conns["up"].by_name[kept].busy  # one pair: nothing to purify yet
    assert engine.holds("up") == 1


def test_an_engine_refuses_hand_overs_that_go_round_a_loop() -> None:
    """low hands to up and up to mid, installed; a mid that hands back to low would pass a
    pair round for ever (a RecursionError mid-run before): refused when installed, naming
    the loop, and the engine keeps what it had."""
    engine = _border()
    engine.install(
        RuleSet("up", "b", (Stage((Rule("h", (EnoughResources("d"),), Deliver("d", to="mid")),)),))
    )
    back = RuleSet(
        "mid", "b", (Stage((Rule("h", (EnoughResources("d"),), Deliver("d", to="low")),)),)
    )
    with pytest.raises(
        RuleSetError,
        match=r"'mid' hands its pairs round a loop at 'b': "
        r"mid -> low -> up -> mid",
    ):
        engine.install(back)
    assert engine.connections() == ["low", "up"]
    engine.install(dataclasses.replace(back, stages=(_above().stages[0],)))  # no loop: fine
    assert engine.connections() == ["low", "mid", "up"]


@introspects_engine
def test_a_free_from_below_follows_a_pair_passed_up_two_layers() -> None:
    """A network whose only path between its borders is the virtual link of the network in
    it passes that network's pairs on unchanged: "up" hands each pair it gets straight to
    "top", once d's answer lets it in. A Free d then sends in "up" (its half discarded
    there before it handed it on) finds the pair waiting in "top"."""
    engine = _border()
    passing = Rule("pass", (EnoughResources("d"),), Deliver("d", to="top"))
    engine.install(RuleSet("up", "b", (Stage((passing,)),)))
    engine.install(dataclasses.replace(_above(), connection="top"))
    name = PairName("c", 7)
    assert engine.assign("low", name, ("b/q", 3), "d", 10) == [Send("d", HandedOver("low", name))]
    assert engine.on_message("d", HandedOver("low", name, reply=True), 15) == [
        Send("d", HandedOver("up", name))
    ]
    assert (engine.holds("low"), engine.holds("up"), engine.holds("top")) == (0, 0, 1)
    effects = engine.on_message("d", FreeResource("up", name), 20)
    assert effects == [FreeQubit(("b/q", 3))]
    assert engine.holds("top") == 0
    assert engine._conns["up"].waiting == {}


def test_the_end_second_by_address_hands_up_what_the_first_did_in_its_order() -> None:
    """At d (after b by address) a pair reaching its hand-over waits until b says it handed
    its half up (``HandedOver``), and the pairs go up in b's order, not d's: so both ends'
    memories above hold the same pairs (each end taking whichever pairs it had room for,
    they filled with different ones and a purification above waited for ever)."""
    engine = RuleEngine("d", _Hardware())  # type: ignore[arg-type]
    handing = Rule("deliver", (EnoughResources("b"),), Deliver("b", to="up"))
    engine.install(RuleSet("low", "d", (Stage((handing,)),)))
    hold = Rule("hold", (EnoughResources("b", 9),), Discard("b"))
    engine.install(RuleSet("up", "d", (Stage((hold,)),)))
    one, two = PairName("c", 7), PairName("c", 8)
    assert engine.assign("low", one, ("d/q", 1), "b", 10) == []
    assert engine.assign("low", two, ("d/q", 2), "b", 11) == []
    assert (engine.holds("low"), engine.holds("up")) == (2, 0)  # waiting for b
    # Each handed up, d says so, and it enters d's layer above at once.
    assert engine.on_message("b", HandedOver("low", two), 20) == [
        Send("b", HandedOver("low", two, reply=True))
    ]
    assert (engine.holds("low"), engine.holds("up")) == (1, 1)
    assert two in engine._conns["up"].by_name  # b's choice, not the older one
    engine.on_message("b", HandedOver("low", one), 21)
    assert (engine.holds("low"), engine.holds("up")) == (0, 2)
    # A notice ahead of its pair (b's swap result to d still on its way) waits for it.
    three = PairName("c", 9)
    assert engine.on_message("b", HandedOver("low", three), 22) == []
    assert engine.assign("low", three, ("d/q", 3), "b", 23) == [
        Send("b", HandedOver("low", three, reply=True))
    ]
    assert (engine.holds("low"), engine.holds("up")) == (0, 3)


def _to_an_application(rs: RuleSet) -> RuleSet:
    """``rs`` with its hand-overs made deliveries to an application (a rewriting missed)."""
    stages = tuple(
        dataclasses.replace(
            stage,
            rules=tuple(
                dataclasses.replace(r, action=Deliver(r.action.partner))
                if isinstance(r.action, Deliver)
                else r
                for r in stage.rules
            ),
        )
        for stage in rs.stages
    )
    return dataclasses.replace(rs, stages=stages)


@pytest.mark.parametrize(
    "above",
    [{}, {"swap_order": "sequential"}, {"e2e_rounds": 1}],
    ids=["nested", "sequential", "e2e-purified"],
)
def test_the_composed_layers_explore_clean(above: dict[str, object]) -> None:
    """The network b-c-d's rewritten RuleSets below the connection a-b-d-e, explored
    together (spec §5, the composed whole): every interleaving of both layers' heralds and
    messages, hand-overs at both borders included, ends with the top's two ends delivering
    the same pairs and nothing left in either layer. The chain is filled in from the
    layers: the same as given."""
    names, _, lower, upper = _layers(above=above)
    a, b, c, d, e = names
    assert verify(upper, below=[lower], explore=True) == []
    assert _verify._last_run["states"] > 10_000  # the layers' interleavings, not one
    assert verify(upper, below=[lower], chain=[a, b, c, d, e], explore=True) == []


def test_the_composed_exploration_finds_a_border_that_does_not_hand_up() -> None:
    """d delivers its pairs of the network to an application instead of handing them up:
    each layer on its own passes, the composed whole leaves a's first link pair waiting for
    a swap at b that never comes."""
    names, _, lower, upper = _layers()
    a, b = names[:2]
    broken = dict(lower, n3=_to_an_application(lower["n3"]))
    assert verify(broken) == []  # alone, a hand-over is a delivery
    (found,) = verify(upper, below=[broken], explore=True)
    assert (found.kind, found.node) == ("leftover", a)
    assert f"with partner {b!r} is left in Stage 0" in found.message
    assert any("of c1.net reaches n3" in step for step in found.trace)


def test_the_composed_exploration_finds_a_hand_over_never_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A planted engine bug: the first border never lets in what it handed up (the other
    end's answer ignored). Each layer explored alone cannot see it (a hand-over is a
    delivery there); the composed whole ends with pairs left over."""
    _, _, lower, upper = _layers()
    monkeypatch.setattr(RuleEngine, "_admit", lambda self, conn, name, effects: None)
    assert verify(lower) == []
    found = verify(upper, below=[lower], explore=True)
    assert [v.kind for v in found] == ["leftover"]


def test_layers_below_must_join_neighbours_of_the_layer_above() -> None:
    names, _, lower, _ = _layers()
    a, b, c, d, e = names
    with pytest.raises(RuleSetError, match=r"'n0' and 'n2' are not neighbours"):
        verify(chain_rulesets("c1", [a, c, e]), below=[lower], chain=names, explore=True)
    with pytest.raises(RuleSetError, match="each layer below is one connection"):
        verify(
            chain_rulesets("c1", [a, b, d, e]),
            below=[{**lower, "x": chain_rulesets("z", ["x", "y"])["x"]}],
        )


def test_qrna_verify_checks_the_composed_layers(tmp_path: Path) -> None:
    """``qrna verify`` with "below": the layers together, as a user checks them."""
    _, _, lower, upper = _layers()

    def write(name: str, below: dict[str, RuleSet]) -> str:
        case = tmp_path / name
        case.write_text(
            json.dumps(
                {
                    "rulesets": [ruleset_to_dict(r) for r in upper.values()],
                    "below": [[ruleset_to_dict(r) for r in below.values()]],
                }
            )
        )
        return str(case)

    out = CliRunner().invoke(app, ["verify", write("ok.json", lower), "--explore"])
    assert (out.exit_code, out.output.strip()) == (
        0,
        "OK: 4 RuleSets of connection 'c1' over 1 layer(s) below, no violation",
    )
    broken = dict(lower, n3=_to_an_application(lower["n3"]))
    out = CliRunner().invoke(app, ["verify", write("broken.json", broken), "--explore"])
    assert out.exit_code == 1
    assert out.output.startswith("[leftover] n0: a resource named link0@0 with partner 'n1'")
    assert out.output.endswith("1 violation(s)\n")


@introspects_engine
def test_messages_above_that_overtake_the_answer_wait_for_the_pair_it_admits() -> None:
    """Jitter may bring d's messages in the layer above about a pair before d's answer in
    the layer below: a swap result renaming it and a Free wait (they name a pair b does not
    hold above yet), and the answer admits the pair under its new name and then frees it;
    nothing stays pending or waiting, and the memory above is given back once."""
    engine = _border()
    engine.install(
        RuleSet("up", "b", (Stage((Rule("hold", (EnoughResources("a", 9),), Discard("a")),)),))
    )
    name, renamed = PairName("c", 7), PairName("up", 1)
    assert engine.assign("low", name, ("b/q", 3), "d", 10) == [Send("d", HandedOver("low", name))]
    swapped = SwapResult("up", name, renamed, "a", "I", False, 0.8)
    assert engine.on_message("d", swapped, 12) == []
    assert engine.on_message("d", FreeResource("up", renamed), 13) == []
    assert (engine.holds("up"), list(engine._conns["up"].waiting)) == (1, [name, renamed])
    effects = engine.on_message("d", HandedOver("low", name, reply=True), 15)
    assert effects == [FreeQubit(("b/q", 3))]
    up = engine._conns["up"]
    assert (up.pending, up.by_name, up.waiting, engine.holds("up")) == ({}, {}, {}, 0)


def test_a_pair_pending_above_is_freed_with_the_layer_above_and_a_late_answer_finds_none() -> None:
    """The layer above torn down at b while a pair waits there for d's answer: uninstall
    gives its memory back; d's answer, arriving after, admits nothing and frees nothing
    again (no double free), and the layer below holds nothing."""
    engine = _border()
    engine.install(_above())
    name = PairName("c", 7)
    engine.assign("low", name, ("b/q", 3), "d", 10)
    assert engine.uninstall("up") == [FreeQubit(("b/q", 3))]
    assert engine.on_message("d", HandedOver("low", name, reply=True), 20) == []
    assert engine.on_message("d", FreeResource("low", name), 21) == []
    assert engine.holds("low") == 0
