"""`ntm-assess serve`: the HTTP API and the office's pages."""
from __future__ import annotations

import click

from .common import cli, exit_on_error


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (other than loopback: "
              "only with --token-file).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--db", "db", metavar="PATH", help="The history database (default: $NTM_DB, else history.sqlite3 in the "
              "user's data folder); batch outputs are kept in a folder beside it.")
@click.option("--token-file", metavar="FILE", help="A file holding the bearer token other systems must send "
              "(Authorization: Bearer ...); the web pages ask for it once.")
@click.option("--max-upload-mb", type=click.IntRange(1, 2048), default=50, show_default=True,
              help="Largest batch upload.")
@click.option("--timeout", "timeout", type=click.IntRange(1, 86400), default=600, show_default=True,
              help="Seconds a request may take (a batch is stopped past it, nothing stored).")
def serve(host, port, db, token_file, max_upload_mb, timeout):
    """Serve the HTTP API (/v1/..., /docs) and the office's web pages (FastAPI on uvicorn).

    \b
    POST /v1/assess?ruleset=ID   one commune document → the same JSON as --format json
    POST /v1/batch               a workbook, CSV or JSON Lines file (+ registered list) → summary
    GET  /v1/rulesets, /v1/rulesets/{id}, /v1/schema/input?ruleset=ID, /openapi.json, /docs
    GET  /                       the web page: upload, summary, communes, plans, progress
    """
    from ..service.run import serve as run_server

    with exit_on_error():
        run_server(host=host, port=port, db=db, token_file=token_file, max_upload=max_upload_mb << 20,
                   timeout=timeout)
