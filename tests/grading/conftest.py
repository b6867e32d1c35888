"""Fixtures for the grading harness: each assignment is graded once per test session.

The first test that asks for one of the course's assignments starts grading all of them, a
few at a time in the background (each in its own temporary course, each with
``nbgrader autograde`` run as usual, one submission after another): the assignments are
independent, and on a machine with more than one core their sequential runs overlap.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import harness  # noqa: E402

# How many assignments are graded at once: one per core, and at least two (most of a
# sequential run is waiting for a kernel).
AT_ONCE = max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2)


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(root, assignment)``: results and release differences, computed once per session."""
    futures: dict[tuple[str, str], cf.Future] = {}
    pool = cf.ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="harness")

    def start(root: Path, assignment: str) -> cf.Future:
        key = (str(root), assignment)
        if key not in futures:
            work = tmp_path_factory.mktemp(f"grade-{assignment}")
            futures[key] = pool.submit(harness.grade_assignment, root, assignment, work)
        return futures[key]

    def get(root: Path, assignment: str):
        if Path(root) == harness.REPO:
            for name in harness.assignments():
                start(harness.REPO, name)
        return start(root, assignment).result()

    yield get
    pool.shutdown(wait=True, cancel_futures=True)
