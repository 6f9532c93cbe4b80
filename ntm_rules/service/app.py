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

import asyncio
import hmac
import ipaddress
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import history
from ..errors import InputError, NtmError, OutputError, RulesetError, Say, printable
from ..inputs.document import decode_utf8, input_json_schema, json_object
from ..law.check import is_ruleset_id
from ..law.load import find_ruleset_id, load_ruleset
from ..limits import MAX_ROW_BYTES, MAX_TEXT

log = logging.getLogger("ntm_rules.service")

UPLOAD_SUFFIXES = (".xlsx", ".csv", ".jsonl")
REGISTERED_SUFFIXES = (".txt", ".csv", ".json")
OUTPUT_FILES = ("summary.html", "summary.json", "rejected.xlsx", "rejected.jsonl", "assessments.jsonl", "ruleset.json")
BATCH_KEY = re.compile(r"^[0-9a-f]{24}$")
COOKIE = "ntm_token"
OPEN_PATHS = ("/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/healthz")
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                           "form-action 'self'; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
GENERIC = Say("lỗi nội bộ của ntm-rules, không phải lỗi dữ liệu; hãy báo cho người quản trị",
              "internal error in ntm-rules, not a problem with the data; please tell the administrator")


class ServiceError(Exception):
    """An HTTP answer other than 200, with a message in both languages."""

    def __init__(self, status: int, message: Say, field: str = "", fix: Say | None = None):
        super().__init__(message.en)
        self.status, self.says, self.field, self.fixes = status, message, field, fix or Say("", "")


class BodyTooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


def language(request: Request) -> str:
    """vi or en from Accept-Language (the highest-weighted of the two; Vietnamese by default)."""
    best, best_q = "vi", -1.0
    for part in request.headers.get("accept-language", "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("vi", "en") and q > best_q:
            best, best_q = primary, q
    return best


def page_language(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "vi"


def error_json(status: int, message: str, field: str = "", fix: str = "") -> JSONResponse:
    return JSONResponse({"error": printable(message), "field": printable(field), "fix": printable(fix)}, status_code=status)


def input_error_body(error: InputError, lang: str) -> dict:
    where = f"{error.source}: " if error.source else ""
    # an error of the whole body (not JSON, not an object) names the body
    return {"error": where + error.says(lang), "field": error.field or "body", "fix": error.fixes(lang)}


def ruleset_by_id(ruleset_id: str | None):
    """A ruleset named by a request: an id only (422 otherwise), installed (404 otherwise)."""
    if ruleset_id is None:
        return None
    if not is_ruleset_id(ruleset_id):
        raise ServiceError(422, Say("tham số ruleset phải là mã của một bộ tiêu chí (như vn-2016-2020), không phải đường dẫn",
                                    "the ruleset parameter must be a ruleset id (such as vn-2016-2020), never a path"),
                           "ruleset", Say("xem GET /v1/rulesets", "see GET /v1/rulesets"))
    try:
        path = find_ruleset_id(ruleset_id)
    except RulesetError:
        raise ServiceError(404, Say(f"không có bộ tiêu chí {ruleset_id!r}", f"no ruleset {ruleset_id!r}"), "ruleset",
                           Say("xem các bộ có ở GET /v1/rulesets", "see the installed ones at GET /v1/rulesets")) from None
    return load_ruleset(path)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


class Guard:
    """ASGI middleware: who may call (loopback without a token; the bearer token with one), how big
    a body may be (1 MB for one document, the upload limit otherwise) and how long a request may take."""

    def __init__(self, app, *, token: str | None, max_upload: int, timeout: float):
        self.app, self.token, self.max_upload, self.timeout = app, token, max_upload, timeout

    def _authorised(self, scope) -> bool:
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].strip().encode(), self.token.encode()):
            return True
        for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and hmac.compare_digest(value.encode(), quote(self.token, safe="").encode()):
                return True
        return False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        client = (scope.get("client") or (None,))[0]
        if self.token is None and not _is_loopback(client):
            return await _send_json(send, 403, {"error": "this service answers loopback only (start it with --token-file "
                                                         "to serve other hosts)", "field": "", "fix": ""})
        if self.token is not None and path not in OPEN_PATHS and not self._authorised(scope):
            accepts_html = b"text/html" in dict(scope.get("headers") or []).get(b"accept", b"")
            if scope["method"] == "GET" and accepts_html and not path.startswith("/v1/"):
                target = "/login?next=" + quote(path, safe="/")
                return await _send(send, 303, b"", [(b"location", target.encode())])
            return await _send_json(send, 401, {"error": "missing or wrong bearer token", "field": "Authorization",
                                                "fix": "send Authorization: Bearer <token>"},
                                    [(b"www-authenticate", b"Bearer")])
        limit = MAX_ROW_BYTES if path == "/v1/assess" else self.max_upload + (1 << 20)  # multipart framing
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    if int(value) > limit:
                        return await _send_json(send, 413, _too_large(limit))
                except ValueError:
                    return await _send_json(send, 400, {"error": "bad Content-Length", "field": "", "fix": ""})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        received = 0
        started = overflow = False

        async def limited_receive():
            nonlocal received, overflow
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TooSlow()
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except asyncio.TimeoutError:
                raise TooSlow() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise BodyTooLarge()
            return message

        async def tracked_send(message):
            # a body over the limit is a 413, whatever the framework made of the error (a form
            # parser turns it into a 400)
            nonlocal started
            if overflow:
                if not started:
                    started = True
                    await _send_json(send, 413, _too_large(limit))
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, _too_large(limit))
        except TooSlow:
            if not started:
                await _send_json(send, 408, {"error": "the request took too long to arrive", "field": "", "fix": ""})


