"""Each package's public API is curated: ``__all__`` is complete, sorted and importable, and the
layers import only the layers above them (DESIGN.md, layers)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import qrna

SRC = Path(qrna.__file__).parent

# DESIGN.md's layer list, top to bottom: a layer may import only the layers before it.
LAYERS = [
    "kernel",
    "physics",
    "hardware",
    "link",
    "rules",
    "control",
    "internet",
    "api",
    "apps",
    "scenario",
    "report",
    "sweep",
    "cli",
]
# Root modules every layer may use.
SHARED = {"errors", "_version"}

PUBLIC_PACKAGES = ["qrna"] + [f"qrna.{m.name}" for m in pkgutil.iter_modules([str(SRC)]) if m.ispkg]


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_all_is_sorted_unique_and_importable(package: str) -> None:
    mod = importlib.import_module(package)
    names = list(mod.__all__)
    assert names == sorted(names), f"{package}.__all__ is not sorted"
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(mod, name), f"{package}.__all__ names {name!r}, which is missing"


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_all_lists_every_public_name(package: str) -> None:
    mod = importlib.import_module(package)
    public = {
        n
        for n, v in vars(mod).items()
        if not n.startswith("_") and not isinstance(v, type(qrna))  # submodules are not API
    }
    assert public <= set(mod.__all__) | {"annotations"}, (
        f"{package} exposes names missing from __all__: {sorted(public - set(mod.__all__))}"
    )


def _qrna_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "qrna" and len(parts) > 1:
                found.add(parts[1])
    return found


def _layer_files() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).parts
        layer = rel[0].removesuffix(".py")
        if layer in LAYERS:
            out.append((layer, path))
    return out


@pytest.mark.parametrize(("layer", "path"), _layer_files(), ids=lambda v: str(v)[-40:])
def test_layer_imports_only_layers_above_it(layer: str, path: Path) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1]) | SHARED
    bad = _qrna_imports(path) - allowed
    assert not bad, f"{path.relative_to(SRC)} ({layer}) imports lower layers {sorted(bad)}"


def test_kernel_imports_nothing_else_from_qrna() -> None:
    for path in (SRC / "kernel").rglob("*.py"):
        assert _qrna_imports(path) <= {"kernel", "errors"}, path.name


def test_every_package_is_a_known_layer() -> None:
    for m in pkgutil.iter_modules([str(SRC)]):
        if not m.name.startswith("_"):
            assert m.name in LAYERS or m.name in SHARED, f"qrna.{m.name} is not in DESIGN.md's list"
