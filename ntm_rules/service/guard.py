"""The guard in front of every route (ASGI middleware): which Host names the service answers to,
who may call and for what (keys and their roles; loopback only without keys), whether a
state-changing request comes from another site, how big a body may be, how many batches run at
once, how long a body may pause and how long a request may take (its work stops at the limit,
see deadline.py). Its own answers are {error, field, fix} in the request's language."""
from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import quote, unquote, urlsplit

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from ..errors import Say
from ..limits import MAX_ROW_BYTES
from .answers import error_json, log, prefers
from .deadline import CURRENT, Deadline, interrupted
from .keys import Keys

COOKIE = "ntm_key"
OPEN_PATHS = ("/login", "/openapi.json", "/healthz")
OPEN_PREFIXES = ("/docs-assets/",)  # Swagger UI's and Redoc's own files, as their package ships them
UPLOADS = (("POST", "/v1/batch"), ("POST", "/batches"))
LONG = UPLOADS + (("GET", "/progress.csv"),)  # a batch, or the whole history downloaded: the longer time limit
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class BodyTooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


LOOPBACK_ONLY = Say("dịch vụ này chỉ trả lời máy chủ (loopback): nó chạy không có khóa truy cập",
                    "this service answers loopback only: it runs without keys")
NO_KEY = Say("thiếu khóa truy cập, hoặc khóa không đúng", "missing or wrong key")
SEND_KEY = Say("gửi Authorization: Bearer <khóa>", "send Authorization: Bearer <key>")
ROLE = Say("khóa này không được làm việc này (cần quyền {0})", "this key may not do this (it needs the {0} role)")
ASK = Say("dùng khóa có quyền đó, hoặc nhờ văn phòng cấp", "use a key with that role, or ask the office for one")
CROSS_SITE = Say("yêu cầu thay đổi dữ liệu từ một trang web khác bị từ chối", "a request to change data from another "
                 "site is refused")
FROM_OUR_PAGES = Say("gửi từ các trang của chính dịch vụ", "send it from the service's own pages")
HOST = Say("máy chủ không phục vụ tên miền này (Host)", "this server does not answer to that name (Host)")
HOST_FIX = Say("dùng địa chỉ văn phòng đã cấu hình cho dịch vụ", "use the address the office set up for the service")
TOO_LARGE = Say("nội dung gửi lên lớn hơn giới hạn {0} MB", "the request body is larger than the limit of {0} MB")
SMALLER = Say("gửi tệp nhỏ hơn, hoặc chia lượt đánh giá", "send a smaller file, or split the batch")
BAD_LENGTH = Say("Content-Length không hợp lệ", "bad Content-Length")
BODY_SLOW = Say("nội dung gửi lên đến quá chậm", "the request body arrived too slowly")
AGAIN = Say("gửi lại", "send it again")
LATE = Say("yêu cầu quá thời gian cho phép ({0} giây); công việc đã dừng", "the request took longer than allowed "
           "({0} s); its work was stopped")
LATE_BATCH = Say("lượt đánh giá quá thời gian cho phép ({0} giây); không lưu gì",
                 "the batch took longer than allowed ({0} s); nothing was stored")
LATE_FIX = Say("thu hẹp yêu cầu (một trang, một tỉnh), hoặc chia lượt đánh giá thành các tệp nhỏ hơn",
               "ask for less (one page, one province), or split the batch into smaller files")
BUSY = Say("đang chạy đủ số lượt đánh giá cùng lúc", "as many batches as allowed are running")
LATER = Say("gửi lại sau ít phút", "send it again in a few minutes")


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


def needed_role(method: str, path: str) -> str:
    if (method, path) in UPLOADS:
        return "upload"
    return "admin" if path.startswith("/v1/keys") else "read"


def too_large(limit: int, lang: str) -> dict:
    return {"error": TOO_LARGE(lang).format(max(limit >> 20, 1)), "field": "", "fix": SMALLER(lang)}


class OfficeHosts(TrustedHostMiddleware):
    """Starlette's allow-list of Host names (against DNS rebinding), its refusal worded as every error."""

    def __init__(self, app, *, allowed_hosts: list[str]):
        super().__init__(self._passed, allowed_hosts=allowed_hosts, www_redirect=False)
        self.inner = app

    async def _passed(self, scope, receive, send):
        scope["ntm.host"] = True
        await self.inner(scope, receive, send)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)

        async def worded(message):
            if scope.get("ntm.host"):
                return await send(message)
            if message["type"] == "http.response.start":
                lang = prefers(Headers(scope=scope).get("accept-language", ""))
                await error_json(400, HOST(lang), "Host", HOST_FIX(lang))(scope, receive, send)

        await super().__call__(scope, receive, worded)


