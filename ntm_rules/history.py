"""Assessments over time: a SQLite history of batches, and the progress a coordination office reports.

Every batch is stored whole in one transaction (`store_batch`): its assessments (commune, year,
date, ruleset id and hash, verdict, certainty), each criterion's and each indicator's status, and
the communes it was told were registered to attain that year. A batch that fails half-way, or a
process killed while storing, leaves nothing of it behind: SQLite rolls the transaction back.

Communes and provinces are kept by the one identity of places (`history_places`): a commune's key
is its official unit ("c63:05503"), however its rows spell it, or for a commune the directory does
not know its name within its district and province; a province's key its official name's. A batch
records its content (the sha256 of its input file's bytes): the same file stored again for the
same years and set is refused (`AlreadyStored`), or replaces the earlier batch when asked
(`replace`), never a second round. A corrected rejected.xlsx joins its batch's round when asked
(`amend_batch`): its communes added to the batch, one already in it replaced, the batch counted again.

The schema is versioned (`history_migrations.py`): opening a database applies the migrations it
lacks; one written by a newer ntm-rules is refused.

The queries (`history_queries.py`, named here) answer the office's questions. Storage and queries
only: `ntm_rules.reports.progress` prints what they return.
"""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable

from . import places
from .errors import InputError, NtmError, OutputError, Say
from .history_migrations import ONE_PROVINCE, migrate
from .history_places import Link, Merge, content_hash, identity, rekey
from .history_queries import (Commune, Entry, Province, Registered, Round, _order, commune_history, find_communes,
                              province_commune_keys, province_history, province_key, province_reform, province_registered,
                              province_rounds, provinces, with_latest)
from .acting import acting

__all__ = ["AlreadyStored", "Commune", "Entry", "Link", "Merge", "Province", "Registered", "Round", "amend_batch",
           "commune_history", "commune_key", "connect", "default_db_path", "find_communes", "new_batch_key",
           "province_commune_keys", "province_history", "province_key", "province_reform", "province_registered",
           "province_rounds", "provinces", "store_batch", "tally_batch", "with_latest"]

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
    if isinstance(error, sqlite3.DatabaseError):  # not a database, damaged, or newer than this ntm-rules
        return OutputError(Say(f"{path}: không dùng được làm lịch sử ({reason}); cách sửa: chọn tệp lịch sử của "
                               f"ntm-rules (⟪db⟫)", f"{path}: cannot be used as the history ({reason}); fix: choose an "
                               f"ntm-rules history file (⟪db⟫)"))
    return OutputError(Say(f"{path}: không mở được cơ sở dữ liệu lịch sử ({reason}); cách sửa: chọn tệp ghi được (⟪db⟫)",
                           f"{path}: cannot open the history database ({reason}); fix: choose a file you can write (⟪db⟫)"))


NO_HISTORY = (Say("chưa có lịch sử nào: chưa lượt đánh giá nào được lưu vào tệp này",
                  "no history yet: no batch has been stored in this file"),
              Say("lưu một lượt đánh giá vào lịch sử: ⟪batch_db⟫", "store a batch in the history: ⟪batch_db⟫"))


