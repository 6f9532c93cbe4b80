"""The one reader of .xlsx workbooks: every row that is there, each cell as Excel shows it (the
workbook and its parts here; the cells in `cells.py`).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from xml.parsers import expat

from ..errors import InputError, Say
from ..limits import MAX_XLSX_SHARED_STRINGS, MAX_XLSX_STYLES, MAX_XLSX_UNCOMPRESSED
from . import human_size, open_regular
from .cells import Refused, RowReader, SheetRow, Styles, cell_value, column_number, is_percent, local_name, reason, xml_parser

_PART_LIMITS = {"sharedstrings.xml": (MAX_XLSX_SHARED_STRINGS, Say("bảng chữ", "table of texts")),
                "styles.xml": (MAX_XLSX_STYLES, Say("bảng kiểu", "table of styles"))}
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Sheet:
    name: str
    member: str  # its part in the zip


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
        except (expat.ExpatError, Refused, zipfile.BadZipFile, OSError, ValueError, EOFError, RecursionError) as error:
            raise damaged(self.path, f"{what}: {reason(error)}") from None

    def _relations(self, member: str | None) -> dict[str, tuple[str, str]]:
        """Id → (type, target part) of a part's relationships (targets resolved against its folder)."""
        if member is None:
            return {}
        folder = posixpath.dirname(posixpath.dirname(member))  # xl/_rels/workbook.xml.rels → xl
        found: dict[str, tuple[str, str]] = {}

        def start(name, attrs):
            if local_name(name) == "Relationship" and "Id" in attrs and "Target" in attrs:
                target = attrs["Target"]
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                found[attrs["Id"]] = (attrs.get("Type", ""), target)

        self._parse(member, xml_parser(start=start), member)
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
            local = local_name(name)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if local_name(k) == "id"), None)
                listed.append((attrs.get("name", ""), rid))
            elif local == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "0").lower() in ("1", "true")

        self._parse(book, xml_parser(start=start), "workbook.xml")
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
            local = local_name(name)
            if local == "si":
                parts.clear()
            elif local in ("rPh", "phoneticPr"):
                state["skip"] += 1  # phonetic guides are not the text shown
            elif local == "t" and not state["skip"]:
                state["take"] = True

        def end(name):
            local = local_name(name)
            if local == "si":
                strings.append("".join(parts))
            elif local in ("rPh", "phoneticPr"):
                state["skip"] -= 1
            elif local == "t":
                state["take"] = False

        def text(data):
            if state["take"]:
                parts.append(data)

        self._parse(member, xml_parser(start, end, text), "sharedStrings.xml")
        return strings

    def _read_styles(self, member: str | None) -> Styles:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        styles = Styles()
        if member is None:
            return styles
        custom: dict[int, str] = {}
        formats: list[int] = []
        where = {"xfs": False}

        def start(name, attrs):
            local = local_name(name)
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
            if local_name(name) == "cellXfs":
                where["xfs"] = False

        self._parse(member, xml_parser(start, end), "styles.xml")
        for index, format_id in enumerate(formats):
            code = custom.get(format_id, BUILTIN_FORMATS.get(format_id, "General"))
            if is_percent(code):
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
            if local_name(name) == "property":
                state["name"], state["depth"] = attrs.get("name"), 0
                parts.clear()
            elif state["name"] is not None:
                state["depth"] += 1

        def end(name):
            if local_name(name) == "property" and state["name"] is not None:
                found[state["name"]] = "".join(parts)
                state["name"] = None

        def text(data):
            if state["name"] is not None:
                parts.append(data)

        self._parse(member, xml_parser(start, end, text), "docProps/custom.xml")
        return found

    # ------------------------------------------------------------------------------- the rows
    def value(self, kind: str | None, style: int, text: str, inline: str | None):
        """A cell's value from its type, style and stored text (see `cells.cell_value`)."""
        return cell_value(kind, style, text, inline, self._strings, self._styles, self.date1904)

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
                        ranges.append((int(r1), int(r2), column_number(c1), column_number(c2)))
                    tail = buffer[-300:]
                    if len(ranges) > 100_000:
                        break
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise damaged(self.path, f"sheet {sheet.name}: {reason(error)}") from None
        return sorted(set(ranges))

    def rows(self, sheet: Sheet) -> Iterator[SheetRow]:
        """The rows written in a sheet, in order, streamed (stop reading when you have enough)."""
        reader = RowReader(self.value)
        parser = xml_parser(reader.start, reader.end, reader.text)
        try:
            with self._zip.open(sheet.member) as stream:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    parser.Parse(chunk, False)
                    yield from reader.take()
                parser.Parse(b"", True)
                yield from reader.take()
        except InputError:
            raise
        except (expat.ExpatError, Refused, zipfile.BadZipFile, OSError, ValueError, EOFError, RecursionError) as error:
            raise damaged(self.path, f"sheet {sheet.name}, near row {reader.last + 1}: {reason(error)}") from None

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')
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
