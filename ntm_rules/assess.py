"""`assess` and `assess_many`: commune document → resolved ruleset → engine findings → Assessment."""
from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from . import engine
from .inputs.document import parse_document
from .errors import InputError, NtmError, RulesetError, Say, internal_error
from .law.check import completeness
from .law.in_force import in_force_for
from .law.load import load_named_by, load_ruleset, load_ruleset_id, shipped_ruleset_paths
from .regions import region_of_province
from .law.cache import Bounded
from .law.resolve import ResolvedRuleset, resolve
from .result import (Assessment, CheckResult, CommuneRef, CriterionResult, DepartmentResult, IndicatorResult, LevelResult,
                     RulesetRef)
from .law.schema import Ruleset
from .lines import indicator_line

DEFAULT_RULESET = "vn-2016-2020"


def choose_ruleset(document, ruleset: str | os.PathLike | Ruleset | None) -> Ruleset:
    """The caller's ruleset (an id, a path or a loaded set), else the one the document names
    (by id only: a document never names a file), else the set in force for its year and
    assessment date: the province's own when one is installed, else the national one."""
    return chosen_ruleset(document, ruleset)[0]


def chosen_ruleset(document, ruleset: str | os.PathLike | Ruleset | None) -> tuple[Ruleset, Say | None]:
    """`choose_ruleset`, and why when the set was not named (by the caller or the document)."""
    if ruleset is not None:
        return load_ruleset(ruleset), None
    if document.ruleset:
        return load_ruleset_id(document.ruleset), None
    return in_force_for({document.year}, document.assessment_date, document.commune.province, document.region)


def refuse_draft(ruleset: Ruleset) -> None:
    """A draft set (values still to be filled from the decision) never assesses a commune."""
    if ruleset.status == "draft":
        done, total = completeness(ruleset)
        raise InputError(Say(f"bộ tiêu chí {ruleset.id} là bản nháp: mới có {done}/{total} chỉ tiêu có ngưỡng cho mọi vùng "
                             "(nhóm) và mọi năm, nên không dùng để đánh giá xã",
                             f"ruleset {ruleset.id} is a draft: {done} of {total} indicators have values for every region "
                             "(group) and year, so it does not assess communes"), field="ruleset",
                         fix=Say("điền các ngưỡng còn thiếu theo quyết định, ghi status = final, rồi rulesets import lại",
                                 "fill the missing values from the decision, set status = final, and import it again"))


