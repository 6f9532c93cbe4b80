"""Which set is in force: the installed sets (``installed``) and the standard set that is the law
for some assessment years, date and province (``in_force_for``)."""
from __future__ import annotations

import os
from datetime import date

from ..errors import RulesetError
from ..files import signature
from .cache import Bounded
from .check import completeness
from .load import load_ruleset, shipped_ruleset_paths
from .schema import Ruleset


def installed_signature() -> tuple:
    """What the installed sets are, from the file system alone (nothing read): NTM_RULESETS_PATH,
    the set files of its folders and the shipped one, and each file's stat (a file added, removed,
    replaced or rewritten is another signature; see `cache.file_digest_of`). Whatever is built
    from every installed set (the catalogue of fields, the document's model) is keyed by it."""
    files = []
    for path in shipped_ruleset_paths():
        try:
            files.append((str(path), signature(os.stat(path))))
        except OSError:
            files.append((str(path), None))
    return os.environ.get("NTM_RULESETS_PATH", ""), tuple(files)


_installed = Bounded(4)  # installed_signature() → the sets


def installed() -> list[Ruleset]:
    """Every usable ruleset of the shipped folder and NTM_RULESETS_PATH (unusable files are skipped;
    `rulesets list` shows them)."""
    return list(_installed.of(installed_signature(), _usable_sets))


def _usable_sets() -> list[Ruleset]:
    found = []
    for path in shipped_ruleset_paths():
        try:
            found.append(load_ruleset(path))
        except RulesetError:
            continue
    return found


def in_force_for(years: set[int], day: date | None = None, province: str | None = None, region: str | None = None):
    """The standard set that is the law for these assessment years (and date): the province's own
    set when one is installed and in force for them, else the national one. Returns (ruleset,
    reason as Say); InputError naming the period and the command that writes its template when
    no installed set is in force."""
    from ..errors import InputError, Say
    from ..regions import province_key
    from .periods import period_of

    def covers(rs: Ruleset) -> bool:
        if rs.level != "standard" or rs.status != "final" or rs.in_force is None:
            return False
        if not all(rs.period.from_ <= y <= rs.period.to for y in years):
            return False
        return day is None or rs.in_force.covers(day)

    candidates = [rs for rs in installed() if covers(rs)]
    shown = ", ".join(str(y) for y in sorted(years)) + (f" ({day.isoformat()})" if day else "")
    if province:
        own = [rs for rs in candidates if rs.province and province_key(rs.province) == province_key(province)
               and (region is None or not rs.applies_to or region in rs.applies_to)]
        if own:
            chosen = max(own, key=lambda rs: rs.in_force.from_)
            return chosen, Say(f"bộ riêng của tỉnh {chosen.province}, có hiệu lực cho {shown}",
                               f"{chosen.province}'s own set, in force for {shown}")
    national = [rs for rs in candidates if not rs.province]
    if national:
        chosen = max(national, key=lambda rs: rs.in_force.from_)
        return chosen, Say(f"bộ quốc gia có hiệu lực cho {shown}", f"the national set in force for {shown}")
    periods = {period_of(y, day) for y in years}
    if len(periods) > 1:
        names = ", ".join(sorted(p.name for p in periods if p))
        raise InputError(Say(f"các năm {shown} thuộc nhiều giai đoạn ({names}): một lượt chỉ dùng một bộ tiêu chí",
                             f"the years {shown} fall in several periods ({names}): one batch uses one ruleset"),
                         field="year", fix=Say("đánh giá mỗi giai đoạn một lượt, hoặc chọn bằng ⟪ruleset⟫",
                                               "assess each period in its own batch, or choose with ⟪ruleset⟫"))
    period = next(iter(periods))
    year_periods = {period_of(y) for y in years}
    if day is not None and period is not None and year_periods != {period}:
        of_year = ", ".join(sorted(p.name for p in year_periods if p)) or "?"
        raise InputError(Say(f"năm đánh giá {shown.split(' (')[0]} thuộc giai đoạn {of_year}, nhưng ngày đánh giá "
                             f"{day.isoformat()} thuộc giai đoạn {period.name} ({period.decision}, hiệu lực từ "
                             f"{period.in_force_from.isoformat()}): không bộ tiêu chí nào đã cài vừa có hiệu lực ngày đó "
                             "vừa đánh giá năm đó",
                             f"the assessment year {shown.split(' (')[0]} belongs to the {of_year} period, but the assessment "
                             f"date {day.isoformat()} falls in the {period.name} period ({period.decision_en}, in force from "
                             f"{period.in_force_from.isoformat()}): no installed set is both in force that day and assesses "
                             "that year"), field="assessment_date",
                         fix=Say("kiểm tra year và assessment_date; hoặc chọn bộ tiêu chí bằng ⟪ruleset⟫",
                                 "check year and assessment_date; or choose the set with ⟪ruleset⟫"))
    if period is None:
        raise InputError(Say(f"không có giai đoạn tiêu chí quốc gia nào cho {shown}", f"no national criteria period covers {shown}"),
                         field="year", fix=Say("kiểm tra năm đánh giá", "check the assessment year"))
    near = [rs for rs in installed() if rs.level == "standard" and all(rs.period.from_ <= y <= rs.period.to for y in years)
            and (not province or not rs.province or province_key(rs.province) == province_key(province))]
    drafts = [rs for rs in near if rs.status == "draft"]
    undated = [rs for rs in near if rs.status == "final" and rs.in_force is None]
    if drafts or undated:
        rs = (drafts or undated)[0]
        if drafts:
            done, total = completeness(rs)
            why = Say(f"bộ {rs.id} đã cài cho các năm này nhưng là bản nháp ({done}/{total} chỉ tiêu có ngưỡng)",
                      f"the set {rs.id} is installed for these years but is a draft ({done} of {total} indicators have values)")
            fix = Say("điền các ngưỡng còn thiếu, ghi status = final, rồi rulesets import lại",
                      "fill the missing values, set status = final, and import it again")
        else:
            why = Say(f"bộ {rs.id} đã cài cho các năm này nhưng không ghi ngày có hiệu lực (in_force_from)",
                      f"the set {rs.id} is installed for these years but declares no in-force date (in_force_from)")
            fix = Say("ghi in_force_from (và in_force_to) ở trang \"Bộ tiêu chí\", rồi nhập lại (⟪rulesets_import⟫); hoặc chọn bằng ⟪ruleset⟫",
                      "write in_force_from (and in_force_to) on the sheet \"Bộ tiêu chí\" and import it again (⟪rulesets_import⟫); or choose it with ⟪ruleset⟫")
        raise InputError(Say(f"chưa có bộ tiêu chí nào có hiệu lực cho {shown}: " + why.vi,
                             f"no ruleset is in force for {shown}: " + why.en), field="year", fix=fix)
    command = f"⟪period_template:{period.name}⟫"
    raise InputError(Say(f"chưa cài bộ tiêu chí nào có hiệu lực cho {shown}: giai đoạn {period.name} ({period.decision}) "
                         "chưa được nhập vào công cụ",
                         f"no installed ruleset is in force for {shown}: the {period.name} period ({period.decision_en}) "
                         "has not been entered"), field="year",
                     fix=Say(f"viết bảng tiêu chí của giai đoạn: {command}, điền theo quyết định, rồi nhập vào "
                             "(⟪rulesets_import⟫); hoặc chọn một bộ bằng ⟪ruleset⟫",
                             f"write the period's table: {command}, fill it from the decision, then import it "
                             "(⟪rulesets_import⟫); or choose a set with ⟪ruleset⟫"))
