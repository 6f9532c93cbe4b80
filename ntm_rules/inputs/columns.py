"""Spreadsheet columns and cells as clerks write them, turned into the contract's document.

A column is named by the field id (in any case and spacing: `Commune.Name`, `income per capita
million vnd`) or by the Vietnamese or English label the template prints; `name`, `commune.name`
and "Tên xã" are the same column. A cell is read as a Vietnamese spreadsheet writes it: "16,1"
is 16.1 ("1.234,5" is 1234.5, "1e-05" as software writes it), "Đạt" / "Không đạt" (also "Đạt
chuẩn", có / không, true / false, 1 / 0) is yes / no, an empty cell or a lone dash is no data.
A cell that cannot be read stays text, for the validator to name with its fix.

`document_from_row` does the same for one flat mapping (a pandas row, a CSV dict).
"""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
import warnings
from decimal import Decimal
from typing import Any, Mapping

from ..errors import InputError, Say
from ..files.numbers import number
from ..law.cache import Bounded
from ..law.catalogue import field_specs, known_fields
from ..law.in_force import installed_signature
from ..places.names import fold

# The document's own columns, with the names a template (and a clerk) gives them.
BASE_COLUMNS = {
    "commune.name": (Say("Tên xã", "Commune"), ("name", "xa", "ten xa", "commune")),
    "commune.district": (Say("Huyện", "District"), ("district", "huyen", "quan huyen")),
    "commune.province": (Say("Tỉnh", "Province"), ("province", "tinh")),
    "commune.code": (Say("Mã xã", "Commune code"), ("code", "ma xa", "ma")),
    "region": (Say("Vùng", "Region"), ("vung",)),
    "year": (Say("Năm đánh giá", "Assessment year"), ("nam", "nam danh gia")),
    "commune_group": (Say("Nhóm xã", "Commune group"), ("nhom xa",)),
    "extremely_disadvantaged": (Say("Xã đặc biệt khó khăn", "Extremely disadvantaged"), ("xa dac biet kho khan",)),
    "ruleset": (Say("Bộ tiêu chí", "Criteria set"), ("bo tieu chi",)),
}
TOP_COLUMNS = ("region", "year", "commune_group", "extremely_disadvantaged", "ruleset")
_INTEGER_COLUMNS = {"year", "commune_group"}
_YES = {"dat", "dat chuan", "co", "true", "yes", "x", "1", "đat"}
_NO = {"khong dat", "chua dat", "khong dat chuan", "chua dat chuan", "khong", "false", "no", "0"}
NO_DATA = {"-", "–", "—", "..."}
# a row that sums the others, not a commune
_TOTALS = re.compile(r"^(tong cong|tong so|tong|cong|toan tinh|toan huyen|total|sum)\b")


def key(text) -> str:
    """A header cell as it is compared: NFC, lower case, spaces and dashes as one underscore."""
    text = unicodedata.normalize("NFC", str(text)).strip().casefold()
    text = re.sub(r"^data\.", "", text)
    return re.sub(r"[\s\-]+", "_", text)


_known = Bounded(16)  # (the installed sets' signature, a set's identity) → the names of the columns


def known_columns(ruleset=None) -> dict[str, str]:
    """Every name a column may have → the column: field ids, the template's labels, base columns;
    with a set (the one a template records), its own labels too, whatever its table called its
    fields (they win over another set's label for the same words)."""
    return _known.of((installed_signature(), ruleset.sha256 if ruleset is not None else None),
                     lambda: _known_columns(ruleset))


def _known_columns(ruleset=None) -> dict[str, str]:
    names: dict[str, str] = {}
    for column, (label, aliases) in BASE_COLUMNS.items():
        for name in (column, column.removeprefix("commune."), label.vi, label.en, *aliases):
            names.setdefault(key(name), column)
            names.setdefault(key(fold(name)), column)
    for field, spec in field_specs().items():
        names[key(field)] = field
        if spec.label is not None:
            names.setdefault(key(spec.label.vi), field)
            names.setdefault(key(spec.label.en), field)
    if ruleset is not None:
        for field, spec in field_specs(ruleset).items():
            names[key(field)] = field
            if spec.label is not None:
                names[key(spec.label.vi)] = names[key(spec.label.en)] = field
    return names


