"""`assess` and `assess_many`: commune document → resolved ruleset → engine findings → Assessment."""
from __future__ import annotations

import os
from typing import Any, Iterable, Iterator

from . import engine
from .commune import parse_document
from .errors import InputError, NtmError, RulesetError, internal_error
from .loader import load_named_by, load_ruleset, load_ruleset_id, shipped_ruleset_paths
from .regions import region_of_province
from .resolve import ResolvedRuleset, resolve
from .result import (Assessment, CheckResult, CommuneRef, CriterionResult, DepartmentResult, IndicatorResult, LevelResult,
                     RulesetRef)
from .schema import Ruleset

DEFAULT_RULESET = "vn-2016-2020"


def choose_ruleset(document, ruleset: str | os.PathLike | Ruleset | None) -> Ruleset:
    """The caller's ruleset (an id, a path or a loaded set), else the one the document names
    (by id only: a document never names a file), else the national default."""
    if ruleset is not None:
        return load_ruleset(ruleset)
    return load_ruleset_id(document.ruleset or DEFAULT_RULESET)


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


def _in_field_order(model, values: dict) -> dict:
    """The model's fields in declaration order (placeholders for the per-commune ones), so a
    result dict built from it serialises exactly as pydantic would (see result.dump_json)."""
    return {name: values.get(name) for name in model.model_fields}


class _IndicatorPlan:
    __slots__ = ("position", "indicator", "static", "checks", "first", "cacheable")

    def __init__(self, position, indicator, static, checks):
        self.position, self.indicator, self.static, self.checks = position, indicator, static, checks
        self.first = checks[0]  # (check index, ResolvedCheck)
        # a met result can be shared between communes only if it depends on the value alone
        self.cacheable = not any(c.relative_to or c.options for _, c in checks)


class _Plan:
    """What a resolved ruleset needs per commune, computed once: static result parts and indexes."""

    _MET_CACHE_LIMIT = 20_000

    def __init__(self, resolved: ResolvedRuleset):
        self.resolved = resolved
        self.compiled = engine.compile_ruleset(resolved)
        self.fields = self.compiled.fields
        rs = resolved.ruleset
        # fields not read as they are from the document: another ruleset's verdict, the year, option lists
        self.verdicts = {c.field: c.verdict_of for _, c in resolved.checks if c.verdict_of}
        self.option_fields = {c.field for _, c in resolved.checks if c.options}
        self.plain = not self.verdicts and not self.option_fields and "assessment_year" not in self.fields
        self.ruleset_ref = RulesetRef(id=rs.id, title=rs.title.vi, title_en=rs.title.en, sha256=rs.sha256,
                                      unconfirmed_thresholds=resolved.unconfirmed)
        # Met indicators with the same value are the same (frozen) result: share them.
        self.met_cache: dict = {}
        self.criteria = []
        index = position = 0
        for criterion in resolved.criteria:
            dtext = rs.departments[criterion.department]
            cstatic = _in_field_order(CriterionResult, {
                "id": criterion.id, "name": criterion.name.vi, "name_en": criterion.name.en,
                "group": criterion.group, "department": criterion.department, "department_name": dtext.vi,
                "department_name_en": dtext.en, "department_verified": criterion.department_verified})
            plans = []
            for indicator in criterion.indicators:
                checks = [(index + k, c) for k, c in enumerate(indicator.checks)]
                index += len(checks)
                first = indicator.checks[0]
                notes = [c.note for c in indicator.checks if c.note is not None]
                itext = rs.departments[indicator.department]
                static = _in_field_order(IndicatorResult, {
                    "id": indicator.id, "name": indicator.name.vi, "name_en": indicator.name.en,
                    "field": first.field, "operator": first.operator, "threshold": first.threshold,
                    "unit": first.unit.vi if first.unit else ("%" if first.type == "pct" else None),
                    "source": first.citation, "source_url": first.url, "verified": indicator.verified,
                    "note": notes[0].vi if notes else None, "note_en": notes[0].en if notes else None,
                    "origin": first.origin, "department": indicator.department,
                    "department_name": itext.vi, "department_name_en": itext.en, "checks": None,
                    "declared": first.declared, "relative_to": first.relative_to,
                    "factor": float(first.threshold) if first.relative_to else None,
                })
                plans.append(_IndicatorPlan(position, indicator, static, checks))
                position += 1
            self.criteria.append((criterion, cstatic, plans))


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
    return float(round(gap, 6))


