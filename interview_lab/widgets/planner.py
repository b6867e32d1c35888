"""The preparation planner widget (:mod:`interview_lab.planner`) with its timeline plot."""

from __future__ import annotations

import html
from datetime import date

import ipywidgets as w

from interview_lab import planner, settings
from interview_lab.plots.planner import timeline
from interview_lab.widgets.base import LabWidget, table_html


class PlannerWidget(LabWidget):
    """Controls: ``interview_date``, ``hours_per_day``, ``weak_areas`` and ``weak_factor``.

    ``today`` is fixed when the widget is made (pass it for a reproducible plan; by default
    it is :func:`interview_lab.settings.today`).
    """

    title = "Interview preparation planner"

    def __init__(self, today: date | None = None, interview_date: date | None = None) -> None:
        self.today = settings.today() if today is None else today
        self.interview_date = w.DatePicker(
            value=planner.default_interview_date(self.today)
            if interview_date is None else interview_date,
            description="Interview",
        )
        self.hours_per_day = w.FloatSlider(
            value=2.0, min=planner.SLOT_H, max=8.0, step=planner.SLOT_H,
            description="hours/day",
        )
        self.weak_areas = w.SelectMultiple(
            options=[(label, key) for key, (label, _) in planner.AREAS.items()],
            value=(),
            rows=7,
            description="Weak areas",
            layout=w.Layout(width="60%"),
        )
        self.weak_factor = w.FloatSlider(
            value=planner.DEFAULT_WEAK_FACTOR, min=1.0, max=planner.MAX_WEAK_FACTOR, step=0.5,
            description="weak \u00d7",
        )
        self.today_label = w.HTML(f"Today: <b>{self.today.isoformat()}</b>")
        super().__init__(
            [self.today_label, self.interview_date, self.hours_per_day, self.weak_areas,
             self.weak_factor]
        )

    def calculate(self) -> planner.Plan:
        """The plan for the current controls (the library call only; the benchmark times it)."""
        return planner.make_plan(
            self.interview_date.value,
            self.today,
            self.hours_per_day.value,
            self.weak_areas.value,
            weak_factor=self.weak_factor.value,
        )

    def compute(self):
        plan = self.calculate()
        rows = [
            (
                r.name,
                "yes" if r.weak else "",
                f"{r.hours:g} h",
                r.first_day.isoformat() if r.first_day else "-",
                r.last_day.isoformat() if r.last_day else "-",
            )
            for r in plan.rounds
        ]
        summary = (
            f"<p><b>{plan.days} days</b> of {plan.hours_per_day:g} h: "
            f"<b>{plan.total_hours:g} h</b> of preparation before the interview on "
            f"{html.escape(plan.interview_date.isoformat())}.</p>"
        )
        table = table_html(rows, header=("round", "weak area", "hours", "from", "to"))
        return summary + table, timeline(plan)
