"""The one reader of .xlsx workbooks: every row that is there, each cell as Excel shows it.

A workbook is a zip of XML parts; this reads them itself, streaming, with the standard library's
expat (a part that declares a DTD or an entity is refused), so that what the package sees is what
a clerk or an office saw in Excel, whoever wrote the file:
- every row written in a sheet's XML, in order: a declared used range (`<dimension ref=...>`, which
  some writers leave short) is never trusted, nor needed;
- a number shown as a percentage (0,725 shown as 72,5 %) is the number shown, exactly: 72.5 (from
  the decimal text the file stores, never 0.725 * 100 = 72.49999...);
- a number shown as a date is a `datetime.date` (a `datetime` when it has a time of day);
- a formula is flagged on its cell, with the value saved with the file (None when none was saved):
  a reader of law refuses it (the tool cannot recalculate, and a saved value may be stale), a
  reader of commune data takes the saved value and refuses a formula without one;
- merged ranges are listed per sheet (they come after the rows in the XML: found first).
Limits (`limits.py`): the parts unpacked at most 200 MB, the table of texts 10 MB, of styles 4 MB.
A row out of order or past Excel's last row, a part that is not well-formed XML: damaged, refused.

Clerks' tables (`inputs.tables`), the law as a workbook (`law.tables`) and `ntm_rules.read_table`
all read through `open_workbook`; nothing else in the package opens a workbook for reading.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterator
from xml.parsers import expat

from ..errors import InputError, Say
from ..limits import MAX_XLSX_SHARED_STRINGS, MAX_XLSX_STYLES, MAX_XLSX_UNCOMPRESSED
from . import human_size, open_regular

EXCEL_MAX_ROW, EXCEL_MAX_COLUMN = 1_048_576, 16_384
_PART_LIMITS = {"sharedstrings.xml": (MAX_XLSX_SHARED_STRINGS, Say("bảng chữ", "table of texts")),
                "styles.xml": (MAX_XLSX_STYLES, Say("bảng kiểu", "table of styles"))}
_CHUNK = 1 << 16
_MAX_NUMBER_TEXT = 40  # a number Excel stores is a double: never longer than this as text


@dataclass(slots=True)
class SheetRow:
    """One row as written in the sheet: 1-based `number`, `values` by 0-based column (None for an
    empty cell, trailing empties cut), and the columns holding a formula (`formulas`, whose value is
    the one saved with the file, None when none was) or a percentage (`percent`, already scaled)."""

    number: int
    values: list
    formulas: frozenset = frozenset()
    percent: frozenset = frozenset()


@dataclass(frozen=True)
class Sheet:
    name: str
    member: str  # its part in the zip


@dataclass
class _Styles:
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


def damaged(path: str | Path, detail: str) -> InputError:
    return InputError(Say(f"sổ tính bị hỏng ({detail})", f"the workbook is damaged ({detail})"), source=str(path),
                      fix=Say("mở bằng Excel, lưu lại dạng .xlsx rồi chạy lại",
                              "open it in Excel, save it again as .xlsx, and run the command again"))


def check_limits(path: str | Path, parts: list[zipfile.ZipInfo]) -> None:
    """A workbook's parts, uncompressed, within the limits (a few MB can unpack to gigabytes)."""
    total = sum(info.file_size for info in parts)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InputError(Say(f"sổ tính giải nén ra {human_size(total)}, lớn hơn mức {human_size(MAX_XLSX_UNCOMPRESSED)} cho phép",
                             f"the workbook unpacks to {human_size(total)}, more than the {human_size(MAX_XLSX_UNCOMPRESSED)} "
                             "allowed"), source=str(path),
                         fix=Say("tách thành nhiều sổ tính, hoặc bỏ những gì không phải số liệu (hình ảnh, trang khác)",
                                 "split it into several workbooks, or remove what is not data (images, other sheets)"))
    for ending, (limit, what) in _PART_LIMITS.items():
        size = sum(info.file_size for info in parts if info.filename.lower().endswith(ending))
        if size > limit:
            raise InputError(Say(f"{what.vi} của sổ tính giải nén ra {human_size(size)}, lớn hơn mức {human_size(limit)} cho phép",
                                 f"the workbook's {what.en} unpacks to {human_size(size)}, more than the "
                                 f"{human_size(limit)} allowed"), source=str(path),
                             fix=Say("tách thành nhiều sổ tính, hoặc lưu danh sách dạng CSV UTF-8",
                                     "split it into several workbooks, or save the list as CSV UTF-8"))


