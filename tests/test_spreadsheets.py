"""Spreadsheets as clerks fill them: found headers, no double counts, the right commune's verdict.

The workbooks are built here the way a district clerk types them (a title above the header,
Vietnamese labels, notes, merged district cells, a guide sheet first, one sheet per district,
a commune typed twice, a totals row, income in đồng, "-" for no figure). Which criteria each
commune fails is chosen below, so the expected figures are counted by hand from that design.
"""
import json

import pytest
from openpyxl import Workbook, load_workbook

import ntm_rules
import reference
from conftest import FIXTURES, attaining_document
from ntm_rules.batch import run_batch, read_assessments
from ntm_rules.inputs.columns import label_of
from ntm_rules.inputs.template import write_template
from ntm_rules.law.load import shipped_ruleset_paths
from ntm_rules.reports.summary_text import summary_text

RAW = reference.load_raw("vn-2016-2020")
REGION, YEAR = "northern_midlands_mountains", 2019
BASE = attaining_document("vn-2016-2020", REGION, YEAR)["data"]
FIELDS = list(BASE)


def failing(criteria: list[str]) -> dict:
    """The base data with the first indicator of each named criterion made to fail."""
    data = dict(BASE)
    for criterion in RAW["criteria"]:
        if criterion["id"] not in criteria:
            continue
        check = reference.checks_of(criterion["indicators"][0])[0]
        threshold = reference.threshold_entry(check, REGION, YEAR)["value"]
        if isinstance(threshold, bool):
            data[check["field"]] = not threshold
        elif check["operator"] == ">=":
            data[check["field"]] = threshold - 1 if check["type"] != "pct" else max(threshold - 5, 0)
        else:
            data[check["field"]] = threshold + 1
    return data


def cells(data: dict) -> list:
    """Values as a clerk types them: Đạt / Không đạt, decimal commas."""
    out = []
    for field in FIELDS:
        value = data.get(field)
        if isinstance(value, bool):
            out.append("Đạt" if value else "Không đạt")
        elif isinstance(value, float):
            out.append(f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ","))
        else:
            out.append(value)
    return out


D_FAILS = ["2", "5", "9", "10", "11", "13", "14", "15", "16", "17"]  # 9 criteria met: under 10


@pytest.fixture(scope="module")
def clerk_workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("clerk") / "thai-nguyen-2019.xlsx"
    book = Workbook()
    guide = book.active
    guide.title = "Hướng dẫn"
    guide.append(["Cách điền: mỗi dòng một xã; để trống nếu chưa có số liệu."])
    guide.append(["Cột", "Ý nghĩa"])
    labels = ["Tên xã", "Huyện", "Tỉnh", "Mã xã", "Năm đánh giá", "Ghi chú"] + [label_of(f) for f in FIELDS]
    ids = ["commune.name", "commune.district", "commune.province", "commune.code", "year", ""] + FIELDS

    dong_hy = book.create_sheet("Đồng Hỷ")
    dong_hy.append(["DANH SÁCH XÃ ĐĂNG KÝ ĐẠT CHUẨN NÔNG THÔN MỚI NĂM 2019"])  # row 1: a title
    dong_hy.append(["Ngày 16/7/2019"])                                          # row 2
    dong_hy.append([])                                                          # row 3
    dong_hy.append(labels)                                                      # row 4: the header
    dong_hy.append(ids)                                                         # row 5: the ids beneath
    a = ["Xã A", "Huyện Đồng Hỷ", "Thái Nguyên", "001", 2019, "đã kiểm tra"] + cells(BASE)      # row 6: 19
    b = ["Xã B", None, "Thái Nguyên", "002", 2019, None] + cells(failing(["10"]))              # row 7: 18
    income_in_dong = dict(BASE, income_per_capita_million_vnd=41_500_000.0)
    c = ["Xã C", None, "Thái Nguyên", "003", 2019, None] + cells(income_in_dong)               # row 8: rejected
    b_again = ["Xã B", "Huyện Đồng Hỷ", "Thái Nguyên", "002", 2019, "sửa lại"] + cells(BASE)   # row 9: duplicate
    totals = ["Tổng cộng", None, None, None, 2019, None] + [3] * len(FIELDS)                   # row 10: totals
    for row in (a, b, c, b_again, totals):
        dong_hy.append(row)
    dong_hy.merge_cells("B6:B8")  # the district typed once for three communes

    vo_nhai = book.create_sheet("Võ Nhai")
    vo_nhai.append(["Commune.Name", "Commune.District", "Commune.Province", "Year"] + FIELDS)  # ids in any case
    d = ["Xã D", "Huyện Võ Nhai", "Thái Nguyên", 2019] + cells(failing(D_FAILS))
    e_data = dict(BASE)
    e = ["Xã E", "Huyện Võ Nhai", "Thái Nguyên", 2019] + cells(e_data)
    e[4 + FIELDS.index("employment_rate_pct")] = "-"  # no figure yet
    vo_nhai.append(d)
    vo_nhai.append(e)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def clerk_batch(clerk_workbook, tmp_path_factory):
    out = tmp_path_factory.mktemp("clerk-out")
    return run_batch([clerk_workbook], out, jobs=1,
                     registered=[{"name": "Xã C"}, {"name": "Xã D", "district": "Huyện Võ Nhai"}, {"name": "Xa E"}])


