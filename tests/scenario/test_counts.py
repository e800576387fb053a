"""Counts of link attempts, swaps and purifications in the summary (issue 12, item 5): each
adds up, per connection and per node alike, and each rate is the physics': link successes are
a binomial sample of the attempts with the link's success probability, swap failures of the
swaps with 1 − a."""

from __future__ import annotations

import math
from typing import Any

import pytest

import qrna
from qrna.scenario import Scenario, run


def _adds_up(tally: dict[str, int]) -> None:
    assert tally["successes"] + tally["failures"] == tally["attempts"]
    assert min(tally.values()) >= 0


def _within(k: int, n: int, p: float) -> bool:
    """k successes of n attempts of probability p, within 3 standard errors."""
    return abs(k - n * p) <= 3 * math.sqrt(n * p * (1 - p)) + 1e-9


def test_the_default_run_s_counts_add_up_and_match_the_links() -> None:
    """metro, seed 1: every tally adds up; each link's pairs are the successes of its
    attempts, at its success probability (3 SE); the connections' link, swap and
    purification counts are the nodes' and the links' counts summed another way."""
    summary = qrna.run("metro", seed=1).summary
    connections, links, nodes = summary["connections"], summary["links"], summary["nodes"]
    for c in connections:
        for tally in c["counts"].values():
            _adds_up(tally)
    for node in nodes.values():
        for tally in node.values():
            _adds_up(tally)
    for link in links:
        assert link["attempts"] > 1000
        assert _within(link["pairs_generated"], link["attempts"], link["success_probability"])
    assert sum(c["counts"]["link"]["attempts"] for c in connections) == sum(
        link["attempts"] for link in links
    )
    assert sum(c["counts"]["link"]["successes"] for c in connections) == sum(
        link["pairs_generated"] for link in links
    )
    for kind in ("swap", "purification"):
        assert sum(c["counts"][kind]["attempts"] for c in connections) == sum(
            n[kind]["attempts"] for n in nodes.values()
        )
    # Every delivered pair of the QKD connection went through its path's swaps.
    qkd = connections[0]
    assert qkd["counts"]["swap"]["successes"] >= 2 * qkd["pairs_delivered"]
    assert qkd["counts"]["purification"]["failures"] > 0


def _chain(a: float) -> Scenario:
    data: dict[str, Any] = {
        "name": "lossy-swaps",
        "qnic": {"memories": 4, "swap_success_probability": a},
        "nodes": [
            {"name": "x", "type": "COMP"},
            {"name": "m", "type": "REP1"},
            {"name": "y", "type": "COMP"},
        ],
        "links": [{"a": "x", "b": "m", "length_km": 5}, {"a": "m", "b": "y", "length_km": 5}],
        "traffic": [{"initiator": "x", "responder": "y", "fidelity": 0.5, "duration_s": 0.1}],
        "simulation": {"duration_s": 0.1, "seed": 2},
    }
    return Scenario.model_validate(data)


@pytest.mark.parametrize("a", [1.0, 0.5])
def test_swap_failures_are_a_binomial_sample_and_the_pairs_are_the_successes(a: float) -> None:
    """A 3-node chain whose repeater's swaps succeed with probability a: the swaps fail with
    probability 1 − a (3 SE), the pairs delivered are the successful swaps (but those still
    on their way at the end), and the repeater's node counts are the connection's."""
    summary = run(_chain(a)).summary
    (c,) = summary["connections"]
    swap = c["counts"]["swap"]
    _adds_up(swap)
    assert swap["attempts"] > 2000
    assert _within(swap["failures"], swap["attempts"], 1 - a)
    assert 0 <= swap["successes"] - c["pairs_delivered"] <= 4
    assert summary["nodes"] == {
        "m": {"swap": swap, "purification": {"attempts": 0, "successes": 0, "failures": 0}}
    }


def test_a_five_node_chain_with_lossy_swaps_fails_each_level_alike() -> None:
    """Five nodes, nested swaps (n1 and n3 first, then n2), a = 0.5 at every repeater: at
    each level the swaps fail one time in two (3 SE: each Bell measurement's coin is
    independent of all before it), the pairs delivered are the top swaps that succeeded (but
    those on their way at the end), and no qubit is left held after the connection ends."""
    data: dict[str, Any] = {
        "name": "lossy-swaps-5",
        "qnic": {"memories": 4, "swap_success_probability": 0.5},
        "nodes": [{"name": f"n{i}", "type": "COMP" if i in (0, 4) else "REP1"} for i in range(5)],
        "links": [{"a": f"n{i}", "b": f"n{i + 1}", "length_km": 5} for i in range(4)],
        "traffic": [{"initiator": "n0", "responder": "n4", "fidelity": 0.5, "pairs": 400}],
        "simulation": {"duration_s": 0.3, "seed": 7},
    }
    results = run(Scenario.model_validate(data))
    summary = results.summary
    (c,) = summary["connections"]
    assert (c["status"], c["pairs_delivered"], c["plan"]["swap_order"]) == ("done", 400, "nested")
    nodes = summary["nodes"]
    for node in ("n1", "n2", "n3"):
        swap = nodes[node]["swap"]
        _adds_up(swap)
        assert swap["attempts"] > 500
        assert _within(swap["failures"], swap["attempts"], 0.5)
    assert 0 <= nodes["n2"]["swap"]["successes"] - 400 <= 4
    # Each top swap needs one success below on each side: n1's and n3's successes feed it.
    for node in ("n1", "n3"):
        assert nodes[node]["swap"]["successes"] >= nodes["n2"]["swap"]["attempts"]
    assert results.network.leaks() == []
