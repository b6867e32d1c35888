"""The preparation planner: hours per round, the day-by-day schedule, and its validation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_lab import planner

TODAY = date(2026, 3, 2)
INTERVIEW = date(2026, 3, 23)


def test_rounds_and_the_loop_length_claim():
    assert planner.ROUND_KEYS == (
        "recruiter", "phone", "deep-dive", "system-design", "behavioral", "coding"
    )
    low, high = planner.loop_minutes()
    assert (low, high) == (225, 240)  # 60 + 60 + 45 + 60 and 60 + 60 + 60 + 60
    assert 3 * 60 <= low <= high <= 5 * 60  # inside the chapter's "3-5 hours"
    table = planner.rounds_table()
    assert table["minutes"].tolist() == ["15-30", "45-60", "60", "60", "45-60", "60"]


def test_every_area_maps_to_known_rounds_and_every_round_has_an_area():
    rounds = {r for _, keys in planner.AREAS.values() for r in keys}
    assert rounds == set(planner.ROUND_KEYS)
    assert len(planner.areas_table()) == len(planner.AREAS)


def test_plan_worked_by_hand():
    plan = planner.make_plan(INTERVIEW, TODAY, 2.0, ["star"])
    assert plan.days == 21
    assert plan.total_hours == 42.0
    # Weights: 22.5, 52.5, 60, 60, 52.5 x 2 = 105, 60 (sum 360); 168 quarter hours.
    # Ideal slots: 10.5, 24.5, 28, 28, 49, 28 -> floors sum to 167; the one slot left goes to
    # the earlier of the two .5 remainders (the recruiter screen).
    assert [r.weight for r in plan.rounds] == [22.5, 52.5, 60.0, 60.0, 105.0, 60.0]
    assert [r.hours for r in plan.rounds] == [2.75, 6.0, 7.0, 7.0, 12.25, 7.0]
    assert [r.weak for r in plan.rounds] == [False, False, False, False, True, False]
    assert plan.rounds[0].first_day == TODAY
    assert plan.rounds[0].last_day == TODAY + timedelta(days=1)  # 2.75 h at 2 h a day
    assert plan.rounds[-1].last_day == INTERVIEW - timedelta(days=1)
    frame = plan.rounds_frame()
    assert frame["share_pct"].tolist() == [6.5, 14.3, 16.7, 16.7, 29.2, 16.7]


def test_schedule_rows_add_up_by_day_and_by_round():
    plan = planner.make_plan(INTERVIEW, TODAY, 1.5, ["scripting", "capacity"])
    by_day = plan.schedule.groupby("day")["hours"].sum()
    assert by_day.index.tolist() == list(range(1, plan.days + 1))
    assert (by_day == 1.5).all()
    by_round = plan.schedule.groupby("round_key")["hours"].sum()
    assert {r.key: r.hours for r in plan.rounds} == by_round.to_dict()
    assert plan.schedule["date"].iloc[0] == TODAY
    assert plan.schedule["date"].iloc[-1] == INTERVIEW - timedelta(days=1)
    # Blocks in pipeline order: a round's first day is never before the previous round's last.
    for earlier, later in zip(plan.rounds, plan.rounds[1:], strict=False):
        assert later.first_day >= earlier.last_day


def test_weak_areas_move_hours_to_their_rounds():
    none = planner.make_plan(INTERVIEW, TODAY, 2.0, [])
    weak = planner.make_plan(INTERVIEW, TODAY, 2.0, ["scripting"])  # phone + coding
    hours_none = {r.key: r.hours for r in none.rounds}
    hours_weak = {r.key: r.hours for r in weak.rounds}
    assert hours_weak["coding"] > hours_none["coding"]
    assert hours_weak["phone"] > hours_none["phone"]
    assert hours_weak["behavioral"] < hours_none["behavioral"]
    assert sum(hours_weak.values()) == sum(hours_none.values()) == 42.0
    same = planner.make_plan(INTERVIEW, TODAY, 2.0, ["scripting"], weak_factor=1.0)
    assert [r.hours for r in same.rounds] == [r.hours for r in none.rounds]


def test_duplicate_weak_areas_count_once():
    once = planner.make_plan(INTERVIEW, TODAY, 2.0, ["star"])
    twice = planner.make_plan(INTERVIEW, TODAY, 2.0, ["star", "star", "conflict"])
    assert twice.weak_areas == ("star", "conflict")
    assert [r.hours for r in twice.rounds] == [r.hours for r in once.rounds]


def test_a_single_quarter_hour_goes_to_one_round():
    plan = planner.make_plan(TODAY + timedelta(days=1), TODAY, 0.25)
    assert sum(r.hours for r in plan.rounds) == 0.25
    assert len(plan.schedule) == 1
    empty = [r for r in plan.rounds if r.hours == 0]
    assert len(empty) == 5 and all(r.first_day is None for r in empty)


def test_weak_rounds():
    assert planner.weak_rounds(["cicd"]) == {"phone", "deep-dive", "system-design"}
    assert planner.weak_rounds([]) == frozenset()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(interview_date=TODAY), "the interview date must be after today \\(2026-03-02\\)"),
        (dict(interview_date=TODAY - timedelta(days=3)), "must be after today"),
        (dict(interview_date=TODAY + timedelta(days=400)), "at most 365 days away, got 400"),
        (dict(interview_date=None), "choose the interview date"),
        (dict(interview_date="2026-03-20"), "the interview date must be a date"),
        (dict(today=None), "choose today's date"),
        (dict(hours_per_day=0), "hours_per_day must be more than 0 and at most 12, got 0"),
        (dict(hours_per_day=13), "got 13"),
        (dict(hours_per_day=1.1), "whole number of quarter hours"),
        (dict(weak_areas=["kubernetes"]), "unknown weak area 'kubernetes'"),
        (dict(weak_factor=0.5), "weak_factor must be between 1 and 5, got 0.5"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(kwargs, message):
    args = dict(interview_date=INTERVIEW, today=TODAY, hours_per_day=2.0, weak_areas=())
    args.update(kwargs)
    weak_factor = args.pop("weak_factor", planner.DEFAULT_WEAK_FACTOR)
    with pytest.raises(ValueError, match=message):
        planner.make_plan(**args, weak_factor=weak_factor)


def test_default_interview_date():
    assert planner.default_interview_date(TODAY) == date(2026, 3, 23)
    with pytest.raises(ValueError, match="days_ahead must be at least 1"):
        planner.default_interview_date(TODAY, 0)


@settings(max_examples=60, deadline=None)
@given(
    days=st.integers(1, 90),
    quarters=st.integers(1, 32),
    weak=st.lists(st.sampled_from(sorted(planner.AREAS)), max_size=4),
    factor=st.sampled_from([1.0, 1.5, 2.0, 3.0, 5.0]),
)
def test_plan_properties(days, quarters, weak, factor):
    hours_per_day = quarters * planner.SLOT_H
    plan = planner.make_plan(TODAY + timedelta(days=days), TODAY, hours_per_day, weak,
                             weak_factor=factor)
    assert plan.total_hours == days * hours_per_day
    assert sum(r.hours for r in plan.rounds) == plan.total_hours
    assert (plan.schedule["hours"] > 0).all()
    assert (plan.schedule.groupby("day")["hours"].sum() == hours_per_day).all()
    # A weak round never gets fewer hours than a non-weak round of the same typical length,
    # give or take the one quarter hour that rounding can move.
    rounds = {r.key: r for r in plan.rounds}
    if rounds["system-design"].weak and not rounds["deep-dive"].weak:
        assert rounds["system-design"].hours >= rounds["deep-dive"].hours - planner.SLOT_H
