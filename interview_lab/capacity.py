"""Back-of-envelope estimators for the DevOps interview: monitoring storage, autoscaling,
container costs, CI/CD build scheduling and container images.

Every function is pure and typed; results are frozen dataclasses (or tuples and pandas
frames built from them). Bad input raises ``ValueError`` with a sentence a learner can act
on. Widgets and plots call these functions and do no arithmetic of their own.

Units
-----
Data sizes are decimal SI (1 MB = 10**6 bytes, 1 GB = 10**9 bytes) unless a name says GiB
(2**30 bytes). AWS bills S3 storage and Fargate memory per binary gigabyte, so the price
functions convert bytes to GiB explicitly. Times are seconds unless a name says otherwise.
Money is US dollars. A month is 730 hours (8,760 hours a year / 12), the figure AWS uses
in its pricing examples.

Sources of the formulas and figures
-----------------------------------
* Prometheus storage documentation, "Operational aspects"
  (https://prometheus.io/docs/prometheus/latest/storage/): ``needed_disk_space =
  retention_time_seconds * ingested_samples_per_second * bytes_per_sample``, with "on
  average, Prometheus uses only around 1-2 bytes per sample". :func:`monitoring_estimate`
  defaults to 2 bytes, the top of that range: a capacity plan should not assume the best
  compression, and label churn, the index and the write-ahead log all add to the chunks.
  Prometheus' own default retention is 15 days (``--storage.tsdb.retention.time``).
* Thanos compactor documentation (https://thanos.io/tip/components/compact.md/): the
  raw, 5-minute and 1-hour resolutions are kept with separate retentions
  (``--retention.resolution-raw``, ``--retention.resolution-5m``,
  ``--retention.resolution-1h``), each counted from the sample's time, and a block exists
  in every resolution until that resolution's retention ends, so the resolutions overlap.
  The compactor creates 5-minute blocks from blocks older than 40 hours and 1-hour blocks
  from blocks older than 10 days; this module ignores that short lag, so its figures are a
  slight upper bound. The same page says downsampling is there to make long-range queries
  fast and does not save space: each raw block gains two downsampled blocks that are only
  slightly smaller than it or about its size, because a downsampled point stores several
  aggregates (count, sum, min, max and a counter value), so keeping all three resolutions
  can make storage up to about three times larger. This module therefore sizes a
  downsampled block as a fraction ``downsampled_block_fraction`` of the raw block covering
  the same time, 1.0 by default (the docs' "about the size"); whatever a plan saves comes
  from keeping raw (and 5-minute) data for a shorter time, not from downsampling itself.
* AWS Application Auto Scaling target tracking for ECS
  (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html):
  the desired count scales in proportion to metric / target, not one task at a time;
  a scale-out cooldown blocks further scale-outs, a scale-in cooldown blocks scale-ins, and
  a scale-out may happen during a scale-in cooldown.
* AWS Fargate pricing (https://aws.amazon.com/fargate/pricing/), us-east-1, Linux/x86,
  on demand: 0.04048 USD per vCPU-hour and 0.004445 USD per GB-hour of memory, where
  Fargate's "GB" is a binary gigabyte (task memory is set in MiB, 1 GB = 1,024 MiB). These
  rates were checked in March 2026; they have been unchanged since the January 2019 Fargate
  price reduction. Valid task sizes are those of the Amazon ECS developer guide ("Task CPU
  and memory", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html).
* Amazon EKS pricing (https://aws.amazon.com/eks/pricing/): 0.10 USD per cluster-hour for
  a cluster on a Kubernetes version in standard support (checked March 2026).
* Amazon S3 pricing (https://aws.amazon.com/s3/pricing/): S3 Standard, first 50 TB, 0.023
  USD per GB-month in us-east-1, billed per binary gigabyte (checked March 2026).
* List scheduling: R. L. Graham, "Bounds on multiprocessing timing anomalies", SIAM J.
  Appl. Math. 17 (1969). The "longest remaining path first" priority is the classic
  critical-path (HLFET) rule; the wall time of any schedule is at least
  max(critical path, total work / builders).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from interview_lab._checks import non_negative as _non_negative
from interview_lab._checks import number as _number
from interview_lab._checks import positive as _positive
from interview_lab._checks import show as _show
from interview_lab._checks import whole as _whole
from interview_lab.settings import data_path

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

SECONDS_PER_MINUTE = 60
SECONDS_PER_DAY = 86_400
HOURS_PER_MONTH = 730.0
BYTES_PER_GIB = 2**30

PROMETHEUS_DEFAULT_BYTES_PER_SAMPLE = 2.0
PROMETHEUS_DEFAULT_RETENTION_DAYS = 15.0
THANOS_RESOLUTIONS_S = {"raw": None, "5m": 300, "1h": 3600}
#: Size of a downsampled block / size of the raw block for the same time (Thanos docs).
THANOS_DOWNSAMPLED_BLOCK_FRACTION = 1.0

S3_STANDARD_USD_PER_GIB_MONTH = 0.023
FARGATE_VCPU_HOUR_USD = 0.04048
FARGATE_GIB_HOUR_USD = 0.004445
EKS_CONTROL_PLANE_USD_PER_HOUR = 0.10
PRICES_CHECKED = "2026-03"
PRICE_REGION = "us-east-1 (N. Virginia), Linux/x86, on demand"

#: Valid Fargate task sizes: vCPU -> the memory sizes (GiB) Fargate accepts with it.
FARGATE_MEMORY_GIB: dict[float, tuple[float, ...]] = {
    0.25: (0.5, 1.0, 2.0),
    0.5: (1.0, 2.0, 3.0, 4.0),
    1.0: tuple(float(m) for m in range(2, 9)),
    2.0: tuple(float(m) for m in range(4, 17)),
    4.0: tuple(float(m) for m in range(8, 31)),
    8.0: tuple(float(m) for m in range(16, 61, 4)),
    16.0: tuple(float(m) for m in range(32, 121, 8)),
}

# --------------------------------------------------------------------------------------
# Validation helpers (messages are shown to learners by the widgets)
# --------------------------------------------------------------------------------------




def _steps(name: str, seconds: object, step_s: int = SECONDS_PER_MINUTE) -> int:
    """Seconds rounded up to whole simulation steps."""
    return math.ceil(_non_negative(name, seconds) / step_s)


# --------------------------------------------------------------------------------------
# Formatting helpers for widgets and notebooks (presentation only)
# --------------------------------------------------------------------------------------


def format_bytes(n_bytes: float, digits: int = 2) -> str:
    """A byte count in decimal SI units: ``format_bytes(69.12e9) == '69.12 GB'``."""
    value = _non_negative("n_bytes", n_bytes)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if unit != "B" else f"{value:g}"
            return f"{text} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def format_usd(amount_usd: float, digits: int = 2) -> str:
    """A dollar amount with thousands separators: ``format_usd(1234.5) == '$1,234.50'``."""
    amount = _number("amount_usd", amount_usd)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{digits}f}"


# --------------------------------------------------------------------------------------
# Monitoring storage (Prometheus)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoringEstimate:
    """Ingestion and local storage of a Prometheus server (decimal bytes)."""

    servers: int
    metrics_per_server: int
    scrape_interval_s: float
    bytes_per_sample: float
    retention_days: float
    series: int
    samples_per_second: float
    samples_per_minute: float
    bytes_per_minute: float
    bytes_per_day: float
    retention_bytes: float

    @property
    def retention_gb(self) -> float:
        """The retention storage in decimal gigabytes."""
        return self.retention_bytes / 1e9


def monitoring_estimate(
    servers: int,
    metrics_per_server: int,
    scrape_interval_s: float,
    bytes_per_sample: float = PROMETHEUS_DEFAULT_BYTES_PER_SAMPLE,
    retention_days: float = PROMETHEUS_DEFAULT_RETENTION_DAYS,
) -> MonitoringEstimate:
    """Samples and bytes for ``servers`` each exposing ``metrics_per_server`` series.

    ``retention_bytes = retention_days * 86,400 * samples_per_second * bytes_per_sample``,
    the Prometheus storage docs' formula. The default 2 bytes per sample is the top of the
    docs' "1-2 bytes per sample" (compressed), a cautious figure for planning.

    >>> e = monitoring_estimate(1000, 100, 15, bytes_per_sample=8, retention_days=15)
    >>> e.samples_per_minute, e.bytes_per_minute, e.bytes_per_day, e.retention_bytes
    (400000.0, 3200000.0, 4608000000.0, 69120000000.0)
    """
    n_servers = _whole("servers", servers, 1)
    n_metrics = _whole("metrics_per_server", metrics_per_server, 1)
    interval = _positive("scrape_interval_s", scrape_interval_s)
    sample_bytes = _positive("bytes_per_sample", bytes_per_sample)
    days = _positive("retention_days", retention_days)
    series = n_servers * n_metrics
    # Multiply before dividing so that round figures stay exact in floating point.
    return MonitoringEstimate(
        servers=n_servers,
        metrics_per_server=n_metrics,
        scrape_interval_s=interval,
        bytes_per_sample=sample_bytes,
        retention_days=days,
        series=series,
        samples_per_second=series / interval,
        samples_per_minute=series * SECONDS_PER_MINUTE / interval,
        bytes_per_minute=series * SECONDS_PER_MINUTE / interval * sample_bytes,
        bytes_per_day=series * SECONDS_PER_DAY / interval * sample_bytes,
        retention_bytes=series * (days * SECONDS_PER_DAY) / interval * sample_bytes,
    )


def scrape_bytes_per_minute(
    bytes_per_scrape: float, servers: int, scrape_interval_s: float
) -> float:
    """Network payload per minute when each server returns ``bytes_per_scrape`` per scrape.

    >>> scrape_bytes_per_minute(1000, 1000, 15)   # 1 kB x 1000 servers x 4 scrapes/min
    4000000.0
    """
    payload = _non_negative("bytes_per_scrape", bytes_per_scrape)
    n_servers = _whole("servers", servers, 1)
    interval = _positive("scrape_interval_s", scrape_interval_s)
    return payload * n_servers * SECONDS_PER_MINUTE / interval


FLEET_COLUMNS = ("group", "servers", "metrics_per_server", "scrape_interval_s", "description")


def load_fleet(path: str | None = None) -> pd.DataFrame:
    """The fleet description (``data/fleet.csv``): one row per server group."""
    source = data_path("fleet.csv") if path is None else path
    frame = pd.read_csv(source, dtype={"group": str, "description": str})
    missing = [c for c in FLEET_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    return validate_fleet(frame[list(FLEET_COLUMNS)])


def validate_fleet(fleet: pd.DataFrame) -> pd.DataFrame:
    """Check a fleet table and return it with numeric columns as numbers."""
    required = ("group", "servers", "metrics_per_server", "scrape_interval_s")
    missing = [c for c in required if c not in fleet.columns]
    if missing:
        raise ValueError(f"the fleet table has no column(s) {', '.join(missing)}")
    if fleet.empty:
        raise ValueError("the fleet table has no server groups")
    out = fleet.copy()
    for column, minimum in (("servers", 1), ("metrics_per_server", 1)):
        values = pd.to_numeric(out[column], errors="coerce")
        bad = values.isna() | (values < minimum) | (values % 1 != 0)
        if bad.any():
            group = out.loc[bad, "group"].iloc[0]
            raise ValueError(
                f"{column} must be a whole number of at least {minimum} "
                f"(group {group!r}, got {_show(out.loc[bad, column].iloc[0])})"
            )
        out[column] = values.astype("int64")
    interval = pd.to_numeric(out["scrape_interval_s"], errors="coerce")
    bad = interval.isna() | ~(interval > 0) | ~np.isfinite(interval)
    if bad.any():
        group = out.loc[bad, "group"].iloc[0]
        raise ValueError(
            f"scrape_interval_s must be greater than 0 (group {group!r}, "
            f"got {_show(out.loc[bad, 'scrape_interval_s'].iloc[0])})"
        )
    out["scrape_interval_s"] = interval.astype("float64")
    if out["group"].duplicated().any():
        raise ValueError(
            f"group {out.loc[out['group'].duplicated(), 'group'].iloc[0]!r} appears twice"
        )
    return out


@dataclass(frozen=True)
class FleetEstimate:
    """A :class:`MonitoringEstimate` summed over server groups with their own intervals."""

    groups: pd.DataFrame
    servers: int
    series: int
    bytes_per_sample: float
    retention_days: float
    samples_per_second: float
    samples_per_minute: float
    bytes_per_minute: float
    bytes_per_day: float
    retention_bytes: float


def fleet_estimate(
    fleet: pd.DataFrame,
    bytes_per_sample: float = PROMETHEUS_DEFAULT_BYTES_PER_SAMPLE,
    retention_days: float = PROMETHEUS_DEFAULT_RETENTION_DAYS,
) -> FleetEstimate:
    """Per-group and total ingestion and storage for a fleet table (vectorised)."""
    sample_bytes = _positive("bytes_per_sample", bytes_per_sample)
    days = _positive("retention_days", retention_days)
    groups = validate_fleet(fleet)
    series = groups["servers"] * groups["metrics_per_server"]
    interval = groups["scrape_interval_s"]
    table = pd.DataFrame(
        {
            "group": groups["group"],
            "servers": groups["servers"],
            "series": series,
            "scrape_interval_s": interval,
            "samples_per_second": series / interval,
            "samples_per_minute": series * SECONDS_PER_MINUTE / interval,
            "bytes_per_minute": series * SECONDS_PER_MINUTE / interval * sample_bytes,
            "bytes_per_day": series * SECONDS_PER_DAY / interval * sample_bytes,
            "retention_bytes": series * (days * SECONDS_PER_DAY) / interval * sample_bytes,
        }
    ).reset_index(drop=True)
    totals = table.drop(columns=["group", "scrape_interval_s"]).sum()
    return FleetEstimate(
        groups=table,
        servers=int(totals["servers"]),
        series=int(totals["series"]),
        bytes_per_sample=sample_bytes,
        retention_days=days,
        samples_per_second=float(totals["samples_per_second"]),
        samples_per_minute=float(totals["samples_per_minute"]),
        bytes_per_minute=float(totals["bytes_per_minute"]),
        bytes_per_day=float(totals["bytes_per_day"]),
        retention_bytes=float(totals["retention_bytes"]),
    )


# --------------------------------------------------------------------------------------
# Long-term storage (Thanos downsampling in object storage)
# --------------------------------------------------------------------------------------


def downsampling_ratio(from_resolution_s: float, to_resolution_s: float) -> float:
    """How many points at ``from_resolution_s`` one point at ``to_resolution_s`` replaces.

    >>> downsampling_ratio(15, 300), downsampling_ratio(15, 3600)
    (20.0, 240.0)
    """
    source = _positive("from_resolution_s", from_resolution_s)
    target = _positive("to_resolution_s", to_resolution_s)
    if target < source:
        raise ValueError(
            f"to_resolution_s ({_show(to_resolution_s)}) must be at least from_resolution_s "
            f"({_show(from_resolution_s)}): downsampling makes points rarer, not denser"
        )
    return target / source


def downsampled_size_ratio(
    from_resolution_s: float,
    to_resolution_s: float,
    downsampled_block_fraction: float = THANOS_DOWNSAMPLED_BLOCK_FRACTION,
) -> float:
    """Bytes per unit of time after downsampling as a fraction of the raw bytes.

    Not ``1 / downsampling_ratio``: fewer points do not make a smaller block, because each
    downsampled point keeps five aggregates (count, sum, min, max, counter). The
    Thanos docs put a downsampled block at about the size of the raw one, so the default
    is 1.0 whatever the ratio of points; pass a smaller fraction (e.g. 0.8) for "slightly
    smaller". The resolutions are checked as in :func:`downsampling_ratio`.

    >>> downsampled_size_ratio(15, 300), downsampled_size_ratio(15, 3600)
    (1.0, 1.0)
    """
    downsampling_ratio(from_resolution_s, to_resolution_s)
    return _block_fraction(downsampled_block_fraction)


def _block_fraction(downsampled_block_fraction: float) -> float:
    return _positive("downsampled_block_fraction", downsampled_block_fraction)


@dataclass(frozen=True)
class ThanosEstimate:
    """Steady-state object storage of Thanos' three resolutions and its monthly cost."""

    servers: int
    series: int
    scrape_interval_s: float
    raw_retention_days: float
    five_minute_retention_days: float
    one_hour_retention_days: float
    bytes_per_sample: float
    downsampled_block_fraction: float
    usd_per_gib_month: float
    raw_bytes: float
    five_minute_bytes: float
    one_hour_bytes: float
    total_bytes: float
    total_gib: float
    usd_per_month: float
    usd_per_month_per_server: float
    raw_only_bytes: float
    all_resolutions_bytes: float

    @property
    def bytes_by_resolution(self) -> dict[str, float]:
        """``{"raw": ..., "5m": ..., "1h": ...}`` in decimal bytes."""
        return {"raw": self.raw_bytes, "5m": self.five_minute_bytes, "1h": self.one_hour_bytes}

    @property
    def saving_vs_raw_only(self) -> float:
        """1 - total / (raw samples alone kept for the longest retention).

        Negative when the plan stores more than raw samples alone would: with downsampled
        blocks about the size of raw ones, keeping them as long as raw data costs space.
        """
        return 1 - self.total_bytes / self.raw_only_bytes

    @property
    def saving_vs_all_resolutions(self) -> float:
        """1 - total / (all three resolutions kept for the longest retention).

        What the shorter raw and 5-minute retentions save against keeping every
        resolution equally long (Thanos' default when the three retentions are equal).
        """
        return 1 - self.total_bytes / self.all_resolutions_bytes


