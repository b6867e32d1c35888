"""Widgets for salary bands and offers (:mod:`interview_lab.salary`), used in notebook 07.

* :class:`BandExplorerWidget` - role, location and years of experience -> the band from
  ``data/salary_bands.csv``, plotted with the offer marked and its position in the band.
* :class:`CounterOfferWidget` - the highest counter the evidence supports, with the reasons.
* :class:`TotalCompWidget` - base, sign-on, bonus, equity and vesting -> pay year by year.
* :class:`OfferComparisonWidget` - two offers over four years and the break-even year.

The widgets read their controls, call the library and format; every number comes from
:mod:`interview_lab.salary`. A field documented "0 = none" passes ``None`` to the library.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as w
import pandas as pd

from interview_lab import salary
from interview_lab.plots import salary as plots
from interview_lab.salary import usd
from interview_lab.widgets.base import LabWidget, table_html

WIDE = {"description_width": "initial"}
FIELD = w.Layout(width="320px")


def _money(value: float, description: str) -> w.FloatText:
    return w.FloatText(value=value, description=description, style=WIDE, layout=FIELD)


def _int(value: int, description: str) -> w.IntText:
    return w.IntText(value=value, description=description, style=WIDE, layout=FIELD)


def _relayout(widget: LabWidget, layout: w.Widget) -> None:
    """Show the controls as ``layout`` instead of one long column."""
    title = widget.box.children[0]
    rest = [widget.message, widget.result] + ([widget.figure] if widget.figure is not None else [])
    widget.box.children = [title, layout, *rest]


def _optional(value: float) -> float | None:
    """A "0 = none" field: 0 means not given; anything else goes to the library to check."""
    return None if value == 0 else value


def parse_vesting(text: str) -> tuple[float, ...]:
    """``"25, 25, 25, 25"`` -> ``(25.0, 25.0, 25.0, 25.0)``; the library checks the sum."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("vesting must list each year's percentage, e.g. 25, 25, 25, 25")
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"vesting must be numbers separated by commas, e.g. 25, 25, 25, 25; got {text!r}"
        ) from None


# --------------------------------------------------------------------------------------
# Band explorer
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandResult:
    band: salary.SalaryBand
    position: salary.BandPosition


class BandExplorerWidget(LabWidget):
    """Controls: ``role``, ``location`` (the locations the data has for that role),
    ``years_experience`` and ``offer_usd``.

    Defaults: the chapter's illustrative Seattle band for 2 years of experience and its
    example offer of $110,000.
    """

    title = "Salary band explorer"

    def __init__(self, bands: pd.DataFrame | None = None) -> None:
        self.bands = salary.load_salary_bands() if bands is None else bands
        roles = list(dict.fromkeys(self.bands["role"]))
        start_role = "DevOps Engineer" if "DevOps Engineer" in roles else roles[0]
        self.role = w.Dropdown(options=roles, value=start_role, description="role",
                               style=WIDE, layout=w.Layout(width="520px"))
        self.location = w.Dropdown(options=self._locations(start_role), description="location",
                                   style=WIDE, layout=w.Layout(width="520px"))
        if "Seattle, WA" in self.location.options:
            self.location.value = "Seattle, WA"
        self.years_experience = w.FloatText(value=2.0, description="years of experience",
                                            style=WIDE, layout=FIELD)
        self.offer_usd = _money(110000.0, "offer (USD per year)")
        # Registered before the base class's observer, so the locations follow the role first.
        self.role.observe(self._role_changed, names="value")
        super().__init__([self.role, self.location, self.years_experience, self.offer_usd])

    def _locations(self, role: str) -> list[str]:
        return list(dict.fromkeys(self.bands.loc[self.bands["role"] == role, "location"]))

    def _role_changed(self, change: dict) -> None:
        self.location.options = self._locations(change["new"])

    def calculate(self) -> BandResult:
        band = salary.lookup_band(
            self.role.value, self.location.value, self.years_experience.value, self.bands
        )
        position = salary.band_position(self.offer_usd.value, band.low_usd, band.high_usd)
        return BandResult(band, position)

    def compute(self):
        r = self.calculate()
        band = r.band
        rows = [("band", f"{usd(band.low_usd)} - {usd(band.high_usd)}")]
        if band.mid_usd is not None:
            rows.append(("mid" if band.illustrative else "median", usd(band.mid_usd)))
        rows += [(f"{p}th percentile", usd(v)) for p, v in band.percentiles]
        rows += [("basis", band.basis), ("source", band.source)]
        if band.reference_year is not None:
            rows.append(("reference year", f"{band.reference_year}"))
        warning = (
            "<p><i>Illustrative figures from the chapter, not survey data.</i></p>"
            if band.illustrative else ""
        )
        text = (
            f"<p><b>{html.escape(r.position.summary)}</b>.</p>"
            + table_html(rows, header=("", "value"))
            + f"<p>{html.escape(band.note)}</p>" + warning
        )
        return text, plots.band_chart(band, {"offer": self.offer_usd.value})


