"""Where, and as whom, a submission's code runs while it is graded.

nbgrader runs a submission's kernel with its working directory in
``autograded/<student>/<assignment>/``, inside the course, where ``source/`` (solutions and
hidden tests), the gradebook and every other student's work are one ``../`` away, and as the
user who grades (often root, on a workshop server graded with ``sudo``). Here every kernel
instead:

* starts in a **sandbox**: a new temporary folder outside the course holding a copy of what
  nbgrader would have put in its working directory (the submission's files and the
  assignment's data files), removed after the submission is graded; its ``HOME``, IPython and
  matplotlib folders are in the sandbox too, and it gets a small, explicit environment (none of
  the grader's variables, such as tokens, leak into student code);
* when grading runs as **root**, runs as an unprivileged system user (``interview-grader-1``,
  ``-2``, ... one per parallel slot, created on first use). The launcher (``_dropper.py``)
  copies the kernel's connection file into the sandbox for that user, sets resource limits,
  drops supplementary groups, group and user, and then becomes the kernel (same process id,
  so interrupts and kills reach it). Two kernels never run as the same user at the same time,
  so one student's kernel cannot read another's sandbox, its ``/proc`` entries or its
  connection file; after each submission every process left behind by that user is killed.
  For the duration of the run, the course's top-level entries other than the Python
  environment, the package, ``data/``, ``release/`` and ``notebooks/`` lose their permissions
  for "other" users (``chmod o-rwx``: ``source/``, ``submitted/``, ``autograded/``,
  ``feedback/``, the gradebook, ``tests/``, ``.git``, ...), and get them back at the end.

What this defends against: a submission reading solutions, hidden tests, the gradebook or
other students' work, and tampering with course files. What it does not: a determined attack
on the grading machine itself (kernel exploits, exhausting memory or disk, network access),
or students who share answers on purpose. For that, grade each submission in a container
(no network, memory and disk quotas). Without root, only the sandbox applies: relative paths
no longer lead into the course, but the kernel runs as the grader and can read what the
grader can.

Kernels are started either fresh (a new Python process per submission, through the launcher
above) or forked (``forked.py``: a child of the run's fork server, which applies the same
resource limits and user change itself); the sandbox, user and environment rules here are
the same for both.

Kernels talk to the grader over **Unix sockets** in their sandbox (jupyter_client's ``ipc``
transport), not TCP ports on 127.0.0.1. jupyter_client picks free TCP ports and the kernel
binds them a moment later; while the run's workers start kernels and open connections at the
same time, another process can take a port in between. A kernel that then cannot bind its
shell, stdin or control port exits, but one that cannot bind its IOPub port stays alive
without answering (it hangs shutting down its sockets), and the student failed a minute later
with "Kernel didn't respond in 60 seconds". Socket files in a folder made for the submission
cannot be taken by anyone else. A sandbox whose path is too long for a Unix socket (deep
temporary folders) falls back to TCP.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Dict, Enum, Integer, List, Unicode, default

from .forked import THREAD_LIMITS

USER_PREFIX = "interview-grader"
DROPPER = Path(__file__).with_name("_dropper.py")
# Top-level entries of the course a kernel may read (besides the Python environment).
PUBLIC_ENTRIES = ("data", "interview_lab", "release", "notebooks")
# Variables passed from the grader's environment to a kernel (everything else is dropped).
PASSED_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "INTERVIEW_LAB_DATA", "INTERVIEW_LAB_TODAY")


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass(frozen=True)
class GraderUser:
    """An unprivileged system user that runs kernels in one parallel slot."""

    name: str
    uid: int
    gid: int


def ensure_grader_user(name: str) -> GraderUser:
    """The system user ``name``, created (no home, no login shell) when missing. Root only."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        if not Path(useradd).exists():
            raise RuntimeError(
                f"cannot create the grading user {name!r}: no useradd on this system; "
                "create it by hand or grade as a normal user"
            ) from None
        nologin = next((p for p in ("/usr/sbin/nologin", "/sbin/nologin") if Path(p).exists()), "/bin/false")
        result = subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", nologin, "--comment", "DevOps Interview Lab grading kernels", name],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise RuntimeError(f"useradd {name} failed: {result.stderr.strip()}") from None
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise RuntimeError(f"the grading user {name!r} must not be root or in group root")
    return GraderUser(name, entry.pw_uid, entry.pw_gid)


