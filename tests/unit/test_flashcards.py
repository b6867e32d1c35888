"""Flashcards to take away: the Anki package read back from its SQLite, and the printable page."""

from __future__ import annotations

import csv
import html
import io
import json
import sqlite3
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import genanki
import pandas as pd
import pytest

from interview_lab import drill_cli, flashcards
from interview_lab.settings import data_path

BANK_CSV = data_path("questions.csv")
FIELD_SEPARATOR = "\x1f"  # Anki keeps a note's fields in one column, split by this byte


def bank_rows(path: Path = BANK_CSV) -> list[dict[str, str]]:
    """The bank's rows read with the csv module (not through the code under test)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [{k: v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def read_package(path: Path, folder: Path) -> dict:
    """The notes, cards, note types and decks of an ``.apkg``, from its SQLite collection."""
    with zipfile.ZipFile(path) as archive:
        assert "collection.anki2" in archive.namelist()
        archive.extract("collection.anki2", folder)
    connection = sqlite3.connect(folder / "collection.anki2")
    try:
        notes = connection.execute("SELECT id, guid, mid, tags, flds FROM notes").fetchall()
        cards = connection.execute("SELECT nid, did FROM cards").fetchall()
        models, decks = connection.execute("SELECT models, decks FROM col").fetchone()
    finally:
        connection.close()
    return {
        "notes": [
            {"id": n[0], "guid": n[1], "mid": n[2], "tags": n[3].split(),
             "fields": n[4].split(FIELD_SEPARATOR)}
            for n in notes
        ],
        "cards": cards,
        "models": json.loads(models),
        "decks": json.loads(decks),
    }


def text_of(field: str) -> str:
    """What a field shows, as plain text: tags dropped, entities decoded."""
    return html.unescape(field.replace("<br>", "\n").replace("</li><li>", "\n")
                         .replace("<ol><li>", "").replace("</li></ol>", ""))


def export(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = drill_cli.main(argv, stdin=io.StringIO(""), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("anki")
    status, out, err = export(["--export-anki", str(folder / "cards.apkg")])
    assert status == 0, err
    assert f"Wrote {len(bank_rows())} cards" in out
    return read_package(folder / "cards.apkg", folder)


def test_every_card_of_the_bank_is_a_note_with_all_its_fields(package):
    rows = bank_rows()
    names = flashcards.FIELDS
    by_id = {n["fields"][names.index("Id")]: n for n in package["notes"]}
    assert sorted(by_id) == sorted(r["id"] for r in rows)
    for row in rows:
        fields = dict(zip(names, by_id[row["id"]]["fields"], strict=True))
        assert text_of(fields["Question"]) == row["question"]
        assert text_of(fields["Area"]) == row["area"]
        assert text_of(fields["Round"]) == row["round"]
        assert fields["Difficulty"] == row["difficulty"]
        assert text_of(fields["Key points"]).split("\n") == [
            p.strip() for p in row["key_points"].split(" | ")
        ]
        assert text_of(fields["Follow-up"]) == row["follow_up"]
        assert fields["Notebook"] == f"notebooks/{row['section']}.ipynb"


def test_notes_carry_tags_by_area_round_and_difficulty_and_a_guid_from_the_card_id(package):
    rows = {r["id"]: r for r in bank_rows()}
    for note in package["notes"]:
        row = rows[note["fields"][flashcards.FIELDS.index("Id")]]
        assert note["guid"] == genanki.guid_for(row["id"])
        area = "ci-cd" if row["area"] == "CI/CD" else row["area"].lower().replace(" ", "-")
        assert sorted(note["tags"]) == sorted([
            "interview-lab", f"area::{area}", f"round::{row['round'].replace(' ', '-')}",
            f"difficulty::{row['difficulty']}",
        ])
    assert len({n["guid"] for n in package["notes"]}) == len(rows)


def test_the_note_type_and_deck_have_fixed_ids(package):
    assert list(package["models"]) == [str(flashcards.MODEL_ID)]
    model = package["models"][str(flashcards.MODEL_ID)]
    assert [f["name"] for f in model["flds"]] == list(flashcards.FIELDS)
    assert {n["mid"] for n in package["notes"]} == {flashcards.MODEL_ID}
    assert str(flashcards.DECK_ID) in package["decks"]
    assert package["decks"][str(flashcards.DECK_ID)]["name"] == flashcards.DECK_NAME
    # one card per note, every one in the course's deck
    assert sorted(nid for nid, _ in package["cards"]) == sorted(n["id"] for n in package["notes"])
    assert {did for _, did in package["cards"]} == {flashcards.DECK_ID}


def test_two_exports_give_the_same_guids_so_a_reimport_updates(tmp_path):
    cards = flashcards.load_cards()
    first = read_package(flashcards.write_anki(cards, tmp_path / "a.apkg", timestamp_s=1.7e9),
                         tmp_path / "a")
    second = read_package(flashcards.write_anki(cards, tmp_path / "b.apkg", timestamp_s=1.8e9),
                          tmp_path / "b")
    guids = [{(n["fields"][1], n["guid"]) for n in p["notes"]} for p in (first, second)]
    assert guids[0] == guids[1]
    assert first["models"].keys() == second["models"].keys()
    assert {n["id"] for n in first["notes"]} != {n["id"] for n in second["notes"]}  # dated apart


@pytest.fixture
def rich_bank(tmp_path) -> Path:
    """Three cards of the course's bank with the optional columns and one more column."""
    frame = pd.read_csv(BANK_CSV, dtype=str, keep_default_na=False).head(3)
    frame["model_answer"] = ["I would <script>alert(1)</script> & more", "", "Line one\nline two"]
    frame["follow_up_answer"] = ["Halve the build with a cache", "", ""]
    frame["sources"] = ["https://example.org/a?x=1&y=2", "", "Book, p. 3"]
    frame["reviewed"] = ["2026-01", "", "2026-02"]
    path = tmp_path / "rich.csv"
    frame.to_csv(path, index=False)
    return path


