"""`ntm-assess batch`: many communes, their outputs and the provincial summary (and the history)."""
from __future__ import annotations

import sys

import click

from ..errors import InputError, Say, printable
from ..limits import HELP as LIMITS_HELP
from ..reports.summary_text import summary_text
from .common import EXIT_INTERNAL, EXIT_NOT_ATTAINED, REPORT_TO, cli, exit_on_error, finish, lang_option, say


@cli.command(epilog=LIMITS_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Folder for assessments.jsonl, rejected.jsonl and rejected.xlsx, summary.json, summary.html.")
@click.option("--overwrite", is_flag=True, help="Replace the outputs of an earlier run in DIR (refused without it).")
@click.option("--ruleset", "-r", metavar="ID|PATH", help="Criteria set (default: the one the workbook or first row names, else the set in force for the rows' years: "
                   "their province's own when all are in one province that has one installed, else the national one).")
@click.option("--registered", metavar="FILE", help="Communes registered to attain this year (.txt, .csv or .json).")
@lang_option("Language of the summary, the rejected rows and the errors (default from $NTM_LANG, else vi).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores for large batches).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print on standard output: the summary as text or as JSON.")
@click.option("--full", is_flag=True, help="Write self-contained lines in assessments.jsonl (each as `--format json` "
                                           "prints one commune) instead of compact ones joined with ruleset.json.")
@click.option("--db", "db", is_flag=False, flag_value="", default=None, metavar="[PATH]",
              help="Store the batch in the history database (one transaction: all or nothing); "
                   "--db alone: $NTM_DB, else history.sqlite3 in the user's data folder.")
@click.option("--replace", is_flag=True, help="With --db: when the same input file (the same content) is already stored "
                                              "for the same years and set, replace that batch (refused without it).")
@click.option("--amend", "amend", metavar="KEY", help="With --db: the input is a corrected rejected.xlsx of the stored batch "
                                                      "KEY; its communes join that batch's round (a commune already in it "
                                                      "is replaced). Without it the file is a new batch.")
def batch(inputs, out_dir, overwrite, ruleset, registered, lang, jobs, fmt, full, db, replace, amend):
    """Assess many communes and write the provincial summary.

    INPUT is a folder of commune .json files, a .jsonl, .csv or .xlsx file (one commune per
    row; see `ntm-assess template`). Bad rows go to DIR/rejected.xlsx (to correct and send back)
    and DIR/rejected.jsonl, with file, row and fix;
    the rest are assessed. DIR/assessments.jsonl holds one compact line per commune (what varies:
    statuses, values, gaps; `ntm-assess schema line`), DIR/ruleset.json once what is the same for
    every commune (names, citations, departments); `--full` writes self-contained lines instead.
    Outputs are written as NAME.partial and renamed when complete; summary.json ("complete":
    true) is written last.

    \b
    Exit codes: 0 every row assessed, 1 some rows rejected, 2 the inputs, the ruleset or
    the output folder could not be used (or DIR holds an earlier run: --overwrite),
    3 internal error, 130 interrupted (the outputs are left incomplete).
    With --db, 2 also when the same file is already stored for the same years and set (its
    batch named; --replace replaces it), or when --amend names no stored batch or another set or year.
    """
    from tqdm import tqdm

    from ..batch import run_batch
    from ..inputs.registered import read_registered

    bar = tqdm(total=None, unit=" dòng" if lang == "vi" else " rows", file=sys.stderr,
               disable=not sys.stderr.isatty(), dynamic_ncols=True)
    with exit_on_error(lang):
        if (replace or amend) and db is None:
            raise InputError(Say("--replace và --amend chỉ dùng cùng --db", "--replace and --amend go with --db"),
                             field="--replace" if replace else "--amend",
                             fix=Say("thêm --db [ĐƯỜNG_DẪN]", "add --db [PATH]"))
        if replace and amend:
            raise InputError(Say("chọn một: --replace hoặc --amend", "choose one: --replace or --amend"), field="--amend",
                             fix=Say("--amend KHÓA gộp tệp sửa vào lượt KHÓA; --replace thay lượt cùng nội dung",
                                     "--amend KEY joins a correction to batch KEY; --replace replaces a batch of the "
                                     "same content"))
        conn = None
        if db is not None:  # the history opened, and the batch to amend found, before anything is assessed
            from .. import history

            conn = history.connect(db or None)
            if amend:
                history.batch_to_amend(conn, amend)
        try:
            wanted = read_registered(registered) if registered else None
            result = run_batch(inputs, out_dir, ruleset=ruleset, registered=wanted, jobs=jobs, lang=lang,
                               overwrite=overwrite, full=full, on_total=lambda total: setattr(bar, "total", total),
                               on_progress=bar.update)
        finally:
            bar.close()
        if conn is not None:
            from ..batch import read_assessments

            if amend:
                joined = history.amend_batch(conn, amend, read_assessments(result.out_dir), summary=result.summary)
                stored = Say(f"đã gộp vào lượt {joined['batch']}: thêm {joined['added']} xã, thay {joined['replaced']} xã",
                             f"joined batch {joined['batch']}: {joined['added']} communes added, {joined['replaced']} "
                             "replaced")
            else:
                key = history.store_batch(conn, read_assessments(result.out_dir), summary=result.summary,
                                          replace=replace)
                stored = Say(f"đã lưu vào lịch sử: lượt {key}", f"stored in the history: batch {key}")
    if fmt == "json":
        click.echo(result.summary.model_dump_json(indent=2))
    else:
        click.echo(printable(summary_text(result.summary, lang)), nl=False)
        click.echo(f"→ {', '.join(str(p) for p in result.files.values())}")
    if db is not None:
        click.echo(f"→ {stored(lang)}", err=fmt == "json")
    if result.summary.internal_errors:
        say(f"{result.summary.internal_errors} rows met an internal error (see rejected.xlsx); {REPORT_TO}")
        finish(EXIT_INTERNAL)
    finish(EXIT_NOT_ATTAINED if result.summary.rejected else 0)
