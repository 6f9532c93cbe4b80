"""The directory of Vietnam's administrative units, with their official codes, as the library
`vietnamadminunits` ships it (MIT licence; its data are files inside the package, read offline):
two eras, each indexed once for lookups in constant time.

- `OLD` ("63"): the 63 provinces, their districts and communes before 1 July 2025;
- `NEW` ("34"): the 34 provinces and their 3 321 communes from 1 July 2025 (no districts).

Codes are the statistics office's: a province two digits ("19"), a district three ("164"), a
commune five ("05503"), as text with their leading zeros. A code means one unit in one era only:
since the reform some codes name another unit (05500 was Phường Tích Lương and is now its merged
successor), so every identity says its era.

Only the package's data files are read (its SQLite `data/dataset.db`; the reform's mapping in
`reform.py`), never its parsing code: importing that costs about a second (it compiles large
patterns and imports geopy and shapely), and its keys drop the tones (Tân Lập = Tấn Lập there).
"""
from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..collector import resting
from ..errors import InternalError
from ..law.cache import read_entry, write_entry
from ..law.identity import file_digest
from .names import KINDS, exact, loose, split_kind

OLD, NEW = "63", "34"
ERAS = (OLD, NEW)
LIBRARY = "vietnamadminunits"

# Former names still written in workbooks of their years, as `name_key` writes them: the directory
# names units as they were last called (Thừa Thiên Huế became Thành phố Huế on 1 January 2025).
FORMER_PROVINCES = {"thừa thiên huế": "46"}


@dataclass(frozen=True, slots=True)
class Unit:
    """One official unit: `level` "province", "district" or "commune" (a xã, phường or thị trấn),
    its era (`OLD` or `NEW`), official code, name ("Xã Tân Cương"), name without its kind
    ("Tân Cương"), kind ("commune", "ward", "township", "district", "city", ...), and the codes of
    its province and (before 2025) district."""

    level: str
    era: str
    code: str
    name: str
    short: str
    kind: str | None
    province: str
    district: str | None = None

    @property
    def key(self) -> str:
        """Its identity as text, era included: "c63:05503", "d63:164", "p34:19"."""
        return f"{self.level[0]}{self.era}:{self.code}"


