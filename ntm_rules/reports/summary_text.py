"""The provincial summary as text (and the lines its HTML page shares): a ProvincialSummary, in
Vietnamese by default or English."""
from __future__ import annotations

from ..words.catalogue import WORDS
from ..words.phrases import department_text, gap_text, indicator_department, one_decimal, pick

def bracket_label(key: str, lang: str) -> str:
    """A band of criteria met as people write it: "15–18", and the lowest "dưới 5" / "under 5"."""
    low, _, high = key.partition("-")
    if not high:
        return key
    if low == "0":
        return WORDS[lang]["under"].format(n=int(high) + 1)
    return f"{low}–{high}"


def registered_line(r, lang: str) -> str:
    """One registered commune: verdict, how sure, and each failing indicator with its gap."""
    W = WORDS[lang]
    if not r.found:
        return f"  {r.commune}: {registered_status(r, lang)}"
    verdict = W["attained"] if r.attained else W["not_attained"]
    sure = W["certain"] if r.certain else W["uncertain"]
    parts = []
    for i in r.indicators:
        gap = gap_text(i, lang)
        text = f"{i.id} {gap}" if gap else f"{i.id} {W['missing'] if i.status == 'missing' else W['not_met']}"
        if not i.verified:
            text += f" [{W['unconfirmed']}]"
            if i.bound == "at_most" and i.operator == ">=" and i.status == "not_met":
                text += f" ({W['year_value_lower'].format(year=r.year)})"
        text += f" — {indicator_department(i, lang)}"
        parts.append(text)
    return f"  {r.commune}: {verdict} ({r.criteria_met}), {sure}" + "".join("; " + p for p in parts)


def registered_status(r, lang: str) -> str:
    """Why a registered commune has no verdict: its row was rejected, its name is shared, or it is
    not among the rows (with the commune whose name differs only by its accents, if any)."""
    W = WORDS[lang]
    if r.status == "rejected":
        return W["registered_rejected"].format(row=r.row, reason=r.reason)
    if r.status == "ambiguous":
        return W["registered_ambiguous"].format(candidates="; ".join(r.candidates))
    if r.candidates or r.suggestion:  # every commune it may mean (twins: each of them)
        return W["registered_suggest"].format(suggestion=f" {W['or']} ".join(r.candidates or [r.suggestion]))
    return W["not_in_results"]


def summary_text(s, lang: str = "vi") -> str:
    """The provincial summary (ntm_rules.reports.summary.ProvincialSummary) as plain text."""
    W = WORDS[lang]
    avg = "—" if s.average_criteria_met is None else one_decimal(s.average_criteria_met, lang)
    title = s.ruleset.title_en if lang == "en" else s.ruleset.title
    lines = [
        f"{W['ruleset']}: {title} ({s.ruleset.id}), {W['year']} {', '.join(map(str, s.years)) or '—'}"
        + (f" — {pick(s, 'ruleset_reason', lang)}" if s.ruleset_reason else ""),
    ]
    note = pick(s.ruleset, "note", lang)
    if note:
        lines.append(f"{W['note']}: {note}")
    lines += [
        f"{W['summary']}: {s.rows_read} {W['rows_read']}; {s.communes} {W['communes_distinct']} — "
        f"{s.assessed} {W['assessed']}, {s.rejected} {W['rows_rejected']}",
        f"  {W['attained']}: {s.attained} ({W['certain']} {s.attained_certain}); "
        f"{W['not_attained']}: {s.not_attained} ({W['certain']} {s.not_attained_certain}); "
        f"{W['missing_data']}: {s.missing_data}",
        f"  {W['average']}: {avg}",
        f"{W['brackets']}: " + "; ".join(f"{bracket_label(k, lang)}: {v}" for k, v in s.brackets.items()),
        f"{W['under_low_mark'].format(mark=s.low_mark)} ({len(s.under_low_mark)}): {', '.join(s.under_low_mark) or W['none']}",
        f"{W['by_criterion']}:" + ("" if any(c.not_met or c.missing for c in s.criteria) else f" {W['none']}"),
    ]
    for c in s.criteria:
        if c.not_met or c.missing:
            parts = ([W["n_not_met"].format(n=c.not_met)] if c.not_met else []) + \
                    ([W["n_missing"].format(n=c.missing)] if c.missing else [])
            lines.append(f"  {c.id}. {pick(c, 'name', lang)}: {', '.join(parts)}")
    lines.append(f"{W['departments']}:")
    for d in s.failures_by_department.values():
        name = department_text(pick(d, "name", lang), d.verified, lang)
        lines.append(f"  {name}: {W['criteria']} {', '.join(d.criteria)} — {d.communes} {W['communes']}")
    if s.registered:
        lines.append(f"{W['registered']}:")
        lines += [registered_line(r, lang) for r in s.registered]
    if s.rejected_rows:
        lines.append(f"{W['rejected_rows']} ({s.rejected}):")
        for r in s.rejected_rows:
            where = f"{r['sheet']}!{r['row']}" if r.get("sheet") else r["row"]
            lines.append(f"  {W['row']} {where}: {r['error']}")
        if s.rejected > len(s.rejected_rows):
            lines.append(f"  … {W['see_rejected']}")
    if s.not_in_directory:
        more = f", … (+{s.not_in_directory - len(s.not_in_directory_names)})" \
            if s.not_in_directory > len(s.not_in_directory_names) else ""
        lines.append(f"{W['not_in_directory']} ({s.not_in_directory}): {', '.join(s.not_in_directory_names)}{more}")
    if s.columns_ignored:
        lines.append(f"{W['columns_ignored']}: " + "; ".join(s.columns_ignored))
    if s.sheets_skipped:
        lines.append(f"{W['sheets_skipped']}: " + "; ".join(s.sheets_skipped))
    if any(d.district for d in s.districts):  # since 1 July 2025 communes have no district: no such section
        lines.append(f"{W['districts']}:")
        for d in s.districts:
            lines.append(f"  {d.district or '—'}: {d.assessed} {W['assessed']}, {d.attained} {W['attained']}, "
                         f"{W['average']} {one_decimal(d.average_criteria_met, lang)}")
    if s.unconfirmed_thresholds:
        lines.append(W["warning"])
    return "\n".join(lines) + "\n"
