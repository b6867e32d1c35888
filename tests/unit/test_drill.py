"""The question bank, the Leitner scheduler and the progress file of interview_lab.drill."""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_lab import drill

DAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 9, 30, 0)
BANK = drill.load_bank()


# --------------------------------------------------------------------------- the bank
def test_bank_size_and_areas() -> None:
    assert len(BANK) >= 40
    per_area = pd.Series([q.area for q in BANK]).value_counts()
    assert set(per_area.index) == set(drill.AREAS)
    assert per_area.min() >= 3
    assert set(q.round for q in BANK) == set(drill.ROUNDS)


def test_bank_rows_are_well_formed() -> None:
    ids = [q.id for q in BANK]
    assert len(ids) == len(set(ids))
    for q in BANK:
        assert 3 <= len(q.key_points) <= 6, q.id
        assert all(p and p == p.strip() for p in q.key_points), q.id
        assert q.difficulty in (1, 2, 3)
        assert q.section in drill.SECTIONS
        assert q.question.strip() and q.follow_up.strip()
        assert q.time_budget_s == (2700 if q.round == "system design" else 120)


def test_chapter_questions_are_in_the_bank() -> None:
    # One probe per chapter topic: Q1 pipeline, Q8 Terraform state, Q17 monitoring 1000 servers,
    # Q18 disk-usage script, Q20 Terraform autoscaled service.
    texts = {q.id: q.question.lower() for q in BANK}
    assert "pipeline" in texts["cicd-01"]
    assert "terraform state" in texts["iac-01"]
    assert "1,000 servers" in texts["sd-02"]
    assert "80 percent" in texts["code-01"]
    assert "scales on cpu" in texts["iac-06"]


def _frame(**changes: object) -> pd.DataFrame:
    row = {
        "id": "x-01",
        "area": "CI/CD",
        "round": "deep dive",
        "difficulty": "2",
        "question": "Why?",
        "key_points": "one | two | three",
        "follow_up": "And then?",
        "section": "02a-cicd-and-containers",
    }
    second = dict(row, id="x-02")
    row.update(changes)
    return pd.DataFrame([row, second], dtype=str)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"area": "kubernetes"}, "the area must be one of"),
        ({"round": "lunch"}, "the round must be one of"),
        ({"difficulty": "4"}, "the difficulty must be 1, 2 or 3"),
        ({"difficulty": "two"}, "the difficulty must be 1, 2 or 3"),
        ({"key_points": "one | two"}, "3 to 6 key points"),
        ({"key_points": " | ".join("abcdefg")}, "3 to 6 key points"),
        ({"key_points": "one |  | three"}, "one of the key points is empty"),
        ({"section": "02-technical"}, "the section must name one of the course's notebooks"),
        ({"follow_up": "  "}, "the column 'follow_up' is empty"),
        ({"id": "x-02"}, "this id is used twice"),
    ],
)
def test_bank_validation_names_the_line(changes: dict, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        drill.bank_from_frame(_frame(**changes))
    message = str(caught.value)
    assert fragment in message
    assert re.search(r"lines? 2 \(x-0[12]\)", message)  # the header is line 1 of the CSV


def test_bank_validation_lists_every_problem() -> None:
    with pytest.raises(ValueError, match=r"has 2 problem\(s\)") as caught:
        drill.bank_from_frame(_frame(area="k8s", difficulty="9"))
    assert "area" in str(caught.value) and "difficulty" in str(caught.value)


def test_bank_missing_column_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="missing the column"):
        drill.bank_from_frame(_frame().drop(columns=["follow_up"]))
    with pytest.raises(ValueError, match="no question bank"):
        drill.load_bank(tmp_path / "nothing.csv")
    good = tmp_path / "bank.csv"
    _frame().to_csv(good, index=False)
    assert [q.id for q in drill.load_bank(good)] == ["x-01", "x-02"]
    assert drill.load_bank(good)[0].key_points == ("one", "two", "three")


