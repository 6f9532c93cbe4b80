"""The history's views: a commune's and a province's progress as text, the words the office's pages
print beside them, and the history as CSV. They read what `ntm_rules.history` returns (Commune,
Entry, Province, Registered), never the database.
"""
from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Iterable

from ..words.catalogue import WORDS
from ..words.phrases import low, one_decimal, shown_date
from .plan import safe_text

if TYPE_CHECKING:
    from ..history import Commune, Entry, Province, Registered


def place(c: Commune, lang: str) -> str:
    parts = [p for p in (c.district, c.province) if p]
    where = f" ({', '.join(parts)}{'; ' + WORDS[lang]['code'] + ' ' + c.code if c.code else ''})" if parts or c.code else ""
    return c.name + where


def entry_line(e: Entry, lang: str) -> str:
    W = WORDS[lang]
    verdict = W["attained_mark"] if e.attained else W["not_attained"]
    sure = "" if e.certain else f" ({W['uncertain']})"
    return (f"{e.year} ({shown_date(e.assessed_on, lang)}, {e.ruleset_id}): {e.criteria_met}/{e.criteria_total} "
            f"{W['criteria']}, {verdict}{sure}")


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
        return W.get("not_in_results" if r.status == "not_found" else f"status_{r.status}", r.status)
    state = r.state
    if state == "no_data":
        return W["no_assessment"]
    if state == "not_yet":
        return W["not_yet"].format(year=r.latest.year, met=r.latest.criteria_met, total=r.latest.criteria_total)
    return W[state].format(year=r.attained_year)


def commune_text(c: Commune, lang: str = "vi") -> str:
    lines = [f"{WORDS[lang]['history']}: {place(c, lang)}"]
    for e in c.entries:
        lines.append(f"  {entry_line(e, lang)} — {change_text(e, lang)}")
    return "\n".join(lines) + "\n"


def province_text(p: Province, lang: str = "vi") -> str:
    W = WORDS[lang]
    lines = [f"{W['history']}: {p.name}", f"{W['rounds']}:"]
    for r in p.rounds:
        avg = one_decimal(r.average, lang) if r.average is not None else "—"
        lines.append(f"  {r.year} ({shown_date(r.assessed_on, lang)}, {low(W['ruleset'])} {r.ruleset_id}): "
                     f"{r.communes} {W['communes']}, {W['attained_count'].lower()} {r.attained}, "
                     f"{W['average'].lower()} {avg}")
    lines += ["", f"{W['by_commune']}:"]
    for c in p.communes:
        trail = " → ".join(f"{e.year}: {e.criteria_met}/{e.criteria_total}{' ✓' if e.attained else ''}" for e in c.entries)
        last = c.entries[-1]
        lines.append(f"  {place(c, lang)}: {trail} — {change_text(last, lang)}")
    lines += ["", f"{W['by_department']}:"]
    departments: dict[str, str] = {}
    for r in p.rounds:
        for d, info in r.departments.items():
            departments.setdefault(d, info["name_en"] if lang == "en" else info["name"])
    for d, name in departments.items():
        cells = []
        for r in p.rounds:
            info = r.departments.get(d)
            cells.append(f"{r.year}: " + (f"{', '.join(info['criteria'])} ({info['communes']} {W['communes']})" if info
                                          else W["none"]))
        lines.append(f"  {name}: " + " · ".join(cells))
    if p.registered:
        lines += ["", f"{W['registered_against_target']}:"]
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
            writer.writerow([safe_text(x) for x in (
                c.province or "", c.district or "", c.name, c.code or "", e.year, e.assessed_on, e.ruleset_id,
                e.ruleset_sha256, int(e.attained), int(e.certain), e.criteria_met, e.criteria_total,
                " ".join(k for k, s in e.criteria.items() if s == "not_met"),
                " ".join(k for k, s in e.criteria.items() if s == "missing"),
                " ".join(e.gained), " ".join(e.lost), e.batch)])
    return out.getvalue()
