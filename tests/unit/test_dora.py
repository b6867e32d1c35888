"""Unit and property tests of interview_lab.dora and interview_lab.dora_tiers.

Small logs are written out by hand and every expected figure is worked out in the comments.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_lab import dora, dora_tiers
from interview_lab.dora import DoraInputError, DoraLog, NaiveTimestampWarning

DATA = Path(__file__).resolve().parents[2] / "data"
TEAM = DATA / "team_example"


def make_log(deployments, changes=(), incidents=()) -> DoraLog:
    """A log from lists of tuples (timestamps as ISO text)."""
    return DoraLog.from_frames(
        pd.DataFrame(list(deployments), columns=list(dora.DEPLOYMENT_COLUMNS), dtype=object),
        pd.DataFrame(list(changes), columns=list(dora.CHANGE_COLUMNS), dtype=object),
        pd.DataFrame(list(incidents), columns=list(dora.INCIDENT_COLUMNS), dtype=object),
    )


def ok(deploy_id, when, service="api"):
    return (deploy_id, service, when, "success")


def bad(deploy_id, when, service="api"):
    return (deploy_id, service, when, "failed")


# ---------------------------------------------------------------------------------------
# The team example shipped in data/team_example (hand-computed in the data README too)
# ---------------------------------------------------------------------------------------


def team_log() -> DoraLog:
    return dora.load_log(
        TEAM / "deployments.csv", TEAM / "changes.csv", TEAM / "incidents.csv"
    )


def test_team_example_four_keys_by_hand():
    result = dora.four_keys(team_log())
    # Window: 2025-03-03 00:00 UTC (D-1) to 2025-03-14 00:00 UTC (the day after D-6 at 16:00Z).
    assert result.start == pd.Timestamp("2025-03-03T00:00:00Z")
    assert result.end == pd.Timestamp("2025-03-14T00:00:00Z")
    assert result.window_days == 11
    # D-1, D-3, D-4, D-5, D-6 succeed; D-2 failed.
    assert result.deployments == 5
    assert result.failed_attempts == 1
    assert result.deploys_per_week == pytest.approx(5 / (11 / 7))
    # Lead times: 2 h, 5 h (9b7e0d3 via the retry D-3 only), 0.5 h, 24 h, 4 h, 24 h; the
    # version bump 0d6f5b8 (0 s) is dropped. Sorted 0.5, 2, 4, 5, 24, 24 -> (4 + 5) / 2.
    assert result.lead_time_pairs == 6
    assert result.lead_time_pairs_dropped == 1
    assert result.lead_time_median_hours == pytest.approx(4.5)
    # D-3 and D-6 caused incidents: 2 of 5.
    assert result.failed_deployments == 2
    assert result.change_failure_rate == pytest.approx(0.4)
    # Resolved: INC-1 45 min, INC-2 3 h -> median 1.875 h; INC-3 open.
    assert result.incidents == 3
    assert result.time_to_restore_median_hours == pytest.approx(1.875)
    assert result.unresolved_incidents == 1
    # Only INC-1 is linked to a deployment and resolved.
    assert result.failed_deployment_recovery_median_hours == pytest.approx(0.75)
    # One whole ISO week (Mon 3 Mar - Mon 10 Mar) with deploys on 3, 4 and 6 March: Daily.
    assert result.whole_weeks == 1
    assert result.whole_months == 0
    assert result.median_deploy_days_per_week == 3
    assert result.frequency_bucket == "Daily"
    assert result.tiers == dora_tiers.Tiers(2023, "High", "Elite", "Low", "High", "Low")
    tiers_2021 = dora.four_keys(team_log(), report_year=2021).tiers
    assert tiers_2021 == dora_tiers.Tiers(2021, "High", "High", "Low", "High", "Low")


def test_team_example_one_service():
    result = dora.four_keys(team_log(), service="shop-web")
    # shop-web: D-3 (4 Mar) and D-6 (13 Mar) succeed, D-2 failed; window 4 Mar - 14 Mar.
    assert result.start == pd.Timestamp("2025-03-04T00:00:00Z")
    assert result.end == pd.Timestamp("2025-03-14T00:00:00Z")
    assert (result.deployments, result.failed_attempts) == (2, 1)
    # Pairs: 5 h, 0.5 h, 24 h -> median 5 h.
    assert result.lead_time_median_hours == pytest.approx(5.0)
    assert result.change_failure_rate == pytest.approx(1.0)
    # Only incidents of shop-web deployments: INC-1 (resolved, 45 min) and INC-3 (open).
    assert (result.incidents, result.resolved_incidents, result.unresolved_incidents) == (2, 1, 1)
    assert result.time_to_restore_median_hours == pytest.approx(0.75)


def test_to_dict_is_json_ready():
    data = dora.four_keys(team_log()).to_dict()
    text = json.dumps(data)
    back = json.loads(text)
    assert back["start"] == "2025-03-03T00:00:00+00:00"
    assert back["tiers"]["overall"] == "Low"
    assert back["median_deploys_per_month"] is None


# ---------------------------------------------------------------------------------------
# Medians, lead time, failure rate, time to restore
# ---------------------------------------------------------------------------------------


def test_even_count_lead_time_median_is_mean_of_middle_two():
    log = make_log(
        [ok("d1", "2025-01-06T12:00:00Z")],
        [
            ("a", "d1", "2025-01-06T11:00:00Z"),  # 1 h
            ("b", "d1", "2025-01-06T10:00:00Z"),  # 2 h
            ("c", "d1", "2025-01-06T09:00:00Z"),  # 3 h
            ("d", "d1", "2025-01-06T02:00:00Z"),  # 10 h
        ],
    )
    assert dora.four_keys(log).lead_time_median_hours == pytest.approx(2.5)


def test_lead_time_is_truncated_to_whole_seconds_and_non_positive_pairs_dropped():
    log = make_log(
        [ok("d1", "2025-01-06T12:00:00Z")],
        [
            ("a", "d1", "2025-01-06T11:59:59.600Z"),  # 0.4 s -> 0 s -> dropped
            ("b", "d1", "2025-01-06T12:00:00Z"),  # 0 s -> dropped
            ("c", "d1", "2025-01-06T12:30:00Z"),  # committed after the deploy -> dropped
            ("d", "d1", "2025-01-06T11:00:00.900Z"),  # 3599.1 s -> 3599 s
        ],
    )
    result = dora.four_keys(log)
    assert result.lead_time_pairs == 1
    assert result.lead_time_pairs_dropped == 3
    assert result.lead_time_median_hours == pytest.approx(3599 / 3600)


def test_commit_under_failed_attempt_and_retry_counts_once_from_the_retry():
    log = make_log(
        [bad("try", "2025-01-06T10:00:00Z"), ok("retry", "2025-01-06T11:00:00Z")],
        [
            ("a", "try", "2025-01-06T08:00:00Z"),
            ("a", "retry", "2025-01-06T08:00:00Z"),  # 3 h from the retry
            ("fix", "retry", "2025-01-06T10:30:00Z"),  # 0.5 h
        ],
    )
    result = dora.four_keys(log)
    assert result.deployments == 1
    assert result.failed_attempts == 1
    assert result.lead_time_pairs == 2
    assert result.lead_time_median_hours == pytest.approx(1.75)


def test_no_changes_or_incidents_gives_none_not_zero():
    result = dora.four_keys(make_log([ok("d1", "2025-01-06T10:00:00Z")]))
    assert result.lead_time_median_hours is None
    assert result.time_to_restore_median_hours is None
    assert result.change_failure_rate == 0.0
    assert result.tiers.lead_time is None and result.tiers.time_to_restore is None
    # One deploy in a one-day window is 7 a week (High); CFR 0 is Elite. The overall tier is
    # the lowest of the keys that could be measured.
    assert result.tiers.deployment_frequency == "High"
    assert result.tiers.change_failure_rate == "Elite"
    assert result.tiers.overall == "High"


def test_change_failure_rate_counts_incidents_opened_after_the_window():
    log = make_log(
        [ok("d1", "2025-01-06T10:00:00Z"), ok("d2", "2025-01-07T10:00:00Z")],
        incidents=[("i1", "d2", "2025-02-01T10:00:00Z", "2025-02-01T11:00:00Z")],
    )
    result = dora.four_keys(log, "2025-01-06", "2025-01-08")
    assert result.change_failure_rate == pytest.approx(0.5)
    # ... but its time to restore is not in this window.
    assert result.incidents == 0
    assert result.time_to_restore_median_hours is None


def test_time_to_restore_even_median_and_unresolved_counted():
    log = make_log(
        [ok("d1", "2025-01-06T10:00:00Z")],
        incidents=[
            ("i1", "d1", "2025-01-06T10:10:00Z", "2025-01-06T10:40:00Z"),  # 30 min
            ("i2", "", "2025-01-06T12:00:00Z", "2025-01-06T13:30:00Z"),  # 90 min
            ("i3", "", "2025-01-06T15:00:00Z", ""),  # open
        ],
    )
    result = dora.four_keys(log)
    assert result.time_to_restore_median_hours == pytest.approx(1.0)
    assert result.failed_deployment_recovery_median_hours == pytest.approx(0.5)
    assert (result.incidents, result.resolved_incidents, result.unresolved_incidents) == (3, 2, 1)


def test_service_filter_keeps_only_incidents_of_its_deployments():
    log = make_log(
        [ok("a1", "2025-01-06T10:00:00Z", "api"), ok("w1", "2025-01-06T11:00:00Z", "web")],
        incidents=[
            ("i1", "a1", "2025-01-06T10:10:00Z", "2025-01-06T10:20:00Z"),
            ("i2", "w1", "2025-01-06T11:10:00Z", "2025-01-06T13:10:00Z"),
            ("i3", "", "2025-01-06T12:00:00Z", "2025-01-06T12:05:00Z"),
        ],
    )
    assert dora.four_keys(log, service="api").time_to_restore_median_hours == pytest.approx(1 / 6)
    assert dora.four_keys(log, service="web").time_to_restore_median_hours == pytest.approx(2.0)
    assert dora.four_keys(log).incidents == 3
    assert log.services == ("api", "web")
    with pytest.raises(ValueError, match="service 'db' is not in the log"):
        dora.four_keys(log, service="db")


# ---------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------


def test_window_is_half_open():
    log = make_log(
        [ok("d1", "2025-01-06T00:00:00Z"), ok("d2", "2025-01-08T00:00:00Z")],
        incidents=[
            ("i1", "", "2025-01-06T00:00:00Z", "2025-01-06T01:00:00Z"),
            ("i2", "", "2025-01-08T00:00:00Z", "2025-01-08T01:00:00Z"),
        ],
    )
    result = dora.four_keys(log, "2025-01-06", "2025-01-08")
    assert result.deployments == 1
    assert result.incidents == 1
    assert dora.four_keys(log, "2025-01-06T00:00:00.000001Z", "2025-01-09").deployments == 1


def test_default_window_and_dates_and_timestamps_with_offsets():
    log = make_log(
        [
            bad("f0", "2025-01-05T09:00:00Z"),  # failed attempts do not set the window
            ok("d1", "2025-01-06T23:30:00-02:00"),  # = 7 Jan 01:30 UTC
            ok("d2", "2025-01-09T10:00:00+05:00"),  # = 9 Jan 05:00 UTC
        ]
    )
    result = dora.four_keys(log)
    assert result.start == pd.Timestamp("2025-01-07T00:00:00Z")
    assert result.end == pd.Timestamp("2025-01-10T00:00:00Z")
    assert result.failed_attempts == 0
    assert result.deploys_per_week == pytest.approx(2 / (3 / 7))
    # An ISO timestamp with an offset: 2025-01-07T03:00+02:00 is 01:00 UTC, before d1.
    assert dora.four_keys(log, start="2025-01-07T03:00:00+02:00").deployments == 2
    assert dora.four_keys(log, start="2025-01-07T04:00:00+02:00").deployments == 1
    with pytest.raises(ValueError, match="start .* is not before end"):
        dora.four_keys(log, "2025-01-09", "2025-01-09")
    with pytest.raises(ValueError, match="must be a date such as"):
        dora.four_keys(log, start="next tuesday")


def test_no_successful_deployment_needs_an_explicit_window():
    log = make_log([bad("f1", "2025-01-06T10:00:00Z")])
    with pytest.raises(ValueError, match="no successful deployment"):
        dora.four_keys(log)
    result = dora.four_keys(log, "2025-01-06", "2025-01-13")
    assert result.deployments == 0 and result.failed_attempts == 1
    assert result.change_failure_rate is None
    assert result.frequency_bucket == "Yearly" or result.frequency_bucket is None


# ---------------------------------------------------------------------------------------
# Frequency bucket (Four Keys) boundaries
# ---------------------------------------------------------------------------------------


def deploys_on(days: list[str]) -> DoraLog:
    return make_log([ok(f"d{i}", f"{day}T10:00:00Z") for i, day in enumerate(days)])


def test_daily_needs_median_of_three_days_per_week():
    # Weeks of 6 Jan and 13 Jan (both Mondays). Days with deploys: 3 and 3 -> median 3.
    log = deploys_on(["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-13", "2025-01-14",
                      "2025-01-15"])
    result = dora.four_keys(log, "2025-01-06", "2025-01-20")
    assert result.whole_weeks == 2
    assert result.median_deploy_days_per_week == 3
    assert result.frequency_bucket == "Daily"
    # 3 and 2 days -> median 2.5: not Daily, but 2.5 deploys a week -> Weekly.
    log = deploys_on(["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-13", "2025-01-14"])
    result = dora.four_keys(log, "2025-01-06", "2025-01-20")
    assert result.median_deploy_days_per_week == 2.5
    assert result.frequency_bucket == "Weekly"


def test_many_deploys_on_one_day_are_one_day():
    days = ["2025-01-06", "2025-01-13"]  # four deploys on each of two Mondays
    log = make_log([ok(f"d{i}", f"{days[i % 2]}T1{i}:00:00Z") for i in range(8)])
    result = dora.four_keys(log, "2025-01-06", "2025-01-20")
    assert result.median_deploy_days_per_week == 1
    assert result.median_deploys_per_week == 4
    assert result.frequency_bucket == "Weekly"


def test_weeks_without_deploys_count_as_zero_for_weekly():
    # Four whole weeks, deploys in two of them: median of (1, 0, 1, 0) = 0.5 -> not Weekly.
    log = deploys_on(["2025-01-06", "2025-01-20"])
    result = dora.four_keys(log, "2025-01-06", "2025-02-03")
    assert result.whole_weeks == 4
    assert result.median_deploys_per_week == 0.5
    assert result.whole_months == 0
    assert result.frequency_bucket is None  # no whole month: Monthly or Yearly cannot be told
    # Three of four weeks: median of (1, 1, 0, 1) = 1 -> Weekly.
    log = deploys_on(["2025-01-06", "2025-01-13", "2025-01-27"])
    assert dora.four_keys(log, "2025-01-06", "2025-02-03").frequency_bucket == "Weekly"


def test_monthly_and_yearly_over_whole_calendar_months():
    # February and March 2025 wholly inside; deploys 10 Feb and 10 Mar -> 1 a month -> Monthly.
    log = deploys_on(["2025-02-10", "2025-03-10"])
    result = dora.four_keys(log, "2025-02-01", "2025-04-01")
    assert result.whole_months == 2
    assert result.median_deploys_per_month == 1
    assert result.frequency_bucket == "Monthly"
    # Three whole months, one deploy -> median of (1, 0, 0) = 0 -> Yearly.
    result = dora.four_keys(deploys_on(["2025-02-10"]), "2025-02-01", "2025-05-01")
    assert result.whole_months == 3
    assert result.median_deploys_per_month == 0
    assert result.frequency_bucket == "Yearly"


def test_partial_weeks_and_months_at_the_edges_are_left_out():
    # Window Wed 8 Jan - Wed 22 Jan 2025: only the week of Mon 13 Jan is whole.
    log = deploys_on(["2025-01-08", "2025-01-09", "2025-01-10", "2025-01-14"])
    result = dora.four_keys(log, "2025-01-08", "2025-01-22")
    assert result.whole_weeks == 1
    assert result.median_deploy_days_per_week == 1
    assert result.frequency_bucket == "Weekly"
    # 15 Jan to 15 Mar holds February only.
    assert dora.four_keys(log, "2025-01-08", "2025-03-15").whole_months == 1


def test_window_shorter_than_a_week_has_no_bucket():
    result = dora.four_keys(deploys_on(["2025-01-07", "2025-01-08"]))
    assert result.whole_weeks == 0
    assert result.frequency_bucket is None


# ---------------------------------------------------------------------------------------
# Tiers
# ---------------------------------------------------------------------------------------

PER_MONTH = 7 / 30.4375
PER_SIX_MONTHS = 7 / 182.625


@pytest.mark.parametrize(
    ("year", "metric", "value", "tier"),
    [
        # deployment frequency (deploys per week)
        (2023, "deployment_frequency", 7.0001, "Elite"),
        (2023, "deployment_frequency", 7.0, "High"),  # once a day is High's upper edge
        (2023, "deployment_frequency", 1.0, "High"),
        (2023, "deployment_frequency", 0.9999, "Medium"),
        (2023, "deployment_frequency", PER_MONTH, "Medium"),
        (2023, "deployment_frequency", PER_MONTH * 0.999, "Low"),
        (2023, "deployment_frequency", 0.0, "Low"),
        (2021, "deployment_frequency", 7.0001, "Elite"),
        (2021, "deployment_frequency", 7.0, "High"),  # gap between 1/week and Elite -> High
        (2021, "deployment_frequency", 3.0, "High"),
        (2021, "deployment_frequency", PER_MONTH, "High"),  # once a month: High and Medium
        (2021, "deployment_frequency", PER_MONTH * 0.999, "Medium"),
        (2021, "deployment_frequency", PER_SIX_MONTHS, "Medium"),
        (2021, "deployment_frequency", PER_SIX_MONTHS * 0.999, "Low"),
        # lead time (hours)
        (2023, "lead_time", 23.99, "Elite"),
        (2023, "lead_time", 24.0, "High"),
        (2023, "lead_time", 168.0, "High"),
        (2023, "lead_time", 168.01, "Medium"),
        (2023, "lead_time", 730.5, "Medium"),
        (2023, "lead_time", 730.51, "Low"),
        (2021, "lead_time", 0.99, "Elite"),
        (2021, "lead_time", 1.0, "High"),  # gap 1 hour - 1 day -> High
        (2021, "lead_time", 12.0, "High"),
        (2021, "lead_time", 168.0, "High"),
        (2021, "lead_time", 300.0, "Medium"),  # gap 1 week - 1 month -> Medium
        (2021, "lead_time", 4383.0, "Medium"),
        (2021, "lead_time", 4383.01, "Low"),
        # change failure rate (fraction)
        (2023, "change_failure_rate", 0.05, "Elite"),
        (2023, "change_failure_rate", 0.0501, "High"),
        (2023, "change_failure_rate", 0.10, "High"),
        (2023, "change_failure_rate", 0.15, "Medium"),
        (2023, "change_failure_rate", 0.1501, "Low"),
        (2021, "change_failure_rate", 0.15, "Elite"),
        (2021, "change_failure_rate", 0.155, "High"),  # gap 15-16 % -> High
        (2021, "change_failure_rate", 0.30, "High"),  # High, Medium and Low share 16-30 %
        (2021, "change_failure_rate", 0.3001, "Low"),
        # time to restore (hours)
        (2023, "time_to_restore", 0.99, "Elite"),
        (2023, "time_to_restore", 1.0, "High"),
        (2023, "time_to_restore", 23.99, "High"),
        (2023, "time_to_restore", 24.0, "Medium"),
        (2023, "time_to_restore", 168.0, "Medium"),
        (2023, "time_to_restore", 168.01, "Low"),  # gap 1 week - 1 month -> Low
        (2021, "time_to_restore", 1.0, "High"),
        (2021, "time_to_restore", 168.0, "Medium"),
        (2021, "time_to_restore", 1000.0, "Low"),
    ],
)
def test_tier_boundaries(year, metric, value, tier):
    assert dora_tiers.tier_for(metric, value, year) == tier


def test_2021_change_failure_rate_never_gives_medium():
    rates = np.linspace(0, 1, 1001)
    tiers = {dora_tiers.tier_for("change_failure_rate", r, 2021) for r in rates}
    assert tiers == {"Elite", "High", "Low"}


def test_every_rule_has_its_report_text_and_a_reason():
    table = dora_tiers.tier_table()
    assert len(table) == 2 * 4 * 4
    assert set(table["report_year"]) == {2021, 2023}
    assert table["reason"].str.len().min() > 10
    assert table.loc[
        (table.report_year == 2023) & (table.metric == "change_failure_rate"), "report_text"
    ].tolist() == ["5%", "10%", "15%", "64%"]
    last = table.groupby(["report_year", "metric"]).tail(1)
    assert set(last["comparison"]) == {"otherwise"}


def test_classify_overall_is_the_lowest_known_tier():
    tiers = dora.classify(15.0, 3.0, 0.05, 0.2)
    assert tiers == dora_tiers.Tiers(2023, "Elite", "Elite", "Elite", "Elite", "Elite")
    assert dora.classify(15.0, 3.0, 0.05, 0.2, report_year=2021).overall == "High"
    assert dora.classify(15.0, 3.0, 0.12, 30.0).overall == "Medium"
    assert dora.classify(15.0, None, 0.05, float("nan")).overall == "Elite"
    assert dora.classify(None, None, None, None).overall is None


def test_classify_rejects_unknown_years_and_impossible_values():
    with pytest.raises(ValueError, match="no DORA tiers for report year 2022; known years"):
        dora.classify(1, 1, 0.1, 1, report_year=2022)
    with pytest.raises(ValueError, match="no DORA tiers for report year 2019"):
        dora.four_keys(team_log(), report_year=2019)
    with pytest.raises(ValueError, match="fraction between 0 and 1"):
        dora.classify(1, 1, 15.0, 1)
    with pytest.raises(ValueError, match="at least 0"):
        dora.classify(-1, 1, 0.1, 1)


# ---------------------------------------------------------------------------------------
# Weekly trend and summary
# ---------------------------------------------------------------------------------------


def test_weekly_trend_counts_and_medians():
    log = make_log(
        [
            ok("a1", "2025-01-08T10:00:00Z", "api"),  # Wed, week of 6 Jan
            bad("a2", "2025-01-09T10:00:00Z", "api"),
            ok("w1", "2025-01-09T12:00:00Z", "web"),
            ok("a3", "2025-01-14T10:00:00Z", "api"),  # week of 13 Jan
        ],
        [
            ("c1", "a1", "2025-01-08T08:00:00Z"),  # 2 h
            ("c2", "w1", "2025-01-09T08:00:00Z"),  # 4 h
            ("c3", "a3", "2025-01-14T09:00:00Z"),  # 1 h
        ],
        [
            ("i1", "w1", "2025-01-09T12:30:00Z", "2025-01-09T13:30:00Z"),  # 1 h
            ("i2", "", "2025-01-15T00:00:00Z", ""),
        ],
    )
    trend = dora.weekly_trend(log)
    assert list(trend.columns) == list(dora.TREND_COLUMNS)
    # Window 8 Jan - 15 Jan: the week of 6 Jan has 5 days in it, the week of 13 Jan 2.
    overall = trend[trend.service == dora.OVERALL].reset_index(drop=True)
    assert overall.week_start.tolist() == [
        pd.Timestamp("2025-01-06T00:00:00Z"),
        pd.Timestamp("2025-01-13T00:00:00Z"),
    ]
    assert overall.days_in_window.tolist() == [5.0, 2.0]
    assert overall.deployments.tolist() == [2, 1]
    assert overall.failed_attempts.tolist() == [1, 0]
    assert overall.deploys_per_week.tolist() == pytest.approx([2 / 5 * 7, 1 / 2 * 7])
    assert overall.lead_time_median_hours.tolist() == pytest.approx([3.0, 1.0])
    assert overall.change_failure_rate.tolist() == pytest.approx([0.5, 0.0])
    # i2 opens on 15 Jan, outside the default window [8 Jan, 15 Jan).
    assert overall.incidents.tolist() == [1, 0]
    api = trend[trend.service == "api"].reset_index(drop=True)
    assert api.deployments.tolist() == [1, 1]
    assert api.lead_time_median_hours.tolist() == pytest.approx([2.0, 1.0])
    assert math.isnan(api.time_to_restore_median_hours[0])
    web = trend[trend.service == "web"].reset_index(drop=True)
    assert web.time_to_restore_median_hours[0] == pytest.approx(1.0)
    # With a longer window the open incident appears, in the overall rows only.
    longer = dora.weekly_trend(log, "2025-01-06", "2025-01-20")
    assert longer.groupby("service").unresolved_incidents.sum().to_dict() == {
        dora.OVERALL: 1,
        "api": 0,
        "web": 0,
    }


def test_weekly_trend_agrees_with_four_keys_on_bibby():
    log = dora.bibby_log()
    trend = dora.weekly_trend(log)
    result = dora.four_keys(log)
    overall = trend[trend.service == dora.OVERALL]
    per_service = trend[trend.service != dora.OVERALL]
    assert overall.deployments.sum() == result.deployments
    assert overall.failed_attempts.sum() == result.failed_attempts
    assert overall.lead_time_pairs.sum() == result.lead_time_pairs
    assert overall.incidents.sum() == result.incidents
    assert per_service.deployments.sum() == result.deployments
    assert per_service.groupby("service").size().nunique() == 1  # same weeks for all


def test_summary_table_rows_match_four_keys():
    log = team_log()
    table = dora.summary_table(log)
    assert table.service.tolist() == [dora.OVERALL, "shop-api", "shop-web"]
    web = table.set_index("service").loc["shop-web"]
    assert web.deployments == dora.four_keys(log, service="shop-web").deployments
    assert web.tier_overall == dora.four_keys(log, service="shop-web").tiers.overall


# ---------------------------------------------------------------------------------------
# Timestamps: offsets, naive values, pandas resolutions
# ---------------------------------------------------------------------------------------


def test_naive_timestamps_are_read_as_utc_with_a_warning():
    with pytest.warns(NaiveTimestampWarning, match=r"1 value\(s\) in column deployed_at .*line 3"):
        log = make_log([ok("d1", "2025-01-06T10:00:00Z"), ok("d2", "2025-01-07T10:00:00")])
    assert log.deployments.deployed_at[1] == pd.Timestamp("2025-01-07T10:00:00Z")
    with pytest.warns(NaiveTimestampWarning, match="committed_at"):
        make_log([ok("d1", "2025-01-06T10:00:00Z")], [("a", "d1", "2025-01-06")])


def test_offsets_z_and_minus_are_not_naive():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = make_log(
            [
                ok("d1", "2025-01-06T10:00:00Z"),
                ok("d2", "2025-01-06T10:00:00-05:00"),
                ok("d3", "2025-01-06T10:00:00+0530"),
                ok("d4", "2025-01-06T10:00:00.250+01:00"),
            ]
        )
    assert log.deployments.deployed_at.dt.hour.tolist() == [10, 15, 4, 9]


def test_datetime_columns_of_any_resolution_give_the_same_keys():
    text = team_log()
    frames = [text.deployments.copy(), text.changes.copy(), text.incidents.copy()]
    frames[0]["deployed_at"] = frames[0]["deployed_at"].dt.as_unit("s")
    frames[1]["committed_at"] = frames[1]["committed_at"].dt.tz_convert("Asia/Kolkata").dt.as_unit(
        "ns"
    )
    frames[2]["opened_at"] = frames[2]["opened_at"].dt.as_unit("ms")
    again = DoraLog.from_frames(*frames)
    assert dora.four_keys(again).to_dict() == dora.four_keys(text).to_dict()
    assert again.deployments.deployed_at.dtype == "datetime64[us, UTC]"


# ---------------------------------------------------------------------------------------
# Validation: every error names file, line and column
# ---------------------------------------------------------------------------------------

GOOD_DEPLOYMENTS = (
    "deploy_id,service,deployed_at,status\n"
    "d1,api,2025-01-06T10:00:00Z,success\n"
    "d2,api,2025-01-07T10:00:00Z,failed\n"
)
GOOD_CHANGES = "commit_sha,deploy_id,committed_at\nabc,d1,2025-01-06T09:00:00Z\n"
GOOD_INCIDENTS = (
    "incident_id,deploy_id,opened_at,resolved_at\n"
    "i1,d1,2025-01-06T10:30:00Z,2025-01-06T11:00:00Z\n"
)


def write_log(tmp_path, deployments=GOOD_DEPLOYMENTS, changes=GOOD_CHANGES,
              incidents=GOOD_INCIDENTS):
    paths = []
    for name, text in (("deployments.csv", deployments), ("changes.csv", changes),
                       ("incidents.csv", incidents)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def expect_error(tmp_path, file, line, column, message, **texts):
    paths = write_log(tmp_path, **texts)
    with pytest.raises(DoraInputError) as caught:
        dora.load_log(*paths)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.file == str(tmp_path / file)
    assert (error.line, error.column) == (line, column)
    text = str(error)
    assert text.startswith(f"{tmp_path / file}, line {line}")
    if column is not None:
        assert f", column {column}: " in text
    assert message in text


def test_good_files_load(tmp_path):
    log = dora.load_log(*write_log(tmp_path))
    assert dora.four_keys(log).deployments == 1


@pytest.mark.parametrize(
    ("file", "texts", "line", "column", "message"),
    [
        ("deployments.csv", {"deployments": "deploy_id,service,status\nd1,api,success\n"},
         1, "deployed_at", "the header has no column 'deployed_at'"),
        ("changes.csv", {"changes": "sha,deploy_id,committed_at\nabc,d1,2025-01-06T09:00:00Z\n"},
         1, "commit_sha", "no column 'commit_sha'"),
        ("incidents.csv", {"incidents": "incident_id,deploy_id,opened_at\ni1,d1,2025-01-06\n"},
         1, "resolved_at", "no column 'resolved_at'"),
        ("deployments.csv",
         {"deployments": GOOD_DEPLOYMENTS + "d3,api,2025-01-32T10:00:00Z,success\n"},
         4, "deployed_at", "cannot read '2025-01-32T10:00:00Z' as an ISO 8601 timestamp"),
        ("deployments.csv", {"deployments": GOOD_DEPLOYMENTS + "d3,api,,success\n"},
         4, "deployed_at", "deployed_at is empty"),
        ("deployments.csv",
         {"deployments": GOOD_DEPLOYMENTS + "d3,api,2025-01-08T10:00:00Z,ok\n"},
         4, "status", "status must be 'success' or 'failed', got 'ok'"),
        ("deployments.csv",
         {"deployments": GOOD_DEPLOYMENTS + ",api,2025-01-08T10:00:00Z,success\n"},
         4, "deploy_id", "deploy_id is empty"),
        ("deployments.csv",
         {"deployments": GOOD_DEPLOYMENTS + "d3,,2025-01-08T10:00:00Z,success\n"},
         4, "service", "service is empty"),
        ("deployments.csv",
         {"deployments": GOOD_DEPLOYMENTS + "d1,web,2025-01-08T10:00:00Z,success\n"},
         4, "deploy_id", "deploy_id 'd1' appears twice (first on line 2)"),
        ("changes.csv", {"changes": GOOD_CHANGES + "def,d1,yesterday\n"},
         3, "committed_at", "cannot read 'yesterday'"),
        ("changes.csv", {"changes": GOOD_CHANGES + "def,d9,2025-01-06T09:00:00Z\n"},
         3, "deploy_id", "deploy_id 'd9' is not in the deployments table"),
        ("changes.csv", {"changes": GOOD_CHANGES + "def,d2,2025-01-06T09:00:00Z\n"
                         "abc,d1,2025-01-06T09:30:00Z\n"},
         4, "commit_sha", "commit 'abc' is listed twice under deploy_id 'd1' (first on line 2)"),
        ("changes.csv", {"changes": GOOD_CHANGES + ",d1,2025-01-06T09:00:00Z\n"},
         3, "commit_sha", "commit_sha is empty"),
        ("incidents.csv", {"incidents": GOOD_INCIDENTS + "i2,d1,2025-01-06T12:00:00Z,soon\n"},
         3, "resolved_at", "cannot read 'soon'"),
        ("incidents.csv",
         {"incidents": GOOD_INCIDENTS + "i2,d1,2025-01-06T12:00:00Z,2025-01-06T11:00:00Z\n"},
         3, "resolved_at", "is before opened_at"),
        ("incidents.csv",
         {"incidents": GOOD_INCIDENTS + "i2,d7,2025-01-06T12:00:00Z,2025-01-06T13:00:00Z\n"},
         3, "deploy_id", "deploy_id 'd7' is not in the deployments table"),
        ("incidents.csv",
         {"incidents": GOOD_INCIDENTS + "i1,,2025-01-06T12:00:00Z,2025-01-06T13:00:00Z\n"},
         3, "incident_id", "incident_id 'i1' appears twice (first on line 2)"),
        ("incidents.csv", {"incidents": GOOD_INCIDENTS + "i2,,,\n"},
         3, "opened_at", "opened_at is empty"),
        ("changes.csv", {"changes": GOOD_CHANGES + "def,d1,2025-01-06T09:00:00Z,extra\n"},
         3, None, "the row has 4 fields but the header has 3"),
        ("incidents.csv", {"incidents": ""}, 1, None, "the file is empty"),
    ],
)
def test_validation_errors_name_file_line_and_column(tmp_path, file, texts, line, column,
                                                     message):
    expect_error(tmp_path, file, line, column, message, **texts)


def test_blank_lines_keep_the_line_numbers(tmp_path):
    deployments = GOOD_DEPLOYMENTS + "\n\nd3,api,2025-01-08T10:00:00Z,shipped\n"
    expect_error(tmp_path, "deployments.csv", 6, "status", "got 'shipped'",
                 deployments=deployments)


def test_earliest_line_wins_among_several_errors(tmp_path):
    deployments = GOOD_DEPLOYMENTS + "d3,api,2025-01-08T10:00:00Z,oops\nd4,api,never,success\n"
    expect_error(tmp_path, "deployments.csv", 4, "status", "got 'oops'", deployments=deployments)


def test_frames_report_the_line_a_row_would_have(tmp_path):
    frame = pd.DataFrame(
        {"deploy_id": ["d1", "d2"], "service": ["api", "api"],
         "deployed_at": ["2025-01-06T10:00:00Z", "later"], "status": ["success", "success"]}
    )
    empty_changes = pd.DataFrame(columns=list(dora.CHANGE_COLUMNS))
    empty_incidents = pd.DataFrame(columns=list(dora.INCIDENT_COLUMNS))
    with pytest.raises(DoraInputError, match=r"^deployments, line 3, column deployed_at: "):
        DoraLog.from_frames(frame, empty_changes, empty_incidents)


def test_doralog_must_be_built_through_validation():
    with pytest.raises(ValueError, match="load_log"):
        DoraLog(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())


# ---------------------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------------------

BASE = pd.Timestamp("2025-01-06T00:00:00Z")
OFFSETS_MIN = [-600, -300, 0, 60, 330, 345, 720]


@st.composite
def raw_logs(draw):
    """A random small log: minutes since BASE for every timestamp."""
    n = draw(st.integers(1, 25))
    deploy_min = draw(st.lists(st.integers(0, 60 * 24 * 40), min_size=n, max_size=n))
    success = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    success[0] = True
    services = draw(st.lists(st.sampled_from(["api", "web"]), min_size=n, max_size=n))
    n_changes = draw(st.integers(0, 30))
    changes = {}
    for _ in range(n_changes):
        sha = draw(st.sampled_from([f"c{i}" for i in range(12)]))
        row = draw(st.integers(0, n - 1))
        changes[(sha, row)] = deploy_min[row] - draw(st.integers(-30, 60 * 24 * 5))
    incidents = []
    for k in range(draw(st.integers(0, 8))):
        row = draw(st.one_of(st.none(), st.integers(0, n - 1)))
        opened = draw(st.integers(0, 60 * 24 * 40))
        duration = draw(st.one_of(st.none(), st.integers(0, 60 * 24 * 3)))
        incidents.append((f"i{k}", row, opened, duration))
    return deploy_min, success, services, changes, incidents


def stamp(minutes: int, offset_min: int = 0) -> str:
    utc = BASE + pd.Timedelta(minutes=minutes)
    local = utc.tz_convert(None) + pd.Timedelta(minutes=offset_min)
    sign = "-" if offset_min < 0 else "+"
    return f"{local:%Y-%m-%dT%H:%M:%S}{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"


def frames_of(raw, offset_of=lambda i: 0):
    deploy_min, success, services, changes, incidents = raw
    dep = pd.DataFrame(
        {
            "deploy_id": [f"d{i}" for i in range(len(deploy_min))],
            "service": services,
            "deployed_at": [stamp(m, offset_of(i)) for i, m in enumerate(deploy_min)],
            "status": ["success" if s else "failed" for s in success],
        }
    )
    ch = pd.DataFrame(
        [(sha, f"d{row}", stamp(m, offset_of(j))) for j, ((sha, row), m) in
         enumerate(changes.items())],
        columns=list(dora.CHANGE_COLUMNS),
    )
    inc = pd.DataFrame(
        [
            (iid, "" if row is None else f"d{row}", stamp(opened, offset_of(k)),
             "" if dur is None else stamp(opened + dur, offset_of(k + 1)))
            for k, (iid, row, opened, dur) in enumerate(incidents)
        ],
        columns=list(dora.INCIDENT_COLUMNS),
    )
    return dep, ch, inc


def keys_of(log, **kwargs):
    return dora.four_keys(log, **kwargs).to_dict()


property_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(raw=raw_logs(), seed=st.integers(0, 2**32 - 1))
def test_shuffling_rows_changes_nothing(raw, seed):
    dep, ch, inc = frames_of(raw)
    rng = np.random.default_rng(seed)
    shuffled = [f.sample(frac=1.0, random_state=rng) for f in (dep, ch, inc)]
    original = DoraLog.from_frames(dep, ch, inc)
    again = DoraLog.from_frames(*shuffled)
    assert keys_of(again) == keys_of(original)
    service = original.services[-1]
    assert keys_of(again, service=service, start="2025-01-06", end="2025-02-20") == keys_of(
        original, service=service, start="2025-01-06", end="2025-02-20"
    )
    pd.testing.assert_frame_equal(dora.weekly_trend(again), dora.weekly_trend(original))


@property_settings
@given(raw=raw_logs(), offsets=st.lists(st.sampled_from(OFFSETS_MIN), min_size=1, max_size=9))
def test_moving_timestamps_to_other_utc_offsets_changes_nothing(raw, offsets):
    utc_log = DoraLog.from_frames(*frames_of(raw))
    moved = DoraLog.from_frames(*frames_of(raw, lambda i: offsets[i % len(offsets)]))
    assert keys_of(moved) == keys_of(utc_log)
    assert keys_of(moved, report_year=2021) == keys_of(utc_log, report_year=2021)


@property_settings
@given(raw=raw_logs(), cut_min=st.integers(1, 60 * 24 * 40 - 1))
def test_counts_of_a_window_split_in_two_add_up(raw, cut_min):
    log = DoraLog.from_frames(*frames_of(raw))
    start, end = BASE, BASE + pd.Timedelta(days=41)
    cut = BASE + pd.Timedelta(minutes=cut_min)
    whole = dora.four_keys(log, start, end)
    left = dora.four_keys(log, start, cut)
    right = dora.four_keys(log, cut, end)
    for name in ("deployments", "failed_attempts", "incidents", "unresolved_incidents",
                 "resolved_incidents", "failed_deployments", "lead_time_pairs"):
        assert getattr(left, name) + getattr(right, name) == getattr(whole, name), name


@property_settings
@given(raw=raw_logs())
def test_weekly_trend_sums_to_the_window_totals(raw):
    log = DoraLog.from_frames(*frames_of(raw))
    trend = dora.weekly_trend(log)
    result = dora.four_keys(log)
    overall = trend[trend.service == dora.OVERALL]
    assert overall.deployments.sum() == result.deployments
    assert overall.incidents.sum() == result.incidents
    assert trend[trend.service != dora.OVERALL].deployments.sum() == result.deployments


# ---------------------------------------------------------------------------------------
# Bibby's shipped log tells the chapter's story
# ---------------------------------------------------------------------------------------


def test_bibby_log_loads_cleanly_and_spans_26_weeks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = dora.bibby_log()
    result = dora.four_keys(log)
    assert result.window_days >= 26 * 7
    assert set(log.services) == {"bibby-api", "bibby-web", "bibby-search", "bibby-worker"}
    assert result.failed_attempts > 0
    assert result.unresolved_incidents >= 1
    linked = log.incidents.deploy_id.notna()
    assert linked.any() and (~linked).any()
    assert (log.deployments.deployed_at.dt.dayofweek < 5).all()


def test_bibby_failed_attempts_share_commits_with_their_retry():
    log = dora.bibby_log()
    status = log.deployments.status.to_numpy()[log.changes.deploy_row.to_numpy()]
    failed_shas = set(log.changes.commit_sha[status == "failed"])
    success_shas = set(log.changes.commit_sha[status == "success"])
    assert failed_shas and failed_shas <= success_shas


def test_bibby_improves_over_the_half_year():
    trend = dora.weekly_trend(dora.bibby_log())
    overall = trend[trend.service == dora.OVERALL].reset_index(drop=True)
    first, last = overall.iloc[:6], overall.iloc[-7:-1]  # whole weeks at both ends
    assert first.deploys_per_week.mean() < 3
    assert last.deploys_per_week.mean() > 12
    early_rate = first.failed_deployments.sum() / first.deployments.sum()
    late_rate = last.failed_deployments.sum() / last.deployments.sum()
    assert early_rate > 2 * late_rate
    assert first.lead_time_median_hours.median() > 24 > last.lead_time_median_hours.median()


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def test_one_offset_throughout_is_converted_to_utc():
    log = make_log([ok("d1", "2025-01-06T01:30:00+02:00"), ok("d2", "2025-01-07T10:00:00+02:00")])
    assert log.deployments.deployed_at.tolist() == [
        pd.Timestamp("2025-01-05T23:30:00Z"),
        pd.Timestamp("2025-01-07T08:00:00Z"),
    ]
    # The first deployment is on 5 January in UTC, so the window starts then.
    assert dora.four_keys(log).start == pd.Timestamp("2025-01-05T00:00:00Z")


def test_to_utc_accepts_dates_datetimes_and_text():
    from datetime import date, datetime, timedelta, timezone

    expected = pd.Timestamp("2025-01-06T00:00:00Z")
    assert dora.to_utc("2025-01-06") == expected
    assert dora.to_utc(date(2025, 1, 6)) == expected
    assert dora.to_utc(datetime(2025, 1, 6, 2, tzinfo=timezone(timedelta(hours=2)))) == expected
    assert dora.to_utc(np.datetime64("2025-01-06T00:00")) == expected
    with pytest.raises(ValueError, match="end must be a date or a timestamp"):
        dora.to_utc(20250106, "end")


def test_hours_text_for_people():
    assert dora.hours_text(None) == "n/a"
    assert dora.hours_text(0.2) == "12 min"
    assert dora.hours_text(5.86) == "5.9 h"
    assert dora.hours_text(72.0) == "3.0 days"


def test_object_columns_with_numbers_are_read_as_text():
    deployments = pd.DataFrame(
        {"deploy_id": [1, 2], "service": ["api", "api"],
         "deployed_at": ["2025-01-06T10:00:00Z", "2025-01-07T10:00:00Z"],
         "status": ["success", "success"]}
    )
    changes = pd.DataFrame({"commit_sha": ["a"], "deploy_id": [2],
                            "committed_at": ["2025-01-07T09:00:00Z"]})
    incidents = pd.DataFrame(columns=list(dora.INCIDENT_COLUMNS))
    log = DoraLog.from_frames(deployments, changes, incidents)
    assert log.changes.deploy_row.tolist() == [1]
    assert dora.four_keys(log).lead_time_median_hours == pytest.approx(1.0)
