"""Measure what one learner costs on the workshop hub: start-up time, memory and CPU.

Run as root against a running hub (``make hub``, then add a learner)::

    sudo /opt/interview-lab/venv/bin/python deploy/jupyterhub/measure_learner.py LEARNER

It restarts the learner's server through the hub's REST API and times it from the request to
the hub reporting it ready, then opens notebooks the way JupyterLab does (a session and a
kernel per notebook) and runs every code cell, and reads the memory of the learner's
processes from ``/proc``: RSS (what each process holds, shared libraries counted in every
process) and PSS (shared pages split between the processes sharing them, the fairer sum).
It also reports the CPU seconds the kernels used to run the notebooks and the share of a core
the learner's processes use while idle. The figures go into deploy/z2jh/values.yaml's
sizing note.

Needs tornado (the workshop environment has it). Decimal units: 1 MB = 10**6 bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import pwd
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workshop import Workshop, admin_token, hub_request  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DEFAULT_NOTEBOOKS = (
    "notebooks/02b-cloud-and-autoscaling.ipynb",
    "release/ps1-back-of-envelope/ps1-back-of-envelope.ipynb",
)


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    kind: str  # "server" or "kernel" or "other"
    rss_bytes: int
    pss_bytes: int
    cpu_s: float


@dataclass
class LearnerFigures:
    user: str
    ready_s: float
    notebooks: list[str]
    run_s: dict[str, float] = field(default_factory=dict)
    failed_cells: dict[str, int] = field(default_factory=dict)
    processes: list[ProcessMemory] = field(default_factory=list)
    kernel_cpu_s: float = 0.0
    idle_cores: float = 0.0

    @property
    def rss_bytes(self) -> int:
        return sum(p.rss_bytes for p in self.processes)

    @property
    def pss_bytes(self) -> int:
        return sum(p.pss_bytes for p in self.processes)

    def summary(self) -> dict:
        server = [p for p in self.processes if p.kind == "server"]
        kernels = [p for p in self.processes if p.kind == "kernel"]
        return {
            "user": self.user,
            "ready_s": round(self.ready_s, 2),
            "notebooks": self.notebooks,
            "run_s": {k: round(v, 2) for k, v in self.run_s.items()},
            "failed_cells": dict(self.failed_cells),
            "server_rss_MB": round(sum(p.rss_bytes for p in server) / 1e6, 1),
            "server_pss_MB": round(sum(p.pss_bytes for p in server) / 1e6, 1),
            "kernel_rss_MB": [round(p.rss_bytes / 1e6, 1) for p in kernels],
            "kernel_pss_MB": [round(p.pss_bytes / 1e6, 1) for p in kernels],
            "total_rss_MB": round(self.rss_bytes / 1e6, 1),
            "total_pss_MB": round(self.pss_bytes / 1e6, 1),
            "kernel_cpu_s": round(self.kernel_cpu_s, 2),
            "idle_cores": round(self.idle_cores, 4),
            "processes": [asdict(p) for p in self.processes],
        }


def user_processes(uid: int) -> list[ProcessMemory]:
    """The processes of ``uid`` with their memory (RSS, PSS) and CPU time so far."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            rollup = (entry / "smaps_rollup").read_text().splitlines()[1:]
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        sizes = {
            line.split(":")[0]: int(line.split()[1]) * 1024
            for line in rollup
            if len(line.split()) >= 2
        }
        kind = (
            "kernel"
            if b"ipykernel" in cmdline
            else "server"
            if b"jupyterhub-singleuser" in cmdline
            else "other"
        )
        cpu_s = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS  # utime + stime
        found.append(
            ProcessMemory(int(entry.name), kind, sizes.get("Rss", 0), sizes.get("Pss", 0), cpu_s)
        )
    return sorted(found, key=lambda p: p.pid)


def restart_server(workshop: Workshop, token: str, user: str, timeout_s: float = 300) -> float:
    """Stop the user's server if it runs, start it again; seconds from request to ready."""
    model = hub_request(workshop, "GET", f"/users/{user}", token)
    if model.get("servers", {}).get(""):
        hub_request(workshop, "DELETE", f"/users/{user}/server", token, ok=(202, 204))
        deadline = time.monotonic() + timeout_s
        while hub_request(workshop, "GET", f"/users/{user}", token).get("servers", {}).get(""):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{user}'s server did not stop within {timeout_s:.0f} s")
            time.sleep(0.25)
    started = time.monotonic()
    hub_request(workshop, "POST", f"/users/{user}/server", token, ok=(201, 202))
    while time.monotonic() - started < timeout_s:
        server = hub_request(workshop, "GET", f"/users/{user}", token).get("servers", {}).get("")
        if server and server.get("ready"):
            return time.monotonic() - started
        if not server:
            raise RuntimeError(f"{user}'s server failed to start; see the hub's log")
        time.sleep(0.1)
    raise RuntimeError(f"{user}'s server was not ready within {timeout_s:.0f} s")


