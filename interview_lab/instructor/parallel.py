"""Grade many submissions at once with nbgrader's ``Autograde``, safely.

How it works (and why the gradebook never reports "database is locked"):

nbgrader's ``Autograde`` runs two lists of preprocessors over each notebook: the *sanitizing*
steps (clear outputs, restore the test cells and their metadata from the gradebook, check the
metadata) and the *autograding* steps (execute, limit outputs, then ``SaveAutoGrades`` and
``AssignLatePenalties``, which write scores to the gradebook). Only those last two write.
This module splits the list there:

1. **Execute, in parallel, on copies.** A pool of N long-lived worker processes (they import
   nbgrader once) takes one submission at a time. For each, the worker copies the submission
   (regular files only) and a snapshot of the gradebook into a private working folder outside
   the course, and runs nbgrader's ``Autograde`` converter there with every step *except* the
   two recording ones, and with ``Execute`` swapped for
   :class:`~interview_lab.instructor.isolation.IsolatedExecute` (the kernel in its own Linux
   namespaces, as an unprivileged user when root: see ``sandbox.py``; each worker has a mount
   namespace of its own for the kernels' tmpfs folders). The snapshot only serves reads (which
   test cells to restore), so workers share no file and no database.
2. **Record, one writer.** The main process takes each executed notebook as it arrives and
   runs nbgrader's ``Autograde`` once more, against the real course and gradebook, with only
   the recording steps (``SaveAutoGrades``, ``AssignLatePenalties``) and execution off, as
   ``nbgrader autograde --no-execute`` does. nbgrader itself scores the outputs, applies the
   late penalty and writes ``autograded/``. Only this process ever writes to the gradebook,
   one submission after another, so SQLite never sees two writers.

Every step is nbgrader's, in nbgrader's order, so the scores are the ones a sequential
``nbgrader autograde`` gives (a test checks it on every assignment's corpus). ``submitted/``
and ``source/`` are only ever read. A submission that cannot be graded (its kernel died, its
notebook is not JSON, ...) is reported with a one-line reason and the others carry on.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import gc
import json
import logging
import multiprocessing
import os
import re
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nbclient.util import run_sync
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer

from . import sandbox as kernel_sandbox
from .course import Course, check_student_id, generate_assignment, quiet_logger
from .forked import ENDED_KERNELS_CPU_S, GRADING_NICENESS, ForkServer
from .isolation import (
    KERNEL_DIED_AT_START,
    MEMORY_LIMIT_MESSAGE,
    GraderUser,
    IsolatedExecute,
    kill_user_processes,
    start_font_cache,
)

# Process-wide timings of the current job (one job at a time per worker process).
TIMINGS: dict[str, float] = {}


def _add_timing(name: str, seconds: float) -> None:
    TIMINGS[name] = TIMINGS.get(name, 0.0) + seconds


class TimedExecute(IsolatedExecute):
    """:class:`IsolatedExecute` that also records where its time goes (for the benchmark)."""

    async def async_start_new_kernel(self, **kwargs):
        started = time.perf_counter()
        await super().async_start_new_kernel(**kwargs)
        _add_timing("kernel_launch_s", time.perf_counter() - started)

    async def async_start_new_kernel_client(self):
        started = time.perf_counter()
        client = await super().async_start_new_kernel_client()
        _add_timing("kernel_ready_s", time.perf_counter() - started)
        return client

    async def _async_cleanup_kernel(self):
        started = time.perf_counter()
        await super()._async_cleanup_kernel()
        _add_timing("kernel_shutdown_s", time.perf_counter() - started)

    # nbclient binds its synchronous wrappers to its own coroutines: rebind them to these.
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    def preprocess(self, nb, resources=None, km=None):
        started = time.perf_counter()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            _add_timing("execute_s", time.perf_counter() - started)


# What a worker has read from its gradebook snapshot: (url, kind, cell, notebook, assignment)
# -> the cell's values, or the MissingEntry raised. The snapshot does not change during a run.
_SNAPSHOT_CELLS: dict[tuple, object] = {}
# In a worker, the run's snapshot file while it grades one of the run's submissions: the key of
# what is kept (the worker's private copy of the snapshot answers as the snapshot does).
_SNAPSHOT_KEY: list[str] = []
SNAPSHOT_FIELDS = {"source": ("name", "cell_type", "locked", "checksum", "source"),
                   "graded": ("name", "max_score")}


class _SnapshotLookups:
    """A gradebook whose ``find_source_cell``/``find_graded_cell`` answers are read once per
    worker and then kept (everything else goes to the gradebook itself)."""

    def __init__(self, gradebook, url: str):
        self._gradebook = gradebook
        self._url = url

    def __getattr__(self, name: str):
        return getattr(self._gradebook, name)

    def _find(self, kind: str, name: str, notebook: str, assignment: str):
        from nbgrader.api import MissingEntry

        key = (self._url, kind, name, notebook, assignment)
        if key not in _SNAPSHOT_CELLS:
            try:
                found = getattr(self._gradebook, f"find_{kind}_cell")(name, notebook, assignment)
            except MissingEntry as missing:
                _SNAPSHOT_CELLS[key] = str(missing)
            else:
                _SNAPSHOT_CELLS[key] = types.SimpleNamespace(
                    **{field: getattr(found, field) for field in SNAPSHOT_FIELDS[kind]})
        value = _SNAPSHOT_CELLS[key]
        if isinstance(value, str):
            raise MissingEntry(value)
        return value

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        return self._find("source", name, notebook, assignment)

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        return self._find("graded", name, notebook, assignment)


def _snapshot_overwrite_cells():
    from nbgrader.preprocessors import OverwriteCells

    class SnapshotOverwriteCells(OverwriteCells):
        """nbgrader's ``OverwriteCells`` for the workers, whose gradebook is the run's snapshot:
        it looks up every graded cell of every submission (about 70 ms of SQL per ps1
        submission), always with the same answers, so each worker reads each cell once and
        keeps the values nbgrader uses. The checks and the changes to the notebook are
        nbgrader's own."""

        def preprocess_cell(self, cell, resources, index):
            gradebook = self.gradebook
            self.gradebook = _SnapshotLookups(gradebook, _SNAPSHOT_KEY[0] if _SNAPSHOT_KEY else self.db_url)
            try:
                return super().preprocess_cell(cell, resources, index)
            finally:
                self.gradebook = gradebook

    return SnapshotOverwriteCells


def read_snapshot_cells(snapshot: Path, assignment: str) -> int:
    """Read every source and graded cell of ``assignment`` from the run's gradebook snapshot
    into what the workers keep (see :class:`_SnapshotLookups`), in this process before the
    workers are forked from it: otherwise each worker reads them on its first submission, a
    query per cell. Returns how many were read."""
    from nbgrader.api import Gradebook, MissingEntry

    before = len(_SNAPSHOT_CELLS)
    with Gradebook(f"sqlite:///{snapshot}") as gradebook:
        lookups = _SnapshotLookups(gradebook, str(snapshot))
        try:
            notebooks = gradebook.find_assignment(assignment).notebooks
        except MissingEntry:
            return 0
        for notebook in notebooks:
            for cell in notebook.source_cells:
                lookups.find_source_cell(cell.name, notebook.name, assignment)
            for cell in [*notebook.grade_cells, *notebook.task_cells]:
                lookups.find_graded_cell(cell.name, notebook.name, assignment)
    return len(_SNAPSHOT_CELLS) - before


