"""The commune's remediation plan: one row per unmet or missing indicator, ready to send.

Each row carries what the assessment knows (criterion, indicator, current value, threshold and
gap as numbers with their unit, the legal basis, whether the threshold is confirmed, whether the
finding is certain, the lead department), followed by the columns the commune fills in with the
department (solution, steps and timeline, person in charge, deadline). Written as .xlsx
(openpyxl: A4 landscape, fit to width, header repeated on every page), .csv (UTF-8 with BOM,
for Excel) or .html (a printable page). A commune that attains gets one line saying there is
nothing to remedy. No text cell can become a formula: one that starts with = + - @ (or a tab
or carriage return) is written as text, in XLSX and CSV alike.
"""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from ..errors import OutputError, Say
from ..files import replace_with
from ..result import Assessment
from ..words.catalogue import WORDS
from ..words.phrases import basis_text, cap, indicator_department, met_text, number, pick, requirement, shown_date
from .text import criteria_of

# the columns, as catalogue keys: what the assessment knows, then what the commune fills in
COLUMN_KEYS = ("row_number", "criterion", "indicator", "status", "value", "threshold", "required", "gap", "unit", "basis",
               "threshold_confirmed", "finding_certain", "department",
               "solution", "steps", "funds", "person_in_charge", "deadline")
COLUMNS = {lang: [cap(words[key]) for key in COLUMN_KEYS] for lang, words in WORDS.items()}
FILL_IN = 5  # the last columns are left empty for the commune
NUMBER_COLUMNS = (4, 5, 7)  # current value, threshold, gap: numbers, never text
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# the printed page's columns, in mm of the 277 of a landscape A4: every syllable fits its column
HTML_WIDTHS_MM = (7, 18, 26, 13, 13, 15, 17, 12, 15, 26, 16, 12, 19, 14, 14, 13, 13, 14)


def plan_rows(assessment: Assessment, lang: str = "vi") -> list[list]:
    """The plan's rows: numbers stay numbers (None when there is none), texts in the reader's language."""

    L = WORDS[lang]
    yes, no = L["yes"], L["no"]
    criteria = criteria_of(assessment)
    rows = []
    for indicator in assessment.to_act_on():
        criterion, _ = criteria.get(indicator.id, (None, None))
        status = L["not_met"] if indicator.status == "not_met" else L["missing"]
        value = indicator.value
        shown_value = pick(indicator, "value_text", lang) if isinstance(value, list) else (
            met_text(value, lang) if isinstance(value, bool) else value)
        threshold = indicator.threshold if not isinstance(indicator.threshold, bool) else None
        gap = indicator.gap  # a shortfall below a floor or an excess over a ceiling, as the requirement says
        rows.append([
            len(rows) + 1,
            f"{criterion.id}. {pick(criterion, 'name', lang)}" if criterion else "",
            f"{indicator.id}. {pick(indicator, 'name', lang)}",
            status,
            shown_value,
            threshold,
            requirement(indicator, lang),
            gap,
            pick(indicator, "unit", lang) or "",
            basis_text(indicator, lang),
            yes if indicator.verified else no,
            yes if indicator.certain else no,
            indicator_department(indicator, lang),
        ] + [""] * FILL_IN)
    return rows


def _csv_cell(cell, lang: str):
    if cell is None:
        return ""
    if isinstance(cell, float):
        return number(cell, lang)
    return safe_text(cell)


