"""The detectors many tests lean on, each shown to detect by planting what it detects.

``Network.leaks`` (RuleSets, holds, qubits and ground-truth pairs a finished connection left
behind) and the delivery ledger's ground-truth check (two halves of one Bell pair) back the
teardown, concurrency and fuzzer tests: an assertion ``leaks() == []`` proves nothing unless
``leaks`` reports a leak when there is one. Each test below finishes a clean connection,
checks that nothing is reported, plants one fault, and asserts the exact report.
"""

from __future__ import annotations

import networkx as nx
import pytest

from qrna.control import Network, line_network, links_from_graph
from qrna.hardware import QNIC, MemoryBank, QubitStatus
from qrna.link import PairName
from qrna.physics import BellDiagonal
from qrna.rules import PairDelivered, RuleSetError, chain_rulesets


def _finished() -> tuple[Network, str]:
    """A 3-node line whose one connection delivered its 5 pairs and was torn down, its
    teardown landed and its links pruned: nothing left to report."""
    net = line_network(3, length_km=5.0, memories=2, seed=3)
    cid = net.request("n0", "n2", fidelity=0.6, pairs=5, memories=2)
    result = net.run(0.05)
    assert result.connections[cid].status == "done"
    assert net.leaks() == []
    return net, cid


def test_an_installed_ruleset_left_behind_is_reported() -> None:
    net, cid = _finished()
    net.engines["n1"].install(chain_rulesets(cid, ["n0", "n1", "n2"])["n1"])
    assert net.leaks() == [f"n1: RuleSet of {cid} still installed"]


def test_memories_a_node_still_holds_are_reported() -> None:
    net, _ = _finished()
    net.managers["n2"].held["n1"] = 2  # held, but by no live connection
    assert net.leaks() == ["n2: holds {'n1': 2} but its connections account for {}"]


def _plant_bank(net: Network, cid: str, address: str) -> MemoryBank:
    """A memory bank of ``cid`` at n0 (as a per-connection link has), known to the network."""
    spec, end = net.ports["n0"]["n1"]
    bank = MemoryBank(address, net.nodes["n0"].qnics[spec.qnic_a])
    net.sublinks.banks[bank.address] = bank
    net.sublinks._bank_link[bank.address] = (None, end, cid)  # type: ignore[assignment]
    return bank


def test_a_qubit_not_free_and_a_pair_still_in_the_ground_truth_are_reported() -> None:
    net, cid = _finished()
    # A finished connection's bank with one qubit still entangled, holding half of a
    # ground-truth pair (as a herald landing after teardown and never freed would leave).
    bank = _plant_bank(net, cid, f"n0/qnic0:{cid}")
    bank.move(0, QubitStatus.ENTANGLED)
    net.store.create(BellDiagonal.werner(0.9), ((bank.address, 0), None), (None, None), (0, 0), 0)
    assert net.leaks() == [
        f"n0/qnic0:{cid}: 1 qubits not free",
        f"n0/qnic0:{cid}: the ground truth still has pairs there",
    ]


def test_a_delivery_of_halves_of_two_pairs_is_refused() -> None:
    """The ledger matches the two ends' halves by pair name and checks them against the
    ground truth: two qubits of two different Bell pairs delivered under one name raise."""
    net, cid = _finished()
    qubits = [(_plant_bank(net, cid, f"planted{k}").address, 0) for k in range(2)]
    for q in qubits:
        net.store.create(BellDiagonal.werner(0.9), (q, None), (None, None), (0, 0), 0)
    name = PairName("n1", 7)
    net.ledger.deliver("n0", True, PairDelivered(cid, name, qubits[0], "n2", 5), 10)
    with pytest.raises(
        RuleSetError,
        match=r"^pair n1@7 was delivered with halves of two different Bell pairs \(half "
        r"\('planted1', 0\) is not part of ",
    ):
        net.ledger.deliver("n2", False, PairDelivered(cid, name, qubits[1], "n0", 5), 10)


def test_free_banks_of_a_finished_connection_not_yet_pruned_are_no_leak() -> None:
    """Between the teardown reaching every node and the pruning of its links (two link
    periods later), a finished connection's banks are all FREE and still listed: no leak."""
    net = line_network(3, seed=1)
    cid = net.request("n0", "n2", fidelity=0.5, pairs=3)
    while net.run(1e-5).connections[cid].status != "done":
        pass
    net.run(1.5e-4)  # the teardown has reached n2 (50 µs a hop)
    assert sorted(net.sublinks.banks) == [
        "n0/qnic0:c1",
        "n1/qnic0:c1",
        "n1/qnic1:c1",
        "n2/qnic0:c1",
    ]
    assert net.leaks() == []


def test_a_teardown_on_its_way_is_reported_only_when_asked_about_now() -> None:
    """At the instant the Initiator is done, the teardown has not reached n1 and n2: asked
    about now, their RuleSets and memories are reported; asked about connections finished
    before that instant, nothing is."""
    net = line_network(3, seed=1)
    cid = net.request("n0", "n2", fidelity=0.5, pairs=3)
    while (report := net.run(1e-5).connections[cid]).status != "done":
        pass
    done_ps = next(e.t_ps for e in report.events if e.kind == "done")
    assert f"n2: RuleSet of {cid} still installed" in net.leaks()
    assert f"n2: RuleSet of {cid} still installed" in net.leaks(finished_by_ps=done_ps)
    assert net.leaks(finished_by_ps=done_ps - 1) == []


def test_what_a_failed_connection_leaves_is_reported_too() -> None:
    """A connection refused for good (its fidelity out of reach) is finished like a done one:
    a RuleSet of it installed afterwards is a leak."""
    g = nx.path_graph(["n0", "n1", "n2"])
    net = Network(links_from_graph(g, qnic=QNIC(4, emission_fidelity=0.8)), seed=1)
    cid = net.request("n0", "n2", fidelity=0.99, pairs=3)
    assert net.run(0.01).connections[cid].status == "failed"
    assert net.leaks() == []
    net.engines["n1"].install(chain_rulesets(cid, ["n0", "n1", "n2"])["n1"])
    assert net.leaks() == [f"n1: RuleSet of {cid} still installed"]
