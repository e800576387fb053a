"""The generator computes the parts its 36 candidate plans share once (link purification per
round count, the swap tree per round count and order); its chosen plan must carry exactly what
``estimate`` gives for that plan, and a refusal the best fidelity ``estimate`` gives of any plan
the memories allow: on random paths with asymmetric links (not Werner), noisy gates, T1 and T2."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from qrna.control import LinkState, estimate
from qrna.control._generator import (
    SWAP_ORDERS,
    Accepted,
    Rejected,
    default_generator,
    memories_needed,
)
from qrna.control._messages import ConnectionSetupRequest, HopRecord


@st.composite
def _weights(draw: st.DrawFn) -> tuple[float, float, float, float]:
    """Fidelity 0.78-0.98 with its error split unevenly over Ψ−, Ψ+, Φ−."""
    error = draw(st.floats(0.02, 0.22))
    split = draw(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3))
    return (1 - error, *(error * x / sum(split) for x in split))  # type: ignore[return-value]


@st.composite
def _paths(draw: st.DrawFn) -> tuple[HopRecord, ...]:
    n = draw(st.integers(2, 6))
    hops = []
    for i in range(n):
        link = None
        if i:
            link = LinkState(
                f"n{i - 1}",
                draw(st.floats(50.0, 5000.0)),
                draw(_weights()),
                10.0,
                draw(st.floats(1e-6, 1e-4)),
            )
        t1 = draw(st.sampled_from([math.inf, 0.5, 5.0]))
        t2 = draw(st.floats(0.01, 1.0))
        hops.append(
            HopRecord(
                f"n{i}",
                link,
                8,
                8,
                draw(st.sampled_from([0.0, 0.01])),
                draw(st.sampled_from([0.0, 0.005])),
                t1,
                t2,
            )
        )
    return tuple(hops)


@settings(max_examples=40, deadline=None)
@given(hops=_paths(), target=st.floats(0.5, 0.99), memories=st.integers(1, 5))
def test_the_plan_carries_estimate_numbers(
    hops: tuple[HopRecord, ...], target: float, memories: int
) -> None:
    request = ConnectionSetupRequest(
        "c", hops[0].node, hops[-1].node, target, pairs=5, memories=memories, hops=hops
    )
    result = default_generator(request)
    if isinstance(result, Accepted):
        plan = result.plan
        fidelity, rate = estimate(
            hops,
            plan.link_scheme,
            plan.link_rounds,
            plan.swap_order,
            plan.e2e_scheme,
            plan.e2e_rounds,
            result.memories,
        )
        assert (plan.fidelity, plan.rate_hz) == (fidelity, rate)
        assert fidelity >= target
    else:
        assert isinstance(result, Rejected)
        best = max(
            estimate(hops, "dejmps", lr, order, "dejmps", er, memories)[0]
            for lr, order, er in itertools.product(range(4), SWAP_ORDERS, range(3))
            if memories_needed(lr, er) <= memories
        )
        assert result.detail.endswith(f"the best plan gives {best:.4f}")
