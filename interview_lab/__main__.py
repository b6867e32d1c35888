"""Command line of the course: ``interview-lab COMMAND ...`` (or ``python -m interview_lab``).

The console script ``interview-lab`` is installed in the course's environment, so
``.venv/bin/interview-lab drill`` runs from any new terminal, without an activated environment.
Each command lives in its own module and is imported only when it runs, so
``interview-lab dora`` does not pay for nbgrader, and the other way round. A command whose
module this copy of the package does not hold (the instructor's commands, in the learner's
edition) is not offered. Exit status: 0 success, 1 the work failed in part (e.g. some
submissions could not be graded), 2 bad usage (no command, an unknown one) or bad input.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

# command -> (module, function, one-line help); the function takes the remaining argv.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "dora": ("interview_lab.dora_cli", "main", "the four keys of a deployment log"),
    "release": ("interview_lab.instructor.cli", "release_main", "regenerate release/ from source/"),
    "grade": ("interview_lab.instructor.cli", "grade_main", "autograde collected submissions"),
    "feedback": ("interview_lab.instructor.cli", "feedback_main", "feedback HTML for graded students"),
    "report": ("interview_lab.instructor.cli", "report_main", "score distribution and pass rates"),
    "export": ("interview_lab.instructor.cli", "export_main", "gradebook import CSV for Canvas or Moodle"),
    "collect-zip": ("interview_lab.instructor.cli", "collect_zip_main", "submissions from a Canvas or Moodle bulk download"),
    "learner-copy": ("interview_lab.edition", "main", "write the learner's edition of the course"),
    "drill": ("interview_lab.drill_cli", "main", "mock-interview drill in the terminal"),
}


def _ships(module_name: str) -> bool:
    """Whether this copy of the package holds ``module_name`` (without importing the module)."""
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # its parent package is not there either
        return False


def available() -> dict[str, tuple[str, str, str]]:
    """The commands this copy of the course can run."""
    return {name: entry for name, entry in COMMANDS.items() if _ships(entry[0])}


def _program() -> str:
    return "interview-lab" if Path(sys.argv[0]).name == "interview-lab" else "python -m interview_lab"


def short_usage() -> str:
    """One line: what to type, and where the list of commands is."""
    prog = _program()
    return f"usage: {prog} COMMAND [options] (COMMAND: {', '.join(available())}; `{prog} --help` describes them)"


def usage() -> str:
    prog = _program()
    lines = [f"usage: {prog} COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<13} {text}" for name, (_, _, text) in available().items()]
    lines.append("")
    lines.append(f"`{prog} COMMAND --help` shows a command's options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(short_usage(), file=sys.stderr)
        return 2
    if args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name in COMMANDS and name not in available():
        print(f"{name!r} is one of the instructor's commands; this copy of the course (the "
              f"learner's edition) does not include them\n{short_usage()}", file=sys.stderr)
        return 2
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n{short_usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = COMMANDS[name]
    function = getattr(importlib.import_module(module_name), function_name)
    return int(function(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