def object_storage_usd_per_month(
    n_bytes: float, usd_per_gib_month: float = S3_STANDARD_USD_PER_GIB_MONTH
) -> float:
    """Monthly cost of ``n_bytes`` (decimal) billed per GiB-month (converted explicitly)."""
    size = _non_negative("n_bytes", n_bytes)
    price = _non_negative("usd_per_gib_month", usd_per_gib_month)
    return size / BYTES_PER_GIB * price


def thanos_storage_estimate(
    servers: int,
    metrics_per_server: int,
    scrape_interval_s: float,
    raw_retention_days: float,
    five_minute_retention_days: float,
    one_hour_retention_days: float,
    bytes_per_sample: float = PROMETHEUS_DEFAULT_BYTES_PER_SAMPLE,
    downsampled_block_fraction: float = THANOS_DOWNSAMPLED_BLOCK_FRACTION,
    usd_per_gib_month: float = S3_STANDARD_USD_PER_GIB_MONTH,
) -> ThanosEstimate:
    """Bytes per resolution and object-storage cost, resolutions overlapping.

    Each resolution holds its ``retention_days`` of data counted from the sample's time,
    so the total is the sum of the three. Raw data takes ``series x seconds / interval x
    bytes_per_sample``; a downsampled resolution takes ``downsampled_block_fraction`` of
    what raw data would take for its own retention (1.0 by default: the Thanos docs say a
    downsampled block is about the size of the raw one). A retention of 0 means that
    resolution is not kept (note: Thanos' own flags read ``0d`` as "keep forever").

    >>> t = thanos_storage_estimate(1000, 100, 15, 15, 90, 365, bytes_per_sample=8)
    >>> format_bytes(t.raw_bytes), format_bytes(t.one_hour_bytes), format_bytes(t.total_bytes)
    ('69.12 GB', '1.68 TB', '2.17 TB')
    """
    n_servers = _whole("servers", servers, 1)
    n_metrics = _whole("metrics_per_server", metrics_per_server, 1)
    interval = _positive("scrape_interval_s", scrape_interval_s)
    raw_days = _non_negative("raw_retention_days", raw_retention_days)
    five_days = _non_negative("five_minute_retention_days", five_minute_retention_days)
    hour_days = _non_negative("one_hour_retention_days", one_hour_retention_days)
    if raw_days + five_days + hour_days == 0:
        raise ValueError("at least one of the three retentions must be more than 0 days")
    if five_days > 0 and interval >= 300:
        raise ValueError(
            f"5-minute downsampling needs a scrape interval under 300 s, got {_show(scrape_interval_s)}"
        )
    if hour_days > 0 and interval >= 3600:
        raise ValueError(
            f"1-hour downsampling needs a scrape interval under 3600 s, got {_show(scrape_interval_s)}"
        )
    sample_bytes = _positive("bytes_per_sample", bytes_per_sample)
    fraction = _block_fraction(downsampled_block_fraction)
    price = _non_negative("usd_per_gib_month", usd_per_gib_month)
    series = n_servers * n_metrics

    def raw_bytes_for(days: float) -> float:
        return series * (days * SECONDS_PER_DAY) / interval * sample_bytes

    raw = raw_bytes_for(raw_days)
    five = raw_bytes_for(five_days) * fraction
    hour = raw_bytes_for(hour_days) * fraction
    total = raw + five + hour
    longest = max(raw_days, five_days, hour_days)
    usd = object_storage_usd_per_month(total, price)
    return ThanosEstimate(
        servers=n_servers,
        series=series,
        scrape_interval_s=interval,
        raw_retention_days=raw_days,
        five_minute_retention_days=five_days,
        one_hour_retention_days=hour_days,
        bytes_per_sample=sample_bytes,
        downsampled_block_fraction=fraction,
        usd_per_gib_month=price,
        raw_bytes=raw,
        five_minute_bytes=five,
        one_hour_bytes=hour,
        total_bytes=total,
        total_gib=total / BYTES_PER_GIB,
        usd_per_month=usd,
        usd_per_month_per_server=usd / n_servers,
        raw_only_bytes=raw_bytes_for(longest),
        all_resolutions_bytes=raw_bytes_for(longest) * (1 + 2 * fraction),
    )


