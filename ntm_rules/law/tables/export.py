"""A criteria set written as the workbook an office fills (``export``): one row per indicator of
"Chỉ tiêu" with a group of value columns per region or commune group (and span of years), the
sheet of the set, its sources, departments, groups and fields, and a guide."""
from __future__ import annotations

from pathlib import Path

from ...errors import worded
from ...files.xlsx import texts_stay_texts
from ..schema import Ruleset
from .layout import META_KEYS, NO, ROW_COLUMNS, SHEETS, VALUE_PARTS, YES, _span

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
        "Bảng tiêu chí để nhập vào ntm-rules bằng ⟪rulesets_import⟫, ghi ra một thư mục (⟪out⟫) tệp <id>.yaml; "
        "đặt thư mục đó trong NTM_RULESETS_PATH để dùng.",
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
        "filled; then status = final and import it with ⟪rulesets_import⟫ into a folder (⟪out⟫: it writes <id>.yaml "
        "there; put the folder in NTM_RULESETS_PATH).",
    ]
    if ruleset.varies_by == "commune_group":
        lines += ["", "Nhóm xã (Quyết định 51/2025/QĐ-TTg): 1 = xã giáp đô thị hoặc định hướng lên đô thị, hoặc nông nghiệp "
                  "dưới 10 % kinh tế; 3 = xã khu vực II, III vùng đồng bào dân tộc thiểu số và miền núi; 2 = các xã còn lại.",
                  "Commune groups (Decision 51/2025/QĐ-TTg): 1 = adjoining an urban area or oriented to become one, or "
                  "agriculture under 10 % of the economy; 3 = Area II and III communes of ethnic-minority and mountain areas; "
                  "2 = the rest."]
    english = False  # the guide is in Vietnamese, then in English after an empty line: worded for each
    for line in lines:
        english = english or line.startswith("The table of")
        sheet.append([worded(line, "en" if english else "vi")])
    sheet.column_dimensions["A"].width = 160
