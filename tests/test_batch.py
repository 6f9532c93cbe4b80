"""Batch input, the provincial summary and the batch command.

The Thái Nguyên 2019 fixture (fixtures/batches/thai-nguyen-2019.csv) was written so that each
commune fails a known set of criteria (the first indicator of each); the expected summary
below is counted by hand from that design, not taken from a run.
"""
import csv
import json
import os
import random
import subprocess
import sys

import pytest
from openpyxl import Workbook, load_workbook

import reference
from conftest import FIXTURES, ROOT, attaining_document, collections_inside, random_document, random_rows
import ntm_rules
from ntm_rules import InputError, load_ruleset
from ntm_rules.batch import run_batch, read_assessments
from ntm_rules.inputs.columns import convert as _convert
from ntm_rules.inputs.sources import read_rows
from ntm_rules.inputs.template import template_columns
from ntm_rules.inputs.registered import read_registered
from ntm_rules.words.phrases import average

BATCH = FIXTURES / "batches" / "thai-nguyen-2019.csv"
REGISTERED = FIXTURES / "batches" / "thai-nguyen-2019-registered.txt"

# commune → criteria it was made to fail (criteria met = 19 - len), by district
DESIGN = {
    "Xã Tân Cương": [], "Xã Phúc Xuân": [], "Xã Quyết Thắng": ["10"],
    "Xã Hóa Thượng": ["10", "11", "13"], "Xã Nam Hòa": [],  # Nam Hòa: health insurance left empty
    "Xã Yên Đổ": ["2", "5", "9", "10", "11", "17"], "Xã Sơn Cẩm": [],
    "Xã Phú Thượng": ["2", "3", "5", "6", "9", "10", "11", "13", "14", "17"],
    "Xã Cúc Đường": ["1", "2", "3", "5", "6", "8", "9", "10", "11", "13", "14", "17"],
    "Xã Thần Sa": ["1", "2", "3", "5", "6", "7", "8", "9", "10", "11", "13", "14", "15", "16", "17", "18"],
}
EXPECTED = {
    "communes": 12, "assessed": 10, "rejected": 2,
    "attained": 3, "not_attained": 6, "missing_data": 1,
    "average_criteria_met": 14.1,  # (19+19+18+16+18+13+19+9+7+3) / 10
    "brackets": {"19": 3, "15-18": 3, "10-14": 1, "5-9": 2, "0-4": 1},
    "under_low_mark": ["Xã Phú Thượng", "Xã Cúc Đường", "Xã Thần Sa"],
    "failures_by_criterion": {"1": 2, "2": 4, "3": 3, "5": 4, "6": 3, "7": 1, "8": 2, "9": 4, "10": 6, "11": 5,
                              "13": 4, "14": 3, "15": 1, "16": 1, "17": 4, "18": 1},
    "missing_by_criterion": {"15": 1},
}
# department id → (failing criteria, communes failing any of them), from the Thái Nguyên assignments
EXPECTED_DEPARTMENTS = {
    "so-nnptnt": (["3", "10", "13"], 6), "so-ldtbxh": (["11"], 5), "so-gtvt": (["2"], 4),
    "so-gddt": (["5", "14"], 4), "so-xd": (["1", "9"], 4), "so-tnmt": (["17"], 4),
    "so-vhttdl": (["6", "16"], 3), "so-tttt": (["8"], 2), "so-ct": (["7"], 1),
    "so-yt": (["15"], 1), "so-nv": (["18"], 1),
}


def figures(summary: dict) -> dict:
    """A summary's figures, without where they were read (paths, hashes and sheet names differ by format)."""
    out = {k: v for k, v in summary.items() if k not in ("inputs", "columns_ignored", "sheets_skipped")}
    out["registered"] = [{k: v for k, v in r.items() if k != "row"} for r in summary["registered"]]
    out["rejected_rows"] = [(r["row"], r["error"]) for r in summary.get("rejected_rows", [])]
    return out


@pytest.fixture(scope="module")
def fixture_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    return run_batch([BATCH], out, registered=read_registered(REGISTERED), jobs=1)


