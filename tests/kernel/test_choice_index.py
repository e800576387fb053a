"""``choice_index`` makes the draw ``Generator.choice(len(w), p=w / w.sum())`` makes: the same
index and the same generator state after, for every weight vector the ground truth can pass
(finite, non-negative, positive sum), short (its own arithmetic) or long (numpy's)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
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


@pytest.mark.parametrize("weights", [[0.0], [0.0, 0.0, 0.0]])
def test_no_positive_weight_is_refused(weights: list[float]) -> None:
    with pytest.raises(KernelError, match=r"do not sum to a positive number"):
        choice_index(weights, np.random.default_rng(0))
