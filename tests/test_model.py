"""Model communes 2018–2020 (Decision 691/QĐ-TTg): prerequisites, relative thresholds, options,
declared requirements and the three-level report."""
import copy
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntm_rules
from conftest import FIXTURES, ROOT
from ntm_rules import InputError
from ntm_rules.result import Assessment, dump_json

MODEL = FIXTURES / "model"


def read(name):
    return json.loads((MODEL / name).read_text("utf-8"))


def requirement(assessment, indicator_id):
    return next(i for c in assessment.criteria for i in c.indicators if i.id == indicator_id)


def levels(assessment):
    return {name: level.attained for name, level in assessment.levels.items()}


def test_model_commune_that_passes():
    a = ntm_rules.assess(read("model-attains-2020.json"))
    assert a.attained and levels(a) == {"standard": True, "advanced": True, "model": True}
    assert a.levels["standard"].ruleset == "vn-2016-2020" and a.levels["standard"].criteria_met == 19
    assert a.levels["advanced"].basis_en == "as the commune declares: recognised in 2019 (the recognition decision not checked)"
    income = requirement(a, "1.3")
    assert income.threshold == pytest.approx(39.0) and income.relative_to == "income_at_ntm_recognition_million_vnd"


def test_income_1_4_times_recognition_income_fails_by_the_gap():
    a = ntm_rules.assess(read("model-income-1.4-times-2020.json"))
    assert not a.attained and levels(a) == {"standard": True, "advanced": True, "model": False}
    income = requirement(a, "1.3")
    assert (income.status, income.value) == ("not_met", 36.4)
    assert income.threshold == pytest.approx(1.5 * 26.0) and income.gap == pytest.approx(2.6)
    assert [r.id for r in a.levels["model"].requirements if r.status != "met"] == ["1.3"]


def test_a_single_cooperative_fails():
    a = ntm_rules.assess(read("model-one-cooperative-2020.json"))
    coop = requirement(a, "1.2")
    assert (coop.status, coop.value, coop.threshold, coop.gap) == ("not_met", 1, 2, 1.0)
    assert not a.attained


def test_never_recognised_as_advanced():
    a = ntm_rules.assess(read("model-never-advanced-2020.json"))
    assert levels(a) == {"standard": True, "advanced": False, "model": False}
    assert requirement(a, "0.2").status == "not_met"  # absent means never recognised, not "no data"
    assert a.levels["model"].blocked_by == ["advanced"]


def test_recognition_after_the_assessment_year_does_not_count():
    document = read("model-attains-2020.json")
    document["year"] = 2019
    document["data"]["advanced_ntm_recognized_year"] = 2020
    a = ntm_rules.assess(document)
    assert not a.levels["advanced"].attained and requirement(a, "0.2").threshold == 2019


def test_failing_the_standard_blocks_the_model_level():
    a = ntm_rules.assess(read("model-fails-standard-2020.json"))
    assert levels(a) == {"standard": False, "advanced": True, "model": False}
    assert a.levels["model"].blocked_by == ["standard"]
    assert [c.id for c in a.levels["standard"].failing_criteria] == ["11", "13"]
    report = subprocess.run([sys.executable, "-m", "ntm_rules", str(MODEL / "model-fails-standard-2020.json")],
                            capture_output=True, text=True, cwd=ROOT)
    assert report.returncode == 1
    model_part = report.stdout.split("Cấp 3")[1]
    assert "cần đạt Chuẩn nông thôn mới trước" in model_part
    assert "✗" not in model_part.split("Sở, ngành")[0]  # no list of unrelated failures at the model level


def test_declared_group_answered_no():
    a = ntm_rules.assess(read("model-environment-declared-no-2020.json"))
    env = requirement(a, "3")
    assert env.declared and env.status == "not_met" and not env.verified
    assert "691" in env.source and env.source_url
    assert not a.attained
    for lang, mark in (("vi", "tự khai báo, công cụ không kiểm tra"), ("en", "declared by the assessor, not checked by the tool")):
        report = subprocess.run([sys.executable, "-m", "ntm_rules", str(MODEL / "model-environment-declared-no-2020.json"),
                                 "--lang", lang], capture_output=True, text=True, cwd=ROOT)
        assert mark in report.stdout


