"""Helpers and fixtures for the workshop hub: real Linux users, a real JupyterHub.

Tests that need root (creating users, starting servers as them) or PostgreSQL's programs
skip with a reason on a developer's machine, except where ``INTERVIEW_LAB_REQUIRE_HUB`` or
``CI`` is set: there a missing requirement is a failure, so CI never skips them silently.
Everything a test creates (users, groups, the hub, its proxy and servers, the PostgreSQL
server, folders) is removed again, also when the test fails.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "jupyterhub"
sys.path.insert(0, str(DEPLOY))

import workshop as ws  # noqa: E402

COURSE = ws.COURSE_ID
# Names no real workshop uses, so a test never touches a real deployment's accounts.
INSTRUCTOR = "ilt-instructor"
GRADER = "ilt-grader"
LEARNERS = ("ilt-learner1", "ilt-learner2")
STAFF_GROUP = "ilt-staff"
LEARNER_GROUP = "ilt-learners"


def required() -> bool:
    return bool(os.environ.get("INTERVIEW_LAB_REQUIRE_HUB") or os.environ.get("CI"))


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def skip_or_fail(reason: str) -> None:
    if required():
        pytest.fail(f"required here (CI): {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A free port on 127.0.0.1 below the kernel's ephemeral range. Every port picked by
    binding port 0 comes from that range (kernels' ZMQ sockets, ipykernel's IOPub pipe, any
    client's outgoing connection), so no such socket elsewhere on the machine can take this
    one in the seconds before the hub binds it; a port from port 0 could be taken."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's default
    chooser = random.SystemRandom()
    for _ in range(500):
        port = chooser.randrange(min(20000, low - 1000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def as_user(
    name: str,
    command: list[str],
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    umask: int = 0o077,
    check: bool = True,
    timeout_s: float = 300,
) -> subprocess.CompletedProcess:
    """Run ``command`` as the Linux user ``name`` (its groups, its home), as the hub would."""
    entry = pwd.getpwnam(name)
    base = {
        "HOME": entry.pw_dir,
        "USER": name,
        "LOGNAME": name,
        "LANG": "C.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    base.update(env or {})
    result = subprocess.run(
        command,
        env=base,
        cwd=cwd or entry.pw_dir,
        user=entry.pw_uid,
        group=entry.pw_gid,
        extra_groups=os.getgrouplist(name, entry.pw_gid),
        umask=umask,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} as {name} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def processes_of(uids: set[int]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid in uids:
                    pids.append(int(entry.name))
    return pids


def remove_accounts(users: list[str], groups: list[str]) -> None:
    """Kill what the test's users still run (by process id), then delete users and groups."""
    uids = set()
    for name in users:
        with contextlib.suppress(KeyError):
            uids.add(pwd.getpwnam(name).pw_uid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(uids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        time.sleep(0.5)
    for name in users:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)
    for name in groups:
        with contextlib.suppress(KeyError):
            grp.getgrnam(name)
            subprocess.run(["groupdel", name], capture_output=True, check=False)


@dataclass(frozen=True)
class RunningHub:
    workshop: ws.Workshop
    token: str  # the workshop-admin service's token
    passwords: dict[str, str]
    root: Path  # the test's scratch folder (state, exchange, course)

    @property
    def url(self) -> str:
        return self.workshop.url

    def api(self, method: str, path: str, body: dict | None = None, ok=(200, 201, 202, 204)):
        return ws.hub_request(self.workshop, method, path, self.token, body, ok=ok)


@pytest.fixture(scope="module")
def hub_workshop():
    """Settings for a test hub: the shared workshop environment, everything else temporary."""
    if not is_root():
        skip_or_fail("needs root: creates Linux users and starts servers as them")
    if not (DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        pytest.fail(
            "configurable-http-proxy is not installed: run `make test` (it runs npm ci in deploy/jupyterhub)"
        )
    root = Path(tempfile.mkdtemp(prefix="interview-lab-hub-"))
    os.chmod(root, 0o755)  # learners must reach the exchange inside it
    base = ws.Workshop.from_env()
    workshop = replace(
        base,
        state=root / "state",
        exchange=root / "exchange",
        course_dir=root / "courses" / COURSE,
        instructors=(INSTRUCTOR,),
        grader=GRADER,
        staff_group=STAFF_GROUP,
        learner_group=LEARNER_GROUP,
        port=_pair_port(),
        hub_port=free_port(),
        formgrader_port=free_port(),
        hub_db_url="",
    )
    workshop.check()
    try:
        yield workshop, root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _pair_port() -> int:
    """A free port whose successor is free too (the proxy's API listens on port + 1)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free consecutive ports on 127.0.0.1")


@pytest.fixture(scope="module")
def hub(hub_workshop, tmp_path_factory):
    """The workshop hub with an instructor, a grader account and two learners; always torn down.

    The hub's log is kept in pytest's temporary folder (``hub-log*/jupyterhub.log``).
    """
    workshop, root = hub_workshop
    users = [INSTRUCTOR, GRADER, *LEARNERS]
    groups = [STAFF_GROUP, LEARNER_GROUP]
    remove_accounts(users, groups)  # a previous run killed half-way
    try:
        ws.install_environment(workshop, log=lambda message: None)
        passwords = ws.setup_course(workshop, log=lambda message: None)
        passwords.update(ws.add_learners(workshop, list(LEARNERS), log=lambda message: None))
        started = time.monotonic()
        ws.start_hub(workshop)
        hub_start_s = time.monotonic() - started
        running = RunningHub(workshop, ws.admin_token(workshop), passwords, root)
        running.api("GET", "/")  # the admin token works
        print(f"\nhub answered {hub_start_s:.1f} s after start")
        yield running
    finally:
        try:
            ws.stop_hub(workshop)
        finally:
            if workshop.log_file.exists():
                shutil.copyfile(
                    workshop.log_file, tmp_path_factory.mktemp("hub-log") / "jupyterhub.log"
                )
            remove_accounts(users, groups)


def wait_for_server(hub: RunningHub, name: str, timeout_s: float = 180) -> float:
    """Start ``name``'s server through the REST API; seconds until the hub reports it ready."""
    started = time.monotonic()
    hub.api("POST", f"/users/{name}/server", ok=(201, 202, 400))
    while time.monotonic() - started < timeout_s:
        model = hub.api("GET", f"/users/{name}")
        server = model.get("servers", {}).get("")
        if server and server.get("ready"):
            return time.monotonic() - started
        if not server:  # a failed spawn removes the server from the user's model
            raise AssertionError(
                f"{name}'s server did not start (see the hub's log): {json.dumps(model)[:500]}"
            )
        time.sleep(0.25)
    raise AssertionError(f"{name}'s server was not ready within {timeout_s:.0f} s")


def user_token(hub: RunningHub, name: str) -> str:
    """An API token of ``name`` (what JupyterLab's extensions send as that user)."""
    reply = hub.api("POST", f"/users/{name}/tokens", {"expires_in": 3600, "note": "hub test"})
    return reply["token"]


# ------------------------------------------------------------------------------ PostgreSQL


def postgres_programs() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass(frozen=True)
class Postgres:
    port: int
    superuser: str = "postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server from the system's packages on 127.0.0.1, in a temporary folder.

    PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` account the
    Debian package creates; otherwise as the current user. Stopped and removed afterwards.
    """
    programs = postgres_programs()
    if programs is None:
        skip_or_fail("PostgreSQL's server is not installed (apt-get install postgresql)")
    owner = "postgres" if is_root() else pwd.getpwuid(os.getuid()).pw_name
    if is_root():
        try:
            pwd.getpwnam(owner)
        except KeyError:
            skip_or_fail("no 'postgres' account to run PostgreSQL as (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="interview-lab-pg-"))
    os.chmod(root, 0o755)
    entry = pwd.getpwnam(owner)
    os.chown(root, entry.pw_uid, entry.pw_gid)
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    port = free_port()

    def as_owner(command: list[str]) -> subprocess.CompletedProcess:
        if is_root():
            return as_user(owner, command, cwd=str(root), umask=0o077)
        result = subprocess.run(
            command, cwd=root, capture_output=True, text=True, check=False, timeout=120
        )
        assert result.returncode == 0, (
            f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
        )
        return result

    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} -c fsync=off"
    try:
        as_owner(["mkdir", str(sockets)])
        as_owner(
            [
                str(programs / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        as_owner(
            [
                str(programs / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ]
        )
        yield Postgres(port)
    finally:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                as_owner([str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------ configuration files

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([0-9][0-9A-Za-z.\-+]*)$")


def load_hub_config(monkeypatch, tmp_path: Path, **env: str):
    """jupyterhub_config.py as JupyterHub loads it, with the settings in ``env``."""
    defaults = {
        "INTERVIEW_LAB_HUB_PREFIX": str(tmp_path / "prefix"),
        "INTERVIEW_LAB_HUB_STATE": str(tmp_path / "state"),
        "INTERVIEW_LAB_EXCHANGE": str(tmp_path / "exchange"),
        "INTERVIEW_LAB_COURSE_DIR": str(tmp_path / "course"),
        "INTERVIEW_LAB_STAFF_GROUP": "ilt-no-such-staff",
        "INTERVIEW_LAB_LEARNER_GROUP": "ilt-no-such-learners",
    }
    for key, value in {**defaults, **env}.items():
        monkeypatch.setenv(key, value)
    loader = PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY))
    return loader.load_config()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-r"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {line!r} is not pinned with =="
        found[match.group(1).lower()] = match.group(2)
    return found
