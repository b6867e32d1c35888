"""A progress bar for grading: one redrawn line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts finished submissions and shows how far grading has got (on stderr by default)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 28) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self) -> str:
        filled = 0 if self.total == 0 else round(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        return (
            f"[{bar}] {self.done}/{self.total} graded"
            f"{f', {self.failed} failed' if self.failed else ''} · {elapsed:.1f} s"
        )

    def start(self, detail: str = "") -> None:
        if self.tty:
            self.stream.write("\r" + self.line())
        elif detail:
            self.stream.write(detail + "\n")
        self.stream.flush()

    def advance(self, student: str, ok: bool, detail: str) -> None:
        self.done += 1
        if not ok:
            self.failed += 1
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(f"[{self.done}/{self.total}] {student}: {detail}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
