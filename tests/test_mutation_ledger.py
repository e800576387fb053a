"""The mutation ledger (``bench/mutation_ledger.py``): mutmut's per-file results merged into
one line per function and back, results kept only while a function's hash is unchanged, and
the mutants left to check named exactly. Plain dicts; mutmut does not run."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests._scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
MOD = "qrna.control._routing"
F = f"{MOD}.xǁRoutingDaemonǁgraph"
G = f"{MOD}.x_dijkstra_cost"


def _ledger_module() -> ModuleType:
    return load_script("bench/mutation_ledger.py", "qrna_mutation_ledger")


ml = _ledger_module()


def _meta(codes: dict[str, int | None], hashes: dict[str, str]) -> dict[str, object]:
    """A .meta file as mutmut 3 writes it."""
    return {
        "exit_code_by_key": codes,
        "hash_by_function_name": hashes,
        "type_check_error_by_key": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }


def test_letters_of_mutmut_exit_codes() -> None:
    table = {1: "k", 3: "k", 37: "t", 36: "o", 24: "o", -24: "o", 152: "o", 255: "o", 0: "s"}
    table |= {5: "n", 33: "n", None: ".", 2: ".", 34: ".", 35: ".", -11: ".", -9: "."}
    assert {code: ml.letter(code) for code in table} == table
    # Each kept letter seeds an exit code that reads back as the same letter.
    assert {mark: ml.letter(code) for mark, code in ml.LETTERS.items()} == {m: m for m in "ktosn"}


def test_names_split_into_function_module_and_index() -> None:
    assert ml.split(f"{F}__mutmut_12") == (F, 12)
    assert ml.module_of_function(F) == MOD
    assert ml.module_of_function("qrna.rules.x_f") == "qrna.rules"
    assert ml.module_of("src/qrna/control/_routing.py") == MOD
    assert ml.module_of("src/qrna/apps/__init__.py") == "qrna.apps"
    with pytest.raises(ValueError, match=r"^'qrna.m.x_f' is not a mutmut mutant name"):
        ml.split("qrna.m.x_f")
    with pytest.raises(ValueError, match=r"^'qrna.m.f' is not a mutmut function name"):
        ml.module_of_function("qrna.m.f")


def test_merge_into_an_empty_ledger_keeps_one_letter_per_mutant_in_order() -> None:
    codes = {f"{F}__mutmut_{i}": c for i, c in enumerate([1, 37, None, 0, 36, 2], start=1)}
    codes |= {f"{G}__mutmut_2": 33, f"{G}__mutmut_1": 3}
    meta = _meta(codes, {"xǁRoutingDaemonǁgraph": "aaaaaaaaaaaa", "x_dijkstra_cost": "bbb"})
    other = {"qrna.rules._engine.x_f": {"hash": "c", "mutants": "k"}}
    ledger = ml.merge(other, MOD, meta)
    assert ledger == {
        F: {"hash": "aaaaaaaaaaaa", "mutants": "kt.so."},
        G: {"hash": "bbb", "mutants": "kn"},
        **other,
    }


def test_merge_fills_unchecked_from_the_ledger_only_while_the_hash_is_unchanged() -> None:
    old = {
        F: {"hash": "h1", "mutants": "kss.", "equivalent": {"2": "reason 2", "3": "reason 3"}},
        G: {"hash": "g1", "mutants": "kkkk"},
        f"{MOD}.x_gone": {"hash": "z", "mutants": "k"},
    }
    codes = {f"{F}__mutmut_{i}": c for i, c in enumerate([None, 1, None, 0], start=1)}
    codes |= {f"{G}__mutmut_{i}": c for i, c in enumerate([None, 1], start=1)}
    meta = _meta(codes, {"xǁRoutingDaemonǁgraph": "h1", "x_dijkstra_cost": "g2"})
    ledger = ml.merge(old, MOD, meta)
    # F: mutant 2 was killed by a new test (its reason goes), 3 keeps its result and reason,
    # 4 is mutmut's new result. G changed: the old results are dropped. x_gone is gone.
    assert ledger == {
        F: {"hash": "h1", "mutants": "kkss", "equivalent": {"3": "reason 3"}},
        G: {"hash": "g2", "mutants": ".k"},
    }


def test_fresh_meta_carries_the_ledger_back_to_mutmut() -> None:
    ledger = {
        F: {"hash": "h1", "mutants": "k.tos", "equivalent": {"5": "why"}},
        G: {"hash": "g1", "mutants": "n"},
        "qrna.rules._engine.x_f": {"hash": "c", "mutants": "s"},
    }
    meta = ml.fresh_meta(MOD, ledger)
    assert meta == _meta(
        {
            f"{F}__mutmut_1": 1,
            f"{F}__mutmut_2": None,
            f"{F}__mutmut_3": 37,
            f"{F}__mutmut_4": 36,
            f"{F}__mutmut_5": 0,
            f"{G}__mutmut_1": 33,
        },
        {"xǁRoutingDaemonǁgraph": "h1", "x_dijkstra_cost": "g1"},
    )
    assert ml.merge(ledger, MOD, meta) == ledger


def test_seed_fills_only_missing_results_of_unchanged_functions() -> None:
    ledger = {F: {"hash": "h1", "mutants": "kts."}, G: {"hash": "g1", "mutants": "kk"}}
    codes = {f"{F}__mutmut_{i}": c for i, c in enumerate([None, 1, None, None, None], start=1)}
    codes |= {f"{G}__mutmut_1": None}
    meta = _meta(codes, {"xǁRoutingDaemonǁgraph": "h1", "x_dijkstra_cost": "g2"})
    assert ml.seed(meta, MOD, ledger) == 2
    assert meta["exit_code_by_key"] == {
        f"{F}__mutmut_1": 1,
        f"{F}__mutmut_2": 1,  # mutmut's own result stands
        f"{F}__mutmut_3": 0,
        f"{F}__mutmut_4": None,  # not checked in the ledger either
        f"{F}__mutmut_5": None,  # beyond the ledger's line
        f"{G}__mutmut_1": None,  # G changed
    }


def test_unchecked_names_every_mutant_without_a_result_for_the_current_hash() -> None:
    ledger = {F: {"hash": "h1", "mutants": "k.s"}, G: {"hash": "g1", "mutants": "kk"}}
    new = f"{MOD}.x_new"
    current = {F: ("h1", 4), G: ("g2", 2), new: ("n1", 1)}
    assert ml.unchecked(current, ledger) == [  # by name: x_ sorts before xǁ
        f"{G}__mutmut_1",
        f"{G}__mutmut_2",
        f"{new}__mutmut_1",
        f"{F}__mutmut_2",
        f"{F}__mutmut_4",
    ]
    assert ml.unchecked({F: ("h1", 3)}, {F: {"hash": "h1", "mutants": "kts"}}) == []


def test_explain_records_a_reason_for_survivors_only() -> None:
    ledger = {F: {"hash": "h1", "mutants": "ks"}}
    ml.explain(ledger, f"{F}__mutmut_2", "  compared only with itself ")
    assert ledger[F]["equivalent"] == {"2": "compared only with itself"}
    with pytest.raises(ValueError, match=r"__mutmut_1' is killed, not a survivor$"):
        ml.explain(ledger, f"{F}__mutmut_1", "x")
    with pytest.raises(ValueError, match=r"__mutmut_2': an equivalent mutant needs a reason$"):
        ml.explain(ledger, f"{F}__mutmut_2", " ")
    with pytest.raises(KeyError, match=r"__mutmut_3' is not in the ledger"):
        ml.explain(ledger, f"{F}__mutmut_3", "x")
    with pytest.raises(KeyError, match=r"x_dijkstra_cost__mutmut_1' is not in the ledger"):
        ml.explain(ledger, f"{G}__mutmut_1", "x")


def test_counts_and_survivors_set_equivalent_mutants_apart() -> None:
    ledger = {
        F: {"hash": "h", "mutants": "kksst.", "equivalent": {"4": "why"}},
        G: {"hash": "g", "mutants": "on"},
        "qrna.rules._engine.x_f": {"hash": "c", "mutants": "ss"},
    }
    assert ml.counts(ledger, ["control", "apps"]) == {
        "control": {
            "equivalent": 1,
            "killed": 2,
            "no tests": 1,
            "not checked": 1,
            "survived": 1,
            "timeout": 1,
            "type check": 1,
        },
        "apps": {},
    }
    assert ml.survivors(ledger) == (
        [f"{F}__mutmut_3", "qrna.rules._engine.x_f__mutmut_1", "qrna.rules._engine.x_f__mutmut_2"],
        {f"{F}__mutmut_4": "why"},
    )


def test_ledger_file_is_sorted_one_function_a_line_and_reads_back(tmp_path: Path) -> None:
    ledger = {
        G: {"hash": "g", "mutants": "kt"},
        F: {"hash": "h", "mutants": "s", "equivalent": {"1": "why"}},
    }
    path = tmp_path / "ledger.json"
    assert ml.load(path) == {}
    assert ml.version_of(path) is None
    path.write_text(ml.dump(ledger, "3.8.1"), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4  # the header, G and F (x_ sorts before xǁ), the closing braces
    assert lines[1].startswith(json.dumps(G, ensure_ascii=False) + ": ")
    assert lines[2].startswith(json.dumps(F, ensure_ascii=False) + ": ")
    assert lines[3] == "}}"
    assert ml.load(path) == ledger
    assert ml.version_of(path) == "3.8.1"
    assert json.loads(path.read_text(encoding="utf-8"))["legend"] == ml.LEGEND
