"""`extends:`: a ruleset that overrides only what differs from its parent.

A child file names its parent and gives, under ``criteria``, a mapping from criterion id to
what changes: ``name``, ``department``, ``indicators`` (a mapping from indicator id to its
changed ``name``, ``department``, ``thresholds`` or, for a prerequisite, ``verdict_of``) and
``add_indicators`` (new indicators); ``add_criteria`` adds whole criteria.
Everything else is the parent's. Sources and departments add to the parent's. ``applies_to``
limits the child to some regions (or groups). The loaded ruleset records, on every threshold
and assignment, the id of the ruleset it came from (``origin``).
"""
from __future__ import annotations

import copy

from .resolve import entries_for
from .schema import Ruleset

_CHILD_TOP = {"id", "extends", "title", "legal_source", "period", "sources", "departments",
              "groups", "criteria", "add_criteria", "note", "applies_to", "level", "fields", "province",
              "in_force", "status"}
_CRITERION_KEYS = {"name", "department", "indicators", "add_indicators"}
_INDICATOR_KEYS = {"name", "department", "thresholds", "checks", "verdict_of"}


def merge(parent: Ruleset, child: dict, name: str) -> tuple[dict, dict, list[str]]:
    """The child's full data (parent's with overrides applied), what it overrode, and problems."""
    problems: list[str] = []
    overridden: dict = {"thresholds": set(), "departments": set()}

    def problem(path: str, message: str, fix: str) -> None:
        problems.append(f"{name}: {path}: {message}; fix: {fix}")

    for key in sorted(set(child) - _CHILD_TOP):
        problem(key, "unknown key in a ruleset that extends another", f"use one of {', '.join(sorted(_CHILD_TOP))}")
    if "varies_by" in child:
        problem("varies_by", "a child cannot change what thresholds vary by", "remove it")

    data = parent.model_dump(by_alias=True, exclude_none=True)
    data.pop("extends", None)
    data.pop("applies_to", None)
    data.pop("province", None)
    data.pop("in_force", None)
    for key in ("id", "title", "legal_source", "period", "note", "level", "applies_to", "province", "in_force", "status"):
        if key in child:
            data[key] = child[key]
    data["extends"] = child.get("extends")
    for key in ("sources", "departments", "groups", "fields"):
        if isinstance(child.get(key), dict):
            data[key] = {**data.get(key, {}), **child[key]}

    criteria_by_id = {c["id"]: c for c in data["criteria"]}
    overrides = child.get("criteria") or {}
    if not isinstance(overrides, dict):
        problem("criteria", "must map criterion ids to what changes", "write `criteria: {\"10\": {department: ...}}`")
        overrides = {}
    for criterion_id, change in overrides.items():
        cpath = f"criteria.{criterion_id}"
        criterion = criteria_by_id.get(str(criterion_id))
        if criterion is None:
            problem(cpath, f"the parent {parent.id} has no criterion {criterion_id}",
                    f"use one of {', '.join(criteria_by_id)} (a new criterion needs its own ruleset)")
            continue
        if not isinstance(change, dict):
            problem(cpath, "must be a mapping", "write the keys that change: name, department, indicators, add_indicators")
            continue
        for key in sorted(set(change) - _CRITERION_KEYS):
            problem(f"{cpath}.{key}", "unknown key", f"use one of {', '.join(sorted(_CRITERION_KEYS))}")
        if "name" in change:
            criterion["name"] = change["name"]
        if "department" in change:
            criterion["department"] = change["department"]
            overridden["departments"].add(("criterion", str(criterion_id)))
        indicators_by_id = {i["id"]: i for i in criterion["indicators"]}
        for indicator_id, ichange in (change.get("indicators") or {}).items():
            ipath = f"{cpath}.indicators.{indicator_id}"
            indicator = indicators_by_id.get(str(indicator_id))
            if indicator is None:
                problem(ipath, f"the parent's criterion {criterion_id} has no indicator {indicator_id}",
                        f"use one of {', '.join(indicators_by_id)}, or add it under add_indicators")
                continue
            if not isinstance(ichange, dict):
                problem(ipath, "must be a mapping", "write the keys that change: name, department, thresholds")
                continue
            for key in sorted(set(ichange) - _INDICATOR_KEYS):
                problem(f"{ipath}.{key}", "unknown key (a child may change name, department, thresholds or checks' thresholds)",
                        "remove it, or add a new indicator under add_indicators")
            if "name" in ichange:
                indicator["name"] = ichange["name"]
            if "verdict_of" in ichange:  # e.g. the province's own standard set as the prerequisite
                if not indicator.get("verdict_of"):
                    problem(f"{ipath}.verdict_of", "the parent's indicator is not another ruleset's verdict",
                            "remove it")
                else:
                    indicator["verdict_of"] = ichange["verdict_of"]
            if "department" in ichange:
                indicator["department"] = ichange["department"]
                overridden["departments"].add(("indicator", str(indicator_id)))
            if "thresholds" in ichange:
                if "checks" in indicator:
                    problem(f"{ipath}.thresholds", "this indicator has several checks",
                            "override them under checks: [{thresholds: ...}, ...] in the parent's order")
                    continue
                indicator["thresholds"] = _merge_thresholds(indicator["thresholds"], ichange["thresholds"])
                overridden["thresholds"].add((str(indicator_id), 0, _threshold_keys(ichange["thresholds"])))
            if "checks" in ichange:
                parent_checks = indicator.get("checks")
                if not parent_checks or not isinstance(ichange["checks"], list) or len(ichange["checks"]) != len(parent_checks):
                    problem(f"{ipath}.checks", "must list one override per check of the parent, in order",
                            "write checks: [{thresholds: ...}, {}] with an empty mapping for a check that stays")
                    continue
                for index, (pcheck, ccheck) in enumerate(zip(parent_checks, ichange["checks"])):
                    if ccheck and "thresholds" in ccheck:
                        pcheck["thresholds"] = _merge_thresholds(pcheck["thresholds"], ccheck["thresholds"])
                        overridden["thresholds"].add((str(indicator_id), index, _threshold_keys(ccheck["thresholds"])))
        for new in change.get("add_indicators") or []:
            if isinstance(new, dict) and new.get("id") in indicators_by_id:
                problem(f"{cpath}.add_indicators[id={new.get('id')}]", "the parent already has this indicator",
                        f"override it under criteria.{criterion_id}.indicators instead")
                continue
            criterion["indicators"].append(new)
            if isinstance(new, dict):
                overridden["thresholds"].add((str(new.get("id")), "new", None))
                if "department" in new:
                    overridden["departments"].add(("indicator", str(new.get("id"))))
    for new in child.get("add_criteria") or []:
        if isinstance(new, dict) and str(new.get("id")) in criteria_by_id:
            problem(f"add_criteria[id={new.get('id')}]", "the parent already has this criterion",
                    f"change it under criteria.{new.get('id')} instead")
            continue
        data["criteria"].append(new)
        if isinstance(new, dict):
            overridden["departments"].add(("criterion", str(new.get("id"))))
            for indicator in new.get("indicators") or []:
                if isinstance(indicator, dict):
                    overridden["thresholds"].add((str(indicator.get("id")), "new", None))
                    overridden["departments"].add(("indicator", str(indicator.get("id"))))
    return data, overridden, problems