async def run_notebook(
    base: str, token: str, path: str, timeout_s: float = 600
) -> tuple[float, int]:
    """Open ``path`` as JupyterLab does (a session with a kernel) and run every code cell.

    Returns the seconds it took and how many cells ended in an error.
    """
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    client = AsyncHTTPClient()
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    reply = await client.fetch(
        f"{base}/api/contents/{path}?content=1", headers=headers, request_timeout=120
    )
    cells = [c for c in json.loads(reply.body)["content"]["cells"] if c["cell_type"] == "code"]
    body = json.dumps(
        {"path": path, "type": "notebook", "name": Path(path).name, "kernel": {"name": "python3"}}
    )
    reply = await client.fetch(
        f"{base}/api/sessions", method="POST", headers=headers, body=body, request_timeout=120
    )
    kernel_id = json.loads(reply.body)["kernel"]["id"]
    session = uuid.uuid4().hex
    ws_url = (
        base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels?session_id={session}"
    )
    socket = await websocket_connect(HTTPRequest(ws_url, headers=headers), max_message_size=1 << 28)
    started = time.monotonic()
    failed = 0
    try:
        for cell in cells:
            code = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            msg_id = uuid.uuid4().hex
            await socket.write_message(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "msg_type": "execute_request",
                            "session": session,
                            "username": "",
                            "version": "5.3",
                            "date": "",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "channel": "shell",
                        "buffers": [],
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": True,
                            "user_expressions": {},
                            "allow_stdin": False,
                            "stop_on_error": False,
                        },
                    }
                )
            )
            while True:
                raw = await asyncio.wait_for(socket.read_message(), timeout_s)
                if raw is None:
                    raise RuntimeError(f"the kernel of {path} closed its channels")
                if isinstance(raw, bytes):
                    continue  # binary messages (widget buffers)
                message = json.loads(raw)
                if (
                    message.get("parent_header", {}).get("msg_id") == msg_id
                    and message.get("msg_type") == "execute_reply"
                ):
                    if message["content"].get("status") != "ok":
                        failed += 1  # e.g. an unanswered assignment's NotImplementedError
                    break
    finally:
        socket.close()
    return time.monotonic() - started, failed


def _run_coroutine(coro):
    """``asyncio.run``, also where this thread already has a running event loop (under pytest,
    Playwright's browser session keeps one): then it runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def measure(
    workshop: Workshop, token: str, user: str, notebooks: list[str], idle_s: float = 10.0
) -> LearnerFigures:
    """Start the user's server, open and run ``notebooks``, and read its processes' figures."""
    uid = pwd.getpwnam(user).pw_uid
    ready_s = restart_server(workshop, token, user)
    figures = LearnerFigures(user, ready_s, list(notebooks))
    reply = hub_request(
        workshop, "POST", f"/users/{user}/tokens", token, {"expires_in": 3600, "note": "measure"}
    )
    base = f"{workshop.url}/user/{user}"
    for path in notebooks:
        figures.run_s[path], figures.failed_cells[path] = _run_coroutine(
            run_notebook(base, reply["token"], path)
        )
    time.sleep(2.0)  # let the kernels settle after the last cell
    before = user_processes(uid)
    time.sleep(idle_s)
    after = user_processes(uid)
    figures.processes = after
    figures.kernel_cpu_s = sum(p.cpu_s for p in before if p.kind == "kernel")
    idle_cpu = sum(p.cpu_s for p in after) - sum(
        p.cpu_s for p in before if p.pid in {q.pid for q in after}
    )
    figures.idle_cores = max(0.0, idle_cpu) / idle_s
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("user", help="a learner account on the running hub")
    parser.add_argument(
        "--notebook",
        action="append",
        dest="notebooks",
        metavar="PATH",
        help="a notebook to open and run, relative to the learner's folder (repeatable)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure this many times (start-up is timed each time)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        print(f"error: --repeat must be at least 1, got {args.repeat}", file=sys.stderr)
        return 2
    workshop = Workshop.from_env()
    token = admin_token(workshop)
    runs = []
    for _ in range(args.repeat):
        with contextlib.suppress(KeyboardInterrupt):
            runs.append(
                measure(
                    workshop, token, args.user, args.notebooks or list(DEFAULT_NOTEBOOKS)
                ).summary()
            )
    print(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
