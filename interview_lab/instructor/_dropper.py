"""Start a fresh grading kernel in its sandbox (standard library only; run by the grading worker).

Usage::

    python -I -S _dropper.py [--cgroup-procs FILE ...] [--memory-mb N] --connection-file PATH \\
        -- bwrap ... --ro-bind-data @CONNECTION_FD@ DEST ... -- [setpriv ...] python -m ipykernel_launcher -f DEST
    python -I -S _dropper.py ... --connection-file PATH --copy-into DIR \\
        -- [setpriv ...] python -m ipykernel_launcher -f @CONNECTION_PATH@      (--no-sandbox)

It joins the submission's cgroups (memory and process limits; root only), sets the rlimits
(processes, file size, no core dumps; address space too when no cgroup limits memory), opens the
kernel's connection file (which only the grader can read) and hands it to bubblewrap as a
descriptor, which copies it into the sandbox's private ``/run``, and then *replaces itself* with
bubblewrap. So the kernel manager's process is bubblewrap, in the same process group as the
kernel: an interrupt on a cell timeout reaches the kernel, and a kill takes the whole sandbox
down (``--die-with-parent``, and the PID namespace dies with its first process). SIGINT is
ignored from here on for bubblewrap itself, so an interrupt never ends the sandbox; ipykernel
installs its own handler while it runs a cell.

Nothing is changed by path: no ownership, no copy into a folder a kernel can write. It runs
with ``-I -S`` (no site, no environment variables read by Python, no current directory on
``sys.path``), so nothing in a student's reach changes what it does.
"""

import os
import resource
import signal
import sys

# In the command, replaced with the descriptor of the opened connection file (for bubblewrap) ...
MARK = "@CONNECTION_FD@"
# ... or with the path of its copy in the kernel's folder (--no-sandbox).
PATH_MARK = "@CONNECTION_PATH@"
# A submission may not start more processes than this (a fork bomb stops here) ...
MAX_PROCESSES = 256
# ... nor write a file larger than this (Python turns the limit into an OSError).
MAX_FILE_BYTES = 1_000_000_000


def parse(argv):
    options = {"cgroup_procs": [], "memory_mb": None, "connection_file": None, "copy_into": None,
               "command": []}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            options["command"] = argv[i + 1:]
            break
        if arg == "--cgroup-procs":
            options["cgroup_procs"].append(argv[i + 1])
        elif arg == "--memory-mb":
            options["memory_mb"] = int(argv[i + 1])
        elif arg == "--connection-file":
            options["connection_file"] = argv[i + 1]
        elif arg == "--copy-into":
            options["copy_into"] = argv[i + 1]
        else:
            raise SystemExit(f"unknown argument {arg!r}")
        i += 2
    if not options["command"] or not options["connection_file"]:
        raise SystemExit("usage: _dropper.py [--cgroup-procs FILE ...] --connection-file PATH -- COMMAND ...")
    return options


def copy_into(source_fd, folder):
    """Without the sandbox (--no-sandbox): a read-only copy of the connection file, created new
    in the kernel's folder through a descriptor of that folder (never following a link, never
    replacing a file, never changing ownership). Returns its path."""
    data = b""
    while chunk := os.read(source_fd, 65536):
        data += chunk
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        name = f".kernel-connection-{os.urandom(8).hex()}.json"
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444, dir_fd=folder_fd)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    finally:
        os.close(folder_fd)
    return os.path.join(folder, name)


def main(argv):
    options = parse(argv)
    for path in options["cgroup_procs"]:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)
    if os.geteuid() == 0:  # counted per user: the kernel's, once setpriv has changed to it
        resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if options["memory_mb"] and not options["cgroup_procs"]:
        limit = options["memory_mb"] * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    fd = os.open(options["connection_file"], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    command = options["command"]
    if options["copy_into"]:
        command = [copy_into(fd, options["copy_into"]) if part == PATH_MARK else part for part in command]
        os.close(fd)
    else:
        os.set_inheritable(fd, True)
        command = [str(fd) if part == MARK else part for part in command]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.umask(0o077)
    os.execv(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
