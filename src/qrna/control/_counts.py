"""What a network's operations came to, for the summaries (issue 12, item 5): attempts,
successes and failures of link generation, swaps and purifications, per connection and per
node. Successes plus failures are the attempts, always.

- Link attempts are one per filled time bin and round that has started (``HeraldedLink``),
  successes the pairs heralded.
- A swap is counted at the node that swaps, when it swaps; it fails when its Bell measurement
  does (``swap_success_probability``).
- A purification is counted once, at the node that leads it (``PurificationResult.first``),
  when it learns the outcome; it fails when the kept pair is lost. One cut short (a pair freed
  first) has no outcome and is not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qrna.control._network import Network

__all__ = ["connection_counts", "node_counts"]


def _tally(attempts: int, failures: int) -> dict[str, int]:
    return {"attempts": attempts, "successes": attempts - failures, "failures": failures}


def _operations(tallies: Iterable[dict[str, int]]) -> dict[str, dict[str, int]]:
    """The swap and purification counts of engine tallies (``RuleEngine.counts``), summed."""
    totals = dict.fromkeys(("swaps", "swaps_failed", "purifications", "purifications_failed"), 0)
    for tally in tallies:
        for key in totals:
            totals[key] += tally[key]
    return {
        "swap": _tally(totals["swaps"], totals["swaps_failed"]),
        "purification": _tally(totals["purifications"], totals["purifications_failed"]),
    }


def connection_counts(network: Network, cid: str) -> dict[str, dict[str, int]]:
    """Connection ``cid``'s link, swap and purification counts, over the nodes of its path."""
    n, k = network.sublinks.connection_counts(cid)
    engines = network.engines.values()
    tallies = (e.counts[cid] for e in engines if cid in e.counts)
    return {"link": _tally(n, n - k), **_operations(tallies)}


def node_counts(network: Network) -> dict[str, dict[str, Any]]:
    """Per node that swapped or led a purification: its swap and purification counts, over
    every connection."""
    out: dict[str, dict[str, Any]] = {}
    for node, engine in sorted(network.engines.items()):
        counts = _operations(engine.counts.values())
        if counts["swap"]["attempts"] or counts["purification"]["attempts"]:
            out[node] = counts
    return out
