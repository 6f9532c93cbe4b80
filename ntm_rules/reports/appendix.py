"""The provincial summary's appendix: every commune assessed, one row each, by district then name.

Its rows are written here rather than by a loop of the summary template: a province's 10 000
communes took 0.3 s through Jinja, at the end of a batch when nothing else runs
(benchmarks/batch.py); tests/test_summary_rows.py checks that both write the same rows. A batch
adds each commune as its record comes back, while the workers assess (`tallies.SummaryBuilder`):
what waits for the page (`rows`) is only the order, the numbers and the words of its language.
"""
from __future__ import annotations

import re
from operator import itemgetter
from typing import Sequence

from markupsafe import escape

from ..places import fold
from ..words.catalogue import WORDS
from ..words.phrases import cap
from .templating import Printed, clean

_MARKUP = re.compile("[&<>\"']")


def cell(value) -> str:
    """A value as the templates show it (`templating.clean`, then escaped), as text: a text with
    nothing to remove or escape as it is (most names: a province's 10 000 took 0.01 s more)."""
    if type(value) is str and value.isprintable() and _MARKUP.search(value) is None:
        return value
    return str(escape(clean(value)))


class Appendix:
    """The communes listed, each written as it is added in the page's language (`lang`): its name's
    and district's cells, the rest of its row, and its place in the order (its district, then its
    name, each compared without case or diacritics: `places.fold`, the order a reader looks a
    commune up in)."""

    def __init__(self, lang: str = "vi") -> None:
        self.lang = lang
        W = WORDS[lang]
        attained, not_attained = escape(cap(W["attained"])), escape(cap(W["not_attained"]))
        self._missing = escape(W["missing"])
        uncertain = f' <small>({escape(W["uncertain"])})</small>'
        self._results = {(met, certain): (f'<td class="met">{attained}' if met else f'<td class="not_met">{not_attained}')
                         + ("" if certain else uncertain) for met in (True, False) for certain in (True, False)}
        self._entries: list[tuple[str, str, str, str]] = []  # (order, name cell, district cell, the rest)
        self._districts: dict[str, tuple[str, str]] = {}  # a province has a few dozen: each written once
        self._rests: dict[tuple, str] = {}  # and many communes end their rows alike
        self.with_districts = False  # the district column is shown when any commune has one

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, name: str, district: str | None, criteria_met: int, attained: bool, certain: bool,
            not_met: Sequence[str], missing: Sequence[str]) -> None:
        district = district or ""
        written = self._districts.get(district)
        if written is None:
            # the order as one text: the district's fold (each NUL in it written NUL SOH), NUL NUL, the
            # name's fold; sorted as texts, as (district, name) pairs would be, in a quarter of the time
            written = self._districts[district] = (fold(district).replace("\0", "\0\1") + "\0\0",
                                                   f"<td>{cell(district)}</td>")
            self.with_districts = self.with_districts or bool(district)
        key = (criteria_met, bool(attained), bool(certain), tuple(not_met), tuple(missing))
        rest = self._rests.get(key)
        if rest is None:
            failing = cell(", ".join(map(str, not_met)))
            if missing:
                failing += ("; " if not_met else "") + f'{self._missing}: {cell(", ".join(map(str, missing)))}'
            rest = self._rests[key] = (f'<td class="n">{criteria_met}</td>\n{self._results[key[1:3]]}</td>\n'
                                       f'<td>{failing}</td></tr>\n')
        self._entries.append((written[0] + fold(name), f"<td>{cell(name)}</td>", written[1], rest))

    def rows(self) -> Printed:
        """The rows, in order and numbered: number, name, district (when any commune has one),
        criteria met, result, criteria failing."""
        with_districts = self.with_districts
        return Printed("".join([f'<tr><td class="n">{number}</td>{name}{district if with_districts else ""}{rest}'
                                for number, (_, name, district, rest) in enumerate(sorted(self._entries, key=_order),
                                                                                   start=1)]))


_order = itemgetter(0)  # (stable: communes alike in the order stay as they came)
