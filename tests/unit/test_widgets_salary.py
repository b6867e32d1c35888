"""The salary widgets, driven from Python: set a control, read the result, compare with the
library's own answer for the same input; bad input shows a sentence, never a traceback."""

from __future__ import annotations

import html

import pytest
from widget_checks import assert_error, assert_ok

from interview_lab import salary
from interview_lab.salary import usd
from interview_lab.widgets.salary import (
    BandExplorerWidget,
    CounterOfferWidget,
    OfferComparisonWidget,
    TotalCompWidget,
    parse_vesting,
)

# --------------------------------------------------------------------------------------
# Band explorer
# --------------------------------------------------------------------------------------


def test_band_explorer_starts_on_the_chapter_seattle_band():
    w = BandExplorerWidget()
    assert_ok(w)
    band = salary.lookup_band("DevOps Engineer", "Seattle, WA", 2)
    assert (band.low_usd, band.mid_usd, band.high_usd) == (95000, 110000, 140000)
    position = salary.band_position(110000, band.low_usd, band.high_usd)
    assert html.escape(position.summary) in w.result.value
    assert "Illustrative figures" in w.result.value


def test_band_explorer_role_changes_the_locations_and_the_band():
    w = BandExplorerWidget()
    role = "Network and Computer Systems Administrators"
    w.role.value = role
    assert list(w.location.options) == ["United States"]
    assert_ok(w)
    band = salary.lookup_band(role, "United States", 2)
    assert band.basis == "BLS OEWS"
    assert f"{usd(band.low_usd)} - {usd(band.high_usd)}" in w.result.value
    assert f"median</td><td>{usd(band.mid_usd)}" in w.result.value
    w.offer_usd.value = 90000.0
    position = salary.band_position(90000, band.low_usd, band.high_usd)
    assert html.escape(position.summary) in w.result.value
    assert "Illustrative" not in w.result.value


def test_band_explorer_bad_input_shows_a_message():
    w = BandExplorerWidget()
    w.offer_usd.value = -5.0
    assert_error(w, "offer_usd must be greater than 0, got -5.0")
    w.offer_usd.value = 110000.0
    assert_ok(w)
    w.years_experience.value = 7.0  # the chapter's Seattle figures are for 2 years only
    assert_error(w, "covers 7 years of experience")


# --------------------------------------------------------------------------------------
# Counter-offer
# --------------------------------------------------------------------------------------


def test_counter_offer_defaults_cap_the_chapter_example_at_the_band_top():
    w = CounterOfferWidget()
    assert_ok(w)
    expected = salary.counter_offer(110000, band_high_usd=115000, stated_ask_usd=120000)
    assert expected.figure_usd == 115000
    assert f"Counter at {usd(expected.figure_usd)}" in w.result.value
    assert html.escape(expected.reasoning) in w.result.value
    assert w.calculate().counter == expected


def test_counter_offer_follows_a_competing_offer_and_none_for_zero():
    w = CounterOfferWidget()
    w.competing_offer_usd.value = 126500.0
    expected = salary.counter_offer(
        110000, band_high_usd=115000, competing_offer_usd=126500, stated_ask_usd=120000
    )
    assert f"Counter at {usd(expected.figure_usd)}" in w.result.value
    assert expected.figure_usd == 126000
    w.competing_offer_usd.value = 0.0
    w.stated_ask_usd.value = 0.0
    expected = salary.counter_offer(110000, band_high_usd=115000)
    assert f"Counter at {usd(expected.figure_usd)}" in w.result.value
    assert_ok(w)


@pytest.mark.parametrize(
    ("control", "value", "expected"),
    [
        ("offer_usd", -110000.0, "offer_usd must be greater than 0"),
        ("competing_offer_usd", -1.0, "competing_offer_usd must be greater than 0"),
        ("band_low_usd", 120000.0, "must be below band_high_usd"),
        ("band_high_usd", -115000.0, "band_high_usd must be greater than 0"),
    ],
)
def test_counter_offer_bad_input_shows_a_message(control, value, expected):
    w = CounterOfferWidget()
    getattr(w, control).value = value
    assert_error(w, expected)


# --------------------------------------------------------------------------------------
# Total compensation
# --------------------------------------------------------------------------------------