def test_names_are_forgiving_but_checked() -> None:
    assert drill.resolve_areas(["cicd", "Cloud-and-Autoscaling", "CI/CD"]) == (
        "CI/CD",
        "cloud and autoscaling",
    )
    assert drill.resolve_areas(None) == drill.AREAS
    assert drill.resolve_round("System-Design") == "system design"
    assert drill.resolve_round(None) is None
    with pytest.raises(ValueError, match="there is no area 'k8s'"):
        drill.resolve_areas(["k8s"])
    with pytest.raises(ValueError, match="pick at least one area"):
        drill.resolve_areas([])
    with pytest.raises(ValueError, match="there is no round"):
        drill.resolve_round("lunch")


# --------------------------------------------------------------------------- the Leitner moves
@pytest.mark.parametrize(
    ("box", "grade", "expected"),
    [
        (0, "missed", 1),
        (0, "partial", 1),
        (0, "nailed", 2),
        (1, "missed", 1),
        (1, "partial", 1),
        (1, "nailed", 2),
        (3, "missed", 1),
        (3, "partial", 3),
        (3, "nailed", 4),
        (5, "missed", 1),
        (5, "partial", 5),
        (5, "nailed", 5),
    ],
)
def test_next_box(box: int, grade: str, expected: int) -> None:
    assert drill.next_box(box, grade) == expected


def test_bad_grades_and_boxes_are_refused() -> None:
    with pytest.raises(ValueError, match="the grade must be one of"):
        drill.next_box(1, "great")
    with pytest.raises(ValueError, match="between 0"):
        drill.next_box(6, "nailed")
    with pytest.raises(ValueError, match="between 1 and 5"):
        drill.interval_days(0)


def test_worked_schedule_of_one_card() -> None:
    state = drill.schedule(None, "nailed", DAY)  # new -> box 2, back in 2 days
    assert (state.box, state.due, state.reviews, state.lapses) == (2, date(2026, 1, 7), 1, 0)
    state = drill.schedule(state, "nailed", date(2026, 1, 7))  # box 3, 4 days
    assert (state.box, state.due) == (3, date(2026, 1, 11))
    state = drill.schedule(state, "missed", date(2026, 1, 11))  # back to box 1, tomorrow
    assert (state.box, state.due, state.lapses) == (1, date(2026, 1, 12), 1)
    state = drill.schedule(state, "partial", date(2026, 1, 12))
    assert (state.box, state.due, state.reviews) == (1, date(2026, 1, 13), 4)


grades = st.sampled_from(drill.GRADES)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def card_states(draw) -> drill.CardState:
    box = draw(st.integers(1, drill.N_BOXES))
    last = draw(days)
    gap = draw(st.integers(1, 40))
    reviews = draw(st.integers(1, 50))
    return drill.CardState(
        box=box,
        due=last + timedelta(days=gap),
        last_reviewed=last,
        reviews=reviews,
        lapses=draw(st.integers(0, reviews)),
        last_grade=draw(grades),
    )


@settings(max_examples=300, deadline=None)
@given(start=days, steps=st.lists(st.tuples(grades, st.integers(-5, 30)), min_size=1, max_size=40))
def test_a_card_never_leaves_the_boxes(start: date, steps: list[tuple[str, int]]) -> None:
    state, on = None, start
    for grade, gap in steps:
        on = on + timedelta(days=gap)
        state = drill.schedule(state, grade, on)
        assert 1 <= state.box <= drill.N_BOXES
        assert state.due - state.last_reviewed == timedelta(days=drill.interval_days(state.box))
        assert state.due > state.last_reviewed
    assert state.reviews == len(steps)
    assert state.lapses == sum(g == "missed" for g, _ in steps)


@settings(max_examples=300, deadline=None)
@given(state=card_states(), offset=st.integers(-30, 60))
def test_a_nailed_card_is_never_due_sooner(state: drill.CardState, offset: int) -> None:
    after = drill.schedule(state, "nailed", state.last_reviewed + timedelta(days=offset))
    assert after.due >= state.due
    assert drill.interval_days(after.box) >= drill.interval_days(state.box)
    assert after.box == min(state.box + 1, drill.N_BOXES)


