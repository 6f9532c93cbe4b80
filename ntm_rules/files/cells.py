"""A sheet's cells as Excel shows them, read from the sheet's XML (see `xlsx.py`, the workbook).

`RowReader` is expat's handlers for one sheet: every row written, in order (a row out of order or
past Excel's last row is refused); `cell_value` turns a cell's stored text into the value shown:
a shared or inline text, yes/no, a number (from its decimal text), a percentage cell as the
percentage shown (exactly: Decimal), a date cell as a date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.parsers import expat

EXCEL_MAX_ROW, EXCEL_MAX_COLUMN = 1_048_576, 16_384
_MAX_NUMBER_TEXT = 40  # a number Excel stores is a double: never longer than this as text


class Refused(Exception):
    """What makes a workbook's part unreadable (said as a damaged workbook, naming the part)."""


@dataclass(slots=True)
class SheetRow:
    """One row as written in the sheet: 1-based `number`, `values` by 0-based column (None for an
    empty cell, trailing empties cut), and the columns holding a formula (`formulas`, whose value is
    the one saved with the file, None when none was) or a percentage (`percent`, already scaled)."""

    number: int
    values: list
    formulas: frozenset = frozenset()
    percent: frozenset = frozenset()


@dataclass
class Styles:
    percent: set[int] = field(default_factory=set)  # style indexes (cellXfs) that show a percentage
    dates: set[int] = field(default_factory=set)  # ... a date or time


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(column: int, row: int) -> str:
    """"B12" for 0-based column 1 of row 12."""
    return f"{column_letter(column)}{row}"


def xml_parser(start=None, end=None, text=None) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse(*_):
        raise Refused("declares a DTD or an entity")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    return parser


def local_name(name: str) -> str:
    return name.rpartition(":")[2]


