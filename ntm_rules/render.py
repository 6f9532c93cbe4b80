"""The text renderers: an Assessment, a resolved ruleset, a provincial summary, in Vietnamese by
default or English. The words come from `words.py`, shared with the HTML page and the plan."""
from __future__ import annotations

from collections import OrderedDict

from .regions import region_name
from .law.resolve import ResolvedRuleset
from .result import Assessment, IndicatorResult
from .words.phrases import (LABELS, OPERATORS, basis_text, department_text, flag, gap_text, indicator_department,
                    level_name, number, one_decimal, pick, requirement, value_text, verdict_text, with_unit)

__all__ = ["LABELS", "number", "one_decimal", "requirement", "text_report", "summary_text", "ruleset_table",
           "header_lines", "level_name", "LEVEL_ORDER"]

LEVEL_ORDER = ("standard", "advanced", "model")
MARKS = {"not_met": "✗", "missing": "?", "met": "✓"}


def indicator_lines(indicator: IndicatorResult, lang: str, indent: str = "    ", department: bool = True) -> list[str]:
    """A failing or missing indicator: what it is, what was found, what is required, by how much it
    misses, who leads, and on what basis."""
    L = LABELS[lang]
    shown = value_text(indicator, lang)
    decisive = next((p for p in indicator.checks or [] if p.field == indicator.field), None)
    if decisive is not None and pick(decisive, "label", lang):  # 17.1: which of its numbers is meant
        shown = f"{pick(decisive, 'label', lang)} {shown}"
    head = f"{indicator.id} {pick(indicator, 'name', lang)}: {shown}; {L['required']} {requirement(indicator, lang)}"
    gap = gap_text(indicator, lang)
    if gap:
        head += f"; {gap}"
    lines = [f"{indent}{MARKS[indicator.status]} {head}{flag(indicator, lang)}"]
    for part in indicator.checks or []:
        label = pick(part, "label", lang) or pick(indicator, "name", lang)
        shown = value_text(indicator, lang, part.value) if part.value is not None else L["no_data"]
        required = f"{OPERATORS[part.operator]} {with_unit(number(part.threshold, lang), pick(indicator, 'unit', lang))}"
        part_gap = gap_text(part, lang, pick(indicator, "unit", lang))
        lines.append(f"{indent}    {MARKS[part.status]} {label}: {shown} ({L['required']} {required}"
                     + (f"; {part_gap}" if part_gap else "") + ")" + (f" {L['unconfirmed']}" if not part.verified else ""))
    if department:
        lines.append(f"{indent}  {L['department']}: {indicator_department(indicator, lang)}")
    lines.append(f"{indent}  {L['basis']}: {basis_text(indicator, lang)}")
    note = pick(indicator, "note", lang)
    if note:
        lines.append(f"{indent}  {L['unconfirmed']} {note}" if not indicator.verified else f"{indent}  {note}")
    return lines


def header_lines(a: Assessment, lang: str) -> list[str]:
    L = LABELS[lang]
    where = ", ".join(p for p in (a.commune.district, a.commune.province) if p)
    place = f"{a.commune.name}" + (f" — {where}" if where else "")
    if a.region:
        dim = f"{L['region']} {region_name(a.region, lang)}"
        if a.region_source == "province":
            dim += f", {L['region_from_province']}"
    else:
        dim = f"{L['group']} {a.commune_group}"
    lines = [
        f"{place} ({dim}), {L['year']} {a.year}",
        f"{L['ruleset']}: {pick(a.ruleset, 'title', lang)} ({a.ruleset.id}, sha256 {a.ruleset.sha256[:12]})"
        + (f" — {L['chosen_because']}: {pick(a.ruleset, 'chosen_because', lang)}" if a.ruleset.chosen_because else ""),
    ]
    note = pick(a.ruleset, "note", lang)
    if note:
        lines.append(f"{L['note']}: {note}")
    lines.append(f"{L['result']}: {verdict_text(a, lang)}")
    return lines


