"""The measuring applications' summaries recomputed from the delivered pairs: QKD on
dephased (not Werner) pairs, whose X and Z error rates differ, and sensing's latency on a
path whose two ends hear of a pair at different times."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from qrna.apps import QKD, App, Sensing, Teleport
from qrna.control import Network, links_from_graph
from qrna.hardware import QNIC


def test_qkd_on_dephased_pairs_tells_x_from_z() -> None:
    """Ideal emission, memories with T2 = 0.3 ms only: the delivered pairs are Φ+/Φ− mixtures
    (B = C = 0, D ≈ 0.37), so QBER_Z = B + C = 0 exactly and QBER_X = B + D, within 4 standard
    errors of the mean D of the delivered pairs and more than 4 standard errors above QBER_Z.
    Sifted bits are the pairs both ends read in the same basis, about half of them, and the
    sifted key rate is those bits over the span from the first pair's creation to the last
    one's delivery."""
    g = nx.path_graph(["a", "b", "c"])
    net = Network(links_from_graph(g, qnic=QNIC(4, t2_s=3e-4)), seed=3)
    app = QKD(net, "a", "c", fidelity=0.5, pairs=4000)
    net.run(0.5)
    s = app.summary()
    pairs = [p for p in net.ledger.delivered if p.connection == app.connection]
    n = len(pairs)
    assert n == s["pairs_measured"] == 4000
    assert all(p.weights[1] == 0.0 and p.weights[2] == 0.0 for p in pairs)  # B = C = 0
    b_plus_d = sum(p.weights[1] + p.weights[3] for p in pairs) / n
    assert 0.3 < b_plus_d < 0.45
    assert s["qber_z"] == 0.0
    nx_ = s["sifted_x"]
    se = math.sqrt(b_plus_d * (1 - b_plus_d) / nx_)
    assert abs(s["qber_x"] - b_plus_d) <= 4 * se, (s["qber_x"], b_plus_d, se)
    assert s["qber_x"] - s["qber_z"] > 4 * se
    # Sifting keeps each pair with probability 1/2.
    sifted = s["sifted_x"] + s["sifted_z"]
    assert s["sifted_bits"] == sifted
    assert abs(sifted - n / 2) <= 4 * math.sqrt(n / 4), sifted
    span = (max(p.delivered_ps for p in pairs) - min(p.created_ps for p in pairs)) * 1e-12
    assert s["sifted_key_rate_hz"] == pytest.approx(sifted / span, rel=1e-12)
    assert s["secret_key_rate_hz"] == pytest.approx(
        s["sifted_key_rate_hz"] * s["secret_fraction"], rel=1e-12
    )


def test_sensing_latency_runs_to_the_later_end() -> None:
    """On a–b (2 km), b–c (18 km) a hears of each swap about 77 µs before c: an event's
    latency runs from the pair's creation to its last delivery (the ledger's delivered time),
    so latency_mean_s is the mean of the delivered pairs' latencies, to 1e-12."""
    g = nx.Graph()
    g.add_edge("a", "b", length_km=2.0)
    g.add_edge("b", "c", length_km=18.0)
    net = Network(links_from_graph(g), seed=1)
    app = Sensing(net, "a", "c", fidelity=0.5, pairs=200)
    net.run(0.1)
    s = app.summary()
    pairs = [p for p in net.ledger.delivered if p.connection == app.connection]
    assert s["events"] == len(pairs) >= 200
    latency = sum((p.delivered_ps - p.created_ps) * 1e-12 for p in pairs) / len(pairs)
    assert s["latency_mean_s"] == pytest.approx(latency, rel=1e-12)
    # The skew is most of the latency: the first end's latency would be far less.
    skew = net.delay_s["b"]["c"] - net.delay_s["a"]["b"]
    assert s["timestamp_offset_mean_s"] == pytest.approx(skew, abs=1e-12)
    assert skew > 0.5 * latency
    # The span runs to the last delivery, c's (a's would end a skew earlier).
    span = (max(p.delivered_ps for p in pairs) - min(p.created_ps for p in pairs)) * 1e-12
    assert app.span_s() == pytest.approx(span, rel=1e-12)


