"""The rows of "Chỉ tiêu" read back (``_criteria``): criteria and indicators, the value columns
row 2 names, each indicator's check and thresholds cell by cell, adjacent spans that say the same
joined. Each problem names its cell and the fix, in both languages."""
from __future__ import annotations

from typing import Any

from ...files.cells import cell_name
from ...regions import COMMUNE_GROUPS, REGION_IDS
from .layout import ROW_COLUMNS, SHEETS, TYPES, VALUE_PARTS, _number, _pair, _Problems, _span, _text, _yes

def _cell_name(sheet: str, row: int, column: int) -> str:
    """"Chỉ tiêu!B12" for the 1-based column 2 of row 12."""
    return f"{sheet}!{cell_name(column - 1, row)}"


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
            criterion = by_id[cid] = {"id": cid, "name": _pair(get("criterion_vi"), get("criterion_en")),
                                      "group": _text(get("group")), "department": _assignment(get, "criterion_department"),
                                      "indicators": []}
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
                indicator["department"] = _assignment(get, "department")
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


def _assignment(get, key: str) -> dict:
    """The department a criterion (key "criterion_department") or an indicator ("department") is
    assigned to, with the source, confirmation and note of the assignment."""
    assignment = {"id": _text(get(key)), "source": _text(get(f"{key}_source")),
                  "verified": _yes(get(f"{key}_confirmed")) or False}
    note = _pair(get(f"{key}_note_vi"), get(f"{key}_note_en"))
    if note:
        assignment["note"] = note
    return assignment


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
