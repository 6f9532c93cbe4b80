"""Finding, reading and checking ruleset files (``load_ruleset``), and the catalogue of fields
the installed rulesets name (the input contract's field list)."""
from __future__ import annotations

import math
import os
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from . import cache, identity, inherit
from ..errors import NtmError, RulesetError, internal_error, printable
from ..files import is_regular_file
from ..limits import MAX_TEXT, PERIOD_YEARS, PLAUSIBLE, THRESHOLD_COUNT_MAX, THRESHOLD_NUMBER_MAX
from .schema import DERIVED_FIELDS, Ruleset, Text, Threshold, constructed, seal, sealed
from .yamlfile import _display, read_ruleset_bytes, read_yaml, validation_problems

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # ntm_rules/


def ruleset_dirs() -> list[Path]:
    """Where ruleset ids are looked up: $NTM_RULESETS_PATH, the checkout's rulesets/, the wheel's copy."""
    dirs = [Path(p) for p in os.environ.get("NTM_RULESETS_PATH", "").split(os.pathsep) if p]
    dirs += [_PACKAGE_DIR.parent / "rulesets", _PACKAGE_DIR / "_rulesets"]
    return [d for d in dirs if d.is_dir()]


def is_shipped(path: Path) -> bool:
    """Whether a ruleset file comes with the package (not from a folder of NTM_RULESETS_PATH)."""
    shipped = {(_PACKAGE_DIR.parent / "rulesets").resolve(), (_PACKAGE_DIR / "_rulesets").resolve()}
    return Path(path).resolve().parent in shipped


_listings = cache.Bounded(8)  # the folders and their modification times → the set files in them


def shipped_ruleset_paths() -> list[Path]:
    """The set files of every folder sets are looked up in, one per id (the first folder's wins);
    listed again when a folder changes (a file added, removed or renamed changes its time)."""
    folders = []
    for directory in ruleset_dirs():
        try:
            folders.append((str(directory), os.stat(directory).st_mtime_ns))
        except OSError:
            continue
    key = tuple(folders)
    found = _listings.get(key)
    if found is None:
        seen, found = set(), []
        for directory, _ in folders:
            for path in sorted(Path(directory).glob("*.yaml")):
                if path.stem not in seen:
                    seen.add(path.stem)
                    found.append(path)
        _listings.put(key, found)
    return list(found)


# A ruleset id: what a document, a batch row or a ruleset's `extends:` may name (never a path).
RULESET_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
_ID = re.compile(RULESET_ID_PATTERN)


def is_ruleset_id(name: str) -> bool:
    return isinstance(name, str) and len(name) <= MAX_TEXT and bool(_ID.match(name)) and ".." not in name


def find_ruleset_id(ruleset_id: str, beside: Path | None = None) -> Path:
    """The file of a ruleset named by id: beside `beside` first (for `extends:`), then in the
    folders of NTM_RULESETS_PATH and the shipped ones. Only regular files count."""
    name = ruleset_id.removesuffix(".yaml").removesuffix(".yml") if isinstance(ruleset_id, str) else ruleset_id
    if not is_ruleset_id(name):
        raise RulesetError([f"{printable(str(ruleset_id))[:80]}: not a ruleset id (a ruleset is named by its id, never by a "
                            "path); fix: write the id of a shipped ruleset or of one in NTM_RULESETS_PATH"])
    folders = ([beside] if beside is not None else []) + ruleset_dirs()
    for directory in folders:
        for suffix in (".yaml", ".yml"):
            path = directory / f"{name}{suffix}"
            if is_regular_file(path):
                return path
    known = ", ".join(p.stem for p in shipped_ruleset_paths())
    raise RulesetError([f"{name}: no ruleset with this id; fix: use one of {known}, or add its file to a folder "
                        "of NTM_RULESETS_PATH"],
                       vi=[f"{name}: không có bộ tiêu chí mang mã này; cách sửa: dùng một trong {known}, hoặc đặt tệp "
                           "của bộ vào một thư mục của NTM_RULESETS_PATH"])


