"""Batch input: commune documents from a folder of JSON files, JSON Lines, CSV or XLSX.

Every input row becomes one `Row`: where it came from (file and row number as the user sees
it: the line of a JSON Lines file, the spreadsheet row with the header as row 1) and either
the commune document (a dict in the contract's shape) or the reason it could not be read.
Nothing is validated against the contract here; `assess` does that per row, so a bad row
never stops the batch.

Spreadsheet columns are the contract's field names: `commune.name` (or `name`),
`commune.district`, `commune.province`, `commune.code`, `region`, `year`, `commune_group`,
`extremely_disadvantaged`, `ruleset`, then the data fields. Cells are read as Vietnamese
spreadsheets write them: "16,1" is 16.1 (a comma is the decimal mark; dots before it group
thousands), "Đạt"/"Không đạt" (or có/không, true/false, 1/0) are yes/no, an empty cell is
"no data", and an XLSX cell formatted as a percentage (0.725 shown as 72,5 %) is read as
72.5.
"""
from __future__ import annotations

import csv
import hashlib
import math
import os
import re
import zipfile
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from babel.numbers import NumberFormatError, parse_decimal

from .document import json_object
from ..errors import InputError
from ..files import human_size, is_regular_file, open_regular
from ..limits import MAX_INT_DIGITS, MAX_ROW_BYTES, MAX_XLSX_SHARED_STRINGS, MAX_XLSX_STYLES, MAX_XLSX_UNCOMPRESSED
from ..loader import known_fields
from ..regions import fold

SUFFIXES = (".json", ".jsonl", ".csv", ".xlsx")
COMMUNE_COLUMNS = ("name", "district", "province", "code")
TOP_COLUMNS = ("region", "year", "commune_group", "extremely_disadvantaged", "ruleset")
_INTEGER_COLUMNS = {"year", "commune_group"}
_YES = {"dat", "co", "true", "yes", "x", "1", "đat"}
_NO = {"khong dat", "chua dat", "khong", "false", "no", "0"}
_READ = 1 << 20


@dataclass(frozen=True)
class Row:
    """One input row: its document, or its JSON text still to parse (see `document_of`), or why it failed."""

    source: str
    row: int
    document: dict | None = None
    error: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class InputFile:
    """An input file as the batch found it before reading its rows: its hash and (if cheap) its row count."""

    path: Path
    sha256: str
    size: int
    rows: int | None


def document_of(row: Row) -> tuple[dict | None, str | None]:
    """The row's document, parsing its JSON text if need be: (document, None) or (None, error)."""
    if row.text is None:
        return row.document, row.error
    parsed = _parse_json(row.text, row.source, row.row)
    return parsed.document, parsed.error


def _unusable(path: Path):
    return lambda message, fix: InputError(message, source=str(path), fix=fix)


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Input paths as files: a folder contributes its regular .json/.jsonl/.csv/.xlsx files (sorted),
    others as given. Only regular files are read (never a FIFO, a device or a socket)."""
    files: list[Path] = []
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for raw in paths:
        if not isinstance(raw, (str, os.PathLike)):
            raise InputError(f"{type(raw).__name__} is not a path", field="inputs", fix="give paths to files or folders")
        path = Path(raw)
        try:
            files.extend(_expand_one(path))
        except OSError as error:  # a name too long, a loop of links, ...
            raise InputError(f"cannot use the path ({error.strerror})", source=str(path), fix="check the path") from None
    return files


def _expand_one(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and is_regular_file(p))
        if not found:
            raise InputError("the folder holds no .json, .jsonl, .csv or .xlsx file", source=str(path),
                             fix="point at a folder of commune files, or at the files themselves")
        return found
    if not path.exists() and not path.is_symlink():
        raise InputError("no such file or folder", source=str(path), fix="check the path")
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"cannot read {path.suffix or 'a file without extension'} as communes", source=str(path),
                         fix="give .json, .jsonl, .csv or .xlsx files, or a folder of them")
    open_regular(path, _unusable(path)).close()  # a FIFO, device or dangling link is refused here
    return [path]


def bounded_lines(handle: BinaryIO, limit: int = MAX_ROW_BYTES, on_bytes=None) -> Iterator[tuple[bytes | None, int]]:
    """The lines of a binary file as (bytes, length); a line longer than `limit` comes as
    (None, length) after being read past, never held whole in memory. `on_bytes` sees every byte."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if on_bytes:
            on_bytes(line)
        if len(line) <= limit or line.endswith(b"\n"):
            yield line, len(line)
            continue
        length, quotes = len(line), line.count(b'"')
        while not line.endswith(b"\n"):
            line = handle.readline(_READ)
            if not line:
                break
            if on_bytes:
                on_bytes(line)
            length += len(line)
            quotes += line.count(b'"')
        yield None, length if quotes % 2 == 0 else -length  # negative: an odd number of quotes (for CSV)


