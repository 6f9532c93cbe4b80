"""The outcome kernel: one commune under one resolved set → every check's, indicator's and
criterion's status, value, gap and certainty, the verdict and its certainty, and the departments
that must act. Computed once here; every report, file and answer is a view of it.

One rule combines statuses at every level (checks → indicator → criterion → verdict): not met
when one part is not met, else missing when one part lacks data, else met. One rule combines
certainty: a met holds when every part's does, a failure when one failing part's does.

What makes a check's status hold whatever its true threshold is, and the one combining rule,
live in `certainty`.
"""
from __future__ import annotations

from typing import NamedTuple

from .certainty import ALWAYS, MET, MISSING, NOT_MET, combine, sure_of
from .law.resolve import ResolvedCheck, ResolvedRuleset

def gap(operator: str, threshold, value) -> float | None:
    """How far a value is from its threshold, in its unit (None for yes/no or no value)."""
    if isinstance(threshold, bool) or threshold is None or value is None:
        return None
    if operator == ">=":
        difference = threshold - value
    elif operator == "<=":
        difference = value - threshold
    else:
        difference = abs(value - threshold)
    return float(round(difference, 6))


def relative_threshold(check: ResolvedCheck, values: dict):
    """factor × the commune's own value of the field a relative threshold multiplies (None without it)."""
    base = values.get(check.relative_to)
    return None if base is None else round(check.threshold * base, 6)


class CheckOutcome(NamedTuple):
    """One comparison of an indicator that needs several numbers (e.g. 17.1)."""

    field: str
    value: object
    status: str
    gap: float | None
    certain: bool
    threshold: object


class IndicatorOutcome(NamedTuple):
    """One indicator: the decisive comparison's field, operator and threshold (the applied one for
    a relative threshold), its value and gap; `checks` for an indicator of several numbers."""

    position: int  # in the resolved set's indicators
    id: str
    status: str
    certain: bool
    value: object
    gap: float | None
    field: str
    operator: str
    threshold: object
    checks: tuple | None = None


class CriterionOutcome(NamedTuple):
    position: int  # in the resolved set's criteria
    id: str
    status: str
    certain: bool
    indicators: tuple


class DepartmentOutcome(NamedTuple):
    """A department that must act: the criteria it leads that fail, its indicators not met and
    lacking data. `names`: the set that names it (a lower level's, for the standard a model
    commune still fails); `level` is "standard" then."""

    id: str
    criteria: tuple
    not_met: tuple
    missing: tuple
    verified: bool
    level: str | None
    names: ResolvedRuleset


class LevelOutcome(NamedTuple):
    """One level (standard, advanced, model) of a set that builds on lower levels."""

    attained: bool
    certain: bool
    ruleset: str | None  # the set whose verdict the level is (None for a declared recognition)
    basis: tuple | None  # (vi, en): a declared recognition, as the commune declares it
    lower: "Outcome | None"  # the lower level's own outcome: its failing criteria
    requirements: tuple | None  # the level's own indicators (the set's own level, or a declaration)
    blocked_by: tuple


