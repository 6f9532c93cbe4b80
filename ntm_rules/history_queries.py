"""The history's questions (`ntm_rules.history` names them all): per commune, criteria met over
time and what changed since the previous assessment; per province, the average criteria met per
commune per batch, each department's failing criteria over time, the registered communes against
their target year, and its communes across the reform of 1 July 2025.

Communes and provinces are recognised by the one identity of places (`history_places`): a commune
is shown under its official name, district, province and code when the directory knows it, else as
written; a province under its official name, however its rows spelt it.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from . import places
from .history_places import Link, Merge, before_of, identity, province_links, today_of
from .words.phrases import average


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
    written: str = ""  # the commune's name as this assessment's row wrote it


@dataclass
class Commune:
    """A commune's history: `name`, `district`, `province` and `code` the official ones when the
    directory knows it (`known`), else as last written; `written`, every way its rows wrote its
    name; `today`, for a commune before the reform, the commune of today it is part of; `before`,
    for a commune of today, the old communes of the history it was made of."""

    key: str
    name: str
    district: str | None
    province: str | None
    code: str | None
    entries: list[Entry]
    known: bool = False
    written: list[str] = field(default_factory=list)
    today: Link | None = None
    before: list[Link] = field(default_factory=list)


def _order(cid: str):
    """Criteria and indicators in the set's order (2 before 10, 13.1 before 13.2)."""
    return [int(p) if p.isdigit() else 0 for p in cid.replace("-", ".").split(".")], cid


def province_key(text: str | None) -> str:
    """How the history compares provinces (`places.province_key`): a name, written any way, or a key."""
    return places.province_key(text)


def find_communes(conn: sqlite3.Connection, text: str, province: str | None = None) -> list[str]:
    """The keys of the communes `text` names: an official code (its zeros restored), else a name
    written or official (with or without "Xã", any case, normalisation or tone placement, but
    with its tones); within one province when given; by the year first assessed."""
    scope, args = ("", []) if not province else (" AND province_key = ?", [province_key(province)])
    code = places.code_key(text)
    by_year = " GROUP BY commune_key ORDER BY MIN(year), commune_key"  # a commune before the reform first
    keys = [r[0] for r in conn.execute("SELECT commune_key FROM assessments WHERE unit_code = ?" + scope + by_year,
                                       [code, *args])] if code else []
    if not keys:
        wanted = places.name_key(text)
        keys = [r[0] for r in conn.execute(
            "SELECT commune_key FROM assessments WHERE (name_key = ?1 OR official_key = ?1)"
            + scope.replace("?", "?2") + by_year, [wanted, *args])]
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
                             indicators=indicators, written=row["name"]))
    for before, after in zip(entries, entries[1:]):
        after.first = False
        after.gained = [c for c, s in after.criteria.items() if s == "met" and before.criteria.get(c, "met") != "met"]
        after.lost = [c for c, s in after.criteria.items() if s != "met" and before.criteria.get(c) == "met"]
        after.indicators_gained = sorted((i for i, s in after.indicators.items()
                                          if s == "met" and before.indicators.get(i, "met") != "met"), key=_order)
        after.indicators_lost = sorted((i for i, s in after.indicators.items()
                                        if s != "met" and before.indicators.get(i) == "met"), key=_order)
    last = rows[-1]
    return Commune(key=key, name=last["official"] or last["name"], district=last["official_district"] or last["district"],
                   province=last["official_province"] or last["province"], code=last["unit_code"] or last["code"],
                   entries=entries, known=last["official"] is not None,
                   written=list(dict.fromkeys(e.written for e in entries)), today=today_of(conn, key),
                   before=before_of(conn, key))


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
    """A province's history under its official name; `key` its key (`province_key`); `today`, for a
    province before the reform that is now part of another, that one's name; `reform`, each
    commune of today with the old communes of the history in it (its own, and those of
    `provinces_before`, the old provinces now part of it)."""

    name: str
    rounds: list[Round]
    communes: list[Commune]
    registered: list[Registered]
    key: str = ""
    today: str | None = None
    reform: list[Merge] = field(default_factory=list)
    provinces_before: list[str] = field(default_factory=list)  # old provinces now part of this one


