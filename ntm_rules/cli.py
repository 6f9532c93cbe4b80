"""`ntm-assess`: a thin command line over the library.

    ntm-assess COMMUNE.json [--ruleset ID|PATH] [--format text|json] [--lang vi|en]
    ntm-assess validate RULESET.yaml...
    ntm-assess rulesets list | show ID [--region R] [--year Y]
    ntm-assess schema input|result

Exit codes: 0 attained, 1 not attained, 2 the input or ruleset could not be used.
"""
from __future__ import annotations

import json
import sys

import click

from . import render
from .assess import DEFAULT_RULESET, assess
from .commune import input_json_schema, read_document
from .errors import NtmError, RulesetError
from .loader import load_ruleset, shipped_ruleset_paths
from .resolve import resolve
from .result import Assessment

EXIT_ATTAINED, EXIT_NOT_ATTAINED, EXIT_UNUSABLE = 0, 1, 2


def fail(message: str) -> None:
    click.echo(f"ntm-assess: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


class DefaultToAssess(click.Group):
    """`ntm-assess commune.json` runs `assess`; subcommand names run their commands."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["assess"] + list(args)
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToAssess, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ntm-rules")
def main():
    """Assess a commune against the new rural area (nông thôn mới) criteria.

    ntm-assess COMMUNE.json prints the report; see `ntm-assess assess --help`.
    """


@main.command("assess")
@click.argument("commune", metavar="COMMUNE.json")
@click.option("--ruleset", "-r", metavar="ID|PATH", help=f"Criteria set (default: the document's, else {DEFAULT_RULESET}).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--by-department", is_flag=True, help="Print only the accountable departments and what each must act on.")
@click.option("--plan", "plan_path", metavar="FILE", help="Write the remediation plan draft (.xlsx, .csv or .html).")
def assess_command(commune, ruleset, fmt, lang, by_department, plan_path):
    """Assess one commune document (`-` reads standard input)."""
    try:
        if commune == "-":
            document = read_document("<stdin>", text=sys.stdin.buffer.read().decode("utf-8-sig", errors="replace"))
        else:
            document = read_document(commune)
        result = assess(document, ruleset=ruleset, source="<stdin>" if commune == "-" else commune)
        if plan_path:
            from .plan import write_plan
            write_plan(result, plan_path, lang=lang)
    except RulesetError as error:
        for line in error.problems:
            click.echo(f"ntm-assess: {line}", err=True)
        sys.exit(EXIT_UNUSABLE)
    except NtmError as error:
        fail(str(error).splitlines()[0] if str(error) else type(error).__name__)
    if fmt == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(render.text_report(result, lang=lang, by_department=by_department), nl=False)
    sys.exit(EXIT_ATTAINED if result.attained else EXIT_NOT_ATTAINED)


@main.command()
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


@main.group()
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
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
def rulesets_show(ruleset_id, region, year, lang):
    """Print the thresholds the engine applies, with citation and confirmed/unconfirmed."""
    try:
        ruleset = load_ruleset(ruleset_id)
        dims = ruleset.applies_to or list(ruleset.dimension_values)
        chosen = [region] if region else dims
        for index, dim in enumerate(chosen):
            if index:
                click.echo("")
            click.echo(render.ruleset_table(resolve(ruleset, dim, year or ruleset.period.to), lang), nl=False)
    except RulesetError as error:
        for line in error.problems:
            click.echo(f"ntm-assess: {line}", err=True)
        sys.exit(EXIT_UNUSABLE)
    except NtmError as error:
        fail(str(error))


@main.command()
@click.argument("which", type=click.Choice(["input", "result"]))
def schema(which):
    """Print the JSON Schema of the commune document or of the assessment result."""
    try:
        data = input_json_schema() if which == "input" else Assessment.model_json_schema()
    except NtmError as error:
        fail(str(error))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))

