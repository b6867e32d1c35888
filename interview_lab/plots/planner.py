"""Plots of a preparation plan (:mod:`interview_lab.planner`)."""

from __future__ import annotations

from datetime import timedelta

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from interview_lab.planner import Plan
from interview_lab.plots import PALETTE, fit_layout, legend_below, new_figure


def timeline(plan: Plan) -> Figure:
    """A timeline: one row per round, a bar on every day it is studied, the interview marked.

    Bar height inside a row is that day's hours as a share of ``hours_per_day``, so a day split
    between two rounds shows two thinner bars. Weak rounds are drawn in vermillion.
    """
    fig, ax = new_figure(
        f"Preparation plan: {plan.days} days, {plan.total_hours:g} h in total",
        "date",
        "round (bar height: share of the day)",
        size=(9.0, 4.2),
        fixed=True,
    )
    names = [r.name for r in plan.rounds]
    rows = {name: len(names) - 1 - i for i, name in enumerate(names)}  # first round on top
    schedule = plan.schedule
    y = schedule["round"].map(rows).to_numpy()
    height = (schedule["hours"] / plan.hours_per_day * 0.8).to_numpy()
    colours = schedule["weak"].map({True: PALETTE["vermillion"], False: PALETTE["blue"]})
    left = mdates.date2num(list(schedule["date"]))
    ax.bar(
        left, height, width=0.9, bottom=y - height / 2, align="edge",
        color=list(colours), edgecolor="white", linewidth=0.5,
    )
    ax.set_yticks(list(rows.values()), list(rows.keys()))
    ax.set_ylim(-0.6, len(names) - 0.4)
    interview = mdates.date2num(plan.interview_date)
    ax.axvline(interview, color=PALETTE["black"], linestyle="--", linewidth=1.2)
    ax.annotate(
        "interview", (interview, len(names) - 0.5), xytext=(-4, 0), textcoords="offset points",
        ha="right", va="center", fontsize=9,
    )
    ax.set_xlim(
        mdates.date2num(plan.today - timedelta(days=0.5)),
        mdates.date2num(plan.interview_date + timedelta(days=1)),
    )
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="y", visible=False)
    legend = legend_below(
        ax,
        handles=[
            Patch(color=PALETTE["blue"], label="round"),
            Patch(color=PALETTE["vermillion"], label="round testing a weak area"),
        ],
        ncol=2,
        fontsize=8,
    )
    fit_layout(fig, [[ax]], below=legend)
    return fig


def hours_by_round(plan: Plan) -> Figure:
    """Horizontal bars: hours of preparation per round, weak rounds in vermillion."""
    fig, ax = new_figure(
        "Hours of preparation per round", "hours of preparation (h)", "round", size=(8.0, 3.6)
    )
    names = [r.name for r in plan.rounds][::-1]
    hours = [r.hours for r in plan.rounds][::-1]
    colours = [PALETTE["vermillion"] if r.weak else PALETTE["blue"] for r in plan.rounds][::-1]
    bars = ax.barh(names, hours, color=colours)
    ax.bar_label(bars, labels=[f"{h:g} h" for h in hours], padding=3, fontsize=9)
    ax.grid(axis="y", visible=False)
    return fig
