"""Odd files in a submission: one accurate line for that student, the others graded.

nbgrader 0.9.6 crashes on a ``timestamp.txt`` it cannot parse (its error path calls a
``CourseDirectory.fail`` that does not exist) and nbformat on a notebook whose JSON is not an
object; the grader reads both first and says what is wrong, in the student's own status.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_instructor_support import (
    GOOD_BYTES,
    filled_notebook,
    grade_args,
    gradebook_scores,
    make_course,
    nbgrader,
    put_submission,
    remove_course,
    run_cli,
    summary_rows,
)

from interview_lab.instructor.cli import grade_main
from interview_lab.instructor.parallel import (
    _failure_reason,
    _locked_sources,
    notebook_problem,
    timestamp_problem,
)

GOOD = filled_notebook(GOOD_BYTES, "RATIO = 20")
CLASS = {
    "ada": {"tiny.ipynb": GOOD, "timestamp.txt": "handed in on Tuesday"},
    "bob": {"tiny.ipynb": GOOD, "extra.ipynb": "[]", "timestamp.txt": "2026-03-02 16:00:00 UTC"},
    "cy": {"tiny.ipynb": GOOD, "timestamp.txt": "2026-03-02 16:00:00.000000 UTC"},
    "dee": {"tiny.ipynb": "[]"},
    "eve": {"tiny.ipynb": GOOD, "timestamp.txt": b"\xff\xfe2\x000\x00"},
}


@pytest.fixture(scope="module")
def graded():
    course = make_course()
    for student, files in CLASS.items():
        put_submission(course, student, files)
    nbgrader(course, "generate_assignment", "tiny", "--force")
    status, out, err = run_cli(grade_main, grade_args(course))
    yield {"course": course, "status": status, "out": out, "err": err,
           "rows": summary_rows(out), "scores": gradebook_scores(course)}
    remove_course(course)


def test_the_others_are_graded_and_the_run_says_some_failed(graded):
    assert graded["status"] == 1, graded["out"] + graded["err"]
    assert set(graded["rows"]) == set(CLASS)
    assert graded["scores"]["bob"] == 3.0 and graded["scores"]["cy"] == 3.0
    assert "Traceback" not in graded["out"] + graded["err"]


def test_a_garbage_timestamp_is_named_in_one_line(graded):
    status = graded["rows"]["ada"][2]
    assert status == ("failed: timestamp.txt holds 'handed in on Tuesday', not a date and time "
                      "nbgrader can read (it writes them like 2026-03-02 17:00:00.000000 UTC)")
    assert "eve" in graded["rows"] and graded["rows"]["eve"][2] == (
        "failed: timestamp.txt is not text, so the time it was handed in is unknown")
    assert "ada" not in graded["scores"] and "eve" not in graded["scores"]


def test_an_extra_notebook_that_is_a_list_is_kept_and_the_rest_graded(graded):
    score, maximum, status = graded["rows"]["bob"]
    assert (score, maximum) == ("3", "3")
    assert status == "graded (extra files kept: extra.ipynb)"


def test_the_assignments_notebook_holding_a_list_is_named(graded):
    assert graded["rows"]["dee"][2] == (
        "failed: the notebook tiny.ipynb holds a list, not a notebook (a JSON object with cells)")


def test_every_status_is_one_line(graded):
    progress = [line for line in graded["err"].splitlines() if line.startswith("[")]
    assert len(progress) == len(CLASS)
    for student in CLASS:
        assert sum(line.split("] ", 1)[1].startswith(f"{student}:") for line in progress) == 1


# --------------------------------------------------------------------- the checks themselves


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, None),
        ("", None),  # nbgrader skips an empty file with a warning
        ("2026-03-02 17:00:00.000000 UTC", None),
        ("2026-03-02T17:00:00+01:00", None),
        ("not a time", "holds 'not a time', not a date and time nbgrader can read"),
        ("9" * 30, "not a date and time nbgrader can read"),
        ("x" * 100, "holds 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"),
        (b"\xff\xfe", "is not text"),
        ("1" * 5000, "is over 4096 bytes"),
    ],
)
def test_timestamp_problem(tmp_path: Path, content, expected):
    if isinstance(content, bytes):
        (tmp_path / "timestamp.txt").write_bytes(content)
    elif content is not None:
        (tmp_path / "timestamp.txt").write_text(content)
    found = timestamp_problem(tmp_path)
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found and "\n" not in found


def test_a_timestamp_folder_or_link_is_not_a_time(tmp_path: Path):
    (tmp_path / "timestamp.txt").mkdir()
    assert "not a regular file" in timestamp_problem(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "real.txt").write_text("2026-03-02 17:00:00 UTC")
    (other / "timestamp.txt").symlink_to(other / "real.txt")
    assert "not a regular file" in timestamp_problem(other)


def test_nbgraders_own_crash_on_a_timestamp_is_told_as_such():
    reason = _failure_reason(["AttributeError: 'CourseDirectory' object has no attribute 'fail'"],
                             "tiny", Path("."))
    assert reason == "timestamp.txt does not hold a date and time nbgrader can read"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[]", "holds a list"),
        ('"text"', "holds a string"),
        ("42", "holds a number"),
        ("null", "holds null"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("{not json", None),  # nbgrader says so itself
        ('{"cells": []}', None),
    ],
)
def test_notebook_problem(tmp_path: Path, content, expected):
    (tmp_path / "tiny.ipynb").write_text(content)
    (tmp_path / "extra.ipynb").write_text("[]")  # not one of the assignment's: left alone
    found = notebook_problem(tmp_path, ("tiny.ipynb",))
    assert (found is None) if expected is None else (expected in found)


@pytest.mark.parametrize(
    "content",
    ["[]", "5", '{"cells": 5}', '{"cells": [[], 3, {"metadata": []}]}',
     '{"cells": [{"metadata": {"nbgrader": "x"}}]}',
     '{"cells": [{"metadata": {"nbgrader": {"locked": true, "grade_id": ["x"]}}}]}'],
)
def test_locked_sources_of_json_that_is_no_notebook_are_empty(tmp_path: Path, content):
    path = tmp_path / "odd.ipynb"
    path.write_text(content)
    assert _locked_sources(path) == {}


def test_locked_sources_of_a_notebook(tmp_path: Path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [
        {"metadata": {"nbgrader": {"locked": True, "grade_id": "t1"}}, "source": ["a", "b"]},
        {"metadata": {"nbgrader": {"locked": False, "grade_id": "a1"}}, "source": "x"},
    ]}))
    assert _locked_sources(path) == {"t1": "ab"}
