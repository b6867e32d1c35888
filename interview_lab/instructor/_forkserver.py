"""A fork server for grading kernels (standard library only; run as a script, never imported).

Usage (started by the grading run, see ``forked.py``)::

    python -P _forkserver.py --socket PATH --owner PID [--nice N] [--preload MOD ...]

Starting a new Python kernel for every submission spends most of its time importing the same
libraries (ipykernel, IPython, pandas, NumPy...) again. This server imports them once,
then for each request forks a child that becomes a new kernel: copy-on-write, every child
starts from the same clean state, the state of a process that has imported libraries and
never run any user code. Nothing a child does reaches the server or another child, because
each is its own process; only what the server holds before the fork is shared, and the server
never executes notebook code.

Rules the server keeps:

* it is run as a script by path (``-P``: neither its folder nor the current folder is put on
  ``sys.path``), so no module of the course's package is ever in a kernel's ``sys.modules``
  (the assignments' hidden tests treat that as cheating);
* it has exactly one thread when it forks (checked in ``/proc/self/task`` before every fork:
  a thread in the parent would be missing in the child with whatever lock it held). BLAS
  libraries start worker threads on import unless told not to, so the grading run starts the
  server with ``OPENBLAS_NUM_THREADS=1`` and friends;
* it listens on a Unix socket in a folder only its user can open, and also checks each peer
  with ``SO_PEERCRED``: same user, and the process that started the server or one of its
  direct children (the grading workers). A kernel is a child of the server, never of the
  owner, so a submission cannot ask it for anything even when it runs as the same user;
* it reaps its children and keeps their exit status (``poll``), since it is their parent;
* it exits, killing its remaining children, when its owner exits or on SIGTERM/SIGINT.

With a sandbox plan in the request (grading as root), the child is forked as process 1 of a
new PID namespace and, first of all, enters the namespaces and mount view that
``_namespaces.py`` describes (the same view bubblewrap gives a fresh kernel). Each child, before
it starts ipykernel: starts a new session (so signals reach its whole
process group), resets signal handlers, closes every inherited file descriptor, points
stdin/stdout/stderr at /dev/null, and, when the server runs as root, sets resource limits and
drops to the requested unprivileged user (groups, group, user; regaining root is checked to
fail). Then it takes the requested working folder, umask and environment, forgets cached
temporary-folder and random state (Python's ``random`` and NumPy's global generator are
reseeded from the OS, so children never share random numbers), writes its connection file
inside its own folder, and runs ipykernel as ``python -m ipykernel_launcher -f FILE`` would.
Two things a kernel computes twice with the same input are computed once
(:func:`transform_each_cell_once`, :func:`format_each_traceback_once`), and a flush with nothing
to send does not wait for the IOPub thread (:func:`flush_only_when_needed`), and each cell's
file-name hash is computed four bytes at a time (:func:`hash_cells_faster`); the results are the
same.

Protocol: one JSON request per connection, one JSON reply line.
``{"op": "spawn", "connection": {...}, "cwd": DIR, "env": {...}, "user": [UID, GID] | null,
"args": [...], "plan": {...} | null}`` (``args``: the kernel's own command-line options after
``-f FILE``; ``plan``: the sandbox to enter, see ``_namespaces.py``)
-> ``{"ok": true, "pid": N}``; ``{"op": "poll", "pid": N}`` -> ``{"ok": true, "status": null |
code, "cpu_s": ...}`` (a negative code is the signal that ended it; its CPU time once ended); ``{"op": "signal", "pid": N, "signum":
S}`` (sent to the child's process group); ``{"op": "ping"}`` -> server facts.
"""

import contextlib
import errno
import gc
import importlib
import json
import os
import random
import resource
import selectors
import signal
import socket
import struct
import sys
import tempfile
import time

