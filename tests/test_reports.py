"""Reports an official can sign: how sure each verdict is, who answers, what to do next.

Certainty is decided from the rulesets' own flags (confirmed, bound), read here from the YAML by
the reference helpers, not copied from a run.
"""
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

import ntm_rules
import reference
from conftest import FIXTURES, ROOT, attaining_document
from ntm_rules.inputs.json_text import read_document
from ntm_rules.law.catalogue import known_fields
from ntm_rules.reports.html import assessment_html
from ntm_rules.reports.plan import write_plan
from ntm_rules.reports.text import text_report

RAW = reference.load_raw("vn-2016-2020")
NATIONAL = ntm_rules.load_ruleset("vn-2016-2020")
REGION = "northern_midlands_mountains"


def _indicator(assessment, indicator_id):
    return next(i for i in assessment.indicators() if i.id == indicator_id)


def _with(document, **data):
    changed = json.loads(json.dumps(document))
    changed["data"].update(data)
    return changed


def _strictest(check):
    """The value that meets any threshold the indicator could have."""
    if check["type"] == "bool":
        return True
    if check.get("operator") == "<=":
        return 0
    return 100.0 if check["type"] == "pct" else None


# ------------------------------------------------------------------ certainty, case by case

def test_income_2016_2019_met_is_certain_and_not_met_is_not():
    """The 2020 value applied to 2019 is an upper bound of the year's own (bound: at_most)."""
    base = attaining_document("vn-2016-2020", REGION, 2019)
    threshold = reference.threshold_entry(next(c for _, i, c in reference.all_checks(RAW) if i["id"] == "10"),
                                          REGION, 2019)
    assert threshold["verified"] is False and threshold.get("bound") == "at_most"
    met = _indicator(ntm_rules.assess(_with(base, income_per_capita_million_vnd=threshold["value"])), "10")
    short = _indicator(ntm_rules.assess(_with(base, income_per_capita_million_vnd=threshold["value"] - 0.1)), "10")
    assert (met.status, met.certain) == ("met", True)
    assert (short.status, short.certain) == ("not_met", False)
    # in 2020 the value is confirmed: both sides are certain
    base_2020 = attaining_document("vn-2016-2020", REGION, 2020)
    short_2020 = _indicator(ntm_rules.assess(_with(base_2020, income_per_capita_million_vnd=1.0)), "10")
    assert (short_2020.status, short_2020.certain) == ("not_met", True)


def test_electricity_in_the_northern_mountains_is_bounded_at_most_95():
    check = next(c for _, i, c in reference.all_checks(RAW) if i["id"] == "4.2")
    entry = reference.threshold_entry(check, REGION, 2020)
    assert (entry["value"], entry["verified"], entry.get("bound")) == (95, False, "at_most")
    base = attaining_document("vn-2016-2020", REGION, 2020)
    at = _indicator(ntm_rules.assess(_with(base, households_safe_regular_electricity_pct=95.0)), "4.2")
    below = _indicator(ntm_rules.assess(_with(base, households_safe_regular_electricity_pct=94.9)), "4.2")
    assert (at.status, at.certain, at.bound) == ("met", True, "at_most")
    assert (below.status, below.certain) == ("not_met", False)


@pytest.mark.parametrize("region", ["red_river_delta", "mekong_delta", "southeast"])
def test_every_check_certain_exactly_when_the_law_says_so(region):
    """Per indicator: a just-failing and a just-passing value. Confirmed → certain both ways;
    believed without bound → uncertain both ways, except a met value at the strictest end."""
    base = attaining_document("vn-2016-2020", region, 2020)
    for _, indicator, check in reference.all_checks(RAW):
        if "checks" in indicator:
            continue
        entry = reference.threshold_entry(check, region, 2020)
        field, threshold = check["field"], entry["value"]
        if isinstance(threshold, bool):
            failing, passing = (not threshold), threshold
        elif check["operator"] == ">=":
            failing, passing = threshold - 0.5, threshold
        else:
            failing, passing = threshold + 0.5 if check["type"] != "count" else threshold + 1, threshold
        if check["type"] == "pct" and not (0 <= failing <= 100):
            continue
        for value, status in ((failing, "not_met"), (passing, "met")):
            result = _indicator(ntm_rules.assess(_with(base, **{field: value})), indicator["id"])
            assert result.status == status, (indicator["id"], value)
            strictest = status == "met" and value == _strictest(check)
            bound = entry.get("bound")
            expected = entry["verified"] or strictest or (
                bound is not None and (status == "met") == ((check["operator"] == ">=") == (bound == "at_most")))
            assert result.certain is expected, (indicator["id"], value, entry)


