"""The drill's progress file under stress: two drills at once, odd files, unwritable folders.

Every case ends in a saved grade, a file set aside with a notice, or one line on stderr with
exit status 2; never a traceback, a hang or a lost grade.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from interview_lab import drill, drill_cli

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 9, 30, 0)


def run(argv: list[str], keys: str) -> tuple[int, str, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    status = drill_cli.main(argv, stdin=io.StringIO(keys), stdout=out, stderr=err,
                            now=lambda: NOW, clock=lambda: 0.0)
    return status, " ".join(out.getvalue().split()), err.getvalue().splitlines()


def log_of(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["log"]


def drill_process(path: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "interview_lab", "drill", "--today", "2026-01-05",
         "--progress", str(path), *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=env,
    )


# --------------------------------------------------------------------- the lock


def test_two_drills_on_one_file_keep_both_sessions_grades(tmp_path):
    path = tmp_path / "p.json"
    per_drill = 20
    drills = [drill_process(path, "--count", str(per_drill), "--seed", str(seed))
              for seed in range(3)]
    for process in drills:
        process.stdin.write("r\nn\n" * per_drill)
        process.stdin.close()
    results = [(process.wait(timeout=120), process.stderr.read()) for process in drills]
    for process in drills:
        process.stdout.close()
        process.stderr.close()
    assert results == [(0, "")] * 3
    assert len(log_of(path)) == 3 * per_drill


def test_a_save_waits_for_the_lock_and_then_keeps_both_grades(tmp_path):
    path = tmp_path / "p.json"
    drill.record_and_save(path, "cicd-01", "nailed", DAY, NOW)
    finished = threading.Event()

    def other_drill() -> None:
        drill.record_and_save(path, "cicd-02", "missed", DAY, NOW)
        finished.set()

    with drill.progress_lock(path):
        worker = threading.Thread(target=other_drill)
        worker.start()
        assert not finished.wait(0.5)  # held off while the lock is held
        # what a drill does while holding it: read, add, write
        progress = drill.load_progress(path, NOW).progress
        drill.write_atomically(path, drill.progress_to_json(
            drill.record(progress, "cicd-03", "partial", DAY)))
    assert finished.wait(10)
    worker.join()
    assert [entry["card"] for entry in log_of(path)] == ["cicd-01", "cicd-03", "cicd-02"]


def test_the_lock_is_not_held_while_a_session_waits_for_keys(tmp_path):
    path = tmp_path / "p.json"
    process = drill_process(path, "--count", "2")
    lines = []
    for line in process.stdout:  # the first question is on screen: the drill waits for a key
        lines.append(line)
        if "Time budget" in line:
            break
    started = time.monotonic()
    drill.record_and_save(path, "sd-01", "partial", DAY, NOW)  # must not wait for the drill
    assert time.monotonic() - started < drill.LOCK_TIMEOUT_S / 2
    out, err = process.communicate("r\nn\nr\nm\n", timeout=60)
    assert process.returncode == 0 and err == ""
    assert len(log_of(path)) == 3 and log_of(path)[0]["card"] == "sd-01"


def test_a_lock_held_too_long_keeps_the_grades_in_memory(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    monkeypatch.setattr(drill, "LOCK_TIMEOUT_S", 0.2)
    with drill.progress_lock(path):
        with pytest.raises(TimeoutError, match="another drill has held the lock"):
            drill.record_and_save(path, "cicd-01", "nailed", DAY, NOW, )
    assert not path.exists()


# --------------------------------------------------------------------- what the path names


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_anything_but_a_regular_file_is_refused_in_one_line(tmp_path, kind):
    path = tmp_path / "p.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path("/dev/null")
    with pytest.raises(drill.ProgressPathError, match="give the path of a file"):
        drill.load_progress(path, NOW)
    # a subprocess, so that a hang on the pipe fails the test instead of stopping it
    process = drill_process(path)
    out, err = process.communicate("r\nn\n", timeout=60)
    assert process.returncode == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("drill: the progress file ")


def test_a_bank_that_is_a_pipe_is_refused_not_waited_on(tmp_path):
    pipe = tmp_path / "bank.csv"
    os.mkfifo(pipe)
    process = drill_process(tmp_path / "p.json", "--bank", str(pipe))
    out, err = process.communicate("", timeout=60)
    assert process.returncode == 2 and "is not a regular file" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' * 600 + "1" + "}" * 600, "not a drill progress file"),
        ('{"format": "interview-lab/drill-progress", "version": ' + "9" * 5000 + "}",
         "not JSON this course can read"),
        ('{"format": "interview-lab/drill-progress", "version": 1, "cards": {"a": {"box": 2, '
         '"due": "9999-12-31", "last_reviewed": "9999-12-30", "reviews": 1, "lapses": 0, '
         '"last_grade": "nailed"}}}', "must be between 1970-01-01 and"),
    ],
)
def test_files_it_cannot_parse_are_set_aside(tmp_path, content, reason):
    path = tmp_path / "drill-progress.json"
    path.write_text(content, encoding="utf-8")
    loaded = drill.load_progress(path, NOW)
    assert loaded.progress == drill.Progress() and reason in loaded.notice
    assert loaded.set_aside_as.read_text(encoding="utf-8") == content
    assert len(loaded.notice) < 500 and "\n" not in loaded.notice


def test_a_huge_file_is_set_aside_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(drill, "MAX_PROGRESS_BYTES", 1000)
    path = tmp_path / "drill-progress.json"
    path.write_text(" " * 5000, encoding="utf-8")
    loaded = drill.load_progress(path, NOW)
    assert "larger than" in loaded.notice and loaded.set_aside_as.stat().st_size == 5000


def test_a_bad_file_that_cannot_be_set_aside_is_one_line(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    path.write_text("{broken", encoding="utf-8")

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(drill, "set_aside", refuse)
    status, out, err = run(["--today", "2026-01-05", "--progress", str(path)], "r\nn\n")
    assert status == 2 and out == "" and len(err) == 1
    assert "could not be used (it is not valid JSON" in err[0] and "Permission denied" in err[0]
    assert path.read_text(encoding="utf-8") == "{broken"


# --------------------------------------------------------------------- folders that cannot be written


def test_a_learner_folder_that_is_a_file_keeps_the_session_going(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder", encoding="utf-8")
    env = {**os.environ, "INTERVIEW_LAB_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "interview_lab", "drill", "--today", "2026-01-05", "--count", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=env,
    )
    out, err = process.communicate("r\nn\nr\nm\n", timeout=60)
    assert process.returncode == 2
    assert err.splitlines() == [
        f"drill: cannot save progress to {home / 'drill-progress.json'}: {home} is a file, not a "
        "folder; this session's grades are kept in memory and saved as soon as that works"
    ]
    flat = " ".join(out.split())
    assert "Session over: 2 graded (1 nailed, 0 partial, 1 missed)" in flat
    assert "NOT SAVED: 2 grade(s) could not be written" in flat
    assert home.read_text(encoding="utf-8") == "not a folder"


def refuse_first_writes(monkeypatch, times: int, error: OSError) -> None:
    """The drill's writes fail ``times`` times with ``error``, then work (a folder fixed meanwhile)."""
    real_write = drill.write_atomically
    refusals = {"left": times}

    def refusing(target, text):
        if refusals["left"]:
            refusals["left"] -= 1
            raise error
        real_write(target, text)

    monkeypatch.setattr(drill, "write_atomically", refusing)


