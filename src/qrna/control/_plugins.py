"""Finding a RuleSet generator by name, without letting a scenario file run arbitrary code.

A scenario names its generator (``simulation.generator``). Loading one means importing a module,
and importing runs that module's code, so the name is trusted only when the code is already the
person's choice:

1. a built-in generator (``BUILTIN_GENERATORS``), by its name (``default``) or its public path
   (``qrna.control:default_generator`` or ``qrna.control.default_generator``);
2. a name or ``module:attribute`` registered by an installed package under the entry point group
   ``qrna.generators`` (installing the package was the choice);
3. any other dotted path only with ``allow_plugins=True`` (``qrna run --allow-plugin``). Without
   it the path is refused before anything is imported. That holds for other paths into qrna
   too: being qrna's code does not make a function a generator (``qrna.cli:_version`` would
   exit the program, ``qrna.control:load_generator`` fail on the request).

What is found must look like a generator: a callable that is not a class and accepts one
positional argument (the ``ConnectionSetupRequest``).

Example:
    >>> load_generator("default") is default_generator
    True
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from qrna.control._errors import ControlError
from qrna.control._generator import RuleSetGenerator, default_generator

__all__ = ["BUILTIN_GENERATORS", "ENTRY_POINT_GROUP", "load_generator"]

ENTRY_POINT_GROUP = "qrna.generators"
"""The entry point group installed packages register their generators in."""

BUILTIN_GENERATORS: dict[str, tuple[str, RuleSetGenerator]] = {
    "default": ("qrna.control:default_generator", default_generator),
}
"""The generators qrna ships: name -> (public ``module:attribute`` path, generator). The only
code inside qrna a scenario may name without ``allow_plugins``, by either."""


def _builtin(name: str) -> RuleSetGenerator | None:
    """The built-in generator ``name`` names (its name or public path, ``:`` or ``.``)."""
    if name in BUILTIN_GENERATORS:
        return BUILTIN_GENERATORS[name][1]
    for path, generator in BUILTIN_GENERATORS.values():
        if _split(name) == _split(path):
            return generator
    return None


def _split(path: str) -> tuple[str, str]:
    """``(module, attribute)`` of ``"module:attribute"`` or ``"module.attribute"``."""
    module, sep, attr = path.partition(":")
    if not sep:
        module, _, attr = path.rpartition(".")
    return module, attr


def _registered() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def load_generator(name: str, *, allow_plugins: bool = False) -> RuleSetGenerator:
    """The generator ``name`` names (module docstring): a built-in or registered name or path,
    or — only with ``allow_plugins`` — any dotted path.
    Raises ``ControlError`` naming what is allowed, before importing anything it refuses."""
    builtin = _builtin(name)
    if builtin is not None:
        return builtin
    registered = _registered()
    by_name = {ep.name: ep for ep in registered}
    module, attr = _split(name)
    by_target = {_split(ep.value): ep for ep in registered}
    found: Any
    if name in by_name or (module, attr) in by_target:
        claims = sorted({e.value for e in registered if e.name == name})
        if len(claims) > 1:  # two packages claim the name: taking either would be a guess
            raise ControlError(
                f"generator {name!r} is registered by more than one installed package "
                f"({', '.join(claims)}); name the one meant by its path 'module:attribute'"
            )
        ep = by_name.get(name) or by_target[(module, attr)]
        try:
            found = ep.load()
        except Exception as exc:  # the package's own code failed; say so, it is not qrna's
            raise ControlError(
                f"generator {name!r} (entry point {ep.value!r} of group {ENTRY_POINT_GROUP!r}) "
                f"cannot be loaded: {type(exc).__name__}: {exc}"
            ) from None
        return _checked(name, found)
    if not module or not attr:
        names = ", ".join([*BUILTIN_GENERATORS, *by_name])
        raise ControlError(
            f"generator {name!r} is not a generator name ({names}) nor a dotted path "
            "'module:attribute'"
        )
    if not allow_plugins:
        raise ControlError(
            f"generator {name!r} is neither built in ({', '.join(BUILTIN_GENERATORS)}) nor "
            f"registered by an installed package (entry point group {ENTRY_POINT_GROUP!r}); "
            f"importing module {module!r} would run code the scenario names: allow it with "
            "--allow-plugin (qrna run, qrna validate) or allow_plugins=True"
        )
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ControlError(f"generator {name!r} cannot be loaded: {exc}") from None
    except Exception as exc:  # the plugin's module raised while importing
        raise ControlError(
            f"generator {name!r} cannot be loaded: importing {module!r} raised "
            f"{type(exc).__name__}: {exc}"
        ) from None
    return _checked(name, found)


def _checked(name: str, found: Any) -> RuleSetGenerator:
    """``found`` if it can be called as a generator: once, with the request."""
    shape = "a generator is a function of one ConnectionSetupRequest returning Accepted or Rejected"
    if isinstance(found, type):
        raise ControlError(
            f"generator {name!r} is a class ({found.__name__}), not a generator; {shape}"
        )
    if not callable(found):
        raise ControlError(
            f"generator {name!r} is not callable (a value of type {type(found).__name__}); {shape}"
        )
    try:
        signature = inspect.signature(found).replace(return_annotation=inspect.Signature.empty)
    except (TypeError, ValueError):
        raise ControlError(f"generator {name!r} has no signature to check; {shape}") from None
    try:
        signature.bind(None)
    except TypeError:
        raise ControlError(
            f"generator {name!r} takes {signature}, not one argument; {shape}"
        ) from None
    return found  # type: ignore[no-any-return]
