"""The reports' Jinja environment: the templates of reports/templates, autoescaped, every value
shown without the control characters a commune name could carry, and the filters the pages use."""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ..errors import printable
from ..words.phrases import cap, level_name, one_decimal


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("ntm_rules.reports", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, finalize=_clean)
    env.filters["one_decimal"] = one_decimal
    env.filters["level_name"] = level_name
    env.filters["cap"] = cap
    env.filters["breakable"] = _breakable
    return env


def _breakable(text: str) -> Markup:
    """A unit such as triệu đồng/người/năm may break after a slash, never inside a syllable."""
    return Markup(str(escape(text)).replace("/", "/<wbr>"))


def _clean(value):
    """Every value a page shows, without control characters a commune name could carry."""
    if isinstance(value, Markup):
        return Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value
