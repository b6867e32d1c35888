"""A course folder and nbgrader's own machinery, run in this process.

The course's ``nbgrader_config.py`` is loaded the way ``nbgrader`` loads it (a traitlets Python
config file), and nbgrader's converters (``GenerateAssignment``, ``Autograde``,
``GenerateFeedback``) run on it in-process, so a command pays for importing nbgrader once, not
once per student. Only the course's own config file is read; a per-user
``~/.jupyter/nbgrader_config.py`` is not, so every instructor of the course grades alike.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

CONFIG_NAME = "nbgrader_config.py"
SOURCE_DEFAULT = "source"  # nbgrader's CourseDirectory.source_directory default
# Student ids nbgrader cannot handle: it finds submissions with glob patterns and builds
# gradebook keys and exchange file names from them ('+' separates the parts of those names).
# Control characters (C0, DEL, C1) would reach terminals and files as they are.
BAD_ID_CHARACTERS = re.compile(r"[*?\[\]/\\+,\x00-\x1f\x7f-\x9f]")
# A grades.csv cell starting with one of these is a formula to a spreadsheet ('+' is refused
# anywhere above); '-' would also read as an option to nbgrader's commands.
BAD_ID_STARTS = "=-@+"


@dataclass(frozen=True)
class Course:
    """A course folder holding ``nbgrader_config.py``, ``source/`` and (after grading) the rest."""

    root: Path

    @classmethod
    def at(cls, root: Path | str) -> Course:
        path = Path(root).resolve()
        if not (path / CONFIG_NAME).is_file():
            raise ValueError(
                f"{path} is not a course folder: it has no {CONFIG_NAME} "
                "(run the command from the course's top folder or pass --course)"
            )
        return cls(path)

    def config(self, **overrides: object):
        """nbgrader's configuration for this course (a traitlets ``Config``).

        ``overrides`` are dotted names, e.g. ``{"Execute.timeout": 5}``, applied last.
        """
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        loader = PyFileConfigLoader(CONFIG_NAME, path=str(self.root))
        cfg = loader.load_config()
        cfg.CourseDirectory.root = str(self.root)
        extra = Config()
        for dotted, value in overrides.items():
            section, _, name = dotted.rpartition(".")
            extra[section][name] = value
        cfg.merge(extra)
        return cfg

    def coursedir(self, cfg=None, **traits: object):
        """nbgrader's ``CourseDirectory`` for this course, with ``traits`` set."""
        from nbgrader.coursedir import CourseDirectory

        cd = CourseDirectory(config=cfg if cfg is not None else self.config())
        for name, value in traits.items():
            setattr(cd, name, value)
        return cd

    @property
    def db_url(self) -> str:
        return str(self.coursedir().db_url)

    @property
    def course_id(self) -> str:
        return str(self.coursedir().course_id)

    def folder(self, step: str) -> Path:
        """The folder of an nbgrader step (``source``, ``release``, ``submitted``, ...)."""
        cd = self.coursedir()
        name = getattr(cd, f"{step}_directory")
        return self.root / name

    def source_folder(self) -> Path:
        """``folder("source")`` read from the configuration alone, without importing nbgrader
        (which takes more than a second): the grading command needs it before that import."""
        section = self.config().CourseDirectory
        name = section.source_directory if "source_directory" in section else SOURCE_DEFAULT
        return self.root / name

    def assignments(self) -> list[str]:
        """Assignment ids under ``source/`` (folders that hold at least one notebook)."""
        source = self.folder("source")
        if not source.is_dir():
            return []
        return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a folder ``submitted/<student>/<assignment>/``."""
        submitted = self.folder("submitted")
        if not submitted.is_dir():
            return []
        # A symlink is listed too (even a broken one), so that grading names it and refuses it.
        return sorted(p.name for p in submitted.iterdir()
                      if (p / assignment).is_dir() or (p / assignment).is_symlink())

    def gradebook(self):
        """nbgrader's ``Gradebook`` for this course (use it as a context manager)."""
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.course_id)

    def has_assignment_in_gradebook(self, assignment: str) -> bool:
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                return False
            return len(gb.find_assignment(assignment).notebooks) > 0

    def due_date(self, assignment: str) -> datetime | None:
        """The assignment's due date from the gradebook (timezone-aware UTC), or None."""
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                due = gb.find_assignment(assignment).duedate
            except MissingEntry:
                return None
        return None if due is None else due.replace(tzinfo=UTC)


def check_student_id(student: str) -> str | None:
    """Why nbgrader cannot grade a student with this id, or None when it can."""
    if not student or student.startswith("."):
        return f"student id {student!r} is empty or starts with a dot"
    if student[0] in BAD_ID_STARTS:
        return (f"student id {student!r} starts with {student[0]!r}, which a spreadsheet opening "
                "grades.csv would take for a formula")
    bad = sorted(set(BAD_ID_CHARACTERS.findall(student)))
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return f"student id {student!r} contains {shown}, which nbgrader cannot handle"
    return None


class RecordingHandler(logging.Handler):
    """Keeps nbgrader's warnings and errors for one run, to explain what happened."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int = logging.WARNING) -> list[str]:
        out = []
        for record in self.records:
            if record.levelno >= level:
                try:
                    out.append(record.getMessage())
                except Exception:  # a malformed log call must not hide the real problem
                    out.append(str(record.msg))
        return out


def quiet_logger(name: str) -> tuple[logging.Logger, RecordingHandler]:
    """A logger that records warnings and errors instead of printing them."""
    logger = logging.getLogger(f"interview_lab.instructor.{name}")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = RecordingHandler()
    logger.addHandler(handler)
    return logger, handler


def generate_assignment(
    course: Course, assignment: str, release_dir: Path | None = None, db_url: str | None = None
) -> list[str]:
    """Run nbgrader's ``GenerateAssignment`` (``--force``) for one assignment.

    It records the assignment, its notebooks and graded cells in the gradebook and writes the
    student version to ``release/`` (or to ``release_dir``, e.g. a scratch folder, when only
    the gradebook needs filling), into the course's gradebook or the one at ``db_url``.
    Returns nbgrader's warnings and errors; raises ``RuntimeError`` when nbgrader fails.
    """
    from nbgrader.converters import GenerateAssignment, NbGraderException

    overrides: dict[str, object] = {"BaseConverter.force": True}
    cfg = course.config(**overrides)
    traits: dict[str, object] = {"assignment_id": assignment}
    if release_dir is not None:
        traits["release_directory"] = str(release_dir)
    if db_url is not None:
        traits["db_url"] = db_url
    cd = course.coursedir(cfg, **traits)
    log, handler = quiet_logger("release")
    converter = GenerateAssignment(coursedir=cd, config=cfg, log=log)
    try:
        converter.start()
    except NbGraderException as error:
        detail = "; ".join(m.splitlines()[0] for m in handler.messages(logging.ERROR))
        raise RuntimeError(f"nbgrader could not generate {assignment}: {detail or error}") from error
    return handler.messages()


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def environment_with_bin() -> dict[str, str]:
    """This environment with the interpreter's bin first on PATH (nbgrader runs alembic by name)."""
    import sys

    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env
