"""Batch input: commune documents from a folder of JSON files, JSON Lines, CSV or XLSX.

Every input row becomes one `Row` (`rows.py`): where it came from and either the commune
document, its JSON text still to parse, or the reason it could not be read, with its cells as
the clerk wrote them. Nothing is validated against the contract here; `assess` does that per
row, so a bad row never stops the batch. Spreadsheets are read as clerks fill them (`tables.py`).

`scan` reads every input once before the batch starts: it hashes it, counts its rows, and
refuses what cannot be used as a whole (not UTF-8 text, lines ended by CR alone, no header, a
column named twice, a damaged workbook), so that nothing is written for an unusable batch.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import InputError, Say
from ..files import Sha256, contents, is_regular_file, open_regular
from ..limits import MAX_TEXT
from ..places import province_key
from .columns import label_of
from .json_text import read_document
from .rows import Row, SheetInfo, document_of, unusable
from .sized import SizedReader, changed, unreadable
from .spill import PART_LINES, Spill
from .tables import _NOT_UTF8, _TOO_LONG, bounded_lines, csv_table, xlsx_table

SUFFIXES = (".json", ".jsonl", ".csv", ".xlsx")


@dataclass
class InputFile:
    """An input file as the batch found it before reading its rows: its hash, its row count, and
    for a spreadsheet the sheets read or skipped and the columns it ignored."""

    path: Path
    sha256: str
    size: int
    rows: int | None
    sheets: tuple[SheetInfo, ...] = field(default=())
    ruleset: str | None = None  # the ruleset a template recorded in the workbook
    # the provinces its rows name ("" for a row that names none) and their years; for a JSON or
    # JSON Lines file read when first asked (`places`), as only the choice of a ruleset needs them
    provinces: frozenset | None = None
    years: frozenset | None = None
    # (first byte, end byte, first line number) of its parts of PART_LINES rows, which the batch's
    # workers read themselves from `fd`: a JSON Lines file as scanned, or (`spilled`) the rows of a
    # table or JSON document as the scan read them (`spill.py`): every input is read once
    parts: tuple[tuple[int, int, int], ...] | None = None
    fd: int | None = None
    spilled: bool = False
    # the first row that is a document (None when no row is): the ruleset it names, or "" for none
    first_names: str | None = None
    contents: tuple = ()  # `files.contents` when it was scanned: a JSON Lines file must keep them

    def places(self) -> tuple[frozenset, frozenset]:
        if self.provinces is None or self.years is None:
            found = _Places()
            for document in _documents(self.path):
                found.add(document)
            self.provinces, self.years = frozenset(found.provinces), frozenset(found.years)
        return self.provinces, self.years


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Input paths as files: a folder contributes its regular .json/.jsonl/.csv/.xlsx files (sorted),
    others as given. Only regular files are read (never a FIFO, a device or a socket)."""
    files: list[Path] = []
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for raw in paths:
        if not isinstance(raw, (str, os.PathLike)):
            raise InputError(Say(f"{type(raw).__name__} không phải đường dẫn", f"{type(raw).__name__} is not a path"),
                             field="inputs", fix=Say("chỉ các tệp hoặc thư mục", "give paths to files or folders"))
        path = Path(raw)
        try:
            files.extend(_expand_one(path))
        except OSError as error:  # a name too long, a loop of links, ...
            raise InputError(Say(f"không dùng được đường dẫn ({error.strerror})", f"cannot use the path ({error.strerror})"),
                             source=str(path), fix=Say("kiểm tra đường dẫn", "check the path")) from None
    return files


def _expand_one(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and is_regular_file(p))
        if not found:
            raise InputError(Say("thư mục không có tệp .json, .jsonl, .csv hay .xlsx nào",
                                 "the folder holds no .json, .jsonl, .csv or .xlsx file"), source=str(path),
                             fix=Say("chỉ một thư mục chứa tệp của các xã, hoặc chỉ chính các tệp",
                                     "point at a folder of commune files, or at the files themselves"))
        return found
    if not path.exists() and not path.is_symlink():
        raise InputError(Say("không có tệp hay thư mục này", "no such file or folder"), source=str(path),
                         fix=Say("kiểm tra đường dẫn", "check the path"))
    if path.suffix.lower() not in SUFFIXES:
        what = path.suffix or "a file without extension"
        raise InputError(Say(f"không đọc được {path.suffix or 'tệp không đuôi'} như danh sách xã",
                             f"cannot read {what} as communes"), source=str(path),
                         fix=Say("chỉ các tệp .json, .jsonl, .csv hoặc .xlsx, hoặc một thư mục chứa chúng",
                                 "give .json, .jsonl, .csv or .xlsx files, or a folder of them"))
    open_regular(path, unusable(path)).close()  # a FIFO, device or dangling link is refused here
    return [path]