def find_ruleset(id_or_path: str | os.PathLike) -> Path:
    """A ruleset named by the caller: an id, or a path to a .yaml file (only callers may give paths)."""
    text = os.fspath(id_or_path)
    if (isinstance(id_or_path, os.PathLike) or text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text
            or os.path.isfile(text)):
        return Path(text)
    return find_ruleset_id(text)


_loading = threading.local()  # the files being loaded by this thread: a ruleset may not require itself


def load_ruleset(id_or_path: str | os.PathLike | Ruleset) -> Ruleset:
    """Load, validate and check a ruleset by id (``vn-2016-2020``) or path; kept by identity
    (`identity.py`, `cache.py`). A set given as an object is returned as it is, with its identity
    computed again when it is not sealed (built or changed in memory).

    Raises RulesetError for a file that cannot be used, InternalError for a bug of ours."""
    try:
        return _load_ruleset(id_or_path)
    except NtmError:
        raise
    except Exception as error:
        raise internal_error(error) from error


def _load_ruleset(id_or_path: str | os.PathLike | Ruleset) -> Ruleset:
    if not isinstance(id_or_path, (str, os.PathLike, Ruleset)):
        raise RulesetError([f"{type(id_or_path).__name__}: a ruleset is named by its id or the path of its file; "
                            "fix: pass a text such as vn-2016-2020"])
    if isinstance(id_or_path, Ruleset):
        if not sealed(id_or_path):  # built or changed in memory: its identity is its content now
            object.__getattribute__(id_or_path, "__pydantic_private__")["_sha256"] = identity.of_content(id_or_path)
        return id_or_path
    path = find_ruleset(id_or_path)
    try:
        path = path.resolve()
    except OSError as error:
        raise RulesetError([f"{_display(path)}: cannot read it ({error.strerror}); fix: check the path"]) from None
    except RuntimeError:  # a symlink loop
        raise RulesetError([f"{_display(path)}: the path loops through symbolic links; fix: check the path"]) from None
    stack = _loading.__dict__.setdefault("stack", [])
    if str(path) in stack:
        names = " → ".join(_display(Path(p)) for p in stack[stack.index(str(path)):] + [str(path)])
        raise RulesetError([f"{_display(path)}: the ruleset requires itself through {names}; fix: break the cycle"])
    stack.append(str(path))
    try:
        return _load_path(path, chain=())
    finally:
        stack.pop()


def _load_path(path: Path, chain: tuple[str, ...]) -> Ruleset:
    """A set's file and its parents' as one validated set, from the caches when its identity is
    known there (the parent `extends:` finds now is always looked up again)."""
    if str(path) in chain:
        through = " → ".join(_display(Path(p)) for p in chain)
        raise RulesetError([f"{_display(path)}: extends: the ruleset extends itself through {through}; fix: break the cycle"])
    digest, raw = cache.file_digest_of(path, read_ruleset_bytes)
    extends = cache.known_extends(digest)
    entry = None
    if extends is None:
        entry = cache.read_entry(digest)
        extends = (entry.get("extends") or "") if entry is not None else None
        if isinstance(extends, str):
            cache.remember_extends(digest, extends)
    if extends is not None:
        parent = _parent(path, extends, chain) if extends else None
        found_identity = identity.of_files(digest, parent.sha256 if parent else None)
        found = cache.get(found_identity, path)
        if found is None and entry is None:
            entry = cache.read_entry(digest)
        if found is None and entry is not None and entry.get("identity") == found_identity:
            found = _from_entry(entry, path)
        if found is not None:
            _load_verdict_targets(found, path)
            cache.put(found_identity, path, found)
            return found
    if raw is None:
        raw = read_ruleset_bytes(path)
        digest = identity.file_digest(raw)
    return _validated(path, raw, digest, chain)


