"""Assessments over time: a SQLite history of batches, and the progress a coordination office reports.

Every batch is stored whole in one transaction (`store_batch`): its assessments (commune, year,
date, ruleset id and hash, verdict, certainty), each criterion's and each indicator's status, and
the communes it was told were registered to attain that year. A batch that fails half-way, or a
process killed while storing, leaves nothing of it behind: SQLite rolls the transaction back.

The schema is versioned: `schema_version` holds the number of migrations applied, and `MIGRATIONS`
lists them in order; opening a database applies the missing ones (each in its own transaction).
A database written by a newer ntm-rules (a higher version than this one knows) is refused.

The queries answer the office's questions: per commune, criteria met over time and what changed
since the previous assessment; per province, the average criteria met per commune per batch, each
department's failing criteria over time, and the registered communes against their target year.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable

from .errors import InputError, OutputError, Say
from .outcome import acting
from .summary import exact

DB_ENV = "NTM_DB"
DB_NAME = "history.sqlite3"

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
    # (`outcome.acting`): batches stored before it show no departments
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
]
VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    """$NTM_DB, else history.sqlite3 in the user's data folder (~/.local/share/ntm-rules on Linux)."""
    chosen = os.environ.get(DB_ENV)
    if chosen:
        return Path(chosen)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ntm-rules", appauthor=False)) / DB_NAME


def _db_error(path, error: Exception) -> OutputError:
    reason = getattr(error, "strerror", None) or str(error)
    return OutputError(Say(f"{path}: không mở được cơ sở dữ liệu lịch sử ({reason}); cách sửa: chọn tệp --db ghi được",
                           f"{path}: cannot open the history database ({reason}); fix: choose a --db file you can write"))


