"""Opening files named by a user or an input: regular files only, read within a size limit.

A FIFO, a device or a folder is never opened for reading (a FIFO would block, /dev/zero would
fill memory); a file larger than the limit for what it holds is refused before it is read.
The limits are the ones `ntm-assess --help` states (see `limits.py`).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Callable

from ..errors import NtmError, Say


def describe_kind(mode: int) -> Say:
    if stat.S_ISDIR(mode):
        return Say("một thư mục", "a folder")
    if stat.S_ISFIFO(mode):
        return Say("một ống dẫn (FIFO)", "a pipe (FIFO)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Say("một thiết bị", "a device")
    if stat.S_ISSOCK(mode):
        return Say("một socket", "a socket")
    return Say("không phải tệp thông thường", "not a regular file")


# Files here look regular but are made by the kernel: endless (/proc/self/pagemap) or failing on read.
_SYSTEM = ("/proc/", "/sys/", "/dev/")


def open_regular(path: str | os.PathLike, error: Callable[[str, str], NtmError]) -> BinaryIO:
    """Open a regular file for binary reading without ever blocking on a FIFO.

    `error(message, fix)` builds the exception to raise (an InputError or RulesetError naming
    the file).
    """
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(Say("không có tệp này", "no such file"), Say("kiểm tra lại đường dẫn", "check the path")) from None
    except IsADirectoryError:
        raise error(Say("đây là một thư mục, không phải tệp", "this is a folder, not a file"),
                    Say("ghi tên một tệp", "name a file")) from None
    except (OSError, ValueError) as problem:
        reason = getattr(problem, "strerror", None) or "the name holds a character no file name can"
        raise error(Say(f"không mở được tệp ({reason})", f"cannot open the file ({reason})"),
                    Say("kiểm tra đường dẫn và quyền đọc", "check the path and its permissions")) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = describe_kind(mode)
            raise error(Say(f"đây là {kind.vi}, không phải tệp thông thường", f"this is {kind.en}, not a regular file"),
                        Say("chỉ một tệp thông thường", "give a regular file"))
        real = os.path.realpath(path)
        if real.startswith(_SYSTEM) and not real.startswith("/dev/shm/"):
            raise error(Say("đây là tệp của hệ thống, không phải tệp dữ liệu", "this is a system file, not a data file"),
                        Say("chỉ một tệp của bạn", "give a file of your own"))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: str | os.PathLike, limit: int, error: Callable[[str, str], NtmError], what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    with open_regular(path, error) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise error(Say(f"tệp {human_size(size)}, lớn hơn mức {human_size(limit)} cho phép",
                            f"the {what} is {human_size(size)}, more than the {human_size(limit)} allowed"),
                        Say("tách nhỏ, hoặc bỏ những gì không thuộc về tệp này",
                            f"split it or remove what does not belong in a {what}"))
        try:
            data = handle.read(min(size, limit) + 1)
        except OSError as problem:
            raise error(Say(f"không đọc được tệp ({problem.strerror})", f"cannot read the file ({problem.strerror})"),
                        Say("kiểm tra tệp", "check the file")) from None
    if len(data) > size:  # the file grew while it was read, or is not what it says it is
        raise error(Say("tệp thay đổi trong khi đang đọc", f"the {what} changed while it was read"),
                    Say("đọc lại khi không còn gì ghi vào tệp", "read it again when nothing is writing to it"))
    return data


def read_stream_limited(stream: BinaryIO, limit: int, error: Callable[[str, str], NtmError], what: str) -> bytes:
    """At most `limit` bytes of a stream (standard input); more is an error."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise error(Say(f"dữ liệu lớn hơn mức {human_size(limit)} cho phép", f"the {what} is more than the "
                        f"{human_size(limit)} allowed"), Say("gửi một tài liệu của một xã", "send one commune document"))
    return data


def contents(info: os.stat_result) -> tuple:
    """A file's contents as its stat sees them: another file, or the same one written to since, has
    others; renaming or removing it does not change them."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def signature(info: os.stat_result) -> tuple:
    """A file as its stat sees it: another file, or the same one rewritten, has another."""
    return (*contents(info), info.st_ctime_ns)


class Sha256:
    """The sha256 of a file's first `size` bytes (an open descriptor's), read by position in a
    thread of its own while the caller reads the file its own way: hashlib lets go of the
    interpreter while it hashes a large block, so both go on at once (a batch's 20 MB JSON Lines
    input: its 0.02 s of hashing no longer delays its workers). `hexdigest` waits for the end."""

    BLOCK = 1 << 20

    def __init__(self, fd: int, size: int):
        import hashlib
        import threading

        self._fd, self._size, self._digest, self._error, self._stopped = fd, size, hashlib.sha256(), None, False
        self._thread = threading.Thread(target=self._run, name="ntm-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        offset = 0
        try:
            while offset < self._size and not self._stopped:
                block = os.pread(self._fd, min(self.BLOCK, self._size - offset), offset)
                if not block:  # the file is shorter than it was: the bytes that are there
                    break
                self._digest.update(block)
                offset += len(block)
        except OSError as error:
            self._error = error

    def hexdigest(self) -> str:
        """The digest; raises the OSError that stopped the reading, if one did."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()

    def __enter__(self) -> "Sha256":
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is not None:  # the caller's reading failed: stop before its descriptor is closed
            self._stopped = True
            self._thread.join()


def is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def human_size(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value >= 10 or value.is_integer() else f"{value:.1f} {unit}"
    return f"{size} bytes"


def replace_with(path: str | os.PathLike, write: Callable[[Path], None], error: Callable[[str, str], NtmError]) -> Path:
    """Write a file by `write(temporary)` and rename it into place: a reader never sees half a
    file; an existing pipe, device or link to one is never written into (refused instead); the
    temporary is made in a private folder (0700, a name no one can guess) beside the file, so no
    link planted there can redirect the write."""
    import shutil
    import tempfile

    target = Path(path)
    if target.exists() or target.is_symlink():
        try:
            mode = os.stat(target).st_mode
        except OSError:
            mode = None
        if mode is None or not stat.S_ISREG(mode):
            kind = describe_kind(mode) if mode is not None else Say("một liên kết hỏng", "a broken link")
            raise error(Say(f"đây là {kind.vi}, không phải tệp để ghi", f"this is {kind.en}, not a file to write"),
                        Say("ghi tên một tệp mới", "name a new file"))
    private = None
    try:
        private = Path(tempfile.mkdtemp(prefix=".ntm-", dir=target.parent))
        temporary = private / target.name
        write(temporary)
        os.replace(temporary, target)
    except OSError as problem:
        raise error(Say(f"không ghi được tệp ({problem.strerror})", f"cannot write the file ({problem.strerror})"),
                    Say("kiểm tra thư mục có tồn tại và ghi được", "check the folder exists and is writable")) from None
    finally:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
    return target
