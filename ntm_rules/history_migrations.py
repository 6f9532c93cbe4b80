"""The history database's schema over its versions: `schema_version` holds the number of
migrations applied, and `MIGRATIONS` lists them in order; `migrate` applies the missing ones (each
in its own transaction). A database written by a newer ntm-rules (a higher version than this one
knows) is refused.
"""
from __future__ import annotations

import sqlite3

from .regions import exact

# a batch's one province: the province key every assessment of it has (NULL: none, or several)
ONE_PROVINCE = ("UPDATE batches SET province_key = (SELECT CASE WHEN COUNT(DISTINCT a.province_key) = 1 THEN"
                " NULLIF(MAX(a.province_key), '') END FROM assessments a WHERE a.batch_id = batches.id)")
MIGRATIONS: list[str] = [
    # 1: batches, their assessments, and each criterion's and indicator's status
    """
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        stored_at TEXT NOT NULL,
        assessed_on TEXT NOT NULL,
        ruleset_id TEXT,
        ruleset_sha256 TEXT,
        years TEXT NOT NULL,
        inputs TEXT NOT NULL,
        assessed INTEGER NOT NULL,
        rejected INTEGER NOT NULL
    );
    CREATE TABLE assessments (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        commune_key TEXT NOT NULL,
        name TEXT NOT NULL,
        district TEXT,
        province TEXT,
        code TEXT,
        year INTEGER NOT NULL,
        assessed_on TEXT NOT NULL,
        ruleset_id TEXT NOT NULL,
        ruleset_sha256 TEXT NOT NULL,
        attained INTEGER NOT NULL,
        certain INTEGER NOT NULL,
        criteria_met INTEGER NOT NULL,
        criteria_total INTEGER NOT NULL
    );
    CREATE TABLE criterion_results (
        assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
        criterion_id TEXT NOT NULL,
        name TEXT NOT NULL,
        name_en TEXT NOT NULL,
        department TEXT NOT NULL,
        department_name TEXT NOT NULL,
        department_name_en TEXT NOT NULL,
        status TEXT NOT NULL,
        certain INTEGER NOT NULL,
        PRIMARY KEY (assessment_id, criterion_id)
    ) WITHOUT ROWID;
    CREATE TABLE indicator_results (
        assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
        indicator_id TEXT NOT NULL,
        criterion_id TEXT NOT NULL,
        status TEXT NOT NULL,
        certain INTEGER NOT NULL,
        value TEXT,
        gap REAL,
        PRIMARY KEY (assessment_id, indicator_id)
    ) WITHOUT ROWID;
    """,
    # 2: look-ups by commune and province; the registered communes of each batch and their target year
    """
    ALTER TABLE assessments ADD COLUMN province_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE assessments ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
    CREATE INDEX assessments_by_commune ON assessments (commune_key, year);
    CREATE INDEX assessments_by_province ON assessments (province_key, batch_id);
    CREATE INDEX assessments_by_name ON assessments (name_key);
    CREATE TABLE registered (
        batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        district TEXT,
        code TEXT,
        target_year INTEGER,
        status TEXT NOT NULL,
        commune_key TEXT,
        PRIMARY KEY (batch_id, position)
    ) WITHOUT ROWID;
    """,
    # 3: the departments that must act on each assessment, as the batch's summary counts them
    # (`acting.acting`): batches stored before it show no departments
    """
    CREATE TABLE acting_departments (
        assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
        department TEXT NOT NULL,
        name TEXT NOT NULL,
        name_en TEXT NOT NULL,
        criteria TEXT NOT NULL,
        verified INTEGER NOT NULL,
        level TEXT,
        PRIMARY KEY (assessment_id, department)
    ) WITHOUT ROWID;
    """,
    # 4: who stored each batch (the name of the service's key; NULL: the command line, or a service
    # without keys), the one province of its communes (its province key; NULL: none or several), a
    # batch's assessments in order without a scan of the whole table, and each batch's counts by
    # province as the province's history shows them (`tally_batch`), counted once when it is stored
    """
    ALTER TABLE batches ADD COLUMN stored_by TEXT;
    ALTER TABLE batches ADD COLUMN province_key TEXT;
    CREATE INDEX assessments_by_batch ON assessments (batch_id, position);
    CREATE TABLE batch_provinces (
        batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        province_key TEXT NOT NULL,
        province TEXT,
        year INTEGER NOT NULL,
        communes INTEGER NOT NULL,
        attained INTEGER NOT NULL,
        met INTEGER NOT NULL,
        departments TEXT NOT NULL,
        PRIMARY KEY (batch_id, province_key)
    ) WITHOUT ROWID;
    """ + ONE_PROVINCE,
    # 5: places by their one identity (`history_places.identity`): each assessment's official name,
    # district, province and code beside what its row wrote, its name's key and its official name's;
    # commune_key and province_key computed again by that identity (the fill: `history_places.rekey`,
    # then every batch counted again); each batch's content (the sha256 of its input file's bytes),
    # so that the same file stored again for the same years and set is recognised
    """
    ALTER TABLE assessments ADD COLUMN official TEXT;
    ALTER TABLE assessments ADD COLUMN official_district TEXT;
    ALTER TABLE assessments ADD COLUMN official_province TEXT;
    ALTER TABLE assessments ADD COLUMN unit_code TEXT;
    ALTER TABLE assessments ADD COLUMN official_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE batches ADD COLUMN content_sha256 TEXT;
    CREATE INDEX assessments_by_code ON assessments (unit_code);
    CREATE INDEX assessments_by_official_name ON assessments (official_key);
    CREATE INDEX batches_by_content ON batches (content_sha256);
    CREATE INDEX assessments_known ON assessments (province_key, commune_key) WHERE official IS NOT NULL
    """,
]
VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if row is None:
        return 0
    found = conn.execute("SELECT version FROM schema_version").fetchone()
    return found[0] if found else 0


def migrate(conn: sqlite3.Connection, target: int = VERSION, fill=None) -> int:
    """Apply the migrations the database lacks, each in its own transaction; returns the version.
    `fill(conn, version)`: after the migration to `version`, what the storing code fills in for
    the rows stored before it (in the same transaction)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        if conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    current = version(conn)
    if current > VERSION:
        raise sqlite3.DatabaseError(f"the database is at schema version {current}, newer than this ntm-rules "
                                    f"knows ({VERSION}); use a newer ntm-rules")
    while current < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = version(conn)  # another process may have migrated meanwhile
            if current >= target:
                conn.execute("COMMIT")
                break
            for statement in MIGRATIONS[current].split(";"):
                if statement.strip():
                    conn.execute(statement)
            if current == 1:  # rows stored at version 1 get the keys version 2 looks them up by
                for row in conn.execute("SELECT id, name, province FROM assessments").fetchall():
                    conn.execute("UPDATE assessments SET name_key = ?, province_key = ? WHERE id = ?",
                                 (exact(row["name"]), exact(row["province"]), row["id"]))
            current += 1
            if fill is not None:
                fill(conn, current)
            conn.execute("UPDATE schema_version SET version = ?", (current,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return current
