"""Where and as whom a submission's kernel runs (see interview_lab/instructor/isolation.py and
sandbox.py).

A probe submission reports, from inside its kernel, its working folder, user, environment,
namespaces and which course files it can read; a second student is graded beside it. Tests that
need root (creating users, dropping privileges) skip elsewhere with the reason; CI runs as root.
The hostile cases (memory, disk, processes, network, a killed grader) are in test_sandbox.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_instructor_support import (
    ASSIGNMENT,
    GOOD_BYTES,
    filled_notebook,
    grade_args,
    is_root,
    make_course,
    put_submission,
    python_kernel_spec,
    remove_course,
    run_cli,
    summary_rows,
)

from interview_lab.instructor.cli import grade_main
from interview_lab.instructor.course import Course, generate_assignment
from interview_lab.instructor.isolation import (
    DROPPER,
    KERNEL_DIED_AT_START,
    UNIX_SOCKET_PATH_MAX,
    USER_PREFIX,
    IsolatedExecute,
    ipc_prefix,
    live_processes,
)
from interview_lab.settings import data_dir

needs_root = pytest.mark.skipif(not is_root(), reason="needs root: creates grading users and drops privileges")
SECRET = "INTERVIEW_LAB_TEST_SECRET"

PROBE = '''import contextlib, json, os, pwd, subprocess
from ipykernel.connect import get_connection_info
def can_read(path):
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        return True
    except OSError:
        return False
def can_list(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return False
def own_sockets():  # (TCP ports this process listens on, paths of its Unix sockets)
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    tcp = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for line in list(handle)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                    tcp.append(int(fields[1].rsplit(":", 1)[1], 16))
    with open("/proc/self/net/unix") as handle:
        unix = [f[7] for f in (line.split() for line in list(handle)[1:]) if len(f) > 7 and f[6] in inodes]
    return tcp, unix
sleeper = subprocess.Popen(["sleep", "600"], start_new_session=True)
import pandas
tcp_listening, unix_sockets = own_sockets()
REPORT = {
    "cwd": os.getcwd(),
    "home": os.environ.get("HOME"),
    "user": pwd.getpwuid(os.getuid()).pw_name,
    "groups": os.getgroups(),
    "env": sorted(os.environ),
    "secret": os.environ.get("%(secret)s"),
    "secret_at_start": "%(secret)s" in open("/proc/self/environ", errors="replace").read(),
    "read": {name: can_read(path) for name, path in %(read)r.items()},
    "list": {name: can_list(path) for name, path in %(list)r.items()},
    "pandas": pandas.__version__,
    "sleeper": sleeper.pid,
    "connection": {k: v for k, v in get_connection_info(unpack=True).items() if k in ("transport", "ip")},
    "tcp_listening": tcp_listening,
    "iopub_pipe_port": getattr(get_ipython().kernel.iopub_thread, "_pipe_port", None),
    "unix_sockets": unix_sockets,
    "hostname": __import__("socket").gethostname(),
    "pid": os.getpid(),
    "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "root": sorted(os.listdir("/")),
}
print("REPORT=" + json.dumps(REPORT))
RATIO = 20'''


def _report(course: Path, student: str) -> dict:
    nb = json.loads((course / "autograded" / student / ASSIGNMENT / "tiny.ipynb").read_text())
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            if text.startswith("REPORT="):
                return json.loads(text[len("REPORT="):])
    raise AssertionError("the probe printed no report")


@pytest.fixture(scope="module", params=["forked", "fresh"])
def probed(request):
    """The probe graded with forked kernels and with fresh ones: the rules hold for both."""
    course = make_course(public=True)
    other = put_submission(course, "other", {"tiny.ipynb": filled_notebook(GOOD_BYTES, "RATIO = 20")})
    data_file = next(p for p in sorted(data_dir().iterdir()) if p.is_file())
    read = {
        "source": str(course / "source" / ASSIGNMENT / "tiny.ipynb"),
        "other_submission": str(other / "tiny.ipynb"),
        "config": str(course / "nbgrader_config.py"),
        "release": str(course / "release" / ASSIGNMENT / "tiny.ipynb"),
        "data": str(data_file),
        "python": os.path.realpath(sys.executable),
    }
    listing = {"course": str(course), "submitted": str(course / "submitted"), "parent": ".."}
    # The gradebook exists before the run (as after an earlier grading): it must be locked too.
    generate_assignment(Course.at(course), ASSIGNMENT, release_dir=course.parent / "scratch-release")
    read["gradebook"] = str(course / "gradebook.db")
    probe = PROBE % {"secret": SECRET, "read": read, "list": listing}
    put_submission(course, "probe", {"tiny.ipynb": filled_notebook(GOOD_BYTES, probe)})
    modes_before = {p.name: stat.S_IMODE(p.lstat().st_mode) for p in course.iterdir()}
    os.environ[SECRET] = "do-not-leak"
    try:
        status, out, err = run_cli(grade_main, grade_args(course, "--kernels", request.param))
    finally:
        del os.environ[SECRET]
    users = {_report(course, "probe")["user"]}
    yield {
        "course": course, "status": status, "out": out, "err": err, "report": _report(course, "probe"),
        "users": users,
        "modes_before": modes_before,
        "modes_after": {p.name: stat.S_IMODE(p.lstat().st_mode) for p in course.iterdir() if p.name in modes_before},
    }
    remove_course(course)


def test_both_students_are_graded(probed):
    assert probed["status"] == 0, probed["out"] + probed["err"]
    rows = summary_rows(probed["out"])
    assert rows["probe"][0] == "3" and rows["other"][0] == "3"


def test_kernel_works_in_a_sandbox_outside_the_course(probed):
    report, course = probed["report"], probed["course"]
    cwd = Path(report["cwd"])
    assert course not in cwd.parents and cwd != course
    assert report["home"] == report["cwd"]
    # Nothing of the course tree is in its view, not even the public student version.
    assert report["read"]["release"] is False


def test_kernel_gets_a_small_environment_without_the_graders_variables(probed):
    env = set(probed["report"]["env"])
    assert probed["report"]["secret"] is None
    # Nor in the environment the process started with (for a forked kernel, the fork server's).
    assert probed["report"]["secret_at_start"] is False
    assert {"PATH", "HOME", "MPLCONFIGDIR", "IPYTHONDIR"} <= env
    assert not env & {"SUDO_USER", "SSH_AUTH_SOCK", "AWS_SECRET_ACCESS_KEY", "VIRTUAL_ENV"}


def test_kernel_can_use_the_python_environment_and_the_data(probed):
    report = probed["report"]
    assert report["pandas"]
    assert report["read"]["data"] is True
    assert report["read"]["python"] is True


def test_kernel_talks_to_the_grader_over_unix_sockets_in_its_sandbox(probed):
    """No TCP port a kernel listens on could be taken by another process first (see ipc_prefix):
    its five channels are Unix sockets in the sandbox. The one TCP port it listens on is the
    IOPub thread's pipe for output from forked processes, which ipykernel binds to a port the
    operating system picks (nothing to race for)."""
    report = probed["report"]
    assert report["connection"] == {"transport": "ipc", "ip": os.path.join(report["cwd"], ".kernel")}
    assert set(report["tcp_listening"]) <= {report["iopub_pipe_port"]}
    # Each listening socket's path, and each connection accepted on it.
    ours = {p for p in report["unix_sockets"] if p.startswith(report["connection"]["ip"] + "-")}
    assert len(ours) == 5, report["unix_sockets"]


@needs_root
def test_kernel_runs_as_an_unprivileged_grading_user(probed):
    report = probed["report"]
    assert report["user"].startswith(f"{USER_PREFIX}-")
    assert 0 not in report["groups"]


@needs_root
@pytest.mark.parametrize("what", ["source", "other_submission", "gradebook", "config"])
def test_kernel_cannot_read_solutions_the_gradebook_or_other_students(probed, what):
    assert probed["report"]["read"][what] is False


@needs_root
def test_kernel_cannot_list_the_submissions_or_its_neighbours(probed):
    report = probed["report"]
    assert report["list"]["submitted"] is False
    # Its folder's parent, in its own /tmp, holds its folder and nothing else.
    assert report["list"]["parent"] in (False, [os.path.basename(report["cwd"])])


@needs_root
def test_processes_left_behind_are_killed(probed):
    pid = probed["report"]["sleeper"]
    assert not Path(f"/proc/{pid}").exists() or "sleep" not in Path(f"/proc/{pid}/cmdline").read_text()
    import pwd

    # The users this run's kernels ran as (other grading runs on the machine have their own).
    for name in probed["users"]:
        assert live_processes(pwd.getpwnam(name).pw_uid) == [], f"processes of {name} outlived grading"


def test_live_processes_are_the_users_running_processes_not_zombies_or_other_users():
    running = subprocess.Popen(["sleep", "30"])
    exited = subprocess.Popen(["true"])
    try:
        deadline = time.monotonic() + 10
        while "Z" not in Path(f"/proc/{exited.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]:
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.01)
        mine = live_processes(os.getuid())
        assert running.pid in mine and os.getpid() in mine
        assert exited.pid not in mine  # exited, not yet reaped: a zombie
        other = 0 if os.getuid() != 0 else 65534
        assert running.pid not in live_processes(other)
    finally:
        running.kill()
        running.wait()
        exited.wait()


@needs_root
def test_the_course_folders_modes_are_never_changed(probed):
    """The course is out of the kernels' view: nothing is closed or opened for a run."""
    assert probed["modes_after"] == probed["modes_before"]


