"""The history, as the API answers it (/v1/history/...) and as the office's pages show it
(/progress, /progress/commune, /progress.csv): a page at a time, so that what a request holds is
bounded by the page, never by the size of the history; the CSV download is streamed in parts.
A key with a province sees only that province (another is "not found").

The province's page also shows its rounds as pictures (inline SVG: attained against a target,
the average criteria met, the bands; `reports.charts`), links a page per department
(/progress/department: its communes and indicators across the rounds) and offers the progress
report (/progress/report, .docx or printable HTML; `reports.progress_report`). The pictures read
the history's counts of each round (a province of any size costs a few grouped queries); the
department page reads that department's rows alone; the report counts the round's assessments
again with the batch's own summary (`history_report`)."""
from __future__ import annotations

import threading
from datetime import date
from collections import OrderedDict
from math import ceil
from typing import Optional
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
import orjson
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from .. import history
from ..errors import InputError, Say
from ..limits import MAX_TEXT
from ..regions import province_key
from ..reports.charts import progress_charts
from ..reports.progress import change_text, history_csv, place, registered_text
from ..reports.progress_report import indicator_text, report_docx, report_html
from ..history_report import department_round, progress_report, round_bands
from .answers import ServiceError, page_language
from .deadline import check, reading
from .models import CommuneMatches, ProvinceHistory, RegisteredHistory, errors, registered_row
from .pages import ascii_name, pager, provinces, render, sees, with_lang
from .answers import PAGE_HEADERS

API_PAGE, MAX_PAGE, SHOWN = 50, 500, 50  # communes a page: the API's default and most, the pages'
CSV_PART = 200  # communes a part of the streamed CSV


def _seen(request: Request, name: str) -> str:
    """The key of a province this caller may see (404 otherwise)."""
    key = getattr(request.state, "key", None)
    pkey = province_key(name[:MAX_TEXT])
    if not pkey or (key is not None and not key.sees(pkey)):
        raise _missing(name)
    return pkey


def _missing(name: str) -> ServiceError:
    return ServiceError(404, Say(f"lịch sử không có tỉnh {name[:MAX_TEXT]!r}", f"no province {name[:MAX_TEXT]!r} in the "
                                 "history"), "name", Say("xem các tỉnh ở trang /progress", "see the provinces at /progress"))


def _json(answer: dict) -> Response:
    """The answer as JSON, the history's dataclasses written by orjson as they are (the route's
    model declares the shape; tests/test_contract.py checks each answer against it)."""
    return Response(orjson.dumps(answer), media_type="application/json")


def _pages(count: int, limit: int) -> int:
    return max(1, ceil(count / limit))


def _next(request: Request, page: int, pages: int) -> Optional[str]:
    return pager(request, page, pages)["next"]


def _communes(conn, keys: list[str]) -> list:
    found = []
    for key in keys:
        check()
        commune = history.commune_history(conn, key)
        if commune is not None:
            found.append(commune)
    return found


_KEPT: OrderedDict = OrderedDict()  # (what, province key, batches' signature) → its value, most recent last
_KEPT_LOCK = threading.Lock()


def kept(conn, what: str, pkey: str, compute):
    """What `compute()` finds of a province (the order of its communes, its communes across the reform), kept while no batch is stored or amended: the same province asked by many requests at once is counted once (the others
    wait for it), not once each. At most 64 are kept."""
    key = (what, pkey, *conn.execute("SELECT MAX(id), COUNT(*), (SELECT MAX(id) FROM assessments) FROM batches").fetchone())
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
        found = _KEPT[key] = compute()
        while len(_KEPT) > 64:
            _KEPT.popitem(last=False)
        return found


def province_page(conn, pkey: str, page: int, limit: int):
    """(name, rounds, page of communes, pages) of a province, or None."""
    found = history.province_rounds(conn, pkey)
    if found is None:
        return None
    keys = kept(conn, "communes", pkey, lambda: tuple(history.province_commune_keys(conn, pkey)))
    return found[0], found[1], _communes(conn, keys[(page - 1) * limit:][:limit]), _pages(len(keys), limit)


def registered_page(conn, pkey: str, page: int, limit: int):
    """(page of registered communes with their latest assessment, pages)."""
    rows = history.province_registered(conn, pkey)
    pages = _pages(len(rows), limit)
    shown = rows[(min(page, pages) - 1) * limit:][:limit]
    for entry in shown:
        check()
        history.with_latest(entry, history.commune_history(conn, entry.commune) if entry.commune else None)
    return shown, pages