def lock_dir() -> Path:
    for candidate in (Path("/run/lock"), Path("/var/lock"), Path("/run")):
        if candidate.is_dir() and os.access(candidate, os.W_OK):
            return candidate
    return Path(tempfile.gettempdir())


@contextlib.contextmanager
def leased_users(count: int) -> Iterator[list[GraderUser]]:
    """``count`` grading users, none of them used by another grading run at the same time.

    Each user is leased with an exclusive lock file, so two instructors grading at once on one
    server never share a kernel user (which would let one run kill the other's kernels).
    """
    held: list[tuple[GraderUser, int]] = []
    try:
        index = 1
        while len(held) < count:
            name = f"{USER_PREFIX}-{index}"
            path = lock_dir() / f"{name}.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
            else:
                held.append((ensure_grader_user(name), fd))
            index += 1
            if index > count + 64:
                raise RuntimeError("no free grading user: too many grading runs at once")
        yield [user for user, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)


def dropper_command(user: GraderUser) -> list[str]:
    """The launcher's command line up to its options (run as root)."""
    return [sys.executable, "-I", "-S", str(DROPPER), "--uid", str(user.uid), "--gid", str(user.gid)]


SHARED_TEMP_FOLDERS = ("/var/tmp", "/dev/shm")  # besides tempfile.gettempdir()


def remove_user_files(users: list[GraderUser]) -> list[Path]:
    """Delete what grading users left in the shared temporary folders (a submission may write
    there by absolute path); returns what was removed. Only top-level entries they own."""
    uids = {user.uid for user in users}
    removed = []
    for folder in {Path(tempfile.gettempdir()), *map(Path, SHARED_TEMP_FOLDERS)}:
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            try:
                if entry.lstat().st_uid not in uids:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
            except OSError:
                continue
    return removed


def live_processes(uid: int) -> list[int]:
    """Process ids of ``uid`` that are still running (zombies, already dead, are left out)."""
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    wanted = str(uid)
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as handle:
                status = handle.read()
        except OSError:
            continue
        # Only two lines matter ("State:" comes before "Uid:"); the rest is not read.
        state = real_uid = None
        for line in status.splitlines():
            if line.startswith("State:"):
                state = line[6:].strip()
            elif line.startswith("Uid:"):
                real_uid = line[4:].split()[:1]
                break
        if real_uid == [wanted] and not (state or "").startswith("Z"):
            found.append(int(name))
    return found