TRUNCATION_MARK = "... output truncated by the grader"
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


class TruncateOutput(Preprocessor):
    """Cut any single output's text to ``max_chars`` (nbgrader's LimitOutput counts lines only,
    so one 50 MB line would otherwise land in the autograded notebook and the feedback)."""

    max_chars = Integer(100_000, help="characters kept of one output's text").tag(config=True)
    enabled = Bool(True).tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return f"{text[: self.max_chars]}\n{TRUNCATION_MARK} ({len(text):,} characters in all) ...\n"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = self._cut(output.get("text", ""))
            elif "data" in output:
                for mime in ("text/plain", "text/html"):
                    if isinstance(output["data"].get(mime), str):
                        output["data"][mime] = self._cut(output["data"][mime])
        return cell, resources


@dataclass(frozen=True)
class GradeJob:
    """One submission for a worker to execute."""

    course_root: str
    assignment: str
    student: str
    work_dir: str  # private to this job (root-only when root)
    snapshot_db: str
    sandbox_parent: str
    user: GraderUser | None
    mpl_template: str
    cell_timeout_s: int | None
    release_files: tuple[str, ...]
    kernels: str = "fresh"  # or "forked": children of the run's fork server
    fork_socket: str = ""
    namespaces: bool = True  # each kernel in its own namespaces (False: --no-sandbox)
    new_root: str = ""  # an empty root-only folder forked kernels mount their view on


@dataclass(frozen=True)
class Executed:
    """What a worker reports back for one submission."""

    student: str
    ok: bool
    reason: str
    notes: tuple[str, ...]
    stage_dir: str  # holds <student>/<assignment>/ with the executed notebooks
    timings: dict[str, float] = field(default_factory=dict)
    fork_server_failed: bool = False  # the kernel could not be started by the fork server


@dataclass(frozen=True)
class Outcome:
    """The result of grading one student, as the summary shows it."""

    student: str
    graded: bool
    reason: str  # why it failed; empty when graded
    score: float | None  # after the late penalty, as grades.csv's `score`
    max_score: float
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if not self.graded:
            return f"failed: {self.reason}"
        return "graded" + (f" ({'; '.join(self.notes)})" if self.notes else "")


class RefusedSubmission(Exception):
    """A submission that is not graded at all; the message is its one-line reason."""


def symlinks_in(source: Path, submitted_root: Path | None = None) -> list[str]:
    """Every symlink at or under ``source``, never followed, relative to ``submitted_root``
    (``submitted/``), which also has the folders between it and ``source`` checked: a student
    folder linked to another student's, or to ``source/``, is a symlink too."""
    base = submitted_root if submitted_root is not None else source
    between = [] if submitted_root is None else list(source.relative_to(submitted_root).parents)[-2::-1]
    for rel in [*between, source.relative_to(base)]:
        if (base / rel).is_symlink():
            return [str(rel)]  # nothing under it is looked at
    found = []
    for folder, dirs, files in os.walk(source):  # does not descend into linked folders
        found += [str(Path(folder, name).relative_to(base)) for name in dirs + files
                  if Path(folder, name).is_symlink()]
    return sorted(found)


def _symlink_reason(links: list[str], source: Path, submitted_root: Path | None,
                    notebooks: tuple[str, ...]) -> str:
    named = ", ".join(links[:5]) + (f" and {len(links) - 5} more" if len(links) > 5 else "")
    top = source.relative_to(submitted_root) if submitted_root is not None else Path()
    linked = [name for name in notebooks if str(top / name) in links]
    if linked:
        return (f"the notebook {linked[0]} is a symlink; symlinks are never followed or graded: {named}")
    return f"symlinks are never followed or graded: {named}"


def stage_submission(source: Path, target: Path, submitted_root: Path | None = None,
                     notebooks: tuple[str, ...] = ()) -> list[str]:
    """Copy a submission's regular files (never devices); returns what was skipped. A symlink in
    it, or a linked student or assignment folder (see :func:`symlinks_in`), raises
    :class:`RefusedSubmission` naming the links (``notebooks``: the assignment's notebook names,
    to say when one of them is the link) before anything is copied."""
    links = symlinks_in(source, submitted_root)
    if links:
        raise RefusedSubmission(_symlink_reason(links, source, submitted_root, notebooks))
    skipped = []
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_symlink():  # made since the check: still never followed
            raise RefusedSubmission(_symlink_reason([str(rel)], source, None, notebooks))
        elif path.is_dir():
            (target / rel).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            shutil.copyfile(path, target / rel)
        else:
            skipped.append(f"ignored special file {rel}")
    return skipped


RECORDING_STEPS = ("SaveAutoGrades", "AssignLatePenalties")


def _configured_steps(cfg, trait: str) -> list:
    from nbgrader.converters import Autograde

    configured = cfg.Autograde.get(trait) if "Autograde" in cfg else None
    return list(configured or Autograde.class_traits()[trait].default())


def _name(step) -> str:
    return step.rsplit(".", 1)[-1] if isinstance(step, str) else step.__name__


def worker_steps(cfg) -> tuple[list, list]:
    """(sanitize, autograde) steps for the workers: the course's, without the recording ones,
    with ``Execute`` isolated, very long outputs cut, active content (scripts, event handlers,
    JavaScript outputs) taken out of what the formgrader will show, and the snapshot's cells
    read once; graded cells' metadata put back from the gradebook before nbgrader restores
    them (see :mod:`.cell_repair`)."""
    from .cell_repair import RepairGradedCells
    from .html_safety import NoActiveContent

    autograde = []
    for step in _configured_steps(cfg, "autograde_preprocessors"):
        name = _name(step)
        if name in RECORDING_STEPS or name == NoActiveContent.__name__:
            continue
        autograde.append(TimedExecute if name == "Execute" else step)
        if name == "LimitOutput":
            autograde.append(TruncateOutput)
    # Last, once every output exists; scores come from error outputs, which it leaves alone.
    autograde.append(NoActiveContent)
    sanitize = []
    for step in _configured_steps(cfg, "sanitize_preprocessors"):
        if _name(step) == "OverwriteCells":
            # nbgrader's restore step raises on some metadata edits: put the metadata back first.
            sanitize += [RepairGradedCells, _snapshot_overwrite_cells()]
        else:
            sanitize.append(step)
    return sanitize, autograde


