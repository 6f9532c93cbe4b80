"""The province's progress report, written: the figures section of a six-monthly report as a
Word document the office edits and signs (python-docx), and as a printable HTML page.

Both are drawn from one list of blocks (`blocks`): a title, headings, sentences, tables and the
signature block, in Vietnamese by default or English. What they say is `history_report.Report`:
the batch summary's own figures for the round, the target arithmetic and the tables by
department. On paper no command line: a missing target is said in words.
"""
from __future__ import annotations

import io
from collections import Counter
from typing import TYPE_CHECKING, NamedTuple

from ..words.catalogue import WORDS
from ..words.phrases import department_text, gap_text, low, number, one_decimal, shown_date
from .office import Head, office_head
from .summary_text import bracket_label, registered_status
from .templating import environment

if TYPE_CHECKING:
    from ..history_report import IndicatorGap, Report


class Block(NamedTuple):
    kind: str  # letterhead, title, subtitle, heading, para, table, signatures
    text: str = ""
    headers: tuple = ()
    rows: tuple = ()
    id: str = ""
    head: Head | None = None  # letterhead and signatures: the office's (reports/office.py), as every signed page


def _names(names: list[str], lang: str) -> str:
    return ", ".join(names) if names else WORDS[lang]["none"]


def _criteria(ids, report: Report, lang: str) -> str:
    """Criteria by name, as a report writes them inside a sentence ("thu nhập, hộ nghèo")."""
    return ", ".join(low(report.criteria.get(c, (c, c))[1 if lang == "en" else 0]) for c in ids)


def indicator_text(i: IndicatorGap, lang: str, named: bool = True) -> str:
    """"10 Thu nhập: còn thiếu 7,6 triệu đồng/người/năm" (or not met / lacking data); without its
    name ("10: còn thiếu …") where a legend names the indicators."""
    W = WORDS[lang]
    gap = gap_text(i, lang) if i.gap is not None else ""
    said = gap or W["missing" if i.status == "missing" else "not_met"]
    unconfirmed = "" if i.verified else f" [{W['unconfirmed']}]"
    name = f" {i.name_en if lang == 'en' else i.name}" if named else ""
    return f"{i.id}{name}: {said}{unconfirmed}"


def _overall(report: Report, lang: str) -> list[Block]:
    W, s = WORDS[lang], report.summary
    out = [Block("heading", W["report_overall"]),
           Block("para", W["report_attained"].format(attained=s.attained, assessed=s.assessed), id="attained")]
    if report.previous is not None:
        change = report.attained_since
        out.append(Block("para", W["report_since"].format(
            change=f"{change:+d}", before=report.previous_attained, now=s.attained,
            names=_names(report.newly_attained, lang)), id="since"))
        if report.no_longer_attained:
            out.append(Block("para", W["report_no_longer"].format(names=_names(report.no_longer_attained, lang)),
                             id="no-longer"))
    avg = "—" if s.average_criteria_met is None else one_decimal(s.average_criteria_met, lang)
    out.append(Block("para", W["report_average"].format(avg=avg), id="average"))
    out.append(Block("table", W["brackets"], (W["report_band_col"], W["report_count_col"]),
                     tuple((bracket_label(k, lang), str(n)) for k, n in s.brackets.items()), id="bands"))
    if s.under_low_mark:
        out.append(Block("para", W["report_under"].format(n=len(s.under_low_mark), mark=s.low_mark,
                                                          names=", ".join(s.under_low_mark)), id="under"))
    else:
        out.append(Block("para", W["report_none_under"].format(mark=s.low_mark), id="under"))
    if s.unconfirmed_thresholds:
        out.append(Block("para", W["warning_count"].format(n=s.unconfirmed_thresholds), id="unconfirmed"))
    return out


def _target(report: Report, lang: str) -> list[Block]:
    W, t = WORDS[lang], report.target
    out = [Block("heading", W["report_target_h"])]
    if t is None:
        return out + [Block("para", W["report_no_target"], id="target")]
    if t.needed == 0:  # met already: no pace to keep
        return out + [Block("para", W["report_target_met"].format(target=t.communes, by=shown_date(t.by, lang),
                                                                  attained=t.attained), id="target")]
    out.append(Block("para", W["report_target"].format(target=t.communes, by=shown_date(t.by, lang),
                                                       attained=t.attained, needed=t.needed), id="target"))
    verdict = W["report_on_track"] if t.on_track else W["report_behind"].format(short=t.expected - t.attained)
    out.append(Block("para", W["report_pace"].format(start=shown_date(t.start, lang), start_attained=t.start_attained,
                                                     by=shown_date(t.by, lang), on=shown_date(t.on, lang),
                                                     expected=t.expected) + " " + verdict, id="pace"))
    return out


