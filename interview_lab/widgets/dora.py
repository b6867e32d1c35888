"""Widgets for the four keys of software delivery (notebook 02c).

* :class:`DoraWidget` - Bibby's deployment log shipped in ``data/``: choose a service, a date
  range and a DORA report year; see the four keys with their tiers and the weekly trend
  drawn over the tier bands.
* :class:`OwnTeamWidget` - the same for the learner's own three CSV files: type their paths
  and see the four keys, or one sentence naming the file, line and column that is wrong.

The numbers are :func:`interview_lab.dora.four_keys`'s and :func:`interview_lab.dora.summary_table`'s
(Four Keys' definitions), the tiers :mod:`interview_lab.dora_tiers`'s (DORA reports 2021 and
2023), the plots :mod:`interview_lab.plots.dora`'s. The widgets read their controls, call the
library and format; :meth:`calculate` returns the library's results for the current controls
so that a benchmark can time it apart from the plot.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ipywidgets as w
import pandas as pd

from interview_lab import dora
from interview_lab.dora_tiers import DEFAULT_REPORT_YEAR, REPORTS, rules
from interview_lab.plots import TIER_COLOURS
from interview_lab.plots import dora as plots
from interview_lab.widgets.base import LabWidget, table_html

WIDE = {"description_width": "initial"}
FIELD = w.Layout(width="300px")
PATH_FIELD = w.Layout(width="560px")
ALL_SERVICES = "all services"
METRIC_NAMES = {
    "deployment_frequency": "Deployment frequency",
    "lead_time": "Lead time for changes (median)",
    "change_failure_rate": "Change failure rate",
    "time_to_restore": "Time to restore service (median)",
}


def _report_words(metric: str, tier: str | None, report_year: int) -> str:
    if tier is None:
        return ""
    return next(r.report_text for r in rules(metric, report_year) if r.tier == tier)


def _tier_cell(tier: str | None) -> str:
    if tier is None:
        return "<td>not measurable</td>"
    colour = TIER_COLOURS[tier]
    return f'<td style="background:{colour}40;font-weight:bold">{html.escape(tier)}</td>'


def value_texts(keys: dora.FourKeys) -> dict[str, str]:
    """Each key's value as the widgets show it (formatting only)."""
    cfr = (
        "n/a (no deployments)"
        if keys.change_failure_rate is None
        else f"{keys.change_failure_rate:.1%} ({keys.failed_deployments} of {keys.deployments} "
        "deployments caused an incident)"
    )
    restore = dora.hours_text(keys.time_to_restore_median_hours)
    if keys.time_to_restore_median_hours is not None:
        restore += f" ({keys.resolved_incidents} resolved incidents)"
    if keys.unresolved_incidents:
        restore += f"; {keys.unresolved_incidents} still open"
    lead = dora.hours_text(keys.lead_time_median_hours)
    if keys.lead_time_median_hours is not None:
        lead += f" ({keys.lead_time_pairs} changes)"
    return {
        "deployment_frequency": (
            f"{keys.deploys_per_week:.1f} per week ({keys.deployments} deployments in "
            f"{keys.window_days:g} days; Four Keys bucket: {keys.frequency_bucket or 'n/a'})"
        ),
        "lead_time": lead,
        "change_failure_rate": cfr,
        "time_to_restore": restore,
    }


def keys_html(keys: dora.FourKeys) -> str:
    """The four keys, their tiers and the report's words for each tier, as an HTML table."""
    tiers = keys.tiers
    values = value_texts(keys)
    rows = []
    for metric, name in METRIC_NAMES.items():
        tier = getattr(tiers, metric)
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(values[metric])}</td>"
            f"{_tier_cell(tier)}"
            f"<td>{html.escape(_report_words(metric, tier, keys.report_year))}</td></tr>"
        )
    rows.append(
        f"<tr><td><b>Overall</b> (the lowest of the four)</td><td></td>{_tier_cell(tiers.overall)}"
        "<td></td></tr>"
    )
    who = "all services" if keys.service is None else f"service {keys.service}"
    start, end = keys.start.date().isoformat(), keys.end.date().isoformat()
    head = (
        f"<p>{html.escape(who)}, {start} to {end} (end excluded), tiers of the "
        f"{html.escape(REPORTS[keys.report_year])}:</p>"
    )
    header = "<tr><th>key</th><th>value</th><th>tier</th><th>the report's words</th></tr>"
    return f'{head}<table class="lab-table">{header}{"".join(rows)}</table>'


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    raise ValueError(f"a date is expected, got {value!r}")


