"""The national criteria periods: which decision, which years, in force when (what
../shared/reference/ says, with its sources). Used to name the period a document falls in when
no installed set is in force for it, and to write the draft workbooks of the periods whose
tables could not be read (`tables.draft`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NationalPeriod:
    name: str  # "2021-2025"
    years: tuple[int, int]
    decision: str
    decision_en: str
    in_force_from: date
    in_force_to: date | None
    source: str
    indicators: int | None = None  # how many indicators the decision's commune set lists
    indicators_source: str | None = None
    signed: date | None = None  # the decision's date, when it differs from the day it took effect

    def covers(self, year: int, day: date | None) -> bool:
        if not self.years[0] <= year <= self.years[1]:
            return False
        return day is None or (self.in_force_from <= day and (self.in_force_to is None or day <= self.in_force_to))


PERIODS = (
    NationalPeriod("2016-2020", (2016, 2020), "Quyết định 1980/QĐ-TTg", "Decision 1980/QĐ-TTg",
                   date(2016, 12, 1), date(2022, 3, 7),
                   "http://tintuc.thuvienphapluat.com/thong-bao-van-ban-moi/email/14746/bo-tieu-chi-xa-nong-thon-moi-giai-doan-2016-2020"),
    NationalPeriod("2021-2025", (2021, 2025), "Quyết định 318/QĐ-TTg", "Decision 318/QĐ-TTg",
                   date(2022, 3, 8), date(2026, 2, 14),
                   "http://tintuc.thuvienphapluat.com/thong-bao-van-ban-moi/email/39774/ban-hanh-bo-tieu-chi-xa-nong-thon-moi-giai-doan-2021-2025",
                   57, "https://doanhnghiepkinhtexanh.vn/chuong-trinh-chuyen-doi-so-trong-xay-dung-nong-thon-moi-a14500.html"),
    NationalPeriod("2026-2030", (2026, 2030), "Quyết định 51/2025/QĐ-TTg", "Decision 51/2025/QĐ-TTg",
                   date(2026, 2, 15), None,
                   "https://xaydungchinhsach.chinhphu.vn/toan-van-quyet-dinh-51-2025-qd-ttg-ban-hanh-bo-tieu-chi-quoc-gia-ve-nong-thon-moi-giai-doan-2026-2030-119251230104614909.htm",
                   47, "https://xaydungchinhsach.chinhphu.vn/toan-van-quyet-dinh-51-2025-qd-ttg-ban-hanh-bo-tieu-chi-quoc-gia-ve-nong-thon-moi-giai-doan-2026-2030-119251230104614909.htm",
                   date(2025, 12, 29)),
)


def period_of(year: int, day: date | None = None) -> NationalPeriod | None:
    """The national period a year (and date) falls in: by date when one is given, else by year."""
    if day is not None:
        found = next((p for p in PERIODS if p.in_force_from <= day and (p.in_force_to is None or day <= p.in_force_to)), None)
        if found is not None:
            return found
    return next((p for p in PERIODS if p.years[0] <= year <= p.years[1]), None)