# --------------------------------------------------------------------------------------
# Autoscaling (ECS target tracking)
# --------------------------------------------------------------------------------------


def target_tracking_desired(
    current_tasks: int,
    metric_value: float,
    target_value: float,
    min_tasks: int,
    max_tasks: int,
) -> int:
    """ceil(current x metric / target), clamped to [min_tasks, max_tasks].

    The product is rounded to 9 decimal places before the ceiling so that floating-point
    noise (3 x 70 / 70 = 3.0000000000000004) never adds a task.

    >>> target_tracking_desired(3, 95, 70, 3, 10)   # 3 x 95 / 70 = 4.07 -> 5
    5
    """
    current = _whole("current_tasks", current_tasks, 0)
    metric = _non_negative("metric_value", metric_value)
    target = _positive("target_value", target_value)
    low = _whole("min_tasks", min_tasks, 0)
    high = _whole("max_tasks", max_tasks, 1)
    if low > high:
        raise ValueError(f"min_tasks ({low}) must not be more than max_tasks ({high})")
    wanted = math.ceil(round(current * metric / target, 9))
    return min(max(wanted, low), high)


@dataclass(frozen=True)
class AutoscalingRun:
    """Minute-by-minute result of :func:`simulate_autoscaling`.

    ``running`` are the tasks that served the minute, ``pending`` the tasks being
    provisioned at the end of it (billed, serving nothing), ``billed_tasks`` their sum,
    ``desired`` the service's desired count after the minute's decision,
    ``cpu_per_task_pct`` the average CPU of the running tasks (capped at 100) and
    ``unserved_pct`` the demand above 100 % x running, in task-percent.
    """

    demand_pct: tuple[float, ...]
    running: tuple[int, ...]
    pending: tuple[int, ...]
    billed_tasks: tuple[int, ...]
    desired: tuple[int, ...]
    cpu_per_task_pct: tuple[float, ...]
    unserved_pct: tuple[float, ...]
    actions: tuple[str, ...]
    target_cpu_pct: float
    min_tasks: int
    max_tasks: int

    @property
    def minutes(self) -> int:
        return len(self.demand_pct)

    @property
    def mean_billed_tasks(self) -> float:
        return float(np.mean(self.billed_tasks))

    @property
    def peak_running(self) -> int:
        return max(self.running)

    @property
    def unserved_task_minutes(self) -> float:
        """Total unserved demand in task-minutes (100 task-percent for 1 minute = 1)."""
        return float(np.sum(self.unserved_pct)) / 100

    @property
    def minutes_with_unserved_demand(self) -> int:
        return int(np.count_nonzero(np.asarray(self.unserved_pct) > 0))

    @property
    def scale_outs(self) -> int:
        return self.actions.count("scale-out")

    @property
    def scale_ins(self) -> int:
        return self.actions.count("scale-in")

    def monthly_cost_usd(
        self, task_hourly_usd: float, hours_per_month: float = HOURS_PER_MONTH
    ) -> float:
        """Cost of the run's billed-task series extrapolated to a month."""
        return monthly_cost_of_task_series(self.billed_tasks, task_hourly_usd, hours_per_month)

    def to_frame(self) -> pd.DataFrame:
        """One row per minute."""
        return pd.DataFrame(
            {
                "minute": np.arange(self.minutes),
                "demand_pct": self.demand_pct,
                "running": self.running,
                "pending": self.pending,
                "billed_tasks": self.billed_tasks,
                "desired": self.desired,
                "cpu_per_task_pct": self.cpu_per_task_pct,
                "unserved_pct": self.unserved_pct,
                "action": self.actions,
            }
        )


