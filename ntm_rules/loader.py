"""Finding, loading and checking ruleset files (``load_ruleset``) and the shipped catalogue."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from pydantic import ValidationError

from . import inherit
from .schema import DERIVED_FIELDS, Ruleset, RulesetError, Threshold, _display, file_sha256, read_yaml, validation_problems

_PACKAGE_DIR = Path(__file__).resolve().parent


def ruleset_dirs() -> list[Path]:
    """Where ruleset ids are looked up: $NTM_RULESETS_PATH, the checkout's rulesets/, the wheel's copy."""
    dirs = [Path(p) for p in os.environ.get("NTM_RULESETS_PATH", "").split(os.pathsep) if p]
    dirs += [_PACKAGE_DIR.parent / "rulesets", _PACKAGE_DIR / "_rulesets"]
    return [d for d in dirs if d.is_dir()]


def shipped_ruleset_paths() -> list[Path]:
    seen, paths = set(), []
    for directory in ruleset_dirs():
        for path in sorted(directory.glob("*.yaml")):
            if path.stem not in seen:
                seen.add(path.stem)
                paths.append(path)
    return paths


def find_ruleset(id_or_path: str | os.PathLike, relative_to: Path | None = None) -> Path:
    candidate = Path(id_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_absolute() and relative_to is not None and not candidate.exists():
            candidate = relative_to / candidate
        if not candidate.exists():
            raise RulesetError([f"{id_or_path}: no such ruleset file; fix: check the path"])
        return candidate
    name = str(id_or_path)
    if relative_to is not None and (relative_to / f"{name}.yaml").exists():
        return relative_to / f"{name}.yaml"
    for directory in ruleset_dirs():
        path = directory / f"{name}.yaml"
        if path.exists():
            return path
    known = ", ".join(p.stem for p in shipped_ruleset_paths())
    raise RulesetError([f"{name}: no ruleset with this id; fix: use one of {known}, or a path to a .yaml file"])


_cache: dict[tuple[str, int, int], Ruleset] = {}
_cache_lock = threading.Lock()


def load_ruleset(id_or_path: str | os.PathLike | Ruleset) -> Ruleset:
    """Load, validate and check a ruleset by id (``vn-2016-2020``) or path. Cached per file."""
    if isinstance(id_or_path, Ruleset):
        if not id_or_path.sha256:  # built in memory: hash its content
            id_or_path._sha256 = file_sha256(id_or_path.model_dump_json().encode())
        return id_or_path
    path = find_ruleset(id_or_path).resolve()
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    ruleset = _load_path(path, chain=())
    with _cache_lock:
        _cache[key] = ruleset
    return ruleset


def _load_path(path: Path, chain: tuple[str, ...]) -> Ruleset:
    name = _display(path)
    if str(path) in chain:
        raise RulesetError([f"{name}: extends: the ruleset extends itself through {' → '.join(chain)}; fix: break the cycle"])
    data, raw = read_yaml(path)
    parent, overridden = None, None
    if isinstance(data.get("extends"), str):
        try:
            parent_path = find_ruleset(data["extends"], relative_to=path.parent).resolve()
        except RulesetError as error:
            raise RulesetError([f"{name}: extends: {p}" for p in error.problems])
        parent = _load_path(parent_path, chain + (str(path),))
        data, overridden, problems = inherit.merge(parent, data, name)
        if problems:
            raise RulesetError(problems)
    try:
        ruleset = Ruleset.model_validate(data)
    except ValidationError as error:
        raise RulesetError(validation_problems(name, data, error))
    ruleset._path = str(path)
    ruleset._sha256 = file_sha256(raw, parent.sha256 if parent else "")
    inherit.record_origins(ruleset, parent, overridden)
    problems = check_ruleset(ruleset, name)
    if parent is not None:
        problems += inherit.check_against_parent(ruleset, parent, name)
    if problems:
        raise RulesetError(problems)
    return ruleset


def _entries(value) -> list[Threshold]:
    return value if isinstance(value, list) else [value]


def check_ruleset(rs: Ruleset, name: str) -> list[str]:
    """The format's rules that a schema alone cannot say; one line per problem."""
    problems: list[str] = []
    dims = rs.dimension_values
    first, last = rs.period.from_, rs.period.to

    def problem(path: str, message: str, fix: str) -> None:
        problems.append(f"{name}: {path}: {message}; fix: {fix}")

    if first > last:
        problem("period", f"from {first} is after to {last}", "write the earlier year in `from`")

    def check_source(path: str, source_key: str, verified: bool, note) -> None:
        source = rs.sources.get(source_key)
        if source is None:
            problem(f"{path}.source", f"no citation: source '{source_key}' is not listed under `sources`",
                    "add it under `sources` with its url, or name a listed source")
            return
        if verified and not source.url:
            problem(f"{path}.verified", f"marked verified but source '{source_key}' has no url",
                    "add the url of the text that states the value, or set verified: false with a note")
        if not verified and note is None and source.note is None:
            problem(f"{path}.note", "unconfirmed value without a note saying why",
                    f"add a note here or on source '{source_key}'")

    def check_assignment(path: str, assignment) -> None:
        if assignment is None:
            return
        if assignment.id not in rs.departments:
            problem(f"{path}.department.id", f"unknown department '{assignment.id}'",
                    f"use one of {', '.join(rs.departments)} or add it under `departments`")
        check_source(f"{path}.department", assignment.source, assignment.verified, assignment.note)

    field_types: dict[str, str] = {}
    criterion_ids: set[str] = set()
    indicator_ids: set[str] = set()
    for criterion in rs.criteria:
        cpath = f"criteria[id={criterion.id}]"
        if criterion.id in criterion_ids:
            problem(cpath, "criterion id used twice", "give each criterion its own id")
        criterion_ids.add(criterion.id)
        if criterion.group not in rs.groups:
            problem(f"{cpath}.group", f"unknown group '{criterion.group}'", f"use one of {', '.join(rs.groups)}")
        check_assignment(cpath, criterion.department)
        if not criterion.indicators:
            problem(f"{cpath}.indicators", "no indicators", "add at least one indicator")
        for indicator in criterion.indicators:
            ipath = f"{cpath}.indicators[id={indicator.id}]"
            if indicator.id in indicator_ids:
                problem(ipath, "indicator id used twice", "give each indicator its own id")
            indicator_ids.add(indicator.id)
            check_assignment(ipath, indicator.department)
            inline = [k for k in ("field", "type", "operator", "unit", "thresholds") if getattr(indicator, k) is not None]
            if indicator.checks is not None:
                if inline:
                    problem(ipath, f"both `checks` and {', '.join(inline)}", "write the check inline or in `checks`, not both")
                    continue
                if not indicator.checks:
                    problem(f"{ipath}.checks", "empty list", "add at least one check")
                    continue
                checks = [(f"{ipath}.checks[{i}]", c) for i, c in enumerate(indicator.checks)]
            else:
                missing = [k for k in ("field", "type", "thresholds") if getattr(indicator, k) is None]
                if missing:
                    problem(ipath, f"missing {', '.join(missing)}", "add them (or list the checks under `checks`)")
                    continue
                checks = [(ipath, indicator.all_checks()[0])]
            for kpath, check in checks:
                known = field_types.setdefault(check.field, check.type)
                if known != check.type:
                    problem(f"{kpath}.type", f"field {check.field} is {check.type} here and {known} elsewhere",
                            "a field means one quantity: use one type or another field name")
                if check.type == "bool" and check.operator != "==":
                    problem(f"{kpath}.operator", "a yes/no indicator takes no comparison", "remove `operator`")
                if (check.type == "options") != (check.options is not None):
                    problem(f"{kpath}.options", "`options` goes with type options, and type options needs it",
                            "list the allowed choices under options, with type: options")
                if (check.declared or check.verdict_of) and check.type != "bool":
                    problem(f"{kpath}.type", "a declared requirement or another ruleset's verdict is yes/no",
                            "write type: bool")
                if check.relative_to is not None and (check.operator == "==" or check.type in ("bool", "options")
                                                      or check.relative_to == check.field):
                    problem(f"{kpath}.relative_to", "a relative threshold compares a number with >= or <= "
                            "to a factor times another field", "use operator >= or <= and another numeric field")
                if check.verdict_of is not None and check.verdict_of in (rs.id, name):
                    problem(f"{kpath}.verdict_of", "a ruleset cannot require its own verdict", "name another ruleset")
                check_thresholds(kpath, check, dims, first, last, problem, check_source)
    return problems


