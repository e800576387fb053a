"""An optical switch in front of one QNIC: it serves one of its links at a time.

This is the minimal repeater of spec Fig. 2: one transceiver qubit and one buffer qubit behind a
two-port switch, which "can only attempt to build entanglement to either the left or the right
in a given cycle". Selecting a port stops the link on the other port (its binned memories become
free; pairs already heralded are kept) and, after the switching time, starts the selected one,
which takes every memory of the QNIC that is free then.
"""

from __future__ import annotations

from collections.abc import Sequence

from qrna.hardware import MemoryBank, OpticalSwitch
from qrna.kernel import Scheduler, s_to_ps
from qrna.link._errors import LinkError
from qrna.link._process import HERALD_PRIORITY, HeraldedLink

__all__ = ["SwitchedLinks"]


class SwitchedLinks:
    """Links that share a QNIC through an ``OpticalSwitch``; at most one attempts at a time.

    Args:
        switch: the switch (its ``ports`` must cover ``links``).
        links: the link on each port, in port order.
        sim: the scheduler.
    """

    def __init__(
        self, switch: OpticalSwitch, links: Sequence[HeraldedLink], sim: Scheduler
    ) -> None:
        if len(links) > switch.ports:
            raise LinkError(f"{len(links)} links on a switch with {switch.ports} ports")
        self.switch = switch
        self.links = list(links)
        self.sim = sim
        self.position: int | None = None
        self._pending: list[object] | None = None

    def memories_freed(self, bank: MemoryBank, indices: list[int]) -> None:
        """Memories of the shared QNIC ``bank`` were freed: give them to the link now
        attempting (a stopped link takes every free memory when it next starts anyway)."""
        if self.position is None:
            return
        link = self.links[self.position]
        for end, own in enumerate(link.banks):
            if own is bank:
                link.memories_freed(end, indices)
                return
        raise LinkError(f"QNIC {bank.address!r} is not an end of link {link.spec.id}")

    def select(self, port: int) -> None:
        """Turn the switch to ``port``: stop the current link, start this one after the
        switching time."""
        if not 0 <= port < len(self.links):
            raise LinkError(
                f"port {port!r} is not a port of this switch; valid ports are "
                f"0..{len(self.links) - 1}"
            )
        if self.position == port:
            return
        if self._pending is not None:
            self.sim.cancel(self._pending)
            self._pending = None
        for link in self.links:
            link.stop()
        self.position = port
        delay = s_to_ps(self.switch.switching_time_s)
        if delay == 0:
            self.links[port].start()
            return

        def connect() -> None:
            self._pending = None
            self.links[port].start()

        self._pending = self.sim.schedule(delay, connect, HERALD_PRIORITY)
