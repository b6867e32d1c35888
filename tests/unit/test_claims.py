"""Keep ``data/claims.csv`` (the audit of the chapter's claims) and the library in agreement.

Three kinds of check:

* the file's shape: its columns, unique ids, the three verdicts, a reason for every claim
  that does not hold;
* numeric claims: the library recomputes the figure; the first number of ``recomputed``
  must be that figure as displayed, and the verdict must be ``holds`` exactly when the
  chapter's figure (the first number of ``claimed``) agrees with it within the chapter's
  own rounding;
* DORA tier claims: :mod:`interview_lab.dora_tiers` gives the tier, ``recomputed`` starts
  with it, and the verdict is ``holds`` exactly when it is the tier the chapter claims.

A few recomputations have no library function (a ratio, an uptime budget, ECS deployment
bounds); they are computed here in plain Python, still from the chapter's inputs.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from interview_lab import capacity, dora_tiers, planner, salary
from interview_lab.settings import data_path

COLUMNS = ["id", "section", "claim", "claimed", "recomputed", "verdict", "why"]
VERDICTS = {"holds", "wrong", "unverifiable"}
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")

# Prices the library does not hold (us-east-1, on demand, checked March 2026):
# Application Load Balancer 0.0225 USD per ALB-hour; NAT gateway 0.045 USD per hour.
ALB_USD_PER_HOUR = 0.0225
NAT_GATEWAY_USD_PER_HOUR = 0.045


def _rows() -> dict[str, dict[str, str]]:
    with open(data_path("claims.csv"), newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


ROWS = _rows()


def numbers(text: str) -> list[str]:
    """The numbers written in a cell, as text (thousands separators kept)."""
    return NUMBER.findall(text)


def as_float(token: str) -> float:
    return float(token.replace(",", ""))


def displayed(value: float, token: str) -> bool:
    """Whether ``token`` is ``value`` rounded to the digits ``token`` shows."""
    digits = len(token.split(".")[1]) if "." in token else 0
    return math.isclose(round(value, digits), as_float(token), abs_tol=10 ** -(digits + 3))


# --------------------------------------------------------------------------------------
# The file's shape
# --------------------------------------------------------------------------------------


def test_columns_in_order():
    with open(data_path("claims.csv"), newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == COLUMNS


def test_ids_unique_and_verdicts_known():
    with open(data_path("claims.csv"), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "every claim id appears once"
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert {r["verdict"] for r in rows} <= VERDICTS
    assert len(rows) >= 50, "the audit covers every checkable claim of the chapter"


def test_every_cell_filled_and_every_doubt_explained():
    for row in ROWS.values():
        for column in ("section", "claim", "claimed", "recomputed"):
            assert row[column].strip(), f"{row['id']}: {column} is empty"
        if row["verdict"] != "holds":
            why = row["why"].strip()
            assert why.endswith("."), f"{row['id']}: the reason is a sentence ending in a full stop"
            assert len(why.split()) >= 8, f"{row['id']}: the reason is too short to teach anything"


def test_no_machine_paths():
    text = data_path("claims.csv").read_text(encoding="utf-8")
    assert not re.search(r"(/home/|/root/|/tmp/|/work/)", text)


# --------------------------------------------------------------------------------------
# Numeric claims against the library
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """How to recompute one claim's figure in the unit its ``recomputed`` cell uses.

    ``holds_rel_tol``: how far the chapter's figure may be from the right one and still be
    called right (its own rounding); ``None`` when the verdict does not come from comparing
    the two figures (for example when the chapter states a rule, not a number).
    """

    value: Callable[[], float]
    holds_rel_tol: float | None = 0.01
    also: tuple[Callable[[], float], ...] = ()  # further numbers of the recomputed cell, in order


def _monitoring(bytes_per_sample: float = 8.0):
    return capacity.monitoring_estimate(1000, 100, 15, bytes_per_sample, 15)


def _thanos(bytes_per_sample: float):
    return capacity.thanos_storage_estimate(1000, 100, 15, 15, 90, 365, bytes_per_sample)


def _smallest_task_usd_per_hour() -> float:
    return capacity.fargate_task_hourly_cost(0.25, 0.5)


def _chapter_backoff_waits(max_retries: int = 3) -> list[int]:
    """The chapter's loop: tries 1..max_retries, sleeping 2**attempt after every try but the last."""
    return [2**attempt for attempt in range(1, max_retries + 1) if attempt < max_retries]