def label_of(column: str, lang: str = "vi", specs: dict | None = None) -> str:
    """The name the template prints over a column (`specs`: a ruleset's `field_specs(ruleset)`)."""
    if column in BASE_COLUMNS:
        return BASE_COLUMNS[column][0](lang)
    spec = (specs if specs is not None else field_specs()).get(column)
    if spec is not None and spec.label is not None:
        return spec.label(lang)
    return column


def column_of(header: Any, ruleset=None) -> str | None:
    """The column a header cell names, or None when it names none (a notes column, a blank);
    `ruleset`: the set whose labels count too (the one a template records)."""
    if header is None or not str(header).strip():
        return None
    return known_columns(ruleset).get(key(header))


def near_miss(header: Any) -> str | None:
    """A known column the header is probably a typo of (`income_per_capita_milion_vnd`)."""
    match = difflib.get_close_matches(key(header), [k for k in known_columns() if "_" in k or "." in k], n=1,
                                      cutoff=0.9)
    return known_columns()[match[0]] if match else None


def blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def no_data(cell) -> bool:
    """An empty cell, or the dash a clerk writes for "no figure"."""
    return blank(cell) or (isinstance(cell, float) and cell != cell) or (isinstance(cell, str) and cell.strip() in NO_DATA)


def text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def is_totals(name) -> bool:
    """A row that sums the communes ("Tổng cộng", "Cộng", "Total"), not a commune."""
    return isinstance(name, str) and bool(_TOTALS.match(fold(name)))


def convert(cell, kind: str, field: str | None = None):
    """A spreadsheet cell as the contract's JSON value; unreadable cells stay as text for the validator to name."""
    if kind == "str":
        return text(cell)
    if kind == "options":
        return _options(cell, field)
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
        value = cell + 0.0 if isinstance(cell, float) else cell
    else:
        value = number(str(cell).strip())
        if value is None:
            return str(cell).strip()
    if kind in ("count", "year", "int") and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind in ("pct", "number") and isinstance(value, int):
        return float(value)
    return value


def _options(cell, field: str | None) -> list[str]:
    """"sản xuất, du lịch" or "production; tourism" → ["production", "tourism"] (an unknown choice
    is kept as written, for the validator to name)."""
    spec = field_specs().get(field) if field else None
    names: dict[str, str] = {}
    if spec is not None:
        for option in spec.options:
            names[fold(option)] = option
            label = (spec.option_labels or {}).get(option)
            if label is not None:
                names[fold(label.vi)] = option
                names[fold(label.en)] = option
    items = [part.strip() for part in re.split(r"[,;\n]", str(cell)) if part.strip()]
    return [names.get(fold(item), item) for item in items]


CODE_DIGITS = 5  # an official commune code: five digits, leading zeros kept ("07101")


