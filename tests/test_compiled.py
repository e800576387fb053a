"""The compiled build (``tools/compile.py``): the modules it compiles are qrna sources, its
stale check finds every extension older than its source, a build present is the one the suite
imports, and it gives the pure-Python trace digest, events and pairs on its seeded runs."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from tests._scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
EXT = ".cpython-311-x86_64-linux-gnu.so"  # a name like mypyc's; the stale check reads no content


def _tool() -> ModuleType:
    return load_script("tools/compile.py", "qrna_compile_tool")


def test_every_hot_module_is_a_qrna_source() -> None:
    tool = _tool()
    assert len(tool.HOT) == len(set(tool.HOT)) >= 1
    for path in tool.HOT:
        assert (ROOT / "src" / path).is_file(), path
        assert path.startswith("qrna/"), path
        assert path.endswith(".py"), path


@pytest.fixture
def fake_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The tool pointed at a source tree of two modules, both "compiled" and stamped."""
    tool = _tool()
    for name in ("a", "b"):
        (tmp_path / "qrna" / f"{name}.py").parent.mkdir(exist_ok=True)
        (tmp_path / "qrna" / f"{name}.py").write_text(f"X = {name!r}\n")
        (tmp_path / "qrna" / f"{name}{EXT}").write_bytes(b"")
    (tmp_path / f"0123abcd__mypyc{EXT}").write_bytes(b"")
    monkeypatch.setattr(tool, "SRC", tmp_path)
    monkeypatch.setattr(tool, "STAMP", tmp_path / ".qrna-compiled.json")
    monkeypatch.setattr(tool, "HOT", ("qrna/a.py", "qrna/b.py"))
    tool.STAMP.write_text(json.dumps({m: tool._digest(m) for m in tool.HOT}))
    return tool


def test_a_fresh_build_is_not_stale(fake_build: ModuleType) -> None:
    assert fake_build.stale() == []


def test_an_edited_source_makes_its_build_stale(fake_build: ModuleType) -> None:
    (fake_build.SRC / "qrna/b.py").write_text("X = 'edited'\n")
    assert fake_build.stale() == ["qrna/b.py"]


def test_a_build_without_its_stamp_is_stale(fake_build: ModuleType) -> None:
    fake_build.STAMP.unlink()
    assert fake_build.stale() == ["qrna/a.py", "qrna/b.py"]


def test_a_module_dropped_from_hot_still_counts_while_its_extension_is_there(
    fake_build: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python imports the extension of a module the tool no longer compiles: an edit of its
    source makes the build stale all the same."""
    monkeypatch.setattr(fake_build, "HOT", ("qrna/a.py",))
    assert fake_build.stale() == []
    (fake_build.SRC / "qrna/b.py").write_text("X = 'edited'\n")
    assert fake_build.stale() == ["qrna/b.py"]


def test_a_module_added_to_hot_makes_the_build_stale(
    fake_build: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    (fake_build.SRC / "qrna/c.py").write_text("X = 'c'\n")
    monkeypatch.setattr(fake_build, "HOT", (*fake_build.HOT, "qrna/c.py"))
    assert fake_build.stale() == ["qrna/c.py"]


def test_clean_removes_the_build_and_nothing_else(fake_build: ModuleType) -> None:
    fake_build.clean()
    left = sorted(p.relative_to(fake_build.SRC).as_posix() for p in fake_build.SRC.rglob("*"))
    assert left == ["qrna", "qrna/a.py", "qrna/b.py"]
    assert fake_build.stale() == []


def test_a_build_present_is_the_one_the_suite_imports() -> None:
    """A build beside sources Python does not import from (qrna installed other than
    editable) would leave the suite testing pure Python while the user thinks otherwise."""
    tool = _tool()
    if not tool._compiled():
        pytest.skip("no compiled build in this checkout (python tools/compile.py makes one)")
    for path in tool.HOT:
        module = importlib.import_module(tool._module(path))
        assert module.__file__ is not None
        assert not module.__file__.endswith(".py"), f"{module.__file__} is not the build"
        assert Path(module.__file__).parent == (tool.SRC / path).parent.resolve()


@pytest.mark.subprocess
def test_a_compiled_build_gives_the_python_trace(capsys: pytest.CaptureFixture[str]) -> None:
    tool = _tool()
    if not tool._compiled():
        pytest.skip("no compiled build in this checkout (python tools/compile.py makes one)")
    assert tool.check()
    out = capsys.readouterr().out
    assert out.count(" same trace ") == len(tool._RUNS)
