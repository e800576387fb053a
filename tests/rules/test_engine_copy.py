"""A rule engine's deep copy (the verifier explores from copies) is made by the engine's own
``__deepcopy__``, which also works when the engine is compiled (``tools/compile.py``): it must
copy every attribute, share no mutable state with the original, keep one object per resource
across the copy's indexes, and behave as the original on the same events."""

from __future__ import annotations

import copy

from qrna.rules import ChainSimulation, chain_rulesets
from tests.rules.conftest import chain, introspects_engine

pytestmark = introspects_engine


def _busy_engine() -> ChainSimulation:
    names, specs = chain(4, emission_fidelity=0.95)
    sim = ChainSimulation(specs, chain_rulesets("c", names, link_rounds=1), seed=5)
    sim.run(0.003)
    return sim


def test_a_copy_equals_the_original_and_shares_nothing_mutable() -> None:
    sim = _busy_engine()
    for engine in sim.engines.values():
        twin = copy.deepcopy(engine)
        assert set(vars(twin)) == set(vars(engine))
        for name in ("node", "now_ps", "_last_stamp"):
            assert getattr(twin, name) == getattr(engine, name)
        assert twin._conns == engine._conns  # dataclass equality, field by field
        conn, theirs = twin._conns["c"], engine._conns["c"]
        assert conn is not theirs
        assert conn.plan is theirs.plan  # immutable: shared on purpose
        for field in ("by_name", "by_key", "by_stage", "timers", "woken", "queued", "deadlines"):
            assert getattr(conn, field) is not getattr(theirs, field), field
        for name, res in conn.by_name.items():
            assert res is not theirs.by_name[name]
            assert res in conn.by_key[(res.stage, res.partner)]  # one object in every index
            assert conn.by_stage[res.stage][name] is res


def test_a_copy_answers_events_as_the_original_does() -> None:
    sim = _busy_engine()
    node = sim.nodes[1]
    engine = sim.engines[node]
    twin = copy.deepcopy(engine)
    held = len(engine._conns["c"].by_name)
    assert held > 0
    t = engine.now_ps + 10**9
    token = ("c", next(iter(engine._conns["c"].timers), (0, "*")))
    assert twin.on_timer(token, t) == engine.on_timer(token, t)
    assert twin._conns == engine._conns
