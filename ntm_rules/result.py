"""The assessment result (the contract's result shape), as pydantic models."""
from __future__ import annotations

from functools import cached_property, lru_cache
from typing import Literal, Optional, Union

import orjson
from pydantic import BaseModel, ConfigDict, PrivateAttr, computed_field, create_model, model_validator

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
    # a province's department named for the ministry that guides the indicator (that ministry): the
    # usual assignment, unconfirmed (the set names no province's department itself)
    department_basis: Optional[str] = None
    department_basis_en: Optional[str] = None


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
    department_basis: Optional[str] = None
    department_basis_en: Optional[str] = None


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
    """One commune's assessment (the contract's result shape).

    What varies per commune is held here: the commune, its region or group and year, and the
    outcome the kernel computed (`outcome.py`). What is the same for every commune of a resolved
    set (names, citations, units, pages, notes, departments) is held once per resolved set by its
    `statics.Statics` and referenced: the criteria, departments and levels are built from both
    when first read (and kept), and are what every serialisation writes. An Assessment read back
    from JSON (`Assessment.model_validate`) carries them as read."""

    ruleset: RulesetRef
    commune: CommuneRef
    region: Optional[str] = None
    region_source: Literal["document", "province", "extremely_disadvantaged", "none"] = "document"
    commune_group: Optional[int] = None
    year: int
    _outcome: object = PrivateAttr(default=None)  # the kernel's Outcome (None when read back)
    _statics: object = PrivateAttr(default=None)  # the resolved set's Statics (None when read back)
    _read: object = PrivateAttr(default=None)  # the views as read back from JSON

    @classmethod
    def of(cls, head: dict, outcome, statics) -> "Assessment":
        """The result of the kernel's `outcome` under the resolved set whose `statics` it references;
        `head`: every field of the model (built by ntm_rules itself, not validated again)."""
        instance = cls.trusted(head)
        _set(instance, "__pydantic_private__", {"_outcome": outcome, "_statics": statics, "_read": None})
        return instance

    # The views below read the private attributes from their dict at once: pydantic's own access
    # (`self._outcome`) goes through `BaseModel.__getattr__`, about 1 µs a read, which a batch
    # line pays some 20 times a commune (benchmarks/batch.py).
    @property
    def outcome(self):
        """The kernel's outcome (`ntm_rules.outcome.Outcome`); None for a result read back from JSON."""
        return self.__pydantic_private__["_outcome"]

    @property
    def statics(self):
        """The static parts of its resolved set (`ntm_rules.statics.Statics`); None when read back."""
        return self.__pydantic_private__["_statics"]

    def _view(self, name: str):
        """A view as read back from JSON, else as the outcome says it."""
        private = self.__pydantic_private__
        read = private["_read"]
        return getattr(read if read is not None else private["_outcome"], name)

    def _built(self, name: str):
        """A view as read back from JSON, else built from the outcome and its set's statics."""
        private = self.__pydantic_private__
        read = private["_read"]
        return getattr(read, name) if read is not None else getattr(private["_statics"], name)(private["_outcome"])

    @computed_field
    @property
    def attained(self) -> bool:
        return self._view("attained")

    @computed_field
    @property
    def criteria_met(self) -> int:
        return self._view("criteria_met")

    @computed_field
    @property
    def criteria_total(self) -> int:
        return self._view("criteria_total")

    @computed_field
    @cached_property
    def criteria(self) -> list[CriterionResult]:
        return self._built("criteria")

    @computed_field
    @cached_property
    def departments(self) -> list[DepartmentResult]:
        return self._built("departments")

    @computed_field
    @property
    def notes(self) -> list[str]:
        read = self.__pydantic_private__["_read"]
        return read.notes if read is not None else []

    @computed_field
    @cached_property
    def levels(self) -> Optional[dict[str, LevelResult]]:
        return self._built("levels")

    @computed_field
    @property
    def certain(self) -> bool:
        """attained: every indicator certainly met; not attained: an indicator certainly not met or
        lacking data. Otherwise the verdict depends on thresholds that are not confirmed."""
        return self._view("certain")

    @model_validator(mode="wrap")
    @classmethod
    def _read_back(cls, data, handler):
        """A result read from JSON (or a dict): the fields, and the views as they were written."""
        if not isinstance(data, dict) or not data.keys() & _VIEWS:
            return handler(data)
        instance = handler({k: v for k, v in data.items() if k not in _VIEWS})
        views = _views_model().model_validate({k: v for k, v in data.items() if k in _VIEWS})
        _set(instance, "__pydantic_private__", {"_outcome": None, "_statics": None, "_read": views})
        return instance

    def __eq__(self, other) -> bool:
        """Two results are equal when they say the same (one may be built, the other read back)."""
        if not isinstance(other, Assessment):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = _Model.__hash__

    # --- the walks every report shares (one place each)
    def indicators(self):
        for criterion in self.criteria:
            yield from criterion.indicators

    def failing(self) -> list[IndicatorResult]:
        return [i for i in self.indicators() if i.status == "not_met"]

    def missing(self) -> list[IndicatorResult]:
        return [i for i in self.indicators() if i.status == "missing"]

    def to_act_on(self):
        """Every indicator the commune must act on (not met or lacking data): its own, and for a
        higher level the standard's it still fails (a level it is blocked from is not listed)."""
        if not self.levels:
            yield from (i for i in self.indicators() if i.status != "met")
            return
        for level in self.levels.values():
            for criterion in level.failing_criteria or []:
                yield from (i for i in criterion.indicators if i.status != "met")
            if level.ruleset == self.ruleset.id and not level.blocked_by:
                yield from (i for i in level.requirements or [] if i.status != "met")

    def verdict_indicators(self):
        """The indicators the verdict rests on: the set's own; for a higher level, the standard
        criteria it still fails, the advanced recognition and its own requirements."""
        if not self.levels:
            yield from self.indicators()
            return
        for level in self.levels.values():
            for criterion in level.failing_criteria or []:
                yield from criterion.indicators
            if level.ruleset is None or level.ruleset == self.ruleset.id:
                yield from level.requirements or []


_VIEWS = frozenset(Assessment.model_computed_fields)


@lru_cache(maxsize=1)
def _views_model() -> type[BaseModel]:
    """The computed fields of an Assessment as a model of their own (to read them back), made
    from their declarations."""
    fields = {name: (info.return_type, ...) for name, info in Assessment.model_computed_fields.items()}
    return create_model("AssessmentViews", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


for _model in (CheckResult, IndicatorResult, CriterionResult, DepartmentResult, RulesetRef, CommuneRef, LevelResult,
               Assessment):
    _model._all_fields = set(_model.model_fields)

FIELD_ORDER = tuple(Assessment.model_fields) + tuple(Assessment.model_computed_fields)  # as every dump writes them


def _fields_of(obj):
    if isinstance(obj, Assessment):
        return {name: getattr(obj, name) for name in FIELD_ORDER}
    if isinstance(obj, _Model):
        return obj.__dict__
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dump_json(model: _Model) -> bytes:
    """The same bytes as `model.model_dump_json()`, several times faster (orjson over the
    fields, which ntm_rules keeps in declaration order; a test checks the equality)."""
    return orjson.dumps(model, default=_fields_of)
