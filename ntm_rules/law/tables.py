"""A criteria set as the decisions print it, in a workbook an office fills: export, import, drafts.

`export(ruleset, path)` writes:
- "Chỉ tiêu": one row per indicator (one per number of a two-number indicator): criterion,
  indicator, content in Vietnamese and English, field, unit, type, comparison, lead department,
  then one group of columns per region or commune group (and per span of years where values
  change by year): value, source, confirmed (Có/Không), bound, note. Row 1 names the columns for
  people, row 2 for the importer;
- "Bộ tiêu chí" (id, title, decision, period, in force, ...), "Nguồn" (each source: address,
  document, note), "Sở, ngành", "Nhóm tiêu chí", "Trường" (labels, units, plausible ranges of the
  fields the set adds), and a guide sheet.
`read_workbook(path)` turns a filled workbook back into a ruleset mapping (errors name the sheet,
the cell and the fix, in both languages); `delta(mapping, parent)` keeps what differs from a
parent (`--extends`). Export then import is exact: an inherited threshold keeps its citation
(its source is written with the parent's document). `draft(period)` is the workbook of a period
whose table could not be read: its criteria and columns, every value left for the office.
"""
from __future__ import annotations

import copy
import os
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError, Say
from ..files.numbers import number as cell_number
from ..files.xlsx import cell_name, open_workbook, texts_stay_texts
from ..limits import PERIOD_YEARS
from ..regions import COMMUNE_GROUPS, REGION_IDS
from .periods import CONFIRMED, PERIODS
from .schema import Ruleset

SHEETS = {"meta": "Bộ tiêu chí", "rows": "Chỉ tiêu", "sources": "Nguồn", "departments": "Sở, ngành",
          "groups": "Nhóm tiêu chí", "fields": "Trường", "guide": "Hướng dẫn"}
# the columns of "Chỉ tiêu" before the value groups: (key, Vietnamese label)
ROW_COLUMNS = [
    ("criterion", "Tiêu chí"), ("criterion_vi", "Tên tiêu chí"), ("criterion_en", "Criterion (English)"),
    ("group", "Nhóm"), ("criterion_department", "Sở, ngành chủ trì tiêu chí"),
    ("criterion_department_source", "Nguồn phân công"), ("criterion_department_confirmed", "Phân công đã xác nhận"),
    ("criterion_department_note_vi", "Ghi chú phân công"), ("criterion_department_note_en", "Assignment note (English)"),
    ("indicator", "Chỉ tiêu"), ("content_vi", "Nội dung chỉ tiêu"), ("content_en", "Content (English)"),
    ("check", "Số thứ tự con số (chỉ tiêu có 2 con số)"), ("field", "Mã trường dữ liệu"), ("unit_vi", "Đơn vị"),
    ("unit_en", "Unit (English)"), ("type", "Kiểu (bool, pct, count, number, year, options)"),
    ("operator", "So sánh (>=, <=, ==)"), ("department", "Sở, ngành chủ trì chỉ tiêu (nếu khác tiêu chí)"),
    ("department_source", "Nguồn phân công chỉ tiêu"), ("department_confirmed", "Phân công chỉ tiêu đã xác nhận"),
    ("department_note_vi", "Ghi chú phân công chỉ tiêu"), ("department_note_en", "Indicator assignment note (English)"),
    ("relative_to", "Ngưỡng tính theo trường (hệ số × trường)"), ("verdict_of", "Kết luận của bộ tiêu chí"),
    ("declared", "Tự khai báo"), ("options", "Các lựa chọn"), ("absent", "Khi để trống"),
    ("prerequisite", "Điều kiện cấp"),
]
VALUE_PARTS = [("value", "Ngưỡng"), ("source", "Nguồn"), ("confirmed", "Đã xác nhận"), ("bound", "Giới hạn"),
               ("note_vi", "Ghi chú"), ("note_en", "Note (English)")]
META_KEYS = ["id", "status", "level", "title_vi", "title_en", "document", "document_en", "decision_date", "decision_url",
             "period_from", "period_to", "in_force_from", "in_force_to", "in_force_note_vi", "in_force_note_en",
             "varies_by", "province", "applies_to", "indicator_count", "note_vi", "note_en"]
YES, NO = "Có", "Không"
MAX_TABLE_ROWS = 10_000  # rows of one sheet of a criteria table (a decision's table has about a hundred)
TYPES = ("bool", "pct", "count", "number", "year", "options")


# --------------------------------------------------------------------------------------- export

def segments(ruleset: Ruleset) -> list[tuple[int, int]]:
    """The spans of years in which no threshold changes (one group of value columns each)."""
    first, last = ruleset.period.from_, ruleset.period.to
    cuts = {first, last + 1}
    for criterion in ruleset.criteria:
        for indicator in criterion.indicators:
            for check in indicator.all_checks():
                for entries in check.thresholds.values():
                    for entry in entries if isinstance(entries, list) else [entries]:
                        if entry.years is not None:
                            cuts.add(max(first, entry.years[0]))
                            cuts.add(min(last, entry.years[1]) + 1)
    cuts = sorted(c for c in cuts if first <= c <= last + 1)
    return [(a, b - 1) for a, b in zip(cuts, cuts[1:])]


def dimensions(ruleset: Ruleset) -> list[str]:
    return list(ruleset.applies_to or ruleset.dimension_values)


def _span(years: tuple[int, int]) -> str:
    return str(years[0]) if years[0] == years[1] else f"{years[0]}-{years[1]}"


def _entry_for(check, dim: str, year: int):
    value = check.thresholds.get(dim) or check.thresholds.get("all")
    for entry in value if isinstance(value, list) else ([value] if value is not None else []):
        if entry.years is None or entry.years[0] <= year <= entry.years[1]:
            return entry
    return None


