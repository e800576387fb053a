"""Applications whose end nodes measure every pair on arrival: BBM92 QKD and sensing.

**QKD (BBM92)**: both ends measure each pair in X or Z, at random; the pairs measured in the
same basis are sifted. The QBER per basis is the fraction of sifted pairs whose bits differ
(Φ+: equal in X and Z); on a Bell-diagonal state it is B + C in Z and B + D in X. The
asymptotic secret fraction of the sifted key is 1 − h(e_X) − h(e_Z) (Shor–Preskill, key from
one basis, phase errors from the other), and the secret key rate is that times the sifted rate.

**Sensing**: SNSR end nodes timestamp the shared events (each pair's arrival, in ps, as spec
§2.2 asks of the service). It reports the pairs' creation-to-delivery latency and how precisely
the two ends' timestamps of one shared event agree: the standard deviation of their difference.
"""

from __future__ import annotations

from typing import Any

from qrna.api import Delivery
from qrna.apps._base import App, RunningStats, binary_entropy, binomial_ci
from qrna.link import PairName

__all__ = ["QKD", "Sensing"]


class _Measuring(App):
    """Both ends measure on arrival in ``basis``. Each end's record waits until the other
    end's record of the same pair arrives; then ``both`` takes the two (the initiator's
    first) and folds them into counts, so memory holds only the pairs in flight, not every
    pair of a long run."""

    basis = "random"

    def setup(self) -> None:
        self._waiting: tuple[dict[PairName, Delivery], dict[PairName, Delivery]] = ({}, {})
        self.measured = 0  # pairs both ends measured
        self._first_ps: int | None = None  # creation of the earliest such pair
        self._last_ps = 0  # the latest delivery of one
        for end, s in enumerate((self.a, self.b)):
            s.setsockopt("basis", self.basis)
            s.on_receive(lambda d, end=end: self._arrived(end, d))  # type: ignore[misc]

    def _arrived(self, end: int, d: Delivery) -> None:
        other = self._waiting[1 - end].pop(d.name, None)
        if other is None:
            self._waiting[end][d.name] = d
            return
        x, y = (d, other) if end == 0 else (other, d)
        self.measured += 1
        if self._first_ps is None or x.created_ps < self._first_ps:
            self._first_ps = x.created_ps
        self._last_ps = max(self._last_ps, x.delivered_ps, y.delivered_ps)
        self.both(x, y)

    def both(self, x: Delivery, y: Delivery) -> None:
        """The initiator's record ``x`` and the responder's ``y`` of one pair."""

    def span_s(self) -> float:
        """Seconds from the first measured pair's creation to the last one's delivery (0 for
        fewer than two pairs)."""
        if self.measured < 2 or self._first_ps is None:
            return 0.0
        return float(self._last_ps - self._first_ps) * 1e-12


class QKD(_Measuring):
    """BBM92 between the two ends."""

    name = "qkd"
    kind = "MEAS"
    basis = "random"

    def setup(self) -> None:
        super().setup()
        self.sifted = {"X": [0, 0], "Z": [0, 0]}  # basis -> [pairs both read in it, bits differ]

    def both(self, x: Delivery, y: Delivery) -> None:
        if x.basis == y.basis and x.basis in self.sifted:
            c = self.sifted[x.basis]
            c[0] += 1
            c[1] += x.bit != y.bit

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pairs_measured": self.measured}
        sifted = 0
        qber = {}
        for basis in ("X", "Z"):
            same, wrong = self.sifted[basis]
            sifted += same
            qber[basis] = wrong / same if same else float("nan")
            out[f"qber_{basis.lower()}"] = qber[basis]
            out[f"qber_{basis.lower()}_ci"] = list(binomial_ci(wrong, same))
            out[f"sifted_{basis.lower()}"] = same
        span = self.span_s()
        fraction = max(0.0, 1.0 - binary_entropy(qber["X"]) - binary_entropy(qber["Z"]))
        out["sifted_bits"] = sifted
        out["sifted_key_rate_hz"] = sifted / span if span > 0 else 0.0
        out["secret_fraction"] = fraction
        out["secret_key_rate_hz"] = out["sifted_key_rate_hz"] * fraction
        return out


class Sensing(_Measuring):
    """Shared timestamped events between two SNSR nodes."""

    name = "sensing"
    kind = "SNSR"
    basis = "Z"

    def setup(self) -> None:
        super().setup()
        self.offset_s = RunningStats()  # responder's timestamp minus the initiator's
        self.latency_s = RunningStats()
        self.agree = 0

    def both(self, x: Delivery, y: Delivery) -> None:
        self.offset_s.add((y.delivered_ps - x.delivered_ps) * 1e-12)
        self.latency_s.add((max(x.delivered_ps, y.delivered_ps) - x.created_ps) * 1e-12)
        self.agree += x.bit == y.bit

    def summary(self) -> dict[str, Any]:
        n = self.measured
        return {
            "events": n,
            "timestamp_offset_mean_s": self.offset_s.mean,
            "timestamp_precision_s": self.offset_s.stdev,
            "latency_mean_s": self.latency_s.mean,
            "parity_agreement": self.agree / n if n else float("nan"),
        }
