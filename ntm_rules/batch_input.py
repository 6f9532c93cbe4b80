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
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from babel.numbers import NumberFormatError, parse_decimal

from .commune import json_object
from .errors import InputError
from .files import human_size, is_regular_file, open_regular
from .limits import MAX_ROW_BYTES, MAX_XLSX_SHARED_STRINGS, MAX_XLSX_UNCOMPRESSED
from .loader import known_fields
from .regions import fold

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
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and is_regular_file(p))
            if not found:
                raise InputError("the folder holds no .json, .jsonl, .csv or .xlsx file", source=str(path),
                                 fix="point at a folder of commune files, or at the files themselves")
            files.extend(found)
        elif not path.exists() and not path.is_symlink():
            raise InputError("no such file or folder", source=str(path), fix="check the path")
        elif path.suffix.lower() not in SUFFIXES:
            raise InputError(f"cannot read {path.suffix or 'a file without extension'} as communes", source=str(path),
                             fix="give .json, .jsonl, .csv or .xlsx files, or a folder of them")
        else:
            open_regular(path, _unusable(path)).close()  # a FIFO, device or dangling link is refused here
            files.append(path)
    return files


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
    (not UTF-8 text; a workbook beyond the size limit) before anything is assessed."""
    scanned = []
    for path in files:
        digest = hashlib.sha256()
        suffix = path.suffix.lower()
        rows: int | None = 0
        with open_regular(path, _unusable(path)) as handle:
            size = os.fstat(handle.fileno()).st_size
            if suffix in (".jsonl", ".csv"):
                lines = bad = 0
                first_bad = False
                for number, (line, _) in enumerate(bounded_lines(handle, on_bytes=digest.update), start=1):
                    if line is None and number == 1 and suffix == ".csv":
                        first_bad = True
                    if line is None or not line.strip():
                        continue
                    lines += 1
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError:
                        bad += 1
                        first_bad = first_bad or number == 1
                if (first_bad and suffix == ".csv") or (lines and bad * 2 > lines):
                    what = "its header row is not UTF-8 text or is too long" if first_bad and bad * 2 <= lines \
                        else f"the file is not UTF-8 text ({bad} of {lines} lines are not)"
                    raise InputError(what, source=str(path),
                                     fix="save it as UTF-8: in Excel, Save As → CSV UTF-8 (Comma delimited)")
                rows = max(lines - (suffix == ".csv"), 0)
            else:
                for chunk in iter(lambda: handle.read(_READ), b""):
                    digest.update(chunk)
                rows = 1 if suffix == ".json" else None
        if suffix == ".xlsx":
            check_workbook(path)
        scanned.append(InputFile(path=path, sha256=digest.hexdigest(), size=size, rows=rows))
    return scanned


def check_workbook(path: Path) -> None:
    """A workbook's parts, uncompressed, within the limit (a few MB can unpack to gigabytes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(info.file_size for info in parts)
            texts = sum(info.file_size for info in parts if info.filename.lower().endswith("sharedstrings.xml"))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError("this is not an .xlsx workbook (it cannot be opened as one)", source=str(path),
                         fix="save it from Excel as .xlsx (Excel Workbook)") from None
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InputError(f"the workbook unpacks to {human_size(total)}, more than the {human_size(MAX_XLSX_UNCOMPRESSED)} "
                         "allowed", source=str(path), fix="split it into several workbooks, or remove what is not "
                         "commune data (images, other sheets)")
    if texts > MAX_XLSX_SHARED_STRINGS:
        raise InputError(f"the workbook's table of texts unpacks to {human_size(texts)}, more than the "
                         f"{human_size(MAX_XLSX_SHARED_STRINGS)} allowed", source=str(path),
                         fix="split it into several workbooks, or save the communes as CSV UTF-8")


def read_rows(paths: Iterable[str | Path]) -> Iterator[Row]:
    """Every row of every input, in order. Raises InputError only for an unusable path."""
    for path in expand(paths):
        suffix = path.suffix.lower()
        reader = {".json": _json_rows, ".jsonl": _jsonl_rows, ".csv": _csv_rows, ".xlsx": _xlsx_rows}[suffix]
        yield from reader(path)


def _json_rows(path: Path) -> Iterator[Row]:
    from .commune import read_utf8

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


def _csv_rows(path: Path) -> Iterator[Row]:
    source = str(path)
    with open_regular(path, _unusable(path)) as handle:
        sample = handle.read(4096).decode("utf-8", "ignore").removeprefix("\ufeff")
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
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
            row = _table_row(columns, cells, source, number, percent=None)
            if row is not None:
                yield row


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    source = str(path)
    check_workbook(path)
    handle = open_regular(path, _unusable(path))
    try:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
            raise InputError(f"cannot open the workbook ({type(error).__name__})", source=source,
                             fix="save it from Excel as .xlsx (Excel Workbook)") from None
        try:
            yield from _sheet_rows(workbook.worksheets[0], source)
        finally:
            workbook.close()
    finally:
        handle.close()


def _sheet_rows(sheet, source: str) -> Iterator[Row]:
    sheet.reset_dimensions()  # a declared size (up to XFD1048576) is not trusted
    header_cells = next(sheet.iter_rows(max_row=1), None)
    if header_cells is None:
        return
    header = ["" if c.value is None else str(c.value) for c in header_cells]
    while header and not header[-1].strip():
        header.pop()
    columns = _columns(header)
    blank = None
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(columns) + 1), start=2):
        if cells is blank:  # openpyxl fills a gap of missing rows with one shared empty row
            continue
        values = [c.value for c in cells]
        if all(_blank(v) for v in values):
            blank = cells
            continue
        size = sum(len(v) for v in values if isinstance(v, str))
        if size > MAX_ROW_BYTES:
            yield Row(source, number, error=f"the row is longer than {human_size(MAX_ROW_BYTES)}; fix: shorten its cells")
            continue
        percent = [isinstance(getattr(c, "number_format", None), str) and "%" in c.number_format for c in cells]
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
            cell = cell * 100
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
        number = cell
    else:
        number = _number(str(cell).strip())
        if number is None:
            return str(cell).strip()
    if kind in ("count", "year", "int") and isinstance(number, float) and number.is_integer():
        return int(number)
    if kind in ("pct", "number") and isinstance(number, int):
        return float(number)
    return number


def _number(text: str) -> int | float | None:
    text = text.replace("\u00a0", "").replace(" ", "").rstrip("%")
    if not text:
        return None
    try:
        if "," in text:  # Vietnamese: "1.234,5" or "16,1"
            value = parse_decimal(text, locale="vi_VN", strict=True)
        else:
            value = parse_decimal(text, locale="en_US", strict=False) if "." in text else int(text)
    except (NumberFormatError, ValueError):
        return None
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() and "." not in text and "," not in text else float(value)
