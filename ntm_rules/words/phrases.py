"""How reports say things: labels in Vietnamese and English, numbers in the reader's convention,
and the phrases every report shares (a value with its unit, a requirement, a gap, a legal
basis, a department, how sure a verdict is). Text, HTML, plan and summary all use these, so a
finding is worded the same everywhere.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

LABELS = {
    "vi": {
        "year": "năm", "ruleset": "Bộ tiêu chí", "chosen_because": "chọn vì đây là", "attained": "ĐẠT chuẩn nông thôn mới",
        "not_attained": "CHƯA ĐẠT chuẩn nông thôn mới", "criteria": "tiêu chí",
        "result": "Kết quả", "failing": "Tiêu chí không đạt", "missing": "Chỉ tiêu thiếu số liệu",
        "met_list": "Tiêu chí đạt", "required": "yêu cầu", "short": "còn thiếu", "over": "vượt mức tối đa", "off": "chênh lệch",
        "basis": "Căn cứ", "restated": "theo trang dẫn lại", "no_page": "chưa thấy trang nào nêu ngưỡng này",
        "unconfirmed": "[chưa xác nhận]", "no_data": "không có số liệu",
        "unconfirmed_count": "Số ngưỡng chưa xác nhận đã áp dụng",
        "unconfirmed_met": "Đạt nhưng dựa trên ngưỡng chưa xác nhận",
        "departments": "Sở, ngành chủ trì", "not_met_short": "không đạt", "missing_short": "thiếu số liệu",
        "yes": "Đạt", "no": "Không đạt", "region": "vùng", "group": "nhóm xã", "none": "không có",
        "warning": "Lưu ý: ngưỡng đánh dấu [chưa xác nhận] chưa thấy trang công khai nào nêu; kết quả dựa trên "
                   "chúng không phải là kết luận pháp lý.",
        "legend": "Chú giải: ngưỡng không đánh dấu đã được xác nhận (nêu trên một trang công khai dẫn lại văn bản, "
                  "có địa chỉ); [chưa xác nhận] = được cho là của văn bản nhưng chưa thấy trang nào nêu; "
                  "[phân công chưa xác nhận] = chưa thấy văn bản nêu đơn vị này chủ trì chỉ tiêu.",
        "region_from_province": "suy ra từ tỉnh", "department": "Sở, ngành chủ trì",
        "assignment_unconfirmed": "[phân công chưa xác nhận]",
        "threshold": "Ngưỡng", "indicator": "Chỉ tiêu", "confirmed": "đã xác nhận",
        "declared": "[tự khai báo, công cụ không kiểm tra]", "assessment_year": "năm đánh giá",
        "level": "Cấp", "level_standard": "Chuẩn nông thôn mới", "level_advanced": "Nông thôn mới nâng cao",
        "level_model": "chuẩn xã nông thôn mới kiểu mẫu", "requires_first": "cần đạt {level} trước",
        "attained_short": "ĐẠT", "not_attained_short": "CHƯA ĐẠT", "declared_list": "Yêu cầu do người đánh giá tự khai báo",
        "attained_level": "ĐẠT {level}", "not_attained_level": "CHƯA ĐẠT {level}",
        "certain": "chắc chắn", "uncertain": "phụ thuộc ngưỡng chưa xác nhận",
        "met_count": "đạt {met}/{total} tiêu chí",
        "certain_not_met": "{ids} không đạt theo ngưỡng đã xác nhận",
        "certain_bound": "{ids} không đạt theo giới hạn đã biết của ngưỡng",
        "certain_missing": "thiếu số liệu: {ids} (chưa đủ số liệu để công nhận)",
        "uncertain_declared": "yêu cầu do xã tự khai báo, chưa kiểm tra: {ids}",
        "next": "Việc cần làm tiếp", "next_plan": "Lập kế hoạch khắc phục gửi Văn phòng Điều phối: {command}",
        "next_departments": "Sở, ngành chủ trì và các chỉ tiêu phải xử lý:",
        "note": "Ghi chú của bộ tiêu chí", "standard_level": "chuẩn nông thôn mới",
        "year_value_lower": "mức quy định của năm {year} không cao hơn mức này",
        "plan_file": "ke-hoach.xlsx", "points": "điểm %", "none_left": "không còn ({unit})", "left": "còn {amount}",
        "supply_data": "bổ sung số liệu",
        "indicators_not_met": "chỉ tiêu không đạt", "indicators_missing": "chỉ tiêu thiếu số liệu",
    },
    "en": {
        "year": "year", "ruleset": "Criteria set", "chosen_because": "chosen as", "attained": "ATTAINS the new rural standard",
        "not_attained": "DOES NOT YET ATTAIN the new rural standard", "criteria": "criteria",
        "result": "Result", "failing": "Criteria not met", "missing": "Missing data (could not be assessed)",
        "met_list": "Criteria met", "required": "required", "short": "short by", "over": "over by", "off": "off by",
        "basis": "Basis", "restated": "as restated at", "no_page": "no page seen stating this threshold",
        "unconfirmed": "[unconfirmed]", "no_data": "no data",
        "unconfirmed_count": "Unconfirmed thresholds applied",
        "unconfirmed_met": "Met, but on unconfirmed thresholds",
        "departments": "Lead departments", "not_met_short": "not met", "missing_short": "missing data",
        "yes": "Met", "no": "Not met", "region": "region", "group": "commune group", "none": "none",
        "warning": "Note: thresholds marked [unconfirmed] were not seen on any public page; a verdict resting on "
                   "them is not a legal finding.",
        "legend": "Legend: an unmarked threshold is confirmed (stated on a public page that restates the text, "
                  "address given); [unconfirmed] = believed to be the text's value but not seen on any page; "
                  "[assignment unconfirmed] = no text seen names this body as the lead for the indicator.",
        "region_from_province": "derived from the province", "department": "Lead department",
        "assignment_unconfirmed": "[assignment unconfirmed]",
        "threshold": "Threshold", "indicator": "Indicator", "confirmed": "confirmed",
        "declared": "[declared by the assessor, not checked by the tool]", "assessment_year": "the assessment year",
        "level": "Level", "level_standard": "the new rural standard", "level_advanced": "the advanced new rural standard",
        "level_model": "model new rural commune status", "requires_first": "requires {level} first",
        "attained_short": "ATTAINED", "not_attained_short": "NOT ATTAINED", "declared_list": "Requirements declared by the assessor",
        "attained_level": "ATTAINS {level}", "not_attained_level": "DOES NOT YET ATTAIN {level}",
        "certain": "certain", "uncertain": "depends on unconfirmed thresholds",
        "met_count": "{met} of {total} criteria met",
        "certain_not_met": "{ids} not met on confirmed thresholds",
        "certain_bound": "{ids} not met on the known bound of the threshold",
        "certain_missing": "missing data: {ids} (not enough data to recognise)",
        "uncertain_declared": "requirements declared by the commune, not checked: {ids}",
        "next": "What next", "next_plan": "Write the remediation plan for the coordination office: {command}",
        "next_departments": "Lead departments and the indicators each must act on:",
        "note": "Note of the criteria set", "standard_level": "the new rural standard",
        "year_value_lower": "the real value for {year} is not higher than this one",
        "plan_file": "plan.xlsx", "points": "percentage points", "none_left": "none ({unit})",
        "left": "{amount} remain", "supply_data": "supply the data",
        "indicators_not_met": "indicators not met", "indicators_missing": "indicators without data",
    },
}
OPERATORS = {">=": "≥", "<=": "≤", "==": "="}


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


def average(total: int, count: int) -> float | None:
    """total / count to one decimal, halves rounded up (16.05 → 16.1), as a report writes it."""
    if not count:
        return None
    return float((Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pick(obj, name: str, lang: str):
    """obj.name, or obj.name_en in English (falling back to the Vietnamese when there is none)."""
    if lang == "en":
        value = getattr(obj, f"{name}_en", None)
        if value is not None:
            return value
    return getattr(obj, name)


def unit_of(indicator, lang: str) -> str | None:
    return pick(indicator, "unit", lang)


def with_unit(text: str, unit: str | None) -> str:
    """A number and its unit, kept together: no-break spaces (a line may break only at a slash of
    "triệu đồng/người/năm", never inside a syllable or between the number and its unit)."""
    if not unit:
        return text
    return f"{text}\u00a0%" if unit == "%" else f"{text}\u00a0{unit.replace(' ', chr(0xa0))}"


def gap_unit(result, lang: str, unit: str | None = None) -> str | None:
    """The unit of a gap: a difference of percentages is in percentage points."""
    unit = unit if unit is not None else unit_of(result, lang)
    if unit == "%":
        return LABELS[lang]["points"]
    return unit


def value_text(indicator, lang: str, value=None) -> str:
    L = LABELS[lang]
    value = indicator.value if value is None else value
    if value is None:
        return L["no_data"]
    if isinstance(value, bool):
        return L["yes"] if value else L["no"]
    if isinstance(value, list):
        text = pick(indicator, "value_text", lang)
        return (text if text is not None else ", ".join(value)) or L["none"]
    return with_unit(number(value, lang), unit_of(indicator, lang))


def relative_base(indicator, lang: str) -> str:
    if indicator.relative_to == "assessment_year":
        return LABELS[lang]["assessment_year"]
    label = pick(indicator, "relative_label", lang)
    return label or LABELS[lang]["threshold"].lower()


def requirement(indicator, lang: str) -> str:
    if isinstance(indicator.threshold, bool) or (indicator.threshold is None and not indicator.relative_to):
        return LABELS[lang]["yes"]
    op = OPERATORS[indicator.operator]
    unit = unit_of(indicator, lang)
    if not indicator.relative_to and indicator.operator == "<=" and indicator.threshold == 0:
        return LABELS[lang]["none_left"].format(unit=with_unit("0", unit))  # "không còn (0 căn)"
    if not indicator.relative_to and indicator.operator == ">=" and indicator.threshold == 100 and unit == "%":
        return with_unit("100", unit)
    if indicator.relative_to:
        base = relative_base(indicator, lang)
        formula = base if indicator.factor == 1 else f"{number(indicator.factor, lang)} × {base}"
        if indicator.threshold is None or indicator.relative_to == "assessment_year":
            return f"{op} {formula}"
        return f"{op} {with_unit(number(indicator.threshold, lang), unit)} (= {formula})"
    return f"{op} {with_unit(number(indicator.threshold, lang), unit)}"


def gap_text(result, lang: str, unit: str | None = None) -> str:
    """"còn thiếu 5 triệu đồng/người/năm" below a floor, "vượt 2,6 %" over a ceiling."""
    if result.gap is None:
        return ""
    L = LABELS[lang]
    if result.operator == "<=" and result.threshold == 0 and not getattr(result, "relative_to", None):
        return L["left"].format(amount=with_unit(number(result.gap, lang), unit if unit is not None else unit_of(result, lang)))
    word = {">=": L["short"], "<=": L["over"]}.get(result.operator, L["off"])
    return f"{word} {with_unit(number(result.gap, lang), gap_unit(result, lang, unit))}"


def basis_text(indicator, lang: str) -> str:
    """The legal text and, apart, the public page that restates it (never the page as the law)."""
    L = LABELS[lang]
    citation = pick(indicator, "source", lang)
    if indicator.source_url:
        return f"{citation}; {L['restated']}: {indicator.source_url}"
    return f"{citation}; {L['no_page']}"


def department_text(name: str, verified: bool, lang: str) -> str:
    return name if verified else f"{name} {LABELS[lang]['assignment_unconfirmed']}"


def indicator_department(indicator, lang: str) -> str:
    return department_text(pick(indicator, "department_name", lang), indicator.department_verified, lang)


def flag(indicator, lang: str) -> str:
    """The marks beside a finding: unconfirmed threshold, declared requirement."""
    L = LABELS[lang]
    marks = []
    if not indicator.verified:
        marks.append(L["unconfirmed"])
    if indicator.declared:
        marks.append(L["declared"])
    return (" " + " ".join(marks)) if marks else ""


def level_name(level: str, lang: str) -> str:
    return LABELS[lang].get(f"level_{level}", level)


def certainty_text(assessment, lang: str) -> str:
    """How sure the verdict is, and why: "chắc chắn (9.1 không đạt theo ngưỡng đã xác nhận)" or
    "phụ thuộc ngưỡng chưa xác nhận (10, 11)"."""
    L = LABELS[lang]
    indicators = list(assessment.verdict_indicators())
    if assessment.certain:
        if assessment.attained:
            return L["certain"]
        failing = [i for i in indicators if i.status == "not_met" and i.certain]
        confirmed = [i.id for i in failing if i.verified or i.checks]
        bounded = [i.id for i in failing if not (i.verified or i.checks)]
        missing = [i.id for i in indicators if i.status == "missing"]
        reasons = []
        if confirmed:
            reasons.append(L["certain_not_met"].format(ids=", ".join(confirmed)))
        if bounded:
            reasons.append(L["certain_bound"].format(ids=", ".join(bounded)))
        if missing:
            reasons.append(L["certain_missing"].format(ids=", ".join(missing)))
        return f"{L['certain']} ({'; '.join(reasons)})" if reasons else L["certain"]
    considered = indicators if assessment.attained else [i for i in indicators if i.status != "met"]
    shaky = [i.id for i in considered if not i.certain and not i.declared]
    declared = [i.id for i in considered if not i.certain and i.declared]
    if assessment.levels and "standard" in assessment.levels and not assessment.levels["standard"].certain \
            and assessment.levels["standard"].attained:
        shaky.insert(0, L["standard_level"])
    parts = ([", ".join(shaky)] if shaky else []) + ([L["uncertain_declared"].format(ids=", ".join(declared))]
                                                     if declared else [])
    return f"{L['uncertain']} ({'; '.join(parts)})" if parts else L["uncertain"]


def verdict_text(assessment, lang: str) -> str:
    L = LABELS[lang]
    if assessment.levels:
        own = next((n for n, lv in assessment.levels.items() if lv.ruleset == assessment.ruleset.id), "")
        verdict = (L["attained_level"] if assessment.attained else L["not_attained_level"]).format(
            level=level_name(own, lang))
    else:
        verdict = (f"{L['attained'] if assessment.attained else L['not_attained']} — "
                   + L["met_count"].format(met=assessment.criteria_met, total=assessment.criteria_total))
    return f"{verdict} — {certainty_text(assessment, lang)}"
