"""Plots of salary bands and offers (:mod:`interview_lab.salary`).

Each function takes the library's results and returns a Figure made by
:func:`interview_lab.plots.new_figure`. Money axes are US dollars per year.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from interview_lab.plots import CYCLE, PALETTE, fit_layout, legend_below, new_figure
from interview_lab.salary import OfferComparison, SalaryBand, usd

USD = StrMethodFormatter("${x:,.0f}")


def _usd(amount: float) -> str:
    """:func:`usd` with its dollar sign escaped (matplotlib reads $...$ as mathematics)."""
    return usd(amount).replace("$", r"\$")


def _plain(text: str) -> str:
    """Free text for a title or label, dollar signs escaped."""
    return text.replace("$", r"\$")


MARK_COLOURS = (PALETTE["vermillion"], PALETTE["purple"], PALETTE["green"], PALETTE["black"])


def _band_label(band: SalaryBand) -> str:
    if band.illustrative:
        return f"{band.role}\n{band.location}\n(illustrative, from the chapter)"
    return f"{band.role}\n{band.location}\n(BLS OEWS {band.reference_year}, 25th-75th pct)"


def _draw_range(
    ax: Axes,
    low_usd: float,
    high_usd: float,
    label: str,
    mid: tuple[str, float] | None = None,
    tails: tuple[float, float] | None = None,
    marks: Mapping[str, float] | None = None,
) -> None:
    ax.hlines(0, low_usd, high_usd, color=PALETTE["sky"], linewidth=28)
    if mid is not None:
        ax.vlines(mid[1], -0.25, 0.25, color=PALETTE["blue"], linewidth=3,
                  label=f"{mid[0]} {_usd(mid[1])}")
    if tails is not None:
        ax.hlines(0, tails[0], low_usd, color=PALETTE["blue"], linewidth=1)
        ax.hlines(0, high_usd, tails[1], color=PALETTE["blue"], linewidth=1)
        ax.plot(list(tails), [0, 0], "|", color=PALETTE["blue"], markersize=14,
                label=f"10th-90th percentile {_usd(tails[0])}-{_usd(tails[1])}")
    for i, (name, value) in enumerate((marks or {}).items()):
        ax.axvline(value, color=MARK_COLOURS[i % len(MARK_COLOURS)], linestyle="--", linewidth=2,
                   label=f"{name} {_usd(value)}")
    ax.set_yticks([0], [label])
    ax.set_ylim(-0.6, 0.6)
    ax.xaxis.set_major_formatter(USD)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.margins(x=0.08)
    ax.grid(axis="y", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    band = Patch(color=PALETTE["sky"], label=f"band {_usd(low_usd)}-{_usd(high_usd)}")
    legend = legend_below(ax, [band, *handles], [band.get_label(), *labels], ncol=2, fontsize=8)
    fit_layout(ax.get_figure(), [[ax]], below=legend)


def band_chart(band: SalaryBand, marks: Mapping[str, float] | None = None) -> Figure:
    """One band as a bar from low to high (midpoint and BLS 10th/90th percentiles marked),
    with vertical lines for the figures in ``marks`` (e.g. ``{"offer": 110000}``)."""
    fig, ax = new_figure(
        "Where the offer sits in the band", "annual base salary (USD per year)", "",
        size=(9.0, 3.4), fixed=True,
    )
    mid = None
    if band.mid_usd is not None:
        mid = ("mid" if band.illustrative else "median", band.mid_usd)
    found = dict(band.percentiles)
    tails = (found[10], found[90]) if 10 in found and 90 in found else None
    _draw_range(ax, band.low_usd, band.high_usd, _band_label(band), mid, tails, marks)
    return fig


def range_chart(
    low_usd: float, high_usd: float, marks: Mapping[str, float] | None = None,
    title: str = "The offer and the band",
) -> Figure:
    """A band given by its ends, with vertical lines for the figures in ``marks``."""
    fig, ax = new_figure(_plain(title), "annual base salary (USD per year)", "", size=(9.0, 3.4),
                         fixed=True)
    _draw_range(ax, low_usd, high_usd, "band", marks=marks)
    return fig


def bands_overview(bands: pd.DataFrame, offer_usd: float | None = None) -> Figure:
    """Every band of a band table (as :func:`interview_lab.salary.load_salary_bands` returns)
    as one row, with the offer marked."""
    table = bands.iloc[::-1]
    fig, ax = new_figure(
        "Salary bands: the chapter's figures and BLS percentiles",
        "annual base salary (USD per year)", "", size=(10.0, 0.8 * len(table) + 1.8),
    )
    colours = table["basis"].map({"illustrative": PALETTE["orange"], "BLS OEWS": PALETTE["sky"]})
    labels = [
        f"{r}\n{loc}" + (f", {int(y)}" if pd.notna(y) else "")
        for r, loc, y in zip(table["role"], table["location"], table["reference_year"], strict=True)
    ]
    rows = range(len(table))
    ax.hlines(rows, table["low_usd"], table["high_usd"], colors=list(colours), linewidth=18)
    ax.scatter(table["mid_usd"], rows, marker="|", s=400, color=PALETTE["blue"], zorder=3)
    ax.set_yticks(rows, labels)
    ax.set_ylim(-0.6, len(table) - 0.4)
    handles = [
        Patch(color=PALETTE["orange"], label="illustrative (chapter): low-high"),
        Patch(color=PALETTE["sky"], label="BLS OEWS: 25th-75th percentile"),
        Line2D([], [], marker="|", linestyle="none", markersize=14, color=PALETTE["blue"],
               label="mid / median"),
    ]
    if offer_usd is not None:
        ax.axvline(offer_usd, color=PALETTE["vermillion"], linestyle="--", linewidth=2)
        handles.append(Line2D([], [], color=PALETTE["vermillion"], linestyle="--",
                              label=f"offer {_usd(offer_usd)}"))
    ax.xaxis.set_major_formatter(USD)
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.grid(axis="y", visible=False)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)
    return fig


def compensation_breakdown(schedule: pd.DataFrame, name: str = "offer") -> Figure:
    """Stacked bars per year: base, bonus, sign-on and vested equity, total on top.

    ``schedule`` is :func:`interview_lab.salary.compensation_schedule`'s frame.
    """
    fig, ax = new_figure(
        f"Total compensation by year: {_plain(name)}", "year of employment",
        "compensation (USD per year)", size=(8.0, 4.2), fixed=True,
    )
    parts = {"base_usd": "base", "bonus_usd": "bonus", "sign_on_usd": "sign-on",
             "equity_usd": "equity vesting"}
    heights = schedule[list(parts)].to_numpy()
    # Stacked bars: each part starts where the parts below it end (drawing geometry only).
    bottoms = np.cumsum(heights, axis=1) - heights
    for i, label in enumerate(parts.values()):
        ax.bar(schedule["year"], heights[:, i], bottom=bottoms[:, i], color=CYCLE[i],
               label=label, width=0.6)
    for year, total in zip(schedule["year"], schedule["total_usd"], strict=True):
        ax.annotate(_usd(round(total)), (year, total), xytext=(0, 3), textcoords="offset points",
                    ha="center", fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year of employment")
    ax.yaxis.set_major_formatter(USD)
    ax.margins(y=0.12)
    ax.grid(axis="x", visible=False)
    fit_layout(fig, [[ax]], below=legend_below(ax, ncol=4, fontsize=8))
    return fig


def offer_comparison(comparison: OfferComparison) -> Figure:
    """Cumulative pay of two offers year by year, the break-even year marked."""
    fig, ax = new_figure(
        f"{_plain(comparison.name_a)} against {_plain(comparison.name_b)}: cumulative pay",
        "years of employment", "cumulative compensation (USD)", size=(8.0, 4.2), fixed=True,
    )
    ax.plot(comparison.years, comparison.cumulative_a, marker="o", color=PALETTE["blue"],
            label=_plain(comparison.name_a))
    ax.plot(comparison.years, comparison.cumulative_b, marker="s", color=PALETTE["orange"],
            label=_plain(comparison.name_b))
    if comparison.break_even_year is not None:
        ax.axvline(comparison.break_even_year, color=PALETTE["vermillion"], linestyle="--",
                   label=f"{_plain(str(comparison.overtaker))} ahead from year "
                   f"{comparison.break_even_year}")
    ax.yaxis.set_major_formatter(USD)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=8)
    fit_layout(fig, [[ax]])
    return fig