def dimension_of(document, ruleset: Ruleset) -> tuple[str, str]:
    """The region (or commune group) whose thresholds apply, and where it came from."""
    if ruleset.varies_by == "commune_group":
        if document.commune_group is None:
            raise InputError(Say(f"bộ tiêu chí {ruleset.id} chia theo nhóm xã mà tài liệu không ghi nhóm",
                                 f"ruleset {ruleset.id} varies by commune group and the document has none"),
                             field="commune_group", fix=Say("thêm commune_group: 1, 2 hoặc 3 (xem hợp đồng dữ liệu)",
                                                            "add commune_group: 1, 2 or 3 (see the contract)"))
        return str(document.commune_group), "document"
    if document.region:
        return document.region, "document"
    province = document.commune.province
    if province:
        region = region_of_province(province)
        if region:
            return region, "province"
        raise InputError(Say(f"không biết tỉnh {province!r} nên không suy ra được vùng",
                             f"province {province!r} is not a known province, so the region cannot be derived"),
                         field="commune.province",
                         fix=Say("ghi vùng (một trong bảy mã vùng) hoặc sửa tên tỉnh",
                                 "add region (one of the seven region ids) or correct the province name"))
    raise InputError(Say("không có vùng và không có tỉnh", "no region and no province"), field="region",
                     fix=Say("ghi vùng (ví dụ northern_midlands_mountains) hoặc tỉnh (commune.province)",
                             "add region (e.g. northern_midlands_mountains) or commune.province"))


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
        self.fields = engine.fact_fields(resolved)
        rs = resolved.ruleset
        # fields not read as they are from the document: another ruleset's verdict, the year, option lists
        self.verdicts = {c.field: c.verdict_of for _, c in resolved.checks if c.verdict_of}
        self.option_fields = {c.field for _, c in resolved.checks if c.options}
        self.plain = not self.verdicts and not self.option_fields and "assessment_year" not in self.fields
        self.ruleset_ref = RulesetRef(id=rs.id, title=rs.title.vi, title_en=rs.title.en, sha256=rs.sha256,
                                      unconfirmed_thresholds=resolved.unconfirmed,
                                      note=rs.note.vi if rs.note else None, note_en=rs.note.en if rs.note else None)
        # Met indicators with the same value are the same (frozen) result: share them.
        self.met_cache: dict = {}
        self.variants: dict = {}  # this plan with a reason for the set's choice (see `_because`)
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
                    "unit": _unit(first, "vi"), "unit_en": _unit(first, "en"),
                    "source": first.citation.vi, "source_en": first.citation.en, "source_url": first.url,
                    "verified": indicator.verified,
                    "note": notes[0].vi if notes else None, "note_en": notes[0].en if notes else None,
                    "origin": first.origin, "department": indicator.department,
                    "department_name": itext.vi, "department_name_en": itext.en,
                    "department_verified": indicator.department_verified, "checks": None,
                    "declared": first.declared, "relative_to": first.relative_to,
                    "factor": float(first.threshold) if first.relative_to else None,
                    "relative_label": first.relative_label.vi if first.relative_label else None,
                    "relative_label_en": first.relative_label.en if first.relative_label else None,
                    "bound": first.bound if len(indicator.checks) == 1 else None,
                })
                plans.append(_IndicatorPlan(position, indicator, static, checks))
                position += 1
            self.criteria.append((criterion, cstatic, plans))
        # per criterion, per indicator, its checks as (index, check, confirmed): what `_verdict` reads
        self.verdict_plan = [[[(i, c.field, *_certainty_rule(c), len(c.options or ())) for i, c in ip.checks]
                              for ip in plans] for _, _, plans in self.criteria]
        # the same, flat, for `_verdict`: per check its criterion's position and whether a not met
        # is certain; the checks whose met status is not always certain
        self.criterion_of_check = [k for k, indicators in enumerate(self.verdict_plan)
                                   for checks in indicators for _ in checks]
        self.not_met_certain = [entry[3] for indicators in self.verdict_plan for checks in indicators
                                for entry in checks]
        self.met_uncertain = [(i, field, met_rule, options) for indicators in self.verdict_plan
                              for checks in indicators for i, field, met_rule, _, options in checks
                              if met_rule is not True]
        # per criterion, what `_Outcome.outline` reads of each indicator: a single check's
        # (id, index, field, met rule, not met certain, options, operator, threshold, relative check),
        # or the plan of an indicator of several checks
        self.outline_plan = [
            (criterion.id, [(ip.indicator.id, *checks[0][:5], ip.first[1].operator, ip.first[1].threshold,
                             ip.first[1] if ip.first[1].relative_to else None)
                            if len(checks) == 1 else ip for ip, checks in zip(plans, verdict_plan)])
            for (criterion, _, plans), verdict_plan in zip(self.criteria, self.verdict_plan)]

    @functools.cached_property
    def compiled(self) -> engine.CompiledRuleset:
        """The rules registered in the engine, the first time a commune is assessed by them (the
        static parts alone, e.g. a batch's ruleset.json, never need them)."""
        return engine.compile_ruleset(self.resolved)

    def because(self, reason: Say) -> "_Plan":
        """This plan with its ruleset reference saying why the set was chosen (cached per reason)."""
        key = (reason.vi, reason.en)
        found = self.variants.get(key)
        if found is None:
            found = copy.copy(self)
            found.ruleset_ref = RulesetRef.trusted({**self.ruleset_ref.__dict__, "chosen_because": reason.vi,
                                                    "chosen_because_en": reason.en})
            found.met_cache = {}  # results are shared only within one reference
            self.variants[key] = found
        return found



_plans = Bounded(512)  # a resolved set's identity → its _Plan


def plan_for(resolved: ResolvedRuleset) -> _Plan:
    """What a resolved set needs per commune (compiled rules, static result parts), built once."""
    plan = _plans.get(resolved.identity)
    if plan is None:
        plan = _plans.put(resolved.identity, _Plan(resolved))
    return plan