# --------------------------------------------------------------------------------------
# Bibby's log
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoraResult:
    keys: dora.FourKeys
    trend: pd.DataFrame


class DoraWidget(LabWidget):
    """Controls: ``service`` (a service of the log or ``"all services"``), ``start`` and
    ``end`` (dates; the window is ``[start, end)``, 00:00 UTC) and ``report_year`` (2021 or
    2023). Defaults: all services over the whole log, the 2023 report.

    ``log`` defaults to Bibby's log in ``data/`` (read once, when the widget is made).
    """

    title = "Bibby's four keys (DORA)"

    def __init__(self, log: dora.DoraLog | None = None,
                 report_year: int = DEFAULT_REPORT_YEAR) -> None:
        self.log = dora.bibby_log() if log is None else log
        whole = dora.four_keys(self.log)
        self.service = w.Dropdown(options=[ALL_SERVICES, *self.log.services], value=ALL_SERVICES,
                                  description="service", style=WIDE, layout=FIELD)
        self.start = w.DatePicker(value=whole.start.date(), description="from",
                                  style=WIDE, layout=FIELD)
        self.end = w.DatePicker(value=whole.end.date(), description="until (excluded)",
                                style=WIDE, layout=FIELD)
        self.report_year = w.Dropdown(options=sorted(REPORTS), value=report_year,
                                      description="DORA report", style=WIDE, layout=FIELD)
        controls = [self.service, self.start, self.end, self.report_year]
        self._plot: plots.WeeklyTrendPlot | None = None  # made at the first refresh, then reused
        super().__init__(controls)
        title = self.box.children[0]
        rest = [self.message, self.result, self.figure]
        grid = w.HBox([w.VBox([self.service, self.report_year]), w.VBox([self.start, self.end])])
        self.box.children = [title, grid, *rest]

    @property
    def chosen_service(self) -> str | None:
        return None if self.service.value == ALL_SERVICES else self.service.value

    def calculate(self) -> DoraResult:
        start, end = _as_date(self.start.value), _as_date(self.end.value)
        keys = dora.four_keys(self.log, start, end, self.chosen_service, self.report_year.value)
        trend = dora.weekly_trend(self.log, keys.start, keys.end)
        return DoraResult(keys=keys, trend=trend)

    def compute(self):
        r = self.calculate()
        if self._plot is None:
            self._plot = plots.WeeklyTrendPlot()
        figure = self._plot.update(r.trend, r.keys.report_year, r.keys, self.chosen_service)
        return keys_html(r.keys), figure


# --------------------------------------------------------------------------------------
# The learner's own team
# --------------------------------------------------------------------------------------

OWN_FILES = (
    ("deployments", "deploy_id, service, deployed_at, status"),
    ("changes", "commit_sha, deploy_id, committed_at"),
    ("incidents", "incident_id, deploy_id, opened_at, resolved_at"),
)
INSTRUCTIONS = (
    "<p>Type the paths of your team's three CSV files and press Enter. Relative paths start "
    "from the folder this notebook is in. The columns each file needs:</p>"
    + table_html([(name, columns) for name, columns in OWN_FILES], header=("file", "columns"))
    + "<p>Timestamps are ISO 8601 with a UTC offset, e.g. 2025-03-04T14:30:00+00:00; status is "
    "success or failed; an incident's deploy_id (the deployment that caused it) and "
    "resolved_at (while it is open) may be empty.</p>"
)


@dataclass(frozen=True)
class OwnTeamResult:
    log: dora.DoraLog
    keys: dora.FourKeys
    summary: pd.DataFrame
    trend: pd.DataFrame
    notes: tuple[str, ...]


