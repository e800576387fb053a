"""``estimate_state``: the delivered pair's whole Bell-diagonal state, the figure a network
offers one layer up as a virtual link (spec §5). Its Φ+ weight is ``estimate``'s fidelity for
every plan, and on memories that never decohere with ideal gates it is the closed form of
what the plan does, weight by weight (links not Werner, so a swapped weight order shows)."""

from __future__ import annotations

import itertools
import math

import pytest

from qrna.control import HopRecord, LinkState, estimate, estimate_state
from qrna.physics import BellDiagonal, purify, swap

LINKS = ((0.9, 0.02, 0.03, 0.05), (0.85, 0.01, 0.1, 0.04), (0.92, 0.05, 0.02, 0.01))


def _hops(t2_s: float = math.inf, memories: int = 6) -> tuple[HopRecord, ...]:
    hops = [HopRecord("n0", None, memories, memories, 0.0, 0.0, math.inf, t2_s)]
    for i, w in enumerate(LINKS, 1):
        link = LinkState(f"n{i - 1}", 2000.0, w, 5.0, 2.5e-5)
        hops.append(HopRecord(f"n{i}", link, memories, memories, 0.0, 0.0, math.inf, t2_s))
    return tuple(hops)


def _weights(state: BellDiagonal) -> tuple[float, float, float, float]:
    return (state.phi_plus, state.psi_minus, state.psi_plus, state.phi_minus)


def test_the_state_is_the_closed_form_of_the_plan() -> None:
    a, b, c = (BellDiagonal.from_weights(w) for w in LINKS)
    swapped = swap(swap(a, b), c)  # ideal swaps of Pauli-diagonal states: order-free
    state, rate = estimate_state(_hops(), "dejmps", 0, "nested", "dejmps", 0)
    assert state is not None
    assert rate > 0
    assert _weights(state) == pytest.approx(_weights(swapped), abs=1e-12)
    _, kept = purify(swapped, swapped, "dejmps")
    assert kept is not None
    state, _ = estimate_state(_hops(), "dejmps", 0, "sequential", "dejmps", 1, 6)
    assert state is not None
    assert _weights(state) == pytest.approx(_weights(kept), abs=1e-12)


@pytest.mark.parametrize(
    ("link_rounds", "order", "e2e_rounds", "e2e_pumping", "t2_s"),
    [
        (r, o, e, p, t)
        for r, o, e, p, t in itertools.product(
            (0, 1, 2), ("nested", "sequential"), (0, 1, 2), (False, True), (math.inf, 0.05)
        )
        if not (p and e < 2)
    ],
)
def test_its_fidelity_and_rate_are_estimate_s(
    link_rounds: int, order: str, e2e_rounds: int, e2e_pumping: bool, t2_s: float
) -> None:
    args = (_hops(t2_s), "dejmps", link_rounds, order, "bbpssw", e2e_rounds, 6)
    state, rate = estimate_state(*args, e2e_pumping=e2e_pumping)
    fidelity, want_rate = estimate(*args, e2e_pumping=e2e_pumping)
    assert rate == want_rate
    assert (0.0 if state is None else state.fidelity) == fidelity
    if state is not None:
        assert sum(_weights(state)) == pytest.approx(1.0, abs=1e-12)


def test_no_pair_means_no_state() -> None:
    hops = list(_hops())
    dead = LinkState("n0", 0.0, LINKS[0], 5.0, 2.5e-5)
    hops[1] = HopRecord("n1", dead, 6, 6, 0.0, 0.0, math.inf, math.inf)
    assert estimate_state(tuple(hops), "dejmps", 0, "nested", "dejmps", 0) == (None, 0.0)
