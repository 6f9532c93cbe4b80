"""The summary's appendix rows are written in Python (`reports.appendix.Appendix`) rather than by a
loop of the template, for speed: they must be what the template's loop wrote, in the appendix's
order, whatever a commune's name holds (markup, control characters, lone surrogates) and whatever
its result."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from ntm_rules.places import fold
from ntm_rules.reports.appendix import Appendix
from ntm_rules.reports.templating import environment
from ntm_rules.words.catalogue import WORDS

# the loop the summary template had (ntm_rules/reports/templates/summary.html, before the rows
# were written in Python), with the same environment (autoescape, `_clean`, trim_blocks)
LOOP = """{% for c in communes %}<tr><td class="n">{{ loop.index }}</td><td>{{ c.name }}</td>\
{% if with_districts %}<td>{{ c.district or "" }}</td>{% endif %}<td class="n">{{ c.criteria_met }}</td>
<td class="{{ 'met' if c.attained else 'not_met' }}">{{ (W.attained if c.attained else W.not_attained)|cap }}\
{% if not c.certain %} <small>({{ W.uncertain }})</small>{% endif %}</td>
<td>{{ c.not_met|join(", ") }}{% if c.missing %}{% if c.not_met %}; {% endif %}{{ W.missing }}: \
{{ c.missing|join(", ") }}{% endif %}</td></tr>
{% endfor %}
"""

texts = st.text(alphabet=st.sampled_from(list("Xã Hồ<>&\"'\x00\x07\u200b\ud800đĐ1 ")), max_size=12)
criteria = st.lists(st.sampled_from(["1", "2", "5", "10", "17", "19"]), max_size=4, unique=True)
communes = st.lists(st.fixed_dictionaries({
    "name": texts, "district": st.one_of(st.none(), st.just(""), texts), "criteria_met": st.integers(0, 19),
    "attained": st.booleans(), "certain": st.booleans(), "not_met": criteria, "missing": criteria}), max_size=8)


def by_template(rows: list[dict], lang: str) -> str:
    """The template's loop over the communes in the appendix's order (by district, then name)."""
    template = environment().from_string(LOOP)
    rows = sorted(rows, key=lambda c: (fold(c["district"] or ""), fold(c["name"])))
    return template.render(communes=rows, W=WORDS[lang], with_districts=any(c.get("district") for c in rows))


def written(rows: list[dict], lang: str) -> str:
    appendix = Appendix(lang)
    for c in rows:
        appendix.add(c["name"], c["district"], c["criteria_met"], c["attained"], c["certain"], c["not_met"], c["missing"])
    return str(appendix.rows())


@settings(max_examples=300, deadline=None)
@given(communes, st.sampled_from(["vi", "en"]))
def test_the_appendix_rows_are_what_the_template_wrote(rows, lang):
    assert written(rows, lang) == by_template(rows, lang)


def test_a_name_that_is_markup_is_shown_not_obeyed():
    rows = [{"name": "<script>x</script>", "district": "A&B", "criteria_met": 19, "attained": True, "certain": True,
             "not_met": [], "missing": []}]
    page = written(rows, "vi")
    assert "<script>" not in page and "&lt;script&gt;" in page and "A&amp;B" in page


@settings(max_examples=500)
@given(text=st.text(alphabet=st.characters(codec=None), max_size=12) |
       st.text(alphabet=st.sampled_from(list("Xã Hồ\n\t\x00\x1b\x7f\x85\u00a0\u2028\u202e\u2067\u200b\ud800\udc80đ")),
               max_size=12),
       keep=st.booleans())
def test_printable_text_is_what_removing_every_control_character_gives(text, keep):
    """`errors.printable` returns a text that is printable as it is without looking further: the
    same as removing C0/C1 controls but tab and newline, DEL and the bidirectional overrides, and
    writing lone surrogates as escapes (newlines kept or made spaces)."""
    import re

    from ntm_rules.errors import printable

    expected = text.encode("utf-8", "backslashreplace").decode("utf-8")
    expected = re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", "", expected)
    assert printable(text, keep) == (expected if keep else expected.replace("\n", " "))


def test_the_appendix_lists_communes_by_district_then_name_as_a_reader_orders_them(tmp_path):
    """By district, then name, each compared without case or diacritics (đ as d): the order a
    reader looks a commune up in, not the order of the rows nor that of the code points."""
    import html as html_module
    import json
    import random
    import re

    import reference
    from conftest import random_document
    from ntm_rules.batch import run_batch

    raw = reference.load_raw("vn-2016-2020")
    rng = random.Random(4)
    places = [("Huyện Ứng Hòa Mới", "Xã Đông Lạc"), ("huyện an lão mới", "Xã Dương Hà"), ("Huyện Ứng Hòa Mới", "xã an phú"),
              ("huyện an lão mới", "Xã Ân Thịnh"), ("Huyện Bắc Mới", "Xã Zê"), ("Huyện Ứng Hòa Mới", "Xã Ẩn Sơn"),
              ("huyện an lão mới", "Xã Đa Lộc"), ("Huyện Bắc Mới", "Xã Ba")]
    path = tmp_path / "rows.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for district, name in places:
            document = random_document(rng, raw, "red_river_delta", 2020)
            document["commune"] = {"name": name, "district": district, "province": "Tỉnh Không Có"}
            handle.write(json.dumps(document, ensure_ascii=False) + "\n")
    run_batch([path], tmp_path / "out", jobs=1)
    page = (tmp_path / "out" / "summary.html").read_text("utf-8")
    rows = [tuple(html_module.unescape(cell) for cell in found) for found in
            re.findall(r'<tr><td class="n">\d+</td><td>([^<]*)</td><td>([^<]*)</td>', page)]
    assert [(district, name) for name, district in rows] == [
        ("huyện an lão mới", "Xã Ân Thịnh"), ("huyện an lão mới", "Xã Đa Lộc"), ("huyện an lão mới", "Xã Dương Hà"),
        ("Huyện Bắc Mới", "Xã Ba"), ("Huyện Bắc Mới", "Xã Zê"),
        ("Huyện Ứng Hòa Mới", "xã an phú"), ("Huyện Ứng Hòa Mới", "Xã Ẩn Sơn"), ("Huyện Ứng Hòa Mới", "Xã Đông Lạc")]


def test_the_order_is_that_of_district_then_name_pairs_whatever_the_texts_hold():
    """The appendix sorts one text per commune (the district's fold, a separator, the name's fold):
    it must order as the (district, name) pairs do, a NUL in a district or a name included."""
    districts = ["a", "a\x00", "a\x00b", "", "\x00", "a\x01", "b", "a\x00\x00"]
    names = ["x", "\x00", "", "y\x00", "\x01"]
    rows = [{"name": n, "district": d, "criteria_met": 19, "attained": True, "certain": True, "not_met": [],
             "missing": []} for d in districts for n in names]
    for lang in ("vi", "en"):
        assert written(rows, lang) == by_template(rows, lang)
        assert written(rows[::-1], lang) == by_template(rows[::-1], lang)


def test_the_rows_are_not_looked_at_again_when_the_page_is_written(monkeypatch):
    """Every text of the rows was cleaned and escaped as it was written: the page shows them as
    they are (`templating.Printed`), it does not clean the whole appendix a second time."""
    from ntm_rules.reports import templating

    appendix = Appendix("vi")
    for n in range(200):
        appendix.add(f"Xã {n}\x07", "Huyện A", n % 20, n % 2 == 0, True, ["1"], [])
    rows = appendix.rows()
    seen = []
    real = templating.printable
    monkeypatch.setattr(templating, "printable", lambda text, *a: seen.append(len(str(text))) or real(text, *a))
    assert templating.clean(rows) is rows
    assert templating.clean(Markup(str(rows))) == rows and seen == [len(rows)]  # other markup is cleaned
    assert "\x07" not in rows and "Xã 0" in rows


def test_an_appendix_in_another_language_than_the_page_is_refused():
    from ntm_rules.reports.html import summary_html

    with pytest.raises(ValueError, match="appendix"):
        summary_html(None, lang="en", communes=Appendix("vi"))
