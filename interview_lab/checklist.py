"""The interview-readiness checklist: what to do before, during and after an interview.

The items follow the chapter's closing checklist (research, STAR stories, questions to ask,
salary range; STAR answers, metrics, clarifying questions; a thank-you note within 24 hours),
written for this course. The learner's ticks are saved as JSON in the folder for learner files,
``settings.learner_dir() / "checklist.json"`` (the ``INTERVIEW_LAB_HOME`` setting, by default
``~/.interview-lab``).

The file is written atomically: the new content goes to a temporary file in the same folder,
is flushed to disk, and then replaces the old file in one ``os.replace`` call, so a crash leaves
either the old file or the new one, never half of each. A file that cannot be read (not JSON,
not this course's checklist, or an unknown item) raises :class:`ChecklistFileError` naming the
file and what is wrong; it is never overwritten silently. :func:`set_aside` renames it to
``checklist.corrupt-N.json`` so the learner can start again and still keep the old one.

The readiness score is the share of items ticked, overall and per phase.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from interview_lab import settings

FILE_NAME = "checklist.json"
FORMAT = "interview-lab-checklist"
VERSION = 1
PHASES = ("before", "during", "after")


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    phase: str
    text: str


ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem("research", "before", "Read up on the company: its engineering blog, its "
                  "products and its recent news"),
    ChecklistItem("star-stories", "before", "Have three STAR stories from your project ready, "
                  "each with a measured result"),
    ChecklistItem("architecture", "before", "Be able to explain every component of your "
                  "project's architecture and why it is there"),
    ChecklistItem("demo", "before", "Rehearse a short live demo of your project (about six "
                  "minutes)"),
    ChecklistItem("questions", "before", "Write down five questions to ask the interviewers"),
    ChecklistItem("salary-range", "before", "Know your salary range from market research for "
                  "the role and the location"),
    ChecklistItem("use-star", "during", "Answer behavioral questions as Situation, Task, "
                  "Action, Result"),
    ChecklistItem("metrics", "during", "Back every claim about your project with a specific "
                  "number"),
    ChecklistItem("clarify", "during", "Ask clarifying questions before answering a design or "
                  "coding problem"),
    ChecklistItem("notes", "during", "Note the interviewers' feedback and hints"),
    ChecklistItem("ask", "during", "Ask your prepared questions at the end"),
    ChecklistItem("thank-you", "after", "Send a thank-you email within 24 hours"),
    ChecklistItem("specifics", "after", "Mention specific points from the conversation in it"),
    ChecklistItem("enthusiasm", "after", "Say again why you want the role"),
    ChecklistItem("follow-up", "after", "Send any follow-up material you were asked for"),
)
ITEM_KEYS: tuple[str, ...] = tuple(item.key for item in ITEMS)


class ChecklistFileError(ValueError):
    """The checklist file exists but cannot be used; ``path`` is the file."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class ChecklistState:
    """Which items are ticked (a frozen set of item keys)."""

    done: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.done) - set(ITEM_KEYS))
        if unknown:
            raise ValueError(
                f"unknown checklist item {unknown[0]!r}: the items are {', '.join(ITEM_KEYS)}"
            )

    def with_item(self, key: str, done: bool = True) -> ChecklistState:
        """A copy with ``key`` ticked (``done=True``) or unticked."""
        if key not in ITEM_KEYS:
            raise ValueError(
                f"unknown checklist item {key!r}: the items are {', '.join(ITEM_KEYS)}"
            )
        return ChecklistState(self.done | {key} if done else self.done - {key})


@dataclass(frozen=True)
class PhaseScore:
    phase: str
    done: int
    total: int
    percent: float


@dataclass(frozen=True)
class Readiness:
    """The readiness score: items ticked, overall and per phase, and what to do next."""

    done: int
    total: int
    percent: float
    phases: tuple[PhaseScore, ...]
    next_items: tuple[ChecklistItem, ...]


def checklist_path() -> Path:
    """Where the learner's checklist lives: ``checklist.json`` in the learner folder."""
    return settings.learner_dir() / FILE_NAME


