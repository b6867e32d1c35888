"""A small, real HTTP server on 127.0.0.1 that answers from a script, for health-check exercises.

A health checker is only worth something if it survives the ways a service misbehaves: error
statuses, a request that hangs past the client's timeout, a port where nothing listens. This
module makes each of those happen on demand, on the learner's own machine, with no network
access and no mocking of the HTTP client: the checker under test talks to a real socket.

``ScriptedServer`` answers the requests it receives with the scripted replies in order; once
the script is used up, the last reply repeats. Every request is recorded (method, path and the
``time.monotonic()`` at which it arrived), so a test can count the retries and measure the
spacing between them. ``refused_url()`` gives a URL on a port where nothing listens, so a
connection attempt is refused at once.

Example (the pattern the scripting assignments' test cells use)::

    from interview_lab.testserver import ScriptedServer, hang

    with ScriptedServer([500, 500, 200]) as server:
        url = server.url("/health")       # e.g. http://127.0.0.1:41523/health
        ...                               # 1st request -> 500, 2nd -> 500, 3rd and later -> 200
        assert server.request_count == 3
        print(server.gaps_s())            # seconds between consecutive requests

    with ScriptedServer([hang(2.0), 200]) as server:
        ...                               # the 1st request waits 2 s before its 200

    with ScriptedServer([200]) as server:
        dead = server.refused_url("/health")   # connecting there fails with "connection refused"

A reply is an ``int`` status, a :class:`Reply` (status, delay before answering, body), or a
``(status, delay_s)`` pair as ``interview_lab.loaders.health_scenarios()`` returns them.

How it works: ``http.server.ThreadingHTTPServer`` bound to port 0 (the operating system picks
a free port), served from a daemon thread, one thread per request, so a hanging reply never
blocks the next request. Leaving the ``with`` block wakes any reply still hanging, stops the
server and closes its sockets; the port is free again afterwards. "Refused" is a socket bound
to a free port but never listening: the kernel answers a connection attempt with a reset
(ECONNREFUSED), and because the socket stays bound until the server stops, no other program
can start listening there in the meantime.

The server speaks HTTP/1.0 (one request per connection) and answers every method with a small
JSON body (``{"status": "UP"}`` for a 2xx status, ``{"status": "DOWN"}`` otherwise) unless a
reply gives its own body. It writes no log lines. It imports nothing from the course's
computing modules, so an assignment's tests may use it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Reply", "Request", "ScriptedServer", "hang"]

HOST = "127.0.0.1"
# How often the serving loop checks whether it was asked to stop (seconds); small, so that
# leaving the ``with`` block takes milliseconds rather than the standard library's 0.5 s.
_POLL_INTERVAL_S = 0.02


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an HTTP status, sent after waiting ``delay_s`` seconds."""

    status: int = 200
    delay_s: float = 0.0
    body: str | None = None  # None: {"status": "UP"} for a 2xx status, {"status": "DOWN"} otherwise

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise ValueError(f"a reply's status must be an integer HTTP status, got {self.status!r}")
        if not 200 <= self.status <= 599:
            raise ValueError(f"a reply's status must be an HTTP status from 200 to 599, got {self.status}")
        if not (isinstance(self.delay_s, (int, float)) and 0 <= self.delay_s < float("inf")):
            raise ValueError(f"a reply's delay_s must be a finite number of seconds >= 0, got {self.delay_s!r}")

    def body_bytes(self) -> bytes:
        """The body sent with this reply."""
        if self.body is not None:
            return self.body.encode("utf-8")
        state = "UP" if 200 <= self.status <= 299 else "DOWN"
        return ('{"status": "' + state + '"}').encode("ascii")


def hang(delay_s: float, status: int = 200) -> Reply:
    """A reply that waits ``delay_s`` seconds before answering: longer than a client's timeout,
    it looks like a service that accepted the connection and then stalled."""
    return Reply(status=status, delay_s=delay_s)


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str  # as sent, query string included
    at_s: float  # time.monotonic() when the request line had been read
    status: int  # the status the script gave it


