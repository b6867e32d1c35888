"""The mock-interview drill: the question bank and a Leitner-box scheduler.

What this module does
    * loads and checks ``data/questions.csv`` (see ``data/README.md`` for its columns);
    * keeps every question on a card that lives in one of five Leitner boxes. A card is
      reviewed again after its box's interval (1, 2, 4, 8 or 16 days). The learner grades
      each answer: *missed* sends the card back to box 1, *partial* keeps it in its box,
      *nailed* moves it up one box (box 5 is the top);
    * picks a practice session: cards that are due (most overdue first), then cards never
      practised (easiest first), filtered by area and interview round, in an order fixed
      by a seed;
    * summarises progress: cards per box, cards due on each of the next 14 days, and a
      readiness figure per area;
    * stores progress as JSON in the learner's folder (``settings.learner_dir()``), written
      atomically (temporary file, fsync, ``os.replace``). A file that is not valid progress
      (bad JSON, nested too deeply, another program's file, another format version, dates
      outside 1970 to 2200) is never overwritten: it is renamed with a ``.set-aside-<time>``
      suffix and the learner is told. Anything but a regular file (a folder, a named pipe, a
      device) is refused, never read: a pipe nobody writes to would wait forever;
    * saves every grade by reading the file, adding the grade and writing it back while
      holding a lock (``fcntl.flock`` on ``<file>.lock`` beside it, for that moment only), so
      that two drills on the same file at once (the notebook and a terminal, say) keep both
      sessions' grades. Grades that cannot be saved (a read-only folder) are kept by the
      caller and saved together at the next try (:func:`save_grades`).

Time is always an argument (``on`` for the day of a review, ``now`` for time stamps), so
the same inputs give the same outputs, and tests and notebooks pin the date.

Sources
    * The Leitner system: Sebastian Leitner, *So lernt man lernen* (1972). Correct answers
      move a card to the next box, wrong answers back to the first; each box is reviewed less
      often than the one before. The doubling intervals used here are the course's choice.
    * Time budgets: two minutes for a spoken answer; 45 minutes for a system-design question,
      which holds the clarify, high-level, deep-dive, wrap-up framework of notebook 04
      (5 + 10 + 15 to 20 + 5 = 35 to 40 minutes) with time left for the interviewer.
    * Key points of the questions: written for the course; the chapter's twenty worked
      questions are among them (``data/README.md`` maps them).
    * Saving: ``flock(2)`` (Linux man-pages) gives an advisory lock on an open file, released
      when its last descriptor closes, so a drill that crashes leaves no lock behind; the lock
      file itself is never deleted, since a drill could then lock a file another has replaced.
      ``O_NONBLOCK`` makes opening a named pipe return at once (``open(2)``, ``fifo(7)``).
"""

from __future__ import annotations

import contextlib
import json
import os
import reprlib
import stat
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from interview_lab import settings

try:  # POSIX; elsewhere saves are not locked against a second drill on the same file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# --------------------------------------------------------------------- fixed vocabularies
AREAS: tuple[str, ...] = (
    "CI/CD",
    "containers",
    "cloud and autoscaling",
    "infrastructure as code",
    "monitoring",
    "security",
    "behavioral",
    "system design",
    "scripting",
    "negotiation",
)
ROUNDS: tuple[str, ...] = ("phone screen", "deep dive", "system design", "behavioral", "coding")
SECTIONS: tuple[str, ...] = (
    "00-contents",
    "01-interview-pipeline",
    "02a-cicd-and-containers",
    "02b-cloud-and-autoscaling",
    "02c-monitoring-and-dora",
    "03-behavioral-star",
    "04-system-design",
    "05-coding-and-scripting",
    "06-red-flags",
    "07-salary-negotiation",
    "08-summary-checklist",
    "09-mock-interview",
)
GRADES: tuple[str, ...] = ("missed", "partial", "nailed")
BANK_COLUMNS: tuple[str, ...] = (
    "id",
    "area",
    "round",
    "difficulty",
    "question",
    "key_points",
    "follow_up",
    "section",
)
KEY_POINT_SEPARATOR = " | "
MIN_KEY_POINTS, MAX_KEY_POINTS = 3, 6
DIFFICULTIES: tuple[int, ...] = (1, 2, 3)

# --------------------------------------------------------------------- the schedule
BOX_INTERVALS_DAYS: tuple[int, ...] = (1, 2, 4, 8, 16)
N_BOXES = len(BOX_INTERVALS_DAYS)
FORECAST_DAYS = 14
DEFAULT_TIME_BUDGET_S = 2 * 60
SYSTEM_DESIGN_TIME_BUDGET_S = 45 * 60
# Readiness bands, best first: (lowest readiness in percent, label).
READINESS_BANDS: tuple[tuple[float, str], ...] = (
    (75.0, "ready"),
    (50.0, "nearly"),
    (25.0, "practising"),
    (0.0, "starting"),
)

# --------------------------------------------------------------------- the progress file
PROGRESS_FILE_NAME = "drill-progress.json"
FORMAT_MARKER = "interview-lab/drill-progress"
FORMAT_VERSION = 1
SET_ASIDE_SUFFIX = ".set-aside-"
LOCK_SUFFIX = ".lock"
LOCK_TIMEOUT_S = 10.0  # a save takes milliseconds; a lock held this long belongs to a stuck drill
# Years of practice fill well under a megabyte; a bigger file is not this drill's progress.
MAX_PROGRESS_BYTES = 50 * 10**6
# Days a review may happen on: wide enough for any learner, narrow enough for date arithmetic
# and pandas' timestamps. A due date may lie up to the longest interval after the last day.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2200, 12, 31)


class ProgressFileError(ValueError):
    """The progress file is not one this version of the course can read."""


