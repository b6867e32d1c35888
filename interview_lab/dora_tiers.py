"""DORA performance tiers (Elite, High, Medium, Low) as explicit numeric cut-offs.

Sources
-------
* 2021: *Accelerate State of DevOps Report 2021* (DORA, Google Cloud), the table of software
  delivery performance by cluster. Its descriptions, as the Apache DevLake metric pages
  reproduce them with that source line ("Source: 2021 Accelerate State of DevOps, Google"):
  deployment frequency "On-demand (multiple deploys per day)" / "Between once per week and
  once per month" / "Between once per month and once every 6 months" / "Fewer than once per
  six months"; lead time for changes "Less than one hour" / "Between one day and one week" /
  "Between one month and six months" / "More than six months"; time to restore service
  "Less than one hour" / "Less than one day" / "Between one day and one week" / "More than
  six months"; change failure rate "0%-15%" / "16%-30%" / "16%-30%" / "16%-30%".
* 2023: *Accelerate State of DevOps Report 2023* (DORA, Google Cloud), the table of software
  delivery performance clusters: deployment frequency "On demand (multiple deploys per day)"
  / "Between once per day and once per week" / "Between once per week and once per month" /
  "Between once per week and once per month"; change lead time "Less than one day" /
  "Between one day and one week" / "Between one week and one month" / "Between one week and
  one month"; change failure rate 5% / 10% / 15% / 64% (the value typical of each cluster,
  not a range); failed deployment recovery time "Less than one hour" / "Less than one day" /
  "Between one day and one week" / "Between one month and six months".
  (Apache DevLake's pages quote the same 2023 table; one of them prints the Low recovery
  time as "More than six months", copied from 2021. The choice below does not depend on it:
  everything slower than one week is Low either way.)

Where to read them: the reports at https://dora.dev/research/2021/dora-report/ and
https://dora.dev/research/2023/dora-report/; the tables as quoted, year by year, in Apache
DevLake's metric pages (https://devlake.apache.org/docs/Metrics/DeploymentFrequency and the
pages beside it: LeadTimeForChanges, CFR, FailedDeploymentRecoveryTime / MTTR).

What changed in 2023
--------------------
The 2023 report renamed *time to restore service* to *failed deployment recovery time*: the
time to recover from a deployment that failed and needed intervention, rather than from any
incident. It also reports change failure rate as one typical value per cluster, the Elite
cluster's lead time is "less than one day" (2021: "less than one hour"), and Low's deployment
frequency and lead time repeat Medium's words. This module classifies the course's time to
restore (median over resolved incidents, Four Keys' definition) against the 2023 recovery-time
descriptions; :mod:`interview_lab.dora` also reports the narrower median over incidents linked
to a deployment, so the two can be compared.

How descriptions become cut-offs
--------------------------------
The reports publish descriptions of clusters, not thresholds. Each rule below states the
comparison and the reason beside it (``reason``). Two general rules decide the rest:

* a value in a gap between two tiers' descriptions goes to the **lower** tier;
* a value that meets several tiers' descriptions goes to the **highest** of them.

Units: deployment frequency in deploys per week (a "day" is a calendar day, so once per day is
7 per week), a month is 365.25 / 12 = 30.4375 days and six months 182.625 days; lead time and
time to restore in hours; change failure rate as a fraction (0.15 is 15 %). The
deployment-frequency tier is read from ``deploys_per_week``; the overall tier is the lowest of
the four (metrics that cannot be measured, e.g. time to restore with no incident, are left
out of it and reported as ``None``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

TIERS: tuple[str, ...] = ("Elite", "High", "Medium", "Low")
METRICS: tuple[str, ...] = (
    "deployment_frequency",
    "lead_time",
    "change_failure_rate",
    "time_to_restore",
)
METRIC_UNITS: dict[str, str] = {
    "deployment_frequency": "deploys per week",
    "lead_time": "hours",
    "change_failure_rate": "fraction of deployments",
    "time_to_restore": "hours",
}
REPORTS: dict[int, str] = {
    2021: "Accelerate State of DevOps Report 2021 (DORA, Google Cloud)",
    2023: "Accelerate State of DevOps Report 2023 (DORA, Google Cloud)",
}
DEFAULT_REPORT_YEAR = 2023

DAYS_PER_MONTH = 365.25 / 12  # 30.4375
ONCE_PER_DAY = 7.0  # deploys per week
ONCE_PER_WEEK = 1.0
ONCE_PER_MONTH = 7.0 / DAYS_PER_MONTH  # 0.2300 deploys per week
ONCE_PER_SIX_MONTHS = 7.0 / (6 * DAYS_PER_MONTH)  # 0.0383 deploys per week
HOUR = 1.0
DAY_H = 24.0
WEEK_H = 7 * 24.0
MONTH_H = DAYS_PER_MONTH * 24.0  # 730.5 hours
SIX_MONTHS_H = 6 * DAYS_PER_MONTH * 24.0  # 4383 hours

# Comparisons a rule may use. "never": the tier's band is wholly claimed by a higher tier;
# "otherwise": the tier takes every value no higher tier took (always the last rule).
COMPARISONS = (">", ">=", "<", "<=", "never", "otherwise")


@dataclass(frozen=True)
class TierRule:
    """One tier of one metric in one report year, with the report's words and our cut-off."""

    report_year: int
    metric: str
    tier: str
    report_text: str
    comparison: str
    bound: float | None
    reason: str

    @property
    def unit(self) -> str:
        return METRIC_UNITS[self.metric]

    def matches(self, value: float) -> bool:
        """Whether ``value`` meets this rule's cut-off."""
        if self.comparison == "otherwise":
            return True
        if self.comparison == "never" or self.bound is None:
            return False
        return {
            ">": value > self.bound,
            ">=": value >= self.bound,
            "<": value < self.bound,
            "<=": value <= self.bound,
        }[self.comparison]


