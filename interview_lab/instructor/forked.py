"""Forked grading kernels: the kernel provisioner, its kernel spec and the fork server's life.

A fresh Python kernel per submission spends most of its time importing ipykernel, IPython and
the assignment's libraries. With ``--kernels forked`` the grading run starts one fork server
(``_forkserver.py``, which documents the isolation rules) that imports them once and forks a
new kernel process per submission. Every submission still gets its own kernel process, started
from the same clean state; the sandbox folder, the unprivileged user (when root), the explicit
environment and the cell timeout are the instructor workflow's, unchanged.

nbgrader reaches the fork server through Jupyter's own machinery: the kernel spec
``python3-forked`` (``kernels/python3-forked/kernel.json`` beside this file) names the
provisioner ``interview-lab-forked``, registered under jupyter_client's
``jupyter_client.kernel_provisioners`` entry point, and the grading run selects it with
``Execute.kernel_name`` (nbgrader resets each notebook's own kernel spec to the source's, so
notebook metadata cannot select it). The provisioner is not the kernel's parent: it asks the
fork server for the exit status (``poll``/``wait``) and has it deliver signals to the kernel's
process group (interrupts on a cell timeout, kills). When the fork server has gone away, the
provisioner still watches and signals its kernel directly, so a notebook already running
finishes, and the next launch raises :class:`ForkServerUnavailable`, on which the grading run
falls back to fresh kernels with a warning.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

KERNEL_NAME = "python3-forked"
PROVISIONER_NAME = "interview-lab-forked"
FORK_SERVER = Path(__file__).with_name("_forkserver.py")
KERNELS_DIR = Path(__file__).with_name("kernels")
SOCKET_VARIABLE = "INTERVIEW_LAB_FORK_SERVER"
# Modules a kernel never gets preloaded whatever a notebook imports: the course's own package
# (the assignments' hidden tests treat its presence in sys.modules as cheating).
NEVER_PRELOAD = ("interview_lab",)
# Libraries the default preload leaves out and the fork server refuses (it says why): each
# kernel imports them itself (see LEFT_TO_EACH_KERNEL in _forkserver.py; a test keeps the two
# equal).
LEFT_TO_EACH_KERNEL = ("matplotlib",)
# Forking after these imports is only known to be safe where fork() is the native way to start
# processes: on macOS, system frameworks that Python's libraries load are not fork-safe.
FORK_SAFE_PLATFORM = sys.platform.startswith("linux")


# BLAS and OpenMP start a thread per core on import; with several kernels at once that only
# adds switching, so each kernel gets one (and the fork server must have one thread to fork).
THREAD_LIMITS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Workers and kernels run at a lower priority than the grading command's main process, whose
# single writer is the one serial step: when the cores are busy, it must not wait behind them.
GRADING_NICENESS = 5

# CPU seconds of each forked kernel of this process that has ended (the fork server, their
# parent, measures it); the grading workers read it for the benchmark's profile.
ENDED_KERNELS_CPU_S: list[float] = []


class ForkServerUnavailable(RuntimeError):
    """The fork server cannot be reached (it never started, died or was stopped)."""


class ForkServerError(RuntimeError):
    """The fork server refused a request (the message says why)."""


def default_mode() -> str:
    """``forked`` where forking kernels is safe (Linux) and the fork server can put each child in
    namespaces of its own (root); else ``fresh`` (bubblewrap sandboxes those without root)."""
    return "forked" if FORK_SAFE_PLATFORM and os.geteuid() == 0 else "fresh"


def auto_jobs(kernels: str = "fresh") -> int:
    """One job per usable core with fresh kernels. With forked kernels, three per core: a worker
    then spends most of its time waiting for its kernel (which starts in a tenth of a second
    instead of most of a second) and each job waits about a quarter of a second with no CPU
    used (jupyter_client's quiet period after the kernel answers, the kernel's exit), so one
    job per core leaves the cores half idle. (Measured on 2 cores, 40 ps1 submissions: median
    of three runs 24.8 s with two jobs per core, 23.2 s with three.)"""
    if hasattr(os, "sched_getaffinity"):
        cores = max(1, len(os.sched_getaffinity(0)))
    else:
        cores = max(1, os.cpu_count() or 1)
    return cores * (3 if kernels == "forked" else 1)


def notebook_imports(path: Path) -> set[str]:
    """Top-level module names imported by a notebook's code cells (magics and shell lines skipped)."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return set()
    names: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def default_preload(source_root: Path, assignment: str | None = None) -> list[str]:
    """The third-party libraries the course's assignments import (their ``source/`` notebooks;
    only ``assignment``'s when given), installed here, without the course's own package and
    without those each kernel must import itself (:data:`LEFT_TO_EACH_KERNEL`)."""
    found: set[str] = set()
    for notebook in sorted(source_root.glob(f"{assignment or '*'}/*.ipynb")):
        found |= notebook_imports(notebook)
    modules = []
    for name in sorted(found):
        if name in sys.stdlib_module_names or name in NEVER_PRELOAD:
            continue
        if importlib.util.find_spec(name) is None:
            continue
        if name in LEFT_TO_EACH_KERNEL:
            continue
        modules.append(name)
    return modules


