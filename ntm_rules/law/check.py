"""The format's rules a schema alone cannot say (``check_ruleset``: one line per problem), what a
ruleset id and a field name may be, and how complete a set is (``completeness``, ``unconfirmed``)."""
from __future__ import annotations

import math
import re

from ..errors import printable
from ..limits import MAX_TEXT, PERIOD_YEARS, THRESHOLD_COUNT_MAX, THRESHOLD_NUMBER_MAX
from .schema import DERIVED_FIELDS, Ruleset, Threshold

# A ruleset id: what a document, a batch row or a ruleset's `extends:` may name (never a path).
RULESET_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
_ID = re.compile(RULESET_ID_PATTERN)


def is_ruleset_id(name: str) -> bool:
    return isinstance(name, str) and len(name) <= MAX_TEXT and bool(_ID.match(name)) and ".." not in name


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

    for fname, info in rs.fields.items():
        bad = field_name_problem(fname)
        if bad:
            problem(f"fields.{printable(fname)[:60]}", bad, "write the field's name as the indicators use it")
        if info.range is not None:
            low, high = info.range
            if not (math.isfinite(low) and math.isfinite(high)) or low > high:
                problem(f"fields.{printable(fname)[:60]}.range", f"[{low}, {high}] is not a range of values",
                        "write two finite numbers, the lower first")
    for key, source in rs.sources.items():
        if source.url is not None and not source.url.lower().startswith(("https://", "http://")):
            problem(f"sources.{printable(key)[:60]}.url", f"{printable(source.url)[:60]!r} is not the address of a web page",
                    "write the page's address, starting with https:// or http://")
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