def department_lines(a: Assessment, lang: str) -> list[str]:
    """Per lead department, the indicators it answers for that are not met or lack data."""
    L = LABELS[lang]
    lines = [f"{L['departments']}:"]
    if not a.departments:
        lines.append(f"  {L['none']}")
    for d in a.departments:
        parts = []
        if d.not_met:
            parts.append(f"{L['indicators_not_met']}: {', '.join(d.not_met)}")
        if d.missing:
            parts.append(f"{L['indicators_missing']}: {', '.join(d.missing)}")
        level = f" ({L['standard_level']})" if d.level == "standard" else ""
        lines.append(f"  {department_text(pick(d, 'name', lang), d.verified, lang)}{level} — {'; '.join(parts)}")
    return lines


def next_steps(a: Assessment, lang: str, source: str | None) -> list[str]:
    """What the commune and each lead department do next: the plan command, then per department
    the indicators it must act on, with the gap."""
    L = LABELS[lang]
    if a.attained:
        return []
    command = f"ntm-assess {source or 'FILE.json'}" + (f" --ruleset {a.ruleset.id}" if source else "") + \
        f" --plan {L['plan_file']}" + (" --lang en" if lang == "en" else "")
    lines = [f"{L['next']}:", f"  1. {L['next_plan'].format(command=command)}", f"  2. {L['next_departments']}"]
    by_department: OrderedDict[str, list[str]] = OrderedDict()
    for indicator in a.to_act_on():
        gap = gap_text(indicator, lang)
        what = f"{indicator.id} {pick(indicator, 'name', lang)}" + (f" ({gap})" if gap else
                                                                    f" ({L['missing_short']}: {L['supply_data']})"
                                                                    if indicator.status == "missing" else "")
        by_department.setdefault(indicator_department(indicator, lang), []).append(what)
    for name, items in by_department.items():
        lines.append(f"     {name}:")
        lines += [f"       - {item}" for item in items]
    return lines


def level_lines(a: Assessment, lang: str) -> list[str]:
    """The levels a higher ruleset builds on, top-down: standard, advanced, then its own."""
    L = LABELS[lang]
    lines = []
    levels = sorted(a.levels.items(), key=lambda kv: LEVEL_ORDER.index(kv[0]) if kv[0] in LEVEL_ORDER else 99)
    own_level = next((name for name, level in a.levels.items() if level.ruleset == a.ruleset.id), "")
    for number_, (name, level) in enumerate(levels, start=1):
        verdict = L["attained_short"] if level.attained else L["not_attained_short"]
        if not level.basis:  # a declared recognition is the commune's word, not a threshold
            verdict += f", {L['certain'] if level.certain else L['uncertain']}"
        head = f"{L['level']} {number_} — {level_name(name, lang)}" + (f" ({level.ruleset})" if level.ruleset else "")
        lines += ["", f"{head}: {verdict}"]
        if level.criteria_total is not None:
            lines[-1] += f" — {level.criteria_met}/{level.criteria_total} {L['criteria']}"
        if level.basis:
            lines[-1] += f" — {pick(level, 'basis', lang)}"
        if level.blocked_by:
            needs = ", ".join(level_name(b, lang) for b in level.blocked_by)
            lines.append("  → " + L["requires_first"].format(level=needs))
            continue
        for criterion in level.failing_criteria or []:
            lines.append(f"  {criterion.id} {pick(criterion, 'name', lang)}")
            for i in criterion.indicators:
                if i.status != "met":
                    lines += indicator_lines(i, lang)
        if level.requirements is not None and name == own_level:
            for i in level.requirements:
                if i.status != "met":
                    lines += indicator_lines(i, lang, indent="  ")
            declared = [i for i in level.requirements if i.declared]
            if declared:
                lines.append(f"  {L['declared_list']}:")
                lines += [f"    {i.id} {pick(i, 'name', lang)}: {value_text(i, lang)}" for i in declared]
    return lines


