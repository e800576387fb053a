"""Bilateral purification in the ground truth, with the two nodes acting at different times.

In the protocol (spec §3.3, Table 1) each end applies its local circuit and measures, then the
ends exchange the bits; both keep the pair when the bits agree. Here the first node to act
(``begin``) draws its bits from their marginal; the second (``end``), later, draws its bits
conditioned on the first's, from the pairs as they are then: the first node's halves as they
were when it acted, the second's decohered until now. Local operations at the two nodes commute,
so this is exactly the joint statistics of the two local operations at their own times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qrna.hardware._errors import HardwareError
from qrna.hardware._memory import Qubit
from qrna.hardware._pairs import BellPair, PairStore
from qrna.kernel import choice_index
from qrna.physics import (
    SCHEMES,
    BellDiagonal,
    GateNoise,
    State,
    bell_diagonal_records,
    purification_outcomes,
)

__all__ = ["PurificationBook"]


@dataclass
class _Pending:
    pairs: list[BellPair]
    halves: list[int]  # the first node's half of each pair
    bits: tuple[int, ...]
    noise: GateNoise
    scheme: str
    kept: Qubit  # the first node's kept qubit
    twirl: bool  # the pairs were twirled to Werner form before the circuit


def _as_first(state: State, half: int) -> State:
    """Orient a pair so the first node's half is half 0 (node A of the physics circuits)."""
    return state if half == 0 else state.reversed()


def _sacrifice(states: list[State]) -> State | tuple[State, ...]:
    """The physics' ``sacrifice`` argument from (kept, sacrificed...) states."""
    return states[1] if len(states) == 2 else tuple(states[1:])


def _outcomes(
    states: list[State], scheme: str, noise: tuple[GateNoise, GateNoise], twirl: bool
) -> dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[float, State | None]]:
    """The outcome table of (kept, sacrificed...) states oriented with the first node as A."""
    return purification_outcomes(  # type: ignore[type-var]  # union via TypeVar
        states[0], _sacrifice(states), scheme, noise, twirl=twirl
    )


def _draw(weights: dict[tuple[int, ...], float], rng: np.random.Generator) -> tuple[int, ...]:
    keys = sorted(weights)
    return keys[choice_index([max(0.0, weights[k]) for k in keys], rng)]


def _records(
    states: list[State], scheme: str, noise: tuple[GateNoise, GateNoise], twirl: bool
) -> tuple[list[float], BellDiagonal | None]:
    """``bell_diagonal_records`` of (kept, sacrificed...) states oriented as in ``_outcomes``."""
    return bell_diagonal_records(
        states[0],  # type: ignore[arg-type]
        _sacrifice(states),  # type: ignore[arg-type]
        scheme,
        noise,
        twirl=twirl,
    )


def _bits(m: int) -> list[tuple[int, ...]]:
    """Every m-bit outcome, in the order ``_draw`` sorts them (bit j: the j-th measured pair)."""
    return sorted(tuple((a >> j) & 1 for j in range(m)) for a in range(2**m))


