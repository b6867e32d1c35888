"""Forked grading kernels (interview_lab/instructor/forked.py and _forkserver.py).

One class is graded with ``--jobs 1`` so that every student's kernel is forked, one after the
other, from the same fork server: a polluter changes everything a kernel can change in
itself, a killer kills its own kernel mid-cell, a looper runs into the cell timeout, and probe
students graded after each of them report, from inside their kernels, what they see. The
fork server itself is also driven directly: who may talk to it, its threads, its socket, its
life. When run as root (as in CI) the kernels also drop to the grading users.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_instructor_support import (
    ASSIGNMENT,
    GOOD_BYTES,
    WRONG_BYTES,
    filled_notebook,
    is_root,
    make_course,
    put_submission,
    python_kernel_spec,
    remove_course,
)

from interview_lab.instructor.course import Course
from interview_lab.instructor.forked import (
    FORK_SERVER,
    ForkServer,
    ForkServerError,
    ForkServerUnavailable,
    call_sync,
    checked_preload,
    default_mode,
    default_preload,
    kernel_options,
    notebook_imports,
)
from interview_lab.instructor.isolation import leased_users
from interview_lab.instructor.parallel import GradingRun

REPO = Path(__file__).resolve().parents[2]
PRELOAD = ["numpy", "pandas"]
# Long enough for an honest cell of the tiny assignment on a busy machine (the plotter's first
# import of matplotlib builds its font cache: about a second alone, over five on a loaded CI
# machine), short enough that the looper costs seconds.
TIMEOUT_S = 15

# What a probe reports from inside its kernel, before defining a correct answer.
PROBE = '''import builtins, json, linecache, os, random, sys, threading
import numpy, pandas
PROBE = {
    "pid": os.getpid(),
    "pid_namespace": os.readlink("/proc/self/ns/pid"),
    "started": int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]),  # clock ticks since boot
    "cwd": os.getcwd(),
    "builtins_left_behind": hasattr(builtins, "LEFT_BEHIND"),
    "pandas_sum": getattr(pandas.DataFrame.sum, "__module__", "?"),
    "json_indent": json._default_encoder.indent,
    "linecache_entry": "polluted.py" in linecache.cache,
    "sys_modules_entry": "polluted_module" in sys.modules,
    "threads": sorted(t.name for t in threading.enumerate()),
    "random": random.random(),
    "numpy_random": float(numpy.random.random()),
    "course_package": sorted(m for m in sys.modules if m.split(".")[0] == "interview_lab"),
    "frozen_objects": __import__("gc").get_freeze_count(),
    "history_file": str(get_ipython().history_manager.hist_file),
}
print("PROBE=" + json.dumps(PROBE))
''' + GOOD_BYTES

# Changes everything it can in its own kernel: globals, a preloaded library, module-level
# caches and objects, the working folder, a thread that never ends; seeds the generators.
POLLUTER = '''import builtins, json, linecache, os, random, sys, threading, time, types
import numpy, pandas
builtins.LEFT_BEHIND = "polluted"
pandas.DataFrame.sum = lambda self, *args, **kwargs: "patched"
json._default_encoder.indent = 7
linecache.cache["polluted.py"] = (1, None, ["x = 1\\n"], "polluted.py")
sys.modules["polluted_module"] = types.ModuleType("polluted_module")
random.seed(0)
numpy.random.seed(0)
threading.Thread(target=time.sleep, args=(3600,), name="left-running", daemon=False).start()
os.chdir("/")
print("POLLUTED=" + json.JSONEncoder().encode({"pandas_sum": pandas.DataFrame({"a": [1]}).sum(), "cwd": os.getcwd(),
                                 "threads": sorted(t.name for t in threading.enumerate())}))
''' + GOOD_BYTES

# Draws a plot, as a fresh kernel would show it: inline, as a PNG.
PLOTTER = '''import json, os
import matplotlib
import matplotlib.pyplot as plt
plt.plot([1, 2, 4])
plt.show()
print("PLOT=" + json.dumps({"configdir": matplotlib.get_configdir(), "home": os.environ["HOME"]}))
''' + GOOD_BYTES

KILLER = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + GOOD_BYTES
LOOPER = "while True:\n    pass"


def _printed(course: Path, student: str, prefix: str) -> dict:
    nb = json.loads((course / "autograded" / student / ASSIGNMENT / "tiny.ipynb").read_text())
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            for line in text.splitlines():
                if line.startswith(prefix):
                    return json.loads(line[len(prefix):])
    raise AssertionError(f"{student} printed no {prefix!r} line")


@contextlib.contextmanager
def grading_run(course: Path, students: list[str], **options):
    """A GradingRun of the tiny assignment, one submission at a time, set up as the grade
    command sets it up (as root: a leased grading user)."""
    run = GradingRun(Course.at(course), ASSIGNMENT, students, 1, None, cell_timeout_s=TIMEOUT_S,
                     kernels="forked", preload=PRELOAD, **options)
    run.prepare()
    with contextlib.ExitStack() as stack:
        if is_root():
            run.users = stack.enter_context(leased_users(1))
        yield run


ORDER = ["a-polluter", "b-probe", "c-killer", "d-probe", "e-looper", "f-probe", "g-wrong", "h-plotter"]


@pytest.fixture(scope="module")
def forked_class():
    course = make_course()
    answers = {
        "a-polluter": (POLLUTER, "RATIO = 20"),
        "b-probe": (PROBE, "RATIO = 20"),
        "c-killer": (KILLER, "RATIO = 20"),
        "d-probe": (PROBE, "RATIO = 20"),
        "e-looper": (GOOD_BYTES, LOOPER),
        "f-probe": (PROBE, "RATIO = 20"),
        "g-wrong": (WRONG_BYTES, "RATIO = 20"),
        "h-plotter": (PLOTTER, "RATIO = 20"),
    }
    for student, (bytes_src, ratio_src) in answers.items():
        put_submission(course, student, {"tiny.ipynb": filled_notebook(bytes_src, ratio_src)})
    seen_servers = []
    with grading_run(course, ORDER) as run:
        run.on_result = lambda _outcome: seen_servers.append(
            run.fork_server.facts["pid"] if run.fork_server is not None else None)
        outcomes = run.run()
    yield {"course": course, "outcomes": outcomes, "messages": run.messages, "servers": seen_servers,
           "frozen_after": gc.get_freeze_count()}
    remove_course(course)


def test_students_are_graded_in_order_by_one_fork_server(forked_class):
    servers = forked_class["servers"]
    assert len(servers) == len(ORDER) and len(set(servers)) == 1 and servers[0] is not None
    assert not [m for m in forked_class["messages"] if "warning" in m], forked_class["messages"]
    assert forked_class["frozen_after"] == 0  # what the run froze for its workers is thawed


def test_the_polluter_really_changed_its_own_kernel(forked_class):
    polluted = _printed(forked_class["course"], "a-polluter", "POLLUTED=")
    assert polluted["pandas_sum"] == "patched" and polluted["cwd"] == "/"
    assert "left-running" in polluted["threads"]
    assert forked_class["outcomes"]["a-polluter"].score == 3.0


@pytest.mark.parametrize("probe", ["b-probe", "d-probe", "f-probe"])
def test_nothing_a_kernel_did_reaches_the_next_student(forked_class, probe):
    report = _printed(forked_class["course"], probe, "PROBE=")
    assert report["builtins_left_behind"] is False
    assert report["pandas_sum"] == "pandas.core.frame"
    assert report["json_indent"] is None
    assert report["linecache_entry"] is False and report["sys_modules_entry"] is False
    assert "left-running" not in report["threads"]
    assert report["cwd"] != "/" and Path(report["cwd"]).name != ""
    assert report["course_package"] == []  # the fork server never imports the course's package
    assert forked_class["outcomes"][probe].score == 3.0


def test_each_student_gets_a_new_process_and_folder(forked_class):
    reports = [_printed(forked_class["course"], p, "PROBE=") for p in ("b-probe", "d-probe", "f-probe")]
    # A process of its own, started at its own time (as root, in a PID namespace of its own, where
    # it is the child of that namespace's process 1; a namespace's number may be reused once the
    # one before it is gone, so the numbers alone tell nothing).
    assert len({(r["pid_namespace"], r["pid"], r["started"]) for r in reports}) == 3
    if is_root():
        assert {r["pid"] for r in reports} == {2}
    assert len({r["cwd"] for r in reports}) == 3
    # The probes are children of a fork server that froze its preloaded heap for the children.
    assert all(r["frozen_objects"] > 0 for r in reports)


def test_random_numbers_differ_between_children(forked_class):
    import random

    import numpy

    reports = [_printed(forked_class["course"], p, "PROBE=") for p in ("b-probe", "d-probe", "f-probe")]
    assert len({r["random"] for r in reports}) == 3
    assert len({r["numpy_random"] for r in reports}) == 3
    random.seed(0)
    seeded = random.random()
    assert seeded not in {r["random"] for r in reports}  # the polluter's seed did not carry over
    assert numpy.random.RandomState(0).random() not in {r["numpy_random"] for r in reports}


def test_a_forked_kernel_draws_plots_inline_with_its_own_matplotlib_folder(forked_class):
    course = forked_class["course"]
    plotter = forked_class["outcomes"]["h-plotter"]
    assert plotter.graded and not plotter.notes, plotter  # e.g. no "cell timeout in bytes"
    plot = _printed(course, "h-plotter", "PLOT=")
    assert plot["configdir"].startswith(plot["home"])  # the kernel's sandbox, not the server's
    nb = json.loads((course / "autograded" / "h-plotter" / ASSIGNMENT / "tiny.ipynb").read_text())
    shown = [o for cell in nb["cells"] for o in cell.get("outputs", []) if o["output_type"] == "display_data"]
    assert len(shown) == 1 and "image/png" in shown[0]["data"]
    assert forked_class["outcomes"]["h-plotter"].score == 3.0


def test_a_kernel_killed_mid_cell_fails_that_student_only(forked_class):
    killed = forked_class["outcomes"]["c-killer"]
    assert not killed.graded and "kernel died" in killed.reason
    assert forked_class["outcomes"]["d-probe"].graded


def test_a_cell_timeout_interrupts_the_forked_kernel(forked_class):
    looper = forked_class["outcomes"]["e-looper"]
    assert looper.graded and looper.score == 2.0, looper
    assert any("cell timeout in ratio" in note for note in looper.notes), looper.notes
    assert forked_class["outcomes"]["f-probe"].graded


def test_forked_kernels_are_started_with_the_options_fresh_ones_get(forked_class):
    # nbclient starts every IPython kernel with its input history in memory, not in a file
    # written by a thread after each cell: the forked kernel spec gets the same options.
    for probe in ("b-probe", "d-probe", "f-probe"):
        assert _printed(forked_class["course"], probe, "PROBE=")["history_file"] == ":memory:"


def _errors(course: Path, student: str) -> list[dict]:
    nb = json.loads((course / "autograded" / student / ASSIGNMENT / "tiny.ipynb").read_text())
    return [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_a_failing_test_shows_the_traceback_a_fresh_kernel_shows(forked_class):
    # The fork server formats one traceback before it forks (so that kernels skip the set-up
    # a first traceback costs): what a student sees in feedback must not change.
    forked_errors = _errors(forked_class["course"], "g-wrong")
    assert forked_errors and forked_errors[0]["ename"] == "AssertionError"
    course = make_course()
    try:
        put_submission(course, "g-wrong", {"tiny.ipynb": filled_notebook(WRONG_BYTES, "RATIO = 20")})
        with grading_run(course, ["g-wrong"]) as run:
            run.kernels = "fresh"
            outcomes = run.run()
        assert outcomes["g-wrong"].score == forked_class["outcomes"]["g-wrong"].score
        assert _errors(course, "g-wrong") == forked_errors
    finally:
        remove_course(course)


def test_the_fork_server_dying_mid_run_falls_back_to_fresh_kernels():
    course = make_course()
    students = ["a-first", "b-second", "c-third"]
    try:
        for student in students:
            put_submission(course, student, {"tiny.ipynb": filled_notebook(GOOD_BYTES, "RATIO = 20")})
        with grading_run(course, students) as run:
            def kill_server(outcome):
                if outcome.student == "a-first":
                    run.fork_server.process.kill()
                    run.fork_server.process.wait()

            run.on_result = kill_server
            outcomes = run.run()
        assert all(outcomes[s].graded and outcomes[s].score == 3.0 for s in students), outcomes
        warnings = [m for m in run.messages if m.startswith("warning:")]
        assert len(warnings) == 1 and "fresh kernels" in warnings[0], run.messages
        assert run.kernels == "fresh"
    finally:
        remove_course(course)


def test_a_fork_server_that_cannot_start_falls_back_with_a_warning():
    course = make_course()
    try:
        put_submission(course, "solo", {"tiny.ipynb": filled_notebook(GOOD_BYTES, "RATIO = 20")})
        with grading_run(course, ["solo"]) as run:
            run.preload = ["interview_lab.capacity"]  # refused: the course's own package
            outcomes = run.run()
        assert outcomes["solo"].graded and outcomes["solo"].score == 3.0
        assert any("did not start" in m and "fresh kernels" in m for m in run.messages), run.messages
    finally:
        remove_course(course)


# ----------------------------------------------------------------- the fork server itself


@pytest.fixture(scope="module")
def server():
    with ForkServer(["numpy"]) as started:
        yield started


def test_the_server_preloads_and_forks_from_a_single_thread(server):
    facts = server.request({"op": "ping"})
    assert facts["threads"] == 1
    assert "numpy" in facts["preloaded"] and "ipykernel.kernelapp" in facts["preloaded"]
    assert "numpy.random" in facts["preloaded"]  # every child reseeds it: imported once, here
    assert facts["failed"] == {}
    assert server.facts["warmed_up"] is True  # it formatted its warm-up traceback
    assert server.facts["transforms_once"] is True  # kernels transform each cell once
    assert server.facts["tracebacks_once"] is True  # and format each traceback once
    assert server.facts["flushes_when_needed"] is True  # and skip flushes with nothing to do
    assert server.facts["cells_hashed_faster"] is True  # and hash each cell's text faster


def _server_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("forkserver_under_test", FORK_SERVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Shell:
    """Stands for ipykernel's shell: ``transform_cell`` records what it was asked."""

    def __init__(self):
        self.parent_header = None
        self.asked = []

    def transform_cell(self, raw_cell):
        self.asked.append(raw_cell)
        return f"transformed({raw_cell}) #{len(self.asked)}"


