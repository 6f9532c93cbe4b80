"""The criteria-set format as pydantic models: what a ruleset file may say (no I/O here).

A file is read by `yamlfile` (safe YAML) and, as `load` reads it, checked by `check` for the
rules a schema alone cannot say (every region present, years covering the period without
overlap, a citation on every threshold, a note on every unconfirmed one)."""
from __future__ import annotations

from datetime import date
from types import UnionType
from typing import Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ..errors import RulesetError  # noqa: F401  (re-exported: the error of this room)
from ..regions import COMMUNE_GROUPS, REGION_IDS

FieldType = Literal["bool", "pct", "count", "number", "year", "options"]
# A field every fact carries without the document naming it: the assessment year.
DERIVED_FIELDS = {"assessment_year": "year"}
Operator = Literal[">=", "<=", "=="]


class _Strict(BaseModel):
    # built on first validation: a run that finds its sets in the disk cache never validates one
    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=True)
    # a set loaded from its files is sealed: its identity is its files', so it is never changed in
    # place (a copy is not sealed, and is a set of its own: see `identity.py`)
    _sealed: bool = PrivateAttr(default=False)

    def __setattr__(self, name: str, value) -> None:
        if name[0] != "_":
            private = object.__getattribute__(self, "__pydantic_private__")
            if private and private.get("_sealed"):
                raise RulesetError(["a criteria set loaded from its file is not changed in place; fix: change a copy "
                                    "(ruleset.model_copy(deep=True)): the copy is assessed as a set of its own"])
        super().__setattr__(name, value)

    def __copy__(self):
        copied = super().__copy__()
        _unsealed(copied)
        return copied

    def __deepcopy__(self, memo=None):
        copied = super().__deepcopy__(memo)
        _unsealed(copied)
        return copied


def _unsealed(model: "_Strict") -> None:
    private = object.__getattribute__(model, "__pydantic_private__")
    if private:
        private["_sealed"] = False
        if "_sha256" in private:  # a copy is a set of its own: its identity is its content's
            private["_sha256"] = ""


def seal(node) -> None:
    """Seal a set loaded from its files and every model in it (see `_Strict`)."""
    if isinstance(node, _Strict):
        object.__getattribute__(node, "__pydantic_private__")["_sealed"] = True
        for name in type(node).model_fields:
            seal(node.__dict__[name])
    elif isinstance(node, dict):
        for value in node.values():
            seal(value)
    elif isinstance(node, list):
        for value in node:
            seal(value)


def sealed(model: "_Strict") -> bool:
    private = object.__getattribute__(model, "__pydantic_private__")
    return bool(private and private.get("_sealed"))


class Text(_Strict):
    vi: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class LegalSource(_Strict):
    document: str
    # the document's name in English ("Decision 1980/QĐ-TTg"); English reports cite it so
    document_en: str | None = None
    date: date
    url: str | None = None


class Period(_Strict):
    from_: int = Field(alias="from")
    to: int

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class InForce(_Strict):
    """When a set is the law: from the day it took effect to the day before the next one did
    (`to` empty: still in force)."""

    from_: date = Field(alias="from")
    to: date | None = None
    note: Text | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    def covers(self, day: date) -> bool:
        return self.from_ <= day and (self.to is None or day <= self.to)


class Source(_Strict):
    """A page that restates the law (url), or the reason a value is only believed (note).

    `document` names the legal text the value comes from when it is not the ruleset's own
    (e.g. a province's conclusion notice beside a national decision); a citation names it."""

    url: str | None = None
    note: Text | None = None
    document: Text | None = None


class FieldInfo(_Strict):
    """How reports name a data field (a relative threshold's base, one number of a two-number
    indicator), and its unit."""

    label: Text
    unit: Text | None = None
    # for a field of type options: how reports name each choice
    options: dict[str, Text] | None = None
    # the values a document may give, in the unit (income 1–1 000 million VND): outside, the
    # value was typed in another unit or wrongly, and the row is refused with the fix
    range: tuple[float, float] | None = None


