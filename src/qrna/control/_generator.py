"""RuleSet generators: the Responder's point of innovation (spec §3.5).

A generator takes the ``ConnectionSetupRequest`` as it reached the Responder (one ``HopRecord``
per node, Initiator first) and returns either ``Accepted`` — one RuleSet per node and the plan
behind them — or ``Rejected`` with a reason. Any callable of that shape is a generator; a
scenario names one by dotted path (``load_generator("pkg.module:function")``).

``default_generator`` searches link purification rounds (0–3, DEJMPS recurrence), swap order
(nested, sequential) and end-to-end purification rounds (0–2). For each it estimates, from the
records alone, the delivered state — links purified, swapped in order with each swapping
node's gate noise, memory decoherence over the expected wait (see ``estimate``), end-to-end
purification — and the rate. It picks the plan that reaches the requested fidelity at the
highest estimated rate (ties: fewer operations, nested first), sets discard timers well above
every one-way latency on the path (so ``qrna verify`` passes), and rejects, with the best
fidelity it could find, a target no plan reaches.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from qrna.control._errors import ControlError
from qrna.control._messages import ConnectionSetupRequest, HopRecord, RejectReason
from qrna.physics import SCHEMES, BellDiagonal, GateNoise, decohere, purify, swap
from qrna.rules import SWAP_ORDERS, RuleSet, chain_rulesets, swap_schedule

__all__ = [
    "Accepted",
    "Plan",
    "Rejected",
    "RuleSetGenerator",
    "default_generator",
    "estimate",
    "load_generator",
]


@dataclass(frozen=True, slots=True)
class Plan:
    """How a connection runs, with the generator's estimates."""

    link_scheme: str
    link_rounds: int
    swap_order: str
    e2e_scheme: str
    e2e_rounds: int
    discard_after_s: float
    fidelity: float  # estimated delivered fidelity
    rate_hz: float  # estimated end-to-end pairs per second

    def __post_init__(self) -> None:
        for scheme in (self.link_scheme, self.e2e_scheme):
            if scheme not in SCHEMES:
                raise ControlError(f"Plan: scheme {scheme!r} is not one of {sorted(SCHEMES)}")
        if self.swap_order not in SWAP_ORDERS:
            raise ControlError(f"Plan: swap_order={self.swap_order!r}; expected {SWAP_ORDERS}")


@dataclass(frozen=True, slots=True)
class Accepted:
    rulesets: dict[str, RuleSet]
    plan: Plan
    memories: int


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: RejectReason
    detail: str


RuleSetGenerator = Callable[[ConnectionSetupRequest], Accepted | Rejected]


def _noise(hop: HopRecord) -> GateNoise:
    return GateNoise(cnot_error=hop.gate_error, readout_error=hop.readout_error)


def _rounds(
    state: BellDiagonal, rounds: int, scheme: str, noise: tuple[GateNoise, GateNoise]
) -> tuple[BellDiagonal, float] | None:
    """State after ``rounds`` recurrence rounds and link pairs used per output (None if a
    round cannot succeed)."""
    k = SCHEMES[scheme].pairs
    used = 1.0
    for _ in range(rounds):
        p, kept = purify(state, state if k == 2 else (state, state), scheme, noise)
        if kept is None or p <= 0:
            return None
        state, used = kept, used * k / p
    return state, used