def _as_reply(item: int | Reply | tuple | Mapping) -> Reply:
    if isinstance(item, Reply):
        return item
    if isinstance(item, Mapping):
        unknown = set(item) - {"status", "delay_s", "body"}
        if unknown:
            raise ValueError(f"a reply may only have status, delay_s and body, got {sorted(unknown)}")
        return Reply(**dict(item))
    if isinstance(item, tuple):
        if len(item) != 2:
            raise ValueError(f"a reply given as a tuple must be (status, delay_s), got {item!r}")
        return Reply(status=item[0], delay_s=item[1])
    return Reply(status=item)


class _Handler(BaseHTTPRequestHandler):
    server: _ScriptServer  # set by socketserver

    def _answer(self) -> None:
        reply = self.server.owner._record(self.command, self.path)
        if reply.delay_s > 0 and self.server.owner._stopping.wait(reply.delay_s):
            return  # the server is stopping: drop the connection instead of answering
        body = reply.body_bytes()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass  # the client gave up (its timeout ran out) before the answer came

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Stay silent: no access-log lines on stderr in notebooks and tests."""


class _ScriptServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: ScriptedServer) -> None:
        self.owner = owner
        super().__init__((HOST, 0), _Handler)

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - base signature
        """A client that hangs up early is normal here; say nothing."""


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 answering from ``replies``; use it in a ``with`` block.

    ``replies``: the answers in order, the last one repeating (at least one). Each is an
    ``int`` status, a :class:`Reply` or a ``(status, delay_s)`` pair.
    """

    def __init__(self, replies: Iterable[int | Reply | tuple | Mapping] = (200,)) -> None:
        script = [_as_reply(item) for item in replies]
        if not script:
            raise ValueError("a ScriptedServer needs at least one reply, got an empty list")
        self.replies: tuple[Reply, ...] = tuple(script)
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._stopping = threading.Event()
        self._httpd: _ScriptServer | None = None
        self._thread: threading.Thread | None = None
        self._refusing: socket.socket | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("this ScriptedServer is already running")
        self._stopping.clear()
        self._httpd = _ScriptServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL_S},
            name=f"ScriptedServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake hanging replies, stop serving and close every socket (safe to call twice)."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._refusing is not None:
            self._refusing.close()
            self._refusing = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("the server is not running: use it inside `with ScriptedServer(...)`")
        return self._httpd.server_address[1]

    def url(self, path: str = "/health") -> str:
        """``http://127.0.0.1:<port><path>``."""
        if not path.startswith("/"):
            raise ValueError(f"a path must start with '/', got {path!r}")
        return f"http://{HOST}:{self.port}{path}"

    def refused_url(self, path: str = "/health") -> str:
        """A URL on 127.0.0.1 where nothing listens: connecting is refused (until ``stop``)."""
        if not path.startswith("/"):
            raise ValueError(f"a path must start with '/', got {path!r}")
        if self._refusing is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))  # bound, never listening: connections get a reset
            self._refusing = sock
        return f"http://{HOST}:{self._refusing.getsockname()[1]}{path}"

    # -- what happened ------------------------------------------------------------------------

    def _record(self, method: str, path: str) -> Reply:
        with self._lock:
            index = min(len(self._requests), len(self.replies) - 1)
            reply = self.replies[index]
            self._requests.append(Request(method, path, time.monotonic(), reply.status))
        return reply

    @property
    def requests(self) -> list[Request]:
        """Every request received so far, in order of arrival (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many requests arrived."""
        with self._lock:
            return len(self._requests)

    def paths(self) -> list[str]:
        """The path of each request, in order."""
        return [r.path for r in self.requests]

    def gaps_s(self) -> list[float]:
        """Seconds between consecutive requests (one fewer than the requests)."""
        times = [r.at_s for r in self.requests]
        return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