def _unit(check, lang: str) -> str | None:
    if check.unit is not None:
        return check.unit(lang)
    return "%" if check.type == "pct" else None


def check_certain(check, status: str, value) -> bool:
    """Whether a check's status holds whatever its true threshold is, given what is known.

    Missing data is missing whatever the threshold; a confirmed threshold is the law as far as
    the project knows it; an unconfirmed one with a bound on the favourable side of the status
    (income 2016–2019 is at most the 2020 value: a "met" holds) keeps it; so does a value that
    meets the strictest threshold possible (100 %, 0 houses, "Đạt"). A declared requirement is
    the assessor's word: never certain.
    """
    if status == "missing":
        return True
    met_rule, not_met_certain = _certainty_rule(check)
    return _met_certain(met_rule, value, len(check.options or ())) if status == "met" else not_met_certain


def _met_certain(rule, value, options: int) -> bool:
    """A met status under `_certainty_rule`'s first part: always, never, or when the value meets the
    strictest threshold possible."""
    if rule is True or rule is False:
        return rule
    if value is None:
        return False
    if rule == 1:
        return value is True
    if rule == 2:
        return value >= 100
    if rule == 3:
        return value <= 0
    return len(set(value)) >= options


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


def evaluate_document(document, ruleset: Ruleset, reason: Say | None = None) -> Assessment:
    """`reason`: why the set was chosen (the set in force), shown in the result's ruleset."""
    dimension, dimension_source = dimension_of(document, ruleset)
    resolved = resolve(ruleset, dimension, document.year)
    plan = plan_for(resolved)
    if reason is not None:
        plan = plan.because(reason)
    data = document.data.__dict__
    if plan.plain:
        values = {name: data[name] for name in plan.fields if data.get(name) is not None}
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


def _indicator_result(plan: _Plan, ip: _IndicatorPlan, status: list[str], values: dict,
                      lower: dict[str, Assessment] | None) -> IndicatorResult:
    if len(ip.checks) == 1:
        index, check = ip.first
        value = values.get(check.field)
        ind_status = status[index]
        if not ip.cacheable:
            return _special_result(ip, check, value, ind_status, values, lower)
        if ind_status == "met" and type(value) is not float:  # yes/no and whole numbers repeat; floats rarely
            key = (ip.position, type(value), value)
            cached = plan.met_cache.get(key)
            if cached is None:
                if len(plan.met_cache) >= plan._MET_CACHE_LIMIT:
                    plan.met_cache.clear()
                cached = plan.met_cache[key] = IndicatorResult.trusted(
                    {**ip.static, "value": value, "status": "met", "gap": None,
                     "certain": check_certain(check, "met", value)})
            return cached
        gap = _gap(check.operator, check.threshold, value) if ind_status == "not_met" else None
        return IndicatorResult.trusted({**ip.static, "value": value, "status": ind_status, "gap": gap,
                                        "certain": check_certain(check, ind_status, value)})
    parts = []
    for i, c in ip.checks:
        part_value = values.get(c.field)
        parts.append(CheckResult.trusted({
            "field": c.field, "value": part_value, "operator": c.operator, "threshold": c.threshold,
            "gap": _gap(c.operator, c.threshold, part_value) if status[i] == "not_met" else None,
            "status": status[i], "verified": c.verified,
            "label": c.label.vi if c.label else None, "label_en": c.label.en if c.label else None,
            "certain": check_certain(c, status[i], part_value), "bound": c.bound}))
    statuses = [p.status for p in parts]
    if "not_met" in statuses:
        ind_status, decisive = "not_met", statuses.index("not_met")
        # not met whatever the thresholds when one check certainly fails or lacks data
        certain = any(p.certain and p.status != "met" for p in parts)
    elif "missing" in statuses:
        ind_status, decisive, certain = "missing", statuses.index("missing"), True
    else:
        ind_status, decisive, certain = "met", 0, all(p.certain for p in parts)
    check = ip.checks[decisive][1]
    value = values.get(check.field)
    return IndicatorResult.trusted({
        **ip.static, "field": check.field, "operator": check.operator, "threshold": check.threshold,
        "value": value, "status": ind_status, "checks": parts, "certain": certain,
        "gap": _gap(check.operator, check.threshold, value) if ind_status == "not_met" else None})