def _demand_series(demand_pct: Iterable[float]) -> tuple[float, ...]:
    if isinstance(demand_pct, str | bytes):
        raise ValueError("demand_pct must be a sequence of numbers, got a string")
    try:
        values = np.asarray(list(demand_pct), dtype="float64")
    except (TypeError, ValueError) as error:
        raise ValueError(
            "demand_pct must be a sequence of numbers (task-percent per minute)"
        ) from error
    if values.size == 0:
        raise ValueError("demand_pct must hold at least one minute of load, got none")
    if not np.isfinite(values).all():
        raise ValueError("demand_pct must hold finite numbers; found NaN or infinity")
    if (values < 0).any():
        raise ValueError(f"demand_pct must not be negative, got {values[values < 0][0]:g}")
    return tuple(float(v) for v in values)


def simulate_autoscaling(
    demand_pct: Iterable[float],
    *,
    initial_tasks: int = 3,
    min_tasks: int = 3,
    max_tasks: int = 10,
    target_cpu_pct: float = 70.0,
    scale_out_cooldown_s: float = 60,
    scale_in_cooldown_s: float = 300,
    provisioning_delay_s: float = 180,
) -> AutoscalingRun:
    """Step once a minute through a load series under ECS CPU target tracking.

    ``demand_pct`` is the total CPU demand each minute in task-percent (100 = one task
    fully busy). Each minute: tasks whose provisioning finished start serving; the running
    tasks serve the demand, each at most 100 % (the rest is unserved); the average CPU of
    the running tasks is the metric; :func:`target_tracking_desired` with ``current`` =
    running tasks gives the desired count; if it is above running + pending and no
    scale-out cooldown is in effect, the difference is launched (billed now, serving after
    the provisioning delay); if it is below and no scale-in cooldown is in effect, tasks
    are removed (pending ones first) at the end of the minute. A scale-out may happen during
    a scale-in cooldown. Cooldowns and the delay are rounded up to whole minutes; a launched
    task serves from the next minute at the earliest.

    The defaults are the chapter's Bibby service: 3-10 tasks, 70 % CPU target, 60 s
    scale-out and 300 s scale-in cooldowns, about 3 minutes to provision a task.
    """
    demand = _demand_series(demand_pct)
    low = _whole("min_tasks", min_tasks, 1)
    high = _whole("max_tasks", max_tasks, 1)
    if low > high:
        raise ValueError(f"min_tasks ({low}) must not be more than max_tasks ({high})")
    start = _whole("initial_tasks", initial_tasks, 1)
    if not low <= start <= high:
        raise ValueError(
            f"initial_tasks must be between min_tasks ({low}) and max_tasks ({high}), got {start}"
        )
    target = _positive("target_cpu_pct", target_cpu_pct)
    if target > 100:
        raise ValueError(f"target_cpu_pct must be at most 100, got {_show(target_cpu_pct)}")
    out_steps = _steps("scale_out_cooldown_s", scale_out_cooldown_s)
    in_steps = _steps("scale_in_cooldown_s", scale_in_cooldown_s)
    delay_steps = max(1, _steps("provisioning_delay_s", provisioning_delay_s))

    running = start
    pending: list[int] = []  # the minute each pending task starts serving, oldest first
    last_out = last_in = -(10**9)
    rows: dict[str, list] = {
        k: [] for k in ("running", "pending", "billed", "desired", "cpu", "unserved", "action")
    }
    # A simulation is sequential (each minute depends on the last), so this loop runs over
    # time steps, not over rows of a data table.
    for minute, load in enumerate(demand):
        ready = sum(1 for m in pending if m <= minute)
        if ready:
            pending = [m for m in pending if m > minute]
            running += ready
        served = min(load, 100.0 * running)
        cpu = served / running
        wanted = target_tracking_desired(running, cpu, target, low, high)
        total = running + len(pending)
        action = ""
        serving = running
        if wanted > total and minute - last_out >= out_steps:
            pending.extend([minute + delay_steps] * (wanted - total))
            last_out, action = minute, "scale-out"
        elif wanted < total and minute - last_in >= in_steps:
            remove = total - wanted
            from_pending = min(remove, len(pending))
            if from_pending:
                pending = pending[: len(pending) - from_pending]
            running -= remove - from_pending
            last_in, action = minute, "scale-in"
        rows["running"].append(serving)
        rows["pending"].append(len(pending))
        rows["billed"].append(serving + len(pending))
        rows["desired"].append(running + len(pending))
        rows["cpu"].append(cpu)
        rows["unserved"].append(load - served)
        rows["action"].append(action)
    return AutoscalingRun(
        demand_pct=demand,
        running=tuple(rows["running"]),
        pending=tuple(rows["pending"]),
        billed_tasks=tuple(rows["billed"]),
        desired=tuple(rows["desired"]),
        cpu_per_task_pct=tuple(rows["cpu"]),
        unserved_pct=tuple(rows["unserved"]),
        actions=tuple(rows["action"]),
        target_cpu_pct=target,
        min_tasks=low,
        max_tasks=high,
    )


