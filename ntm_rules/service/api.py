"""The JSON API other systems call (/v1/...): one commune assessed, the installed rulesets, the
input schema, batches uploaded and stored, the keys (the history's routes: progress.py). Each
route declares its answer's model (models.py) and sends the answer as the library writes it."""
from __future__ import annotations

import json
from typing import Optional

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import InputError, NtmError, RulesetError
from ..inputs.document import input_json_schema
from ..inputs.json_text import decode_utf8, json_object
from ..law.check import is_ruleset_id
from ..law.load import load_ruleset
from ..limits import MAX_TEXT
from .answers import GENERIC, ServiceError, language, log, ruleset_by_id
from .deadline import reading
from .models import DOCUMENT, JSON_SCHEMA, Assessment, BatchAnswer, KeyRow, RulesetAnswer, RulesetRow, errors
from .uploads import batch_links, batch_out, output_file, run_upload


def add_api(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True}

    @app.post("/v1/assess", summary="Assess one commune document", response_model=Assessment,
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": DOCUMENT}}}},
              responses={200: {"description": "The assessment, as `ntm-assess --format json` prints it"},
                         **errors(401, 403, 404, 408, 413, 422, 500, 504)})
    async def assess_endpoint(request: Request, ruleset: Optional[str] = Query(None, max_length=MAX_TEXT,
                                                                                  description="A ruleset id")):
        chosen = ruleset_by_id(ruleset)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
        document = json_object(decode_utf8(bytes(body), "body"), "")
        if chosen is None and isinstance(document.get("ruleset"), str) and is_ruleset_id(document["ruleset"]):
            ruleset_by_id(document["ruleset"])  # a document naming a ruleset this server lacks: 404
        from ..assess import assess
        from ..result import dump_json

        try:
            result = await run_in_threadpool(assess, document, chosen)
        except RulesetError as error:
            log.error("ruleset error: %s", error)
            raise ServiceError(500, GENERIC) from None
        except NtmError as error:
            if isinstance(error, InputError):
                raise
            log.error("internal error: %s", error, exc_info=error.__cause__ or error)
            raise ServiceError(500, GENERIC) from None
        return Response(dump_json(result), media_type="application/json")

    @app.get("/v1/rulesets", summary="The installed rulesets", response_model=list[RulesetRow],
             responses=errors(401, 403))
    def rulesets_endpoint():
        return JSONResponse(_rulesets_list())

    @app.get("/v1/rulesets/{ruleset_id}", summary="One ruleset: criteria, indicators, thresholds, sources",
             response_model=RulesetAnswer, responses=errors(401, 403, 404, 422))
    def ruleset_endpoint(ruleset_id: str):
        chosen = ruleset_by_id(ruleset_id)
        data = chosen.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["sha256"] = chosen.sha256
        return JSONResponse(data)

    @app.get("/v1/schema/input", summary="JSON Schema of the commune document",
             responses={200: {"content": {"application/json": {"schema": JSON_SCHEMA}}}, **errors(401, 403, 404, 422)})
    def schema_endpoint(ruleset: Optional[str] = Query(None, max_length=MAX_TEXT)):
        return JSONResponse(input_json_schema(ruleset_by_id(ruleset)))

    @app.post("/v1/batch", summary="Assess a workbook, CSV or JSON Lines file of communes and store it in the history",
              response_model=BatchAnswer, responses=errors(401, 403, 404, 408, 409, 413, 422, 500, 503, 504))
    async def batch_endpoint(request: Request, file: UploadFile = File(..., description=".xlsx, .csv or .jsonl"),
                             registered: Optional[UploadFile] = File(None, description=".txt, .csv or .json"),
                             ruleset: Optional[str] = Form(None, max_length=MAX_TEXT),
                             lang: Optional[str] = Form(None, pattern="^(vi|en)$")):
        chosen_lang = lang or language(request)
        key, summary = await run_upload(request, file, registered, ruleset, chosen_lang)
        caller = request.state.key
        return JSONResponse({"batch": key, "summary": summary, "stored_by": caller.name if caller else None,
                             "links": batch_links(request, key)})

    @app.get("/v1/batches/{key}", summary="A stored batch's summary, who stored it, and the links to its outputs",
             response_model=BatchAnswer, responses=errors(401, 403, 404))
    def batch_get(request: Request, key: str):
        out = batch_out(request, key)
        with reading(app.state.db) as conn:
            stored_by = conn.execute("SELECT stored_by FROM batches WHERE key = ?", (key,)).fetchone()[0]
        return JSONResponse({"batch": key, "summary": json.loads((out / "summary.json").read_text("utf-8")),
                             "stored_by": stored_by, "links": batch_links(request, key)})

    @app.get("/v1/batches/{key}/{name}", summary="One output of a stored batch (a file: HTML, JSON, JSON Lines or "
             "a workbook)", response_class=Response, responses={200: {"content": {"application/octet-stream": {"schema": {
                 "type": "string", "format": "binary"}}}}, **errors(401, 403, 404)})
    def batch_file(request: Request, key: str, name: str):
        return output_file(request, key, name)

    @app.get("/v1/keys", summary="The keys the service accepts: names, roles and provinces (admin)",
             response_model=list[KeyRow], responses=errors(401, 403))
    def keys_endpoint():
        keys = app.state.keys.keys if app.state.keys is not None else []
        return [KeyRow(name=k.name, role=k.role, province=k.province) for k in keys]


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
