"""Plots of the mock-interview drill: cards per box, reviews due per day, readiness per area.

Each function draws a table made by :mod:`interview_lab.drill` (no arithmetic here) and
returns a Figure from :func:`interview_lab.plots.new_figure`.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from interview_lab.plots import PALETTE, new_figure

# Readiness bands (see drill.READINESS_BANDS) in the course's tier colours, best first.
BAND_COLOURS: dict[str, str] = {
    "ready": PALETTE["green"],
    "nearly": PALETTE["sky"],
    "practising": PALETTE["orange"],
    "starting": PALETTE["vermillion"],
}
NEW_COLOUR = "#999999"


def _label_bars(ax, bars, values, *, horizontal: bool = False, suffix: str = "") -> None:
    texts = [f"{v:g}{suffix}" for v in values]
    ax.bar_label(bars, labels=texts, padding=2, fontsize=9)
    if horizontal:
        ax.margins(x=0.12)


def boxes_figure(counts: pd.DataFrame) -> Figure:
    """Bars of :func:`drill.box_counts`: how many cards are new and how many sit in each box."""
    fig, ax = new_figure(
        "Cards per Leitner box",
        "box (days until the next review)",
        "cards (count)",
        size=(6.0, 3.6),
    )
    labels = [
        "new" if box == "new" else f"{box}\n({days} d)"
        for box, days in zip(counts["box"], counts["interval_days"], strict=True)
    ]
    colours = [NEW_COLOUR if box == "new" else PALETTE["blue"] for box in counts["box"]]
    bars = ax.bar(labels, counts["cards"], color=colours)
    _label_bars(ax, bars, counts["cards"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(1, int(counts["cards"].max())) * 1.15)
    ax.grid(axis="x", visible=False)
    return fig


def forecast_figure(forecast: pd.DataFrame) -> Figure:
    """Bars of :func:`drill.due_forecast`: cards due on each of the next days (overdue on day 0)."""
    fig, ax = new_figure(
        "Reviews due in the next two weeks", "date", "cards due (count)", size=(7.5, 3.6)
    )
    labels = [stamp.strftime("%a\n%d %b") for stamp in forecast["date"]]
    bars = ax.bar(labels, forecast["due"], color=PALETTE["orange"])
    _label_bars(ax, bars, forecast["due"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(1, int(forecast["due"].max())) * 1.15)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", visible=False)
    return fig


def readiness_figure(table: pd.DataFrame) -> Figure:
    """Horizontal bars of :func:`drill.readiness`, coloured by band, first area on top."""
    fig, ax = new_figure(
        "Readiness per area", "readiness (% of the way to box 5)", "area", size=(7.0, 4.2)
    )
    ordered = table.iloc[::-1]
    colours = [BAND_COLOURS.get(band, NEW_COLOUR) for band in ordered["band"]]
    bars = ax.barh(ordered["area"], ordered["readiness_pct"], color=colours)
    _label_bars(ax, bars, ordered["readiness_pct"], horizontal=True, suffix=" %")
    ax.set_xlim(0, 110)
    ax.set_xticks(range(0, 101, 25))
    ax.grid(axis="y", visible=False)
    handles = [Patch(color=colour, label=band) for band, colour in BAND_COLOURS.items()]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title="band",
        title_fontsize=8,
    )
    return fig
