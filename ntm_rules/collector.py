"""The cyclic garbage collector, rested where ntm-rules makes many objects at once that die (or
live) by reference counting alone: it would walk them every 700 allocations for nothing.

- a batch part's rows (`batch/work.py`): -j 1 CPU a row 393 → 376 µs, median of 8 runs of
  benchmarks/batch.py's 10 000 rows;
- a batch's parent while the workers assess and until the outputs are in place
  (`batch/__init__.py`): its collections took about 0.1 s of its 0.6 s of CPU for 10 000 rows
  (a library caller's other threads see the collector rest meanwhile: what they make that only
  a collection frees waits for the batch's end);
- the directory's indexes built or read back from the cache (`places/directory.py`), once per
  process that looks a commune up (a batch, before its workers start): read back from lists of
  short texts, 0.13 → 0.09 s (median of 5); since they are kept as a few long texts (0.03 s) it
  no longer matters there, but building them makes tens of thousands of units.

It is left on or off as the caller had it; cycles made meanwhile are collected after.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def resting() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
