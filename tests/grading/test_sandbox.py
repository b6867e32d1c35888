"""The grading sandbox (interview_lab/instructor/sandbox.py) against hostile submissions.

One course holds a control student (the correct answer) and one hostile student per attack,
each a small probe in the tiny assignment's RATIO cell that prints ``REPORT=<json>`` of what it
managed. The course is graded twice, with forked and with fresh kernels (one module-scoped
fixture), and every test below holds for both:

* memory: 4 GB allocated and touched -> a one-line status (the memory limit), nobody else hurt;
* disk: its own folder filled past 256 MB and /tmp past 64 MB -> ENOSPC inside the kernel,
  nothing written on the machine;
* fork bomb: 1000 processes asked for -> fewer than 256 start, grading goes on;
* network: the test's TCP server on the machine (loopback and its own address) and an outside
  address cannot be reached; a server of its own on 127.0.0.1 inside works;
* leftovers: files in /tmp, /var/tmp, /dev/shm, /run(/lock) and a setsid + double-fork daemon
  -> none of them on the machine after the run, no process of its grading user left;
* second copy: a world-readable copy of source/ elsewhere on the machine, the course's own
  source/ and the repository's source/ -> not found;
* planted files: a journal and a lock symlink in /run/lock (the old grader's world-writable
  lease folder) pointing at a root-owned file -> that file is untouched.

A last test kills the grading command with SIGKILL while a kernel runs (a daemon started,
then a long sleep): nothing of the run is left running a few seconds later.

Everything here needs root (grading users, cgroups, the kernel's tmpfs folder, forked kernels
in namespaces); the tests skip elsewhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from test_instructor_support import (
    ASSIGNMENT,
    GOOD_BYTES,
    REPO,
    filled_notebook,
    grade_args,
    is_root,
    make_course,
    put_submission,
    remove_course,
    run_cli,
    summary_rows,
    tree_digest,
)

from interview_lab.instructor.cli import grade_main
from interview_lab.instructor.isolation import USER_PREFIX, live_processes, lock_dir

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not is_root(), reason="needs root: grading users, cgroups, namespaces"),
]

KERNELS = ("forked", "fresh")
FULL_SCORE = "3"
MB = 1_000_000
FOLDER_MB, TMP_MB, PROCESSES = 256, 64, 256  # sandbox.Limits' defaults
SETUID_MODE = 0o4755  # what the planted journal asks for (2541)

# Each probe starts with this: its parameters and a report() that prints REPORT=<json>.
PREAMBLE = '''import json, os, pwd
PARAMS = {params!r}
def report(**fields):
    fields["user"] = pwd.getpwuid(os.getuid()).pw_name
    print("REPORT=" + json.dumps(fields))
'''

MEMORY = '''big = bytearray(4 * 10**9)
for i in range(0, len(big), 1 << 20):
    big[i] = 1
RATIO = 20'''

DISK = '''import errno
def fill(path, limit=600 * 10**6):
    """Write 1 MB at a time until an error; keep the file (emptied) so the test can look for it."""
    written, error = 0, None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        chunk = b"x" * (1 << 20)
        while written < limit:
            written += os.write(fd, chunk)
    except OSError as failure:
        error = errno.errorcode.get(failure.errno, str(failure.errno))
    finally:
        os.ftruncate(fd, 0)
        os.close(fd)
    return {"written": written, "error": error}
report(folder=fill(os.path.join(os.getcwd(), PARAMS["name"])), tmp=fill("/tmp/" + PARAMS["name"]),
       cwd=os.getcwd())
RATIO = 20'''

FORK_BOMB = '''import subprocess
started, errors = [], set()
for _ in range(1000):
    try:
        started.append(subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    except OSError as failure:
        errors.add(type(failure).__name__)
for process in started:
    process.kill()
for process in started:
    process.wait()
report(started=len(started), errors=sorted(errors))
RATIO = 20'''

NETWORK = '''import socket
def connect(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return "connected"
    except OSError as failure:
        return type(failure).__name__
def own_server():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2) as client:
            conn, _ = server.accept()
            with conn:
                client.sendall(b"ping")
                return conn.recv(4).decode()
report(outside_loopback=connect("127.0.0.1", PARAMS["port"]),
       outside_address=connect(PARAMS["address"], PARAMS["port"]) if PARAMS["address"] else None,
       external=connect("192.0.2.1", 80), inside=own_server(),
       interfaces=[name for _, name in socket.if_nameindex()])
RATIO = 20'''

# A daemon: a new session, then a second fork; its shell names the marker (sleep is its child).
DAEMON = '''def start_daemon(marker):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setsid()
            daemon = os.fork()
            if daemon == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 600; : " + marker])
            os.write(w, str(daemon).encode())
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    daemon = int(os.read(r, 32) or b"0")
    os.close(r)
    os.kill(daemon, 0)  # it runs
    return daemon
'''

LEFTOVERS = DAEMON + '''written = {}
for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock" if os.path.isdir("/run/lock") else "/run"):
    path = os.path.join(folder, PARAMS["name"])
    try:
        with open(path, "w") as handle:
            handle.write("left behind\\n")
        written[path] = "written"
    except OSError as failure:
        written[path] = type(failure).__name__
report(written=written, daemon=start_daemon(PARAMS["marker"]))
RATIO = 20'''

SECOND_COPY = '''import errno
def attempt(path):
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        return "read"
    except OSError as failure:
        return errno.errorcode.get(failure.errno, str(failure.errno))
report(read={name: attempt(path) for name, path in PARAMS["paths"].items()},
       copy_folder_exists=os.path.exists(PARAMS["copy_folder"]))
RATIO = 20'''

KILLED = DAEMON + '''import time
start_daemon(PARAMS["marker"])
time.sleep(60)
RATIO = 20'''


def probe(code: str, **params) -> str:
    return PREAMBLE.format(params=params) + code


def _report(course: Path, student: str) -> dict:
    """What the probe printed (``{"no report": [its error outputs]}`` when it printed nothing)."""
    nb = json.loads((course / "autograded" / student / ASSIGNMENT / "tiny.ipynb").read_text())
    errors = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            if text.startswith("REPORT="):
                return json.loads(text[len("REPORT="):])
            if output.get("output_type") == "error":
                errors.append(f"{output.get('ename')}: {output.get('evalue')}")
    return {"no report": errors}


def processes_naming(text: str) -> dict[int, int]:
    """pid -> real uid of every running process whose command line contains ``text``."""
    found = {}
    needle = text.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle not in Path(f"/proc/{name}/cmdline").read_bytes():
                continue
            status = Path(f"/proc/{name}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if not fields["State"].strip().startswith("Z"):
                found[int(name)] = int(fields["Uid"].split()[0])
    return found


def grading_uids() -> set[int]:
    return {e.pw_uid for e in pwd.getpwall() if e.pw_name.startswith(f"{USER_PREFIX}-")}


def own_address() -> str | None:
    """This machine's address on the way out (not loopback), when it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 80))  # UDP: no packet is sent
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if address.startswith("127.") else address


