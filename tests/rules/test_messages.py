"""The RuleSet messages check themselves where they are made: a malformed one is refused with
a message naming the bad value, so it never reaches a pair."""

from __future__ import annotations

import pytest

from qrna.link import PairName
from qrna.rules import PurificationResult, RuleSetError, SwapResult

OLD = PairName("a", 5)
NEW = PairName("b", 7)


@pytest.mark.parametrize("frame", ["I", "X", "Y", "Z"])
def test_a_swap_result_carries_any_of_the_four_paulis(frame: str) -> None:
    message = SwapResult("c", OLD, NEW, "c-end", frame, True, 0.75)
    assert (message.pauli_frame, message.fidelity) == (frame, 0.75)


@pytest.mark.parametrize("frame", ["", "x", "XZ", "H"])
def test_a_swap_result_refuses_a_frame_that_is_not_a_pauli(frame: str) -> None:
    with pytest.raises(RuleSetError) as info:
        SwapResult("c", OLD, NEW, "c-end", frame, True)
    assert str(info.value) == f"SwapResult: pauli_frame={frame!r} is not a Pauli"


def test_a_swap_result_must_rename_the_pair() -> None:
    with pytest.raises(RuleSetError) as info:
        SwapResult("c", OLD, OLD, "c-end", "I", False)
    assert str(info.value) == "SwapResult: a swap of a@5 must rename it"


def test_a_purification_result_names_two_or_more_distinct_pairs() -> None:
    kept, sacrificed, third = PairName("a", 1), PairName("a", 2), PairName("a", 3)
    message = PurificationResult("c", (kept, sacrificed, third), "dejmps", (0, 1), True)
    assert message.names[0] == kept
    for names in [(kept,), (), (kept, kept), (kept, sacrificed, kept)]:
        with pytest.raises(RuleSetError) as info:
            PurificationResult("c", names, "dejmps", (0,), True)
        assert str(info.value) == (f"PurificationResult: names={names!r} must be distinct pairs")
