"""`assess` and `assess_many`: commune document → resolved ruleset → engine findings → Assessment."""
from __future__ import annotations

import os
from typing import Any, Iterable, Iterator

from . import engine
from .commune import parse_document
from .errors import InputError
from .loader import load_ruleset
from .regions import region_of_province
from .resolve import ResolvedRuleset, resolve
from .result import Assessment
from .schema import Ruleset

DEFAULT_RULESET = "vn-2016-2020"


def choose_ruleset(document, ruleset: str | os.PathLike | Ruleset | None) -> Ruleset:
    """The caller's ruleset, else the one the document names, else the national default."""
    return load_ruleset(ruleset if ruleset is not None else (document.ruleset or DEFAULT_RULESET))


def dimension_of(document, ruleset: Ruleset) -> tuple[str, str]:
    """The region (or commune group) whose thresholds apply, and where it came from."""
    if ruleset.varies_by == "commune_group":
        if document.commune_group is None:
            raise InputError(f"ruleset {ruleset.id} varies by commune group and the document has none",
                             field="commune_group", fix="add commune_group: 1, 2 or 3 (see the contract)")
        return str(document.commune_group), "document"
    if document.region:
        return document.region, "document"
    province = document.commune.province
    if province:
        region = region_of_province(province)
        if region:
            return region, "province"
        raise InputError(f"province {province!r} is not a known province, so the region cannot be derived",
                         field="commune.province", fix="add region (one of the seven region ids) or correct the province name")
    raise InputError("no region and no province", field="region",
                     fix="add region (e.g. northern_midlands_mountains) or commune.province")


class _Plan:
    """What a resolved ruleset needs per commune, computed once: static result parts and indexes."""

    __slots__ = ("resolved", "compiled", "fields", "indicator_checks", "static")

    def __init__(self, resolved: ResolvedRuleset):
        self.resolved = resolved
        self.compiled = engine.compile_ruleset(resolved)
        self.fields = self.compiled.fields
        rs = resolved.ruleset
        index = 0
        self.indicator_checks = []
        self.static = []
        for indicator in resolved.indicators:
            first = indicator.checks[0]
            idxs = list(range(index, index + len(indicator.checks)))
            index += len(indicator.checks)
            self.indicator_checks.append(idxs)
            notes = [c.note for c in indicator.checks if c.note is not None]
            self.static.append({
                "id": indicator.id, "name": indicator.name.vi, "name_en": indicator.name.en,
                "unit": first.unit.vi if first.unit else ("%" if first.type == "pct" else None),
                "source": first.citation, "source_url": first.url, "verified": indicator.verified,
                "note": notes[0].vi if notes else None, "note_en": notes[0].en if notes else None,
                "origin": first.origin, "department": indicator.department,
                "department_name": rs.departments[indicator.department].vi,
                "department_name_en": rs.departments[indicator.department].en,
            })


_plans: dict[str, _Plan] = {}


def _plan(resolved: ResolvedRuleset) -> _Plan:
    plan = _plans.get(resolved.key)
    if plan is None:
        plan = _plans[resolved.key] = _Plan(resolved)
    return plan


def _gap(operator: str, threshold, value) -> float | None:
    if isinstance(threshold, bool) or value is None:
        return None
    if operator == ">=":
        gap = threshold - value
    elif operator == "<=":
        gap = value - threshold
    else:
        gap = abs(value - threshold)
    return round(gap, 6)


def evaluate_document(document, ruleset: Ruleset) -> Assessment:
    dimension, dimension_source = dimension_of(document, ruleset)
    resolved = resolve(ruleset, dimension, document.year)
    plan = _plan(resolved)
    data = document.data
    values = {}
    for name in plan.fields:
        value = getattr(data, name)
        if value is not None:
            values[name] = value
    findings = engine.evaluate(plan.compiled, values)
    return build_assessment(plan, document, values, findings, dimension_source)


