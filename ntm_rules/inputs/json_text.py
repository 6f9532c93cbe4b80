"""JSON text read strictly, as the input contract means it (../shared/contract/commune-input.md).

No NaN or Infinity, no key written twice, integers of at most 15 digits, nesting of at most 20
levels, no lone surrogates. Text is UTF-8 (a BOM is fine), read from a regular file or standard
input of at most a given size. `read_document` reads one commune document as a JSON object;
`document` validates it against the contract.

Every error is an InputError with a Vietnamese and an English line (`line(lang)`).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import orjson

from ..errors import InputError, Say, printable
from ..files import read_limited, read_stream_limited
from ..limits import MAX_DEPTH, MAX_INT_DIGITS, MAX_ROW_BYTES


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


NOT_AN_OBJECT = (Say("tài liệu không phải một đối tượng JSON", "the document is not a JSON object"),
                 Say('ghi {"commune": {...}, "year": ..., "data": {...}}', 'write {"commune": {...}, "year": ..., "data": {...}}'))
TOO_DEEP = (Say(f"tài liệu lồng sâu hơn {MAX_DEPTH} tầng", f"the document is nested more than {MAX_DEPTH} levels deep"),
            Say("ghi theo mẫu phẳng của hợp đồng dữ liệu", "write the contract's flat shape"))


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
# The fast reading: orjson (several times faster than the json module), trusted only when the tree
# it gives is the one the strict reading would give, else the text is read again strictly (which
# also gives the error to show):
# - orjson refuses NaN, Infinity, lone surrogates, control characters and numbers beyond a double;
# - it keeps the last of a key written twice, so the keys are counted: every key of a text is a
#   string followed by a colon, so with no space before any colon the text holds `":` at least once
#   per key it writes, once more for every `\":` inside a string; as many `":` as the tree has keys
#   means that no key was written twice (a space before a colon, or `\":` in a text, reads strictly);
# - it reads an integer beyond 64 bits as a float: a float that large reads strictly;
# - `_check_tree` finds what the strict reading refuses or changes (long integers, -0.0).
# The batch reads every row this way: tests/test_json_text.py checks both readings agree.
_SPACED_COLON = re.compile(r'"[ \t\n\r]+:')
_INT_LIMIT = 10 ** MAX_INT_DIGITS
_FLOAT_LIMIT = 2.0 ** 63  # no float of commune data is this large; an integer read by orjson may be


def _check_tree(obj: Any) -> int | None:
    """Nesting within the limit, and every text writable (no lone surrogate from a \\u escape), in
    the whole tree, whatever comes before it. The number of keys of its objects; None when a number
    needs the strict reading: more than MAX_INT_DIGITS digits, a float as large as an integer orjson
    would not read as one, or -0.0."""
    stack = [(obj, 1)]
    keys = 0
    strict = False
    low, high = -_FLOAT_LIMIT, _FLOAT_LIMIT
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _JsonProblem(*TOO_DEEP)
        if type(node) is dict:
            keys += len(node)
            if not "".join(node).isascii():  # (an object's keys are texts)
                for key in node:
                    _check_text(key)
            values = node.values()
        else:
            values = node
        for value in values:  # (numbers first: a document's data are)
            kind = type(value)
            if kind is float:
                if not low < value < high or (value == 0.0 and math.copysign(1.0, value) < 0):
                    strict = True
            elif kind is str:
                if not value.isascii():
                    _check_text(value)
            elif kind is dict or kind is list:
                stack.append((value, depth + 1))
            elif kind is int:
                if not -_INT_LIMIT < value < _INT_LIMIT:
                    strict = True
            elif kind is _Refused:
                strict = True
    return None if strict else keys


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
    found = _fast(text)
    return found if found is not None else strict_reading(text)


def _fast(text: str) -> dict | list | None:
    """The object or array orjson reads, when it is the one the strict reading gives (see above)."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict and type(obj) is not list:
        return None
    try:
        keys = _check_tree(obj)
    except _JsonProblem:  # read again strictly: its error is the one to give
        return None
    if keys is None or text.count('":') != keys or _SPACED_COLON.search(text) is not None:
        return None
    return obj


def strict_reading(text: str) -> Any:
    """`strict_json` by the json module alone, with every number and key checked as it is read."""
    try:
        obj = _DECODER.decode(text)
    except RecursionError:
        raise _JsonProblem(*TOO_DEEP) from None
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
        raise InputError(NOT_AN_OBJECT[0], source=source, fix=NOT_AN_OBJECT[1])
    return obj


def read_document(path: str | Path, text: str | None = None) -> dict:
    """Read one commune document from a file (or `-` with its text given; a BOM is fine) as a JSON
    object; `assess` validates it against the ruleset it is assessed under (whose fields it may add)."""
    source = str(path)
    if text is None:
        text = read_utf8(path, MAX_ROW_BYTES, "commune document")
    return json_object(text, source)
