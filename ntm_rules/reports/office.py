"""Who issues a printed page, where and when, and who signs it: the head and foot of every page an
office signs (the commune's assessment, the provincial summary, the remediation plan).

`office_head` (the province's coordination office issues the commune's page and the summary) and
`commune_head` (the commune's People's Committee draws up its plan, for that office) give a
`Head`: the issuing body, the province as a title names it, the place-and-date line as Vietnamese
documents write it ("Thái Nguyên, ngày 05 tháng 7 năm 2019": a day under 10 and the months 1 and 2
with a leading zero) and the two signers, each with the note under the title ("(Ký, ghi rõ họ
tên)") and room to sign. The templates draw it with one macro (templates/_office.html), the
plan's workbook with the same words. A province the rows do not name, or several, is said so and
the office's name is left for the hand to fill in ("……"), never "None"; an office the caller names
(`office=`) is used as given.

Another page (the province's progress report) signs the same way: `office_head` for its head, and
`printed_parts(head, lang)` for the letterhead, the signature block and their style as HTML, or
`{% import "_office.html" as office %}` in a template of reports/templates.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .. import places
from ..places.names import kept
from ..words.catalogue import WORDS
from ..words.phrases import low


@dataclass(frozen=True)
class Signer:
    title: tuple[str, ...]  # in capitals, one line each ("TM. ỦY BAN NHÂN DÂN XÃ", "CHỦ TỊCH")
    note: str  # "(Ký, ghi rõ họ tên)"


@dataclass(frozen=True)
class Head:
    body: tuple[str, ...]  # the issuing body, in capitals, one line each
    province: str  # as a title names it: "tỉnh Thái Nguyên", "không ghi tỉnh", "2 tỉnh: …"
    office: str  # "Văn phòng Điều phối nông thôn mới tỉnh Thái Nguyên" (its province left blank when unknown)
    place_date: str
    signers: tuple[Signer, Signer]
    to: str | None = None  # "Kính gửi: …" (the plan, sent to the office)
    nation: tuple[str, str] = ("", "")


@kept(4096)  # (a batch asks once a row; a province's rows write its name a few ways)
def official_province(written: str, year: int | None = None) -> str:
    """A province's official name ("Tỉnh Thái Nguyên") in the era of `year`, or as written."""
    unit = _unit(written.strip(), year)
    return unit.name if unit is not None else written.strip()


def _unit(written: str, year: int | None):
    return next((u for era in places.era_order(year) for u in (places.directory_of(era).province(written),) if u),
                None)


def _province_name(written: str, year: int | None, lang: str) -> tuple[str, str]:
    W = WORDS[lang]
    unit = _unit(written, year)
    if unit is not None:
        kind, short = ("city" if unit.name.lower().startswith("thành phố") else "province"), unit.short
    else:
        kind, _ = places.split_kind(written)
        short = written.split(None, 2)[-1] if kind == "city" and written.lower().startswith("thành phố") else (
            written.split(None, 1)[-1] if kind == "province" else written)
        kind = "city" if kind == "city" else "province"
    return W["city_of" if kind == "city" else "province_of"].format(name=short), short


def provinces_phrase(names: list[str], lang: str, year: int | None = None) -> tuple[str, str | None]:
    """(how a title names the provinces of a batch, the one province's short name or None)."""
    W = WORDS[lang]
    named = [_province_name(n, year, lang) for n in dict.fromkeys(n.strip() for n in names if n and n.strip())]
    named = list(dict.fromkeys(named))
    if not named:
        return W["province_unknown"], None
    if len(named) == 1:
        return named[0][0], named[0][1]
    return W["provinces_several"].format(n=len(named), names=", ".join(short for _, short in named)), None


def place_date(place: str | None, day: date, lang: str) -> str:
    """"Thái Nguyên, ngày 05 tháng 7 năm 2019" (Nghị định 30/2020/NĐ-CP: a day under 10 and the
    months 1 and 2 take a leading zero); "Thái Nguyên, 5 July 2019" in English; a place not
    known is left for the hand ("……………")."""
    W = WORDS[lang]
    where = place or W["blank"]
    if lang == "vi":
        return W["place_date"].format(place=where, day=f"{day.day:02d}",
                                      month=f"{day.month:02d}" if day.month <= 2 else str(day.month), year=day.year)
    return W["place_date"].format(place=where, day=day.day, month=calendar.month_name[day.month], year=day.year)


