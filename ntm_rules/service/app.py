"""The HTTP service: the API other systems call and the pages the coordination office uses.

`create_app(db=..., token=...)` builds the FastAPI application; `ntm-assess serve` runs it on
uvicorn. Only this package (and cli.py) chooses HTTP statuses:

- 200 an assessment or a batch summary (a verdict of "not attained" is still a 200);
- 422 the input could not be used: {"error", "field", "fix"}, in the language of Accept-Language
  (Vietnamese unless English is preferred); 404 no such ruleset, batch or page;
- 401/403 no token or not loopback; 413 a body over its limit; 504 past the request time limit;
- 500 a failure of ntm-rules itself, with a generic message and never a traceback.

Nothing a request holds names a file on the server: rulesets are named by id only, uploads are
written into a private folder under names the server chooses, and batch outputs are reached by
the opaque key the server generated.
"""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .. import history
from ..errors import InputError, Say
from ..limits import MAX_ROW_BYTES
from .answers import GENERIC, ServiceError, SpeakingToCallers, error_json, input_error_body, language, log
from .api import add_api
from .guard import BodyTooLarge, Guard, TooSlow, too_large
from .pages import add_pages


def create_app(db: str | os.PathLike | None = None, token: str | None = None, *, max_upload: int = 50 << 20,
               timeout: float = 600.0, jobs: int = 1, work_dir: str | os.PathLike | None = None) -> FastAPI:
    """The service. `db`: the history database (default `history.default_db_path()`); `token`: the
    bearer token other systems send (None: loopback only); `max_upload`: bytes of a batch upload;
    `timeout`: seconds a request may take; `jobs`: worker processes of a batch; `work_dir`: where
    batch outputs are kept (default: a folder beside the database)."""
    db_path = Path(db) if db is not None else history.default_db_path()
    history.connect(db_path).close()  # created and migrated now: a bad --db fails at start, not at the first request
    batches_dir = Path(work_dir) if work_dir is not None else db_path.with_name(db_path.stem + "-batches")
    batches_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = FastAPI(title="ntm-rules", version=_version(),
                  description="Does a Vietnamese rural commune meet the new rural area (nông thôn mới) standard? "
                              "Errors are {error, field, fix}, in Vietnamese unless Accept-Language prefers English.")
    app.state.db = db_path
    app.state.batches = batches_dir
    app.state.token = token
    app.state.max_upload = max_upload
    app.state.timeout = timeout
    app.state.jobs = jobs
    app.add_middleware(Guard, token=token, max_upload=max_upload, timeout=timeout)
    app.add_middleware(SpeakingToCallers)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, error: ServiceError):
        lang = language(request)
        return error_json(error.status, error.says(lang), error.field, error.fixes(lang))

    @app.exception_handler(InputError)
    async def _input_error(request: Request, error: InputError):
        return JSONResponse(input_error_body(error, language(request)), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError):
        first = (error.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        lang = language(request)
        message = Say(f"yêu cầu không dùng được: {first.get('msg', '')}", f"the request cannot be used: {first.get('msg', '')}")
        return error_json(422, message(lang), where, Say("xem /docs", "see /docs")(lang))

    @app.exception_handler(BodyTooLarge)
    async def _too_large_handler(request: Request, error: BodyTooLarge):
        limit = MAX_ROW_BYTES if request.url.path == "/v1/assess" else max_upload
        return JSONResponse(too_large(limit), status_code=413)

    @app.exception_handler(Exception)
    async def _internal(request: Request, error: Exception):
        if isinstance(error, (BodyTooLarge, TooSlow)):
            raise error
        log.error("internal error on %s", request.url.path, exc_info=error)
        return error_json(500, GENERIC(language(request)))

    add_api(app)
    add_pages(app)
    return app


def _version() -> str:
    from .. import __version__

    return __version__