def build_assessment(plan: _Plan, document, values: dict, findings: list[int], dimension_source: str) -> Assessment:
    resolved = plan.resolved
    checks = resolved.checks
    status = ["met"] * len(checks)
    for code in findings:
        if code >= 0:
            status[code >> 1] = "missing" if code & 1 else "not_met"
    criteria_out = []
    departments: dict[str, dict] = {}
    criteria_met = 0
    position = 0
    rs = resolved.ruleset
    for criterion in resolved.criteria:
        indicators_out = []
        criterion_status = "met"
        for indicator in criterion.indicators:
            idxs = plan.indicator_checks[position]
            static = plan.static[position]
            position += 1
            statuses = [status[i] for i in idxs]
            if "not_met" in statuses:
                ind_status, decisive = "not_met", idxs[statuses.index("not_met")]
            elif "missing" in statuses:
                ind_status, decisive = "missing", idxs[statuses.index("missing")]
            else:
                ind_status, decisive = "met", idxs[0]
            check = checks[decisive][1]
            value = values.get(check.field)
            item = dict(static)
            item.update(field=check.field, value=value, operator=check.operator, threshold=check.threshold,
                        status=ind_status,
                        gap=_gap(check.operator, check.threshold, value) if ind_status == "not_met" else None)
            if len(idxs) > 1:
                item["checks"] = [
                    {"field": checks[i][1].field, "value": values.get(checks[i][1].field),
                     "operator": checks[i][1].operator, "threshold": checks[i][1].threshold, "status": status[i],
                     "verified": checks[i][1].verified,
                     "gap": _gap(checks[i][1].operator, checks[i][1].threshold, values.get(checks[i][1].field))
                     if status[i] == "not_met" else None}
                    for i in idxs]
            indicators_out.append(item)
            if ind_status != "met":
                if ind_status == "not_met":
                    criterion_status = "not_met"
                elif criterion_status == "met":
                    criterion_status = "missing"
                dept = departments.get(indicator.department)
                if dept is None:
                    text = rs.departments[indicator.department]
                    dept = departments[indicator.department] = {
                        "id": indicator.department, "name": text.vi, "name_en": text.en,
                        "criteria": [], "not_met": [], "missing": []}
                if criterion.id not in dept["criteria"]:
                    dept["criteria"].append(criterion.id)
                dept[ind_status].append(indicator.id)
        if criterion_status == "met":
            criteria_met += 1
        dtext = rs.departments[criterion.department]
        criteria_out.append({
            "id": criterion.id, "name": criterion.name.vi, "name_en": criterion.name.en, "group": criterion.group,
            "status": criterion_status, "department": criterion.department, "department_name": dtext.vi,
            "department_name_en": dtext.en, "department_verified": criterion.department_verified,
            "indicators": indicators_out})
    info = document.commune
    notes = []
    if dimension_source == "province":
        notes.append(f"region {resolved.dimension} derived from province {info.province}")
    return Assessment.model_validate({
        "ruleset": {"id": rs.id, "title": rs.title.vi, "title_en": rs.title.en, "sha256": rs.sha256,
                    "unconfirmed_thresholds": resolved.unconfirmed},
        "commune": {"name": info.name, "district": info.district, "province": info.province, "code": info.code},
        "region": resolved.dimension if rs.varies_by == "region" else None,
        "region_source": dimension_source if rs.varies_by == "region" else "none",
        "commune_group": int(resolved.dimension) if rs.varies_by == "commune_group" else None,
        "year": resolved.year,
        "attained": criteria_met == len(criteria_out),
        "criteria_met": criteria_met, "criteria_total": len(criteria_out),
        "criteria": criteria_out, "departments": list(departments.values()), "notes": notes,
    })


def assess(commune: Any, ruleset: str | os.PathLike | Ruleset | None = None, *, source: str = "") -> Assessment:
    """Assess one commune document (a dict in the contract's shape, or a parsed document).

    Raises InputError for an unusable document, RulesetError for an unusable ruleset and
    EngineError if the rules engine fails; never a durable_rules exception.
    """
    document = parse_document(commune, source)
    try:
        return evaluate_document(document, choose_ruleset(document, ruleset))
    except InputError as error:
        raise error.at(source) if source and not error.source else error


def assess_many(communes: Iterable[Any], ruleset: str | os.PathLike | Ruleset | None = None) -> Iterator[Assessment]:
    """Assess communes one by one, yielding Assessments in input order."""
    fixed = load_ruleset(ruleset) if ruleset is not None else None
    for commune in communes:
        document = parse_document(commune)
        yield evaluate_document(document, fixed if fixed is not None else choose_ruleset(document, None))
