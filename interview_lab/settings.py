"""Where the course finds its data and where a learner's own files go.

Two settings, each an environment variable with a default:

* ``INTERVIEW_LAB_HOME`` - the folder for files a learner's work produces (the readiness
  checklist, the mock-interview drill's progress). Default: ``~/.interview-lab``.
  Tests and nbval point it at a temporary folder, so they never touch a real home.
* ``INTERVIEW_LAB_DATA`` - the course's ``data/`` folder. Default: ``data/`` beside the
  package, which is where it is in a clone of the course and in the learner's edition.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_VARIABLE = "INTERVIEW_LAB_HOME"
DATA_VARIABLE = "INTERVIEW_LAB_DATA"


def learner_dir(create: bool = True) -> Path:
    """The folder for the learner's own files, created on first use."""
    raw = os.environ.get(HOME_VARIABLE, "").strip()
    folder = Path(raw).expanduser() if raw else Path.home() / ".interview-lab"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def course_root() -> Path:
    """The course's top folder (the one holding ``data/`` and ``notebooks/``)."""
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The course's ``data/`` folder."""
    raw = os.environ.get(DATA_VARIABLE, "").strip()
    return Path(raw).expanduser() if raw else course_root() / "data"


def data_path(name: str) -> Path:
    """The path of one file in ``data/``, with a clear error when it is missing."""
    path = data_dir() / name
    if not path.exists():
        raise FileNotFoundError(
            f"the course data file {name!r} is not in {data_dir()}; "
            f"set {DATA_VARIABLE} to the course's data folder"
        )
    return path


TODAY_VARIABLE = "INTERVIEW_LAB_TODAY"


def today():
    """Today's date, or the ISO date in ``INTERVIEW_LAB_TODAY`` (tests pin it)."""
    from datetime import date

    raw = os.environ.get(TODAY_VARIABLE, "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError as error:
            raise ValueError(f"{TODAY_VARIABLE} must be a date like 2026-01-05, got {raw!r}") from error
    return date.today()
