"""Results built without validation equal results validated from their own dump."""
import ntm_rules
from conftest import read_fixture
from ntm_rules.result import Assessment


def test_trusted_assessment_equals_a_validated_one():
    for name in ("phu-thuong-fails-several-2019.json", "hoa-binh-missing-data-2020.json", "tan-cuong-attains-2020.json"):
        assessment = ntm_rules.assess(read_fixture(name))
        again = Assessment.model_validate_json(assessment.model_dump_json())
        assert again == assessment
        assert again.model_dump() == assessment.model_dump()


def test_assessment_carries_ruleset_id_hash_and_unconfirmed_count():
    assessment = ntm_rules.assess(read_fixture("tan-cuong-attains-2020.json"), ruleset="vn-2016-2020")
    ruleset = ntm_rules.load_ruleset("vn-2016-2020")
    assert assessment.ruleset.id == "vn-2016-2020" and assessment.ruleset.sha256 == ruleset.sha256
    resolved = ntm_rules.resolve(ruleset, "northern_midlands_mountains", 2020)
    assert assessment.ruleset.unconfirmed_thresholds == resolved.unconfirmed > 0


def test_region_derived_from_province_with_or_without_diacritics():
    document = read_fixture("phu-thuong-fails-several-2019.json")
    for spelling in ("Thái Nguyên", "thai nguyen", "THÁI NGUYÊN", "Tỉnh Thái Nguyên"):
        document["commune"]["province"] = spelling
        assert ntm_rules.assess(document).region == "northern_midlands_mountains"
    document["commune"]["province"] = "Đồng Tháp"
    assert ntm_rules.assess(document).region == "mekong_delta"
    document["commune"]["province"] = "dong thap"
    assert ntm_rules.assess(document).region == "mekong_delta"


def test_fast_json_is_byte_for_byte_pydantic_json():
    """dump_json (used by batches) writes exactly what model_dump_json writes."""
    import random

    import reference
    from conftest import REGIONS, random_document
    from ntm_rules.result import dump_json

    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(11)
    documents = [random_document(rng, raw, rng.choice(REGIONS), rng.choice([2016, 2019, 2020]), p_missing=0.05,
                                 p_fail=0.2) for _ in range(1500)]
    documents += [read_fixture(n) for n in ("phu-thuong-fails-several-2019.json", "hoa-binh-missing-data-2020.json")]
    for assessment in ntm_rules.assess_many(documents):
        expected = assessment.model_dump_json().encode()
        assert dump_json(assessment) == expected
        assert dump_json(Assessment.model_validate_json(expected)) == expected
