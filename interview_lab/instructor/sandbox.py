"""The sandbox every grading kernel runs in: Linux namespaces, a mount plan, cgroups.

A submission's kernel, fresh or forked, sees only what its :class:`MountPlan` names:

* read-only: the system's programs and libraries (``/usr``, ``/etc`` and the ``/bin``, ``/lib``
  links or folders), the Python environment (``sys.prefix`` and ``sys.base_prefix``, wherever
  they live, even in a folder other users cannot enter), the installed ``interview_lab``
  package (the assignments' loaders and test servers) and the course's ``data/``;
* read-write: its own folder (the submission's files; a size-capped tmpfs when grading as root)
  and new, empty, size-capped tmpfs folders for ``/tmp``, ``/var/tmp``, ``/dev/shm`` and ``/run``;
* a ``/proc`` of its own PID namespace and a few device nodes.

Nothing else of the machine exists in its view: no course tree, no home folders, no other
clone of the course, no other student's folder. It also gets a PID namespace of its own (every
process it starts dies with it, and it dies with the grader), a network namespace with only
``lo`` (the health-check assignments start their test servers inside it), IPC and UTS
namespaces, an unprivileged user (as root: one grading user per parallel slot), and limits:
memory and processes through a cgroup of its own, file size and core dumps through rlimits
(and memory through ``RLIMIT_AS`` where no cgroup controller is available).

Two launchers build the same view from the same plan:

* fresh kernels (a new Python process) are started by **bubblewrap** (``bwrap``, the sandbox
  Flatpak is built on), through ``_dropper.py``, which only joins the cgroups, sets rlimits and
  hands bubblewrap the kernel's connection file as a descriptor; as root, ``setpriv`` (util-linux)
  then drops to the grading user inside the sandbox;
* forked kernels (children of the run's fork server) cannot run a new program, so the fork
  server's child makes the same system calls itself (``_namespaces.py``) before it drops
  privileges: ``bwrap`` would have to start a new interpreter, which is what forking avoids.

Grading runs as root create the submission's folder as a tmpfs in the grading worker's own mount
namespace (:func:`private_mount_namespace`), so a kernel's files count against a size cap, and
the mount disappears with the worker whatever happens to the grader.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import _namespaces

# Where the kernel reads its connection file inside a bubblewrap sandbox (a private /run).
CONNECTION_IN_SANDBOX = "/run/interview-lab/kernel.json"
HOSTNAME = "grading"
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_GROUP = "interview-lab"
STALE_CGROUP_S = 600
SYSTEM_TREES = ("/usr", "/etc")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel and everything it starts may use."""

    memory_mb: int = 1024
    processes: int = 256
    file_mb: int = 1000
    folder_mb: int = 256  # its own folder (as root: a tmpfs of this size)
    tmp_mb: int = 64  # each of /tmp, /var/tmp, /dev/shm, /run



def _nested_in(path: str, others: list[str]) -> bool:
    return any(path != other and (path + "/").startswith(other.rstrip("/") + "/") for other in others)


@dataclass(frozen=True)
class MountPlan:
    """A kernel's view of the file system (see the module docstring)."""

    read_only: tuple[str, ...]
    writable: tuple[str, ...]
    symlinks: tuple[tuple[str, str], ...]
    tmpfs: tuple[tuple[str, int], ...]

    def as_request(self, root: str, cgroups: list[str]) -> dict:
        """The plan as the fork server's child applies it (``_namespaces.enter``)."""
        return {"root": root, "read_only": list(self.read_only), "writable": list(self.writable),
                "symlinks": [list(s) for s in self.symlinks], "tmpfs": [list(t) for t in self.tmpfs],
                "cgroups": cgroups, "hostname": HOSTNAME}

    def bwrap_args(self) -> list[str]:
        """bubblewrap's options for the same view (namespaces, mounts), before the command."""
        args = ["--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                "--unshare-uts", "--unshare-cgroup-try", "--hostname", HOSTNAME,
                # First: bubblewrap applies its options in order, and a new /dev made after the
                # tmpfs for /dev/shm would cover it.
                "--dev", "/dev", "--proc", "/proc"]
        for path, size in self.tmpfs:
            args += ["--perms", "1777", "--size", str(size), "--tmpfs", path]
        # bubblewrap would give the folders it makes on the way to a bound path the modes they
        # have on the machine (root's home: 0700, closed to the grading user); these are new,
        # folders in the sandbox's own root: passed through, never listed (0711).
        made: list[str] = []
        mounted = {p for p, _ in self.tmpfs} | {"/"}
        for path in [*self.read_only, *self.writable]:
            for parent in reversed(Path(path).parents):
                if str(parent) not in mounted and str(parent) not in made:
                    made.append(str(parent))
                    args += ["--perms", "0711", "--dir", str(parent)]
        for path in self.read_only:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        for path in self.writable:
            args += ["--bind", path, path]
        for link, target in self.symlinks:
            args += ["--symlink", target, link]
        return args


