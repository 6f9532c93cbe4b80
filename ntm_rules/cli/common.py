"""What every command of `ntm-assess` shares: the group, the exit codes, one line on standard
error, how an error of the library becomes its line(s) and exit code, and the `--lang` option.

Commands end with `finish(code)`; only `cli.main` turns it into the process's exit."""
from __future__ import annotations

import os
import sys
import traceback
from contextlib import contextmanager

import click

from ..errors import EngineError, InputError, InternalError, OutputError, RulesetError, printable
from ..limits import HELP as LIMITS_HELP

EXIT_ATTAINED, EXIT_NOT_ATTAINED, EXIT_UNUSABLE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away
REPORT_TO = "please report it to the ntm-rules maintainers with the command and the input (run again with --debug for details)"
DEBUG = {"on": os.environ.get("NTM_DEBUG") == "1"}


def finish(code: int) -> None:
    """End the command with this exit code (`cli.main` exits with it)."""
    raise click.exceptions.Exit(code)


def lang_option(help: str = "Language of the report and of the errors (default from $NTM_LANG, else vi)."):
    return click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, envvar="NTM_LANG",
                        help=help)


def say(message: str) -> None:
    """One line on standard error, nothing in it that a terminal would obey."""
    click.echo(f"ntm-assess: {printable(message, keep_newlines=False)}", err=True)


def fail(message: str, code: int = EXIT_UNUSABLE) -> None:
    say(message)
    finish(code)


@contextmanager
def exit_on_error(lang: str | None = None):
    """Unusable input, ruleset or output: its line(s) on standard error (in the user's language)
    and exit 2; a failure of ntm-rules itself: one line and exit 3. Never a traceback (but with --debug)."""
    try:
        yield
    except RulesetError as error:
        for line in error.lines(lang or os.environ.get("NTM_LANG", "vi")):
            say(line)
        finish(EXIT_UNUSABLE)
    except InputError as error:
        shown = error.lines(lang or os.environ.get("NTM_LANG", "vi"))
        for line in shown[:-1]:
            say(line)
        fail(shown[-1])
    except OutputError as error:
        fail(error.line(lang or os.environ.get("NTM_LANG", "vi")))
    except (EngineError, InternalError) as error:
        if DEBUG["on"]:
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
    DEBUG["on"] = DEBUG["on"] or debug

