"""Applications measured against the delivered pairs' true state: QKD's QBER per basis,
tomography's estimate, teleportation's fidelity; and the socket API's contract."""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import numpy as np
import pytest

from qrna.api import SocketError, socket
from qrna.apps import QKD, Sensing, Teleport, Tomography
from qrna.control import Network, line_network, links_from_graph
from qrna.hardware import QNIC


def _network(seed: int, emission_fidelity: float = 0.93) -> Network:
    g = nx.path_graph(["a", "b", "c"])
    for e in g.edges:
        g.edges[e]["emission_fidelity"] = emission_fidelity
    return Network(links_from_graph(g, qnic=QNIC(8)), seed=seed)


def _true_weights(net: Network, connection: str) -> np.ndarray:
    pairs = [p for p in net.ledger.delivered if p.connection == connection]
    return np.mean([p.weights for p in pairs], axis=0)


def test_qkd_qber_per_basis_matches_the_delivered_state() -> None:
    """QBER_Z = B + C and QBER_X = B + D (weights in (Φ+, Ψ−, Ψ+, Φ−) order) of the pairs the
    network delivered, within 4 standard errors of the sifted counts."""
    net = _network(seed=3, emission_fidelity=0.97)
    app = QKD(net, "a", "c", fidelity=0.5, pairs=4000)
    net.run(0.5)
    s = app.summary()
    _, b, c, d = _true_weights(net, app.connection)
    for basis, expected in (("z", b + c), ("x", b + d)):
        n = s[f"sifted_{basis}"]
        assert n > 900  # a quarter of the pairs per basis
        se = math.sqrt(expected * (1 - expected) / n)
        assert abs(s[f"qber_{basis}"] - expected) <= 4 * se, (basis, s[f"qber_{basis}"], expected)
    h = sum(-q * math.log2(q) - (1 - q) * math.log2(1 - q) for q in (s["qber_x"], s["qber_z"]))
    assert s["secret_fraction"] == pytest.approx(1 - h)
    assert 0 < s["secret_key_rate_hz"] < s["sifted_key_rate_hz"]


def test_tomography_estimate_contains_the_true_fidelity() -> None:
    net = _network(seed=4)
    app = Tomography(net, "a", "c", fidelity=0.5, pairs=3000)
    net.run(0.5)
    s = app.summary()
    true_f = _true_weights(net, app.connection)[0]
    lo, hi = s["fidelity_estimate_ci"]
    assert s["samples"] > 2500
    assert lo <= true_f <= hi, (lo, true_f, hi)
    assert s["state"] == pytest.approx(list(_true_weights(net, app.connection)), abs=0.03)


def test_teleportation_fidelity_is_two_f_plus_one_over_three() -> None:
    net = _network(seed=5)
    app = Teleport(net, "a", "c", fidelity=0.5, pairs=3000)
    net.run(0.5)
    s = app.summary()
    f = _true_weights(net, app.connection)[0]
    expected = (2 * f + 1) / 3
    n = s["teleported"]
    assert n > 2500
    assert abs(s["teleport_fidelity"] - expected) <= 4 * math.sqrt(expected * (1 - expected) / n)
    assert net.leaks() == []  # every held qubit was measured and released


def test_sensing_reports_shared_event_timestamps() -> None:
    """Asymmetric path (2 km then 18 km): the far end hears of each pair later; the offset is
    the difference of the classical latencies, every time (precision 0 here: no jitter)."""
    g = nx.Graph()
    g.add_edge("a", "b", length_km=2.0)
    g.add_edge("b", "c", length_km=18.0)
    net = Network(links_from_graph(g), seed=1)
    app = Sensing(net, "a", "c", fidelity=0.5, pairs=200)
    net.run(0.1)
    s = app.summary()
    assert s["events"] >= 200
    assert s["parity_agreement"] == 1.0
    assert s["latency_mean_s"] > 0
    # c hears the swap result from b over 18 km, a over 2 km: the difference, every time.
    offset = net.delay_s["b"]["c"] - net.delay_s["a"]["b"]
    assert s["timestamp_offset_mean_s"] == pytest.approx(offset, abs=1e-12)
    assert s["timestamp_precision_s"] == pytest.approx(0.0, abs=1e-12)


