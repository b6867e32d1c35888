"""The learner's edition: everything a learner needs, no solution and no hidden test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from interview_lab.edition import leaked_markers, main, write_edition
from interview_lab.settings import course_root

ROOT = course_root()
MARKER = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("edition") / "learner"
    assert main([str(dest)]) == 0
    return dest


def test_the_edition_has_what_a_learner_needs(edition):
    for name in ("notebooks", "data", "release", "interview_lab", "requirements.txt", "pyproject.toml",
                 "Makefile", "README.md", "nbgrader_config.py", "lab-settings/overrides.json"):
        assert (edition / name).exists(), name
    assert sorted(p.name for p in (edition / "release").iterdir()) == sorted(
        p.name for p in (ROOT / "release").iterdir() if p.is_dir()
    )
    assert (edition / "interview_lab" / "__init__.py").is_file()


def test_the_edition_has_no_instructor_material(edition):
    for name in ("source", "tests", "benchmarks", ".ci", "deploy", "requirements-dev.txt", "gradebook.db",
                 "submitted", "autograded", "feedback", ".git", "interview_lab/instructor",
                 "interview_lab/edition.py"):
        assert not (edition / name).exists(), name
    assert not list(edition.rglob("__pycache__"))


def test_no_solution_or_hidden_test_text_anywhere_in_the_edition(edition):
    offending = [
        str(path.relative_to(edition))
        for path in edition.rglob("*")
        if path.is_file() and MARKER.search(path.read_text(errors="replace"))
    ]
    assert offending == []
    # and no copy of any source notebook, even without markers
    sources = {p.read_bytes() for p in (ROOT / "source").rglob("*.ipynb")}
    assert not [p for p in edition.rglob("*") if p.is_file() and p.read_bytes() in sources]


def test_learner_config_keeps_only_what_validate_needs(edition):
    text = (edition / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'devops-interview-lab'" in text
    assert "c.Execute.timeout = " in text
    for instructor_only in ("AssignLatePenalties", "db_url", "CourseDirectory.root", "OverwriteCells"):
        assert instructor_only not in text
    compile(text, "nbgrader_config.py", "exec")


def test_learner_readme_explains_setup_validate_and_hand_in(edition):
    text = (edition / "README.md").read_text()
    assert "make lab" in text and "Validate" in text and "nbgrader submit" in text
    for assignment in (ROOT / "release").iterdir():
        if assignment.is_dir():
            assert f"release/{assignment.name}/{assignment.name}.ipynb" in text


def test_refuses_a_non_empty_folder_unless_forced(tmp_path):
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    assert main([str(dest)]) == 2
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]
    assert main([str(dest), "--force"]) == 0
    assert (dest / "keep.txt").read_text() == "mine" and (dest / "notebooks").is_dir()


def test_refuses_to_copy_into_itself():
    with pytest.raises(ValueError, match="inside what the edition copies"):
        write_edition(ROOT / "notebooks" / "copy", ROOT)
    with pytest.raises(ValueError, match="inside what the edition copies"):
        write_edition(ROOT, ROOT)


def test_a_leaked_marker_is_found(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.ipynb").write_text('{"source": "### ' + "BEGIN " + 'SOLUTION"}')
    assert leaked_markers(tmp_path) == ["b.ipynb"]


def test_command_line_entry_point(tmp_path):
    dest = tmp_path / "cli"
    result = subprocess.run([sys.executable, "-m", "interview_lab", "learner-copy", str(dest)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "learner's edition written" in result.stdout
    assert (dest / "README.md").is_file()


# ------------------------------------------------------- the edition works on its own, in a new folder

# Runs the edition's own package from the edition's folder with this environment's interpreter
# (no new virtualenv): the instructor's editable install adds an import hook that would find
# modules the edition left out, so it is taken out first. Then it does what the console script
# the edition's pyproject.toml declares does: import the entry point and call it.
IN_EDITION = """\
import importlib, sys, tomllib
sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
import interview_lab
print("package:", interview_lab.__file__, file=sys.stderr)
scripts = tomllib.load(open("pyproject.toml", "rb"))["project"]["scripts"]
module, function = scripts["interview-lab"].split(":")
sys.argv = ["interview-lab", *sys.argv[1:]]
sys.exit(getattr(importlib.import_module(module), function)(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The edition written into a new, empty folder, as a learner receives it."""
    dest = tmp_path_factory.mktemp("built") / "course"
    write_edition(dest)
    return dest


def _quiet_env() -> dict[str, str]:
    # No __pycache__ in the edition, and no make flags of an outer make.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=folder, capture_output=True,
                          text=True, timeout=60, env=_quiet_env())


def _console_script(folder: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", IN_EDITION, *argv], cwd=folder, capture_output=True,
                          text=True, timeout=120, env=_quiet_env())


def test_make_lab_in_the_edition_sets_up_and_opens_the_course(built):
    result = _make(built, "-n", "lab", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"{sys.executable} -m venv .venv" in out
    assert "pip install --quiet --disable-pip-version-check -r requirements.txt" in out
    assert "--no-deps -e ." in out
    assert "the first run takes a few minutes" in out
    assert "cp lab-settings/overrides.json .venv/share/jupyter/lab/settings/overrides.json" in out
    assert "/.venv/bin/jupyter lab" in out and "notebooks/00-contents.ipynb" in out
    assert "deploy/" not in out and "deploy/" not in (built / "Makefile").read_text()
    assert not (built / ".venv").exists(), "a dry run installs nothing"


def test_the_edition_sets_up_exactly_as_the_instructors_makefile_does(built):
    """The learner's Makefile is a template in edition.py: it must not drift from the real one."""

    def commands(folder: Path) -> list[str]:
        result = _make(folder, "-n", "-B", "lab", "PYTHON=python3", "PORT=8888")
        assert result.returncode == 0, result.stderr
        return result.stdout.replace(str(folder), "<course>").splitlines()

    assert commands(built) == commands(ROOT)


def test_make_validate_in_the_edition(built):
    dry = _make(built, "-n", "validate", "ASSIGNMENT=ps1-back-of-envelope")
    assert dry.returncode == 0, dry.stderr
    assert 'nbgrader validate "release/ps1-back-of-envelope/ps1-back-of-envelope.ipynb"' in dry.stdout
    # Without a problem set (or with one that is not there): one line, status 2, nothing installed.
    for args in (["validate"], ["validate", "ASSIGNMENT=ps9-nothing"]):
        result = _make(built, *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "usage: make validate ASSIGNMENT=" in result.stderr
        assert "ps1-back-of-envelope" in result.stderr
    assert not (built / ".venv").exists()


def test_the_edition_offers_only_the_learners_make_targets(built):
    help_text = _make(built).stdout  # the first target: help
    assert "make lab" in help_text and "make validate" in help_text
    for instructor_only in ("grade", "feedback", "report", "learner-copy", "hub", "bench", "lint", "test"):
        assert f"make {instructor_only}" not in help_text
        result = _make(built, "-n", instructor_only)
        assert result.returncode == 2 and "No rule to make target" in result.stderr, instructor_only


def test_the_edition_imports_its_own_package_and_runs_its_console_script(built):
    result = _console_script(built, "--help")
    assert result.returncode == 0, result.stderr
    assert f"package: {built / 'interview_lab' / '__init__.py'}" in result.stderr
    assert result.stdout.startswith("usage: interview-lab COMMAND")
    assert "dora" in result.stdout and "drill" in result.stdout
    for instructor_only in ("release", "grade", "feedback", "report", "learner-copy"):
        assert f"  {instructor_only} " not in result.stdout
    # An instructor's command is refused in one sentence, as bad usage.
    refused = _console_script(built, "grade", "ps1-back-of-envelope")
    assert refused.returncode == 2
    assert "instructor's commands" in refused.stderr and "Traceback" not in refused.stderr
    # A learner's command really runs there: DORA's four keys of the edition's own data.
    dora = _console_script(built, "dora")
    assert dora.returncode == 0, dora.stderr
    assert "deployment frequency" in dora.stdout and "overall tier" in dora.stdout
    assert not list(built.rglob("__pycache__"))


def test_the_edition_package_metadata_has_no_instructor_entry_points(built, tmp_path):
    meta = tomllib.loads((built / "pyproject.toml").read_text())
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["name"] == ours["project"]["name"]
    assert meta["project"]["version"] == ours["project"]["version"]
    assert meta["project"]["scripts"] == {"interview-lab": "interview_lab.__main__:main"}
    assert "entry-points" not in meta["project"]
    assert not [p for p in meta["tool"]["setuptools"]["package-data"]["interview_lab"] if "instructor" in p]
    # What setuptools makes of it: the console script and nothing else.
    result = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "egg_info",
                             "--egg-base", str(tmp_path)], cwd=built, capture_output=True, text=True,
                            timeout=120, env=_quiet_env())
    assert result.returncode == 0, result.stderr
    info = next(tmp_path.glob("*.egg-info"))
    assert (info / "entry_points.txt").read_text().split() == [
        "[console_scripts]", "interview-lab", "=", "interview_lab.__main__:main"]
    sources = (info / "SOURCES.txt").read_text()
    assert "interview_lab/__main__.py" in sources and "instructor" not in sources


def test_the_edition_installs_the_lab_settings(built):
    ours = json.loads((ROOT / "lab-settings" / "overrides.json").read_text())
    assert json.loads((built / "lab-settings" / "overrides.json").read_text()) == ours
