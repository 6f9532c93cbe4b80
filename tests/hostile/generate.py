"""The large files of the hostile corpus, written on demand (they are too big to keep in git).

`python tests/hostile/generate.py DIR` writes them all; the tests call `write_all(dir)`.
Every file here is named in cases.yaml with the exit code and message it must give.
"""
from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook

DOCUMENT = {"commune": {"name": "Xã Thử", "province": "Thái Nguyên"}, "year": 2020,
            "data": {"income_per_capita_million_vnd": 45.0}}


def _document_text(**data) -> str:
    document = json.loads(json.dumps(DOCUMENT))
    document["data"].update(data)
    return json.dumps(document, ensure_ascii=False)


def nested_100000(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")


def integer_5000_digits(path: Path) -> None:
    path.write_text(_document_text()[:-2] + ', "temporary_dilapidated_houses": ' + "9" * 5000 + "}}", "utf-8")


def document_2mb(path: Path) -> None:
    path.write_text(_document_text()[:-1] + ', "padding": "' + "x" * (2 << 20) + '"}', "utf-8")


def csv_cell_200k(path: Path) -> None:
    rows = ["commune.name,year,region,income_per_capita_million_vnd"]
    rows += [f"Xã {i},2020,red_river_delta,\"45,5\"" for i in range(1, 6)]
    rows.insert(3, "X" * 200_000 + ",2020,red_river_delta,45")
    path.write_text("\n".join(rows) + "\n", "utf-8")


def jsonl_line_2mb(path: Path) -> None:
    good = _document_text()
    path.write_text("\n".join([good, good, '{"padding": "' + "x" * (2 << 20) + '"}', good]) + "\n", "utf-8")


def mixed_jsonl(path: Path, good: list[str]) -> dict[int, str]:
    """Good documents with hostile lines among them; returns {line number: expected message}."""
    hostile = {
        3: ("[" * 100_000 + "]" * 100_000, "nested more than 20 levels"),
        7: (_document_text()[:-2] + ', "temporary_dilapidated_houses": ' + "9" * 5000 + "}}", "an integer of 5000 digits"),
        11: (_document_text().replace("Xã Thử", "Xã \\udc80"), "lone surrogate"),
        13: (_document_text().replace("45.0", "NaN"), "NaN is not a number"),
        17: (_document_text()[:-1] + ', "year": 2019}', "written twice"),
        19: (json.dumps(dict(DOCUMENT, ruleset="/dev/zero")), "not a ruleset id"),
        23: ('{"padding": "' + "x" * (1 << 21) + '"}', "longer than 1 MB"),
        29: (b"X\xff\xfe not UTF-8", "not UTF-8"),
        31: ("{not json", "not valid JSON"),
        37: ('{"commune": {"name": "' + "X" * 300 + '"}, "year": 2020, "data": {}}', "at most 200 characters"),
    }
    lines: list[bytes] = []
    good_iter = iter(good)
    expected = {}
    number = 0
    while True:
        number += 1
        if number in hostile:
            text, message = hostile[number]
            lines.append(text if isinstance(text, bytes) else text.encode("utf-8"))
            expected[number] = message
            continue
        line = next(good_iter, None)
        if line is None:
            break
        lines.append(line.encode("utf-8"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return expected


def _workbook_bytes() -> bytes:
    book = Workbook()
    book.active.append(["commune.name", "year", "region"])
    book.active.append(["Xã A", 2020, "red_river_delta"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_shared_strings(path: Path, count: int) -> None:
    source = zipfile.ZipFile(io.BytesIO(_workbook_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            out.writestr(item.filename, data)
        out.writestr("xl/sharedStrings.xml", b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main">' + b"<si><t>aaaaaaaa</t></si>" * count + b"</sst>")


def xlsx_bomb(path: Path) -> None:
    """About 1 MB that unpacks to 216 MB of shared strings."""
    _with_shared_strings(path, 9_000_000)


def xlsx_texts_60mb(path: Path) -> None:
    """Within the 200 MB of parts, but a table of texts beyond its 20 MB."""
    _with_shared_strings(path, 2_500_000)


def xlsx_far_row(path: Path) -> None:
    """A sheet that declares XFD1048576 and has a cell in its last row: read without filling 10^6 rows."""
    book = Workbook()
    sheet = book.active
    sheet.append(["commune.name", "year", "region", "income_per_capita_million_vnd"])
    sheet.append(["Xã A", 2020, "red_river_delta", 45])
    sheet.cell(row=1_048_576, column=16_384, value="far away")
    book.save(path)


def _patched_sheet(path: Path, change) -> None:
    """A small workbook whose sheet XML is changed by `change(xml) -> xml` (a damaged file)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["commune.name", "year", "region", "income_per_capita_million_vnd"])
    sheet.append(["Xã A", 2020, "red_river_delta", 45])
    sheet.append(["Xã B", 2020, "red_river_delta", 46])
    _rewrite_part(book, path, "xl/worksheets/sheet1.xml", change)


def _rewrite_part(book: Workbook, path: Path, part: str, change) -> None:
    """Save the workbook to `path` with one of its parts changed by `change(bytes) -> bytes`."""
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            out.writestr(item.filename, change(data) if item.filename == part else data)


def xlsx_row_10_to_the_9(path: Path) -> None:
    _patched_sheet(path, lambda xml: xml.replace(b'<row r="3"', b'<row r="1000000000"').replace(b'r="A3"', b'r="A1000000000"'))


def xlsx_rows_out_of_order(path: Path) -> None:
    _patched_sheet(path, lambda xml: xml.replace(b'<row r="3"', b'<row r="2"').replace(b'r="A3"', b'r="A2"')
                   .replace(b'r="B3"', b'r="B2"').replace(b'r="C3"', b'r="C2"').replace(b'r="D3"', b'r="D2"'))


def xlsx_number_not_a_number(path: Path) -> None:
    _patched_sheet(path, lambda xml: xml.replace(b"<v>45</v>", b"<v>abc</v>"))


def xlsx_truncated_sheet(path: Path) -> None:
    _patched_sheet(path, lambda xml: xml[: len(xml) // 2])


def xlsx_no_sheets(path: Path) -> None:
    def no_sheets(xml: bytes) -> bytes:
        start, end = xml.index(b"<sheets>"), xml.index(b"</sheets>") + len(b"</sheets>")
        return xml[:start] + b"<sheets/>" + xml[end:]

    _rewrite_part(Workbook(), path, "xl/workbook.xml", no_sheets)


def xlsx_percent_at_the_threshold(path: Path) -> None:
    """Stunting 26,7 % typed in a percentage cell (stored 0.267): exactly the TDMNPB ceiling."""
    document = json.loads(json.dumps(DOCUMENT))
    book = Workbook()
    sheet = book.active
    sheet.append(["commune.name", "commune.province", "year", "stunting_under5_pct", "income_per_capita_million_vnd"])
    sheet.append([document["commune"]["name"], "Thái Nguyên", 2020, 0.267, 45])
    sheet["D2"].number_format = "0.0%"
    book.save(path)


def registered_cell_200k(path: Path) -> None:
    path.write_text("name,district\n" + "X" * 200_000 + ",Huyện A\n", "utf-8")


GENERATED = {
    "nested-100000.json": nested_100000,
    "integer-5000-digits.json": integer_5000_digits,
    "document-2mb.json": document_2mb,
    "cell-200k.csv": csv_cell_200k,
    "line-2mb.jsonl": jsonl_line_2mb,
    "bomb.xlsx": xlsx_bomb,
    "texts-60mb.xlsx": xlsx_texts_60mb,
    "far-row.xlsx": xlsx_far_row,
    "row-10-to-the-9.xlsx": xlsx_row_10_to_the_9,
    "rows-out-of-order.xlsx": xlsx_rows_out_of_order,
    "number-not-a-number.xlsx": xlsx_number_not_a_number,
    "truncated-sheet.xlsx": xlsx_truncated_sheet,
    "no-sheets.xlsx": xlsx_no_sheets,
    "percent-at-the-threshold.xlsx": xlsx_percent_at_the_threshold,
    "registered-cell-200k.csv": registered_cell_200k,
}


def write_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in GENERATED.items():
        if not (folder / name).exists():
            make(folder / name)


if __name__ == "__main__":
    write_all(Path(sys.argv[1]))
