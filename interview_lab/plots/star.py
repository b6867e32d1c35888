"""Plots for the STAR coach (:mod:`interview_lab.star`)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from interview_lab.plots import PALETTE, fit_layout, new_figure
from interview_lab.star import StarReport


def score_breakdown(report: StarReport) -> Figure:
    """Points earned against points available for each part of the score."""
    fig, ax = new_figure(
        f"STAR coach score: {report.score} / 100", "points", "part of the score", size=(8.0, 3.2),
        fixed=True,
    )
    names = [name for name, _, _ in report.score_parts][::-1]
    earned = [got for _, got, _ in report.score_parts][::-1]
    available = [top for _, _, top in report.score_parts][::-1]
    ax.barh(names, available, color=PALETTE["sky"], alpha=0.35, label="available")
    bars = ax.barh(names, earned, color=PALETTE["blue"], label="earned")
    labels = [f"{e} / {a}" for e, a in zip(earned, available, strict=True)]
    ax.bar_label(bars, labels=labels, padding=3)
    if report.red_flags:
        ax.text(
            0.99, 0.02, f"red flags: {len(report.red_flags)} (each costs points)",
            transform=ax.transAxes, ha="right", va="bottom", color=PALETTE["vermillion"],
        )
    ax.set_xlim(0, max(available) * 1.25)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.12), fontsize=8)
    fit_layout(fig, [[ax]])
    return fig


def bank_scores(table: pd.DataFrame) -> Figure:
    """Coach score per example answer, coloured by the bank's own label (strong or weak).

    ``table`` needs the columns ``id``, ``score`` and ``label``.
    """
    fig, ax = new_figure(
        "STAR coach score of each example answer", "example answer", "coach score (0-100)",
        size=(9.0, 3.8),
    )
    colours = table["label"].map({"strong": PALETTE["green"], "weak": PALETTE["vermillion"]})
    ax.bar(table["id"], table["score"], color=list(colours))
    ax.set_ylim(0, 105)
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend(
        handles=[
            Patch(color=PALETTE["green"], label="labelled strong"),
            Patch(color=PALETTE["vermillion"], label="labelled weak"),
        ],
        loc="upper right",
        fontsize=8,
    )
    return fig