def course_preload(course, assignment: str | None = None) -> list[str]:
    """What the course's fork server imports: ``c.ForkServer.preload`` in ``nbgrader_config.py``
    when set, else :func:`default_preload` over ``source/`` (over ``assignment``'s notebooks
    when grading one: a library no test or solution of it imports is not worth its import
    time, about half a second of CPU for pandas and requests)."""
    cfg = course.config()
    if "ForkServer" in cfg and "preload" in cfg.ForkServer:
        return checked_preload(list(cfg.ForkServer.preload))
    return default_preload(course.source_folder(), assignment)


def checked_preload(modules: list[str]) -> list[str]:
    bad = [m for m in modules if m.split(".")[0] in NEVER_PRELOAD]
    if bad:
        raise ValueError(f"the fork server must not preload the course's package: {', '.join(bad)}")
    return list(dict.fromkeys(modules))


def kernel_options(cmd: list[str]) -> list[str]:
    """The kernel's own options in its command (``... -f FILE OPTIONS``): what a forked kernel
    is started with, as a fresh one would be."""
    if "-f" in cmd:
        return list(cmd[cmd.index("-f") + 2:])
    return []


def launch_for_course(course, preload: list[str] | None = None, parent: Path | None = None,
                      assignment: str | None = None) -> ForkServer:
    """A fork server for grading ``assignment`` of ``course`` (``preload``: the course's choice
    when None),
    launched but not waited for: the grading command calls this before its own slow imports
    (nbgrader, nbconvert), so that the server's imports run at the same time on another core.
    The grading run then waits for it to be ready."""
    chosen = course_preload(course, assignment) if preload is None else checked_preload(preload)
    return ForkServer(chosen, parent=parent, niceness=GRADING_NICENESS).launch()


