"""Plots of the mock-interview drill: cards per box, reviews due per day, readiness per area.

Each function draws a table made by :mod:`interview_lab.drill` (no arithmetic here) and
returns a Figure from :func:`interview_lab.plots.new_figure`. The drill widget keeps one
:class:`BoxesPlot`, :class:`ForecastPlot` and :class:`ReadinessPlot` and updates them after
each grade instead of making three new figures.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from interview_lab.plots import PALETTE, fit_layout, new_figure

# Readiness bands (see drill.READINESS_BANDS) in the course's tier colours, best first.
BAND_COLOURS: dict[str, str] = {
    "ready": PALETTE["green"],
    "nearly": PALETTE["sky"],
    "practising": PALETTE["orange"],
    "starting": PALETTE["vermillion"],
}
NEW_COLOUR = "#999999"


class _BarPlot:
    """A bar chart made once and redrawn with new values (the drill widget keeps three).

    The bars, axes and ticks stay; :meth:`update` sets the bars' lengths and colours and
    writes their value labels again, which is several times cheaper than a new figure.
    ``categories`` are the bar labels: a table with other categories needs a new plot;
    :meth:`shows` tells whether a table would draw what is drawn already.
    """

    horizontal = False
    suffix = ""

    def __init__(self, fig: Figure, ax: Axes, categories: list[str], colours: list[str]) -> None:
        self.fig, self.ax, self.categories = fig, ax, categories
        zeros = [0.0] * len(categories)
        draw = ax.barh if self.horizontal else ax.bar
        self.bars = draw(categories, zeros, color=colours)
        self.labels: list = []
        self.shown: tuple | None = None  # (values, colours) last drawn

    def matches(self, categories: list[str]) -> bool:
        return categories == self.categories

    def bars_of(self, table: pd.DataFrame) -> tuple[list[float], list[str] | None]:
        """The bar lengths (and colours, if they vary) ``table`` draws."""
        raise NotImplementedError

    def shows(self, table: pd.DataFrame) -> bool:
        """Whether the plot already draws ``table`` (so a redraw would change nothing)."""
        values, colours = self.bars_of(table)
        return self.shown == (tuple(values), None if colours is None else tuple(colours))

    def _set(self, values: list[float], colours: list[str] | None = None) -> None:
        self.shown = (tuple(values), None if colours is None else tuple(colours))
        for i, (bar, value) in enumerate(zip(self.bars, values, strict=True)):
            if self.horizontal:
                bar.set_width(value)
            else:
                bar.set_height(value)
            if colours is not None:
                bar.set_facecolor(colours[i])
        for label in self.labels:
            label.remove()
        texts = [f"{v:g}{self.suffix}" for v in values]
        self.labels = self.ax.bar_label(self.bars, labels=texts, padding=2, fontsize=9)


class BoxesPlot(_BarPlot):
    """:func:`boxes_figure`, kept and updated by the drill widget."""

    def __init__(self, counts: pd.DataFrame) -> None:
        fig, ax = new_figure(
            "Cards per Leitner box",
            "box (days until the next review)",
            "cards (count)",
            size=(6.0, 3.6),
            fixed=True,
        )
        super().__init__(fig, ax, self.categories_of(counts),
                         [NEW_COLOUR if box == "new" else PALETTE["blue"] for box in counts["box"]])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", visible=False)
        self.update(counts)

    @staticmethod
    def categories_of(counts: pd.DataFrame) -> list[str]:
        return [
            "new" if box == "new" else f"{box}\n({days} d)"
            for box, days in zip(counts["box"], counts["interval_days"], strict=True)
        ]

    def bars_of(self, counts: pd.DataFrame) -> tuple[list[float], None]:
        return counts["cards"].tolist(), None

    def update(self, counts: pd.DataFrame) -> Figure:
        self._set(*self.bars_of(counts))
        self.ax.set_ylim(0, max(1, int(counts["cards"].max())) * 1.15)
        fit_layout(self.fig, [[self.ax]])
        return self.fig


class ForecastPlot(_BarPlot):
    """:func:`forecast_figure`, kept and updated by the drill widget."""

    def __init__(self, forecast: pd.DataFrame) -> None:
        fig, ax = new_figure(
            "Reviews due in the next two weeks", "date", "cards due (count)", size=(7.5, 3.6),
            fixed=True,
        )
        categories = self.categories_of(forecast)
        super().__init__(fig, ax, categories, [PALETTE["orange"]] * len(categories))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", visible=False)
        self.update(forecast)

    @staticmethod
    def categories_of(forecast: pd.DataFrame) -> list[str]:
        return [stamp.strftime("%a\n%d %b") for stamp in forecast["date"]]

    def bars_of(self, forecast: pd.DataFrame) -> tuple[list[float], None]:
        return forecast["due"].tolist(), None

    def update(self, forecast: pd.DataFrame) -> Figure:
        self._set(*self.bars_of(forecast))
        self.ax.set_ylim(0, max(1, int(forecast["due"].max())) * 1.15)
        fit_layout(self.fig, [[self.ax]])
        return self.fig


class ReadinessPlot(_BarPlot):
    """:func:`readiness_figure`, kept and updated by the drill widget."""

    horizontal = True
    suffix = " %"

    def __init__(self, table: pd.DataFrame) -> None:
        fig, ax = new_figure(
            "Readiness per area", "readiness (% of the way to box 5)", "area", size=(7.0, 4.2),
            fixed=True,
        )
        categories = self.categories_of(table)
        super().__init__(fig, ax, categories, [NEW_COLOUR] * len(categories))
        ax.set_xlim(0, 110)
        ax.set_xticks(range(0, 101, 25))
        ax.grid(axis="y", visible=False)
        handles = [Patch(color=colour, label=band) for band, colour in BAND_COLOURS.items()]
        self.legend = ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            title="band",
            title_fontsize=8,
        )
        self.update(table)

    @staticmethod
    def categories_of(table: pd.DataFrame) -> list[str]:
        return table["area"].iloc[::-1].tolist()  # the first area on top

    def bars_of(self, table: pd.DataFrame) -> tuple[list[float], list[str]]:
        ordered = table.iloc[::-1]
        return (ordered["readiness_pct"].tolist(),
                [BAND_COLOURS.get(band, NEW_COLOUR) for band in ordered["band"]])

    def update(self, table: pd.DataFrame) -> Figure:
        self._set(*self.bars_of(table))
        fit_layout(self.fig, [[self.ax]], beside=self.legend)
        return self.fig


def boxes_figure(counts: pd.DataFrame) -> Figure:
    """Bars of :func:`drill.box_counts`: how many cards are new and how many sit in each box."""
    return BoxesPlot(counts).fig


def forecast_figure(forecast: pd.DataFrame) -> Figure:
    """Bars of :func:`drill.due_forecast`: cards due on each of the next days (overdue on day 0)."""
    return ForecastPlot(forecast).fig


def readiness_figure(table: pd.DataFrame) -> Figure:
    """Horizontal bars of :func:`drill.readiness`, coloured by band, first area on top."""
    return ReadinessPlot(table).fig
