"""The draft of a period whose table could not be read (``draft``): its criteria, named as the
reference restates them, its columns (7 regions, or 3 commune groups), the values a public page
confirms (``_confirmed``), and nothing else: every other value is left for the office."""
from __future__ import annotations

from ...errors import InputError, Say
from ..periods import CONFIRMED, PERIODS
from ..schema import Ruleset

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
