"""The commune document of the input contract (../shared/contract/commune-input.md).

`data` accepts every field that a ruleset names, typed by the ruleset (bool, pct, count,
number, year, options) and kept within the field's plausible range (a percentage 0–100, income
1–1 000 million VND: a value outside was typed in another unit or wrongly); an absent field or
null means "no data". Unknown keys are errors that name the closest known field. A document's
JSON text is read strictly by `json_text` (no NaN or Infinity, no key written twice, ...). A
document handed over by a program (a dict, e.g. from pandas) may carry a float NaN or None for
"no data" and numpy scalars for their values.

Every error is an InputError with a Vietnamese and an English line (`line(lang)`).
"""
from __future__ import annotations

import difflib
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, ValidationError, create_model

from ..errors import InputError, Say
from ..limits import MAX_TEXT
from ..law.cache import Bounded
from ..law.catalogue import field_specs, known_fields, verdict_fields
from ..law.in_force import installed_signature
from ..law.check import RULESET_ID_PATTERN
from ..regions import REGION_IDS
from ..words.phrases import number
from .json_text import NOT_AN_OBJECT, TOO_DEEP, shown


def _utf8_text(text: str) -> str:
    """A text that can be written out: no lone surrogate (JSON lets "\\udc80" through); composed
    (NFC), as it is shown: "Xã Cúc Đường" typed with combining marks is the same text, and a
    page or a Word document searched for it finds it."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the text holds an invalid character (a lone surrogate)") from None
        return unicodedata.normalize("NFC", text)
    return text


Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, strict=True), AfterValidator(_utf8_text)]
_DESCRIPTIONS = {
    "bool": "true = đạt (met), false = không đạt (not met)",
    "pct": "percentage, 0–100 (72.5 means 72.5 %)",
    "count": "whole number ≥ 0",
    "number": "number ≥ 0 in the field's unit (money: million VND per person per year)",
    "year": "a year",
    "options": "a list of choices (see the allowed values)",
}


class CommuneInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text
    district: Optional[Text] = None
    province: Optional[Text] = None
    code: Optional[Text] = None


def _type_of(spec):
    if spec.type == "options":
        return list[Literal[spec.options]]
    if spec.type == "bool":
        return StrictBool
    python = int if spec.type in ("count", "year") else float
    return Annotated[python, Field(ge=spec.low, le=spec.high, strict=True, allow_inf_nan=False)
                     if python is float else Field(ge=spec.low, le=spec.high, strict=True)]


def _description(spec) -> str:
    text = _DESCRIPTIONS[spec.type]
    if spec.label is not None:
        text = f"{spec.label.vi} / {spec.label.en}: {text}"
    if spec.unit is not None:
        text += f"; unit: {spec.unit.en}"
    if spec.low is not None and spec.type not in ("bool", "options"):
        text += f"; plausible range {spec.low:g}–{spec.high:g}"
    return text


_models = Bounded(64)  # (the installed sets' signature, a set's identity) → the models of a document


def data_model(ruleset=None) -> type[BaseModel]:
    """The `data` object: every installed ruleset's fields, and those a given ruleset adds."""
    return _models.of(("data", installed_signature(), ruleset.sha256 if ruleset is not None else None),
                      lambda: _data_model(field_specs(ruleset)))


def _data_model(specs: dict) -> type[BaseModel]:
    fields = {name: (Optional[_type_of(spec)], Field(default=None, description=_description(spec)))
              for name, spec in sorted(specs.items())}
    return create_model("CommuneData", __config__=ConfigDict(extra="forbid"), **fields)


def document_model(ruleset=None) -> type[BaseModel]:
    """The commune document's model: for a set, with the fields it adds (and their own ranges)."""
    model = _models.of(("document", installed_signature(), ruleset.sha256 if ruleset is not None else None),
                       lambda: _document_model(data_model(ruleset)))
    return model