def export(ruleset: Ruleset, path: str | Path) -> Path:
    """Write the workbook of a ruleset (an inherited set is written whole, its citations kept)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    meta = book.active
    meta.title = SHEETS["meta"]
    sources = {k: v.model_dump(exclude_none=True) for k, v in ruleset.sources.items()}
    lineage = ruleset._lineage
    span_list = segments(ruleset)
    dims = dimensions(ruleset)

    def source_key(entry_source: str, origin: str) -> str:
        """An inherited value's source, carrying the document of the set it comes from."""
        if not origin or origin == ruleset.id or origin not in lineage or "document" in sources.get(entry_source, {}):
            return entry_source
        key = f"{entry_source}@{origin}"
        if key not in sources:
            document = lineage[origin]
            sources[key] = {**sources[entry_source], "document": {"vi": document[0], "en": document[1]}}
        return key

    rows = book.create_sheet(SHEETS["rows"])
    header_people = [label for _, label in ROW_COLUMNS]
    header_keys = [key for key, _ in ROW_COLUMNS]
    for dim in dims:
        for years in span_list:
            where = (f"vùng {dim}" if ruleset.varies_by == "region" else f"nhóm {dim}") + f" {_span(years)}"
            for key, label in VALUE_PARTS:
                header_people.append(f"{label} — {where}")
                header_keys.append(f"{key}|{dim}|{_span(years)}")
    rows.append(header_people)
    rows.append(header_keys)
    for criterion in ruleset.criteria:
        cd = criterion.department
        for indicator in criterion.indicators:
            checks = indicator.all_checks() or [None]
            for number, check in enumerate(checks, start=1):
                row = {
                    "criterion": criterion.id, "criterion_vi": criterion.name.vi, "criterion_en": criterion.name.en,
                    "group": criterion.group, "criterion_department": cd.id,
                    "criterion_department_source": source_key(cd.source, cd._origin),
                    "criterion_department_confirmed": YES if cd.verified else NO,
                    "criterion_department_note_vi": cd.note.vi if cd.note else None,
                    "criterion_department_note_en": cd.note.en if cd.note else None,
                    "indicator": indicator.id, "content_vi": indicator.name.vi, "content_en": indicator.name.en,
                    "check": number if len(checks) > 1 else None,
                    "prerequisite": indicator.prerequisite,
                }
                if indicator.department is not None:
                    d = indicator.department
                    row.update({"department": d.id, "department_source": source_key(d.source, d._origin),
                                "department_confirmed": YES if d.verified else NO,
                                "department_note_vi": d.note.vi if d.note else None,
                                "department_note_en": d.note.en if d.note else None})
                if check is not None:
                    row.update({"field": check.field, "unit_vi": check.unit.vi if check.unit else None,
                                "unit_en": check.unit.en if check.unit else None, "type": check.type,
                                "operator": check.operator, "relative_to": check.relative_to,
                                "verdict_of": check.verdict_of, "declared": YES if check.declared else None,
                                "options": ", ".join(check.options) if check.options else None,
                                "absent": check.absent if check.absent != "missing" else None})
                elif indicator.field is not None:
                    row.update({"field": indicator.field, "type": indicator.type, "operator": indicator.operator,
                                "unit_vi": indicator.unit.vi if indicator.unit else None,
                                "unit_en": indicator.unit.en if indicator.unit else None})
                values = []
                for dim in dims:
                    for years in span_list:
                        entry = _entry_for(check, dim, years[0]) if check is not None else None
                        if entry is None:
                            values += [None] * len(VALUE_PARTS)
                            continue
                        values += [entry.value if not isinstance(entry.value, bool) else (YES if entry.value else NO),
                                   source_key(entry.source, entry._origin), YES if entry.verified else NO, entry.bound,
                                   entry.note.vi if entry.note else None, entry.note.en if entry.note else None]
                rows.append([row.get(key) for key, _ in ROW_COLUMNS] + values)

    _put_meta(meta, ruleset)
    sheet = book.create_sheet(SHEETS["sources"])
    sheet.append(["key", "url", "document_vi", "document_en", "note_vi", "note_en"])
    for key, source in sources.items():
        document, note = source.get("document") or {}, source.get("note") or {}
        sheet.append([key, source.get("url"), document.get("vi"), document.get("en"), note.get("vi"), note.get("en")])
    sheet = book.create_sheet(SHEETS["departments"])
    sheet.append(["id", "vi", "en"])
    for key, text in ruleset.departments.items():
        sheet.append([key, text.vi, text.en])
    sheet = book.create_sheet(SHEETS["groups"])
    sheet.append(["id", "vi", "en"])
    for key, text in ruleset.groups.items():
        sheet.append([key, text.vi, text.en])
    sheet = book.create_sheet(SHEETS["fields"])
    sheet.append(["field", "label_vi", "label_en", "unit_vi", "unit_en", "range_low", "range_high", "options"])
    for key, info in ruleset.fields.items():
        options = "; ".join(f"{o}={t.vi}={t.en}" for o, t in (info.options or {}).items()) or None
        sheet.append([key, info.label.vi, info.label.en, info.unit.vi if info.unit else None,
                      info.unit.en if info.unit else None, info.range[0] if info.range else None,
                      info.range[1] if info.range else None, options])
    _guide(book.create_sheet(SHEETS["guide"]), ruleset)
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows.freeze_panes = "K3"
    for cell in rows[2]:
        cell.font = Font(italic=True, color="666666", size=8)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for column in range(len(ROW_COLUMNS) + 1, rows.max_column + 1, len(VALUE_PARTS)):
        rows.cell(row=1, column=column).fill = fill
    texts_stay_texts(book)
    book.save(path)
    return Path(path)


def _put_meta(sheet, ruleset: Ruleset) -> None:
    rs = ruleset
    values = {
        "id": rs.id, "status": rs.status, "level": rs.level, "title_vi": rs.title.vi, "title_en": rs.title.en,
        "document": rs.legal_source.document, "document_en": rs.legal_source.document_en,
        "decision_date": rs.legal_source.date.isoformat(), "decision_url": rs.legal_source.url,
        "period_from": rs.period.from_, "period_to": rs.period.to,
        "in_force_from": rs.in_force.from_.isoformat() if rs.in_force else None,
        "in_force_to": rs.in_force.to.isoformat() if rs.in_force and rs.in_force.to else None,
        "in_force_note_vi": rs.in_force.note.vi if rs.in_force and rs.in_force.note else None,
        "in_force_note_en": rs.in_force.note.en if rs.in_force and rs.in_force.note else None,
        "varies_by": rs.varies_by, "province": rs.province, "indicator_count": rs.indicator_count,
        "applies_to": ", ".join(rs.applies_to) if rs.applies_to else None,
        "note_vi": rs.note.vi if rs.note else None, "note_en": rs.note.en if rs.note else None,
    }
    sheet.append(["key", "value"])
    for key in META_KEYS:
        sheet.append([key, values.get(key)])
    sheet.column_dimensions["B"].width = 90


def _guide(sheet, ruleset: Ruleset) -> None:
    dims = dimensions(ruleset)
    written = sum(len(c.indicators) for c in ruleset.criteria)
    lines = [
        "Bảng tiêu chí để nhập vào ntm-rules: ntm-assess rulesets import BANG.xlsx --out THU_MUC "
        "(ghi ra THU_MUC/<id>.yaml; đặt thư mục đó trong NTM_RULESETS_PATH để dùng).",
        "Trang \"Chỉ tiêu\": mỗi dòng một chỉ tiêu, theo đúng bảng của quyết định (chỉ tiêu có hai con số như 17.1: hai dòng, "
        "cột \"Số thứ tự con số\" 1 và 2). Thêm dòng khi quyết định có nhiều chỉ tiêu hơn.",
        "Dòng 2 là mã cột cho công cụ: không sửa. Mỗi vùng (hoặc nhóm xã) có một nhóm cột: Ngưỡng, Nguồn, Đã xác nhận, Giới hạn, Ghi chú.",
        "Mã trường dữ liệu: tên của số liệu xã (chữ thường, số, _), ví dụ clean_water_households_pct. Trường mới: thêm một dòng "
        "ở trang \"Trường\" (nhãn, đơn vị, khoảng hợp lý) để mẫu nhập liệu và báo cáo gọi đúng tên.",
        "Kiểu: bool (Đạt/Không đạt), pct (%), count (số đếm), number (số), year (năm), options (một trong các lựa chọn).",
        "Ngưỡng: số (72,5), hoặc Có cho chỉ tiêu Đạt/Không đạt. Nguồn: mã một dòng của trang \"Nguồn\" (văn bản và trang dẫn lại, có địa chỉ).",
        "Đã xác nhận: Có khi đã thấy ngưỡng trên trang nguồn; Không khi chỉ được cho là đúng (khi đó nguồn phải có ghi chú nói vì sao). "
        "Mọi báo cáo đánh dấu ngưỡng chưa xác nhận.",
        "Giới hạn (chỉ với ngưỡng chưa xác nhận): at_most = ngưỡng thật không cao hơn; at_least = không thấp hơn.",
        "Chưa có số: để trống và giữ status = draft ở trang \"Bộ tiêu chí\"; bản nháp không dùng để đánh giá xã. "
        "Khi mọi chỉ tiêu có ngưỡng, ghi status = final.",
        "Hiệu lực: in_force_from, in_force_to (ngày) ở trang \"Bộ tiêu chí\": công cụ tự chọn bộ có hiệu lực theo năm và ngày đánh giá.",
        f"Cột giá trị: {', '.join(dims)}.",
    ]
    if ruleset.indicator_count:
        lines.append(f"Quyết định có {ruleset.indicator_count} chỉ tiêu; bảng này đang có {written} dòng chỉ tiêu.")
    lines += [
        "",
        "The table of a criteria set for ntm-rules: one row per indicator of the decision's table (add rows as needed), one "
        "group of columns per region or commune group (value, source, confirmed Có/Không, bound at_most/at_least, note). Row 2 "
        "holds the importer's column keys: do not change it. Leave values empty and status = draft until every one is "
        "filled; then status = final and ntm-assess rulesets import TABLE.xlsx --out FOLDER (writes FOLDER/<id>.yaml; put "
        "FOLDER in NTM_RULESETS_PATH).",
    ]
    if ruleset.varies_by == "commune_group":
        lines += ["", "Nhóm xã (Quyết định 51/2025/QĐ-TTg): 1 = xã giáp đô thị hoặc định hướng lên đô thị, hoặc nông nghiệp "
                  "dưới 10 % kinh tế; 3 = xã khu vực II, III vùng đồng bào dân tộc thiểu số và miền núi; 2 = các xã còn lại.",
                  "Commune groups (Decision 51/2025/QĐ-TTg): 1 = adjoining an urban area or oriented to become one, or "
                  "agriculture under 10 % of the economy; 3 = Area II and III communes of ethnic-minority and mountain areas; "
                  "2 = the rest."]
    for line in lines:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 160


