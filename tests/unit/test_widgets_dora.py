"""Drive the DORA widgets from Python and check what they display against the library."""

from __future__ import annotations

import os
from datetime import date
from html.parser import HTMLParser

import pytest

from interview_lab import dora
from interview_lab.dora_tiers import classify, tier_for
from interview_lab.plots import dora as dora_plots
from interview_lab.settings import data_path
from interview_lab.widgets.dora import ALL_SERVICES, DoraWidget, OwnTeamWidget, value_texts

PNG = b"\x89PNG"


class _Cells(HTMLParser):
    """The text of every table row of the result pane, cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def shown_rows(html_text: str) -> dict[str, list[str]]:
    """Rows of the result tables keyed by their first cell."""
    parser = _Cells()
    parser.feed(html_text)
    return {row[0]: row[1:] for row in parser.rows if row}


def assert_shows(html_text: str, keys: dora.FourKeys) -> None:
    """The result pane shows the library's values and tiers for every key."""
    rows = shown_rows(html_text)
    values = value_texts(keys)
    names = {
        "deployment_frequency": "Deployment frequency",
        "lead_time": "Lead time for changes (median)",
        "change_failure_rate": "Change failure rate",
        "time_to_restore": "Time to restore service (median)",
    }
    for metric, name in names.items():
        value, tier, _words = rows[name]
        assert value == values[metric]
        assert tier == (getattr(keys.tiers, metric) or "not measurable")
    assert rows["Overall (the lowest of the four)"][1] == keys.tiers.overall


@pytest.fixture(scope="module")
def bibby():
    return dora.bibby_log()


@pytest.fixture
def widget(bibby):
    return DoraWidget(bibby)


# --------------------------------------------------------------------------------------
# Bibby's log
# --------------------------------------------------------------------------------------


def test_default_is_the_whole_log_under_2023(widget, bibby):
    assert widget.last_error is None
    keys = dora.four_keys(bibby, report_year=2023)
    assert_shows(widget.result.value, keys)
    assert f"{keys.deploys_per_week:.1f} per week" in widget.result.value
    assert bytes(widget.figure.value).startswith(PNG)
    assert widget.start.value == keys.start.date() and widget.end.value == keys.end.date()


def test_report_year_changes_the_tiers(widget, bibby):
    widget.report_year.value = 2021
    keys = dora.four_keys(bibby, report_year=2021)
    assert_shows(widget.result.value, keys)
    # Bibby's median lead time (hours) is Elite under 2023's "less than one day" but only High
    # under 2021's "less than one hour".
    rows = shown_rows(widget.result.value)
    assert rows["Lead time for changes (median)"][1] == tier_for(
        "lead_time", keys.lead_time_median_hours, 2021
    ) == "High"


def test_service_and_dates(widget, bibby):
    widget.service.value = "bibby-api"
    widget.start.value = date(2025, 3, 3)
    widget.end.value = date(2025, 6, 2)
    keys = dora.four_keys(bibby, date(2025, 3, 3), date(2025, 6, 2), "bibby-api", 2023)
    assert widget.last_error is None
    assert_shows(widget.result.value, keys)
    assert "service bibby-api, 2025-03-03 to 2025-06-02" in widget.result.value
    assert keys.deployments < dora.four_keys(bibby, service="bibby-api").deployments


def test_back_to_all_services(widget, bibby):
    widget.service.value = "bibby-web"
    widget.service.value = ALL_SERVICES
    assert_shows(widget.result.value, dora.four_keys(bibby))


def test_end_before_start_is_a_message_not_a_traceback(widget):
    widget.end.value = date(2025, 1, 1)
    assert widget.last_error is not None
    assert widget.last_error.startswith("the window is empty")
    assert "2025-01-01" in widget.message.value and "lab-error" in widget.message.value
    assert widget.result.value == "" and bytes(widget.figure.value) == b""
    widget.end.value = date(2025, 2, 1)  # a valid window again clears the message
    assert widget.last_error is None and widget.message.value == ""


def test_cleared_dates_fall_back_to_the_default_window(widget, bibby):
    widget.start.value = None
    widget.end.value = None
    assert widget.last_error is None
    assert_shows(widget.result.value, dora.four_keys(bibby))


def test_calculate_returns_the_library_results(widget, bibby):
    widget.service.value = "bibby-search"
    r = widget.calculate()
    assert r.keys == dora.four_keys(bibby, widget.start.value, widget.end.value, "bibby-search")
    assert r.trend.equals(dora.weekly_trend(bibby, r.keys.start, r.keys.end))


# --------------------------------------------------------------------------------------
# The learner's own files
# --------------------------------------------------------------------------------------


def team_paths() -> tuple[str, str, str]:
    return tuple(str(data_path(f"team_example/{n}.csv"))
                 for n in ("deployments", "changes", "incidents"))


def test_empty_boxes_show_what_to_type():
    own = OwnTeamWidget()
    assert own.last_error is None
    assert "deploy_id, service, deployed_at, status" in own.result.value
    assert bytes(own.figure.value) == b""


