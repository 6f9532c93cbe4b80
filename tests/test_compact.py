"""Compact results: an Assessment holds what varies per commune until its full result is read;
a batch writes compact lines and the static part once. Both must say exactly what the full
result says."""
from __future__ import annotations

import copy
import json
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest

import ntm_rules
import reference
from conftest import REGIONS, random_document
from ntm_rules import Assessment
from ntm_rules.batch import read_assessments
from ntm_rules.lines import line_models, outline_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def documents(count: int, seed: int) -> list[dict]:
    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(seed)
    return [random_document(rng, raw, rng.choice(REGIONS), rng.choice([2016, 2018, 2019, 2020]), p_missing=0.02)
            for _ in range(count)]


def test_the_compact_verdict_is_the_full_results_verdict():
    ruleset = ntm_rules.load_ruleset("vn-2016-2020")
    for document in documents(2000, seed=7):
        compact = ntm_rules.assess(document, ruleset)
        assert compact._outcome() is not None  # nothing built yet
        verdict = (compact.attained, compact.criteria_met, compact.certain)
        outline, departments = compact.outline(), compact.departments_outline()
        not_met_departments, failing = compact.not_met_departments(), compact.failing_indicators()
        full = Assessment.model_validate(json.loads(compact.model_dump_json()))  # built, then read back
        assert compact._outcome() is None
        assert verdict == (full.attained, full.criteria_met, full.certain)
        assert full.criteria_met == sum(c.status == "met" for c in full.criteria)
        assert json.loads(json.dumps(outline)) == json.loads(json.dumps(outline_of(full), default=lambda m: m.__dict__))
        assert departments == [d.__dict__ for d in full.departments]
        assert not_met_departments == full.not_met_departments()
        assert [(c, json.loads(json.dumps(i, default=lambda m: m.__dict__))) for c, i in failing] == \
            [(c, json.loads(json.dumps(i, default=lambda m: m.__dict__))) for c, i in full.failing_indicators()]
        assert compact == full


def test_a_compact_assessment_copies_pickles_and_compares_as_a_full_one():
    document = json.loads((FIXTURES / "phu-thuong-fails-several-2019.json").read_text("utf-8"))
    a, b = ntm_rules.assess(document), ntm_rules.assess(document)
    assert a == b
    assert pickle.loads(pickle.dumps(ntm_rules.assess(document))) == a
    assert copy.deepcopy(ntm_rules.assess(document)) == a
    assert ntm_rules.assess(document).model_dump() == a.model_dump()
    assert "criteria=" in repr(ntm_rules.assess(document))
    assert [i.id for i in ntm_rules.assess(document).failing()] == [i.id for i in a.failing()]


def batch(tmp_path: Path, name: str, *extra: str) -> Path:
    out = tmp_path / name
    done = subprocess.run([sys.executable, "-m", "ntm_rules", "batch", str(tmp_path / "communes.jsonl"), "--out",
                           str(out), "-j", "1", *extra], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def communes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compact")
    docs = documents(300, seed=11)
    docs += [json.loads(p.read_text("utf-8")) for p in sorted((FIXTURES / "model").glob("*.json"))
             if json.loads(p.read_text("utf-8")).get("ruleset") in (None, "vn-2016-2020")]
    with open(folder / "communes.jsonl", "w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps({**d, "ruleset": "vn-2016-2020"}, ensure_ascii=False) + "\n")
    return folder, docs


def test_batch_lines_joined_are_the_full_results(communes):
    folder, docs = communes
    compact, full = batch(folder, "compact"), batch(folder, "full", "--full")
    joined, whole = list(read_assessments(compact)), list(read_assessments(full))
    assert len(joined) == len(docs) and joined == whole
    assert joined == [json.loads(ntm_rules.assess(d, "vn-2016-2020").model_dump_json()) for d in docs]
    model = line_models()
    for line in (compact / "assessments.jsonl").read_text("utf-8").splitlines():
        model.model_validate_json(line)
    size, full_size = (compact / "assessments.jsonl").stat().st_size, (full / "assessments.jsonl").stat().st_size
    assert size * 5 < full_size  # the names, citations and notes are written once, in ruleset.json
    assert (compact / "ruleset.json").is_file()


def test_model_rulesets_in_a_batch_join_back_exactly(tmp_path):
    docs = [json.loads(p.read_text("utf-8")) for p in sorted((FIXTURES / "model").glob("model-*.json"))]
    with open(tmp_path / "communes.jsonl", "w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps({**d, "ruleset": "vn-model-2018-2020"}, ensure_ascii=False) + "\n")
    out = batch(tmp_path, "out", "--ruleset", "vn-model-2018-2020")
    assert list(read_assessments(out)) == [json.loads(ntm_rules.assess(d, "vn-model-2018-2020").model_dump_json())
                                           for d in docs]


def test_a_compact_assessment_serialises_in_full_inside_other_models_and_type_adapters():
    from pydantic import BaseModel, TypeAdapter

    class Report(BaseModel):
        item: Assessment

    document = json.loads((FIXTURES / "hoa-thuong-fails-three-2019.json").read_text("utf-8"))
    expected = json.loads(ntm_rules.assess(document).model_dump_json())
    assert TypeAdapter(Assessment).dump_python(ntm_rules.assess(document), mode="json") == expected
    assert json.loads(Report(item=ntm_rules.assess(document)).model_dump_json())["item"] == expected


def test_threads_reading_one_compact_assessment_all_see_the_same_full_result():
    import sys
    from concurrent.futures import ThreadPoolExecutor

    document = json.loads((FIXTURES / "phu-thuong-fails-several-2019.json").read_text("utf-8"))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(100):
            shared = ntm_rules.assess(document)
            with ThreadPoolExecutor(8) as pool:
                seen = list(pool.map(lambda _: id(shared.criteria), range(8)))
            assert len(set(seen)) == 1
    finally:
        sys.setswitchinterval(interval)


def test_damaged_batch_outputs_are_an_input_error_naming_the_file(communes, tmp_path):
    import shutil

    from ntm_rules.errors import InputError

    folder, _ = communes
    out = batch(folder, "damaged")
    for damage in ("delete", "truncate", "other-set"):
        copy_ = tmp_path / damage
        shutil.copytree(out, copy_)
        shared = copy_ / "ruleset.json"
        if damage == "delete":
            shared.unlink()
        elif damage == "truncate":
            shared.write_bytes(shared.read_bytes()[:100])
        else:
            data = json.loads(shared.read_bytes())
            data["sha256"] = "0" * 64
            shared.write_text(json.dumps(data), "utf-8")
        with pytest.raises(InputError) as caught:
            list(read_assessments(copy_))
        assert copy_.name in caught.value.source and "--overwrite" in caught.value.line("en")
