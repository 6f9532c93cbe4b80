"""The provincial summary's tallies: one small `record` per assessed commune, added up.

Built incrementally (so a batch of any size keeps only counts, the names of communes under 10
criteria and the registered communes' details in memory); `SummaryBuilder.result()` gives the
`ProvincialSummary`.
"""
from __future__ import annotations

from collections import Counter

from ..law.schema import Ruleset
from ..places import UNKNOWN, code_key, fold, loose, name_key
from ..words.phrases import average
from .appendix import Appendix
from .office import official_province
from .summary import (CriterionLine, DepartmentFailures, DistrictLine, FailingIndicator, InputRef, ProvincialSummary,
                      RegisteredCommune, SummaryRuleset)


def brackets_for(criteria: int) -> tuple[tuple[str, int, int], ...]:
    """Communes counted by criteria met, in the provinces' usual bands for 19 criteria (19, 15–18,
    10–14, 5–9, 0–4), scaled to a set of another size (10 criteria: 10, 8–9, 5–7, 3–4, 0–2)."""
    cuts = [criteria] + [round(criteria * k / 19) for k in (15, 10, 5)] + [0]
    bands, high = [], criteria
    for low in cuts:
        if low > high or (bands and low == bands[-1][1]):
            continue
        key = str(low) if low == high else f"{low}-{high}"
        bands.append((key, low, 10_000 if low == criteria else high))
        high = low - 1
        if high < 0:
            break
    return tuple(bands)


def low_mark(criteria: int) -> int:
    """Communes meeting fewer criteria than this are listed by name: 10 of 19 (the provinces'
    "xã dưới 10 tiêu chí"), scaled to a set of another size."""
    return max(1, round(criteria * 10 / 19))


class _Tally:
    __slots__ = ("assessed", "attained", "not_attained", "missing_data", "criteria_met", "under_low_mark",
                 "attained_certain", "not_attained_certain", "mark")

    def __init__(self, mark: int):
        self.mark = mark
        self.assessed = self.attained = self.not_attained = self.missing_data = self.criteria_met = 0
        self.attained_certain = self.not_attained_certain = 0
        self.under_low_mark: list[str] = []

    def add(self, record: dict) -> None:
        self.assessed += 1
        self.criteria_met += record["criteria_met"]
        if record["attained"]:
            self.attained += 1
            self.attained_certain += record["certain"]
        elif record["not_met"]:
            self.not_attained += 1
            self.not_attained_certain += record["certain"]
        else:
            self.missing_data += 1
        if record["criteria_met"] < self.mark:
            self.under_low_mark.append(record["name"])


def _identity(record: dict) -> str:
    keys = record.get("keys") or ()
    return keys[0] if keys else f"{record.get('name')}|{record.get('district')}"


def _place(record: dict) -> str:
    district = record.get("district")
    return f"{record['name']} ({district})" if district else record["name"]


class _Facts:
    """What a record (assessed, or a rejected row's commune) is matched by: its codes (written, with
    their zeros, and official), its names and districts (written and official, `places.name_key`)
    and its names without diacritics (`places.loose`, for suggestions)."""

    __slots__ = ("codes", "names", "districts", "loose")

    def __init__(self, record: dict):
        _, official, district, code = record.get("place") or (None, None, None, None)
        written = record.get("name") or ""
        self.codes = {c for c in (code_key(record.get("code")), code) if c}
        self.names = {name_key(n) for n in (written, official) if n}
        self.districts = {name_key(d) for d in (record.get("district"), district) if d}
        self.loose = {loose(n) for n in (written, official) if n}


class _Wanted:
    """One registered commune and what the batch found for it."""

    def __init__(self, entry: dict):
        self.entry = entry
        self.code = code_key(entry.get("code"))
        self.name = name_key(entry["name"])
        self.district = name_key(entry.get("district"))
        self.loose = loose(entry["name"])
        self.found: list[dict] = []
        self.rejected: list[dict] = []
        self.near: list[dict] = []

    def takes(self, facts: _Facts) -> str | None:
        """"exact" (its code; else its name however written, and its district when given), "near"
        (the same letters without diacritics: a suggestion), or None."""
        if self.code:
            return "exact" if self.code in facts.codes else None
        if self.name in facts.names:
            return "exact" if not self.district or self.district in facts.districts else None
        return "near" if self.loose in facts.loose else None