def _too_large(limit: int) -> dict:
    return {"error": f"the request body is larger than the limit of {limit >> 20} MB", "field": "",
            "fix": "send a smaller file, or split the batch"}


async def _send(send, status: int, body: bytes, headers: list | None = None, media: bytes = b"text/plain") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())] + (headers or [])})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send, status: int, data: dict, headers: list | None = None) -> None:
    await _send(send, status, json.dumps(data, ensure_ascii=False).encode(), headers, b"application/json")


def _rulesets_list() -> list[dict]:
    from ..law.check import completeness, unconfirmed
    from ..law.in_force import installed
    from ..law.load import is_shipped, shipped_ruleset_paths

    rows = []
    for path in shipped_ruleset_paths():
        origin = "shipped" if is_shipped(path) else "NTM_RULESETS_PATH"
        try:
            ruleset = load_ruleset(path)
        except RulesetError:
            rows.append({"id": path.stem, "origin": origin, "usable": False})
            continue
        done, total = completeness(ruleset)
        force = ruleset.in_force
        rows.append({"id": ruleset.id, "origin": origin, "usable": True, "status": ruleset.status, "level": ruleset.level,
                     "province": ruleset.province, "years": [ruleset.period.from_, ruleset.period.to],
                     "in_force": None if force is None else
                     {"from": force.from_.isoformat(), "to": force.to.isoformat() if force.to else None},
                     "indicators_with_values": done, "indicators": total, "sha256": ruleset.sha256,
                     "unconfirmed_indicators": unconfirmed(ruleset)[0], "title": ruleset.title.vi,
                     "title_en": ruleset.title.en})
    return rows


