"""The batch spreadsheet template: one column per field of a ruleset, documented.

`ntm-assess template --format xlsx` writes a sheet to fill (header row, frozen) and a guide
sheet saying, for every column, which criterion and indicator it feeds and what to write;
`--format csv` writes the header row only (UTF-8 with BOM so Excel keeps the diacritics).
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import InputError
from ..schema import Ruleset

BASE_COLUMNS = [
    ("commune.name", "Tên xã (bắt buộc)", "Commune name (required)"),
    ("commune.district", "Huyện", "District"),
    ("commune.province", "Tỉnh (vùng suy ra từ tỉnh nếu bỏ trống cột region)", "Province (gives the region when region is empty)"),
    ("commune.code", "Mã xã", "Commune code"),
    ("region", "Vùng: northern_midlands_mountains, red_river_delta, north_central_coast, south_central_coast, "
               "central_highlands, southeast, mekong_delta", "Region id (see the contract)"),
    ("year", "Năm đánh giá (bắt buộc)", "Assessment year (required)"),
]
WHAT_TO_WRITE = {
    "bool": ("Đạt / Không đạt", "Đạt / Không đạt (or true / false)"),
    "pct": ("Tỷ lệ % từ 0 đến 100, dấu phẩy thập phân: 72,5", "Percentage 0–100; 72,5 or 72.5"),
    "count": ("Số nguyên ≥ 0", "Whole number ≥ 0"),
    "number": ("Số ≥ 0 (tiền: triệu đồng/người/năm), dấu phẩy thập phân", "Number ≥ 0 (money: million VND/person/year)"),
    "year": ("Năm, ví dụ 2019", "A year, e.g. 2019"),
}


def template_columns(ruleset: Ruleset) -> list[tuple[str, str, str, str, str]]:
    """(column, criterion, indicator vi, indicator en, type) for the base columns and every field of the ruleset."""
    columns = [(name, "", vi, en, "") for name, vi, en in BASE_COLUMNS]
    if ruleset.varies_by == "commune_group":
        columns.append(("commune_group", "", "Nhóm xã: 1, 2 hoặc 3", "Commune group: 1, 2 or 3", ""))
    seen = set()
    for criterion in ruleset.criteria:
        for indicator in criterion.indicators:
            for check in indicator.all_checks():
                if check.field in seen:
                    continue
                seen.add(check.field)
                columns.append((check.field, f"{criterion.id}. {criterion.name.vi}", f"{indicator.id} {indicator.name.vi}",
                                f"{indicator.id} {indicator.name.en}", check.type))
    return columns


def write_template(ruleset: Ruleset, path: str | Path, fmt: str) -> Path:
    path = Path(path)
    columns = template_columns(ruleset)
    header = [c[0] for c in columns]
    try:
        if fmt == "csv":
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                csv.writer(handle).writerow(header)
            return path
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = "Xã"
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "B2"
        guide = book.create_sheet("Hướng dẫn")
        guide.append(["Cột / Column", "Tiêu chí", "Chỉ tiêu", "Indicator", "Cách ghi", "What to write"])
        for cell in guide[1]:
            cell.font = Font(bold=True)
        for name, criterion, vi, en, kind in columns:
            how_vi, how_en = WHAT_TO_WRITE.get(kind, ("", ""))
            guide.append([name, criterion, vi, en, how_vi, how_en])
        guide.append([])
        guide.append(["Ô để trống = không có số liệu (không phải 0). / An empty cell means no data (not 0)."])
        for column, width in zip("ABCDEF", (44, 30, 60, 60, 40, 40)):
            guide.column_dimensions[column].width = width
        book.save(path)
    except OSError as error:
        raise InputError(f"cannot write the template ({error.strerror})", source=str(path),
                         fix="choose a folder you can write to") from None
    return path
