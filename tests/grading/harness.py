"""The grading harness: grades with nbgrader itself on a temporary copy of a course.

Submissions are graded with the course's grade command (``python -m interview_lab grade``,
forked kernels), which runs nbgrader's own ``Autograde`` converter through its Python API for
every submission; ``autograde(..., grader="nbgrader")`` runs ``nbgrader autograde`` from
nbgrader's command line instead, one submission after another, and a test checks on a real
assignment's corpus that both give every student the same per-cell scores.

Every assignment under ``source/`` goes through the same checks (see ``test_assignments.py``):
the committed ``release/`` is exactly what ``nbgrader generate_assignment`` makes, the solution
earns every auto-graded point, the untouched release earns none, each wrong submission under
``tests/submissions/<assignment>/<case>/`` scores inside the range its ``expected.json`` declares,
and no solution or hidden-test text is under ``release/``.

Run it by hand on one assignment (prints the scores)::

    .venv/bin/python tests/grading/harness.py ps1-back-of-envelope
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
SUBMISSIONS = REPO / "tests" / "submissions"
MARKER = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")
# Cell timeout for the test corpora: short, so an infinite loop costs seconds, not the course's 30 s.
CORPUS_CELL_TIMEOUT_S = 5
# Notebook-level metadata that nbgrader copies through but that says nothing about the assignment.
VOLATILE_NOTEBOOK_METADATA = ("widgets", "language_info", "toc", "vscode")


def assignments(root: Path = REPO) -> list[str]:
    """Ids of the assignments in ``root/source`` (folders holding at least one notebook)."""
    source = root / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def environment() -> dict[str, str]:
    """The environment for nbgrader: this interpreter's bin first on PATH (nbgrader runs alembic)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``nbgrader ARGS`` in ``course`` with this interpreter."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result


def copy_course(root: Path, dest: Path) -> Path:
    """Copy what nbgrader needs of a course (config, source, release) to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    for name in ("source", "release"):
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


def generate_release(course: Path, assignment: str) -> Path:
    """``nbgrader generate_assignment`` into ``course/release/<assignment>``."""
    nbgrader(course, "generate_assignment", assignment, "--force")
    return course / "release" / assignment


def _fingerprint(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    meta = {k: v for k, v in nb.metadata.items() if k not in VOLATILE_NOTEBOOK_METADATA}
    cells = [
        {"cell_type": c.cell_type, "source": c.source, "metadata": c.metadata, "outputs": c.get("outputs", [])}
        for c in nb.cells
    ]
    return {"metadata": meta, "cells": cells}


def release_differences(generated: Path, committed: Path) -> list[str]:
    """Every way ``committed`` differs from a freshly generated release (empty: identical)."""
    if not committed.is_dir():
        return [f"{committed.name}: no committed release folder"]
    def files(d: Path) -> set[str]:
        return {str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts}
    gen, com = files(generated), files(committed)
    problems = [f"missing from the committed release: {f}" for f in sorted(gen - com)]
    problems += [f"in the committed release but not generated: {f}" for f in sorted(com - gen)]
    for name in sorted(gen & com):
        a, b = generated / name, committed / name
        if name.endswith(".ipynb"):
            fa, fb = _fingerprint(a), _fingerprint(b)
            if fa["metadata"] != fb["metadata"]:
                problems.append(f"{name}: notebook metadata differs")
            if len(fa["cells"]) != len(fb["cells"]):
                problems.append(f"{name}: {len(fb['cells'])} cells committed, {len(fa['cells'])} generated")
            for i, (ca, cb) in enumerate(zip(fa["cells"], fb["cells"], strict=False)):
                if ca != cb:
                    problems.append(f"{name}: cell {i} differs from the generated one")
        elif a.read_bytes() != b.read_bytes():
            problems.append(f"{name}: content differs")
    return problems


def leaked_markers(folder: Path) -> list[str]:
    """Files under ``folder`` containing solution or hidden-test markers."""
    hits = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_text(errors="replace")
            if MARKER.search(text):
                hits.append(str(path.relative_to(folder)))
    return hits


def auto_graded_cells(source_notebook: Path) -> dict[str, float]:
    """grade_id -> points for the cells nbgrader grades automatically (grade and not solution)."""
    nb = nbformat.read(source_notebook, as_version=4)
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cells[meta["grade_id"]] = float(meta.get("points", 0))
    return cells


@dataclass(frozen=True)
class Graded:
    """One student's result as the gradebook holds it."""

    student: str
    auto_score: float | None  # None: nbgrader did not grade this submission
    auto_max: float
    per_cell: dict[str, float]


