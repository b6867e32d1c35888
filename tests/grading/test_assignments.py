"""Every assignment in source/ through the harness: release, solution, blank, wrong submissions."""

from __future__ import annotations

import shutil
from pathlib import Path

import harness
import pytest
from test_instructor_support import make_course, remove_course, run_cli, tree_digest

from interview_lab.instructor.cli import grade_main

ASSIGNMENTS = harness.assignments()
CASES = [case for a in ASSIGNMENTS for case in harness.cases(a)]


def test_there_are_assignments():
    assert ASSIGNMENTS, "source/ holds no assignment: the harness would check nothing"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_nbgrader_generates(graded, assignment):
    _, differences = graded(harness.REPO, assignment)
    assert differences == [], "release/ is stale or was edited by hand; run `make release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_earns_every_auto_graded_point(graded, assignment):
    results, _ = graded(harness.REPO, assignment)
    solution = results["solution"]
    assert solution.auto_max > 0
    assert solution.auto_score == solution.auto_max, solution.per_cell


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_earns_nothing(graded, assignment):
    results, _ = graded(harness.REPO, assignment)
    blank = results["blank"]
    assert blank.auto_score == 0, f"free points in the untouched release: {blank.per_cell}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_assignment_has_a_corpus_of_wrong_submissions(assignment):
    found = harness.cases(assignment)
    assert len(found) >= 5, f"{assignment} has {len(found)} wrong submissions; at least 5 are needed"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.assignment}/{c.name}" for c in CASES])
def test_wrong_submission_scores_in_its_declared_range(graded, case):
    results, _ = graded(harness.REPO, case.assignment)
    got = results[f"case-{case.name}"]
    assert case.max_score < got.auto_max, f"{case.name} declares full marks possible; wrong work must not get them"
    assert got.auto_score is not None, f"nbgrader did not grade {case.name}"
    assert case.min_score <= got.auto_score <= case.max_score, (
        f"{case.name} ({case.why}) scored {got.auto_score}, declared {case.min_score}..{case.max_score}: {got.per_cell}"
    )


def test_release_holds_no_solution_or_hidden_test_text():
    assert harness.leaked_markers(harness.REPO / "release") == []


# ------------------------------------------------- the same grades, however a corpus is graded


def _harness_submissions(course: Path, assignment: str) -> list[str]:
    """The submissions the grading harness grades, placed under submitted/ (same ids)."""
    release = course / "release" / assignment
    solution = course / "submitted" / "solution" / assignment
    solution.mkdir(parents=True)
    for notebook in (course / "source" / assignment).glob("*.ipynb"):
        shutil.copy2(notebook, solution / notebook.name)
    for extra in release.iterdir():
        if not extra.name.endswith(".ipynb"):
            (shutil.copytree if extra.is_dir() else shutil.copy2)(extra, solution / extra.name)
    shutil.copytree(release, course / "submitted" / "blank" / assignment)
    for case in harness.cases(assignment):
        put = course / "submitted" / f"case-{case.name}" / assignment
        shutil.copytree(case.folder, put, ignore=shutil.ignore_patterns("expected.json", ".ipynb_checkpoints"))
    return sorted(p.name for p in (course / "submitted").iterdir())


def _per_cell(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    auto = {}
    for notebook in (course / "source" / assignment).glob("*.ipynb"):
        auto.update(harness.auto_graded_cells(notebook))
    out = {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sub in gb.find_assignment(assignment).submissions:
            if not (course / "autograded" / sub.student.id / assignment).is_dir():
                continue
            out[sub.student.id] = {g.name: float(g.auto_score or 0.0) for nb in sub.notebooks
                                   for g in nb.grades if g.name in auto}
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_fresh_kernels_give_the_forked_kernels_grades_on_each_corpus(graded, assignment):
    """The harness graded solution, blank and every wrong submission with forked kernels; the
    grade command with fresh kernels (a new Python process per kernel) must give every student
    the same per-cell scores, and leave submitted/ as it was."""
    forked, _ = graded(harness.REPO, assignment)
    course = make_course()
    try:
        for name in ("source", "release"):
            shutil.rmtree(course / name)
            shutil.copytree(harness.REPO / name / assignment, course / name / assignment)
        students = _harness_submissions(course, assignment)
        before = tree_digest(course / "submitted")
        args = [assignment, "--course", str(course), "--jobs", "2", "--timeout", str(harness.CORPUS_CELL_TIMEOUT_S),
                "--kernels", "fresh"]
        status, out, err = run_cli(grade_main, args)
        # On a machine loaded by the other test sessions, a kernel's last output can miss the
        # grader's IOPub deadline (the student fails with that reason, as the instructor would
        # see it); such students are graded once more before the comparison.
        def failed(text: str) -> set[str]:
            return {line.split()[0] for line in text.splitlines() if " failed: " in line}

        late = sorted(line.split()[0] for line in out.splitlines() if "IOPub timeout" in line)
        if late:
            _, again, err_again = run_cli(grade_main, args + ["--student", *late])
            status = 1 if (failed(out) - set(late)) | failed(again) else 0
            out, err = out + again, err + err_again
        assert tree_digest(course / "submitted") == before
        ours = _per_cell(course, assignment)
        theirs = {s: g.per_cell for s, g in forked.items() if g.auto_score is not None}
        assert set(students) == set(forked)
        assert ours == theirs, out
        assert status == (0 if len(theirs) == len(forked) else 1), out + err
    finally:
        remove_course(course)


SEQUENTIAL = "ps1-back-of-envelope"


@pytest.mark.skipif(SEQUENTIAL not in ASSIGNMENTS, reason=f"no {SEQUENTIAL} in source/")
def test_nbgrader_autograde_gives_the_harness_grades(graded):
    """nbgrader's own ``autograde`` command, one submission after another with a fresh kernel in
    the course folder, gives every student of a real corpus the grades the harness got."""
    ours, _ = graded(harness.REPO, SEQUENTIAL)
    theirs, _ = graded(harness.REPO, SEQUENTIAL, grader="nbgrader")
    assert set(ours) == set(theirs)
    assert {s: (g.auto_score, g.per_cell) for s, g in ours.items()} == {
        s: (g.auto_score, g.per_cell) for s, g in theirs.items()}