def _relative_threshold(check, values: dict):
    """factor × the commune's own value of the field a relative threshold multiplies (None without it)."""
    base = values.get(check.relative_to)
    return None if base is None else round(check.threshold * base, 6)


def _special_result(ip: _IndicatorPlan, check, value, ind_status: str, values: dict,
                    lower: dict[str, Assessment] | None) -> IndicatorResult:
    """A relative threshold (factor × another field of the commune), a list of options, or the
    verdict of the ruleset this one requires (as certain as that verdict)."""
    threshold = _relative_threshold(check, values) if check.relative_to else check.threshold
    compared = len(set(value)) if check.options and value is not None else value
    gap = _gap(check.operator, threshold, compared) if ind_status == "not_met" and threshold is not None else None
    if check.verdict_of and lower and check.verdict_of in lower:
        certain = lower[check.verdict_of].certain
    else:
        certain = check_certain(check, ind_status, value)
    texts = {}
    if check.options and value is not None:
        labels = check.option_labels or {}
        texts = {"value_text": ", ".join(labels[o].vi if o in labels else o for o in value),
                 "value_text_en": ", ".join(labels[o].en if o in labels else o for o in value)}
    return IndicatorResult.trusted({**ip.static, "value": value, "threshold": threshold, "status": ind_status,
                                    "gap": gap, "certain": certain, **texts})


def _levels(plan: _Plan, criteria_out: list, attained: bool, certain: bool,
            lower: dict[str, Assessment]) -> dict | None:
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
                "requirements": None, "blocked_by": [], "certain": below.certain})
        else:
            value = result.value
            basis = (f"theo xã tự khai: được công nhận năm {value} (chưa kiểm tra quyết định công nhận)",
                     f"as the commune declares: recognised in {value} (the recognition decision not checked)") \
                if value is not None else ("xã không khai năm được công nhận", "no recognition declared")
            levels[level] = LevelResult.trusted({
                "attained": result.status == "met", "ruleset": None, "basis": basis[0], "basis_en": basis[1],
                "criteria_met": None, "criteria_total": None, "failing_criteria": None,
                "requirements": [result], "blocked_by": [], "certain": result.certain})
    own = [i for i in results.values() if i.id not in {ip.indicator.id for ip in prerequisites}]
    levels[plan.resolved.ruleset.level] = LevelResult.trusted({
        "attained": attained, "ruleset": plan.resolved.ruleset.id, "basis": None, "basis_en": None,
        "criteria_met": None, "criteria_total": None, "failing_criteria": None, "requirements": own,
        "blocked_by": [name for name, level in levels.items() if not level.attained], "certain": certain})
    return levels


def _failing_certain(items) -> bool:
    """A failing status (not met or missing) that holds whatever the thresholds: one certain failure."""
    return any(item.certain for item in items if item.status != "met")


