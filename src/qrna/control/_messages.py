"""Control messages of connection setup and routing (spec §3.5, Fig. 4), with a JSON form.

Two-pass setup: a ``ConnectionSetupRequest`` travels from the Initiator toward the Responder;
every hop appends a ``HopRecord`` of what it knows. The Responder answers with one
``ConnectionSetupResponse`` per node, sent back along the path, or a ``ConnectionSetupReject``
with a reason. ``ConnectionTeardown`` ends a connection at every node. Routing daemons flood
``LinkStateAdvertisement``s.

Every message is a frozen dataclass checked on creation, and round-trips through
``message_to_dict``/``message_from_dict`` with a ``"type"`` and a ``"version"``.

Example:
    >>> req = ConnectionSetupRequest("c1", "alice", "bob", 0.9, pairs=100)
    >>> message_from_dict(message_to_dict(req)) == req
    True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Final, TypeAlias

from qrna.control._errors import ControlError
from qrna.hardware import HardwareError, check_address
from qrna.physics import SCHEMES
from qrna.rules import SWAP_ORDERS, RuleSet, ruleset_from_dict, ruleset_to_dict

__all__ = [
    "CONTROL_VERSION",
    "ConnectionSetupReject",
    "ConnectionSetupRequest",
    "ConnectionSetupResponse",
    "ConnectionTeardown",
    "ControlMessage",
    "HopRecord",
    "LinkState",
    "LinkStateAdvertisement",
    "PlanRequest",
    "RejectReason",
    "message_from_dict",
    "message_to_dict",
]

CONTROL_VERSION: Final = 1


def _address(where: str, value: object) -> None:
    try:
        check_address(value)  # type: ignore[arg-type]
    except HardwareError:
        raise ControlError(f"{where}={value!r} is not a node address") from None


def _fraction(where: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        # JSON can carry a string or null here: named, not a TypeError from the comparison.
        raise ControlError(f"{where}={value!r} must be a number in [0, 1]")
    if not 0.0 <= value <= 1.0:
        raise ControlError(f"{where}={value!r} is outside [0, 1]")


class RejectReason(StrEnum):
    """Why a connection was refused (spec §3.5)."""

    NO_ROUTE = "no_route"
    NO_RESOURCES = "no_resources"
    FIDELITY_UNREACHABLE = "fidelity_unreachable"
    NOT_AUTHORISED = "not_authorised"


@dataclass(frozen=True, slots=True)
class LinkState:
    """What a node knows of one of its links, from link monitoring: the neighbour, the rate of
    heralded pairs, their Bell-diagonal weights (Φ+, Ψ−, Ψ+, Φ−), the length, and the classical
    one-way latency; and, from the link's hardware (0: not known), one attempt's heralding
    probability and how a round's period comes about: each of m memory pairs is committed for
    ``round_s`` (emission until the herald is back), the m attempts are ``slot_s`` apart, and a
    round lasts at least a memory's re-initialisation ``reinit_s`` (``HeraldModel``). The rate
    is what all the link's memories make; a connection reserves some of them (the generator's
    waiting model works with those)."""

    neighbour: str
    rate_hz: float
    weights: tuple[float, float, float, float]
    length_km: float
    latency_s: float
    p_success: float = 0.0
    round_s: float = 0.0
    slot_s: float = 0.0
    reinit_s: float = 0.0

    def __post_init__(self) -> None:
        _address("LinkState.neighbour", self.neighbour)
        if not (self.rate_hz >= 0 and math.isfinite(self.rate_hz)):
            raise ControlError(f"LinkState.rate_hz={self.rate_hz!r} must be finite and >= 0")
        if len(self.weights) != 4 or abs(sum(self.weights) - 1.0) > 1e-6:
            raise ControlError(f"LinkState.weights={self.weights!r} must be 4 weights summing to 1")
        weights = tuple(float(w) for w in self.weights)
        total = sum(weights)
        if abs(total - 1.0) > 1e-12:
            # An estimate's rounding, within the 1e-6 accepted above: normalise it, as the
            # generator's BellDiagonal requires 1e-12. Weights within 1e-12 stay as they are.
            weights = tuple(w / total for w in weights)
        object.__setattr__(self, "weights", weights)
        for name in ("length_km", "latency_s", "round_s", "slot_s", "reinit_s"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise ControlError(f"LinkState.{name}={v!r} must be finite and >= 0")
        _fraction("LinkState.p_success", self.p_success)

    @property
    def fidelity(self) -> float:
        return self.weights[0]


@dataclass(frozen=True, slots=True)
class HopRecord:
    """What one hop of the outbound pass appends (spec §3.5): its address, the QNICs toward the
    previous and the next hop, the link it was reached by (link monitoring's rate and
    Bell-diagonal estimate) with that link's cost in seconds per Bell pair at the requested
    fidelity, its free memories on those QNICs, and its gate and memory quality."""

    node: str
    link_in: LinkState | None  # the link from the previous hop (None at the Initiator)
    free_in: int  # free memories on the QNIC facing the previous hop
    free_out: int  # free memories on the QNIC facing the next hop
    gate_error: float  # two-qubit depolarising probability of its swap gates
    readout_error: float
    t1_s: float  # memory relaxation time (inf: none)
    t2_s: float  # memory dephasing time (inf: none)
    is_meas: bool = False
    qnic_in: str = ""  # address of the QNIC facing the previous hop ("" at the Initiator)
    qnic_out: str = ""  # address of the QNIC facing the next hop ("" at the Responder)
    cost_s: float = 0.0  # link_in's seconds per Bell pair at the requested fidelity (qDijkstra)
    swap_degradation: float = 1.0  # probability that a pair its swap makes survives (GateNoise)
    swap_success_probability: float = 1.0  # probability that its Bell measurement succeeds
    single_qubit_error: float = 0.0  # depolarising probability of its one-qubit gates
    depolarising_time_s: float = math.inf  # τ of depolarising memory noise (inf: none)
    correction_error: float = 0.0  # depolarising probability of its Pauli-frame correction
    # The network a virtual link_in crosses (spec §5: a network's border-to-border path seen
    # one layer up as one link); "" for a physical link.
    via: str = ""

    def __post_init__(self) -> None:
        _address("HopRecord.node", self.node)
        for name in ("free_in", "free_out"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ControlError(f"HopRecord.{name}={v!r} must be an integer >= 0")
        _fraction("HopRecord.gate_error", self.gate_error)
        _fraction("HopRecord.readout_error", self.readout_error)
        _fraction("HopRecord.swap_degradation", self.swap_degradation)
        _fraction("HopRecord.swap_success_probability", self.swap_success_probability)
        _fraction("HopRecord.single_qubit_error", self.single_qubit_error)
        _fraction("HopRecord.correction_error", self.correction_error)
        if not self.depolarising_time_s > 0:
            raise ControlError(
                f"HopRecord.depolarising_time_s={self.depolarising_time_s!r} must be > 0 "
                "(inf: none)"
            )
        if not (self.t1_s > 0 and self.t2_s > 0):
            raise ControlError(
                f"HopRecord: t1_s={self.t1_s!r}, t2_s={self.t2_s!r} must both be > 0"
            )


OBJECTIVES: Final = ("rate", "fidelity")


def _listed(value: object) -> object:
    """A field's value as a message shows it: a tuple as the list JSON gave."""
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What an application asks of the plan, beyond the fidelity (issue 12): each field
    given is one the Responder's generator must follow, the rest it chooses. Every field
    given forces a plan; some hint at one."""

    link_scheme: str | None = None
    link_rounds: int | None = None
    swap_order: str | None = None
    e2e_scheme: str | None = None
    e2e_rounds: int | None = None
    # Segment purification per swap level below the top, level 1 first (levels past the end
    # are not purified); the schemes, one per level, only with the rounds (default: DEJMPS).
    segment_rounds: tuple[int, ...] | None = None
    segment_schemes: tuple[str, ...] | None = None
    # Entanglement pumping instead of recurrence (``chain_rulesets``): at link level, per
    # segment level (one flag per entry of segment_rounds), end to end. Left open, the
    # generator weighs both at link and end-to-end level, and recurrence for segments.
    link_pumping: bool | None = None
    segment_pumping: tuple[bool, ...] | None = None
    e2e_pumping: bool | None = None
    # The discard timer of the lowest swap level (the levels above wait longer, see
    # ``chain_rulesets``); it must exceed the path's one-way latency.
    discard_after_s: float | None = None
    # How the generator chooses among the plans the fields above allow: the highest rate at
    # the requested fidelity ("rate", the default) or the highest fidelity ("fidelity");
    # either way only plans of at least ``min_rate_hz`` estimated pairs per second.
    objective: str | None = None
    min_rate_hz: float | None = None
    # Every purification of the plan twirls its input pairs to Werner form first
    # (``Purify.twirl``); not searched: the generator twirls only when asked.
    twirl: bool = False
    # A working fidelity in (0.5, 1) instead of round counts (the nested scheme of Dür and
    # Briegel): the link level and each swap level below the top are purified the fewest
    # rounds that bring the level to it, end to end the fewest that reach the request's
    # fidelity (``qrna.control._until``). It replaces link_rounds, segment_rounds and
    # e2e_rounds; the schemes and pumping flags still say how each level purifies
    # (segment_schemes and segment_pumping then list levels from 1 up, without rounds).
    until: float | None = None

    def __post_init__(self) -> None:
        if self.until is not None:
            u: object = self.until  # JSON may carry anything here
            if isinstance(u, bool) or not isinstance(u, int | float) or not 0.5 < u < 1.0:
                raise ControlError(f"PlanRequest.until={u!r} must be a number in (0.5, 1)")
            for name in ("link_rounds", "segment_rounds", "e2e_rounds"):
                if getattr(self, name) is not None:
                    raise ControlError(
                        f"PlanRequest.until={u!r} and PlanRequest.{name}="
                        f"{_listed(getattr(self, name))!r} both fix rounds: give one of them"
                    )
        if not isinstance(self.twirl, bool):
            raise ControlError(f"PlanRequest.twirl={self.twirl!r} must be True or False")
        if self.objective is not None and self.objective not in OBJECTIVES:
            raise ControlError(
                f"PlanRequest.objective={self.objective!r}; expected one of "
                + ", ".join(OBJECTIVES)
            )
        for name in ("discard_after_s", "min_rate_hz"):
            v = getattr(self, name)
            if v is not None and (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or v < 0
                or (v == 0 and name == "discard_after_s")
            ):
                bound = "> 0" if name == "discard_after_s" else ">= 0"
                raise ControlError(f"PlanRequest.{name}={v!r} must be a finite number {bound}")
        for name in ("segment_rounds", "segment_schemes", "segment_pumping"):
            v = getattr(self, name)
            if isinstance(v, list):  # as JSON and a scenario file give it
                object.__setattr__(self, name, v := tuple(v))
            if v is not None and not isinstance(v, tuple):
                raise ControlError(f"PlanRequest.{name}={v!r}; expected a list or None")
        for v in self.segment_schemes or ():
            if not isinstance(v, str) or v not in SCHEMES:
                raise ControlError(
                    f"PlanRequest.segment_schemes has {v!r}; expected one of "
                    + ", ".join(sorted(SCHEMES))
                )
        for v in self.segment_rounds or ():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ControlError(f"PlanRequest.segment_rounds has {v!r}; expected integers >= 0")
        if (
            self.segment_schemes is not None
            and self.until is None
            and (
                self.segment_rounds is None or len(self.segment_rounds) != len(self.segment_schemes)
            )
        ):
            raise ControlError(
                f"PlanRequest.segment_schemes={list(self.segment_schemes)!r} needs "
                "segment_rounds with one entry per scheme"
            )
        for name in ("link_pumping", "e2e_pumping"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, bool):
                raise ControlError(f"PlanRequest.{name}={v!r} must be true or false")
        if self.segment_pumping is not None:
            if not all(isinstance(v, bool) for v in self.segment_pumping):
                raise ControlError(
                    f"PlanRequest.segment_pumping={list(self.segment_pumping)!r} must list "
                    "true or false per level"
                )
            if self.until is None and (
                self.segment_rounds is None or len(self.segment_rounds) != len(self.segment_pumping)
            ):
                raise ControlError(
                    f"PlanRequest.segment_pumping={list(self.segment_pumping)!r} needs "
                    "segment_rounds with one entry per flag"
                )
        for name in ("link_scheme", "e2e_scheme"):
            v = getattr(self, name)
            # Not a string (a list or an object from JSON) is no scheme, and no dict key.
            if v is not None and (not isinstance(v, str) or v not in SCHEMES):
                raise ControlError(
                    f"PlanRequest.{name}={v!r}; expected one of {', '.join(sorted(SCHEMES))}"
                )
        if self.swap_order is not None and self.swap_order not in SWAP_ORDERS:
            raise ControlError(
                f"PlanRequest.swap_order={self.swap_order!r}; expected one of "
                + ", ".join(SWAP_ORDERS)
            )
        for name in ("link_rounds", "e2e_rounds"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ControlError(f"PlanRequest.{name}={v!r} must be an integer >= 0")


@dataclass(frozen=True, slots=True)
class ConnectionSetupRequest:
    """Outbound pass: the Initiator asks for ``pairs`` end-to-end pairs (or pairs for
    ``duration_s``) of fidelity at least ``fidelity`` with the Responder, using ``memories``
    memories of every QNIC on the path; ``hops`` grows by one record per node passed."""

    connection: str
    initiator: str
    responder: str
    fidelity: float
    pairs: int | None = None
    duration_s: float | None = None
    memories: int = 4
    hops: tuple[HopRecord, ...] = ()
    attempt: int = 0
    plan: PlanRequest | None = None  # what the plan must be (None: the generator's choice)
    best_effort: bool = False  # no plan reaches the fidelity: take the best, not a refusal
    # Recursion (spec §5): the network the request is routed in ("" the whole internetwork);
    # a request embedded at a border carries the request of the layer above it serves, and
    # its connection lives as long as that one (no demand of its own).
    scope: str = ""
    upper: ConnectionSetupRequest | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.connection, str) or not self.connection:
            raise ControlError(f"connection={self.connection!r} must be a non-empty name")
        _address("initiator", self.initiator)
        _address("responder", self.responder)
        if self.initiator == self.responder:
            raise ControlError(f"initiator and responder are both {self.initiator!r}")
        if not 0.25 <= self.fidelity <= 1.0:
            raise ControlError(f"fidelity={self.fidelity!r} is outside [0.25, 1]")
        if self.upper is not None and not isinstance(self.upper, ConnectionSetupRequest):
            raise ControlError(f"upper={self.upper!r} must be a ConnectionSetupRequest or None")
        if not isinstance(self.scope, str):
            raise ControlError(f"scope={self.scope!r} must be a network's name")
        if self.upper is not None:
            if self.pairs is not None or self.duration_s is not None:
                raise ControlError(
                    "an embedded request has no demand of its own: it serves the one above"
                )
        elif (self.pairs is None) == (self.duration_s is None):
            raise ControlError("a demand is either pairs=N or duration_s=T, exactly one")
        if self.pairs is not None and (isinstance(self.pairs, bool) or self.pairs < 1):
            raise ControlError(f"pairs={self.pairs!r} must be an integer >= 1")
        if self.duration_s is not None and not (
            self.duration_s > 0 and math.isfinite(self.duration_s)
        ):
            raise ControlError(f"duration_s={self.duration_s!r} must be finite and > 0")
        if (
            isinstance(self.memories, bool)
            or not isinstance(self.memories, int)
            or self.memories < 1
        ):
            raise ControlError(f"memories={self.memories!r} must be an integer >= 1")
        if self.plan is not None and not isinstance(self.plan, PlanRequest):
            raise ControlError(f"plan={self.plan!r} must be a PlanRequest or None")
        if not isinstance(self.best_effort, bool):
            raise ControlError(f"best_effort={self.best_effort!r} must be true or false")
        object.__setattr__(self, "hops", tuple(self.hops))

    @property
    def path(self) -> tuple[str, ...]:
        """The nodes passed so far, Initiator first."""
        return tuple(h.node for h in self.hops)


@dataclass(frozen=True, slots=True)
class ConnectionSetupResponse:
    """Return pass: ``ruleset`` for the node it is addressed to, the path (Initiator first),
    and the memories each node reserves per QNIC side (toward the previous, the next hop)."""

    connection: str
    path: tuple[str, ...]
    ruleset: RuleSet
    memories: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.path))
        if len(self.path) < 2:
            raise ControlError(f"path={self.path!r} needs at least two nodes")
        if self.ruleset.connection != self.connection:
            raise ControlError(
                f"RuleSet of connection {self.ruleset.connection!r} in a response for "
                f"{self.connection!r}"
            )
        if isinstance(self.memories, bool) or self.memories < 1:
            raise ControlError(f"memories={self.memories!r} must be an integer >= 1")


@dataclass(frozen=True, slots=True)
class ConnectionSetupReject:
    """A node or the Responder refuses the connection; ``detail`` says why in words."""

    connection: str
    path: tuple[str, ...]
    reason: RejectReason
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.path))
        try:
            object.__setattr__(self, "reason", RejectReason(self.reason))
        except ValueError:
            raise ControlError(
                f"reason={self.reason!r}; expected one of "
                + ", ".join(r.value for r in RejectReason)
            ) from None


@dataclass(frozen=True, slots=True)
class ConnectionTeardown:
    """End the connection: free its resources and uninstall its RuleSet at every node."""

    connection: str
    path: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.path))


@dataclass(frozen=True, slots=True)
class LinkStateAdvertisement:
    """A node's links, flooded to every routing daemon; a higher ``seq`` replaces a lower.
    An end node (``relay`` False) can end a path but never be in its middle."""

    origin: str
    seq: int
    links: tuple[LinkState, ...]
    relay: bool = True  # whether connections may pass through the origin (repeaters, routers)
    network: str = ""  # the layer it is flooded in (spec §5: routing per layer)

    def __post_init__(self) -> None:
        _address("LinkStateAdvertisement.origin", self.origin)
        object.__setattr__(self, "links", tuple(self.links))


ControlMessage: TypeAlias = (
    ConnectionSetupRequest
    | ConnectionSetupResponse
    | ConnectionSetupReject
    | ConnectionTeardown
    | LinkStateAdvertisement
)
_TYPES: Final[dict[str, type[Any]]] = {
    t.__name__: t
    for t in (
        ConnectionSetupRequest,
        ConnectionSetupResponse,
        ConnectionSetupReject,
        ConnectionTeardown,
        LinkStateAdvertisement,
    )
}


def _encode(value: Any) -> Any:
    if isinstance(value, RuleSet):
        return ruleset_to_dict(value)
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return value


def message_to_dict(message: ControlMessage) -> dict[str, Any]:
    """The JSON-ready form: ``{"type", "version", ...fields}``."""
    body = _encode(message)
    return {"type": type(message).__name__, "version": CONTROL_VERSION, **body}


def _num(value: Any) -> Any:
    return math.inf if value == "inf" else value


def _link(d: dict[str, Any]) -> LinkState:
    return LinkState(
        d["neighbour"],
        d["rate_hz"],
        tuple(d["weights"]),
        d["length_km"],
        d["latency_s"],
        d.get("p_success", 0.0),
        d.get("round_s", 0.0),
        d.get("slot_s", 0.0),
        d.get("reinit_s", 0.0),
    )


def message_from_dict(data: dict[str, Any]) -> ControlMessage:
    """Decode ``message_to_dict``'s form; errors name the field at fault."""
    if not isinstance(data, dict):
        raise ControlError(f"$: expected an object, got {type(data).__name__}")
    kind = data.get("type")
    if kind not in _TYPES:
        raise ControlError(f"$.type: {kind!r} is not one of {', '.join(sorted(_TYPES))}")
    if data.get("version") != CONTROL_VERSION:
        raise ControlError(f"$.version: {data.get('version')!r}; this code reads {CONTROL_VERSION}")
    body = {k: v for k, v in data.items() if k not in ("type", "version")}
    try:
        if kind == "ConnectionSetupRequest":
            return _request(body)
        if kind == "ConnectionSetupResponse":
            body["ruleset"] = ruleset_from_dict(body["ruleset"])
        elif kind == "LinkStateAdvertisement":
            body["links"] = tuple(_link(x) for x in body["links"])
        message: ControlMessage = _TYPES[kind](**body)
    except (TypeError, KeyError) as exc:
        raise ControlError(f"$: {kind} fields do not match: {exc}") from None
    return message


def _request(body: dict[str, Any]) -> ConnectionSetupRequest:
    """A ``ConnectionSetupRequest`` from its fields (the embedded request above included)."""
    body["hops"] = tuple(
        HopRecord(
            **{
                **h,
                "link_in": None if h["link_in"] is None else _link(h["link_in"]),
                "t1_s": _num(h["t1_s"]),
                "t2_s": _num(h["t2_s"]),
                "cost_s": _num(h["cost_s"]),
                "depolarising_time_s": _num(h.get("depolarising_time_s", math.inf)),
            }
        )
        for h in body.get("hops", ())
    )
    if body.get("plan") is not None:
        if not isinstance(body["plan"], dict):
            raise ControlError(f"$.plan: expected an object, got {body['plan']!r}")
        body["plan"] = PlanRequest(**body["plan"])
    if body.get("upper") is not None:
        if not isinstance(body["upper"], dict):
            raise ControlError(f"$.upper: expected an object, got {body['upper']!r}")
        body["upper"] = _request(dict(body["upper"]))
    return ConnectionSetupRequest(**body)