def test_met_at_the_strictest_value_is_certain_on_a_believed_threshold():
    base = attaining_document("vn-2016-2020", REGION, 2020)
    roads = next(c for _, i, c in reference.all_checks(RAW) if i["id"] == "2.2")
    assert reference.threshold_entry(roads, REGION, 2020)["verified"] is False
    full = _indicator(ntm_rules.assess(_with(base, village_roads_hardened_pct=100.0)), "2.2")
    nearly = _indicator(ntm_rules.assess(_with(base, village_roads_hardened_pct=99.0)), "2.2")
    assert (full.status, full.certain) == ("met", True)
    assert (nearly.status, nearly.certain) == ("met", False)
    no_poor = _indicator(ntm_rules.assess(_with(base, multidimensional_poverty_rate_pct=0.0)), "11")
    assert (no_poor.status, no_poor.certain) == ("met", True)


def test_verdict_certainty():
    base = attaining_document("vn-2016-2020", REGION, 2020)
    # every value at the strictest end: attained whatever the believed thresholds are
    strict = _with(base, **{c["field"]: _strictest(c) for _, i, c in reference.all_checks(RAW)
                            if _strictest(c) is not None})
    strict["data"]["income_per_capita_million_vnd"] = 1000.0
    attained = ntm_rules.assess(strict)
    assert attained.attained and attained.certain, [i.id for i in attained.indicators() if not i.certain]
    # a believed threshold failed alone: not attained, uncertain
    poverty = ntm_rules.assess(_with(strict, multidimensional_poverty_rate_pct=50.0))
    assert not poverty.attained and not poverty.certain
    assert "phụ thuộc ngưỡng chưa xác nhận (11)" in text_report(poverty)
    # a confirmed threshold failed: certain, and the verdict line says which
    trained = ntm_rules.assess(_with(strict, trained_workers_pct=1.0, multidimensional_poverty_rate_pct=50.0))
    assert not trained.attained and trained.certain
    assert "CHƯA ĐẠT chuẩn nông thôn mới — đạt 17/19 tiêu chí — chắc chắn (14.3 không đạt theo ngưỡng đã xác nhận)" \
        in text_report(trained)
    # missing data: certainly not attained
    missing = json.loads(json.dumps(strict))
    del missing["data"]["employment_rate_pct"]
    lacking = ntm_rules.assess(missing)
    assert not lacking.attained and lacking.certain
    assert "thiếu số liệu: 12" in text_report(lacking)


def test_model_commune_failing_the_standard_names_the_standards_departments():
    assessment = ntm_rules.assess(read_document(FIXTURES / "model" / "model-fails-standard-2020.json"))
    standard = assessment.levels["standard"]
    failing = {i.department for c in standard.failing_criteria for i in c.indicators if i.status != "met"}
    assert {d.id for d in assessment.departments} == failing
    assert all(d.level == "standard" for d in assessment.departments)
    assert "0" not in [c for d in assessment.departments for c in d.criteria]
    report = text_report(assessment)
    assert "Sở Nông nghiệp và Phát triển nông thôn [phân công chưa xác nhận: sở tương ứng với Bộ Nông nghiệp" in report


# ------------------------------------------------------------------ honest words

