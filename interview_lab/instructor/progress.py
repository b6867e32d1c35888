"""A progress bar for grading: one redrawn line on a terminal, plain lines otherwise."""

from __future__ import annotations

import re
import sys
import time
from typing import TextIO

# C0 controls, DEL and C1 controls: ESC starts terminal escape sequences, and some terminals
# take the single-byte CSI (U+009B) for one too. Lone surrogates are the bytes of a file name
# that is not UTF-8 (Python's surrogateescape); printed as they are, they raise an error.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # the byte a file name held
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with its control characters written as escapes (ESC as ``\\x1b``), for anything
    printed to the terminal that comes from a submission or a student id: the names of its files
    or a crafted id then cannot move the cursor, recolour or retitle the instructor's terminal."""
    return _CONTROL.sub(_escape, str(text))


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
            self.stream.write(printable(detail) + "\n")
        self.stream.flush()

    def advance(self, student: str, ok: bool, detail: str) -> None:
        self.done += 1
        if not ok:
            self.failed += 1
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(f"[{self.done}/{self.total}] {printable(student)}: {printable(detail)}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
