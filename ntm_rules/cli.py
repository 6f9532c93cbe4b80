"""`ntm-assess`: a thin command line over the library.

    ntm-assess COMMUNE.json [--ruleset ID|PATH] [--format text|json|html] [--lang vi|en]
    ntm-assess batch INPUT... --out DIR [--ruleset ID|PATH] [--registered FILE] [--overwrite]
    ntm-assess template --format csv|xlsx [--ruleset ID|PATH] [--out FILE]
    ntm-assess validate RULESET.yaml...
    ntm-assess rulesets list | show ID [--region R] [--year Y]
    ntm-assess schema input|result

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

import click

from . import render
from .assess import DEFAULT_RULESET, assess
from .inputs.document import input_json_schema, read_document, read_stdin
from .errors import EngineError, InputError, InternalError, NtmError, OutputError, RulesetError, Say, printable
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
        for line in error.problems:
            say(line)
        sys.exit(EXIT_UNUSABLE)
    except (InputError, OutputError) as error:
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


def main(argv: list[str] | None = None) -> None:
    """The `ntm-assess` entry point: every way out is one of the documented exit codes."""
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
@click.option("--ruleset", "-r", metavar="ID|PATH", help=f"Criteria set (default: the document's, else {DEFAULT_RULESET}).")
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
def validate(paths):
    """Load and check ruleset files; print how many thresholds each leaves unconfirmed."""
    failed = False
    for path in paths:
        try:
            ruleset = load_ruleset(path)
        except RulesetError as error:
            failed = True
            for line in error.problems:
                click.echo(line, err=True)
            continue
        total = unconfirmed = 0
        for criterion in ruleset.criteria:
            for indicator in criterion.indicators:
                for check in indicator.all_checks():
                    for entries in check.thresholds.values():
                        for entry in entries if isinstance(entries, list) else [entries]:
                            total += 1
                            unconfirmed += not entry.verified
        click.echo(f"{path}: ok — {ruleset.id}, {len(ruleset.criteria)} criteria, "
                   f"{sum(len(c.indicators) for c in ruleset.criteria)} indicators, "
                   f"{unconfirmed} of {total} threshold values unconfirmed")
    sys.exit(EXIT_UNUSABLE if failed else 0)


@cli.group()
def rulesets():
    """List the shipped criteria sets or show the thresholds one applies."""


@rulesets.command("list")
def rulesets_list():
    """The shipped rulesets."""
    for path in shipped_ruleset_paths():
        try:
            ruleset = load_ruleset(path)
            click.echo(f"{ruleset.id}\t{ruleset.period.from_}–{ruleset.period.to}\t{ruleset.title.vi}")
        except RulesetError as error:
            click.echo(f"{path.stem}\tINVALID: {error.problems[0]}")


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
@click.argument("which", type=click.Choice(["input", "result"]))
def schema(which):
    """Print the JSON Schema of the commune document or of the assessment result."""
    try:
        data = input_json_schema() if which == "input" else Assessment.model_json_schema()
    except NtmError as error:
        fail(str(error))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))



@cli.command(epilog=LIMITS_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Folder for assessments.jsonl, rejected.jsonl and rejected.xlsx, summary.json, summary.html.")
@click.option("--overwrite", is_flag=True, help="Replace the outputs of an earlier run in DIR (refused without it).")
@click.option("--ruleset", "-r", metavar="ID|PATH", help=f"Criteria set (default: the first row's, else {DEFAULT_RULESET}).")
@click.option("--registered", metavar="FILE", help="Communes registered to attain this year (.txt, .csv or .json).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
              help="Language of the summary, the rejected rows and the errors (default from $NTM_LANG, else vi).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores for large batches).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print on standard output: the summary as text or as JSON.")
def batch(inputs, out_dir, overwrite, ruleset, registered, lang, jobs, fmt):
    """Assess many communes and write the provincial summary.

    INPUT is a folder of commune .json files, a .jsonl, .csv or .xlsx file (one commune per
    row; see `ntm-assess template`). Bad rows go to DIR/rejected.xlsx (to correct and send back)
    and DIR/rejected.jsonl, with file, row and fix;
    the rest are assessed. Outputs are written as NAME.partial and renamed when complete;
    summary.json ("complete": true) is written last.

    \b
    Exit codes: 0 every row assessed, 1 some rows rejected, 2 the inputs, the ruleset or
    the output folder could not be used (or DIR holds an earlier run: --overwrite),
    3 internal error, 130 interrupted (the outputs are left incomplete).
    """
    from tqdm import tqdm

    from .batch import run_batch
    from .summary import read_registered

    bar = tqdm(total=None, unit=" xã" if lang == "vi" else " communes", file=sys.stderr,
               disable=not sys.stderr.isatty(), dynamic_ncols=True)
    with exit_on_error(lang):
        try:
            wanted = read_registered(registered) if registered else None
            result = run_batch(inputs, out_dir, ruleset=ruleset, registered=wanted, jobs=jobs, lang=lang,
                               overwrite=overwrite, on_total=lambda total: setattr(bar, "total", total),
                               on_progress=bar.update)
        finally:
            bar.close()
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
