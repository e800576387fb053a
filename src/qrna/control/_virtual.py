"""A network's offer of a virtual link to the layer above (spec §5).

"The border router rewrites the existing set of link information into a single hop, much like
a single hop in BGP routing hides network internal topological information [...] its
estimate of the performance of the path [...] is used to derive the performance
characteristics it reports when describing the virtual link at a higher layer of
recursion." A network offers a pair of its borders as one link: the rate and Bell-diagonal
state its own Responder's generator expects of its plan for the border-to-border path at
the fidelity the network chooses to offer (its policy: a slower, higher-quality link by
purifying inside, or a fast raw one). The offer is a ``LinkState`` like a physical link's,
so the layer above routes (qDijkstra) and plans over it unchanged, and it names no node but
the two borders: nothing of the interior leaves the network.

Example:
    >>> import math
    >>> from qrna.control import HopRecord, LinkState
    >>> inf = math.inf
    >>> w = (0.95, 0.02, 0.02, 0.01)
    >>> hops = (HopRecord("isp.b1", None, 4, 4, 0.0, 0.0, inf, inf),
    ...         HopRecord("isp.x", LinkState("isp.b1", 1e3, w, 5.0, 2.5e-5), 4, 4, 0.0, 0.0,
    ...                   inf, inf),
    ...         HopRecord("isp.b2", LinkState("isp.x", 1e3, w, 5.0, 2.5e-5), 4, 4, 0.0, 0.0,
    ...                   inf, inf))
    >>> link = offer(hops, 0.85)
    >>> link.neighbour, round(link.fidelity, 4), link.length_km
    ('isp.b1', 0.9034, 10.0)
"""

from __future__ import annotations

from qrna.control._errors import ControlError
from qrna.control._estimate import estimate_state
from qrna.control._generator import Accepted, Plan, RuleSetGenerator, default_generator
from qrna.control._messages import ConnectionSetupRequest, HopRecord, LinkState

__all__ = ["offer", "planned_link"]


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


def offer(
    hops: tuple[HopRecord, ...],
    fidelity: float,
    generator: RuleSetGenerator = default_generator,
    memories: int = 4,
    scope: str = "",
) -> LinkState | None:
    """The virtual link a network offers between the two ends of its interior path ``hops``
    (the records its Responder would get, ingress border first, in the layer of the network
    ``scope``), planned by ``generator`` for pairs of at least ``fidelity`` with
    ``memories`` memories per QNIC: seen from the
    egress border, its neighbour is the ingress border; its rate and weights are the plan's
    estimate (``planned_link``). None if the generator refuses (the network cannot offer
    that fidelity there).

    Raises:
        ControlError: for a path of fewer than two records.
    """
    if len(hops) < 2:
        raise ControlError(f"an offer needs a path of two borders or more; got {len(hops)}")
    first, last = hops[0].node, hops[-1].node
    # A demand is required of a request but does not change the plan: nominally 1 s.
    request = ConnectionSetupRequest(
        f"offer:{first}:{last}",
        first,
        last,
        fidelity,
        None,
        1.0,
        memories,
        hops=hops,
        scope=scope,
    )
    answer = generator(request)
    if not isinstance(answer, Accepted):
        return None
    return planned_link(hops, answer.plan, answer.memories, first)
