"""LMS round trip: a Canvas bulk download collected, graded, and exported for Canvas and Moodle.

The rosters, zips and timestamps below follow the layouts the README's LMS section describes
(Canvas: gradebook export as roster, ``<lastfirst>_[LATE_]<user id>_<submission id>_<file>``
downloads; Moodle: participants export as roster, ``<Full Name>_<participant id>_
assignsubmission_file_/<file>`` downloads).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_instructor_support import (
    ASSIGNMENT,
    GOOD_BYTES,
    WRONG_BYTES,
    filled_notebook,
    grade_args,
    make_course,
    nbgrader,
    put_submission,
    remove_course,
    run_cli,
)

from interview_lab.instructor.cli import collect_zip_main, export_main, grade_main
from interview_lab.instructor.lms import points, read_roster, safe_cell

DUE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
STAMP = "%Y-%m-%d %H:%M:%S UTC"
GOOD = filled_notebook(GOOD_BYTES, "RATIO = 20")

CANVAS_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section,tiny (555),Current Points
    Points Possible,,,,,3.00,(read only)
"Lovelace, Ada",101,S1,ada,Sec A,,
"=HYPERLINK(""http://evil.example"")",102,@sis,grace,Sec A,,
"Rowe, Zoe",103,S3,zoe,Sec B,,
"Noid, Nobody",104,S4,,Sec B,,
"""

MOODLE_ROSTER = """\
\ufeffFirst name,Last name,ID number,Email address
Ada,Lovelace,ada,ada@example.org
Grace,Hopper,grace,grace@example.org
Zoe,Rowe,zoe,zoe@example.org
"""


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


@pytest.fixture(scope="module")
def lms_class():
    course = make_course()
    work = course.parent
    (work / "canvas-roster.csv").write_text(CANVAS_ROSTER)
    (work / "moodle-roster.csv").write_text(MOODLE_ROSTER)
    download = _zip(work / "submissions.zip", {
        "lovelaceada_101_9001_tiny.ipynb": GOOD,
        "lovelaceada_101_9001_notes.txt": "not a notebook",
        # handed in twice: Canvas appends -1 to the file name; 26 hours late (timestamps below)
        "hopperGrace_LATE_102_9002_tiny-1.ipynb": GOOD,
        "strangerx_999_9003_tiny.ipynb": GOOD,
        "README.txt": "Canvas adds nothing like this, but a zip can hold anything",
    })
    # One row keyed by the nbgrader id, one by the Canvas user ID.
    (work / "times.csv").write_text(
        "student,timestamp\n"
        f"ada,{(DUE - timedelta(hours=1)).strftime(STAMP)}\n"
        f"102,{(DUE + timedelta(hours=26)).strftime(STAMP)}\n")
    collected = run_cli(collect_zip_main, [ASSIGNMENT, str(download), "--course", str(course), "--lms", "canvas",
                                           "--roster", str(work / "canvas-roster.csv"),
                                           "--timestamps", str(work / "times.csv")])
    # A student graded here but absent from every roster.
    put_submission(course, "linus", {"tiny.ipynb": filled_notebook(WRONG_BYTES, "RATIO = 21"),
                                     "timestamp.txt": DUE.strftime(STAMP)})
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE:%Y-%m-%d %H:%M:%S} UTC")
    graded = run_cli(grade_main, grade_args(course, "--kernels", "fresh"))
    canvas = run_cli(export_main, [ASSIGNMENT, "--course", str(course), "--lms", "canvas",
                                   "--roster", str(work / "canvas-roster.csv"), "--to", str(work / "canvas.csv")])
    moodle = run_cli(export_main, [ASSIGNMENT, "--course", str(course), "--lms", "moodle",
                                   "--roster", str(work / "moodle-roster.csv"), "--to", str(work / "moodle.csv")])
    yield {"course": course, "work": work, "collected": collected, "graded": graded,
           "canvas": canvas, "moodle": moodle}
    remove_course(course)


def test_canvas_download_lands_in_submitted_with_timestamps(lms_class):
    status, out, err = lms_class["collected"]
    course = lms_class["course"]
    assert status == 0, out + err
    assert (course / "submitted" / "ada" / ASSIGNMENT / "tiny.ipynb").read_text() == GOOD
    assert (course / "submitted" / "grace" / ASSIGNMENT / "tiny.ipynb").is_file()  # "-1" dropped
    assert (course / "submitted" / "ada" / ASSIGNMENT / "timestamp.txt").read_text() == "2026-03-02 16:00:00"
    assert (course / "submitted" / "grace" / ASSIGNMENT / "timestamp.txt").read_text() == "2026-03-03 19:00:00"
    assert "2 collected, 3 files not collected" in out
    assert "no submission time" not in out and "note:" not in out


def test_unmatched_files_are_reported_one_line_each_and_not_collected(lms_class):
    _, _, err = lms_class["collected"]
    lines = err.strip().splitlines()
    assert len(lines) == 3, err
    assert any(line.startswith("strangerx_999_9003_tiny.ipynb: the Canvas user ID") and "'999' matches no student"
               in line and line.endswith("not collected") for line in lines), err
    assert any(line.startswith("lovelaceada_101_9001_notes.txt: not a notebook") for line in lines), err
    assert any(line.startswith("README.txt: not named as in a canvas bulk download") for line in lines), err
    submitted = {p.name for p in (lms_class["course"] / "submitted").iterdir()}
    assert submitted == {"ada", "grace", "linus"}