def _rows_by_cell_name(gradebook, notebook: str, assignment: str, student: str):
    """The submitted notebook's grades and comments, each by the name of its cell and the kind
    of cell (two queries): what ``find_grade``/``find_comment`` would each look up on its own."""
    from nbgrader.api import Comment, Grade, MissingEntry
    from sqlalchemy.orm import joinedload

    try:
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        return {}, {}
    grades: dict[tuple[str, str], object] = {}
    comments: dict[tuple[str, str], object] = {}
    for rows, model in ((grades, Grade), (comments, Comment)):
        query = gradebook.db.query(model).options(joinedload(model.cell)).filter(model.notebook_id == submitted.id)
        for row in query:
            rows[(type(row.cell).__name__, row.cell.name)] = row
    return grades, comments


def _save_autogrades_one_commit():
    from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

    class _CommitOnce(NbGraderPreprocessor):
        # Comes right after SaveAutoGrades in the class order below, so SaveAutoGrades'
        # ``super().preprocess`` (the loop over the cells) runs here, inside its open gradebook.
        def preprocess(self, nb, resources):
            gradebook = self.gradebook
            session = gradebook.db
            grades, comments = _rows_by_cell_name(gradebook, self.notebook_id, self.assignment_id,
                                                  self.student_id)
            ids = (self.notebook_id, self.assignment_id, self.student_id)

            # As nbgrader's look-ups: a grade cell's grade, else a task cell's; a solution
            # cell's comment, else a task cell's; anything else asks nbgrader (and its error).
            def from_rows(rows, kinds, nbgraders_find):
                def find(cell, notebook, assignment, student):
                    if (notebook, assignment, student) == ids:
                        for kind in kinds:
                            if (kind, cell) in rows:
                                return rows[(kind, cell)]
                    return nbgraders_find(cell, notebook, assignment, student)
                return find

            gradebook.find_grade = from_rows(grades, ("GradeCell", "TaskCell"), gradebook.find_grade)
            gradebook.find_comment = from_rows(comments, ("SolutionCell", "TaskCell"), gradebook.find_comment)
            session.commit = session.flush  # what each cell's commit does until the end
            try:
                nb, resources = super().preprocess(nb, resources)
            except BaseException:
                session.rollback()
                raise
            finally:
                del session.commit, gradebook.find_grade, gradebook.find_comment
            session.commit()
            return nb, resources

    class SaveAutoGradesOneCommit(SaveAutoGrades, _CommitOnce):
        """nbgrader's ``SaveAutoGrades`` for the single writer, with one commit per notebook.
        nbgrader commits after each graded cell's score and each answer's comment (28 times per
        ps1 notebook; each commit ends the transaction and makes SQLAlchemy reload every row it
        had read), and looks each row up with its own query. Here those commits only send the
        changes to the database (``flush``), and the notebook's scores and comments are
        committed together at the end, or not at all if a cell fails; the notebook's grade and
        comment rows are read with two queries first. The rows written are the same."""

    return SaveAutoGradesOneCommit


def recorder_steps(cfg) -> tuple[list, list]:
    """(sanitize, autograde) steps for the single writer: only the recording ones (the rest
    already ran in the worker, on a notebook nobody else could change since)."""
    steps = [_save_autogrades_one_commit() if _name(s) == "SaveAutoGrades" else s
             for s in _configured_steps(cfg, "autograde_preprocessors") if _name(s) in RECORDING_STEPS]
    return [], steps


FORK_SERVER_ERRORS = ("ForkServerUnavailable", "ForkServerError")


def _failure_reason(messages: list[str], assignment: str, submitted: Path) -> str:
    text = "\n".join(messages)
    if any(name in text for name in FORK_SERVER_ERRORS):
        return "the fork server could not start a kernel"
    if KERNEL_DIED_AT_START in text:
        return "the kernel exited before it answered, each time it was started (no cell had run)"
    if MEMORY_LIMIT_MESSAGE in text:
        line = next(line for m in messages for line in m.splitlines() if MEMORY_LIMIT_MESSAGE in line)
        return line.replace("sandbox: ", "", 1) + " and was stopped"
    if "DeadKernelError" in text or "Kernel died" in text:
        return "the kernel died while running the notebook (os._exit, a crash or out of memory)"
    if "NotJSONError" in text or "JSONDecodeError" in text or "Notebook does not appear to be JSON" in text:
        return "the notebook is not valid notebook JSON (damaged file)"
    if "'CourseDirectory' object has no attribute 'fail'" in text:  # see timestamp_problem
        return f"{TIMESTAMP_FILE} does not hold a date and time nbgrader can read"
    if "No notebooks found" in text or "No notebooks were matched" in text:
        found = sorted(p.name for p in submitted.glob("*.ipynb")) if submitted.is_dir() else []
        extra = f" (found: {', '.join(found)})" if found else ""
        return f"no notebook with the assignment's name ({assignment}.ipynb){extra}"
    if "UnresponsiveKernelError" in text or "unresponsive" in text:
        return "the kernel stopped responding and could not be interrupted"
    if "ValidationError" in text:
        return "the notebook is not a valid notebook (nbformat validation failed)"
    if "SchemaTooOldError" in text or "SchemaTooNewError" in text:
        return "the notebook's nbgrader metadata has the wrong version"
    if "Timeout waiting for IOPub output" in text:
        return "the kernel's output did not arrive in time (IOPub timeout)"
    exception_lines = [line.strip() for m in messages for line in m.splitlines()
                       if EXCEPTION_LINE.match(line)]
    if exception_lines:
        return exception_lines[-1][:160]
    errors = [m for m in messages if not m.startswith("Attribute '")]
    if errors:
        return errors[-1].strip().splitlines()[0][:160]
    return "nbgrader could not grade it (no detail)"


