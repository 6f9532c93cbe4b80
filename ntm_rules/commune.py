"""The commune document of the input contract (../shared/contract/commune-input.md).

`data` accepts every field that a shipped ruleset names, typed by the ruleset (bool, pct,
count, number, year); an absent field or JSON null means "no data". Unknown keys are errors
that name the closest known field.
"""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, create_model

from .errors import InputError
from .loader import known_fields, known_options
from .regions import REGION_IDS, region_of_province

_TYPES = {
    "bool": StrictBool,
    "pct": Annotated[float, Field(ge=0, le=100, strict=True, allow_inf_nan=False)],
    "count": Annotated[int, Field(ge=0, strict=True)],
    "number": Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)],
    "year": Annotated[int, Field(ge=1945, le=2100, strict=True)],
}
_DESCRIPTIONS = {
    "bool": "true = đạt (met), false = không đạt (not met)",
    "pct": "percentage, 0–100 (72.5 means 72.5 %)",
    "count": "whole number ≥ 0",
    "number": "number ≥ 0 (money: million VND per person per year)",
    "year": "a year",
    "options": "a list of choices (see the allowed values)",
}


class CommuneInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1)]
    district: Optional[str] = None
    province: Optional[str] = None
    code: Optional[str] = None


def _type_of(name: str, kind: str):
    if kind == "options":
        return list[Literal[tuple(known_options()[name])]]
    return _TYPES[kind]


@lru_cache(maxsize=1)
def data_model() -> type[BaseModel]:
    fields = {name: (Optional[_type_of(name, kind)], Field(default=None, description=_DESCRIPTIONS[kind]))
              for name, kind in sorted(known_fields().items())}
    return create_model("CommuneData", __config__=ConfigDict(extra="forbid"), **fields)


@lru_cache(maxsize=1)
def document_model() -> type[BaseModel]:
    return create_model(
        "CommuneDocument",
        __config__=ConfigDict(extra="forbid"),
        commune=(CommuneInfo, ...),
        region=(Optional[Literal[REGION_IDS]], None),
        year=(Annotated[int, Field(ge=1945, le=2100, strict=True)], ...),
        commune_group=(Optional[Literal[1, 2, 3]], None),
        extremely_disadvantaged=(StrictBool, False),
        ruleset=(Optional[str], None),
        data=(data_model(), ...),
    )


_TOP_KEYS = ("commune", "region", "year", "commune_group", "extremely_disadvantaged", "ruleset", "data")
_FIXES = {
    "missing": "add it",
    "bool_type": "write true or false",
    "int_type": "write a whole number",
    "float_type": "write a number, e.g. 16.1 (in a spreadsheet also 16,1)",
    "string_type": "write text",
    "greater_than_equal": "write a value in range",
    "less_than_equal": "write a value in range",
    "literal_error": "use one of the allowed values",
    "finite_number": "write a finite number",
    "model_type": "write an object {...}",
    "dict_type": "write an object {...}",
    "list_type": "write a list [...]",
}


def _closest(key: str, choices) -> str:
    match = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.5)
    return f"did you mean {match[0]}?" if match else "remove it (see `ntm-assess schema input`)"


def _error_to_input_error(error: ValidationError, source: str) -> InputError:
    item = error.errors()[0]
    loc = [str(x) for x in item["loc"]]
    path = ".".join(loc)
    if item["type"] == "extra_forbidden":
        key = loc[-1]
        parent = loc[-2] if len(loc) > 1 else ""
        choices = {"data": known_fields(), "commune": CommuneInfo.model_fields}.get(parent, _TOP_KEYS)
        return InputError(f"unknown key {key!r}", source=source, field=path, fix=_closest(key, choices))
    if item["type"] == "literal_error" and loc and loc[-1] == "region":
        return InputError(f"unknown region {item.get('input')!r}", source=source, field=path,
                          fix=f"use one of {', '.join(REGION_IDS)}, or leave it out and give the province")
    message = item["msg"][0].lower() + item["msg"][1:]
    if "input" in item and item["type"] != "missing":
        message += f" (got {json.dumps(item['input'], ensure_ascii=False, default=str)[:60]})"
    return InputError(message, source=source, field=path, fix=_FIXES.get(item["type"], "correct the value"))


def parse_document(obj: Any, source: str = ""):
    """Validate one commune document (a dict or an already-built document)."""
    model = document_model()
    if isinstance(obj, model):
        return obj
    if not isinstance(obj, dict):
        raise InputError("the document is not a JSON object", source=source, fix='write {"commune": {...}, "year": ..., "data": {...}}')
    try:
        return model.model_validate(obj)
    except ValidationError as error:
        raise _error_to_input_error(error, source) from None


def region_of(document) -> str | None:
    if document.region:
        return document.region
    if document.commune.province:
        return region_of_province(document.commune.province)
    return None


def read_utf8(path: str | Path) -> str:
    """A text file's contents (UTF-8, a BOM is fine); InputError naming the file otherwise."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror})", source=source, fix="check the path") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", source=source, fix="save it as UTF-8") from None


def json_object(text: str, source: str = "") -> dict:
    """One JSON object from text; InputError (naming line and column) when it is not one."""
    try:
        obj = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})", source=source,
                         fix="correct the JSON syntax there") from None
    if not isinstance(obj, dict):
        raise InputError("the document is not a JSON object", source=source,
                         fix='write {"commune": {...}, "year": ..., "data": {...}}')
    return obj


def read_document(path: str | Path, text: str | None = None):
    """Read one commune document from a file (or `-` with its text given); a BOM is fine."""
    source = str(path)
    return parse_document(json_object(read_utf8(path) if text is None else text, source), source)


def input_json_schema() -> dict:
    return document_model().model_json_schema()