def test_criterion_8_assignment_is_confirmed_with_its_address():
    """The law: the ministry that guides criterion 8 is confirmed; the verdict names the province's
    matching department, unconfirmed, with that ministry as its basis."""
    assigned = next(c for c in NATIONAL.criteria if c.id == "8").department
    assert assigned.id == "mic" and assigned.verified
    assert NATIONAL.sources["mic-441"].url == "https://mic.gov.vn/pages/tintuc/printpage.aspx?tintucID=133868"
    resolved = ntm_rules.resolve(NATIONAL, REGION, 2020)
    criterion = next(c for c in resolved.criteria if c.id == "8")
    assert criterion.department.startswith("so-") and not criterion.department_verified
    assert criterion.department_basis == NATIONAL.departments["mic"]


def test_thai_nguyen_outstanding_field_cites_the_provincial_notice_not_691():
    document = read_document(FIXTURES / "model" / "thai-nguyen-model-attains-2020.json")
    document["data"]["outstanding_fields"] = []
    result = _indicator(ntm_rules.assess(document), "5")
    assert result.status == "not_met" and not result.certain
    assert result.source.startswith("Thông báo ngày 16/7/2019 của UBND tỉnh Thái Nguyên")
    assert "691" not in result.source and result.source_url is None
    assert "chưa thấy trang nào nêu ngưỡng này" in text_report(ntm_rules.assess(document))


def test_basis_names_the_decision_and_the_restating_page_apart():
    report = text_report(ntm_rules.assess(read_document(FIXTURES / "phu-thuong-fails-several-2019.json")))
    assert ("Căn cứ: Quyết định 1980/QĐ-TTg, chỉ tiêu 9.1; theo trang dẫn lại: "
            "http://baovinhlong.com.vn/thoi-su/201903/59-xa-dat-tieu-chi-nha-o-dan-cu-2936489/") in report
    assert "vượt mức tối đa 2,6\u00a0điểm\u00a0%" in report and "còn thiếu 5\u00a0triệu\u00a0đồng/người/năm" in report
    assert "yêu cầu không còn (0\u00a0căn); còn 3\u00a0căn" in report  # 9.1: no temporary house may remain
    assert "còn thiếu 2,6" not in report  # a ceiling exceeded is "vượt", never "short by"


def test_ruleset_note_printed_in_every_report_using_the_set(tmp_path):
    path = FIXTURES / "van-lang-thai-nguyen-fails-2019.json"
    assessment = ntm_rules.assess(read_document(path))
    note = ntm_rules.load_ruleset("thai-nguyen-2017-2020").note
    assert note.vi in text_report(assessment) and note.en in text_report(assessment, lang="en")
    assert note.vi in assessment_html(assessment)
    assert note.vi in write_plan(assessment, tmp_path / "plan.html").read_text("utf-8")
    assert note.vi in write_plan(assessment, tmp_path / "plan.csv").read_text("utf-8-sig")
    assert assessment.ruleset.note == note.vi


def _outputs(path: Path, lang: str) -> list[str]:
    assessment = ntm_rules.assess(read_document(path))
    html = re.sub(r"<[^>]+>", " ", assessment_html(assessment, lang=lang))
    html = re.sub(r'href="[^"]*"', "", html)
    return [text_report(assessment, lang=lang, source="x.json"), text_report(assessment, lang=lang, by_department=True),
            html]


