"""The static description of a heralded link: MM, MIM or MSM (spec §4.1, DESIGN.md link layer).

- **MIM** (memory–interference–memory): both ends' memories emit photons toward a BSA node
  between them; a linear-optics Bell measurement heralds the pair. Heralding is
  ``"double_click"`` (Barrett–Kok: both photons detected) or ``"single_click"`` (one photon from
  bright-state population θ at each end; rate ~2θη, fidelity ~1 − θ).
- **MM** (memory–memory): end ``a``'s photon crosses the fibre into a BSA at end ``b``, which
  entangles it with one of b's memories. If ``b`` is a MEAS node it measures the photon directly.
- **MSM** (memory–source–memory): an EPPS node between the ends sends one photon of each pair
  to each end, where a memory absorbs it (or a MEAS node measures it).

Example:
    >>> from qrna.hardware import QNIC, Fibre, Node, NodeType
    >>> a = Node("a", NodeType.COMP, (QNIC(memories=10),))
    >>> b = Node("b", NodeType.COMP, (QNIC(memories=10),))
    >>> LinkSpec(a, b, LinkType.MIM, Fibre(20.0)).middle.address
    'bsa-a-b'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from qrna.hardware import BSA, Fibre, Node, NodeType
from qrna.link._errors import LinkError

__all__ = ["HERALDING", "LinkSpec", "LinkType"]

HERALDING = ("double_click", "single_click")
_IDEAL_BSA = BSA()


class LinkType(Enum):
    """The three link architectures of the spec's link-layer discussion."""

    MM = "MM"
    MIM = "MIM"
    MSM = "MSM"


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """A link between nodes ``a`` and ``b``.

    Attributes:
        a, b: the end nodes (end nodes or repeaters; MEAS ends take part in MM as ``b`` and in
            MSM on either side).
        type: MM, MIM or MSM (a ``LinkType`` or its name).
        fibre: the whole fibre from a to b; a middle node splits it at ``middle_fraction``.
        middle: the BSA node (MIM) or EPPS node (MSM); a default one is made when omitted.
        middle_fraction: position of the middle node, as a fraction of the length from ``a``.
        qnic_a, qnic_b: which QNIC of each end serves the link.
        heralding: MIM only: "double_click" or "single_click".
        bright_state_population: θ of single-click heralding, in (0, 1).
        receiver_bsa: MM only: the BSA at ``b``.

    Raises:
        LinkError: naming the link, the field and the valid choices.
    """

    a: Node
    b: Node
    type: LinkType
    fibre: Fibre
    middle: Node | None = None
    middle_fraction: float = 0.5
    qnic_a: int = 0
    qnic_b: int = 0
    heralding: str = "double_click"
    bright_state_population: float = 0.1
    receiver_bsa: BSA = _IDEAL_BSA

    def __post_init__(self) -> None:
        if isinstance(self.type, str):
            try:
                object.__setattr__(self, "type", LinkType(self.type))
            except ValueError:
                raise LinkError(
                    f"link {self._label()}: type={self.type!r} is not a link type; expected one "
                    "of " + ", ".join(t.value for t in LinkType)
                ) from None
        if not isinstance(self.type, LinkType):
            raise LinkError(f"link {self._label()}: type={self.type!r} is not a LinkType")
        for end in (self.a, self.b):
            if not isinstance(end, Node) or end.type.is_support:
                raise LinkError(
                    f"link {self._label()}: end {getattr(end, 'address', end)!r} must be an end "
                    "node or a repeater (MEAS, COMP, SNSR, REP1, RTR), not a support node"
                )
        if self.a.address == self.b.address:
            raise LinkError(f"link {self._label()}: both ends are {self.a.address!r}")
        if not isinstance(self.fibre, Fibre):
            raise LinkError(f"link {self._label()}: fibre={self.fibre!r} is not a Fibre")
        if not 0.0 <= self.middle_fraction <= 1.0:
            raise LinkError(
                f"link {self._label()}: middle_fraction={self.middle_fraction!r} is outside "
                "the valid range [0, 1]"
            )
        if self.heralding not in HERALDING:
            raise LinkError(
                f"link {self._label()}: heralding={self.heralding!r}; expected one of "
                + ", ".join(HERALDING)
            )
        if self.heralding == "single_click" and self.type is not LinkType.MIM:
            raise LinkError(f"link {self._label()}: single_click heralding needs a MIM link")
        if not 0.0 < self.bright_state_population < 1.0:
            raise LinkError(
                f"link {self._label()}: bright_state_population={self.bright_state_population!r}"
                " is outside the valid range (0, 1)"
            )
        self._check_ends()
        self._check_middle()

    def _label(self) -> str:
        a = getattr(self.a, "address", "?")
        b = getattr(self.b, "address", "?")
        return f"{a}~{b}"

    @property
    def id(self) -> str:
        """The link's identifier, ``a~b``."""
        return self._label()

    def _check_ends(self) -> None:
        meas_a = self.a.type is NodeType.MEAS
        meas_b = self.b.type is NodeType.MEAS
        if self.type is LinkType.MIM and (meas_a or meas_b):
            raise LinkError(
                f"link {self._label()}: a MIM link needs memories at both ends to emit; a MEAS "
                "node can end an MM link (as b) or an MSM link"
            )
        if self.type is LinkType.MM and meas_a:
            raise LinkError(
                f"link {self._label()}: in an MM link end a emits from a memory; put the MEAS "
                "node at end b, where it measures the arriving photon"
            )
        for end, index, field in ((self.a, self.qnic_a, "qnic_a"), (self.b, self.qnic_b, "qnic_b")):
            if end.type is NodeType.MEAS:
                continue
            if not 0 <= index < len(end.qnics):
                raise LinkError(
                    f"link {self._label()}: {field}={index!r} but node {end.address!r} has "
                    f"{len(end.qnics)} QNIC(s)"
                )

    def _check_middle(self) -> None:
        want = {LinkType.MIM: NodeType.BSA, LinkType.MSM: NodeType.EPPS}.get(self.type)
        if want is None:
            if self.middle is not None:
                raise LinkError(
                    f"link {self._label()}: an MM link has no middle node; got "
                    f"{self.middle.address!r}"
                )
            return
        if self.middle is None:
            address = f"{want.value.lower()}-{self.a.address}-{self.b.address}".replace(".", "_")
            object.__setattr__(self, "middle", Node(address, want))
        elif self.middle.type is not want:
            raise LinkError(
                f"link {self._label()}: a {self.type.value} link needs a {want.value} middle "
                f"node; {self.middle.address!r} is {self.middle.type.value}"
            )
