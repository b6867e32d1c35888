"""Set up and run the DevOps Interview Lab's workshop hub on one Linux machine (as root).

One JupyterHub, real Linux accounts, nbgrader across them, the way JupyterHub's documentation
and nbgrader's "Using nbgrader with JupyterHub" guide set it up:

* ``install``       the workshop's Python environment under ``/opt/interview-lab`` (every
                    account can run it; a clone under ``/root`` cannot be), the learner's edition
                    every learner's server is copied from, and the nbgrader and Jupyter settings
                    of that environment (learners get no formgrader; staff get it back);
* ``course``        the course's staff (instructors and the ``grader-<course>`` account that runs
                    the formgrader), its Linux groups, the course folder they share, and nbgrader's
                    exchange with the permissions nbgrader needs;
* ``add-learners``  Linux accounts from a class list, with generated passwords, added to the hub
                    at once when it is running;
* ``start`` / ``stop`` / ``status``  the hub in the background (``make hub`` / ``make hub-stop``).

Everything is configured by environment variables (``INTERVIEW_LAB_HUB_PREFIX`` etc., see
:class:`Workshop`) with defaults for a workshop machine; ``jupyterhub_config.py`` reads the same
settings, so the hub and this script always agree. Standard library only: it runs before the
workshop environment exists.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import grp
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
COURSE_ID = "devops-interview-lab"
# Linux user and group names: what useradd accepts by default on Debian (NAME_REGEX), 32 at most.
NAME_PATTERN = re.compile(r"^[a-z][-a-z0-9_]{0,31}$")
# JupyterLab's plugins that only staff need (nbgrader's table: students get the assignment list).
STAFF_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
STAFF_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read out in a classroom


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Workshop:
    """Where the workshop's pieces live and what they are called.

    Every field has an environment variable (in brackets) and a default for a workshop machine.
    """

    course_id: str = COURSE_ID
    prefix: Path = Path("/opt/interview-lab")  # [INTERVIEW_LAB_HUB_PREFIX] software, read-only
    state: Path = Path("/srv/interview-lab/hub")  # [INTERVIEW_LAB_HUB_STATE] hub database, secrets
    exchange: Path = Path("/srv/nbgrader/exchange")  # [INTERVIEW_LAB_EXCHANGE]
    course_dir: Path = Path("/srv/nbgrader/courses") / COURSE_ID  # [INTERVIEW_LAB_COURSE_DIR]
    instructors: tuple[str, ...] = ("instructor",)  # [INTERVIEW_LAB_INSTRUCTORS] comma-separated
    grader: str = f"grader-{COURSE_ID}"  # [INTERVIEW_LAB_GRADER]
    staff_group: str = f"formgrade-{COURSE_ID}"  # [INTERVIEW_LAB_STAFF_GROUP] Linux group
    learner_group: str = f"nbgrader-{COURSE_ID}"  # [INTERVIEW_LAB_LEARNER_GROUP] Linux group
    ip: str = "127.0.0.1"  # [INTERVIEW_LAB_HUB_IP]
    port: int = 8000  # [INTERVIEW_LAB_HUB_PORT] the proxy's public port (its API: port + 1)
    hub_port: int = 8081  # [INTERVIEW_LAB_HUB_API_PORT]
    formgrader_port: int = 9999  # [INTERVIEW_LAB_FORMGRADER_PORT]
    hub_db_url: str = ""  # [INTERVIEW_LAB_HUB_DB_URL] default: SQLite in the state folder
    python: str = ""  # [INTERVIEW_LAB_HUB_PYTHON] base interpreter of the workshop environment
    learner_folder: str = COURSE_ID  # the learner's edition, in each learner's home
    idle_timeout_s: int = 3600  # [INTERVIEW_LAB_IDLE_TIMEOUT_S] stop servers idle this long

    @classmethod
    def from_env(cls) -> Workshop:
        course = COURSE_ID
        instructors = tuple(
            name.strip()
            for name in _env("INTERVIEW_LAB_INSTRUCTORS", "instructor").split(",")
            if name.strip()
        )
        workshop = cls(
            course_id=course,
            prefix=Path(_env("INTERVIEW_LAB_HUB_PREFIX", "/opt/interview-lab")),
            state=Path(_env("INTERVIEW_LAB_HUB_STATE", "/srv/interview-lab/hub")),
            exchange=Path(_env("INTERVIEW_LAB_EXCHANGE", "/srv/nbgrader/exchange")),
            course_dir=Path(_env("INTERVIEW_LAB_COURSE_DIR", f"/srv/nbgrader/courses/{course}")),
            instructors=instructors,
            grader=_env("INTERVIEW_LAB_GRADER", f"grader-{course}"),
            staff_group=_env("INTERVIEW_LAB_STAFF_GROUP", f"formgrade-{course}"),
            learner_group=_env("INTERVIEW_LAB_LEARNER_GROUP", f"nbgrader-{course}"),
            ip=_env("INTERVIEW_LAB_HUB_IP", "127.0.0.1"),
            port=_port("INTERVIEW_LAB_HUB_PORT", 8000),
            hub_port=_port("INTERVIEW_LAB_HUB_API_PORT", 8081),
            formgrader_port=_port("INTERVIEW_LAB_FORMGRADER_PORT", 9999),
            hub_db_url=_env("INTERVIEW_LAB_HUB_DB_URL", ""),
            python=_env("INTERVIEW_LAB_HUB_PYTHON", ""),
            idle_timeout_s=_positive("INTERVIEW_LAB_IDLE_TIMEOUT_S", 3600),
        )
        workshop.check()
        return workshop

    def check(self) -> None:
        """Raise ValueError with a plain sentence when a setting cannot work."""
        if not self.instructors:
            raise ValueError("INTERVIEW_LAB_INSTRUCTORS must name at least one instructor account")
        for name in (*self.instructors, self.grader, self.staff_group, self.learner_group):
            if not NAME_PATTERN.match(name):
                raise ValueError(
                    f"{name!r} cannot be a Linux user or group name: use lower-case letters, digits, "
                    "'-' and '_', starting with a letter, at most 32 characters"
                )
        for path in (self.prefix, self.state, self.exchange, self.course_dir):
            if not path.is_absolute():
                raise ValueError(f"workshop folders must be absolute paths, got {str(path)!r}")
        ports = [self.port, self.port + 1, self.hub_port, self.formgrader_port]
        if len(set(ports)) != len(ports):
            raise ValueError(
                f"the hub's ports must all differ (proxy, proxy API, hub, formgrader): {ports}"
            )

    # -- derived names ------------------------------------------------------------------------
    @property
    def venv(self) -> Path:
        return self.prefix / "venv"

    @property
    def edition(self) -> Path:
        """The learner's edition every learner's server is copied from (read-only for them)."""
        return self.prefix / "edition"

    @property
    def staff_config(self) -> Path:
        """Jupyter settings only staff processes read (JUPYTER_CONFIG_PATH)."""
        return self.prefix / "etc" / "staff"

    @property
    def singleuser(self) -> Path:
        return self.prefix / "bin" / "interview-lab-singleuser"

    @property
    def hub_groups(self) -> tuple[str, str]:
        """nbgrader's hub groups for the course: (formgrade-<course>, nbgrader-<course>)."""
        return f"formgrade-{self.course_id}", f"nbgrader-{self.course_id}"

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/hub/api"

    @property
    def admin_token_file(self) -> Path:
        return self.state / "admin-api-token"

    @property
    def pid_file(self) -> Path:
        return self.state / "jupyterhub.pid"

    @property
    def log_file(self) -> Path:
        return self.state / "jupyterhub.log"

    @property
    def credentials_file(self) -> Path:
        return self.state / "passwords.csv"

    def database_url(self) -> str:
        return self.hub_db_url or f"sqlite:///{self.state / 'jupyterhub.sqlite'}"


