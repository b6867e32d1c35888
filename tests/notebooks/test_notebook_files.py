"""Checks on the lecture notebooks as files (nbval runs them; see pyproject's addopts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
ABSOLUTE_PATH = re.compile(r"(/home/|/root/|/Users/|/tmp/|[A-Z]:\\\\)")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_with_outputs_and_no_errors(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert code and outputs, "notebooks are committed with their outputs"
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert all(c.get("execution_count") for c in code), "every code cell was run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_opens_with_goals_and_ends_with_practice(path):
    nb = json.loads(path.read_text())
    first = "".join(nb["cells"][0]["source"])
    last = "".join(nb["cells"][-1]["source"])
    assert first.startswith("# ")
    assert "00-contents.ipynb" in first and "00-contents.ipynb" in last or path.name.startswith("00-")
    if not path.name.startswith("00-"):
        assert re.search(r"learning goals", first, re.I)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_absolute_paths(path):
    text = path.read_text()
    assert not ABSOLUTE_PATH.findall(text)