# ------------------------------------------------------------------------------------------ scan

def scan(files: list[Path]) -> list[InputFile]:
    """Hash every input and read it once, counting its rows; refuse a file that cannot be a batch
    input as a whole before anything is assessed or written."""
    scanned: list[InputFile] = []
    try:
        for path in files:
            scanned.append(_scan_file(path))
    except BaseException:
        close_inputs(scanned)
        raise
    return scanned


def _scan_file(path: Path) -> InputFile:
    suffix = path.suffix.lower()
    starts: list[tuple[int, int]] | None = [] if suffix == ".jsonl" else None
    kept = None
    first = [None]
    with open_regular(path, unusable(path)) as handle:
        stamp = contents(os.fstat(handle.fileno()))
        size = stamp[2]
        reader = SizedReader(handle, size, path)
        with Sha256(handle.fileno(), size) as hashing:  # hashed beside the reading of a text's lines
            rows = _scan_text(reader, path, suffix, starts, first) if suffix in (".jsonl", ".csv") else 1
        try:
            sha256 = hashing.hexdigest()
        except OSError as error:
            raise unreadable(path, error) from None
        if contents(os.fstat(handle.fileno())) != stamp:  # written to while its lines and its hash were read
            raise changed(path)
        if starts is not None:
            # a JSON Lines file is read in parts from this very file (the one hashed), even if it
            # is replaced or removed by its name meanwhile; closed by `close_inputs`
            kept = os.dup(handle.fileno())
    found = InputFile(path=path, sha256=sha256, size=size, rows=rows, contents=stamp)
    if starts is not None:
        found.parts, found.fd = _parts(starts, size), kept
        found.first_names = _names(first[0])
        if not rows:  # (as an empty CSV has no header row: refused, never an empty summary of exit 0)
            close_inputs([found])
            raise InputError(Say("tệp không có dòng nào", "the file holds no rows"), source=str(path),
                             fix=Say('ghi mỗi dòng một tài liệu của một xã: {"commune": {...}, "year": ..., "data": {...}}',
                                     'write one commune document a line: {"commune": {...}, "year": ..., "data": {...}}'))
        return found
    spill, places = Spill(), _Places()
    try:
        if suffix == ".json":
            for row in _json_rows(path):
                spill.add(row)
                places.add(row.document)
                _first_names(found, row.document)
        else:
            found.sheets, found.rows, found.ruleset = _scan_table(path, places, spill, found)
        if _contents_now(path) != stamp:  # (a table is read again by its name)
            raise changed(path)
    except BaseException:
        spill.discard()
        raise
    found.fd, found.parts = spill.finish()
    found.spilled = True
    found.provinces, found.years = frozenset(places.provinces), frozenset(places.years)
    return found


def _contents_now(path: Path) -> tuple | None:
    try:
        return contents(os.stat(path))
    except OSError:
        return None


def _names(line: bytes | None) -> str | None:
    """The ruleset a JSON Lines file's first document names ("" for none; None: no line is one)."""
    import orjson

    try:
        document = orjson.loads(line) if line is not None else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    named = document.get("ruleset")
    return named if isinstance(named, str) else ""


def _first_names(found: InputFile, document) -> None:
    if found.first_names is None and isinstance(document, dict):
        named = document.get("ruleset")
        found.first_names = named if isinstance(named, str) else ""


def close_inputs(scanned: list[InputFile]) -> None:
    """Close the descriptors `scan` kept open."""
    for file in scanned:
        if file.fd is not None:
            os.close(file.fd)
            file.fd = None


