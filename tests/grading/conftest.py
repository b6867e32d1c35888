"""Fixtures for the grading harness: each assignment is graded once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import harness  # noqa: E402

_RESULTS: dict[tuple[str, str], tuple[dict, list[str]]] = {}


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(root, assignment)``: results and release differences, computed once per session."""

    def get(root: Path, assignment: str):
        key = (str(root), assignment)
        if key not in _RESULTS:
            work = tmp_path_factory.mktemp(f"grade-{assignment}")
            _RESULTS[key] = harness.grade_assignment(root, assignment, work)
        return _RESULTS[key]

    return get
