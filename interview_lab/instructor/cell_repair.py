"""Put back the nbgrader metadata of graded and locked cells before nbgrader's ``OverwriteCells``.

nbgrader restores edited test cells and adds deleted ones back, but some edits of the cells'
metadata make its restore step raise instead, and then the whole notebook is lost:

- a cell whose ``grade_id`` is not in the gradebook (a renamed test) loses its id, and the
  restore step then fails on the cell without one (``KeyError: 'grade_id'``);
- a flag changed on a locked cell (``grade: false`` on a test) changes the cell's checksum for
  good, so restoring its text does not help (``Inconsistent checksums``);
- a deleted test is added back after the cell before it in the source notebook, which it looks
  for among the submission's answers and tests only: when that cell is gone too (the answer was
  deleted with its test) or is not an answer or a test, it fails (``KeyError``).

:class:`RepairGradedCells` runs just before ``OverwriteCells`` and reads the notebook's cells
from the gradebook through nbgrader's public API. It gives an unknown id back by position (the
cell that should come next in the source notebook, when it is missing and of the same type),
puts back the ``grade``/``solution``/``task`` flags of every cell the gradebook knows, and
adds back, as nbgrader would, the deleted tests nbgrader could not place. Everything else
(restoring the text, the points, the lock, the other deleted cells) is left to nbgrader, so a
submission nbgrader grades without error is graded the same. Each repair is logged as a
warning, which the grader turns into a note in its summary.
"""

from __future__ import annotations

import types

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

# (gradebook key, notebook, assignment) -> the notebook's cells as the gradebook has them, or
# None when the gradebook has no such notebook. Kept per worker: the snapshot does not change.
_LAYOUTS: dict[tuple, object] = {}

RENAMED = "Grader gave cell {old} its id back: {new}"
UNKNOWN = "Grader removed the unknown cell id {old}"
FLAGS = "Grader restored the metadata of cell {name}"
MISSING = "Missing grade cell {name} encountered, adding to notebook"


def _read_layout(db_url: str, notebook: str, assignment: str):
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            found = gradebook.find_notebook(notebook, assignment)
        except MissingEntry:
            return None
        cells = {c.name: types.SimpleNamespace(name=c.name, cell_type=c.cell_type, locked=c.locked,
                                               checksum=c.checksum, source=c.source)
                 for c in found.source_cells}
        return types.SimpleNamespace(
            order=[c.name for c in found.source_cells],  # the order nbgrader's restore step uses
            cells=cells,
            grade={c.name: c.max_score for c in found.grade_cells},
            solution={c.name for c in found.solution_cells},
            task={c.name: c.max_score for c in found.task_cells},
        )


def layout(db_url: str, notebook: str, assignment: str, key: str | None = None):
    """The gradebook's cells of one notebook, read once per ``key`` (default: the URL)."""
    cache_key = (key or db_url, notebook, assignment)
    if cache_key not in _LAYOUTS:
        _LAYOUTS[cache_key] = _read_layout(db_url, notebook, assignment)
    return _LAYOUTS[cache_key]


def _grade_id(cell):
    meta = cell.metadata.get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


class RepairGradedCells(NbGraderPreprocessor):
    """Make the submission's nbgrader metadata consistent with the gradebook (see the module)."""

    def preprocess(self, nb, resources):
        from nbgrader.preprocessors import OverwriteCells

        from . import parallel

        info = resources["nbgrader"]
        snapshot = parallel._SNAPSHOT_KEY[0] if parallel._SNAPSHOT_KEY else None
        cells = layout(info["db_url"], info["notebook"], info["assignment"], snapshot)
        if cells is None:
            return nb, resources
        overwrite = OverwriteCells(parent=self.parent, config=self.config)
        self._give_ids_back(nb, cells)
        self._restore_flags(nb, cells)
        if overwrite.add_missing_cells:
            self._add_unplaceable_tests(nb, cells, overwrite)
        return nb, resources

    def _give_ids_back(self, nb, cells) -> None:
        present = {_grade_id(c) for c in nb.cells} & set(cells.cells)
        previous = None  # the last cell with a known id
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if not isinstance(meta, dict):
                continue
            old = meta.get("grade_id")
            if old in cells.cells:
                previous = old
                continue
            at = cells.order.index(previous) + 1 if previous is not None else 0
            new = cells.order[at] if at < len(cells.order) else None
            if new is not None and new not in present and cells.cells[new].cell_type == cell.cell_type:
                meta["grade_id"] = new
                present.add(new)
                previous = new
                self.log.warning(RENAMED.format(old=old, new=new))
            else:  # nothing it could be: an ordinary cell now; a missing one is added back
                del cell.metadata["nbgrader"]
                self.log.warning(UNKNOWN.format(old=old))

    def _restore_flags(self, nb, cells) -> None:
        for cell in nb.cells:
            name = _grade_id(cell)
            if name not in cells.cells:
                continue
            meta = cell.metadata.nbgrader
            wanted = {"grade": name in cells.grade, "solution": name in cells.solution}
            if "task" in meta or name in cells.task:
                wanted["task"] = name in cells.task
            changed = [flag for flag, value in wanted.items() if bool(meta.get(flag, False)) != value]
            if not changed:
                continue
            meta.update(wanted)
            points = cells.grade.get(name, cells.task.get(name))
            if points is not None and "points" not in meta:
                meta["points"] = points
            self.log.warning(FLAGS.format(name=name))

    def _add_unplaceable_tests(self, nb, cells, overwrite) -> None:
        """Deleted tests that nbgrader's ``add_missing_grade_cells`` would fail to place: put
        after the nearest earlier cell of the source notebook still in the submission. The
        others are left to nbgrader, which places them the same way."""
        from nbgrader import utils

        def tracked():  # the cells nbgrader's restore step can place a missing test after
            return {_grade_id(c) for c in nb.cells if utils.is_grade(c) or utils.is_solution(c)}

        known = tracked()
        for name, max_score in cells.grade.items():
            if name in known:
                continue
            at = cells.order.index(name)
            if at == 0 or cells.order[at - 1] in known:
                known.add(name)  # nbgrader adds it back itself
                continue
            earlier = set(cells.order[:at])
            index = max((i + 1 for i, c in enumerate(nb.cells) if _grade_id(c) in earlier), default=0)
            # nbformat.from_dict: attribute access all the way down, as nbgrader's next steps use
            nb.cells.insert(index, nbformat.from_dict(overwrite.missing_cell_transform(
                cells.cells[name], max_score, is_solution=name in cells.solution)))
            known.add(name)
            self.log.warning(MISSING.format(name=name))