# --------------------------------------------------------------------------------------- import

def _cell_name(sheet: str, row: int, column: int) -> str:
    """"Chỉ tiêu!B12" for the 1-based column 2 of row 12."""
    return f"{sheet}!{cell_name(column - 1, row)}"


class _Problems:
    def __init__(self, source: str):
        self.source, self.items = source, []

    def add(self, where: str, vi: str, en: str, fix_vi: str, fix_en: str) -> None:
        self.items.append(InputError(Say(vi, en), source=self.source, field=where, fix=Say(fix_vi, fix_en)))

    SHOWN = 50  # problems listed at once (a table with more has a systematic fault: fix the first ones)

    def raise_first(self) -> None:
        """Every problem found (up to SHOWN), the first raised carrying the others."""
        if self.items:
            first = self.items[0]
            first.also = self.items[1:self.SHOWN]
            if len(self.items) > self.SHOWN:
                more = len(self.items) - self.SHOWN
                first.also.append(InputError(Say(f"và {more} lỗi khác", f"and {more} more"), source=self.source))
            raise first


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _pair(vi, en) -> dict | None:
    vi, en = _text(vi), _text(en)
    if vi is None and en is None:
        return None
    return {"vi": vi or en, "en": en or vi}


def _yes(value) -> bool | None:
    text = (_text(value) or "").casefold()
    if text in ("có", "co", "yes", "true", "x", "1", "đạt", "dat"):
        return True
    if text in ("không", "khong", "no", "false", "0", "không đạt", "khong dat"):
        return False
    return None


def _number(value):
    """A threshold cell: a number (72,5 or 72.5, read as the batch reads a clerk's cell: never
    "7_0" or full-width digits), or Có for a yes/no requirement; None otherwise."""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return value
    text = _text(value)
    if text is None:
        return None
    if text.casefold() in ("có", "co", "đạt", "dat", "true"):
        return True
    return cell_number(text)


def _sheet_rows(book, sheet, problems: "_Problems") -> list[list]:
    """A sheet's rows by number (row 1 first; rows not written are empty); a formula anywhere is a
    problem at its cell: the tool cannot recalculate it, and the value saved with it may be stale."""
    rows: list[list] = []
    for row in book.rows(sheet):
        if row.number > MAX_TABLE_ROWS:
            problems.add(f"{sheet.name}!{row.number}", f"trang có hơn {MAX_TABLE_ROWS} dòng", f"the sheet has more than "
                         f"{MAX_TABLE_ROWS} rows", "chỉ ghi bảng tiêu chí vào trang này", "keep only the table on this sheet")
            break
        rows.extend([] for _ in range(row.number - 1 - len(rows)))
        for column in sorted(row.formulas):
            problems.add(f"{sheet.name}!{cell_name(column, row.number)}",
                         "ô có công thức: bảng tiêu chí ghi con số, không ghi công thức",
                         "the cell holds a formula: a criteria table states numbers, not formulas",
                         "ghi con số, không ghi công thức (công cụ không tính lại công thức, và giá trị lưu kèm có thể đã cũ)",
                         "write the number, not a formula (the tool cannot recalculate it, and the value saved with it "
                         "may be stale)")
        rows.append(row.values)
    width = max((len(r) for r in rows), default=0)
    return [r + [None] * (width - len(r)) for r in rows]