def check_thresholds(kpath, check, dims, first, last, problem, check_source) -> None:
    keys = set(check.thresholds)
    if "all" in keys:
        if len(keys) > 1:
            problem(f"{kpath}.thresholds", "`all` together with named regions",
                    "use `all` alone, or name every region")
        covered = {d: check.thresholds["all"] for d in dims}
    else:
        for key in sorted(keys - set(dims)):
            problem(f"{kpath}.thresholds.{key}", "unknown region or group", f"use one of {', '.join(dims)}")
        for key in [d for d in dims if d not in keys]:
            problem(f"{kpath}.thresholds", f"missing region {key}", "add a threshold for it (or use `all`)")
        covered = {d: check.thresholds[d] for d in dims if d in keys}
    for dim, value in covered.items():
        dpath = f"{kpath}.thresholds.{'all' if 'all' in keys else dim}"
        entries = _entries(value)
        years_seen: dict[int, int] = {}
        for index, entry in enumerate(entries):
            epath = dpath if len(entries) == 1 else f"{dpath}[{index}]"
            check_source(epath, entry.source, entry.verified, entry.note)
            v = entry.value
            if check.type == "bool" and not isinstance(v, bool):
                problem(f"{epath}.value", f"{v!r} for a yes/no indicator", "write true")
            if check.type != "bool" and isinstance(v, bool):
                problem(f"{epath}.value", f"{v!r} for a {check.type} indicator", "write a number")
            if check.type == "pct" and not isinstance(v, bool) and not 0 <= v <= 100:
                problem(f"{epath}.value", f"{v} is not a percentage", "write a number from 0 to 100")
            if entry.years is None:
                if len(entries) > 1:
                    problem(f"{epath}.years", "several values without years", "give each value its years: [from, to]")
                span = range(first, last + 1)
            else:
                a, b = entry.years
                if a > b:
                    problem(f"{epath}.years", f"{a} is after {b}", "write [from, to]")
                if b < first or a > last:
                    problem(f"{epath}.years", f"[{a}, {b}] is outside the period {first}–{last}", "keep the years inside `period`")
                span = range(max(a, first), min(b, last) + 1)  # an inherited range may reach past a shorter period
            for year in span:
                if year in years_seen:
                    problem(f"{epath}.years", f"year {year} also covered by value [{years_seen[year]}]",
                            "make the year ranges not overlap")
                    break
                years_seen[year] = index
        if "all" not in keys or dim == dims[0]:
            gaps = [y for y in range(first, last + 1) if y not in years_seen]
            if gaps:
                problem(f"{dpath}", f"no value for year {gaps[0]}" + (f"–{gaps[-1]}" if len(gaps) > 1 else ""),
                        "add a value whose years cover it, and say which value applies")