def _parent(path: Path, extends: str, chain: tuple[str, ...]) -> Ruleset:
    try:
        parent_path = find_ruleset_id(extends, beside=path.parent).resolve()
    except RulesetError as error:
        raise RulesetError([f"{_display(path)}: extends: {p}" for p in error.problems]) from None
    return _load_path(parent_path, chain + (str(path),))


def _validated(path: Path, raw: bytes, digest: str, chain: tuple[str, ...]) -> Ruleset:
    """Read, merge with the parent, validate and check a set's file; cache it by its identity."""
    name = _display(path)
    data, raw = read_yaml(path, raw)
    _refuse_impossible_period(data, name)
    extends_id = data.get("extends") if isinstance(data.get("extends"), str) else None
    cache.remember_extends(digest, extends_id)
    parent, overridden = None, None
    if extends_id is not None:
        parent = _parent(path, extends_id, chain)
        data, overridden, problems = inherit.merge(parent, data, name)
        if problems:
            raise RulesetError(problems)
    try:
        ruleset = Ruleset.model_validate(data)
    except ValidationError as error:
        raise RulesetError(validation_problems(name, data, error))
    inherit.record_origins(ruleset, parent, overridden)
    problems = check_ruleset(ruleset, name)
    if parent is not None and not problems:  # (it walks the years: only once they are known to be sane)
        problems += inherit.check_against_parent(ruleset, parent, name)
    if problems:
        raise RulesetError(problems)
    found_identity = identity.of_files(digest, parent.sha256 if parent else None)
    _finish(ruleset, path, found_identity)
    _load_verdict_targets(ruleset, path)
    cache.write_entry(digest, _entry_of(ruleset, extends_id, parent.sha256 if parent else None))
    cache.put(found_identity, path, ruleset)
    return ruleset


def _finish(ruleset: Ruleset, path: Path, found_identity: str) -> None:
    private = object.__getattribute__(ruleset, "__pydantic_private__")
    private["_path"], private["_sha256"] = str(path), found_identity
    if not private["_sealed"]:  # (a set built from the disk cache comes sealed)
        seal(ruleset)


def _origin_slots(ruleset: Ruleset):
    """Every assignment and threshold of a set, in one order (their origins are kept on disk)."""
    for criterion in ruleset.criteria:
        yield criterion.department
        for indicator in criterion.indicators:
            if indicator.department is not None:
                yield indicator.department
            for check in indicator.all_checks():
                for entries in check.thresholds.values():
                    yield from entries if isinstance(entries, list) else [entries]


def _entry_of(ruleset: Ruleset, extends: str | None, parent_identity: str | None) -> dict:
    return {"extends": extends, "parent": parent_identity, "identity": ruleset.sha256,
            "set": ruleset.model_dump(mode="json"),
            "origins": [slot._origin for slot in _origin_slots(ruleset)],
            "lineage": {key: list(value) for key, value in ruleset._lineage.items()}}


def _from_entry(entry: dict, path: Path) -> Ruleset | None:
    """A set from a disk entry (data, validated again by the schema); None when it does not fit."""
    try:
        ruleset = constructed(Ruleset, entry["set"])
        slots = list(_origin_slots(ruleset))
        origins = entry["origins"]
        if len(slots) != len(origins) or not all(isinstance(o, str) for o in origins):
            return None
        for slot, origin in zip(slots, origins):
            slot._origin = origin
        ruleset._lineage = {str(k): tuple(v) for k, v in dict(entry["lineage"]).items()}
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration, RecursionError):
        return None
    _finish(ruleset, path, entry["identity"])
    return ruleset


def _refuse_impossible_period(data: dict, name: str) -> None:
    """A period outside the years a criteria set can cover ends validation at once, in one line,
    before anything walks its years (a hostile `to: 300000000` would otherwise take minutes)."""
    period = data.get("period")
    if not isinstance(period, dict):
        return
    first, last = period.get("from"), period.get("to")
    years = [y for y in (first, last) if isinstance(y, int) and not isinstance(y, bool)]
    if any(not PERIOD_YEARS[0] <= y <= PERIOD_YEARS[1] for y in years):
        shown = "–".join(_plain_year(y) if isinstance(y, int) else "?" for y in (first, last))
        raise RulesetError([f"{name}: period: {shown} is outside the years a criteria set can cover; "
                            f"fix: write years from {PERIOD_YEARS[0]} to {PERIOD_YEARS[1]}"])


