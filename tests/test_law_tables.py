"""The law as a workbook: export → import is exact, a workbook written here becomes a working set,
drafts refuse to assess, import errors name sheet and cell, the set in force is chosen by date,
and a set that varies by commune group runs end to end.

The sets under tests/rulesets/in-force are invented for these tests and are not law.
"""
from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

import ntm_rules
from ntm_rules.errors import InputError, RulesetError
from ntm_rules.law import tables
from ntm_rules.law.diff import diff
from ntm_rules.law.catalogue import _specs_of, with_prerequisites
from ntm_rules.law.load import load_ruleset
from ntm_rules.law.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
IN_FORCE = Path(__file__).resolve().parent / "rulesets" / "in-force"
SHIPPED = sorted(p.stem for p in (ROOT / "rulesets").glob("*.yaml"))


def cli(*args, env_extra=None, stdin=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "NTM_RULESETS_PATH"}
    env.update({"NTM_LANG": "vi", **(env_extra or {})})
    return subprocess.run([sys.executable, "-m", "ntm_rules", *args], capture_output=True, text=True, env=env,
                          input=stdin, cwd=cwd, timeout=120)


def without_digests(value):
    """An assessment as JSON, without the sha256 of the file the set was read from."""
    if isinstance(value, dict):
        return {k: without_digests(v) for k, v in value.items() if k != "sha256"}
    if isinstance(value, list):
        return [without_digests(v) for v in value]
    return value


def outcome(document: dict, ruleset) -> object:
    try:
        return without_digests(ntm_rules.assess(document, ruleset).model_dump(mode="json"))
    except (InputError, RulesetError) as error:
        return ("refused", type(error).__name__, str(error).replace(str(getattr(ruleset, "path", "")), "SET"))


def generated_documents(ruleset, count: int, seed: int) -> list[dict]:
    """Communes near every threshold the set (and the sets whose verdict it requires) applies:
    at, just below and just above each value, some fields absent, for every region or group and year."""
    rng = random.Random(seed)
    sets = with_prerequisites(ruleset)
    specs = _specs_of(sets)
    dims = list(ruleset.applies_to or ruleset.dimension_values)
    years = list(range(ruleset.period.from_, ruleset.period.to + 1))
    documents = []
    for _ in range(count):
        dim, year = rng.choice(dims), rng.choice(years)
        near: dict[str, list] = {}
        for rs in sets:
            for _, check in resolve(rs, dim, year).checks:
                if check.relative_to is None and not isinstance(check.threshold, bool):
                    near.setdefault(check.field, []).append(check.threshold)
        data = {}
        for name, spec in specs.items():
            if rng.random() < 0.03:
                continue
            if spec.type == "bool":
                data[name] = rng.random() < 0.9
            elif spec.type == "options":
                data[name] = rng.sample(list(spec.options), rng.randint(0, min(3, len(spec.options))))
            elif spec.type == "year":
                data[name] = rng.randint(year - 6, year + 1)
            else:
                low, high = spec.low if spec.low is not None else 0, spec.high if spec.high is not None else 100
                if near.get(name) and rng.random() < 0.8:
                    value = rng.choice(near[name]) + rng.choice([-1, -0.1, 0, 0, 0.1, 1])
                else:
                    value = rng.uniform(low, min(high, 120))
                value = min(max(value, low), high)
                data[name] = int(round(value)) if spec.type == "count" else round(value, 1)
        key = "region" if ruleset.varies_by == "region" else "commune_group"
        documents.append({"commune": {"name": f"Xã {rng.getrandbits(40)}", "province": "Thái Nguyên"},
                          key: dim if key == "region" else int(dim), "year": year, "data": data})
    return documents


# ------------------------------------------------------------------------------------ round trip

@pytest.fixture(scope="module", params=SHIPPED)
def round_trip(request, tmp_path_factory):
    original = load_ruleset(request.param)
    folder = tmp_path_factory.mktemp(request.param)
    workbook = tables.export(original, folder / "table.xlsx")
    imported = tables.import_workbook(workbook, folder, extends=original.extends)
    return original, imported


