"""The progress page's pictures: one chart a question, a column (or point) per round, as inline
SVG (no script, nothing loaded from elsewhere), drawn by the `round_chart` macro of
templates/_chart.html from the geometry computed here.

- communes attained per round, against the target line (N communes, when the office gives one);
- average criteria met per commune per round (points joined by a line);
- communes by criteria met per round (stacked columns, the batch summary's bands).

Every number a chart shows is the history's count of its round (`history.province_rounds`: the
batch summary's attained and average; `history_report.round_bands`: the summary's bands), and
each column, point and segment carries it in `data-value` and in its `<title>` (what a reader's
pointer or screen reader shows).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from ..words.catalogue import WORDS
from ..words.phrases import number, one_decimal, shown_date
from .summary_text import bracket_label
from .templating import environment

# from the most criteria met (green) to the fewest (red)
BAND_COLOURS = ("#2e7d32", "#7cb342", "#fbc02d", "#f57c00", "#c62828")
LEFT, TOP, BOTTOM, HEIGHT, STEP = 44, 14, 34, 170, 84


@dataclass
class Part:
    key: str  # the band, or "value"
    value: float
    text: str  # the number as the reader writes it
    title: str
    y: float = 0.0
    height: float = 0.0
    colour: str = "#3b6ea5"


@dataclass
class Column:
    label: str  # the round's year
    sub: str  # its date
    batch: str
    x: float
    width: float
    parts: list[Part] = field(default_factory=list)


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # columns, points
    columns: list[Column]
    ticks: list[tuple[float, str]]  # (y, label)
    width: float
    height: float
    plot_bottom: float
    target: dict | None = None  # {"y", "label", "value"}
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, label)

    @property
    def points(self) -> str:
        """The line through the points' tops (a points chart)."""
        return " ".join(f"{c.x + c.width / 2},{c.parts[0].y}" for c in self.columns if c.parts)


def _scale(top: float):
    top = top or 1
    return lambda value: TOP + HEIGHT * (1 - value / top)


def _frame(chart_id: str, title: str, kind: str, rounds: list, top: float, lang: str) -> Chart:
    y = _scale(top)
    ticks = [(round(y(v), 1), number(v, lang)) for v in (0, top / 2, top)]
    width = max(LEFT + STEP * max(len(rounds), 1) + 16, 280)
    columns = [Column(str(r.year), shown_date(r.assessed_on, lang), r.batch, LEFT + 8 + STEP * i,
                      STEP * 0.6) for i, r in enumerate(rounds)]
    return Chart(chart_id, title, kind, columns, ticks, width, TOP + HEIGHT + BOTTOM, TOP + HEIGHT)


def _part(column: Column, key: str, value: float, text: str, base: float, y, colour: str = "#3b6ea5") -> Part:
    top = y(base + value)
    return Part(key, value, text, f"{column.label} ({column.sub}): {text}", round(top, 1), round(y(base) - top, 1),
                colour)


def attained_chart(rounds: list, lang: str, target: tuple[int, object] | None = None) -> Chart:
    """Communes attained per round; `target`: (N, by) drawn as a dashed line at N."""
    W = WORDS[lang]
    top = max([r.attained for r in rounds] + [target[0] if target else 0] + [1])
    chart = _frame("chart-attained", W["chart_attained"], "columns", rounds, top, lang)
    y = _scale(top)
    for column, r in zip(chart.columns, rounds):
        column.parts.append(_part(column, "attained", r.attained, str(r.attained), 0, y))
    if target:
        chart.target = {"y": round(y(target[0]), 1), "value": target[0],
                        "label": W["chart_target"].format(n=target[0], by=shown_date(target[1], lang))}
    return chart


def average_chart(rounds: list, totals: list[int], lang: str) -> Chart:
    """Average criteria met per commune per round, out of the set's number of criteria (`totals`)."""
    W = WORDS[lang]
    top = max(totals + [1])
    chart = _frame("chart-average", W["chart_average"], "points", rounds, top, lang)
    y = _scale(top)
    for column, r in zip(chart.columns, rounds):
        if r.average is not None:
            value = r.average
            column.parts.append(_part(column, "average", value, one_decimal(value, lang), 0, y))
            column.parts[-1].height = 0
    return chart


def bands_chart(rounds: list, bands: list[dict[str, int]], lang: str) -> Chart:
    """Communes by criteria met per round: one segment a band, the most criteria at the bottom."""
    W = WORDS[lang]
    top = max([sum(b.values()) for b in bands] + [1])
    chart = _frame("chart-bands", W["chart_bands"], "columns", rounds, top, lang)
    y = _scale(top)
    seen: dict[str, str] = {}
    for column, brackets in zip(chart.columns, bands):
        base = 0
        for n, (key, count) in enumerate(brackets.items()):
            colour = BAND_COLOURS[min(n, len(BAND_COLOURS) - 1)]
            label = W["band"].format(band=bracket_label(key, lang))
            seen.setdefault(label, colour)
            part = _part(column, key, count, f"{label}: {count}", base, y, colour)
            part.text = str(count)
            column.parts.append(part)
            base += count
    chart.legend = [(colour, label) for label, colour in seen.items()]
    return chart


class Svg:
    """Drawn SVG that a page prints as it is (`__html__`): not a str, so no page's filter of text rewrites it."""

    def __init__(self, markup: str):
        self.markup = str(markup)

    def __html__(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.markup


def svg(chart: Chart) -> Svg:
    """The chart as inline SVG (templates/_chart.html, `round_chart`)."""
    return Svg(Markup(environment().get_template("_chart.html").module.round_chart(chart)))


def progress_charts(rounds: list, bands: list[tuple[dict[str, int], int]], lang: str = "vi",
                    target: tuple | None = None) -> list[Svg]:
    """The progress page's three charts, as inline SVG: `rounds` (history.Round), `bands` each
    round's (bands, number of criteria) (`history_report.round_bands`)."""
    return [svg(attained_chart(rounds, lang, target)), svg(average_chart(rounds, [t for _, t in bands], lang)),
            svg(bands_chart(rounds, [b for b, _ in bands], lang))]
