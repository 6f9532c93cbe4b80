"""The HTTP service under load: concurrent clients posting commune documents on loopback.

    python benchmarks/service.py [--clients 8] [--requests 500] [--seed 1]

1. starts `python -m ntm_rules serve` on a free loopback port (a temporary history database);
2. generates clients × requests communes near their thresholds (most indicators pass, a few fail,
   a few lack data) from the national ruleset's own thresholds;
3. each client (a thread with its own httpx connection) posts its communes to /v1/assess, one after
   another, timing each request;
4. checks that every answer equals the library's own assessment of the same document
   (`ntm_rules.assess`, serialised as `--format json` serialises it), and prints requests/s and the
   p50/p95/max latency. Exits 1 if any answer differs or fails.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402

import reference  # noqa: E402
from conftest import REGIONS, random_document  # noqa: E402
from test_service import Server  # noqa: E402

from ntm_rules import assess  # noqa: E402
from ntm_rules.result import dump_json  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="per client")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    raw = reference.load_raw("vn-2016-2020")
    documents = [[random_document(rng, raw, rng.choice(REGIONS), rng.choice([2016, 2017, 2018, 2019, 2020]))
                  for _ in range(args.requests)] for _ in range(args.clients)]
    expected = [[json.loads(dump_json(assess(d))) for d in docs] for docs in documents]
    bodies = [[json.dumps(d, ensure_ascii=False).encode() for d in docs] for docs in documents]

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            latencies: list[list[float]] = [[] for _ in range(args.clients)]
            wrong: list[str] = []
            barrier = threading.Barrier(args.clients + 1)

            def client(n: int) -> None:
                with httpx.Client(base_url=server.url, timeout=60,
                                  headers={"Content-Type": "application/json"}) as c:
                    c.get("/openapi.json")  # connect before the clock starts
                    barrier.wait()
                    for body, want in zip(bodies[n], expected[n]):
                        start = time.perf_counter()
                        response = c.post("/v1/assess", content=body)
                        latencies[n].append(time.perf_counter() - start)
                        if response.status_code != 200 or response.json() != want:
                            wrong.append(f"client {n}: {response.status_code} {response.text[:200]}")

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            for t in threads:
                t.start()
            barrier.wait()
            start = time.perf_counter()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
        finally:
            server.stop()
    every = sorted(x for per in latencies for x in per)
    total = len(every)
    print(f"{args.clients} clients × {args.requests} assessments on loopback: {total} requests in {elapsed:.2f} s")
    print(f"  {total / elapsed:.0f} requests/s; latency p50 {every[total // 2] * 1000:.1f} ms, "
          f"p95 {every[int(total * 0.95)] * 1000:.1f} ms, max {every[-1] * 1000:.1f} ms "
          f"(mean {statistics.fmean(every) * 1000:.1f} ms)")
    print(f"  answers equal to the library's: {total - len(wrong)} of {total}")
    for line in wrong[:5]:
        print("  " + line)
    return 1 if wrong or total != args.clients * args.requests else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    sys.exit(main())
