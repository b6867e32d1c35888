"""Plots of the four keys of software delivery, with the DORA tier bands drawn behind them.

* :func:`weekly_trend` - the four keys week by week for one service (or all), each panel
  shaded with the tiers of the chosen report year (2021 or 2023) and the window's value as
  a dashed line.
* :func:`tier_grid` - services against the four keys, each cell coloured by its tier and
  labelled with its value.

The numbers come from :mod:`interview_lab.dora` (``weekly_trend``, ``four_keys``,
``summary_table``: Four Keys' definitions) and the bands from the cut-offs in
:mod:`interview_lab.dora_tiers` (``rules``). Nothing here computes a figure of its own: the
band edges are the rules' bounds, read in order from Elite to Low. Colours are the course's
tier colours (Okabe-Ito, colour-blind safe).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    NullLocator,
    PercentFormatter,
)

from interview_lab.dora import OVERALL, FourKeys, hours_text
from interview_lab.dora_tiers import TIERS, rules
from interview_lab.plots import (
    EDGE_PAD_IN,
    PALETTE,
    TIER_COLOURS,
    fit_layout,
    new_figure,
    text_size_in,
)

# (trend column, tier-table metric, panel title, y label, log scale)
PANELS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("deploys_per_week", "deployment_frequency", "Deployment frequency",
     "deployments per week", False),
    ("lead_time_median_hours", "lead_time", "Lead time for changes (weekly median)",
     "hours (log scale)", True),
    ("change_failure_rate", "change_failure_rate", "Change failure rate",
     "deployments causing an incident (%)", False),
    ("time_to_restore_median_hours", "time_to_restore", "Time to restore (weekly median)",
     "hours (log scale)", True),
)
# The FourKeys attribute shown as the dashed line in each panel.
WINDOW_VALUE = {
    "deploys_per_week": "deploys_per_week",
    "lead_time_median_hours": "lead_time_median_hours",
    "change_failure_rate": "change_failure_rate",
    "time_to_restore_median_hours": "time_to_restore_median_hours",
}
BAND_ALPHA = 0.22


def tier_bands(metric: str, report_year: int) -> list[tuple[str, float, float]]:
    """``(tier, low, high)`` for each tier that owns values of ``metric`` in ``report_year``.

    Read from the rules Elite first: a ``>``/``>=`` rule owns the values from its bound up to
    the previous tier's bound, a ``<``/``<=`` rule the values from the previous bound up to
    its own; ``otherwise`` takes the rest and ``never`` owns nothing (its band is another
    tier's). Open ends are ``0`` and ``inf``.
    """
    bands: list[tuple[str, float, float]] = []
    upper, lower = math.inf, 0.0
    for rule in rules(metric, report_year):
        if rule.comparison in (">", ">="):
            bands.append((rule.tier, float(rule.bound), upper))
            upper = float(rule.bound)
        elif rule.comparison in ("<", "<="):
            bands.append((rule.tier, lower, float(rule.bound)))
            lower = float(rule.bound)
        elif rule.comparison == "otherwise":
            bands.append((rule.tier, lower, upper))
    return bands


def _hours_tick(value: float, _pos: float) -> str:
    if value >= 1:
        return f"{value:g} h"
    return f"{value * 60:.3g} min"


def _limits(values: np.ndarray, window_value: float | None, log: bool) -> tuple[float, float]:
    """Y limits that show the data and the window's value with a margin."""
    shown = values[np.isfinite(values)]
    if window_value is not None and math.isfinite(window_value):
        shown = np.append(shown, window_value)
    if log:
        shown = shown[shown > 0]
        if shown.size == 0:
            return 0.1, 100.0
        return float(shown.min()) / 2.5, float(shown.max()) * 2.5
    top = float(shown.max()) if shown.size else 0.0
    return 0.0, top * 1.2 if top > 0 else 1.0


@dataclass
class _Panel:
    bands: list[Rectangle]  # the tier bands behind the data (spares hidden)
    line: Line2D  # the weekly values
    window: Line2D  # the whole window's value (dashed)


def _set_panel(ax: Axes, parts: _Panel, weeks: np.ndarray, values: np.ndarray, metric: str,
               log: bool, window_value: float | None, report_year: int) -> None:
    """Give one panel of :class:`WeeklyTrendPlot` new data (its artists exist already)."""
    shown = window_value is not None and math.isfinite(window_value)
    low, high = _limits(values, window_value if shown else None, log)
    if metric == "change_failure_rate":
        high = min(max(high, 0.2), 1.05)  # the 5/10/15 % cut-offs in view; never above 100 %
    if metric == "deployment_frequency":
        high = max(high, 8.0)  # keep the once-per-day cut-off in view
    ax.set_ylim(low, high)
    bands = tier_bands(metric, report_year)
    while len(parts.bands) < len(bands):
        parts.bands.append(ax.add_patch(Rectangle(
            (0.0, 1.0), 1.0, 1.0, transform=ax.get_yaxis_transform(),  # x across, y in data
            alpha=BAND_ALPHA, linewidth=0, zorder=0)))
    for i, band in enumerate(parts.bands):
        tier, band_low, band_high = bands[i] if i < len(bands) else ("", 0.0, 0.0)
        bottom, top = max(band_low, low), min(band_high, high)
        band.set_visible(top > bottom)
        if top > bottom:
            band.set_color(TIER_COLOURS[tier])
            band.set_y(bottom)
            band.set_height(top - bottom)
    parts.line.set_data(weeks, values)
    parts.window.set_visible(shown)
    if shown:
        parts.window.set_ydata([window_value, window_value])


class WeeklyTrendPlot:
    """The figure of :func:`weekly_trend`, made once and redrawn with new data.

    A widget keeps one and calls :meth:`update` on every change of its controls: the axes,
    their ticks, labels and legend are made once and only the data, the limits, the bands
    and the title change, which is several times cheaper than a new figure.
    """

    def __init__(self, with_window: bool = True) -> None:
        fig, first = new_figure(PANELS[0][2], "", PANELS[0][3], size=(10.0, 6.6), fixed=True)
        self.fig = fig
        self.suptitle = fig.suptitle(
            " ", fontweight="bold", y=1 - EDGE_PAD_IN / fig.get_figheight(), va="top",
        )
        grid = fig.add_gridspec(2, 2)
        first.set_subplotspec(grid[0, 0])
        self.axes = [first] + [fig.add_subplot(grid[i // 2, i % 2], sharex=first)
                               for i in (1, 2, 3)]
        self.panels: list[_Panel] = []
        for ax, (_, metric, title, ylabel, log) in zip(self.axes, PANELS, strict=True):
            if log:
                ax.set_yscale("log")
                ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
                ax.yaxis.set_minor_locator(NullLocator())
                ax.yaxis.set_major_formatter(FuncFormatter(_hours_tick))
            if metric == "change_failure_rate":
                ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
            (line,) = ax.plot([], [], color=PALETTE["blue"], marker="o", markersize=3.5,
                              linewidth=1.4, zorder=3)
            window = ax.axhline(1.0, color=PALETTE["black"], linestyle="--", linewidth=1.1,
                                zorder=4)  # shown or hidden by update (after the legend copies it)
            self.panels.append(_Panel([], line, window))  # bands: added by the first update
            ax.grid(axis="x", visible=False)
            ax.tick_params(axis="x", labelsize=8)
            ax.set_title(title, y=1.0)  # a fixed height: see new_figure
            ax.set_ylabel(ylabel)
        self.locator = FixedLocator([])
        first.xaxis.set_major_locator(self.locator)
        first.xaxis.set_major_formatter(ConciseDateFormatter(self.locator))
        for ax in self.axes[2:]:
            ax.set_xlabel("week starting (Monday, UTC)")
        for ax in self.axes[:2]:  # the dates are under the panels below, on the same axis
            ax.tick_params(labelbottom=False)
            ax.xaxis.offsetText.set_visible(False)
        handles = [Patch(color=TIER_COLOURS[t], alpha=BAND_ALPHA + 0.2, label=t) for t in TIERS]
        handles.append(self.panels[0].line)
        labels = [*TIERS, "weekly value"]
        if with_window:
            handles.append(self.panels[0].window)
            labels.append("whole window")
        self.legend = fig.legend(handles, labels, loc="lower center", ncol=len(labels),
                                 fontsize=9)

    def update(self, trend: pd.DataFrame, report_year: int, keys: FourKeys | None = None,
               service: str | None = None) -> Figure:
        """Draw ``trend`` (see :func:`weekly_trend`) and return the figure."""
        label = OVERALL if service is None else service
        rows = trend[trend["service"] == label].sort_values("week_start")
        if rows.empty:
            raise ValueError(f"the weekly trend has no rows for service {label!r}")
        who = "all services" if service is None else service
        self.suptitle.set_text(
            f"Four keys week by week: {who}, tiers of the DORA {report_year} report")
        weeks = date2num(rows["week_start"].dt.tz_convert(None))
        for ax, parts, (column, metric, _, _, log) in zip(self.axes, self.panels, PANELS,
                                                          strict=True):
            window = None if keys is None else getattr(keys, WINDOW_VALUE[column])
            values = rows[column].to_numpy(dtype=float)
            _set_panel(ax, parts, weeks, values, metric, log, window, report_year)
        first = self.axes[0]
        for ax in self.axes:  # x limits from the weeks alone (relim would weigh every band too)
            ax.ignore_existing_data_limits = True
            ax.update_datalim(np.column_stack([weeks, np.zeros(len(weeks))]), updatey=False)
        first.autoscale_view(scalex=True, scaley=False)
        # The dates are chosen once here rather than by a date locator at every draw of the
        # four panels (the same ticks AutoDateLocator(minticks=3, maxticks=7) picks).
        self.locator.locs = AutoDateLocator(minticks=3, maxticks=7).tick_values(
            *num2date(first.get_xlim()))
        title_h = text_size_in(self.suptitle.get_text(), self.suptitle.get_fontsize(),
                               "bold")[1]
        fit_layout(self.fig, [self.axes[:2], self.axes[2:]], below=self.legend,
                   top=title_h + 0.1)
        return self.fig


def weekly_trend(
    trend: pd.DataFrame,
    report_year: int,
    keys: FourKeys | None = None,
    service: str | None = None,
) -> Figure:
    """The four keys week by week, each panel over its tier bands for ``report_year``.

    ``trend`` is :func:`interview_lab.dora.weekly_trend`'s table; the rows of ``service``
    (``None``: the overall rows) are drawn. ``keys``, when given, adds the window's value of
    each key as a dashed line. Weeks without anything to time leave gaps. (Widgets keep a
    :class:`WeeklyTrendPlot` instead, which redraws faster.)
    """
    return WeeklyTrendPlot(with_window=keys is not None).update(trend, report_year, keys,
                                                                service)


def _cell_text(metric: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if metric == "deployment_frequency":
        return f"{value:.1f}/week"
    if metric == "change_failure_rate":
        return f"{value:.1%}"
    return hours_text(value)


def tier_grid(summary: pd.DataFrame, report_year: int,
              services: Sequence[str] | None = None) -> Figure:
    """Services (rows) against the four keys (columns), coloured by tier, with the values.

    ``summary`` is :func:`interview_lab.dora.summary_table`'s table for ``report_year``.
    """
    table = summary if services is None else summary[summary["service"].isin(services)]
    if table.empty:
        raise ValueError("the summary table has no services to draw")
    columns = [(column, metric) for column, metric, *_ in PANELS]
    names = ["deployment frequency", "lead time", "change failure rate", "time to restore"]
    fig, ax = new_figure(f"Four keys by service: tiers of the DORA {report_year} report", "", "",
                         size=(9.0, 0.55 * len(table) + 1.9))
    for row, (_, record) in enumerate(table.iterrows()):
        for col, (column, metric) in enumerate(columns):
            tier = record[f"tier_{metric}"]
            colour = TIER_COLOURS.get(tier, "#FFFFFF") if isinstance(tier, str) else "#FFFFFF"
            ax.add_patch(Rectangle((col, row), 1, 1, facecolor=colour, alpha=0.55,
                                   edgecolor="white", linewidth=2))
            value = record[column]
            text = _cell_text(metric, None if pd.isna(value) else float(value))
            ax.text(col + 0.5, row + 0.5, f"{text}\n{tier if isinstance(tier, str) else '-'}",
                    ha="center", va="center", fontsize=8.5)
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(table), 0)
    ax.set_xticks(np.arange(len(columns)) + 0.5, names)
    ax.set_yticks(np.arange(len(table)) + 0.5, list(table["service"]))
    ax.tick_params(length=0)
    ax.grid(False)
    ax.xaxis.tick_top()
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    return fig
