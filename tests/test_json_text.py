"""Every JSON text is read as the strict reading reads it: the fast reading (orjson, with the keys
counted) is trusted only when it gives the same tree, else the text is read strictly. Texts here
are written by hand from random trees, with the traps the fast reading must see: a key written
twice (also with a space before its colon, and with `\\":` inside a text to fool a count), long
integers, -0.0, numbers too large, NaN, lone surrogates, deep nesting."""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ntm_rules.inputs import json_text
from ntm_rules.inputs.json_text import _JsonProblem, strict_json, strict_reading

KEYS = st.sampled_from(["a", "b", "year", 'q"', "x\\", "k:", "Đ", "data", ""])
TEXTS = st.lists(st.sampled_from(list('ab":\\ Đ\u00e9\t') + ["\\u00e9", "\\ud800", '\\":', "\\n"]),
                 max_size=8).map("".join)
NUMBERS = st.one_of(
    st.integers(-10 ** 20, 10 ** 20).map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["-0.0", "0.0", "-0", "1e400", "-1e999", "2.5e-400", "NaN", "Infinity", "1E2", "123456789012345",
                     "1234567890123456", "9223372036854775808", "18446744073709551616", "1.7976931348623157e308"]))
SPACES = st.sampled_from(["", "", "", " ", "\n", "\t "])


def text_of(tree, draw) -> str:
    """A JSON text of `tree` (("obj", [(key, value)...]) / ("arr", [...]) / ("str", s) / ("num", text)),
    keys as drawn (so possibly twice), with spaces drawn around colons and commas."""
    kind, value = tree
    if kind == "num":
        return value
    if kind == "str":
        return '"' + _escaped(value) + '"'
    if kind == "arr":
        return "[" + ("," + draw(SPACES)).join(text_of(v, draw) for v in value) + "]"
    return "{" + ",".join(f'{draw(SPACES)}"{_escaped(k)}"{draw(SPACES)}:{draw(SPACES)}{text_of(v, draw)}'
                          for k, v in value) + "}"


def _escaped(text: str) -> str:
    # the alphabet's escapes ("\\u00e9", "\\ud800", '\\":', "\\n") are kept; a bare quote or backslash is escaped
    out, k = [], 0
    while k < len(text):
        for escape in ("\\u00e9", "\\ud800", '\\":', "\\n"):
            if text.startswith(escape, k):
                out.append(escape)
                k += len(escape)
                break
        else:
            out.append({'"': '\\"', "\\": "\\\\", "\t": "\\t"}.get(text[k], text[k]))
            k += 1
    return "".join(out)


trees = st.recursive(
    st.one_of(NUMBERS.map(lambda n: ("num", n)), TEXTS.map(lambda s: ("str", s))),
    lambda inner: st.one_of(st.lists(inner, max_size=4).map(lambda v: ("arr", v)),
                            st.lists(st.tuples(KEYS, inner), max_size=5).map(lambda v: ("obj", v))),
    max_leaves=12)


def outcome(read, text):
    try:
        return "ok", read(text)
    except _JsonProblem as problem:
        return "refused", (problem.message.en, problem.path)
    except json.JSONDecodeError:
        return "not json", None


def same(a, b) -> bool:
    """Equal trees, with each number of the same type (1 and 1.0 differ here) and 0.0 not -0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


@settings(max_examples=3000, deadline=None)
@given(st.data())
def test_the_fast_reading_reads_what_the_strict_reading_reads(data):
    tree = data.draw(st.one_of(trees.filter(lambda t: t[0] in ("obj", "arr")), trees))
    text = text_of(tree, data.draw)
    fast, strict = outcome(strict_json, text), outcome(strict_reading, text)
    assert fast[0] == strict[0], (text, fast, strict)
    if fast[0] == "ok":
        assert same(fast[1], strict[1]), (text, fast, strict)
        assert writable(fast[1]), text  # whatever number comes before a lone surrogate
    else:
        assert fast == strict, text


def writable(tree) -> bool:
    """Every text of a tree (keys too) can be written as UTF-8: none holds a lone surrogate."""
    if isinstance(tree, dict):
        return all(writable(k) and writable(v) for k, v in tree.items())
    if isinstance(tree, list):
        return all(writable(v) for v in tree)
    if isinstance(tree, str):
        try:
            tree.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


@pytest.mark.parametrize("before", ["1e300", "-1e300", "123456789012345678", "-0.0", "9223372036854775808"])
@pytest.mark.parametrize("where", ['{"b": %s, "a": "x\\udc80"}', '{"b": %s, "\\udc80": 1}', '[%s, "\\ud800"]',
                                   '{"year": %s, "commune": {"name": "a"}, "region": "\\udc80"}'])
def test_a_lone_surrogate_is_refused_whatever_number_comes_before_it(before, where):
    """A number that sends the text to the strict reading once let it stop looking at the texts
    after it: a lone surrogate then reached the batch's rejected rows, which could not write it."""
    text = where % before
    for read in (strict_json, strict_reading):
        found = outcome(read, text)
        assert found[0] == "refused" and "lone surrogate" in found[1][0], (read, found)


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', '{"a":1,"a" :2}', '{"a":1,"b":"\\":","a":2}', '{"a":{"b":1,"b":1}}', '[{"a":1,"a":1}]',
    '{"year": 123456789012345678901234567890}', '{"a": 18446744073709551616}', '{"a": -0.0}', '{"a": 1e999}',
    '{"a": NaN}', '{"a": "\\ud800"}', '[' * 30 + ']' * 30])
def test_each_trap_is_read_strictly(text):
    assert json_text._fast(text) is None  # the fast reading does not trust itself here
    assert outcome(strict_json, text) == outcome(strict_reading, text)
    assert outcome(strict_json, text)[0] != "ok" or text == '{"a": -0.0}'


def test_a_plain_document_takes_the_fast_reading():
    text = json.dumps({"commune": {"name": "Xã Tân Cương"}, "year": 2020, "data": {"a": 1.5, "b": True, "c": None}},
                      ensure_ascii=False)
    assert json_text._fast(text) == json.loads(text)
    compact = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    assert json_text._fast(compact) == json.loads(text)
