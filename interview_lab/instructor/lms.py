"""Grades out to an LMS gradebook, submissions in from an LMS bulk download (Canvas, Moodle).

Both directions go through nbgrader's own extension points, so they also work from nbgrader's
command line:

* :class:`LmsExportPlugin` is an ``ExportPlugin``:
  ``nbgrader export --exporter=interview_lab.instructor.lms.LmsExportPlugin
  --LmsExportPlugin.lms=canvas --LmsExportPlugin.roster=roster.csv --to canvas.csv``
* :class:`LmsCollectorPlugin` is a ``FileNameCollectorPlugin`` for ``nbgrader zip_collect``;
  its ``named_regexp`` defaults to the file-name layout of the LMS's bulk download.

The roster is the CSV the instructor downloads from the LMS (Canvas: the gradebook export;
Moodle: the participants or grades export). It maps an nbgrader student id to the LMS's own
columns: the id is the value of one roster column (``id_column``; Canvas "SIS Login ID",
Moodle "ID number" unless told otherwise).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from traitlets import Dict, Enum, List, Unicode

LMS_NAMES = ("canvas", "moodle")
DEFAULT_ID_COLUMN = {"canvas": "SIS Login ID", "moodle": "ID number"}
# The columns of the import file that come from the roster, in order, before the grade columns.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("First name", "Last name", "ID number", "Email address")
# The first column of the row Canvas puts right under the header of its export and import files.
CANVAS_POINTS_ROW = "    Points Possible"

# Bulk-download layouts, matched against the whole path of each extracted file (nbgrader's
# collector matches from the start of the path). ``student_id`` is the LMS's key, mapped to the
# nbgrader id through the roster afterwards.
# Canvas: <lastfirst>_<user id>_<submission id>_<file>, or <lastfirst>_LATE_<user id>_...
CANVAS_REGEXP = (r".*/(?P<lms_name>[^/]+?)_(?:(?P<late>LATE)_)?(?P<student_id>\d+)_"
                 r"(?P<submission_id>\d+)_(?P<file_id>[^/]+)$")
# Moodle ("download submissions in folders"): <Full Name>_<participant id>_assignsubmission_file_/<file>;
# without folders the same prefix ends the file name's first part instead of a folder.
MOODLE_REGEXP = (r".*/(?P<student_id>[^/]+?)_(?P<participant_id>\d+)_assignsubmission_file_"
                 r"/?(?P<file_id>[^/]+)$")
DEFAULT_REGEXP = {"canvas": CANVAS_REGEXP, "moodle": MOODLE_REGEXP}
# What identifies a student in each bulk download, as the roster has it.
DOWNLOAD_KEY = {"canvas": "the Canvas user ID (roster column \"ID\")",
                "moodle": "the full name (roster columns \"First name\" + \"Last name\")"}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: numbers stay numbers; text starting with
    = + - @ tab or CR gets a leading apostrophe (OWASP's advice for CSV injection)."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, (int, float)):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def points(value: float) -> int | float:
    """A score as a plain number: 3 rather than 3.0, at most 4 decimals."""
    rounded = round(float(value), 4)
    return int(rounded) if math.isclose(rounded, round(rounded)) else rounded


# --------------------------------------------------------------------------- roster


@dataclass
class Roster:
    """The rows of an LMS roster export, keyed by the nbgrader student id."""

    lms: str
    id_column: str
    header: list[str]
    by_id: dict[str, dict[str, str]] = field(default_factory=dict)
    without_id: list[dict[str, str]] = field(default_factory=list)

    def name(self, row: dict[str, str]) -> str:
        if self.lms == "canvas":
            return row.get("Student", "").strip()
        return f"{row.get('First name', '').strip()} {row.get('Last name', '').strip()}".strip()

    def download_key(self, row: dict[str, str]) -> str:
        """How the LMS's bulk download names this student."""
        return row.get("ID", "").strip() if self.lms == "canvas" else self.name(row)

    def grade_column(self, assignment: str) -> str | None:
        """The roster's column for ``assignment`` when it has one: Canvas "Name (1234)",
        Moodle "Assignment: Name (Real)"; the import then updates that existing item."""
        pattern = (rf"{re.escape(assignment)} \(\d+\)" if self.lms == "canvas"
                   else rf"Assignment: {re.escape(assignment)} \(.*\)")
        return next((c for c in self.header if re.fullmatch(pattern, c.strip())), None)


