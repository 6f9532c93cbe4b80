"""One outcome per commune: the kernel computes it once; the Assessment's criteria, departments
and levels, a batch's lines (joined with the static part written once) and the figures of a
province are views of it, and say exactly what it says."""
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
from ntm_rules.lines import line_model
from ntm_rules.certainty import MET, combine
from ntm_rules.acting import acting_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def documents(count: int, seed: int) -> list[dict]:
    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(seed)
    return [random_document(rng, raw, rng.choice(REGIONS), rng.choice([2016, 2018, 2019, 2020]), p_missing=0.02)
            for _ in range(count)]


def test_every_view_says_what_the_outcome_says():
    ruleset = ntm_rules.load_ruleset("vn-2016-2020")
    for document in documents(2000, seed=7):
        built = ntm_rules.assess(document, ruleset)
        outcome = built.outcome
        assert "criteria" not in built.__dict__  # nothing of the views is built before it is read
        read_back = Assessment.model_validate(json.loads(built.model_dump_json()))
        assert read_back.outcome is None and read_back == built
        assert (outcome.attained, outcome.criteria_met, outcome.certain) == \
            (read_back.attained, read_back.criteria_met, read_back.certain)
        assert read_back.criteria_met == sum(c.status == MET for c in read_back.criteria)
        for criterion, view in zip(outcome.criteria, read_back.criteria):
            assert (criterion.id, criterion.status, criterion.certain) == (view.id, view.status, view.certain)
            assert combine(criterion.indicators) == (criterion.status, criterion.certain)
            for indicator, shown in zip(criterion.indicators, view.indicators):
                assert (indicator.id, indicator.status, indicator.certain, indicator.value, indicator.gap) == \
                    (shown.id, shown.status, shown.certain, shown.value, shown.gap)
        assert combine(outcome.criteria) == ("met" if outcome.attained else
                                             "not_met" if any(c.status == "not_met" for c in outcome.criteria)
                                             else "missing", outcome.certain)
        assert [d.id for d in outcome.departments] == [d.id for d in read_back.departments]
        assert {a.id: (set(a.criteria), a.verified) for a in acting_of(outcome)} == \
            {d.id: ({c.id for c in read_back.criteria for i in c.indicators
                     if i.status == "not_met" and i.department == d.id},
                    all(i.department_verified for c in read_back.criteria for i in c.indicators
                        if i.status == "not_met" and i.department == d.id))
             for d in read_back.departments if d.not_met}


def test_an_assessment_copies_pickles_and_compares_by_what_it_says():
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
    model = line_model()
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


def test_an_assessment_serialises_in_full_inside_other_models_and_type_adapters():
    from pydantic import BaseModel, TypeAdapter

    class Report(BaseModel):
        item: Assessment

    document = json.loads((FIXTURES / "hoa-thuong-fails-three-2019.json").read_text("utf-8"))
    expected = json.loads(ntm_rules.assess(document).model_dump_json())
    assert TypeAdapter(Assessment).dump_python(ntm_rules.assess(document), mode="json") == expected
    assert json.loads(Report(item=ntm_rules.assess(document)).model_dump_json())["item"] == expected


def test_threads_reading_one_assessment_all_see_the_same_full_result():
    import sys
    from concurrent.futures import ThreadPoolExecutor

    document = json.loads((FIXTURES / "phu-thuong-fails-several-2019.json").read_text("utf-8"))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(100):
            shared = ntm_rules.assess(document)
            with ThreadPoolExecutor(8) as pool:
                seen = list(pool.map(lambda _: shared.criteria, range(8)))
            assert all(criteria == seen[0] for criteria in seen)
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
        assert copy_.name in caught.value.source and "overwrite" in caught.value.line("en")