# --------------------------------------------------------------------------------------
# Counter-offer
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterResult:
    counter: salary.CounterOffer
    offer_position: salary.BandPosition
    counter_position: salary.BandPosition


class CounterOfferWidget(LabWidget):
    """Controls: ``offer_usd``, ``band_low_usd``, ``band_high_usd``, ``competing_offer_usd``
    (0 = none) and ``stated_ask_usd`` (0 = none).

    Defaults: the chapter's example - offered $110,000, the recruiter's band $105,000-115,000,
    you had asked for $120,000, no competing offer.
    """

    title = "Counter-offer within the evidence"

    def __init__(self) -> None:
        self.offer_usd = _money(110000.0, "offer (USD)")
        self.band_low_usd = _money(105000.0, "band low (USD)")
        self.band_high_usd = _money(115000.0, "band high (USD)")
        self.competing_offer_usd = _money(0.0, "competing offer (USD, 0 = none)")
        self.stated_ask_usd = _money(120000.0, "your stated ask (USD, 0 = none)")
        left = [self.offer_usd, self.band_low_usd, self.band_high_usd]
        right = [self.competing_offer_usd, self.stated_ask_usd]
        super().__init__(left + right)
        _relayout(self, w.HBox([w.VBox(left), w.VBox(right)]))

    def calculate(self) -> CounterResult:
        counter = salary.counter_offer(
            self.offer_usd.value,
            band_high_usd=self.band_high_usd.value,
            competing_offer_usd=_optional(self.competing_offer_usd.value),
            stated_ask_usd=_optional(self.stated_ask_usd.value),
        )
        low, high = self.band_low_usd.value, self.band_high_usd.value
        return CounterResult(
            counter,
            salary.band_position(counter.offer_usd, low, high),
            salary.band_position(counter.figure_usd, low, high),
        )

    def compute(self):
        r = self.calculate()
        c = r.counter
        text = (
            f"<p><b>Counter at {usd(c.figure_usd)}</b>: {usd(c.increase_usd)} "
            f"({c.increase_pct:.1f} %) above the offer; limited by the {html.escape(c.capped_by)}."
            f"</p><p>{html.escape(c.reasoning)}</p>"
            + table_html(
                [("offer", html.escape(r.offer_position.summary)),
                 ("counter", html.escape(r.counter_position.summary))],
                header=("", "position in the band"),
            )
        )
        marks = {"offer": c.offer_usd, "counter": c.figure_usd}
        if _optional(self.stated_ask_usd.value) is not None:
            marks["stated ask"] = self.stated_ask_usd.value
        if _optional(self.competing_offer_usd.value) is not None:
            marks["competing offer"] = self.competing_offer_usd.value
        fig = plots.range_chart(self.band_low_usd.value, self.band_high_usd.value, marks,
                                title=f"Counter-offer: {usd(c.figure_usd)}")
        return text, fig