def test_export_then_import_says_the_same_law(round_trip):
    original, imported = round_trip
    assert imported.id == original.id and imported.status == "final"
    assert imported.extends == original.extends
    assert diff(original, imported).same
    shown = cli("rulesets", "diff", original.path, imported.path)
    assert shown.returncode == 0, shown.stdout + shown.stderr


def test_export_then_import_gives_the_same_verdicts(round_trip):
    original, imported = round_trip
    documents = [json.loads(p.read_text("utf-8")) for p in sorted(FIXTURES.rglob("*.json"))
                 if "invalid" not in p.parts]
    documents += generated_documents(original, 600, seed=len(original.id))  # near every threshold: enough to differ
    assessed = 0
    for document in documents:
        document.pop("ruleset", None)
        before, after = outcome(document, original), outcome(document, imported)
        assert before == after, document
        assessed += not isinstance(before, tuple)
    assert assessed >= 600  # the generated communes are assessed, not refused


def test_a_changed_threshold_is_a_difference(round_trip, tmp_path):
    original, _ = round_trip
    workbook = tables.export(original, tmp_path / "table.xlsx")
    book = load_workbook(workbook)
    sheet = book[tables.SHEETS["rows"]]
    keys = [c.value for c in sheet[2]]
    operator = keys.index("operator")
    changed = None
    for row in sheet.iter_rows(min_row=3):
        for key, cell in zip(keys, row):
            value = cell.value
            if not (key and key.startswith("value|")) or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if row[operator].value == ">=" and value < 100:  # tightened, so an extension may say it
                cell.value = changed = value + 1
            elif row[operator].value == "<=" and value >= 1:
                cell.value = changed = value - 1
            if changed is not None:
                break
        if changed is not None:
            break
    assert changed is not None
    book.save(workbook)
    imported = tables.import_workbook(workbook, tmp_path, extends=original.extends)
    assert not diff(original, imported).same
    assert cli("rulesets", "diff", original.path, imported.path).returncode == 1


# ------------------------------------------------------------------- a workbook written by hand

def write_workbook(path: Path, *, new_field: str, ruleset_id: str = "test-solar-2021-2025", value=60,
                   source: str = "invented", confirmed: str = "Không") -> Path:
    """A two-indicator set written cell by cell as an office would, one of them on a field no shipped
    set has. Invented values, not law."""
    from openpyxl import Workbook

    book = Workbook()
    meta = book.active
    meta.title = tables.SHEETS["meta"]
    meta.append(["key", "value"])
    for key, cell in {"id": ruleset_id, "status": "final", "level": "standard",
                      "title_vi": "THỬ NGHIỆM, không phải luật: bộ có trường mới", "title_en": "TEST, not law: a set with a new field",
                      "document": "Văn bản thử (không phải luật)", "decision_date": "2022-02-08",
                      "period_from": 2021, "period_to": 2025, "varies_by": "region"}.items():
        meta.append([key, cell])
    rows = book.create_sheet(tables.SHEETS["rows"])
    keys = [k for k, _ in tables.ROW_COLUMNS]
    people = [label for _, label in tables.ROW_COLUMNS]
    regions = ["northern_midlands_mountains", "red_river_delta", "north_central_coast", "south_central_coast",
               "central_highlands", "southeast", "mekong_delta"]
    for region in regions:
        for part, label in tables.VALUE_PARTS:
            keys.append(f"{part}|{region}|")
            people.append(f"{label} — {region}")
    rows.append(people)
    rows.append(keys)

    def row(**cells):
        values = {**cells}
        line = [values.get(k) for k, _ in tables.ROW_COLUMNS]
        for region in regions:
            line += [values.get("value"), values.get("source"), values.get("confirmed"), None, None, None]
        rows.append(line)

    common = dict(criterion="1", criterion_vi="Giao thông", criterion_en="Transport", group="I",
                  criterion_department="transport", criterion_department_source="invented",
                  criterion_department_confirmed="Không")
    row(**common, indicator="1.1", content_vi="Tỷ lệ thôn có đèn đường năng lượng mặt trời",
        content_en="Villages with solar street lights", field=new_field, unit_vi="%", unit_en="%", type="pct",
        operator=">=", value=value, source=source, confirmed=confirmed)
    row(**common, indicator="1.2", content_vi="Tỷ lệ km đường xã được nhựa hóa", content_en="Commune roads paved",
        field="commune_roads_paved_pct", type="pct", operator=">=", value=100, source="invented", confirmed="Không")
    sources = book.create_sheet(tables.SHEETS["sources"])
    sources.append(["key", "url", "document_vi", "document_en", "note_vi", "note_en"])
    sources.append(["invented", None, None, None, "Giá trị bịa cho kiểm thử, không phải luật", "Invented for tests, not law"])
    departments = book.create_sheet(tables.SHEETS["departments"])
    departments.append(["id", "vi", "en"])
    departments.append(["transport", "Sở Xây dựng (thử)", "Department of Construction (test)"])
    groups = book.create_sheet(tables.SHEETS["groups"])
    groups.append(["id", "vi", "en"])
    groups.append(["I", "Hạ tầng", "Infrastructure"])
    fields = book.create_sheet(tables.SHEETS["fields"])
    fields.append(["field", "label_vi", "label_en", "unit_vi", "unit_en", "range_low", "range_high", "options"])
    fields.append([new_field, "tỷ lệ thôn có đèn đường năng lượng mặt trời", "villages with solar street lights",
                   "%", "%", None, None, None])
    book.save(path)
    return path


