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


@dataclass(frozen=True)
class ConfirmedValues:
    """Thresholds of a period's table that a public page restates (../shared/reference/): the
    draft workbook of the period carries them, confirmed, with that page; the office fills the rest."""

    criterion: str
    indicator: str
    name: tuple[str, str]
    field: str
    type: str
    operator: str
    unit: tuple[str, str]
    years: tuple[int, int]
    values: dict  # region → value
    source: str
    notes: dict  # region → (vi, en): what the office should know of that value


CONFIRMED = {
    "2021-2025": (
        ConfirmedValues(
            criterion="10", indicator="10",
            name=("Thu nhập bình quân đầu người khu vực nông thôn", "Rural income per capita"),
            field="income_per_capita_million_vnd", type="number", operator=">=",
            unit=("triệu đồng/người/năm", "million VND per person per year"), years=(2022, 2022),
            values={"northern_midlands_mountains": 39, "red_river_delta": 53, "north_central_coast": 39,
                    "south_central_coast": 44, "central_highlands": 44, "southeast": 62, "mekong_delta": 53},
            source="http://phapluatkhanhhoa.vn/tin-chi-tiet/id/10148/Chinh-phu-ban-hanh-Bo-tieu-chi-quoc-gia-ve-xa-nong-thon-moi--giai-doan-2021---2025",
            notes={"southeast": (
                "Bộ tiêu chí riêng của Bình Phước (Đông Nam Bộ) được đưa tin là 59 triệu đồng cho xã thường, thấp hơn "
                "mức 62 của quốc gia mà tỉnh không được thấp hơn: một trong hai bản dẫn lại bị sai; đối chiếu với "
                "Quyết định 318/QĐ-TTg.",
                "Bình Phước's own set (southeast) was reported at 59 million VND for its ordinary communes, below the "
                "national 62 a province may not go under: one of the two restatements is wrong; check against "
                "Decision 318/QĐ-TTg.")}),
    ),
}
