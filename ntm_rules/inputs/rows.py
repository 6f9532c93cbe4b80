"""One input row of a batch as every reader gives it (`sources`: JSON and JSON Lines; `tables`:
CSV and XLSX), what the batch summary says of one sheet (`SheetInfo`), and the error for an
input file that cannot be opened (`unusable`).

A `Row` is where it came from (file, sheet, and row number as the user sees it: the line of a
JSON Lines file, the spreadsheet row) and either the commune document (a dict in the contract's
shape), its JSON text still to parse (`document_of`), or the reason it could not be read; with
its cells as the clerk wrote them (`values`, or `flat_values` of its document), so a rejected
row can be sent back to be corrected.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Say
from .json_text import json_object


@dataclass(frozen=True)
class Row:
    """One input row: its document, or its JSON text still to parse (see `document_of`), or why it
    failed (a Say, both languages); `values` are its cells by header, for rejected.xlsx."""

    source: str
    row: int
    document: dict | None = None
    error: Say | str | None = None
    text: str | None = None
    sheet: str | None = None
    values: dict | None = None

    @property
    def where(self) -> str:
        """The row as a clerk finds it: "Đồng Hỷ!12" in a workbook, "12" elsewhere."""
        return f"{self.sheet}!{self.row}" if self.sheet else str(self.row)


def document_of(row: Row) -> tuple[dict | None, Say | str | None]:
    """The row's document, parsing its JSON text if need be: (document, None) or (None, error)."""
    if row.text is None:
        return row.document, row.error
    try:
        return json_object(row.text), None
    except InputError as error:
        return None, Say(error.line("vi"), error.line("en"))


def flat_values(document: Any) -> dict[str, Any]:
    """A document's values as a row of cells (for rejected.xlsx): commune.name, region, ..., fields."""
    if not isinstance(document, dict):
        return {}
    values: dict[str, Any] = {}
    commune = document.get("commune")
    if isinstance(commune, dict):
        for key, value in commune.items():
            values[f"commune.{key}"] = value
    for key, value in document.items():
        if key not in ("commune", "data"):
            values[key] = value
    data = document.get("data")
    if isinstance(data, dict):
        values.update(data)
    return {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v)[:200] for k, v in values.items()}


@dataclass
class SheetInfo:
    """What the batch summary says of one sheet: read or skipped, and the columns it ignored."""

    source: str
    sheet: str | None
    header_row: int | None = None
    ignored: list[str] = field(default_factory=list)  # "E (Ghi chú)"
    found: list[str] = field(default_factory=list)  # without a header: the first cells written

    @property
    def read(self) -> bool:
        return self.header_row is not None


def unusable(path: Path):
    """The `error` for `open_regular`: an InputError naming an input file that cannot be opened."""
    return lambda message, fix: InputError(message, source=str(path), fix=fix)
