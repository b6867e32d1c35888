"""The workshop hub's settings, configuration files and start script (no root needed)."""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from hubkit import COURSE, DEPLOY, REPO, load_hub_config, pins, ws
from traitlets.config.loader import PyFileConfigLoader

# ------------------------------------------------------------------------------ settings


def test_settings_default_to_a_workshop_machine(monkeypatch):
    for key in list(os.environ):
        if key.startswith("INTERVIEW_LAB_"):
            monkeypatch.delenv(key)
    workshop = ws.Workshop.from_env()
    assert workshop.prefix == Path("/opt/interview-lab")
    assert workshop.venv == Path("/opt/interview-lab/venv")
    assert workshop.exchange == Path("/srv/nbgrader/exchange")
    assert workshop.course_dir == Path("/srv/nbgrader/courses/devops-interview-lab")
    assert workshop.hub_groups == (
        "formgrade-devops-interview-lab",
        "nbgrader-devops-interview-lab",
    )
    assert (workshop.grader, workshop.instructors) == (
        "grader-devops-interview-lab",
        ("instructor",),
    )
    assert workshop.url == "http://127.0.0.1:8000"
    assert workshop.database_url() == "sqlite:////srv/interview-lab/hub/jupyterhub.sqlite"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("INTERVIEW_LAB_INSTRUCTORS", "ada, grace")
    monkeypatch.setenv("INTERVIEW_LAB_HUB_PORT", "9000")
    monkeypatch.setenv("INTERVIEW_LAB_HUB_DB_URL", "postgresql+psycopg://hub@db/hub")
    workshop = ws.Workshop.from_env()
    assert workshop.instructors == ("ada", "grace")
    assert (workshop.port, workshop.url) == (9000, "http://127.0.0.1:9000")
    assert workshop.database_url() == "postgresql+psycopg://hub@db/hub"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("INTERVIEW_LAB_INSTRUCTORS", "Ada", "cannot be a Linux user or group name"),
        ("INTERVIEW_LAB_INSTRUCTORS", " , ", "must name at least one instructor"),
        ("INTERVIEW_LAB_HUB_PREFIX", "opt/lab", "must be absolute paths"),
        ("INTERVIEW_LAB_HUB_PORT", "eighty", "must be a port number"),
        ("INTERVIEW_LAB_HUB_PORT", "70000", "between 1 and 65535"),
        ("INTERVIEW_LAB_HUB_PORT", "8080", "must all differ"),  # the proxy's API would be 8081
        ("INTERVIEW_LAB_IDLE_TIMEOUT_S", "0", "at least 1 second"),
    ],
)
def test_bad_settings_are_refused_with_a_sentence(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message):
        ws.Workshop.from_env()


def test_class_list_one_name_per_line(tmp_path):
    path = tmp_path / "class.txt"
    path.write_text("# workshop, March\nada\n\ngrace-h\nlinus_t\n")
    assert ws.read_class_list(path) == ["ada", "grace-h", "linus_t"]


def test_class_list_csv_with_a_username_column(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text(
        "name,username,email\nAda Lovelace,ada,ada@example.org\nGrace Hopper,grace,g@example.org\n"
    )
    assert ws.read_class_list(path) == ["ada", "grace"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,email\nAda,ada@example.org\n", "without a 'username' column"),
        ("ada\nAda.Lovelace\n", "cannot be Linux user names: Ada.Lovelace"),
        ("ada\ngrace\nada\n", "names some learners twice"),
    ],
)
def test_bad_class_lists_are_refused(tmp_path, text, message):
    path = tmp_path / "class.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        ws.read_class_list(path)