class Guard:
    """ASGI middleware (see the module's doc). `keys`: None for a loopback-only service."""

    def __init__(self, app, *, keys: Keys | None, max_upload: int, timeout: float, answer_timeout: float,
                 body_timeout: float = 30.0, batches_at_once: int = 2):
        self.app, self.keys, self.max_upload = app, keys, max_upload
        self.timeout, self.answer_timeout, self.body_timeout = timeout, answer_timeout, body_timeout
        self.batches_at_once, self.running = batches_at_once, 0

    def _caller(self, headers: Headers):
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return self.keys.find(auth[7:].strip())
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return self.keys.find(unquote(value))
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        lang = prefers(headers.get("accept-language", ""))
        path, method = scope.get("path", ""), scope["method"]

        def refuse(status: int, message: str, field: str = "", fix: str = "", extra: dict | None = None):
            return error_json(status, message, field, fix, extra)(scope, receive, send)

        if method in UNSAFE and _cross_site(headers):
            return await refuse(403, CROSS_SITE(lang), "Origin", FROM_OUR_PAGES(lang))
        key = None
        if self.keys is None:
            if not _is_loopback((scope.get("client") or (None,))[0]):
                return await refuse(403, LOOPBACK_ONLY(lang))
        else:
            key = self._caller(headers)
            if path not in OPEN_PATHS and not path.startswith(OPEN_PREFIXES):
                if key is None:
                    if method == "GET" and "text/html" in headers.get("accept", "") and not path.startswith("/v1/"):
                        target = "/login?next=" + quote(path, safe="/")
                        return await Response(status_code=303, headers={"location": target})(scope, receive, send)
                    return await refuse(401, NO_KEY(lang), "Authorization", SEND_KEY(lang), {"www-authenticate": "Bearer"})
                role = needed_role(method, path)
                if not key.may(role):
                    return await refuse(403, ROLE(lang).format(role), "Authorization", ASK(lang))
        scope.setdefault("state", {})["key"] = key
        upload = (method, path) in UPLOADS
        limit = MAX_ROW_BYTES if path == "/v1/assess" else self.max_upload + (1 << 20)  # multipart framing
        shown_limit = MAX_ROW_BYTES if path == "/v1/assess" else self.max_upload
        try:
            if int(headers.get("content-length", "0")) > limit:
                return await send_json(send, 413, too_large(shown_limit, lang))
        except ValueError:
            return await refuse(400, BAD_LENGTH(lang), "Content-Length")
        if upload and self.running >= self.batches_at_once:
            return await refuse(503, BUSY(lang), "", LATER(lang), {"retry-after": "30"})
        seconds = self.timeout if (method, path) in LONG else self.answer_timeout
        deadline = Deadline(seconds)
        CURRENT.set(deadline)  # this task's context: the app's tasks and threads copy it
        self.running += upload
        try:
            await self._run(scope, receive, send, deadline, limit, shown_limit, lang, seconds, upload)
        finally:
            self.running -= upload

    async def _run(self, scope, receive, send, deadline, limit, shown_limit, lang, seconds, upload):
        received = 0
        started = overflow = whole = False

        async def limited_receive():
            nonlocal received, overflow, whole
            try:  # while the body arrives, it may pause at most body_timeout; then only the request's limit
                message = await (receive() if whole else asyncio.wait_for(receive(), self.body_timeout))
            except asyncio.TimeoutError:
                raise TooSlow() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                whole = not message.get("more_body", False)
                if received > limit:
                    overflow = True
                    raise BodyTooLarge()
            elif message["type"] == "http.disconnect":
                deadline.cancelled = True
                if not whole:
                    whole = True
                    log.info("%s %s: the client went away before its request was whole", scope["method"], scope["path"])
            return message

        async def tracked_send(message):
            # a body over the limit is a 413, whatever the framework made of the error (a form
            # parser turns it into a 400)
            nonlocal started
            if overflow:
                if not started:
                    started = True
                    await send_json(send, 413, too_large(shown_limit, lang))
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(seconds):
                await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await send_json(send, 413, too_large(shown_limit, lang))
        except TooSlow:
            if not started:
                await error_json(408, BODY_SLOW(lang), "", AGAIN(lang))(scope, receive, send)
        except ClientDisconnect:
            pass  # said once, by limited_receive
        except BaseException as error:
            if not (isinstance(error, TimeoutError) or interrupted(error)):
                raise
            if deadline.cancelled:
                log.info("%s %s: stopped, its client went away", scope["method"], scope["path"])
                return
            log.warning("%s %s: stopped past its time limit (%s s)", scope["method"], scope["path"], seconds)
            if not started:
                message = (LATE_BATCH if upload else LATE)(lang).format(seconds)
                await error_json(504, message, "file" if upload else "", LATE_FIX(lang))(scope, receive, send)


def _cross_site(headers: Headers) -> bool:
    """A browser's request from another site: Sec-Fetch-Site (which a page cannot set) says it is
    not from this origin, or, from a browser without it, Origin names another host than the one
    asked (or "null"). Other clients send neither."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False
    try:
        theirs, ours = urlsplit(origin), urlsplit("//" + headers.get("host", ""))
        if not theirs.hostname or not ours.hostname:
            return True
        return theirs.hostname != ours.hostname or None not in (theirs.port, ours.port) and theirs.port != ours.port
    except ValueError:
        return True


async def send_json(send, status: int, data: dict) -> None:
    response = JSONResponse(data, status_code=status)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
