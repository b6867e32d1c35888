"""The plots' fast path: the measured fixed layout, the cached text bitmaps and the figures
widgets keep and update (see :mod:`interview_lab.plots`).

* Every widget figure, on the shipped data and on extreme inputs, keeps its titles, labels,
  tick labels and legends inside the figure, apart from each other and off the other axes.
* Text drawn from the cache lands where matplotlib's own Agg text lands (within a pixel).
* A figure a widget updates draws exactly what a new figure draws for the same inputs.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from interview_lab import drill
from interview_lab.plots import _SharedRendererCanvas, fit_layout, new_figure, to_png
from interview_lab.plots import dora as dora_plots
from interview_lab.plots import drill as drill_plots
from interview_lab.settings import data_path
from interview_lab.widgets.capacity import (
    AutoscalingWidget,
    CicdScaleWidget,
    ImageSavingsWidget,
    MonitoringCapacityWidget,
)
from interview_lab.widgets.dora import DoraWidget, OwnTeamWidget
from interview_lab.widgets.planner import PlannerWidget
from interview_lab.widgets.salary import (
    BandExplorerWidget,
    CounterOfferWidget,
    OfferComparisonWidget,
    TotalCompWidget,
)
from interview_lab.widgets.star import StarCoachWidget

TODAY = date(2026, 3, 2)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


# --------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------


def layout_problems(fig: Figure) -> list[str]:
    """Decorations outside the figure, overlapping each other or lying on another axes."""
    canvas = _SharedRendererCanvas(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    items = []  # (name, bbox, owner axes or None; "inside" for text drawn in the axes)
    for i, ax in enumerate(fig.axes):
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            # (zip: a shared axis with hidden labels lists fewer labels than positions)
            for label, loc in zip(axis.get_ticklabels(), axis.get_ticklocs(), strict=False):
                if label.get_visible() and label.get_text() and low - 1e-9 <= loc <= high + 1e-9:
                    items.append((f"ax{i} {axis.axis_name}tick {label.get_text()!r}",
                                  label.get_window_extent(renderer), ax))
            for text, what in ((axis.label, "label"), (axis.offsetText, "offset")):
                if text.get_visible() and text.get_text():
                    items.append((f"ax{i} {axis.axis_name}{what}",
                                  text.get_window_extent(renderer), ax))
        if ax.get_title():
            items.append((f"ax{i} title", ax.title.get_window_extent(renderer), ax))
        if ax.get_legend() is not None:
            items.append((f"ax{i} legend", ax.get_legend().get_window_extent(renderer), None))
        items += [(f"ax{i} text {t.get_text()!r}", t.get_window_extent(renderer), "inside")
                  for t in ax.texts if t.get_visible() and t.get_text()]
    items += [("figure legend", legend.get_window_extent(renderer), None)
              for legend in fig.legends]
    items += [("figure title", t.get_window_extent(renderer), None)
              for t in fig.texts if t.get_visible() and t.get_text()]

    found = []
    width, height = fig.bbox.width, fig.bbox.height
    for name, box, _ in items:
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5:
            found.append(f"{name} reaches outside the figure")
    decorations = [item for item in items if item[2] != "inside"]
    for (name1, box1, _), (name2, box2, _) in itertools.combinations(decorations, 2):
        if "tick" in name1 and name1.split()[:2] == name2.split()[:2]:
            continue  # labels of one axis: matplotlib's own spacing
        common = box1.intersection(box1, box2)
        if common is not None and common.width > 1 and common.height > 1:
            found.append(f"{name1} overlaps {name2}")
    for name, box, owner in decorations:
        for j, ax in enumerate(fig.axes):
            common = box.intersection(box, ax.bbox)
            if ax is not owner and "legend" not in name and common is not None and (
                    common.width > 1 and common.height > 1):
                found.append(f"{name} lies on the plot of ax{j}")
    return found


def _team() -> list[str]:
    return [str(data_path(f"team_example/{n}.csv")) for n in ("deployments", "changes", "incidents")]


# (widget, control values): the shipped defaults and inputs that stretch the labels.
CASES: list[tuple[str, Callable[[], object], dict[str, object]]] = [
    ("monitoring", MonitoringCapacityWidget, {}),
    ("monitoring-huge", MonitoringCapacityWidget,
     {"servers": 2_000_000, "metrics_per_server": 5000, "one_hour_retention_days": 3650.0}),
    ("autoscaling", AutoscalingWidget, {}),
    ("autoscaling-week", AutoscalingWidget,
     {"max_tasks": 2000, "base_pct": 30000.0, "peak_pct": 150000.0, "minutes": 10080}),
    ("autoscaling-short", AutoscalingWidget, {"minutes": 30, "min_tasks": 1, "max_tasks": 2}),
    ("cicd", CicdScaleWidget, {}),
    ("cicd-13", CicdScaleWidget, {"builders": 13}),
    ("image", ImageSavingsWidget, {}),
    ("image-extreme", ImageSavingsWidget,
     {"bandwidth_mbit_s": 0.0125, "before_mb": 123456.0, "build_before_s": 98765.0}),
    ("band", BandExplorerWidget, {}),
    ("band-big-offer", BandExplorerWidget, {"offer_usd": 1_250_000.0}),
    ("counter", CounterOfferWidget, {}),
    ("total-comp", TotalCompWidget, {}),
    ("total-comp-huge", TotalCompWidget, {"base_usd": 4_500_000.0, "equity_usd": 90_000_000.0}),
    ("offers", OfferComparisonWidget, {}),
    ("dora", DoraWidget, {}),
    ("dora-service-2021", DoraWidget, {"service": "bibby-api", "report_year": 2021}),
    ("dora-one-week", DoraWidget, {"start": date(2025, 3, 3), "end": date(2025, 3, 10)}),
    ("own-team", lambda: OwnTeamWidget(*_team()), {}),
    ("planner", lambda: PlannerWidget(today=TODAY), {}),
    ("planner-long", lambda: PlannerWidget(today=TODAY),
     {"interview_date": date(2026, 12, 20), "hours_per_day": 8.0}),
    ("planner-two-days", lambda: PlannerWidget(today=TODAY), {"interview_date": date(2026, 3, 4)}),
    ("star", StarCoachWidget, {}),
    ("star-short", StarCoachWidget, {"answer": "We did it."}),
]


@pytest.mark.parametrize(("make", "values"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_widget_figures_keep_their_text_in_the_figure_and_apart(make, values):
    widget = make()
    for name, value in values.items():
        getattr(widget, name).value = value
    assert widget.last_error is None, widget.last_error
    _, fig = widget.compute()
    assert layout_problems(fig) == []


def test_drill_figures_keep_their_text_in_the_figure_and_apart():
    bank = drill.load_bank()
    progress = drill.Progress()
    for figure in (drill_plots.boxes_figure(drill.box_counts(bank, progress)),
                   drill_plots.forecast_figure(drill.due_forecast(bank, progress, TODAY)),
                   drill_plots.readiness_figure(drill.readiness(bank, progress))):
        assert layout_problems(figure) == []


def test_a_title_wider_than_its_axes_stays_in_the_figure():
    fig, ax = new_figure("A longer title, much wider than its axes", "x (units)", "y (units)",
                         size=(5.0, 3.0), fixed=True)
    ax.set_yticks([0, 1], ["a long tick label", "b"])
    ax.set_ylim(-0.5, 1.5)
    fit_layout(fig, [[ax]])
    assert layout_problems(fig) == []
    assert ax.bbox.width < ax.title.get_window_extent(fig.canvas.get_renderer()).width


# --------------------------------------------------------------------------------------
# Cached text bitmaps
# --------------------------------------------------------------------------------------


def _ink(pixels: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero((pixels < 250).any(axis=2))
    return rows.min(), rows.max(), cols.min(), cols.max()


@pytest.mark.parametrize(("text", "options"), [
    ("Deployment frequency", {"fontsize": 13, "fontweight": "bold"}),
    ("hours (log scale)", {"fontsize": 11, "rotation": 90}),
    ("raw samples\n(15 days)", {"fontsize": 10, "ha": "center"}),
    ("$110,000 \u2014 5 % \u00d7 2", {"fontsize": 8}),
    ("week starting (Monday, UTC)", {"fontsize": 11, "rotation": 30}),
])
def test_cached_text_lands_where_agg_draws_it(text, options):
    def draw(canvas_class) -> np.ndarray:
        fig = Figure(figsize=(4, 2), dpi=100)
        fig.text(0.3, 0.4, text.replace("$", r"\$"), **options)
        canvas = canvas_class(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()

    own, cached = draw(FigureCanvasAgg), draw(_SharedRendererCanvas)
    again = draw(_SharedRendererCanvas)  # this time from the cache
    assert np.array_equal(cached, again)
    assert all(abs(a - b) <= 1 for a, b in zip(_ink(own), _ink(cached), strict=True))


def test_maths_text_is_still_drawn_by_agg():
    fig = Figure(figsize=(3, 1), dpi=100)
    fig.text(0.1, 0.4, r"$\alpha^2$ and text")
    assert _pixels(to_png(fig)).min() < 100  # something dark was drawn


def test_to_png_is_a_png_of_the_figure_size():
    fig, _ = new_figure("t", "x (s)", "y (s)", size=(6.0, 3.0), fixed=True)
    png = to_png(fig)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(png)).size == (600, 300)


# --------------------------------------------------------------------------------------
# Figures kept and updated by widgets
# --------------------------------------------------------------------------------------


def test_dora_widget_updates_draw_what_a_new_figure_draws():
    widget = DoraWidget()
    changes = [
        ("service", "bibby-search"), ("start", date(2025, 3, 1)), ("report_year", 2021),
        ("end", date(2025, 4, 1)), ("service", "all services"), ("start", date(2025, 1, 1)),
    ]
    for name, value in changes:
        getattr(widget, name).value = value
        assert widget.last_error is None, widget.last_error
        r = widget.calculate()
        fresh = dora_plots.weekly_trend(r.trend, r.keys.report_year, r.keys,
                                        widget.chosen_service)
        assert np.array_equal(_pixels(bytes(widget.figure.value)), _pixels(to_png(fresh))), name


def test_drill_plot_updates_draw_what_new_figures_draw():
    bank = drill.load_bank()
    progress = drill.Progress()
    plots = None
    for step, (card, grade) in enumerate([("cicd-01", "nailed"), ("cicd-02", "missed"),
                                          ("sec-01", "partial"), ("cicd-01", "nailed")]):
        progress = drill.record(progress, card, grade, TODAY + timedelta(days=step))
        tables = (drill.box_counts(bank, progress), drill.due_forecast(bank, progress, TODAY),
                  drill.readiness(bank, progress))
        kinds = (drill_plots.BoxesPlot, drill_plots.ForecastPlot, drill_plots.ReadinessPlot)
        if plots is None:
            plots = [kind(table) for kind, table in zip(kinds, tables, strict=True)]
            continue
        for plot, kind, table in zip(plots, kinds, tables, strict=True):
            assert plot.matches(kind.categories_of(table))
            updated = _pixels(to_png(plot.update(table)))
            assert np.array_equal(updated, _pixels(to_png(kind(table).fig))), kind.__name__


def test_widget_speed_benchmark_lists_every_widget_with_a_plot():
    """benchmarks/test_widget_speed.py times every widget module's widgets."""
    import ast

    root = Path(__file__).resolve().parents[2]
    widgets = {
        node.name
        for path in (root / "interview_lab" / "widgets").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and node.name.endswith("Widget")
        and node.name != "LabWidget"
    }
    benchmark = (root / "benchmarks" / "test_widget_speed.py").read_text()
    assert {w for w in widgets if f'Case("{w}"' not in benchmark} == set()


