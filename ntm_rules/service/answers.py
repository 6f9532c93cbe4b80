"""How the service answers: an HTTP error in both languages, the language a request prefers, the
headers of a page, and a ruleset named by a request (by id only)."""
from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse

from ..errors import FRONT, InputError, RulesetError, Say, printable
from ..law.check import is_ruleset_id
from ..law.load import find_ruleset_id, load_ruleset

log = logging.getLogger("ntm_rules.service")

PAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                           "form-action 'self'; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
# How the service words what a message asks of its caller (see errors.FRONT): its parameters and routes;
# what only the office does on its own computer (a table of law, a command) is said as such.
WORDS = {
    "vi": {"ruleset": "tham số ruleset (?ruleset=MÃ)", "ruleset_path": "văn phòng cài bộ tiêu chí lên máy chủ",
           "schema_input": "GET /v1/schema/input?ruleset=MÃ", "rulesets_list": "GET /v1/rulesets",
           "template": "mẫu sổ tính (ntm-assess template)", "rerun_batch": "tải lượt đánh giá lên lại",
           "batch_db": "tải một lượt đánh giá lên trang của văn phòng",
           "period_template": "văn phòng viết bảng tiêu chí của giai đoạn {0} (ntm-assess rulesets template) và cài lên máy chủ",
           "rulesets_import": "văn phòng nhập bảng và cài lên máy chủ",
           "db": "tệp lịch sử mà văn phòng chọn cho máy chủ", "plan": "tải tệp kế hoạch từ trang của xã này"},
    "en": {"ruleset": "the ruleset parameter (?ruleset=ID)", "ruleset_path": "the office installs sets on the server",
           "schema_input": "GET /v1/schema/input?ruleset=ID", "rulesets_list": "GET /v1/rulesets",
           "template": "the workbook template (ntm-assess template)", "rerun_batch": "upload the batch again",
           "batch_db": "upload a batch on the office's page",
           "period_template": "the office writes the {0} period's table (ntm-assess rulesets template) and installs it "
                              "on the server",
           "rulesets_import": "the office imports the table and installs it on the server",
           "db": "the history file the office gives the server", "plan": "download the plan workbook from this commune's page"},
}


class SpeakingToCallers:
    """ASGI middleware: messages of the library are worded for the service's callers (errors.FRONT)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        token = FRONT.set(WORDS)
        try:
            await self.app(scope, receive, send)
        finally:
            FRONT.reset(token)


GENERIC = Say("lỗi nội bộ của ntm-rules, không phải lỗi dữ liệu; hãy báo cho người quản trị",
              "internal error in ntm-rules, not a problem with the data; please tell the administrator")


class ServiceError(Exception):
    """An HTTP answer other than 200, with a message in both languages."""

    def __init__(self, status: int, message: Say, field: str = "", fix: Say | None = None):
        super().__init__(message.en)
        self.status, self.says, self.field, self.fixes = status, message, field, fix or Say("", "")


def language(request: Request) -> str:
    """vi or en from the request's Accept-Language (see `prefers`)."""
    return prefers(request.headers.get("accept-language", ""))


def prefers(accept_language: str) -> str:
    """vi or en from Accept-Language (the highest-weighted of the two; Vietnamese by default)."""
    best, best_q = "vi", -1.0
    for part in accept_language.split(",")[:20]:
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


def error_json(status: int, message: str, field: str = "", fix: str = "", headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": printable(message), "field": printable(field), "fix": printable(fix)}, status_code=status,
                        headers=headers)


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