def test_clerk_workbook_hand_counted(clerk_batch):
    s = clerk_batch.summary
    assert (s.rows_read, s.assessed, s.rejected) == (7, 4, 3)
    assert (s.attained, s.not_attained, s.missing_data) == (1, 2, 1)  # A; B and D; E (employment: "-")
    assert s.average_criteria_met == 16.0  # (19 + 18 + 9 + 18) / 4
    assert s.under_low_mark == ["Xã D"]
    assert s.ruleset.id == "thai-nguyen-2017-2020"  # every row is in Thái Nguyên: the province's own set
    assert "Thái Nguyên" in s.ruleset_reason
    assert any("Hướng dẫn" in sheet for sheet in s.sheets_skipped)
    assert any("Ghi chú" in column for column in s.columns_ignored)
    by_district = {d.district: d.assessed for d in s.districts}
    assert by_district == {"Huyện Đồng Hỷ": 2, "Huyện Võ Nhai": 2}  # Xã B took the merged district


def test_clerk_rejections_name_the_sheet_row_and_fix(clerk_batch):
    out = clerk_batch.out_dir
    rejected = {(r.get("sheet"), r["row"]): r["error"]
                for r in map(json.loads, (out / "rejected.jsonl").read_text("utf-8").splitlines())}
    assert set(rejected) == {("Đồng Hỷ", 8), ("Đồng Hỷ", 9), ("Đồng Hỷ", 10)}
    assert "41.500.000 → 41,5" in rejected[("Đồng Hỷ", 8)] or "41500000 → 41,5" in rejected[("Đồng Hỷ", 8)]
    assert "trùng với dòng Đồng Hỷ!7" in rejected[("Đồng Hỷ", 9)]
    assert "dòng tổng" in rejected[("Đồng Hỷ", 10)]


def test_registered_commune_whose_row_was_rejected_shows_row_and_reason(clerk_batch):
    registered = {r.commune: r for r in clerk_batch.summary.registered}
    assert registered["Xã C"].status == "rejected" and registered["Xã C"].row == "Đồng Hỷ!8"
    assert "41,5" in registered["Xã C"].reason
    assert registered["Xã D"].found and registered["Xã D"].criteria_met == 9
    assert registered["Xa E"].status == "not_found" and registered["Xa E"].suggestion.startswith("Xã E")


def test_rejected_workbook_can_be_corrected_and_sent_back(clerk_batch, tmp_path):
    book = load_workbook(clerk_batch.out_dir / "rejected.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Tệp", "Dòng", "Lý do không đánh giá được"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[1] for r in rows] == [8, 9, 10]
    income = header.index(label_of("income_per_capita_million_vnd"))
    assert rows[0][header.index("Tên xã")] == "Xã C" and rows[0][income] == "41500000"  # as the clerk typed it
    # the clerk corrects the income of Xã C and sends the file back as it is
    sheet.cell(row=2, column=income + 1, value=41.5)
    sheet.delete_rows(3, 2)
    book.save(tmp_path / "corrected.xlsx")
    again = run_batch([tmp_path / "corrected.xlsx"], tmp_path / "out", jobs=1).summary
    assert (again.assessed, again.rejected, again.attained) == (1, 0, 1)
    assert any("Lý do" in column for column in again.columns_ignored)


