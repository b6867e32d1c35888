"""``python -m interview_lab release | grade | feedback | report``: the instructor's commands.

Exit status: 0 when everything asked for was done, 1 when some of it failed (e.g. some
submissions could not be graded; the summary says which and why), 2 for bad usage (unknown
assignment or student, a refusal such as feedback before the due date).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path

from .course import Course, environment_with_bin, generate_assignment, now_utc, quiet_logger
from .progress import printable


class UsageError(Exception):
    """Bad usage: the message is printed and the command exits 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would sys.exit(2); raise instead
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")


def _parser(name: str, description: str) -> _Parser:
    parser = _Parser(prog=f"python -m interview_lab {name}", description=description)
    parser.add_argument("--course", default=None,
                        help="the course folder (default: the current folder, else the package's course)")
    return parser


def _course(option: str | None) -> Course:
    if option:
        return Course.at(option)
    here = Path.cwd()
    if (here / "nbgrader_config.py").is_file():
        return Course.at(here)
    from interview_lab.settings import course_root

    return Course.at(course_root())


def _known_assignment(course: Course, assignment: str) -> None:
    known = course.assignments()
    if assignment not in known:
        raise UsageError(
            f"no assignment {assignment!r} in {course.folder('source')}"
            + (f"; known: {', '.join(known)}" if known else "")
        )


def _run(body, argv: list[str]) -> int:
    os.environ["PATH"] = environment_with_bin()["PATH"]  # nbgrader runs alembic by name
    # jsonschema (imported by nbformat and nbgrader) compiles 38 grammars at import when the
    # optional rfc3987-syntax package is installed: about 2.5 s of CPU, only to check the "iri"
    # string format, which no notebook or nbgrader schema uses. Skip it in this process.
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
    try:
        return body(argv)
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)


# --------------------------------------------------------------------------- release


def release_main(argv: list[str]) -> int:
    """Regenerate ``release/`` from ``source/`` with nbgrader (generate_assignment --force)."""

    def body(argv: list[str]) -> int:
        parser = _parser("release", "Regenerate release/ from source/ with nbgrader.")
        parser.add_argument("assignments", nargs="*", help="assignment ids (default: all under source/)")
        args = parser.parse_args(argv)
        course = _course(args.course)
        targets = args.assignments or course.assignments()
        if not targets:
            raise UsageError(f"no assignments under {course.folder('source')}")
        for assignment in targets:
            _known_assignment(course, assignment)
        failed = 0
        for assignment in targets:
            try:
                warnings = generate_assignment(course, assignment)
            except RuntimeError as error:
                failed += 1
                print(f"{assignment}: FAILED: {error}")
                continue
            shown = [w.splitlines()[0] for w in warnings if "Removing existing" not in w]
            print(f"release/{assignment}: regenerated" + (f" ({'; '.join(shown)})" if shown else ""))
        return 1 if failed else 0

    return _run(body, argv)


# --------------------------------------------------------------------------- grade


def _jobs(value: str, kernels: str = "fresh") -> int:
    from .forked import auto_jobs

    if value == "auto":
        return auto_jobs(kernels)
    try:
        jobs = int(value)
    except ValueError:
        raise UsageError(f"--jobs must be a whole number or 'auto', got {value!r}") from None
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    return jobs