def test_teleportation_of_dephased_pairs_never_fails_in_z() -> None:
    """Memories with T2 = 0.3 ms only: the pairs are Φ+/Φ− mixtures (B = C = 0), so the
    receiver's check succeeds with probability A + D = 1 in Z, A + C = A in X and A + B = A in
    Y (module docstring). Z is exactly 1; X and Y are within 4 standard errors of the mean A
    of the delivered pairs (about 670 trials each), and the whole within 4 of (1 + 2A)/3."""
    g = nx.path_graph(["a", "b", "c"])
    net = Network(links_from_graph(g, qnic=QNIC(4, t2_s=3e-4)), seed=3)
    app = Teleport(net, "a", "c", fidelity=0.5, pairs=2000)
    net.run(0.5)
    s = app.summary()
    pairs = [p for p in net.ledger.delivered if p.connection == app.connection]
    assert (s["teleported"], s["lost"], len(pairs)) == (2000, 0, 2000)
    a = sum(p.weights[0] for p in pairs) / len(pairs)
    assert 0.55 < a < 0.67
    assert s["by_basis"]["Z"] == 1.0
    for basis in "XY":
        se = math.sqrt(a * (1 - a) / 600)
        assert abs(s["by_basis"][basis] - a) <= 4 * se, (basis, s["by_basis"][basis], a)
    expected = (1 + 2 * a) / 3
    assert abs(s["teleport_fidelity"] - expected) <= 4 * math.sqrt(expected * (1 - expected) / 2000)


def test_a_half_freed_before_its_bits_arrive_is_lost_not_a_trial() -> None:
    """A 10 ms demand on 30 km links with jitter: the teardown overtakes some of the bits, and
    the receiver's half is freed before they arrive. Each delivered pair is then either a
    trial or lost, never both or neither."""
    g = nx.path_graph(["a", "b", "c"])
    for e in g.edges:
        g.edges[e]["length_km"] = 30.0
    net = Network(links_from_graph(g, qnic=QNIC(16, t2_s=3e-3)), seed=8, jitter=2.0)
    app = Teleport(net, "a", "c", fidelity=0.5, duration_s=0.01, memories=16)
    net.run(0.05)
    s = app.summary()
    delivered = sum(p.connection == app.connection for p in net.ledger.delivered)
    assert s["lost"] >= 2
    assert s["teleported"] + s["lost"] == delivered


def test_teleportation_without_trials_reports_no_figures() -> None:
    """Before any pair: no trial, no loss, and the fidelity, its interval and every basis's
    rate are NaN (not a division by zero)."""
    g = nx.path_graph(["a", "b", "c"])
    app = Teleport(Network(links_from_graph(g, qnic=QNIC(4)), seed=1), "a", "c", 0.5, pairs=1)
    s = app.summary()
    assert (s["teleported"], s["lost"]) == (0, 0)
    assert math.isnan(s["teleport_fidelity"])
    assert all(math.isnan(x) for x in s["teleport_fidelity_ci"])
    assert sorted(s["by_basis"]) == ["X", "Y", "Z"]
    assert all(math.isnan(x) for x in s["by_basis"].values())


def test_binary_entropy_is_zero_at_the_certain_ends_and_one_at_a_half() -> None:
    from qrna.apps import binary_entropy

    assert binary_entropy(0.0) == binary_entropy(1.0) == 0.0
    assert binary_entropy(-0.1) == binary_entropy(1.1) == 0.0
    assert binary_entropy(0.5) == 1.0
    p = 0.11
    assert binary_entropy(p) == pytest.approx(
        -p * math.log2(p) - (1 - p) * math.log2(1 - p), rel=1e-15
    )
    assert binary_entropy(p) == pytest.approx(0.4999160, abs=1e-7)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_span_runs_from_the_first_creation_to_the_last_delivery_of_two_pairs_or_more(
    n: int,
) -> None:
    """Sensing over n pairs: the span is 0 for one pair (no rate from a single event) and,
    from two pairs on, the first pair's creation to the last one's delivery at either end."""
    g = nx.path_graph(["a", "b", "c"])
    net = Network(links_from_graph(g, qnic=QNIC(4)), seed=2)
    app = Sensing(net, "a", "c", fidelity=0.5, pairs=n)
    net.run(0.1)
    pairs = [p for p in net.ledger.delivered if p.connection == app.connection]
    assert app.measured == len(pairs) == n
    span = (max(p.delivered_ps for p in pairs) - min(p.created_ps for p in pairs)) * 1e-12
    assert app.span_s() == (0.0 if n == 1 else pytest.approx(span, rel=1e-12))
    assert n == 1 or app.span_s() > 0


def test_qkd_without_pairs_has_no_sifted_bits_and_no_rates() -> None:
    """Before any pair: nothing sifted in either basis, QBERs and their intervals NaN, and
    key rates 0 (no span to divide by)."""
    g = nx.path_graph(["a", "b", "c"])
    app = QKD(Network(links_from_graph(g, qnic=QNIC(4)), seed=1), "a", "c", 0.5, pairs=1)
    s = app.summary()
    assert (s["pairs_measured"], s["sifted_x"], s["sifted_z"], s["sifted_bits"]) == (0, 0, 0, 0)
    for key in ("qber_x", "qber_z"):
        assert math.isnan(s[key])
        assert all(math.isnan(x) for x in s[f"{key}_ci"])
    assert (s["sifted_key_rate_hz"], s["secret_key_rate_hz"]) == (0.0, 0.0)


