"""One look for every plot of the course.

Colours are the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), which
stays distinguishable for the common forms of colour blindness. Every figure gets a
title and axis labels with units through :func:`new_figure`.
"""

from __future__ import annotations

import io

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CYCLE: list[str] = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "black")]
# Tier colours, best to worst, for DORA bands and readiness bars.
TIER_COLOURS: dict[str, str] = {
    "Elite": PALETTE["green"],
    "High": PALETTE["sky"],
    "Medium": PALETTE["orange"],
    "Low": PALETTE["vermillion"],
}

STYLE: dict[str, object] = {
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "svg.hashsalt": "interview-lab",
}


def apply_style() -> None:
    """Make the course's style the default for every later figure."""
    plt.rcParams.update(STYLE)


def new_figure(
    title: str, xlabel: str, ylabel: str, *, size: tuple[float, float] = (8.0, 4.0)
) -> tuple[Figure, Axes]:
    """A figure with one axes, titled and labelled (put the unit in each label).

    The figure is made outside pyplot's list of open figures, so it is shown only where a
    notebook displays it (as the cell's last expression) and never twice, and widgets can
    redraw without leaking figures.
    """
    apply_style()
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def to_png(fig: Figure) -> bytes:
    """PNG bytes of a figure, which is then closed (widgets show plots as images)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)  # a no-op for figures made by new_figure; frees pyplot-made ones
    return buffer.getvalue()


def _show_figures_in_ipython() -> None:
    """Let a notebook show a Figure from :func:`new_figure` as a PNG (it is outside pyplot,
    so matplotlib's inline backend does not know it)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course
        return
    shell = get_ipython()
    if shell is None:
        return

    def png(fig: Figure) -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()

    shell.display_formatter.formatters["image/png"].for_type(Figure, png)


_show_figures_in_ipython()