def _plain_year(year: int) -> str:
    return str(year) if abs(year) < 10 ** 12 else f"a number of {len(str(abs(year)))} digits"


_verdict_targets = cache.Bounded(64)  # a set's identity → the ids of the sets whose verdict it requires


def _load_verdict_targets(ruleset: Ruleset, path: Path) -> None:
    targets = _verdict_targets.get(ruleset.sha256)
    if targets is None:
        targets = _verdict_targets.put(ruleset.sha256, sorted({c.verdict_of for cr in ruleset.criteria
                                                               for i in cr.indicators for c in i.all_checks()
                                                               if c.verdict_of}))
    for target in targets:
        try:
            load_named_by(ruleset, target)
        except RulesetError as error:
            raise RulesetError([f"{_display(path)}: verdict_of {target}: {p}" for p in error.problems]) from None


def _entries(value) -> list[Threshold]:
    return value if isinstance(value, list) else [value]


def check_ruleset(rs: Ruleset, name: str) -> list[str]:
    """The format's rules that a schema alone cannot say; one line per problem."""
    problems: list[str] = []
    dims = list(rs.applies_to) if rs.applies_to else list(rs.dimension_values)  # a set for some regions only needs theirs
    first, last = rs.period.from_, rs.period.to

    def problem(path: str, message: str, fix: str) -> None:
        line = f"{name}: {path}: {message}; fix: {fix}"
        if line not in problems:  # a value under `all` is checked once per region
            problems.append(line)

    if not is_ruleset_id(rs.id):
        problem("id", f"{printable(rs.id)[:80]!r} is not a ruleset id", "write lowercase letters, digits, '-', '.' or '_'")
    before = len(problems)
    if first > last:
        problem("period", f"from {first} is after to {last}", "write the earlier year in `from`")
    if not (PERIOD_YEARS[0] <= first <= PERIOD_YEARS[1] and PERIOD_YEARS[0] <= last <= PERIOD_YEARS[1]):
        problem("period", f"{first}–{last} is outside the years a criteria set can cover",
                f"write years from {PERIOD_YEARS[0]} to {PERIOD_YEARS[1]}")
    if len(problems) > before:
        return problems  # nothing below may walk the years of an impossible period

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

    for fname in rs.fields:
        bad = field_name_problem(fname)
        if bad:
            problem(f"fields.{printable(fname)[:60]}", bad, "write the field's name as the indicators use it")
    written = sum(len(c.indicators) for c in rs.criteria)
    if rs.indicator_count is not None and rs.status == "final" and written != rs.indicator_count:
        problem("indicator_count", f"the decision lists {rs.indicator_count} indicators and the set has {written}",
                "write every indicator of the decision's table (or correct indicator_count)")
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
        if not criterion.indicators and rs.status != "draft":
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
                if missing and rs.status == "draft" and indicator.field is not None and indicator.type is not None:
                    continue  # a draft's indicator still without values
                if missing and rs.status == "draft" and indicator.field is None:
                    continue  # a draft's indicator still to be written
                if missing:
                    problem(ipath, f"missing {', '.join(missing)}", "add them (or list the checks under `checks`)")
                    continue
                checks = [(ipath, indicator.all_checks()[0])]
            for kpath, check in checks:
                for key in ("field", "relative_to"):
                    fname = getattr(check, key)
                    if fname is not None and not (key == "relative_to" and fname in DERIVED_FIELDS):
                        bad = field_name_problem(fname)
                        if bad:
                            problem(f"{kpath}.{key}", bad, "write a lowercase name of letters, digits and _, "
                                    "starting with a letter (e.g. clean_water_households_pct)")
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
                if rs.status == "draft" and not complete_check(check, dims, first, last):
                    continue  # a draft may leave regions or years without values
                check_thresholds(kpath, check, dims, first, last, problem, check_source, rs.dimension_values)
    return problems


