"""Plots of the back-of-envelope estimators in :mod:`interview_lab.capacity`.

Each function takes the library's results and returns a Figure made by
:func:`interview_lab.plots.new_figure`; none of them computes a figure of its own. Byte axes
use decimal SI prefixes (matplotlib's ``EngFormatter``: 1 GB = 10**9 bytes), as the library
does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import AutoLocator, EngFormatter, MaxNLocator, MultipleLocator

from interview_lab.capacity import (
    AutoscalingRun,
    BuildSchedule,
    DesignPhase,
    FleetEstimate,
    ThanosEstimate,
    build_layers,
    format_bytes,
    format_usd,
)
from interview_lab.plots import CYCLE, PALETTE, fit_layout, new_figure, text_size_in


def _usd(amount: float, digits: int = 2) -> str:
    """:func:`format_usd` with its dollar sign escaped (matplotlib reads $...$ as maths)."""
    return format_usd(amount, digits).replace("$", r"\$")

# Tick spacings of the autoscaling plot's time axis (minutes): 1 h to 1 week.
HOUR_STEPS_MIN = (60, 120, 180, 240, 360, 720, 1440, 2880, 10080)
TIER_LABELS = {"raw": "raw samples", "5m": "5-minute points", "1h": "1-hour points"}
TIER_COLOURS = {"raw": PALETTE["blue"], "5m": PALETTE["orange"], "1h": PALETTE["green"]}


# --------------------------------------------------------------------------------------
# Monitoring storage
# --------------------------------------------------------------------------------------


def storage_by_tier(estimate: ThanosEstimate) -> Figure:
    """One bar per Thanos resolution (bytes in object storage), each labelled with its size."""
    fig, ax = new_figure(
        f"Object storage per resolution: {format_bytes(estimate.total_bytes)} in total, "
        f"{_usd(estimate.usd_per_month)} per month",
        "resolution (retention)",
        "object storage (bytes, SI prefixes)",
        size=(8.0, 4.0),
        fixed=True,
    )
    days = {
        "raw": estimate.raw_retention_days,
        "5m": estimate.five_minute_retention_days,
        "1h": estimate.one_hour_retention_days,
    }
    tiers = list(estimate.bytes_by_resolution)
    labels = [f"{TIER_LABELS[t]}\n({days[t]:g} days)" for t in tiers]
    values = [estimate.bytes_by_resolution[t] for t in tiers]
    bars = ax.bar(labels, values, color=[TIER_COLOURS[t] for t in tiers], width=0.6)
    ax.bar_label(bars, labels=[format_bytes(v) for v in values], padding=3)
    ax.yaxis.set_major_formatter(EngFormatter(unit="B"))
    ax.margins(y=0.18)  # room for the labels; bars keep the axis at 0
    ax.grid(axis="x", visible=False)
    fit_layout(fig, [[ax]])
    return fig


def fleet_ingest(fleet: FleetEstimate) -> Figure:
    """Bytes written per day by each server group of a fleet, largest at the top."""
    table = fleet.groups.sort_values("bytes_per_day", kind="stable")
    fig, ax = new_figure(
        f"Samples written per day by server group ({fleet.servers:,} servers, "
        f"{fleet.bytes_per_sample:g} B per sample)",
        "bytes written per day (B/day, SI prefixes)",
        "server group",
        size=(8.5, 4.0),
    )
    bars = ax.barh(table["group"], table["bytes_per_day"], color=PALETTE["blue"])
    ax.bar_label(bars, labels=[format_bytes(v) for v in table["bytes_per_day"]], padding=3)
    ax.xaxis.set_major_formatter(EngFormatter(unit="B"))
    ax.margins(x=0.2)  # room for the labels; bars keep the axis at 0
    ax.grid(axis="y", visible=False)
    return fig


# --------------------------------------------------------------------------------------
# System-design interview: the time budget
# --------------------------------------------------------------------------------------


def design_budget(phases: Sequence[DesignPhase]) -> Figure:
    """The interview's minutes, one row per phase, each bar where the phase falls."""
    end = phases[-1].end_minute if phases else 0
    fig, ax = new_figure(
        f"A {end}-minute system-design interview, phase by phase",
        "minutes since the interview started (min)",
        "",
        size=(9.0, 0.45 * len(phases) + 1.6),
    )
    rows = list(range(len(phases)))[::-1]  # the first phase on top
    for row, (i, phase) in zip(rows, enumerate(phases), strict=True):
        ax.broken_barh([(phase.start_minute, phase.minutes)], (row - 0.35, 0.7),
                       facecolors=CYCLE[i % len(CYCLE)])
        ax.text(phase.start_minute, row, f" {phase.minutes} min", ha="left", va="center",
                color="white", fontsize=9, fontweight="bold")
    ax.set_yticks(rows, [p.name for p in phases])
    ax.set_xlim(0, max(end, 1))
    ax.xaxis.set_major_locator(MultipleLocator(5))
    ax.grid(axis="y", visible=False)
    return fig