def _python_paths() -> list[str]:
    import interview_lab
    from interview_lab.settings import data_dir

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)),
             str(Path(interview_lab.__file__).resolve().parent)}
    if data_dir().is_dir():
        paths.add(str(data_dir().resolve()))
    return [os.path.realpath(p) for p in paths] + [p for p in paths if os.path.realpath(p) != p]


def kernel_plan(folder: Path, limits: Limits) -> MountPlan:
    """The view of a kernel working in ``folder`` (its own, read-write)."""
    read_only: list[str] = [p for p in SYSTEM_TREES if os.path.isdir(p)]
    symlinks: list[tuple[str, str]] = []
    for path in SYSTEM_LINKS:
        if os.path.islink(path):
            symlinks.append((path, os.readlink(path)))
        elif os.path.isdir(path):
            read_only.append(path)
    for path in _python_paths():
        if os.path.isdir(path) and path not in read_only:
            read_only.append(path)
    read_only = sorted({p for p in read_only if not _nested_in(p, read_only)}, key=lambda p: (p.count("/"), p))
    tmp = limits.tmp_mb * 1_000_000
    tmpfs = (("/tmp", tmp), ("/var/tmp", tmp), ("/dev/shm", tmp), ("/run", tmp))
    return MountPlan(tuple(read_only), (str(folder),), tuple(symlinks), tmpfs)


# ----------------------------------------------------------------------------- availability

def bwrap_path() -> str | None:
    return shutil.which("bwrap") or next((p for p in ("/usr/bin/bwrap",) if os.path.exists(p)), None)


def setpriv_path() -> str | None:
    return shutil.which("setpriv") or next(
        (p for p in ("/usr/bin/setpriv", "/bin/setpriv") if os.path.exists(p)), None)


def sandbox_problem(kernels: str) -> str | None:
    """Why kernels of this kind cannot be sandboxed here (one line), or None when they can."""
    if not sys.platform.startswith("linux"):
        return f"the grading sandbox needs Linux namespaces, which {sys.platform} does not have"
    bwrap = bwrap_path()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    root = os.geteuid() == 0
    if root and setpriv_path() is None:
        return "setpriv (util-linux) is not installed"
    if kernels == "forked" and not root:
        return "forked kernels are sandboxed only when grading as root (use --kernels fresh)"
    probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
             "--", "/bin/sh", "-c", "exit 0"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not start: {error}"
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or ["no reason given"])[-1]
        return f"this kernel does not allow the namespaces the sandbox needs ({why})"
    return None


NOT_DEFENDED_WITHOUT_SANDBOX = (
    "grading without the sandbox (--no-sandbox): kernels see the whole machine's files that "
    "their user can read (other copies of the solutions included), have the network, no memory "
    "or disk limit, and processes they start in a new session can outlive their submission"
)


