"""The text reports: an Assessment and a resolved ruleset, in Vietnamese by default or English.
The words come from `ntm_rules.words`, shared with the HTML page and the plan."""
from __future__ import annotations

from collections import OrderedDict

from ..errors import worded
from ..regions import region_name
from ..law.resolve import ResolvedRuleset
from ..result import Assessment, CriterionResult, IndicatorResult
from ..words.catalogue import WORDS
from ..words.phrases import (OPERATORS, basis_text, department_text, flag, gap_text, indicator_department, level_name,
                             low, met_text, number, part_requirement, part_value, pick, relative_formula, requirement,
                             value_text, verdict_text, with_unit)

LEVEL_ORDER = ("standard", "advanced", "model")


def criteria_of(a: Assessment) -> dict[str, tuple[CriterionResult, str | None]]:
    """Each indicator's criterion, and the level it is of (None: the set's own; for a higher level,
    the standard's failing criteria too)."""
    found = {i.id: (c, None) for c in a.criteria for i in c.indicators}
    for name, level in (a.levels or {}).items():
        found.update({i.id: (c, name) for c in level.failing_criteria or [] for i in c.indicators})
    return found


def indicator_lines(indicator: IndicatorResult, lang: str, indent: str = "    ", department: bool = True) -> list[str]:
    """A failing or missing indicator: what it is, what was found, what is required, by how much it
    misses, who leads, and on what basis."""
    L = WORDS[lang]
    shown = value_text(indicator, lang)
    decisive = next((p for p in indicator.checks or [] if p.field == indicator.field), None)
    if decisive is not None and pick(decisive, "label", lang):  # 17.1: which of its numbers is meant
        shown = f"{pick(decisive, 'label', lang)} {shown}"
    head = f"{indicator.id} {pick(indicator, 'name', lang)}: {shown}; {L['required']} {requirement(indicator, lang)}"
    gap = gap_text(indicator, lang)
    if gap:
        head += f"; {gap}"
    lines = [f"{indent}{L['marks'][indicator.status]} {head}{flag(indicator, lang)}"]
    for part in indicator.checks or []:
        label = pick(part, "label", lang) or pick(indicator, "name", lang)
        shown = part_value(indicator, part, lang)
        required = part_requirement(indicator, part, lang)
        part_gap = gap_text(part, lang, pick(indicator, "unit", lang))
        lines.append(f"{indent}    {L['marks'][part.status]} {label}: {shown} ({L['required']} {required}"
                     + (f"; {part_gap}" if part_gap else "") + ")" + (f" [{L['unconfirmed']}]" if not part.verified else ""))
    if department:
        lines.append(f"{indent}  {L['department']}: {indicator_department(indicator, lang)}")
    lines.append(f"{indent}  {L['basis']}: {basis_text(indicator, lang)}")
    note = pick(indicator, "note", lang)
    if note:
        lines.append(f"{indent}  [{L['unconfirmed']}] {note}" if not indicator.verified else f"{indent}  {note}")
    return lines


def header_lines(a: Assessment, lang: str) -> list[str]:
    L = WORDS[lang]
    where = ", ".join(p for p in (a.commune.district, a.commune.province) if p)
    place = f"{a.commune.name}" + (f" — {where}" if where else "")
    if a.region:
        dim = f"{L['region']} {region_name(a.region, lang)}"
        if a.region_source == "province":
            dim += f", {L['region_from_province']}"
    else:
        dim = f"{L['group']} {a.commune_group}"
    lines = [
        f"{place} ({dim}), {L['year']} {a.year}",
        f"{L['ruleset']}: {pick(a.ruleset, 'title', lang)} ({a.ruleset.id}, sha256 {a.ruleset.sha256[:12]})"
        + (f" — {L['chosen_because']}: {pick(a.ruleset, 'chosen_because', lang)}" if a.ruleset.chosen_because else ""),
    ]
    note = pick(a.ruleset, "note", lang)
    if note:
        lines.append(f"{L['note']}: {note}")
    lines.append(f"{L['result']}: {verdict_text(a, lang)}")
    return lines


