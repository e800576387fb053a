"""Teleportation of random states, and end-to-end tomography.

**Teleportation**: for each pair the sender picks a state at random from the six eigenstates
of X, Y and Z, Bell-measures it with its half and sends the two bits; the receiver, holding
its half until the bits arrive (it decoheres meanwhile), corrects and checks the state by
measuring in its basis. With a state |b, s⟩ (basis b, sign s), Bell-measuring it with half A
and correcting B is statistically the same as measuring half A in basis b and reporting the
bit m: B then reads s ⊕ m in X and Z and s ⊕ m ⊕ 1 in Y on Φ+. That is what the sender does
here (its local circuit reduced to the measurement it amounts to); the receiver's check
succeeds with probability A + D (Z), A + C (X), A + B (Y), whose average is (2F + 1)/3.

**Tomography**: both ends measure every pair in X, Y or Z, the same basis at both ends chosen
by a hash of the pair's name (no message needed); the correlations give the Bell-diagonal
state with its fidelity and a 95 % interval (``qrna.link.LinkMonitor``'s estimator).
"""

from __future__ import annotations

from typing import Any

from qrna.api import Delivery, SocketError
from qrna.apps._base import App, binomial_ci
from qrna.apps._measuring import _Measuring
from qrna.link import LinkMonitor, PairName

__all__ = ["Teleport", "Tomography"]


class Teleport(App):
    """Teleport random cardinal states from the initiator to the responder."""

    name = "teleport"
    kind = "COMP"

    def setup(self) -> None:
        self.trials = 0
        self.successes = 0
        self.lost = 0
        self.by_basis = {b: [0, 0] for b in "XYZ"}
        self._held: dict[PairName, Delivery] = {}
        self._waiting: dict[PairName, tuple[str, int]] = {}
        self._rng = self.network.streams.stream(f"app/teleport/{self.a.node}/{self.b.node}")
        self.a.on_receive(self._send)
        self.b.on_receive(self._hold)
        self.b.on_message(self._bits)

    def _send(self, d: Delivery) -> None:
        basis = "XYZ"[int(self._rng.integers(3))]
        m = self.a.measure(d, basis)
        expected = m ^ (basis == "Y")  # the state the receiver must find (module docstring)
        self.a.send((d.name, basis, expected))

    def _hold(self, d: Delivery) -> None:
        waiting = self._waiting.pop(d.name, None)
        if waiting is None:
            self._held[d.name] = d
        else:
            self._check(d, *waiting)

    def _bits(self, message: tuple[PairName, str, int]) -> None:
        name, basis, expected = message
        d = self._held.pop(name, None)
        if d is None:
            self._waiting[name] = (basis, expected)  # the bits overtook the pair
        else:
            self._check(d, basis, expected)

    def _check(self, d: Delivery, basis: str, expected: int) -> None:
        try:
            ok = self.b.measure(d, basis) == expected
        except SocketError:  # the connection ended first and freed the half: no trial
            self.lost += 1
            return
        self.trials += 1
        self.successes += ok
        self.by_basis[basis][0] += 1
        self.by_basis[basis][1] += ok

    def summary(self) -> dict[str, Any]:
        f = self.successes / self.trials if self.trials else float("nan")
        return {
            "teleported": self.trials,
            "lost": self.lost,
            "teleport_fidelity": f,
            "teleport_fidelity_ci": list(binomial_ci(self.successes, self.trials)),
            "by_basis": {b: (s / n if n else float("nan")) for b, (n, s) in self.by_basis.items()},
        }


class Tomography(_Measuring):
    """Estimate the delivered state from measurement statistics alone."""

    name = "tomography"
    kind = "MEAS"
    basis = "shared"

    def setup(self) -> None:
        super().setup()
        self.monitor = LinkMonitor()

    def both(self, x: Delivery, y: Delivery) -> None:
        basis, own, other = x.basis, x.bit, y.bit
        if basis is None or basis != y.basis or own is None or other is None:
            return  # a MEAS end read in its own basis: not a tomography sample
        self.monitor.observe_result(basis, own, other)

    def summary(self) -> dict[str, Any]:
        est = self.monitor.estimate()
        return {
            "samples": est.samples,
            "state": None if est.state is None else list(est.state.as_tuple()),
            "fidelity_estimate": est.fidelity,
            "fidelity_estimate_ci": list(est.fidelity_ci),
        }