class Listener:
    """A TCP server on the machine (all addresses), outside any sandbox; counts connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[tuple] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(peer)
            conn.close()

    def reachable(self, address: str) -> bool:
        """Whether a connection from the machine gets through (and is counted: waits for it)."""
        count = len(self.accepted)
        try:
            with socket.create_connection((address, self.port), timeout=2):
                pass
        except OSError:
            return False
        return bool(_poll(lambda: len(self.accepted) > count, 5, 0.01))

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


@contextlib.contextmanager
def planted_files():
    """As the old grader's lease folder allowed anyone to: a journal asking to make a root-owned
    file setuid, and lease-lock symlinks to it and to a path that does not exist, all owned by
    nobody. Yields (victim, missing target) or None without /run/lock; removes them after."""
    lock = Path("/run/lock")
    if not lock.is_dir():
        yield None
        return
    nobody = pwd.getpwnam("nobody")
    folder = Path(tempfile.mkdtemp(prefix="interview-lab-test-victim-"))
    victim = folder / "victim.txt"
    victim.write_text("a root-owned file\n")
    os.chmod(victim, 0o644)
    missing = folder / "made-through-a-link"
    plants = {
        lock / f"{USER_PREFIX}-traverse.json": ("file", json.dumps({str(victim): SETUID_MODE})),
        lock / f"{USER_PREFIX}-1.lock": ("link", str(victim)),
        lock / f"{USER_PREFIX}-2.lock": ("link", str(missing)),
    }
    aside: dict[Path, Path] = {}
    try:
        for path, (kind, content) in plants.items():
            if path.exists() or path.is_symlink():  # left by an earlier grader: kept, put back after
                aside[path] = path.with_name(f".{path.name}.{uuid.uuid4().hex}.kept")
                os.rename(path, aside[path])
            if kind == "file":
                path.write_text(content)
            else:
                os.symlink(content, path)
            os.lchown(path, nobody.pw_uid, nobody.pw_gid)
        yield victim, missing
    finally:
        for path in plants:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        for path, kept in aside.items():
            os.rename(kept, path)
        shutil.rmtree(folder, ignore_errors=True)


def _file_state(path: Path) -> tuple:
    info = path.lstat()
    return stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, path.read_bytes()


def _host_leftovers(name: str) -> list[str]:
    """Paths on the machine (outside any sandbox) that hold a file called ``name``."""
    candidates = [Path(folder) / name for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock")]
    candidates += Path("/tmp").glob(f"interview-lab-*/*/{name}")
    return [str(p) for p in candidates if os.path.lexists(p)]


@pytest.fixture(scope="module", params=KERNELS)
def attacked(request):
    """The course graded once with these kernels; what the probes and the machine show after."""
    kernels = request.param
    tag = uuid.uuid4().hex[:12]
    course = make_course(public=True)
    listener = Listener()
    address = own_address()
    copy = Path(f"/srv/interview-lab-test-{tag}")
    try:
        # A world-readable second copy of the solutions elsewhere on the machine.
        shutil.copytree(course / "source", copy / "source")
        for path in [copy, *copy.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        repo_source = next(p for p in sorted((REPO / "source").rglob("*")) if p.is_file())
        students = {
            "control": "RATIO = 20",
            "memory": probe(MEMORY),
            "disk": probe(DISK, name=f"interview-lab-disk-{tag}"),
            "forkbomb": probe(FORK_BOMB),
            "network": probe(NETWORK, port=listener.port, address=address),
            "leftovers": probe(LEFTOVERS, name=f"interview-lab-left-{tag}", marker=f"left-{tag}"),
            "secondcopy": probe(SECOND_COPY, copy_folder=str(copy), paths={
                "copy": str(copy / "source" / ASSIGNMENT / "tiny.ipynb"),
                "course_source": str(course / "source" / ASSIGNMENT / "tiny.ipynb"),
                "repo_source": str(repo_source),
            }),
        }
        for student, cell in students.items():
            put_submission(course, student, {"tiny.ipynb": filled_notebook(GOOD_BYTES, cell)})
        # The test's server is reachable from the machine: only the sandbox keeps kernels out.
        reachable = {"127.0.0.1": listener.reachable("127.0.0.1")}
        if address:
            reachable[address] = listener.reachable(address)
        accepted_before = len(listener.accepted)
        digests = {name: tree_digest(course / name) for name in ("submitted", "source")}
        with planted_files() as planted:
            planted_before = _file_state(planted[0]) if planted else None
            status, out, err = run_cli(grade_main, grade_args(course, "--kernels", kernels, "--timeout", "20"))
            # What is left on the machine right after the run.
            rows = summary_rows(out) if any(line.startswith("student") for line in out.splitlines()) else {}
            reports = {s: _report(course, s) for s, row in rows.items()
                       if s not in ("control", "memory") and not row[2].startswith("failed")}
            users = {r["user"] for r in reports.values() if "user" in r}
            result = {
                "kernels": kernels, "course": course, "status": status, "out": out, "err": err,
                "rows": rows, "reports": reports, "users": users, "tag": tag,
                "digests_before": digests,
                "digests_after": {name: tree_digest(course / name) for name in digests},
                "reachable_from_machine": reachable,
                "connections_from_kernels": listener.accepted[accepted_before:],
                "user_processes": {u: live_processes(pwd.getpwnam(u).pw_uid) for u in users},
                "marked_processes": processes_naming(f"left-{tag}"),
                "host_files": _host_leftovers(f"interview-lab-left-{tag}") + _host_leftovers(f"interview-lab-disk-{tag}"),
                "planted": planted,
                "planted_before": planted_before,
                "planted_after": _file_state(planted[0]) if planted else None,
                "missing_target_made": planted is not None and os.path.lexists(planted[1]),
            }
        yield result
    finally:
        listener.stop()
        shutil.rmtree(copy, ignore_errors=True)
        remove_course(course)
        for path in _host_leftovers(f"interview-lab-left-{tag}") + _host_leftovers(f"interview-lab-disk-{tag}"):
            with contextlib.suppress(OSError):
                os.unlink(path)


def _row(attacked, student):
    rows = attacked["rows"]
    assert student in rows, attacked["out"] + attacked["err"]
    return rows[student]


def test_the_run_ends_with_the_right_status_and_the_control_students_score(attacked):
    rows = attacked["rows"]
    assert rows, attacked["out"] + attacked["err"]
    failed = sorted(s for s, row in rows.items() if row[2].startswith("failed"))
    assert set(failed) <= {"memory"}, attacked["out"]
    assert attacked["status"] == (1 if failed else 0), attacked["out"] + attacked["err"]
    assert _row(attacked, "control")[:2] == (FULL_SCORE, FULL_SCORE)


def test_submitted_and_source_are_unchanged(attacked):
    assert attacked["digests_after"] == attacked["digests_before"]


def test_every_other_hostile_student_is_graded_normally(attacked):
    for student in ("disk", "forkbomb", "network", "leftovers", "secondcopy"):
        score, _, status = _row(attacked, student)
        assert status.startswith("graded") and score == FULL_SCORE, (student, status, attacked["out"])


def test_four_gigabytes_stop_at_the_memory_limit_with_a_one_line_status(attacked):
    score, _, status = _row(attacked, "memory")
    assert "\n" not in status
    if status.startswith("failed"):
        assert "memory limit" in status, status
    else:  # an allocation refused inside the kernel: a cell error, the ratio's point lost
        assert score == "2", status


def test_disk_writes_stop_at_the_folder_and_tmp_caps(attacked):
    report = attacked["reports"]["disk"]
    folder, tmp = report["folder"], report["tmp"]
    assert folder["error"] == "ENOSPC" and 200 * MB < folder["written"] <= FOLDER_MB * MB, report
    assert tmp["error"] == "ENOSPC" and 40 * MB < tmp["written"] <= TMP_MB * MB, report


def test_nothing_the_probes_wrote_reaches_the_machine(attacked):
    assert attacked["host_files"] == []


def test_a_fork_bomb_is_stopped_below_the_process_limit(attacked):
    report = attacked["reports"]["forkbomb"]
    assert 0 < report["started"] < PROCESSES, report
    assert report["errors"], report


def test_the_network_is_loopback_only_and_closed_to_the_machine(attacked):
    report = attacked["reports"]["network"]
    # The test's server answers on the machine, so only the sandbox can keep the kernel out.
    assert all(attacked["reachable_from_machine"].values()), attacked["reachable_from_machine"]
    assert report["outside_loopback"] != "connected", report
    assert report["outside_address"] != "connected", report
    assert report["external"] != "connected", report
    assert attacked["connections_from_kernels"] == []
    assert report["inside"] == "ping", report
    assert report["interfaces"] == ["lo"], report


def test_the_kernel_can_write_its_own_tmp_var_tmp_dev_shm_and_run(attacked):
    """The plan gives each of them a writable tmpfs of the kernel's own."""
    report = attacked["reports"]["leftovers"]
    assert set(report["written"].values()) == {"written"}, report