def department_lines(a: Assessment, lang: str) -> list[str]:
    """Per lead department, the indicators it answers for that are not met or lack data."""
    L = WORDS[lang]
    lines = [f"{L['departments']}:"]
    if not a.departments:
        lines.append(f"  {L['none']}")
    for d in a.departments:
        parts = []
        if d.not_met:
            parts.append(f"{L['indicators_not_met']}: {', '.join(d.not_met)}")
        if d.missing:
            parts.append(f"{L['indicators_missing']}: {', '.join(d.missing)}")
        level = f" ({low(level_name('standard', lang))})" if d.level == "standard" else ""
        lines.append(f"  {department_text(pick(d, 'name', lang), d.verified, lang)}{level} — {'; '.join(parts)}")
    return lines


def next_steps(a: Assessment, lang: str, source: str | None) -> list[str]:
    """What the commune and each lead department do next: the plan command, then per department
    the indicators it must act on, with the gap."""
    L = WORDS[lang]
    if a.attained:
        return []
    named = source if source and not set(source) & set("|⟪⟫") else "FILE.json"  # a marker's own signs: not in it
    command = worded(f"⟪plan:{named}|{a.ruleset.id}|{L['plan_file']}⟫", lang)  # as each front says it
    lines = [f"{L['next']}:", f"  1. {L['next_plan'].format(command=command)}", f"  2. {L['next_departments']}"]
    by_department: OrderedDict[str, list[str]] = OrderedDict()
    for indicator in a.to_act_on():
        gap = gap_text(indicator, lang)
        what = f"{indicator.id} {pick(indicator, 'name', lang)}" + (f" ({gap})" if gap else
                                                                    f" ({L['missing']}: {L['supply_data']})"
                                                                    if indicator.status == "missing" else "")
        by_department.setdefault(indicator_department(indicator, lang), []).append(what)
    for name, items in by_department.items():
        lines.append(f"     {name}:")
        lines += [f"       - {item}" for item in items]
    return lines


def level_lines(a: Assessment, lang: str) -> list[str]:
    """The levels a higher ruleset builds on, top-down: standard, advanced, then its own."""
    L = WORDS[lang]
    lines = []
    levels = sorted(a.levels.items(), key=lambda kv: LEVEL_ORDER.index(kv[0]) if kv[0] in LEVEL_ORDER else 99)
    own_level = next((name for name, level in a.levels.items() if level.ruleset == a.ruleset.id), "")
    for number_, (name, level) in enumerate(levels, start=1):
        verdict = L["attained_mark"] if level.attained else L["not_attained"].upper()
        if not level.basis:  # a declared recognition is the commune's word, not a threshold
            verdict += f", {L['certain'] if level.certain else L['uncertain']}"
        head = f"{L['level']} {number_} — {level_name(name, lang)}" + (f" ({level.ruleset})" if level.ruleset else "")
        lines += ["", f"{head}: {verdict}"]
        if level.criteria_total is not None:
            lines[-1] += f" — {level.criteria_met}/{level.criteria_total} {L['criteria']}"
        if level.basis:
            lines[-1] += f" — {pick(level, 'basis', lang)}"
        if level.blocked_by:
            needs = ", ".join(level_name(b, lang) for b in level.blocked_by)
            lines.append("  → " + L["requires_first"].format(level=needs))
            continue
        for criterion in level.failing_criteria or []:
            lines.append(f"  {criterion.id} {pick(criterion, 'name', lang)}")
            for i in criterion.indicators:
                if i.status != "met":
                    lines += indicator_lines(i, lang)
        if level.requirements is not None and name == own_level:
            for i in level.requirements:
                if i.status != "met":
                    lines += indicator_lines(i, lang, indent="  ")
            declared = [i for i in level.requirements if i.declared]
            if declared:
                lines.append(f"  {L['declared_list']}:")
                lines += [f"    {i.id} {pick(i, 'name', lang)}: {value_text(i, lang)}" for i in declared]
    return lines


