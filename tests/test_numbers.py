"""Every valid number reaches the rules engine in a form it reads exactly.

durable_rules' C parser refuses an exponent without a decimal point (Python writes 1e-05 and
1e+16), so values and thresholds in any float form must still evaluate, and agree with the
plain-Python reference evaluator over the whole valid range of each field type.
"""
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ntm_rules
import reference
from conftest import REGIONS, ROOT
from ntm_rules.engine import number_text
from ntm_rules.law.catalogue import field_specs

RAW = reference.load_raw("vn-2016-2020")
RULESET = ntm_rules.load_ruleset("vn-2016-2020")
CHECKS = [c for _, _, c in reference.all_checks(RAW)]
TINY_EXPONENT = ROOT / "tests" / "hostile" / "rulesets" / "exponent-threshold-valid.yaml"


def _value(check):
    """Any valid value of the field, across its whole plausible range (tiny and huge included)."""
    kind = check["type"]
    if kind == "bool":
        return st.booleans()
    spec = field_specs()[check["field"]]
    if kind == "count":
        return st.one_of(st.integers(0, 10), st.integers(int(spec.low), int(spec.high)))
    low, high = float(spec.low), float(spec.high)
    tiny = [v for v in (1e-9, 1e-5, 0.00001, 9.99e-5) if low <= v]
    return st.one_of(
        st.floats(low, high, allow_nan=False, allow_infinity=False),
        st.floats(max(low, 1e-9), max(low, 1e-3)),  # written 1e-05 by Python when low is 0
        st.sampled_from([low, high] + tiny),
        st.floats(high * 0.99, high),
    )


@st.composite
def documents(draw):
    region = draw(st.sampled_from(REGIONS))
    year = draw(st.integers(2016, 2020))
    data = {}
    for check in CHECKS:
        if draw(st.integers(0, 20)) == 0:
            continue  # some data missing
        data[check["field"]] = draw(_value(check))
    return {"commune": {"name": "Xã Số"}, "region": region, "year": year, "data": data}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_any_valid_value_evaluates_like_the_reference(document):
    assessment = ntm_rules.assess(document, ruleset=RULESET)
    expected = reference.evaluate(RAW, document["region"], document["year"], document["data"])
    assert {i.id: i.status for i in assessment.indicators()} == expected["indicators"]
    assert assessment.attained == expected["attained"]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_text_is_the_same_double_with_a_point_before_any_exponent(value):
    text = number_text(value)
    assert float(text) == value and math.copysign(1, float(text)) == math.copysign(1, value)
    if "e" in text:
        assert "." in text.split("e")[0]


@pytest.mark.parametrize("value, status", [(0.0000099999, "not_met"), (0.00001, "met"), (1e-5, "met"),
                                           (0.0000100001, "met"), (1e-300, "not_met"), (0.0, "not_met")])
def test_threshold_written_in_exponent_form_evaluates(value, status):
    """tests/hostile/rulesets/exponent-threshold-valid.yaml: employment ≥ 1e-5 (as YAML reads `1e-5`)."""
    ruleset = ntm_rules.load_ruleset(TINY_EXPONENT)
    document = {"commune": {"name": "Xã"}, "region": "red_river_delta", "year": 2020,
                "data": {"income_per_capita_million_vnd": 40, "employment_rate_pct": value}}
    statuses = {i.id: i.status for i in ntm_rules.assess(document, ruleset=ruleset).indicators()}
    assert statuses["2"] == status


@pytest.mark.parametrize("text", ["1e-05", "1E-5", "0.00001", "1.0e-5"])
def test_a_stunting_rate_of_a_hundred_thousandth_is_assessed_like_its_neighbours(text):
    from ntm_rules.inputs.json_text import json_object

    base = json.loads((ROOT / "fixtures" / "tan-cuong-attains-2020.json").read_text("utf-8"))
    written = f'"stunting_under5_pct": {json.dumps(base["data"]["stunting_under5_pct"])}'
    document = json_object(json.dumps(base).replace(written, f'"stunting_under5_pct": {text}'))
    assert document["data"]["stunting_under5_pct"] == 1e-5
    neighbours = []
    for value in (0.0, 1e-5, 2e-5):
        document["data"]["stunting_under5_pct"] = value
        neighbours.append(ntm_rules.assess(document).attained)
    assert neighbours == [True, True, True]


@pytest.mark.parametrize("text, field", [
    ('{"commune": {"name": "A"}, "year": ' + "9" * 5000 + ', "data": {}}', "year"),
    ('{"commune": {"name": "A"}, "year": 2019, "data": {"income_per_capita_million_vnd": 1e999}}',
     "data.income_per_capita_million_vnd"),
    ('{"commune": {"name": "A"}, "year": 2019, "data": {"employment_rate_pct": -Infinity}}', "data.employment_rate_pct"),
    ('{"commune": {"name": "A"}, "year": 2019, "data": {"temporary_dilapidated_houses": 1234567890123456}}',
     "data.temporary_dilapidated_houses"),
    ('{"commune": {"name": "A"}, "year": 2019, "data": {"outstanding_fields": [1, NaN]}}', "data.outstanding_fields[1]"),
])
def test_a_number_too_long_or_too_large_is_refused_naming_its_field(text, field):
    """A clerk with a long document finds the number the tool refused by its JSON path."""
    from ntm_rules.errors import InputError
    from ntm_rules.inputs.json_text import json_object

    with pytest.raises(InputError) as caught:
        json_object(text, "doc.json")
    assert caught.value.field == field
    assert caught.value.line("vi").startswith(f"doc.json: {field}: ")
