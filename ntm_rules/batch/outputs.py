"""A batch's output folder: made and locked for one run, an earlier run's outputs refused unless
overwritten, every part written whole into DIR/partial/ while the workers go on, and joined into
place at the end, summary.json last (a folder with summary.json holds a complete run); and
`read_assessments`, the one reader of a finished batch's results.

DIR/assessments.jsonl holds one line per assessed commune, the Assessment's varying part
(`lines.py`), and DIR/ruleset.json the static part of each resolved set the lines name, once.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import Iterator

from ..errors import InputError, OutputError, Say
from ..law.resolve import resolve
from ..law.schema import Ruleset
from ..lines import join, static_part
from ..result import dump_json
from ..statics import statics_of

OUTPUT_FILES = ("assessments.jsonl", "ruleset.json", "rejected.jsonl", "rejected.xlsx", "summary.json", "summary.html")
# While a batch runs, every part of the rows becomes one whole file in DIR/partial/ (written under
# a temporary name, then renamed); the outputs appear under their names only when complete.
PARTIAL_DIR = "partial"
PARTIAL = ".partial"


def rejected_segment(segment: Path) -> Path:
    """The rejected rows' segment of the part whose assessments are in `segment`."""
    return segment.with_name("rejected-" + segment.name.partition("-")[2])


def rejected_lines(rejected: list[dict]) -> bytes:
    """rejected.jsonl's lines: each record without the identity keys the summary counts by."""
    return b"".join(json.dumps({k: v for k, v in r.items() if k != "keys"}, ensure_ascii=False).encode() + b"\n"
                    for r in rejected)


_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def new_file(path: Path):
    """A file the batch creates: new (never one that exists, never through a link), opened for writing."""
    return os.fdopen(os.open(path, _NEW, 0o644), "wb")


def write_whole(path: Path, data: bytes) -> None:
    """A file that is whole or absent: written under a temporary name, then renamed."""
    temporary = path.with_name(path.name + ".tmp")
    with new_file(temporary) as handle:
        handle.write(data)
    os.replace(temporary, path)


def output_error(out: Path, error: OSError) -> OutputError:
    reasons = {28: Say("ổ đĩa đã đầy", "the disk is full"), 13: Say("không có quyền ghi", "permission denied"),
               30: Say("ổ đĩa chỉ cho đọc", "the file system is read-only"),
               20: Say("một phần của đường dẫn là tệp, không phải thư mục", "a part of the path is a file, not a folder"),
               17: Say("đó là một tệp, không phải thư mục", "it is a file, not a folder"),
               2: Say("không có thư mục này", "no such folder"),
               27: Say("tệp sẽ lớn hơn mức hệ thống cho phép", "a file would be larger than the system allows")}
    reason = reasons.get(error.errno, Say(error.strerror or "", error.strerror or ""))
    return OutputError(Say(f"{out}: không ghi được kết quả ({reason.vi}); cách sửa: chọn một thư mục ghi được và còn chỗ trống",
                           f"{out}: cannot write the outputs ({reason.en}); fix: choose a folder you can write to, "
                           "with free space"))


LOCK = ".ntm-batch.lock"


def prepare_output(out_dir: str | os.PathLike, overwrite: bool) -> tuple[Path, int]:
    """The output folder, created if need be and locked for this run (another batch writing into
    it is refused); an earlier run's outputs are refused unless overwrite, which removes them (and
    only them) first. Returns the folder and the lock's file descriptor (held until the end)."""
    if not isinstance(out_dir, (str, os.PathLike)) or not os.fspath(out_dir).strip():
        raise OutputError(Say("⟪out⟫: chưa chỉ thư mục ghi kết quả; cách sửa: ghi tên một thư mục",
                              "⟪out⟫: no output folder given; fix: name a folder for the outputs"))
    out = Path(out_dir)
    lock = -1
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not out.is_dir():
            raise NotADirectoryError(20, "not a folder")
        _refuse_shared(out)
        if out.name == PARTIAL_DIR and _locked(out.parent / LOCK):
            raise _busy(out.parent)
        lock = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                       0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(out) from None
        earlier = [out / name for name in OUTPUT_FILES + tuple(n + PARTIAL for n in OUTPUT_FILES)
                   if (out / name).exists() or (out / name).is_symlink()]
        segments = out / PARTIAL_DIR
        if segments.is_symlink() or (segments.exists() and not segments.is_dir()):
            raise OutputError(Say(f"{segments}: không phải thư mục của công cụ này; cách sửa: xóa nó, hoặc chọn thư mục khác (⟪out⟫)",
                                  f"{segments}: is not a folder of this tool's; fix: remove it, or choose another folder (⟪out⟫)"))
        if segments.is_dir():
            earlier += sorted(p for p in segments.iterdir() if _is_segment(p.name))
        if earlier and not overwrite:
            shown = earlier[0].relative_to(out)
            raise OutputError(Say(f"{out}: thư mục đang có kết quả của lần chạy trước ({shown}); "
                                  "cách sửa: chọn thư mục khác (⟪out⟫), hoặc ghi đè (⟪overwrite⟫)",
                                  f"{out}: the folder holds the outputs of an earlier run ({shown}); "
                                  "fix: choose another folder (⟪out⟫), or replace them (⟪overwrite⟫)"))
        for path in earlier:
            path.unlink()
        if segments.is_dir() and not segments.is_symlink() and not any(segments.iterdir()):
            segments.rmdir()
        probe = out / f".ntm-write-test-{os.getpid()}-{os.urandom(4).hex()}"
        new_file(probe).close()
        probe.unlink()
    except OSError as error:
        release(lock)
        raise output_error(out, error) from None
    except BaseException:
        release(lock)
        raise
    return out, lock