def complete_check(check, dims, first, last) -> bool:
    """Every region (or group) has a value for every year of the period."""
    if not check.thresholds:
        return False
    for dim in dims:
        value = check.thresholds.get(dim) or check.thresholds.get("all")
        if value is None:
            return False
        years = set()
        for entry in _entries(value):
            span = range(first, last + 1) if entry.years is None else range(max(entry.years[0], first),
                                                                             min(entry.years[1], last) + 1)
            years.update(span)
        if not set(range(first, last + 1)) <= years:
            return False
    return True


def completeness(ruleset: Ruleset) -> tuple[int, int]:
    """(indicators with a value for every region or group and year, indicators) — a final set is complete."""
    dims = ruleset.applies_to or list(ruleset.dimension_values)
    first, last = ruleset.period.from_, ruleset.period.to
    done = total = 0
    for criterion in ruleset.criteria:
        for indicator in criterion.indicators:
            total += 1
            checks = indicator.checks if indicator.checks is not None else (
                [] if indicator.thresholds is None or indicator.field is None else indicator.all_checks())
            if checks and all(complete_check(c, dims, first, last) for c in checks):
                done += 1
    return done, max(total, ruleset.indicator_count or 0)


def unconfirmed(ruleset: Ruleset) -> tuple[int, int]:
    """(indicators resting on at least one threshold value no cited page confirms, indicators) —
    the same however the values are written (`all`, per region, per span of years)."""
    dims = ruleset.applies_to or list(ruleset.dimension_values)
    count = total = 0
    for criterion in ruleset.criteria:
        for indicator in criterion.indicators:
            total += 1
            values = []
            for check in indicator.all_checks() if indicator.field is not None or indicator.checks else []:
                for key, entries in (check.thresholds or {}).items():
                    if key == "all" or key in dims:
                        values += entries if isinstance(entries, list) else [entries]
            count += any(not entry.verified for entry in values)
    return count, total


def check_thresholds(kpath, check, dims, first, last, problem, check_source, allowed=None) -> None:
    keys = set(check.thresholds)
    if "all" in keys:
        if len(keys) > 1:
            problem(f"{kpath}.thresholds", "`all` together with named regions",
                    "use `all` alone, or name every region")
        covered = {d: check.thresholds["all"] for d in dims}
    else:
        for key in sorted(keys - set(allowed or dims)):
            problem(f"{kpath}.thresholds.{key}", "unknown region or group", f"use one of {', '.join(allowed or dims)}")
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
            if entry.bound is not None and (entry.verified or check.operator == "==" or check.type == "bool"):
                problem(f"{epath}.bound", "a bound says what is known of an unconfirmed value compared with >= or <=",
                        "remove it, or set verified: false on a >= or <= threshold")
            v = entry.value
            if check.type == "bool" and not isinstance(v, bool):
                problem(f"{epath}.value", f"{v!r} for a yes/no indicator", "write true")
            if check.type != "bool" and isinstance(v, bool):
                problem(f"{epath}.value", f"{v!r} for a {check.type} indicator", "write a number")
            if not isinstance(v, bool):
                low, high, what = _threshold_range(check)
                if isinstance(v, float) and not math.isfinite(v):
                    problem(f"{epath}.value", f"{v} is not a number a threshold can be", "write the number the decision gives")
                elif not low <= v <= high:
                    problem(f"{epath}.value", f"{v} is out of range for {what}",
                            f"write a number from {_plain(low)} to {_plain(high)}")
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


# Names the rules engine gives a meaning of its own in a fact (session, fact and commune ids).
RESERVED_FIELDS = frozenset({"sid", "id", "cid", "label", "chart"}) | frozenset(DERIVED_FIELDS)
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def field_name_problem(name: str) -> str | None:
    """Why `name` cannot be a data field's name, or None when it can."""
    if not _FIELD_NAME.match(name) or len(name) > 100:
        return f"{printable(name)[:80]!r} is not a field name"
    if name in RESERVED_FIELDS:
        return f"{name!r} is a name the rules engine uses itself"
    return None


