"""Exact sampling of attempt rounds without simulating failures one by one.

With m independent attempts per round, each succeeding with probability p, the number of rounds
until one succeeds is geometric with q = 1 − (1 − p)^m, and the number of successes in that
round is binomial(m, p) conditioned on being at least 1; which of the m attempts succeeded is a
uniform k-subset. Sampling these three is exact in distribution, and costs O(1) per success
however small p is (DESIGN.md: the single largest speed lever).

Draws come from a buffer of uniforms refilled in blocks from one numpy ``Generator``: a run is a
function of the seed, and no numpy call is paid per draw.

Example:
    >>> import numpy as np
    >>> s = AttemptSampler(0.5, np.random.default_rng(1))
    >>> s.rounds_until_success(1) >= 1
    True
"""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np

from qrna.link._errors import LinkError

__all__ = ["AttemptSampler", "UniformBuffer"]

_BLOCK = 4096


class UniformBuffer:
    """Uniform floats in (0, 1], drawn in blocks from ``rng``.

    Subclasses on a hot path read ``_buf`` and ``_i`` inline (``if i == len(buf): buf =
    self._refill(); i = 0``) rather than calling ``next`` per draw; either way each uniform is
    used once, in order, and a block is drawn only when the last one is used up.
    """

    __slots__ = ("_buf", "_i", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        """One uniform in (0, 1] (never 0, so its logarithm is finite)."""
        i = self._i
        buf = self._buf
        if i == len(buf):
            buf = self._refill()
            i = 0
        self._i = i + 1
        return buf[i]

    def _refill(self) -> list[float]:
        """A fresh block, once the current one is used up (the caller resets its index)."""
        self._buf = (1.0 - self._rng.random(_BLOCK)).tolist()
        return self._buf


class AttemptSampler(UniformBuffer):
    """Samples rounds-to-success, successes per round and which attempts succeeded.

    Args:
        p: success probability of one attempt, in [0, 1].
        rng: the generator to draw from.
    """

    __slots__ = ("_cdf", "_log_fail", "p")

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        if not 0.0 <= p <= 1.0:
            raise LinkError(f"attempt success probability p={p!r} is outside [0, 1]")
        super().__init__(rng)
        self.p = p
        self._log_fail = math.log1p(-p) if p < 1.0 else -math.inf
        self._cdf: dict[int, list[float]] = {}

    def rounds_until_success(self, m: int) -> int | None:
        """Rounds (>= 1) until the first round in which one of ``m`` attempts succeeds; None if
        no attempt can ever succeed (p = 0 or m = 0)."""
        if m <= 0 or self.p == 0.0:
            return None
        log_fail_all = m * self._log_fail  # log(1 − q)
        if log_fail_all == -math.inf:
            return 1
        # Inverse CDF of the geometric law: P(G > g) = (1 − q)^g.
        i = self._i
        buf = self._buf
        if i == len(buf):
            buf = self._refill()
            i = 0
        self._i = i + 1
        return 1 + int(math.log(buf[i]) / log_fail_all)

    def successes(self, m: int) -> int:
        """Successes among ``m`` attempts in a round known to have at least one."""
        if m == 1:
            return 1
        cdf = self._cdf.get(m)
        if cdf is None:
            cdf = self._cdf[m] = self._conditioned_cdf(m)
        k = bisect_left(cdf, self.next() * cdf[-1]) + 1
        return min(k, m)

    def _conditioned_cdf(self, m: int) -> list[float]:
        p = self.p
        if p == 1.0:
            return [0.0] * (m - 1) + [1.0]
        # Binomial pmf for k = 1..m in log space (stable for large m and tiny p).
        log_p, log_q = math.log(p), math.log1p(-p)
        lg_m = math.lgamma(m + 1)
        out, acc = [], 0.0
        for k in range(1, m + 1):
            acc += math.exp(
                lg_m - math.lgamma(k + 1) - math.lgamma(m - k + 1) + k * log_p + (m - k) * log_q
            )
            out.append(acc)
        return out

    def choose(self, m: int, k: int) -> list[int]:
        """A uniformly random k-subset of range(m), in random order."""
        if k == 1:
            return [int(self.next() * m) % m]
        if k == m:
            return list(range(m))
        pool = list(range(m))
        for i in range(k):  # partial Fisher–Yates
            j = i + int(self.next() * (m - i)) % (m - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def winners(self, m: int) -> list[int]:
        """Which of ``m`` attempts succeeded, ascending, in a round known to have at least one:
        ``successes(m)`` then, unless all did, ``choose(m, k)``, sorted (the same draws; one
        call for the link's hot path). The caller may keep and change the list."""
        if m == 1:
            return [0]
        cdf = self._cdf.get(m)
        if cdf is None:
            cdf = self._cdf[m] = self._conditioned_cdf(m)
        i = self._i
        buf = self._buf
        if i == len(buf):
            buf = self._refill()
            i = 0
        k = bisect_left(cdf, buf[i] * cdf[-1]) + 1
        i += 1
        if k >= m:
            self._i = i
            return list(range(m))
        if k == 1:
            if i == len(buf):
                buf = self._refill()
                i = 0
            self._i = i + 1
            return [int(buf[i] * m) % m]
        pool = list(range(m))
        for a in range(k):  # choose's partial Fisher–Yates, with the buffer read inline
            if i == len(buf):
                buf = self._refill()
                i = 0
            j = a + int(buf[i] * (m - a)) % (m - a)
            i += 1
            pool[a], pool[j] = pool[j], pool[a]
        self._i = i
        won = pool[:k]
        won.sort()
        return won

    def uniform(self) -> float:
        """One uniform in (0, 1] from the same stream."""
        return self.next()
