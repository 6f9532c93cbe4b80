"""A request's time limit, kept by the work itself: the guard gives every request a `Deadline`
(a context variable, which the framework copies into the threads it runs handlers in), and the
work checks it (`check()` in loops; the history's connections through SQLite's progress handler),
so that past the limit, or once the client has gone away, the work stops: not only the answer.
"""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path


class PastDeadline(Exception):
    """The request's time is up, or its client went away: its work stops."""


class Deadline:
    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds
        self.cancelled = False  # the client went away

    def over(self) -> bool:
        return self.cancelled or time.monotonic() > self.at

    def check(self) -> None:
        if self.over():
            raise PastDeadline()


CURRENT: ContextVar[Deadline | None] = ContextVar("ntm_deadline", default=None)


def check() -> None:
    """Stop (PastDeadline) when the current request's time is up; nothing outside a request."""
    deadline = CURRENT.get()
    if deadline is not None:
        deadline.check()


def stopping(conn: sqlite3.Connection) -> sqlite3.Connection:
    """The connection's statements stop (sqlite3.OperationalError: interrupted) past the current
    request's deadline."""
    deadline = CURRENT.get()
    if deadline is not None:
        conn.set_progress_handler(lambda: 1 if deadline.over() else 0, 20_000)
    return conn


@contextmanager
def reading(db: Path):
    """A connection to read the history (migrated when the service started): no write lock taken,
    so that a batch being stored never holds up a page; it stops with the request."""
    conn = sqlite3.connect(db, timeout=10, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        yield stopping(conn)
    finally:
        conn.close()


def interrupted(error: BaseException) -> bool:
    """Whether an error is the stop of work past its deadline (ours, or SQLite's interruption)."""
    return isinstance(error, PastDeadline) or (isinstance(error, sqlite3.OperationalError)
                                               and str(error) == "interrupted")