def _parser(start=None, end=None, text=None) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse(*_):
        raise _Refused("declares a DTD or an entity")

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


class _Refused(Exception):
    pass


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class Workbook:
    """An open workbook (use as a context manager): its worksheets, custom properties, rows."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._handle = open_regular(path, lambda message, fix: InputError(message, source=self.path, fix=fix))
        try:
            try:
                self._zip = zipfile.ZipFile(self._handle)
                parts = self._zip.infolist()
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
                raise InputError(Say("đây không phải sổ tính .xlsx (không mở được)",
                                     "this is not an .xlsx workbook (it cannot be opened as one)"), source=self.path,
                                 fix=Say("lưu lại từ Excel dạng .xlsx (Excel Workbook)",
                                         "save it from Excel as .xlsx (Excel Workbook)")) from None
            check_limits(path, parts)
            self._names = {info.filename.lower(): info.filename for info in parts}
            self.sheets, self.date1904, strings, styles = self._structure()
            self._strings = self._shared_strings(strings)
            self._styles = self._read_styles(styles)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        zip_file = getattr(self, "_zip", None)
        if zip_file is not None:
            zip_file.close()
        self._handle.close()

    # ------------------------------------------------------------------------------ the parts
    def _member(self, name: str) -> str | None:
        return self._names.get(name.lstrip("/").lower())

    def _parse(self, member: str, parser: expat.XMLParserType, what: str) -> None:
        """Feed a whole part to a parser; any fault is a damaged workbook naming the part."""
        try:
            with self._zip.open(member) as stream:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except InputError:
            raise
        except (expat.ExpatError, _Refused, zipfile.BadZipFile, OSError, ValueError, EOFError, RecursionError) as error:
            raise damaged(self.path, f"{what}: {_reason(error)}") from None

    def _relations(self, member: str | None) -> dict[str, tuple[str, str]]:
        """Id → (type, target part) of a part's relationships (targets resolved against its folder)."""
        if member is None:
            return {}
        folder = posixpath.dirname(posixpath.dirname(member))  # xl/_rels/workbook.xml.rels → xl
        found: dict[str, tuple[str, str]] = {}

        def start(name, attrs):
            if _local(name) == "Relationship" and "Id" in attrs and "Target" in attrs:
                target = attrs["Target"]
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                found[attrs["Id"]] = (attrs.get("Type", ""), target)

        self._parse(member, _parser(start=start), member)
        return found

    def _structure(self):
        office = next((target for kind, target in self._relations(self._member("_rels/.rels")).values()
                       if kind.endswith("/officeDocument")), "xl/workbook.xml")
        book = self._member(office)
        if book is None:
            raise damaged(self.path, "no workbook part")
        rels_name = posixpath.join(posixpath.dirname(office), "_rels", posixpath.basename(office) + ".rels")
        relations = self._relations(self._member(rels_name))
        listed: list[tuple[str, str]] = []
        flags = {"date1904": False}

        def start(name, attrs):
            local = _local(name)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
                listed.append((attrs.get("name", ""), rid))
            elif local == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "0").lower() in ("1", "true")

        self._parse(book, _parser(start=start), "workbook.xml")
        sheets = []
        for name, rid in listed:
            kind, target = relations.get(rid, ("", ""))
            member = self._member(target) if target else None
            if kind.endswith("/worksheet") and member is not None:
                sheets.append(Sheet(name, member))
        by_kind = {kind.rpartition("/")[2]: self._member(target) for kind, target in relations.values()}
        return sheets, flags["date1904"], by_kind.get("sharedStrings"), by_kind.get("styles")

    def _shared_strings(self, member: str | None) -> list[str]:
        strings: list[str] = []
        if member is None:
            return strings
        state = {"depth": 0, "skip": 0, "take": False}
        parts: list[str] = []

        def start(name, attrs):
            local = _local(name)
            if local == "si":
                parts.clear()
            elif local in ("rPh", "phoneticPr"):
                state["skip"] += 1  # phonetic guides are not the text shown
            elif local == "t" and not state["skip"]:
                state["take"] = True

        def end(name):
            local = _local(name)
            if local == "si":
                strings.append("".join(parts))
            elif local in ("rPh", "phoneticPr"):
                state["skip"] -= 1
            elif local == "t":
                state["take"] = False

        def text(data):
            if state["take"]:
                parts.append(data)

        self._parse(member, _parser(start, end, text), "sharedStrings.xml")
        return strings

    def _read_styles(self, member: str | None) -> _Styles:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        styles = _Styles()
        if member is None:
            return styles
        custom: dict[int, str] = {}
        formats: list[int] = []
        where = {"xfs": False}

        def start(name, attrs):
            local = _local(name)
            if local == "numFmt":
                try:
                    custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
                except ValueError:
                    pass
            elif local == "cellXfs":
                where["xfs"] = True
            elif local == "xf" and where["xfs"]:
                try:
                    formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    formats.append(0)

        def end(name):
            if _local(name) == "cellXfs":
                where["xfs"] = False

        self._parse(member, _parser(start, end), "styles.xml")
        for index, format_id in enumerate(formats):
            code = custom.get(format_id, BUILTIN_FORMATS.get(format_id, "General"))
            if _is_percent(code):
                styles.percent.add(index)
            elif is_date_format(code):
                styles.dates.add(index)
        return styles

    def custom_properties(self) -> dict[str, str]:
        """The workbook's custom document properties (where `ntm-assess template` records its set)."""
        member = self._member("docProps/custom.xml")
        found: dict[str, str] = {}
        if member is None:
            return found
        state = {"name": None, "depth": 0}
        parts: list[str] = []

        def start(name, attrs):
            if _local(name) == "property":
                state["name"], state["depth"] = attrs.get("name"), 0
                parts.clear()
            elif state["name"] is not None:
                state["depth"] += 1

        def end(name):
            if _local(name) == "property" and state["name"] is not None:
                found[state["name"]] = "".join(parts)
                state["name"] = None

        def text(data):
            if state["name"] is not None:
                parts.append(data)

        self._parse(member, _parser(start, end, text), "docProps/custom.xml")
        return found

    # ------------------------------------------------------------------------------- the rows
    def merged_ranges(self, sheet: Sheet) -> list[tuple[int, int, int, int]]:
        """(first row, last row, first column, last column), 1-based, of every merged range of a sheet,
        found by streaming its XML (the list comes after the rows, so it is read first)."""
        ranges, tail = [], b""
        try:
            with self._zip.open(sheet.member) as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    buffer = tail + chunk
                    for match in _MERGE.finditer(buffer):
                        c1, r1, c2, r2 = match.groups()
                        ranges.append((int(r1), int(r2), _column_number(c1), _column_number(c2)))
                    tail = buffer[-300:]
                    if len(ranges) > 100_000:
                        break
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise damaged(self.path, f"sheet {sheet.name}: {_reason(error)}") from None
        return sorted(set(ranges))

    def rows(self, sheet: Sheet) -> Iterator[SheetRow]:
        """The rows written in a sheet, in order, streamed (stop reading when you have enough)."""
        reader = _RowReader(self, sheet)
        parser = _parser(reader.start, reader.end, reader.text)
        try:
            with self._zip.open(sheet.member) as stream:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    parser.Parse(chunk, False)
                    yield from reader.take()
                parser.Parse(b"", True)
                yield from reader.take()
        except InputError:
            raise
        except (expat.ExpatError, _Refused, zipfile.BadZipFile, OSError, ValueError, EOFError, RecursionError) as error:
            raise damaged(self.path, f"sheet {sheet.name}, near row {reader.last + 1}: {_reason(error)}") from None

    def value(self, kind: str | None, style: int, text: str, inline: str | None):
        """A cell's value from its type (`t`), style index and stored text. (value, percent)."""
        if kind == "s":
            try:
                return self._strings[int(text)], False
            except (ValueError, IndexError):
                raise _Refused(f"a text number {text[:20]!r} that is not in its table of texts") from None
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
            raise _Refused(f"a number of {len(text)} characters")
        if style in self._styles.percent:
            try:
                shown = Decimal(text) * 100
            except InvalidOperation:
                raise _Refused(f"{text[:20]!r} is not a number") from None
            if not shown.is_finite():
                raise _Refused(f"{text[:20]!r} is not a number")
            return (int(shown) if shown == shown.to_integral_value() else float(shown)), True
        try:
            number = float(text) if any(ch in text for ch in ".eEnN") else int(text)
        except ValueError:
            raise _Refused(f"{text[:20]!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _Refused(f"{text[:20]!r} is not a number")
        if style in self._styles.dates and isinstance(number, (int, float)):
            return _excel_date(number, self.date1904), False
        return number, False


class _RowReader:
    """expat handlers collecting a sheet's rows: `take()` hands over the rows completed so far."""

    def __init__(self, book: Workbook, sheet: Sheet):
        self.book, self.sheet = book, sheet
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
        local = _local(name)
        if local == "c" and self.row is not None:
            reference = attrs.get("r")
            column = _column_of(reference) if reference else self.column + 1
            if column is None:
                raise _Refused(f"a cell reference {reference[:20]!r}")
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
                raise _Refused(f"a row number {str(number)[:20]!r}") from None
            if number <= self.last:
                raise _Refused(f"row {number} comes after row {self.last}")
            if number > EXCEL_MAX_ROW:
                raise _Refused(f"row number {number} is beyond Excel's last row")
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
        local = _local(name)
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
            value, percent = self.book.value(kind, style, self.stored or "", inline)
        if value is None and not self.has_formula:
            return
        while len(self.values) <= column:
            self.values.append(None)
        self.values[column] = value
        if self.has_formula:
            self.formulas.add(column)
        if percent:
            self.percent.add(column)


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')
_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?[0-9]+")


def _column_number(letters: bytes | str) -> int:
    value = 0
    for ch in (letters.encode() if isinstance(letters, str) else letters):
        value = value * 26 + (ch - 64)
    return value


def _column_of(reference: str) -> int | None:
    """The 0-based column of a reference such as "AB12"."""
    match = _REFERENCE.fullmatch(reference.upper())
    return _column_number(match.group(1)) - 1 if match else None


def _is_percent(code: str) -> bool:
    """A number format that shows a number as a percentage ("0.0%"; not a literal "%" in quotes)."""
    from openpyxl.styles.numbers import STRIP_RE

    first = code.split(";")[0]
    first = re.sub(r"\\.", "", STRIP_RE.sub("", first))
    return "%" in first


def _excel_date(serial: float, date1904: bool):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    try:
        moment = from_excel(serial, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900)
    except (ValueError, OverflowError, TypeError):
        return serial
    if isinstance(moment, datetime) and moment.time() == datetime.min.time():
        return moment.date()
    return moment if isinstance(moment, (date, datetime)) else serial


def _reason(error: BaseException) -> str:
    if isinstance(error, expat.ExpatError):
        return f"not well-formed XML ({expat.ErrorString(error.code)}, line {error.lineno})"
    text = str(error).strip()
    return f"{type(error).__name__}: {text[:100]}" if text and not isinstance(error, _Refused) else (text or type(error).__name__)


def open_workbook(path: str | Path) -> Workbook:
    """Open a workbook for reading (a regular file, within the limits); InputError otherwise."""
    return Workbook(path)


def texts_stay_texts(book) -> None:
    """Before an openpyxl workbook is saved: a text that starts with "=" (the comparison "==") is
    written as text, not as a formula (openpyxl takes such a text for one; Excel would then show an
    error, and this reader would refuse the cell)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    cell.quotePrefix = True