def _plain(number: float) -> str:
    return f"{int(number):,}".replace(",", " ") if float(number).is_integer() else str(number)


def _threshold_range(check) -> tuple[float, float, str]:
    if check.type == "pct" and not check.relative_to:
        return 0, 100, "a percentage"
    if check.type in ("count", "options") and not check.relative_to:
        return 0, THRESHOLD_COUNT_MAX, "a count"
    return -THRESHOLD_NUMBER_MAX, THRESHOLD_NUMBER_MAX, "a number"


def load_named_by(ruleset: Ruleset, ruleset_id: str) -> Ruleset:
    """A ruleset that another one names (the parent it extends, or one whose verdict it requires),
    looked for beside it first, then by id."""
    return load_ruleset(find_ruleset_id(ruleset_id, beside=Path(ruleset.path).parent if ruleset.path else None))


def load_ruleset_id(ruleset_id: str) -> Ruleset:
    """A ruleset named by a document or a batch row: by id only."""
    return load_ruleset(find_ruleset_id(ruleset_id))


@dataclass(frozen=True)
class FieldSpec:
    """A data field as the input contract knows it, from every ruleset that names it."""

    name: str
    type: str
    label: Text | None = None
    unit: Text | None = None
    low: float | None = None
    high: float | None = None
    options: tuple[str, ...] = ()
    option_labels: dict | None = None


def known_fields() -> dict[str, str]:
    """Every data field a shipped ruleset names, with its type (the input contract's field list)."""
    return {name: spec.type for name, spec in field_specs().items()}


_catalogues = cache.Bounded(32)  # identities of the installed sets (and of a set) → what they name


def verdict_fields() -> dict[str, str]:
    """Fields that carry another ruleset's verdict (computed, never read from a document): field → ruleset id."""
    sets = installed()
    key = ("verdicts",) + tuple(rs.sha256 for rs in sets)
    found = _catalogues.get(key)
    if found is None:
        found = _catalogues.put(key, {c.field: c.verdict_of for rs in sets for cr in rs.criteria for i in cr.indicators
                                      for c in i.all_checks() if c.verdict_of})
    return found


def field_specs(ruleset: Ruleset | None = None) -> dict[str, FieldSpec]:
    """Every data field an installed ruleset names (shipped or in NTM_RULESETS_PATH): type, label,
    unit, plausible range (the widest any ruleset gives, else the type's) and options; with a
    ruleset, also the fields it (and the sets whose verdict it requires) introduces itself."""
    sets = installed()
    key = tuple(rs.sha256 for rs in sets)
    found = _catalogues.get(key)
    if found is None:
        found = _catalogues.put(key, _specs_of(sets))
    if ruleset is None:
        return found
    own_key = key + ("with", ruleset.sha256)
    own = _catalogues.get(own_key)
    if own is None:
        own = _catalogues.put(own_key, {**found, **_specs_of(with_prerequisites(ruleset))})
    return own


def with_prerequisites(ruleset: Ruleset) -> list[Ruleset]:
    """The ruleset and every ruleset whose verdict it requires (the standard set of a model set)."""
    found, queue = [], [ruleset]
    while queue:
        current = queue.pop(0)
        if any(r is current or (r.id == current.id and r.sha256 == current.sha256) for r in found):
            continue
        found.append(current)
        for criterion in current.criteria:
            for indicator in criterion.indicators:
                for check in indicator.all_checks():
                    if check.verdict_of:
                        try:
                            queue.append(load_named_by(current, check.verdict_of))
                        except RulesetError:
                            pass
    return found


