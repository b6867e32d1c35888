"""Bibby's deployment log: a synthetic, seeded generator for the course's DORA exercises.

``python -m interview_lab.datagen`` writes ``bibby_deployments.csv``, ``bibby_changes.csv`` and
``bibby_incidents.csv`` into ``data/`` (or ``--out DIR``). The same seed always writes the same
bytes, so the committed files can be checked against a fresh run.

The story is the chapter's: Bibby starts at about one deployment a week and, as the pipeline
is automated, reaches about 15 a week (the chapter's "1/week to 15/week") while the change
failure rate falls from about 15 % to about 5 % and recovery gets faster (the chapter's
12-minute recovery). Every number below is a modelling choice for teaching, not a
measurement:

* 27 ISO weeks from Monday 2025-01-06; deployments on weekdays between 08:00 and 17:30 UTC,
  spread over four services (bibby-api 40 %, bibby-web 30 %, bibby-search 15 %,
  bibby-worker 15 %);
* progress ``r`` follows a logistic curve over the weeks (midpoint week 10); the weekly number
  of successful deployments is ``1 + 14 r`` with a normal spread of 10 %, rounded, at
  least 1;
* before a successful deployment, a failed attempt happens with probability ``0.25 - 0.20 r``;
  it carries the same commits and is retried 20 to 90 minutes later with one fix commit;
* each deployment carries ``1 + Poisson(7 (1 - r) + 0.8 r)`` commits with log-normal lead
  times (median from 72 hours down to 3 hours, sigma 0.9); 3 % of deployments also carry an
  automated version-bump commit made at the moment of deployment (lead time 0, which
  Four Keys leaves out); commit timestamps carry their authors' UTC offsets;
* a deployment causes an incident with probability ``0.16 - 0.11 r``, opened 5 to 90 minutes
  after it; time to resolve is log-normal (median from 3 hours down to 12 minutes,
  sigma 0.7); about one incident in four weeks is not caused by a deployment (e.g. a cloud
  provider's outage); two incidents are still open when the log ends (one caused by the
  last deployment, one on the last Friday night with no deployment behind it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from interview_lab.dora import BIBBY_FILES

SEED = 20250106
FIRST_MONDAY = pd.Timestamp("2025-01-06T00:00:00")  # UTC; times are kept naive in UTC
WEEKS = 27
SERVICES = ("bibby-api", "bibby-web", "bibby-search", "bibby-worker")
SERVICE_SHARES = (0.40, 0.30, 0.15, 0.15)
# UTC offsets of commit authors (Berlin in winter and summer, New York, Bengaluru, London).
AUTHOR_OFFSETS_MIN = np.array([60, 120, -300, 330, 0])
AUTHOR_SHARES = np.array([0.3, 0.2, 0.2, 0.15, 0.15])
DEPLOYMENT_OFFSET = "+00:00"  # the CI server logs in UTC


def progress(week: np.ndarray) -> np.ndarray:
    """How far Bibby's automation has come in each week: 0 at the start, 1 at the end."""
    return 1.0 / (1.0 + np.exp(-(week - 10.0) / 1.8))


def _interp_log(r: np.ndarray, start: float, end: float) -> np.ndarray:
    """Geometric interpolation from ``start`` (r = 0) to ``end`` (r = 1)."""
    return np.exp(np.log(start) * (1.0 - r) + np.log(end) * r)


