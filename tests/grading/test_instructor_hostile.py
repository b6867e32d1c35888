"""The hostile corpus (``tests/submissions/_hostile/``) graded in one class, two at a time,
once with forked kernels and once with fresh ones: every test below holds for both.

Each case folder holds what a student handed in and ``expected.json``: whether it is graded or
fails, its score, and the words its one-line status must contain. Two control students show
that nobody else's grade changes. The corpus targets the tiny fixture assignment, whose
answers are stable, with a short cell timeout.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from test_instructor_support import (
    ASSIGNMENT,
    grade_args,
    hostile_cases,
    is_root,
    make_course,
    put_submission,
    remove_course,
    run_cli,
    summary_rows,
    tree_digest,
)

from interview_lab.instructor.cli import grade_main

CASES = hostile_cases()


KERNELS = ("forked", "fresh")


@pytest.fixture(scope="module")
def hostile_runs():
    """The corpus graded twice, with forked and with fresh kernels, each in its own course."""
    runs = {}
    for kernels in KERNELS:
        course = make_course(public=True)
        for student, (folder, _) in CASES.items():
            put_submission(course, student, folder)
        watched = ("submitted", "source", "release", "nbgrader_config.py")
        before = {name: _digest(course / name) for name in watched}
        status, out, err = run_cli(grade_main, grade_args(course, "--kernels", kernels))
        after = {name: _digest(course / name) for name in watched}
        runs[kernels] = {"course": course, "status": status, "out": out, "err": err,
                         "rows": summary_rows(out), "before": before, "after": after}
    yield runs
    for run in runs.values():
        remove_course(run["course"])


@pytest.fixture(params=KERNELS)
def hostile_run(request, hostile_runs):
    return hostile_runs[request.param]


def test_forked_and_fresh_kernels_give_identical_grades(hostile_runs):
    forked, fresh = (hostile_runs[k] for k in KERNELS)
    assert {s: r[:2] for s, r in forked["rows"].items()} == {s: r[:2] for s, r in fresh["rows"].items()}
    def rows(run):  # nbgrader exports in the order it recorded the students: compare as sets
        return sorted((run["course"] / "grades.csv").read_text().splitlines())

    assert rows(forked) == rows(fresh)
    assert forked["status"] == fresh["status"] == 1


def _digest(path):
    return tree_digest(path) if path.is_dir() else path.read_bytes()


def test_the_corpus_covers_every_hostile_case_of_the_issue():
    names = {folder.name for folder, _ in CASES.values()}
    assert {"infinite-loop", "kernel-killed", "sys-exit", "malformed-json", "edited-tests", "deleted-tests",
            "big-output", "file-vandal", "answer-thief", "missing-notebook", "extra-file", "odd-id",
            "control-full", "control-partial", "deleted-answer-and-test", "renamed-test",
            "ungraded-test"} <= names


def test_exit_status_is_1_because_some_submissions_could_not_be_graded(hostile_run):
    assert hostile_run["status"] == 1, hostile_run["out"] + hostile_run["err"]
    assert set(hostile_run["rows"]) == set(CASES)


@pytest.mark.parametrize("student", sorted(CASES))
def test_each_case_is_named_in_the_summary_with_what_happened(hostile_run, student):
    _, spec = CASES[student]
    score, maximum, status = hostile_run["rows"][student]
    if spec["outcome"] == "failed":
        assert status.startswith("failed: ")
        assert score == "-"
    else:
        assert status.startswith("graded"), status
        assert maximum == "3"
        if not spec.get("root_only_score"):  # the thief's score: test_answer_thief_copied_nothing
            assert float(score) == spec["score"], f"{student}: {spec['why']}"
    assert spec["status"] in status, f"{student}: {status!r} should mention {spec['status']!r}"


def test_controls_keep_their_grades(hostile_run):
    rows = hostile_run["rows"]
    assert rows["control-full"][:2] == ("3", "3")
    assert rows["control-partial"][:2] == ("2", "3")


def test_submitted_source_and_config_are_unchanged(hostile_run):
    assert hostile_run["before"] == hostile_run["after"]


def test_vandal_wrote_nothing_into_the_course(hostile_run):
    course = hostile_run["course"]
    assert not list(course.parent.rglob("VANDALISED.txt"))
    assert (course / "gradebook.db").is_file()


@pytest.mark.skipif(not is_root(), reason="needs root: only then do kernels run as grading users")
def test_files_written_to_shared_temporary_folders_are_removed(hostile_run):
    assert not (Path(tempfile.gettempdir()) / "VANDALISED.txt").exists()


@pytest.mark.skipif(not is_root(), reason="needs root: without it kernels run as the grader and can read what it can")
def test_answer_thief_copied_nothing(hostile_run):
    """Nothing from this course or this run (source/, submissions, working copies, other
    kernels' sandboxes) reached the thief. Other copies of the tiny assignment left readable
    elsewhere on the machine (say, by another test session) are outside what grading guards."""
    course = hostile_run["course"]
    nb = json.loads((course / "autograded" / "answer-thief" / ASSIGNMENT / "tiny.ipynb").read_text())
    printed = "".join(
        "".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
    )
    loot = printed.split("stolen from: ", 1)[1].split(" | ", 1)[0]
    temp = tempfile.gettempdir()
    ours = (str(course.parent), f"{temp}/interview-lab-grade-", f"{temp}/interview-lab-kernels-", "/proc/")
    assert not loot.startswith(ours), f"the thief read {loot}"
    if loot == "None":
        assert hostile_run["rows"]["answer-thief"][0] == "0"


def test_big_output_is_truncated_in_the_autograded_notebook(hostile_run):
    path = hostile_run["course"] / "autograded" / "big-output" / ASSIGNMENT / "tiny.ipynb"
    assert path.stat().st_size < 1_000_000
    assert "output truncated by the grader" in path.read_text()


def test_odd_student_id_is_in_grades_csv(hostile_run):
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO((hostile_run["course"] / "grades.csv").read_text()))}
    assert float(rows["o'brien.ünal-2"]["score"]) == 3.0
    assert float(rows["control-full"]["score"]) == 3.0


def test_failed_submissions_leave_no_autograded_folder(hostile_run):
    course = hostile_run["course"]
    for student, (_, spec) in CASES.items():
        folder = course / "autograded" / student / ASSIGNMENT
        assert folder.is_dir() == (spec["outcome"] == "graded"), student
