"""A virtual link: what a network's plan for a path between two of its borders looks like one
layer up (spec §5).

"The border router rewrites the existing set of link information into a single hop [...] its
estimate of the performance of the path [...] is used to derive the performance
characteristics it reports when describing the virtual link at a higher layer of
recursion." The link is a ``LinkState`` like a physical link's: the plan's estimated rate
and whole Bell-diagonal state (``estimate_state``), the path's length and classical latency,
and as neighbour the far end only; no interior node is named.
"""

from __future__ import annotations

from qrna.control._estimate import estimate_state
from qrna.control._generator import Plan
from qrna.control._messages import HopRecord, LinkState

__all__ = ["planned_link"]


def planned_link(
    hops: tuple[HopRecord, ...], plan: Plan, memories: int, neighbour: str
) -> LinkState | None:
    """The virtual link that ``plan`` over the path ``hops`` (with ``memories`` memories per
    QNIC) makes, seen from one end with ``neighbour`` the other; None where the estimate finds
    no pairs (rate 0)."""
    state, rate = estimate_state(
        hops,
        plan.link_scheme,
        plan.link_rounds,
        plan.swap_order,
        plan.e2e_scheme,
        plan.e2e_rounds,
        memories,
        segment_rounds=plan.segment_rounds,
        segment_schemes=plan.segment_schemes,
        link_pumping=plan.link_pumping,
        segment_pumping=plan.segment_pumping or None,
        e2e_pumping=plan.e2e_pumping,
        twirl=plan.twirl,
    )
    if state is None or not rate > 0:
        return None
    links = [h.link_in for h in hops[1:] if h.link_in is not None]
    return LinkState(
        neighbour,
        rate,
        (state.phi_plus, state.psi_minus, state.psi_plus, state.phi_minus),
        sum(link.length_km for link in links),
        sum(link.latency_s for link in links),
    )