def test_kernel_is_process_1_of_its_own_namespaces_with_only_its_view(probed):
    report = probed["report"]
    assert report["hostname"] == "grading"
    # Its own PID namespace: only its processes (and the sleeper it started) are there.
    assert len(report["processes"]) < 10, report["processes"]
    assert report["sleeper"] in report["processes"]
    # The root holds what the mount plan names, nothing of the machine's top level besides.
    assert set(report["root"]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "run",
                                   "sbin", "tmp", "usr", "var", *(p.split("/")[1] for p in
                                   (sys.prefix, sys.base_prefix, str(data_dir())))}, report["root"]


def test_the_launcher_never_follows_a_link_planted_for_the_connection_file(tmp_path):
    """Without the sandbox the launcher copies the connection file into the kernel's folder: as a
    new file through the folder's descriptor, so a link planted there is never written through."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dropper_under_test", DROPPER)
    dropper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dropper)
    source = tmp_path / "connection.json"
    source.write_text('{"key": "k"}')
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    folder = tmp_path / "folder"
    folder.mkdir()
    fd = os.open(source, os.O_RDONLY)
    try:
        copy = Path(dropper.copy_into(fd, str(folder)))
    finally:
        os.close(fd)
    assert copy.read_text() == '{"key": "k"}' and stat.S_IMODE(copy.stat().st_mode) == 0o444
    link = folder / "link"
    link.symlink_to(victim)
    with pytest.raises(OSError):
        os.open(link, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
    assert victim.read_text() == "untouched"


@pytest.mark.skipif(is_root(), reason="as root, kernels always run as a grading user")
def test_without_root_the_kernel_still_runs_in_a_sandbox_outside_the_course():
    """The mode used when grading as a normal user: no user switch, the sandbox only."""
    from interview_lab.instructor.parallel import GradingRun

    course = make_course()
    try:
        probe = 'import os\nprint("REPORT=" + __import__("json").dumps({"cwd": os.getcwd(), "home": os.environ["HOME"]}))\nRATIO = 20'
        put_submission(course, "solo", {"tiny.ipynb": filled_notebook(GOOD_BYTES, probe)})
        outcomes = GradingRun(Course.at(course), ASSIGNMENT, ["solo"], 1, None, cell_timeout_s=10).run()
        assert outcomes["solo"].graded and outcomes["solo"].score == 3.0
        report = _report(course, "solo")
        cwd = Path(report["cwd"])
        assert course not in cwd.parents and report["home"] == report["cwd"]
        assert not cwd.exists()  # the sandbox is removed after grading
    finally:
        remove_course(course)


@needs_root
def test_sigterm_mid_run_still_kills_kernels():
    import signal
    import time

    import psutil

    course = make_course(public=True)
    try:
        put_submission(course, "looper", {"tiny.ipynb": filled_notebook(GOOD_BYTES, "while True:\n    pass")})
        generate_assignment(Course.at(course), ASSIGNMENT, release_dir=course.parent / "scratch-release")
        env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
        proc = subprocess.Popen(
            [sys.executable, "-m", "interview_lab", "grade", ASSIGNMENT, "--course", str(course), "--jobs", "1",
             "--timeout", "120"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )

        def kernels() -> list[psutil.Process]:
            """This run's processes that run as a grading user (its kernel), not other runs'."""
            graders = set(pwd_users())
            found = []
            for child in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if child.uids().real in graders:
                        found.append(child)
            return found

        deadline = time.monotonic() + 120
        busy: list[psutil.Process] = []
        while time.monotonic() < deadline and not busy:  # wait until the looping kernel runs
            busy = kernels()
            time.sleep(0.5)
        assert busy, "no kernel started"
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 128 + signal.SIGTERM, out + err
        alive = [k.pid for k in busy if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], "the run's kernels outlived it"
    finally:
        remove_course(course)


def pwd_users() -> list[int]:
    import pwd

    return [e.pw_uid for e in pwd.getpwall() if e.pw_name.startswith(f"{USER_PREFIX}-")]


FLAKY_LAUNCHER = """\
import os, sys
count, exits = sys.argv[1], int(sys.argv[2])
started = len(open(count).read()) if os.path.exists(count) else 0
with open(count, "a") as handle:
    handle.write("x")
