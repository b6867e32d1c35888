"""Data loaders for the scripting exercises: ``df -Pk`` samples, a web access log, health scenarios.

The notebooks and the assignments read the course's ``data/`` files through these functions,
which only find and read files: they compute no answers. This module imports nothing from the
course except ``interview_lab.settings`` (where ``data/`` is), so an assignment may import it
while its hidden tests check that no computing module (``capacity``, ``dora``, ...) was imported.

Files (``data/README.md`` documents columns and provenance):

* ``data/df/<host>.txt`` - the output of ``df -Pk`` on a few hosts (GNU coreutils layout: a
  header, then one line per filesystem with six columns, the mount point being everything after
  the fifth; it may contain spaces).
* ``data/access.log`` - a web access log in the combined log format of Apache and nginx.
* ``data/health_scenarios.json`` - scripted answers of a health endpoint (statuses, hangs, a
  refused connection) and what a checker following the course's retry rule should conclude.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from interview_lab.settings import data_dir, data_path

__all__ = [
    "HealthScenario",
    "access_log_lines",
    "df_sample",
    "df_sample_names",
    "health_scenario",
    "health_scenarios",
]

DF_FOLDER = "df"
ACCESS_LOG = "access.log"
HEALTH_SCENARIOS = "health_scenarios.json"


def df_sample_names() -> list[str]:
    """Names of the ``df -Pk`` samples in ``data/df/`` (file names without ``.txt``), sorted."""
    folder = data_dir() / DF_FOLDER
    if not folder.is_dir():
        raise FileNotFoundError(f"the course data folder {DF_FOLDER!r} is not in {data_dir()}")
    return sorted(p.stem for p in folder.glob("*.txt"))


def df_sample(name: str) -> str:
    """The text of one ``df -Pk`` sample, e.g. ``df_sample("db-01")``, exactly as ``df`` printed it."""
    names = df_sample_names()
    if name not in names:
        raise ValueError(f"there is no df sample called {name!r}; the samples are {', '.join(names)}")
    return data_path(f"{DF_FOLDER}/{name}.txt").read_text(encoding="utf-8")


def access_log_lines() -> list[str]:
    """The lines of ``data/access.log`` (combined log format), without their line endings."""
    return data_path(ACCESS_LOG).read_text(encoding="utf-8").splitlines()


@dataclass(frozen=True)
class HealthScenario:
    """How a health endpoint misbehaves, and what a checker should make of it.

    ``replies`` are ``(status, delay_s)`` pairs in the order the endpoint gives them, the last
    repeating (``interview_lab.testserver.ScriptedServer`` takes them as they are); empty when
    ``refused`` (nothing listens). The ``expected_*`` fields hold for a checker that makes one
    try plus ``max_retries`` retries with a ``timeout_s`` client timeout, counts any 2xx status as
    healthy, and waits 1 s, 2 s, 4 s, ... (doubling) between tries.
    """

    name: str
    description: str
    replies: tuple[tuple[int, float], ...]
    refused: bool
    timeout_s: float
    max_retries: int
    expected_healthy: bool
    expected_requests: int
    expected_sleeps_s: tuple[float, ...]


def _scenario(raw: dict, where: str) -> HealthScenario:
    required = {
        "name", "description", "replies", "refused", "timeout_s", "max_retries",
        "expected_healthy", "expected_requests", "expected_sleeps_s",
    }
    missing = required - set(raw)
    if missing:
        raise ValueError(f"{where}: missing {', '.join(sorted(missing))}")
    replies = []
    for i, reply in enumerate(raw["replies"]):
        status, delay_s = reply.get("status"), reply.get("delay_s", 0.0)
        if not (isinstance(status, int) and 200 <= status <= 599):
            raise ValueError(f"{where}: reply {i} has status {status!r}, not an HTTP status from 200 to 599")
        if not (isinstance(delay_s, (int, float)) and math.isfinite(delay_s) and delay_s >= 0):
            raise ValueError(f"{where}: reply {i} has delay_s {delay_s!r}, not a number of seconds >= 0")
        replies.append((status, float(delay_s)))
    if bool(raw["refused"]) == bool(replies):
        raise ValueError(f"{where}: a scenario has replies or is refused, not both and not neither")
    if not (isinstance(raw["max_retries"], int) and raw["max_retries"] >= 0):
        raise ValueError(f"{where}: max_retries must be a whole number >= 0, got {raw['max_retries']!r}")
    if not (isinstance(raw["timeout_s"], (int, float)) and raw["timeout_s"] > 0):
        raise ValueError(f"{where}: timeout_s must be a number of seconds > 0, got {raw['timeout_s']!r}")
    return HealthScenario(
        name=str(raw["name"]),
        description=str(raw["description"]),
        replies=tuple(replies),
        refused=bool(raw["refused"]),
        timeout_s=float(raw["timeout_s"]),
        max_retries=raw["max_retries"],
        expected_healthy=bool(raw["expected_healthy"]),
        expected_requests=int(raw["expected_requests"]),
        expected_sleeps_s=tuple(float(s) for s in raw["expected_sleeps_s"]),
    )


def health_scenarios() -> dict[str, HealthScenario]:
    """Every scenario in ``data/health_scenarios.json``, by name, in the file's order."""
    path = data_path(HEALTH_SCENARIOS)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{HEALTH_SCENARIOS} is not valid JSON: {error}") from error
    scenarios: dict[str, HealthScenario] = {}
    for i, raw in enumerate(document.get("scenarios", [])):
        scenario = _scenario(raw, f"{HEALTH_SCENARIOS}, scenario {i} ({raw.get('name', '?')})")
        if scenario.name in scenarios:
            raise ValueError(f"{HEALTH_SCENARIOS}: the scenario name {scenario.name!r} appears twice")
        scenarios[scenario.name] = scenario
    return scenarios


def health_scenario(name: str) -> HealthScenario:
    """One scenario by name, e.g. ``health_scenario("recovers-after-two-errors")``."""
    scenarios = health_scenarios()
    if name not in scenarios:
        raise ValueError(f"there is no health scenario called {name!r}; they are {', '.join(scenarios)}")
    return scenarios[name]
