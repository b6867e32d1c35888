"""Every release notebook starts cleanly: Run All on the untouched notebook reaches the first
answer cell before any error, and the header cell asks for NAME and COLLABORATORS.

nbgrader replaces a whole solution cell that has no solution markers with its stub
(``# YOUR CODE HERE`` / ``raise NotImplementedError()``), so a header cell marked as a solution
cell reaches the learner as a bare stub that stops Run All before any part has begun.
"""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from interview_lab.settings import course_root

ROOT = course_root()
RELEASED = sorted((ROOT / "release").glob("*/*.ipynb"))
SOURCES = sorted((ROOT / "source").glob("*/*.ipynb"))
STUB = "raise NotImplementedError"


def _is_answer(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _first_answer(cells) -> int:
    return next(i for i, cell in enumerate(cells) if _is_answer(cell))


def test_every_assignment_is_checked():
    assert RELEASED and len(RELEASED) == len(SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_every_solution_code_cell_in_source_has_solution_markers(path):
    """Without markers nbgrader swaps the whole cell for the stub, whatever it held."""
    unmarked = [
        cell["metadata"]["nbgrader"].get("grade_id")
        for cell in json.loads(path.read_text())["cells"]
        if cell["cell_type"] == "code" and _is_answer(cell) and "BEGIN SOLUTION" not in "".join(cell["source"])
    ]
    assert unmarked == []


@pytest.mark.parametrize("path", RELEASED, ids=[p.parent.name for p in RELEASED])
def test_the_header_cell_asks_for_name_and_collaborators(path):
    cells = json.loads(path.read_text())["cells"]
    first = _first_answer(cells)
    headers = [c for c in cells[:first] if c["cell_type"] == "code" and "NAME = " in "".join(c["source"])]
    assert len(headers) == 1, "a header cell with NAME and COLLABORATORS comes before the first answer"
    header = headers[0]
    assert "".join(header["source"]).split("\n") == ['NAME = ""', 'COLLABORATORS = ""']
    assert "nbgrader" not in header["metadata"], "the header is a plain cell, as in nbgrader's example"


@pytest.mark.parametrize("path", RELEASED, ids=[p.parent.name for p in RELEASED])
def test_only_answer_cells_hold_the_stub(path):
    cells = json.loads(path.read_text())["cells"]
    stray = [i for i, c in enumerate(cells)
             if c["cell_type"] == "code" and not _is_answer(c) and STUB in "".join(c["source"])]
    assert stray == []
    first = cells[_first_answer(cells)]
    assert "YOUR CODE HERE" in "".join(first["source"]) or "YOUR ANSWER HERE" in "".join(first["source"])


@pytest.mark.parametrize("path", RELEASED, ids=[p.parent.name for p in RELEASED])
def test_run_all_reaches_the_first_answer_cell(path, tmp_path):
    """Every cell above the first answer runs without an error, in a copy of the assignment."""
    folder = tmp_path / path.parent.name
    shutil.copytree(path.parent, folder)
    nb = nbformat.read(folder / path.name, as_version=4)
    first = _first_answer(nb.cells)
    nb.cells = nb.cells[:first]
    assert any(c.cell_type == "code" for c in nb.cells), "nothing runs before the first answer"
    # CellExecutionError (with the cell and its traceback) on the first cell that fails.
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
