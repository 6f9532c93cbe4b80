"""A batch's round in the history: a corrected rejected.xlsx joins it (`batch --db --amend KEY`) or
is a new round, as the office chooses; and a database made by the previous schema (version 4) is
keyed again by the places' identity when opened (migration 5)."""
from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

import pytest
from openpyxl import load_workbook

from conftest import FIXTURES
from ntm_rules import history
from ntm_rules.history_migrations import VERSION, migrate, version
from ntm_rules.regions import exact
from test_history import cli

CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
REGISTERED = FIXTURES / "batches" / "thai-nguyen-2019-registered.txt"
STORED = re.compile(r"lượt ([0-9a-f]{24})")


def corrected(rejected, path):
    """rejected.xlsx with its two rows corrected: La Hiên's roads a number, Tràng Xá's region left to its province."""
    book = load_workbook(rejected)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    roads, region = header.index("village_roads_hardened_pct") + 1, header.index("region") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, roads).value == "khoảng 60":
            sheet.cell(row, roads).value = 60
        if sheet.cell(row, region).value == "trung_du":
            sheet.cell(row, region).value = None
    book.save(path)
    return path


@pytest.fixture
def stored(tmp_path):
    db = tmp_path / "history.sqlite3"
    first = cli("batch", CSV, "--registered", REGISTERED, "--out", tmp_path / "out", "--db", db)
    assert first.returncode == 1, first.stderr
    return tmp_path, db, STORED.search(first.stdout).group(1)


def rounds(db) -> list[dict]:
    return json.loads(cli("history", "--province", "Thái Nguyên", "--db", db, "--format", "json").stdout)["rounds"]


def test_a_corrected_rejected_workbook_joins_its_batch_round(stored):
    tmp, db, key = stored
    fixed = corrected(tmp / "out" / "rejected.xlsx", tmp / "corrected.xlsx")
    before = rounds(db)
    assert [r["communes"] for r in before] == [10]
    joined = cli("batch", fixed, "--out", tmp / "fix", "--db", db, "--amend", key, "--lang", "en")
    assert joined.returncode == 0, joined.stderr  # both rows assessed now
    assert f"joined batch {key}: 2 communes added, 0 replaced" in joined.stdout
    after = rounds(db)
    assert [(r["batch"], r["communes"]) for r in after] == [(key, 12)]  # the same round, counted again
    met = sum(a["criteria_met"] for d in ("out", "fix") for a in map(json.loads, (tmp / d / "assessments.jsonl")
                                                                      .read_text("utf-8").splitlines()))
    assert after[0]["average"] == round(met / 12 + 1e-9, 1)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT assessed, rejected FROM batches WHERE key = ?", (key,)).fetchone() == (12, 0)
    assert len(json.loads(conn.execute("SELECT inputs FROM batches").fetchone()[0])) == 2
    # Tràng Xá was registered, and its row rejected: now matched to its assessment
    registered = json.loads(cli("history", "--province", "Thái Nguyên", "--db", db, "--format", "json").stdout)["registered"]
    trang_xa = [r for r in registered if "Tràng Xá" in r["name"]]
    assert len(trang_xa) == 1 and trang_xa[0]["commune"] and trang_xa[0]["latest"]["year"] == 2019, trang_xa
    # sent again: each commune replaced, never twice
    again = cli("batch", fixed, "--out", tmp / "fix2", "--db", db, "--amend", key, "--lang", "en")
    assert again.returncode == 0 and "0 communes added, 2 replaced" in again.stdout, again.stdout + again.stderr
    assert [(r["batch"], r["communes"]) for r in rounds(db)] == [(key, 12)]
    assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT commune_key) FROM assessments").fetchone() == (12, 12)
    assert conn.execute("SELECT COUNT(DISTINCT position) FROM assessments").fetchone() == (12,)