MAX_PROCESSES = 256  # per grading user, as the fresh-kernel launcher sets (a fork bomb stops here)
MAX_FILE_BYTES = 1_000_000_000
MAX_REQUEST_BYTES = 1_000_000
PR_SET_DUMPABLE = 4  # linux/prctl.h
# What every kernel needs, imported once here whatever the assignments use.
# (The list is what a kernel started this way imported before its first reply, measured: with
# all of it preloaded, a child imports nothing before it answers.)
KERNEL_MODULES = (
    "ctypes",
    "pdb",
    "faulthandler",
    "sqlite3",
    "psutil",
    "tornado.queues",
    "tornado.locks",
    "tornado.platform.asyncio",
    "IPython.core.completer",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.interactiveshell",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipykernel.debugger",
)
# Never imported here, even when asked: a library that keeps per-process state from its import.
# matplotlib, imported here, would keep this server's config folder for every kernel (its path
# is cached at import; the grading user cannot read it, so importing pyplot failed), and its
# inline backend would not be linked to the kernel's shell (plots came out as text, no image).
# Each kernel imports it itself, as a fresh one does.
LEFT_TO_EACH_KERNEL = {
    "matplotlib": "matplotlib keeps per-process state from its import (config folder, inline "
                  "backend); each kernel imports it itself",
}
# Imported as well when NumPy is preloaded: every child reseeds NumPy's global generator, which
# imports numpy.random (7 to 15 ms of a kernel's CPU) unless it is here already.
WITH_NUMPY = ("numpy.random",)