def _document_model(data: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        "CommuneDocument",
        __config__=ConfigDict(extra="forbid"),
        commune=(CommuneInfo, ...),
        region=(Optional[Literal[REGION_IDS]], None),
        year=(Annotated[int, Field(ge=1945, le=2100, strict=True)], ...),
        # the day of the assessment (YYYY-MM-DD): with no ruleset named, the set in force that day
        assessment_date=(Optional[date], None),
        commune_group=(Optional[Literal[1, 2, 3]], None),
        extremely_disadvantaged=(StrictBool, False),
        # an id only: a document comes from outside and never names a file to read
        ruleset=(Optional[Annotated[str, Field(pattern=RULESET_ID_PATTERN, max_length=MAX_TEXT, strict=True)]], None),
        data=(data, ...),
    )


TOP_KEYS = ("commune", "region", "year", "assessment_date", "commune_group", "extremely_disadvantaged", "ruleset",
            "data")
_FIXES = {
    "missing": Say("thêm vào", "add it"),
    "bool_type": Say("ghi Đạt hoặc Không đạt (true hoặc false trong JSON)", "write true or false (Đạt or Không đạt)"),
    "int_type": Say("ghi một số nguyên", "write a whole number"),
    "float_type": Say("ghi một số, ví dụ 16,1 (trong JSON: 16.1)", "write a number, e.g. 16.1 (in a spreadsheet also 16,1)"),
    "string_type": Say("ghi chữ", "write text"),
    "literal_error": Say("dùng một trong các giá trị cho phép", "use one of the allowed values"),
    "finite_number": Say("ghi một số", "write a finite number"),
    "model_type": Say("ghi một đối tượng {...}", "write an object {...}"),
    "dict_type": Say("ghi một đối tượng {...}", "write an object {...}"),
    "list_type": Say("ghi một danh sách [...]", "write a list [...]"),
    "string_too_long": Say(f"rút gọn còn tối đa {MAX_TEXT} ký tự", f"shorten it to at most {MAX_TEXT} characters"),
    "string_too_short": Say("ghi vào, hoặc bỏ khóa này", "write it, or leave the key out"),
    "value_error": Say("gõ lại đoạn chữ", "retype the text"),
    "date_type": Say("ghi ngày dạng YYYY-MM-DD, ví dụ 2019-07-16", "write the date as YYYY-MM-DD, e.g. 2019-07-16"),
    "date_from_datetime_parsing": Say("ghi ngày dạng YYYY-MM-DD, ví dụ 2019-07-16", "write the date as YYYY-MM-DD, e.g. 2019-07-16"),
}
_MESSAGES = {
    "missing": Say("thiếu", "field required"),
    "bool_type": Say("không phải Đạt / Không đạt", "not a yes/no value"),
    "int_type": Say("không phải số nguyên", "not a whole number"),
    "float_type": Say("không phải là số", "not a number"),
    "string_type": Say("không phải chữ", "not text"),
    "finite_number": Say("không phải là số", "not a finite number"),
    "model_type": Say("không phải một đối tượng", "not an object"),
    "dict_type": Say("không phải một đối tượng", "not an object"),
    "list_type": Say("không phải một danh sách", "not a list"),
    "string_too_long": Say(f"dài hơn {MAX_TEXT} ký tự", f"longer than {MAX_TEXT} characters"),
    "string_too_short": Say("để trống", "empty"),
    "value_error": Say("đoạn chữ có ký tự không hợp lệ", "the text holds an invalid character"),
}


def _closest(key: str, choices) -> Say:
    match = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.5)
    if match:
        return Say(f"có phải {match[0]}?", f"did you mean {match[0]}?")
    return Say("bỏ khóa này (xem `ntm-assess schema input`)", "remove it (see `ntm-assess schema input`)")


