"""A province-sized batch: JSON Lines file → assessments.jsonl + summary, timed, beside the floor.

    python benchmarks/batch.py [--communes 10000] [--jobs N] [--memory 100000]

1. writes N generated communes (about 3 failing indicators each) to a JSON Lines file;
2. times `ntm_rules.batch.run_batch` end to end: reading and validating every row,
   assessing, writing assessments.jsonl / rejected.jsonl / summary.json / summary.html
   (aim: 10 000 communes in under 2 s on 2 cores);
3. the bare durable_rules floor on the same communes in the same run (one process), for the
   ratio; the batch uses every core, the floor one;
4. with --memory M, runs a batch of M communes and prints the peak resident memory of the
   parent and of the largest worker at 1/10 and at all of M: flat means the batch keeps
   nothing per commune.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import reference  # noqa: E402
from conftest import REGIONS, random_document  # noqa: E402
from throughput import bare_floor  # noqa: E402

from ntm_rules.batch import run_batch  # noqa: E402


def write_communes(path: Path, count: int, seed: int, raw) -> list[dict]:
    rng = random.Random(seed)
    sample = []
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            document = random_document(rng, raw, rng.choice(REGIONS), 2020)
            if n < 10_000:
                sample.append(document)
            handle.write(json.dumps(document, ensure_ascii=False))
            handle.write("\n")
    return sample


def peak_mib() -> tuple[float, float]:
    """Peak RSS (MiB) of this process and of the largest child so far (Linux reports KiB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--memory", type=int, default=0, metavar="M", help="also check memory over M communes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raw = reference.load_raw("vn-2016-2020")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        documents = write_communes(tmp / "communes.jsonl", args.communes, args.seed, raw)
        floor = bare_floor(documents, raw)
        timings = {}
        for jobs in ([args.jobs] if args.jobs else [1, None]):
            start = time.perf_counter()
            result = run_batch([tmp / "communes.jsonl"], tmp / f"out-{jobs}", ruleset="vn-2016-2020", jobs=jobs)
            timings[jobs] = time.perf_counter() - start
            summary = result.summary
            assert summary.assessed == args.communes and summary.rejected == 0, "rows were lost or rejected"
        floor_again = bare_floor(documents, raw)
        best_floor = max(floor, floor_again)
        out = tmp / f"out-{jobs}"
        size = (out / "assessments.jsonl").stat().st_size + (out / "ruleset.json").stat().st_size
        print(f"communes: {args.communes}; attained {summary.attained}, not attained {summary.not_attained}, "
              f"missing data {summary.missing_data}, average criteria met {summary.average_criteria_met}")
        for jobs, elapsed in timings.items():
            rate = args.communes / elapsed
            shown = f"-j {jobs}" if jobs else "default jobs"
            print(f"batch JSONL → all outputs, {shown:12s}: {elapsed:6.2f} s = {rate:8.0f} communes/s   "
                  f"ratio {rate / best_floor:.2f} × one bare engine")
        print(f"bare durable_rules floor (one core):          {floor:8.0f} / {floor_again:8.0f} communes/s")
        print(f"assessments.jsonl + ruleset.json: {size / args.communes:8.0f} bytes per commune")
        if args.memory:
            marks = []
            for count in (args.memory // 10, args.memory):
                write_communes(tmp / "big.jsonl", count, args.seed + 1, raw)
                run_batch([tmp / "big.jsonl"], tmp / f"big-{count}", ruleset="vn-2016-2020", jobs=args.jobs)
                marks.append((count, *peak_mib()))
            for count, parent, child in marks:
                print(f"after {count:7d} communes: peak RSS parent {parent:6.0f} MiB, largest worker {child:6.0f} MiB")


if __name__ == "__main__":
    main()
