"""``python -m interview_lab learner-copy DEST``: write the learner's edition of the course.

This repository is the instructor's edition: ``source/`` holds solutions and hidden tests,
``tests/`` holds wrong submissions and fixtures with answers in them. A learner gets only
what they need to take the course:

* ``notebooks/``, ``data/``, ``release/`` (the student versions made by nbgrader),
  ``lab-settings/`` (JupyterLab's defaults for the course) and the licence files,
* the ``interview_lab`` package without its instructor's parts (``instructor/``, this module),
  and ``requirements.txt``,
* a learner's ``README.md``, ``Makefile``, ``pyproject.toml`` and ``nbgrader_config.py``
  (written here, see below), so that ``make lab`` sets everything up from what the folder holds.

Never ``source/``, ``tests/``, ``benchmarks/``, ``deploy/``, the gradebook, submissions, the
instructor's ``nbgrader_config.py`` or any solution or hidden-test text: the copy is scanned for
nbgrader's solution and hidden-test markers before the command reports success.

The learner's ``Makefile`` has only the learner's targets (``lab``, ``setup``, ``validate``,
``clean``); its set-up recipes are the instructor's ``Makefile``'s own, and a test compares what
``make -n lab`` runs in both. The learner's ``pyproject.toml`` keeps the package's name, version
and console script (``interview-lab``, which then offers only the learner's commands) but no
kernel provisioner: that entry point names the instructor's grading kernels, which the edition
does not ship.

The learner's ``nbgrader_config.py`` keeps only what Validate needs (the course id and the
cell timeout, taken from the instructor's configuration): Validate runs a notebook and its
visible tests and needs no gradebook, late policy or course root.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

from interview_lab.settings import course_root

COPIED_FOLDERS = ("notebooks", "data", "release", "interview_lab", "lab-settings")
COPIED_FILES = ("requirements.txt",)
LICENCE_GLOB = "LICEN[CS]E*"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
# The instructor's parts of the package, left out of the learner's copy of it.
INSTRUCTOR_ONLY = ("instructor", "edition.py")
# nbgrader's markers, written so that this file does not contain them itself.
MARKERS = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")
WRITTEN = ("Makefile", "README.md", "nbgrader_config.py", "pyproject.toml")

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

The first run creates `.venv/` and installs the pinned packages (a few minutes; it says what
it is doing), then opens JupyterLab at the course's contents page; later runs start at once.
Open the URL it prints (with its token) in your browser. Stop JupyterLab with Ctrl-C.
Nothing needs an activated environment: `make` and `.venv/bin/...` work from any new terminal
in this folder.

## Take the course

1. Open `notebooks/00-contents.ipynb` and work through the notebooks in order. Run each
   cell (Shift-Enter); the sliders and buttons recompute as you change them.
2. Each lecture notebook ends with practice prompts and a link to its problem set.
3. Your own progress files (checklist, drill) go to `~/.interview-lab` (set
   `INTERVIEW_LAB_HOME` to put them elsewhere).
4. Away from JupyterLab, practise answering aloud with `.venv/bin/interview-lab drill`, and
   compute DORA's four keys of a deployment log with
   `.venv/bin/interview-lab dora --deployments D.csv --changes C.csv --incidents I.csv`
   (`.venv/bin/interview-lab --help` lists the commands).
5. Take the question bank away as flashcards: `.venv/bin/interview-lab drill --export-anki
   cards.apkg` writes an Anki deck (importing a newer one updates your cards rather than
   adding copies), and `.venv/bin/interview-lab drill --export-html bank.html` a page with
   the answers folded, to read in a browser or print.

## Problem sets

{assignments}

Each problem set is `release/<id>/<id>.ipynb`. Fill in every cell that says
`# YOUR CODE HERE` and keep the file name.

* **Validate** before you hand in: the *Validate* button in the notebook's toolbar (or
  `make validate ASSIGNMENT=<id>` in a terminal) restarts the notebook, runs every cell and
  tells you which visible tests fail.
* The visible tests are not the whole grade: your instructor grades with hidden tests that use
  other inputs, so an answer that only matches the visible examples loses points.
* **Hand in** the way your instructor asks: with `nbgrader submit <id>` (or the *Assignments*
  tab) when the course runs an nbgrader exchange, or by sending the notebook file itself.
  Studying on your own? Validate is your grader; the lecture notebooks explain every answer.

## What is in this folder

`notebooks/` lectures · `release/` problem sets · `data/` the data sets the notebooks use
(see `data/README.md`) · `interview_lab/` the course's Python library · `lab-settings/`
JupyterLab's defaults for the course (no news pop-ups), installed by `make lab`.
"""

