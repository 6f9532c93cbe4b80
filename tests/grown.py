"""A large history made fast: a real batch stored once, then copied in SQL into many communes over
two years (the copies keep every row of the real ones: criteria, indicators, departments)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import FIXTURES
from ntm_rules import history
from ntm_rules.batch import read_assessments, run_batch

CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
COLUMNS = ("commune_key, name, district, province, code, year, assessed_on, ruleset_id, ruleset_sha256, attained,"
           " certain, criteria_met, criteria_total, province_key, name_key")


def grow_history(db: Path, work: Path, assessments: int = 40_000, years=(2019, 2020)) -> int:
    """A history at `db` with about `assessments` assessments of one province (Thái Nguyên) over
    `years`; returns the number stored."""
    run_batch([CSV], work, jobs=1)
    real = list(read_assessments(work))
    conn = history.connect(db)
    base = history.store_batch(conn, real)
    conn.close()
    conn = sqlite3.connect(db, isolation_level=None)
    base_id = conn.execute("SELECT id FROM batches WHERE key = ?", (base,)).fetchone()[0]
    copies = -(-assessments // (len(years) * len(real)))
    conn.execute("BEGIN")
    for index, year in enumerate(years, start=1):
        batch_id = conn.execute(
            "INSERT INTO batches (key, stored_at, assessed_on, ruleset_id, ruleset_sha256, years, inputs, assessed,"
            " rejected, stored_by, province_key) SELECT ?, stored_at, ?, ruleset_id, ruleset_sha256, ?, inputs, ?, 0,"
            " 'grown', province_key FROM batches WHERE id = ?",
            (history.new_batch_key(), f"{year}-12-01", f"[{year}]", copies * len(real), base_id)).lastrowid
        new_id = f"{index} * 100000000 + n.k * 100 + a.position"
        series = f"WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < {copies - 1}) "
        conn.execute(
            series + f"INSERT INTO assessments (id, batch_id, position, {COLUMNS}) SELECT {new_id}, {batch_id},"
            f" n.k * {len(real)} + a.position, a.commune_key || '-' || n.k, a.name || ' ' || n.k, a.district, a.province,"
            f" a.code || '-' || n.k, {year}, '{year}-12-01', a.ruleset_id, a.ruleset_sha256, a.attained, a.certain,"
            " a.criteria_met, a.criteria_total, a.province_key, a.name_key || ' ' || n.k"
            f" FROM assessments a, n WHERE a.batch_id = {base_id}")
        for table in ("criterion_results", "indicator_results", "acting_departments"):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")][1:]
            listed = ", ".join(f"t.{c}" for c in columns)
            conn.execute(series + f"INSERT INTO {table} SELECT {new_id}, {listed} FROM {table} t"
                         f" JOIN assessments a ON a.id = t.assessment_id, n WHERE a.batch_id = {base_id}")
        conn.row_factory = sqlite3.Row
        history.tally_batch(conn, batch_id)
        conn.row_factory = None
    conn.execute("COMMIT")
    stored = conn.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    conn.close()
    return stored