class Threshold(_Strict):
    value: Union[bool, int, float]
    source: str
    verified: bool
    note: Text | None = None
    years: tuple[int, int] | None = None
    # A provincial override that is looser than its parent must say so and cite why.
    loosening_exception: Text | None = None
    # What is known of an unconfirmed value: the true one is at most / at least this one
    # (e.g. income 2016–2019 is at most the 2020 value). Decides which verdicts are certain.
    bound: Literal["at_most", "at_least"] | None = None
    _origin: str = PrivateAttr(default="")


class Assignment(_Strict):
    """Which department answers for a criterion or indicator, with its citation."""

    id: str
    source: str
    verified: bool
    note: Text | None = None
    _origin: str = PrivateAttr(default="")


Thresholds = dict[str, Union[Threshold, list[Threshold]]]


class Check(_Strict):
    field: str
    type: FieldType
    operator: Operator = "=="
    unit: Text | None = None
    thresholds: Thresholds
    # The threshold is a factor times another field of the same commune (value >= 1.5 × that field).
    relative_to: str | None = None
    # The field is not read from the document: it is this ruleset's verdict for the same commune.
    verdict_of: str | None = None
    # A requirement whose text could not be read: the assessor's yes/no, marked in every report.
    declared: bool = False
    # type options: the allowed choices; the value is a list and the threshold a number of them.
    options: list[str] | None = None
    # What an absent field means: missing data (default), or "not met" (e.g. never recognised).
    absent: Literal["missing", "not_met"] = "missing"


_CHECK_EXTRAS = ("relative_to", "verdict_of", "declared", "options", "absent")


class Indicator(_Strict):
    id: str
    name: Text
    # Either one check written inline (field/type/operator/thresholds) or several in `checks`.
    field: str | None = None
    type: FieldType | None = None
    operator: Operator | None = None
    unit: Text | None = None
    thresholds: Thresholds | None = None
    checks: list[Check] | None = None
    department: Assignment | None = None
    relative_to: str | None = None
    verdict_of: str | None = None
    declared: bool = False
    options: list[str] | None = None
    absent: Literal["missing", "not_met"] = "missing"
    # This indicator stands for a lower level the ruleset requires (reported as that level).
    prerequisite: Literal["standard", "advanced"] | None = None
    _inline: list[Check] | None = PrivateAttr(default=None)

    def all_checks(self) -> list[Check]:
        """The indicator's checks; an inline check is built once, so its thresholds keep their origin.
        (A draft's indicator without field or thresholds has none yet.)"""
        if self.checks is not None:
            return self.checks
        if self.field is None or self.type is None or self.thresholds is None:
            return []
        if self._inline is None:
            self._inline = [Check.model_construct(field=self.field, type=self.type, operator=self.operator or "==",
                                                  unit=self.unit, thresholds=self.thresholds,
                                                  **{k: getattr(self, k) for k in _CHECK_EXTRAS})]
        return self._inline


class Criterion(_Strict):
    id: str
    name: Text
    group: str
    department: Assignment
    indicators: list[Indicator]


