"""Entanglement pumping (``Purify.pump_from``), fuzzed: the RuleSets ``chain_rulesets`` writes
with pumping at any level pass the verifier, and forced pumped plans run end to end.

The verifier part draws chains of 2–4 nodes, both swap orders, link, segment and end-to-end
rounds 0–3 each pumped or not, and a scheme per level (double selection too), at most 3
pairs measured out over all rounds (5 when exploring: the state space grows fast); every drawn
set of RuleSets must verify clean (``verify(...) == []``: every interleaving of heralds and
messages delivers and strands nothing), unless the exploration passes the verifier's state
budget, which it says by a ``RuleSetError``.

The scenario part runs a forced pumped plan on a chain of 2–4 nodes with memories that never
decohere (ideal gates, or one CNOT error and swap degradation at every node), with or without
a discard timer, on either backend. Every run must:

- end ``done`` with the pairs asked for (the plan's fidelity is above the target, its
  memories are what ``memories_needed`` says, and an idle link makes pairs fast), never
  stall nor raise;
- leave nothing behind (``Network.leaks``);
- deliver every pair at the closed form, to numerical precision: the physics layer's
  ``purify`` and ``swap`` composed in the plan's order, a pumped level as s_1 = purify(s_0,
  s_0), s_(k+1) = purify(s_k, s_0) (the kept pair first); and the generator's estimate is
  that closed form too, as it is where nothing decoheres.

The suite runs a few derandomised examples; ``HYPOTHESIS_PROFILE=explore`` (and
``PUMPING_FUZZ_EXAMPLES``) many more, with fresh ones.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from qrna.control import memories_needed
from qrna.control._estimate import held_rounds
from qrna.link import herald_model
from qrna.physics import SCHEMES, BellDiagonal, GateNoise, purify, swap
from qrna.rules import RuleSetError, chain_rulesets, segment_levels, verify
from qrna.scenario import Scenario, run

_EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"
EXAMPLES = int(os.environ.get("PUMPING_FUZZ_EXAMPLES", "300" if _EXPLORE else "12"))
SCHEME_NAMES = sorted(SCHEMES)
EMISSION = (0.95, 0.93, 0.96)  # one per link: all distinct
TARGET = 0.5
GATES = GateNoise(cnot_error=0.01, swap_degradation=0.97)

# (rounds, scheme, pumping) of one level
_Level = tuple[int, str, bool]


def _purified(state: BellDiagonal, level: _Level, noise: GateNoise) -> BellDiagonal:
    """``level`` applied to copies of ``state``: recurrence purifies the kept pair with
    itself, pumping (two rounds or more) with fresh copies of ``state``."""
    rounds, scheme, pumping = level
    k = SCHEMES[scheme].pairs
    kept = state
    for _ in range(rounds):
        other = state if pumping and rounds >= 2 else kept
        _, out = purify(kept, other if k == 2 else (other, other), scheme, noise)
        assert out is not None
        kept = out
    return kept


def _levels(rounds: int) -> st.SearchStrategy[_Level]:
    return st.tuples(st.integers(0, rounds), st.sampled_from(SCHEME_NAMES), st.booleans())


@st.composite
def chains(draw: st.DrawFn) -> tuple[int, str, _Level, tuple[_Level, ...], _Level]:
    """(nodes, swap order, link level, segment levels, end-to-end level)."""
    n = draw(st.integers(2, 4))
    order = draw(st.sampled_from(("nested", "sequential")))
    depth = max(segment_levels(n, order).values(), default=0)
    segments = tuple(draw(st.lists(_levels(3), max_size=depth)))
    return n, order, draw(_levels(3)), segments, draw(_levels(3))


def _kwargs(order: str, link: _Level, segments: tuple[_Level, ...], e2e: _Level) -> Any:
    return {
        "swap_order": order,
        "link_rounds": link[0],
        "link_scheme": link[1],
        "link_pumping": link[2],
        "segment_rounds": [r for r, _, _ in segments],
        "segment_schemes": [s for _, s, _ in segments],
        "segment_pumping": [p for _, _, p in segments],
        "e2e_rounds": e2e[0],
        "e2e_scheme": e2e[1],
        "e2e_pumping": e2e[2],
    }


def _sacrificed(chain: tuple[int, str, _Level, tuple[_Level, ...], _Level]) -> int:
    """Pairs measured out per round, summed over the rounds: the exploration grows fast in it."""
    _, _, link, segments, e2e = chain
    return sum(r * (SCHEMES[x].pairs - 1) for r, x, _ in (link, *segments, e2e))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(chains().filter(lambda c: _sacrificed(c) <= (5 if _EXPLORE else 3)))
def test_pumped_rulesets_verify_clean(
    chain: tuple[int, str, _Level, tuple[_Level, ...], _Level],
) -> None:
    rulesets = chain_rulesets("c", [f"n{i}" for i in range(chain[0])], **_kwargs(*chain[1:]))
    try:
        found = verify(rulesets)
    except RuleSetError as e:
        if "exploration passed" not in str(e):
            raise
        event("over the state budget")
        return
    event("verified")
    assert found == [], found[0]


def _memories(link: _Level, segments: tuple[_Level, ...], e2e: _Level) -> int:
    return memories_needed(
        held_rounds(link[0], link[2]),
        held_rounds(e2e[0], e2e[2]),
        SCHEMES[link[1]].pairs,
        SCHEMES[e2e[1]].pairs,
        [(held_rounds(r, p), SCHEMES[s].pairs) for r, s, p in segments],
    )


def closed_form(
    n: int,
    order: str,
    link: _Level,
    segments: tuple[_Level, ...],
    e2e: _Level,
    links: list[BellDiagonal],
    noise: GateNoise,
) -> BellDiagonal:
    """The delivered state on memories that do not decohere, on 2–4 nodes: each link
    purified; then the swaps, the level-1 segment of a 4-node chain purified (nested: n1–n3;
    sequential: n0–n2); then end to end."""
    s = [_purified(x, link, noise) for x in links]
    if n == 2:
        state = s[0]
    elif n == 3:
        state = swap(s[0], s[1], noise)
    else:
        seg = segments[0] if segments else (0, "dejmps", False)
        if order == "nested":  # n2 swaps n1-n3 (level 1), then n1 swaps n0-n3
            state = swap(s[0], _purified(swap(s[1], s[2], noise), seg, noise), noise)
        else:  # n1 swaps n0-n2 (level 1), then n2 swaps n0-n3
            state = swap(_purified(swap(s[0], s[1], noise), seg, noise), s[2], noise)
    return _purified(state, e2e, noise)


def _scenario(
    chain: tuple[int, str, _Level, tuple[_Level, ...], _Level],
    memories: int,
    gates: bool,
    discard: float | None,
    backend: str,
) -> dict[str, Any]:
    n = chain[0]
    qnic: dict[str, Any] = {"memories": memories}
    if gates:
        qnic |= {"cnot_error": GATES.cnot_error, "swap_degradation": GATES.swap_degradation}
    plan = _kwargs(*chain[1:])
    if discard is not None:
        plan["discard_after_s"] = discard
    return {
        "name": "pumping-fuzz",
        "qnic": qnic,
        "nodes": [
            {"name": f"n{i}", "type": "COMP" if i in (0, n - 1) else "REP1"} for i in range(n)
        ],
        "links": [
            {"a": f"n{i}", "b": f"n{i + 1}", "length_km": 2, "emission_fidelity": EMISSION[i]}
            for i in range(n - 1)
        ],
        "traffic": [
            {
                "initiator": "n0",
                "responder": f"n{n - 1}",
                "pairs": 3,
                "fidelity": TARGET,
                "memories": memories,
                "plan": plan,
            }
        ],
        "simulation": {"duration_s": 2.0, "seed": 11, "backend": backend},
    }


@st.composite
def small_chains(draw: st.DrawFn) -> tuple[int, str, _Level, tuple[_Level, ...], _Level]:
    """As ``chains``, with at most four rounds in all: a run takes a fraction of a second."""
    chain = draw(chains())
    _, _, link, segments, e2e = chain
    total = link[0] + e2e[0] + sum(r for r, _, _ in segments)
    if total > 4:
        event("too many rounds to run")
        reject()
    return chain


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    small_chains(),
    st.integers(0, 1),
    st.booleans(),
    st.sampled_from((None, 0.002, 0.05)),
    st.sampled_from(("bell_diagonal", "density_matrix")),
)
def test_forced_pumped_plans_deliver_the_closed_form(
    chain: tuple[int, str, _Level, tuple[_Level, ...], _Level],
    spare: int,
    gates: bool,
    discard: float | None,
    backend: str,
) -> None:
    n, order, link, segments, e2e = chain
    memories = _memories(link, segments, e2e) + spare
    scenario = Scenario.model_validate(_scenario(chain, memories, gates, discard, backend))
    results = run(scenario)
    net = results.network
    (c,) = results.summary["connections"]
    end = net.now_ps
    net.ledger.stream_to(lambda pair: None)
    net.run(0.01)  # teardowns on their way land
    assert net.leaks(finished_by_ps=end) == []
    specs = {(s.a.address, s.b.address): s for p in net.ports.values() for s, _ in p.values()}
    links = [herald_model(specs[f"n{i}", f"n{i + 1}"]).state for i in range(n - 1)]
    noise = GATES if gates else GateNoise()
    want = closed_form(n, order, link, segments, e2e, links, noise).fidelity
    event(f"{c['status']}")
    if c["status"] == "failed":
        assert c["detail"].startswith("fidelity_unreachable"), c
        assert want < TARGET + 1e-9, (c, want)
        return
    assert (c["status"], c["pairs_delivered"]) == ("done", 3), c
    assert want >= TARGET - 1e-9
    # Every pair has the one state: the interval of the mean has no width.
    assert c["fidelity_ci"][1] - c["fidelity_ci"][0] < 1e-12
    assert c["fidelity_ci"][0] == pytest.approx(want, abs=1e-9), (c["fidelity_ci"], want)
    assert c["plan"]["estimated_fidelity"] == pytest.approx(want, abs=1e-9), (c["plan"], want)