class ProgressPathError(ValueError):
    """The progress file's path names something that cannot hold progress (a folder, a pipe)."""


_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60


def _shown(value: object) -> str:
    """A value from a file, for a message: quoted, cut short, never spanning lines."""
    return _SHORT.repr(value)


def check_day(on: date, name: str = "the date") -> date:
    """``on`` itself, when a review may happen on it (1970-01-01 to 2200-12-31)."""
    if not FIRST_DAY <= on <= LAST_DAY:
        raise ValueError(f"{name} must be between {FIRST_DAY} and {LAST_DAY}, got {on}")
    return on


# ===================================================================== the question bank
@dataclass(frozen=True)
class Question:
    """One interview question of the bank."""

    id: str
    area: str
    round: str
    difficulty: int
    question: str
    key_points: tuple[str, ...]
    follow_up: str
    section: str

    @property
    def time_budget_s(self) -> int:
        """Seconds to answer aloud: 45 minutes in a system-design round, else 2 minutes."""
        return time_budget_s(self.round)


def time_budget_s(round_name: str) -> int:
    """The time budget of one answer in a round, in seconds."""
    if round_name not in ROUNDS:
        raise ValueError(f"the round must be one of {', '.join(ROUNDS)}; got {round_name!r}")
    return SYSTEM_DESIGN_TIME_BUDGET_S if round_name == "system design" else DEFAULT_TIME_BUDGET_S


def _problem(
    frame: pd.DataFrame, mask: pd.Series, sentence: str, column: str | None = None
) -> str | None:
    """``line 2 (id): sentence`` for the CSV lines where ``mask`` holds, or None.

    With ``column``, the offending values are quoted at the end ("got 'kubernetes'").
    """
    if not bool(mask.any()):
        return None
    lines = (mask[mask].index + 2).astype(str)  # the header is line 1, so rows start at 2
    ids = frame.loc[mask, "id"].replace("", "no id")
    where = ", ".join(f"{line} ({ident})" for line, ident in zip(lines, ids, strict=True))
    label = "line" if int(mask.sum()) == 1 else "lines"
    got = ""
    if column is not None:
        got = "; got " + ", ".join(repr(v) for v in pd.unique(frame.loc[mask, column]))
    return f"{label} {where}: {sentence}{got}"


def bank_from_frame(frame: pd.DataFrame, *, source: str = "questions.csv") -> tuple[Question, ...]:
    """Check a question table and turn it into questions; a ``ValueError`` lists every problem.

    ``frame`` holds the CSV's cells as text (as :func:`load_bank` reads them).
    """
    missing = [c for c in BANK_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{source} is missing the column(s) {', '.join(missing)}; "
            f"it needs the columns {', '.join(BANK_COLUMNS)}"
        )
    if frame.empty:
        raise ValueError(f"{source} has no questions")
    cells = frame.loc[:, list(BANK_COLUMNS)].astype(str).apply(lambda col: col.str.strip())
    cells = cells.reset_index(drop=True)
    filled = cells.ne("")
    problems: list[str | None] = [
        _problem(cells, ~filled[column], f"the column {column!r} is empty")
        for column in BANK_COLUMNS
    ]
    ids = cells["id"]
    problems.append(
        _problem(cells, filled["id"] & ids.duplicated(keep=False), "this id is used twice", "id")
    )
    problems.append(
        _problem(
            cells,
            filled["area"] & ~cells["area"].isin(AREAS),
            f"the area must be one of {', '.join(AREAS)}",
            "area",
        )
    )
    problems.append(
        _problem(
            cells,
            filled["round"] & ~cells["round"].isin(ROUNDS),
            f"the round must be one of {', '.join(ROUNDS)}",
            "round",
        )
    )
    difficulty = pd.to_numeric(cells["difficulty"], errors="coerce")
    problems.append(
        _problem(
            cells,
            filled["difficulty"] & ~difficulty.isin(DIFFICULTIES),
            "the difficulty must be 1, 2 or 3",
            "difficulty",
        )
    )
    points = cells["key_points"].str.split(KEY_POINT_SEPARATOR, regex=False)
    counts = points.str.len()
    problems.append(
        _problem(
            cells,
            filled["key_points"] & ~counts.between(MIN_KEY_POINTS, MAX_KEY_POINTS),
            f"a question needs {MIN_KEY_POINTS} to {MAX_KEY_POINTS} key points separated by "
            f"{KEY_POINT_SEPARATOR!r}",
        )
    )
    blank_point = points.explode().astype(str).str.strip().eq("").groupby(level=0).any()
    problems.append(
        _problem(cells, filled["key_points"] & blank_point, "one of the key points is empty")
    )
    problems.append(
        _problem(
            cells,
            filled["section"] & ~cells["section"].isin(SECTIONS),
            "the section must name one of the course's notebooks, without .ipynb",
            "section",
        )
    )
    found = [p for p in problems if p]
    if found:
        listing = "\n".join(f"  - {p}" for p in found)
        raise ValueError(f"{source} has {len(found)} problem(s):\n{listing}")
    records = cells.assign(difficulty=difficulty.astype(int), key_points=points).to_dict("records")
    return tuple(
        Question(
            id=r["id"],
            area=r["area"],
            round=r["round"],
            difficulty=int(r["difficulty"]),
            question=r["question"],
            key_points=tuple(p.strip() for p in r["key_points"]),
            follow_up=r["follow_up"],
            section=r["section"],
        )
        for r in records
    )


def load_bank(path: str | os.PathLike[str] | None = None) -> tuple[Question, ...]:
    """The question bank from a CSV file (default: the course's ``data/questions.csv``)."""
    frame, name = read_bank_table(path)
    return bank_from_frame(frame, source=name)


