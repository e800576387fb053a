"""RuleSets for a chain of nodes, built by a function (the RuleSet generator of connection
setup comes later and can build on this).

For nodes n0 … nN (N links) the generator writes, per node:

- link purification: ``link_rounds`` Stages of ``Purify(neighbour, scheme)``, each promoting
  the kept pair;
- swapping: a swap schedule splits the chain recursively; the node at the split swaps its pair
  with the segment's left end and its pair with the right end once both sub-segments are done.
  ``"nested"`` splits in the middle (entanglement doubling), ``"sequential"`` at the last node
  (n1 swaps (n0, n2), then n2 swaps (n0, n3), …). Swap rules name both partners, so a swap waits
  until the transfers before it have renamed its pairs: no leapfrogging (spec §6);
- end nodes: once a pair's partner is the far end, ``e2e_rounds`` Stages of end-to-end
  purification, then delivery.
- optional discard timers: a resource waiting longer than its node's timer in a Stage is freed
  and its partner told. Timers grow up the swap hierarchy: a node at level k (the swappers of
  two-link segments are level 1, a node swapping segments that hold swaps is one more than
  those, the two chain ends one more than the top) waits ``discard_after_s`` + (k − 1) ·
  ``discard_step_s``. A pair waiting for its partner to swap it must outlast the partner's own
  timer plus the message's way back (and the skew between the two ends' heralds), or the
  partner may swap it just before this end gives up: the far end then receives half of a pair
  whose other half is gone (spec §6). The step must exceed twice the largest one-way latency.

Example:
    >>> rs = chain_rulesets("c", ["a", "b", "c", "d", "e"], swap_order="nested")
    >>> [r.action for r in rs["c"].stages[0].rules]
    [Swap(left='a', right='e')]
"""

from __future__ import annotations

from collections.abc import Sequence

from qrna.physics import SCHEMES
from qrna.rules._errors import RuleSetError
from qrna.rules._model import (
    ANY_PARTNER,
    Deliver,
    Discard,
    EnoughResources,
    Promote,
    Purify,
    ResourceOlderThan,
    Rule,
    RuleSet,
    Stage,
    Swap,
)

__all__ = ["SWAP_ORDERS", "chain_rulesets", "swap_levels", "swap_schedule"]

SWAP_ORDERS = ("nested", "sequential")


def swap_schedule(n_nodes: int, order: str) -> dict[int, tuple[int, int]]:
    """{swapping node index: (left end index, right end index)} for a chain."""
    if order not in SWAP_ORDERS:
        raise RuleSetError(f"swap_order={order!r}; expected one of {', '.join(SWAP_ORDERS)}")
    out: dict[int, tuple[int, int]] = {}
    # Depth first, each segment's halves before the segment itself (a stack, not recursion:
    # a sequential order on a long chain is as deep as the chain is long).
    stack = [(0, n_nodes - 1, False)]
    while stack:
        left, right, halves_done = stack.pop()
        if right - left < 2:
            continue
        mid = (left + right) // 2 if order == "nested" else right - 1
        if halves_done:
            out[mid] = (left, right)
            continue
        stack += [(left, right, True), (mid, right, False), (left, mid, False)]
    return out


def swap_levels(n_nodes: int, order: str) -> list[int]:
    """Each node's level in the swap hierarchy (module docstring): the swappers of two-link
    segments are 1, a node swapping segments that hold swaps one more than those, the chain's
    two ends one more than the top."""
    swaps = swap_schedule(n_nodes, order)
    level = [0] * n_nodes
    swapper = {ends: mid for mid, ends in swaps.items()}

    def of(left: int, right: int) -> int:
        return level[swapper[(left, right)]] if right - left >= 2 else 0

    for mid, (left, right) in swaps.items():  # halves come before the segment they make
        level[mid] = 1 + max(of(left, mid), of(mid, right))
    top = of(0, n_nodes - 1)
    level[0] = level[-1] = top + 1
    return level


def chain_rulesets(
    connection: str,
    nodes: Sequence[str],
    *,
    link_scheme: str = "dejmps",
    link_rounds: int = 0,
    swap_order: str = "nested",
    e2e_scheme: str = "dejmps",
    e2e_rounds: int = 0,
    discard_after_s: float | None = None,
    discard_step_s: float | None = None,
) -> dict[str, RuleSet]:
    """One RuleSet per node of the chain ``nodes`` (in order along the chain)."""
    if len(nodes) < 2 or len(set(nodes)) != len(nodes):
        raise RuleSetError(f"nodes={list(nodes)!r} must be 2 or more distinct addresses")
    for scheme in (link_scheme, e2e_scheme):
        if scheme not in SCHEMES:
            raise RuleSetError(f"scheme {scheme!r} is not one of {', '.join(sorted(SCHEMES))}")
    for name, rounds in (("link_rounds", link_rounds), ("e2e_rounds", e2e_rounds)):
        if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
            raise RuleSetError(f"{name}={rounds!r} is invalid; expected an integer >= 0")
    swaps = swap_schedule(len(nodes), swap_order)
    first, last = nodes[0], nodes[-1]
    levels = swap_levels(len(nodes), swap_order)
    step = (
        2.0 * discard_after_s
        if discard_step_s is None and discard_after_s is not None
        else discard_step_s
    )
    if discard_after_s is not None and not (step is not None and step > 0):
        raise RuleSetError(f"discard_step_s={discard_step_s!r} must be > 0")
    timer = 0.0

    def discard() -> list[Rule]:
        # One rule per Stage, for whatever partner a waiting pair has meanwhile.
        if discard_after_s is None:
            return []
        return [Rule("discard", (ResourceOlderThan(ANY_PARTNER, timer),), Discard(ANY_PARTNER))]

    def purify_stage(partners: Sequence[str], scheme: str, tag: str) -> Stage:
        pairs = SCHEMES[scheme].pairs
        rules = [
            Rule(f"{tag}-purify-{p}", (EnoughResources(p, pairs),), Purify(p, scheme))
            for p in partners
        ]
        return Stage((*rules, *discard()))

    out: dict[str, RuleSet] = {}
    for i, node in enumerate(nodes):
        if discard_after_s is not None:
            assert step is not None
            timer = discard_after_s + (levels[i] - 1) * step
        neighbours = [
            n
            for n in (nodes[i - 1] if i else None, nodes[i + 1] if i + 1 < len(nodes) else None)
            if n
        ]
        stages = [purify_stage(neighbours, link_scheme, f"link{r}") for r in range(link_rounds)]
        if i in swaps:
            left, right = swaps[i]
            swap = Rule(
                "swap",
                (EnoughResources(nodes[left]), EnoughResources(nodes[right])),
                Swap(nodes[left], nodes[right]),
            )
            # Pairs wait here for their partners to be renamed; the discard timer applies to
            # every partner a pair may have meanwhile.
            stages.append(Stage((swap, *discard())))
        else:
            other = last if node == first else first
            if e2e_rounds:
                stages.append(
                    Stage(
                        (
                            Rule("to-e2e", (EnoughResources(other),), Promote(other)),
                            *discard(),
                        )
                    )
                )
                stages += [purify_stage([other], e2e_scheme, f"e2e{r}") for r in range(e2e_rounds)]
            stages.append(
                Stage((Rule("deliver", (EnoughResources(other),), Deliver(other)), *discard()))
            )
        out[node] = RuleSet(connection, node, tuple(stages))
    return out
