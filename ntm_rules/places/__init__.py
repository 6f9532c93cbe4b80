"""Places: the one way ntm-rules recognises a province, a district (before July 2025) and a commune.

A place is recognised against the directory of Vietnam's administrative units that the library
`vietnamadminunits` ships (official codes, the units before and after the reform of 1 July 2025,
and the mapping between them), whatever way a clerk writes it: with or without "Tỉnh/Thành
phố/Huyện/Quận/Thị xã/Xã/Phường/Thị trấn", in any case, in either Unicode normalisation, with
either tone-mark placement ("Hòa"/"Hoà"); never without its tones (Tân Lập and Tấn Lập are two
communes). Its identity is its official code and era; a name the directory does not know is kept as
written (its province and district recognised when they can be) and is never rejected for that.

- names (`names.py`): `exact`, `name_key`, `split_kind`, `fold`, `loose`, `code_key`;
- the directory (`directory.py`): `Unit`, `directory_of(era)`, `warm()`, eras `OLD` ("63") and `NEW` ("34");
- identities (`identify.py`): `commune(...)`, `province(...)`, `district(...)` → `Place`;
  `province_key`, `same_province`, `era_order`, `describe`, `district_of`;
- across the reform (`reform.py`): `successor(old)`, `predecessors(new)`, `province_today(old)`,
  `successors_in(old_province)`.
"""
from .directory import NEW, OLD, Unit, directory_of, warm
from .identify import (AMBIGUOUS, CONTRADICTED, KNOWN, REFORM, UNKNOWN, Place, commune, describe, district, district_of, era_order,
                       province, province_key, same_province)
from .names import code_key, exact, fold, loose, name_key, split_kind
from .reform import Successor, predecessors, province_today, successor, successors_in

__all__ = ["NEW", "OLD", "Unit", "directory_of", "warm", "AMBIGUOUS", "CONTRADICTED", "KNOWN", "REFORM", "UNKNOWN", "Place",
           "commune", "describe", "district", "district_of", "era_order", "province", "province_key", "same_province", "code_key",
           "exact", "fold", "loose", "name_key", "split_kind", "Successor", "predecessors", "province_today",
           "successor", "successors_in"]
