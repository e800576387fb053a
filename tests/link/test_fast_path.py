"""The hot path of a link whose pairs are freed at once is a shortcut, not a different model:
each shortcut is checked against the general path it replaces, draw for draw."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qrna.hardware import QubitStatus
from qrna.kernel import TraceRecorder
from qrna.link import (
    AttemptSampler,
    Heralds,
    LinkEndpoint,
    LinkError,
    LinkSimulation,
    PairName,
    PairsReady,
)
from tests.link.conftest import link


@pytest.mark.parametrize("p", [0.02, 0.3, 0.9])
def test_winners_draws_what_successes_then_choose_draw(p: float) -> None:
    """``winners(m)`` is ``successes(m)`` then ``choose(m, k)`` (skipped when k = m), sorted,
    using the same uniforms: the two samplers stay in step over 5,000 rounds at seed 11,
    across block refills."""
    one = AttemptSampler(p, np.random.default_rng(11))
    two = AttemptSampler(p, np.random.default_rng(11))
    sizes = np.random.default_rng(5).integers(1, 13, size=5000)
    for m in map(int, sizes):
        k = two.successes(m)
        expected = list(range(m)) if k == m else sorted(two.choose(m, k))
        assert one.winners(m) == expected
        assert one.rounds_until_success(m) == two.rounds_until_success(m)
    assert one.uniform() == two.uniform()


def test_on_heralds_freed_is_on_heralds_then_release_all() -> None:
    heralds = Heralds([PairName("m", 5), PairName("m", 9)], [("a/q", 1), ("a/q", 0)], None)
    fast, slow = (LinkEndpoint("a", "l", "b", hardware=None) for _ in range(2))  # type: ignore[arg-type]
    freed = fast.on_heralds_freed(heralds, 42)
    (ready,) = slow.on_heralds(heralds, 42)
    assert isinstance(ready, PairsReady)
    (free,) = slow.release_all(ready.names)
    assert freed == free.qubits  # type: ignore[union-attr]
    assert fast.pairs == slow.pairs == {}
    assert fast.monitor.heralds == slow.monitor.heralds == 2
    assert fast.monitor.estimate(0, 100) == slow.monitor.estimate(0, 100)


def test_on_heralds_freed_refuses_an_endpoint_with_monitoring() -> None:
    end = LinkEndpoint("a", "l", "b", hardware=None, monitor_fraction=0.1)  # type: ignore[arg-type]
    with pytest.raises(LinkError, match="has monitoring or measures on arrival"):
        end.on_heralds_freed(Heralds([PairName("m", 5)], [("a/q", 1)], None), 42)


@pytest.mark.parametrize(("length_km", "memories"), [(1.0, 10), (20.0, 10), (20.0, 3), (5.0, 1)])
def test_the_freeing_path_runs_the_same_simulation_as_the_effect_path(
    length_km: float, memories: int
) -> None:
    """A LinkSimulation that frees every pair at once takes the shortcut (lazy ground truth,
    no effects); sending its heralds through the general effect path instead gives the same
    event trace, pairs, rounds, monitor counts, memory states and ground truth at seed 4."""
    spec = link("MIM", length_km, memories, t2_s=0.05)
    runs = []
    for shortcut in (True, False):
        rec = TraceRecorder(keep=False)
        sim = LinkSimulation(spec, seed=4, trace=rec)
        assert (sim.link.deliver == sim._deliver_freeing) is True
        if not shortcut:
            sim.link.deliver = sim._deliver
        duration = 2000 / sim.model.rate_hz()
        r1, r2 = sim.run(duration), sim.run(duration / 3)  # the second ends mid-train
        held = sorted(sim.store.held_qubits())
        pairs = [(q, sim.store.pair_of(q).uid, sim.store.pair_of(q).t_ps) for q in held]
        statuses = [[bank.status(i) for i in range(len(bank))] for bank in sim.banks if bank]
        runs.append(
            (
                rec.digest(),
                (r1.pairs, r1.rounds, r1.events, r2.pairs, r2.rounds, r2.events),
                [end.monitor.heralds for end in sim.ends],
                pairs,
                statuses,
                len(sim.store),
            )
        )
    assert runs[0] == runs[1]
    assert runs[0][1][0] > 1000


def test_pairs_in_flight_at_the_end_of_a_run_are_in_the_ground_truth() -> None:
    """A run that stops between a success and its heralds leaves those pairs recorded (built
    on demand from the lazy train) with both halves held by EMITTING memories."""
    spec = link("MIM", 20.0, 10, t2_s=0.05)
    sim = LinkSimulation(spec, seed=2)
    period = sim.model.period_s
    for _ in range(400):
        sim.run(period / 7)
        if len(sim.store):
            break
    held = sim.store.held_qubits()
    assert held
    assert len(held) % 2 == 0
    banks = {bank.address: bank for bank in sim.banks if bank is not None}
    for q in held:
        assert banks[q[0]].status(q[1]) is QubitStatus.EMITTING
        pair = sim.store.pair_of(q)
        assert pair.released == [False, False]
        assert pair.state.fidelity == pytest.approx(sim.model.fidelity, abs=1e-12)
        assert pair.memories[0] == (math.inf, 0.05, math.inf)
