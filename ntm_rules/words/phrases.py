"""How reports say things, in the words of `catalogue.py`: numbers and dates in the reader's
convention, and the phrases every report shares (a value with its unit, a requirement, a gap, a
legal basis, a department, how sure a verdict is). Text, HTML, plan and summary all use these, so
a finding is worded the same everywhere.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

from .catalogue import WORDS

OPERATORS = {">=": "≥", "<=": "≤", "==": "="}


def cap(text: str) -> str:
    """The text as a heading or a cell starts it: its first letter upper-case ("đạt chuẩn" → "Đạt chuẩn")."""
    return text[:1].upper() + text[1:]


def low(text: str) -> str:
    """The text inside a sentence: its first letter lower-case ("Chuẩn nông thôn mới" → "chuẩn …")."""
    return text[:1].lower() + text[1:]


def met_text(value: bool, lang: str) -> str:
    """A yes/no requirement's value or status: "Đạt" / "Không đạt"."""
    return cap(WORDS[lang]["met" if value else "not_met"])


def shown_date(day: date | str, lang: str) -> str:
    """A date as the reader writes it: 30/07/2019 in Vietnamese, 2019-07-30 in English."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()


def number(value, lang: str = "vi") -> str:
    """A number in the reader's convention: "16,1" in Vietnamese, "16.1" in English."""
    if isinstance(value, bool):
        return met_text(value, lang)
    if isinstance(value, list):
        return ", ".join(value) if value else WORDS[lang]["none"]
    if isinstance(value, (int, float)) and not -1e15 < value < 1e15:
        # (babel cannot write a number from about 1e25 up; no commune's figure is this large: it is
        # said the way it was most likely typed, "1e+25", with the reader's decimal mark)
        text = f"{float(value):.6g}" if -1e308 < value < 1e308 else f"{Decimal(value):.6e}"
        return text.replace(".", ",") if lang == "vi" else text
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
        return WORDS[lang]["points"]
    return unit


def value_text(indicator, lang: str, value=None) -> str:
    L = WORDS[lang]
    value = indicator.value if value is None else value
    if value is None:
        return L["no_data"]
    if isinstance(value, bool):
        return met_text(value, lang)
    if isinstance(value, list):
        text = pick(indicator, "value_text", lang)
        return (text if text is not None else ", ".join(value)) or L["none"]
    return with_unit(number(value, lang), unit_of(indicator, lang))


def part_value(indicator, part, lang: str) -> str:
    """One number of an indicator of several (17.1): its value, in the indicator's unit."""
    return value_text(indicator, lang, part.value) if part.value is not None else WORDS[lang]["no_data"]


def part_requirement(indicator, part, lang: str) -> str:
    """What one number of an indicator of several must be: "≥ 90 %"."""
    return f"{OPERATORS[part.operator]} {with_unit(number(part.threshold, lang), unit_of(indicator, lang))}"


def relative_formula(factor, relative_to: str, label: str | None, lang: str) -> str:
    """A threshold relative to another field: "1,5 × thu nhập năm được công nhận", "năm đánh giá"."""
    if relative_to == "assessment_year":
        base = WORDS[lang]["assessment_year"]
    else:
        base = label or WORDS[lang]["threshold"].lower()
    return base if factor == 1 else f"{number(factor, lang)} × {base}"


def requirement(indicator, lang: str) -> str:
    if isinstance(indicator.threshold, bool) or (indicator.threshold is None and not indicator.relative_to):
        return met_text(True, lang)
    op = OPERATORS[indicator.operator]
    unit = unit_of(indicator, lang)
    if not indicator.relative_to and indicator.operator == "<=" and indicator.threshold == 0:
        return WORDS[lang]["none_left"].format(unit=with_unit("0", unit))  # "không còn (0 căn)"
    if not indicator.relative_to and indicator.operator == ">=" and indicator.threshold == 100 and unit == "%":
        return with_unit("100", unit)
    if indicator.relative_to:
        formula = relative_formula(indicator.factor, indicator.relative_to, pick(indicator, "relative_label", lang), lang)
        if indicator.threshold is None or indicator.relative_to == "assessment_year":
            return f"{op} {formula}"
        return f"{op} {with_unit(number(indicator.threshold, lang), unit)} (= {formula})"
    return f"{op} {with_unit(number(indicator.threshold, lang), unit)}"


