"""rejected.xlsx: the rows a batch could not assess, as a workbook a clerk opens, corrects and
sends back as a batch.

One sheet: where the row came from, its row number and the reason (in the batch's language),
then the row's own cells under their original headers. Sent back as it is, the three first
columns name no field and are ignored; the rest is read like any workbook.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from ..words.catalogue import WORDS
from ..words.phrases import cap
from .plan import safe_text


def _records(segments: Iterable[Path]):
    for segment in segments:
        with open(segment, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def write_rejected_workbook(segments: list[Path], target: Path, lang: str = "vi") -> None:
    """Stream the rejected rows of the segment files into `target` (two passes: the columns, then
    the rows). XlsxWriter, row by row (constant memory), every text written as text: a cell is never
    read as a formula, a number or a link."""
    import xlsxwriter

    columns: dict[str, None] = {}
    for record in _records(segments):
        for name in record.get("values") or {}:
            columns.setdefault(name, None)
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_formulas": False,
                                             "strings_to_numbers": False, "strings_to_urls": False})
    try:
        W = WORDS[lang]
        sheet = book.add_worksheet(W["rejected_rows"])
        sheet.freeze_panes(1, 3)  # D2
        bold = book.add_format({"bold": True})
        for column, text in enumerate((W["file"], cap(W["row"]), W["rejection_reason"], *columns)):
            sheet.write_string(0, column, _text(text), bold)
        for number, record in enumerate(_records(segments), start=1):
            where = Path(record["source"]).name + (f" [{record['sheet']}]" if record.get("sheet") else "")
            values = record.get("values") or {}
            for column, value in enumerate((_text(where), record["row"], _text(record["error"]),
                                            *(_cell(values.get(name)) for name in columns))):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(number, column, value)
                elif isinstance(value, float) and float(f"{value:.16g}") != value:
                    sheet.write_string(number, column, repr(value))  # XlsxWriter keeps 16 digits: the exact text
                else:
                    sheet.write_number(number, column, value)
    finally:
        book.close()


EXCEL_TEXT_LIMIT = 32_767  # characters a cell can hold
CUT = " […]"


def _text(value: str) -> str:
    """Text that stays text: a cell a spreadsheet would read as a formula gets an apostrophe; a text
    longer than a cell holds is cut, and says so (rejected.jsonl keeps it whole)."""
    value = safe_text(value)
    if isinstance(value, str) and len(value) > EXCEL_TEXT_LIMIT:
        value = value[:EXCEL_TEXT_LIMIT - len(CUT)] + CUT
    return value


def _cell(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if value is None:
        return None
    return _text(str(value))