class _Outcome:
    """What one commune's assessment holds until its full result is read: the plan (the resolved
    set, shared by every commune of its region or group and year), the status of each check and
    the values compared. `parts()` builds the full criteria, departments and levels; `outline()`
    the varying part alone (the batch's compact line)."""

    __slots__ = ("plan", "status", "values", "lines")

    def __init__(self, plan: _Plan, status: list[str], values: dict):
        self.plan, self.status, self.values = plan, status, values
        self.lines = None  # the outline, once computed

    def parts(self) -> dict:
        return _parts(self.plan, self.status, self.values, None)

    def outline(self) -> list:
        if self.lines is not None:
            return self.lines
        plan, status, values = self.plan, self.status, self.values
        out = []
        for criterion_id, entries in plan.outline_plan:
            indicators = []
            c_status, every, failing = "met", True, False  # as `_combined`, inline
            for entry in entries:
                if type(entry) is tuple:
                    iid, index, field, met_rule, not_met_certain, options, operator, threshold, relative = entry
                    value = values.get(field)
                    s = status[index]
                    if s == "met":
                        certain = met_rule if met_rule is True or met_rule is False \
                            else _met_certain(met_rule, value, options)
                        every = every and certain
                        line = {"id": iid, "value": value, "status": s, "gap": None, "certain": certain}
                    else:
                        if s == "not_met":
                            certain = not_met_certain
                            c_status = "not_met"
                        else:
                            certain = True
                            if c_status == "met":
                                c_status = "missing"
                        failing = failing or certain
                        line = {"id": iid, "value": value, "status": s,
                                "gap": _gap(operator, threshold, value) if s == "not_met" else None,
                                "certain": certain}
                    if relative is not None:
                        line["threshold"] = _relative_threshold(relative, values)
                        if s == "not_met" and line["threshold"] is not None:
                            line["gap"] = _gap(operator, line["threshold"], value)
                else:  # several numbers: the full result of the indicator carries its checks
                    line = indicator_line(_indicator_result(plan, entry, status, values, None))
                    s, certain = line["status"], line["certain"]
                    if s == "met":
                        every = every and certain
                    else:
                        if s == "not_met":
                            c_status = "not_met"
                        elif c_status == "met":
                            c_status = "missing"
                        failing = failing or certain
                indicators.append(line)
            out.append({"id": criterion_id, "status": c_status,
                        "certain": every if c_status == "met" else failing, "indicators": indicators})
        self.lines = out
        return out

    def _failing_lines(self) -> Iterator[tuple[str, _IndicatorPlan, dict]]:
        """(criterion id, indicator plan, outline line) of each indicator not met or lacking data."""
        for (criterion, _, indicator_plans), c_line in zip(self.plan.criteria, self.outline()):
            if c_line["status"] == "met":
                continue
            for ip, line in zip(indicator_plans, c_line["indicators"]):
                if line["status"] != "met":
                    yield criterion.id, ip, line

    def failing(self) -> list[tuple[str, dict]]:
        """(criterion id, result fields) of each indicator not met or lacking data: its outline
        line joined to its static part, as `lines.join` does."""
        return [(criterion_id, {**ip.static, **line}) for criterion_id, ip, line in self._failing_lines()]

    def not_met_departments(self) -> list[tuple[str, str, bool]]:
        """(department, criterion id, assignment confirmed) of each indicator not met."""
        return [(ip.static["department"], criterion_id, ip.static["department_verified"])
                for criterion_id, ip, line in self._failing_lines() if line["status"] == "not_met"]

    def departments(self) -> list[dict]:
        """The accountable departments, as `_parts` lists them, from the outline's statuses."""
        found: dict[tuple, dict] = {}
        for criterion_id, ip, line in self._failing_lines():
            _add_department(found, criterion_id, ip.indicator.id, ip.static, line["status"])
        return list(found.values())


def _combined(states) -> tuple[str, bool]:
    """A criterion's (or verdict's) status and certainty from its parts' (status, certain): not met
    if one part is not met, else missing if one lacks data, else met; a met is certain when every
    part is, a failure when one failing part is."""
    status, every, failing = "met", True, False
    for s, certain in states:
        if s == "met":
            every = every and certain
            continue
        if s == "not_met":
            status = "not_met"
        elif status == "met":
            status = "missing"
        failing = failing or certain
    return status, every if status == "met" else failing


def _certainty_rule(check) -> tuple:
    """The certainty rule of one check, decided once (`check_certain` applies it): (how a met status
    is certain, whether a not-met status is certain). The first is True or False, or a code for the strictest value test
    (1 "Đạt", 2 ≥ 100 %, 3 ≤ 0, 4 every option)."""
    if check.verified:
        return True, True
    if check.declared:
        return False, False
    easier = None
    if check.bound is not None and check.operator in (">=", "<="):
        easier = (check.operator == ">=") == (check.bound == "at_most")
    if easier:
        met = True
    elif check.relative_to:
        met = False
    elif isinstance(check.threshold, bool):
        met = 1
    elif check.options:
        met = 4
    elif check.operator == ">=":
        met = 2 if check.type == "pct" else False
    elif check.operator == "<=":
        met = 3
    else:
        met = False
    return met, easier is False