class _Formatter:
    """Stands for IPython's traceback formatter: records what it was asked to format."""

    def __init__(self, tb_offset=1):
        self.tb_offset = tb_offset
        self.tb = None
        self.asked = []

    def structured_traceback(self, etype, evalue=None, etb=None, tb_offset=None, context=5):
        self.tb = etb
        self.asked.append((evalue, tb_offset))
        return [f"{etype.__name__}: {evalue} (offset {self.tb_offset if tb_offset is None else tb_offset})"]


def _raised(exception):
    try:
        raise exception
    except Exception as caught:  # noqa: BLE001 - the test's own exception
        return type(caught), caught, caught.__traceback__


def test_a_kernel_formats_a_traceback_once_for_display_and_history():
    formatter_class = type("Formatter", (_Formatter,), {})
    assert _server_module().format_each_traceback_once(formatter_class) is True
    assert _server_module().format_each_traceback_once(formatter_class) is False
    formatter = formatter_class()
    failed = _raised(AssertionError("expected 2"))

    # Shown (offset from the formatter), then kept in the history (the same offset, given).
    shown = formatter.structured_traceback(*failed)
    kept = formatter.structured_traceback(*failed, tb_offset=1)
    assert kept == shown == ["AssertionError: expected 2 (offset 1)"] and kept is not shown
    assert len(formatter.asked) == 1 and formatter.tb is failed[2]
    formatter.structured_traceback(*failed, tb_offset=1)  # a third time: formatted again
    assert len(formatter.asked) == 2

    # Another offset, context, exception or formatter than the call before: formatted again.
    assert formatter.structured_traceback(*failed, tb_offset=0) == ["AssertionError: expected 2 (offset 0)"]
    formatter.structured_traceback(*failed, context=3)
    other = _raised(ValueError("other"))
    formatter.structured_traceback(*other)
    second = formatter_class()
    second.structured_traceback(*other)
    formatter.structured_traceback(*other)
    assert len(formatter.asked) == 2 + 4 and len(second.asked) == 1