def _refuse_shared(out: Path) -> None:
    """An output folder is the user's own, and no one else may write into it (else another local
    user could plant links where the batch writes)."""
    info = os.stat(out)
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise OutputError(Say(f"{out}: thư mục của người khác, hoặc người khác cũng ghi được vào; cách sửa: chọn một thư mục "
                              "của riêng bạn (⟪out⟫), hoặc bỏ quyền ghi của người khác (chmod go-w)",
                              f"{out}: the folder is someone else's, or others may write into it; fix: choose a folder "
                              "of your own (⟪out⟫), or take away the others' right to write (chmod go-w)"))


def _locked(path: Path) -> bool:
    """Whether another batch holds the lock at `path` now."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _busy(out: Path) -> OutputError:
    return OutputError(Say(f"{out}: một lượt đánh giá khác đang ghi vào thư mục này; cách sửa: đợi lượt đó xong, "
                           "hoặc chọn thư mục khác (⟪out⟫)",
                           f"{out}: another batch is writing into this folder now; fix: wait for it to end, "
                           "or choose another folder (⟪out⟫)"))


def release(lock: int) -> None:
    if lock >= 0:
        os.close(lock)  # closing the descriptor releases the lock; the empty lock file stays, harmless


def _is_segment(name: str) -> bool:
    stem, _, suffix = name.partition(".")
    kind, _, number = stem.partition("-")
    return kind in ("assessments", "rejected") and number.isdigit() and suffix in ("jsonl", "jsonl.tmp")


class Outputs:
    """The batch's files. Each part's rejected rows, then its assessments, are whole files in
    DIR/partial/ written by the worker that assessed it (so a killed run leaves only whole lines,
    and a part's rejected rows whenever its assessments); a part in which the parent finds a
    repeated commune gets its rejected rows written again with the repeats. They are joined into
    assessments.jsonl (leaving out the repeats' lines) and rejected.jsonl, and `finish` writes the
    summaries and renames everything into place, summary.json last."""

    def __init__(self, out: Path, lang: str = "vi"):
        self.out, self.lang = out, lang
        self.final = {name: out / name for name in OUTPUT_FILES}
        self.segments = out / PARTIAL_DIR
        self.segments.mkdir(exist_ok=True)
        self.assessed: list[Path] = []
        self.rejected: list[Path] = []
        # assessments.jsonl.partial grows by each segment as its part comes back, in order, while
        # the workers go on (the segments stay whole until the end: a killed run keeps them)
        self.assessments = new_file(out / ("assessments.jsonl" + PARTIAL))

    def add_assessed(self, segment: Path, left_out: list[tuple[int, int]]) -> None:
        """A part's segment, but the (offset, length) ranges of the lines left out."""
        _append(self.assessments, segment, left_out)
        self.assessed.append(segment)

    def add_rejected(self, segment: Path, rejected: list[dict], written: bool) -> None:
        """A part's rejected rows (`segment`: its assessments' segment). `written`: the worker's
        segment of them holds them all already (no row of the part was found to repeat another)."""
        if rejected:
            path = rejected_segment(segment)
            if not written:
                write_whole(path, rejected_lines(rejected))
            self.rejected.append(path)

    def finish(self, summary_html: str, summary_json: str, ruleset_json: bytes) -> None:
        partial = {name: self.out / (name + PARTIAL) for name in OUTPUT_FILES}
        self.assessments.close()
        with new_file(partial["rejected.jsonl"]) as target:
            for segment in self.rejected:
                _append(target, segment, [])
        from ..reports.rejected import write_rejected_workbook

        write_rejected_workbook(self.rejected, partial["rejected.xlsx"], self.lang)
        for name, text in (("ruleset.json", ruleset_json), ("summary.html", summary_html.encode()),
                           ("summary.json", summary_json.encode())):
            with new_file(partial[name]) as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        for name in ("assessments.jsonl", "ruleset.json", "rejected.jsonl", "rejected.xlsx", "summary.html",
                     "summary.json"):
            os.replace(partial[name], self.final[name])
        for segment in self.assessed + self.rejected:
            segment.unlink()
        self.segments.rmdir()


def _copy(source, target) -> None:
    """All of `source` to the end of `target`, copied by the kernel where it can (Linux)."""
    target.flush()
    start = os.lseek(target.fileno(), 0, os.SEEK_END)
    size = os.fstat(source.fileno()).st_size
    copied = 0
    try:
        while copied < size:
            done = os.copy_file_range(source.fileno(), target.fileno(), size - copied)
            if done == 0:
                break
            copied += done
    except (AttributeError, OSError):  # not here, or not between these file systems: copy as bytes
        os.lseek(target.fileno(), start, os.SEEK_SET)
        os.ftruncate(target.fileno(), start)
        copied = 0
    target.seek(0, os.SEEK_END)
    if copied < size:
        source.seek(copied)
        shutil.copyfileobj(source, target, 1 << 20)


def _append(target, segment: Path, left_out: list[tuple[int, int]]) -> None:
    """Copy a segment's bytes to the end of `target`, but the (offset, length) ranges left out."""
    with open(segment, "rb") as source:
        if not left_out:
            _copy(source, target)
            return
        data = source.read()
    position = 0
    for offset, length in left_out:
        target.write(data[position:offset])
        position = offset + length
    target.write(data[position:])


def ruleset_file(ruleset: Ruleset, parts: dict[tuple[str, int], tuple[str, dict]]) -> bytes:
    """ruleset.json: the set's id and hash, and the static part of each resolved set (region or
    commune group, year) the batch's compact lines name (see `ntm_rules.lines`); `parts` maps each
    (dimension, year) to its (key, static part) (`static_of`)."""
    resolved = dict(parts[used] for used in sorted(parts))
    return dump_json({"id": ruleset.id, "sha256": ruleset.sha256, "path": str(ruleset.path), "resolved": resolved})




def static_of(ruleset: Ruleset, dimension: str, year: int) -> tuple[str, dict]:
    """(key, static part) of a resolved set, for ruleset.json."""
    resolved = resolve(ruleset, dimension, year)
    return resolved.key, static_part(statics_of(resolved))


def read_assessments(out_dir: str | os.PathLike) -> Iterator[dict]:
    """The assessments of a finished batch (DIR/assessments.jsonl), each as one self-contained
    dict in the shape of `ntm-assess --format json`, in the order they were written: compact
    lines are joined with the static part kept once in DIR/ruleset.json. Read a batch's results
    through this function: it is the one place that knows the file's shape."""
    out = Path(out_dir)
    shared = None

    def damaged(what: Say, name: str = "assessments.jsonl", number: int | None = None) -> InputError:
        return InputError(what, source=str(out / name) + (f":{number}" if number else ""),
                          fix=Say("chạy lại lượt đánh giá (⟪rerun_batch⟫)", "run the batch again (⟪rerun_batch⟫)"))

    try:
        handle = open(out / "assessments.jsonl", "rb")
    except OSError as error:
        raise damaged(Say(f"không đọc được kết quả ({error.strerror})", f"cannot read the results ({error.strerror})")) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise damaged(Say("dòng hỏng, không phải JSON", "a damaged line, not JSON"), number=number) from None
            if not isinstance(record, dict):
                raise damaged(Say("dòng không phải kết quả của một xã", "the line is not a commune's result"), number=number)
            if "resolved" not in record:  # written with --full
                yield record
                continue
            if shared is None:
                try:
                    shared = json.loads((out / "ruleset.json").read_bytes())
                    if not isinstance(shared, dict) or not isinstance(shared.get("resolved"), dict):
                        raise ValueError
                except OSError as error:
                    raise damaged(Say(f"thiếu phần chung của kết quả ({error.strerror})",
                                      f"the shared part of the results is missing ({error.strerror})"), "ruleset.json") from None
                except ValueError:
                    raise damaged(Say("phần chung của kết quả bị hỏng", "the shared part of the results is damaged"),
                                  "ruleset.json") from None
            static = shared["resolved"].get(record.get("resolved"))
            if static is None or (record.get("ruleset") or {}).get("sha256") != shared.get("sha256"):
                raise damaged(Say("dòng không khớp với phần chung trong ruleset.json (bộ tiêu chí khác, hoặc tệp bị sửa)",
                                  "the line does not match the shared part in ruleset.json (another ruleset, or an "
                                  "edited file)"), number=number)
            try:
                yield join(record, static)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise damaged(Say("dòng không khớp với phần chung trong ruleset.json",
                                  "the line does not match the shared part in ruleset.json"), number=number) from None
