"""Errors of the rules layer."""

from __future__ import annotations

from qrna.errors import QrnaError

__all__ = ["RuleSetDecodeError", "RuleSetError"]


class RuleSetError(QrnaError, ValueError):
    """A RuleSet, Stage, Rule, clause or action was built with an invalid value."""


class RuleSetDecodeError(RuleSetError):
    """RuleSet JSON that does not decode; the message starts with the JSON path at fault."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