def _load_namespaces():
    """``_namespaces.py`` beside this file, loaded by path under a name of its own (this server
    never puts the course's package, or its folder, on ``sys.path``); None where unusable."""
    if not sys.platform.startswith("linux"):
        return None
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_namespaces.py")
    spec = importlib.util.spec_from_file_location("_interview_lab_grading_namespaces", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NAMESPACES = _load_namespaces()

WARM_UP_FILE = "<interview-lab-fork-server-warm-up>"
WARM_UP_CODE = "def _check(got):\n    assert got == 2, f'expected 2, got {got}'\n\n_check(1)\n"


def warm_up_tracebacks():
    """Format one traceback the way a kernel does (IPython's default formatters), so that what
    the first one costs in every kernel (about a tenth of a second of CPU: imports and set-up in
    stack_data and pygments) is paid once here. Nothing of it is per kernel: the exception is
    the server's own, raised from its own code, and its source is forgotten afterwards."""
    import linecache

    try:
        from IPython.core import ultratb
    except ImportError:
        return False
    lines = WARM_UP_CODE.splitlines(keepends=True)
    linecache.cache[WARM_UP_FILE] = (len(WARM_UP_CODE), None, lines, WARM_UP_FILE)
    try:
        try:
            exec(compile(WARM_UP_CODE, WARM_UP_FILE, "exec"), {})  # noqa: S102 - fixed code above
        except AssertionError as error:
            formatter = ultratb.AutoFormattedTB(mode="Context", theme_name="neutral", tb_offset=1)
            formatter.structured_traceback(type(error), error, error.__traceback__)
        try:
            compile("def broken(:\n", WARM_UP_FILE, "exec")
        except SyntaxError as error:
            ultratb.SyntaxTB(theme_name="neutral").structured_traceback(type(error), error, [])
    except Exception:  # noqa: BLE001 - a warm-up only: kernels format their own either way
        return False
    finally:
        linecache.cache.pop(WARM_UP_FILE, None)
    return True


def transform_each_cell_once(shell_class):
    """ipykernel transforms a cell's code twice per execute request: once itself (to decide
    whether the cell must run as a coroutine) and, for an ordinary cell, once more inside
    IPython's ``run_cell``, from the same text, before any of the cell's code has run. That is
    about 1.3 ms of a kernel's CPU per cell, out of 9. Here the second call of the same request
    with the same text gets the first one's result; any other call (another request, other
    text, a third call) transforms as before. The request is told by the shell's parent
    message, which ipykernel sets for each request before it transforms anything."""
    transform = shell_class.transform_cell
    if getattr(transform, "once_per_request", False):
        return False
    kept = []  # [(parent message, raw cell, result)]: at most one, used at most once

    def transform_cell(self, raw_cell):
        parent = getattr(self, "parent_header", None)
        try:
            kept_parent, kept_cell, result = kept.pop()  # (one step: safe across threads)
        except IndexError:
            pass
        else:
            if parent is not None and kept_parent is parent and kept_cell == raw_cell:
                return result
        result = transform(self, raw_cell)
        if parent is not None:
            kept.append((parent, raw_cell, result))
        return result

    return _replace(shell_class, "transform_cell", transform_cell, "once_per_request")


def format_each_traceback_once(formatter_class):
    """IPython formats a failing cell's traceback twice: to show it, then again, with the same
    formatter, frames and offset, for the copy it keeps in its history
    (``history_manager.exceptions``); nothing runs in between. Each costs about 18 ms of CPU,
    and a wrong submission fails several tests. Here the call right after gets a copy of the
    lines just made when it asks for the very same exception and traceback objects with the
    same offset and context; any other call formats as before."""
    structured = formatter_class.structured_traceback
    if getattr(structured, "once_per_exception", False):
        return False
    kept = []  # [(formatter, exception, traceback, offset, context, lines)]: at most one, used once

    def structured_traceback(self, etype, evalue=None, etb=None, tb_offset=None, context=5):
        offset = self.tb_offset if tb_offset is None else tb_offset
        try:
            k_self, k_value, k_tb, k_offset, k_context, lines = kept.pop()
        except IndexError:
            pass
        else:
            if (k_self is self and evalue is not None and k_value is evalue and k_tb is etb
                    and k_offset == offset and k_context == context):
                self.tb = etb[0] if isinstance(etb, tuple) else etb  # as the formatter sets it
                return list(lines)
        lines = structured(self, etype, evalue, etb, tb_offset, context)
        if evalue is not None:
            kept.append((self, evalue, etb, offset, context, list(lines)))
        return lines

    return _replace(formatter_class, "structured_traceback", structured_traceback, "once_per_exception")


def flush_only_when_needed(stream_class):
    """ipykernel flushes the kernel's stdout and stderr twice for every execute request (four
    calls, one right after another). Each call hands a flush to the IOPub thread and waits for
    that thread to catch up with everything queued before it: two wake-ups of that thread and a
    wait, about 6 % of a kernel's CPU. When the stream holds no text and the IOPub
    thread has nothing queued, there is nothing to send and nothing to wait for; such a call
    now returns at once. Any other call (text to send, messages still queued, an echo stream,
    the IOPub thread itself, a process forked from the kernel) flushes exactly as before."""
    flush = stream_class.flush
    if getattr(flush, "only_when_needed", False):
        return False
    import threading

    def flush_when_needed(self):
        pub = self.pub_thread
        thread = getattr(pub, "thread", None)
        if (thread is not None and thread.is_alive() and thread.ident != threading.get_ident()
                and not getattr(pub, "_events", True) and not self._buffers
                and not self._flush_pending and not self._subprocess_flush_pending
                and self.echo is None):
            return None
        return flush(self)

    return _replace(stream_class, "flush", flush_when_needed, "only_when_needed")


def murmur2_x86(data, seed):
    """ipykernel's ``murmur2_x86`` (the hash in each cell's file name), computed from the same
    bytes in the same order, but reading four bytes at a time with ``struct`` instead of one
    ``chr`` and ``ord`` per byte: the same number, in less than half the CPU."""
    m = 0x5BD1E995
    raw = str.encode(data, "utf8")
    length = len(raw)
    h = seed ^ length
    rounded_end = length & 0xFFFFFFFC
    for k in struct.unpack_from(f"<{rounded_end // 4}I", raw):
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length & 0x03
    if tail:
        k = int.from_bytes(raw[rounded_end:], "little")
        h ^= k
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def hash_cells_faster(compiler_module):
    """ipykernel names each cell's code after a murmur2 hash of its text, computed in pure
    Python one byte at a time (about 6 ms of a kernel's CPU per notebook of ps1). Here
    the same hash is computed by :func:`murmur2_x86` above; the names are the same."""
    current = getattr(compiler_module, "murmur2_x86", None)
    if current is None or current is murmur2_x86:
        return False
    compiler_module.murmur2_x86 = murmur2_x86
    return True


def _replace(owner, name, replacement, marker):
    replacement.__doc__ = getattr(owner, name).__doc__
    setattr(replacement, marker, True)
    setattr(owner, name, replacement)
    return True


def compute_once_in_kernels():
    """The shortcuts above, in the server before it forks; returns which were installed."""
    done = {"transforms_once": False, "tracebacks_once": False, "flushes_when_needed": False,
            "cells_hashed_faster": False}
    with contextlib.suppress(ImportError):
        from ipykernel.zmqshell import ZMQInteractiveShell

        done["transforms_once"] = transform_each_cell_once(ZMQInteractiveShell)
    with contextlib.suppress(ImportError):
        from IPython.core.ultratb import AutoFormattedTB

        done["tracebacks_once"] = format_each_traceback_once(AutoFormattedTB)
    with contextlib.suppress(ImportError):
        from ipykernel.iostream import OutStream

        done["flushes_when_needed"] = flush_only_when_needed(OutStream)
    with contextlib.suppress(ImportError):
        from ipykernel import compiler

        done["cells_hashed_faster"] = hash_cells_faster(compiler)
    return done


def thread_count():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return int(text.rsplit(")", 1)[1].split()[1])


class Server:
    def __init__(self, path, owner, preload):
        self.path = path
        self.owner = owner
        self.children = {}  # pid -> exit status (None while running)
        self.peer = None  # the process id of the current request's sender
        # This process's own PID namespace: restored after each fork into a new one.
        self.pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY) if NAMESPACES else None
        self.cpu = {}  # pid -> CPU seconds it used, once it has ended
        self.preloaded, self.failed = [], {}
        self.preload(preload)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self.listener.bind(path)
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.running = True
        self.conn = None
        # stop() (a signal handler) writes a byte here so that the loop wakes at once instead of
        # at its next timeout (the grading run waits for the server to exit).
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def preload(self, names):
        for name in names:
            reason = LEFT_TO_EACH_KERNEL.get(name.split(".")[0])
            if reason:
                self.failed[name] = reason
                continue
            try:
                importlib.import_module(name)
                self.preloaded.append(name)
            except Exception as error:  # noqa: BLE001 - reported to the grading run
                self.failed[name] = f"{type(error).__name__}: {error}"

    # -- requests -----------------------------------------------------------------------------
    def allowed(self, conn):
        if not hasattr(socket, "SO_PEERCRED"):
            return True  # the socket's folder and mode are the only guard here
        raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", raw)
        if uid != os.getuid():
            return False
        self.peer = pid
        return pid == self.owner or parent_of(pid) == self.owner

    def handle(self, conn):
        self.conn = conn
        conn.settimeout(10)
        try:
            if not self.allowed(conn):
                return
            data = b""
            while not data.endswith(b"\n") and len(data) < MAX_REQUEST_BYTES:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            try:
                request = json.loads(data)
                reply = self.dispatch(request)
            except Exception as error:  # noqa: BLE001 - the client gets the reason
                reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            if reply is None:  # in a child that has become a kernel and come back
                return
            conn.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass
        finally:
            conn.close()

    def dispatch(self, request):
        self.reap()
        op = request.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "threads": thread_count(),
                    "preloaded": self.preloaded, "failed": self.failed,
                    "children": sum(1 for s in self.children.values() if s is None)}
        if op == "spawn":
            return self.spawn(request)
        if op not in ("poll", "signal"):
            return {"ok": False, "error": f"unknown request {op!r}"}
        pid = int(request.get("pid", 0))
        if pid not in self.children:
            return {"ok": False, "error": f"process {pid} was not started by this server"}
        if op == "poll":
            return {"ok": True, "status": self.children[pid], "cpu_s": self.cpu.get(pid)}
        if op == "signal":
            if self.children[pid] is None:
                try:
                    os.killpg(pid, int(request["signum"]))
                except ProcessLookupError:
                    pass
        return {"ok": True}

    def spawn(self, request):
        threads = thread_count()
        if threads != 1:
            return {"ok": False, "error": f"the fork server has {threads} threads; it forks only with one"}
        args = request.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            return {"ok": False, "error": "args must be a list of strings"}
        user = request.get("user")
        if os.geteuid() == 0:
            if not user or int(user[0]) == 0 or int(user[1]) == 0:
                return {"ok": False, "error": "as root, a kernel needs an unprivileged user"}
        elif user:
            return {"ok": False, "error": "only a fork server running as root can change user"}
        plan = request.get("plan")
        mount_namespace = None
        if plan:
            if NAMESPACES is None or os.geteuid() != 0:
                return {"ok": False, "error": "this fork server cannot sandbox kernels (root on Linux only)"}
            # The requesting worker's mount namespace holds the submission's folder (a tmpfs).
            mount_namespace = os.open(f"/proc/{self.peer}/ns/mnt", os.O_RDONLY)
            try:
                pid = NAMESPACES.fork_in_new_pid_namespace(self.pid_namespace)
            except BaseException:
                os.close(mount_namespace)
                raise
        else:
            pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = become_kernel(request, self, mount_namespace)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
            except BaseException:  # noqa: BLE001 - a child must never return into the server
                code = 1
            finally:
                os._exit(code)
        if mount_namespace is not None:
            os.close(mount_namespace)
        self.children[pid] = None
        return {"ok": True, "pid": pid}

    def reap(self):
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children[pid] = os.waitstatus_to_exitcode(status)
                self.cpu[pid] = usage.ru_utime + usage.ru_stime

    # -- life ---------------------------------------------------------------------------------
    def serve(self):
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ)
        selector.register(self.wake_r, selectors.EVENT_READ)
        while self.running:
            if os.getppid() != self.owner:
                break  # the grading run is gone
            for key, _ in selector.select(timeout=0.2):
                if key.fileobj == self.wake_r:
                    with contextlib.suppress(OSError):
                        os.read(self.wake_r, 64)
                    continue
                try:
                    conn, _ = self.listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                self.handle(conn)
            self.reap()
        self.shutdown()

    def stop(self, *_):
        self.running = False
        with contextlib.suppress(OSError):
            os.write(self.wake_w, b"!")

    def shutdown(self):
        for pid, status in list(self.children.items()):
            if status is None:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        while any(s is None for s in self.children.values()) and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.01)
        try:
            os.unlink(self.path)
        except OSError:
            pass