def _specs_of(rulesets: list[Ruleset]) -> dict[str, FieldSpec]:
    found: dict[str, dict] = {}
    for ruleset in rulesets:
        for criterion in ruleset.criteria:
            for indicator in criterion.indicators:
                for check in indicator.all_checks():
                    names = []
                    if check.verdict_of is None:  # a verdict is computed, never read from the document
                        names.append((check.field, check.type, check.unit, indicator.name))
                    if check.relative_to and check.relative_to not in DERIVED_FIELDS:
                        names.append((check.relative_to, "number" if check.type == "pct" else check.type, None, None))
                    for name, kind, unit, label in names:
                        entry = found.setdefault(name, {"type": kind, "options": [], "ranges": []})
                        info = ruleset.fields.get(name)
                        entry.setdefault("label", info.label if info else label)
                        if info and info.label:
                            entry["label"] = info.label
                        entry["unit"] = entry.get("unit") or (info.unit if info else None) or unit
                        if info and info.range:
                            entry["ranges"].append(info.range)
                        if info and info.options:
                            entry["option_labels"] = {**entry.get("option_labels", {}), **info.options}
                        if name == check.field and check.options:
                            entry["options"].extend(o for o in check.options if o not in entry["options"])
    specs = {}
    for name, entry in found.items():
        low, high = PLAUSIBLE.get(entry["type"], (None, None))
        if entry["ranges"]:
            low, high = min(r[0] for r in entry["ranges"]), max(r[1] for r in entry["ranges"])
        specs[name] = FieldSpec(name=name, type=entry["type"], label=entry.get("label"), unit=entry.get("unit"),
                                low=low, high=high, options=tuple(entry["options"]),
                                option_labels=entry.get("option_labels"))
    return specs


# ------------------------------------------------------------------------- which set is in force

def installed() -> list[Ruleset]:
    """Every usable ruleset of the shipped folder and NTM_RULESETS_PATH (unusable files are skipped;
    `rulesets list` shows them)."""
    found = []
    for path in shipped_ruleset_paths():
        try:
            found.append(load_ruleset(path))
        except RulesetError:
            continue
    return found