def test_files_and_daemons_left_behind_are_gone_after_the_run(attacked):
    report = attacked["reports"]["leftovers"]
    assert report["daemon"] > 0, report  # it ran, inside the kernel's PID namespace
    assert "written" in report["written"].values(), report
    assert attacked["marked_processes"] == {}
    assert attacked["users"] and all(u.startswith(f"{USER_PREFIX}-") for u in attacked["users"])
    assert attacked["user_processes"] == {u: [] for u in attacked["users"]}
    assert attacked["host_files"] == []


def test_other_copies_of_the_solutions_are_not_in_the_kernels_view(attacked):
    report = attacked["reports"]["secondcopy"]
    assert report["read"] == {"copy": "ENOENT", "course_source": "ENOENT", "repo_source": "ENOENT"}, report
    assert report["copy_folder_exists"] is False


def test_files_planted_in_the_old_lease_folder_are_never_followed(attacked):
    if attacked["planted"] is None:
        pytest.skip("no /run/lock on this machine")
    assert attacked["planted_after"] == attacked["planted_before"]
    assert not attacked["planted_after"][0] & stat.S_ISUID
    assert attacked["missing_target_made"] is False


# ----------------------------------------------------------------------------- killed grader


@contextlib.contextmanager
def lease_of(name: str, wait_s: float):
    """Hold ``name``'s lease lock (as a grading run would) so no other run uses that user
    meanwhile; yields False when another run holds it for ``wait_s`` seconds."""
    fd = os.open(lock_dir() / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    held = False
                    break
                time.sleep(0.005)
        yield held
    finally:
        os.close(fd)


def _poll(check, wait_s: float, every_s: float = 0.1):
    deadline = time.monotonic() + wait_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every_s)