def _ours(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    """A database of another program is never written into (no table of ours added to it); an
    empty one is a new history only where one is being stored."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "schema_version" not in tables:
        raise OutputError(Say(f"{path}: tệp SQLite này không phải lịch sử của ntm-rules (không ghi gì vào đó); cách sửa: "
                              f"chọn tệp lịch sử của ntm-rules, hoặc một tệp mới (⟪db⟫)",
                              f"{path}: this SQLite file is not an ntm-rules history (nothing was written to it); fix: "
                              f"choose an ntm-rules history file, or a new file (⟪db⟫)"))
    if not tables and not create:
        raise InputError(NO_HISTORY[0], source=str(path), fix=NO_HISTORY[1])


def connect(path: str | os.PathLike | None = None, *, create: bool = True) -> sqlite3.Connection:
    """The history database at `path` (default: `default_db_path()`), migrated to this version.

    Autocommit mode: every write in this module opens its own transaction. Raises OutputError when
    the file cannot be opened or is not a history database of a version this ntm-rules knows."""
    path = Path(path) if path is not None else default_db_path()
    if not create and not path.is_file():
        raise InputError(NO_HISTORY[0], source=str(path), fix=NO_HISTORY[1])
    conn = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        _ours(conn, path, create)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn, fill=_fill)
    except (sqlite3.DatabaseError, OSError) as error:
        if conn is not None:
            conn.close()
        raise _db_error(path, error) from None
    except NtmError:
        conn.close()
        raise
    return conn


def commune_key(commune: dict, year: int | None = None) -> str:
    """How a commune is recognised from one batch to the next: the key of the place its name,
    district, province and code mean in the era of `year` (`places.commune`)."""
    return identity(commune.get("name"), commune.get("district"), commune.get("province"), commune.get("code"),
                    year)["commune_key"]


def _recorded(summary, inputs: list[dict] | None) -> list[dict]:
    """The input files a stored batch records: as given, else the summary's, by file name (never a path)."""
    if inputs is not None:
        return inputs
    return [{"name": Path(_get(i, "path", "")).name, "sha256": _get(i, "sha256")} for i in _get(summary, "inputs", [])]


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
    """`acting.acting` for a result in the `--format json` shape: each indicator of a department
    looked up in the result's own criteria, or for level "standard" in the failing standard criteria."""
    own = {i["id"]: (c["id"], i["department_verified"]) for c in a["criteria"] for i in c["indicators"]}
    standard = {i["id"]: (c["id"], i["department_verified"])
                for level in (a.get("levels") or {}).values() for c in level.get("failing_criteria") or []
                for i in c["indicators"]}
    departments = [SimpleNamespace(**d) for d in a["departments"]]
    return acting(departments, lambda level, indicator_id: (standard if level == "standard" else own)[indicator_id])


class AlreadyStored(InputError):
    """The same input file (the same content) is already stored for the same years and set:
    `earlier`, the keys of the batches it is stored as."""

    def __init__(self, earlier: list[str], years: list[int], ruleset_id: str | None):
        self.earlier = earlier
        shown, when, ruleset = ", ".join(earlier), ", ".join(map(str, years)) or "—", ruleset_id or "—"
        super().__init__(
            Say(f"tệp này (cùng nội dung) đã được lưu vào lịch sử cho năm {when}, bộ tiêu chí {ruleset}: lượt {shown};"
                " không lưu lại lần nữa",
                f"this file (the same content) is already stored in the history for {when}, set {ruleset}: batch "
                f"{shown}; not stored again"),
            fix=Say("giữ lượt đã lưu, hoặc thay lượt đó bằng lượt này (⟪replace⟫)",
                    "keep the stored batch, or replace it with this one (⟪replace⟫)"))


def _insert(conn: sqlite3.Connection, batch_id: int, position: int, a: dict, day: str) -> dict:
    """One assessment into a batch, keyed by its place's identity; returns its identity's columns."""
    commune = a["commune"]
    place = identity(commune["name"], commune.get("district"), commune.get("province"), commune.get("code"), a["year"])
    row = conn.execute(
        "INSERT INTO assessments (batch_id, position, commune_key, name, district, province, code, year, assessed_on,"
        " ruleset_id, ruleset_sha256, attained, certain, criteria_met, criteria_total, province_key, name_key, official,"
        " official_district, official_province, unit_code, official_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (batch_id, position, place["commune_key"], commune["name"], commune.get("district"), commune.get("province"),
         commune.get("code"), a["year"], day, a["ruleset"]["id"], a["ruleset"]["sha256"], int(a["attained"]),
         int(a["certain"]), a["criteria_met"], a["criteria_total"], place["province_key"], place["name_key"],
         place["official"], place["official_district"], place["official_province"], place["unit_code"],
         place["official_key"]))
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
    return place


