"""Spreadsheets as clerks fill them: CSV files and every sheet of an XLSX workbook.

In each sheet the header is found, not assumed: it is the first row (of the first 30) in which
at least three cells name known columns (field ids in any case and spacing, or the template's
labels); rows above it (titles, dates) are skipped, and a row of field ids right under a row of
labels (the template's two header rows) is skipped too. A sheet without a header (a guide, notes)
is skipped and named in the batch summary. Columns that name no field (notes, "Ghi chú") are
ignored for every row alike and listed once. Refused for the whole file, naming the column
letters (exit 2): a column named twice, a value under a blank header, a header that is a typo of
a field (`income_per_capita_milion_vnd`). Merged cells give their value to every row they span.
A totals row ("Tổng cộng", or numbers without a commune name) is rejected, not counted.

`csv_table(path)` and `xlsx_table(path)` yield ("sheet", info) once per sheet and ("row", Row)
per data row (`rows.py`); the batch reads every file twice (`sources.scan` first, so a
file-level problem stops the batch before anything is written).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from ..errors import InputError, NtmError, Say
from ..files import human_size, open_regular
from ..files.numbers import number
from ..files.cells import cell_name, column_letter
from ..files.xlsx import open_workbook
from ..limits import MAX_ROW_BYTES
from ..law.catalogue import known_fields
from .columns import blank, column_of, document_of_cells, is_totals, label_of, near_miss, no_data
from .rows import Row, SheetInfo, unusable

HEADER_SEARCH = 30
TEMPLATE_RULESET = "ntm_ruleset"  # the workbook property where `ntm-assess template` records its ruleset
_READ = 1 << 20


def _where(source: str, sheet: str | None) -> str:
    return f"{source} [{sheet}]" if sheet else source


class Table:
    """One sheet's rows → header found, then documents; file-level problems raise InputError."""

    def __init__(self, source: str, sheet: str | None, ruleset=None):
        self.source, self.sheet, self.ruleset = source, sheet, ruleset  # ruleset: the one a template records
        self.info = SheetInfo(source, sheet)
        self.columns: list[str | None] | None = None
        self.kinds: dict | None = None
        self.headers: list[str] = []
        self.used: set[int] = set()

    def header(self, number: int, cells: list) -> bool:
        """Take the row as the header if at least three of its cells name known columns."""
        named = [column_of(c, self.ruleset) for c in cells]
        if len({c for c in named if c}) < 3:  # three different columns (a guide row names one column thrice)
            if not self.info.found:
                self.info.found = [str(c).strip()[:30] for c in cells if not blank(c)][:4]
            return False
        columns: list[str | None] = []
        seen: dict[str, int] = {}
        for index, (cell, column) in enumerate(zip(cells, named)):
            if column is None and not blank(cell):
                suggestion = near_miss(cell)
                if suggestion is not None:
                    raise InputError(
                        Say(f"cột {column_letter(index)} ({str(cell)!r}) không phải tên cột trong mẫu",
                            f"column {column_letter(index)} ({str(cell)!r}) names no field"),
                        source=_where(self.source, self.sheet),
                        fix=Say(f"có phải {suggestion}? sửa tiêu đề cột", f"did you mean {suggestion}? correct the header"))
                self.info.ignored.append(f"{column_letter(index)} ({str(cell).strip()[:60]})")
            if column is not None:
                if column in seen:
                    raise InputError(
                        Say(f"cột {label_of(column)!r} có hai lần (cột {column_letter(seen[column])} và {column_letter(index)})",
                            f"the column {column!r} appears twice (columns {column_letter(seen[column])} and "
                            f"{column_letter(index)})"), source=_where(self.source, self.sheet),
                        fix=Say("giữ lại một cột, hoặc đổi tên cột kia", "keep one of them, or rename the other"))
                seen[column] = index
            columns.append(column)
        self.columns = columns
        self.headers = ["" if blank(c) else str(c).strip() for c in cells]
        self.info.header_row = number
        return True

    def continues_header(self, cells: list) -> bool:
        """The template's second header row (field ids under labels), or the header written again.
        Its field ids name the columns whose label the first row's words did not (a set's table
        may label a field as it likes): the template reads back column for column."""
        named = [column_of(c, self.ruleset) for c in cells]
        same = {self.columns[i] for i, column in enumerate(named[:len(self.columns)])
                if self.columns[i] and column == self.columns[i]}
        if len(same) < 3:
            return False
        for index, column in enumerate(named[:len(self.columns)]):
            if self.columns[index] is None and column is not None and column not in self.columns:
                self.columns[index] = column
                self.info.ignored = [i for i in self.info.ignored if not i.startswith(f"{column_letter(index)} (")]
        return True

    def row(self, number: int, cells: list, unsaved: list[int] | None = None):
        """A data row → Row, None (blank, skipped) or raises InputError (a value under no header).
        `unsaved`: columns holding a formula whose value was never saved (the row is rejected)."""
        if all(blank(c) for c in cells):
            return None
        for index, cell in enumerate(cells):
            if blank(cell):
                continue
            if index >= len(self.columns) or (self.columns[index] is None and not self.headers[index]):
                raise InputError(
                    Say(f"ô {column_letter(index)}{number} có giá trị nhưng cột {column_letter(index)} không có tiêu đề",
                        f"cell {column_letter(index)}{number} holds a value but column {column_letter(index)} has no header"),
                    source=_where(self.source, self.sheet),
                    fix=Say("ghi tiêu đề cho cột, hoặc xóa các ô đó", "give the column a header, or clear its cells"))
        values = {self.headers[i] or column_letter(i): cells[i] for i in range(min(len(cells), len(self.headers)))
                  if not blank(cells[i])}
        by_column = {self.columns[i]: cells[i] for i in range(min(len(cells), len(self.columns))) if self.columns[i]}
        name = by_column.get("commune.name")
        if is_totals(name) or (no_data(name) and _has_numbers(by_column)):
            return Row(self.source, number, sheet=self.sheet, values=values,
                       error=Say("không phải dòng của xã (dòng tổng); cách sửa: bỏ dòng này khỏi danh sách xã",
                                 "not a commune's row (a totals row); fix: leave it out of the list of communes"))
        size = sum(len(v) for v in cells if isinstance(v, str))
        if size > MAX_ROW_BYTES:
            return Row(self.source, number, sheet=self.sheet, values=None,
                       error=Say(f"dòng dài hơn {human_size(MAX_ROW_BYTES)}; cách sửa: rút gọn các ô",
                                 f"the row is longer than {human_size(MAX_ROW_BYTES)}; fix: shorten its cells"))
        if unsaved:
            where = ", ".join(cell_name(i, number) for i in sorted(unsaved)[:5])
            return Row(self.source, number, sheet=self.sheet, values=values,
                       error=Say(f"ô {where} có công thức mà tệp không lưu giá trị đã tính; cách sửa: mở sổ tính bằng Excel, "
                                 "lưu lại rồi gửi lại (hoặc ghi con số thay cho công thức)",
                                 f"the cell {where} holds a formula whose value the file does not store; fix: open the "
                                 "workbook in Excel and save it again (or write the number instead of the formula)"))
        if self.kinds is None:  # the installed sets' fields, looked at once per table, not per row
            self.kinds = known_fields()
        return Row(self.source, number, sheet=self.sheet, document=document_of_cells(by_column, self.kinds),
                   values=values)


