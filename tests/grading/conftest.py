"""Fixtures for the grading harness: each assignment is graded once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import harness  # noqa: E402

_RESULTS: dict[tuple[str, str, str], tuple[dict, list[str]]] = {}


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(root, assignment, grader="course")``: results and release differences, computed
    once per session (``grader="nbgrader"``: with ``nbgrader autograde`` instead)."""

    def get(root: Path, assignment: str, grader: str = "course"):
        key = (str(root), assignment, grader)
        if key not in _RESULTS:
            work = tmp_path_factory.mktemp(f"grade-{assignment}-{grader}")
            _RESULTS[key] = harness.grade_assignment(root, assignment, work, grader=grader)
        return _RESULTS[key]

    return get