def _rule(year, metric, tier, text, comparison, bound, reason) -> TierRule:
    return TierRule(year, metric, tier, text, comparison, bound, reason)


_MULTIPLE_PER_DAY = (
    "Averaged over a window, 'multiple deploys per day' can only mean more than one per "
    "calendar day, i.e. more than 7 per week; exactly 7 per week is once per day."
)

TIER_TABLE: tuple[TierRule, ...] = (
    # ---- 2021 ----------------------------------------------------------------------------
    _rule(2021, "deployment_frequency", "Elite", "On-demand (multiple deploys per day)",
          ">", ONCE_PER_DAY, _MULTIPLE_PER_DAY),
    _rule(2021, "deployment_frequency", "High", "Between once per week and once per month",
          ">=", ONCE_PER_MONTH,
          "At least once per month (7 / 30.4375 = 0.230 per week). Rates between once per week "
          "and Elite's 'multiple per day' fit no description: a gap, so the lower tier, High."),
    _rule(2021, "deployment_frequency", "Medium",
          "Between once per month and once every 6 months", ">=", ONCE_PER_SIX_MONTHS,
          "At least once per six months (7 / 182.625 = 0.0383 per week); exactly once per month "
          "also meets High's words, and the highest tier wins."),
    _rule(2021, "deployment_frequency", "Low", "Fewer than once per six months",
          "otherwise", None, "Fewer than once per six months."),
    _rule(2021, "lead_time", "Elite", "Less than one hour", "<", HOUR,
          "Strictly less than 1 hour."),
    _rule(2021, "lead_time", "High", "Between one day and one week", "<=", WEEK_H,
          "At most one week (168 h). From 1 hour to 1 day no tier is described: a gap, so the "
          "lower tier, High."),
    _rule(2021, "lead_time", "Medium", "Between one month and six months", "<=", SIX_MONTHS_H,
          "At most six months (4383 h). From one week to one month is a gap: lower tier, Medium."),
    _rule(2021, "lead_time", "Low", "More than six months", "otherwise", None,
          "More than six months."),
    _rule(2021, "change_failure_rate", "Elite", "0%-15%", "<=", 0.15, "At most 15 %."),
    _rule(2021, "change_failure_rate", "High", "16%-30%", "<=", 0.30,
          "At most 30 %. 16-30 % is also Medium's and Low's band: the highest tier, High, takes "
          "it; rates between 15 % and 16 % are a gap and go to the lower tier, High."),
    _rule(2021, "change_failure_rate", "Medium", "16%-30%", "never", None,
          "Never assigned: Medium's band is the same as High's, and High is higher."),
    _rule(2021, "change_failure_rate", "Low", "16%-30%", "otherwise", None,
          "Above 30 % no tier is described; Low is the only tier below the 16-30 % band."),
    _rule(2021, "time_to_restore", "Elite", "Less than one hour", "<", HOUR,
          "Strictly less than 1 hour."),
    _rule(2021, "time_to_restore", "High", "Less than one day", "<", DAY_H,
          "Strictly less than 24 hours."),
    _rule(2021, "time_to_restore", "Medium", "Between one day and one week", "<=", WEEK_H,
          "From 24 hours up to one week (168 h) inclusive."),
    _rule(2021, "time_to_restore", "Low", "More than six months", "otherwise", None,
          "Above one week. One week to six months is a gap: the lower tier, Low."),
    # ---- 2023 ----------------------------------------------------------------------------
    _rule(2023, "deployment_frequency", "Elite", "On demand (multiple deploys per day)",
          ">", ONCE_PER_DAY, _MULTIPLE_PER_DAY),
    _rule(2023, "deployment_frequency", "High", "Between once per day and once per week",
          ">=", ONCE_PER_WEEK, "From once per week (1 per week) up to once per day (7 per week)."),
    _rule(2023, "deployment_frequency", "Medium", "Between once per week and once per month",
          ">=", ONCE_PER_MONTH,
          "At least once per month (0.230 per week); exactly once per week also meets High's "
          "words, and the highest tier wins."),
    _rule(2023, "deployment_frequency", "Low", "Between once per week and once per month",
          "otherwise", None,
          "The report repeats Medium's words for Low, so that band goes to Medium (the higher); "
          "Low keeps the rates below once per month, which no tier describes."),
    _rule(2023, "lead_time", "Elite", "Less than one day", "<", DAY_H,
          "Strictly less than 24 hours."),
    _rule(2023, "lead_time", "High", "Between one day and one week", "<=", WEEK_H,
          "From 24 hours up to one week (168 h) inclusive."),
    _rule(2023, "lead_time", "Medium", "Between one week and one month", "<=", MONTH_H,
          "Up to one month (730.5 h) inclusive."),
    _rule(2023, "lead_time", "Low", "Between one week and one month", "otherwise", None,
          "The report repeats Medium's words for Low, so that band goes to Medium; Low keeps "
          "lead times above one month, which no tier describes."),
    _rule(2023, "change_failure_rate", "Elite", "5%", "<=", 0.05,
          "The report gives each cluster's typical rate, not a range. A team is placed in the "
          "best tier whose typical rate it equals or beats: at most 5 %."),
    _rule(2023, "change_failure_rate", "High", "10%", "<=", 0.10,
          "At most 10 % (High's typical rate), more than 5 %."),
    _rule(2023, "change_failure_rate", "Medium", "15%", "<=", 0.15,
          "At most 15 % (Medium's typical rate). Midpoints between typical rates would put "
          "39.5 % in Medium; using the typical rate as a ceiling keeps Medium near 15 %."),
    _rule(2023, "change_failure_rate", "Low", "64%", "otherwise", None,
          "Above 15 %: worse than Medium's typical rate, towards Low's 64 %."),
    _rule(2023, "time_to_restore", "Elite", "Less than one hour", "<", HOUR,
          "Failed deployment recovery time strictly less than 1 hour."),
    _rule(2023, "time_to_restore", "High", "Less than one day", "<", DAY_H,
          "Strictly less than 24 hours."),
    _rule(2023, "time_to_restore", "Medium", "Between one day and one week", "<=", WEEK_H,
          "From 24 hours up to one week (168 h) inclusive."),
    _rule(2023, "time_to_restore", "Low", "Between one month and six months", "otherwise",
          None, "Above one week. One week to one month is a gap: the lower tier, Low."),
)