class _Places:
    """The provinces and years the rows name (to choose a province's own ruleset by default)."""

    def __init__(self):
        self.provinces: set[str] = set()
        self.years: set[int] = set()

    def add(self, document) -> None:
        if not isinstance(document, dict):
            return
        commune = document.get("commune")
        province = commune.get("province") if isinstance(commune, dict) else None
        if not isinstance(province, str):
            province = ""
        self.provinces.add(province_key(province) if len(province) <= MAX_TEXT else province)  # longer: no name
        if isinstance(document.get("year"), int):
            self.years.add(document["year"])


def _documents(path: Path) -> Iterator[Any]:
    """The documents of a JSON or JSON Lines file, parsed leniently (only to see where they are)."""
    import orjson

    for row in (_json_rows(path) if path.suffix.lower() == ".json" else _jsonl_rows(path)):
        if row.document is not None:
            yield row.document
        elif row.text is not None:
            try:
                yield orjson.loads(row.text)
            except orjson.JSONDecodeError:
                continue


def _scan_table(path: Path, places: _Places, spill: Spill, found: InputFile) -> tuple[tuple[SheetInfo, ...], int, str | None]:
    """Read a spreadsheet through once, its rows into the spill: its file-level problems raise
    here; no header anywhere is one."""
    sheets: list[SheetInfo] = []
    rows = 0
    recorded = None
    reader = csv_table if path.suffix.lower() == ".csv" else xlsx_table
    for kind, item in reader(path):
        if kind == "sheet":
            sheets.append(item)
        elif kind == "workbook":
            recorded = item.get("ruleset")
        else:
            rows += 1
            spill.add(item)
            places.add(item.document)
            _first_names(found, item.document)
    if not any(s.read for s in sheets):
        raise no_header(path, sheets)
    return tuple(sheets), rows, recorded


def no_header(path: Path, sheets: list[SheetInfo]) -> InputError:
    """No sheet of a spreadsheet has a header row: what its first rows hold, and what was expected."""
    expected = ", ".join(label_of(c) for c in ("commune.name", "year", "region", "commune.province"))
    found = next((" | ".join(s.found) for s in sheets if s.found), "")
    seen_vi = f"; dòng đầu có chữ: {found}" if found else "; các trang trống"
    seen_en = f"; the first row with text holds: {found}" if found else "; the sheets are empty"
    return InputError(Say(f"không tìm thấy dòng tiêu đề: trong 30 dòng đầu của {len(sheets)} trang không dòng nào có "
                          f"ít nhất ba cột của mẫu (ví dụ {expected}, hoặc mã trường như income_per_capita_million_vnd)"
                          + seen_vi,
                          f"no header row found: in the first 30 rows of its {len(sheets)} sheet(s) no row names "
                          f"at least three known columns (such as {expected}, or field ids such as "
                          "income_per_capita_million_vnd)" + seen_en), source=str(path),
                      fix=Say("ghi dòng tiêu đề như trong mẫu (⟪template⟫)",
                              "give the sheet a header row as the template has (⟪template⟫)"))


def _parts(starts: list[tuple[int, int]], size: int) -> tuple[tuple[int, int, int], ...]:
    """(first byte, end byte, first line number) of each part of a JSON Lines file."""
    ends = [offset for offset, _ in starts[1:]] + [size]
    return tuple((offset, end, number) for (offset, number), end in zip(starts, ends))


def _scan_text(reader: SizedReader, path: Path, suffix: str, starts: list[tuple[int, int]] | None = None,
               first: list | None = None) -> int:
    """Count a text file's rows; `starts` gets (byte offset, line number) of every PART_LINES-th
    line, `first[0]` the first line that holds something."""
    lines = bad = 0
    first_bad = False
    saw_cr = saw_lf = False
    offset = 0
    for number, (line, length) in enumerate(bounded_lines(reader), start=1):
        if starts is not None and (number - 1) % PART_LINES == 0:
            starts.append((offset, number))
        offset += abs(length)
        if line is not None:
            saw_lf = saw_lf or line.endswith(b"\n")
            saw_cr = saw_cr or b"\r" in line.rstrip(b"\r\n")
        if line is None or not line.strip():
            continue
        if first is not None and first[0] is None:
            first[0] = line
        lines += 1
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            first_bad = first_bad or number == 1
    if saw_cr and not saw_lf:
        raise InputError(Say("các dòng chỉ kết thúc bằng ký tự CR (kiểu Macintosh cũ)",
                             "the lines end with a carriage return alone (the old Macintosh format)"), source=str(path),
                         fix=Say("lưu lại dạng CSV UTF-8 (Comma delimited)",
                                 "save it as CSV UTF-8 (Comma delimited), or with Windows or Unix line ends"))
    if lines and bad * 2 > lines:
        raise InputError(Say(f"tệp không phải chữ UTF-8 ({bad} trên {lines} dòng)",
                             f"the file is not UTF-8 text ({bad} of {lines} lines are not)"), source=str(path),
                         fix=Say("lưu lại dạng UTF-8: trong Excel, Save As → CSV UTF-8 (Comma delimited)",
                                 "save it as UTF-8: in Excel, Save As → CSV UTF-8 (Comma delimited)"))
    return lines


