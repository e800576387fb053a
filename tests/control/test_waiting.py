"""The generator's waiting model (``qrna.control._waiting``) against its closed form and an
independent simulation written here.

The independent simulation steps a 3-node chain round by round with explicit memories and
queues, as the protocol runs (not pair by pair, as the model does): time in rounds of one
unit, heralds at a round's end, each free bin attempting once per round; the repeater swaps
its oldest pair of each side at once when it holds both and frees them; the end nodes
deliver, and free their memories, one latency later; a bin attempts again once both of its
memories are free. It runs 200,000 rounds (some 60,000 pairs), so its own error is well
under 1 %; the model simulates a few hundred pairs at a fixed seed, a few per cent."""

from __future__ import annotations

import random
from collections import deque

import numpy as np
import pytest

from qrna.control import _waiting
from qrna.control._waiting import LinkTiming, _Tree, chain_timing


def _three_nodes(p: float, memories: int, latency: int, rounds: int, seed: int) -> dict[str, float]:
    """Rate (pairs per round) and mean waits of the 3-node protocol (module docstring)."""
    rng = random.Random(seed)
    attempting = [memories, memories]  # bins attempting per link
    queues: list[deque[int]] = [deque(), deque()]  # emission round of each held pair at b
    frees: dict[int, list[int]] = {}  # round -> links whose bin is free again then
    heralds: dict[int, list[tuple[int, int]]] = {}  # round -> (link, emission round)
    delivered: list[int] = []
    waits: list[tuple[int, int]] = []
    for t in range(rounds):
        for link in frees.pop(t, []):
            attempting[link] += 1
        for link, emitted in heralds.pop(t, []):
            queues[link].append(emitted)
        while queues[0] and queues[1]:
            left, right = queues[0].popleft(), queues[1].popleft()
            waits.append((t - left, t - right))
            delivered.append(t + latency)  # the swap result reaches both ends
            for link in (0, 1):  # the end's memory, and so the bin, is free then
                frees.setdefault(t + latency, []).append(link)
        for link in (0, 1):
            won = sum(rng.random() < p for _ in range(attempting[link]))
            attempting[link] -= won
            heralds.setdefault(t + 1, []).extend([(link, t)] * won)
    warm = len(delivered) // 10
    span = delivered[-1] - delivered[warm]
    kept = waits[warm:]
    return {
        "rate": (len(delivered) - 1 - warm) / span,
        "left": sum(w for w, _ in kept) / len(kept),
        "right": sum(w for _, w in kept) / len(kept),
    }


@pytest.mark.parametrize(("p", "memories", "latency"), [(0.3, 2, 1), (0.1, 4, 3)])
def test_a_three_node_chain_matches_a_round_by_round_simulation(
    p: float, memories: int, latency: int
) -> None:
    """Rate within 6 % and each side's mean wait before the swap within 8 % of the
    round-by-round simulation; the wait after the swap is exactly the latency (the result's
    way to the ends). For contrast, the advertised rate (every bin always attempting,
    memories · p per round) is at least 15 % too high: bins spend time holding pairs."""
    sim = _three_nodes(p, memories, latency, 200_000, seed=7)
    link = LinkTiming(p, 1.0, 1.0, float(latency))
    model = chain_timing((link, link), "nested", memories)
    assert model.rate_hz == pytest.approx(sim["rate"], rel=0.06)
    left, right = model.swap_waits[1]
    assert left == pytest.approx(sim["left"], rel=0.08)
    assert right == pytest.approx(sim["right"], rel=0.08)
    assert model.delivery_wait == pytest.approx(latency, abs=1e-9)
    assert memories * p > 1.15 * sim["rate"]


@pytest.mark.parametrize("memories", [1, 5])
def test_one_link_is_the_closed_form(memories: int) -> None:
    """One link, pairs delivered at their heralds: every bin attempts every round, so the
    rate is memories · p / round exactly, and a pair has waited only for its herald; both
    swap orders alike."""
    link = LinkTiming(0.2, 2e-5, 1.5e-5, 1e-5)
    for order in ("nested", "sequential"):
        t = chain_timing((link,), order, memories)
        assert t.rate_hz == pytest.approx(memories * 0.2 / 2e-5, rel=1e-12)
        assert t.delivery_wait == 1.5e-5
        assert t.swap_waits == ((0.0, 0.0), (0.0, 0.0))


def test_one_memory_and_sure_links_give_the_hand_worked_cycle() -> None:
    """Five nodes, one memory per QNIC, links that always herald (p = 1) in rounds of 1, a
    latency of 1 and emission 1 before the herald. Sequential: link 0 emits at e, n1 swaps at
    its herald e + 1, n2 at e + 2 (n1's result), n3 at e + 3; n0 has the last result at e + 6
    (3 away), n4 at e + 4. Link 0's bin is busy until e + 6: a pair every 6 rounds. Link 1's
    bin is free at e + 2 (n2's swap), so its next pair waits from e + 2 to n1's next swap at
    e + 7: 5 rounds; so do links 2 and 3 (free at e + 3, e + 4; used at e + 8, e + 9); each
    swap's left pair waits 1 (herald or result), and the end-to-end pair 3 after the last
    swap. Nested: n1 and n3 swap at e + 1, n2 at e + 2, both ends know at e + 4: a pair every
    4 rounds; links 1 and 2 wait 3, links 0 and 3 and the top's halves 1; delivery 2 after."""
    link = LinkTiming(1.0, 1.0, 1.0, 1.0)
    seq = chain_timing((link,) * 4, "sequential", 1)
    assert seq.rate_hz == pytest.approx(1 / 6)
    assert [w for pair in seq.swap_waits for w in pair] == pytest.approx(
        [0, 0] + [1, 5] * 3 + [0, 0]
    )
    assert seq.delivery_wait == pytest.approx(3.0)
    nested = chain_timing((link,) * 4, "nested", 1)
    assert nested.rate_hz == pytest.approx(1 / 4)
    assert [w for pair in nested.swap_waits for w in pair] == pytest.approx(
        [0, 0, 1, 3, 1, 1, 3, 1, 0, 0]
    )
    assert nested.delivery_wait == pytest.approx(2.0)


