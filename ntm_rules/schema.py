"""Ruleset files: the pydantic schema of a criteria set written in YAML, and its loader.

A ruleset file is data only: it is read with ``yaml.safe_load`` (no tags, no code), checked
for duplicate keys, validated against the models below (unknown keys are errors), then
checked for the legal rules of the format (every region present, years covering the period
without overlap, a citation on every threshold, a note on every unconfirmed one). Every
problem becomes one line naming the file, the key path and the fix: :class:`RulesetError`.
"""
from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path
from typing import Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .errors import RulesetError
from .files import read_limited
from .limits import MAX_RULESET_BYTES, MAX_YAML_DEPTH
from .regions import COMMUNE_GROUPS, REGION_IDS

FieldType = Literal["bool", "pct", "count", "number", "year", "options"]
# A field every fact carries without the document naming it: the assessment year.
DERIVED_FIELDS = {"assessment_year": "year"}
Operator = Literal[">=", "<=", "=="]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


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

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


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
        """The indicator's checks; an inline check is built once, so its thresholds keep their origin."""
        if self.checks is not None:
            return self.checks
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
    # a province's own set: used by default for a batch whose rows are all in that province
    province: str | None = None

    _path: str = PrivateAttr(default="")
    _sha256: str = PrivateAttr(default="")

    @property
    def path(self) -> str:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def dimension_values(self) -> tuple:
        return REGION_IDS if self.varies_by == "region" else tuple(str(g) for g in COMMUNE_GROUPS)

    def citation(self, indicator_id: str, lang: str = "vi") -> str:
        if lang == "en":
            return f"{self.legal_source.document_en or self.legal_source.document}, indicator {indicator_id}"
        return f"{self.legal_source.document}, chỉ tiêu {indicator_id}"


# --------------------------------------------------------------------------- reading YAML


def _display(path: Path) -> str:
    """A path as messages show it: relative to the current folder when it is inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _check_duplicates(node, path: str, out: list[str]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                out.append(f"{path or 'top'} (line {key_node.start_mark.line + 1}): a key that is not text; "
                           "fix: write keys as plain words")
                continue
            key = key_node.value
            here = f"{path}.{key}" if path else str(key)
            if key in seen:
                out.append(f"{here} (line {key_node.start_mark.line + 1}): duplicate key, "
                           f"first written on line {seen[key]}; fix: keep one of them")
            else:
                seen[key] = key_node.start_mark.line + 1
            _check_duplicates(value_node, here, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicates(item, _item_path(path, index, item), out)


def _item_path(path: str, index: int, item) -> str:
    """`criteria[id=10]` when the list item has an id, else `criteria[3]`."""
    item_id = None
    if isinstance(item, yaml.MappingNode):
        for key_node, value_node in item.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                item_id = value_node.value
    elif isinstance(item, dict):
        item_id = item.get("id")
    return f"{path}[id={item_id}]" if item_id is not None else f"{path}[{index}]"


class _RulesetYamlLoader(yaml.SafeLoader):
    """Safe YAML without anchors or aliases (a criteria set needs none, and nested aliases can
    expand a few hundred bytes into billions of nodes) and with bounded nesting."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "an alias (*name): a ruleset writes every value out",
                                              event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "an anchor (&name): a ruleset writes every value out",
                                              event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels",
                                                  event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read_yaml(path: Path) -> tuple[dict, bytes]:
    """Safe-load one ruleset file (a regular file of at most 1 MB); duplicate keys, anchors,
    aliases and YAML syntax errors are RulesetErrors."""
    name = _display(path)
    raw = read_limited(path, MAX_RULESET_BYTES, lambda message, fix: RulesetError([f"{name}: {message}; fix: {fix}"]),
                       "ruleset file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RulesetError([f"{name}: the file is not UTF-8 text; fix: save it as UTF-8"]) from None
    loader = _RulesetYamlLoader(text)
    try:
        node = loader.get_single_node()
        problems: list[str] = []
        _check_duplicates(node, "", problems)
        if problems:
            raise RulesetError([f"{name}: {p}" for p in problems])
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise RulesetError([f"{name}:{where}: not valid YAML for a ruleset ({problem}); fix: correct the YAML there"]) from None
    except RecursionError:
        raise RulesetError([f"{name}: nested too deeply; fix: write the ruleset's flat shape"]) from None
    except (ValueError, TypeError) as error:  # e.g. an integer of thousands of digits, a list as a key
        raise RulesetError([f"{name}: not valid YAML for a ruleset ({str(error)[:100]}); "
                            "fix: write plain keys, numbers and texts"]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RulesetError([f"{name}: the file is not a mapping of keys; fix: start with `id:`, `title:`, ..."])
    return data, raw


_FIXES = {
    "extra_forbidden": "remove it or correct its spelling",
    "missing": "add it",
    "bool_type": "write true or false",
    "int_type": "write a whole number",
    "float_type": "write a number",
    "string_type": "write text",
    "literal_error": "use one of the allowed values",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "tuple_type": "write [from, to]",
}


def _loc_path(data, loc: tuple) -> str:
    parts, node = [], data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            prefix = ".".join(parts)
            parts = [_item_path(prefix, key, item)]
            node = item
        elif isinstance(key, str) and key.startswith(("list[", "Threshold", "tuple[")):
            continue  # pydantic's union-branch markers
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def validation_problems(name: str, data: dict, error: ValidationError) -> list[str]:
    lines, seen = [], set()
    for item in error.errors():
        path = _loc_path(data, item["loc"])
        fix = _FIXES.get(item["type"], "correct the value")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        else:
            message = item["msg"].lower()
        line = f"{name}: {path}: {message}; fix: {fix}"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def file_sha256(raw: bytes, parent_sha: str = "") -> str:
    digest = hashlib.sha256()
    if parent_sha:
        digest.update(parent_sha.encode())
    digest.update(raw)
    return digest.hexdigest()
