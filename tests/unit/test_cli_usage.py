"""The course's command line from a fresh shell: exit status 2 for bad usage, and commands that
run without an activated environment (``.venv/bin/interview-lab``), in every text a learner reads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from interview_lab.__main__ import COMMANDS, main
from interview_lab.edition import LEARNER_README
from interview_lab.settings import course_root

ROOT = course_root()
CONSOLE_SCRIPT = Path(sys.executable).parent / "interview-lab"
# `python -m ...` or `python3 -m ...` not preceded by a path: it needs an activated environment.
BARE_PYTHON = re.compile(r"(?<![\w/.-])python3? -m ")


def test_no_command_is_bad_usage_in_one_line(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("usage: ")
    assert "dora" in err and "drill" in err


def test_help_lists_every_command_and_exits_0(capsys):
    for flag in ("--help", "-h", "help"):
        assert main([flag]) == 0
        out, _ = capsys.readouterr()
        for name in COMMANDS:
            assert f"  {name} " in out, (flag, name)


def test_an_unknown_command_is_bad_usage(capsys):
    assert main(["drills"]) == 2
    _, err = capsys.readouterr()
    assert err.splitlines()[0] == "unknown command 'drills'" and err.splitlines()[1].startswith("usage: ")


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "interview_lab"],
    [str(CONSOLE_SCRIPT)],
], ids=["python -m interview_lab", "interview-lab"])
def test_no_command_exits_2_from_a_shell(command):
    assert Path(command[0]).is_file(), f"{command[0]} is missing: `make setup` installs the console script"
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    prog = "interview-lab" if command[0] == str(CONSOLE_SCRIPT) else "python -m interview_lab"
    assert result.stderr.startswith(f"usage: {prog} COMMAND")


def test_the_console_script_runs_a_learners_command_outside_the_course_folder(tmp_path):
    """As from a new terminal: no activated environment, any working folder."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "INTERVIEW_LAB_HOME": str(tmp_path / "home")}
    result = subprocess.run([str(CONSOLE_SCRIPT), "dora"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "deployment frequency" in result.stdout


def _learner_texts() -> list[tuple[str, str]]:
    """(where, text) of what a learner reads: notebooks' markdown, data/README.md, their README."""
    texts = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "release").glob("*/*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "markdown":
                texts.append((f"{path.relative_to(ROOT)} cell {i}", "".join(cell["source"])))
    texts.append(("data/README.md", (ROOT / "data" / "README.md").read_text()))
    texts.append(("the learner's README (edition.py)", LEARNER_README))
    return texts


def test_what_a_learner_reads_never_needs_an_activated_environment():
    found = [f"{where}: {line.strip()}" for where, text in _learner_texts()
             for line in text.splitlines() if BARE_PYTHON.search(line)]
    assert found == []


def test_the_readme_shows_learner_commands_that_run_from_a_new_terminal():
    readme = (ROOT / "README.md").read_text()
    docs = [p.read_text() for p in sorted((ROOT / "docs").glob("**/*.md"))] if (ROOT / "docs").is_dir() else []
    for text in (readme, *docs):
        assert not re.search(r"(?<![\w/.-])python3? -m interview_lab (drill|dora)\b", text)
    assert ".venv/bin/interview-lab drill" in readme
    assert ".venv/bin/interview-lab dora" in readme


def test_the_bare_python_pattern_finds_what_it_should():
    assert BARE_PYTHON.search("run `python -m interview_lab drill`")
    assert BARE_PYTHON.search("python3 -m interview_lab.datagen")
    assert not BARE_PYTHON.search("`.venv/bin/python -m interview_lab.datagen`")
    assert not BARE_PYTHON.search("`.venv/bin/interview-lab drill`")