class ForkServer:
    """One fork server process for a grading run (``with ForkServer(...) as server:``)."""

    def __init__(self, preload: list[str], parent: Path | None = None, ready_timeout_s: float = 120,
                 niceness: int = 0):
        self.preload = checked_preload(preload)
        self.niceness = niceness
        self.parent = parent
        self.ready_timeout_s = ready_timeout_s
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self.facts: dict[str, Any] = {}

    @property
    def socket_path(self) -> str:
        assert self.folder is not None
        return str(self.folder / "fork.sock")

    def environment(self) -> dict[str, str]:
        """What the server (and so every kernel's ``/proc/self/environ``) starts with: nothing
        of the grader's own environment beyond the locale; each kernel gets its real
        environment from its request."""
        assert self.folder is not None
        env = {k: os.environ[k] for k in ("LANG", "LC_ALL", "LC_CTYPE", "TZ") if k in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        env.update(THREAD_LIMITS)
        env.update({
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(self.folder),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": str(self.folder / "matplotlib"),
            "IPYTHONDIR": str(self.folder / "ipython"),
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        return env

    def start(self) -> ForkServer:
        """Start the server and wait until it has imported its modules and listens."""
        return self.launch().wait_ready()

    def launch(self) -> ForkServer:
        """Start the server without waiting for it (it imports for a second or two: the grading
        command launches it first and does its own imports meanwhile); then :meth:`wait_ready`."""
        self.folder = Path(tempfile.mkdtemp(prefix="interview-lab-fork-", dir=self.parent))
        os.chmod(self.folder, 0o700)
        log = open(self.folder / "server.log", "wb")  # noqa: SIM115 - the server keeps it
        command = [sys.executable, "-P", str(FORK_SERVER), "--socket", self.socket_path,
                   "--owner", str(os.getpid())]
        if self.niceness:
            command += ["--nice", str(self.niceness)]
        for module in self.preload:
            command += ["--preload", module]
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                cwd=self.folder, env=self.environment(), close_fds=True,
            )
        finally:
            log.close()
        return self

    @property
    def ready(self) -> bool:
        return bool(self.facts)

    def wait_ready(self) -> ForkServer:
        """Wait for the launched server's ready line; :class:`ForkServerUnavailable` if it never
        comes (the server is then stopped)."""
        if self.ready:
            return self
        if self.process is None:
            raise ForkServerUnavailable("the fork server was never launched")
        line = self._read_ready_line()
        if not line:
            self.stop()
            raise ForkServerUnavailable(f"the fork server did not start: {self.log_tail()}")
        self.facts = json.loads(line)
        return self

    def _read_ready_line(self) -> bytes:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + self.ready_timeout_s
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                return b""
            ready, _, _ = select.select([self.process.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    return b""
                data += chunk
        self.process.stdout.close()
        return data

    def log_tail(self, lines: int = 5) -> str:
        if self.folder is None:
            return ""
        try:
            text = (self.folder / "server.log").read_text(errors="replace").strip()
        except OSError:
            return "(no log)"
        return " | ".join(text.splitlines()[-lines:]) or "(empty log)"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def request(self, message: dict[str, Any], timeout_s: float = 30) -> dict[str, Any]:
        """One request, synchronously (for checks and tests; kernels use the provisioner)."""
        return call_sync(self.socket_path, message, timeout_s)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()  # not read when stopped before it was ready
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> ForkServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _reply(line: bytes) -> dict[str, Any]:
    if not line:
        raise ForkServerUnavailable("the fork server closed the connection without a reply")
    reply = json.loads(line)
    if not reply.get("ok"):
        raise ForkServerError(reply.get("error", "refused"))
    return reply


def call_sync(path: str, message: dict[str, Any], timeout_s: float = 30) -> dict[str, Any]:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout_s)
            conn.connect(path)
            conn.sendall(json.dumps(message).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as error:
        raise ForkServerUnavailable(f"cannot reach the fork server at {path}: {error}") from error
    return _reply(data)


async def call(path: str, message: dict[str, Any], timeout_s: float = 30) -> dict[str, Any]:
    try:
        reader, writer = await asyncio.open_unix_connection(path)
    except OSError as error:
        raise ForkServerUnavailable(f"cannot reach the fork server at {path}: {error}") from error
    try:
        writer.write(json.dumps(message).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout_s)
    except (TimeoutError, OSError) as error:
        raise ForkServerUnavailable(f"the fork server did not answer: {error!r}") from error
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return _reply(line)


class ForkedProvisioner(LocalProvisioner):
    """Starts the kernel as a child of the grading run's fork server (see the module docstring).

    The kernel manager tells it which server (``fork_socket``, else the ``INTERVIEW_LAB_FORK_SERVER``
    environment variable) and which user (``fork_user``: ``[uid, gid]`` when grading as root).
    """

    _status: int | None = None

    @property
    def has_process(self) -> bool:
        return self.pid is not None and self._status is None

    def _socket(self) -> str:
        path = getattr(self.parent, "fork_socket", "") or os.environ.get(SOCKET_VARIABLE, "")
        if not path:
            raise ForkServerUnavailable("no fork server configured for the forked kernel")
        return path

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> dict:
        km = self.parent
        connection = json.loads(Path(km.connection_file).read_text())
        user = list(getattr(km, "fork_user", []) or []) or None
        cwd = str(kwargs.get("cwd") or os.getcwd())
        env = dict(kwargs.get("env") or {})
        env.pop("JPY_PARENT_PID", None)  # process 1 of its own PID namespace has no parent to watch
        reply = await call(self._socket(), {
            "op": "spawn", "connection": connection, "cwd": cwd, "env": env, "user": user,
            "args": kernel_options(cmd), "plan": dict(getattr(km, "fork_plan", {}) or {}) or None,
        })
        self.pid = self.pgid = int(reply["pid"])
        self._status = None
        self.cwd = cwd
        return self.connection_info

    async def poll(self) -> int | None:
        if self.pid is None:
            return 0
        if self._status is not None:
            return self._status
        try:
            reply = await call(self._socket(), {"op": "poll", "pid": self.pid})
            status = reply["status"]
            if status is not None and reply.get("cpu_s") is not None:
                ENDED_KERNELS_CPU_S.append(float(reply["cpu_s"]))
        except ForkServerUnavailable:
            # The server is gone; its kernel may live on (orphaned): look at it directly.
            status = None if _exists(self.pid) else -signal.SIGKILL
        self._status = status
        return status

    async def wait(self) -> int | None:
        if self.pid is None:
            return 0
        while (status := await self.poll()) is None:
            await asyncio.sleep(0.02)
        return status

    async def send_signal(self, signum: int) -> None:
        if not self.has_process:
            return
        try:
            await call(self._socket(), {"op": "signal", "pid": self.pid, "signum": int(signum)})
        except ForkServerUnavailable:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signum)

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