def _out_of_range(spec, value, path: str, source: str) -> InputError:
    """A value outside the field's plausible range, with the fix a clerk needs (a percentage is
    0–100; income in million đồng: 41500000 → 41,5)."""
    unit = spec.unit or (Say("%", "%") if spec.type == "pct" else None)
    unit_vi, unit_en = (unit.vi, unit.en) if unit else ("", "")
    low, high = number(spec.low, "vi"), number(spec.high, "vi")
    low_en, high_en = number(spec.low, "en"), number(spec.high, "en")
    message = Say(f"{number(value, 'vi')} nằm ngoài khoảng hợp lý {low}–{high} {unit_vi}".rstrip(),
                  f"{number(value, 'en')} is outside the plausible range {low_en}–{high_en} {unit_en}".rstrip())
    if spec.type == "pct":
        fix = Say("ghi tỷ lệ phần trăm từ 0 đến 100, ví dụ 72,5 (không ghi 0,725 hay 1.234,5)",
                  "write a percentage from 0 to 100, e.g. 72.5 (not 0.725 or 1234.5)")
    else:
        fix = Say(f"ghi giá trị tính bằng {unit_vi or 'đơn vị của chỉ tiêu'}, từ {low} đến {high}",
                  f"write the value in {unit_en or 'the indicator unit'}, from {low_en} to {high_en}")
        for factor, word_vi, word_en in ((1_000_000, "triệu", "million"), (1_000, "nghìn", "thousand")):
            scaled = value / factor
            if spec.low <= scaled <= spec.high and unit_vi.startswith(word_vi):
                fix = Say(f"tính bằng {unit_vi}: {number(value, 'vi')} → {number(round(scaled, 3), 'vi')}",
                          f"in {unit_en}: {number(value, 'en')} → {number(round(scaled, 3), 'en')}")
                break
    return InputError(message, source=source, field=path, fix=fix)


def _error_to_input_error(error: ValidationError, source: str) -> InputError:
    item = error.errors()[0]
    loc = [str(x) for x in item["loc"]]
    path = ".".join(loc)
    kind = item["type"]
    if kind == "extra_forbidden":
        key = loc[-1]
        parent = loc[-2] if len(loc) > 1 else ""
        choices = {"data": known_fields(), "commune": CommuneInfo.model_fields}.get(parent, TOP_KEYS)
        if parent == "data" and key in verdict_fields():
            return InputError(Say(f"{shown(key)} là kết luận của bộ {verdict_fields()[key]}, do công cụ tự tính, tài liệu "
                                  "không ghi", f"{shown(key)} is the verdict of {verdict_fields()[key]}, computed by the "
                                  "tool, never given by the document"), source=source, field=path,
                              fix=Say("bỏ trường này; ghi các số liệu của bộ đó", "remove it; give that set's data instead"))
        if parent == "data":
            closest = _closest(key, choices)
            return InputError(Say(f"trường số liệu {shown(key)} không có trong bộ tiêu chí đang dùng, cũng không có trong "
                                  "bộ nào đã cài", f"the data field {shown(key)} is in neither the ruleset used nor any "
                                  "installed one"), source=source, field=path,
                              fix=Say(closest.vi.replace("bỏ khóa này", "bỏ trường này") + "; các trường của một bộ: "
                                      "⟪schema_input⟫",
                                      closest.en + "; a set's fields: ⟪schema_input⟫"))
        return InputError(Say(f"khóa không có trong mẫu: {shown(key)}", f"unknown key {shown(key)}"),
                          source=source, field=path, fix=_closest(key, choices))
    if kind == "literal_error" and loc and loc[-1] == "region":
        return InputError(Say(f"vùng không có: {shown(item.get('input'))}", f"unknown region {shown(item.get('input'))}"),
                          source=source, field=path,
                          fix=Say(f"dùng một trong {', '.join(REGION_IDS)}, hoặc bỏ trống và ghi tỉnh",
                                  f"use one of {', '.join(REGION_IDS)}, or leave it out and give the province"))
    if loc == ["ruleset"] and kind in ("string_pattern_mismatch", "string_too_long"):
        return InputError(
            Say(f"{shown(item.get('input'))} không phải mã bộ tiêu chí: tài liệu chỉ được ghi mã, không ghi đường dẫn tệp",
                f"{shown(item.get('input'))} is not a ruleset id: a document names a ruleset by its id only, never by "
                "a file path"), source=source, field=path,
            fix=Say("ghi mã của một bộ tiêu chí có sẵn (⟪rulesets_list⟫) hoặc trong NTM_RULESETS_PATH; "
                    "chỉ người chạy lệnh mới được chỉ đường dẫn tệp (⟪ruleset_path⟫)",
                    "write the id of a shipped ruleset (⟪rulesets_list⟫) or one in NTM_RULESETS_PATH; "
                    "a file path can only be given by the caller (⟪ruleset_path⟫)"))
    if kind in ("greater_than_equal", "less_than_equal") and len(loc) == 2 and loc[0] == "data":
        spec = field_specs().get(loc[1])
        if spec is not None:
            return _out_of_range(spec, item["input"], path, source)
    if kind in ("greater_than_equal", "less_than_equal"):
        limit = item.get("ctx", {}).get("ge", item.get("ctx", {}).get("le"))
        sign = "≥" if kind == "greater_than_equal" else "≤"
        message = Say(f"phải {sign} {limit} (ghi {shown(item.get('input'))})", f"must be {sign} {limit} "
                      f"(got {shown(item.get('input'))})")
        return InputError(message, source=source, field=path, fix=Say("ghi một giá trị trong khoảng cho phép",
                                                                       "write a value in range"))
    english = item["msg"][0].lower() + item["msg"][1:]
    if kind == "value_error":
        english = english.removeprefix("value error, ")
    message = _MESSAGES.get(kind, Say(english, english))
    if item.get("input") is _NOT_A_DATE:
        message = Say("phải là một ngày dạng YYYY-MM-DD", "must be a date written YYYY-MM-DD")
    elif "input" in item and kind != "missing":
        got = shown(item["input"])
        message = Say(f"{message.vi} (ghi {got})", f"{english} (got {got})")
    else:
        message = Say(message.vi, english)
    return InputError(message, source=source, field=path,
                      fix=_FIXES.get(kind, Say("sửa giá trị", "correct the value")))


