"""Batch assessment: many communes → assessments.jsonl, rejected.jsonl, rejected.xlsx, ruleset.json,
summary.json, summary.html.

The flow, one step a module:
- the inputs are read once (`inputs.sources.scan`): hashed, counted, refused whole when they
  cannot be used (before anything is written); a table's or JSON document's rows are spilled as
  JSON Lines (`inputs/spill.py`), a JSON Lines input is read in place: every input is parts;
- the set is chosen once (`choose.py`);
- workers assess parts and write their lines, and send back a small record per row (`work.py`);
- the parent rejects a commune repeated across parts, joins the parts in input order, counts the
  summary from the records, and puts every output in place, summary.json last (`outputs.py`).
A worker's memory is bounded whatever the number of communes (its caches are); the parent keeps
the records' counts and one row of the summary's appendix per commune (about 1.7 kB with its share
of the page).
Every input row ends in exactly one of assessments.jsonl and rejected.jsonl.
"""
from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..collector import resting
from ..errors import InputError, InternalError, RulesetError, Say, worded
from ..files import contents
from ..inputs.sized import changed
from ..inputs.sources import close_inputs, expand, scan
from ..law.schema import Ruleset
from ..reports.appendix import Appendix
from ..reports.summary import ProvincialSummary
from ..reports.tallies import SummaryBuilder
from .choose import choose_ruleset
from .outputs import Outputs, output_error, prepare_output, read_assessments, release, ruleset_file, static_of
from .work import INTERNAL, Tasks, results

__all__ = ["run_batch", "read_assessments", "BatchResult", "BatchInterrupted"]

PART_ROWS = 125  # (see inputs/spill.py)
PARALLEL_FROM = 500  # rows (four parts): measured crossover, benchmarks/batch.py and the note of issue 18


