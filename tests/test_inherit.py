"""`extends:`: overrides win, parent values are kept, provenance is recorded, bad overrides are rejected."""
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import ntm_rules
from conftest import read_fixture
from ntm_rules.reports.plan import COLUMNS, FILL_IN

ROOT = Path(__file__).resolve().parent.parent
RULESETS = Path(__file__).resolve().parent / "rulesets"


def _check(resolved, indicator_id):
    return next(c for i, c in resolved.checks if i.id == indicator_id)


def test_override_wins_parent_kept_and_provenance_recorded():
    child = ntm_rules.load_ruleset(RULESETS / "child-ok.yaml")
    resolved = ntm_rules.resolve(child, "southeast", 2020)
    income = _check(resolved, "1")
    assert income.threshold == 40 and income.origin == "tiny-province"
    employment = _check(resolved, "2")
    assert employment.threshold == 90 and employment.origin == "tiny"  # the parent's, kept
    assert employment.citation.vi.startswith("Văn bản thử")  # cites the parent's document
    assert _check(resolved, "2.2").origin == "tiny-province"
    criterion = next(c for c in resolved.criteria if c.id == "2")
    assert criterion.department == "so-lao-dong" and criterion.department_origin == "tiny-province"
    first = next(c for c in resolved.criteria if c.id == "1")
    assert first.department == "agri" and first.department_origin == "tiny"
    assert child.sha256 != ntm_rules.load_ruleset(RULESETS / "tiny.yaml").sha256


@pytest.mark.parametrize("name,path,message", [
    ("child-unknown-criterion", "criteria.99", "has no criterion 99"),
    ("child-unknown-indicator", "criteria.1.indicators.1.9", "has no indicator 1.9"),
    ("child-loosens", "criteria.2.indicators.2.thresholds", "looser than tiny's 90"),
    ("child-unknown-department", "criteria[id=1].department.id", "unknown department"),
])
def test_invalid_overrides_are_rejected_in_one_line(name, path, message):
    with pytest.raises(ntm_rules.RulesetError) as caught:
        ntm_rules.load_ruleset(RULESETS / f"{name}.yaml")
    assert any(path in line and message in line and f"{name}.yaml" in line and "fix:" in line
               for line in caught.value.problems), caught.value.problems
    out = subprocess.run([sys.executable, "-m", "ntm_rules", "validate", str(RULESETS / f"{name}.yaml")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_loosening_with_a_cited_exception_is_accepted():
    child = ntm_rules.load_ruleset(RULESETS / "child-loosens-with-exception.yaml")
    assert _check(ntm_rules.resolve(child, "southeast", 2020), "2").threshold == 80


def test_thai_nguyen_keeps_every_national_threshold_and_names_provincial_departments():
    national = ntm_rules.load_ruleset("vn-2016-2020")
    province = ntm_rules.load_ruleset("thai-nguyen-2017-2020")
    for year in range(2017, 2021):
        ours = ntm_rules.resolve(province, "northern_midlands_mountains", year)
        theirs = ntm_rules.resolve(national, "northern_midlands_mountains", year)
        assert [(c.field, c.threshold, c.verified, c.origin) for _, c in ours.checks] == \
               [(c.field, c.threshold, c.verified, c.origin) for _, c in theirs.checks]
        assert all(c.department.startswith(("so-", "bchqs", "ca-tinh")) for c in ours.criteria)
    with pytest.raises(ntm_rules.InputError, match="no thresholds for region red_river_delta"):
        ntm_rules.resolve(province, "red_river_delta", 2020)


def test_thai_nguyen_commune_names_a_department_for_every_failing_criterion():
    assessment = ntm_rules.assess(read_fixture("van-lang-thai-nguyen-fails-2019.json"))
    assert assessment.ruleset.id == "thai-nguyen-2017-2020"
    failing = {c.id for c in assessment.criteria if c.status != "met"}
    named = {cid for d in assessment.departments for cid in d.criteria}
    assert failing == named and len(assessment.departments) >= 4
    assert {"Sở Giáo dục và Đào tạo", "Công an tỉnh"} <= {d.name for d in assessment.departments}
    out = subprocess.run([sys.executable, "-m", "ntm_rules", "--ruleset", "thai-nguyen-2017-2020",
                          "fixtures/van-lang-thai-nguyen-fails-2019.json"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and "Sở, ngành chủ trì và các chỉ tiêu phải xử lý" in out.stdout and "Công an tỉnh" in out.stdout
    out = subprocess.run([sys.executable, "-m", "ntm_rules", "fixtures/van-lang-thai-nguyen-fails-2019.json",
                          "--by-department", "--lang", "en"], capture_output=True, text=True, cwd=ROOT)
    assert "Lead departments" in out.stdout and "Provincial Police" in out.stdout


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".html"])
def test_plan_has_a_row_per_unmet_or_missing_indicator(tmp_path, suffix):
    path = tmp_path / f"plan{suffix}"
    fixture = ROOT / "fixtures" / "van-lang-thai-nguyen-fails-2019.json"
    out = subprocess.run([sys.executable, "-m", "ntm_rules", str(fixture), "--plan", str(path)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1, out.stderr
    assessment = ntm_rules.assess(read_fixture("van-lang-thai-nguyen-fails-2019.json"))
    unmet = [i for i in assessment.indicators() if i.status != "met"]
    if suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).active
        rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)
                if r[0] is not None and (isinstance(r[0], int) or r[0] == "STT")]  # not the signature line
    elif suffix == ".csv":
        import csv
        rows = list(csv.reader(path.open(encoding="utf-8-sig"), delimiter=";"))[2:]  # below the title and ruleset lines
    else:
        text = path.read_text("utf-8")
        assert text.count("<tr>") == len(unmet) + 1 and "Sở, ngành chủ trì" in text
        return
    assert rows[0] == COLUMNS["vi"]
    assert len(rows) - 1 == len(unmet)
    for row, indicator in zip(rows[1:], unmet):
        assert row[2].startswith(f"{indicator.id}. ")
        assert row[12] == indicator.department_name + " [phân công chưa xác nhận]"
        assert row[9].startswith(indicator.source)
        assert all(cell in (None, "") for cell in row[-FILL_IN:])
