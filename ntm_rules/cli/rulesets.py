"""`ntm-assess rulesets`: the criteria sets: list, show, diff, and their tables (export, import, template)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import NtmError, RulesetError, printable
from ..law.load import load_ruleset, shipped_ruleset_paths
from ..law.resolve import resolve
from ..reports.text import ruleset_table
from .common import EXIT_NOT_ATTAINED, cli, exit_on_error, finish, lang_option


@cli.group()
def rulesets():
    """The criteria sets: list, show, diff, and their tables (export, import, template)."""


@rulesets.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@lang_option()
def rulesets_list(fmt, lang):
    """The installed rulesets (shipped and in NTM_RULESETS_PATH): period, in force, completeness.

    \b
    Columns: id, years assessed, in force from–to, status (final, or draft with how many
    indicators have every value), thresholds not confirmed by a cited page, where it comes from.
    """
    from ..law.check import completeness, unconfirmed
    from ..law.load import is_shipped

    rows = []
    for path in shipped_ruleset_paths():
        try:
            ruleset = load_ruleset(path)
        except RulesetError as error:
            rows.append({"id": path.stem, "path": str(path), "origin": "shipped" if is_shipped(path) else "NTM_RULESETS_PATH",
                         "usable": False, "problem": error.problems[0]})
            continue
        done, total = completeness(ruleset)
        in_force = ruleset.in_force
        rows.append({"id": ruleset.id, "path": str(path), "origin": "shipped" if is_shipped(path) else "NTM_RULESETS_PATH",
                     "usable": True, "status": ruleset.status,
                     "level": ruleset.level, "province": ruleset.province,
                     "years": [ruleset.period.from_, ruleset.period.to],
                     "in_force": None if in_force is None else
                     {"from": in_force.from_.isoformat(), "to": in_force.to.isoformat() if in_force.to else None},
                     "indicators_with_values": done, "indicators": total,
                     "unconfirmed_indicators": unconfirmed(ruleset)[0], "title": ruleset.title.vi})
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    vi = lang == "vi"
    click.echo("\t".join(["mã", "năm đánh giá", "hiệu lực", "trạng thái", "ngưỡng chưa xác nhận", "cấp, tỉnh", "nguồn cài",
                          "tên"] if vi else ["id", "years", "in force", "status", "unconfirmed", "level, province",
                                             "installed from", "title"]))
    for row in rows:
        origin = row["origin"] if not vi else ("có sẵn" if row["origin"] == "shipped" else "NTM_RULESETS_PATH")
        if not row["usable"]:
            click.echo(f"{row['id']}\t{'KHÔNG DÙNG ĐƯỢC' if vi else 'UNUSABLE'}: {printable(row['problem'])}")
            continue
        force = row["in_force"]
        if vi:
            force_text = "chưa ghi ngày hiệu lực" if force is None else f"từ {force['from']} đến {force['to'] or 'nay'}"
            status = "hoàn chỉnh" if row["status"] == "final" else \
                f"bản nháp: {row['indicators_with_values']}/{row['indicators']} chỉ tiêu có ngưỡng"
            doubt = f"{row['unconfirmed_indicators']} chỉ tiêu"
        else:
            force_text = "in force: not declared" if force is None else f"in force {force['from']} – {force['to'] or 'now'}"
            status = "final" if row["status"] == "final" else \
                f"draft: {row['indicators_with_values']} of {row['indicators']} indicators have values"
            doubt = f"{row['unconfirmed_indicators']} of {row['indicators']} indicators"
        click.echo(f"{row['id']}\t{row['years'][0]}–{row['years'][1]}\t{force_text}\t{status}\t{doubt}\t{row['level']}"
                   f"{' ' + row['province'] if row['province'] else ''}\t{origin}\t{row['title']}")


@rulesets.command("export")
@click.argument("ruleset_id", metavar="ID|PATH")
@click.option("--out", "out_path", required=True, metavar="FILE.xlsx", help="The workbook to write.")
def rulesets_export(ruleset_id, out_path):
    """Write a ruleset as the decisions print it: a workbook to read, correct or fill.

    One row per indicator with a value column per region or commune group (and per span of
    years where values change), each with its source, confirmed flag, bound and note; sheets
    of sources, departments, groups and fields, and a guide. `rulesets import` reads it back.
    """
    from ..law.tables import export

    with exit_on_error():
        click.echo(str(export(load_ruleset(ruleset_id), out_path)))
    click.echo(f"Tiếp theo / next: sửa hoặc điền bảng, rồi / correct or fill it, then: ntm-assess rulesets import "
               f"{out_path} --out THU_MUC/", err=True)


@rulesets.command("import")
@click.argument("table", metavar="TABLE.xlsx")
@click.option("--out", "out_path", metavar="ID.yaml|DIR", help="Where to write the ruleset (default: ./ID.yaml; "
              "a ruleset is found by its file name, so the file is named after the table's id).")
@click.option("--extends", "extends", metavar="ID", help="Write only what differs from this set (a province's own set).")
@lang_option("Language of the errors (default from $NTM_LANG, else vi).")
def rulesets_import(table, out_path, extends, lang):
    """Turn a filled workbook into a validated YAML ruleset.

    Nothing is written unless the set validates; each error names the sheet, the cell (or
    row) and the fix. A set whose status is draft is written and listed, but never assesses.
    To use it, put SET.yaml in a folder named in NTM_RULESETS_PATH.
    """
    from ..law.check import completeness, unconfirmed
    from ..law.tables import import_workbook

    with exit_on_error(lang):
        ruleset = import_workbook(table, out_path, extends)
    out_path = ruleset.path
    done, total = completeness(ruleset)
    doubtful, _ = unconfirmed(ruleset)
    if lang == "vi":
        state = "hoàn chỉnh" if ruleset.status == "final" else f"bản nháp: {done}/{total} chỉ tiêu có ngưỡng, chưa dùng để đánh giá được"
        click.echo(f"{out_path}: {ruleset.id}, {state}; {doubtful} chỉ tiêu dựa trên ngưỡng chưa xác nhận")
        click.echo(f"Tiếp theo: ntm-assess validate {out_path}; để dùng, đặt thư mục {Path(out_path).parent} vào NTM_RULESETS_PATH",
                   err=True)
    else:
        state = "complete" if ruleset.status == "final" else f"draft: {done} of {total} indicators have values, cannot assess yet"
        click.echo(f"{out_path}: {ruleset.id}, {state}; {doubtful} indicators rest on an unconfirmed threshold")
        click.echo(f"Next: ntm-assess validate {out_path}; to use it, put the folder {Path(out_path).parent} in "
                   "NTM_RULESETS_PATH", err=True)
    _compare_with_installed(ruleset, extends, lang)


def _compare_with_installed(ruleset, extends: str | None, lang: str) -> None:
    """After an import: what the new set changes in the law of the installed set it replaces (the
    same id) or extends, so that the office sees a change before using it."""
    from ..law.diff import diff
    from ..law.load import find_ruleset_id

    try:
        installed = load_ruleset(find_ruleset_id(extends or ruleset.id))
    except NtmError:
        return
    if Path(installed.path).resolve() == Path(ruleset.path).resolve():
        return
    changes = len(diff(installed, ruleset).changes)
    command = f"ntm-assess rulesets diff {installed.id} {ruleset.path}"
    if lang == "vi":
        said = "nói cùng luật" if not changes else f"khác {changes} điểm"
        click.echo(f"So với bộ {installed.id} đã cài: {said} ({command})", err=True)
    else:
        said = "the same law" if not changes else f"{changes} differences"
        click.echo(f"Against the installed {installed.id}: {said} ({command})", err=True)


@rulesets.command("diff")
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@lang_option()
def rulesets_diff(first, second, fmt, lang):
    """What differs in law between two rulesets (ids or paths): indicators added and removed,
    thresholds per region or group and year (loosening marked), confirmation, sources and
    departments. Exit 0 when they say the same law, 1 when they differ, 2 when one cannot be read.
    """
    from ..law.diff import diff, text

    with exit_on_error(lang):
        result = diff(load_ruleset(first), load_ruleset(second))
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(printable(text(result, lang)), nl=False)
    finish(0 if result.same else EXIT_NOT_ATTAINED)


@rulesets.command("template")
@click.option("--period", required=True, type=click.Choice(["2021-2025", "2026-2030"]),
              help="The period whose table to write.")
@click.option("--out", "out_path", required=True, metavar="FILE.xlsx", help="The workbook to write.")
def rulesets_template(period, out_path):
    """Write the workbook of a period the tool does not hold, pre-filled with what is known.

    2021–2025: the 19 criteria and the 7 region columns; 2026–2030: the 10 criteria of
    Decision 51/2025/QĐ-TTg and the 3 commune-group columns. Fill every indicator from the
    decision, then `rulesets import`. Nothing of these periods is shipped as law.
    """
    from ..law.tables import draft, export

    with exit_on_error():
        click.echo(str(export(draft(period), out_path)))
    click.echo(f"Tiếp theo / next: điền bảng theo quyết định, rồi / fill it from the decision, then: ntm-assess rulesets "
               f"import {out_path} --out THU_MUC/ (docs/guide-vi.md, docs/guide-en.md)", err=True)


@rulesets.command("show")
@click.argument("ruleset_id", metavar="ID|PATH")
@click.option("--region", default=None, help="Region id (or commune group 1–3); default: the first region.")
@click.option("--year", type=int, default=None, help="Assessment year; default: the last year of the period.")
@lang_option("Language of the report and of the errors (default from $NTM_LANG, else vi).")
def rulesets_show(ruleset_id, region, year, lang):
    """Print the thresholds the engine applies, with citation and confirmed/unconfirmed."""
    with exit_on_error(lang):
        ruleset = load_ruleset(ruleset_id)
        dims = ruleset.applies_to or list(ruleset.dimension_values)
        chosen = [region] if region else dims
        for index, dim in enumerate(chosen):
            if index:
                click.echo("")
            click.echo(ruleset_table(resolve(ruleset, dim, year or ruleset.period.to), lang), nl=False)