def test_a_kernel_transforms_a_cell_once_per_request():
    shell_class = type("Shell", (_Shell,), {})
    assert _server_module().transform_each_cell_once(shell_class) is True
    assert _server_module().transform_each_cell_once(shell_class) is False  # not wrapped twice
    shell = shell_class()

    # An ordinary cell: ipykernel's call, then IPython's with the same text and request.
    shell.parent_header = first = {"msg_id": "1"}
    assert shell.transform_cell("x = 1") == "transformed(x = 1) #1"
    assert shell.transform_cell("x = 1") == "transformed(x = 1) #1"
    assert shell.asked == ["x = 1"]
    assert shell.transform_cell("x = 1") == "transformed(x = 1) #2"  # a result is reused once

    # A coroutine cell is transformed once only; the next request with the same text (say the
    # cell changed IPython's transformers) is transformed again, not given the kept result.
    shell.parent_header = {"msg_id": "2"}
    shell.transform_cell("await x")
    shell.parent_header = {"msg_id": "3"}
    assert shell.transform_cell("await x") == "transformed(await x) #4"

    # Other text in the same request, or no request at all: transformed each time.
    assert shell.transform_cell("y = 2") == "transformed(y = 2) #5"
    shell.parent_header = first
    assert shell.transform_cell("x = 1") == "transformed(x = 1) #6"
    shell.parent_header = None
    shell.transform_cell("z")
    shell.transform_cell("z")
    assert shell.asked[-2:] == ["z", "z"]


