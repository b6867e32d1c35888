"""The four keys of software delivery (DORA) from a deployment log, as Four Keys computes them.

Definitions follow Google's Four Keys project (https://github.com/dora-team/fourkeys, file
``METRICS.md``): median lead time per change with automated zero-or-negative changes left
out, change failure rate as deployments linked to an incident over deployments, median time
to restore over incidents, and the Daily / Weekly / Monthly / Yearly deployment-frequency
bucket. The tiers come from the DORA reports of 2021 and 2023 (see
:mod:`interview_lab.dora_tiers`).

Inputs, three tables (CSV files or DataFrames with these columns; other columns are ignored):

* deployments: ``deploy_id, service, deployed_at, status`` (``success`` or ``failed``);
* changes: ``commit_sha, deploy_id, committed_at`` (a commit may appear under several
  deployments, e.g. a failed attempt and its retry);
* incidents: ``incident_id, deploy_id, opened_at, resolved_at`` (``deploy_id`` is the
  deployment that caused the incident and may be empty; ``resolved_at`` is empty while the
  incident is open).

Timestamps are ISO 8601 with a UTC offset. A timestamp without one is read as UTC and a
:class:`NaiveTimestampWarning` says so. Every bad value raises :class:`DoraInputError` (a
``ValueError``) naming the file, the line (the header is line 1; for a DataFrame, the line
the row would have in a CSV file: its position + 2) and the column.

CSV files are UTF-8 (a byte that is not is reported with its line and column), quoted as
RFC 4180 describes (a quoted cell may hold commas, doubled quotes and line breaks), and read
in chunks of rows (pandas' ``read_csv(chunksize=...)``), each checked as it comes: what is
kept grows with the number of rows, not with the size of the file, and
``load_log(..., keep_ids=False)`` keeps no id text at all. Lines are counted in the file as
an editor counts them, so the rows after a cell spanning lines keep their true numbers.
Timestamps must lie in the years 1970 to 2200 (``FIRST_YEAR``, ``LAST_YEAR``), as must a
window's start and end.

The window is half-open, ``[start, end)``. By default it runs from 00:00 UTC of the first
counted deployment's day to 00:00 UTC of the day after the last one (for one service, that
service's deployments). Within it:

* ``deployments``: deployments with status ``success`` in the window; failed attempts are
  counted separately (``failed_attempts``) and never as deployments;
* ``deploys_per_week`` = deployments / (window length in days / 7);
* ``frequency_bucket``: over the ISO weeks (Monday 00:00 UTC) and calendar months lying wholly
  inside the window, weeks and months without a deployment counting as zero: ``Daily`` if the
  median number of days with a deployment per week is at least 3, else ``Weekly`` if the
  median number of deployments per week is at least 1, else ``Monthly`` if the median number
  per month is at least 1, else ``Yearly``. ``None`` when the window holds no whole week, or
  holds no whole month and is neither Daily nor Weekly (too short to tell);
* lead time for changes: median of ``deployed_at - committed_at`` over (change, counted
  deployment) pairs, in whole seconds (truncated, like BigQuery's ``TIMESTAMP_DIFF``); pairs
  of zero seconds or less are dropped (Four Keys leaves out such automated changes);
* change failure rate: counted deployments linked to at least one incident (whenever the
  incident opened) / counted deployments;
* time to restore: median of ``resolved_at - opened_at`` (whole seconds) over resolved
  incidents opened in the window; for one service, incidents whose deployment belongs to it.
  Incidents still open are counted (``unresolved_incidents``), not timed.
  ``failed_deployment_recovery_median_hours`` is the same median over the incidents linked to
  a deployment only, closer to the 2023 report's "failed deployment recovery time".

Every median is ``PERCENTILE_CONT(0.5)``: the mean of the two middle values for an even count.

Timestamps are held as ``datetime64[us, UTC]`` (pandas 3 parses to microseconds by default) and
turned into int64 microseconds since the epoch, explicitly, before any arithmetic.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import math
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike

import numpy as np
import pandas as pd

from interview_lab.dora_tiers import (
    DEFAULT_REPORT_YEAR,
    TIER_TABLE,
    TIERS,
    Tiers,
    check_report_year,
    classify,
    tier_table,
)

__all__ = [
    "BIBBY_FILES",
    "DEPLOYMENT_COLUMNS",
    "CHANGE_COLUMNS",
    "DEFAULT_MAX_INPUT_BYTES",
    "FIRST_YEAR",
    "INCIDENT_COLUMNS",
    "LAST_YEAR",
    "OVERALL",
    "STATUSES",
    "TIER_TABLE",
    "TIERS",
    "TREND_COLUMNS",
    "DoraInputError",
    "InputTooLargeError",
    "DoraLog",
    "FourKeys",
    "NaiveTimestampWarning",
    "Tiers",
    "bibby_log",
    "classify",
    "four_keys",
    "hours_text",
    "load_log",
    "summary_table",
    "tier_table",
    "to_utc",
    "weekly_trend",
]

DEPLOYMENT_COLUMNS: tuple[str, ...] = ("deploy_id", "service", "deployed_at", "status")
CHANGE_COLUMNS: tuple[str, ...] = ("commit_sha", "deploy_id", "committed_at")
INCIDENT_COLUMNS: tuple[str, ...] = ("incident_id", "deploy_id", "opened_at", "resolved_at")
STATUSES: tuple[str, ...] = ("success", "failed")
BIBBY_FILES: tuple[str, str, str] = (
    "bibby_deployments.csv",
    "bibby_changes.csv",
    "bibby_incidents.csv",
)
OVERALL = "(all)"  # the ``service`` label of overall rows in tables

US_PER_S = 1_000_000
US_PER_DAY = 86_400 * US_PER_S
US_PER_WEEK = 7 * US_PER_DAY
# Day 0 (1970-01-01) was a Thursday; shifting by 3 days makes weeks start on Mondays.
MONDAY_SHIFT_US = 3 * US_PER_DAY
_SECONDS_PER_HOUR = 3600.0
_EXAMPLE_TIMESTAMP = "2025-01-06T14:30:00+00:00"

# Timestamps are read from 1970 to 2200 (inclusive): far beyond any deployment log, and well
# inside what Python's dates, pandas' timestamps and the arithmetic here can hold.
FIRST_YEAR, LAST_YEAR = 1970, 2200
_MIN_US = 0  # 1970-01-01T00:00:00Z
_END_US = int(np.datetime64(f"{LAST_YEAR + 1}-01-01", "us").astype(np.int64))  # excluded
# The DORA command refuses logs above this many bytes (1.5 GB; --max-input-gb): at about a
# gigabyte of memory per gigabyte of CSV, its peak then stays near 1.5 GB.
DEFAULT_MAX_INPUT_BYTES = 15 * 10**8
# No line of a deployment log is this long (a quoted cell spanning lines still has its ends).
MAX_LINE_BYTES = 10 * 10**6
CHUNK_ROWS = 100_000  # rows read and checked at a time


class DoraInputError(ValueError):
    """A bad value in a deployment log: knows its file, line and column."""

    def __init__(self, file: str, line: int | None, column: str | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {problem}")


class NaiveTimestampWarning(UserWarning):
    """Timestamps without a UTC offset were read as UTC."""


# ---------------------------------------------------------------------------------------
# Reading and validating
# ---------------------------------------------------------------------------------------


def _quote(value: object) -> str:
    """A cell as it appears in a message: quoted, escaped (one line), at most about 60 chars."""
    text = repr(value if isinstance(value, str) else str(value))
    return text if len(text) <= 62 else text[:57] + "...'"


def _column(frame: pd.DataFrame, name: str) -> tuple[pd.Series, np.ndarray]:
    """A text column as pandas ``str`` (index reset) and as an object array (no copy).

    Missing cells stay NaN in both; see :func:`_blank`.
    """
    series = frame[name]
    if not isinstance(series.dtype, pd.StringDtype):
        series = series.astype("str")
    series = series.reset_index(drop=True)
    return series, series.to_numpy(dtype=object)


def _blank(values: np.ndarray) -> np.ndarray:
    """Which cells of an object array are empty or missing."""
    return pd.isna(values) | (values == "")


def _raise_first(
    file: str, lines: np.ndarray, checks: Sequence[tuple[np.ndarray, str, Callable[[int], str]]]
) -> None:
    """Raise the error of the earliest line among failed checks (ties: the check listed first)."""
    best: tuple[int, int, int] | None = None
    for order, (mask, _, _) in enumerate(checks):
        bad = np.flatnonzero(mask)
        if bad.size:
            candidate = (int(lines[bad[0]]), order, int(bad[0]))
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        line, order, position = best
        _, column, problem = checks[order]
        raise DoraInputError(file, line, column, problem(position))


def _require_columns(frame: pd.DataFrame, required: Sequence[str], file: str) -> None:
    for column in required:
        if column not in frame.columns:
            found = ", ".join(_quote(c) for c in frame.columns) or "no columns"
            raise DoraInputError(
                file, 1, column, f"the header has no column {column!r} (found: {found})"
            )


@dataclass(frozen=True)
class _Times:
    micros: np.ndarray  # int64 microseconds since the epoch (meaningless where missing)
    missing: np.ndarray  # bool: empty cell
    bad: np.ndarray  # bool: non-empty but not a timestamp
    naive: np.ndarray  # bool: read as UTC because it has no offset
    raw: np.ndarray | None  # the cells as text, for messages

    @property
    def outside(self) -> np.ndarray:
        """Timestamps read correctly but outside the supported years."""
        read = ~self.missing & ~self.bad
        return read & ((self.micros < _MIN_US) | (self.micros >= _END_US))


def _naive_mask(text: np.ndarray) -> np.ndarray:
    """Which ISO 8601 strings carry no UTC offset ('Z', '+hh:mm' or '-hh:mm' after the date)."""
    if text.size == 0:
        return np.zeros(0, dtype=bool)
    chars = pd.Series(text, dtype=object).astype(str).str.strip()
    has_offset = (
        chars.str.endswith("Z")
        | chars.str.endswith("z")
        | (chars.str.rfind("+") > 9)
        | (chars.str.rfind("-") > 9)
    )
    return ~has_offset.to_numpy(dtype=bool)


def _times(series: pd.Series, column: str) -> _Times:
    """Parse one timestamp column to UTC microseconds; naive values are read as UTC."""
    series = series.reset_index(drop=True)
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert("UTC")
        naive = np.zeros(len(series), dtype=bool)
        raw = None
        missing = series.isna().to_numpy()
    elif pd.api.types.is_datetime64_dtype(dtype):
        utc = series.dt.tz_localize("UTC")
        naive = series.notna().to_numpy()
        raw = None
        missing = ~naive
    else:
        raw = _column(pd.DataFrame({column: series}), column)[1]
        missing = _blank(raw)
        try:  # one offset (or none) throughout: pandas says which, no need to look at the text
            utc = pd.Series(pd.to_datetime(raw, format="ISO8601", errors="coerce"))
            mixed = False
        except ValueError:  # several offsets, or naive values among aware ones
            utc = pd.Series(pd.to_datetime(raw, format="ISO8601", utc=True, errors="coerce"))
            mixed = True
        naive = np.zeros(len(series), dtype=bool)
        if not isinstance(utc.dtype, pd.DatetimeTZDtype):
            naive = utc.notna().to_numpy()
            utc = utc.dt.tz_localize("UTC")
        elif mixed:
            ok = utc.notna().to_numpy()
            naive[ok] = _naive_mask(raw[ok])
        utc = utc.dt.tz_convert("UTC")
    bad = utc.isna().to_numpy() & ~missing
    micros = utc.dt.as_unit("us").dt.tz_convert(None).to_numpy().view(np.int64)
    return _Times(micros=micros, missing=missing, bad=bad, naive=naive, raw=raw)


def _timestamp_problem(times: _Times) -> Callable[[int], str]:
    def problem(i: int) -> str:
        shown = _quote(times.raw[i]) if times.raw is not None else "?"
        return (
            f"cannot read {shown} as an ISO 8601 timestamp "
            f"(write it like {_EXAMPLE_TIMESTAMP})"
        )

    return problem


def _show(times: _Times, i: int) -> str:
    if times.raw is not None:
        return _quote(times.raw[i])
    return pd.Timestamp(int(times.micros[i]), unit="us", tz="UTC").isoformat()


def _time_checks(
    times: _Times, column: str, required: bool = True
) -> list[tuple[np.ndarray, str, Callable[[int], str]]]:
    """The checks of one timestamp column: empty (when required), unreadable, out of range."""
    checks: list[tuple[np.ndarray, str, Callable[[int], str]]] = []
    if required:
        checks.append((times.missing, column, lambda i: f"{column} is empty"))
    checks.append((times.bad, column, _timestamp_problem(times)))
    checks.append(
        (
            times.outside,
            column,
            lambda i: f"{column} {_show(times, i)} is outside the years {FIRST_YEAR} to "
            f"{LAST_YEAR} that this course reads",
        )
    )
    return checks


class _NaiveNotes:
    """Counts timestamps without a UTC offset per column, to warn once per file and column."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.counts: dict[str, int] = {}
        self.first: dict[str, int] = {}

    def add(self, column: str, naive: np.ndarray, lines: np.ndarray) -> None:
        if naive.any():
            self.counts[column] = self.counts.get(column, 0) + int(naive.sum())
            self.first.setdefault(column, int(lines[np.flatnonzero(naive)[0]]))

    def warn(self) -> None:
        for column, count in self.counts.items():
            warnings.warn(
                f"{self.file}: {count} value(s) in column {column} have no UTC offset "
                f"(first on line {self.first[column]}); they were read as UTC",
                NaiveTimestampWarning,
                stacklevel=4,
            )


