"""The commune document of the input contract (../shared/contract/commune-input.md).

`data` accepts every field that a ruleset names, typed by the ruleset (bool, pct, count,
number, year, options) and kept within the field's plausible range (a percentage 0–100, income
1–1 000 million VND: a value outside was typed in another unit or wrongly); an absent field or
null means "no data". Unknown keys are errors that name the closest known field. JSON is read
strictly: no NaN or Infinity, no key written twice, integers of at most 15 digits, nesting of at
most 20 levels, no lone surrogates. A document handed over by a program (a dict, e.g. from
pandas) may carry a float NaN or None for "no data" and numpy scalars for their values.

Every error is an InputError with a Vietnamese and an English line (`line(lang)`).
"""
from __future__ import annotations

import difflib
import json
import math
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, ValidationError, create_model

from ..errors import InputError, Say, printable
from ..files import read_limited, read_stream_limited
from ..limits import MAX_DEPTH, MAX_INT_DIGITS, MAX_ROW_BYTES, MAX_TEXT
from ..law.catalogue import field_specs, known_fields, verdict_fields
from ..law.check import RULESET_ID_PATTERN
from ..regions import REGION_IDS, region_of_province
from ..words import number


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


_models: dict[tuple, type[BaseModel]] = {}


def data_model(ruleset=None) -> type[BaseModel]:
    """The `data` object: every installed ruleset's fields, and those a given ruleset adds."""
    specs = field_specs(ruleset)
    key = tuple(sorted(specs))
    model = _models.get(("data",) + key)
    if model is None:
        fields = {name: (Optional[_type_of(spec)], Field(default=None, description=_description(spec)))
                  for name, spec in sorted(specs.items())}
        model = _models[("data",) + key] = create_model("CommuneData", __config__=ConfigDict(extra="forbid"), **fields)
    return model


def document_model(ruleset=None) -> type[BaseModel]:
    by_set = ("for", ruleset.id, ruleset.sha256) if ruleset is not None else ("for",)
    model = _models.get(by_set)  # read for every commune: found without sorting the set's fields
    if model is None:
        data = data_model(ruleset)
        model = _models.get(("document", data))
        if model is None:
            model = _models[("document", data)] = _document_model(data)
        _models[by_set] = model
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


def shown(value) -> str:
    """A value as an error message quotes it: short, one line, nothing a terminal would obey."""
    if isinstance(value, str):
        text = repr(value[:200])
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        text = "…"
    elif value is None or isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:  # never walk a structure to show it: it may be nested thousands deep
        text = {list: "[…]", tuple: "[…]", dict: "{…}"}.get(type(value), type(value).__name__)
    text = printable(text, keep_newlines=False)
    return text if len(text) <= 60 else text[:57] + "..."


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
                                      "ntm-assess schema input --ruleset ID",
                                      closest.en + "; a set's fields: ntm-assess schema input --ruleset ID"))
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
            fix=Say("ghi mã của một bộ tiêu chí có sẵn (ntm-assess rulesets list) hoặc trong NTM_RULESETS_PATH; "
                    "chỉ người chạy lệnh mới được chỉ đường dẫn tệp (--ruleset ĐƯỜNG_DẪN)",
                    "write the id of a shipped ruleset (ntm-assess rulesets list) or one in NTM_RULESETS_PATH; "
                    "a file path can only be given by the caller (--ruleset PATH)"))
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


_NOT_AN_OBJECT = (Say("tài liệu không phải một đối tượng JSON", "the document is not a JSON object"),
                  Say('ghi {"commune": {...}, "year": ..., "data": {...}}', 'write {"commune": {...}, "year": ..., "data": {...}}'))
_TOO_DEEP = (Say(f"tài liệu lồng sâu hơn {MAX_DEPTH} tầng", f"the document is nested more than {MAX_DEPTH} levels deep"),
             Say("ghi theo mẫu phẳng của hợp đồng dữ liệu", "write the contract's flat shape"))


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


def parse_document(obj: Any, source: str = "", ruleset=None, from_json: bool = False):
    """Validate one commune document (a dict or an already-built document); with a ruleset, the
    fields that ruleset adds are accepted too. `from_json`: the dict is what `strict_json` read
    (no NaN or numpy value to turn into a plain one)."""
    model = document_model(ruleset)
    if isinstance(obj, BaseModel) and type(obj).__name__ == "CommuneDocument":
        if isinstance(obj, model):
            return obj
        obj = obj.model_dump(exclude_none=False)
    if not isinstance(obj, dict):
        raise InputError(_NOT_AN_OBJECT[0], source=source, fix=_NOT_AN_OBJECT[1])
    try:
        plain = from_json and "assessment_date" not in obj  # else: the date's check is in _normalise
        return model.model_validate(obj if plain else _normalise(obj))
    except ValidationError as error:
        raise _error_to_input_error(error, source) from None
    except RecursionError:
        raise InputError(_TOO_DEEP[0], source=source, fix=_TOO_DEEP[1]) from None


