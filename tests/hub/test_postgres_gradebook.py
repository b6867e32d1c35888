"""A large class's gradebook on PostgreSQL grades exactly like the default SQLite one.

nbgrader keeps its gradebook wherever ``CourseDirectory.db_url`` points. The test grades the
same submissions of one assignment twice with nbgrader's own commands (generate_assignment,
autograde, export): once with the course's SQLite gradebook, once with a PostgreSQL server
from the system's packages started for the test on 127.0.0.1. Both must give the same
grades, and the ones the corpus expects.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hubkit import REPO, Postgres

ASSIGNMENT = "ps1-back-of-envelope"
CORPUS = REPO / "tests" / "submissions" / ASSIGNMENT
CASES = ("bits-for-bytes", "forgot-clamp")  # 18 and 19 of 20 points


def course_copy(folder: Path, db_url: str | None) -> Path:
    """The course's config, source and submissions of ``CASES`` (student id = case name)."""
    folder.mkdir()
    config = (REPO / "nbgrader_config.py").read_text()
    if db_url:
        # What the README tells an instructor to add for a large class.
        config += f"\nc.CourseDirectory.db_url = {db_url!r}\n"
    (folder / "nbgrader_config.py").write_text(config)
    shutil.copytree(REPO / "source" / ASSIGNMENT, folder / "source" / ASSIGNMENT)
    for case in CASES:
        target = folder / "submitted" / case / ASSIGNMENT
        target.mkdir(parents=True)
        shutil.copyfile(CORPUS / case / f"{ASSIGNMENT}.ipynb", target / f"{ASSIGNMENT}.ipynb")
    return folder


def nbgrader(course: Path, *args: str) -> None:
    bin_dir = Path(sys.executable).parent
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(course),
        "LANG": "C.UTF-8",
        "JUPYTER_CONFIG_DIR": str(course / ".jupyter"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLBACKEND": "Agg",
    }
    result = subprocess.run(
        [str(bin_dir / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"nbgrader {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    )


def grade(course: Path) -> list[dict[str, str]]:
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv") as handle:
        return sorted(csv.DictReader(handle), key=lambda row: row["student_id"])


def test_postgresql_gradebook_gives_the_sqlite_grades(tmp_path, postgres: Postgres):
    import psycopg
    from nbgrader.api import Gradebook

    with psycopg.connect(
        f"host=127.0.0.1 port={postgres.port} user=postgres dbname=postgres", autocommit=True
    ) as connection:
        connection.execute("CREATE DATABASE gradebook")
    url = postgres.url("gradebook")

    # Both courses are graded at the same time: they share nothing but the machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        sqlite_run = pool.submit(grade, course_copy(tmp_path / "sqlite", None))
        postgres_run = pool.submit(grade, course_copy(tmp_path / "postgres", url))
        on_sqlite, on_postgres = sqlite_run.result(), postgres_run.result()

    expected = {
        case: float(json.loads((CORPUS / case / "expected.json").read_text())["max"])
        for case in CASES
    }
    assert {row["student_id"]: float(row["score"]) for row in on_sqlite} == expected
    assert on_postgres == on_sqlite  # every column nbgrader exports, row by row
    assert not (tmp_path / "postgres" / "gradebook.db").exists(), (
        "the PostgreSQL course fell back to SQLite"
    )
    with Gradebook(url, "devops-interview-lab") as gradebook:  # the grades really are in PostgreSQL
        stored = {case: gradebook.find_submission(ASSIGNMENT, case).score for case in CASES}
    assert stored == expected