def _locked_sources(path: Path) -> dict[str, str]:
    """grade id -> text of the notebook's locked cells; {} for a file that is not a notebook
    (any JSON can be handed in under a .ipynb name: ``[]``, a cell that is a number, ...)."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    cells = nb.get("cells") if isinstance(nb, dict) else None
    out = {}
    for cell in cells if isinstance(cells, list) else []:
        metadata = cell.get("metadata") if isinstance(cell, dict) else None
        meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        if not isinstance(meta, dict) or not meta.get("locked"):
            continue
        grade_id, source = meta.get("grade_id"), cell.get("source", "")
        if isinstance(grade_id, str) and grade_id:
            if isinstance(source, list):
                source = "".join(str(part) for part in source)
            out[grade_id] = str(source)
    return out


def notebook_problem(submission: Path, notebooks: tuple[str, ...]) -> str | None:
    """Why one of the assignment's notebooks in a submission is not a notebook although it is
    JSON (``[]``, ``"text"``, ``42``), or None. nbformat would stop on it with an
    ``AttributeError``; JSON that does not parse is left to nbgrader, which says so."""
    kinds = {list: "a list", str: "a string", int: "a number", float: "a number",
             bool: "true or false", type(None): "null"}
    for name in notebooks:
        path = submission / name
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data = json.loads(path.read_bytes())
        except RecursionError:
            return f"the notebook {name} is JSON nested too deeply to be a notebook"
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            return (f"the notebook {name} holds {kinds.get(type(data), 'JSON')}, not a notebook "
                    "(a JSON object with cells)")
    return None


TIMESTAMP_FILE = "timestamp.txt"
_TIMESTAMP_MAX_BYTES = 4096


def timestamp_problem(submission: Path) -> str | None:
    """Why nbgrader cannot read a submission's ``timestamp.txt``, or None (a time it reads, an
    empty file, which nbgrader skips with a warning, or no file at all).

    nbgrader 0.9.6 cannot report such a file itself: ``CourseDirectory.get_existing_timestamp``
    calls ``self.fail``, which ``CourseDirectory`` lacks, so grading would end in
    ``AttributeError: 'CourseDirectory' object has no attribute 'fail'``. The file is read as
    nbgrader reads it and parsed with nbgrader's own ``parse_utc``, so what passes here passes
    there. The submission is not graded without it: grading it as on time would let a broken
    timestamp hide a late hand-in.
    """
    from nbgrader.utils import parse_utc

    path = submission / TIMESTAMP_FILE
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_file():
        return f"{TIMESTAMP_FILE} is not a regular file, so the time it was handed in is unknown"
    try:
        with path.open("rb") as handle:
            data = handle.read(_TIMESTAMP_MAX_BYTES + 1)
    except OSError as error:
        return f"{TIMESTAMP_FILE} cannot be read ({error.strerror or error})"
    if len(data) > _TIMESTAMP_MAX_BYTES:
        return f"{TIMESTAMP_FILE} is over {_TIMESTAMP_MAX_BYTES} bytes, not a date and time"
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return f"{TIMESTAMP_FILE} is not text, so the time it was handed in is unknown"
    if not text:
        return None
    try:
        parse_utc(text)
    except Exception:  # ValueError, OverflowError, ...: whatever dateutil raises
        shown = repr(text if len(text) <= 40 else text[:40] + "...")
        return (f"{TIMESTAMP_FILE} holds {shown}, not a date and time nbgrader can read "
                "(it writes them like 2026-03-02 17:00:00.000000 UTC)")
    return None


def edited_locked_cells(staged: Path, release_dir: Path | None) -> list[str]:
    """Locked cells (tests, instructions) whose text differs from the released notebook's.

    nbgrader restores them from the gradebook either way; this only tells the instructor.
    (Comparing with the release, not the source, because the release's test cells differ from
    the source's by design: the hidden tests are stripped.)
    """
    if release_dir is None:
        return []
    edited = []
    for notebook in sorted(staged.glob("*.ipynb")):
        released = _locked_sources(release_dir / notebook.name)
        submitted = _locked_sources(notebook)
        edited += [cell for cell, text in submitted.items() if cell in released and released[cell] != text]
    return sorted(edited)


def _notes_from(messages: list[str], notebooks: list[Path], release_files: tuple[str, ...],
                staged: Path, skipped: list[str], release_dir: Path | None) -> list[str]:
    notes: list[str] = list(skipped)
    restored = sorted({m.split("Missing grade cell ")[1].split(" ")[0]
                       for m in messages if m.startswith("Missing grade cell ")})
    if restored:
        notes.append("restored deleted cells " + ", ".join(restored))
    renamed = sorted({m.rsplit(": ", 1)[1] for m in messages if m.startswith("Grader gave cell ")})
    if renamed:
        notes.append("restored renamed cells " + ", ".join(renamed))
    flags = sorted({m.split("Grader restored the metadata of cell ", 1)[1]
                    for m in messages if m.startswith("Grader restored the metadata of cell ")})
    if flags:
        notes.append("restored cell metadata " + ", ".join(flags))
    unknown = sorted({m.split("Grader removed the unknown cell id ", 1)[1]
                      for m in messages if m.startswith("Grader removed the unknown cell id ")})
    if unknown:
        notes.append("ignored unknown cell ids " + ", ".join(unknown))
    edited = edited_locked_cells(staged, release_dir)
    if edited:
        notes.append("restored edited cells " + ", ".join(edited))
    missing = sorted(Path(m.split("No submitted file: ")[1]).name
                     for m in messages if m.startswith("No submitted file: "))
    if missing:
        notes.append("missing " + ", ".join(missing) + " (0 points)")
    timed_out, exited, truncated = [], [], False
    for path in notebooks:
        nb = json.loads(path.read_text())
        for index, cell in enumerate(nb.get("cells", [])):
            cell_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index}"
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    if output.get("ename") == "CellTimeoutError":
                        timed_out.append(cell_id)
                    elif output.get("ename") == "SystemExit":
                        exited.append(cell_id)
                text = output.get("text", "")
                text = "".join(text) if isinstance(text, list) else str(text)
                if TRUNCATION_MARK in text:
                    truncated = True
    if timed_out:
        notes.append("cell timeout in " + ", ".join(timed_out))
    if exited:
        notes.append("sys.exit() in " + ", ".join(exited))
    if truncated:
        notes.append("huge output truncated")
    known = set(release_files) | {"timestamp.txt"}
    extra = sorted(str(p.relative_to(staged)) for p in staged.rglob("*")
                   if p.is_file() and str(p.relative_to(staged)) not in known)
    if extra:
        notes.append("extra files kept: " + ", ".join(extra[:3]) + (" ..." if len(extra) > 3 else ""))
    return notes


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def execute_submission(job: GradeJob) -> Executed:
    """Step 1, in a worker: nbgrader's Autograde on private copies, kernel isolated."""
    from nbgrader.converters import Autograde, NbGraderException

    TIMINGS.clear()
    ENDED_KERNELS_CPU_S.clear()
    _SNAPSHOT_KEY[:] = [job.snapshot_db]
    wall0 = time.perf_counter()
    cpu_self0, cpu_kids0 = _cpu()
    course = Course(Path(job.course_root))
    work = Path(job.work_dir)
    submitted = course.folder("submitted") / job.student / job.assignment
    staged = work / "submitted" / job.student / job.assignment
    try:
        skipped = stage_submission(submitted, staged, course.folder("submitted"),
                                   tuple(f for f in job.release_files if f.endswith(".ipynb")))
    except RefusedSubmission as refusal:
        return Executed(job.student, False, str(refusal), (), str(work / "stage"))
    odd = timestamp_problem(staged) or notebook_problem(
        staged, tuple(f for f in job.release_files if f.endswith(".ipynb")))
    if odd is not None:
        return Executed(job.student, False, odd, (), str(work / "stage"))
    # The same path for every job of this worker, so its gradebook engine (and the SQL compiled
    # for it) is reused; the previous job's connections were all closed when it ended.
    db = work.parent / f"worker-{os.getpid()}.db"
    shutil.copyfile(job.snapshot_db, db)
    sandbox = kernel_sandbox.new_folder_name(Path(job.sandbox_parent))
    overrides: dict[str, object] = {
        "CourseDirectory.root": str(work),
        "CourseDirectory.source_directory": str(course.folder("source")),
        "CourseDirectory.submitted_directory": "submitted",
        "CourseDirectory.autograded_directory": "autograded",
        "CourseDirectory.db_url": f"sqlite:///{db}",
        "CourseDirectory.assignment_id": job.assignment,
        "CourseDirectory.student_id": job.student,
        "BaseConverter.force": True,
        "Autograde.create_student": True,
        "Exporter.optimistic_validation": True,
        "IsolatedExecute.sandbox": str(sandbox),
        "IsolatedExecute.private_dir": str(work),
        "IsolatedExecute.namespaces": job.namespaces,
        "IsolatedExecute.new_root": job.new_root,
        "IsolatedExecute.mpl_template": job.mpl_template if Path(job.mpl_template).is_dir() else "",
        "IsolatedExecute.run_as": (
            {"name": job.user.name, "uid": job.user.uid, "gid": job.user.gid} if job.user else {}
        ),
    }
    if job.cell_timeout_s is not None:
        overrides["Execute.timeout"] = job.cell_timeout_s
    if job.kernels == "forked":
        from .forked import KERNEL_NAME

        overrides.update({
            "Execute.kernel_name": KERNEL_NAME,
            "IsolatedExecute.kernels": "forked",
            "IsolatedExecute.fork_socket": job.fork_socket,
        })
    cfg = course.config(**overrides)
    limits = kernel_sandbox.Limits(folder_mb=int(cfg.IsolatedExecute.get("folder_mb", kernel_sandbox.Limits.folder_mb)))
    kernel_sandbox.create_folder(sandbox, job.user.uid if job.user else None,
                                 job.user.gid if job.user else None, limits)
    cfg.Autograde.sanitize_preprocessors, cfg.Autograde.autograde_preprocessors = worker_steps(cfg)
    cd = course.coursedir(cfg)
    log, handler = quiet_logger(f"worker{os.getpid()}")
    converter = Autograde(coursedir=cd, config=cfg, log=log)
    ok, reason = True, ""
    prep0 = time.perf_counter()
    try:
        with tables_checked_once(), connections_kept():
            converter.start()
    except NbGraderException:
        ok = False
    except Exception as error:  # nbgrader raised outside its own error handling
        ok = False
        handler.records.append(logging.makeLogRecord(
            {"msg": traceback.format_exc(), "levelno": logging.ERROR, "levelname": "ERROR"}))
        reason = f"{type(error).__name__}: {error}"[:160]
        if "'CourseDirectory' object has no attribute 'fail'" in reason:
            reason = _failure_reason([reason], job.assignment, staged)
    finally:
        _add_timing("nbgrader_s", time.perf_counter() - prep0)
        if job.user is not None:
            kill_user_processes(job.user)
        kernel_sandbox.remove_folder(sandbox)
    messages = handler.messages()
    autograded = work / "autograded" / job.student / job.assignment
    notebooks = sorted(autograded.glob("*.ipynb")) if autograded.is_dir() else []
    if ok and not notebooks:
        ok = False
    if not ok and not reason:
        reason = _failure_reason(messages, job.assignment, staged)
    fork_failed = (not ok and job.kernels == "forked"
                   and any(name in m for m in messages for name in FORK_SERVER_ERRORS))
    notes: list[str] = []
    stage_root = work / "stage"
    if ok:
        release_dir = course.folder("release") / job.assignment
        notes = _notes_from(messages, notebooks, job.release_files, staged, skipped,
                            release_dir if release_dir.is_dir() else None)
        target = stage_root / job.student / job.assignment
        shutil.copytree(staged, target)
        for notebook in notebooks:
            shutil.copyfile(notebook, target / notebook.name)
    cpu_self1, cpu_kids1 = _cpu()
    timings = dict(TIMINGS)
    timings["worker_wall_s"] = time.perf_counter() - wall0
    timings["worker_cpu_s"] = cpu_self1 - cpu_self0
    # Fresh kernels are the worker's children; forked ones the fork server's, which measured them.
    timings["kernel_cpu_s"] = cpu_kids1 - cpu_kids0 + sum(ENDED_KERNELS_CPU_S)
    ENDED_KERNELS_CPU_S.clear()
    return Executed(job.student, ok, reason, tuple(notes), str(stage_root), timings, fork_failed)


def _recording_autograde():
    from nbgrader import utils
    from nbgrader.converters import Autograde

    class RecordingAutograde(Autograde):
        """nbgrader's ``Autograde`` for the single writer. Its first pass (sanitizing) has no
        steps left here (they ran in the worker), and with no steps it only copies the notebook
        through unchanged; so it is skipped and the second pass (``SaveAutoGrades``,
        ``AssignLatePenalties``) reads the executed notebook directly, as ``Autograde`` does
        otherwise."""

        def convert_single_notebook(self, notebook_filename: str) -> None:
            if self.sanitize_preprocessors:
                return super().convert_single_notebook(notebook_filename)
            # BaseConverter.convert_single_notebook's three steps, with the notebook's ids read
            # from its path under the submitted folder (where the first pass would read it).
            resources = self.init_single_notebook_resources(notebook_filename)
            self._sanitizing = False
            self._init_preprocessors()
            try:
                with utils.setenv(NBGRADER_EXECUTION="autograde"):
                    output, resources = self.exporter.from_filename(notebook_filename, resources=resources)
                    self.write_single_notebook(output, resources)
            finally:
                self._sanitizing = True

    return RecordingAutograde


def record_submission(course: Course, assignment: str, student: str, stage_root: Path) -> tuple[bool, str]:
    """Step 2, in the main process: nbgrader's Autograde with execution off, into the course."""
    from nbgrader.converters import NbGraderException

    Autograde = _recording_autograde()

    overrides: dict[str, object] = {
        "CourseDirectory.submitted_directory": str(stage_root),
        "CourseDirectory.assignment_id": assignment,
        "CourseDirectory.student_id": student,
        "BaseConverter.force": True,
        "Autograde.create_student": True,
        "Execute.enabled": False,
        "ClearOutput.enabled": False,
        "Exporter.optimistic_validation": True,
    }
    cfg = course.config(**overrides)
    cfg.Autograde.sanitize_preprocessors, cfg.Autograde.autograde_preprocessors = recorder_steps(cfg)
    cd = course.coursedir(cfg)
    log, handler = quiet_logger("recorder")
    try:
        with tables_checked_once(), connections_kept():
            Autograde(coursedir=cd, config=cfg, log=log).start()
    except NbGraderException:
        errors = handler.messages(logging.ERROR)
        return False, _failure_reason(errors, assignment, stage_root / student / assignment)
    return True, ""


def gradebook_snapshot(course: Course, assignment: str, target: Path) -> Path:
    """A SQLite copy of what the workers read from the gradebook (they never write to it).

    With the course's SQLite gradebook: a consistent copy (SQLite's online backup). With a
    gradebook elsewhere (e.g. PostgreSQL): a new SQLite gradebook in which nbgrader's own
    ``generate_assignment`` records the assignment from ``source/``, as it recorded it in the
    course's gradebook at release.
    """
    url = course.db_url
    if url.startswith("sqlite:///"):
        source = sqlite3.connect(url[len("sqlite:///"):])
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target
    with tempfile.TemporaryDirectory(prefix="interview-lab-release-") as scratch:
        generate_assignment(course, assignment, release_dir=Path(scratch), db_url=f"sqlite:///{target}")
    return target


def export_grades(course: Course, to: Path) -> Path:
    """``grades.csv`` written by nbgrader's own CSV export plugin (what ``nbgrader export`` does)."""
    from nbgrader.plugins import CsvExportPlugin

    log, _ = quiet_logger("export")
    plugin = CsvExportPlugin(to=str(to), log=log)
    with course.gradebook() as gb:
        plugin.export(gb)
    return to


def quiet_warnings() -> None:
    """nbgrader's gradebook code makes SQLAlchemy warn about harmless autoflush order."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def _private_gradebooks_skip_fsync() -> None:
    """In a worker, every database is a throwaway copy: don't wait for the disk on commit."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def no_sync(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    if not event.contains(Engine, "connect", no_sync):
        event.listen(Engine, "connect", no_sync)


def _json_key(value):
    """A hashable key that tells JSON values apart exactly as a JSON schema does (by type, then
    by value), or None for anything that is not plain JSON data (no key, so not kept)."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return (kind.__name__, value)
    if kind is int or kind is float:
        return (kind.__name__, value) if value == value else None  # NaN never equals a key
    if isinstance(value, dict):
        items = []
        for name, item in value.items():
            key = _json_key(item)
            if type(name) is not str or key is None:
                return None
            items.append((name, key))
        return ("object", tuple(sorted(items)))
    if kind is list:
        keys = tuple(_json_key(item) for item in value)
        return None if None in keys else ("array", keys)
    return None


VALID_KEYS_KEPT = 10_000  # per schema: one per distinct metadata a run has seen valid


def validate_once_per_schema() -> None:
    """nbgrader checks each cell's metadata with ``jsonschema.validate(metadata, schema)``, which
    first re-checks the *schema* itself on every call: about a third of a second of CPU per
    ps1 submission. Here the validator for a schema is built (and the schema checked) once; each
    cell is then validated against it exactly as ``jsonschema.validate`` does (same checks, same
    best-matching error raised). nbgrader reads its schema file into a new dict for every
    validator it makes (one per ``CheckCellMetadata`` run, two per submission), so validators
    are kept by the schema's content, not by the dict. Most cells of a class carry the same
    metadata (the source's), validated twice per submission: metadata found valid once is
    remembered (by its JSON value and types) and not checked again; anything invalid is
    checked, and raises, every time."""
    import types

    import jsonschema
    from nbgrader.nbgraderformat import common

    if getattr(common.jsonschema, "cached_validators", None) is not None:
        return
    # The schema's JSON key -> (its validator, the metadata found valid with it).
    cache: dict[object, tuple[object, set]] = {}
    last: list = [None, None]  # the schema dict seen last, and its entry

    def validate(instance, schema, cls=None, *args, **kwargs):
        if cls is not None or args or kwargs:
            return jsonschema.validate(instance, schema, cls, *args, **kwargs)
        if last[0] is schema:
            entry = last[1]
        else:
            schema_key = _json_key(schema)
            entry = cache.get(schema_key) if schema_key is not None else None
            if entry is None:
                checker = jsonschema.validators.validator_for(schema)
                checker.check_schema(schema)
                entry = (checker(schema), set())
                if schema_key is not None:
                    cache[schema_key] = entry
            last[0], last[1] = schema, entry
        key = _json_key(instance)
        validator, valid = entry
        if key is not None and key in valid:
            return None
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
        if key is not None and len(valid) < VALID_KEYS_KEPT:
            valid.add(key)
        return None

    shim = types.ModuleType("jsonschema_cached")
    shim.__dict__.update({k: getattr(jsonschema, k) for k in dir(jsonschema) if not k.startswith("__")})
    shim.validate = validate
    shim.cached_validators = cache
    common.jsonschema = shim


_ENGINES: dict[tuple, object] = {}


def one_engine_per_gradebook() -> None:
    """nbgrader's ``Gradebook`` makes a new SQLAlchemy engine each time it is opened (about ten
    times per submission), and SQLAlchemy keeps its cache of compiled SQL per engine, so every
    query nbgrader makes was compiled again for every submission. Here ``Gradebook`` gets one
    engine per database URL for the life of the process. nbgrader still closes each gradebook
    (``dispose()`` closes the engine's connections, not its cache), so no connection outlives a
    ``with Gradebook(...)`` block, as before."""
    from nbgrader import api
    from sqlalchemy import create_engine

    if getattr(api.create_engine, "shared_engines", None) is not None:
        return

    def shared(url, **options):
        key = (str(url), tuple(sorted(options.items())))
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = create_engine(url, **options)
        if _KEEP_SCOPE:
            _keep_connections(engine)
        return engine

    shared.shared_engines = _ENGINES
    api.create_engine = shared
    _check_tables_once_per_engine(api)
    _check_course_once_per_engine(api)


# Engine -> its table names, once nbgrader's Gradebook has made sure they all exist; only
# while one submission is executed or recorded (see tables_checked_once).
_TABLES: dict[object, list[str]] = {}
# (engine, course id) pairs whose course row Gradebook has made sure of, in the same scope.
_COURSES: set[tuple[object, str]] = set()
_TABLES_SCOPE: list[bool] = []


class _KnownTables:
    """What ``sqlalchemy.inspect(engine)`` answers to ``Gradebook`` for a checked engine."""

    def __init__(self, names: list[str]):
        self._names = names

    def get_table_names(self) -> list[str]:
        return list(self._names)


def _check_tables_once_per_engine(api) -> None:
    """Opening a ``Gradebook`` lists the database's tables and runs ``create_all`` (one query per
    table), about 1.5 ms each time, and nbgrader opens the gradebook 6 to 8 times for each
    submission. Inside :func:`tables_checked_once`, once ``create_all`` has made sure through
    an engine that the tables exist, later openings through that engine skip the check (nothing
    drops tables while one submission is graded). What ``Gradebook`` does next (the course
    row, the queries) is unchanged, and outside that scope nothing is skipped."""
    metadata = api.Base.metadata
    if getattr(metadata.create_all, "checks_once", False):
        return
    real_inspect = api.inspect
    real_create_all = metadata.create_all

    def inspect(subject, *args, **kwargs):
        names = _TABLES.get(subject) if _TABLES_SCOPE and not args and not kwargs else None
        return _KnownTables(names) if names is not None else real_inspect(subject, *args, **kwargs)

    def create_all(bind, tables=None, checkfirst=True):
        whole = tables is None and checkfirst
        if whole and _TABLES_SCOPE and bind in _TABLES:
            return
        real_create_all(bind=bind, tables=tables, checkfirst=checkfirst)
        if whole and _TABLES_SCOPE:
            _TABLES[bind] = real_inspect(bind).get_table_names()

    create_all.checks_once = True
    api.inspect = inspect
    metadata.create_all = create_all


def _check_course_once_per_engine(api) -> None:
    """Each opening of a ``Gradebook`` also looks up its course row (creating it if missing)
    and commits: about 1.6 ms of CPU, 7 or 8 times per submission, in the worker and again in
    the single writer. Inside :func:`tables_checked_once`, once that has succeeded through an
    engine for a course, later openings through the same engine for the same course skip it
    (nothing deletes the course row while one submission is graded); a call with other
    arguments, or outside that scope, runs as before."""
    gradebook = api.Gradebook
    if getattr(gradebook.check_course, "checks_once", False):
        return
    real_check_course = gradebook.check_course

    def check_course(self, course_id="default_course", **kwargs):
        key = (self.engine, course_id)
        if _TABLES_SCOPE and not kwargs and key in _COURSES:
            return None  # Gradebook.__init__, its only caller, ignores what it returns
        course = real_check_course(self, course_id, **kwargs)
        if _TABLES_SCOPE and not kwargs:
            _COURSES.add(key)
        return course

    check_course.checks_once = True
    check_course.__doc__ = real_check_course.__doc__
    gradebook.check_course = check_course


# Engines whose dispose() waits for the end of the submission (see connections_kept).
_KEPT: list[object] = []
_KEEP_SCOPE: list[bool] = []


def _keep_connections(engine) -> None:
    if "dispose" not in vars(engine):
        engine.dispose = lambda close=True: None
        _KEPT.append(engine)


@contextlib.contextmanager
def connections_kept():
    """While grading one submission: nbgrader closes the gradebook 6 to 8 times, and each close
    disposes of the engine's connection pool, so the next opening connects to the database
    again (about 0.7 ms each time with SQLite). Here a close leaves the pooled connection open
    (back in the pool it is rolled back and holds no lock), and each engine is disposed of once,
    when the submission is done: no connection outlives the submission."""
    _KEEP_SCOPE.append(True)
    for engine in _ENGINES.values():
        _keep_connections(engine)
    try:
        yield
    finally:
        _KEEP_SCOPE.pop()
        while _KEPT:
            engine = _KEPT.pop()
            del engine.dispose
            engine.dispose()


@contextlib.contextmanager
def tables_checked_once():
    """While grading one submission: each gradebook's tables and course row are checked once
    (see above)."""
    _TABLES.clear()
    _COURSES.clear()
    _TABLES_SCOPE.append(True)
    try:
        yield
    finally:
        _TABLES_SCOPE.pop()
        _TABLES.clear()
        _COURSES.clear()


def warm_up_for_workers(notebooks: list[Path]) -> None:
    """Done once in this process before the workers are forked from it, instead of in every
    worker on its first submission (measured: about 0.3 s of CPU more for a worker's first
    submission than for its next ones). jupyter_client's kernel-spec lookup imports IPython;
    nbclient and jupyter_client's asyncio client are imported on the first execution; nbformat
    builds (with fastjsonschema) a validator per notebook format version, strict and relaxed,
    on first use. The workers inherit all of it."""
    import IPython  # noqa: F401 - imported for the workers (jupyter_client.kernelspec needs it)
    import jupyter_client.asynchronous  # noqa: F401
    import nbclient  # noqa: F401
    import nbformat
    from nbformat.validator import get_validator

    for path in notebooks:
        try:
            nb = nbformat.reads(path.read_text(), as_version=4)
        except (OSError, ValueError, nbformat.ValidationError):
            continue
        for relax in (False, True):
            get_validator(nb.nbformat, nb.nbformat_minor, relax_add_props=relax)


def _worker_init(private_mounts: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if private_mounts:  # the submissions' tmpfs folders are this worker's alone
        kernel_sandbox.private_mount_namespace()
    with contextlib.suppress(OSError):
        os.nice(GRADING_NICENESS)
    for engine in _ENGINES.values():  # inherited from the parent: not for use in this process
        engine.dispose(close=False)
    _ENGINES.clear()
    quiet_warnings()
    _private_gradebooks_skip_fsync()
    validate_once_per_schema()
    one_engine_per_gradebook()


def _forks_workers() -> bool:
    return sys.platform.startswith("linux")


@contextlib.contextmanager
def frozen_for_workers():
    """While the workers run: this process's objects out of the garbage collector's sight.

    A forked worker inherits them (about 150,000: nbgrader, nbconvert, SQLAlchemy...). Left in
    the collector's sight, every full collection in a worker walks them all and writes to each
    one's header, copying the pages it shares with this process: measured on 40 submissions,
    about 0.1 s of CPU per collection and 0.6 to 0.7 s in all. Frozen before the workers are
    forked, they are never walked; they are thawed when the workers are done."""
    if not _forks_workers():
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _pool(jobs: int, private_mounts: bool = False) -> cf.ProcessPoolExecutor:
    method = "fork" if _forks_workers() else "spawn"
    return cf.ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context(method), initializer=_worker_init,
        initargs=(private_mounts,),
    )


@dataclass
class GradingRun:
    """Grades ``students``' submissions of ``assignment``; see the module docstring."""

    course: Course
    assignment: str
    students: list[str]
    jobs: int
    users: list[GraderUser] | None  # one per slot when root, else None
    cell_timeout_s: int | None = None
    on_result: Callable[[Outcome], None] | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    kernels: str = "fresh"  # "forked": kernels forked from one fork server for the run
    preload: list[str] | None = None  # what the fork server imports (None: the course's choice)
    fork_server: ForkServer | None = None
    namespaces: bool = True  # each kernel in its own namespaces (False: --no-sandbox)

    def prepare(self) -> None:
        """Make sure the gradebook knows the assignment and ``autograded/`` exists.

        Done before the course is made private to kernels (as root), so that the gradebook and
        ``autograded/`` exist then and are locked with the rest.
        """
        course, assignment = self.course, self.assignment
        if not course.has_assignment_in_gradebook(assignment):
            with tempfile.TemporaryDirectory(prefix="interview-lab-release-") as scratch:
                generate_assignment(course, assignment, release_dir=Path(scratch))
            self.messages.append(f"{assignment} was not in the gradebook: recorded it from source/")
        course.folder("autograded").mkdir(exist_ok=True)

    def run(self) -> dict[str, Outcome]:
        course, assignment = self.course, self.assignment
        one_engine_per_gradebook()  # for the single writer, in this process
        self.prepare()
        release = course.folder("release") / assignment
        release_files = tuple(sorted(
            str(p.relative_to(release)) for p in release.rglob("*") if p.is_file()
        )) if release.is_dir() else tuple(sorted(
            str(p.relative_to(course.folder("source") / assignment))
            for p in (course.folder("source") / assignment).rglob("*") if p.is_file()
        ))
        valid = []
        for student in self.students:
            problem = check_student_id(student)
            if problem:
                self._finish(Outcome(student, False, problem, None, 0.0))
            else:
                valid.append(student)
        font_cache = None
        if self.namespaces and self.users:  # cgroups a killed run left behind, empty by now
            kernel_sandbox.remove_stale_cgroups()
        run_dir = Path(tempfile.mkdtemp(prefix="interview-lab-grade-"))
        os.chmod(run_dir, 0o700)
        sandbox_parent = Path(tempfile.mkdtemp(prefix="interview-lab-kernels-"))
        os.chmod(sandbox_parent, 0o711 if self.users else 0o700)
        try:
            snapshot = gradebook_snapshot(course, assignment, run_dir / "snapshot.db")
            template = str(run_dir / "matplotlib-cache")
            source_text = " ".join(p.read_text(errors="replace")
                                   for p in (course.folder("source") / assignment).glob("*.ipynb"))
            if "matplotlib" in source_text or "plot" in source_text:  # only then is the cache used
                font_cache = start_font_cache(Path(template))
            new_root = run_dir / "kernel-root"
            new_root.mkdir(mode=0o700)
            jobs = [
                GradeJob(str(course.root), assignment, student, str(run_dir / f"job{i:04d}"), str(snapshot),
                         str(sandbox_parent), None, template, self.cell_timeout_s, release_files,
                         namespaces=self.namespaces, new_root=str(new_root))
                for i, student in enumerate(valid)
            ]
            for job in jobs:
                Path(job.work_dir).mkdir(mode=0o700)
            if jobs:
                # While the fork server (launched earlier) may still be importing.
                warm_up_for_workers(sorted((course.folder("source") / assignment).glob("*.ipynb")))
                read_snapshot_cells(snapshot, assignment)
            if self.kernels == "forked" and jobs:
                self._start_fork_server(run_dir)
            with frozen_for_workers():
                self._run_pool(jobs)
        finally:
            if self.fork_server is not None:
                self.fork_server.stop()
            if font_cache is not None and font_cache.poll() is None:
                font_cache.kill()
                font_cache.wait()
            if self.users:
                for user in self.users:
                    kill_user_processes(user)
            shutil.rmtree(sandbox_parent, ignore_errors=True)
            shutil.rmtree(run_dir, ignore_errors=True)
        return self.outcomes

    def _start_fork_server(self, parent: Path) -> None:
        """Start the run's fork server, or wait for the one launched early (see
        :func:`~interview_lab.instructor.forked.launch_for_course`); on failure, grade with
        fresh kernels (with a warning)."""
        from .forked import ForkServerUnavailable, launch_for_course

        try:
            if self.fork_server is None:
                self.fork_server = launch_for_course(self.course, self.preload, parent=parent,
                                                     assignment=self.assignment)
            self.fork_server.wait_ready()
        except (ForkServerUnavailable, ValueError, OSError) as error:
            self._fall_back(f"the fork server did not start ({error})")
            return
        failed = self.fork_server.facts.get("failed") or {}
        if failed:
            self.messages.append("warning: the fork server could not preload "
                                 + ", ".join(f"{k} ({v})" for k, v in failed.items()))

    def _fall_back(self, why: str) -> None:
        if self.kernels == "fresh":
            return
        self.kernels = "fresh"
        self.messages.append(f"warning: {why}; grading the remaining submissions with fresh kernels")
        if self.fork_server is not None:
            self.fork_server.stop()
            self.fork_server = None

    def _fork_socket(self) -> str:
        return self.fork_server.socket_path if self.fork_server is not None else ""

    def _run_pool(self, jobs: list[GradeJob]) -> None:
        slots = list(self.users) if self.users else [None] * self.jobs
        pending = list(jobs)
        attempts: dict[str, int] = {}
        executor = _pool(min(self.jobs, max(1, len(jobs))), private_mounts=self.namespaces)
        running: dict[cf.Future, tuple[GradeJob, GraderUser | None]] = {}

        def fill_slots() -> None:
            while pending and slots:
                job = pending.pop(0)
                user = slots.pop(0)
                attempts[job.student] = attempts.get(job.student, 0) + 1
                job = dataclasses.replace(job, user=user, kernels=self.kernels,
                                          fork_socket=self._fork_socket())
                running[executor.submit(execute_submission, job)] = (job, user)

        try:
            while pending or running:
                fill_slots()
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                broken = False
                executed_now: list[Executed] = []
                for future in done:
                    job, user = running.pop(future)
                    slots.append(user)
                    try:
                        executed = future.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        if attempts[job.student] < 2:
                            pending.insert(0, job)
                        else:
                            self._finish(Outcome(job.student, False, "the grading process died twice", None, 0.0))
                        continue
                    except Exception as error:
                        self._finish(Outcome(job.student, False, f"{type(error).__name__}: {error}"[:160], None, 0.0))
                        continue
                    if executed.fork_server_failed or (
                            self.fork_server is not None and not self.fork_server.alive()):
                        self._fall_back("the fork server stopped during the run")
                        if executed.fork_server_failed and attempts[job.student] < 2:
                            pending.insert(0, job)  # again, with a fresh kernel
                            continue
                    executed_now.append(executed)
                if broken:
                    for future, (job, user) in list(running.items()):
                        running.pop(future)
                        slots.append(user)
                        pending.insert(0, job)
                    executor.shutdown(wait=False, cancel_futures=True)
                    executor = _pool(self.jobs, private_mounts=self.namespaces)
                # The freed workers get their next submission before the writer records this
                # one (about 0.15 s of CPU each), so that no worker waits for the writer.
                for executed in executed_now:
                    self._record(executed)
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C, or SIGTERM turned into an exit
            executor.shutdown(wait=False, cancel_futures=True)
            for child in multiprocessing.active_children():
                child.terminate()
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    def _record(self, executed: Executed) -> None:
        student = executed.student
        if not executed.ok:
            self._finish(Outcome(student, False, executed.reason, None, 0.0, executed.notes, executed.timings))
            return
        started, cpu_started = time.perf_counter(), time.process_time()
        ok, reason = record_submission(self.course, self.assignment, student, Path(executed.stage_dir))
        timings = {**executed.timings, "record_s": time.perf_counter() - started,
                   "record_cpu_s": time.process_time() - cpu_started}
        shutil.rmtree(executed.stage_dir, ignore_errors=True)
        if not ok:
            self._finish(Outcome(student, False, f"recording failed: {reason}", None, 0.0, executed.notes, timings))
            return
        score, maximum, penalty = self._scores(student)
        notes = list(executed.notes)
        if penalty:
            notes.append(f"late: penalty {penalty:g} points")
        self._finish(Outcome(student, True, "", score, maximum, tuple(notes), timings))

    def _scores(self, student: str) -> tuple[float | None, float, float]:
        """(score after the late penalty, maximum, penalty), as ``nbgrader export`` computes them."""
        from nbgrader.api import MissingEntry

        with self.course.gradebook() as gb:
            maximum = float(gb.find_assignment(self.assignment).max_score)
            try:
                sub = gb.find_submission(self.assignment, student)
            except MissingEntry:
                return None, maximum, 0.0
            penalty = float(sub.late_submission_penalty or 0)
            return max(0.0, float(sub.score) - penalty), maximum, penalty

    def _finish(self, outcome: Outcome) -> None:
        self.outcomes[outcome.student] = outcome
        if self.on_result is not None:
            self.on_result(outcome)