def add_progress(app: FastAPI) -> None:
    db = app.state.db

    @app.get("/v1/history/province", summary="A province's progress: its batches, and a page of its communes",
             response_model=ProvinceHistory, responses=errors(401, 403, 404, 504))
    def history_province(request: Request, name: str = Query(..., max_length=MAX_TEXT),
                         page: int = Query(1, ge=1), limit: int = Query(API_PAGE, ge=1, le=MAX_PAGE)):
        pkey = _seen(request, name)
        with reading(db) as conn:
            found = province_page(conn, pkey, page, limit)
            links = kept(conn, "reform", pkey, lambda: history.province_reform(conn, pkey)) if found else {}
        if found is None:
            raise _missing(name)
        shown, rounds, communes, pages = found
        return _json({"name": shown, "rounds": rounds, "communes": communes, "page": page, "pages": pages,
                      "next": _next(request, page, pages), **links})

    @app.get("/v1/history/province/registered", summary="A page of the communes registered to attain, against their "
             "target year", response_model=RegisteredHistory, responses=errors(401, 403, 404, 504))
    def history_registered(request: Request, name: str = Query(..., max_length=MAX_TEXT),
                           page: int = Query(1, ge=1), limit: int = Query(API_PAGE, ge=1, le=MAX_PAGE)):
        pkey = _seen(request, name)
        with reading(db) as conn:
            found = history.province_rounds(conn, pkey)
            if found is None:
                raise _missing(name)
            shown, pages = registered_page(conn, pkey, page, limit)
        return _json({"name": found[0], "registered": [registered_row(r) for r in shown], "page": page,
                      "pages": pages, "next": _next(request, page, pages)})

    @app.get("/v1/history/commune", summary="The communes a code or name matches, each with its assessments over time",
             response_model=CommuneMatches, responses=errors(401, 403, 504))
    def history_commune(request: Request, q: str = Query(..., max_length=MAX_TEXT),
                        province: Optional[str] = Query(None, max_length=MAX_TEXT),
                        page: int = Query(1, ge=1), limit: int = Query(API_PAGE, ge=1, le=MAX_PAGE)):
        key = getattr(request.state, "key", None)
        if key is not None and key.province is not None:
            if province is not None and province_key(province) != key.province_key:
                return _json({"communes": [], "page": 1, "pages": 1, "next": None})
            province = key.province
        with reading(db) as conn:
            keys = history.find_communes(conn, q, province)
            pages = _pages(len(keys), limit)
            communes = _communes(conn, keys[(page - 1) * limit:][:limit])
        return _json({"communes": communes, "page": page, "pages": pages, "next": _next(request, page, pages)})

    @app.get("/progress", response_class=HTMLResponse, include_in_schema=False)
    def progress(request: Request, province: str = "", page: int = Query(1, ge=1), rpage: int = Query(1, ge=1),
                 target: str = Query("", max_length=12), by: str = Query("", max_length=12)):
        lang = page_language(request)
        with reading(db) as conn:
            if not province:
                return render(request, "progress.html", p=None, provinces=provinces(request, conn))
            try:
                pkey = _seen(request, province)
                found = province_page(conn, pkey, page, SHOWN)
            except ServiceError:
                found = None
            if found is None:
                return render(request, "progress.html", 404, p=None, provinces=provinces(request, conn),
                              missing=province[:MAX_TEXT])
            registered, rpages = registered_page(conn, pkey, rpage, SHOWN)
            links = kept(conn, "reform", pkey, lambda: history.province_reform(conn, pkey))
            bands = kept(conn, "bands", pkey, lambda: round_bands(conn, pkey, found[1]))
        name, rounds, communes, pages = found
        goal, goal_problem = _asked_goal(target, by)
        charts = progress_charts(rounds, bands, lang, goal)
        departments: dict[str, str] = {}
        for r in rounds:
            for d, info in r.departments.items():
                departments.setdefault(d, info["name_en"] if lang == "en" else info["name"])
        return render(request, "progress.html", p=history.Province(name, rounds, communes, registered, **links),
                      departments=departments, change=change_text, registered_text=registered_text,
                      csv_url=with_lang("/progress.csv?" + urlencode({"province": name}), "vi"),
                      commune_url=lambda c: with_lang("/progress/commune?" + urlencode({"key": c.key}), lang),
                      pager=pager(request, page, pages), rpager=pager(request, rpage, rpages, "rpage"),
                      charts=charts, goal=goal, goal_problem=goal_problem,
                      today=date.today().isoformat(),
                      department_url=lambda d: with_lang("/progress/department?" + urlencode(
                          {"province": name, "department": d}), lang))

    @app.get("/progress/report", include_in_schema=False)
    def progress_report_page(request: Request, province: str = "", as_of: str = Query("", max_length=10),
                             format: str = Query("html", pattern="^(html|docx)$"),
                             target: Optional[int] = Query(None, ge=0, le=100_000), by: str = Query("", max_length=10)):
        lang = page_language(request)
        pkey = _seen(request, province)
        day = _day(as_of, "as_of") if as_of else date.today()
        goal = _goal(target, by)
        with reading(db) as conn:
            if history.province_rounds(conn, pkey) is None:
                raise _missing(province)
            try:
                found = progress_report(conn, province, day, target=goal[0] if goal else None,
                                        by=goal[1] if goal else None)
            except InputError as error:
                raise ServiceError(404, Say(error.line("vi"), error.line("en")), "as_of") from None
        if format == "docx":
            name = f"bao-cao-{ascii_name(found.province)}-{day.isoformat()}.docx"
            return Response(report_docx(found, lang), headers={"Content-Disposition": f'attachment; filename="{name}"'},
                            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        return HTMLResponse(report_html(found, lang), headers=PAGE_HEADERS)

    @app.get("/progress/department", response_class=HTMLResponse, include_in_schema=False)
    def progress_department(request: Request, province: str = "", department: str = Query("", max_length=MAX_TEXT)):
        lang = page_language(request)
        try:
            pkey = _seen(request, province)
            with reading(db) as conn:
                found = history.province_rounds(conn, pkey)
                rows = {r.batch: department_round(conn, found[0], pkey, r, department) for r in found[1]} if found else {}
        except ServiceError:
            found = None
        names = [info for r in (found[1] if found else []) for d, info in r.departments.items() if d == department]
        if not names:
            return render(request, "department.html", 404, d=None)
        communes: dict[str, dict] = {}  # by the commune's key: one line a commune however its rows wrote it
        named: dict[str, tuple] = {}  # its (district, name) as the latest round wrote them
        legend: dict[str, str] = {}
        for batch, shown in rows.items():  # oldest first
            for row in shown:
                communes.setdefault(row.key, {})[batch] = row
                named[row.key] = (row.district or "", row.commune)
                legend.update((i.id, i.name_en if lang == "en" else i.name) for i in row.indicators)
        return render(request, "department.html", d=names[-1]["name_en" if lang == "en" else "name"], province=found[0],
                      rounds=found[1], department=department,
                      communes=sorted(((named[k], by_round) for k, by_round in communes.items()), key=lambda c: c[0]),
                      indicator=lambda i, lang: indicator_text(i, lang, named=False),
                      legend=sorted(legend.items(), key=lambda kv: history._order(kv[0])),
                      progress_url=with_lang("/progress?" + urlencode({"province": found[0]}), lang))

    @app.get("/progress.csv", include_in_schema=False)
    def progress_csv(request: Request, province: str = "", key: str = ""):
        with reading(db) as conn:
            if key:
                found = history.commune_history(conn, key[:MAX_TEXT + 10])
                if found is None or not sees(request, found.province):
                    raise ServiceError(404, Say("không tìm thấy", "not found"), "key")
                keys, name, pkey = [found.key], found.name, None
            else:
                pkey = _seen(request, province)
                found = history.province_rounds(conn, pkey)
                if found is None:
                    raise _missing(province)
                keys, name = None, found[0]
        return StreamingResponse(_csv_parts(db, pkey, keys), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="lich-su-{ascii_name(name)}.csv"'})

    @app.get("/progress/commune", response_class=HTMLResponse, include_in_schema=False)
    def progress_commune(request: Request, key: str = ""):
        with reading(db) as conn:
            found = history.commune_history(conn, key[:MAX_TEXT + 10]) if key else None
        if found is None or not sees(request, found.province):
            return render(request, "commune.html", 404, c=None)
        criteria = list(found.entries[-1].criteria)
        for e in found.entries:
            criteria += [k for k in e.criteria if k not in criteria]
        names = {}
        for e in found.entries:
            names.update(e.names)
        return render(request, "commune.html", c=found, criteria=criteria, names=names, change=change_text,
                      place=place, csv_url="/progress.csv?" + urlencode({"key": found.key}))


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ServiceError(400, Say(f"{field}: {text[:MAX_TEXT]!r} không phải là ngày", f"{field}: {text[:MAX_TEXT]!r} is "
                                    "not a date"), field, Say("ghi ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2019-07-16",
                                                              "write the date as YEAR-MONTH-DAY, e.g. 2019-07-16")) from None


def _asked_goal(target: str, by: str) -> tuple[tuple[int, date] | None, bool]:
    """The target the page's form asks for, leniently (a form sends its empty fields): none when
    both are empty; both and usable, the goal; else no goal, and True: the page says what is wrong
    (the catalogue's `goal_problem`)."""
    target, by = target.strip(), by.strip()
    if not target and not by:
        return None, False
    try:
        number = int(target)
        day = date.fromisoformat(by)
    except ValueError:
        return None, True
    return ((number, day), False) if 0 <= number <= 100_000 else (None, True)


def _goal(target: int | None, by: str) -> tuple[int, date] | None:
    """The target (N communes, by a date) the office gives, when it gives both."""
    return (target, _day(by, "by")) if target is not None and by else None


def _csv_parts(db, pkey: str | None, keys: list[str] | None):
    """The history's CSV in parts of CSV_PART communes (each part its own queries): the header once."""
    with reading(db) as conn:
        offset = 0
        while True:
            part = keys if keys is not None else history.province_commune_keys(conn, pkey, offset, CSV_PART)
            text = history_csv(_communes(conn, part))
            yield text if offset == 0 else text.split("\r\n", 1)[1]
            offset += CSV_PART
            if keys is not None or len(part) < CSV_PART:
                return