def test_the_wilson_interval_of_one_trial_and_its_clipping_to_zero_and_one() -> None:
    """One success in one trial: centre (1 + z²/2)/(1 + z²) and half-width
    z·√(z²/4)/(1 + z²) = (z²/2)/(1 + z²), so the interval is [1/(1 + z²), 1]. All successes
    in 5 trials reach 1 (1 + 2e-16 before clipping) and none reach 0 (−3e-17 before)."""
    from qrna.apps import binomial_ci

    z2 = 1.96**2
    lo, hi = binomial_ci(1, 1)
    assert lo == pytest.approx(1 / (1 + z2), rel=1e-12)
    assert hi == pytest.approx(1.0, rel=1e-12)
    assert binomial_ci(5, 5)[1] == 1.0
    assert binomial_ci(0, 5)[0] == 0.0
    assert all(math.isnan(x) for x in binomial_ci(0, 0))


def test_sensing_with_the_initiator_at_the_far_end_reads_a_negative_offset() -> None:
    """The path of test_sensing_latency_runs_to_the_later_end, roles swapped: the initiator c
    now hears of each swap last, so the responder's timestamp minus the initiator's is minus
    the skew, every time; the span still ends at the last delivery (c's)."""
    g = nx.Graph()
    g.add_edge("a", "b", length_km=2.0)
    g.add_edge("b", "c", length_km=18.0)
    net = Network(links_from_graph(g), seed=1)
    app = Sensing(net, "c", "a", fidelity=0.5, pairs=50)
    net.run(0.1)
    s = app.summary()
    pairs = [p for p in net.ledger.delivered if p.connection == app.connection]
    assert s["events"] == len(pairs) >= 50
    skew = net.delay_s["b"]["c"] - net.delay_s["a"]["b"]
    assert skew > 5e-5
    assert s["timestamp_offset_mean_s"] == pytest.approx(-skew, abs=1e-12)
    span = (max(p.delivered_ps for p in pairs) - min(p.created_ps for p in pairs)) * 1e-12
    assert app.span_s() == pytest.approx(span, rel=1e-12)


def test_an_application_asks_for_its_connection_at_its_start_time() -> None:
    """start_s = 20 ms: the request leaves then, so the connection is up, and every pair is
    created, after 20 ms (the default is 1 ms)."""
    g = nx.path_graph(["a", "b", "c"])
    net = Network(links_from_graph(g, qnic=QNIC(4)), seed=1)
    app = App(net, "a", "c", fidelity=0.5, pairs=3, start_s=0.02)
    net.run(0.1)
    report = net.reports()[app.connection]
    assert report.status == "done"
    assert all(e.t_ps > 2 * 10**10 for e in report.events)
    pairs = [p for p in net.ledger.delivered if p.connection == app.connection]
    assert len(pairs) == 3
    assert min(p.created_ps for p in pairs) > 2 * 10**10


def test_an_application_is_not_best_effort_unless_asked() -> None:
    """Memories with T2 = 0.3 ms: no plan on a–b–c reaches 0.99. An application that does not
    ask for best effort is refused with the generator's exact reason, naming the best plan's
    estimate; one that asks runs that nearest plan (marked best effort) and gets its pairs."""
    g = nx.path_graph(["a", "b", "c"])
    reports = []
    for extra in ({}, {"best_effort": True}):
        net = Network(links_from_graph(g, qnic=QNIC(4, t2_s=3e-4)), seed=1)
        app = App(net, "a", "c", fidelity=0.99, pairs=3, **extra)
        net.run(0.05)
        reports.append((net.reports()[app.connection], net.plans.get(app.connection)))
    (refused, no_plan), (served, nearest) = reports
    assert no_plan is None
    assert nearest is not None
    assert nearest.best_effort
    assert 0.5 < nearest.fidelity < 0.99
    assert (refused.status, refused.delivered) == ("failed", 0)
    assert [(e.kind, e.detail) for e in refused.events] == [
        (
            "failed",
            "fidelity_unreachable: fidelity 0.99 is out of reach on a-b-c with 4 memories per "
            f"QNIC; the best plan gives {nearest.fidelity:.4f}",
        )
    ]
    assert (served.status, served.delivered) == ("done", 3)