FIGURES: dict[str, Figure] = {
    "loop-length": Figure(lambda: planner.loop_minutes()[0], None,
                          (lambda: planner.loop_minutes()[1],)),
    "design-framework-length": Figure(lambda: capacity.design_phase_range_minutes()[0], None,
                                      (lambda: capacity.design_phase_range_minutes()[1],)),
    "q4-image-reduction": Figure(lambda: capacity.image_size_reduction_pct(680, 192)),
    "q4-build-time-reduction": Figure(lambda: capacity.build_time_reduction_pct(95, 12), 0.01,
                                      (lambda: capacity.speedup_factor(95, 12),)),
    "q14-image-steps": Figure(
        lambda: capacity.stepwise_reductions("abcd", [680, 350, 220, 192])["step_reduction_pct"][1],
        None,
        (
            lambda: capacity.stepwise_reductions("abcd", [680, 350, 220, 192])[
                "step_reduction_pct"][2],
            lambda: capacity.stepwise_reductions("abcd", [680, 350, 220, 192])[
                "step_reduction_pct"][3],
            lambda: capacity.image_size_reduction_pct(680, 192),
        ),
    ),
    "q14-build-steps": Figure(lambda: capacity.build_time_reduction_pct(95, 30), None,
                              (lambda: capacity.build_time_reduction_pct(30, 12),
                               lambda: capacity.build_time_reduction_pct(95, 12))),
    "q6-scale-out-add-one": Figure(lambda: capacity.target_tracking_desired(3, 100, 70, 3, 10),
                                   None),
    "q6-normal-load": Figure(lambda: capacity.target_tracking_desired(3, 40, 70, 3, 10)),
    "q6-peak-load": Figure(lambda: capacity.target_tracking_desired(7, 65, 70, 3, 10)),
    "q6-baseline-cost": Figure(
        lambda: capacity.monthly_cost_of_task_series([3], _smallest_task_usd_per_hour()), 0.01),
    "q6-ten-task-cost": Figure(lambda: 28.80 * 10 / 3, 0.01,
                               (lambda: capacity.monthly_cost_of_task_series(
                                   [10], _smallest_task_usd_per_hour()),)),
    "q6-burst-cost": Figure(
        lambda: capacity.task_hours_cost(7, 1, _smallest_task_usd_per_hour()), 0.1,
        (lambda: capacity.task_hours_cost(7, 1, 28.80 / (3 * capacity.HOURS_PER_MONTH)),)),
    "q7-eks-control-plane": Figure(capacity.eks_control_plane_monthly_usd),
    "q15-ecs-vs-eks-total": Figure(lambda: 60 + capacity.eks_control_plane_monthly_usd(), None),
    "cost-60-per-month": Figure(
        lambda: capacity.monthly_cost_of_task_series([3], _smallest_task_usd_per_hour())
        + (ALB_USD_PER_HOUR + NAT_GATEWAY_USD_PER_HOUR) * capacity.HOURS_PER_MONTH,
        0.05,
        (lambda: capacity.monthly_cost_of_task_series([3], _smallest_task_usd_per_hour()),
         lambda: ALB_USD_PER_HOUR * capacity.HOURS_PER_MONTH,
         lambda: NAT_GATEWAY_USD_PER_HOUR * capacity.HOURS_PER_MONTH),
    ),
    "q17-samples-per-minute-4m": Figure(lambda: _monitoring().samples_per_minute),
    "q17-samples-per-minute-400k": Figure(lambda: _monitoring().samples_per_minute),
    "q17-scrape-payload": Figure(lambda: capacity.scrape_bytes_per_minute(1000, 1000, 15) / 1e6),
    "q17-bytes-per-minute": Figure(lambda: _monitoring().bytes_per_minute / 1e6),
    "q17-bytes-per-day": Figure(lambda: _monitoring().bytes_per_day / 1e9),
    "q17-retention-15d": Figure(lambda: _monitoring().retention_gb),
    "q17-compression-3x": Figure(lambda: _monitoring(2).retention_gb, None,
                                 (lambda: _monitoring(1).retention_gb,)),
    "q17-prometheus-retention": Figure(lambda: capacity.PROMETHEUS_DEFAULT_RETENTION_DAYS),
    "q17-downsample-5m": Figure(lambda: capacity.downsampling_ratio(15, 300)),
    # The claim is about data size: bytes shrink about 1x (Thanos docs), points 240x.
    "q17-downsample-1h": Figure(lambda: 1 / capacity.downsampled_size_ratio(15, 3600), 0.01,
                                (lambda: capacity.downsampling_ratio(15, 3600),)),
    "q17-downsampling-saves-95": Figure(
        lambda: (1 - capacity.downsampled_size_ratio(15, 300)) * 100, 0.01,
        (lambda: -_thanos(8).saving_vs_raw_only * 100,
         lambda: _thanos(8).saving_vs_all_resolutions * 100)),
    "q17-s3-price": Figure(lambda: capacity.S3_STANDARD_USD_PER_GIB_MONTH),
    "q17-s3-per-server": Figure(lambda: _thanos(8).usd_per_month_per_server, 0.01,
                                (lambda: _thanos(2).usd_per_month_per_server,)),
    "neg-offer-in-band": Figure(lambda: salary.band_position(110000, 105000, 115000)
                                .percent_through, None),
    "neg-118k-compromise": Figure(
        lambda: salary.counter_offer(110000, band_high_usd=115000, stated_ask_usd=120000)
        .figure_usd, 0.0,
        (lambda: -salary.band_position(118000, 105000, 115000).gap_to_top_usd,)),
    "summary-cost-72": Figure(lambda: capacity.image_size_reduction_pct(680, 192), None),
    # Plain arithmetic: no library function computes these.
    "star-60x": Figure(lambda: 15 / 1),
    "uptime-budget": Figure(lambda: (1 - 0.9997) * 30 * 24 * 60, None,
                            (lambda: (30 * 24 * 60 - 18) / (30 * 24 * 60) * 100,)),
    "q9-error-rate-consistency": Figure(lambda: 120 * 0.03 / 100, 0.15),
    "q20-max-percent": Figure(lambda: math.floor(3 * 200 / 100), 0.0),
    "q20-min-healthy": Figure(lambda: math.ceil(3 * 100 / 100), 0.0),
    "q20-alarm-duration": Figure(lambda: 2 * 300 / 60, 0.0),
    "q19-backoff-waits": Figure(lambda: _chapter_backoff_waits()[0], None,
                                (lambda: _chapter_backoff_waits()[1],)),
}


