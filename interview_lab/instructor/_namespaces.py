"""Linux namespaces for a forked grading kernel (standard library only; loaded by the fork server).

A fresh kernel is started by bubblewrap (``sandbox.bwrap_command``); a forked kernel cannot
be, since it is a copy of the fork server and must not run a new program. So the fork server's
child does here, with the same system calls bubblewrap makes, what bubblewrap does for a fresh
kernel, from the same mount plan (``sandbox.MountPlan.as_request``):

* the fork server calls :func:`fork_in_new_pid_namespace`: the child is process 1 of a new PID
  namespace, so every process it starts dies with it (the kernel kills the whole namespace when
  its first process exits), and it dies with the server (``PR_SET_PDEATHSIG``);
* the child joins its submission's cgroups (memory and process limits), then enters the
  grading worker's mount namespace (which holds the submission's size-capped folder) and
  leaves it at once for new mount, network, IPC, UTS and cgroup namespaces of its own;
* :func:`build_root` mounts a small tmpfs as the new root, binds into it read-only what the
  plan names (the system's programs and libraries, the Python environment, the course's
  package), the submission's folder read-write, new tmpfs folders for ``/tmp``, ``/var/tmp``,
  ``/dev/shm`` and ``/run``, a few device nodes and a ``/proc`` of its own PID namespace, then
  ``pivot_root`` into it and detaches the old root: nothing else of the machine is left to
  reach, not even by a path that root could have followed;
* the loopback interface of the new network namespace is brought up (it starts down), and
  there is no other interface.

Only then does the child drop to its unprivileged user (``_forkserver.drop_privileges``).
"""

import ctypes
import fcntl
import os
import platform
import socket
import struct

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2
PR_SET_PDEATHSIG = 1

# pivot_root has no wrapper in glibc: its system call number by machine.
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}

# Device nodes a kernel may use (bound from the machine's /dev, as bubblewrap's --dev does).
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
DEVICE_LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"))

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def unshare(flags):
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd, flags):
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(flags)), "setns")


def mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                       data.encode() if data else None), f"mount {target}")


def umount(target, flags=0):
    _check(_libc.umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")


def pivot_root(new_root, put_old):
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    _check(_libc.syscall(ctypes.c_long(number), new_root.encode(), put_old.encode()), "pivot_root")


def die_with_parent(signum=9):
    _check(_libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0), "prctl")


def fork_in_new_pid_namespace(own_pid_namespace_fd):
    """fork(), the child being process 1 of a new PID namespace; the caller's own namespace for
    later children is restored at once (``own_pid_namespace_fd``: its ``/proc/self/ns/pid``)."""
    unshare(CLONE_NEWPID)
    try:
        return os.fork()
    finally:
        if os.getpid() != 1:  # the parent (a child of a new namespace sees itself as 1)
            setns(own_pid_namespace_fd, CLONE_NEWPID)


def stay_as_process_1():
    """Fork the kernel off and stay behind as process 1 of the namespace, as bubblewrap's init
    does for a fresh kernel: it only reaps, ignores the signals a kernel handles (interrupts),
    and exits with the kernel's status when the kernel ends, which ends the namespace. So the
    kernel itself is an ordinary process (a signal it sends itself, ``os.kill(os.getpid(),
    SIGKILL)``, ends it as it would end a fresh one). Returns in the kernel only."""
    # Changing user (done just before) cleared the parent-death signal set as root: this process
    # must still die with the fork server, and with it the whole namespace.
    die_with_parent()
    pid = os.fork()
    if pid == 0:
        die_with_parent()
        return
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, signal.SIG_IGN)
    while True:
        try:
            ended, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
        if ended == pid:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)


def join_cgroups(procs_files):
    """Move this process into each cgroup (``.../cgroup.procs``); its children follow."""
    for path in procs_files:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
        try:
            os.write(fd, b"0")  # 0: the writing process itself, in any PID namespace
        finally:
            os.close(fd)


def loopback_up():
    """Bring up ``lo`` in this (new) network namespace: 127.0.0.1 and ::1, and nothing else."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = 0x1 | 0x8 | 0x40  # IFF_UP | IFF_LOOPBACK | IFF_RUNNING
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH22x", b"lo", flags))  # SIOCSIFFLAGS


def _make_dirs(path):
    """Each missing folder on the way, 0711: passed through, never listed (os.makedirs would
    give the ones before the last the default mode)."""
    parent = os.path.dirname(path)
    if parent != path and not os.path.isdir(parent):
        _make_dirs(parent)
    if not os.path.isdir(path):
        os.mkdir(path, 0o711)


def _target(root, path):
    return os.path.join(root, path.lstrip("/"))


def _bind(source, target, writable):
    if os.path.isdir(source):
        _make_dirs(target)
    else:
        _make_dirs(os.path.dirname(target))
        if not os.path.exists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if writable else MS_RDONLY)
    if not writable or os.path.isdir(source):
        mount(None, target, None, flags | (MS_NODEV if writable else 0))


def build_root(plan):
    """Mount the plan's view on ``plan["root"]`` (an empty folder) and make it ``/``."""
    root = plan["root"]
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path, size in plan["tmpfs"]:
        target = _target(root, path)
        _make_dirs(target)
        mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size)},mode=1777")
    for path in plan["read_only"]:
        if os.path.exists(path):
            _bind(path, _target(root, path), writable=False)
    for path in plan["writable"]:
        _bind(path, _target(root, path), writable=True)
    for link, points_to in plan["symlinks"]:
        target = _target(root, link)
        _make_dirs(os.path.dirname(target))
        os.symlink(points_to, target)
    dev = _target(root, "/dev")
    _make_dirs(dev)
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _bind(f"/dev/{name}", os.path.join(dev, name), writable=True)
    for name, points_to in DEVICE_LINKS:
        if not os.path.lexists(os.path.join(dev, name)):
            os.symlink(points_to, os.path.join(dev, name))
    proc = _target(root, "/proc")
    _make_dirs(proc)
    mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    old = os.path.join(root, ".old-root")
    os.mkdir(old, 0o700)
    pivot_root(root, old)
    os.chdir("/")
    umount("/.old-root", MNT_DETACH)
    os.rmdir("/.old-root")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def enter(plan, worker_mount_namespace_fd=None):
    """In the fork server's child, as root: everything above, in order (see the module text)."""
    die_with_parent()
    join_cgroups(plan.get("cgroups") or [])
    if worker_mount_namespace_fd is not None:
        setns(worker_mount_namespace_fd, CLONE_NEWNS)
        os.close(worker_mount_namespace_fd)
    unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    build_root(plan)
    loopback_up()
    socket.sethostname(plan.get("hostname") or "grading")

