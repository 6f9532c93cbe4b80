"""Reading an input within what the scan saw: no further than its size when opened, and the
errors of reading it (`sources.scan`)."""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ..errors import InputError, Say


class SizedReader:
    """Reads a file no further than the size it had when opened (a file made by the kernel, or
    one still being written, would otherwise be read without end)."""

    def __init__(self, handle: BinaryIO, size: int, path: Path):
        self.handle, self.left, self.path = handle, size, path

    def _take(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left < 0:
            raise changed(self.path)
        return data

    def read(self, n: int) -> bytes:
        try:
            return self._take(self.handle.read(min(n, self.left + 1) if self.left >= 0 else 0))
        except OSError as error:
            raise unreadable(self.path, error) from None

    def readline(self, n: int) -> bytes:
        try:
            return self._take(self.handle.readline(min(n, self.left + 1)))
        except OSError as error:
            raise unreadable(self.path, error) from None


def changed(path: Path) -> InputError:
    """The input was written to while the batch read it (its size or time of change moved)."""
    return InputError(Say("tệp thay đổi trong khi đang đọc", "the file changed while it was read"), source=str(path),
                      fix=Say("chạy lại khi không còn gì ghi vào tệp", "run the batch again when nothing is writing to it"))


def unreadable(path: Path, error: OSError) -> InputError:
    return InputError(Say(f"không đọc được tệp ({error.strerror})", f"cannot read the file ({error.strerror})"),
                      source=str(path), fix=Say("kiểm tra tệp", "check the file"))