def drop_privileges(uid, gid):
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getegid() != gid:
        raise SystemExit(3)
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise SystemExit(3)
    # Changing user without exec leaves the process "not dumpable": its own /proc entries
    # (environ, fd, maps) would stay root's. A fresh kernel, started by exec, owns them; so does
    # this one (its memory holds nothing but its own state and the libraries preloaded for all).
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reseed():
    """New random state for this kernel (the server's was copied into every child)."""
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def become_kernel(request, server, mount_namespace=None):
    """In the child: isolate, then run ipykernel until it shuts down. Returns an exit code."""
    os.setsid()
    for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as the interpreter sets it at start-up
    server.running = False
    # Let go of the server's sockets without closing them through Python later: their numbers
    # are closed below and may be reused by the kernel's own sockets.
    server.listener.detach()
    server.conn.detach()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if request.get("plan"):
        NAMESPACES.enter(request["plan"], mount_namespace)  # as root, before anything else
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    user = request.get("user")
    if user:
        drop_privileges(int(user[0]), int(user[1]))
    if request.get("plan"):
        NAMESPACES.stay_as_process_1()  # from here on, the kernel: a child of process 1
    os.umask(0o077)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in request.get("env", {}).items()})
    tempfile.tempdir = None
    sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    reseed()
    name = os.path.join(request["cwd"], f".kernel-{os.urandom(8).hex()}.json")
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(request["connection"], handle)
    argv = ["-f", name, *(request.get("args") or [])]
    del request, server
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=argv)
    return 0