LOAD_SHAPES = ("steady", "daily peak", "spike", "ramp")


def load_curve(
    shape: str,
    minutes: int = 240,
    base_pct: float = 120.0,
    peak_pct: float = 455.0,
    noise_pct: float = 0.0,
    seed: int = 0,
) -> tuple[float, ...]:
    """A demand series (task-percent per minute) for :func:`simulate_autoscaling`.

    Shapes: ``"steady"`` (``base_pct`` throughout), ``"daily peak"`` (a smooth rise to
    ``peak_pct`` at the middle and back, a day's traffic compressed into ``minutes``),
    ``"spike"`` (``peak_pct`` from one third of the window for a sixth of it),
    ``"ramp"`` (a straight line from ``base_pct`` to ``peak_pct``). Gaussian noise with
    standard deviation ``noise_pct`` is added from ``numpy.random.default_rng(seed)`` and
    the result clipped at 0, so the same arguments always give the same curve. The default
    levels are the chapter's Bibby figures: 3 tasks at ~40 % (120) normally, 7 tasks at
    ~65 % (455) at the peak.
    """
    if shape not in LOAD_SHAPES:
        raise ValueError(
            f"shape must be one of {', '.join(map(repr, LOAD_SHAPES))}, got {_show(shape)}"
        )
    n = _whole("minutes", minutes, 1)
    base = _non_negative("base_pct", base_pct)
    peak = _non_negative("peak_pct", peak_pct)
    noise = _non_negative("noise_pct", noise_pct)
    seed_value = _whole("seed", seed, 0)
    t = np.arange(n, dtype="float64")
    if shape == "steady":
        values = np.full(n, base)
    elif shape == "daily peak":
        values = base + (peak - base) * 0.5 * (1 - np.cos(2 * np.pi * t / n))
    elif shape == "spike":
        start, length = n // 3, max(1, n // 6)
        values = np.where((t >= start) & (t < start + length), peak, base)
    else:
        values = base + (peak - base) * (t / (n - 1) if n > 1 else np.zeros(n))
    if noise > 0:
        values = values + np.random.default_rng(seed_value).normal(0.0, noise, n)
    return tuple(float(v) for v in np.clip(values, 0.0, None))


