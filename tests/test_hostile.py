"""Hostile input: every case of tests/hostile/cases.yaml gives its exit code and one line, fast;
a batch keeps every good row among hostile ones; killed or interrupted batches never look complete."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import reference
from conftest import ROOT, random_document

sys.path.insert(0, str(Path(__file__).resolve().parent / "hostile"))
import generate  # noqa: E402
from ntm_rules.inputs.sources import read_rows  # noqa: E402
from ntm_rules.batch import read_assessments  # noqa: E402

HOSTILE = ROOT / "tests" / "hostile"
CASES = yaml.safe_load((HOSTILE / "cases.yaml").read_text("utf-8"))
EXE = [sys.executable, "-m", "ntm_rules"]
ENGLISH = {**os.environ, "NTM_LANG": "en"}
CONTROL = [chr(c) for c in list(range(0, 9)) + list(range(11, 32)) + list(range(0x7f, 0xa0))]


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    generate.write_all(folder)
    return folder


@pytest.fixture(scope="session")
def fifo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fifo")
    for name in ("pipe", "pipe.jsonl", "pipe.txt", "pipe.csv"):
        os.mkfifo(folder / name)
    return folder / "pipe"


def _case_id(case: dict) -> str:
    return " ".join([*case.get("run", ["{file}"])]).replace("{file}", case.get("file", ""))[:90]


def _expand(value: str, case: dict, generated: Path, fifo: Path, out: Path) -> str:
    if value == "{file}":
        value = case["file"]
        if (HOSTILE / value).exists():
            return str(HOSTILE / value)
    if value.startswith("generated/"):
        return str(generated / value.removeprefix("generated/"))
    if value.startswith("{fifo}"):
        return str(fifo) + value.removeprefix("{fifo}")
    if value == "{out}":
        return str(out)
    return value


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_hostile_case_gives_its_exit_code_and_one_line(case, generated, fifo, tmp_path):
    args = [_expand(a, case, generated, fifo, tmp_path / "out") for a in case.get("run", ["{file}"])]
    started = time.monotonic()
    done = subprocess.run([*EXE, *args], capture_output=True, cwd=ROOT, timeout=30,
                          stdin=subprocess.DEVNULL, env={**os.environ, "NTM_LANG": "en"})
    elapsed = time.monotonic() - started
    stderr = done.stderr.decode("utf-8")
    stdout = done.stdout.decode("utf-8")
    assert done.returncode == case["exit"], stderr
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert "Traceback" not in stderr and "Traceback" not in stdout
    if case["exit"] >= 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert case["message"] in lines[0]
        assert stdout == ""
    else:
        assert stderr == ""
    # nothing a terminal would obey reaches it, whatever the input held
    assert not any(c in stdout or c in stderr for c in CONTROL if c not in "\n\t")


def test_every_file_of_the_corpus_has_a_case():
    named = {c["file"] for c in CASES if "file" in c}
    kept = {str(p.relative_to(HOSTILE)) for p in HOSTILE.glob("*/*") if p.parent.name != "__pycache__"}
    assert kept <= named, kept - named
    assert {f"generated/{n}" for n in generate.GENERATED} <= named


def _good_lines(count: int, seed: int = 3) -> list[str]:
    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(seed)
    return [json.dumps(random_document(rng, raw, rng.choice(["red_river_delta", "mekong_delta"]), 2020),
                       ensure_ascii=False) for _ in range(count)]


def test_hostile_rows_are_rejected_one_by_one_and_every_good_row_is_kept(tmp_path):
    good = _good_lines(200)
    path = tmp_path / "mixed.jsonl"
    expected = generate.mixed_jsonl(path, good)
    done = subprocess.run([*EXE, "batch", str(path), "--out", str(tmp_path / "out")], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, env=ENGLISH)
    assert done.returncode == 1, done.stderr
    out = tmp_path / "out"
    assessed = (out / "assessments.jsonl").read_text("utf-8").splitlines()
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text("utf-8").splitlines()]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert {r["row"]: r["error"] for r in rejected}.keys() == expected.keys()
    for r in rejected:
        assert expected[r["row"]] in r["error"], r
    assert [json.loads(a)["commune"]["name"] for a in assessed] == [json.loads(g)["commune"]["name"] for g in good]
    assert summary["rows_read"] == summary["assessed"] + summary["rejected"] == len(good) + len(expected)
    assert summary["complete"] is True and summary["internal_errors"] == 0


def test_a_few_bad_lines_reject_just_those_rows(tmp_path):
    source = HOSTILE / "batches" / "bad-byte-on-row-61.csv"
    done = subprocess.run([*EXE, "batch", str(source), "--out", str(tmp_path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env=ENGLISH)
    assert done.returncode == 1
    rejected = [json.loads(line) for line in (tmp_path / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert [(r["row"], "not UTF-8" in r["error"]) for r in rejected] == [(61, True)]
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert (summary["rows_read"], summary["assessed"], summary["rejected"]) == (100, 99, 1)


def test_cell_longer_than_csv_reads_is_one_rejected_row(generated, tmp_path):
    done = subprocess.run([*EXE, "batch", str(generated / "cell-200k.csv"), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, env=ENGLISH)
    rejected = [json.loads(line) for line in (tmp_path / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert [r["row"] for r in rejected] == [4] and "longer than" in rejected[0]["error"]
    assert json.loads((tmp_path / "summary.json").read_text("utf-8"))["assessed"] == 5, done.stderr


def test_an_earlier_run_is_refused_unless_overwrite(tmp_path):
    fixture = str(ROOT / "fixtures" / "tan-cuong-attains-2020.json")
    first = subprocess.run([*EXE, "batch", fixture, "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0
    (tmp_path / "notes.txt").write_text("mine", "utf-8")
    again = subprocess.run([*EXE, "batch", fixture, "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 2 and "--overwrite" in again.stderr and len(again.stderr.splitlines()) == 1
    replaced = subprocess.run([*EXE, "batch", fixture, "--out", str(tmp_path), "--overwrite"], capture_output=True,
                              text=True, cwd=ROOT)
    assert replaced.returncode == 0
    assert (tmp_path / "notes.txt").read_text("utf-8") == "mine"  # only our outputs are replaced


def test_a_full_output_folder_is_exit_2_and_leaves_no_complete_summary(tmp_path):
    def small_files():
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(_good_lines(30)) + "\n", "utf-8")
    done = subprocess.run([*EXE, "batch", str(path), "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          cwd=ROOT, preexec_fn=small_files)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "không ghi được kết quả" in done.stderr
    assert not (tmp_path / "out" / "summary.json").exists()


def test_internal_error_is_exit_3_one_line_and_never_a_verdict():
    code = ("import importlib, sys\na = importlib.import_module('ntm_rules.assess')\n"
            "def broken(*a, **k): raise ZeroDivisionError('bug')\n"
            "a.evaluate = broken  # the engine, where the library calls it\n"
            "from ntm_rules.cli import main\nmain(sys.argv[1:])\n")
    fixture = str(ROOT / "fixtures" / "tan-cuong-attains-2020.json")
    done = subprocess.run([sys.executable, "-c", code, fixture], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 3 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "internal error (ZeroDivisionError" in done.stderr
    assert "report" in done.stderr
    debug = subprocess.run([sys.executable, "-c", code, "--debug", fixture], capture_output=True, text=True, cwd=ROOT)
    assert debug.returncode == 3 and "Traceback" in debug.stderr
    batch = subprocess.run([sys.executable, "-c", code, "batch", fixture, "--out", "/tmp/ntm-internal-" + str(os.getpid())],
                           capture_output=True, text=True, cwd=ROOT)
    assert batch.returncode == 3 and "internal error" in batch.stderr


def test_closed_standard_input_is_exit_2():
    done = subprocess.run([*EXE, "-"], capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "tệp trống" in done.stderr
    closed = subprocess.run(" ".join([*EXE, "-"]) + " <&-", shell=True, capture_output=True, text=True, cwd=ROOT)
    assert closed.returncode == 2 and "không có đầu vào chuẩn" in closed.stderr and "Traceback" not in closed.stderr


# ---------------------------------------------------------------- killed and interrupted batches

BIG = 20_000


@pytest.fixture(scope="module")
def big_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    path = folder / "communes.jsonl"
    lines = _good_lines(BIG, seed=11)
    lines[123] = "{broken"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    complete = folder / "complete"
    done = subprocess.run([*EXE, "batch", str(path), "--out", str(complete)], capture_output=True, cwd=ROOT)
    assert done.returncode == 1
    return path, complete


def _start(path: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([*EXE, "batch", str(path), "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_progress(out: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        # the first part (with the broken row 124) done, and a few more: each part's rejected rows
        # are on disk before its assessments
        first = (out / "partial" / "assessments-000001.jsonl").exists()
        if first and len(list((out / "partial").glob("assessments-*.jsonl"))) >= 4:
            return
        time.sleep(0.02)
    pytest.fail("the batch wrote nothing, or finished before it could be stopped")


def _check_incomplete(out: Path) -> None:
    summary = out / "summary.json"
    assert not summary.exists() or json.loads(summary.read_text("utf-8")).get("complete") is not True
    assert not (out / "assessments.jsonl").exists()
    segments = sorted((out / "partial").glob("*.jsonl"))
    assert segments
    for segment in segments:
        text = segment.read_text("utf-8")
        assert text.endswith("\n")
        for line in text.splitlines():
            json.loads(line)  # every line written is whole
    assert any(json.loads(line)["row"] == 124 for s in segments if s.name.startswith("rejected")
               for line in s.read_text("utf-8").splitlines())  # the broken row found so far is kept


def _rerun_matches(path: Path, out: Path, complete: Path) -> None:
    again = subprocess.run([*EXE, "batch", str(path), "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    again = subprocess.run([*EXE, "batch", str(path), "--out", str(out), "--overwrite"], capture_output=True,
                           text=True, cwd=ROOT)
    assert again.returncode == 1
    for name in ("assessments.jsonl", "ruleset.json", "rejected.jsonl", "summary.json", "summary.html"):
        assert (out / name).read_bytes() == (complete / name).read_bytes(), name
    assert not list(out.glob("*.partial"))


def test_killed_batch_never_looks_complete_and_a_rerun_gives_the_same_outputs(big_batch, tmp_path):
    path, complete = big_batch
    out = tmp_path / "killed"
    process = _start(path, out)
    _wait_for_progress(out, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _check_incomplete(out)
    _rerun_matches(path, out, complete)


def test_interrupted_batch_says_how_far_it_got_and_exits_130(big_batch, tmp_path):
    path, complete = big_batch
    out = tmp_path / "interrupted"
    process = _start(path, out)
    _wait_for_progress(out, process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "stopped after" in lines[0] and f"of {BIG} rows" in lines[0] and "incomplete" in lines[0]
    assert stdout == ""
    _check_incomplete(out)
    _rerun_matches(path, out, complete)


# ---------------------------------------------------------------- the library

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import ntm_rules  # noqa: E402

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(),
                     st.text(max_size=30), st.sampled_from(["\udc80", "\x1b[2J", "../../etc/passwd", "/dev/zero"]))
_JSONISH = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                        max_leaves=20)
_FIELDS = ["income_per_capita_million_vnd", "stunting_under5_pct", "temporary_dilapidated_houses",
           "general_plan_approved_and_published", "outstanding_fields", "advanced_ntm_recognized_year"]


@st.composite
def _hostile_documents(draw):
    document = {"commune": draw(st.one_of(st.fixed_dictionaries({"name": _SCALARS}), _JSONISH)),
                "year": draw(st.one_of(st.integers(2016, 2020), _SCALARS)),
                "data": draw(st.one_of(st.dictionaries(st.sampled_from(_FIELDS), _JSONISH, max_size=4), _JSONISH))}
    for key in ("region", "ruleset", "commune_group", "extremely_disadvantaged", "extra"):
        if draw(st.booleans()):
            document[key] = draw(_JSONISH)
    return document


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_documents())
def test_the_library_raises_only_ntm_errors_whatever_the_document_holds(document):
    try:
        result = ntm_rules.assess(document)
    except ntm_rules.NtmError as error:
        assert not isinstance(error, ntm_rules.InternalError), error
        str(error).encode("utf-8")  # every message can be printed
    else:
        result.model_dump_json()


def test_assess_many_says_which_item_was_bad():
    good = json.loads((ROOT / "fixtures" / "tan-cuong-attains-2020.json").read_text("utf-8"))
    with pytest.raises(ntm_rules.InputError) as raised:
        list(ntm_rules.assess_many([good, good, {"commune": {"name": "\udc80"}, "year": 2020, "data": {}}]))
    assert raised.value.index == 2 and "item 2" in str(raised.value)


def test_deeply_nested_python_objects_are_input_errors():
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(ntm_rules.InputError):
        ntm_rules.assess({"commune": {"name": "X"}, "year": 2020, "data": {"stunting_under5_pct": nested}})


def test_a_percentage_cell_at_the_threshold_is_read_exactly(generated, tmp_path):
    """0.267 shown as 26,7 % is 26.7, not 26.700000000000003: at the ≤ 26,7 ceiling it is met."""
    done = subprocess.run([*EXE, "batch", str(generated / "percent-at-the-threshold.xlsx"), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assessment = next(read_assessments(tmp_path))
    stunting = next(i for c in assessment["criteria"] for i in c["indicators"] if i["id"] == "15.3")
    assert (stunting["value"], stunting["status"]) == (26.7, "met")


def test_numbers_as_software_writes_them_are_read_and_odd_digits_are_not():
    rows = {r.row: r for r in read_rows([HOSTILE / "batches" / "numbers-as-software-writes-them.csv"])}
    assert rows[2].document["data"]["stunting_under5_pct"] == 1e-05
    assert rows[2].document["data"]["income_per_capita_million_vnd"] == 50.0
    assert str(rows[3].document["data"]["stunting_under5_pct"]) == "0.0"  # -0.0 is 0.0
    assert rows[3].document["data"]["income_per_capita_million_vnd"] == "1_2"  # left for the validator to refuse
    assert rows[4].document["data"]["income_per_capita_million_vnd"] == "１２"


def test_an_unclosed_quote_names_the_lines_it_swallowed():
    rows = list(read_rows([HOSTILE / "batches" / "unclosed-quote.csv"]))
    assert [r.row for r in rows] == [2, 3]
    assert "runs over lines 3–4" in rows[1].error.en and "quote" in rows[1].error.en
    assert "kéo dài qua các dòng 3–4" in rows[1].error.vi


def test_two_batches_into_one_folder_at_once_the_second_is_refused(big_batch, tmp_path):
    path, _ = big_batch
    out = tmp_path / "shared"
    first = _start(path, out)
    _wait_for_progress(out, first)
    second = subprocess.run([*EXE, "batch", str(path), "--out", str(out), "--overwrite"], capture_output=True,
                            text=True, cwd=ROOT)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=60)
    assert second.returncode == 2 and "một lượt đánh giá khác đang ghi vào thư mục này" in second.stderr


def test_workers_end_with_a_killed_batch(big_batch, tmp_path):
    path, _ = big_batch
    out = tmp_path / "orphans"
    process = _start(path, out)
    _wait_for_progress(out, process)
    workers = [int(p) for p in subprocess.run(["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True,
                                              text=True).stdout.split()]
    assert workers
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_a_batch_like_ctrl_c(big_batch, tmp_path):
    path, _ = big_batch
    out = tmp_path / "terminated"
    process = _start(path, out)
    _wait_for_progress(out, process)
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "stopped after" in stderr
    _check_incomplete(out)


def test_a_bad_ruleset_in_the_path_does_not_stop_the_others(tmp_path):
    folder = tmp_path / "sets"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: broken\nthis is not: [valid", "utf-8")
    os.mkfifo(folder / "pipe.yaml")
    env = {**os.environ, "NTM_RULESETS_PATH": str(folder)}
    done = subprocess.run([*EXE, str(ROOT / "fixtures" / "tan-cuong-attains-2020.json")], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([*EXE, "rulesets", "list", "--lang", "en"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=30)
    assert "broken\tUNUSABLE" in listed.stdout and "pipe\tUNUSABLE" in listed.stdout


def test_html_pages_carry_no_control_characters(tmp_path):
    document = json.loads((HOSTILE / "documents" / "escape-sequence-in-name-valid.json").read_text("utf-8"))
    document["commune"]["name"] += "\u202e"
    from ntm_rules.reports.html import assessment_html
    html = assessment_html(ntm_rules.assess(document))
    assert not any(c in html for c in CONTROL + ["\u202e"] if c not in "\n\t")