def read_bank_table(path: str | os.PathLike[str] | None = None) -> tuple[pd.DataFrame, str]:
    """The bank's CSV as text cells, every column kept, and its file name (not yet checked).

    :func:`load_bank` checks it with :func:`bank_from_frame`; the flashcard export
    (:mod:`interview_lab.flashcards`) also keeps the columns the drill does not use.
    """
    csv_path = Path(path) if path is not None else settings.data_path("questions.csv")
    if not csv_path.exists():
        raise ValueError(f"there is no question bank at {csv_path}")
    if not csv_path.is_file():  # a folder, or a pipe that would be waited on forever
        raise ValueError(f"the question bank {csv_path} is not a regular file")
    try:
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(f"{csv_path.name} is not a readable CSV file: {error}") from error
    return frame, csv_path.name


def bank_frame(bank: Sequence[Question]) -> pd.DataFrame:
    """The bank as a table, one row per question (key points joined back into one cell)."""
    return pd.DataFrame(
        {
            "id": [q.id for q in bank],
            "area": [q.area for q in bank],
            "round": [q.round for q in bank],
            "difficulty": [q.difficulty for q in bank],
            "question": [q.question for q in bank],
            "key_points": [len(q.key_points) for q in bank],
            "section": [q.section for q in bank],
        }
    )


