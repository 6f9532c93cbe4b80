"""What differs between two criteria sets: the law, not its wording.

Compared per indicator (by id) and per region or commune group both sets cover, year by year
where their periods overlap (else the last year of the first set against the first year of the
second): indicators added and removed; the field, comparison and threshold (a looser one marked);
whether the value is confirmed and its bound; its citation and the page that restates it; the
lead department and whether that assignment is confirmed. Names, notes and titles are wording,
not law: they are not compared. Two sets "say the same law" when nothing of this differs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .resolve import resolve
from .schema import Ruleset


@dataclass
class Change:
    kind: str  # added, removed, field, threshold, flag, source, department
    indicator: str
    dimension: str | None = None
    years: str | None = None
    a: object = None
    b: object = None
    loosened: bool = False


@dataclass
class Diff:
    a: str
    b: str
    changes: list[Change] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.changes

    def as_json(self) -> dict:
        return {"a": self.a, "b": self.b, "same_law": self.same, "changes": [asdict(c) for c in self.changes]}


def _dims(rs: Ruleset) -> list[str]:
    return list(rs.applies_to or rs.dimension_values)


def _year_pairs(a: Ruleset, b: Ruleset) -> list[tuple[int, int]]:
    overlap = range(max(a.period.from_, b.period.from_), min(a.period.to, b.period.to) + 1)
    if len(overlap):
        return [(y, y) for y in overlap]
    return [(a.period.to, b.period.from_)]


def _looser(operator: str, type_: str, old, new) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old is True and new is not True
    if operator == ">=":
        return new < old
    if operator == "<=":
        return new > old
    return new != old


def diff(a: Ruleset, b: Ruleset) -> Diff:
    result = Diff(a.id, b.id)
    if a.varies_by != b.varies_by:
        result.changes.append(Change("field", "*", a=a.varies_by, b=b.varies_by))
        return result
    dims = [d for d in _dims(a) if d in _dims(b)]
    for d in _dims(a):
        if d not in dims:
            result.changes.append(Change("removed", "*", dimension=d))
    for d in _dims(b):
        if d not in _dims(a):
            result.changes.append(Change("added", "*", dimension=d))
    ids_a = [i.id for c in a.criteria for i in c.indicators]
    ids_b = [i.id for c in b.criteria for i in c.indicators]
    for iid in ids_a:
        if iid not in ids_b:
            result.changes.append(Change("removed", iid))
    for iid in ids_b:
        if iid not in ids_a:
            result.changes.append(Change("added", iid))
    common = [iid for iid in ids_a if iid in ids_b]
    raw: dict[tuple, list] = {}
    for dim in dims:
        for year_a, year_b in _year_pairs(a, b):
            ra, rb = resolve(a, dim, year_a), resolve(b, dim, year_b)
            ia = {i.id: i for i in ra.indicators}
            ib = {i.id: i for i in rb.indicators}
            years = str(year_a) if year_a == year_b else f"{year_a}→{year_b}"
            for iid in common:
                x, y = ia[iid], ib[iid]
                law_x = x.assigned or (x.department, x.department_verified)  # what each set assigns
                law_y = y.assigned or (y.department, y.department_verified)
                if law_x != law_y:
                    raw.setdefault(("department", iid, dim), []).append((years, law_x, law_y, False))
                if len(x.checks) != len(y.checks):
                    raw.setdefault(("field", iid, dim), []).append((years, len(x.checks), len(y.checks), False))
                    continue
                for cx, cy in zip(x.checks, y.checks):
                    if _rule(cx, x) != _rule(cy, y):
                        raw.setdefault(("field", iid, dim), []).append((years, _rule(cx, x), _rule(cy, y), False))
                        continue
                    if cx.threshold != cy.threshold or (type(cx.threshold) is bool) != (type(cy.threshold) is bool):
                        raw.setdefault(("threshold", iid, dim), []).append(
                            (years, cx.threshold, cy.threshold, _looser(cx.operator, cx.type, cx.threshold, cy.threshold)))
                    if (cx.verified, cx.bound) != (cy.verified, cy.bound):
                        raw.setdefault(("flag", iid, dim), []).append(
                            (years, (cx.verified, cx.bound), (cy.verified, cy.bound), False))
                    if (cx.citation.vi, cx.url) != (cy.citation.vi, cy.url):
                        raw.setdefault(("source", iid, dim), []).append(
                            (years, (cx.citation.vi, cx.url), (cy.citation.vi, cy.url), False))
    for (kind, iid, dim), items in raw.items():
        for years, old, new, loosened in _runs(items):
            result.changes.append(Change(kind, iid, dim, years, _plain(old), _plain(new), loosened))
    return result


def _rule(check, indicator) -> str:
    """What an indicator compares, apart from its value: field, type, comparison, what the value
    multiplies, whose verdict it is, its choices, what an absent value means, its level."""
    parts = [check.field, check.type, check.operator]
    if check.relative_to:
        parts.append(f"× {check.relative_to}")
    if check.verdict_of:
        parts.append(f"verdict_of {check.verdict_of}")
    if check.options:
        parts.append("options " + ",".join(check.options))
    if check.absent != "missing":
        parts.append(f"absent {check.absent}")
    if check.declared:
        parts.append("declared")
    if indicator.prerequisite:
        parts.append(f"prerequisite {indicator.prerequisite}")
    return " ".join(parts)


def _runs(items: list[tuple]) -> list[tuple]:
    """Consecutive years with the same change as one span ("2016–2019")."""
    out: list[list] = []
    for years, old, new, loosened in items:
        if out and out[-1][1:] == [old, new, loosened]:
            out[-1][0] = (out[-1][0][0], years)
        else:
            out.append([(years, years), old, new, loosened])
    return [((y[0] if y[0] == y[1] else f"{y[0]}–{y[1]}"), old, new, loosened) for y, old, new, loosened in out]


def _plain(value):
    if isinstance(value, tuple):
        return list(value)
    return value


WORDS = {
    "vi": {"same": "Hai bộ tiêu chí nói cùng một luật (không khác về chỉ tiêu, ngưỡng, xác nhận, nguồn, phân công).",
           "added": "chỉ có trong {b}", "removed": "chỉ có trong {a}", "field": "trường/so sánh", "threshold": "ngưỡng",
           "flag": "xác nhận/giới hạn", "source": "căn cứ", "department": "Sở, ngành chủ trì", "looser": "NỚI LỎNG",
           "confirmed": "đã xác nhận", "unconfirmed": "chưa xác nhận", "dimension": "vùng/nhóm", "indicator": "chỉ tiêu",
           "count": "{n} khác biệt", "varies_by": "tính theo"},
    "en": {"same": "The two sets say the same law (no difference in indicators, thresholds, confirmation, sources, "
                   "assignments).", "added": "only in {b}", "removed": "only in {a}", "field": "field/comparison",
           "threshold": "threshold", "flag": "confirmed/bound", "source": "basis", "department": "lead department",
           "looser": "LOOSER", "confirmed": "confirmed", "unconfirmed": "unconfirmed", "dimension": "region/group",
           "indicator": "indicator", "count": "{n} differences", "varies_by": "varies by"},
}


def _shown(kind: str, value, W: dict) -> str:
    if kind == "department" and isinstance(value, list):
        return f"{value[0]} ({W['confirmed'] if value[1] else W['unconfirmed']})"
    if kind == "flag" and isinstance(value, list):
        return W["confirmed" if value[0] else "unconfirmed"] + (f", {value[1]}" if value[1] else "")
    if kind == "source" and isinstance(value, list):
        return f"{value[0]} <{value[1]}>" if value[1] else str(value[0])
    return str(value)


def text(result: Diff, lang: str = "vi") -> str:
    W = WORDS[lang]
    lines = [f"{result.a} → {result.b}"]
    if result.same:
        return "\n".join(lines + [W["same"]]) + "\n"
    lines[0] += f": {W['count'].format(n=len(result.changes))}"
    for c in result.changes:
        where = " ".join(p for p in (c.dimension, c.years) if p)
        if c.kind in ("added", "removed"):
            what = f"{W['dimension']} {c.dimension}" if c.indicator == "*" else f"{W['indicator']} {c.indicator}"
            lines.append(f"  {what}: {W[c.kind].format(a=result.a, b=result.b)}")
            continue
        if c.indicator == "*":
            lines.append(f"  {W['varies_by']}: {c.a} → {c.b}")
            continue
        mark = f"  [{W['looser']}]" if c.loosened else ""
        lines.append(f"  {c.indicator} {W[c.kind]} [{where}]: {_shown(c.kind, c.a, W)} → {_shown(c.kind, c.b, W)}{mark}")
    return "\n".join(lines) + "\n"
