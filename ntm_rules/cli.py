"""`ntm-assess`: a thin command line over the library.

    ntm-assess COMMUNE.json [--ruleset ID|PATH] [--format text|json|html] [--lang vi|en]
    ntm-assess batch INPUT... --out DIR [--ruleset ID|PATH] [--registered FILE] [--overwrite]
    ntm-assess template --format csv|xlsx [--ruleset ID|PATH] [--out FILE]
    ntm-assess validate RULESET.yaml...
    ntm-assess rulesets list | show ID [--region R] [--year Y] | diff A B
    ntm-assess rulesets export ID --out TABLE.xlsx | import TABLE.xlsx --out SET.yaml [--extends ID]
    ntm-assess rulesets template --period 2021-2025|2026-2030 --out TABLE.xlsx
    ntm-assess schema input|result [--ruleset ID]
    ntm-assess history COMMUNE | --province P [--db PATH] [--format text|csv|json]
    ntm-assess serve [--host 127.0.0.1] [--port 8000] [--db PATH] [--keys FILE] [--allowed-host NAME]
    ntm-assess keys add NAME --role read|upload|admin [--province P] --keys FILE | list | remove

Exit codes: 0 attained (batch: every row assessed), 1 not attained (batch: some rows
rejected), 2 the input, ruleset or output folder could not be used, 3 internal error,
130 interrupted. Only this module chooses exit codes.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

import click

from . import render
from .assess import DEFAULT_RULESET, assess
from .inputs.document import input_json_schema
from .inputs.json_text import read_document, read_stdin
from .errors import FRONT, EngineError, InputError, InternalError, NtmError, OutputError, RulesetError, Say, printable
from .limits import HELP as LIMITS_HELP
from .law.load import load_ruleset, shipped_ruleset_paths
from .law.resolve import resolve
from .result import Assessment

EXIT_ATTAINED, EXIT_NOT_ATTAINED, EXIT_UNUSABLE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away
REPORT_TO = "please report it to the ntm-rules maintainers with the command and the input (run again with --debug for details)"
_debug = os.environ.get("NTM_DEBUG") == "1"


def say(message: str) -> None:
    """One line on standard error, nothing in it that a terminal would obey."""
    click.echo(f"ntm-assess: {printable(message, keep_newlines=False)}", err=True)


def fail(message: str, code: int = EXIT_UNUSABLE) -> None:
    say(message)
    sys.exit(code)


@contextmanager
def exit_on_error(lang: str | None = None):
    """Unusable input, ruleset or output: its line(s) on standard error (in the user's language)
    and exit 2; a failure of ntm-rules itself: one line and exit 3. Never a traceback (but with --debug)."""
    try:
        yield
    except RulesetError as error:
        for line in error.lines(lang or os.environ.get("NTM_LANG", "vi")):
            say(line)
        sys.exit(EXIT_UNUSABLE)
    except InputError as error:
        shown = error.lines(lang or os.environ.get("NTM_LANG", "vi"))
        for line in shown[:-1]:
            say(line)
        fail(shown[-1])
    except OutputError as error:
        fail(error.line(lang or os.environ.get("NTM_LANG", "vi")))
    except (EngineError, InternalError) as error:
        if _debug:
            traceback.print_exception(error.__cause__ or error, file=sys.stderr)
        fail(f"{str(error).splitlines()[0]}; {REPORT_TO}", EXIT_INTERNAL)


class DefaultToAssess(click.Group):
    """`ntm-assess commune.json` runs `assess`; subcommand names run their commands."""

    def parse_args(self, ctx, args):
        args = list(args)
        leading = []
        while args and args[0] == "--debug":
            leading.append(args.pop(0))
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["assess"] + args
        return super().parse_args(ctx, leading + args)


@click.group(cls=DefaultToAssess, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=LIMITS_HELP)
@click.version_option(package_name="ntm-rules")
@click.option("--debug", is_flag=True, help="On an internal error, print the traceback.")
def cli(debug):
    """Assess a commune against the new rural area (nông thôn mới) criteria.

    ntm-assess COMMUNE.json prints the report; see `ntm-assess assess --help`.

    \b
    Exit codes: 0 attained (batch: every row assessed), 1 not attained (batch: some
    rows rejected), 2 the input, ruleset or output folder could not be used,
    3 internal error (a bug: please report it), 130 interrupted.
    """
    global _debug
    _debug = _debug or debug


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: a batch stops and says how far it got."""


def _terminate(signum, frame):
    raise Terminated()


# How the command line words what a message asks of the user (see errors.FRONT): its options and commands.
WORDS = {lang: {
    "ruleset": "--ruleset", "ruleset_path": "--ruleset " + path, "out": "--out", "overwrite": "--overwrite",
    "extends": "--extends", "token_file": "--token-file", "host": "--host", "keys": "--keys", "port": "--port",
    "allowed_host": "--allowed-host", "province": "--province", "keys_add": "ntm-assess keys add",
    "keys_list": "ntm-assess keys list", "keys_remove": "ntm-assess keys remove",
    "schema_input": f"ntm-assess schema input --ruleset {key}", "rulesets_list": "ntm-assess rulesets list",
    "template": "ntm-assess template", "period_template": "ntm-assess rulesets template --period {0} --out bang-tieu-chi-{0}.xlsx",
    "rulesets_import": "ntm-assess rulesets import", "rulesets_export": "ntm-assess rulesets export",
    "rulesets_template": "ntm-assess rulesets template", "rerun_batch": "ntm-assess batch ... --overwrite",
    "batch_db": "ntm-assess batch ... --db"} for lang, path, key in (("vi", "ĐƯỜNG_DẪN", "MÃ"), ("en", "PATH", "ID"))}


def main(argv: list[str] | None = None) -> None:
    """The `ntm-assess` entry point: every way out is one of the documented exit codes."""
    FRONT.set(WORDS)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        # not cli.main(): it turns Ctrl-C into a bare Abort and prints an empty line
        with cli.make_context("ntm-assess", list(sys.argv[1:] if argv is None else argv)) as context:
            cli.invoke(context)
        sys.exit(0)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_UNUSABLE)
    except (KeyboardInterrupt, click.exceptions.Abort) as stop:
        say(str(stop) or "interrupted")  # a batch says how far it got
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): nothing more to say, and nowhere to say it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    except SystemExit:
        raise
    except BaseException as error:  # a bug: one line, never a bare traceback
        if _debug:
            traceback.print_exc()
        say(f"internal error ({type(error).__name__}): a bug in ntm-rules, not a problem with the data; {REPORT_TO}")
        sys.exit(EXIT_INTERNAL)


