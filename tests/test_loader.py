"""Ruleset files: the shipped national set, and every kind of load error in one line."""
from pathlib import Path

import pytest

import ntm_rules
import reference
from conftest import REGIONS

HERE = Path(__file__).resolve().parent
RULESETS = HERE / "rulesets"


def test_national_set_has_19_criteria_49_indicators_all_regions_with_citations():
    ruleset = ntm_rules.load_ruleset("vn-2016-2020")
    assert len(ruleset.criteria) == 19
    assert sum(len(c.indicators) for c in ruleset.criteria) == 49
    for region in REGIONS:
        for year in range(2016, 2021):
            resolved = ntm_rules.resolve(ruleset, region, year)
            assert len(resolved.indicators) == 49
            for _, check in resolved.checks:
                assert check.citation.vi.startswith("Quyết định 1980/QĐ-TTg")
                assert check.citation.en.startswith("Decision 1980/QĐ-TTg")
                assert check.verified is bool(check.url) or not check.verified
                if not check.verified:
                    assert check.note is not None


# What ../shared/reference/ntm-2016-2020.md says is confirmed (True) or believed (False), per region.
EXPECTED_VERIFIED = {
    ("3.1", "red_river_delta"): True, ("3.2", "red_river_delta"): False,
    ("4.2", "northern_midlands_mountains"): False, ("4.2", "central_highlands"): True,
    ("4.2", "mekong_delta"): True, ("4.2", "southeast"): False,
    ("5", "mekong_delta"): True, ("5", "northern_midlands_mountains"): False,
    ("9.2", "mekong_delta"): True, ("9.2", "red_river_delta"): False,
    ("11", "northern_midlands_mountains"): False, ("14.2", "southeast"): True, ("14.3", "mekong_delta"): True,
    ("15.3", "central_highlands"): True, ("17.1", "south_central_coast"): False, ("17.1", "mekong_delta"): True,
    ("17.8", "red_river_delta"): False, ("2.2", "red_river_delta"): False, ("12", "southeast"): True,
}


@pytest.mark.parametrize("key,verified", EXPECTED_VERIFIED.items(), ids=str)
def test_verified_flags_follow_the_reference(key, verified):
    indicator_id, region = key
    resolved = ntm_rules.resolve(ntm_rules.load_ruleset("vn-2016-2020"), region, 2020)
    indicator = next(i for i in resolved.indicators if i.id == indicator_id)
    assert indicator.verified is verified


def test_tiny_ruleset_loads_and_resolves_by_year():
    ruleset = ntm_rules.load_ruleset(RULESETS / "tiny.yaml")
    assert ntm_rules.resolve(ruleset, "southeast", 2019).checks[0][1].threshold == 30
    assert ntm_rules.resolve(ruleset, "southeast", 2020).checks[0][1].threshold == 36


BAD = {
    "bad-unknown-key": ("criteria[id=1].indicators[id=1].treshold", "unknown key"),
    "bad-duplicate-key": ("criteria[id=1].indicators[id=1].type", "duplicate key"),
    "bad-missing-region": ("criteria[id=1].indicators[id=1].thresholds", "missing region"),
    "bad-overlapping-years": ("thresholds.all[1].years", "year 2020 also covered"),
    "bad-missing-year": ("thresholds.all", "no value for year 2019"),
    "bad-no-citation": ("thresholds.all[1].source", "no citation"),
    "bad-verified-without-url": ("thresholds.all[1].verified", "has no url"),
    "bad-unconfirmed-without-note": ("thresholds.all[0].note", "without a note"),
    "bad-yaml-syntax": ("line", "not valid YAML"),
    "bad-python-tag": ("line", "not valid YAML"),
}


@pytest.mark.parametrize("name", BAD, ids=str)
def test_each_load_error_is_one_line_with_file_path_and_fix(name):
    path_part, message = BAD[name]
    with pytest.raises(ntm_rules.RulesetError) as caught:
        ntm_rules.load_ruleset(RULESETS / f"{name}.yaml")
    lines = caught.value.problems
    assert any(path_part in line and message in line for line in lines), lines
    for line in lines:
        assert "\n" not in line and f"{name}.yaml" in line and "fix:" in line


def test_reference_reads_the_same_number_of_checks():
    raw = reference.load_raw("vn-2016-2020")
    assert len(list(reference.all_checks(raw))) == 50  # 49 indicators, 17.1 has two numbers


@pytest.mark.parametrize("insert, message", [
    ("        options: [a, b]\n", "`options` goes with type options"),
    ("        declared: true\n", "a declared requirement or another ruleset's verdict is yes/no"),
    ("        verdict_of: vn-2016-2020\n", "a declared requirement or another ruleset's verdict is yes/no"),
    ("        relative_to: income_per_capita_million_vnd\n", "a relative threshold compares"),
])
def test_new_check_keys_are_checked(tmp_path, insert, message):
    from ntm_rules import RulesetError, load_ruleset

    text = (Path(__file__).parent / "rulesets" / "tiny.yaml").read_text("utf-8")
    text = text.replace('        operator: ">="\n', '        operator: ">="\n' + insert, 1)
    path = tmp_path / "tiny-new.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(RulesetError) as error:
        load_ruleset(path)
    assert any(message in line and "fix:" in line for line in error.value.problems), error.value.problems
