"""A province's departments answer for its communes (issue 28, part 4): where a set names the
ministry that guides a criterion, every view names the province's matching department, flagged
unconfirmed with the ministry as its basis; from 2025, the merged departments of Decree
45/2025/NĐ-CP. Never a ministry under "Sở, ngành chủ trì"."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

import ntm_rules
from conftest import FIXTURES, ROOT
from ntm_rules.law.departments import is_ministry, provincial
from ntm_rules.law.in_force import installed
from ntm_rules.law.resolve import resolve
from ntm_rules.reports.html import assessment_html
from ntm_rules.reports.plan import plan_rows
from ntm_rules.reports.text import ruleset_table, text_report

TABLE = yaml.safe_load((ROOT / "ntm_rules" / "data" / "provincial_departments.yaml").read_text("utf-8"))
# the departments every province keeps after Decree 45/2025/NĐ-CP (as the table's list_source states them)
DECREE_45 = {"Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Công Thương", "Sở Nông nghiệp và Môi trường",
             "Sở Xây dựng", "Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "Sở Giáo dục và Đào tạo",
             "Sở Y tế"}
MINISTRY = re.compile(r"\bBộ (?!Chỉ huy)[A-ZĐ]")
NO_OWN_SET = FIXTURES / "vu-hoi-red-river-delta-fails-2020.json"  # Thái Bình: no province set installed


def names_in(resolved) -> list[str]:
    return [resolved.department_name(c.department) for c in resolved.criteria] + \
        [resolved.department_name(i.department) for i in resolved.indicators]


@pytest.mark.parametrize("ruleset", [rs for rs in installed() if rs.status == "final"], ids=lambda rs: rs.id)
def test_no_resolved_set_names_a_ministry(ruleset):
    for dimension in ruleset.applies_to or list(ruleset.dimension_values):
        for year in (ruleset.period.from_, ruleset.period.to):
            resolved = resolve(ruleset, dimension, year)
            assert not [n for n in names_in(resolved) if MINISTRY.search(n)], (dimension, year)
            for assigned in (*resolved.criteria, *resolved.indicators):
                named = ruleset.departments.get(assigned.department)
                if assigned.department_basis is not None:  # named for a ministry: unconfirmed, that ministry its basis
                    assert not assigned.department_verified and is_ministry(assigned.department_basis)
                else:
                    assert named is not None and not is_ministry(named)


def test_every_view_of_a_province_without_its_own_set_names_its_departments(tmp_path):
    document = json.loads(NO_OWN_SET.read_text("utf-8"))
    assessment = ntm_rules.assess(document)
    assert assessment.ruleset.id == "vn-2016-2020"
    views = {"json": assessment.model_dump_json(), "html": assessment_html(assessment),
             "text": text_report(assessment) + text_report(assessment, by_department=True),
             "plan": json.dumps(plan_rows(assessment, "vi"), ensure_ascii=False, default=str),
             "table": ruleset_table(resolve(ntm_rules.load_ruleset("vn-2016-2020"), "red_river_delta", 2020), "vi")}
    source = tmp_path / "communes.jsonl"
    source.write_text(json.dumps(document, ensure_ascii=False) + "\n", "utf-8")
    db = tmp_path / "history.sqlite3"
    done = subprocess.run([sys.executable, "-m", "ntm_rules", "batch", str(source), "--out", str(tmp_path / "out"),
                           "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    views["summary"] = done.stdout + (tmp_path / "out" / "summary.json").read_text("utf-8") + \
        (tmp_path / "out" / "summary.html").read_text("utf-8")
    # the history and the province's progress report (its tables by department) say the same departments
    for command in (["history", "--province", "Thái Bình", "--db", str(db)],
                    ["report", "--province", "Thái Bình", "--as-of", "2100-01-01", "--db", str(db), "--out",
                     str(tmp_path / "report.html")]):
        shown = subprocess.run([sys.executable, "-m", "ntm_rules", *command], capture_output=True, text=True, cwd=ROOT,
                               timeout=120)
        assert shown.returncode == 0, shown.stderr
        views[command[0]] = shown.stdout
    views["report"] = (tmp_path / "report.html").read_text("utf-8")
    assert "Sở Giao thông vận tải" in views["report"] and "Sở Giao thông vận tải" in views["history"]
    assert not MINISTRY.search(views["report"]) and not MINISTRY.search(views["history"])
    for name, view in views.items():
        for line in view.splitlines():
            if "Sở, ngành" in line or "department_name" in line or "Lead department" in line:
                assert not re.search(r'"department_name(_en)?": "Bộ (?!Chỉ huy)', line), (name, line)
        said = [d["name"] for d in json.loads(views["json"])["departments"]]
        assert said and not [n for n in said if MINISTRY.search(n)]
    assert "Sở Giao thông vận tải" in views["text"] and "sở tương ứng với Bộ Giao thông vận tải" in views["text"]
    assert "Sở Giao thông vận tải" in views["summary"] and "Sở Giao thông vận tải" in views["html"]


def test_from_2025_the_merged_departments():
    national = ntm_rules.load_ruleset("vn-2016-2020")
    ministries = [m for m in TABLE["ministries"] if m in national.departments]
    assert ministries
    for ministry in ministries:
        before, after = provincial(national, ministry, 2024), provincial(national, ministry, 2025)
        assert before.id == TABLE["ministries"][ministry]["before"] and after.id == TABLE["ministries"][ministry]["after"]
        assert before.basis == after.basis == national.departments[ministry]
        assert after.name.vi in DECREE_45 or not after.name.vi.startswith("Sở ")
    merged = {provincial(national, m, 2025).name.vi for m in ("mot", "moc")}
    assert merged == {"Sở Xây dựng"}  # the table's mapping, as the source states it for Long An
    assert TABLE["merged"]["source"].startswith("https://") and TABLE["merged"]["list_source"].startswith("http")


def test_a_provinces_own_departments_are_kept():
    thai_nguyen = ntm_rules.load_ruleset("thai-nguyen-2017-2020")
    resolved = resolve(thai_nguyen, "northern_midlands_mountains", 2019)
    own = {c.department.id for c in thai_nguyen.criteria}
    assert {c.department for c in resolved.criteria} == own
    assert all(c.department_basis is None for c in resolved.criteria)
