"""External names of Bell pairs (spec §3.1).

A pair's name is (creator address, timestamp in ps), given by the node that heralds it (the BSA,
the MM receiver, or for MSM the EPPS's emission slot, which both ends know). Time bins are at
least 1 ps apart, so no two pairs of one creator share a timestamp. Each node keeps its own
private name → qubit map; only the name crosses the network.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PairName"]


class PairName(NamedTuple):
    """(creator address, timestamp in ps)."""

    creator: str
    t_ps: int

    def __str__(self) -> str:
        return f"{self.creator}@{self.t_ps}"
