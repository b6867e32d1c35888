"""Property-based tests: the DORA command and the drill fed arbitrary bytes, rows and files.

Whatever the input, a run ends with exit status 0, or with 2 and exactly one line on stderr:
never a traceback (in-process, an exception escaping ``main`` fails the test), never a hang
(every example runs under a generous alarm, which is not a speed check: it only turns a
hang into a failure), never a lost grade. The DORA command is also checked against the
library reading the same files the other way (keeping the ids as text): same keys, or the
same one-line error. Example counts are kept modest so that the whole module adds well under
a minute to ``make test``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import string
import subprocess
import sys
import tempfile
import threading
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from interview_lab import dora, dora_cli, drill, drill_cli

ROOT = Path(__file__).resolve().parents[2]
HANG_S = 60  # a run taking this long is taken for a hang; normal runs take well under 1 s
NOW = datetime(2026, 1, 5, 9, 30, 0)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


@contextlib.contextmanager
def no_hang(seconds: float = HANG_S):
    """Raise TimeoutError in the test if the block has not finished after ``seconds``."""

    def expire(_signum, _frame):
        raise TimeoutError(f"no answer after {seconds} s: the run hangs")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(main, argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with no_hang(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def assert_exit_0_or_one_line(status: int, out: str, err: str, prefix: str) -> None:
    assert "Traceback" not in err, err
    assert status in (0, 2), (status, err)
    if status == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(prefix), err


# ===================================================================== DORA: the inputs

GOOD_STAMPS = ["2025-01-06T10:00:00Z", "2025-01-07T12:30:00+02:00", "2025-01-08T08:00:00-05:00",
               "2025-01-09T10:00:00", "2025-02-01", "2025-01-06T10:00:00.123456+05:30"]
ODD_STAMPS = ["9999-12-31T23:59:59+00:00", "1969-12-31T23:59:59Z", "2200-12-31T23:59:59Z",
              "2025-02-30T10:00:00Z", "NaN", "", "soon", "2025-01-06T25:00:00Z", "0001-01-01",
              "2025-01-06T10:00:00+99:00", "2025-01-06T10:00:00.99999999999999999999Z", "1e10"]
OFFSETS = st.sampled_from([UTC, None, timezone(timedelta(hours=-11)),
                           timezone(timedelta(hours=5, minutes=45))])
stamps = st.one_of(
    st.sampled_from(GOOD_STAMPS),
    st.sampled_from(ODD_STAMPS),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59),
                 timezones=OFFSETS).map(lambda d: d.isoformat()),
)
junk = st.text(alphabet=st.sampled_from(list(string.printable) + ['"', "é", "\u2028", "\x00"]),
               max_size=12)
cells = st.one_of(
    st.sampled_from(["d1", "d2", "d3", "d4", "", "c1", "i1", "api", "web", "success", "failed",
                     "ok"]),
    stamps,
    junk,
)
COLUMNS = {
    "deployments": list(dora.DEPLOYMENT_COLUMNS),
    "changes": list(dora.CHANGE_COLUMNS),
    "incidents": list(dora.INCIDENT_COLUMNS),
}


def quoted(cell: str, how: int) -> str:
    if how == 0 and not any(ch in cell for ch in ',"\n\r'):
        return cell
    if how == 2:  # as is, even if that breaks the row: quotes and commas included
        return cell
    return '"' + cell.replace('"', '""') + '"'


@st.composite
def tables(draw, table: str) -> bytes:
    """A CSV table: mostly the right columns and plausible cells, with every kind of damage."""
    columns = list(COLUMNS[table])
    change = draw(st.sampled_from(["none"] * 6 + ["shuffle", "drop", "extra", "rename"]))
    if change == "shuffle":
        columns = draw(st.permutations(columns))
    elif change == "drop":
        columns.pop(draw(st.integers(0, len(columns) - 1)))
    elif change == "extra":
        columns.append("note")
    elif change == "rename":
        columns[0] = draw(junk)
    good = [
        ["d1", "api", "2025-01-06T10:00:00Z", "success"],
        ["d2", "web", "2025-01-13T10:00:00Z", "failed"],
        ["d3", "api", "2025-01-20T10:00:00Z", "success"],
    ] if table == "deployments" else [
        ["c1", "d1", "2025-01-06T08:00:00Z"], ["c2", "d3", "2025-01-19T10:00:00Z"],
    ] if table == "changes" else [["i1", "d1", "2025-01-06T11:00:00Z", ""]]
    rows = [list(row) for row in good]
    for _ in range(draw(st.integers(0, 8))):
        width = len(columns) + draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        rows.append(draw(st.lists(cells, min_size=max(width, 0), max_size=max(width, 0))))
    if draw(st.booleans()):
        rows = draw(st.permutations(rows))
    how = draw(st.lists(st.integers(0, 2), min_size=1, max_size=4))
    ending = draw(st.sampled_from(["\n", "\n", "\r\n", "\n\n"]))
    lines = [",".join(quoted(c, how[(i + j) % len(how)] if j else 0) for j, c in enumerate(row))
             for i, row in enumerate([columns, *rows])]
    data = (ending.join(lines) + draw(st.sampled_from(["", ending]))).encode("utf-8")
    for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 4)) == 0 else 0):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


KINDS = st.sampled_from(["missing", "folder", "pipe", "empty", "under-a-file"]).map(
    lambda kind: ("kind", kind))


def files(table: str):
    return st.one_of(tables(table), tables(table), tables(table), tables(table),
                     st.binary(max_size=200), KINDS)


def place(folder: Path, name: str, content: bytes | tuple[str, str]) -> Path:
    """Put ``content`` (bytes, or ("kind", what)) at ``folder/name``; returns its path."""
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
        return path
    kind = content[1]
    if kind == "folder":
        path.mkdir()
    elif kind == "pipe":
        os.mkfifo(path)  # nobody ever writes to it
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "under-a-file":
        (folder / "plain").write_text("x")
        path = folder / "plain" / name
    return path


in_range = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30),
                       timezones=OFFSETS)
notes = st.text(alphabet=st.sampled_from(list("ab ,\"\n\r\u00e9\u2028")), max_size=10)


def render(draw, columns: list[str], rows: list[list[str]], damaged: bool) -> bytes:
    """A table as CSV bytes, columns in any order, maybe with a note column of cells that
    hold commas, quotes and line breaks; ``damaged``: one harm done to it."""
    order = draw(st.permutations(range(len(columns))))
    header = [columns[k] for k in order]
    body = [[row[k] for k in order] for row in rows]
    if draw(st.booleans()):
        header.append("note")
        body = [row + [draw(notes)] for row in body]
    if damaged:
        harm = draw(st.sampled_from(["drop", "row", "bytes", "fields", "quote"]))
        if harm == "drop":
            at = draw(st.integers(0, len(header) - 1))
            header.pop(at)
            body = [row[:at] + row[at + 1:] for row in body]
        elif harm == "row":
            body.insert(draw(st.integers(0, len(body))),
                        draw(st.lists(cells, min_size=len(header), max_size=len(header))))
        elif harm == "fields" and body:
            body[draw(st.integers(0, len(body) - 1))].append("extra")
        elif harm == "quote" and body:
            body[draw(st.integers(0, len(body) - 1))][0] = '"open'
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(quoted(c, 0 if c == '"open' else 1 if draw(st.booleans()) else 0)
                      if not (c == '"open') else c for c in row) for row in [header, *body]]
    if draw(st.booleans()) and len(lines) > 1:  # blank lines inside
        lines.insert(draw(st.integers(1, len(lines))), "")
    data = (ending.join(lines) + ending).encode("utf-8")
    if damaged and harm == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=2)) + data[at:]
    return data


@st.composite
def logs(draw) -> tuple[bytes, bytes, bytes]:
    """A whole log whose tables agree (ids, references, resolved after opened), each table
    left whole or damaged once."""
    shape = draw(st.sampled_from(["d{}", "deploy/{}", "\u00e9-{}", "{} x", "{}"]))
    ids = [shape.format(k) for k in range(draw(st.integers(1, 12)))]
    deployments = [[i, draw(st.sampled_from(["api", "web", "db \u00e9"])),
                    draw(in_range).isoformat(), draw(st.sampled_from(["success", "failed"]))]
                   for i in ids]
    pairs = draw(st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.sampled_from(ids)),
                          unique=True, max_size=8))
    changes = [[sha, deploy, draw(in_range).isoformat()] for sha, deploy in pairs]
    incidents = []
    for k in range(draw(st.integers(0, 5))):
        opened = draw(in_range)
        closed = draw(st.one_of(st.none(), st.integers(0, 10**6)))
        resolved = "" if closed is None or opened.year >= 2200 else (
            opened + timedelta(seconds=closed)).isoformat()
        incidents.append([f"i{k}", draw(st.sampled_from(["", *ids])), opened.isoformat(),
                          resolved])
    damage = draw(st.sampled_from([None, None, None, 0, 1, 2]))
    return tuple(
        render(draw, COLUMNS[name], rows, damage == k)
        for k, (name, rows) in enumerate((("deployments", deployments), ("changes", changes),
                                          ("incidents", incidents)))
    )


window = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(["2025-01-06", "2025-01-13T00:00:00+01:00",
                                                "2025-02-30", "9999-01-01", "1969-06-01", "x"]))


# ===================================================================== DORA: the properties


@settings(FUZZ, max_examples=60)
@given(log=st.one_of(logs(), logs(), logs(), st.tuples(files("deployments"), files("changes"),
                                                         files("incidents"))),
       start=window, end=window,
       service=st.one_of(st.none(), st.none(), st.none(), st.sampled_from(["api", "web"])),
       chunk_rows=st.integers(1, 5))
def test_the_dora_command_answers_any_log_in_one_line_and_as_the_library_does(
        log, start, end, service, chunk_rows):
    deployments, changes, incidents = log
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        paths = [place(folder, f"{name}.csv", content) for name, content in
                 (("deployments", deployments), ("changes", changes), ("incidents", incidents))]
        argv = ["--json", "--deployments", str(paths[0]), "--changes", str(paths[1]),
                "--incidents", str(paths[2])]
        for option, value in (("--start", start), ("--end", end), ("--service", service)):
            if value is not None:
                argv += [option, value]
        saved_rows = dora.CHUNK_ROWS
        dora.CHUNK_ROWS = chunk_rows
        try:
            status, out, err = call(dora_cli.main, argv)
            event(f"exit {status}")
            assert_exit_0_or_one_line(status, out, err, "error: ")
            if not all(p.is_file() for p in paths):
                return
            # the library, keeping ids as text, must agree
            expected, failure = None, None
            try:
                with no_hang(), warnings.catch_warnings():
                    warnings.simplefilter("ignore", dora.NaiveTimestampWarning)
                    keys = dora.four_keys(dora.load_log(*paths), start, end, service)
                expected = json.loads(json.dumps(keys.to_dict()))
            except (ValueError, OSError) as error:
                failure = error
        finally:
            dora.CHUNK_ROWS = saved_rows
        if expected is not None:
            assert status == 0, err
            assert json.loads(out) == expected
            assert all(line.startswith("warning: ") for line in err.splitlines())
        else:
            assert status == 2
            if isinstance(failure, ValueError):
                assert err.strip() == f"error: {dora_cli.one_line(str(failure))}"


@settings(FUZZ, max_examples=8)
@given(content=st.one_of(tables("deployments"), st.binary(max_size=300)))
def test_the_real_dora_command_never_prints_a_traceback(content):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        deployments = place(folder, "d.csv", content)
        changes = place(folder, "c.csv", b"commit_sha,deploy_id,committed_at\n")
        incidents = place(folder, "i.csv", b"incident_id,deploy_id,opened_at,resolved_at\n")
        done = subprocess.run(
            [sys.executable, "-m", "interview_lab", "dora", "--deployments", str(deployments),
             "--changes", str(changes), "--incidents", str(incidents)],
            capture_output=True, text=True, cwd=ROOT, timeout=HANG_S,
        )
    assert_exit_0_or_one_line(done.returncode, done.stdout, done.stderr, "error: ")


# ===================================================================== the drill: the inputs

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
GRADE_KEYS = ["r", "n", "m", "p"]
keys_typed = st.lists(
    st.sampled_from(GRADE_KEYS * 3 + ["s", "q", "", "x", "reveal", "NAILED", "\x1b[A", "é"]),
    max_size=30,
).map("\n".join)


@st.composite
def valid_progress(draw) -> str:
    progress, on = drill.Progress(), date(2026, 1, 1)
    for _ in range(draw(st.integers(0, 6))):
        on += timedelta(days=draw(st.integers(0, 3)))
        card = draw(st.sampled_from(["cicd-01", "cicd-02", "sd-01", "neg-01"]))
        progress = drill.record(progress, card, draw(st.sampled_from(drill.GRADES)), on)
    data = drill.progress_to_dict(progress)
    if draw(st.integers(0, 3)) == 0:  # damage one entry
        target = draw(st.sampled_from(["format", "version", "cards", "log"]))
        data[target] = draw(json_values)
    return json.dumps(data)


progress_files = st.one_of(
    valid_progress().map(str.encode), valid_progress().map(str.encode),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.binary(max_size=200),
    KINDS,
)
days = st.one_of(
    st.dates(min_value=drill.FIRST_DAY, max_value=drill.LAST_DAY).map(date.isoformat),
    st.sampled_from(["9999-12-31", "0001-01-01", "1969-12-31", "2200-12-31", "yesterday", ""]),
)


def progress_in(content: bytes | tuple[str, str]) -> drill.Progress | None:
    """The progress a file holds, or None when it holds none (not a file, not progress)."""
    if not isinstance(content, bytes):
        return None
    try:
        return drill.progress_from_json(content.decode("utf-8"))
    except (UnicodeDecodeError, drill.ProgressFileError):
        return None


def logged(path: Path) -> list[dict] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["log"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ===================================================================== the drill: the properties


@settings(FUZZ, max_examples=60)
@given(content=progress_files, keys=keys_typed, today=days, count=st.integers(1, 5),
       seed=st.integers(0, 50))
def test_the_drill_ends_in_one_line_or_keeps_every_grade(content, keys, today, count, seed):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        path = place(folder, "drill-progress.json", content)
        original = path.read_bytes() if path.is_file() else None
        before = progress_in(content)
        argv = ["--progress", str(path), "--count", str(count), "--seed", str(seed)]
        if today:
            argv += ["--today", today]
        status, out, err = _drill(argv, keys)
        event(f"exit {status}")
        assert_exit_0_or_one_line(status, out, err, "")
        flat = " ".join(out.split())
        set_aside = list(folder.glob("drill-progress.json.set-aside-*"))
        for aside in set_aside:  # what was set aside is exactly what was there
            assert aside.read_bytes() == original
        if "Session over:" not in flat:
            return
        graded = int(flat.split("Session over: ")[1].split(" graded")[0])
        assert graded <= count
        if "NOT SAVED" in flat:  # the grades are listed, and the run says it failed
            assert status == 2 and f"NOT SAVED: {graded} grade(s)" in flat
            return
        assert status == 0
        if graded == 0:
            return
        after = logged(path)
        assert after is not None, "the progress file is not readable progress after a session"
        kept = 0 if before is None or set_aside else len(before.log)
        assert len(after) == kept + graded


def _drill(argv: list[str], keys: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with no_hang():
        status = drill_cli.main(argv, stdin=io.StringIO(keys), stdout=out, stderr=err,
                                now=lambda: NOW, clock=lambda: 0.0)
    return status, out.getvalue(), err.getvalue()


@settings(FUZZ, max_examples=12)
@given(plan=st.lists(st.lists(st.tuples(st.sampled_from(["cicd-01", "cicd-02", "sd-01"]),
                                        st.sampled_from(drill.GRADES)), min_size=1, max_size=6),
                     min_size=2, max_size=4))
def test_drills_saving_at_the_same_time_lose_no_grade(plan):
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "drill-progress.json"
        errors: list[BaseException] = []
        start = threading.Barrier(len(plan))

        def session(grades) -> None:
            try:
                start.wait()
                for card, grade in grades:
                    drill.record_and_save(path, card, grade, date(2026, 1, 5), NOW)
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

        workers = [threading.Thread(target=session, args=(grades,)) for grades in plan]
        with no_hang():
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        assert errors == []
        log = logged(path)
        assert log is not None
        assert sorted((e["card"], e["grade"]) for e in log) == sorted(
            pair for grades in plan for pair in grades)
