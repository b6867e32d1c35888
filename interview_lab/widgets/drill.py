"""The mock-interview drill as a notebook widget (notebook 09).

Pick areas, a round and a session length; the widget asks one question at a time with a
countdown (2 minutes, 45 for system design), reveals the key points as boxes to tick, takes
a self-grade (missed, partial, nailed) and moves on. Every grade is saved at once in the
learner's progress file, the same file the terminal drill uses. Below: cards per box,
reviews due in the next two weeks, and readiness per area.

The countdown is an ipywidgets ``Play`` widget whose value counts elapsed seconds. In
JupyterLab the browser advances it, so the kernel never sleeps; tests set ``play.value``
themselves. All scheduling and counting is done by :mod:`interview_lab.drill`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import ipywidgets as w
import pandas as pd

from interview_lab import drill, settings
from interview_lab.plots import drill as drill_plots
from interview_lab.plots import to_png
from interview_lab.widgets.base import LabWidget, error_html

ANY_ROUND = "any round"
GRADE_STYLES = {"missed": "danger", "partial": "warning", "nailed": "success"}


@dataclass(frozen=True)
class DrillTables:
    """What the drill's three plots draw: cards per box, reviews due, readiness per area."""

    boxes: pd.DataFrame
    forecast: pd.DataFrame
    readiness: pd.DataFrame