def test_a_kernel_flushes_only_when_there_is_something_to_send_or_wait_for():
    import io

    import zmq
    from ipykernel.iostream import IOPubThread, OutStream
    from jupyter_client.session import Session

    stream_class = type("Stream", (OutStream,), {})
    assert _server_module().flush_only_when_needed(stream_class) is True
    assert _server_module().flush_only_when_needed(stream_class) is False  # not wrapped twice
    context = zmq.Context()
    publisher, listener = context.socket(zmq.PUB), context.socket(zmq.SUB)
    publisher.bind("inproc://flush-test")
    listener.connect("inproc://flush-test")
    listener.setsockopt(zmq.SUBSCRIBE, b"")
    session = Session(key=b"")
    pub = IOPubThread(publisher)
    pub.start()
    scheduled = []
    schedule = pub.schedule
    pub.schedule = lambda f: (scheduled.append(f), schedule(f))
    stream = stream_class(session, pub, "stdout", watchfd=False)

    def received():
        texts = []
        while listener.poll(1000):
            message = session.deserialize(session.feed_identities(listener.recv_multipart())[1])
            texts.append(message["content"]["text"])
            if not listener.poll(50):
                break
        return texts

    try:
        time.sleep(0.2)  # let the subscription reach the publisher
        stream.flush()  # nothing written, nothing queued: no hand-off to the IOPub thread
        assert scheduled == []

        stream.write("hello\n")  # text to send: flushed, sent and waited for, as before
        stream.flush()
        assert len(scheduled) >= 2 and received() == ["hello\n"]

        # Something queued before the flush: the flush waits until the IOPub thread has run it.
        done = []
        pub._events.append(lambda: (time.sleep(0.1), done.append(True)))
        before = len(scheduled)
        stream.flush()
        assert done == [True] and len(scheduled) == before + 2

        stream.echo = io.StringIO()  # an echo stream to flush too: flushed as before
        before = len(scheduled)
        stream.flush()
        assert len(scheduled) == before + 2
    finally:
        pub.stop()
        pub.close()
        listener.close(linger=0)
        context.term()


