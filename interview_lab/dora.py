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

import math
import re
import warnings
from collections.abc import Callable, Sequence
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
    "INCIDENT_COLUMNS",
    "OVERALL",
    "STATUSES",
    "TIER_TABLE",
    "TIERS",
    "TREND_COLUMNS",
    "DoraInputError",
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
            found = ", ".join(str(c) for c in frame.columns) or "no columns"
            raise DoraInputError(
                file, 1, column, f"the header has no column {column!r} (found: {found})"
            )


@dataclass(frozen=True)
class _Times:
    micros: np.ndarray  # int64 microseconds since the epoch (meaningless where missing)
    missing: np.ndarray  # bool: empty cell
    bad: np.ndarray  # bool: non-empty but not a timestamp
    raw: np.ndarray | None  # the cells as text, for messages


def _naive_mask(text: np.ndarray) -> np.ndarray:
    """Which ISO 8601 strings carry no UTC offset ('Z', '+hh:mm' or '-hh:mm' after the date)."""
    if text.size == 0:
        return np.zeros(0, dtype=bool)
    chars = np.strings.strip(text.astype(str))
    has_offset = (
        np.strings.endswith(chars, "Z")
        | np.strings.endswith(chars, "z")
        | (np.strings.rfind(chars, "+") > 9)
        | (np.strings.rfind(chars, "-") > 9)
    )
    return ~has_offset


def _times(series: pd.Series, file: str, column: str, lines: np.ndarray) -> _Times:
    """Parse one timestamp column to UTC microseconds, warning about naive values."""
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
    if naive.any():
        first = int(lines[np.flatnonzero(naive)[0]])
        warnings.warn(
            f"{file}: {int(naive.sum())} value(s) in column {column} have no UTC offset "
            f"(first on line {first}); they were read as UTC",
            NaiveTimestampWarning,
            stacklevel=4,
        )
    return _Times(micros=micros, missing=missing, bad=bad, raw=raw)


def _timestamp_problem(times: _Times) -> Callable[[int], str]:
    def problem(i: int) -> str:
        shown = times.raw[i] if times.raw is not None else "?"
        return (
            f"cannot read {shown!r} as an ISO 8601 timestamp "
            f"(write it like {_EXAMPLE_TIMESTAMP})"
        )

    return problem


def _show(times: _Times, i: int) -> str:
    if times.raw is not None:
        return repr(times.raw[i])
    return pd.Timestamp(int(times.micros[i]), unit="us", tz="UTC").isoformat()