def scan(files: list[Path]) -> list[InputFile]:
    """Hash every input and count its rows; refuse a file that cannot be a batch input as a whole
    (not UTF-8 text, lines ended by CR alone, a header naming a column twice, a workbook beyond
    the size limits or damaged) before anything is assessed or written."""
    scanned = []
    for path in files:
        digest = hashlib.sha256()
        suffix = path.suffix.lower()
        rows: int | None = 0
        with open_regular(path, _unusable(path)) as handle:
            size = os.fstat(handle.fileno()).st_size
            reader = _SizedReader(handle, size, path)
            if suffix in (".jsonl", ".csv"):
                rows = _scan_text(reader, path, suffix, digest)
            else:
                for chunk in iter(lambda: reader.read(_READ), b""):
                    digest.update(chunk)
                rows = 1 if suffix == ".json" else None
        if suffix == ".xlsx":
            rows = check_workbook(path, parse=True)
        scanned.append(InputFile(path=path, sha256=digest.hexdigest(), size=size, rows=rows))
    return scanned


class _SizedReader:
    """Reads a file no further than the size it had when opened (a file made by the kernel, or
    one still being written, would otherwise be read without end)."""

    def __init__(self, handle: BinaryIO, size: int, path: Path):
        self.handle, self.left, self.path = handle, size, path

    def read(self, n: int) -> bytes:
        try:
            data = self.handle.read(min(n, self.left + 1) if self.left >= 0 else 0)
        except OSError as error:
            raise InputError(f"cannot read the file ({error.strerror})", source=str(self.path), fix="check the file") from None
        self.left -= len(data)
        if self.left < 0:
            raise InputError("the file changed while it was read", source=str(self.path),
                             fix="run the batch again when nothing is writing to it")
        return data

    def readline(self, n: int) -> bytes:
        try:
            data = self.handle.readline(min(n, self.left + 1))
        except OSError as error:
            raise InputError(f"cannot read the file ({error.strerror})", source=str(self.path), fix="check the file") from None
        self.left -= len(data)
        if self.left < 0:
            raise InputError("the file changed while it was read", source=str(self.path),
                             fix="run the batch again when nothing is writing to it")
        return data


def _scan_text(reader: _SizedReader, path: Path, suffix: str, digest) -> int:
    lines = bad = 0
    first_bad = False
    header = None
    sample = ""
    saw_cr = saw_lf = False
    for number, (line, _) in enumerate(bounded_lines(reader, on_bytes=digest.update), start=1):
        if line is not None:
            saw_lf = saw_lf or line.endswith(b"\n")
            saw_cr = saw_cr or b"\r" in line.rstrip(b"\r\n")
        if line is None and number == 1 and suffix == ".csv":
            first_bad = True
        if line is None or not line.strip():
            continue
        lines += 1
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            first_bad = first_bad or number == 1
            continue
        if header is None and suffix == ".csv":
            header = text
        if len(sample) < 4096:
            sample += text
    if saw_cr and not saw_lf:
        raise InputError("the lines end with a carriage return alone (the old Macintosh format)", source=str(path),
                         fix="save it as CSV UTF-8 (Comma delimited), or with Windows or Unix line ends")
    if (first_bad and suffix == ".csv") or (lines and bad * 2 > lines):
        what = "its header row is not UTF-8 text or is too long" if first_bad and bad * 2 <= lines \
            else f"the file is not UTF-8 text ({bad} of {lines} lines are not)"
        raise InputError(what, source=str(path), fix="save it as UTF-8: in Excel, Save As → CSV UTF-8 (Comma delimited)")
    if header is not None:
        cells = next(csv.reader([header.removeprefix("\ufeff")], _dialect(sample.removeprefix("\ufeff")[:4096])), [])
        check_header(_columns(cells), str(path))
    return max(lines - (suffix == ".csv"), 0)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_header(columns: list[str], source: str) -> None:
    """A column named twice would make one silently win: refuse the file, naming the columns."""
    seen: dict[str, int] = {}
    for index, name in enumerate(columns):
        if not name:
            continue
        if name in seen:
            raise InputError(f"the column {name!r} appears twice (columns {column_letter(seen[name])} and "
                             f"{column_letter(index)})", source=source,
                             fix="keep one of them, or rename the other")
        seen[name] = index


