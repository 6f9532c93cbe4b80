"""The real `ntm-assess` command, run in a subprocess."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ntm_rules.result import Assessment

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXE = [sys.executable, "-m", "ntm_rules"]


def run(*args, stdin=None):
    return subprocess.run([*EXE, *args], capture_output=True, text=True, input=stdin, cwd=ROOT, timeout=120)


def test_attaining_commune_vietnamese_report_exit_0():
    out = run(str(FIXTURES / "tan-cuong-attains-2020.json"))
    assert out.returncode == 0, out.stderr
    assert "ĐẠT chuẩn nông thôn mới — đạt 19/19 tiêu chí" in out.stdout
    assert "Xã Tân Cương" in out.stdout


def test_failing_commune_lists_gaps_citations_and_unconfirmed_marks():
    out = run(str(FIXTURES / "phu-thuong-fails-several-2019.json"))
    assert out.returncode == 1
    assert "đạt 13/19 tiêu chí" in out.stdout
    assert "vượt mức tối đa 2,6\u00a0điểm\u00a0%" in out.stdout  # poverty 14,6 % against ≤ 12 %: Vietnamese decimals
    assert "còn thiếu 5\u00a0triệu\u00a0đồng/người/năm" in out.stdout  # income 31 against ≥ 36
    assert "[chưa xác nhận]" in out.stdout
    assert "Quyết định 1980/QĐ-TTg, chỉ tiêu 10" in out.stdout
    assert "Sở, ngành chủ trì và các chỉ tiêu phải xử lý:" in out.stdout


def test_english_and_json_output():
    out = run(str(FIXTURES / "phu-thuong-fails-several-2019.json"), "--lang", "en")
    assert out.returncode == 1 and "Criteria not met" in out.stdout and "over by 2.6\u00a0percentage\u00a0points" in out.stdout
    out = run(str(FIXTURES / "phu-thuong-fails-several-2019.json"), "--format", "json")
    assessment = Assessment.model_validate_json(out.stdout)
    assert not assessment.attained and assessment.criteria_met == 13
    data = json.loads(out.stdout)
    income = next(i for c in data["criteria"] for i in c["indicators"] if i["id"] == "10")
    assert income["gap"] == 5.0 and income["status"] == "not_met" and income["verified"] is False


def test_missing_data_exit_1_and_listed_apart():
    out = run(str(FIXTURES / "hoa-binh-missing-data-2020.json"))
    assert out.returncode == 1
    assert "Chỉ tiêu thiếu số liệu (3)" in out.stdout and "12 Tỷ lệ người có việc làm" in out.stdout
    assert "employment_rate_pct" not in out.stdout  # the field id is not for the reader


def test_standard_input_and_byte_order_mark(tmp_path):
    text = (FIXTURES / "tan-cuong-attains-2020.json").read_text("utf-8")
    assert run("-", stdin=text).returncode == 0
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert run(str(bom)).returncode == 0


@pytest.mark.parametrize("path", sorted((FIXTURES / "invalid").glob("*.json")), ids=lambda p: p.name)
def test_invalid_input_exit_2_one_line_no_traceback(path):
    out = run(str(path))
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert path.name in lines[0] and "cách sửa:" in lines[0]  # Vietnamese by default


def test_missing_file_and_bad_ruleset_exit_2():
    out = run("no-such-file.json")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    out = run(str(FIXTURES / "tan-cuong-attains-2020.json"), "--ruleset", "tests/rulesets/bad-unknown-key.yaml")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "bad-unknown-key.yaml" in out.stderr


def test_schema_commands_print_json_schemas():
    schema = json.loads(run("schema", "input").stdout)
    assert "income_per_capita_million_vnd" in json.dumps(schema)
    schema = json.loads(run("schema", "result").stdout)
    assert "criteria_met" in schema["properties"]


def test_validate_and_rulesets_show():
    out = run("validate", *[str(p) for p in sorted((ROOT / "rulesets").glob("*.yaml"))])
    assert out.returncode == 0 and "chưa xác nhận" in out.stdout
    out = run("validate", "--lang", "en", *[str(p) for p in sorted((ROOT / "rulesets").glob("*.yaml"))])
    assert out.returncode == 0 and "unconfirmed" in out.stdout
    out = run("rulesets", "show", "vn-2016-2020")
    assert out.returncode == 0
    for indicator in ("1.1", "2.2", "10", "15.3", "17.1", "19.2"):
        assert f"  {indicator} " in out.stdout
    assert "[chưa xác nhận]" in out.stdout and "đã xác nhận" in out.stdout
    out = run("rulesets", "show", "vn-2016-2020", "--region", "mekong_delta", "--year", "2019", "--lang", "en")
    assert "Mekong Delta" in out.stdout and "[unconfirmed]" in out.stdout
    assert run("validate", "tests/rulesets/bad-duplicate-key.yaml").returncode == 2


def test_errors_are_vietnamese_by_default_and_english_on_request():
    path = str(FIXTURES / "invalid" / "unknown-region.json")
    vietnamese = run(path)
    assert vietnamese.returncode == 2 and "vùng không có" in vietnamese.stderr and "cách sửa:" in vietnamese.stderr
    english = run(path, "--lang", "en")
    assert english.returncode == 2 and "unknown region" in english.stderr and "fix:" in english.stderr


def test_the_plan_written_is_said_on_standard_error(tmp_path):
    """--plan says what it wrote, on standard error: standard output stays the report, or its JSON."""
    plan = tmp_path / "ke-hoach.xlsx"
    out = run(str(FIXTURES / "phu-thuong-fails-several-2019.json"), "--plan", str(plan), "--format", "json")
    assert out.returncode == 1 and plan.is_file()
    json.loads(out.stdout)  # the JSON alone
    assert out.stderr.strip() == f"→ đã ghi kế hoạch: {plan}"
    english = run(str(FIXTURES / "phu-thuong-fails-several-2019.json"), "--plan", str(tmp_path / "p.html"), "--lang", "en")
    assert english.stderr.strip() == f"→ plan written: {tmp_path / 'p.html'}"


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_a_json_lines_file_without_a_row_is_refused_as_an_empty_csv_is(tmp_path, text):
    """An empty JSON Lines file (or one of blank lines) had given an empty summary and exit 0; as a
    CSV without a header row, it is refused: exit 2, one line, nothing written."""
    path = tmp_path / "communes.jsonl"
    path.write_text(text, "utf-8")
    done = run("batch", str(path), "--out", str(tmp_path / "out"), "--lang", "en")
    assert done.returncode == 2, done.stderr
    assert "the file holds no rows" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
