"""Monotonicity: better values never lose a verdict; absent data is missing, never met."""
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ntm_rules
import reference
from conftest import REGIONS, random_document

RAW = reference.load_raw("vn-2016-2020")
RULESET = ntm_rules.load_ruleset("vn-2016-2020")
CHECKS = [(i["id"], c) for _, i, c in reference.all_checks(RAW)]


def _by_id(assessment):
    return {i.id: i.status for i in assessment.indicators()}


def _improve(check, value, amount):
    if check["type"] == "bool":
        return True
    better = value + amount if check["operator"] == ">=" else value - amount
    if check["type"] == "count":
        better = int(round(better))
    return min(max(better, 0), 100) if check["type"] == "pct" else max(better, 0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), region=st.sampled_from(REGIONS), pick=st.integers(0, len(CHECKS) - 1),
       amount=st.floats(0, 50, allow_nan=False))
def test_improving_an_indicator_never_turns_met_into_not_met(seed, region, pick, amount):
    document = random_document(random.Random(seed), RAW, region, 2020, p_missing=0, p_fail=0.3)
    indicator_id, check = CHECKS[pick]
    before = ntm_rules.assess(document, ruleset=RULESET)
    document["data"][check["field"]] = _improve(check, document["data"][check["field"]], amount)
    after = ntm_rules.assess(document, ruleset=RULESET)
    old, new = _by_id(before), _by_id(after)
    assert not (old[indicator_id] == "met" and new[indicator_id] != "met")
    assert after.criteria_met >= before.criteria_met
    assert not (before.attained and not after.attained)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), region=st.sampled_from(REGIONS), pick=st.integers(0, len(CHECKS) - 1))
def test_removing_a_field_turns_met_into_missing_never_into_met(seed, region, pick):
    document = random_document(random.Random(seed), RAW, region, 2020, p_missing=0, p_fail=0.2)
    indicator_id, check = CHECKS[pick]
    before = _by_id(ntm_rules.assess(document, ruleset=RULESET))
    del document["data"][check["field"]]
    after_assessment = ntm_rules.assess(document, ruleset=RULESET)
    after = _by_id(after_assessment)
    if before[indicator_id] == "met":
        assert after[indicator_id] == "missing"
    else:
        assert after[indicator_id] in ("missing", "not_met")
    assert not after_assessment.attained
