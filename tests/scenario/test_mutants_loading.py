"""Loading messages: an unknown field under a location no model of the schema holds (where no
scenario file reaches), and a source that is neither a file nor a preset."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_core import ErrorDetails

from qrna.scenario import PRESETS, ScenarioError, load_scenario
from qrna.scenario._load import _message


def test_an_unknown_field_under_no_model_is_named_without_a_field_list() -> None:
    """Every unknown field a scenario can hold sits in a model, whose fields the message lists
    (``test_bad_scenarios``); under a location that names no model (a key of a mapping, should
    the schema grow one) the message is the bare "unknown field", not an empty or made-up
    list."""
    err: ErrorDetails = {
        "type": "extra_forbidden",
        "loc": ("simulation", "by_name", "colour"),
        "msg": "Extra inputs are not permitted",
        "input": "red",
    }
    assert _message(err) == "unknown field"
    err["loc"] = ("simulation", "colour")
    assert _message(err) == (
        "unknown field; expected one of backend, duration_s, generator, jitter, metric, "
        "monitor_fraction, monitor_interval_s, seed"
    )


def test_a_missing_file_that_is_no_preset_is_named_with_the_presets(tmp_path: Path) -> None:
    """A source that is neither a file nor a preset: the error names it as the file, at the
    top ("$"), and lists every preset."""
    missing = tmp_path / "metro.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(missing))
    presets = ", ".join(sorted(PRESETS))
    assert (caught.value.file, caught.value.path) == (str(missing), "$")
    assert str(caught.value) == (
        f"{missing}: $: no such file, and not a preset; presets: {presets}"
    )
