"""Renderers: an Assessment (or a resolved ruleset) as text, Vietnamese by default or English."""
from __future__ import annotations

from babel.numbers import format_decimal

from .regions import region_name
from .result import Assessment, IndicatorResult
from .resolve import ResolvedRuleset

LABELS = {
    "vi": {
        "year": "năm", "ruleset": "Bộ tiêu chí", "attained": "ĐẠT chuẩn nông thôn mới",
        "not_attained": "CHƯA ĐẠT chuẩn nông thôn mới", "criteria": "tiêu chí",
        "result": "Kết quả", "failing": "Tiêu chí không đạt", "missing": "Thiếu dữ liệu (chưa đánh giá được)",
        "met_list": "Tiêu chí đạt", "required": "yêu cầu", "gap": "còn thiếu", "over": "vượt",
        "basis": "Căn cứ", "unconfirmed": "[chưa xác nhận]", "no_data": "không có số liệu",
        "unconfirmed_count": "Ngưỡng chưa được xác nhận trong văn bản pháp luật đã áp dụng",
        "unconfirmed_met": "Tiêu chí đạt dựa trên ngưỡng chưa xác nhận",
        "departments": "Sở, ngành chịu trách nhiệm", "not_met_short": "không đạt", "missing_short": "thiếu dữ liệu",
        "yes": "Đạt", "no": "Không đạt", "region": "vùng", "group": "nhóm xã", "none": "không có",
        "warning": "Lưu ý: ngưỡng đánh dấu [chưa xác nhận] chưa được đối chiếu với văn bản gốc; "
                   "không coi kết quả dựa trên chúng là kết luận pháp lý.",
        "region_from_province": "vùng suy ra từ tỉnh", "department": "Đơn vị", "assignment_unconfirmed": "phân công chưa xác nhận",
        "threshold": "Ngưỡng", "indicator": "Chỉ tiêu", "confirmed": "đã xác nhận",
        "declared": "[tự khai báo, công cụ không kiểm tra]", "assessment_year": "năm đánh giá",
        "level": "Cấp", "level_standard": "Chuẩn nông thôn mới", "level_advanced": "Nông thôn mới nâng cao",
        "level_model": "Xã nông thôn mới kiểu mẫu", "requires_first": "cần đạt {level} trước",
        "attained_short": "ĐẠT", "not_attained_short": "CHƯA ĐẠT", "declared_list": "Yêu cầu do người đánh giá tự khai báo",
        "attained_level": "ĐẠT {level}", "not_attained_level": "CHƯA ĐẠT {level}",
    },
    "en": {
        "year": "year", "ruleset": "Criteria set", "attained": "ATTAINS the new rural standard",
        "not_attained": "DOES NOT YET ATTAIN the new rural standard", "criteria": "criteria",
        "result": "Result", "failing": "Criteria not met", "missing": "Missing data (could not be assessed)",
        "met_list": "Criteria met", "required": "required", "gap": "short by", "over": "over by",
        "basis": "Basis", "unconfirmed": "[unconfirmed]", "no_data": "no data",
        "unconfirmed_count": "Thresholds applied that are not confirmed in a legal text",
        "unconfirmed_met": "Criteria met on unconfirmed thresholds",
        "departments": "Accountable departments", "not_met_short": "not met", "missing_short": "missing data",
        "yes": "Met", "no": "Not met", "region": "region", "group": "commune group", "none": "none",
        "warning": "Note: thresholds marked [unconfirmed] have not been checked against the legal text; "
                   "a verdict resting on them is not a legal finding.",
        "region_from_province": "region derived from the province", "department": "Department",
        "assignment_unconfirmed": "assignment unconfirmed",
        "threshold": "Threshold", "indicator": "Indicator", "confirmed": "confirmed",
        "declared": "[declared by the assessor, not checked by the tool]", "assessment_year": "the assessment year",
        "level": "Level", "level_standard": "the new rural standard", "level_advanced": "the advanced new rural standard",
        "level_model": "model new rural commune", "requires_first": "requires {level} first",
        "attained_short": "ATTAINED", "not_attained_short": "NOT ATTAINED", "declared_list": "Requirements declared by the assessor",
        "attained_level": "ATTAINS {level}", "not_attained_level": "DOES NOT YET ATTAIN {level}",
    },
}


def number(value, lang: str = "vi") -> str:
    """A number in the reader's convention: "16,1" in Vietnamese, "16.1" in English."""
    if isinstance(value, bool):
        return LABELS[lang]["yes"] if value else LABELS[lang]["no"]
    if isinstance(value, list):
        return ", ".join(value) if value else LABELS[lang]["none"]
    return format_decimal(value, locale="vi_VN" if lang == "vi" else "en_US", group_separator=False)