def _normalise(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def resolve_areas(names: Iterable[str] | None) -> tuple[str, ...]:
    """Area names as the learner typed them ("cicd", "Cloud-and-autoscaling") → bank names.

    ``None`` means every area. Spelling is forgiving: case, spaces, dashes and slashes are
    ignored.
    """
    if names is None:
        return AREAS
    wanted = [n for n in names]
    if not wanted:
        raise ValueError("pick at least one area")
    lookup = {_normalise(a): a for a in AREAS}
    resolved: list[str] = []
    for name in wanted:
        key = _normalise(name)
        if key not in lookup:
            raise ValueError(f"there is no area {name!r}; the areas are: {', '.join(AREAS)}")
        if lookup[key] not in resolved:
            resolved.append(lookup[key])
    return tuple(resolved)


def resolve_round(name: str | None) -> str | None:
    """A round name as typed ("Phone-Screen") → the bank's name; ``None`` means any round."""
    if name is None:
        return None
    lookup = {_normalise(r): r for r in ROUNDS}
    key = _normalise(name)
    if key not in lookup:
        raise ValueError(f"there is no round {name!r}; the rounds are: {', '.join(ROUNDS)}")
    return lookup[key]


def filter_bank(
    bank: Sequence[Question], areas: Iterable[str] | None = None, round_name: str | None = None
) -> tuple[Question, ...]:
    """The questions of the chosen areas (default all) and round (default any)."""
    chosen_areas = set(resolve_areas(areas))
    chosen_round = resolve_round(round_name)
    return tuple(
        q
        for q in bank
        if q.area in chosen_areas and (chosen_round is None or q.round == chosen_round)
    )


# ===================================================================== the Leitner schedule
@dataclass(frozen=True)
class CardState:
    """Where one question's card stands: its box, when it is due, and how it went so far."""

    box: int
    due: date
    last_reviewed: date
    reviews: int
    lapses: int
    last_grade: str

    def __post_init__(self) -> None:
        if not 1 <= self.box <= N_BOXES:
            raise ValueError(f"a card's box must be between 1 and {N_BOXES}, got {self.box}")
        if self.due <= self.last_reviewed:
            raise ValueError(
                f"a card must be due after its last review, got due {self.due} "
                f"and last reviewed {self.last_reviewed}"
            )
        if self.reviews < 1:
            raise ValueError(
                f"a card with a state has been reviewed at least once, got {self.reviews}"
            )
        if not 0 <= self.lapses <= self.reviews:
            raise ValueError(
                f"lapses must be between 0 and the number of reviews ({self.reviews}), got {self.lapses}"
            )
        if self.last_grade not in GRADES:
            raise ValueError(
                f"the grade must be one of {', '.join(GRADES)}, got {self.last_grade!r}"
            )


@dataclass(frozen=True)
class Review:
    """One graded answer, as kept in the progress file's log."""

    card: str
    on: date
    grade: str
    box_before: int  # 0 for a card seen for the first time
    box_after: int
    due: date  # the next review this grade scheduled
    covered: int | None = None  # key points ticked, when the learner ticked them
    key_points: int | None = None


@dataclass(frozen=True)
class Progress:
    """Every card's state plus the log of reviews. Immutable: recording returns a new one."""

    cards: Mapping[str, CardState] = field(default_factory=dict)
    log: tuple[Review, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "cards", MappingProxyType(dict(self.cards)))
        object.__setattr__(self, "log", tuple(self.log))


def interval_days(box: int) -> int:
    """Days until the next review of a card that sits in ``box`` (1 to 5)."""
    if not 1 <= box <= N_BOXES:
        raise ValueError(f"the box must be between 1 and {N_BOXES}, got {box}")
    return BOX_INTERVALS_DAYS[box - 1]


def next_box(box: int, grade: str) -> int:
    """The Leitner move: missed → box 1, partial → same box, nailed → one box up (at most 5).

    ``box`` 0 stands for a card never reviewed, which starts in box 1.
    """
    if grade not in GRADES:
        raise ValueError(f"the grade must be one of {', '.join(GRADES)}, got {grade!r}")
    if not 0 <= box <= N_BOXES:
        raise ValueError(f"the box must be between 0 (new) and {N_BOXES}, got {box}")
    current = max(box, 1)
    if grade == "missed":
        return 1
    if grade == "partial":
        return current
    return min(current + 1, N_BOXES)


def schedule(state: CardState | None, grade: str, on: date) -> CardState:
    """A card's state after a graded review on day ``on`` (``state`` None: a new card).

    The next review is ``on`` plus the new box's interval. A review dated before the card's
    last review (a clock set back) counts as made on the day of the last review. A nailed
    card is never due sooner than it was before (this matters only for a state whose due
    date was set by hand or by other intervals; otherwise the longer interval ensures it).
    """
    check_day(on, "the day of a review")
    box_before = 0 if state is None else state.box
    box = next_box(box_before, grade)
    day = on if state is None else max(on, state.last_reviewed)
    due = day + timedelta(days=interval_days(box))
    if grade == "nailed" and state is not None:
        due = max(due, state.due)  # a nailed card is never due sooner than it was
    return CardState(
        box=box,
        due=due,
        last_reviewed=day,
        reviews=1 if state is None else state.reviews + 1,
        lapses=(0 if state is None else state.lapses) + (grade == "missed"),
        last_grade=grade,
    )


def record(
    progress: Progress,
    card_id: str,
    grade: str,
    on: date,
    *,
    ticked: Sequence[bool] | None = None,
) -> Progress:
    """Progress after grading card ``card_id`` on day ``on``.

    ``ticked`` holds one flag per key point (ticked = covered in the answer), if the learner
    ticked them; the log keeps how many were covered.
    """
    if not card_id:
        raise ValueError("the card id is empty")
    before = progress.cards.get(card_id)
    after = schedule(before, grade, on)
    covered = None if ticked is None else int(sum(bool(t) for t in ticked))
    entry = Review(
        card=card_id,
        on=after.last_reviewed,
        grade=grade,
        box_before=0 if before is None else before.box,
        box_after=after.box,
        due=after.due,
        covered=covered,
        key_points=None if ticked is None else len(ticked),
    )
    cards = dict(progress.cards)
    cards[card_id] = after
    return replace(progress, cards=cards, log=(*progress.log, entry))


def describe_status(progress: Progress, card_id: str, on: date) -> str:
    """A card's standing on day ``on`` in words: new, due (how late), or due on a later day."""
    state = progress.cards.get(card_id)
    if state is None:
        return "new card"
    late = (on - state.due).days
    if late < 0:
        return f"box {state.box}, due on {state.due:%Y-%m-%d}"
    if late == 0:
        return f"box {state.box}, due today"
    return f"box {state.box}, due {late} day{'s' if late != 1 else ''} ago"


def suggest_grade(ticked: Sequence[bool]) -> str:
    """A suggested self-grade from the ticked key points: none → missed, all → nailed."""
    if len(ticked) == 0:
        raise ValueError("there are no key points to judge the answer by")
    covered = sum(bool(t) for t in ticked)
    if covered == 0:
        return "missed"
    if covered == len(ticked):
        return "nailed"
    return "partial"


def describe_move(review: Review, state: CardState) -> str:
    """One sentence saying what a grade did to a card."""
    start = "new card" if review.box_before == 0 else f"box {review.box_before}"
    return (
        f"{review.grade.capitalize()}: {start} -> box {review.box_after}; "
        f"next review on {state.due:%a %Y-%m-%d} (in {(state.due - state.last_reviewed).days} "
        f"day{'s' if (state.due - state.last_reviewed).days != 1 else ''})."
    )


# ===================================================================== tables of progress
STATUS_NEW, STATUS_DUE, STATUS_LATER = "new", "due", "later"


def _joined(bank: Sequence[Question], progress: Progress) -> pd.DataFrame:
    """The bank's table with each card's box (0 = new) and due date (NaT for new cards)."""
    states = pd.DataFrame(
        {
            "id": pd.Series(list(progress.cards.keys()), dtype=object),
            "box": pd.Series([s.box for s in progress.cards.values()], dtype="int64"),
            "due": pd.to_datetime(
                pd.Series([s.due for s in progress.cards.values()], dtype=object)
            ),
        }
    )
    frame = bank_frame(bank).merge(states, on="id", how="left")
    frame["box"] = frame["box"].fillna(0).astype(int)
    return frame


def cards_frame(bank: Sequence[Question], progress: Progress, on: date) -> pd.DataFrame:
    """One row per question with its card: box (0 = new), due date, status and overdue days.

    Status is ``new`` (never reviewed), ``due`` (due on or before ``on``) or ``later``.
    Cards in the progress file whose question is no longer in the bank are left out.
    """
    frame = _joined(bank, progress)
    overdue = (pd.Timestamp(on) - frame["due"]).dt.days
    frame["status"] = np.select(
        [frame["due"].isna().to_numpy(), (overdue >= 0).to_numpy()],
        [STATUS_NEW, STATUS_DUE],
        default=STATUS_LATER,
    )
    frame["overdue_days"] = overdue.where(frame["status"].eq(STATUS_DUE), 0).fillna(0).astype(int)
    return frame


def pick_session(
    bank: Sequence[Question],
    progress: Progress,
    on: date,
    *,
    count: int = 10,
    areas: Iterable[str] | None = None,
    round_name: str | None = None,
    seed: int = 0,
) -> tuple[Question, ...]:
    """The questions of one practice session, in the order to ask them.

    Due cards first, most overdue first; then new cards, easiest first. Cards due later
    are not asked. Ties are broken by a shuffle fixed by ``seed``, so the same inputs
    always give the same session.
    """
    if count < 1:
        raise ValueError(f"a session needs at least 1 question, got {count}")
    chosen = filter_bank(bank, areas, round_name)
    if not chosen:
        return ()
    frame = cards_frame(chosen, progress, on)
    frame["shuffle"] = np.random.default_rng(seed).permutation(len(frame))
    due = frame[frame["status"].eq(STATUS_DUE)].sort_values(
        ["overdue_days", "shuffle"], ascending=[False, True]
    )
    new = frame[frame["status"].eq(STATUS_NEW)].sort_values(["difficulty", "shuffle"])
    order = pd.concat([due, new])["id"].head(count)
    by_id = {q.id: q for q in chosen}
    return tuple(by_id[i] for i in order)


def session_mix(session: Sequence[Question], progress: Progress, on: date) -> dict[str, int]:
    """How many questions of a session are due reviews and how many are new."""
    frame = cards_frame(session, progress, on)
    counts = frame["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in (STATUS_DUE, STATUS_NEW)}


def box_counts(bank: Sequence[Question], progress: Progress) -> pd.DataFrame:
    """Cards per box: rows ``new``, ``box 1`` … ``box 5`` with the count and review interval."""
    frame = _joined(bank, progress)
    counts = frame["box"].value_counts().reindex(range(N_BOXES + 1), fill_value=0)
    return pd.DataFrame(
        {
            "box": ["new"] + [f"box {b}" for b in range(1, N_BOXES + 1)],
            "cards": counts.to_numpy(dtype=int),
            "interval_days": [0, *BOX_INTERVALS_DAYS],
        }
    )


def due_forecast(
    bank: Sequence[Question], progress: Progress, on: date, *, days: int = FORECAST_DAYS
) -> pd.DataFrame:
    """Cards due on each of the next ``days`` days, if no review happens meanwhile.

    Cards already overdue count on day 0 (``on``). New cards are not scheduled, so they are
    not counted (see :func:`box_counts`).
    """
    if days < 1:
        raise ValueError(f"the forecast needs at least 1 day, got {days}")
    frame = cards_frame(bank, progress, on)
    scheduled = frame[frame["status"].ne(STATUS_NEW)]
    until = (scheduled["due"] - pd.Timestamp(on)).dt.days.clip(lower=0)
    counts = until[until < days].value_counts().reindex(range(days), fill_value=0)
    return pd.DataFrame(
        {
            "day": np.arange(days),
            "date": pd.date_range(pd.Timestamp(on), periods=days, freq="D"),
            "due": counts.to_numpy(dtype=int),
        }
    )


def readiness_band(readiness_pct: float) -> str:
    """The label of a readiness figure (percent): ready, nearly, practising or starting."""
    if not 0.0 <= readiness_pct <= 100.0:
        raise ValueError(f"readiness must be between 0 and 100 percent, got {readiness_pct}")
    return next(label for low, label in READINESS_BANDS if readiness_pct >= low)


def readiness(bank: Sequence[Question], progress: Progress) -> pd.DataFrame:
    """Readiness per area, in the order of :data:`AREAS` (areas without questions left out).

    A card's mastery is how far it is along the boxes: (box - 1) / (5 - 1), so box 1 is 0
    and box 5 is 1; a new card counts 0. An area's readiness is the mean mastery of its
    cards, in percent. Columns: area, cards, seen, mastered (in box 5), readiness_pct, band.
    """
    frame = _joined(bank, progress)
    frame["mastery"] = ((frame["box"] - 1).clip(lower=0)) / (N_BOXES - 1)
    frame["seen"] = frame["box"].gt(0)
    frame["mastered"] = frame["box"].eq(N_BOXES)
    table = (
        frame.groupby("area", sort=False)
        .agg(
            cards=("id", "size"),
            seen=("seen", "sum"),
            mastered=("mastered", "sum"),
            readiness_pct=("mastery", "mean"),
        )
        .reindex([a for a in AREAS if a in set(frame["area"])])
        .reset_index()
    )
    table["readiness_pct"] = (table["readiness_pct"] * 100).round(1)
    table[["cards", "seen", "mastered"]] = table[["cards", "seen", "mastered"]].astype(int)
    pct = table["readiness_pct"].to_numpy()
    table["band"] = np.select(
        [pct >= low for low, _ in READINESS_BANDS],
        [label for _, label in READINESS_BANDS],
        default="",
    )
    return table


def tally(grades: Iterable[str]) -> dict[str, int]:
    """How many answers got each grade (every grade present, zeros included)."""
    counts = Counter(grades)
    unknown = set(counts) - set(GRADES)
    if unknown:
        raise ValueError(f"unknown grade(s) {', '.join(sorted(unknown))}; use {', '.join(GRADES)}")
    return {g: counts.get(g, 0) for g in GRADES}


def next_review(bank: Sequence[Question], progress: Progress, on: date) -> tuple[date, int] | None:
    """The first day after ``on`` with cards due, and how many; None if nothing is scheduled."""
    frame = cards_frame(bank, progress, on)
    later = frame.loc[frame["status"].eq(STATUS_LATER), "due"]
    if later.empty:
        return None
    first = later.min()
    return first.date(), int(later.eq(first).sum())


def session_summary(
    grades: Sequence[str], skipped: int, bank: Sequence[Question], progress: Progress, on: date
) -> str:
    """The closing lines of a session: grades given, skips, and when to come back."""
    counts = tally(grades)
    lines = [
        f"Session over: {len(grades)} graded ({counts['nailed']} nailed, {counts['partial']} partial, "
        f"{counts['missed']} missed), {skipped} skipped."
    ]
    still_due = int(cards_frame(bank, progress, on)["status"].eq(STATUS_DUE).sum())
    if still_due:
        lines.append(f"{still_due} card(s) are still due today.")
    coming = next_review(bank, progress, on)
    if coming is not None:
        lines.append(f"Next reviews: {coming[1]} card(s) on {coming[0]:%a %Y-%m-%d}.")
    return "\n".join(lines)


def review_log(progress: Progress) -> pd.DataFrame:
    """The log of graded answers as a table, oldest first.

    Columns: card, on, grade, box_before (0 = new), box_after, due (the next review it set),
    covered and key_points (empty when the learner did not tick key points).
    """
    columns = ["card", "on", "grade", "box_before", "box_after", "due", "covered", "key_points"]
    rows = [[getattr(entry, name) for name in columns] for entry in progress.log]
    table = pd.DataFrame(rows, columns=columns)
    table[["covered", "key_points"]] = table[["covered", "key_points"]].astype("Int64")
    return table


def simulate_practice(
    bank: Sequence[Question],
    start: date,
    *,
    days: int,
    per_day: int,
    nail_probability: float | Mapping[str, float] = 0.6,
    seed: int = 0,
) -> Progress:
    """Progress of an imaginary learner who drills ``per_day`` questions a day for ``days`` days.

    Each answer is nailed with the area's ``nail_probability`` (one number, or one per area;
    areas not named get 0.6), otherwise partial or missed with equal chance. For teaching
    and testing the scheduler: the same arguments give the same progress.
    """
    if days < 1 or per_day < 1:
        raise ValueError(f"days and per_day must be at least 1, got {days} and {per_day}")
    if isinstance(nail_probability, int | float):
        chances = dict.fromkeys(AREAS, float(nail_probability))
    else:
        unknown = sorted(set(nail_probability) - set(AREAS))
        if unknown:
            raise ValueError(
                f"unknown area(s) {', '.join(unknown)}; the areas are: {', '.join(AREAS)}"
            )
        chances = {area: float(nail_probability.get(area, 0.6)) for area in AREAS}
    bad = {area: p for area, p in chances.items() if not 0.0 <= p <= 1.0}
    if bad:
        raise ValueError(f"a nail probability must be between 0 and 1, got {bad}")
    rng = np.random.default_rng(seed)
    progress = Progress()
    for offset in range(days):
        on = start + timedelta(days=offset)
        session = pick_session(bank, progress, on, count=per_day, seed=seed + offset)
        draws = rng.random(len(session))
        for question, draw in zip(session, draws, strict=True):
            chance = chances[question.area]
            grade = (
                "nailed" if draw < chance else "partial" if draw < (1 + chance) / 2 else "missed"
            )
            progress = record(progress, question.id, grade, on)
    return progress


# ===================================================================== time budget text
def format_duration(seconds: float) -> str:
    """Seconds as ``m:ss`` (``45:00``, ``1:05``); negative input is an error."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds} s")
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def countdown_text(budget_s: int, elapsed_s: float) -> str:
    """What the countdown shows: time left, or that the time is up."""
    if budget_s <= 0:
        raise ValueError(f"the time budget must be positive, got {budget_s} s")
    if elapsed_s < 0:
        raise ValueError(f"elapsed time cannot be negative, got {elapsed_s} s")
    left = budget_s - elapsed_s
    if left <= 0:
        return f"Time is up ({format_duration(budget_s)}): wrap up your answer."
    return f"{format_duration(left)} left of {format_duration(budget_s)}"


# ===================================================================== the progress file
def default_progress_path() -> Path:
    """Where the drill keeps its progress: the learner's folder (``INTERVIEW_LAB_HOME``).

    The folder is made at the first save, not here, so that a folder that cannot be made is
    reported when saving (and the session's grades kept meanwhile).
    """
    return settings.learner_dir(create=False) / PROGRESS_FILE_NAME


def progress_to_dict(progress: Progress) -> dict:
    """The JSON-ready form of progress (dates as ISO text)."""
    return {
        "format": FORMAT_MARKER,
        "version": FORMAT_VERSION,
        "cards": {
            card: {
                "box": s.box,
                "due": s.due.isoformat(),
                "last_reviewed": s.last_reviewed.isoformat(),
                "reviews": s.reviews,
                "lapses": s.lapses,
                "last_grade": s.last_grade,
            }
            for card, s in sorted(progress.cards.items())
        },
        "log": [
            {
                "card": r.card,
                "on": r.on.isoformat(),
                "grade": r.grade,
                "box_before": r.box_before,
                "box_after": r.box_after,
                "due": r.due.isoformat(),
                "covered": r.covered,
                "key_points": r.key_points,
            }
            for r in progress.log
        ],
    }


def progress_to_json(progress: Progress) -> str:
    """Progress as the text of the progress file."""
    return json.dumps(progress_to_dict(progress), indent=1, ensure_ascii=False) + "\n"


def _field(record: Mapping, name: str, kind: type, where: str):
    if name not in record:
        raise ProgressFileError(f"{where} has no {name!r}")
    value = record[name]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ProgressFileError(f"{where}: {name!r} must be a whole number, got {_shown(value)}")
    if kind is str and not isinstance(value, str):
        raise ProgressFileError(f"{where}: {name!r} must be text, got {_shown(value)}")
    return value


def _date(record: Mapping, name: str, where: str, due: bool = False) -> date:
    """A date of the file: a review day, or (``due``) a due date, at most the longest
    interval after the last review day."""
    text = _field(record, name, str, where)
    try:
        value = date.fromisoformat(text)
    except ValueError as error:
        raise ProgressFileError(
            f"{where}: {name!r} must be a date like 2026-01-05, got {_shown(text)}"
        ) from error
    last = LAST_DAY + timedelta(days=max(BOX_INTERVALS_DAYS)) if due else LAST_DAY
    if not FIRST_DAY <= value <= last:
        raise ProgressFileError(
            f"{where}: {name!r} must be between {FIRST_DAY} and {last}, got {value}"
        )
    return value


def progress_from_dict(data: object) -> Progress:
    """Check the parsed JSON of a progress file; :class:`ProgressFileError` says what is wrong."""
    if not isinstance(data, dict):
        raise ProgressFileError("it does not hold a JSON object")
    if data.get("format") != FORMAT_MARKER:
        raise ProgressFileError(f'it is not a drill progress file (no "format": "{FORMAT_MARKER}")')
    if data.get("version") != FORMAT_VERSION:
        raise ProgressFileError(
            f"it has format version {_shown(data.get('version'))}; this course reads version "
            f"{FORMAT_VERSION}"
        )
    raw_cards = data.get("cards")
    if not isinstance(raw_cards, dict):
        raise ProgressFileError("its 'cards' entry is not a JSON object")
    cards: dict[str, CardState] = {}
    for card, raw in raw_cards.items():
        where = f"card {_shown(card)}"
        if not isinstance(raw, dict):
            raise ProgressFileError(f"{where} is not a JSON object")
        try:
            cards[card] = CardState(
                box=_field(raw, "box", int, where),
                due=_date(raw, "due", where, due=True),
                last_reviewed=_date(raw, "last_reviewed", where),
                reviews=_field(raw, "reviews", int, where),
                lapses=_field(raw, "lapses", int, where),
                last_grade=_field(raw, "last_grade", str, where),
            )
        except ProgressFileError:
            raise
        except ValueError as error:
            raise ProgressFileError(f"{where}: {error}") from error
    raw_log = data.get("log", [])
    if not isinstance(raw_log, list):
        raise ProgressFileError("its 'log' entry is not a JSON list")
    log: list[Review] = []
    for number, raw in enumerate(raw_log, start=1):
        where = f"log entry {number}"
        if not isinstance(raw, dict):
            raise ProgressFileError(f"{where} is not a JSON object")
        grade = _field(raw, "grade", str, where)
        if grade not in GRADES:
            raise ProgressFileError(f"{where}: unknown grade {_shown(grade)}")
        covered, points = raw.get("covered"), raw.get("key_points")
        for name, value in (("covered", covered), ("key_points", points)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ProgressFileError(f"{where}: {name!r} must be empty or a whole number >= 0")
        if (covered is None) != (points is None) or (covered is not None and covered > points):
            raise ProgressFileError(f"{where}: 'covered' must be between 0 and 'key_points'")
        box_before = _field(raw, "box_before", int, where)
        box_after = _field(raw, "box_after", int, where)
        if not (0 <= box_before <= N_BOXES and 1 <= box_after <= N_BOXES):
            raise ProgressFileError(f"{where}: the boxes must be between 0 and {N_BOXES}")
        on, due = _date(raw, "on", where), _date(raw, "due", where, due=True)
        if due <= on:
            raise ProgressFileError(f"{where}: the next review must come after the review")
        log.append(
            Review(
                card=_field(raw, "card", str, where),
                on=on,
                grade=grade,
                box_before=box_before,
                box_after=box_after,
                due=due,
                covered=covered,
                key_points=points,
            )
        )
    return Progress(cards=cards, log=tuple(log))


def progress_from_json(text: str) -> Progress:
    """Progress from the text of a progress file; :class:`ProgressFileError` if it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProgressFileError(
            f"it is not valid JSON ({error.msg} at line {error.lineno})"
        ) from error
    except RecursionError:
        raise ProgressFileError("its JSON is nested too deeply to be drill progress") from None
    except ValueError as error:  # e.g. a number too long for Python to convert
        raise ProgressFileError(f"it is not JSON this course can read ({error})") from None
    try:
        return progress_from_dict(data)
    except RecursionError:
        raise ProgressFileError("its JSON is nested too deeply to be drill progress") from None


def set_aside(path: Path, now: datetime) -> Path:
    """Rename an unreadable progress file to ``<name>.set-aside-<YYYYmmddTHHMMSS>[-n]``."""
    stamp = now.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}{SET_ASIDE_SUFFIX}{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}{SET_ASIDE_SUFFIX}{stamp}-{number}")
    os.replace(path, target)
    return target


def _set_aside_notice(path: Path, reason: str, kept_as: Path) -> str:
    return (
        f"The drill's progress file {path.name} could not be used: {reason}. "
        f"It was kept as {kept_as} and the drill starts a new progress file."
    )


@dataclass(frozen=True)
class LoadedProgress:
    """What :func:`load_progress` found: the progress, and a notice if a file was set aside."""

    progress: Progress
    notice: str | None = None
    set_aside_as: Path | None = None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read_progress_bytes(file: Path) -> tuple[bytes, bool] | None:
    """The file's bytes and whether it is larger than :data:`MAX_PROGRESS_BYTES` (then only
    that much is read), or None when there is no file. Anything but a regular file raises
    :class:`ProgressPathError` before a byte is read: it is opened without waiting (a named
    pipe nobody writes to would block), then looked at."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(file, flags)
    except (FileNotFoundError, NotADirectoryError):  # no file, or a file where a folder goes
        return None
    except IsADirectoryError:
        raise ProgressPathError(
            f"the progress file {file} is a folder; give the path of a file"
        ) from None
    except OSError as error:
        raise ProgressPathError(
            f"cannot read the progress file {file}: {error.strerror or error}"
        ) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            what = _kind(mode)
            extra = "" if what == "not a regular file" else ", not a regular file"
            raise ProgressPathError(
                f"the progress file {file} is {what}{extra}; give the path of a file"
            )
        blocks: list[bytes] = []
        size = 0
        while size <= MAX_PROGRESS_BYTES:
            block = os.read(descriptor, 1 << 20)
            if not block:
                break
            blocks.append(block)
            size += len(block)
    except OSError as error:
        raise ProgressPathError(
            f"cannot read the progress file {file}: {error.strerror or error}"
        ) from None
    finally:
        os.close(descriptor)
    return b"".join(blocks), size > MAX_PROGRESS_BYTES


def _problem_with(data: bytes, too_big: bool) -> tuple[Progress | None, str]:
    """(progress, "") for a valid file, else (None, why it cannot be used)."""
    if too_big:
        return None, f"it is larger than {MAX_PROGRESS_BYTES // 10**6} MB, far more than any progress"
    try:
        return progress_from_json(data.decode("utf-8")), ""
    except UnicodeDecodeError:
        return None, "it is not UTF-8 text"
    except ProgressFileError as error:
        return None, str(error)


def load_progress(path: str | os.PathLike[str], now: datetime) -> LoadedProgress:
    """Read the progress file; a missing file is empty progress.

    A file that is not valid progress is renamed (see :func:`set_aside`) and reported in
    ``notice``; it is never overwritten. A path that names a folder, a pipe or a device, or
    a file that cannot be read, raises :class:`ProgressPathError` (a ``ValueError``), as does
    a bad file that cannot be renamed.
    """
    file = Path(path)
    found = _read_progress_bytes(file)
    if found is None:
        return LoadedProgress(Progress())
    progress, reason = _problem_with(*found)
    if progress is not None:
        return LoadedProgress(progress)
    try:
        kept = set_aside(file, now)
    except OSError as error:
        raise ProgressPathError(
            f"the progress file {file} could not be used ({reason}) nor set aside: "
            f"{error.strerror or error}"
        ) from None
    return LoadedProgress(Progress(), _set_aside_notice(file, reason, kept), kept)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves either the old or the new file.

    The text goes to a temporary file in the same folder, is flushed and fsync'ed, then
    renamed over the target with ``os.replace`` (atomic on POSIX and Windows); the folder is
    fsync'ed so the rename itself is durable.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file of a progress file: ``<file>.lock`` beside it."""
    file = Path(path)
    return file.with_name(file.name + LOCK_SUFFIX)


@contextlib.contextmanager
def progress_lock(
    path: str | os.PathLike[str], timeout_s: float = LOCK_TIMEOUT_S
) -> Iterator[None]:
    """Hold the progress file's lock (an exclusive ``flock`` on ``<file>.lock``).

    Held for one read-change-write of the file, never for a session. Makes the folder if
    needed; an ``OSError`` says the folder cannot be written (or, ``TimeoutError``, that
    another drill has held the lock for ``timeout_s`` seconds).
    """
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(lock_path(file), flags, 0o600)
    try:
        if fcntl is not None:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"another drill has held the lock {lock_path(file)} for "
                            f"{timeout_s:g} s"
                        ) from None
                    time.sleep(0.01)
        yield
    finally:
        os.close(descriptor)  # closing the last descriptor releases the lock


def save_problem(error: OSError, path: str | os.PathLike[str]) -> str:
    """Why progress cannot be saved at ``path``, in words, from the error saving raised."""
    file = Path(path)
    if isinstance(error, FileExistsError | NotADirectoryError):
        for folder in [file.parent, *file.parent.parents]:
            if folder.exists() and not folder.is_dir():
                return f"{folder} is a file, not a folder"
    if isinstance(error, TimeoutError):
        return str(error)
    return f"{error.strerror or error} ({file.parent})"


def can_save(path: str | os.PathLike[str]) -> str | None:
    """None when progress can be saved at ``path`` now, else the reason (one sentence)."""
    file = Path(path)
    try:
        with progress_lock(file, timeout_s=1.0):
            descriptor, temporary = tempfile.mkstemp(
                prefix=f".{file.name}.", suffix=".tmp", dir=file.parent
            )
            os.close(descriptor)
            os.unlink(temporary)
    except TimeoutError:
        return None  # another drill is saving: the folder is writable
    except OSError as error:
        return save_problem(error, file)
    return None


def save_progress(progress: Progress, path: str | os.PathLike[str], now: datetime) -> str | None:
    """Write progress atomically; returns a notice if an unreadable file had to be set aside.

    Before writing, the file on disk is checked (under the lock, see :func:`progress_lock`):
    if something else has replaced it with a file that is not valid progress, that file is
    renamed, never overwritten. This replaces what the file holds; to add grades to it, use
    :func:`save_grades`.
    """
    file = Path(path)
    with progress_lock(file):
        notice = load_progress(file, now).notice
        write_atomically(file, progress_to_json(progress))
    return notice


@dataclass(frozen=True)
class Grade:
    """A grade given in a session and not saved yet."""

    card: str
    grade: str
    on: date
    ticked: tuple[bool, ...] | None = None


def save_grades(
    path: str | os.PathLike[str], grades: Sequence[Grade], now: datetime
) -> tuple[Progress, tuple[Review, ...], list[str]]:
    """Add grades to the progress file: under its lock, read it, record each grade, write it.

    Reading just before writing, with the lock held, means two drills on one file (say the
    notebook and the terminal) keep each other's grades. Returns the progress now in the file,
    the reviews made (one per grade) and notices about files set aside. On ``OSError`` (the
    folder cannot be written) or :class:`ProgressPathError` nothing is written: keep the
    grades and call again later with them and any new ones.
    """
    file = Path(path)
    with progress_lock(file):
        loaded = load_progress(file, now)
        progress = loaded.progress
        reviews: list[Review] = []
        for given in grades:
            progress = record(progress, given.card, given.grade, given.on, ticked=given.ticked)
            reviews.append(progress.log[-1])
        write_atomically(file, progress_to_json(progress))
    return progress, tuple(reviews), [loaded.notice] if loaded.notice else []


def record_and_save(
    path: str | os.PathLike[str],
    card_id: str,
    grade: str,
    on: date,
    now: datetime,
    *,
    ticked: Sequence[bool] | None = None,
) -> tuple[Progress, Review, list[str]]:
    """Grade one card against the file's current content and save at once (see
    :func:`save_grades`). Returns the new progress, the review made, and notices about files
    set aside."""
    given = Grade(card_id, grade, on, None if ticked is None else tuple(bool(t) for t in ticked))
    progress, reviews, notices = save_grades(path, [given], now)
    return progress, reviews[-1], notices
