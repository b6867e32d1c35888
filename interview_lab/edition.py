"""``python -m interview_lab learner-copy DEST``: write the learner's edition of the course.

This repository is the instructor's edition: ``source/`` holds solutions and hidden tests,
``tests/`` holds wrong submissions and fixtures with answers in them. A learner gets only
what they need to take the course:

* ``notebooks/``, ``data/``, ``release/`` (the student versions made by nbgrader),
* the ``interview_lab`` package, ``requirements.txt``, ``pyproject.toml``, the ``Makefile``
  and the licence files, so that ``make lab`` sets everything up,
* a learner's ``README.md`` and a learner's ``nbgrader_config.py`` (written here, see below).

Never ``source/``, ``tests/``, ``benchmarks/``, the gradebook, submissions, the instructor's
``nbgrader_config.py`` or any solution or hidden-test text: the copy is scanned for nbgrader's
solution and hidden-test markers before the command reports success.

The learner's ``nbgrader_config.py`` keeps only what Validate needs (the course id and the
cell timeout, taken from the instructor's configuration): Validate runs a notebook and its
visible tests and needs no gradebook, late policy or course root.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from interview_lab.settings import course_root

COPIED_FOLDERS = ("notebooks", "data", "release", "interview_lab")
COPIED_FILES = ("requirements.txt", "pyproject.toml", "Makefile")
LICENCE_GLOB = "LICEN[CS]E*"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
# nbgrader's markers, written so that this file does not contain them itself.
MARKERS = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")
WRITTEN = ("README.md", "nbgrader_config.py")

LEARNER_README = """\
# DevOps Interview Lab — learner's edition

Interactive notebooks for preparing DevOps interviews: the hiring pipeline, CI/CD and
containers, cloud and autoscaling, monitoring and DORA metrics, behavioural (STAR) answers,
system design, coding and scripting, red flags, salary negotiation and a mock interview.
Each topic has a lecture notebook; five problem sets are graded automatically with nbgrader.

## Set up (once)

You need Python 3.11 or newer, `make` and a web browser.

```
make lab
```

The first run creates `.venv/`, installs the pinned packages and opens JupyterLab at the
course's contents page; later runs start at once. Stop JupyterLab with Ctrl-C.

## Take the course

1. Open `notebooks/00-contents.ipynb` and work through the notebooks in order. Run each
   cell (Shift-Enter); the sliders and buttons recompute as you change them.
2. Each lecture notebook ends with practice prompts and a link to its problem set.
3. Your own progress files (checklist, drill) go to `~/.interview-lab` (set
   `INTERVIEW_LAB_HOME` to put them elsewhere).

## Problem sets

{assignments}

Each problem set is `release/<id>/<id>.ipynb`. Fill in every cell that says
`# YOUR CODE HERE` and keep the file name.

* **Validate** before you hand in: the *Validate* button in the notebook's toolbar (or
  `.venv/bin/nbgrader validate release/<id>/<id>.ipynb`) restarts the notebook, runs every
  cell and tells you which visible tests fail.
* The visible tests are not the whole grade: your instructor grades with hidden tests that use
  other inputs, so an answer that only matches the visible examples loses points.
* **Hand in** the way your instructor asks: with `nbgrader submit <id>` (or the *Assignments*
  tab) when the course runs an nbgrader exchange, or by sending the notebook file itself.
  Studying on your own? Validate is your grader; the lecture notebooks explain every answer.

## What is in this folder

`notebooks/` lectures · `release/` problem sets · `data/` the data sets the notebooks use
(see `data/README.md`) · `interview_lab/` the course's Python library.
"""

LEARNER_CONFIG = '''\
"""nbgrader settings for the learner's edition: what Validate needs, nothing more."""

c = get_config()  # noqa: F821  (nbgrader injects get_config)

c.CourseDirectory.course_id = {course_id!r}
# A cell that runs longer than this is interrupted, so an infinite loop cannot hang Validate.
c.Execute.timeout = {timeout!r}
'''


def _instructor_settings(root: Path) -> tuple[str, int]:
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    course_id = cfg.CourseDirectory.get("course_id", "devops-interview-lab")
    timeout = cfg.Execute.get("timeout", 30)
    return str(course_id), int(timeout)


def _assignment_list(release: Path) -> str:
    ids = sorted(p.name for p in release.iterdir() if p.is_dir()) if release.is_dir() else []
    return "\n".join(f"* `{i}` — `release/{i}/{i}.ipynb`" for i in ids) or "(none yet)"


def leaked_markers(folder: Path) -> list[str]:
    """Files under ``folder`` that contain a solution or hidden-test marker."""
    hits = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and MARKERS.search(path.read_text(errors="replace")):
            hits.append(str(path.relative_to(folder)))
    return hits


def write_edition(dest: Path, root: Path | None = None, force: bool = False) -> list[str]:
    """Write the learner's edition of the course at ``root`` into ``dest``; returns its entries.

    Raises ``ValueError`` for a folder that is not empty (unless ``force``) or that lies where
    the copy would copy itself, and ``RuntimeError`` if solution text reached the copy.
    """
    root = (root or course_root()).resolve()
    dest = dest.resolve()
    if dest == root or any(dest == root / name or root / name in dest.parents for name in COPIED_FOLDERS):
        raise ValueError(f"{dest} is inside what the edition copies; choose another folder")
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"{dest} exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise ValueError(f"{dest} is not empty; pass --force to write into it anyway")
    dest.mkdir(parents=True, exist_ok=True)
    entries = []
    for name in COPIED_FOLDERS:
        if (root / name).is_dir():
            if (dest / name).exists():
                shutil.rmtree(dest / name)
            shutil.copytree(root / name, dest / name, ignore=SKIPPED)
            entries.append(name)
    files = [root / name for name in COPIED_FILES] + sorted(root.glob(LICENCE_GLOB))
    for path in files:
        if path.is_file():
            shutil.copy2(path, dest / path.name)
            entries.append(path.name)
    course_id, timeout = _instructor_settings(root)
    (dest / "nbgrader_config.py").write_text(LEARNER_CONFIG.format(course_id=course_id, timeout=timeout))
    (dest / "README.md").write_text(LEARNER_README.format(assignments=_assignment_list(root / "release")))
    entries += list(WRITTEN)
    leaks = leaked_markers(dest)
    if leaks:
        raise RuntimeError("solution or hidden-test text reached the learner's edition: " + ", ".join(leaks))
    return sorted(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m interview_lab learner-copy",
        description="Write the learner's edition of the course (no solutions, no hidden tests).",
    )
    parser.add_argument("dest", help="the folder to write")
    parser.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        entries = write_edition(Path(args.dest), force=args.force)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"learner's edition written to {args.dest}: {', '.join(entries)}")
    return 0