def evaluate_document(document, ruleset: Ruleset) -> Assessment:
    dimension, dimension_source = dimension_of(document, ruleset)
    resolved = resolve(ruleset, dimension, document.year)
    plan = _plan(resolved)
    data = document.data.__dict__
    if plan.plain:
        values = {name: data[name] for name in plan.fields if data[name] is not None}
        return build_assessment(plan, document, values, engine.evaluate(plan.compiled, values), dimension_source)
    lower: dict[str, Assessment] = {}
    values = {}
    for name in plan.fields:
        if name in plan.verdicts:  # the verdict of the ruleset this one requires, by the same engine
            below = lower[plan.verdicts[name]] = evaluate_document(document, load_named_by(ruleset, plan.verdicts[name]))
            values[name] = below.attained
        elif name == "assessment_year":
            values[name] = document.year
        elif data.get(name) is not None:
            values[name] = data[name]
    facts = {k: (len(set(v)) if k in plan.option_fields else v) for k, v in values.items()}
    findings = engine.evaluate(plan.compiled, facts)
    return build_assessment(plan, document, values, findings, dimension_source, lower)


def _indicator_result(plan: _Plan, ip: _IndicatorPlan, status: list[str], values: dict) -> IndicatorResult:
    if len(ip.checks) == 1:
        index, check = ip.first
        value = values.get(check.field)
        ind_status = status[index]
        if not ip.cacheable:
            return _special_result(ip, check, value, ind_status, values)
        if ind_status == "met" and type(value) is not float:  # yes/no and whole numbers repeat; floats rarely
            key = (ip.position, type(value), value)
            cached = plan.met_cache.get(key)
            if cached is None:
                if len(plan.met_cache) >= plan._MET_CACHE_LIMIT:
                    plan.met_cache.clear()
                cached = plan.met_cache[key] = IndicatorResult.trusted(
                    {**ip.static, "value": value, "status": "met", "gap": None})
            return cached
        gap = _gap(check.operator, check.threshold, value) if ind_status == "not_met" else None
        return IndicatorResult.trusted({**ip.static, "value": value, "status": ind_status, "gap": gap})
    statuses = [status[i] for i, _ in ip.checks]
    if "not_met" in statuses:
        ind_status, decisive = "not_met", ip.checks[statuses.index("not_met")][1]
    elif "missing" in statuses:
        ind_status, decisive = "missing", ip.checks[statuses.index("missing")][1]
    else:
        ind_status, decisive = "met", ip.first[1]
    value = values.get(decisive.field)
    parts = [CheckResult.trusted({
        "field": c.field, "value": values.get(c.field), "operator": c.operator, "threshold": c.threshold,
        "gap": _gap(c.operator, c.threshold, values.get(c.field)) if status[i] == "not_met" else None,
        "status": status[i], "verified": c.verified})
        for i, c in ip.checks]
    return IndicatorResult.trusted({
        **ip.static, "field": decisive.field, "operator": decisive.operator, "threshold": decisive.threshold,
        "value": value, "status": ind_status, "checks": parts,
        "gap": _gap(decisive.operator, decisive.threshold, value) if ind_status == "not_met" else None})


def _special_result(ip: _IndicatorPlan, check, value, ind_status: str, values: dict) -> IndicatorResult:
    """A relative threshold (factor × another field of the commune) or a list of options."""
    threshold = check.threshold
    if check.relative_to:
        base = values.get(check.relative_to)
        threshold = None if base is None else round(check.threshold * base, 6)
    compared = len(set(value)) if check.options and value is not None else value
    gap = _gap(check.operator, threshold, compared) if ind_status == "not_met" and threshold is not None else None
    return IndicatorResult.trusted({**ip.static, "value": value, "threshold": threshold, "status": ind_status, "gap": gap})


def _levels(plan: _Plan, criteria_out: list, attained: bool, lower: dict[str, Assessment]) -> dict | None:
    """The level the ruleset is for, and each lower level it requires, as named sections."""
    results = {i.id: i for c in criteria_out for i in c.indicators}
    prerequisites = [ip for _, _, plans in plan.criteria for ip in plans if ip.indicator.prerequisite]
    if not prerequisites:
        return None
    levels = {}
    for ip in prerequisites:
        level = ip.indicator.prerequisite
        result = results[ip.indicator.id]
        check = ip.first[1]
        if check.verdict_of:
            below = lower[check.verdict_of]
            levels[level] = LevelResult.trusted({
                "attained": below.attained, "ruleset": below.ruleset.id, "basis": None, "basis_en": None,
                "criteria_met": below.criteria_met, "criteria_total": below.criteria_total,
                "failing_criteria": [c for c in below.criteria if c.status != "met"],
                "requirements": None, "blocked_by": []})
        else:
            value = result.value
            basis = (f"tự khai báo: được công nhận năm {value}", f"declared: recognised {value}") if value is not None \
                else ("không khai báo năm được công nhận", "no recognition declared")
            levels[level] = LevelResult.trusted({
                "attained": result.status == "met", "ruleset": None, "basis": basis[0], "basis_en": basis[1],
                "criteria_met": None, "criteria_total": None, "failing_criteria": None,
                "requirements": [result], "blocked_by": []})
    own = [i for i in results.values() if i.id not in {ip.indicator.id for ip in prerequisites}]
    levels[plan.resolved.ruleset.level] = LevelResult.trusted({
        "attained": attained, "ruleset": plan.resolved.ruleset.id, "basis": None, "basis_en": None,
        "criteria_met": None, "criteria_total": None, "failing_criteria": None, "requirements": own,
        "blocked_by": [name for name, level in levels.items() if not level.attained]})
    return levels


