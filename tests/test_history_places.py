"""The history keeps places by their one identity (issue 26, item 2): a province spelt four ways is
one province under its official name, a commune written with either tone placement or with its
code's zero lost is one commune, the same file stored twice is one round, and a province's old
communes are followed into the communes they are part of since 1 July 2025."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import sqlite3
import unicodedata
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES
from ntm_rules import history, places
from ntm_rules.batch import read_assessments
from test_history import cli
from test_service import Server

CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
SPELLINGS = ["Thái Nguyên", "Tỉnh Thái Nguyên", "thái nguyên", unicodedata.normalize("NFD", "Tỉnh Thái Nguyên")]
# a commune written with the tone on one vowel, then on the other (and without its code the second time)
TONES = {"Xã Nam Hòa": "xã nam hoà", "Xã Hóa Thượng": "Xã Hoá Thượng"}
STORED = re.compile(r"lượt ([0-9a-f]{24})")


def year_file(path: Path, year: int, shift: int) -> Path:
    """The fixture for `year`: each row's province spelt one of four ways (another each year); the
    second year, the two communes of TONES with their other tone placement and no code, and every
    other code with its leading zero lost (as a spreadsheet drops it)."""
    rows = list(csv.reader(io.StringIO(CSV.read_text("utf-8"))))
    header = rows[0]
    name, province, code, when = (header.index(c) for c in ("commune.name", "commune.province", "commune.code", "year"))
    out = [header]
    for n, row in enumerate(rows[1:]):
        row = list(row)
        if row[name]:
            row[province] = SPELLINGS[(n + shift) % len(SPELLINGS)]
            row[when] = str(year)
            if shift:
                if row[name] in TONES:
                    row[name], row[code] = TONES[row[name]], ""
                else:
                    row[code] = row[code].lstrip("0")
        out.append(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(out)
    path.write_text(buffer.getvalue(), "utf-8")
    return path


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("places")
    db = tmp / "history.sqlite3"
    first = cli("batch", year_file(tmp / "2019.csv", 2019, 0), "--out", tmp / "o2019", "--db", db)
    assert first.returncode == 1, first.stderr  # the fixture's two bad rows
    second_file = year_file(tmp / "2020.csv", 2020, 1)
    second = cli("batch", second_file, "--out", tmp / "o2020", "--db", db)
    assert second.returncode == 1, second.stderr
    again = cli("batch", second_file, "--out", tmp / "o2020-again", "--db", db)
    return tmp, db, STORED.search(first.stdout).group(1), STORED.search(second.stdout).group(1), again, second_file


def assessed(tmp: Path, year: int) -> list[dict]:
    return list(read_assessments(tmp / f"o{year}"))


def test_the_same_file_again_is_refused_naming_its_batch(two_years):
    tmp, db, _, key2020, again, _ = two_years
    assert again.returncode == 2, again.stdout + again.stderr
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ntm-assess: ") and key2020 in lines[0], lines
    assert "2020" in lines[0] and "--replace" in lines[0] and "Traceback" not in again.stderr
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM batches").fetchone() == (2,)


def check_province(data: dict, tmp: Path) -> None:
    """One province under its official name, two rounds, every commune once with both years."""
    assert data["name"] == "Tỉnh Thái Nguyên"
    assert [r["year"] for r in data["rounds"]] == [2019, 2020]
    expected = {places.commune(a["commune"]["name"], a["commune"]["district"], "Thái Nguyên", a["commune"]["code"],
                               year=2019).key for a in assessed(tmp, 2019)}
    assert len(expected) == len(assessed(tmp, 2020)) == 10
    assert [r["communes"] for r in data["rounds"]] == [10, 10]
    keys = [c["key"] for c in data["communes"]]
    assert sorted(keys) == sorted(expected)  # each once
    for c in data["communes"]:
        assert [e["year"] for e in c["entries"]] == [2019, 2020], c["name"]
        assert c["province"] == "Tỉnh Thái Nguyên" and c["known"]


def test_one_province_every_commune_once_with_both_years_on_the_command_line(two_years):
    tmp, db, *_ = two_years
    shown = None
    for spelling in SPELLINGS + ["THAI NGUYEN"]:
        done = cli("history", "--province", spelling, "--db", db, "--format", "json")
        assert done.returncode == 0, (spelling, done.stderr)
        data = json.loads(done.stdout)
        check_province(data, tmp)
        assert shown is None or data == shown
        shown = data
    by_name = {c["name"]: c for c in shown["communes"]}
    # both tone placements are one commune, under its official name; the names as written kept
    assert set(by_name["Xã Nam Hòa"]["written"]) == {"Xã Nam Hòa", "xã nam hoà"}
    assert set(by_name["Thị trấn Hóa Thượng"]["written"]) == {"Xã Hóa Thượng", "Xã Hoá Thượng"}
    # the code's zero lost: the same commune, found by either
    one = cli("history", "05503", "--db", db, "--lang", "en")
    assert one.returncode == 0 and one.stdout == cli("history", "5503", "--db", db, "--lang", "en").stdout
    assert one.stdout.count("\n  2019 (") == 1 and one.stdout.count("\n  2020 (") == 1
    assert cli("history", "xã nam hòa", "--db", db).stdout == cli("history", "Nam Hoà", "--db", db).stdout
    text = cli("history", "--province", "tỉnh thái nguyên", "--db", db).stdout
    assert text.splitlines()[0] == "Lịch sử đánh giá: Tỉnh Thái Nguyên"
    # the provinces of the history, as an unknown one lists them: one
    unknown = cli("history", "--province", "Atlantis", "--db", db, "--lang", "en")
    assert unknown.returncode == 2
    assert unknown.stderr.split("use a province in the history: ")[1].strip() == "Tỉnh Thái Nguyên"


def test_one_province_every_commune_once_in_the_api_and_the_pages(two_years):
    tmp, db, _, key2020, _, second_file = two_years
    server = Server(tmp, db=db)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            for spelling in SPELLINGS:
                answer = client.get("/v1/history/province", params={"name": spelling})
                assert answer.status_code == 200, answer.text
                check_province(answer.json(), tmp)
            listed = re.findall(r'<li><a href="/progress\?province=[^"]*">([^<]*)</a>', client.get("/progress").text)
            assert [html.unescape(n) for n in listed] == ["Tỉnh Thái Nguyên"]
            page = client.get("/progress", params={"province": SPELLINGS[3]}).text
            assert re.search(r"<h2>[^<:]+: Tỉnh Thái Nguyên</h2>", page)
            table = page.split('id="by-commune"')[1].split("</table>")[0]
            rows = table.split('<tr class="commune">')[1:]
            assert len(rows) == 10
            for row in rows:
                cells = re.findall(r'<td class="num">([^<]*)</td>', row)
                assert len(cells) == 2 and all(re.match(r"\d+/\d+", c) for c in cells), row
            rounds = page.split('id="rounds"')[1].split("</table>")[0]
            assert rounds.count("<tr><td>") == 2
            # the same file uploaded again: refused, naming its batch, nothing stored
            data = second_file.read_bytes()
            refused = client.post("/v1/batch", files={"file": ("tn.csv", data)}, headers={"Accept-Language": "en"})
            assert refused.status_code == 409 and key2020 in refused.json()["error"], refused.text
            csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
            form = client.post("/batches", files={"file": ("tn.csv", data)}, data={"csrf": csrf},
                               headers={"Origin": server.url, "Sec-Fetch-Site": "same-origin"})
            assert form.status_code == 409 and key2020 in form.text and "đã được lưu" in form.text
            assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM batches").fetchone() == (2,)
            # another file (a blank line more) is another batch; its page: its one province, by its official name
            other = client.post("/v1/batch", files={"file": ("tn.csv", data + b"\n")}).json()["batch"]
            batch = client.get(f"/batches/{other}").text
            assert [html.unescape(p) for p in re.findall(r'class="progress-link"[^>]*>[^<:]*: ([^<]*)</a>', batch)] \
                == ["Tỉnh Thái Nguyên"]
    finally:
        server.stop()


def test_replace_stores_the_file_again_in_place_of_its_batch(two_years, tmp_path):
    _, db, key2019, key2020, _, second_file = two_years
    copy = tmp_path / "h.sqlite3"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    before = [r[0] for r in sqlite3.connect(copy).execute("SELECT key FROM batches ORDER BY id")]
    assert before[:2] == [key2019, key2020]
    done = cli("batch", second_file, "--out", tmp_path / "out", "--db", copy, "--replace")
    assert done.returncode == 1, done.stderr
    key = STORED.search(done.stdout).group(1)
    assert key not in before
    conn = history.connect(copy)
    assert [r[0] for r in conn.execute("SELECT key FROM batches ORDER BY id")] == [k for k in before if k != key2020] + [key]
    found = history.province_history(conn, "Thái Nguyên")
    assert key2020 not in [r.batch for r in found.rounds] and [r.batch for r in found.rounds][-1] == key
    assert [r.year for r in found.rounds].count(2020) == len(before) - 1  # one 2020 round replaced, none added
    assert all(key2020 not in [e.batch for e in c.entries] and c.entries[-1].batch == key for c in found.communes)
    assert conn.execute("SELECT COUNT(*) FROM batch_provinces").fetchone()[0] == len(before)
    assert cli("batch", second_file, "--out", tmp_path / "o2", "--replace").returncode == 2  # --replace needs --db


# ------------------------------------------------------------------ across the reform


def _old_unit(code: str):
    return places.directory_of(places.OLD).communes[code]


@pytest.fixture(scope="module")
def reform(tmp_path_factory):
    """Thái Nguyên's 2019 batch; then, stored through the library, an assessment of 2026 of Xã La
    Hiên (a commune of today) and one of 2019 of a commune of Bắc Kạn (now part of Thái Nguyên)."""
    tmp = tmp_path_factory.mktemp("reform")
    db = tmp / "history.sqlite3"
    assert cli("batch", CSV, "--out", tmp / "out", "--db", db).returncode == 1
    model = next(read_assessments(tmp / "out"))
    bac_kan = next(u for u in places.directory_of(places.OLD).communes.values() if u.province == "06")
    conn = history.connect(db)
    history.store_batch(conn, [{**model, "year": 2026, "commune": {"name": "Xã La Hiên", "province": "Thái Nguyên"}}])
    history.store_batch(conn, [{**model, "commune": {"name": "Xã La Hiên", "district": "Huyện Võ Nhai",  # its 2019 row
                                                     "province": "Thái Nguyên", "code": "05740"}}])
    history.store_batch(conn, [{**model, "commune": {"name": bac_kan.name, "province": "Bắc Kạn", "code": bac_kan.code}}])
    conn.close()
    return tmp, db, bac_kan


def test_old_communes_are_followed_into_the_communes_of_today_on_the_progress_page(reform):
    tmp, db, bac_kan = reform
    old = {a["commune"]["code"]: a["commune"]["name"] for a in read_assessments(tmp / "out")}
    expected: dict[str, set[str]] = {}
    for code in old:
        today = places.successor(_old_unit(code))
        assert today is not None, code
        expected.setdefault(today.unit.name, set()).add(_old_unit(code).name)
    la_hien = places.directory_of(places.NEW).communes[places.successor(_old_unit("05737")).unit.code]
    assert la_hien.name == "Xã La Hiên"  # Xã Cúc Đường is part of it since 1 July 2025
    server = Server(tmp, db=db)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            page = client.get("/progress", params={"province": "Thái Nguyên"}).text
            section = page.split('id="reform"')[1].split("</table>")[0]
            shown = {}
            for row in section.split('<tr class="merge">')[1:]:
                today, before = re.findall(r"<td>(.*?)</td>", row, re.S)
                names = re.findall(r">([^<>]+)</a>", before)
                shown[re.sub(r"<[^>]+>", "", today).split(" (")[0].strip()] = set(names)
            for today, olds in expected.items():
                assert olds <= shown[today], (today, olds, shown.get(today))
            # Bắc Kạn's commune, in Thái Nguyên's commune of today; Bắc Kạn named as part of Thái Nguyên
            now = places.successor(bac_kan).unit
            assert bac_kan.name in shown[now.name]
            assert "Tỉnh Bắc Kạn" in page.split('id="provinces-before"')[1].split("</p>")[0]
            # the commune of today is assessed: a link to its history, which names what it was made of
            link = re.search(r'<a href="(/progress/commune\?key=c34%3A' + la_hien.code + r')">Xã La Hiên</a>', section)
            assert link, section
            today_page = client.get(html.unescape(link.group(1))).text
            assert "Xã Cúc Đường" in today_page.split('id="before"')[1].split("</p>")[0]
            old_page = client.get("/progress/commune", params={"key": _old_unit("05737").key}).text
            assert "Xã La Hiên" in old_page.split('id="today"')[1].split("</p>")[0]
            # Bắc Kạn's page: the province it is part of today
            assert "Tỉnh Thái Nguyên" in client.get("/progress", params={"province": "bac kan"}).text.split(
                'id="province-today"')[1].split("</p>")[0]
            answer = client.get("/v1/history/province", params={"name": "Thái Nguyên"}).json()
            assert {m["today"]["name"] for m in answer["reform"]} >= set(expected)
    finally:
        server.stop()
    text = cli("history", "--province", "Thái Nguyên", "--db", db, "--lang", "en").stdout
    lines = text.split("The reorganisation of 1 July 2025: communes before and today:")[1].splitlines()
    la = next(line for line in lines if line.strip().startswith("Xã La Hiên ←"))
    assert "Xã Cúc Đường" in la and "Xã La Hiên" in la.split("←")[1] and bac_kan.name not in la
    # La Hiên kept its name and code: the old commune and the one of today, shown one after the other
    both = cli("history", "05740", "--db", db, "--lang", "en")
    assert both.returncode == 0, both.stderr
    old_part, new_part = both.stdout.split("\n\n")
    assert "2019 (" in old_part and "Since 1 July 2025 part of: Xã La Hiên (Tỉnh Thái Nguyên)" in old_part
    assert "2026 (" in new_part and "Made of the communes before 1 July 2025: Xã Cúc Đường" in new_part
    assert "Xã La Hiên" in new_part.split("Made of")[1]


def test_a_province_key_of_the_service_sees_its_province_however_written():
    from ntm_rules.service.keys import Key

    for written in SPELLINGS:
        key = Key("tn", "read", written, b"")
        assert all(key.sees(history.province_key(other)) for other in SPELLINGS + ["thai nguyen"]), written
        assert not key.sees(history.province_key("Bắc Kạn"))
