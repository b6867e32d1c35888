"""``python -m interview_lab drill``: the mock-interview drill in a terminal.

One question at a time. Answer it aloud within the time budget shown (2 minutes, 45 for
system design; nothing waits for the clock), then type a key and Enter:

    r  reveal the key points and the interviewer's follow-up
    m  missed    p  partial    n  nailed      (grade yourself after revealing)
    s  skip the question        q  quit (progress is saved after every grade)

Keys are read line by line from standard input, so the drill works in a terminal, through a
pseudo-terminal and through a pipe (``printf 'r\\nn\\nq\\n' | python -m interview_lab drill``).
The scheduler and the progress file are those of :mod:`interview_lab.drill`, shared with the
notebook's widget; each grade is saved at once (the file locked only while it is rewritten),
so two drills on the same file keep each other's grades. When the progress cannot be saved
(a read-only folder, say), one line on stderr says so, the session goes on and its grades
are kept in memory, then saved together as soon as saving works again.

Flashcards to take away: ``--export-anki FILE.apkg`` writes every card of the bank as an Anki
package and ``--export-html FILE.html`` as a printable page with the answers folded, then the
command ends without a session (:mod:`interview_lab.flashcards`; ``--bank``, ``--area`` and
``--round`` choose the cards). A re-import into Anki updates the cards it already has.

Exit status: 0 done; 2 bad options, an unusable question bank or progress file (one line on
stderr, never a traceback), or a session that ended with grades it could not save (they are
listed on stdout); 130 interrupted with Ctrl-C (progress so far is kept).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from interview_lab import drill, settings

KEYS: dict[str, str] = {
    "r": "reveal",
    "reveal": "reveal",
    "m": "missed",
    "missed": "missed",
    "p": "partial",
    "partial": "partial",
    "n": "nailed",
    "nailed": "nailed",
    "s": "skip",
    "skip": "skip",
    "q": "quit",
    "quit": "quit",
}
KEY_HELP = "Keys (then Enter): r reveal, m missed, p partial, n nailed, s skip, q quit."
WIDTH = 78


def one_line(text: str) -> str:
    """A message as one printable line: its lines joined, control characters escaped."""
    joined = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in joined)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not the usage block and the message
        self.exit(2, f"drill: {one_line(message)} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m interview_lab drill",
        description="Mock-interview drill: answer aloud, reveal the key points, grade yourself.",
        epilog=KEY_HELP,
    )
    parser.add_argument(
        "--area",
        action="extend",
        nargs="+",
        metavar="AREA",
        help="practise only these areas (repeatable; e.g. cicd containers 'system design')",
    )
    parser.add_argument(
        "--round", dest="round_name", metavar="ROUND", help="practise one round only"
    )
    parser.add_argument(
        "--count", type=int, default=10, help="questions in the session (default 10)"
    )
    parser.add_argument(
        "--progress", type=Path, metavar="FILE", help="progress file (default: learner folder)"
    )
    parser.add_argument(
        "--bank", type=Path, metavar="CSV", help="question bank (default: data/questions.csv)"
    )
    parser.add_argument(
        "--seed", type=int, help="order of equally urgent questions (default: from the date)"
    )
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", help="the date to schedule from (default: today)"
    )
    parser.add_argument(
        "--export-anki",
        type=Path,
        metavar="FILE.apkg",
        help="write the cards as an Anki package and end (no session)",
    )
    parser.add_argument(
        "--export-html",
        type=Path,
        metavar="FILE.html",
        help="write the cards as a printable page, answers folded, and end (no session)",
    )
    return parser


def export(args: argparse.Namespace, out: TextIO) -> None:
    """Write the flashcard files named by ``--export-anki`` and ``--export-html``.

    Raises ``ValueError`` (a bad bank, area, round or output path) with a sentence.
    """
    from interview_lab import flashcards  # genanki is needed by the export only

    cards = flashcards.load_cards(args.bank)
    if args.area is not None or args.round_name is not None:
        chosen = {q.id for q in drill.filter_bank([c.question for c in cards], args.area,
                                                   args.round_name)}
        cards = tuple(c for c in cards if c.question.id in chosen)
        if not cards:
            raise ValueError("no card of the bank is in the chosen areas and round")
    if args.export_anki is not None:
        written = flashcards.write_anki(cards, args.export_anki)
        print(f"Wrote {len(cards)} cards to {written} (in Anki: File > Import; importing a "
              "newer export updates these cards)", file=out)
    if args.export_html is not None:
        written = flashcards.write_html(cards, args.export_html)
        print(f"Wrote {len(cards)} cards to {written} (open it in a browser; answers folded)",
              file=out)


class _Session:
    """The running state of one terminal session (kept small; the arithmetic is in drill)."""

    def __init__(self, out: TextIO, keys: TextIO, err: TextIO, path: Path) -> None:
        self.out = out
        self.keys = keys
        self.err = err
        self.path = path
        self.grades: list[str] = []
        self.skipped = 0
        self.pending: list[drill.Grade] = []  # given but not saved yet
        self.failure_told = False  # the one line on stderr about saving has been printed
        self.failing = False  # the last try to save (or the check before the session) failed

    def tell_failure(self, reason: str) -> None:
        """The one stderr line of a session whose progress cannot be saved."""
        self.failing = True
        if not self.failure_told:
            self.failure_told = True
            print(
                f"drill: cannot save progress to {self.path}: {one_line(reason)}; this "
                "session's grades are kept in memory and saved as soon as that works",
                file=self.err,
            )
            self.err.flush()

    def save(
        self, progress: drill.Progress, now: datetime
    ) -> tuple[drill.Progress, list[str]]:
        """Save the pending grades; returns the progress to go on with and notices."""
        try:
            saved, _, notices = drill.save_grades(self.path, self.pending, now)
        except OSError as error:
            self.tell_failure(drill.save_problem(error, self.path))
            return progress, []
        except ValueError as error:  # the file was replaced by a pipe, say
            self.tell_failure(str(error))
            return progress, []
        if self.failing:
            count = len(self.pending)
            notices = [*notices, f"Saved the {count} grade{'s' if count != 1 else ''} kept in "
                       "memory."]
            self.failing = False
        self.pending.clear()
        return saved, notices

    def say(self, text: str = "", indent: str = "") -> None:
        hanging = " " * (len(indent) or 3)
        for paragraph in text.split("\n") if text else [""]:
            lines = textwrap.wrap(
                paragraph, WIDTH, initial_indent=indent, subsequent_indent=hanging
            )
            for line in lines or [""]:
                print(line, file=self.out)
        self.out.flush()

    def ask(self) -> str | None:
        """The next key, or None at the end of input."""
        while True:
            print("> ", end="", file=self.out)
            self.out.flush()
            line = self.keys.readline()
            if line == "":
                print(file=self.out)
                return None
            word = line.strip().lower()
            if not word:
                continue
            if word in KEYS:
                return KEYS[word]
            self.say(f"Unknown key {word!r}. {KEY_HELP}")


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    now: Callable[[], datetime] = datetime.now,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run a drill session; returns the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    keys = stdin or sys.stdin
    if stdin is None and hasattr(keys, "reconfigure"):
        keys.reconfigure(errors="replace")  # a stray byte is an unknown key, not a crash
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as stop:  # argparse has printed its help or its complaint
        return int(stop.code or 0)
    if args.export_anki is not None or args.export_html is not None:
        try:
            export(args, out)
        except ValueError as error:
            print(f"drill: {one_line(str(error))}", file=err)
            return 2
        return 0
    if args.seed is not None and args.seed < 0:
        print(f"drill: --seed must be 0 or more, got {args.seed}", file=err)
        return 2
    try:
        on = date.fromisoformat(args.today) if args.today else settings.today()
    except ValueError:
        print(f"--today must be a date like 2026-01-05, got {one_line(repr(args.today))}",
              file=err)
        return 2
    try:
        drill.check_day(on, "--today" if args.today else "today's date")
        bank = drill.load_bank(args.bank)
        areas = drill.resolve_areas(args.area) if args.area is not None else None
        round_name = drill.resolve_round(args.round_name)
        path = args.progress or drill.default_progress_path()
        loaded = drill.load_progress(path, now())
        seed = args.seed if args.seed is not None else on.toordinal()
        session = drill.pick_session(
            bank,
            loaded.progress,
            on,
            count=args.count,
            areas=areas,
            round_name=round_name,
            seed=seed,
        )
    except (ValueError, OverflowError) as error:
        print(f"drill: {one_line(str(error))}", file=err)
        return 2
    except OSError as error:
        where = getattr(error, "filename", None)
        reason = error.strerror or str(error)
        print(f"drill: {one_line(f'{where}: {reason}' if where else reason)}", file=err)
        return 2
    if loaded.notice:
        print(f"drill: {one_line(loaded.notice)}", file=err)
    terminal = _Session(out, keys, err, Path(path))
    progress = loaded.progress
    mix = drill.session_mix(session, progress, on)
    terminal.say(
        f"Mock-interview drill for {on:%a %Y-%m-%d}: {len(session)} question(s), "
        f"{mix['due']} due for review and {mix['new']} new."
    )
    terminal.say(f"Progress file: {path}")
    if not session:
        terminal.say("Nothing to practise with these filters: every card is scheduled for later.")
        coming = drill.next_review(bank, progress, on)
        if coming is not None:
            terminal.say(f"Next reviews: {coming[1]} card(s) on {coming[0]:%a %Y-%m-%d}.")
        return 0
    reason = drill.can_save(path)
    if reason is not None:
        terminal.tell_failure(reason)
    terminal.say(KEY_HELP)
    interrupted = False
    try:
        progress = _run(terminal, session, progress, on, now, clock)
    except KeyboardInterrupt:
        interrupted = True
        terminal.say()
        if terminal.pending:
            progress, _ = terminal.save(progress, now())
        if not terminal.pending:
            terminal.say("Interrupted: the grades given so far are saved.")
    if terminal.pending:  # one more try: the folder may have been fixed meanwhile
        progress, notices = terminal.save(progress, now())
        for notice in notices:
            terminal.say(notice)
    terminal.say()
    terminal.say(drill.session_summary(terminal.grades, terminal.skipped, bank, progress, on))
    if terminal.pending:
        unsaved = ", ".join(f"{g.card} {g.grade}" for g in terminal.pending)
        terminal.say(
            f"NOT SAVED: {len(terminal.pending)} grade(s) could not be written to {path} "
            f"({unsaved}). Make its folder writable and grade them again."
        )
        return 130 if interrupted else 2
    return 130 if interrupted else 0


def _run(
    terminal: _Session,
    session: Sequence[drill.Question],
    progress: drill.Progress,
    on: date,
    now: Callable[[], datetime],
    clock: Callable[[], float],
) -> drill.Progress:
    for number, question in enumerate(session, start=1):
        terminal.say()
        terminal.say(
            f"[{number}/{len(session)}] {question.area} - {question.round} - "
            f"difficulty {question.difficulty} - {drill.describe_status(progress, question.id, on)}"
        )
        terminal.say(question.question, indent="Q: ")
        budget = question.time_budget_s
        terminal.say(f"Time budget {drill.format_duration(budget)}: answer aloud, then press r.")
        started = clock()
        revealed = False
        while True:
            action = terminal.ask()
            if action is None or action == "quit":
                return progress
            if action == "reveal":
                if not revealed:
                    took = drill.format_duration(max(clock() - started, 0.0))
                    terminal.say(f"You took {took} of {drill.format_duration(budget)}.")
                revealed = True
                terminal.say("Key points of a strong answer:")
                for index, point in enumerate(question.key_points, start=1):
                    terminal.say(point, indent=f"  {index}. ")
                terminal.say(question.follow_up, indent="Follow-up: ")
                terminal.say(f"Taught in notebooks/{question.section}.ipynb")
                terminal.say("Grade yourself: m missed, p partial, n nailed (s skip, q quit).")
            elif action == "skip":
                terminal.skipped += 1
                terminal.say("Skipped: the card keeps its schedule.")
                break
            elif not revealed:
                terminal.say("Reveal the key points first (r), then grade your answer.")
            else:
                terminal.pending.append(drill.Grade(question.id, action, on))
                terminal.grades.append(action)
                in_memory = drill.record(progress, question.id, action, on)
                progress, notices = terminal.save(in_memory, now())
                for notice in notices:
                    terminal.say(notice)
                review = next(r for r in reversed(progress.log) if r.card == question.id)
                terminal.say(drill.describe_move(review, progress.cards[question.id]))
                break
    return progress


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