# --------------------------------------------------------------------------------------
# Autoscaling
# --------------------------------------------------------------------------------------


class AutoscalingPlot:
    """The figure of :func:`autoscaling_run`, made once and redrawn with each new run.

    The autoscaling widget keeps one: its two axes, their ticks and the lines are made once;
    :meth:`update` sets the data, the limits, the shading of unserved minutes and the legends.
    """

    def __init__(self) -> None:
        fig, top = new_figure(" ", "", "tasks", size=(9.0, 5.6), fixed=True)
        grid = fig.add_gridspec(2, 1, height_ratios=(1.2, 1.0))
        top.set_subplotspec(grid[0])
        bottom = fig.add_subplot(grid[1], sharex=top)
        self.fig, self.top, self.bottom = fig, top, bottom
        (self.billed,) = top.step([], [], where="post", color=PALETTE["orange"],
                                  label="billed (running + starting)")
        (self.running,) = top.step([], [], where="post", color=PALETTE["blue"], linewidth=2,
                                   label="running (serving)")
        self.min_line = top.axhline(0, color=PALETTE["black"], linestyle=":", linewidth=1)
        self.max_line = top.axhline(0, color=PALETTE["black"], linestyle=":", linewidth=1)
        top.yaxis.set_major_locator(MaxNLocator(integer=True))
        self.max_text = top.text(0, 0, " max", va="center", ha="left", fontsize=8)
        self.min_text = top.text(0, 0, " min", va="center", ha="left", fontsize=8)
        (self.cpu,) = bottom.plot([], [], color=PALETTE["blue"], linewidth=1,
                                  label="CPU per running task")
        self.target = bottom.axhline(0, color=PALETTE["green"], linestyle="--")
        bottom.set_ylim(0, 105)
        bottom.set_ylabel("CPU per task (%)")
        bottom.set_xlabel("time since the start (minutes)")
        top.tick_params(labelbottom=False)
        self.shading: list = []
        self.legends: list = []

    def update(self, run: AutoscalingRun, title: str | None = None) -> Figure:
        """Draw ``run`` (see :func:`autoscaling_run`) and return the figure."""
        top, bottom = self.top, self.bottom
        top.set_title(
            title or f"Target tracking at {run.target_cpu_pct:g} % CPU over {run.minutes} minutes",
            y=1.0)
        minutes = np.arange(run.minutes)
        short = np.asarray(run.unserved_pct) > 0
        self.billed.set_data(minutes, run.billed_tasks)
        self.running.set_data(minutes, run.running)
        self.min_line.set_ydata([run.min_tasks, run.min_tasks])
        self.max_line.set_ydata([run.max_tasks, run.max_tasks])
        top.set_ylim(0, run.max_tasks + 1)
        self.max_text.set_position((minutes[-1], run.max_tasks))
        self.min_text.set_position((minutes[-1], run.min_tasks))
        self.cpu.set_data(minutes, run.cpu_per_task_pct)
        self.target.set_ydata([run.target_cpu_pct, run.target_cpu_pct])
        self.target.set_label(f"target {run.target_cpu_pct:g} %")

        for artist in self.shading + self.legends:
            artist.remove()
        self.shading, self.legends = [], []
        if short.any():
            self.shading = [
                ax.fill_between(minutes, 0, 1, where=short, step="post",
                                color=PALETTE["vermillion"], alpha=0.25,
                                transform=ax.get_xaxis_transform(), linewidth=0)
                for ax in (top, bottom)
            ]
        for ax in (top, bottom):  # x limits from the minutes (the same for every series)
            ax.ignore_existing_data_limits = True
            ax.update_datalim(np.column_stack([minutes, np.zeros(len(minutes))]), updatey=False)
        top.autoscale_view(scalex=True, scaley=False)
        if run.minutes > 120:  # whole hours, at most a dozen labels (a day: every 2 hours)
            step = next((s for s in HOUR_STEPS_MIN if run.minutes / s <= 12), None)
            bottom.xaxis.set_major_locator(
                MultipleLocator(step) if step else MaxNLocator(12, steps=[1, 2, 3, 6, 10]))
        else:
            bottom.xaxis.set_major_locator(AutoLocator())

        handles, labels = top.get_legend_handles_labels()
        if short.any():
            handles.append(Patch(color=PALETTE["vermillion"], alpha=0.25))
            labels.append("demand not served")
        self.legends = [
            top.legend(handles, labels, loc="upper left", fontsize=8, ncol=3),
            bottom.legend([self.cpu, self.target], [self.cpu.get_label(),
                                                    self.target.get_label()],
                          loc="lower left", fontsize=8, ncol=2),
        ]
        fit_layout(self.fig, [[top], [bottom]], right=text_size_in(" max", 8)[0])
        return self.fig


