"""The figures of a province's six-monthly progress report, from the history.

A round is one stored batch of the province (`history.province_rounds`). The report is written
"as of" a date: its round is the latest one stored on or before that date, the previous report's
round the one before it. Every figure of the round is the batch summary's own: each commune's
stored assessment becomes the record the batch counts (`batch.work.tally`'s shape) and
`tallies.SummaryBuilder` adds them up, the same function, the same bands, the same low mark, the
same registered-commune matching. What the report adds to the summary:

- communes attained since the previous round (by name) and those no longer attained;
- progress against a target (`Target`): N communes attained by a date. "On track" is a plain
  straight line: from the communes attained at the province's first round (on its date) to N on
  the target date, the round must have at least as many attained as the line gives for the round's
  date (rounded up). "Still needed" is N minus the communes attained, never below 0;
- for each department that must act, its communes and the indicators it answers for that are not
  met, with the gap and whether that finding is certain.

The history is read through `ntm_rules.history`'s functions; the few figures it does not return
(a round's acting departments and indicator gaps, a department's rows, the bands counted by
SQLite) are read here. Beside history.py (it reads the history and counts with the batch's
summary): `reports/progress_report.py` writes it, `reports/charts.py` draws the pages' pictures.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from . import history
from .batch.work import place_facts, place_of
from .errors import InputError, NtmError, Say
from .law.schema import Text
from .statics import check_unit
from .reports.summary import ProvincialSummary, RegisteredCommune
from .reports.tallies import SummaryBuilder, brackets_for


@dataclass
class Target:
    """N communes attained by a date, and where the round stands against the straight line to it."""

    communes: int
    by: date
    start: date  # the province's first round
    start_attained: int
    attained: int  # in the report's round
    on: date  # the report's round's date
    expected: int  # on the straight line at `on` (rounded up)
    needed: int  # still to attain (never below 0)
    on_track: bool
    days_left: int


@dataclass
class IndicatorGap:
    id: str
    name: str
    name_en: str
    criterion: str
    status: str
    value: object
    gap: float | None
    operator: str | None
    threshold: object
    unit: str | None
    unit_en: str | None
    certain: bool
    verified: bool  # its threshold is confirmed


@dataclass
class DepartmentRow:
    commune: str
    district: str | None
    code: str | None
    criteria: list[str]
    indicators: list[IndicatorGap]
    key: str = ""  # the commune's key in the history (its place's identity): one commune however its rows wrote it


@dataclass
class DepartmentTable:
    id: str
    name: str
    name_en: str
    verified: bool
    criteria: list[str]
    communes: int  # the summary's count
    rows: list[DepartmentRow]


@dataclass
class RegisteredLine:
    """A registered commune as the batch summary matches it, with its target year and gaps."""

    entry: RegisteredCommune
    target_year: int | None
    indicators: list[IndicatorGap] = field(default_factory=list)


@dataclass
class Report:
    province: str
    as_of: date
    rounds: list  # history.Round, up to the report's round
    round: object  # history.Round
    previous: object | None
    summary: ProvincialSummary
    previous_attained: int | None
    newly_attained: list[str]
    no_longer_attained: list[str]
    target: Target | None
    registered: list[RegisteredLine]
    departments: list[DepartmentTable]
    criteria: dict[str, tuple[str, str]]  # id → (vi, en)

    @property
    def attained_since(self) -> int | None:
        return None if self.previous_attained is None else self.summary.attained - self.previous_attained


def target_against(rounds: list, attained: int, communes: int, by: date) -> Target:
    """Where the last of `rounds` stands against `communes` attained by `by` (see the module's doc)."""
    start, last = rounds[0], rounds[-1]
    day0, day = date.fromisoformat(start.assessed_on), date.fromisoformat(last.assessed_on)
    if by <= day0 or day >= by:
        expected = communes
    else:
        share = (day - day0).days / (by - day0).days
        expected = math.ceil(start.attained + (communes - start.attained) * share - 1e-9)
    return Target(communes=communes, by=by, start=day0, start_attained=start.attained, attained=attained, on=day,
                  expected=expected, needed=max(0, communes - attained), on_track=attained >= expected,
                  days_left=max(0, (by - day).days))


def _round_rows(conn, batch: str, keys: set[str]) -> list[dict]:
    """The round's assessments of the province's communes, in the batch's order: their names as
    stored, acting departments (`acting.acting`, as stored) and indicators not met or missing."""
    rows = [dict(r) for r in conn.execute(
        "SELECT a.id, a.position, a.commune_key, a.name, a.district, a.province, a.code FROM assessments a"
        " JOIN batches b ON b.id = a.batch_id WHERE b.key = ? ORDER BY a.position", (batch,))]
    rows = [r for r in rows if r["commune_key"] in keys]
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["departments"], r["indicators"] = [], {}
    for d in conn.execute("SELECT assessment_id, department, name, name_en, criteria, verified FROM acting_departments"
                          " WHERE assessment_id IN (SELECT a.id FROM assessments a JOIN batches b ON b.id = a.batch_id"
                          " WHERE b.key = ?)", (batch,)):
        if d[0] in by_id:
            by_id[d[0]]["departments"].append((d[1], tuple(json.loads(d[4])), bool(d[5]), d[2], d[3]))
    for i in conn.execute("SELECT assessment_id, indicator_id, criterion_id, status, certain, value, gap"
                          " FROM indicator_results WHERE status != 'met' AND assessment_id IN (SELECT a.id FROM"
                          " assessments a JOIN batches b ON b.id = a.batch_id WHERE b.key = ?)", (batch,)):
        if i[0] in by_id:
            by_id[i[0]]["indicators"][i[1]] = (i[2], i[3], bool(i[4]), None if i[5] is None else json.loads(i[5]), i[6])
    return rows


def _ruleset(round_, entries: list):
    """The set the round used (to name its criteria and indicators, and to say which department
    answers for each indicator); when it is no longer installed, one named from the history."""
    from .law.load import load_ruleset

    try:
        return load_ruleset(round_.ruleset_id), True
    except (NtmError, OSError):  # an imported set since removed: its criteria as the history names them
        names: dict[str, tuple[str, str]] = {}
        for e in entries:
            names.update(e.names)
        criteria = [SimpleNamespace(id=cid, name=Text(vi=vi, en=en)) for cid, (vi, en) in names.items()]
        return SimpleNamespace(id=round_.ruleset_id, sha256="", title=Text(vi=round_.ruleset_id, en=round_.ruleset_id),
                               note=None, criteria=criteria), False


def _indicators(ruleset, installed: bool, year: int, province: str) -> tuple[dict, int]:
    """(indicator id → its resolved indicator (name, department, checks), the unconfirmed
    thresholds) for the province's region (a set by commune group: its first group, which names
    the same departments), when the set is installed."""
    if not installed:
        return {}, 0
    from .law.resolve import resolve
    from .regions import region_of_province

    dimensions = list(ruleset.applies_to or ruleset.dimension_values)
    region = region_of_province(province)
    try:
        resolved = resolve(ruleset, region if region in dimensions else dimensions[0], year)
    except NtmError:  # a year outside the set's period: the report names indicators by their ids
        return {}, 0
    return {i.id: i for i in resolved.indicators}, resolved.unconfirmed


def _gap(indicator_id: str, found: tuple, resolved: dict) -> IndicatorGap:
    criterion, status, certain, value, gap = found
    info = resolved.get(indicator_id)
    check = info.checks[0] if info is not None and len(info.checks) == 1 else None
    name = info.name if info is not None else Text(vi=indicator_id, en=indicator_id)
    unit = (lambda lang: check_unit(check, lang)) if check is not None else (lambda lang: None)
    return IndicatorGap(id=indicator_id, name=name.vi, name_en=name.en, criterion=criterion, status=status, value=value,
                        gap=gap, operator=getattr(check, "operator", None), threshold=getattr(check, "threshold", None),
                        unit=unit("vi"), unit_en=unit("en"), certain=certain,
                        verified=info.verified if info is not None else True)


def _gaps(row: dict, resolved: dict, keep) -> list[IndicatorGap]:
    return [_gap(i, v, resolved) for i, v in sorted(row["indicators"].items(), key=lambda kv: history._order(kv[0]))
            if keep(i, v)]


def _record(row: dict, entry, unconfirmed: int) -> dict:
    """What the batch summary counts of one commune (`batch.work.tally`), from its stored assessment."""
    commune = {k: row[k] for k in ("name", "district", "province", "code")}
    keys, where = place_facts(place_of(commune, entry.year))
    return {**commune, "source": None, "row": None, "sheet": None, "where": None, "year": entry.year,
            "attained": entry.attained, "certain": entry.certain, "criteria_met": entry.criteria_met,
            "criteria_total": entry.criteria_total,
            "not_met": [c for c, s in entry.criteria.items() if s == "not_met"],
            "missing": [c for c, s in entry.criteria.items() if s == "missing"],
            "departments": row["departments"], "failing": [], "unconfirmed": unconfirmed, "keys": keys,
            "place": where}


def _registered_list(province, registered: list[dict] | None) -> tuple[list[dict], list[int | None]]:
    """The list to match (as the batch takes it) and each entry's target year: a file given, else
    the communes the province's batches registered, one entry a commune (its name, and its district
    when both lists give one): the latest list's, in the place of the first."""
    if registered is not None:
        return registered, [None] * len(registered)
    from .regions import exact

    entries: list[dict] = []
    years: list[int | None] = []
    for r in province.registered:  # oldest list first
        entry = {k: v for k, v in (("name", r.name), ("district", r.district), ("code", r.code)) if v}
        same = next((n for n, e in enumerate(entries) if exact(e["name"]) == exact(r.name) and (
            not e.get("district") or not r.district or exact(e["district"]) == exact(r.district))), None)
        if same is None:
            entries.append(entry)
            years.append(r.target_year)
        else:
            entries[same], years[same] = entry, r.target_year
    return entries, years


@dataclass
class Counted:
    summary: ProvincialSummary
    rows: list[dict]  # the round's assessments (`_round_rows`), in the batch's order
    entries: dict  # commune key → its history.Entry of the round
    resolved: dict  # indicator id → resolved indicator


def round_summary(conn, found, round_, registered: list[dict] | None = None) -> Counted:
    """The batch summary of one round of a province (`found`: its history.Province), counted by
    the batch's own `SummaryBuilder` from the stored assessments."""
    entries = {c.key: e for c in found.communes for e in c.entries if e.batch == round_.batch}
    ruleset, installed = _ruleset(round_, list(entries.values()))
    builder = SummaryBuilder(ruleset, registered)
    rows = _round_rows(conn, round_.batch, set(entries))
    resolved, unconfirmed = _indicators(ruleset, installed, round_.year, found.name)
    for row in rows:
        builder.add(_record(row, entries[row["commune_key"]], unconfirmed))
    return Counted(builder.result(rows_read=len(rows)), rows, entries, resolved)


def department_rows(rows: list[dict], resolved: dict, did: str) -> list[DepartmentRow]:
    """The communes of `rows` where department `did` must act, each with the indicators it answers
    for that are not met: the set's department for the indicator (without the set, every
    indicator not met of its failing criteria)."""
    out = []
    for row in rows:
        acting = next((a for a in row["departments"] if a[0] == did), None)
        if acting is None:
            continue
        shown = _gaps(row, resolved, lambda i, v: v[1] == "not_met" and v[0] in acting[1] and
                      (i not in resolved or resolved[i].department == did))
        out.append(DepartmentRow(row["name"], row["district"], row["code"], list(acting[1]), shown, row["commune_key"]))
    return out


def department_tables(counted: Counted) -> list[DepartmentTable]:
    """Each department that must act in the round (the summary's, in its order), with its rows."""
    return [DepartmentTable(id=did, name=d.name, name_en=d.name_en, verified=d.verified, criteria=d.criteria,
                            communes=d.communes, rows=department_rows(counted.rows, counted.resolved, did))
            for did, d in counted.summary.failures_by_department.items()]


def department_round(conn, found_name: str, pkey: str, round_, did: str) -> list[DepartmentRow]:
    """One department's rows in one round, read for that department alone (a page of the
    department: what it holds grows with the communes it acts in, not with the province)."""
    rows = [dict(r) for r in conn.execute(
        "SELECT a.id, a.position, a.commune_key, a.name, a.district, a.province, a.code, d.criteria, d.verified,"
        " d.name AS dname, d.name_en AS dname_en FROM acting_departments d JOIN assessments a ON a.id = d.assessment_id"
        " JOIN batches b ON b.id = a.batch_id WHERE b.key = ? AND a.province_key = ? AND d.department = ?"
        " ORDER BY a.position", (round_.batch, pkey, did))]
    for r in rows:
        r["departments"] = [(did, tuple(json.loads(r["criteria"])), bool(r["verified"]), r["dname"], r["dname_en"])]
        r["indicators"] = {i[0]: (i[1], i[2], bool(i[3]), None if i[4] is None else json.loads(i[4]), i[5])
                           for i in conn.execute("SELECT indicator_id, criterion_id, status, certain, value, gap FROM"
                                                 " indicator_results WHERE assessment_id = ? AND status = 'not_met'",
                                                 (r["id"],))}
    ruleset, installed = _ruleset(round_, [])
    resolved, _ = _indicators(ruleset, installed, round_.year, found_name)
    return department_rows(rows, resolved, did)


def round_bands(conn, pkey: str, rounds: list) -> list[tuple[dict[str, int], int]]:
    """Each round's communes by criteria met, in the batch summary's bands (`tallies.brackets_for`),
    and its number of criteria: counted by SQLite (a province of any size), not commune by commune."""
    counts: dict[str, list] = {}
    for batch, total, met, n in conn.execute(
            "SELECT b.key, a.criteria_total, a.criteria_met, COUNT(*) FROM assessments a JOIN batches b"
            " ON b.id = a.batch_id WHERE a.province_key = ? GROUP BY a.batch_id, a.criteria_total, a.criteria_met",
            (pkey,)):
        counts.setdefault(batch, []).append((total, met, n))
    out = []
    for r in rounds:
        found = counts.get(r.batch, [])
        total = max((t for t, _, _ in found), default=0)
        bands = brackets_for(total)
        shown = {key: 0 for key, _, _ in bands}
        for _, met, n in found:
            key = next((key for key, low, high in bands if low <= met <= high), None)
            if key is not None:
                shown[key] += n
        out.append((shown, total))
    return out


def progress_report(conn, province: str, as_of: date, *, target: int | None = None, by: date | None = None,
                    registered: list[dict] | None = None) -> Report:
    """The report's figures (see the module's doc); InputError when the history has no round of
    the province stored on or before `as_of`."""
    found = history.province_history(conn, province)
    if found is None:
        known = ", ".join(name for name, _ in history.provinces(conn)) or "—"
        raise InputError(Say(f"lịch sử không có xã nào của tỉnh {province!r}",
                             f"the history holds no commune of province {province!r}"), field="--province",
                         fix=Say(f"dùng một tỉnh có trong lịch sử: {known}", f"use a province in the history: {known}"))
    rounds = [r for r in found.rounds if date.fromisoformat(r.assessed_on) <= as_of]
    if not rounds:
        first = found.rounds[0].assessed_on
        raise InputError(Say(f"chưa có lượt đánh giá nào của {found.name} được lưu đến ngày {as_of.isoformat()}",
                             f"no batch of {found.name} was stored on or before {as_of.isoformat()}"), field="--as-of",
                         fix=Say(f"ghi một ngày từ {first} trở đi", f"give a date from {first} on"))
    if target is not None and by is not None and by <= date.fromisoformat(found.rounds[0].assessed_on):
        first = found.rounds[0].assessed_on
        raise InputError(Say(f"ngày của mục tiêu ({by.isoformat()}) không sau lượt đánh giá đầu tiên ({first}): không "
                             f"tính được tiến độ", f"the target's day ({by.isoformat()}) is not after the first batch "
                             f"({first}): no pace can be drawn"), field="--by",
                         fix=Say(f"ghi một ngày sau {first}", f"give a day after {first}"))
    current = rounds[-1]
    previous = rounds[-2] if len(rounds) > 1 else None
    by_key = {c.key: c for c in found.communes}
    wanted, target_years = _registered_list(found, registered)
    counted = round_summary(conn, found, current, wanted)
    summary, rows, entries, resolved = counted.summary, counted.rows, counted.entries, counted.resolved

    newly, lost, before = [], [], None
    if previous is not None:
        before = previous.attained  # as the previous round's counts stored it (`history.tally_batch`)
        order = {r.batch: n for n, r in enumerate(rounds)}  # a commune against its own latest earlier result:
        for row in rows:  # a partial round between (a correction stored as a new round) hides no one's
            then = max((e for e in by_key[row["commune_key"]].entries if e.batch in order and e.batch != current.batch),
                       key=lambda e: order[e.batch], default=None)
            now = entries[row["commune_key"]]
            if now.attained and not (then and then.attained):
                newly.append(row["name"])
            if then is not None and then.attained and not now.attained:
                lost.append(row["name"])

    gaps = {(r["name"], r["district"], r["code"]): r for r in rows}
    lines = []
    for entry, year in zip(summary.registered, target_years):
        row = gaps.get((entry.commune, entry.district, entry.code)) if entry.found else None
        lines.append(RegisteredLine(entry, year, _gaps(row, resolved, lambda i, v: True) if row else []))

    tables = department_tables(counted)
    criteria = {c.id: (c.name, c.name_en) for c in summary.criteria}
    return Report(province=found.name, as_of=as_of, rounds=rounds, round=current, previous=previous, summary=summary,
                  previous_attained=before, newly_attained=newly, no_longer_attained=lost,
                  target=target_against(rounds, summary.attained, target, by) if target is not None and by else None,
                  registered=lines, departments=tables, criteria=criteria)