class Directory:
    """One era's units, indexed: by code; provinces and districts by name (and, for a name written
    without any diacritic, by the directory's toneless keys where no two units of the scope share
    one); communes by name within a district, a province and the country. The provinces are read
    at once (a few milliseconds: the region lookup needs no more); districts and communes the
    first time one is asked for (about 0.3 s for the 10 035 communes before the reform)."""

    def __init__(self, era: str, path: str):
        self.era, self._path = era, path
        self._lock = threading.Lock()
        self._indexed = False
        self.provinces: dict[str, Unit] = {}
        self._districts: Mapping[str, Unit] = {}  # a dict when indexed here, `_Units` when read back
        self._communes: Mapping[str, Unit] = {}
        self._province_names: dict[str, str] = {}
        self._province_loose: dict[str, set[str]] = {}
        self._district_names: dict[tuple[str, str], list[str]] = {}
        self._district_loose: dict[tuple[str, str], set[str]] = {}
        self._commune_names: dict[str, str] = {}  # "scope\tname" → the codes of its communes, space-separated
        for name, short, pcode, keywords in _province_rows(era, path):
            unit = Unit("province", era, pcode, name, short, _kind(name), pcode)
            self.provinces[pcode] = unit
            self._province_names.setdefault(split_kind(unit.short)[1], pcode)
            for word in [loose(unit.short)] + keywords:
                self._province_loose.setdefault(word, set()).add(pcode)
        for name, code in FORMER_PROVINCES.items():
            if code in self.provinces:
                self._province_names.setdefault(name, code)

    @property
    def districts(self) -> dict[str, Unit]:
        """Districts by code (none since the reform)."""
        self._index()
        return self._districts

    @property
    def communes(self) -> dict[str, Unit]:
        """Communes (xã, phường, thị trấn) by code."""
        self._index()
        return self._communes

    def _index(self) -> None:
        if self._indexed:
            return
        with self._lock:
            if self._indexed:
                return
            # Kept in the data cache (law/cache.py: JSON, this user's private folder, keyed by the
            # library's data and ntm-rules' own code): indexed from the library's data, about 0.3 s
            # per process (a batch, the server, every history command); read back, about 0.03 s (`_saved`).
            digest = file_digest(f"places-index\0{self.era}\0{_stamp()}".encode())
            with resting():  # building makes tens of thousands of units that live as long as the process
                self._read_or_build(digest)
            self._indexed = True

    def _read_or_build(self, digest: str) -> None:
        if self._restore(read_entry(digest)):
            return
        district = ", district, districtShort, districtType, districtCode, districtKeywords" if self.era == OLD else ""
        commune_names: dict[str, list[str]] = {}
        for row in _rows(self._path, f"SELECT provinceCode, ward, wardShort, wardType, wardCode{district} "
                                     f"FROM [{_TABLES[self.era]}] ORDER BY provinceCode, wardCode"):
            self._add(row, commune_names)
        self._commune_names = {scoped: " ".join(codes) for scoped, codes in commune_names.items()}
        saved = self._saved()
        if saved is not None:
            write_entry(digest, saved)

    def _saved(self) -> dict | None:
        """The indexes as data: a few long texts, one line per unit or name (JSON reads a long text
        about four times faster than the same data as lists of short ones; nothing in it can run).
        None, and nothing kept, if a text could not be read back exactly (`_line`)."""
        saved = {}
        for part, units in (("districts", self._districts), ("communes", self._communes)):
            lines = [_line(unit.code, *(getattr(unit, f) for f in _FIELDS)) for unit in units.values()]
            if None in lines:
                return None
            saved[part] = {"codes": "\t".join(units), "rows": "\n".join(line.partition("\t")[2] for line in lines)}
        if any("\n" in scoped or "\n" in codes for scoped, codes in self._commune_names.items()):
            return None
        saved["commune_names"] = {"keys": "\n".join(self._commune_names), "codes": "\n".join(self._commune_names.values())}
        saved["district_names"] = [[p, k, codes] for (p, k), codes in self._district_names.items()]
        saved["district_loose"] = [[p, k, sorted(codes)] for (p, k), codes in self._district_loose.items()]
        return saved

    def _restore(self, entry: dict | None) -> bool:
        """The indexes from a cache entry (`_saved`); False, and nothing kept, for anything doubtful.
        Each unit is made when first looked up (`_Units`): a batch looks up a few hundred of the
        10 731, and making them all was a third of reading the indexes back."""
        if not entry:
            return False
        try:
            units = []
            for part in ("districts", "communes"):
                codes, rows = entry[part]["codes"], entry[part]["rows"]
                codes, rows = codes.split("\t") if codes else [], rows.split("\n") if rows else []
                if len(codes) != len(rows):
                    return False
                units.append(_Units(self.era, dict(zip(codes, rows))))
            keys, codes = entry["commune_names"]["keys"].split("\n"), entry["commune_names"]["codes"].split("\n")
            names = {(p, k): codes for p, k, codes in entry["district_names"]}
            loose_names = {(p, k): set(codes) for p, k, codes in entry["district_loose"]}
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        if not units[1] or len(keys) != len(codes):
            return False
        self._districts, self._communes = units
        self._district_names, self._district_loose, self._commune_names = names, loose_names, dict(zip(keys, codes))
        return True

    def _add(self, row: dict, commune_names: dict[str, list[str]]) -> None:
        pcode, dcode = row["provinceCode"], row.get("districtCode")
        if dcode and dcode not in self._districts:
            unit = Unit("district", self.era, dcode, row["district"], row["districtShort"], _kind(row["districtType"]),
                        pcode, dcode)
            self._districts[dcode] = unit
            key = split_kind(unit.short)[1]
            self._district_names.setdefault((pcode, key), []).append(dcode)
            self._district_names.setdefault(("*", key), []).append(dcode)
            for word in {loose(unit.short), *json.loads(row["districtKeywords"] or "[]")}:
                self._district_loose.setdefault((pcode, word), set()).add(dcode)
        wcode = row["wardCode"]
        if wcode and wcode not in self._communes:
            unit = Unit("commune", self.era, wcode, row["ward"], row["wardShort"], _kind(row["wardType"]), pcode, dcode)
            self._communes[wcode] = unit
            key = split_kind(unit.short)[1]
            for scope in (("d" + dcode) if dcode else None, "p" + pcode, "*"):
                if scope:
                    commune_names.setdefault(f"{scope}\t{key}", []).append(wcode)

    def province(self, text: str | None) -> Unit | None:
        """The province a name means (with or without "Tỉnh"/"Thành phố", any case or
        normalisation, either tone placement; written without any diacritic, the province whose
        name it is without them); None when none or several."""
        if not text:
            return None
        code = self._province_names.get(split_kind(text)[1])
        if code is None and _plain(text):
            codes = self._province_loose.get(loose(text), ())
            code = next(iter(codes)) if len(codes) == 1 else None
        return self.provinces.get(code) if code else None

    def district(self, province: Unit | None, text: str | None) -> Unit | None:
        """The district of `province` a name means (as `province`, also "Huyện"/"Quận"/"Thị xã"
        written or not); without a province, the one district of the country with that name."""
        if not text or not self.districts:
            return None
        key = split_kind(text)[1]
        if province is not None:
            codes = self._district_names.get((province.code, key), [])
            if not codes and _plain(text):
                codes = list(self._district_loose.get((province.code, loose(text)), ()))
        else:
            codes = self._district_names.get(("*", key), [])
        return self._districts[codes[0]] if len(codes) == 1 else None

    def communes_named(self, text: str, scope: str) -> list[Unit]:
        """The communes of a scope ("d164": a district, "p19": a province, "*": the country) whose name
        is the one written (kind aside, every diacritic kept); when several, those of the kind written
        ("Xã", "Phường", "Thị trấn") if it tells them apart."""
        self._index()
        kind, key = split_kind(text)
        codes = self._commune_names.get(f"{scope}\t{key}")
        units = [self._communes[c] for c in codes.split(" ")] if codes else []
        if len(units) > 1 and kind:
            same = [u for u in units if u.kind == kind]
            if same:
                return same
        return units


