"""The history: batches stored whole (one transaction), read back as progress per commune, per
department and for the registered communes, through `ntm-assess batch --db` and `ntm-assess history`."""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from ntm_rules import history, places
from ntm_rules.history_migrations import MIGRATIONS, VERSION, migrate, version
from ntm_rules.batch import read_assessments, run_batch
from ntm_rules.errors import OutputError
from ntm_rules.inputs.registered import read_registered

ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
REGISTERED = FIXTURES / "batches" / "thai-nguyen-2019-registered.txt"


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ntm_rules", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=ENV, timeout=300)


def next_year(path: Path) -> None:
    """The fixture a year later: 2020, Xã Hóa Thượng now with Xã Tân Cương's figures, Xã Tân Cương
    with its commune roads no longer paved, everything else as it was."""
    rows = list(csv.reader(io.StringIO(CSV.read_text("utf-8"))))
    header = rows[0]
    name, year = header.index("commune.name"), header.index("year")
    data_from = header.index("general_plan_approved_and_published")
    roads = header.index("commune_roads_paved_pct")
    model = next(r for r in rows if r[name] == "Xã Tân Cương")
    out = [header]
    for row in rows[1:]:
        row = list(row)
        if len(row) > year and row[year] == "2019":
            row[year] = "2020"
        if row and row[name] == "Xã Hóa Thượng":
            row[data_from:] = model[data_from:]
        if row and row[name] == "Xã Tân Cương":
            row[roads] = "40"
        out.append(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(out)
    path.write_text(buffer.getvalue(), "utf-8")


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    db = tmp / "history.sqlite3"
    later = tmp / "thai-nguyen-2020.csv"
    next_year(later)
    first = cli("batch", CSV, "--registered", REGISTERED, "--out", tmp / "2019", "--db", db)
    assert first.returncode == 1, first.stderr  # the fixture has rejected rows
    second = cli("batch", later, "--out", tmp / "2020", "--db", db)
    assert second.returncode == 1, second.stderr
    by_year = {year: {a["commune"]["code"]: a for a in read_assessments(tmp / str(year))} for year in (2019, 2020)}
    summaries = {year: json.loads((tmp / str(year) / "summary.json").read_text("utf-8")) for year in (2019, 2020)}
    return db, by_year, summaries


def test_a_batch_stored_twice_a_year_apart_shows_progress_per_commune(two_years):
    db, by_year, _ = two_years
    done = cli("history", "--province", "Thái Nguyên", "--db", db)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert len(by_year[2019]) == len(by_year[2020]) > 5
    changed = 0
    for code, before in by_year[2019].items():
        after = by_year[2020][code]
        trail = (f"2019: {before['criteria_met']}/{before['criteria_total']}{' ✓' if before['attained'] else ''} → "
                 f"2020: {after['criteria_met']}/{after['criteria_total']}{' ✓' if after['attained'] else ''}")
        line = next(line for line in text.splitlines() if f"mã {code})" in line)
        assert trail in line, (line, trail)
        was = {c["id"]: c["status"] for c in before["criteria"]}
        gained = [c["id"] for c in after["criteria"] if c["status"] == "met" and was[c["id"]] != "met"]
        lost = [c["id"] for c in after["criteria"] if c["status"] != "met" and was[c["id"]] == "met"]
        if gained:
            assert f"đạt thêm: {', '.join(gained)}" in line
        if lost:
            assert f"không còn đạt: {', '.join(lost)}" in line
        changed += bool(gained or lost)
    assert changed >= 2  # Hóa Thượng gained, Tân Cương lost


def test_one_commune_by_code_and_by_name(two_years):
    db, by_year, _ = two_years
    code = next(c for c, a in by_year[2019].items() if a["commune"]["name"] == "Xã Hóa Thượng")
    by_code = cli("history", code, "--db", db, "--lang", "en")
    by_name = cli("history", "xã hóa  thượng", "--db", db, "--lang", "en")
    assert by_code.returncode == by_name.returncode == 0, by_code.stderr
    assert by_code.stdout == by_name.stdout
    lines = by_code.stdout.splitlines()
    for year, line in zip((2019, 2020), lines[1:]):
        a = by_year[year][code]
        assert line.strip().startswith(f"{year} (") and f"{a['criteria_met']}/{a['criteria_total']} criteria" in line
    assert "first assessment" in lines[1] and "now met:" in lines[2]
    assert cli("history", "Xã Hoa Thuong", "--db", db).returncode == 2  # accents kept: another name


def test_departments_over_time_are_counted_as_the_summary_counts_them(two_years):
    """Per batch, the departments with indicators not met: the history's figures, the batch
    summary's and a count over the library's own results are one and the same (department of the
    indicator, not of its criterion: 14.3 is Labour's in Thái Nguyên; missing data not counted)."""
    db, by_year, summaries = two_years
    data = json.loads(cli("history", "--province", "thái nguyên", "--db", db, "--format", "json").stdout)
    assert [r["year"] for r in data["rounds"]] == [2019, 2020]
    for round_, year in zip(data["rounds"], (2019, 2020)):
        expected: dict[str, tuple[set, int]] = {}
        for a in by_year[year].values():
            for department in a["departments"]:
                if department["not_met"]:
                    ids = {c["id"] for c in a["criteria"] for i in c["indicators"] if i["id"] in department["not_met"]}
                    criteria, communes = expected.get(department["id"], (set(), 0))
                    expected[department["id"]] = (criteria | ids, communes + 1)
        got = {d: (set(v["criteria"]), v["communes"]) for d, v in round_["departments"].items()}
        summary = {d: (set(v["criteria"]), v["communes"]) for d, v in summaries[year]["failures_by_department"].items()}
        assert got == summary == expected
        assert any("14" in criteria for criteria, _ in got.values())
        met = sum(a["criteria_met"] for a in by_year[year].values())
        assert round_["average"] == round(met / len(by_year[year]) + 1e-9, 1)


def test_registered_communes_against_their_target_year(two_years):
    db, by_year, _ = two_years
    text = cli("history", "--province", "Thái Nguyên", "--db", db, "--lang", "en").stdout
    section = text.split("Communes registered to attain, against their target year:")[1]
    names = [n for n in REGISTERED.read_text("utf-8").splitlines() if n.strip()]
    for name in names:
        line = next(line for line in section.splitlines() if line.strip().startswith(name))
        years = [y for y in (2019, 2020) for a in by_year[y].values() if a["commune"]["name"] == name and a["attained"]]
        found = any(a["commune"]["name"] == name for a in by_year[2019].values())
        if not found:
            assert "target year 2019" in line and ("could not be assessed" in line or "not among the results" in line), line
        elif not years:
            assert "not yet attained" in line, line
        elif years[0] == 2019:
            assert "attained in 2019, on time" in line, line
        else:
            assert f"attained in {years[0]}, later than registered" in line, line
    assert "later than registered" in section  # Hóa Thượng, registered for 2019, attains in 2020


def test_csv_export(two_years):
    db, by_year, _ = two_years
    done = cli("history", "--province", "Thái Nguyên", "--db", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff"))))
    assert len(rows) == len(by_year[2019]) + len(by_year[2020])
    for row in rows:
        a = by_year[int(row["year"])][row["code"]]
        assert int(row["criteria_met"]) == a["criteria_met"] and row["attained"] == str(int(a["attained"]))
        assert row["ruleset_sha256"] == a["ruleset"]["sha256"]


def test_history_errors_are_exit_2(two_years, tmp_path):
    db, _, _ = two_years
    for args in (["--province", "Atlantis", "--db", db], ["nowhere", "--db", db], ["--db", db],
                 ["x", "--db", tmp_path / "none.sqlite3"]):
        done = cli("history", *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, args
        assert done.stderr.startswith("ntm-assess: ")


@pytest.fixture
def batch_out(tmp_path):
    result = run_batch([CSV], tmp_path / "out", jobs=1, registered=read_registered(REGISTERED))
    return result, tmp_path / "out"


def test_a_failed_store_stores_nothing(batch_out, tmp_path):
    result, out = batch_out
    conn = history.connect(tmp_path / "db.sqlite3")

    def breaks_half_way():
        for n, a in enumerate(read_assessments(out)):
            if n == 3:
                raise RuntimeError("disk gone")
            yield a

    with pytest.raises(RuntimeError):
        history.store_batch(conn, breaks_half_way(), summary=result.summary)
    with pytest.raises(OutputError):  # fewer assessments than the summary counted
        history.store_batch(conn, list(read_assessments(out))[:-1], summary=result.summary)
    for table in ("batches", "assessments", "criterion_results", "indicator_results", "registered"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
    key = history.store_batch(conn, read_assessments(out), summary=result.summary)
    assert conn.execute("SELECT assessed FROM batches WHERE key = ?", (key,)).fetchone()[0] == result.summary.assessed
    indicators = sum(len(c["indicators"]) for a in read_assessments(out) for c in a["criteria"])
    assert conn.execute("SELECT COUNT(*) FROM indicator_results").fetchone()[0] == indicators


def test_migrations_from_version_1(batch_out, tmp_path):
    result, out = batch_out
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.row_factory = sqlite3.Row
    assert migrate(raw, target=1) == 1
    raw.execute("INSERT INTO batches VALUES (1, 'k', 't', '2019-07-30', 'r', 's', '[2019]', '[]', 1, 0)")
    raw.execute("INSERT INTO assessments VALUES (1, 1, 0, 'code:1', 'Xã Tân Lập', 'H', 'Thái Nguyên', '1', 2019,"
                " '2019-07-30', 'r', 's', 0, 1, 17, 19)")
    raw.close()
    conn = history.connect(path)
    assert version(conn) == VERSION == len(MIGRATIONS)
    # keyed again by the places' identity (migration 5): the official unit its name means in its province
    assert history.find_communes(conn, "xã tân lập") == [places.commune("Tân Lập", None, "Thái Nguyên", year=2019).key]
    assert [name for name, _ in history.provinces(conn)] == ["Tỉnh Thái Nguyên"]
    history.store_batch(conn, read_assessments(out), summary=result.summary)  # the new tables work
    conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(OutputError):
        history.connect(path)
