"""One commune and the shapes around it: `assess` (the default command), `validate`, `schema`, `template`."""
from __future__ import annotations

import json
import sys

import click

from ..assess import DEFAULT_RULESET, assess
from ..errors import InputError, RulesetError, Say, printable
from ..inputs.document import input_json_schema
from ..inputs.json_text import read_document, read_stdin
from ..law.load import load_ruleset
from ..limits import HELP as LIMITS_HELP
from ..reports.text import text_report
from ..result import Assessment
from .common import EXIT_ATTAINED, EXIT_NOT_ATTAINED, EXIT_UNUSABLE, cli, exit_on_error, finish, lang_option


@cli.command("assess", epilog=LIMITS_HELP)
@click.argument("commune", metavar="COMMUNE.json")
@click.option("--ruleset", "-r", metavar="ID|PATH", help="Criteria set (default: the one the document names, else the set in force for its assessment_date "
                   "or year: its province's own when one is installed, else the national one).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="html: a printable, self-contained page.")
@lang_option("Language of the report and of the errors (default from $NTM_LANG, else vi).")
@click.option("--by-department", is_flag=True, help="Print only the accountable departments and what each must act on.")
@click.option("--plan", "plan_path", metavar="FILE", help="Write the remediation plan draft (.xlsx, .csv or .html).")
def assess_command(commune, ruleset, fmt, lang, by_department, plan_path):
    """Assess one commune document (`-` reads standard input).

    \b
    Exit codes: 0 attained, 1 not attained (a criterion is not met or lacks data),
    2 the input or the ruleset could not be used, 3 internal error, 130 interrupted.
    """
    with exit_on_error(lang):
        if commune == "-":
            document = read_document("<stdin>", text=read_stdin(sys.stdin))
        else:
            _refuse_batch_input(commune)
            document = read_document(commune)
        result = assess(document, ruleset=ruleset, source="<stdin>" if commune == "-" else commune)
        written = None
        if plan_path:
            from ..reports.plan import write_plan
            written = write_plan(result, plan_path, lang=lang)
        if fmt == "json":
            output = result.model_dump_json(indent=2) + "\n"
        elif fmt == "html":
            from ..reports.html import assessment_html
            output = assessment_html(result, lang=lang, source=None if commune == "-" else commune)
        else:
            output = printable(text_report(result, lang=lang, by_department=by_department,
                                           source=None if commune == "-" else commune))
    click.echo(output, nl=False)
    if written is not None:  # on standard error: standard output stays the report (or its JSON)
        from ..words.catalogue import WORDS

        click.echo(printable("→ " + WORDS[lang]["plan_written"].format(path=written)), err=True)
    finish(EXIT_ATTAINED if result.attained else EXIT_NOT_ATTAINED)


def _refuse_batch_input(path: str) -> None:
    """A spreadsheet or JSON Lines file given to `ntm-assess FILE` is a batch: say so."""
    if path.lower().endswith((".xlsx", ".csv", ".jsonl", ".xls")):
        raise InputError(Say("đây là tệp của nhiều xã, còn `ntm-assess TỆP` đánh giá tài liệu của một xã",
                             "this is a file of many communes, and `ntm-assess FILE` assesses one commune document"),
                         source=path, fix=Say(f"dùng: ntm-assess batch {path} --out THU_MUC_KET_QUA",
                                              f"use: ntm-assess batch {path} --out RESULTS_FOLDER"))

@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="RULESET.yaml...")
@lang_option("Language of the summary lines (problems are written in English, with the key path and the fix).")
def validate(paths, lang):
    """Load and check ruleset files; print how many indicators rest on an unconfirmed threshold."""
    from ..law.check import completeness, unconfirmed

    failed = False
    for path in paths:
        try:
            ruleset = load_ruleset(path)
        except RulesetError as error:
            failed = True
            for line in error.problems:
                click.echo(line, err=True)
            continue
        doubtful, total = unconfirmed(ruleset)
        done, needed = completeness(ruleset)
        if lang == "vi":
            state = "" if ruleset.status == "final" else \
                f", bản nháp ({done}/{needed} chỉ tiêu có ngưỡng; chưa dùng để đánh giá được)"
            click.echo(f"{path}: hợp lệ — {ruleset.id}, {len(ruleset.criteria)} tiêu chí, {total} chỉ tiêu, "
                       f"{doubtful} chỉ tiêu dựa trên ngưỡng chưa xác nhận{state}")
        else:
            state = "" if ruleset.status == "final" else f", draft ({done} of {needed} indicators have values; cannot assess)"
            click.echo(f"{path}: ok — {ruleset.id}, {len(ruleset.criteria)} criteria, {total} indicators, "
                       f"{doubtful} resting on an unconfirmed threshold{state}")
    finish(EXIT_UNUSABLE if failed else 0)

@cli.command()
@click.argument("which", type=click.Choice(["input", "result", "line"]))
@click.option("--ruleset", "-r", metavar="ID|PATH", help="For input: with the fields this ruleset adds.")
def schema(which, ruleset):
    """Print the JSON Schema of the commune document, of the assessment result (`--format json`,
    batch --full lines), or of a batch's compact line (assessments.jsonl, joined with ruleset.json)."""
    with exit_on_error():
        if which == "input":
            data = input_json_schema(load_ruleset(ruleset) if ruleset else None)
        elif which == "line":
            from ..lines import line_model
            data = line_model().model_json_schema()
        else:
            data = Assessment.model_json_schema(mode="serialization")  # the shape every dump writes
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))

@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("--ruleset", "-r", metavar="ID|PATH", default=DEFAULT_RULESET, show_default=True,
              help="Whose fields the template lists.")
@click.option("--out", "out_path", metavar="FILE", help="Where to write it (default: communes-<ruleset>.<format>).")
@lang_option("Language of the column labels and of the guide.")
def template(fmt, ruleset, out_path, lang):
    """Write an empty spreadsheet for a batch: one column per field, one row per commune.

    The header is each column's label with its field id beneath (both are read back). The
    .xlsx records the ruleset (the batch of the filled file uses it), offers Đạt / Không đạt
    in yes/no columns, accepts 0–100 in percentage columns, and has a guide sheet for every
    column; the .csv has the two header rows.
    """
    from ..inputs.template import write_template

    with exit_on_error(lang):
        chosen = load_ruleset(ruleset)
        path = write_template(chosen, out_path or f"communes-{chosen.id}.{fmt}", fmt, lang)
    click.echo(str(path))
