"""The commune document of the input contract (../shared/contract/commune-input.md).

`data` accepts every field that a shipped ruleset names, typed by the ruleset (bool, pct,
count, number, year); an absent field or JSON null means "no data". Unknown keys are errors
that name the closest known field.
"""
from __future__ import annotations

import difflib
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, ValidationError, create_model

from ..errors import InputError, printable
from ..files import read_limited, read_stream_limited
from ..limits import MAX_COUNT, MAX_DEPTH, MAX_INT_DIGITS, MAX_NUMBER, MAX_ROW_BYTES, MAX_TEXT
from ..loader import RULESET_ID_PATTERN, known_fields, known_options
from ..regions import REGION_IDS, region_of_province

_TYPES = {
    "bool": StrictBool,
    "pct": Annotated[float, Field(ge=0, le=100, strict=True, allow_inf_nan=False)],
    "count": Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)],
    "number": Annotated[float, Field(ge=0, le=MAX_NUMBER, strict=True, allow_inf_nan=False)],
    "year": Annotated[int, Field(ge=1945, le=2100, strict=True)],
}


def _utf8_text(text: str) -> str:
    """A text that can be written out: no lone surrogate (JSON lets "\\udc80" through)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the text holds an invalid character (a lone surrogate)") from None
    return text


Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, strict=True), AfterValidator(_utf8_text)]
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
    name: Text
    district: Optional[Text] = None
    province: Optional[Text] = None
    code: Optional[Text] = None


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
        # an id only: a document comes from outside and never names a file to read
        ruleset=(Optional[Annotated[str, Field(pattern=RULESET_ID_PATTERN, max_length=MAX_TEXT, strict=True)]], None),
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
    "string_too_long": f"shorten it to at most {MAX_TEXT} characters",
    "string_too_short": "write it, or leave the key out",
    "value_error": "retype the text",
}


def _closest(key: str, choices) -> str:
    match = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.5)
    return f"did you mean {match[0]}?" if match else "remove it (see `ntm-assess schema input`)"


def _shown(value) -> str:
    """A value as an error message quotes it: short, one line, nothing a terminal would obey."""
    if isinstance(value, str):
        text = repr(value[:200])
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        text = "a very long integer"
    elif value is None or isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:  # never walk a structure to show it: it may be nested thousands deep
        text = {list: "a list", tuple: "a list", dict: "an object"}.get(type(value), type(value).__name__)
    text = printable(text, keep_newlines=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _error_to_input_error(error: ValidationError, source: str) -> InputError:
    item = error.errors()[0]
    loc = [str(x) for x in item["loc"]]
    path = ".".join(loc)
    if item["type"] == "extra_forbidden":
        key = loc[-1]
        parent = loc[-2] if len(loc) > 1 else ""
        choices = {"data": known_fields(), "commune": CommuneInfo.model_fields}.get(parent, _TOP_KEYS)
        return InputError(f"unknown key {_shown(key)}", source=source, field=path, fix=_closest(key, choices))
    if item["type"] == "literal_error" and loc and loc[-1] == "region":
        return InputError(f"unknown region {_shown(item.get('input'))}", source=source, field=path,
                          fix=f"use one of {', '.join(REGION_IDS)}, or leave it out and give the province")
    if loc == ["ruleset"] and item["type"] in ("string_pattern_mismatch", "string_too_long"):
        return InputError(f"{_shown(item.get('input'))} is not a ruleset id: a document names a ruleset by its id only, "
                          "never by a file path", source=source, field=path,
                          fix="write the id of a shipped ruleset (ntm-assess rulesets list) or one in NTM_RULESETS_PATH; "
                              "a file path can only be given by the caller (--ruleset PATH)")
    message = item["msg"][0].lower() + item["msg"][1:]
    if item["type"] == "value_error":
        message = message.removeprefix("value error, ")
    if "input" in item and item["type"] != "missing":
        message += f" (got {_shown(item['input'])})"
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
    except RecursionError:
        raise InputError(f"the document is nested more than {MAX_DEPTH} levels deep", source=source,
                         fix="write the contract's flat shape") from None


def region_of(document) -> str | None:
    if document.region:
        return document.region
    if document.commune.province:
        return region_of_province(document.commune.province)
    return None


def decode_utf8(raw: bytes, source: str = "") -> str:
    """Bytes as text (UTF-8, a BOM is fine); InputError naming the fix otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", source=source,
                         fix="save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)") from None