def region_of(document) -> str | None:
    if document.region:
        return document.region
    if document.commune.province:
        return region_of_province(document.commune.province)
    return None


_NOT_UTF8 = Say("tệp không phải chữ UTF-8", "the file is not UTF-8 text")
_SAVE_UTF8 = Say("lưu lại dạng UTF-8 (trong Excel: CSV UTF-8; trong trình soạn thảo: mã hóa UTF-8)",
                 "save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)")


def decode_utf8(raw: bytes, source: str = "") -> str:
    """Bytes as text (UTF-8, a BOM is fine); InputError naming the fix otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(_NOT_UTF8, source=source, fix=_SAVE_UTF8) from None


def read_utf8(path: str | Path, limit: int = MAX_ROW_BYTES, what: str = "file") -> str:
    """A regular file's text, at most `limit` bytes (UTF-8, a BOM is fine); InputError naming the file otherwise."""
    source = str(path)
    raw = read_limited(path, limit, lambda message, fix: InputError(message, source=source, fix=fix), what)
    return decode_utf8(raw, source)


_NO_STDIN = (Say("không có đầu vào chuẩn để đọc", "there is no standard input to read"),
             Say("chuyển một tài liệu vào lệnh, hoặc ghi tên tệp", "pipe a document into the command, or give the file's name"))


def read_stdin(stream, limit: int = MAX_ROW_BYTES) -> str:
    """Standard input's text (one document); InputError when there is none or it is too long."""
    if stream is None:
        raise InputError(_NO_STDIN[0], source="<stdin>", fix=_NO_STDIN[1])
    buffer = getattr(stream, "buffer", stream)
    try:
        raw = read_stream_limited(buffer, limit, lambda message, fix: InputError(message, source="<stdin>", fix=fix),
                                  "document")
    except (OSError, ValueError) as error:  # closed or unreadable descriptor
        reason = getattr(error, "strerror", None) or str(error)
        raise InputError(Say(f"không đọc được đầu vào chuẩn ({reason})", f"standard input cannot be read ({reason})"),
                         source="<stdin>", fix=_NO_STDIN[1]) from None
    return decode_utf8(raw, "<stdin>")


class _JsonProblem(ValueError):
    def __init__(self, message: Say, fix: Say, path: str = ""):
        super().__init__(message.en)
        self.message, self.fix, self.path = message, fix, path


class _Refused:
    """A number the strict reading refuses, left where it stands so that its field can be named."""

    __slots__ = ("message", "fix")

    def __init__(self, message: Say, fix: Say):
        self.message, self.fix = message, fix


def _no_duplicates(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonProblem(Say(f"khóa {shown(key)} được ghi hai lần trong một đối tượng",
                                       f"the key {shown(key)} is written twice in one object"),
                                   Say("giữ lại một", "keep one of them"))
            seen.add(key)
    return obj


def _integer(text: str) -> int | _Refused:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        return _Refused(Say(f"một số nguyên {digits} chữ số (chỉ đọc tối đa {MAX_INT_DIGITS})",
                            f"an integer of {digits} digits (at most {MAX_INT_DIGITS} are read)"),
                        Say("ghi giá trị thật; số đếm và năm là số ngắn",
                            "write the real value; counts and years are short numbers"))
    return int(text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(Say(f"số {shown(text)} quá lớn để là một giá trị", f"the number {shown(text)} is too large to be a value"),
                        Say("ghi giá trị thật", "write the real value"))
    return value + 0.0  # -0.0 is 0.0


def _constant(name: str) -> _Refused:
    return _Refused(Say(f"{name} không phải là số trong JSON", f"{name} is not a number in JSON"),
                    Say("ghi một số, hoặc bỏ trường này nếu chưa có số liệu",
                        "write a number, or leave the field out for no data"))


def _refuse_numbers(node: Any, path: str = "") -> None:
    """Raise for the first refused number of a (strictly read) tree, naming its JSON path."""
    if isinstance(node, _Refused):
        raise _JsonProblem(node.message, node.fix, path)
    if type(node) is dict:
        for key, value in node.items():
            if isinstance(value, (dict, list, _Refused)):
                _refuse_numbers(value, f"{path}.{key}" if path else str(key))
    elif type(node) is list:
        for index, value in enumerate(node):
            if isinstance(value, (dict, list, _Refused)):
                _refuse_numbers(value, f"{path}[{index}]")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_int=_integer, parse_float=_float,
                            parse_constant=_constant)
# The same reading with numbers parsed in C (several times faster); a number it reads that the
# strict reading would refuse or change is found by `_check_tree`, and the text is read again strictly.
_FAST_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_constant)
_INT_LIMIT = 10 ** MAX_INT_DIGITS
_FLOAT_MAX = sys.float_info.max