# --------------------------------------------------------------------------------------
# Container costs (Fargate, EKS)
# --------------------------------------------------------------------------------------


def fargate_valid_memory_gib(vcpu: float) -> tuple[float, ...]:
    """The memory sizes (GiB) Fargate accepts with ``vcpu``."""
    value = _positive("vcpu", vcpu)
    if value not in FARGATE_MEMORY_GIB:
        sizes = ", ".join(f"{v:g}" for v in FARGATE_MEMORY_GIB)
        raise ValueError(f"vcpu must be one of {sizes} (the Fargate task sizes), got {_show(vcpu)}")
    return FARGATE_MEMORY_GIB[value]


def fargate_task_hourly_cost(
    vcpu: float,
    memory_gib: float,
    vcpu_hour_usd: float = FARGATE_VCPU_HOUR_USD,
    gib_hour_usd: float = FARGATE_GIB_HOUR_USD,
) -> float:
    """Hourly on-demand price of one Fargate task (us-east-1, Linux/x86, March 2026 rates).

    >>> round(fargate_task_hourly_cost(0.25, 0.5), 7)   # 0.25 x 0.04048 + 0.5 x 0.004445
    0.0123425
    """
    allowed = fargate_valid_memory_gib(vcpu)
    memory = _positive("memory_gib", memory_gib)
    if not any(math.isclose(memory, m) for m in allowed):
        sizes = ", ".join(f"{m:g}" for m in allowed)
        raise ValueError(
            f"Fargate has no task with {float(vcpu):g} vCPU and {memory:g} GiB; "
            f"with {float(vcpu):g} vCPU the memory must be one of {sizes} GiB"
        )
    per_vcpu = _non_negative("vcpu_hour_usd", vcpu_hour_usd)
    per_gib = _non_negative("gib_hour_usd", gib_hour_usd)
    return float(vcpu) * per_vcpu + memory * per_gib


def fargate_size_table(
    vcpu_hour_usd: float = FARGATE_VCPU_HOUR_USD,
    gib_hour_usd: float = FARGATE_GIB_HOUR_USD,
    hours_per_month: float = HOURS_PER_MONTH,
) -> pd.DataFrame:
    """Every valid Fargate size with its hourly and monthly (one task) price."""
    per_vcpu = _non_negative("vcpu_hour_usd", vcpu_hour_usd)
    per_gib = _non_negative("gib_hour_usd", gib_hour_usd)
    hours = _positive("hours_per_month", hours_per_month)
    table = pd.DataFrame(
        [(v, m) for v, sizes in FARGATE_MEMORY_GIB.items() for m in sizes],
        columns=["vcpu", "memory_gib"],
    )
    table["hourly_usd"] = table["vcpu"] * per_vcpu + table["memory_gib"] * per_gib
    table["monthly_usd"] = table["hourly_usd"] * hours
    return table


def fargate_sizes_for_cost(
    target_usd: float,
    task_hours: float,
    n: int = 5,
    vcpu_hour_usd: float = FARGATE_VCPU_HOUR_USD,
    gib_hour_usd: float = FARGATE_GIB_HOUR_USD,
) -> pd.DataFrame:
    """The ``n`` valid Fargate sizes whose cost for ``task_hours`` is closest to ``target_usd``.

    E.g. "3 tasks for a month cost 28.80" is ``fargate_sizes_for_cost(28.80, 3 * 730)``.
    Columns: vcpu, memory_gib, hourly_usd, cost_usd, difference_usd (cost - target),
    difference_pct.
    """
    target = _positive("target_usd", target_usd)
    hours = _positive("task_hours", task_hours)
    count = _whole("n", n, 1)
    table = fargate_size_table(vcpu_hour_usd, gib_hour_usd).drop(columns="monthly_usd")
    table["cost_usd"] = table["hourly_usd"] * hours
    table["difference_usd"] = table["cost_usd"] - target
    table["difference_pct"] = table["difference_usd"] / target * 100
    order = table["difference_usd"].abs().sort_values(kind="stable").index
    return table.loc[order].head(count).reset_index(drop=True)


def monthly_cost_of_task_series(
    task_counts: Iterable[float],
    task_hourly_usd: float,
    hours_per_month: float = HOURS_PER_MONTH,
) -> float:
    """Mean billed task count x hours per month x hourly price of one task.

    >>> round(monthly_cost_of_task_series([3, 3, 3], 0.0123425), 4)
    27.0301
    """
    if isinstance(task_counts, str | bytes):
        raise ValueError("task_counts must be a sequence of task counts, got a string")
    try:
        counts = np.asarray(list(task_counts), dtype="float64")
    except (TypeError, ValueError) as error:
        raise ValueError("task_counts must be a sequence of numbers") from error
    if counts.size == 0:
        raise ValueError("task_counts must hold at least one value, got none")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("task_counts must hold finite counts of 0 or more")
    price = _non_negative("task_hourly_usd", task_hourly_usd)
    hours = _positive("hours_per_month", hours_per_month)
    return float(counts.mean()) * hours * price


def task_hours_cost(tasks: float, hours: float, task_hourly_usd: float) -> float:
    """Cost of running ``tasks`` tasks for ``hours`` hours (e.g. 7 extra tasks for 1 hour)."""
    return (
        _non_negative("tasks", tasks)
        * _non_negative("hours", hours)
        * _non_negative("task_hourly_usd", task_hourly_usd)
    )


def eks_control_plane_monthly_usd(
    clusters: int = 1,
    usd_per_cluster_hour: float = EKS_CONTROL_PLANE_USD_PER_HOUR,
    hours_per_month: float = HOURS_PER_MONTH,
) -> float:
    """Monthly EKS control-plane charge: 0.10 USD/h x 730 h = 73 USD per cluster.

    >>> eks_control_plane_monthly_usd()
    73.0
    """
    count = _whole("clusters", clusters, 0)
    price = _non_negative("usd_per_cluster_hour", usd_per_cluster_hour)
    hours = _positive("hours_per_month", hours_per_month)
    return count * price * hours


# --------------------------------------------------------------------------------------
# CI/CD at scale: build order and build farm wall time
# --------------------------------------------------------------------------------------