def _verdict(plan: _Plan, failing: list[tuple[int, bool]], values: dict) -> tuple[int, bool, bool]:
    """(criteria met, attained, certain) from the checks that fail ((index, lacks data)), without
    building a result object. The same rules as the full result (`_certainty_rule`, then
    `_combined` over checks, indicators and criteria), which reduce to: a failing verdict is
    certain when one failing check is (data missing, or a not met that holds whatever the
    threshold); an attained one when every met check is."""
    if not failing:
        certain = True
        for index, field, met_rule, options in plan.met_uncertain:
            if met_rule is False or not _met_certain(met_rule, values.get(field), options):
                certain = False
                break
        return len(plan.criteria), True, certain
    criteria = plan.criterion_of_check
    not_met_certain = plan.not_met_certain
    failed = {criteria[index] for index, _ in failing}
    certain = any(missing or not_met_certain[index] for index, missing in failing)
    return len(plan.criteria) - len(failed), False, certain


def build_assessment(plan: _Plan, document, values: dict, findings: list[int], dimension_source: str,
                     lower: dict[str, Assessment] | None = None) -> Assessment:
    resolved = plan.resolved
    status = ["met"] * len(resolved.checks)
    failing = []
    for code in findings:
        if code >= 0:
            status[code >> 1] = "missing" if code & 1 else "not_met"
            failing.append((code >> 1, bool(code & 1)))
    info = document.commune
    by_region = plan.resolved.ruleset.varies_by == "region"
    head = {
        "ruleset": plan.ruleset_ref,
        "commune": CommuneRef.trusted({"name": info.name, "district": info.district, "province": info.province,
                                       "code": info.code}),
        "region": resolved.dimension if by_region else None,
        "region_source": dimension_source if by_region else "none",
        "commune_group": None if by_region else int(resolved.dimension),
        "year": resolved.year,
    }
    if lower is None:  # compact until read
        met, attained, certain = _verdict(plan, failing, values)
        return Assessment.compact({**head, "attained": attained, "criteria_met": met,
                                   "criteria_total": len(plan.criteria), "notes": [], "certain": certain},
                                  _Outcome(plan, status, values))
    parts = _parts(plan, status, values, lower)
    return Assessment.trusted({
        **head, "attained": parts["attained"], "criteria_met": parts["criteria_met"],
        "criteria_total": len(parts["criteria"]), "criteria": parts["criteria"], "departments": parts["departments"],
        "notes": [], "levels": parts["levels"], "certain": parts["certain"]})


def _parts(plan: _Plan, status: list[str], values: dict, lower: dict[str, Assessment] | None) -> dict:
    """The full criteria (names, citations, departments joined in), departments and levels."""
    criteria_out = []
    departments: dict[tuple, dict] = {}
    criteria_met = 0
    for criterion, cstatic, indicator_plans in plan.criteria:
        indicators_out = []
        criterion_status = "met"
        for ip in indicator_plans:
            result = _indicator_result(plan, ip, status, values, lower)
            indicators_out.append(result)
            ind_status = result.status
            if ind_status != "met":
                if ind_status == "not_met":
                    criterion_status = "not_met"
                elif criterion_status == "met":
                    criterion_status = "missing"
                below = ip.first[1].verdict_of
                if below and lower and below in lower and ind_status == "not_met":
                    # a prerequisite level that fails: what its own departments must act on
                    for d in lower[below].departments:
                        departments.setdefault(("standard", d.id), {**d.__dict__, "level": d.level or "standard"})
                    continue
                _add_department(departments, criterion.id, ip.indicator.id, result.__dict__, ind_status)
        if criterion_status == "met":
            criteria_met += 1
            certain = all(i.certain for i in indicators_out)
        else:
            certain = _failing_certain(indicators_out)
        criteria_out.append(CriterionResult.trusted({**cstatic, "status": criterion_status,
                                                     "indicators": indicators_out, "certain": certain}))
    attained = criteria_met == len(criteria_out)
    certain = all(c.certain for c in criteria_out) if attained else _failing_certain(criteria_out)
    return {
        "criteria": criteria_out, "criteria_met": criteria_met, "attained": attained, "certain": certain,
        "departments": [d if isinstance(d, DepartmentResult) else DepartmentResult.trusted(d) for d in departments.values()],
        "levels": None if lower is None else _levels(plan, criteria_out, attained, certain, lower),
    }