def _workbook(tmp_path, rows, header=("Tên xã", "Huyện", "Tỉnh", "Năm đánh giá")):
    path = tmp_path / "communes.xlsx"
    book = Workbook()
    book.active.append(list(header) + FIELDS)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_registered_communes_matched_exactly(tmp_path):
    path = _workbook(tmp_path, [
        ["Xã Tân Lập", "Huyện Đồng Hỷ", "Thái Nguyên", 2019] + cells(BASE),
        ["Xã Tân Lập", "Huyện Võ Nhai", "Thái Nguyên", 2019] + cells(failing(["10"])),
        ["Xã Tấn Lập", "Huyện Phú Lương", "Thái Nguyên", 2019] + cells(failing(["10", "11"])),
    ])
    registered = [{"name": "Xã Tấn Lập"}, {"name": "Xã Tân Lập"}, {"name": "xã tân lập", "district": "huyện võ nhai"},
                  {"name": "Xa Tan Lap", "district": "Huyện Đồng Hỷ"}]
    summary = run_batch([path], tmp_path / "out", jobs=1, registered=registered).summary
    tan, shared, vo_nhai, folded = summary.registered
    assert (tan.found, tan.district, tan.criteria_met) == (True, "Huyện Phú Lương", 17)  # not the Đồng Hỷ verdict
    assert shared.status == "ambiguous" and shared.candidates == ["Xã Tân Lập (Huyện Đồng Hỷ)", "Xã Tân Lập (Huyện Võ Nhai)"]
    assert (vo_nhai.found, vo_nhai.district, vo_nhai.criteria_met) == (True, "Huyện Võ Nhai", 18)
    assert folded.status == "not_found" and folded.suggestion is not None
    text = summary_text(summary)
    assert "trùng tên: Xã Tân Lập (Huyện Đồng Hỷ); Xã Tân Lập (Huyện Võ Nhai); cách sửa: thêm huyện" in text


def test_a_header_twice_or_a_value_under_no_header_refuses_the_file(tmp_path):
    twice = _workbook(tmp_path, [["Xã A", "Huyện A", "Thái Nguyên", 2019] + cells(BASE)],
                      header=("Tên xã", "Huyện", "Huyện", "Năm đánh giá"))
    with pytest.raises(ntm_rules.InputError, match=r"appears twice \(columns B and C\)"):
        run_batch([twice], tmp_path / "o1", jobs=1)
    blank = _workbook(tmp_path, [["Xã A", "Huyện A", "Thái Nguyên", 2019] + cells(BASE)],
                      header=("Tên xã", "Huyện", "", "Năm đánh giá"))
    with pytest.raises(ntm_rules.InputError, match=r"cell C2 holds a value but column C has no header"):
        run_batch([blank], tmp_path / "o2", jobs=1)
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("a,b,c\n1,2,3\n", "utf-8")
    with pytest.raises(ntm_rules.InputError, match="no header row found"):
        run_batch([nothing], tmp_path / "o3", jobs=1)


def test_a_dash_is_no_data_and_a_number_typed_in_dong_is_refused_with_the_fix():
    document = ntm_rules.document_from_row({"Tên xã": "Xã A", "Năm đánh giá": "2019", "Tỉnh": "Thái Nguyên",
                                            "employment_rate_pct": "-", "income_per_capita_million_vnd": "41.500.000"})
    assert "employment_rate_pct" not in document["data"]
    with pytest.raises(ntm_rules.InputError) as raised:
        ntm_rules.assess(document)
    assert "41500000 → 41,5" in raised.value.line("vi") and "41500000 → 41.5" in raised.value.line("en")


# ------------------------------------------------------------------ the ruleset travels with the template

def test_the_template_records_its_ruleset_and_the_batch_uses_it(tmp_path):
    path = write_template(ntm_rules.load_ruleset("thai-nguyen-2017-2020"), tmp_path / "t.xlsx", "xlsx")
    book = load_workbook(path)
    sheet = book.worksheets[0]
    row = ["Xã A", "Huyện A", None, None, REGION, YEAR] + cells(BASE)
    for index, value in enumerate(row, start=1):
        sheet.cell(row=3, column=index, value=value)
    book.save(tmp_path / "filled.xlsx")
    summary = run_batch([tmp_path / "filled.xlsx"], tmp_path / "o1", jobs=1).summary
    assert summary.ruleset.id == "thai-nguyen-2017-2020" and "mẫu của bộ thai-nguyen-2017-2020" in summary.ruleset_reason
    overridden = run_batch([tmp_path / "filled.xlsx"], tmp_path / "o2", jobs=1, ruleset="vn-2016-2020").summary
    assert overridden.ruleset.id == "vn-2016-2020" and "tham số ruleset (sổ tính ghi thai-nguyen-2017-2020; bộ được chọn được dùng)" in overridden.ruleset_reason
    assert "⟪" not in overridden.ruleset_reason + overridden.ruleset_reason_en


