"""The capacity widgets, driven from Python: set a control, read the result, compare with the
library's own answer for the same input; bad input shows a sentence, never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest
from widget_checks import PNG, assert_error, assert_ok

from interview_lab import capacity
from interview_lab.capacity import format_bytes, format_usd
from interview_lab.widgets.capacity import (
    AutoscalingWidget,
    CicdScaleWidget,
    ImageSavingsWidget,
    MonitoringCapacityWidget,
)

# --------------------------------------------------------------------------------------
# Monitoring capacity
# --------------------------------------------------------------------------------------


def test_monitoring_defaults_are_the_chapter_example():
    w = MonitoringCapacityWidget()
    assert_ok(w)
    thanos = capacity.thanos_storage_estimate(1000, 100, 15, 15, 90, 365)
    local = capacity.monitoring_estimate(1000, 100, 15, retention_days=15)
    assert "400,000" in w.result.value  # samples per minute, not the chapter's 4M
    assert format_bytes(local.bytes_per_minute) in w.result.value
    assert format_bytes(thanos.total_bytes) in w.result.value
    assert format_usd(thanos.usd_per_month) in w.result.value
    # Downsampling is not sold as a saving: what the shorter retentions save is shown.
    assert format_bytes(thanos.all_resolutions_bytes) in w.result.value
    assert f"{thanos.saving_vs_all_resolutions:.1%}" in w.result.value
    assert "five aggregates" not in w.result.value
    assert w.calculate().thanos == thanos


def test_monitoring_follows_each_control():
    w = MonitoringCapacityWidget()
    w.servers.value = 2500
    w.bytes_per_sample.value = 8.0
    w.five_minute_retention_days.value = 30.0
    assert_ok(w)
    thanos = capacity.thanos_storage_estimate(2500, 100, 15, 15, 30, 365, bytes_per_sample=8)
    local = capacity.monitoring_estimate(2500, 100, 15, bytes_per_sample=8, retention_days=15)
    assert format_bytes(thanos.five_minute_bytes) in w.result.value
    assert format_bytes(thanos.total_bytes) in w.result.value
    assert format_bytes(local.retention_bytes) in w.result.value
    assert format_usd(thanos.usd_per_month) in w.result.value
    w.usd_per_gib_month.value = 0.0125
    cheaper = capacity.thanos_storage_estimate(
        2500, 100, 15, 15, 30, 365, bytes_per_sample=8, usd_per_gib_month=0.0125
    )
    assert format_usd(cheaper.usd_per_month) in w.result.value
    assert format_usd(thanos.usd_per_month) not in w.result.value


def test_monitoring_separates_local_disk_from_object_storage():
    w = MonitoringCapacityWidget()
    w.raw_retention_days.value = 0.0  # no raw samples in S3: only the downsampled tiers
    w.local_retention_days.value = 30.0
    assert_ok(w)
    thanos = capacity.thanos_storage_estimate(1000, 100, 15, 0, 90, 365)
    local = capacity.monitoring_estimate(1000, 100, 15, retention_days=30)
    assert thanos.raw_bytes == 0
    assert f"Prometheus local disk (30 days raw)</td><td>{format_bytes(local.retention_bytes)}<" in (
        w.result.value
    )
    assert format_bytes(thanos.total_bytes) in w.result.value


@pytest.mark.parametrize(
    ("control", "value", "expected"),
    [
        ("servers", 0, "servers must be at least 1, got 0"),
        ("local_retention_days", 0.0, "retention_days must be greater than 0"),
        ("metrics_per_server", -3, "metrics_per_server must be at least 1"),
        ("scrape_interval_s", 0.0, "scrape_interval_s must be greater than 0"),
        ("bytes_per_sample", -1.0, "bytes_per_sample must be greater than 0"),
        ("one_hour_retention_days", -5.0, "one_hour_retention_days must be 0 or more"),
    ],
)
def test_monitoring_bad_input_shows_a_message(control, value, expected):
    w = MonitoringCapacityWidget()
    getattr(w, control).value = value
    assert_error(w, expected)
    w.servers.value = 10
    getattr(w, control).value = getattr(MonitoringCapacityWidget(), control).value
    assert_ok(w)


# --------------------------------------------------------------------------------------
# Autoscaling
# --------------------------------------------------------------------------------------


def _library_run(shape="daily peak", minutes=1440, **policy):
    demand = capacity.load_curve(shape, minutes=minutes)
    settings = {"initial_tasks": policy.get("min_tasks", 3), **policy}
    return capacity.simulate_autoscaling(demand, **settings)


def test_autoscaling_defaults_simulate_one_day_and_price_a_month():
    w = AutoscalingWidget()
    assert_ok(w)
    run = _library_run()
    hourly = capacity.fargate_task_hourly_cost(0.25, 0.5)
    r = w.calculate()
    assert r.run == run
    assert run.minutes == 1440
    assert r.month_usd == pytest.approx(run.monthly_cost_usd(hourly))
    assert format_usd(run.monthly_cost_usd(hourly)) in w.result.value
    assert format_usd(capacity.eks_control_plane_monthly_usd()) in w.result.value  # $73.00
    assert f"peak running tasks</td><td>{run.peak_running}<" in w.result.value


def test_autoscaling_spike_leaves_demand_unserved_and_follows_the_controls():
    w = AutoscalingWidget()
    w.shape.value = "spike"
    w.provisioning_delay_s.value = 300.0
    w.task_size.value = (1.0, 2.0)
    assert_ok(w)
    run = _library_run("spike", provisioning_delay_s=300)
    hourly = capacity.fargate_task_hourly_cost(1.0, 2.0)
    assert run.unserved_task_minutes > 0
    assert f"{run.unserved_task_minutes:.1f}" in w.result.value
    assert f"minutes with demand not served</td><td>{run.minutes_with_unserved_demand}<" in (
        w.result.value
    )
    assert format_usd(run.monthly_cost_usd(hourly)) in w.result.value
    assert format_usd(capacity.monthly_cost_of_task_series([10], hourly)) in w.result.value


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"min_tasks": 11}, "min_tasks (11) must not be more than max_tasks (10)"),
        ({"target_cpu_pct": 0.0}, "target_cpu_pct must be greater than 0"),
        ({"target_cpu_pct": 150.0}, "target_cpu_pct must be at most 100"),
        ({"minutes": 0}, "minutes must be at least 1, got 0"),
        ({"base_pct": -10.0}, "base_pct must be 0 or more"),
        ({"scale_in_cooldown_s": -1.0}, "scale_in_cooldown_s must be 0 or more"),
    ],
)
def test_autoscaling_bad_input_shows_a_message(settings, expected):
    w = AutoscalingWidget(minutes=60)
    for name, value in settings.items():
        getattr(w, name).value = value
    assert_error(w, expected)


# --------------------------------------------------------------------------------------
# CI/CD at scale
# --------------------------------------------------------------------------------------


def test_cicd_reports_the_library_schedule_for_each_builder_count():
    w = CicdScaleWidget()
    depends_on, build_time = capacity.services_graph(capacity.load_services())
    for builders in (1, 2, 4):
        w.builders.value = builders
        assert_ok(w)
        s = capacity.schedule_builds(depends_on, build_time, builders)
        assert f"wall time on {builders} builders</td><td>{s.wall_time_s:g} s<" in w.result.value
        assert f"{s.lower_bound_s:g} s" in w.result.value
        assert " -&gt; ".join(s.critical_path) in w.result.value
    layers = capacity.build_layers(depends_on)
    assert ", ".join(layers[0]) in w.result.value
    assert bytes(w.graph.value).startswith(PNG)  # the build graph, drawn once
    assert len(w.calculate().by_builders) == len(depends_on)


def test_cicd_bad_input_and_a_cycle_show_messages():
    w = CicdScaleWidget()
    w.builders.value = 0
    assert_error(w, "builders must be at least 1, got 0")
    cyclic = pd.DataFrame(
        {
            "service": ["a", "b", "c"],
            "depends_on": ["c", "a", "b"],
            "build_time_s": [10.0, 20.0, 30.0],
            "description": ["", "", ""],
        }
    )
    w = CicdScaleWidget(services=cyclic)
    assert_error(w, "the dependencies contain a cycle", "a -> c -> b -> a")


# --------------------------------------------------------------------------------------
# Image savings
# --------------------------------------------------------------------------------------


def test_image_savings_defaults_are_the_chapter_figures():
    w = ImageSavingsWidget()
    assert_ok(w)
    assert "71.8 % smaller" in w.result.value  # the chapter rounds to 72 %
    assert "87.4 % shorter (7.9x faster)" in w.result.value
    assert f"{capacity.pull_time_s(680, 100):.2f} s -&gt; {capacity.pull_time_s(192, 100):.2f} s" in (
        w.result.value
    )


def test_image_savings_follows_the_controls_and_rejects_bad_input():
    w = ImageSavingsWidget()
    w.after_mb.value = 350.0
    w.bandwidth_mbit_s.value = 1000.0
    assert_ok(w)
    assert f"{capacity.image_size_reduction_pct(680, 350):.1f} % smaller" in w.result.value
    assert f"{capacity.pull_time_s(350, 1000):.2f} s" in w.result.value
    w.bandwidth_mbit_s.value = 0.0
    assert_error(w, "bandwidth_mbit_s must be greater than 0")
    w.bandwidth_mbit_s.value = 100.0
    w.before_mb.value = -680.0
    assert_error(w, "before_mb must be greater than 0")
    w.before_mb.value = 680.0
    w.build_after_s.value = 0.0
    assert_error(w, "after_s must be greater than 0")
