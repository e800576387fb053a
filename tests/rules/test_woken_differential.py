"""The woken-rule engine against the scan of every rule (``_scan_evaluate``), on generated
RuleSets and event sequences: random Stages of EnoughResources (counts, fidelity floors),
ResourceOlderThan (per partner and ``ANY_PARTNER``), VariableBelow, and every action, driven by
assignments, records, swap results, Frees, purification requests and answers, and timers at
increasing times. Both engines must answer every event with the same effects, raise the same
errors, and hold the same resources and variables after each event."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrna.link import PairName
from qrna.rules import (
    ANY_PARTNER,
    Deliver,
    Discard,
    EnoughResources,
    FreeResource,
    Increment,
    Measure,
    Promote,
    PurificationResult,
    Purify,
    ResourceOlderThan,
    Rule,
    RuleEngine,
    RuleSet,
    RuleSetError,
    Stage,
    Swap,
    SwapResult,
    VariableBelow,
)
from qrna.rules._verify import _SymbolicHardware
from tests.rules.conftest import introspects_engine
from tests.rules.test_woken_rules import _scan_evaluate

NODE = "m"
PARTNERS = ("a", "z")  # "a" leads purifications with NODE, NODE leads with "z"
VARIABLES = ("x", "y")
SECONDS = (1e-6, 2e-6, 5e-7)  # ages in the range the events' times cover
KINDS = ("assign",) * 4 + ("record", "free", "swap", "request", "answer", "timer", "timer")


class _ScanEngine(RuleEngine):
    _evaluate = _scan_evaluate  # type: ignore[assignment]


partners = st.sampled_from(PARTNERS)
anyone = st.sampled_from((*PARTNERS, ANY_PARTNER))


def clauses() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(
            EnoughResources,
            partners,
            st.integers(1, 3),
            st.sampled_from((0.0, 0.8, 0.95)),
        ),
        st.builds(ResourceOlderThan, anyone, st.sampled_from(SECONDS)),
        st.builds(VariableBelow, st.sampled_from(VARIABLES), st.integers(1, 3)),
    )


@st.composite
def rules(draw: st.DrawFn, last: bool) -> Rule:
    condition = tuple(draw(st.lists(clauses(), max_size=2)))
    kinds = ["swap", "discard", "deliver", "measure", "increment"]
    if not last:
        kinds += ["promote", "purify", "purify"]
    kind = draw(st.sampled_from(kinds))
    action: Any
    if kind == "swap":
        left, right = draw(st.lists(partners, min_size=2, max_size=2, unique=True))
        action = Swap(left, right)
    elif kind == "discard":
        action = Discard(draw(anyone))
    elif kind == "deliver":
        action = Deliver(draw(partners))
    elif kind == "measure":
        action = Measure(draw(partners), "Z", draw(st.sampled_from(VARIABLES)))
    elif kind == "increment":
        # Bounded by its own variable, or it would fire forever.
        variable = draw(st.sampled_from(VARIABLES))
        condition += (VariableBelow(variable, draw(st.integers(1, 3))),)
        action = Increment(variable, draw(st.integers(1, 2)))
    elif kind == "promote":
        action = Promote(draw(partners))
    else:
        action = Purify(draw(partners), draw(st.sampled_from(("dejmps", "double_x"))))
    return Rule("r", condition, action)


@st.composite
def rulesets(draw: st.DrawFn) -> RuleSet:
    n = draw(st.sampled_from((1, 2, 2, 3)))
    stages = []
    for i in range(n):
        drawn = draw(st.lists(rules(last=i == n - 1), min_size=1, max_size=5))
        named = tuple(Rule(f"r{j}", r.condition, r.action) for j, r in enumerate(drawn))
        variables = draw(st.dictionaries(st.sampled_from(VARIABLES), st.integers(0, 2)))
        stages.append(Stage(named, variables))
    return RuleSet("c", NODE, tuple(stages))


def _outcome(engine: RuleEngine, call: str, *args: Any) -> tuple[object, ...]:
    try:
        effects: object = getattr(engine, call)(*args)
    except RuleSetError as exc:
        effects = ("error", str(exc))
    conn = engine._conns["c"]
    held = sorted(
        (str(r.name), r.stage, r.partner, r.busy, r.since_ps, r.fidelity, r.record)
        for r in conn.by_name.values()
    )
    return effects, held, [sorted(v.items()) for v in conn.variables], sorted(conn.timers.items())


@introspects_engine
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets(), st.data())
def test_woken_engine_answers_every_event_as_the_scan_does(
    rs: RuleSet, data: st.DataObject
) -> None:
    woken = RuleEngine(NODE, _SymbolicHardware())
    scan = _ScanEngine(NODE, _SymbolicHardware())
    woken.install(rs)
    scan.install(rs)
    names: list[PairName] = []
    t = 0
    for step in range(data.draw(st.integers(1, 30), label="events")):
        t += data.draw(st.sampled_from((0, 1, 250_000, 500_000, 1_000_000, 2_000_001)))
        kind = data.draw(st.sampled_from(KINDS))
        call: tuple[Any, ...]
        if kind in ("assign", "record"):
            partner = data.draw(partners)
            name = PairName(partner, step)
            names.append(name)
            fidelity = data.draw(st.sampled_from((1.0, 0.9, 0.85, 0.7)))
            if kind == "assign":
                call = ("assign", "c", name, (NODE, step), partner, t, fidelity)
            else:
                call = ("assign_record", "c", name, ("Z", step % 2), partner, t, fidelity)
        elif kind == "timer":
            armed = sorted(woken._conns["c"].timers.items())
            if armed and data.draw(st.booleans()):
                key, due = data.draw(st.sampled_from(armed))
                t = max(t, due)
            else:
                key = (data.draw(st.integers(0, 2)), data.draw(anyone))
            call = ("on_timer", ("c", key), t)
        elif not names:
            continue
        elif kind == "free":
            call = ("on_message", "a", FreeResource("c", data.draw(st.sampled_from(names))), t)
        elif kind == "swap":
            old = data.draw(st.sampled_from(names))
            new = PairName(data.draw(partners), 1000 + step)
            names.append(new)
            message = SwapResult(
                "c", old, new, data.draw(partners), "X", data.draw(st.booleans()), 0.9
            )
            call = ("on_message", "a", message, t)
        elif kind == "request":
            # Mostly pairs this node holds in one bucket, as a partner would name them.
            buckets = [b for b in woken._conns["c"].by_key.values() if len(b) >= 2]
            pool = [r.name for r in data.draw(st.sampled_from(buckets))] if buckets else names
            if len(set(pool)) < 2:
                continue
            chosen = tuple(
                data.draw(st.lists(st.sampled_from(pool), min_size=2, max_size=3, unique=True))
            )
            scheme = "dejmps" if len(chosen) == 2 else "double_x"
            request = PurificationResult("c", chosen, scheme, (0,) * (len(chosen) - 1), True)
            call = ("on_message", data.draw(partners), request, t)
        else:
            pending = sorted(woken._conns["c"].purifications)
            if not pending:
                continue
            names_ = data.draw(st.sampled_from(pending))
            bits = data.draw(st.sampled_from(((0,) * (len(names_) - 1), (1,) * (len(names_) - 1))))
            answer = PurificationResult("c", names_, "dejmps", bits, False)
            call = ("on_message", "z", answer, t)
        assert _outcome(woken, *call) == _outcome(scan, *call), call