NEW_FIELD = "villages_with_solar_street_lights_pct"


def solar_document(value) -> dict:
    return {"commune": {"name": "Xã Thử", "province": "Thái Nguyên"}, "year": 2023,
            "data": {NEW_FIELD: value, "commune_roads_paved_pct": 100}}


def test_a_workbook_adding_a_field_assesses_documents_that_carry_it(tmp_path):
    workbook = write_workbook(tmp_path / "solar.xlsx", new_field=NEW_FIELD)
    made = cli("rulesets", "import", str(workbook), "--out", str(tmp_path))
    assert made.returncode == 0, made.stderr
    path = tmp_path / "test-solar-2021-2025.yaml"
    assert path.is_file()
    ruleset = load_ruleset(path)
    below, at, above = (ntm_rules.assess(solar_document(v), ruleset) for v in (59.9, 60, 60.1))
    assert (below.attained, at.attained, above.attained) == (False, True, True)
    found = [i for c in below.criteria for i in c.indicators if i.id == "1.1"][0]
    assert found.status == "not_met" and found.value == 59.9 and not found.verified
    # the report names the new field's indicator and flags the value as unconfirmed
    (tmp_path / "doc.json").write_text(json.dumps(solar_document(59.9)), "utf-8")
    report = cli(str(tmp_path / "doc.json"), "--ruleset", str(path))
    assert report.returncode == 1
    assert "1.1" in report.stdout and "chưa xác nhận" in report.stdout
    # the same document under the national set: the field is unknown there, the document refused
    national = cli(str(tmp_path / "doc.json"), "--ruleset", "vn-2016-2020")
    assert national.returncode == 2 and NEW_FIELD in national.stderr
    with pytest.raises(InputError):
        ntm_rules.assess({**solar_document(60), "region": "red_river_delta", "year": 2020}, "vn-2016-2020")
    # its input schema lists the field; the national one does not
    schema = json.loads(cli("schema", "input", "--ruleset", str(path)).stdout)
    assert NEW_FIELD in json.dumps(schema)
    assert NEW_FIELD not in cli("schema", "input", "--ruleset", "vn-2016-2020").stdout