@cli.command("assess", epilog=LIMITS_HELP)
@click.argument("commune", metavar="COMMUNE.json")
@click.option("--ruleset", "-r", metavar="ID|PATH", help="Criteria set (default: the one the document names, else the set in force for its assessment_date "
                   "or year: its province's own when one is installed, else the national one).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="html: a printable, self-contained page.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
              help="Language of the report and of the errors (default from $NTM_LANG, else vi).")
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
        if plan_path:
            from .plan import write_plan
            write_plan(result, plan_path, lang=lang)
        if fmt == "json":
            output = result.model_dump_json(indent=2) + "\n"
        elif fmt == "html":
            from .html_report import assessment_html
            output = assessment_html(result, lang=lang, source=None if commune == "-" else commune)
        else:
            output = printable(render.text_report(result, lang=lang, by_department=by_department,
                                                  source=None if commune == "-" else commune))
    click.echo(output, nl=False)
    sys.exit(EXIT_ATTAINED if result.attained else EXIT_NOT_ATTAINED)


def _refuse_batch_input(path: str) -> None:
    """A spreadsheet or JSON Lines file given to `ntm-assess FILE` is a batch: say so."""
    if path.lower().endswith((".xlsx", ".csv", ".jsonl", ".xls")):
        raise InputError(Say("đây là tệp của nhiều xã, còn `ntm-assess TỆP` đánh giá tài liệu của một xã",
                             "this is a file of many communes, and `ntm-assess FILE` assesses one commune document"),
                         source=path, fix=Say(f"dùng: ntm-assess batch {path} --out THU_MUC_KET_QUA",
                                              f"use: ntm-assess batch {path} --out RESULTS_FOLDER"))


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="RULESET.yaml...")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
              help="Language of the summary lines (problems are written in English, with the key path and the fix).")
