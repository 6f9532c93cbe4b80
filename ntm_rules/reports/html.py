"""Printable HTML pages: one commune's assessment and a batch's provincial summary.

Self-contained (inline CSS and SVG charts, no script, no network), Vietnamese by default,
laid out for A4. Templates live in ntm_rules/reports/templates (`templating.py`).
"""
from __future__ import annotations

import re
from datetime import date

from jinja2 import meta
from markupsafe import Markup, escape

from ..regions import region_name
from ..result import Assessment
from ..words.catalogue import WORDS
from ..words.phrases import (cap, certainty_text, department_text, gap_text, indicator_department, level_name, low,
                             one_decimal, part_requirement, part_value, pick, requirement, shown_date, value_text,
                             verdict_text)
from .office import office_head
from .summary import ProvincialSummary
from .summary_text import bracket_label, registered_status
from .templating import clean, environment
from .text import LEVEL_ORDER, criteria_of, next_steps


def bar_chart(items: list[tuple], *, label_width: int = 230, bar_width: int = 380, row: int = 20,
              text_width: int = 50) -> dict:
    """Geometry of a horizontal bar chart (the template draws it as inline SVG): items are (label,
    value) or (label, value, the text shown beside the bar)."""
    top = max((item[1] for item in items), default=0) or 1
    bars = []
    for index, (label, value, *text) in enumerate(items):
        bars.append({"label": label, "value": value, "text": text[0] if text else value, "y": index * row,
                     "width": round(bar_width * value / top, 1)})
    return {"bars": bars, "label_width": label_width, "bar_width": bar_width, "row": row,
            "width": label_width + bar_width + text_width, "height": max(len(items), 1) * row}


def warm_up(lang: str = "vi") -> None:
    """Compile the summary page's template and those it imports and includes, and read the
    language's number formats, now (a batch does it while its workers assess: at its end, they
    took about 0.03 s and 0.02 s when nothing else runs)."""
    one_decimal(0.0, lang)  # babel reads the locale's data on first use
    env = environment()
    wanted, seen = ["summary.html"], set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        env.get_template(name)
        source = env.loader.get_source(env, name)[0]
        wanted.extend(n for n in meta.find_referenced_templates(env.parse(source)) if isinstance(n, str))


def summary_html(summary: ProvincialSummary, lang: str = "vi", communes: list[dict] | None = None,
                 office: str | None = None) -> str:
    """The provincial summary as the office prints and signs it: the figures on at most three A4
    pages for a province of ~100 communes, then an appendix listing `communes` (each commune's
    result, `SummaryBuilder.commune_list`), the registered communes' failing indicators, the rows
    not assessed and the communes the directory does not know. `office`: the reporting office's
    name, when not the province's coordination office."""
    W = WORDS[lang]
    brackets = bar_chart([(W["band"].format(band=bracket_label(key, lang)), count)
                          for key, count in summary.brackets.items()])
    criteria = bar_chart([(f"{c.id}. {c.name_en if lang == 'en' else c.name}", c.not_met,
                           f"{c.not_met}" + (f" (+{c.missing} {W['missing']})" if c.missing else ""))
                          for c in summary.criteria], label_width=260, row=18, text_width=150)
    head = office_head(summary.provinces, lang, date.today(), max(summary.years, default=None), office)
    return environment().get_template("summary.html").render(
        s=summary, W=W, lang=lang, brackets=brackets, criteria_chart=criteria, today=shown_date(date.today(), lang),
        head=head, communes=communes or [], commune_rows=commune_rows(communes or [], W),
        with_districts=any(c.get("district") for c in communes or []),
        appendix=bool(communes or summary.registered or summary.rejected_rows or summary.not_in_directory),
        pick=lambda obj, name: pick(obj, name, lang), gap=gap_text, department=department_text,
        registered_status=registered_status)


