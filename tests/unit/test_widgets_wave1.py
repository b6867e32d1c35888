"""Drive the STAR coach, quiz, planner and checklist widgets from Python, as a learner would.

Each test sets a control's value (or clicks a button), reads the widget's result or message
pane, and compares it with what the library computes for the same input.
"""

from __future__ import annotations

import html
import json
from datetime import date

import pytest

from interview_lab import checklist, planner, star
from interview_lab.widgets.base import error_html
from interview_lab.widgets.checklist import ChecklistWidget
from interview_lab.widgets.planner import PlannerWidget
from interview_lab.widgets.quiz import RedFlagQuizWidget
from interview_lab.widgets.star import StarCoachWidget

PNG_MAGIC = b"\x89PNG"
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def learner_home(tmp_path, monkeypatch):
    home = tmp_path / "learner"
    monkeypatch.setenv("INTERVIEW_LAB_HOME", str(home))
    return home


def _error_of(call) -> str:
    with pytest.raises(ValueError) as caught:
        call()
    return str(caught.value)


# -- STAR coach --------------------------------------------------------------------------------

def test_star_widget_shows_the_coach_report_for_the_first_example():
    widget = StarCoachWidget()
    bank = star.load_examples()
    report = star.coach(bank["answer"].iloc[0])
    assert widget.answer.value == bank["answer"].iloc[0]
    assert f"Score: {report.score} / 100" in widget.result.value
    assert widget.message.value == "" and widget.last_error is None
    assert bytes(widget.figure.value).startswith(PNG_MAGIC)


def test_star_widget_follows_the_text_and_the_pace():
    widget = StarCoachWidget()
    text = (
        "Situation: our deploys took 40 minutes. Task: my goal was to halve that. "
        "Action: I cached the dependency layer. Result: deploys dropped to 12 minutes."
    )
    widget.answer.value = text
    report = star.coach(text)
    assert f"Score: {report.score} / 100" in widget.result.value
    assert f"verdict: <b style=\"color:#D55E00\">{report.verdict}</b>" in widget.result.value
    assert html.escape("12 minutes") in widget.result.value
    assert f"{report.word_count} words, {report.speaking_time_text} at 150 words" in (
        widget.result.value
    )
    widget.words_per_minute.value = 120
    slower = star.coach(text, words_per_minute=120)
    assert f"{slower.speaking_time_text} at 120 words per minute" in widget.result.value


def test_star_widget_lists_red_flags_and_advice():
    widget = StarCoachWidget("The release failed because my teammate didn't test properly.")
    report = star.coach(widget.answer.value)
    assert report.red_flags
    for flag in report.red_flags:
        assert html.escape(flag.name) in widget.result.value
    for line in report.advice:
        assert html.escape(line) in widget.result.value


def test_star_widget_example_dropdown_fills_the_text():
    widget = StarCoachWidget("")
    bank = star.load_examples()
    widget.example.value = bank["id"].iloc[6]
    assert widget.answer.value == bank["answer"].iloc[6]
    report = star.coach(bank["answer"].iloc[6])
    assert f"Score: {report.score} / 100" in widget.result.value
    assert widget.message.value == ""


@pytest.mark.parametrize("blank", ["", "   \n  "])
def test_star_widget_empty_answer_shows_the_sentence(blank):
    widget = StarCoachWidget()
    widget.answer.value = blank
    expected = _error_of(lambda: star.coach(blank))
    assert widget.message.value == error_html(expected)
    assert widget.last_error == expected
    assert widget.result.value == ""
    assert bytes(widget.figure.value) == b""


# -- red-flag quiz -----------------------------------------------------------------------------

def test_quiz_checks_a_guess_on_the_spot():
    quiz = star.load_quiz()
    widget = RedFlagQuizWidget()
    first = quiz.iloc[0]
    assert widget.item.value == first["id"]
    assert "Choose above" in widget.result.value
    assert html.escape(first["answer"]) in widget.result.value
    widget.guess.value = first["verdict"]
    assert "Right:" in widget.result.value
    assert html.escape(first["explanation"]) in widget.result.value
    for flag in star.find_red_flags(first["answer"]):
        assert html.escape(flag.name) in widget.result.value
    tally = star.quiz_tally(quiz, {first["id"]: first["verdict"]})
    assert f"{tally.correct} right out of {tally.answered} answered" in widget.result.value


def test_quiz_wrong_guess_next_item_and_memory():
    quiz = star.load_quiz()
    widget = RedFlagQuizWidget()
    widget.guess.value = quiz["verdict"].iloc[0]
    widget.next_button.click()
    second = quiz.iloc[1]
    assert widget.item.value == second["id"]
    assert widget.guess.value is None
    wrong = "strong" if second["verdict"] == "red_flag" else "red_flag"
    widget.guess.value = wrong
    assert "Not quite:" in widget.result.value
    assert "1 right out of 2 answered" in widget.result.value
    assert widget.guesses == {quiz["id"].iloc[0]: quiz["verdict"].iloc[0], second["id"]: wrong}
    widget.item.value = quiz["id"].iloc[0]  # back to the first: its guess is shown again
    assert widget.guess.value == quiz["verdict"].iloc[0]
    assert "Right:" in widget.result.value
    widget.item.value = quiz["id"].iloc[-1]
    widget.next_button.click()
    assert widget.item.value == quiz["id"].iloc[0]  # wraps around