def test_generated_passwords_are_long_and_unambiguous():
    passwords = {ws.new_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
        assert not set(password) & set("01ilo")


# ------------------------------------------------------------------ jupyterhub_config.py


def test_hub_config_groups_roles_and_services(monkeypatch, tmp_path):
    c = load_hub_config(
        monkeypatch,
        tmp_path,
        INTERVIEW_LAB_INSTRUCTORS="ilt-teacher",
        INTERVIEW_LAB_FORMGRADER_PORT="9123",
    )
    staff, learners = f"formgrade-{COURSE}", f"nbgrader-{COURSE}"
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.PAMAuthenticator.allowed_groups == {"ilt-no-such-staff", "ilt-no-such-learners"}
    assert c.LocalAuthenticator.create_system_users is False
    assert c.JupyterHub.ip == "127.0.0.1" and c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.spawner_class == "localprocess"
    assert c.Spawner.cmd == [str(tmp_path / "prefix" / "bin" / "interview-lab-singleuser")]
    assert c.JupyterHub.load_groups == {
        staff: {"users": ["grader-devops-interview-lab", "ilt-teacher"]},
        learners: {"users": ["ilt-teacher"]},  # nobody is in the (missing) learners' Linux group
        "instructors": {"users": ["ilt-teacher"]},
    }
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles[staff]["groups"] == [staff]
    assert f"access:services!service={COURSE}" in roles[staff]["scopes"]
    assert roles[learners]["groups"] == [learners]
    assert not any(scope.startswith("access:services") for scope in roles[learners]["scopes"])
    assert roles["instructor"]["groups"] == ["instructors"]
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert sorted(services) == sorted([COURSE, "workshop-admin", "idle-culler"])
    formgrader = services[COURSE]
    assert formgrader["user"] == "grader-devops-interview-lab"
    assert formgrader["cwd"] == str(tmp_path / "course")
    assert formgrader["url"] == "http://127.0.0.1:9123"
    assert formgrader["environment"]["JUPYTER_CONFIG_PATH"] == str(
        tmp_path / "prefix" / "etc" / "staff"
    )
    assert "api_token" not in services["workshop-admin"]  # no token file yet: no empty token


def test_every_scope_in_the_config_is_one_jupyterhub_knows(monkeypatch, tmp_path):
    from jupyterhub.scopes import scope_definitions

    c = load_hub_config(monkeypatch, tmp_path)
    used = [scope for role in c.JupyterHub.load_roles for scope in role["scopes"]]
    used += list(c.Spawner.server_token_scopes)
    unknown = sorted({scope.split("!")[0] for scope in used} - set(scope_definitions))
    assert unknown == []
    assert (
        "read:users:groups!user" in c.Spawner.server_token_scopes
    )  # nbgrader's JupyterHubAuthPlugin


def test_a_learner_opens_their_own_edition_and_staff_their_home(monkeypatch, tmp_path):
    me = pwd.getpwuid(os.getuid())
    primary = grp.getgrgid(me.pw_gid).gr_name
    c = load_hub_config(monkeypatch, tmp_path)
    hook = c.Spawner.pre_spawn_hook

    learner = SimpleNamespace(
        user=SimpleNamespace(name=me.pw_name),
        environment=dict(c.Spawner.environment),
        notebook_dir="",
        default_url=c.Spawner.default_url,
    )
    hook(learner)
    folder = os.path.join(me.pw_dir, COURSE)
    assert learner.notebook_dir == folder
    assert learner.environment["INTERVIEW_LAB_EDITION"] == str(tmp_path / "prefix" / "edition")
    assert learner.environment["INTERVIEW_LAB_DATA"] == os.path.join(folder, "data")
    assert learner.environment["INTERVIEW_LAB_UMASK"] == "0077"
    assert learner.default_url == "/lab/tree/notebooks/00-contents.ipynb"

    c = load_hub_config(
        monkeypatch, tmp_path, INTERVIEW_LAB_STAFF_GROUP=primary
    )  # now we are staff
    staff = SimpleNamespace(
        user=SimpleNamespace(name=me.pw_name),
        environment=dict(c.Spawner.environment),
        notebook_dir="",
        default_url="",
    )
    c.Spawner.pre_spawn_hook(staff)
    assert (staff.notebook_dir, staff.default_url) == (me.pw_dir, "/lab")
    assert staff.environment["INTERVIEW_LAB_UMASK"] == "0002"
    assert staff.environment["JUPYTER_CONFIG_PATH"] == str(tmp_path / "prefix" / "etc" / "staff")
    assert "INTERVIEW_LAB_EDITION" not in staff.environment


def test_jupyter_settings_hide_the_formgrader_from_learners_only(monkeypatch, tmp_path):
    workshop = ws.Workshop(prefix=tmp_path / "prefix", exchange=tmp_path / "exchange")
    ws.write_jupyter_settings(workshop)
    etc = workshop.venv / "etc" / "jupyter"
    monkeypatch.delenv("INTERVIEW_LAB_EXCHANGE", raising=False)
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(etc)).load_config()
    assert cfg.Exchange.root == str(tmp_path / "exchange")
    monkeypatch.setenv(
        "INTERVIEW_LAB_EXCHANGE", str(tmp_path / "elsewhere")
    )  # the hub's setting wins
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(etc)).load_config()
    assert cfg.Exchange.root == str(tmp_path / "elsewhere")
    assert cfg.Authenticator.plugin_class == "nbgrader.auth.JupyterHubAuthPlugin"
    assert (cfg.CourseDirectory.course_id, cfg.CourseDirectory.groupshared) == (COURSE, True)
    learner_lab = json.loads((etc / "labconfig" / "page_config.json").read_text())[
        "disabledExtensions"
    ]
    staff_lab = json.loads((workshop.staff_config / "labconfig" / "page_config.json").read_text())[
        "disabledExtensions"
    ]
    assert learner_lab == dict.fromkeys(ws.STAFF_LAB_PLUGINS, True)
    assert staff_lab == dict.fromkeys(ws.STAFF_LAB_PLUGINS, False)
    learner_server = json.loads(
        (etc / "jupyter_server_config.d" / "zz-interview-lab.json").read_text()
    )
    staff_server = json.loads((workshop.staff_config / "jupyter_server_config.json").read_text())
    assert learner_server["ServerApp"]["jpserver_extensions"] == dict.fromkeys(
        ws.STAFF_SERVER_EXTENSIONS, False
    )
    assert staff_server["ServerApp"]["jpserver_extensions"] == dict.fromkeys(
        ws.STAFF_SERVER_EXTENSIONS, True
    )
    # The plugin ids are the ones nbgrader's lab extension registers.
    bundle = "".join(p.read_text(errors="replace") for p in nbgrader_lab_bundle())
    for plugin in ws.STAFF_LAB_PLUGINS:
        assert f'"{plugin}"' in bundle


