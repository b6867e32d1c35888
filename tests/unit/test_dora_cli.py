"""The ``python -m interview_lab dora`` command, run as a learner would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from interview_lab import dora, dora_cli

ROOT = Path(__file__).resolve().parents[2]
TEAM = ROOT / "data" / "team_example"
KEYS = {
    "deployments",
    "failed_attempts",
    "deploys_per_week",
    "frequency_bucket",
    "lead_time_median_hours",
    "change_failure_rate",
    "time_to_restore_median_hours",
    "unresolved_incidents",
    "tiers",
}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "interview_lab", "dora", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def team_files() -> list[str]:
    return [
        "--deployments", str(TEAM / "deployments.csv"),
        "--changes", str(TEAM / "changes.csv"),
        "--incidents", str(TEAM / "incidents.csv"),
    ]


def test_default_is_bibbys_log_as_a_table():
    done = run()
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    expected = dora.four_keys(dora.bibby_log())
    assert f"{expected.deploys_per_week:.2f} per week" in done.stdout
    assert f"overall tier (the lowest of the four): {expected.tiers.overall}" in done.stdout
    assert "DORA report 2023" in done.stdout


def test_json_has_the_keys_and_the_library_values():
    done = run("--json", *team_files(), "--report-year", "2021")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert KEYS <= set(data)
    assert data["deployments"] == 5
    assert data["lead_time_median_hours"] == pytest.approx(4.5)
    assert data["change_failure_rate"] == pytest.approx(0.4)
    assert data["time_to_restore_median_hours"] == pytest.approx(1.875)
    assert data["unresolved_incidents"] == 1
    assert data["frequency_bucket"] == "Daily"
    assert data["tiers"] == {
        "report_year": 2021,
        "deployment_frequency": "High",
        "lead_time": "High",
        "change_failure_rate": "Low",
        "time_to_restore": "High",
        "overall": "Low",
    }


def test_service_and_window_options():
    done = run("--json", *team_files(), "--service", "shop-api", "--start", "2025-03-04",
               "--end", "2025-03-12T00:00:00+01:00")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # shop-api deploys in [4 Mar, 11 Mar 23:00 UTC): D-4 (6 Mar) and D-5 (11 Mar 16:00).
    assert data["deployments"] == 2
    assert data["start"] == "2025-03-04T00:00:00+00:00"
    assert data["end"] == "2025-03-11T23:00:00+00:00"


def test_bad_input_exits_2_with_one_line_naming_file_line_and_column(tmp_path):
    bad = tmp_path / "deployments.csv"
    bad.write_text(
        "deploy_id,service,deployed_at,status\n"
        "D-1,shop-api,2025-03-03T10:00:00+00:00,success\n"
        "D-2,shop-api,3rd of March,success\n"
    )
    args = team_files()
    args[1] = str(bad)
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {bad}, line 3, column deployed_at: cannot read")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--deployments", "missing.csv"], "give all three files"),
        (["--deployments", "a.csv", "--changes", "b.csv", "--incidents", "c.csv"],
         "cannot read a.csv"),
        (["--report-year", "2020"], "no DORA tiers for report year 2020"),
        (["--report-year", "twenty"], "invalid int value"),
        (["--start", "2025-02-30"], "start must be a date"),
        (["--service", "bibby-db"], "service 'bibby-db' is not in the log"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_usage_and_input_errors_are_one_line_exit_2(args, needle, capsys):
    # In-process: same code path as the subprocess, much faster.
    assert dora_cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert needle in lines[0]


def test_naive_timestamps_give_a_warning_line_but_succeed(tmp_path):
    deployments = tmp_path / "d.csv"
    deployments.write_text("deploy_id,service,deployed_at,status\nD-1,a,2025-03-03T10:00:00,success\n")
    changes = tmp_path / "c.csv"
    changes.write_text("commit_sha,deploy_id,committed_at\n")
    incidents = tmp_path / "i.csv"
    incidents.write_text("incident_id,deploy_id,opened_at,resolved_at\n")
    done = run("--deployments", str(deployments), "--changes", str(changes),
               "--incidents", str(incidents), "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["deployments"] == 1
    assert done.stderr.strip().startswith("warning: ")
    assert "read as UTC" in done.stderr


def test_help_says_the_files_default_to_bibby(capsys):
    with pytest.raises(SystemExit) as stop:
        dora_cli.main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "Bibby" in text and "bibby_deployments.csv" in text


def test_render_shows_all_four_keys_and_their_tiers():
    result = dora.four_keys(dora.load_log(TEAM / "deployments.csv", TEAM / "changes.csv",
                                          TEAM / "incidents.csv"))
    text = dora_cli.render(result)
    assert "3.18 per week" in text
    assert "median 4.5 h over 6 changes" in text
    assert "40.0 %" in text
    assert "median 1.9 h over 2 resolved incidents; 1 still open" in text
    assert text.splitlines()[-1] == "overall tier (the lowest of the four): Low"