def summary_table(outcomes) -> str:
    """The summary: student, score, max, status (graded / failed: reason), one line each.
    Ids and statuses (which name a submission's files) are shown with control characters escaped."""
    rows = [("student", "score", "max", "status")]
    for outcome in sorted(outcomes, key=lambda o: o.student):
        score = "-" if outcome.score is None else f"{outcome.score:g}"
        maximum = f"{outcome.max_score:g}" if outcome.max_score else "-"
        rows.append((printable(outcome.student), score, maximum, printable(outcome.status)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def grade_main(argv: list[str]) -> int:
    """Autograde every collected submission of an assignment, N at once."""

    def body(argv: list[str]) -> int:
        parser = _parser("grade", "Autograde every submission under submitted/ with nbgrader.")
        parser.add_argument("assignment")
        parser.add_argument("--jobs", default="auto", help="submissions graded at once: a number or 'auto' (one per core; two per "
                                 "core with forked kernels)")
        parser.add_argument("--student", nargs="+", action="extend", default=[], metavar="ID",
                            help="grade only these students")
        parser.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                            help="cell timeout (default: Execute.timeout from nbgrader_config.py)")
        parser.add_argument("--no-sandbox", action="store_true",
                            help="grade without the kernels' Linux namespaces (only where none are "
                                 "available; prints what is then not defended)")
        parser.add_argument("--kernels", choices=("forked", "fresh"), default=None,
                            help="forked: each kernel is a child of one fork server that imported the "
                                 "libraries once (default on Linux); fresh: a new Python process per "
                                 "kernel (default elsewhere)")
        parser.add_argument("--csv", default=None, help="where to write grades.csv (default: the course folder)")
        parser.add_argument("--timings", default=None, metavar="FILE",
                            help="write where each submission's time went (JSON), for profiling")
        args = parser.parse_args(argv)
        from .forked import default_mode

        args.kernels = args.kernels or default_mode()
        if not args.no_sandbox:
            from .sandbox import sandbox_problem

            problem = sandbox_problem(args.kernels)
            if problem:
                raise UsageError(f"cannot sandbox the grading kernels: {problem}; grade on a Linux "
                                 "machine that allows namespaces, or pass --no-sandbox (not defended then)")
        jobs = _jobs(args.jobs, args.kernels)
        course = _course(args.course)
        if not args.no_sandbox and course.config().IsolatedExecute.get("transport") == "tcp":
            from .isolation import SANDBOX_NEEDS_IPC

            raise UsageError(SANDBOX_NEEDS_IPC)
        if args.timeout is not None and args.timeout < 1:
            raise UsageError(f"--timeout must be at least 1 second, got {args.timeout}")
        fork_server = None
        if args.kernels == "forked":
            # Launched before the checks and imports below (about two seconds of nbgrader,
            # nbconvert and SQLAlchemy), so that the server's own imports run meanwhile.
            from .forked import launch_for_course

            with contextlib.suppress(OSError, ValueError):  # the run tries again and says why
                fork_server = launch_for_course(course, assignment=args.assignment)
        try:
            _known_assignment(course, args.assignment)
            found = course.submitted_students(args.assignment)
            students = args.student or found
            unknown = sorted(set(students) - set(found))
            if unknown:
                raise UsageError(f"no submission of {args.assignment} for: {', '.join(unknown)}")
            if not students:
                raise UsageError(f"no submissions under {course.folder('submitted')}/*/{args.assignment}/")
            return _grade(course, args.assignment, sorted(set(students)), jobs, args, fork_server)
        finally:
            if fork_server is not None:
                fork_server.stop()

    return _run(body, argv)


def _grade(course: Course, assignment: str, students: list[str], jobs: int, args, fork_server=None) -> int:
    from .isolation import leased_users, running_as_root
    from .parallel import GradingRun, export_grades, quiet_warnings
    from .progress import Progress

    quiet_warnings()
    jobs = min(jobs, len(students))
    progress = Progress(len(students))
    progress.start(f"grading {len(students)} submissions of {assignment}, {jobs} at a time"
                   f" ({args.kernels} kernels)")

    def shown(outcome) -> None:
        detail = (f"{outcome.score:g}/{outcome.max_score:g}" if outcome.graded else outcome.status)
        progress.advance(outcome.student, outcome.graded, detail)

    run = GradingRun(course, assignment, students, jobs, None, args.timeout, on_result=shown,
                     kernels=args.kernels, fork_server=fork_server, namespaces=not args.no_sandbox)
    if args.no_sandbox:
        from .sandbox import NOT_DEFENDED_WITHOUT_SANDBOX

        print(f"warning: {NOT_DEFENDED_WITHOUT_SANDBOX}", file=sys.stderr)
    run.prepare()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_terminate_cleanly())
        if running_as_root():
            try:
                run.users = stack.enter_context(leased_users(jobs))
            except RuntimeError as error:
                progress.finish()
                print(f"error: {error}", file=sys.stderr)
                return 2
            if args.no_sandbox:
                from .sandbox import unsandboxed_user_problem

                problem = unsandboxed_user_problem(run.users[0].uid, run.users[0].gid)
                if problem:
                    progress.finish()
                    print(f"error: {problem}", file=sys.stderr)
                    return 2
        outcomes = run.run()
    progress.finish()
    for message in run.messages:
        print(printable(message), file=sys.stderr)
    if args.timings:
        Path(args.timings).write_text(json.dumps(
            {o.student: {"graded": o.graded, **o.timings} for o in outcomes.values()}, indent=1))
    csv_path = Path(args.csv) if args.csv else course.root / "grades.csv"
    export_grades(course, csv_path)
    print(summary_table(outcomes.values()))
    failed = [o for o in outcomes.values() if not o.graded]
    print(f"\n{len(outcomes) - len(failed)} graded, {len(failed)} failed; grades: {csv_path}")
    return 1 if failed else 0


