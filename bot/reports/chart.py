"""The chart attached to a committee member's digest: opinion counts as two bar panels.

Built on ``matplotlib.figure.Figure`` with the Agg canvas, never pyplot: no global figure
registry, no rcParams changes, nothing kept after the call, so charts may be drawn from any
thread (e.g. ``asyncio.to_thread``). Panels are stacked (sub-districts above categories) and
the picture is 1200 px wide with text sized for a phone screen; it grows in height with the
number of rows.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator

from bot.reports.fonts import ChartFont, chart_font

WIDTH_IN = 12.0
DPI = 100  # 1200 px wide
ROW_IN = 0.5  # one bar with its gap: 50 px
PANEL_IN = 1.0  # a panel's heading and axis
TITLE_IN, NOTE_IN, LINE_IN = 0.8, 0.4, 0.35  # the title, the note, each extra wrapped line
TITLE_PT, HEADING_PT, LABEL_PT, VALUE_PT, NOTE_PT, TICK_PT = 22, 18, 16, 16, 14, 12
LABEL_MAX_WIDTH = 28  # in half-width columns (a hanzi is two); longer labels are shortened
TEXT_MAX_WIDTH = 72  # title and note wrap here
SUBDISTRICT_COLOUR = "#3b6fb6"
CATEGORY_COLOUR = "#d9822b"
MUTED = "#666666"

_Props = Callable[[float], FontProperties]  # font properties at a given size


def counts_chart_png(
    title: str,
    by_subdistrict: Sequence[tuple[str, int]],
    by_category: Sequence[tuple[str, int]],
    *,
    note: str = "",
    headings: tuple[str, str] = ("按街道", "按类别"),
    empty: str = "暂无意见 · No items",
    font: ChartFont | None = None,
) -> bytes:
    """A PNG of counts by sub-district and by category, rows in the order given.

    Zero counts are drawn as rows with "0". An empty sequence gives its panel the `empty`
    text; both empty give a single panel saying so. `headings` name the two panels; `font`
    defaults to `chart_font()`.
    """
    font = font or chart_font()
    panels = [
        (headings[0], list(by_subdistrict), SUBDISTRICT_COLOUR),
        (headings[1], list(by_category), CATEGORY_COLOUR),
    ]
    if not by_subdistrict and not by_category:
        panels = [("", [], SUBDISTRICT_COLOUR)]
    rows = [len(items) or 2 for _, items, _ in panels]  # an empty panel: room for its text
    height = (
        TITLE_IN
        + (NOTE_IN if note else 0)
        + LINE_IN * _wrapped_lines(title, note)
        + sum(PANEL_IN + ROW_IN * n for n in rows)
    )
    layout = ConstrainedLayoutEngine(h_pad=0.12, w_pad=0.15, hspace=0.06)
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)

    def props(size: float) -> FontProperties:
        return FontProperties(family=font.families, size=size)

    figure.suptitle(_wrap(title, TEXT_MAX_WIDTH), fontproperties=props(TITLE_PT))
    if note:
        figure.supxlabel(_wrap(note, TEXT_MAX_WIDTH), fontproperties=props(NOTE_PT), color=MUTED)
    axes = figure.subplots(len(panels), 1, squeeze=False, height_ratios=rows)[:, 0]
    for ax, (heading, items, colour) in zip(axes, panels, strict=True):
        _panel(ax, heading, items, colour, empty, props)

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _panel(
    ax: Axes,
    heading: str,
    items: list[tuple[str, int]],
    colour: str,
    empty: str,
    props: _Props,
) -> None:
    if heading:
        ax.set_title(heading, fontproperties=props(HEADING_PT), loc="left", pad=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not items:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            empty,
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            fontproperties=props(HEADING_PT),
        )
        return
    labels = [_shorten(label, LABEL_MAX_WIDTH) for label, _ in items]
    values = [max(int(value), 0) for _, value in items]
    positions = list(range(len(items)))
    bars = ax.barh(positions, values, height=0.66, color=colour)
    ax.bar_label(bars, labels=[str(v) for v in values], padding=5, fontproperties=props(VALUE_PT))
    ax.set_yticks(positions, labels=labels, fontproperties=props(LABEL_PT))
    ax.set_ylim(len(items) - 0.5, -0.5)  # first item on top
    ax.tick_params(axis="y", length=0, pad=8)
    top = max(values, default=0)
    ax.set_xlim(0, max(top, 1) * 1.12 + 0.5)  # room for the value label; never 0..0
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(props(TICK_PT))
        tick.set_color(MUTED)
    ax.tick_params(axis="x", colors=MUTED)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _columns(text: str) -> int:
    return sum(map(_width, text))


def _drawable(text: str) -> str:
    """`text` without emoji (and their joiners and variation selectors): the chart fonts
    have none, and matplotlib would draw an empty box for each (a title "…🚲")."""
    kept = (
        ch
        for ch in text
        if not (
            (unicodedata.category(ch) == "So" and ord(ch) >= 0x2190)
            or ch in "\u200d\ufe0e\ufe0f"
            or 0x1F000 <= ord(ch) < 0x1FB00
        )
    )
    return re.sub(r" {2,}", " ", "".join(kept)).strip()


def _shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` columns, with "…" where it was cut."""
    text = _drawable(text)
    if _columns(text) <= limit:
        return text
    out, used = "", 0
    for char in text:
        if used + _width(char) > limit - 1:
            break
        out, used = out + char, used + _width(char)
    return out.rstrip() + "…"


