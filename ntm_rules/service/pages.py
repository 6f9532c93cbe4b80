"""The coordination office's pages: server-rendered HTML, no script, Vietnamese by default (?lang=en).

Upload a workbook (/), see its counts and communes (/batches/KEY), the printable summary, each
commune's printable page and plan workbook, the rejected rows; see the progress of a province or a
commune from the history (/progress). Forms post back to the server; every link is a plain link.
"""
from __future__ import annotations

import hmac
import json
import secrets
import tempfile
import threading
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Optional
from urllib.parse import quote, urlencode

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from .. import history
from ..errors import Say, printable
from ..limits import MAX_TEXT
from ..regions import province_key
from ..words.catalogue import WORDS
from ..words.phrases import cap, one_decimal, shown_date
from .answers import PAGE_HEADERS, ServiceError, page_language
from .deadline import check, reading
from .guard import COOKIE
from .uploads import batch_out, output_file, run_upload

CSRF = "ntm_csrf"
SHOWN_ROWS = 200  # communes on a page of a batch
MAX_LINE = 16 << 20



@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, finalize=lambda v: printable(v) if isinstance(v, str) else v)
    env.filters["one_decimal"] = one_decimal
    env.filters["cap"] = cap
    env.filters["day"] = shown_date
    return env


def render(request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
    """A page; its forms carry the browser's CSRF token (set as a cookie when it has none)."""
    lang = page_language(request)
    other = dict(request.query_params)
    other["lang"] = "vi" if lang == "en" else "en"
    token = _csrf_cookie(request) or secrets.token_urlsafe(24)
    html = _environment().get_template(template).render(
        W=WORDS[lang], lang=lang, q=_lang_query(lang), other_lang_url=f"{request.url.path}?"
        f"{urlencode(other)}", csrf=token, **values)
    response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
    if _csrf_cookie(request) != token:
        response.set_cookie(CSRF, token, httponly=True, samesite="strict")
    return response


def _csrf_cookie(request: Request) -> str:
    value = request.cookies.get(CSRF, "")
    return value if 20 <= len(value) <= 64 and value.isascii() else ""


def csrf_ok(request: Request, sent: str) -> bool:
    """The form's token is the browser's own (double-submit: another site can neither read nor set
    the cookie, which is SameSite=Strict)."""
    expected = _csrf_cookie(request)
    return bool(expected) and hmac.compare_digest(sent.encode("latin-1", "replace"), expected.encode())


def _lang_query(lang: str) -> str:
    return "?lang=en" if lang == "en" else ""


def with_lang(url: str, lang: str) -> str:
    if lang != "en":
        return url
    return url + ("&" if "?" in url else "?") + "lang=en"


def ascii_name(name: str) -> str:
    """A download's file name in plain letters (Xã Hóa Thượng → xa-hoa-thuong)."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() and c.isascii() else " " for c in text).split())[:60] or "xa"


def add_pages(app: FastAPI) -> None:
    db = app.state.db

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request):
        return _index(request)

    def _index(request: Request, error: dict | None = None, status: int = 200):
        from ..law.load import shipped_ruleset_paths

        caller = request.state.key
        scope = (caller.province_key, caller.name) if caller is not None and caller.province else (None, None)
        with reading(db) as conn:
            batches = conn.execute(
                "SELECT key, assessed_on, ruleset_id, years, assessed, rejected, inputs, stored_by FROM batches"
                " WHERE ?1 IS NULL OR province_key = ?1 OR stored_by = ?2 ORDER BY id DESC LIMIT 50", scope).fetchall()
            seen = provinces(request, conn)
        rows = [{**dict(b), "years": ", ".join(str(y) for y in json.loads(b["years"])),
                 "file": (json.loads(b["inputs"]) or [{}])[0].get("name", "")} for b in batches]
        return render(request, "index.html", status, batches=rows, provinces=seen, error=error,
                      rulesets=[p.stem for p in shipped_ruleset_paths()])

    @app.post("/batches", include_in_schema=False)
    async def upload(request: Request, file: UploadFile = File(...), registered: Optional[UploadFile] = File(None),
                     ruleset: Optional[str] = Form(None, max_length=MAX_TEXT), csrf: str = Form("", max_length=100)):
        lang = page_language(request)
        if not csrf_ok(request, csrf):
            W = WORDS[lang]
            return await run_in_threadpool(_index, request, {"error": W["stale_form"], "fix": W["reload"]}, 403)
        try:
            key, _ = await run_upload(request, file, registered, ruleset or None, lang)
        except ServiceError as error:
            if error.status >= 500:
                raise
            return await run_in_threadpool(_index, request, {"error": error.says(lang), "fix": error.fixes(lang)},
                                           error.status)
        return RedirectResponse(with_lang(f"/batches/{key}", lang), status_code=303)

    @app.get("/batches/{key}", response_class=HTMLResponse, include_in_schema=False)
    def batch_page(request: Request, key: str, page: int = Query(1, ge=1)):
        out = batch_out(request, key)
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        with reading(db) as conn:
            batch = conn.execute("SELECT * FROM batches WHERE key = ?", (key,)).fetchone()
            pages = max(1, -(-batch["assessed"] // SHOWN_ROWS))
            first = (min(page, pages) - 1) * SHOWN_ROWS
            rows = conn.execute("SELECT position, name, district, attained, certain, criteria_met, criteria_total, year"
                                " FROM assessments WHERE batch_id = ? AND position >= ? ORDER BY position LIMIT ?",
                                (batch["id"], first, SHOWN_ROWS)).fetchall()
            provinces = [r[0] for r in conn.execute(  # each once, under its official name, however the rows wrote it
                "SELECT MAX(COALESCE(official_province, province)) FROM assessments WHERE batch_id = ?"
                " AND province_key != '' GROUP BY province_key ORDER BY 1 LIMIT 20", (batch["id"],))]
        return render(request, "batch.html", key=key, s=summary, communes=rows, batch=batch, provinces=provinces,
                      file=(json.loads(batch["inputs"]) or [{}])[0].get("name", ""), pager=pager(request, page, pages))

    @app.get("/batches/{key}/summary", include_in_schema=False)
    def batch_summary(request: Request, key: str):
        return output_file(request, key, "summary.html")

    @app.get("/batches/{key}/files/{name}", include_in_schema=False)
    def batch_files(request: Request, key: str, name: str):
        return output_file(request, key, name)

    @app.get("/batches/{key}/communes/{position}", response_class=HTMLResponse, include_in_schema=False)
    def commune_page(request: Request, key: str, position: int):
        from ..reports.html import assessment_html

        html = assessment_html(one_assessment(request, key, position), lang=page_language(request))
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @app.get("/batches/{key}/communes/{position}/plan.xlsx", include_in_schema=False)
    def plan(request: Request, key: str, position: int):
        from ..reports.plan import write_plan

        assessment = one_assessment(request, key, position)
        with tempfile.TemporaryDirectory(prefix="ntm-plan-") as folder:
            path = Path(folder) / "plan.xlsx"
            write_plan(assessment, path, page_language(request))
            data = path.read_bytes()
        name = f"ke-hoach-{ascii_name(assessment.commune.name)}.xlsx"
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/"):
        return render(request, "login.html", next=_safe_next(next), wrong=False)

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: str = Form(..., max_length=1000), next: str = Form("/", max_length=1000),
              csrf: str = Form("", max_length=100)):
        keys = app.state.keys
        if keys is None or not csrf_ok(request, csrf) or keys.find(token.strip()) is None:
            return render(request, "login.html", 401, next=_safe_next(next), wrong=True)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(COOKIE, quote(token.strip(), safe=""), httponly=True, samesite="strict")
        return response


def pager(request: Request, page: int, pages: int, name: str = "page") -> dict:
    """The links of a paged page: this page (from 1) of how many, the previous and the next."""
    def at(number: int) -> str:
        return str(request.url.include_query_params(**{name: number}))

    return {"page": min(page, pages), "pages": pages, "previous": at(page - 1) if page > 1 else None,
            "next": at(page + 1) if page < pages else None}


def sees(request: Request, province: str | None) -> bool:
    """Whether the caller's key sees a province (by name); every key without a province does."""
    key = getattr(request.state, "key", None)
    return key is None or key.sees(province_key(province) if province else None)


def provinces(request: Request, conn) -> list[tuple[str, int]]:
    """The provinces of the history this caller may see, with how many communes each."""
    return [(name, count) for name, count in history.provinces(conn) if sees(request, name)]


def one_assessment(request: Request, key: str, position: int):
    """One commune of a stored batch, read without reading the ones before it: its line is found by
    the batch's index of line starts, and read through `batch.read_assessments` (the one reader of
    the file's shape) from a folder holding that line and the batch's ruleset.json."""
    from ..batch import read_assessments
    from ..result import Assessment

    out = batch_out(request, key)
    results = out / "assessments.jsonl"
    info = results.stat()
    with _STARTS_LOCK:  # many pages of one new batch at once: its index is made once, not once each
        starts = _line_starts(str(results), info.st_size, info.st_mtime_ns)
    if not 0 <= position < len(starts):
        raise ServiceError(404, Say("không có xã này trong lượt đánh giá", "no such commune in the batch"), "commune")
    with open(results, "rb") as handle, tempfile.TemporaryDirectory(prefix="ntm-line-") as view:
        handle.seek(starts[position])
        Path(view, "assessments.jsonl").write_bytes(handle.readline(MAX_LINE))
        Path(view, "ruleset.json").symlink_to(out / "ruleset.json")
        return Assessment.model_validate(next(read_assessments(view)))


_STARTS_LOCK = threading.Lock()


@lru_cache(maxsize=16)
def _line_starts(path: str, size: int, mtime: int) -> array:
    """Where each result line of a batch starts (blank lines skipped, as read_assessments does)."""
    starts, position = array("q"), 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle):
            if number % 2000 == 0:
                check()
            if line.strip():
                starts.append(position)
            position += len(line)
    return starts


def _safe_next(target: str) -> str:
    """Only a path on this server (never //host or a scheme)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]
