"""Speed and memory of the DORA computations at scale (``make bench``; not part of ``make test``).

A synthetic log of 1,000,000 deployments, 3,000,000 changes and 20,000 incidents is built in
memory (string ids, ``datetime64[us, UTC]`` timestamps), then timed:

* ``from_frames``: validating the three DataFrames and indexing them (``DoraLog.from_frames``);
* ``four_keys``: the four keys and tiers of the validated log (the target: at most 1.5 s and
  1.5 GB peak);
* ``frames_to_four_keys``: both, from the DataFrames to the result;
* ``weekly_trend``: the weekly table of every service;
* ``load_csv``: reading the same log from CSV files (parsing and validation included);
* ``cli_bibby``: ``python -m interview_lab dora`` on Bibby's shipped log, as a subprocess
  (the target: under 2 s).

Peak memory is measured separately with ``tracemalloc`` (numpy and pandas report their buffers
to it) and stored in each benchmark's ``extra_info`` as ``peak_bytes`` (decimal: 1 GB = 1e9
bytes); for the CSV path, ``process_peak_rss_bytes`` is the peak resident memory of a fresh
process that loads the files and computes the four keys. Timings are pytest-benchmark's
statistics over several rounds; read the median.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interview_lab import dora

N_DEPLOYMENTS = 1_000_000
N_CHANGES = 3_000_000
N_INCIDENTS = 20_000
N_SERVICES = 20
ROOT = Path(__file__).resolve().parents[1]
START = np.datetime64("2024-01-01T00:00:00", "us")
YEAR_US = 365 * 86_400 * 1_000_000


def _ids(prefix: str, n: int) -> pd.Series:
    digits = np.char.zfill(np.arange(n).astype(str), 7)
    return pd.Series(np.char.add(prefix, digits).astype(object), dtype="str")


def _utc(micros: np.ndarray) -> pd.Series:
    return pd.Series(START + micros.astype("timedelta64[us]")).dt.tz_localize("UTC")


def build_frames(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The synthetic log as three DataFrames, like a team's tables already in memory."""
    rng = np.random.default_rng(seed)
    deployed = np.sort(rng.integers(0, YEAR_US, N_DEPLOYMENTS))
    deploy_ids = _ids("dep-", N_DEPLOYMENTS)
    deployments = pd.DataFrame(
        {
            "deploy_id": deploy_ids,
            "service": pd.Series(
                np.char.add("svc-", rng.integers(0, N_SERVICES, N_DEPLOYMENTS).astype(str)),
                dtype="str",
            ),
            "deployed_at": _utc(deployed),
            "status": pd.Series(
                np.where(rng.random(N_DEPLOYMENTS) < 0.95, "success", "failed"), dtype="str"
            ),
        }
    )
    owner = rng.integers(0, N_DEPLOYMENTS, N_CHANGES)
    lead_us = (rng.lognormal(np.log(6 * 3600), 1.0, N_CHANGES) * 1e6).astype(np.int64)
    shas = np.frombuffer(rng.bytes(20 * N_CHANGES).hex().encode("ascii"), dtype="S40")
    changes = pd.DataFrame(
        {
            "commit_sha": pd.Series(shas.astype(str).astype(object), dtype="str"),
            "deploy_id": pd.Series(deploy_ids.to_numpy(dtype=object)[owner], dtype="str"),
            "committed_at": _utc(deployed[owner] - lead_us),
        }
    )
    linked = rng.random(N_INCIDENTS) < 0.8
    cause = rng.integers(0, N_DEPLOYMENTS, N_INCIDENTS)
    opened = np.where(linked, deployed[cause] + 600_000_000, rng.integers(0, YEAR_US, N_INCIDENTS))
    duration = (rng.lognormal(np.log(1800), 1.0, N_INCIDENTS) * 1e6).astype(np.int64)
    resolved = _utc(opened + duration)
    resolved[rng.random(N_INCIDENTS) < 0.05] = pd.NaT
    incidents = pd.DataFrame(
        {
            "incident_id": _ids("INC-", N_INCIDENTS),
            "deploy_id": pd.Series(
                np.where(linked, deploy_ids.to_numpy(dtype=object)[cause], None), dtype="str"
            ),
            "opened_at": _utc(opened),
            "resolved_at": resolved,
        }
    )
    return deployments, changes, incidents


@pytest.fixture(scope="module")
def frames():
    return build_frames()


@pytest.fixture(scope="module")
def log(frames):
    return dora.DoraLog.from_frames(*frames)


def peak_bytes(function) -> int:
    """Peak memory allocated while ``function`` runs (tracemalloc), in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_from_frames(benchmark, frames):
    benchmark.extra_info["peak_bytes"] = peak_bytes(lambda: dora.DoraLog.from_frames(*frames))
    log = benchmark.pedantic(dora.DoraLog.from_frames, args=frames, rounds=3, iterations=1)
    assert len(log.changes) == N_CHANGES


def test_four_keys(benchmark, log):
    benchmark.extra_info["peak_bytes"] = peak_bytes(lambda: dora.four_keys(log))
    result = benchmark.pedantic(dora.four_keys, args=(log,), rounds=7, iterations=1)
    assert result.deployments + result.failed_attempts == N_DEPLOYMENTS
    assert result.tiers.overall in dora.TIERS


def test_four_keys_one_service(benchmark, log):
    result = benchmark.pedantic(
        dora.four_keys, args=(log,), kwargs={"service": "svc-3"}, rounds=7, iterations=1
    )
    assert 0 < result.deployments < N_DEPLOYMENTS


def test_frames_to_four_keys(benchmark, frames):
    def run():
        return dora.four_keys(dora.DoraLog.from_frames(*frames))

    benchmark.extra_info["peak_bytes"] = peak_bytes(run)
    result = benchmark.pedantic(run, rounds=3, iterations=1)
    assert result.lead_time_pairs > 0.9 * N_CHANGES * 0.95


def test_weekly_trend(benchmark, log):
    benchmark.extra_info["peak_bytes"] = peak_bytes(lambda: dora.weekly_trend(log))
    trend = benchmark.pedantic(dora.weekly_trend, args=(log,), rounds=3, iterations=1)
    assert trend.deployments.sum() == 2 * dora.four_keys(log).deployments


@pytest.fixture(scope="module")
def csv_files(frames, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dora-csv")
    paths = []
    for name, frame in zip(("deployments", "changes", "incidents"), frames, strict=True):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f%z")
        paths.append(path)
    return paths


PEAK_RSS_SCRIPT = """
import resource, sys
from interview_lab import dora
result = dora.four_keys(dora.load_log(*sys.argv[1:4]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_load_csv(benchmark, csv_files):
    # The whole process's peak resident memory (Linux reports kibibytes) for load + four keys.
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_SCRIPT, *map(str, csv_files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    benchmark.extra_info["process_peak_rss_bytes"] = int(done.stdout.split()[-1])
    log = benchmark.pedantic(dora.load_log, args=csv_files, rounds=3, iterations=1)
    assert len(log.deployments) == N_DEPLOYMENTS


def test_cli_bibby(benchmark):
    def run():
        return subprocess.run(
            [sys.executable, "-m", "interview_lab", "dora"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )

    done = benchmark.pedantic(run, rounds=7, iterations=1)
    assert "overall tier" in done.stdout
