"""Printable HTML pages: one commune's assessment and a batch's provincial summary.

Self-contained (inline CSS and SVG charts, no script, no network), Vietnamese by default,
laid out for A4. Templates live in ntm_rules/reports/templates (`templating.py`).
"""
from __future__ import annotations

from datetime import date

from jinja2 import meta

from ..regions import region_name
from ..result import Assessment
from ..words.catalogue import WORDS
from ..words.phrases import (cap, certainty_text, department_text, gap_text, indicator_department, level_name, low,
                             one_decimal, part_requirement, part_value, pick, requirement, shown_date, value_text,
                             verdict_text)
from .appendix import Appendix
from .office import office_head
from .summary import ProvincialSummary
from .summary_text import bracket_label, registered_status
from .templating import environment
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


def summary_html(summary: ProvincialSummary, lang: str = "vi", communes: Appendix | None = None,
                 office: str | None = None) -> str:
    """The provincial summary as the office prints and signs it: the figures on at most three A4
    pages for a province of ~100 communes, then an appendix listing `communes` (each commune's
    result, `SummaryBuilder.appendix`), the registered communes' failing indicators, the rows not
    assessed and the communes the directory does not know. `office`: the reporting office's name,
    when not the province's coordination office."""
    if communes is not None and communes.lang != lang:
        raise ValueError(f"the appendix is written in {communes.lang!r}, the page in {lang!r}")
    W = WORDS[lang]
    brackets = bar_chart([(W["band"].format(band=bracket_label(key, lang)), count)
                          for key, count in summary.brackets.items()])
    criteria = bar_chart([(f"{c.id}. {c.name_en if lang == 'en' else c.name}", c.not_met,
                           f"{c.not_met}" + (f" (+{c.missing} {W['missing']})" if c.missing else ""))
                          for c in summary.criteria], label_width=260, row=18, text_width=150)
    head = office_head(summary.provinces, lang, date.today(), max(summary.years, default=None), office)
    return environment().get_template("summary.html").render(
        s=summary, W=W, lang=lang, brackets=brackets, criteria_chart=criteria, today=shown_date(date.today(), lang),
        head=head, communes=communes, commune_rows=communes.rows() if communes else "",
        with_districts=communes is not None and communes.with_districts,
        appendix=bool(communes or summary.registered or summary.rejected_rows or summary.not_in_directory),
        pick=lambda obj, name: pick(obj, name, lang), gap=gap_text, department=department_text,
        registered_status=registered_status)


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