def _port(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a port number, got {raw!r}") from None
    if not 1 <= value <= 65535:
        raise ValueError(f"{name} must be between 1 and 65535, got {value}")
    return value


def _positive(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of seconds, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1 second, got {value}")
    return value


# ---------------------------------------------------------------------------------- helpers


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise PermissionError(
            f"{what} needs root: the hub creates Linux accounts and starts each learner's server "
            "as that account (run it with sudo)"
        )


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, raising RuntimeError with its output when it fails."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    result = subprocess.run(command, check=False, **kwargs)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip()[-2000:]
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {detail}")
    return result


def file_digest(paths: Iterable[Path]) -> str:
    """A digest of files' names and contents (what decides whether to reinstall)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def package_files() -> list[Path]:
    return [
        p
        for p in (REPO / "interview_lab").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]


def write_file(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# ------------------------------------------------------------------- the workshop environment


def base_python(workshop: Workshop) -> str:
    """An interpreter that every account can run: the venv is made from it.

    A virtual environment keeps using its base interpreter and standard library, so a Python
    under ``/root`` (pyenv, a root-only conda) would leave learners unable to start anything.
    """
    candidates = (
        [workshop.python] if workshop.python else ["/usr/bin/python3", "/usr/local/bin/python3"]
    )
    tried = []
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            tried.append(f"{candidate}: missing")
            continue
        probe = subprocess.run(
            [
                candidate,
                "-c",
                "import sys, venv, ensurepip; print(sys.version_info[:2] >= (3, 11))",
            ],
            capture_output=True,
            text=True,
            check=False,
            user=65534,
            group=65534,
            extra_groups=[],
            cwd="/",
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
        tried.append(
            f"{candidate}: {(probe.stderr or probe.stdout).strip().splitlines()[-1:] or 'Python < 3.11'}"
        )
    raise RuntimeError(
        "no Python 3.11+ with venv that every account can run: "
        + "; ".join(tried)
        + ". Install Debian's python3 and python3-venv, or set INTERVIEW_LAB_HUB_PYTHON"
    )


def install_environment(workshop: Workshop, log=print) -> bool:
    """Create or update the workshop environment; returns True when something was installed."""
    require_root("installing the workshop environment")
    os.umask(0o022)
    requirement_files = [REPO / "requirements.txt", HERE / "requirements.txt"]
    stamp = workshop.venv / ".stamp-workshop"
    wanted = {
        "requirements": file_digest(requirement_files),
        "package": file_digest([REPO / "pyproject.toml", *package_files()]),
    }
    have = json.loads(stamp.read_text()) if stamp.is_file() else {}
    python = workshop.venv / "bin" / "python"
    changed = False
    if not python.exists():
        base = base_python(workshop)
        log(f"creating the workshop environment {workshop.venv} from {base}")
        workshop.prefix.mkdir(parents=True, exist_ok=True)
        os.chmod(workshop.prefix, 0o755)
        run([base, "-m", "venv", str(workshop.venv)])
        run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        have = {}
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if have.get("requirements") != wanted["requirements"]:
        log(
            "installing the course's and the hub's pinned requirements (a few minutes the first time)"
        )
        run([*pip, *(arg for f in requirement_files for arg in ("-r", str(f)))])
        changed = True
    if have.get("package") != wanted["package"] or changed:
        # A copy, not an editable install: the clone may be under a folder learners cannot read.
        log("installing the interview_lab package")
        run([*pip, "--no-deps", "--force-reinstall", str(REPO)])
        changed = True
    write_file(stamp, json.dumps(wanted, indent=1) + "\n")
    write_jupyter_settings(workshop)
    install_singleuser(workshop)
    refresh_edition(workshop, log)
    return changed


def write_jupyter_settings(workshop: Workshop) -> None:
    """nbgrader's and Jupyter's settings in the workshop environment (and the staff's layer)."""
    etc = workshop.venv / "etc" / "jupyter"
    # Read by every nbgrader command and server extension that runs from this environment.
    write_file(
        etc / "nbgrader_config.py",
        NBGRADER_GLOBAL_CONFIG.format(exchange=workshop.exchange, course_id=workshop.course_id),
    )
    # Learners: no formgrader, course list or assignment creator (nbgrader's table of extensions).
    write_file(
        etc / "jupyter_server_config.d" / "zz-interview-lab.json",
        json.dumps(
            {"ServerApp": {"jpserver_extensions": dict.fromkeys(STAFF_SERVER_EXTENSIONS, False)}},
            indent=1,
        )
        + "\n",
    )
    write_file(
        etc / "labconfig" / "page_config.json",
        json.dumps({"disabledExtensions": dict.fromkeys(STAFF_LAB_PLUGINS, True)}, indent=1) + "\n",
    )
    # Staff (the instructors' servers and the formgrader service) put this folder first on
    # JUPYTER_CONFIG_PATH, which turns the same extensions back on.
    write_file(
        workshop.staff_config / "jupyter_server_config.json",
        json.dumps(
            {"ServerApp": {"jpserver_extensions": dict.fromkeys(STAFF_SERVER_EXTENSIONS, True)}},
            indent=1,
        )
        + "\n",
    )
    write_file(
        workshop.staff_config / "labconfig" / "page_config.json",
        json.dumps({"disabledExtensions": dict.fromkeys(STAFF_LAB_PLUGINS, False)}, indent=1)
        + "\n",
    )


NBGRADER_GLOBAL_CONFIG = '''"""nbgrader settings for everyone on the workshop hub (written by deploy/jupyterhub/workshop.py)."""

import os

c = get_config()  # noqa: F821

# The shared exchange: instructors release into it, learners fetch and submit through it.
c.Exchange.root = os.environ.get("INTERVIEW_LAB_EXCHANGE") or "{exchange}"
# Which courses a user may see comes from their hub groups (nbgrader-<course>, formgrade-<course>).
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
# One course on this hub; its staff share the course folder and the exchange through a Linux group.
c.CourseDirectory.course_id = "{course_id}"
c.CourseDirectory.groupshared = True
'''


def install_singleuser(workshop: Workshop) -> None:
    target = workshop.singleuser
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "singleuser.sh", target)
    os.chmod(target, 0o755)


def refresh_edition(workshop: Workshop, log=print) -> None:
    """Write the learner's edition (``learner-copy``) where every learner can copy it from."""
    fresh = workshop.prefix / "edition.new"
    if fresh.exists():
        shutil.rmtree(fresh)
    python = workshop.venv / "bin" / "python"
    run([str(python), "-m", "interview_lab", "learner-copy", str(fresh)], cwd=str(REPO))
    for path in [fresh, *fresh.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    old = workshop.prefix / "edition.old"
    if old.exists():
        shutil.rmtree(old)
    if workshop.edition.exists():
        os.replace(workshop.edition, old)
    os.replace(fresh, workshop.edition)
    shutil.rmtree(old, ignore_errors=True)
    log(f"learner's edition: {workshop.edition}")


# ------------------------------------------------------------------------- accounts and groups


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def ensure_group(name: str) -> None:
    if not group_exists(name):
        run(["groupadd", name])


def group_members(name: str) -> list[str]:
    """Users whose supplementary or primary group is ``name`` (empty when it does not exist)."""
    try:
        entry = grp.getgrnam(name)
    except KeyError:
        return []
    members = set(entry.gr_mem)
    members.update(p.pw_name for p in pwd.getpwall() if p.pw_gid == entry.gr_gid)
    return sorted(members)


def ensure_user(name: str, groups: Iterable[str], login: bool, comment: str) -> str | None:
    """Create a Linux account (home 0700) in ``groups``; returns its new password, if it got one."""
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"{name!r} cannot be a Linux user name: lower-case letters, digits, '-' and '_', "
            "starting with a letter, at most 32 characters"
        )
    groups = list(groups)
    password = None
    if not user_exists(name):
        shell = "/bin/bash" if login else "/usr/sbin/nologin"
        run(["useradd", "--create-home", "--shell", shell, "--comment", comment, name])
        if login:
            password = new_password()
            run(["chpasswd"], input=f"{name}:{password}\n")
    if groups:
        run(["usermod", "--append", "--groups", ",".join(groups), name])
    home = Path(pwd.getpwnam(name).pw_dir)
    if home.is_dir():
        os.chmod(home, 0o700)  # a learner's answers are theirs alone
    return password


def new_password() -> str:
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


def read_class_list(path: Path) -> list[str]:
    """User names from a class list: one per line, or a CSV with a ``username`` column."""
    text = path.read_text()
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    if lines and "," in lines[0]:
        rows = list(csv.DictReader(lines))
        if rows and "username" not in rows[0]:
            raise ValueError(
                f"{path} is a CSV without a 'username' column (found: {', '.join(rows[0])})"
            )
        names = [row["username"].strip() for row in rows]
    else:
        names = lines
    bad = [name for name in names if not NAME_PATTERN.match(name)]
    if bad:
        raise ValueError(
            f"these names in {path} cannot be Linux user names: {', '.join(bad)} "
            "(lower-case letters, digits, '-' and '_', starting with a letter, at most 32 characters)"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{path} names some learners twice")
    return names


# ------------------------------------------------------------------------------ the course


def setup_course(workshop: Workshop, log=print) -> dict[str, str]:
    """Staff accounts, groups, the shared course folder and the exchange; returns new passwords."""
    require_root("setting up the course")
    ensure_group(workshop.staff_group)
    ensure_group(workshop.learner_group)
    passwords = {}
    for name in workshop.instructors:
        password = ensure_user(
            name, [workshop.staff_group], login=True, comment="workshop instructor"
        )
        if password:
            passwords[name] = password
    # The grader account only runs the formgrader service: no password, no shell.
    ensure_user(workshop.grader, [workshop.staff_group], login=False, comment="nbgrader formgrader")
    grader = pwd.getpwnam(workshop.grader)
    staff_gid = grp.getgrnam(workshop.staff_group).gr_gid
    copy_course(workshop.course_dir, grader.pw_uid, staff_gid, log)
    prepare_exchange(workshop, grader.pw_uid, staff_gid)
    for name in workshop.instructors:
        link = Path(pwd.getpwnam(name).pw_dir) / workshop.course_id
        if not link.exists() and not link.is_symlink():
            link.symlink_to(workshop.course_dir)
            os.lchown(link, pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid)
    workshop.state.mkdir(parents=True, exist_ok=True)
    os.chmod(workshop.state, 0o700)
    save_passwords(workshop, passwords)
    return passwords


def copy_course(course_dir: Path, uid: int, gid: int, log=print) -> None:
    """The staff's course folder: nbgrader's config, source/ and release/ from this repository.

    Owned by the grader account and the staff group, setgid so new files stay in the group,
    closed to everyone else (source/ holds solutions and hidden tests). An existing folder keeps
    its gradebook and submissions: only assignments it lacks are added.
    """
    course_dir.mkdir(parents=True, exist_ok=True)
    added = []
    if not (course_dir / "nbgrader_config.py").exists():
        shutil.copyfile(REPO / "nbgrader_config.py", course_dir / "nbgrader_config.py")
        added.append("nbgrader_config.py")
    for step in ("source", "release"):
        (course_dir / step).mkdir(exist_ok=True)
        for assignment in sorted(p for p in (REPO / step).iterdir() if p.is_dir()):
            target = course_dir / step / assignment.name
            if not target.exists():
                shutil.copytree(
                    assignment,
                    target,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
                )
                added.append(f"{step}/{assignment.name}")
    for path in [course_dir, *course_dir.rglob("*")]:
        if path.is_symlink():
            continue
        os.chown(path, uid, gid)
        if path.is_dir():
            os.chmod(path, 0o2770)
        else:
            os.chmod(path, (stat.S_IMODE(path.stat().st_mode) | 0o660) & ~0o007)
    os.chmod(course_dir.parent, 0o755)
    if added:
        log(f"course folder {course_dir}: added {', '.join(added)}")


def prepare_exchange(workshop: Workshop, uid: int, gid: int) -> None:
    """nbgrader's exchange: the root open to all with the sticky bit, the course's folders
    group-shared by the staff (nbgrader's ``groupshared`` modes) so any instructor can release
    and collect; ``inbound`` is write-only for learners (they cannot list others' submissions)
    and sticky (nobody removes another's), ``feedback`` lets a learner open only the file whose
    name they can compute from their own submission."""
    workshop.exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(workshop.exchange, 0o1777)
    course = workshop.exchange / workshop.course_id
    modes = {
        course: 0o2775,
        course / "outbound": 0o2775,
        course / "inbound": 0o3773,
        course / "feedback": 0o2771,
    }
    for path, mode in modes.items():
        path.mkdir(exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, mode)


def save_passwords(workshop: Workshop, passwords: dict[str, str]) -> None:
    """Append new passwords to a root-only CSV, so the instructor can hand them out later."""
    if not passwords:
        return
    workshop.state.mkdir(parents=True, exist_ok=True)
    new = not workshop.credentials_file.exists()
    with open(workshop.credentials_file, "a", newline="") as handle:
        os.chmod(workshop.credentials_file, 0o600)
        writer = csv.writer(handle)
        if new:
            writer.writerow(["username", "password"])
        for name, password in sorted(passwords.items()):
            writer.writerow([name, password])


def add_learners(workshop: Workshop, names: list[str], log=print) -> dict[str, str]:
    """Linux accounts for ``names`` in the learners' group; added to the hub now if it runs."""
    require_root("adding learners")
    ensure_group(workshop.learner_group)
    passwords = {}
    for name in names:
        if name in (*workshop.instructors, workshop.grader):
            raise ValueError(f"{name!r} is a staff account of this workshop, not a learner")
        password = ensure_user(
            name, [workshop.learner_group], login=True, comment="workshop learner"
        )
        if password:
            passwords[name] = password
    save_passwords(workshop, passwords)
    if hub_is_up(workshop):
        token = admin_token(workshop)
        _, learners_group = workshop.hub_groups
        for name in names:
            hub_request(workshop, "POST", f"/users/{name}", token, ok=(201, 409))
        hub_request(workshop, "POST", f"/groups/{learners_group}/users", token, {"users": names})
        log(f"added to the running hub and to its group {learners_group}")
    else:
        log("the hub is not running: it adds them to its groups when it starts")
    return passwords


# ------------------------------------------------------------------------------ the hub


def admin_token(workshop: Workshop) -> str:
    """The token of the hub's ``workshop-admin`` service (created once, root-only)."""
    path = workshop.admin_token_file
    if not path.exists():
        workshop.state.mkdir(parents=True, exist_ok=True)
        os.chmod(workshop.state, 0o700)
        write_file(path, secrets.token_hex(32) + "\n", mode=0o600)
    return path.read_text().strip()


def hub_request(
    workshop: Workshop,
    method: str,
    path: str,
    token: str,
    body: dict | None = None,
    ok: Iterable[int] = (200, 201, 202, 204),
    timeout_s: float = 30.0,
):
    """Call the hub's REST API; returns the decoded JSON (or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        workshop.api_url + path,
        data=data,
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    if status not in tuple(ok):
        raise RuntimeError(f"hub API {method} {path} answered {status}: {payload[:300]!r}")
    return json.loads(payload) if payload.strip() else None


def hub_is_up(workshop: Workshop) -> bool:
    try:
        with urllib.request.urlopen(workshop.api_url + "/", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def hub_environment(workshop: Workshop) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [
            str(workshop.venv / "bin"),
            str(HERE / "node_modules" / ".bin"),
            "/usr/local/bin",
            "/usr/bin",
            "/bin",
            "/usr/sbin",
            "/sbin",
        ]
    )
    values = {
        "INTERVIEW_LAB_HUB_PREFIX": workshop.prefix,
        "INTERVIEW_LAB_HUB_STATE": workshop.state,
        "INTERVIEW_LAB_EXCHANGE": workshop.exchange,
        "INTERVIEW_LAB_COURSE_DIR": workshop.course_dir,
        "INTERVIEW_LAB_INSTRUCTORS": ",".join(workshop.instructors),
        "INTERVIEW_LAB_GRADER": workshop.grader,
        "INTERVIEW_LAB_STAFF_GROUP": workshop.staff_group,
        "INTERVIEW_LAB_LEARNER_GROUP": workshop.learner_group,
        "INTERVIEW_LAB_HUB_IP": workshop.ip,
        "INTERVIEW_LAB_HUB_PORT": workshop.port,
        "INTERVIEW_LAB_HUB_API_PORT": workshop.hub_port,
        "INTERVIEW_LAB_FORMGRADER_PORT": workshop.formgrader_port,
        "INTERVIEW_LAB_HUB_DB_URL": workshop.database_url(),
        "INTERVIEW_LAB_IDLE_TIMEOUT_S": workshop.idle_timeout_s,
    }
    env.update({key: str(value) for key, value in values.items()})
    return env


def running_pid(workshop: Workshop) -> int | None:
    """The hub's process id from its pid file, when that process is a running jupyterhub."""
    try:
        pid = int(workshop.pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"hub.py" in cmdline else None


def start_hub(workshop: Workshop, wait_s: float = 120.0) -> int:
    """Start the hub in the background (its own session, log in the state folder)."""
    require_root("starting the hub")
    if running_pid(workshop):
        raise RuntimeError(
            f"the hub is already running (pid {running_pid(workshop)}); `make hub-stop` stops it"
        )
    proxy = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        raise RuntimeError(f"{proxy} is missing: run `npm ci` in {HERE} (make does it)")
    admin_token(workshop)
    workshop.state.mkdir(parents=True, exist_ok=True)
    log = open(workshop.log_file, "ab")
    process = subprocess.Popen(
        [
            str(workshop.venv / "bin" / "python"),
            str(HERE / "hub.py"),
            "-f",
            str(HERE / "jupyterhub_config.py"),
        ],
        cwd=str(workshop.state),
        env=hub_environment(workshop),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    write_file(workshop.pid_file, f"{process.pid}\n", mode=0o600)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop_proxy(workshop)  # a hub that dies while starting leaves its proxy behind
            raise RuntimeError(
                f"the hub exited with status {process.returncode}; see {workshop.log_file}"
            )
        if hub_is_up(workshop):
            return process.pid
        time.sleep(0.5)
    raise RuntimeError(f"the hub did not answer within {wait_s:.0f} s; see {workshop.log_file}")


def stop_hub(workshop: Workshop, wait_s: float = 60.0) -> bool:
    """Stop the hub; it stops the proxy, the services and every server it started."""
    pid = running_pid(workshop)
    if pid is None:
        with contextlib.suppress(FileNotFoundError):
            workshop.pid_file.unlink()
        stop_proxy(workshop)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.3)
    if Path(f"/proc/{pid}").exists():
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        workshop.pid_file.unlink()
    stop_proxy(workshop)
    return True


def stop_proxy(workshop: Workshop, wait_s: float = 10.0) -> None:
    """Stop the hub's proxy if it is still running (it runs in a session of its own).

    A hub that stops normally stops its proxy itself; one that died, or was killed, does not.
    """
    pid_file = workshop.state / "jupyterhub-proxy.pid"
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"configurable-http-proxy" not in cmdline:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        pid_file.unlink()


@contextlib.contextmanager
def quiet_failures() -> Iterator[None]:
    try:
        yield
    except (ValueError, RuntimeError, PermissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2 if isinstance(error, ValueError) else 1) from None


# ------------------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workshop.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="the workshop environment and the learner's edition")
    sub.add_parser("course", help="staff accounts, course folder and exchange")
    learners = sub.add_parser("add-learners", help="Linux accounts from a class list")
    learners.add_argument("names", nargs="*", help="user names (or use --class-list)")
    learners.add_argument(
        "--class-list", type=Path, help="one user name per line, or a CSV with a username column"
    )
    sub.add_parser(
        "write-settings", help="only nbgrader's and Jupyter's settings of the environment (images)"
    )
    exchange = sub.add_parser(
        "prepare-exchange", help="only the exchange, for staff with these ids (Kubernetes)"
    )
    exchange.add_argument("--uid", type=int, required=True, help="the grader account's uid")
    exchange.add_argument("--gid", type=int, required=True, help="the staff group's gid")
    sub.add_parser("up", help="install, course and start: what `make hub` runs")
    sub.add_parser("start", help="start the hub in the background")
    sub.add_parser("stop", help="stop the hub, its proxy, services and servers")
    sub.add_parser("status", help="is the hub running")
    args = parser.parse_args(argv)
    with quiet_failures():
        workshop = Workshop.from_env()
        if args.command == "install":
            install_environment(workshop)
        elif args.command == "write-settings":
            write_jupyter_settings(workshop)
            install_singleuser(workshop)
        elif args.command == "prepare-exchange":
            require_root("preparing the exchange")
            prepare_exchange(workshop, args.uid, args.gid)
        elif args.command == "course":
            print_passwords(setup_course(workshop))
        elif args.command == "add-learners":
            names = list(args.names) + (read_class_list(args.class_list) if args.class_list else [])
            if not names:
                raise ValueError("name the learners, or pass --class-list FILE")
            print_passwords(add_learners(workshop, names))
        elif args.command in ("up", "start"):
            if args.command == "up":
                install_environment(workshop)
                print_passwords(setup_course(workshop))
            pid = start_hub(workshop)
            print(
                TRIAL_MESSAGE.format(
                    url=workshop.url,
                    pid=pid,
                    port=workshop.port,
                    ip=workshop.ip,
                    log=workshop.log_file,
                    instructor=workshop.instructors[0],
                    group=workshop.learner_group,
                    passwords=workshop.credentials_file,
                )
            )
        elif args.command == "stop":
            print("hub stopped" if stop_hub(workshop) else "the hub was not running")
        elif args.command == "status":
            pid = running_pid(workshop)
            print(f"running (pid {pid}) at {workshop.url}" if pid else "not running")
            return 0 if pid else 3
    return 0


def print_passwords(passwords: dict[str, str]) -> None:
    for name, password in sorted(passwords.items()):
        print(f"  {name}  password: {password}")


TRIAL_MESSAGE = """
JupyterHub is running (pid {pid}) at {url}  (log: {log})
  Log in as {instructor}: new passwords are printed above and kept in {passwords} (root only).
  Add learners (Linux accounts in the group {group}, passwords printed and kept there too):
    make hub-learners LEARNERS="ada grace"        or    make hub-learners CLASS_LIST=class.txt
  From another machine: ssh -L {port}:{ip}:{port} this-machine, then open {url}
  Stop it: make hub-stop
"""


if __name__ == "__main__":
    sys.exit(main())