def _graph(depends_on: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    if not isinstance(depends_on, Mapping):
        raise ValueError("depends_on must map each service to the services it depends on")
    if not depends_on:
        raise ValueError("depends_on must name at least one service")
    graph: dict[str, tuple[str, ...]] = {}
    for service, deps in depends_on.items():
        if not isinstance(service, str) or not service.strip():
            raise ValueError(f"service names must be non-empty text, got {_show(service)}")
        if isinstance(deps, str):
            deps = [deps] if deps else []
        graph[service] = tuple(sorted(set(deps)))
    for service, deps in graph.items():
        for dep in deps:
            if dep not in graph:
                raise ValueError(f"{service!r} depends on {dep!r}, which is not in the graph")
    return graph


def _find_cycle(remaining: Mapping[str, tuple[str, ...]]) -> list[str]:
    """A cycle among services that could not be ordered (each has an unordered dependency)."""
    node = min(remaining)
    path: list[str] = []
    seen: dict[str, int] = {}
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(d for d in remaining[node] if d in remaining)
    cycle = path[seen[node] :]
    return [*cycle, cycle[0]]


def build_layers(depends_on: Mapping[str, Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    """Topological layers: layer 0 depends on nothing, layer k only on layers < k.

    Names are sorted within a layer. A dependency cycle raises ``ValueError`` naming the
    services in it (``"a -> b -> a"``).
    """
    graph = _graph(depends_on)
    remaining = dict(graph)
    done: set[str] = set()
    layers: list[tuple[str, ...]] = []
    while remaining:
        layer = tuple(sorted(s for s, deps in remaining.items() if all(d in done for d in deps)))
        if not layer:
            cycle = _find_cycle(remaining)
            raise ValueError(
                "the dependencies contain a cycle, so there is no build order: "
                + " -> ".join(cycle)
            )
        layers.append(layer)
        done.update(layer)
        for service in layer:
            del remaining[service]
    return tuple(layers)


def _times(
    graph: Mapping[str, tuple[str, ...]], build_time_s: Mapping[str, float]
) -> dict[str, float]:
    if not isinstance(build_time_s, Mapping):
        raise ValueError("build_time_s must map each service to its build time in seconds")
    missing = sorted(set(graph) - set(build_time_s))
    if missing:
        raise ValueError(f"no build time for {', '.join(map(repr, missing))}")
    extra = sorted(set(build_time_s) - set(graph))
    if extra:
        raise ValueError(
            f"build time given for {', '.join(map(repr, extra))}, which is not in the graph"
        )
    return {s: _non_negative(f"build_time_s[{s!r}]", build_time_s[s]) for s in graph}


def remaining_path_s(
    depends_on: Mapping[str, Iterable[str]], build_time_s: Mapping[str, float]
) -> dict[str, float]:
    """For each service, its build time plus the longest chain of builds waiting on it."""
    graph = _graph(depends_on)
    layers = build_layers(graph)
    times = _times(graph, build_time_s)
    dependents: dict[str, list[str]] = {s: [] for s in graph}
    for service, deps in graph.items():
        for dep in deps:
            dependents[dep].append(service)
    rank: dict[str, float] = {}
    for layer in reversed(layers):
        for service in layer:
            rank[service] = times[service] + max(
                (rank[d] for d in dependents[service]), default=0.0
            )
    return rank


def critical_path(
    depends_on: Mapping[str, Iterable[str]], build_time_s: Mapping[str, float]
) -> tuple[float, tuple[str, ...]]:
    """The longest chain of dependent builds: (its length in seconds, its services in order)."""
    graph = _graph(depends_on)
    rank = remaining_path_s(graph, build_time_s)
    times = _times(graph, build_time_s)
    dependents: dict[str, list[str]] = {s: [] for s in graph}
    for service, deps in graph.items():
        for dep in deps:
            dependents[dep].append(service)
    roots = [s for s, deps in graph.items() if not deps]
    node = min(roots, key=lambda s: (-rank[s], s))
    path = [node]
    while dependents[node]:
        node = min(dependents[node], key=lambda s: (-rank[s], s))
        path.append(node)
    return sum(times[s] for s in path), tuple(path)


@dataclass(frozen=True)
class BuildSchedule:
    """A list schedule of every build on ``builders`` identical builders."""

    builders: int
    wall_time_s: float
    critical_path_s: float
    critical_path: tuple[str, ...]
    total_work_s: float
    lower_bound_s: float
    jobs: tuple[tuple[str, int, float, float], ...]  # (service, builder, start_s, end_s)

    @property
    def efficiency(self) -> float:
        """lower bound / wall time: 1.0 means no schedule could be faster."""
        return 1.0 if self.wall_time_s == 0 else self.lower_bound_s / self.wall_time_s

    def to_frame(self) -> pd.DataFrame:
        """One row per build (service, builder, start_s, end_s), in start order."""
        return pd.DataFrame(list(self.jobs), columns=["service", "builder", "start_s", "end_s"])


def schedule_builds(
    depends_on: Mapping[str, Iterable[str]],
    build_time_s: Mapping[str, float],
    builders: int,
) -> BuildSchedule:
    """Wall time of building everything on ``builders`` builders by list scheduling.

    Whenever a builder is free, it starts the ready service (all dependencies finished)
    with the longest remaining path, ties broken by name; free builders are taken lowest
    number first. Also reports the lower bound max(critical path, total work / builders).
    List scheduling is within a factor 2 - 1/builders of the best schedule (Graham 1969)
    but is not monotone: on some graphs one more builder makes it slower.
    """
    graph = _graph(depends_on)
    count = _whole("builders", builders, 1)
    rank = remaining_path_s(graph, build_time_s)
    times = _times(graph, build_time_s)
    cp_length, cp_path = critical_path(graph, times)
    total = sum(times.values())
    unmet = {s: set(deps) for s, deps in graph.items()}
    dependents: dict[str, list[str]] = {s: [] for s in graph}
    for service, deps in graph.items():
        for dep in deps:
            dependents[dep].append(service)
    ready = {s for s, deps in unmet.items() if not deps}
    free_at = [0.0] * count  # when each builder is next free
    running: list[tuple[float, str]] = []  # (end time, service)
    jobs: list[tuple[str, int, float, float]] = []
    now = 0.0
    while len(jobs) < len(graph):
        for builder in range(count):
            if free_at[builder] <= now and ready:
                service = min(ready, key=lambda s: (-rank[s], s))
                ready.remove(service)
                end = now + times[service]
                free_at[builder] = end
                running.append((end, service))
                jobs.append((service, builder + 1, now, end))
        # Advance to the next finish; finishing builds release their dependents.
        now = min(end for end, _ in running)
        for end, service in [r for r in running if r[0] <= now]:
            running.remove((end, service))
            for dependent in dependents[service]:
                unmet[dependent].discard(service)
                if not unmet[dependent]:
                    ready.add(dependent)
    wall = max((end for _, _, _, end in jobs), default=0.0)
    return BuildSchedule(
        builders=count,
        wall_time_s=wall,
        critical_path_s=cp_length,
        critical_path=cp_path,
        total_work_s=total,
        lower_bound_s=max(cp_length, total / count),
        jobs=tuple(jobs),
    )


SERVICES_COLUMNS = ("service", "depends_on", "build_time_s", "description")


def load_services(path: str | None = None) -> pd.DataFrame:
    """The service dependency graph (``data/services.csv``); ``depends_on`` is ';'-separated."""
    source = data_path("services.csv") if path is None else path
    frame = pd.read_csv(source, dtype={"service": str, "depends_on": str, "description": str})
    missing = [c for c in SERVICES_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    frame["depends_on"] = frame["depends_on"].fillna("")
    frame["build_time_s"] = pd.to_numeric(frame["build_time_s"], errors="coerce")
    if frame["build_time_s"].isna().any() or (frame["build_time_s"] < 0).any():
        bad = frame.loc[frame["build_time_s"].isna() | (frame["build_time_s"] < 0), "service"].iloc[
            0
        ]
        raise ValueError(
            f"{source}: build_time_s of {bad!r} must be a number of seconds, 0 or more"
        )
    if frame["service"].duplicated().any():
        raise ValueError(
            f"{source}: service {frame.loc[frame['service'].duplicated(), 'service'].iloc[0]!r} appears twice"
        )
    return frame[list(SERVICES_COLUMNS)]


def services_graph(services: pd.DataFrame) -> tuple[dict[str, tuple[str, ...]], dict[str, float]]:
    """``(depends_on, build_time_s)`` mappings from a services table."""
    deps = services["depends_on"].fillna("").str.split(";")
    depends_on = {
        s: tuple(d.strip() for d in ds if d.strip())
        for s, ds in zip(services["service"], deps, strict=True)
    }
    build_time = dict(zip(services["service"], services["build_time_s"].astype(float), strict=True))
    return depends_on, build_time


# --------------------------------------------------------------------------------------
# Container images
# --------------------------------------------------------------------------------------


def percent_reduction(before: float, after: float) -> float:
    """(before - after) / before x 100; negative when ``after`` is larger.

    >>> round(percent_reduction(680, 192), 1)
    71.8
    """
    start = _positive("before", before)
    end = _non_negative("after", after)
    return (start - end) / start * 100


def image_size_reduction_pct(before_mb: float, after_mb: float) -> float:
    """Percentage by which an image shrank (680 MB -> 192 MB is 71.8 %)."""
    return percent_reduction(_positive("before_mb", before_mb), _non_negative("after_mb", after_mb))


def build_time_reduction_pct(before_s: float, after_s: float) -> float:
    """Percentage by which a build got shorter (95 s -> 12 s is 87.4 %)."""
    return percent_reduction(_positive("before_s", before_s), _non_negative("after_s", after_s))


def speedup_factor(before_s: float, after_s: float) -> float:
    """How many times faster: before / after (95 s -> 12 s is 7.9x)."""
    return _positive("before_s", before_s) / _positive("after_s", after_s)


def pull_time_s(image_mb: float, bandwidth_mbit_s: float) -> float:
    """Seconds to transfer ``image_mb`` decimal megabytes at ``bandwidth_mbit_s`` megabits/s.

    Network links are rated in bits: 1 MB = 8 Mbit, so 192 MB at 100 Mbit/s takes 15.36 s.
    (A bandwidth given in MB/s is 8 times the Mbit/s figure.)
    """
    size = _non_negative("image_mb", image_mb)
    bandwidth = _positive("bandwidth_mbit_s", bandwidth_mbit_s)
    return size * 8 / bandwidth


def stepwise_reductions(labels: Sequence[str], values: Sequence[float]) -> pd.DataFrame:
    """Each step's and the cumulative percentage reduction of a series of measurements.

    E.g. the chapter's image sizes ``["single stage", "multi-stage", "alpine",
    ".dockerignore"]``, ``[680, 350, 220, 192]``.
    """
    if len(labels) != len(values):
        raise ValueError(
            f"labels and values must have the same length, got {len(labels)} and {len(values)}"
        )
    if len(values) < 2:
        raise ValueError("give at least two measurements (before and after)")
    numbers_ = [_non_negative(f"values[{i}]", v) for i, v in enumerate(values)]
    _positive("values[0]", numbers_[0])
    series = pd.Series(numbers_, dtype="float64")
    previous = series.shift(1)
    step = (previous - series) / previous * 100
    return pd.DataFrame(
        {
            "label": list(labels),
            "value": series,
            "step_reduction_pct": step.where(previous > 0),
            "cumulative_reduction_pct": (series.iloc[0] - series) / series.iloc[0] * 100,
        }
    )


# --------------------------------------------------------------------------------------
# System-design interview time budget
# --------------------------------------------------------------------------------------

#: The chapter's four phases with their minimum and maximum minutes.
DESIGN_PHASES: tuple[tuple[str, int, int], ...] = (
    ("Clarify requirements", 5, 5),
    ("High-level design", 10, 10),
    ("Deep dive", 15, 20),
    ("Wrap-up", 5, 5),
)


@dataclass(frozen=True)
class DesignPhase:
    name: str
    minutes: int
    start_minute: int
    end_minute: int


def design_phase_range_minutes() -> tuple[int, int]:
    """The sum of the phases' minimum and maximum minutes (35 and 40)."""
    return sum(p[1] for p in DESIGN_PHASES), sum(p[2] for p in DESIGN_PHASES)


def design_time_budget(total_minutes: int = 45) -> tuple[DesignPhase, ...]:
    """Share ``total_minutes`` among the phases in proportion to their mid-range lengths.

    Whole minutes, largest remainders first (earlier phase on a tie), so they add up to
    ``total_minutes``. ``design_time_budget(45)`` gives 6, 12, 21 and 6 minutes.
    """
    total = _whole("total_minutes", total_minutes, len(DESIGN_PHASES))
    mids = np.array([(lo + hi) / 2 for _, lo, hi in DESIGN_PHASES])
    shares = mids * total / mids.sum()
    minutes = np.floor(shares).astype(int)
    leftover = total - int(minutes.sum())
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - minutes[i]), i))
    for i in order[:leftover]:
        minutes[i] += 1
    ends = np.cumsum(minutes)
    starts = ends - minutes
    return tuple(
        DesignPhase(name, int(m), int(s), int(e))
        for (name, _, _), m, s, e in zip(DESIGN_PHASES, minutes, starts, ends, strict=True)
    )