def _threshold_keys(thresholds) -> frozenset | None:
    return frozenset(thresholds) if isinstance(thresholds, dict) else None


def _merge_thresholds(parent: dict, child) -> dict:
    if not isinstance(child, dict):
        return child  # let the schema report the shape
    if "all" in child:
        return dict(child)
    if "all" in parent:
        return _expand_all(parent, child)
    return {**parent, **child}


def _expand_all(parent: dict, child: dict) -> dict:
    """A child that names some regions of a parent's `all`: the others keep the parent's value."""
    from ..regions import COMMUNE_GROUPS, REGION_IDS

    dims = REGION_IDS if set(child) <= set(REGION_IDS) else tuple(str(g) for g in COMMUNE_GROUPS)
    return {d: child.get(d, copy.deepcopy(parent["all"])) for d in dims}


def record_origins(ruleset: Ruleset, parent: Ruleset | None, overridden: dict | None) -> None:
    """Mark each threshold and assignment with the ruleset it came from, and record the legal
    document of every set in the lineage (an inherited threshold cites its own set's document)."""
    ruleset._lineage = {**(parent._lineage if parent is not None else {}),
                        ruleset.id: (ruleset.legal_source.document,
                                     ruleset.legal_source.document_en or ruleset.legal_source.document)}
    if parent is None:
        for criterion in ruleset.criteria:
            criterion.department._origin = ruleset.id
            for indicator in criterion.indicators:
                if indicator.department is not None:
                    indicator.department._origin = ruleset.id
                for check in indicator.all_checks():
                    for entries in check.thresholds.values():
                        for entry in entries if isinstance(entries, list) else [entries]:
                            entry._origin = ruleset.id
        return
    parent_criteria = {c.id: c for c in parent.criteria}
    parent_indicators = {i.id: i for c in parent.criteria for i in c.indicators}
    for criterion in ruleset.criteria:
        if ("criterion", criterion.id) in overridden["departments"] or criterion.id not in parent_criteria:
            criterion.department._origin = ruleset.id
        else:
            criterion.department._origin = parent_criteria[criterion.id].department._origin
        for indicator in criterion.indicators:
            pind = parent_indicators.get(indicator.id)
            if indicator.department is not None:
                if ("indicator", indicator.id) in overridden["departments"] or pind is None or pind.department is None:
                    indicator.department._origin = ruleset.id
                else:
                    indicator.department._origin = pind.department._origin
            pchecks = pind.all_checks() if pind is not None else None
            for index, check in enumerate(indicator.all_checks()):
                touched = {keys for (iid, idx, keys) in overridden["thresholds"] if iid == indicator.id and idx in (index, "new")}
                for dim, entries in check.thresholds.items():
                    own = pchecks is None or any(keys is None or dim in keys or "all" in keys for keys in touched)
                    parent_entries = None if own else pchecks[index].thresholds.get(dim) or pchecks[index].thresholds.get("all")
                    plist = parent_entries if isinstance(parent_entries, list) else [parent_entries]
                    for j, entry in enumerate(entries if isinstance(entries, list) else [entries]):
                        entry._origin = ruleset.id if own or parent_entries is None else plist[min(j, len(plist) - 1)]._origin


