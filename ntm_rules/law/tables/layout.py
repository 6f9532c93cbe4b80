"""The layout of a criteria table (its sheets, the columns of "Chỉ tiêu", the parts of a value
group, the keys of "Bộ tiêu chí") and the small helpers its writers and readers share: a span of
years as a column names it, the problems of a table listed together, a cell read as text, a pair
of languages, yes/no, a number, a date or a year."""
from __future__ import annotations

from datetime import date

from ...errors import InputError, Say
from ...files.numbers import number as cell_number

SHEETS = {"meta": "Bộ tiêu chí", "rows": "Chỉ tiêu", "sources": "Nguồn", "departments": "Sở, ngành",
          "groups": "Nhóm tiêu chí", "fields": "Trường", "guide": "Hướng dẫn"}
# the columns of "Chỉ tiêu" before the value groups: (key, Vietnamese label)
ROW_COLUMNS = [
    ("criterion", "Tiêu chí"), ("criterion_vi", "Tên tiêu chí"), ("criterion_en", "Criterion (English)"),
    ("group", "Nhóm"), ("criterion_department", "Sở, ngành chủ trì tiêu chí"),
    ("criterion_department_source", "Nguồn phân công"), ("criterion_department_confirmed", "Phân công đã xác nhận"),
    ("criterion_department_note_vi", "Ghi chú phân công"), ("criterion_department_note_en", "Assignment note (English)"),
    ("indicator", "Chỉ tiêu"), ("content_vi", "Nội dung chỉ tiêu"), ("content_en", "Content (English)"),
    ("check", "Số thứ tự con số (chỉ tiêu có 2 con số)"), ("field", "Mã trường dữ liệu"), ("unit_vi", "Đơn vị"),
    ("unit_en", "Unit (English)"), ("type", "Kiểu (bool, pct, count, number, year, options)"),
    ("operator", "So sánh (>=, <=, ==)"), ("department", "Sở, ngành chủ trì chỉ tiêu (nếu khác tiêu chí)"),
    ("department_source", "Nguồn phân công chỉ tiêu"), ("department_confirmed", "Phân công chỉ tiêu đã xác nhận"),
    ("department_note_vi", "Ghi chú phân công chỉ tiêu"), ("department_note_en", "Indicator assignment note (English)"),
    ("relative_to", "Ngưỡng tính theo trường (hệ số × trường)"), ("verdict_of", "Kết luận của bộ tiêu chí"),
    ("declared", "Tự khai báo"), ("options", "Các lựa chọn"), ("absent", "Khi để trống"),
    ("prerequisite", "Điều kiện cấp"),
]
VALUE_PARTS = [("value", "Ngưỡng"), ("source", "Nguồn"), ("confirmed", "Đã xác nhận"), ("bound", "Giới hạn"),
               ("note_vi", "Ghi chú"), ("note_en", "Note (English)")]
META_KEYS = ["id", "status", "level", "title_vi", "title_en", "document", "document_en", "decision_date", "decision_url",
             "period_from", "period_to", "in_force_from", "in_force_to", "in_force_note_vi", "in_force_note_en",
             "varies_by", "province", "applies_to", "indicator_count", "note_vi", "note_en"]
YES, NO = "Có", "Không"
MAX_TABLE_ROWS = 10_000  # rows of one sheet of a criteria table (a decision's table has about a hundred)
TYPES = ("bool", "pct", "count", "number", "year", "options")


def _span(years: tuple[int, int]) -> str:
    return str(years[0]) if years[0] == years[1] else f"{years[0]}-{years[1]}"


class _Problems:
    def __init__(self, source: str):
        self.source, self.items = source, []

    def add(self, where: str, vi: str, en: str, fix_vi: str, fix_en: str) -> None:
        self.items.append(InputError(Say(vi, en), source=self.source, field=where, fix=Say(fix_vi, fix_en)))

    SHOWN = 50  # problems listed at once (a table with more has a systematic fault: fix the first ones)

    def raise_first(self) -> None:
        """Every problem found (up to SHOWN), the first raised carrying the others."""
        if self.items:
            first = self.items[0]
            first.also = self.items[1:self.SHOWN]
            if len(self.items) > self.SHOWN:
                more = len(self.items) - self.SHOWN
                first.also.append(InputError(Say(f"và {more} lỗi khác", f"and {more} more"), source=self.source))
            raise first


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _pair(vi, en) -> dict | None:
    vi, en = _text(vi), _text(en)
    if vi is None and en is None:
        return None
    return {"vi": vi or en, "en": en or vi}


def _yes(value) -> bool | None:
    text = (_text(value) or "").casefold()
    if text in ("có", "co", "yes", "true", "x", "1", "đạt", "dat"):
        return True
    if text in ("không", "khong", "no", "false", "0", "không đạt", "khong dat"):
        return False
    return None


def _number(value):
    """A threshold cell: a number (72,5 or 72.5, read as the batch reads a clerk's cell: never
    "7_0" or full-width digits), or Có for a yes/no requirement; None otherwise."""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return value
    text = _text(value)
    if text is None:
        return None
    if text.casefold() in ("có", "co", "đạt", "dat", "true"):
        return True
    return cell_number(text)


def _date(value) -> str | None:
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = _text(value)
    return text[:10] if text else None


def _int(value) -> int | None:
    number = _number(value)
    return int(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None