if started < exits:
    sys.exit(1)  # gone before answering, as when another process took one of its ports
from ipykernel import kernelapp
kernelapp.launch_new_instance(argv=sys.argv[3:])
"""


def _run_with_kernel_that_exits(tmp_path, monkeypatch, exits: int):
    import nbformat

    count = tmp_path / "starts"
    python_kernel_spec(tmp_path / "jupyter", "flaky", FLAKY_LAUNCHER, str(count), str(exits))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    for folder in ("sandbox", "private", "notebook"):
        (tmp_path / folder).mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("6 * 7")])
    # Without namespaces: the flaky kernel's launcher lies in a test folder out of the sandbox's view.
    execute = IsolatedExecute(kernel_name="flaky", sandbox=str(tmp_path / "sandbox"),
                              private_dir=str(tmp_path / "private"), timeout=30, namespaces=False)
    execute.preprocess(nb, {"metadata": {"path": str(tmp_path / "notebook")}})
    return nb, len(count.read_text())


def test_a_kernel_that_exits_before_it_answers_is_started_once_more(tmp_path, monkeypatch):
    nb, starts = _run_with_kernel_that_exits(tmp_path, monkeypatch, exits=1)
    assert starts == 2
    assert nb.cells[0].outputs[0]["data"]["text/plain"] == "42"


def test_a_kernel_that_never_answers_fails_after_the_second_start(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match=KERNEL_DIED_AT_START):
        _run_with_kernel_that_exits(tmp_path, monkeypatch, exits=5)
    assert len((tmp_path / "starts").read_text()) == 2


def _manager_for(sandbox: Path, **options):
    import nbformat

    options.setdefault("namespaces", False)
    execute = IsolatedExecute(sandbox=str(sandbox), private_dir=str(sandbox.parent), **options)
    execute.nb = nbformat.v4.new_notebook()
    return execute.create_kernel_manager()


def test_kernel_sockets_go_in_the_sandbox_unless_the_path_is_too_long_for_a_unix_socket(tmp_path):
    short = tmp_path / "s"
    short.mkdir()
    km = _manager_for(short)
    assert (km.transport, km.ip, km.cache_ports) == ("ipc", str(short / ".kernel"), False)
    # jupyter_client names the sockets <ip>-1 ... <ip>-5, next to nothing else in the sandbox.
    km.write_connection_file()
    info = json.loads(Path(km.connection_file).read_text())
    assert {info[f"{c}_port"] for c in ("shell", "iopub", "stdin", "control", "hb")} == {1, 2, 3, 4, 5}

    # A sandbox whose socket paths would not fit in sun_path: TCP on 127.0.0.1, as jupyter_client
    # does by default.
    deep = tmp_path / ("d" * (UNIX_SOCKET_PATH_MAX - len(str(tmp_path)) - len("/.kernel-99")))
    deep.mkdir()
    assert ipc_prefix(str(deep)) is None
    assert ipc_prefix(str(deep)[:-1]) == str(deep)[:-1] + "/.kernel"
    km = _manager_for(deep)
    assert km.transport == "tcp" and km.ip == "127.0.0.1"

    # Configured for TCP.
    km = _manager_for(short, transport="tcp")
    assert km.transport == "tcp" and km.ip == "127.0.0.1"

    # In the sandbox the grader reaches a kernel only through its folder: no TCP fallback.
    with pytest.raises(RuntimeError, match="too long a path for Unix sockets"):
        _manager_for(deep, namespaces=True, run_as={"name": "x", "uid": 1, "gid": 1})
    with pytest.raises(RuntimeError, match="network namespace"):
        _manager_for(short, namespaces=True, transport="tcp", run_as={"name": "x", "uid": 1, "gid": 1})


@pytest.mark.parametrize("kernels", ["forked", "fresh"])
def test_tcp_kernels_are_refused_in_the_sandbox_and_work_without_it(kernels):
    """A kernel's network namespace has only its own loopback: TCP ports cannot reach the grader."""
    course = make_course(extra_config='c.IsolatedExecute.transport = "tcp"')
    try:
        cell = ("from ipykernel.connect import get_connection_info\n"
                "print('TRANSPORT=' + get_connection_info(unpack=True)['transport'])\n"
                "RATIO = 20")
        put_submission(course, "student", {"tiny.ipynb": filled_notebook(GOOD_BYTES, cell)})
        status, out, err = run_cli(grade_main, grade_args(course, "--kernels", kernels))
        assert status == 2 and "network namespace" in err and len(err.strip().splitlines()) == 1, out + err
        status, out, err = run_cli(grade_main, grade_args(course, "--kernels", kernels, "--no-sandbox"))
        assert "not defended" in err or "--no-sandbox" in err
        if status == 2:  # as root with the environment where grading users cannot reach it
            assert is_root() and "cannot reach" in err.splitlines()[-1], out + err
            return
        assert status == 0, out + err
        graded = (course / "autograded" / "student" / ASSIGNMENT / "tiny.ipynb").read_text()
        assert "TRANSPORT=tcp" in graded
    finally:
        remove_course(course)


