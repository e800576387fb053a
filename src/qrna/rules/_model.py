"""The RuleSet data model (spec §3.2–3.4): RuleSet → Stages → Rules → Condition + Action.

One RuleSet per connection per node. A Stage holds Rules and Stage-local variables. A Rule's
condition is a tuple of clauses, all of which must hold; its action is one action, whose
messages follow from it (spec Table 1). Resources (qubits holding Bell-pair halves) enter the
first Stage when they are assigned to the connection and leave a Stage only by promotion to the
next Stage, delivery or being freed: the flow is one-way and always ends (spec §3.3). There are
no loops; conditional behaviour is separate Rules.

Every value is a frozen dataclass checked on creation; a bad field raises ``RuleSetError``
naming it.

Example:
    >>> rule = Rule("deliver", (EnoughResources("bob"),), Deliver("bob"))
    >>> RuleSet("c1", "alice", (Stage((rule,)),)).stages[0].rules[0].action
    Deliver(partner='bob', to=None)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from qrna.hardware import HardwareError, check_address
from qrna.physics import SCHEMES
from qrna.rules._errors import RuleSetError

__all__ = [
    "ACTIONS",
    "ANY_PARTNER",
    "CLAUSES",
    "VERSION",
    "Action",
    "Clause",
    "Deliver",
    "Discard",
    "EnoughResources",
    "Increment",
    "Measure",
    "Promote",
    "Purify",
    "ResourceOlderThan",
    "Rule",
    "RuleSet",
    "Stage",
    "Swap",
    "VariableBelow",
]

VERSION: Final = 1
"""Version of the RuleSet JSON form written by this code."""

ANY_PARTNER: Final = "*"
"""The partner of a discard that applies to a whole Stage: ``ResourceOlderThan(ANY_PARTNER, t)``
holds when the Stage's oldest idle resource, whoever its partner, has waited ``t``, and
``Discard(ANY_PARTNER)`` frees that resource. One such rule per Stage replaces one per partner
(a pair waiting to be swapped may have any node of the path as its partner meanwhile), so a
connection's RuleSets grow with the path's length, not its square."""


def _partner(where: str, value: object) -> str:
    try:
        return check_address(value)  # type: ignore[arg-type]
    except HardwareError:
        raise RuleSetError(
            f"{where}: partner={value!r} is not a node address (dotted labels, e.g. 'isp1.r4')"
        ) from None


def _positive_int(where: str, name: str, value: object, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleSetError(
            f"{where}: {name}={value!r} is invalid; expected an integer >= {minimum}"
        )


# -- condition clauses ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnoughResources:
    """At least ``count`` resources shared with ``partner`` in this Stage, each with an
    estimated fidelity of at least ``min_fidelity``."""

    partner: str
    count: int = 1
    min_fidelity: float = 0.0

    def __post_init__(self) -> None:
        _partner("EnoughResources", self.partner)
        _positive_int("EnoughResources", "count", self.count)
        if not 0.0 <= self.min_fidelity <= 1.0:
            raise RuleSetError(
                f"EnoughResources: min_fidelity={self.min_fidelity!r} is outside [0, 1]"
            )


@dataclass(frozen=True, slots=True)
class ResourceOlderThan:
    """A resource shared with ``partner`` (any partner if ``ANY_PARTNER``, ``"*"`` in JSON)
    has waited in this Stage at least ``seconds`` (a discard timer, spec §6: it must exceed the
    one-way latency to the partner)."""

    partner: str
    seconds: float

    def __post_init__(self) -> None:
        if self.partner != ANY_PARTNER:
            _partner("ResourceOlderThan", self.partner)
        if not (self.seconds > 0.0 and math.isfinite(self.seconds)):
            raise RuleSetError(
                f"ResourceOlderThan: seconds={self.seconds!r} is invalid; expected a finite "
                "value > 0"
            )


@dataclass(frozen=True, slots=True)
class VariableBelow:
    """The Stage variable ``variable`` is below ``limit`` (e.g. a measurement count for
    tomography or termination)."""

    variable: str
    limit: int

    def __post_init__(self) -> None:
        if not isinstance(self.variable, str) or not self.variable:
            raise RuleSetError(f"VariableBelow: variable={self.variable!r} must be a name")
        _positive_int("VariableBelow", "limit", self.limit, minimum=0)


Clause: TypeAlias = EnoughResources | ResourceOlderThan | VariableBelow
CLAUSES: Final = (EnoughResources, ResourceOlderThan, VariableBelow)


# -- actions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Purify:
    """Purify pairs shared with ``partner`` by ``scheme``; the kept pair is promoted to the next
    Stage on success (both ends' bits agree), every pair is freed on failure. The two ends
    operate on the same pairs, bound by name: the end whose address sorts first chooses them
    and sends their names with its bits. With ``twirl``, both ends first turn each pair into
    the Werner state of its fidelity (random bilateral rotations, BBPSSW's original
    protocol), whatever the scheme.

    Recurrence (``pump_from`` None) takes every pair from this Stage. Entanglement pumping
    (Dür–Briegel) keeps a pair of this Stage and sacrifices the others from the earlier Stage
    ``pump_from``, where fresh pairs wait: n rounds cost n + 1 fresh pairs instead of 2ⁿ, and
    the sacrificed pair leaves its Stage by being consumed, so the flow stays one-way (spec
    §3.2)."""

    partner: str
    scheme: str = "dejmps"
    pump_from: int | None = None
    twirl: bool = False

    def __post_init__(self) -> None:
        _partner("Purify", self.partner)
        if not isinstance(self.twirl, bool):
            raise RuleSetError(f"Purify: twirl={self.twirl!r} must be true or false")
        if self.scheme not in SCHEMES:
            raise RuleSetError(
                f"Purify: scheme={self.scheme!r} is not a purification scheme; expected one of "
                + ", ".join(sorted(SCHEMES))
            )
        if self.pump_from is not None:
            _positive_int("Purify", "pump_from", self.pump_from, minimum=0)

    @property
    def pairs(self) -> int:
        """Pairs consumed per round (2, or 3 for double selection)."""
        return SCHEMES[self.scheme].pairs


@dataclass(frozen=True, slots=True)
class Swap:
    """Entanglement swapping of one pair shared with ``left`` and one shared with ``right``:
    both learn their new partner and the new pair's name; ``right`` also gets the Pauli frame."""

    left: str
    right: str

    def __post_init__(self) -> None:
        _partner("Swap", self.left)
        _partner("Swap", self.right)
        if self.left == self.right:
            raise RuleSetError(f"Swap: left and right are both {self.left!r}")


@dataclass(frozen=True, slots=True)
class Measure:
    """Measure one pair shared with ``partner`` in ``basis`` ("X", "Y", "Z" or "random"), for
    tomography; increments the Stage variable ``counter``."""

    partner: str
    basis: str = "random"
    counter: str = "measured"

    def __post_init__(self) -> None:
        _partner("Measure", self.partner)
        if self.basis not in ("X", "Y", "Z", "random"):
            raise RuleSetError(
                f"Measure: basis={self.basis!r}; expected one of 'X', 'Y', 'Z', 'random'"
            )


@dataclass(frozen=True, slots=True)
class Promote:
    """Move one resource shared with ``partner`` to the next Stage."""

    partner: str

    def __post_init__(self) -> None:
        _partner("Promote", self.partner)


@dataclass(frozen=True, slots=True)
class Discard:
    """Free the oldest idle resource shared with ``partner`` (of the whole Stage if
    ``ANY_PARTNER``, ``"*"`` in JSON) and tell its partner (a Free message)."""

    partner: str

    def __post_init__(self) -> None:
        if self.partner != ANY_PARTNER:
            _partner("Discard", self.partner)


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand one resource shared with ``partner`` to the application: it leaves the RuleSet.

    With ``to``, the resource goes instead to this node's RuleSet of connection ``to``, whose
    first Stage it enters as a link pair with ``partner``: the RuleSet rewriting at a network's
    border (spec §5), where the pairs a lower layer makes between two borders are the links
    of the layer above. If this node runs no RuleSet of ``to`` (not yet, or no longer), the
    resource is discarded and ``partner`` told."""

    partner: str
    to: str | None = None

    def __post_init__(self) -> None:
        _partner("Deliver", self.partner)
        if self.to is not None and (not isinstance(self.to, str) or not self.to):
            raise RuleSetError(f"Deliver: to={self.to!r} must name a connection")


@dataclass(frozen=True, slots=True)
class Increment:
    """Add ``by`` to the Stage variable ``variable``."""

    variable: str
    by: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.variable, str) or not self.variable:
            raise RuleSetError(f"Increment: variable={self.variable!r} must be a name")
        if isinstance(self.by, bool) or not isinstance(self.by, int):
            raise RuleSetError(f"Increment: by={self.by!r} is not an integer")


Action: TypeAlias = Purify | Swap | Measure | Promote | Discard | Deliver | Increment
ACTIONS: Final = (Purify, Swap, Measure, Promote, Discard, Deliver, Increment)


# -- structure ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """A condition (all clauses must hold) and an action."""

    name: str
    condition: tuple[Clause, ...]
    action: Action

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise RuleSetError(f"Rule: name={self.name!r} must be a non-empty string")
        object.__setattr__(self, "condition", tuple(self.condition))
        for clause in self.condition:
            if not isinstance(clause, CLAUSES):
                raise RuleSetError(f"Rule {self.name!r}: {clause!r} is not a condition clause")
        if not isinstance(self.action, ACTIONS):
            raise RuleSetError(f"Rule {self.name!r}: {self.action!r} is not an action")


@dataclass(frozen=True, slots=True)
class Stage:
    """Rules tried in order, and Stage-local variables with their initial values."""

    rules: tuple[Rule, ...]
    variables: tuple[tuple[str, int], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        variables: object = self.variables
        if isinstance(variables, dict):  # accepted for convenience; stored sorted, hashable
            object.__setattr__(self, "variables", tuple(sorted(variables.items())))
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise RuleSetError(f"Stage: {rule!r} is not a Rule")
        counts = Counter(r.name for r in self.rules)  # linear: a Stage may hold many rules
        dupes = sorted(n for n, c in counts.items() if c > 1)
        if dupes:
            raise RuleSetError(f"Stage: rule names {dupes} appear more than once")


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The program one node runs for one connection.

    Raises:
        RuleSetError: for a bad field, a Promote (or Purify) in the last Stage (there is no
            next Stage for the resource), or an unknown version.
    """

    connection: str
    node: str
    stages: tuple[Stage, ...]
    version: int = VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.connection, str) or not self.connection:
            raise RuleSetError(
                f"RuleSet: connection={self.connection!r} must be a non-empty string"
            )
        try:
            check_address(self.node)
        except HardwareError:
            raise RuleSetError(f"RuleSet: node={self.node!r} is not a node address") from None
        if self.version != VERSION:
            raise RuleSetError(
                f"RuleSet: version={self.version!r} is not supported; this qrna reads {VERSION}"
            )
        object.__setattr__(self, "stages", tuple(self.stages))
        if not self.stages:
            raise RuleSetError("RuleSet: needs at least one Stage")
        last = len(self.stages) - 1
        for i, stage in enumerate(self.stages):
            if not isinstance(stage, Stage):
                raise RuleSetError(f"RuleSet: stages[{i}] is not a Stage")
            for rule in stage.rules:
                if i == last and isinstance(rule.action, Promote | Purify):
                    raise RuleSetError(
                        f"RuleSet: stages[{i}] rule {rule.name!r} promotes to a next Stage, "
                        "but it is the last one"
                    )
                if isinstance(rule.action, Deliver) and rule.action.to == self.connection:
                    raise RuleSetError(
                        f"RuleSet: stages[{i}] rule {rule.name!r} hands its pairs to its own "
                        f"connection {self.connection!r}; Deliver.to names the layer above"
                    )
                pump = getattr(rule.action, "pump_from", None)
                if pump is not None and pump >= i:
                    raise RuleSetError(
                        f"RuleSet: stages[{i}] rule {rule.name!r} pumps from stages[{pump}]; "
                        "a pump's fresh pairs wait in an earlier Stage"
                    )

    def delivering_to(self, to: str | None) -> RuleSet:
        """This RuleSet with every Deliver handing its pair to connection ``to`` (the layer
        above, spec §5's rewriting at a border), or, for None, to the application; itself if
        every Deliver does so already."""
        if all(
            r.action.to == to
            for stage in self.stages
            for r in stage.rules
            if isinstance(r.action, Deliver)
        ):
            return self
        stages = tuple(
            Stage(
                tuple(
                    Rule(r.name, r.condition, Deliver(r.action.partner, to=to))
                    if isinstance(r.action, Deliver)
                    else r
                    for r in stage.rules
                ),
                stage.variables,
            )
            for stage in self.stages
        )
        return RuleSet(self.connection, self.node, stages, self.version)

    def partners(self) -> set[str]:
        """Every node this RuleSet names as a partner."""
        out: set[str] = set()
        for stage in self.stages:
            for rule in stage.rules:
                for item in (*rule.condition, rule.action):
                    for attr in ("partner", "left", "right"):
                        value = getattr(item, attr, None)
                        if isinstance(value, str) and value != ANY_PARTNER:
                            out.add(value)
        return out
