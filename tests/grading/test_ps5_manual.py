"""ps5's STAR answer is graded by hand: a manual grade given through nbgrader's gradebook API
(as the formgrader does) adds to the auto-graded points, and ``nbgrader export`` reports the sum.

Runs nbgrader itself in a temporary copy of the course, like the rest of the grading harness.
"""

from __future__ import annotations

import csv
import shutil

import harness
import nbformat
from nbgrader.api import Gradebook

ASSIGNMENT = "ps5-negotiation-and-star"
STAR_CELL = "star_answer"
STUDENT = "learner"
MANUAL_SCORE = 3.0  # e.g. Situation, Task and Action given; the Result has no figure


def _star_points() -> float:
    nb = nbformat.read(harness.REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == STAR_CELL:
            assert cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade")
            return float(meta["points"])
    raise AssertionError(f"{ASSIGNMENT} has no manually graded cell {STAR_CELL!r}")


def _exported(course) -> dict[str, str]:
    """The row of STUDENT for ASSIGNMENT in the CSV that ``nbgrader export`` writes."""
    out = course / "grades.csv"
    if out.exists():
        out.unlink()
    harness.nbgrader(course, "export", "--to", str(out))
    with out.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["student_id"] == STUDENT and r["assignment"] == ASSIGNMENT]
    assert len(rows) == 1, f"nbgrader export gave {len(rows)} rows for {STUDENT}/{ASSIGNMENT}"
    return rows[0]


def test_manual_star_grade_adds_to_the_auto_graded_total(tmp_path):
    star_points = _star_points()
    course = harness.copy_course(harness.REPO, tmp_path / "course")
    harness.generate_release(course, ASSIGNMENT)
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy2(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", submission)

    graded = harness.autograde(course, ASSIGNMENT, {STUDENT: submission})[STUDENT]
    auto_points = graded.auto_max
    assert graded.auto_score == auto_points > 0, graded.per_cell

    db = "sqlite:///" + str(course / "gradebook.db")
    with Gradebook(db) as gb:
        grade = gb.find_grade(STAR_CELL, ASSIGNMENT, ASSIGNMENT, STUDENT)
        assert grade.needs_manual_grade, "a written answer must wait for a human grader"
        assert grade.max_score == star_points
        assert grade.manual_score is None
        sub = gb.find_submission(ASSIGNMENT, STUDENT)
        assert sub.score == auto_points, "before manual grading only the auto-graded points count"
        assert sub.max_score == auto_points + star_points
        assert sub.needs_manual_grade

    before = _exported(course)
    assert float(before["score"]) == auto_points
    assert float(before["max_score"]) == auto_points + star_points

    # What the formgrader does when the instructor types a score into the STAR cell.
    with Gradebook(db) as gb:
        grade = gb.find_grade(STAR_CELL, ASSIGNMENT, ASSIGNMENT, STUDENT)
        grade.manual_score = MANUAL_SCORE
        grade.needs_manual_grade = False
        gb.db.commit()

    with Gradebook(db) as gb:
        sub = gb.find_submission(ASSIGNMENT, STUDENT)
        assert gb.find_grade(STAR_CELL, ASSIGNMENT, ASSIGNMENT, STUDENT).score == MANUAL_SCORE
        assert sub.score == auto_points + MANUAL_SCORE
        assert not sub.needs_manual_grade

    after = _exported(course)
    assert float(after["raw_score"]) == auto_points + MANUAL_SCORE
    assert float(after["score"]) == auto_points + MANUAL_SCORE
    assert float(after["max_score"]) == auto_points + star_points
