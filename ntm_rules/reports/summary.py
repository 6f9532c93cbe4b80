"""The provincial summary of a batch: the figures a coordination office reports, as a model.

The shape follows the contract's summary.json and adds, in the same style: criterion names,
missing data per criterion, the years seen, the registered communes' failing indicators and a
section per district. `tallies.py` builds it from one record per assessed commune.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, create_model

from ..result import IndicatorResult, RulesetRef


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _part_of(name: str, model: type[BaseModel], fields: tuple, doc: str, **own) -> type[BaseModel]:
    """A model of some fields of a result's model, as that model declares them (never restated)."""
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **own,
                        **{f: (model.model_fields[f].annotation, model.model_fields[f]) for f in fields})


# what the summary keeps of a registered commune's failing indicator: the result's own fields
FAILING_FIELDS = ("id", "name", "name_en", "status", "value", "operator", "threshold", "unit", "unit_en", "gap",
                  "verified", "certain", "bound", "source", "source_en", "department", "department_name",
                  "department_name_en", "department_verified")


SummaryRuleset = _part_of("SummaryRuleset", RulesetRef, ("id", "sha256", "title", "title_en", "note", "note_en"),
                         "The set the batch used, as a result names it.")


class DepartmentFailures(_Model):
    name: str
    name_en: str
    criteria: list[str]
    communes: int
    # every assignment behind it is confirmed (stated on a public page)
    verified: bool = False


class CriterionLine(_Model):
    id: str
    name: str
    name_en: str
    not_met: int
    missing: int


FailingIndicator = _part_of("FailingIndicator", IndicatorResult, FAILING_FIELDS,
                           "A registered commune's indicator not met or missing, with its criterion.",
                           criterion=(str, ...))


class RegisteredCommune(_Model):
    commune: str
    district: Optional[str] = None
    code: Optional[str] = None
    found: bool
    # found: assessed; rejected: its row could not be assessed (row, reason); ambiguous: the name
    # is shared by several communes assessed (candidates); not_found: candidates are the communes
    # assessed whose name is the same without diacritics (every one: twins too), suggestion the first
    status: Literal["found", "rejected", "ambiguous", "not_found"] = "found"
    row: Optional[str] = None
    reason: Optional[str] = None
    candidates: list[str] = []
    suggestion: Optional[str] = None
    year: Optional[int] = None
    attained: Optional[bool] = None
    # whether the verdict holds whatever the unconfirmed thresholds turn out to be
    certain: Optional[bool] = None
    criteria_met: Optional[int] = None
    failing: list[str] = []
    missing: list[str] = []
    indicators: list[FailingIndicator] = []


class DistrictLine(_Model):
    district: str
    assessed: int
    attained: int
    not_attained: int
    missing_data: int
    average_criteria_met: float
    under_low_mark: list[str]


class InputRef(_Model):
    path: str
    sha256: str
    bytes: int


class ProvincialSummary(_Model):
    # true only in the summary.json written last, after every other output is complete
    complete: bool = True
    inputs: list[InputRef] = []
    # rows read from the inputs (blank rows aside): each one assessed or rejected
    rows_read: int = 0
    # rows that met a bug of ntm-rules (kept in rejected.jsonl; the batch exits 3)
    internal_errors: int = 0
    # which ruleset applied and why (the first line of every output says so)
    ruleset_reason: Optional[str] = None
    ruleset_reason_en: Optional[str] = None
    # spreadsheet sheets without a header (a guide, notes): not read; columns that name no field
    sheets_skipped: list[str] = []
    columns_ignored: list[str] = []
    # the first rejected rows (where and why), to read without opening rejected.xlsx
    rejected_rows: list[dict] = []
    ruleset: SummaryRuleset
    # the provinces of the communes assessed, by their official name when the directory knows it
    # ("Tỉnh Thái Nguyên"), else as written; most communes first (none: no row names its province)
    provinces: list[str] = []
    unconfirmed_thresholds: int
    years: list[int]
    # distinct communes assessed or rejected (`places`: one official unit however spelt; a repeated
    # row, a totals row or a row without a commune name adds none): not the rows read
    communes: int
    # communes assessed (one row each) and rows rejected (repeats and totals rows included)
    assessed: int
    rejected: int
    # assessed communes the directory of administrative units does not know (kept as written), and
    # the first 100 of them as "name (district)"
    not_in_directory: int = 0
    not_in_directory_names: list[str] = []
    attained: int
    not_attained: int
    missing_data: int
    # of `attained`, those certainly attained; of `not_attained`, those certainly not attained
    # (a commune not attained only for missing data is always certain)
    attained_certain: int = 0
    not_attained_certain: int = 0
    average_criteria_met: Optional[float]
    # communes by criteria met (bands scaled to the set's number of criteria)
    brackets: dict[str, int]
    # communes meeting fewer than `low_mark` criteria (10 for a set of 19), by name
    low_mark: int = 10
    under_low_mark: list[str]
    failures_by_criterion: dict[str, int]
    missing_by_criterion: dict[str, int]
    criteria: list[CriterionLine]
    failures_by_department: dict[str, DepartmentFailures]
    registered: list[RegisteredCommune]
    districts: list[DistrictLine]
