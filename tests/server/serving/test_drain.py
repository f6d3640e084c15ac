"""The drain a load balancer understands, as a user runs it: a real ``texrender serve``, one
process or two workers, real signals. During the drain delay ``/readyz`` is 503 while new
connections are served (``Connection: close``); a second signal ends the delay; then new
connections are refused, the request in flight is finished whole, and the process exits once
idle. Clients hammering on keep-alive connections through all of it lose no answer.

No test reads a clock to judge the server: the delay is ended by the second signal, and the
grace period is longer than a test may run, so a server that waited it out would fail it."""

from __future__ import annotations

import itertools
import json
import signal
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import h11
import httpx
import pytest

from tests.conftest import RunningServer, pdf_text
from tests.server.conftest import running_server

pytestmark = pytest.mark.tex

# Longer than any test may run (pytest-timeout): only a second signal ends the delay, and a
# server that waited out its grace instead of stopping when idle fails the test.
LONG_S = "600"
GUARD_S = 60.0  # how long a test waits for something before it fails


def drain_serve(workers: int, *more: str) -> list[str]:
    """``serve`` and its flags: a drain delay that only a second signal ends."""
    return ["serve", "--drain-delay", LONG_S, "--graceful-timeout", LONG_S,
            "--workers", str(workers), *more]  # fmt: skip


