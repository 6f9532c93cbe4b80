"""Resolution: a validated ruleset narrowed to one region (or commune group) and one year.

The result lists exactly the thresholds the engine will apply, each with its citation,
whether it is confirmed, and the ruleset it came from. It is what the engine compiles and
what `ntm-assess rulesets show` prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError, Say
from .cache import Bounded
from .departments import provincial
from .schema import Check, Ruleset, Text, Threshold


@dataclass(frozen=True)
class ResolvedCheck:
    field: str
    type: str
    operator: str
    threshold: bool | int | float
    unit: Text | None
    citation: Text  # the legal document and indicator ("Quyết định 1980/QĐ-TTg, chỉ tiêu 9.1")
    url: str | None  # the public page that restates it (not the document itself)
    verified: bool
    note: Text | None
    origin: str
    relative_to: str | None = None
    verdict_of: str | None = None
    declared: bool = False
    options: tuple[str, ...] | None = None
    absent: str = "missing"
    bound: str | None = None  # an unconfirmed value's known side: "at_most" or "at_least"
    label: Text | None = None  # the field's own label, when the ruleset gives one
    relative_label: Text | None = None  # the label of the field a relative threshold multiplies
    option_labels: dict | None = None  # for type options: choice → Text


@dataclass(frozen=True)
class ResolvedIndicator:
    id: str
    name: Text
    criterion_id: str
    checks: tuple[ResolvedCheck, ...]
    department: str
    department_verified: bool
    department_origin: str
    department_note: Text | None
    prerequisite: str | None = None
    department_basis: Text | None = None  # a province's department named for a ministry: that ministry
    # what the set itself assigns (id, confirmed), when the department above is named for it
    assigned: tuple | None = None

    @property
    def verified(self) -> bool:
        return all(c.verified for c in self.checks)


@dataclass(frozen=True)
class ResolvedCriterion:
    id: str
    name: Text
    group: str
    department: str
    department_verified: bool
    department_origin: str
    department_note: Text | None
    indicators: tuple[ResolvedIndicator, ...]
    department_basis: Text | None = None


@dataclass(frozen=True)
class ResolvedRuleset:
    ruleset: Ruleset
    dimension: str  # the region id, or the commune group as text
    year: int
    criteria: tuple[ResolvedCriterion, ...]
    indicators: tuple[ResolvedIndicator, ...] = field(repr=False)
    checks: tuple[tuple[ResolvedIndicator, ResolvedCheck], ...] = field(repr=False)
    # the names of the departments it assigns: the set's own, and a province's for a ministry
    departments: dict = field(default=None, repr=False, compare=False)
    # what is built from it, once (`made`): the kernel, statics, facts and rules' name of every
    # commune assessed under it. Kept with it, they live as long as it does (`_resolved` bounds
    # the sets) and are found without a lookup: one cache per resolved set's identity, not four
    built: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def made(self, kind: str, make):
        """What `make(self)` builds from this set, built once and kept with it (two threads may
        both build it: the same value)."""
        found = self.built.get(kind)
        if found is None:
            found = self.built[kind] = make(self)
        return found

    def __getstate__(self):  # pickled without what was built from it (built again when needed)
        return {**self.__dict__, "built": {}}

    @property
    def key(self) -> str:
        """A short name for it within one set (a batch's lines name their part of ruleset.json by it)."""
        return f"{self.ruleset.id}-{self.ruleset.sha256[:16]}-{self.dimension}-{self.year}"

    @property
    def identity(self) -> tuple[str, str, int]:
        """What every cache of resolved sets (and of what is built from them) is keyed by."""
        return self.ruleset.sha256, self.dimension, self.year

    @property
    def unconfirmed(self) -> int:
        return sum(1 for _, c in self.checks if not c.verified)

    def department_text(self, department_id: str) -> Text:
        return self.departments.get(department_id) or Text(vi=department_id, en=department_id)

    def department_name(self, department_id: str, lang: str = "vi") -> str:
        return self.department_text(department_id)(lang)


def entries_for(check: Check, dimension: str, year: int) -> Threshold | None:
    value = check.thresholds.get(dimension) or check.thresholds.get("all")
    if value is None:
        return None
    for entry in value if isinstance(value, list) else [value]:
        if entry.years is None or entry.years[0] <= year <= entry.years[1]:
            return entry
    return None


_resolved = Bounded(512)  # (the set's identity, region or group, year) → ResolvedRuleset


def resolve(ruleset: Ruleset, dimension: str | int, year: int) -> ResolvedRuleset:
    """The thresholds of `ruleset` for one region (or group) and year; cached by the set's identity."""
    key = (ruleset.sha256, str(dimension), int(year))
    return _resolved.of(key, lambda: _resolve(ruleset, str(dimension), int(year)))


def _resolve(ruleset: Ruleset, dimension: str, year: int) -> ResolvedRuleset:
    rs = ruleset
    if not rs.period.from_ <= year <= rs.period.to:
        raise InputError(Say(f"năm {year} nằm ngoài giai đoạn của bộ tiêu chí {rs.id} ({rs.period.from_}–{rs.period.to})",
                             f"{year} is outside the period of ruleset {rs.id} ({rs.period.from_}–{rs.period.to})"),
                         field="year", fix=Say(f"ghi năm từ {rs.period.from_} đến {rs.period.to}, hoặc chọn bộ tiêu chí khác",
                                               f"give a year from {rs.period.from_} to {rs.period.to}, or choose another ruleset"))
    allowed = rs.applies_to or list(rs.dimension_values)
    if dimension not in allowed:
        what = "region" if rs.varies_by == "region" else "commune_group"
        raise InputError(Say(f"bộ tiêu chí {rs.id} không có ngưỡng cho {'vùng' if what == 'region' else 'nhóm xã'} {dimension}",
                             f"ruleset {rs.id} has no thresholds for {what} {dimension}"), field=what,
                         fix=Say(f"dùng một trong {', '.join(allowed)}, hoặc chọn bộ tiêu chí khác",
                                 f"use one of {', '.join(allowed)}, or choose another ruleset"))
    criteria, flat, checks = [], [], []
    names = dict(rs.departments)

    def assigned(assignment) -> tuple:
        """(id, verified, basis, what the set assigns): a ministry becomes the province's department
        (unconfirmed); the set's own assignment is kept for what compares the law (`diff`)."""
        found = provincial(rs, assignment.id, year)
        if found is None:
            return assignment.id, assignment.verified, None, None
        names[found.id] = found.name
        return found.id, False, found.basis, (assignment.id, assignment.verified)

    for criterion in rs.criteria:
        indicators = []
        for indicator in criterion.indicators:
            resolved_checks = []
            for check in indicator.all_checks():
                entry = entries_for(check, dimension, year)
                source = rs.sources[entry.source]
                field_info = rs.fields.get(check.field)
                base_info = rs.fields.get(check.relative_to) if check.relative_to else None
                resolved_checks.append(ResolvedCheck(
                    field=check.field, type=check.type, operator=check.operator, threshold=entry.value,
                    unit=check.unit or (field_info.unit if field_info else None),
                    citation=_citation(rs, source, entry, indicator.id),
                    url=source.url, verified=entry.verified,
                    note=entry.note or (source.note if not entry.verified else None), origin=entry._origin or rs.id,
                    relative_to=check.relative_to, verdict_of=check.verdict_of, declared=check.declared,
                    options=tuple(check.options) if check.options else None, absent=check.absent,
                    bound=entry.bound, label=field_info.label if field_info else None,
                    relative_label=base_info.label if base_info else None,
                    option_labels=field_info.options if field_info else None))
            assignment = indicator.department or criterion.department
            department, verified, basis, own = assigned(assignment)
            resolved = ResolvedIndicator(
                id=indicator.id, name=indicator.name, criterion_id=criterion.id, checks=tuple(resolved_checks),
                department=department, department_verified=verified,
                department_origin=assignment._origin or rs.id,
                department_note=assignment.note or rs.sources[assignment.source].note,
                prerequisite=indicator.prerequisite, department_basis=basis, assigned=own)
            indicators.append(resolved)
            flat.append(resolved)
            checks.extend((resolved, c) for c in resolved_checks)
        d = criterion.department
        department, verified, basis, _ = assigned(d)
        criteria.append(ResolvedCriterion(
            id=criterion.id, name=criterion.name, group=criterion.group, department=department,
            department_verified=verified, department_origin=d._origin or rs.id,
            department_note=d.note or rs.sources[d.source].note, indicators=tuple(indicators),
            department_basis=basis))
    return ResolvedRuleset(ruleset=rs, dimension=dimension, year=year, criteria=tuple(criteria),
                           indicators=tuple(flat), checks=tuple(checks), departments=names)


def _citation(rs: Ruleset, source, entry: Threshold, indicator_id: str) -> Text:
    """The legal text a threshold comes from: the one its source names, else the legal document
    of the ruleset it came from (a parent's, for an inherited threshold)."""
    if source.document is not None:
        return Text(vi=f"{source.document.vi}, chỉ tiêu {indicator_id}", en=f"{source.document.en}, indicator {indicator_id}")
    document = rs._lineage.get(entry._origin or rs.id)
    if document is None:
        return Text(vi=rs.citation(indicator_id), en=rs.citation(indicator_id, "en"))
    return Text(vi=f"{document[0]}, chỉ tiêu {indicator_id}", en=f"{document[1]}, indicator {indicator_id}")