def test_filling_a_folder_never_writes_through_a_link_an_earlier_kernel_left(tmp_path):
    """An assignment with several notebooks runs several kernels in one folder: what the first
    left there (links to files or folders elsewhere) must not steer root's copies for the next."""
    from interview_lab.instructor.isolation import SandboxSpec, fill_sandbox

    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "second.ipynb").write_text("notebook")
    (source / "sub" / "data.csv").write_text("a,b")
    (source / "new.txt").write_text("new")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_text("untouched")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "second.ipynb").symlink_to(victim)
    (folder / "sub").symlink_to(outside)
    fill_sandbox(folder, source, SandboxSpec(str(folder), None, str(tmp_path)))
    assert victim.read_text() == "untouched"
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert (folder / "new.txt").read_text() == "new"
    assert (folder / "second.ipynb").is_symlink()  # left as it was, not replaced or followed


@needs_root
def test_a_killed_runs_empty_cgroups_are_removed_once_old_and_others_kept():
    from interview_lab.instructor import sandbox

    controllers = sandbox.cgroup_controllers()
    if not controllers:
        pytest.skip("no memory and pids cgroup controllers on this machine")
    old = sandbox.SubmissionCgroup(controllers, sandbox.Limits())
    new = sandbox.SubmissionCgroup(controllers, sandbox.Limits())
    try:
        long_ago = time.time() - sandbox.STALE_CGROUP_S - 60
        for folder in old.folders:
            os.utime(folder, (long_ago, long_ago))
        sandbox.remove_stale_cgroups()
        assert not any(folder.exists() for folder in old.folders)
        assert all(folder.exists() for folder in new.folders)  # maybe another run's, just made
    finally:
        old.remove()
        new.remove()
