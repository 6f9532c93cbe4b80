"""The connections: what uvicorn does not bound on its own.

uvicorn (0.55, h11) times out only an idle kept-alive connection: a connection that sends its
request head one byte at a time stays open for ever, and its `limit_concurrency` counts such
connections, so a few hundred of them turn every other request into a 503. `OfficeProtocol` is its
h11 protocol with
- a time limit on a request's head (from the connection's first byte, or the end of the previous
  answer, to the last header): past it the connection is closed;
- a bound on open connections per client address and in all: at the bound, the oldest connection
  still waiting for its request head (of that address, or of any) is closed to make room, and only
  when every connection is busy with a request is the new one refused (503);
- a client that goes away in the middle of a request said in one line, without a traceback.
A reverse proxy in front (README: nginx's client_header_timeout, limit_conn) does the same further
from the service; this keeps the bar without one.
"""
from __future__ import annotations

import asyncio
import errno
import socket
from collections import defaultdict

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..errors import InputError, Say

REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\n"
           b"connection: close\r\ncontent-length: 77\r\n\r\n"
           b'{"error": "too many connections", "field": "", "fix": "try again in a while"}')


class OfficeProtocol(H11Protocol):
    head_timeout = 10.0
    per_address = 64
    total = 1000
    _open: dict[str, list["OfficeProtocol"]] = defaultdict(list)  # by client address, oldest first

    @classmethod
    def configured(cls, *, head_timeout: float, per_address: int, total: int) -> type["OfficeProtocol"]:
        return type("OfficeProtocol", (cls,), {"head_timeout": head_timeout, "per_address": per_address,
                                               "total": total, "_open": defaultdict(list)})

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._address = self.client[0] if self.client else ""
        mine = self._open[self._address]
        if len(mine) >= self.per_address and not self._make_room(mine):
            return self._refuse()
        if len(self.connections) > self.total and not self._make_room(
                [c for c in self.connections if isinstance(c, OfficeProtocol)]):
            return self._refuse()
        mine.append(self)
        self._arm()

    def _make_room(self, candidates) -> bool:
        waiting = [c for c in candidates if c is not self and c.waiting()]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c._since)
        oldest.transport.close()
        oldest.connection_lost(None)  # counted out now, not at the next turn of the loop
        return True

    def _refuse(self) -> None:
        self.transport.write(REFUSED)
        self.transport.close()

    def waiting(self) -> bool:
        """Still waiting for a whole request head (or idle between requests)."""
        return self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._since = self.loop.time()
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.waiting() and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self._arm()  # a head in parts: its time runs from its first byte
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        self._disarm()
        super().on_response_complete()

    def connection_lost(self, exc) -> None:
        self._disarm()
        mine = self._open.get(self._address)
        if mine is not None and self in mine:
            mine.remove(self)
            if not mine:
                del self._open[self._address]
        if self.connections is not None and self in self.connections:
            super().connection_lost(exc)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now: an address in use, or one this machine does not have, is an
    InputError (the command line's exit 2), never a failure inside the server."""
    address = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        found = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, where = found[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise InputError(Say(f"{host}: không phải địa chỉ của máy này ({error.strerror or error})",
                             f"{host}: not an address of this machine ({error.strerror or error})"), field="⟪host⟫",
                         fix=Say("nghe trên 127.0.0.1, ::1 hoặc một địa chỉ của máy", "listen on 127.0.0.1, ::1 or an "
                                 "address of this machine")) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(where)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            fix, field = Say("chọn cổng khác, hoặc dừng chương trình đang dùng cổng này",
                             "choose another port, or stop the program using this one"), "⟪port⟫"
        else:
            fix, field = Say("nghe trên một địa chỉ của máy này", "listen on an address of this machine"), "⟪host⟫"
        raise InputError(Say(f"không nghe được trên {host}, cổng {port} ({error.strerror})",
                             f"cannot listen on {host}, port {port} ({error.strerror})"), field=field, fix=fix) from None
    sock.set_inheritable(True)
    return sock
