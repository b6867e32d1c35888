"""Where, and as whom, a submission's code runs while it is graded.

nbgrader runs a submission's kernel with its working directory in
``autograded/<student>/<assignment>/``, inside the course, where ``source/`` (solutions and
hidden tests), the gradebook and every other student's work are one ``../`` away, and as the
user who grades (often root, on a workshop server graded with ``sudo``). Here every kernel
instead runs in the sandbox described in ``sandbox.py``: its own Linux namespaces (mount, PID,
network with loopback only, IPC, UTS), a view of the file system holding only the system, the
Python environment, the course's package and data (read-only) and its own folder, cgroup limits
on memory and processes, and, when grading runs as **root**, an unprivileged system user
(``interview-grader-1``, ``-2``, ... one per parallel slot, created on first use, leased with a
lock so two runs never share one, and with every process of it killed when leased).

Its own folder holds a copy of what nbgrader would have put in its working directory (the
submission's files and the assignment's data files) and is its ``HOME``; it gets a small,
explicit environment (none of the grader's variables, such as tokens, leak into student code).
The folder is removed after the submission is graded; grading works on copies.

Kernels are started either fresh (a new Python process per submission: ``_dropper.py`` then
bubblewrap) or forked (``forked.py``: a child of the run's fork server, which enters the same
namespaces itself); the sandbox, user and environment rules are the same for both.

Kernels talk to the grader over **Unix sockets** in their folder (jupyter_client's ``ipc``
transport), not TCP ports: a kernel's network namespace has no route to the grader, and socket
files in a folder made for the submission cannot be taken by anyone else (with TCP, another
process could take a port between jupyter_client choosing it and the kernel binding it).

With ``--no-sandbox`` (for machines without namespaces) kernels run as before this sandbox
existed: in a temporary folder outside the course, as the grading user when root, with rlimits;
what that leaves open is printed by the command.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Enum, Integer, List, Unicode, default

from . import _dropper
from . import sandbox as _sandbox
from .forked import THREAD_LIMITS

USER_PREFIX = "interview-grader"
DROPPER = Path(__file__).with_name("_dropper.py")
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


LOCK_DIR = Path("/run/interview-lab")


def lock_dir() -> Path:
    """A folder only root can write, for the grading users' lease locks (never a shared,
    world-writable folder such as /run/lock, where another user could plant a file or link)."""
    with contextlib.suppress(FileExistsError):
        LOCK_DIR.mkdir(mode=0o700)
    info = LOCK_DIR.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise RuntimeError(f"{LOCK_DIR} must be a folder owned by root that others cannot write")
    return LOCK_DIR


@contextlib.contextmanager
def leased_users(count: int) -> Iterator[list[GraderUser]]:
    """``count`` grading users, none of them used by another grading run at the same time.

    Each user is leased with an exclusive lock file, so two instructors grading at once on one
    server never share a kernel user (which would let one run kill the other's kernels).
    """
    held: list[tuple[GraderUser, int]] = []
    folder = os.open(lock_dir(), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        index = 1
        while len(held) < count:
            name = f"{USER_PREFIX}-{index}"
            fd = os.open(f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600, dir_fd=folder)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
            else:
                user = ensure_grader_user(name)
                # A grading run killed with kill -9 may have left this user's processes behind.
                kill_user_processes(user)
                held.append((user, fd))
            index += 1
            if index > count + 64:
                raise RuntimeError("no free grading user: too many grading runs at once")
        yield [user for user, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)
        os.close(folder)


def fresh_kernel_command(spec: SandboxSpec, connection_file: str, kernel_command: list[str]) -> list[str]:
    """How a fresh kernel starts: the launcher (cgroups, rlimits, connection file), then
    bubblewrap with the kernel's mount plan, then (as root) setpriv to the grading user.
    Without the sandbox: the launcher, then setpriv (as root), then the kernel."""
    launcher = [sys.executable, "-I", "-S", str(DROPPER), "--connection-file", connection_file,
                "--memory-mb", str(spec.limits.memory_mb)]
    for path in spec.cgroup_procs:
        launcher += ["--cgroup-procs", path]
    drop = []
    if spec.user is not None:
        drop = [_sandbox.setpriv_path() or "setpriv", "--reuid", str(spec.user.uid),
                "--regid", str(spec.user.gid), "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--"]
    if not spec.namespaces:
        inner = [_dropper.PATH_MARK if part == connection_file else part for part in kernel_command]
        return [*launcher, "--copy-into", spec.folder, "--", *drop, *inner]
    plan = _sandbox.kernel_plan(Path(spec.folder), spec.limits)
    inner = [_sandbox.CONNECTION_IN_SANDBOX if part == connection_file else part for part in kernel_command]
    return [*launcher, "--", _sandbox.bwrap_path() or "bwrap", *plan.bwrap_args(),
            "--perms", "0444", "--ro-bind-data", _dropper.MARK, _sandbox.CONNECTION_IN_SANDBOX,
            "--chdir", spec.folder, "--unsetenv", "JPY_PARENT_PID", "--", *drop, *inner]


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


@dataclass(frozen=True)
class SandboxSpec:
    """How the kernels of one submission run: folder, user (root only), namespaces, limits."""

    folder: str
    user: GraderUser | None
    private_dir: str  # root-only folder for the kernel's connection file
    mpl_template: str = ""  # a folder with matplotlib's font cache to copy in (saves ~1 s)
    namespaces: bool = True  # False only with --no-sandbox
    limits: _sandbox.Limits = field(default_factory=_sandbox.Limits)
    cgroup_procs: tuple[str, ...] = ()
    new_root: str = ""  # an empty root-only folder a forked kernel mounts its view on

    def fork_plan(self) -> dict | None:
        """The mount plan a forked kernel enters (None without the sandbox)."""
        if not self.namespaces:
            return None
        plan = _sandbox.kernel_plan(Path(self.folder), self.limits)
        return plan.as_request(self.new_root, list(self.cgroup_procs))

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


_NO_FOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def _copy_in(source: Path, folder_fd: int, name: str, owner: GraderUser | None) -> None:
    """A new file ``name`` in the open folder: never through a link, never over an existing
    entry (a kernel that ran before in this folder, for an assignment's earlier notebook, may
    have left one), owned by the kernel's user through the descriptor."""
    try:
        fd = os.open(name, _NEW_FILE, 0o600, dir_fd=folder_fd)
    except FileExistsError:
        return
    try:
        with open(source, "rb") as handle:
            while chunk := handle.read(1 << 20):
                os.write(fd, chunk)
        if owner is not None:
            os.fchown(fd, owner.uid, owner.gid)
    finally:
        os.close(fd)


def _folder_in(parent_fd: int, name: str, owner: GraderUser | None) -> int | None:
    """An open descriptor of the folder ``name`` (made when missing); None when a link or a
    file stands there."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
        created = True
    except FileExistsError:
        created = False
    try:
        fd = os.open(name, _NO_FOLLOW_DIR, dir_fd=parent_fd)
    except OSError:
        return None
    if created and owner is not None:
        os.fchown(fd, owner.uid, owner.gid)
    return fd


def _copy_tree(source: Path, folder_fd: int, owner: GraderUser | None) -> None:
    for path in sorted(source.iterdir()):
        if path.is_symlink():
            continue
        if path.is_dir():
            fd = _folder_in(folder_fd, path.name, owner)
            if fd is not None:
                try:
                    _copy_tree(path, fd, owner)
                finally:
                    os.close(fd)
        elif path.is_file():
            _copy_in(path, folder_fd, path.name, owner)


def fill_sandbox(folder: Path, source_dir: Path, spec: SandboxSpec) -> None:
    """Copy what nbgrader would give the kernel as its working folder (regular files only).

    Everything is made through descriptors of the folder: a kernel of the same submission may
    have run in it already (assignments with several notebooks), so a name there may be a link
    it planted; root never writes or changes ownership through one."""
    root_fd = os.open(folder, _NO_FOLLOW_DIR)
    try:
        _copy_tree(source_dir, root_fd, spec.user)
        if spec.mpl_template and Path(spec.mpl_template).is_dir():
            mpl = _folder_in(root_fd, ".matplotlib", spec.user)
            if mpl is not None:
                try:
                    for cache in sorted(Path(spec.mpl_template).glob("fontlist-*.json")):
                        _copy_in(cache, mpl, cache.name, spec.user)
                finally:
                    os.close(mpl)
    finally:
        os.close(root_fd)


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
    """A kernel manager whose kernel is started in its sandbox: by the launcher and bubblewrap
    (fresh kernels) or by the grading run's fork server (the ``python3-forked`` kernel spec)."""

    fork_socket = Unicode("", help="the fork server's socket (forked kernels)").tag(config=False)
    fork_user = List(Integer(), help="[uid, gid] a forked kernel runs as (root only)").tag(config=False)
    fork_plan = Dict({}, help="the mount plan a forked kernel enters (empty: no sandbox)").tag(config=False)
    sandbox_spec: SandboxSpec | None = None  # fresh kernels: started by fresh_kernel_command

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
        if self.sandbox_spec is None:
            return command
        connection = os.path.realpath(self.connection_file)
        command = [connection if part == self.connection_file else part for part in command]
        return fresh_kernel_command(self.sandbox_spec, connection, command)


SANDBOX_NEEDS_IPC = ("IsolatedExecute.transport = 'tcp' cannot reach a kernel in its own network "
                     "namespace: keep the default 'ipc' (Unix sockets), or grade with --no-sandbox")
# Logged when a kernel's cgroup ran out of memory (a process of it was killed for it).
MEMORY_LIMIT_MESSAGE = "sandbox: the kernel ran out of its memory limit of"
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
    namespaces = Bool(True, help="run each kernel in its own Linux namespaces (False only with "
                                 "the grade command's --no-sandbox)").tag(config=True)
    new_root = Unicode("", help="an empty root-only folder forked kernels mount their view on").tag(config=True)
    memory_mb = Integer(_sandbox.Limits.memory_mb, help="memory a kernel and its processes may use (MB)").tag(config=True)
    processes = Integer(_sandbox.Limits.processes, help="processes a kernel may run at once").tag(config=True)
    folder_mb = Integer(_sandbox.Limits.folder_mb, help="size of a kernel's own folder (MB, as root)").tag(config=True)
    tmp_mb = Integer(_sandbox.Limits.tmp_mb, help="size of each of its /tmp, /var/tmp, /dev/shm, /run (MB)").tag(config=True)
    transport = Enum(["ipc", "tcp"], default_value="ipc" if os.name == "posix" else "tcp",
                     help="ipc: Unix sockets in the sandbox (no ports to race for); tcp: ports "
                          "on 127.0.0.1, as jupyter_client does by default").tag(config=True)

    _cgroup: _sandbox.SubmissionCgroup | None = None

    @property
    def limits(self) -> _sandbox.Limits:
        return _sandbox.Limits(self.memory_mb, self.processes, _sandbox.Limits.file_mb, self.folder_mb, self.tmp_mb)

    def _spec(self) -> SandboxSpec:
        user = GraderUser(**self.run_as) if self.run_as else None
        procs = tuple(self._cgroup.procs_files) if self._cgroup is not None else ()
        return SandboxSpec(self.sandbox, user, self.private_dir, self.mpl_template, self.namespaces,
                           self.limits, procs, self.new_root)

    def preprocess(self, nb, resources=None, km=None):
        if not self.enabled:
            return nb, resources
        if not self.sandbox:
            raise RuntimeError("IsolatedExecute needs a sandbox folder")
        spec = self._spec()
        notebook_dir = resources.get("metadata", {}).get("path") or "."
        fill_sandbox(Path(self.sandbox), Path(notebook_dir), spec)
        resources.setdefault("metadata", {})["path"] = self.sandbox
        controllers = _sandbox.cgroup_controllers() if self.namespaces else {}
        self._cgroup = _sandbox.SubmissionCgroup(controllers, self.limits) if controllers else None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            resources["metadata"]["path"] = notebook_dir
            if self._cgroup is not None:
                if self._cgroup.out_of_memory():
                    # Read by the grading worker: the reason (kernel died) or a note (a process).
                    self.log.error("%s %d MB", MEMORY_LIMIT_MESSAGE, self.memory_mb)
                self._cgroup.remove()
                self._cgroup = None

    def create_kernel_manager(self):
        self.kernel_manager_class = kernel_manager_class()
        km = super().create_kernel_manager()
        spec = self._spec()
        if self.kernels == "forked":
            # The fork server's child enters the sandbox and drops to the user itself.
            km.fork_socket = self.fork_socket
            km.fork_user = [spec.user.uid, spec.user.gid] if spec.user is not None else []
            km.fork_plan = spec.fork_plan() or {}
        elif spec.namespaces or spec.user is not None:
            km.sandbox_spec = spec
        if spec.private_dir:
            km.connection_file = os.path.join(spec.private_dir, f"kernel-{uuid.uuid4().hex}.json")
        prefix = ipc_prefix(spec.folder) if self.transport == "ipc" else None
        if spec.namespaces and prefix is None:
            raise RuntimeError(SANDBOX_NEEDS_IPC if self.transport == "tcp" else
                               f"the kernel's folder {spec.folder} is too long a path for Unix sockets; "
                               "set TMPDIR to a shorter folder")
        if spec.namespaces and spec.user is None and running_as_root():
            raise RuntimeError("as root, a sandboxed kernel needs a grading user (IsolatedExecute.run_as)")
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
