"""EngineRuntime: engine effects become events at the right times and reach the right hands."""

from __future__ import annotations

from typing import Any

from qrna.kernel import Scheduler
from qrna.link import PairName
from qrna.rules import (
    ANY_PARTNER,
    Discard,
    EngineRuntime,
    FreeResource,
    PairDelivered,
    ResourceOlderThan,
    Rule,
    RuleEngine,
    RuleSet,
    Stage,
    chain_rulesets,
)
from qrna.rules._verify import _SymbolicHardware


def _three(scheduler: Scheduler, log: list[Any], delays: dict[tuple[str, str], int]) -> Any:
    engines = {n: RuleEngine(n, _SymbolicHardware()) for n in "abc"}
    for n, rs in chain_rulesets("k", ["a", "b", "c"]).items():
        engines[n].install(rs)
    runtime = EngineRuntime(
        scheduler,
        engines,
        lambda s, d: delays[(s, d)],
        lambda q: log.append(("free", scheduler.now_ps, q)),
        lambda node, eff: log.append(("delivered", scheduler.now_ps, node, eff.name)),
        lambda eff: log.append(("measured", eff)),
        sent=lambda s, d, m: log.append(("sent", scheduler.now_ps, s, d, type(m).__name__)),
    )
    return engines, runtime


def test_a_swap_reaches_both_ends_after_their_own_delays() -> None:
    scheduler = Scheduler()
    log: list[Any] = []
    engines, runtime = _three(scheduler, log, {("b", "a"): 7, ("b", "c"): 30})
    left, right = PairName("ab", 1), PairName("bc", 2)
    runtime.apply("a", engines["a"].assign("k", left, ("a", 0), "b", 0))
    runtime.apply("c", engines["c"].assign("k", right, ("c", 0), "b", 0))
    runtime.apply("b", engines["b"].assign("k", left, ("b", 0), "a", 0))
    runtime.apply("b", engines["b"].assign("k", right, ("b", 1), "c", 0))
    scheduler.run()
    new = PairName("b", 0)
    assert log == [
        ("free", 0, ("b", 0)),
        ("free", 0, ("b", 1)),
        ("sent", 0, "b", "a", "SwapResult"),
        ("sent", 0, "b", "c", "SwapResult"),
        ("delivered", 7, "a", new),
        ("delivered", 30, "c", new),
    ]
    assert runtime.discards == 0


def test_timers_fire_at_their_delay_and_discards_are_counted() -> None:
    scheduler = Scheduler()
    log: list[Any] = []
    cutoff = Rule("cutoff", (ResourceOlderThan(ANY_PARTNER, 1e-12),), Discard(ANY_PARTNER))
    engine = RuleEngine("a", _SymbolicHardware())
    engine.install(RuleSet("k", "a", (Stage((cutoff,)),)))
    peer = RuleEngine("b", _SymbolicHardware())
    runtime = EngineRuntime(
        scheduler,
        {"a": engine, "b": peer},
        lambda s, d: 5,
        lambda q: log.append(("free", scheduler.now_ps, q)),
        lambda node, eff: log.append(eff),
        log.append,
        sent=lambda s, d, m: log.append(("sent", scheduler.now_ps, s, d, m)),
    )
    runtime.apply("a", engine.assign("k", PairName("ab", 1), ("a", 0), "b", 0))
    scheduler.run()
    # 1 ps old at 1 ps; the timer fires one ps later (strictly older), at 2 ps.
    assert log == [
        ("free", 2, ("a", 0)),
        ("sent", 2, "a", "b", FreeResource("k", PairName("ab", 1))),
    ]
    assert runtime.discards == 1
    assert not any(isinstance(e, PairDelivered) for e in log)
