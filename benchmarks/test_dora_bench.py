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
  (the target: under 2 s);
* ``cli_large_files_peak_memory``: the same command on 100 MB and on 1 GB of deployments
  (with a tenth as many changes and a two-hundredth as many incidents), generated into a
  temporary folder and deleted afterwards: its wall time, and the peak resident memory of
  the command's process, the target being 1 GB of CSV within 1.5 GB.

Peak memory is measured separately with ``tracemalloc`` (numpy and pandas report their buffers
to it) and stored in each benchmark's ``extra_info`` as ``peak_bytes`` (decimal: 1 GB = 1e9
bytes); for the CSV path, ``process_peak_rss_bytes`` is the peak resident memory of a fresh
process that loads the files and computes the four keys. Timings are pytest-benchmark's
statistics over several rounds; read the median.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
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


# ---------------------------------------------------------------------------------------
# The DORA command on large files: peak memory of the process (streamed reading)
# ---------------------------------------------------------------------------------------

# Decimal sizes of the deployments file; changes and incidents are smaller (see write_log).
LARGE_DEPLOYMENTS_BYTES = {"100MB": 100 * 10**6, "1GB": 10**9}
_BLOCK_ROWS = 500_000


def _csv_lines(*columns: np.ndarray) -> str:
    """Rows of text columns joined with commas and newlines (vectorised)."""
    text = columns[0]
    for column in columns[1:]:
        text = np.char.add(np.char.add(text, ","), column)
    return "\n".join(text.tolist()) + "\n"


def _stamps(seconds: np.ndarray) -> np.ndarray:
    start = np.datetime64("2024-01-01T00:00:00", "s")
    return np.char.add(np.datetime_as_string(start + seconds.astype("timedelta64[s]")), "+00:00")


def write_log(folder: Path, deployments_bytes: int, seed: int = 7) -> tuple[Path, Path, Path]:
    """A year of deployments filling ``deployments_bytes`` of CSV (rows like Bibby's log:
    ``dep-000000001,bibby-web-07,2024-01-01T00:00:19+00:00,success``, 20 services, 5 %
    failed), one change for every tenth deployment and one incident for every 200th. Written
    block by block, so the file never has to fit in memory."""
    rng = np.random.default_rng(seed)
    row_bytes = len("dep-000000001,bibby-web-07,2024-01-01T00:00:19+00:00,success\n")
    n = max(1, deployments_bytes // row_bytes)
    year_s = 365 * 86_400
    paths = tuple(folder / f"{name}.csv" for name in ("deployments", "changes", "incidents"))
    with paths[0].open("w") as dep, paths[1].open("w") as ch, paths[2].open("w") as inc:
        dep.write("deploy_id,service,deployed_at,status\n")
        ch.write("commit_sha,deploy_id,committed_at\n")
        inc.write("incident_id,deploy_id,opened_at,resolved_at\n")
        for low in range(0, n, _BLOCK_ROWS):
            rows = np.arange(low, min(n, low + _BLOCK_ROWS))
            ids = np.char.add("dep-", np.char.zfill(rows.astype(str), 9))
            seconds = rows * year_s // n
            services = np.char.add("bibby-web-", np.char.zfill(
                rng.integers(0, 20, rows.size).astype(str), 2))
            status = np.where(rng.random(rows.size) < 0.95, "success", "failed")
            dep.write(_csv_lines(ids, services, _stamps(seconds), status))
            every10 = rows % 10 == 0
            shas = np.array([f"{x:040x}" for x in rng.integers(0, 2**62, int(every10.sum()))])
            lead = rng.integers(600, 86_400, shas.size)
            ch.write(_csv_lines(shas, ids[every10], _stamps(seconds[every10] - lead)))
            every200 = rows % 200 == 0
            opened = seconds[every200] + 300
            inc.write(_csv_lines(np.char.add("INC-", rows[every200].astype(str)), ids[every200],
                                 _stamps(opened), _stamps(opened + rng.integers(60, 7200,
                                                                                opened.size))))
    return paths


# Started by a small Python process of its own: Linux carries the peak RSS of the process that
# forks across exec, so a command started straight from this (large) test process would report
# at least this process's size. The launcher is small (no pandas), and reports its child's peak.
PEAK_LAUNCHER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as report:
    report.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024))
sys.exit(done.returncode)
"""


def child_peak_rss(command: list[str]) -> tuple[int, subprocess.CompletedProcess]:
    """Run ``command``; returns the peak resident memory of its process (bytes; Linux reports
    kibibytes) and its result."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "peak"
        done = subprocess.run([sys.executable, "-c", PEAK_LAUNCHER, str(report), *command],
                              cwd=ROOT, capture_output=True, text=True)
        return int(report.read_text()), done


@pytest.fixture(scope="module", params=list(LARGE_DEPLOYMENTS_BYTES))
def large_log(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"dora-{request.param}")
    paths = write_log(folder, LARGE_DEPLOYMENTS_BYTES[request.param])
    yield request.param, paths
    for path in paths:
        path.unlink()


def test_cli_large_files_peak_memory(benchmark, large_log):
    """``python -m interview_lab dora`` on 100 MB and 1 GB of deployments: wall time
    (pytest-benchmark) and ``extra_info``: the files' sizes and the command's peak RSS
    (the target: 1 GB of CSV within 1.5 GB)."""
    label, paths = large_log
    command = [sys.executable, "-m", "interview_lab", "dora", "--json",
               "--deployments", str(paths[0]), "--changes", str(paths[1]),
               "--incidents", str(paths[2])]
    peaks: list[int] = []

    def run() -> subprocess.CompletedProcess:
        peak, done = child_peak_rss(command)
        peaks.append(peak)
        return done

    done = benchmark.pedantic(run, rounds=3 if label == "100MB" else 1, iterations=1)
    assert done.returncode == 0, done.stderr
    sizes = [path.stat().st_size for path in paths]
    benchmark.extra_info.update({
        "deployments_bytes": sizes[0],
        "log_bytes": sum(sizes),
        "deployments": json.loads(done.stdout)["deployments"]
        + json.loads(done.stdout)["failed_attempts"],
        "peak_rss_bytes": max(peaks),
    })
    print(f"\nDORA command, {label} of deployments ({sizes[0] / 1e9:.3f} GB; "
          f"{sum(sizes) / 1e9:.3f} GB of CSV in all): peak RSS {max(peaks) / 1e9:.3f} GB")
