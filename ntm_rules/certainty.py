"""How sure a status is: the certainty rules as named data (`Sure`), one per resolved check, and the
one rule that combines statuses and certainty at every level (`combine`).

What makes a check's status hold whatever its true threshold is, decided once per resolved check:
a confirmed threshold is the law as far as the project knows it; an unconfirmed one with a bound
on the favourable side of the status keeps a met (income 2016–2019 is at most the 2020 value); a
value at the strictest threshold possible (100 %, 0 houses, "Đạt", every option) keeps a met; a
declared requirement is the assessor's word; missing data is missing whatever the threshold.
"""
from __future__ import annotations

from dataclasses import dataclass

from .law.resolve import ResolvedCheck

MET, NOT_MET, MISSING = "met", "not_met", "missing"

# When a met status holds whatever the true threshold is.
ALWAYS = "always"  # a confirmed threshold, or an unconfirmed one bounded on the side of the met
NEVER = "never"  # a declared requirement, a threshold relative to another field, an unbounded equality
AT_YES = "at_yes"  # a yes/no requirement: "Đạt" is the strictest there is
AT_FULL = "at_full"  # a percentage to reach: 100 % is the strictest there is
AT_NONE = "at_none"  # a ceiling: 0 is the strictest there is
AT_EVERY_OPTION = "at_every_option"  # "at least N of these": all of them is the strictest there is


@dataclass(frozen=True, slots=True)
class Sure:
    """What makes one check's status hold whatever its true threshold is."""

    met: str  # one of ALWAYS, NEVER, AT_YES, AT_FULL, AT_NONE, AT_EVERY_OPTION
    not_met: bool  # a not met holds (a confirmed threshold, or one bounded on the side of the failure)
    options: int = 0  # for AT_EVERY_OPTION: how many options there are

    def met_holds(self, value) -> bool:
        met = self.met
        if met == ALWAYS:
            return True
        if met == NEVER or value is None:
            return False
        if met == AT_YES:
            return value is True
        if met == AT_FULL:
            return value >= 100
        if met == AT_NONE:
            return value <= 0
        return len(set(value)) >= self.options

    def holds(self, status: str, value) -> bool:
        if status == MISSING:
            return True
        return self.met_holds(value) if status == MET else self.not_met


def sure_of(check: ResolvedCheck) -> Sure:
    """The certainty rule of one resolved check."""
    if check.verified:
        return Sure(ALWAYS, True)
    if check.declared:
        return Sure(NEVER, False)
    favourable = None  # which side a bound keeps: True the met, False the not met
    if check.bound is not None and check.operator in (">=", "<="):
        favourable = (check.operator == ">=") == (check.bound == "at_most")
    if favourable:
        return Sure(ALWAYS, False)
    if check.relative_to:
        met = NEVER
    elif isinstance(check.threshold, bool):
        met = AT_YES
    elif check.options:
        return Sure(AT_EVERY_OPTION, favourable is False, len(check.options))
    elif check.operator == ">=":
        met = AT_FULL if check.type == "pct" else NEVER
    elif check.operator == "<=":
        met = AT_NONE
    else:
        met = NEVER
    return Sure(met, favourable is False)


def combine(parts) -> tuple[str, bool]:
    """A whole's (status, certain) from its parts' `.status` and `.certain` (see the module docstring)."""
    status, every, failing = MET, True, False
    for part in parts:
        if part.status == MET:
            every = every and part.certain
            continue
        if part.status == NOT_MET:
            status = NOT_MET
        elif status == MET:
            status = MISSING
        failing = failing or part.certain
    return status, every if status == MET else failing