def test_team_example_against_the_library():
    paths = team_paths()
    own = OwnTeamWidget()
    own.deployments_path.value, own.changes_path.value, own.incidents_path.value = paths
    assert own.last_error is None
    log = dora.load_log(*paths)
    keys = dora.four_keys(log, report_year=2023)
    assert_shows(own.result.value, keys)
    rows = shown_rows(own.result.value)
    summary = dora.summary_table(log, report_year=2023).set_index("service")
    for service in log.services:
        assert rows[service][0] == str(summary.loc[service, "deployments"])
        assert rows[service][-1] == summary.loc[service, "tier_overall"]
    assert bytes(own.figure.value).startswith(PNG)
    own.report_year.value = 2021
    assert_shows(own.result.value, dora.four_keys(log, report_year=2021))


def test_team_example_tiers_by_hand():
    """The example team: 5 deployments in 11 days, 2 of them with an incident."""
    keys = dora.four_keys(dora.load_log(*team_paths()))
    assert (keys.deployments, keys.failed_deployments) == (5, 2)
    assert keys.change_failure_rate == pytest.approx(0.4)
    assert classify(keys.deploys_per_week, keys.lead_time_median_hours, 0.4,
                    keys.time_to_restore_median_hours, 2023).change_failure_rate == "Low"


def broken_copy(folder, line: str) -> None:
    """The team example with one deployments row replaced by ``line``."""
    for name in ("deployments", "changes", "incidents"):
        (folder / f"{name}.csv").write_text(data_path(f"team_example/{name}.csv").read_text())
    rows = (folder / "deployments.csv").read_text().splitlines()
    rows[2] = line  # line 3 of the file (the header is line 1)
    (folder / "deployments.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("D-2,shop-web,yesterday,failed",
         "deployments.csv, line 3, column deployed_at: cannot read 'yesterday'"),
        ("D-2,shop-web,2025-03-04T14:00:00+00:00,rolled-back",
         "deployments.csv, line 3, column status: status must be 'success' or 'failed'"),
        ("D-2,shop-web,2025-03-04T14:00:00+00:00,failed,retried",
         "deployments.csv, line 3: the row has 5 fields but the header has 4"),
        ("D-2,shop-web,2025-03-04T14:00:00+00:00",
         "deployments.csv, line 3, column status: status must be 'success' or 'failed', got ''"),
    ],
)
def test_a_bad_row_names_file_line_and_column(tmp_path, line, message):
    broken_copy(tmp_path, line)
    own = OwnTeamWidget()
    cwd = os.getcwd()
    os.chdir(tmp_path)  # relative paths, as a learner types them from a notebook's folder
    try:
        own.deployments_path.value = "deployments.csv"
        own.changes_path.value = "changes.csv"
        own.incidents_path.value = "incidents.csv"
    finally:
        os.chdir(cwd)
    assert own.last_error is not None and own.last_error.startswith(message)
    assert "lab-error" in own.message.value
    assert own.result.value == "" and bytes(own.figure.value) == b""


def test_missing_file_and_folder(tmp_path):
    deployments, changes, incidents = team_paths()
    own = OwnTeamWidget(str(tmp_path / "nope.csv"), changes, incidents)
    assert own.last_error == f"{tmp_path / 'nope.csv'}: there is no such file (the deployments file)"
    own.deployments_path.value = deployments
    own.changes_path.value = str(tmp_path)
    assert own.last_error == f"{tmp_path}: this is a folder; give the changes CSV file inside it"
    own.changes_path.value = changes
    assert own.last_error is None


def test_naive_timestamps_are_read_as_utc_with_a_note(tmp_path):
    broken_copy(tmp_path, "D-2,shop-web,2025-03-04T14:00:00,failed")
    own = OwnTeamWidget(*(str(tmp_path / f"{n}.csv") for n in ("deployments", "changes",
                                                               "incidents")))
    assert own.last_error is None
    assert "Note:" in own.result.value and "read as UTC" in own.result.value


def test_unreadable_file_is_a_message(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    broken_copy(tmp_path, "D-2,shop-web,2025-03-04T14:00:00+00:00,failed")
    (tmp_path / "incidents.csv").chmod(0)
    own = OwnTeamWidget(*(str(tmp_path / f"{n}.csv") for n in ("deployments", "changes",
                                                               "incidents")))
    assert own.last_error is not None and "no permission" in own.last_error


def test_tier_bands_follow_the_rules():
    bands = dora_plots.tier_bands("change_failure_rate", 2021)
    assert [b[0] for b in bands] == ["Elite", "High", "Low"]  # 2021's Medium is never assigned
    assert bands[0][1:] == (0.0, 0.15) and bands[1][1:] == (0.15, 0.30)
    frequency = dora_plots.tier_bands("deployment_frequency", 2023)
    assert frequency[0] == ("Elite", 7.0, float("inf")) and frequency[1] == ("High", 1.0, 7.0)
    for metric in ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore"):
        for year in (2021, 2023):
            for tier, low, high in dora_plots.tier_bands(metric, year):
                middle = (low + min(high, low * 2 + 1)) / 2  # a value inside the band
                if metric == "change_failure_rate":
                    middle = min(middle, 0.99)
                assert tier_for(metric, middle, year) == tier
