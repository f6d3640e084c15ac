"""The door in front of Hypercorn: a real server on loopback, real TeX, real clients (httpx, and
raw sockets where the bytes' timing matters).

A refusal from the door is compared with the ASGI layer's and the long way's; every request the
long way answers otherwise, sent on a new connection while the queue is full, must still get
that answer (its bytes replayed to Hypercorn); and which of the two early ways answered is seen
by counting their calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from hypercorn.trio import run as hypercorn_run

import server.http.early_refusal as asgi_layer
import server.serving.door as door
from server.http.refusal_policy import refusal_answer
from tests.conftest import LiveServer, StartServer, server_settings
from tests.server.conftest import add_key
from tests.server.http.test_http import assert_problem, slots_busy, slow, wait_for
from tests.server.test_metrics import scrape, value

pytestmark = pytest.mark.tex

JSON = {"content-type": "application/json"}
EARLY = "texrender_early_refusals_total"


@dataclass
class Answered:
    """How many refusals each early way wrote."""

    by: dict[str, int] = field(default_factory=lambda: {"door": 0, "asgi": 0})


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> Answered:
    counts = Answered()
    for name, module in (("door", door), ("asgi", asgi_layer)):

        def counted(*args: Any, _name: str = name, **kwargs: Any) -> Any:
            counts.by[_name] += 1
            return refusal_answer(*args, **kwargs)

        monkeypatch.setattr(module, "refusal_answer", counted)
    return counts


async def full(start_server: StartServer, **changes: Any) -> LiveServer:
    """A server with one slot and no queue, that slot kept busy by a slow render."""
    server = await start_server(render_slots=1, queue_max=0, **changes)
    return server


async def exchange(
    server: LiveServer, *pieces: bytes, gap_s: float = 0.0, eof: bool = False
) -> bytes:
    """Send ``pieces`` on a new connection, ``gap_s`` apart (then an end of file if ``eof``);
    all the server sends back."""
    stream = await trio.open_tcp_stream("127.0.0.1", server.port)
    async with stream:
        for n, piece in enumerate(pieces):
            if n:
                await trio.sleep(gap_s)
            await stream.send_all(piece)
        if eof:
            await stream.send_eof()
        answer = b""
        with trio.fail_after(20):
            while more := await stream.receive_some():
                answer += more
    return answer


def render_request(body: bytes, *extra: bytes) -> bytes:
    head = [
        b"POST /v1/render/echo HTTP/1.1",
        b"host: 127.0.0.1",
        b"content-type: application/json",
        b"content-length: " + str(len(body)).encode(),
        *extra,
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_a_first_request_bound_to_be_refused_is_refused_by_the_door_as_by_the_asgi_layer(
    start_server: StartServer, answered: Answered
) -> None:
    server = await full(start_server)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(server.client.post, "/v1/render/slow", json=slow(0)))
        await wait_for(lambda: slots_busy(server.client, busy=1))
        before = await scrape(server.client)
        headers = {**JSON, "x-request-id": "door-1"}
        at_door = await server.new_client().post("/v1/render/echo", json={"x": 1}, headers=headers)
        assert answered.by == {"door": 1, "asgi": 0}
        kept_alive = server.new_client()
        assert (await kept_alive.get("/healthz")).status_code == 200  # its first: handed on
        headers = {**JSON, "x-request-id": "asgi-1"}
        inside = await kept_alive.post("/v1/render/echo", json={"x": 2}, headers=headers)
        assert answered.by == {"door": 1, "asgi": 1}
        long_way = {**headers, "x-request-id": "long-1", "prefer": "handling=lenient"}
        long = await server.new_client().post("/v1/render/echo", json={"x": 3}, headers=long_way)
        assert answered.by == {"door": 1, "asgi": 1}
        after = await scrape(server.client)
        nursery.cancel_scope.cancel()

    door_body = assert_problem(at_door, 429, "queue-full")
    assert door_body == {**assert_problem(inside, 429, "queue-full"), "request_id": "door-1"}
    assert door_body == {**assert_problem(long, 429, "queue-full"), "request_id": "door-1"}
    assert at_door.headers["x-request-id"] == "door-1"
    assert at_door.headers["connection"] == inside.headers["connection"] == "close"
    varying = {"date", "retry-after", "x-request-id", "content-length"}
    assert {k: v for k, v in at_door.headers.items() if k not in varying} == {
        k: v for k, v in inside.headers.items() if k not in varying
    }
    for name in set(long.headers) - varying - {"connection"}:
        assert at_door.headers[name] == long.headers[name], name
    assert value(after, EARLY, type="queue-full") - value(before, EARLY, type="queue-full") == 2
    http_429 = {"route": "/v1/render/<template>", "method": "POST", "status": "429"}
    counted = value(after, "texrender_http_requests_total", **http_429)
    assert counted - value(before, "texrender_http_requests_total", **http_429) == 3


async def test_under_load_a_new_connection_still_gets_the_long_ways_answer_when_it_differs(
    start_server: StartServer, answered: Answered
) -> None:
    server = await full(start_server, max_body_bytes=4000)
    cached = json.dumps({"text": "rendered before"}).encode()
    assert (await server.client.post("/v1/render/echo", content=cached, headers=JSON)).is_success
    fresh = partial(httpx.AsyncClient, base_url=server.url, timeout=30)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(server.client.post, "/v1/render/slow", json=slow(1)))
        await wait_for(lambda: slots_busy(server.client, busy=1))
        async with fresh() as client:
            again = await client.post("/v1/render/echo", content=cached, headers=JSON)
        assert again.status_code == 200
        assert again.headers["content-type"] == "application/pdf"
        asks: list[tuple[dict[str, Any], int, str | None]] = [
            ({"url": "/v1/render/no-such-template", "json": {"x": 1}}, 404, "template-not-found"),
            ({"url": "/v1/render/echo?strict=maybe", "json": {"x": 1}}, 400, "invalid-parameter"),
            (
                {
                    "url": "/v1/render/echo",
                    "content": b"x",
                    "headers": {"content-type": "text/plain"},
                },
                415,
                "unsupported-media-type",
            ),
            (
                {"url": "/v1/render/echo", "json": {"x": 1}, "headers": {"if-none-match": "*"}},
                412,
                None,
            ),
            ({"url": "/v1/render/echo", "content": b"{" * 5000, "headers": JSON}, 413, None),
        ]
        for ask, status, type_ in asks:
            async with fresh() as client:
                response = await client.post(**ask)
            if type_ is None:
                assert response.status_code == status, response.text
            else:
                assert_problem(response, status, type_)
        async with fresh() as client:
            assert (await client.get("/healthz")).status_code == 200
        # Hypercorn's own: an interim 100 once the head is in, then the answer to the body.
        expecting = render_request(b'{"text": "expects"}', b"expect: 100-continue")
        head, body = expecting.split(b"\r\n\r\n")
        continued = await exchange(server, head + b"\r\n\r\n", body, gap_s=0.2)
        assert continued.startswith(b"HTTP/1.1 100 ")
        assert b"\r\n\r\nHTTP/1.1 429 " in continued
        nursery.cancel_scope.cancel()
    assert answered.by["door"] == 0


async def test_a_request_in_pieces_is_refused_at_the_door_one_too_slow_is_handed_on_whole(
    start_server: StartServer, answered: Answered, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await full(start_server)
    request = render_request(b'{"text": "in pieces"}', b"x-request-id: pieces")
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(server.client.post, "/v1/render/slow", json=slow(2)))
        await wait_for(lambda: slots_busy(server.client, busy=1))
        pieces = await exchange(server, request[:7], request[7:60], request[60:], gap_s=0.05)
        assert status_of(pieces) == 429
        assert b"\r\nx-request-id: pieces\r\n" in pieces
        assert b"\r\nconnection: close\r\n" in pieces
        assert b"\r\nserver: hypercorn-h11\r\n" in pieces
        assert answered.by == {"door": 1, "asgi": 0}
        # Slower than the door waits: Hypercorn reads it from the first byte (the door's
        # bytes replayed), and the layer behind it refuses it.
        monkeypatch.setattr(door, "READ_WAIT_S", 0.1)
        slow_body = await exchange(server, request[:-5], request[-5:], gap_s=0.3)
        assert status_of(slow_body) == 429
        assert answered.by == {"door": 1, "asgi": 1}
        # A body cut short: Hypercorn reads it (and says 400, as it always did).
        cut = await exchange(server, request[:-5], eof=True)
        assert status_of(cut) == 400
        assert answered.by == {"door": 1, "asgi": 1}
        nursery.cancel_scope.cancel()


async def test_a_client_gone_during_the_pause_is_not_answered_and_one_that_waits_is(
    start_server: StartServer, answered: Answered
) -> None:
    server = await full(start_server, refusal_pause_s=0.3)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(server.client.post, "/v1/render/slow", json=slow(3)))
        await wait_for(lambda: slots_busy(server.client, busy=1))
        before = await scrape(server.client)
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        await stream.send_all(render_request(b'{"text": "gone"}'))
        await stream.aclose()
        started = trio.current_time()
        waited = await exchange(server, render_request(b'{"text": "waits"}'))
        assert status_of(waited) == 429
        assert trio.current_time() - started >= 0.3
        after = await scrape(server.client)
        nursery.cancel_scope.cancel()
    assert answered.by == {"door": 1, "asgi": 0}
    assert value(after, EARLY, type="queue-full") - value(before, EARLY, type="queue-full") == 1


async def test_with_keys_on_a_known_key_is_refused_at_the_door_and_no_key_gets_its_401(
    start_server: StartServer, work_dir: Path, answered: Answered
) -> None:
    settings = server_settings(work_dir, auth="on", render_slots=1, queue_max=0)
    assert settings.data_dir is not None
    key = await add_key(settings.data_dir, "flood", "flood")
    server = await start_server(settings)
    keyed = {"authorization": f"Bearer {key}"}
    async with trio.open_nursery() as nursery:
        holder = server.new_client(headers=keyed)  # its key is checked, and remembered
        nursery.start_soon(partial(holder.post, "/v1/render/slow", json=slow(4)))
        await wait_for(lambda: slots_busy(server.client, busy=1))
        for headers, status in (({}, 401), ({"authorization": "Bearer nope"}, 401)):
            response = await server.new_client(headers=headers).post(
                "/v1/render/echo", json={"x": 1}
            )
            assert response.status_code == status
        assert answered.by["door"] == 0
        refused = await server.new_client(headers=keyed).post("/v1/render/echo", json={"x": 2})
        assert_problem(refused, 429, "queue-full")
        assert answered.by == {"door": 1, "asgi": 0}
        nursery.cancel_scope.cancel()


async def test_while_no_render_could_be_refused_the_door_reads_nothing(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[object] = []

    async def counted(stream: trio.SocketStream, state: object) -> object:
        reads.append(stream)
        raise AssertionError("the door read a connection it had no reason to")

    monkeypatch.setattr(door, "_read_first", counted)
    server = await start_server(render_slots=1, queue_max=0)
    async with httpx.AsyncClient(base_url=server.url) as client:
        rendered = await client.post("/v1/render/echo", json={"text": "free slot"})
    assert rendered.status_code == 200
    assert (await server.new_client().get("/healthz")).status_code == 200
    assert reads == []


def test_the_door_stands_where_hypercorn_makes_its_connection_handlers() -> None:
    assert door.install_door()
    assert door.install_door()  # once is enough, twice changes nothing
    assert getattr(hypercorn_run, "TCPServer") is door._connection  # noqa: B009 (not exported)


def test_a_hypercorn_that_makes_its_handlers_otherwise_is_served_without_the_door(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A new Hypercorn whose name is not its TCPServer class any more: the door stays out of
    its way (nothing replaced), and the log says so; the server still starts."""

    class Elsewhere:
        pass

    monkeypatch.setattr(hypercorn_run, "TCPServer", Elsewhere)
    with caplog.at_level("WARNING", logger="texrender.serve"):
        assert not door.install_door()
    assert getattr(hypercorn_run, "TCPServer") is Elsewhere  # noqa: B009 (not exported)
    assert "serving without the door" in caplog.text