def _has_numbers(by_column: dict) -> bool:
    for column, cell in by_column.items():
        if column.startswith("commune.") or column in ("year", "region", "ruleset", "commune_group"):
            continue
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            return True
        if isinstance(cell, str) and number(cell.strip()) is not None:
            return True
    return False


# ------------------------------------------------------------------------------------------ CSV

_TOO_LONG = Say(f"dòng dài hơn {human_size(MAX_ROW_BYTES)}; cách sửa: mỗi dòng một xã, không ghi đoạn chữ dài",
                f"the line is longer than {human_size(MAX_ROW_BYTES)}; fix: one commune per line, without long texts")
_NOT_UTF8 = Say("dòng không phải chữ UTF-8; cách sửa: lưu tệp dạng CSV UTF-8",
                "the line is not UTF-8 text; fix: save the file as UTF-8")


def bounded_lines(handle: BinaryIO, limit: int = MAX_ROW_BYTES) -> Iterator[tuple[bytes | None, int]]:
    """The lines of a binary file as (bytes, length); a line longer than `limit` comes as
    (None, length) after being read past, never held whole in memory."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line, len(line)
            continue
        length, quotes = len(line), line.count(b'"')
        while not line.endswith(b"\n"):
            line = handle.readline(_READ)
            if not line:
                break
            length += len(line)
            quotes += line.count(b'"')
        yield None, length if quotes % 2 == 0 else -length  # negative: an odd number of quotes


class _CsvLines:
    """Decoded lines for csv.reader, remembering which physical lines were too long or not UTF-8
    (such a line is replaced by a stand-in with the same parity of quotes, so parsing goes on)."""

    def __init__(self, handle: BinaryIO):
        self.lines = bounded_lines(handle)
        self.number = 0
        self.problems: dict[int, Say] = {}
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
            self.problems[self.number] = _TOO_LONG
            return '"\n' if text.count('"') % 2 else "\n"
        return text


class _Spreadsheet(csv.excel):
    """What every spreadsheet writes (RFC 4180): a quote inside a quoted cell written twice."""


def dialect(sample: str):
    """The delimiter a sample uses (`,` `;` or tab), guessed; nothing else: the sniffer's guess of
    the quoting is wrong for a header quoting a quote (Đảng bộ … đạt tiêu chuẩn "trong sạch, vững
    mạnh", written with its quotes doubled): it would split that cell in two."""
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return csv.excel
    return type("Sniffed", (_Spreadsheet,), {"delimiter": delimiter})


def csv_table(path: Path) -> Iterator[tuple]:
    """("sheet", info) then ("row", Row) for each data row of a CSV file (UTF-8, `,` `;` or tab)."""
    source = str(path)
    with open_regular(path, unusable(path)) as handle:
        sample = handle.read(4096).decode("utf-8", "ignore").removeprefix("\ufeff")
        handle.seek(0)
        lines = _CsvLines(handle)
        reader = csv.reader(lines, dialect(sample))

        def records():
            number = 0
            while True:
                first = lines.number + 1
                lines.record_bytes = 0
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:  # e.g. a cell longer than the csv module reads
                    number += 1
                    if "field limit" in str(error):
                        limit = f"{csv.field_size_limit():,}".replace(",", " ")
                        reason = Say(f"một ô dài hơn {limit} ký tự", f"a cell is longer than {limit} characters")
                    else:
                        reason = Say(f"dòng không đọc được dạng CSV ({error})", f"the row cannot be read as CSV ({error})")
                    yield number, None, Say(f"{reason.vi}; cách sửa: sửa dòng đó (mỗi ô một giá trị)",
                                            f"{reason.en}; fix: correct the row (a cell holds one value)")
                    continue
                number += 1
                problem = next((lines.problems[n] for n in range(first, lines.number + 1) if n in lines.problems), None)
                if problem is None:
                    broken = next((i for i, cell in enumerate(cells) if "\n" in cell or "\r" in cell), None)
                    if broken is not None:
                        problem = Say(f"ô ở cột {column_letter(broken)} kéo dài qua các dòng {first}–{lines.number} của tệp: "
                                      "một dấu ngoặc kép (\") mở ra mà không đóng lại nên các dòng sau bị đọc vào ô đó; "
                                      "cách sửa: xóa dấu ngoặc thừa và gửi lại các dòng đó",
                                      f"the cell in column {column_letter(broken)} runs over lines {first}–{lines.number} "
                                      "of the file: a quote (\") opened in it is never closed, so the lines after it "
                                      "were read into it; fix: remove the stray quote and send those rows again")
                yield number, cells, problem

        table = Table(source, None)
        yield ("sheet", table.info)
        for number, cells, problem in records():
            if problem is not None and table.columns is not None:
                yield ("row", Row(source, number, error=problem, values=None))
                continue
            if cells is None:
                continue
            if table.columns is None and number > HEADER_SEARCH:
                return  # no header in the first rows: `sources.scan` says so
            yield from _after_header(table, number, cells)


def _after_header(table: Table, number: int, cells: list, unsaved=None) -> Iterator[tuple]:
    """One row of a sheet: the header when it is not found yet, else a data row (or none)."""
    if table.columns is None:
        table.header(number, cells)
        return
    if table.info.header_row == number - 1 and table.continues_header(cells):
        return
    row = table.row(number, cells, unsaved)
    if row is not None:
        yield ("row", row)


# ----------------------------------------------------------------------------------------- XLSX

def xlsx_table(path: Path) -> Iterator[tuple]:
    """("workbook", {"ruleset": ...}) once, then for every worksheet ("sheet", info) and ("row", Row)
    per data row, read by the package's one workbook reader (`files.xlsx`): every row written in the
    sheet, a percentage cell as the number shown, merged cells spilled into the rows they span."""
    source = str(path)
    with open_workbook(path) as book:
        if not book.sheets:
            raise InputError(Say("sổ tính không có trang nào", "the workbook has no sheet"), source=source,
                             fix=Say("ghi danh sách xã vào một trang", "put the communes on a sheet"))
        recorded = book.custom_properties().get(TEMPLATE_RULESET)
        yield ("workbook", {"ruleset": recorded or None})
        labelled = _recorded_set(recorded)
        for sheet in book.sheets:
            table = Table(source, sheet.name, labelled)
            yield ("sheet", table.info)
            merged = _Merges(book.merged_ranges(sheet))
            for row in book.rows(sheet):
                if table.columns is None and row.number > HEADER_SEARCH:
                    break  # no header in the first rows: not a sheet of communes
                values = row.values
                own = any(not blank(v) for v in values)
                merged.apply(row.number, values)
                if own:  # a row holding only what merged cells spill into it is empty
                    unsaved = [i for i in row.formulas if i < len(values) and values[i] is None]
                    yield from _after_header(table, row.number, values, unsaved)


def _recorded_set(recorded):
    """The installed set a template records (its labels name columns too), or None."""
    if not recorded:
        return None
    from ..law.load import load_ruleset_id

    try:
        return load_ruleset_id(recorded)
    except NtmError:  # not installed here (or unusable): its field ids still name the columns
        return None


class _Merges:
    """Merged ranges, applied row by row: a range's value (its top-left cell) fills every cell it
    spans, as the clerk sees it. Ranges are visited once each, in row order."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]):
        self.ranges, self.next, self.active = ranges, 0, []
        self.values: dict[tuple[int, int], Any] = {}

    def apply(self, number: int, values: list) -> None:
        while self.next < len(self.ranges) and self.ranges[self.next][0] <= number:
            self.active.append(self.ranges[self.next])
            self.next += 1
        self.active = [r for r in self.active if r[1] >= number]
        for first_row, last_row, first_col, last_col in self.active:
            if number == first_row:
                index = first_col - 1
                self.values[(first_row, first_col)] = values[index] if index < len(values) else None
            value = self.values.get((first_row, first_col))
            if blank(value):
                continue
            for column in range(first_col, min(last_col, first_col + 500) + 1):
                while len(values) < column:
                    values.append(None)
                if blank(values[column - 1]):
                    values[column - 1] = value
