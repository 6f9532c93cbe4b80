"""Batch assessment: many communes → assessments.jsonl, rejected.jsonl, summary.json, summary.html.

Rows are read lazily and assessed in chunks, in worker processes when the batch is large
(each worker has its own durable_rules host); results are written in input order and only a
small record per commune is kept for the summary, so memory stays flat however many
communes there are. Every input row ends in exactly one of assessments.jsonl and
rejected.jsonl.

One batch is assessed against one ruleset (the summary's figures only add up within one):
the caller's, else the one the first readable row names, else the national default. A row
that names a different ruleset is rejected and says how to assess it.
"""
from __future__ import annotations

import fcntl
import itertools
import json
import multiprocessing
import os
import shutil
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .assess import DEFAULT_RULESET, assess_document
from .inputs.rows import Row, document_of, flat_values
from .inputs.sources import InputFile, close_inputs, expand, jsonl_part, read_rows, scan
from .errors import InputError, InternalError, NtmError, OutputError, RulesetError, Say, internal_error
from .law.load import is_ruleset_id, load_ruleset, load_ruleset_id
from .law.resolve import resolve
from .lines import join, line as line_of, static_part
from .statics import statics_of
from .result import dump_json
from .law.schema import Ruleset
from .regions import exact
from .reports.summary import ProvincialSummary
from .reports.tallies import SummaryBuilder, summary_record

CHUNK = 250
PARALLEL_FROM = 500  # rows (two chunks): measured crossover, benchmarks/batch.py and the note of issue 18
OUTPUT_FILES = ("assessments.jsonl", "ruleset.json", "rejected.jsonl", "rejected.xlsx", "summary.json", "summary.html")
# While a batch runs, every chunk of rows becomes one whole file in DIR/partial/ (written under a
# temporary name, then renamed); the outputs appear under their names only when complete.
PARTIAL_DIR = "partial"
PARTIAL = ".partial"
INTERNAL = "internal"  # the status of a row that met a bug of ours (counted apart, exit 3)
COMMUNE_KEYS = ("name", "district", "province", "code")