def autograde(
    course: Path, assignment: str, submissions: dict[str, Path], cell_timeout_s: float = CORPUS_CELL_TIMEOUT_S,
    grader: str = "course",
) -> dict[str, Graded]:
    """Place each submission (a notebook or a folder of files) under ``submitted/`` and autograde.

    ``grader="course"``: the course's grade command, two submissions at a time with forked
    kernels; ``grader="nbgrader"``: ``nbgrader autograde`` once for all of them. Then reads the
    scores from the gradebook.
    """
    from nbgrader.api import Gradebook, MissingEntry

    source_dir = course / "source" / assignment
    notebook_names = sorted(p.name for p in source_dir.glob("*.ipynb"))
    auto_cells: dict[str, float] = {}
    for name in notebook_names:
        auto_cells.update(auto_graded_cells(source_dir / name))
    auto_max = sum(auto_cells.values())
    for student, src in submissions.items():
        dest = course / "submitted" / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        if src.is_dir():
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("expected.json", ".ipynb_checkpoints"))
        else:
            dest.mkdir(parents=True)
            shutil.copy2(src, dest / src.name)
    if grader == "nbgrader":
        nbgrader(course, "autograde", assignment, "--create", "--force", f"--Execute.timeout={cell_timeout_s}",
                 check=False)
    else:
        result = grade_with_the_course_command(course, assignment, cell_timeout_s)
        # On a machine loaded by the other test sessions, a kernel interrupted at its cell timeout
        # can miss the grader's IOPub deadline; the command then fails that student with that
        # reason, as an instructor would see it, and such students are graded once more, as an
        # instructor would do (test_assignments.py does the same for its fresh-kernel run).
        late = sorted(line.split()[0] for line in result.stdout.splitlines() if "IOPub timeout" in line)
        if late:
            grade_with_the_course_command(course, assignment, cell_timeout_s, students=late)
    results = {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for student in submissions:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                results[student] = Graded(student, None, auto_max, {})
                continue
            per_cell = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.name in auto_cells:
                        per_cell[grade.name] = float(grade.auto_score or 0.0)
            graded = (course / "autograded" / student / assignment).is_dir()
            results[student] = Graded(student, sum(per_cell.values()) if graded else None, auto_max, per_cell)
    return results


def grade_with_the_course_command(course: Path, assignment: str, cell_timeout_s: float, kernels: str = "forked",
                                  jobs: int = 2, students: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m interview_lab grade`` on ``course`` (exit 0 or 1: some submissions failing is
    a result; anything else is an error here); ``students``: only those."""
    command = [sys.executable, "-m", "interview_lab", "grade", assignment, "--course", str(course),
               "--jobs", str(jobs), "--timeout", str(int(cell_timeout_s)), "--kernels", kernels]
    if students:
        command += ["--student", *students]
    result = subprocess.run(command, cwd=REPO, env=environment(), capture_output=True, text=True, timeout=1800)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"grading {assignment} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


@dataclass(frozen=True)
class Case:
    """A wrong submission with the score range it must get."""

    assignment: str
    name: str
    folder: Path
    min_score: float
    max_score: float
    why: str


def cases(assignment: str, root: Path = SUBMISSIONS) -> list[Case]:
    """The corpus of an assignment; folders starting with ``_`` are special corpora and skipped."""
    folder = root / assignment
    found = []
    if not folder.is_dir():
        return found
    for case_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")):
        spec_path = case_dir / "expected.json"
        if not spec_path.exists():
            raise ValueError(f"{case_dir.relative_to(root)} has no expected.json")
        spec = json.loads(spec_path.read_text())
        found.append(Case(assignment, case_dir.name, case_dir, float(spec["min"]), float(spec["max"]), spec["why"]))
    return found


def grade_assignment(root: Path, assignment: str, work: Path, grader: str = "course") -> tuple[dict[str, Graded], list[str]]:
    """Regenerate the release in a copy of ``root`` and grade solution, blank and every case.

    Returns the results by student id (``solution``, ``blank`` and ``case-<name>``) and the
    differences between the regenerated release and the committed one.
    """
    course = copy_course(root, work / "course")
    committed = work / "committed-release"
    if (root / "release" / assignment).is_dir():
        shutil.copytree(root / "release" / assignment, committed)
    generated = generate_release(course, assignment)
    differences = release_differences(generated, committed)
    source_nbs = sorted((course / "source" / assignment).glob("*.ipynb"))
    subs: dict[str, Path] = {}
    solution_dir = work / "solution"
    solution_dir.mkdir()
    blank_dir = work / "blank"
    shutil.copytree(generated, blank_dir)
    for nb in source_nbs:
        shutil.copy2(nb, solution_dir / nb.name)
    # Data files the assignment ships go with the solution too, as a learner's folder has them.
    for extra in generated.iterdir():
        if not extra.name.endswith(".ipynb"):
            target = solution_dir / extra.name
            if extra.is_dir():
                shutil.copytree(extra, target)
            else:
                shutil.copy2(extra, target)
    subs["solution"] = solution_dir
    subs["blank"] = blank_dir
    for case in cases(assignment, root / "tests" / "submissions"):
        subs[f"case-{case.name}"] = case.folder
    return autograde(course, assignment, subs, grader=grader), differences


def main(argv: list[str]) -> int:
    targets = argv or assignments()
    for assignment in targets:
        with tempfile.TemporaryDirectory() as tmp:
            results, differences = grade_assignment(REPO, assignment, Path(tmp))
            print(f"== {assignment}")
            for problem in differences:
                print(f"   release: {problem}")
            specs = {f"case-{c.name}": c for c in cases(assignment)}
            for student, graded in results.items():
                spec = specs.get(student)
                want = f" (declared {spec.min_score:g}..{spec.max_score:g})" if spec else ""
                print(f"   {student:<32} {graded.auto_score}/{graded.auto_max:g}{want}  {graded.per_cell}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
