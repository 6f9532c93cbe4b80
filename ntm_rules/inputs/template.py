"""The spreadsheet a clerk fills: one row per commune, one column per input field of a ruleset.

`ntm-assess template --ruleset X --format xlsx` writes:
- a sheet "Xã" whose header is the Vietnamese label of each column with its field id in the row
  beneath (both are accepted when the filled sheet is read); yes/no columns offer Đạt / Không
  đạt in a drop-down, percentage columns accept 0–100 only, numbers their plausible range;
- a guide sheet: for every column the criterion and indicator it feeds, the unit, what to write
  and that an empty cell means "no data";
- the ruleset X recorded in the workbook (a document property), so that `ntm-assess batch` of
  the filled file uses X (a --ruleset on the command line wins, with a notice).
The columns are every field the ruleset reads and the fields of the rulesets it requires (a
model commune's standard criteria), including the values a threshold is relative to (the
income of the recognition year); never a value the tool computes (a lower level's verdict).
`--format csv` writes the two header rows (UTF-8 with BOM so Excel keeps the diacritics).
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import OutputError, Say
from ..files import replace_with
from ..law.catalogue import field_specs, with_prerequisites
from ..law.schema import DERIVED_FIELDS, Ruleset
from .columns import label_of
from ..files.xlsx import texts_stay_texts
from .tables import TEMPLATE_RULESET

BASE = ("commune.name", "commune.district", "commune.province", "commune.code", "region", "year")
BASE_NOTES = {
    "commune.name": Say("Tên xã (bắt buộc)", "Commune name (required)"),
    "commune.district": Say("Huyện", "District"),
    "commune.province": Say("Tỉnh (vùng suy ra từ tỉnh nếu để trống cột Vùng)", "Province (gives the region when Region is empty)"),
    "commune.code": Say("Mã xã (để đối chiếu xã đăng ký, tránh trùng)", "Commune code (matches registered communes, finds duplicates)"),
    "region": Say("Vùng: northern_midlands_mountains, red_river_delta, north_central_coast, south_central_coast, "
                  "central_highlands, southeast, mekong_delta; để trống nếu đã ghi tỉnh",
                  "Region id (see the contract); leave empty when the province is given"),
    "year": Say("Năm đánh giá (bắt buộc)", "Assessment year (required)"),
    "commune_group": Say("Nhóm xã: 1, 2 hoặc 3", "Commune group: 1, 2 or 3"),
}
WHAT_TO_WRITE = {
    "bool": Say("Đạt / Không đạt (chọn trong danh sách)", "Đạt / Không đạt (pick from the list)"),
    "pct": Say("Tỷ lệ % từ 0 đến 100, dấu phẩy thập phân: 72,5", "Percentage 0–100: 72,5 or 72.5"),
    "count": Say("Số nguyên ≥ 0", "Whole number ≥ 0"),
    "number": Say("Số, dấu phẩy thập phân", "Number, 72,5 or 72.5"),
    "year": Say("Năm, ví dụ 2019", "A year, e.g. 2019"),
    "options": Say("Các lựa chọn, cách nhau bằng dấu phẩy", "Choices separated by commas"),
}
EMPTY = Say("Để trống nếu chưa có số liệu (không ghi 0).", "Leave the cell empty when there is no figure (do not write 0).")


def template_columns(ruleset: Ruleset) -> list[tuple[str, str, Say, str]]:
    """(column, criterion, indicator, type) for the base columns and every input field: the
    ruleset's and its prerequisites', the bases of relative thresholds, never a computed verdict."""
    specs = field_specs(ruleset)  # its own labels and ranges first, also for a set given by path
    base = BASE
    if ruleset.varies_by == "commune_group":  # a set by commune group (2026–2030): communes have no district
        base = tuple(name for name in BASE if name not in ("commune.district", "region"))  # nor a region's values
    columns: list[tuple[str, str, Say, str]] = [(name, "", BASE_NOTES[name], "") for name in base]
    if ruleset.varies_by == "commune_group":
        columns.append(("commune_group", "", BASE_NOTES["commune_group"], ""))
    seen = set(c[0] for c in columns)
    for current in reversed(with_prerequisites(ruleset)):  # the standard's fields first, then the model's
        for criterion in current.criteria:
            for indicator in criterion.indicators:
                for check in indicator.all_checks():
                    names = [] if check.verdict_of else [(check.field, check.type)]
                    if check.relative_to and check.relative_to not in DERIVED_FIELDS:
                        names.append((check.relative_to, "number"))
                    for name, kind in names:
                        if name in seen:
                            continue
                        seen.add(name)
                        columns.append((name, f"{criterion.id}. {criterion.name.vi}",
                                        Say(f"{indicator.id} {indicator.name.vi}", f"{indicator.id} {indicator.name.en}"),
                                        specs[name].type if name in specs else kind))
    return columns


def write_template(ruleset: Ruleset, path: str | Path, fmt: str, lang: str = "vi") -> Path:
    columns = template_columns(ruleset)
    specs = field_specs(ruleset)
    labels = [label_of(c[0], lang, specs) for c in columns]
    ids = [c[0] for c in columns]

    def write(target: Path) -> None:
        if fmt == "csv":
            with target.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(labels)
                writer.writerow(ids)
            return
        _write_xlsx(ruleset, target, columns, labels, ids, lang)

    return replace_with(path, write, lambda message, fix: OutputError(
        Say(f"{path}: {message.vi}; cách sửa: {fix.vi}", f"{path}: {message.en}; fix: {fix.en}")))


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _write_xlsx(ruleset: Ruleset, target: Path, columns, labels, ids, lang: str) -> None:
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.custom_doc_props.append(StringProperty(name=TEMPLATE_RULESET, value=ruleset.id))
    sheet = book.active
    sheet.title = "Xã" if lang == "vi" else "Communes"
    sheet.append(labels)
    sheet.append(ids)
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = wrap
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="666666", size=8)
    sheet.freeze_panes = "B3"
    last = 2000  # validations reach this far down
    yes_no = DataValidation(type="list", formula1='"Đạt,Không đạt"', allow_blank=True,
                            error="Chọn Đạt hoặc Không đạt, hoặc để trống", errorTitle="Đạt / Không đạt")
    percent = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
                             error="Tỷ lệ phần trăm từ 0 đến 100", errorTitle="Tỷ lệ %")
    for validation in (yes_no, percent):
        sheet.add_data_validation(validation)
    specs = field_specs(ruleset)
    for index, (name, _, _, kind) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        area = f"{letter}3:{letter}{last}"
        if kind == "bool":
            yes_no.add(area)
        elif kind == "pct":
            percent.add(area)
        elif kind in ("number", "count") and name in specs and specs[name].low is not None:
            spec = specs[name]
            low, high = _plain(spec.low), _plain(spec.high)
            ranged = DataValidation(type="decimal" if kind == "number" else "whole", operator="between",
                                    formula1=low, formula2=high, allow_blank=True,
                                    error=f"Từ {low} đến {high}", errorTitle="Giá trị ngoài khoảng")
            sheet.add_data_validation(ranged)
            ranged.add(area)
        sheet.column_dimensions[letter].width = 16 if index > 1 else 22
    sheet.row_dimensions[1].height = 90

    guide = book.create_sheet("Hướng dẫn" if lang == "vi" else "Guide")
    guide.append([f"Bộ tiêu chí: {ruleset.title.vi} ({ruleset.id})" if lang == "vi"
                  else f"Criteria set: {ruleset.title.en} ({ruleset.id})"])
    guide.append([EMPTY(lang)])
    guide.append([])
    guide.append(["Cột", "Mã cột", "Tiêu chí", "Chỉ tiêu", "Đơn vị", "Cách ghi", "Khoảng hợp lý"] if lang == "vi" else
                 ["Column", "Column id", "Criterion", "Indicator", "Unit", "What to write", "Plausible range"])
    for cell in guide[4]:
        cell.font = Font(bold=True)
    for (name, criterion, indicator, kind), label in zip(columns, labels):
        spec = specs.get(name)
        unit = spec.unit(lang) if spec is not None and spec.unit is not None else ("%" if kind == "pct" else "")
        span = f"{_plain(spec.low)}–{_plain(spec.high)}" if spec is not None and spec.low is not None and kind not in ("bool", "options") else ""
        guide.append([label, name, criterion, indicator(lang), unit, WHAT_TO_WRITE[kind](lang) if kind else "", span])
    for column, width in zip("ABCDEFG", (44, 36, 26, 60, 22, 40, 16)):
        guide.column_dimensions[column].width = width
    for row in guide.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = wrap
    guide["A1"].font = Font(bold=True, size=12)
    guide.sheet_properties.tabColor = "999999"
    fill = PatternFill("solid", fgColor="FFF2CC")
    guide["A2"].fill = fill
    texts_stay_texts(book)
    book.save(target)