@dataclass
class BatchResult:
    summary: ProvincialSummary
    out_dir: Path
    files: dict[str, Path]


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch: how far it got; the outputs in the folder are incomplete."""

    def __init__(self, done: int, total: int | None, out_dir: Path):
        self.done, self.total, self.out_dir = done, total, out_dir
        of = f" of {total}" if total is not None else ""
        super().__init__(f"stopped after {done}{of} rows; the outputs in {out_dir} are incomplete "
                         f"(run again with --overwrite)")


def _assess_chunk(task, ruleset_path: str, caller_chose: bool, lang: str = "vi", full: bool = False,
                  details: bool = True, segment: str | None = None) -> tuple[int, list[tuple]]:
    """Assess one part of the inputs: rows (Row fields as tuples, cheap to send to a worker), or
    ("part", path, descriptor, first byte, end byte, first line number) of a JSON Lines file,
    read here from the descriptor the scan kept open (inherited by a forked worker).

    Returns (rows read, results): per row, in order, ("ok", summary record, JSON line) or
    ("rejected" | INTERNAL, rejected record, None). With `segment`, the lines of the rows assessed
    are written there (a whole file, written under a temporary name, then renamed) and each "ok"
    result carries its line's length in bytes instead. The line is compact (see
    `ntm_rules.lines`) unless `full`; the summary record says which resolved set it needs
    ("resolved": (region or group, year)) and carries the failing indicators in full only with
    `details`. Nothing a row holds stops the part.
    """
    ruleset = load_ruleset(ruleset_path)
    rows = jsonl_part(*task[1:]) if task and task[0] == "part" else [Row(*fields) for fields in task]
    out = []
    for row in rows:
        status = "rejected"
        document = None
        try:
            document, error = document_of(row)
            if error is None:
                named = document.get("ruleset")
                if not caller_chose and named not in (None, ruleset.id) and isinstance(named, str) and is_ruleset_id(named):
                    error = Say(f"ruleset: dòng ghi bộ tiêu chí {named!r} nhưng lượt này đánh giá theo {ruleset.id!r}; "
                                f"cách sửa: đánh giá các dòng này riêng, với --ruleset {named}",
                                f"ruleset: the row names {named!r} but this batch assesses against {ruleset.id!r}; "
                                f"fix: assess these rows in their own batch with --ruleset {named}")
                else:
                    assessment = assess_document(document, ruleset if caller_chose or named in (None, ruleset.id) else None,
                                                 from_json=row.text is not None)
                    record = summary_record(assessment, row, details)
                    dimension = assessment.region or str(assessment.commune_group)
                    record["resolved"] = (dimension, assessment.year)
                    record["keys"] = commune_keys(record)  # in the worker: the parent only compares them
                    if full:
                        line = dump_json(assessment)
                    else:
                        line = dump_json(line_of(assessment, resolve(ruleset, dimension, assessment.year).key))
                    out.append(("ok", record, line))
                    continue
        except InputError as problem:
            error = Say(problem.line("vi"), problem.line("en"))
        except RulesetError as problem:
            error = problem.problems[0]
        except NtmError as problem:  # the engine or a bug of ours: the row is kept, the batch ends in exit 3
            status, error = INTERNAL, str(problem).splitlines()[0]
        except Exception as problem:
            status, error = INTERNAL, str(internal_error(problem))
        out.append((status, rejected_record(row, error, document, lang), None))
    if segment is not None:
        # the rejected rows first: a killed run that left a part's assessments left its rejected rows too
        rejected = [item for status, item, _ in out if status != "ok"]
        if rejected:
            _write_whole(rejected_segment(Path(segment)), rejected_lines(rejected))
        lines = [line for status, _, line in out if status == "ok"]
        if lines:
            _write_whole(Path(segment), b"".join(line + b"\n" for line in lines))
        out = [(status, item, len(line) + 1 if status == "ok" else None) for status, item, line in out]
    return len(rows), out


def rejected_segment(segment: Path) -> Path:
    """The rejected rows' segment of the part whose assessments are in `segment`."""
    return segment.with_name("rejected-" + segment.name.partition("-")[2])


