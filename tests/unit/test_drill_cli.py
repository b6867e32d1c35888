"""``python -m interview_lab drill``: in-process, through a pipe and through a pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from interview_lab import drill, drill_cli

DAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 9, 30, 0)
BANK = drill.load_bank()


def run(argv: list[str], keys: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ticks = iter(range(0, 10_000, 45))  # each reading of the clock is 45 s later
    status = drill_cli.main(
        argv,
        stdin=io.StringIO(keys),
        stdout=out,
        stderr=err,
        now=lambda: NOW,
        clock=lambda: next(ticks),
    )
    return status, flat(out.getvalue()), flat(err.getvalue())


def flat(text: str) -> str:
    """The text with line wrapping undone (the drill wraps at 78 columns)."""
    return " ".join(text.split())


def cards(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["cards"]


def test_a_session_grades_skips_and_saves(tmp_path: Path) -> None:
    progress = tmp_path / "p.json"
    argv = [
        "--area",
        "cicd",
        "--count",
        "3",
        "--seed",
        "4",
        "--today",
        "2026-01-05",
        "--progress",
        str(progress),
    ]
    expected = drill.pick_session(BANK, drill.Progress(), DAY, count=3, areas=["CI/CD"], seed=4)
    status, out, err = run(argv, "r\nn\nr\nm\ns\n")
    assert status == 0 and err == ""
    assert expected[0].question[:40] in out
    assert expected[0].key_points[0][:40] in out
    assert "You took 0:45 of 2:00." in out
    assert "Nailed: new card -> box 2; next review on Wed 2026-01-07 (in 2 days)." in out
    assert "Missed: new card -> box 1; next review on Tue 2026-01-06 (in 1 day)." in out
    assert "Session over: 2 graded (1 nailed, 0 partial, 1 missed), 1 skipped." in out
    saved = cards(progress)
    assert set(saved) == {expected[0].id, expected[1].id}
    assert (saved[expected[0].id]["box"], saved[expected[0].id]["due"]) == (2, "2026-01-07")
    assert (saved[expected[1].id]["box"], saved[expected[1].id]["due"]) == (1, "2026-01-06")

    # the next day the missed card is due and comes first
    argv[argv.index("2026-01-05")] = "2026-01-06"
    status, out, _ = run(argv, "r\np\nq\n")
    assert status == 0
    assert "1 due for review and 2 new" in out
    assert f"[1/3] CI/CD - {expected[1].round}" in out and "box 1, due today" in out
    assert cards(progress)[expected[1].id]["reviews"] == 2


def test_keys_are_checked(tmp_path: Path) -> None:
    argv = ["--count", "1", "--today", "2026-01-05", "--progress", str(tmp_path / "p.json")]
    status, out, _ = run(argv, "\nx\nn\nreveal\nNAILED\n")
    assert status == 0
    assert "Unknown key 'x'" in out
    assert "Reveal the key points first (r), then grade your answer." in out
    assert "1 graded (1 nailed" in out
    assert len(cards(tmp_path / "p.json")) == 1


def test_end_of_input_quits_and_keeps_what_was_graded(tmp_path: Path) -> None:
    argv = ["--count", "5", "--today", "2026-01-05", "--progress", str(tmp_path / "p.json")]
    status, out, _ = run(argv, "r\np\nr\n")
    assert status == 0
    assert "1 graded (0 nailed, 1 partial, 0 missed), 0 skipped" in out
    assert len(cards(tmp_path / "p.json")) == 1


def test_system_design_budget_is_45_minutes(tmp_path: Path) -> None:
    argv = ["--round", "system-design", "--count", "1", "--progress", str(tmp_path / "p.json")]
    status, out, _ = run(argv + ["--today", "2026-01-05"], "q\n")
    assert status == 0 and "Time budget 45:00" in out and "- system design -" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--area", "k8s"], "there is no area 'k8s'"),
        (["--round", "lunch"], "there is no round 'lunch'"),
        (["--count", "0"], "at least 1 question"),
        (["--today", "5 Jan"], "--today must be a date"),
        (["--bank", "missing.csv"], "no question bank"),
    ],
)
def test_bad_options_exit_2_with_a_sentence(tmp_path: Path, argv: list[str], fragment: str) -> None:
    status, out, err = run(argv + ["--progress", str(tmp_path / "p.json")], "")
    assert status == 2 and fragment in err and out == ""


def test_help_and_unknown_option() -> None:
    status, out, _ = run(["--help"], "")
    assert status == 0 and "r reveal" in out and "--area" in out
    status, _, err = run(["--colour"], "")
    assert status == 2 and "unrecognized arguments" in err


def test_a_corrupted_progress_file_is_reported_and_set_aside(tmp_path: Path) -> None:
    progress = tmp_path / "p.json"
    progress.write_text("{half a file", encoding="utf-8")
    status, out, err = run(
        ["--count", "1", "--today", "2026-01-05", "--progress", str(progress)], "r\nn\n"
    )
    assert status == 0
    assert "could not be used: it is not valid JSON" in err
    kept = tmp_path / "p.json.set-aside-20260105T093000"
    assert kept.read_text(encoding="utf-8") == "{half a file"
    assert len(cards(progress)) == 1


def test_nothing_due(tmp_path: Path) -> None:
    progress = tmp_path / "p.json"
    argv = [
        "--area",
        "negotiation",
        "--round",
        "phone screen",
        "--count",
        "9",
        "--progress",
        str(progress),
    ]
    run(argv + ["--today", "2026-01-05"], "r\nn\n" * 5)
    status, out, _ = run(argv + ["--today", "2026-01-06"], "")
    assert status == 0
    assert "0 question(s)" in out and "every card is scheduled for later" in out
    assert "Next reviews: 5 card(s) on Wed 2026-01-07." in out


def test_keyboard_interrupt_keeps_progress(tmp_path: Path) -> None:
    class Interrupting(io.StringIO):
        def readline(self, *args):
            line = super().readline(*args)
            if not line:
                raise KeyboardInterrupt
            return line

    out = io.StringIO()
    progress = tmp_path / "p.json"
    status = drill_cli.main(
        ["--count", "3", "--today", "2026-01-05", "--progress", str(progress)],
        stdin=Interrupting("r\nn\n"),
        stdout=out,
        stderr=io.StringIO(),
        now=lambda: NOW,
    )
    assert status == 130
    assert "Interrupted" in out.getvalue() and "1 graded (1 nailed" in out.getvalue()
    assert len(cards(progress)) == 1


# --------------------------------------------------------------------------- real processes
def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        INTERVIEW_LAB_HOME=str(home), INTERVIEW_LAB_TODAY="2026-01-05", PYTHONIOENCODING="utf-8"
    )
    env.pop("INTERVIEW_LAB_DATA", None)
    return env


def test_through_a_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "interview_lab",
            "drill",
            "--area",
            "security",
            "--count",
            "2",
            "--seed",
            "1",
        ],
        input="r\nn\nr\np\n",
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = drill.pick_session(BANK, drill.Progress(), DAY, count=2, areas=["security"], seed=1)
    saved = cards(tmp_path / "drill-progress.json")
    assert {card: (s["box"], s["last_grade"]) for card, s in saved.items()} == {
        expected[0].id: (2, "nailed"),
        expected[1].id: (1, "partial"),
    }
    assert "Session over: 2 graded (1 nailed, 1 partial, 0 missed), 0 skipped." in flat(done.stdout)


def _read_until_exit(master: int, process: subprocess.Popen, timeout_s: float) -> str:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_through_a_pseudo_terminal(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interview_lab",
            "drill",
            "--area",
            "scripting",
            "--count",
            "3",
            "--seed",
            "2",
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(tmp_path),
        close_fds=True,
    )
    os.close(slave)
    try:
        os.write(master, b"r\nm\nr\nn\nq\n")
        output = _read_until_exit(master, process, timeout_s=60)
        status = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert status == 0, output
    assert "Time budget 2:00" in output
    assert "Session over: 2 graded (1 nailed, 0 partial, 1 missed), 0 skipped." in flat(output)
    expected = drill.pick_session(BANK, drill.Progress(), DAY, count=3, areas=["scripting"], seed=2)
    saved = cards(tmp_path / "drill-progress.json")
    assert {card: s["box"] for card, s in saved.items()} == {expected[0].id: 1, expected[1].id: 2}
    assert (
        saved[expected[0].id]["due"] == "2026-01-06"
        and saved[expected[1].id]["due"] == "2026-01-07"
    )