def from_program(value: Any) -> Any:
    """A value handed over by a program as JSON would give it: a float NaN is no data (None), a
    numpy scalar its Python value (numpy.int64(2020) → 2020). Only the two top levels are looked
    at (the contract's document is flat)."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        try:
            value = item()
        except (TypeError, ValueError):
            return value
    if isinstance(value, float) and value != value:
        return None
    return value


_AS_JSON_GIVES = frozenset({str, int, bool, type(None), list})  # left as they are by from_program


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_JSON_GIVES or (kind is float and value == value):
        return value
    return from_program(value)


def _normalise(obj: dict) -> dict:
    out = {}
    for key, value in obj.items():
        if type(value) is dict:
            value = {k: _plain(v) for k, v in value.items()}
        elif isinstance(value, dict):
            value = {k: from_program(v) for k, v in value.items()}
        out[key] = _plain(value)
    day = out.get("assessment_date")
    if day is not None and ((isinstance(day, str) and len(day) != 10) or not isinstance(day, (str, date))):
        out["assessment_date"] = _NOT_A_DATE  # only YYYY-MM-DD (never a number read as a timestamp): the validator names it
    return out


_NOT_A_DATE = object()  # stands for an assessment_date that is not a YYYY-MM-DD text


def parse_document(obj: Any, source: str = "", ruleset=None, from_json: bool = False, model=None):
    """Validate one commune document (a dict or an already-built document); with a ruleset, the
    fields that ruleset adds are accepted too. `from_json`: the dict is what `strict_json` read
    (no NaN or numpy value to turn into a plain one). `model`: `document_model(ruleset)`, for a
    caller validating many documents at once (the installed sets are looked at once, not per
    document)."""
    model = model or document_model(ruleset)
    if isinstance(obj, BaseModel) and type(obj).__name__ == "CommuneDocument":
        if isinstance(obj, model):
            return obj
        obj = obj.model_dump(exclude_none=False)
    if not isinstance(obj, dict):
        raise InputError(NOT_AN_OBJECT[0], source=source, fix=NOT_AN_OBJECT[1])
    try:
        plain = from_json and "assessment_date" not in obj  # else: the date's check is in _normalise
        return model.model_validate(obj if plain else _normalise(obj))
    except ValidationError as error:
        raise _error_to_input_error(error, source) from None
    except RecursionError:
        raise InputError(TOO_DEEP[0], source=source, fix=TOO_DEEP[1]) from None


def input_json_schema(ruleset=None) -> dict:
    """The JSON Schema of the commune document (for a ruleset: with the fields it adds)."""
    return document_model(ruleset).model_json_schema()