def unsandboxed_user_problem(uid: int, gid: int) -> str | None:
    """Without the sandbox (--no-sandbox, as root), kernels run as a grading user on the machine's
    own file system, so that user must reach the Python environment (which the sandbox would bind
    wherever it lives). Why it cannot (one line), or None. Checked by that user's own ``test``."""
    import sysconfig

    paths = sysconfig.get_paths()
    wanted = [("-x", os.path.realpath(sys.executable)), ("-r", os.path.join(paths["stdlib"], "os.py")),
              ("-r", paths["purelib"]), ("-r", paths["platlib"])]
    for flag, path in wanted:
        probe = [setpriv_path() or "setpriv", "--reuid", str(uid), "--regid", str(gid), "--clear-groups",
                 "--", "/bin/sh", "-c", f'test {flag} "$0"', path]
        try:
            result = subprocess.run(probe, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"could not check what the grading users can reach: {error}"
        if result.returncode != 0:
            return (f"without the sandbox the grading users must reach the Python environment, and "
                    f"they cannot reach {path}; let other users pass through the folders on the way "
                    "(chmod o+x) or grade with the sandbox")
    return None


# ----------------------------------------------------------------------------- mounts (root)

_PRIVATE_MOUNTS: list[bool] = []


def private_mount_namespace() -> bool:
    """Give this process (a grading worker, as root) a mount namespace of its own, so the tmpfs
    folders it mounts for submissions are seen only by it and its kernels and vanish with it."""
    if _PRIVATE_MOUNTS:
        return True
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    try:
        _namespaces.unshare(_namespaces.CLONE_NEWNS)
        _namespaces.mount(None, "/", None, _namespaces.MS_REC | 0x80000)  # MS_SLAVE
    except OSError:
        return False
    _PRIVATE_MOUNTS.append(True)
    return True


def new_folder_name(parent: Path) -> Path:
    """An unguessable path in ``parent`` (a folder only root can write) for a submission."""
    return parent / uuid.uuid4().hex


def create_folder(folder: Path, uid: int | None, gid: int | None, limits: Limits) -> Path:
    """The folder of one submission's kernel (see :func:`new_folder_name`): a tmpfs of
    ``limits.folder_mb`` owned by the kernel's user when this process has a private mount
    namespace, else a plain folder. Root never changes ownership by path of anything a kernel
    could have touched: this happens before any kernel runs."""
    folder.mkdir(mode=0o700)
    if _PRIVATE_MOUNTS:
        options = f"size={limits.folder_mb * 1_000_000},mode=0700"
        if uid is not None:
            options += f",uid={uid},gid={gid}"
        _namespaces.mount("tmpfs", str(folder), "tmpfs", _namespaces.MS_NOSUID | _namespaces.MS_NODEV, options)
    elif uid is not None:
        os.chown(folder, uid, gid, follow_symlinks=False)
    return folder


def remove_folder(folder: Path) -> None:
    """Unmount (when a tmpfs) and delete a submission's folder."""
    if _PRIVATE_MOUNTS:
        with contextlib.suppress(OSError):
            _namespaces.umount(str(folder), _namespaces.MNT_DETACH)
    shutil.rmtree(folder, ignore_errors=True)


# ----------------------------------------------------------------------------- cgroups


def cgroup_controllers() -> dict[str, Path]:
    """Where the memory and pids controllers are mounted: ``{"memory": .., "pids": ..}`` on a
    cgroup v1 machine, both the same v2 folder where the unified hierarchy has them; empty
    when neither (or not root)."""
    if os.geteuid() != 0:
        return {}
    found: dict[str, Path] = {}
    for name in ("memory", "pids"):
        folder = CGROUP_ROOT / name
        if (folder / "cgroup.procs").exists() and (folder / "tasks").exists():
            found[name] = folder
    if len(found) == 2:
        return found
    for folder in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        try:
            available = (folder / "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if {"memory", "pids"} <= set(available):
            return {"memory": folder, "pids": folder}
    return {}


class SubmissionCgroup:
    """The memory and process limits of one submission (root only); ``procs_files`` are what its
    kernel's launcher writes itself into."""

    def __init__(self, controllers: dict[str, Path], limits: Limits):
        self.limits = limits
        self.folders: list[Path] = []
        name = uuid.uuid4().hex
        v2 = controllers["memory"] == controllers["pids"]
        for kind, base in controllers.items():
            group = base / CGROUP_GROUP
            if v2 and kind == "pids":
                continue
            group.mkdir(exist_ok=True)
            if v2:
                with contextlib.suppress(OSError):
                    (base / "cgroup.subtree_control").write_text("+memory +pids")
                with contextlib.suppress(OSError):
                    (group / "cgroup.subtree_control").write_text("+memory +pids")
            folder = group / name
            folder.mkdir()
            self.folders.append(folder)
        memory = limits.memory_mb * 1024 * 1024
        if v2:
            folder = self.folders[0]
            (folder / "memory.max").write_text(str(memory))
            with contextlib.suppress(OSError):
                (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(limits.processes))
        else:
            memory_folder, pids_folder = self.folders
            (memory_folder / "memory.limit_in_bytes").write_text(str(memory))
            with contextlib.suppress(OSError):  # swap accounting may be off
                (memory_folder / "memory.memsw.limit_in_bytes").write_text(str(memory))
            (pids_folder / "pids.max").write_text(str(limits.processes))

    @property
    def procs_files(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def processes(self) -> list[int]:
        pids: set[int] = set()
        for path in self.procs_files:
            with contextlib.suppress(OSError, ValueError):
                pids.update(int(line) for line in Path(path).read_text().split())
        return sorted(pids)

    def out_of_memory(self) -> bool:
        """Whether the kernel ran out of its memory limit (a process of it was OOM-killed)."""
        for folder in self.folders:
            for name in ("memory.oom_control", "memory.events"):
                with contextlib.suppress(OSError):
                    for line in (folder / name).read_text().splitlines():
                        key, _, value = line.partition(" ")
                        if key == "oom_kill" and int(value) > 0:
                            return True
        return False

    def remove(self, wait_s: float = 5.0) -> list[int]:
        """Kill whatever still runs in the cgroup, then remove it; returns processes that would
        not die (normally none)."""
        deadline = time.monotonic() + wait_s
        while (alive := self.processes()) and time.monotonic() < deadline:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)
        for folder in self.folders:
            with contextlib.suppress(OSError):
                folder.rmdir()
        return alive


def remove_stale_cgroups() -> None:
    """Remove the cgroups of grading runs that were killed (their processes died with their
    namespaces; a cgroup whose processes are all gone can be removed)."""
    for base in {*cgroup_controllers().values()}:
        group = base / CGROUP_GROUP
        if not group.is_dir():
            continue
        for folder in group.iterdir():
            # Old enough not to be another run's, just made and not yet joined by its kernel.
            with contextlib.suppress(OSError):
                if (folder.is_dir() and time.time() - folder.stat().st_mtime > STALE_CGROUP_S
                        and not (folder / "cgroup.procs").read_text().strip()):
                    folder.rmdir()
