"""One commune from the command line: wall time beside `python -c pass`, in one run.

    python benchmarks/cli.py [--runs 15]

Runs `python -m ntm_rules FIXTURE` (the text report) and `python -c pass` alternately and prints
the median and best wall time of each. The first run warms the ruleset cache (see
ntm_rules/law/cache.py); a run with the cache off (NTM_CACHE_DIR=) is shown for scale.
Target: one commune <= 0.35 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "phu-thuong-fails-several-2019.json"


def wall(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed: {done.stderr.decode()[:300]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = dict(os.environ)
    # as an installed package runs: its modules' bytecode kept (pip compiles it at install; a
    # PYTHONDONTWRITEBYTECODE=1 environment would compile every module on every run, ~0.1 s here)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    assess = [sys.executable, "-m", "ntm_rules", str(FIXTURE)]
    baseline = [sys.executable, "-c", "pass"]
    wall(assess, env)  # warm the ruleset cache
    ours, python = [], []
    for _ in range(args.runs):
        ours.append(wall(assess, env))
        python.append(wall(baseline, env))
    cold = [wall(assess, {**env, "NTM_CACHE_DIR": ""}) for _ in range(3)]
    print(f"python -c pass:                 median {statistics.median(python):.3f} s, best {min(python):.3f} s")
    print(f"ntm-assess one commune:         median {statistics.median(ours):.3f} s, best {min(ours):.3f} s "
          f"(target <= 0.35 s)")
    print(f"  without the ruleset cache:    median {statistics.median(cold):.3f} s")


if __name__ == "__main__":
    main()
