"""The STAR coach widget: paste an answer, see what the coach finds (:mod:`interview_lab.star`)."""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from interview_lab import star
from interview_lab.plots.star import score_breakdown
from interview_lab.widgets.base import LabWidget, table_html

OWN_ANSWER = ""


def report_html(report: star.StarReport) -> str:
    """The coach's report as HTML (shared by the coach and the quiz)."""
    verdict_colour = "#009E73" if report.is_strong else "#D55E00"
    share = "no I or we at all" if report.i_share is None else f"{report.i_share:.0%} \u201cI\u201d"
    parts = [
        f'<p><b>Score: {report.score} / 100</b> \u2014 verdict: '
        f'<b style="color:{verdict_colour}">{report.verdict}</b></p>',
        table_html(
            [(element, how) for element, how in report.evidence]
            + [(element, "missing") for element in report.missing],
            header=("STAR part", "found by"),
        ),
        "<p>"
        f"Quantified result: <b>{'yes' if report.quantified_result else 'no'}</b>"
        + (f" ({html.escape(', '.join(report.quantities))})" if report.quantities else "")
        + f"<br>I vs we: {report.i_count} vs {report.we_count} ({share})"
        + f"<br>Length: {report.word_count} words, {report.speaking_time_text} at "
        f"{report.words_per_minute:g} words per minute</p>",
    ]
    if report.red_flags:
        parts.append(
            "<p><b>Red flags</b></p>"
            + table_html(
                [(flag.name, f"\u201c{flag.excerpt}\u201d") for flag in report.red_flags],
                header=("red flag", "words that raised it"),
            )
        )
    parts.append(
        "<p><b>Advice</b></p><ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in report.advice)
        + "</ul>"
    )
    return "".join(parts)


class StarCoachWidget(LabWidget):
    """Type or paste an answer (or pick one from the example bank) and read the coach's report.

    Controls: ``example`` (a dropdown of the bank; choosing one fills the text box), ``answer``
    (the text) and ``words_per_minute`` (your speaking pace).
    """

    title = "STAR coach"

    def __init__(self, answer: str | None = None, *, examples: pd.DataFrame | None = None) -> None:
        self.examples = star.load_examples() if examples is None else examples
        self.example = w.Dropdown(
            options=[("(your own answer)", OWN_ANSWER)]
            + [
                (f"{row.id} ({row.label}): {row.question}", row.id)
                for row in self.examples.itertuples()
            ],
            value=OWN_ANSWER,
            description="Example",
            layout=w.Layout(width="95%"),
        )
        first = self.examples["answer"].iloc[0] if len(self.examples) else ""
        self.answer = w.Textarea(
            value=first if answer is None else answer,
            placeholder="Paste your answer here",
            description="Answer",
            layout=w.Layout(width="95%", height="220px"),
        )
        self.words_per_minute = w.IntSlider(
            value=int(star.DEFAULT_WORDS_PER_MINUTE), min=100, max=200, step=5,
            description="words/min",
        )
        self.example.observe(self._use_example, names="value")
        super().__init__([self.example, self.answer, self.words_per_minute])

    def _use_example(self, change: dict) -> None:
        if change["new"] != OWN_ANSWER:
            rows = self.examples.loc[self.examples["id"] == change["new"], "answer"]
            self.answer.value = rows.iloc[0]

    def calculate(self) -> star.StarReport:
        """The coach's report on the current answer (the library call only)."""
        return star.coach(self.answer.value, words_per_minute=self.words_per_minute.value)

    def compute(self):
        report = self.calculate()
        return report_html(report), score_breakdown(report)