class Outcome:
    """Everything one commune's assessment under one resolved set says.

    The verdict is one rule (`combine`) over every check of the set (the status of a whole and its
    certainty follow from its checks', whichever way they are grouped): it is computed at once,
    from the checks that fail and those whose met is not sure by itself, which is what keeps 10 000
    kept communes to what their failures cost. The criteria, with each indicator, and the
    departments are the same rule over the checks of each criterion and indicator, computed when
    first read (and kept)."""

    __slots__ = ("resolved", "values", "status", "lower", "attained", "certain", "criteria_met", "_criteria",
                 "_failing", "_departments", "_levels", "_set_kernel")  # its set's kernel, looked up once

    def __init__(self, resolved: ResolvedRuleset, values: dict, status: dict[int, str], lower: dict | None):
        self.resolved, self.values, self.status, self.lower = resolved, values, status, lower
        kernel = _kernel(resolved)
        if status:  # a failing whole is as sure as its surest failing part: its met parts do not count
            parts = [_Part(s, _check_certain(kernel.checks[i], s, values, lower)) for i, s in status.items()]
        else:  # an attained one is sure when every part's met is: those sure by themselves need no look
            parts = [_Part(MET, _check_certain(kernel.checks[i], MET, values, lower)) for i in kernel.not_sure_when_met]
        verdict, self.certain = combine(parts)
        self.attained = verdict == MET
        self.criteria_met = len(resolved.criteria) - len({kernel.criterion_of[i] for i in status})
        self._criteria = self._failing = self._departments = self._levels = None
        self._set_kernel = kernel

    @property
    def criteria_total(self) -> int:
        return len(self.resolved.criteria)

    @property
    def criteria(self) -> tuple:
        """CriterionOutcome, one per criterion of the resolved set (with each indicator's)."""
        if self._criteria is None:
            self._criteria = _criteria(self._set_kernel, self.status, self.values, self.lower)
        return self._criteria

    @property
    def failing_criteria(self) -> tuple:
        """The CriterionOutcome of each criterion not met or lacking data, alone (as `criteria` has
        them): what the departments, the summary's record and the failing indicators read."""
        if self._failing is None:
            if self._criteria is not None:
                self._failing = tuple(c for c in self._criteria if c.status != MET)
            else:
                self._failing = _criteria(self._set_kernel, self.status, self.values, self.lower, failing_only=True)
        return self._failing

    @property
    def departments(self) -> tuple:
        """DepartmentOutcome, in the order their first failing indicator comes."""
        if self._departments is None:
            self._departments = _departments(self._set_kernel, self.failing_criteria, self.lower)
        return self._departments

    def lines(self, varying, varying_met) -> list[dict]:
        """Every criterion as a batch line writes it (`lines.line`): {"id", "status", "certain",
        "indicators": [varying(indicator outcome) ...]} (`Statics.varying`, `Statics.varying_met`).
        The failing criteria from their outcomes; in the others, each indicator met by one comparison
        is written by `varying_met` at once, with the value and
        the certainty rule (`Sure.met_holds`) `criteria` uses, without an outcome object per
        indicator (the batch writes 49 a commune: the hot path `benchmarks/batch.py` measures;
        tests/test_outcome.py checks the lines equal `criteria`'s)."""
        kernel = self._set_kernel
        failing = {c.position: c for c in self.failing_criteria}
        status, values, lower, get = self.status, self.values, self.lower, self.values.get
        out = []
        for c_position, criterion_id, plans in kernel.criteria:
            found = failing.get(c_position)
            if found is not None:  # its met indicators of one comparison as in a criterion met
                out.append({"id": criterion_id, "status": found.status, "certain": found.certain,
                            "indicators": [varying_met(i.id, i.value, i.certain)
                                           if i.status == MET and plan.short is not None else varying(i)
                                           for plan, i in zip(plans, found.indicators)]})
                continue
            every, written = True, []
            for plan in plans:
                short = plan.short
                if short is None:
                    indicator = _indicator(kernel, plan, status, values, lower)
                    every = every and indicator.certain
                    written.append(varying(indicator))
                    continue
                value = get(short[1])
                certain = short[2].met_holds(value)
                if not certain:
                    every = False
                written.append(varying_met(plan.id, value, certain))
            out.append({"id": criterion_id, "status": MET, "certain": every, "indicators": written})
        return out

    @property
    def levels(self) -> dict | None:
        """Level name → LevelOutcome, for a set with prerequisites."""
        if self._levels is None and self.lower is not None:
            self._levels = _levels(self._set_kernel, self.criteria, self.attained, self.certain, self.lower)
        return self._levels

    def failing(self):
        """(criterion, indicator) of each indicator not met or lacking data, in order."""
        for criterion in self.failing_criteria:
            for indicator in criterion.indicators:
                if indicator.status != MET:
                    yield criterion, indicator

    def __eq__(self, other) -> bool:
        return isinstance(other, Outcome) and self.resolved.identity == other.resolved.identity and \
            (self.attained, self.certain, self.criteria, self.departments_key(), self.levels) == \
            (other.attained, other.certain, other.criteria, other.departments_key(), other.levels)

    __hash__ = None

    def departments_key(self) -> tuple:
        return tuple(d[:6] for d in self.departments)

    def __getstate__(self):  # (slots: pickled by name; the kernel is its set's, looked up again)
        return {name: getattr(self, name) for name in self.__slots__ if name != "_set_kernel"}

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)
        self._set_kernel = _kernel(self.resolved)


class _Part(NamedTuple):
    status: str
    certain: bool


def _check_certain(check: tuple, status: str, values: dict, lower: dict | None) -> bool:
    """Whether a check's status holds whatever its true threshold is (`Sure`); a check that stands
    for a lower level's verdict is as sure as that verdict."""
    _, resolved_check, sure = check
    if resolved_check.verdict_of and lower and resolved_check.verdict_of in lower:
        return lower[resolved_check.verdict_of].certain
    return sure.holds(status, values.get(resolved_check.field))


# ------------------------------------------------------------------------------ the computation

class _IndicatorPlan(NamedTuple):
    position: int
    id: str
    criterion: str
    checks: tuple  # (index of the check in the resolved set, ResolvedCheck, Sure)
    department: str
    department_verified: bool
    verdict_of: str | None
    short: tuple | None  # a met result depends on its value alone: (check index, field, Sure, operator, threshold)


