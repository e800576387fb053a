"""Fixture scopes that keep mutation testing honest."""

from __future__ import annotations

import os

import pytest


def per_module(fixture_name: str, config: pytest.Config) -> str:
    """``scope=per_module``: a module-scoped fixture, except while mutmut records which tests
    reach which function (``MUTANT_UNDER_TEST=stats``). mutmut credits a function's calls to
    the test running at the time, so a module fixture's work would count only for the first
    test that used it, and mutmut would not run the others against that function's mutants:
    a test that kills them would go unseen and the mutants be reported as survivors."""
    return "function" if os.environ.get("MUTANT_UNDER_TEST") == "stats" else "module"
