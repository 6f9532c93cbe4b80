"""A batch's assessments as it writes them: what varies per commune in each line, the rest once.

`--format json` for one commune is self-contained: every indicator carries its name, citation,
page, note and department. Over a province that is ~47 kB a commune of text that is the same
for every commune of a region and year. So a batch writes, per commune, a *compact line*:

    {"resolved": KEY, "ruleset": {"id", "sha256"}, "commune", "region", "region_source",
     "commune_group", "year", "attained", "criteria_met", "criteria_total", "certain", "notes",
     "criteria": [{"id", "status", "certain",
                   "indicators": [{"id", "value", "status", "gap", "certain", ...}]}],
     "departments": [...], "levels": ...}

(an indicator also carries `threshold` when it is relative to another field, and `field`,
`operator`, `threshold` and `checks` when it compares several numbers), and once, in
`ruleset.json`, the *static part* of each resolved set the lines name by KEY (the region or
commune group and year): the ruleset's title and note, and per criterion and indicator the
names, citations, pages, notes and departments. `join(line, static)` gives back exactly the
dict of `--format json`; `ntm_rules.batch.read_assessments` does it.
"""
from __future__ import annotations

from .result import Assessment, CriterionResult, IndicatorResult

# what a compact indicator line always carries (see the module docstring for the rest)
ALWAYS = ("value", "status", "gap", "certain")
_INDICATOR_FIELDS = tuple(IndicatorResult.model_fields)
_CRITERION_FIELDS = tuple(CriterionResult.model_fields)
_ASSESSMENT_FIELDS = tuple(Assessment.model_fields)


def static_part(plan) -> dict:
    """The part of every assessment under one resolved set (an `assess._Plan`) that is the same
    for every commune: ruleset title and note, criteria and indicators without their statuses."""
    return {
        "ruleset": plan.ruleset_ref.__dict__,
        "criteria": [{**{k: v for k, v in cstatic.items() if k not in ("status", "indicators", "certain")},
                      "indicators": [{k: v for k, v in ip.static.items() if k not in ALWAYS} for ip in plans]}
                     for _, cstatic, plans in plan.criteria],
    }


def compact_line(assessment: Assessment, key: str) -> dict:
    """What varies per commune, with the key of its resolved set's static part."""
    own = assessment.__dict__
    outline = assessment.outline()
    line = {"resolved": key, "ruleset": {"id": assessment.ruleset.id, "sha256": assessment.ruleset.sha256}}
    for name in ("commune", "region", "region_source", "commune_group", "year", "attained", "criteria_met",
                 "criteria_total", "certain", "notes"):
        line[name] = own[name]
    line["criteria"] = outline
    line["departments"] = assessment.departments_outline()
    line["levels"] = own.get("levels") if "levels" in own else None
    return line


def indicator_line(indicator: IndicatorResult) -> dict:
    """What varies per commune in one full indicator result (see the module docstring)."""
    values = indicator.__dict__
    if indicator.checks:  # several numbers: the decisive one and every check
        line = {"id": indicator.id, **{k: values[k] for k in ("field", "operator", "threshold") + ALWAYS},
                "checks": [c.__dict__ for c in indicator.checks]}
    else:
        line = {"id": indicator.id, **{k: values[k] for k in ALWAYS}}
        if indicator.relative_to:
            line["threshold"] = values["threshold"]
    for k in ("value_text", "value_text_en"):
        if values.get(k) is not None:
            line[k] = values[k]
    return line


def outline_of(assessment: Assessment) -> list:
    """The compact criteria of a full Assessment (a set with prerequisites, built in full)."""
    return [{"id": criterion.id, "status": criterion.status, "certain": criterion.certain,
             "indicators": [indicator_line(i) for i in criterion.indicators]} for criterion in assessment.criteria]


def join(line: dict, static: dict) -> dict:
    """A compact line and its resolved set's static part → the dict of `--format json`."""
    if len(line["criteria"]) != len(static["criteria"]):
        raise ValueError(f"line for {line.get('commune')} does not match its resolved set {line.get('resolved')}")
    criteria = []
    for c_line, c_static in zip(line["criteria"], static["criteria"]):
        if c_line["id"] != c_static["id"] or len(c_line["indicators"]) != len(c_static["indicators"]):
            raise ValueError(f"criterion {c_line['id']} does not match its resolved set {line.get('resolved')}")
        indicators = []
        for i_line, i_static in zip(c_line["indicators"], c_static["indicators"]):
            merged = {**i_static, **i_line}
            indicators.append({name: merged.get(name, _default(IndicatorResult, name)) for name in _INDICATOR_FIELDS})
        merged = {**c_static, "status": c_line["status"], "certain": c_line["certain"], "indicators": indicators}
        criteria.append({name: merged[name] for name in _CRITERION_FIELDS})
    merged = {**line, "ruleset": static["ruleset"], "criteria": criteria}
    return {name: merged.get(name) for name in _ASSESSMENT_FIELDS}


def _default(model, name: str):
    field = model.model_fields[name]
    return None if field.is_required() else field.get_default(call_default_factory=True)


# ------------------------------------------------------------------------ the shapes, as schemas

def line_models():
    """Pydantic models of a compact line (for `ntm-assess schema line`)."""
    from typing import Literal, Optional, Union

    from pydantic import BaseModel, ConfigDict

    from .result import CheckResult, CommuneRef, DepartmentResult, LevelResult, Status, Value

    class _Line(BaseModel):
        model_config = ConfigDict(extra="forbid")

    class IndicatorLine(_Line):
        """What varies per commune in one indicator; the rest is in ruleset.json."""
        id: str
        value: Value = None
        status: Status
        gap: Optional[float] = None
        certain: bool
        threshold: Optional[Union[bool, int, float]] = None  # a relative threshold, or the decisive number's
        field: Optional[str] = None  # an indicator of several numbers: the decisive one
        operator: Optional[str] = None
        checks: Optional[list[CheckResult]] = None
        value_text: Optional[str] = None
        value_text_en: Optional[str] = None

    class CriterionLine(_Line):
        id: str
        status: Status
        certain: bool
        indicators: list[IndicatorLine]

    class RulesetId(_Line):
        id: str
        sha256: str

    class AssessmentLine(_Line):
        """One line of a batch's assessments.jsonl: `resolved` names the static part in
        ruleset.json ("resolved": {KEY: {"ruleset": ..., "criteria": [...]}}) that joins it into
        the shape of `ntm-assess schema result`."""
        resolved: str
        ruleset: RulesetId
        commune: CommuneRef
        region: Optional[str] = None
        region_source: Literal["document", "province", "extremely_disadvantaged", "none"]
        commune_group: Optional[int] = None
        year: int
        attained: bool
        criteria_met: int
        criteria_total: int
        certain: bool
        notes: list[str] = []
        criteria: list[CriterionLine]
        departments: list[DepartmentResult]
        levels: Optional[dict[str, LevelResult]] = None

    return AssessmentLine
