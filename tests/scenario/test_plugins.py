"""Plugins are not a way in: a scenario's ``simulation.generator`` names qrna's built-in
generators or packages registered under the ``qrna.generators`` entry point group, unless the
person running it passes ``--allow-plugin`` (``allow_plugins=True``); what it names must be a
generator, and a plugin that fails while running is the person's error (exit 2), not qrna's."""

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
from qrna.control import ControlError, GeneratorError, default_generator, load_generator
from qrna.control._plugins import BUILTIN_GENERATORS
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

    def none_gen(request):
        return None

    def boom_gen(request):
        raise RuntimeError("plugin bug")

    def short_gen(request):  # forgets the Responder's RuleSet
        answer = default_generator(request)
        del answer.rulesets[request.responder]
        return answer

    def greedy_gen(request):  # reserves more memories than were asked
        answer = default_generator(request)
        return type(answer)(answer.rulesets, answer.plan, request.memories + 1)
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


def test_registered_names_are_listed_in_order_of_name(
    tmp_path: Path, plugin: tuple[str, Path]
) -> None:
    """An unknown name's error lists the registered names sorted, not as the package wrote
    them."""
    name, _ = plugin
    info = tmp_path / "qrna_fake_generators-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: qrna-fake-generators\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        f"[qrna.generators]\nzeta = {name}:gen\nalpha = {name}:gen\nmid = {name}:gen\n"
    )
    with pytest.raises(ControlError) as caught:
        load_generator("gamma")
    assert str(caught.value) == (
        "generator 'gamma' is not a generator name (default, alpha, mid, zeta) nor a dotted "
        "path 'module:attribute'"
    )


def test_a_path_splits_at_its_first_colon() -> None:
    """``module:attribute``: the module is what comes before the first ':' (``os`` here, not
    ``os:path``), and it is that module the refusal names."""
    with pytest.raises(ControlError) as caught:
        load_generator("os:path:join")
    assert str(caught.value) == (
        "generator 'os:path:join' is neither built in (default) nor registered by an installed "
        "package (entry point group 'qrna.generators'); importing module 'os' would run code "
        "the scenario names: allow it with --allow-plugin (qrna run, qrna validate) or "
        "allow_plugins=True"
    )


def test_a_callable_without_a_signature_is_refused() -> None:
    """A generator is called with one argument; a callable whose signature cannot be read
    (the builtin ``max``) cannot be shown to take it, so it is refused by name."""
    with pytest.raises(ControlError) as caught:
        load_generator("builtins:max", allow_plugins=True)
    assert str(caught.value) == (
        "generator 'builtins:max' has no signature to check; a generator is a function of one "
        "ConnectionSetupRequest returning Accepted or Rejected"
    )


def test_built_in_names_and_paths_need_no_flag() -> None:
    assert load_generator("default") is default_generator
    assert load_generator("qrna.control:default_generator") is default_generator
    assert load_generator("qrna.control.default_generator") is default_generator
    assert load_scenario("chain").simulation.generator == "default"


@pytest.mark.parametrize(
    "name", ["qrna.cli:_version", "qrna.control._plugins:load_generator", "qrna.control.Network"]
)
def test_other_callables_inside_qrna_are_refused_without_the_flag(
    tmp_path: Path, name: str
) -> None:
    """Being qrna's code does not make a function a generator: ``qrna.cli:_version`` once made
    ``qrna run`` exit 0 having written nothing, ``load_generator`` exit 3."""
    module = name.partition(":")[0] if ":" in name else name.rpartition(".")[0]
    with pytest.raises(ControlError) as caught:
        load_generator(name)
    assert str(caught.value) == (
        f"generator {name!r} is neither built in (default) nor registered by an installed package "
        f"(entry point group 'qrna.generators'); importing module {module!r} would run code the "
        "scenario names: allow it with --allow-plugin (qrna run, qrna validate) or "
        "allow_plugins=True"
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(_scenario(tmp_path, name)), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {tmp_path / 'plugged.yaml'}: simulation.generator: ")
    assert not out.exists()


@pytest.mark.parametrize(
    ("attr", "what"),
    [
        ("none_gen", "returned None; expected Accepted or Rejected"),
        ("boom_gen", "raised RuntimeError: plugin bug"),
        (
            "short_gen",
            "accepted with RuleSets for ['n0', 'n1'], but the path is ['n0', 'n1', 'n2']",
        ),
        ("greedy_gen", "accepted with memories=5; expected 1 to 4"),
    ],
)
def test_a_plugin_that_fails_while_running_is_the_users_error(
    tmp_path: Path, plugin: tuple[str, Path], attr: str, what: str
) -> None:
    name, _ = plugin
    path = _scenario(tmp_path, f"{name}:{attr}")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--allow-plugin", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {path}: generator '{name}:{attr}' {what} (connection 'c1')\n")
    assert not out.exists()
    with pytest.raises(GeneratorError):
        run(load_scenario(path), allow_plugins=True, pairs_dir=tmp_path)
    assert not list(tmp_path.glob(".qrna-pairs-*"))


def test_the_built_in_generator_failing_is_a_fault_in_qrna(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: Any) -> Any:
        raise RuntimeError("qrna bug")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(BUILTIN_GENERATORS, "default", ("qrna.control:default_generator", broken))
    path = _scenario(tmp_path, "default")
    result = runner.invoke(app, ["run", str(path), "--no-files"])
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("internal error: RuntimeError: qrna bug — a fault in qrna")


def test_a_name_two_packages_register_is_refused_and_each_path_still_works(
    tmp_path: Path, plugin: tuple[str, Path]
) -> None:
    """Two installed distributions both register ``fast``, for different targets: which one
    a scenario meant cannot be told, so the name is refused, naming both; each target's own
    path still loads."""
    name, _ = plugin
    for dist, target in (("one", f"{name}:gen"), ("two", f"{name}:other")):
        info = tmp_path / f"qrna_fake_{dist}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: qrna-fake-{dist}\nVersion: 1.0\n"
        )
        (info / "entry_points.txt").write_text(f"[qrna.generators]\nfast = {target}\n")
    with pytest.raises(ControlError) as caught:
        load_generator("fast")
    assert str(caught.value) == (
        f"generator 'fast' is registered by more than one installed package ({name}:gen, "
        f"{name}:other); name the one meant by its path 'module:attribute'"
    )
    assert load_generator(f"{name}:gen") is sys.modules[name].gen
