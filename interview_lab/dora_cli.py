"""``python -m interview_lab dora``: the four keys of a deployment log, as a table or JSON.

Definitions are :mod:`interview_lab.dora`'s (Four Keys), tiers :mod:`interview_lab.dora_tiers`'s
(DORA report 2021 or 2023). Without file arguments the command reads Bibby's log shipped in
``data/``. Exit status 0 on success, 2 on bad usage or bad input (one line on stderr naming
the file, line and column; never a traceback).

The files are read in chunks and only what the keys need is kept (no id text), so memory
grows with the number of rows, not with the size of the files: a gigabyte of deployments
needs about a gigabyte of memory at its peak (``benchmarks/test_dora_bench.py`` measures
it). Logs larger than ``--max-input-gb`` (default 1.5) are refused in one line before they
are read, rather than read until memory runs out.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence

from interview_lab.dora_tiers import DEFAULT_REPORT_YEAR, REPORTS, check_report_year

DEFAULT_MAX_INPUT_GB = 1.5  # dora.DEFAULT_MAX_INPUT_BYTES in GB (importing dora loads pandas)


class _UsageError(Exception):
    """Bad command-line usage; the message is printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    years = ", ".join(str(y) for y in sorted(REPORTS))
    parser = _Parser(
        prog="python -m interview_lab dora",
        description=(
            "Compute the four keys (deployment frequency, lead time for changes, change "
            "failure rate, time to restore) of a deployment log and rate them against a DORA "
            "report's tiers. Without --deployments/--changes/--incidents it reads Bibby's "
            "shipped log in data/ (bibby_deployments.csv, bibby_changes.csv, "
            "bibby_incidents.csv); give all three files or none."
        ),
    )
    parser.add_argument("--deployments", metavar="F", help="CSV: deploy_id,service,deployed_at,status")
    parser.add_argument("--changes", metavar="F", help="CSV: commit_sha,deploy_id,committed_at")
    parser.add_argument(
        "--incidents", metavar="F", help="CSV: incident_id,deploy_id,opened_at,resolved_at"
    )
    parser.add_argument(
        "--start",
        metavar="D",
        help="window start: a date (00:00 UTC) or an ISO 8601 timestamp; default: the day of "
        "the first successful deployment",
    )
    parser.add_argument(
        "--end",
        metavar="D",
        help="window end, excluded: a date (00:00 UTC) or an ISO 8601 timestamp; default: the "
        "day after the last successful deployment",
    )
    parser.add_argument("--service", metavar="S", help="only this service (default: all)")
    parser.add_argument(
        "--report-year",
        metavar="Y",
        type=int,
        default=DEFAULT_REPORT_YEAR,
        help=f"DORA report whose tiers to use: {years} (default {DEFAULT_REPORT_YEAR})",
    )
    parser.add_argument(
        "--max-input-gb",
        metavar="GB",
        type=float,
        default=DEFAULT_MAX_INPUT_GB,
        help="refuse logs whose three files hold more than this many gigabytes (10^9 bytes) "
        f"together (default {DEFAULT_MAX_INPUT_GB:g}); each gigabyte of CSV needs about a "
        "gigabyte of memory",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    return parser


def one_line(text: str) -> str:
    """A message as one printable line: line breaks and control characters escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def render(result) -> str:
    """The readable table of a :class:`~interview_lab.dora.FourKeys` result."""
    from interview_lab.dora import hours_text

    tiers = result.tiers
    scope = "all services" if result.service is None else f"service {result.service}"
    days = f"{result.window_days:g} days"
    head = (
        f"Four keys, {scope}: {result.start.date()} to {result.end.date()} "
        f"(window [start, end), {days}); tiers from the DORA report {result.report_year}"
    )
    bucket = result.frequency_bucket or "too short to tell"
    rows = [
        (
            "deployment frequency",
            f"{result.deploys_per_week:.2f} per week ({result.deployments} deployments; "
            f"Four Keys bucket: {bucket})",
            tiers.deployment_frequency,
        ),
        (
            "lead time for changes",
            f"median {hours_text(result.lead_time_median_hours)} over "
            f"{result.lead_time_pairs} changes",
            tiers.lead_time,
        ),
        (
            "change failure rate",
            f"{_percent(result.change_failure_rate)} ({result.failed_deployments} of "
            f"{result.deployments} deployments led to an incident)",
            tiers.change_failure_rate,
        ),
        (
            "time to restore",
            f"median {hours_text(result.time_to_restore_median_hours)} over "
            f"{result.resolved_incidents} resolved incidents; {result.unresolved_incidents} "
            "still open",
            tiers.time_to_restore,
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    lines = [head, ""]
    lines.append(f"{'metric':<{width}}  {'value':<{value_width}}  tier")
    for name, value, tier in rows:
        lines.append(f"{name:<{width}}  {value:<{value_width}}  {tier or 'n/a'}")
    lines.append("")
    lines.append(f"failed attempts (not counted as deployments): {result.failed_attempts}")
    lines.append(f"overall tier (the lowest of the four): {tiers.overall or 'n/a'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
    except _UsageError as error:
        print(f"error: {one_line(str(error))} (see --help)", file=sys.stderr)
        return 2
    if not args.max_input_gb > 0:  # also refuses nan
        print(f"error: --max-input-gb must be above 0, got {args.max_input_gb:g}", file=sys.stderr)
        return 2
    try:
        check_report_year(args.report_year)
    except ValueError as error:
        print(f"error: {one_line(str(error))}", file=sys.stderr)
        return 2
    files = (args.deployments, args.changes, args.incidents)
    if any(files) and not all(files):
        print(
            "error: give all three files (--deployments, --changes, --incidents) or none "
            "for Bibby's log",
            file=sys.stderr,
        )
        return 2

    from interview_lab import dora

    max_bytes = int(min(args.max_input_gb, 1e9) * 1e9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", dora.NaiveTimestampWarning)
        try:
            if all(files):
                log = dora.load_log(*files, keep_ids=False, max_input_bytes=max_bytes)
            else:
                log = dora.bibby_log()
            result = dora.four_keys(
                log, args.start, args.end, args.service, report_year=args.report_year
            )
        except OSError as error:
            name = getattr(error, "filename", None) or ""
            reason = error.strerror or str(error)
            print(f"error: cannot read {one_line(name)}: {one_line(reason)}", file=sys.stderr)
            return 2
        except dora.InputTooLargeError as error:
            print(
                f"error: {one_line(str(error))}; split the log by date, or raise the limit "
                "with --max-input-gb if the machine has the memory",
                file=sys.stderr,
            )
            return 2
        except (ValueError, OverflowError) as error:
            print(f"error: {one_line(str(error))}", file=sys.stderr)
            return 2
        except MemoryError:
            print(
                "error: not enough memory to read this log; lower --max-input-gb or split "
                "the log by date",
                file=sys.stderr,
            )
            return 2
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            return 130
    for warning in caught:
        print(f"warning: {one_line(str(warning.message))}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
