"""A small plain-Python evaluator written from the YAML, independent of the engine.

It reads the ruleset file with yaml.safe_load itself (not through ntm_rules' loader) and
compares values with thresholds directly; the tests check that the durable_rules engine agrees.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_raw(ruleset_id: str) -> dict:
    """The set's YAML as yaml.safe_load reads it (a copy of its own: callers may change it)."""
    return copy.deepcopy(_parsed(ruleset_id, (ROOT / "rulesets" / f"{ruleset_id}.yaml").read_text("utf-8")))


@lru_cache(maxsize=16)  # parsed once per text: pure-Python YAML takes ~0.3 s a set, and tests build rows by the hundred
def _parsed(ruleset_id: str, text: str) -> dict:
    return yaml.safe_load(text)


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


# ------------------------------------------------------------------- a province's set, certainty, who acts

def load_merged(ruleset_id: str) -> dict:
    """A set's YAML with its `extends:` parent merged in, as the README describes inheritance: the
    child overrides a criterion's department, an indicator's thresholds (region by region; `all`
    replaces) and department, and adds indicators and criteria."""
    raw = load_raw(ruleset_id)
    if "extends" not in raw:
        return raw
    parent = load_merged(raw["extends"])
    criteria = {c["id"]: c for c in parent["criteria"]}
    for cid, change in (raw.get("criteria") or {}).items():
        criterion = criteria[str(cid)]
        if "department" in change:
            criterion["department"] = change["department"]
        indicators = {i["id"]: i for i in criterion["indicators"]}
        for iid, ichange in (change.get("indicators") or {}).items():
            indicator = indicators[str(iid)]
            if "department" in ichange:
                indicator["department"] = ichange["department"]
            if "thresholds" in ichange:
                new = ichange["thresholds"]
                indicator["thresholds"] = dict(new) if "all" in new else {**indicator["thresholds"], **new}
        criterion["indicators"] += change.get("add_indicators") or []
    parent["criteria"] += raw.get("add_criteria") or []
    parent["sources"] = {**parent.get("sources", {}), **raw.get("sources", {})}
    parent["departments"] = {**parent.get("departments", {}), **raw.get("departments", {})}
    parent["id"] = raw["id"]
    return parent


def check_certain(check: dict, region: str, year: int, data: dict, status: str) -> bool:
    """The README's rule: missing data is certain; a confirmed threshold is; an unconfirmed one is
    when a recorded bound lies on the side of the status (at_most under >= keeps a met), or when
    the value meets the strictest threshold possible (100 %, 0, "Đạt"); a declared one never is."""
    if status == "missing":
        return True
    entry = threshold_entry(check, region, year)
    if entry.get("verified"):
        return True
    if check.get("declared"):
        return False
    operator, bound = check.get("operator", "=="), entry.get("bound")
    if bound and operator in (">=", "<="):
        keeps_met = (operator == ">=") == (bound == "at_most")
        return keeps_met if status == "met" else not keeps_met
    if status != "met":
        return False
    value = data.get(check["field"])
    if isinstance(entry["value"], bool):
        return value is True
    if operator == ">=":
        return check["type"] == "pct" and value >= 100
    if operator == "<=":
        return value <= 0
    return False


def assess(raw: dict, region: str, year: int, data: dict) -> dict:
    """Statuses, certainty and the departments with indicators not met, as the README says."""
    indicators, criteria, acting = {}, {}, {}
    for criterion in raw["criteria"]:
        parts = []
        for indicator in criterion["indicators"]:
            checks = [(check_status(c, region, year, data), c) for c in checks_of(indicator)]
            status = combine([s for s, _ in checks])
            certain = [check_certain(c, region, year, data, s) for s, c in checks]
            if status == "met":
                sure = all(certain)
            else:
                sure = any(ok for (s, _), ok in zip(checks, certain) if s != "met")
            indicators[indicator["id"]] = (status, sure)
            parts.append((status, sure))
            if status == "not_met":
                department = (indicator.get("department") or criterion["department"])["id"]
                acting.setdefault(department, set()).add(criterion["id"])
        status = combine([s for s, _ in parts])
        criteria[criterion["id"]] = (status, all(c for _, c in parts) if status == "met"
                                     else any(c for s, c in parts if s != "met"))
    attained = all(s == "met" for s, _ in criteria.values())
    certain = all(c for _, c in criteria.values()) if attained else any(c for s, c in criteria.values() if s != "met")
    return {"indicators": indicators, "criteria": criteria, "attained": attained, "certain": certain,
            "acting": acting}
