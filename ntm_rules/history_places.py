"""The history's places: every stored assessment keyed by the one identity of places
(`ntm_rules.places`), and the links across the reform of 1 July 2025.

- `identity(...)`: the columns an assessment is stored and looked up by: its commune's key
  (`places.Place.key`: "c63:05503" for an official unit, the name within its district and province
  for one the directory does not know), its official name, district, province and code, and its
  province's key (`places.province_key`: "Tỉnh Thái Nguyên", "thai nguyen" and NFD "Thái Nguyên"
  are one province);
- `today_of` / `before_of`: the commune of today an old one is part of, and the old communes of
  the history a commune of today was made of (`places.successor`, `places.predecessors`);
- `province_links`: a province's communes across the reform (which were merged into which), and
  the province of today an old province is part of;
- `rekey`: migration 5, every row stored before it keyed again by that identity.
"""
from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field

from . import places
from .places import NEW, OLD, directory_of


def identity(name: str | None, district: str | None, province: str | None, code, year: int | None) -> dict:
    """The history's columns for one commune as a row wrote it, in the era of its year."""
    place = places.commune(name or "", district, province, code, year=year if isinstance(year, int) else None)
    unit = place.unit if place.known else None
    own_province = None
    if place.province is not None and place.province.known:
        own_province = place.province.unit.name
    elif unit is not None and unit.province in directory_of(unit.era).provinces:
        own_province = directory_of(unit.era).provinces[unit.province].name
    official = unit.name if unit is not None else None
    return {"commune_key": place.key or "n:" + places.name_key(name), "official": official,
            "official_district": places.district_of(place), "official_province": own_province,
            "unit_code": unit.code if unit is not None else (places.code_key(code) or None),
            "province_key": places.province_key(province or own_province), "name_key": places.name_key(name),
            "official_key": places.name_key(official) if official else places.name_key(name)}


def content_hash(hashes: list[str | None]) -> str | None:
    """A batch's content: the sha256 of its input file's bytes; of several files, the sha256 of
    their hashes in order (the same files given in any order are the same content). None when an
    input's hash is unknown."""
    if not hashes or any(not h for h in hashes):
        return None
    if len(hashes) == 1:
        return hashes[0]
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


@dataclass
class Link:
    """A commune on the other side of the reform: its key in the history (whether or not the
    history holds it), official name and code, whether the history holds assessments of it, and,
    for an old commune divided between several communes of today, every one of them."""

    key: str
    name: str
    code: str | None
    assessed: bool = False
    province: str | None = None
    parts: list[str] = field(default_factory=list)


@dataclass
class Merge:
    """One commune of today and the old communes of the history that are (wholly or partly) in it."""

    today: Link
    communes: list[Link]


def warm() -> None:
    """Index the directory of both eras and the reform's mapping now (about a second): a server
    does it before its first request, which would otherwise wait for it."""
    places.warm()
    places.predecessors(next(iter(directory_of(NEW).communes.values())))


def unit_of(key: str):
    """The official unit a history key names ("c63:05503" → the old Xã Tân Cương), or None."""
    for era in (OLD, NEW):
        if key.startswith(f"c{era}:"):
            return directory_of(era).communes.get(key[len(era) + 2:])
    return None


def _assessed(conn: sqlite3.Connection, key: str) -> bool:
    return conn.execute("SELECT 1 FROM assessments WHERE commune_key = ? LIMIT 1", (key,)).fetchone() is not None


def _province_name(unit) -> str | None:
    found = directory_of(unit.era).provinces.get(unit.province)
    return found.name if found else None


def today_of(conn: sqlite3.Connection, key: str) -> Link | None:
    """The commune of today an old commune (its history key) is part of; None for a commune of
    today, one the directory does not know, or one the reform's mapping leaves out."""
    unit = unit_of(key)
    successor = places.successor(unit) if unit is not None and unit.era == OLD else None
    if successor is None:
        return None
    new = successor.unit
    return Link(new.key, new.name, new.code, _assessed(conn, new.key), _province_name(new),
                [u.name for u in successor.parts] if successor.divided else [])


def before_of(conn: sqlite3.Connection, key: str) -> list[Link]:
    """The old communes the history holds that are (wholly or partly) in a commune of today."""
    unit = unit_of(key)
    if unit is None or unit.era != NEW:
        return []
    return [Link(u.key, u.name, u.code, True, _province_name(u)) for u in places.predecessors(unit)
            if _assessed(conn, u.key)]