SHIPPED = sorted(FIXTURES.glob("*.json")) + sorted((FIXTURES / "model").glob("*.json"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_field_id_in_any_text_output(path, lang):
    fields = [f for f in known_fields() if "_" in f]
    for text in _outputs(path, lang):
        found = [f for f in fields if f in text]
        assert found == [], found


VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_no_vietnamese_words_in_english_outputs(path):
    """Names of places and of legal documents (their numbers: 1980/QĐ-TTg) stay as they are."""
    assessment = ntm_rules.assess(read_document(path))
    names = [n for n in (assessment.commune.name, assessment.commune.district, assessment.commune.province) if n]
    for text in _outputs(path, "en"):
        for name in names:
            text = text.replace(name, "")
        text = re.sub(r"\d+/[\wĐđ\-]+", "", text)  # document numbers such as 69/QĐ-BNN-VPĐP
        text = re.sub(r"https?://\S+", "", text)
        text = text.replace("Thái Nguyên", "").replace("Bắc Kạn", "").replace("Vĩnh Long", "")
        leftover = VIETNAMESE.findall(text)
        assert leftover == [], re.findall(r"\S*" + VIETNAMESE.pattern + r"\S*", text, re.I)[:5]


# ------------------------------------------------------------------ the plan

def test_plan_numbers_units_certainty_and_print_setup(tmp_path):
    assessment = ntm_rules.assess(read_document(FIXTURES / "phu-thuong-fails-several-2019.json"))
    path = write_plan(assessment, tmp_path / "plan.xlsx")
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[3]]
    rows = {r[2].value.split(" ")[0].rstrip("."): r for r in sheet.iter_rows(min_row=4) if isinstance(r[0].value, int)}
    income = rows["10"]
    col = {name: header.index(name) for name in header}
    assert income[col["Hiện trạng"]].value == 31 and isinstance(income[col["Ngưỡng"]].value, (int, float))
    assert income[col["Còn thiếu / vượt"]].value == 5 and income[col["Đơn vị tính"]].value == "triệu đồng/người/năm"
    assert income[col["Kết luận chắc chắn"]].value == "Không" and income[col["Ngưỡng đã xác nhận"]].value == "Không"
    assert "[phân công chưa xác nhận]" in income[col["Sở, ngành chủ trì"]].value
    assert "Xã Phú Thượng" in sheet["A1"].value and "thai-nguyen-2017-2020" in sheet["A2"].value  # its province's set
    assert sheet.print_title_rows == "$3:$3" and sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert all(cell.alignment.wrap_text for cell in sheet[4])
    assert sheet.oddFooter.center.text == "&P / &N" and "Kinh phí, nguồn vốn" in header
    signed = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "NGƯỜI LẬP" in signed and "TM. ỦY BAN NHÂN DÂN XÃ" in signed and "CHỦ TỊCH" in signed  # the pages' block
    assert "(Ký, ghi rõ họ tên)" in signed and "(Ký tên, đóng dấu)" in signed
    assert any(re.fullmatch(r"Phú Thượng, ngày \d\d tháng \d{1,2} năm \d{4}", v) for v in signed)
    assert sheet["A2"].value.startswith("Kính gửi: Văn phòng Điều phối nông thôn mới tỉnh Thái Nguyên. ")
    assert sheet.oddHeader.left.text == "ỦY BAN NHÂN DÂN XÃ PHÚ THƯỢNG"


def test_plan_of_an_attaining_commune_says_there_is_nothing_to_remedy(tmp_path):
    assessment = ntm_rules.assess(read_document(FIXTURES / "tan-cuong-attains-2020.json"))
    sheet = load_workbook(write_plan(assessment, tmp_path / "plan.xlsx")).active
    assert "Không có tiêu chí cần khắc phục" in sheet["A4"].value
    text = write_plan(assessment, tmp_path / "plan.csv").read_text("utf-8-sig")
    assert "Không có tiêu chí cần khắc phục" in text


def test_no_plan_cell_can_become_a_formula(tmp_path):
    tiny = (ROOT / "tests" / "rulesets" / "tiny.yaml").read_text("utf-8")
    hostile = tiny.replace("title: {vi: Bộ nhỏ, en: Tiny set}", 'title: {vi: "=HYPERLINK(\\"http://x\\")", en: "+1"}')
    hostile = hostile.replace("agri: {vi: Sở Nông nghiệp, en: Agriculture}", 'agri: {vi: "-2+3", en: "@SUM(A1)"}')
    hostile = hostile.replace("name: {vi: Thu nhập, en: Income}", 'name: {vi: "=1+1", en: "=1+1"}', 1)
    (tmp_path / "tiny.yaml").write_text(hostile, "utf-8")
    ruleset = ntm_rules.load_ruleset(tmp_path / "tiny.yaml")
    document = {"commune": {"name": "=cmd|' /C calc'!A0"}, "region": "red_river_delta", "year": 2020,
                "data": {"income_per_capita_million_vnd": 10.0, "employment_rate_pct": 50.0}}
    assessment = ntm_rules.assess(document, ruleset=ruleset)
    for lang in ("vi", "en"):
        book = load_workbook(write_plan(assessment, tmp_path / f"plan-{lang}.xlsx", lang=lang))
        cells = [c for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
        risky = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
        assert risky and all(c.data_type == "s" for c in risky)
        assert not any(c.data_type == "f" for row in book.active.iter_rows() for c in row)
        with (write_plan(assessment, tmp_path / f"plan-{lang}.csv", lang=lang)).open(encoding="utf-8-sig") as handle:
            for row in csv.reader(handle, delimiter=";" if lang == "vi" else ","):
                assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_text_report_ends_with_what_next():
    path = FIXTURES / "phu-thuong-fails-several-2019.json"
    done = subprocess.run([sys.executable, "-m", "ntm_rules", str(path)], capture_output=True, text=True, cwd=ROOT)
    report = done.stdout
    assert "Việc cần làm tiếp:" in report
    assert f"ntm-assess {path} --ruleset thai-nguyen-2017-2020 --plan ke-hoach.xlsx" in report
    after = report.split("Việc cần làm tiếp:")[1]
    assert "Sở Lao động – Thương binh và Xã hội [phân công chưa xác nhận]:" in after
    assert "- 11 Tỷ lệ hộ nghèo đa chiều giai đoạn 2016–2020 (vượt mức tối đa 2,6\u00a0điểm\u00a0%)" in after
    attained = subprocess.run([sys.executable, "-m", "ntm_rules", str(FIXTURES / "tan-cuong-attains-2020.json")],
                              capture_output=True, text=True, cwd=ROOT)
    assert "Việc cần làm tiếp" not in attained.stdout


def test_summary_splits_certain_and_uncertain(tmp_path):
    """Thái Nguyên 2019 batch (hand count in test_batch.DESIGN): the three attaining communes meet
    believed thresholds with values short of the strictest end, so none is certainly attained; of
    the six not attained, Xã Quyết Thắng fails only income (2019: unconfirmed, bounded at most),
    so five are certain."""
    from ntm_rules.batch import run_batch
    from ntm_rules.inputs.registered import read_registered

    summary = run_batch([FIXTURES / "batches" / "thai-nguyen-2019.csv"], tmp_path, jobs=1,
                        registered=read_registered(FIXTURES / "batches" / "thai-nguyen-2019-registered.txt")).summary
    assert (summary.attained, summary.attained_certain) == (3, 0)
    assert (summary.not_attained, summary.not_attained_certain) == (6, 5)
    registered = {r.commune: r for r in summary.registered}
    assert registered["Xã Quyết Thắng"].certain is False and registered["Xã Hóa Thượng"].certain is True
    assert all(not d.verified for d in summary.failures_by_department.values())


def test_one_catalogue_per_language_with_the_same_keys():
    """Every word the reports print comes from words/catalogue.py: both languages have every key,
    and every {field} of a text is in its translation."""
    from string import Formatter

    from ntm_rules.words.catalogue import EN, VI

    assert VI.keys() == EN.keys()
    for key, text in VI.items():
        if isinstance(text, str):
            fields = {name for _, name, _, _ in Formatter().parse(text) if name}
            assert fields == {name for _, name, _, _ in Formatter().parse(EN[key]) if name}, key


# ------------------------------------------------------------------ the printed page's head and foot (reports/office.py)
# (the pages in the browser: tests/test_printed.py)

COMMAND = re.compile(r"ntm-assess|ntm_rules\.|write_plan|run_batch|(?<![\w-])--[a-z]")


def _paper(html: str) -> str:
    """What a page prints: its text, without its style."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|title)>.*?</\1>", "", html, flags=re.S))


def test_the_place_and_date_line_as_official_documents_write_it():
    from datetime import date

    from ntm_rules.reports.office import office_head, place_date

    assert place_date("Thái Nguyên", date(2019, 7, 5), "vi") == "Thái Nguyên, ngày 05 tháng 7 năm 2019"
    assert place_date("Thái Nguyên", date(2019, 2, 16), "vi") == "Thái Nguyên, ngày 16 tháng 02 năm 2019"
    assert place_date("Thái Nguyên", date(2019, 11, 9), "vi") == "Thái Nguyên, ngày 09 tháng 11 năm 2019"
    assert place_date(None, date(2019, 7, 16), "en") == "……………, 16 July 2019"
    city = office_head(["Hà Nội"], "vi", date(2019, 7, 16), 2019)
    assert city.province == "thành phố Hà Nội" and city.office == "Văn phòng Điều phối nông thôn mới thành phố Hà Nội"
    assert city.body == ("VĂN PHÒNG ĐIỀU PHỐI", "NÔNG THÔN MỚI THÀNH PHỐ HÀ NỘI")
    assert city.place_date.startswith("Hà Nội, ngày 16 tháng 7")
    unknown = office_head([None, ""], "vi", date(2019, 7, 16))
    assert unknown.province == "không ghi tỉnh" and unknown.office.endswith("tỉnh ……………")
    assert "None" not in " ".join((*unknown.body, unknown.province, unknown.office, unknown.place_date))


def test_an_office_the_caller_names_signs_in_its_own_name():
    """The progress report (or any page) may name its reporting office: letterhead and "Kính gửi" say it."""
    from datetime import date

    from ntm_rules.reports.office import commune_head, office_head

    named = office_head(["Thái Nguyên"], "vi", date(2019, 7, 16), 2019,
                        office=" Sở Nông nghiệp và Phát triển nông thôn\ntỉnh Thái Nguyên")
    assert named.office == "Sở Nông nghiệp và Phát triển nông thôn tỉnh Thái Nguyên"
    assert named.body == ("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "TỈNH THÁI NGUYÊN")
    assert named.province == "tỉnh Thái Nguyên"
    plan = commune_head("Xã Phú Thượng", "Thái Nguyên", "vi", date(2019, 7, 16), 2019, office="Ban Chỉ đạo tỉnh")
    assert plan.to == "Kính gửi: Ban Chỉ đạo tỉnh" and plan.body == ("ỦY BAN NHÂN DÂN XÃ PHÚ THƯỢNG",)
    assert office_head(["Thái Nguyên"], "vi", date(2019, 7, 16), office="  ").office.startswith("Văn phòng Điều phối")
    page = assessment_html(ntm_rules.assess(read_document(FIXTURES / "phu-thuong-fails-several-2019.json")),
                           office="Ban Chỉ đạo các chương trình mục tiêu quốc gia tỉnh Thái Nguyên")
    assert "<div>BAN CHỈ ĐẠO CÁC CHƯƠNG TRÌNH MỤC TIÊU QUỐC GIA</div><div>TỈNH THÁI NGUYÊN</div>" in page and "gửi Ban Chỉ đạo các chương trình mục tiêu quốc gia tỉnh" in page


def test_one_signature_block_for_every_page(tmp_path):
    """The commune's page, the summary and the plan draw the same block, the one printed_parts gives."""
    from datetime import date

    from ntm_rules.batch import run_batch
    from ntm_rules.reports.office import commune_head, office_head, printed_parts

    assessment = ntm_rules.assess(read_document(FIXTURES / "phu-thuong-fails-several-2019.json"))
    office = printed_parts(office_head(["Thái Nguyên"], "vi", date.today(), 2019), "vi")
    assert "NGƯỜI LẬP BIỂU" in office.signatures and "THỦ TRƯỞNG CƠ QUAN" in office.signatures
    assert "(Ký, ghi rõ họ tên)" in office.signatures and 'class="sign-space"' in office.signatures
    assert "counter(page)" in office.style and "counter(pages)" in office.style
    page = assessment_html(assessment)
    run_batch([FIXTURES / "batches" / "thai-nguyen-2019.csv"], tmp_path / "out", jobs=1)
    summary = (tmp_path / "out" / "summary.html").read_text("utf-8")
    for html in (page, summary):
        assert office.signatures in html and office.head in html and office.style in html
    plan = write_plan(assessment, tmp_path / "plan.html").read_text("utf-8")
    signed = printed_parts(commune_head("Xã Phú Thượng", "Thái Nguyên", "vi", date.today(), 2019), "vi")
    assert signed.signatures in plan and "TM. ỦY BAN NHÂN DÂN XÃ" in plan and "CHỦ TỊCH" in plan


def test_the_province_names_every_title(tmp_path):
    assessment = ntm_rules.assess(read_document(FIXTURES / "phu-thuong-fails-several-2019.json"))
    page = assessment_html(assessment)
    assert re.search(r"<title>[^<]*tỉnh Thái Nguyên</title>", page)
    assert "VĂN PHÒNG ĐIỀU PHỐI" in page and "NÔNG THÔN MỚI TỈNH THÁI NGUYÊN" in page
    plan_title = "Kế hoạch hoàn thành các tiêu chí chưa đạt — Xã Phú Thượng, Huyện Võ Nhai, tỉnh Thái Nguyên, năm 2019"
    assert f"<title>{plan_title}</title>" in write_plan(assessment, tmp_path / "plan.html").read_text("utf-8")
    assert load_workbook(write_plan(assessment, tmp_path / "plan.xlsx")).active["A1"].value == plan_title
    assert plan_title in write_plan(assessment, tmp_path / "plan.csv").read_text("utf-8-sig")
    english = write_plan(assessment, tmp_path / "plan-en.html", lang="en").read_text("utf-8")
    assert "Xã Phú Thượng, Huyện Võ Nhai, Thái Nguyên province, 2019</title>" in english


def test_no_command_line_on_the_commune_page():
    """The next steps said in words, to the province's office: the command stays in the terminal's report."""
    path = FIXTURES / "phu-thuong-fails-several-2019.json"
    for lang in ("vi", "en"):
        page = assessment_html(ntm_rules.assess(read_document(path)), lang=lang, source=str(path))
        assert not COMMAND.search(_paper(page)), COMMAND.search(_paper(page))
    assert "Write the remediation plan (on ntm-rules' plan template) for the New Rural Area Coordination Office " \
           "of Thái Nguyên province" in page.replace("&#39;", "'")
    vi = assessment_html(ntm_rules.assess(read_document(path)), source=str(path))
    assert "Lập kế hoạch khắc phục (theo mẫu kế hoạch của ntm-rules) gửi Văn phòng Điều phối nông thôn mới tỉnh " \
           "Thái Nguyên" in vi


def test_the_pages_never_allow_a_break_inside_a_syllable(tmp_path):
    """No style that breaks a word anywhere (the browser's own check: tests/test_printed.py)."""
    assessment = ntm_rules.assess(read_document(FIXTURES / "phu-thuong-fails-several-2019.json"))
    pages = [assessment_html(assessment), write_plan(assessment, tmp_path / "plan.html").read_text("utf-8")]
    for html in pages:
        style = re.sub(r"/\*.*?\*/", "", " ".join(re.findall(r"<style>(.*?)</style>", html, flags=re.S)), flags=re.S)
        assert not re.search(r"break-all|break-word|hyphens:\s*auto", style)
        for selector, rule in re.findall(r"([^{}]*)\{([^{}]*)\}", style):  # anywhere: web addresses only
            assert "anywhere" not in rule or re.fullmatch(r".*(\ba|\.url)", selector.strip()), selector
    assert "31\u00a0triệu đồng/<wbr>người/<wbr>năm" in pages[0]  # a number kept with its unit


def test_a_batch_of_several_provinces_or_none_is_said_so(tmp_path):
    from ntm_rules.batch import run_batch
    from ntm_rules.reports.html import summary_html

    result = run_batch([FIXTURES / "batches" / "thai-nguyen-2019.csv"], tmp_path / "one", jobs=1)
    several = result.summary.model_copy(update={"provinces": ["Tỉnh Thái Nguyên", "Tỉnh Bắc Kạn"]})
    html = summary_html(several)
    assert "2 tỉnh: Thái Nguyên, Bắc Kạn" in html and "None" not in html
    assert "NÔNG THÔN MỚI TỈNH ……" in html  # no one office: its province left for the hand
    nowhere = summary_html(result.summary.model_copy(update={"provinces": []}), lang="en")
    assert "province not given" in nowhere and "None" not in nowhere
    named = summary_html(several, office="Sở Nông nghiệp và Môi trường tỉnh Thái Nguyên")
    assert "<div>SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG</div><div>TỈNH THÁI NGUYÊN</div>" in named
    assert "NÔNG THÔN MỚI TỈNH ……" not in named  # the office named: nothing left blank but the place


def test_a_command_in_a_rejected_row_is_said_in_words_on_paper(tmp_path):
    """A row's fix names a command (the CLI's words for it): the printed summary says it in words."""
    import subprocess
    import sys

    from conftest import ROOT

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"commune": {"name": "Xã Tân Cương", "province": "Thái Nguyên"}, "year": 2019,
                                  "data": {}, "colour": "x"}, ensure_ascii=False) + "\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "ntm_rules", "batch", str(source), "--out", str(tmp_path / "out"),
                           "--ruleset", "vn-2016-2020"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "ntm-assess schema input" in (tmp_path / "out" / "rejected.jsonl").read_text("utf-8"), done.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))["ruleset_reason"] == "chọn bằng --ruleset"
    page = (tmp_path / "out" / "summary.html").read_text("utf-8")
    assert "bỏ khóa này (xem hướng dẫn sử dụng ntm-rules)" in page
    assert "— chọn bằng tham số ruleset</p>" in page  # the option the command line was given, in words
    assert not COMMAND.search(re.sub(r"<style>.*?</style>", "", page, flags=re.S))


