"""Errors of the scenario layer: every one names the file, the field path and what is allowed."""

from __future__ import annotations

from qrna.errors import InputError

__all__ = ["ScenarioError"]


class ScenarioError(InputError):
    """A scenario that cannot run: ``file`` (if known), ``path`` (e.g. ``links[2].length_km``)
    and what is wrong and allowed."""

    def __init__(self, path: str, message: str, file: str | None = None) -> None:
        self.path = path
        self.message = message
        self.file = file
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str, str | None]]:
        # Pickle by the fields (the default re-calls __init__ with the joined text), so the
        # error crosses a process boundary (a sweep in worker processes) intact.
        return type(self), (self.path, self.message, self.file)

    def in_file(self, file: str) -> ScenarioError:
        """The same error, naming ``file``."""
        return ScenarioError(self.path, self.message, file)

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.path}: {self.message}"