def _to_series(
    micros: np.ndarray, missing: np.ndarray | None = None, own: bool = False
) -> pd.Series:
    """UTC timestamps from microseconds (NaT where ``missing``); ``own``: the array is this
    module's to change, so it is used in place instead of copied."""
    values = micros.view("datetime64[us]") if own else micros.astype("datetime64[us]")
    if missing is not None and missing.any():
        if not values.flags.writeable:  # pandas' own buffer, seen through to_numpy
            values = values.copy()
        values[missing] = np.datetime64("NaT")
    return pd.Series(values, copy=False).dt.tz_localize("UTC")


def _factorize(
    values: np.ndarray, allowed: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Codes of a low-cardinality text column, its categories (sorted, or ``allowed`` in
    order) and which cells are blank or not allowed (code -1)."""
    codes, uniques = pd.factorize(values, sort=True)
    uniques = [str(v) for v in uniques]
    if allowed is None:
        categories = [v for v in uniques if v != ""]
    else:
        categories = list(allowed)
    position = np.array([categories.index(v) if v in categories else -1 for v in uniques] + [-1])
    mapped = position[codes]  # a missing cell has code -1, which picks the appended -1
    return mapped, categories, mapped < 0


class _Names:
    """Codes of a text column read in pieces: numbered in order of appearance, and put in
    alphabetical order once every piece has been read."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def encode(self, values: np.ndarray) -> np.ndarray:
        local, uniques = pd.factorize(values)
        known = self.codes
        mapping = np.array([known.setdefault(str(u), len(known)) for u in uniques], dtype=np.int64)
        return mapping[local].astype(np.int32)

    def alphabetical(self, codes: np.ndarray) -> tuple[np.ndarray, list[str]]:
        names = list(self.codes)
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names), dtype=np.int32)
        rank[order] = np.arange(len(names), dtype=np.int32)
        return rank[codes], [names[i] for i in order]


def _lookup(index: pd.Index, values: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where absent); an object Index skips inference."""
    return index.get_indexer(pd.Index(values, dtype=object, copy=False)).astype(np.int64)


def _hash_keys(values: np.ndarray) -> np.ndarray:
    """One int64 per text cell: Python's own string hash (64-bit SipHash, computed in C by
    ``map``). Equal texts give equal keys; different texts very rarely do (about one pair in
    10^19), and every place that relies on a key checks the text where it matters."""
    return np.fromiter(map(hash, values), dtype=np.int64, count=values.size)


def _pair_keys(texts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Keys of (text, deployment row) pairs: the text's key mixed with the row."""
    mixed = _hash_keys(texts).view(np.uint64) ^ (
        rows.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    )
    return mixed.view(np.int64)