def test_every_figure_names_a_claim():
    assert set(FIGURES) <= set(ROWS), sorted(set(FIGURES) - set(ROWS))


@pytest.mark.parametrize("claim_id", sorted(FIGURES))
def test_recomputed_figure_matches_library(claim_id):
    row, figure = ROWS[claim_id], FIGURES[claim_id]
    shown = numbers(row["recomputed"])
    expected = [figure.value(), *(f() for f in figure.also)]
    assert len(shown) >= len(expected), f"{claim_id}: recomputed shows {shown}"
    for token, value in zip(shown, expected, strict=False):
        assert displayed(value, token), (
            f"{claim_id}: recomputed shows {token}, the library gives {value}"
        )


@pytest.mark.parametrize(
    "claim_id", sorted(k for k, f in FIGURES.items() if f.holds_rel_tol is not None)
)
def test_verdict_follows_from_the_figures(claim_id):
    row, figure = ROWS[claim_id], FIGURES[claim_id]
    claimed = as_float(numbers(row["claimed"])[0])
    right = figure.value()
    agrees = math.isclose(claimed, right, rel_tol=figure.holds_rel_tol, abs_tol=1e-9)
    assert row["verdict"] == ("holds" if agrees else "wrong"), (
        f"{claim_id}: the chapter says {claimed}, the library {right}"
    )