def test_template_header_labels_ids_drop_downs_and_no_computed_column(tmp_path):
    model = ntm_rules.load_ruleset("vn-model-2018-2020")
    book = load_workbook(write_template(model, tmp_path / "m.xlsx", "xlsx"))
    sheet = book.worksheets[0]
    labels, ids = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert labels[0] == "Tên xã" and ids[0] == "commune.name"
    assert "standard_attained" not in ids  # a verdict the tool computes
    assert "income_at_ntm_recognition_million_vnd" in ids  # the base of the 1.5 × income requirement
    assert "income_per_capita_million_vnd" in ids and "temporary_dilapidated_houses" in ids  # the standard's fields
    validations = sheet.data_validations.dataValidation
    assert any(v.type == "list" and v.formula1 == '"Đạt,Không đạt"' for v in validations)
    assert any(v.type == "decimal" and (v.formula1, v.formula2) == ("0", "100") for v in validations)  # percentages
    bool_column = ids.index("general_plan_approved_and_published")
    from openpyxl.utils import get_column_letter
    letter = get_column_letter(bool_column + 1)
    assert any(f"{letter}3" in str(v.sqref) for v in sheet.data_validations.dataValidation if v.type == "list")


def _document_for(ruleset_id: str) -> dict:
    fixtures = {"vn-model-2018-2020": "model/model-attains-2020.json",
                "thai-nguyen-model-2018-2020": "model/thai-nguyen-model-attains-2020.json",
                "thai-nguyen-2017-2020": "van-lang-thai-nguyen-fails-2019.json",
                "vn-2016-2020": "phu-thuong-fails-several-2019.json"}
    return json.loads((FIXTURES / fixtures[ruleset_id]).read_text("utf-8"))


@pytest.mark.parametrize("ruleset_id", [p.stem for p in shipped_ruleset_paths()])
def test_a_filled_template_gives_the_documents_assessment(ruleset_id, tmp_path):
    ruleset = ntm_rules.load_ruleset(ruleset_id)
    document = _document_for(ruleset_id)
    book = load_workbook(write_template(ruleset, tmp_path / "t.xlsx", "xlsx"))
    sheet = book.worksheets[0]
    ids = [c.value for c in sheet[2]]
    flat = {f"commune.{k}": v for k, v in document["commune"].items()}
    flat.update({k: v for k, v in document.items() if k not in ("commune", "data", "ruleset")})
    flat.update(document["data"])
    assert set(flat) - {"region"} <= set(ids) | {"region"}, set(flat) - set(ids)
    for index, column in enumerate(ids, start=1):
        value = flat.get(column)
        if isinstance(value, bool):
            value = "Đạt" if value else "Không đạt"
        elif isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, float):
            value = f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")
        sheet.cell(row=3, column=index, value=value)
    book.save(tmp_path / "filled.xlsx")
    result = run_batch([tmp_path / "filled.xlsx"], tmp_path / "out", jobs=1, ruleset=ruleset_id)
    assert (result.summary.assessed, result.summary.rejected) == (1, 0), \
        (tmp_path / "out" / "rejected.jsonl").read_text("utf-8")
    [from_template] = read_assessments(tmp_path / "out")
    from_json = json.loads(ntm_rules.assess(document, ruleset=ruleset_id).model_dump_json())
    assert from_template == from_json


# ------------------------------------------------------------------ from pandas