# Cells whose outputs the kernel shortcuts could change if they were wrong: warnings printed at
# compile time, stderr, output from another thread after the cell's own, errors of each kind,
# top-level await, a shell cell, a cell run twice.
TRICKY_CELLS = [
    "x = 1 is 1\nx",
    "print('out'); import sys; print('err', file=sys.stderr)",
    "import threading, time\n"
    "threading.Thread(target=lambda: (time.sleep(0.05), print('late'))).start()\n"
    "time.sleep(1.0)\n'done'",
    "import asyncio\nawait asyncio.sleep(0.01)\n'awaited'",
    "assert 1 == 2, 'nope'",
    "def broken(:\n    pass",
    "%%bash\necho hi\nexit 3",
    "import warnings; warnings.warn('careful')",
    "for i in range(3): print(i, flush=True)",
    "1/0",
    "x = 1 is 1\nx",
    "async def gen():\n    yield 'from an async for'\nasync for value in gen():\n    print(value)",
    "\uff58 = '\u00e9\u2014\U0001f600'\nprint(x, len(\uff58))",
    "import inspect\ninspect.currentframe().f_code.co_filename",
    "def fails(n):\n    return 10 // n\n\nfails(0)",
]


def _outputs(kernel_name: str) -> list[str]:
    import re

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in TRICKY_CELLS])
    NotebookClient(nb, kernel_name=kernel_name, timeout=30, allow_errors=True,
                   extra_arguments=["--HistoryManager.hist_file=:memory:"]).execute()
    # The kernel's process id is part of its cell file names; nothing else may differ.
    return [re.sub(r"ipykernel_\d+", "ipykernel_N", json.dumps(cell.outputs, sort_keys=True)) for cell in nb.cells]


