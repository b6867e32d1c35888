"""The course's widgets in the notebooks where a learner meets them, driven in Chromium.

Each test runs the notebook (or reuses the run of ``test_notebooks_in_lab``), finds the
widget by its title and its controls by their labels, changes them as a learner would (types
into a box and presses Enter or Tab, chooses in a dropdown, sets a date) and checks that the
widget then shows what :mod:`interview_lab`'s functions compute for the values the page's
controls hold. A bad value must leave only the library's sentence in the widget's message
pane (no result table, no broken image). The labels come from the widgets' own controls
(``widget.servers.description``), so renaming a label does not break the tests.

The last test shows that these checks fail on broken widgets.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from lab import Notebook, WidgetView, notebooks_of_selected_tests

from interview_lab import capacity, dora, salary
from interview_lab.capacity import format_bytes, format_usd
from interview_lab.dora_tiers import REPORTS
from interview_lab.salary import usd
from interview_lab.widgets.capacity import AutoscalingWidget, MonitoringCapacityWidget
from interview_lab.widgets.dora import ALL_SERVICES, DoraWidget, OwnTeamWidget
from interview_lab.widgets.salary import (
    BandExplorerWidget,
    CounterOfferWidget,
    TotalCompWidget,
    parse_vesting,
)

pytestmark = pytest.mark.browser

CAPACITY_NOTEBOOK = "notebooks/04-system-design.ipynb"
AUTOSCALING_NOTEBOOK = "notebooks/02b-cloud-and-autoscaling.ipynb"
DORA_NOTEBOOK = "notebooks/02c-monitoring-and-dora.ipynb"
SALARY_NOTEBOOK = "notebooks/07-salary-negotiation.ipynb"


BROKEN_NOTEBOOK = "scratch/broken-widgets.ipynb"


@pytest.fixture(scope="module", autouse=True)
def _run_ahead(jlab, request):
    """Run the selected tests' notebooks in the background (a no-op for the lecture notebooks
    the notebook tests have run already)."""
    paths = notebooks_of_selected_tests(request)
    if BROKEN_NOTEBOOK in paths:
        jlab.write_notebook(BROKEN_NOTEBOOK, BROKEN_CELLS)
    jlab.prepare(paths)


# --------------------------------------------------------------------------------------
# Helpers: the page's control values, the library's expectations
# --------------------------------------------------------------------------------------


def label(widget, name: str) -> str:
    """The label the page shows for control ``name`` of ``widget`` (its description)."""
    return getattr(widget, name).description


def numbers_in_page(view: WidgetView, widget, names: tuple[str, ...]) -> dict[str, float]:
    """The numbers the page's boxes hold, keyed by control name, typed like the controls."""
    values = {}
    for name in names:
        kind = type(getattr(widget, name).value)
        values[name] = kind(float(view.value(label(widget, name))))
    return values


def library_error(call: Callable[[], object]) -> str:
    """The sentence of the ValueError the library raises for ``call``."""
    with pytest.raises(ValueError) as caught:
        call()
    return str(caught.value)


def assert_shows_only_message(view: WidgetView, sentence: str) -> None:
    """The widget shows ``sentence`` as its message, and no stale result, plot or broken
    image beside it."""
    view.wait_for_error(sentence)
    assert view.result_tables() == 0, "the result tables are still shown beside the error"
    plots, broken = view.images()
    assert broken == 0, (
        "the widget shows a broken-image icon under its message (an empty plot image)")
    assert plots == 0, "the widget still shows a plot beside its error message"


# --------------------------------------------------------------------------------------
# Monitoring capacity (notebook 04)
# --------------------------------------------------------------------------------------

MONITORING = MonitoringCapacityWidget()
MONITORING_CONTROLS = (
    "servers", "metrics_per_server", "scrape_interval_s", "bytes_per_sample",
    "local_retention_days", "raw_retention_days", "five_minute_retention_days",
    "one_hour_retention_days", "usd_per_gib_month",
)


