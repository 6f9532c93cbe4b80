"""The province's departments where a national set names the guiding ministry.

A national decision leaves each criterion to a ministry's guidance; a province assigns the
department matching that ministry (`data/provincial_departments.yaml`, with what is confirmed
and what is believed). A verdict names who must act in the province, so a resolved set names the
province's department, unconfirmed, with the ministry as its basis; from 2025 the merged
departments (Decree 45/2025/NĐ-CP). Never a ministry under "Sở, ngành chủ trì". A province's own
set names its departments itself and is left as it is.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import yaml

from .schema import Ruleset, Text


class Provincial(NamedTuple):
    id: str
    name: Text
    basis: Text  # the guiding ministry the assignment follows (its name)


@lru_cache(maxsize=1)
def _table() -> dict:
    text = resources.files("ntm_rules.data").joinpath("provincial_departments.yaml").read_text("utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def is_ministry(name: Text | None) -> bool:
    """A ministry (Bộ …), not a province's own body (Bộ Chỉ huy Quân sự tỉnh is one)."""
    return name is not None and name.vi.startswith("Bộ ") and not name.vi.startswith("Bộ Chỉ huy")


def provincial(ruleset: Ruleset, department_id: str, year: int) -> Provincial | None:
    """The province's department for a ministry the set names, in the assessment year's names; None
    when the set names a province's department itself (or a ministry the table does not know)."""
    ministry = ruleset.departments.get(department_id)
    table = _table()
    row = table["ministries"].get(department_id)
    if not is_ministry(ministry) or row is None:
        return None
    chosen = row["after"] if year >= table["merged"]["from"] else row["before"]
    names = table["departments"][chosen]
    return Provincial(chosen, Text(vi=names["vi"], en=names["en"]), ministry)