def _wrap(text: str, limit: int) -> str:
    """Lines of at most `limit` columns. Chinese has no spaces and breaks anywhere; a Latin
    word that would be cut moves to the next line whole."""
    lines: list[str] = []
    for paragraph in _drawable(text).splitlines() or [""]:
        line = ""
        for char in paragraph:
            if _columns(line) + _width(char) > limit:
                head, space, tail = line.rpartition(" ")
                if space and head and tail.isascii() and char.isascii() and char != " ":
                    lines.append(head.rstrip())
                    line = tail
                else:
                    lines.append(line.rstrip())
                    line = ""
                if char == " ":
                    continue
            line += char
        lines.append(line.rstrip())
    return "\n".join(lines)


def _wrapped_lines(title: str, note: str) -> int:
    """Lines beyond one for the title and the note, to make the figure that much taller."""
    extra = _wrap(title, TEXT_MAX_WIDTH).count("\n")
    if note:
        extra += _wrap(note, TEXT_MAX_WIDTH).count("\n")
    return extra


def rates_chart_png(
    title: str,
    labels: Sequence[str],
    panels: Sequence[tuple[str, Sequence[float | None]]],
    *,
    note: str = "",
    missing: str = "—",
    font: ChartFont | None = None,
) -> bytes:
    """A PNG of rates (0..1) as stacked panels of horizontal bars, one bar per label, drawn
    as percentages; a None rate (nothing to measure) is an empty row marked `missing`."""
    font = font or chart_font()
    rows = max(len(labels), 1)
    height = (
        TITLE_IN
        + (NOTE_IN if note else 0)
        + LINE_IN * _wrapped_lines(title, note)
        + len(panels) * (PANEL_IN + ROW_IN * rows)
    )
    layout = ConstrainedLayoutEngine(h_pad=0.12, w_pad=0.15, hspace=0.06)
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)

    def props(size: float) -> FontProperties:
        return FontProperties(family=font.families, size=size)

    figure.suptitle(_wrap(title, TEXT_MAX_WIDTH), fontproperties=props(TITLE_PT))
    if note:
        figure.supxlabel(_wrap(note, TEXT_MAX_WIDTH), fontproperties=props(NOTE_PT), color=MUTED)
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    colours = (SUBDISTRICT_COLOUR, CATEGORY_COLOUR, "#4a9a5b")
    for n, (ax, (heading, values)) in enumerate(zip(axes, panels, strict=True)):
        _rate_panel(ax, heading, labels, values, colours[n % len(colours)], missing, props)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _rate_panel(
    ax: Axes,
    heading: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    colour: str,
    missing: str,
    props: _Props,
) -> None:
    ax.set_title(heading, fontproperties=props(HEADING_PT), loc="left", pad=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    positions = list(range(len(labels)))
    shown = [0.0 if v is None else max(0.0, min(1.0, v)) * 100 for v in values]
    bars = ax.barh(positions, shown, height=0.66, color=colour)
    marks = [missing if v is None else f"{round(v * 100)}%" for v in values]
    ax.bar_label(bars, labels=marks, padding=5, fontproperties=props(VALUE_PT))
    ax.set_yticks(
        positions,
        labels=[_shorten(label, LABEL_MAX_WIDTH) for label in labels],
        fontproperties=props(LABEL_PT),
    )
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0, pad=8)
    ax.set_xlim(0, 118)  # room for "100%"
    ax.set_xticks([0, 25, 50, 75, 100], labels=["0", "25", "50", "75", "100%"])
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(props(TICK_PT))
        tick.set_color(MUTED)
    ax.tick_params(axis="x", colors=MUTED)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
