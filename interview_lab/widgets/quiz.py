"""The red-flag quiz: is this answer a red flag or a strong one? Checked on the spot.

Each item is an interviewer's question and a candidate's answer from ``data/redflag_quiz.csv``.
After a guess the widget shows the answer key's verdict and explanation and what the STAR
coach's red-flag patterns (:func:`interview_lab.star.find_red_flags`) find in the answer.
"""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from interview_lab import star
from interview_lab.widgets.base import LabWidget, table_html

_LABELS = {"red_flag": "a red flag", "strong": "strong"}


class RedFlagQuizWidget(LabWidget):
    """Controls: ``item`` (which question), ``guess`` (red flag or strong) and ``next_button``."""

    title = "Red flag or strong?"

    def __init__(self, quiz: pd.DataFrame | None = None) -> None:
        self.quiz = star.load_quiz() if quiz is None else quiz
        self.guesses: dict[str, str] = {}
        self.item = w.Dropdown(
            options=[(f"{row.id}: {row.prompt}", row.id) for row in self.quiz.itertuples()],
            description="Question",
            layout=w.Layout(width="95%"),
        )
        self.guess = w.ToggleButtons(
            options=[("Red flag", "red_flag"), ("Strong", "strong")],
            value=None,
            description="Your call",
        )
        self.next_button = w.Button(description="Next question", icon="arrow-right")
        self.item.observe(self._show_item, names="value")
        self.next_button.on_click(self._next)
        super().__init__([self.item, self.guess, self.next_button], with_plot=False)

    def _show_item(self, change: dict) -> None:
        # Show the earlier guess for this item, or none yet.
        self.guess.value = self.guesses.get(change["new"])

    def _next(self, _button: w.Button) -> None:
        self.item.value = star.next_quiz_item(self.quiz, self.item.value)

    def compute(self) -> str:
        row = self.quiz.loc[self.quiz["id"] == self.item.value].iloc[0]
        parts = [
            f"<p><b>Interviewer:</b> {html.escape(row['prompt'])}<br>"
            f"<b>Candidate:</b> \u201c{html.escape(row['answer'])}\u201d</p>"
        ]
        if self.guess.value is None:
            parts.append("<p>Is this answer a red flag or a strong one? Choose above.</p>")
        else:
            self.guesses[self.item.value] = self.guess.value
            feedback = star.check_quiz_answer(self.quiz, self.item.value, self.guess.value)
            colour = "#009E73" if feedback.correct else "#D55E00"
            mark = "Right" if feedback.correct else "Not quite"
            parts.append(
                f'<p><b style="color:{colour}">{mark}:</b> this answer is '
                f"<b>{_LABELS[feedback.verdict]}</b>. {html.escape(feedback.explanation)}</p>"
            )
            if feedback.coach_flags:
                parts.append(
                    "<p>The STAR coach's patterns find:</p>"
                    + table_html(
                        [(f.name, f"\u201c{f.excerpt}\u201d") for f in feedback.coach_flags],
                        header=("red flag", "words that raised it"),
                    )
                )
            else:
                parts.append("<p>The STAR coach's patterns find no red flag in it.</p>")
            if not feedback.coach_agrees:
                parts.append(
                    "<p><i>Here the coach's patterns and the answer key disagree: "
                    "the patterns only read words, so judge for yourself.</i></p>"
                )
        tally = star.quiz_tally(self.quiz, self.guesses)
        parts.append(
            f"<p>Score so far: <b>{tally.correct} right out of {tally.answered} answered</b> "
            f"({tally.total} questions in all).</p>"
        )
        return "".join(parts)
