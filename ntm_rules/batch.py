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

import itertools
import json
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .assess import DEFAULT_RULESET, assess
from .batch_input import Row, count_rows, document_of, expand, read_rows
from .errors import InputError, NtmError, RulesetError
from .loader import load_ruleset
from .result import dump_json
from .schema import Ruleset
from .summary import ProvincialSummary, SummaryBuilder, summary_record

CHUNK = 250
PARALLEL_FROM = 2_000  # rows; below this, starting workers costs more than it saves
OUTPUT_FILES = ("assessments.jsonl", "rejected.jsonl", "summary.json", "summary.html")


@dataclass
class BatchResult:
    summary: ProvincialSummary
    out_dir: Path
    files: dict[str, Path]


def _assess_chunk(rows: list[tuple], ruleset_path: str, caller_chose: bool) -> tuple[bytes, list[tuple]]:
    """Assess rows (Row fields as tuples, cheap to send to a worker).

    Returns the chunk's assessments as JSON Lines bytes and, per row in order, either
    ("ok", summary record) or ("rejected", {"source", "row", "error"}).
    """
    ruleset = load_ruleset(ruleset_path)
    lines: list[bytes] = []
    out = []
    for fields in rows:
        row = Row(*fields)
        document, error = document_of(row)
        if error is None:
            named = document.get("ruleset")
            if not caller_chose and named not in (None, ruleset.id) and isinstance(named, str):
                error = (f"ruleset: the row names {named!r} but this batch assesses against {ruleset.id!r}; "
                         f"fix: assess these rows in their own batch with --ruleset {named}")
            else:
                try:
                    assessment = assess(document, ruleset=ruleset)
                except NtmError as problem:
                    error = problem.line() if isinstance(problem, InputError) else str(problem).splitlines()[0]
                else:
                    lines.append(dump_json(assessment))
                    out.append(("ok", summary_record(assessment)))
                    continue
        out.append(("rejected", {"source": row.source, "row": row.row, "error": error}))
    return b"".join(line + b"\n" for line in lines), out


def _chunks(rows: Iterator[Row]) -> Iterator[list[tuple]]:
    while True:
        chunk = [(r.source, r.row, r.document, r.error, r.text) for r in itertools.islice(rows, CHUNK)]
        if not chunk:
            return
        yield chunk


def _results(chunks: Iterator[list[tuple]], ruleset_path: str, caller_chose: bool, jobs: int) -> Iterator[tuple]:
    if jobs <= 1:
        for chunk in chunks:
            yield _assess_chunk(chunk, ruleset_path, caller_chose)
        return
    # fork: workers start at once with the ruleset already loaded; the host they inherit is
    # idle (ours runs no background threads), and each then owns its copy.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(_assess_chunk, chunk, ruleset_path, caller_chose))
            if len(pending) >= jobs * 3:  # bounded: never read far ahead of what is written
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _choose_ruleset(rows: Iterator[Row], ruleset) -> tuple[Ruleset, bool, Iterator[Row]]:
    if ruleset is not None:
        return load_ruleset(ruleset), True, rows
    head: list[Row] = []
    named = None
    for row in rows:
        head.append(row)
        document, _ = document_of(row)
        if document is not None:
            value = document.get("ruleset")
            named = value if isinstance(value, str) else None
            break
    rows = itertools.chain(head, rows)
    if named:
        try:
            return load_ruleset(named), False, rows
        except RulesetError:
            pass  # the row itself will be rejected naming the unknown ruleset
    return load_ruleset(DEFAULT_RULESET), False, rows


def run_batch(inputs: Iterable[str | os.PathLike], out_dir: str | os.PathLike, *,
              ruleset: str | os.PathLike | Ruleset | None = None, registered: list[dict] | None = None,
              jobs: int | None = None, lang: str = "vi",
              on_total: Callable[[int | None], None] | None = None,
              on_progress: Callable[[int], None] | None = None) -> BatchResult:
    """Assess every row of the inputs and write the batch output files into out_dir.

    Raises InputError when an input path cannot be used and RulesetError for an unusable
    ruleset (before anything is written); bad rows never raise, they go to rejected.jsonl.
    """
    files = expand(inputs)
    total = count_rows(files)
    if on_total:
        on_total(total)
    chosen, caller_chose, rows = _choose_ruleset(read_rows(files), ruleset)
    if not chosen.path:
        raise RulesetError([f"{chosen.id}: a batch needs a ruleset loaded from a file; fix: pass its id or path"])
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8) if total is None or total >= PARALLEL_FROM else 1
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder ({error.strerror})", source=str(out),
                         fix="choose a folder you can write to") from None
    paths = {name: out / name for name in OUTPUT_FILES}
    builder = SummaryBuilder(chosen, registered)
    with paths["assessments.jsonl"].open("wb") as assessed, \
            paths["rejected.jsonl"].open("w", encoding="utf-8") as rejected:
        for lines, results in _results(_chunks(rows), str(chosen.path), caller_chose, jobs):
            assessed.write(lines)
            for item in results:
                if item[0] == "ok":
                    builder.add(item[1])
                else:
                    rejected.write(json.dumps(item[1], ensure_ascii=False))
                    rejected.write("\n")
                    builder.reject()
            if on_progress:
                on_progress(len(results))
    summary = builder.result()
    paths["summary.json"].write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    from .html_report import summary_html

    paths["summary.html"].write_text(summary_html(summary, lang=lang), encoding="utf-8")
    return BatchResult(summary=summary, out_dir=out, files=paths)