@settings(max_examples=200, deadline=None)
@given(state=card_states(), offset=st.integers(0, 60))
def test_missed_goes_to_box_one_and_partial_stays(state: drill.CardState, offset: int) -> None:
    on = state.last_reviewed + timedelta(days=offset)
    missed = drill.schedule(state, "missed", on)
    assert (missed.box, missed.due) == (1, on + timedelta(days=1))
    partial = drill.schedule(state, "partial", on)
    assert partial.box == state.box
    assert partial.due == on + timedelta(days=drill.interval_days(state.box))


@settings(max_examples=200, deadline=None)
@given(state=card_states(), back=st.integers(1, 30), grade=grades)
def test_a_clock_set_back_counts_as_the_last_review_day(
    state: drill.CardState, back: int, grade: str
) -> None:
    after = drill.schedule(state, grade, state.last_reviewed - timedelta(days=back))
    assert after.last_reviewed == state.last_reviewed
    assert after.due > state.last_reviewed


def test_card_state_rejects_impossible_values() -> None:
    with pytest.raises(ValueError, match="box must be between 1 and 5"):
        drill.CardState(6, date(2026, 1, 9), DAY, 1, 0, "nailed")
    with pytest.raises(ValueError, match="due after its last review"):
        drill.CardState(1, DAY, DAY, 1, 0, "nailed")
    with pytest.raises(ValueError, match="lapses"):
        drill.CardState(1, date(2026, 1, 6), DAY, 1, 2, "missed")


def test_record_logs_ticks_and_keeps_the_old_progress() -> None:
    empty = drill.Progress()
    after = drill.record(empty, "cicd-01", "partial", DAY, ticked=[True, False, True, False, False])
    assert empty.cards == {} and empty.log == ()
    assert after.cards["cicd-01"].box == 1
    entry = after.log[-1]
    assert (entry.card, entry.grade, entry.box_before, entry.box_after) == (
        "cicd-01",
        "partial",
        0,
        1,
    )
    assert (entry.covered, entry.key_points, entry.due) == (2, 5, date(2026, 1, 6))
    with pytest.raises(TypeError):
        after.cards["x"] = after.cards["cicd-01"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("ticked", "grade"),
    [([False, False, False], "missed"), ([True, False, False], "partial"), ([True] * 4, "nailed")],
)
def test_suggest_grade(ticked: list[bool], grade: str) -> None:
    assert drill.suggest_grade(ticked) == grade


def test_countdown_text() -> None:
    assert drill.countdown_text(120, 0) == "2:00 left of 2:00"
    assert drill.countdown_text(120, 75) == "0:45 left of 2:00"
    assert drill.countdown_text(2700, 61) == "43:59 left of 45:00"
    assert drill.countdown_text(120, 120).startswith("Time is up (2:00)")
    assert drill.format_duration(3599) == "59:59"
    with pytest.raises(ValueError, match="cannot be negative"):
        drill.countdown_text(120, -1)


# --------------------------------------------------------------------------- sessions and tables
def _progress(entries: dict[str, tuple[int, date]]) -> drill.Progress:
    cards = {
        card: drill.CardState(
            box, due, due - timedelta(days=drill.interval_days(box)), 1, 0, "partial"
        )
        for card, (box, due) in entries.items()
    }
    return drill.Progress(cards=cards)


