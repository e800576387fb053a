"""Test-suite settings.

Hypothesis is derandomised so that every run of the suite, here or in CI, draws the same
examples: a failure is reproducible by rerunning, never a matter of luck. Set
``HYPOTHESIS_PROFILE=explore`` to search with fresh random examples instead.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=500)

if os.environ.get("MUTANT_UNDER_TEST"):
    # Under mutmut only (tests/_mutation.py): no shrinking, a per-test time limit, and the
    # tests that killed a function's earlier mutants first.
    from tests._mutation import (  # noqa: F401
        pytest_collection_modifyitems,
        pytest_runtest_call,
        pytest_runtest_logreport,
    )

    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mutation"))
else:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