def test_wrong_figures_by_how_much():
    """The headline corrections, as the closing note states them."""
    assert _monitoring().samples_per_minute * 10 == 4_000_000
    assert capacity.scrape_bytes_per_minute(1000, 1000, 15) * 60 == 240_000_000
    assert capacity.downsampling_ratio(15, 300) == 20 != 72
    # Downsampling saves no bytes; the chapter's plan stores more than a year of raw data.
    assert capacity.downsampled_size_ratio(15, 3600) == 1.0
    assert _thanos(8).total_bytes > _thanos(8).raw_only_bytes
    assert 0.50 / _thanos(8).usd_per_month_per_server > 10
    # ~23 GB (the chapter's 69.12 GB / 3) against the docs' 1-2 B per sample: 1.3-2.7x.
    chapter_gb = _monitoring().retention_gb / 3
    assert round(chapter_gb / _monitoring(2).retention_gb, 1) == 1.3
    assert round(chapter_gb / _monitoring(1).retention_gb, 1) == 2.7
    assert capacity.target_tracking_desired(3, 100, 70, 3, 10) - 3 == 2
    assert _chapter_backoff_waits() == [2, 4]
    with pytest.raises(ValueError, match="must be one of 4, 5"):
        capacity.fargate_task_hourly_cost(2, 0.625)
    sizes = capacity.fargate_sizes_for_cost(28.80, 3 * capacity.HOURS_PER_MONTH)
    assert sizes["difference_usd"].abs().min() > 1.0, "no Fargate size costs $28.80 for 3 tasks"


# --------------------------------------------------------------------------------------
# DORA tier claims
# --------------------------------------------------------------------------------------

# id -> (metric, value in the tier table's unit, report year, the tier the chapter claims)
TIER_CLAIMS: dict[str, tuple[str, float, int, str]] = {
    "dora-frequency-2021": ("deployment_frequency", 15, 2021, "Elite"),
    "dora-frequency-2023": ("deployment_frequency", 15, 2023, "Elite"),
    "dora-lead-time-2021": ("lead_time", 3, 2021, "Elite"),
    "dora-lead-time-2023": ("lead_time", 3, 2023, "Elite"),
    "dora-cfr-5-2021": ("change_failure_rate", 0.05, 2021, "Elite"),
    "dora-cfr-5-2023": ("change_failure_rate", 0.05, 2023, "Elite"),
    "dora-restore-12min": ("time_to_restore", 12 / 60, 2023, "Elite"),
}
# The chapter says a 15 % failure rate was not yet Elite.
NOT_ELITE_CLAIMS: dict[str, tuple[str, float, int]] = {
    "dora-cfr-15-2021": ("change_failure_rate", 0.15, 2021),
    "dora-cfr-15-2023": ("change_failure_rate", 0.15, 2023),
}
OVERALL_CLAIMS = {"dora-overall-2021": 2021, "dora-overall-2023": 2023}


@pytest.mark.parametrize("claim_id", sorted(TIER_CLAIMS))
def test_tier_claims(claim_id):
    metric, value, year, claimed = TIER_CLAIMS[claim_id]
    row = ROWS[claim_id]
    tier = dora_tiers.tier_for(metric, value, year)
    assert row["claimed"] == claimed
    assert row["recomputed"].startswith(tier), f"{claim_id}: the {year} tier is {tier}"
    assert row["verdict"] == ("holds" if tier == claimed else "wrong")


def test_twelve_minutes_is_elite_in_both_years():
    assert {dora_tiers.tier_for("time_to_restore", 12 / 60, y) for y in (2021, 2023)} == {"Elite"}


@pytest.mark.parametrize("claim_id", sorted(NOT_ELITE_CLAIMS))
def test_fifteen_percent_claims(claim_id):
    metric, value, year = NOT_ELITE_CLAIMS[claim_id]
    row = ROWS[claim_id]
    tier = dora_tiers.tier_for(metric, value, year)
    assert row["recomputed"].startswith(tier)
    assert row["verdict"] == ("wrong" if tier == "Elite" else "holds")


@pytest.mark.parametrize("claim_id", sorted(OVERALL_CLAIMS))
def test_overall_elite_claims(claim_id):
    year = OVERALL_CLAIMS[claim_id]
    tiers = dora_tiers.classify(15, 3, 0.05, 12 / 60, report_year=year)
    row = ROWS[claim_id]
    assert row["recomputed"].startswith(tiers.overall)
    assert row["verdict"] == ("holds" if tiers.overall == "Elite" else "wrong")


def test_q1_result_is_elite_on_its_three_keys_in_both_years():
    for year in (2021, 2023):
        tiers = dora_tiers.classify(15, None, 0.05, 12 / 60, report_year=year)
        assert tiers.overall == "Elite"
    assert ROWS["q1-dora-result"]["verdict"] == "holds"