def validate(paths, lang):
    """Load and check ruleset files; print how many indicators rest on an unconfirmed threshold."""
    from .law.check import completeness, unconfirmed

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
    sys.exit(EXIT_UNUSABLE if failed else 0)


@cli.group()
def rulesets():
    """The criteria sets: list, show, diff, and their tables (export, import, template)."""


@rulesets.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG")
def rulesets_list(fmt, lang):
    """The installed rulesets (shipped and in NTM_RULESETS_PATH): period, in force, completeness.

    \b
    Columns: id, years assessed, in force from–to, status (final, or draft with how many
    indicators have every value), thresholds not confirmed by a cited page, where it comes from.
    """
    from .law.check import completeness, unconfirmed
    from .law.load import is_shipped

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
    from .law.tables import export

    with exit_on_error():
        click.echo(str(export(load_ruleset(ruleset_id), out_path)))
    click.echo(f"Tiếp theo / next: sửa hoặc điền bảng, rồi / correct or fill it, then: ntm-assess rulesets import "
               f"{out_path} --out THU_MUC/", err=True)


@rulesets.command("import")
@click.argument("table", metavar="TABLE.xlsx")
@click.option("--out", "out_path", metavar="ID.yaml|DIR", help="Where to write the ruleset (default: ./ID.yaml; "
              "a ruleset is found by its file name, so the file is named after the table's id).")
@click.option("--extends", "extends", metavar="ID", help="Write only what differs from this set (a province's own set).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
              help="Language of the errors (default from $NTM_LANG, else vi).")
def rulesets_import(table, out_path, extends, lang):
    """Turn a filled workbook into a validated YAML ruleset.

    Nothing is written unless the set validates; each error names the sheet, the cell (or
    row) and the fix. A set whose status is draft is written and listed, but never assesses.
    To use it, put SET.yaml in a folder named in NTM_RULESETS_PATH.
    """
    from .law.check import completeness, unconfirmed
    from .law.tables import import_workbook

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
    from .law.diff import diff
    from .law.load import find_ruleset_id

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
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG")
def rulesets_diff(first, second, fmt, lang):
    """What differs in law between two rulesets (ids or paths): indicators added and removed,
    thresholds per region or group and year (loosening marked), confirmation, sources and
    departments. Exit 0 when they say the same law, 1 when they differ, 2 when one cannot be read.
    """
    from .law.diff import diff, text

    with exit_on_error(lang):
        result = diff(load_ruleset(first), load_ruleset(second))
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(printable(text(result, lang)), nl=False)
    sys.exit(0 if result.same else EXIT_NOT_ATTAINED)


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
    from .law.tables import draft, export

    with exit_on_error():
        click.echo(str(export(draft(period), out_path)))
    click.echo(f"Tiếp theo / next: điền bảng theo quyết định, rồi / fill it from the decision, then: ntm-assess rulesets "
               f"import {out_path} --out THU_MUC/ (docs/guide-vi.md, docs/guide-en.md)", err=True)


@rulesets.command("show")
@click.argument("ruleset_id", metavar="ID|PATH")
@click.option("--region", default=None, help="Region id (or commune group 1–3); default: the first region.")
@click.option("--year", type=int, default=None, help="Assessment year; default: the last year of the period.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
              help="Language of the report and of the errors (default from $NTM_LANG, else vi).")
