"""The minimal repeater of spec Fig. 2, scripted step by step on the link layer: one transceiver
qubit and one buffer qubit behind a two-port switch; entangle left, move the state to the
buffer, switch, entangle right, swap."""

from __future__ import annotations

import numpy as np
import pytest

from qrna.hardware import QNIC, Fibre, MemoryBank, Node, NodeType, OpticalSwitch, PairStore
from qrna.hardware import QubitStatus as S
from qrna.kernel import RngStreams, Scheduler
from qrna.link import HeraldedLink, Heralds, LinkSpec, LinkType, SwitchedLinks, herald_model
from qrna.physics import BellDiagonal, swap


def test_fig2_minimal_repeater_cycle() -> None:
    fe = 0.95
    left = Node("left", NodeType.COMP, (QNIC(1, emission_fidelity=fe),))
    right = Node("right", NodeType.COMP, (QNIC(1, emission_fidelity=fe),))
    rep = Node(
        "rep",
        NodeType.REP1,
        (QNIC(1, buffer_memories=1, emission_fidelity=fe),),
        switch=OpticalSwitch(ports=2, switching_time_s=1e-6),
    )
    sim, store, streams = Scheduler(), PairStore(), RngStreams(5)
    bank_l = MemoryBank(left.qnic_address(0), left.qnics[0])
    bank_r = MemoryBank(right.qnic_address(0), right.qnics[0])
    bank_rep = MemoryBank(rep.qnic_address(0), rep.qnics[0])
    transceiver, buffer = (bank_rep.address, 0), (bank_rep.address, 1)
    spec_l = LinkSpec(left, rep, LinkType.MIM, Fibre(10.0))
    spec_r = LinkSpec(rep, right, LinkType.MIM, Fibre(10.0))
    delivered: list[float] = []
    log: list[str] = []

    def on_left(end: int, heralds: Heralds) -> None:
        assert len(heralds.names) == 1  # one transceiver: one pair per train
        if end == 1:  # the repeater learns: step 2, move the state to the buffer; step 3, switch
            log.append("left")
            store.transfer(transceiver, buffer, sim.now_ps, None)
            bank_rep.move(0, S.FREE)
            bank_rep.move(1, S.ENTANGLED)
            switch.select(1)

    seen: set[int] = set()

    def on_right(end: int, heralds: Heralds) -> None:
        seen.add(end)
        if end == 0:  # step 4: Bell measurement of transceiver and buffer
            log.append("right")
            pair, _, _ = store.swap(buffer, transceiver, sim.now_ps, rng)
            assert pair.qubits == ((bank_l.address, 0), (bank_r.address, 0))
            delivered.append(pair.state.fidelity)
        if seen == {0, 1}:  # both ends know: the end-to-end pair is used up and freed
            seen.clear()
            for q, bank in (((bank_l.address, 0), bank_l), ((bank_r.address, 0), bank_r)):
                store.release(q)
                bank.move(0, S.FREE)
            bank_rep.move(0, S.FREE)
            bank_rep.move(1, S.FREE)
            switch.select(0)

    rng = np.random.default_rng(9)
    link_l = HeraldedLink(
        spec_l, herald_model(spec_l), sim, streams.stream("l"), store, (bank_l, bank_rep), on_left
    )
    link_r = HeraldedLink(
        spec_r, herald_model(spec_r), sim, streams.stream("r"), store, (bank_rep, bank_r), on_right
    )
    switch = SwitchedLinks(rep.switch, [link_l, link_r], sim)  # type: ignore[arg-type]
    checks = [0]

    def invariant(t_ps: int, priority: int, fn: object) -> None:
        # Never left and right at once; the buffer qubit never emits.
        assert not (link_l.running and link_r.running)
        assert bank_rep.status(1) is not S.EMITTING
        checks[0] += 1

    sim.trace = invariant
    switch.select(0)
    sim.run(until_ps=20_000_000_000)  # 20 ms
    assert len(delivered) > 10
    assert log[: 2 * len(delivered)] == ["left", "right"] * len(delivered)
    link_f = swap(BellDiagonal.werner(fe), BellDiagonal.werner(fe))
    assert delivered == pytest.approx([swap(link_f, link_f).fidelity] * len(delivered), abs=1e-12)
    assert checks[0] > 2 * len(delivered)
