"""``choice_index`` makes the draw ``Generator.choice(len(w), p=w / w.sum())`` makes: the same
index and the same generator state after, for every weight vector the ground truth can pass
(finite, non-negative, positive sum), short (its own arithmetic) or long (numpy's)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qrna.kernel import KernelError, choice_index

_weight = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0.0, max_value=1.0),
)


@given(
    weights=st.lists(_weight, min_size=1, max_size=12).filter(lambda w: 0 < sum(w) < 1e308),
    seed=st.integers(0, 2**32 - 1),
)
def test_same_draw_and_stream_as_generator_choice(weights: list[float], seed: int) -> None:
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    w = np.array(weights)
    expected = int(numpys.choice(len(w), p=w / w.sum()))
    assert choice_index(weights, ours) == expected
    assert ours.random() == numpys.random()  # one draw consumed, as choice consumes


def test_frequencies_follow_the_weights() -> None:
    """Two-sided: each index within 4.5 SE of its probability over 40,000 draws."""
    rng = np.random.default_rng(3)
    weights = [0.1, 0.0, 0.6, 0.3]
    n = 40_000
    counts = np.bincount([choice_index(weights, rng) for _ in range(n)], minlength=4)
    for k, p in enumerate(weights):
        se = (p * (1 - p) / n) ** 0.5
        assert abs(counts[k] / n - p) <= 4.5 * se + 1e-12, (k, counts[k])
    assert counts[1] == 0


def _drawing(u: float) -> np.random.Generator:
    """A generator whose next ``random()`` is ``u``, a multiple of 2**-53 in [0, 1): SFC64's
    first output is the sum of its state words, and ``random()`` keeps its top 53 bits."""
    k = int(u * 2**53)
    assert k / 2**53 == u
    assert 0 <= k < 2**53
    bits = np.random.SFC64()
    state = bits.state
    state["state"]["state"] = np.array([k << 11, 0, 0, 0], dtype=np.uint64)
    bits.state = state
    return np.random.Generator(bits)


def _edges(weights: list[float]) -> list[float]:
    """Draws at and around (2 steps of 2**-53 either side) every step of the cumulative
    distribution, and the largest draw there is: where a cumulative sum off by one ulp
    (another summation order, another normalisation) picks another index."""
    w = np.array(weights)
    cdf = np.cumsum(w / w.sum())
    ks = {2**53 - 1, 0}
    for c in cdf:
        base = int(c * 2**53)
        ks.update(k for k in range(base - 2, base + 3) if 0 <= k < 2**53)
    return [k / 2**53 for k in sorted(ks)]


@given(
    weights=st.lists(st.one_of(st.just(0.0), st.floats(0.0, 1.0)), min_size=1, max_size=12).filter(
        lambda w: sum(w) > 0
    )
)
@example(weights=[0.863, 0.541, 0.3, 0.423, 0.028, 0.124, 0.671, 0.647])  # 8: pairwise sum
@example(weights=[0.1, 0.2, 0.3])  # the cumulative sum ends at 0.9999999999999999
def test_same_draw_as_generator_choice_at_every_step_of_the_distribution(
    weights: list[float],
) -> None:
    """Random seeds land within an ulp of a step of the distribution almost never; drawn at
    the steps, any difference in the arithmetic (summation order, where it normalises) shows."""
    w = np.array(weights)
    for u in _edges(weights):
        assert choice_index(weights, _drawing(u)) == _drawing(u).choice(len(w), p=w / w.sum()), u


@pytest.mark.parametrize("weights", [[0.0], [0.0, 0.0, 0.0], [0.0] * 8, [0.0] * 16])
def test_no_positive_weight_is_refused(weights: list[float]) -> None:
    with pytest.raises(KernelError, match=r"do not sum to a positive number"):
        choice_index(weights, np.random.default_rng(0))