def monitoring_figures(v: dict[str, float]) -> list[str]:
    """What the widget must show for control values ``v``, from the library (in the
    widget's order of calls, so a bad value raises the sentence the widget shows)."""
    thanos = capacity.thanos_storage_estimate(
        v["servers"], v["metrics_per_server"], v["scrape_interval_s"],
        v["raw_retention_days"], v["five_minute_retention_days"], v["one_hour_retention_days"],
        bytes_per_sample=v["bytes_per_sample"], usd_per_gib_month=v["usd_per_gib_month"],
    )
    local = capacity.monitoring_estimate(
        v["servers"], v["metrics_per_server"], v["scrape_interval_s"],
        bytes_per_sample=v["bytes_per_sample"], retention_days=v["local_retention_days"],
    )
    return [
        f"{local.series:,}",
        f"{local.samples_per_second:,.0f}",
        format_bytes(local.bytes_per_day),
        format_bytes(local.retention_bytes),
        format_bytes(thanos.total_bytes),
        format_usd(thanos.usd_per_month),
    ]


def assert_monitoring_matches_library(view: WidgetView, timeout_s: float = 20) -> list[str]:
    """The monitoring widget shows the library's figures for the values in its boxes."""
    figures = monitoring_figures(numbers_in_page(view, MONITORING, MONITORING_CONTROLS))
    view.wait_for_text(*figures, timeout_s=timeout_s)
    return figures


@pytest.mark.notebook(CAPACITY_NOTEBOOK)
def test_monitoring_capacity_widget_follows_its_boxes(jlab):
    view = jlab.run(CAPACITY_NOTEBOOK).widget(MONITORING.title)
    before = assert_monitoring_matches_library(view)

    view.type(label(MONITORING, "servers"), 2500)  # then Enter
    assert view.number(label(MONITORING, "servers")) == 2500
    after = assert_monitoring_matches_library(view)
    assert after != before

    view.type(label(MONITORING, "local_retention_days"), 30, key="Tab")
    longer = assert_monitoring_matches_library(view)
    assert longer[3] != after[3]  # Prometheus' own disk doubled

    view.type(label(MONITORING, "servers"), 0)
    values = numbers_in_page(view, MONITORING, MONITORING_CONTROLS)
    sentence = library_error(lambda: monitoring_figures(values))
    assert "servers" in sentence
    assert_shows_only_message(view, sentence)

    view.type(label(MONITORING, "servers"), 1000)
    assert_monitoring_matches_library(view)


# --------------------------------------------------------------------------------------
# Autoscaling simulator (notebook 02b)
# --------------------------------------------------------------------------------------

AUTOSCALING = AutoscalingWidget(minutes=60)
AUTOSCALING_NUMBERS = (
    "base_pct", "peak_pct", "noise_pct", "minutes", "target_cpu_pct", "min_tasks",
    "max_tasks", "scale_out_cooldown_s", "scale_in_cooldown_s", "provisioning_delay_s",
)


def fargate_size(option: str) -> tuple[float, float]:
    """The (vCPU, GiB) of a task-size option as the dropdown lists it."""
    sizes = dict(AUTOSCALING.task_size.options)
    return sizes[option]


def autoscaling_figures(v: dict[str, float], shape: str, size: tuple[float, float]) -> list[str]:
    demand = capacity.load_curve(
        shape, minutes=v["minutes"], base_pct=v["base_pct"], peak_pct=v["peak_pct"],
        noise_pct=v["noise_pct"], seed=AUTOSCALING.seed,
    )
    run = capacity.simulate_autoscaling(
        demand, initial_tasks=v["min_tasks"], min_tasks=v["min_tasks"],
        max_tasks=v["max_tasks"], target_cpu_pct=v["target_cpu_pct"],
        scale_out_cooldown_s=v["scale_out_cooldown_s"],
        scale_in_cooldown_s=v["scale_in_cooldown_s"],
        provisioning_delay_s=v["provisioning_delay_s"],
    )
    hourly = capacity.fargate_task_hourly_cost(*size)
    return [
        f"{run.mean_billed_tasks:.2f}",
        f"{run.scale_outs} / {run.scale_ins}",
        f"{run.unserved_task_minutes:.1f}",
        format_usd(hourly, 5),
        format_usd(run.monthly_cost_usd(hourly)),
    ]