def check_against_parent(ruleset: Ruleset, parent: Ruleset, name: str) -> list[str]:
    """A child may tighten its parent's thresholds; loosening needs a cited exception."""

    problems = []
    parent_indicators = {i.id: i for c in parent.criteria for i in c.indicators}
    dims = ruleset.applies_to or list(ruleset.dimension_values)
    for criterion in ruleset.criteria:
        for indicator in criterion.indicators:
            pind = parent_indicators.get(indicator.id)
            if pind is None:
                continue
            for index, (check, pcheck) in enumerate(zip(indicator.all_checks(), pind.all_checks())):
                path = f"criteria.{criterion.id}.indicators.{indicator.id}" + (f".checks[{index}]" if indicator.checks else "")
                if check.operator != pcheck.operator or check.field != pcheck.field:
                    problems.append(f"{name}: {path}: changes the parent's field or comparison; fix: add a new indicator instead")
                    continue
                for dim in dims:
                    for year in range(ruleset.period.from_, ruleset.period.to + 1):
                        mine = entries_for(check, dim, year)
                        theirs = entries_for(pcheck, dim, year) if parent.period.from_ <= year <= parent.period.to else None
                        if mine is None or theirs is None or mine._origin == theirs._origin:
                            continue
                        if _looser(check, mine.value, theirs.value) and mine.loosening_exception is None:
                            problems.append(
                                f"{name}: {path}.thresholds.{dim}: {mine.value} is looser than {parent.id}'s {theirs.value} "
                                f"for {year}; fix: keep the national value, or mark the override with "
                                f"loosening_exception (why, with its source)")
                            break
    return problems


def _looser(check, mine, theirs) -> bool:
    if check.type == "bool":
        return mine is not True and theirs is True
    if check.operator == ">=":
        return mine < theirs
    if check.operator == "<=":
        return mine > theirs
    return mine != theirs