def read_workbook(path: str | Path, rows_of: dict[str, str] | None = None) -> dict:
    """The ruleset mapping a filled workbook holds; InputError naming sheet, cell and fix.
    `rows_of`, when given, receives where each criterion and indicator was read
    ("criteria[id=5].indicators[id=5.1]" → "Chỉ tiêu!12"), to place the loader's problems."""
    source = str(path)
    problems = _Problems(source)
    sheets = {}
    with open_workbook(path) as book:
        by_name = {sheet.name: sheet for sheet in book.sheets}
        for key, name in SHEETS.items():
            if key == "guide":
                continue
            if name not in by_name:
                raise InputError(Say(f"thiếu trang \"{name}\"", f"the sheet \"{name}\" is missing"), source=source,
                                 fix=Say("dùng bảng do ntm-assess rulesets export hoặc rulesets template viết ra",
                                         "start from a table written by ntm-assess rulesets export or rulesets template"))
            sheets[key] = _sheet_rows(book, by_name[name], problems)

    meta = {str(r[0]).strip(): r[1] for r in sheets["meta"][1:] if r and r[0] is not None}
    data: dict[str, Any] = {
        "id": _text(meta.get("id")), "status": _text(meta.get("status")) or "final",
        "level": _text(meta.get("level")) or "standard",
        "title": _pair(meta.get("title_vi"), meta.get("title_en")),
        "legal_source": {k: v for k, v in {
            "document": _text(meta.get("document")), "document_en": _text(meta.get("document_en")),
            "date": _date(meta.get("decision_date")), "url": _text(meta.get("decision_url"))}.items() if v is not None},
        "period": {"from": _int(meta.get("period_from")), "to": _int(meta.get("period_to"))},
        "varies_by": _text(meta.get("varies_by")) or "region",
    }
    for key in ("from", "to"):
        year = data["period"][key]
        if year is not None and not PERIOD_YEARS[0] <= year <= PERIOD_YEARS[1]:
            problems.add(f"{SHEETS['meta']}!period_{key}", f"năm {year} nằm ngoài các năm một bộ tiêu chí có thể áp dụng",
                         f"the year {year} is outside the years a criteria set can cover",
                         f"ghi năm từ {PERIOD_YEARS[0]} đến {PERIOD_YEARS[1]}",
                         f"write a year from {PERIOD_YEARS[0]} to {PERIOD_YEARS[1]}")
            problems.raise_first()  # nothing below may walk the years of an impossible period
    if _text(meta.get("in_force_from")):
        data["in_force"] = {"from": _date(meta.get("in_force_from"))}
        if _text(meta.get("in_force_to")):
            data["in_force"]["to"] = _date(meta.get("in_force_to"))
        note = _pair(meta.get("in_force_note_vi"), meta.get("in_force_note_en"))
        if note:
            data["in_force"]["note"] = note
    for key in ("province",):
        if _text(meta.get(key)):
            data[key] = _text(meta.get(key))
    if _int(meta.get("indicator_count")) is not None:
        data["indicator_count"] = _int(meta.get("indicator_count"))
    if _text(meta.get("applies_to")):
        data["applies_to"] = [p.strip() for p in str(meta["applies_to"]).split(",") if p.strip()]
    note = _pair(meta.get("note_vi"), meta.get("note_en"))
    if note:
        data["note"] = note
    if data["status"] not in ("final", "draft"):
        problems.add(f"{SHEETS['meta']}!status", f"status \"{data['status']}\" không có", f"the status \"{data['status']}\" does not exist",
                     "ghi final (hoàn chỉnh) hoặc draft (bản nháp)", "write final or draft")
    if data["varies_by"] not in ("region", "commune_group"):
        problems.add(f"{SHEETS['meta']}!varies_by", f"varies_by \"{data['varies_by']}\" không có",
                     f"varies_by \"{data['varies_by']}\" does not exist", "ghi region (theo vùng) hoặc commune_group (theo nhóm xã)",
                     "write region or commune_group")
    for required in ("id", "title"):
        if not data.get(required):
            problems.add(f"{SHEETS['meta']}!{required}", f"thiếu {required}", f"{required} is missing",
                         f"ghi {required} ở trang \"{SHEETS['meta']}\"", f"write {required} on the sheet")

    data["sources"] = {}
    for r in sheets["sources"][1:]:
        if not r or _text(r[0]) is None:
            continue
        entry = {k: v for k, v in {"url": _text(r[1]), "document": _pair(r[2], r[3]), "note": _pair(r[4], r[5])}.items()
                 if v is not None}
        data["sources"][_text(r[0])] = entry
    data["departments"] = {_text(r[0]): _pair(r[1], r[2]) for r in sheets["departments"][1:] if r and _text(r[0])}
    data["groups"] = {_text(r[0]): _pair(r[1], r[2]) for r in sheets["groups"][1:] if r and _text(r[0])}
    fields = {}
    for r in sheets["fields"][1:]:
        if not r or _text(r[0]) is None:
            continue
        info: dict[str, Any] = {"label": _pair(r[1], r[2])}
        if _pair(r[3], r[4]):
            info["unit"] = _pair(r[3], r[4])
        if r[5] is not None and r[6] is not None:
            info["range"] = [_number(r[5]), _number(r[6])]
        if _text(r[7]):
            info["options"] = {}
            for part in str(r[7]).split(";"):
                bits = [b.strip() for b in part.split("=")]
                if bits and bits[0]:
                    info["options"][bits[0]] = {"vi": bits[1] if len(bits) > 1 else bits[0],
                                                "en": bits[2] if len(bits) > 2 else bits[0]}
        fields[_text(r[0])] = info
    if fields:
        data["fields"] = fields
    data["criteria"] = _criteria(sheets["rows"], data, problems, rows_of if rows_of is not None else {})
    written = sum(len(c["indicators"]) for c in data["criteria"])
    if data["status"] == "final" and data.get("indicator_count") and written != data["indicator_count"]:
        problems.add(f"{SHEETS['meta']}!indicator_count",
                     f"quyết định có {data['indicator_count']} chỉ tiêu mà bảng mới ghi {written}",
                     f"the decision lists {data['indicator_count']} indicators and the table has {written}",
                     "ghi đủ mọi chỉ tiêu của bảng trong quyết định (hoặc sửa indicator_count; hoặc ghi status = draft "
                     "khi bảng chưa điền xong)", "write every indicator of the decision's table (or correct "
                     "indicator_count; or status = draft while the table is being filled)")
    problems.raise_first()
    return data


def _date(value) -> str | None:
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = _text(value)
    return text[:10] if text else None