def one_decimal(value, lang: str = "vi") -> str:
    """An average as reports print it: always one decimal ("16,0", "14,1")."""
    return format_decimal(value, format="0.0", locale="vi_VN" if lang == "vi" else "en_US")


def indicator_value(indicator: IndicatorResult, lang: str, value=None) -> str:
    value = indicator.value if value is None else value
    if value is None:
        return LABELS[lang]["no_data"]
    text = number(value, lang)
    if indicator.unit and not isinstance(value, bool):
        text += " %" if indicator.unit == "%" else f" {indicator.unit if lang == 'vi' else _unit_en(indicator)}"
    return text


def _unit_en(indicator: IndicatorResult) -> str:
    return "million VND/person/year" if indicator.unit == "triệu đồng/người/năm" else indicator.unit


def requirement(indicator: IndicatorResult, lang: str) -> str:
    if isinstance(indicator.threshold, bool):
        return LABELS[lang]["yes"]
    op = {">=": "≥", "<=": "≤", "==": "="}[indicator.operator]
    unit = "" if not indicator.unit else (" %" if indicator.unit == "%" else f" {indicator.unit if lang == 'vi' else _unit_en(indicator)}")
    if indicator.relative_to:
        base = relative_label(indicator.relative_to, lang)
        formula = base if indicator.factor == 1 else f"{number(indicator.factor, lang)} × {base}"
        if indicator.threshold is None:
            return f"{op} {formula}"
        return f"{op} {number(indicator.threshold, lang)}{unit} (= {formula})"
    return f"{op} {number(indicator.threshold, lang)}{unit}"


def relative_label(field: str, lang: str) -> str:
    return LABELS[lang]["assessment_year"] if field == "assessment_year" else field


def _name(obj, lang: str) -> str:
    return obj.name_en if lang == "en" else obj.name


def _dept(obj, lang: str) -> str:
    return obj.department_name_en if lang == "en" else obj.department_name


def indicator_lines(indicator: IndicatorResult, lang: str, indent: str = "    ") -> list[str]:
    L = LABELS[lang]
    flag = f" {L['unconfirmed']}" if not indicator.verified else ""
    if indicator.status == "missing":
        head = f"{indicator.id} {_name(indicator, lang)}: {L['no_data']} ({indicator.field}); {L['required']} {requirement(indicator, lang)}{flag}"
    else:
        head = f"{indicator.id} {_name(indicator, lang)}: {indicator_value(indicator, lang)}; {L['required']} {requirement(indicator, lang)}"
        if indicator.gap is not None:
            head += f"; {L['gap']} {number(indicator.gap, lang)}"
        head += flag
    if indicator.declared:
        head += f" {L['declared']}"
    marks = {"not_met": "✗", "missing": "?", "met": "✓"}
    lines = [f"{indent}{marks[indicator.status]} {head}"]
    if indicator.checks:
        for part in indicator.checks:
            mark = {"met": "✓", "not_met": "✗", "missing": "?"}[part.status]
            shown = L["no_data"] if part.value is None else number(part.value, lang)
            lines.append(f"{indent}    {mark} {part.field}: {shown} ({L['required']} ≥ {number(part.threshold, lang)})"
                         + (f" {L['unconfirmed']}" if not part.verified else ""))
    source = indicator.source + (f" — {indicator.source_url}" if indicator.source_url else "")
    lines.append(f"{indent}  {L['basis']}: {source}")
    note = indicator.note_en if lang == "en" else indicator.note
    if note:
        lines.append(f"{indent}  {L['unconfirmed']} {note}")
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
    title = a.ruleset.title_en if lang == "en" else a.ruleset.title
    if a.levels:
        level = level_name(a_level(a), lang)
        verdict = (L["attained_level"] if a.attained else L["not_attained_level"]).format(level=level)
    else:
        verdict = f"{L['attained'] if a.attained else L['not_attained']} — {a.criteria_met}/{a.criteria_total} {L['criteria']}"
    return [
        f"{place} ({dim}), {L['year']} {a.year}",
        f"{L['ruleset']}: {title} ({a.ruleset.id}, sha256 {a.ruleset.sha256[:12]})",
        f"{L['result']}: {verdict}",
    ]


def department_lines(a: Assessment, lang: str) -> list[str]:
    L = LABELS[lang]
    lines = [f"{L['departments']}:"]
    if not a.departments:
        lines.append(f"  {L['none']}")
    for d in a.departments:
        name = d.name_en if lang == "en" else d.name
        parts = []
        if d.not_met:
            parts.append(f"{L['not_met_short']}: {', '.join(d.not_met)}")
        if d.missing:
            parts.append(f"{L['missing_short']}: {', '.join(d.missing)}")
        lines.append(f"  {name} — {L['criteria']} {', '.join(d.criteria)} ({'; '.join(parts)})")
    return lines


LEVEL_ORDER = ("standard", "advanced", "model")


