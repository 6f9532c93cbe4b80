"""The commune's remediation plan draft: one row per unmet or missing indicator.

Each row carries what the assessment knows (criterion, indicator, current value, threshold,
gap, citation, accountable department, whether the threshold is confirmed), followed by the
columns the commune fills in with the department in charge (solution, steps and timeline,
person in charge, deadline). Written as .xlsx (openpyxl), .csv (UTF-8 with BOM, for Excel) or
.html (a printable page, jinja2).
"""
from __future__ import annotations

import csv
from pathlib import Path

from .errors import InputError
from .render import LABELS, number, requirement
from .result import Assessment

COLUMNS = {
    "vi": ["STT", "Tiêu chí", "Chỉ tiêu", "Tình trạng", "Hiện trạng", "Yêu cầu", "Còn thiếu", "Căn cứ",
           "Ngưỡng đã xác nhận", "Sở, ngành chủ trì",
           "Giải pháp", "Các bước và tiến độ", "Người phụ trách", "Thời hạn hoàn thành"],
    "en": ["No.", "Criterion", "Indicator", "Status", "Current value", "Required", "Gap", "Legal basis",
           "Threshold confirmed", "Lead department",
           "Solution", "Steps and timeline", "Person in charge", "Deadline"],
}
FILL_IN = 4  # the last columns are left empty for the commune


def plan_rows(assessment: Assessment, lang: str = "vi") -> list[list]:
    L = LABELS[lang]
    rows = []
    for criterion in assessment.criteria:
        for indicator in criterion.indicators:
            if indicator.status == "met":
                continue
            status = L["not_met_short"] if indicator.status == "not_met" else L["missing_short"]
            value = L["no_data"] if indicator.value is None else number(indicator.value, lang)
            rows.append([
                len(rows) + 1,
                f"{criterion.id}. {criterion.name_en if lang == 'en' else criterion.name}",
                f"{indicator.id}. {indicator.name_en if lang == 'en' else indicator.name}",
                status, value, requirement(indicator, lang),
                "" if indicator.gap is None else number(indicator.gap, lang),
                indicator.source + (f" ({indicator.source_url})" if indicator.source_url else ""),
                L["confirmed"] if indicator.verified else L["unconfirmed"],
                indicator.department_name_en if lang == "en" else indicator.department_name,
            ] + [""] * FILL_IN)
    return rows


def write_plan(assessment: Assessment, path: str | Path, lang: str = "vi") -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".html"):
        raise InputError(f"cannot write a plan as {suffix or 'a file without extension'}", source=str(path),
                         fix="name the plan file .xlsx, .csv or .html")
    rows = plan_rows(assessment, lang)
    header = COLUMNS[lang]
    try:
        if suffix == ".csv":
            with path.open("w", newline="", encoding="utf-8-sig") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(rows)
        elif suffix == ".xlsx":
            _write_xlsx(assessment, path, header, rows, lang)
        else:
            path.write_text(_html(assessment, header, rows, lang), encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write the plan ({error.strerror})", source=str(path), fix="check the folder exists and is writable") from None
    return path


def _title(assessment: Assessment, lang: str) -> str:
    if lang == "en":
        return f"Plan to meet the unmet criteria — {assessment.commune.name}, {assessment.year}"
    return f"Kế hoạch hoàn thành các tiêu chí chưa đạt — {assessment.commune.name}, năm {assessment.year}"


def _write_xlsx(assessment, path, header, rows, lang) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Ke hoach" if lang == "vi" else "Plan"
    sheet.append([_title(assessment, lang)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"{assessment.ruleset.title_en if lang == 'en' else assessment.ruleset.title} "
                  f"({assessment.ruleset.id}) — {assessment.criteria_met}/{assessment.criteria_total}"])
    sheet.append(header)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index in range(len(header) - FILL_IN, len(header)):
        sheet.cell(row=3, column=index + 1).fill = fill
    for row in rows:
        sheet.append(row)
    widths = [5, 24, 40, 12, 12, 14, 10, 40, 12, 28, 30, 30, 18, 14]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A4"
    book.save(path)


def _html(assessment, header, rows, lang) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("ntm_rules", "templates"), autoescape=select_autoescape(["html"]))
    return env.get_template("plan.html").render(
        lang=lang, title=_title(assessment, lang), assessment=assessment, header=header, rows=rows, fill_in=FILL_IN)