def test_grades_kept_in_memory_are_saved_once_the_folder_can_be_written(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    refuse_first_writes(monkeypatch, 2, PermissionError(13, "Permission denied"))
    status, out, err = run(["--today", "2026-01-05", "--count", "3", "--seed", "1",
                            "--progress", str(path)], "r\nn\nr\nm\nr\np\n")
    assert status == 0
    assert len(err) == 1 and err[0].startswith(f"drill: cannot save progress to {path}: ")
    assert "Permission denied" in err[0] and "kept in memory" in err[0]
    assert "Saved the 3 grades kept in memory." in out
    assert [entry["grade"] for entry in log_of(path)] == ["nailed", "missed", "partial"]


def test_grades_are_saved_at_the_end_if_the_folder_was_fixed_meanwhile(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    refuse_first_writes(monkeypatch, 2, OSError(28, "No space left on device"))
    status, out, err = run(["--today", "2026-01-05", "--count", "2", "--progress", str(path)],
                           "r\nn\nr\nn\n")
    assert status == 0 and len(err) == 1 and "No space left on device" in err[0]
    assert len(log_of(path)) == 2 and "NOT SAVED" not in out


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_line_and_the_grades_are_listed(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        status, out, err = run(["--today", "2026-01-05", "--count", "1",
                                "--progress", str(folder / "p.json")], "r\nn\n")
    finally:
        folder.chmod(0o700)
    assert status == 2 and len(err) == 1 and "Permission denied" in err[0]
    assert "NOT SAVED: 1 grade(s)" in out


# --------------------------------------------------------------------- dates and keys


@pytest.mark.parametrize("today", ["9999-12-31", "1969-12-31", "0001-01-01"])
def test_today_out_of_range_is_a_one_line_usage_error(tmp_path, today):
    status, out, err = run(["--today", today, "--progress", str(tmp_path / "p.json")], "r\nn\n")
    assert status == 2 and out == ""
    assert err == [f"drill: --today must be between 1970-01-01 and 2200-12-31, got {today}"]


def test_the_today_setting_out_of_range_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERVIEW_LAB_TODAY", "9999-12-31")
    status, _, err = run(["--progress", str(tmp_path / "p.json")], "")
    assert status == 2 and err == [
        "drill: today's date must be between 1970-01-01 and 2200-12-31, got 9999-12-31"]


def test_the_last_day_still_schedules(tmp_path):
    path = tmp_path / "p.json"
    status, out, _ = run(["--today", "2200-12-31", "--count", "1", "--progress", str(path)],
                         "r\nn\n")
    assert status == 0 and "next review on Fri 2201-01-02" in out
    assert drill.load_progress(path, NOW).progress.cards


def test_bad_options_are_one_line(tmp_path):
    for argv in (["--colour"], ["--count", "many"], ["--seed", "-1"]):
        status, out, err = run(argv + ["--progress", str(tmp_path / "p.json")], "")
        assert status == 2 and out == "" and len(err) == 1, (argv, err)


def test_bytes_that_are_not_utf8_on_stdin_are_unknown_keys(tmp_path):
    path = tmp_path / "p.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "interview_lab", "drill", "--today", "2026-01-05", "--count", "1",
         "--progress", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    out, err = process.communicate(b"\xff\xfe\nr\nn\n", timeout=60)
    assert process.returncode == 0 and err == b""
    assert b"Unknown key" in out and len(log_of(path)) == 1
