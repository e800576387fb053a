"""The one runtime that wires node software to the kernel (DESIGN.md: sans-IO node software,
one driver): it turns the rule engines' effects into events.

A ``Send`` becomes the message's arrival at its destination's engine after the classical
delay between the two nodes; a ``SetTimer`` becomes the engine's ``on_timer`` after its
delay; a ``FreeQubit``, a ``PairDelivered`` and a ``MeasurementDone`` go to the owner's
handlers (the owner frees qubits in its ground truth, hands pairs to applications, keeps
measurements). Every simulation of RuleSets, a fixed chain or a routed network, drives its
engines through this class, so a change to how effects become events is made once.

Effects are dispatched by their exact type through a table, not a chain of ``isinstance``
tests: this runs once per effect, the simulation's innermost loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from qrna.hardware import Qubit
from qrna.kernel import Scheduler
from qrna.rules._effects import (
    EngineEffect,
    FreeQubit,
    MeasurementDone,
    PairDelivered,
    Send,
    SetTimer,
)
from qrna.rules._engine import RuleEngine
from qrna.rules._messages import FreeResource, Message

__all__ = ["EngineRuntime"]


class EngineRuntime:
    """Drives ``engines`` (address -> engine) on ``scheduler``.

    Args:
        scheduler: the kernel.
        engines: every node's rule engine, by address (a mapping the owner may extend).
        delay_ps: the classical delay from one node to another, in ps (called per message).
        free: frees a qubit an engine let go of, in the owner's ground truth.
        delivered: called as ``delivered(node, effect)`` for each pair an engine delivers.
        measured: called with each ``MeasurementDone``.
        sent: if given, called as ``sent(src, dst, message)`` for each message as it leaves.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        engines: Mapping[str, RuleEngine],
        delay_ps: Callable[[str, str], int],
        free: Callable[[Qubit], None],
        delivered: Callable[[str, PairDelivered], None],
        measured: Callable[[MeasurementDone], None],
        sent: Callable[[str, str, Message], None] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.engines = engines
        self.delay_ps = delay_ps
        self.free = free
        self.delivered = delivered
        self.measured = measured
        self.sent = sent
        self.discards = 0  # Free messages sent: resources given up by Discard rules
        self._dispatch: dict[type, Callable[[str, Any], None]] = {
            Send: self._send,
            FreeQubit: lambda _node, eff: self.free(eff.qubit),
            SetTimer: self._set_timer,
            PairDelivered: self.delivered,
            MeasurementDone: lambda _node, eff: self.measured(eff),
        }

    def apply(self, node: str, effects: Iterable[EngineEffect]) -> None:
        """Carry out the effects ``node``'s engine returned, in order."""
        dispatch = self._dispatch
        for eff in effects:
            dispatch[type(eff)](node, eff)

    def _send(self, src: str, eff: Send) -> None:
        dst, message = eff.dst, eff.message
        if type(message) is FreeResource:
            self.discards += 1
        if self.sent is not None:
            self.sent(src, dst, message)
        self.scheduler.schedule(
            self.delay_ps(src, dst), partial(self._arrive, src, dst, self.engines[dst], message)
        )

    def _arrive(self, src: str, dst: str, engine: RuleEngine, message: Message) -> None:
        """A message reaches ``dst``'s engine. (Events are bound methods, not closures, so
        a trace names them alike whether this module runs as Python or compiled.)"""
        self.apply(dst, engine.on_message(src, message, self.scheduler.now_ps))

    def _set_timer(self, node: str, eff: SetTimer) -> None:
        self.scheduler.schedule(
            eff.delay_ps, partial(self._fire, node, self.engines[node], eff.token)
        )

    def _fire(self, node: str, engine: RuleEngine, token: tuple[str, tuple[int, str]]) -> None:
        """A timer an engine set fires."""
        self.apply(node, engine.on_timer(token, self.scheduler.now_ps))