@pytest.mark.parametrize("kernels", KERNELS)
def test_a_grader_killed_with_sigkill_leaves_no_kernel_or_daemon_running(kernels, tmp_path):
    tag = uuid.uuid4().hex[:12]
    marker = f"killed-{tag}"
    course = make_course()
    # The run's temporary folders (its fork server's socket, the kernels' folders) go here, so
    # whatever still names them afterwards belongs to the killed run, and they are removed.
    scratch = Path(tempfile.mkdtemp(prefix="ilk", dir="/tmp"))
    proc = None
    try:
        put_submission(course, "sleeper", {"tiny.ipynb": filled_notebook(GOOD_BYTES, probe(KILLED, marker=marker))})
        env = dict(os.environ, TMPDIR=str(scratch),
                   PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
        with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "interview_lab", "grade", ASSIGNMENT, "--course", str(course),
                 "--jobs", "1", "--timeout", "120", "--kernels", kernels],
                stdout=out, stderr=err, env=env, start_new_session=True,
            )
        daemon = _poll(lambda: processes_naming(marker) or proc.poll() is not None, 60, 0.2)
        logs = (tmp_path / "out").read_text() + (tmp_path / "err").read_text()
        assert isinstance(daemon, dict) and daemon, f"the daemon never started:\n{logs}"
        uids = set(daemon.values())
        assert len(uids) == 1 and uids <= grading_uids(), daemon
        uid = uids.pop()
        seen = live_processes(uid)  # the kernel and the daemon (this run leases the user)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # The killed run's lease ended with it: take it at once, as a grading run would, so
        # that no other run (which kills a leased user's processes first) can clear up for it.
        with lease_of(pwd.getpwuid(uid).pw_name, wait_s=15) as held:
            if not held:
                pytest.skip("another grading run leased the user first: it cleared its processes")

            def left() -> dict:
                return {"marked": processes_naming(marker), "of the run": processes_naming(str(scratch)),
                        "of the user": live_processes(uid)}

            try:
                assert _poll(lambda: not any(left().values()), 15), {"seen before": seen, **left()}
            finally:  # what outlived the run (the user is ours while leased): by process id
                for pid in {*left()["marked"], *left()["of the user"]}:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        remove_course(course)
        shutil.rmtree(scratch, ignore_errors=True)