def connect(path: str | os.PathLike | None = None, *, create: bool = True) -> sqlite3.Connection:
    """The history database at `path` (default: `default_db_path()`), migrated to this version.

    Autocommit mode: every write in this module opens its own transaction. Raises OutputError when
    the file cannot be opened or is not a history database of a version this ntm-rules knows."""
    path = Path(path) if path is not None else default_db_path()
    if not create and not path.is_file():
        raise InputError(Say("chưa có lịch sử nào: chưa lượt đánh giá nào được lưu vào tệp này",
                             "no history yet: no batch has been stored in this file"), source=str(path),
                         fix=Say("chạy ntm-assess batch ... --db, hoặc tải một lượt lên trang của ntm-assess serve",
                                 "run ntm-assess batch ... --db, or upload a batch to ntm-assess serve"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn)
    except sqlite3.DatabaseError as error:
        raise _db_error(path, error) from None
    except OSError as error:
        raise _db_error(path, error) from None
    return conn


def version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if row is None:
        return 0
    found = conn.execute("SELECT version FROM schema_version").fetchone()
    return found[0] if found else 0


def migrate(conn: sqlite3.Connection, target: int = VERSION) -> int:
    """Apply the migrations the database lacks, each in its own transaction; returns the version."""
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
            if current == 3:  # batches stored before version 4 are counted now
                for (batch_id,) in conn.execute("SELECT id FROM batches").fetchall():
                    tally_batch(conn, batch_id)
            current += 1
            conn.execute("UPDATE schema_version SET version = ?", (current,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return current


def commune_key(commune: dict) -> str:
    """How a commune is recognised from one batch to the next: its code when it has one, else its
    name, district and province as registered communes are matched (case and spaces ignored, accents kept)."""
    code = exact(commune.get("code"))
    if code:
        return f"code:{code}"
    return "name:" + "|".join(exact(commune.get(k)) for k in ("name", "district", "province"))


def new_batch_key() -> str:
    return secrets.token_hex(12)


def _value(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _get(summary, name, default=None):
    if summary is None:
        return default
    if isinstance(summary, dict):
        return summary.get(name, default)
    return getattr(summary, name, default)


def acting_in_result(a: dict) -> list:
    """`outcome.acting` for a result in the `--format json` shape: each indicator of a department
    looked up in the result's own criteria, or for level "standard" in the failing standard criteria."""
    own = {i["id"]: (c["id"], i["department_verified"]) for c in a["criteria"] for i in c["indicators"]}
    standard = {i["id"]: (c["id"], i["department_verified"])
                for level in (a.get("levels") or {}).values() for c in level.get("failing_criteria") or []
                for i in c["indicators"]}
    departments = [SimpleNamespace(**d) for d in a["departments"]]
    return acting(departments, lambda level, indicator_id: (standard if level == "standard" else own)[indicator_id])


def store_batch(conn: sqlite3.Connection, assessments: Iterable[dict], *, summary=None, key: str | None = None,
                assessed_on: date | None = None, inputs: list[dict] | None = None, stored_by: str | None = None) -> str:
    """Store a finished batch: its assessments (dicts in the `--format json` shape, as
    `batch.read_assessments` yields them), and, from its summary, the ruleset, the counts and the
    registered communes; `stored_by` names who stored it (the service's key). One transaction: on
    any failure nothing of the batch is stored.

    Returns the batch's key. When the summary gives a count of assessed communes, a number of
    assessments that differs from it is refused (nothing stored)."""
    key = key or new_batch_key()
    day = (assessed_on or date.today()).isoformat()
    ruleset = _get(summary, "ruleset")
    conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = conn.execute(
            "INSERT INTO batches (key, stored_at, assessed_on, ruleset_id, ruleset_sha256, years, inputs, assessed, rejected,"
            " stored_by) VALUES (?, ?, ?, ?, ?, '[]', ?, 0, 0, ?)",
            (key, datetime.now(timezone.utc).isoformat(timespec="seconds"), day, _get(ruleset, "id"),
             _get(ruleset, "sha256"), json.dumps(inputs if inputs is not None else [
                 {"name": Path(_get(i, "path", "")).name, "sha256": _get(i, "sha256")} for i in _get(summary, "inputs", [])],
                 ensure_ascii=False), stored_by))
        batch_id = cursor.lastrowid
        years: set[int] = set()
        stored = 0
        keys_by_code: dict[str, str] = {}
        keys_by_name: dict[tuple, list[str]] = {}
        for position, a in enumerate(assessments):
            commune = a["commune"]
            ckey = commune_key(commune)
            years.add(a["year"])
            row = conn.execute(
                "INSERT INTO assessments (batch_id, position, commune_key, name, district, province, code, year, assessed_on,"
                " ruleset_id, ruleset_sha256, attained, certain, criteria_met, criteria_total, province_key, name_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch_id, position, ckey, commune["name"], commune.get("district"), commune.get("province"),
                 commune.get("code"), a["year"], day, a["ruleset"]["id"], a["ruleset"]["sha256"], int(a["attained"]),
                 int(a["certain"]), a["criteria_met"], a["criteria_total"], exact(commune.get("province")),
                 exact(commune["name"])))
            assessment_id = row.lastrowid
            conn.executemany(
                "INSERT INTO criterion_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(assessment_id, c["id"], c["name"], c["name_en"], c["department"], c["department_name"],
                  c["department_name_en"], c["status"], int(c["certain"])) for c in a["criteria"]])
            names = {d["id"]: (d["name"], d["name_en"]) for d in a["departments"]}
            conn.executemany(
                "INSERT INTO acting_departments VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(assessment_id, d.id, *names[d.id], json.dumps(list(d.criteria)), int(d.verified), d.level)
                 for d in acting_in_result(a)])
            conn.executemany(
                "INSERT INTO indicator_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(assessment_id, i["id"], c["id"], i["status"], int(i["certain"]), _value(i.get("value")), i.get("gap"))
                 for c in a["criteria"] for i in c["indicators"]])
            if commune.get("code"):
                keys_by_code[exact(commune["code"])] = ckey
            keys_by_name.setdefault((exact(commune["name"]), exact(commune.get("district"))), []).append(ckey)
            stored += 1
        expected = _get(summary, "assessed")
        if expected is not None and expected != stored:
            raise OutputError(Say(f"lượt đánh giá có {expected} xã nhưng đọc được {stored}; không lưu gì",
                                  f"the batch assessed {expected} communes but {stored} were read; nothing stored"))
        target = max(years) if years else None
        for position, r in enumerate(_get(summary, "registered", []) or []):
            matched = None
            if _get(r, "status") == "found":
                code = exact(_get(r, "code"))
                if code and code in keys_by_code:
                    matched = keys_by_code[code]
                else:
                    candidates = keys_by_name.get((exact(_get(r, "commune")), exact(_get(r, "district"))), [])
                    matched = candidates[0] if len(candidates) == 1 else None
            conn.execute("INSERT INTO registered VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (batch_id, position, _get(r, "commune"), _get(r, "district"), _get(r, "code"),
                          _get(r, "year") or target, _get(r, "status"), matched))
        conn.execute("UPDATE batches SET years = ?, assessed = ?, rejected = ? WHERE id = ?",
                     (json.dumps(sorted(years)), stored, _get(summary, "rejected", 0) or 0, batch_id))
        conn.execute(ONE_PROVINCE + " WHERE id = ?", (batch_id,))
        tally_batch(conn, batch_id)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return key