def autoscaling_run(run: AutoscalingRun, title: str | None = None) -> Figure:
    """Tasks (top) and CPU per running task (bottom), minute by minute.

    Minutes with demand the running tasks could not serve are shaded in both panels. (The
    autoscaling widget keeps an :class:`AutoscalingPlot` instead, which redraws faster.)
    """
    return AutoscalingPlot().update(run, title)


def monthly_costs(costs_usd: Mapping[str, float], title: str) -> Figure:
    """Horizontal bars of monthly costs (USD), each labelled with its amount."""
    fig, ax = new_figure(title.replace("$", r"\$"), "cost per month (USD)", "", size=(8.0, 0.6 * len(costs_usd) + 1.6))
    names = list(costs_usd)[::-1]
    values = [costs_usd[n] for n in names]
    bars = ax.barh(names, values, color=[CYCLE[i % len(CYCLE)] for i in range(len(names))][::-1])
    ax.bar_label(bars, labels=[_usd(v) for v in values], padding=3)
    ax.margins(x=0.25)  # room for the labels; bars keep the axis at 0
    ax.grid(axis="y", visible=False)
    return fig


# --------------------------------------------------------------------------------------
# CI/CD at scale
# --------------------------------------------------------------------------------------


def _layer_positions(layers: Sequence[Sequence[str]]) -> dict[str, tuple[float, float]]:
    tallest = max(len(layer) for layer in layers)
    positions: dict[str, tuple[float, float]] = {}
    for x, layer in enumerate(layers):
        # Centre each layer's column of boxes, one unit apart, the first name on top.
        ys = (tallest - 1) / 2 + (len(layer) - 1) / 2 - np.arange(len(layer))
        positions.update({name: (float(x), float(y)) for name, y in zip(layer, ys, strict=True)})
    return positions


def _draw_graph(
    ax: Axes,
    depends_on: Mapping[str, Iterable[str]],
    build_time_s: Mapping[str, float] | None,
    highlight: Sequence[str] = (),
) -> None:
    layers = build_layers(depends_on)
    pos = _layer_positions(layers)
    on_path = set(zip(highlight, highlight[1:], strict=False))
    edges = [(dep, service) for service, deps in depends_on.items() for dep in deps]
    plain = [(pos[d], pos[s]) for d, s in edges if (d, s) not in on_path]
    critical = [(pos[d], pos[s]) for d, s in edges if (d, s) in on_path]
    # Lines, not arrows: a dependency always sits in a layer to the left of what needs it.
    ax.add_collection(LineCollection(plain, colors=PALETTE["black"], alpha=0.3, linewidths=0.8))
    ax.add_collection(LineCollection(critical, colors=PALETTE["vermillion"], linewidths=2.0))
    for name, (x, y) in pos.items():
        label = name if build_time_s is None else f"{name}\n{build_time_s[name]:g} s"
        ax.text(
            x, y, label, ha="center", va="center", fontsize=8,
            bbox={
                "boxstyle": "round,pad=0.3", "facecolor": "white",
                "edgecolor": PALETTE["vermillion"] if name in highlight else PALETTE["blue"],
                "linewidth": 1.5,
            },
        )
    tallest = max(len(layer) for layer in layers)
    ax.set_xlim(-0.6, len(layers) - 0.4)
    ax.set_ylim(-0.7, tallest - 0.3)
    ax.set_xticks(range(len(layers)), [f"layer {i}" for i in range(len(layers))])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def dependency_graph(
    depends_on: Mapping[str, Iterable[str]],
    build_time_s: Mapping[str, float] | None = None,
    critical_path: Sequence[str] = (),
) -> Figure:
    """The services drawn in build layers, arrows from a dependency to what needs it.

    Layer 0 depends on nothing; every service sits one layer right of its latest
    dependency. The critical path, if given, is drawn in vermillion.
    """
    layers = build_layers(depends_on)
    tallest = max(len(layer) for layer in layers)
    fig, ax = new_figure(
        f"Build graph: {len(depends_on)} services in {len(layers)} layers",
        "build layer (a line joins a service to a dependency on its left)",
        "",
        size=(min(10.0, max(7.0, 2.3 * len(layers))), max(3.0, 0.55 * tallest + 1.5)),
    )
    _draw_graph(ax, depends_on, build_time_s, critical_path)
    if critical_path:
        ax.legend(
            handles=[Patch(facecolor="white", edgecolor=PALETTE["vermillion"],
                           label="critical path (longest chain of builds)")],
            loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8,
        )
    return fig