class _Units(Mapping):
    """Units by code, read back from the data cache: each made from its row when first asked for."""

    def __init__(self, era: str, rows: dict[str, str]):
        self.era, self.rows, self.made = era, rows, {}

    def __getitem__(self, code: str) -> Unit:
        unit = self.made.get(code)
        if unit is None:
            level, name, short, kind, province, district = self.rows[code].split("\t")  # _FIELDS
            unit = self.made[code] = Unit(level, self.era, code, name, short, kind or None, province, district or None)
        return unit

    def get(self, code, default=None):
        return self[code] if code in self.rows else default

    def __contains__(self, code) -> bool:
        return code in self.rows

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


_TABLES = {OLD: "admin_units_legacy", NEW: "admin_units"}
_FIELDS = ("level", "name", "short", "kind", "province", "district")  # of a unit's line (`_Units`), after its code


def _line(*fields: str | None) -> str | None:
    """Fields joined by tabs, None (no field) as an empty text; None when a field is empty or holds
    a tab or a line break, so that the line would not split back into the same fields."""
    if any(f == "" or f is not None and ("\t" in f or "\n" in f) for f in fields):
        return None
    return "\t".join(f or "" for f in fields)


def _rows(path: str, query: str) -> list[dict]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(query)]
    except sqlite3.Error as error:
        raise InternalError(f"the directory of administrative units cannot be read ({path}: {error}); "
                            f"reinstall {LIBRARY}") from None


def _province_rows(era: str, path: str) -> list[list]:
    """[name, short name, code, keywords] of each province of an era, as the library's data has
    them: kept in the data cache (its SQL query took about 0.01 s of every process that looks a
    place up, the command line's one commune too)."""
    digest = file_digest(f"places-provinces\0{era}\0{_stamp()}".encode())
    entry = read_entry(digest)  # (an entry as written: `read_entry` checks its own sha256)
    if entry and entry.get("provinces"):
        return entry["provinces"]
    rows = [[row["province"], row["provinceShort"], row["provinceCode"], json.loads(row["provinceKeywords"] or "[]")]
            for row in _rows(path, "SELECT DISTINCT province, provinceShort, provinceCode, provinceKeywords FROM "
                                   f"[{_TABLES[era]}] ORDER BY provinceCode")]
    write_entry(digest, {"provinces": rows})
    return rows


def _kind(word: str | None) -> str | None:
    """"Xã" → "commune", "Thành phố" → "city" (`names.KINDS`)."""
    return KINDS.get(exact(word)) if word else None


def _plain(text: str) -> bool:
    """Written without any diacritic (so the toneless keys may be used)."""
    return exact(text).isascii()


def library_path() -> Path:
    """The folder of the installed `vietnamadminunits` package (found without importing it)."""
    spec = importlib.util.find_spec(LIBRARY)
    if spec is None or not spec.submodule_search_locations:
        raise InternalError(f"the directory of administrative units ({LIBRARY}) is not installed; "
                            f"install ntm-rules with its dependencies (pip install {LIBRARY})")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def _stamp() -> tuple:
    """What the indexes are built from: the library's version and its data file's size and time."""
    path = library_path() / "data" / "dataset.db"
    try:
        info = os.stat(path)
        version = metadata.version(LIBRARY)
    except (OSError, metadata.PackageNotFoundError) as error:
        raise InternalError(f"the directory of administrative units cannot be read ({path}: {error}); "
                            f"reinstall {LIBRARY}") from None
    return str(path), version, info.st_size, info.st_mtime_ns


def directory_of(era: str) -> Directory:
    """One era's directory (`OLD` or `NEW`), read and indexed once per process and kept."""
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}: {OLD} (before 1 July 2025) or {NEW}")
    return _directory(era, _stamp())


def warm() -> None:
    """Index both eras now (about 0.35 s the first time, 0.03 s read back from the cache): a batch
    does it before it forks its workers, which then share the indexes instead of each building its own."""
    for era in ERAS:
        directory_of(era).communes


@lru_cache(maxsize=len(ERAS))  # keyed by era and by what it was built from
def _directory(era: str, stamp: tuple) -> Directory:
    return Directory(era, stamp[0])
