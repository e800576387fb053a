"""The mutation ledger: mutmut's results, kept in git so that a lost checkout loses no work.

mutmut keeps its results in ``mutants/`` (git-ignored), one ``.meta`` JSON file per source
file, ``mutants/src/qrna/control/_routing.py.meta``::

    {"exit_code_by_key": {"qrna.control._routing.xǁRoutingDaemonǁgraph__mutmut_1": 1, ...},
     "hash_by_function_name": {"xǁRoutingDaemonǁgraph": "3f0c9a1b2d4e", ...},
     "type_check_error_by_key": {...}, "durations_by_key": {...},
     "estimated_durations_by_key": {...}}

An exit code of None is a mutant not checked yet; the hash (12 hex digits of a SHA-256 of the
function's syntax tree, as mutmut mutates it) tells mutmut, when it generates the mutants
again, which functions changed: it keeps the results of the others.

The ledger (``bench/mutation_ledger.json``) holds the same results compactly, one line per
mutated function::

    "qrna.control._routing.xǁRoutingDaemonǁgraph": {"hash": "3f0c9a1b2d4e",
        "mutants": "kktts.", "equivalent": {"5": "why mutant 5 cannot change behaviour"}}

``mutants`` has one letter per mutant, ``__mutmut_1`` first (``LETTERS``); ``equivalent``
gives, for a survivor judged equivalent, the reason. A function whose hash changed starts
again from nothing. Everything here works on plain dicts and files; nothing runs mutmut.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# One letter per result kept; anything else (interrupted, suspicious, a crash) is checked again.
LETTERS = {"k": 1, "t": 37, "o": 36, "s": 0, "n": 33}
LEGEND = (
    "one letter per mutant, __mutmut_1 first: k killed, t caught by type check, o timeout, "
    "s survived, n no tests, . not checked"
)
STATUS = {
    "k": "killed",
    "t": "type check",
    "o": "timeout",
    "s": "survived",
    "n": "no tests",
    ".": "not checked",
}
_LETTER_BY_CODE = {1: "k", 3: "k", 37: "t", 36: "o", 24: "o", -24: "o", 152: "o", 255: "o",
                   0: "s", 5: "n", 33: "n"}  # fmt: skip

Entry = dict[str, Any]  # {"hash": str, "mutants": str, "equivalent": {str(index): reason}}
Ledger = dict[str, Entry]  # qualified function name -> entry
Meta = dict[str, Any]  # one mutmut .meta file, parsed


def letter(exit_code: int | None) -> str:
    """The ledger's letter for one of mutmut's exit codes ("." for one to check again)."""
    return "." if exit_code is None else _LETTER_BY_CODE.get(exit_code, ".")


def split(mutant: str) -> tuple[str, int]:
    """("qrna.m.x_f", 3) for the mutant "qrna.m.x_f__mutmut_3"."""
    function, sep, index = mutant.rpartition("__mutmut_")
    if not sep or not index.isdigit():
        raise ValueError(f"{mutant!r} is not a mutmut mutant name (FUNCTION__mutmut_N)")
    return function, int(index)


def module_of(path: str | Path) -> str:
    """The module mutmut names a source file's mutants after: src/qrna/a/_b.py -> qrna.a._b."""
    parts = list(Path(path).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def module_of_function(function: str) -> str:
    """ "qrna.a._b" for "qrna.a._b.xǁClassǁmethod" or "qrna.a._b.x_function"."""
    parts = function.split(".")
    for i, part in enumerate(parts):
        if part.startswith(("x_", "xǁ")):
            return ".".join(parts[:i])
    raise ValueError(f"{function!r} is not a mutmut function name (MODULE.x_NAME)")


def _letters(codes: Mapping[int, str], count: int) -> str:
    return "".join(codes.get(i, ".") for i in range(1, count + 1))


def merge(ledger: Ledger, module: str, meta: Meta) -> Ledger:
    """The ledger with one source file's mutmut results merged in.

    The file's functions are replaced by those of ``meta``: a mutant gets mutmut's result, or,
    where mutmut has none and the function's hash is the ledger's, the ledger's result and
    reason. Functions of the module that ``meta`` no longer has are dropped.
    """
    hashes: dict[str, str] = meta.get("hash_by_function_name", {})
    by_function: dict[str, dict[int, str]] = {}
    for mutant, code in meta.get("exit_code_by_key", {}).items():
        function, index = split(mutant)
        by_function.setdefault(function, {})[index] = letter(code)
    merged = {k: v for k, v in ledger.items() if module_of_function(k) != module}
    for name, digest in hashes.items():
        function = f"{module}.{name}"
        codes = by_function.get(function, {})
        if not codes:
            continue
        old = ledger.get(function)
        if old is not None and old["hash"] == digest:
            for i, old_letter in enumerate(old["mutants"], start=1):
                if codes.get(i, ".") == ".":
                    codes[i] = old_letter
        text = _letters(codes, max(codes))
        entry: Entry = {"hash": digest, "mutants": text}
        if old is not None and old["hash"] == digest:
            reasons = {
                k: v
                for k, v in old.get("equivalent", {}).items()
                if int(k) <= len(text) and text[int(k) - 1] == "s"
            }
            if reasons:
                entry["equivalent"] = reasons
        merged[function] = entry
    return merged


def seed(meta: Meta, module: str, ledger: Ledger) -> int:
    """Fills in place the results ``meta`` lacks from the ledger, for functions whose hash
    is the ledger's; returns how many mutants it filled."""
    hashes: dict[str, str] = meta.setdefault("hash_by_function_name", {})
    codes: dict[str, int | None] = meta.setdefault("exit_code_by_key", {})
    filled = 0
    for mutant, code in codes.items():
        function, index = split(mutant)
        entry = ledger.get(function)
        name = function[len(module) + 1 :]
        if code is not None or entry is None or hashes.get(name) != entry["hash"]:
            continue
        if index <= len(entry["mutants"]) and entry["mutants"][index - 1] in LETTERS:
            codes[mutant] = LETTERS[entry["mutants"][index - 1]]
            filled += 1
    return filled


def fresh_meta(module: str, ledger: Ledger) -> Meta:
    """A .meta file for a module mutmut has no results for, holding the ledger's.

    mutmut, generating the file's mutants, keeps the results of the functions whose hash is
    still the one written here and checks the others again.
    """
    prefix = module + "."
    hashes: dict[str, str] = {}
    codes: dict[str, int | None] = {}
    for function, entry in ledger.items():
        if module_of_function(function) != module:
            continue
        hashes[function[len(prefix) :]] = entry["hash"]
        for i, mark in enumerate(entry["mutants"], start=1):
            codes[f"{function}__mutmut_{i}"] = LETTERS.get(mark)
    return {
        "exit_code_by_key": codes,
        "hash_by_function_name": hashes,
        "type_check_error_by_key": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }


def unchecked(current: Mapping[str, tuple[str, int]], ledger: Ledger) -> list[str]:
    """The mutants to check, sorted: ``current`` maps each function as it is now to (hash,
    number of mutants); a mutant is checked if its function's hash is the ledger's and the
    ledger has its result."""
    todo = []
    for function, (digest, count) in sorted(current.items()):
        entry = ledger.get(function)
        known = entry["mutants"] if entry is not None and entry["hash"] == digest else ""
        todo += [
            f"{function}__mutmut_{i}"
            for i in range(1, count + 1)
            if i > len(known) or known[i - 1] not in LETTERS
        ]
    return todo


def explain(ledger: Ledger, mutant: str, reason: str) -> None:
    """Records in place why a survivor cannot change behaviour."""
    function, index = split(mutant)
    entry = ledger.get(function)
    if entry is None or index > len(entry["mutants"]):
        raise KeyError(f"{mutant!r} is not in the ledger")
    if entry["mutants"][index - 1] != "s":
        status = STATUS[entry["mutants"][index - 1]]
        raise ValueError(f"{mutant!r} is {status}, not a survivor")
    if not reason.strip():
        raise ValueError(f"{mutant!r}: an equivalent mutant needs a reason")
    entry.setdefault("equivalent", {})[str(index)] = reason.strip()


def survivors(ledger: Ledger) -> tuple[list[str], dict[str, str]]:
    """(survivors without a reason, {equivalent survivor: reason}), by name."""
    open_, equivalent = [], {}
    for function, entry in sorted(ledger.items()):
        reasons = entry.get("equivalent", {})
        for i, mark in enumerate(entry["mutants"], start=1):
            if mark == "s":
                name = f"{function}__mutmut_{i}"
                if str(i) in reasons:
                    equivalent[name] = reasons[str(i)]
                else:
                    open_.append(name)
    return open_, equivalent


def counts(ledger: Ledger, packages: Iterable[str]) -> dict[str, dict[str, int]]:
    """Per package ("qrna.PACKAGE..."), the mutants in each status, equivalent survivors
    counted apart from the others."""
    out: dict[str, Counter[str]] = {p: Counter() for p in packages}
    for function, entry in ledger.items():
        package = function.split(".")[1]
        if package not in out:
            continue
        reasons = entry.get("equivalent", {})
        for i, mark in enumerate(entry["mutants"], start=1):
            status = "equivalent" if mark == "s" and str(i) in reasons else STATUS[mark]
            out[package][status] += 1
    return {p: dict(sorted(c.items())) for p, c in out.items()}


def load(path: Path) -> Ledger:
    """The ledger in ``path`` ({} if there is none yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    functions: Ledger = data["functions"]
    return functions


def dump(ledger: Ledger, mutmut_version: str) -> str:
    """The ledger as JSON, sorted, one function a line (small diffs in git)."""
    lines = [
        json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v, ensure_ascii=False, sort_keys=True)
        for k, v in sorted(ledger.items())
    ]
    head = json.dumps({"legend": LEGEND, "mutmut": mutmut_version})[1:-1]
    return "{" + head + ', "functions": {\n' + ",\n".join(lines) + "\n}}\n"


def version_of(path: Path) -> str | None:
    """The mutmut version the ledger in ``path`` was written with (None if there is none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return str(data["mutmut"])
