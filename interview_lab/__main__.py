"""Command line of the course: ``python -m interview_lab COMMAND ...``.

Each command lives in its own module and is imported only when it runs, so
``python -m interview_lab dora`` does not pay for nbgrader, and the other way round.
Exit status: 0 success, 1 the work failed in part (e.g. some submissions could not be
graded), 2 bad usage or bad input.
"""

from __future__ import annotations

import importlib
import sys

# command -> (module, function, one-line help); the function takes the remaining argv.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "dora": ("interview_lab.dora_cli", "main", "the four keys of a deployment log"),
    "release": ("interview_lab.instructor.cli", "release_main", "regenerate release/ from source/"),
    "grade": ("interview_lab.instructor.cli", "grade_main", "autograde collected submissions"),
    "feedback": ("interview_lab.instructor.cli", "feedback_main", "feedback HTML for graded students"),
    "report": ("interview_lab.instructor.cli", "report_main", "score distribution and pass rates"),
    "learner-copy": ("interview_lab.edition", "main", "write the learner's edition of the course"),
    "drill": ("interview_lab.drill_cli", "main", "mock-interview drill in the terminal"),
}


def usage() -> str:
    lines = ["usage: python -m interview_lab COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<13} {text}" for name, (_, _, text) in COMMANDS.items()]
    lines.append("")
    lines.append("`python -m interview_lab COMMAND --help` shows a command's options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = COMMANDS[name]
    function = getattr(importlib.import_module(module_name), function_name)
    return int(function(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