def _registered(report: Report, lang: str) -> list[Block]:
    W = WORDS[lang]
    out = [Block("heading", W["report_registered_h"])]
    if not report.registered:
        return out + [Block("para", W["report_registered_none"], id="registered-sum")]
    attained = sum(1 for line in report.registered if line.entry.attained)
    out.append(Block("para", W["report_registered_sum"].format(attained=attained, n=len(report.registered)),
                     id="registered-sum"))
    failing = Counter(c for line in report.registered if line.entry.found and not line.entry.attained
                      for c in line.entry.failing)
    if failing:
        order = sorted(failing, key=lambda c: (-failing[c], list(report.criteria).index(c) if c in report.criteria else 0))
        said = ", ".join(f"{_criteria([c], report, lang)} ({W['report_n_communes'].format(n=failing[c])})" for c in order)
        out.append(Block("para", W["report_registered_fail"].format(criteria=said), id="registered-fail"))
    rows = []
    for line in report.registered:
        r = line.entry
        if r.found:
            result = f"{W['attained'] if r.attained else W['not_attained']} ({r.criteria_met})"
            if not r.certain:
                result += f", {W['uncertain']}"
            failing_text = "; ".join(part for part in (_criteria(r.failing, report, lang), f"{W['missing']}: "
                                     f"{_criteria(r.missing, report, lang)}" if r.missing else "") if part)
            gaps = "; ".join(indicator_text(i, lang) for i in line.indicators)
        else:
            result, failing_text, gaps = W["report_no_result"], registered_status(r, lang), ""
        rows.append((r.commune, r.district or "", str(line.target_year or ""), result, failing_text, gaps))
    out.append(Block("table", W["registered"], (W["commune"].capitalize(), W["district"].capitalize(),
                                                 W["report_target_year"], W["report_result"], W["report_failing"],
                                                 W["report_gaps"]), tuple(rows), id="registered"))
    return out


def _departments(report: Report, lang: str) -> list[Block]:
    W = WORDS[lang]
    out = [Block("heading", W["report_departments_h"])]
    if not report.departments:
        return out + [Block("para", W["report_no_departments"])]
    for n, d in enumerate(report.departments, 1):
        name = department_text(d.name_en if lang == "en" else d.name, d.verified, lang)
        rows = []
        for row in d.rows:
            shown = row.indicators or [None]
            for i in shown:
                rows.append((row.commune, row.district or "", ", ".join(row.criteria),
                             "" if i is None else f"{i.id} {i.name_en if lang == 'en' else i.name}",
                             "" if i is None else (gap_text(i, lang) if i.gap is not None else W["not_met"])
                             + ("" if i is None or i.verified else f" [{W['unconfirmed']}]"),
                             "" if i is None else W["certain" if i.certain else "uncertain"]))
        out.append(Block("table", W["report_department"].format(name=name, criteria=", ".join(d.criteria),
                                                                n=d.communes),
                         (W["commune"].capitalize(), W["district"].capitalize(), W["report_criteria_col"],
                          W["report_indicator_col"], W["gap"].capitalize(), W["report_certainty_col"]),
                         tuple(rows), id=f"department-{n}"))
    return out


def blocks(report: Report, lang: str = "vi", office: str | None = None) -> list[Block]:
    """The report, block by block (the .docx and the HTML page draw the same blocks); `office`: the
    reporting office's name (default: the province's coordination office)."""
    W, r = WORDS[lang], report.round
    head = office_head([report.province], lang, report.as_of, r.year, office=office)
    out = [Block("letterhead", head=head),
           Block("title", W["report_title"].format(province=head.province)),
           Block("subtitle", W["report_subtitle"].format(day=shown_date(report.as_of, lang))),
           Block("para", W["report_round"].format(year=r.year, day=shown_date(r.assessed_on, lang), ruleset=r.ruleset_id,
                                                  assessed=report.summary.assessed), id="round")]
    p = report.previous
    out.append(Block("para", W["report_previous"].format(year=p.year, day=shown_date(p.assessed_on, lang))
                     if p is not None else W["report_no_previous"], id="previous"))
    out += _overall(report, lang) + _target(report, lang) + _registered(report, lang) + _departments(report, lang)
    out.append(Block("signatures", head=head))  # the signers of every page an office signs
    return out