class _Index:
    """A batch's communes by official code and by name and district (written and official), to
    match the registered communes to them."""

    def __init__(self):
        self.by_code: dict[str, str] = {}
        self.by_name: dict[tuple, set[str]] = {}

    def add(self, key: str, code: str | None, names: tuple, districts: tuple) -> None:
        if code:
            self.by_code[code] = key
        for name in {places.name_key(n) for n in names if n}:
            for district in {places.name_key(d) for d in districts} | {""}:  # "": the name alone
                self.by_name.setdefault((name, district), set()).add(key)

    def match(self, name, district, code) -> str | None:
        """The one commune of the batch a registered entry names: by its code, else by its name
        within its district (or, without a district, by its name alone)."""
        code = places.code_key(code)
        if code and code in self.by_code:
            return self.by_code[code]
        found = self.by_name.get((places.name_key(name), places.name_key(district)), set())
        return next(iter(found)) if len(found) == 1 else None


def _batch_index(conn: sqlite3.Connection, batch_id: int) -> _Index:
    index = _Index()
    for r in conn.execute("SELECT commune_key, name, official, district, official_district, unit_code FROM assessments"
                          " WHERE batch_id = ?", (batch_id,)):
        index.add(r["commune_key"], r["unit_code"], (r["name"], r["official"]), (r["district"], r["official_district"]))
    return index