class SummaryBuilder:
    """Add one record per assessed commune and count rejected rows; `result()` gives the summary."""

    def __init__(self, ruleset: Ruleset, registered: list[dict] | None = None, appendix: Appendix | None = None):
        self.bands = brackets_for(len(ruleset.criteria))
        self.mark = low_mark(len(ruleset.criteria))
        self.total = _Tally(self.mark)
        self.districts: dict[str, tuple[str, _Tally]] = {}  # name_key → (the name shown, its tally)
        self.rejected = 0
        self.ruleset = SummaryRuleset(id=ruleset.id, sha256=ruleset.sha256, title=ruleset.title.vi,
                                      title_en=ruleset.title.en, note=ruleset.note.vi if ruleset.note else None,
                                      note_en=ruleset.note.en if ruleset.note else None)
        self.criteria = {c.id: (c.name.vi, c.name.en) for c in ruleset.criteria}
        self.years: set[int] = set()
        self.unconfirmed = 0
        self.brackets = Counter()
        self.not_met = Counter()
        self.missing = Counter()
        self.departments: dict[str, dict] = {}
        self.rejected_rows: list[dict] = []
        self.wanted = [_Wanted(r) for r in registered or []]
        self._by_code: dict[str, list[_Wanted]] = {}
        self._by_loose: dict[str, list[_Wanted]] = {}
        for wanted in self.wanted:
            if wanted.code:
                self._by_code.setdefault(wanted.code, []).append(wanted)
            else:
                self._by_loose.setdefault(wanted.loose, []).append(wanted)
        self.units: set[str] = set()  # every identity key of the communes counted (`places.Place.keys`)
        self.communes = 0  # distinct communes assessed or rejected
        self.unknown: list[str] = []  # assessed communes the directory does not know (the first ones)
        self.unknown_count = 0
        self.provinces: Counter = Counter()  # official names (as written when unknown) → communes
        self.appendix = appendix  # when given, every commune assessed is listed in it (the summary page's appendix)

    REJECTED_SHOWN = 100
    UNKNOWN_SHOWN = 100

    def _count(self, keys) -> None:
        """One more commune unless it shares an identity key with one counted already."""
        if keys:
            if self.units.isdisjoint(keys):
                self.communes += 1
            self.units.update(keys)

    def reject(self, record: dict | None = None) -> None:
        self.rejected += 1
        self._count((record or {}).get("keys"))
        if record is not None and len(self.rejected_rows) < self.REJECTED_SHOWN:
            self.rejected_rows.append({"source": record.get("source"), "sheet": record.get("sheet"),
                                       "row": record.get("row"), "error": record.get("error")})
        commune = (record or {}).get("commune")
        if self.wanted and isinstance(commune, dict) and commune.get("name"):
            for wanted, how in self._candidates({**commune, "where": None}):
                if how == "exact":
                    wanted.rejected.append(record)

    @property
    def rows_read(self) -> int:
        """Rows counted so far (assessed or rejected): how far an interrupted batch got."""
        return self.total.assessed + self.rejected

    def add(self, record: dict) -> None:
        self.total.add(record)
        self._count(record.get("keys"))
        place = record.get("place") or (None, None, None)
        if place[0] == UNKNOWN:
            self.unknown_count += 1
            if len(self.unknown) < self.UNKNOWN_SHOWN:
                self.unknown.append(_place(record))
        district = place[2] or record["district"] or ""
        key = name_key(district)  # one line per district however spelt: its official name when known
        line = self.districts.get(key)
        if line is None:
            line = self.districts[key] = (district, _Tally(self.mark))
        line[1].add(record)
        year, province = record["year"], record.get("province")
        self.years.add(year)
        if province:
            self.provinces[official_province(province, year)] += 1
        if self.appendix is not None:  # its row written now, while a batch's workers assess
            self.appendix.add(record["name"], district, record["criteria_met"], record["attained"], record["certain"],
                              record["not_met"], record["missing"])
        self.unconfirmed = max(self.unconfirmed, record["unconfirmed"])
        met = record["criteria_met"]
        for key, low, high in self.bands:
            if low <= met <= high:
                self.brackets[key] += 1
                break
        for cid in record["not_met"]:  # (Counter.update's checks cost more than these few additions)
            self.not_met[cid] += 1
        for cid in record["missing"]:
            self.missing[cid] += 1
        for department, criteria, verified, name, name_en in record["departments"]:
            dept = self.departments.get(department)
            if dept is None:
                dept = self.departments[department] = {
                    "name": name, "name_en": name_en, "criteria": set(), "communes": 0, "verified": True}
            dept["criteria"].update(criteria)
            dept["verified"] = dept["verified"] and verified
            dept["communes"] += 1
        if self.wanted:
            for wanted, how in self._candidates(record):
                (wanted.found if how == "exact" else wanted.near).append(record)

    def _candidates(self, record: dict):
        facts = _Facts(record)
        seen = set()
        for wanted in [w for c in facts.codes for w in self._by_code.get(c, [])] + \
                [w for k in facts.loose for w in self._by_loose.get(k, [])]:
            if id(wanted) in seen:
                continue
            seen.add(id(wanted))
            how = wanted.takes(facts)
            if how is not None:
                yield wanted, how

    @staticmethod
    def _registered(wanted: _Wanted) -> RegisteredCommune:
        entry = wanted.entry
        base = {"commune": entry["name"], "district": entry.get("district"), "code": entry.get("code")}
        if len({_identity(r) for r in wanted.found}) > 1:
            return RegisteredCommune(**base, found=False, status="ambiguous",
                                     candidates=[_place(r) for r in wanted.found])
        if wanted.found:
            record = wanted.found[0]
            return RegisteredCommune(
                commune=record["name"], district=record["district"], code=record["code"], found=True, status="found",
                row=record.get("where"), year=record["year"], attained=record["attained"], certain=record["certain"],
                criteria_met=record["criteria_met"], failing=list(record["not_met"]), missing=list(record["missing"]),
                indicators=[FailingIndicator(**{k: v for k, v in i.items()}) for i in record["failing"]])
        if wanted.rejected:
            record = wanted.rejected[0]
            where = f"{record['sheet']}!{record['row']}" if record.get("sheet") else str(record["row"])
            return RegisteredCommune(**base, found=False, status="rejected", row=where, reason=record["error"])
        near = list(dict.fromkeys(_place(r) for r in wanted.near))  # every one, once (twins: both)
        return RegisteredCommune(**base, found=False, status="not_found", suggestion=near[0] if near else None,
                                 candidates=near)

    def result(self, inputs: list[dict] | None = None, internal_errors: int = 0, reason: tuple | None = None,
               sheets_skipped: list[str] | None = None, columns_ignored: list[str] | None = None,
               rows_read: int | None = None) -> ProvincialSummary:
        """The summary; `rows_read`: the rows the batch read (its caller checks that each came back
        assessed or rejected), else those counted here."""
        def order(cid: str):
            return [int(p) if p.isdigit() else p for p in cid.replace("-", ".").split(".")]

        criteria_ids = sorted(set(self.criteria) | set(self.not_met) | set(self.missing), key=order)
        registered = [self._registered(w) for w in self.wanted]
        return ProvincialSummary(
            complete=True,
            inputs=[InputRef(**i) for i in inputs or []],
            rows_read=self.rows_read if rows_read is None else rows_read,
            internal_errors=internal_errors,
            ruleset_reason=reason("vi") if reason else None, ruleset_reason_en=reason("en") if reason else None,
            sheets_skipped=sheets_skipped or [], columns_ignored=columns_ignored or [],
            rejected_rows=self.rejected_rows,
            ruleset=self.ruleset,
            provinces=[name for name, _ in sorted(self.provinces.items(), key=lambda kv: (-kv[1], fold(kv[0])))],
            unconfirmed_thresholds=self.unconfirmed,
            years=sorted(self.years),
            communes=self.communes,
            not_in_directory=self.unknown_count,
            not_in_directory_names=self.unknown,
            assessed=self.total.assessed,
            rejected=self.rejected,
            attained=self.total.attained,
            not_attained=self.total.not_attained,
            missing_data=self.total.missing_data,
            attained_certain=self.total.attained_certain,
            not_attained_certain=self.total.not_attained_certain,
            average_criteria_met=average(self.total.criteria_met, self.total.assessed),
            brackets={key: self.brackets.get(key, 0) for key, _, _ in self.bands},
            low_mark=self.mark,
            under_low_mark=self.total.under_low_mark,
            failures_by_criterion={cid: self.not_met[cid] for cid in criteria_ids if self.not_met[cid]},
            missing_by_criterion={cid: self.missing[cid] for cid in criteria_ids if self.missing[cid]},
            criteria=[CriterionLine(id=cid, name=self.criteria.get(cid, (cid, cid))[0],
                                    name_en=self.criteria.get(cid, (cid, cid))[1],
                                    not_met=self.not_met[cid], missing=self.missing[cid]) for cid in criteria_ids],
            failures_by_department={
                did: DepartmentFailures(name=d["name"], name_en=d["name_en"],
                                        criteria=sorted(d["criteria"], key=order), communes=d["communes"],
                                        verified=d["verified"])
                for did, d in sorted(self.departments.items(), key=lambda kv: -kv[1]["communes"])},
            registered=registered,
            districts=[DistrictLine(district=name, assessed=t.assessed, attained=t.attained,
                                    not_attained=t.not_attained, missing_data=t.missing_data,
                                    average_criteria_met=average(t.criteria_met, t.assessed),
                                    under_low_mark=t.under_low_mark)
                       for name, t in sorted(self.districts.values(), key=lambda kv: fold(kv[0]))],
        )