def test_a_dataframe_is_assessed_row_by_row_nan_as_missing():
    import pandas  # (a dev dependency: this test runs, never skips)
    documents = [json.loads((FIXTURES / name).read_text("utf-8")) for name in
                 ("tan-cuong-attains-2020.json", "phu-thuong-fails-several-2019.json", "hoa-binh-missing-data-2020.json")]
    rows = []
    for document in documents:
        row = {f"commune.{k}": v for k, v in document["commune"].items()}
        row.update({k: v for k, v in document.items() if k not in ("commune", "data")})
        row.update(document["data"])
        rows.append(row)
    frame = pandas.DataFrame(rows)  # absent fields become NaN; years become numpy.int64
    assert frame.isna().any().any()
    from_frame = list(ntm_rules.assess_many(ntm_rules.document_from_row(r) for r in frame.to_dict("records")))
    from_json = list(ntm_rules.assess_many(documents))
    assert [a.model_dump() for a in from_frame] == [a.model_dump() for a in from_json]
    assert any(i.status == "missing" for i in from_frame[2].indicators())


def test_numpy_scalars_and_nan_in_a_document_and_errors_collected():
    import numpy  # (pandas' own dependency)
    document = json.loads((FIXTURES / "tan-cuong-attains-2020.json").read_text("utf-8"))
    document["year"] = numpy.int64(document["year"])
    document["data"]["stunting_under5_pct"] = float("nan")
    document["data"]["general_plan_approved_and_published"] = numpy.bool_(True)
    assessment = ntm_rules.assess(document)
    assert next(i for i in assessment.indicators() if i.id == "15.3").status == "missing"
    results = list(ntm_rules.assess_many([document, {"commune": {}}, document], errors="collect"))
    assert [type(r).__name__ for r in results] == ["Assessment", "Rejected", "Assessment"]
    assert results[1].index == 1 and "commune.name" in str(results[1].error)
    with pytest.raises(ntm_rules.InputError) as raised:
        list(ntm_rules.assess_many([document, {"commune": {}}]))
    assert raised.value.index == 1


def test_rejected_workbook_keeps_every_cell_as_typed_never_a_formula_or_link(tmp_path):
    """A rejected row's cells come back as the clerk typed them: text that looks like a formula,
    a number or a link stays text (a formula gets an apostrophe), numbers stay numbers."""
    hostile = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "http://example.org", "0012", "41.500.000"]
    path = _workbook(tmp_path, [["Xã " + str(n), "Huyện A", "Thái Nguyên", "năm ngoái"] + cells(BASE)
                                for n in range(len(hostile))])
    book = load_workbook(path)
    income = 4 + FIELDS.index("income_per_capita_million_vnd") + 1
    for n, value in enumerate(hostile):
        cell = book.active.cell(row=n + 2, column=income, value=value)
        cell.data_type = "s"  # typed as text (an "=" typed in Excel would be a formula, read as no value)
    book.save(path)
    out = run_batch([path], tmp_path / "out", jobs=1).out_dir
    sheet = load_workbook(out / "rejected.xlsx").active
    header = [c.value for c in sheet[1]]
    column = header.index("income_per_capita_million_vnd")
    cells_back = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert len(cells_back) == len(hostile)
    for cell, typed in zip(cells_back, hostile):
        assert cell.data_type == "s" and cell.hyperlink is None
        assert cell.value == ("'" + typed if typed[0] in "=+-@" else typed)
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[1] for r in rows] == list(range(2, 2 + len(hostile)))  # row numbers stay numbers
    assert all(isinstance(r[2], str) and r[2] for r in rows)  # the reason
    # a JSON Lines row can hold more text than a cell: cut to a cell's limit, saying so
    long = {"commune": {"name": "Xã dài"}, "year": "2020", "data": {"income_per_capita_million_vnd": "9" * 40_000,
                                                                     "commune_roads_paved_pct": 0.30000000000000004}}
    (tmp_path / "long.jsonl").write_text(json.dumps(long) + "\n", "utf-8")
    out = run_batch([tmp_path / "long.jsonl"], tmp_path / "long", jobs=1).out_dir
    sheet = load_workbook(out / "rejected.xlsx").active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("income_per_capita_million_vnd") + 1).value
    assert len(cell) == 32_767 and cell.startswith("999") and cell.endswith(" […]")
    exact = sheet.cell(row=2, column=header.index("commune_roads_paved_pct") + 1).value
    assert float(exact) == 0.30000000000000004  # every digit kept (as its text: a cell number keeps 16)
    kept = json.loads((out / "rejected.jsonl").read_text("utf-8"))
    assert kept["values"]["income_per_capita_million_vnd"] == "9" * 40_000  # whole in rejected.jsonl