def test_session_due_first_most_overdue_first_then_new_easiest_first() -> None:
    progress = _progress(
        {
            "cicd-02": (2, DAY - timedelta(days=1)),  # 1 day overdue
            "cicd-04": (3, DAY - timedelta(days=5)),  # 5 days overdue
            "cicd-05": (1, DAY),  # due today
            "cicd-01": (4, DAY + timedelta(days=3)),  # later: not asked
        }
    )
    session = drill.pick_session(BANK, progress, DAY, count=6, areas=["cicd"], seed=7)
    ids = [q.id for q in session]
    assert ids[:3] == ["cicd-04", "cicd-02", "cicd-05"]
    assert "cicd-01" not in ids
    assert sorted(ids[3:]) == ["cicd-03", "cicd-06"]  # the new ones, difficulty 1 both
    assert drill.session_mix(session, progress, DAY) == {"due": 3, "new": 2}


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    count=st.integers(1, 30),
    area=st.sampled_from(drill.AREAS),
    round_name=st.sampled_from((None, *drill.ROUNDS)),
    boxes=st.dictionaries(
        st.sampled_from([q.id for q in BANK]),
        st.tuples(st.integers(1, 5), st.integers(-10, 10)),
        max_size=30,
    ),
)
def test_session_properties(seed: int, count: int, area: str, round_name, boxes: dict) -> None:
    progress = _progress(
        {card: (box, DAY + timedelta(days=gap)) for card, (box, gap) in boxes.items()}
    )
    first = drill.pick_session(
        BANK, progress, DAY, count=count, areas=[area], round_name=round_name, seed=seed
    )
    again = drill.pick_session(
        BANK, progress, DAY, count=count, areas=[area], round_name=round_name, seed=seed
    )
    assert first == again
    assert len(first) <= count and len({q.id for q in first}) == len(first)
    assert all(q.area == area and (round_name is None or q.round == round_name) for q in first)
    states = [progress.cards.get(q.id) for q in first]
    assert all(s is None or s.due <= DAY for s in states)  # never a card scheduled later
    kinds = ["due" if s is not None else "new" for s in states]
    assert kinds == sorted(kinds)  # "due" < "new": every due card comes before any new one
    overdue = [(DAY - s.due).days for s in states if s is not None]
    assert overdue == sorted(overdue, reverse=True)


def test_session_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1 question"):
        drill.pick_session(BANK, drill.Progress(), DAY, count=0)


def test_box_counts_forecast_and_readiness() -> None:
    progress = _progress(
        {
            "cicd-01": (3, DAY - timedelta(days=2)),  # overdue: counts today
            "cicd-02": (3, DAY + timedelta(days=1)),
            "cicd-03": (5, DAY + timedelta(days=13)),
            "cicd-04": (5, DAY + timedelta(days=14)),  # beyond the two weeks
            "cont-01": (1, DAY + timedelta(days=1)),
        }
    )
    boxes = drill.box_counts(BANK, progress)
    assert boxes["cards"].tolist() == [len(BANK) - 5, 1, 0, 2, 0, 2]
    assert boxes["interval_days"].tolist() == [0, 1, 2, 4, 8, 16]
    forecast = drill.due_forecast(BANK, progress, DAY)
    assert len(forecast) == 14 and forecast["date"].iloc[0] == pd.Timestamp(DAY)
    assert forecast["due"].tolist() == [1, 2] + [0] * 11 + [1]
    table = drill.readiness(BANK, progress).set_index("area")
    n_cicd = sum(q.area == "CI/CD" for q in BANK)
    # mastery: box 3 -> 0.5, box 5 -> 1.0; CI/CD has two of each
    assert table.loc["CI/CD", "readiness_pct"] == pytest.approx(round(100 * 3.0 / n_cicd, 1))
    assert table.loc["CI/CD", ["cards", "seen", "mastered"]].tolist() == [n_cicd, 4, 2]
    assert table.loc["containers", "readiness_pct"] == 0.0  # box 1 is the start line
    assert table.loc["monitoring", "band"] == "starting"
    assert list(table.index) == list(drill.AREAS)


def test_readiness_bands() -> None:
    everything = _progress(
        {q.id: (5, DAY + timedelta(days=3)) for q in BANK if q.area == "security"}
    )
    table = drill.readiness(BANK, everything).set_index("area")
    assert table.loc["security", "readiness_pct"] == 100.0
    assert table.loc["security", "band"] == "ready"
    assert [drill.readiness_band(x) for x in (0, 24.9, 25, 50, 74.9, 75, 100)] == [
        "starting",
        "starting",
        "practising",
        "nearly",
        "nearly",
        "ready",
        "ready",
    ]