# --------------------------------------------------------------------------------------
# Total compensation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TotalCompResult:
    offer: salary.Offer
    schedule: pd.DataFrame
    first_year_usd: float
    four_year_usd: float
    kept_if_leaving_usd: float


class TotalCompWidget(LabWidget):
    """Controls: ``base_usd``, ``sign_on_usd``, ``bonus_pct``, ``equity_usd`` (grant value),
    ``vesting_pct`` (text: each year's percentage), ``cliff_months``, ``annual_raise_pct``,
    ``clawback_months`` (sign-on repaid if you leave sooner), ``years`` and
    ``leave_after_months`` (what you keep if you leave then).
    """

    title = "Total compensation"

    def __init__(self) -> None:
        self.base_usd = _money(110000.0, "base salary (USD/yr)")
        self.sign_on_usd = _money(10000.0, "sign-on bonus (USD)")
        self.bonus_pct = _money(10.0, "target bonus (% of base)")
        self.equity_usd = _money(40000.0, "equity grant (USD)")
        self.vesting_pct = w.Text(value="25, 25, 25, 25", description="vesting (% per year)",
                                  style=WIDE, layout=FIELD)
        self.cliff_months = _int(12, "cliff (months)")
        self.annual_raise_pct = _money(3.0, "yearly raise (%)")
        self.clawback_months = _int(12, "sign-on clawback (months)")
        self.years = _int(4, "years shown")
        self.leave_after_months = _int(18, "if I leave after (months)")
        pay = [self.base_usd, self.sign_on_usd, self.bonus_pct, self.annual_raise_pct,
               self.years]
        equity = [self.equity_usd, self.vesting_pct, self.cliff_months, self.clawback_months,
                  self.leave_after_months]
        super().__init__(pay + equity)
        _relayout(self, w.HBox([w.VBox(pay), w.VBox(equity)]))

    def offer(self) -> salary.Offer:
        return salary.Offer(
            base_usd=self.base_usd.value,
            sign_on_usd=self.sign_on_usd.value,
            bonus_pct=self.bonus_pct.value,
            equity_usd=self.equity_usd.value,
            vesting_pct=parse_vesting(self.vesting_pct.value),
            cliff_months=self.cliff_months.value,
            annual_raise_pct=self.annual_raise_pct.value,
            sign_on_clawback_months=self.clawback_months.value,
        )

    def calculate(self) -> TotalCompResult:
        offer = self.offer()
        return TotalCompResult(
            offer=offer,
            schedule=salary.compensation_schedule(offer, self.years.value),
            first_year_usd=salary.first_year_total(offer),
            four_year_usd=salary.four_year_total(offer),
            kept_if_leaving_usd=salary.earned_by_month(offer, self.leave_after_months.value),
        )

    def compute(self):
        r = self.calculate()
        rows = [
            (int(y), usd(round(b)), usd(round(bo)), usd(round(s)), usd(round(e)), usd(round(t)),
             usd(round(c)))
            for y, b, bo, s, e, t, c in r.schedule[
                ["year", "base_usd", "bonus_usd", "sign_on_usd", "equity_usd", "total_usd",
                 "cumulative_usd"]
            ].itertuples(index=False)
        ]
        text = (
            f"<p>First year: <b>{usd(round(r.first_year_usd))}</b>; first four years: "
            f"<b>{usd(round(r.four_year_usd))}</b>. Leaving after "
            f"{self.leave_after_months.value} months you keep "
            f"<b>{usd(round(r.kept_if_leaving_usd))}</b> (nothing vests before the "
            f"{r.offer.cliff_months}-month cliff; the sign-on is repaid before "
            f"{r.offer.sign_on_clawback_months} months).</p>"
            + table_html(rows, header=("year", "base", "bonus", "sign-on", "equity", "total",
                                       "cumulative"))
        )
        return text, plots.compensation_breakdown(r.schedule)