def test_summary_matches_the_hand_count(fixture_batch):
    summary = fixture_batch.summary.model_dump()
    for key, value in EXPECTED.items():
        assert summary[key] == value, key
    assert summary["ruleset"]["id"] == "thai-nguyen-2017-2020"  # named by the rows
    assert summary["years"] == [2019]


def test_design_agrees_with_expected_counts():
    """The hand count above is consistent with the design table it came from."""
    counts = {}
    for failing in DESIGN.values():
        for cid in failing:
            counts[cid] = counts.get(cid, 0) + 1
    assert counts == EXPECTED["failures_by_criterion"]
    met = [19 - len(f) - (name == "Xã Nam Hòa") for name, f in DESIGN.items()]
    assert round(sum(met) / len(met), 1) == EXPECTED["average_criteria_met"]


def test_departments_accountable_for_failures(fixture_batch):
    ruleset = load_ruleset("thai-nguyen-2017-2020")
    by_department = fixture_batch.summary.failures_by_department
    assert {k: (v.criteria, v.communes) for k, v in by_department.items()} == EXPECTED_DEPARTMENTS
    for did, d in by_department.items():
        assert d.name == ruleset.departments[did].vi


def test_registered_communes(fixture_batch):
    registered = {r.commune: r for r in fixture_batch.summary.registered}
    assert list(registered) == ["Xã Quyết Thắng", "Xã Hóa Thượng", "Xã Nam Hòa", "Xã Sơn Cẩm", "Xã Tràng Xá"]
    assert registered["Xã Quyết Thắng"].failing == ["10"]
    income = registered["Xã Quyết Thắng"].indicators[0]
    assert (income.id, income.value, income.threshold) == ("10", 28.4, 36)
    assert income.gap == pytest.approx(7.6)
    assert income.department_name == "Sở Nông nghiệp và Phát triển nông thôn"
    assert registered["Xã Hóa Thượng"].failing == ["10", "11", "13"]
    assert registered["Xã Nam Hòa"].attained is False and registered["Xã Nam Hòa"].missing == ["15"]
    assert registered["Xã Sơn Cẩm"].attained is True and registered["Xã Sơn Cẩm"].indicators == []
    assert registered["Xã Tràng Xá"].found is False  # its row was rejected


def test_districts(fixture_batch):
    districts = {d.district: d for d in fixture_batch.summary.districts}
    assert (districts["Thành phố Thái Nguyên"].assessed, districts["Thành phố Thái Nguyên"].attained) == (3, 2)
    assert districts["Thành phố Thái Nguyên"].average_criteria_met == 18.7  # 56 / 3
    assert districts["Huyện Đồng Hỷ"].missing_data == 1
    assert districts["Huyện Võ Nhai"].under_low_mark == ["Xã Phú Thượng", "Xã Cúc Đường", "Xã Thần Sa"]
    assert districts["Huyện Võ Nhai"].assessed == 3  # the two rejected rows are not counted


def test_every_row_is_assessed_or_rejected(fixture_batch):
    out = fixture_batch.out_dir
    assessed = list(read_assessments(out))
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert [a["commune"]["name"] for a in assessed] == list(DESIGN)  # input order
    # the header is row 1 and a blank row follows row 8: the broken rows are rows 13 and 14
    assert [(r["row"], r["source"]) for r in rejected] == [(13, str(BATCH)), (14, str(BATCH))]
    assert "village_roads_hardened_pct" in rejected[0]["error"] and "cách sửa:" in rejected[0]["error"]
    assert "region" in rejected[1]["error"] and "cách sửa:" in rejected[1]["error"]
    assert json.loads((out / "summary.json").read_text("utf-8"))["assessed"] == len(assessed)
    assert (out / "summary.html").read_text("utf-8").startswith("<!doctype html>")


def _csv_as_xlsx(path, percent_column=None):
    rows = list(csv.reader(BATCH.open(encoding="utf-8")))
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if percent_column:  # write one column as real percentages, the way Excel stores them
        index = rows[0].index(percent_column)
        for r in range(2, sheet.max_row + 1):
            cell = sheet.cell(row=r, column=index + 1)
            if cell.value:
                cell.value = float(str(cell.value).replace(",", ".")) / 100
                cell.number_format = "0.0%"
    book.save(path)
    return path