def test_json_has_a_section_per_level():
    done = subprocess.run([sys.executable, "-m", "ntm_rules", str(MODEL / "model-income-1.4-times-2020.json"),
                           "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    result = json.loads(done.stdout)
    assert set(result["levels"]) == {"standard", "advanced", "model"}
    failing = [r for r in result["levels"]["model"]["requirements"] if r["status"] != "met"]
    assert failing[0]["field"] == "income_per_capita_million_vnd" and failing[0]["threshold"] == 39.0
    assert result["attained"] is False and done.returncode == 1
    declared = [r["id"] for r in result["levels"]["model"]["requirements"] if r["declared"]]
    assert declared == ["2.8", "3", "4"]
    again = Assessment.model_validate(result)
    assert dump_json(again) == dump_json(ntm_rules.assess(read("model-income-1.4-times-2020.json")))


def test_thai_nguyen_model_set_uses_the_provincial_standard_and_outstanding_field():
    document = read("thai-nguyen-model-attains-2020.json")
    a = ntm_rules.assess(document)
    assert a.attained and a.levels["standard"].ruleset == "thai-nguyen-2017-2020"
    assert requirement(a, "5").value == ["production", "tourism"]
    document["data"]["outstanding_fields"] = []
    a = ntm_rules.assess(document)
    assert requirement(a, "5").status == "not_met" and not a.attained
    assert requirement(a, "5").department_name == "Văn phòng Điều phối nông thôn mới tỉnh"
    del document["data"]["outstanding_fields"]
    assert requirement(ntm_rules.assess(document), "5").status == "missing"
    document["data"]["outstanding_fields"] = ["tourism", "tourism"]
    assert requirement(ntm_rules.assess(document), "5").status == "met"
    document["data"]["outstanding_fields"] = ["fishing"]
    with pytest.raises(InputError, match="outstanding_fields"):
        ntm_rules.assess(document)


def test_the_standard_verdict_field_cannot_be_given_by_the_document():
    document = read("model-attains-2020.json")
    document["data"]["standard_attained"] = True
    with pytest.raises(InputError, match="'standard_attained' is the verdict of vn-2016-2020, computed by the tool"):
        ntm_rules.assess(document)


@pytest.mark.parametrize("base", [26.0, 27.3, 1.1, 19.99, 33.33, 58.7])  # 1.5 × 1.1 lands above 1.65 in binary
@pytest.mark.parametrize("side, delta, expected", [("below", Decimal("-0.01"), "not_met"), ("at", Decimal(0), "met"),
                                                   ("above", Decimal("0.01"), "met")])
def test_income_boundary_at_exactly_one_and_a_half_times(base, side, delta, expected):
    """Decimal arithmetic decides the expected side; floating point in the engine must agree."""
    document = read("model-attains-2020.json")
    document["data"]["income_at_ntm_recognition_million_vnd"] = base
    document["data"]["income_per_capita_million_vnd"] = float(Decimal(str(base)) * Decimal("1.5") + delta)
    assert requirement(ntm_rules.assess(document), "1.3").status == expected


@pytest.mark.parametrize("field, threshold, kind", [
    ("effective_new_cooperatives", 2, "count>="), ("poor_households_excluding_exempt", 0, "count<="),
    ("kindergarten_attendance_pct", 90, "pct>="), ("six_year_olds_entering_grade1_pct", 100, "pct>="),
    ("eleven_year_olds_completed_primary_pct", 95, "pct>="),
    ("youth_15_18_in_upper_secondary_or_vocational_pct", 95, "pct>="),
    ("residents_under_health_monitoring_pct", 90, "pct>="), ("health_insurance_coverage_pct", 95, "pct>="),
])
def test_model_thresholds_each_side(field, threshold, kind):
    document = read("model-attains-2020.json")
    step = 1 if kind.startswith("count") else 0.1
    sides = [(threshold - step, kind.endswith(">=") is False), (threshold, True), (threshold + step, kind.endswith(">="))]
    for value, met in sides:
        if value < 0 or (kind.startswith("pct") and value > 100):
            continue
        document["data"][field] = type(threshold)(value) if kind.startswith("count") else float(value)
        a = ntm_rules.assess(document)
        indicator = next(i for c in a.criteria for i in c.indicators if i.field == field)
        assert (indicator.status == "met") is met, (field, value)




@settings(max_examples=60, deadline=None)
@given(st.data())
def test_failing_the_standard_never_attains_model(data):
    document = read("model-attains-2020.json")
    standard = ntm_rules.assess(document, ruleset="vn-2016-2020")
    assert standard.attained
    # break one indicator of the standard set
    indicator = data.draw(st.sampled_from([i for i in standard.indicators()]))
    broken = copy.deepcopy(document)
    value = broken["data"][indicator.field]
    if isinstance(value, bool):
        broken["data"][indicator.field] = not value
    elif indicator.operator == ">=":
        broken["data"][indicator.field] = type(value)(indicator.threshold) - (1 if isinstance(value, int) else 0.5)
    else:
        broken["data"][indicator.field] = type(value)(indicator.threshold) + 1
    if isinstance(broken["data"][indicator.field], (int, float)) and broken["data"][indicator.field] < 0:
        return
    model = ntm_rules.assess(broken)
    assert not model.levels["standard"].attained
    assert not model.attained and model.levels["model"].blocked_by[:1] == ["standard"]


@settings(max_examples=80, deadline=None)
@given(base=st.floats(min_value=2, max_value=200, allow_nan=False),  # income within its plausible 1–1 000
       ratio=st.floats(min_value=0.5, max_value=3, allow_nan=False),
       raise_by=st.floats(min_value=0, max_value=100, allow_nan=False))
def test_raising_income_never_loses_the_income_requirement(base, ratio, raise_by):
    document = read("model-attains-2020.json")
    document["data"]["income_at_ntm_recognition_million_vnd"] = round(base, 2)
    document["data"]["income_per_capita_million_vnd"] = round(base * ratio, 2)
    before = requirement(ntm_rules.assess(document), "1.3").status
    document["data"]["income_per_capita_million_vnd"] = round(base * ratio + raise_by, 2)
    after = requirement(ntm_rules.assess(document), "1.3").status
    assert not (before == "met" and after != "met")
    expected = Decimal(str(round(base * ratio + raise_by, 2))) >= Decimal(str(round(base, 2))) * Decimal("1.5")
    assert (after == "met") is expected
