"""Hostile and unlucky deployment logs: each is one line naming file, line and column.

Covers the reading of CSV files (``dora.load_log`` and ``python -m interview_lab dora``):
timestamps outside 1970 to 2200, quoted cells spanning lines, bytes that are not UTF-8,
unclosed quotes, named pipes, files above the size limit, and the chunked reading itself
(errors, repeats and warnings across chunks; the id-free log the command builds giving the
same keys as the full one, hash collisions included).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from interview_lab import dora, dora_cli
from interview_lab.dora import DoraInputError, InputTooLargeError, NaiveTimestampWarning

ROOT = Path(__file__).resolve().parents[2]
HEADER = "deploy_id,service,deployed_at,status\n"
GOOD = HEADER + "d1,api,2025-01-06T10:00:00Z,success\nd2,api,2025-01-07T10:00:00Z,failed\n"
CHANGES = "commit_sha,deploy_id,committed_at\nabc,d1,2025-01-06T09:00:00Z\n"
INCIDENTS = "incident_id,deploy_id,opened_at,resolved_at\ni1,d1,2025-01-06T10:30:00Z,\n"


def write(tmp_path: Path, deployments: str | bytes = GOOD, changes: str | bytes = CHANGES,
          incidents: str | bytes = INCIDENTS) -> list[Path]:
    paths = []
    for name, content in (("deployments.csv", deployments), ("changes.csv", changes),
                          ("incidents.csv", incidents)):
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        paths.append(path)
    return paths


def error_of(paths, **kwargs) -> DoraInputError:
    with pytest.raises(DoraInputError) as caught:
        dora.load_log(*paths, **kwargs)
    return caught.value


def cli(*args: str) -> tuple[int, str, list[str]]:
    done = subprocess.run([sys.executable, "-m", "interview_lab", "dora", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    return done.returncode, done.stdout, done.stderr.splitlines()


def files_args(paths) -> list[str]:
    return ["--deployments", str(paths[0]), "--changes", str(paths[1]),
            "--incidents", str(paths[2])]


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of three rows, so that small files cross chunk boundaries."""
    monkeypatch.setattr(dora, "CHUNK_ROWS", 3)


# --------------------------------------------------------------------- supported years


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59+00:00", "1969-12-31T23:59:59Z",
                                   "2201-01-01T00:00:00Z"])
def test_timestamps_outside_1970_to_2200_are_one_line_errors(tmp_path, stamp):
    paths = write(tmp_path, GOOD + f"d3,api,{stamp},success\n")
    error = error_of(paths)
    assert (error.line, error.column) == (4, "deployed_at")
    assert "outside the years 1970 to 2200" in str(error) and repr(stamp) in str(error)
    status, out, err = cli(*files_args(paths))
    assert status == 2 and out == "" and len(err) == 1
    assert err[0].startswith(f"error: {paths[0]}, line 4, column deployed_at: deployed_at ")


def test_the_last_second_of_2200_is_read(tmp_path):
    paths = write(tmp_path, GOOD + "d3,api,2200-12-31T23:59:59Z,success\n")
    result = dora.four_keys(dora.load_log(*paths))
    assert result.end == dora.to_utc("2201-01-01")
    status, out, err = cli(*files_args(paths))
    assert status == 0 and err == [] and "to 2201-01-01" in out


@pytest.mark.parametrize("column", ["committed_at", "opened_at", "resolved_at"])
def test_every_timestamp_column_has_the_range(tmp_path, column):
    changes, incidents = CHANGES, INCIDENTS
    if column == "committed_at":
        changes = CHANGES + "def,d1,3000-01-01T00:00:00Z\n"
        file, line = "changes.csv", 3
    else:
        opened, resolved = ("3000-01-01T00:00:00Z", "") if column == "opened_at" else (
            "2025-01-06T11:00:00Z", "3000-01-01T00:00:00Z")
        incidents = INCIDENTS + f"i2,d1,{opened},{resolved}\n"
        file, line = "incidents.csv", 3
    error = error_of(write(tmp_path, changes=changes, incidents=incidents))
    assert (Path(error.file).name, error.line, error.column) == (file, line, column)
    assert "outside the years" in str(error)


