"""A workshop through nbgrader's exchange, end to end, with the instructor's commands.

The instructor releases the tiny assignment into a temporary exchange under a temporary course
id; three students (each in their own folder, with their own exchange cache) fetch it, fill it
in (fully, partly, not at all) and submit; the instructor collects, grades with
``python -m interview_lab grade``, generates feedback once the due date has passed and releases
it; each student fetches feedback and finds their own score in it.
"""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from test_instructor_support import (
    ASSIGNMENT,
    GOOD_BYTES,
    grade_args,
    make_course,
    nbgrader,
    remove_course,
    run_cli,
    summary_rows,
)

from interview_lab.instructor.cli import feedback_main, grade_main

# student -> (answers for bytes_per_day and ratio, or None for an untouched notebook; score)
STUDENTS = {
    "amara": ((GOOD_BYTES, "RATIO = 20"), 3.0),
    "bo": ((GOOD_BYTES, "RATIO = 12"), 2.0),
    "chidi": (None, 0.0),
}


def _fill(path: Path, answers: tuple[str, str] | None) -> None:
    if answers is None:
        return
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id == "bytes_per_day":
            cell["source"] = answers[0]
        elif grade_id == "ratio":
            cell["source"] = answers[1]
    path.write_text(json.dumps(nb, indent=1))


def test_release_fetch_submit_collect_grade_feedback(tmp_path):
    course_id = f"lab-{uuid.uuid4().hex[:8]}"
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o777)
    course = make_course(extra_config=(
        f"c.CourseDirectory.course_id = {course_id!r}\nc.Exchange.root = {str(exchange)!r}\n"
    ))
    try:
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        nbgrader(course, "release_assignment", ASSIGNMENT)

        def as_student(student: str, *args: str):
            home = tmp_path / "students" / student
            home.mkdir(parents=True, exist_ok=True)
            return nbgrader(course, *args, f"--course={course_id}", f"--Exchange.root={exchange}",
                            f"--Exchange.cache={tmp_path / 'caches' / student}", cwd=home)

        def hand_in(student: str) -> None:
            as_student(student, "fetch_assignment", ASSIGNMENT)
            notebook = tmp_path / "students" / student / ASSIGNMENT / "tiny.ipynb"
            assert notebook.is_file()
            _fill(notebook, STUDENTS[student][0])
            as_student(student, "submit", ASSIGNMENT, f"--student={student}")

        # The students work at the same time, each in their own folder and cache.
        with ThreadPoolExecutor(max_workers=len(STUDENTS)) as pool:
            list(pool.map(hand_in, STUDENTS))

        # The due date passes after everyone handed in: on time, and feedback may go out.
        now = datetime.now(UTC)
        nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={now:%Y-%m-%d %H:%M:%S.%f} UTC")
        nbgrader(course, "collect", ASSIGNMENT)
        assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(STUDENTS)

        status, out, err = run_cli(grade_main, grade_args(course))
        assert status == 0, out + err
        rows = summary_rows(out)
        assert {s: float(rows[s][0]) for s in STUDENTS} == {s: score for s, (_, score) in STUDENTS.items()}

        status, out, err = run_cli(feedback_main, [ASSIGNMENT, "--course", str(course)])
        assert status == 0, out + err
        nbgrader(course, "release_feedback", ASSIGNMENT)

        with ThreadPoolExecutor(max_workers=len(STUDENTS)) as pool:
            list(pool.map(lambda s: as_student(s, "fetch_feedback", ASSIGNMENT, f"--student={s}"), STUDENTS))
        for student, (_, score) in STUDENTS.items():
            found = sorted((tmp_path / "students" / student / ASSIGNMENT / "feedback").glob("*/tiny.html"))
            assert len(found) == 1, f"{student} got {found}"
            html = found[0].read_text()
            assert f"{score:.1f} / 3.0" in html, student
            others = [f"{s:.1f} / 3.0" for other, (_, s) in STUDENTS.items() if other != student and s != score]
            assert not any(text in html for text in others)
    finally:
        remove_course(course)