def _draw_wall_time(ax: Axes, schedules: Sequence[BuildSchedule], chosen: int | None) -> None:
    builders = [s.builders for s in schedules]
    ax.plot(builders, [s.wall_time_s for s in schedules], marker="o", color=PALETTE["blue"],
            label="wall time (list schedule)")
    ax.plot(builders, [s.lower_bound_s for s in schedules], linestyle="--",
            color=PALETTE["orange"], label="lower bound: max(critical path, work / builders)")
    ax.axhline(schedules[0].critical_path_s, color=PALETTE["vermillion"], linestyle=":",
               label=f"critical path ({schedules[0].critical_path_s:g} s)")
    if chosen is not None:
        match = [s for s in schedules if s.builders == chosen]
        if match:
            ax.plot([chosen], [match[0].wall_time_s], marker="o", markersize=12,
                    markerfacecolor="none", markeredgecolor=PALETTE["black"], linestyle="none",
                    label=f"{chosen} builders: {match[0].wall_time_s:g} s")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="upper right")


def wall_time_vs_builders(schedules: Sequence[BuildSchedule], chosen: int | None = None) -> Figure:
    """Wall time of a full build against the number of parallel builders, with its bounds."""
    fig, ax = new_figure(
        f"Building {len(schedules[0].jobs)} services: wall time against parallel builders",
        "parallel builders",
        "wall time of a full build (s)",
        fixed=True,
    )
    _draw_wall_time(ax, schedules, chosen)
    fit_layout(fig, [[ax]])
    return fig


def build_gantt(schedule: BuildSchedule) -> Figure:
    """Which builder builds what, and when (one row per builder)."""
    frame = schedule.to_frame()
    fig, ax = new_figure(
        f"Build schedule on {schedule.builders} builders: {schedule.wall_time_s:g} s",
        "time since the build started (s)",
        "builder",
        size=(9.0, 0.5 * schedule.builders + 1.8),
    )
    on_path = set(schedule.critical_path)
    colours = [PALETTE["vermillion"] if s in on_path else PALETTE["sky"] for s in frame["service"]]
    ax.hlines(frame["builder"], frame["start_s"], frame["end_s"], colors=colours, linewidth=24)
    # White ticks where a build starts, so back-to-back builds stay apart.
    ax.vlines(frame["start_s"], frame["builder"] - 0.3, frame["builder"] + 0.3, colors="white",
              linewidth=1.5)
    # Neighbouring labels on a builder alternate between the upper and lower half of its bar.
    nth = frame.sort_values("start_s", kind="stable").groupby("builder").cumcount()
    for service, builder, start, k in zip(
        frame["service"], frame["builder"], frame["start_s"], nth.sort_index(), strict=True
    ):
        ax.text(start, builder + (0.14 if k % 2 else -0.14), f" {service}", ha="left",
                va="center", fontsize=7)
    ax.set_ylim(schedule.builders + 0.6, 0.4)
    ax.set_yticks(range(1, schedule.builders + 1))
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    ax.legend(
        handles=[Patch(color=PALETTE["vermillion"], label="on the critical path"),
                 Patch(color=PALETTE["sky"], label="other builds")],
        loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8,
    )
    return fig


# --------------------------------------------------------------------------------------
# Container images
# --------------------------------------------------------------------------------------


def image_savings(
    build_s: tuple[float, float],
    pull_s: tuple[float, float],
    bandwidth_mbit_s: float,
) -> Figure:
    """Before and after bars for build time and pull time (both in seconds)."""
    fig, ax = new_figure(
        "Before and after the image optimisation",
        "time (s)",
        "",
        size=(8.0, 3.0),
        fixed=True,
    )
    names = [f"pull at {bandwidth_mbit_s:g} Mbit/s", "image build"]
    before = [pull_s[0], build_s[0]]
    after = [pull_s[1], build_s[1]]
    y = np.arange(len(names))
    b1 = ax.barh(y + 0.2, before, height=0.38, color=PALETTE["vermillion"], label="before")
    b2 = ax.barh(y - 0.2, after, height=0.38, color=PALETTE["green"], label="after")
    ax.bar_label(b1, labels=[f"{v:.1f} s" for v in before], padding=3, fontsize=9)
    ax.bar_label(b2, labels=[f"{v:.1f} s" for v in after], padding=3, fontsize=9)
    ax.set_yticks(y, names)
    ax.margins(x=0.2)  # room for the labels; bars keep the axis at 0
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=8)
    fit_layout(fig, [[ax]])
    return fig
