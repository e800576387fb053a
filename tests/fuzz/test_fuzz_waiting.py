"""The waiting model (``chain_timing``) fuzzed over wide inputs: 1–300 links (a few up to
1000), per-link success probabilities 1e-4–1, rounds 1e-7–1e-2 s, heralds, latencies and
delays 0–1e-2 s, 1–40 memories, 0–3 end-to-end rounds, both swap orders.

Every result must be finite and non-negative, the same on the same inputs, a stall (rate 0)
exactly where the model says one happens, and the rate no more than the slowest link's
herald rate ``memories · p / round_s``: every end-to-end pair holds one pair of every link
(module docstring of ``qrna.control._waiting``), and a link's ``memories`` bins herald at
most one pair each per round. The bound is on the steady state; the model measures the rate
as (K − 1) pairs over the span between the first and the last of K ≥ 60 pairs past a
warm-up, so its estimate may exceed it by the herald count's fluctuation over that span (a
sum of Bernoulli trials, relative standard deviation below 1/√(K − 1) ≤ 0.13; five of them
are the slack below) — a real excess of the bound (a pair counted twice, a bin attempting
twice in a round) is a factor, not a few per cent.

The suite runs a few derandomised examples; ``HYPOTHESIS_PROFILE=explore`` (and
``WAITING_FUZZ_EXAMPLES``) many more, with fresh ones.
"""

from __future__ import annotations

import math
import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qrna.control._waiting import ChainTiming, LinkTiming, _timing, chain_timing
from qrna.rules import SWAP_ORDERS

_EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"
EXAMPLES = int(os.environ.get("WAITING_FUZZ_EXAMPLES", "400" if _EXPLORE else "25"))


def _log_floats(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats spread evenly over the decades from ``low`` to ``high``."""
    return st.floats(math.log10(low), math.log10(high)).map(lambda x: min(high, 10.0**x))


_durations = st.one_of(st.just(0.0), _log_floats(1e-9, 1e-2))


@st.composite
def _links(draw: st.DrawFn) -> tuple[LinkTiming, ...]:
    # Mostly short chains (each pair steps over every link), a few long ones up to 1000.
    n = draw(st.one_of(st.integers(1, 12), st.integers(1, 300), st.sampled_from((500, 1000))))
    # Links drawn from a few kinds, so that long chains stay cheap to draw.
    kinds = draw(
        st.lists(
            st.builds(
                LinkTiming,
                p=st.one_of(_log_floats(1e-4, 1.0), st.sampled_from((1.0, 0.0))),
                round_s=_log_floats(1e-7, 1e-2),
                herald_s=_durations,
                latency_s=_durations,
                delay_s=_durations,
            ),
            min_size=1,
            max_size=4,
        )
    )
    pick = draw(st.lists(st.integers(0, len(kinds) - 1), min_size=n, max_size=n))
    return tuple(kinds[i] for i in pick)


def _finite(timing: ChainTiming) -> bool:
    waits = [w for pair in timing.swap_waits for w in pair]
    waits += [timing.delivery_wait, *timing.e2e_waits]
    return all(math.isfinite(w) and w >= 0 for w in waits)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    _links(),
    st.sampled_from(SWAP_ORDERS),
    st.one_of(st.integers(1, 8), st.integers(1, 40)),
    st.integers(0, 3),
)
def test_chain_timing_is_finite_bounded_and_repeatable(
    links: tuple[LinkTiming, ...], order: str, memories: int, e2e_rounds: int
) -> None:
    timing = chain_timing(links, order, memories, e2e_rounds)
    n = len(links) + 1
    assert len(timing.swap_waits) == n
    assert len(timing.e2e_waits) == e2e_rounds
    assert math.isfinite(timing.rate_hz), timing.rate_hz
    assert timing.rate_hz >= 0, timing.rate_hz
    assert _finite(timing), timing
    # The ends swap nothing.
    assert timing.swap_waits[0] == timing.swap_waits[-1] == (0.0, 0.0)
    stalls = memories < e2e_rounds + 1 or any(link.p == 0 for link in links)
    event(f"stall={stalls} long={len(links) > 100}")
    if stalls:
        assert timing.rate_hz == 0.0
    else:
        # Every link heralds; the chain must deliver (no stall where the protocol runs).
        assert timing.rate_hz > 0, (len(links), memories, e2e_rounds)
        slowest = min(memories * link.p / link.round_s for link in links)
        assert timing.rate_hz <= 1.7 * slowest, (timing.rate_hz, slowest)
    # The same inputs, the same result, whether cached or computed afresh (fixed seed).
    assert chain_timing(links, order, memories, e2e_rounds) == timing
    _timing.cache_clear()
    assert chain_timing(links, order, memories, e2e_rounds) == timing
