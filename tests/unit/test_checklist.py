"""The readiness checklist: items, score, atomic JSON saving, and damaged files kept safe."""

from __future__ import annotations

import json
import os

import pytest

from interview_lab import checklist
from interview_lab.checklist import ChecklistFileError, ChecklistState


@pytest.fixture(autouse=True)
def learner_home(tmp_path, monkeypatch):
    home = tmp_path / "learner"
    monkeypatch.setenv("INTERVIEW_LAB_HOME", str(home))
    return home


def test_items_follow_the_chapter_checklist():
    phases = [item.phase for item in checklist.ITEMS]
    assert (phases.count("before"), phases.count("during"), phases.count("after")) == (6, 5, 4)
    assert len(set(checklist.ITEM_KEYS)) == len(checklist.ITEMS) == 15


def test_the_file_lives_in_the_learner_folder(learner_home):
    assert checklist.checklist_path() == learner_home / "checklist.json"
    shown = checklist.display_path(checklist.checklist_path())
    assert shown == "$INTERVIEW_LAB_HOME/checklist.json"


def test_display_path_outside_the_learner_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("INTERVIEW_LAB_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert checklist.display_path(tmp_path / ".interview-lab" / "checklist.json") == (
        "~/.interview-lab/checklist.json"
    )


def test_no_file_means_an_empty_checklist():
    assert checklist.load_checklist() == ChecklistState()
    assert not checklist.checklist_path().exists()


def test_save_then_load_round_trip(learner_home):
    state = ChecklistState().with_item("thank-you").with_item("research")
    path = checklist.save_checklist(state)
    assert path == learner_home / "checklist.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    # Saved in checklist order, not in the order the items were ticked.
    assert data == {"format": "interview-lab-checklist", "version": 1,
                    "done": ["research", "thank-you"]}
    assert checklist.load_checklist() == state
    assert checklist.load_checklist().with_item("research", done=False).done == {"thank-you"}
    assert sorted(p.name for p in learner_home.iterdir()) == ["checklist.json"]  # no temp left


def test_a_crash_while_replacing_keeps_the_old_file(learner_home, monkeypatch):
    checklist.save_checklist(ChecklistState(frozenset({"research"})))
    before = checklist.checklist_path().read_bytes()

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        checklist.save_checklist(ChecklistState(frozenset({"research", "demo"})))
    assert checklist.checklist_path().read_bytes() == before
    assert sorted(p.name for p in learner_home.iterdir()) == ["checklist.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "interview-lab-checklist", "version": 1, "done": ["res',
         r"is not valid JSON \(Unterminated string"),
        ("[1, 2, 3]", "is not an interview-lab checklist"),
        ('{"done": []}', "is not an interview-lab checklist"),
        ('{"format": "interview-lab-checklist", "version": 7, "done": []}', "has version 7"),
        ('{"format": "interview-lab-checklist", "version": 1, "done": "research"}',
         '"done" must be a list'),
        ('{"format": "interview-lab-checklist", "version": 1, "done": ["skydiving"]}',
         "an item this course does not have: 'skydiving'"),
    ],
)
def test_a_damaged_file_is_reported_and_never_overwritten(content, message):
    path = checklist.checklist_path()
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ChecklistFileError, match=message) as caught:
        checklist.load_checklist()
    assert caught.value.path == path
    assert "$INTERVIEW_LAB_HOME/checklist.json" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ChecklistFileError):
        checklist.save_checklist(ChecklistState(frozenset({"demo"})))
    assert path.read_text(encoding="utf-8") == content


def test_binary_garbage_is_reported():
    checklist.checklist_path().write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ChecklistFileError, match="is not text"):
        checklist.load_checklist()


def test_set_aside_keeps_damaged_files_and_numbers_them(learner_home):
    path = checklist.checklist_path()
    path.write_text("not json", encoding="utf-8")
    first = checklist.set_aside()
    assert first == learner_home / "checklist.corrupt-1.json"
    assert first.read_text(encoding="utf-8") == "not json"
    assert not path.exists()
    checklist.save_checklist(ChecklistState(frozenset({"demo"})))  # a fresh start works
    path.write_text("{broken", encoding="utf-8")
    assert checklist.set_aside().name == "checklist.corrupt-2.json"
    with pytest.raises(ValueError, match="there is no checklist file at"):
        checklist.set_aside()


def test_readiness_score():
    state = ChecklistState(frozenset({"research", "star-stories", "questions", "thank-you"}))
    score = checklist.readiness(state)
    assert (score.done, score.total) == (4, 15)
    assert score.percent == pytest.approx(100 * 4 / 15)
    assert [(p.phase, p.done, p.total) for p in score.phases] == [
        ("before", 3, 6), ("during", 0, 5), ("after", 1, 4),
    ]
    assert [p.percent for p in score.phases] == pytest.approx([50.0, 0.0, 25.0])
    assert [i.key for i in score.next_items] == ["architecture", "demo", "salary-range"]
    full = checklist.readiness(ChecklistState(frozenset(checklist.ITEM_KEYS)))
    assert full.percent == 100.0 and full.next_items == ()
    assert checklist.readiness(ChecklistState()).percent == 0.0


def test_unknown_items_are_refused():
    with pytest.raises(ValueError, match="unknown checklist item 'skydiving'"):
        ChecklistState().with_item("skydiving")
    with pytest.raises(ValueError, match="unknown checklist item 'x'"):
        ChecklistState(frozenset({"x"}))