def autoscaling_in_page(view: WidgetView) -> tuple[dict[str, float], str, tuple[float, float]]:
    values = numbers_in_page(view, AUTOSCALING, AUTOSCALING_NUMBERS)
    shape = view.value(label(AUTOSCALING, "shape"))
    size = fargate_size(view.value(label(AUTOSCALING, "task_size")))
    return values, shape, size


@pytest.mark.notebook(AUTOSCALING_NOTEBOOK)
def test_autoscaling_simulator_follows_shape_task_size_and_limits(jlab):
    view = jlab.run(AUTOSCALING_NOTEBOOK).widget(AUTOSCALING.title)
    before = autoscaling_figures(*autoscaling_in_page(view))
    view.wait_for_text(*before)

    shapes = [s for s in view.options(label(AUTOSCALING, "shape"))
              if s != view.value(label(AUTOSCALING, "shape"))]
    assert "spike" in shapes
    view.choose(label(AUTOSCALING, "shape"), "spike")
    bigger = next(o for o in view.options(label(AUTOSCALING, "task_size"))
                  if fargate_size(o) == (1.0, 2.0))
    view.choose(label(AUTOSCALING, "task_size"), bigger)
    values, shape, size = autoscaling_in_page(view)
    assert (shape, size) == ("spike", (1.0, 2.0))
    after = autoscaling_figures(values, shape, size)
    assert after != before
    view.wait_for_text(*after)

    view.type(label(AUTOSCALING, "min_tasks"), 12)  # more than max tasks (10)
    values, shape, size = autoscaling_in_page(view)
    assert values["min_tasks"] > values["max_tasks"]
    sentence = library_error(lambda: autoscaling_figures(values, shape, size))
    assert "min_tasks" in sentence
    assert_shows_only_message(view, sentence)

    view.type(label(AUTOSCALING, "min_tasks"), 3, key="Tab")
    view.wait_for_text(*autoscaling_figures(*autoscaling_in_page(view)))


# --------------------------------------------------------------------------------------
# DORA: Bibby's log and the learner's own files (notebook 02c)
# --------------------------------------------------------------------------------------

BIBBY = dora.bibby_log()
DORA_W = DoraWidget(log=BIBBY)
OWN = OwnTeamWidget()


def four_keys_figures(keys: dora.FourKeys) -> list[str]:
    figures = [
        f"{keys.deploys_per_week:.1f} per week",
        f"{keys.deployments} deployments in {keys.window_days:g} days",
        dora.hours_text(keys.lead_time_median_hours),
        dora.hours_text(keys.time_to_restore_median_hours),
        REPORTS[keys.report_year],
    ]
    if keys.change_failure_rate is not None:
        figures.append(f"{keys.change_failure_rate:.1%}")
    return figures


def dora_in_page(view: WidgetView) -> tuple[str | None, date, date, int]:
    service = view.value(label(DORA_W, "service"))
    start = date.fromisoformat(view.value(label(DORA_W, "start")))
    end = date.fromisoformat(view.value(label(DORA_W, "end")))
    year = int(view.value(label(DORA_W, "report_year")))
    return (None if service == ALL_SERVICES else service), start, end, year


def dora_figures(service: str | None, start: date, end: date, year: int) -> list[str]:
    keys = dora.four_keys(BIBBY, start, end, service, year)
    who = "all services" if service is None else f"service {service}"
    return [f"{who}, {start.isoformat()} to {end.isoformat()}", *four_keys_figures(keys)]


