"""The HTTP service: the API other systems call and the pages the coordination office uses.

`create_app(db=..., keys=...)` builds the FastAPI application; `ntm-assess serve` runs it on
uvicorn (run.py, with transport.py's connections). Only this package (and cli.py) chooses HTTP
statuses:

- 200 an assessment or a batch summary (a verdict of "not attained" is still a 200);
- 422 the input could not be used; 404 no such ruleset, batch, page or route;
- 400 a Host this service does not answer to, or a request it cannot read; 401/403 no key, a key
  without the role, another site's form, or not loopback; 408 a body too slow; 413 a body over
  its limit; 503 as many batches running as allowed (Retry-After); 504 past the time limit (the
  work stopped);
- 500 a failure of ntm-rules itself, with a generic message and never a traceback.
Every answer other than 200 is {"error", "field", "fix"} in the language of Accept-Language
(Vietnamese unless English is preferred).

Nothing an answer holds names a file on the server: rulesets are named by id only, uploads are
written into a private folder under names the server chooses, and batch outputs are reached by
the opaque key the server generated.
"""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import history
from ..errors import InputError, Say
from ..limits import MAX_ROW_BYTES
from .answers import GENERIC, ServiceError, SpeakingToCallers, error_json, input_error_body, language, log
from .api import add_api
from .guard import LOOPBACK_NAMES, BodyTooLarge, Guard, OfficeHosts, TooSlow, too_large
from .keys import Keys
from .models import declare_document
from .pages import add_pages
from .progress import add_progress

SEE_DOCS = Say("xem /docs", "see /docs")
HTTP_WORDS = {
    400: (Say("không đọc được yêu cầu", "the request cannot be read"), SEE_DOCS),
    404: (Say("không có đường dẫn này", "no such route"), SEE_DOCS),
    405: (Say("đường dẫn này không nhận phương thức đó", "this route does not take that method"),
          SEE_DOCS),
}
FORM_WORDS = {  # what Starlette's form parser says, in the service's words
    "Too many fields": Say("biểu mẫu có quá nhiều trường", "the form has too many fields"),
    "Too many files": Say("biểu mẫu có quá nhiều tệp", "the form has too many files"),
    "Field exceeded maximum size": Say("một trường của biểu mẫu quá lớn (tối đa 1 MB)",
                                       "a field of the form is too large (at most 1 MB)"),
}
SEND_FIELDS = Say("gửi các trường file, registered, ruleset, lang", "send the fields file, registered, ruleset, lang")


def create_app(db: str | os.PathLike | None = None, keys: Keys | None = None, *, max_upload: int = 50 << 20,
               timeout: float = 600.0, answer_timeout: float = 30.0, body_timeout: float = 30.0,
               batches_at_once: int = 2, jobs: int = 1, allowed_hosts: list[str] | None = None,
               work_dir: str | os.PathLike | None = None) -> FastAPI:
    """The service. `db`: the history database (default `history.default_db_path()`); `keys`: the
    keys other systems send (None: loopback only); `max_upload`: bytes of a batch upload;
    `timeout`: seconds a batch upload may take, `answer_timeout` any other request, `body_timeout`
    a pause while a body arrives; `batches_at_once`: uploads running at once; `jobs`: worker
    processes of a batch; `allowed_hosts`: the Host names it answers to besides loopback's;
    `work_dir`: where batch outputs are kept (default: a folder beside the database)."""
    db_path = Path(db) if db is not None else history.default_db_path()
    history.connect(db_path).close()  # created and migrated now: a bad --db fails at start, not at the first request
    batches_dir = Path(work_dir) if work_dir is not None else db_path.with_name(db_path.stem + "-batches")
    batches_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = FastAPI(title="ntm-rules", version=_version(), docs_url=None, redoc_url=None,
                  description="Does a Vietnamese rural commune meet the new rural area (nông thôn mới) standard? "
                              "Errors are {error, field, fix}, in Vietnamese unless Accept-Language prefers English. "
                              "/v1 keeps its routes and the fields of its answers; within it, fields may be added.")
    app.state.db, app.state.batches, app.state.keys = db_path, batches_dir, keys
    app.state.max_upload, app.state.jobs = max_upload, jobs
    app.add_middleware(Guard, keys=keys, max_upload=max_upload, timeout=timeout, answer_timeout=answer_timeout,
                       body_timeout=body_timeout, batches_at_once=batches_at_once)
    app.add_middleware(SpeakingToCallers)
    app.add_middleware(OfficeHosts, allowed_hosts=[*LOOPBACK_NAMES, *(allowed_hosts or [])])

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
        return error_json(422, message(lang), where, SEE_DOCS(lang))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, error: HTTPException):
        lang = language(request)
        said = next((words for start, words in FORM_WORDS.items() if str(error.detail).startswith(start)), None)
        if said is not None:
            return error_json(400, said(lang), "body", SEND_FIELDS(lang))
        message, fix = HTTP_WORDS.get(error.status_code, HTTP_WORDS[400])
        return error_json(error.status_code, message(lang), "", fix(lang), getattr(error, "headers", None))

    @app.exception_handler(BodyTooLarge)
    async def _too_large_handler(request: Request, error: BodyTooLarge):
        limit = MAX_ROW_BYTES if request.url.path == "/v1/assess" else max_upload
        return JSONResponse(too_large(limit, language(request)), status_code=413)

    @app.exception_handler(Exception)
    async def _internal(request: Request, error: Exception):
        if isinstance(error, (BodyTooLarge, TooSlow)):
            raise error
        log.error("internal error on %s", request.url.path, exc_info=error)
        return error_json(500, GENERIC(language(request)))

    add_docs(app)
    add_api(app)
    declare_document(app)
    add_progress(app)
    add_pages(app)
    return app


def add_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc with their files served from the fastapi-offline package: no
    network needed, nothing fetched from a CDN."""
    import fastapi_offline

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="ntm-rules — API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    def redoc():
        return get_redoc_html(openapi_url="/openapi.json", title="ntm-rules — API",
                              redoc_js_url="/docs-assets/redoc.standalone.js",
                              redoc_favicon_url="/docs-assets/favicon.png", with_google_fonts=False)


def _version() -> str:
    from .. import __version__

    return __version__
