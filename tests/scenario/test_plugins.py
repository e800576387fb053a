"""Plugins are not a way in: a scenario's ``simulation.generator`` imports nothing but qrna and
packages registered under the ``qrna.generators`` entry point group, unless the person running it
passes ``--allow-plugin`` (``allow_plugins=True``); what it names must be a generator."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from qrna.cli import app
from qrna.control import ControlError, default_generator, load_generator
from qrna.scenario import ScenarioError, build_network, load_scenario, run

runner = CliRunner()

# The plugin writes a marker when imported (a module-level side effect: what a hostile file
# would do) and plans like the default generator, counting its calls.
PLUGIN = textwrap.dedent(
    """
    from pathlib import Path
    from qrna.control import default_generator

    Path(__file__).with_suffix(".imported").write_text("imported")
    calls = []

    def gen(request):
        calls.append(request.connection)
        return default_generator(request)
    """
)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A module ``qrna_test_plugin_<n>`` on ``sys.path``, and the marker its import writes."""
    name = f"qrna_test_plugin_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name, tmp_path / f"{name}.imported"
    sys.modules.pop(name, None)


def _scenario(tmp_path: Path, generator: str) -> Path:
    data: dict[str, Any] = {
        "topology": {"kind": "chain", "nodes": 3},
        "traffic": [{"initiator": "n0", "responder": "n2", "pairs": 3}],
        "simulation": {"duration_s": 0.05, "generator": generator},
    }
    path = tmp_path / "plugged.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_validate_refuses_a_plugin_without_importing_it(
    tmp_path: Path, plugin: tuple[str, Path]
) -> None:
    name, marker = plugin
    path = _scenario(tmp_path, f"{name}:gen")
    for command in (["validate"], ["run", "--no-files", "--format", "json"]):
        result = runner.invoke(app, [command[0], str(path), *command[1:]])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"error: {path}: simulation.generator: generator '{name}:gen' is neither built in "
            "(default) nor registered by an installed package (entry point group "
            f"'qrna.generators'); importing module '{name}' would run code the scenario names: "
            "allow it with --allow-plugin (qrna run, qrna validate) or allow_plugins=True\n"
        )
        assert name not in sys.modules
        assert not marker.exists()


def test_allow_plugin_loads_and_runs_it(tmp_path: Path, plugin: tuple[str, Path]) -> None:
    name, marker = plugin
    path = _scenario(tmp_path, f"{name}:gen")
    result = runner.invoke(app, ["validate", str(path), "--allow-plugin"])
    assert result.exit_code == 0, result.output
    assert marker.exists()
    result = runner.invoke(
        app, ["run", str(path), "--allow-plugin", "--no-files", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert sys.modules[name].calls == ["c1"]  # the Responder asked the plugin, once


def test_api_refuses_a_plugin_unless_allowed(tmp_path: Path, plugin: tuple[str, Path]) -> None:
    name, marker = plugin
    scenario = load_scenario(_scenario(tmp_path, f"{name}.gen"))  # loading imports nothing
    assert not marker.exists()
    with pytest.raises(ScenarioError, match=r"^simulation\.generator: generator '.*' is neither"):
        build_network(scenario)
    with pytest.raises(ScenarioError, match="allow_plugins=True"):
        run(scenario)
    assert not marker.exists()
    results = run(scenario, allow_plugins=True)
    assert results.summary["connections"][0]["status"] == "done"
    assert load_generator(f"{name}:gen", allow_plugins=True) is sys.modules[name].gen


def test_a_plugin_that_fails_to_import_is_named(tmp_path: Path) -> None:
    (tmp_path / "qrna_test_broken_plugin.py").write_text("raise RuntimeError('no licence')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(
            ControlError,
            match=r"^generator 'qrna_test_broken_plugin:gen' cannot be loaded: importing "
            r"'qrna_test_broken_plugin' raised RuntimeError: no licence$",
        ):
            load_generator("qrna_test_broken_plugin:gen", allow_plugins=True)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("qrna_test_broken_plugin", None)


def test_installed_packages_register_generators_by_entry_point(
    tmp_path: Path, plugin: tuple[str, Path]
) -> None:
    """An installed distribution (its .dist-info on sys.path) that registers ``fast`` in the
    ``qrna.generators`` group: the scenario names it, or its target, with no flag."""
    name, marker = plugin
    info = tmp_path / "qrna_fake_generators-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: qrna-fake-generators\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[qrna.generators]\nfast = {name}:gen\n")
    assert load_generator("fast") is sys.modules[name].gen
    assert marker.exists()
    assert load_generator(f"{name}:gen") is sys.modules[name].gen
    assert load_generator(f"{name}.gen") is sys.modules[name].gen
    path = _scenario(tmp_path, "fast")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    with pytest.raises(ControlError, match=r"'fastest' is not a generator name \(default, fast\)"):
        load_generator("fastest")


def test_built_in_names_and_qrna_paths_need_no_flag() -> None:
    assert load_generator("default") is default_generator
    assert load_generator("qrna.control:default_generator") is default_generator
    assert load_scenario("chain").simulation.generator == "default"
