"""Swapping pairs held in T2-only memories: every half's dephasing up to the swap, far halves
included, reaches the swapped state (dephasing gives Φ− weight, which a Werner state would
hide among the other errors)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qrna.hardware import Memory, PairStore
from qrna.physics import BellDiagonal, DensityMatrix

PS = 1_000_000_000_000


def _phi_minus_after(seconds_over_t2: float) -> float:
    """Φ+ whose halves dephased (T2 only) for times t_i in memories T2_i, then swapped: each
    half flips Z with p_i = (1 − e^{−t_i/T2_i})/2, the swap composes the flips, and the result
    has Φ− weight P(odd number of flips) = (1 − Π(1 − 2p_i))/2 = (1 − e^{−Σ t_i/T2_i})/2."""
    return (1.0 - math.exp(-seconds_over_t2)) / 2.0


@pytest.mark.parametrize("order", ["left_first", "right_first"])
@pytest.mark.parametrize("kind", ["bell_diagonal", "density_matrix"])
def test_swap_carries_every_halfs_dephasing_up_to_the_swap(order: str, kind: str) -> None:
    """Pair L = (x, m0) made at 0 s, pair R = (m1, y) made at 0.3 s, swapped at m at 0.5 s;
    T2 = 1 s at x, 2 s at m0, 4 s at m1, 0.5 s at y. Σ t/T2 = 0.5/1 + 0.5/2 + 0.2/4 + 0.2/0.5
    = 1.2, so the new pair (x, y) is Φ+ with weight (1 + e^{−1.2})/2 and Φ− the rest, nothing
    else. Losing the far half's dephasing on the left pair leaves Σ = 0.7, on the right 0.8;
    swapping (m1, m0) in the other order must give the same."""
    start = BellDiagonal.perfect() if kind == "bell_diagonal" else DensityMatrix.perfect()
    store = PairStore()
    t2 = {"x": 1.0, "m0": 2.0, "m1": 4.0, "y": 0.5}
    mem = {k: Memory(math.inf, v) for k, v in t2.items()}
    store.create(start, (("x/q", 0), ("m/q", 0)), (mem["x"], mem["m0"]), (0, 0), 0)
    t_r = 3 * PS // 10
    store.create(start, (("m/q", 1), ("y/q", 0)), (mem["m1"], mem["y"]), (t_r, t_r), t_r)
    qubits = (("m/q", 0), ("m/q", 1))
    if order == "right_first":
        qubits = qubits[::-1]
    pair, _, _ = store.swap(*qubits, PS // 2, np.random.default_rng(5))
    phi_minus = _phi_minus_after(0.5 / 1.0 + 0.5 / 2.0 + 0.2 / 4.0 + 0.2 / 0.5)
    assert phi_minus == pytest.approx((1 - math.exp(-1.2)) / 2, abs=1e-15)
    state = pair.state if isinstance(pair.state, BellDiagonal) else pair.state.twirl()
    # BELL_NAMES order: Φ+, Ψ−, Ψ+, Φ−.
    assert state.as_tuple() == pytest.approx((1 - phi_minus, 0.0, 0.0, phi_minus), abs=1e-12)
    assert pair.t_ps == [PS // 2, PS // 2]
