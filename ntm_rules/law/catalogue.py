"""The catalogue of fields the installed rulesets name (the input contract's field list): type,
label, unit, plausible range and options of each, and the fields that carry a verdict."""
from __future__ import annotations

from dataclasses import dataclass

from . import cache
from ..errors import RulesetError
from ..limits import PLAUSIBLE
from .in_force import installed, installed_signature
from .load import load_named_by
from .schema import DERIVED_FIELDS, Ruleset, Text


@dataclass(frozen=True)
class FieldSpec:
    """A data field as the input contract knows it, from every ruleset that names it."""

    name: str
    type: str
    label: Text | None = None
    unit: Text | None = None
    low: float | None = None
    high: float | None = None
    options: tuple[str, ...] = ()
    option_labels: dict | None = None


def known_fields() -> dict[str, str]:
    """Every data field a shipped ruleset names, with its type (the input contract's field list)."""
    return {name: spec.type for name, spec in field_specs().items()}


_catalogues = cache.Bounded(32)  # the installed sets' signature (and a set's identity) → what they name


def verdict_fields() -> dict[str, str]:
    """Fields that carry another ruleset's verdict (computed, never read from a document): field → ruleset id."""
    return _catalogues.of(("verdicts", installed_signature()), lambda: {
        c.field: c.verdict_of for rs in installed() for cr in rs.criteria for i in cr.indicators for c in i.all_checks()
        if c.verdict_of})


def field_specs(ruleset: Ruleset | None = None) -> dict[str, FieldSpec]:
    """Every data field an installed ruleset names (shipped or in NTM_RULESETS_PATH): type, label,
    unit, plausible range (the widest any ruleset gives, else the type's) and options; with a
    ruleset, also the fields it (and the sets whose verdict it requires) introduces itself."""
    key = ("fields", installed_signature())
    found = _catalogues.of(key, lambda: _specs_of(installed()))
    if ruleset is None:
        return found
    return _catalogues.of(key + (ruleset.sha256,), lambda: {**found, **_specs_of(with_prerequisites(ruleset))})


def with_prerequisites(ruleset: Ruleset) -> list[Ruleset]:
    """The ruleset and every ruleset whose verdict it requires (the standard set of a model set)."""
    found, queue = [], [ruleset]
    while queue:
        current = queue.pop(0)
        if any(r is current or (r.id == current.id and r.sha256 == current.sha256) for r in found):
            continue
        found.append(current)
        for criterion in current.criteria:
            for indicator in criterion.indicators:
                for check in indicator.all_checks():
                    if check.verdict_of:
                        try:
                            queue.append(load_named_by(current, check.verdict_of))
                        except RulesetError:
                            pass
    return found


def _specs_of(rulesets: list[Ruleset]) -> dict[str, FieldSpec]:
    found: dict[str, dict] = {}
    for ruleset in rulesets:
        for criterion in ruleset.criteria:
            for indicator in criterion.indicators:
                for check in indicator.all_checks():
                    names = []
                    if check.verdict_of is None:  # a verdict is computed, never read from the document
                        names.append((check.field, check.type, check.unit, indicator.name))
                    if check.relative_to and check.relative_to not in DERIVED_FIELDS:
                        names.append((check.relative_to, "number" if check.type == "pct" else check.type, None, None))
                    for name, kind, unit, label in names:
                        entry = found.setdefault(name, {"type": kind, "options": [], "ranges": []})
                        info = ruleset.fields.get(name)
                        entry.setdefault("label", info.label if info else label)
                        if info and info.label:
                            entry["label"] = info.label
                        entry["unit"] = entry.get("unit") or (info.unit if info else None) or unit
                        if info and info.range:
                            entry["ranges"].append(info.range)
                        if info and info.options:
                            entry["option_labels"] = {**entry.get("option_labels", {}), **info.options}
                        if name == check.field and check.options:
                            entry["options"].extend(o for o in check.options if o not in entry["options"])
    specs = {}
    for name, entry in found.items():
        low, high = PLAUSIBLE.get(entry["type"], (None, None))
        if entry["ranges"]:
            low, high = min(r[0] for r in entry["ranges"]), max(r[1] for r in entry["ranges"])
        specs[name] = FieldSpec(name=name, type=entry["type"], label=entry.get("label"), unit=entry.get("unit"),
                                low=low, high=high, options=tuple(entry["options"]),
                                option_labels=entry.get("option_labels"))
    return specs
