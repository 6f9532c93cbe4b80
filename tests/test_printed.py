"""The pages an office signs, printed by the real browser (Debian's chromium, driven through its
chromedriver): the commune's page, the provincial summary and the remediation plan carry the
province and its office in the title, the date, the signature block, page numbers, no command
line, and no word broken inside a syllable; a province's summary of ~100 communes prints on at
most three A4 pages before its appendix.

How it is checked: each page is laid out as print lays it out (print media, the page's own width:
the body is as wide as the A4 page's printable area), then a small script walks every text node
and asks the browser, with `Range.getClientRects()`, whether any syllable (a run of letters and
digits) lies on more than one line, and whether any table cell's text overflows it; then the page
is printed to PDF by the same browser (`Page.printToPDF`, as `--print-to-pdf`) and its pages read
back with pypdf. Without chromium these tests skip, unless NTM_REQUIRE_BROWSER=1 (set by .ci/run).
"""
from __future__ import annotations

import base64
import io
import json
import random
import re

import pytest

from conftest import FIXTURES, chrome, need_browser, random_document
from ntm_rules import assess, places
from ntm_rules.batch import run_batch
from ntm_rules.inputs.json_text import read_document
from ntm_rules.reports.html import assessment_html
from ntm_rules.reports.plan import write_plan

need_browser()

from pypdf import PdfReader  # noqa: E402

MM = 96 / 25.4  # CSS pixels per millimetre
PORTRAIT, LANDSCAPE = 188 * MM, 277 * MM  # the printable width of the pages (A4 less their margins)