def rejected_lines(rejected: list[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rejected)


def _write_whole(path: Path, data: bytes) -> None:
    """A file that is whole or absent: written under a temporary name, then renamed."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def rejected_record(row: Row, error, document, lang: str) -> dict:
    """A rejected row as rejected.jsonl keeps it: where, why (in the batch's language), the commune
    it names (to answer for a registered commune) and its cells (for rejected.xlsx)."""
    record = {"source": row.source, "row": row.row, "error": error(lang) if isinstance(error, Say) else error}
    if row.sheet:
        record["sheet"] = row.sheet
    if isinstance(document, dict) and isinstance(document.get("commune"), dict):
        commune = {k: v for k, v in document["commune"].items() if isinstance(v, str) and k in COMMUNE_KEYS}
        if commune:
            record["commune"] = commune
    values = row.values if row.values is not None else flat_values(document)
    if values:
        record["values"] = {str(k): v for k, v in values.items()}
    return record


def commune_keys(record: dict) -> tuple[str, tuple[str, str, str]]:
    """A commune as `_Seen` compares it: its code, and its name, district and province (`exact`)."""
    return exact(record.get("code") or ""), (exact(record["name"]), exact(record.get("district") or ""),
                                             exact(record.get("province") or ""))


class _Seen:
    """The communes already counted, by code and by name + district + province (exact, accents
    kept): a row that repeats one is rejected, naming the row it repeats."""

    def __init__(self, lang: str):
        self.lang = lang
        self.codes: dict[str, str] = {}
        self.names: dict[tuple, str] = {}

    def duplicate(self, record: dict) -> dict | None:
        code, name = record.get("keys") or commune_keys(record)
        by_code = bool(code) and code in self.codes
        first = self.codes[code] if by_code else self.names.get(name)
        if first is None:
            if code:
                self.codes[code] = record["where"]
            self.names[name] = record["where"]
            return None
        what = Say(f"trùng với dòng {first} (cùng {'mã xã' if by_code else 'tên xã, huyện, tỉnh'}); "
                   "cách sửa: giữ một dòng cho mỗi xã", f"repeats row {first} (the same "
                   f"{'commune code' if by_code else 'name, district and province'}); fix: keep one row per commune")
        out = {"source": record["source"], "row": record["row"], "error": what(self.lang),
               "commune": {k: record[k] for k in ("name", "district", "province", "code") if record.get(k)}}
        if record.get("sheet"):
            out["sheet"] = record["sheet"]
        return out


class _Tasks:
    """The inputs as parts for the workers, in order: a JSON Lines file as byte ranges (see
    `InputFile.parts`; the workers read them), any other file as lists of rows read here. Rows are
    counted as the workers report them read, so that the summary can check that every row read
    came back assessed or rejected."""

    def __init__(self, scanned: list, jobs: int = 1):
        self.scanned, self.jobs, self.read = scanned, jobs, 0

    def __iter__(self) -> Iterator:
        for file in self.scanned:
            if file.parts is not None:
                yield from self._ranges(file)
                continue
            rows = read_rows([file.path])
            while True:
                chunk = [(r.source, r.row, r.document, r.error, r.text, r.sheet, r.values)
                         for r in itertools.islice(rows, CHUNK)]
                if not chunk:
                    break
                yield chunk

    def _ranges(self, file) -> Iterator[tuple]:
        """Two parts of PART_LINES lines a task, but the last few: one each, so that the workers
        end close together."""
        parts, single = file.parts, 2 * self.jobs
        k = 0
        while k < len(parts):
            take = 2 if len(parts) - k > single + 1 else 1
            (start, _, number), (_, end, _) = parts[k], parts[k + take - 1]
            yield ("part", str(file.path), file.fd, start, end, number)
            k += take


def _worker_start() -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent decides, workers go on quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A worker ends with its parent, even one killed outright (Linux: PR_SET_PDEATHSIG).
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before the line above ran
        os._exit(1)


def _results(tasks: Iterable, segments: Path, ruleset_path: str, caller_chose: bool, jobs: int,
             lang: str, full: bool = False, details: bool = True) -> Iterator[tuple[Path, int, list]]:
    """(segment, rows read, results) of every task in order; the workers write each task's
    assessments into its own segment file (`_assess_chunk`)."""
    numbered = ((task, segments / f"assessments-{k:06d}.jsonl") for k, task in enumerate(tasks, start=1))
    if jobs <= 1:
        for task, segment in numbered:
            yield (segment, *_assess_chunk(task, ruleset_path, caller_chose, lang, full, details, str(segment)))
        return
    # fork: workers start at once with the ruleset already loaded; the host they inherit is
    # idle (ours runs no background threads), and each then owns its copy.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_start)
    try:
        pending: deque = deque()
        for task, segment in numbered:
            pending.append((segment, pool.submit(_assess_chunk, task, ruleset_path, caller_chose, lang, full, details,
                                                 str(segment))))
            if len(pending) >= jobs * 3:  # bounded: never read far ahead of what is written
                segment, future = pending.popleft()
                yield (segment, *future.result())
        while pending:
            segment, future = pending.popleft()
            yield (segment, *future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _choose_ruleset(scanned: list[InputFile], rows: Iterator[Row], ruleset) -> tuple[Ruleset, bool, Iterator[Row], Say]:
    """The batch's ruleset and why: the caller's (--ruleset); else the one the template recorded
    in the workbook; else the one the first readable row names; else the province's own set when
    every row is in one province that has its own set in force for the years; else the national
    set in force for them."""
    recorded = {f.ruleset for f in scanned if f.ruleset}
    if ruleset is not None:
        chosen = load_ruleset(ruleset)
        reason = Say("chọn bằng --ruleset", "chosen with --ruleset")
        if recorded - {chosen.id}:
            names = ", ".join(sorted(recorded))
            reason = Say(f"chọn bằng --ruleset (sổ tính ghi {names}; --ruleset được dùng)",
                         f"chosen with --ruleset (the workbook records {names}; --ruleset wins)")
        return chosen, True, rows, reason
    if len(recorded) > 1:
        names = ", ".join(sorted(recorded))
        raise InputError(Say(f"các sổ tính ghi những bộ tiêu chí khác nhau ({names})",
                             f"the workbooks record different rulesets ({names})"), field="ruleset",
                         fix=Say("đánh giá mỗi bộ tiêu chí một lượt, hoặc chọn bằng --ruleset",
                                 "assess each ruleset in its own batch, or choose one with --ruleset"))
    if recorded:
        named = next(iter(recorded))
        try:
            chosen = load_ruleset_id(named)
        except RulesetError:
            raise InputError(Say(f"sổ tính ghi bộ tiêu chí {named!r} mà máy này không có",
                                 f"the workbook records the ruleset {named!r}, which is not installed here"),
                             field="ruleset", fix=Say("cài bộ đó vào NTM_RULESETS_PATH, hoặc chọn bằng --ruleset",
                                                      "install it in NTM_RULESETS_PATH, or choose one with --ruleset")) from None
        return chosen, False, rows, Say(f"ghi trong sổ tính (mẫu của bộ {named})",
                                        f"recorded in the workbook (the template of {named})")
    head: list[Row] = []
    named = None
    for row in rows:
        head.append(row)
        document, _ = document_of(row)
        if document is not None:
            value = document.get("ruleset")
            named = value if isinstance(value, str) and is_ruleset_id(value) else None
            break
    rows = itertools.chain(head, rows)
    if named:
        try:
            return load_ruleset_id(named), False, rows, Say(f"dòng đầu ghi bộ tiêu chí {named}",
                                                            f"the first row names {named}")
        except RulesetError:
            pass  # the row itself will be rejected naming the unknown ruleset
    return _with_rows(_in_force(scanned), rows)


def _with_rows(chosen: tuple[Ruleset, Say], rows: Iterator[Row]) -> tuple[Ruleset, bool, Iterator[Row], Say]:
    return chosen[0], False, rows, chosen[1]


def _in_force(scanned: list[InputFile]) -> tuple[Ruleset, Say]:
    """The set in force for the rows' years: the province's own when every row is in one province
    that has one installed, else the national one (none in force: InputError naming the period)."""
    from .law.load import in_force_for

    places = [f.places() for f in scanned]
    provinces = set().union(*(p for p, _ in places)) if places else set()
    years = set().union(*(y for _, y in places)) if places else set()
    if not years:  # no readable year: every row will be rejected for it
        return load_ruleset(DEFAULT_RULESET), Say("bộ quốc gia (không dòng nào ghi năm đọc được)",
                                                  "the national set (no row gives a readable year)")
    province = next(iter(provinces)) if len(provinces) == 1 and "" not in provinces else None
    chosen, reason = in_force_for(years, None, province)
    if province is None and len(provinces) > 1:
        reason = Say(reason.vi + " (các dòng thuộc nhiều tỉnh)", reason.en + " (the rows are in several provinces)")
    return chosen, reason


def _output_error(out: Path, error: OSError) -> OutputError:
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
        raise OutputError(Say("--out: chưa chỉ thư mục ghi kết quả; cách sửa: ghi tên một thư mục",
                              "--out: no output folder given; fix: name a folder for the outputs"))
    out = Path(out_dir)
    lock = -1
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not out.is_dir():
            raise NotADirectoryError(20, "not a folder")
        lock = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(Say(f"{out}: một lượt đánh giá khác đang ghi vào thư mục này; cách sửa: đợi lượt đó xong, "
                                  "hoặc chọn thư mục --out khác",
                                  f"{out}: another batch is writing into this folder now; fix: wait for it to end, "
                                  "or choose another --out folder")) from None
        earlier = [out / name for name in OUTPUT_FILES + tuple(n + PARTIAL for n in OUTPUT_FILES)
                   if (out / name).exists() or (out / name).is_symlink()]
        segments = out / PARTIAL_DIR
        if segments.is_symlink() or (segments.exists() and not segments.is_dir()):
            raise OutputError(Say(f"{segments}: không phải thư mục của công cụ này; cách sửa: xóa nó, hoặc chọn thư mục --out khác",
                                  f"{segments}: is not a folder of this tool's; fix: remove it, or choose another --out folder"))
        if segments.is_dir():
            earlier += sorted(p for p in segments.iterdir() if _is_segment(p.name))
        if earlier and not overwrite:
            shown = earlier[0].relative_to(out)
            raise OutputError(Say(f"{out}: thư mục đang có kết quả của lần chạy trước ({shown}); "
                                  "cách sửa: chọn thư mục --out khác, hoặc thêm --overwrite để ghi đè",
                                  f"{out}: the folder holds the outputs of an earlier run ({shown}); "
                                  "fix: choose another --out folder, or add --overwrite to replace them"))
        for path in earlier:
            path.unlink()
        if segments.is_dir() and not segments.is_symlink() and not any(segments.iterdir()):
            segments.rmdir()
        probe = out / f".ntm-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        _release(lock)
        raise _output_error(out, error) from None
    except BaseException:
        _release(lock)
        raise
    return out, lock


def _release(lock: int) -> None:
    if lock >= 0:
        os.close(lock)  # closing the descriptor releases the lock; the empty lock file stays, harmless


def _is_segment(name: str) -> bool:
    stem, _, suffix = name.partition(".")
    kind, _, number = stem.partition("-")
    return kind in ("assessments", "rejected") and number.isdigit() and suffix in ("jsonl", "jsonl.tmp")


class _Outputs:
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
        self.assessments = open(out / ("assessments.jsonl" + PARTIAL), "wb")

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
                _write_whole(path, rejected_lines(rejected))
            self.rejected.append(path)

    def finish(self, summary_html: str, summary_json: str, ruleset_json: bytes) -> None:
        partial = {name: self.out / (name + PARTIAL) for name in OUTPUT_FILES}
        self.assessments.close()
        with open(partial["rejected.jsonl"], "wb") as target:
            for segment in self.rejected:
                _append(target, segment, [])
        from .reports.rejected import write_rejected_workbook

        write_rejected_workbook(self.rejected, partial["rejected.xlsx"], self.lang)
        for name, text in (("ruleset.json", ruleset_json), ("summary.html", summary_html.encode()),
                           ("summary.json", summary_json.encode())):
            with open(partial[name], "wb") as handle:
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


def run_batch(inputs: Iterable[str | os.PathLike], out_dir: str | os.PathLike, *,
              ruleset: str | os.PathLike | Ruleset | None = None, registered: list[dict] | None = None,
              jobs: int | None = None, lang: str = "vi", overwrite: bool = False, full: bool = False,
              on_total: Callable[[int | None], None] | None = None,
              on_progress: Callable[[int], None] | None = None) -> BatchResult:
    """Assess every row of the inputs and write the batch output files into out_dir.

    Raises InputError when an input cannot be used, RulesetError for an unusable ruleset and
    OutputError for an output folder that cannot be written (or holds an earlier run's outputs
    and `overwrite` is false), all before any row is assessed; bad rows never raise, they go to
    rejected.jsonl. Ctrl-C raises BatchInterrupted (a KeyboardInterrupt) and leaves what was
    done in DIR/partial/ (whole files of whole lines), never a summary that claims to be complete.
    """
    if lang not in ("vi", "en"):
        raise InputError(Say(f"ngôn ngữ không có: {lang!r}", f"unknown language {lang!r}"), field="lang",
                         fix=Say("dùng vi hoặc en", "use vi or en"))
    if registered is not None:
        from .inputs.registered import check_registered
        registered = check_registered(registered)
    files = expand(inputs)
    scanned = scan(files)
    try:
        return _batch(files, scanned, out_dir, ruleset, registered, jobs, lang, overwrite, full, on_total, on_progress)
    finally:
        close_inputs(scanned)


def _batch(files, scanned, out_dir, ruleset, registered, jobs, lang, overwrite, full, on_total,
           on_progress) -> BatchResult:
    total = None if any(f.rows is None for f in scanned) else sum(f.rows for f in scanned)
    if on_total:
        on_total(total)
    chosen, caller_chose, _, reason = _choose_ruleset(scanned, read_rows(files), ruleset)
    if not chosen.path:
        raise RulesetError([f"{chosen.id}: a batch needs a ruleset loaded from a file; fix: pass its id or path"])
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8) if total is None or total >= PARALLEL_FROM else 1
    if total is not None:
        jobs = max(1, min(jobs, -(-total // CHUNK)))  # never more workers than chunks
    out, lock = prepare_output(out_dir, overwrite)
    try:
        return _run(scanned, total, chosen, caller_chose, jobs, out, registered, lang, on_progress, reason, full)
    finally:
        _release(lock)


def _warm_up() -> None:
    """Import and compile what `finish` needs (the workbook writer, the summary page's template) while
    the workers assess."""
    try:
        import xlsxwriter  # noqa: F401

        from .reports.html import warm_up

        warm_up()
    except Exception:
        pass


def _run(scanned, total, chosen, caller_chose, jobs, out, registered, lang, on_progress, reason,
         full=False) -> BatchResult:
    if jobs > 1:
        import threading

        threading.Thread(target=_warm_up, name="ntm-warm-up", daemon=True).start()
    builder = SummaryBuilder(chosen, registered)
    internal = 0
    try:
        outputs = _Outputs(out, lang)
    except OSError as error:
        raise _output_error(out, error) from None
    tasks = _Tasks(scanned, jobs)
    seen = _Seen(lang)
    try:
        used: dict[tuple[str, int], tuple[str, dict]] = {}
        for segment, read, results in _results(tasks, outputs.segments, str(chosen.path), caller_chose, jobs, lang,
                                                full, bool(registered)):
            tasks.read += read
            rejected, left_out, offset = [], [], 0
            for status, item, length in results:
                if status == "ok":
                    duplicate = seen.duplicate(item)
                    offset += length
                    if duplicate is None:
                        key = tuple(item.pop("resolved"))
                        if key not in used:  # its part of ruleset.json, built while the workers assess
                            used[key] = static_of(chosen, *key)
                        builder.add(item)
                        continue
                    left_out.append((offset - length, length))  # its line is left out of assessments.jsonl
                    status, item = "rejected", duplicate
                rejected.append(item)
                builder.reject(item)
                internal += status == INTERNAL
            if offset:
                outputs.add_assessed(segment, left_out)
            outputs.add_rejected(segment, rejected, written=not left_out)
            if on_progress:
                on_progress(len(results))
        summary = builder.result(
            inputs=[{"path": str(f.path), "sha256": f.sha256, "bytes": f.size} for f in scanned],
            internal_errors=internal, reason=reason,
            sheets_skipped=[f"{s.source} [{s.sheet}]" for f in scanned for s in f.sheets if not s.read],
            columns_ignored=[f"{s.source}{f' [{s.sheet}]' if s.sheet else ''}: {c}" for f in scanned for s in f.sheets
                             for c in s.ignored])
        if tasks.read != summary.assessed + summary.rejected:  # a bug if it happens: never a summary then
            raise InternalError(f"{tasks.read} rows read but {summary.assessed} assessed and {summary.rejected} "
                                f"rejected; the outputs in {out} are incomplete")
        from .reports.html import summary_html

        outputs.finish(summary_html(summary, lang=lang), summary.model_dump_json(indent=2) + "\n",
                       ruleset_file(chosen, used))
    except KeyboardInterrupt:
        raise BatchInterrupted(builder.rows_read, total, out) from None
    except OSError as error:
        raise _output_error(out, error) from None
    return BatchResult(summary=summary, out_dir=out, files=dict(outputs.final))


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
                          fix=Say("chạy lại lượt đánh giá (ntm-assess batch ... --overwrite)",
                                  "run the batch again (ntm-assess batch ... --overwrite)"))

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
