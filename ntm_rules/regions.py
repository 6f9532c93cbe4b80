"""The seven regions and the province → region lookup (names matched without diacritics), and
names as communes are matched (`exact`: diacritics kept)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import yaml

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

_PREFIXES = ("tinh ", "thanh pho ", "tp. ", "tp ")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ has no decomposition, so map it by hand), squeeze spaces."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[\s\-–—_]+", " ", text).strip()
    return text


def exact(text: str | None) -> str:
    """A name as registered communes are matched: Unicode-normalised, case and spaces ignored,
    diacritics kept (Tân Lập and Tấn Lập are two communes)."""
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


@lru_cache(maxsize=1)
def regions() -> dict:
    text = resources.files("ntm_rules.data").joinpath("regions.yaml").read_text("utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["regions"]  # libyaml: 10 × faster


@lru_cache(maxsize=1)
def _province_index() -> dict[str, str]:
    index = {}
    for region_id, region in regions().items():
        for province in region["provinces"]:
            index[fold(province)] = region_id
    return index


def province_key(name: str) -> str:
    key = fold(name)
    for prefix in _PREFIXES:
        if key.startswith(prefix) and key[len(prefix):] in _province_index():
            return key[len(prefix):]
    return key


@lru_cache(maxsize=4096)
def region_of_province(name: str) -> str | None:
    """The region id of a province named with or without diacritics, in any case; None if unknown."""
    return _province_index().get(province_key(name))


def region_name(region_id: str, lang: str = "vi") -> str:
    region = regions().get(region_id)
    return region["name"][lang] if region else region_id