def test_after_the_warm_up_the_summary_page_compiles_nothing(tmp_path, monkeypatch):
    """A batch compiles the summary page while its workers assess (`html.warm_up`): the page and
    every template it imports or includes, so that nothing is compiled at the batch's end."""
    from ntm_rules.batch import run_batch
    from ntm_rules.reports import html
    from ntm_rules.reports.appendix import Appendix
    from ntm_rules.reports.templating import environment

    result = run_batch([FIXTURES / "batches" / "thai-nguyen-2019.csv"], tmp_path / "out", jobs=1)
    env = environment()
    env.cache.clear()
    html.warm_up()
    compile_ = env.compile
    compiled = []
    monkeypatch.setattr(env, "compile", lambda *a, **k: compiled.append(a[1:3]) or compile_(*a, **k))
    assert "<html" in html.summary_html(result.summary, communes=Appendix("vi"))
    assert compiled == []
    # and the language's number formats are read: in a new process, none is read at the end
    (tmp_path / "summary.json").write_text(result.summary.model_dump_json(), "utf-8")
    script = f"""
import babel.localedata
from ntm_rules.reports import html
from ntm_rules.reports.appendix import Appendix
from ntm_rules.reports.summary import ProvincialSummary
summary = ProvincialSummary.model_validate_json(open({str(tmp_path / "summary.json")!r}, encoding="utf-8").read())
for lang in ("vi", "en"):
    html.warm_up(lang)
babel.localedata.load = lambda *a, **k: (_ for _ in ()).throw(AssertionError("locale data read at the end"))
for lang in ("vi", "en"):
    assert "<html" in html.summary_html(summary, lang=lang, communes=Appendix(lang))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