class _Kernel:
    """What the computation needs of a resolved set, decided once: each check's rule of certainty,
    and per criterion its indicators. Met indicators whose value is not a float repeat from commune
    to commune (yes/no, counts): one such outcome serves them all (bounded), which keeps a commune
    kept in memory to what its failures cost."""

    SHARED_LIMIT = 20_000

    def __init__(self, resolved: ResolvedRuleset):
        self.resolved = resolved
        self.criteria = []
        index = position = 0
        for c_position, criterion in enumerate(resolved.criteria):
            indicators = []
            for indicator in criterion.indicators:
                checks = tuple((index + k, check, sure_of(check)) for k, check in enumerate(indicator.checks))
                index += len(checks)
                first = indicator.checks[0]
                shareable = len(checks) == 1 and not (first.relative_to or first.options or first.verdict_of)
                indicators.append(_IndicatorPlan(
                    position, indicator.id, criterion.id, checks, indicator.department, indicator.department_verified,
                    first.verdict_of if len(checks) == 1 else None,
                    (checks[0][0], first.field, checks[0][2], first.operator, first.threshold) if shareable else None))
                position += 1
            self.criteria.append((c_position, criterion.id, tuple(indicators)))
        self.plans = {plan.position: plan for _, _, indicators in self.criteria for plan in indicators}
        # every check (index, ResolvedCheck, Sure), its criterion's position, and the checks whose met
        # is not sure by itself (the verdict's certainty looks at them even when they are met)
        self.checks = [entry for _, _, indicators in self.criteria for plan in indicators for entry in plan.checks]
        self.criterion_of = [c for c, _, indicators in self.criteria for plan in indicators for _ in plan.checks]
        self.not_sure_when_met = [i for i, check, sure in self.checks if sure.met != ALWAYS or check.verdict_of]
        self.prerequisites = {plan.id: plan for plan in self.plans.values()
                              if resolved.indicators[plan.position].prerequisite}
        self.shared: dict = {}
        # indicator id → (its criterion's id, its department's assignment confirmed), for `acting_of`
        self.where = {i.id: (i.criterion_id, i.department_verified) for i in resolved.indicators}


def _kernel(resolved: ResolvedRuleset) -> _Kernel:
    return resolved.made("kernel", _Kernel)


def outcome_of(resolved: ResolvedRuleset, values: dict, not_met: list[int], missing: list[int],
               lower: dict[str, "Outcome"] | None = None) -> Outcome:
    """The outcome of one commune: `values` are the values compared (a verdict field holds the
    lower set's verdict), `not_met` and `missing` the indexes of the checks the engine found so;
    `lower` the outcomes of the sets whose verdict this one requires, by set id."""
    status = {index: NOT_MET for index in not_met}
    for index in missing:
        status.setdefault(index, MISSING)
    return Outcome(resolved, values, status, lower)


def _criteria(kernel: _Kernel, status: dict[int, str], values: dict, lower: dict | None,
              failing_only: bool = False) -> tuple:
    """Every criterion's outcome with its indicators'. Most indicators of a commune are met by one
    comparison: those take the short way here (the benchmarks' batch spends most of its Python
    time in this loop); a criterion none of whose checks failed is met, as sure as its indicators."""
    failing = {kernel.criterion_of[i] for i in status}
    found = []
    for c_position, criterion_id, indicators in \
            ([kernel.criteria[c] for c in sorted(failing)] if failing_only else kernel.criteria):
        outcomes = []
        for plan in indicators:
            if plan.short is None or plan.short[0] in status:
                outcomes.append(_indicator(kernel, plan, status, values, lower))
            else:
                outcomes.append(_met(kernel, plan, values.get(plan.short[1])))
        outcomes = tuple(outcomes)
        if c_position in failing:
            found.append(CriterionOutcome(c_position, criterion_id, *combine(outcomes), outcomes))
        else:
            found.append(CriterionOutcome(c_position, criterion_id, MET, all(i.certain for i in outcomes), outcomes))
    return tuple(found)


def _met(kernel: _Kernel, plan: _IndicatorPlan, value) -> IndicatorOutcome:
    """An indicator met by its one comparison (`_IndicatorPlan.short`): its threshold as set, no gap;
    one outcome serves every commune with the same value that is not a float (bounded)."""
    _, field, sure, operator, threshold = plan.short
    if type(value) is float:
        return IndicatorOutcome(plan.position, plan.id, MET, sure.met_holds(value), value, None, field, operator, threshold)
    key = (plan.position, type(value), value)
    found = kernel.shared.get(key)
    if found is None:
        if len(kernel.shared) >= kernel.SHARED_LIMIT:
            kernel.shared.clear()
        found = kernel.shared[key] = IndicatorOutcome(plan.position, plan.id, MET, sure.met_holds(value), value, None,
                                                      field, operator, threshold)
    return found