def estimate(
    hops: tuple[HopRecord, ...],
    link_scheme: str,
    link_rounds: int,
    swap_order: str,
    e2e_scheme: str,
    e2e_rounds: int,
) -> tuple[float, float]:
    """(fidelity, rate in Hz) the generator expects of a plan on the path ``hops``.

    Rate: every link's purified output rate is rate / (link pairs per output); swapping is
    deterministic, so the chain runs at its slowest link, divided by the end-to-end
    purification's consumption. Decoherence: each half waits, on average, for the slowest
    link's next output plus the classical round trip of the path before its pair is
    delivered; both halves dephase (T1, T2 of the end nodes' memories) over that time.
    """
    links = [h.link_in for h in hops[1:]]
    if any(link is None for link in links) or not links:
        raise ControlError("every hop after the Initiator needs the link it was reached by")
    states: list[BellDiagonal] = []
    rates: list[float] = []
    for i, link in enumerate(links):
        assert link is not None
        noise = (_noise(hops[i]), _noise(hops[i + 1]))
        out = _rounds(BellDiagonal(*link.weights), link_rounds, link_scheme, noise)
        if out is None or link.rate_hz <= 0:
            return 0.0, 0.0
        states.append(out[0])
        rates.append(link.rate_hz / out[1])
    n = len(hops)
    done: dict[tuple[int, int], BellDiagonal] = {(i, i + 1): s for i, s in enumerate(states)}
    for mid, (left, right) in sorted(
        swap_schedule(n, swap_order).items(), key=lambda kv: kv[1][1] - kv[1][0]
    ):
        done[(left, right)] = swap(done[(left, mid)], done[(mid, right)], _noise(hops[mid]))
    state = done[(0, n - 1)]
    rate = min(rates)
    latency = sum(link.latency_s for link in links if link is not None)
    wait = 1.0 / rate + 2.0 * latency
    for end, half in ((hops[0], 0), (hops[-1], 1)):
        if math.isfinite(end.t1_s) or math.isfinite(end.t2_s):
            t1, t2 = end.t1_s, min(end.t2_s, 2 * end.t1_s)
            state = decohere(state, wait, t1, t2, (half,))
    out = _rounds(state, e2e_rounds, e2e_scheme, (_noise(hops[0]), _noise(hops[-1])))
    if out is None:
        return 0.0, 0.0
    return out[0].fidelity, rate / out[1]


def default_generator(request: ConnectionSetupRequest) -> Accepted | Rejected:
    """Choose the fastest plan that reaches the requested fidelity (module docstring)."""
    hops = request.hops
    path = [h.node for h in hops]
    if len(hops) < 2 or path[0] != request.initiator or path[-1] != request.responder:
        raise ControlError(f"request {request.connection!r} has not travelled the path: {path}")
    memories = min(
        [request.memories] + [h.free_out for h in hops[:-1]] + [h.free_in for h in hops[1:]]
    )
    if memories < 1:
        return Rejected(RejectReason.NO_RESOURCES, "a QNIC on the path has no free memory")
    candidates = []
    best = 0.0
    meas_end = hops[0].is_meas or hops[-1].is_meas
    for link_rounds, order, e2e_rounds in itertools.product(range(4), SWAP_ORDERS, range(3)):
        if len(hops) == 2 and order != SWAP_ORDERS[0]:
            continue  # no swapping: the order does not matter
        if meas_end and (link_rounds or e2e_rounds):
            continue  # a MEAS end holds no qubits to purify with
        fidelity, rate = estimate(hops, "dejmps", link_rounds, order, "dejmps", e2e_rounds)
        best = max(best, fidelity)
        if fidelity >= request.fidelity and rate > 0:
            ops = link_rounds + e2e_rounds
            candidates.append(
                (-rate, ops, SWAP_ORDERS.index(order), link_rounds, e2e_rounds, fidelity)
            )
    if not candidates:
        return Rejected(
            RejectReason.FIDELITY_UNREACHABLE,
            f"fidelity {request.fidelity} is out of reach on {'-'.join(path)}; the best plan "
            f"gives {best:.4f}",
        )
    neg_rate, _, order_index, link_rounds, e2e_rounds, fidelity = min(candidates)
    order = SWAP_ORDERS[order_index]
    latency = sum(h.link_in.latency_s for h in hops[1:] if h.link_in is not None)
    discard = 4.0 * latency + 20.0 / -neg_rate
    plan = Plan("dejmps", link_rounds, order, "dejmps", e2e_rounds, discard, fidelity, -neg_rate)
    rulesets = chain_rulesets(
        request.connection,
        path,
        link_scheme=plan.link_scheme,
        link_rounds=link_rounds,
        swap_order=order,
        e2e_scheme=plan.e2e_scheme,
        e2e_rounds=e2e_rounds,
        discard_after_s=discard,
    )
    return Accepted(rulesets, plan, memories)


def load_generator(path: str) -> RuleSetGenerator:
    """The generator named ``"package.module:attribute"`` (or ``"package.module.attribute"``)."""
    module, sep, attr = path.partition(":")
    if not sep:
        module, _, attr = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ControlError(f"generator {path!r} cannot be loaded: {exc}") from None
    if not callable(found):
        raise ControlError(f"generator {path!r} is not callable")
    return found  # type: ignore[no-any-return]