# every syllable (letters and digits, with the marks of Vietnamese, and a number's inner , or .) on
# one line, and a number on the line of its unit ("31 triệu", "2,6 điểm", "14,6 %"); every table cell
# holding its text. Links (web addresses) are not words: left out.
SPLIT_CHECK = r"""
const found = [], overflowing = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const syllable = /[\p{L}\p{M}\p{N}]+(?:[.,][\p{L}\p{M}\p{N}]+)*/gu;
const withUnit = /\p{N}+(?:[.,]\p{N}+)*[ \u00a0](?:%|triệu|tỷ|nghìn|căn|km|ha|điểm|million|billion|points?)(?![\p{L}\p{M}])/gu;
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (!parent || parent.closest('a, .url, svg, style, script, title')) continue;
  for (const match of node.data.matchAll(syllable)) {
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const rects = [...range.getClientRects()].filter(r => r.width > 0.5);
    const lines = rects.filter(r => r.top >= rects[0].bottom - 1 || r.bottom <= rects[0].top + 1);
    if (lines.length) found.push(match[0] + '  ⟨' + node.data.trim().slice(0, 80) + '⟩');
  }
  for (const match of node.data.matchAll(withUnit)) {
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const rects = [...range.getClientRects()].filter(r => r.width > 0.5);
    if (rects.some(r => r.top >= rects[0].bottom - 1)) found.push('unit: ' + match[0]);
  }
}
for (const cell of document.querySelectorAll('td, th')) {
  if (cell.scrollWidth > cell.clientWidth + 1) overflowing.push(cell.textContent.trim().slice(0, 80));
}
return JSON.stringify({split: found, overflowing: overflowing, title: document.title,
                       text: document.body.innerText});
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chrome(tmp_path_factory.mktemp("printed") / "profile")
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class Printed:
    def __init__(self, checked: dict, pdf: bytes):
        self.split, self.overflowing = checked["split"], checked["overflowing"]
        self.title, self.text = checked["title"], checked["text"]
        self.pages = [page.extract_text(extraction_mode="layout") for page in PdfReader(io.BytesIO(pdf)).pages]
        self.boxes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(io.BytesIO(pdf)).pages]


def printed(driver, page, width: float = PORTRAIT) -> Printed:
    """The page laid out for print at its printable width and checked, then printed to PDF."""
    driver.get(page.as_uri())
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    # wider than the printable area: the body's own max-width (the printable width) decides its lines
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": int(width) + 200, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    checked = json.loads(driver.execute_script(SPLIT_CHECK))
    body = driver.execute_script("return document.body.getBoundingClientRect().width")
    assert abs(body - width) < 1, (body, width)  # laid out exactly as wide as on paper
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True,
                                                     "displayHeaderFooter": False})
    return Printed(checked, base64.b64decode(pdf["data"]))


COMMAND = re.compile(r"ntm-assess|ntm_rules\.|write_plan|run_batch|(?<![\w-])--[a-z]")


def signable(p: Printed, province: str, lang: str = "vi"):
    """What every page an office signs shows: its province in the title, the signature block, a
    number on every page, no command line, no syllable broken, no cell overflowing."""
    words = {"vi": ("Văn phòng Điều phối nông thôn mới", "ngày", "(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)", "Trang"),
             "en": ("Coordination Office", "", "(signature and full name)", "(signature and seal)", "Page")}[lang]
    assert province in p.title
    assert p.split == [], p.split[:10]
    assert p.overflowing == [], p.overflowing[:10]
    assert not COMMAND.search(p.text), COMMAND.search(p.text)
    whole = "\n".join(p.pages)
    assert not COMMAND.search(whole)
    assert words[2] in whole and words[3] in whole  # the signature block, on paper
    for number, page in enumerate(p.pages, start=1):
        expected = f"Trang {number}/{len(p.pages)}" if lang == "vi" else f"Page {number} of {len(p.pages)}"
        assert expected in page, (number, page[-300:])
    return whole


def test_the_split_check_sees_a_syllable_broken_and_a_cell_overflowing(browser, tmp_path):
    """The check can fail: "đồ|ng" broken by overflow-wrap in a narrow column, and a cell too narrow."""
    page = tmp_path / "broken.html"
    page.write_text('<!doctype html><html lang="vi"><meta charset="utf-8"><title>x</title><body style="max-width:188mm;'
                    'margin:0 auto"><table style="table-layout:fixed;width:60mm"><tr>'
                    '<td style="width:14mm;overflow-wrap:break-word">31,2\u00a0triệu\u00a0đồng/người/năm</td>'
                    '<td style="width:10mm">nghiệp\u00a0vụ</td><td style="width:12mm">còn 31,2 triệu</td>'
                    '<td>x</td></tr></table></body></html>', "utf-8")
    p = printed(browser, page)
    assert any(s.startswith(("đồng", "triệu", "người")) for s in p.split), p.split
    assert "unit: 31,2 triệu" in p.split, p.split  # a number parted from its unit
    assert any("nghiệp" in cell for cell in p.overflowing), p.overflowing


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_commune_page_is_signable(browser, tmp_path, lang):
    path = FIXTURES / "phu-thuong-fails-several-2019.json"
    page = tmp_path / f"commune-{lang}.html"
    page.write_text(assessment_html(assess(read_document(path)), lang=lang, source=str(path)), "utf-8")
    p = printed(browser, page)
    whole = signable(p, "tỉnh Thái Nguyên" if lang == "vi" else "Thái Nguyên province", lang)
    if lang == "vi":
        assert "VĂN PHÒNG ĐIỀU PHỐI" in whole and "NÔNG THÔN MỚI TỈNH THÁI NGUYÊN" in whole
        assert "NGƯỜI LẬP BIỂU" in whole and "THỦ TRƯỞNG CƠ QUAN" in whole
        assert re.search(r"Thái Nguyên, ngày \d\d tháng \d{1,2} năm \d{4}", whole)
        assert "gửi Văn phòng Điều phối nông thôn mới tỉnh Thái Nguyên" in p.text  # the next step, in words
        assert "31 triệu đồng/người/năm" in re.sub(r"\s+", " ", p.text.replace("\u00a0", " "))
    assert len(p.pages) <= 3 and all(abs(w - 595) < 1 and abs(h - 842) < 1 for w, h in p.boxes)


def test_a_commune_page_without_its_province_says_so(browser, tmp_path):
    document = read_document(FIXTURES / "hoa-thuong-fails-three-2019.json")
    document["commune"].pop("province", None)
    document["region"] = "northern_midlands_mountains"
    html = assessment_html(assess(document))
    assert "None" not in html
    page = tmp_path / "no-province.html"
    page.write_text(html, "utf-8")
    p = printed(browser, page)
    assert p.split == [] and "không ghi tỉnh" in p.title
    assert "Văn phòng Điều phối nông thôn mới tỉnh ……" in p.text  # the office left for the hand to fill in
    assert re.search(r"…+, ngày \d\d tháng \d{1,2} năm \d{4}", p.text)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_plan_page_is_signable(browser, tmp_path, lang):
    assessment = assess(read_document(FIXTURES / "phu-thuong-fails-several-2019.json"))
    page = write_plan(assessment, tmp_path / f"plan-{lang}.html", lang=lang)
    p = printed(browser, page, LANDSCAPE)
    whole = signable(p, "Thái Nguyên", lang)
    if lang == "vi":
        assert "ỦY BAN NHÂN DÂN XÃ PHÚ THƯỢNG" in whole and "Kính gửi: Văn phòng Điều phối nông thôn mới tỉnh Thái Nguyên" in whole
        assert "NGƯỜI LẬP" in whole and "TM. ỦY BAN NHÂN DÂN XÃ" in whole and "CHỦ TỊCH" in whole
        assert re.search(r"Phú Thượng, ngày \d\d tháng \d{1,2} năm \d{4}", whole)
    assert all(abs(w - 842) < 1 and abs(h - 595) < 1 for w, h in p.boxes)  # A4 landscape
    assert len(p.pages) <= 3


# ------------------------------------------------------------------ a province of ~100 communes

def province_batch(tmp, communes: int = 100, registered: int = 25, lang: str = "vi"):
    """A batch of `communes` real communes of Thái Nguyên (names and districts from the directory of
    administrative units), their figures near the thresholds as `conftest.random_document` makes
    them, some far below (the province's "xã dưới 10 tiêu chí"), and `registered` of them registered."""
    import reference

    rng = random.Random(28)
    raw = reference.load_raw("vn-2016-2020")
    directory = places.directory_of(places.OLD)
    province = directory.province("Thái Nguyên")
    units = sorted((u for u in directory.communes.values() if u.province == province.code and u.kind == "commune"),
                   key=lambda u: u.code)[:communes]
    assert len(units) == communes
    lines = []
    for unit in units:
        document = random_document(rng, raw, "northern_midlands_mountains", 2019,
                                   p_fail=rng.choice([0.03, 0.05, 0.08, 0.12, 0.35]))
        document["commune"] = {"name": unit.name, "district": directory.districts[unit.district].name,
                               "province": "Thái Nguyên", "code": unit.code}
        lines.append(json.dumps(document, ensure_ascii=False))
    source = tmp / "thai-nguyen.jsonl"
    source.write_text("\n".join(lines) + "\n", "utf-8")
    wanted = [{"name": u.name, "district": directory.districts[u.district].name} for u in rng.sample(units, registered)]
    result = run_batch([source], tmp / "out", ruleset="vn-2016-2020", registered=wanted, jobs=1, lang=lang)
    return result


@pytest.fixture(scope="module")
def province_summary(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("province")
    result = province_batch(tmp)
    return result, tmp / "out" / "summary.html"


def test_a_province_summary_prints_on_three_pages_and_its_appendix(browser, province_summary):
    result, page = province_summary
    summary = result.summary
    assert summary.assessed == 100 and summary.provinces == ["Tỉnh Thái Nguyên"]
    assert len(summary.registered) == 25 and summary.under_low_mark  # some communes far below
    p = printed(browser, page)
    whole = signable(p, "tỉnh Thái Nguyên")
    assert "NGƯỜI LẬP BIỂU" in whole and "THỦ TRƯỞNG CƠ QUAN" in whole and "NÔNG THÔN MỚI TỈNH THÁI NGUYÊN" in whole
    appendix = next(i for i, text in enumerate(p.pages) if "Phụ lục: danh sách xã và kết quả đánh giá" in text
                    and "STT" in text)
    assert 1 <= appendix <= 3, [len(t) for t in p.pages]  # the report itself: at most three pages
    assert p.pages[appendix].split()[:3] == ["Phụ", "lục:", "danh"]  # the appendix begins a page of its own
    body = "\n".join(p.pages[:appendix])
    assert "NGƯỜI LẬP BIỂU" in body  # signed before the appendix
    listed = re.sub(r"\s+", " ", "\n".join(p.pages[appendix:]))
    dom = re.sub(r"\s+", " ", p.text)
    for name in (r.commune for r in summary.registered):  # every registered commune, in detail
        assert name in dom
    rows = re.findall(r"<tr><td class=\"n\">(\d+)</td>", page.read_text("utf-8"))
    assert rows == [str(n) for n in range(1, 101)]  # every commune, once, in the appendix
    assert "Xã" in listed and len(p.pages) > appendix


def test_the_province_summary_in_english_too(browser, tmp_path):
    """English words run longer: the same hundred communes still print their figures on three pages."""
    result = province_batch(tmp_path, lang="en")
    p = printed(browser, tmp_path / "out" / "summary.html")
    whole = signable(p, "Thái Nguyên province", "en")
    assert "PREPARED BY" in whole and "HEAD OF THE OFFICE" in whole and "of Thái Nguyên province" in whole
    appendix = next(i for i, text in enumerate(p.pages) if text.split()[:3] == ["Appendix:", "the", "communes"])
    assert 1 <= appendix <= 3 and result.summary.assessed == 100, [len(t) for t in p.pages]


def test_the_progress_report_is_signable(browser, province_summary, tmp_path):
    """The province's progress report (issue 28, part 2) as the office prints it: the province in
    its title, the letterhead and signature block of every signed page, page numbers, no command
    line, no syllable broken, no cell overflowing."""
    from datetime import date

    from ntm_rules import history
    from ntm_rules.batch import read_assessments
    from ntm_rules.history_report import progress_report
    from ntm_rules.reports.progress_report import report_html

    result, page = province_summary
    conn = history.connect(tmp_path / "history.sqlite3")
    history.store_batch(conn, read_assessments(page.parent), summary=result.summary)
    report = progress_report(conn, "Thái Nguyên", date.today(), target=100, by=date(date.today().year + 2, 12, 31))
    shown = tmp_path / "bao-cao.html"
    shown.write_text(report_html(report), "utf-8")
    p = printed(browser, shown)
    whole = signable(p, "tỉnh Thái Nguyên")
    assert "NÔNG THÔN MỚI TỈNH THÁI NGUYÊN" in whole and "Sở" in whole  # the letterhead; tables by department