def display_path(path: Path) -> str:
    """A path for messages, without machine-specific folders when it can be avoided.

    Inside the folder set by ``INTERVIEW_LAB_HOME``: ``$INTERVIEW_LAB_HOME/checklist.json``;
    inside the home folder: ``~/...``; elsewhere: the path as it is.
    """
    path = Path(path).expanduser().resolve()
    raw = os.environ.get(settings.HOME_VARIABLE, "").strip()
    if raw:
        root = Path(raw).expanduser().resolve()
        if path.is_relative_to(root):
            return f"${settings.HOME_VARIABLE}/{path.relative_to(root).as_posix()}"
    home = Path.home().resolve()
    if path.is_relative_to(home):
        return f"~/{path.relative_to(home).as_posix()}"
    return str(path)


def _phase_score(phase: str, state: ChecklistState) -> PhaseScore:
    keys = [item.key for item in ITEMS if item.phase == phase]
    done = sum(key in state.done for key in keys)
    return PhaseScore(phase, done, len(keys), 100.0 * done / len(keys))


def readiness(state: ChecklistState) -> Readiness:
    """Items ticked overall and per phase, as counts and percentages, plus the next three."""
    done = len(state.done)
    return Readiness(
        done=done,
        total=len(ITEMS),
        percent=100.0 * done / len(ITEMS),
        phases=tuple(_phase_score(phase, state) for phase in PHASES),
        next_items=tuple(i for i in ITEMS if i.key not in state.done)[:3],
    )


def _parse(text: str, path: Path) -> ChecklistState:
    where = display_path(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ChecklistFileError(
            f"the checklist file {where} is not valid JSON ({error.msg}: line {error.lineno}, "
            f"column {error.colno}); it was left as it is: set it aside to start a new checklist",
            path,
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ChecklistFileError(
            f"the file {where} is not an interview-lab checklist (no \"format\": \"{FORMAT}\"); "
            "it was left as it is: set it aside to start a new checklist",
            path,
        )
    if data.get("version") != VERSION:
        raise ChecklistFileError(
            f"the checklist file {where} has version {data.get('version')!r}, and this course "
            f"reads version {VERSION}; it was left as it is",
            path,
        )
    done = data.get("done")
    if not isinstance(done, list) or not all(isinstance(k, str) for k in done):
        raise ChecklistFileError(
            f"in the checklist file {where}, \"done\" must be a list of item names; "
            "it was left as it is: set it aside to start a new checklist",
            path,
        )
    unknown = sorted(set(done) - set(ITEM_KEYS))
    if unknown:
        raise ChecklistFileError(
            f"the checklist file {where} ticks an item this course does not have: "
            f"{unknown[0]!r}; it was left as it is: set it aside to start a new checklist",
            path,
        )
    return ChecklistState(frozenset(done))


def load_checklist(path: Path | None = None) -> ChecklistState:
    """The saved checklist, or an empty one when there is no file yet.

    Raises :class:`ChecklistFileError` (a ``ValueError``) when the file exists but cannot be used.
    """
    path = Path(path) if path is not None else checklist_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ChecklistState()
    except UnicodeDecodeError:
        raise ChecklistFileError(
            f"the checklist file {display_path(path)} is not text; it was left as it is: "
            "set it aside to start a new checklist",
            path,
        ) from None
    return _parse(text, path)


def to_json(state: ChecklistState) -> str:
    """The file content for ``state``: stable (sorted keys, items in checklist order)."""
    done = [key for key in ITEM_KEYS if key in state.done]
    return json.dumps({"format": FORMAT, "version": VERSION, "done": done}, indent=2) + "\n"


def save_checklist(state: ChecklistState, path: Path | None = None) -> Path:
    """Write ``state`` atomically and return the path.

    Refuses (raises :class:`ChecklistFileError`) when the file already there cannot be read,
    so a damaged or foreign file is never replaced without the learner knowing: call
    :func:`set_aside` first.
    """
    path = Path(path) if path is not None else checklist_path()
    if path.exists():
        load_checklist(path)  # raises on a file we must not overwrite
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
        delete=False,
    )
    try:
        with handle:
            handle.write(to_json(state))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def set_aside(path: Path | None = None) -> Path:
    """Rename a damaged checklist file to ``checklist.corrupt-N.json`` and return the new path."""
    path = Path(path) if path is not None else checklist_path()
    if not path.exists():
        raise ValueError(f"there is no checklist file at {display_path(path)} to set aside")
    number = 1
    while (target := path.with_name(f"{path.stem}.corrupt-{number}{path.suffix}")).exists():
        number += 1
    os.replace(path, target)
    return target