def _indicator(kernel: _Kernel, plan: _IndicatorPlan, status: dict[int, str], values: dict,
               lower: dict | None) -> IndicatorOutcome:
    if len(plan.checks) == 1:
        index, check, sure = plan.checks[0]
        value = values.get(check.field)
        s = status.get(index, MET)
        if plan.short is not None and s == MET:
            return _met(kernel, plan, value)
        threshold = relative_threshold(check, values) if check.relative_to else check.threshold
        compared = len(set(value)) if check.options and value is not None else value
        certain = _check_certain(plan.checks[0], s, values, lower)
        return IndicatorOutcome(plan.position, plan.id, s, certain, value,
                                gap(check.operator, threshold, compared) if s == NOT_MET else None,
                                check.field, check.operator, threshold)
    checks = []
    for index, check, sure in plan.checks:
        value = values.get(check.field)
        s = status.get(index, MET)
        checks.append(CheckOutcome(check.field, value, s, gap(check.operator, check.threshold, value) if s == NOT_MET
                                   else None, sure.holds(s, value), check.threshold))
    s, certain = combine(checks)
    decisive = next((k for k, c in enumerate(checks) if c.status == s), 0)
    check = plan.checks[decisive][1]
    part = checks[decisive]
    return IndicatorOutcome(plan.position, plan.id, s, certain, part.value, part.gap if s == NOT_MET else None,
                            check.field, check.operator, check.threshold, tuple(checks))


def _departments(kernel: _Kernel, criteria: tuple, lower: dict | None) -> tuple:
    """The departments that must act, in the order their first failing indicator comes: per
    department its failing criteria, indicators not met and lacking data; for a prerequisite
    level that fails, the lower level's own departments (level "standard")."""
    found: dict[tuple, list] = {}
    plans = kernel.plans
    for criterion in criteria:
        if criterion.status == MET:
            continue
        for indicator in criterion.indicators:
            if indicator.status == MET:
                continue
            plan = plans[indicator.position]
            below = lower.get(plan.verdict_of) if lower and plan.verdict_of else None
            if below is not None and indicator.status == NOT_MET:
                for d in below.departments:
                    found.setdefault(("standard", d.id), [d.id, list(d.criteria), list(d.not_met), list(d.missing),
                                                          d.verified, d.level or "standard", d.names])
                continue
            entry = found.get((None, plan.department))
            if entry is None:
                entry = found[(None, plan.department)] = [plan.department, [], [], [], True, None, kernel.resolved]
            if criterion.id not in entry[1]:
                entry[1].append(criterion.id)
            entry[2 if indicator.status == NOT_MET else 3].append(indicator.id)
            entry[4] = entry[4] and plan.department_verified
    return tuple(DepartmentOutcome(i, tuple(c), tuple(n), tuple(m), v, level, names)
                 for i, c, n, m, v, level, names in found.values())


def _levels(kernel: _Kernel, criteria: tuple, attained: bool, certain: bool, lower: dict) -> dict | None:
    """The level the set is for, and each lower level it requires, as named sections."""
    prerequisites = kernel.prerequisites
    if not prerequisites:
        return None
    levels: dict[str, LevelOutcome] = {}
    outcomes = {i.id: i for c in criteria for i in c.indicators}
    for indicator_id, plan in prerequisites.items():
        level = kernel.resolved.indicators[plan.position].prerequisite
        result = outcomes[indicator_id]
        if plan.verdict_of:
            below = lower[plan.verdict_of]
            levels[level] = LevelOutcome(below.attained, below.certain, below.resolved.ruleset.id, None, below, None, ())
        else:
            value = result.value
            basis = (f"theo xã tự khai: được công nhận năm {value} (chưa kiểm tra quyết định công nhận)",
                     f"as the commune declares: recognised in {value} (the recognition decision not checked)") \
                if value is not None else ("xã không khai năm được công nhận", "no recognition declared")
            levels[level] = LevelOutcome(result.status == MET, result.certain, None, basis, None, (result,), ())
    own = tuple(i for c in criteria for i in c.indicators if i.id not in prerequisites)
    blocked = tuple(name for name, level in levels.items() if not level.attained)
    levels[kernel.resolved.ruleset.level] = LevelOutcome(attained, certain, kernel.resolved.ruleset.id, None, None,
                                                        own, blocked)
    return levels


def assignments(resolved: ResolvedRuleset) -> dict:
    """Indicator id → (its criterion's id, its department's assignment confirmed), for a resolved set."""
    return _kernel(resolved).where