def code_text(cell):
    """A commune code as text. A code a spreadsheet or pandas turned into a number (07101 → 7101)
    gets its zeros back, which the code's fixed length of five digits makes certain; a number that
    cannot be such a code stays a number, for the validator to refuse naming the field."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{cell:0{CODE_DIGITS}d}" if 0 < cell < 10 ** CODE_DIGITS else cell
    return text(cell)


def document_of_cells(cells: Mapping[str, Any], kinds: Mapping[str, str] | None = None) -> dict:
    """A document from cells keyed by column (see `column_of`); empty and "-" cells are no data.
    (A workbook's percentage cell comes already as the number shown: see `files.xlsx`.) `kinds`:
    `known_fields()`, for a caller reading many rows (the installed sets looked at once)."""
    kinds = known_fields() if kinds is None else kinds
    document: dict[str, Any] = {"commune": {}, "data": {}}
    for column, cell in cells.items():
        if no_data(cell):
            continue
        if column == "commune.code":
            document["commune"]["code"] = code_text(cell)
        elif column.startswith("commune."):
            document["commune"][column.removeprefix("commune.")] = text(cell)
        elif column in TOP_COLUMNS:
            kind = "int" if column in _INTEGER_COLUMNS else "bool" if column == "extremely_disadvantaged" else "str"
            document[column] = convert(cell, kind)
        else:
            document["data"][column] = convert(cell, kinds.get(column, "unknown"), column)
    return document


PERCENT_WRITTEN = ("number", "fraction")


def document_from_row(row: Mapping[str, Any], *, percent: str | None = None, ignored: list | None = None) -> dict:
    """A commune document from one flat row: keys are field ids, dotted commune keys
    (`commune.name`) or the template's labels, values as a spreadsheet or pandas gives them (NaN
    and None are no data, numpy scalars their values, "16,1" and "Đạt" as a clerk writes them).

        >>> document_from_row({"commune.name": "Xã A", "year": 2020, "region": "red_river_delta",
        ...                    "income_per_capita_million_vnd": "45,5"})

    `percent` says how the row's percentages are written: "number" (72.5 for 72,5 %, as the
    contract has them) or "fraction" (0.725, as `pandas.read_excel` gives an Excel percentage
    cell). Not given, a row whose percentages are all fractions of 1 (one at least strictly between
    0 and 1) is refused naming the field: it would otherwise be assessed as 0.725 %.
    A commune code read as a number gets its leading zeros back (7101 → "07101").
    A key that names no column (STT, notes, pandas' "Unnamed: 0") is ignored as the batch ignores
    it: appended to `ignored` when given, and said once by an `IgnoredColumnsWarning`. A key that
    is probably a typo of a field (`income_per_capita_milion_vnd`) raises InputError naming it.
    """
    from .document import from_program

    if percent not in (None, *PERCENT_WRITTEN):
        raise InputError(Say(f"percent={percent!r} không có", f"percent={percent!r} is not an option"), field="percent",
                         fix=Say('dùng "number" (72,5) hoặc "fraction" (0,725)', 'use "number" (72.5) or "fraction" (0.725)'))
    cells: dict[str, Any] = {}
    skipped: list[str] = []
    for name, value in row.items():
        column = column_of(name)
        if column is None:
            if blank(name):
                continue
            suggestion = near_miss(name)
            if suggestion is not None:
                raise InputError(Say(f"cột {name!r} không phải tên cột trong mẫu", f"the column {name!r} names no field"),
                                 field=str(name), fix=Say(f"có phải {suggestion}? sửa tên cột",
                                                          f"did you mean {suggestion}? correct the column's name"))
            skipped.append(str(name))
            continue
        if column in cells and not no_data(cells[column]):
            raise InputError(Say(f"cột {column} có hai lần", f"the column {column} is given twice"), field=str(name),
                             fix=Say("giữ lại một", "keep one of them"))
        cells[column] = from_program(value)
    if skipped:
        if ignored is not None:
            ignored.extend(skipped)
        else:
            warnings.warn(f"columns that name no field, ignored: {', '.join(skipped)}", IgnoredColumnsWarning,
                          stacklevel=2)
    _percentages(cells, percent)
    return document_of_cells(cells)


class IgnoredColumnsWarning(UserWarning):
    """`document_from_row` ignored columns that name no field (STT, notes)."""


def _percentages(cells: dict[str, Any], percent: str | None) -> None:
    """Percentages as the contract writes them (0–100): fractions scaled when the caller says so;
    a row of fractions refused when the caller did not say."""
    kinds = {name: spec.type for name, spec in field_specs().items()}
    given = [(column, cell) for column, cell in cells.items() if kinds.get(column) == "pct"
             and isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell == cell]
    if percent == "fraction":
        for column, cell in given:
            cells[column] = float(Decimal(repr(float(cell))) * 100) if math.isfinite(cell) else cell
        return
    if percent is None and given and all(0 <= cell <= 1 for _, cell in given) and any(0 < cell < 1 for _, cell in given):
        column, cell = next((c, v) for c, v in given if 0 < v < 1)
        raise InputError(Say(f"mọi tỷ lệ phần trăm của dòng nằm trong 0–1 (ví dụ {cell!r}): có phải phân số của 1 "
                             "(0,725 cho 72,5 %), như pandas đọc ô phần trăm của Excel?",
                             f"every percentage of the row is within 0–1 (e.g. {cell!r}): fractions of 1 (0.725 for "
                             "72.5 %), as pandas reads Excel's percentage cells?"), field=column,
                         fix=Say('nói rõ cách ghi: document_from_row(dòng, percent="fraction") nếu là phân số, '
                                 'percent="number" nếu là số phần trăm; hoặc đọc sổ tính bằng ntm_rules.read_table',
                                 'say how they are written: document_from_row(row, percent="fraction") for fractions, '
                                 'percent="number" for percentages; or read the workbook with ntm_rules.read_table'))