def _province_today(pkey: str):
    """The province of today a province key means: itself when today's directory has it, else the
    one its old province is part of."""
    old = directory_of(OLD).province(pkey)
    return places.province_today(old) if old is not None else directory_of(NEW).province(pkey)


def province_links(conn: sqlite3.Connection, pkey: str, keys: list[str], keys_of=None) -> dict:
    """A province across the reform, from the keys of its communes in the history: `reform`, each
    commune of today with the old communes of the history in it (the province's own, and those of
    the old provinces now part of it: `provinces_before`, whose communes `keys_of(province key)`
    gives); `today`, the province of today an old province is part of when that is another
    ("Tỉnh Bắc Kạn" → "Tỉnh Thái Nguyên")."""
    merges: dict[str, Merge] = {}
    now = _province_today(pkey)
    before: list[str] = []
    mine = directory_of(NEW).province(pkey)  # a province of today: the old provinces now part of it join it
    if now is not None and mine is not None and mine.code == now.code and keys_of is not None:
        for other, name in conn.execute("SELECT province_key, MAX(province) FROM batch_provinces WHERE province_key != ?"
                                        " GROUP BY province_key ORDER BY 2", (pkey,)).fetchall():
            theirs = _province_today(other)
            if theirs is not None and theirs.code == now.code and directory_of(OLD).province(other) is not None:
                before.append(name)
                keys = [*keys, *keys_of(other)]
    for key in keys:
        today = today_of(conn, key)
        if today is not None:
            old = unit_of(key)
            merge = merges.setdefault(today.key, Merge(today, []))
            merge.communes.append(Link(key, old.name, old.code, True, _province_name(old), today.parts))
        elif key.startswith(f"c{NEW}:"):
            for old in before_of(conn, key):
                new = unit_of(key)
                merge = merges.setdefault(key, Merge(Link(key, new.name, new.code, True, _province_name(new)), []))
                if all(c.key != old.key for c in merge.communes):
                    merge.communes.append(old)
    for merge in merges.values():
        merge.communes.sort(key=lambda c: (c.code or "", c.key))
    today = None
    old = directory_of(OLD).province(pkey)
    if old is not None and _has_era(conn, pkey, OLD):
        now = places.province_today(old)
        if now is not None and places.province_key(now.name) != places.province_key(old.name):
            today = now.name
    return {"key": pkey, "today": today, "provinces_before": before,
            "reform": sorted(merges.values(), key=lambda m: (m.today.name, m.today.key))}


def _has_era(conn: sqlite3.Connection, pkey: str, era: str) -> bool:
    return conn.execute("SELECT 1 FROM assessments WHERE province_key = ? AND commune_key LIKE ? LIMIT 1",
                        (pkey, f"c{era}:%")).fetchone() is not None


def rekey(conn: sqlite3.Connection) -> None:
    """Migration 5: every assessment stored before it keyed by the place's identity (`identity`),
    the registered communes matched to their assessments' new keys, and each batch's content
    (`content_hash` of the hashes its inputs recorded)."""
    import json

    renamed: dict[tuple[int, str], str] = {}
    found: dict[tuple, dict] = {}
    rows = conn.execute("SELECT id, batch_id, commune_key, name, district, province, code, year FROM assessments").fetchall()
    for row in rows:
        written = (row["name"], row["district"], row["province"], row["code"], row["year"])
        if written not in found:
            found[written] = identity(*written)
        columns = found[written]
        renamed[(row["batch_id"], row["commune_key"])] = columns["commune_key"]
        conn.execute("UPDATE assessments SET commune_key = :commune_key, official = :official, official_district ="
                     " :official_district, official_province = :official_province, unit_code = :unit_code,"
                     " province_key = :province_key, name_key = :name_key, official_key = :official_key WHERE id = :id",
                     {**columns, "id": row["id"]})
    for r in conn.execute("SELECT batch_id, position, commune_key FROM registered WHERE commune_key IS NOT NULL").fetchall():
        conn.execute("UPDATE registered SET commune_key = ? WHERE batch_id = ? AND position = ?",
                     (renamed.get((r["batch_id"], r["commune_key"])), r["batch_id"], r["position"]))
    for b in conn.execute("SELECT id, inputs FROM batches").fetchall():
        try:
            hashes = [i.get("sha256") for i in json.loads(b["inputs"]) if isinstance(i, dict)]
        except ValueError:
            hashes = []
        conn.execute("UPDATE batches SET content_sha256 = ? WHERE id = ?", (content_hash(hashes), b["id"]))