@pytest.mark.notebook(DORA_NOTEBOOK)
def test_dora_widget_follows_service_dates_and_report_year(jlab):
    view = jlab.run(DORA_NOTEBOOK).widget(DORA_W.title)
    before = dora_figures(*dora_in_page(view))
    view.wait_for_text(*before)

    service = BIBBY.services[0]
    view.choose(label(DORA_W, "service"), service)
    end = date.fromisoformat(view.value(label(DORA_W, "end")))
    view.pick_date(label(DORA_W, "start"), (end - timedelta(weeks=8)).isoformat())
    other_year = next(y for y in sorted(REPORTS) if y != int(view.value(label(DORA_W, "report_year"))))
    view.choose(label(DORA_W, "report_year"), str(other_year))
    now = dora_in_page(view)
    assert now == (service, end - timedelta(weeks=8), end, other_year)
    after = dora_figures(*now)
    assert after != before
    view.wait_for_text(*after)

    # The end before the start: the library's sentence, nothing else.
    view.pick_date(label(DORA_W, "start"), (end + timedelta(days=7)).isoformat())
    service_now, start, end_now, year = dora_in_page(view)
    sentence = library_error(lambda: dora.four_keys(BIBBY, start, end_now, service_now, year))
    assert_shows_only_message(view, sentence)

    view.pick_date(label(DORA_W, "start"), (end - timedelta(weeks=8)).isoformat())
    view.wait_for_text(*after)


@pytest.mark.notebook(DORA_NOTEBOOK)
def test_own_team_widget_reads_the_files_a_learner_types(jlab, monkeypatch):
    notebook = jlab.run(DORA_NOTEBOOK)
    view = notebook.widget(OWN.title)  # the first one: the example team's files
    typed = {name: view.value(label(OWN, f"{name}_path"))
             for name in ("deployments", "changes", "incidents")}
    folder = jlab.server.root / "notebooks"
    monkeypatch.chdir(folder)  # relative paths start from the notebook's folder, as in the kernel
    year = int(view.value(label(OWN, "report_year")))
    log = dora.load_log(*typed.values())
    view.wait_for_text(*four_keys_figures(dora.four_keys(log, report_year=year)))

    # A file with one more deployment: the keys follow it.
    scratch = folder / "scratch-team"
    scratch.mkdir(exist_ok=True)
    rows = Path(typed["deployments"]).read_text().rstrip("\n").splitlines()
    last = rows[-1].split(",")
    rows.append(",".join(["D-EXTRA", last[1], last[2], "success"]))
    (scratch / "more.csv").write_text("\n".join(rows) + "\n")
    view.type(label(OWN, "deployments_path"), "scratch-team/more.csv")
    more = dora.load_log("scratch-team/more.csv", typed["changes"], typed["incidents"])
    keys = dora.four_keys(more, report_year=year)
    assert keys.deployments == dora.four_keys(log, report_year=year).deployments + 1
    view.wait_for_text(f"Read {len(rows) - 1} deployment rows", *four_keys_figures(keys))

    # A timestamp without its date format: the library's sentence naming file, line, column.
    rows[1] = rows[1].replace(rows[1].split(",")[2], "03/03/2025 10:00")
    (scratch / "bad.csv").write_text("\n".join(rows) + "\n")
    view.type(label(OWN, "deployments_path"), "scratch-team/bad.csv", key="Tab")
    sentence = library_error(
        lambda: dora.load_log("scratch-team/bad.csv", typed["changes"], typed["incidents"]))
    assert "scratch-team/bad.csv, line 2" in sentence
    assert_shows_only_message(view, sentence)

    view.type(label(OWN, "deployments_path"), typed["deployments"])
    view.wait_for_text(*four_keys_figures(dora.four_keys(log, report_year=year)))
    shutil.rmtree(scratch)


# --------------------------------------------------------------------------------------
# Salary (notebook 07)
# --------------------------------------------------------------------------------------

BANDS = salary.load_salary_bands()
BAND_W = BandExplorerWidget(bands=BANDS)
COUNTER = CounterOfferWidget()
TOTAL = TotalCompWidget()


def band_figures(role: str, location: str, years: float, offer: float) -> list[str]:
    band = salary.lookup_band(role, location, years, BANDS)
    position = salary.band_position(offer, band.low_usd, band.high_usd)
    return [f"{usd(band.low_usd)} - {usd(band.high_usd)}", position.summary]


def band_in_page(view: WidgetView) -> tuple[str, str, float, float]:
    return (view.value(label(BAND_W, "role")), view.value(label(BAND_W, "location")),
            view.number(label(BAND_W, "years_experience")), view.number(label(BAND_W, "offer_usd")))