def test_grading_the_collected_class_works(lms_class):
    status, out, err = lms_class["graded"]
    assert status == 0, out + err


def test_canvas_import_csv_has_every_score_and_the_late_penalty(lms_class):
    status, out, err = lms_class["canvas"]
    assert status == 0, out + err
    rows = _rows(lms_class["work"] / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "tiny (555)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "3"]
    assert rows[2:] == [
        ["Lovelace, Ada", "101", "S1", "ada", "Sec A", "3"],
        # 26 h late, 15 min grace: 2 started days at 10 % of 3 points = 0.6 off
        ["'=HYPERLINK(\"http://evil.example\")", "102", "'@sis", "grace", "Sec A", "2.4"],
    ]


def test_canvas_export_lists_students_missing_on_either_side(lms_class):
    _, out, err = lms_class["canvas"]
    lines = err.strip().splitlines()
    assert len(lines) == 3, err
    assert any(line.startswith("linus: in the gradebook but not in the roster") for line in lines)
    assert any(line.startswith("zoe: in the roster (Rowe, Zoe) but not in the gradebook") for line in lines)
    assert any(line.startswith("Noid, Nobody: no SIS Login ID in the roster") for line in lines)
    assert "3 students missing on one side" in out


def test_moodle_import_csv_and_missing_students(lms_class):
    status, out, err = lms_class["moodle"]
    assert status == 0, out + err
    rows = _rows(lms_class["work"] / "moodle.csv")
    assert rows == [
        ["First name", "Last name", "ID number", "Email address", "tiny"],
        ["Ada", "Lovelace", "ada", "ada@example.org", "3"],
        ["Grace", "Hopper", "grace", "grace@example.org", "2.4"],
    ]
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert any(line.startswith("linus: in the gradebook but not in the roster") for line in lines)
    assert any(line.startswith("zoe: in the roster (Zoe Rowe) but not in the gradebook") for line in lines)


def test_moodle_download_is_mapped_by_full_name(tmp_path):
    course = make_course()
    try:
        (tmp_path / "roster.csv").write_text(MOODLE_ROSTER)
        download = _zip(tmp_path / "moodle.zip", {
            "Ada Lovelace_501_assignsubmission_file_/tiny.ipynb": GOOD,
            "Grace Hopper_502_assignsubmission_file_/tiny.ipynb": GOOD,
            "Mallory Evil_503_assignsubmission_file_/tiny.ipynb": GOOD,
        })
        status, out, err = run_cli(collect_zip_main, [ASSIGNMENT, str(download), "--course", str(course),
                                                      "--lms", "moodle", "--roster", str(tmp_path / "roster.csv")])
        assert status == 0, out + err
        assert err.strip().splitlines() == [
            "tiny.ipynb: the full name (roster columns \"First name\" + \"Last name\") 'Mallory Evil' "
            "matches no student of the roster; not collected"]
        assert {p.name for p in (course / "submitted").iterdir()} == {"ada", "grace"}
        assert not list((course / "submitted").rglob("timestamp.txt"))  # never a guessed time
        assert "records no submission time" in out and "ada: submitted/ada/tiny/, no submission time" in out
        # Again, with the time of one of them, replacing what is there.
        (tmp_path / "times.csv").write_text("student,timestamp\nGrace Hopper,2026-03-02T18:30:00+01:00\n")
        status, out, err = run_cli(collect_zip_main, [ASSIGNMENT, str(download), "--course", str(course),
                                                      "--lms", "moodle", "--roster", str(tmp_path / "roster.csv"),
                                                      "--timestamps", str(tmp_path / "times.csv"), "--force"])
        assert status == 0, out + err
        assert (course / "submitted" / "grace" / ASSIGNMENT / "timestamp.txt").read_text() == "2026-03-02 17:30:00"
        assert not (course / "submitted" / "ada" / ASSIGNMENT / "timestamp.txt").exists()
    finally:
        remove_course(course)


def test_collect_refuses_a_timestamp_it_cannot_read(tmp_path):
    course = make_course()
    try:
        (tmp_path / "roster.csv").write_text(MOODLE_ROSTER)
        (tmp_path / "times.csv").write_text("student,timestamp\nada,last Tuesday-ish\n")
        download = _zip(tmp_path / "m.zip", {"Ada Lovelace_1_assignsubmission_file_/tiny.ipynb": GOOD})
        status, _, err = run_cli(collect_zip_main, [ASSIGNMENT, str(download), "--course", str(course),
                                                    "--lms", "moodle", "--roster", str(tmp_path / "roster.csv"),
                                                    "--timestamps", str(tmp_path / "times.csv")])
        assert status == 2 and "not a date and time" in err
        assert not (course / "submitted").exists()
    finally:
        remove_course(course)


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Ada", "Ada"), ("", ""), (None, ""), (2.4, 2.4), (3, 3),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_points_are_plain_numbers():
    assert points(3.0) == 3 and isinstance(points(3.0), int)
    assert points(2.4000000001) == 2.4


def test_roster_without_the_id_column_is_refused(tmp_path):
    (tmp_path / "r.csv").write_text("Student,ID\n\"A, B\",1\n")
    with pytest.raises(ValueError, match="no column 'SIS Login ID'"):
        read_roster(tmp_path / "r.csv", "canvas")
    assert read_roster(tmp_path / "r.csv", "canvas", id_column="ID").by_id["1"]["Student"] == "A, B"