def load_named_by(ruleset: Ruleset, ruleset_id: str) -> Ruleset:
    """A ruleset that another one names (the parent it extends, or one whose verdict it requires),
    looked for beside it first, then as a shipped id."""
    return load_ruleset(find_ruleset(ruleset_id, relative_to=Path(ruleset.path).parent if ruleset.path else None))


def known_options() -> dict[str, list[str]]:
    """For each field of type options, the choices any shipped ruleset allows."""
    return _shipped_fields()[1]


def known_fields() -> dict[str, str]:
    """Every data field a shipped ruleset names, with its type (the input contract's field list)."""
    return _shipped_fields()[0]


_fields_cache: tuple[dict[str, str], dict[str, list[str]]] | None = None


def _shipped_fields() -> tuple[dict[str, str], dict[str, list[str]]]:
    global _fields_cache
    if _fields_cache is None:
        fields: dict[str, str] = {}
        options: dict[str, list[str]] = {}
        for path in shipped_ruleset_paths():
            ruleset = load_ruleset(path)
            for criterion in ruleset.criteria:
                for indicator in criterion.indicators:
                    for check in indicator.all_checks():
                        if check.verdict_of is None:  # a verdict is computed, never read from the document
                            fields.setdefault(check.field, check.type)
                        if check.relative_to and check.relative_to not in DERIVED_FIELDS:
                            fields.setdefault(check.relative_to, "number" if check.type == "pct" else check.type)
                        if check.options:
                            merged = options.setdefault(check.field, [])
                            merged.extend(o for o in check.options if o not in merged)
        _fields_cache = (fields, options)
    return _fields_cache