def test_a_kernel_with_the_servers_shortcuts_shows_what_a_plain_kernel_shows(tmp_path, monkeypatch):
    launch = "import sys\nfrom ipykernel import kernelapp\nkernelapp.launch_new_instance(argv=sys.argv[1:])\n"
    shortcuts = textwrap.dedent(f"""\
        import importlib, importlib.util
        spec = importlib.util.spec_from_file_location("forkserver", {str(FORK_SERVER)!r})
        server = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(server)
        for name in server.KERNEL_MODULES:
            importlib.import_module(name)
        installed = server.compute_once_in_kernels()
        assert all(installed.values()), installed
    """)
    python_kernel_spec(tmp_path, "test-plain", launch)
    python_kernel_spec(tmp_path, "test-shortcuts", shortcuts + launch)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    plain = _outputs("test-plain")
    shortcuts = _outputs("test-shortcuts")
    assert "SyntaxWarning" in plain[0] and "late" in plain[2] and "ZeroDivisionError" in plain[9]
    assert "from an async for" in plain[11] and "ipykernel_N/" in plain[13] and ".py" in plain[13]
    for cell, (expected, got) in enumerate(zip(plain, shortcuts, strict=True)):
        assert got == expected, f"cell {cell}: {TRICKY_CELLS[cell]!r}"


