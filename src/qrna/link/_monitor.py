"""Link monitoring: rate and Bell-diagonal state estimated from measurement statistics.

Both ends measure a sample of pairs in the same basis (chosen from the pair's name, so they
agree without talking) and exchange the bits. From the correlators
E_b = P(bits equal) − P(bits differ) in b = X, Y, Z the Bell-diagonal weights follow:

    Φ+ = (1 + E_X − E_Y + E_Z)/4     Ψ− = (1 − E_X − E_Y − E_Z)/4
    Ψ+ = (1 + E_X + E_Y − E_Z)/4     Φ− = (1 − E_X + E_Y + E_Z)/4

(Φ+ has E = (+1, −1, +1)). Each E_b has variance (1 − E_b²)/n_b, so the fidelity's standard
error is √(Σ_b var_b)/4. The fidelity estimate is clipped to [0, 1] (Φ+'s weight computed
from sampled correlators can fall below 0, never above 1) and so is its normal 95 % interval
F ± 1.96 se: a fidelity outside [0, 1] means nothing, and the clipped interval still holds
the estimate. The rate is heralds per second of observation, with a Poisson error.
This is what a node can know (spec §4.2: fidelity needs constant link monitoring); it never
reads the simulator's state.

The routing cost (spec §4.2, qDijkstra) is seconds per Bell pair at fidelity F: 1/rate if the
link already reaches F, else the cost of the DEJMPS rounds that would lift the estimated state
to F (each round consumes 2 pairs per output and keeps it with its success probability).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qrna.link._cost import seconds_per_pair
from qrna.physics import BellDiagonal

__all__ = ["LinkEstimate", "LinkMonitor"]

_Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class LinkEstimate:
    """A link's estimated performance.

    Attributes:
        rate_hz: heralded pairs per second; ``rate_ci_hz`` its 95% interval.
        state: estimated Bell-diagonal state (weights clipped to [0, 1] and renormalised).
        fidelity: estimated F; ``fidelity_ci`` its 95% interval; ``samples`` measured pairs.
    """

    rate_hz: float
    rate_ci_hz: tuple[float, float]
    state: BellDiagonal | None
    fidelity: float
    fidelity_ci: tuple[float, float]
    samples: int

    def seconds_per_pair(self, fidelity: float, max_rounds: int = 8) -> float:
        """Routing cost at target ``fidelity`` (inf if unreachable or nothing observed)."""
        if self.state is None:
            return math.inf
        return seconds_per_pair(self.rate_hz, self.state, fidelity, max_rounds=max_rounds)


class LinkMonitor:
    """Accumulates one link's heralds and paired measurement results at one end."""

    __slots__ = ("_last_ps", "counts", "heralds")

    def __init__(self) -> None:
        self.heralds = 0
        self._last_ps = 0
        self.counts = {"X": [0, 0], "Y": [0, 0], "Z": [0, 0]}  # [pairs, equal bits]

    def reset(self) -> None:
        """Start a new observation window: forget heralds and measurement results so far."""
        self.heralds = 0
        self._last_ps = 0
        self.counts = {"X": [0, 0], "Y": [0, 0], "Z": [0, 0]}

    def observe_heralds(self, t_ps: int, count: int = 1) -> None:
        """Count ``count`` heralds arriving at time ``t_ps``."""
        self._last_ps = t_ps
        self.heralds += count

    def observe_result(self, basis: str, own_bit: int, partner_bit: int) -> None:
        """Add one sampled pair measured in ``basis`` at both ends."""
        c = self.counts[basis]
        c[0] += 1
        c[1] += own_bit == partner_bit

    def absorb(self, other: LinkMonitor) -> None:
        """Add ``other``'s measurement results to this one's (heralds are not pooled: a rate
        belongs to one observation window)."""
        for basis, (n, equal) in other.counts.items():
            mine = self.counts[basis]
            mine[0] += n
            mine[1] += equal

    def estimate(self, since_ps: int = 0, now_ps: int | None = None) -> LinkEstimate:
        """The estimate from what was observed since the last ``reset``; the rate divides the
        heralds by the window [since_ps, now_ps] (default: up to the last herald), which
        should start at that reset."""
        end = self._last_ps if now_ps is None else now_ps
        window = (end - since_ps) * 1e-12
        n = self.heralds
        rate = n / window if window > 0 else 0.0
        half = _Z95 * math.sqrt(n) / window if window > 0 else 0.0
        corr: dict[str, float] = {}
        var = 0.0
        samples = 0
        for b, (total, equal) in self.counts.items():
            samples += total
            if total == 0:
                continue
            e = (2 * equal - total) / total
            corr[b] = e
            var += max(1.0 - e * e, 1.0 / total) / total  # floor keeps a CI when e = ±1
        if len(corr) < 3:
            return LinkEstimate(
                rate,
                (max(0.0, rate - half), rate + half),
                None,
                math.nan,
                (math.nan, math.nan),
                samples,
            )
        ex, ey, ez = corr["X"], corr["Y"], corr["Z"]
        raw = [
            (1 + ex - ey + ez) / 4,
            (1 - ex - ey - ez) / 4,
            (1 + ex + ey - ez) / 4,
            (1 - ex + ey + ez) / 4,
        ]
        clipped = [min(1.0, max(0.0, w)) for w in raw]
        state = BellDiagonal.from_weights([w / sum(clipped) for w in clipped])
        f, se = min(1.0, max(0.0, raw[0])), math.sqrt(var) / 4
        return LinkEstimate(
            rate,
            (max(0.0, rate - half), rate + half),
            state,
            f,
            (max(0.0, f - _Z95 * se), min(1.0, f + _Z95 * se)),
            samples,
        )
