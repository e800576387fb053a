"""The waiting model with segment purification (``qrna.control._segment_timing``) against a
cycle worked out by hand, closed forms, and the lockstep model (``_waiting``) where both
apply; the estimate it feeds against what the simulation delivers is in
tests/scenario/test_estimate_calibration.py."""

from __future__ import annotations

import numpy as np
import pytest

from qrna.control._segment_timing import PAIR_BUDGET, segment_timing
from qrna.control._waiting import LinkTiming, chain_timing


def test_five_nodes_purifying_level_one_give_the_hand_worked_cycle() -> None:
    """Five nested nodes, 2 bins per link, sure links (p = 1) in rounds of 1, emission 1
    before the herald, latency 1 per link; the level-1 segments (0, 2) and (2, 4) purified
    once (2 pairs). In the steady state (pair k, times from its first herald h):

    - n1 swaps its two raw (0, 2) pairs at h + 2 and h + 6 (their second links' heralds);
      each side waits 3 once and 1 once: (2, 2) on average. n3 likewise at h + 2 and h + 6,
      its left pairs heralded 2 before the right ones: waits (3, 1);
    - the leader n0 knows both at h + 7 (the second swap plus a latency of 1), its bits
      reach n2 at h + 9, which acts then; the answer is back at n0 at h + 11, the kept
      pair's "made" (so is (2, 4)'s at its leader n2: h + 11);
    - n2 swaps at h + 11, waiting 0 for either side (both known then); the result takes 2
      to both ends: delivered at h + 13, a wait of 2; the next pair's first herald is
      h + 8: a pair every 8 rounds."""
    link = LinkTiming(1.0, 1.0, 1.0, 1.0)
    timing = segment_timing((link,) * 4, "nested", 2, ((1, 2),))
    assert timing is not None
    assert timing.rate_hz == pytest.approx(1 / 8, rel=1e-12)
    assert timing.swap_waits == ((0.0, 0.0), (2.0, 2.0), (0.0, 0.0), (3.0, 1.0), (0.0, 0.0))
    assert timing.delivery_wait == 2.0


@pytest.mark.parametrize(
    ("memories", "rounds", "pairs"), [(2, 1, 2), (4, 1, 2), (4, 2, 2), (8, 3, 2), (3, 1, 3)]
)
@pytest.mark.parametrize("order", ["nested", "sequential"])
def test_sure_links_without_latency_deliver_memories_over_pairs_per_round(
    memories: int, rounds: int, pairs: int, order: str
) -> None:
    """Sure links and no latency: every bin heralds at each round's end and is swapped,
    purified and freed at once, so a round makes ``memories`` raw pairs per segment and a
    purified level keeps one of every pairs^rounds: memories / pairs^rounds per round,
    exactly (the first level purified; sequential's level 1 holds only links 0 and 1)."""
    link = LinkTiming(1.0, 0.01, 0.0, 0.0)
    timing = segment_timing((link,) * 4, order, memories, ((rounds, pairs),))
    assert timing is not None
    assert timing.rate_hz == pytest.approx(memories / pairs**rounds / 0.01, rel=1e-9)


@pytest.mark.parametrize("order", ["nested", "sequential"])
def test_without_segment_rounds_it_is_the_lockstep_model_exactly_on_sure_links(
    order: str,
) -> None:
    """The two models of one protocol: with nothing purified and sure links (no sampling)
    the pulled pairs are the lockstep pairs, to the last bit (the hand-worked cycle of
    tests/control/test_waiting.py)."""
    link = LinkTiming(1.0, 1.0, 1.0, 1.0)
    pulled = segment_timing((link,) * 4, order, 1, ((0, 2),))
    assert pulled == chain_timing((link,) * 4, order, 1)


@pytest.mark.parametrize(
    ("n_links", "p", "memories", "order"),
    [
        (2, 0.3, 2, "nested"),
        (4, 0.1, 4, "nested"),
        (4, 0.3, 2, "sequential"),
        (9, 0.2, 3, "nested"),
    ],
)
def test_without_segment_rounds_it_agrees_with_the_lockstep_model(
    n_links: int, p: float, memories: int, order: str
) -> None:
    """Random links: each model samples a few hundred pairs with its own generator, so
    they agree within their sampling error: rates within 5 %, the waits summed over the
    chain within 8 % and each node's within 30 % (a node's mean wait is a noisy average
    of queue lengths), delivery within 2 % (a latency or a chain's way)."""
    links = tuple(LinkTiming(p, 1.0, 1.0, float(1 + i % 3)) for i in range(n_links))
    pulled = segment_timing(links, order, memories, ())
    lockstep = chain_timing(links, order, memories)
    assert pulled is not None
    assert pulled.rate_hz == pytest.approx(lockstep.rate_hz, rel=0.05)
    got, want = np.array(pulled.swap_waits), np.array(lockstep.swap_waits)
    assert got.sum() == pytest.approx(want.sum(), rel=0.08)
    assert np.all(np.abs(got - want) <= 0.3 * want), (got, want)
    assert pulled.delivery_wait == pytest.approx(lockstep.delivery_wait, rel=0.02)


def test_a_purified_level_slows_the_chain_by_more_than_the_pairs_it_consumes() -> None:
    """Random links (p 0.2, 0.1 ms rounds and latency), 4 bins, nested 5 nodes, one round at
    level 1: the rate out of the tree is 15-35 % below the unpurified rate over 2 (what the
    estimate took before this model: bench/generator.py's s.seg1 came out 40 % too fast),
    since a round holds its segment's end memories while the first pair waits for its
    partner and the bits go there and back."""
    link = LinkTiming(0.2, 1e-4, 1e-4, 1e-4)
    plain = chain_timing((link,) * 4, "nested", 4)
    purified = segment_timing((link,) * 4, "nested", 4, ((1, 2),))
    assert purified is not None
    assert 0.65 < purified.rate_hz / (plain.rate_hz / 2) < 0.85


def test_too_many_pairs_per_end_to_end_pair_are_not_played() -> None:
    """Every level of a 64-link nested chain purified twice: 4^5 link pairs per link per
    end-to-end pair, far past the budget for 60 of them: None (the caller falls back)."""
    link = LinkTiming(0.5, 1e-4, 5e-5, 5e-5)
    assert segment_timing((link,) * 64, "nested", 12, ((2, 2),) * 5) is None
    assert PAIR_BUDGET < 64 * 4**5 * 60


def test_too_few_memories_stall() -> None:
    """One bin per link cannot purify a segment: its first pair holds the end memories
    while it waits for a partner that needs them. The model says so (rate 0), as the
    protocol would stall until discard."""
    link = LinkTiming(0.5, 1e-4, 5e-5, 5e-5)
    timing = segment_timing((link,) * 4, "nested", 1, ((1, 2),))
    assert timing is not None
    assert timing.rate_hz == 0.0