# --------------------------------------------------------------------------------------
# Two offers
# --------------------------------------------------------------------------------------


class _OfferFields:
    """The controls of one offer in the comparison."""

    def __init__(self, prefix: str, name: str, base: float, sign_on: float, bonus: float,
                 equity: float, vesting: str) -> None:
        self.name = w.Text(value=name, description=f"{prefix} name", style=WIDE, layout=FIELD)
        self.base_usd = _money(base, f"{prefix} base (USD/yr)")
        self.sign_on_usd = _money(sign_on, f"{prefix} sign-on (USD)")
        self.bonus_pct = _money(bonus, f"{prefix} bonus (% of base)")
        self.equity_usd = _money(equity, f"{prefix} equity grant (USD)")
        self.vesting_pct = w.Text(value=vesting, description=f"{prefix} vesting (% per year)",
                                  style=WIDE, layout=FIELD)
        self.controls = [self.name, self.base_usd, self.sign_on_usd, self.bonus_pct,
                         self.equity_usd, self.vesting_pct]

    def offer(self) -> salary.Offer:
        return salary.Offer(
            base_usd=self.base_usd.value,
            sign_on_usd=self.sign_on_usd.value,
            bonus_pct=self.bonus_pct.value,
            equity_usd=self.equity_usd.value,
            vesting_pct=parse_vesting(self.vesting_pct.value),
            name=self.name.value,
        )


class OfferComparisonWidget(LabWidget):
    """Controls: ``a_name``, ``a_base_usd``, ``a_sign_on_usd``, ``a_bonus_pct``,
    ``a_equity_usd``, ``a_vesting_pct``, the same six with ``b_``, and ``years``.

    Defaults: offer A pays more base and a large sign-on; offer B pays a bonus and a
    back-loaded equity grant, and overtakes A in the second year.
    """

    title = "Two offers over four years"

    def __init__(self) -> None:
        a = _OfferFields("A", "Offer A", 115000.0, 20000.0, 0.0, 0.0, "25, 25, 25, 25")
        b = _OfferFields("B", "Offer B", 110000.0, 0.0, 10.0, 40000.0, "10, 20, 30, 40")
        self._a, self._b = a, b
        for prefix, fields in (("a", a), ("b", b)):
            for attr in ("name", "base_usd", "sign_on_usd", "bonus_pct", "equity_usd",
                         "vesting_pct"):
                setattr(self, f"{prefix}_{attr}", getattr(fields, attr))
        self.years = _int(4, "years compared")
        super().__init__([*a.controls, *b.controls, self.years])
        _relayout(self, w.VBox([w.HBox([w.VBox(a.controls), w.VBox(b.controls)]), self.years]))

    def calculate(self) -> salary.OfferComparison:
        return salary.compare_offers(self._a.offer(), self._b.offer(), self.years.value)

    def compute(self):
        c = self.calculate()
        rows = [
            (year, usd(round(ta)), usd(round(tb)), usd(round(ca)), usd(round(cb)), leader)
            for year, ta, tb, ca, cb, leader in zip(
                c.years, c.total_a, c.total_b, c.cumulative_a, c.cumulative_b, c.leader,
                strict=True,
            )
        ]
        break_even = (
            f"Break-even: <b>year {c.break_even_year}</b>, when {html.escape(str(c.overtaker))} "
            "overtakes."
            if c.break_even_year is not None else "No break-even within these years."
        )
        text = (
            f"<p><b>{html.escape(c.summary)}</b> {break_even}</p>"
            + table_html(
                rows,
                header=("year", f"{c.name_a} total", f"{c.name_b} total",
                        f"{c.name_a} cumulative", f"{c.name_b} cumulative", "ahead"),
            )
        )
        return text, plots.offer_comparison(c)
