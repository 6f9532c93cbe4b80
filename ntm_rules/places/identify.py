"""A province, district or commune as written, recognised: its official identity, or what was
written when the directory does not know it.

`commune(name, district, province, code, year=..., when=...)` is the one way ntm-rules decides
which commune a row means; `province_key(text)` the one way it compares provinces (the region
lookup, a province's own ruleset). Lookups are in constant time once the era's directory is
indexed (`directory.directory_of`), and kept (bounded).

Which era: a row of 2024 or before is looked up among the units before 1 July 2025 (`OLD`), one
of 2026 or after among today's (`NEW`); an assessment date decides when given; a row of 2025 (or
without a year) is looked up first in the era its district suggests (a district written: before
the reform) and then in the other.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .directory import NEW, OLD, Unit, directory_of
from .names import code_key, kept, name_key, split_kind

REFORM = date(2025, 7, 1)  # communes merged, districts abolished, 34 provinces (Resolution 202/2025/QH15)
KNOWN, UNKNOWN, AMBIGUOUS, CONTRADICTED = "known", "unknown", "ambiguous", "contradicted"


@dataclass(frozen=True)
class Place:
    """A place as written and as recognised.

    `unit`: the official unit (None: not written, unknown to the directory, or not decided);
    `status` (communes): "known", "unknown" (the directory has no such commune there: kept as
    written, never rejected for it), "ambiguous" (several communes have the name and nothing
    written tells them apart: `candidates`), or "contradicted" (the code written names another unit
    than the name and province do: `conflict` is the code's unit, `unit` the name's when one).
    `keys`: every identity the place has; two rows with a key in common are the same place. A known
    unit has one, its own (`Unit.key`, era included: "c63:05503"); an unknown commune has its name
    within its province and district ("n63:19|169|tân lập") and, when a code was written, that code
    ("k:05503"). `key` is the first of them."""

    level: str
    written: str
    era: str
    unit: Unit | None = None
    status: str = KNOWN
    keys: tuple[str, ...] = ()
    code: str = ""
    province: "Place | None" = None
    district: "Place | None" = None
    candidates: tuple[Unit, ...] = ()
    conflict: Unit | None = None

    @property
    def key(self) -> str:
        return self.keys[0] if self.keys else ""

    @property
    def known(self) -> bool:
        return self.unit is not None and self.status == KNOWN

    @property
    def name(self) -> str:
        """The official name when known, else the name as written."""
        return self.unit.name if self.known else self.written


def era_order(year: int | None = None, when: date | None = None, district: bool = False) -> tuple[str, ...]:
    """The eras to look a place up in, in order (see the module)."""
    if when is not None:
        return (OLD,) if when < REFORM else (NEW,)
    if isinstance(year, int) and not isinstance(year, bool):
        if year < REFORM.year:
            return (OLD,)
        if year > REFORM.year:
            return (NEW,)
    return (OLD, NEW) if district else (NEW, OLD)


def _scope_key(place: "Place | None") -> str:
    if place is None or not place.written:
        return ""
    return place.unit.code if place.unit is not None else "?" + name_key(place.written)


def province(text: str | None, era: str = OLD) -> Place:
    """The province a name means in one era (see `Directory.province`)."""
    return _province(text, era)


@kept(4096)
def _province(text: str | None, era: str) -> Place:
    unit = directory_of(era).province(text)
    return Place("province", text or "", era, unit, KNOWN if unit else UNKNOWN,
                 (unit.key,) if unit else (f"np{era}:{name_key(text)}",) if text else ())


@kept(16384)
def district(text: str | None, province: str | None = None, era: str = OLD) -> Place:
    """The district a name means within a province (before the reform only: since then, none);
    without a province, the one district of the country with that name."""
    within = _province(province, era).unit if province else None
    unit = directory_of(era).district(within, text) if province is None or within is not None else None
    return Place("district", text or "", era, unit, KNOWN if unit else UNKNOWN,
                 (unit.key,) if unit else (f"nd{era}:{name_key(text)}",) if text else ())


def commune(name: str, district: str | None = None, province: str | None = None, code=None, *,
            year: int | None = None, when: date | None = None) -> Place:
    """Which commune a row means: by its name within its district and province, and by its code.

    The name matches however it is written (with or without "Xã"/"Phường"/"Thị trấn", any case
    or normalisation, either tone placement), never without its tones. Its district narrows it
    (before the reform); a commune the directory places in another district of the province is
    found there too when its kind is written the same ("Xã Sơn Cẩm" moved to a city). A code
    (zeros restored) the era's directory knows is the unit, unless it contradicts the province
    written or a name the directory knows there ("contradicted"); a code it does not know, or
    none, leaves the name to decide. Nothing written is ever rejected for being unknown."""
    code = code_key(code)
    tried = [_commune_in(era, name, district, province, code) for era in era_order(year, when, bool(district))]
    for status in (KNOWN, CONTRADICTED, AMBIGUOUS):
        for place in tried:
            if place.status == status:
                return place
    return next((p for p in tried if p.province is not None and p.province.known), tried[0])


@kept(1 << 16)
def _commune_in(era: str, name: str, district_text: str | None, province_text: str | None, code: str) -> Place:
    d = directory_of(era)
    prov = _province(province_text, era) if province_text else None
    dist = district(district_text, province_text, era) if district_text and era == OLD else None
    shown_district = dist or (Place("district", district_text, era, None, UNKNOWN) if district_text else None)
    by_code = d.communes.get(code) if code else None
    if prov is not None and not prov.known:
        named: list[Unit] = []  # a province the directory does not know: no guess
    elif dist is not None and dist.known:
        named = d.communes_named(name, "d" + dist.unit.code)
        kind = _written_kind(name)
        if not named and kind and prov is not None:  # moved to another district of the province
            named = [u for u in d.communes_named(name, "p" + prov.unit.code) if u.kind == kind]
    elif prov is not None:
        named = d.communes_named(name, "p" + prov.unit.code)
    else:
        named = d.communes_named(name, "*")
    base = dict(level="commune", written=name, era=era, code=code, province=prov, district=shown_district)
    if by_code is not None:
        if (prov is not None and prov.known and by_code.province != prov.unit.code) or (named and by_code not in named):
            own = named[0] if len(named) == 1 else None
            return Place(**base, unit=own, status=CONTRADICTED, conflict=by_code,
                         keys=(own.key,) if own else _unknown_keys(era, name, prov, shown_district, ""))
        return Place(**base, unit=by_code, status=KNOWN, keys=(by_code.key,))
    if len(named) == 1:
        return Place(**base, unit=named[0], status=KNOWN, keys=(named[0].key,))
    status = AMBIGUOUS if named else UNKNOWN
    return Place(**base, status=status, candidates=tuple(named), keys=_unknown_keys(era, name, prov, shown_district, code))


def _written_kind(name: str) -> str | None:
    return split_kind(name)[0]


def _unknown_keys(era: str, name: str, prov: Place | None, dist: Place | None, code: str) -> tuple[str, ...]:
    named = f"n{era}:{_scope_key(prov)}|{_scope_key(dist) if era == OLD else ''}|{name_key(name)}"
    return (named, f"k:{code}") if code else (named,)


@kept(4096)
def province_key(text: str | None) -> str:
    """A province's name as ntm-rules compares provinces whatever the era: its official name without
    "Tỉnh"/"Thành phố" as `name_key` writes it ("Tỉnh Thái Nguyên", "thai nguyen", NFD "Thái
    Nguyên" → "thái nguyên"; "Thừa Thiên Huế" → "huế"), the name written when no era knows it."""
    if not text:
        return ""
    for era in (OLD, NEW):
        unit = directory_of(era).province(text)
        if unit is not None:
            return name_key(unit.short)
    return name_key(text)


def same_province(a: str | None, b: str | None) -> bool:
    """Whether two names mean one province (`province_key`)."""
    return bool(a and b) and province_key(a) == province_key(b)


def describe(unit: Unit) -> str:
    """A unit as a message names it, with its district (before the reform) and province: "Xã Tân
    Cương (Thành phố Thái Nguyên, Tỉnh Thái Nguyên)"."""
    d = directory_of(unit.era)
    around = [d.districts[unit.district].name] if unit.district and unit.district in d.districts else []
    if unit.level != "province" and unit.province in d.provinces:
        around.append(d.provinces[unit.province].name)
    return f"{unit.name} ({', '.join(around)})" if around else unit.name


def district_of(place: Place) -> str | None:
    """The official name of the district written for a commune, when the directory recognises it
    (the district at the time of the row: a commune the directory has since moved to a city is
    still counted where the row put it); None otherwise, and always since the reform."""
    if place.district is not None and place.district.known:
        return place.district.unit.name
    return None
