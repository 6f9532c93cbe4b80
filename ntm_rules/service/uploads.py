"""A batch uploaded to the service: saved into a private folder under names the server chooses, run
in a child process (`python -m ntm_rules.service.run job request.json`, killed at the request's
time limit or when its client goes away), stored in the history all or nothing with the name of
the key that stored it; then its outputs, reached by the opaque key the server generated."""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from fastapi import Request, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import history
from ..errors import Say, printable
from ..limits import MAX_TEXT
from ..regions import province_key
from .answers import GENERIC, PAGE_HEADERS, ServiceError, log, ruleset_by_id
from .deadline import CURRENT, PastDeadline, reading, stopping
from .guard import BodyTooLarge

UPLOAD_SUFFIXES = (".xlsx", ".csv", ".jsonl")
REGISTERED_SUFFIXES = (".txt", ".csv", ".json")
OUTPUT_FILES = ("summary.html", "summary.json", "rejected.xlsx", "rejected.jsonl", "assessments.jsonl", "ruleset.json")
BATCH_KEY = re.compile(r"^[0-9a-f]{24}$")


def batch_links(request: Request, key: str) -> dict:
    """The links to a stored batch's outputs and its page."""
    base = str(request.base_url).rstrip("/")
    links = {name: f"{base}/v1/batches/{key}/{name}" for name in OUTPUT_FILES}
    links["page"] = f"{base}/batches/{key}"
    return links


def batch_out(request: Request, key: str) -> Path:
    """The output folder of a stored batch this caller may see, from its key only (never a path
    from the request). A key with a province sees the batches of that province, and its own."""
    app = request.app
    if not BATCH_KEY.match(key):
        raise _no_batch()
    with reading(app.state.db) as conn:
        known = conn.execute("SELECT province_key, stored_by FROM batches WHERE key = ?", (key,)).fetchone()
    caller = getattr(request.state, "key", None)
    out = app.state.batches / key / "out"
    if not known or not (out / "summary.json").is_file():
        raise _no_batch()
    if caller is not None and not (caller.sees(known["province_key"]) or known["stored_by"] == caller.name):
        raise _no_batch()
    return out


def _no_batch() -> ServiceError:
    return ServiceError(404, Say("không có lượt đánh giá này", "no such batch"), "batch")


MEDIA = {".html": "text/html; charset=utf-8", ".json": "application/json", ".jsonl": "application/x-ndjson",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def output_file(request: Request, key: str, name: str) -> Response:
    if name not in OUTPUT_FILES:
        raise ServiceError(404, Say("không có tệp kết quả này", "no such output"), "name",
                           Say(f"một trong {', '.join(OUTPUT_FILES)}", f"one of {', '.join(OUTPUT_FILES)}"))
    path = batch_out(request, key) / name
    suffix = path.suffix
    headers = dict(PAGE_HEADERS) if suffix == ".html" else {}
    if suffix != ".html":
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if name == "ruleset.json":  # the batch writes where the set was read from: a path on the server
        shared = json.loads(path.read_bytes())
        shared.pop("path", None)
        return Response(json.dumps(shared, ensure_ascii=False), media_type=MEDIA[suffix], headers=headers)
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


async def run_upload(request: Request, file: UploadFile, registered: UploadFile | None, ruleset: str | None,
                     lang: str) -> tuple[str, dict]:
    """Run an uploaded batch in a private folder and store it in the history (all or nothing), as
    the caller's key (its name recorded; a key with a province stores only that province's
    communes). Returns the batch key and its summary (as summary.json holds it). A client that goes
    away stops it: the job is killed, nothing is stored."""
    app = request.app
    caller = getattr(request.state, "key", None)
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
    gone = asyncio.ensure_future(_until_gone(request))
    try:
        inputs = work
        upload_name = "upload" + suffix
        digest_size = await _save(file, inputs / upload_name, app.state.max_upload)
        request_file = {"inputs": [upload_name], "registered": None, "ruleset": ruleset or None, "lang": lang,
                        "jobs": app.state.jobs}
        if reg_suffix:
            await _save(registered, inputs / ("registered" + reg_suffix), app.state.max_upload)
            request_file["registered"] = f"registered{reg_suffix}"
        (work / "request.json").write_text(json.dumps(request_file), "utf-8")
        job = asyncio.ensure_future(_run_job(work))
        await asyncio.wait({job, gone}, return_when=asyncio.FIRST_COMPLETED)
        if not job.done():  # the client went away: the job is killed (see _run_job)
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)
            CURRENT.get().cancelled = True
            raise PastDeadline()
        outcome = job.result()
        if not outcome.get("ok"):
            says = Say(outcome["error"]["vi"], outcome["error"]["en"])
            fix = Say(outcome["fix"]["vi"], outcome["fix"]["en"])
            if outcome["kind"] == "output":
                log.error("batch output error: %s", says.en)
                raise ServiceError(500, GENERIC)
            raise ServiceError(422, says, outcome.get("field") or "file", fix)
        summary = outcome["summary"]
        shown = _client_name(file)
        inputs_record = [{"name": shown, "sha256": i.get("sha256"), "bytes": i.get("bytes")}
                         for i in summary.get("inputs", [])] or [{"name": shown, "bytes": digest_size}]
        final = app.state.batches / key
        os.replace(work, final)
        work = final
        try:  # stopped (nothing stored) when the client goes away meanwhile: see deadline.stopping
            await run_in_threadpool(_store, app.state.db, final / "out", summary, key, inputs_record, caller)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
        return key, summary
    finally:
        gone.cancel()
        if work.name.startswith(".upload-"):
            shutil.rmtree(work, ignore_errors=True)


