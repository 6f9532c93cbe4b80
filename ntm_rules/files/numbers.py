"""A number as a spreadsheet cell's text writes it, read one way everywhere: a clerk's table
(CSV or workbook), a pandas cell, a threshold in the law's workbook.

"16,1" is 16.1 and "1.234,5" is 1234.5 (Vietnamese), "41.500.000" is 41500000 (dots grouping
thousands), a lone dot is a decimal point ("16.1"), "1e-05" as software writes it, a trailing
"%" is the number shown ("72,5 %" is 72.5). Anything else is not a number: words, "7_0" (which
Python's float() would read as 70), full-width or other non-ASCII digits, more than 15 digits.
"""
from __future__ import annotations

import math
import re

from babel.numbers import NumberFormatError, parse_decimal

from ..limits import MAX_INT_DIGITS

_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?")
_EXPONENT = re.compile(r"[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]{1,3}")
_THOUSANDS = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{3}){2,}")
_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?|[-+]?[0-9]+,[0-9]+")


def number(text: str) -> int | float | None:
    """A number as a Vietnamese spreadsheet writes it ("16,1", "1.234,5", "72,5 %"), or as
    software does ("16.1", "1e-05"); None for anything else (words, "1_2", full-width digits,
    more than 15 digits): the validator then names the cell and the fix."""
    text = text.replace("\u00a0", "").replace(" ", "").removesuffix("%")
    if not text or sum(ch.isdigit() for ch in text) > MAX_INT_DIGITS + 6:
        return None
    if _EXPONENT.fullmatch(text):
        value = float(text)
        return value + 0.0 if math.isfinite(value) else None
    if "," in text:  # Vietnamese: "1.234,5" or "16,1"
        if not _GROUPED.fullmatch(text):
            return None
        try:
            value = parse_decimal(text, locale="vi_VN", strict=True)
        except (NumberFormatError, ValueError):
            return None
        return float(value) + 0.0
    if _THOUSANDS.fullmatch(text):  # "41.500.000": dots grouping thousands (a lone dot is a decimal point)
        return int(text.replace(".", ""))
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    if "." in text:
        return float(text) + 0.0  # + 0.0: -0.0 is written 0.0
    if len(text.lstrip("+-")) > MAX_INT_DIGITS:
        return None
    return int(text)