def main(argv):
    preload, path, owner = [], None, None
    i = 0
    while i < len(argv):
        if argv[i] == "--socket":
            path = argv[i + 1]
        elif argv[i] == "--owner":
            owner = int(argv[i + 1])
        elif argv[i] == "--preload":
            preload.append(argv[i + 1])
        elif argv[i] == "--nice":
            os.nice(int(argv[i + 1]))  # the server and every kernel it forks
        else:
            raise SystemExit(f"unknown argument {argv[i]!r}")
        i += 2
    if not path or owner is None:
        raise SystemExit("usage: _forkserver.py --socket PATH --owner PID [--nice N] [--preload MODULE ...]")
    server = Server(path, owner, [*KERNEL_MODULES, *preload])
    if "numpy" in sys.modules:
        server.preload(WITH_NUMPY)
    for library, reason in LEFT_TO_EACH_KERNEL.items():
        if library in sys.modules:  # brought in by another preloaded library
            server.failed[library] = (f"brought in by another preloaded library ({reason}); "
                                      "grade with --kernels fresh")
    warmed_up = warm_up_tracebacks()
    computed_once = compute_once_in_kernels()
    # What the imports created is never collected in the children: move it out of the garbage
    # collector's sight, or each child's first full collection walks (and so copies, page by
    # page) the whole preloaded heap.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGTERM, server.stop)
    signal.signal(signal.SIGINT, server.stop)
    ready = {"ready": True, "pid": os.getpid(), "threads": thread_count(),
             "preloaded": server.preloaded, "failed": server.failed, "warmed_up": warmed_up,
             **computed_once}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    # Children must not inherit the grading run's pipes.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    os.close(devnull)
    try:
        server.serve()
    except OSError as error:
        if error.errno != errno.EINTR:
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