# ---------------------------------------------------------------- queries


@dataclass
class Entry:
    """One assessment of one commune, as the history shows it."""

    batch: str
    year: int
    assessed_on: str
    ruleset_id: str
    ruleset_sha256: str
    attained: bool
    certain: bool
    criteria_met: int
    criteria_total: int
    criteria: dict[str, str]  # id → status
    names: dict[str, tuple[str, str]]  # id → (vi, en)
    indicators: dict[str, str]
    gained: list[str] = field(default_factory=list)  # criteria met now, not at the previous assessment
    lost: list[str] = field(default_factory=list)  # criteria met at the previous assessment, not now
    indicators_gained: list[str] = field(default_factory=list)
    indicators_lost: list[str] = field(default_factory=list)
    first: bool = True


@dataclass
class Commune:
    key: str
    name: str
    district: str | None
    province: str | None
    code: str | None
    entries: list[Entry]


def _order(cid: str):
    return [int(p) if p.isdigit() else 0 for p in cid.replace("-", ".").split(".")], cid


def find_communes(conn: sqlite3.Connection, text: str, province: str | None = None) -> list[str]:
    """The keys of the communes `text` names: a code, else a name (case and spaces ignored, accents kept)."""
    wanted = exact(text)
    keys = [r[0] for r in conn.execute("SELECT DISTINCT commune_key FROM assessments WHERE commune_key = ?",
                                       (f"code:{wanted}",))]
    if not keys:
        query = "SELECT DISTINCT commune_key FROM assessments WHERE name_key = ?"
        args: list = [wanted]
        if province:
            query += " AND province_key = ?"
            args.append(exact(province))
        keys = [r[0] for r in conn.execute(query, args)]
    return keys