class DrillWidget(LabWidget):
    """Areas, round and length → one question at a time, self-graded, saved as you go."""

    title = "Mock-interview drill"

    def __init__(
        self,
        *,
        bank: Sequence[drill.Question] | None = None,
        progress_path: str | Path | None = None,
        on: date | None = None,
        now: Callable[[], datetime] = datetime.now,
        seed: int | None = None,
        count: int = 5,
    ) -> None:
        self.bank = tuple(bank) if bank is not None else drill.load_bank()
        self.path = (
            Path(progress_path) if progress_path is not None else drill.default_progress_path()
        )
        self.on = on if on is not None else settings.today()
        self._now = now
        self.seed = seed if seed is not None else self.on.toordinal()
        self.progress = drill.Progress()
        self.notices: list[str] = []
        self.session: tuple[drill.Question, ...] = ()
        self.mix: dict[str, int] = {}
        self.index = 0
        self.revealed = False
        self.graded = False
        self.grades: list[str] = []
        self.skipped = 0
        self._session_key: tuple | None = None
        self._plotted: drill.Progress | None = None
        self._plots: dict[str, drill_plots.BoxesPlot | drill_plots.ForecastPlot
                          | drill_plots.ReadinessPlot] = {}

        # -- controls (a change starts a new session) --
        self.areas = w.SelectMultiple(
            options=drill.AREAS, value=drill.AREAS, rows=len(drill.AREAS), description="Areas"
        )
        self.round = w.Dropdown(
            options=(ANY_ROUND, *drill.ROUNDS), value=ANY_ROUND, description="Round"
        )
        self.count = w.BoundedIntText(
            value=min(count, len(self.bank)), min=1, max=len(self.bank), description="Questions"
        )

        # -- the question panel --
        self.heading = w.HTML()
        self.question = w.HTML()
        self.play = w.Play(
            value=0,
            min=0,
            max=drill.DEFAULT_TIME_BUDGET_S,
            step=1,
            interval=1000,
            show_repeat=False,
            description="Timer",
        )
        self.timer_bar = w.IntProgress(value=0, min=0, max=drill.DEFAULT_TIME_BUDGET_S)
        w.jslink((self.play, "value"), (self.timer_bar, "value"))
        self.countdown = w.Label()
        self.play.observe(self._tick, names="value")
        self.reveal_button = w.Button(description="Reveal key points", icon="eye")
        self.reveal_button.on_click(self._reveal)
        self.key_point_boxes: list[w.Checkbox] = []
        self.key_points = w.VBox()
        self.follow_up = w.HTML()
        self.suggestion = w.HTML()
        self.grade_buttons = {
            grade: w.Button(
                description=grade.capitalize(), button_style=GRADE_STYLES[grade], disabled=True
            )
            for grade in drill.GRADES
        }
        for grade, button in self.grade_buttons.items():
            button.on_click(lambda _button, grade=grade: self.grade(grade))
        self.next_button = w.Button(description="Skip")
        self.next_button.on_click(self._next)
        self.restart_button = w.Button(description="New session", icon="refresh")
        self.restart_button.on_click(self._restart)
        self.feedback = w.HTML()
        self.boxes_image = w.Image(format="png", layout=w.Layout(max_width="480px"))
        self.forecast_image = w.Image(format="png", layout=w.Layout(max_width="600px"))
        self.readiness_image = w.Image(format="png", layout=w.Layout(max_width="620px"))

        super().__init__([self.areas, self.round, self.count], with_plot=False)
        panel = w.VBox(
            [
                self.heading,
                self.question,
                w.HBox([self.play, self.timer_bar, self.countdown]),
                self.reveal_button,
                self.key_points,
                self.follow_up,
                self.suggestion,
                w.HBox(list(self.grade_buttons.values())),
                w.HBox([self.next_button, self.restart_button]),
                self.feedback,
            ],
            layout=w.Layout(border="1px solid #cccccc", padding="8px", margin="8px 0"),
        )
        # Side by side where the notebook is wide enough, one under the other where it is not.
        side_by_side = w.HBox([self.boxes_image, self.forecast_image], layout=w.Layout(flex_flow="row wrap"))
        plots = w.VBox([side_by_side, self.readiness_image])
        self.box.children = (*self.box.children, panel, plots)

    # -- LabWidget -------------------------------------------------------------------
    def compute(self) -> str:
        key = (tuple(self.areas.value), self.round.value, int(self.count.value))
        if key != self._session_key:
            self._session_key = None
            self._start(key)
            self._session_key = key
        self._draw_plots()
        return self._status_html()

    # -- the session -----------------------------------------------------------------
    @property
    def current(self) -> drill.Question | None:
        """The question on screen, or None when the session is over."""
        return self.session[self.index] if self.index < len(self.session) else None

    def _start(self, key: tuple) -> None:
        areas, round_value, count = key
        self._clear_panel()
        loaded = drill.load_progress(self.path, self._now())  # pick up terminal sessions too
        if loaded.notice:
            self.notices.append(loaded.notice)
        self.progress = loaded.progress
        self.session = drill.pick_session(
            self.bank,
            self.progress,
            self.on,
            count=count,
            areas=list(areas),
            round_name=None if round_value == ANY_ROUND else round_value,
            seed=self.seed,
        )
        self.mix = drill.session_mix(self.session, self.progress, self.on)
        self.index, self.grades, self.skipped = 0, [], 0
        self._show_question()

    def _clear_panel(self) -> None:
        self.session, self.index = (), 0
        self.play.playing = False
        self.heading.value = self.question.value = ""
        self.countdown.value = ""
        self.key_point_boxes = []
        self.key_points.children = ()
        self.follow_up.value = self.suggestion.value = self.feedback.value = ""
        self.reveal_button.disabled = self.next_button.disabled = True
        for button in self.grade_buttons.values():
            button.disabled = True

    def _show_question(self) -> None:
        question = self.current
        self.revealed = self.graded = False
        self.key_point_boxes = []
        self.key_points.children = ()
        self.follow_up.value = self.suggestion.value = self.feedback.value = ""
        for button in self.grade_buttons.values():
            button.disabled = True
        if question is None:
            self._finish()
            return
        self.heading.value = (
            f"<b>Question {self.index + 1} of {len(self.session)}</b> &middot; "
            f"{html.escape(question.area)} &middot; {html.escape(question.round)} &middot; "
            f"difficulty {question.difficulty} &middot; "
            f"{html.escape(drill.describe_status(self.progress, question.id, self.on))}"
        )
        self.question.value = f'<p style="font-size:1.2em">{html.escape(question.question)}</p>'
        budget = question.time_budget_s
        self.play.playing = False
        self.play.max = self.timer_bar.max = budget
        self.play.value = 0
        self.countdown.value = drill.countdown_text(budget, 0)
        self.reveal_button.disabled = False
        self.next_button.disabled = False
        self.next_button.description = "Skip"
        self.play.playing = True  # the browser counts; the kernel only relabels

    def _finish(self) -> None:
        self.play.playing = False
        self.heading.value = "<b>Session over</b>"
        summary = drill.session_summary(
            self.grades, self.skipped, self.bank, self.progress, self.on
        )
        self.question.value = "<br>".join(html.escape(line) for line in summary.splitlines())
        self.countdown.value = ""
        self.reveal_button.disabled = self.next_button.disabled = True

    def _tick(self, change: dict) -> None:
        question = self.current
        if question is not None:
            self.countdown.value = drill.countdown_text(question.time_budget_s, change["new"])

    def _reveal(self, *_: object) -> None:
        question = self.current
        if question is None or self.revealed:
            return
        self.revealed = True
        self.play.playing = False
        self.reveal_button.disabled = True
        self.key_point_boxes = [
            w.Checkbox(value=False, indent=False, layout=w.Layout(width="28px"))
            for _ in question.key_points
        ]
        rows = [
            w.HBox([box, w.HTML(html.escape(point))])
            for box, point in zip(self.key_point_boxes, question.key_points, strict=True)
        ]
        self.key_points.children = (
            w.HTML("<b>Tick the key points your answer covered:</b>"),
            *rows,
        )
        for box in self.key_point_boxes:
            box.observe(self._suggest, names="value")
        self.follow_up.value = (
            f"<b>Follow-up:</b> {html.escape(question.follow_up)}<br>"
            f'<i>Taught in <a href="{html.escape(question.section)}.ipynb">'
            f"{html.escape(question.section)}</a></i>"
        )
        self._suggest()
        for button in self.grade_buttons.values():
            button.disabled = False

    def _suggest(self, *_: object) -> None:
        grade = drill.suggest_grade([box.value for box in self.key_point_boxes])
        self.suggestion.value = (
            f"Suggested from your ticks: <b>{grade}</b> (the grade is yours to choose)."
        )

    def grade(self, grade: str) -> None:
        """Grade the question on screen (what the three grade buttons do)."""
        question = self.current
        if question is None or not self.revealed or self.graded:
            return
        try:
            self.progress, review, notices = drill.record_and_save(
                self.path,
                question.id,
                grade,
                self.on,
                self._now(),
                ticked=[box.value for box in self.key_point_boxes],
            )
        except (OSError, ValueError) as error:
            self.last_error = f"the progress could not be saved: {error}"
            self.message.value = error_html(self.last_error)
            return
        self.notices.extend(notices)
        self.graded = True
        self.grades.append(grade)
        for button in self.grade_buttons.values():
            button.disabled = True
        self.feedback.value = html.escape(
            drill.describe_move(review, self.progress.cards[question.id])
        )
        self.next_button.description = "Next question"
        self._draw_plots()
        self.result.value = self._status_html()

    def _next(self, *_: object) -> None:
        if self.current is None:
            return
        if not self.graded:
            self.skipped += 1
        self.index += 1
        self._show_question()
        self.result.value = self._status_html()

    def _restart(self, *_: object) -> None:
        self._session_key = None
        self.refresh()

    # -- display -----------------------------------------------------------------------
    def _status_html(self) -> str:
        lines = [
            f"Session of {len(self.session)} question(s): {self.mix.get('due', 0)} due for review, "
            f"{self.mix.get('new', 0)} new; {len(self.grades)} graded, {self.skipped} skipped so far. "
            f"Progress is saved in {self.path.name} in your learner folder."
        ]
        if not self.session:
            lines.append(
                "Nothing to practise with these choices today: every card is scheduled for later."
            )
        parts = [f"<div>{html.escape(line)}</div>" for line in lines]
        parts += [f'<div style="color:#D55E00">{html.escape(n)}</div>' for n in self.notices]
        return "".join(parts)

    def calculate(self) -> DrillTables:
        """The tables the three plots draw, for the progress so far (library calls only)."""
        return DrillTables(
            boxes=drill.box_counts(self.bank, self.progress),
            forecast=drill.due_forecast(self.bank, self.progress, self.on),
            readiness=drill.readiness(self.bank, self.progress),
        )

    def _draw_plots(self) -> None:
        if self._plotted == self.progress:
            return  # the filters changed, the progress did not: the plots stand
        self._plotted = self.progress
        tables = self.calculate()
        # Each plot is made once and then updated (much cheaper than a new figure), and only
        # when its bars changed (a missed new card leaves the readiness as it was); a table
        # with other bars (the forecast after midnight, say) gets a new plot.
        for name, kind, table, image in (
            ("boxes", drill_plots.BoxesPlot, tables.boxes, self.boxes_image),
            ("forecast", drill_plots.ForecastPlot, tables.forecast, self.forecast_image),
            ("readiness", drill_plots.ReadinessPlot, tables.readiness, self.readiness_image),
        ):
            plot = self._plots.get(name)
            if plot is not None and plot.matches(kind.categories_of(table)):
                if plot.shows(table) and image.value:
                    continue
                figure = plot.update(table)
            else:
                plot = self._plots[name] = kind(table)
                figure = plot.fig
            image.value = to_png(figure)
