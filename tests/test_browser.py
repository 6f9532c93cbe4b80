"""The printable pages in a real headless browser (Debian's chromium; .ci/run installs it).

Without chromium these tests skip, unless NTM_REQUIRE_BROWSER=1 (set by .ci/run) makes
them fail instead, so CI can never pass without having rendered the pages.
"""
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import CHROMIUM, FIXTURES, ROOT, need_browser
from ntm_rules import assess
from ntm_rules.batch import run_batch
from ntm_rules.inputs.json_text import read_document
from ntm_rules.reports.html import assessment_html
from ntm_rules.inputs.registered import read_registered

need_browser(driver=False)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]
A4_POINTS = (595.0, 842.0)


def chromium(tmp_path, page, *extra):
    """Run chromium on a file; return (stdout, console messages from stderr)."""
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done, console


class Resources(HTMLParser):
    """Every URL the page would load by itself (not the links a reader may follow)."""

    def __init__(self):
        super().__init__()
        self.loads = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio", "embed") and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "link":
            self.loads.append(attrs.get("href", ""))
        if tag == "object" and attrs.get("data"):
            self.loads.append(attrs["data"])


def loads_of(html: str) -> list[str]:
    parser = Resources()
    parser.feed(html)
    return parser.loads + re.findall(r"url\(", html) + re.findall(r"@import", html)


@pytest.fixture(scope="module")
def summary_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    run_batch([FIXTURES / "batches" / "thai-nguyen-2019.csv"], out, jobs=1,
              registered=read_registered(FIXTURES / "batches" / "thai-nguyen-2019-registered.txt"))
    return out / "summary.html"


def test_console_errors_are_detected(tmp_path):
    """The check below can fail: a page with a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><p>x</p><script>notDefined();</script>", "utf-8")
    _, console = chromium(tmp_path, page, "--dump-dom")
    assert any("notDefined" in line for line in console)


def test_summary_renders_with_charts_and_no_console_errors(tmp_path, summary_page):
    done, console = chromium(tmp_path, summary_page, "--dump-dom")
    assert done.returncode == 0
    assert console == []
    dom = done.stdout
    brackets = re.search(r'<svg id="chart-brackets".*?</svg>', dom, re.S).group(0)
    assert brackets.count("<rect") == 5
    criteria = re.search(r'<svg id="chart-criteria".*?</svg>', dom, re.S).group(0)
    assert criteria.count("<rect") == 19
    assert "14,1" in dom and "Xã Thần Sa" in dom and "Sở Nông nghiệp và Phát triển nông thôn" in dom
    assert loads_of(summary_page.read_text("utf-8")) == []


def test_summary_prints_on_a4(tmp_path, summary_page):
    pdf = tmp_path / "summary.pdf"
    done, console = chromium(tmp_path, summary_page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert done.returncode == 0 and console == []
    data = pdf.read_bytes()
    boxes = {tuple(float(x) for x in box.split()[2:]) for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)
             for box in [box.decode()]}
    assert boxes and all(abs(w - A4_POINTS[0]) < 1 and abs(h - A4_POINTS[1]) < 1 for w, h in boxes)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 1 <= pages <= 6


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_one_commune_page(tmp_path, lang):
    path = FIXTURES / "phu-thuong-fails-several-2019.json"
    done = subprocess.run([sys.executable, "-m", "ntm_rules", str(path), "--format", "html", "--lang", lang],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    page = tmp_path / "commune.html"
    page.write_text(done.stdout, "utf-8")
    assert done.stdout == assessment_html(assess(read_document(path)), lang=lang, source=str(path))
    rendered, console = chromium(tmp_path, page, "--dump-dom")
    assert console == []
    dom = rendered.stdout
    assessment = assess(read_document(path))
    for indicator in assessment.failing():
        assert (indicator.source if lang == "vi" else indicator.source_en) in dom  # the citation beside the threshold
    assert ("chưa xác nhận" if lang == "vi" else "unconfirmed") in dom
    assert loads_of(done.stdout) == []
    assert "ntm-assess " not in dom and "write_plan" not in dom and " --plan" not in dom  # paper says it in words
    assert ("Lập kế hoạch khắc phục" if lang == "vi" else "Write the remediation plan") in dom


def test_model_commune_page_shows_the_three_levels(tmp_path):
    path = FIXTURES / "model" / "model-fails-standard-2020.json"
    page = tmp_path / "model.html"
    page.write_text(assessment_html(assess(read_document(path))), "utf-8")
    rendered, console = chromium(tmp_path, page, "--dump-dom")
    assert console == []
    levels = re.search(r'<table id="levels">.*?</table>', rendered.stdout, re.S).group(0)
    assert levels.count("<tr>") == 4  # header + standard, advanced, model
    assert "cần đạt Chuẩn nông thôn mới trước" in levels
    assert 'id="met"' not in rendered.stdout  # the model requirements are not weighed before the standard is met
    declared = FIXTURES / "model" / "model-environment-declared-no-2020.json"
    page.write_text(assessment_html(assess(read_document(declared))), "utf-8")
    rendered, console = chromium(tmp_path, page, "--dump-dom")
    assert console == [] and "tự khai báo, công cụ không kiểm tra" in rendered.stdout


def _pdf_pages(tmp_path, page):
    from pypdf import PdfReader

    pdf = tmp_path / (page.stem + ".pdf")
    done, console = chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert done.returncode == 0 and console == []
    return [re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(pdf).pages]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_commune_failing_three_criteria_prints_on_two_pages_verdict_first(tmp_path, lang):
    path = FIXTURES / "hoa-thuong-fails-three-2019.json"
    assessment = assess(read_document(path))
    assert assessment.criteria_total - assessment.criteria_met == 3
    page = tmp_path / f"three-{lang}.html"
    page.write_text(assessment_html(assessment, lang=lang, source=str(path)), "utf-8")
    pages = _pdf_pages(tmp_path, page)
    assert 1 <= len(pages) <= 2
    verdict, findings = {"vi": ("CHƯAĐẠTchuẩnnôngthônmới—đạt16/19", "Chỉtiêukhôngđạt"),
                         "en": ("DOESNOTYETATTAINthenewruralstandard—16of19", "Indicatorsnotmet")}[lang]
    first = pages[0]
    assert verdict in first  # the verdict, with its count, is on page 1
    assert first.index(verdict) < first.index(findings)  # before the findings


def test_confirmed_and_unconfirmed_marks_differ_without_colour():
    html = assessment_html(assess(read_document(FIXTURES / "hoa-thuong-fails-three-2019.json")))
    assert "● đã xác nhận" in html and "○ chưa xác nhận" in html
    assert ".unconfirmed { font-style: italic" in html
