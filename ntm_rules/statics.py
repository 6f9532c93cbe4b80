"""What every assessment under one resolved set shares, held once (a flyweight), and the views
that join it to one commune's outcome.

A resolved set's `Statics` keeps, per criterion and indicator, the parts of the result that are
the same for every commune of its region (or group) and year: names, citations, units, pages,
notes, departments; an `Assessment` references it and builds its criteria, departments and
levels from it and its outcome when first read. A batch writes the same static parts once, in
ruleset.json (`lines.py`).
"""
from __future__ import annotations

from .errors import Say
from .law.resolve import ResolvedRuleset
from .certainty import MET
from .outcome import Outcome
from .result import CheckResult, CriterionResult, DepartmentResult, IndicatorResult, LevelResult, RulesetRef

# what varies per commune in an indicator's result (the rest is static); a line of a batch writes these
VARYING = ("value", "status", "gap", "certain", "threshold", "field", "operator", "checks", "value_text",
           "value_text_en")
VARYING_CRITERION = ("status", "certain", "indicators")


def _in_field_order(model, values: dict) -> dict:
    """The model's fields in declaration order (placeholders for the varying ones), so that a dict
    joined from it serialises exactly as pydantic would (see result.dump_json)."""
    return {name: values.get(name) for name in model.model_fields}


def check_unit(check, lang: str) -> str | None:
    """A resolved check's unit in a language ("%" for a percentage without one of its own)."""
    if check.unit is not None:
        return check.unit(lang)
    return "%" if check.type == "pct" else None


