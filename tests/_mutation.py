"""Test-suite settings that apply only under mutmut (``python bench/mutation.py``).

mutmut sets ``MUTANT_UNDER_TEST`` while it collects statistics and runs each mutant's tests in
a forked child; ``tests/conftest.py`` imports this module only then. Nothing here changes
whether a test passes or fails:

- Hypothesis does not shrink a failing example (a mutant is killed by the first failure; the
  shortest counterexample is never read) and keeps no example database, so that one mutant's
  failures are not replayed against the next.
- The tests that killed earlier mutants of the same function run first (mutmut gives the
  covering tests fastest first, and a slow test that kills every mutant of a function was
  otherwise reached only after all the fast ones that do not): each failure is appended to
  ``mutation-killers/FUNCTION`` in mutmut's working directory. Only the order changes: a
  survivor still runs every covering test.
- A watchdog ends a mutant's run with mutmut's timeout status (exit code 36) when a single
  test runs longer than ``FACTOR`` times its clean duration plus ``SLACK_S`` seconds, instead
  of waiting for mutmut's own limit on the whole run (15 times the sum of every covering
  test's duration). A mutant that sends one fast test into an endless loop is then reported
  as a timeout in seconds rather than after many minutes.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings

FACTOR = 10.0
SLACK_S = 10.0
TIMEOUT_EXIT_CODE = 36  # mutmut's "timeout"

settings.register_profile(
    "mutation",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    database=None,
)


def _clean_durations() -> dict[str, float]:
    """mutmut's clean duration of each test (its call phase), in seconds."""
    try:
        stats = json.loads(Path("mutmut-stats.json").read_text())
    except (OSError, ValueError):
        return {}
    durations = stats.get("duration_by_test", {})
    return {str(k): float(v) for k, v in durations.items()}


class _Watchdog:
    """One daemon thread per process that ends the process when the armed deadline passes."""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.pid = -1
        self.durations: dict[str, float] | None = None

    def _watch(self) -> None:
        while True:
            time.sleep(0.2)
            deadline = self.deadline
            if deadline is not None and time.monotonic() > deadline:
                os._exit(TIMEOUT_EXIT_CODE)

    def arm(self, nodeid: str) -> None:
        if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
            return  # statistics or the clean run: no mutant to time out
        if self.pid != os.getpid():  # a forked child has none of its parent's threads
            self.pid = os.getpid()
            threading.Thread(target=self._watch, name="mutation-watchdog", daemon=True).start()
        if self.durations is None:
            self.durations = _clean_durations()
        budget = FACTOR * self.durations.get(nodeid, 0.0) + SLACK_S
        self.deadline = time.monotonic() + budget

    def disarm(self) -> None:
        self.deadline = None


_WATCHDOG = _Watchdog()
_KILLERS = Path("mutation-killers")


def _mutant() -> str:
    """The mutant under test, or "" while mutmut collects statistics or runs clean tests."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else ""


def _killers_file(mutant: str) -> Path:
    return _KILLERS / mutant.rsplit("__mutmut_", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mutant = _mutant()
    if not mutant:
        return
    try:
        killers = _killers_file(mutant).read_text().splitlines()
    except OSError:
        return
    rank: dict[str, int] = {}
    for nodeid in reversed(killers):  # the latest killer first
        rank.setdefault(nodeid, len(rank))
    items.sort(key=lambda item: rank.get(item.nodeid, len(rank)))  # stable: the rest keep order


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    mutant = _mutant()
    if mutant and report.failed:
        _KILLERS.mkdir(exist_ok=True)
        with _killers_file(mutant).open("a") as f:
            f.write(report.nodeid + "\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    _WATCHDOG.arm(item.nodeid)
    try:
        return (yield)
    finally:
        _WATCHDOG.disarm()
