"""Start a kernel as an unprivileged user (run by root, standard library only).

Usage (root only)::

    python -I -S _dropper.py --uid U --gid G --home DIR --connection-file PATH -- CMD ...
    python -I -S _dropper.py --uid U --gid G --check PATH ...

The first form copies the kernel's connection file (which only root can read) into ``DIR``
for user ``U``, sets resource limits, drops every privilege (supplementary groups, group, user,
in that order, so root cannot be regained), and then *replaces itself* with the kernel
command, so the kernel keeps this process id and the kernel manager's signals (interrupt on a
cell timeout, kill) reach the kernel itself. ``--check`` prints each path
that user ``U`` cannot reach and exits 1 when there is any.

It runs with ``-I -S`` (no site, no environment variables read by Python, no current
directory on ``sys.path``), so nothing in a student's reach can change what it does.
"""

import json
import os
import resource
import sys

# A submission may not start more processes than this (a fork bomb stops here).
MAX_PROCESSES = 256
# Nor write a file larger than this (Python turns the limit into an OSError).
MAX_FILE_BYTES = 1_000_000_000


def parse(argv):
    options = {"command": [], "check": []}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            options["command"] = argv[i + 1 :]
            break
        if arg == "--check":
            options["check"] = argv[i + 1 :]
            break
        elif arg in ("--uid", "--gid", "--home", "--connection-file"):
            options[arg[2:].replace("-", "_")] = argv[i + 1]
            i += 1
        else:
            raise SystemExit(f"unknown argument {arg!r}")
        i += 1
    return options


def drop(uid, gid):
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getegid() != gid:
        raise SystemExit("could not drop privileges")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SystemExit("privileges were not dropped: setuid(0) still works")


def main(argv):
    if os.geteuid() != 0:
        raise SystemExit("the kernel launcher must run as root")
    options = parse(argv)
    uid, gid = int(options["uid"]), int(options["gid"])
    if uid == 0 or gid == 0:
        raise SystemExit("refusing to run a kernel as root")
    if options["check"]:
        drop(uid, gid)
        missing = [p for p in options["check"]
                   if not os.access(p, os.R_OK | (os.X_OK if os.path.isdir(p) else 0))]
        for path in missing:
            print(path)
        return 1 if missing else 0
    home = options["home"]
    command = options["command"]
    source = options["connection_file"]
    with open(source) as handle:
        info = json.load(handle)
    target = os.path.join(home, ".kernel-connection.json")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle)
    os.chown(target, uid, gid)
    command = [target if part == source else part for part in command]
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    drop(uid, gid)
    os.umask(0o077)
    os.chdir(home)
    os.execv(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
