"""Grade a class of 40 with ``nbgrader autograde`` and with ``python -m interview_lab grade``.

Usage (``make bench`` runs it)::

    .venv/bin/python benchmarks/grade_class.py [--students 40] [--repeat 5] [--jobs auto] [--kernels MODE ...]

It builds 40 submissions of ps1-back-of-envelope (the tiny fixture assignment when ps1 is not
there) from the solution and the wrong-submission corpus (cases that hit the cell timeout are
left out: they would time the timeout, not the grader), puts the same class into two copies of
a temporary course, and in one run grades one copy with ``nbgrader autograde`` and the others
with ``python -m interview_lab grade --jobs auto``, once with ``--kernels fresh`` (a new Python
process per kernel), once with ``--kernels forked`` (kernels forked from a fork server) and once
with ``--kernels forked --no-sandbox`` (the same without the kernels' namespaces and cgroups, so
the difference in the same run is what the sandbox costs). It checks that all give every student the
same score, then prints wall time, the ratio, wall and CPU seconds per submission (CPU of the
whole process tree: grader, workers and kernels), and where the parallel grader's time goes
(per-phase medians from ``grade --timings``, and the CPU split between kernels, nbgrader in the
workers and the single writer). Figures depend on the machine and on what else runs on it:
the script prints the core count and the load average beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PREFERRED = "ps1-back-of-envelope"
TINY = REPO / "tests" / "grading" / "fixtures" / "tiny-course"


def pick_assignment() -> tuple[Path, str]:
    """(folder holding source/ and release/, assignment id)."""
    if (REPO / "source" / PREFERRED).is_dir() and (REPO / "release" / PREFERRED).is_dir():
        return REPO, PREFERRED
    return TINY, "tiny"


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def run(command: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command; returns (wall seconds, CPU seconds of it and all its children, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=environment(), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result


def submissions(origin: Path, assignment: str, count: int, scratch: Path) -> list[Path]:
    """Folders to hand in: the solution and the corpus, cases that time out left out."""
    solution = scratch / "solution"
    solution.mkdir()
    for path in (origin / "release" / assignment).iterdir():
        if not path.name.endswith(".ipynb"):
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, solution / path.name)
    for notebook in (origin / "source" / assignment).glob("*.ipynb"):
        shutil.copy2(notebook, solution / notebook.name)
    folders = [solution]
    corpus = REPO / "tests" / "submissions" / assignment
    if corpus.is_dir():
        for case in sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("_")):
            why = json.loads((case / "expected.json").read_text()).get("why", "") if (case / "expected.json").exists() else ""
            if "timeout" in why or "loop" in case.name:
                continue
            folders.append(case)
    return [folders[i % len(folders)] for i in range(count)]


def make_course(origin: Path, assignment: str, folders: list[Path], where: Path) -> Path:
    course = where / "course"
    course.mkdir(parents=True)
    shutil.copy2(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    for name in ("source", "release"):
        shutil.copytree(origin / name / assignment, course / name / assignment)
    for i, folder in enumerate(folders, start=1):
        dest = course / "submitted" / f"student-{i:02d}" / assignment
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("expected.json", ".ipynb_checkpoints"))
    return course


def scores(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        return {s.student.id: round(float(s.score), 6) for s in gb.find_assignment(assignment).submissions
                if (course / "autograded" / s.student.id / assignment).is_dir()}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def profile(timings: dict[str, dict], total_cpu_s: float) -> list[str]:
    graded = [t for t in timings.values() if t.get("graded")]
    phases = ["kernel_launch_s", "kernel_ready_s", "execute_s", "kernel_shutdown_s", "nbgrader_s",
              "worker_wall_s", "record_s"]
    labels = {
        "kernel_launch_s": "start the kernel process (launcher, privilege drop, exec)",
        "kernel_ready_s": "kernel imports until it answers (ipykernel, IPython)",
        "execute_s": "run the notebook, from first message to last output",
        "kernel_shutdown_s": "kill the kernel",
        "nbgrader_s": "nbgrader's Autograde in the worker (includes the three above)",
        "worker_wall_s": "whole worker job: copies, Autograde, sandbox, cleanup",
        "record_s": "single writer: nbgrader autograde --no-execute into the course",
    }
    lines = ["  where one submission's wall time goes (median over the class):"]
    for phase in phases:
        values = [t[phase] for t in graded if phase in t]
        lines.append(f"    {median(values):6.3f} s  {labels[phase]}")
    kernel = sum(t.get("kernel_cpu_s", 0.0) for t in graded)
    worker = sum(t.get("worker_cpu_s", 0.0) for t in graded)
    rest = max(0.0, total_cpu_s - kernel - worker)
    record = sum(t.get("record_cpu_s", 0.0) for t in graded)
    n = max(1, len(graded))
    lines.append("  CPU seconds per submission, by process:")
    lines.append(f"    {kernel / n:6.3f} s  kernels (and the launcher)")
    lines.append(f"    {worker / n:6.3f} s  workers running nbgrader's Autograde")
    lines.append(f"    {record / n:6.3f} s  the single writer (recording into the gradebook)")
    lines.append(f"    {max(0.0, rest - record) / n:6.3f} s  the rest: imports, fork server start, pool start, export")
    return lines


MODES = ("fresh", "forked", "fresh-no-sandbox", "forked-no-sandbox")


def mode_options(mode: str) -> list[str]:
    kernels, _, rest = mode.partition("-")
    return ["--kernels", kernels, *(["--no-sandbox"] if rest == "no-sandbox" else [])]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", default="auto")
    parser.add_argument("--timeout", type=int, default=30, help="cell timeout for every grader")
    parser.add_argument("--kernels", nargs="+", choices=MODES, default=["fresh", "forked", "forked-no-sandbox"],
                        help="which of interview_lab's kernel modes to time; the *-no-sandbox ones grade "
                             "with --no-sandbox, to measure what the sandbox costs")
    args = parser.parse_args(argv)
    origin, assignment = pick_assignment()
    with tempfile.TemporaryDirectory(prefix="interview-lab-bench-") as scratch:
        folders = submissions(origin, assignment, args.students, Path(scratch))
        return measure(args, origin, assignment, folders)


def measure(args, origin: Path, assignment: str, folders: list[Path]) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"grading {args.students} submissions of {assignment} on {cores} cores "
          f"(load average before: {os.getloadavg()[0]:.2f})")
    results: list[bool] = []
    walls: list[dict[str, float]] = []
    for repeat in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="interview-lab-bench-") as tmp:
            base = make_course(origin, assignment, folders, Path(tmp) / "base")
            wall, _, result = run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"], base)
            if result.returncode != 0:
                print(result.stderr[-3000:])
                return 1
            nb_course = Path(tmp) / "nbgrader"
            shutil.copytree(base.parent, nb_course)
            nb_course = nb_course / "course"
            n = args.students
            print(f"\nrun {repeat + 1}: load average {os.getloadavg()[0]:.2f}")
            nb_wall, nb_cpu, nb_result = run(
                [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force",
                 f"--Execute.timeout={args.timeout}"], nb_course)
            theirs = scores(nb_course, assignment)
            print(f"  nbgrader autograde           {nb_wall:7.1f} s wall  {nb_wall / n:5.2f} s/submission  "
                  f"{nb_cpu / n:5.2f} CPU s/submission")
            row = {"nbgrader": nb_wall}
            for kernels in args.kernels:
                our_course = Path(tmp) / f"ours-{kernels}"
                shutil.copytree(base.parent, our_course)
                our_course = our_course / "course"
                timings_path = Path(tmp) / f"timings-{kernels}.json"
                command = [sys.executable, "-m", "interview_lab", "grade", assignment, "--course",
                           str(our_course), "--jobs", args.jobs, "--timeout", str(args.timeout),
                           *mode_options(kernels), "--timings", str(timings_path)]
                our_wall, our_cpu, our_result = run(command, REPO)
                if our_result.returncode == 2 and kernels.endswith("-no-sandbox"):
                    # As root, unsandboxed kernels need an environment other users can reach
                    # (the sandbox binds it wherever it lives): run the benchmark with one.
                    print(f"  {kernels}: refused, {our_result.stderr.strip().splitlines()[-1]}")
                    continue
                if our_result.returncode not in (0, 1):
                    print(our_result.stdout[-3000:], our_result.stderr[-3000:])
                    return 1
                ours = scores(our_course, assignment)
                same = theirs == ours
                if not same:
                    differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
                    print(f"  {kernels}: scores differ from nbgrader's for " + ", ".join(
                        f"{k} ({theirs.get(k)} vs {ours.get(k)})" for k in differ))
                row[kernels] = our_wall
                results.append(same)
                print(f"  interview_lab grade {kernels:<17} {our_wall:7.1f} s wall  {our_wall / n:5.2f} s/submission  "
                      f"{our_cpu / n:5.2f} CPU s/submission  (--jobs {args.jobs}), "
                      f"{nb_wall / our_wall:5.2f}x faster than nbgrader autograde; "
                      f"same scores for all {len(theirs)} graded students: {same}")
                print("\n".join(profile(json.loads(timings_path.read_text()), our_cpu)))
            walls.append(row)
    if len(walls) > 1:
        n = args.students
        line = [f"nbgrader {median([w['nbgrader'] for w in walls]) / n:.2f} s/submission"]
        for kernels in args.kernels:
            if any(kernels not in w for w in walls):
                continue
            ours = median([w[kernels] for w in walls])
            line.append(f"{kernels} {ours / n:.2f} s/submission "
                        f"({median([w['nbgrader'] for w in walls]) / ours:.2f}x)")
        print(f"\nmedian of {len(walls)} runs: " + ", ".join(line))
        for kernels in ("fresh", "forked"):
            if all(kernels in w and f"{kernels}-no-sandbox" in w for w in walls):
                costs = [(w[kernels] - w[f"{kernels}-no-sandbox"]) / n for w in walls]
                print(f"sandbox cost with {kernels} kernels (same run, with minus without, per submission): "
                      f"median {median(costs) * 1000:.0f} ms, from {min(costs) * 1000:.0f} to {max(costs) * 1000:.0f} ms")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
