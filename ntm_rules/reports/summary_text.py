"""The provincial summary as text (and the lines its HTML page shares): a ProvincialSummary, in
Vietnamese by default or English."""
from __future__ import annotations

from ..words.phrases import LABELS, department_text, gap_text, one_decimal, pick


SUMMARY_LABELS = {
    "vi": {"title": "Tổng hợp", "communes": "xã", "assessed": "đã đánh giá", "rejected": "không đánh giá được",
           "attained": "đạt chuẩn", "not_attained": "chưa đạt", "missing_data": "chưa đạt chỉ vì thiếu số liệu",
           "of_which_certain": "chắc chắn", "average": "bình quân tiêu chí đạt/xã",
           "brackets": "Số xã theo số tiêu chí đạt",
           "under_low_mark": "Xã dưới {mark} tiêu chí", "by_criterion": "Theo tiêu chí",
           "departments": "Sở, ngành chủ trì", "registered": "Xã đăng ký đạt chuẩn", "not_found": "không có trong kết quả",
           "districts": "Theo huyện", "none": "không có", "criteria": "tiêu chí", "date": "Ngày lập",
           "rejected_row": "dòng {row} không đánh giá được: {error}",
           "n_not_met": "{n} xã không đạt", "n_missing": "{n} xã thiếu số liệu",
           "registered_rejected": "dòng {row} không đánh giá được: {reason}",
           "registered_ambiguous": "trùng tên: {candidates}; cách sửa: thêm huyện (hoặc mã xã) vào danh sách đăng ký",
           "registered_suggest": "không có trong kết quả; có phải {suggestion}?",
           "rejected_rows": "Dòng không đánh giá được", "row": "dòng", "see_rejected": "xem đủ trong rejected.xlsx",
           "columns_ignored": "Cột không đọc", "sheets_skipped": "Trang không đọc (không có dòng tiêu đề)",
           "under": "dưới {n}"},
    "en": {"title": "Summary", "communes": "communes", "assessed": "assessed", "rejected": "could not be assessed",
           "attained": "attained", "not_attained": "not attained", "missing_data": "not attained only for missing data",
           "of_which_certain": "certain", "average": "average criteria met per commune",
           "brackets": "Communes by criteria met",
           "under_low_mark": "Communes under {mark} criteria", "by_criterion": "By criterion",
           "departments": "Lead departments", "registered": "Registered communes", "not_found": "not among the results",
           "districts": "By district", "none": "none", "criteria": "criteria", "date": "Date",
           "rejected_row": "row {row} could not be assessed: {error}",
           "n_not_met": "{n} communes not met", "n_missing": "{n} without data",
           "registered_rejected": "row {row} could not be assessed: {reason}",
           "registered_ambiguous": "the name is shared: {candidates}; fix: add the district (or the code) to the registered list",
           "registered_suggest": "not among the results; did you mean {suggestion}?",
           "rejected_rows": "Rows that could not be assessed", "row": "row", "see_rejected": "see all in rejected.xlsx",
           "columns_ignored": "Columns not read", "sheets_skipped": "Sheets not read (no header row)",
           "under": "under {n}"},
}


def bracket_label(key: str, lang: str) -> str:
    """A band of criteria met as people write it: "15–18", and the lowest "dưới 5" / "under 5"."""
    low, _, high = key.partition("-")
    if not high:
        return key
    if low == "0":
        return SUMMARY_LABELS[lang]["under"].format(n=int(high) + 1)
    return f"{low}–{high}"


def registered_line(r, lang: str) -> str:
    """One registered commune: verdict, how sure, and each failing indicator with its gap."""
    L, R = SUMMARY_LABELS[lang], LABELS[lang]
    if not r.found:
        return f"  {r.commune}: {registered_status(r, lang)}"
    verdict = L["attained"] if r.attained else L["not_attained"]
    sure = R["certain"] if r.certain else R["uncertain"]
    parts = []
    for i in r.indicators:
        gap = gap_text(i, lang)
        text = f"{i.id} {gap}" if gap else f"{i.id} {R['missing_short'] if i.status == 'missing' else R['not_met_short']}"
        if not i.verified:
            text += f" {R['unconfirmed']}"
            if i.bound == "at_most" and i.operator == ">=" and i.status == "not_met":
                text += f" ({R['year_value_lower'].format(year=r.year)})"
        text += f" — {department_text(pick(i, 'department_name', lang), i.department_verified, lang)}"
        parts.append(text)
    return f"  {r.commune}: {verdict} ({r.criteria_met}), {sure}" + "".join("; " + p for p in parts)


