"""A memory's re-initialisation time (``QNIC.reinit_s``, issue 12 item 4): a link's round lasts
at least the longer of its ends', so a memory attempts at most once per ``reinit_s``; the rate
the generator plans with is the model's."""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import pytest

from qrna.control import Network, links_from_graph
from qrna.hardware import QNIC, HardwareError
from qrna.link import herald_model


@pytest.mark.parametrize("reinit_s", [0.0, 1e-6, 1e-3])
def test_a_round_lasts_at_least_the_re_initialisation(reinit_s: float) -> None:
    """5 km MIM, 4 memories: the natural round is 24.07 µs; a re-initialisation of 1 µs
    changes nothing, one of 1 ms makes every round 1 ms. Over 0.5 s the link attempts 4 times
    per round that started, and its pairs are a binomial sample of those attempts at the
    success probability (3 SE), which the plan's rate is 4·p per round."""
    links = links_from_graph(nx.path_graph(["a", "b"]), 5.0, qnic=QNIC(4, reinit_s=reinit_s))
    model = herald_model(links[0])
    natural = herald_model(links_from_graph(nx.path_graph(["a", "b"]), 5.0, 4)[0]).period_s
    assert natural == pytest.approx(24.07e-6, rel=1e-3)
    assert model.period_s == max(natural, reinit_s)
    net = Network(links, seed=3)
    c = net.request("a", "b", 0.5, duration_s=0.5, memories=4)
    report = net.run(0.5).connections[c]
    (link,) = net.sublinks.links.values()
    rounds = link.attempts // 4
    assert link.attempts == 4 * rounds
    assert rounds * model.period_s <= 0.5
    assert rounds * model.period_s >= 0.5 - 2e-3  # up at about 1 ms, then every round
    p = model.p_success
    n = link.attempts
    assert abs(link.successes - n * p) <= 3 * math.sqrt(n * p * (1 - p))
    assert 0 <= link.successes - report.delivered <= 4  # the last round's, on their way
    assert net.plans[c].rate_hz == pytest.approx(4 * p / model.period_s, rel=1e-12)


def test_the_longer_end_sets_the_round() -> None:
    """Ends of 0.2 ms and 0.5 ms: the round is 0.5 ms."""
    links = links_from_graph(nx.path_graph(["a", "b"]), 5.0, qnic=QNIC(4, reinit_s=2e-4))
    spec = links[0]
    slow = QNIC(4, reinit_s=5e-4)
    spec = dataclasses.replace(spec, b=dataclasses.replace(spec.b, qnics=(slow,)))
    assert herald_model(spec).period_s == 5e-4


@pytest.mark.parametrize("bad", [-1e-3, math.inf, True])
def test_a_bad_re_initialisation_time_is_named(bad: object) -> None:
    with pytest.raises(HardwareError, match=r"^QNIC: reinit_s=.* must be a finite number"):
        QNIC(4, reinit_s=bad)  # type: ignore[arg-type]