def test_a_long_chain_with_many_memories_and_rounds_warms_up_within_its_pairs() -> None:
    """A 1000-link chain gets 60 pairs, but 20 memories and 2 end-to-end rounds warm up for
    160: the model simulates enough pairs past the warm-up instead of reading past the end
    of its array (an IndexError at connection setup, found timing the generator there)."""
    link = LinkTiming(0.2, 1e-4, 5e-5, 5e-5)
    timing = chain_timing((link,) * 1000, "nested", 20, 2)
    assert 0 < timing.rate_hz < 20 * 0.2 / 1e-4
    assert len(timing.e2e_waits) == 2
    assert all(w > 0 for w in timing.e2e_waits)


@pytest.mark.parametrize("order", ["nested", "sequential"])
@pytest.mark.parametrize("late", [0, 1, 2, 3])
@pytest.mark.parametrize("slow", [0, 1, 2, 3])
def test_waits_are_never_negative_by_rounding(order: str, late: int, slow: int) -> None:
    """A swap waits at least as long as what it swaps took to be made, to the last bit:
    ``t + latency − latency`` is not ``t`` in floating point (0.24000000000000002 + 0.01 −
    0.01 = 0.24), which made a swap above one at 0.24000000000000002 happen "before" it, a
    wait of −2.8e-17 (fuzzing, 500 links of 10 ms rounds, one of 10 ms latency)."""
    late_herald = 0.24000000000000002
    cum = np.zeros(6)
    cum[slow + 1 :] = 0.01  # link ``slow`` has the latency, the others none
    tree = _Tree(6, order, cum)
    a = np.full(5, 0.2)
    a[late] = late_herald
    for last_w in (np.full(6, -np.inf), np.full(6, 0.21)):
        w, k0, k1, waits, top_made = tree.run(a, a.copy(), last_w)
        assert waits.min() >= 0.0, waits
        assert min(k0, k1) >= top_made
        # A node swaps once both of its links' pairs are heralded.
        assert np.all(w[1:-1] >= np.maximum(a[:-1], a[1:]))


@pytest.mark.parametrize(("n_links", "memories"), [(2, 8), (2, 32), (233, 32), (300, 40)])
def test_pairs_made_in_batches_are_counted_at_their_rate(n_links: int, memories: int) -> None:
    """Sure links without latency: every bin heralds every round and is swapped and freed
    at once, so the chain delivers ``memories`` pairs at the end of every round, exactly
    ``memories / round_s``. The rate was the pairs past the warm-up over the time from the
    first to the last: with all of them in two rounds' batches (233 links: 64 pairs of 32
    per round) that is 63 pairs in one round, 6300/s for 3200 (fuzzing); on 2 links, a
    batch cut at either end made it 6 % low."""
    link = LinkTiming(1.0, 0.01, 0.0, 0.0)
    for order in ("nested", "sequential"):
        timing = chain_timing((link,) * n_links, order, memories)
        assert timing.rate_hz == pytest.approx(memories / 0.01, rel=1e-9), order


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 11, 17, 24])
def test_a_short_nested_tree_swap_by_swap_is_the_vectorised_one_to_the_bit(n: int) -> None:
    """Short nested chains evaluate their tree swap by swap in Python floats (faster than a
    dozen numpy calls per level); the numbers must be the vectorised levels' exactly, or the
    seeded timings (and the plans and discard timers chosen from them) would move."""
    rng = np.random.default_rng(n)
    cum = np.concatenate(([0.0], np.cumsum(rng.uniform(0, 1e-4, n - 1))))
    scalar, vector = _Tree(n, "nested", cum), _Tree(n, "nested", cum)
    assert n <= _waiting._SCALAR_NODES
    for step in range(20):
        a = rng.uniform(0, 1e-3, n - 1) + step * 1e-3
        made = a - rng.uniform(0, 1e-5, n - 1)
        last_w = np.where(rng.random(n) < 0.5, -np.inf, rng.uniform(0, 2e-3, n))
        w1, k0, k1, waits1, top1 = scalar.run(a, made, last_w)
        got = (w1.copy(), k0, k1, waits1.copy(), top1)
        _waiting._SCALAR_NODES, saved = 0, _waiting._SCALAR_NODES
        try:
            w2, k0, k1, waits2, top2 = vector.run(a, made, last_w)
        finally:
            _waiting._SCALAR_NODES = saved
        assert np.array_equal(got[0], w2)
        assert (got[1], got[2], got[4]) == (k0, k1, top2)
        assert np.array_equal(got[3], waits2)


def test_a_generator_fills_an_array_as_successive_calls_would() -> None:
    """Without end-to-end rounds the model draws every step's attempts at once; that gives
    the numbers of one call per step only because numpy fills an array in call order (the
    same stream, element by element). Checked here, so a numpy that changes it is caught."""
    p = np.array([0.3, 0.05, 0.9, 1.0, 0.34])
    one, many = np.random.default_rng(3), np.random.default_rng(3)
    stepwise = np.array([one.geometric(p) for _ in range(200)])
    assert np.array_equal(many.geometric(p, (200, 5)), stepwise)
    assert one.random() == many.random()  # and leaves the stream where they would
