"""Purification schemes as bilateral circuits, shared by both backends.

Pairs are numbered 0 (kept), 1 (sacrificed) and, for double selection, 2 (second sacrifice).
Pair i is qubits (2i, 2i+1): its half at node A, then its half at node B. Every gate is applied
bilaterally, i.e. at both nodes, which keeps the ideal state Φ+⊗Φ+(⊗Φ+) invariant; that is what
lets the Bell-diagonal backend follow Pauli errors through the circuit exactly.

Schemes (``scheme`` argument of ``purify``):

- ``"bbpssw"``: twirl both pairs to Werner form, CNOT keep→sacrifice, measure the sacrifice in Z,
  keep on coincidence, twirl the result to Werner form (Bennett et al. 1996).
- ``"dejmps"``: Rx(+π/2) at A and Rx(−π/2) at B on every qubit, CNOT keep→sacrifice, measure the
  sacrifice in Z, keep on coincidence; no twirl (Deutsch et al. 1996).
- ``"single_x"``: CNOT keep→sacrifice, measure the sacrifice in Z: detects bit-flip (X-type)
  errors, i.e. removes Ψ+ and Ψ− weight; phase errors of the sacrifice copy onto the kept pair.
- ``"single_z"``: CNOT sacrifice→keep, measure the sacrifice in X: detects phase-flip (Z-type)
  errors, removing Φ− and Ψ− weight.
- ``"double_x"``: double selection (Fujii and Yamamoto 2009) for X errors: CNOT keep→s1 and
  CNOT s2→s1, measure s1 in Z and s2 in X; s2 catches the phase errors s1 would copy back.
- ``"double_z"``: its dual: CNOT s1→keep and CNOT s1→s2, measure s1 in X and s2 in Z.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from qrna.physics._errors import PhysicsError

__all__ = ["SCHEMES", "PurificationScheme", "get_scheme"]


@dataclass(frozen=True, slots=True)
class PurificationScheme:
    """A bilateral purification circuit.

    Attributes:
        name: the scheme's name.
        pairs: number of pairs consumed (2 or 3); pair 0 is the one kept.
        gates: bilateral gates in order: ("cnot", control pair, target pair) or
            ("rotate", pair), the DEJMPS Rx(+π/2) at A and Rx(−π/2) at B.
        measured: (pair, basis) for each sacrificed pair; success when both nodes read the same
            bit for every one of them.
        twirl: twirl inputs and output to Werner form (BBPSSW).
    """

    name: str
    pairs: int
    gates: tuple[tuple[str, int, int] | tuple[str, int], ...]
    measured: tuple[tuple[int, str], ...]
    twirl: bool = False


SCHEMES: Final = {
    s.name: s
    for s in (
        PurificationScheme("bbpssw", 2, (("cnot", 0, 1),), ((1, "Z"),), twirl=True),
        PurificationScheme(
            "dejmps", 2, (("rotate", 0), ("rotate", 1), ("cnot", 0, 1)), ((1, "Z"),)
        ),
        PurificationScheme("single_x", 2, (("cnot", 0, 1),), ((1, "Z"),)),
        PurificationScheme("single_z", 2, (("cnot", 1, 0),), ((1, "X"),)),
        PurificationScheme("double_x", 3, (("cnot", 0, 1), ("cnot", 2, 1)), ((1, "Z"), (2, "X"))),
        PurificationScheme("double_z", 3, (("cnot", 1, 0), ("cnot", 1, 2)), ((1, "X"), (2, "Z"))),
    )
}
"""Every scheme ``purify`` accepts, by name."""


def get_scheme(name: str) -> PurificationScheme:
    """The scheme called ``name``.

    Raises:
        PhysicsError: for an unknown name, listing the valid ones.
    """
    scheme = SCHEMES.get(name) if isinstance(name, str) else None
    if scheme is None:
        raise PhysicsError(
            f"scheme={name!r} is not a purification scheme; expected one of "
            + ", ".join(sorted(SCHEMES))
        )
    return scheme