def nbgrader_lab_bundle() -> list[Path]:
    import sys

    share = (
        Path(sys.prefix)
        / "share"
        / "jupyter"
        / "labextensions"
        / "@jupyter"
        / "nbgrader"
        / "static"
    )
    return sorted(share.glob("*.js"))


# ------------------------------------------------------------------------ singleuser.sh


def fake_prefix(tmp_path: Path) -> Path:
    """singleuser.sh installed under a prefix whose jupyterhub-singleuser reports what it got."""
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "venv" / "bin").mkdir(parents=True)
    shutil.copyfile(DEPLOY / "singleuser.sh", prefix / "bin" / "start")
    os.chmod(prefix / "bin" / "start", 0o755)
    probe = prefix / "venv" / "bin" / "jupyterhub-singleuser"
    probe.write_text('#!/bin/sh\necho "cwd=$(pwd) umask=$(umask) args=$*"\n')
    os.chmod(probe, 0o755)
    return prefix


def test_start_script_copies_the_edition_once_and_works_in_it(tmp_path):
    prefix = fake_prefix(tmp_path)
    edition = tmp_path / "edition"
    (edition / "notebooks").mkdir(parents=True)
    (edition / "notebooks" / "00-contents.ipynb").write_text("{}")
    os.chmod(edition / "notebooks" / "00-contents.ipynb", 0o444)  # read-only, as installed
    dest = tmp_path / "home" / COURSE
    dest.parent.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "INTERVIEW_LAB_EDITION": str(edition),
        "JUPYTERHUB_ROOT_DIR": str(dest),
    }

    first = subprocess.run(
        [str(prefix / "bin" / "start"), "--debug"], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"cwd={dest} umask=0077 args=--debug"
    copied = dest / "notebooks" / "00-contents.ipynb"
    assert copied.read_text() == "{}" and os.access(copied, os.W_OK)  # the learner may edit it
    assert [p.name for p in dest.parent.iterdir()] == [COURSE]  # no partial copy left behind

    copied.write_text('{"mine": 1}')  # the learner's work survives the next start
    second = subprocess.run(
        [str(prefix / "bin" / "start")],
        env={**env, "INTERVIEW_LAB_UMASK": "0002"},
        capture_output=True,
        text=True,
    )
    assert second.stdout.strip() == f"cwd={dest} umask=0002 args="
    assert copied.read_text() == '{"mine": 1}'


def test_start_script_for_a_service_copies_nothing(tmp_path):
    prefix = fake_prefix(tmp_path)
    work = tmp_path / "course"
    work.mkdir()
    result = subprocess.run(
        [str(prefix / "bin" / "start")],
        env={"PATH": "/usr/bin:/bin"},
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == f"cwd={work} umask=0077 args="
    assert list(work.iterdir()) == []


# --------------------------------------------------------------------------------- pins


def test_hub_requirements_are_pinned_and_installed():
    from importlib.metadata import version

    hub = pins(DEPLOY / "requirements.txt")
    assert {"jupyterhub", "pamela", "psycopg", "pyyaml"} <= set(hub)
    assert not set(hub) & set(pins(REPO / "requirements.txt")), "pin each package in one file only"
    for name, pinned in hub.items():
        assert version(name) == pinned, f"{name} {version(name)} is installed, {pinned} pinned"


def test_proxy_is_pinned_and_locked():
    package = json.loads((DEPLOY / "package.json").read_text())
    lock = json.loads((DEPLOY / "package-lock.json").read_text())
    wanted = package["dependencies"]["configurable-http-proxy"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), "pin the proxy to one version"
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == wanted
    assert all(entry.get("integrity") for key, entry in lock["packages"].items() if key)
