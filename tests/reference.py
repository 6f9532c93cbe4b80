"""A small plain-Python evaluator written from the YAML, independent of the engine.

It reads the ruleset file with yaml.safe_load itself (not through ntm_rules' loader) and
compares values with thresholds directly; the tests check that the durable_rules engine agrees.
"""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_raw(ruleset_id: str) -> dict:
    return yaml.safe_load((ROOT / "rulesets" / f"{ruleset_id}.yaml").read_text("utf-8"))


def checks_of(indicator: dict) -> list[dict]:
    return indicator["checks"] if "checks" in indicator else [indicator]


def threshold_entry(check: dict, region: str, year: int) -> dict:
    value = check["thresholds"].get(region, check["thresholds"].get("all"))
    for entry in value if isinstance(value, list) else [value]:
        if "years" not in entry or entry["years"][0] <= year <= entry["years"][1]:
            return entry
    raise LookupError((check["field"], region, year))


def check_status(check: dict, region: str, year: int, data: dict) -> str:
    value = data.get(check["field"])
    if value is None:
        return "missing"
    threshold = threshold_entry(check, region, year)["value"]
    operator = check.get("operator", "==")
    if operator == ">=":
        ok = value >= threshold
    elif operator == "<=":
        ok = value <= threshold
    else:
        ok = value == threshold
    return "met" if ok else "not_met"


def combine(statuses: list[str]) -> str:
    if "not_met" in statuses:
        return "not_met"
    if "missing" in statuses:
        return "missing"
    return "met"


def evaluate(raw: dict, region: str, year: int, data: dict) -> dict:
    """{indicator id: status} and {criterion id: status}."""
    indicators, criteria = {}, {}
    for criterion in raw["criteria"]:
        statuses = []
        for indicator in criterion["indicators"]:
            status = combine([check_status(c, region, year, data) for c in checks_of(indicator)])
            indicators[indicator["id"]] = status
            statuses.append(status)
        criteria[criterion["id"]] = combine(statuses)
    return {"indicators": indicators, "criteria": criteria,
            "attained": all(s == "met" for s in criteria.values())}


def all_checks(raw: dict):
    for criterion in raw["criteria"]:
        for indicator in criterion["indicators"]:
            for check in checks_of(indicator):
                yield criterion, indicator, check
