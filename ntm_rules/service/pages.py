"""The coordination office's pages: server-rendered HTML, no script, Vietnamese by default (?lang=en).

Upload a workbook (/), see its counts and communes (/batches/KEY), the printable summary, each
commune's printable page and plan workbook, the rejected rows; see the progress of a province or a
commune from the history (/progress). Forms post back to the server; every link is a plain link.
"""
from __future__ import annotations

import hmac
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Optional
from urllib.parse import quote, urlencode

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from .. import history
from ..errors import Say, printable
from ..limits import MAX_TEXT
from ..reports.progress import change_text, history_csv, place, registered_text
from ..words.catalogue import WORDS
from ..words.phrases import cap, one_decimal, shown_date
from .answers import PAGE_HEADERS, ServiceError, page_language
from .guard import COOKIE
from .uploads import batch_out, output_file, run_upload


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, finalize=lambda v: printable(v) if isinstance(v, str) else v)
    env.filters["one_decimal"] = one_decimal
    env.filters["cap"] = cap
    env.filters["day"] = shown_date
    return env


def render(request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
    lang = page_language(request)
    other = dict(request.query_params)
    other["lang"] = "vi" if lang == "en" else "en"
    html = _environment().get_template(template).render(
        W=WORDS[lang], lang=lang, q=_lang_query(lang), other_lang_url=f"{request.url.path}?"
        f"{urlencode(other)}", **values)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _lang_query(lang: str) -> str:
    return "?lang=en" if lang == "en" else ""


def _with_lang(url: str, lang: str) -> str:
    if lang != "en":
        return url
    return url + ("&" if "?" in url else "?") + "lang=en"


def _ascii(name: str) -> str:
    """A download's file name in plain letters (Xã Hóa Thượng → xa-hoa-thuong)."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() and c.isascii() else " " for c in text).split())[:60] or "xa"


def add_pages(app: FastAPI) -> None:
    def connect():
        return history.connect(app.state.db)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request):
        return _index(request)

    def _index(request: Request, error: dict | None = None, status: int = 200):
        from ..law.load import shipped_ruleset_paths

        conn = connect()
        try:
            batches = conn.execute(
                "SELECT b.key, b.assessed_on, b.ruleset_id, b.years, b.assessed, b.rejected, b.inputs,"
                " MAX(a.province) AS province FROM batches b LEFT JOIN assessments a ON a.batch_id = b.id"
                " GROUP BY b.id ORDER BY b.id DESC LIMIT 50").fetchall()
            provinces = history.provinces(conn)
        finally:
            conn.close()
        import json

        rows = [{**dict(b), "years": ", ".join(str(y) for y in json.loads(b["years"])),
                 "file": (json.loads(b["inputs"]) or [{}])[0].get("name", "")} for b in batches]
        return render(request, "index.html", status, batches=rows, provinces=provinces, error=error,
                      rulesets=[p.stem for p in shipped_ruleset_paths()])

    @app.post("/batches", include_in_schema=False)
    async def upload(request: Request, file: UploadFile = File(...), registered: Optional[UploadFile] = File(None),
                     ruleset: Optional[str] = Form(None, max_length=MAX_TEXT)):
        lang = page_language(request)
        try:
            key, _ = await run_upload(app, file, registered, ruleset or None, lang)
        except ServiceError as error:
            if error.status >= 500:
                raise
            return _index(request, {"error": error.says(lang), "fix": error.fixes(lang)}, error.status)
        return RedirectResponse(_with_lang(f"/batches/{key}", lang), status_code=303)

    @app.get("/batches/{key}", response_class=HTMLResponse, include_in_schema=False)
    def batch_page(request: Request, key: str):
        import json

        out = batch_out(app, key)
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        conn = connect()
        try:
            rows = conn.execute("SELECT position, name, district, attained, certain, criteria_met, criteria_total, year,"
                                " province FROM assessments a JOIN batches b ON b.id = a.batch_id WHERE b.key = ?"
                                " ORDER BY position", (key,)).fetchall()
            batch = conn.execute("SELECT * FROM batches WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
        provinces = sorted({r["province"] for r in rows if r["province"]})
        return render(request, "batch.html", key=key, s=summary, communes=rows, batch=batch, provinces=provinces,
                      file=(json.loads(batch["inputs"]) or [{}])[0].get("name", ""))

    @app.get("/batches/{key}/summary", include_in_schema=False)
    def batch_summary(key: str):
        return output_file(app, key, "summary.html")

    @app.get("/batches/{key}/files/{name}", include_in_schema=False)
    def batch_files(key: str, name: str):
        return output_file(app, key, name)

    def _assessment(key: str, position: int):
        from ..batch import read_assessments
        from ..result import Assessment

        out = batch_out(app, key)
        if position >= 0:
            for index, data in enumerate(read_assessments(out)):
                if index == position:
                    return Assessment.model_validate(data)
        raise ServiceError(404, Say("không có xã này trong lượt đánh giá", "no such commune in the batch"), "commune")

    @app.get("/batches/{key}/communes/{position}", response_class=HTMLResponse, include_in_schema=False)
    async def commune_page(request: Request, key: str, position: int):
        from ..reports.html import assessment_html

        assessment = await run_in_threadpool(_assessment, key, position)
        html = assessment_html(assessment, lang=page_language(request))
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @app.get("/batches/{key}/communes/{position}/plan.xlsx", include_in_schema=False)
    async def plan(request: Request, key: str, position: int):
        from ..reports.plan import write_plan

        assessment = await run_in_threadpool(_assessment, key, position)
        with tempfile.TemporaryDirectory(prefix="ntm-plan-") as folder:
            path = Path(folder) / "plan.xlsx"
            await run_in_threadpool(write_plan, assessment, path, page_language(request))
            data = path.read_bytes()
        name = f"ke-hoach-{_ascii(assessment.commune.name)}.xlsx"
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/progress", response_class=HTMLResponse, include_in_schema=False)
    def progress(request: Request, province: str = ""):
        conn = connect()
        try:
            if not province:
                return render(request, "progress.html", p=None, provinces=history.provinces(conn))
            found = history.province_history(conn, province[:MAX_TEXT])
            if found is None:
                return render(request, "progress.html", 404, p=None, provinces=history.provinces(conn),
                              missing=province[:MAX_TEXT])
        finally:
            conn.close()
        departments: dict[str, str] = {}
        lang = page_language(request)
        for r in found.rounds:
            for d, info in r.departments.items():
                departments.setdefault(d, info["name_en"] if lang == "en" else info["name"])
        rounds_by_batch = {r.batch: r for r in found.rounds}
        return render(request, "progress.html", p=found, departments=departments, rounds_by_batch=rounds_by_batch,
                      change=change_text, registered_text=registered_text,
                      csv_url=_with_lang("/progress.csv?" + urlencode({"province": found.name}), "vi"),
                      commune_url=lambda c: _with_lang("/progress/commune?" + urlencode({"key": c.key}), lang))

    @app.get("/progress.csv", include_in_schema=False)
    def progress_csv(province: str = "", key: str = ""):
        conn = connect()
        try:
            if key:
                found = history.commune_history(conn, key[:MAX_TEXT + 10])
                communes = [found] if found else []
                name = found.name if found else ""
            else:
                found = history.province_history(conn, province[:MAX_TEXT])
                communes = found.communes if found else []
                name = found.name if found else ""
        finally:
            conn.close()
        if not communes:
            raise ServiceError(404, _no_commune(), "province")
        return Response(history_csv(communes), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="lich-su-{_ascii(name)}.csv"'})

    @app.get("/progress/commune", response_class=HTMLResponse, include_in_schema=False)
    def progress_commune(request: Request, key: str = ""):
        conn = connect()
        try:
            found = history.commune_history(conn, key[:MAX_TEXT + 10]) if key else None
        finally:
            conn.close()
        if found is None:
            return render(request, "commune.html", 404, c=None)
        criteria = list(found.entries[-1].criteria)
        for e in found.entries:
            criteria += [k for k in e.criteria if k not in criteria]
        names = {}
        for e in found.entries:
            names.update(e.names)
        return render(request, "commune.html", c=found, criteria=criteria, names=names, change=change_text,
                      place=place, csv_url="/progress.csv?" + urlencode({"key": found.key}))

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/"):
        return render(request, "login.html", next=_safe_next(next), wrong=False)

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: str = Form(..., max_length=1000), next: str = Form("/")):
        expected = app.state.token
        if expected is None or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            return render(request, "login.html", 401, next=_safe_next(next), wrong=True)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(COOKIE, quote(expected, safe=""), httponly=True, samesite="strict")
        return response


def _safe_next(target: str) -> str:
    """Only a path on this server (never //host or a scheme)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


def _no_commune():
    return Say("không tìm thấy", "not found")
