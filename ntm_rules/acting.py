"""What a province's figures count of one commune: the departments that must act on indicators not
met (`Acting`), by one rule for an outcome (`acting_of`, the batch's summary) and for a result
read back (`acting`, the history)."""
from __future__ import annotations

from typing import NamedTuple

from .outcome import Outcome, assignments


class Acting(NamedTuple):
    """A department as a province's figures count it for one commune: it leads indicators that
    are not met (missing data is counted apart, per criterion); `criteria` are theirs, and the
    assignment is confirmed when every one of theirs is."""

    id: str
    criteria: tuple
    verified: bool
    level: str | None


def acting(departments, where) -> list[Acting]:
    """The departments that must act on indicators not met, from the departments an outcome (or a
    result read back) names: `departments` have `id`, `not_met` and `level`; `where(level,
    indicator id)` gives the indicator's (criterion id, assignment confirmed). The summary of a
    batch and the history count departments through this one rule."""
    found: dict[str, list] = {}  # one entry per department, whichever level its indicators are of
    for d in departments:
        if not d.not_met:
            continue
        entry = found.setdefault(d.id, [[], True, d.level])
        for indicator_id in d.not_met:
            criterion_id, confirmed = where(d.level, indicator_id)
            if criterion_id not in entry[0]:
                entry[0].append(criterion_id)
            entry[1] = entry[1] and confirmed
    return [Acting(i, tuple(criteria), verified, level) for i, (criteria, verified, level) in found.items()]


def acting_of(outcome: Outcome) -> list[Acting]:
    """`acting` for an outcome: each indicator looked up in the set that names its department."""
    names = {d.level: assignments(d.names) for d in outcome.departments}
    return acting(outcome.departments, lambda level, indicator_id: names[level][indicator_id])