def read_roster(path: Path | str, lms: str, id_column: str = "") -> Roster:
    """Read a roster CSV; raise ValueError when it lacks a column the LMS layout needs or two
    rows share an id."""
    if lms not in LMS_NAMES:
        raise ValueError(f"unknown LMS {lms!r}: choose one of {', '.join(LMS_NAMES)}")
    id_column = id_column or DEFAULT_ID_COLUMN[lms]
    text = Path(path).read_text(encoding="utf-8-sig")  # Excel and Moodle write a byte-order mark
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    needed = {id_column} | ({"Student", "ID"} if lms == "canvas" else {"First name", "Last name"})
    missing = sorted(needed - set(header))
    if missing:
        raise ValueError(f"{path}: the {lms} roster has no column {', '.join(map(repr, missing))} "
                         f"(its columns: {', '.join(header) or 'none'})")
    roster = Roster(lms, id_column, header)
    for row in reader:
        row = {k: (v or "") for k, v in row.items() if k is not None}
        if lms == "canvas" and row.get("Student", "").strip() == "Points Possible":
            continue  # the row under Canvas's header holds each assignment's points, not a learner
        if not any(v.strip() for v in row.values()):
            continue
        sid = row[id_column].strip()
        if not sid:
            roster.without_id.append(row)
        elif sid in roster.by_id:
            raise ValueError(f"{path}: two rows have {id_column} {sid!r}")
        else:
            roster.by_id[sid] = row
    return roster


# --------------------------------------------------------------------------- export


class LmsExportPlugin(ExportPlugin):
    """Write the gradebook import CSV of Canvas or Moodle for nbgrader's final scores.

    The score is what ``nbgrader export`` reports as ``score``: the autograded (and manually
    graded) score minus the late penalty, never below 0; 0 for a student in the gradebook who
    did not submit. Students of the gradebook missing from the roster, and roster students
    missing from the gradebook, get no row and are listed in ``problems`` (and logged).
    """

    lms = Enum(LMS_NAMES, default_value="canvas", help="the LMS whose import layout to write").tag(config=True)
    roster = Unicode("", help="the roster CSV downloaded from the LMS").tag(config=True)
    id_column = Unicode("", help="the roster column that holds the nbgrader student id "
                                 "(default: Canvas 'SIS Login ID', Moodle 'ID number')").tag(config=True)
    problems = List(help="one line per student missing from either side (set by export)")

    def export(self, gradebook) -> None:
        if not self.roster:
            raise ValueError("LmsExportPlugin.roster is not set: pass the roster CSV downloaded from the LMS")
        roster = read_roster(self.roster, self.lms, self.id_column)
        dest = self.to or f"{self.lms}-grades.csv"
        wanted = [str(a) for a in self.assignment]
        assignments = [a for a in gradebook.assignments if not wanted or a.name in wanted]
        unknown = sorted(set(wanted) - {a.name for a in assignments})
        if unknown:
            raise ValueError(f"no assignment {', '.join(map(repr, unknown))} in the gradebook")
        only = {str(s) for s in self.student}
        students = [s for s in gradebook.students if not only or s.id in only]

        problems = []
        scores: dict[str, list[int | float]] = {}
        for student in students:
            if student.id not in roster.by_id:
                problems.append(f"{student.id}: in the gradebook but not in the roster "
                                f"(no {roster.id_column} {student.id!r}); not exported")
                continue
            scores[student.id] = [points(self._score(gradebook, a.name, student.id)) for a in assignments]
        graded_ids = {s.id for s in gradebook.students}
        for sid, row in roster.by_id.items():
            if sid not in graded_ids and (not only or sid in only):
                problems.append(f"{sid}: in the roster ({roster.name(row)}) but not in the gradebook; "
                                "not exported (the LMS keeps its grade)")
        for row in roster.without_id:
            problems.append(f"{roster.name(row) or 'a roster row'}: no {roster.id_column} in the roster; "
                            "not exported")
        self.problems = problems
        for line in problems:
            self.log.warning("%s", line)

        order = [sid for sid in roster.by_id if sid in scores]  # the roster's order
        columns = [roster.grade_column(a.name) or a.name for a in assignments]
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            if self.lms == "canvas":
                out.writerow([safe_cell(c) for c in (*CANVAS_COLUMNS, *columns)])
                out.writerow([CANVAS_POINTS_ROW, "", "", "", "",
                              *(points(a.max_score) for a in assignments)])
                for sid in order:
                    row, row_scores = roster.by_id[sid], scores[sid]
                    out.writerow([safe_cell(row.get(c, "")) for c in CANVAS_COLUMNS] + row_scores)
            else:
                id_columns = list(MOODLE_COLUMNS)
                if roster.id_column not in id_columns:
                    id_columns.append(roster.id_column)
                out.writerow([safe_cell(c) for c in (*id_columns, *columns)])
                for sid in order:
                    row, row_scores = roster.by_id[sid], scores[sid]
                    out.writerow([safe_cell(row.get(c, "")) for c in id_columns] + row_scores)
        self.log.info("wrote %s grades of %d students to %s", self.lms, len(scores), dest)

    @staticmethod
    def _score(gradebook, assignment: str, student: str) -> float:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return 0.0
        return max(0.0, submission.score - submission.late_submission_penalty)


