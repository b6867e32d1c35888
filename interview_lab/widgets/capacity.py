"""Widgets for the back-of-envelope estimators of :mod:`interview_lab.capacity`.

* :class:`MonitoringCapacityWidget` - Prometheus ingest and Thanos object storage per
  resolution, with the monthly S3 bill (notebook 04).
* :class:`AutoscalingWidget` - ECS target tracking simulated minute by minute over a day,
  the month's Fargate bill and ECS against EKS (notebook 02b).
* :class:`CicdScaleWidget` - the services of ``data/services.csv`` built on N parallel
  builders: build layers, wall time against its lower bound (notebook 04).
* :class:`ImageSavingsWidget` - image size and build time before and after, pull time at a
  bandwidth (notebook 02a).

Every number shown comes from :mod:`interview_lab.capacity`; the widgets only read their
controls, call the library and format. Each widget's :meth:`calculate` returns the library's
results for the current controls (the benchmark times it apart from the plot).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w
import pandas as pd

from interview_lab import capacity
from interview_lab.capacity import format_bytes, format_usd
from interview_lab.plots import capacity as plots
from interview_lab.plots import to_png
from interview_lab.widgets.base import LabWidget, table_html

WIDE = {"description_width": "initial"}
FIELD = w.Layout(width="340px")


def _int(value: int, description: str) -> w.IntText:
    return w.IntText(value=value, description=description, style=WIDE, layout=FIELD)


def _float(value: float, description: str) -> w.FloatText:
    return w.FloatText(value=value, description=description, style=WIDE, layout=FIELD)


def _grid(*columns: list[w.Widget]) -> w.HBox:
    return w.HBox([w.VBox(column) for column in columns])


def _relayout(widget: LabWidget, layout: w.Widget) -> None:
    """Show the controls as ``layout`` instead of one long column (same widgets, same order
    of title, message, result and figure)."""
    title = widget.box.children[0]
    rest = [widget.message, widget.result] + ([widget.figure] if widget.figure is not None else [])
    widget.box.children = [title, layout, *rest]


# --------------------------------------------------------------------------------------
# Monitoring capacity
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoringResult:
    local: capacity.MonitoringEstimate
    thanos: capacity.ThanosEstimate
    tier_usd: dict[str, float]


class MonitoringCapacityWidget(LabWidget):
    """Controls: ``servers``, ``metrics_per_server``, ``scrape_interval_s``,
    ``bytes_per_sample``, ``local_retention_days`` (Prometheus' own disk),
    ``raw_retention_days``, ``five_minute_retention_days``, ``one_hour_retention_days``
    (Thanos' three resolutions in object storage; 0 = not kept) and ``usd_per_gib_month``.

    Defaults: the chapter's example (1,000 servers x 100 metrics every 15 s; Prometheus keeps
    15 days; in S3, 15 days raw, 90 days at 5 minutes, 365 days at 1 hour) at 2 bytes per
    sample, the top of the Prometheus documentation's 1-2 bytes, and the S3 Standard price.
    """

    title = "Monitoring system capacity (Prometheus + Thanos on S3)"

    def __init__(
        self,
        servers: int = 1000,
        metrics_per_server: int = 100,
        scrape_interval_s: float = 15.0,
        bytes_per_sample: float = capacity.PROMETHEUS_DEFAULT_BYTES_PER_SAMPLE,
    ) -> None:
        self.servers = _int(servers, "servers")
        self.metrics_per_server = _int(metrics_per_server, "metrics per server")
        self.scrape_interval_s = _float(scrape_interval_s, "scrape interval (s)")
        self.bytes_per_sample = _float(bytes_per_sample, "bytes per sample (B)")
        self.local_retention_days = _float(15.0, "Prometheus local retention (days)")
        self.raw_retention_days = _float(15.0, "S3 raw retention (days)")
        self.five_minute_retention_days = _float(90.0, "S3 5-minute retention (days)")
        self.one_hour_retention_days = _float(365.0, "S3 1-hour retention (days)")
        self.usd_per_gib_month = _float(
            capacity.S3_STANDARD_USD_PER_GIB_MONTH, "S3 price (USD per GiB-month)"
        )
        left = [self.servers, self.metrics_per_server, self.scrape_interval_s,
                self.bytes_per_sample, self.local_retention_days]
        right = [self.raw_retention_days, self.five_minute_retention_days,
                 self.one_hour_retention_days, self.usd_per_gib_month]
        super().__init__(left + right)
        _relayout(self, _grid(left, right))

    def calculate(self) -> MonitoringResult:
        thanos = capacity.thanos_storage_estimate(
            self.servers.value,
            self.metrics_per_server.value,
            self.scrape_interval_s.value,
            self.raw_retention_days.value,
            self.five_minute_retention_days.value,
            self.one_hour_retention_days.value,
            bytes_per_sample=self.bytes_per_sample.value,
            usd_per_gib_month=self.usd_per_gib_month.value,
        )
        local = capacity.monitoring_estimate(
            self.servers.value,
            self.metrics_per_server.value,
            self.scrape_interval_s.value,
            bytes_per_sample=self.bytes_per_sample.value,
            retention_days=self.local_retention_days.value,
        )
        tier_usd = {
            tier: capacity.object_storage_usd_per_month(size, self.usd_per_gib_month.value)
            for tier, size in thanos.bytes_by_resolution.items()
        }
        return MonitoringResult(local=local, thanos=thanos, tier_usd=tier_usd)

    def compute(self):
        r = self.calculate()
        local, thanos = r.local, r.thanos
        ingest = table_html(
            [
                ("series (servers x metrics)", f"{local.series:,}"),
                ("samples per second", f"{local.samples_per_second:,.0f}"),
                ("samples per minute", f"{local.samples_per_minute:,.0f}"),
                ("bytes written per minute", format_bytes(local.bytes_per_minute)),
                ("bytes written per day", format_bytes(local.bytes_per_day)),
                (f"Prometheus local disk ({local.retention_days:g} days raw)",
                 format_bytes(local.retention_bytes)),
            ],
            header=("ingest", "value"),
        )
        days = {
            "raw": thanos.raw_retention_days,
            "5m": thanos.five_minute_retention_days,
            "1h": thanos.one_hour_retention_days,
        }
        tiers = table_html(
            [
                (plots.TIER_LABELS[tier], f"{days[tier]:g}", format_bytes(size),
                 format_usd(r.tier_usd[tier]))
                for tier, size in thanos.bytes_by_resolution.items()
            ]
            + [("total", "", format_bytes(thanos.total_bytes), format_usd(thanos.usd_per_month))],
            header=("object storage", "retention (days)", "size", "USD per month"),
        )
        summary = (
            f"<p>Object storage: <b>{format_bytes(thanos.total_bytes)}</b> "
            f"({thanos.total_gib:,.2f} GiB) costs <b>{format_usd(thanos.usd_per_month)} per "
            f"month</b>, {format_usd(thanos.usd_per_month_per_server, 4)} per server. A "
            f"downsampled block is about the size of the raw block for the same time (Thanos "
            f"docs), so downsampling saves no space: raw samples alone for the longest retention "
            f"would need {format_bytes(thanos.raw_only_bytes)}, and all three resolutions kept "
            f"that long {format_bytes(thanos.all_resolutions_bytes)}. Shorter raw and 5-minute "
            f"retentions save {thanos.saving_vs_all_resolutions:.1%} of the latter.</p>"
        )
        return ingest + tiers + summary, plots.storage_by_tier(thanos)


# --------------------------------------------------------------------------------------
# Autoscaling simulator
# --------------------------------------------------------------------------------------


def _fargate_sizes() -> list[tuple[str, tuple[float, float]]]:
    table = capacity.fargate_size_table()
    return [
        (f"{v:g} vCPU, {m:g} GiB ({format_usd(h, 5)}/h)", (float(v), float(m)))
        for v, m, h in zip(table["vcpu"], table["memory_gib"], table["hourly_usd"], strict=True)
    ]


@dataclass(frozen=True)
class AutoscalingResult:
    run: capacity.AutoscalingRun
    task_hourly_usd: float
    month_usd: float
    always_min_usd: float
    always_max_usd: float
    eks_control_plane_usd: float


class AutoscalingWidget(LabWidget):
    """Controls: ``shape`` (load curve), ``base_pct`` and ``peak_pct`` (demand in
    task-percent: 100 = one task fully busy), ``noise_pct``, ``target_cpu_pct``,
    ``min_tasks``, ``max_tasks``, ``scale_out_cooldown_s``, ``scale_in_cooldown_s``,
    ``provisioning_delay_s``, ``task_size`` (a Fargate size) and ``minutes`` (length of the
    simulation, one step a minute).

    Defaults: the chapter's Bibby service (3-10 tasks, 70 % CPU, 60 s / 300 s cooldowns,
    about 3 minutes to start a task; ~120 task-percent normally, ~455 at the peak) over one
    day. The month's bill is the day's mean billed tasks x 730 h x the task's hourly price.
    """

    title = "ECS autoscaling simulator (target tracking on CPU, Fargate prices)"

    def __init__(self, shape: str = "daily peak", minutes: int = 1440, seed: int = 0) -> None:
        self.seed = seed
        self.shape = w.Dropdown(
            options=list(capacity.LOAD_SHAPES), value=shape, description="load shape",
            style=WIDE, layout=FIELD,
        )
        self.base_pct = _float(120.0, "normal load (task-%)")
        self.peak_pct = _float(455.0, "peak load (task-%)")
        self.noise_pct = _float(0.0, "noise (task-%)")
        self.minutes = _int(minutes, "simulated minutes")
        self.target_cpu_pct = _float(70.0, "target CPU (%)")
        self.min_tasks = _int(3, "min tasks")
        self.max_tasks = _int(10, "max tasks")
        self.scale_out_cooldown_s = _float(60.0, "scale-out cooldown (s)")
        self.scale_in_cooldown_s = _float(300.0, "scale-in cooldown (s)")
        self.provisioning_delay_s = _float(180.0, "provisioning delay (s)")
        self.task_size = w.Dropdown(
            options=_fargate_sizes(), value=(0.25, 0.5), description="Fargate task size",
            style=WIDE, layout=w.Layout(width="340px"),
        )
        self._plot: plots.AutoscalingPlot | None = None
        load = [self.shape, self.base_pct, self.peak_pct, self.noise_pct, self.minutes,
                self.task_size]
        policy = [self.target_cpu_pct, self.min_tasks, self.max_tasks, self.scale_out_cooldown_s,
                  self.scale_in_cooldown_s, self.provisioning_delay_s]
        super().__init__(load + policy)
        _relayout(self, _grid(load, policy))

    def calculate(self) -> AutoscalingResult:
        demand = capacity.load_curve(
            self.shape.value,
            minutes=self.minutes.value,
            base_pct=self.base_pct.value,
            peak_pct=self.peak_pct.value,
            noise_pct=self.noise_pct.value,
            seed=self.seed,
        )
        run = capacity.simulate_autoscaling(
            demand,
            initial_tasks=self.min_tasks.value,
            min_tasks=self.min_tasks.value,
            max_tasks=self.max_tasks.value,
            target_cpu_pct=self.target_cpu_pct.value,
            scale_out_cooldown_s=self.scale_out_cooldown_s.value,
            scale_in_cooldown_s=self.scale_in_cooldown_s.value,
            provisioning_delay_s=self.provisioning_delay_s.value,
        )
        vcpu, memory_gib = self.task_size.value
        hourly = capacity.fargate_task_hourly_cost(vcpu, memory_gib)
        return AutoscalingResult(
            run=run,
            task_hourly_usd=hourly,
            month_usd=run.monthly_cost_usd(hourly),
            always_min_usd=capacity.monthly_cost_of_task_series([run.min_tasks], hourly),
            always_max_usd=capacity.monthly_cost_of_task_series([run.max_tasks], hourly),
            eks_control_plane_usd=capacity.eks_control_plane_monthly_usd(),
        )

    def compute(self):
        r = self.calculate()
        run = r.run
        behaviour = table_html(
            [
                ("peak running tasks", f"{run.peak_running}"),
                ("mean billed tasks", f"{run.mean_billed_tasks:.2f}"),
                ("scale-outs / scale-ins", f"{run.scale_outs} / {run.scale_ins}"),
                ("minutes with demand not served", f"{run.minutes_with_unserved_demand}"),
                ("unserved demand (task-minutes)", f"{run.unserved_task_minutes:.1f}"),
            ],
            header=(f"over {run.minutes} minutes", "value"),
        )
        costs = table_html(
            [
                ("autoscaled (this run's mean, over a month)", format_usd(r.month_usd)),
                (f"always {run.min_tasks} tasks", format_usd(r.always_min_usd)),
                (f"always {run.max_tasks} tasks", format_usd(r.always_max_usd)),
            ],
            header=(f"Fargate bill per month at {format_usd(r.task_hourly_usd, 5)} per task-hour",
                    "USD"),
        )
        platforms = table_html(
            [
                ("ECS on Fargate", format_usd(0.0), format_usd(r.month_usd)),
                ("EKS on Fargate", format_usd(r.eks_control_plane_usd), format_usd(r.month_usd)),
            ],
            header=("platform", "control plane per month", "tasks per month"),
        )
        note = (
            f"<p>Prices: AWS Fargate and EKS, {capacity.PRICE_REGION}, checked "
            f"{capacity.PRICES_CHECKED}; a month is {capacity.HOURS_PER_MONTH:g} hours. "
            "ECS has no control-plane charge; EKS charges per cluster on top of the same "
            "tasks.</p>"
        )
        if self._plot is None:  # made once, then updated: much cheaper than a new figure
            self._plot = plots.AutoscalingPlot()
        return behaviour + costs + platforms + note, self._plot.update(run)


# --------------------------------------------------------------------------------------
# CI/CD at scale
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CicdResult:
    layers: tuple[tuple[str, ...], ...]
    chosen: capacity.BuildSchedule
    by_builders: tuple[capacity.BuildSchedule, ...]


class CicdScaleWidget(LabWidget):
    """Control: ``builders`` (parallel build agents).

    The services and their dependencies come from ``data/services.csv`` (or a table passed
    in with the same columns).

    The build graph is drawn once into ``graph`` (an image above the plot); the plot
    (``figure``) shows wall time against the number of builders, the chosen one circled.
    """

    title = "CI/CD at scale: build layers and parallel builders"

    def __init__(self, builders: int = 3, services: pd.DataFrame | None = None) -> None:
        table = capacity.load_services() if services is None else services
        self.depends_on, self.build_time_s = capacity.services_graph(table)
        self.builders = _int(builders, "parallel builders")
        # The graph does not depend on the control: drawn once, not on every change.
        self.graph = w.Image(format="png", layout=w.Layout(max_width="820px"))
        super().__init__([self.builders])
        self.box.children = [*self.box.children[:-1], self.graph, self.box.children[-1]]
        if self.last_error is None:
            critical = capacity.critical_path(self.depends_on, self.build_time_s)[1]
            self.graph.value = to_png(
                plots.dependency_graph(self.depends_on, self.build_time_s, critical)
            )

    def calculate(self) -> CicdResult:
        chosen = capacity.schedule_builds(self.depends_on, self.build_time_s, self.builders.value)
        by_builders = tuple(
            capacity.schedule_builds(self.depends_on, self.build_time_s, n)
            for n in range(1, len(self.depends_on) + 1)
        )
        return CicdResult(capacity.build_layers(self.depends_on), chosen, by_builders)

    def compute(self):
        r = self.calculate()
        s = r.chosen
        layers = table_html(
            [(f"layer {i}", ", ".join(layer)) for i, layer in enumerate(r.layers)],
            header=("build layer", "services (built in parallel)"),
        )
        summary = table_html(
            [
                ("services", f"{len(self.depends_on)}"),
                ("total build work", f"{s.total_work_s:g} s"),
                ("critical path", f"{s.critical_path_s:g} s: {' -> '.join(s.critical_path)}"),
                (f"wall time on {s.builders} builders", f"{s.wall_time_s:g} s"),
                ("lower bound max(critical path, work / builders)", f"{s.lower_bound_s:g} s"),
                ("efficiency (lower bound / wall time)", f"{s.efficiency:.0%}"),
            ],
            header=("schedule", "value"),
        )
        return layers + summary, plots.wall_time_vs_builders(r.by_builders, s.builders)


# --------------------------------------------------------------------------------------
# Container image savings
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageSavingsResult:
    size_reduction_pct: float
    build_reduction_pct: float
    build_speedup: float
    pull_before_s: float
    pull_after_s: float
    pull_reduction_pct: float


class ImageSavingsWidget(LabWidget):
    """Controls: ``before_mb``, ``after_mb`` (image sizes, decimal MB), ``build_before_s``,
    ``build_after_s`` and ``bandwidth_mbit_s`` (link speed for the pull time).

    Defaults: the chapter's Bibby image (680 MB -> 192 MB, build 95 s -> 12 s) pulled at
    100 Mbit/s.
    """

    title = "Container image: size, build time and pull time"

    def __init__(self) -> None:
        self.before_mb = _float(680.0, "image before (MB)")
        self.after_mb = _float(192.0, "image after (MB)")
        self.build_before_s = _float(95.0, "build before (s)")
        self.build_after_s = _float(12.0, "build after (s)")
        self.bandwidth_mbit_s = _float(100.0, "bandwidth (Mbit/s)")
        sizes = [self.before_mb, self.after_mb, self.bandwidth_mbit_s]
        builds = [self.build_before_s, self.build_after_s]
        super().__init__(sizes + builds)
        _relayout(self, _grid(sizes, builds))

    def calculate(self) -> ImageSavingsResult:
        size = capacity.image_size_reduction_pct(self.before_mb.value, self.after_mb.value)
        build = capacity.build_time_reduction_pct(
            self.build_before_s.value, self.build_after_s.value
        )
        speedup = capacity.speedup_factor(self.build_before_s.value, self.build_after_s.value)
        pull_before = capacity.pull_time_s(self.before_mb.value, self.bandwidth_mbit_s.value)
        pull_after = capacity.pull_time_s(self.after_mb.value, self.bandwidth_mbit_s.value)
        return ImageSavingsResult(
            size_reduction_pct=size,
            build_reduction_pct=build,
            build_speedup=speedup,
            pull_before_s=pull_before,
            pull_after_s=pull_after,
            pull_reduction_pct=capacity.percent_reduction(pull_before, pull_after),
        )

    def compute(self):
        r = self.calculate()
        rows = [
            ("image size", f"{self.before_mb.value:g} MB -> {self.after_mb.value:g} MB",
             f"{r.size_reduction_pct:.1f} % smaller"),
            ("build time", f"{self.build_before_s.value:g} s -> {self.build_after_s.value:g} s",
             f"{r.build_reduction_pct:.1f} % shorter ({r.build_speedup:.1f}x faster)"),
            (f"pull at {self.bandwidth_mbit_s.value:g} Mbit/s",
             f"{r.pull_before_s:.2f} s -> {r.pull_after_s:.2f} s",
             f"{r.pull_reduction_pct:.1f} % shorter"),
        ]
        fig = plots.image_savings(
            (self.build_before_s.value, self.build_after_s.value),
            (r.pull_before_s, r.pull_after_s),
            self.bandwidth_mbit_s.value,
        )
        return table_html(rows, header=("", "before -> after", "change")), fig