@contextlib.contextmanager
def _terminate_cleanly():
    """Turn SIGTERM (``kill``, ``timeout``) into an exit that runs the clean-up: kernels killed,
    permissions given back. (Only ``kill -9`` skips it; the next run then undoes what it can.)"""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- feedback


def feedback_main(argv: list[str]) -> int:
    """nbgrader's feedback HTML for every graded student, once the due date has passed."""

    def body(argv: list[str]) -> int:
        from nbgrader.converters import GenerateFeedback, NbGraderException

        parser = _parser("feedback", "Feedback HTML (with the hidden tests) for every graded student.")
        parser.add_argument("assignment")
        parser.add_argument("--force", action="store_true",
                            help="generate before the due date (students who have not submitted yet "
                                 "would see the hidden tests)")
        parser.add_argument("--student", nargs="+", action="extend", default=[], metavar="ID")
        args = parser.parse_args(argv)
        course = _course(args.course)
        _known_assignment(course, args.assignment)
        due = course.due_date(args.assignment)
        if not args.force:
            if due is None:
                raise UsageError(
                    f"{args.assignment} has no due date in the gradebook, so feedback (which shows "
                    "the hidden tests) could reach students who have not submitted yet. Set one with "
                    f"`nbgrader db assignment add {args.assignment} --duedate=\"2026-03-01 17:00 UTC\"` "
                    "or pass --force"
                )
            if now_utc() < due:
                raise UsageError(
                    f"{args.assignment} is due {due:%Y-%m-%d %H:%M} UTC: feedback shows the hidden "
                    "tests, so it waits for the due date (pass --force to override)"
                )
        autograded = course.folder("autograded")
        graded = sorted(p.parent.name for p in autograded.glob(f"*/{args.assignment}") if p.is_dir())
        students = [s for s in graded if not args.student or s in args.student]
        if not students:
            raise UsageError(f"no graded submissions of {args.assignment}: run grade first")
        failed = 0
        for student in students:
            cfg = course.config(**{"BaseConverter.force": True})
            cd = course.coursedir(cfg, assignment_id=args.assignment, student_id=student)
            log, handler = quiet_logger("feedback")
            try:
                GenerateFeedback(coursedir=cd, config=cfg, log=log).start()
            except NbGraderException:
                failed += 1
                reason = next((m.splitlines()[0] for m in handler.messages() if m.strip()), "unknown error")
                print(f"{printable(student)}: FAILED: {printable(reason)}")
                continue
            out = course.folder("feedback") / student / args.assignment
            print(printable(f"{student}: " + ", ".join(str(p.relative_to(course.root))
                                                       for p in sorted(out.glob("*.html")))))
        return 1 if failed else 0

    return _run(body, argv)


