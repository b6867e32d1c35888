"""The drill widget driven from Python (buttons clicked, values set), and its plots."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from interview_lab import drill
from interview_lab.plots import drill as drill_plots
from interview_lab.widgets.drill import ANY_ROUND, DrillWidget

DAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 9, 30, 0)
BANK = drill.load_bank()
PNG = b"\x89PNG\r\n\x1a\n"


def make(tmp_path: Path, **options) -> DrillWidget:
    options.setdefault("count", 3)
    return DrillWidget(
        progress_path=tmp_path / "drill-progress.json", on=DAY, now=lambda: NOW, seed=5, **options
    )


def saved(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "drill-progress.json").read_text(encoding="utf-8"))


def test_first_question_and_countdown(tmp_path: Path) -> None:
    widget = make(tmp_path)
    expected = drill.pick_session(BANK, drill.Progress(), DAY, count=3, seed=5)
    assert widget.last_error is None
    assert widget.current == expected[0]
    assert expected[0].question in widget.question.value
    assert "Question 1 of 3" in widget.heading.value and "new card" in widget.heading.value
    assert "3 question(s): 0 due for review, 3 new" in widget.result.value
    assert widget.countdown.value == "2:00 left of 2:00"
    assert widget.play.max == widget.timer_bar.max == 120
    widget.play.value = 75  # what the browser's Play widget does every second
    assert widget.countdown.value == "0:45 left of 2:00"
    widget.play.value = 120
    assert widget.countdown.value.startswith("Time is up (2:00)")
    assert all(button.disabled for button in widget.grade_buttons.values())


def test_reveal_tick_grade_and_the_file(tmp_path: Path) -> None:
    widget = make(tmp_path)
    first = widget.current
    widget.grade("nailed")  # ignored: the key points are not revealed yet
    assert not (tmp_path / "drill-progress.json").exists()
    widget.reveal_button.click()
    assert len(widget.key_point_boxes) == len(first.key_points)
    assert first.follow_up in widget.follow_up.value
    assert f'href="{first.section}.ipynb"' in widget.follow_up.value
    assert "<b>missed</b>" in widget.suggestion.value
    widget.key_point_boxes[0].value = True
    widget.key_point_boxes[1].value = True
    assert "<b>partial</b>" in widget.suggestion.value
    widget.grade_buttons["nailed"].click()
    data = saved(tmp_path)
    assert data["cards"][first.id] == {
        "box": 2,
        "due": "2026-01-07",
        "last_reviewed": "2026-01-05",
        "reviews": 1,
        "lapses": 0,
        "last_grade": "nailed",
    }
    assert data["log"][-1]["covered"] == 2 and data["log"][-1]["key_points"] == len(
        first.key_points
    )
    assert "Nailed: new card -&gt; box 2" in widget.feedback.value
    assert all(button.disabled for button in widget.grade_buttons.values())
    widget.grade_buttons["missed"].click()  # a second grade of the same question is ignored
    assert saved(tmp_path)["cards"][first.id]["box"] == 2
    assert widget.next_button.description == "Next question"
    widget.next_button.click()
    assert widget.current != first and "Question 2 of 3" in widget.heading.value
    assert widget.key_point_boxes == [] and widget.feedback.value == ""


def test_skip_miss_and_finish(tmp_path: Path) -> None:
    widget = make(tmp_path)
    session = widget.session
    widget.next_button.click()  # skip the first
    widget.reveal_button.click()
    widget.grade_buttons["missed"].click()
    widget.next_button.click()
    widget.reveal_button.click()
    widget.grade_buttons["partial"].click()
    widget.next_button.click()
    assert widget.current is None
    assert "Session over" in widget.heading.value
    assert "2 graded (0 nailed, 1 partial, 1 missed), 1 skipped" in widget.question.value
    assert widget.reveal_button.disabled and widget.next_button.disabled
    cards = saved(tmp_path)["cards"]
    assert set(cards) == {session[1].id, session[2].id}
    assert cards[session[1].id]["lapses"] == 1 and cards[session[2].id]["box"] == 1


def test_filters_start_a_new_session(tmp_path: Path) -> None:
    widget = make(tmp_path)
    widget.round.value = "system design"
    assert widget.current.round == "system design"
    assert widget.countdown.value == "45:00 left of 45:00"
    assert widget.play.max == 2700
    widget.round.value = ANY_ROUND
    widget.areas.value = ("negotiation", "scripting")
    assert {q.area for q in widget.session} <= {"negotiation", "scripting"}
    widget.count.value = 7
    assert len(widget.session) == 7


def test_no_area_shows_a_sentence(tmp_path: Path) -> None:
    widget = make(tmp_path)
    widget.areas.value = ()
    assert widget.last_error == "pick at least one area"
    assert "pick at least one area" in widget.message.value
    assert widget.current is None and widget.reveal_button.disabled
    widget.areas.value = ("security",)
    assert widget.last_error is None and widget.current.area == "security"


def test_due_cards_from_the_terminal_come_first(tmp_path: Path) -> None:
    path = tmp_path / "drill-progress.json"
    drill.record_and_save(path, "sd-03", "missed", DAY - timedelta(days=3), NOW)
    widget = make(tmp_path)
    assert widget.current.id == "sd-03"
    assert "due 2 days ago" in widget.heading.value
    assert "1 due for review, 2 new" in widget.result.value


def test_new_session_button_reloads_the_file(tmp_path: Path) -> None:
    widget = make(tmp_path)
    drill.record_and_save(
        tmp_path / "drill-progress.json", "mon-04", "missed", DAY - timedelta(days=1), NOW
    )
    widget.restart_button.click()
    assert widget.current.id == "mon-04"


def test_a_corrupted_file_is_reported_and_set_aside(tmp_path: Path) -> None:
    (tmp_path / "drill-progress.json").write_text("[1, 2", encoding="utf-8")
    widget = make(tmp_path)
    assert "could not be used: it is not valid JSON" in widget.result.value
    kept = tmp_path / "drill-progress.json.set-aside-20260105T093000"
    assert kept.read_text(encoding="utf-8") == "[1, 2"
    widget.reveal_button.click()
    widget.grade_buttons["partial"].click()
    assert len(saved(tmp_path)["cards"]) == 1
    assert kept.read_text(encoding="utf-8") == "[1, 2"


def test_plots_are_drawn_and_follow_the_grades(tmp_path: Path) -> None:
    widget = make(tmp_path)
    before = bytes(widget.boxes_image.value)
    assert before.startswith(PNG) and bytes(widget.forecast_image.value).startswith(PNG)
    assert bytes(widget.readiness_image.value).startswith(PNG)
    widget.areas.value = ("security",)  # a filter does not change the progress: same plot
    assert bytes(widget.boxes_image.value) == before
    widget.reveal_button.click()
    widget.grade_buttons["nailed"].click()
    after = bytes(widget.boxes_image.value)
    assert after.startswith(PNG) and after != before


# --------------------------------------------------------------------------- the plot functions
def _progress() -> drill.Progress:
    progress = drill.Progress()
    for card, grade in [("cicd-01", "nailed"), ("cicd-02", "missed"), ("sec-01", "partial")]:
        progress = drill.record(progress, card, grade, DAY)
    return progress


def test_boxes_figure_bars_match_the_counts() -> None:
    counts = drill.box_counts(BANK, _progress())
    fig = drill_plots.boxes_figure(counts)
    ax = fig.axes[0]
    assert [bar.get_height() for bar in ax.patches] == counts["cards"].tolist()
    assert counts["cards"].tolist() == [len(BANK) - 3, 2, 1, 0, 0, 0]
    assert ax.get_ylabel() == "cards (count)" and ax.get_title() == "Cards per Leitner box"


def test_forecast_figure_has_fourteen_days() -> None:
    forecast = drill.due_forecast(BANK, _progress(), DAY)
    ax = drill_plots.forecast_figure(forecast).axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    assert len(heights) == 14 and heights[:3] == [0, 2, 1] and sum(heights) == 3
    assert "cards due" in ax.get_ylabel()


def test_readiness_figure_colours_by_band() -> None:
    progress = drill.Progress()
    for q in BANK:
        if q.area == "security":
            state = None
            for step in range(5):
                progress = drill.record(progress, q.id, "nailed", DAY + timedelta(days=20 * step))
                state = progress.cards[q.id]
            assert state.box == 5
    table = drill.readiness(BANK, progress)
    ax = drill_plots.readiness_figure(table).axes[0]
    widths = {
        tick.get_text(): bar.get_width()
        for tick, bar in zip(ax.get_yticklabels(), ax.patches, strict=True)
    }
    assert widths["security"] == 100.0 and widths["CI/CD"] == 0.0
    colours = {
        tick.get_text(): bar.get_facecolor()
        for tick, bar in zip(ax.get_yticklabels(), ax.patches, strict=True)
    }
    from matplotlib.colors import to_rgba

    assert colours["security"] == pytest.approx(to_rgba(drill_plots.BAND_COLOURS["ready"]))
    assert colours["CI/CD"] == pytest.approx(to_rgba(drill_plots.BAND_COLOURS["starting"]))
