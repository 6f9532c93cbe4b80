"""The reports' Jinja environment: the templates of reports/templates, autoescaped, every value
shown without the control characters a commune name could carry, and the filters the pages use.

On paper a line may break only between syllables: at a space, or after the "/" of a unit
("triệu đồng/người/năm"), never inside one (the pages set no `overflow-wrap: break-word` and no
hyphenation; `breakable` gives a long unit its break opportunities)."""
from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ..errors import printable
from ..words.catalogue import WORDS
from ..words.phrases import cap, level_name, one_decimal


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("ntm_rules.reports", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, finalize=clean)
    env.filters["one_decimal"] = one_decimal
    env.filters["level_name"] = level_name
    env.filters["cap"] = cap
    env.filters["breakable"] = breakable
    env.filters["on_paper"] = on_paper
    env.filters["plan_cell"] = plan_cell
    env.globals["page_numbers"] = page_numbers
    return env


# a no-break space inside a unit ("triệu đồng/người/năm" is written with them): kept after a number
# ("31,2 triệu", never "31,2 | triệu") and before a sign ("2,6 điểm %"), a space elsewhere
_UNIT_SPACE = re.compile(r"(?<![\d\s])\u00a0(?=[^\W\d_])")
_AFTER_SLASH = re.compile(r"/(?=[^\W\d_])")  # "người/năm": a break after the slash, not in a date 16/07/2019


def breakable(text) -> Markup:
    """A value with a unit such as "31,2 triệu đồng/người/năm" that may break between its words and
    after a slash, never inside a syllable nor between the number and its unit's first word."""
    text = _UNIT_SPACE.sub(" ", str(escape(text)) if not isinstance(text, Markup) else str(text))
    return Markup(_AFTER_SLASH.sub("/<wbr>", text))


_URL = re.compile(r"https?://\S+")


def plan_cell(text) -> Markup:
    """A cell of the plan's page: its units breakable (`breakable`), an address in it breakable
    anywhere (an address is no word: it may break where it must)."""
    text = str(breakable("" if text is None else text))
    return Markup(_URL.sub(lambda m: f'<span class="url">{m.group(0)}</span>', text))


# a command line, or a library call, inside a message: said in words on paper
_COMMAND = re.compile(r"`?(?:ntm-assess|python -m ntm_rules)\b[^`;)\]\n]*`?"
                      r"|`?\b(?:ntm_rules\.[\w.]+|run_batch)(?:\([^)]*\))?(?:,? (?:then|rồi) ntm_rules\.[\w.]+)?`?")


_OPTION = re.compile(r"(?<![\w-])--([a-z][a-z-]*)\b")  # a lone option of the command line: "chọn bằng --ruleset"


def on_paper(text, lang: str = "vi") -> str:
    """A message as paper says it: a command line or a library call in it becomes words ("xem
    hướng dẫn sử dụng ntm-rules"), a lone option the parameter it sets ("tham số ruleset")."""
    text = _COMMAND.sub(WORDS[lang]["in_the_guide"], str(text or ""))
    return _OPTION.sub(lambda m: WORDS[lang]["option_words"].format(name=m.group(1).replace("-", "_")), text)


def page_numbers(W: dict) -> Markup:
    """The CSS `content` of the printed page's number ("Trang 2/3"), from the catalogue's words (the
    service's pager says it the same way: "page_of", {0} the page, {1} the pages): an @page margin
    box (chromium prints them since version 131)."""
    parts = re.split(r"\{([01])\}", W["page_of"])
    css = []
    for index, part in enumerate(parts):
        if index % 2:
            css.append("counter(page)" if part == "0" else "counter(pages)")
        elif part:
            css.append('"' + part.replace("\\", "").replace('"', "") + '"')
    return Markup(" ".join(css))


class Printed(Markup):
    """Markup whose every text was cleaned and escaped as it was written: only the summary's
    appendix (`appendix.Appendix.rows`) makes it, and `clean` shows it as it is (its 10 000 rows
    looked at again took 0.015 s at the end of a batch)."""

    __slots__ = ()


def clean(value):
    """Every value a page shows, without control characters a commune name could carry."""
    if type(value) is Printed:
        return value
    if isinstance(value, Markup):
        return Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value
