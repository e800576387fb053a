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
- segment purification (the nested scheme of Dür and Briegel): a segment made by a swap at
  level k of the hierarchy (below the top, whose segment is the whole chain) is purified
  ``segment_rounds[k - 1]`` times with ``segment_schemes[k - 1]`` by its two ends before either
  uses it further. A node's Stages after link purification hold these rounds for its left and
  right segments side by side, smallest segment first; a side with fewer rounds than the other
  promotes its pair through the remaining Stages once it has reached the partner it swaps
  with. A pair waits in its Stage while its partner is renamed by the swaps below;
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

__all__ = [
    "SWAP_ORDERS",
    "chain_rulesets",
    "segment_levels",
    "segment_plan",
    "swap_levels",
    "swap_schedule",
]

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


def segment_levels(n_nodes: int, order: str) -> dict[tuple[int, int], int]:
    """{(left end index, right end index): level} of every segment a swap makes, except the
    whole chain (its purification is end to end): the level of the node that swaps it.

    >>> segment_levels(5, "nested")
    {(0, 2): 1, (2, 4): 1}
    >>> segment_levels(5, "sequential")
    {(0, 2): 1, (0, 3): 2}
    """
    levels = swap_levels(n_nodes, order)
    return {
        ends: levels[mid]
        for mid, ends in sorted(swap_schedule(n_nodes, order).items(), key=lambda kv: kv[1])
        if ends != (0, n_nodes - 1)
    }


def segment_plan(
    rounds: Sequence[int], schemes: Sequence[str] | None = None
) -> tuple[tuple[int, str], ...]:
    """(rounds, scheme) of segment purification per swap level, level 1 first, from the
    rounds and their schemes (default: DEJMPS at every level). Schemes of another count
    than the rounds are an error.

    >>> segment_plan([1, 0]), segment_plan([2], ["bbpssw"])
    (((1, 'dejmps'), (0, 'dejmps')), ((2, 'bbpssw'),))
    """
    names = ("dejmps",) * len(rounds) if schemes is None else tuple(schemes)
    if len(names) != len(rounds):
        raise RuleSetError(
            f"segment_schemes={list(names)!r} must name one scheme per level of "
            f"segment_rounds={list(rounds)!r}"
        )
    return tuple(zip(rounds, names, strict=True))


def chain_rulesets(
    connection: str,
    nodes: Sequence[str],
    *,
    link_scheme: str = "dejmps",
    link_rounds: int = 0,
    swap_order: str = "nested",
    e2e_scheme: str = "dejmps",
    e2e_rounds: int = 0,
    segment_rounds: Sequence[int] = (),
    segment_schemes: Sequence[str] | None = None,
    discard_after_s: float | None = None,
    discard_step_s: float | None = None,
    twirl: bool = False,
) -> dict[str, RuleSet]:
    """One RuleSet per node of the chain ``nodes`` (in order along the chain).

    ``twirl``: every purification (link, segment and end to end) twirls its input pairs to
    Werner form before its circuit (``Purify.twirl``).

    ``segment_rounds[k - 1]`` is the purification rounds of the segments made at swap level k
    (``segment_levels``), with ``segment_schemes[k - 1]`` (default: DEJMPS at every level);
    levels past the end of the list are not purified. A list longer than the chain's
    intermediate levels is an error: the plan was made for another chain.
    """
    if len(nodes) < 2 or len(set(nodes)) != len(nodes):
        raise RuleSetError(f"nodes={list(nodes)!r} must be 2 or more distinct addresses")
    plan = segment_plan(tuple(segment_rounds), segment_schemes)
    seg_rounds = tuple(r for r, _ in plan)
    seg_schemes = tuple(scheme for _, scheme in plan)
    for scheme in (link_scheme, e2e_scheme, *seg_schemes):
        if scheme not in SCHEMES:
            raise RuleSetError(f"scheme {scheme!r} is not one of {', '.join(sorted(SCHEMES))}")
    for name, rounds in (
        ("link_rounds", link_rounds),
        ("e2e_rounds", e2e_rounds),
        *((f"segment_rounds[{k}]", r) for k, r in enumerate(seg_rounds)),
    ):
        if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
            raise RuleSetError(f"{name}={rounds!r} is invalid; expected an integer >= 0")
    swaps = swap_schedule(len(nodes), swap_order)
    segments = segment_levels(len(nodes), swap_order)
    intermediate = max(segments.values(), default=0)
    if len(seg_rounds) > intermediate:
        raise RuleSetError(
            f"segment_rounds={list(seg_rounds)!r} lists {len(seg_rounds)} swap levels; a "
            f"{swap_order} chain of {len(nodes)} nodes has {intermediate} below the top"
        )
    # Each node's segments on either side, smallest first: the purification steps it takes
    # part in as the segment's left end (``rightward``) or right end (``leftward``).
    leftward: dict[int, list[tuple[str, str]]] = {}
    rightward: dict[int, list[tuple[str, str]]] = {}
    for (a, b), level in sorted(segments.items(), key=lambda kv: kv[0][1] - kv[0][0]):
        if level <= len(seg_rounds):
            rounds, scheme = seg_rounds[level - 1], seg_schemes[level - 1]
            rightward.setdefault(a, []).extend([(nodes[b], scheme)] * rounds)
            leftward.setdefault(b, []).extend([(nodes[a], scheme)] * rounds)
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
            Rule(f"{tag}-purify-{p}", (EnoughResources(p, pairs),), Purify(p, scheme, twirl))
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
        # The partner each side's pair has when this node uses it (swaps or delivers it).
        finals: tuple[str | None, str | None]
        if i in swaps:
            finals = (nodes[swaps[i][0]], nodes[swaps[i][1]])
        else:
            finals = (None, last) if node == first else (first, None)
        sides = ((leftward.get(i, []), finals[0]), (rightward.get(i, []), finals[1]))
        for j in range(max(len(steps) for steps, _ in sides)):
            rules = []
            for steps, final in sides:
                if j < len(steps):
                    partner, scheme = steps[j]
                    pairs = SCHEMES[scheme].pairs
                    rules.append(
                        Rule(
                            f"seg{j}-purify-{partner}",
                            (EnoughResources(partner, pairs),),
                            Purify(partner, scheme, twirl),
                        )
                    )
                elif final is not None:
                    # This side is done: its pair moves on once renamed to its last partner.
                    rules.append(
                        Rule(f"seg{j}-promote-{final}", (EnoughResources(final),), Promote(final))
                    )
            stages.append(Stage((*rules, *discard())))
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