# --------------------------------------------------------------------------- report


def report_main(argv: list[str]) -> int:
    """Score distribution (PNG) and pass rate per graded cell (CSV) of an assignment."""

    def body(argv: list[str]) -> int:
        from .report import write_report

        parser = _parser("report", "Score distribution and pass rate per graded cell.")
        parser.add_argument("assignment")
        parser.add_argument("--out", default=None, help="output folder (default: reports/ASSIGNMENT)")
        args = parser.parse_args(argv)
        course = _course(args.course)
        _known_assignment(course, args.assignment)
        out = Path(args.out) if args.out else course.root / "reports" / args.assignment
        png, csv, table = write_report(course, args.assignment, out)
        print(table.to_string(index=False))
        print(f"\n{png}\n{csv}")
        return 0

    return _run(body, argv)


# --------------------------------------------------------------------------- LMS: export, collect-zip


def _lms_options(parser: _Parser) -> None:
    from .lms import DEFAULT_ID_COLUMN, LMS_NAMES

    parser.add_argument("--lms", required=True, choices=LMS_NAMES)
    parser.add_argument("--roster", required=True, metavar="FILE",
                        help="the roster CSV downloaded from the LMS (Canvas: gradebook export; "
                             "Moodle: participants or grades export)")
    parser.add_argument("--id-column", default="", metavar="COLUMN",
                        help="the roster column holding the nbgrader student id (default: "
                             + ", ".join(f"{k} {v!r}" for k, v in DEFAULT_ID_COLUMN.items()) + ")")


def _nbgrader_app(app_class, course: Course, cfg, log):
    """An nbgrader application configured for ``course``, started the way its command line
    starts it (``initialize`` reads the course's nbgrader_config.py; ``cfg`` is applied last)."""
    app = app_class(config=cfg)
    with contextlib.chdir(course.root):
        app.initialize([])
    app.update_config(cfg)
    app.log = log
    return app


def _run_app(app, course: Course, handler) -> str | None:
    """Start an nbgrader app; the reason it failed, or None."""
    with contextlib.chdir(course.root):
        try:
            app.start()
        except SystemExit:  # nbgrader's fail(): the reason is in its log
            errors = handler.messages(logging.ERROR)
            return errors[-1].splitlines()[0] if errors else "unknown error"
    return None


def export_main(argv: list[str]) -> int:
    """The gradebook import CSV of Canvas or Moodle, written by nbgrader's export with the
    course's LmsExportPlugin."""

    def body(argv: list[str]) -> int:
        from nbgrader.apps import ExportApp

        from .lms import LmsExportPlugin

        parser = _parser("export", "Write the gradebook import CSV of Canvas or Moodle "
                                   "(final scores after the late penalty).")
        parser.add_argument("assignment")
        _lms_options(parser)
        parser.add_argument("--to", default=None, metavar="FILE",
                            help="the CSV to write (default: LMS-ASSIGNMENT.csv in the course folder)")
        args = parser.parse_args(argv)
        course = _course(args.course)
        _known_assignment(course, args.assignment)
        if not course.has_assignment_in_gradebook(args.assignment):
            raise UsageError(f"{args.assignment} is not in the gradebook yet: run grade first")
        roster = Path(args.roster).resolve()
        dest = Path(args.to).resolve() if args.to else course.root / f"{args.lms}-{args.assignment}.csv"
        cfg = course.config(**{
            "ExportApp.plugin_class": LmsExportPlugin,
            "ExportPlugin.to": str(dest),
            "ExportPlugin.assignment": [args.assignment],
            "LmsExportPlugin.lms": args.lms,
            "LmsExportPlugin.roster": str(roster),
            "LmsExportPlugin.id_column": args.id_column,
        })
        log, handler = quiet_logger("lms-export")
        from .parallel import quiet_warnings

        quiet_warnings()
        app = _nbgrader_app(ExportApp, course, cfg, log)
        failure = _run_app(app, course, handler)
        if failure:
            print(f"error: {printable(failure)}", file=sys.stderr)
            return 1
        problems = app.plugin_inst.problems
        for line in problems:
            print(printable(line), file=sys.stderr)
        print(f"{args.lms} grades of {args.assignment}: {dest}"
              + (f" ({len(problems)} students missing on one side, listed above)" if problems else ""))
        return 0

    return _run(body, argv)