def _to_series(micros: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    values = micros.astype("datetime64[us]")
    if missing is not None and missing.any():
        values = values.copy()
        values[missing] = np.datetime64("NaT")
    return pd.Series(values).dt.tz_localize("UTC")


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


def _lookup(index: pd.Index, values: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where absent); an object Index skips inference."""
    return index.get_indexer(pd.Index(values, dtype=object, copy=False)).astype(np.int64)


def _first_duplicate(values: np.ndarray, index: pd.Index) -> int | None:
    """Position of the first repeated value of a unique-checked Index, or None."""
    if index.is_unique:
        return None
    return int(np.flatnonzero(index.duplicated(keep="first"))[0])


def _duplicate_error(
    file: str, lines: np.ndarray, column: str, values: np.ndarray, position: int, what: str
) -> DoraInputError:
    first = int(np.flatnonzero(values == values[position])[0])
    return DoraInputError(
        file,
        int(lines[position]),
        column,
        f"{what} {values[position]!r} appears twice (first on line {int(lines[first])})",
    )


def _validate_deployments(frame: pd.DataFrame, file: str, lines: np.ndarray) -> pd.DataFrame:
    _require_columns(frame, DEPLOYMENT_COLUMNS, file)
    id_column, ids = _column(frame, "deploy_id")
    _, services = _column(frame, "service")
    _, status = _column(frame, "status")
    times = _times(frame["deployed_at"], file, "deployed_at", lines)
    service_codes, service_names, blank_service = _factorize(services)
    status_codes, _, bad_status = _factorize(status, STATUSES)
    index = pd.Index(ids, dtype=object)
    blank_id = _blank(ids) if (index.hasnans or "" in index) else np.zeros(ids.size, bool)
    _raise_first(
        file,
        lines,
        [
            (blank_id, "deploy_id", lambda i: "deploy_id is empty"),
            (blank_service, "service", lambda i: "service is empty"),
            (times.missing, "deployed_at", lambda i: "deployed_at is empty"),
            (times.bad, "deployed_at", _timestamp_problem(times)),
            (
                bad_status,
                "status",
                lambda i: f"status must be 'success' or 'failed', got {status[i]!r}",
            ),
        ],
    )
    position = _first_duplicate(ids, index)
    if position is not None:
        raise _duplicate_error(file, lines, "deploy_id", ids, position, "deploy_id")
    return pd.DataFrame(
        {
            "deploy_id": id_column,
            "service": pd.Categorical.from_codes(service_codes, categories=service_names),
            "deployed_at": _to_series(times.micros),
            "status": pd.Categorical.from_codes(status_codes, categories=list(STATUSES)),
        },
        copy=False,
    )


def _validate_changes(
    frame: pd.DataFrame, file: str, lines: np.ndarray, deploy_index: pd.Index
) -> pd.DataFrame:
    _require_columns(frame, CHANGE_COLUMNS, file)
    sha_column, shas = _column(frame, "commit_sha")
    deploy_column, deploy_ids = _column(frame, "deploy_id")
    times = _times(frame["committed_at"], file, "committed_at", lines)
    rows = _lookup(deploy_index, deploy_ids)  # -1: blank or unknown

    def reference_problem(i: int) -> str:
        if _blank(deploy_ids[i : i + 1])[0]:
            return "deploy_id is empty"
        return f"deploy_id {deploy_ids[i]!r} is not in the deployments table"

    _raise_first(
        file,
        lines,
        [
            (_blank(shas), "commit_sha", lambda i: "commit_sha is empty"),
            (rows < 0, "deploy_id", reference_problem),
            (times.missing, "committed_at", lambda i: "committed_at is empty"),
            (times.bad, "committed_at", _timestamp_problem(times)),
        ],
    )
    # Duplicate (commit_sha, deploy_id) pairs. Python's own string hash (cached on each str,
    # computed in C by ``map``) mixed with the deployment's row gives one integer per pair;
    # sorting those finds equal keys, and only equal keys are compared as strings.
    hashes = np.fromiter(map(hash, shas), dtype=np.int64, count=shas.size).view(np.uint64)
    keys = hashes ^ (rows.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    ordered = np.sort(keys)
    repeated_keys = ordered[1:][ordered[1:] == ordered[:-1]]
    if repeated_keys.size:
        suspects = np.flatnonzero(np.isin(keys, repeated_keys))
        pairs = pd.DataFrame({"sha": shas[suspects], "row": rows[suspects]})
        repeated = np.flatnonzero(pairs.duplicated(keep="first").to_numpy())
        if repeated.size:
            position = int(suspects[repeated[0]])
            same = (shas[suspects] == shas[position]) & (rows[suspects] == rows[position])
            first = int(suspects[np.flatnonzero(same)[0]])
            raise DoraInputError(
                file,
                int(lines[position]),
                "commit_sha",
                f"commit {shas[position]!r} is listed twice under deploy_id "
                f"{deploy_ids[position]!r} (first on line {int(lines[first])})",
            )
    return pd.DataFrame(
        {
            "commit_sha": sha_column,
            "deploy_id": deploy_column,
            "committed_at": _to_series(times.micros),
            "deploy_row": rows,
        },
        copy=False,
    )


def _validate_incidents(
    frame: pd.DataFrame, file: str, lines: np.ndarray, deploy_index: pd.Index
) -> pd.DataFrame:
    _require_columns(frame, INCIDENT_COLUMNS, file)
    id_column, ids = _column(frame, "incident_id")
    deploy_column, deploy_ids = _column(frame, "deploy_id")
    opened = _times(frame["opened_at"], file, "opened_at", lines)
    resolved = _times(frame["resolved_at"], file, "resolved_at", lines)
    linked = ~_blank(deploy_ids)
    rows = np.full(ids.size, -1, dtype=np.int64)
    rows[linked] = _lookup(deploy_index, deploy_ids[linked])
    both = ~opened.missing & ~opened.bad & ~resolved.missing & ~resolved.bad
    early = both & (resolved.micros < opened.micros)

    def early_problem(i: int) -> str:
        return f"resolved_at {_show(resolved, i)} is before opened_at {_show(opened, i)}"

    _raise_first(
        file,
        lines,
        [
            (_blank(ids), "incident_id", lambda i: "incident_id is empty"),
            (
                linked & (rows < 0),
                "deploy_id",
                lambda i: f"deploy_id {deploy_ids[i]!r} is not in the deployments table",
            ),
            (opened.missing, "opened_at", lambda i: "opened_at is empty"),
            (opened.bad, "opened_at", _timestamp_problem(opened)),
            (resolved.bad, "resolved_at", _timestamp_problem(resolved)),
            (early, "resolved_at", early_problem),
        ],
    )
    position = _first_duplicate(ids, pd.Index(ids, dtype=object))
    if position is not None:
        raise _duplicate_error(file, lines, "incident_id", ids, position, "incident_id")
    deploy_column = deploy_column.where(linked)
    return pd.DataFrame(
        {
            "incident_id": id_column,
            "deploy_id": deploy_column,
            "opened_at": _to_series(opened.micros),
            "resolved_at": _to_series(resolved.micros, resolved.missing),
            "deploy_row": rows,
        },
        copy=False,
    )


def _read_csv(path: str | PathLike[str], label: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV as text; return the rows (blank lines dropped) and their line numbers."""
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise DoraInputError(
            label, 1, None, "the file is empty; its first line must be the header"
        ) from None
    except pd.errors.ParserError as error:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if found is None:
            raise DoraInputError(label, None, None, f"not a readable CSV file ({error})") from None
        expected, line, saw = (int(g) for g in found.groups())
        raise DoraInputError(
            label, line, None, f"the row has {saw} fields but the header has {expected}"
        ) from None
    except UnicodeDecodeError as error:
        raise DoraInputError(label, None, None, f"not UTF-8 text ({error.reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    lines = np.arange(len(frame), dtype=np.int64) + 2
    if len(frame) and len(frame.columns):
        blank = _blank(_column(frame, frame.columns[0])[1])
        for column in frame.columns[1:]:
            if not blank.any():
                break
            blank[blank] = _blank(_column(frame, column)[1][blank])
        if blank.any():
            frame = frame.loc[~blank].reset_index(drop=True)
            lines = lines[~blank]
    return frame, lines


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
    (-1 for an incident without one).
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
        return cls._build(
            (deployments, np.arange(len(deployments), dtype=np.int64) + 2),
            (changes, np.arange(len(changes), dtype=np.int64) + 2),
            (incidents, np.arange(len(incidents), dtype=np.int64) + 2),
            sources,
        )

    @classmethod
    def _build(cls, deployments, changes, incidents, sources) -> DoraLog:
        dep = _validate_deployments(deployments[0], sources[0], deployments[1])
        index = pd.Index(dep["deploy_id"].to_numpy(dtype=object), dtype=object)
        ch = _validate_changes(changes[0], sources[1], changes[1], index)
        inc = _validate_incidents(incidents[0], sources[2], incidents[1], index)
        return cls(deployments=dep, changes=ch, incidents=inc, sources=tuple(sources))

    @property
    def services(self) -> tuple[str, ...]:
        """The services in the log, in alphabetical order."""
        return self._arrays.services


def load_log(
    deployments_path: str | PathLike[str],
    changes_path: str | PathLike[str],
    incidents_path: str | PathLike[str],
) -> DoraLog:
    """Read and validate the three CSV files of a deployment log."""
    paths = (deployments_path, changes_path, incidents_path)
    labels = tuple(str(p) for p in paths)
    parts = [_read_csv(path, label) for path, label in zip(paths, labels, strict=True)]
    return DoraLog._build(parts[0], parts[1], parts[2], labels)


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
    weeks = (times + MONDAY_SHIFT_US) // US_PER_WEEK - first_week
    in_weeks = (weeks >= 0) & (weeks < n_weeks)
    deploys_per_week = np.bincount(weeks[in_weeks], minlength=n_weeks)
    days = np.unique(times[in_weeks] // US_PER_DAY)
    days_per_week = np.bincount((days + 3) // 7 - first_week, minlength=n_weeks)
    med_days = _median(days_per_week.astype(float))
    med_week = _median(deploys_per_week.astype(float))
    result["median_deploy_days_per_week"] = med_days
    result["median_deploys_per_week"] = med_week
    if n_months:
        months = (
            times.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
            - first_month.astype(np.int64)
        )
        in_months = (months >= 0) & (months < n_months)
        per_month = np.bincount(months[in_months], minlength=n_months)
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