def test_the_new_field_in_template_batch_summary_and_plan(tmp_path):
    write_workbook(tmp_path / "solar.xlsx", new_field=NEW_FIELD)
    folder = tmp_path / "sets"
    folder.mkdir()
    assert cli("rulesets", "import", str(tmp_path / "solar.xlsx"), "--out", str(folder)).returncode == 0
    env = {"NTM_RULESETS_PATH": str(folder)}
    template = cli("template", "--format", "csv", "--ruleset", "test-solar-2021-2025", "--out",
                   str(tmp_path / "t.csv"), env_extra=env)
    assert template.returncode == 0, template.stderr
    header = (tmp_path / "t.csv").read_text("utf-8-sig").splitlines()
    assert NEW_FIELD in header[1]
    with open(tmp_path / "communes.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["commune.name", "commune.province", "year", NEW_FIELD, "commune_roads_paved_pct"])
        writer.writerow(["Xã Một", "Thái Nguyên", 2023, 59, 100])
        writer.writerow(["Xã Hai", "Thái Nguyên", 2023, 75, 100])
    batch = cli("batch", str(tmp_path / "communes.csv"), "--ruleset", "test-solar-2021-2025", "--out",
                str(tmp_path / "out"), "--format", "json", env_extra=env)
    assert batch.returncode == 0, batch.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["assessed"] == 2 and summary["attained"] == 1
    assert summary["failures_by_criterion"] == {"1": 1}
    # bands and the low mark follow the set's own number of criteria (1 here, not 19)
    assert summary["brackets"] == {"1": 1, "0": 1} and summary["low_mark"] == 1
    assert summary["under_low_mark"] == ["Xã Một"]
    (tmp_path / "doc.json").write_text(json.dumps(solar_document(59)), "utf-8")
    plan = cli(str(tmp_path / "doc.json"), "--ruleset", "test-solar-2021-2025", "--plan", str(tmp_path / "plan.csv"),
               env_extra=env)
    assert plan.returncode == 1, plan.stderr
    text = (tmp_path / "plan.csv").read_text("utf-8-sig")
    assert "đèn đường năng lượng mặt trời" in text and "59" in text


# ------------------------------------------------------------------------ import errors, placed

def test_import_errors_name_sheet_cell_and_fix(tmp_path):
    bad_number = write_workbook(tmp_path / "a.xlsx", new_field=NEW_FIELD, value="sáu mươi")
    made = cli("rulesets", "import", str(bad_number), "--out", str(tmp_path))
    assert made.returncode == 2 and "Chỉ tiêu" in made.stderr and "Traceback" not in made.stderr
    cell = made.stderr.split("Chỉ tiêu!")[1][:3]
    assert cell[0].isalpha() and cell[-1] == "3", made.stderr  # the value cell of the first indicator (row 3)
    unknown_source = write_workbook(tmp_path / "b.xlsx", new_field=NEW_FIELD, source="nowhere")
    made = cli("rulesets", "import", str(unknown_source), "--out", str(tmp_path))
    assert made.returncode == 2 and "nowhere" in made.stderr and "Nguồn" in made.stderr
    missing = write_workbook(tmp_path / "c.xlsx", new_field=NEW_FIELD, value=None)
    made = cli("rulesets", "import", str(missing), "--out", str(tmp_path))
    assert made.returncode == 2 and "Chỉ tiêu!" in made.stderr
    wrong_name = cli("rulesets", "import", str(tmp_path / "a.xlsx"), "--out", str(tmp_path / "other-name.yaml"))
    assert wrong_name.returncode == 2
    english = cli("rulesets", "import", str(unknown_source), "--out", str(tmp_path), "--lang", "en")
    assert english.returncode == 2 and "source" in english.stderr
    assert not list(tmp_path.glob("*.yaml")), "nothing is written when the table is refused"


def test_confirmed_without_an_address_is_refused_at_its_cells(tmp_path):
    workbook = write_workbook(tmp_path / "d.xlsx", new_field=NEW_FIELD, confirmed="Có")
    made = cli("rulesets", "import", str(workbook), "--out", str(tmp_path))
    lines = made.stderr.strip().splitlines()
    assert made.returncode == 2 and len(lines) == 7, made.stderr  # one per region's "confirmed" cell, all at once
    assert all("Chỉ tiêu!" in line and line.split("Chỉ tiêu!")[1].split(":")[0].endswith("3") for line in lines)
    assert "Đã xác nhận = Có" in lines[0] and "cách sửa" in lines[0]


def test_a_percentage_out_of_range_and_a_short_final_table_are_placed(tmp_path):
    over = write_workbook(tmp_path / "e.xlsx", new_field=NEW_FIELD, value=170)
    made = cli("rulesets", "import", str(over), "--out", str(tmp_path))
    assert made.returncode == 2 and "0–100" in made.stderr and "Chỉ tiêu!" in made.stderr
    short = write_workbook(tmp_path / "f.xlsx", new_field=NEW_FIELD)
    book = load_workbook(short)
    book[tables.SHEETS["meta"]].append(["indicator_count", 57])
    book.save(short)
    made = cli("rulesets", "import", str(short), "--out", str(tmp_path))
    assert made.returncode == 2 and "Bộ tiêu chí!indicator_count" in made.stderr and "57" in made.stderr


# --------------------------------------------------------------------------------------- drafts

@pytest.mark.parametrize("period, count, columns", [("2021-2025", 57, 7), ("2026-2030", 47, 3)])
def test_draft_templates_import_as_drafts_and_refuse_to_assess(tmp_path, period, count, columns):
    workbook = tmp_path / f"bang-{period}.xlsx"
    assert cli("rulesets", "template", "--period", period, "--out", str(workbook)).returncode == 0
    sheet = load_workbook(workbook, read_only=True)[tables.SHEETS["rows"]]
    keys = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert len({k.split("|")[1] for k in keys if k and k.startswith("value|")}) == columns
    made = cli("rulesets", "import", str(workbook), "--out", str(tmp_path))
    assert made.returncode == 0, made.stderr
    path = tmp_path / f"draft-{period}.yaml"
    ruleset = load_ruleset(path)
    assert ruleset.status == "draft"
    validated = cli("validate", str(path))
    assert validated.returncode == 0 and f"0/{count}" in validated.stdout.replace(" of ", "/"), validated.stdout
    start = int(period[:4])
    document = {"commune": {"name": "Xã Thử"}, "region": "red_river_delta", "year": start, "commune_group": 2,
                "data": {}}
    refused = cli("-", "--ruleset", str(path), stdin=json.dumps(document))
    assert refused.returncode == 2 and f"0/{count}" in refused.stderr, refused.stderr
    # shipped, nothing of the period is law: without --ruleset the document has no set in force
    unset = cli("-", stdin=json.dumps(document))
    assert unset.returncode == 2 and f"rulesets template --period {period}" in unset.stderr


def test_a_partly_filled_draft_counts_what_is_filled(tmp_path):
    workbook = tmp_path / "bang.xlsx"
    assert cli("rulesets", "template", "--period", "2021-2025", "--out", str(workbook)).returncode == 0
    book = load_workbook(workbook)
    sheet = book[tables.SHEETS["rows"]]
    keys = [c.value for c in sheet[2]]
    column = {k: i + 1 for i, k in enumerate(keys) if k}
    sheet.cell(3, column["content_vi"]).value = "Thu nhập (thử, không phải luật)"
    sheet.cell(3, column["field"]).value = "income_per_capita_million_vnd"
    sheet.cell(3, column["type"]).value = "number"
    sheet.cell(3, column["operator"]).value = ">="
    for key, index in column.items():
        if key.startswith("value|"):
            sheet.cell(3, index).value = 50
        if key.startswith("source|"):
            sheet.cell(3, index).value = "to-fill"
        if key.startswith("confirmed|"):
            sheet.cell(3, index).value = "Không"
    book.save(workbook)
    assert cli("rulesets", "import", str(workbook), "--out", str(tmp_path)).returncode == 0
    document = {"commune": {"name": "Xã Thử"}, "region": "red_river_delta", "year": 2023, "data": {}}
    refused = cli("-", "--ruleset", str(tmp_path / "draft-2021-2025.yaml"), stdin=json.dumps(document))
    assert refused.returncode == 2 and "1/57" in refused.stderr, refused.stderr


# ------------------------------------------------------------------------ in force, by date

def chosen_set(document: dict) -> tuple[int, str]:
    shown = cli("-", "--format", "json", stdin=json.dumps(document), env_extra={"NTM_RULESETS_PATH": str(IN_FORCE)})
    if shown.returncode == 2:
        return 2, shown.stderr
    return shown.returncode, json.loads(shown.stdout)["ruleset"]["id"]


def dated(day: str, year: int, province="Hà Nội", **extra) -> dict:
    return {"commune": {"name": "Xã Thử", "province": province}, "year": year, "assessment_date": day,
            "data": {"income_per_capita_million_vnd": 100, "health_insurance_coverage_pct": 99,
                     "multidimensional_poverty_rate_pct": 0}, **extra}


def test_the_set_in_force_is_chosen_by_date_at_each_boundary():
    # the shipped 2016–2020 set: its last day, then the next period's first day (year 2020 no longer assessed)
    assert chosen_set(dated("2022-03-07", 2020))[1] == "vn-2016-2020"
    code, message = chosen_set(dated("2022-03-08", 2020))
    assert code == 2 and "2021-2025" in message
    # the (test) 2021–2025 national set: not before its first day, then until its last
    code, message = chosen_set(dated("2022-03-07", 2021))
    assert code == 2
    assert chosen_set(dated("2022-03-08", 2021))[1] == "test-national-2021-2025"
    assert chosen_set(dated("2026-02-14", 2025))[1] == "test-national-2021-2025"
    # the next period's first day: the commune-group set, for its years
    assert chosen_set(dated("2026-02-15", 2026, commune_group=2))[1] == "test-groups-2026-2030"
    code, message = chosen_set(dated("2026-02-15", 2025))
    assert code == 2 and "2026-2030" in message
    code, message = chosen_set(dated("2026-02-14", 2026, commune_group=2))
    assert code == 2


def test_a_provinces_own_set_from_its_first_day():
    assert chosen_set(dated("2022-05-31", 2022, "Thái Nguyên"))[1] == "test-national-2021-2025"
    assert chosen_set(dated("2022-06-01", 2022, "Thái Nguyên"))[1] == "test-thai-nguyen-2021-2025"
    assert chosen_set(dated("2026-02-14", 2025, "Thái Nguyên"))[1] == "test-thai-nguyen-2021-2025"
    # another province keeps the national set
    assert chosen_set(dated("2022-06-01", 2022, "Bắc Kạn"))[1] == "test-national-2021-2025"
    # without a date, the year decides: the province's set for its years
    document = dated("2022-06-01", 2023, "Thái Nguyên")
    del document["assessment_date"]
    assert chosen_set(document)[1] == "test-thai-nguyen-2021-2025"
    # the shipped 2017–2020 provincial set on its last day
    assert chosen_set(dated("2022-03-07", 2019, "Thái Nguyên"))[1] == "thai-nguyen-2017-2020"


def test_rulesets_list_shows_periods_in_force_and_origin():
    shown = cli("rulesets", "list", "--format", "json", env_extra={"NTM_RULESETS_PATH": str(IN_FORCE)})
    rows = {r["id"]: r for r in json.loads(shown.stdout)}
    assert rows["test-national-2021-2025"]["in_force"] == {"from": "2022-03-08", "to": "2026-02-14"}
    assert rows["test-national-2021-2025"]["origin"] == "NTM_RULESETS_PATH"
    assert rows["vn-2016-2020"]["origin"] == "shipped"
    assert rows["vn-2016-2020"]["unconfirmed_indicators"] > 0
    assert rows["test-groups-2026-2030"]["years"] == [2026, 2030]


# --------------------------------------------------------------------- commune groups, end to end

def test_commune_groups_through_import_assess_report_batch_and_summary(tmp_path):
    original = load_ruleset(IN_FORCE / "test-groups-2026-2030.yaml")
    workbook = tables.export(original, tmp_path / "groups.xlsx")
    folder = tmp_path / "sets"
    folder.mkdir()
    assert cli("rulesets", "import", str(workbook), "--out", str(folder)).returncode == 0
    imported = load_ruleset(folder / "test-groups-2026-2030.yaml")
    assert imported.varies_by == "commune_group" and diff(original, imported).same

    def income_status(group: int, value: float) -> str:
        document = {"commune": {"name": "Xã Thử"}, "commune_group": group, "year": 2027,
                    "data": {"income_per_capita_million_vnd": value}}
        result = ntm_rules.assess(document, imported)
        return [i for c in result.criteria for i in c.indicators if i.id == "1.1"][0].status

    for group in (1, 2, 3):  # each group's own value, read from the set (just below, at, above)
        threshold = resolve(imported, str(group), 2027).checks[0][1].threshold
        assert [income_status(group, threshold + d) for d in (-0.1, 0, 0.1)] == ["not_met", "met", "met"]
    with pytest.raises(InputError) as refused:
        ntm_rules.assess({"commune": {"name": "Xã Thử"}, "year": 2027, "data": {}}, imported)
    assert "commune_group" in str(refused.value)

    env = {"NTM_RULESETS_PATH": str(folder)}
    (tmp_path / "doc.json").write_text(json.dumps({"commune": {"name": "Xã Ba"}, "commune_group": 3, "year": 2027,
                                                   "data": {"income_per_capita_million_vnd": 59,
                                                            "health_insurance_coverage_pct": 92,
                                                            "multidimensional_poverty_rate_pct": 4}}), "utf-8")
    report = cli(str(tmp_path / "doc.json"), "--ruleset", "test-groups-2026-2030", env_extra=env)
    assert report.returncode == 1 and "nhóm xã 3" in report.stdout and "1.1" in report.stdout
    html = cli(str(tmp_path / "doc.json"), "--ruleset", "test-groups-2026-2030", "--format", "html", env_extra=env)
    assert html.returncode == 1 and "nhóm xã 3" in html.stdout.lower()

    with open(tmp_path / "communes.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["commune.name", "commune_group", "year", "income_per_capita_million_vnd",
                         "health_insurance_coverage_pct", "multidimensional_poverty_rate_pct"])
        writer.writerow(["Xã Một", 1, 2027, 75, 96, 0.5])   # group 1 needs 80: not attained
        writer.writerow(["Xã Hai", 2, 2027, 75, 96, 1.5])   # group 2: attained
        writer.writerow(["Xã Ba", 3, 2027, 61, 91, 4.5])    # group 3: attained
        writer.writerow(["Xã Bốn", "", 2027, 90, 99, 0])    # no group: rejected, never guessed
    batch = cli("batch", str(tmp_path / "communes.csv"), "--out", str(tmp_path / "out"), env_extra=env)
    assert batch.returncode == 1, batch.stderr  # one row rejected
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["ruleset"]["id"] == "test-groups-2026-2030"
    assert (summary["assessed"], summary["attained"], summary["rejected"]) == (3, 2, 1)
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert len(rejected) == 1 and "commune_group" in json.dumps(rejected[0], ensure_ascii=False)
    # communes have no district since 1 July 2025: no district section, and the template asks for none
    assert "Theo huyện" not in batch.stdout and 'id="districts"' not in (tmp_path / "out" / "summary.html").read_text("utf-8")
    made = cli("template", "--format", "csv", "--ruleset", "test-groups-2026-2030", "--out", str(tmp_path / "t.csv"),
               env_extra=env)
    ids = (tmp_path / "t.csv").read_text("utf-8-sig").splitlines()[1].split(",")
    assert made.returncode == 0 and "commune_group" in ids and "commune.district" not in ids and "region" not in ids