def cell_value(kind: str | None, style: int, text: str, inline: str | None, strings: list[str], styles: "Styles",
               date1904: bool):
    """A cell's value from its type (`t`), style index and stored text, as Excel shows it: (value,
    whether it is a percentage shown as such)."""
    if kind == "s":
        try:
            return strings[int(text)], False
        except (ValueError, IndexError):
            raise Refused(f"a text number {text[:20]!r} that is not in its table of texts") from None
    if kind == "inlineStr":
        return inline, False
    if kind in ("str", "e"):
        return text, False
    if kind == "b":
        return text.strip() in ("1", "true"), False
    if kind == "d":
        try:
            return datetime.fromisoformat(text.strip()), False
        except ValueError:
            return text, False
    text = text.strip()
    if not text:
        return None, False
    if len(text) > _MAX_NUMBER_TEXT:
        raise Refused(f"a number of {len(text)} characters")
    if style in styles.percent:
        try:
            shown = Decimal(text) * 100
        except InvalidOperation:
            raise Refused(f"{text[:20]!r} is not a number") from None
        if not shown.is_finite():
            raise Refused(f"{text[:20]!r} is not a number")
        return (int(shown) if shown == shown.to_integral_value() else float(shown)), True
    try:
        number = float(text) if any(ch in text for ch in ".eEnN") else int(text)
    except ValueError:
        raise Refused(f"{text[:20]!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Refused(f"{text[:20]!r} is not a number")
    if style in styles.dates and isinstance(number, (int, float)):
        return excel_date(number, date1904), False
    return number, False


class RowReader:
    """expat handlers collecting a sheet's rows: `take()` hands over the rows completed so far."""

    def __init__(self, read_value):
        self.read_value = read_value  # (type, style, stored text, inline text) → (value, percent)
        self.done: list[SheetRow] = []
        self.last = 0  # the last row number read
        self.row: int | None = None
        self.values: list = []
        self.formulas: set[int] = set()
        self.percent: set[int] = set()
        self.column = -1
        self.cell: tuple | None = None  # (column, type, style)
        self.has_formula = False
        self.collect: list[str] | None = None  # the text being read (<v>, or <t> of an inline string)
        self.stored: str | None = None
        self.inline: list[str] | None = None

    def take(self) -> list[SheetRow]:
        done, self.done = self.done, []
        return done

    def start(self, name, attrs):
        local = local_name(name)
        if local == "c" and self.row is not None:
            reference = attrs.get("r")
            column = column_of(reference) if reference else self.column + 1
            if column is None:
                raise Refused(f"a cell reference {reference[:20]!r}")
            self.column = column
            try:
                style = int(attrs.get("s", "0"))
            except ValueError:
                style = 0
            self.cell = (column, attrs.get("t"), style)
            self.has_formula, self.stored, self.inline = False, None, None
        elif local == "row":
            number = attrs.get("r")
            try:
                number = int(number) if number is not None else self.last + 1
            except ValueError:
                raise Refused(f"a row number {str(number)[:20]!r}") from None
            if number <= self.last:
                raise Refused(f"row {number} comes after row {self.last}")
            if number > EXCEL_MAX_ROW:
                raise Refused(f"row number {number} is beyond Excel's last row")
            self.row, self.last, self.column = number, number, -1
            self.values, self.formulas, self.percent = [], set(), set()
        elif self.cell is not None:
            if local == "v":
                self.collect = []
            elif local == "f":
                self.has_formula = True
            elif local == "is":
                self.inline = []
            elif local == "t" and self.inline is not None:
                self.collect = []
            elif local == "rPh" and self.inline is not None:
                self.inline.append(None)  # phonetic text: not shown (see `end`)

    def text(self, data):
        if self.collect is not None:
            self.collect.append(data)

    def end(self, name):
        local = local_name(name)
        if local == "v" and self.collect is not None:
            self.stored, self.collect = "".join(self.collect), None
        elif local == "t" and self.collect is not None and self.inline is not None:
            if not (self.inline and self.inline[-1] is None):
                self.inline.append("".join(self.collect))
            self.collect = None
        elif local == "rPh" and self.inline and self.inline[-1] is None:
            self.inline.pop()
        elif local == "c" and self.cell is not None:
            self._cell()
        elif local == "row" and self.row is not None:
            values = self.values
            while values and (values[-1] is None or values[-1] == ""):
                values.pop()
            self.done.append(SheetRow(self.row, values, frozenset(self.formulas), frozenset(self.percent)))
            self.row = None

    def _cell(self) -> None:
        column, kind, style = self.cell
        self.cell = None
        if column >= EXCEL_MAX_COLUMN:
            return
        inline = "".join(t for t in self.inline if t is not None) if self.inline is not None else None
        if self.stored is None and inline is None:
            value, percent = None, False
        else:
            value, percent = self.read_value(kind, style, self.stored or "", inline)
        if value is None and not self.has_formula:
            return
        while len(self.values) <= column:
            self.values.append(None)
        self.values[column] = value
        if self.has_formula:
            self.formulas.add(column)
        if percent:
            self.percent.add(column)


_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?[0-9]+")


def column_number(letters: bytes | str) -> int:
    value = 0
    for ch in (letters.encode() if isinstance(letters, str) else letters):
        value = value * 26 + (ch - 64)
    return value


def column_of(reference: str) -> int | None:
    """The 0-based column of a reference such as "AB12"."""
    match = _REFERENCE.fullmatch(reference.upper())
    return column_number(match.group(1)) - 1 if match else None


def is_percent(code: str) -> bool:
    """A number format that shows a number as a percentage ("0.0%"; not a literal "%" in quotes)."""
    from openpyxl.styles.numbers import STRIP_RE

    first = code.split(";")[0]
    first = re.sub(r"\\.", "", STRIP_RE.sub("", first))
    return "%" in first


def excel_date(serial: float, date1904: bool):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    try:
        moment = from_excel(serial, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900)
    except (ValueError, OverflowError, TypeError):
        return serial
    if isinstance(moment, datetime) and moment.time() == datetime.min.time():
        return moment.date()
    return moment if isinstance(moment, (date, datetime)) else serial


def reason(error: BaseException) -> str:
    if isinstance(error, expat.ExpatError):
        return f"not well-formed XML ({expat.ErrorString(error.code)}, line {error.lineno})"
    text = str(error).strip()
    return f"{type(error).__name__}: {text[:100]}" if text and not isinstance(error, Refused) else (text or type(error).__name__)