@pytest.mark.parametrize(("option", "value"), [("--start", "1969-06-01"), ("--end", "9999-01-01")])
def test_a_window_outside_the_years_is_one_line(option, value, capsys):
    assert dora_cli.main([option, value]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "outside the years 1970 to 2200" in err[0]


# --------------------------------------------------------------------- line numbers


def test_a_quoted_cell_spanning_lines_keeps_later_line_numbers(tmp_path):
    text = GOOD + 'd3,"shop\napi\nweb",2025-01-08T10:00:00Z,success\nd4,api,2025-01-08T11:00:00Z,ok\n'
    error = error_of(write(tmp_path, text))
    # header 1, d1 2, d2 3, d3 on 4 to 6, d4 on 7
    assert (error.line, error.column) == (7, "status")


def test_line_numbers_across_chunks_blank_lines_and_multi_line_cells(tmp_path, small_chunks):
    rows = [f"d{i},api,2025-01-0{1 + i % 9}T10:00:00Z,success\n" for i in range(1, 8)]
    rows[1] = 'd2,"multi\nline",2025-01-02T10:00:00Z,success\n'  # lines 3-4
    rows[4] = "\n\n" + rows[4]  # two blank lines before d5
    text = HEADER + "".join(rows) + "d8,api,soon,success\n"
    # header 1, d1 2, d2 3-4, d3 5, d4 6, blanks 7-8, d5 9, d6 10, d7 11, d8 12
    error = error_of(write(tmp_path, text))
    assert (error.line, error.column) == (12, "deployed_at")


@pytest.mark.parametrize("lean", [False, True])
def test_too_many_fields_after_a_multi_line_cell_names_the_true_line(tmp_path, lean):
    text = GOOD + 'd3,"a\nb",2025-01-08T10:00:00Z,success\nd4,api,2025-01-08T10:00:00Z,success,x\n'
    error = error_of(write(tmp_path, text), keep_ids=not lean)
    assert (error.line, error.column) == (6, None)
    assert "the row has 5 fields but the header has 4" in str(error)


def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path):
    text = GOOD + 'd3,"a\nb",2025-01-08T10:00:00Z,success\nd4,"api,2025-01-08T10:00:00Z,success\n'
    text += "d5,api,2025-01-09T10:00:00Z,success\n"
    error = error_of(write(tmp_path, text))
    assert error.line == 6 and "never closed" in str(error)
    status, _, err = cli(*files_args(write(tmp_path, text)))
    assert status == 2 and len(err) == 1 and ", line 6: a quoted cell" in err[0]


# --------------------------------------------------------------------- encodings


def test_a_byte_that_is_not_utf8_names_line_and_column(tmp_path):
    text = GOOD.encode() + b'd3,"two\nlines",2025-01-08T10:00:00Z,success\nd4,caf\xe9,2025-01-08T10:00:00Z,success\n'
    paths = write(tmp_path, text)
    error = error_of(paths)
    assert (error.line, error.column) == (6, "service")
    assert "byte 0xE9 is not UTF-8 text" in str(error)
    status, _, err = cli(*files_args(paths))
    assert status == 2 and err == [f"error: {paths[0]}, line 6, column service: byte 0xE9 is not "
                                   "UTF-8 text; save the file as UTF-8"]


def test_a_bad_byte_inside_a_multi_line_cell_names_its_own_line(tmp_path):
    text = GOOD.encode() + b'd3,"first\nsecond \xff",2025-01-08T10:00:00Z,success\n'
    error = error_of(write(tmp_path, text))
    assert (error.line, error.column) == (5, "service")


def test_a_bad_byte_in_the_header_and_utf16_files(tmp_path):
    error = error_of(write(tmp_path, b"deploy_id,serv\xe9ce,deployed_at,status\n"))
    assert (error.line, error.column) == (1, None) and "in the header" in str(error)
    error = error_of(write(tmp_path, GOOD.encode("utf-16")))
    assert error.line == 1 and "UTF-16" in str(error)


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    log = dora.load_log(*write(tmp_path, GOOD.encode("utf-8-sig")))
    assert dora.four_keys(log).deployments == 1


