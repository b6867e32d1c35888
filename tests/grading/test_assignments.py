"""Every assignment in source/ through the harness: release, solution, blank, wrong submissions."""

from __future__ import annotations

import harness
import pytest

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
