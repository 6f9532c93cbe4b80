"""Rows read once: the rows of a table (CSV, XLSX) or of a JSON document, written as JSON Lines
while the batch's scan reads the file, into an anonymous temporary file that the batch's workers
then read in parts by position, as they read a JSON Lines input. A workbook is parsed once.

A line: {"s": source, "r": row, "h": sheet, "d": document, "e": [vi, en] or text, "v": cells}
(only the keys that apply).
"""
from __future__ import annotations

import io
import os
import tempfile

import orjson

from ..errors import InputError, Say
from .rows import Row

PART_LINES = 125  # rows of a part: a JSON Lines input is read in parts of this many lines too


class Spill:
    """Rows written as they are read; `parts` are (first byte, end byte, first row's ordinal)."""

    def __init__(self):
        self.handle = tempfile.TemporaryFile(prefix="ntm-rows-")  # gone with its last descriptor
        self.starts: list[tuple[int, int]] = []
        self.count = self.offset = 0

    def add(self, row: Row) -> None:
        if self.count % PART_LINES == 0:
            self.starts.append((self.offset, self.count + 1))
        line = {"s": row.source, "r": row.row}
        if row.sheet is not None:
            line["h"] = row.sheet
        if row.document is not None:
            line["d"] = row.document
        if row.error is not None:
            line["e"] = [row.error.vi, row.error.en] if isinstance(row.error, Say) else row.error
        if row.values is not None:
            line["v"] = row.values
        data = orjson.dumps(line, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n"
        self.handle.write(data)
        self.offset += len(data)
        self.count += 1

    def finish(self) -> tuple[int, tuple[tuple[int, int, int], ...]]:
        """The descriptor to read the rows from (kept open: `close_inputs` closes it) and the parts."""
        self.handle.flush()
        fd = os.dup(self.handle.fileno())
        self.handle.close()
        ends = [offset for offset, _ in self.starts[1:]] + [self.offset]
        return fd, tuple((offset, end, number) for (offset, number), end in zip(self.starts, ends))

    def discard(self) -> None:
        self.handle.close()


def spilled_part(source: str, fd: int, start: int, end: int) -> list[Row]:
    """The rows of one part of a spill (read by position: processes sharing the descriptor never
    move each other's place in it)."""
    try:
        data = os.pread(fd, end - start, start)
    except OSError as error:
        raise InputError(Say(f"không đọc được các dòng đã đọc ({error.strerror})",
                             f"cannot read the rows read before ({error.strerror})"), source=source,
                         fix=Say("kiểm tra ổ đĩa tạm (TMPDIR) rồi chạy lại", "check the temporary disk (TMPDIR) and "
                                 "run it again")) from None
    rows = []
    for line in io.BytesIO(data):
        item = orjson.loads(line)
        error = item.get("e")
        rows.append(Row(item["s"], item["r"], document=item.get("d"), sheet=item.get("h"), values=item.get("v"),
                        error=Say(*error) if isinstance(error, list) else error))
    return rows