def _same_content(conn: sqlite3.Connection, batch_id: int) -> list[tuple[int, str]]:
    """The other batches stored from the same content for the same years and set: (id, key)."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT o.id, o.key FROM batches o JOIN batches b ON b.id = ? WHERE o.id != b.id AND b.content_sha256 IS NOT NULL"
        " AND o.content_sha256 = b.content_sha256 AND o.years = b.years AND o.ruleset_id IS b.ruleset_id ORDER BY o.id",
        (batch_id,))]


def store_batch(conn: sqlite3.Connection, assessments: Iterable[dict], *, summary=None, key: str | None = None,
                assessed_on: date | None = None, inputs: list[dict] | None = None, stored_by: str | None = None,
                replace: bool = False) -> str:
    """Store a finished batch: its assessments (dicts in the `--format json` shape, as
    `batch.read_assessments` yields them), and, from its summary, the ruleset, the counts and the
    registered communes; `stored_by` names who stored it (the service's key). One transaction: on
    any failure nothing of the batch is stored.

    Returns the batch's key. When the summary gives a count of assessed communes, a number of
    assessments that differs from it is refused (nothing stored). The same content (`inputs`'
    hashes, else the summary's) already stored for the same years and set raises `AlreadyStored`
    (nothing stored), or with `replace` the earlier batch is removed and this one stored instead."""
    key = key or new_batch_key()
    day = (assessed_on or date.today()).isoformat()
    ruleset = _get(summary, "ruleset")
    recorded = _recorded(summary, inputs)
    conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = conn.execute(
            "INSERT INTO batches (key, stored_at, assessed_on, ruleset_id, ruleset_sha256, years, inputs, assessed, rejected,"
            " stored_by, content_sha256) VALUES (?, ?, ?, ?, ?, '[]', ?, 0, 0, ?, ?)",
            (key, datetime.now(timezone.utc).isoformat(timespec="seconds"), day, _get(ruleset, "id"),
             _get(ruleset, "sha256"), json.dumps(recorded, ensure_ascii=False), stored_by,
             content_hash([_get(i, "sha256") for i in recorded])))
        batch_id = cursor.lastrowid
        years: set[int] = set()
        stored = 0
        index = _Index()
        for position, a in enumerate(assessments):
            place = _insert(conn, batch_id, position, a, day)
            years.add(a["year"])
            commune = a["commune"]
            index.add(place["commune_key"], place["unit_code"], (commune["name"], place["official"]),
                      (commune.get("district"), place["official_district"]))
            stored += 1
        expected = _get(summary, "assessed")
        if expected is not None and expected != stored:
            raise OutputError(Say(f"lượt đánh giá có {expected} xã nhưng đọc được {stored}; không lưu gì",
                                  f"the batch assessed {expected} communes but {stored} were read; nothing stored"))
        target = max(years) if years else None
        for position, r in enumerate(_get(summary, "registered", []) or []):
            matched = None
            if _get(r, "status") == "found":
                matched = index.match(_get(r, "commune"), _get(r, "district"), _get(r, "code"))
            conn.execute("INSERT INTO registered VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (batch_id, position, _get(r, "commune"), _get(r, "district"), _get(r, "code"),
                          _get(r, "year") or target, _get(r, "status"), matched))
        conn.execute("UPDATE batches SET years = ?, assessed = ?, rejected = ? WHERE id = ?",
                     (json.dumps(sorted(years)), stored, _get(summary, "rejected", 0) or 0, batch_id))
        earlier = _same_content(conn, batch_id)
        if earlier and not replace:
            raise AlreadyStored([k for _, k in earlier], sorted(years), _get(ruleset, "id"))
        for other, _ in earlier:  # replaced: removed whole (its assessments, registered list, counts)
            conn.execute("DELETE FROM batches WHERE id = ?", (other,))
        conn.execute(ONE_PROVINCE + " WHERE id = ?", (batch_id,))
        tally_batch(conn, batch_id)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return key


def _no_batch(key: str) -> InputError:
    return InputError(Say(f"lịch sử không có lượt {key!r}", f"the history holds no batch {key!r}"), field="⟪amend⟫",
                      fix=Say("ghi khóa của lượt đã lưu (cột batch của ntm-assess history --format csv)",
                              "give the key of a stored batch (the batch column of ntm-assess history --format csv)"))


def batch_to_amend(conn: sqlite3.Connection, key: str) -> None:
    """Refused (InputError) when `key` names no stored batch: asked before a correction is assessed."""
    if conn.execute("SELECT 1 FROM batches WHERE key = ?", (str(key),)).fetchone() is None:
        raise _no_batch(str(key))


def amend_batch(conn: sqlite3.Connection, key: str, assessments: Iterable[dict], *, summary=None,
                inputs: list[dict] | None = None) -> dict:
    """A corrected rejected.xlsx (its assessments and summary) joins the round of the stored batch
    `key`: each commune added to it, or, when the batch already assessed that commune, in its
    place (never twice); the batch's registered communes matched again, its counts made again
    (`tally_batch`); its rejected rows now those the correction still rejects. One transaction.
    Refused (InputError, nothing changed) for an unknown key, another set, or another year.
    Returns {"batch", "added", "replaced"}."""
    ruleset = _get(summary, "ruleset")
    conn.execute("BEGIN IMMEDIATE")
    try:
        batch = conn.execute("SELECT * FROM batches WHERE key = ?", (str(key),)).fetchone()
        if batch is None:
            raise _no_batch(str(key))
        theirs = _get(ruleset, "id")
        if batch["ruleset_id"] and theirs and theirs != batch["ruleset_id"]:
            raise InputError(Say(f"lượt {key} đánh giá theo bộ {batch['ruleset_id']}, tệp sửa theo bộ {theirs}; không gộp",
                                 f"batch {key} was assessed against {batch['ruleset_id']}, the corrected file against "
                                 f"{theirs}; not joined"), field="⟪amend⟫",
                             fix=Say(f"đánh giá tệp sửa theo bộ {batch['ruleset_id']} (⟪ruleset⟫)",
                                     f"assess the corrected file against {batch['ruleset_id']} (⟪ruleset⟫)"))
        years = set(json.loads(batch["years"]))
        following = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM assessments WHERE batch_id = ?",
                                 (batch["id"],)).fetchone()[0]
        added = replaced = 0
        for a in assessments:
            if years and a["year"] not in years:
                raise InputError(Say(f"lượt {key} là của năm {', '.join(map(str, sorted(years)))}; {a['commune']['name']}"
                                     f" của năm {a['year']}; không gộp", f"batch {key} is of {', '.join(map(str, sorted(years)))};"
                                     f" {a['commune']['name']} is of {a['year']}; not joined"), field="⟪amend⟫",
                                 fix=Say("lưu tệp này thành một lượt mới (bỏ ⟪amend⟫)",
                                         "store this file as a new batch (without ⟪amend⟫)"))
            ckey = commune_key(a["commune"], a["year"])
            earlier = conn.execute("SELECT id, position FROM assessments WHERE batch_id = ? AND commune_key = ?"
                                   " ORDER BY position", (batch["id"], ckey)).fetchall()
            if earlier:
                conn.executemany("DELETE FROM assessments WHERE id = ?", [(r["id"],) for r in earlier])
                position, replaced = earlier[0]["position"], replaced + 1
            else:
                position, following, added = following, following + 1, added + 1
            _insert(conn, batch["id"], position, a, batch["assessed_on"])
        expected = _get(summary, "assessed")
        if expected is not None and expected != added + replaced:
            raise OutputError(Say(f"lượt sửa có {expected} xã nhưng đọc được {added + replaced}; không gộp gì",
                                  f"the correction assessed {expected} communes but {added + replaced} were read; "
                                  "nothing joined"))
        index = _batch_index(conn, batch["id"])
        for r in conn.execute("SELECT * FROM registered WHERE batch_id = ? AND commune_key IS NULL",
                              (batch["id"],)).fetchall():
            matched = index.match(r["name"], r["district"], r["code"])
            if matched is not None:
                conn.execute("UPDATE registered SET commune_key = ?, status = 'found' WHERE batch_id = ? AND position = ?",
                             (matched, batch["id"], r["position"]))
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        recorded = json.loads(batch["inputs"]) + [{**i, "amended_at": now} for i in _recorded(summary, inputs)]
        conn.execute("UPDATE batches SET assessed = (SELECT COUNT(*) FROM assessments WHERE batch_id = ?1), rejected = ?2,"
                     " inputs = ?3 WHERE id = ?1", (batch["id"], _get(summary, "rejected", 0) or 0,
                                                    json.dumps(recorded, ensure_ascii=False)))
        conn.execute("DELETE FROM batch_provinces WHERE batch_id = ?", (batch["id"],))
        conn.execute(ONE_PROVINCE + " WHERE id = ?", (batch["id"],))
        tally_batch(conn, batch["id"])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {"batch": batch["key"], "added": added, "replaced": replaced}


def _fill(conn: sqlite3.Connection, version: int) -> None:
    """What a migration asks of rows stored before it. At version 5, every assessment keyed by the
    places' identity (`history_places.rekey`), then each batch counted by province (the count
    version 4 asks for, made here once the keys are the places' own; a database migrated only to
    version 4 has its batches counted when it reaches 5)."""
    if version == 5:
        rekey(conn)
        conn.execute("DELETE FROM batch_provinces")
        for (batch_id,) in conn.execute("SELECT id FROM batches").fetchall():
            tally_batch(conn, batch_id)
        conn.execute(ONE_PROVINCE)


def tally_batch(conn: sqlite3.Connection, batch_id: int) -> None:
    """Count a stored batch by province (communes, attained, criteria met, and each department's
    failing criteria over how many communes) into batch_provinces: what a province's history shows
    of the batch, read from there without counting its assessments again."""
    for b in conn.execute(
            "SELECT province_key, MAX(COALESCE(official_province, province)) AS province, MIN(year) AS year, COUNT(*) AS communes,"
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