@dataclass
class Held:
    """A render request whose body is half sent: in flight on the server until the test sends
    the rest (no clock decides when it ends)."""

    sock: socket.socket
    rest: bytes

    @classmethod
    def start(cls, port: int, text: str) -> Held:
        body = json.dumps({"text": text}).encode()
        head = (
            f"POST /v1/render/echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock = socket.create_connection(("127.0.0.1", port), timeout=GUARD_S)
        half = len(body) // 2
        sock.sendall(head + body[:half])
        return cls(sock, body[half:])

    def finish(self) -> tuple[h11.Response, bytes]:
        """Send the rest of the body; the whole answer."""
        self.sock.sendall(self.rest)
        answers = read_answers(self.sock, expected=1)
        self.sock.close()
        assert len(answers) == 1, "the request in flight was not answered"
        return answers[0]


def read_answers(sock: socket.socket, expected: int) -> list[tuple[h11.Response, bytes]]:
    """Up to ``expected`` answers read off ``sock`` (fewer if the server closes it first)."""
    parser = h11.Connection(h11.CLIENT)
    answers: list[tuple[h11.Response, bytes]] = []
    for _ in range(expected):
        # h11 tracks one request at a time: tell it of each (the bytes went out earlier).
        parser.send(h11.Request(method="POST", target="/", headers=[("Host", "t")]))
        parser.send(h11.EndOfMessage())
        response: h11.Response | None = None
        body = b""
        while True:
            event = parser.next_event()
            if event is h11.NEED_DATA:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    return answers
                parser.receive_data(data)
                if not data:
                    return answers
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                answers.append((response, body))
                break
            elif isinstance(event, h11.ConnectionClosed):
                return answers
        if says_close(answers[-1][0]):
            return answers
        parser.start_next_cycle()
    return answers


def says_close(response: h11.Response) -> bool:
    return (b"connection", b"close") in [(k.lower(), v.lower()) for k, v in response.headers]


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=GUARD_S).close()
    except ConnectionRefusedError:
        return True
    return False


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail after :data:`GUARD_S` (a guard, not a measure)."""
    done = threading.Event()
    for _ in range(int(GUARD_S / 0.02)):
        if condition():
            return
        done.wait(0.02)
    pytest.fail(f"never happened: {what}")


def log_events(server: RunningServer) -> list[str]:
    events = []
    for line in list(server.lines):
        try:
            events.append(str(json.loads(line).get("event", "")))
        except ValueError:
            continue
    return events


@pytest.mark.parametrize("workers", [1, 2])
def test_the_drain_delay_serves_new_connections_until_a_second_signal(workers: int) -> None:
    with running_server(*drain_serve(workers)) as server:
        port = int(server.url.rsplit(":", 1)[1])
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        held = Held.start(port, "held across the drain")
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: httpx.get(f"{server.url}/readyz").status_code == 503, "readyz 503")

        # The delay: each of these comes on a new connection, and is served.
        render = httpx.post(f"{server.url}/v1/render/echo", json={"text": "during the delay"})
        assert render.status_code == 200
        assert "during the delay" in pdf_text(render.content)
        assert render.headers["connection"] == "close"
        health = httpx.get(f"{server.url}/healthz")
        assert health.status_code == 200
        assert health.headers["connection"] == "close"
        readyz = httpx.get(f"{server.url}/readyz")
        assert readyz.status_code == 503
        assert readyz.json()["checks"]["not_draining"] is False

        server.process.send_signal(signal.SIGTERM)  # ends the delay
        wait_for(lambda: refused(port), "new connections refused")
        assert server.process.poll() is None, "it stopped with a request in flight"

        response, pdf = held.finish()
        assert response.status_code == 200
        assert says_close(response)
        assert "held across the drain" in pdf_text(pdf)
        assert server.process.wait(timeout=GUARD_S) == 0
        events = log_events(server)
    phases = ["received SIGTERM", "drain: /readyz answers 503", "drain: delay ended early"]
    phases += ["drain: no longer accepting connections", "stopped"]
    for phase in phases:
        assert any(phase in event for event in events), (phase, events)


@dataclass
class Tally:
    """What the hammering clients saw; ``lost`` must stay empty."""

    answers: Counter[str] = field(default_factory=Counter)
    closing: int = 0  # answers that said Connection: close
    refused: int = 0  # connections refused: nothing was sent
    lost: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, status: int, close: bool) -> None:
        with self.lock:
            self.answers[str(status)] += 1
            self.closing += close

    def was_refused(self) -> None:
        with self.lock:
            self.refused += 1


def keep_alive_client(
    url: str, tally: Tally, stop: threading.Event, numbers: itertools.count[int]
) -> None:
    """httpx on keep-alive connections, each body new (a render, or at once a 429)."""
    with httpx.Client(base_url=url, timeout=GUARD_S) as http:
        while not stop.is_set():
            try:
                answer = http.post("/v1/render/echo", json={"text": f"k{next(numbers)}"})
            except httpx.ConnectError:
                tally.was_refused()
                return
            except httpx.HTTPError as exc:
                tally.lost.append(f"httpx: {type(exc).__name__}: {exc}")
                return
            tally.answered(answer.status_code, answer.headers.get("connection") == "close")


def pipelining_client(
    port: int, tally: Tally, stop: threading.Event, numbers: itertools.count[int]
) -> None:
    """Two requests sent at once on each keep-alive connection, again and again: a request may
    go unanswered only after an answer on its connection said close (RFC 9112 9.3.2: it was
    not processed)."""
    while not stop.is_set():
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=GUARD_S)
        except ConnectionRefusedError:
            tally.was_refused()
            return
        with sock:
            while not stop.is_set():
                pair = b"".join(raw_render(f"p{next(numbers)}") for _ in range(2))
                try:
                    sock.sendall(pair)
                except (BrokenPipeError, ConnectionResetError) as exc:
                    tally.lost.append(f"pipelined: sending on an open connection: {exc}")
                    return
                answers = read_answers(sock, expected=2)
                for response, _ in answers:
                    tally.answered(response.status_code, says_close(response))
                if len(answers) < 2 and not (answers and says_close(answers[-1][0])):
                    tally.lost.append(f"pipelined: {2 - len(answers)} unanswered, no close said")
                    return
                if answers and says_close(answers[-1][0]):
                    break


def raw_render(text: str) -> bytes:
    body = json.dumps({"text": text}).encode()
    head = "POST /v1/render/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


@pytest.mark.parametrize("workers", [1, 2])
def test_keep_alive_clients_hammering_through_the_drain_lose_no_answer(workers: int) -> None:
    """One render slot a worker, no queue: most answers are fast 429s, each with Connection:
    close once draining, so connections come and go all through the delay and its end."""
    tally, stop, numbers = Tally(), threading.Event(), itertools.count()
    serve = drain_serve(workers, "--queue-max", "0", "--refusal-pause", "0")
    with running_server("--slots", str(workers), *serve) as server:
        port = int(server.url.rsplit(":", 1)[1])
        clients = [
            threading.Thread(target=keep_alive_client, args=(server.url, tally, stop, numbers))
            for _ in range(6)
        ] + [
            threading.Thread(target=pipelining_client, args=(port, tally, stop, numbers))
            for _ in range(2)
        ]
        for thread in clients:
            thread.start()
        try:
            wait_for(lambda: sum(tally.answers.values()) >= 50, "50 answers before the signal")
            server.process.send_signal(signal.SIGTERM)
            wait_for(lambda: tally.closing >= 100, "100 answers saying close during the delay")
            server.process.send_signal(signal.SIGTERM)
            assert server.process.wait(timeout=GUARD_S) == 0
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=GUARD_S)
    assert tally.lost == []
    assert set(tally.answers) <= {"200", "429"}, tally.answers
    assert tally.answers["429"] > 0, "no fast refusal was tried"
    assert tally.refused > 0, "no client tried after the listener closed"
