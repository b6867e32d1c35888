"""The instructor's commands on a small class: grade, grades.csv, late penalty, feedback, report.

One class of five students is graded once for the module (two at a time, short cell timeout)
and every test reads that run; a sequential ``nbgrader autograde`` of the same submissions in
a copy of the course gives the scores they must match.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from test_instructor_support import (
    ASSIGNMENT,
    CELL_TIMEOUT_S,
    GOOD_BYTES,
    WRONG_BYTES,
    filled_notebook,
    grade_args,
    gradebook_scores,
    make_course,
    nbgrader,
    put_submission,
    remove_course,
    run_cli,
    summary_rows,
    tree_digest,
)

from interview_lab.instructor.cli import (
    feedback_main,
    grade_main,
    release_main,
    report_main,
    summary_table,
)
from interview_lab.instructor.course import Course, check_student_id
from interview_lab.instructor.late import PerDayLatePenalty, late_penalty_points
from interview_lab.instructor.parallel import Outcome
from interview_lab.instructor.progress import Progress
from interview_lab.instructor.report import distribution_figure, pass_rates

DUE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
# student -> (bytes_per_day cell, ratio cell, expected raw score)
CLASS = {
    "ada": (GOOD_BYTES, "RATIO = 20", 3.0),
    "grace": (GOOD_BYTES, "RATIO = 21", 2.0),
    "linus": (WRONG_BYTES, "RATIO = 21", 0.0),
    "margaret": (None, None, 0.0),  # hands in the untouched release
    "dennis": (GOOD_BYTES, "RATIO = 20", 3.0),  # 26 hours late
}
LATE_STUDENT = "dennis"
LATE_BY = timedelta(hours=26)


def _fill(course: Path) -> None:
    for student, (bytes_src, ratio_src, _) in CLASS.items():
        if bytes_src is None:
            content = (course / "release" / ASSIGNMENT / "tiny.ipynb").read_text()
        else:
            content = filled_notebook(bytes_src, ratio_src, name=student.title())
        files = {"tiny.ipynb": content}
        stamp = DUE + (LATE_BY if student == LATE_STUDENT else -timedelta(hours=1))
        files["timestamp.txt"] = stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        put_submission(course, student, files)


def _set_due_date(course: Path, due: datetime) -> None:
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due:%Y-%m-%d %H:%M:%S} UTC")


@pytest.fixture(scope="module")
def graded_class():
    course = make_course()
    _fill(course)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    _set_due_date(course, DUE)
    # The same class graded by nbgrader itself, one after another, in a copy of the course.
    sequential = course.parent / "sequential"
    shutil.copytree(course, sequential)
    nbgrader(sequential, "autograde", ASSIGNMENT, "--force", f"--Execute.timeout={CELL_TIMEOUT_S}")
    before = {name: tree_digest(course / name) for name in ("submitted", "source")}
    status, out, err = run_cli(grade_main, grade_args(course))
    after = {name: tree_digest(course / name) for name in ("submitted", "source")}
    yield {"course": course, "status": status, "out": out, "err": err, "before": before, "after": after,
           "sequential": gradebook_scores(sequential), "sequential_course": sequential}
    remove_course(course)


def test_every_student_is_graded_and_the_exit_status_is_0(graded_class):
    assert graded_class["status"] == 0, graded_class["out"] + graded_class["err"]
    rows = summary_rows(graded_class["out"])
    assert set(rows) == set(CLASS)
    for student, (_, _, raw) in CLASS.items():
        score, maximum, status = rows[student]
        assert maximum == "3"
        assert status.startswith("graded"), status
        if student != LATE_STUDENT:
            assert float(score) == raw


def test_scores_match_sequential_nbgrader_autograde(graded_class):
    ours = gradebook_scores(graded_class["course"])
    assert ours == graded_class["sequential"], graded_class["out"] + graded_class["err"]
    assert ours == {student: raw for student, (_, _, raw) in CLASS.items()}


def test_submitted_and_source_are_never_modified(graded_class):
    assert graded_class["before"] == graded_class["after"]


def test_grades_csv_is_exactly_what_nbgrader_export_writes(graded_class):
    course = graded_class["course"]
    nbgrader(course, "export", "--to", str(course.parent / "exported.csv"))
    ours = (course / "grades.csv").read_text()
    assert ours == (course.parent / "exported.csv").read_text()
    assert len(ours.splitlines()) == 1 + len(CLASS)


def test_late_submission_penalty_follows_the_policy_and_shows_in_grades_csv(graded_class):
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO((graded_class["course"] / "grades.csv").read_text()))}
    late = rows[LATE_STUDENT]
    # 26 h late, 15 min grace: 2 started days at 10 % of 3 points = 0.6 points.
    assert float(late["raw_score"]) == 3.0
    assert float(late["late_submission_penalty"]) == pytest.approx(0.6)
    assert float(late["score"]) == pytest.approx(2.4)
    assert late["duedate"].startswith("2026-03-02 17:00:00")
    assert float(rows["ada"]["late_submission_penalty"]) == 0.0
    summary = summary_rows(graded_class["out"])[LATE_STUDENT]
    assert summary[0] == "2.4" and "late: penalty 0.6 points" in summary[2]


def test_progress_goes_to_stderr_one_line_per_student_without_a_terminal(graded_class):
    lines = [line for line in graded_class["err"].splitlines() if line.startswith("[")]
    assert len(lines) == len(CLASS)
    assert lines[-1].startswith(f"[{len(CLASS)}/{len(CLASS)}]")
    assert "student" not in graded_class["err"]  # the summary table is on stdout


def test_report_writes_the_distribution_png_and_pass_rates_per_cell(graded_class, tmp_path):
    course = graded_class["course"]
    status, out, _ = run_cli(report_main, [ASSIGNMENT, "--course", str(course), "--out", str(tmp_path)])
    assert status == 0
    png = (tmp_path / "score-distribution.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    table = pd.read_csv(tmp_path / "cell-pass-rates.csv").set_index("cell")
    # full marks on the bytes test: ada, grace, dennis; on the ratio test: ada, dennis.
    assert table.loc["test_bytes_per_day", "passed"] == 3
    assert table.loc["test_bytes_per_day", "pass_rate"] == pytest.approx(0.6)
    assert table.loc["test_ratio", "pass_rate"] == pytest.approx(0.4)
    assert table.loc["test_ratio", "students"] == 5
    assert list(table.index) == ["test_ratio", "test_bytes_per_day"]  # hardest first
    assert "test_ratio" in out


def test_feedback_waits_for_the_due_date_unless_forced(graded_class):
    course = graded_class["course"]
    _set_due_date(course, datetime.now(UTC) + timedelta(days=2))
    try:
        status, _, err = run_cli(feedback_main, [ASSIGNMENT, "--course", str(course)])
        assert status == 2
        assert "hidden tests" in err and "--force" in err
        assert not (course / "feedback").exists()
        status, out, _ = run_cli(feedback_main, [ASSIGNMENT, "--course", str(course), "--force", "--student", "ada"])
        assert status == 0
        assert sorted(p.name for p in (course / "feedback").iterdir()) == ["ada"]
    finally:
        _set_due_date(course, DUE)
    status, out, _ = run_cli(feedback_main, [ASSIGNMENT, "--course", str(course)])
    assert status == 0, out
    for student, (_, _, raw) in CLASS.items():
        html = (course / "feedback" / student / ASSIGNMENT / "tiny.html").read_text()
        score = raw - (0.6 if student == LATE_STUDENT else 0.0)  # feedback shows the penalised score
        assert f"{score:.1f} / 3.0" in html, student
        # Why feedback waits for the due date: it shows the hidden tests and their inputs.
        assert "HIDDEN TESTS" in html and "1_728_000" in html


def test_feedback_refuses_without_a_due_date(tmp_path):
    course = make_course()
    try:
        put_submission(course, "ada", {"tiny.ipynb": filled_notebook(GOOD_BYTES, "RATIO = 20")})
        status, _, err = run_cli(feedback_main, [ASSIGNMENT, "--course", str(course)])
        assert status == 2 and "no due date" in err
    finally:
        remove_course(course)


def test_grading_only_some_students(graded_class):
    course = graded_class["course"]
    status, out, _ = run_cli(grade_main, grade_args(course, "--student", "grace"))
    assert status == 0
    assert list(summary_rows(out)) == ["grace"]
    assert gradebook_scores(course)["grace"] == 2.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no-such-assignment"], "no assignment 'no-such-assignment'"),
        ([ASSIGNMENT, "--jobs", "0"], "--jobs must be at least 1"),
        ([ASSIGNMENT, "--jobs", "many"], "--jobs must be a whole number"),
        ([ASSIGNMENT, "--student", "nobody"], "no submission of tiny for: nobody"),
        ([ASSIGNMENT, "--timeout", "0"], "--timeout must be at least 1"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_usage_exits_2_with_a_reason(graded_class, argv, message):
    status, _, err = run_cli(grade_main, [*argv, "--course", str(graded_class["course"])])
    assert status == 2
    assert message in err


def test_no_submissions_is_bad_usage():
    course = make_course()
    try:
        status, _, err = run_cli(grade_main, [ASSIGNMENT, "--course", str(course)])
        assert status == 2 and "no submissions" in err
    finally:
        remove_course(course)


def test_release_regenerates_release_from_source_with_nbgrader():
    import harness

    course = make_course()
    try:
        committed = course.parent / "committed"
        shutil.copytree(course / "release", committed)
        shutil.rmtree(course / "release")
        status, out, _ = run_cli(release_main, ["--course", str(course)])
        assert status == 0 and "release/tiny: regenerated" in out
        assert harness.release_differences(course / "release" / ASSIGNMENT, committed / ASSIGNMENT) == []
        assert Course.at(course).has_assignment_in_gradebook(ASSIGNMENT)
        status, _, err = run_cli(release_main, ["nope", "--course", str(course)])
        assert status == 2 and "no assignment 'nope'" in err
    finally:
        remove_course(course)


# ----------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("seconds_late", "expected"),
    [(0, 0.0), (10 * 60, 0.0), (15 * 60, 0.0), (3 * 3600, 0.8), (26 * 3600, 1.6), (30 * 86400, 8.0)],
)
def test_late_penalty_is_a_share_of_the_score_per_started_day(seconds_late, expected):
    got = late_penalty_points(8.0, seconds_late, percent_per_day=10, grace_minutes=15)
    assert got == pytest.approx(expected)


def test_late_penalty_caps_and_rejects_nonsense():
    assert late_penalty_points(5, 3 * 86400, percent_per_day=50, max_percent=60) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="seconds_late must be at least 0"):
        late_penalty_points(5, -1, percent_per_day=10)
    with pytest.raises(ValueError, match="max_percent"):
        late_penalty_points(5, 1, percent_per_day=10, max_percent=120)


def test_late_plugin_reads_the_policy_from_configuration():
    from traitlets.config import Config

    cfg = Config()
    cfg.PerDayLatePenalty.percent_per_day = 25.0
    cfg.PerDayLatePenalty.grace_minutes = 0.0
    plugin = PerDayLatePenalty(config=cfg)
    assert plugin.late_submission_penalty("s", 4.0, 86_401) == pytest.approx(2.0)


def test_course_config_uses_the_late_plugin():
    from interview_lab.settings import course_root

    cfg = Course.at(course_root()).config()
    assert cfg.AssignLatePenalties.plugin_class == "interview_lab.instructor.late.PerDayLatePenalty"


@pytest.mark.parametrize(("student", "ok"), [("ada", True), ("o'brien.ünal-2", True), ("a b", True),
                                            ("a*b", False), ("x/y", False), ("a+b", False), (".hidden", False)])
def test_student_ids_nbgrader_cannot_handle_are_named(student, ok):
    assert (check_student_id(student) is None) is ok


def test_summary_table_shows_score_max_and_a_one_line_status():
    table = summary_table([
        Outcome("zoe", True, "", 2.5, 3.0, ("cell timeout in ratio",)),
        Outcome("al", False, "the kernel died", None, 0.0),
    ])
    lines = table.splitlines()
    assert lines[0].split() == ["student", "score", "max", "status"]
    assert lines[2].split(None, 3) == ["al", "-", "-", "failed: the kernel died"]
    assert lines[3].split(None, 3) == ["zoe", "2.5", "3", "graded (cell timeout in ratio)"]


def test_progress_without_a_terminal_prints_plain_lines():
    stream = io.StringIO()
    progress = Progress(2, stream=stream)
    progress.advance("ada", True, "3/3")
    progress.advance("bob", False, "failed: x")
    assert stream.getvalue().splitlines() == ["[1/2] ada: 3/3", "[2/2] bob: failed: x"]
    assert progress.failed == 1 and "2/2 graded, 1 failed" in progress.line()


def test_pass_rates_count_full_marks_per_cell():
    grades = pd.DataFrame({
        "student": ["a", "b", "c", "a", "b", "c"],
        "notebook": ["nb"] * 6,
        "cell": ["t1", "t1", "t1", "t2", "t2", "t2"],
        "points": [2.0, 0.0, 2.0, 1.0, 0.0, 0.0],
        "max_points": [2.0] * 3 + [1.0] * 3,
    })
    table = pass_rates(grades).set_index("cell")
    assert table.loc["t1", "passed"] == 2 and table.loc["t1", "pass_rate"] == pytest.approx(0.6667)
    assert table.loc["t2", "mean_points"] == pytest.approx(1 / 3, abs=1e-4)
    assert list(table.index) == ["t2", "t1"]


def test_distribution_figure_is_labelled_and_counts_students():
    fig = distribution_figure(pd.Series([0.0, 2.0, 3.0, 3.0]), 3.0, "tiny")
    ax = fig.axes[0]
    assert "4 students" in ax.get_title() and ax.get_xlabel() == "score (points)"
    assert sum(patch.get_height() for patch in ax.patches) == 4
    with pytest.raises(ValueError, match="max_score must be above 0"):
        distribution_figure(pd.Series([1.0]), 0, "tiny")


def test_failure_reasons_are_one_readable_line():
    from interview_lab.instructor.parallel import _failure_reason

    assert "kernel died" in _failure_reason(["DeadKernelError: Kernel died"], "a", Path("."))
    assert "before it answered" in _failure_reason(
        ["RuntimeError: Kernel died before replying to kernel_info"], "a", Path("."))
    assert "not valid notebook JSON" in _failure_reason(["nbformat.reader.NotJSONError: bad"], "a", Path("."))
    reason = _failure_reason(["Attribute 'checksum' for cell x has changed!", "Traceback:\n  x\nKeyError: 'y'"],
                             "a", Path("."))
    assert reason == "KeyError: 'y'"
    json.dumps(reason)  # one plain line


def test_workers_snapshot_of_a_gradebook_outside_sqlite_comes_from_source(tmp_path):
    """With PostgreSQL (say), workers get a SQLite gradebook that nbgrader fills from source/;
    the course's own gradebook is not touched (this test never connects to it)."""
    from nbgrader.api import Gradebook

    from interview_lab.instructor.parallel import gradebook_snapshot

    course = make_course(extra_config='c.CourseDirectory.db_url = "postgresql+psycopg://nobody@127.0.0.1:9/none"\n')
    try:
        release_before = tree_digest(course / "release")
        target = gradebook_snapshot(Course.at(course), ASSIGNMENT, tmp_path / "snapshot.db")
        with Gradebook(f"sqlite:///{target}", "devops-interview-lab") as gb:
            assignment = gb.find_assignment(ASSIGNMENT)
            assert [nb.name for nb in assignment.notebooks] == ["tiny"]
            assert float(assignment.max_score) == 3.0
            cells = {c.name: c.source for c in assignment.notebooks[0].source_cells}
        assert "1_728_000" in cells["test_bytes_per_day"]  # the hidden test, to restore from
        assert tree_digest(course / "release") == release_before
        assert not (course / "gradebook.db").exists()
    finally:
        remove_course(course)