def _int(value) -> int | None:
    number = _number(value)
    return int(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None


def _criteria(rows: list[list], data: dict, problems: _Problems, rows_of: dict[str, str]) -> list[dict]:
    sheet = SHEETS["rows"]
    if len(rows) < 2:
        problems.add(f"{sheet}!A2", "thiếu dòng mã cột", "the row of column keys is missing",
                     "chép lại dòng 2 từ bảng do công cụ viết ra", "copy row 2 back from a table the tool wrote")
        return []
    keys = [str(k).strip() if k is not None else "" for k in rows[1]]
    position = {k: i for i, k in enumerate(keys) if k}
    for key, _ in ROW_COLUMNS:
        if key not in position:
            problems.add(f"{sheet}!2", f"thiếu cột {key}", f"the column {key} is missing",
                         "chép lại dòng 2 từ bảng do công cụ viết ra", "copy row 2 back from a table the tool wrote")
            return []
    value_columns = _value_columns(keys, data, problems)
    criteria: list[dict] = []
    by_id: dict[str, dict] = {}
    indicators: dict[tuple, dict] = {}
    for number, row in enumerate(rows[2:], start=3):
        row = row + [None] * (len(keys) - len(row))
        get = lambda key: row[position[key]]  # noqa: E731
        cid = _text(get("criterion"))
        if cid is None:
            if any(_text(c) for c in row):
                problems.add(_cell_name(sheet, number, position["criterion"] + 1), "dòng không ghi tiêu chí",
                             "the row names no criterion", "ghi mã tiêu chí (ví dụ 10)", "write the criterion id (e.g. 10)")
            continue
        for key in ("criterion_department", "department"):
            named = _text(get(key))
            if named is not None and named not in data.get("departments", {}):
                problems.add(_cell_name(sheet, number, position[key] + 1),
                             f"Sở, ngành \"{named}\" không có ở trang \"{SHEETS['departments']}\"",
                             f"the department \"{named}\" is not on the sheet \"{SHEETS['departments']}\"",
                             "thêm một dòng cho Sở, ngành đó, hoặc ghi mã của một Sở, ngành đã có",
                             "add a row for it, or write a listed key")
        criterion = by_id.get(cid)
        if criterion is None:
            department = {"id": _text(get("criterion_department")), "source": _text(get("criterion_department_source")),
                          "verified": _yes(get("criterion_department_confirmed")) or False}
            note = _pair(get("criterion_department_note_vi"), get("criterion_department_note_en"))
            if note:
                department["note"] = note
            criterion = by_id[cid] = {"id": cid, "name": _pair(get("criterion_vi"), get("criterion_en")),
                                      "group": _text(get("group")), "department": department, "indicators": []}
            criteria.append(criterion)
            rows_of[f"criteria[id={cid}]"] = rows_of[f"criteria.{cid}"] = f"{sheet}!{number}"
        iid = _text(get("indicator"))
        if iid is None:
            continue  # a criterion whose indicators are still to be written (a draft)
        check = _check(row, position, value_columns, data, problems, number)
        key = (cid, iid)
        indicator = indicators.get(key)
        if indicator is None:
            indicator = indicators[key] = {"id": iid, "name": _pair(get("content_vi"), get("content_en"))}
            rows_of[f"criteria[id={cid}].indicators[id={iid}]"] = f"{sheet}!{number}"
            rows_of[f"criteria.{cid}.indicators.{iid}"] = rows_of[f"criteria.{cid}.add_indicators.{iid}"] = f"{sheet}!{number}"
            if _text(get("department")):
                assignment = {"id": _text(get("department")), "source": _text(get("department_source")),
                              "verified": _yes(get("department_confirmed")) or False}
                note = _pair(get("department_note_vi"), get("department_note_en"))
                if note:
                    assignment["note"] = note
                indicator["department"] = assignment
            if _text(get("prerequisite")):
                indicator["prerequisite"] = _text(get("prerequisite"))
            criterion["indicators"].append(indicator)
            if _text(get("check")):
                indicator["checks"] = [check]
            else:
                indicator.update(check)
        else:
            if "checks" not in indicator:
                problems.add(_cell_name(sheet, number, position["indicator"] + 1), f"chỉ tiêu {iid} ghi hai lần",
                             f"the indicator {iid} is written twice", "ghi số thứ tự con số (1, 2) ở cả hai dòng",
                             "number both rows in the column of the indicator's numbers (1, 2)")
                continue
            indicator["checks"].append(check)
    return criteria


def _value_columns(keys: list[str], data: dict, problems: _Problems) -> list[tuple[int, tuple[str, str, tuple[int, int]]]]:
    """The value columns named in row 2 ("value|REGION_OR_GROUP|2016-2019"; no years = the whole
    period), each as (index, (part, region or group, (first year, last year)))."""
    sheet = SHEETS["rows"]
    period = data.get("period") or {}
    whole = (period.get("from"), period.get("to"))
    dims = set(REGION_IDS) if data.get("varies_by", "region") == "region" else {str(g) for g in COMMUNE_GROUPS}
    parts = {key for key, _ in VALUE_PARTS}
    found = []
    for index, key in enumerate(keys):
        if key.count("|") != 2:
            continue
        part, dim, span = (bit.strip() for bit in key.split("|"))
        where = _cell_name(sheet, 2, index + 1)
        if part not in parts:
            problems.add(where, f"không hiểu mã cột \"{key}\"", f"the column key \"{key}\" is not understood",
                         f"phần đầu là một trong: {', '.join(sorted(parts))}", f"its first part is one of: {', '.join(sorted(parts))}")
            continue
        if dim not in dims and dim != "all":
            problems.add(where, f"\"{dim}\" không phải là vùng hay nhóm xã của bảng này",
                         f"\"{dim}\" is not a region or commune group of this table",
                         f"dùng một trong: {', '.join(sorted(dims))}, hoặc all", f"use one of: {', '.join(sorted(dims))}, or all")
            continue
        bits = [b.strip() for b in span.split("-")] if span else []
        if not bits:
            years = whole
        elif len(bits) <= 2 and all(b.isdigit() and len(b) == 4 for b in bits):
            years = (int(bits[0]), int(bits[-1]))
        else:
            problems.add(where, f"không hiểu khoảng năm \"{span}\"", f"the span of years \"{span}\" is not understood",
                         "ghi 2021-2025, hoặc để trống cho cả giai đoạn", "write 2021-2025, or leave it empty for the whole period")
            continue
        if None in years:
            continue  # the period itself is missing: said on the sheet of the set
        if any(other == (part, dim, years) for _, other in found):
            problems.add(where, f"cột \"{key}\" có hai lần", f"the column \"{key}\" appears twice",
                         "chép lại dòng 2 từ bảng do công cụ viết ra", "copy row 2 back from a table the tool wrote")
            continue
        found.append((index, (part, dim, years)))
    named = {dim for _, (part, dim, _) in found if part == "value"}
    wanted = set(data.get("applies_to") or dims)
    if found and "all" not in named:
        word = ("vùng", "region") if data.get("varies_by", "region") == "region" else ("nhóm xã", "commune group")
        for dim in sorted(wanted - named):
            problems.add(f"{sheet}!2", f"không có cột ngưỡng nào cho {word[0]} {dim} (mã cột value|{dim}|...)",
                         f"no value column for {word[1]} {dim} (column key value|{dim}|...)",
                         "chép lại dòng 2 từ bảng do công cụ viết ra (đừng sửa dòng mã cột)",
                         "copy row 2 back from a table the tool wrote (row 2 is not to be edited)")
    return found


def _check(row, position, value_columns, data, problems: _Problems, number: int) -> dict:
    sheet = SHEETS["rows"]
    get = lambda key: row[position[key]]  # noqa: E731
    check: dict[str, Any] = {}
    for key in ("field", "type", "operator", "relative_to", "verdict_of", "absent"):
        if _text(get(key)):
            check[key] = _text(get(key))
    if check.get("type") is not None and check["type"] not in TYPES:
        problems.add(_cell_name(sheet, number, position["type"] + 1), f"kiểu \"{check['type']}\" không có",
                     f"the type \"{check['type']}\" does not exist", f"ghi một trong: {', '.join(TYPES)}",
                     f"write one of: {', '.join(TYPES)}")
    if check.get("operator") is not None and check["operator"] not in (">=", "<=", "=="):
        problems.add(_cell_name(sheet, number, position["operator"] + 1), f"phép so sánh \"{check['operator']}\" không có",
                     f"the comparison \"{check['operator']}\" does not exist", "ghi >=, <= hoặc ==", "write >=, <= or ==")
    unit = _pair(get("unit_vi"), get("unit_en"))
    if unit:
        check["unit"] = unit
    if _yes(get("declared")):
        check["declared"] = True
    if _text(get("options")):
        check["options"] = [o.strip() for o in str(get("options")).split(",") if o.strip()]
    thresholds: dict[str, list] = {}
    groups: dict[tuple[str, str], dict] = {}
    for index, (part, dim, span) in value_columns:
        groups.setdefault((dim, span), {})[part] = (index, row[index] if index < len(row) else None)
    for (dim, span), parts in groups.items():
        value_index, raw = parts.get("value", (None, None))
        if raw is None or _text(raw) is None:
            if data.get("status") != "draft" and value_index is not None:
                where = "vùng" if data.get("varies_by", "region") == "region" else "nhóm"
                problems.add(_cell_name(sheet, number, value_index + 1), f"thiếu ngưỡng cho {where} {dim}, năm {_span(span)}",
                             f"no threshold for {dim}, {_span(span)}", "ghi ngưỡng theo quyết định, hoặc ghi status: draft ở "
                             f"trang \"{SHEETS['meta']}\" khi bảng chưa điền xong",
                             f"write the decision's value, or status: draft on the sheet \"{SHEETS['meta']}\" "
                             "while the table is being filled")
            continue
        value = _number(raw)
        if value is None:
            value = _yes(raw)
        if value is None:
            problems.add(_cell_name(sheet, number, value_index + 1), f"ngưỡng {raw!r} không phải là số",
                         f"the threshold {raw!r} is not a number", "ghi một số (72,5), hoặc Có cho chỉ tiêu Đạt/Không đạt",
                         "write a number (72.5), or Có for a yes/no indicator")
            continue
        if check.get("type") == "bool" and value is not True and value is not False:
            value = bool(value)
        entry: dict[str, Any] = {"value": value, "source": _text(parts.get("source", (0, None))[1]),
                                 "verified": bool(_yes(parts.get("confirmed", (0, None))[1]))}
        if entry["source"] is not None and entry["source"] not in data.get("sources", {}):
            problems.add(_cell_name(sheet, number, parts["source"][0] + 1), f"nguồn \"{entry['source']}\" không có ở trang "
                         f"\"{SHEETS['sources']}\"", f"the source \"{entry['source']}\" is not on the sheet "
                         f"\"{SHEETS['sources']}\"", "thêm một dòng cho nguồn đó (mã, địa chỉ trang, văn bản), hoặc "
                         "ghi mã của một nguồn đã có", "add a row for it (key, address, document), or write a listed key")
        value_cell = _cell_name(sheet, number, value_index + 1)
        kind = check.get("type")
        if kind == "pct" and isinstance(value, (int, float)) and not isinstance(value, bool) and not 0 <= value <= 100:
            problems.add(value_cell, f"ngưỡng {value} nằm ngoài 0–100 của một tỷ lệ phần trăm",
                         f"the threshold {value} is outside 0–100 for a percentage", "ghi số phần trăm từ 0 đến 100 (72,5)",
                         "write a percentage from 0 to 100 (72.5)")
        elif kind == "count" and isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            problems.add(value_cell, f"ngưỡng {value} âm cho một số đếm", f"the threshold {value} is negative for a count",
                         "ghi số đếm từ 0", "write a count from 0")
        known = data.get("sources", {}).get(entry["source"]) if entry["source"] else None
        if known is not None and entry["verified"] and not known.get("url"):
            problems.add(_cell_name(sheet, number, parts["confirmed"][0] + 1) if "confirmed" in parts else value_cell,
                         f"ghi \"Đã xác nhận = Có\" nhưng nguồn \"{entry['source']}\" không có địa chỉ trang (url)",
                         f"marked confirmed but the source \"{entry['source']}\" has no page address (url)",
                         f"ghi địa chỉ trang nêu ngưỡng này ở trang \"{SHEETS['sources']}\", hoặc ghi Không",
                         f"write the address of the page that states this value on the sheet \"{SHEETS['sources']}\", "
                         "or write Không")
        note_given = _pair(parts.get("note_vi", (0, None))[1], parts.get("note_en", (0, None))[1])
        if known is not None and not entry["verified"] and not known.get("note") and not note_given:
            problems.add(_cell_name(sheet, number, parts["note_vi"][0] + 1) if "note_vi" in parts else value_cell,
                         "ngưỡng chưa xác nhận mà không ghi vì sao",
                         "an unconfirmed value without a note saying why",
                         f"ghi lý do ở cột Ghi chú, hoặc một ghi chú cho nguồn \"{entry['source']}\" ở trang "
                         f"\"{SHEETS['sources']}\"", f"write why in the note column, or a note for the source "
                         f"\"{entry['source']}\" on the sheet \"{SHEETS['sources']}\"")
        if entry["source"] is None:
            problems.add(_cell_name(sheet, number, parts["source"][0] + 1) if "source" in parts else sheet,
                         "ngưỡng không ghi nguồn", "the threshold names no source",
                         "ghi mã nguồn (một dòng của trang Nguồn)", "write a source key (a row of the sources sheet)")
        bound = _text(parts.get("bound", (0, None))[1])
        if bound:
            entry["bound"] = bound
        note = _pair(parts.get("note_vi", (0, None))[1], parts.get("note_en", (0, None))[1])
        if note:
            entry["note"] = note
        entry["years"] = list(span)
        thresholds.setdefault(dim, []).append(entry)
    check["thresholds"] = {dim: _merged(entries, data) for dim, entries in thresholds.items()} if thresholds else None
    if check["thresholds"] is None:
        del check["thresholds"]
    return check


def _merged(entries: list[dict], data: dict):
    """Adjacent spans saying the same joined; one span covering the period written without years."""
    entries = sorted(entries, key=lambda e: e["years"][0])
    out: list[dict] = []
    for entry in entries:
        if out and out[-1]["years"][1] + 1 == entry["years"][0] and \
                {k: v for k, v in out[-1].items() if k != "years"} == {k: v for k, v in entry.items() if k != "years"}:
            out[-1]["years"] = [out[-1]["years"][0], entry["years"][1]]
        else:
            out.append(dict(entry))
    period = data.get("period") or {}
    if len(out) == 1 and out[0]["years"] == [period.get("from"), period.get("to")]:
        single = dict(out[0])
        del single["years"]
        return single
    return out


# ---------------------------------------------------------------------------------------- delta

def delta(full: dict, parent: Ruleset) -> dict:
    """A full ruleset mapping as a child of `parent`: only what differs (for `import --extends`)."""
    full = _unsuffixed(full, parent)
    base = parent.model_dump(by_alias=True, exclude_none=True, mode="json")
    child: dict[str, Any] = {"id": full["id"], "extends": parent.id, "title": full["title"]}
    for key in ("legal_source", "period", "in_force", "province", "applies_to", "note", "level", "status"):
        if key in full and full[key] != base.get(key):
            child[key] = full[key]
    for key in ("sources", "departments", "groups", "fields"):
        changed = {k: v for k, v in (full.get(key) or {}).items() if (base.get(key) or {}).get(k) != v}
        if changed:
            child[key] = changed
    period = full.get("period") or {}
    years = range(period.get("from") or parent.period.from_, (period.get("to") or parent.period.to) + 1)
    parent_criteria = {c["id"]: c for c in base["criteria"]}
    overrides: dict[str, dict] = {}
    added: list[dict] = []
    for criterion in full["criteria"]:
        pc = parent_criteria.get(criterion["id"])
        if pc is None:
            added.append(criterion)
            continue
        change: dict[str, Any] = {}
        if criterion.get("name") != pc.get("name"):
            change["name"] = criterion["name"]
        if criterion.get("department") != pc.get("department"):
            change["department"] = criterion["department"]
        parent_indicators = {i["id"]: i for i in pc["indicators"]}
        for indicator in criterion["indicators"]:
            pi = parent_indicators.get(indicator["id"])
            if pi is None:
                change.setdefault("add_indicators", []).append(indicator)
                continue
            ichange = {}
            if indicator.get("name") != pi.get("name"):
                ichange["name"] = indicator["name"]
            if indicator.get("department") != pi.get("department") and indicator.get("department") is not None:
                ichange["department"] = indicator["department"]
            _unchanged_rule(indicator, pi, criterion["id"], ichange)
            if "checks" in indicator:
                parts = []
                for mine, theirs in zip(indicator["checks"], pi.get("checks") or []):
                    diff = _threshold_changes(mine.get("thresholds") or {}, theirs.get("thresholds") or {}, years)
                    parts.append({"thresholds": diff} if diff else {})
                if any(parts):
                    ichange["checks"] = parts
            else:
                diff = _threshold_changes(indicator.get("thresholds") or {}, pi.get("thresholds") or {}, years)
                if diff:
                    ichange["thresholds"] = diff
            if ichange:
                change.setdefault("indicators", {})[indicator["id"]] = ichange
        if change:
            overrides[criterion["id"]] = change
    if overrides:
        child["criteria"] = overrides
    if added:
        child["add_criteria"] = added
    return child


RULE_KEYS = ("field", "type", "operator", "relative_to", "verdict_of", "options", "absent", "declared", "unit")


def _unchanged_rule(indicator: dict, parent: dict, criterion_id: str, change: dict) -> None:
    """An extension may change an indicator's values, name, department and (for a prerequisite)
    whose verdict it is; what it compares must stay the parent's. `verdict_of` goes into `change`;
    any other difference is an InputError naming the indicator."""
    mine = indicator.get("checks") or [indicator]
    theirs = parent.get("checks") or [parent]
    def said(check: dict, key: str):
        value = check.get(key)
        if key == "operator" and value == "==":
            return None  # the default comparison, written or not
        return None if value in (None, False, [], "missing") else value

    differs = [key for a, b in zip(mine, theirs) for key in RULE_KEYS if key != "verdict_of" and said(a, key) != said(b, key)]
    if len(mine) != len(theirs):
        differs.append("checks")
    if indicator.get("prerequisite") != parent.get("prerequisite"):
        differs.append("prerequisite")
    if differs:
        iid = indicator["id"]
        raise InputError(Say(f"tiêu chí {criterion_id}, chỉ tiêu {iid}: {', '.join(sorted(set(differs)))} khác bộ gốc; một bộ "
                             "kế thừa (--extends) chỉ được đổi ngưỡng, tên, Sở, ngành và bộ tiêu chí làm điều kiện",
                             f"criterion {criterion_id}, indicator {iid}: {', '.join(sorted(set(differs)))} differ from the "
                             "parent set; an extension (--extends) may change only values, names, departments and the set "
                             "a prerequisite refers to"), field="extends",
                         fix=Say("nhập không có --extends (một bộ đầy đủ), hoặc để chỉ tiêu như bộ gốc và thêm chỉ tiêu mới",
                                 "import without --extends (a whole set), or keep the indicator as the parent has it and "
                                 "add a new one"))
    if len(mine) == 1 and mine[0].get("verdict_of") != theirs[0].get("verdict_of"):
        change["verdict_of"] = mine[0].get("verdict_of")


def _unsuffixed(full: dict, parent: Ruleset) -> dict:
    """Source keys written "KEY@SET" by `export` for values inherited from SET: back to KEY when SET
    is the parent or one of its ancestors (so an unchanged inherited value is not an override)."""
    lineage = set(parent._lineage) | {parent.id}
    full = copy.deepcopy(full)

    def fix(key):
        if isinstance(key, str) and "@" in key and key.split("@", 1)[1] in lineage:
            return key.split("@", 1)[0]
        return key

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "source":
                    node[k] = fix(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(full.get("criteria"))
    full["sources"] = {k: v for k, v in (full.get("sources") or {}).items() if fix(k) == k}
    return full


def _threshold_changes(mine: dict, theirs: dict, years: range) -> dict:
    """The regions (or groups) whose values differ from the parent's in some year of the child's
    period (a parent's span 2016–2019 and the child's 2017–2019 say the same for 2017–2020)."""
    out = {}
    for dim, value in mine.items():
        parent_value = theirs.get(dim, theirs.get("all"))
        if any(_in_year(value, year) != _in_year(parent_value, year) for year in years):
            out[dim] = value
    return out


def _in_year(value, year: int):
    """The entry of a threshold mapping value that holds in `year`, without its span."""
    for entry in value if isinstance(value, list) else ([value] if value is not None else []):
        span = entry.get("years")
        if span is None or span[0] <= year <= span[1]:
            return {k: v for k, v in entry.items() if k != "years"}
    return None


# ---------------------------------------------------------------------------------------- drafts

CRITERIA_2021_2025 = [
    ("1", "Quy hoạch", "Planning"), ("2", "Giao thông", "Transport"),
    ("3", "Thủy lợi và phòng, chống thiên tai", "Irrigation and disaster prevention"), ("4", "Điện", "Electricity"),
    ("5", "Trường học", "Schools"), ("6", "Cơ sở vật chất văn hóa", "Cultural facilities"),
    ("7", "Cơ sở hạ tầng thương mại nông thôn", "Rural commercial infrastructure"),
    ("8", "Thông tin và Truyền thông", "Information and communication"), ("9", "Nhà ở dân cư", "Housing"),
    ("10", "Thu nhập", "Income"), ("11", "Nghèo đa chiều", "Multidimensional poverty"), ("12", "Lao động", "Labour"),
    ("13", "Tổ chức sản xuất và phát triển kinh tế nông thôn", "Production organisation and rural economy"),
    ("14", "Giáo dục và Đào tạo", "Education and training"), ("15", "Y tế", "Health"), ("16", "Văn hóa", "Culture"),
    ("17", "Môi trường và an toàn thực phẩm", "Environment and food safety"),
    ("18", "Hệ thống chính trị và tiếp cận pháp luật", "Political system and access to law"),
    ("19", "Quốc phòng và An ninh", "Defence and security"),
]
CRITERIA_2026_2030 = [
    ("1", "Quy hoạch", "Planning"), ("2", "Hạ tầng kinh tế – xã hội", "Socio-economic infrastructure"),
    ("3", "Kinh tế nông thôn", "Rural economy"), ("4", "Đào tạo nguồn nhân lực nông thôn", "Rural human-resource training"),
    ("5", "Văn hóa, giáo dục, y tế", "Culture, education, health"),
    ("6", "Giảm nghèo và an sinh xã hội", "Poverty reduction and social security"),
    ("7", "Khoa học, công nghệ và chuyển đổi số", "Science, technology and digital transformation"),
    ("8", "Môi trường và cảnh quan nông thôn", "Environment and rural landscape"),
    ("9", "Hệ thống chính trị và hành chính công", "Political system and public administration"),
    ("10", "Tiếp cận pháp luật, quốc phòng và an ninh", "Access to law, defence and security"),
]


def draft(period_name: str) -> Ruleset:
    """The draft ruleset of a period whose table could not be read: its criteria (names as the
    reference restates them), its columns (7 regions, or 3 commune groups), and no value."""
    period = next((p for p in PERIODS if p.name == period_name), None)
    if period is None or period_name == "2016-2020":
        raise InputError(Say(f"không có bảng nháp cho giai đoạn {period_name}", f"no draft for the period {period_name}"),
                         field="period", fix=Say("dùng 2021-2025 hoặc 2026-2030", "use 2021-2025 or 2026-2030"))
    by_group = period_name == "2026-2030"
    names = CRITERIA_2026_2030 if by_group else CRITERIA_2021_2025
    translated = Say("Tên tiêu chí dịch từ bản tóm tắt tiếng Anh trong tài liệu tham khảo; đối chiếu với quyết định.",
                     "Criterion names as the reference restates them in English; check them against the decision.")
    data = {
        "id": f"draft-{period_name}", "status": "draft", "level": "standard",
        "title": {"vi": f"Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn {period_name.replace('-', '–')} (bản nháp)",
                  "en": f"National criteria for new rural communes, {period_name.replace('-', '–')} (draft)"},
        "legal_source": {"document": period.decision, "document_en": period.decision_en,
                         "date": (period.signed or period.in_force_from).isoformat(), "url": period.source},
        "period": {"from": period.years[0], "to": period.years[1]},
        "in_force": {"from": period.in_force_from.isoformat(),
                     **({"to": period.in_force_to.isoformat()} if period.in_force_to else {})},
        "varies_by": "commune_group" if by_group else "region", "indicator_count": period.indicators,
        "note": {"vi": f"Bản nháp: các chỉ tiêu và ngưỡng chưa được nhập; quyết định có {period.indicators} chỉ tiêu "
                       f"(theo {period.indicators_source}). " + translated.vi,
                 "en": f"Draft: the indicators and thresholds have not been entered; the decision lists "
                       f"{period.indicators} indicators (per {period.indicators_source}). " + translated.en},
        "sources": {"decision": {"url": period.source},
                    "to-fill": {"note": {"vi": "Chưa xác nhận: điền nguồn của từng ngưỡng.",
                                         "en": "Unconfirmed: give each threshold its source."}}},
        "departments": {"to-assign": {"vi": "Chưa phân công", "en": "Not assigned yet"}},
        "groups": {"all": {"vi": "Tiêu chí", "en": "Criteria"}},
        "criteria": [{"id": cid, "name": {"vi": vi, "en": en}, "group": "all",
                      "department": {"id": "to-assign", "source": "to-fill", "verified": False},
                      "indicators": [{"id": f"{cid}.1", "name": {"vi": "(ghi nội dung chỉ tiêu)", "en": "(the indicator's content)"}}]}
                     for cid, vi, en in names],
    }
    _confirmed(data, CONFIRMED.get(period_name, ()))
    return Ruleset.model_validate(data)


def _confirmed(data: dict, known) -> None:
    """The values of the period's table a public page confirms, in place of their criterion's
    placeholder indicator, each with that page (`periods.CONFIRMED`)."""
    for number, values in enumerate(known, start=1):
        key = f"confirmed-{number}"
        data["sources"][key] = {"url": values.source}
        thresholds = {}
        for dimension, value in values.values.items():
            entry = {"value": value, "source": key, "verified": True, "years": list(values.years)}
            if dimension in values.notes:
                entry["note"] = {"vi": values.notes[dimension][0], "en": values.notes[dimension][1]}
            thresholds[dimension] = [entry]
        indicator = {"id": values.indicator, "name": {"vi": values.name[0], "en": values.name[1]},
                     "field": values.field, "type": values.type, "operator": values.operator,
                     "unit": {"vi": values.unit[0], "en": values.unit[1]}, "thresholds": thresholds}
        criterion = next(c for c in data["criteria"] if c["id"] == values.criterion)
        criterion["indicators"] = [indicator]


def import_workbook(path: str | Path, out: str | Path | None = None, extends: str | None = None) -> Ruleset:
    """A filled workbook as a validated YAML ruleset at `out` (ID.yaml, or a folder to write it in;
    default ./ID.yaml), only what differs from `extends` when given. Nothing is written unless the set loads; the loader's problems name the row
    of the table they come from. Returns the loaded ruleset (a draft when status says so)."""
    from ..errors import RulesetError
    from .load import load_ruleset
    from .yamlfile import _display

    rows_of: dict[str, str] = {}
    data = read_workbook(path, rows_of)
    if extends:
        parent = load_ruleset(extends)
        _refuse_loosening(data, parent, rows_of, str(path))
        data = delta(data, parent)
    target = Path(out) if out is not None else Path(f"{data['id']}.yaml")
    if out is not None and (str(out).endswith(("/", os.sep)) or not target.suffix) and not target.exists():
        try:  # a folder to put the set in (as `--out FOLDER/` says): made when missing
            target.mkdir(parents=True)
        except OSError as problem:
            raise InputError(Say(f"không tạo được thư mục ({problem.strerror})", f"cannot make the folder ({problem.strerror})"),
                             source=str(target), fix=Say("kiểm tra đường dẫn", "check the path")) from None
    if target.is_dir():
        target = target / f"{data['id']}.yaml"
    if target.suffix not in (".yaml", ".yml") or target.stem != data["id"]:
        raise InputError(Say(f"tệp ra phải mang tên {data['id']}.yaml: bộ tiêu chí được tìm theo tên tệp, và mã (id) của "
                             "bảng này là " + data["id"],
                             f"the output must be named {data['id']}.yaml: a ruleset is found by the name of its file, "
                             f"and this table's id is {data['id']}"), source=str(target),
                         fix=Say(f"--out THU_MUC/{data['id']}.yaml, hoặc sửa id ở trang \"{SHEETS['meta']}\"",
                                 f"--out FOLDER/{data['id']}.yaml, or change the id on the sheet \"{SHEETS['meta']}\""))
    trial = target.with_name(f".{target.stem}.{os.getpid()}.check.yaml")
    out = target
    try:
        write_yaml(data, trial)
        try:
            load_ruleset(trial)
        except RulesetError as error:
            shown = _display(trial)
            raise RulesetError([_placed(line.replace(shown, str(path), 1), rows_of) for line in error.problems]) from None
    except OSError as problem:
        raise InputError(Say(f"không ghi được tệp ({problem.strerror})", f"cannot write the file ({problem.strerror})"),
                         source=str(out), fix=Say("kiểm tra thư mục có tồn tại và ghi được",
                                                  "check the folder exists and is writable")) from None
    finally:
        trial.unlink(missing_ok=True)
    from ..files import replace_with

    replace_with(target, lambda temporary: write_yaml(data, temporary),
                 lambda message, fix: InputError(message, source=str(out), fix=fix))
    return load_ruleset(target)


def _refuse_loosening(data: dict, parent: Ruleset, rows_of: dict[str, str], source: str) -> None:
    """A province's table under `--extends` may tighten its parent's thresholds, never loosen them:
    each loosened value named by its row, in both languages (the loader would say it in English,
    and its remedy, `loosening_exception`, has no column in the table)."""
    from .diff import diff

    try:
        full = Ruleset.model_validate(_unsuffixed(data, parent))
        changes = diff(parent, full).changes
    except Exception:  # not a valid set yet: the loader names what is wrong
        return
    problems = _Problems(source)
    for change in changes:
        if change.kind != "threshold" or not change.loosened:
            continue
        row = next((where for key, where in rows_of.items() if key.endswith(f".indicators[id={change.indicator}]")
                    and key.startswith("criteria[")), SHEETS["rows"])
        problems.add(row, f"chỉ tiêu {change.indicator}, {change.dimension}, năm {change.years}: ngưỡng {change.b} "
                          f"lỏng hơn ngưỡng {change.a} của bộ {parent.id}",
                     f"indicator {change.indicator}, {change.dimension}, {change.years}: the value {change.b} is looser "
                     f"than {parent.id}'s {change.a}",
                     "giữ ngưỡng của bộ gốc hoặc đặt ngưỡng chặt hơn; một ngoại lệ được phép nới lỏng phải ghi vào tệp "
                     "YAML (loosening_exception, kèm nguồn), bảng chưa có cột cho nó",
                     "keep the parent's value or a stricter one; an exception allowed to loosen it goes in the YAML "
                     "file (loosening_exception, with its source): the table has no column for it")
    problems.raise_first()


def _placed(line: str, rows_of: dict[str, str]) -> str:
    """A loader problem ("table.xlsx: criteria[id=5].indicators[id=5.1].thresholds: ...") with the
    row of the table it comes from."""
    def within(key: str) -> bool:  # "criteria.2.indicators.2.1" is not within "...indicators.2.10"
        at = line.find(key)
        return at >= 0 and line[at + len(key):at + len(key) + 1] in ("", ".", ":", "[", " ", ")")

    found = [key for key in rows_of if within(key)]
    if not found:
        return line
    key = max(found, key=len)
    sheet, _, row = rows_of[key].partition("!")
    return line.replace(key, f"{sheet}, dòng {row} ({key})", 1)


def write_yaml(data: dict, path: str | Path) -> Path:
    import yaml

    text = yaml.safe_dump(copy.deepcopy(data), allow_unicode=True, sort_keys=False, width=120)
    Path(path).write_text("# Written by ntm-assess rulesets import from a workbook; the table is the source.\n" + text,
                          "utf-8")
    return Path(path)