def test_xlsx_gives_the_same_summary(tmp_path, fixture_batch):
    xlsx = _csv_as_xlsx(tmp_path / "communes.xlsx", percent_column="health_insurance_coverage_pct")
    result = run_batch([xlsx], tmp_path / "out", registered=read_registered(REGISTERED), jobs=1)
    mine = figures(result.summary.model_dump())
    theirs = figures(fixture_batch.summary.model_dump())
    assert mine == theirs
    first = next(read_assessments(tmp_path / "out"))
    insurance = [i for c in first["criteria"] for i in c["indicators"] if i["field"] == "health_insurance_coverage_pct"]
    assert insurance[0]["value"] == pytest.approx(92.4)  # 92.4 % stored as 0.924


def test_jsonl_and_folder_inputs(tmp_path):
    names = ["tan-cuong-attains-2020.json", "phu-thuong-fails-several-2019.json", "hoa-binh-missing-data-2020.json"]
    folder = tmp_path / "communes"
    folder.mkdir()
    lines = []
    for name in names:
        text = (FIXTURES / name).read_text("utf-8")
        (folder / name).write_text(text, "utf-8")
        lines.append(json.dumps(json.loads(text), ensure_ascii=False))
    lines.insert(1, "{not json")
    lines.insert(2, "")
    (tmp_path / "communes.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    from_folder = run_batch([folder], tmp_path / "a", jobs=1).summary
    from_lines = run_batch([tmp_path / "communes.jsonl"], tmp_path / "b", jobs=1).summary
    assert from_folder.assessed == 3 and from_folder.rejected == 0
    assert (from_lines.assessed, from_lines.rejected) == (3, 1)
    rejected = json.loads((tmp_path / "b" / "rejected.jsonl").read_text("utf-8"))
    assert rejected["row"] == 2 and "không phải JSON hợp lệ" in rejected["error"]
    for key in ("attained", "not_attained", "missing_data", "failures_by_criterion", "brackets"):
        assert getattr(from_folder, key) == getattr(from_lines, key)
    assert (from_folder.attained, from_folder.missing_data) == (1, 1)


def test_parallel_equals_serial_and_loses_nothing(tmp_path):
    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(5)
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for n in range(3_000):
            if n % 401 == 7:
                handle.write('{"commune": {"name": "Xã hỏng"}, "year": "2020", "data": {}}\n')
                continue
            doc = random_document(rng, raw, rng.choice(["red_river_delta", "mekong_delta"]), 2020)
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    serial = run_batch([path], tmp_path / "serial", jobs=1)
    parallel = run_batch([path], tmp_path / "parallel", jobs=2)
    for name in ("assessments.jsonl", "ruleset.json", "rejected.jsonl", "summary.json"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes(), name
    assert serial.summary.assessed + serial.summary.rejected == 3_000
    assert serial.summary.rejected == len([n for n in range(3_000) if n % 401 == 7])
    assert parallel.summary == serial.summary


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_rests_while_a_part_is_assessed_and_is_left_as_it_was(tmp_path, monkeypatch, enabled):
    """The rows' objects die by reference counting: no collection runs while a part's rows are
    assessed (work.py), and the collector is left on or off as the caller had it."""
    import gc

    from ntm_rules.batch import work

    path = random_rows(tmp_path / "rows.jsonl", 300, seed=3)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collections_inside(monkeypatch, work, "_assess_rows") as collections:
            result = run_batch([path], tmp_path / "out", jobs=1)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert result.summary.assessed == 300 and collections == []


def test_the_parent_s_collector_rests_during_a_batch_and_each_worker_s_works(tmp_path, monkeypatch):
    """A batch's parent makes no collection from choosing its workers to putting the outputs in
    place (collector.py), and is left as it was; a worker it forks starts with its own collector on."""
    import gc
    import multiprocessing

    from ntm_rules import batch
    from ntm_rules.batch import work

    path = random_rows(tmp_path / "rows.jsonl", 600, seed=6, region="mekong_delta")
    with collections_inside(monkeypatch, batch, "_run") as collections:
        result = run_batch([path], tmp_path / "out", jobs=2)
    assert result.summary.assessed == 600 and collections == [] and gc.isenabled()

    def child(queue):
        gc.disable()  # as in the parent when it forks
        work.worker_start()
        queue.put(gc.isenabled())

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    assert queue.get(timeout=30) is True
    process.join(timeout=30)


def _awkward_lines(tmp_path):
    """A JSON Lines file with what clerks' exports hold: a BOM, CRLF line ends, blank lines, a line
    that is not UTF-8, a line too long to read, a repeated commune, no newline at the end."""
    from ntm_rules.limits import MAX_ROW_BYTES

    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(11)
    lines = []
    for n in range(40):
        doc = random_document(rng, raw, "red_river_delta", 2020)
        doc["commune"] = {"name": f"Xã {n % 31}", "province": "Hà Nội"}  # Xã 0..8 appear twice
        lines.append(json.dumps(doc, ensure_ascii=False).encode())
    lines[3] = b""
    lines[9] = b"   "
    lines[14] = "{\"commune\": {\"name\": \"Xã hỏng\"}}".encode("cp1258", errors="replace") + b"\xff"
    lines[20] = b'{"x": "' + b"a" * (MAX_ROW_BYTES + 10) + b'"}'
    path = tmp_path / "awkward.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines))
    return path


def test_parts_of_a_json_lines_file_read_as_the_whole(tmp_path, monkeypatch):
    """The workers read a JSON Lines file in parts (byte ranges the scan found): every row, its
    number and its problem are what one reading of the whole file gives, however it is cut."""
    from ntm_rules.inputs import sources

    path = _awkward_lines(tmp_path)
    whole = list(read_rows([path]))
    for lines in (1, 2, 3, 7, 250):
        monkeypatch.setattr(sources, "PART_LINES", lines)
        scanned = sources.scan([path])
        parts = scanned[0].parts
        assert len(parts) == -(-40 // lines)
        assert [row for part in parts for row in sources.jsonl_part(str(path), scanned[0].fd, *part)] == whole
        sources.close_inputs(scanned)


def test_a_repeated_commune_is_left_out_whichever_part_it_is_in(tmp_path, monkeypatch):
    """Cut in parts of 3 lines and assessed by 2 workers, the batch writes the same files as in one
    part by one process: each repeated commune rejected naming its first row, its line left out
    of assessments.jsonl, every row read counted once."""
    from ntm_rules.inputs import sources

    path = _awkward_lines(tmp_path)
    run_batch([path], tmp_path / "whole", jobs=1)
    monkeypatch.setattr(sources, "PART_LINES", 3)
    cut = run_batch([path], tmp_path / "cut", jobs=2)
    for name in ("assessments.jsonl", "ruleset.json", "rejected.jsonl", "summary.json"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes(), name
    summary = cut.summary
    # 40 lines, 2 blank; rejected: 2 unreadable, 8 repeats (Xã 3's first line is blank: not a repeat)
    assert summary.rows_read == 38 and (summary.assessed, summary.rejected) == (28, 10)
    lines = (tmp_path / "cut" / "assessments.jsonl").read_text("utf-8").splitlines()
    names = [json.loads(line)["commune"]["name"] for line in lines]
    assert len(names) == len(set(names)) == summary.assessed
    rejected = [json.loads(line) for line in (tmp_path / "cut" / "rejected.jsonl").read_text("utf-8").splitlines()]
    repeats = [r for r in rejected if "trùng với dòng" in r["error"]]
    assert sorted(r["row"] for r in repeats) == [32, 33, 34, 36, 37, 38, 39, 40]
    assert {r["row"] for r in rejected} - {r["row"] for r in repeats} == {15, 21}
    assert list(read_assessments(tmp_path / "cut"))[0]["commune"]["name"] == "Xã 0"


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("change", ["replaced", "removed"])
def test_a_json_lines_file_changed_by_name_during_the_batch_is_read_as_scanned(tmp_path, jobs, change):
    """The workers read the file the scan hashed (its descriptor, kept open), not whatever has
    its name by then: an editor's save (a new file renamed over it) or a removal changes nothing."""
    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(8)
    path = tmp_path / "communes.jsonl"
    documents = [random_document(rng, raw, "red_river_delta", 2020) for _ in range(1_000)]
    for n, document in enumerate(documents):
        document["commune"]["code"] = f"K{n}"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), "utf-8")
    scanned_hash = __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    done = []

    def on_progress(rows):
        if not done:
            done.append(rows)
            if change == "removed":
                path.unlink()
            else:
                other = tmp_path / "other.jsonl"
                other.write_text("".join(json.dumps({**d, "commune": {**d["commune"], "name": d["commune"]["name"] + "-v2"}},
                                                    ensure_ascii=False) + "\n" for d in documents[:300]), "utf-8")
                os.replace(other, path)

    result = run_batch([path], tmp_path / "out", ruleset="vn-2016-2020", jobs=jobs, on_progress=on_progress)
    assert done and (result.summary.assessed, result.summary.rejected) == (1_000, 0)
    assert result.summary.inputs[0].sha256 == scanned_hash
    names = [a["commune"]["name"] for a in read_assessments(tmp_path / "out")]
    assert names == [d["commune"]["name"] for d in documents]


def test_row_naming_another_ruleset_is_rejected(tmp_path):
    first = dict(attaining_document("vn-2016-2020", "red_river_delta", 2020), commune={"name": "Xã Một"})
    other = dict(first, ruleset="thai-nguyen-2017-2020", commune={"name": "Xã Hai"})
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(other) + "\n", "utf-8")
    summary = run_batch([path], tmp_path / "out", jobs=1).summary
    assert (summary.assessed, summary.rejected) == (1, 1)
    error = json.loads((tmp_path / "out" / "rejected.jsonl").read_text("utf-8"))["error"]
    assert "thai-nguyen-2017-2020" in error and "tham số ruleset" in error  # worded for the library's caller
    done = subprocess.run([sys.executable, "-m", "ntm_rules", "batch", str(path), "--out", str(tmp_path / "cli")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    said = json.loads((tmp_path / "cli" / "rejected.jsonl").read_text("utf-8"))["error"]
    assert "chọn bộ thai-nguyen-2017-2020 bằng --ruleset" in said  # and for the command line's user
    # the caller's ruleset wins for every row, as with one commune
    summary = run_batch([path], tmp_path / "out2", ruleset="vn-2016-2020", jobs=1).summary
    assert (summary.assessed, summary.rejected) == (2, 0)


@pytest.mark.parametrize("cell, kind, expected", [
    ("16,1", "pct", 16.1), ("16.1", "pct", 16.1), ("1.234,5", "number", 1234.5), ("72,5 %", "pct", 72.5),
    ("100", "pct", 100.0), (100, "pct", 100.0), ("3", "count", 3), (3.0, "count", 3), ("2019", "year", 2019),
    ("Đạt", "bool", True), ("Không đạt", "bool", False), ("không đạt", "bool", False), ("Chưa đạt", "bool", False),
    ("TRUE", "bool", True), ("có", "bool", True), (1, "bool", True), (0, "bool", False),
    ("khoảng 60", "pct", "khoảng 60"), ("có lẽ", "bool", "có lẽ"), ("3,5", "count", 3.5),
])
def test_spreadsheet_cells(cell, kind, expected):
    assert _convert(cell, kind) == expected
    assert type(_convert(cell, kind)) is type(expected)


def test_a_misspelt_column_refuses_the_file_naming_the_closest_field(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("commune.name,year,region,income_per_capita_milion_vnd\nXã A,2020,red_river_delta,50\n", "utf-8")
    with pytest.raises(InputError, match="column D .* did you mean income_per_capita_million_vnd"):
        run_batch([path], tmp_path / "out", jobs=1)
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_semicolon_csv_with_bom(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("\ufeffcommune.name;year;region;income_per_capita_million_vnd\nXã A;2020;red_river_delta;50,5\n",
                    "utf-8")
    rows = list(read_rows([path]))
    assert rows[0].document["data"] == {"income_per_capita_million_vnd": 50.5}
    assert rows[0].document["commune"] == {"name": "Xã A"}


@pytest.mark.parametrize("total, count, expected", [(161, 10, 16.1), (1605, 100, 16.1), (1615, 100, 16.2),
                                                   (56, 3, 18.7), (19, 3, 6.3), (0, 5, 0.0)])
def test_average_rounds_half_up(total, count, expected):
    assert average(total, count) == expected


def test_registered_formats(tmp_path):
    (tmp_path / "r.json").write_text('["Xã A", {"name": "Xã B", "district": "Huyện C", "code": "1"}]', "utf-8")
    (tmp_path / "r.csv").write_text("name,district\nXã A,Huyện C\n", "utf-8")
    assert read_registered(tmp_path / "r.json") == [{"name": "Xã A"}, {"name": "Xã B", "district": "Huyện C", "code": "1"}]
    assert read_registered(tmp_path / "r.csv") == [{"name": "Xã A", "district": "Huyện C"}]
    (tmp_path / "r.xml").write_text("<x/>", "utf-8")
    with pytest.raises(InputError, match="fix:"):
        read_registered(tmp_path / "r.xml")


def test_registered_matched_by_code_and_exact_name_a_name_without_diacritics_only_suggested(tmp_path):
    registered = [{"name": "xa quyet thang"}, {"name": "Other name", "code": "05692"}, {"name": "xã  QUYẾT thắng"}]
    summary = run_batch([BATCH], tmp_path / "out", registered=registered, jobs=1).summary
    assert [(r.commune, r.found) for r in summary.registered] == [
        ("xa quyet thang", False), ("Xã Hóa Thượng", True), ("Xã Quyết Thắng", True)]
    assert summary.registered[0].status == "not_found"
    assert summary.registered[0].suggestion.startswith("Xã Quyết Thắng")


def test_template_lists_every_field_and_round_trips(tmp_path):
    ruleset = load_ruleset("vn-2016-2020")
    subprocess.run([sys.executable, "-m", "ntm_rules", "template", "--format", "xlsx", "--out",
                    str(tmp_path / "t.xlsx")], check=True, cwd=ROOT)
    book = load_workbook(tmp_path / "t.xlsx")
    header = [c.value for c in book.worksheets[0][2]]  # the field ids, beneath the labels
    fields = [c["field"] for _, _, c in reference.all_checks(reference.load_raw("vn-2016-2020"))]
    assert header[:6] == ["commune.name", "commune.district", "commune.province", "commune.code", "region", "year"]
    assert header[6:] == list(dict.fromkeys(fields))
    guide = [row[1].value for row in book.worksheets[1].iter_rows(min_row=5)]
    assert set(header) <= set(guide)
    # fill one commune that meets every threshold, in Vietnamese spreadsheet style, and assess it
    document = attaining_document("vn-2016-2020", "southeast", 2020)
    sheet = book.worksheets[0]
    row = ["Xã Điền", None, None, None, "southeast", 2020]
    for field in header[6:]:
        value = document["data"][field]
        row.append(("Đạt" if value else "Không đạt") if isinstance(value, bool)
                   else str(value).replace(".", ",") if isinstance(value, float) else value)
    sheet.append(row)
    book.save(tmp_path / "filled.xlsx")
    summary = run_batch([tmp_path / "filled.xlsx"], tmp_path / "out", jobs=1).summary
    assert (summary.assessed, summary.attained) == (1, 1)
    assert [c[0] for c in template_columns(ruleset)] == header
    subprocess.run([sys.executable, "-m", "ntm_rules", "template", "--format", "csv", "--out",
                    str(tmp_path / "t.csv")], check=True, cwd=ROOT)
    assert list(csv.reader((tmp_path / "t.csv").open(encoding="utf-8-sig")))[1] == header


def run_cli(*args, cwd=ROOT, lang=None):
    env = {**os.environ, "NTM_LANG": lang} if lang else None
    return subprocess.run([sys.executable, "-m", "ntm_rules", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env)


def test_batch_command(tmp_path, fixture_batch):
    done = run_cli("batch", BATCH, "--registered", REGISTERED, "--out", tmp_path)
    assert done.returncode == 1  # two rows rejected
    assert "14,1" in done.stdout and "Xã Thần Sa" in done.stdout
    assert done.stderr == ""  # no progress bar when standard error is not a terminal
    assert figures(json.loads((tmp_path / "summary.json").read_text("utf-8"))) == figures(json.loads(
        fixture_batch.summary.model_dump_json()))
    english = run_cli("batch", BATCH, "--out", tmp_path / "en", "--lang", "en", "--format", "json")
    assert json.loads(english.stdout)["average_criteria_met"] == 14.1
    assert 'lang="en"' in (tmp_path / "en" / "summary.html").read_text("utf-8")


def test_batch_exit_zero_when_nothing_rejected(tmp_path):
    done = run_cli("batch", FIXTURES / "tan-cuong-attains-2020.json", "--out", tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("args, message", [
    (["no-such.csv"], "no such file"),
    (["README.md"], "cannot read .md"),
    ([str(BATCH), "--ruleset", "no-such-ruleset"], "no-such-ruleset"),
    ([str(BATCH), "--registered", "nowhere.txt"], "nowhere.txt: no such file"),
])
def test_batch_unusable_input_exits_2(tmp_path, args, message):
    done = run_cli("batch", *args, "--out", tmp_path, lang="en")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_summary_shows_registered_model_communes_with_relative_and_option_thresholds(tmp_path):
    """Registered communes whose failing values are a list of options, or a threshold relative to a
    value the commune lacks (no threshold to show), and codes and districts given as numbers."""
    base = json.loads((FIXTURES / "model" / "thai-nguyen-model-attains-2020.json").read_text("utf-8"))
    no_field = json.loads(json.dumps(base))
    no_field["commune"].update(name="Xã Không Lĩnh Vực", code="09901")  # codes no unit of the directory has
    no_field["data"]["outstanding_fields"] = []
    no_base = json.loads(json.dumps(base))
    no_base["commune"].update(name="Xã Không Gốc", code="09902")
    del no_base["data"]["income_at_ntm_recognition_million_vnd"]
    path = tmp_path / "model.jsonl"
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in (base, no_field, no_base)) + "\n", "utf-8")
    registered = tmp_path / "registered.json"
    registered.write_text(json.dumps([{"name": "Xã Không Lĩnh Vực", "code": 9901}, {"name": "Xã Không Gốc", "code": 9902},
                                      "Xã Khác"], ensure_ascii=False), "utf-8")
    done = run_cli("batch", path, "--registered", registered, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    by_name = {r["commune"]: r for r in summary["registered"]}
    options = by_name["Xã Không Lĩnh Vực"]
    assert options["found"] and options["attained"] is False
    assert [(i["id"], i["value"]) for i in options["indicators"]] == [("5", [])]
    relative = {i["id"]: i for i in by_name["Xã Không Gốc"]["indicators"]}
    assert relative["1.3"]["status"] == "missing" and relative["1.3"]["threshold"] is None
    assert by_name["Xã Khác"]["found"] is False
    assert "Xã Không Lĩnh Vực" in done.stdout and "Traceback" not in done.stderr


def test_a_row_whose_text_holds_a_lone_surrogate_after_a_large_number_is_rejected_not_a_crash(tmp_path):
    """Such a row was read without its text checked; its rejection then could not be written, and
    the whole batch ended in an internal error (exit 3)."""
    document = json.loads((FIXTURES / "tan-cuong-attains-2020.json").read_text("utf-8"))
    bad = json.dumps({"year": 1e300, **{k: v for k, v in document.items() if k not in ("year", "region")},
                      "region": "REGION"}).replace('"REGION"', '"X\\udc80"')
    path = tmp_path / "rows.jsonl"
    path.write_text(bad + "\n" + json.dumps(document, ensure_ascii=False) + "\n", "utf-8")
    result = run_batch([path], tmp_path / "out", jobs=1, lang="en")
    assert (result.summary.assessed, result.summary.rejected, result.summary.internal_errors) == (1, 1, 0)
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert rejected[0]["row"] == 1 and "lone surrogate" in rejected[0]["error"]


def test_a_parts_records_share_their_equal_parts_so_the_parent_unpickles_each_once(tmp_path):
    """The same criteria and departments fail in many communes: a worker's records hold one object
    for each such value, which pickle writes once per part and the parent reads once."""
    from ntm_rules.batch import work
    from ntm_rules.inputs.sources import close_inputs, scan

    scanned = scan([random_rows(tmp_path / "rows.jsonl", 300, seed=5)])
    try:
        task = next(iter(work.Tasks(scanned, 1)))
        _, results = work.assess_part(task, str(ROOT / "rulesets" / "vn-2016-2020.yaml"), True)
    finally:
        close_inputs(scanned)
    records = [record for status, record, _ in results if status == "ok"]
    assert len(records) > 100
    for part in ("not_met", "missing", "departments", "resolved", "place"):
        alike = {}
        for record in records:
            first = alike.setdefault(record[part], record[part])
            assert first is record[part], part
        assert len(alike) < len(records), part  # some are alike, and those are one object
    assert len(work._SHARED) <= 4096


@pytest.mark.parametrize("value", [1e25, 1e300, -1e300, 10 ** 30, 10 ** 400])
def test_a_number_too_large_to_print_is_refused_naming_its_field_not_a_crash(value):
    """babel cannot write a number from about 1e25 up: the message saying it is out of range
    crashed (an internal error, exit 3), in a document, the library and a batch's rows alike."""
    document = json.loads((FIXTURES / "tan-cuong-attains-2020.json").read_text("utf-8"))
    document["data"]["commune_roads_paved_pct"] = value
    with pytest.raises(InputError, match="commune_roads_paved_pct") as refused:
        ntm_rules.assess(document)
    assert refused.value.field == "data.commune_roads_paved_pct"
    assert "e+" in str(refused.value) or value == 10 ** 400  # (that one is no float: "a valid number")


def test_a_csv_cell_too_large_to_print_is_a_rejected_row(tmp_path):
    lines = BATCH.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("commune_roads_paved_pct")
    cells = lines[1].split(",")
    cells[column] = "1E+30"
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", "utf-8")
    result = run_batch([path], tmp_path / "out", lang="en", jobs=1)
    assert result.summary.internal_errors == 0 and result.summary.rejected >= 1
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert any(r["row"] == 2 and "1e+30 is outside the plausible range" in r["error"] for r in rejected), rejected


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("change", ["truncated", "rewritten"])
def test_a_json_lines_file_written_to_in_place_during_the_batch_is_refused_not_summarised(tmp_path, jobs, change):
    """The workers read a JSON Lines file from the descriptor the scan hashed: written to in place
    meanwhile (truncated, or its bytes changed), it no longer holds the rows scanned and hashed, so
    the batch is refused (exit 2), never summarised as complete with rows lost."""
    path = random_rows(tmp_path / "communes.jsonl", 1_000, seed=9)
    done = []

    def on_progress(rows):
        if not done:
            done.append(rows)
            if change == "truncated":
                os.truncate(path, path.stat().st_size // 3)
            else:
                with open(path, "r+b") as handle:
                    handle.seek(path.stat().st_size // 2)
                    handle.write(b" ")

    with pytest.raises(InputError, match="changed while it was read"):
        run_batch([path], tmp_path / "out", ruleset="vn-2016-2020", jobs=jobs, on_progress=on_progress)
    assert done and not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("suffix, how", [(".csv", "written"), (".jsonl", "written"), (".csv", "replaced")])
def test_an_input_written_to_while_it_is_scanned_is_refused_before_anything_is_written(tmp_path, monkeypatch,
                                                                                       suffix, how):
    """A CSV or JSON Lines input is hashed in a thread beside the reading of its lines, and a table
    is then read again by its name: a file written to, or replaced, meanwhile would be summarised
    under a hash of other bytes; it is refused at once."""
    from ntm_rules import files

    path = tmp_path / f"rows{suffix}"
    path.write_bytes(BATCH.read_bytes() if suffix == ".csv" else random_rows(tmp_path / "r.jsonl", 50, 3).read_bytes())
    real = files.Sha256.hexdigest

    def written_meanwhile(self):
        if how == "replaced":  # an editor's save: a new file renamed over it
            (tmp_path / "new.csv").write_bytes(path.read_bytes())
            os.replace(tmp_path / "new.csv", path)
            return real(self)
        with open(path, "r+b") as handle:
            handle.seek(5)
            same = handle.read(1)
            handle.seek(5)
            handle.write(same)  # the same byte: only the time of change moves
        return real(self)

    monkeypatch.setattr(files.Sha256, "hexdigest", written_meanwhile)
    with pytest.raises(InputError, match="changed while it was read"):
        run_batch([path], tmp_path / "out", jobs=1)
    assert not (tmp_path / "out").exists()