def in_force_for(years: set[int], day: date | None = None, province: str | None = None, region: str | None = None):
    """The standard set that is the law for these assessment years (and date): the province's own
    set when one is installed and in force for them, else the national one. Returns (ruleset,
    reason as Say); InputError naming the period and the command that writes its template when
    no installed set is in force."""
    from ..errors import InputError, Say
    from ..regions import fold
    from .periods import period_of

    def covers(rs: Ruleset) -> bool:
        if rs.level != "standard" or rs.status != "final" or rs.in_force is None:
            return False
        if not all(rs.period.from_ <= y <= rs.period.to for y in years):
            return False
        return day is None or rs.in_force.covers(day)

    candidates = [rs for rs in installed() if covers(rs)]
    shown = ", ".join(str(y) for y in sorted(years)) + (f" ({day.isoformat()})" if day else "")
    if province:
        own = [rs for rs in candidates if rs.province and fold(rs.province) == fold(province)
               and (region is None or not rs.applies_to or region in rs.applies_to)]
        if own:
            chosen = max(own, key=lambda rs: rs.in_force.from_)
            return chosen, Say(f"bộ riêng của tỉnh {chosen.province}, có hiệu lực cho {shown}",
                               f"{chosen.province}'s own set, in force for {shown}")
    national = [rs for rs in candidates if not rs.province]
    if national:
        chosen = max(national, key=lambda rs: rs.in_force.from_)
        return chosen, Say(f"bộ quốc gia có hiệu lực cho {shown}", f"the national set in force for {shown}")
    periods = {period_of(y, day) for y in years}
    if len(periods) > 1:
        names = ", ".join(sorted(p.name for p in periods if p))
        raise InputError(Say(f"các năm {shown} thuộc nhiều giai đoạn ({names}): một lượt chỉ dùng một bộ tiêu chí",
                             f"the years {shown} fall in several periods ({names}): one batch uses one ruleset"),
                         field="year", fix=Say("đánh giá mỗi giai đoạn một lượt, hoặc chọn bằng --ruleset",
                                               "assess each period in its own batch, or choose with --ruleset"))
    period = next(iter(periods))
    year_periods = {period_of(y) for y in years}
    if day is not None and period is not None and year_periods != {period}:
        of_year = ", ".join(sorted(p.name for p in year_periods if p)) or "?"
        raise InputError(Say(f"năm đánh giá {shown.split(' (')[0]} thuộc giai đoạn {of_year}, nhưng ngày đánh giá "
                             f"{day.isoformat()} thuộc giai đoạn {period.name} ({period.decision}, hiệu lực từ "
                             f"{period.in_force_from.isoformat()}): không bộ tiêu chí nào đã cài vừa có hiệu lực ngày đó "
                             "vừa đánh giá năm đó",
                             f"the assessment year {shown.split(' (')[0]} belongs to the {of_year} period, but the assessment "
                             f"date {day.isoformat()} falls in the {period.name} period ({period.decision_en}, in force from "
                             f"{period.in_force_from.isoformat()}): no installed set is both in force that day and assesses "
                             "that year"), field="assessment_date",
                         fix=Say("kiểm tra year và assessment_date; hoặc chọn bộ tiêu chí bằng --ruleset",
                                 "check year and assessment_date; or choose the set with --ruleset"))
    if period is None:
        raise InputError(Say(f"không có giai đoạn tiêu chí quốc gia nào cho {shown}", f"no national criteria period covers {shown}"),
                         field="year", fix=Say("kiểm tra năm đánh giá", "check the assessment year"))
    near = [rs for rs in installed() if rs.level == "standard" and all(rs.period.from_ <= y <= rs.period.to for y in years)
            and (not province or not rs.province or fold(rs.province) == fold(province))]
    drafts = [rs for rs in near if rs.status == "draft"]
    undated = [rs for rs in near if rs.status == "final" and rs.in_force is None]
    if drafts or undated:
        rs = (drafts or undated)[0]
        if drafts:
            done, total = completeness(rs)
            why = Say(f"bộ {rs.id} đã cài cho các năm này nhưng là bản nháp ({done}/{total} chỉ tiêu có ngưỡng)",
                      f"the set {rs.id} is installed for these years but is a draft ({done} of {total} indicators have values)")
            fix = Say("điền các ngưỡng còn thiếu, ghi status = final, rồi rulesets import lại",
                      "fill the missing values, set status = final, and import it again")
        else:
            why = Say(f"bộ {rs.id} đã cài cho các năm này nhưng không ghi ngày có hiệu lực (in_force_from)",
                      f"the set {rs.id} is installed for these years but declares no in-force date (in_force_from)")
            fix = Say("ghi in_force_from (và in_force_to) ở trang \"Bộ tiêu chí\", rồi rulesets import lại; hoặc chọn bằng --ruleset",
                      "write in_force_from (and in_force_to) on the sheet \"Bộ tiêu chí\" and import it again; or choose it with --ruleset")
        raise InputError(Say(f"chưa có bộ tiêu chí nào có hiệu lực cho {shown}: " + why.vi,
                             f"no ruleset is in force for {shown}: " + why.en), field="year", fix=fix)
    command = f"ntm-assess rulesets template --period {period.name} --out bang-tieu-chi-{period.name}.xlsx"
    raise InputError(Say(f"chưa cài bộ tiêu chí nào có hiệu lực cho {shown}: giai đoạn {period.name} ({period.decision}) "
                         "chưa được nhập vào công cụ",
                         f"no installed ruleset is in force for {shown}: the {period.name} period ({period.decision_en}) "
                         "has not been entered"), field="year",
                     fix=Say(f"viết bảng tiêu chí của giai đoạn: {command}, điền theo quyết định, rồi ntm-assess rulesets "
                             "import; hoặc chọn một bộ bằng --ruleset",
                             f"write the period's table: {command}, fill it from the decision, then ntm-assess rulesets "
                             "import; or choose a set with --ruleset"))