def create_app(db: str | os.PathLike | None = None, token: str | None = None, *, max_upload: int = 50 << 20,
               timeout: float = 600.0, jobs: int = 1, work_dir: str | os.PathLike | None = None) -> FastAPI:
    """The service. `db`: the history database (default `history.default_db_path()`); `token`: the
    bearer token other systems send (None: loopback only); `max_upload`: bytes of a batch upload;
    `timeout`: seconds a request may take; `jobs`: worker processes of a batch; `work_dir`: where
    batch outputs are kept (default: a folder beside the database)."""
    from . import pages

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
        return JSONResponse(_too_large(limit), status_code=413)

    @app.exception_handler(Exception)
    async def _internal(request: Request, error: Exception):
        if isinstance(error, (BodyTooLarge, TooSlow)):
            raise error
        log.error("internal error on %s", request.url.path, exc_info=error)
        return error_json(500, GENERIC(language(request)))

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True}

    @app.post("/v1/assess", summary="Assess one commune document",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "https://ntm-rules/schema/input", "description": "GET /v1/schema/input"}}}}},
              responses={200: {"description": "The assessment, as `ntm-assess --format json` prints it"},
                         404: {"description": "No such ruleset"}, 413: {"description": "Body over 1 MB"},
                         422: {"description": "The document cannot be used: {error, field, fix}"}})
    async def assess_endpoint(request: Request, ruleset: Optional[str] = Query(None, max_length=MAX_TEXT,
                                                                                  description="A ruleset id")):
        chosen = ruleset_by_id(ruleset)
        body = b""
        async for chunk in request.stream():
            body += chunk
        document = json_object(decode_utf8(body, "body"), "")
        if chosen is None and isinstance(document.get("ruleset"), str) and is_ruleset_id(document["ruleset"]):
            ruleset_by_id(document["ruleset"])  # a document naming a ruleset this server lacks: 404
        from ..assess import assess
        from ..result import dump_json

        try:
            result = await asyncio.wait_for(run_in_threadpool(assess, document, chosen), timeout)
        except asyncio.TimeoutError:
            raise ServiceError(504, Say("đánh giá quá thời gian cho phép", "the assessment took longer than allowed")) from None
        except RulesetError as error:
            log.error("ruleset error: %s", error)
            raise ServiceError(500, GENERIC) from None
        except NtmError as error:
            if isinstance(error, InputError):
                raise
            log.error("internal error: %s", error, exc_info=error.__cause__ or error)
            raise ServiceError(500, GENERIC) from None
        return Response(dump_json(result), media_type="application/json")

    @app.get("/v1/rulesets", summary="The installed rulesets")
    def rulesets_endpoint():
        return _rulesets_list()

    @app.get("/v1/rulesets/{ruleset_id}", summary="One ruleset: criteria, indicators, thresholds, sources")
    def ruleset_endpoint(ruleset_id: str):
        chosen = ruleset_by_id(ruleset_id)
        data = chosen.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["sha256"] = chosen.sha256
        return data

    @app.get("/v1/schema/input", summary="JSON Schema of the commune document")
    def schema_endpoint(ruleset: Optional[str] = Query(None, max_length=MAX_TEXT)):
        return input_json_schema(ruleset_by_id(ruleset))

    @app.post("/v1/batch", summary="Assess a workbook, CSV or JSON Lines file of communes and store it in the history",
              responses={422: {"description": "The file cannot be used: {error, field, fix}"},
                         413: {"description": "Upload over the limit"}})
    async def batch_endpoint(request: Request, file: UploadFile = File(..., description=".xlsx, .csv or .jsonl"),
                             registered: Optional[UploadFile] = File(None, description=".txt, .csv or .json"),
                             ruleset: Optional[str] = Form(None, max_length=MAX_TEXT),
                             lang: Optional[str] = Form(None, pattern="^(vi|en)$")):
        chosen_lang = lang or language(request)
        key, summary = await run_upload(app, file, registered, ruleset, chosen_lang)
        return {"batch": key, "summary": summary, "links": _links(request, key)}

    @app.get("/v1/batches/{key}", summary="A stored batch's summary and the links to its outputs")
    def batch_get(request: Request, key: str):
        out = batch_out(app, key)
        return {"batch": key, "summary": json.loads((out / "summary.json").read_text("utf-8")),
                "links": _links(request, key)}

    @app.get("/v1/batches/{key}/{name}", summary="One output of a stored batch")
    def batch_file(key: str, name: str):
        return output_file(app, key, name)

    @app.get("/v1/history/commune", summary="A commune's assessments over time (by code or name)")
    def history_commune(q: str = Query(..., max_length=MAX_TEXT), province: Optional[str] = Query(None, max_length=MAX_TEXT)):
        import dataclasses

        conn = history.connect(app.state.db)
        try:
            keys = history.find_communes(conn, q, province)
            return [dataclasses.asdict(history.commune_history(conn, k)) for k in keys]
        finally:
            conn.close()

    @app.get("/v1/history/province", summary="A province's progress: averages, departments, communes, registered")
    def history_province(name: str = Query(..., max_length=MAX_TEXT)):
        import dataclasses

        conn = history.connect(app.state.db)
        try:
            found = history.province_history(conn, name)
        finally:
            conn.close()
        if found is None:
            raise ServiceError(404, Say(f"lịch sử không có tỉnh {name!r}", f"no province {name!r} in the history"), "name")
        return dataclasses.asdict(found)

    pages.add_pages(app)
    return app


def _version() -> str:
    from .. import __version__

    return __version__


def _links(request: Request, key: str) -> dict:
    base = str(request.base_url).rstrip("/")
    links = {name: f"{base}/v1/batches/{key}/{name}" for name in OUTPUT_FILES}
    links["page"] = f"{base}/batches/{key}"
    return links


def batch_out(app: FastAPI, key: str) -> Path:
    """The output folder of a stored batch, from its key only (never a path from the request)."""
    if not BATCH_KEY.match(key):
        raise ServiceError(404, Say("không có lượt đánh giá này", "no such batch"), "batch")
    conn = history.connect(app.state.db)
    try:
        known = conn.execute("SELECT 1 FROM batches WHERE key = ?", (key,)).fetchone()
    finally:
        conn.close()
    out = app.state.batches / key / "out"
    if not known or not (out / "summary.json").is_file():
        raise ServiceError(404, Say("không có lượt đánh giá này", "no such batch"), "batch")
    return out


