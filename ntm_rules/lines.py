"""A batch's assessments as it writes them: what varies per commune in each line, the rest once.

`--format json` for one commune is self-contained: every indicator carries its name, citation,
page, note and department. Over a province that is ~47 kB a commune of text that is the same
for every commune of a region and year. So a batch writes, per commune, the Assessment's
*varying part* (`statics.VARYING`):

    {"resolved": KEY, "ruleset": {"id", "sha256"}, "commune", "region", "region_source",
     "commune_group", "year", "attained", "criteria_met", "criteria_total", "certain", "notes",
     "criteria": [{"id", "status", "certain",
                   "indicators": [{"id", "value", "status", "gap", "certain", ...}]}],
     "departments": [...], "levels": ...}

and once, in `ruleset.json`, the *static part* of each resolved set the lines name by KEY (its
`Statics`). `join(line, static)` gives back exactly the dict of `--format json`;
`ntm_rules.batch.read_assessments` does it. The line's schema (`line_model`) is made from the
result's own models, keeping their varying fields.
"""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, create_model

from .result import Assessment, CriterionResult, IndicatorResult
from .statics import VARYING, VARYING_CRITERION, Statics, department_fields

ALWAYS = ("value", "status", "gap", "certain")  # in every indicator's line; the rest of VARYING when it varies
_INDICATOR_FIELDS = tuple(IndicatorResult.model_fields)
_CRITERION_FIELDS = tuple(CriterionResult.model_fields)
HEAD = ("commune", "region", "region_source", "commune_group", "year", "attained", "criteria_met", "criteria_total",
        "certain", "notes")


def static_part(statics: Statics) -> dict:
    """The part of every assessment under one resolved set that is the same for every commune:
    the ruleset's reference, criteria and indicators without their statuses."""
    criteria, position = [], 0
    for criterion_static, criterion in zip(statics.criteria_static, statics.resolved.criteria):
        count = len(criterion.indicators)
        criteria.append({**{k: v for k, v in criterion_static.items() if k not in VARYING_CRITERION},
                         "indicators": [{k: v for k, v in static.items() if k not in ALWAYS}
                                        for static in statics.indicators_static[position:position + count]]})
        position += count
    return {"ruleset": statics.ruleset_ref.__dict__, "criteria": criteria}


def line(assessment: Assessment, key: str) -> dict:
    """What varies per commune, with the key of its resolved set's static part."""
    outcome, statics = assessment.outcome, assessment.statics
    own = assessment.__dict__
    out = {"resolved": key, "ruleset": {"id": assessment.ruleset.id, "sha256": assessment.ruleset.sha256}}
    for name in HEAD:
        out[name] = own[name] if name in own else getattr(assessment, name)
    out["criteria"] = outcome.lines(statics.varying, statics.varying_met)
    out["departments"] = [department_fields(d) for d in outcome.departments]
    out["levels"] = assessment.levels if outcome.levels is not None else None
    return out


def join(line: dict, static: dict) -> dict:
    """A line and its resolved set's static part → the dict of `--format json`."""
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
    return {name: merged.get(name) for name in FIELD_ORDER}


FIELD_ORDER = tuple(Assessment.model_fields) + tuple(Assessment.model_computed_fields)


def _default(model, name: str):
    field = model.model_fields[name]
    return None if field.is_required() else field.get_default(call_default_factory=True)


# ------------------------------------------------------------------------------ the line's shape

def line_model() -> type[BaseModel]:
    """The model of one line of assessments.jsonl (for `ntm-assess schema line`), made from the
    result's models: an indicator's and a criterion's varying fields, the Assessment's own."""
    config = ConfigDict(extra="forbid")

    def optional(model, name):
        info = model.model_fields[name]
        return (Optional[info.annotation], None) if name not in ("id", "status", "certain") else (info.annotation, ...)

    indicator = create_model("IndicatorLine", __config__=config, __doc__="What varies per commune in one "
                             "indicator; the rest is in ruleset.json.",
                             **{name: optional(IndicatorResult, name) for name in ("id", *VARYING)})
    criterion = create_model("CriterionLine", __config__=config, id=(str, ...),
                             status=CriterionResult.model_fields["status"].annotation, certain=(bool, ...),
                             indicators=(list[indicator], ...))
    ruleset = create_model("RulesetId", __config__=config, id=(str, ...), sha256=(str, ...))
    fields = {name: (info.annotation, info) for name, info in Assessment.model_fields.items() if name != "ruleset"}
    computed = {name: (info.return_type, ...) for name, info in Assessment.model_computed_fields.items()}
    computed["criteria"] = (list[criterion], ...)
    computed["levels"] = (computed["levels"][0], None)
    return create_model("AssessmentLine", __config__=config, __doc__="One line of a batch's assessments.jsonl: "
                        "`resolved` names the static part in ruleset.json (\"resolved\": {KEY: {\"ruleset\": ..., "
                        "\"criteria\": [...]}}) that joins it into the shape of `ntm-assess schema result`.",
                        resolved=(str, ...), ruleset=(ruleset, ...), **fields, **computed)


__all__ = ["static_part", "line", "join", "line_model"]