NO_TIME_NOTE = ("note: a {lms} bulk download records no submission time, so without --timestamps "
                "no timestamp.txt is written and no late penalty applies")


def collect_zip_main(argv: list[str]) -> int:
    """Submissions from a Canvas or Moodle bulk download into submitted/<id>/<assignment>/,
    by nbgrader's zip_collect with the course's LmsCollectorPlugin."""

    def body(argv: list[str]) -> int:
        import shutil

        from nbgrader.apps import ZipCollectApp

        from .lms import DEFAULT_REGEXP, LmsCollectorPlugin

        parser = _parser("collect-zip", "Collect the notebooks of an LMS bulk download into submitted/.")
        parser.add_argument("assignment")
        parser.add_argument("zip", metavar="FILE.zip", help="the LMS's bulk download of the assignment")
        _lms_options(parser)
        parser.add_argument("--timestamps", default="", metavar="FILE",
                            help="CSV student,timestamp of submission times exported from the LMS "
                                 "(see the README); written to each timestamp.txt")
        parser.add_argument("--force", action="store_true",
                            help="replace submissions already under submitted/")
        args = parser.parse_args(argv)
        course = _course(args.course)
        _known_assignment(course, args.assignment)
        archive = Path(args.zip).resolve()
        if not archive.is_file() or archive.suffix != ".zip":
            raise UsageError(f"{args.zip}: not a .zip file")
        # nbgrader's work area for zip_collect: downloaded/ASSIGNMENT/{archive,extracted}, rebuilt here.
        work = course.root / "downloaded" / args.assignment
        for step in ("archive", "extracted"):
            shutil.rmtree(work / step, ignore_errors=True)
        (work / "archive").mkdir(parents=True)
        shutil.copy2(archive, work / "archive" / archive.name)
        cfg = course.config(**{
            "ZipCollectApp.collector_plugin": LmsCollectorPlugin,
            "ZipCollectApp.force": args.force,
            "CourseDirectory.assignment_id": args.assignment,
            "FileNameCollectorPlugin.named_regexp": DEFAULT_REGEXP[args.lms],
            "LmsCollectorPlugin.lms": args.lms,
            "LmsCollectorPlugin.roster": str(Path(args.roster).resolve()),
            "LmsCollectorPlugin.id_column": args.id_column,
            "LmsCollectorPlugin.timestamps": str(Path(args.timestamps).resolve()) if args.timestamps else "",
        })
        log, handler = quiet_logger("lms-collect")
        app = _nbgrader_app(ZipCollectApp, course, cfg, log)
        failure = _run_app(app, course, handler)
        plugin = app.collector_plugin_inst
        for line in plugin.unmatched if plugin is not None else []:
            print(printable(line), file=sys.stderr)
        if failure:
            print(f"error: {printable(failure)}", file=sys.stderr)
            return 1
        collected = plugin.collected
        for sid, notes in sorted(collected.items()):
            when = notes["timestamp"] or "no submission time"
            late = f" (marked LATE by {args.lms}: pass --timestamps for the penalty)" \
                if notes["late"] and not notes["timestamp"] else ""
            print(printable(f"{sid}: {course.folder('submitted').name}/{sid}/{args.assignment}/, {when}{late}"))
        if not args.timestamps:
            print(NO_TIME_NOTE.format(lms=args.lms))
        print(f"{len(collected)} collected, {len(plugin.unmatched)} files not collected")
        return 0

    return _run(body, argv)
