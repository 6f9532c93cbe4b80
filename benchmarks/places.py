"""What recognising a commune costs: `ntm_rules.places` against the library's own parser.

    python benchmarks/places.py [--communes 3000]

Prints, for N distinct communes of the directory written as a clerk would ("Xã X", district,
province): the time to index the directory once (both eras), then per lookup: `places.commune`
(first call, then the same again: kept) and `vietnamadminunits.parse_address` (LEGACY mode, the
address "ward, district, province"), in microseconds. Read as ratios: the machine is shared.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=3000)
    args = parser.parse_args()
    from ntm_rules import places

    started = time.perf_counter()
    places.warm()
    indexed = time.perf_counter() - started
    old = places.directory_of(places.OLD)
    units = list(old.communes.values())[:: max(1, len(old.communes) // args.communes)][: args.communes]
    rows = [(u.name, old.districts[u.district].name, old.provinces[u.province].short) for u in units]

    def per_call(function) -> float:
        began = time.perf_counter()
        for row in rows:
            function(*row)
        return (time.perf_counter() - began) / len(rows) * 1e6

    first = per_call(lambda n, d, p: places.commune(n, d, p, year=2019))
    again = per_call(lambda n, d, p: places.commune(n, d, p, year=2019))
    began = time.perf_counter()
    from vietnamadminunits import parse_address

    imported = time.perf_counter() - began
    library = per_call(lambda n, d, p: parse_address(f"{n}, {d}, {p}", mode="LEGACY"))
    print(f"{len(rows)} communes; index both eras once: {indexed:.2f} s (library import: {imported:.2f} s)")
    print(f"places.commune: {first:.1f} µs a lookup, {again:.1f} µs kept; "
          f"vietnamadminunits.parse_address: {library:.1f} µs ({library / first:.0f} ×)")


if __name__ == "__main__":
    main()