def test_socket_contract() -> None:
    net = line_network(3, seed=1)
    s = socket(net, "n0", "MEAS")
    with pytest.raises(SocketError, match="unknown option 'colour'"):
        s.setsockopt("colour", "red")
    with pytest.raises(SocketError, match="basis='W'"):
        s.setsockopt("basis", "W")
    with pytest.raises(SocketError, match=r"^plan='fast'; expected a PlanRequest or None$"):
        s.setsockopt("plan", "fast")
    with pytest.raises(SocketError, match=r"^best_effort='yes'; expected true or false$"):
        s.setsockopt("best_effort", "yes")
    with pytest.raises(SocketError, match="no node 'zz'"):
        socket(net, "zz")
    with pytest.raises(SocketError, match="kind='QPU'"):
        socket(net, "n0", "QPU")  # type: ignore[arg-type]
    assert s.ioctl("neighbours") == {"neighbours": ["n1"]}
    assert s.ioctl("qnic", "n1")["memories"] == 8
    assert s.ioctl("link", "n1")["fidelity"] == pytest.approx(1.0)
    with pytest.raises(SocketError, match="no link to 'n2'"):
        s.ioctl("qnic", "n2")
    with pytest.raises(SocketError, match="no connected peer"):
        s.send("hello")
    s.close()
    with pytest.raises(SocketError, match="is closed"):
        s.connect("n2", pairs=1)


def test_close_tears_the_connection_down_and_comp_halves_carry_timestamps() -> None:
    net = line_network(3, seed=2)
    a, b = socket(net, "n0", "COMP"), socket(net, "n2", "COMP")
    b.listen()
    c = a.connect("n2", pairs=10**6, fidelity=0.5)
    net.run(0.01)
    got = a.recv()
    assert got
    # A pair exists from its herald; n0 learns of the swap at n1 one classical hop later.
    hop_ps = round(net.delay_s["n0"]["n1"] * 1e12)
    assert all(d.qubit is not None for d in got)
    assert all(d.created_ps == d.name.t_ps for d in got)
    assert all(d.delivered_ps - d.created_ps >= hop_ps for d in got)
    assert a.measure(got[0], "Z") in (0, 1)
    for d in got[1:]:
        net.release(d.qubit)  # type: ignore[arg-type]
    for d in b.recv():
        net.release(d.qubit)  # type: ignore[arg-type]
    a.close()
    net.run(0.01)
    assert net.reports()[c].status == "done"
    assert net.leaks() == []


def test_qkd_from_a_meas_end_node() -> None:
    """Alice is a MEAS node (no memory: she measures each photon of an MSM link on arrival,
    X or Z at random); Bob holds qubits. The records, corrected by the swap's Pauli frame,
    give QBER_Z = B + C and QBER_X = B + D of the delivered pairs; the generator plans no
    purification for a MEAS end."""
    from qrna.scenario import load_scenario, run

    s = load_scenario(
        {
            "nodes": [
                {"name": "alice", "type": "MEAS"},
                {"name": "r1", "type": "REP1"},
                {"name": "bob", "type": "COMP"},
            ],
            "links": [
                {"a": "alice", "b": "r1", "type": "MSM", "length_km": 5, "source_fidelity": 0.95},
                {"a": "r1", "b": "bob", "type": "MIM", "length_km": 10},
            ],
            "traffic": [
                {
                    "app": "qkd",
                    "initiator": "alice",
                    "responder": "bob",
                    "pairs": 4000,
                    "fidelity": 0.7,
                }
            ],
            "simulation": {"duration_s": 0.3, "seed": 2},
        }
    )
    r = run(s)
    c = r.summary["connections"][0]
    assert c["status"] == "done"
    assert c["plan"]["link_purification"] == "0 x dejmps"
    table = r.pairs_table()  # a scenario run streams its pairs there, not to the ledger
    _, b, cc, d = (np.mean(table.column(w).to_numpy()) for w in table.column_names[-4:])
    for basis, expected in (("z", b + cc), ("x", b + d)):
        n = c["app_results"][f"sifted_{basis}"]
        assert n > 900
        se = math.sqrt(expected * (1 - expected) / n)
        assert abs(c["app_results"][f"qber_{basis}"] - expected) <= 4 * se
    assert r.network.leaks() == []
    with pytest.raises(SocketError, match="'alice' is a MEAS node"):
        socket(r.network, "alice", "COMP")


