"""A level's purification rounds as the estimate models them: recurrence and entanglement
pumping of pairs made at a given rate, and the rate a link's bins deliver when its own pairs
are purified (issue 12: estimates that match what runs).

The states: each round's inputs wait in memory for each other and for the partner's bits,
both halves decohering (each end's T1, T2 or depolarising time constant) over the wait. The
rate of link purification: not the raw rate times each round's yield, since a link's bins
(memory pairs) are what makes its pairs, and the RuleSets hold a bin well after its herald
(``recurrence_link_rate``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from qrna.control._errors import ControlError
from qrna.control._messages import HopRecord
from qrna.physics import (
    SCHEMES,
    BellDiagonal,
    GateNoise,
    decohere_half,
    depolarize_half,
    purify,
)

__all__ = ["recurrence_link_rate"]


@functools.lru_cache(maxsize=4096)
def _noise(hop: HopRecord) -> GateNoise:
    """A hop's gate noise (cached: a long path's swaps ask for it once per plan weighed)."""
    return GateNoise(
        cnot_error=hop.gate_error,
        single_qubit_error=hop.single_qubit_error,
        readout_error=hop.readout_error,
        swap_degradation=hop.swap_degradation,
        swap_success_probability=hop.swap_success_probability,
    )


def _age(state: BellDiagonal, t_s: float, left: HopRecord, right: HopRecord) -> BellDiagonal:
    """Both halves of a pair wait ``t_s`` in the memories of ``left`` and ``right``: T1/T2
    decay, then depolarising with probability 1 − e^{−t/τ}, as the ground truth ages them."""
    for hop in (left, right):
        if t_s > 0 and (math.isfinite(hop.t1_s) or math.isfinite(hop.t2_s)):
            # decohere(state, t_s, T1, T2, (half,)) without its checks (HopRecord checks its
            # times; T2 is capped at 2·T1 here): the same numbers, and alike for either half.
            state = decohere_half(state, t_s, hop.t1_s, min(hop.t2_s, 2 * hop.t1_s))
        if t_s > 0 and math.isfinite(hop.depolarising_time_s):
            state = depolarize_half(state, -math.expm1(-t_s / hop.depolarising_time_s))
    return state


def _purified(
    state: BellDiagonal,
    rate_hz: float,
    rounds: int,
    scheme: str,
    ends: tuple[HopRecord, HopRecord],
    latency_s: float,
    memories: int,
    pumping: bool = False,
    twirl: bool = False,
) -> tuple[BellDiagonal, float] | None:
    """(state, output rate) after ``rounds`` recurrence rounds of a link's pairs, made at
    ``rate_hz`` by its ``memories`` bins (None if a round cannot succeed). Before each round
    both inputs wait for the round's pairs and the partner's bits (``_wait``); with
    ``twirl`` each round's inputs are twirled to Werner form first. ``pumping`` (two rounds
    or more): entanglement pumping instead (``_pumped``)."""
    if pumping and rounds >= 2:
        return _pumped(state, rate_hz, rounds, scheme, ends, latency_s, memories, twirl)
    done = _recurrence(state, rate_hz, rounds, scheme, ends, latency_s, twirl)
    if done is None:
        return None
    state, yields = done
    return state, rate_hz * math.prod(yields) / SCHEMES[scheme].pairs ** rounds


def _recurrence(
    state: BellDiagonal,
    rate_hz: float,
    rounds: int,
    scheme: str,
    ends: tuple[HopRecord, HopRecord],
    latency_s: float,
    twirl: bool = False,
) -> tuple[BellDiagonal, tuple[float, ...]] | None:
    """(kept state, each round's success probability) of ``rounds`` recurrence rounds of
    pairs made at ``rate_hz``, each round's inputs having waited for each other and the
    partner's bits (``_wait``); None if a round cannot succeed."""
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    yields = []
    for _ in range(rounds):
        state = _age(state, _wait(rate_hz, k, latency_s), *ends)
        p, kept = purify(state, state if k == 2 else (state, state), scheme, noise, twirl=twirl)
        if kept is None or p <= 0:
            return None
        state, rate_hz = kept, rate_hz * p / k
        yields.append(p)
    return state, tuple(yields)


def _pumped(
    state: BellDiagonal,
    rate_hz: float,
    rounds: int,
    scheme: str,
    ends: tuple[HopRecord, HopRecord],
    latency_s: float,
    memories: int,
    twirl: bool = False,
) -> tuple[BellDiagonal, float] | None:
    """(state, output rate) after ``rounds`` rounds of entanglement pumping (``Purify``'s
    ``pump_from``): one chain at a time seeds a kept pair from fresh pairs, then purifies it
    with a fresh one per round; None if a round cannot succeed.

    Each round takes the bits' way there and back (2 latencies) plus, when no fresh pair
    came meanwhile, the wait for one (Poisson arrivals at ``rate_hz`` from the memories the
    kept pair leaves free): the kept pair waits
    that long between rounds. Fresh pairs queue while a chain runs: when the link makes
    them faster than chains use them, the queue is full (the connection's memories less the
    round's pairs) and each waits its length over the use rate, else about as long as a
    recurrence round's inputs (``_wait``). Chains come one after another, so the output
    rate is the lesser of the success probability over a chain's mean duration and the
    fresh pairs' rate over the mean pairs a chain uses."""
    k = SCHEMES[scheme].pairs
    noise = (_noise(ends[0]), _noise(ends[1]))
    # While a chain runs its kept pair holds one of the memories: the others make fresh ones.
    fresh_hz = rate_hz * (memories - 1) / memories if memories > 1 else rate_hz
    gap = math.exp(-2.0 * latency_s * fresh_hz) / fresh_hz  # a fresh pair not already there
    period = 2.0 * latency_s + gap  # between two rounds of one chain
    fresh_wait = _wait(rate_hz, k, latency_s)
    result: tuple[BellDiagonal, float] | None = None
    for _ in range(2):  # the fresh pairs' wait depends on how fast chains use them
        fresh = _age(state, fresh_wait, *ends)
        kept, reach, duration, used = fresh, 1.0, 0.0, 0.0
        for r in range(rounds):
            if r:
                kept = _age(kept, period, *ends)
            inputs = (fresh,) * (k - 1)
            p, out = purify(kept, inputs[0] if k == 2 else inputs, scheme, noise, twirl=twirl)
            if out is None or p <= 0:
                return None
            used += reach * (k if r == 0 else k - 1)
            duration += reach * period
            reach *= p
            kept = out
        rate = min(reach / duration, fresh_hz * reach / used)
        result = (kept, rate)
        use_hz = used / duration
        queue = max(memories - k, 0)
        if fresh_hz > use_hz and queue:
            fresh_wait = latency_s + queue / use_hz
    return result


def _wait(rate_hz: float, pairs: int, latency_s: float) -> float:
    """The mean time an input of a purification round waits in memory: pairs arrive about
    1/``rate_hz`` apart, so of the round's ``pairs`` the i-th waits (pairs − i) gaps for the
    last; then the partner's bits take one message latency."""
    return (pairs - 1) / (2 * rate_hz) + latency_s


def _idle(offset_s: float, round_s: float) -> float:
    """How long a bin freed ``offset_s`` after a round's end waits for the next round's start
    (the link takes freed memories from the next round on; a free within a billionth of a
    period of a round's start is at it, as ``_waiting._next_round`` takes it)."""
    idle = -offset_s % round_s
    return 0.0 if idle < 1e-9 * round_s or round_s - idle < 1e-9 * round_s else idle


def recurrence_link_rate(
    p: float,
    round_s: float,
    latency_s: float,
    memories: int,
    pairs: int,
    yields: Sequence[float],
) -> float:
    """Purified pairs per second a link's ``memories`` bins deliver under recurrence
    purification of ``len(yields)`` rounds (``yields``: each round's success probability)
    of ``pairs`` pairs each, a bin's attempt succeeding with probability ``p`` per round of
    ``round_s``; ``latency_s`` the link's one-way latency. Up to the last round's kept pair
    (how long it is then held is the chain's waiting model's: ``_waiting``).

    What the RuleSets do (``rules._engine``): the leader (the end whose address sorts first)
    acts when it holds a round's ``pairs`` pairs, measures the sacrificed ones and frees
    their memories at once; the other end frees its halves when the leader's bits come, one
    latency later; the kept pair is known to the leader one more latency later, when the
    answer is back, and freed at both ends then if the bits disagree. So by Little's law the
    bins' busy time per delivered pair is: every raw pair's attempts (1/p rounds each); per
    round-r purification, ``pairs − 1`` bins held one latency and the kept one two, and the
    wait for the next round start of each bin freed. Besides, a round's first pairs wait at
    the leader for the rest: it holds 0 … pairs − 1 of them in turn, (pairs − 1)/2 bins on
    average per round, whatever the rate; those bins make nothing. The rate is the bins
    that attempt over that busy time:

        (m − R·(k − 1)/2) / (N₀·T/p + Σ_r E_r·((k − 1)·(L + i) + 2L + (1 − p_r)·i))

    with N₀ = Π_r k/p_r raw pairs and E_r = Π_(s>r) (k/p_s) / p_r round-r purifications per
    delivered pair (rounds counted from 1), i a freed bin's wait for the next round start
    (``_idle``). Exact on average but for the waits' mean (taken as the queue's uniform
    cycle; simultaneous heralds make it a little shorter) and for the round start idles,
    taken as if every round-r purification happened when its last pair was known (a
    herald, plus two latencies per round below): a few per cent slow on few memories.

    Sure links, a latency of one round, 2 bins, one round that always succeeds: a
    purified pair takes 2 raw pairs' attempts (2 rounds), 1 latency of the sacrificed bin
    and 2 of the kept one, 5 rounds of bin time; 1.5 bins attempt on average:

    >>> round(recurrence_link_rate(1.0, 1.0, 1.0, 2, 2, (1.0,)), 12)
    0.3
    """
    if not 0 < p <= 1 or memories < 1 or pairs < 2:
        raise ControlError(
            f"recurrence_link_rate(p={p!r}, memories={memories!r}, pairs={pairs!r}) needs "
            "0 < p <= 1, a memory and at least 2 pairs per round"
        )
    rounds = len(yields)
    if any(not 0 < y <= 1 for y in yields):
        raise ControlError(f"recurrence_link_rate: yields={list(yields)!r} must be in (0, 1]")
    k = pairs
    attempting = memories - rounds * (k - 1) / 2
    if attempting <= 0:
        return 0.0
    busy = math.prod(k / y for y in yields) * round_s / p
    for r in range(1, rounds + 1):
        y = yields[r - 1]
        events = math.prod(k / x for x in yields[r:]) / y
        # The round's last input was known 2·(r − 1) latencies after a herald (a round's end).
        at = 2 * (r - 1) * latency_s
        sacrificed = (k - 1) * (latency_s + _idle(at + latency_s, round_s))
        kept = 2 * latency_s + (1 - y) * _idle(at + 2 * latency_s, round_s)
        busy += events * (sacrificed + kept)
    return attempting / busy
