"""Assessments over time: a SQLite history of batches, and the progress a coordination office reports.

Every batch is stored whole in one transaction (`store_batch`): its assessments (commune, year,
date, ruleset id and hash, verdict, certainty), each criterion's and each indicator's status, and
the communes it was told were registered to attain that year. A batch that fails half-way, or a
process killed while storing, leaves nothing of it behind: SQLite rolls the transaction back.

The schema is versioned (`history_migrations.py`): opening a database applies the migrations it
lacks; one written by a newer ntm-rules is refused.

The queries answer the office's questions: per commune, criteria met over time and what changed
since the previous assessment; per province, the average criteria met per commune per batch, each
department's failing criteria over time, and the registered communes against their target year.
Storage and queries only: `ntm_rules.reports.progress` prints what they return.
"""
from __future__ import annotations

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
from .history_migrations import ONE_PROVINCE, migrate
from .outcome import acting
from .regions import exact
from .words.phrases import average

DB_ENV = "NTM_DB"
DB_NAME = "history.sqlite3"


def default_db_path() -> Path:
    """$NTM_DB, else history.sqlite3 in the user's data folder (~/.local/share/ntm-rules on Linux)."""
    chosen = os.environ.get(DB_ENV)
    if chosen:
        return Path(chosen)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ntm-rules", appauthor=False)) / DB_NAME


def _db_error(path, error: Exception) -> OutputError:
    reason = getattr(error, "strerror", None) or str(error)
    return OutputError(Say(f"{path}: không mở được cơ sở dữ liệu lịch sử ({reason}); cách sửa: chọn tệp ghi được (⟪db⟫)",
                           f"{path}: cannot open the history database ({reason}); fix: choose a file you can write (⟪db⟫)"))


def connect(path: str | os.PathLike | None = None, *, create: bool = True) -> sqlite3.Connection:
    """The history database at `path` (default: `default_db_path()`), migrated to this version.

    Autocommit mode: every write in this module opens its own transaction. Raises OutputError when
    the file cannot be opened or is not a history database of a version this ntm-rules knows."""
    path = Path(path) if path is not None else default_db_path()
    if not create and not path.is_file():
        raise InputError(Say("chưa có lịch sử nào: chưa lượt đánh giá nào được lưu vào tệp này",
                             "no history yet: no batch has been stored in this file"), source=str(path),
                         fix=Say("lưu một lượt đánh giá vào lịch sử: ⟪batch_db⟫", "store a batch in the history: ⟪batch_db⟫"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn, fill=_fill)
    except sqlite3.DatabaseError as error:
        raise _db_error(path, error) from None
    except OSError as error:
        raise _db_error(path, error) from None
    return conn


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


def _fill(conn: sqlite3.Connection, version: int) -> None:
    """What a migration asks of rows stored before it: at version 4, each batch counted by province."""
    if version == 4:
        for (batch_id,) in conn.execute("SELECT id FROM batches").fetchall():
            tally_batch(conn, batch_id)


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