@dataclass(frozen=True)
class Tiers:
    """The tier of each of the four keys and the overall tier (the lowest of them)."""

    report_year: int
    deployment_frequency: str | None
    lead_time: str | None
    change_failure_rate: str | None
    time_to_restore: str | None
    overall: str | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def check_report_year(report_year: int) -> int:
    """The report year if the course has tiers for it, else a ``ValueError``."""
    if isinstance(report_year, bool) or not isinstance(report_year, int):
        raise ValueError(f"report_year must be a whole year such as 2023, got {report_year!r}")
    if report_year not in REPORTS:
        known = ", ".join(str(year) for year in sorted(REPORTS))
        raise ValueError(
            f"there are no DORA tiers for report year {report_year}; known years: {known}"
        )
    return report_year


def rules(metric: str, report_year: int = DEFAULT_REPORT_YEAR) -> tuple[TierRule, ...]:
    """The four rules of one metric in one year, Elite first."""
    check_report_year(report_year)
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    found = [r for r in TIER_TABLE if r.report_year == report_year and r.metric == metric]
    return tuple(sorted(found, key=lambda r: TIERS.index(r.tier)))


def _check_value(metric: str, value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value) or value < 0:
        raise ValueError(f"{metric} must be a finite number of at least 0, got {value}")
    if metric == "change_failure_rate" and value > 1:
        raise ValueError(
            f"change_failure_rate is a fraction between 0 and 1 (0.15 is 15 %), got {value}"
        )
    return value