# Tabs start the recipe lines. The recipes of $(RUNTIME_STAMP), $(LAB_OVERRIDES) and lab are
# the instructor's Makefile's own (tests/unit/test_edition.py compares what `make -n lab` runs).
LEARNER_MAKEFILE = """\
# DevOps Interview Lab, learner's edition. Every target sets up .venv itself; nothing needs an
# activated environment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
RUNTIME_STAMP := $(VENV)/.stamp-runtime
# JupyterLab's defaults for the course (no news or update pop-ups), read from its settings folder.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT ?= 8888
ASSIGNMENT ?=

.PHONY: help lab setup validate clean

help:
\t@echo "make lab            set up .venv and open the course in JupyterLab"
\t@echo "make validate ASSIGNMENT=ps1-back-of-envelope   nbgrader's Validate on a problem set"
\t@echo "make setup          set up .venv only"
\t@echo "make clean          remove .venv"

# The stamp is newer than the requirement files once they are installed, so a second run installs nothing.
$(RUNTIME_STAMP): requirements.txt pyproject.toml
\t@echo "Setting up $(VENV)/: installing the course's pinned packages (the first run takes a few minutes)..."
\t@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
\t$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
\t@touch $@
\t@echo "$(VENV)/ is ready."

$(LAB_OVERRIDES): lab-settings/overrides.json | $(RUNTIME_STAMP)
\t@mkdir -p $(@D)
\tcp lab-settings/overrides.json $@

setup: $(RUNTIME_STAMP) $(LAB_OVERRIDES)

lab: $(RUNTIME_STAMP) $(LAB_OVERRIDES)
\t$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.ip=127.0.0.1 \\
\t  --ServerApp.port=$(PORT) $(ROOT_FLAG) notebooks/00-contents.ipynb

# Checked before anything is installed: make stops with status 2 and this line.
ifneq ($(filter validate,$(MAKECMDGOALS)),)
ifeq ($(wildcard release/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb),)
$(error usage: make validate ASSIGNMENT=<problem set>, one of: $(notdir $(wildcard release/*)))
endif
endif

validate: $(RUNTIME_STAMP)
\t$(BIN)/nbgrader validate "release/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb"

clean:
\trm -rf $(VENV) build *.egg-info
"""

LEARNER_PYPROJECT = """\
[build-system]
requires = {build_requires}
build-backend = {build_backend}

[project]
name = {name}
version = {version}
description = {description}
readme = "README.md"
requires-python = {requires_python}
license = {{ text = {license} }}

[project.scripts]
{scripts}

[tool.setuptools.packages.find]
include = ["interview_lab*"]

[tool.setuptools.package-data]
interview_lab = {package_data}
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


def _learner_pyproject(root: Path) -> str:
    """The instructor's ``pyproject.toml`` without the instructor's entry points and files."""
    meta = tomllib.loads((root / "pyproject.toml").read_text())
    project, build = meta["project"], meta["build-system"]
    data = meta.get("tool", {}).get("setuptools", {}).get("package-data", {}).get("interview_lab", [])
    kept_data = [p for p in data if p.split("/")[0] not in INSTRUCTOR_ONLY]
    scripts = project.get("scripts", {})
    # TOML's basic strings and arrays of them are written as JSON writes them.
    return LEARNER_PYPROJECT.format(
        build_requires=json.dumps(build["requires"]),
        build_backend=json.dumps(build["build-backend"]),
        name=json.dumps(project["name"]),
        version=json.dumps(project["version"]),
        description=json.dumps(project.get("description", "")),
        requires_python=json.dumps(project.get("requires-python", ">=3.11")),
        license=json.dumps(project.get("license", {}).get("text", "")),
        scripts="\n".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in scripts.items()),
        package_data=json.dumps(kept_data),
    )


def _skipped(package: Path):
    """``copytree``'s ignore: caches everywhere, and the instructor's parts of ``package``."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        left_out = set(SKIPPED(folder, names))
        if Path(folder) == package:
            left_out |= set(INSTRUCTOR_ONLY) & set(names)
        return left_out

    return ignore


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
            shutil.copytree(root / name, dest / name, ignore=_skipped(root / "interview_lab"))
            entries.append(name)
    files = [root / name for name in COPIED_FILES] + sorted(root.glob(LICENCE_GLOB))
    for path in files:
        if path.is_file():
            shutil.copy2(path, dest / path.name)
            entries.append(path.name)
    course_id, timeout = _instructor_settings(root)
    (dest / "nbgrader_config.py").write_text(LEARNER_CONFIG.format(course_id=course_id, timeout=timeout))
    (dest / "README.md").write_text(LEARNER_README.format(assignments=_assignment_list(root / "release")))
    (dest / "Makefile").write_text(LEARNER_MAKEFILE)
    (dest / "pyproject.toml").write_text(_learner_pyproject(root))
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
