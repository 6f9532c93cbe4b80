"""The batch's workers: each assesses parts of the inputs (read by position from the file the scan
kept open: a JSON Lines input, or the rows it read of a table), writes their lines, and sends back
per row a small record of its outcome (`tally`) or the row's rejection.

Every input is a list of parts (`InputFile.parts`); a task is two parts, but the last few, one
each, so that the workers end together. With more than one job the workers are forked processes
(each with its own rules engine, started with the chosen set already loaded).
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator

from ..assess import assess_document, evaluate_document
from ..collector import resting
from ..errors import InputError, NtmError, RulesetError, Say, internal_error
from ..inputs.document import document_model, parse_document
from ..inputs.rows import Row, document_of, flat_values
from ..inputs.sources import jsonl_part
from ..inputs.spill import spilled_part
from ..law.check import is_ruleset_id
from ..limits import MAX_TEXT
from ..law.load import load_ruleset
from ..lines import line as line_of
from ..acting import acting_of
from .. import places
from ..reports.summary import FAILING_FIELDS
from ..result import dump_json
from .outputs import rejected_lines, rejected_segment, write_whole

INTERNAL = "internal"  # the status of a row that met a bug of ours (counted apart, exit 3)
COMMUNE_KEYS = ("name", "district", "province", "code")


class Tasks:
    """The inputs as tasks for the workers, in order. Rows are counted as the workers report them
    read, so that the summary can check that every row read came back assessed or rejected."""

    def __init__(self, scanned: list, jobs: int = 1):
        self.scanned, self.jobs, self.read = scanned, jobs, 0

    def __iter__(self) -> Iterator[tuple]:
        for file in self.scanned:
            parts, single = file.parts, 2 * self.jobs
            k = 0
            while k < len(parts):
                take = 2 if len(parts) - k > single + 1 else 1
                (start, _, number), (_, end, _) = parts[k], parts[k + take - 1]
                yield ("spill" if file.spilled else "lines", str(file.path), file.fd, start, end, number)
                k += take


def rows_of(task: tuple) -> list[Row]:
    kind, path, fd, start, end, number = task
    return spilled_part(path, fd, start, end) if kind == "spill" else jsonl_part(path, fd, start, end, number)


def worker_start() -> None:
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
    # What the worker inherits (the directory's indexes, the loaded sets) lives as long as it does:
    # out of the collector's sight, its pages stay shared with the parent (the collector writes to
    # every object it looks at). A 10 000-commune batch: a fifth fewer pages copied (benchmarks/batch.py).
    gc.freeze()
    gc.enable()  # the parent's collector rests while it waits for its workers (batch/__init__.py); theirs works


def results(tasks: Iterable, segments: Path, ruleset_path: str, caller_chose: bool, jobs: int,
            lang: str, full: bool = False, details: bool = True) -> Iterator[tuple[Path, int, list]]:
    """(segment, rows read, results) of every task in order; the workers write each task's
    assessments into its own segment file (`assess_part`)."""
    numbered = ((task, segments / f"assessments-{k:06d}.jsonl") for k, task in enumerate(tasks, start=1))
    if jobs <= 1:
        for task, segment in numbered:
            yield (segment, *assess_part(task, ruleset_path, caller_chose, lang, full, details, str(segment)))
        return
    # fork: workers start at once with the ruleset already loaded; the host they inherit is
    # idle (ours runs no background threads), and each then owns its copy.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=worker_start)
    try:
        pending: deque = deque()
        for task, segment in numbered:
            pending.append((segment, pool.submit(assess_part, task, ruleset_path, caller_chose, lang, full, details,
                                                 str(segment))))
            if len(pending) >= jobs * 3:  # bounded: never read far ahead of what is written
                segment, future = pending.popleft()
                yield (segment, *future.result())
        while pending:
            segment, future = pending.popleft()
            yield (segment, *future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def assess_part(task: tuple, ruleset_path: str, caller_chose: bool, lang: str = "vi", full: bool = False,
                details: bool = True, segment: str | None = None) -> tuple[int, list[tuple]]:
    """Assess one task (`Tasks`): its rows are read here, by position, from the descriptor the
    scan kept (a forked worker has it too), and assessed against the batch's set.

    Returns (rows read, results): per row, in order, ("ok", record, line) or ("rejected" |
    INTERNAL, rejected record, None). With `segment`, the lines of the rows assessed are written
    there (a whole file) and each "ok" result carries its line's length in bytes instead. The line
    is the assessment's varying part (`lines.line`) unless `full`; the record (`tally`) says which
    resolved set it needs, and carries the failing indicators in full only with `details`. Nothing
    a row holds stops the part."""
    ruleset = load_ruleset(ruleset_path)
    model = document_model(ruleset)  # once per part: building it looks at every installed set's file
    rows = rows_of(task)
    out = []
    with resting():  # the rows' objects die by reference counting (collector.py)
        _assess_rows(rows, out, ruleset, model, caller_chose, lang, full, details)
    if segment is not None:
        # the rejected rows first: a killed run that left a part's assessments left its rejected rows too
        rejected = [item for status, item, _ in out if status != "ok"]
        if rejected:
            write_whole(rejected_segment(Path(segment)), rejected_lines(rejected))
        lines = [line for status, _, line in out if status == "ok"]
        if lines:
            write_whole(Path(segment), b"".join(line + b"\n" for line in lines))
        out = [(status, item, len(line) + 1 if status == "ok" else None) for status, item, line in out]
    return len(rows), out


def _assess_rows(rows: list[Row], out: list, ruleset, model, caller_chose: bool, lang: str, full: bool,
                 details: bool) -> None:
    """`assess_part`'s loop: each row's result appended to `out`."""
    for row in rows:
        status = "rejected"
        document = None
        try:
            document, error = document_of(row)
            if error is None:
                named = document.get("ruleset")
                if not caller_chose and named not in (None, ruleset.id) and isinstance(named, str) and is_ruleset_id(named):
                    error = Say(f"ruleset: dòng ghi bộ tiêu chí {named!r} nhưng lượt này đánh giá theo {ruleset.id!r}; "
                                f"cách sửa: đánh giá các dòng này riêng, chọn bộ {named} bằng ⟪ruleset⟫",
                                f"ruleset: the row names {named!r} but this batch assesses against {ruleset.id!r}; "
                                f"fix: assess these rows in their own batch, choosing {named} with ⟪ruleset⟫")
                else:
                    if caller_chose or named in (None, ruleset.id):  # the batch's set, chosen once
                        assessment = evaluate_document(parse_document(document, ruleset=ruleset, model=model,
                                                                      from_json=row.text is not None), ruleset)
                    else:  # the row names something that is no ruleset id: `assess` says what is wrong
                        assessment = assess_document(document, None, from_json=row.text is not None)
                    place = place_of(assessment.commune, assessment.year, document.get("assessment_date"))
                    error = contradiction(place)
                    if error is None:
                        record = tally(assessment, row, details, place)
                        if full:
                            line = dump_json(assessment)
                        else:
                            line = dump_json(line_of(assessment, assessment.outcome.resolved.key))  # its set, resolved once
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


def tally(a, row: Row | None = None, details: bool = True, place: places.Place | None = None) -> dict:
    """What the summary counts of one assessment, from its outcome: small, plain and picklable.
    "departments": per department that must act on indicators not met (`acting.acting`), its id,
    criteria, whether confirmed, and its names; "failing": every failing indicator in full, only
    with `details` (a registered commune's section of the summary needs them; the counts do not);
    "keys" and "place": the commune's identity (`places.commune`, computed here when not given)."""
    outcome, statics = a.outcome, a.statics
    failing = [{"criterion": criterion.id, **{k: view.get(k) for k in FAILING_FIELDS}}
               for criterion, indicator in outcome.failing()
               for view in (statics.indicator(indicator).__dict__,)] if details else []
    names = {d.id: d.names for d in outcome.departments}
    departments = []
    for d in acting_of(outcome):
        name = names[d.id].department_text(d.id)
        departments.append(_shared((d.id, d.criteria, d.verified, name.vi, name.en)))
    record = {
        "name": a.commune.name, "district": a.commune.district, "province": a.commune.province, "code": a.commune.code,
        "source": getattr(row, "source", None), "row": getattr(row, "row", None), "sheet": getattr(row, "sheet", None),
        "where": row.where if row is not None else None,
        "year": a.year, "attained": outcome.attained, "certain": outcome.certain, "criteria_met": outcome.criteria_met,
        "criteria_total": outcome.criteria_total,
        "not_met": _shared(tuple(c.id for c in outcome.failing_criteria if c.status == "not_met")),
        "missing": _shared(tuple(c.id for c in outcome.failing_criteria if c.status == "missing")),
        "departments": _shared(tuple(departments)),
        "failing": failing,
        "unconfirmed": a.ruleset.unconfirmed_thresholds,
        "resolved": _shared((outcome.resolved.dimension, outcome.resolved.year)),
    }
    if place is None:
        place = place_of(a.commune, a.year)
    record["keys"], facts = place_facts(place)  # in the worker: the parent only compares them
    record["place"] = _shared(facts)
    return record


_SHARED: dict = {}


def _shared(value: tuple) -> tuple:
    """One object for equal parts of records (the same criteria and departments fail in many
    communes): a part's results are pickled with each once (pickle's memo), and unpickled once by
    the parent, which reads every record."""
    found = _SHARED.get(value)
    if found is None:
        if len(_SHARED) >= 4096:  # bounded: a worker's memory is
            _SHARED.clear()
        found = _SHARED[value] = value
    return found


def place_of(commune, year, day=None) -> places.Place:
    """The commune an assessment's (or a rejected row's) `commune` means (`places.commune`), in the
    era of its year or assessment date."""
    if not isinstance(commune, dict):
        commune = {k: getattr(commune, k, None) for k in COMMUNE_KEYS}
    name, district, province, code = (v if isinstance(v, str) else None for v in map(commune.get, COMMUNE_KEYS))
    when = day if isinstance(day, date) else None
    if isinstance(day, str):
        try:
            when = date.fromisoformat(day)
        except ValueError:  # a rejected row's unreadable date: the era from its year
            when = None
    return places.commune(name or "", district, province, code, year=year if isinstance(year, int) else None,
                          when=when)


def place_facts(place: places.Place) -> tuple[tuple[str, ...], tuple]:
    """(identity keys, (status, official name, official district, official code)) of a place: what
    the parent needs to find repeats, count communes and match registered ones."""
    unit = place.unit if place.known else None
    return place.keys, (place.status, unit.name if unit else None, places.district_of(place), unit.code if unit else None)


def contradiction(place: places.Place) -> Say | None:
    """Why a row is rejected when its code names another unit than its name and province, naming both."""
    if place.status != places.CONTRADICTED:
        return None
    code, theirs = place.code, places.describe(place.conflict)
    written = ", ".join(p.written for p in (place, place.district, place.province) if p is not None and p.written)
    own = place.unit
    fix_vi = f"ghi mã {own.code} của {own.name}" if own else "ghi đúng mã xã"
    fix_en = f"write {own.code}, the code of {own.name}" if own else "write the commune's right code"
    return Say(f"commune.code: mã {code} là mã của {theirs}, không phải của {written} như dòng ghi; cách sửa: "
               f"{fix_vi}, hoặc sửa tên xã, huyện, tỉnh cho đúng với mã (hoặc bỏ trống mã)",
               f"commune.code: the code {code} is that of {theirs}, not of {written} as the row says; fix: "
               f"{fix_en}, or correct the commune's name, district and province to match the code (or leave the "
               "code empty)")


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
            if commune.get("name") and all(len(v) <= MAX_TEXT for v in commune.values()):
                # a commune, however its row failed: counted once among the communes (a longer text is no name)
                record["keys"] = place_of(commune, document.get("year"), document.get("assessment_date")).keys
    values = row.values if row.values is not None else flat_values(document)
    if values:
        record["values"] = {str(k): v for k, v in values.items()}
    return record