@pytest.mark.notebook(SALARY_NOTEBOOK)
def test_band_explorer_follows_role_and_offer(jlab):
    view = jlab.run(SALARY_NOTEBOOK).widget(BAND_W.title)
    before = band_figures(*band_in_page(view))
    view.wait_for_text(*before)

    role = next(r for r in view.options(label(BAND_W, "role"))
                if r != view.value(label(BAND_W, "role")))
    view.choose(label(BAND_W, "role"), role)
    locations = list(dict.fromkeys(BANDS.loc[BANDS["role"] == role, "location"]))
    view.page.wait_for_function(
        "([box, n]) => box.querySelectorAll('option').length === n",
        arg=[view.control(label(BAND_W, "location")).element_handle(), len(locations)],
    )
    assert view.options(label(BAND_W, "location")) == locations
    view.type(label(BAND_W, "offer_usd"), 150000)
    now = band_in_page(view)
    assert now[0] == role and now[3] == 150000
    after = band_figures(*now)
    assert after != before
    view.wait_for_text(*after)

    view.type(label(BAND_W, "offer_usd"), -120000)  # a negative salary
    sentence = library_error(lambda: band_figures(*band_in_page(view)))
    assert "offer_usd" in sentence
    assert_shows_only_message(view, sentence)

    view.type(label(BAND_W, "offer_usd"), 150000, key="Tab")
    view.wait_for_text(*after)


def counter_figures(offer_usd: float, band_low_usd: float, band_high_usd: float,
                    competing_offer_usd: float, stated_ask_usd: float) -> list[str]:
    """The counter and its reasons; 0 in the two last boxes means "none" (as labelled)."""
    counter = salary.counter_offer(offer_usd, band_high_usd=band_high_usd,
                                   competing_offer_usd=competing_offer_usd or None,
                                   stated_ask_usd=stated_ask_usd or None)
    salary.band_position(counter.offer_usd, band_low_usd, band_high_usd)
    return [usd(counter.figure_usd), counter.reasoning]


COUNTER_CONTROLS = ("offer_usd", "band_low_usd", "band_high_usd", "competing_offer_usd",
                    "stated_ask_usd")


@pytest.mark.notebook(SALARY_NOTEBOOK)
def test_counter_offer_widget_follows_offer_and_rejects_an_upside_down_band(jlab):
    view = jlab.run(SALARY_NOTEBOOK).widget(COUNTER.title)
    before = counter_figures(**numbers_in_page(view, COUNTER, COUNTER_CONTROLS))
    view.wait_for_text(*before)

    view.type(label(COUNTER, "competing_offer_usd"), 131500)
    after = counter_figures(**numbers_in_page(view, COUNTER, COUNTER_CONTROLS))
    assert after != before
    view.wait_for_text(*after)

    view.type(label(COUNTER, "band_low_usd"), 125000, key="Tab")  # low above the high
    values = numbers_in_page(view, COUNTER, COUNTER_CONTROLS)
    assert values["band_low_usd"] > values["band_high_usd"]
    assert_shows_only_message(view, library_error(lambda: counter_figures(**values)))

    view.type(label(COUNTER, "band_low_usd"), 105000)
    view.wait_for_text(*after)


@pytest.mark.notebook(SALARY_NOTEBOOK)
def test_total_compensation_widget_follows_the_vesting_text(jlab):
    view = jlab.run(SALARY_NOTEBOOK).widget(TOTAL.title)
    names = ("base_usd", "sign_on_usd", "bonus_pct", "equity_usd", "cliff_months",
             "annual_raise_pct", "clawback_months")

    def figures() -> list[str]:
        v = numbers_in_page(view, TOTAL, names)
        offer = salary.Offer(
            base_usd=v["base_usd"], sign_on_usd=v["sign_on_usd"], bonus_pct=v["bonus_pct"],
            equity_usd=v["equity_usd"],
            vesting_pct=parse_vesting(view.value(label(TOTAL, "vesting_pct"))),
            cliff_months=v["cliff_months"], annual_raise_pct=v["annual_raise_pct"],
            sign_on_clawback_months=v["clawback_months"],
        )
        return [usd(round(salary.first_year_total(offer))),
                usd(round(salary.four_year_total(offer)))]

    before = figures()
    view.wait_for_text(*before)
    view.type(label(TOTAL, "vesting_pct"), "10, 20, 30, 40")
    after = figures()
    assert after != before
    view.wait_for_text(*after)

    view.type(label(TOTAL, "vesting_pct"), "25, 25, 25", key="Tab")
    assert_shows_only_message(view, library_error(figures))
    view.type(label(TOTAL, "vesting_pct"), "10, 20, 30, 40")
    view.wait_for_text(*after)


