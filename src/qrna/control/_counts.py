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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qrna.control._network import Network

__all__ = ["connection_counts", "node_counts"]


def _tally(attempts: int, failures: int) -> dict[str, int]:
    return {"attempts": attempts, "successes": attempts - failures, "failures": failures}


def connection_counts(network: Network, cid: str) -> dict[str, dict[str, int]]:
    """Connection ``cid``'s link, swap and purification counts, over the nodes of its path."""
    n, k = network.sublinks.connection_counts(cid)
    swaps = swaps_failed = purifications = purifications_failed = 0
    for engine in network.engines.values():
        tally = engine.counts.get(cid)
        if tally is not None:
            swaps += tally["swaps"]
            swaps_failed += tally["swaps_failed"]
            purifications += tally["purifications"]
            purifications_failed += tally["purifications_failed"]
    return {
        "link": _tally(n, n - k),
        "swap": _tally(swaps, swaps_failed),
        "purification": _tally(purifications, purifications_failed),
    }


def node_counts(network: Network) -> dict[str, dict[str, Any]]:
    """Per node that swapped or led a purification: its swap and purification counts, over
    every connection."""
    out: dict[str, dict[str, Any]] = {}
    for node, engine in sorted(network.engines.items()):
        totals = dict.fromkeys(
            ("swaps", "swaps_failed", "purifications", "purifications_failed"), 0
        )
        for tally in engine.counts.values():
            for key in totals:
                totals[key] += tally[key]
        if totals["swaps"] or totals["purifications"]:
            out[node] = {
                "swap": _tally(totals["swaps"], totals["swaps_failed"]),
                "purification": _tally(totals["purifications"], totals["purifications_failed"]),
            }
    return out