class Ruleset(_Strict):
    id: str
    level: Literal["standard", "advanced", "model"] = "standard"
    title: Text
    legal_source: LegalSource
    period: Period
    varies_by: Literal["region", "commune_group"] = "region"
    sources: dict[str, Source]
    departments: dict[str, Text]
    groups: dict[str, Text]
    criteria: list[Criterion]
    extends: str | None = None
    applies_to: list[str] | None = None
    note: Text | None = None
    fields: dict[str, FieldInfo] = {}
    # a province's own set: used by default for communes of that province when in force
    province: str | None = None
    in_force: InForce | None = None
    # draft: written from a decision's table but not complete (indicators without values);
    # it validates and can be exported, diffed and completed, but never assesses a commune
    status: Literal["final", "draft"] = "final"
    # how many indicators the decision lists (when known): a final set must have that many, and a
    # draft's completeness counts against it
    indicator_count: int | None = Field(default=None, ge=1, le=1000)

    _path: str = PrivateAttr(default="")
    _sha256: str = PrivateAttr(default="")
    # the legal document of this set and of each set it extends, by id: an inherited threshold
    # cites its own set's document (recorded when loading; resolve needs no loader)
    _lineage: dict = PrivateAttr(default_factory=dict)

    # read straight from pydantic's private store: `self._path` goes through pydantic's attribute
    # fallback, ~3 µs, and these are read several times per commune assessed
    @property
    def path(self) -> str:
        return object.__getattribute__(self, "__pydantic_private__")["_path"]

    @property
    def sha256(self) -> str:
        """The set's identity (`identity.py`): its files' for a set loaded from them, else its
        content's, computed when first read (`load_ruleset` computes it again for a set that is not
        sealed, which may have been changed since)."""
        private = object.__getattribute__(self, "__pydantic_private__")
        found = private["_sha256"]
        if not found:
            from .identity import of_content

            found = private["_sha256"] = of_content(self)
        return found

    @property
    def dimension_values(self) -> tuple:
        return REGION_IDS if self.varies_by == "region" else tuple(str(g) for g in COMMUNE_GROUPS)

    def citation(self, indicator_id: str, lang: str = "vi") -> str:
        if lang == "en":
            return f"{self.legal_source.document_en or self.legal_source.document}, indicator {indicator_id}"
        return f"{self.legal_source.document}, chỉ tiêu {indicator_id}"




def constructed(annotation, value):
    """A value of the schema built from the plain data `model_dump(mode="json")` gave, without
    validating it again, sealed: for data this package wrote itself from a validated set (the disk cache).
    Building pydantic's validators for that would cost a one-commune command more than everything
    else it does with the set (about 50 ms), and `model_construct` about 6 ms a set; these
    builders, made once per type from the models' fields, about 1.5 ms (measured on the shipped sets)."""
    build = _builder(annotation)
    return value if build is None or value is None else build(value)


_builders: dict = {}  # one per type of the schema (a fixed, small number)


def _builder(annotation):
    """A function turning plain data into `annotation`'s value, or None when it is the data itself."""
    if annotation in _builders:
        return _builders[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        plan: list = []
        privates = {name: attr.get_default() for name, attr in (annotation.__private_attributes__ or {}).items()}

        def build(value, cls=annotation):
            model = cls.__new__(cls)
            fields = {name: (item if item is None or part is None else part(item))
                      for name, part in plan for item in (value.get(name),)}
            object.__setattr__(model, "__dict__", fields)
            object.__setattr__(model, "__pydantic_fields_set__", set(fields))
            object.__setattr__(model, "__pydantic_extra__", None)
            private = {k: (dict(v) if isinstance(v, dict) else v) for k, v in privates.items()}
            private["_sealed"] = True
            object.__setattr__(model, "__pydantic_private__", private)
            return model

        _builders[annotation] = build  # before its fields: a model may contain itself
        plan.extend((name, _builder(field.annotation)) for name, field in annotation.model_fields.items())
        return build
    origin, args = get_origin(annotation), get_args(annotation)
    build = None
    if origin is list:
        item = _builder(args[0])
        build = (lambda value: [item(v) for v in value]) if item else None
    elif origin is dict:
        item = _builder(args[1])
        build = (lambda value: {k: item(v) for k, v in value.items()}) if item else None
    elif origin is tuple:
        build = tuple
    elif origin in (Union, UnionType):
        options = [a for a in args if a is not type(None)]
        sequence = next((_builder(a) for a in options if get_origin(a) in (list, tuple)), None)
        mapping = next((_builder(a) for a in options if get_origin(a) is dict
                        or isinstance(a, type) and issubclass(a, BaseModel)), None)
        day = any(a is date for a in options)
        if sequence or mapping or day:
            def build(value):
                if isinstance(value, list):
                    return sequence(value) if sequence else value
                if isinstance(value, dict):
                    return mapping(value) if mapping else value
                return date.fromisoformat(value) if day and isinstance(value, str) else value
    elif annotation is date:
        build = date.fromisoformat
    _builders[annotation] = build
    return build
