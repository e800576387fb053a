"""A link's routing cost for qDijkstra (spec §4.2): seconds per Bell pair of fidelity at least F.

A link makes pairs at ``rate_hz`` in state ρ. If ρ's fidelity is below F, pairs are purified
by recurrence (each round takes ``pairs`` outputs of the round below, two or three, and keeps
one on success) until the fidelity reaches F. With L_r the link pairs consumed per output of
round r and p_r the round's success probability (from ``qrna.physics.purify`` on the round's
input states),

    L_0 = 1,    L_r = pairs · L_{r−1} / p_r,    cost = L_r / rate_hz   (seconds per pair),

for the fewest rounds r that reach F; the cost is infinite if ``max_rounds`` cannot reach it
(or purification stops improving). This is the expected consumption of a recurrence
scheme, ignoring the waiting it adds; it is what routing compares, not a promise of rate.

Example:
    >>> from qrna.physics import BellDiagonal
    >>> plan = purification_plan(BellDiagonal.werner(0.9), 0.95)
    >>> plan.rounds, round(plan.link_pairs, 3)
    (2, 5.263)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qrna.link._errors import LinkError
from qrna.physics import SCHEMES, BellDiagonal, GateNoise, purify

__all__ = ["PurificationPlan", "purification_plan", "seconds_per_pair"]


@dataclass(frozen=True, slots=True)
class PurificationPlan:
    """``rounds`` of ``scheme`` turn link pairs of the given state into ``state``, consuming
    ``link_pairs`` link pairs per output on average (infinite: F is out of reach)."""

    scheme: str
    rounds: int
    state: BellDiagonal
    link_pairs: float

    @property
    def reachable(self) -> bool:
        return math.isfinite(self.link_pairs)


def purification_plan(
    state: BellDiagonal,
    fidelity: float,
    scheme: str = "dejmps",
    max_rounds: int = 8,
    noise: GateNoise | None = None,
) -> PurificationPlan:
    """The fewest recurrence rounds of ``scheme`` that lift ``state`` to ``fidelity``."""
    if scheme not in SCHEMES:
        raise LinkError(
            f"scheme={scheme!r} is not a purification scheme; expected one of "
            + ", ".join(sorted(SCHEMES))
        )
    if not 0.0 <= fidelity <= 1.0:
        raise LinkError(f"fidelity={fidelity!r} is outside [0, 1]")
    k = SCHEMES[scheme].pairs
    current, consumed = state, 1.0
    for rounds in range(max_rounds + 1):
        if current.fidelity >= fidelity - 1e-12:
            return PurificationPlan(scheme, rounds, current, consumed)
        if rounds == max_rounds:
            break
        sacrifice = current if k == 2 else (current, current)
        p, kept = purify(current, sacrifice, scheme, noise)
        if kept is None or p <= 0.0 or kept.fidelity <= current.fidelity + 1e-12:
            break  # purification no longer helps: the target is out of reach
        current, consumed = kept, k * consumed / p
    return PurificationPlan(scheme, 0, state, math.inf)


def seconds_per_pair(
    rate_hz: float,
    state: BellDiagonal,
    fidelity: float,
    scheme: str = "dejmps",
    max_rounds: int = 8,
    noise: GateNoise | None = None,
) -> float:
    """qDijkstra's link cost: seconds per pair of fidelity >= ``fidelity`` (inf if none)."""
    if not rate_hz > 0:
        return math.inf
    return purification_plan(state, fidelity, scheme, max_rounds, noise).link_pairs / rate_hz
