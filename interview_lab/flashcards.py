"""Flashcards to take away: the question bank as an Anki package and as a printable web page.

``interview-lab drill --export-anki cards.apkg`` and ``--export-html bank.html`` call
:func:`write_anki` and :func:`write_html` with the cards of :func:`load_cards`.

What a card carries
    Every column of the bank (``data/questions.csv``, see ``data/README.md``): the columns
    the drill checks (id, area, round, difficulty, question, key points, follow-up, the
    notebook that teaches it), then ``model_answer``, ``follow_up_answer`` and ``sources``
    when the bank has them, each in a field of its own, and any further column in a last
    field ("More", one line per column). An empty optional cell leaves its field empty and
    the card shows no heading for it.

Anki package (``.apkg``)
    Built with genanki: a zip holding the SQLite collection ``collection.anki2``. The note
    type and the deck have fixed ids (:data:`MODEL_ID`, :data:`DECK_ID`) and each note's
    guid is ``genanki.guid_for(card id)``, so importing a newer export into Anki updates the
    notes already there instead of adding copies (Anki matches notes by guid and note types
    by id). The note type's field list is fixed, whatever columns the bank has, so that a
    re-import never meets a changed note type. Tags: ``interview-lab``, ``area::<area>``,
    ``round::<round>`` and ``difficulty::<1-3>`` (lower case, words joined by ``-``; Anki's
    ``::`` makes them a tree in its browser).

Printable page (``.html``)
    One self-contained file: its style sheet inline, no script, nothing fetched from
    elsewhere (a Content-Security-Policy in the page forbids it). Cards are grouped by area;
    each answer is folded in a ``<details>`` element, opened by a click. When printed, the
    ``::details-content`` rule opens them in browsers that support it (recent Chromium);
    others print the questions only. :func:`bank_html` gives the cards without the page
    around them, for a page that has its own (the course site's, say).

Every text from the bank is HTML-escaped. A bad output path raises ``ValueError`` with a
sentence saying what is wrong; the file is written to a temporary name beside it and then
renamed, so a failed export never leaves half a file under the name asked for.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import genanki
import pandas as pd

from interview_lab import drill

# Fixed ids: the same note type and deck in every export, so that Anki updates them.
MODEL_ID = 1_538_204_771
DECK_ID = 1_962_117_305
DECK_NAME = "DevOps Interview Lab"
MODEL_NAME = "DevOps Interview Lab question"

# Optional columns of the bank with a field of their own: column -> field name.
OPTIONAL_COLUMNS: Mapping[str, str] = {
    "model_answer": "Model answer",
    "follow_up_answer": "Follow-up answer",
    "sources": "Sources",
}
FIELDS = (
    "Question",  # first: Anki's sort field and duplicate check
    "Id",
    "Area",
    "Round",
    "Difficulty",
    "Key points",
    "Model answer",
    "Follow-up",
    "Follow-up answer",
    "Notebook",
    "Sources",
    "More",
)
ANKI_SUFFIXES = (".apkg",)
HTML_SUFFIXES = (".html", ".htm")

_FRONT = """\
<div class="meta">{{Area}} &middot; {{Round}} &middot; difficulty {{Difficulty}}</div>
<div class="question">{{Question}}</div>
"""
_BACK = """\
{{FrontSide}}
<hr id="answer">
<h4>Key points</h4>
{{Key points}}
{{#Model answer}}<h4>Model answer</h4><div>{{Model answer}}</div>{{/Model answer}}
<h4>Follow-up</h4>
<div>{{Follow-up}}</div>
{{#Follow-up answer}}<h4>Follow-up answer</h4><div>{{Follow-up answer}}</div>{{/Follow-up answer}}
{{#Sources}}<h4>Sources</h4><div>{{Sources}}</div>{{/Sources}}
{{#More}}<div class="more">{{More}}</div>{{/More}}
<div class="where">Taught in {{Notebook}} &middot; card {{Id}}</div>
"""
_CARD_CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; max-width: 40em;
  margin: auto; }
.meta, .where { color: #555; font-size: 14px; }
.question { font-size: 20px; margin-top: 0.5em; }
h4 { margin: 1em 0 0.3em; }
"""

MODEL = genanki.Model(
    MODEL_ID,
    MODEL_NAME,
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Question, then answer", "qfmt": _FRONT, "afmt": _BACK}],
    css=_CARD_CSS,
)


@dataclass(frozen=True)
class Card:
    """One question of the bank with every column it has."""

    question: drill.Question
    model_answer: str = ""
    follow_up_answer: str = ""
    sources: str = ""
    # Further columns, in the bank's order: (column, text), empty cells left out.
    more: tuple[tuple[str, str], ...] = ()

    @property
    def notebook(self) -> str:
        """The notebook that teaches the question, as a path in the course's folder."""
        return f"notebooks/{self.question.section}.ipynb"

    @property
    def tags(self) -> tuple[str, ...]:
        """Anki tags: the course, then the area, round and difficulty."""
        q = self.question
        return (
            "interview-lab",
            f"area::{tag_word(q.area)}",
            f"round::{tag_word(q.round)}",
            f"difficulty::{q.difficulty}",
        )


def tag_word(text: str) -> str:
    """``text`` as one Anki tag word: lower case, anything but letters and digits as ``-``."""
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


def cards_from_frame(frame: pd.DataFrame, *, source: str = "questions.csv") -> tuple[Card, ...]:
    """The cards of a bank table (text cells, as :func:`drill.read_bank_table` reads it).

    The drill's checks apply (:func:`drill.bank_from_frame`); a ``ValueError`` lists every
    problem.
    """
    bank = drill.bank_from_frame(frame, source=source)
    known = set(drill.BANK_COLUMNS) | set(OPTIONAL_COLUMNS)
    extra = [str(c) for c in frame.columns if str(c) not in known]
    cells = frame.astype(str).apply(lambda col: col.str.strip()).reset_index(drop=True)
    records = cells.to_dict("records")
    return tuple(
        Card(
            question=question,
            model_answer=record.get("model_answer", ""),
            follow_up_answer=record.get("follow_up_answer", ""),
            sources=record.get("sources", ""),
            more=tuple((column, record[column]) for column in extra if record[column]),
        )
        for question, record in zip(bank, records, strict=True)
    )


def load_cards(path: str | os.PathLike[str] | None = None) -> tuple[Card, ...]:
    """Every card of a question bank (default: the course's ``data/questions.csv``)."""
    frame, name = drill.read_bank_table(path)
    return cards_from_frame(frame, source=name)


# ===================================================================== HTML pieces
def _text(value: str) -> str:
    """Escaped text, its line breaks kept."""
    return "<br>".join(html.escape(line) for line in value.splitlines())


def _points(points: Sequence[str]) -> str:
    return "<ol>" + "".join(f"<li>{_text(p)}</li>" for p in points) + "</ol>"


def _more(more: Sequence[tuple[str, str]]) -> str:
    return "<br>".join(f"<b>{html.escape(column)}:</b> {_text(value)}" for column, value in more)


def anki_fields(card: Card) -> list[str]:
    """The note's fields in the order of :data:`FIELDS`, as Anki's HTML."""
    q = card.question
    values = {
        "Question": _text(q.question),
        "Id": html.escape(q.id),
        "Area": html.escape(q.area),
        "Round": html.escape(q.round),
        "Difficulty": str(q.difficulty),
        "Key points": _points(q.key_points),
        "Model answer": _text(card.model_answer),
        "Follow-up": _text(q.follow_up),
        "Follow-up answer": _text(card.follow_up_answer),
        "Notebook": html.escape(card.notebook),
        "Sources": _text(card.sources),
        "More": _more(card.more),
    }
    return [values[name] for name in FIELDS]


def note_guid(card_id: str) -> str:
    """The note's guid: the same for the same card id in every export."""
    return genanki.guid_for(card_id)


def anki_deck(cards: Sequence[Card]) -> genanki.Deck:
    """The deck of ``cards``, one note (and one card) per question."""
    if not cards:
        raise ValueError("there are no cards to export")
    deck = genanki.Deck(
        DECK_ID,
        DECK_NAME,
        description="Questions of the DevOps Interview Lab's mock-interview drill: answer "
        "aloud, then compare with the key points.",
    )
    for card in cards:
        deck.add_note(
            genanki.Note(
                model=MODEL,
                fields=anki_fields(card),
                tags=list(card.tags),
                guid=note_guid(card.question.id),
            )
        )
    return deck


def _answer_html(card: Card) -> str:
    q = card.question
    parts = ["<h4>Key points</h4>", _points(q.key_points)]
    if card.model_answer:
        parts += ["<h4>Model answer</h4>", f"<p>{_text(card.model_answer)}</p>"]
    parts += ["<h4>Follow-up</h4>", f"<p>{_text(q.follow_up)}</p>"]
    if card.follow_up_answer:
        parts += ["<h4>Follow-up answer</h4>", f"<p>{_text(card.follow_up_answer)}</p>"]
    if card.sources:
        parts += ["<h4>Sources</h4>", f"<p>{_text(card.sources)}</p>"]
    if card.more:
        parts.append(f"<p>{_more(card.more)}</p>")
    return "\n".join(parts)


def card_html(card: Card) -> str:
    """One card as an ``<article>``: the question shown, the answer folded in ``<details>``."""
    q = card.question
    ident = html.escape(q.id, quote=True)
    meta = " &middot; ".join(
        [html.escape(q.round), f"difficulty {q.difficulty}", html.escape(card.notebook)]
    )
    return (
        f'<article class="card" id="card-{ident}">\n'
        f'<h3><span class="id">{html.escape(q.id)}</span> {_text(q.question)}</h3>\n'
        f'<p class="meta">{meta}</p>\n'
        f"<details>\n<summary>Answer</summary>\n{_answer_html(card)}\n</details>\n"
        "</article>"
    )


def _areas(cards: Sequence[Card]) -> list[str]:
    """The areas of ``cards`` in the course's order of areas."""
    order = {area: index for index, area in enumerate(drill.AREAS)}
    return sorted({c.question.area for c in cards}, key=lambda a: (order.get(a, len(order)), a))


def bank_html(cards: Sequence[Card]) -> str:
    """The cards grouped by area (in the course's order of areas), without a page around them."""
    if not cards:
        raise ValueError("there are no cards to export")
    sections = []
    for area in _areas(cards):
        chosen = [c for c in cards if c.question.area == area]
        body = "\n".join(card_html(c) for c in chosen)
        sections.append(
            f'<section id="area-{tag_word(area)}">\n'
            f"<h2>{html.escape(area)} ({len(chosen)})</h2>\n{body}\n</section>"
        )
    return "\n".join(sections)


_PAGE_CSS = """\
body { font-family: sans-serif; line-height: 1.45; max-width: 48em; margin: 2em auto;
  padding: 0 1em; color: #111; }
.card { border-top: 1px solid #bbb; padding: 0.4em 0 0.6em; break-inside: avoid; }
.card h3 { font-size: 1.05em; margin: 0.4em 0 0.2em; }
.id { color: #555; font-weight: normal; font-family: monospace; margin-right: 0.4em; }
.meta { color: #555; font-size: 0.9em; margin: 0 0 0.3em; }
summary { cursor: pointer; color: #0b4f8a; }
details h4 { margin: 0.6em 0 0.2em; }
@media print {
  body { margin: 0; max-width: none; }
  summary { display: none; }
  details::details-content { content-visibility: visible; display: block; }
  h2 { break-after: avoid; }
}
"""


def bank_page(cards: Sequence[Card], *, title: str = "DevOps Interview Lab: question bank") -> str:
    """A whole HTML document of the cards: style inline, no script, nothing fetched."""
    body = bank_html(cards)
    listing = " &middot; ".join(
        f'<a href="#area-{tag_word(area)}">{html.escape(area)}</a>'
        for area in _areas(cards)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_PAGE_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f"<p>{len(cards)} questions. Answer each one aloud first, then open its answer. "
        f"Areas: {listing}</p>\n"
        f"{body}\n</body>\n</html>\n"
    )


# ===================================================================== writing files
def output_path(path: str | os.PathLike[str], suffixes: Sequence[str], what: str) -> Path:
    """``path`` when a file can be written there; else a ``ValueError`` saying why not."""
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise ValueError(
            f"the {what} must be a file whose name ends in {' or '.join(suffixes)}, "
            f"got {str(target)!r}"
        )
    if target.exists() and not target.is_file():
        raise ValueError(f"{target} is not a regular file (a folder?): name a file to write")
    folder = target.parent
    if not folder.is_dir():
        raise ValueError(f"there is no folder {folder} to write {target.name} in")
    return target


def _write(target: Path, what: str, fill: Callable[[Path], None]) -> None:
    """Call ``fill(temporary path)``, then rename that file to ``target``."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        fill(Path(name))
        os.chmod(name, 0o644)
        os.replace(name, target)
    except OSError as error:
        Path(name).unlink(missing_ok=True)
        raise ValueError(
            f"cannot write the {what} {target}: {error.strerror or error}"
        ) from error
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_anki(
    cards: Sequence[Card], path: str | os.PathLike[str], *, timestamp_s: float | None = None
) -> Path:
    """Write the Anki package of ``cards`` to ``path`` (``.apkg``); returns the path.

    ``timestamp_s`` (seconds since 1970, default now) dates the notes; Anki matches them
    by guid, so it does not change what a re-import updates.
    """
    target = output_path(path, ANKI_SUFFIXES, "Anki package")
    package = genanki.Package(anki_deck(cards))
    stamp = time.time() if timestamp_s is None else timestamp_s

    def fill(temporary: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="interview-lab-anki-") as folder:
            database = Path(folder) / "collection.anki2"
            with closing(sqlite3.connect(database)) as connection:
                # genanki's own write_to_file does this, with a file it leaves in /tmp
                ids = itertools.count(int(stamp * 1000))
                package.write_to_db(connection.cursor(), stamp, ids)
                connection.commit()
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(database, "collection.anki2")
                archive.writestr("media", "{}")  # no pictures or sounds

    _write(target, "Anki package", fill)
    return target


def write_html(cards: Sequence[Card], path: str | os.PathLike[str]) -> Path:
    """Write the printable page of ``cards`` to ``path`` (``.html``); returns the path."""
    target = output_path(path, HTML_SUFFIXES, "printable page")
    page = bank_page(cards)
    _write(target, "printable page", lambda temporary: temporary.write_text(page, "utf-8"))
    return target
