"""The JSON API other systems call (/v1/...): one commune assessed, the installed rulesets, the
input schema, batches uploaded and stored, and the history of a commune or a province."""
from __future__ import annotations

import asyncio
import json
from typing import Optional

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .. import history
from ..errors import InputError, NtmError, RulesetError, Say
from ..inputs.document import input_json_schema
from ..inputs.json_text import decode_utf8, json_object
from ..law.check import is_ruleset_id
from ..law.load import load_ruleset
from ..limits import MAX_TEXT
from .answers import GENERIC, ServiceError, language, log, ruleset_by_id
from .uploads import batch_links, batch_out, output_file, run_upload


def add_api(app: FastAPI) -> None:
    timeout = app.state.timeout

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
        return {"batch": key, "summary": summary, "links": batch_links(request, key)}

    @app.get("/v1/batches/{key}", summary="A stored batch's summary and the links to its outputs")
    def batch_get(request: Request, key: str):
        out = batch_out(app, key)
        return {"batch": key, "summary": json.loads((out / "summary.json").read_text("utf-8")),
                "links": batch_links(request, key)}

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


def _rulesets_list() -> list[dict]:
    from ..law.check import completeness, unconfirmed
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