def test_summary_and_descriptions() -> None:
    progress = drill.record(drill.Progress(), "cicd-01", "nailed", DAY)
    review = progress.log[-1]
    assert drill.describe_move(review, progress.cards["cicd-01"]) == (
        "Nailed: new card -> box 2; next review on Wed 2026-01-07 (in 2 days)."
    )
    assert drill.describe_status(progress, "cicd-01", DAY) == "box 2, due on 2026-01-07"
    assert drill.describe_status(progress, "cicd-01", date(2026, 1, 10)) == "box 2, due 3 days ago"
    assert drill.describe_status(progress, "cicd-02", DAY) == "new card"
    text = drill.session_summary(["nailed"], 2, BANK, progress, DAY)
    assert "1 graded (1 nailed, 0 partial, 0 missed), 2 skipped" in text
    assert "1 card(s) on Wed 2026-01-07" in text
    assert drill.tally(["missed", "missed"]) == {"missed": 2, "partial": 0, "nailed": 0}


# --------------------------------------------------------------------------- the progress file
@settings(max_examples=50, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["cicd-01", "sd-02", "neg-03"]), grades, st.integers(0, 9)),
        max_size=15,
    )
)
def test_json_round_trip(steps: list[tuple[str, str, int]]) -> None:
    progress, on = drill.Progress(), DAY
    for card, grade, gap in steps:
        on += timedelta(days=gap)
        progress = drill.record(progress, card, grade, on, ticked=[True, False, True])
    assert drill.progress_from_json(drill.progress_to_json(progress)) == progress


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "drill-progress.json"
    assert drill.load_progress(path, NOW).progress == drill.Progress()
    progress = drill.record(drill.Progress(), "iac-01", "nailed", DAY)
    assert drill.save_progress(progress, path, NOW) is None
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == drill.FORMAT_MARKER and data["version"] == 1
    assert data["cards"]["iac-01"] == {
        "box": 2,
        "due": "2026-01-07",
        "last_reviewed": "2026-01-05",
        "reviews": 1,
        "lapses": 0,
        "last_grade": "nailed",
    }
    loaded = drill.load_progress(path, NOW)
    assert loaded.progress == progress and loaded.notice is None
    # no temporary file left; the lock file stays (removing it could race another drill)
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "drill-progress.json",
        "drill-progress.json.lock",
    ]