def _add_department(departments: dict, criterion_id: str, indicator_id: str, assignment: dict, status: str) -> None:
    """Count a failing indicator for its department. `assignment`: the indicator's fields (a result's
    or its plan's static part) department, department_name(_en) and department_verified."""
    key = (None, assignment["department"])
    dept = departments.get(key)
    if dept is None:
        dept = departments[key] = {
            "id": assignment["department"], "name": assignment["department_name"],
            "name_en": assignment["department_name_en"],
            "criteria": [], "not_met": [], "missing": [], "verified": True, "level": None}
    if criterion_id not in dept["criteria"]:
        dept["criteria"].append(criterion_id)
    dept[status].append(indicator_id)
    dept["verified"] = dept["verified"] and assignment["department_verified"]


def assess(commune: Any, ruleset: str | os.PathLike | Ruleset | None = None, *, source: str = "") -> Assessment:
    """Assess one commune document (a dict in the contract's shape, or a parsed document).

    Raises InputError for an unusable document, RulesetError for an unusable ruleset,
    EngineError if the rules engine fails and InternalError for a bug in ntm-rules; never
    anything that is not an NtmError.
    """
    return assess_document(commune, ruleset, source)


def assess_document(commune: Any, ruleset: str | os.PathLike | Ruleset | None = None, source: str = "",
                    from_json: bool = False) -> Assessment:
    """`assess`; `from_json`: the document is a dict `inputs.document.strict_json` read (the batch)."""
    try:
        caller = load_ruleset(ruleset) if ruleset is not None else None
        document = parse_document(commune, source, caller, from_json)
        try:
            chosen, reason = chosen_ruleset(document, caller)
        except RulesetError:
            if ruleset is not None or not document.ruleset:
                raise
            known = ", ".join(p.stem for p in shipped_ruleset_paths())
            raise InputError(Say(f"không có bộ tiêu chí {document.ruleset!r}", f"no ruleset {document.ruleset!r}"),
                             field="ruleset", fix=Say(f"dùng một trong {known}, hoặc một bộ trong thư mục của NTM_RULESETS_PATH",
                                                      f"use one of {known}, or one in a folder of NTM_RULESETS_PATH")) from None
        refuse_draft(chosen)
        return evaluate_document(document, chosen, reason)
    except InputError as error:
        raise error.at(source) if source and not error.source else error
    except NtmError:
        raise
    except Exception as error:
        raise internal_error(error) from error


@dataclass(frozen=True)
class Rejected:
    """A document `assess_many(..., errors="collect")` could not assess: its position and why."""

    index: int
    error: NtmError


def assess_many(communes: Iterable[Any], ruleset: str | os.PathLike | Ruleset | None = None, *,
                errors: str = "raise") -> Iterator[Assessment | Rejected]:
    """Assess communes one by one, yielding Assessments in input order.

    A bad document raises InputError whose ``index`` is its position in `communes`; with
    ``errors="collect"`` it yields ``Rejected(index, error)`` instead and goes on. Documents may
    be dicts from pandas (`document_from_row`): NaN is no data, numpy scalars their values.
    """
    if errors not in ("raise", "collect"):
        raise InputError(Say(f"errors={errors!r} không có", f"errors={errors!r} is not an option"), field="errors",
                         fix=Say('dùng "raise" hoặc "collect"', 'use "raise" or "collect"'))
    fixed = load_ruleset(ruleset) if ruleset is not None else None
    if fixed is not None:
        refuse_draft(fixed)
    chosen: dict[tuple, tuple[Ruleset, Say | None]] = {}
    for index, commune in enumerate(communes):
        try:
            document = parse_document(commune, ruleset=fixed)
            use, reason = fixed, None
            if use is None:
                key = (document.ruleset, document.year, document.assessment_date, document.commune.province,
                       document.region)
                found = chosen.get(key)
                if found is None:
                    found = chosen[key] = chosen_ruleset(document, None)
                    refuse_draft(found[0])
                use, reason = found
            result = evaluate_document(document, use, reason)
        except InputError as error:
            failure = InputError(error.says, source=error.source or f"item {index}", field=error.field,
                                 fix=error.fixes, index=index)
            if errors == "collect":
                yield Rejected(index, failure)
                continue
            raise failure from None
        except RulesetError as error:
            if errors == "collect":
                yield Rejected(index, error)
                continue
            raise
        except NtmError:
            raise
        except Exception as error:
            raise internal_error(error) from error
        yield result
