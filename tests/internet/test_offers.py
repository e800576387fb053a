"""A network's offer of a virtual link (spec §5): the rate and whole Bell-diagonal state its
own generator's plan gives between two borders, as a ``LinkState`` naming only the borders;
the layer above plans over it as over a physical link."""

from __future__ import annotations

import math

import pytest

from qrna.control import (
    Accepted,
    ConnectionSetupRequest,
    ControlError,
    HopRecord,
    LinkState,
    default_generator,
    estimate_state,
)
from qrna.internet import offer
from qrna.physics import BellDiagonal, swap

INF = math.inf
INSIDE = ((0.93, 0.01, 0.05, 0.01), (0.9, 0.04, 0.01, 0.05), (0.95, 0.01, 0.01, 0.03))


def _path(names: list[str], weights: tuple[tuple[float, ...], ...], t2_s: float = INF):
    hops = [HopRecord(names[0], None, 8, 8, 0.0, 0.0, INF, t2_s)]
    for i, w in enumerate(weights, 1):
        link = LinkState(names[i - 1], 3000.0, w, 10.0, 5e-5)  # type: ignore[arg-type]
        hops.append(HopRecord(names[i], link, 8, 8, 0.002, 0.0, INF, t2_s))
    return tuple(hops)


def _weights(x: BellDiagonal | LinkState) -> tuple[float, ...]:
    if isinstance(x, LinkState):
        return x.weights
    return (x.phi_plus, x.psi_minus, x.psi_plus, x.phi_minus)


@pytest.mark.parametrize("target", [0.7, 0.85, 0.93])
def test_the_offer_is_the_generator_s_plan_as_one_link_naming_only_the_borders(
    target: float,
) -> None:
    names = ["isp.b1", "isp.x", "isp.y", "isp.b2"]
    hops = _path(names, INSIDE, t2_s=0.5)
    link = offer(hops, target, memories=8)
    assert link is not None
    request = ConnectionSetupRequest("o", "isp.b1", "isp.b2", target, None, 1.0, 8, hops=hops)
    answer = default_generator(request)
    assert isinstance(answer, Accepted)
    assert link.rate_hz == pytest.approx(answer.plan.rate_hz, rel=1e-12)
    assert link.fidelity == pytest.approx(answer.plan.fidelity, abs=1e-12)
    assert link.fidelity >= target
    assert (link.neighbour, link.length_km) == ("isp.b1", 30.0)
    assert link.latency_s == pytest.approx(1.5e-4, rel=1e-12)
    # nothing of the interior leaves the network
    assert "isp.x" not in repr(link)
    assert "isp.y" not in repr(link)


def test_a_fidelity_the_network_cannot_reach_gets_no_offer() -> None:
    assert offer(_path(["b1", "x", "b2"], INSIDE[:2], t2_s=1e-4), 0.99) is None
    with pytest.raises(ControlError, match="two borders or more; got 1"):
        offer(_path(["b1"], ()), 0.8)


def test_the_layer_above_swaps_the_offered_state_as_a_link() -> None:
    """A host a, the network's two borders b1 and b2, a host c: the layer above's estimate
    over the path a-b1 =(virtual)= b2-c, with ideal gates and memories, is the closed form
    swap(swap(L, V), L) of the offered state V, weight by weight (none of them Werner)."""
    inner = _path(["b1", "x", "b2"], INSIDE[:2])
    virtual = offer(inner, 0.75)
    assert virtual is not None
    outer = (0.97, 0.01, 0.015, 0.005)
    hops = (
        HopRecord("a", None, 8, 8, 0.0, 0.0, INF, INF),
        HopRecord("b1", LinkState("a", 3000.0, outer, 10.0, 5e-5), 8, 8, 0.0, 0.0, INF, INF),
        HopRecord("b2", virtual, 8, 8, 0.0, 0.0, INF, INF),
        HopRecord("c", LinkState("b2", 3000.0, outer, 10.0, 5e-5), 8, 8, 0.0, 0.0, INF, INF),
    )
    state, rate = estimate_state(hops, "dejmps", 0, "nested", "dejmps", 0, 8)
    assert state is not None
    assert rate > 0
    link = BellDiagonal.from_weights(outer)
    want = swap(swap(link, BellDiagonal.from_weights(virtual.weights)), link)
    assert _weights(state) == pytest.approx(_weights(want), abs=1e-12)