MEDIA = {".html": "text/html; charset=utf-8", ".json": "application/json", ".jsonl": "application/x-ndjson",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def output_file(app: FastAPI, key: str, name: str) -> Response:
    if name not in OUTPUT_FILES:
        raise ServiceError(404, Say("không có tệp kết quả này", "no such output"), "name",
                           Say(f"một trong {', '.join(OUTPUT_FILES)}", f"one of {', '.join(OUTPUT_FILES)}"))
    path = batch_out(app, key) / name
    suffix = path.suffix
    headers = dict(PAGE_HEADERS) if suffix == ".html" else {}
    if suffix != ".html":
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    from fastapi.responses import FileResponse

    return FileResponse(path, media_type=MEDIA[suffix], headers=headers)


def _client_name(upload: UploadFile) -> str:
    name = printable(Path((upload.filename or "").replace("\\", "/")).name, keep_newlines=False)
    return name[:MAX_TEXT]


async def _save(upload: UploadFile, target: Path, limit: int) -> int:
    size = 0
    with open(target, "xb") as handle:
        while True:
            chunk = await upload.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            handle.write(chunk)
    return size


async def run_upload(app: FastAPI, file: UploadFile, registered: UploadFile | None, ruleset: str | None,
                     lang: str) -> tuple[str, dict]:
    """Run an uploaded batch in a private folder and store it in the history (all or nothing).
    Returns the batch key and its summary (as summary.json holds it)."""
    if ruleset:
        ruleset_by_id(ruleset)
    suffix = Path(_client_name(file)).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ServiceError(422, Say(f"không đọc được tệp {suffix or 'không đuôi'} như một lượt đánh giá",
                                    f"a {suffix or 'file without extension'} cannot be read as a batch"), "file",
                           Say("tải lên một tệp .xlsx, .csv hoặc .jsonl (mỗi dòng một xã)",
                               "upload an .xlsx, .csv or .jsonl file (one commune per row)"))
    reg_suffix = None
    if registered is not None and (registered.filename or registered.size):
        reg_suffix = Path(_client_name(registered)).suffix.lower()
        if reg_suffix not in REGISTERED_SUFFIXES:
            raise ServiceError(422, Say("danh sách xã đăng ký phải là tệp .txt, .csv hoặc .json",
                                        "the registered list must be a .txt, .csv or .json file"), "registered",
                               Say("mỗi dòng một tên xã (.txt), hoặc cột name, district, code (.csv)",
                                   "one commune name per line (.txt), or columns name, district, code (.csv)"))
    key = history.new_batch_key()
    work = Path(tempfile.mkdtemp(prefix=".upload-", dir=app.state.batches))  # 0700, a name the server chose
    try:
        inputs = work
        upload_name = "upload" + suffix
        digest_size = await _save(file, inputs / upload_name, app.state.max_upload)
        request = {"inputs": [upload_name], "registered": None, "ruleset": ruleset or None, "lang": lang,
                   "jobs": app.state.jobs}
        if reg_suffix:
            await _save(registered, inputs / ("registered" + reg_suffix), app.state.max_upload)
            request["registered"] = f"registered{reg_suffix}"
        (work / "request.json").write_text(json.dumps(request), "utf-8")
        outcome = await _run_job(work, app.state.timeout)
        if not outcome.get("ok"):
            says = Say(outcome["error"]["vi"], outcome["error"]["en"])
            fix = Say(outcome["fix"]["vi"], outcome["fix"]["en"])
            if outcome["kind"] == "output":
                log.error("batch output error: %s", says.en)
                raise ServiceError(500, GENERIC)
            raise ServiceError(422, says, outcome.get("field") or "file", fix)
        summary = outcome["summary"]
        from ..summary import ProvincialSummary  # noqa: F401  (the shape summary.json holds)

        shown = _client_name(file)
        inputs_record = [{"name": shown, "sha256": i.get("sha256"), "bytes": i.get("bytes")}
                         for i in summary.get("inputs", [])] or [{"name": shown, "bytes": digest_size}]
        final = app.state.batches / key
        os.replace(work, final)
        work = final
        try:
            await run_in_threadpool(_store, app.state.db, final / "out", summary, key, inputs_record)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
        return key, summary
    finally:
        if work.name.startswith(".upload-"):
            shutil.rmtree(work, ignore_errors=True)


def _store(db: Path, out: Path, summary: dict, key: str, inputs: list[dict]) -> None:
    from ..batch import read_assessments

    conn = history.connect(db)
    try:
        history.store_batch(conn, read_assessments(out), summary=summary, key=key, inputs=inputs)
    finally:
        conn.close()


async def _run_job(work: Path, timeout: float) -> dict:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ntm_rules.service.job", "request.json", cwd=work, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except (asyncio.TimeoutError, asyncio.CancelledError) as stop:
        process.kill()
        await process.wait()
        if isinstance(stop, asyncio.CancelledError):
            raise
        raise ServiceError(504, Say("lượt đánh giá quá thời gian cho phép; không lưu gì",
                                    "the batch took longer than allowed; nothing was stored"), "file",
                           Say("chia thành các tệp nhỏ hơn", "split it into smaller files")) from None
    result = work / "result.json"
    if process.returncode != 0 or not result.is_file():
        log.error("batch job failed (exit %s): %s", process.returncode, stderr.decode("utf-8", "replace")[-2000:])
        raise ServiceError(500, GENERIC)
    return json.loads(result.read_text("utf-8"))
