"""Unit and property tests for interview_lab.salary (chapter figures as regression values)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_lab import salary as s

# --------------------------------------------------------------------------------------
# Band position
# --------------------------------------------------------------------------------------


def test_chapter_offer_sits_in_the_middle_of_the_stated_band():
    p = s.band_position(110_000, 105_000, 115_000)
    assert p.where == "inside"
    assert p.percent_through == 50.0
    assert p.gap_to_top_usd == 5_000
    assert p.summary == "$110,000 is inside the band $105,000-$115,000, 50% of the way up"


def test_chapter_ask_against_the_seattle_example():
    # The chapter's $120K target is 56 % of the way up its 95-140K example.
    p = s.band_position(120_000, 95_000, 140_000)
    assert p.where == "inside"
    assert p.percent_through == pytest.approx(55.5556, abs=1e-4)


@pytest.mark.parametrize(
    "offer, where, percent, summary",
    [
        (100_000, "below", -50.0, "$100,000 is below the band $105,000-$115,000 by $5,000"),
        (120_000, "above", 150.0, "$120,000 is above the band $105,000-$115,000 by $5,000"),
        (105_000, "inside", 0.0, "$105,000 is inside the band $105,000-$115,000, 0% of the way up"),
        (
            115_000,
            "inside",
            100.0,
            "$115,000 is inside the band $105,000-$115,000, 100% of the way up",
        ),
    ],
)
def test_band_position_edges(offer, where, percent, summary):
    p = s.band_position(offer, 105_000, 115_000)
    assert (p.where, p.percent_through, p.summary) == (where, percent, summary)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            (110_000, 115_000, 105_000),
            "band_low_usd ($115,000) must be below band_high_usd ($105,000)",
        ),
        (
            (110_000, 100_000, 100_000),
            "band_low_usd ($100,000) must be below band_high_usd ($100,000)",
        ),
        ((0, 100_000, 120_000), "offer_usd must be greater than 0, got 0"),
        ((float("nan"), 100_000, 120_000), "offer_usd must be a finite number, got nan"),
        (("110k", 100_000, 120_000), "offer_usd must be a number, got '110k'"),
    ],
)
def test_band_position_validation(args, message):
    with pytest.raises(ValueError) as error:
        s.band_position(*args)
    assert str(error.value) == message


@settings(max_examples=100, deadline=None)
@given(low=st.floats(1, 1e6), width=st.floats(1, 1e6), offer=st.floats(1, 3e6))
def test_position_agrees_with_percent(low, width, offer):
    p = s.band_position(offer, low, low + width)
    if p.where == "inside":
        assert -1e-9 <= p.percent_through <= 100 + 1e-9
    elif p.where == "below":
        assert p.percent_through < 0
    else:
        assert p.percent_through > 100


# --------------------------------------------------------------------------------------
# Counter-offer
# --------------------------------------------------------------------------------------


def test_chapter_negotiation_counter_is_the_band_top():
    counter = s.counter_offer(110_000, band_high_usd=115_000, stated_ask_usd=120_000)
    assert counter.figure_usd == 115_000  # the chapter's 118K exceeds every figure it cites
    assert counter.capped_by == "band top"
    assert counter.increase_usd == 5_000
    assert counter.increase_pct == pytest.approx(4.5455, abs=1e-4)
    assert counter.reasoning == (
        "The offer is $110,000. The employer's band tops out at $115,000. There is no competing "
        "offer. Your stated ask of $120,000 is above the band top ($115,000); nothing you can "
        "point to supports more than that. Counter at $115,000: $5,000 (4.5%) above the offer."
    )


def test_competing_offer_above_the_ask_sets_the_ceiling():
    counter = s.counter_offer(
        110_000, band_high_usd=115_000, competing_offer_usd=125_000, stated_ask_usd=120_000
    )
    assert counter.figure_usd == 125_000
    assert counter.capped_by == "competing offer"
    assert "competing offer is higher and is new evidence" in counter.reasoning


def test_ask_within_the_evidence_is_asked_for():
    counter = s.counter_offer(110_000, band_high_usd=130_000, stated_ask_usd=120_000)
    assert (counter.figure_usd, counter.capped_by) == (120_000, "stated ask")
    only_ask = s.counter_offer(110_000, stated_ask_usd=118_000)
    assert (only_ask.figure_usd, only_ask.capped_by) == (118_000, "stated ask")


def test_competing_offer_alone_and_rounding_down():
    counter = s.counter_offer(110_000, competing_offer_usd=117_600)
    assert (counter.figure_usd, counter.capped_by) == (117_000, "competing offer")
    finer = s.counter_offer(110_000, competing_offer_usd=117_600, round_to_usd=100)
    assert finer.figure_usd == 117_600


def test_no_room_means_negotiating_the_package():
    counter = s.counter_offer(115_000, band_high_usd=115_000)
    assert counter.figure_usd == 115_000
    assert counter.capped_by == "offer"
    assert counter.increase_usd == 0
    assert "negotiate the rest of the package" in counter.reasoning


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {},
            "a counter-offer needs evidence: give the band top, a competing offer or your stated ask",
        ),
        (dict(band_high_usd=-1), "band_high_usd must be greater than 0, got -1"),
        (dict(competing_offer_usd=0), "competing_offer_usd must be greater than 0, got 0"),
        (dict(stated_ask_usd=float("inf")), "stated_ask_usd must be a finite number, got inf"),
        (dict(band_high_usd=120_000, round_to_usd=0), "round_to_usd must be greater than 0, got 0"),
    ],
)
def test_counter_offer_validation(kwargs, message):
    with pytest.raises(ValueError) as error:
        s.counter_offer(110_000, **kwargs)
    assert str(error.value) == message


money = st.integers(50_000, 400_000).map(float)


@settings(max_examples=200, deadline=None)
@given(
    offer=money,
    top=st.none() | money,
    rival=st.none() | money,
    ask=st.none() | money,
)
def test_counter_stays_within_evidence(offer, top, rival, ask):
    if top is None and rival is None and ask is None:
        return
    counter = s.counter_offer(
        offer, band_high_usd=top, competing_offer_usd=rival, stated_ask_usd=ask
    )
    evidence = [v for v in (top, rival) if v is not None]
    assert counter.figure_usd >= offer
    if counter.figure_usd > offer:
        if evidence:
            assert counter.figure_usd <= max(evidence)
        if ask is not None and (rival is None or rival <= ask):
            assert counter.figure_usd <= ask
    assert counter.increase_usd == counter.figure_usd - offer


# --------------------------------------------------------------------------------------
# Offers and total compensation
# --------------------------------------------------------------------------------------

OFFER = s.Offer(
    110_000, sign_on_usd=10_000, bonus_pct=10, equity_usd=40_000, annual_raise_pct=3, name="A"
)


def test_compensation_schedule():
    frame = s.compensation_schedule(OFFER)
    assert list(frame.columns) == [
        "year", "base_usd", "bonus_usd", "sign_on_usd", "equity_usd", "total_usd", "cumulative_usd",
    ]  # fmt: skip
    assert frame["base_usd"].tolist() == pytest.approx([110_000, 113_300, 116_699, 120_199.97])
    assert frame["bonus_usd"].tolist() == pytest.approx([11_000, 11_330, 11_669.9, 12_019.997])
    assert frame["sign_on_usd"].tolist() == [10_000, 0, 0, 0]
    assert frame["equity_usd"].tolist() == [10_000] * 4
    assert frame["total_usd"].tolist() == pytest.approx([141_000, 134_630, 138_368.9, 142_219.967])
    assert s.first_year_total(OFFER) == 141_000
    assert s.four_year_total(OFFER) == pytest.approx(556_218.867)


def test_equity_beyond_the_schedule_is_zero():
    frame = s.compensation_schedule(
        s.Offer(100_000, equity_usd=100_000, vesting_pct=(50, 50)), years=4
    )
    assert frame["equity_usd"].tolist() == [50_000, 50_000, 0, 0]


def test_back_loaded_vesting():
    offer = s.Offer(100_000, equity_usd=120_000, vesting_pct=(5, 15, 40, 40))
    assert s.compensation_schedule(offer)["equity_usd"].tolist() == pytest.approx(
        [6_000, 18_000, 48_000, 48_000]
    )


def test_cliff_and_monthly_vesting():
    assert s.equity_vested_usd(OFFER, 11) == 0  # one-year cliff
    assert s.equity_vested_usd(OFFER, 12) == 10_000
    assert s.equity_vested_usd(OFFER, 18) == 15_000
    assert s.equity_vested_usd(OFFER, 48) == 40_000
    assert s.equity_vested_usd(OFFER, 60) == 40_000
    six = s.Offer(100_000, equity_usd=48_000, cliff_months=6)
    assert s.equity_vested_usd(six, 5) == 0
    assert s.equity_vested_usd(six, 6) == 6_000


def test_earned_by_month():
    # Leave after 11 months: 11 months of base; sign-on repaid; no bonus; nothing vested.
    assert s.earned_by_month(OFFER, 11) == pytest.approx(110_000 * 11 / 12)
    assert s.earned_by_month(OFFER, 12) == pytest.approx(s.first_year_total(OFFER))
    assert s.earned_by_month(OFFER, 0) == 0
    assert s.earned_by_month(OFFER, 48) == pytest.approx(s.four_year_total(OFFER))


@settings(max_examples=60, deadline=None)
@given(
    base=st.integers(30_000, 400_000),
    sign_on=st.integers(0, 50_000),
    bonus=st.integers(0, 30),
    equity=st.integers(0, 400_000),
    raise_pct=st.integers(0, 10),
    cliff=st.integers(0, 12),
    years=st.integers(1, 6),
)
def test_earned_at_each_anniversary_matches_the_schedule(
    base, sign_on, bonus, equity, raise_pct, cliff, years
):
    offer = s.Offer(
        base,
        sign_on_usd=sign_on,
        bonus_pct=bonus,
        equity_usd=equity,
        annual_raise_pct=raise_pct,
        cliff_months=cliff,
    )
    schedule = s.compensation_schedule(offer, years)
    assert s.earned_by_month(offer, 12 * years) == pytest.approx(
        schedule["cumulative_usd"].iloc[-1]
    )
    assert (schedule["total_usd"] > 0).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(base_usd=0), "base_usd must be greater than 0, got 0"),
        (dict(base_usd=100_000, bonus_pct=-5), "bonus_pct must be 0 or more, got -5"),
        (
            dict(base_usd=100_000, vesting_pct=(25, 25, 25)),
            "vesting_pct must add up to 100, got 75",
        ),
        (
            dict(base_usd=100_000, vesting_pct=()),
            "vesting_pct must give at least one year's percentage",
        ),
        (
            dict(base_usd=100_000, vesting_pct="25,25,25,25"),
            "vesting_pct must be a list of yearly percentages, e.g. (25, 25, 25, 25)",
        ),
        (
            dict(base_usd=100_000, vesting_pct=(50, -10, 60)),
            "vesting_pct[1] must be 0 or more, got -10",
        ),
        (
            dict(base_usd=100_000, vesting_pct=(100,), cliff_months=13),
            "cliff_months (13) must not be longer than the vesting schedule (12 months)",
        ),
        (dict(base_usd=100_000, cliff_months=1.5), "cliff_months must be a whole number, got 1.5"),
        (dict(base_usd=100_000, name=" "), "name must be non-empty text"),
    ],
)
def test_offer_validation(kwargs, message):
    with pytest.raises(ValueError) as error:
        s.Offer(**kwargs)
    assert str(error.value) == message


def test_schedule_validation():
    with pytest.raises(ValueError, match="years must be at least 1, got 0"):
        s.compensation_schedule(OFFER, 0)
    with pytest.raises(ValueError, match="offer must be an Offer"):
        s.compensation_schedule({"base_usd": 1})
    with pytest.raises(ValueError, match="months must be at least 0, got -1"):
        s.earned_by_month(OFFER, -1)


# --------------------------------------------------------------------------------------
# Comparing offers
# --------------------------------------------------------------------------------------


def test_break_even_year():
    cash = s.Offer(120_000, name="cash")
    stock = s.Offer(100_000, equity_usd=100_000, vesting_pct=(5, 15, 40, 40), name="stock")
    comparison = s.compare_offers(cash, stock)
    assert comparison.cumulative_a == (120_000, 240_000, 360_000, 480_000)
    assert comparison.cumulative_b == (105_000, 220_000, 360_000, 500_000)
    assert comparison.leader == ("cash", "cash", "tie", "stock")
    assert comparison.difference == (15_000, 20_000, 0, -20_000)
    assert comparison.first_year_leader == "cash"
    assert (comparison.break_even_year, comparison.overtaker) == (4, "stock")
    assert comparison.summary == "cash is ahead at first; stock overtakes it in year 4."
    frame = comparison.to_frame()
    assert list(frame.columns) == [
        "year", "total_cash", "total_stock", "cumulative_cash", "cumulative_stock", "difference", "leader",
    ]  # fmt: skip


def test_no_break_even():
    comparison = s.compare_offers(OFFER, s.Offer(100_000, name="B"))
    assert comparison.break_even_year is None and comparison.overtaker is None
    assert comparison.summary == "A stays ahead for all 4 years; no break-even."


def test_identical_offers_and_names():
    comparison = s.compare_offers(s.Offer(100_000), s.Offer(100_000))
    assert (comparison.name_a, comparison.name_b) == ("offer (A)", "offer (B)")
    assert set(comparison.leader) == {"tie"}
    assert comparison.first_year_leader is None and comparison.break_even_year is None
    assert comparison.summary == "offer (A) and offer (B) pay the same every year."


def test_compare_validation():
    with pytest.raises(ValueError, match="compare_offers needs two Offer objects"):
        s.compare_offers(OFFER, 100_000)
    with pytest.raises(ValueError, match="years must be at least 1, got 0"):
        s.compare_offers(OFFER, OFFER, years=0)


@settings(max_examples=80, deadline=None)
@given(
    base_a=st.integers(50_000, 200_000),
    base_b=st.integers(50_000, 200_000),
    equity_b=st.integers(0, 600_000),
    years=st.integers(1, 6),
)
def test_break_even_is_the_first_change_of_leader(base_a, base_b, equity_b, years):
    a = s.Offer(base_a, name="a")
    b = s.Offer(base_b, equity_usd=equity_b, vesting_pct=(10, 20, 30, 40), name="b")
    comparison = s.compare_offers(a, b, years)
    strict = [x for x in comparison.leader if x != "tie"]
    if comparison.break_even_year is None:
        assert len(set(strict)) <= 1
    else:
        year = comparison.break_even_year
        assert comparison.leader[year - 1] == comparison.overtaker != comparison.first_year_leader
        assert all(
            x in ("tie", comparison.first_year_leader) for x in comparison.leader[: year - 1]
        )


# --------------------------------------------------------------------------------------
# Salary band data
# --------------------------------------------------------------------------------------


def test_shipped_bands():
    bands = s.load_salary_bands()
    assert list(bands.columns) == list(s.BAND_COLUMNS)
    chapter = s.lookup_band("DevOps Engineer", "Seattle, WA", 2, bands)
    assert (chapter.low_usd, chapter.mid_usd, chapter.high_usd) == (95_000, 110_000, 140_000)
    assert chapter.illustrative and chapter.band_id == "chapter-seattle-2yoe"
    example = s.band_by_id("chapter-offer-example", bands)
    assert (example.low_usd, example.mid_usd, example.high_usd) == (105_000, None, 115_000)
    bls = s.band_by_id("bls-oews-2019-us-15-1244", bands)
    assert bls.percentiles == (
        (10, 52_370),
        (25, 65_460),
        (50, 83_510),
        (75, 106_310),
        (90, 132_520),
    )
    assert (bls.low_usd, bls.mid_usd, bls.high_usd) == (65_460, 83_510, 106_310)
    assert bls.reference_year == 2019 and bls.occupation_code == "15-1244" and not bls.illustrative
    real = bands[bands["basis"] == "BLS OEWS"]
    assert real["source"].str.contains("https://www.bls.gov/").all()
    assert real["reference_year"].notna().all()
    assert (bands.loc[bands["basis"] == "illustrative", "note"].str.contains("illustrative")).all()


def test_lookup_band_is_case_insensitive_and_checks_experience():
    band = s.lookup_band("network and computer systems administrators", "UNITED STATES")
    assert band.band_id == "bls-oews-2019-us-15-1244"
    assert (
        s.lookup_band("Network and Computer Systems Administrators", "United States", 25).band_id
        == band.band_id
    )
    with pytest.raises(ValueError) as error:
        s.lookup_band("DevOps Engineer", "Seattle, WA", 5)
    assert str(error.value) == (
        "no band for 'DevOps Engineer' in 'Seattle, WA' covers 5 years of experience (the data covers 2-2 years)"
    )


def test_lookup_band_unknown_role():
    with pytest.raises(ValueError) as error:
        s.lookup_band("Platform Engineer", "Seattle, WA")
    assert str(error.value).startswith(
        "no salary band for 'Platform Engineer' in 'Seattle, WA'; the data has: "
    )
    assert "DevOps Engineer in Seattle, WA" in str(error.value)
    with pytest.raises(ValueError, match="role must be non-empty text"):
        s.lookup_band("", "Seattle, WA")
    with pytest.raises(
        ValueError, match="no salary band 'nope'; known bands: chapter-seattle-2yoe"
    ):
        s.band_by_id("nope")


HEADER = ",".join(s.BAND_COLUMNS)
GOOD = "x,illustrative,R,,L,,,1,2,3,,,,,,,src,illustrative"


@pytest.mark.parametrize(
    "rows, message",
    [
        ([GOOD.replace(",1,2,3,", ",one,2,3,")], "line 2, column low_usd: not a number: 'one'"),
        ([GOOD, GOOD], "line 3, column band_id: appears twice"),
        (
            [GOOD.replace("illustrative,R", "guess,R")],
            "line 2, column basis: must be one of illustrative, BLS OEWS",
        ),
        ([GOOD.replace(",1,2,3,", ",3,2,1,")], "line 2, column high_usd: must be above low_usd"),
        (
            [GOOD.replace(",1,2,3,", ",1,5,3,")],
            "line 2, column mid_usd: must lie between low_usd and high_usd",
        ),
        (
            [GOOD.replace(",1,2,3,", ",,2,3,")],
            "line 2, column low_usd: a band needs low_usd and high_usd",
        ),
        (
            ["y,BLS OEWS,R,15-1244,US,,,2,3,4,1,2,3,5,6,2019,src,n"],
            "line 2, column low_usd: for BLS rows low/mid/high must equal the 25th/50th/75th percentiles",
        ),
        (
            ["y,BLS OEWS,R,15-1244,US,,,2,3,4,1,2,3,4,6,,src,n"],
            "line 2, column reference_year: BLS rows need a reference year",
        ),
    ],
)
def test_band_file_validation(tmp_path, rows, message):
    path = tmp_path / "salary_bands.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with pytest.raises(ValueError) as error:
        s.load_salary_bands(str(path))
    assert str(error.value) == f"{path}, {message}"


def test_band_file_missing_column(tmp_path):
    path = tmp_path / "salary_bands.csv"
    path.write_text("band_id,role\nx,R\n")
    with pytest.raises(ValueError, match="missing column"):
        s.load_salary_bands(str(path))


def test_usd_format():
    assert s.usd(110_000) == "$110,000"
    assert s.usd(4.5) == "$4.50"
    assert s.usd(-5_000) == "-$5,000"
