"""The assessment result (the contract's result shape), as pydantic models."""
from __future__ import annotations

from typing import Literal, Optional, Union

import orjson
import threading

from pydantic import BaseModel, ConfigDict, model_serializer

_set = object.__setattr__
Status = Literal["met", "not_met", "missing"]
Value = Optional[Union[bool, int, float, list[str]]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @classmethod
    def trusted(cls, values: dict):
        """Build from a dict that ntm_rules itself produced with every field of the model.

        Validation is skipped (it costs as much as the rules engine per commune); the tests
        check that a trusted instance equals one validated from its own dump.
        """
        instance = cls.__new__(cls)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", cls._all_fields)
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._all_fields = None  # set once the fields are known (see below)


class CheckResult(_Model):
    """One comparison of an indicator that needs several numbers (e.g. 17.1)."""

    field: str
    value: Value = None
    operator: str
    threshold: Union[bool, int, float]
    gap: Optional[float] = None
    status: Status
    verified: bool
    # how reports name this number (from the ruleset's `fields`)
    label: Optional[str] = None
    label_en: Optional[str] = None
    certain: bool = True
    bound: Optional[Literal["at_most", "at_least"]] = None


class IndicatorResult(_Model):
    id: str
    name: str
    name_en: str
    field: str
    value: Value = None
    operator: str
    threshold: Optional[Union[bool, int, float]]
    unit: Optional[str] = None
    # the gap from the threshold, in the unit: a shortfall below a floor, an excess over a ceiling
    gap: Optional[float] = None
    status: Status
    # the legal document and indicator; `source_url` is the public page that restates it
    source: str
    source_url: Optional[str] = None
    # confirmed: stated on a public page that restates the decision (source_url); else believed
    verified: bool
    note: Optional[str] = None
    note_en: Optional[str] = None
    origin: str
    department: str
    department_name: str
    department_name_en: str
    checks: Optional[list[CheckResult]] = None
    # A requirement whose text could not be read: the assessor's yes/no, not checked by the tool.
    declared: bool = False
    # A threshold relative to another field: threshold = factor × that field's value.
    relative_to: Optional[str] = None
    factor: Optional[float] = None
    source_en: Optional[str] = None
    unit_en: Optional[str] = None
    relative_label: Optional[str] = None
    relative_label_en: Optional[str] = None
    # whether the status holds whatever the true threshold is, given what is known
    certain: bool = True
    # what is known of an unconfirmed threshold: the true one is at most / at least this one
    bound: Optional[Literal["at_most", "at_least"]] = None
    department_verified: bool = False
    # a list of options as reports name them (the value keeps the choices' ids)
    value_text: Optional[str] = None
    value_text_en: Optional[str] = None


class CriterionResult(_Model):
    id: str
    name: str
    name_en: str
    group: str
    status: Status
    department: str
    department_name: str
    department_name_en: str
    department_verified: bool
    indicators: list[IndicatorResult]
    certain: bool = True


class DepartmentResult(_Model):
    """What one accountable department must act on: its failing and missing indicators."""

    id: str
    name: str
    name_en: str
    criteria: list[str]
    not_met: list[str]
    missing: list[str]
    # every assignment behind this entry is confirmed (stated on a public page)
    verified: bool = False
    # "standard" when the indicators are the standard criteria a higher-level commune still fails
    level: Optional[str] = None


class RulesetRef(_Model):
    id: str
    title: str
    title_en: str
    sha256: str
    unconfirmed_thresholds: int
    # the ruleset's own note (what it is and is not), printed in every report using it
    note: Optional[str] = None
    note_en: Optional[str] = None
    # why this set assessed the commune when the caller named none: the set in force (and whose)
    chosen_because: Optional[str] = None
    chosen_because_en: Optional[str] = None


class CommuneRef(_Model):
    name: str
    district: Optional[str] = None
    province: Optional[str] = None
    code: Optional[str] = None


class LevelResult(_Model):
    """One level (standard, advanced, model) of a ruleset that builds on lower levels."""

    attained: bool
    ruleset: Optional[str] = None
    basis: Optional[str] = None
    basis_en: Optional[str] = None
    criteria_met: Optional[int] = None
    criteria_total: Optional[int] = None
    # for a lower level assessed by its own ruleset: its criteria that are not met or lack data
    failing_criteria: Optional[list[CriterionResult]] = None
    # for the level the ruleset is for: its own requirements, and the lower levels it still needs
    requirements: Optional[list[IndicatorResult]] = None
    blocked_by: list[str] = []
    certain: bool = True


class Assessment(_Model):
    ruleset: RulesetRef
    commune: CommuneRef
    region: Optional[str] = None
    region_source: Literal["document", "province", "extremely_disadvantaged", "none"] = "document"
    commune_group: Optional[int] = None
    year: int
    attained: bool
    criteria_met: int
    criteria_total: int
    criteria: list[CriterionResult]
    departments: list[DepartmentResult]
    notes: list[str] = []
    levels: Optional[dict[str, LevelResult]] = None
    # attained: every indicator certainly met; not attained: an indicator certainly not met or
    # lacking data. Otherwise the verdict depends on thresholds that are not confirmed.
    certain: bool = True

    # --- Compact until read. An Assessment built by `assess` for a set without prerequisites holds
    # only what varies per commune (statuses, values) and a reference to its resolved set; its
    # `criteria`, `departments` and `levels` (names, citations, URLs, departments joined in) are
    # built the first time they are read or the result is serialised, compared or copied. Kept in a
    # list, 10 000 results cost what their verdicts cost, not 700 000 objects.

    @classmethod
    def compact(cls, values: dict, outcome) -> "Assessment":
        """`values`: every field but criteria, departments and levels; `outcome`: an object whose
        `parts()` returns those three and `outline()` the per-indicator varying part."""
        instance = cls.trusted(values)
        _set(instance, "__pydantic_private__", {"outcome": outcome})
        return instance

    def _outcome(self):
        private = object.__getattribute__(self, "__pydantic_private__")
        return private.get("outcome") if private else None

    def _materialize(self) -> "Assessment":
        if self._outcome() is not None:
            with _MATERIALIZING:  # one thread builds it; the others then find it built
                outcome = self._outcome()
                if outcome is not None:
                    parts = outcome.parts()
                    current = object.__getattribute__(self, "__dict__")
                    _set(self, "__dict__", {name: parts[name] if name in parts else current[name]
                                            for name in _ASSESSMENT_FIELDS})
                    _set(self, "__pydantic_private__", None)
        return self

    def __getattr__(self, name: str):
        if name in _LAZY_FIELDS:
            # built now, or by another thread since the normal lookup missed it
            built = self._materialize().__dict__
            if name in built:
                return built[name]
        return super().__getattr__(name)

    @model_serializer(mode="wrap")
    def _serialize_full(self, handler):
        """Every serialisation (also inside another model, a TypeAdapter or a web framework's
        response model, which read the fields directly) sees the full result."""
        return handler(self._materialize())

    def outline(self) -> dict:
        """Per criterion and indicator, what varies per commune (see `ntm_rules.lines`)."""
        outcome = self._outcome()
        if outcome is not None:
            return outcome.outline()
        from .lines import outline_of
        return outline_of(self)

    def failing_indicators(self) -> list[tuple[str, dict]]:
        """(criterion id, the indicator's result fields as a plain dict) of every indicator not met
        or lacking data, in order, without building the full result when it has not been read."""
        outcome = self._outcome()
        if outcome is not None:
            return outcome.failing()
        return [(c.id, i.__dict__) for c in self.criteria for i in c.indicators if i.status != "met"]

    def not_met_departments(self) -> list[tuple[str, str, bool]]:
        """(department, criterion id, assignment confirmed) of every indicator not met, in order."""
        outcome = self._outcome()
        if outcome is not None:
            return outcome.not_met_departments()
        return [(i.department, c.id, i.department_verified) for c in self.criteria for i in c.indicators
                if i.status == "not_met"]

    def departments_outline(self) -> list[dict]:
        """The accountable departments as plain dicts (without building the full result)."""
        outcome = self._outcome()
        if outcome is not None:
            return outcome.departments()
        return [d.__dict__ for d in self.departments]

    def model_dump(self, *args, **kwargs):
        return super(Assessment, self._materialize()).model_dump(*args, **kwargs)

    def model_dump_json(self, *args, **kwargs):
        return super(Assessment, self._materialize()).model_dump_json(*args, **kwargs)

    def model_copy(self, *args, **kwargs):
        return super(Assessment, self._materialize()).model_copy(*args, **kwargs)

    def __eq__(self, other):
        if isinstance(other, Assessment):
            other._materialize()
        return super(Assessment, self._materialize()).__eq__(other)

    def __hash__(self):
        return super(Assessment, self._materialize()).__hash__()

    def __getstate__(self):
        return super(Assessment, self._materialize()).__getstate__()

    def __copy__(self):
        return super(Assessment, self._materialize()).__copy__()

    def __deepcopy__(self, memo=None):
        return super(Assessment, self._materialize()).__deepcopy__(memo)

    def __repr_args__(self):
        return super(Assessment, self._materialize()).__repr_args__()

    def __iter__(self):
        return super(Assessment, self._materialize()).__iter__()

    def indicators(self):
        for criterion in self.criteria:
            yield from criterion.indicators

    def failing(self) -> list[IndicatorResult]:
        return [i for i in self.indicators() if i.status == "not_met"]

    def missing(self) -> list[IndicatorResult]:
        return [i for i in self.indicators() if i.status == "missing"]


_LAZY_FIELDS = frozenset({"criteria", "departments", "levels"})
_MATERIALIZING = threading.RLock()
_ASSESSMENT_FIELDS = tuple(Assessment.model_fields)

for _model in (CheckResult, IndicatorResult, CriterionResult, DepartmentResult, RulesetRef, CommuneRef, LevelResult,
               Assessment):
    _model._all_fields = set(_model.model_fields)


def _fields_of(obj):
    if isinstance(obj, Assessment):
        return obj._materialize().__dict__
    if isinstance(obj, _Model):
        return obj.__dict__
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dump_json(model: _Model) -> bytes:
    """The same bytes as `model.model_dump_json()`, several times faster (orjson over the
    fields, which ntm_rules keeps in declaration order; a test checks the equality)."""
    return orjson.dumps(model, default=_fields_of)