def level_name(level: str, lang: str) -> str:
    return LABELS[lang].get(f"level_{level}", level)


def level_lines(a: Assessment, lang: str) -> list[str]:
    """The levels a higher ruleset builds on, top-down: standard, advanced, then its own."""
    L = LABELS[lang]
    lines = []
    levels = sorted(a.levels.items(), key=lambda kv: LEVEL_ORDER.index(kv[0]) if kv[0] in LEVEL_ORDER else 99)
    for number_, (name, level) in enumerate(levels, start=1):
        verdict = L["attained_short"] if level.attained else L["not_attained_short"]
        head = f"{L['level']} {number_} — {level_name(name, lang)}" + (f" ({level.ruleset})" if level.ruleset else "")
        lines += ["", f"{head}: {verdict}"]
        if level.criteria_total is not None:
            lines[-1] += f" — {level.criteria_met}/{level.criteria_total} {L['criteria']}"
        if level.basis:
            lines[-1] += f" — {level.basis_en if lang == 'en' else level.basis}"
        if level.blocked_by:
            needs = ", ".join(level_name(b, lang) for b in level.blocked_by)
            lines.append("  → " + L["requires_first"].format(level=needs))
            continue
        for criterion in level.failing_criteria or []:
            lines.append(f"  {criterion.id} {_name(criterion, lang)} — {_dept(criterion, lang)}")
            for i in criterion.indicators:
                if i.status != "met":
                    lines += indicator_lines(i, lang)
        if level.requirements is not None and name == a_level(a):
            for i in level.requirements:
                if i.status != "met":
                    lines += indicator_lines(i, lang, indent="  ")
                    lines.append(f"      {L['department']}: {_dept(i, lang)}")
            declared = [i for i in level.requirements if i.declared]
            if declared:
                lines.append(f"  {L['declared_list']}: " + "; ".join(
                    f"{i.id} {number(i.value, lang) if i.value is not None else L['no_data']}" for i in declared))
    return lines


def a_level(a: Assessment) -> str:
    return next((name for name, level in a.levels.items() if level.ruleset == a.ruleset.id), "")


def text_report(a: Assessment, lang: str = "vi", by_department: bool = False) -> str:
    L = LABELS[lang]
    lines = header_lines(a, lang)
    if a.levels and not by_department:
        lines += level_lines(a, lang)
        lines += [""] + department_lines(a, lang)
        if a.ruleset.unconfirmed_thresholds:
            lines += ["", L["warning"]]
        return "\n".join(lines) + "\n"
    if by_department:
        return "\n".join(lines + [""] + department_lines(a, lang)) + "\n"
    lines.append(f"{L['unconfirmed_count']}: {a.ruleset.unconfirmed_thresholds}")
    failing = [c for c in a.criteria if c.status == "not_met"]
    if failing:
        lines += ["", f"{L['failing']} ({len(failing)}):"]
        for c in failing:
            lines.append(f"  {c.id} {_name(c, lang)} — {_dept(c, lang)}")
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
    shaky = [c.id for c in met if any(not i.verified for i in c.indicators)]
    if shaky:
        lines.append(f"{L['unconfirmed_met']}: {', '.join(shaky)}")
    lines += [""] + department_lines(a, lang)
    if a.ruleset.unconfirmed_thresholds:
        lines += ["", L["warning"]]
    return "\n".join(lines) + "\n"


def ruleset_table(resolved: ResolvedRuleset, lang: str = "vi") -> str:
    """The thresholds the engine applies for one region and year, with citation and status."""
    L = LABELS[lang]
    rs = resolved.ruleset
    dim = (f"{L['region']} {region_name(resolved.dimension, lang)}" if rs.varies_by == "region"
           else f"{L['group']} {resolved.dimension}")
    lines = [f"{rs.title(lang)} ({rs.id}) — {dim}, {L['year']} {resolved.year}",
             f"{L['unconfirmed_count']}: {resolved.unconfirmed}/{len(resolved.checks)}", ""]
    for criterion in resolved.criteria:
        dept = rs.departments[criterion.department](lang)
        flag = "" if criterion.department_verified else f" ({L['assignment_unconfirmed']})"
        lines.append(f"{criterion.id}. {criterion.name(lang)} — {dept}{flag}")
        for indicator in criterion.indicators:
            for check in indicator.checks:
                if isinstance(check.threshold, bool):
                    req = L["yes"]
                else:
                    op = {">=": "≥", "<=": "≤", "==": "="}[check.operator]
                    unit = " %" if check.type == "pct" else (f" {check.unit(lang)}" if check.unit else "")
                    req = f"{op} {number(check.threshold, lang)}{unit}"
                    if check.relative_to:
                        base = relative_label(check.relative_to, lang)
                        req = f"{op} {base}" if check.threshold == 1 else f"{op} {number(check.threshold, lang)} × {base}"
                    if check.options:
                        req += f" ({', '.join(check.options)})"
                if check.verdict_of:
                    req += f" [{check.verdict_of}]"
                if check.declared:
                    req += f" {L['declared']}"
                status = L["confirmed"] if check.verified else L["unconfirmed"]
                origin = f" [{check.origin}]" if check.origin != rs.id else ""
                lines.append(f"  {indicator.id} {indicator.name(lang)} ({check.field}): {req} — {status}{origin}")
                lines.append(f"      {check.citation}" + (f" — {check.url}" if check.url else ""))
                if check.note:
                    lines.append(f"      {check.note(lang)}")
    return "\n".join(lines) + "\n"