# --------------------------------------------------------------------------- zip intake


def read_timestamps(path: Path | str) -> dict[str, str]:
    """``student,timestamp`` rows (header required) -> {student: timestamp}; every timestamp
    must parse as a date and time (nbgrader's parser); raise ValueError otherwise."""
    from nbgrader.utils import parse_utc

    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"student", "timestamp"} <= {h.strip() for h in reader.fieldnames}:
        raise ValueError(f"{path}: a timestamps file needs the columns student,timestamp")
    reader.fieldnames = [h.strip() for h in reader.fieldnames]
    out = {}
    for number, row in enumerate(reader, start=2):
        student, stamp = (row.get("student") or "").strip(), (row.get("timestamp") or "").strip()
        if not student:
            continue
        try:
            parse_utc(stamp)
        except (ValueError, OverflowError):
            raise ValueError(f"{path}, line {number}: {stamp!r} is not a date and time") from None
        out[student] = stamp
    return out


class LmsCollectorPlugin(FileNameCollectorPlugin):
    """nbgrader ``zip_collect`` collector for a Canvas or Moodle bulk download.

    The file name gives the LMS's key of the student (Canvas: the user ID; Moodle: the full
    name, because the participant id in the name is not in any roster export); the roster maps
    it to the nbgrader id. A file that matches no student, or does not follow the layout, is
    listed in ``unmatched`` and not collected. Neither download records when a file was handed
    in: a ``timestamps`` file (student,timestamp; the student as the nbgrader id or the LMS key)
    gives nbgrader the time it writes to ``timestamp.txt``; without it none is written.
    """

    lms = Enum(LMS_NAMES, default_value="canvas", help="the LMS of the bulk download").tag(config=True)
    roster = Unicode("", help="the roster CSV downloaded from the LMS").tag(config=True)
    id_column = Unicode("", help="the roster column that holds the nbgrader student id").tag(config=True)
    timestamps = Unicode("", help="CSV student,timestamp of submission times exported from the LMS").tag(config=True)
    unmatched = List(help="one line per file not collected (set by collect)")
    collected = Dict(help="nbgrader id -> LMS notes, e.g. {'late': True} (set by collect)")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.named_regexp:
            self.named_regexp = DEFAULT_REGEXP[self.lms]
        if not self.roster:
            raise ValueError("LmsCollectorPlugin.roster is not set: pass the roster CSV downloaded from the LMS")
        roster = read_roster(self.roster, self.lms, self.id_column)
        self._by_key: dict[str, list[str]] = {}
        for sid, row in roster.by_id.items():
            self._by_key.setdefault(roster.download_key(row), []).append(sid)
        self._times = read_timestamps(self.timestamps) if self.timestamps else {}
        self._lms_key_of = {sid: roster.download_key(row) for sid, row in roster.by_id.items()}

    def _released(self) -> set[str]:
        cd = getattr(self.parent, "coursedir", None)
        if cd is None:
            return set()
        folder = Path(cd.format_path(cd.release_directory, ".", cd.assignment_id))
        return {p.name for p in folder.glob("*.ipynb")}

    def _reject(self, path: str, why: str) -> None:
        self.unmatched.append(f"{os.path.basename(path)}: {why}; not collected")

    def collect(self, submitted_file: str):
        match = re.match(self.named_regexp, submitted_file)
        if not match:
            self._reject(submitted_file, f"not named as in a {self.lms} bulk download")
            return None
        info = match.groupdict()
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            self._reject(submitted_file, f"not a notebook ({', '.join(self.valid_ext)})")
            return None
        key = info["student_id"].strip()
        ids = self._by_key.get(key, [])
        if len(ids) != 1:
            why = ("matches no student of the roster" if not ids
                   else f"matches {len(ids)} students of the roster ({', '.join(sorted(ids))})")
            self._reject(submitted_file, f"{DOWNLOAD_KEY[self.lms]} {key!r} {why}")
            return None
        sid = ids[0]
        # Canvas appends -1, -2 ... to the name of a file handed in again.
        released = self._released()
        file_id = info["file_id"]
        stem, ext = os.path.splitext(file_id)
        base = re.sub(r"-\d+$", "", stem) + ext
        if file_id not in released and base in released:
            file_id = base
        out = {"student_id": sid, "file_id": file_id}
        stamp = self._times.get(sid) or self._times.get(self._lms_key_of[sid])
        if stamp:
            out["timestamp"] = stamp
        self.collected[sid] = {"late": bool(info.get("late")), "timestamp": stamp or ""}
        return out
