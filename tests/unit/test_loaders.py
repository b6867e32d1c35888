"""The scripting data files and their loaders: df -P samples, the access log, health scenarios."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from interview_lab import loaders
from interview_lab.settings import DATA_VARIABLE
from interview_lab.testserver import ScriptedServer

DF_HEADER = ["Filesystem", "1024-blocks", "Used", "Available", "Capacity", "Mounted", "on"]
COMBINED = re.compile(
    r'^(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
    r'(?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$'
)


def df_rows(name: str) -> list[tuple[str, int, int, int, str, str]]:
    lines = loaders.df_sample(name).splitlines()
    assert lines[0].split() == DF_HEADER
    rows = []
    for line in lines[1:]:
        fs, blocks, used, avail, capacity, mount = line.split(None, 5)
        rows.append((fs, int(blocks), int(used), int(avail), capacity, mount))
    return rows


# -- df -P samples ---------------------------------------------------------------------------


def test_the_four_df_samples_are_there():
    assert loaders.df_sample_names() == ["build-runner", "db-01", "quiet-host", "web-01"]


@pytest.mark.parametrize("name", ["build-runner", "db-01", "quiet-host", "web-01"])
def test_capacity_is_used_over_used_plus_available_rounded_up_as_gnu_df_prints_it(name):
    for _fs, blocks, used, avail, capacity, mount in df_rows(name):
        assert capacity == f"{math.ceil(used * 100 / (used + avail))}%", (name, mount)
        # ext4 reserves blocks for root, so used + available is usually below the size; a small
        # vfat partition counted in 512-byte sectors can come out one 1024-block above it
        assert used + avail <= blocks + 1, (name, mount)
        assert mount.startswith("/") and mount == mount.strip()


@pytest.mark.parametrize("name", ["build-runner", "db-01", "quiet-host", "web-01"])
def test_columns_are_aligned_like_gnu_df(name):
    lines = loaders.df_sample(name).splitlines()
    # the numeric columns and Capacity are right-aligned: each ends where its header ends
    ends = [m.end() for m in re.finditer(r"\S+", lines[0])][1:5]
    for line in lines[1:]:
        assert [m.end() for m in re.finditer(r"\S+", line)][1:5] == ends
    assert loaders.df_sample(name).endswith("\n") and not loaders.df_sample(name).endswith("\n\n")


def test_the_samples_hold_the_traps_the_exercises_need():
    every = {name: df_rows(name) for name in loaders.df_sample_names()}
    flat = [row for rows in every.values() for row in rows]
    assert {"tmpfs", "devtmpfs"} <= {row[0] for row in flat}
    with_space = [row[5] for row in flat if " " in row[5]]
    assert with_space == ["/srv/ci cache", "/mnt/nightly backups", "/media/usb stick"]
    full = [(row[0], row[5]) for row in flat if row[4] == "100%"]
    assert ("tmpfs", "/mnt/ci-ramdisk") in full and ("/dev/sda1", "/") in full
    exactly_80 = [row for row in every["db-01"] if row[2] * 100 == 80 * (row[2] + row[3])]
    assert [row[5] for row in exactly_80] == ["/var/lib/postgresql"]
    # a tmpfs over 80 % on a host whose real disks are all below it
    quiet = every["quiet-host"]
    assert any(row[0] == "tmpfs" and int(row[4][:-1]) >= 80 for row in quiet)
    assert all(int(row[4][:-1]) < 80 for row in quiet if row[0] not in {"tmpfs", "devtmpfs"})


def test_an_unknown_sample_name_lists_the_ones_there_are():
    with pytest.raises(ValueError, match="db-01"):
        loaders.df_sample("db-02")


# -- access log ------------------------------------------------------------------------------


def test_every_line_of_the_access_log_is_in_combined_log_format():
    lines = loaders.access_log_lines()
    assert len(lines) == 520
    parsed = [COMBINED.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m][:3]
    times = [datetime.strptime(m["time"], "%d/%b/%Y:%H:%M:%S %z") for m in parsed]
    assert times == sorted(times)


def test_the_access_log_has_5xx_on_several_endpoints_and_the_parsing_traps():
    parsed = [COMBINED.match(line) for line in loaders.access_log_lines()]
    per_endpoint: dict[str, int] = {}
    for m in parsed:
        parts = m["request"].split()
        if 500 <= int(m["status"]) <= 599 and len(parts) == 3:
            endpoint = parts[1].split("?")[0]
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
    # the figures the ps3 assignment's visible test states
    assert per_endpoint == {"/actuator/health": 5, "/api/books": 4, "/api/loans": 4, "/api/search": 4}
    # some 5xx requests carry a query string
    assert any(int(m["status"]) >= 500 and "?" in m["request"] for m in parsed)
    # empty requests ("-") with 400/408
    assert {m["status"] for m in parsed if m["request"] == "-"} == {"400", "408"}
    # successful replies whose size looks like a 5xx status
    assert sum(1 for m in parsed if m["status"] == "200" and re.fullmatch(r"5\d\d", m["size"])) >= 20


# -- health scenarios ------------------------------------------------------------------------


def reference_check(url: str, timeout_s: float, max_retries: int, sleep) -> tuple[bool, int]:
    """The course's retry rule: 1 + max_retries tries, 2xx healthy, waits 1, 2, 4, ... s."""
    for attempt in range(max_retries + 1):
        if attempt:
            sleep(2.0 ** (attempt - 1))
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                if 200 <= response.status <= 299:
                    return True, attempt + 1
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            pass
    return False, max_retries + 1


