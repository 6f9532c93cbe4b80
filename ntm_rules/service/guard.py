"""The guard in front of every route (ASGI middleware): who may call, how big a body may be and how
long a request may take to arrive. Its own answers (401/403/408/413) are plain JSON."""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
from urllib.parse import quote

from ..limits import MAX_ROW_BYTES

COOKIE = "ntm_token"
OPEN_PATHS = ("/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/healthz")


class BodyTooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


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
            return await _send_json(send, 403, {"error": "this service answers loopback only (it was started without a token "
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
                        return await _send_json(send, 413, too_large(limit))
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
                    await _send_json(send, 413, too_large(limit))
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, too_large(limit))
        except TooSlow:
            if not started:
                await _send_json(send, 408, {"error": "the request took too long to arrive", "field": "", "fix": ""})


def too_large(limit: int) -> dict:
    return {"error": f"the request body is larger than the limit of {limit >> 20} MB", "field": "",
            "fix": "send a smaller file, or split the batch"}


async def _send(send, status: int, body: bytes, headers: list | None = None, media: bytes = b"text/plain") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())] + (headers or [])})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send, status: int, data: dict, headers: list | None = None) -> None:
    await _send(send, status, json.dumps(data, ensure_ascii=False).encode(), headers, b"application/json")
