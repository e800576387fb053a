"""The messages RuleSets exchange (spec Table 1), matched to resources by Bell-pair name.

Every message carries the connection it belongs to and the name of the pair it is about, so a
message that arrives early or late can never be applied to the wrong pair (the spec's
leapfrogging and discard races).
"""

from __future__ import annotations

from dataclasses import dataclass

from qrna.link import PairName
from qrna.rules._errors import RuleSetError

__all__ = ["FreeResource", "HandedOver", "Message", "PurificationResult", "SwapResult"]


@dataclass(frozen=True, slots=True)
class SwapResult:
    """Notice of entanglement transfer: the receiver's pair ``old_name`` with the swapping
    node is now ``new_name`` with ``new_partner``; if ``correct``, the receiver is the end that
    applies ``pauli_frame``. ``fidelity`` is the swapping node's estimate of the new pair."""

    connection: str
    old_name: PairName
    new_name: PairName
    new_partner: str
    pauli_frame: str
    correct: bool
    fidelity: float = 1.0

    def __post_init__(self) -> None:
        if self.pauli_frame not in ("I", "X", "Y", "Z"):
            raise RuleSetError(f"SwapResult: pauli_frame={self.pauli_frame!r} is not a Pauli")
        if self.old_name == self.new_name:
            raise RuleSetError(f"SwapResult: a swap of {self.old_name} must rename it")


@dataclass(frozen=True, slots=True)
class PurificationResult:
    """One end's bits for a purification of the pairs ``names`` (kept pair first). The end
    whose address sorts first acts first (``first=True``) and chooses the pairs; the other acts
    on the same names and answers with its bits."""

    connection: str
    names: tuple[PairName, ...]
    scheme: str
    bits: tuple[int, ...]
    first: bool
    twirl: bool = False  # the Purify rule twirls the pairs first (both ends' rules agree)

    def __post_init__(self) -> None:
        if len(self.names) < 2 or len(set(self.names)) != len(self.names):
            raise RuleSetError(f"PurificationResult: names={self.names!r} must be distinct pairs")


@dataclass(frozen=True, slots=True)
class FreeResource:
    """The sender freed its half of pair ``name``: the receiver frees its own."""

    connection: str
    name: PairName


@dataclass(frozen=True, slots=True)
class HandedOver:
    """The sender handed its half of pair ``name`` to the layer above (``Deliver.to``).

    The end whose address sorts first decides, as it chooses the pairs of a purification, so
    that both ends hand up the same pairs in the same order (spec §5, RuleSet rewriting at a
    border): its message asks the receiver, the pair's other end, to hand its half up too.
    That end's answer (``reply``) tells the first that it did: only then does the pair enter
    the first end's RuleSet above, as a link pair both ends hold (as a herald tells both
    ends of a link). Used at once, it could join a purification whose partner never comes:
    the other end's half may wait for a free memory and be discarded meanwhile."""

    connection: str
    name: PairName
    reply: bool = False


Message = SwapResult | PurificationResult | FreeResource | HandedOver