SUMMARY_LABELS = {
    "vi": {"title": "Tổng hợp", "communes": "xã", "assessed": "đã đánh giá", "rejected": "không đánh giá được",
           "attained": "đạt chuẩn", "not_attained": "chưa đạt", "missing_data": "chưa đạt chỉ vì thiếu số liệu",
           "average": "bình quân tiêu chí đạt/xã", "brackets": "Số xã theo số tiêu chí đạt",
           "under_10": "Xã dưới 10 tiêu chí", "by_criterion": "Số xã không đạt theo tiêu chí",
           "departments": "Sở, ngành", "registered": "Xã đăng ký đạt chuẩn", "not_found": "không có trong kết quả",
           "districts": "Theo huyện", "none": "không có", "criteria": "tiêu chí",
           "bracket": {"19": "19", "15-18": "15–18", "10-14": "10–14", "5-9": "5–9", "0-4": "dưới 5"}},
    "en": {"title": "Summary", "communes": "communes", "assessed": "assessed", "rejected": "could not be assessed",
           "attained": "attained", "not_attained": "not attained", "missing_data": "not attained only for missing data",
           "average": "average criteria met per commune", "brackets": "Communes by criteria met",
           "under_10": "Communes under 10 criteria", "by_criterion": "Communes failing each criterion",
           "departments": "Departments", "registered": "Registered communes", "not_found": "not among the results",
           "districts": "By district", "none": "none", "criteria": "criteria",
           "bracket": {"19": "19", "15-18": "15–18", "10-14": "10–14", "5-9": "5–9", "0-4": "under 5"}},
}


def summary_text(s, lang: str = "vi") -> str:
    """The provincial summary (ntm_rules.summary.ProvincialSummary) as plain text."""
    L, R = SUMMARY_LABELS[lang], LABELS[lang]
    avg = "—" if s.average_criteria_met is None else one_decimal(s.average_criteria_met, lang)
    title = s.ruleset.title_en if lang == "en" else s.ruleset.title
    lines = [
        f"{R['ruleset']}: {title} ({s.ruleset.id}), {R['year']} {', '.join(map(str, s.years)) or '—'}",
        f"{L['title']}: {s.communes} {L['communes']} — {s.assessed} {L['assessed']}, {s.rejected} {L['rejected']}",
        f"  {L['attained']}: {s.attained}; {L['not_attained']}: {s.not_attained}; {L['missing_data']}: {s.missing_data}",
        f"  {L['average']}: {avg}",
        f"{L['brackets']}: " + "; ".join(f"{L['bracket'][k]}: {v}" for k, v in s.brackets.items()),
        f"{L['under_10']} ({len(s.under_10)}): {', '.join(s.under_10) or L['none']}",
        f"{L['by_criterion']}: " + (", ".join(f"{k}: {v}" for k, v in s.failures_by_criterion.items()) or L["none"]),
        f"{L['departments']}:",
    ]
    for d in s.failures_by_department.values():
        lines.append(f"  {d.name_en if lang == 'en' else d.name}: {L['criteria']} {', '.join(d.criteria)} — {d.communes} {L['communes']}")
    if s.registered:
        lines.append(f"{L['registered']}:")
        for r in s.registered:
            if not r.found:
                lines.append(f"  {r.commune}: {L['not_found']}")
                continue
            verdict = L["attained"] if r.attained else L["not_attained"]
            lines.append(f"  {r.commune}: {verdict} ({r.criteria_met})" + "".join("; " + part for part in (f"{i.id} {R['gap']} {number(i.gap, lang)}" if i.gap is not None
                                     else f"{i.id} {R['missing_short'] if i.status == 'missing' else R['not_met_short']}"
                                     for i in r.indicators)))
    lines.append(f"{L['districts']}:")
    for d in s.districts:
        lines.append(f"  {d.district or '—'}: {d.assessed} {L['assessed']}, {d.attained} {L['attained']}, "
                     f"{L['average']} {one_decimal(d.average_criteria_met, lang)}")
    if s.unconfirmed_thresholds:
        lines.append(R["warning"])
    return "\n".join(lines) + "\n"