class _LineMap:
    """The CSV line of every kept row, stored compactly: a run of consecutive lines (no blank
    line or multi-line cell in it) costs two numbers, not one per row."""

    def __init__(self) -> None:
        self.starts: list[int] = []  # position of each piece's first row
        self.firsts: list[int] = []  # its line
        self.explicit: list[np.ndarray | None] = []  # every line, when not consecutive
        self.size = 0

    def add(self, lines: np.ndarray) -> None:
        if lines.size == 0:
            return
        consecutive = int(lines[-1] - lines[0]) == lines.size - 1
        self.starts.append(self.size)
        self.firsts.append(int(lines[0]))
        self.explicit.append(None if consecutive else lines.astype(np.int64))
        self.size += lines.size

    def at(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        piece = np.searchsorted(np.asarray(self.starts, dtype=np.int64), positions, "right") - 1
        out = np.empty(positions.size, dtype=np.int64)
        for k in np.unique(piece):
            here = piece == k
            offset = positions[here] - self.starts[k]
            lines = self.explicit[k]
            out[here] = self.firsts[k] + offset if lines is None else lines[offset]
        return out


Texts = Callable[[np.ndarray], "list[object] | None"]
_REPEAT_BATCH = 1000


def _sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(keys in order, the row of each)``; equal keys keep the order of their rows."""
    order = np.argsort(keys, kind="stable")
    return keys[order], order


def _repeats(
    ordered: np.ndarray, order: np.ndarray, texts: Texts
) -> tuple[tuple[int, int, object] | None, dict[object, int]]:
    """The earliest row whose value appeared on an earlier row, and values that share a key.

    ``ordered, order`` are the rows' hash keys as :func:`_sorted` gives them;
    ``texts(positions)`` gives the values of some rows (or None when they cannot be read
    again), and only equal values count as a repeat. Returns
    ``((first, repeat, value), collisions)``: the repeat's position, the earlier row's
    position and the value (None when ``texts`` could not tell; then equal keys count as
    equal values), or None when no value repeats; ``collisions`` maps each value whose key
    another value shares to its row (empty unless a repeat-free log has such keys).
    """
    if ordered.size < 2:
        return None, {}
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return None, {}
    boundary = np.concatenate(([True], ~same))
    run = np.cumsum(boundary) - 1  # the run of equal keys each sorted row belongs to
    in_run = np.zeros(ordered.size, dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    members = np.flatnonzero(in_run)
    runs = run[members]
    positions = order[members]  # grouped by run; ascending within a run (stable sort)
    starts = np.flatnonzero(np.concatenate(([True], runs[1:] != runs[:-1])))
    ends = np.append(starts[1:], members.size)
    seconds = positions[starts + 1]  # the earliest possible repeat of each run
    by_second = np.argsort(seconds, kind="stable")
    best: tuple[int, int, object] | None = None
    collisions: dict[object, int] = {}
    for low in range(0, by_second.size, _REPEAT_BATCH):
        chosen = by_second[low : low + _REPEAT_BATCH]
        if best is not None and seconds[chosen[0]] > best[1]:
            break
        spans = np.concatenate([np.arange(starts[r], ends[r]) for r in chosen])
        rows = positions[spans]
        values = texts(rows)
        if values is None:  # the file cannot be read again: equal keys stand for equal values
            r = chosen[0]
            candidate = (int(positions[starts[r]]), int(seconds[r]), None)
            return (candidate if best is None or candidate[1] < best[1] else best), {}
        codes, _ = pd.factorize(pd.Series(values, dtype=object))
        table = pd.DataFrame({"run": runs[spans], "value": codes, "row": rows})
        repeated = table.duplicated(["run", "value"], keep="first").to_numpy()
        if repeated.any():
            at = int(np.flatnonzero(repeated)[np.argmin(rows[repeated])])
            firsts = table.groupby(["run", "value"], sort=False)["row"].transform("min")
            if best is None or int(rows[at]) < best[1]:
                best = (int(firsts.iat[at]), int(rows[at]), values[at])
        shared = table.groupby("run")["value"].transform("nunique").to_numpy() > 1
        for at in np.flatnonzero(shared):
            collisions.setdefault(values[at], int(rows[at]))
    return best, ({} if best is not None else collisions)


class _DeployIndex:
    """Finds deployments by id: exactly (the ids kept as text) or by their hash keys."""

    def __init__(
        self,
        index: pd.Index | None = None,
        keys: tuple[np.ndarray, np.ndarray] | None = None,
        collisions: dict[object, int] | None = None,
    ) -> None:
        self.index = index
        if keys is not None:
            self.sorted, self.order = keys  # as _sorted gives them
            self.by_text = collisions or {}
            self.shared = np.unique(_hash_keys(np.array(list(self.by_text), dtype=object)))

    def rows(self, values: np.ndarray) -> np.ndarray:
        """The row of each id (-1 for a blank or unknown id)."""
        if self.index is not None:
            return _lookup(self.index, values)
        out = np.full(values.size, -1, dtype=np.int64)
        if self.sorted.size == 0 or values.size == 0:
            return out
        keys = _hash_keys(values)
        at = np.minimum(np.searchsorted(self.sorted, keys), self.sorted.size - 1)
        found = self.sorted[at] == keys
        out[found] = self.order[at[found]]
        if self.shared.size:
            for i in np.flatnonzero(np.isin(keys, self.shared)):
                out[i] = self.by_text.get(values[i], -1)
        return out


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    joined = np.concatenate(parts) if len(parts) > 1 else parts[0]
    parts.clear()
    return joined


class _Table:
    """Rows of one table read in pieces (CSV chunks, or a whole DataFrame as one piece).

    ``keep_ids``: the id columns are kept as text (in the tables, and to name a repeated
    value); otherwise ``rereader(file, lines, columns)`` reads those rows' cells again from
    the file ({line: cells}, or None when it cannot).
    """

    def __init__(self, file: str, keep_ids: bool, rereader: Callable | None) -> None:
        self.file = file
        self.keep_ids = keep_ids
        self.rereader = rereader
        self.naive = _NaiveNotes(file)
        self.lines = _LineMap()
        self.parts: dict[str, list] = {}

    def keep(self, **arrays) -> None:
        for name, value in arrays.items():
            self.parts.setdefault(name, []).append(value)

    def array(self, name: str, dtype) -> np.ndarray:
        return _concat(self.parts.get(name, []), dtype)

    def texts(self, columns: Sequence[str]) -> Texts:
        """The ``texts`` function of :func:`_repeats` for some columns of this table."""
        if self.keep_ids:
            kept = [self.array(c, object) for c in columns]
            for column, values in zip(columns, kept, strict=True):
                self.parts[column] = [values]

            def from_memory(positions: np.ndarray) -> list[object]:
                cells = [values[positions] for values in kept]
                return list(cells[0]) if len(cells) == 1 else list(zip(*cells, strict=True))

            return from_memory

        def from_file(positions: np.ndarray) -> list[object] | None:
            if self.rereader is None:
                return None
            lines = self.lines.at(positions)
            found = self.rereader(self.file, np.unique(lines), columns)
            if found is None or not all(line in found for line in lines):
                return None
            return [found[line][0] if len(columns) == 1 else found[line] for line in lines]

        return from_file

    def repeat_error(self, keys: np.ndarray, texts: Texts, column: str, what: str) -> None:
        """Raise the error of the first repeated value, if any; returns nothing otherwise."""
        found, _ = _repeats(*_sorted(keys), texts)
        if found is not None:
            raise self._repeat(found, column, what)

    def _repeat(self, found, column: str, what: str) -> DoraInputError:
        first, repeat, value = found
        line, first_line = (int(x) for x in self.lines.at(np.array([repeat, first])))
        if value is None:
            problem = f"this row's {what} appears twice (first on line {first_line})"
        else:
            problem = f"{what} {_quote(value)} appears twice (first on line {first_line})"
        return DoraInputError(self.file, line, column, problem)


class _Deployments(_Table):
    def __init__(self, file: str, keep_ids: bool, rereader: Callable | None) -> None:
        super().__init__(file, keep_ids, rereader)
        self.services = _Names()

    def add(self, frame: pd.DataFrame, lines: np.ndarray) -> None:
        _require_columns(frame, DEPLOYMENT_COLUMNS, self.file)
        id_column, ids = _column(frame, "deploy_id")
        _, services = _column(frame, "service")
        _, status = _column(frame, "status")
        times = _times(frame["deployed_at"], "deployed_at")
        status_codes, _, bad_status = _factorize(status, STATUSES)
        _raise_first(
            self.file,
            lines,
            [
                (_blank(ids), "deploy_id", lambda i: "deploy_id is empty"),
                (_blank(services), "service", lambda i: "service is empty"),
                *_time_checks(times, "deployed_at"),
                (
                    bad_status,
                    "status",
                    lambda i: f"status must be 'success' or 'failed', got {_quote(status[i])}",
                ),
            ],
        )
        self.naive.add("deployed_at", times.naive, lines)
        self.lines.add(lines)
        self.keep(
            keys=_hash_keys(ids),
            micros=times.micros,
            service=self.services.encode(services),
            success=status_codes == 0,
        )
        if self.keep_ids:
            self.keep(deploy_id=ids, deploy_id_column=id_column)

    def finish(self) -> tuple[pd.DataFrame, _DeployIndex]:
        keys = _sorted(self.array("keys", np.int64))
        found, collisions = _repeats(*keys, self.texts(("deploy_id",)))
        if found is not None:
            raise self._repeat(found, "deploy_id", "deploy_id")
        self.naive.warn()
        codes, names = self.services.alphabetical(self.array("service", np.int32))
        success = self.array("success", bool)
        columns: dict[str, object] = {}
        if self.keep_ids:
            ids = self.array("deploy_id", object)
            index = _DeployIndex(index=pd.Index(ids, dtype=object))
            columns["deploy_id"] = _joined_text(self.parts.pop("deploy_id_column", []))
        else:
            index = _DeployIndex(keys=keys, collisions=collisions)
        del keys
        columns["service"] = pd.Categorical.from_codes(codes, categories=names)
        columns["deployed_at"] = _to_series(self.array("micros", np.int64), own=not self.keep_ids)
        columns["status"] = pd.Categorical.from_codes(
            np.where(success, 0, 1).astype(np.int8), categories=list(STATUSES)
        )
        self.parts.clear()
        return pd.DataFrame(columns, copy=False), index


def _joined_text(parts: list[pd.Series]) -> pd.Series:
    if not parts:
        return pd.Series([], dtype="str")
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True)


class _Changes(_Table):
    def __init__(self, file, keep_ids, rereader, index: _DeployIndex) -> None:
        super().__init__(file, keep_ids, rereader)
        self.index = index

    def add(self, frame: pd.DataFrame, lines: np.ndarray) -> None:
        _require_columns(frame, CHANGE_COLUMNS, self.file)
        sha_column, shas = _column(frame, "commit_sha")
        deploy_column, deploy_ids = _column(frame, "deploy_id")
        times = _times(frame["committed_at"], "committed_at")
        rows = self.index.rows(deploy_ids)  # -1: blank or unknown

        def reference_problem(i: int) -> str:
            if _blank(deploy_ids[i : i + 1])[0]:
                return "deploy_id is empty"
            return f"deploy_id {_quote(deploy_ids[i])} is not in the deployments table"

        _raise_first(
            self.file,
            lines,
            [
                (_blank(shas), "commit_sha", lambda i: "commit_sha is empty"),
                (rows < 0, "deploy_id", reference_problem),
                *_time_checks(times, "committed_at"),
            ],
        )
        self.naive.add("committed_at", times.naive, lines)
        self.lines.add(lines)
        self.keep(keys=_pair_keys(shas, rows), micros=times.micros, row=rows)
        if self.keep_ids:
            self.keep(
                commit_sha=shas,
                deploy_id=deploy_ids,
                commit_sha_column=sha_column,
                deploy_id_column=deploy_column,
            )

    def finish(self) -> pd.DataFrame:
        keys = _sorted(self.array("keys", np.int64))
        found, _ = _repeats(*keys, self.texts(("commit_sha", "deploy_id")))
        del keys
        if found is not None:
            first, repeat, value = found
            line, first_line = (int(x) for x in self.lines.at(np.array([repeat, first])))
            if value is None:
                problem = (
                    f"the commit on this line is listed twice under the same deploy_id "
                    f"(first on line {first_line})"
                )
            else:
                problem = (
                    f"commit {_quote(value[0])} is listed twice under deploy_id "
                    f"{_quote(value[1])} (first on line {first_line})"
                )
            raise DoraInputError(self.file, line, "commit_sha", problem)
        self.naive.warn()
        columns: dict[str, object] = {}
        if self.keep_ids:
            columns["commit_sha"] = _joined_text(self.parts.pop("commit_sha_column", []))
            columns["deploy_id"] = _joined_text(self.parts.pop("deploy_id_column", []))
        columns["committed_at"] = _to_series(self.array("micros", np.int64), own=not self.keep_ids)
        columns["deploy_row"] = self.array("row", np.int64)
        self.parts.clear()
        return pd.DataFrame(columns, copy=False)


class _Incidents(_Table):
    def __init__(self, file, keep_ids, rereader, index: _DeployIndex) -> None:
        super().__init__(file, keep_ids, rereader)
        self.index = index

    def add(self, frame: pd.DataFrame, lines: np.ndarray) -> None:
        _require_columns(frame, INCIDENT_COLUMNS, self.file)
        id_column, ids = _column(frame, "incident_id")
        deploy_column, deploy_ids = _column(frame, "deploy_id")
        opened = _times(frame["opened_at"], "opened_at")
        resolved = _times(frame["resolved_at"], "resolved_at")
        linked = ~_blank(deploy_ids)
        rows = np.full(ids.size, -1, dtype=np.int64)
        rows[linked] = self.index.rows(deploy_ids[linked])
        both = ~opened.missing & ~opened.bad & ~resolved.missing & ~resolved.bad
        early = both & (resolved.micros < opened.micros)

        def early_problem(i: int) -> str:
            return f"resolved_at {_show(resolved, i)} is before opened_at {_show(opened, i)}"

        _raise_first(
            self.file,
            lines,
            [
                (_blank(ids), "incident_id", lambda i: "incident_id is empty"),
                (
                    linked & (rows < 0),
                    "deploy_id",
                    lambda i: f"deploy_id {_quote(deploy_ids[i])} is not in the deployments "
                    "table",
                ),
                *_time_checks(opened, "opened_at"),
                *_time_checks(resolved, "resolved_at", required=False),
                (early, "resolved_at", early_problem),
            ],
        )
        self.naive.add("opened_at", opened.naive, lines)
        self.naive.add("resolved_at", resolved.naive, lines)
        self.lines.add(lines)
        self.keep(
            keys=_hash_keys(ids),
            opened=opened.micros,
            resolved=resolved.micros,
            unresolved=resolved.missing,
            row=rows,
        )
        if self.keep_ids:
            self.keep(
                incident_id=ids,
                incident_id_column=id_column,
                deploy_id_column=deploy_column.where(linked),
            )

    def finish(self) -> pd.DataFrame:
        self.repeat_error(
            self.array("keys", np.int64), self.texts(("incident_id",)), "incident_id",
            "incident_id",
        )
        self.naive.warn()
        columns: dict[str, object] = {}
        if self.keep_ids:
            columns["incident_id"] = _joined_text(self.parts.pop("incident_id_column", []))
            columns["deploy_id"] = _joined_text(self.parts.pop("deploy_id_column", []))
        own = not self.keep_ids
        columns["opened_at"] = _to_series(self.array("opened", np.int64), own=own)
        columns["resolved_at"] = _to_series(
            self.array("resolved", np.int64), self.array("unresolved", bool), own=own
        )
        columns["deploy_row"] = self.array("row", np.int64)
        self.parts.clear()
        return pd.DataFrame(columns, copy=False)


Pieces = Iterable[tuple[pd.DataFrame, np.ndarray]]


def _read_tables(
    pieces: tuple[Pieces, Pieces, Pieces],
    sources: tuple[str, str, str],
    keep_ids: bool,
    rereader: Callable | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Check three tables given as pieces (DataFrame, CSV line of each row), in order:
    deployments first (so that changes and incidents can be linked to them)."""
    deployments = _Deployments(sources[0], keep_ids, rereader)
    for frame, lines in pieces[0]:
        deployments.add(frame, lines)
    dep, index = deployments.finish()
    del deployments
    changes = _Changes(sources[1], keep_ids, rereader, index)
    for frame, lines in pieces[1]:
        changes.add(frame, lines)
    ch = changes.finish()
    del changes
    incidents = _Incidents(sources[2], keep_ids, rereader, index)
    for frame, lines in pieces[2]:
        incidents.add(frame, lines)
    return dep, ch, incidents.finish()


# ---------------------------------------------------------------------------------------
# CSV files, read in chunks
# ---------------------------------------------------------------------------------------


class InputTooLargeError(DoraInputError):
    """The log's files are larger than the limit given for one run."""


class _Budget:
    """Bytes read so far from a log's files, against an optional limit."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.used = 0

    def spend(self, count: int, file: str) -> None:
        self.used += count
        if self.max_bytes is not None and self.used > self.max_bytes:
            raise InputTooLargeError(
                file, None, None, f"the log is larger than the limit of {_gb(self.max_bytes)} "
                "for one run",
            )


def _gb(count: int) -> str:
    """A size in decimal units: '1.5 GB', '120 MB', '512 bytes'."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"


class _Input(io.RawIOBase):
    """A file's bytes for pandas, counted against the budget, with lines that end."""

    def __init__(self, descriptor: int, file: str, budget: _Budget) -> None:
        super().__init__()
        self.descriptor = descriptor
        self.file = file
        self.budget = budget
        self.newlines = 0
        self.since_newline = 0
        self.started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = os.readv(self.descriptor, [buffer])
        if count == 0:
            return 0
        data = bytes(memoryview(buffer)[:count])
        if not self.started:
            self.started = True
            if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise DoraInputError(
                    self.file, 1, None, "the file is UTF-16 text; save it as UTF-8"
                )
        self.budget.spend(count, self.file)
        last = data.rfind(b"\n")
        if last < 0:
            self.since_newline += count
        else:
            self.newlines += data.count(b"\n")
            self.since_newline = count - last - 1
        if self.since_newline > MAX_LINE_BYTES:
            raise DoraInputError(
                self.file,
                self.newlines + 1,
                None,
                f"the line is longer than {MAX_LINE_BYTES // 10**6} MB; is this a CSV file?",
            )
        return count

    def close(self) -> None:
        if not self.closed:
            os.close(self.descriptor)
        super().close()


def _open_input(path: str | PathLike[str], file: str, budget: _Budget) -> tuple[_Input, bool]:
    """Open a log file without waiting on it (a named pipe nobody writes to reads as empty);
    returns the stream and whether it can be read a second time (a regular file)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), file)
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return _Input(descriptor, file, budget), stat.S_ISREG(mode)


_SURROGATE = re.compile("[\udc80-\udcff]")
_C_ERROR = "Error tokenizing data. C error: "


def _encoding_error(
    file: str, cells: list[np.ndarray], names: list[str], starts: np.ndarray
) -> DoraInputError:
    """The first byte that is not UTF-8 (read as a lone surrogate): its line and column."""
    best: tuple[int, int] | None = None
    for k, values in enumerate(cells):
        hits = np.flatnonzero(
            pd.Series(values, dtype=object).str.contains(_SURROGATE.pattern, regex=True)
        )
        if hits.size and (best is None or int(hits[0]) < best[0]):
            best = (int(hits[0]), k)
    assert best is not None
    row, k = best
    text = str(cells[k][row])
    match = _SURROGATE.search(text)
    assert match is not None
    before = sum(str(cells[j][row]).count("\n") for j in range(k))
    line = int(starts[row]) + before + text[: match.start()].count("\n")
    byte = ord(match.group()) - 0xDC00
    return DoraInputError(
        file, line, names[k], f"byte 0x{byte:02X} is not UTF-8 text; save the file as UTF-8"
    )


def _record_line(path: str | PathLike[str], record: int) -> int | None:
    """The line on which CSV record ``record`` starts (0 is the header), counted by reading
    the file again with the csv module (only when pandas could not parse the file)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            line, index = 1, -1
            for index, _ in enumerate(reader):
                if index == record:
                    return line
                line = reader.line_num + 1
            return line if record == index + 1 else None
    except (OSError, csv.Error):
        return None
    finally:
        csv.field_size_limit(limit)


def _parse_error(
    error: Exception, path: str | PathLike[str], file: str, again: bool, shift: int
) -> DoraInputError:
    """A one-line error for what pandas' CSV tokenizer could not read, with its line."""
    text = str(error).strip()
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    unclosed = re.search(r"EOF inside string starting at row (\d+)", text)
    if fields is not None:
        expected, record_line, saw = (int(g) for g in fields.groups())
        record = record_line - 1
        problem = f"the row has {saw} fields but the header has {expected}"
    elif unclosed is not None:
        record = int(unclosed.group(1))
        problem = 'a quoted cell starts on this line and is never closed (a " is missing)'
    else:
        detail = text.splitlines()[0].replace(_C_ERROR, "") if text else type(error).__name__
        return DoraInputError(file, None, None, f"not a readable CSV file ({detail})")
    line = _record_line(path, record) if again else None
    if line is None:  # a pipe: as if no cell of the chunk being read spans lines
        line = record + 1 + shift
    return DoraInputError(file, line, None, problem)


def _csv_chunks(
    opened: tuple[_Input, bool], path: str | PathLike[str], file: str
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """A CSV file (opened by :func:`_open_input`) as DataFrames of text cells,
    :data:`CHUNK_ROWS` rows at a time, each with the line of every row (the header is line 1;
    a cell spanning lines moves the rows after it down; blank lines are dropped). Encoding
    errors and unreadable rows raise :class:`DoraInputError` with their line. For a file
    that is not a regular file (a pipe), a row the tokenizer rejects is given the line it
    would have if no cell in its chunk spanned lines: such a file cannot be read twice to
    count."""
    stream, again = opened
    rows = CHUNK_ROWS
    shift = 0  # lines taken by cells spanning lines, so far
    try:
        try:
            reader = pd.read_csv(
                io.BufferedReader(stream, 1 << 20),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                skipinitialspace=True,
                encoding="utf-8-sig",
                encoding_errors="surrogateescape",
                chunksize=rows,
            )
        except pd.errors.EmptyDataError:
            raise DoraInputError(
                file, 1, None, "the file is empty; its first line must be the header"
            ) from None
        except pd.errors.ParserError as error:
            raise _parse_error(error, path, file, again, shift) from None
        next_line: int | None = None
        with reader:
            chunks = iter(reader)
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except pd.errors.ParserError as error:
                    raise _parse_error(error, path, file, again, shift) from None
                names = [str(c) for c in chunk.columns]
                if next_line is None:
                    header = "".join(names)
                    odd = _SURROGATE.search(header)
                    if odd is not None:
                        byte = ord(odd.group()) - 0xDC00
                        raise DoraInputError(
                            file, 1 + header[: odd.start()].count("\n"), None,
                            f"byte 0x{byte:02X} in the header is not UTF-8 text; save the file "
                            "as UTF-8",
                        )
                    next_line = 2 + header.count("\n")
                    shift = header.count("\n")
                chunk.columns = [name.strip() for name in names]
                cells = [
                    chunk.iloc[:, k].to_numpy(dtype=object) for k in range(len(chunk.columns))
                ]
                try:
                    joined = "".join("".join(values) for values in cells)
                except TypeError:  # a cell that is not text: make every cell text
                    cells = [pd.Series(v, dtype=object).fillna("").astype(str).to_numpy(
                        dtype=object) for v in cells]
                    joined = "".join("".join(values) for values in cells)
                count = len(chunk)
                starts = next_line + np.arange(count, dtype=np.int64)
                if "\n" in joined:
                    extra = sum(
                        pd.Series(values, dtype=object).str.count("\n").to_numpy(dtype=np.int64)
                        for values in cells
                    )
                    starts += np.concatenate(([0], np.cumsum(extra)[:-1]))
                    shift += int(extra.sum())
                    next_line += count + int(extra.sum())
                else:
                    next_line += count
                if not joined.isascii() and _SURROGATE.search(joined):
                    raise _encoding_error(file, cells, list(chunk.columns), starts)
                del joined
                if count and len(chunk.columns):
                    blank = _blank(cells[0])
                    for values in cells[1:]:
                        if not blank.any():
                            break
                        blank[blank] = _blank(values[blank])
                    if blank.any():
                        chunk = chunk.loc[~blank].reset_index(drop=True)
                        starts = starts[~blank]
                yield chunk, starts
    finally:
        stream.close()


def _cells_on_lines(
    file: str, lines: np.ndarray, columns: Sequence[str], path: str | PathLike[str]
) -> dict[int, tuple[str, ...]] | None:
    """Some rows' cells, read again from a file (to name a repeated id); None if it fails."""
    wanted = np.unique(lines)
    found: dict[int, tuple[str, ...]] = {}
    try:
        opened = _open_input(path, file, _Budget(None))
    except OSError:
        return None
    chunks = _csv_chunks(opened, path, file)
    try:
        for frame, starts in chunks:
            hit = np.isin(starts, wanted)
            if hit.any():
                values = [_column(frame, c)[1][hit] for c in columns]
                for line, cells in zip(starts[hit], zip(*values, strict=True), strict=True):
                    found[int(line)] = tuple(str(v) for v in cells)
            if starts.size and starts[-1] >= wanted[-1]:
                break
    except (OSError, ValueError, KeyError):
        return None
    finally:
        chunks.close()
        opened[0].close()
    return found


# ---------------------------------------------------------------------------------------
# The log
# ---------------------------------------------------------------------------------------


def _micros(series: pd.Series) -> np.ndarray:
    """A tz-aware column as int64 microseconds since the epoch (NaT becomes int64 min)."""
    return series.dt.as_unit("us").dt.tz_convert(None).to_numpy().view(np.int64)


@dataclass(frozen=True)
class _Arrays:
    """The log as numpy arrays, built once, on which every computation runs."""

    dep_t: np.ndarray
    dep_success: np.ndarray
    dep_service: np.ndarray
    services: tuple[str, ...]
    ch_row: np.ndarray
    ch_t: np.ndarray
    inc_row: np.ndarray
    inc_open: np.ndarray
    inc_res: np.ndarray
    inc_resolved: np.ndarray
    inc_service: np.ndarray  # service code of the incident's deployment, -1 when unlinked
    dep_has_incident: np.ndarray


@dataclass(frozen=True, eq=False)
class DoraLog:
    """A validated deployment log. Build it with :func:`load_log` or :meth:`from_frames`.

    ``deployments`` has ``deploy_id`` (str), ``service`` (category), ``deployed_at``
    (``datetime64[us, UTC]``) and ``status`` (category: success, failed). ``changes`` and
    ``incidents`` keep their columns (timestamps as ``datetime64[us, UTC]``, ``resolved_at``
    NaT while open) plus ``deploy_row``: the row of their deployment in ``deployments``
    (-1 for an incident without one). A log read with ``load_log(..., keep_ids=False)`` has
    no id columns (``deploy_id``, ``commit_sha``, ``incident_id``): only what the keys need.
    """

    deployments: pd.DataFrame
    changes: pd.DataFrame
    incidents: pd.DataFrame
    sources: tuple[str, str, str] = ("deployments", "changes", "incidents")
    _arrays: _Arrays = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if "deploy_row" not in self.changes.columns or "deploy_row" not in self.incidents.columns:
            raise ValueError(
                "build a DoraLog with load_log() or DoraLog.from_frames(), which check the tables"
            )
        deployments, changes, incidents = self.deployments, self.changes, self.incidents
        inc_row = incidents["deploy_row"].to_numpy(dtype=np.int64)
        has_incident = np.zeros(len(deployments), dtype=bool)
        has_incident[inc_row[inc_row >= 0]] = True
        resolved = incidents["resolved_at"].notna().to_numpy()
        dep_service = deployments["service"].cat.codes.to_numpy(dtype=np.int64)
        inc_service = np.full(inc_row.size, -1, dtype=np.int64)
        inc_service[inc_row >= 0] = dep_service[inc_row[inc_row >= 0]]
        arrays = _Arrays(
            dep_t=_micros(deployments["deployed_at"]),
            dep_success=(deployments["status"] == "success").to_numpy(),
            dep_service=dep_service,
            services=tuple(str(s) for s in deployments["service"].cat.categories),
            ch_row=changes["deploy_row"].to_numpy(dtype=np.int64),
            ch_t=_micros(changes["committed_at"]),
            inc_row=inc_row,
            inc_open=_micros(incidents["opened_at"]),
            inc_res=_micros(incidents["resolved_at"]),
            inc_resolved=resolved,
            inc_service=inc_service,
            dep_has_incident=has_incident,
        )
        object.__setattr__(self, "_arrays", arrays)

    @classmethod
    def from_frames(
        cls,
        deployments: pd.DataFrame,
        changes: pd.DataFrame,
        incidents: pd.DataFrame,
        sources: tuple[str, str, str] = ("deployments", "changes", "incidents"),
    ) -> DoraLog:
        """Validate three DataFrames (text or datetime columns) and build a log from them."""

        def whole(frame: pd.DataFrame) -> Pieces:
            return [(frame, np.arange(len(frame), dtype=np.int64) + 2)]

        tables = _read_tables(
            (whole(deployments), whole(changes), whole(incidents)), sources, keep_ids=True
        )
        return cls(*tables, sources=tuple(sources))

    @property
    def services(self) -> tuple[str, ...]:
        """The services in the log, in alphabetical order."""
        return self._arrays.services


def load_log(
    deployments_path: str | PathLike[str],
    changes_path: str | PathLike[str],
    incidents_path: str | PathLike[str],
    *,
    keep_ids: bool = True,
    max_input_bytes: int | None = None,
) -> DoraLog:
    """Read and validate the three CSV files of a deployment log.

    The files are read in chunks of rows, so memory grows with what the log keeps, not with
    the size of the files. ``keep_ids=False`` keeps no id text at all (the tables have no
    ``deploy_id``, ``commit_sha`` or ``incident_id`` column; ids are matched by their 64-bit
    hash and the text is read again only to confirm a repeat): what the DORA command does, so
    that a gigabyte of CSV fits in memory. ``max_input_bytes`` refuses, with
    :class:`InputTooLargeError`, files larger than that together (before reading regular
    files; while reading pipes).
    """
    paths = (deployments_path, changes_path, incidents_path)
    labels = (str(deployments_path), str(changes_path), str(incidents_path))
    budget = _Budget(max_input_bytes)
    if max_input_bytes is not None:
        sizes = [0, 0, 0]
        for k, path in enumerate(paths):
            with contextlib.suppress(OSError):
                info = os.stat(path)
                if stat.S_ISREG(info.st_mode):
                    sizes[k] = info.st_size
        if sum(sizes) > max_input_bytes:
            largest = sizes.index(max(sizes))
            raise InputTooLargeError(
                labels[largest], None, None, f"this file holds {_gb(sizes[largest])} and the "
                f"log {_gb(sum(sizes))} in all, above the limit of {_gb(max_input_bytes)} for "
                "one run",
            )
    by_label = dict(zip(labels, paths, strict=True))
    regular: dict[str, bool] = {}

    def reread(file: str, lines: np.ndarray, columns: Sequence[str]):
        if not regular[file]:  # a pipe cannot be read twice
            return None
        return _cells_on_lines(file, lines, columns, by_label[file])

    opened: list[tuple[_Input, bool]] = []
    pieces: list[Iterator[tuple[pd.DataFrame, np.ndarray]]] = []
    try:  # open all three first: a wrong path is told at once, not after a long read
        for path, label in zip(paths, labels, strict=True):
            opened.append(_open_input(path, label, budget))
            regular[label] = opened[-1][1]
        pieces = [
            _csv_chunks(stream, path, label)
            for stream, path, label in zip(opened, paths, labels, strict=True)
        ]
        tables = _read_tables(
            (pieces[0], pieces[1], pieces[2]), labels, keep_ids, None if keep_ids else reread
        )
    finally:
        for chunks in pieces:
            chunks.close()
        for stream, _ in opened:
            stream.close()
    return DoraLog(*tables, sources=labels)


def bibby_log() -> DoraLog:
    """Bibby's deployment log shipped in ``data/`` (written by ``python -m interview_lab.datagen``)."""
    from interview_lab.settings import data_path

    return load_log(*(data_path(name) for name in BIBBY_FILES))


# ---------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------


def to_utc(
    value: str | date | datetime | pd.Timestamp | np.datetime64, name: str = "time"
) -> pd.Timestamp:
    """A date (00:00 UTC) or timestamp as a UTC ``Timestamp``; naive timestamps are UTC."""
    if isinstance(value, pd.Timestamp | datetime | np.datetime64):
        stamp = pd.Timestamp(value)
    elif isinstance(value, date):
        stamp = pd.Timestamp(value.isoformat())
    elif isinstance(value, str):
        try:
            stamp = pd.Timestamp(value.strip())
        except ValueError:
            stamp = pd.NaT
    else:
        raise ValueError(f"{name} must be a date or a timestamp, got {value!r}")
    if stamp is pd.NaT or pd.isna(stamp):
        raise ValueError(
            f"{name} must be a date such as 2025-01-06 or an ISO 8601 timestamp such as "
            f"{_EXAMPLE_TIMESTAMP}, got {value!r}"
        )
    stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
    return stamp.as_unit("us")


def _us(stamp: pd.Timestamp) -> int:
    return int(stamp.as_unit("us").asm8.astype(np.int64))


def _stamp(micros: int) -> pd.Timestamp:
    return pd.Timestamp(micros, unit="us", tz="UTC")


def _window(
    arrays: _Arrays,
    start: object,
    end: object,
    counted_any: np.ndarray,
    who: str,
) -> tuple[int, int]:
    """``[start, end)`` in microseconds, defaulting to the counted deployments' days."""
    times = arrays.dep_t[counted_any]
    if (start is None or end is None) and times.size == 0:
        raise ValueError(
            f"{who} has no successful deployment, so there is no default window; "
            "give start and end"
        )
    start_us = _us(to_utc(start, "start")) if start is not None else int(
        times.min() // US_PER_DAY * US_PER_DAY
    )
    end_us = _us(to_utc(end, "end")) if end is not None else int(
        (times.max() // US_PER_DAY + 1) * US_PER_DAY
    )
    for name, value in (("start", start_us), ("end", end_us)):
        if not _MIN_US <= value <= _END_US:
            raise ValueError(
                f"{name} {_stamp(value).isoformat()} is outside the years {FIRST_YEAR} to "
                f"{LAST_YEAR} that this course reads"
            )
    if start_us >= end_us:
        raise ValueError(
            f"the window is empty: start {_stamp(start_us).isoformat()} is not before "
            f"end {_stamp(end_us).isoformat()}"
        )
    return start_us, end_us


def _service_code(arrays: _Arrays, service: str | None) -> int | None:
    if service is None:
        return None
    if service not in arrays.services:
        known = ", ".join(arrays.services) or "none"
        raise ValueError(f"service {service!r} is not in the log; its services are: {known}")
    return arrays.services.index(service)


# ---------------------------------------------------------------------------------------
# The four keys
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FourKeys:
    """The four keys of one window (overall or one service) and their tiers."""

    start: pd.Timestamp
    end: pd.Timestamp
    service: str | None
    report_year: int
    window_days: float
    deployments: int
    failed_attempts: int
    deploys_per_week: float
    frequency_bucket: str | None
    whole_weeks: int
    whole_months: int
    median_deploy_days_per_week: float | None
    median_deploys_per_week: float | None
    median_deploys_per_month: float | None
    lead_time_median_hours: float | None
    lead_time_pairs: int
    lead_time_pairs_dropped: int
    failed_deployments: int
    change_failure_rate: float | None
    incidents: int
    resolved_incidents: int
    unresolved_incidents: int
    time_to_restore_median_hours: float | None
    failed_deployment_recovery_median_hours: float | None
    tiers: Tiers

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON: timestamps as ISO 8601 text, missing values as ``None``."""
        out: dict[str, object] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, pd.Timestamp):
                value = value.isoformat()
            elif isinstance(value, Tiers):
                value = value.to_dict()
            out[name] = value
        return out


def _median(values: np.ndarray) -> float | None:
    """PERCENTILE_CONT(0.5): the middle value, or the mean of the two middle values."""
    return float(np.median(values)) if values.size else None


def _frequency_bucket(times: np.ndarray, start_us: int, end_us: int) -> dict[str, object]:
    """Four Keys' bucket over the whole ISO weeks and calendar months inside the window."""
    first_week = -((-(start_us + MONDAY_SHIFT_US)) // US_PER_WEEK)  # ceil
    end_week = (end_us + MONDAY_SHIFT_US) // US_PER_WEEK  # exclusive
    n_weeks = max(0, end_week - first_week)
    start64 = np.datetime64(start_us, "us")
    first_month = start64.astype("datetime64[M]")
    if first_month.astype("datetime64[us]") < start64:
        first_month = first_month + np.timedelta64(1, "M")
    end_month = np.datetime64(end_us, "us").astype("datetime64[M]")  # exclusive
    n_months = max(0, int((end_month - first_month).astype(np.int64)))
    result: dict[str, object] = {
        "whole_weeks": int(n_weeks),
        "whole_months": n_months,
        "median_deploy_days_per_week": None,
        "median_deploys_per_week": None,
        "median_deploys_per_month": None,
        "frequency_bucket": None,
    }
    if n_weeks == 0:
        return result
    # Deployments per day of the window (day 0 holds start): one pass over the deployments;
    # weeks and months are then sums over days, which are few.
    first_day = start_us // US_PER_DAY
    n_days = (end_us - 1) // US_PER_DAY - first_day + 1
    day = times // US_PER_DAY
    day -= first_day
    per_day = np.bincount(day, minlength=n_days)
    del day
    # Day d (since 1970-01-01, a Thursday) is in ISO week (d + 3) // 7, which starts on day
    # 7 * week - 3; a whole week's seven days all lie inside the window.
    mondays = np.arange(first_week, end_week, dtype=np.int64) * 7 - 3 - first_day
    week_days = per_day[mondays[:, None] + np.arange(7)]
    deploys_per_week = week_days.sum(axis=1)
    days_per_week = (week_days > 0).sum(axis=1)
    med_days = _median(days_per_week.astype(float))
    med_week = _median(deploys_per_week.astype(float))
    result["median_deploy_days_per_week"] = med_days
    result["median_deploys_per_week"] = med_week
    if n_months:
        dates = (first_day + np.arange(n_days, dtype=np.int64)).astype("datetime64[D]")
        months = dates.astype("datetime64[M]").astype(np.int64) - first_month.astype(np.int64)
        in_months = (months >= 0) & (months < n_months)
        per_month = np.bincount(months[in_months], weights=per_day[in_months],
                                minlength=n_months)
        result["median_deploys_per_month"] = _median(per_month.astype(float))
    if med_days is not None and med_days >= 3:
        result["frequency_bucket"] = "Daily"
    elif med_week is not None and med_week >= 1:
        result["frequency_bucket"] = "Weekly"
    elif result["median_deploys_per_month"] is not None:
        monthly = result["median_deploys_per_month"] >= 1
        result["frequency_bucket"] = "Monthly" if monthly else "Yearly"
    return result


def four_keys(
    log: DoraLog,
    start: str | date | datetime | pd.Timestamp | None = None,
    end: str | date | datetime | pd.Timestamp | None = None,
    service: str | None = None,
    report_year: int = DEFAULT_REPORT_YEAR,
) -> FourKeys:
    """The four keys of ``log`` in ``[start, end)``, overall or for one service, with tiers."""
    check_report_year(report_year)
    a = log._arrays
    code = _service_code(a, service)
    of_service = np.ones(a.dep_t.size, dtype=bool) if code is None else a.dep_service == code
    who = "the log" if service is None else f"service {service!r}"
    start_us, end_us = _window(a, start, end, a.dep_success & of_service, who)

    in_window = (a.dep_t >= start_us) & (a.dep_t < end_us) & of_service
    counted = in_window & a.dep_success
    n_deployments = int(counted.sum())
    n_failed_attempts = int((in_window & ~a.dep_success).sum())
    window_days = (end_us - start_us) / US_PER_DAY
    deploys_per_week = n_deployments / (window_days / 7)
    bucket = _frequency_bucket(a.dep_t[counted], start_us, end_us)

    # Lead time: (change, counted deployment) pairs, whole seconds, positive only.
    pair = counted[a.ch_row]
    seconds = (a.dep_t[a.ch_row[pair]] - a.ch_t[pair]) // US_PER_S
    positive = seconds[seconds > 0]
    lead = _median(positive.astype(float))

    failed_deployments = int((counted & a.dep_has_incident).sum())
    change_failure_rate = failed_deployments / n_deployments if n_deployments else None

    opened = (a.inc_open >= start_us) & (a.inc_open < end_us)
    linked = a.inc_row >= 0
    if code is not None:
        opened &= a.inc_service == code
    resolved = opened & a.inc_resolved
    durations = (a.inc_res - a.inc_open) // US_PER_S
    restore = _median(durations[resolved].astype(float))
    recovery = _median(durations[resolved & linked].astype(float))

    def hours(seconds_value: float | None) -> float | None:
        return None if seconds_value is None else seconds_value / _SECONDS_PER_HOUR

    tiers = classify(
        deploys_per_week, hours(lead), change_failure_rate, hours(restore), report_year
    )
    return FourKeys(
        start=_stamp(start_us),
        end=_stamp(end_us),
        service=service,
        report_year=report_year,
        window_days=window_days,
        deployments=n_deployments,
        failed_attempts=n_failed_attempts,
        deploys_per_week=deploys_per_week,
        frequency_bucket=bucket["frequency_bucket"],
        whole_weeks=bucket["whole_weeks"],
        whole_months=bucket["whole_months"],
        median_deploy_days_per_week=bucket["median_deploy_days_per_week"],
        median_deploys_per_week=bucket["median_deploys_per_week"],
        median_deploys_per_month=bucket["median_deploys_per_month"],
        lead_time_median_hours=hours(lead),
        lead_time_pairs=int(positive.size),
        lead_time_pairs_dropped=int(seconds.size - positive.size),
        failed_deployments=failed_deployments,
        change_failure_rate=change_failure_rate,
        incidents=int(opened.sum()),
        resolved_incidents=int(resolved.sum()),
        unresolved_incidents=int((opened & ~a.inc_resolved).sum()),
        time_to_restore_median_hours=hours(restore),
        failed_deployment_recovery_median_hours=hours(recovery),
        tiers=tiers,
    )


def summary_table(
    log: DoraLog,
    start: str | date | datetime | pd.Timestamp | None = None,
    end: str | date | datetime | pd.Timestamp | None = None,
    report_year: int = DEFAULT_REPORT_YEAR,
) -> pd.DataFrame:
    """One row per service plus an overall row (``service`` = ``"(all)"``), as four_keys gives
    them (each service's default window is its own; a service without a successful deployment
    gets the overall window)."""
    overall = four_keys(log, start, end, None, report_year)
    results = [overall]
    a = log._arrays
    for code, name in enumerate(a.services):
        has_own = bool((a.dep_success & (a.dep_service == code)).any())
        s, e = (start, end) if has_own else (overall.start, overall.end)
        results.append(four_keys(log, s, e, name, report_year))
    rows = []
    for result in results:
        row: dict[str, object] = {"service": OVERALL if result.service is None else result.service}
        row.update((k, v) for k, v in result.to_dict().items() if k not in ("service", "tiers"))
        row["start"], row["end"] = result.start, result.end
        for metric, tier in result.tiers.to_dict().items():
            if metric != "report_year":
                row[f"tier_{metric}"] = tier
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Weekly trend
# ---------------------------------------------------------------------------------------

TREND_COLUMNS: tuple[str, ...] = (
    "service",
    "week_start",
    "days_in_window",
    "deployments",
    "failed_attempts",
    "deploys_per_week",
    "failed_deployments",
    "change_failure_rate",
    "lead_time_pairs",
    "lead_time_median_hours",
    "incidents",
    "resolved_incidents",
    "unresolved_incidents",
    "time_to_restore_median_hours",
)


def _grid_counts(mask: np.ndarray, group: np.ndarray, week: np.ndarray, shape) -> np.ndarray:
    """Counts per (group, week) of the rows in ``mask``; groups ``< 0`` count only overall."""
    n_groups, n_weeks = shape
    per = np.zeros((n_groups + 1, n_weeks), dtype=np.int64)
    with_group = mask & (group >= 0)
    flat = np.bincount(
        group[with_group] * n_weeks + week[with_group], minlength=n_groups * n_weeks
    )
    per[1:] = flat.reshape(n_groups, n_weeks)
    per[0] = np.bincount(week[mask], minlength=n_weeks)
    return per


def _grid_medians(values: np.ndarray, group: np.ndarray, week: np.ndarray, shape) -> np.ndarray:
    """Medians per (group, week), NaN where empty; row 0 is overall (every value)."""
    n_groups, n_weeks = shape
    out = np.full((n_groups + 1, n_weeks), np.nan)
    if values.size == 0:
        return out
    overall = pd.Series(values).groupby(week).median()
    out[0, overall.index.to_numpy()] = overall.to_numpy()
    with_group = group >= 0
    if with_group.any():
        per = pd.Series(values[with_group]).groupby(
            [group[with_group], week[with_group]]
        ).median()
        g = per.index.get_level_values(0).to_numpy()
        w = per.index.get_level_values(1).to_numpy()
        out[g + 1, w] = per.to_numpy()
    return out


def weekly_trend(
    log: DoraLog,
    start: str | date | datetime | pd.Timestamp | None = None,
    end: str | date | datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The keys week by week (ISO weeks from Monday 00:00 UTC), overall and per service.

    One row per service and week (overall rows first, ``service`` = ``"(all)"``), for every
    week that meets the window (the overall default window unless given). Columns: see
    ``TREND_COLUMNS``; a week cut by the window edge has ``days_in_window`` below 7 and its
    ``deploys_per_week`` is scaled to a whole week. Incidents count in the week they opened,
    changes and deployment failures in the week of their deployment. Medians are NaN where a
    week has nothing to time.
    """
    a = log._arrays
    start_us, end_us = _window(a, start, end, a.dep_success, "the log")
    first_week = (start_us + MONDAY_SHIFT_US) // US_PER_WEEK
    last_week = (end_us - 1 + MONDAY_SHIFT_US) // US_PER_WEEK
    n_weeks = int(last_week - first_week + 1)
    n_groups = len(a.services)
    shape = (n_groups, n_weeks)
    week_starts = (first_week + np.arange(n_weeks)) * US_PER_WEEK - MONDAY_SHIFT_US
    days_in = (
        np.minimum(week_starts + US_PER_WEEK, end_us) - np.maximum(week_starts, start_us)
    ) / US_PER_DAY

    in_window = (a.dep_t >= start_us) & (a.dep_t < end_us)
    dep_week = (a.dep_t + MONDAY_SHIFT_US) // US_PER_WEEK - first_week
    dep_week = np.where(in_window, dep_week, 0)
    counted = in_window & a.dep_success
    deployments = _grid_counts(counted, a.dep_service, dep_week, shape)
    failed_attempts = _grid_counts(in_window & ~a.dep_success, a.dep_service, dep_week, shape)
    failed_deployments = _grid_counts(counted & a.dep_has_incident, a.dep_service, dep_week, shape)

    pair = counted[a.ch_row]
    rows = a.ch_row[pair]
    seconds = (a.dep_t[rows] - a.ch_t[pair]) // US_PER_S
    keep = seconds > 0
    lead_pairs = _grid_counts(
        np.ones(int(keep.sum()), dtype=bool), a.dep_service[rows[keep]], dep_week[rows[keep]], shape
    )
    lead = _grid_medians(
        seconds[keep] / _SECONDS_PER_HOUR, a.dep_service[rows[keep]], dep_week[rows[keep]], shape
    )

    opened = (a.inc_open >= start_us) & (a.inc_open < end_us)
    inc_week = np.where(opened, (a.inc_open + MONDAY_SHIFT_US) // US_PER_WEEK - first_week, 0)
    inc_group = a.inc_service
    incidents = _grid_counts(opened, inc_group, inc_week, shape)
    resolved_mask = opened & a.inc_resolved
    resolved = _grid_counts(resolved_mask, inc_group, inc_week, shape)
    unresolved = _grid_counts(opened & ~a.inc_resolved, inc_group, inc_week, shape)
    hours = ((a.inc_res - a.inc_open) // US_PER_S)[resolved_mask] / _SECONDS_PER_HOUR
    restore = _grid_medians(hours, inc_group[resolved_mask], inc_week[resolved_mask], shape)

    labels = np.repeat(np.array((OVERALL, *a.services), dtype=object), n_weeks)
    with np.errstate(invalid="ignore", divide="ignore"):
        cfr = np.where(deployments > 0, failed_deployments / np.maximum(deployments, 1), np.nan)
    frame = pd.DataFrame(
        {
            "service": pd.Series(labels, dtype="str"),
            "week_start": pd.DatetimeIndex(
                np.tile(week_starts, n_groups + 1).astype("datetime64[us]")
            ).tz_localize("UTC"),
            "days_in_window": np.tile(days_in, n_groups + 1),
            "deployments": deployments.ravel(),
            "failed_attempts": failed_attempts.ravel(),
            "deploys_per_week": (deployments / days_in * 7).ravel(),
            "failed_deployments": failed_deployments.ravel(),
            "change_failure_rate": cfr.ravel(),
            "lead_time_pairs": lead_pairs.ravel(),
            "lead_time_median_hours": lead.ravel(),
            "incidents": incidents.ravel(),
            "resolved_incidents": resolved.ravel(),
            "unresolved_incidents": unresolved.ravel(),
            "time_to_restore_median_hours": restore.ravel(),
        }
    )
    return frame.loc[:, list(TREND_COLUMNS)]


def hours_text(hours: float | None) -> str:
    """A duration in hours for people: '45 min', '3.2 h', '2.5 days'; 'n/a' when missing."""
    if hours is None or (isinstance(hours, float) and math.isnan(hours)):
        return "n/a"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