def test_quiz_every_item_agrees_with_the_coach_in_the_widget():
    quiz = star.load_quiz()
    widget = RedFlagQuizWidget()
    for item_id, verdict in zip(quiz["id"], quiz["verdict"], strict=True):
        widget.item.value = item_id
        widget.guess.value = verdict
        assert "disagree" not in widget.result.value
    assert f"{len(quiz)} right out of {len(quiz)} answered" in widget.result.value


# -- planner -----------------------------------------------------------------------------------

def test_planner_widget_shows_the_library_plan():
    widget = PlannerWidget(today=TODAY)
    assert widget.interview_date.value == date(2026, 3, 23)
    plan = planner.make_plan(date(2026, 3, 23), TODAY, 2.0, ())
    assert f"<b>{plan.days} days</b>" in widget.result.value
    assert f"<b>{plan.total_hours:g} h</b>" in widget.result.value
    for r in plan.rounds:
        assert f"<td>{html.escape(r.name)}</td><td></td><td>{r.hours:g} h</td>" in (
            widget.result.value
        )
    assert bytes(widget.figure.value).startswith(PNG_MAGIC)


def test_planner_widget_weak_areas_and_hours():
    widget = PlannerWidget(today=TODAY)
    widget.weak_areas.value = ("star", "iac")
    widget.hours_per_day.value = 1.5
    widget.weak_factor.value = 3.0
    plan = planner.make_plan(date(2026, 3, 23), TODAY, 1.5, ("star", "iac"), weak_factor=3.0)
    for r in plan.rounds:
        weak = "yes" if r.weak else ""
        assert f"<td>{html.escape(r.name)}</td><td>{weak}</td><td>{r.hours:g} h</td>" in (
            widget.result.value
        )
    assert f"<b>{plan.total_hours:g} h</b>" in widget.result.value


@pytest.mark.parametrize(
    ("interview", "fragment"),
    [(date(2026, 3, 1), "must be after today"), (None, "choose the interview date")],
)
def test_planner_widget_bad_date_shows_the_sentence(interview, fragment):
    widget = PlannerWidget(today=TODAY)
    widget.interview_date.value = interview
    expected = _error_of(lambda: planner.make_plan(interview, TODAY, 2.0, ()))
    assert fragment in expected
    assert widget.message.value == error_html(expected)
    assert widget.result.value == "" and bytes(widget.figure.value) == b""
    widget.interview_date.value = date(2026, 3, 9)  # fixing it clears the message
    assert widget.message.value == ""
    assert "<b>7 days</b>" in widget.result.value


# -- checklist ---------------------------------------------------------------------------------

def _saved(learner_home) -> list[str]:
    return json.loads((learner_home / "checklist.json").read_text(encoding="utf-8"))["done"]


def test_checklist_widget_saves_ticks_and_a_new_widget_reloads_them(learner_home):
    widget = ChecklistWidget()
    assert not (learner_home / "checklist.json").exists()  # nothing ticked, nothing written
    assert "Readiness: 0 %" in widget.result.value
    widget.boxes["research"].value = True
    widget.boxes["thank-you"].value = True
    assert _saved(learner_home) == ["research", "thank-you"]
    state = checklist.load_checklist()
    score = checklist.readiness(state)
    assert f"Readiness: {score.percent:.0f} %" in widget.result.value
    assert f"({score.done} of {score.total} items)" in widget.result.value
    assert "$INTERVIEW_LAB_HOME/checklist.json" in widget.result.value
    again = ChecklistWidget()
    assert {k for k, box in again.boxes.items() if box.value} == {"research", "thank-you"}
    assert again.result.value == widget.result.value


def test_checklist_widget_reload_button(learner_home):
    widget = ChecklistWidget()
    checklist.save_checklist(checklist.ChecklistState(frozenset({"demo", "ask"})))
    widget.reload_button.click()
    assert {k for k, box in widget.boxes.items() if box.value} == {"demo", "ask"}
    assert "(2 of 15 items)" in widget.result.value


def test_checklist_widget_damaged_file_is_reported_and_kept(learner_home):
    path = learner_home / "checklist.json"
    learner_home.mkdir(parents=True, exist_ok=True)
    path.write_text("{oops", encoding="utf-8")
    widget = ChecklistWidget()
    expected = _error_of(checklist.load_checklist)
    assert widget.message.value == error_html(expected)
    assert widget.result.value == ""
    assert not widget.set_aside_button.disabled
    widget.boxes["demo"].value = True  # ticking does not overwrite the damaged file
    assert path.read_text(encoding="utf-8") == "{oops"
    assert widget.message.value == error_html(expected)
    widget.set_aside_button.click()
    assert widget.message.value == ""
    assert widget.set_aside_button.disabled
    assert (learner_home / "checklist.corrupt-1.json").read_text(encoding="utf-8") == "{oops"
    assert "$INTERVIEW_LAB_HOME/checklist.corrupt-1.json" in widget.result.value
    assert _saved(learner_home) == ["demo"]  # the tick made meanwhile is kept