def _checked_path(text: str, what: str) -> Path:
    """The path typed for one file, or a ValueError saying what is wrong with it."""
    path = Path(text.strip()).expanduser()
    if not path.exists():
        raise ValueError(f"{text.strip()}: there is no such file (the {what} file)")
    if path.is_dir():
        raise ValueError(f"{text.strip()}: this is a folder; give the {what} CSV file inside it")
    return path


class OwnTeamWidget(LabWidget):
    """Controls: ``deployments_path``, ``changes_path`` and ``incidents_path`` (text boxes;
    the computation runs when one is submitted or loses focus) and ``report_year``.

    With a box empty the result shows the expected columns; a file that cannot be read, or a
    bad row, shows one sentence naming the file, the line and the column.
    """

    title = "Your own team's four keys"

    def __init__(self, deployments: str = "", changes: str = "", incidents: str = "",
                 report_year: int = DEFAULT_REPORT_YEAR) -> None:
        def box(value: str, name: str) -> w.Text:
            return w.Text(value=value, description=f"{name} CSV", placeholder=f"{name}.csv",
                          continuous_update=False, style=WIDE, layout=PATH_FIELD)

        self.deployments_path = box(deployments, "deployments")
        self.changes_path = box(changes, "changes")
        self.incidents_path = box(incidents, "incidents")
        self.report_year = w.Dropdown(options=sorted(REPORTS), value=report_year,
                                      description="DORA report", style=WIDE, layout=FIELD)
        self._plot: plots.WeeklyTrendPlot | None = None  # made at the first plot, then reused
        super().__init__([self.deployments_path, self.changes_path, self.incidents_path,
                          self.report_year])

    def paths(self) -> tuple[str, str, str]:
        return (self.deployments_path.value, self.changes_path.value, self.incidents_path.value)

    def calculate(self) -> OwnTeamResult | None:
        """The four keys of the files named, or ``None`` while a path is missing."""
        typed = self.paths()
        if not all(text.strip() for text in typed):
            return None
        paths = [_checked_path(t, name) for t, (name, _) in zip(typed, OWN_FILES, strict=True)]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", dora.NaiveTimestampWarning)
            try:
                log = dora.load_log(*paths)
            except PermissionError as error:
                raise ValueError(f"{error.filename}: you have no permission to read it") from None
            except OSError as error:  # any other reason the file cannot be opened
                raise ValueError(f"{error.filename or typed[0]}: cannot be read ({error.strerror})"
                                 ) from None
        notes = tuple(str(c.message) for c in caught
                      if issubclass(c.category, dora.NaiveTimestampWarning))
        year = self.report_year.value
        keys = dora.four_keys(log, report_year=year)
        summary = dora.summary_table(log, report_year=year)
        trend = dora.weekly_trend(log, keys.start, keys.end)
        return OwnTeamResult(log=log, keys=keys, summary=summary, trend=trend, notes=notes)

    def compute(self):
        r = self.calculate()
        if r is None:
            return INSTRUCTIONS
        per_service = r.summary[r.summary["service"] != dora.OVERALL]
        services = table_html(
            [
                (row.service, row.deployments, f"{row.deploys_per_week:.1f}",
                 dora.hours_text(row.lead_time_median_hours),
                 "n/a" if pd.isna(row.change_failure_rate) else f"{row.change_failure_rate:.1%}",
                 dora.hours_text(row.time_to_restore_median_hours),
                 row.tier_overall or "not measurable")
                for row in per_service.itertuples()
            ],
            header=("service", "deployments", "per week", "lead time", "failure rate",
                    "time to restore", "overall tier"),
        )
        notes = "".join(f"<p><i>Note: {html.escape(n)}</i></p>" for n in r.notes)
        loaded = (
            f"<p>Read {len(r.log.deployments)} deployment rows (failed attempts included), "
            f"{len(r.log.changes)} change rows and {len(r.log.incidents)} incident rows.</p>"
        )
        if self._plot is None:
            self._plot = plots.WeeklyTrendPlot()
        figure = self._plot.update(r.trend, r.keys.report_year, r.keys)
        return loaded + notes + keys_html(r.keys) + "<p>By service:</p>" + services, figure
