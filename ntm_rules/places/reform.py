"""Across the reform of 1 July 2025: the commune (and province) of today an old one is part of, and
the old communes a commune of today was made of, from the mapping `vietnamadminunits` ships
(`data/converter_2025.json`, the one its `convert_address` uses), read once and kept.

Most old communes went whole into one commune of today (merged with their neighbours). A few were
divided between several; for those `Successor.parts` lists every one and `Successor.unit` is the
one the library takes when it has no street address to place (its `isDefaultNewWard`).
`convert_address` itself is never called: given a street it asks a geocoding service on the
network; the mapping needs nothing but the files.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

from ..errors import InternalError
from .directory import LIBRARY, NEW, OLD, Unit, _stamp, directory_of
from .identify import Place


@dataclass(frozen=True)
class Successor:
    """What an old commune is part of today. `unit`: the commune of today (NEW era) it is part of;
    `parts`: every commune of today its area went to (`unit` first; one when it was not divided)."""

    old: Unit
    unit: Unit
    parts: tuple[Unit, ...]

    @property
    def divided(self) -> bool:
        return len(self.parts) > 1


def successor(old: Unit | Place | None) -> Successor | None:
    """The commune of today (from 1 July 2025) that an old commune (a `Unit` of the `OLD` era, or a
    recognised `Place` of it) is part of; None for a commune the directory does not know, one of
    today already, or one the mapping leaves out."""
    unit = old.unit if isinstance(old, Place) else old
    if isinstance(old, Place) and not old.known:
        return None
    if unit is None or unit.level != "commune" or unit.era != OLD:
        return None
    return _mapping(_stamp()).get(unit.code)


def successors_in(province: Unit) -> dict[str, Successor]:
    """Every old commune of an old province (by its code) → its `Successor` (for a history that
    reads a province's progress across the reform)."""
    return {code: s for code, s in _mapping(_stamp()).items() if s.old.province == province.code}


def predecessors(new: Unit) -> tuple[Unit, ...]:
    """The old communes whose area is (wholly or partly) in a commune of today, in code order."""
    if new.level != "commune" or new.era != NEW:
        return ()
    return _predecessors(_stamp()).get(new.code, ())


def province_today(old: Unit) -> Unit | None:
    """The province of today an old province (`OLD` era, level "province") is part of."""
    if old.level != "province" or old.era != OLD:
        return None
    return _provinces(_stamp()).get(old.code)


@lru_cache(maxsize=1)
def _keys(stamp: tuple) -> tuple[dict, dict, dict, dict]:
    """The library's keys of every unit → its code: old communes by "province_district_ward",
    provinces of both eras and communes of today by province and ward key."""
    try:
        with sqlite3.connect(f"file:{stamp[0]}?mode=ro&immutable=1", uri=True) as conn:
            old = {f"{p}_{d}_{w}": c for p, d, w, c in conn.execute(
                "SELECT provinceKey, districtKey, wardKey, wardCode FROM admin_units_legacy WHERE wardCode IS NOT NULL")}
            old_provinces = dict(conn.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units_legacy"))
            new = {(p, w): c for p, w, c in conn.execute("SELECT provinceKey, wardKey, wardCode FROM admin_units")}
            new_provinces = dict(conn.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units"))
    except sqlite3.Error as error:
        raise InternalError(f"the directory of administrative units cannot be read ({error}); reinstall {LIBRARY}") \
            from None
    return old, old_provinces, new, new_provinces


@lru_cache(maxsize=1)
def _converter(stamp: tuple) -> dict:
    path = stamp[0].rsplit("/", 1)[0] + "/converter_2025.json"
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise InternalError(f"the reform's mapping cannot be read ({path}: {error}); reinstall {LIBRARY}") from None


@lru_cache(maxsize=1)
def _mapping(stamp: tuple) -> dict[str, Successor]:
    data = _converter(stamp)
    old_codes, _, new_codes, _ = _keys(stamp)
    old, new = directory_of(OLD), directory_of(NEW)
    out: dict[str, Successor] = {}

    def add(old_key: str, parts: list[tuple[str, str]]) -> None:
        code = old_codes.get(old_key)
        units = [new.communes.get(new_codes.get(p, "")) for p in parts]
        if code in old.communes and units and all(units):
            out[code] = Successor(old.communes[code], units[0], tuple(units))

    for province, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, old_keys in wards.items():
            for old_key in old_keys:
                add(old_key, [(province, ward)])
    for province, divided in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, choices in divided.items():
            ordered = sorted(choices, key=lambda c: not c["isDefaultNewWard"])  # the default first
            add(old_key, [(province, c["newWardKey"]) for c in ordered])
    return out


@lru_cache(maxsize=1)
def _predecessors(stamp: tuple) -> dict[str, tuple[Unit, ...]]:
    found: dict[str, list[Unit]] = {}
    for s in _mapping(stamp).values():
        for part in s.parts:
            found.setdefault(part.code, []).append(s.old)
    return {code: tuple(sorted(units, key=lambda u: u.code)) for code, units in found.items()}


@lru_cache(maxsize=1)
def _provinces(stamp: tuple) -> dict[str, Unit]:
    _, old_codes, _, new_codes = _keys(stamp)
    new = directory_of(NEW)
    out = {}
    for new_key, old_keys in _converter(stamp)["DICT_PROVINCE"].items():
        unit = new.provinces.get(new_codes.get(new_key, ""))
        for old_key in old_keys:
            if unit is not None and old_key in old_codes:
                out[old_codes[old_key]] = unit
    return out
