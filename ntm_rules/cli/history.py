"""`ntm-assess history`: what the stored batches say over time, for a commune or a province."""
from __future__ import annotations

import json

import click

from ..errors import InputError, Say, printable
from .common import cli, exit_on_error, lang_option


@cli.command()
@click.argument("commune", required=False, metavar="COMMUNE")
@click.option("--province", metavar="P", help="Every commune of a province, by department and against the registered list.")
@click.option("--db", "db", metavar="PATH", help="The history database (default: $NTM_DB, else history.sqlite3 in the "
              "user's data folder).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True,
              help="csv: one row per stored assessment (UTF-8 for Excel).")
@lang_option()
def history(commune, province, db, fmt, lang):
    """What the stored batches say over time.

    \b
    ntm-assess history COMMUNE (a code or a name, official or as written): criteria met at each
    assessment and what changed since the previous one; across the reform of 1 July 2025, the
    commune of today it is part of, or the old communes it was made of.
    ntm-assess history --province P: the same for every commune, the average criteria met per
    batch, each department's failing criteria over time, the registered communes against
    their target year, and which of its old communes are now part of which commune.
    Communes and provinces are shown under their official names, however the rows wrote them.
    Exit codes: 0 printed, 2 no such commune or province in the history (or no history).
    """
    import dataclasses

    from .. import history as h
    from ..reports import progress
    from ..reports.reform import links_text, reform_text

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
            if len(communes) > 1 and fmt == "text" and not _one_across_the_reform(communes):
                names = "; ".join(progress.place(c, lang) for c in communes)
                raise InputError(Say(f"nhiều xã cùng tên {commune!r}: {names}", f"several communes are named {commune!r}: "
                                     f"{names}"), field="COMMUNE", fix=Say("ghi mã xã", "give the commune code"))
    if fmt == "csv":
        click.echo(progress.history_csv(communes), nl=False)
    elif fmt == "json":
        data = dataclasses.asdict(found) if province else [dataclasses.asdict(c) for c in communes]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        text = (progress.province_text(found, lang) + reform_text(found, lang) if province
                else "\n".join(progress.commune_text(c, lang) + links_text(c, lang) for c in communes))
        click.echo(printable(text), nl=False)


def _one_across_the_reform(communes: list) -> bool:
    """Whether the communes a name or code matches are one commune before and after the reform (a
    commune of today that kept an old one's name or code, and that old one): shown one after the other."""
    keys = {c.key for c in communes}
    return all((c.today is not None and c.today.key in keys) or any(b.key in keys for b in c.before) for c in communes)