def commune_rows(communes: list[dict], W: dict) -> Markup:
    """The appendix's rows, one per commune (`SummaryBuilder.commune_list`): number, name, district
    (when any commune has one), criteria met, result, criteria failing. Written here rather than by
    a loop of the template: a province's 10 000 communes took 0.3 s through Jinja, at the end of a
    batch when nothing else runs (benchmarks/batch.py); tests/test_summary_rows.py checks that both
    write the same page."""
    with_districts = any(c.get("district") for c in communes)
    attained, not_attained = escape(cap(W["attained"])), escape(cap(W["not_attained"]))
    uncertain, missing = f' <small>({escape(W["uncertain"])})</small>', escape(W["missing"])
    results = {(met, certain): (f'<td class="met">{attained}' if met else f'<td class="not_met">{not_attained}') +
               ("" if certain else uncertain) for met in (True, False) for certain in (True, False)}
    written: dict[tuple, str] = {}  # the same criteria fail in many communes: each cell written once
    districts: dict[str, str] = {}  # and a province has a few dozen districts
    rows = []
    for number, c in enumerate(communes, start=1):
        district = ""
        if with_districts:
            district = districts.get(c["district"])
            if district is None:
                district = districts[c["district"]] = f'<td>{cell(c["district"] or "")}</td>'
        key = (tuple(c["not_met"]), tuple(c["missing"]))
        failing = written.get(key)
        if failing is None:
            failing = cell(", ".join(map(str, c["not_met"])))
            if c["missing"]:
                failing += ("; " if c["not_met"] else "") + f'{missing}: {cell(", ".join(map(str, c["missing"])))}'
            written[key] = failing
        rows.append(f'<tr><td class="n">{number}</td><td>{cell(c["name"])}</td>{district}'
                    f'<td class="n">{c["criteria_met"]}</td>\n{results[bool(c["attained"]), bool(c["certain"])]}</td>\n'
                    f'<td>{failing}</td></tr>\n')
    return Markup("".join(rows))


_MARKUP = re.compile("[&<>\"']")


def cell(value) -> str:
    """A value as the templates show it (`templating.clean`, then escaped), as text: a text with
    nothing to remove or escape as it is (most names: a province's 10 000 took 0.01 s more)."""
    if type(value) is str and value.isprintable() and _MARKUP.search(value) is None:
        return value
    return str(escape(clean(value)))


def assessment_html(assessment: Assessment, lang: str = "vi", source: str | None = None,
                    office: str | None = None) -> str:
    """The printable page of one commune: the verdict first, then what fails and who acts, then
    what is met, compactly; one legend and the notes once, at the end; signed by the province's
    coordination office (or `office`, when the caller names it)."""
    W = WORDS[lang]
    a = assessment
    criteria = criteria_of(a)
    notes: list[str] = []
    failing = []
    for indicator in a.to_act_on():
        criterion, level = criteria.get(indicator.id, (None, None))
        note = pick(indicator, "note", lang)
        numbers = []
        if note:
            if note not in notes:
                notes.append(note)
            numbers.append(notes.index(note) + 1)
        label = None
        if criterion is not None:
            label = f"{cap(W['criterion'])} {criterion.id}. {pick(criterion, 'name', lang)}"
            if level == "standard":
                label += f" ({low(level_name('standard', lang))})"
        failing.append({"indicator": indicator, "criterion": label, "notes": numbers})
    met = [c for c in a.criteria if c.status == "met"]
    departments = []
    for name, items in _by_department(a, lang).items():
        departments.append((name, items))
    where = ", ".join(p for p in (a.commune.district, a.commune.province) if p)
    if a.region:
        dimension = f"{W['region']} {region_name(a.region, lang)}" + (
            f" ({W['region_from_province']})" if a.region_source == "province" else "")
    else:
        dimension = f"{W['group']} {a.commune_group}"
    steps = next_steps(a, lang, source)
    head = office_head([a.commune.province], lang, date.today(), a.year, office)
    return environment().get_template("assessment.html").render(
        a=a, W=W, lang=lang, place=where, dimension=dimension, today=shown_date(date.today(), lang), head=head,
        verdict=verdict_text(a, lang).rsplit(" — ", 1)[0], certainty=certainty_text(a, lang),
        failing=failing, met=met, departments=departments, notes=notes,
        blocked=bool(a.levels and any(lv.blocked_by for lv in a.levels.values())),
        next_plan=W["next_plan_words"].format(office=head.office) if steps else "",  # in words: no command line
        pick=lambda obj, name: pick(obj, name, lang), requirement=requirement, value=value_text, gap=gap_text,
        level_name=level_name, level_order=LEVEL_ORDER, part_value=lambda i, part: part_value(i, part, lang),
        part_requirement=lambda i, part: part_requirement(i, part, lang))


def _by_department(a: Assessment, lang: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for indicator in a.to_act_on():
        gap = gap_text(indicator, lang)
        status = gap or WORDS[lang]["supply_data" if indicator.status == "missing" else "not_met"]
        out.setdefault(indicator_department(indicator, lang), []).append(f"{indicator.id} ({status})")
    return out