def test_every_other_column_of_the_bank_reaches_the_notes_escaped(rich_bank, tmp_path):
    cards = flashcards.load_cards(rich_bank)
    read = read_package(flashcards.write_anki(cards, tmp_path / "r.apkg"), tmp_path)
    names = flashcards.FIELDS
    by_id = {n["fields"][1]: dict(zip(names, n["fields"], strict=True)) for n in read["notes"]}
    rows = bank_rows(rich_bank)
    for row in rows:
        fields = by_id[row["id"]]
        assert text_of(fields["Model answer"]) == row["model_answer"]
        assert text_of(fields["Follow-up answer"]) == row["follow_up_answer"]
        assert text_of(fields["Sources"]) == row["sources"]
        assert ("<b>reviewed:</b> " + row["reviewed"] if row["reviewed"] else "") == fields["More"]
    first = by_id[rows[0]["id"]]
    assert "<script>" not in first["Model answer"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in first["Model answer"]
    assert first["Sources"] == "https://example.org/a?x=1&amp;y=2"
    assert by_id[rows[2]["id"]]["Model answer"] == "Line one<br>line two"


class _Folded(HTMLParser):
    """Per card: the text inside its ``<details>`` and outside it; every tag name seen."""

    def __init__(self) -> None:
        super().__init__()
        self.card: str | None = None
        self.depth = 0
        self.inside: dict[str, str] = {}
        self.outside: dict[str, str] = {}
        self.tags: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attributes = dict(attrs)
        self.links += [v for k, v in attrs if k in ("href", "src") and v]
        if tag == "article":
            self.card = attributes["id"].removeprefix("card-")
            self.inside[self.card] = self.outside[self.card] = ""
        elif tag == "details":
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "details":
            self.depth -= 1
        elif tag == "article":
            self.card = None

    def handle_data(self, data):
        if self.card is not None:
            target = self.inside if self.depth else self.outside
            target[self.card] += data


def parse_page(path: Path) -> _Folded:
    parser = _Folded()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_the_page_lists_every_card_with_its_answer_folded(tmp_path):
    status, out, err = export(["--export-html", str(tmp_path / "bank.html")])
    assert status == 0, err
    page = parse_page(tmp_path / "bank.html")
    rows = bank_rows()
    assert sorted(page.inside) == sorted(r["id"] for r in rows)
    for row in rows:
        shown, folded = page.outside[row["id"]], page.inside[row["id"]]
        assert row["question"] in shown
        for point in row["key_points"].split(" | "):
            assert point.strip() in folded and point.strip() not in shown
        assert row["follow_up"] in folded and row["follow_up"] not in shown
    # self-contained: no script, no style sheet or picture fetched, only links within the page
    assert not page.tags & {"script", "link", "img", "iframe", "object"}
    assert page.links and all(link.startswith("#") for link in page.links)


def test_the_page_escapes_the_bank_text(rich_bank, tmp_path):
    target = flashcards.write_html(flashcards.load_cards(rich_bank), tmp_path / "rich.html")
    text = target.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in text
    page = parse_page(target)
    first = bank_rows(rich_bank)[0]
    assert "I would <script>alert(1)</script> & more" in page.inside[first["id"]]
    assert "Halve the build with a cache" in page.inside[first["id"]]


@pytest.mark.parametrize(
    ("option", "name", "expected"),
    [
        ("--export-anki", "missing/cards.apkg", "there is no folder"),
        ("--export-anki", "cards.zip", "must be a file whose name ends in .apkg"),
        ("--export-html", "bank.txt", "must be a file whose name ends in .html or .htm"),
        ("--export-html", "folder.html", "is not a regular file"),
    ],
)
def test_a_bad_output_path_is_one_line_and_exit_2(tmp_path, option, name, expected):
    (tmp_path / "folder.html").mkdir()
    status, out, err = export([option, str(tmp_path / name)])
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("drill: ") and expected in err
    assert "Traceback" not in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.html"]  # nothing left behind


def test_a_bad_bank_is_one_line_and_exit_2(tmp_path):
    bank = tmp_path / "bad.csv"
    bank.write_text("id,area\ncicd-01,CI/CD\n", encoding="utf-8")
    status, _, err = export(["--bank", str(bank), "--export-anki", str(tmp_path / "c.apkg")])
    assert status == 2 and err.count("\n") == 1 and "missing the column" in err
    assert not (tmp_path / "c.apkg").exists()


def test_area_and_round_choose_the_exported_cards(tmp_path):
    status, out, err = export(["--export-anki", str(tmp_path / "c.apkg"), "--area", "containers",
                               "--round", "deep dive"])
    assert status == 0, err
    rows = [r for r in bank_rows() if r["area"] == "containers" and r["round"] == "deep dive"]
    notes = read_package(tmp_path / "c.apkg", tmp_path)["notes"]
    assert sorted(n["fields"][1] for n in notes) == sorted(r["id"] for r in rows) != []
