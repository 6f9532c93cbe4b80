"""Validated criteria sets kept by identity (see `identity.py`): in memory, and on disk as data.

In memory: a file's digest is read again only when its `stat` changes (device, inode, size,
modification and change times: a file replaced, or rewritten with its old size and time restored,
has another change time); a validated set is kept under its identity (which covers its parents),
so an edited parent is never served through an unchanged child. Bounded (least recently used).

On disk, so that one commune from the command line does not read, validate and check its YAML
again: an entry is JSON (data: nothing in it can run), found by the set's own bytes and the
source of the validating code (`identity.code_digest`), and used only when the parent that
`extends:` finds now has the identity the entry records: i.e. keyed by the set's identity.
The folder is `$NTM_CACHE_DIR`, else `$XDG_CACHE_HOME/ntm-rules`, else `~/.cache/ntm-rules`;
`NTM_CACHE_DIR=` (empty) turns it off; deleting it is always safe. It is used only when it is a
real folder (not a link) owned by this user that nobody else may write into, held open while it
is used; an entry is opened without following links and read only when it is a regular file of
this user's that nobody else may write (checked on the open file). Any doubt is a miss: a
damaged, foreign or unreadable entry is ignored and written again.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from collections import OrderedDict
from pathlib import Path

from ..files import signature
from .identity import code_digest, file_digest

FORMAT = 3  # 3: the entry's own sha256 on its first line (an entry damaged since it was written is never read)
MAX_ENTRY_BYTES = 16 << 20
_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


class Bounded:
    """A dict of at most `size` items, the least recently used dropped first; thread-safe."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def of(self, key, make):
        """The value kept for `key`, else `make()`, kept (two threads may both make it: the same value)."""
        found = self.get(key)
        if found is None:
            found = self.put(key, make())
        return found

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


# ------------------------------------------------------------------------------------ in memory

_digests = Bounded(256)  # path → (stat signature, digest of its bytes, the bytes when just read)
_extends = Bounded(1024)  # digest of a file's bytes → the id its `extends:` names ("" for none)
_sets = Bounded(64)  # (identity, path) → validated Ruleset


def file_digest_of(path: Path, read) -> tuple[str, bytes | None]:
    """The digest of a file's bytes, read again only when its stat changed; (digest, bytes when
    they were just read, else None). `read(path)` reads the bytes (within the limits)."""
    try:
        info = os.stat(path)
    except OSError:
        info = None
    known = _digests.get(str(path))
    if info is not None and known is not None and known[0] == signature(info):
        return known[1], None
    raw = read(path)
    digest = file_digest(raw)
    if info is not None:
        _digests.put(str(path), (signature(info), digest))
    return digest, raw


def known_extends(digest: str) -> str | None:
    """The id a file of these bytes extends ("" for none), when known in this process."""
    return _extends.get(digest)


def remember_extends(digest: str, extends: str | None) -> None:
    _extends.put(digest, extends or "")


def get(identity: str, path: Path):
    return _sets.get((identity, str(path)))


def put(identity: str, path: Path, ruleset) -> None:
    _sets.put((identity, str(path)), ruleset)


def forget() -> None:
    """Empty the in-memory caches (the disk cache is left as it is)."""
    for cache in (_digests, _extends, _sets):
        cache.clear()


# --------------------------------------------------------------------------------------- on disk

def folder() -> Path | None:
    configured = os.environ.get("NTM_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ntm-rules"


def _private(info: os.stat_result, kind) -> bool:
    return kind(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _open_folder(create: bool) -> int | None:
    """The cache folder held open (a descriptor), when it is this user's own and private."""
    where = folder()
    if where is None:
        return None
    if create:
        try:
            where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.mkdir(where, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    try:
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _FLAGS)
    except OSError:  # missing, a link, not a folder
        return None
    try:
        if _private(os.fstat(fd), stat.S_ISDIR):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _name(own_digest: str) -> str:
    return file_digest(f"{FORMAT}\0{code_digest()}\0{own_digest}".encode()) + ".json"


def read_entry(own_digest: str) -> dict | None:
    """The entry stored for a file of these bytes, as data; None for anything doubtful."""
    folder_fd = _open_folder(create=False)
    if folder_fd is None:
        return None
    name = _name(own_digest)
    try:
        fd = os.open(name, _FLAGS | os.O_NONBLOCK, dir_fd=folder_fd)
    except OSError:
        os.close(folder_fd)
        return None
    try:
        info = os.fstat(fd)
        if not _private(info, stat.S_ISREG) or info.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            check, _, data = handle.read(MAX_ENTRY_BYTES + 1).partition(b"\n")
        if check.decode("ascii", "replace") != hashlib.sha256(data).hexdigest():
            return None
        entry = json.loads(data)
        if isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == name \
                and entry.get("digest") == own_digest:
            return entry
        return None
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(fd)
        os.close(folder_fd)


def write_entry(own_digest: str, entry: dict) -> None:
    """Store an entry (best effort: a cache that cannot be written is skipped)."""
    folder_fd = _open_folder(create=True)
    if folder_fd is None:
        return
    name = _name(own_digest)
    temporary = f".entry-{os.urandom(8).hex()}.tmp"
    try:
        data = json.dumps({"format": FORMAT, "key": name, "digest": own_digest, **entry}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        data = hashlib.sha256(data).hexdigest().encode() + b"\n" + data
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FLAGS & ~os.O_RDONLY, 0o600,
                     dir_fd=folder_fd)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except (OSError, TypeError, ValueError):
        try:
            os.unlink(temporary, dir_fd=folder_fd)
        except OSError:
            pass
    finally:
        os.close(folder_fd)
