"""`ntm-assess report`: the figures section of a province's six-monthly progress report, from the history."""
from __future__ import annotations

from datetime import date

import click

from ..errors import InputError, Say, printable
from .common import cli, exit_on_error, lang_option


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(Say(f"{text!r} không phải là ngày", f"{text!r} is not a date"), field=option,
                         fix=Say("ghi ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2019-07-16",
                                 "write the date as YEAR-MONTH-DAY, e.g. 2019-07-16")) from None


@cli.command()
@click.option("--province", required=True, metavar="P", help="The province, as the history names it.")
@click.option("--as-of", "as_of", required=True, metavar="DATE", help="The report's date (YYYY-MM-DD): its figures are "
              "those of the province's latest batch stored on or before it; the previous report's, the batch before.")
@click.option("--target", type=click.IntRange(0, 100_000), metavar="N", help="Communes to have attained by --by.")
@click.option("--by", "by", metavar="DATE", help="The target's date (YYYY-MM-DD).")
@click.option("--registered", metavar="FILE", help="Communes registered to attain (.txt, .csv or .json; default: those "
              "the province's batches registered).")
@click.option("--db", "db", metavar="PATH", help="The history database (default: $NTM_DB, else history.sqlite3 in the "
              "user's data folder).")
@click.option("--out", "out", required=True, metavar="FILE.docx|FILE.html", help="The report: a Word document to edit "
              "and sign, or a printable page.")
@lang_option()
def report(province, as_of, target, by, registered, db, out, lang):
    """The figures of a province's progress report, from the history.

    \b
    Communes attained so far and since the previous report, the average criteria met per
    commune, the communes by criteria met, those under the low mark by name, progress against
    the target (on track: at least as many attained as a straight line from the first batch to
    N communes on --by gives for the batch's date; still needed: N minus those attained), the
    registered communes and the criteria each still fails, and a table per department of its
    communes and the indicators it answers for, with the gap and how sure each is. Every figure
    is the batch summary's own, counted from the stored assessments.
    Exit codes: 0 written, 2 no such province or batch in the history, a bad date or file.
    """
    from .. import history
    from ..inputs.registered import read_registered
    from ..reports.progress_report import write_report
    from ..history_report import progress_report

    with exit_on_error(lang):
        day, until = _day(as_of, "--as-of"), _day(by, "--by")
        if (target is None) != (until is None):
            raise InputError(Say("--target và --by đi cùng nhau", "--target and --by go together"), field="--target",
                             fix=Say("ghi cả số xã (--target) và ngày (--by), hoặc bỏ cả hai",
                                     "give both the communes (--target) and the date (--by), or neither"))
        wanted = read_registered(registered) if registered else None
        found = progress_report(history.connect(db, create=False), province, day, target=target, by=until,
                                registered=wanted)
        written = write_report(found, out, lang)
    click.echo(printable(f"→ {written}"))
