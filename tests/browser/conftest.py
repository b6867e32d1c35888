"""Browser fixtures: real JupyterLab on 127.0.0.1, driven by Playwright in Debian's Chromium.

The browser is never downloaded: Playwright is pointed at the system's Chromium
(``/usr/bin/chromium``, or ``INTERVIEW_LAB_CHROMIUM``). Without it the tests skip with a
reason, except where ``INTERVIEW_LAB_REQUIRE_BROWSER`` or ``CI`` is set: there a missing
browser is a failure, so CI never skips them silently.

One JupyterLab server and one browser page serve the whole session (loading JupyterLab
costs seconds; the suite must stay short). Each test opens the notebooks it needs as tabs of
that page. A test module marks its tests with ``@pytest.mark.notebook(path)`` and runs the
selected tests' notebooks ahead, in the background (:meth:`lab.Lab.prepare`); a notebook
with widgets stays open after its test, so that the widget tests reuse that run instead of
starting its kernel again. A failing test leaves a screenshot ``FAILED-<test>.png`` beside
the notebooks' screenshots.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from lab import ARTIFACTS, Lab, LabServer

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("INTERVIEW_LAB_CHROMIUM", "/usr/bin/chromium"))
# Flags for a closed network: no background connections, no first-run work, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1000}
# JupyterLab settings of the test server (one file per plugin).
LAB_SETTINGS = {
    # Render every cell, also those scrolled out of view, so the tests can see all outputs.
    "notebook-extension/tracker": {"windowingMode": "none"},
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # The tests never save: a run notebook stays as it was in the course copy.
    "docmanager-extension/plugin": {"autosave": False},
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "notebook(path): the notebook a browser test uses (run ahead, in parallel)")


def _browser_required() -> bool:
    return bool(os.environ.get("INTERVIEW_LAB_REQUIRE_BROWSER") or os.environ.get("CI"))


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; without it the browser tests skip, or fail where they are required."""
    if not CHROMIUM.exists():
        if _browser_required():
            pytest.fail(f"browser tests are required here (CI or INTERVIEW_LAB_REQUIRE_BROWSER) "
                        f"but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "INTERVIEW_LAB_CHROMIUM); browser tests skipped")
    return CHROMIUM


@pytest.fixture(scope="session")
def _lab_process(chromium, tmp_path_factory):
    """JupyterLab started on a copy of the course (not yet answering); always shut down."""
    work = tmp_path_factory.mktemp("lab")
    for name, values in LAB_SETTINGS.items():
        plugin, file = name.split("/")
        folder = work / "settings" / "@jupyterlab" / plugin
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{file}.jupyterlab-settings").write_text(json.dumps(values))
    # The server works on a copy of what a learner opens, so nothing a test does reaches the
    # repository; tests may write scratch notebooks into it (LabServer.root).
    root = work / "course"
    root.mkdir()
    for name in ("notebooks", "release", "data"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    token = secrets.token_hex(16)
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["INTERVIEW_LAB_HOME"] = str(work / "learner-home")  # the learner's files go here
    runtime = work / "runtime"  # the server writes its port here (see lab_server)
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    # Port 0: the server takes a free port when it binds, and says which in its runtime file.
    # (A port chosen here would stay free only until some other process, such as a kernel
    # elsewhere on the machine, took it during the server's seconds of start-up; the test then
    # talked to that process.)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={work / 'settings'}",
        f"--LabApp.workspaces_dir={work / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log_path = work / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LabServer(url="", token=token, root=root, learner_home=work / "learner-home",
                       log=log_path)
    try:
        yield server, proc, runtime
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def lab_server(_lab_process):
    """The JupyterLab server, once it answers: a :class:`lab.LabServer`."""
    server, proc, runtime = _lab_process
    url = ""
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{server.log.read_text()[-3000:]}")
        if not url:
            for info in runtime.glob("jpserver-*.json"):
                with contextlib.suppress(OSError, ValueError, KeyError):  # maybe half written
                    url = f"http://127.0.0.1:{int(json.loads(info.read_text())['port'])}"
        if url:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={server.token}", timeout=2) as r:
                    if r.status == 200:
                        return dataclasses.replace(server, url=url)
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError("JupyterLab did not answer within 90 s")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def jlab(_lab_process, browser, lab_server):
    """JupyterLab loaded once in one page; notebooks open as tabs (see :class:`lab.Lab`).

    The server boots while Chromium starts (the fixtures are set up in this order)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    session = Lab(page, lab_server, VIEWPORT)
    session.start()
    try:
        yield session
    finally:
        # The kernels stop with the server (it shuts them all down at once on SIGTERM).
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_call_failed = report.failed


@pytest.fixture(autouse=True)
def _tidy_page(request):
    """After each test: a screenshot if it failed, and no dialog left open for the next one."""
    yield
    if "jlab" not in request.fixturenames:
        return
    session: Lab = request.getfixturevalue("jlab")
    if getattr(request.node, "browser_call_failed", False):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"))
    session.dismiss_dialogs()
