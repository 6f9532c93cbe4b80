"""One reader of workbooks: the law's table, a clerk's table and a filled template are read as
Excel shows them, whoever wrote the file.

Each law workbook here is `rulesets export` of the national set, changed the way other writers and
offices change it (a short declared range, a threshold typed as a percentage cell, a formula whose
saved value is stale, `7_0`, full-width digits); its import gives exactly the national set or is
refused with exit 2 naming sheet and cell, writing nothing.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ntm_rules.files.cells import cell_name
from ntm_rules.files.xlsx import open_workbook

ROOT = Path(__file__).resolve().parent.parent
ROWS = "Chỉ tiêu"


def cli(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "NTM_RULESETS_PATH"}
    env["NTM_LANG"] = "vi"
    return subprocess.run([sys.executable, "-m", "ntm_rules", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def rewrite_sheet(path: Path, sheet_name: str, change) -> None:
    """Replace one sheet's XML inside the zip by change(xml text)."""
    with open_workbook(path) as book:
        member = next(s.member for s in book.sheets if s.name == sheet_name)
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            if info.filename == member:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)


def add_percent_style(path: Path) -> int:
    """Append a cell style showing a percentage ("0%") to styles.xml; its index."""
    found = {}

    def change(xml: str) -> str:
        match = re.search(r'<cellXfs count="(\d+)"', xml)
        found["index"] = int(match.group(1))
        xml = xml.replace(match.group(0), f'<cellXfs count="{found["index"] + 1}"', 1)
        return xml.replace("</cellXfs>", '<xf numFmtId="9" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>'
                                         "</cellXfs>", 1)

    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            if info.filename.lower().endswith("styles.xml"):
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)
    return found["index"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    done = cli("rulesets", "export", "vn-2016-2020", "--out", str(folder / "bang.xlsx"))
    assert done.returncode == 0, done.stderr
    return folder / "bang.xlsx"


def a_percentage_threshold(path: Path) -> tuple[str, int, float]:
    """(cell, 0-based column, value) of the first percentage threshold above 1 in the table."""
    with open_workbook(path) as book:
        sheet = next(s for s in book.sheets if s.name == ROWS)
        rows = list(book.rows(sheet))
    keys = rows[1].values
    kind, first_value = keys.index("type"), next(i for i, k in enumerate(keys) if str(k).startswith("value|"))
    for row in rows[2:]:
        value = row.values[first_value] if first_value < len(row.values) else None
        if row.values[kind] == "pct" and isinstance(value, (int, float)) and value > 1:
            return cell_name(first_value, row.number), first_value, value
    raise AssertionError("no percentage threshold")


def set_cell(xml: str, reference: str, new_cell: str) -> str:
    pattern = re.compile(rf'<c r="{reference}"[^>]*?(?:/>|>.*?</c>)', re.S)
    assert pattern.search(xml), reference
    return pattern.sub(new_cell, xml, count=1)


def imported(workbook: Path, out: Path):
    done = cli("rulesets", "import", str(workbook), "--out", f"{out}/")
    return done, sorted(p.name for p in out.glob("*")) if out.exists() else []


def test_a_short_declared_range_loses_no_row(exported, tmp_path):
    workbook = tmp_path / "short.xlsx"
    workbook.write_bytes(exported.read_bytes())
    rewrite_sheet(workbook, ROWS, lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:DI40"/>', xml))
    from openpyxl import load_workbook  # what the import read before: rows after the declared range were dropped
    assert load_workbook(workbook, read_only=True)[ROWS].max_row == 40
    done, written = imported(workbook, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    same = cli("rulesets", "diff", "vn-2016-2020", str(tmp_path / "out" / "vn-2016-2020.yaml"))
    assert same.returncode == 0, same.stdout + same.stderr


def test_a_threshold_typed_as_a_percentage_cell_is_the_percentage_shown(exported, tmp_path):
    workbook = tmp_path / "percent.xlsx"
    workbook.write_bytes(exported.read_bytes())
    reference, _, value = a_percentage_threshold(workbook)
    style = add_percent_style(workbook)
    fraction = repr(value / 100) if value != 70 else "0.7"
    rewrite_sheet(workbook, ROWS, lambda xml: set_cell(xml, reference, f'<c r="{reference}" s="{style}"><v>{fraction}</v></c>'))
    with open_workbook(workbook) as book:  # the cell is a percentage cell, and reads as the number shown
        sheet = next(s for s in book.sheets if s.name == ROWS)
        row = next(r for r in book.rows(sheet) if r.number == int(re.sub(r"[A-Z]", "", reference)))
        assert row.percent and row.values[min(row.percent)] == value
    done, _ = imported(workbook, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    same = cli("rulesets", "diff", "vn-2016-2020", str(tmp_path / "out" / "vn-2016-2020.yaml"))
    assert same.returncode == 0, same.stdout + same.stderr


@pytest.mark.parametrize("case", ["stale formula", "7_0", "full-width digits"])
def test_a_threshold_that_is_not_a_number_written_is_refused_at_its_cell(exported, tmp_path, case):
    workbook = tmp_path / "bad.xlsx"
    workbook.write_bytes(exported.read_bytes())
    reference, _, value = a_percentage_threshold(workbook)
    whole = int(value)
    new = {"stale formula": f'<c r="{reference}"><f>{whole // 2}+{whole - whole // 2}</f><v>5</v></c>',
           "7_0": f'<c r="{reference}" t="inlineStr"><is><t>{str(whole)[0]}_{str(whole)[1:]}</t></is></c>',
           "full-width digits": f'<c r="{reference}" t="inlineStr"><is><t>'
                                f'{"".join(chr(ord(d) + 0xFEE0) for d in str(whole))}</t></is></c>'}[case]
    rewrite_sheet(workbook, ROWS, lambda xml: set_cell(xml, reference, new))
    out = tmp_path / "out"
    done, written = imported(workbook, out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{ROWS}!{reference}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    if case == "stale formula":
        assert "công thức" in done.stderr
    assert not [name for name in written if name.endswith((".yaml", ".yml"))], written


def test_the_import_keeps_the_workbook_limits(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * (11 << 20) + b"</sst>")
    done, written = imported(bomb, tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "10 MB" in done.stderr, done.stderr
    assert written == []


def test_a_workbook_part_declaring_an_entity_is_refused(exported, tmp_path):
    workbook = tmp_path / "entity.xlsx"
    workbook.write_bytes(exported.read_bytes())
    rewrite_sheet(workbook, ROWS, lambda xml: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                  + xml.split("?>", 1)[-1])
    done, written = imported(workbook, tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "DTD" in done.stderr or "hỏng" in done.stderr, done.stderr
    assert written == []


# ------------------------------------------------------------------ a clerk's workbook from Python

def clerk_workbook(path: Path, communes: int = 40, seed: int = 7) -> list[dict]:
    """A clerk's workbook as Excel keeps it: percentages typed as percentage cells (0,591 shown as
    59,1 %), commune codes typed 07101 into a cell shown "00000" (stored as the number 7101), a
    row-number column (STT) and a notes column. Returns the documents it holds."""
    import random

    from openpyxl import Workbook

    import reference
    from conftest import random_document
    from ntm_rules.law.catalogue import field_specs

    rng = random.Random(seed)
    raw = reference.load_raw("vn-2016-2020")
    specs = field_specs()
    documents = []
    for index in range(communes):
        document = random_document(rng, raw, "northern_midlands_mountains", 2019)
        for field, value in document["data"].items():
            if isinstance(value, float):
                document["data"][field] = round(value, 1)
        # codes from 07101, in Quảng Ninh (where the directory has those it knows: a code never
        # contradicts the province), made-up names
        document["commune"] = {"name": f"Xã Số {index + 1}", "code": f"{7101 + index:05d}", "district": "Hạ Long",
                               "province": "Quảng Ninh"}
        documents.append(document)
    fields = sorted({f for d in documents for f in d["data"]})
    book = Workbook()
    sheet = book.active
    sheet.append(["STT", "Tên xã", "Mã xã", "Huyện", "Tỉnh", "Vùng", "Năm đánh giá", *fields, "Ghi chú"])
    for number, document in enumerate(documents, start=1):
        commune = document["commune"]
        row = [number, commune["name"], int(commune["code"]), commune["district"], commune["province"],
               "northern_midlands_mountains", 2019]
        row += [document["data"].get(f) for f in fields] + ["ghi chú"]
        sheet.append(row)
        excel_row = sheet.max_row
        sheet.cell(row=excel_row, column=3).number_format = "00000"
        for offset, field in enumerate(fields):
            cell = sheet.cell(row=excel_row, column=8 + offset)
            if specs[field].type == "pct" and cell.value is not None:
                cell.value = float(__import__("decimal").Decimal(repr(cell.value)) / 100)
                cell.number_format = "0.0%"
    book.save(path)
    return documents


def verdicts_of_batch(workbook: Path, out: Path) -> dict[str, tuple]:
    from ntm_rules.batch import read_assessments

    done = cli("batch", str(workbook), "--out", str(out))
    assert done.returncode in (0, 1), done.stderr
    return {a["commune"]["code"]: (a["attained"], a["criteria_met"], a["certain"]) for a in read_assessments(out)}


def test_a_clerks_workbook_read_from_python_gets_the_batchs_verdicts(tmp_path):
    import warnings

    import pandas

    import ntm_rules

    workbook = tmp_path / "xa.xlsx"
    documents = clerk_workbook(workbook)
    batch = verdicts_of_batch(workbook, tmp_path / "out")
    assert sorted(batch) == sorted(d["commune"]["code"] for d in documents)  # codes kept with their zero

    # the public reader: rows as the batch sees them
    rows = list(ntm_rules.read_table(workbook))
    assert [r.where for r in rows][:2] == ["Sheet!2", "Sheet!3"] and all(r.error is None for r in rows)
    read = {a.commune.code: (a.attained, a.criteria_met, a.certain)
            for a in ntm_rules.assess_many(r.document for r in rows)}
    assert read == batch
    expected = {d["commune"]["code"]: ntm_rules.assess(d) for d in documents}  # the documents themselves
    assert {code: (a.attained, a.criteria_met, a.certain) for code, a in expected.items()} == batch

    # pandas: the percentage cells come as fractions of 1, the codes as numbers
    frame = pandas.read_excel(workbook)
    records = frame.to_dict("records")
    assert isinstance(records[0]["Mã xã"], int) and records[0]["Mã xã"] == 7101
    refused = 0
    for record in records:
        try:
            ntm_rules.document_from_row(record, ignored=[])
        except ntm_rules.InputError as error:
            refused += 1
            assert error.field.endswith("_pct") and "percent=" in error.line("en")
    assert refused == len(records)  # every row refused naming a field, none assessed as 0.591 %
    ignored: list = []
    stated = [ntm_rules.document_from_row(r, percent="fraction", ignored=ignored) for r in records]
    assert set(ignored) == {"STT", "Ghi chú"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ntm_rules.document_from_row(records[0], percent="fraction")
    assert any(issubclass(w.category, ntm_rules.IgnoredColumnsWarning) and "STT" in str(w.message) for w in caught)
    through_pandas = {a.commune.code: (a.attained, a.criteria_met, a.certain) for a in ntm_rules.assess_many(stated)}
    assert through_pandas == batch


def test_a_code_that_cannot_be_a_commune_code_is_refused_naming_the_field():
    import ntm_rules

    row = {"commune.name": "Xã A", "year": 2019, "region": "red_river_delta", "commune.code": 1234567,
           "income_per_capita_million_vnd": 50}
    with pytest.raises(ntm_rules.InputError) as caught:
        ntm_rules.assess(ntm_rules.document_from_row(row))
    assert caught.value.field == "commune.code"
    row["commune.code"] = 7101.0
    assert ntm_rules.document_from_row(row)["commune"]["code"] == "07101"