# parts a workbook reads whole before any row, each with its own limit
_PART_LIMITS = {"sharedstrings.xml": (MAX_XLSX_SHARED_STRINGS, "table of texts"),
                "styles.xml": (MAX_XLSX_STYLES, "table of styles")}
EXCEL_MAX_ROW, EXCEL_MAX_COLUMN = 1_048_576, 16_384


def check_workbook(path: Path, parse: bool = False) -> int | None:
    """A workbook's parts, uncompressed, within the limits (a few MB can unpack to gigabytes);
    with `parse`, every row of the sheet read once, so a damaged one is refused before the batch
    starts. Returns the number of non-empty rows under the header (when parsed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError("this is not an .xlsx workbook (it cannot be opened as one)", source=str(path),
                         fix="save it from Excel as .xlsx (Excel Workbook)") from None
    total = sum(info.file_size for info in parts)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InputError(f"the workbook unpacks to {human_size(total)}, more than the {human_size(MAX_XLSX_UNCOMPRESSED)} "
                         "allowed", source=str(path), fix="split it into several workbooks, or remove what is not "
                         "commune data (images, other sheets)")
    for ending, (limit, what) in _PART_LIMITS.items():
        size = sum(info.file_size for info in parts if info.filename.lower().endswith(ending))
        if size > limit:
            raise InputError(f"the workbook's {what} unpacks to {human_size(size)}, more than the "
                             f"{human_size(limit)} allowed", source=str(path),
                             fix="split it into several workbooks, or save the communes as CSV UTF-8")
    if not parse:
        return None
    rows = 0
    header_seen = False
    for _, _, _, cells in _workbook_rows(path):
        if not header_seen:
            check_header(_columns(_header_of(cells)), str(path))
            header_seen = True
        elif any(not _blank(c.get("value")) for c in cells):
            rows += 1
    return rows


def _header_of(cells: list[dict]) -> list[str]:
    header = [""] * min(max((c["column"] for c in cells), default=0), EXCEL_MAX_COLUMN)
    for cell in cells:
        if cell["column"] <= len(header):
            header[cell["column"] - 1] = "" if cell.get("value") is None else str(cell["value"])
    while header and not header[-1].strip():
        header.pop()
    return header


def _damaged(path: Path, detail: str) -> InputError:
    return InputError(f"the workbook is damaged ({detail})", source=str(path),
                      fix="open it in Excel, save it again as .xlsx, and run the batch again")


def _workbook_rows(path: Path):
    """(workbook, sheet, row number, cells) for every row present in the first sheet, in order,
    straight from the sheet's XML: missing rows are not filled in (a row numbered 10^9 costs
    nothing), and a row number out of order or beyond Excel's last row is a damaged file."""
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    handle = open_regular(path, _unusable(path))
    try:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
            raise _damaged(path, f"it cannot be opened: {type(error).__name__}") from None
        try:
            if not workbook.worksheets:
                raise InputError("the workbook has no sheet", source=str(path), fix="put the communes on a sheet")
            sheet = workbook.worksheets[0]
            last = 0
            try:
                with sheet._get_source() as source:
                    parser = WorkSheetParser(source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                                             date_formats=workbook._date_formats,
                                             timedelta_formats=workbook._timedelta_formats)
                    for number, cells in parser.parse():
                        if number <= last or number > EXCEL_MAX_ROW:
                            raise _damaged(path, f"row {number} comes after row {last}" if number <= last
                                           else f"row number {number} is beyond Excel's last row")
                        last = number
                        yield workbook, sheet, number, cells
            except InputError:
                raise
            except Exception as error:
                raise _damaged(path, f"near row {last + 1}: {type(error).__name__}") from None
        finally:
            workbook.close()
    finally:
        handle.close()


def read_rows(paths: Iterable[str | Path]) -> Iterator[Row]:
    """Every row of every input, in order. Raises InputError only for an unusable path."""
    for path in expand(paths):
        suffix = path.suffix.lower()
        reader = {".json": _json_rows, ".jsonl": _jsonl_rows, ".csv": _csv_rows, ".xlsx": _xlsx_rows}[suffix]
        yield from reader(path)


