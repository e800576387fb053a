"""What every application shares: two sockets on a connection, and statistics helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qrna.api import QuantumSocket, socket
from qrna.api._socket import Kind
from qrna.control import Network, PlanRequest

__all__ = ["App", "RunningStats", "binary_entropy", "binomial_ci"]


@dataclass(slots=True)
class RunningStats:
    """Count, mean and sample standard deviation of a stream of values, in constant memory
    (Welford's update: one pass, no cancellation in the variance).

    >>> s = RunningStats()
    >>> for x in (1.0, 2.0, 4.0):
    ...     s.add(x)
    >>> s.n, round(s.mean, 12), round(s.stdev, 12)
    (3, 2.333333333333, 1.527525231652)
    """

    n: int = 0
    mean: float = math.nan
    _m2: float = 0.0

    def add(self, x: float) -> None:
        """One more value."""
        self.n += 1
        if self.n == 1:
            self.mean = x
            return
        delta = x - self.mean
        self.mean += delta / self.n
        self._m2 += delta * (x - self.mean)

    @property
    def stdev(self) -> float:
        """Sample standard deviation (NaN for fewer than two values)."""
        return math.sqrt(self._m2 / (self.n - 1)) if self.n > 1 else math.nan


def binomial_ci(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default); (nan, nan) with no trials."""
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def binary_entropy(p: float) -> float:
    """h(p) = −p log2 p − (1−p) log2(1−p)."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -p * math.log2(p) - (1 - p) * math.log2(1 - p)


class App:
    """An application between ``initiator`` and ``responder``: a socket at each, of ``kind``,
    and one connection the initiator's socket asks for. Subclasses set socket options and
    handlers in ``setup`` and compute their figures in ``summary``."""

    name = "pairs"
    kind: Kind = "COMP"

    def __init__(
        self,
        network: Network,
        initiator: str,
        responder: str,
        fidelity: float,
        pairs: int | None = None,
        duration_s: float | None = None,
        memories: int = 4,
        start_s: float = 1e-3,
        connection: str | None = None,
        plan: PlanRequest | None = None,
        best_effort: bool = False,
    ) -> None:
        self.network = network
        self.a: QuantumSocket = socket(network, initiator, self.kind)
        self.b: QuantumSocket = socket(network, responder, self.kind)
        self.b.listen()
        for s in (self.a, self.b):
            s.setsockopt("memories", memories)
            s.setsockopt("start_s", start_s)
        self.a.setsockopt("plan", plan)
        self.a.setsockopt("best_effort", best_effort)
        self.setup()
        self.connection = self.a.connect(
            responder, pairs=pairs, fidelity=fidelity, duration_s=duration_s, name=connection
        )

    def setup(self) -> None:
        """Set socket options and handlers before connecting (default: release every held
        qubit at once: the plain pair service)."""
        for s in (self.a, self.b):
            s.on_receive(lambda d, s=s: s.network.release(d.qubit))  # type: ignore[misc]

    def summary(self) -> dict[str, Any]:
        """The application's figures."""
        return {}
