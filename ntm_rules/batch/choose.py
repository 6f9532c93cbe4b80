"""The one criteria set of a batch, chosen once, from what the scan found (no row is read again).

One batch uses one set (its figures only add up within one): the caller's (`--ruleset`); else the
one the template recorded in the workbook; else the one the first readable row names; else the
province's own set when every row is in one province that has its own set in force for the
years; else the national set in force for them.
"""
from __future__ import annotations

from ..assess import DEFAULT_RULESET
from ..errors import InputError, RulesetError, Say
from ..inputs.sources import InputFile
from ..law.check import is_ruleset_id
from ..law.in_force import in_force_for
from ..law.load import load_ruleset, load_ruleset_id
from ..law.schema import Ruleset


def choose_ruleset(scanned: list[InputFile], ruleset) -> tuple[Ruleset, bool, Say]:
    """(the set, whether the caller chose it, why)."""
    recorded = {f.ruleset for f in scanned if f.ruleset}
    if ruleset is not None:
        chosen = load_ruleset(ruleset)
        reason = Say("chọn bằng ⟪ruleset⟫", "chosen with ⟪ruleset⟫")
        if recorded - {chosen.id}:
            names = ", ".join(sorted(recorded))
            reason = Say(f"chọn bằng ⟪ruleset⟫ (sổ tính ghi {names}; bộ được chọn được dùng)",
                         f"chosen with ⟪ruleset⟫ (the workbook records {names}; the set chosen wins)")
        return chosen, True, reason
    if len(recorded) > 1:
        names = ", ".join(sorted(recorded))
        raise InputError(Say(f"các sổ tính ghi những bộ tiêu chí khác nhau ({names})",
                             f"the workbooks record different rulesets ({names})"), field="ruleset",
                         fix=Say("đánh giá mỗi bộ tiêu chí một lượt, hoặc chọn bằng ⟪ruleset⟫",
                                 "assess each ruleset in its own batch, or choose one with ⟪ruleset⟫"))
    if recorded:
        named = next(iter(recorded))
        try:
            chosen = load_ruleset_id(named)
        except RulesetError:
            raise InputError(Say(f"sổ tính ghi bộ tiêu chí {named!r} mà máy này không có",
                                 f"the workbook records the ruleset {named!r}, which is not installed here"),
                             field="ruleset", fix=Say("cài bộ đó vào NTM_RULESETS_PATH, hoặc chọn bằng ⟪ruleset⟫",
                                                      "install it in NTM_RULESETS_PATH, or choose one with ⟪ruleset⟫")) from None
        return chosen, False, Say(f"ghi trong sổ tính (mẫu của bộ {named})",
                                  f"recorded in the workbook (the template of {named})")
    first = next((f.first_names for f in scanned if f.first_names is not None), None)
    if first and is_ruleset_id(first):
        try:
            return load_ruleset_id(first), False, Say(f"dòng đầu ghi bộ tiêu chí {first}", f"the first row names {first}")
        except RulesetError:
            pass  # the row itself will be rejected naming the unknown ruleset
    chosen, reason = _in_force(scanned)
    return chosen, False, reason


def _in_force(scanned: list[InputFile]) -> tuple[Ruleset, Say]:
    """The set in force for the rows' years: the province's own when every row is in one province
    that has one installed, else the national one (none in force: InputError naming the period)."""
    places = [f.places() for f in scanned]
    provinces = set().union(*(p for p, _ in places)) if places else set()
    years = set().union(*(y for _, y in places)) if places else set()
    if not years:  # no readable year: every row will be rejected for it
        return load_ruleset(DEFAULT_RULESET), Say("bộ quốc gia (không dòng nào ghi năm đọc được)",
                                                  "the national set (no row gives a readable year)")
    province = next(iter(provinces)) if len(provinces) == 1 and "" not in provinces else None
    chosen, reason = in_force_for(years, None, province)
    if province is None and len(provinces) > 1:
        reason = Say(reason.vi + " (các dòng thuộc nhiều tỉnh)", reason.en + " (the rows are in several provinces)")
    return chosen, reason
