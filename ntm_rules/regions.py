"""The seven regions and the province → region lookup. A province is recognised as `places`
recognises it (`province_key`: with or without "Tỉnh"/"Thành phố", any case or normalisation,
either tone placement, or without any diacritic); `fold` and `exact` are the places' own, named
here for the modules that still import them from this one."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from .places import exact, fold, province_key  # noqa: F401  (one way to compare names: places.names)

REGION_IDS = (
    "northern_midlands_mountains",
    "red_river_delta",
    "north_central_coast",
    "south_central_coast",
    "central_highlands",
    "southeast",
    "mekong_delta",
)
COMMUNE_GROUPS = (1, 2, 3)

@lru_cache(maxsize=1)
def regions() -> dict:
    text = resources.files("ntm_rules.data").joinpath("regions.yaml").read_text("utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["regions"]  # libyaml: 10 × faster


@lru_cache(maxsize=1)
def _province_index() -> dict[str, str]:
    """`province_key` of every province regions.yaml lists → its region."""
    return {province_key(province): region_id for region_id, region in regions().items()
            for province in region["provinces"]}


@lru_cache(maxsize=4096)
def region_of_province(name: str) -> str | None:
    """The region id of a province however it is written (`places.province_key`); None if unknown."""
    return _province_index().get(province_key(name))


def region_name(region_id: str, lang: str = "vi") -> str:
    region = regions().get(region_id)
    return region["name"][lang] if region else region_id