def test_amend_is_refused_for_an_unknown_batch_or_without_the_history(stored):
    tmp, db, key = stored
    fixed = corrected(tmp / "out" / "rejected.xlsx", tmp / "corrected.xlsx")
    from test_history import next_year

    later = tmp / "2020.csv"
    next_year(later)  # rows of 2020: not of the 2019 batch's round
    for source, args in ((fixed, ["--db", db, "--amend", "0" * 24]), (fixed, ["--amend", key]),
                         (fixed, ["--db", db, "--amend", key, "--replace"]), (later, ["--db", db, "--amend", key])):
        done = cli("batch", source, "--out", tmp / "x", "--overwrite", *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    unknown = cli("batch", fixed, "--out", tmp / "never", "--db", db, "--amend", "f" * 24)
    assert unknown.returncode == 2 and not (tmp / "never").exists()  # refused before anything is assessed
    assert "2020" in done.stderr and key in done.stderr
    assert [(r["batch"], r["communes"]) for r in rounds(db)] == [(key, 10)]  # nothing changed


def test_without_amend_a_corrected_workbook_is_a_new_round(stored):
    tmp, db, key = stored
    fixed = corrected(tmp / "out" / "rejected.xlsx", tmp / "corrected.xlsx")
    done = cli("batch", fixed, "--out", tmp / "fix", "--db", db)
    assert done.returncode == 0, done.stderr
    assert [(r["batch"], r["communes"]) for r in rounds(db)] == [(key, 10), (STORED.search(done.stdout).group(1), 2)]


# ------------------------------------------------------------------ migration 5

V4_ASSESSMENT = ("id, batch_id, position, commune_key, name, district, province, code, year, assessed_on, ruleset_id,"
                 " ruleset_sha256, attained, certain, criteria_met, criteria_total, province_key, name_key")
V4_BATCH = "id, key, stored_at, assessed_on, ruleset_id, ruleset_sha256, years, inputs, assessed, rejected, stored_by"


def previous_commune_key(name, district, province, code) -> str:
    """How version 4 keyed a commune: its code as written, else its exact name, district and province."""
    if exact(code):
        return f"code:{exact(code)}"
    return "name:" + "|".join(exact(x) for x in (name, district, province))


def test_a_database_of_the_previous_schema_is_keyed_by_the_places_identity(tmp_path):
    """Two batches stored by version 4 (copied into a database migrated to 4 only, with its keys,
    the province spelt another way in each row and codes lost or zero-dropped the second year): once
    opened, the history is the one the same batches stored today make."""
    fresh = tmp_path / "fresh.sqlite3"
    later = tmp_path / "2020.csv"
    from test_history import next_year

    next_year(later)
    for source, out in ((CSV, "o2019"), (later, "o2020")):
        args = ["--registered", REGISTERED] if source == CSV else []
        assert cli("batch", source, *args, "--out", tmp_path / out, "--db", fresh).returncode == 1
    old = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(old, isolation_level=None)
    raw.row_factory = sqlite3.Row
    assert migrate(raw, target=4) == 4
    raw.execute("ATTACH ? AS fresh", (str(fresh),))
    raw.execute(f"INSERT INTO batches ({V4_BATCH}) SELECT {V4_BATCH} FROM fresh.batches")
    raw.execute(f"INSERT INTO assessments ({V4_ASSESSMENT}) SELECT {V4_ASSESSMENT} FROM fresh.assessments")
    for table in ("criterion_results", "indicator_results", "acting_departments", "registered"):
        raw.execute(f"INSERT INTO {table} SELECT * FROM fresh.{table}")
    spellings = ["Tỉnh Thái Nguyên", "thái nguyên", unicodedata.normalize("NFD", "Thái Nguyên"), "Thái Nguyên"]
    keys = {}
    for row in raw.execute("SELECT id, batch_id, commune_key, name, district, code FROM assessments").fetchall():
        province = spellings[row["id"] % len(spellings)]
        code = row["code"] if row["batch_id"] == 1 or row["id"] % 2 else (row["code"] or "").lstrip("0")
        old_key = previous_commune_key(row["name"], row["district"], province, code)
        keys[(row["batch_id"], row["commune_key"])] = old_key
        raw.execute("UPDATE assessments SET province = ?, code = ?, commune_key = ?, province_key = ?, name_key = ?"
                    " WHERE id = ?", (province, code, old_key, exact(province), exact(row["name"]), row["id"]))
    for r in raw.execute("SELECT batch_id, position, commune_key FROM registered WHERE commune_key IS NOT NULL").fetchall():
        raw.execute("UPDATE registered SET commune_key = ? WHERE batch_id = ? AND position = ?",
                    (keys[(r["batch_id"], r["commune_key"])], r["batch_id"], r["position"]))
    for batch_id in (1, 2):  # counted by province as version 4 counted them: one province a spelling
        raw.execute("INSERT INTO batch_provinces SELECT batch_id, province_key, MAX(province), MIN(year), COUNT(*),"
                    " SUM(attained), SUM(criteria_met), '{}' FROM assessments WHERE batch_id = ? GROUP BY province_key",
                    (batch_id,))
    # version 4 split the province by "Tỉnh" (its `exact` already folded case and normalisation)
    assert len({r[0] for r in raw.execute("SELECT province_key FROM assessments")}) == 2
    raw.execute("DETACH fresh")
    raw.close()

    conn = history.connect(old)
    now = history.connect(fresh)
    assert version(conn) == VERSION == 5
    assert history.provinces(conn) == history.provinces(now) == [("Tỉnh Thái Nguyên", 10)]
    migrated, made = history.province_history(conn, "thai nguyen"), history.province_history(now, "Thái Nguyên")
    assert [(r.batch, r.communes, r.attained, r.average, r.departments) for r in migrated.rounds] == \
        [(r.batch, r.communes, r.attained, r.average, r.departments) for r in made.rounds]
    assert [(c.key, c.name, c.code, [e.year for e in c.entries]) for c in migrated.communes] == \
        [(c.key, c.name, c.code, [e.year for e in c.entries]) for c in made.communes]
    assert all([e.year for e in c.entries] == [2019, 2020] for c in migrated.communes)
    assert [(r.commune, r.state) for r in migrated.registered] == [(r.commune, r.state) for r in made.registered]
    assert any(r.commune for r in migrated.registered)
    assert conn.execute("SELECT content_sha256 FROM batches ORDER BY id").fetchall() == \
        now.execute("SELECT content_sha256 FROM batches ORDER BY id").fetchall()
    assert conn.execute("SELECT COUNT(*) FROM batch_provinces").fetchone()[0] == 2
    assert conn.execute("SELECT COUNT(*) FROM batches WHERE province_key = 'thái nguyên'").fetchone()[0] == 2
    # a batch stored before the migration is recognised when its file comes again
    again = cli("batch", later, "--out", tmp_path / "again", "--db", old)
    assert again.returncode == 2 and migrated.rounds[1].batch in again.stderr, again.stderr


def test_a_database_of_another_program_is_never_written_into(tmp_path):
    """history, report and batch --db given another program's SQLite file, or an empty file:
    refused (exit 2, one line), the file as it was; the batch refused before it assesses."""
    other, empty = tmp_path / "other.db", tmp_path / "empty.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE foo (x)")
    empty.write_bytes(b"")
    before = other.read_bytes()
    for args in (["history", "--province", "Thái Nguyên", "--db", other], ["history", "05692", "--db", empty],
                 ["report", "--province", "Thái Nguyên", "--as-of", "2020-01-01", "--db", other, "--out",
                  tmp_path / "r.html"], ["batch", CSV, "--out", tmp_path / "out", "--db", other]):
        done = cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert other.read_bytes() == before and empty.read_bytes() == b""
    assert not (tmp_path / "out").exists() and not (tmp_path / "r.html").exists()
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["foo"]
