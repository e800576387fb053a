"""``SwitchedLinks``: a switch in front of one QNIC serves one link at a time (spec Fig. 2).
Selecting a port stops the other link at once and starts the selected one exactly one
switching time later; a new selection while switching cancels the old one; frees go to the
link now attempting; bad ports and foreign banks are named."""

from __future__ import annotations

import pytest

from qrna.hardware import QNIC, Fibre, MemoryBank, Node, NodeType, OpticalSwitch, PairStore
from qrna.hardware import QubitStatus as S
from qrna.kernel import RngStreams, Scheduler
from qrna.link import (
    HeraldedLink,
    Heralds,
    LinkError,
    LinkSpec,
    LinkType,
    SwitchedLinks,
    herald_model,
)

SWITCH_S = 1e-6


def _switched() -> tuple[Scheduler, SwitchedLinks, list[HeraldedLink], list[MemoryBank]]:
    qnic = QNIC(2)
    left, right = (Node(n, NodeType.COMP, (qnic,)) for n in ("left", "right"))
    rep = Node("rep", NodeType.REP1, (qnic,), switch=OpticalSwitch(2, SWITCH_S))
    sim, store, streams = Scheduler(), PairStore(), RngStreams(4)
    banks = [MemoryBank(n.qnic_address(0), qnic) for n in (left, rep, right)]
    specs = [
        LinkSpec(left, rep, LinkType.MIM, Fibre(5.0)),
        LinkSpec(rep, right, LinkType.MIM, Fibre(5.0)),
    ]

    def ignore(end: int, heralds: Heralds) -> None:
        pass

    links = [
        HeraldedLink(s, herald_model(s), sim, streams.stream(s.id), store, pair, ignore)
        for s, pair in zip(specs, [(banks[0], banks[1]), (banks[1], banks[2])], strict=True)
    ]
    assert rep.switch is not None
    return sim, SwitchedLinks(rep.switch, links, sim), links, banks


def test_select_stops_one_link_and_starts_the_other_a_switching_time_later() -> None:
    sim, switch, (left, right), _ = _switched()
    switch.select(0)
    sim.run(until_ps=sim.now_ps + 1)
    assert (left.running, right.running) == (False, False)  # still switching
    sim.run(until_ps=1_000_000)  # 1 µs: the switching time
    assert (switch.position, left.running, right.running) == (0, True, False)
    switch.select(0)  # already there: nothing changes
    assert (left.running, right.running) == (True, False)
    t = sim.now_ps
    switch.select(1)
    assert (left.running, right.running) == (False, False)  # left stops at once
    sim.run(until_ps=t + 999_999)
    assert not right.running
    sim.run(until_ps=t + 1_000_000)
    assert (switch.position, left.running, right.running) == (1, False, True)


def test_a_new_selection_while_switching_cancels_the_old_one() -> None:
    sim, switch, (left, right), _ = _switched()
    switch.select(0)
    sim.run(until_ps=500_000)  # half-way through switching to the left
    switch.select(1)
    sim.run(until_ps=1_400_000)  # the cancelled left start was due at 1 µs
    assert (left.running, right.running) == (False, False)
    sim.run(until_ps=1_500_000)  # the right one, 1 µs after it was selected
    assert (switch.position, left.running, right.running) == (1, False, True)


def test_freed_memories_go_to_the_link_now_attempting() -> None:
    sim, switch, (_, right), banks = _switched()
    switch.memories_freed(banks[1], [0])  # no port selected yet: nothing to give them to
    switch.select(1)
    sim.run(until_ps=1_000_000)
    # The right link took both free memories of the shared QNIC when it started; one comes
    # back freed (as after a swap): the right link takes it again, the stopped left one not.
    sim.run(until_ps=sim.now_ps + 1)
    assert banks[1].status(0) is S.EMITTING
    banks[1].move(0, S.FREE)
    switch.memories_freed(banks[1], [0])
    with pytest.raises(LinkError, match=r"qubits \[0\] of QNIC 'rep/qnic0' were already returned"):
        right.memories_freed(0, [0])
    with pytest.raises(LinkError, match=r"^QNIC 'left/qnic0' is not an end of link rep~right$"):
        switch.memories_freed(banks[0], [0])


def test_bad_ports_and_too_many_links_are_named() -> None:
    _, switch, links, _ = _switched()
    with pytest.raises(
        LinkError, match=r"^port 2 is not a port of this switch; valid ports are 0\.\.1$"
    ):
        switch.select(2)
    with pytest.raises(LinkError, match=r"^3 links on a switch with 2 ports$"):
        SwitchedLinks(OpticalSwitch(2, SWITCH_S), [*links, links[0]], Scheduler())