def _json_rows(path: Path) -> Iterator[Row]:
    from .document import read_utf8

    try:
        yield Row(str(path), 1, document=json_object(read_utf8(path, MAX_ROW_BYTES, "commune document")))
    except InputError as error:
        yield Row(str(path), 1, error=error.at("").line())


def _parse_json(text: str, source: str, row: int) -> Row:
    try:
        return Row(source, row, document=json_object(text))
    except InputError as error:
        return Row(source, row, error=error.line())


_TOO_LONG = f"the line is longer than {human_size(MAX_ROW_BYTES)}; fix: one commune per line, without long texts"
_NOT_UTF8 = "the line is not UTF-8 text; fix: save the file as UTF-8"


def _jsonl_rows(path: Path) -> Iterator[Row]:
    source = str(path)
    with open_regular(path, _unusable(path)) as handle:
        for number, (raw, _) in enumerate(bounded_lines(handle), start=1):
            if raw is None:
                yield Row(source, number, error=_TOO_LONG)
                continue
            try:
                text = raw.decode("utf-8-sig") if number == 1 else raw.decode("utf-8")
            except UnicodeDecodeError:
                yield Row(source, number, error=_NOT_UTF8)
                continue
            if text.strip():
                yield Row(source, number, text=text)  # parsed where it is assessed


class _CsvLines:
    """Decoded lines for csv.reader, remembering which physical lines were too long or not UTF-8
    (such a line is replaced by a stand-in with the same parity of quotes, so parsing goes on)."""

    def __init__(self, handle: BinaryIO):
        self.lines = bounded_lines(handle)
        self.number = 0
        self.problems: dict[int, str] = {}
        self.record_bytes = 0  # bytes of the record being read, across lines

    def __iter__(self):
        return self

    def __next__(self) -> str:
        raw, length = next(self.lines)
        self.number += 1
        self.record_bytes += abs(length)
        if raw is None:
            self.problems[self.number] = _TOO_LONG
            return '"\n' if length < 0 else "\n"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problems[self.number] = _NOT_UTF8
            text = raw.decode("utf-8", "replace")
        if self.number == 1:
            text = text.removeprefix("\ufeff")
        if self.record_bytes > MAX_ROW_BYTES:
            self.problems[self.number] = f"the row is longer than {human_size(MAX_ROW_BYTES)}; fix: shorten its cells"
            return '"\n' if text.count('"') % 2 else "\n"
        return text


def _dialect(sample: str):
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _csv_rows(path: Path) -> Iterator[Row]:
    source = str(path)
    with open_regular(path, _unusable(path)) as handle:
        sample = handle.read(4096).decode("utf-8", "ignore").removeprefix("\ufeff")
        handle.seek(0)
        dialect = _dialect(sample)
        lines = _CsvLines(handle)
        reader = csv.reader(lines, dialect)
        number = 0
        columns = None
        while True:
            first_line = lines.number + 1
            lines.record_bytes = 0
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # e.g. a cell longer than the csv module reads
                number += 1
                reason = (f"a cell is longer than {csv.field_size_limit():,} characters".replace(",", " ")
                          if "field limit" in str(error) else f"the row cannot be read as CSV ({error})")
                yield Row(source, number, error=f"{reason}; fix: correct the row (a cell holds one value)")
                continue
            number += 1
            problem = next((lines.problems[n] for n in range(first_line, lines.number + 1) if n in lines.problems), None)
            if columns is None:
                columns = _columns(cells) if not problem else []
                header_problem = problem  # (`scan` refuses such a file before it is read)
                continue
            if header_problem:
                yield Row(source, number, error=f"the header row cannot be read: {header_problem}")
                continue
            if problem:
                yield Row(source, number, error=problem)
                continue
            broken = next((i for i, cell in enumerate(cells) if "\n" in cell or "\r" in cell), None)
            if broken is not None:
                name = columns[broken] if broken < len(columns) and columns[broken] else column_letter(broken)
                yield Row(source, number, error=f"the cell {name} runs over lines {first_line}–{lines.number} of the file: "
                                                 "a quote (\") opened in it is never closed, so the lines after it were "
                                                 "read into it; fix: remove the stray quote and send those rows again")
                continue
            row = _table_row(columns, cells, source, number, percent=None)
            if row is not None:
                yield row


