"""The clerks' template of any set reads back column for column (issue 28, part 5): a set imported
from an office's own table, with a new field and fields it labels in its own words, writes its
template; a clerk fills every column; the batch reads every one of them (no "cột không đọc", no
criterion missing data), with or without the template's row of field ids."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ntm_rules.batch import read_assessments
from ntm_rules.law import tables
from ntm_rules.law.catalogue import field_specs
from ntm_rules.law.load import load_ruleset
from test_law_tables import NEW_FIELD, write_workbook

ROOT = Path(__file__).resolve().parent.parent
OWN_LABEL = "Tỷ lệ hộ dùng nước sạch theo quy chuẩn"  # the office's words for clean_water_households_pct
ROADS_LABEL = "Tỷ lệ km đường trục xã được cứng hóa theo quy chuẩn của tỉnh"


def cli(*args, env=None):
    done = subprocess.run([sys.executable, "-m", "ntm_rules", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300)
    return done


def relabel(workbook: Path, labels: dict[str, str], ruleset_id: str | None = None) -> None:
    """Give fields the office's own labels on the table's sheet of fields (adding their rows)."""
    book = load_workbook(workbook)
    sheet = book[tables.SHEETS["fields"]]
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in labels:
            row[1].value = labels[row[0].value]
            seen.add(row[0].value)
    for field in set(labels) - seen:
        sheet.append([field, labels[field], None, "%", "%", None, None, None])
    if ruleset_id:
        for row in book[tables.SHEETS["meta"]].iter_rows(min_row=2):
            if row[0].value == "id":
                row[1].value = ruleset_id
    book.save(workbook)


def filled_value(spec):
    """A value a clerk writes in the column: in range, as a spreadsheet shows it."""
    if spec.type == "bool":
        return "Đạt"
    if spec.options:
        return ", ".join(spec.options)
    if spec.type == "pct":
        return 100
    if spec.high is not None and spec.low is not None:
        return round((spec.low + spec.high) / 2) if spec.type == "int" else (spec.low + spec.high) / 2
    return 1


def fill_xlsx(template: Path, out: Path, ruleset, *, drop_id_row: bool) -> dict:
    specs = field_specs(ruleset)
    book = load_workbook(template)
    sheet = book.worksheets[0]
    ids = [c.value for c in sheet[2]]
    base = {"commune.name": "Xã Một", "commune.district": "Huyện A", "commune.province": "Thái Nguyên",
            "year": ruleset.period.to, "region": "northern_midlands_mountains"}
    written = {}
    for index, field in enumerate(ids, start=1):
        if field in base:
            sheet.cell(row=3, column=index, value=base[field])
        elif field in specs:
            written[field] = filled_value(specs[field])
            sheet.cell(row=3, column=index, value=written[field])
    if drop_id_row:
        sheet.delete_rows(2)
    book.save(out)
    return written


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Two sets imported from tables into a folder of NTM_RULESETS_PATH: the national table with the
    office's label for clean water, and a table with a new field and a relabelled roads field."""
    folder = tmp_path_factory.mktemp("sets")
    work = tmp_path_factory.mktemp("tables")
    national = work / "office.xlsx"
    assert cli("rulesets", "export", "vn-2016-2020", "--out", national).returncode == 0
    relabel(national, {"clean_water_households_pct": OWN_LABEL}, ruleset_id="office-2016-2020")
    solar = write_workbook(work / "solar.xlsx", new_field=NEW_FIELD)
    relabel(solar, {"commune_roads_paved_pct": ROADS_LABEL})
    for table in (national, solar):
        made = cli("rulesets", "import", table, "--out", folder)
        assert made.returncode == 0, made.stderr
    return folder


@pytest.mark.parametrize("set_id", ["office-2016-2020", "test-solar-2021-2025"])
@pytest.mark.parametrize("drop_id_row", [False, True])
def test_every_column_of_a_sets_template_is_read(installed, tmp_path, monkeypatch, set_id, drop_id_row):
    env = {"NTM_RULESETS_PATH": str(installed)}
    monkeypatch.setenv("NTM_RULESETS_PATH", str(installed))
    ruleset = load_ruleset(installed / f"{set_id}.yaml")
    template = tmp_path / "template.xlsx"
    assert cli("template", "--format", "xlsx", "--ruleset", set_id, "--out", template, env=env).returncode == 0
    labels = [c.value for c in load_workbook(template).worksheets[0][1]]
    assert (OWN_LABEL if set_id == "office-2016-2020" else ROADS_LABEL) in labels  # the set's own words
    written = fill_xlsx(template, tmp_path / "filled.xlsx", ruleset, drop_id_row=drop_id_row)
    done = cli("batch", tmp_path / "filled.xlsx", "--out", tmp_path / "out", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["columns_ignored"] == [] and summary["assessed"] == 1
    assert summary["ruleset"]["id"] == set_id and summary["missing_by_criterion"] == {}
    assessment = next(iter(read_assessments(tmp_path / "out")))
    read = {i["field"]: i["value"] for c in assessment["criteria"] for i in c["indicators"]}
    for field, value in written.items():
        if field in read:
            expected = True if value == "Đạt" else (value.split(", ") if isinstance(value, str) else value)
            assert read[field] == expected, field
    assert None not in read.values()


def test_a_csv_template_reads_back_with_the_sets_own_labels(installed, tmp_path, monkeypatch):
    env = {"NTM_RULESETS_PATH": str(installed)}
    monkeypatch.setenv("NTM_RULESETS_PATH", str(installed))
    ruleset = load_ruleset(installed / "office-2016-2020.yaml")
    template = tmp_path / "t.csv"
    assert cli("template", "--format", "csv", "--ruleset", "office-2016-2020", "--out", template,
               env=env).returncode == 0
    header = list(csv.reader(template.read_text("utf-8-sig").splitlines()))
    labels, ids = header[0], header[1]
    assert OWN_LABEL in labels
    specs = field_specs(ruleset)
    base = {"commune.name": "Xã Hai", "commune.province": "Thái Nguyên", "year": 2020,
            "region": "northern_midlands_mountains"}
    row = [base.get(f, filled_value(specs[f]) if f in specs else None) for f in ids]
    with open(tmp_path / "filled.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([labels, ids, row])
    done = cli("batch", tmp_path / "filled.csv", "--ruleset", "office-2016-2020", "--out", tmp_path / "out", env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["columns_ignored"] == [] and summary["missing_by_criterion"] == {}
