"""Shared helpers for the instructor-workflow tests (this module holds no tests itself).

The tests grade the tiny fixture assignment (``tests/grading/fixtures/tiny-course``) with the
course's real ``nbgrader_config.py``, in a temporary course folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "grading" / "fixtures" / "tiny-course"
HOSTILE = REPO / "tests" / "submissions" / "_hostile"
ASSIGNMENT = "tiny"
# Short, so the infinite-loop case costs seconds, yet long enough that no honest cell of the
# tiny assignment times out on a busy two-core machine.
CELL_TIMEOUT_S = 8


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def make_course(parent: Path | None = None, extra_config: str = "", public: bool = False) -> Path:
    """A new course folder: the course's nbgrader_config.py plus the tiny assignment.

    ``public``: made world-readable like a course in a shared folder, so that when the tests
    run as root it is the grader's own locking that keeps kernels out. Other test courses stay
    private, so a hostile submission graded meanwhile cannot find them (the grader protects
    the course it grades, not other copies of the solutions left readable on the machine).
    """
    base = Path(tempfile.mkdtemp(prefix="interview-lab-test-", dir=parent))
    os.chmod(base, 0o755 if public else 0o700)
    course = base / "course"
    course.mkdir()
    os.chmod(course, 0o755)
    config = (REPO / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + ("\n" + extra_config if extra_config else ""))
    for name in ("source", "release"):
        shutil.copytree(TINY / name, course / name)
    return course


def remove_course(course: Path) -> None:
    shutil.rmtree(course.parent, ignore_errors=True)


def put_submission(course: Path, student: str, files: Path | dict[str, str | bytes]) -> Path:
    """Place a submission under ``submitted/<student>/tiny/`` (a case folder or name -> content)."""
    dest = course / "submitted" / student / ASSIGNMENT
    dest.mkdir(parents=True, exist_ok=True)
    if isinstance(files, Path):
        for path in files.iterdir():
            if path.name != "expected.json":
                shutil.copy2(path, dest / path.name)
    else:
        for name, content in files.items():
            target = dest / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
    return dest


def filled_notebook(bytes_src: str, ratio_src: str, name: str = "Student") -> str:
    """The tiny release notebook with the two answer cells filled in."""
    nb = json.loads((TINY / "release" / ASSIGNMENT / "tiny.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id == "header":
            cell["source"] = f'NAME = "{name}"\nCOLLABORATORS = ""'
        elif grade_id == "bytes_per_day":
            cell["source"] = bytes_src
        elif grade_id == "ratio":
            cell["source"] = ratio_src
    return json.dumps(nb, indent=1)


GOOD_BYTES = "def bytes_per_day(samples_per_s, bytes_per_sample):\n    return samples_per_s * bytes_per_sample * 86_400"
WRONG_BYTES = "def bytes_per_day(samples_per_s, bytes_per_sample):\n    return samples_per_s * bytes_per_sample"


def hostile_cases() -> dict[str, tuple[Path, dict]]:
    """student id -> (case folder, expected.json) for every case of the hostile corpus."""
    out = {}
    for folder in sorted(p for p in HOSTILE.iterdir() if p.is_dir()):
        spec = json.loads((folder / "expected.json").read_text())
        out[spec.get("student", folder.name)] = (folder, spec)
    return out


def tree_digest(folder: Path) -> dict[str, str]:
    """relative path -> sha256 (and mode) of every file and folder under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_file() and not path.is_symlink():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() + f" {oct(path.stat().st_mode)}"
        else:
            out[rel] = f"dir {oct(path.lstat().st_mode)}"
    return out


def run_cli(function, argv: list[str]) -> tuple[int, str, str]:
    """Call a command's ``*_main(argv)`` in-process; returns (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = function(argv)
    return status, out.getvalue(), err.getvalue()


def grade_args(course: Path, *extra: str) -> list[str]:
    """Arguments for ``grade``: the tiny assignment, 2 jobs, the short timeout."""
    return [ASSIGNMENT, "--course", str(course), "--jobs", "2", "--timeout", str(CELL_TIMEOUT_S), *extra]


def nbgrader(course: Path, *args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run nbgrader's own command line with this interpreter."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd or course, env=env,
                            capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


def gradebook_scores(course: Path) -> dict[str, float]:
    """student -> raw score of the tiny assignment, read from the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        return {s.student.id: float(s.score) for s in gb.find_assignment(ASSIGNMENT).submissions}


def summary_rows(stdout: str) -> dict[str, tuple[str, str, str]]:
    """student -> (score, max, status) parsed from the grade command's summary table."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("student"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        match = ROW.match(line)
        assert match, f"not a summary row: {line!r}"
        rows[match["student"]] = (match["score"], match["max"], match["status"])
    return rows


ROW = re.compile(r"^(?P<student>.+?)\s{2,}(?P<score>\S+)\s{2,}(?P<max>\S+)\s{2}(?P<status>.*)$")


def python_kernel_spec(jupyter_dir: Path, name: str, launcher: str, *args: str) -> None:
    """A kernel spec ``name`` under ``jupyter_dir`` (put it on ``JUPYTER_PATH``) that runs the
    Python script ``launcher`` with ``args`` and then ``-f CONNECTION_FILE``."""
    spec_dir = jupyter_dir / "kernels" / name
    spec_dir.mkdir(parents=True)
    script = spec_dir / "launcher.py"
    script.write_text(launcher)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(script), *args, "-f", "{connection_file}"],
        "display_name": name, "language": "python",
    }))