def provinces(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """The provinces in the history under their official names, with how many communes of each."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT MAX(COALESCE(official_province, province)), COUNT(DISTINCT commune_key) FROM assessments"
        " WHERE province_key != '' GROUP BY province_key ORDER BY 1")]


def province_history(conn: sqlite3.Connection, province: str) -> Province | None:
    """Everything stored for one province, by batch (oldest first): averages, departments, communes,
    registered, and its communes across the reform."""
    pkey = province_key(province)
    found = province_rounds(conn, pkey)
    if found is None:
        return None
    name, rounds = found
    keys = province_commune_keys(conn, pkey)
    communes = [c for c in (commune_history(conn, k) for k in keys) if c is not None]
    by_key = {c.key: c for c in communes}
    registered = [with_latest(r, by_key.get(r.commune) if r.commune else None) for r in province_registered(conn, pkey)]
    return Province(name, rounds, communes, registered, **province_links(conn, pkey, [c.key for c in communes if c.known],
                                                                         _keys_of(conn)))


def province_reform(conn: sqlite3.Connection, province: str) -> dict:
    """A province across the reform (`Province`'s `key`, `today` and `reform`), for a page that
    shows one page of its communes."""
    pkey = province_key(province)
    return province_links(conn, pkey, _known_keys(conn, pkey), _keys_of(conn))


def _known_keys(conn: sqlite3.Connection, pkey: str) -> list[str]:
    """The keys of the province's communes the directory knows (only those cross the reform)."""
    return [r[0] for r in conn.execute("SELECT DISTINCT commune_key FROM assessments WHERE province_key = ?"
                                       " AND official IS NOT NULL ORDER BY commune_key", (pkey,))]


def _keys_of(conn: sqlite3.Connection):
    return lambda pkey: _known_keys(conn, pkey)


def province_rounds(conn: sqlite3.Connection, pkey: str) -> tuple[str, list[Round]] | None:
    """The province's official name and its batches (oldest first), each with its averages and
    departments (as `tally_batch` counted them); `pkey` is the province's key or name (however
    written). None when the history has no such province."""
    batches = conn.execute(
        "SELECT b.key, p.year, b.assessed_on, b.ruleset_id, b.stored_by, p.communes, p.attained, p.met, p.province,"
        " p.departments FROM batch_provinces p JOIN batches b ON b.id = p.batch_id WHERE p.province_key = ?"
        " ORDER BY p.year, b.assessed_on, b.id", (province_key(pkey),)).fetchall()
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
        " ORDER BY MIN(COALESCE(official_district, district)), MIN(COALESCE(official, name)), commune_key"
        " LIMIT ? OFFSET ?", (province_key(pkey), limit, offset))]


def province_registered(conn: sqlite3.Connection, pkey: str) -> list[Registered]:
    """The communes registered to attain in the province's batches, without their assessments
    (`with_latest` adds them); a commune registered again for the same year: the latest list."""
    registered: dict[tuple, Registered] = {}
    for r in conn.execute(
            "SELECT r.* FROM registered r JOIN batches b ON b.id = r.batch_id WHERE r.batch_id IN"
            " (SELECT DISTINCT batch_id FROM assessments WHERE province_key = ?) ORDER BY r.target_year, b.id, r.position",
            (province_key(pkey),)):
        key = r["commune_key"] or _assessed_as(conn, r, pkey)
        who = key or (places.name_key(r["name"]), places.name_key(r["district"]), places.code_key(r["code"]))
        registered[(who, r["target_year"])] = Registered(name=r["name"], district=r["district"], code=r["code"],
                                                         target_year=r["target_year"], status=r["status"],
                                                         commune=key)
    return list(registered.values())


def _assessed_as(conn: sqlite3.Connection, r, pkey: str) -> str | None:
    """The key of a registered commune its own batch did not assess (its row rejected, or not in the
    batch) when the history has assessed it since: as the places' identity recognises its name."""
    key = identity(r["name"], r["district"], pkey, r["code"], r["target_year"])["commune_key"]
    found = conn.execute("SELECT 1 FROM assessments WHERE commune_key = ? LIMIT 1", (key,)).fetchone()
    return key if found is not None else None


def with_latest(entry: Registered, commune: Commune | None) -> Registered:
    """A registered commune with its latest assessment and the year it first attained (from its history)."""
    if commune is not None:
        entry.latest = commune.entries[-1]
        entry.attained_year = next((e.year for e in commune.entries if e.attained), None)
    return entry