def test_default_path_follows_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEW_LAB_HOME", str(tmp_path / "learner"))
    assert drill.default_progress_path() == tmp_path / "learner" / "drill-progress.json"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_crash_while_saving_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "drill-progress.json"
    old = drill.record(drill.Progress(), "iac-01", "nailed", DAY)
    drill.save_progress(old, path, NOW)
    before = path.read_bytes()

    def crash(*_args, **_kwargs):
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, failing, crash)
    new = drill.record(old, "iac-02", "missed", DAY)
    with pytest.raises(OSError, match="disk pulled out"):
        drill.save_progress(new, path, NOW)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "drill-progress.json",
        "drill-progress.json.lock",
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"theme": "dark"}', "not a drill progress file"),
        (
            b'{"format": "interview-lab/drill-progress", "version": 99, "cards": {}}',
            "format version 99",
        ),
        (
            b'{"format": "interview-lab/drill-progress", "version": 1, "cards": {"a": {"box": 9, '
            b'"due": "2026-01-07", "last_reviewed": "2026-01-05", "reviews": 1, "lapses": 0, '
            b'"last_grade": "nailed"}}}',
            "box must be between 1 and 5",
        ),
        (b'{"format": "interview-lab/drill-progress", "version": 1, "cards": []}', "'cards'"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_set_aside_not_overwritten(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "drill-progress.json"
    path.write_bytes(content)
    loaded = drill.load_progress(path, NOW)
    assert loaded.progress == drill.Progress()
    assert loaded.notice is not None and reason in loaded.notice
    kept = tmp_path / "drill-progress.json.set-aside-20260105T093000"
    assert loaded.set_aside_as == kept
    assert kept.read_bytes() == content
    assert str(kept) in loaded.notice
    assert not path.exists()


def test_saving_over_a_foreign_file_sets_it_aside(tmp_path: Path) -> None:
    path = tmp_path / "drill-progress.json"
    path.write_text('{"someone": "else"}', encoding="utf-8")
    (tmp_path / "drill-progress.json.set-aside-20260105T093000").write_text(
        "older", encoding="utf-8"
    )
    notice = drill.save_progress(drill.record(drill.Progress(), "sd-01", "partial", DAY), path, NOW)
    assert notice is not None and "not a drill progress file" in notice
    kept = tmp_path / "drill-progress.json.set-aside-20260105T093000-2"
    assert kept.read_text(encoding="utf-8") == '{"someone": "else"}'
    assert (tmp_path / "drill-progress.json.set-aside-20260105T093000").read_text(
        encoding="utf-8"
    ) == "older"
    assert drill.load_progress(path, NOW).progress.cards["sd-01"].box == 1


def test_a_folder_in_place_of_the_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is a folder"):
        drill.load_progress(tmp_path, NOW)


def test_record_and_save_reads_the_file_first(tmp_path: Path) -> None:
    path = tmp_path / "drill-progress.json"
    drill.save_progress(drill.record(drill.Progress(), "cicd-01", "nailed", DAY), path, NOW)
    # another drill (say the terminal) graded cicd-02 meanwhile; this one grades cicd-03
    drill.record_and_save(path, "cicd-02", "missed", DAY, NOW)
    progress, review, notices = drill.record_and_save(
        path, "cicd-03", "nailed", DAY, NOW, ticked=[True] * 5
    )
    assert set(progress.cards) == {"cicd-01", "cicd-02", "cicd-03"}
    assert (review.card, review.covered, review.key_points) == ("cicd-03", 5, 5)
    assert notices == []
    assert drill.load_progress(path, NOW).progress == progress


def test_review_log_table() -> None:
    progress = drill.record(drill.Progress(), "cicd-04", "nailed", DAY)
    progress = drill.record(
        progress, "cicd-04", "missed", date(2026, 1, 7), ticked=[False, True, False]
    )
    log = drill.review_log(progress)
    assert log["box_before"].tolist() == [0, 2] and log["box_after"].tolist() == [2, 1]
    assert log["due"].tolist() == [date(2026, 1, 7), date(2026, 1, 8)]
    assert log["covered"].isna().tolist() == [True, False] and log["covered"].iloc[1] == 1


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), per_day=st.integers(1, 12), chance=st.floats(0, 1))
def test_simulated_practice_stays_valid(seed: int, per_day: int, chance: float) -> None:
    progress = drill.simulate_practice(
        BANK, DAY, days=6, per_day=per_day, nail_probability=chance, seed=seed
    )
    assert 0 < len(progress.log) <= 6 * per_day
    assert all(1 <= s.box <= drill.N_BOXES for s in progress.cards.values())
    again = drill.simulate_practice(
        BANK, DAY, days=6, per_day=per_day, nail_probability=chance, seed=seed
    )
    assert again == progress
    if chance == 1.0:
        assert all(r.grade == "nailed" for r in progress.log)


def test_simulated_practice_checks_its_inputs() -> None:
    with pytest.raises(ValueError, match="unknown area"):
        drill.simulate_practice(BANK, DAY, days=1, per_day=1, nail_probability={"k8s": 0.5})
    with pytest.raises(ValueError, match="between 0 and 1"):
        drill.simulate_practice(BANK, DAY, days=1, per_day=1, nail_probability=1.5)
    with pytest.raises(ValueError, match="at least 1"):
        drill.simulate_practice(BANK, DAY, days=0, per_day=1)
