"""Salary bands and offers: where an offer sits in a band, a counter-offer that stays
within the evidence, total compensation over the years, and the comparison of two offers.

Every function is pure and typed; results are frozen dataclasses (or pandas frames built
by vectorised arithmetic). Bad input raises ``ValueError`` with a sentence a learner can
act on. Money is US dollars per year unless a name says otherwise.

Conventions and sources
-----------------------
* A band is (low, high), optionally with a midpoint. "Percent through" the band is
  (offer - low) / (high - low) x 100, so 0 is the bottom, 100 the top, and values outside
  0-100 mean the offer lies outside the band.
* A counter-offer "within evidence" never asks for more than the strongest figure you can
  point to: the top of the employer's own band or a competing written offer. If you have
  already stated an ask, you do not counter above it unless a competing offer is higher
  (new evidence). The chapter's example (offer 110K, band 105-115K, ask 120K, no competing
  offer) therefore counters at 115K; the chapter's own 118K is above every piece of
  evidence it names.
* Total compensation per year = base (raised by ``annual_raise_pct`` at each anniversary)
  + target bonus (``bonus_pct`` of that year's base) + sign-on (year 1) + equity vesting in
  that year (grant value x the year's vesting percentage; no change in share price is
  assumed). Within a vesting year equity vests monthly, but nothing vests before the cliff
  (12 months by default); at the cliff everything accrued so far vests at once. A sign-on
  bonus is repaid if you leave before ``sign_on_clawback_months``.
* Salary data (``data/salary_bands.csv``): the chapter's illustrative DevOps figures, and
  US Bureau of Labor Statistics Occupational Employment and Wage Statistics (OEWS) annual
  wage percentiles, which are public domain. There is no DevOps occupation code; the file
  uses 15-1244 Network and Computer Systems Administrators, whose definition (install,
  configure and maintain servers and networks, monitor systems, verify backups, analyse
  resource consumption) is the closest to operations work, and 15-1133 Software
  Developers, Systems Software (folded into 15-1252 Software Developers in the 2018 SOC)
  for the development side of the role. For BLS rows the band is the 25th to 75th
  percentile and the midpoint the median.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------
from interview_lab._checks import non_negative as _non_negative
from interview_lab._checks import number as _number
from interview_lab._checks import positive as _positive
from interview_lab._checks import whole as _whole
from interview_lab.settings import data_path


def usd(amount: float) -> str:
    """``usd(110000) == '$110,000'`` (whole dollars; cents only when there are any)."""
    value = _number("amount", amount)
    sign = "-" if value < 0 else ""
    value = abs(value)
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{sign}${text}"


# --------------------------------------------------------------------------------------
# An offer's position in a band
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandPosition:
    offer_usd: float
    band_low_usd: float
    band_high_usd: float
    where: str  # "below", "inside" or "above"
    percent_through: float
    gap_to_top_usd: float  # band top - offer (negative when above the band)

    @property
    def summary(self) -> str:
        if self.where == "inside":
            return (
                f"{usd(self.offer_usd)} is inside the band {usd(self.band_low_usd)}-"
                f"{usd(self.band_high_usd)}, {self.percent_through:.0f}% of the way up"
            )
        side = "below" if self.where == "below" else "above"
        edge = self.band_low_usd if self.where == "below" else self.band_high_usd
        return (
            f"{usd(self.offer_usd)} is {side} the band {usd(self.band_low_usd)}-"
            f"{usd(self.band_high_usd)} by {usd(abs(self.offer_usd - edge))}"
        )


def band_position(offer_usd: float, band_low_usd: float, band_high_usd: float) -> BandPosition:
    """Where ``offer_usd`` lies in [low, high]: below / inside / above and percent through.

    >>> band_position(110000, 105000, 115000).percent_through
    50.0
    """
    offer = _positive("offer_usd", offer_usd)
    low = _positive("band_low_usd", band_low_usd)
    high = _positive("band_high_usd", band_high_usd)
    if low >= high:
        raise ValueError(f"band_low_usd ({usd(low)}) must be below band_high_usd ({usd(high)})")
    where = "below" if offer < low else "above" if offer > high else "inside"
    return BandPosition(
        offer_usd=offer,
        band_low_usd=low,
        band_high_usd=high,
        where=where,
        percent_through=(offer - low) / (high - low) * 100,
        gap_to_top_usd=high - offer,
    )


# --------------------------------------------------------------------------------------
# Counter-offer within evidence
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterOffer:
    offer_usd: float
    figure_usd: float
    increase_usd: float
    increase_pct: float
    capped_by: str  # "band top", "competing offer", "stated ask" or "offer"
    reasoning: str


def counter_offer(
    offer_usd: float,
    band_high_usd: float | None = None,
    competing_offer_usd: float | None = None,
    stated_ask_usd: float | None = None,
    round_to_usd: float = 1000,
) -> CounterOffer:
    """The highest counter the evidence supports, with the reasoning as text.

    The ceiling is the larger of the band top and a competing offer. A stated ask caps the
    counter (you do not raise your own number) unless a competing offer is higher than the
    ask. The figure is rounded down to ``round_to_usd`` and is never below the offer; when
    the evidence does not support more, the advice is to negotiate the rest of the package.

    >>> counter_offer(110000, band_high_usd=115000, stated_ask_usd=120000).figure_usd
    115000.0
    """
    offer = _positive("offer_usd", offer_usd)
    top = None if band_high_usd is None else _positive("band_high_usd", band_high_usd)
    rival = (
        None
        if competing_offer_usd is None
        else _positive("competing_offer_usd", competing_offer_usd)
    )
    ask = None if stated_ask_usd is None else _positive("stated_ask_usd", stated_ask_usd)
    step = _positive("round_to_usd", round_to_usd)
    if top is None and rival is None and ask is None:
        raise ValueError(
            "a counter-offer needs evidence: give the band top, a competing offer or your stated ask"
        )

    facts = [f"The offer is {usd(offer)}."]
    market: list[tuple[float, str]] = []
    if top is not None:
        market.append((top, "band top"))
        facts.append(f"The employer's band tops out at {usd(top)}.")
    if rival is not None:
        market.append((rival, "competing offer"))
        facts.append(f"You hold a competing offer of {usd(rival)}.")
    else:
        facts.append("There is no competing offer.")
    ceiling = max(market) if market else None

    if ask is not None and rival is not None and rival > ask:
        target, source = rival, "competing offer"
        facts.append(
            f"Your stated ask was {usd(ask)}, but the competing offer is higher and is new "
            "evidence, so it sets the ceiling."
        )
    elif ask is not None and (ceiling is None or ask <= ceiling[0]):
        target, source = ask, "stated ask"
        facts.append(f"Your stated ask of {usd(ask)} is within the evidence, so ask for it.")
    elif ask is not None:
        target, source = ceiling
        facts.append(
            f"Your stated ask of {usd(ask)} is above the {source} ({usd(target)}); "
            "nothing you can point to supports more than that."
        )
    else:
        target, source = ceiling
        facts.append(f"The {source} ({usd(target)}) is the strongest figure you can point to.")

    figure = math.floor(target / step) * step
    if figure <= offer:
        figure, source = offer, "offer"
        facts.append(
            "The evidence does not support a higher base salary; accept the base and negotiate "
            "the rest of the package (sign-on bonus, equity, a salary review date)."
        )
    else:
        facts.append(
            f"Counter at {usd(figure)}: {usd(figure - offer)} "
            f"({(figure - offer) / offer * 100:.1f}%) above the offer."
        )
    return CounterOffer(
        offer_usd=offer,
        figure_usd=float(figure),
        increase_usd=float(figure - offer),
        increase_pct=(figure - offer) / offer * 100,
        capped_by=source,
        reasoning=" ".join(facts),
    )


# --------------------------------------------------------------------------------------
# Total compensation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """One job offer. Percentages are in percent (10 means 10 %)."""

    base_usd: float
    sign_on_usd: float = 0.0
    bonus_pct: float = 0.0
    equity_usd: float = 0.0
    vesting_pct: tuple[float, ...] = field(default=(25.0, 25.0, 25.0, 25.0))
    cliff_months: int = 12
    annual_raise_pct: float = 0.0
    sign_on_clawback_months: int = 12
    name: str = "offer"

    def __post_init__(self) -> None:
        _positive("base_usd", self.base_usd)
        _non_negative("sign_on_usd", self.sign_on_usd)
        _non_negative("bonus_pct", self.bonus_pct)
        _non_negative("equity_usd", self.equity_usd)
        _non_negative("annual_raise_pct", self.annual_raise_pct)
        if isinstance(self.vesting_pct, str) or not isinstance(self.vesting_pct, Sequence):
            raise ValueError(
                "vesting_pct must be a list of yearly percentages, e.g. (25, 25, 25, 25)"
            )
        if len(self.vesting_pct) == 0:
            raise ValueError("vesting_pct must give at least one year's percentage")
        shares = [_non_negative(f"vesting_pct[{i}]", v) for i, v in enumerate(self.vesting_pct)]
        if not math.isclose(sum(shares), 100.0, abs_tol=1e-6):
            raise ValueError(f"vesting_pct must add up to 100, got {sum(shares):g}")
        object.__setattr__(self, "vesting_pct", tuple(shares))
        cliff = _whole("cliff_months", self.cliff_months, 0)
        if cliff > 12 * len(shares):
            raise ValueError(
                f"cliff_months ({cliff}) must not be longer than the vesting schedule ({12 * len(shares)} months)"
            )
        _whole("sign_on_clawback_months", self.sign_on_clawback_months, 0)
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("name must be non-empty text")


def compensation_schedule(offer: Offer, years: int = 4) -> pd.DataFrame:
    """Year-by-year compensation, assuming you stay every full year.

    Columns: year, base_usd, bonus_usd, sign_on_usd, equity_usd, total_usd, cumulative_usd.
    """
    if not isinstance(offer, Offer):
        raise ValueError("offer must be an Offer")
    n = _whole("years", years, 1)
    year = np.arange(1, n + 1)
    base = offer.base_usd * (1 + offer.annual_raise_pct / 100) ** (year - 1)
    vesting = np.zeros(n)
    k = min(n, len(offer.vesting_pct))
    vesting[:k] = offer.vesting_pct[:k]
    frame = pd.DataFrame(
        {
            "year": year,
            "base_usd": base,
            "bonus_usd": base * offer.bonus_pct / 100,
            "sign_on_usd": np.where(year == 1, float(offer.sign_on_usd), 0.0),
            "equity_usd": offer.equity_usd * vesting / 100,
        }
    )
    frame["total_usd"] = frame[["base_usd", "bonus_usd", "sign_on_usd", "equity_usd"]].sum(axis=1)
    frame["cumulative_usd"] = frame["total_usd"].cumsum()
    return frame


def first_year_total(offer: Offer) -> float:
    """Base + bonus + sign-on + first-year equity."""
    return float(compensation_schedule(offer, 1)["total_usd"].iloc[0])


def four_year_total(offer: Offer) -> float:
    """The sum of the first four years' totals."""
    return float(compensation_schedule(offer, 4)["cumulative_usd"].iloc[-1])


