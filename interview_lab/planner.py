"""A preparation planner: the days before an interview, split between its rounds.

The rounds and their lengths are the typical DevOps pipeline the chapter describes: a recruiter
screen (15-30 min), a technical phone screen (45-60 min), then an on-site or virtual loop of a
technical deep dive (60 min), system design (60 min), behavioral (45-60 min) and coding or
scripting (60 min); the loop's four rounds add up to 225-240 minutes, inside the chapter's
"3-5 hours". An offer decision usually follows in one to two weeks.

How a plan is made (:func:`make_plan`):

1. **Hours.** Every day from ``today`` up to the day before ``interview_date`` is a study day with
   ``hours_per_day`` hours, counted in quarter hours (``SLOT_H``).
2. **Weights.** Each round starts with a weight equal to its typical length in minutes (the
   middle of its range), so a round the interviewers spend longer on gets more preparation. A
   round that tests at least one of the learner's weak areas (``AREAS`` maps each area to the
   rounds that test it) has its weight multiplied by ``weak_factor`` (2 by default).
3. **Allocation.** The quarter hours are shared out in proportion to the weights by the
   largest-remainder method, so the hours per round add up exactly to the total.
4. **Schedule.** Rounds are studied in the order they happen (the recruiter screen first), each
   as one block that may run across days: on a line of quarter hours, a round occupies
   ``[start, end)`` and a day occupies ``[d * day_slots, (d + 1) * day_slots)``; their overlap
   is that round's time on that day (one vectorised computation, no loop over days).

Everything here is pure: ``today`` is an argument, never read from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

SLOT_H = 0.25
"""The planning unit, in hours (a quarter hour)."""
MAX_HOURS_PER_DAY = 12.0
MAX_DAYS = 365
DEFAULT_WEAK_FACTOR = 2.0
MAX_WEAK_FACTOR = 5.0


@dataclass(frozen=True)
class Round:
    """One interview round: what it is, how long it lasts and what it tests."""

    key: str
    name: str
    stage: str
    min_minutes: int
    max_minutes: int
    tests: str
    prepare: str

    @property
    def typical_minutes(self) -> float:
        return (self.min_minutes + self.max_minutes) / 2


ROUNDS: tuple[Round, ...] = (
    Round(
        "recruiter", "Recruiter screen", "screen", 15, 30,
        "background, motivation, salary expectations, a few basic technical questions",
        "a one-minute pitch of your project and a researched salary range",
    ),
    Round(
        "phone", "Technical phone screen", "screen", 45, 60,
        "Linux and networking fundamentals, CI/CD concepts, scripting, your own project",
        "fundamentals out loud, and your project's pipeline from commit to production",
    ),
    Round(
        "deep-dive", "Technical deep dive", "loop", 60, 60,
        "your real experience, architecture discussion, problem solving",
        "every component of your project and why you chose it over the alternatives",
    ),
    Round(
        "system-design", "System design", "loop", 60, 60,
        "architectural thinking: deployment pipelines, monitoring systems, scaling a web app",
        "the clarify, high-level, deep-dive, wrap-up routine and back-of-envelope estimates",
    ),
    Round(
        "behavioral", "Behavioral", "loop", 45, 60,
        "STAR stories, cultural fit, handling conflict",
        "three to five STAR stories with measured results, told aloud in under three minutes",
    ),
    Round(
        "coding", "Coding and scripting", "loop", 60, 60,
        "live Bash and Python, debugging scenarios, infrastructure as code",
        "short scripts written against a timer: disk checks, health checks, Terraform resources",
    ),
)
ROUND_KEYS: tuple[str, ...] = tuple(r.key for r in ROUNDS)
_ROUNDS_BY_KEY = {r.key: r for r in ROUNDS}

AREAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pitch": ("Elevator pitch and motivation", ("recruiter",)),
    "salary": ("Salary expectations", ("recruiter",)),
    "fundamentals": ("Linux and networking fundamentals", ("phone",)),
    "cicd": ("CI/CD concepts", ("phone", "deep-dive", "system-design")),
    "scripting": ("Scripting in Bash and Python", ("phone", "coding")),
    "project": ("Explaining your own project", ("phone", "deep-dive")),
    "architecture": ("Architecture and trade-offs", ("deep-dive", "system-design")),
    "capacity": ("Scale and capacity estimates", ("system-design",)),
    "monitoring": ("Monitoring and observability", ("deep-dive", "system-design")),
    "star": ("STAR stories", ("behavioral",)),
    "conflict": ("Conflict and disagreement", ("behavioral",)),
    "debugging": ("Debugging scenarios", ("coding",)),
    "iac": ("Infrastructure as code", ("coding",)),
}
"""Weak-area key -> (label, the rounds that test it)."""


@dataclass(frozen=True)
class RoundPlan:
    """A round's share of the plan (no days when it got no time at all)."""

    key: str
    name: str
    weak: bool
    weight: float
    hours: float
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True)
class Plan:
    """A preparation plan; ``schedule`` has one row per (day, round) with time on it."""

    today: date
    interview_date: date
    days: int
    hours_per_day: float
    total_hours: float
    weak_areas: tuple[str, ...]
    weak_factor: float
    rounds: tuple[RoundPlan, ...]
    schedule: pd.DataFrame = field(compare=False, repr=False)

    def rounds_frame(self) -> pd.DataFrame:
        """The per-round table: name, weak or not, hours, share and first and last day."""
        frame = pd.DataFrame(
            {
                "round": [r.name for r in self.rounds],
                "weak": [r.weak for r in self.rounds],
                "hours": [r.hours for r in self.rounds],
                "first_day": [r.first_day for r in self.rounds],
                "last_day": [r.last_day for r in self.rounds],
            }
        )
        frame.insert(3, "share_pct", (100 * frame["hours"] / self.total_hours).round(1))
        return frame


