"""The compiled build (``tools/compile.py``): the modules it compiles exist and are strictly
typed where mypy checks them, and a compiled build, where one is present, gives the pure-Python
trace digest, events and pairs on its seeded runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("qrna_compile_tool", ROOT / "tools/compile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_hot_module_is_a_qrna_source() -> None:
    tool = _tool()
    assert len(tool.HOT) == len(set(tool.HOT)) >= 1
    for path in tool.HOT:
        assert (ROOT / "src" / path).is_file(), path
        assert path.startswith("qrna/"), path
        assert path.endswith(".py"), path


def test_a_compiled_build_is_not_older_than_its_sources() -> None:
    """Python imports an extension even when its source changed since: a stale build would
    run (and test) old code."""
    stale = _tool().stale()
    assert not stale, f"rebuild with python tools/compile.py (or --clean): {stale} changed"


@pytest.mark.subprocess
def test_a_compiled_build_gives_the_python_trace(capsys: pytest.CaptureFixture[str]) -> None:
    tool = _tool()
    if not tool._compiled():
        pytest.skip("no compiled build in this checkout (python tools/compile.py makes one)")
    assert tool.check()
    out = capsys.readouterr().out
    assert out.count(" same trace ") == len(tool._RUNS)