# ------------------------------------------------------------------------------------------ diff

def test_diff_national_against_thai_nguyen_and_a_period_against_the_next():
    same = cli("rulesets", "diff", "vn-2016-2020", "vn-2016-2020")
    assert same.returncode == 0
    provincial = cli("rulesets", "diff", "vn-2016-2020", "thai-nguyen-2017-2020", "--format", "json")
    assert provincial.returncode == 1
    changes = json.loads(provincial.stdout)
    kinds = {c["kind"] for c in changes["changes"]}
    assert "department" in kinds
    env = {"NTM_RULESETS_PATH": str(IN_FORCE)}
    periods = cli("rulesets", "diff", "vn-2016-2020", "test-national-2021-2025", env_extra=env)
    assert periods.returncode == 1 and "10.1" in periods.stdout
    english = cli("rulesets", "diff", "test-national-2021-2025", "test-thai-nguyen-2021-2025", "--lang", "en",
                  env_extra=env)
    assert english.returncode == 1 and "50" in english.stdout and "55" in english.stdout
    assert cli("rulesets", "diff", "vn-2016-2020", "no-such-set").returncode == 2


def test_a_report_says_why_the_set_in_force_was_chosen():
    document = dated("2022-06-01", 2022, "Thái Nguyên")
    shown = cli("-", stdin=json.dumps(document), env_extra={"NTM_RULESETS_PATH": str(IN_FORCE)})
    header = shown.stdout.splitlines()[1]
    assert "test-thai-nguyen-2021-2025" in header and "chọn vì đây là: bộ riêng của tỉnh Thái Nguyên" in header
    named = cli("-", "--ruleset", "test-national-2021-2025", "--format", "json", stdin=json.dumps(document),
                env_extra={"NTM_RULESETS_PATH": str(IN_FORCE)})
    assert json.loads(named.stdout)["ruleset"]["chosen_because"] is None  # named by the caller: nothing to explain