def tier_for(metric: str, value: float | None, report_year: int = DEFAULT_REPORT_YEAR) -> str | None:
    """The tier of one metric's value, or ``None`` when the value is missing (``None``/NaN)."""
    metric_rules = rules(metric, report_year)
    checked = _check_value(metric, value)
    if checked is None:
        return None
    for rule in metric_rules:
        if rule.matches(checked):
            return rule.tier
    raise AssertionError("the last rule of every metric is 'otherwise'")  # pragma: no cover


def lowest(tiers: list[str | None]) -> str | None:
    """The lowest of some tiers, ignoring ``None``; ``None`` when none is known."""
    known = [t for t in tiers if t is not None]
    return max(known, key=TIERS.index) if known else None


def classify(
    deploys_per_week: float | None,
    lead_time_median_hours: float | None,
    change_failure_rate: float | None,
    time_to_restore_median_hours: float | None,
    report_year: int = DEFAULT_REPORT_YEAR,
) -> Tiers:
    """Tier of each key for ``report_year`` and the overall tier (the lowest known one)."""
    check_report_year(report_year)
    values = {
        "deployment_frequency": deploys_per_week,
        "lead_time": lead_time_median_hours,
        "change_failure_rate": change_failure_rate,
        "time_to_restore": time_to_restore_median_hours,
    }
    tiers = {metric: tier_for(metric, value, report_year) for metric, value in values.items()}
    return Tiers(report_year=report_year, overall=lowest(list(tiers.values())), **tiers)


def tier_table(report_year: int | None = None) -> pd.DataFrame:
    """:data:`TIER_TABLE` as a DataFrame (one year, or both), for notebooks and the docs."""
    if report_year is not None:
        check_report_year(report_year)
    rows = [
        {
            "report_year": r.report_year,
            "metric": r.metric,
            "tier": r.tier,
            "report_text": r.report_text,
            "comparison": r.comparison,
            "bound": r.bound,
            "unit": r.unit,
            "reason": r.reason,
        }
        for r in TIER_TABLE
        if report_year is None or r.report_year == report_year
    ]
    return pd.DataFrame(rows)