def _office(province: str | None, lang: str) -> str:
    W = WORDS[lang]
    return W["office"].format(province=province or W["province_of"].format(name=W["blank"]))


def _nation(lang: str) -> tuple[str, str]:
    return WORDS[lang]["nation"].upper(), WORDS[lang]["motto"]


def office_head(provinces: list[str | None], lang: str, day: date, year: int | None = None,
                office: str | None = None) -> Head:
    """The head of a page the province's coordination office issues and signs (`office`: the
    reporting office's own name, when the caller gives it)."""
    W = WORDS[lang]
    phrase, short = provinces_phrase([p for p in provinces if p], lang, year)
    given = _given(office)
    office = given or _office(phrase if short else None, lang)
    return Head(body=_body_lines(office, lang, bool(given)), province=phrase, office=office, place_date=place_date(short, day, lang),
                signers=(Signer((W["prepared_by"].upper(),), W["sign_name"]),
                         Signer((W["head_of_office"].upper(),), W["sign_seal"])), nation=_nation(lang))


def commune_head(commune: str, province: str | None, lang: str, day: date, year: int | None = None,
                 office: str | None = None) -> Head:
    """The head of the plan: the commune's People's Committee draws it up for the province's office
    (or `office`, when the caller names it); its chairperson signs and seals it."""
    W = WORDS[lang]
    phrase, short = provinces_phrase([province] if province else [], lang, year)
    office = _given(office) or _office(phrase if short else None, lang)
    commune_low = low(commune) if lang == "vi" else commune
    committee = W["commune_body"].format(commune=commune_low)
    body = (committee.upper() if lang == "vi" else committee,)  # names keep their letters in English
    where = commune.split(None, 1)[-1] if commune.lower().startswith(("xã ", "thị trấn ", "phường ")) else commune
    if commune.lower().startswith("thị trấn "):
        where = commune.split(None, 2)[-1]
    return Head(body=body, province=phrase, office=office, place_date=place_date(where, day, lang),
                signers=(Signer((W["drawn_up_by"].upper(),), W["sign_name"]),
                         Signer((W["approved_by"].upper(), W["chairperson"].upper()), W["sign_seal"])),
                to=W["to_office"].format(office=office), nation=_nation(lang))


def _given(office: str | None) -> str | None:
    """An office's name as the caller gave it, on one line, or None."""
    return (" ".join(office.split()) or None) if office else None


@dataclass(frozen=True)
class Parts:
    style: str  # the <style> of the letterhead, the signatures and the page numbers
    head: str  # the letterhead: the issuing body, the nation and motto, the place and date
    signatures: str  # the signature block, with room to sign


def printed_parts(head: Head, lang: str) -> Parts:
    """The letterhead, the signature block and their style as HTML (Markup), drawn by the one
    macro of templates/_office.html, for a page whose template lives elsewhere."""
    from .templating import environment

    macros = environment().get_template("_office.html").module
    return Parts(style=macros.style(WORDS[lang]), head=macros.head(head), signatures=macros.signatures(head))


def _body_lines(office: str, lang: str, given: bool = False) -> tuple[str, ...]:
    """The office's name on two lines, as a letterhead sets it: "VĂN PHÒNG ĐIỀU PHỐI" /
    "NÔNG THÔN MỚI TỈNH THÁI NGUYÊN" (in English as written: "New Rural Area Coordination Office"
    / "of Thái Nguyên province"); a name the caller gave, before its province ("SỞ NÔNG NGHIỆP VÀ
    MÔI TRƯỜNG" / "TỈNH THÁI NGUYÊN"), else halved by its words."""
    if lang == "vi":
        words = office.upper().split()
        province = [i for i, w in enumerate(words) if w == "TỈNH" or words[i:i + 2] == ["THÀNH", "PHỐ"]]
        half = 4 if not given else (province[-1] if province and province[-1] > 0 else (len(words) + 1) // 2)
    else:
        words = office.split()
        words = words[1:] if words and words[0] == "the" else words
        words[0] = words[0][:1].upper() + words[0][1:]
        half = next((i for i, w in enumerate(words) if w == "of"), (len(words) + 1) // 2)
    return tuple(line for line in (" ".join(words[:half]), " ".join(words[half:])) if line)