# --------------------------------------------------------------------- odd files, sizes


def test_a_named_pipe_nobody_writes_to_reads_as_empty_not_a_hang(tmp_path):
    paths = write(tmp_path)
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    status, out, err = cli("--deployments", str(pipe), "--changes", str(paths[1]),
                           "--incidents", str(paths[2]))
    assert status == 2 and len(err) == 1 and "the file is empty" in err[0]


def test_a_pipe_with_a_writer_is_read(tmp_path):
    paths = write(tmp_path)
    command = (f"{sys.executable} -m interview_lab dora --json --deployments <(cat {paths[0]}) "
               f"--changes {paths[1]} --incidents {paths[2]}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["deployments"] == 1


def test_a_device_with_endless_line_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(dora, "MAX_LINE_BYTES", 10_000)
    paths = write(tmp_path)
    error = error_of(["/dev/zero", paths[1], paths[2]])
    assert error.line == 1 and "the line is longer than" in str(error)


def test_files_above_the_limit_are_refused_before_reading(tmp_path):
    paths = write(tmp_path, GOOD * 1)
    total = sum(p.stat().st_size for p in paths)
    with pytest.raises(InputTooLargeError, match=r"above the limit of \d+ bytes"):
        dora.load_log(*paths, max_input_bytes=total - 1)
    assert dora.four_keys(dora.load_log(*paths, max_input_bytes=total)).deployments == 1
    status, _, err = cli(*files_args(paths), "--max-input-gb", f"{(total - 1) / 1e9}")
    assert status == 2 and len(err) == 1 and "--max-input-gb" in err[0]


def test_a_pipe_above_the_limit_is_refused_while_reading(tmp_path):
    rows = "".join(f"d{i},api,2025-01-06T10:00:00Z,success\n" for i in range(3, 2000))
    paths = write(tmp_path, GOOD + rows)
    command = (f"{sys.executable} -m interview_lab dora --max-input-gb 0.00001 "
               f"--deployments <(cat {paths[0]}) --changes {paths[1]} --incidents {paths[2]}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "larger than the limit of 10 kB" in done.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_the_limit_must_be_positive(value, capsys):
    assert dora_cli.main(["--max-input-gb", value]) == 2
    assert "--max-input-gb must be above 0" in capsys.readouterr().err


def test_messages_are_one_line_whatever_the_cells_hold(tmp_path, capsys):
    long_status = "x" * 5000
    paths = write(tmp_path, GOOD + f'd3,api,2025-01-08T10:00:00Z,"ok\n\x1b[31m{long_status}"\n')
    assert dora_cli.main(files_args(paths)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and len(err) < 400


# --------------------------------------------------------------------- chunks and the id-free log


def full_and_lean(paths):
    return dora.load_log(*paths), dora.load_log(*paths, keep_ids=False)


def test_the_lean_log_keeps_no_ids_and_gives_the_same_keys(small_chunks):
    data = ROOT / "data"
    paths = [data / name for name in dora.BIBBY_FILES]
    full, lean = full_and_lean(paths)
    assert "deploy_id" not in lean.deployments and "commit_sha" not in lean.changes
    assert "incident_id" not in lean.incidents and "deploy_id" not in lean.incidents
    assert lean.deployments.deployed_at.equals(full.deployments.deployed_at)
    assert dora.four_keys(lean).to_dict() == dora.four_keys(full).to_dict()
    assert dora.summary_table(lean).equals(dora.summary_table(full))
    assert dora.weekly_trend(lean).equals(dora.weekly_trend(full))
    assert dora.four_keys(full).to_dict() == dora.four_keys(dora.bibby_log()).to_dict()


@pytest.mark.parametrize("lean", [False, True])
def test_repeats_across_chunks_name_both_lines(tmp_path, small_chunks, lean):
    rows = "".join(f"d{i},api,2025-01-06T10:00:00Z,success\n" for i in range(3, 9))
    text = GOOD + rows + "d4,web,2025-01-07T10:00:00Z,success\n"
    error = error_of(write(tmp_path, text), keep_ids=not lean)
    assert (error.line, error.column) == (10, "deploy_id")
    assert "deploy_id 'd4' appears twice (first on line 5)" in str(error)
    changes = CHANGES + "".join(f"c{i},d1,2025-01-06T09:00:00Z\n" for i in range(5)) + "abc,d1,2025-01-06T08:00:00Z\n"
    error = error_of(write(tmp_path, changes=changes), keep_ids=not lean)
    assert (Path(error.file).name, error.line) == ("changes.csv", 8)
    assert "commit 'abc' is listed twice under deploy_id 'd1' (first on line 2)" in str(error)
    incidents = INCIDENTS + "".join(f"i{i},,2025-01-06T10:00:00Z,\n" for i in range(2, 7)) + "i3,,2025-01-06T10:00:00Z,\n"
    error = error_of(write(tmp_path, incidents=incidents), keep_ids=not lean)
    assert (Path(error.file).name, error.line) == ("incidents.csv", 8)
    assert "incident_id 'i3' appears twice (first on line 4)" in str(error)


def test_naive_timestamps_warn_once_per_column_across_chunks(tmp_path, small_chunks):
    rows = "".join(f"d{i},api,2025-01-06T10:00:0{i % 10},success\n" for i in range(3, 11))
    with pytest.warns(NaiveTimestampWarning, match=r"8 value\(s\) in column deployed_at .*line 4") as seen:
        dora.load_log(*write(tmp_path, GOOD + rows))
    assert len([w for w in seen if issubclass(w.category, NaiveTimestampWarning)]) == 1


def test_ids_that_share_a_hash_are_still_told_apart(tmp_path, small_chunks, monkeypatch):
    """With a hash that maps every id of a length to one key, the id-free log must read the
    ids again to tell repeats from collisions, and link changes by their text."""
    monkeypatch.setattr(dora, "_hash_keys",
                        lambda values: np.fromiter(map(len, values), np.int64, len(values)))
    deployments = HEADER + "".join(
        f"{name},api,2025-01-0{day}T10:00:00Z,success\n"
        for day, name in enumerate(["a1", "b2", "c3", "d4", "e5"], start=1))
    changes = ("commit_sha,deploy_id,committed_at\n"
               "x,c3,2025-01-03T09:00:00Z\ny,e5,2025-01-05T07:00:00Z\nx,a1,2025-01-01T09:30:00Z\n")
    incidents = "incident_id,deploy_id,opened_at,resolved_at\ni1,d4,2025-01-04T11:00:00Z,\n"
    paths = write(tmp_path, deployments, changes, incidents)
    full, lean = full_and_lean(paths)
    assert dora.four_keys(lean).to_dict() == dora.four_keys(full).to_dict()
    assert lean.changes.deploy_row.tolist() == [2, 4, 0]
    assert lean.incidents.deploy_row.tolist() == [3]
    # an id that is not there but shares the key of five that are
    paths = write(tmp_path, deployments, changes + "z,q9,2025-01-05T07:00:00Z\n", incidents)
    error = error_of(paths, keep_ids=False)
    assert (error.line, error.column) == (5, "deploy_id") and "'q9' is not in" in str(error)


def test_through_a_pipe_a_repeat_is_named_by_its_lines(tmp_path):
    paths = write(tmp_path, GOOD + "d1,api,2025-01-08T10:00:00Z,success\n")
    command = (f"{sys.executable} -m interview_lab dora --deployments <(cat {paths[0]}) "
               f"--changes {paths[1]} --incidents {paths[2]}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "line 4, column deploy_id: this row's deploy_id appears twice (first on line 2)" in (
        done.stderr)


def test_a_missing_file_is_told_before_the_others_are_read(tmp_path, monkeypatch):
    paths = write(tmp_path)
    read = []
    original = dora._csv_chunks
    monkeypatch.setattr(dora, "_csv_chunks", lambda *a: read.append(a) or original(*a))
    with pytest.raises(FileNotFoundError):
        dora.load_log(paths[0], paths[1], tmp_path / "nope.csv")
    assert read == []


def test_no_warning_leaks_from_a_good_lean_read(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = dora.load_log(*write(tmp_path), keep_ids=False)
    assert dora.four_keys(log).lead_time_pairs == 1