def rulesets_show(ruleset_id, region, year, lang):
    """Print the thresholds the engine applies, with citation and confirmed/unconfirmed."""
    with exit_on_error(lang):
        ruleset = load_ruleset(ruleset_id)
        dims = ruleset.applies_to or list(ruleset.dimension_values)
        chosen = [region] if region else dims
        for index, dim in enumerate(chosen):
            if index:
                click.echo("")
            click.echo(render.ruleset_table(resolve(ruleset, dim, year or ruleset.period.to), lang), nl=False)


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
            from .lines import line_model
            data = line_model().model_json_schema()
        else:
            data = Assessment.model_json_schema(mode="serialization")  # the shape every dump writes
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@cli.command(epilog=LIMITS_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Folder for assessments.jsonl, rejected.jsonl and rejected.xlsx, summary.json, summary.html.")
@click.option("--overwrite", is_flag=True, help="Replace the outputs of an earlier run in DIR (refused without it).")
@click.option("--ruleset", "-r", metavar="ID|PATH", help="Criteria set (default: the one the workbook or first row names, else the set in force for the rows' years: "
                   "their province's own when all are in one province that has one installed, else the national one).")
@click.option("--registered", metavar="FILE", help="Communes registered to attain this year (.txt, .csv or .json).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
              help="Language of the summary, the rejected rows and the errors (default from $NTM_LANG, else vi).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores for large batches).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print on standard output: the summary as text or as JSON.")
@click.option("--full", is_flag=True, help="Write self-contained lines in assessments.jsonl (each as `--format json` "
                                           "prints one commune) instead of compact ones joined with ruleset.json.")
@click.option("--db", "db", is_flag=False, flag_value="", default=None, metavar="[PATH]",
              help="Store the batch in the history database (one transaction: all or nothing); "
                   "--db alone: $NTM_DB, else history.sqlite3 in the user's data folder.")
def batch(inputs, out_dir, overwrite, ruleset, registered, lang, jobs, fmt, full, db):
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
    """
    from tqdm import tqdm

    from .batch import run_batch
    from .inputs.registered import read_registered

    bar = tqdm(total=None, unit=" xã" if lang == "vi" else " communes", file=sys.stderr,
               disable=not sys.stderr.isatty(), dynamic_ncols=True)
    with exit_on_error(lang):
        try:
            wanted = read_registered(registered) if registered else None
            result = run_batch(inputs, out_dir, ruleset=ruleset, registered=wanted, jobs=jobs, lang=lang,
                               overwrite=overwrite, full=full, on_total=lambda total: setattr(bar, "total", total),
                               on_progress=bar.update)
        finally:
            bar.close()
        if db is not None:
            from . import history
            from .batch import read_assessments

            history.store_batch(history.connect(db or None), read_assessments(result.out_dir), summary=result.summary)
    if fmt == "json":
        click.echo(result.summary.model_dump_json(indent=2))
    else:
        click.echo(printable(render.summary_text(result.summary, lang)), nl=False)
        click.echo(f"→ {', '.join(str(p) for p in result.files.values())}")
    if result.summary.internal_errors:
        say(f"{result.summary.internal_errors} rows met an internal error (see rejected.xlsx); {REPORT_TO}")
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_NOT_ATTAINED if result.summary.rejected else 0)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("--ruleset", "-r", metavar="ID|PATH", default=DEFAULT_RULESET, show_default=True,
              help="Whose fields the template lists.")
@click.option("--out", "out_path", metavar="FILE", help="Where to write it (default: communes-<ruleset>.<format>).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
              help="Language of the column labels and of the guide.")
def template(fmt, ruleset, out_path, lang):
    """Write an empty spreadsheet for a batch: one column per field, one row per commune.

    The header is each column's label with its field id beneath (both are read back). The
    .xlsx records the ruleset (the batch of the filled file uses it), offers Đạt / Không đạt
    in yes/no columns, accepts 0–100 in percentage columns, and has a guide sheet for every
    column; the .csv has the two header rows.
    """
    from .inputs.template import write_template

    with exit_on_error(lang):
        chosen = load_ruleset(ruleset)
        path = write_template(chosen, out_path or f"communes-{chosen.id}.{fmt}", fmt, lang)
    click.echo(str(path))


@cli.command()
@click.argument("commune", required=False, metavar="COMMUNE")
@click.option("--province", metavar="P", help="Every commune of a province, by department and against the registered list.")
@click.option("--db", "db", metavar="PATH", help="The history database (default: $NTM_DB, else history.sqlite3 in the "
              "user's data folder).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True,
              help="csv: one row per stored assessment (UTF-8 for Excel).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG")
def history(commune, province, db, fmt, lang):
    """What the stored batches say over time.

    \b
    ntm-assess history COMMUNE (a code or a name): criteria met at each assessment and what
    changed since the previous one.
    ntm-assess history --province P: the same for every commune, the average criteria met per
    batch, each department's failing criteria over time, the registered communes against
    their target year.
    Exit codes: 0 printed, 2 no such commune or province in the history (or no history).
    """
    import dataclasses

    from . import history as h

    with exit_on_error(lang):
        if bool(commune) == bool(province):
            raise InputError(Say("ghi một xã (mã hoặc tên) hoặc --province", "give one commune (code or name) or --province"),
                             field="COMMUNE", fix=Say("ví dụ: ntm-assess history 05617, hoặc ntm-assess history --province "
                                                      "'Thái Nguyên'", "e.g. ntm-assess history 05617, or ntm-assess "
                                                      "history --province 'Thái Nguyên'"))
        conn = h.connect(db, create=False)
        if province:
            found = h.province_history(conn, province)
            if found is None:
                known = ", ".join(name for name, _ in h.provinces(conn)) or "—"
                raise InputError(Say(f"lịch sử không có xã nào của tỉnh {province!r}", f"the history holds no commune of "
                                     f"province {province!r}"), field="--province",
                                 fix=Say(f"dùng một tỉnh có trong lịch sử: {known}", f"use a province in the history: {known}"))
            communes = found.communes
        else:
            keys = h.find_communes(conn, commune)
            if not keys:
                raise InputError(Say(f"lịch sử không có xã {commune!r}", f"the history holds no commune {commune!r}"),
                                 field="COMMUNE", fix=Say("ghi mã xã, hoặc tên xã đúng như trong dữ liệu (có dấu)",
                                                          "give the commune code, or its name as in the data (with accents)"))
            communes = [h.commune_history(conn, k) for k in keys]
            if len(communes) > 1 and fmt == "text":
                names = "; ".join(h.place(c, lang) for c in communes)
                raise InputError(Say(f"nhiều xã cùng tên {commune!r}: {names}", f"several communes are named {commune!r}: "
                                     f"{names}"), field="COMMUNE", fix=Say("ghi mã xã", "give the commune code"))
    if fmt == "csv":
        click.echo(h.history_csv(communes), nl=False)
    elif fmt == "json":
        data = dataclasses.asdict(found) if province else [dataclasses.asdict(c) for c in communes]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(printable(h.province_text(found, lang) if province else h.commune_text(communes[0], lang)), nl=False)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (other than loopback: "
              "only with --keys or --token-file).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--db", "db", metavar="PATH", help="The history database (default: $NTM_DB, else history.sqlite3 in the "
              "user's data folder); batch outputs are kept in a folder beside it.")
@click.option("--keys", "keys_file", metavar="FILE", help="The keys other systems and the office send "
              "(Authorization: Bearer KEY; the web pages ask for one once): a file written by `ntm-assess keys add`.")
@click.option("--token-file", metavar="FILE", help="A file holding one token, accepted as one admin key named "
              "\"token\" (kept for compatibility; --keys names who is who).")
@click.option("--allowed-host", "allowed_hosts", metavar="NAME", multiple=True, help="A name the service answers to "
              "(the Host of its address, e.g. ntm.tinh.gov.vn; *.example.org for every sub-domain); repeat for more. "
              "Loopback's names, and the --host address, always.")
@click.option("--max-upload-mb", type=click.IntRange(1, 2048), default=50, show_default=True,
              help="Largest batch upload.")
@click.option("--timeout", "timeout", type=click.IntRange(1, 86400), default=600, show_default=True,
              help="Seconds a batch upload may take (a batch is stopped past it, nothing stored).")
@click.option("--answer-timeout", type=click.IntRange(1, 3600), default=30, show_default=True,
              help="Seconds any other request may take (an answer, a page, the history); its work stops past it.")
@click.option("--batches-at-once", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Batch uploads running at once; the next is answered 503 with Retry-After.")
@click.option("--head-timeout", type=click.IntRange(1, 300), default=10, show_default=True,
              help="Seconds a connection may take to send a request's head.")
@click.option("--connections-per-client", type=click.IntRange(1, 1000), default=64, show_default=True,
              help="Open connections one client address may hold (at the bound, its oldest idle one is closed).")
def serve(host, port, db, keys_file, token_file, allowed_hosts, max_upload_mb, timeout, answer_timeout, batches_at_once,
          head_timeout, connections_per_client):
    """Serve the HTTP API (/v1/..., /docs) and the office's web pages (FastAPI on uvicorn).

    \b
    POST /v1/assess?ruleset=ID   one commune document → the same JSON as --format json
    POST /v1/batch               a workbook, CSV or JSON Lines file (+ registered list) → summary
    GET  /v1/rulesets, /v1/rulesets/{id}, /v1/schema/input?ruleset=ID, /openapi.json, /docs
    GET  /v1/history/province?name=P, /v1/history/commune?q=CODE  (a page at a time)
    GET  /                       the web page: upload, summary, communes, plans, progress
    """
    from .service.run import serve as run_server

    with exit_on_error():
        run_server(host=host, port=port, db=db, keys_file=keys_file, token_file=token_file, allowed_hosts=allowed_hosts,
                   max_upload=max_upload_mb << 20, timeout=timeout, answer_timeout=answer_timeout,
                   batches_at_once=batches_at_once, head_timeout=head_timeout, per_address=connections_per_client)


@cli.group()
def keys():
    """The keys of `ntm-assess serve --keys FILE`: each a name, a role and optionally a province.

    \b
    read    every answer and page, one commune assessed
    upload  read, and batches stored in the history (recorded with the key's name)
    admin   upload, and GET /v1/keys
    A key with --province sees and stores only that province's communes.
    """


@keys.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["read", "upload", "admin"]), required=True)
@click.option("--province", metavar="P", help="Only this province (as the data names it).")
@click.option("--keys", "keys_file", metavar="FILE", required=True, help="The keys file (created when missing).")
def keys_add(name, role, province, keys_file):
    """Add a key and print it once (only its HMAC is kept: it cannot be shown again)."""
    from .service.keys import add_key

    with exit_on_error():
        click.echo(add_key(keys_file, name, role, province))


@keys.command("list")
@click.option("--keys", "keys_file", metavar="FILE", required=True)
def keys_list(keys_file):
    """The keys of a file: names, roles, provinces (never the keys)."""
    from .service.keys import listed

    with exit_on_error():
        for key in listed(keys_file):
            click.echo(printable(f"{key['name']}\t{key['role']}\t{key['province'] or '—'}\t{key['created'] or ''}",
                                 keep_newlines=False))


@keys.command("remove")
@click.argument("name")
@click.option("--keys", "keys_file", metavar="FILE", required=True)
def keys_remove(name, keys_file):
    """Remove a key (a running service keeps it until restarted)."""
    from .service.keys import remove_key

    with exit_on_error():
        remove_key(keys_file, name)