def report_html(report: Report, lang: str = "vi", office: str | None = None) -> str:
    return environment().get_template("progress_report.html").render(
        blocks=blocks(report, lang, office), W=WORDS[lang], lang=lang, report=report, number=number)


def report_docx(report: Report, lang: str = "vi", office: str | None = None) -> bytes:
    """The report as a Word document (A4, Times New Roman), ready for the office to edit and sign."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(15)
    _docx_page_numbers(section, WORDS[lang]["page_of"])
    for name, size in (("Normal", 12), ("Heading 1", 14), ("Heading 2", 13)):  # as an official document is set
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.color.rgb = "Times New Roman", Pt(size), RGBColor(0, 0, 0)
    for block in blocks(report, lang, office):
        if block.kind == "letterhead":
            _docx_letterhead(doc, block.head)
        elif block.kind == "title":
            para = doc.add_heading(block.text, level=1)
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.kind == "subtitle":
            para = doc.add_paragraph()
            para.add_run(block.text).italic = True
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.kind == "heading":
            doc.add_heading(block.text, level=2)
        elif block.kind == "para":
            doc.add_paragraph(block.text)
        elif block.kind == "table":
            doc.add_paragraph().add_run(block.text).bold = True
            table = doc.add_table(rows=1, cols=len(block.headers))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, block.headers):
                cell.text = ""
                cell.paragraphs[0].add_run(text).bold = True
            for row in block.rows:
                for cell, text in zip(table.add_row().cells, row):
                    cell.text = text
        elif block.kind == "signatures":
            signers = block.head.signers
            table = doc.add_table(rows=1, cols=len(signers))
            for cell, signer in zip(table.rows[0].cells, signers):
                _docx_lines(cell, signer.title, bold=True)
                under = cell.add_paragraph()
                under.add_run(signer.note).italic = True
                under.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for _ in range(4):  # room to sign
                    cell.add_paragraph()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _docx_page_numbers(section, page_of: str) -> None:
    """"Trang 2/5" at the foot of every page, as the printed pages say it (the catalogue's
    `page_of`, its {0} and {1} Word's PAGE and NUMPAGES fields)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, rest = page_of.split("{0}", 1)
    middle, after = rest.split("{1}", 1)
    for text, field in ((before, "PAGE"), (middle, "NUMPAGES"), (after, None)):
        if text:
            foot.add_run(text)
        if field:
            run = foot.add_run()
            for kind, instruction in (("begin", None), (None, field), ("end", None)):
                element = OxmlElement("w:fldChar" if kind else "w:instrText")
                if kind:
                    element.set(qn("w:fldCharType"), kind)
                else:
                    element.set(qn("xml:space"), "preserve")
                    element.text = instruction
                run._r.append(element)


def _docx_lines(cell, lines, bold: bool = False, italic: bool = False) -> None:
    """Lines centred in a table cell (its first, empty paragraph used first)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    cell.text = ""
    for k, line in enumerate(lines):
        para = cell.paragraphs[0] if k == 0 else cell.add_paragraph()
        run = para.add_run(line)
        run.bold, run.italic = bold, italic
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _docx_letterhead(doc, head: Head) -> None:
    """The issuing body on the left, the nation, its motto and the place and date on the right, as
    the HTML page's letterhead (templates/_office.html)."""
    table = doc.add_table(rows=1, cols=2)
    issuer, nation = table.rows[0].cells
    _docx_lines(issuer, head.body, bold=True)
    _docx_lines(nation, head.nation, bold=True)
    when = nation.add_paragraph()
    when.add_run(head.place_date).italic = True
    when.alignment = issuer.paragraphs[0].alignment


def write_report(report: Report, path, lang: str = "vi", office: str | None = None):
    """Write the report to `path` (.docx or .html), whole or not at all; the path written."""
    from pathlib import Path

    from ..errors import OutputError, Say
    from ..files import replace_with

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".docx", ".html"):
        what = suffix or "tệp không đuôi"
        raise OutputError(Say(f"{path}: không ghi được báo cáo dạng {what}; cách sửa: đặt tên tệp .docx hoặc .html",
                              f"{path}: cannot write a report as {suffix or 'a file without extension'}; fix: name the "
                              "file .docx or .html"))
    data = report_docx(report, lang, office) if suffix == ".docx" else report_html(report, lang, office).encode("utf-8")
    return replace_with(path, lambda target: target.write_bytes(data), lambda message, fix: OutputError(
        Say(f"{path}: {message.vi}; cách sửa: {fix.vi}", f"{path}: {message.en}; fix: {fix.en}")))