def _check_tree(obj: Any) -> bool:
    """Nesting within the limit, and every text writable (no lone surrogate from a \\u escape).
    False when a number needs the strict reading: more than MAX_INT_DIGITS digits, not finite, or -0.0."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _JsonProblem(*_TOO_DEEP)
        for key, value in (node.items() if type(node) is dict else enumerate(node)):
            if type(key) is str and not key.isascii():
                _check_text(key)
            kind = type(value)
            if kind is dict or kind is list:
                stack.append((value, depth + 1))
            elif kind is str:
                if not value.isascii():
                    _check_text(value)
            elif kind is float:
                if not -_FLOAT_MAX <= value <= _FLOAT_MAX or (value == 0.0 and math.copysign(1.0, value) < 0):
                    return False
            elif kind is int and not -_INT_LIMIT < value < _INT_LIMIT:
                return False
            elif kind is _Refused:
                return False
    return True


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _JsonProblem(Say("một đoạn chữ có ký tự không hợp lệ (nửa cặp thay thế như \\udc80)",
                               "a text holds an invalid character (a lone surrogate such as \\udc80)"),
                           Say("gõ lại đoạn chữ; lưu tệp dạng UTF-8", "retype the text; save the file as UTF-8")) from None


def strict_json(text: str) -> Any:
    """JSON as the contract means it: no NaN or Infinity, no duplicate keys, integers of at most 15
    digits, nesting of at most 20 levels, no lone surrogates. Raises _JsonProblem or JSONDecodeError."""
    try:
        obj = _FAST_DECODER.decode(text)
        if type(obj) in (dict, list) and _check_tree(obj):
            return obj
    except (ValueError, RecursionError):  # read again strictly: its error is the one to give
        pass
    try:
        obj = _DECODER.decode(text)
    except RecursionError:
        raise _JsonProblem(*_TOO_DEEP) from None
    if type(obj) in (dict, list):
        _check_tree(obj)
    elif type(obj) is str and not obj.isascii():
        _check_text(obj)
    _refuse_numbers(obj)
    return obj


def json_value(text: str, source: str = "") -> Any:
    """Any strict JSON value from text; InputError naming line and column when it is not JSON."""
    if not text.strip():
        raise InputError(Say("tệp trống", "the file is empty"), source=source,
                         fix=Say('ghi một tài liệu của xã: {"commune": {...}, ...}', 'write one commune document: {"commune": {...}, ...}'))
    try:
        return strict_json(text.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        raise InputError(Say(f"không phải JSON hợp lệ (dòng {error.lineno}, cột {error.colno}: {error.msg})",
                             f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"), source=source,
                         fix=Say("sửa cú pháp JSON ở chỗ đó", "correct the JSON syntax there")) from None
    except _JsonProblem as problem:
        raise InputError(problem.message, source=source, field=problem.path, fix=problem.fix) from None


def json_object(text: str, source: str = "") -> dict:
    """One JSON object from text; InputError (naming line and column) when it is not one."""
    obj = json_value(text, source)
    if not isinstance(obj, dict):
        raise InputError(_NOT_AN_OBJECT[0], source=source, fix=_NOT_AN_OBJECT[1])
    return obj


def read_document(path: str | Path, text: str | None = None) -> dict:
    """Read one commune document from a file (or `-` with its text given; a BOM is fine) as a JSON
    object; `assess` validates it against the ruleset it is assessed under (whose fields it may add)."""
    source = str(path)
    if text is None:
        text = read_utf8(path, MAX_ROW_BYTES, "commune document")
    return json_object(text, source)


def input_json_schema(ruleset=None) -> dict:
    """The JSON Schema of the commune document (for a ruleset: with the fields it adds)."""
    return document_model(ruleset).model_json_schema()