def equity_vested_usd(offer: Offer, months: int) -> float:
    """Grant value vested after ``months`` months: nothing before the cliff, then monthly."""
    if not isinstance(offer, Offer):
        raise ValueError("offer must be an Offer")
    m = _whole("months", months, 0)
    if m < offer.cliff_months:
        return 0.0
    tranche = offer.equity_usd * np.asarray(offer.vesting_pct) / 100
    start = 12 * np.arange(len(tranche))
    fraction = np.clip((m - start) / 12, 0.0, 1.0)
    return float((tranche * fraction).sum())


def earned_by_month(offer: Offer, months: int) -> float:
    """Everything kept if you leave after ``months`` months.

    Base paid monthly (raised at each anniversary), bonuses paid at each completed year,
    equity as :func:`equity_vested_usd`, sign-on kept only from ``sign_on_clawback_months``.
    """
    m = _whole("months", months, 0)
    equity = equity_vested_usd(offer, m)
    month_index = np.arange(m)
    monthly_base = offer.base_usd / 12 * (1 + offer.annual_raise_pct / 100) ** (month_index // 12)
    full_years = np.arange(m // 12)
    bonuses = (
        offer.base_usd * (1 + offer.annual_raise_pct / 100) ** full_years * offer.bonus_pct / 100
    )
    sign_on = offer.sign_on_usd if m >= offer.sign_on_clawback_months else 0.0
    return float(monthly_base.sum() + bonuses.sum() + sign_on + equity)


# --------------------------------------------------------------------------------------
# Comparing two offers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferComparison:
    name_a: str
    name_b: str
    years: tuple[int, ...]
    total_a: tuple[float, ...]
    total_b: tuple[float, ...]
    cumulative_a: tuple[float, ...]
    cumulative_b: tuple[float, ...]
    leader: tuple[str, ...]  # name of the offer ahead cumulatively, or "tie"
    first_year_leader: str | None
    break_even_year: int | None  # first year the other offer overtakes, or None
    overtaker: str | None

    @property
    def difference(self) -> tuple[float, ...]:
        """cumulative_a - cumulative_b per year."""
        return tuple(a - b for a, b in zip(self.cumulative_a, self.cumulative_b, strict=True))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "year": self.years,
                f"total_{self.name_a}": self.total_a,
                f"total_{self.name_b}": self.total_b,
                f"cumulative_{self.name_a}": self.cumulative_a,
                f"cumulative_{self.name_b}": self.cumulative_b,
                "difference": self.difference,
                "leader": self.leader,
            }
        )

    @property
    def summary(self) -> str:
        if self.first_year_leader is None and self.break_even_year is None:
            leaders = {x for x in self.leader if x != "tie"}
            if not leaders:
                return f"{self.name_a} and {self.name_b} pay the same every year."
        if self.break_even_year is None:
            last = self.leader[-1]
            return f"{last} stays ahead for all {len(self.years)} years; no break-even."
        return (
            f"{self.first_year_leader} is ahead at first; {self.overtaker} overtakes it "
            f"in year {self.break_even_year}."
        )


