"""The scripted HTTP server the health-check exercises and their grading tests stand on."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from interview_lab.testserver import Reply, ScriptedServer, hang


def fetch(url: str, timeout_s: float = 2.0) -> tuple[int, bytes]:
    """(status, body) of a GET, also for error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_answers_the_script_in_order_and_repeats_the_last_reply():
    with ScriptedServer([500, 503, 200]) as server:
        statuses = [fetch(server.url("/health"))[0] for _ in range(5)]
        assert server.request_count == 5
    assert statuses == [500, 503, 200, 200, 200]


def test_records_method_path_status_and_arrival_time_of_every_request():
    with ScriptedServer([404, 200]) as server:
        before = time.monotonic()
        fetch(server.url("/a?x=1"))
        urllib.request.urlopen(urllib.request.Request(server.url("/b"), method="HEAD"), timeout=2).close()
        after = time.monotonic()
        seen = server.requests
    assert [(r.method, r.path, r.status) for r in seen] == [("GET", "/a?x=1", 404), ("HEAD", "/b", 200)]
    assert before <= seen[0].at_s <= seen[1].at_s <= after
    assert server.paths() == ["/a?x=1", "/b"]


def test_gaps_measure_the_spacing_between_requests():
    with ScriptedServer([200]) as server:
        fetch(server.url())
        time.sleep(0.15)
        fetch(server.url())
        fetch(server.url())
        gaps = server.gaps_s()
    assert len(gaps) == 2
    assert gaps[0] >= 0.15
    assert gaps[1] < gaps[0]


def test_default_bodies_say_up_or_down_and_a_reply_may_carry_its_own():
    with ScriptedServer([200, 503, Reply(200, body="pong")]) as server:
        bodies = [fetch(server.url())[1] for _ in range(3)]
    assert json.loads(bodies[0]) == {"status": "UP"}
    assert json.loads(bodies[1]) == {"status": "DOWN"}
    assert bodies[2] == b"pong"


def test_a_hang_outlasts_a_short_client_timeout_and_the_retry_gets_through():
    with ScriptedServer([hang(2.0), 200]) as server:
        started = time.monotonic()
        with pytest.raises((TimeoutError, urllib.error.URLError, socket.timeout)):
            fetch(server.url(), timeout_s=0.2)
        waited_s = time.monotonic() - started
        assert fetch(server.url(), timeout_s=2.0)[0] == 200  # a hanging reply blocks no other request
        assert server.request_count == 2
    assert 0.2 <= waited_s < 1.5


def test_a_short_delay_is_answered_after_the_delay():
    with ScriptedServer([Reply(204, delay_s=0.2)]) as server:
        started = time.monotonic()
        status, _ = fetch(server.url(), timeout_s=2.0)
        elapsed_s = time.monotonic() - started
    assert status == 204
    assert elapsed_s >= 0.2


def test_leaving_the_block_is_quick_even_with_a_reply_still_hanging():
    server = ScriptedServer([hang(30.0)]).start()
    client = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    client.sendall(b"GET /health HTTP/1.0\r\n\r\n")
    deadline = time.monotonic() + 2
    while server.request_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.request_count == 1
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2.0
    assert client.recv(100) == b""  # dropped without an answer
    client.close()


def test_refused_url_refuses_connections_until_the_server_stops():
    with ScriptedServer([200]) as server:
        url = server.refused_url("/health")
        assert url.startswith("http://127.0.0.1:") and url.endswith("/health")
        port = int(url.split(":")[2].split("/")[0])
        assert port != server.port
        assert server.refused_url("/other") == f"http://127.0.0.1:{port}/other"  # the same port
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
        assert server.request_count == 0


def test_stop_frees_the_port_and_ends_the_thread():
    with ScriptedServer([200]) as server:
        port = server.port
        thread = server._thread
        assert fetch(server.url())[0] == 200
    assert thread is not None and not thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    with pytest.raises(RuntimeError, match="not running"):
        server.url()
    server.stop()  # a second stop is harmless


def test_a_server_can_be_started_again_after_stopping():
    server = ScriptedServer([200])
    with server:
        fetch(server.url())
    with server:
        fetch(server.url())
        assert server.request_count == 2  # the record covers both runs
    with server, pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_each_server_gets_its_own_free_port():
    with ScriptedServer() as first, ScriptedServer() as second:
        assert first.port != second.port
        assert fetch(first.url())[0] == fetch(second.url())[0] == 200


def test_replies_may_be_given_as_pairs_or_mappings():
    server = ScriptedServer([(503, 0.0), {"status": 200, "delay_s": 0.1}, Reply(201)])
    assert server.replies == (Reply(503, 0.0), Reply(200, 0.1), Reply(201, 0.0))


@pytest.mark.parametrize(
    "replies, message",
    [
        ([], "at least one reply"),
        ([99], "from 200 to 599"),
        ([600], "from 200 to 599"),
        (["200"], "integer HTTP status"),
        ([True], "integer HTTP status"),
        ([(200, -1)], "delay_s"),
        ([(200, float("inf"))], "delay_s"),
        ([(200,)], "(status, delay_s)"),
        ([{"status": 200, "wait": 1}], "only have status"),
    ],
)
def test_bad_scripts_are_refused_with_a_clear_message(replies, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ScriptedServer(replies)


def test_paths_must_start_with_a_slash():
    with ScriptedServer() as server:
        with pytest.raises(ValueError, match="start with '/'"):
            server.url("health")
        with pytest.raises(ValueError, match="start with '/'"):
            server.refused_url("health")


def test_importing_it_loads_no_computing_module_of_the_course():
    code = (
        "import sys, interview_lab.testserver\n"
        "print(sorted(m for m in sys.modules if m.startswith('interview_lab.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['interview_lab.testserver']"