def test_the_servers_cell_hash_agrees_with_ipykernels_own():
    import random

    from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86

    server = _server_module()
    chosen = random.Random(8)
    letters = "ab z\n\t'\"\\\x00\x7f\u00e9\u2014\u20ac\U0001f600"
    texts = ["", "a", "ab", "abc", "abcd", "abcde", *TRICKY_CELLS]
    texts += ["".join(chosen.choice(letters) for _ in range(chosen.randrange(60))) for _ in range(2000)]
    for text in texts:
        for seed in (get_tmp_hash_seed(), 0, 0xFFFFFFFF):
            assert server.murmur2_x86(text, seed) == murmur2_x86(text, seed), (text, seed)


def test_a_launched_server_is_waited_for_separately():
    launched = ForkServer([]).launch()
    try:
        assert launched.process is not None and not launched.ready
        assert launched.wait_ready() is launched and launched.ready
        assert launched.request({"op": "ping"})["ok"]
    finally:
        launched.stop()
    assert not launched.alive() and not launched.folder.exists()


def test_a_kernel_keeps_the_options_after_its_connection_file():
    assert kernel_options(["python", "-m", "ipykernel_launcher", "-f", "/c.json", "--A.b=1"]) == ["--A.b=1"]
    assert kernel_options(["python", "-m", "ipykernel_launcher", "-f", "/c.json"]) == []
    assert kernel_options(["python", "kernel.py"]) == []


def test_spawn_arguments_must_be_strings(server):
    with pytest.raises(ForkServerError, match="args must be a list of strings"):
        server.request({"op": "spawn", "connection": {}, "cwd": "/", "env": {}, "user": None,
                        "args": ["--ok", 5]})