def commune_history(conn: sqlite3.Connection, key: str) -> Commune | None:
    """Every stored assessment of one commune, oldest first, each with what changed since the one before."""
    rows = conn.execute(
        "SELECT a.*, b.key AS batch_key FROM assessments a JOIN batches b ON b.id = a.batch_id WHERE a.commune_key = ?"
        " ORDER BY a.year, a.assessed_on, a.batch_id, a.id", (key,)).fetchall()
    if not rows:
        return None
    entries = []
    for row in rows:
        criteria, names = {}, {}
        for c in conn.execute("SELECT criterion_id, status, name, name_en FROM criterion_results WHERE assessment_id = ?",
                              (row["id"],)):
            criteria[c["criterion_id"]] = c["status"]
            names[c["criterion_id"]] = (c["name"], c["name_en"])
        indicators = {i["indicator_id"]: i["status"] for i in conn.execute(
            "SELECT indicator_id, status FROM indicator_results WHERE assessment_id = ?", (row["id"],))}
        entries.append(Entry(batch=row["batch_key"], year=row["year"], assessed_on=row["assessed_on"],
                             ruleset_id=row["ruleset_id"], ruleset_sha256=row["ruleset_sha256"],
                             attained=bool(row["attained"]), certain=bool(row["certain"]),
                             criteria_met=row["criteria_met"], criteria_total=row["criteria_total"],
                             criteria=dict(sorted(criteria.items(), key=lambda kv: _order(kv[0]))), names=names,
                             indicators=indicators))
    for before, after in zip(entries, entries[1:]):
        after.first = False
        after.gained = [c for c, s in after.criteria.items() if s == "met" and before.criteria.get(c, "met") != "met"]
        after.lost = [c for c, s in after.criteria.items() if s != "met" and before.criteria.get(c) == "met"]
        after.indicators_gained = sorted((i for i, s in after.indicators.items()
                                          if s == "met" and before.indicators.get(i, "met") != "met"), key=_order)
        after.indicators_lost = sorted((i for i, s in after.indicators.items()
                                        if s != "met" and before.indicators.get(i) == "met"), key=_order)
    last = rows[-1]
    return Commune(key=key, name=last["name"], district=last["district"], province=last["province"], code=last["code"],
                   entries=entries)


@dataclass
class Round:
    """One stored batch as the province's history shows it (a column of the tables)."""

    batch: str
    year: int
    assessed_on: str
    ruleset_id: str
    communes: int
    attained: int
    average: float | None
    departments: dict[str, dict] = field(default_factory=dict)  # id → {name, name_en, criteria, communes}
    stored_by: str | None = None  # the name of the service's key that stored the batch


@dataclass
class Registered:
    name: str
    district: str | None
    code: str | None
    target_year: int | None
    status: str  # found, rejected, ambiguous, not_found (in the batch that registered it)
    commune: str | None  # its key, when found
    attained_year: int | None = None  # the first year it was assessed as attaining
    latest: Entry | None = None

    @property
    def state(self) -> str:
        """on_time, late, not_yet, no_data (never assessed as the commune the list names)."""
        if self.latest is None:
            return "no_data"
        if self.attained_year is None:
            return "not_yet"
        return "on_time" if self.target_year is None or self.attained_year <= self.target_year else "late"


@dataclass
class Province:
    name: str
    rounds: list[Round]
    communes: list[Commune]
    registered: list[Registered]