def _offer(**changes):
    settings = {
        "base_usd": 110000.0, "sign_on_usd": 10000.0, "bonus_pct": 10.0, "equity_usd": 40000.0,
        "vesting_pct": (25.0, 25.0, 25.0, 25.0), "cliff_months": 12, "annual_raise_pct": 3.0,
        "sign_on_clawback_months": 12,
    }  # fmt: skip
    return salary.Offer(**{**settings, **changes})


def test_total_comp_matches_the_library():
    w = TotalCompWidget()
    assert_ok(w)
    offer = _offer()
    assert f"First year: <b>{usd(round(salary.first_year_total(offer)))}</b>" in w.result.value
    assert usd(round(salary.four_year_total(offer))) in w.result.value
    assert usd(round(salary.earned_by_month(offer, 18))) in w.result.value


def test_total_comp_follows_the_controls():
    w = TotalCompWidget()
    w.base_usd.value = 150000.0
    w.vesting_pct.value = "10, 20, 30, 40"
    w.leave_after_months.value = 11
    assert_ok(w)
    offer = _offer(base_usd=150000.0, vesting_pct=(10.0, 20.0, 30.0, 40.0))
    schedule = salary.compensation_schedule(offer, 4)
    for total in schedule["total_usd"]:
        assert usd(round(total)) in w.result.value
    # Leaving before the cliff and the clawback keeps only the base salary paid so far.
    assert salary.earned_by_month(offer, 11) == pytest.approx(150000 / 12 * 11)
    assert f"you keep <b>{usd(round(salary.earned_by_month(offer, 11)))}</b>" in w.result.value


@pytest.mark.parametrize(
    ("control", "value", "expected"),
    [
        ("base_usd", -90000.0, "base_usd must be greater than 0"),
        ("vesting_pct", "30, 30", "vesting_pct must add up to 100, got 60"),
        ("vesting_pct", "25, 25, lots", "vesting must be numbers separated by commas"),
        ("vesting_pct", "", "vesting must list each year's percentage"),
        ("cliff_months", 60, "must not be longer than the vesting schedule"),
        ("leave_after_months", -1, "months must be at least 0"),
    ],
)
def test_total_comp_bad_input_shows_a_message(control, value, expected):
    w = TotalCompWidget()
    getattr(w, control).value = value
    assert_error(w, expected)


def test_parse_vesting():
    assert parse_vesting("25, 25; 25 ,25") == (25.0, 25.0, 25.0, 25.0)
    with pytest.raises(ValueError, match="separated by commas"):
        parse_vesting("a, b")


# --------------------------------------------------------------------------------------
# Two offers
# --------------------------------------------------------------------------------------


def test_offer_comparison_defaults_break_even_like_the_library():
    w = OfferComparisonWidget()
    assert_ok(w)
    a = salary.Offer(base_usd=115000, sign_on_usd=20000, name="Offer A")
    b = salary.Offer(base_usd=110000, bonus_pct=10, equity_usd=40000,
                     vesting_pct=(10, 20, 30, 40), name="Offer B")
    expected = salary.compare_offers(a, b, 4)
    assert expected.break_even_year == 2 and expected.overtaker == "Offer B"
    assert f"Break-even: <b>year {expected.break_even_year}</b>" in w.result.value
    assert w.calculate() == expected
    for value in expected.cumulative_a + expected.cumulative_b:
        assert usd(round(value)) in w.result.value


def test_offer_comparison_follows_the_controls():
    w = OfferComparisonWidget()
    w.a_base_usd.value = 140000.0
    w.b_name.value = "Bigco"
    assert_ok(w)
    a = salary.Offer(base_usd=140000, sign_on_usd=20000, name="Offer A")
    b = salary.Offer(base_usd=110000, bonus_pct=10, equity_usd=40000,
                     vesting_pct=(10, 20, 30, 40), name="Bigco")
    expected = salary.compare_offers(a, b, 4)
    assert expected.break_even_year is None
    assert html.escape(expected.summary) in w.result.value
    assert "No break-even" in w.result.value


def test_offer_comparison_bad_input_shows_a_message():
    w = OfferComparisonWidget()
    w.b_base_usd.value = -1.0
    assert_error(w, "base_usd must be greater than 0, got -1.0")
    w.b_base_usd.value = 110000.0
    w.years.value = 0
    assert_error(w, "years must be at least 1, got 0")
