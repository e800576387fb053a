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
        self.message = message

    def __reduce__(self) -> tuple[type[RuleSetDecodeError], tuple[str, str]]:
        # Pickle by the fields (the default re-calls __init__ with the joined text).
        return type(self), (self.path, self.message)
