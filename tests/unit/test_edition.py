"""The learner's edition: everything a learner needs, no solution and no hidden test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from interview_lab.edition import leaked_markers, main, write_edition
from interview_lab.settings import course_root

ROOT = course_root()
MARKER = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("edition") / "learner"
    assert main([str(dest)]) == 0
    return dest


def test_the_edition_has_what_a_learner_needs(edition):
    for name in ("notebooks", "data", "release", "interview_lab", "requirements.txt", "pyproject.toml",
                 "Makefile", "README.md", "nbgrader_config.py"):
        assert (edition / name).exists(), name
    assert sorted(p.name for p in (edition / "release").iterdir()) == sorted(
        p.name for p in (ROOT / "release").iterdir() if p.is_dir()
    )
    assert (edition / "interview_lab" / "__init__.py").is_file()


def test_the_edition_has_no_instructor_material(edition):
    for name in ("source", "tests", "benchmarks", ".ci", "requirements-dev.txt", "gradebook.db",
                 "submitted", "autograded", "feedback", ".git"):
        assert not (edition / name).exists(), name
    assert not list(edition.rglob("__pycache__"))


def test_no_solution_or_hidden_test_text_anywhere_in_the_edition(edition):
    offending = [
        str(path.relative_to(edition))
        for path in edition.rglob("*")
        if path.is_file() and MARKER.search(path.read_text(errors="replace"))
    ]
    assert offending == []
    # and no copy of any source notebook, even without markers
    sources = {p.read_bytes() for p in (ROOT / "source").rglob("*.ipynb")}
    assert not [p for p in edition.rglob("*") if p.is_file() and p.read_bytes() in sources]


def test_learner_config_keeps_only_what_validate_needs(edition):
    text = (edition / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'devops-interview-lab'" in text
    assert "c.Execute.timeout = " in text
    for instructor_only in ("AssignLatePenalties", "db_url", "CourseDirectory.root", "OverwriteCells"):
        assert instructor_only not in text
    compile(text, "nbgrader_config.py", "exec")


def test_learner_readme_explains_setup_validate_and_hand_in(edition):
    text = (edition / "README.md").read_text()
    assert "make lab" in text and "Validate" in text and "nbgrader submit" in text
    for assignment in (ROOT / "release").iterdir():
        if assignment.is_dir():
            assert f"release/{assignment.name}/{assignment.name}.ipynb" in text


def test_refuses_a_non_empty_folder_unless_forced(tmp_path):
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    assert main([str(dest)]) == 2
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]
    assert main([str(dest), "--force"]) == 0
    assert (dest / "keep.txt").read_text() == "mine" and (dest / "notebooks").is_dir()


def test_refuses_to_copy_into_itself():
    with pytest.raises(ValueError, match="inside what the edition copies"):
        write_edition(ROOT / "notebooks" / "copy", ROOT)
    with pytest.raises(ValueError, match="inside what the edition copies"):
        write_edition(ROOT, ROOT)


def test_a_leaked_marker_is_found(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.ipynb").write_text('{"source": "### ' + "BEGIN " + 'SOLUTION"}')
    assert leaked_markers(tmp_path) == ["b.ipynb"]


def test_command_line_entry_point(tmp_path):
    dest = tmp_path / "cli"
    result = subprocess.run([sys.executable, "-m", "interview_lab", "learner-copy", str(dest)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "learner's edition written" in result.stdout
    assert (dest / "README.md").is_file()