def test_only_its_user_can_open_the_socket(server):
    assert stat.S_IMODE(os.stat(server.socket_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(server.folder).st_mode) == 0o700


def _ping_from(command_prefix: list[str], server) -> subprocess.CompletedProcess:
    code = ("import sys\nfrom interview_lab.instructor.forked import call_sync, ForkServerUnavailable\n"
            "try:\n    call_sync(sys.argv[1], {'op': 'ping'}, 10)\n    print('answered')\n"
            "except ForkServerUnavailable as e:\n    print('refused', e)\n")
    return subprocess.run([*command_prefix, sys.executable, "-c", code, server.socket_path],
                          capture_output=True, text=True, timeout=60)


def test_it_answers_the_grading_run_and_its_workers(server):
    assert server.request({"op": "ping"})["ok"]
    assert _ping_from([], server).stdout.startswith("answered")  # a direct child, as a worker


def test_it_ignores_processes_that_are_not_the_run_or_its_workers(server):
    # A grandchild of the run stands for a kernel (a child of the fork server) or anything a
    # submission starts: even as the same user it gets no answer.
    result = _ping_from(["sh", "-c", 'exec "$@"; exit 1', "sh", "env"], server)
    assert result.stdout.startswith("answered")  # exec keeps it a direct child: the control
    result = _ping_from(["sh", "-c", '"$@"; exit 0', "sh"], server)
    assert result.stdout.startswith("refused"), result.stdout + result.stderr


def test_requests_it_must_refuse(server):
    with pytest.raises(ForkServerError, match="not started by this server"):
        server.request({"op": "poll", "pid": os.getpid()})
    with pytest.raises(ForkServerError, match="unknown request"):
        server.request({"op": "exec", "pid": 0})
    with pytest.raises(ForkServerError, match="unprivileged user" if is_root() else "change user"):
        server.request({"op": "spawn", "connection": {}, "cwd": "/", "env": {},
                        "user": None if is_root() else [65534, 65534]})


def test_it_exits_with_its_owner():
    script = textwrap.dedent("""
        import os, sys
        from interview_lab.instructor.forked import ForkServer
        server = ForkServer([]).start()
        print(server.facts["pid"], server.socket_path, flush=True)
        os._exit(0)  # no clean-up: the server must notice on its own
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    pid_text, socket_path = result.stdout.split()
    pid = int(pid_text)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid), "the fork server outlived its owner"
    with pytest.raises(ForkServerUnavailable):
        call_sync(socket_path, {"op": "ping"}, 5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_it_stops_on_sigterm_and_removes_its_socket():
    with ForkServer([]) as started:
        path = started.socket_path
        started.process.send_signal(signal.SIGTERM)
        assert started.process.wait(20) == 0
        assert not os.path.exists(path)


def test_the_server_is_a_script_outside_the_package_import_path():
    # Run by path with -P, so neither its folder nor the course's package is importable from it.
    assert FORK_SERVER.name == "_forkserver.py"
    assert "import interview_lab" not in FORK_SERVER.read_text()


# ----------------------------------------------------------------- what it preloads


def test_default_preload_is_the_third_party_libraries_the_assignments_import():
    modules = default_preload(REPO / "source")
    assert "pandas" in modules and "requests" in modules
    assert not [m for m in modules if m.split(".")[0] in ("interview_lab", "math", "sys", "os")]
    # Grading one assignment: only what its own notebooks import.
    assert default_preload(REPO / "source", "ps1-back-of-envelope") == []  # math and sys only
    assert default_preload(REPO / "source", "ps3-python-scripting") == ["requests"]


@pytest.mark.parametrize("configured", ["", 'c.CourseDirectory.source_directory = "masters"'])
def test_the_preload_is_found_where_nbgrader_keeps_the_sources(configured):
    # Read before nbgrader is imported (the server starts first): the same folder nbgrader uses.
    course = Course.at(make_course(extra_config=configured))
    try:
        assert course.source_folder() == course.folder("source")
        assert course.source_folder().name == ("masters" if configured else "source")
    finally:
        remove_course(course.root)


def test_matplotlib_is_left_to_each_kernel(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": "import matplotlib.pyplot as plt\nimport numpy"}]}
    (tmp_path / "ps9").mkdir()
    (tmp_path / "ps9" / "ps9.ipynb").write_text(json.dumps(nb))
    assert default_preload(tmp_path) == ["numpy"]
    with ForkServer(["matplotlib.pyplot", "numpy"]) as asked:  # asked anyway: refused, with why
        facts = asked.request({"op": "ping"})
        assert "numpy" in facts["preloaded"] and "matplotlib.pyplot" not in facts["preloaded"]
        assert "each kernel imports it itself" in facts["failed"]["matplotlib.pyplot"]
    with ForkServer(["matplotlib_inline.backend_inline"]) as brought:  # brings matplotlib in
        facts = brought.request({"op": "ping"})
        assert "--kernels fresh" in facts["failed"]["matplotlib"]  # the run shows it as a warning


def test_the_run_and_the_server_leave_the_same_libraries_to_each_kernel():
    from interview_lab.instructor import forked

    # Written twice (the server is a script that must not import the package): kept equal here.
    assert set(forked.LEFT_TO_EACH_KERNEL) == set(_server_module().LEFT_TO_EACH_KERNEL)


def test_preloading_the_course_package_is_refused():
    with pytest.raises(ValueError, match="course's package"):
        checked_preload(["numpy", "interview_lab.capacity"])


def test_notebook_imports_skip_magics_shell_lines_and_relative_imports(tmp_path):
    nb = {"cells": [
        {"cell_type": "code", "source": "%matplotlib inline\n!pip list\nimport numpy as np\nfrom pandas import DataFrame"},
        {"cell_type": "code", "source": ["from . import sibling\n", "import os.path\n"]},
        {"cell_type": "markdown", "source": "import requests"},
        {"cell_type": "code", "source": "def broken(:\n"},
    ]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb))
    assert notebook_imports(path) == {"numpy", "pandas", "os"}


def test_forked_is_the_default_on_linux_only():
    assert default_mode() == ("forked" if sys.platform.startswith("linux") else "fresh")