def read_utf8(path: str | Path, limit: int = MAX_ROW_BYTES, what: str = "file") -> str:
    """A regular file's text, at most `limit` bytes (UTF-8, a BOM is fine); InputError naming the file otherwise."""
    source = str(path)
    raw = read_limited(path, limit, lambda message, fix: InputError(message, source=source, fix=fix), what)
    return decode_utf8(raw, source)


def read_stdin(stream, limit: int = MAX_ROW_BYTES) -> str:
    """Standard input's text (one document); InputError when there is none or it is too long."""
    if stream is None:
        raise InputError("there is no standard input to read", source="<stdin>",
                         fix="pipe a document into the command, or give the file's name")
    buffer = getattr(stream, "buffer", stream)
    try:
        raw = read_stream_limited(buffer, limit, lambda message, fix: InputError(message, source="<stdin>", fix=fix),
                                  "document")
    except (OSError, ValueError) as error:  # closed or unreadable descriptor
        raise InputError(f"standard input cannot be read ({getattr(error, 'strerror', None) or error})",
                         source="<stdin>", fix="pipe a document into the command, or give the file's name") from None
    return decode_utf8(raw, "<stdin>")


class _JsonProblem(ValueError):
    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix


def _no_duplicates(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonProblem(f"the key {_shown(key)} is written twice in one object", "keep one of them")
            seen.add(key)
    return obj


def _integer(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise _JsonProblem(f"an integer of {digits} digits (at most {MAX_INT_DIGITS} are read)",
                           "write the real value; counts and years are short numbers")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonProblem(f"the number {_shown(text)} is too large to be a value", "write the real value")
    return value + 0.0  # -0.0 is 0.0


def _constant(name: str):
    raise _JsonProblem(f"{name} is not a number in JSON", "write a number, or leave the field out for no data")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_int=_integer, parse_float=_float,
                            parse_constant=_constant)


def _check_tree(obj: Any) -> None:
    """Nesting within the limit, and every text writable (no lone surrogate from a \\u escape)."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_DEPTH:
                raise _JsonProblem(f"the document is nested more than {MAX_DEPTH} levels deep", "write the contract's flat shape")
            for key, value in node.items():
                if not key.isascii():
                    _check_text(key)
                if isinstance(value, (dict, list)):
                    stack.append((value, depth + 1))
                elif isinstance(value, str) and not value.isascii():
                    _check_text(value)
        elif isinstance(node, list):
            if depth > MAX_DEPTH:
                raise _JsonProblem(f"the document is nested more than {MAX_DEPTH} levels deep", "write the contract's flat shape")
            for value in node:
                if isinstance(value, (dict, list)):
                    stack.append((value, depth + 1))
                elif isinstance(value, str) and not value.isascii():
                    _check_text(value)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _JsonProblem("a text holds an invalid character (a lone surrogate such as \\udc80)",
                           "retype the text; save the file as UTF-8") from None


def strict_json(text: str) -> Any:
    """JSON as the contract means it: no NaN or Infinity, no duplicate keys, integers of at most 15
    digits, nesting of at most 20 levels, no lone surrogates. Raises _JsonProblem or JSONDecodeError."""
    try:
        obj = _DECODER.decode(text)
    except RecursionError:
        raise _JsonProblem(f"the document is nested more than {MAX_DEPTH} levels deep", "write the contract's flat shape") from None
    _check_tree(obj)
    return obj


def json_value(text: str, source: str = "") -> Any:
    """Any strict JSON value from text; InputError naming line and column when it is not JSON."""
    if not text.strip():
        raise InputError("the file is empty", source=source, fix="write one commune document: {\"commune\": {...}, ...}")
    try:
        return strict_json(text.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})", source=source,
                         fix="correct the JSON syntax there") from None
    except _JsonProblem as problem:
        raise InputError(problem.message, source=source, fix=problem.fix) from None


def json_object(text: str, source: str = "") -> dict:
    """One JSON object from text; InputError (naming line and column) when it is not one."""
    obj = json_value(text, source)
    if not isinstance(obj, dict):
        raise InputError("the document is not a JSON object", source=source,
                         fix='write {"commune": {...}, "year": ..., "data": {...}}')
    return obj


def read_document(path: str | Path, text: str | None = None):
    """Read one commune document from a file (or `-` with its text given); a BOM is fine."""
    source = str(path)
    if text is None:
        text = read_utf8(path, MAX_ROW_BYTES, "commune document")
    return parse_document(json_object(text, source), source)


def input_json_schema() -> dict:
    return document_model().model_json_schema()