def compare_offers(a: Offer, b: Offer, years: int = 4) -> OfferComparison:
    """Year-by-year cumulative totals and the first year one offer overtakes the other.

    The leader is the offer with the larger cumulative total (a tie keeps no leader). The
    break-even year is the first year in which the offer that was behind (at the first year
    with a leader) is strictly ahead; ``None`` when that never happens within ``years``.
    """
    if not isinstance(a, Offer) or not isinstance(b, Offer):
        raise ValueError("compare_offers needs two Offer objects")
    n = _whole("years", years, 1)
    name_a, name_b = a.name, b.name
    if name_a == name_b:
        name_a, name_b = f"{a.name} (A)", f"{b.name} (B)"
    sa, sb = compensation_schedule(a, n), compensation_schedule(b, n)
    diff = (sa["cumulative_usd"] - sb["cumulative_usd"]).round(6).to_numpy()
    leader = np.where(diff > 0, name_a, np.where(diff < 0, name_b, "tie"))
    decided = np.flatnonzero(leader != "tie")
    first_leader = break_even = overtaker = None
    if decided.size:
        first_leader = str(leader[decided[0]])
        later = np.flatnonzero((leader != "tie") & (leader != first_leader))
        if later.size:
            break_even = int(sa["year"].iloc[later[0]])
            overtaker = str(leader[later[0]])
    return OfferComparison(
        name_a=name_a,
        name_b=name_b,
        years=tuple(int(y) for y in sa["year"]),
        total_a=tuple(float(v) for v in sa["total_usd"]),
        total_b=tuple(float(v) for v in sb["total_usd"]),
        cumulative_a=tuple(float(v) for v in sa["cumulative_usd"]),
        cumulative_b=tuple(float(v) for v in sb["cumulative_usd"]),
        leader=tuple(str(x) for x in leader),
        first_year_leader=first_leader,
        break_even_year=break_even,
        overtaker=overtaker,
    )