class PurificationBook:
    """Purifications begun by one node and not yet ended by the other."""

    def __init__(self, store: PairStore) -> None:
        self.store = store
        self._pending: dict[tuple[int, ...], _Pending] = {}
        # The first node's kept qubit -> its pending purification, so that ``abort`` is a
        # lookup, not a scan of every pending purification in the network.
        self._by_kept: dict[Qubit, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def begin(
        self,
        qubits: Sequence[Qubit],
        scheme: str,
        t_ps: int,
        rng: np.random.Generator,
        noise: GateNoise = GateNoise.NONE,
        twirl: bool = False,
    ) -> tuple[int, ...]:
        """The first node's part: ``qubits`` = (kept, sacrificed, ...) halves held here.
        Returns the bits it reads; its sacrificed qubits are reset. ``twirl``: the pairs are
        twirled to Werner form before the circuit (both nodes' random rotations together
        act on the pairs as they are when the second node acts: ``end`` applies it)."""
        pairs = [self.store.pair_of(q) for q in qubits]
        key = tuple(p.uid for p in pairs)
        if len(set(key)) != len(key):
            raise HardwareError(f"qubits {list(qubits)} do not hold distinct pairs")
        if key in self._pending:
            raise HardwareError(f"purification of pairs {key} was already begun")
        halves = [p.half_of(q) for p, q in zip(pairs, qubits, strict=True)]
        states = [_as_first(p.advance(t_ps, (h,)), h) for p, h in zip(pairs, halves, strict=True)]
        if isinstance(states[0], BellDiagonal):
            bits = self._first_bits(states, scheme, noise, rng, twirl)
        else:
            # The second node's noise cannot change the first node's marginal (no signalling).
            table = _outcomes(states, scheme, (noise, GateNoise.NONE), twirl)
            marginal: dict[tuple[int, ...], float] = {}
            for (bits_a, _), (p, _) in table.items():
                marginal[bits_a] = marginal.get(bits_a, 0.0) + p
            bits = _draw(marginal, rng)
        for q in qubits[1:]:
            self.store.release(q)
        self._pending[key] = _Pending(pairs, halves, bits, noise, scheme, qubits[0], twirl)
        self._by_kept[qubits[0]] = key
        return bits

    def end(
        self,
        qubits: Sequence[Qubit],
        scheme: str,
        t_ps: int,
        rng: np.random.Generator,
        noise: GateNoise = GateNoise.NONE,
        twirl: bool = False,
    ) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
        """The second node's part, on its halves of the same pairs in the same order.

        Returns (its bits, the first node's bits, success). Its sacrificed qubits are reset;
        on failure so is its kept qubit (the first node frees its own when told).
        """
        pairs = [self.store.pair_of(q) for q in qubits]
        key = tuple(p.uid for p in pairs)
        pending = self._pending.get(key)
        if pending is None:
            if all(p.released[1 - p.half_of(q)] for p, q in zip(pairs, qubits, strict=True)):
                # The first node acted and then reset its kept qubit too (its connection ended
                # before this node heard): this node's circuit still runs, on halves whose
                # partners are gone, so its bits are coin flips and nothing is kept.
                bits = tuple(int(b) for b in rng.integers(2, size=len(SCHEMES[scheme].measured)))
                for q in qubits:
                    self.store.release(q)
                return bits, (), False
            raise HardwareError(f"no purification of pairs {key} was begun")
        if (pending.scheme, pending.twirl) != (scheme, twirl):
            raise HardwareError(
                f"purification of pairs {key} was begun as {pending.scheme!r} (twirl="
                f"{pending.twirl}), ended as {scheme!r} (twirl={twirl})"
            )
        states = []
        for pair, q, first_half in zip(pairs, qubits, pending.halves, strict=True):
            half = pair.half_of(q)
            if half == first_half:
                raise HardwareError(f"qubit {q!r} holds the half that began the purification")
            states.append(_as_first(pair.advance(t_ps, (half,)), first_half))
        del self._pending[key]
        self._by_kept.pop(pending.kept, None)
        kept: State | None
        if isinstance(states[0], BellDiagonal):
            # Outcome (a, a ^ r) has probability probabilities[r] / 2**m: the table's numbers,
            # without the table.
            probabilities, kept = _records(states, scheme, (pending.noise, noise), twirl)
            m = len(pending.bits)
            given = {
                tuple(b ^ ((r >> j) & 1) for j, b in enumerate(pending.bits)): p / 2**m
                for r, p in enumerate(probabilities)
            }
            bits = _draw(given, rng)
            if bits != pending.bits:
                kept = None
        else:
            table = _outcomes(states, scheme, (pending.noise, noise), twirl)
            given = {b: p for (a, b), (p, _) in table.items() if a == pending.bits}
            bits = _draw(given, rng)
            kept = table[(pending.bits, bits)][1]
        for q in qubits[1:]:
            self.store.release(q)
        success = kept is not None
        keep = pairs[0]
        if success:
            keep.state = _as_first(kept, pending.halves[0])  # type: ignore[arg-type]
        else:
            self.store.release(qubits[0])
        return bits, pending.bits, success

    @staticmethod
    def _first_bits(
        states: list[State],
        scheme: str,
        noise: GateNoise,
        rng: np.random.Generator,
        twirl: bool,
    ) -> tuple[int, ...]:
        """The first node's bits for Bell-diagonal pairs: uniform, drawn exactly as ``_draw``
        draws them from the marginal of the outcome table (the same numbers, the same draw).

        Each of the 2**m marginals is the same sum x of probabilities[r] / 2**m over the
        records r. With one measured pair x / (x + x) is exactly 1/2 whatever x is, so the
        draw needs no probabilities; with more, x is computed as the table sums it. Inputs the
        table refused (an unknown scheme, a wrong pair count, mixed backends) are refused here
        too, before anything is drawn.
        """
        spec = SCHEMES.get(scheme) if isinstance(scheme, str) else None
        if (
            spec is not None
            and len(spec.measured) == 1
            and len(states) == spec.pairs
            and all(isinstance(s, BellDiagonal) for s in states)
        ):
            return _bits(1)[choice_index([1.0, 1.0], rng)]
        # bell_diagonal_records raises for every input the table refused.
        probabilities, _ = _records(states, scheme, (noise, GateNoise.NONE), twirl)
        m = len(SCHEMES[scheme].measured)
        x = 0.0
        for p in probabilities:
            x += p / 2**m
        return _bits(m)[choice_index([x] * 2**m, rng)]

    def abort(self, qubit: Qubit) -> bool:
        """Forget a begun purification whose kept half ``qubit`` held (e.g. the partner freed
        the pairs first). Returns whether one was found."""
        key = self._by_kept.pop(qubit, None)
        if key is None:
            return False
        pending = self._pending[key]
        if pending.pairs[0].qubits[pending.halves[0]] != qubit:  # the pair moved on: keep it
            self._by_kept[qubit] = key
            return False
        del self._pending[key]
        return True