def test_socket_misuse_and_closing() -> None:
    """A socket carries one connection (listening then connecting is refused); closing before
    the request leaves cancels it; a closed COMP socket gives its halves back, so the peer's
    connection still completes and nothing leaks."""
    net = line_network(3, seed=1)
    y = socket(net, "n1", "MEAS")
    y.listen()
    with pytest.raises(SocketError, match="listening already"):
        y.connect("n2", pairs=5)
    with pytest.raises(SocketError, match="listening or connected already"):
        y.listen()
    a, b = socket(net, "n0", "COMP"), socket(net, "n2", "COMP")
    b.listen()
    a.setsockopt("start_s", 0.005)
    c = a.connect("n2", pairs=50, fidelity=0.5)
    a.close()
    net.run(0.02)
    report = net.reports()[c]
    assert (report.status, report.delivered, report.events[-1].detail) == ("done", 0, "cancelled")

    net = line_network(3, seed=2)
    a, b = socket(net, "n0", "COMP"), socket(net, "n2", "COMP")
    b.listen()
    a.on_receive(lambda d: net.release(d.qubit))  # type: ignore[arg-type]
    c = a.connect("n2", pairs=300, fidelity=0.5)
    b.close()  # the responder's application goes away
    net.run(0.2)
    assert net.reports()[c].status == "done"
    assert net.leaks() == []


def test_socket_messages_measure_and_close_paths() -> None:
    """Classical messages queue for ``recv_messages`` (each once); ``measure`` names what it
    refuses; an unknown ioctl is named; closing a listening socket withdraws it, closing a
    socket with unread held halves gives them back, a closed socket drops what arrives, and a
    second close does nothing."""
    net = line_network(3, seed=3)
    a, b = socket(net, "n0", "COMP"), socket(net, "n2", "COMP")
    with pytest.raises(
        SocketError, match=r"^unknown ioctl 'mtu'; expected 'qnic', 'link' or 'neighbours'$"
    ):
        a.ioctl("mtu", "n1")
    late = socket(net, "n2", "COMP")
    late.listen()
    late.close()
    assert net._listeners["n2"] == []  # withdrawn: the next connect finds b's socket
    b.listen()
    c = a.connect("n2", pairs=10**6, fidelity=0.5)
    assert (b.connection, b.peer) == (c, "n0")
    a.send({"hello": 1})
    a.send("second")
    net.run(0.01)
    assert b.recv_messages() == [{"hello": 1}, "second"]
    assert b.recv_messages() == []
    got = a.recv()
    assert len(got) >= 2
    with pytest.raises(SocketError, match=r"^basis='W'; expected 'X', 'Y' or 'Z'$"):
        a.measure(got[0], "W")
    meas = dataclasses.replace(got[0], qubit=None, basis="Z", bit=0)
    with pytest.raises(SocketError, match=r"^only a COMP socket's deliveries hold qubits$"):
        a.measure(meas, "Z")
    for d in got:
        net.release(d.qubit)  # type: ignore[arg-type]
    unread = [d.qubit for d in b._inbox]
    assert len(unread) >= 2
    assert all(net.store.holds(q) for q in unread)  # type: ignore[arg-type]
    b.close()  # the responder's socket: its unread halves go back, the connection goes on
    assert not any(net.store.holds(q) for q in unread)  # type: ignore[arg-type]
    a.send("to a closed socket")
    net.run(0.011)
    assert b.recv_messages() == []  # dropped on arrival
    assert b.recv() == []
    a.close()
    a.close()  # nothing left to do
    net.run(0.02)
    assert net.reports()[c].status == "done"
    assert net.leaks() == []


def test_the_plain_pair_service_releases_every_half_and_has_no_figures() -> None:
    """``App`` itself (the "pairs" application): both sockets give each held half back on
    arrival, so the connection delivers its pairs and nothing stays held."""
    from qrna.apps import APPS, App

    net = line_network(3, seed=5)
    app = App(net, "n0", "n2", fidelity=0.5, pairs=20)
    assert APPS["pairs"] is App
    net.run(0.05)
    report = net.reports()[app.connection]
    assert (report.status, report.delivered) == ("done", 20)
    assert app.summary() == {}
    assert app.a.recv() == app.b.recv() == []  # handed to the handler, not queued
    assert net.leaks() == []