def test_a_province_table_that_loosens_its_parent_is_refused_at_the_row(tmp_path):
    workbook = tables.export(load_ruleset("thai-nguyen-2017-2020"), tmp_path / "tinh.xlsx")
    book = load_workbook(workbook)
    sheet = book[tables.SHEETS["rows"]]
    keys = [c.value for c in sheet[2]]
    operator, indicator = keys.index("operator"), keys.index("indicator")
    loosened = None
    for number, row in enumerate(sheet.iter_rows(min_row=3), start=3):
        if row[operator].value == ">=":
            for key, cell in zip(keys, row):
                if key and key.startswith("value|") and isinstance(cell.value, (int, float)) and cell.value >= 1:
                    cell.value -= 1
                    loosened = (number, row[indicator].value)
                    break
        if loosened:
            break
    book.save(workbook)
    made = cli("rulesets", "import", str(workbook), "--out", str(tmp_path / "out") + "/", "--extends", "vn-2016-2020")
    assert made.returncode == 2 and f"Chỉ tiêu!{loosened[0]}" in made.stderr, made.stderr
    assert f"chỉ tiêu {loosened[1]}" in made.stderr and "lỏng hơn" in made.stderr
    assert not (tmp_path / "out" / "thai-nguyen-2017-2020.yaml").exists()


