"""RuleSet rewriting at a network's borders (spec §5: "We accomplish this via RuleSet
rewriting where crossing recursion layers, such as at network boundaries").

A network realises a virtual link of the layer above with a connection of its own between
two of its borders. At those two borders its RuleSets end by delivering each pair; rewritten,
they hand it instead to the border's RuleSet of the connection above (``Deliver.to``), where
it enters the first Stage as a link pair with the other border. Nothing else changes: the
layer below runs, purifies and swaps as its own Responder planned it, and the layer above
treats the pairs as it treats those of a physical link.

Example:
    >>> from qrna.rules import chain_rulesets
    >>> below = hand_over(chain_rulesets("c1.isp", ["b", "c", "d"]), "c1")
    >>> [r.action for s in below["b"].stages for r in s.rules if r.name.startswith("deliver")]
    [Deliver(partner='d', to='c1')]
"""

from __future__ import annotations

from collections.abc import Mapping

from qrna.internet._errors import InternetError
from qrna.rules import Deliver, RuleSet

__all__ = ["hand_over"]


def hand_over(rulesets: Mapping[str, RuleSet], to: str) -> dict[str, RuleSet]:
    """The RuleSets of a connection between two borders, rewritten so that both ends hand
    what they would deliver to connection ``to`` (the layer above) instead.

    Raises:
        InternetError: naming it, if the RuleSets are not of one connection, ``to`` is that
            connection, or the RuleSets do not deliver at exactly two nodes (the two borders).
    """
    ends = sorted(n for n, rs in rulesets.items() if _delivers(rs))
    connections = sorted({rs.connection for rs in rulesets.values()})
    if len(connections) != 1:
        raise InternetError(f"RuleSets of {connections}; a virtual link is one connection's")
    if to in connections:
        raise InternetError(f"connection {to!r} cannot hand its pairs over to itself")
    if len(ends) != 2:
        raise InternetError(
            f"connection {', '.join(connections)}: its RuleSets deliver at {ends}; a virtual "
            "link's deliver at its two borders"
        )
    return {node: rs.delivering_to(to) for node, rs in rulesets.items()}


def _delivers(rs: RuleSet) -> bool:
    return any(isinstance(r.action, Deliver) for s in rs.stages for r in s.rules)