@dataclass
class BatchResult:
    summary: ProvincialSummary
    out_dir: Path
    files: dict[str, Path]


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch (or a worker killed): how far it got; the outputs in the folder are incomplete."""

    def __init__(self, done: int, total: int | None, out_dir: Path, why: str = ""):
        self.done, self.total, self.out_dir = done, total, out_dir
        of = f" of {total}" if total is not None else ""
        super().__init__(f"{why}stopped after {done}{of} rows; the outputs in {out_dir} are incomplete "
                         f"({worded('⟪rerun_batch⟫', 'en')})")


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
        from ..inputs.registered import check_registered
        registered = check_registered(registered)
    files = expand(inputs)
    scanned = scan(files)
    try:
        return _batch(scanned, out_dir, ruleset, registered, jobs, lang, overwrite, full, on_total, on_progress)
    finally:
        close_inputs(scanned)


def _batch(scanned, out_dir, ruleset, registered, jobs, lang, overwrite, full, on_total,
           on_progress) -> BatchResult:
    total = None if any(f.rows is None for f in scanned) else sum(f.rows for f in scanned)
    if on_total:
        on_total(total)
    chosen, caller_chose, reason = choose_ruleset(scanned, ruleset)
    if not chosen.path:
        raise RulesetError([f"{chosen.id}: a batch needs a ruleset loaded from a file; fix: pass its id or path"])
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8) if total is None or total >= PARALLEL_FROM else 1
    if total is not None:
        jobs = max(1, min(jobs, -(-total // PART_ROWS)))  # never more workers than parts
    out, lock = prepare_output(out_dir, overwrite)
    try:
        # What the parent makes per row (the workers' records, the tallies) dies by reference
        # counting or lives to the end: the collector rests until the outputs are in place
        # (collector.py; it took about 0.1 s of the parent's 0.6 s of CPU for 10 000 rows).
        with resting():
            return _run(scanned, total, chosen, caller_chose, jobs, out, registered, lang, on_progress, reason, full)
    finally:
        release(lock)


def _warm_up(lang: str) -> None:
    """Import, compile and read what `finish` needs (the workbook writer, the summary page's
    templates, the language's number formats) while the workers assess."""
    try:
        import xlsxwriter  # noqa: F401

        from ..reports.html import warm_up

        warm_up(lang)
    except Exception:
        pass


def _run(scanned, total, chosen, caller_chose, jobs, out, registered, lang, on_progress, reason,
         full=False) -> BatchResult:
    if jobs > 1:
        import threading

        from .. import places

        places.warm()  # before the workers fork: they share the directory's indexes
        threading.Thread(target=_warm_up, args=(lang,), name="ntm-warm-up", daemon=True).start()
    builder = SummaryBuilder(chosen, registered, Appendix(lang))
    internal = 0
    try:
        outputs = Outputs(out, lang)
    except OSError as error:
        raise output_error(out, error) from None
    tasks = Tasks(scanned, jobs)
    seen = _Seen(lang)
    try:
        used: dict[tuple[str, int], tuple[str, dict]] = {}
        for segment, read, found in results(tasks, outputs.segments, str(chosen.path), caller_chose, jobs, lang,
                                                full, bool(registered)):
            tasks.read += read
            rejected, left_out, offset = [], [], 0
            for status, item, length in found:
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
                on_progress(len(found))
        for f in scanned:  # a JSON Lines file is read by the workers from its descriptor: still the one hashed?
            if not f.spilled and f.fd is not None and contents(os.fstat(f.fd)) != f.contents:
                raise changed(f.path)  # (written to in place meanwhile: never a summary of other rows)
        summary = builder.result(
            inputs=[{"path": str(f.path), "sha256": f.sha256, "bytes": f.size} for f in scanned],
            internal_errors=internal, reason=reason, rows_read=tasks.read,
            sheets_skipped=[f"{s.source} [{s.sheet}]" for f in scanned for s in f.sheets if not s.read],
            columns_ignored=[f"{s.source}{f' [{s.sheet}]' if s.sheet else ''}: {c}" for f in scanned for s in f.sheets
                             for c in s.ignored])
        if summary.rows_read != summary.assessed + summary.rejected:  # a bug if it happens: never a summary then
            raise InternalError(f"{summary.rows_read} rows read but {summary.assessed} assessed and {summary.rejected} "
                                f"rejected; the outputs in {out} are incomplete")
        from ..reports.html import summary_html

        outputs.finish(summary_html(summary, lang=lang, communes=builder.appendix), summary.model_dump_json(indent=2) + "\n",
                       ruleset_file(chosen, used))
    except KeyboardInterrupt:
        raise BatchInterrupted(builder.rows_read, total, out) from None
    except BrokenProcessPool:  # a worker was killed (by the system, or by hand): the machine's doing, not a bug
        raise BatchInterrupted(builder.rows_read, total, out, "the batch was interrupted (a worker was killed): ") \
            from None
    except OSError as error:
        raise output_error(out, error) from None
    return BatchResult(summary=summary, out_dir=out, files=dict(outputs.final))


class _Seen:
    """The communes already assessed, by every identity key of theirs (`places.Place.keys`: the
    official unit however its name is spelt, or, for a commune the directory does not know, its
    name within its district and province and its code): a row that shares one with an earlier row
    is rejected, naming that row and what they share."""

    def __init__(self, lang: str):
        self.lang = lang
        self.rows: dict[str, str] = {}

    def duplicate(self, record: dict) -> dict | None:
        keys, rows = record["keys"], self.rows
        for shared in keys:
            if shared in rows:
                break
        else:
            for key in keys:
                rows[key] = record["where"]
            return None
        first = self.rows[shared]
        _, official, _, code = record["place"]
        if shared.startswith("c"):  # one official unit
            same = Say(f"cùng xã {official}, mã {code}", f"the same commune, {official}, code {code}")
        elif shared.startswith("k:"):
            same = Say("cùng mã xã", "the same commune code")
        else:
            same = Say("cùng tên xã, huyện, tỉnh", "the same name, district and province")
        what = Say(f"trùng với dòng {first} ({same.vi}); cách sửa: giữ một dòng cho mỗi xã",
                   f"repeats row {first} ({same.en}); fix: keep one row per commune")
        out = {"source": record["source"], "row": record["row"], "error": what(self.lang),
               "commune": {k: record[k] for k in ("name", "district", "province", "code") if record.get(k)},
               "keys": keys}
        if record.get("sheet"):
            out["sheet"] = record["sheet"]
        return out