@pytest.mark.parametrize("day", [20200101, 1577836800, "2020-1-1", True])
def test_an_assessment_date_is_only_a_yyyy_mm_dd_text(day):
    document = {"commune": {"name": "Xã Thử"}, "region": "red_river_delta", "year": 2020, "assessment_date": day,
                "data": {}}
    with pytest.raises(InputError) as caught:
        ntm_rules.assess(document)
    assert caught.value.field == "assessment_date" and "YYYY-MM-DD" in caught.value.line("vi")


def test_the_2021_2025_template_carries_the_income_the_reference_confirms(tmp_path):
    """The 2022 income of each region, as ../shared/reference/ntm-2021-2025.md states it (read here
    from that text), is pre-filled confirmed with its page; nothing else of the table is."""
    import re

    text = (ROOT.parent / "shared" / "reference" / "ntm-2021-2025.md").read_text("utf-8")
    paragraph = text[text.index("**Income per capita, standard commune, 2022**"):]
    paragraph = paragraph[:paragraph.index("\n- ")]
    page = re.search(r"(https?://\S+?)\):", paragraph).group(1)
    stated = {region: int(value) for region, value in re.findall(r"([a-z_]+) ≥ (\d+)", paragraph) if region != "general"}
    assert len(stated) == 7
    workbook = tmp_path / "bang.xlsx"
    assert cli("rulesets", "template", "--period", "2021-2025", "--out", str(workbook)).returncode == 0
    made = cli("rulesets", "import", str(workbook), "--out", str(tmp_path))
    assert made.returncode == 0, made.stderr
    draft = load_ruleset(tmp_path / "draft-2021-2025.yaml")
    for region, value in stated.items():
        income = [c for _, c in resolve_partial(draft, region, 2022) if c.field == "income_per_capita_million_vnd"]
        assert [(c.threshold, c.verified, c.url) for c in income] == [(value, True, page)], region
        assert not [c for _, c in resolve_partial(draft, region, 2023) if c.field == "income_per_capita_million_vnd"]
    filled = [(c.id, i.id) for c in draft.criteria for i in c.indicators if i.thresholds or i.checks]
    assert filled == [("10", "10")]


def resolve_partial(ruleset, dimension: str, year: int):
    """The thresholds a draft has for one region and year (a draft cannot be resolved whole)."""
    from ntm_rules.law.resolve import entries_for

    for criterion in ruleset.criteria:
        for indicator in criterion.indicators:
            for check in indicator.all_checks():
                entry = entries_for(check, dimension, year)
                if entry is not None:
                    source = ruleset.sources[entry.source]
                    yield indicator, type("C", (), {"field": check.field, "threshold": entry.value,
                                                    "verified": entry.verified, "url": source.url})