# --------------------------------------------------------------------------------------
# The checks fail on broken widgets
# --------------------------------------------------------------------------------------

BROKEN_CELLS = [
    # Forgets to observe the servers box: typing there changes nothing.
    "from interview_lab.widgets.capacity import MonitoringCapacityWidget\n"
    "class Deaf(MonitoringCapacityWidget):\n"
    "    title = 'Monitoring capacity, deaf to servers'\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.servers.unobserve(self.refresh, names='value')\n"
    "Deaf()",
    # Swallows the library's error: a bad value shows stale numbers and no message.
    "class Silent(MonitoringCapacityWidget):\n"
    "    title = 'Monitoring capacity, silent on errors'\n"
    "    def compute(self):\n"
    "        try:\n"
    "            return super().compute()\n"
    "        except ValueError:\n"
    "            return self.result.value\n"
    "Silent()",
    # A view the front end cannot draw.
    "import ipywidgets, traitlets\n"
    "class NoView(ipywidgets.DOMWidget):\n"
    "    _model_module = traitlets.Unicode('no-such-widget-module').tag(sync=True)\n"
    "    _view_module = traitlets.Unicode('no-such-widget-module').tag(sync=True)\n"
    "    _view_name = traitlets.Unicode('NoView').tag(sync=True)\n"
    "NoView()",
    # Two plots side by side that cannot shrink: wider than the notebook, the second is cut off.
    "import io\n"
    "from matplotlib.figure import Figure\n"
    "buffer = io.BytesIO()\n"
    "Figure(figsize=(7, 2)).savefig(buffer, format='png')\n"
    "wide = ipywidgets.Layout(width='700px', min_width='700px')\n"
    "ipywidgets.HBox([ipywidgets.Image(value=buffer.getvalue(), format='png', layout=wide) for _ in range(2)])",
    # compute itself crashes: a traceback instead of a widget. Last: Run All stops here.
    "from interview_lab.widgets.base import LabWidget\n"
    "class Crashes(LabWidget):\n"
    "    title = 'A widget whose compute crashes'\n"
    "    def __init__(self):\n"
    "        super().__init__([])\n"
    "    def compute(self):\n"
    "        raise RuntimeError('compute is broken')\n"
    "Crashes()",
]


@pytest.mark.notebook(BROKEN_NOTEBOOK)
def test_the_checks_fail_on_broken_widgets(jlab):
    notebook: Notebook = jlab.run(BROKEN_NOTEBOOK)
    try:
        notebook.wait_for_widgets(timeout_s=5)
        problems = "\n".join(notebook.problems())
        assert "cell 4 raised RuntimeError: compute is broken" in problems
        assert "1 widget(s) failed to draw" in problems, problems
        assert "cell 3: an image reaches" in problems and "(cut off)" in problems, problems

        deaf = notebook.widget("Monitoring capacity, deaf to servers")
        assert_monitoring_matches_library(deaf)  # right until a box changes
        deaf.type(label(MONITORING, "servers"), 2500)
        with pytest.raises(AssertionError, match="does not show"):
            assert_monitoring_matches_library(deaf, timeout_s=2)

        silent = notebook.widget("Monitoring capacity, silent on errors")
        silent.type(label(MONITORING, "servers"), 0)
        with pytest.raises(AssertionError, match="the widget's message is ''"):
            silent.wait_for_error("servers must be at least 1, got 0", timeout_s=2)
    finally:
        notebook.close()
