"""qrna: the Quantum Recursive Network Architecture, simulated fast and faithfully.

Layers (DESIGN.md): ``qrna.kernel`` (events, time, randomness), ``qrna.physics`` (two-qubit
states), ``qrna.hardware``, ``qrna.link`` (heralded pairs), ``qrna.rules`` (RuleSets and the rule
engine), ``qrna.control`` (connections and routing), ``qrna.api`` (quantum sockets),
``qrna.apps``, ``qrna.scenario`` and ``qrna.report``.

For scripts and notebooks, the command line's job in two calls::

    import qrna
    results = qrna.run(qrna.load_scenario("metro"), seed=3)
    results.summary["connections"][0]["fidelity_mean"]
    results.pairs_table()          # one row per delivered pair (pyarrow)
"""

from __future__ import annotations

import typing as _typing

from qrna._version import __version__
from qrna.errors import InputError, QrnaError

if _typing.TYPE_CHECKING:
    from qrna.scenario import Results, Scenario

__all__ = [
    "InputError",
    "QrnaError",
    "__version__",
    "load_scenario",
    "run",
]


def load_scenario(source: _typing.Any, overrides: _typing.Any = ()) -> Scenario:
    """A validated scenario from a file path, a preset name or a dict (``qrna.scenario``)."""
    from qrna.scenario import load_scenario as load

    return load(source, overrides)


def run(
    scenario: Scenario | str | dict[str, _typing.Any],
    seed: int | None = None,
    *,
    allow_plugins: bool = False,
) -> Results:
    """Run a scenario (or a preset name, file path or dict) quietly; returns ``Results``.
    ``allow_plugins=True`` lets its generator import any ``module:attribute`` (README,
    Plugins)."""
    from qrna.scenario import Scenario
    from qrna.scenario import run as run_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return run_scenario(scenario, seed, allow_plugins=allow_plugins)