def gap_text(result, lang: str, unit: str | None = None) -> str:
    """"còn thiếu 5 triệu đồng/người/năm" below a floor, "vượt 2,6 %" over a ceiling."""
    if result.gap is None:
        return ""
    L = WORDS[lang]
    if result.operator == "<=" and result.threshold == 0 and not getattr(result, "relative_to", None):
        return L["left"].format(amount=with_unit(number(result.gap, lang), unit if unit is not None else unit_of(result, lang)))
    word = {">=": L["short"], "<=": L["over"]}.get(result.operator, L["off"])
    return f"{word} {with_unit(number(result.gap, lang), gap_unit(result, lang, unit))}"


def basis_text(indicator, lang: str) -> str:
    """The legal text and, apart, the public page that restates it (never the page as the law)."""
    L = WORDS[lang]
    citation = pick(indicator, "source", lang)
    if indicator.source_url:
        return f"{citation}; {L['restated']}: {indicator.source_url}"
    return f"{citation}; {L['no_page']}"


def department_text(name: str, verified: bool, lang: str, basis: str | None = None) -> str:
    """A department as the reports name it: flagged when unconfirmed; a province's department named
    for the ministry that guides the criterion says so (`basis`: that ministry)."""
    if basis:
        return f"{name} {WORDS[lang]['assignment_by_ministry'].format(ministry=basis)}"
    return name if verified else f"{name} {WORDS[lang]['assignment_unconfirmed']}"


def indicator_department(indicator, lang: str) -> str:
    """An indicator's (or criterion's) department, flagged, with its basis."""
    return department_text(pick(indicator, "department_name", lang), indicator.department_verified, lang,
                           getattr(indicator, "department_basis_en" if lang == "en" else "department_basis", None))


def flag(indicator, lang: str) -> str:
    """The marks beside a finding: unconfirmed threshold, declared requirement."""
    L = WORDS[lang]
    marks = []
    if not indicator.verified:
        marks.append(f"[{L['unconfirmed']}]")
    if indicator.declared:
        marks.append(L["declared"])
    return (" " + " ".join(marks)) if marks else ""


def level_name(level: str, lang: str) -> str:
    return WORDS[lang].get(f"level_{level}", level)


def certainty_text(assessment, lang: str) -> str:
    """How sure the verdict is, and why: "chắc chắn (9.1 không đạt theo ngưỡng đã xác nhận)" or
    "phụ thuộc ngưỡng chưa xác nhận (10, 11)"."""
    L = WORDS[lang]
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
        shaky.insert(0, low(level_name("standard", lang)))
    parts = ([", ".join(shaky)] if shaky else []) + ([L["uncertain_declared"].format(ids=", ".join(declared))]
                                                     if declared else [])
    return f"{L['uncertain']} ({'; '.join(parts)})" if parts else L["uncertain"]


def verdict_text(assessment, lang: str) -> str:
    L = WORDS[lang]
    if assessment.levels:
        own = next((n for n, lv in assessment.levels.items() if lv.ruleset == assessment.ruleset.id), "")
        verdict = (L["attained_level"] if assessment.attained else L["not_attained_level"]).format(
            level=level_name(own, lang))
    else:
        verdict = (f"{L['verdict_attained'] if assessment.attained else L['verdict_not_attained']} — "
                   + L["met_count"].format(met=assessment.criteria_met, total=assessment.criteria_total))
    return f"{verdict} — {certainty_text(assessment, lang)}"