def _xlsx_rows(path: Path) -> Iterator[Row]:
    """The rows of the workbook's first sheet, header first (`scan` has checked the file)."""
    from openpyxl.cell.read_only import ReadOnlyCell

    source = str(path)
    columns: list[str] | None = None
    for _, sheet, number, cells in _workbook_rows(path):
        if columns is None:
            columns = _columns(_header_of(cells))
            continue
        width = len(columns) + 1
        values: list = [None] * width
        percent = [False] * width
        extra = False
        size = 0
        for cell in cells:
            column = cell["column"]
            value = cell.get("value")
            if column > width:
                extra = extra or not _blank(value)
                continue
            values[column - 1] = value
            if isinstance(value, str):
                size += len(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    percent[column - 1] = "%" in (ReadOnlyCell(sheet, **cell).number_format or "")
                except Exception:  # a style the workbook does not define: read the number as written
                    pass
        if extra:
            values.append("…")  # a value beyond the header: the row says so (see _table_row)
        if size > MAX_ROW_BYTES:
            yield Row(source, number, error=f"the row is longer than {human_size(MAX_ROW_BYTES)}; fix: shorten its cells")
            continue
        row = _table_row(columns, values, source, number, percent=percent)
        if row is not None:
            yield row


def _columns(header: list[str]) -> list[str]:
    names = []
    for cell in header:
        name = str(cell).strip()
        if name.startswith("commune.") or name.startswith("data."):
            name = name.split(".", 1)[1] if name.startswith("data.") else name
        elif name in COMMUNE_COLUMNS:
            name = "commune." + name
        names.append(name)
    return names


def _table_row(columns: list[str], cells: list, source: str, number: int, percent) -> Row | None:
    if all(_blank(c) for c in cells):
        return None  # an empty line is not a commune
    if len(cells) > len(columns) and any(not _blank(c) for c in cells[len(columns):]):
        return Row(source, number, error=f"the row has {len(cells)} cells but the header names {len(columns)} columns; "
                                           "fix: give every value a column header")
    fields = known_fields()
    document: dict[str, Any] = {"commune": {}, "data": {}}
    for index, (column, cell) in enumerate(zip(columns, cells)):
        if _blank(cell) or not column:
            continue
        if percent and index < len(percent) and percent[index] and isinstance(cell, (int, float)) and not isinstance(cell, bool):
            # 0.267 shown as 26,7 %: in decimal, so that it is exactly 26.7 (0.267 * 100 is 26.700000000000003)
            cell = float(Decimal(repr(cell)) * 100) if math.isfinite(cell) else cell
        if column.startswith("commune."):
            document["commune"][column[len("commune."):]] = _text(cell)
        elif column in TOP_COLUMNS:
            kind = "int" if column in _INTEGER_COLUMNS else "bool" if column == "extremely_disadvantaged" else "str"
            document[column] = _convert(cell, kind)
        else:
            document["data"][column] = _convert(cell, fields.get(column, "unknown"))
    return Row(source, number, document=document)


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _convert(cell, kind: str):
    """A spreadsheet cell as the contract's JSON value; unreadable cells stay as text for the validator to name."""
    if kind == "str":
        return _text(cell)
    if kind == "bool":
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, (int, float)) and cell in (0, 1):
            return bool(cell)
        word = fold(str(cell))
        if word in _YES:
            return True
        if word in _NO:
            return False
        return str(cell).strip()
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, (int, float)):
        if isinstance(cell, int) and cell.bit_length() > 60:
            return str(cell)[:20] + "…"  # no count or percentage is this long: the validator names the cell
        number = cell + 0.0 if isinstance(cell, float) else cell
    else:
        number = _number(str(cell).strip())
        if number is None:
            return str(cell).strip()
    if kind in ("count", "year", "int") and isinstance(number, float) and number.is_integer():
        return int(number)
    if kind in ("pct", "number") and isinstance(number, int):
        return float(number)
    return number


_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?")
_EXPONENT = re.compile(r"[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]{1,3}")
_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?|[-+]?[0-9]+,[0-9]+")


def _number(text: str) -> int | float | None:
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
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    if "." in text:
        return float(text) + 0.0  # + 0.0: -0.0 is written 0.0
    digits = text.lstrip("+-")
    if len(digits) > MAX_INT_DIGITS:
        return None
    return int(text)
