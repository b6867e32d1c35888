"""The harness itself must fail when an assignment is broken: shown on the tiny fixture course."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import harness
import nbformat
import pytest

TINY = Path(__file__).parent / "fixtures" / "tiny-course"


@pytest.fixture
def tiny(tmp_path):
    root = tmp_path / "tiny-course"
    shutil.copytree(TINY, root)
    return root


def test_tiny_course_passes_every_check(graded):
    results, differences = graded(TINY, "tiny")
    assert differences == []
    assert results["solution"].auto_score == results["solution"].auto_max == 3
    assert results["blank"].auto_score == 0
    assert harness.leaked_markers(TINY / "release") == []


def test_a_broken_solution_loses_points(tiny, tmp_path):
    path = tiny / "source" / "tiny" / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "bytes_per_day":
            cell.source = cell.source.replace("* 86_400", "* 3_600")  # hours, not seconds, in a day
    nbformat.write(nb, path)
    results, _ = harness.grade_assignment(tiny, "tiny", tmp_path / "work")
    assert results["solution"].auto_score == 1 < results["solution"].auto_max


def test_a_hidden_test_leaked_into_release_is_found(tiny):
    path = tiny / "release" / "tiny" / "tiny.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][-1]["source"] = ["### BEGIN HIDDEN TESTS\n", "assert RATIO == 20\n", "### END HIDDEN TESTS"]
    path.write_text(json.dumps(nb))
    assert harness.leaked_markers(tiny / "release") == ["tiny/tiny.ipynb"]


def test_a_release_edited_by_hand_is_found(tiny, tmp_path):
    path = tiny / "release" / "tiny" / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += "\n\nHint: multiply by 86,400."
    nbformat.write(nb, path)
    generated = harness.generate_release(harness.copy_course(TINY, tmp_path / "fresh"), "tiny")
    assert harness.release_differences(generated, tiny / "release" / "tiny") == [
        "tiny.ipynb: cell 2 differs from the generated one"
    ]


def test_a_wrong_submission_outside_its_range_is_reported(tiny, tmp_path):
    case = tiny / "tests" / "submissions" / "tiny" / "hours-not-seconds"
    case.mkdir(parents=True)
    nb = nbformat.read(tiny / "source" / "tiny" / "tiny.ipynb", as_version=4)
    nb.cells[3].source = "def bytes_per_day(samples_per_s, bytes_per_sample):\n    return samples_per_s * bytes_per_sample * 24"
    nbformat.write(nb, case / "tiny.ipynb")
    (case / "expected.json").write_text(json.dumps({"min": 0, "max": 1, "why": "hours, not seconds"}))
    [spec] = harness.cases("tiny", tiny / "tests" / "submissions")
    results, _ = harness.grade_assignment(tiny, "tiny", tmp_path / "work")
    got = results["case-hours-not-seconds"]
    assert got.auto_score == 1  # the ratio part is still right
    assert spec.min_score <= got.auto_score <= spec.max_score