async def _until_gone(request: Request) -> None:
    """Returns when the client goes away (its connection closed)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _store(db: Path, out: Path, summary: dict, key: str, inputs: list[dict], caller) -> None:
    from ..batch import read_assessments

    def assessments():
        for a in read_assessments(out):
            province = a["commune"].get("province")
            if caller is not None and not caller.sees(province_key(province) if province else None):
                raise ServiceError(403, Say(f"khóa này chỉ lưu các xã của {caller.province}; tệp có "
                                            f"{a['commune']['name']} ({province or 'không ghi tỉnh'})",
                                            f"this key stores only communes of {caller.province}; the file holds "
                                            f"{a['commune']['name']} ({province or 'no province'})"), "file",
                                   Say("chỉ tải lên các xã của tỉnh mình", "upload only your province's communes"))
            yield a

    conn = stopping(history.connect(db))
    try:
        history.store_batch(conn, assessments(), summary=summary, key=key, inputs=inputs,
                            stored_by=caller.name if caller is not None else None)
    except history.AlreadyStored as stored:
        raise already_stored(stored.earlier, summary) from None
    finally:
        conn.close()


def already_stored(earlier: list[str], summary: dict) -> ServiceError:
    """The same file (the same content) uploaded again for the same years and set: refused, naming
    the batch it is stored as (never a second round of the same year)."""
    years = ", ".join(str(y) for y in summary.get("years") or []) or "—"
    ruleset = (summary.get("ruleset") or {}).get("id") or "—"
    shown = ", ".join(earlier)
    return ServiceError(409, Say(f"tệp này (cùng nội dung) đã được lưu cho năm {years}, bộ tiêu chí {ruleset}: lượt {shown};"
                                 " không lưu lại lần nữa", f"this file (the same content) is already stored for "
                                 f"{years}, set {ruleset}: batch {shown}; not stored again"), "file",
                        Say(f"xem lượt đã lưu ở /batches/{earlier[-1]}; tệp đã sửa (rejected.xlsx) thì tải lên như một "
                            "lượt mới", f"see the stored batch at /batches/{earlier[-1]}; a corrected file "
                            "(rejected.xlsx) is uploaded as a new batch"))


async def _run_job(work: Path) -> dict:
    """The batch in a child process; killed when this is cancelled (the request's time limit, or
    its client gone)."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ntm_rules.service.run", "job", "request.json", cwd=work, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _, stderr = await process.communicate()
    except BaseException:
        process.kill()
        await asyncio.shield(process.wait())
        raise
    result = work / "result.json"
    if process.returncode != 0 or not result.is_file():
        log.error("batch job failed (exit %s): %s", process.returncode, stderr.decode("utf-8", "replace")[-2000:])
        raise ServiceError(500, GENERIC)
    return json.loads(result.read_text("utf-8"))