def rounds_table() -> pd.DataFrame:
    """The rounds as a table: stage, length in minutes, what each tests, how to prepare."""
    return pd.DataFrame(
        {
            "round": [r.name for r in ROUNDS],
            "stage": [r.stage for r in ROUNDS],
            "minutes": [
                f"{r.min_minutes}" if r.min_minutes == r.max_minutes
                else f"{r.min_minutes}-{r.max_minutes}"
                for r in ROUNDS
            ],
            "tests": [r.tests for r in ROUNDS],
            "prepare": [r.prepare for r in ROUNDS],
        }
    )


def loop_minutes() -> tuple[int, int]:
    """The shortest and longest total length of the loop's rounds, in minutes."""
    loop = [r for r in ROUNDS if r.stage == "loop"]
    return sum(r.min_minutes for r in loop), sum(r.max_minutes for r in loop)


def areas_table() -> pd.DataFrame:
    """Weak-area keys, labels and the rounds that test them."""
    return pd.DataFrame(
        {
            "area": list(AREAS),
            "label": [label for label, _ in AREAS.values()],
            "rounds": [
                ", ".join(_ROUNDS_BY_KEY[k].name for k in rounds) for _, rounds in AREAS.values()
            ],
        }
    )


def weak_rounds(weak_areas: tuple[str, ...] | list[str]) -> frozenset[str]:
    """The keys of the rounds that test at least one of ``weak_areas``."""
    unknown = [a for a in weak_areas if a not in AREAS]
    if unknown:
        raise ValueError(
            f"unknown weak area {unknown[0]!r}: choose from {', '.join(AREAS)}"
        )
    return frozenset(k for a in weak_areas for k in AREAS[a][1])


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` (ties: earlier first)."""
    ideal = weights / weights.sum() * total
    base = np.floor(ideal).astype(int)
    left = total - int(base.sum())
    # Stable sort on the negative remainder: the largest remainders first, earlier rounds on ties.
    order = np.argsort(-(ideal - base), kind="stable")
    base[order[:left]] += 1
    return base


def default_interview_date(today: date, days_ahead: int = 21) -> date:
    """A starting interview date for the planner: ``days_ahead`` days after ``today``."""
    if days_ahead < 1:
        raise ValueError(f"days_ahead must be at least 1, got {days_ahead}")
    return today + timedelta(days=days_ahead)


def _check_date(value: object, name: str) -> date:
    if value is None:
        raise ValueError(f"choose {name}")
    if not isinstance(value, date):
        raise ValueError(f"{name} must be a date, got {value!r}")
    return value


def make_plan(
    interview_date: date,
    today: date,
    hours_per_day: float,
    weak_areas: tuple[str, ...] | list[str] = (),
    *,
    weak_factor: float = DEFAULT_WEAK_FACTOR,
) -> Plan:
    """A plan for the days from ``today`` to the day before ``interview_date``.

    >>> plan = make_plan(date(2026, 3, 23), date(2026, 3, 2), 2.0, ["star"])
    >>> plan.days, plan.total_hours, [r.hours for r in plan.rounds]
    (21, 42.0, [2.75, 6.0, 7.0, 7.0, 12.25, 7.0])
    """
    interview_date = _check_date(interview_date, "the interview date")
    today = _check_date(today, "today's date")
    days = (interview_date - today).days
    if days < 1:
        raise ValueError(
            f"the interview date must be after today ({today.isoformat()}), "
            f"got {interview_date.isoformat()}"
        )
    if days > MAX_DAYS:
        raise ValueError(f"the interview must be at most {MAX_DAYS} days away, got {days} days")
    if not 0 < hours_per_day <= MAX_HOURS_PER_DAY:
        raise ValueError(
            f"hours_per_day must be more than 0 and at most {MAX_HOURS_PER_DAY:g}, "
            f"got {hours_per_day}"
        )
    if abs(hours_per_day / SLOT_H - round(hours_per_day / SLOT_H)) > 1e-9:
        raise ValueError(
            f"hours_per_day must be a whole number of quarter hours (0.25, 0.5, ...), "
            f"got {hours_per_day}"
        )
    if not 1 <= weak_factor <= MAX_WEAK_FACTOR:
        raise ValueError(
            f"weak_factor must be between 1 and {MAX_WEAK_FACTOR:g}, got {weak_factor}"
        )
    weak_areas = tuple(dict.fromkeys(weak_areas))  # de-duplicated, order kept
    weak = weak_rounds(weak_areas)

    is_weak = np.array([r.key in weak for r in ROUNDS])
    weights = np.array([r.typical_minutes for r in ROUNDS]) * np.where(is_weak, weak_factor, 1.0)
    day_slots = round(hours_per_day / SLOT_H)
    total_slots = day_slots * days
    slots = _largest_remainder(weights, total_slots)

    # Rounds as consecutive blocks on the line of quarter hours; days as equal blocks.
    end = np.cumsum(slots)
    start = end - slots
    day_start = np.arange(days) * day_slots
    overlap = np.clip(
        np.minimum(end[None, :], day_start[:, None] + day_slots)
        - np.maximum(start[None, :], day_start[:, None]),
        0,
        None,
    )  # shape (days, rounds), in slots
    day_index, round_index = np.nonzero(overlap)
    dates = pd.Series([today + timedelta(days=int(d)) for d in range(days)])
    schedule = pd.DataFrame(
        {
            "day": day_index + 1,
            "date": dates.to_numpy()[day_index],
            "round_key": np.array(ROUND_KEYS)[round_index],
            "round": np.array([r.name for r in ROUNDS])[round_index],
            "weak": is_weak[round_index],
            "hours": overlap[day_index, round_index] * SLOT_H,
        }
    )
    first_day = start // day_slots
    last_day = np.maximum(end - 1, start) // day_slots
    rounds = tuple(
        RoundPlan(
            key=r.key,
            name=r.name,
            weak=bool(is_weak[i]),
            weight=float(weights[i]),
            hours=float(slots[i] * SLOT_H),
            first_day=today + timedelta(days=int(first_day[i])) if slots[i] else None,
            last_day=today + timedelta(days=int(last_day[i])) if slots[i] else None,
        )
        for i, r in enumerate(ROUNDS)
    )
    return Plan(
        today=today,
        interview_date=interview_date,
        days=days,
        hours_per_day=float(hours_per_day),
        total_hours=total_slots * SLOT_H,
        weak_areas=weak_areas,
        weak_factor=float(weak_factor),
        rounds=rounds,
        schedule=schedule,
    )