def text_report(a: Assessment, lang: str = "vi", by_department: bool = False, source: str | None = None) -> str:
    """The report of one commune. `source` (the document's path) goes into the plan command."""
    L = LABELS[lang]
    lines = header_lines(a, lang)
    if by_department:
        return "\n".join(lines + [""] + department_lines(a, lang)) + "\n"
    if a.levels:
        lines += level_lines(a, lang)
    else:
        lines.append(f"{L['unconfirmed_count']}: {a.ruleset.unconfirmed_thresholds}")
        failing = [c for c in a.criteria if c.status == "not_met"]
        if failing:
            lines += ["", f"{L['failing']} ({len(failing)}):"]
            for c in failing:
                lines.append(f"  {c.id} {pick(c, 'name', lang)}")
                for i in c.indicators:
                    if i.status == "not_met":
                        lines += indicator_lines(i, lang)
        missing = [i for c in a.criteria for i in c.indicators if i.status == "missing"]
        if missing:
            lines += ["", f"{L['missing']} ({len(missing)}):"]
            for i in missing:
                lines += indicator_lines(i, lang, indent="  ")
        met = [c for c in a.criteria if c.status == "met"]
        lines += ["", f"{L['met_list']} ({len(met)}): {', '.join(c.id for c in met) or L['none']}"]
        shaky = [i for c in met for i in c.indicators if not i.certain]
        if shaky:
            lines.append(f"{L['unconfirmed_met']}:")
            lines += [f"    {i.id} {pick(i, 'name', lang)}: {value_text(i, lang)}; {L['required']} {requirement(i, lang)}"
                      f"{flag(i, lang)}" for i in shaky]
    steps = next_steps(a, lang, source)
    if steps:
        lines += [""] + steps
    if a.ruleset.unconfirmed_thresholds or any(not i.department_verified for i in a.to_act_on()):
        lines += ["", L["legend"], L["warning"]]
    return "\n".join(lines) + "\n"


def ruleset_table(resolved: ResolvedRuleset, lang: str = "vi") -> str:
    """The thresholds the engine applies for one region and year, with citation and status."""
    L = LABELS[lang]
    rs = resolved.ruleset
    dim = (f"{L['region']} {region_name(resolved.dimension, lang)}" if rs.varies_by == "region"
           else f"{L['group']} {resolved.dimension}")
    lines = [f"{rs.title(lang)} ({rs.id}) — {dim}, {L['year']} {resolved.year}",
             f"{L['unconfirmed_count']}: {resolved.unconfirmed}/{len(resolved.checks)}"]
    if rs.note:
        lines.append(f"{L['note']}: {rs.note(lang)}")
    lines.append("")
    for criterion in resolved.criteria:
        dept = department_text(rs.departments[criterion.department](lang), criterion.department_verified, lang)
        lines.append(f"{criterion.id}. {criterion.name(lang)} — {dept}")
        for indicator in criterion.indicators:
            for check in indicator.checks:
                if isinstance(check.threshold, bool):
                    req = L["yes"]
                else:
                    unit = "%" if check.type == "pct" else (check.unit(lang) if check.unit else None)
                    req = f"{OPERATORS[check.operator]} {with_unit(number(check.threshold, lang), unit)}"
                    if check.relative_to:
                        base = L["assessment_year"] if check.relative_to == "assessment_year" else (
                            check.relative_label(lang) if check.relative_label else L["threshold"].lower())
                        op = OPERATORS[check.operator]
                        req = f"{op} {base}" if check.threshold == 1 else f"{op} {number(check.threshold, lang)} × {base}"
                    if check.options:
                        labels = check.option_labels or {}
                        req += f" ({', '.join(labels[o](lang) if o in labels else o for o in check.options)})"
                if check.verdict_of:
                    req += f" [{check.verdict_of}]"
                if check.declared:
                    req += f" {L['declared']}"
                status = L["confirmed"] if check.verified else L["unconfirmed"]
                if check.bound:
                    status += f" ({'≤' if check.bound == 'at_most' else '≥'})"
                origin = f" [{check.origin}]" if check.origin != rs.id else ""
                dept = "" if indicator.department == criterion.department else \
                    f" — {department_text(rs.departments[indicator.department](lang), indicator.department_verified, lang)}"
                name = check.label(lang) if check.label and len(indicator.checks) > 1 else indicator.name(lang)
                lines.append(f"  {indicator.id} {name} ({check.field}): {req} — {status}{origin}{dept}")
                restated = f"; {L['restated']}: {check.url}" if check.url else f"; {L['no_page']}"
                lines.append(f"      {check.citation(lang)}{restated}")
                if check.note:
                    lines.append(f"      {check.note(lang)}")
    return "\n".join(lines) + "\n"


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
    """The provincial summary (ntm_rules.summary.ProvincialSummary) as plain text."""
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
