"""The office's web pages in a real browser: Debian's chromium driven by Selenium through Debian's
chromium-driver, with JavaScript switched off (the pages must work without it), against the real
server. Upload the workbook through the form, read the verdict counts, open a commune's page,
download its plan; upload the next year's and read the progress page.

Without chromium (or its driver) these tests skip, unless NTM_REQUIRE_BROWSER=1 (set by .ci/run).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, chrome, need_browser

need_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from ntm_rules import places  # noqa: E402
from ntm_rules.batch import read_assessments  # noqa: E402
from ntm_rules.reports.plan import plan_rows  # noqa: E402
from ntm_rules.result import Assessment  # noqa: E402
from test_history import next_year  # noqa: E402
from test_service import Server, cli  # noqa: E402

CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
REGISTERED = FIXTURES / "batches" / "thai-nguyen-2019-registered.txt"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    server = Server(tmp)
    downloads = tmp / "downloads"
    downloads.mkdir()
    driver = chrome(tmp / "profile", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "profile.managed_default_content_settings.javascript": 2})  # no JavaScript at all
    driver.set_page_load_timeout(120)
    try:
        yield server, driver, downloads, tmp
    finally:
        driver.quit()
        server.stop()


def upload(driver, url: str, path: Path, registered: Path | None = None) -> str:
    driver.get(url + "/")
    driver.find_element(By.ID, "file").send_keys(str(path))
    if registered is not None:
        driver.find_element(By.ID, "registered").send_keys(str(registered))
    driver.find_element(By.ID, "submit").click()
    WebDriverWait(driver, 120).until(lambda d: "/batches/" in d.current_url)
    return driver.current_url


def test_upload_read_counts_open_a_commune_download_its_plan(site):
    server, driver, downloads, tmp = site
    done = cli("batch", CSV, "--registered", REGISTERED, "--out", tmp / "cli-2019", "--format", "json")
    expected = json.loads(done.stdout)
    upload(driver, server.url, CSV, REGISTERED)
    assert "Đạt chuẩn" in driver.page_source  # Vietnamese by default
    counts = {name: driver.find_element(By.ID, f"count-{name}").text
              for name in ("assessed", "attained", "not-attained", "missing-data", "rejected")}
    assert counts == {"assessed": str(expected["assessed"]), "attained": str(expected["attained"]),
                      "not-attained": str(expected["not_attained"]), "missing-data": str(expected["missing_data"]),
                      "rejected": str(expected["rejected"])}
    average = driver.find_element(By.ID, "average").text
    assert average == f"{expected['average_criteria_met']:.1f}".replace(".", ",")

    assessments = {a["commune"]["name"]: a for a in read_assessments(tmp / "cli-2019")}
    name = "Xã Hóa Thượng"
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "#communes tr.commune")
               if r.find_element(By.TAG_NAME, "td").text == name)
    plan_href = row.find_element(By.CLASS_NAME, "plan-link").get_attribute("href")
    row.find_element(By.CLASS_NAME, "commune-link").click()
    WebDriverWait(driver, 60).until(lambda d: "/communes/" in d.current_url)
    page = driver.find_element(By.TAG_NAME, "body").text
    wanted = assessments[name]
    assert name in page
    assert f"{wanted['criteria_met']}/{wanted['criteria_total']}" in page
    for indicator in (i for c in wanted["criteria"] for i in c["indicators"] if i["status"] == "not_met"):
        assert indicator["name"] in page

    driver.get(plan_href)  # a download: the browser saves it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = [p for p in downloads.iterdir() if p.suffix == ".xlsx"]
        if files:
            break
        time.sleep(0.2)
    assert files, "the plan was not downloaded"
    from openpyxl import load_workbook

    sheet = load_workbook(files[0]).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    expected_rows = plan_rows(Assessment.model_validate(wanted))
    assert expected_rows  # it fails indicators: the plan has rows
    for plan_row in expected_rows:
        assert plan_row[2] in cells  # every failing indicator is a row of the downloaded plan


def test_summary_page_and_rejected_rows(site):
    server, driver, downloads, tmp = site
    copy = tmp / "thai-nguyen-2019-copy.csv"  # another file (a blank line more): the same file is refused
    copy.write_bytes(CSV.read_bytes() + b"\n")
    upload(driver, server.url, copy)
    driver.find_element(By.ID, "summary-link").click()
    WebDriverWait(driver, 60).until(lambda d: d.current_url.endswith("/summary"))
    assert "Báo cáo tổng hợp" in driver.page_source
    driver.back()
    rejected = driver.find_element(By.ID, "rejected-link").get_attribute("href")
    assert rejected.endswith("/files/rejected.xlsx")


def test_a_year_later_the_progress_page_shows_each_commune_and_department(site):
    server, driver, downloads, tmp = site
    later = tmp / "thai-nguyen-2020.csv"
    next_year(later)
    cli("batch", later, "--out", tmp / "cli-2020")
    if not (tmp / "cli-2019").exists():
        cli("batch", CSV, "--out", tmp / "cli-2019")
    # the first file again: refused on the page, naming the batch it is stored as
    driver.get(server.url + "/")
    first = driver.find_element(By.CSS_SELECTOR, "a[href^='/batches/']").get_attribute("href").split("/batches/")[-1]
    driver.find_element(By.ID, "file").send_keys(str(CSV))
    driver.find_element(By.ID, "submit").click()
    WebDriverWait(driver, 120).until(lambda d: "đã được lưu" in d.page_source)
    batches = [a.get_attribute("href").split("/batches/")[-1]
               for a in driver.find_elements(By.CSS_SELECTOR, "a[href*='/batches/']")]
    assert any(key in driver.find_element(By.CLASS_NAME, "error").text for key in batches), first
    upload(driver, server.url, later)
    driver.find_element(By.CLASS_NAME, "progress-link").click()
    WebDriverWait(driver, 60).until(lambda d: "/progress" in d.current_url)

    def official(a):  # the page names a commune by its official name (the directory's)
        c = a["commune"]
        return places.commune(c["name"], c["district"], c["province"], c["code"], year=a["year"]).name

    before = {official(a): a for a in read_assessments(tmp / "cli-2019")}
    after = {official(a): a for a in read_assessments(tmp / "cli-2020")}
    rows = {r.find_elements(By.TAG_NAME, "td")[0].text: [c.text for c in r.find_elements(By.TAG_NAME, "td")]
            for r in driver.find_elements(By.CSS_SELECTOR, "#by-commune tr.commune")}
    assert set(rows) == set(after)
    for name, cells in rows.items():
        a2019, a2020 = before[name], after[name]
        # every batch of the province is a column: 2019 uploaded (twice) before 2020
        assert cells[-2] == f"{a2020['criteria_met']}/{a2020['criteria_total']}" + (" ✓" if a2020["attained"] else "")
        assert f"{a2019['criteria_met']}/{a2019['criteria_total']}" in cells[2]
        was = {c["id"]: c["status"] for c in a2019["criteria"]}
        gained = [c["id"] for c in a2020["criteria"] if c["status"] == "met" and was[c["id"]] != "met"]
        if gained:
            assert f"đạt thêm: {', '.join(gained)}" in cells[-1]
    rounds = len(driver.find_elements(By.CSS_SELECTOR, "#rounds tr")) - 1  # each upload of the province
    assert rounds >= 2
    departments = driver.find_elements(By.CSS_SELECTOR, "#by-department tr.department")
    assert departments and all(len(d.find_elements(By.TAG_NAME, "td")) == 1 + rounds for d in departments)
    late = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#registered tr.late")]
    assert any("Xã Hóa Thượng" in text for text in late)
    # a commune's own page: one column per assessment
    driver.find_element(By.LINK_TEXT, "Thị trấn Hóa Thượng").click()  # "Xã Hóa Thượng" in the rows: its official name
    WebDriverWait(driver, 60).until(lambda d: "/progress/commune" in d.current_url)
    entries = driver.find_elements(By.CSS_SELECTOR, "#entries tr.entry")
    assert len(entries) == rounds