# --------------------------------------------------------------------------------------
# Salary band data
# --------------------------------------------------------------------------------------

BAND_COLUMNS = (
    "band_id", "basis", "role", "occupation_code", "location", "years_min", "years_max",
    "low_usd", "mid_usd", "high_usd", "p10_usd", "p25_usd", "p50_usd", "p75_usd", "p90_usd",
    "reference_year", "source", "note",
)  # fmt: skip
BASES = ("illustrative", "BLS OEWS")
_NUMERIC = ("years_min", "years_max", "low_usd", "mid_usd", "high_usd", "p10_usd", "p25_usd",
            "p50_usd", "p75_usd", "p90_usd", "reference_year")  # fmt: skip


def load_salary_bands(path: str | None = None) -> pd.DataFrame:
    """The salary band table (``data/salary_bands.csv``), checked."""
    source = data_path("salary_bands.csv") if path is None else path
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    missing = [c for c in BAND_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    frame = frame[list(BAND_COLUMNS)].copy()
    for column in _NUMERIC:
        text = frame[column].str.strip()
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any():
            line = int(np.flatnonzero(bad)[0]) + 2
            raise ValueError(
                f"{source}, line {line}, column {column}: not a number: {text[bad].iloc[0]!r}"
            )
        frame[column] = values.astype("float64")
    frame["occupation_code"] = frame["occupation_code"].str.strip()
    checks = [
        (frame["band_id"].duplicated(), "band_id", "appears twice"),
        (~frame["basis"].isin(BASES), "basis", f"must be one of {', '.join(BASES)}"),
        (frame["low_usd"].isna() | frame["high_usd"].isna(), "low_usd", "a band needs low_usd and high_usd"),
        (frame["low_usd"] >= frame["high_usd"], "high_usd", "must be above low_usd"),
        (frame["mid_usd"].notna() & ~frame["mid_usd"].between(frame["low_usd"], frame["high_usd"]),
         "mid_usd", "must lie between low_usd and high_usd"),
        ((frame["basis"] == "BLS OEWS") & ~(
            np.isclose(frame["low_usd"], frame["p25_usd"]) & np.isclose(frame["mid_usd"], frame["p50_usd"])
            & np.isclose(frame["high_usd"], frame["p75_usd"])),
         "low_usd", "for BLS rows low/mid/high must equal the 25th/50th/75th percentiles"),
        ((frame["basis"] == "BLS OEWS") & (frame["source"].str.strip() == ""), "source", "BLS rows need a source"),
        ((frame["basis"] == "BLS OEWS") & frame["reference_year"].isna(), "reference_year",
         "BLS rows need a reference year"),
    ]  # fmt: skip
    for bad, column, message in checks:
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise ValueError(f"{source}, line {line}, column {column}: {message}")
    return frame


@dataclass(frozen=True)
class SalaryBand:
    band_id: str
    basis: str
    role: str
    occupation_code: str
    location: str
    years_min: float | None
    years_max: float | None
    low_usd: float
    mid_usd: float | None
    high_usd: float
    percentiles: tuple[tuple[int, float], ...]  # ((10, usd), (25, usd), ...) for BLS rows
    reference_year: int | None
    source: str
    note: str

    @property
    def illustrative(self) -> bool:
        return self.basis == "illustrative"


def _band_from_row(row: pd.Series) -> SalaryBand:
    def opt(value: float) -> float | None:
        return None if pd.isna(value) else float(value)

    percentiles = tuple(
        (p, float(row[f"p{p}_usd"])) for p in (10, 25, 50, 75, 90) if not pd.isna(row[f"p{p}_usd"])
    )
    return SalaryBand(
        band_id=row["band_id"],
        basis=row["basis"],
        role=row["role"],
        occupation_code=row["occupation_code"],
        location=row["location"],
        years_min=opt(row["years_min"]),
        years_max=opt(row["years_max"]),
        low_usd=float(row["low_usd"]),
        mid_usd=opt(row["mid_usd"]),
        high_usd=float(row["high_usd"]),
        percentiles=percentiles,
        reference_year=None if pd.isna(row["reference_year"]) else int(row["reference_year"]),
        source=row["source"],
        note=row["note"],
    )


def band_by_id(band_id: str, bands: pd.DataFrame | None = None) -> SalaryBand:
    """One band by its ``band_id`` (e.g. ``"chapter-seattle-2yoe"``)."""
    table = load_salary_bands() if bands is None else bands
    match = table[table["band_id"] == band_id]
    if match.empty:
        raise ValueError(f"no salary band {band_id!r}; known bands: {', '.join(table['band_id'])}")
    return _band_from_row(match.iloc[0])


def lookup_band(
    role: str,
    location: str,
    years_experience: float | None = None,
    bands: pd.DataFrame | None = None,
) -> SalaryBand:
    """The band for a role and location (case-insensitive) covering ``years_experience``.

    Rows without years_min / years_max cover every experience level. When several rows
    match, the one with the narrowest experience range wins, then the newest reference year.
    """
    table = load_salary_bands() if bands is None else bands
    if not isinstance(role, str) or not role.strip():
        raise ValueError("role must be non-empty text")
    if not isinstance(location, str) or not location.strip():
        raise ValueError("location must be non-empty text")
    found = table[
        (table["role"].str.casefold() == role.strip().casefold())
        & (table["location"].str.casefold() == location.strip().casefold())
    ]
    if found.empty:
        pairs = sorted(set(zip(table["role"], table["location"], strict=True)))
        known = "; ".join(f"{r} in {loc}" for r, loc in pairs)
        raise ValueError(f"no salary band for {role!r} in {location!r}; the data has: {known}")
    if years_experience is not None:
        years = _non_negative("years_experience", years_experience)
        covers = found["years_min"].fillna(-np.inf).le(years) & found["years_max"].fillna(
            np.inf
        ).ge(years)
        if not covers.any():
            ranges = ", ".join(
                f"{'' if pd.isna(lo) else f'{lo:g}'}-{'' if pd.isna(hi) else f'{hi:g}'}"
                for lo, hi in zip(found["years_min"], found["years_max"], strict=True)
            )
            raise ValueError(
                f"no band for {role!r} in {location!r} covers {years:g} years of experience "
                f"(the data covers {ranges} years)"
            )
        found = found[covers]
    width = found["years_max"].fillna(np.inf) - found["years_min"].fillna(-np.inf)
    ordered = found.assign(_width=width, _year=found["reference_year"].fillna(-1)).sort_values(
        ["_width", "_year"], ascending=[True, False], kind="stable"
    )
    return _band_from_row(ordered.iloc[0])