def test_the_health_scenarios_load_in_file_order():
    scenarios = loaders.health_scenarios()
    assert list(scenarios) == [
        "healthy", "recovers-after-two-errors", "hangs-then-answers", "always-503",
        "wrong-path-404", "always-hangs", "refused",
    ]
    assert scenarios["recovers-after-two-errors"].replies == ((500, 0.0), (500, 0.0), (200, 0.0))
    assert scenarios["refused"].refused and scenarios["refused"].replies == ()
    assert loaders.health_scenario("always-503").max_retries == 2


@pytest.mark.parametrize("name", [s for s in loaders.health_scenarios()])
def test_each_scenario_expectation_holds_against_the_real_server(name):
    scenario = loaders.health_scenario(name)
    waits: list[float] = []
    with ScriptedServer(scenario.replies or [200]) as server:
        url = server.refused_url() if scenario.refused else server.url()
        healthy, _tries = reference_check(url, scenario.timeout_s, scenario.max_retries, waits.append)
        requests_seen = server.request_count
    assert healthy is scenario.expected_healthy
    assert requests_seen == scenario.expected_requests
    assert tuple(waits) == scenario.expected_sleeps_s
    # a hang in a scenario must be longer than its timeout, or it would not test anything
    assert all(delay == 0 or delay > scenario.timeout_s for _, delay in scenario.replies)


def test_an_unknown_scenario_lists_the_ones_there_are():
    with pytest.raises(ValueError, match="recovers-after-two-errors"):
        loaders.health_scenario("flaky")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of the scripting data in a temporary folder that the loaders read instead."""
    source = loaders.data_dir()
    shutil.copytree(source / "df", tmp_path / "df")
    shutil.copy2(source / "access.log", tmp_path / "access.log")
    shutil.copy2(source / "health_scenarios.json", tmp_path / "health_scenarios.json")
    monkeypatch.setenv(DATA_VARIABLE, str(tmp_path))
    return tmp_path


def test_the_data_folder_can_be_moved_with_the_environment_variable(data_copy):
    (data_copy / "df" / "tiny.txt").write_text("Filesystem 1024-blocks Used Available Capacity Mounted on\n")
    assert "tiny" in loaders.df_sample_names()
    (data_copy / "access.log").write_text("one\ntwo\n")
    assert loaders.access_log_lines() == ["one", "two"]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("max_retries"), "missing max_retries"),
        (lambda s: s.update(replies=[{"status": 700}]), "not an HTTP status"),
        (lambda s: s.update(replies=[{"status": 200, "delay_s": -1}]), "delay_s"),
        (lambda s: s.update(refused=True), "not both"),
        (lambda s: s.update(max_retries=-1), "max_retries"),
        (lambda s: s.update(timeout_s=0), "timeout_s"),
    ],
)
def test_a_broken_scenario_file_names_the_scenario_and_the_problem(data_copy, change, message):
    path = data_copy / "health_scenarios.json"
    document = json.loads(path.read_text())
    change(document["scenarios"][1])
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="recovers-after-two-errors") as caught:
        loaders.health_scenarios()
    assert message in str(caught.value)


def test_duplicate_names_and_bad_json_are_reported(data_copy):
    path = data_copy / "health_scenarios.json"
    document = json.loads(path.read_text())
    document["scenarios"].append(document["scenarios"][0])
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="appears twice"):
        loaders.health_scenarios()
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        loaders.health_scenarios()


def test_missing_files_say_where_the_data_folder_is(data_copy):
    (data_copy / "access.log").unlink()
    with pytest.raises(FileNotFoundError, match=DATA_VARIABLE):
        loaders.access_log_lines()
    shutil.rmtree(data_copy / "df")
    with pytest.raises(FileNotFoundError, match="'df'"):
        loaders.df_sample_names()


def test_importing_it_loads_only_the_settings_module_of_the_course():
    code = (
        "import sys, interview_lab.loaders\n"
        "print(sorted(m for m in sys.modules if m.startswith('interview_lab.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['interview_lab.loaders', 'interview_lab.settings']"