def registered_status(r, lang: str) -> str:
    """Why a registered commune has no verdict: its row was rejected, its name is shared, or it is
    not among the rows (with the commune whose name differs only by its accents, if any)."""
    L = SUMMARY_LABELS[lang]
    if r.status == "rejected":
        return L["registered_rejected"].format(row=r.row, reason=r.reason)
    if r.status == "ambiguous":
        return L["registered_ambiguous"].format(candidates="; ".join(r.candidates))
    if r.suggestion:
        return L["registered_suggest"].format(suggestion=r.suggestion)
    return L["not_found"]


def summary_text(s, lang: str = "vi") -> str:
    """The provincial summary (ntm_rules.reports.summary.ProvincialSummary) as plain text."""
    L, R = SUMMARY_LABELS[lang], LABELS[lang]
    avg = "—" if s.average_criteria_met is None else one_decimal(s.average_criteria_met, lang)
    title = s.ruleset.title_en if lang == "en" else s.ruleset.title
    lines = [
        f"{R['ruleset']}: {title} ({s.ruleset.id}), {R['year']} {', '.join(map(str, s.years)) or '—'}"
        + (f" — {pick(s, 'ruleset_reason', lang)}" if s.ruleset_reason else ""),
    ]
    note = pick(s.ruleset, "note", lang)
    if note:
        lines.append(f"{R['note']}: {note}")
    lines += [
        f"{L['title']}: {s.communes} {L['communes']} — {s.assessed} {L['assessed']}, {s.rejected} {L['rejected']}",
        f"  {L['attained']}: {s.attained} ({L['of_which_certain']} {s.attained_certain}); "
        f"{L['not_attained']}: {s.not_attained} ({L['of_which_certain']} {s.not_attained_certain}); "
        f"{L['missing_data']}: {s.missing_data}",
        f"  {L['average']}: {avg}",
        f"{L['brackets']}: " + "; ".join(f"{bracket_label(k, lang)}: {v}" for k, v in s.brackets.items()),
        f"{L['under_low_mark'].format(mark=s.low_mark)} ({len(s.under_low_mark)}): {', '.join(s.under_low_mark) or L['none']}",
        f"{L['by_criterion']}:" + ("" if any(c.not_met or c.missing for c in s.criteria) else f" {L['none']}"),
    ]
    for c in s.criteria:
        if c.not_met or c.missing:
            parts = ([L["n_not_met"].format(n=c.not_met)] if c.not_met else []) + \
                    ([L["n_missing"].format(n=c.missing)] if c.missing else [])
            lines.append(f"  {c.id}. {pick(c, 'name', lang)}: {', '.join(parts)}")
    lines.append(f"{L['departments']}:")
    for d in s.failures_by_department.values():
        name = department_text(pick(d, "name", lang), d.verified, lang)
        lines.append(f"  {name}: {L['criteria']} {', '.join(d.criteria)} — {d.communes} {L['communes']}")
    if s.registered:
        lines.append(f"{L['registered']}:")
        lines += [registered_line(r, lang) for r in s.registered]
    if s.rejected_rows:
        lines.append(f"{L['rejected_rows']} ({s.rejected}):")
        for r in s.rejected_rows:
            where = f"{r['sheet']}!{r['row']}" if r.get("sheet") else r["row"]
            lines.append(f"  {L['row']} {where}: {r['error']}")
        if s.rejected > len(s.rejected_rows):
            lines.append(f"  … {L['see_rejected']}")
    if s.columns_ignored:
        lines.append(f"{L['columns_ignored']}: " + "; ".join(s.columns_ignored))
    if s.sheets_skipped:
        lines.append(f"{L['sheets_skipped']}: " + "; ".join(s.sheets_skipped))
    if any(d.district for d in s.districts):  # since 1 July 2025 communes have no district: no such section
        lines.append(f"{L['districts']}:")
        for d in s.districts:
            lines.append(f"  {d.district or '—'}: {d.assessed} {L['assessed']}, {d.attained} {L['attained']}, "
                         f"{L['average']} {one_decimal(d.average_criteria_met, lang)}")
    if s.unconfirmed_thresholds:
        lines.append(R["warning"])
    return "\n".join(lines) + "\n"