def test_autoscaling_widget_updates_draw_what_a_new_figure_draws():
    widget = AutoscalingWidget()
    from interview_lab.plots import capacity as capacity_plots

    for name, value in [("minutes", 60), ("max_tasks", 4), ("minutes", 10080),
                        ("peak_pct", 900.0), ("minutes", 1440)]:
        getattr(widget, name).value = value
        assert widget.last_error is None, widget.last_error
        fresh = capacity_plots.autoscaling_run(widget.calculate().run)
        assert np.array_equal(_pixels(bytes(widget.figure.value)), _pixels(to_png(fresh))), name


def test_drill_widget_redraws_only_the_plots_whose_bars_changed(tmp_path):
    from datetime import datetime

    from interview_lab.widgets.drill import DrillWidget

    widget = DrillWidget(progress_path=tmp_path / "progress.json", on=TODAY,
                         now=lambda: datetime(2026, 3, 2, 9, 30), seed=5, count=3)
    images = {"boxes": widget.boxes_image, "forecast": widget.forecast_image,
              "readiness": widget.readiness_image}
    before = {name: bytes(image.value) for name, image in images.items()}
    widget.reveal_button.click()
    widget.grade_buttons["missed"].click()  # a new card to box 1: mastery 0, readiness as it was
    after = {name: bytes(image.value) for name, image in images.items()}
    assert after["boxes"] != before["boxes"] and after["forecast"] != before["forecast"]
    assert after["readiness"] == before["readiness"]
    tables = widget.calculate()
    for name, kind, table in (("boxes", drill_plots.BoxesPlot, tables.boxes),
                              ("forecast", drill_plots.ForecastPlot, tables.forecast),
                              ("readiness", drill_plots.ReadinessPlot, tables.readiness)):
        assert np.array_equal(_pixels(after[name]), _pixels(to_png(kind(table).fig))), name
