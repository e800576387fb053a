"""Entanglement purification: ``purify`` (averaged) and ``purify_sampled`` (drawn outcomes).

The schemes are bilateral circuits defined in ``_schemes``; the density-matrix backend runs them
exactly, the Bell-diagonal backend follows Pauli errors through them (``_frame``). Both include
``GateNoise``: depolarising errors after each CNOT and rotation, readout flips of each measured
bit. ``twirl=True`` turns each input pair into the Werner state of its fidelity before any
scheme's circuit (BBPSSW twirls always).

Example (physics.md, BBPSSW at F = 0.8):
    >>> from qrna.physics import BellDiagonal
    >>> p, out = purify(BellDiagonal.werner(0.8), BellDiagonal.werner(0.8), "bbpssw")
    >>> round(p, 10), round(out.fidelity, 10)
    (0.7688888889, 0.838150289)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic

import numpy as np

from qrna.kernel import choice_index
from qrna.physics._bell import BellDiagonal
from qrna.physics._circuit import CNOT, Array, apply, depolarize, measure_and_discard, rx
from qrna.physics._density import DensityMatrix
from qrna.physics._errors import PhysicsError
from qrna.physics._frame import FloatArray, transfer_tensor
from qrna.physics._noise import GateNoise
from qrna.physics._schemes import PurificationScheme, get_scheme
from qrna.physics._state import State, StateT, check_same_backend

__all__ = [
    "Noise",
    "PurificationOutcome",
    "bell_diagonal_records",
    "purification_outcomes",
    "purify",
    "purify_sampled",
]

_ZERO_PROBABILITY = 1e-15


@dataclass(frozen=True, slots=True)
class PurificationOutcome(Generic[StateT]):
    """One sampled purification round.

    Attributes:
        success: True when both nodes read the same bit for every sacrificed pair.
        outcomes: (bits read at node A, bits read at node B), one bit per sacrificed pair: what
            each node sends the other in its purification-result message (spec Table 1).
        state: the kept pair if ``success``, else None (both pairs are then discarded).
        success_probability: the probability of success, known to the simulator only.
    """

    success: bool
    outcomes: tuple[tuple[int, ...], tuple[int, ...]]
    state: StateT | None
    success_probability: float


def _inputs(
    keep: State, sacrifice: State | Sequence[State], scheme: PurificationScheme, twirl: bool
) -> list[State]:
    """The input pairs, kept first, checked; twirled to Werner form (the state of the same
    fidelity) when the scheme does so (BBPSSW) or ``twirl`` asks for it."""
    sacrificed = (
        [sacrifice] if isinstance(sacrifice, BellDiagonal | DensityMatrix) else list(sacrifice)
    )
    if len(sacrificed) != scheme.pairs - 1:
        raise PhysicsError(
            f"scheme {scheme.name!r} sacrifices {scheme.pairs - 1} pair(s); got {len(sacrificed)}"
        )
    pairs = [keep, *sacrificed]
    check_same_backend("purify", *pairs)
    if scheme.twirl or twirl:
        pairs = [
            p.to_werner() if isinstance(p, BellDiagonal) else DensityMatrix.werner(p.fidelity)
            for p in pairs
        ]
    return pairs


Noise = GateNoise | tuple[GateNoise, GateNoise]
"""The gate noise of both nodes, or (node A's, node B's)."""


def _sides(noise: Noise | None) -> tuple[GateNoise, GateNoise]:
    if noise is None:
        return (GateNoise.NONE, GateNoise.NONE)
    if isinstance(noise, GateNoise):
        return (noise, noise)
    if (
        isinstance(noise, tuple)
        and len(noise) == 2
        and all(isinstance(n, GateNoise) for n in noise)
    ):
        return noise
    raise PhysicsError(
        f"noise={noise!r} is not a GateNoise or a pair (node A's, node B's) of GateNoise"
    )


@functools.lru_cache(maxsize=512)
def _transfer_matrix(scheme_name: str, noise: tuple[GateNoise, GateNoise]) -> FloatArray:
    """``transfer_tensor`` as the (input combinations, records x 4) matrix that
    ``np.tensordot(weights, T, axes=1)`` multiplies by."""
    t = transfer_tensor(scheme_name, noise)
    return t.reshape(t.shape[0], -1)


def _bd_joint(
    pairs: list[BellDiagonal], scheme: PurificationScheme, noise: tuple[GateNoise, GateNoise]
) -> Array:
    """P(record, output Bell index) as an array of shape (records, 4)."""
    weights = np.array(pairs[0].as_tuple())
    for p in pairs[1:]:
        weights = np.multiply.outer(weights, np.array(p.as_tuple())).ravel()
    # The one dot product that np.tensordot(weights, T, axes=1) does, on the same shapes, so
    # the same numbers, without its index bookkeeping (most of its cost at these sizes).
    joint: Array = np.dot(weights.reshape(1, -1), _transfer_matrix(scheme.name, noise))
    return joint.reshape(-1, 4)


def _dm_branches(
    pairs: list[DensityMatrix], scheme: PurificationScheme, noise: tuple[GateNoise, GateNoise]
) -> dict[tuple[int, ...], Array]:
    """Unnormalised kept-pair state per record (bits A_j, B_j for each measured pair j)."""
    n = 2 * scheme.pairs
    rho = pairs[0].matrix
    for p in pairs[1:]:
        rho = np.kron(rho, p.matrix)
    plus, minus = rx(np.pi / 2), rx(-np.pi / 2)
    for gate in scheme.gates:
        if gate[0] == "cnot":
            c, t = gate[1], gate[2]  # type: ignore[misc]
            for side in (0, 1):
                rho = apply(rho, n, CNOT, [2 * c + side, 2 * t + side])
                rho = depolarize(rho, n, [2 * c + side, 2 * t + side], noise[side].cnot_error)
        else:
            for side, u in ((0, plus), (1, minus)):
                rho = apply(rho, n, u, [2 * gate[1] + side])
                rho = depolarize(rho, n, [2 * gate[1] + side], noise[side].single_qubit_error)
    measured = [(2 * j + side, basis) for j, basis in scheme.measured for side in (0, 1)]
    errors = [noise[side].readout_error for _ in scheme.measured for side in (0, 1)]
    return measure_and_discard(rho, n, measured, errors)


def _finish(state: State, scheme: PurificationScheme) -> State:
    if not scheme.twirl:
        return state
    return (
        state.to_werner()
        if isinstance(state, BellDiagonal)
        else DensityMatrix.werner(state.fidelity)
    )


def purify(
    keep: StateT,
    sacrifice: StateT | Sequence[StateT],
    scheme: str,
    noise: Noise | None = None,
    *,
    twirl: bool = False,
) -> tuple[float, StateT | None]:
    """One purification round, averaged over measurement outcomes.

    Args:
        keep: the pair that survives on success.
        sacrifice: the pair measured out, or a sequence of two for double selection.
        scheme: one of ``"bbpssw"``, ``"dejmps"``, ``"single_x"``, ``"single_z"``,
            ``"double_x"``, ``"double_z"`` (see ``qrna.physics.SCHEMES``).
        noise: gate and readout noise: one ``GateNoise`` for both nodes, or a pair
            (node A's, node B's), node A holding half 0 of every pair (default: ideal).
        twirl: turn each input pair into the Werner state of its fidelity before the circuit
            (random bilateral rotations, as BBPSSW's original protocol does; BBPSSW always
            twirls). The kept pair is not twirled again, except by BBPSSW.

    Returns:
        ``(success_probability, state_if_kept)``; the state is None when success is impossible.

    Raises:
        PhysicsError: for an unknown scheme, the wrong number of pairs, or mixed backends.
    """
    spec = get_scheme(scheme)
    pairs = _inputs(keep, sacrifice, spec, twirl)
    sides = _sides(noise)
    if isinstance(pairs[0], BellDiagonal):
        joint = _bd_joint(pairs, spec, sides)  # type: ignore[arg-type]
        p = float(joint[0].sum())
        if p < _ZERO_PROBABILITY:
            return 0.0, None
        return p, _finish(BellDiagonal.from_weights(list(joint[0] / p)), spec)  # type: ignore[return-value]
    branches = _dm_branches(pairs, spec, sides)  # type: ignore[arg-type]
    kept = np.sum([m for r, m in branches.items() if _coincident(r)], axis=0)
    p = float(np.trace(kept).real)
    if p < _ZERO_PROBABILITY:
        return 0.0, None
    return p, _finish(DensityMatrix(kept / p), spec)  # type: ignore[return-value]


def _coincident(record: tuple[int, ...]) -> bool:
    return all(record[i] == record[i + 1] for i in range(0, len(record), 2))


def purify_sampled(
    keep: StateT,
    sacrifice: StateT | Sequence[StateT],
    scheme: str,
    rng: np.random.Generator,
    noise: Noise | None = None,
    *,
    twirl: bool = False,
) -> PurificationOutcome[StateT]:
    """One purification round with the nodes' measurement outcomes drawn from ``rng``.

    Same arguments as ``purify``. The success frequency over many draws converges to
    ``purify(...)[0]``, and the kept state on success equals its state.
    """
    spec = get_scheme(scheme)
    pairs = _inputs(keep, sacrifice, spec, twirl)
    sides = _sides(noise)
    m = len(spec.measured)
    if isinstance(pairs[0], BellDiagonal):
        joint = _bd_joint(pairs, spec, sides)  # type: ignore[arg-type]
        probs = np.clip(joint.sum(axis=1), 0.0, None)
        record = choice_index(probs.tolist(), rng)
        # Node A's bits are uniform; node B's differ from them by the drawn parities.
        bits_a = tuple(int(b) for b in rng.integers(0, 2, size=m))
        bits_b = tuple(b ^ ((record >> j) & 1) for j, b in enumerate(bits_a))
        p_succ = float(probs[0])
        state: State | None = None
        if record == 0:
            state = _finish(BellDiagonal.from_weights(list(joint[0] / joint[0].sum())), spec)
        return PurificationOutcome(record == 0, (bits_a, bits_b), state, p_succ)  # type: ignore[arg-type]
    branches = _dm_branches(pairs, spec, sides)  # type: ignore[arg-type]
    records = list(branches)
    weights = np.array([max(0.0, float(np.trace(branches[r]).real)) for r in records])
    pick = records[choice_index(weights.tolist(), rng)]
    ok = _coincident(pick)
    p_succ = float(sum(w for r, w in zip(records, weights, strict=True) if _coincident(r)))
    state = _finish(DensityMatrix.from_unnormalised(branches[pick]), spec) if ok else None
    outcomes = (tuple(pick[0::2]), tuple(pick[1::2]))
    return PurificationOutcome(ok, outcomes, state, p_succ)  # type: ignore[arg-type]


def purification_outcomes(
    keep: StateT,
    sacrifice: StateT | Sequence[StateT],
    scheme: str,
    noise: Noise | None = None,
    *,
    twirl: bool = False,
) -> dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[float, StateT | None]]:
    """Every outcome of one purification round, for protocols whose two nodes act at
    different times.

    Returns ``{(bits read at A, bits read at B): (probability, kept state or None)}``, node A
    holding half 0 of every pair; the state is given for the coincident (successful) outcomes.
    Node A's bits alone are drawn from their marginal when A acts; node B's, later, from the
    distribution conditioned on them (local operations at A and B commute, so this is exact).
    """
    spec = get_scheme(scheme)
    pairs = _inputs(keep, sacrifice, spec, twirl)
    sides = _sides(noise)
    m = len(spec.measured)
    out: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[float, Any]] = {}
    if isinstance(pairs[0], BellDiagonal):
        probs, kept = _bd_records(pairs, spec, sides)  # type: ignore[arg-type]
        for record, p in enumerate(probs):
            for a in range(2**m):
                bits_a = tuple((a >> j) & 1 for j in range(m))
                bits_b = tuple(b ^ ((record >> j) & 1) for j, b in enumerate(bits_a))
                out[(bits_a, bits_b)] = (p / 2**m, kept if record == 0 else None)
        return out
    branches = _dm_branches(pairs, spec, sides)  # type: ignore[arg-type]
    for bits, matrix in branches.items():
        p = max(0.0, float(np.trace(matrix).real))
        state = None
        if _coincident(bits) and p > _ZERO_PROBABILITY:
            state = _finish(DensityMatrix.from_unnormalised(matrix), spec)
        out[(tuple(bits[0::2]), tuple(bits[1::2]))] = (p, state)
    return out


def _bd_records(
    pairs: list[BellDiagonal], spec: PurificationScheme, sides: tuple[GateNoise, GateNoise]
) -> tuple[list[float], BellDiagonal | None]:
    joint = _bd_joint(pairs, spec, sides)
    probs = np.clip(joint.sum(axis=1), 0.0, None)
    kept = None
    if probs[0] > _ZERO_PROBABILITY:
        kept = _finish(BellDiagonal.from_weights(list(joint[0] / joint[0].sum())), spec)
    return probs.tolist(), kept  # type: ignore[return-value]


def bell_diagonal_records(
    keep: BellDiagonal,
    sacrifice: BellDiagonal | Sequence[BellDiagonal],
    scheme: str,
    noise: Noise | None = None,
    *,
    twirl: bool = False,
) -> tuple[list[float], BellDiagonal | None]:
    """``purification_outcomes`` of Bell-diagonal pairs, by parity record: ``(probabilities,
    kept)``, where ``probabilities[r]`` is the probability that the bits read at B differ
    from those read at A by the pattern ``r`` (bit j: the j-th measured pair) and ``kept`` is
    the state kept on coincidence (``r = 0``), None when coincidence cannot occur.

    On this backend node A's bits are uniform and independent of ``r``: outcome
    ``(a, a ^ r)`` of ``purification_outcomes`` has probability ``probabilities[r] / 2**m``
    (m measured pairs), the same number. For the ground truth's hot path, which needs no table.

    Raises:
        PhysicsError: as ``purify``; also if the pairs are not ``BellDiagonal``.
    """
    spec = get_scheme(scheme)
    pairs = _inputs(keep, sacrifice, spec, twirl)
    if not isinstance(pairs[0], BellDiagonal):
        raise PhysicsError(f"bell_diagonal_records takes BellDiagonal pairs; got {pairs[0]!r}")
    return _bd_records(pairs, spec, _sides(noise))  # type: ignore[arg-type]