def text_report(a: Assessment, lang: str = "vi", by_department: bool = False, source: str | None = None) -> str:
    """The report of one commune. `source` (the document's path) goes into the plan command."""
    L = WORDS[lang]
    lines = header_lines(a, lang)
    if by_department:
        return "\n".join(lines + [""] + department_lines(a, lang)) + "\n"
    if a.levels:
        lines += level_lines(a, lang)
    else:
        lines.append(f"{L['unconfirmed_count']}: {a.ruleset.unconfirmed_thresholds}")
        failing = [c for c in a.criteria if c.status == "not_met"]
        if failing:
            lines += ["", f"{L['criteria_not_met']} ({len(failing)}):"]
            for c in failing:
                lines.append(f"  {c.id} {pick(c, 'name', lang)}")
                for i in c.indicators:
                    if i.status == "not_met":
                        lines += indicator_lines(i, lang)
        missing = [i for c in a.criteria for i in c.indicators if i.status == "missing"]
        if missing:
            lines += ["", f"{L['missing_list']} ({len(missing)}):"]
            for i in missing:
                lines += indicator_lines(i, lang, indent="  ")
        met = [c for c in a.criteria if c.status == "met"]
        lines += ["", f"{L['criteria_met']} ({len(met)}): {', '.join(c.id for c in met) or L['none']}"]
        shaky = [i for c in met for i in c.indicators if not i.certain]
        if shaky:
            lines.append(f"{L['unconfirmed_met']}:")
            lines += [f"    {i.id} {pick(i, 'name', lang)}: {value_text(i, lang)}; {L['required']} {requirement(i, lang)}"
                      f"{flag(i, lang)}" for i in shaky]
    steps = next_steps(a, lang, source)
    if steps:
        lines += [""] + steps
    if a.ruleset.unconfirmed_thresholds or any(not i.department_verified for i in a.to_act_on()):
        lines += ["", L["legend"], L["warning"]]
    return "\n".join(lines) + "\n"


def ruleset_table(resolved: ResolvedRuleset, lang: str = "vi") -> str:
    """The thresholds the engine applies for one region and year, with citation and status."""
    L = WORDS[lang]
    rs = resolved.ruleset
    dim = (f"{L['region']} {region_name(resolved.dimension, lang)}" if rs.varies_by == "region"
           else f"{L['group']} {resolved.dimension}")
    lines = [f"{rs.title(lang)} ({rs.id}) — {dim}, {L['year']} {resolved.year}",
             f"{L['unconfirmed_count']}: {resolved.unconfirmed}/{len(resolved.checks)}"]
    if rs.note:
        lines.append(f"{L['note']}: {rs.note(lang)}")
    lines.append("")
    for criterion in resolved.criteria:
        dept = department_text(resolved.department_name(criterion.department, lang), criterion.department_verified, lang,
                               criterion.department_basis(lang) if criterion.department_basis else None)
        lines.append(f"{criterion.id}. {criterion.name(lang)} — {dept}")
        for indicator in criterion.indicators:
            for check in indicator.checks:
                if isinstance(check.threshold, bool):
                    req = met_text(True, lang)
                else:
                    unit = "%" if check.type == "pct" else (check.unit(lang) if check.unit else None)
                    req = f"{OPERATORS[check.operator]} {with_unit(number(check.threshold, lang), unit)}"
                    if check.relative_to:
                        label = check.relative_label(lang) if check.relative_label else None
                        req = f"{OPERATORS[check.operator]} {relative_formula(check.threshold, check.relative_to, label, lang)}"
                    if check.options:
                        labels = check.option_labels or {}
                        req += f" ({', '.join(labels[o](lang) if o in labels else o for o in check.options)})"
                if check.verdict_of:
                    req += f" [{check.verdict_of}]"
                if check.declared:
                    req += f" {L['declared']}"
                status = L["confirmed"] if check.verified else f"[{L['unconfirmed']}]"
                if check.bound:
                    status += f" ({'≤' if check.bound == 'at_most' else '≥'})"
                origin = f" [{check.origin}]" if check.origin != rs.id else ""
                dept = "" if indicator.department == criterion.department else \
                    f" — {department_text(resolved.department_name(indicator.department, lang), indicator.department_verified, lang, indicator.department_basis(lang) if indicator.department_basis else None)}"
                name = check.label(lang) if check.label and len(indicator.checks) > 1 else indicator.name(lang)
                lines.append(f"  {indicator.id} {name} ({check.field}): {req} — {status}{origin}{dept}")
                restated = f"; {L['restated']}: {check.url}" if check.url else f"; {L['no_page']}"
                lines.append(f"      {check.citation(lang)}{restated}")
                if check.note:
                    lines.append(f"      {check.note(lang)}")
    return "\n".join(lines) + "\n"
