"""Communes per second through `assess_many`, beside the bare durable_rules floor, in one run.

    python benchmarks/throughput.py [--communes 10000]

1. generates N communes with realistic verdicts (about 3 failing indicators and a few missing
   fields each) from the national ruleset's own thresholds;
2. the floor: a bare durable_rules ruleset of the same shape (one "not met" and one "missing"
   rule per check, a catch-all, actions that append to a list), one fact per commune;
3. ntm_rules.assess_many over the same documents, twice: kept in a list (as most callers do)
   and streamed (each Assessment read for its verdict, then dropped, as a batch job does). An
   Assessment holds what varies per commune; names, citations and departments are joined in
   from the resolved set when a report reads them (not timed here);
4. the plain-Python reference evaluator from the tests, for scale.
It checks that assess_many found every finding the reference finds.
"""
from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import durable.engine  # noqa: E402

import ntm_rules  # noqa: E402
import reference  # noqa: E402
from conftest import REGIONS, random_document  # noqa: E402


class _BareHost(durable.engine.Host):
    def _run(self):
        pass


def bare_floor(documents, raw) -> float:
    """The engine alone: rules of the same shape, per region, trivial actions."""
    host = _BareHost()
    sink = []

    def action(c):
        sink.append(1)

    names = {}
    for region in REGIONS:
        rules = {}
        for index, (_, _, check) in enumerate(reference.all_checks(raw)):
            threshold = reference.threshold_entry(check, region, 2020)["value"]
            op = check.get("operator")
            if isinstance(threshold, bool):
                cond = {check["field"]: not threshold}
            else:
                cond = {"$lt" if op == ">=" else "$gt": {check["field"]: threshold}}
            rules[f"n{index}"] = {"all": [{"m": cond}], "run": action}
            rules[f"m{index}"] = {"all": [{"m": {"$and": [{"$ex": {"cid": 1}}, {"$nex": {check["field"]: 1}}]}}],
                                  "run": action}
        rules["all"] = {"all": [{"m": {"$ex": {"cid": 1}}}], "run": action}
        names[region] = f"bare-{region}"
        host.register_rulesets({names[region]: rules})
    facts = [(names[d["region"]], {"sid": "1", "cid": k, **d["data"]}) for k, d in enumerate(documents)]
    gc.collect()  # as for the library's runs
    start = time.perf_counter()
    for name, fact in facts:
        try:
            host.assert_fact(name, fact)
        finally:
            host.delete_state(name, "1")
    return len(facts) / (time.perf_counter() - start)


def kept(documents, ruleset):
    """list(assess_many(...)): every Assessment kept."""
    gc.collect()  # each run from a collected heap (the previous run's garbage is not this run's cost)
    start = time.perf_counter()
    results = list(ntm_rules.assess_many(documents, ruleset=ruleset))
    return len(documents) / (time.perf_counter() - start), results


def streamed(documents, ruleset):
    """Each Assessment read for its verdict and dropped (after the kept run: its 10 000 results are
    still alive, so a full collection would scan them; the heap is collected first, as for the
    kept run, so that each run pays for its own objects)."""
    gc.collect()
    start = time.perf_counter()
    attained = sum(a.attained for a in ntm_rules.assess_many(documents, ruleset=ruleset))
    return len(documents) / (time.perf_counter() - start), attained


def statuses(assessment) -> dict:
    return {i.id: i.status for c in assessment.outcome.criteria for i in c.indicators}


def plain_python(documents, raw) -> tuple[float, list]:
    start = time.perf_counter()
    expected = [reference.evaluate(raw, d["region"], d["year"], d["data"]) for d in documents]
    return len(documents) / (time.perf_counter() - start), expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(args.seed)
    documents = [random_document(rng, raw, rng.choice(REGIONS), 2020) for _ in range(args.communes)]
    ruleset = ntm_rules.load_ruleset("vn-2016-2020")
    list(ntm_rules.assess_many(documents[:50], ruleset=ruleset))  # compile every region once

    floor = bare_floor(documents, raw)
    ours_kept, results = kept(documents, ruleset)
    ours_streamed, attained = streamed(documents, ruleset)
    floor_again = bare_floor(documents, raw)  # the machine is noisy: take the floor twice
    plain, expected = plain_python(documents, raw)

    found = [statuses(a) for a in results]
    findings = sum(1 for a in found for s in a.values() if s != "met")
    expected_findings = sum(1 for e in expected for s in e["indicators"].values() if s != "met")
    lost = sum(1 for a, e in zip(found, expected) if a != e["indicators"])
    lost += sum(1 for a, e in zip(results, expected) if a.attained != e["attained"])
    full_checked = sum(1 for a, e in zip(results[:500], expected) if
                       {i.id: i.status for c in a.criteria for i in c.indicators} != e["indicators"])
    best_floor = max(floor, floor_again)
    print(f"communes: {args.communes}, findings per commune: {findings / len(documents):.2f} "
          f"(not met or missing), communes disagreeing with the reference: {lost + full_checked}")
    print(f"bare durable_rules floor:      {floor:8.0f} / {floor_again:8.0f} communes/s")
    print(f"assess_many, kept in a list:   {ours_kept:8.0f} communes/s   ratio {ours_kept / best_floor:.2f} (target >= 1.2)")
    print(f"assess_many, streamed:         {ours_streamed:8.0f} communes/s   ratio {ours_streamed / best_floor:.2f} (target >= 1.2)")
    print(f"plain-Python reference:        {plain:8.0f} communes/s (statuses only, for scale)")
    if lost or full_checked or findings != expected_findings or attained != sum(e["attained"] for e in expected):
        sys.exit("findings differ from the reference evaluator")


if __name__ == "__main__":
    main()