# ----------------------------------------------------------------------------------------- rows

def read_rows(paths: Iterable[str | Path]) -> Iterator[Row]:
    """Every row of every input, in order. Raises InputError only for an unusable path."""
    for path in expand(paths):
        suffix = path.suffix.lower()
        if suffix == ".json":
            yield from _json_rows(path)
        elif suffix == ".jsonl":
            yield from _jsonl_rows(path)
        else:
            for kind, item in (csv_table(path) if suffix == ".csv" else xlsx_table(path)):
                if kind == "row":
                    yield item


def read_table(path: str | Path) -> Iterator[Row]:
    """The rows of one clerk's file as the batch reads them: an .xlsx workbook (every sheet with a
    header; percentage cells as the percentage shown, merged cells spilled, zero-led codes kept), a
    CSV, a JSON document or a JSON Lines file. Each `Row` has `document` (a dict in the contract's
    shape, for `ntm_rules.assess`) or `error` (why it cannot be, `error.vi` / `error.en`), and
    `where` ("Đồng Hỷ!12"), `source`, `sheet`, `row` and the cells as written (`values`).

    Raises InputError for a file that cannot be read as a whole (not a table, no header row, a
    column named twice, a damaged workbook), as the batch refuses it. Whether a row repeats an
    earlier commune is the batch's concern, not this reader's."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx"):
        expand([path])
        sheets = []
        for kind, item in (csv_table(path) if suffix == ".csv" else xlsx_table(path)):
            if kind == "sheet":
                sheets.append(item)
            elif kind == "row":
                yield item
        if not any(s.read for s in sheets):
            raise no_header(path, sheets)
        return
    for row in read_rows([path]):
        if row.text is not None:
            document, error = document_of(row)
            row = Row(row.source, row.row, document=document, error=error, sheet=row.sheet, values=row.values)
        yield row


def _json_rows(path: Path) -> Iterator[Row]:
    try:
        yield Row(str(path), 1, document=read_document(path))
    except InputError as error:
        plain = error.at("")
        yield Row(str(path), 1, error=Say(plain.line("vi"), plain.line("en")))


def jsonl_part(path: str, fd: int, start: int, end: int, first_number: int) -> list[Row]:
    """The rows of one part of a JSON Lines file (see `InputFile.parts`), as `_jsonl_rows` reads
    them, read from `fd` (the descriptor `scan` kept; a forked worker has it too)."""
    try:
        return list(_rows_of_lines(str(path), bounded_lines(io.BufferedReader(_Range(fd, start, end), 1 << 16)),
                                   first_number))
    except OSError as error:  # the disk failed under it: the input, not the outputs, is at fault
        raise unreadable(Path(path), error) from None


class _Range(io.RawIOBase):
    """Bytes start..end of an open file, read by position (os.pread): processes that share the
    descriptor never move each other's place in it."""

    def __init__(self, fd: int, start: int, end: int):
        super().__init__()
        self.fd, self.position, self.end = fd, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.end - self.position)
        if size <= 0:
            return 0
        data = os.pread(self.fd, size, self.position)
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)


def _jsonl_rows(path: Path) -> Iterator[Row]:
    with open_regular(path, unusable(path)) as handle:
        yield from _rows_of_lines(str(path), bounded_lines(handle), 1)


def _rows_of_lines(source: str, lines: Iterator[tuple[bytes | None, int]], first_number: int) -> Iterator[Row]:
    for number, (raw, _) in enumerate(lines, start=first_number):
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
