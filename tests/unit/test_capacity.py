"""Unit and property tests for interview_lab.capacity.

Regression values are the chapter's correct figures (and the corrections of its wrong
ones), recomputed by hand in the comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_lab import capacity as c

# --------------------------------------------------------------------------------------
# Monitoring
# --------------------------------------------------------------------------------------


def test_chapter_monitoring_example():
    # 1000 servers x 100 metrics every 15 s = 100,000 series x 4 scrapes/min.
    e = c.monitoring_estimate(1000, 100, 15, bytes_per_sample=8, retention_days=15)
    assert e.series == 100_000
    assert e.samples_per_minute == 400_000
    assert e.samples_per_second == pytest.approx(6666.6667, rel=1e-6)
    assert e.bytes_per_minute == 3_200_000  # 3.2 MB/min
    assert e.bytes_per_day == 4_608_000_000  # 4.608 GB/day
    assert e.retention_bytes == 69_120_000_000  # 69.12 GB
    assert e.retention_gb == pytest.approx(69.12)


def test_chapter_data_points_claim_is_ten_times_too_high():
    # The chapter writes "4M data points/min"; the product is 400,000.
    assert c.monitoring_estimate(1000, 100, 15).samples_per_minute == 400_000


def test_default_is_two_bytes_and_fifteen_days():
    e = c.monitoring_estimate(1000, 100, 15)
    assert e.bytes_per_sample == 2.0
    assert e.retention_days == 15.0
    assert e.retention_bytes == 17_280_000_000  # 69.12 GB / 4


def test_scrape_payload_is_4_mb_per_minute_not_240():
    # ~1 kB per scrape x 1000 servers x 4 scrapes/min
    rate = c.scrape_bytes_per_minute(1000, 1000, 15)
    assert rate == 4_000_000
    assert rate != 240_000_000


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(servers=0), "servers must be at least 1, got 0"),
        (dict(servers=2.5), "servers must be a whole number, got 2.5"),
        (dict(servers="10"), "servers must be a number, got '10'"),
        (dict(servers=True), "servers must be a number, got True"),
        (dict(metrics_per_server=0), "metrics_per_server must be at least 1, got 0"),
        (dict(scrape_interval_s=0), "scrape_interval_s must be greater than 0, got 0"),
        (
            dict(scrape_interval_s=float("nan")),
            "scrape_interval_s must be a finite number, got nan",
        ),
        (dict(bytes_per_sample=-1), "bytes_per_sample must be greater than 0, got -1"),
        (dict(retention_days=float("inf")), "retention_days must be a finite number, got inf"),
    ],
)
def test_monitoring_validation(kwargs, message):
    args = dict(servers=10, metrics_per_server=10, scrape_interval_s=15) | kwargs
    with pytest.raises(ValueError) as error:
        c.monitoring_estimate(**args)
    assert str(error.value) == message


def test_scrape_bytes_validation():
    with pytest.raises(ValueError, match="bytes_per_scrape must be 0 or more, got -1"):
        c.scrape_bytes_per_minute(-1, 10, 15)
    with pytest.raises(ValueError, match="scrape_interval_s must be greater than 0"):
        c.scrape_bytes_per_minute(1, 10, 0)


@settings(max_examples=60, deadline=None)
@given(
    servers=st.integers(1, 100_000),
    extra=st.integers(1, 10_000),
    metrics=st.integers(1, 5_000),
    interval=st.floats(1, 600),
    sample=st.floats(0.5, 16),
    days=st.floats(0.5, 400),
)
def test_more_servers_never_need_less_storage(servers, extra, metrics, interval, sample, days):
    small = c.monitoring_estimate(servers, metrics, interval, sample, days)
    large = c.monitoring_estimate(servers + extra, metrics, interval, sample, days)
    assert large.retention_bytes >= small.retention_bytes
    assert large.bytes_per_day >= small.bytes_per_day


@settings(max_examples=60, deadline=None)
@given(interval=st.floats(1, 600), longer=st.floats(1.01, 10))
def test_longer_scrape_interval_never_needs_more_storage(interval, longer):
    a = c.monitoring_estimate(100, 100, interval)
    b = c.monitoring_estimate(100, 100, interval * longer)
    assert b.retention_bytes <= a.retention_bytes


# --------------------------------------------------------------------------------------
# Fleet
# --------------------------------------------------------------------------------------


def test_shipped_fleet_reproduces_the_chapter_example():
    fleet = c.load_fleet()
    assert list(fleet.columns) == list(c.FLEET_COLUMNS)
    estimate = c.fleet_estimate(fleet, bytes_per_sample=8, retention_days=15)
    assert estimate.servers == 1000
    assert estimate.series == 100_000
    assert estimate.samples_per_minute == pytest.approx(400_000)
    assert estimate.retention_bytes == pytest.approx(69.12e9)
    assert len(estimate.groups) == len(fleet)
    assert estimate.groups["retention_bytes"].sum() == pytest.approx(estimate.retention_bytes)


def test_fleet_groups_with_their_own_interval():
    fleet = pd.DataFrame(
        {
            "group": ["a", "b"],
            "servers": [10, 10],
            "metrics_per_server": [100, 100],
            "scrape_interval_s": [15, 30],
        }
    )
    estimate = c.fleet_estimate(fleet, bytes_per_sample=1, retention_days=1)
    a, b = estimate.groups["samples_per_second"]
    assert a == pytest.approx(1000 / 15)
    assert b == pytest.approx(a / 2)
    assert estimate.bytes_per_day == pytest.approx((1000 / 15 + 1000 / 30) * 86_400)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(servers=[0, 1]), "servers must be a whole number of at least 1 (group 'a', got 0)"),
        (
            dict(metrics_per_server=[1, 2.5]),
            "metrics_per_server must be a whole number of at least 1 (group 'b', got 2.5)",
        ),
        (
            dict(scrape_interval_s=[15, 0]),
            "scrape_interval_s must be greater than 0 (group 'b', got 0)",
        ),
        (dict(group=["a", "a"]), "group 'a' appears twice"),
    ],
)
def test_fleet_validation(change, message):
    fleet = pd.DataFrame(
        {
            "group": ["a", "b"],
            "servers": [1, 1],
            "metrics_per_server": [1, 1],
            "scrape_interval_s": [15, 15],
        }
    )
    for column, values in change.items():
        fleet[column] = values
    with pytest.raises(ValueError) as error:
        c.fleet_estimate(fleet)
    assert str(error.value) == message


def test_fleet_missing_column_and_empty():
    with pytest.raises(ValueError, match="the fleet table has no column"):
        c.fleet_estimate(pd.DataFrame({"group": ["a"], "servers": [1]}))
    empty = pd.DataFrame(columns=["group", "servers", "metrics_per_server", "scrape_interval_s"])
    with pytest.raises(ValueError, match="the fleet table has no server groups"):
        c.fleet_estimate(empty)


def test_load_fleet_reports_missing_column(tmp_path):
    path = tmp_path / "fleet.csv"
    path.write_text("group,servers\na,1\n")
    with pytest.raises(ValueError, match="missing column"):
        c.load_fleet(str(path))


# --------------------------------------------------------------------------------------
# Thanos and downsampling
# --------------------------------------------------------------------------------------


def test_downsampling_ratios():
    assert c.downsampling_ratio(15, 300) == 20  # the chapter says 72x
    assert c.downsampling_ratio(15, 3600) == 240
    assert c.downsampling_ratio(300, 3600) == 12


def test_downsampling_validation():
    with pytest.raises(
        ValueError, match=r"to_resolution_s \(15\) must be at least from_resolution_s \(300\)"
    ):
        c.downsampling_ratio(300, 15)
    with pytest.raises(ValueError, match="from_resolution_s must be greater than 0, got 0"):
        c.downsampling_ratio(0, 300)


def test_downsampled_size_ratio():
    # The Thanos docs: a downsampled block is about the size of the raw one, whatever the
    # number of points, so neither 20x fewer points (5 min) nor 240x (1 h) shrinks the bytes.
    assert c.downsampled_size_ratio(15, 300) == 1.0
    assert c.downsampled_size_ratio(15, 3600) == 1.0
    assert c.downsampled_size_ratio(15, 300, downsampled_block_fraction=0.8) == 0.8
    assert c.downsampled_size_ratio(15, 300) != 1 / c.downsampling_ratio(15, 300)
    with pytest.raises(ValueError, match="downsampled_block_fraction must be greater than 0"):
        c.downsampled_size_ratio(15, 300, 0)
    with pytest.raises(ValueError, match="must be at least from_resolution_s"):
        c.downsampled_size_ratio(300, 15)


def test_chapter_thanos_design():
    # raw 15 d, 5 min 90 d, 1 h 365 d, 2 B/sample, downsampled blocks the size of raw ones.
    t = c.thanos_storage_estimate(1000, 100, 15, 15, 90, 365)
    assert t.raw_bytes == pytest.approx(17.28e9)  # 1e5 x 5760/day x 15 d x 2 B
    assert t.five_minute_bytes == pytest.approx(103.68e9)  # the same per day, for 90 d
    assert t.one_hour_bytes == pytest.approx(420.48e9)  # the same per day, for 365 d
    assert t.total_bytes == pytest.approx(541.44e9)
    assert t.total_gib == pytest.approx(541.44e9 / 2**30)
    assert t.usd_per_month == pytest.approx(541.44e9 / 2**30 * 0.023)
    assert t.usd_per_month_per_server == pytest.approx(t.usd_per_month / 1000)
    assert t.raw_only_bytes == pytest.approx(420.48e9)  # raw for 365 days
    assert t.all_resolutions_bytes == pytest.approx(3 * 420.48e9)  # every resolution 365 days
    # The plan stores 470 days' worth against 365: downsampling saves nothing, it adds.
    assert t.saving_vs_raw_only == pytest.approx(1 - 470 / 365)
    assert t.saving_vs_raw_only < 0
    # Against keeping all three resolutions a year, the shorter raw and 5 m retentions save.
    assert t.saving_vs_all_resolutions == pytest.approx(1 - 470 / 1095)
    assert t.bytes_by_resolution == {
        "raw": t.raw_bytes,
        "5m": t.five_minute_bytes,
        "1h": t.one_hour_bytes,
    }


def test_thanos_block_fraction_scales_only_the_downsampled_resolutions():
    full = c.thanos_storage_estimate(1000, 100, 15, 15, 90, 365)
    smaller = c.thanos_storage_estimate(1000, 100, 15, 15, 90, 365, downsampled_block_fraction=0.5)
    assert smaller.raw_bytes == full.raw_bytes
    assert smaller.five_minute_bytes == pytest.approx(full.five_minute_bytes / 2)
    assert smaller.one_hour_bytes == pytest.approx(full.one_hour_bytes / 2)
    assert smaller.raw_only_bytes == full.raw_only_bytes
    assert smaller.all_resolutions_bytes == pytest.approx(2 * full.raw_only_bytes)
    with pytest.raises(ValueError, match="downsampled_block_fraction must be greater than 0"):
        c.thanos_storage_estimate(1000, 100, 15, 15, 90, 365, downsampled_block_fraction=0)


def test_every_resolution_kept_alike_triples_storage():
    # The docs' warning: keeping all resolutions equally long can make storage ~3x larger.
    t = c.thanos_storage_estimate(1000, 100, 15, 365, 365, 365)
    assert t.total_bytes == pytest.approx(3 * t.raw_only_bytes)
    assert t.saving_vs_raw_only == pytest.approx(-2)
    assert t.saving_vs_all_resolutions == pytest.approx(0)


def test_chapter_s3_cost_per_server_claim_is_far_too_high():
    # Even at 8 B/sample and downsampled blocks the size of raw ones, the chapter's design
    # costs under 5 cents per server-month, a tenth of its $0.50.
    t = c.thanos_storage_estimate(1000, 100, 15, 15, 90, 365, bytes_per_sample=8)
    assert t.total_bytes == pytest.approx(2165.76e9)
    assert t.usd_per_month_per_server == pytest.approx(2165.76e9 / 2**30 * 0.023 / 1000)
    assert t.usd_per_month_per_server < 0.50 / 10


def test_object_storage_converts_to_gib():
    assert c.object_storage_usd_per_month(2**30) == pytest.approx(0.023)
    assert c.object_storage_usd_per_month(1e9) == pytest.approx(0.023 * 1e9 / 2**30)


@pytest.mark.parametrize(
    "args, message",
    [
        ((1000, 100, 15, 0, 0, 0), "at least one of the three retentions must be more than 0 days"),
        (
            (1000, 100, 300, 15, 90, 0),
            "5-minute downsampling needs a scrape interval under 300 s, got 300",
        ),
        (
            (1000, 100, 3600, 15, 0, 10),
            "1-hour downsampling needs a scrape interval under 3600 s, got 3600",
        ),
        ((1000, 100, 15, -1, 90, 365), "raw_retention_days must be 0 or more, got -1"),
        ((0, 100, 15, 15, 90, 365), "servers must be at least 1, got 0"),
    ],
)
def test_thanos_validation(args, message):
    with pytest.raises(ValueError) as error:
        c.thanos_storage_estimate(*args)
    assert str(error.value) == message


def test_thanos_zero_retention_skips_a_resolution():
    t = c.thanos_storage_estimate(10, 10, 600, 30, 0, 365)
    assert t.five_minute_bytes == 0
    assert t.total_bytes == pytest.approx(t.raw_bytes + t.one_hour_bytes)


@settings(max_examples=50, deadline=None)
@given(
    servers=st.integers(1, 5000),
    extra=st.integers(1, 5000),
    raw=st.floats(0, 60),
    five=st.floats(0, 400),
    hour=st.floats(1, 800),
)
def test_thanos_more_servers_never_cheaper(servers, extra, raw, five, hour):
    a = c.thanos_storage_estimate(servers, 100, 15, raw, five, hour)
    b = c.thanos_storage_estimate(servers + extra, 100, 15, raw, five, hour)
    assert b.total_bytes >= a.total_bytes
    assert b.usd_per_month >= a.usd_per_month
    assert a.total_bytes == pytest.approx(a.raw_bytes + a.five_minute_bytes + a.one_hour_bytes)


# --------------------------------------------------------------------------------------
# Target tracking
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        ((3, 40, 70, 3, 10), 3),  # 1.71 -> 2, clamped up to min 3
        ((3, 95, 70, 3, 10), 5),  # 4.07 -> 5: proportional, not +1
        ((3, 100, 70, 3, 10), 5),  # 4.29 -> 5
        ((7, 65, 70, 3, 10), 7),  # 6.5 -> 7
        ((10, 100, 20, 3, 10), 10),  # 50 -> clamped to max 10
        ((0, 0, 70, 2, 10), 2),
        ((3, 70, 70, 1, 10), 3),  # exactly on target: no change
    ],
)
def test_target_tracking_desired(args, expected):
    assert c.target_tracking_desired(*args) == expected


def test_floating_point_noise_never_adds_a_task():
    assert 15 * 16.6 / 83.0 > 3  # 3.0000000000000004 in binary floating point
    assert math.ceil(15 * 16.6 / 83.0) == 4
    assert c.target_tracking_desired(15, 16.6, 83.0, 1, 100) == 3


@pytest.mark.parametrize(
    "args, message",
    [
        ((3, 50, 70, 5, 4), "min_tasks (5) must not be more than max_tasks (4)"),
        ((3, 50, 0, 1, 4), "target_value must be greater than 0, got 0"),
        ((3, -1, 70, 1, 4), "metric_value must be 0 or more, got -1"),
        ((3, float("nan"), 70, 1, 4), "metric_value must be a finite number, got nan"),
        ((-1, 50, 70, 1, 4), "current_tasks must be at least 0, got -1"),
        ((2.5, 50, 70, 1, 4), "current_tasks must be a whole number, got 2.5"),
        ((3, 50, 70, 1, 0), "max_tasks must be at least 1, got 0"),
    ],
)
def test_target_tracking_validation(args, message):
    with pytest.raises(ValueError) as error:
        c.target_tracking_desired(*args)
    assert str(error.value) == message


@settings(max_examples=200, deadline=None)
@given(
    current=st.integers(0, 500),
    metric=st.floats(0, 1000),
    target=st.floats(0.01, 100),
    low=st.integers(0, 50),
    span=st.integers(0, 200),
)
def test_desired_stays_within_min_and_max(current, metric, target, low, span):
    high = max(low + span, 1)
    desired = c.target_tracking_desired(current, metric, target, low, high)
    assert low <= desired <= high


@settings(max_examples=100, deadline=None)
@given(
    current=st.integers(1, 100),
    metric=st.floats(0, 500),
    more=st.floats(0, 500),
    target=st.floats(1, 100),
)
def test_desired_never_falls_when_the_metric_rises(current, metric, more, target):
    assert c.target_tracking_desired(
        current, metric + more, target, 1, 10_000
    ) >= c.target_tracking_desired(current, metric, target, 1, 10_000)


# --------------------------------------------------------------------------------------
# Autoscaling simulator
# --------------------------------------------------------------------------------------


def test_simulation_step_by_step():
    demand = [120, 455, 455, 455, 455, 455, 455, 455, 120, 120]
    run = c.simulate_autoscaling(demand)  # the chapter's service: 3-10 tasks, 70 %, 60/300 s, 3 min
    assert run.running == (3, 3, 3, 3, 5, 5, 5, 7, 7, 3)
    assert run.pending == (0, 2, 2, 2, 2, 2, 2, 0, 0, 0)
    assert run.billed_tasks == (3, 5, 5, 5, 7, 7, 7, 7, 7, 3)
    assert run.desired == (3, 5, 5, 5, 7, 7, 7, 7, 3, 3)
    assert run.cpu_per_task_pct == pytest.approx([40, 100, 100, 100, 91, 91, 91, 65, 120 / 7, 40])
    assert run.unserved_pct == pytest.approx([0, 155, 155, 155, 0, 0, 0, 0, 0, 0])
    assert run.actions == ("", "scale-out", "", "", "scale-out", "", "", "", "scale-in", "")
    assert run.scale_outs == 2 and run.scale_ins == 1
    assert run.peak_running == 7
    assert run.unserved_task_minutes == pytest.approx(4.65)
    assert run.minutes_with_unserved_demand == 3
    assert run.mean_billed_tasks == pytest.approx(5.6)  # 56 task-minutes / 10
    frame = run.to_frame()
    assert list(frame.columns) == [
        "minute", "demand_pct", "running", "pending", "billed_tasks", "desired", "cpu_per_task_pct", "unserved_pct", "action",
    ]  # fmt: skip
    assert frame["minute"].tolist() == list(range(10))


def test_steady_load_never_scales():
    run = c.simulate_autoscaling([120.0] * 30)
    assert set(run.running) == {3}
    assert set(run.cpu_per_task_pct) == {40.0}
    assert run.scale_outs == run.scale_ins == 0


def test_scale_out_cooldown_blocks_a_second_scale_out():
    demand = [455] * 8
    fast = c.simulate_autoscaling(demand, scale_out_cooldown_s=60, provisioning_delay_s=60)
    slow = c.simulate_autoscaling(demand, scale_out_cooldown_s=180, provisioning_delay_s=60)
    # minute 0: 3 running at 100 % -> 5; minute 1: 5 running at 91 % -> 7 (allowed after 60 s)
    assert fast.actions[:2] == ("scale-out", "scale-out")
    # 180 s = 3 steps: the next scale-out waits until minute 3
    assert slow.actions[:4] == ("scale-out", "", "", "scale-out")


def test_cooldown_seconds_round_up_to_whole_minutes():
    demand = [455] * 6
    run = c.simulate_autoscaling(demand, scale_out_cooldown_s=61, provisioning_delay_s=60)
    assert run.actions[:3] == ("scale-out", "", "scale-out")  # 61 s -> 2 minutes


def test_scale_out_allowed_during_scale_in_cooldown_but_scale_in_is_not():
    # 7 tasks at low load scale in at minute 0; load returns at minute 1 (scale-out allowed
    # although the scale-in cooldown runs); a second drop cannot scale in before minute 5.
    demand = [120, 600, 120, 120, 120, 120, 120]
    run = c.simulate_autoscaling(
        demand,
        initial_tasks=7,
        provisioning_delay_s=60,
        scale_out_cooldown_s=60,
        scale_in_cooldown_s=300,
    )
    assert run.actions[0] == "scale-in"
    assert run.actions[1] == "scale-out"
    assert run.actions[2:5] == ("", "", "")
    assert run.actions[5] == "scale-in"


def test_provisioning_delay_zero_serves_from_the_next_minute():
    run = c.simulate_autoscaling([455, 455], provisioning_delay_s=0)
    assert run.running == (3, 5)


def test_monthly_cost_of_a_run():
    run = c.simulate_autoscaling([120.0] * 10)
    hourly = c.fargate_task_hourly_cost(0.25, 0.5)
    assert run.monthly_cost_usd(hourly) == pytest.approx(3 * 730 * hourly)


@pytest.mark.parametrize(
    "demand, kwargs, message",
    [
        ([], {}, "demand_pct must hold at least one minute of load, got none"),
        ([100, -5], {}, "demand_pct must not be negative, got -5"),
        ([100, float("nan")], {}, "demand_pct must hold finite numbers; found NaN or infinity"),
        ("100", {}, "demand_pct must be a sequence of numbers, got a string"),
        (
            [100],
            dict(min_tasks=5, max_tasks=4, initial_tasks=4),
            "min_tasks (5) must not be more than max_tasks (4)",
        ),
        (
            [100],
            dict(initial_tasks=11),
            "initial_tasks must be between min_tasks (3) and max_tasks (10), got 11",
        ),
        ([100], dict(min_tasks=0, initial_tasks=1), "min_tasks must be at least 1, got 0"),
        ([100], dict(target_cpu_pct=120), "target_cpu_pct must be at most 100, got 120"),
        ([100], dict(target_cpu_pct=0), "target_cpu_pct must be greater than 0, got 0"),
        ([100], dict(scale_in_cooldown_s=-1), "scale_in_cooldown_s must be 0 or more, got -1"),
        (
            [100],
            dict(provisioning_delay_s=float("nan")),
            "provisioning_delay_s must be a finite number, got nan",
        ),
    ],
)
def test_simulation_validation(demand, kwargs, message):
    with pytest.raises(ValueError) as error:
        c.simulate_autoscaling(demand, **kwargs)
    assert str(error.value) == message


@settings(max_examples=60, deadline=None)
@given(
    demand=st.lists(st.floats(0, 2000), min_size=1, max_size=80),
    low=st.integers(1, 5),
    span=st.integers(0, 10),
    target=st.floats(10, 100),
    out_s=st.integers(0, 600),
    in_s=st.integers(0, 900),
    delay_s=st.integers(0, 600),
)
def test_simulation_invariants(demand, low, span, target, out_s, in_s, delay_s):
    high = low + span
    run = c.simulate_autoscaling(
        demand,
        initial_tasks=low,
        min_tasks=low,
        max_tasks=high,
        target_cpu_pct=target,
        scale_out_cooldown_s=out_s,
        scale_in_cooldown_s=in_s,
        provisioning_delay_s=delay_s,
    )
    for load, running, pending, billed, desired, cpu, unserved in zip(
        run.demand_pct,
        run.running,
        run.pending,
        run.billed_tasks,
        run.desired,
        run.cpu_per_task_pct,
        run.unserved_pct,
        strict=True,
    ):
        assert low <= running <= high
        assert low <= desired <= high
        assert billed == running + pending
        assert pending <= high
        assert 0 <= cpu <= 100 + 1e-9
        assert unserved >= 0
        assert cpu * running + unserved == pytest.approx(load)


# --------------------------------------------------------------------------------------
# Load curves
# --------------------------------------------------------------------------------------


def test_load_curve_shapes():
    assert c.load_curve("steady", minutes=5) == (120.0,) * 5
    peak = c.load_curve("daily peak", minutes=240)
    assert peak[0] == pytest.approx(120)
    assert max(peak) == pytest.approx(455)
    assert peak.index(max(peak)) == 120
    spike = c.load_curve("spike", minutes=60, base_pct=100, peak_pct=500)
    assert spike[19] == 100 and spike[20:30] == (500.0,) * 10 and spike[30] == 100
    ramp = c.load_curve("ramp", minutes=11, base_pct=0, peak_pct=100)
    assert ramp == pytest.approx([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    assert c.load_curve("ramp", minutes=1) == (120.0,)


def test_load_curve_is_deterministic_given_a_seed():
    a = c.load_curve("daily peak", noise_pct=10, seed=7)
    assert a == c.load_curve("daily peak", noise_pct=10, seed=7)
    assert a != c.load_curve("daily peak", noise_pct=10, seed=8)
    assert min(c.load_curve("steady", base_pct=1, noise_pct=50, seed=1)) >= 0  # clipped at 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(shape="weekly"),
            "shape must be one of 'steady', 'daily peak', 'spike', 'ramp', got 'weekly'",
        ),
        (dict(shape="steady", minutes=0), "minutes must be at least 1, got 0"),
        (dict(shape="steady", noise_pct=-1), "noise_pct must be 0 or more, got -1"),
        (dict(shape="steady", seed=-1), "seed must be at least 0, got -1"),
    ],
)
def test_load_curve_validation(kwargs, message):
    with pytest.raises(ValueError) as error:
        c.load_curve(**kwargs)
    assert str(error.value) == message


# --------------------------------------------------------------------------------------
# Fargate and EKS
# --------------------------------------------------------------------------------------


def test_fargate_hourly_cost():
    assert c.fargate_task_hourly_cost(0.25, 0.5) == pytest.approx(0.25 * 0.04048 + 0.5 * 0.004445)
    assert c.fargate_task_hourly_cost(1, 2) == pytest.approx(0.04937)
    assert c.fargate_task_hourly_cost(16, 120) == pytest.approx(16 * 0.04048 + 120 * 0.004445)
    assert c.fargate_task_hourly_cost(1, 2, vcpu_hour_usd=1, gib_hour_usd=0) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (
            (1, 1),
            "Fargate has no task with 1 vCPU and 1 GiB; with 1 vCPU the memory must be one of 2, 3, 4, 5, 6, 7, 8 GiB",
        ),
        (
            (8, 18),
            "Fargate has no task with 8 vCPU and 18 GiB; with 8 vCPU the memory must be one of 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60 GiB",
        ),
        ((3, 8), "vcpu must be one of 0.25, 0.5, 1, 2, 4, 8, 16 (the Fargate task sizes), got 3"),
        (
            (2, 0.625),
            "Fargate has no task with 2 vCPU and 0.625 GiB; with 2 vCPU the memory must be one of 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 GiB",
        ),
        ((0, 1), "vcpu must be greater than 0, got 0"),
    ],
)
def test_fargate_rejects_invalid_sizes(args, message):
    with pytest.raises(ValueError) as error:
        c.fargate_task_hourly_cost(*args)
    assert str(error.value) == message


def test_fargate_size_table():
    table = c.fargate_size_table()
    assert len(table) == 3 + 4 + 7 + 13 + 23 + 12 + 12
    row = table[(table["vcpu"] == 0.25) & (table["memory_gib"] == 0.5)].iloc[0]
    assert row["monthly_usd"] == pytest.approx(0.0123425 * 730)


def test_chapter_fargate_claims_match_no_task_size():
    # $28.80/month for 3 tasks and $96/month for 10 tasks both mean $9.60 per task-month;
    # the nearest valid size, 0.25 vCPU / 0.5 GiB, costs $9.01 (3 tasks: $27.03).
    for target, task_hours in ((28.80, 3 * 730), (96.0, 10 * 730)):
        near = c.fargate_sizes_for_cost(target, task_hours)
        assert (near.loc[0, "vcpu"], near.loc[0, "memory_gib"]) == (0.25, 0.5)
        assert near["difference_pct"].abs().min() > 6
    assert c.fargate_sizes_for_cost(28.80, 3 * 730).loc[0, "cost_usd"] == pytest.approx(27.030075)
    # "+$0.40 for 10 tasks for 1 hour": 7 extra task-hours at 0.25/0.5 cost $0.09.
    assert c.task_hours_cost(7, 1, c.fargate_task_hourly_cost(0.25, 0.5)) == pytest.approx(
        0.0863975
    )


def test_fargate_sizes_for_cost_validation():
    with pytest.raises(ValueError, match="task_hours must be greater than 0, got 0"):
        c.fargate_sizes_for_cost(10, 0)
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        c.fargate_sizes_for_cost(10, 1, n=0)


def test_monthly_cost_of_task_series():
    hourly = c.fargate_task_hourly_cost(0.25, 0.5)
    assert c.monthly_cost_of_task_series([3, 3, 3, 3], hourly) == pytest.approx(27.030075)
    assert c.monthly_cost_of_task_series([3, 10], 1.0) == pytest.approx(6.5 * 730)
    assert c.monthly_cost_of_task_series([3], 1.0, hours_per_month=720) == 2160


@pytest.mark.parametrize(
    "args, message",
    [
        (([], 1.0), "task_counts must hold at least one value, got none"),
        (([1, -1], 1.0), "task_counts must hold finite counts of 0 or more"),
        (("33", 1.0), "task_counts must be a sequence of task counts, got a string"),
        (([1], -1.0), "task_hourly_usd must be 0 or more, got -1.0"),
    ],
)
def test_monthly_cost_validation(args, message):
    with pytest.raises(ValueError) as error:
        c.monthly_cost_of_task_series(*args)
    assert str(error.value) == message


def test_eks_control_plane():
    assert c.eks_control_plane_monthly_usd() == pytest.approx(73.0)  # 0.10 x 730
    assert c.eks_control_plane_monthly_usd(clusters=3) == pytest.approx(219.0)
    with pytest.raises(ValueError, match="clusters must be at least 0, got -1"):
        c.eks_control_plane_monthly_usd(clusters=-1)


def test_task_hours_cost_validation():
    with pytest.raises(ValueError, match="hours must be 0 or more, got -1"):
        c.task_hours_cost(1, -1, 0.1)


# --------------------------------------------------------------------------------------
# Build graph and build farm
# --------------------------------------------------------------------------------------

DIAMOND = {"lib": [], "api": ["lib"], "web": ["lib"], "e2e": ["api", "web"]}
DIAMOND_TIMES = {"lib": 10, "api": 30, "web": 20, "e2e": 5}


def test_build_layers_diamond():
    assert c.build_layers(DIAMOND) == (("lib",), ("api", "web"), ("e2e",))


def test_build_layers_of_the_shipped_services():
    depends_on, times = c.services_graph(c.load_services())
    assert len(depends_on) == 13
    assert c.build_layers(depends_on) == (
        ("bibby-common", "bibby-proto"),
        ("admin-console", "api-gateway", "auth-service", "db-migrations", "notification-service",
         "recommendation-service", "search-service", "web-frontend"),
        ("catalog-service",),
        ("loan-service",),
        ("e2e-tests",),
    )  # fmt: skip
    assert sum(times.values()) == 1080


@pytest.mark.parametrize(
    "graph, message",
    [
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, "a -> b -> c -> a"),
        ({"a": ["a"]}, "a -> a"),
        ({"x": [], "a": ["x", "b"], "b": ["a"], "d": ["b"]}, "a -> b -> a"),
    ],
)
def test_cycle_names_the_services(graph, message):
    with pytest.raises(ValueError) as error:
        c.build_layers(graph)
    assert (
        str(error.value)
        == "the dependencies contain a cycle, so there is no build order: " + message
    )


@pytest.mark.parametrize(
    "graph, message",
    [
        ({"a": ["ghost"]}, "'a' depends on 'ghost', which is not in the graph"),
        ({}, "depends_on must name at least one service"),
        ([("a", [])], "depends_on must map each service to the services it depends on"),
        ({"": []}, "service names must be non-empty text, got ''"),
    ],
)
def test_graph_validation(graph, message):
    with pytest.raises(ValueError) as error:
        c.build_layers(graph)
    assert str(error.value) == message


def test_critical_path():
    assert c.critical_path(DIAMOND, DIAMOND_TIMES) == (45.0, ("lib", "api", "e2e"))
    depends_on, times = c.services_graph(c.load_services())
    assert c.critical_path(depends_on, times) == (
        400.0,
        ("bibby-common", "db-migrations", "catalog-service", "loan-service", "e2e-tests"),
    )


def _check_schedule(depends_on, times, schedule):
    """Independent check: dependencies respected, no builder double-booked, greedy."""
    frame = schedule.to_frame()
    assert sorted(frame["service"]) == sorted(depends_on)
    start = dict(zip(frame["service"], frame["start_s"], strict=True))
    end = dict(zip(frame["service"], frame["end_s"], strict=True))
    for service, deps in depends_on.items():
        assert end[service] - start[service] == pytest.approx(times[service])
        for dep in deps:
            assert start[service] >= end[dep] - 1e-9
    for _, jobs in frame.groupby("builder"):
        jobs = jobs.sort_values("start_s")
        assert (jobs["start_s"].to_numpy()[1:] >= jobs["end_s"].to_numpy()[:-1] - 1e-9).all()
    assert frame["builder"].between(1, schedule.builders).all()
    assert schedule.wall_time_s == pytest.approx(frame["end_s"].max())


def test_schedule_of_the_shipped_services():
    depends_on, times = c.services_graph(c.load_services())
    walls = [c.schedule_builds(depends_on, times, n).wall_time_s for n in range(1, 7)]
    assert walls == [1080, 645, 485, 415, 400, 400]
    two = c.schedule_builds(depends_on, times, 2)
    assert two.lower_bound_s == 540  # max(400, 1080 / 2)
    assert two.total_work_s == 1080 and two.critical_path_s == 400
    assert two.efficiency == pytest.approx(540 / 645)
    _check_schedule(depends_on, times, two)
    first = two.to_frame().iloc[:3]
    assert first[["service", "builder", "start_s"]].values.tolist() == [
        ["bibby-common", 1, 0.0],
        ["bibby-proto", 2, 0.0],
        ["web-frontend", 2, 25.0],  # longest remaining path among the ready services
    ]


def test_ties_are_broken_by_name():
    graph = {"b": [], "a": [], "c": []}
    schedule = c.schedule_builds(graph, {"a": 5, "b": 5, "c": 5}, 1)
    assert [job[0] for job in schedule.jobs] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "times, builders, message",
    [
        ({"lib": 10, "api": 30, "web": 20}, 2, "no build time for 'e2e'"),
        (
            {**DIAMOND_TIMES, "extra": 1},
            2,
            "build time given for 'extra', which is not in the graph",
        ),
        ({**DIAMOND_TIMES, "web": -1}, 2, "build_time_s['web'] must be 0 or more, got -1"),
        (DIAMOND_TIMES, 0, "builders must be at least 1, got 0"),
    ],
)
def test_schedule_validation(times, builders, message):
    with pytest.raises(ValueError) as error:
        c.schedule_builds(DIAMOND, times, builders)
    assert str(error.value) == message


def test_load_services_validation(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text("service,depends_on,build_time_s,description\na,,x,\n")
    with pytest.raises(ValueError, match="build_time_s of 'a' must be a number of seconds"):
        c.load_services(str(path))
    path.write_text("service,depends_on,build_time_s,description\na,,1,\na,,2,\n")
    with pytest.raises(ValueError, match="service 'a' appears twice"):
        c.load_services(str(path))
    path.write_text("service,build_time_s\na,1\n")
    with pytest.raises(ValueError, match="missing column"):
        c.load_services(str(path))


@st.composite
def dags(draw):
    n = draw(st.integers(1, 12))
    names = [f"s{i:02d}" for i in range(n)]
    depends_on = {
        name: sorted(draw(st.sets(st.sampled_from(names[:i]), max_size=i)) if i else [])
        for i, name in enumerate(names)
    }
    times = {name: draw(st.integers(0, 100)) for name in names}
    return depends_on, times


@settings(max_examples=80, deadline=None)
@given(graph=dags())
def test_layers_respect_dependencies(graph):
    depends_on, _ = graph
    layers = c.build_layers(depends_on)
    level = {s: i for i, layer in enumerate(layers) for s in layer}
    assert sorted(level) == sorted(depends_on)
    for service, deps in depends_on.items():
        for dep in deps:
            assert level[dep] < level[service]
        if deps:  # each service is as early as it can be
            assert level[service] == 1 + max(level[d] for d in deps)


@settings(max_examples=80, deadline=None)
@given(graph=dags(), builders=st.integers(1, 6))
def test_wall_time_is_bounded(graph, builders):
    depends_on, times = graph
    schedule = c.schedule_builds(depends_on, times, builders)
    _check_schedule(depends_on, times, schedule)
    assert schedule.wall_time_s >= schedule.lower_bound_s - 1e-9
    # Graham's bound for list scheduling
    graham = schedule.total_work_s / builders + schedule.critical_path_s * (1 - 1 / builders)
    assert schedule.wall_time_s <= graham + 1e-9
    assert schedule.lower_bound_s == max(schedule.critical_path_s, schedule.total_work_s / builders)


@settings(max_examples=60, deadline=None)
@given(graph=dags())
def test_one_builder_takes_all_the_work_and_enough_builders_take_the_critical_path(graph):
    depends_on, times = graph
    assert c.schedule_builds(depends_on, times, 1).wall_time_s == sum(times.values())
    many = c.schedule_builds(depends_on, times, len(depends_on))
    assert many.wall_time_s == pytest.approx(many.critical_path_s)


@settings(max_examples=60, deadline=None)
@given(graph=dags(), builders=st.integers(1, 5), more=st.integers(1, 5))
def test_more_builders_never_slower_than_the_lower_bound(graph, builders, more):
    depends_on, times = graph
    few = c.schedule_builds(depends_on, times, builders)
    many = c.schedule_builds(depends_on, times, builders + more)
    # The bound only falls as builders are added, and no schedule beats it. (List
    # scheduling itself is not monotone: on some graphs one more builder is slower.)
    assert many.lower_bound_s <= few.lower_bound_s
    assert many.wall_time_s >= many.lower_bound_s - 1e-9
    assert many.lower_bound_s <= few.wall_time_s + 1e-9


# --------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------


def test_chapter_image_and_build_figures():
    assert c.image_size_reduction_pct(680, 192) == pytest.approx(71.7647, abs=1e-4)  # chapter: 72 %
    assert round(c.image_size_reduction_pct(680, 192), 1) == 71.8
    assert c.build_time_reduction_pct(95, 12) == pytest.approx(87.3684, abs=1e-4)  # chapter: 87 %
    assert c.speedup_factor(95, 12) == pytest.approx(7.9167, abs=1e-4)
    assert c.percent_reduction(100, 120) == -20


def test_pull_time_uses_megabits():
    assert c.pull_time_s(192, 100) == pytest.approx(15.36)  # 192 MB x 8 / 100 Mbit/s
    assert c.pull_time_s(680, 100) == pytest.approx(54.4)
    assert c.pull_time_s(192, 800) == pytest.approx(1.92)  # 800 Mbit/s = 100 MB/s


def test_stepwise_reductions():
    frame = c.stepwise_reductions(
        ["single stage", "multi-stage", "alpine", "dockerignore"], [680, 350, 220, 192]
    )
    assert math.isnan(frame.loc[0, "step_reduction_pct"])
    assert frame["step_reduction_pct"].iloc[1:].tolist() == pytest.approx(
        [48.5294, 37.1429, 12.7273], abs=1e-4
    )
    assert frame["cumulative_reduction_pct"].iloc[-1] == pytest.approx(71.7647, abs=1e-4)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: c.percent_reduction(0, 10), "before must be greater than 0, got 0"),
        (lambda: c.image_size_reduction_pct(680, -1), "after_mb must be 0 or more, got -1"),
        (lambda: c.speedup_factor(95, 0), "after_s must be greater than 0, got 0"),
        (lambda: c.pull_time_s(192, 0), "bandwidth_mbit_s must be greater than 0, got 0"),
        (
            lambda: c.stepwise_reductions(["a"], [1, 2]),
            "labels and values must have the same length, got 1 and 2",
        ),
        (
            lambda: c.stepwise_reductions(["a"], [1]),
            "give at least two measurements (before and after)",
        ),
    ],
)
def test_image_validation(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value) == message


# --------------------------------------------------------------------------------------
# System-design time budget and formatting
# --------------------------------------------------------------------------------------


def test_design_time_budget():
    assert [p.minutes for p in c.design_time_budget(45)] == [6, 12, 21, 6]
    assert [p.minutes for p in c.design_time_budget(30)] == [4, 8, 14, 4]
    phases = c.design_time_budget(45)
    assert [(p.start_minute, p.end_minute) for p in phases] == [(0, 6), (6, 18), (18, 39), (39, 45)]
    assert c.design_phase_range_minutes() == (35, 40)
    with pytest.raises(ValueError, match="total_minutes must be at least 4, got 3"):
        c.design_time_budget(3)


@settings(max_examples=60, deadline=None)
@given(total=st.integers(4, 600))
def test_design_budget_adds_up(total):
    phases = c.design_time_budget(total)
    assert sum(p.minutes for p in phases) == total
    assert phases[-1].end_minute == total
    assert phases[2].minutes == max(p.minutes for p in phases)  # the deep dive is the longest


def test_formatting():
    assert c.format_bytes(69.12e9) == "69.12 GB"
    assert c.format_bytes(3.2e6) == "3.2 MB"
    assert c.format_bytes(512) == "512 B"
    assert c.format_bytes(4.608e9) == "4.61 GB"
    assert c.format_bytes(4.608e9, digits=3) == "4.608 GB"
    assert c.format_usd(1234.5) == "$1,234.50"
    assert c.format_usd(-73) == "-$73.00"
    with pytest.raises(ValueError, match="n_bytes must be 0 or more, got -1"):
        c.format_bytes(-1)