class Statics:
    """The static parts of every result under one resolved set."""

    def __init__(self, resolved: ResolvedRuleset):
        self.resolved = resolved
        rs = resolved.ruleset
        self.ruleset_ref = RulesetRef.trusted(_in_field_order(RulesetRef, {
            "id": rs.id, "title": rs.title.vi, "title_en": rs.title.en, "sha256": rs.sha256,
            "unconfirmed_thresholds": resolved.unconfirmed, "note": rs.note.vi if rs.note else None,
            "note_en": rs.note.en if rs.note else None}))
        self.criteria_static = []
        self.indicators_static = []  # by the indicator's position in the resolved set
        self.checks_static = []  # per indicator of several numbers: each check's static part, else None
        self.option_labels = []
        for criterion in resolved.criteria:
            names = resolved.department_text(criterion.department)
            self.criteria_static.append(_in_field_order(CriterionResult, {
                "id": criterion.id, "name": criterion.name.vi, "name_en": criterion.name.en, "group": criterion.group,
                "department": criterion.department, "department_name": names.vi, "department_name_en": names.en,
                "department_verified": criterion.department_verified, **_basis(criterion)}))
            for indicator in criterion.indicators:
                first = indicator.checks[0]
                notes = [c.note for c in indicator.checks if c.note is not None]
                names = resolved.department_text(indicator.department)
                self.indicators_static.append(_in_field_order(IndicatorResult, {
                    "id": indicator.id, "name": indicator.name.vi, "name_en": indicator.name.en,
                    "field": first.field, "operator": first.operator, "threshold": first.threshold,
                    "unit": check_unit(first, "vi"), "unit_en": check_unit(first, "en"),
                    "source": first.citation.vi, "source_en": first.citation.en, "source_url": first.url,
                    "verified": indicator.verified,
                    "note": notes[0].vi if notes else None, "note_en": notes[0].en if notes else None,
                    "origin": first.origin, "department": indicator.department,
                    "department_name": names.vi, "department_name_en": names.en,
                    "department_verified": indicator.department_verified,
                    "declared": first.declared, "relative_to": first.relative_to,
                    "factor": float(first.threshold) if first.relative_to else None,
                    "relative_label": first.relative_label.vi if first.relative_label else None,
                    "relative_label_en": first.relative_label.en if first.relative_label else None,
                    "bound": first.bound if len(indicator.checks) == 1 else None, **_basis(indicator)}))
                self.checks_static.append(
                    [{"operator": c.operator, "verified": c.verified, "label": c.label.vi if c.label else None,
                      "label_en": c.label.en if c.label else None, "bound": c.bound} for c in indicator.checks]
                    if len(indicator.checks) > 1 else None)
                self.option_labels.append(first.option_labels or {} if first.options else None)
        self._refs: dict = {}  # (a dict, not a Bounded: a Statics is pickled with its Assessment)
        self._met: dict = {}  # shared met indicator results (see `indicator`)

    def ref(self, reason: Say | None) -> RulesetRef:
        """The set's reference, saying why it was chosen when the caller did not name it."""
        if reason is None:
            return self.ruleset_ref
        said = (reason("vi"), reason("en"))  # worded for the front that shows it (errors.FRONT)
        found = self._refs.get(said)
        if found is None:
            if len(self._refs) >= 64:  # a reason names the years (and date) of a choice: a few at most
                self._refs.clear()
            found = self._refs[said] = RulesetRef.trusted({**self.ruleset_ref.__dict__, "chosen_because": said[0],
                                                           "chosen_because_en": said[1]})
        return found

    # ------------------------------------------------------------------------------- the views
    @staticmethod
    def varying_met(indicator_id: str, value, certain: bool) -> dict:
        """`varying` of an indicator met by its one comparison (no gap, no threshold of its own, no
        options): what `Outcome.lines` writes without an outcome object."""
        return {"id": indicator_id, "value": value, "status": MET, "gap": None, "certain": certain}

    def varying(self, indicator, models: bool = False) -> dict:
        """What varies per commune in one indicator's result (`VARYING`): a batch line's part (its
        checks as plain dicts; as CheckResult with `models`)."""
        line = {"id": indicator.id, "value": indicator.value, "status": indicator.status, "gap": indicator.gap,
                "certain": indicator.certain}
        if indicator.checks is not None:
            line.update(field=indicator.field, operator=indicator.operator, threshold=indicator.threshold,
                        checks=[CheckResult.trusted(self._check(indicator.position, k, c)) if models else
                                self._check(indicator.position, k, c) for k, c in enumerate(indicator.checks)])
        elif self.indicators_static[indicator.position]["relative_to"]:
            line["threshold"] = indicator.threshold
        labels = self.option_labels[indicator.position]
        if labels is not None and indicator.value is not None:
            line["value_text"] = ", ".join(labels[o].vi if o in labels else o for o in indicator.value)
            line["value_text_en"] = ", ".join(labels[o].en if o in labels else o for o in indicator.value)
        return line

    def _check(self, position: int, index: int, check) -> dict:
        """The fields of one check's `CheckResult`, in the model's order."""
        static = self.checks_static[position][index]
        return {"field": check.field, "value": check.value, "operator": static["operator"],
                "threshold": check.threshold, "gap": check.gap, "status": check.status, "verified": static["verified"],
                "label": static["label"], "label_en": static["label_en"], "certain": check.certain,
                "bound": static["bound"]}

    def indicator(self, indicator) -> IndicatorResult:
        static = self.indicators_static[indicator.position]
        if indicator.status == MET and indicator.checks is None and type(indicator.value) is not float \
                and static["relative_to"] is None and self.option_labels[indicator.position] is None:
            key = (indicator.position, type(indicator.value), indicator.value, indicator.certain)
            found = self._met.get(key)  # yes/no and counts repeat from commune to commune: one result serves
            if found is None:
                if len(self._met) > 20_000:
                    self._met.clear()
                found = self._met[key] = IndicatorResult.trusted({**static, **self.varying(indicator, True)})
            return found
        return IndicatorResult.trusted({**static, **self.varying(indicator, True)})

    def criterion(self, criterion) -> CriterionResult:
        return CriterionResult.trusted({**self.criteria_static[criterion.position], "status": criterion.status,
                                        "indicators": [self.indicator(i) for i in criterion.indicators],
                                        "certain": criterion.certain})

    def criteria(self, outcome: Outcome) -> list[CriterionResult]:
        return [self.criterion(c) for c in outcome.criteria]

    def departments(self, outcome: Outcome) -> list[DepartmentResult]:
        return [department(d) for d in outcome.departments]

    def levels(self, outcome: Outcome) -> dict[str, LevelResult] | None:
        if outcome.levels is None:
            return None
        found = {}
        for name, level in outcome.levels.items():
            lower = level.lower
            found[name] = LevelResult.trusted({
                "attained": level.attained, "ruleset": level.ruleset,
                "basis": level.basis[0] if level.basis else None, "basis_en": level.basis[1] if level.basis else None,
                "criteria_met": lower.criteria_met if lower is not None else None,
                "criteria_total": lower.criteria_total if lower is not None else None,
                "failing_criteria": [statics_of(lower.resolved).criterion(c) for c in lower.criteria if c.status != MET]
                if lower is not None else None,
                "requirements": [self.indicator(i) for i in level.requirements] if level.requirements is not None
                else None,
                "blocked_by": list(level.blocked_by), "certain": level.certain})
        return found


def _basis(assigned) -> dict:
    """A province's department named for a ministry: that ministry, the basis of the assignment."""
    basis = assigned.department_basis
    return {"department_basis": basis.vi, "department_basis_en": basis.en} if basis is not None else {}


def department(d) -> DepartmentResult:
    """A department that must act, named by the set that assigns it (`DepartmentOutcome.names`)."""
    return DepartmentResult.trusted(department_fields(d))


def department_fields(d) -> dict:
    """The fields of `department(d)`, in the model's order (a batch line writes them as they are)."""
    name = d.names.department_text(d.id)
    return {"id": d.id, "name": name.vi, "name_en": name.en, "criteria": list(d.criteria), "not_met": list(d.not_met),
            "missing": list(d.missing), "verified": d.verified, "level": d.level}


def statics_of(resolved: ResolvedRuleset) -> Statics:
    return resolved.made("statics", Statics)