def safe_text(value):
    """A text cell as text: one a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_plan(assessment: Assessment, path: str | Path, lang: str = "vi") -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".html"):
        what = suffix or "tệp không đuôi"
        raise OutputError(Say(f"{path}: không ghi được kế hoạch dạng {what}; cách sửa: đặt tên tệp kế hoạch .xlsx, .csv hoặc .html",
                              f"{path}: cannot write a plan as {suffix or 'a file without extension'}; "
                              "fix: name the plan file .xlsx, .csv or .html"))
    rows = plan_rows(assessment, lang)
    header = COLUMNS[lang]

    def write(target: Path) -> None:
        if suffix == ".csv":
            # as the reader's Excel opens it: Vietnamese Excel expects ";" between cells and "28,4"
            with target.open("w", newline="", encoding="utf-8-sig") as handle:
                writer = csv.writer(handle, delimiter=";" if lang == "vi" else ",")
                for line in _title_lines(assessment, lang):
                    writer.writerow([safe_text(line)])
                writer.writerow(header)
                writer.writerows([[_csv_cell(cell, lang) for cell in row] for row in rows])
                if not rows:
                    writer.writerow([WORDS[lang]["nothing_to_do"]])
        elif suffix == ".xlsx":
            _write_xlsx(assessment, target, header, rows, lang)
        else:
            target.write_text(_html(assessment, header, rows, lang), encoding="utf-8")

    return replace_with(path, write, lambda message, fix: OutputError(
        Say(f"{path}: {message.vi}; cách sửa: {fix.vi}", f"{path}: {message.en}; fix: {fix.en}")))


def _title_lines(assessment: Assessment, lang: str) -> list[str]:
    a, W = assessment, WORDS[lang]
    place = ", ".join(p for p in (a.commune.name, a.commune.district, _head(a, lang).province) if p)
    title = W["plan_title"].format(place=place, year=a.year)
    ruleset = W["plan_subtitle"].format(ruleset=W["ruleset"], title=pick(a.ruleset, "title", lang), id=a.ruleset.id,
                                        met_count=W["met_count"].format(met=a.criteria_met, total=a.criteria_total),
                                        date=shown_date(date.today(), lang))
    note = pick(a.ruleset, "note", lang)
    if note:  # what the set is and is not: printed wherever the set is used
        ruleset += f". {W['note']}: {note}"
    return [title, ruleset]


def _write_xlsx(assessment, path, header, rows, lang) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    book = Workbook()
    sheet = book.active
    sheet.title = WORDS[lang]["plan"]
    title, ruleset = _title_lines(assessment, lang)
    wrap = Alignment(wrap_text=True, vertical="top")
    head = _head(assessment, lang)
    ruleset = f"{head.to}. {ruleset}"
    _put_text(sheet, 1, 1, title).font = Font(bold=True, size=13)
    _put_text(sheet, 2, 1, ruleset).alignment = wrap
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    sheet.row_dimensions[2].height = 15 * max(1, len(ruleset) // 180 + 1)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for column, text in enumerate(header, start=1):
        cell = _put_text(sheet, 3, column, text)
        cell.font = Font(bold=True)
        cell.alignment = wrap
        if column > len(header) - FILL_IN:
            cell.fill = fill
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            if c - 1 in NUMBER_COLUMNS and isinstance(value, (int, float)) and not isinstance(value, bool):
                cell = sheet.cell(row=r, column=c, value=value)
                cell.number_format = "0.0##" if isinstance(value, float) and not value.is_integer() else "0"
            elif c == 1:
                cell = sheet.cell(row=r, column=c, value=value)
            else:
                cell = _put_text(sheet, r, c, "" if value is None else str(value))
            cell.alignment = wrap
    if not rows:
        _put_text(sheet, 4, 1, WORDS[lang]["nothing_to_do"]).font = Font(bold=True)
        sheet.merge_cells(start_row=4, start_column=1, end_row=4, end_column=len(header))
    last = 4 + max(len(rows), 1) + 1
    _put_text(sheet, last, len(header) - 3, head.place_date).font = Font(italic=True)
    for column, signer in ((2, head.signers[0]), (len(header) - 3, head.signers[1])):
        for line, text in enumerate(signer.title):  # the same signature block as the pages (reports/office.py)
            _put_text(sheet, last + 1 + line, column, text).font = Font(bold=True)
        _put_text(sheet, last + 1 + len(signer.title), column, signer.note).font = Font(italic=True)
    for row in range(last + 4, last + 8):  # room to sign
        sheet.row_dimensions[row].height = 18
    sheet.oddHeader.left.text = " ".join(head.body).replace("&", "&&")
    sheet.oddHeader.right.text = head.place_date.replace("&", "&&")
    widths = [5, 20, 34, 10, 11, 9, 16, 9, 12, 34, 10, 10, 24, 26, 26, 16, 16, 12]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.oddFooter.center.text = "&P / &N"  # page numbers on every printed page
    book.save(path)


def _head(assessment: Assessment, lang: str):
    from .office import commune_head

    a = assessment
    return commune_head(a.commune.name, a.commune.province, lang, date.today(), a.year)


def _put_text(sheet, row: int, column: int, text: str):
    """A text cell that stays text (openpyxl would read "=..." as a formula)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = text
    if isinstance(text, str):
        cell.data_type = "s"
        if text.startswith(FORMULA_START):
            cell.quotePrefix = True
    return cell


def _html(assessment, header, rows, lang) -> str:
    from .templating import environment

    title, ruleset = _title_lines(assessment, lang)
    shown = [["" if cell is None else (number(cell, lang) if isinstance(cell, float) else cell) for cell in row]
             for row in rows]
    return environment().get_template("plan.html").render(
        lang=lang, W=WORDS[lang], widths=HTML_WIDTHS_MM, title=title, subtitle=ruleset, header=header, rows=shown, fill_in=FILL_IN,
        nothing=WORDS[lang]["nothing_to_do"], head=_head(assessment, lang))
