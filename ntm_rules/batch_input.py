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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from babel.numbers import NumberFormatError, parse_decimal

from .commune import json_object, read_utf8
from .errors import InputError
from .loader import known_fields
from .regions import fold

SUFFIXES = (".json", ".jsonl", ".csv", ".xlsx")
COMMUNE_COLUMNS = ("name", "district", "province", "code")
TOP_COLUMNS = ("region", "year", "commune_group", "extremely_disadvantaged", "ruleset")
_INTEGER_COLUMNS = {"year", "commune_group"}
_YES = {"dat", "co", "true", "yes", "x", "1", "đat"}
_NO = {"khong dat", "chua dat", "khong", "false", "no", "0"}


@dataclass(frozen=True)
class Row:
    """One input row: its document, or its JSON text still to parse (see `document_of`), or why it failed."""

    source: str
    row: int
    document: dict | None = None
    error: str | None = None
    text: str | None = None


def document_of(row: Row) -> tuple[dict | None, str | None]:
    """The row's document, parsing its JSON text if need be: (document, None) or (None, error)."""
    if row.text is None:
        return row.document, row.error
    parsed = _parse_json(row.text, row.source, row.row)
    return parsed.document, parsed.error


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Input paths as files: a folder contributes its *.json files (sorted), others as given."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            if not found:
                raise InputError("the folder holds no .json, .jsonl, .csv or .xlsx file", source=str(path),
                                 fix="point at a folder of commune files, or at the files themselves")
            files.extend(found)
        elif not path.exists():
            raise InputError("no such file or folder", source=str(path), fix="check the path")
        elif path.suffix.lower() not in SUFFIXES:
            raise InputError(f"cannot read {path.suffix or 'a file without extension'} as communes", source=str(path),
                             fix="give .json, .jsonl, .csv or .xlsx files, or a folder of them")
        else:
            files.append(path)
    return files


def count_rows(files: list[Path]) -> int | None:
    """How many rows the files hold, cheaply (for the progress bar); None when unknown."""
    total = 0
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".json":
            total += 1
        elif suffix in (".jsonl", ".csv"):
            with path.open("rb") as handle:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            total += max(lines - (suffix == ".csv"), 0)
        else:
            return None
    return total


def read_rows(paths: Iterable[str | Path]) -> Iterator[Row]:
    """Every row of every input, in order. Raises InputError only for an unusable path."""
    for path in expand(paths):
        suffix = path.suffix.lower()
        reader = {".json": _json_rows, ".jsonl": _jsonl_rows, ".csv": _csv_rows, ".xlsx": _xlsx_rows}[suffix]
        yield from reader(path)


def _json_rows(path: Path) -> Iterator[Row]:
    try:
        yield Row(str(path), 1, document=json_object(read_utf8(path)))
    except InputError as error:
        yield Row(str(path), 1, error=error.at("").line())


def _parse_json(text: str, source: str, row: int) -> Row:
    try:
        return Row(source, row, document=json_object(text))
    except InputError as error:
        return Row(source, row, error=error.line())


def _jsonl_rows(path: Path) -> Iterator[Row]:
    source = str(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                yield Row(source, number, error="the line is not UTF-8 text; fix: save the file as UTF-8")
                continue
            if text.strip():
                yield Row(source, number, text=text)  # parsed where it is assessed


def _csv_rows(path: Path) -> Iterator[Row]:
    source = str(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
        with handle:
            sample = handle.read(4096)
            handle.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(handle, dialect)
            header = next(reader, None)
            if header is None:
                return
            columns = _columns(header)
            for cells in reader:
                row = _table_row(columns, cells, source, reader.line_num, percent=None)
                if row is not None:
                    yield row
    except UnicodeDecodeError:
        yield Row(source, 1, error="the file is not UTF-8 text; fix: save it as CSV UTF-8")


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    source = str(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        yield Row(source, 1, error=f"cannot open the workbook ({type(error).__name__}); fix: save it as .xlsx")
        return
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows()
        header_cells = next(rows, None)
        if header_cells is None:
            return
        columns = _columns(["" if c.value is None else str(c.value) for c in header_cells])
        for number, cells in enumerate(rows, start=2):
            values = [c.value for c in cells]
            percent = [isinstance(getattr(c, "number_format", None), str) and "%" in c.number_format for c in cells]
            row = _table_row(columns, values, source, number, percent=percent)
            if row is not None:
                yield row
    finally:
        workbook.close()


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
