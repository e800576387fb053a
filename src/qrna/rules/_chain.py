"""RuleSets for a chain of nodes, built by a function (the RuleSet generator of connection
setup comes later and can build on this).

For nodes n0 … nN (N links) the generator writes, per node:

- link purification: ``link_rounds`` Stages of ``Purify(neighbour, scheme)``, each promoting
  the kept pair; with ``link_pumping`` every round after the first is entanglement pumping
  (Dür–Briegel): it keeps the pair the rounds before made and sacrifices a fresh pair from
  the first round's Stage, so r rounds cost r + 1 pairs instead of 2^r (the same holds for
  ``segment_pumping`` per level and ``e2e_pumping``);
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

import functools
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
_WAIT = -1  # a step that holds fresh pairs for the pumps after it


def _rounds(rounds: int, pumping: bool) -> list[int | None]:
    """The steps of ``rounds`` purification rounds at one level: None per recurrence round;
    or, pumping (two rounds or more: one round is recurrence either way), a wait step
    (``_WAIT``) then one pump per round, each the offset of the wait step (0)."""
    if not pumping or rounds < 2:
        return [None] * rounds
    return [_WAIT, *([0] * rounds)]


def swap_schedule(n_nodes: int, order: str) -> dict[int, tuple[int, int]]:
    """{swapping node index: (left end index, right end index)} for a chain."""
    if order not in SWAP_ORDERS:
        raise RuleSetError(f"swap_order={order!r}; expected one of {', '.join(SWAP_ORDERS)}")
    return dict(_schedule(n_nodes, order))


# The schedule and the levels are asked for again and again on one path (every plan the
# generator weighs, every timing it computes; 4 ms each at 1000 nodes): worked out once per
# chain length and order, and handed out as fresh copies (callers may change theirs).
@functools.lru_cache(maxsize=64)
def _schedule(n_nodes: int, order: str) -> tuple[tuple[int, tuple[int, int]], ...]:
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
    return tuple(out.items())


def swap_levels(n_nodes: int, order: str) -> list[int]:
    """Each node's level in the swap hierarchy (module docstring): the swappers of two-link
    segments are 1, a node swapping segments that hold swaps one more than those, the chain's
    two ends one more than the top."""
    return list(_levels(n_nodes, order))


@functools.lru_cache(maxsize=64)
def _levels(n_nodes: int, order: str) -> tuple[int, ...]:
    swaps = swap_schedule(n_nodes, order)
    level = [0] * n_nodes
    swapper = {ends: mid for mid, ends in swaps.items()}

    def of(left: int, right: int) -> int:
        return level[swapper[(left, right)]] if right - left >= 2 else 0

    for mid, (left, right) in swaps.items():  # halves come before the segment they make
        level[mid] = 1 + max(of(left, mid), of(mid, right))
    top = of(0, n_nodes - 1)
    level[0] = level[-1] = top + 1
    return tuple(level)


def segment_levels(n_nodes: int, order: str) -> dict[tuple[int, int], int]:
    """{(left end index, right end index): level} of every segment a swap makes, except the
    whole chain (its purification is end to end): the level of the node that swaps it.

    >>> segment_levels(5, "nested")
    {(0, 2): 1, (2, 4): 1}
    >>> segment_levels(5, "sequential")
    {(0, 2): 1, (0, 3): 2}
    """
    return dict(_segment_levels(n_nodes, order))


@functools.lru_cache(maxsize=64)
def _segment_levels(n_nodes: int, order: str) -> tuple[tuple[tuple[int, int], int], ...]:
    levels = swap_levels(n_nodes, order)
    return tuple(
        (ends, levels[mid])
        for mid, ends in sorted(swap_schedule(n_nodes, order).items(), key=lambda kv: kv[1])
        if ends != (0, n_nodes - 1)
    )


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
    link_pumping: bool = False,
    segment_pumping: Sequence[bool] | None = None,
    e2e_pumping: bool = False,
    discard_after_s: float | None = None,
    discard_step_s: float | None = None,
    twirl: bool = False,
) -> dict[str, RuleSet]:
    """One RuleSet per node of the chain ``nodes`` (in order along the chain).

    ``twirl``: every purification (link, segment and end to end) twirls its input pairs to
    Werner form before its circuit (``Purify.twirl``).

    ``segment_rounds[k - 1]`` is the purification rounds of the segments made at swap level k
    (``segment_levels``), with ``segment_schemes[k - 1]`` (default: DEJMPS at every level)
    and, where ``segment_pumping[k - 1]`` (default: none), by pumping; levels past the end of
    the list are not purified. A list longer than the chain's
    intermediate levels is an error: the plan was made for another chain.
    """
    if len(nodes) < 2 or len(set(nodes)) != len(nodes):
        raise RuleSetError(f"nodes={list(nodes)!r} must be 2 or more distinct addresses")
    plan = segment_plan(tuple(segment_rounds), segment_schemes)
    seg_rounds = tuple(r for r, _ in plan)
    seg_schemes = tuple(scheme for _, scheme in plan)
    seg_pumping = (False,) * len(plan) if segment_pumping is None else tuple(segment_pumping)
    if len(seg_pumping) != len(plan) or not all(isinstance(b, bool) for b in seg_pumping):
        raise RuleSetError(
            f"segment_pumping={segment_pumping!r} must be one true or false per level of "
            f"segment_rounds={list(seg_rounds)!r}"
        )
    for name, flag in (("link_pumping", link_pumping), ("e2e_pumping", e2e_pumping)):
        if not isinstance(flag, bool):
            raise RuleSetError(f"{name}={flag!r} must be true or false")
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
    # part in as the segment's left end (``rightward``) or right end (``leftward``), each
    # (partner, scheme, kind) with kind as ``_rounds`` gives it, offset to the side's steps.
    leftward: dict[int, list[tuple[str, str, int | None]]] = {}
    rightward: dict[int, list[tuple[str, str, int | None]]] = {}
    for (a, b), level in sorted(segments.items(), key=lambda kv: kv[0][1] - kv[0][0]):
        if level <= len(seg_rounds):
            rounds, scheme = seg_rounds[level - 1], seg_schemes[level - 1]
            for side, end, partner in ((rightward, a, nodes[b]), (leftward, b, nodes[a])):
                steps = side.setdefault(end, [])
                start = len(steps)
                steps += [
                    (partner, scheme, kind if kind is None or kind == _WAIT else start + kind)
                    for kind in _rounds(rounds, seg_pumping[level - 1])
                ]
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

    def purify_rule(tag: str, partner: str, scheme: str, pump_from: int | None) -> Rule:
        # A pump finds its pairs in two Stages (and seeds a chain from the earlier one
        # alone), so its action counts them: its condition has nothing of its own Stage.
        if pump_from is not None:
            return Rule(
                f"{tag}-pump-{partner}", (), Purify(partner, scheme, pump_from, twirl=twirl)
            )
        return Rule(
            f"{tag}-purify-{partner}",
            (EnoughResources(partner, SCHEMES[scheme].pairs),),
            Purify(partner, scheme, twirl=twirl),
        )

    def purify_stages(
        partners: Sequence[str], scheme: str, tag: str, rounds: int, pumping: bool, base: int
    ) -> list[Stage]:
        # A wait step holds fresh pairs for the pumps after it (``base``: its Stage index).
        return [
            Stage(
                (
                    *(
                        purify_rule(f"{tag}{r}", p, scheme, kind if kind is None else base + kind)
                        for p in partners
                        if kind != _WAIT
                    ),
                    *discard(),
                )
            )
            for r, kind in enumerate(_rounds(rounds, pumping))
        ]

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
        stages = purify_stages(neighbours, link_scheme, "link", link_rounds, link_pumping, 0)
        seg_base = len(stages)
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
                    partner, scheme, kind = steps[j]
                    if kind != _WAIT:
                        base = None if kind is None else seg_base + kind
                        rules.append(purify_rule(f"seg{j}", partner, scheme, base))
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
            kinds = _rounds(e2e_rounds, e2e_pumping)
            if kinds and kinds[0] != _WAIT:
                # Pairs wait here until renamed to the far end (a pump's wait step does it).
                promote = Rule("to-e2e", (EnoughResources(other),), Promote(other))
                stages.append(Stage((promote, *discard())))
            base = len(stages)
            stages += purify_stages([other], e2e_scheme, "e2e", e2e_rounds, e2e_pumping, base)
            stages.append(
                Stage((Rule("deliver", (EnoughResources(other),), Deliver(other)), *discard()))
            )
        out[node] = RuleSet(connection, node, tuple(stages))
    return out
