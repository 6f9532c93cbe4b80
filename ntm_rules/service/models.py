"""The shapes of the API's answers, declared to OpenAPI (/openapi.json) so that other systems can
generate a typed client: every 200 answer of /v1 and every error ({error, field, fix}).

The models describe the answers; the routes send the answers as the library writes them (the
same bytes as the command line's), and tests/test_contract.py checks each against its model.
"""
from __future__ import annotations

import warnings
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..history import Commune, Merge, Registered, Round
from ..law.schema import Ruleset
from ..result import Assessment
from ..reports.summary import ProvincialSummary


class ErrorAnswer(BaseModel):
    """Every answer other than 200: what is wrong, where, and what to do, in the request's language
    (Vietnamese unless Accept-Language prefers English)."""

    error: str
    field: str = Field(description="the parameter, header or document field at fault ('' when none)")
    fix: str


class RulesetInForce(BaseModel):
    """When an installed set is the law, as /v1/rulesets says it (the days as YYYY-MM-DD)."""

    from_: str = Field(alias="from")
    to: Optional[str]


class RulesetRow(BaseModel):
    """One installed ruleset (`GET /v1/rulesets`); an unusable one has only id, origin and usable."""

    id: str
    origin: Literal["shipped", "NTM_RULESETS_PATH"]
    usable: bool
    status: Optional[str] = None
    level: Optional[str] = None
    province: Optional[str] = None
    years: Optional[list[int]] = None
    in_force: Optional[RulesetInForce] = None
    indicators_with_values: Optional[int] = None
    indicators: Optional[int] = None
    sha256: Optional[str] = None
    unconfirmed_indicators: Optional[int] = None
    title: Optional[str] = None
    title_en: Optional[str] = None


with warnings.catch_warnings():  # the field is the value of Ruleset's property of the same name
    warnings.simplefilter("ignore")

    class RulesetAnswer(Ruleset):
        """One ruleset as its file says it, and the hash of its content."""

        sha256: str = Field(description="the hash of the set's content")


class BatchAnswer(BaseModel):
    """A stored batch: its key, its summary (as summary.json holds it), who stored it (the key's
    name; null without keys) and the links to its outputs and page."""

    batch: str
    summary: ProvincialSummary
    stored_by: Optional[str] = None
    links: dict[str, str]


class Page(BaseModel):
    page: int = Field(description="this page, from 1")
    pages: int = Field(description="how many pages there are")
    next: Optional[str] = Field(description="the URL of the next page, or null on the last")


class ProvinceHistory(Page):
    """A province's progress: every batch (round) with its averages and departments, and one page
    of its communes, each with every assessment and what changed since the one before."""

    name: str = Field(description="the province's official name, however its rows wrote it")
    rounds: list[Round]
    communes: list[Commune]
    key: str = Field("", description="the province's key in the history (its name as places compare names)")
    today: Optional[str] = Field(None, description="for a province before 1 July 2025 now part of another: that one")
    reform: list[Merge] = Field(default_factory=list, description="each commune of today (from 1 July 2025) with the "
                                "old communes of the history that are part of it")
    provinces_before: list[str] = Field(default_factory=list, description="the old provinces of the history now part "
                                        "of this one (their communes are in `reform`)")


class RegisteredRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    district: Optional[str]
    code: Optional[str]
    target_year: Optional[int]
    status: str = Field(description="found, rejected, ambiguous or not_found, in the batch that registered it")
    commune: Optional[str] = Field(description="the commune's key in the history, when found")
    attained_year: Optional[int]
    state: Literal["on_time", "late", "not_yet", "no_data"]


class RegisteredHistory(Page):
    name: str
    registered: list[RegisteredRow]


class CommuneMatches(Page):
    communes: list[Commune]


class KeyRow(BaseModel):
    name: str
    role: Literal["read", "upload", "admin"]
    province: Optional[str]


JSON_SCHEMA = {"type": "object", "description": "a JSON Schema (2020-12) of the commune document",
               "additionalProperties": True}


DOCUMENT = {"$ref": "#/components/schemas/CommuneDocument", "description": "GET /v1/schema/input?ruleset=ID gives "
            "the fields a set adds"}


def declare_document(app) -> None:
    """POST /v1/assess's body in the contract (`DOCUMENT`): the commune document's schema, with the
    fields of every installed set, among the components (a generated client gets its model)."""
    made = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            from ..inputs.document import document_model

            schema = made()
            document = document_model(None).model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(document.pop("$defs", {}))
            components["CommuneDocument"] = document
        return app.openapi_schema
    app.openapi = openapi


def errors(*statuses: int) -> dict[int, dict[str, Any]]:
    """The error answers of a route, for OpenAPI: each an ErrorAnswer (and 422 always: a parameter
    that cannot be used)."""
    said = {400: "The request cannot be read", 401: "No key, or a wrong one", 403: "Not allowed (role, province, origin, "
            "or not loopback)", 404: "Not found", 408: "The body arrived too slowly", 413: "The body is over its limit",
            409: "The same file (the same content) is already stored for the same years and set: the error names its batch",
            422: "The input cannot be used", 503: "Busy: try again after Retry-After seconds",
            504: "Past the time limit: the work was stopped", 500: "A failure of ntm-rules itself"}
    return {status: {"model": ErrorAnswer, "description": said[status]} for status in sorted({*statuses, 422})}


def registered_row(entry: Registered) -> dict:
    return {**RegisteredRow.model_validate(entry).model_dump()}


__all__ = ["Assessment", "BatchAnswer", "CommuneMatches", "ErrorAnswer", "KeyRow", "ProvinceHistory", "RegisteredHistory",
           "RulesetAnswer", "RulesetRow", "JSON_SCHEMA", "errors", "registered_row"]