def _iso(utc: pd.DatetimeIndex, offset_min: np.ndarray | int) -> np.ndarray:
    """UTC times (naive) as ISO 8601 text in the given UTC offsets (minutes), to the second."""
    offsets = np.broadcast_to(np.asarray(offset_min, dtype=np.int64), (len(utc),))
    local = utc + pd.to_timedelta(offsets, unit="min")
    sign = np.where(offsets < 0, "-", "+")
    hh = np.char.zfill((np.abs(offsets) // 60).astype(str), 2)
    mm = np.char.zfill((np.abs(offsets) % 60).astype(str), 2)
    suffix = np.char.add(np.char.add(np.char.add(sign, hh), ":"), mm)
    return np.char.add(local.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=str), suffix)


def _numbered(prefix: str, count: int, digits: int) -> np.ndarray:
    """``prefix`` followed by 1..count, zero-padded: dep-00001, dep-00002, ..."""
    numbers = np.char.zfill(np.arange(1, count + 1).astype(str), digits)
    return np.char.add(prefix, numbers).astype(object)


def _shas(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 40-hex-digit commit SHAs."""
    if n == 0:
        return np.array([], dtype=str)
    return np.frombuffer(rng.bytes(20 * n).hex().encode("ascii"), dtype="S40").astype(str)


def generate(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Bibby's deployments, changes and incidents as text tables, ready to write as CSV."""
    rng = np.random.default_rng(seed)
    weeks = np.arange(WEEKS)
    r_week = progress(weeks.astype(float))

    # Successful deployments.
    mean_per_week = 1.0 + 14.0 * r_week
    spread = rng.normal(mean_per_week, 0.1 * mean_per_week)
    per_week = np.maximum(1, np.round(spread)).astype(np.int64)
    week = np.repeat(weeks, per_week)
    n = week.size
    r = r_week[week]
    weekday = rng.integers(0, 5, n)
    second_of_day = rng.integers(8 * 3600, 17 * 3600 + 30 * 60, n)
    deployed = (
        FIRST_MONDAY
        + pd.to_timedelta(week * 7 + weekday, unit="D")
        + pd.to_timedelta(second_of_day, unit="s")
    )
    service = rng.choice(len(SERVICES), size=n, p=SERVICE_SHARES)
    order = np.argsort(deployed.to_numpy(), kind="stable")
    deployed, week, r, service = deployed[order], week[order], r[order], service[order]

    # Failed attempts before some of them, retried 20-90 minutes later.
    retried = rng.random(n) < 0.25 - 0.20 * r
    retry_gap_s = rng.integers(20 * 60, 90 * 60, n)
    failed_at = deployed - pd.to_timedelta(np.where(retried, retry_gap_s, 0), unit="s")

    # Commits: each deployment's own, an automated bump for a few, a fix for each retry.
    n_commits = 1 + rng.poisson(7.0 * (1.0 - r) + 0.8 * r)
    owner = np.repeat(np.arange(n), n_commits)
    lead_median_h = _interp_log(r[owner], 72.0, 3.0)
    lead_s = np.maximum(
        60, np.round(rng.lognormal(np.log(lead_median_h * 3600.0), 0.9)).astype(np.int64)
    )
    lead_s = np.minimum(lead_s, 30 * 86400)
    committed = deployed[owner] - pd.to_timedelta(lead_s, unit="s")
    # A commit made after the failed attempt is the fix, which the attempt cannot carry.
    carried_by_attempt = retried[owner] & (committed < failed_at[owner])

    bumped = np.flatnonzero(rng.random(n) < 0.03)
    fixes = np.flatnonzero(retried)
    fix_after_failure_s = (rng.random(fixes.size) * (retry_gap_s[fixes] - 300)).astype(np.int64)
    fix_committed = failed_at[fixes] + pd.to_timedelta(fix_after_failure_s + 60, unit="s")

    commit_owner = np.concatenate([owner, bumped, fixes])
    commit_time = pd.DatetimeIndex(
        np.concatenate(
            [
                committed.to_numpy(),
                deployed[bumped].to_numpy(),
                fix_committed.to_numpy(),
            ]
        )
    )
    commit_carried = np.concatenate(
        [carried_by_attempt, np.zeros(bumped.size + fixes.size, dtype=bool)]
    )
    shas = _shas(rng, commit_owner.size)
    author = rng.choice(AUTHOR_OFFSETS_MIN.size, size=commit_owner.size, p=AUTHOR_SHARES)

    # Deployment rows: successes and failed attempts, numbered in time order.
    attempt_of = np.flatnonzero(retried)
    rows_time = pd.DatetimeIndex(
        np.concatenate([deployed.to_numpy(), failed_at[attempt_of].to_numpy()])
    )
    rows_service = np.concatenate([service, service[attempt_of]])
    rows_status = np.concatenate(
        [np.full(n, "success"), np.full(attempt_of.size, "failed")]
    )
    rows_order = np.lexsort((np.arange(rows_time.size), rows_time.to_numpy()))
    deploy_ids = np.empty(rows_time.size, dtype=object)
    deploy_ids[rows_order] = _numbered("dep-", rows_time.size, 5)
    success_id = deploy_ids[:n]
    attempt_id = np.full(n, "", dtype=object)
    attempt_id[attempt_of] = deploy_ids[n:]

    deployments = pd.DataFrame(
        {
            "deploy_id": deploy_ids[rows_order],
            "service": np.array(SERVICES)[rows_service[rows_order]],
            "deployed_at": np.char.replace(
                _iso(rows_time[rows_order], 0), "+00:00", DEPLOYMENT_OFFSET
            ),
            "status": rows_status[rows_order],
        }
    )

    # Change rows: every commit under its deployment, and again under the failed attempt.
    extra = np.flatnonzero(commit_carried)
    change_deploy = np.concatenate([success_id[commit_owner], attempt_id[commit_owner[extra]]])
    change_sha = np.concatenate([shas, shas[extra]])
    change_time = pd.DatetimeIndex(
        np.concatenate([commit_time.to_numpy(), commit_time[extra].to_numpy()])
    )
    change_offset = AUTHOR_OFFSETS_MIN[np.concatenate([author, author[extra]])]
    change_order = np.lexsort((change_time.to_numpy(), change_deploy.astype(str)))
    changes = pd.DataFrame(
        {
            "commit_sha": change_sha[change_order],
            "deploy_id": change_deploy[change_order],
            "committed_at": _iso(change_time[change_order], change_offset[change_order]),
        }
    )

    # Incidents: caused by some deployments, plus a few with no deployment behind them.
    caused = np.flatnonzero(rng.random(n) < 0.16 - 0.11 * r)
    opened_caused = deployed[caused] + pd.to_timedelta(
        rng.integers(5 * 60, 90 * 60, caused.size), unit="s"
    )
    n_other = int(rng.poisson(0.25 * WEEKS))
    opened_other = FIRST_MONDAY + pd.to_timedelta(
        rng.integers(0, WEEKS * 7 * 86400, n_other), unit="s"
    )
    opened = pd.DatetimeIndex(
        np.concatenate([opened_caused.to_numpy(), opened_other.to_numpy()])
    )
    weeks_in = (opened_other - FIRST_MONDAY) / pd.Timedelta(days=7)
    incident_r = np.concatenate([r[caused], progress(np.asarray(weeks_in, dtype=float))])
    resolve_median_h = _interp_log(incident_r, 3.0, 0.2)
    resolve_s = np.maximum(
        60, np.round(rng.lognormal(np.log(resolve_median_h * 3600.0), 0.7)).astype(np.int64)
    )
    resolved = opened + pd.to_timedelta(resolve_s, unit="s")
    incident_deploy = np.concatenate([success_id[caused], np.full(n_other, "", dtype=object)])
    # Two incidents are still open when the log ends: one caused by the last deployment,
    # one with no deployment behind it on the last Friday night.
    last_friday_night = FIRST_MONDAY + pd.Timedelta(days=7 * (WEEKS - 1) + 4, hours=21, minutes=40)
    open_times = pd.DatetimeIndex([deployed[-1] + pd.Timedelta(minutes=25), last_friday_night])
    opened = opened.append(open_times)
    resolved = resolved.append(pd.DatetimeIndex([pd.NaT, pd.NaT]))
    incident_deploy = np.concatenate([incident_deploy, np.array([success_id[-1], ""], dtype=object)])
    incident_order = np.lexsort((np.arange(opened.size), opened.to_numpy()))
    resolved_text = _iso(resolved, 0).astype(object)
    resolved_text[resolved.isna()] = ""
    incidents = pd.DataFrame(
        {
            "incident_id": _numbered("INC-", opened.size, 4),
            "deploy_id": incident_deploy[incident_order],
            "opened_at": _iso(opened[incident_order], 0),
            "resolved_at": resolved_text[incident_order],
        }
    )
    return deployments, changes, incidents


def write(folder: str | Path, seed: int = SEED) -> list[Path]:
    """Write the three Bibby CSV files into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in zip(BIBBY_FILES, generate(seed), strict=True):
        path = folder / name
        frame.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    from interview_lab.settings import data_dir

    parser = argparse.ArgumentParser(
        prog="python -m interview_lab.datagen",
        description="Write Bibby's deployment log (three CSV files) from a fixed seed.",
    )
    parser.add_argument("--out", default=None, help="folder to write into (default: data/)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    for path in write(args.out if args.out is not None else data_dir(), args.seed):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