def build_assessment(plan: _Plan, document, values: dict, findings: list[int], dimension_source: str,
                     lower: dict[str, Assessment] | None = None) -> Assessment:
    resolved = plan.resolved
    rs = resolved.ruleset
    status = ["met"] * len(resolved.checks)
    for code in findings:
        if code >= 0:
            status[code >> 1] = "missing" if code & 1 else "not_met"
    criteria_out = []
    departments: dict[str, dict] = {}
    criteria_met = 0
    for criterion, cstatic, indicator_plans in plan.criteria:
        indicators_out = []
        criterion_status = "met"
        for ip in indicator_plans:
            result = _indicator_result(plan, ip, status, values)
            indicators_out.append(result)
            ind_status = result.status
            if ind_status != "met":
                if ind_status == "not_met":
                    criterion_status = "not_met"
                elif criterion_status == "met":
                    criterion_status = "missing"
                dept_id = ip.indicator.department
                dept = departments.get(dept_id)
                if dept is None:
                    dept = departments[dept_id] = {
                        "id": dept_id, "name": result.department_name, "name_en": result.department_name_en,
                        "criteria": [], "not_met": [], "missing": []}
                if criterion.id not in dept["criteria"]:
                    dept["criteria"].append(criterion.id)
                dept[ind_status].append(ip.indicator.id)
        if criterion_status == "met":
            criteria_met += 1
        criteria_out.append(CriterionResult.trusted({**cstatic, "status": criterion_status,
                                                     "indicators": indicators_out}))
    info = document.commune
    notes = []
    if dimension_source == "province":
        notes.append(f"region {resolved.dimension} derived from province {info.province}")
    by_region = rs.varies_by == "region"
    return Assessment.trusted({
        "ruleset": plan.ruleset_ref,
        "commune": CommuneRef.trusted({"name": info.name, "district": info.district, "province": info.province,
                                       "code": info.code}),
        "region": resolved.dimension if by_region else None,
        "region_source": dimension_source if by_region else "none",
        "commune_group": None if by_region else int(resolved.dimension),
        "year": resolved.year,
        "attained": criteria_met == len(criteria_out),
        "criteria_met": criteria_met, "criteria_total": len(criteria_out),
        "criteria": criteria_out, "departments": [DepartmentResult.trusted(d) for d in departments.values()],
        "notes": notes,
        "levels": None if lower is None else _levels(plan, criteria_out, criteria_met == len(criteria_out), lower),
    })


def assess(commune: Any, ruleset: str | os.PathLike | Ruleset | None = None, *, source: str = "") -> Assessment:
    """Assess one commune document (a dict in the contract's shape, or a parsed document).

    Raises InputError for an unusable document, RulesetError for an unusable ruleset,
    EngineError if the rules engine fails and InternalError for a bug in ntm-rules; never
    anything that is not an NtmError.
    """
    try:
        document = parse_document(commune, source)
        try:
            chosen = choose_ruleset(document, ruleset)
        except RulesetError:
            if ruleset is not None or not document.ruleset:
                raise
            known = ", ".join(p.stem for p in shipped_ruleset_paths())
            raise InputError(f"no ruleset {document.ruleset!r}", field="ruleset",
                             fix=f"use one of {known}, or one in a folder of NTM_RULESETS_PATH") from None
        return evaluate_document(document, chosen)
    except InputError as error:
        raise error.at(source) if source and not error.source else error
    except NtmError:
        raise
    except Exception as error:
        raise internal_error(error) from error


def assess_many(communes: Iterable[Any], ruleset: str | os.PathLike | Ruleset | None = None) -> Iterator[Assessment]:
    """Assess communes one by one, yielding Assessments in input order.

    A bad document raises InputError whose ``index`` is its position in `communes`.
    """
    fixed = load_ruleset(ruleset) if ruleset is not None else None
    chosen: dict[str | None, Ruleset] = {}
    for index, commune in enumerate(communes):
        try:
            document = parse_document(commune)
            use = fixed
            if use is None:
                use = chosen.get(document.ruleset)
                if use is None:
                    use = chosen[document.ruleset] = choose_ruleset(document, None)
            result = evaluate_document(document, use)
        except InputError as error:
            raise InputError(error.message, source=error.source or f"item {index}", field=error.field,
                             fix=error.fix, index=index) from None
        except NtmError:
            raise
        except Exception as error:
            raise internal_error(error) from error
        yield result
