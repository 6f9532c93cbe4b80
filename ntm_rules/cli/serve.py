"""`ntm-assess serve`: the HTTP API and the office's pages; `ntm-assess keys`: who may use them."""
from __future__ import annotations

import click

from ..errors import printable
from .common import cli, exit_on_error


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
    from ..service.run import serve as run_server

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
    from ..service.keys import add_key

    with exit_on_error():
        click.echo(add_key(keys_file, name, role, province))


@keys.command("list")
@click.option("--keys", "keys_file", metavar="FILE", required=True)
def keys_list(keys_file):
    """The keys of a file: names, roles, provinces (never the keys)."""
    from ..service.keys import listed

    with exit_on_error():
        for key in listed(keys_file):
            click.echo(printable(f"{key['name']}\t{key['role']}\t{key['province'] or '—'}\t{key['created'] or ''}",
                                 keep_newlines=False))


@keys.command("remove")
@click.argument("name")
@click.option("--keys", "keys_file", metavar="FILE", required=True)
def keys_remove(name, keys_file):
    """Remove a key (a running service keeps it until restarted)."""
    from ..service.keys import remove_key

    with exit_on_error():
        remove_key(keys_file, name)
