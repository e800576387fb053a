"""The test session with a compiled build present (``tools/compile.py``).

Python imports a compiled module's extension and never its source, so a build older than its
sources would run, and pass, old code: the session stops before any test when it is stale.
The doctests of the compiled modules are not collected (pytest cannot import a module from its
source while an extension shadows it); the rest of the suite runs against the build.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("qrna_compile_tool", ROOT / "tools/compile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_sessionstart(session: pytest.Session) -> None:
    stale = _tool().stale()
    if stale:
        raise pytest.UsageError(
            f"the compiled build is older than {', '.join(stale)}: rebuild it "
            "(python tools/compile.py) or remove it (python tools/compile.py --clean)"
        )


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    if collection_path.suffix == ".py" and any(
        collection_path.parent.glob(f"{collection_path.stem}.*.so")
    ):
        return True
    return None  # no opinion: pytest's own rules decide