def kill_user_processes(user: GraderUser, wait_s: float = 5.0) -> list[int]:
    """Kill every process of ``user`` (what a submission left running in the background).

    A short-lived child of this process becomes ``user`` and calls ``kill(-1, SIGKILL)``, which
    reaches exactly that user's processes, including ones started while a scan of ``/proc``
    would run. Returns the processes still alive after ``wait_s`` seconds (normally none).
    """
    import signal
    import time

    deadline = time.monotonic() + wait_s
    while True:
        pid = os.fork()
        if pid == 0:  # only system calls here, then out: no Python clean-up in the child
            code = 1
            try:
                os.setgroups([])
                os.setgid(user.gid)
                os.setuid(user.uid)
                if os.getuid() == user.uid != 0:
                    try:
                        os.kill(-1, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    code = 0
            finally:
                os._exit(code)
        os.waitpid(pid, 0)
        alive = live_processes(user.uid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.01)


def kernel_needs() -> list[Path]:
    """What a kernel must be able to read: the interpreter, its libraries, the package, data."""
    import ipykernel

    import interview_lab
    from interview_lab.settings import data_dir

    paths = {
        Path(sys.executable),
        Path(sys.executable).resolve(),
        Path(sysconfig.get_paths()["stdlib"]),
        Path(sysconfig.get_paths()["purelib"]),
        Path(sysconfig.get_paths()["platlib"]),
        Path(ipykernel.__file__).parent,
        Path(interview_lab.__file__).parent,
    }
    if data_dir().is_dir():
        paths.add(data_dir())
    return sorted(p for p in paths if p.exists())


def unreadable_for(user: GraderUser, paths: list[Path]) -> list[Path]:
    """The ``paths`` that ``user`` cannot read (checked by actually becoming the user)."""
    result = subprocess.run(
        [*dropper_command(user), "--check", *map(str, paths)],
        capture_output=True, text=True, check=False, timeout=30,
    )
    return [Path(line) for line in result.stdout.splitlines() if line.strip()]


def blocking_folders(user: GraderUser, path: Path) -> list[Path]:
    """The folders on the way to ``path`` that ``user`` may not pass through (no ``x`` bit)."""
    chain = [p for p in reversed(path.parents)] + [path]
    found = []
    for folder in chain:
        if folder.is_dir():
            mode = folder.stat().st_mode
            owner_ok = folder.stat().st_uid == user.uid and mode & stat.S_IXUSR
            group_ok = folder.stat().st_gid == user.gid and mode & stat.S_IXGRP
            if not (mode & stat.S_IXOTH or owner_ok or group_ok):
                found.append(folder)
    return found


@dataclass
class PermissionChanges:
    """Mode changes made for one grading run, undone by :meth:`restore` (most recent first)."""

    changes: list[tuple[Path, int]] = field(default_factory=list)

    def chmod(self, path: Path, mode: int) -> None:
        old = stat.S_IMODE(path.lstat().st_mode)
        if old != mode:
            self.changes.append((path, old))
            os.chmod(path, mode)

    def restore(self) -> None:
        while self.changes:
            path, mode = self.changes.pop()
            with contextlib.suppress(FileNotFoundError):
                os.chmod(path, mode)


def private_entries(course_root: Path) -> list[Path]:
    """Top-level entries of the course that kernels must not read (everything not public)."""
    keep = {course_root / name for name in PUBLIC_ENTRIES}
    prefix = Path(sys.prefix).resolve()
    out = []
    for entry in sorted(course_root.iterdir()):
        if entry in keep or entry.is_symlink():
            continue
        if prefix == entry.resolve() or entry.resolve() in prefix.parents:
            continue  # the Python environment (e.g. .venv) stays readable
        out.append(entry)
    return out


@contextlib.contextmanager
def locked_course(course_root: Path, user: GraderUser, grant_traverse: bool) -> Iterator[list[str]]:
    """Make the course private to kernels for the duration of a run; yields what was changed.

    Raises ``PermissionError`` with the exact fix when a kernel user could not reach the Python
    environment (e.g. a course in root's home folder, mode 700) and ``grant_traverse`` is false.
    """
    changes = PermissionChanges()
    notes: list[str] = []
    # Runs that open folders for this run hold this lock exclusively, the others shared: so one
    # run never closes a folder again while another run's kernels still pass through it.
    guard = os.open(lock_dir() / f"{USER_PREFIX}-traverse.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(guard, fcntl.LOCK_EX)
    # A run that was killed before it could close the folders it opened left a journal: close
    # them now (no other run holds the lock, so none of its kernels passes through them).
    journal = lock_dir() / f"{USER_PREFIX}-traverse.json"
    undo_journal(journal)
    if not grant_traverse:
        fcntl.flock(guard, fcntl.LOCK_SH)
    try:
        for entry in private_entries(course_root):
            mode = stat.S_IMODE(entry.lstat().st_mode)
            if mode & 0o007:
                changes.chmod(entry, mode & ~0o007)
                notes.append(f"{entry.name}: o-rwx for this run")
        needs = kernel_needs()
        blocked: list[Path] = []
        for path in needs:
            for folder in blocking_folders(user, path):
                if folder not in blocked:
                    blocked.append(folder)
        if blocked and not grant_traverse:
            fix = " ".join(str(p) for p in blocked)
            raise PermissionError(
                "the grading users cannot reach the Python environment: "
                f"{fix} {'is' if len(blocked) == 1 else 'are'} closed to other users. "
                f"Run `chmod o+x {fix}` (lets others pass through without listing) or grade with "
                "--grant-traverse, which does that for this run only"
            )
        if blocked:
            journal.write_text(json.dumps({str(p): stat.S_IMODE(p.stat().st_mode) for p in blocked}))
        for folder in blocked:
            changes.chmod(folder, stat.S_IMODE(folder.stat().st_mode) | stat.S_IXOTH)
            notes.append(f"{folder}: o+x for this run")
        missing = unreadable_for(user, needs)
        if missing:
            raise PermissionError(
                "the grading users cannot read "
                + ", ".join(map(str, missing))
                + "; give other users read access to the Python environment (chmod -R o+rX)"
            )
        yield notes
    finally:
        changes.restore()
        if grant_traverse:
            journal.unlink(missing_ok=True)
        os.close(guard)


def undo_journal(journal: Path) -> list[Path]:
    """Give folders back the modes a killed run recorded before opening them; returns them."""
    if not journal.exists():
        return []
    try:
        modes = json.loads(journal.read_text())
    except ValueError:
        modes = {}
    restored = []
    for name, mode in modes.items():
        with contextlib.suppress(OSError):
            os.chmod(name, int(mode))
            restored.append(Path(name))
    journal.unlink(missing_ok=True)
    return restored


@dataclass(frozen=True)
class SandboxSpec:
    """How the kernels of one submission run: folder, user (root only), launcher, caches."""

    folder: str
    user: GraderUser | None
    private_dir: str  # root-only folder for the kernel's connection file
    mpl_template: str = ""  # a folder with matplotlib's font cache to copy in (saves ~1 s)

    def environment(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASSED_VARIABLES if k in os.environ}
        env.update(THREAD_LIMITS)
        bin_dir = str(Path(sys.executable).parent)
        env.update({
            "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": self.folder,
            "TMPDIR": self.folder,
            "IPYTHONDIR": os.path.join(self.folder, ".ipython"),
            "MPLCONFIGDIR": os.path.join(self.folder, ".matplotlib"),
            "JUPYTER_RUNTIME_DIR": os.path.join(self.folder, ".jupyter-runtime"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        if "LANG" not in env:
            env["LANG"] = "C.UTF-8"
        return env


def create_sandbox(parent: Path, user: GraderUser | None) -> Path:
    """A new, empty sandbox folder with an unguessable name, owned by ``user``."""
    folder = parent / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    if user is not None:
        os.chown(folder, user.uid, user.gid)
    return folder


def fill_sandbox(folder: Path, source_dir: Path, spec: SandboxSpec) -> None:
    """Copy what nbgrader would give the kernel as its working folder (regular files only)."""
    for path in sorted(source_dir.rglob("*")):
        rel = path.relative_to(source_dir)
        target = folder / rel
        if path.is_symlink() or target.exists():
            continue
        if path.is_dir():
            target.mkdir(mode=0o700)
        elif path.is_file():
            shutil.copyfile(path, target)
            os.chmod(target, 0o600)
        else:
            continue
        if spec.user is not None:
            os.chown(target, spec.user.uid, spec.user.gid)
    mpl = folder / ".matplotlib"
    if spec.mpl_template and Path(spec.mpl_template).is_dir() and not mpl.exists():
        mpl.mkdir(mode=0o700)
        for cache in Path(spec.mpl_template).glob("fontlist-*.json"):
            shutil.copyfile(cache, mpl / cache.name)
        if spec.user is not None:
            for path in [mpl, *mpl.iterdir()]:
                os.chown(path, spec.user.uid, spec.user.gid)


def remove_sandbox(folder: Path) -> None:
    """Delete a sandbox and everything the submission wrote in it."""
    shutil.rmtree(folder, ignore_errors=True)


def start_font_cache(template: Path) -> subprocess.Popen | None:
    """Build matplotlib's font cache once, in the background, for every sandbox of the run.

    A kernel with a new, empty matplotlib folder spends about a second rebuilding this cache
    on ``import matplotlib.pyplot``. The cache is made by the grader (never by a submission,
    whose files must not reach other students) and copied into each sandbox.
    """
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return None
    staging = Path(f"{template}.building")
    staging.mkdir(mode=0o700)
    code = (
        "import os, sys\n"
        "import matplotlib.font_manager\n"
        "os.rename(sys.argv[1], sys.argv[2])\n"
    )
    env = {"MPLCONFIGDIR": str(staging), "PATH": os.environ.get("PATH", ""), "HOME": str(staging)}
    return subprocess.Popen([sys.executable, "-c", code, str(staging), str(template)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class IsolatedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is started through the privilege-dropping launcher (fresh
    kernels) or by the grading run's fork server (the ``python3-forked`` kernel spec)."""

    launcher = List(Unicode(), help="command that starts the kernel as another user").tag(config=False)
    sandbox_folder = Unicode("").tag(config=False)
    fork_socket = Unicode("", help="the fork server's socket (forked kernels)").tag(config=False)
    fork_user = List(Integer(), help="[uid, gid] a forked kernel runs as (root only)").tag(config=False)

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        """Jupyter's usual kernel folders, then the package's grading-only kernel specs (found
        by this manager only, so ``python3-forked`` never shows in a learner's launcher)."""
        from .forked import KERNELS_DIR

        manager = KernelSpecManager(data_dir=self.data_dir)
        manager.kernel_dirs = [*manager.kernel_dirs, str(KERNELS_DIR)]
        return manager

    @property
    def ipykernel(self) -> bool:
        """The forked kernel spec runs ipykernel too: nbclient then starts it with the options it
        gives every IPython kernel (input history in memory, not in a file per kernel)."""
        from .forked import KERNEL_NAME

        return super().ipykernel or self.kernel_name == KERNEL_NAME

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """jupyter_client checks every 0.1 s whether a kernel it killed has exited; a grading
        kernel is gone within a few milliseconds, so check every 0.01 s (about 0.09 s less per
        submission, which counts once few submissions are left to run beside it)."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        if not self.launcher:
            return command
        connection = os.path.realpath(self.connection_file)
        return [*self.launcher, "--home", self.sandbox_folder, "--connection-file", connection, "--", *command]


# What jupyter_client raises when a kernel process has exited before answering kernel_info.
KERNEL_DIED_AT_START = "Kernel died before replying to kernel_info"


# The longest socket path used: the kernel's prefix plus jupyter_client's "-N" suffix must fit
# in sun_path (108 bytes on Linux, 104 on macOS, each with the terminating NUL).
UNIX_SOCKET_PATH_MAX = 100


def ipc_prefix(folder: str) -> str | None:
    """Where a kernel run in ``folder`` puts its Unix sockets (``<prefix>-1`` to ``-5``), or
    None when those paths would be too long for a Unix socket."""
    prefix = os.path.join(os.path.abspath(folder), ".kernel")
    return prefix if len(os.fsencode(prefix)) + len("-99") <= UNIX_SOCKET_PATH_MAX else None


def kernel_manager_class() -> type[AsyncKernelManager]:
    """The kernel manager for grading ("fresh" kernels: a new process per submission)."""
    return IsolatedKernelManager


class IsolatedExecute(Execute):
    """nbgrader's ``Execute`` with the kernel in a sandbox, as another user when root.

    Configured per submission (``IsolatedExecute.sandbox`` etc.); everything else, including
    the cell timeout (``Execute.timeout``), comes from the course's nbgrader configuration.
    """

    sandbox = Unicode("", help="the sandbox folder of this submission").tag(config=True)
    private_dir = Unicode("", help="root-only folder for connection files").tag(config=True)
    run_as = Dict({}, help="{'name', 'uid', 'gid'} of the kernel user (root only)").tag(config=True)
    mpl_template = Unicode("", help="folder holding a matplotlib font cache").tag(config=True)
    kernels = Enum(["fresh", "forked"], default_value="fresh",
                   help="fresh: a new Python process per kernel; forked: a child of the run's fork "
                        "server (select the python3-forked kernel spec with Execute.kernel_name)").tag(config=True)
    fork_socket = Unicode("", help="the run's fork server socket (forked kernels)").tag(config=True)
    # The kernel is thrown away after the notebook has run: kill it at once instead of asking it
    # to shut down and waiting (saves most of a second per submission).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)
    # How long to wait for a cell's last outputs after its reply: nbgrader fails the whole
    # submission when this runs out, and a cell that prints megabytes on a busy machine needs
    # more than nbclient's 4 s.
    iopub_timeout = Integer(30).tag(config=True)

    # A kernel may exit before it answers at all, so before any cell has run: over TCP, most
    # often because one of the ports jupyter_client chose for it was taken by another process
    # before the kernel could bind it (the grading run's workers all start kernels, and open
    # connections to them, at the same time). That is not the student's doing: start a new
    # kernel, with new ports or sockets, up to this many times in all.
    startup_attempts = Integer(2, help="kernels started before giving up on one that exits "
                                       "before it answers").tag(config=True)
    transport = Enum(["ipc", "tcp"], default_value="ipc" if os.name == "posix" else "tcp",
                     help="ipc: Unix sockets in the sandbox (no ports to race for); tcp: ports "
                          "on 127.0.0.1, as jupyter_client does by default").tag(config=True)

    def _spec(self) -> SandboxSpec:
        user = GraderUser(**self.run_as) if self.run_as else None
        return SandboxSpec(self.sandbox, user, self.private_dir, self.mpl_template)

    def preprocess(self, nb, resources=None, km=None):
        if not self.enabled:
            return nb, resources
        if not self.sandbox:
            raise RuntimeError("IsolatedExecute needs a sandbox folder")
        spec = self._spec()
        notebook_dir = resources.get("metadata", {}).get("path") or "."
        fill_sandbox(Path(self.sandbox), Path(notebook_dir), spec)
        resources.setdefault("metadata", {})["path"] = self.sandbox
        try:
            return super().preprocess(nb, resources, km)
        finally:
            resources["metadata"]["path"] = notebook_dir

    def create_kernel_manager(self):
        self.kernel_manager_class = kernel_manager_class()
        km = super().create_kernel_manager()
        spec = self._spec()
        if self.kernels == "forked":
            # The fork server's child drops to the user itself (no launcher process).
            km.fork_socket = self.fork_socket
            km.fork_user = [spec.user.uid, spec.user.gid] if spec.user is not None else []
        elif spec.user is not None:
            km.launcher = dropper_command(spec.user)
            km.sandbox_folder = spec.folder
        if spec.private_dir:
            km.connection_file = os.path.join(spec.private_dir, f"kernel-{uuid.uuid4().hex}.json")
        prefix = ipc_prefix(spec.folder) if self.transport == "ipc" else None
        if prefix is not None:
            # The kernel (as the sandbox's user) creates the sockets; a kernel started again
            # after an early exit takes the next free numbers.
            km.transport = "ipc"
            km.ip = prefix
            km.cache_ports = False
        return km

    async def async_start_new_kernel(self, **kwargs):
        spec = self._spec()
        kwargs["cwd"] = spec.folder
        kwargs["env"] = spec.environment()
        # The kernel's own stdout/stderr (not the notebook's outputs) must not reach the
        # instructor's terminal: a submission could flood it.
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        await super().async_start_new_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        attempt = 1
        while True:
            try:
                return await super().async_start_new_kernel_client()
            except RuntimeError as error:
                if attempt >= self.startup_attempts or KERNEL_DIED_AT_START not in str(error):
                    raise
            # nbclient has shut the dead kernel's manager down: a new manager, kernel and ports.
            self.log.warning("kernel exited before it answered (attempt %d of %d); starting another",
                             attempt, self.startup_attempts)
            attempt += 1
            self.km = self.create_kernel_manager()
            await self.async_start_new_kernel()

    # nbclient binds the synchronous wrappers to its own coroutines: rebind them to the overrides.
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
