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
    ntm-assess report --province P --as-of DATE [--target N --by DATE] [--registered FILE] --out FILE.docx|FILE.html
    ntm-assess serve [--host 127.0.0.1] [--port 8000] [--db PATH] [--keys FILE] [--allowed-host NAME]
    ntm-assess keys add NAME --role read|upload|admin [--province P] --keys FILE | list | remove

Exit codes: 0 attained (batch: every row assessed), 1 not attained (batch: some rows
rejected), 2 the input, ruleset or output folder could not be used, 3 internal error,
130 interrupted. Only `main` here chooses the process's exit code; a command ends with
`common.finish(code)`. One module a group of commands: `one` (assess, validate, schema, template),
`rulesets`, `batch`, `history`, `report`, `serve` (with `keys`); what they share in `common`.
"""
from __future__ import annotations

import os
import signal
import sys
import traceback

import click

from ..errors import FRONT
from . import batch, history, one, report, rulesets, serve  # noqa: F401 (each registers its commands)
from .common import DEBUG, EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_UNUSABLE, REPORT_TO, cli, say


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
    "batch_db": "ntm-assess batch ... --db", "db": "--db", "replace": "ntm-assess batch ... --db --replace",
    "amend": "--amend",
    "plan": "ntm-assess {0} --ruleset {1} --plan {2}" + tail}
    for lang, path, key, tail in (("vi", "ĐƯỜNG_DẪN", "MÃ", ""), ("en", "PATH", "ID", " --lang en"))}


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
        if DEBUG["on"]:
            traceback.print_exc()
        say(f"internal error ({type(error).__name__}): a bug in ntm-rules, not a problem with the data; {REPORT_TO}")
        sys.exit(EXIT_INTERNAL)