def provinces(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """The provinces in the history, with how many communes of each."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT MAX(province), COUNT(DISTINCT commune_key) FROM assessments WHERE province_key != '' "
        "GROUP BY province_key ORDER BY MAX(province)")]


def province_history(conn: sqlite3.Connection, province: str) -> Province | None:
    """Everything stored for one province, by batch (oldest first): averages, departments, communes, registered."""
    pkey = exact(province)
    found = province_rounds(conn, pkey)
    if found is None:
        return None
    name, rounds = found
    communes = [c for c in (commune_history(conn, k) for k in province_commune_keys(conn, pkey)) if c is not None]
    by_key = {c.key: c for c in communes}
    registered = [with_latest(r, by_key.get(r.commune) if r.commune else None) for r in province_registered(conn, pkey)]
    return Province(name=name, rounds=rounds, communes=communes, registered=registered)


def tally_batch(conn: sqlite3.Connection, batch_id: int) -> None:
    """Count a stored batch by province (communes, attained, criteria met, and each department's
    failing criteria over how many communes) into batch_provinces: what a province's history shows
    of the batch, read from there without counting its assessments again."""
    for b in conn.execute(
            "SELECT province_key, MAX(province) AS province, MIN(year) AS year, COUNT(*) AS communes,"
            " SUM(attained) AS attained, SUM(criteria_met) AS met FROM assessments WHERE batch_id = ?"
            " GROUP BY province_key", (batch_id,)).fetchall():
        departments: dict[str, dict] = {}
        # each distinct list of criteria once (a department acts on a few lists, over many communes)
        for d in conn.execute(
                "SELECT d.department, d.criteria, MAX(d.name) AS name, MAX(d.name_en) AS name_en, COUNT(*) AS communes"
                " FROM acting_departments d JOIN assessments a ON a.id = d.assessment_id"
                " WHERE a.batch_id = ? AND a.province_key = ? GROUP BY d.department, d.criteria ORDER BY d.department",
                (batch_id, b["province_key"])):
            info = departments.setdefault(d["department"], {"name": d["name"], "name_en": d["name_en"],
                                                            "communes": 0, "criteria": set()})
            info["name"], info["name_en"] = max(info["name"], d["name"]), max(info["name_en"], d["name_en"])
            info["communes"] += d["communes"]
            info["criteria"].update(json.loads(d["criteria"]))
        for info in departments.values():
            info["criteria"] = sorted(info["criteria"], key=_order)
        conn.execute("INSERT INTO batch_provinces VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (batch_id, b["province_key"], b["province"], b["year"], b["communes"], b["attained"], b["met"],
                      json.dumps(departments, ensure_ascii=False)))


def province_rounds(conn: sqlite3.Connection, pkey: str) -> tuple[str, list[Round]] | None:
    """The province's name and its batches (oldest first), each with its averages and departments
    (as `tally_batch` counted them); `pkey` is the province's key (`exact(name)`). None when the
    history has no such province."""
    batches = conn.execute(
        "SELECT b.key, p.year, b.assessed_on, b.ruleset_id, b.stored_by, p.communes, p.attained, p.met, p.province,"
        " p.departments FROM batch_provinces p JOIN batches b ON b.id = p.batch_id WHERE p.province_key = ?"
        " ORDER BY p.year, b.assessed_on, b.id", (pkey,)).fetchall()
    if not batches:
        return None
    from .summary import average

    rounds = [Round(batch=b["key"], year=b["year"], assessed_on=b["assessed_on"], ruleset_id=b["ruleset_id"],
                    communes=b["communes"], attained=b["attained"], average=average(b["met"], b["communes"]),
                    stored_by=b["stored_by"], departments=json.loads(b["departments"])) for b in batches]
    return batches[-1]["province"], rounds


def province_commune_keys(conn: sqlite3.Connection, pkey: str, offset: int = 0, limit: int = -1) -> list[str]:
    """The keys of the province's communes, by district and name: `limit` of them from `offset` (-1: all)."""
    return [r[0] for r in conn.execute(
        "SELECT commune_key FROM assessments WHERE province_key = ? GROUP BY commune_key"
        " ORDER BY MIN(district), MIN(name), commune_key LIMIT ? OFFSET ?", (pkey, limit, offset))]


def province_registered(conn: sqlite3.Connection, pkey: str) -> list[Registered]:
    """The communes registered to attain in the province's batches, without their assessments
    (`with_latest` adds them); a commune registered again for the same year: the latest list."""
    registered: dict[tuple, Registered] = {}
    for r in conn.execute(
            "SELECT r.* FROM registered r JOIN batches b ON b.id = r.batch_id WHERE r.batch_id IN"
            " (SELECT DISTINCT batch_id FROM assessments WHERE province_key = ?) ORDER BY r.target_year, b.id, r.position",
            (pkey,)):
        who = r["commune_key"] or (exact(r["name"]), exact(r["district"]), exact(r["code"]))
        registered[(who, r["target_year"])] = Registered(name=r["name"], district=r["district"], code=r["code"],
                                                         target_year=r["target_year"], status=r["status"],
                                                         commune=r["commune_key"])
    return list(registered.values())


def with_latest(entry: Registered, commune: Commune | None) -> Registered:
    """A registered commune with its latest assessment and the year it first attained (from its history)."""
    if commune is not None:
        entry.latest = commune.entries[-1]
        entry.attained_year = next((e.year for e in commune.entries if e.attained), None)
    return entry


# ---------------------------------------------------------------- printing

WORDS = {
    "vi": {"title": "Lịch sử đánh giá", "criteria": "tiêu chí", "attained": "ĐẠT", "not_attained": "chưa đạt",
           "gained": "đạt thêm", "lost": "không còn đạt", "indicators_gained": "chỉ tiêu đạt thêm",
           "indicators_lost": "chỉ tiêu không còn đạt", "no_change": "không đổi", "first": "lần đầu",
           "average": "Bình quân số tiêu chí đạt/xã", "attained_count": "Số xã đạt chuẩn", "rounds": "Các lượt",
           "communes": "Theo xã: số tiêu chí đạt qua các lượt, và thay đổi so với lượt trước",
           "departments": "Theo sở, ngành: tiêu chí không đạt (số xã không đạt một trong các tiêu chí đó)",
           "registered": "Xã đăng ký đạt chuẩn, so với năm đăng ký", "target": "đăng ký đạt năm",
           "on_time": "đã đạt năm {year}, đúng hạn", "late": "đạt năm {year}, chậm so với đăng ký",
           "not_yet": "chưa đạt (lần gần nhất {year}: {met}/{total} tiêu chí)", "no_data": "chưa có kết quả đánh giá",
           "status_rejected": "dòng của xã không đánh giá được", "status_ambiguous": "trùng tên, không rõ xã nào",
           "status_not_found": "không có trong dữ liệu", "none": "không có", "uncertain": " (chưa chắc chắn)",
           "code": "mã", "of": "xã", "ruleset": "bộ"},
    "en": {"title": "Assessment history", "criteria": "criteria", "attained": "ATTAINED", "not_attained": "not attained",
           "gained": "now met", "lost": "no longer met", "indicators_gained": "indicators now met",
           "indicators_lost": "indicators no longer met", "no_change": "no change", "first": "first assessment",
           "average": "Average criteria met per commune", "attained_count": "Communes attained", "rounds": "Batches",
           "communes": "By commune: criteria met over the batches, and what changed since the previous one",
           "departments": "By department: failing criteria (communes failing one of them)",
           "registered": "Communes registered to attain, against their target year", "target": "target year",
           "on_time": "attained in {year}, on time", "late": "attained in {year}, later than registered",
           "not_yet": "not yet attained (latest {year}: {met}/{total} criteria)", "no_data": "no assessment yet",
           "status_rejected": "its row could not be assessed", "status_ambiguous": "name shared, commune unclear",
           "status_not_found": "not in the data", "none": "none", "uncertain": " (not certain)",
           "code": "code", "of": "communes", "ruleset": "set"},
}


def shown_date(day: str, lang: str) -> str:
    if lang != "vi":
        return day
    y, m, d = day.split("-")
    return f"{d}/{m}/{y}"


def place(c: Commune, lang: str) -> str:
    parts = [p for p in (c.district, c.province) if p]
    where = f" ({', '.join(parts)}{'; ' + WORDS[lang]['code'] + ' ' + c.code if c.code else ''})" if parts or c.code else ""
    return c.name + where


def entry_line(e: Entry, lang: str) -> str:
    W = WORDS[lang]
    verdict = W["attained"] if e.attained else W["not_attained"]
    return (f"{e.year} ({shown_date(e.assessed_on, lang)}, {e.ruleset_id}): {e.criteria_met}/{e.criteria_total} "
            f"{W['criteria']}, {verdict}{'' if e.certain else W['uncertain']}")


def change_text(e: Entry, lang: str) -> str:
    W = WORDS[lang]
    if e.first:
        return W["first"]
    parts = []
    if e.gained:
        parts.append(f"{W['gained']}: {', '.join(e.gained)}")
    if e.lost:
        parts.append(f"{W['lost']}: {', '.join(e.lost)}")
    if e.indicators_gained and not e.gained:
        parts.append(f"{W['indicators_gained']}: {', '.join(e.indicators_gained)}")
    if e.indicators_lost and not e.lost:
        parts.append(f"{W['indicators_lost']}: {', '.join(e.indicators_lost)}")
    return "; ".join(parts) or W["no_change"]


def registered_text(r: Registered, lang: str) -> str:
    W = WORDS[lang]
    if r.status != "found" and r.latest is None:
        return W.get(f"status_{r.status}", r.status)
    state = r.state
    if state == "no_data":
        return W["no_data"]
    if state == "not_yet":
        return W["not_yet"].format(year=r.latest.year, met=r.latest.criteria_met, total=r.latest.criteria_total)
    return W[state].format(year=r.attained_year)


def commune_text(c: Commune, lang: str = "vi") -> str:
    lines = [f"{WORDS[lang]['title']}: {place(c, lang)}"]
    for e in c.entries:
        lines.append(f"  {entry_line(e, lang)} — {change_text(e, lang)}")
    return "\n".join(lines) + "\n"


def province_text(p: Province, lang: str = "vi") -> str:
    from .words import one_decimal

    W = WORDS[lang]
    lines = [f"{W['title']}: {p.name}", f"{W['rounds']}:"]
    for r in p.rounds:
        avg = one_decimal(r.average, lang) if r.average is not None else "—"
        lines.append(f"  {r.year} ({shown_date(r.assessed_on, lang)}, {W['ruleset']} {r.ruleset_id}): {r.communes} {W['of']}, "
                     f"{W['attained_count'].lower()} {r.attained}, {W['average'].lower()} {avg}")
    lines += ["", f"{W['communes']}:"]
    for c in p.communes:
        trail = " → ".join(f"{e.year}: {e.criteria_met}/{e.criteria_total}{' ✓' if e.attained else ''}" for e in c.entries)
        last = c.entries[-1]
        lines.append(f"  {place(c, lang)}: {trail} — {change_text(last, lang)}")
    lines += ["", f"{W['departments']}:"]
    departments: dict[str, str] = {}
    for r in p.rounds:
        for d, info in r.departments.items():
            departments.setdefault(d, info["name_en"] if lang == "en" else info["name"])
    for d, name in departments.items():
        cells = []
        for r in p.rounds:
            info = r.departments.get(d)
            cells.append(f"{r.year}: " + (f"{', '.join(info['criteria'])} ({info['communes']} {W['of']})" if info
                                          else W["none"]))
        lines.append(f"  {name}: " + " · ".join(cells))
    if p.registered:
        lines += ["", f"{W['registered']}:"]
        for r in p.registered:
            where = f" ({r.district})" if r.district else ""
            lines.append(f"  {r.name}{where}, {W['target']} {r.target_year}: {registered_text(r, lang)}")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ["province", "district", "commune", "code", "year", "assessed_on", "ruleset", "ruleset_sha256",
               "attained", "certain", "criteria_met", "criteria_total", "criteria_not_met", "criteria_missing",
               "gained_since_previous", "lost_since_previous", "batch"]


def history_csv(communes: Iterable[Commune]) -> str:
    """One row per stored assessment (UTF-8 with a BOM for Excel): what changed since the commune's previous one."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in communes:
        for e in c.entries:
            writer.writerow([_cell(x) for x in (
                c.province or "", c.district or "", c.name, c.code or "", e.year, e.assessed_on, e.ruleset_id,
                e.ruleset_sha256, int(e.attained), int(e.certain), e.criteria_met, e.criteria_total,
                " ".join(k for k, s in e.criteria.items() if s == "not_met"),
                " ".join(k for k, s in e.criteria.items() if s == "missing"),
                " ".join(e.gained), " ".join(e.lost), e.batch)])
    return out.getvalue()


def _cell(value):
    """A text cell as text: one a spreadsheet would read as a formula gets a leading apostrophe."""
    from .plan import safe_text

    return safe_text(value) if isinstance(value, str) else value
