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

import statistics
from typing import Any

from qrna.api import Delivery
from qrna.apps._base import App, binary_entropy, binomial_ci

__all__ = ["QKD", "Sensing"]


class _Measuring(App):
    """Both ends measure on arrival in ``basis``; records are kept per end."""

    basis = "random"

    def setup(self) -> None:
        self.records: tuple[dict[Any, Delivery], dict[Any, Delivery]] = ({}, {})
        for s, book in zip((self.a, self.b), self.records, strict=True):
            s.setsockopt("basis", self.basis)
            s.on_receive(lambda d, book=book: book.__setitem__(d.name, d))  # type: ignore[misc]

    def pairs(self) -> list[tuple[Delivery, Delivery]]:
        """Both ends' records of each pair both ends measured, in creation order."""
        a, b = self.records
        return [(a[n], b[n]) for n in sorted(a.keys() & b.keys(), key=lambda x: x.t_ps)]


class QKD(_Measuring):
    """BBM92 between the two ends."""

    name = "qkd"
    kind = "MEAS"
    basis = "random"

    def summary(self) -> dict[str, Any]:
        pairs = self.pairs()
        out: dict[str, Any] = {"pairs_measured": len(pairs)}
        sifted = 0
        qber = {}
        for basis in ("X", "Z"):
            same = [(x, y) for x, y in pairs if x.basis == basis and y.basis == basis]
            wrong = sum(x.bit != y.bit for x, y in same)
            sifted += len(same)
            qber[basis] = wrong / len(same) if same else float("nan")
            out[f"qber_{basis.lower()}"] = qber[basis]
            out[f"qber_{basis.lower()}_ci"] = list(binomial_ci(wrong, len(same)))
            out[f"sifted_{basis.lower()}"] = len(same)
        span = _span_s(pairs)
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

    def summary(self) -> dict[str, Any]:
        pairs = self.pairs()
        diff = [(y.delivered_ps - x.delivered_ps) * 1e-12 for x, y in pairs]
        latency = [(max(x.delivered_ps, y.delivered_ps) - x.created_ps) * 1e-12 for x, y in pairs]
        agree = sum(x.bit == y.bit for x, y in pairs)
        return {
            "events": len(pairs),
            "timestamp_offset_mean_s": statistics.fmean(diff) if diff else float("nan"),
            "timestamp_precision_s": statistics.stdev(diff) if len(diff) > 1 else float("nan"),
            "latency_mean_s": statistics.fmean(latency) if latency else float("nan"),
            "parity_agreement": agree / len(pairs) if pairs else float("nan"),
        }


def _span_s(pairs: list[tuple[Delivery, Delivery]]) -> float:
    """Seconds from the first pair's creation to the last one's delivery."""
    if len(pairs) < 2:
        return 0.0
    last = max(max(x.delivered_ps, y.delivered_ps) for x, y in pairs)
    return float(last - pairs[0][0].created_ps) * 1e-12
