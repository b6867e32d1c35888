"""What the class got right: score distribution and pass rate per graded cell.

Reads nbgrader's gradebook (one query per table, no per-student loop) and computes with
pandas. "Passed" means full marks on that cell; the mean shows partial credit where a cell
gives it. Scores are those of ``grades.csv`` (``score`` = raw score minus the late penalty).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from interview_lab.plots import PALETTE, new_figure, to_png

from .course import Course

PASS_RATE_COLUMNS = ["notebook", "cell", "max_points", "students", "passed", "pass_rate", "mean_points"]


def cell_grades(course: Course, assignment: str) -> pd.DataFrame:
    """One row per student and graded cell: student, notebook, cell, points, max_points."""
    from nbgrader.api import Assignment as AssignmentRow
    from nbgrader.api import Grade, GradeCell, Notebook, SubmittedAssignment, SubmittedNotebook

    with course.gradebook() as gb:
        rows = (
            gb.db.query(
                SubmittedAssignment.student_id,
                Notebook.name,
                GradeCell.name,
                Grade.score,
                GradeCell.max_score,
            )
            .select_from(Grade)
            .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
            .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(AssignmentRow, SubmittedAssignment.assignment_id == AssignmentRow.id)
            .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
            .join(GradeCell, Grade.cell_id == GradeCell.id)
            .filter(AssignmentRow.name == assignment)
            .all()
        )
    frame = pd.DataFrame(rows, columns=["student", "notebook", "cell", "points", "max_points"])
    return frame.astype({"points": float, "max_points": float})


def pass_rates(grades: pd.DataFrame) -> pd.DataFrame:
    """Per graded cell: how many students had it, how many got full marks, the mean points."""
    if grades.empty:
        return pd.DataFrame(columns=PASS_RATE_COLUMNS)
    marked = grades.assign(passed=grades["points"] >= grades["max_points"] - 1e-9)
    table = (
        marked.groupby(["notebook", "cell"], sort=False)
        .agg(max_points=("max_points", "first"), students=("student", "nunique"),
             passed=("passed", "sum"), mean_points=("points", "mean"))
        .reset_index()
    )
    table["pass_rate"] = table["passed"] / table["students"]
    table = table.sort_values(["pass_rate", "notebook", "cell"], kind="stable").reset_index(drop=True)
    return table[PASS_RATE_COLUMNS].round({"pass_rate": 4, "mean_points": 4})


def student_scores(course: Course, assignment: str) -> pd.DataFrame:
    """One row per submission: student, raw_score, late_penalty, score, max_score."""
    from nbgrader.api import Assignment as AssignmentRow
    from nbgrader.api import SubmittedAssignment

    with course.gradebook() as gb:
        rows = (
            gb.db.query(
                SubmittedAssignment.student_id,
                SubmittedAssignment.score,
                SubmittedAssignment.late_submission_penalty,
                SubmittedAssignment.max_score,
            )
            .join(AssignmentRow, SubmittedAssignment.assignment_id == AssignmentRow.id)
            .filter(AssignmentRow.name == assignment)
            .all()
        )
    frame = pd.DataFrame(rows, columns=["student", "raw_score", "late_penalty", "max_score"])
    frame = frame.astype({"raw_score": float, "late_penalty": float, "max_score": float})
    frame["score"] = (frame["raw_score"] - frame["late_penalty"]).clip(lower=0.0)
    return frame[["student", "raw_score", "late_penalty", "score", "max_score"]].sort_values("student")


def distribution_figure(scores: pd.Series, max_score: float, assignment: str) -> Figure:
    """A histogram of the class's scores, one bar per point (or per band for large maxima)."""
    if max_score <= 0:
        raise ValueError(f"max_score must be above 0, got {max_score}")
    step = max(1.0, float(np.ceil(max_score / 20)))
    edges = np.arange(0.0, max_score + step, step)
    if edges[-1] < max_score:
        edges = np.append(edges, max_score)
    counts, edges = np.histogram(scores.to_numpy(dtype=float), bins=edges)
    fig, ax = new_figure(
        f"{assignment}: score distribution ({len(scores)} students)", "score (points)", "students"
    )
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=PALETTE["blue"],
           edgecolor="white")
    mean = float(scores.mean()) if len(scores) else 0.0
    ax.axvline(mean, color=PALETTE["vermillion"], linestyle="--", label=f"mean {mean:.1f}")
    ax.set_xlim(0, max_score)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend()
    return fig


def write_report(course: Course, assignment: str, out_dir: Path) -> tuple[Path, Path, pd.DataFrame]:
    """Write ``score-distribution.png`` and ``cell-pass-rates.csv``; returns paths and the table."""
    scores = student_scores(course, assignment)
    if scores.empty:
        raise ValueError(f"no graded submissions of {assignment} in the gradebook: run grade first")
    out_dir.mkdir(parents=True, exist_ok=True)
    table = pass_rates(cell_grades(course, assignment))
    csv_path = out_dir / "cell-pass-rates.csv"
    table.to_csv(csv_path, index=False)
    png_path = out_dir / "score-distribution.png"
    max_score = float(scores["max_score"].max())
    png_path.write_bytes(to_png(distribution_figure(scores["score"], max_score, assignment)))
    return png_path, csv_path, table
