"""Hostile requests against a real server: each finding of issue 10 that failed before it was
fixed. Never a 500, never a second request smuggled in, never TeX for a refusal."""

from __future__ import annotations

import contextlib
import json

import httpx
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rendering.reading import nests_deeper_than
from server.http.body import MAX_DEPTH
from tests.conftest import LiveServer, StartServer, json_values, pdf_text

RENDER = "/v1/render/echo"


async def exchange(port: int, raw: bytes) -> bytes:
    """Send raw bytes on a fresh connection; everything the server sends until it closes."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    received = b""
    async with stream:
        await stream.send_all(raw)
        with trio.fail_after(10):
            while chunk := await stream.receive_some():
                received += chunk
    return received


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 981, 100_000])
async def test_deeply_nested_json_is_a_400(client: httpx.AsyncClient, depth: int) -> None:
    body = "[" * depth + "]" * depth
    response = await client.post(RENDER, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/nesting-too-deep"


async def test_nesting_at_the_limit_is_read(client: httpx.AsyncClient) -> None:
    deep: object = "x"
    for _ in range(MAX_DEPTH - 1):
        deep = {"d": deep}
    response = await client.post(RENDER, json={"text": "ok", "extra": deep})
    assert response.status_code == 200


def test_depth_is_measured_without_recursion() -> None:
    deep: object = []
    for _ in range(200_000):
        deep = [deep]
    assert nests_deeper_than(deep, 64)
    assert not nests_deeper_than([[[]]], 3)
    assert nests_deeper_than([[[[]]]], 3)
    assert not nests_deeper_than("text", 1)


@pytest.mark.parametrize(
    "body",
    [
        '{"text": "ok", "\\ud800\\ud83d\\ude00": 1}',
        '{"text": "a\\udfffb"}',
        '{"basics": {"name": "\\ud83d\\ude00"}, "\\ud800\\ud83d\\ude00": 1}',
        '{"\\ud800": {"\\udc00": ["\\ud800"]}, "text": "x"}',
    ],
)
async def test_lone_surrogates_anywhere_are_no_500(client: httpx.AsyncClient, body: str) -> None:
    for path in (RENDER, "/v1/render/resume-classic", "/v1/validate/echo"):
        response = await client.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code in {200, 422}, (path, response.text)
        if response.status_code == 422:
            json.loads(response.text)  # a well-formed problem body


async def test_if_none_match_star_is_412_before_any_work(client: httpx.AsyncClient) -> None:
    response = await client.post(RENDER, json={"text": "x"}, headers={"If-None-Match": "*"})
    assert response.status_code == 412
    assert response.json()["type"] == "/problems/precondition-failed"
    metrics = (await client.get("/metrics")).text
    assert 'texrender_renders_total{outcome="cached",template="echo"}' not in metrics


async def test_content_length_with_transfer_encoding_is_refused_and_closed(
    served: LiveServer,
) -> None:
    smuggled = b"GET /v1/templates HTTP/1.1\r\nHost: t\r\n\r\n"
    chunk = b'{"text":"x"}'
    raw = (
        b"POST /v1/render/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(chunk):x}\r\n".encode()
        + chunk
        + b"\r\n0\r\n\r\n"
        + smuggled
    )
    received = await exchange(served.port, raw)
    assert received.startswith(b"HTTP/1.1 400")
    assert b"ambiguous-length" in received
    assert received.count(b"HTTP/1.1 ") == 1, "the bytes after the body ran as a request"


async def test_the_ordinary_request_still_renders(client: httpx.AsyncClient) -> None:
    response = await client.post(RENDER, json={"text": "calm"})
    assert response.status_code == 200
    assert "calm" in pdf_text(response.content)


ANY_JSON = json_values()
DOCUMENTED = {200, 400, 404, 413, 415, 422}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=ANY_JSON, template=st.sampled_from(["echo", "resume-classic", "nope"]))
def test_any_json_body_is_answered_as_documented(
    live_server: str, body: object, template: str
) -> None:
    for path in (f"/v1/render/{template}", f"/v1/validate/{template}"):
        response = httpx.post(live_server + path, json=body, timeout=60)
        assert response.status_code in DOCUMENTED, response.text
        if response.status_code != 200:
            assert response.headers["content-type"] == "application/problem+json"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200))
def test_any_bytes_are_answered_as_documented(live_server: str, raw: bytes) -> None:
    response = httpx.post(
        live_server + RENDER, content=raw, headers={"content-type": "application/json"}, timeout=60
    )
    assert response.status_code in DOCUMENTED, response.text


async def test_a_trickled_body_is_cut_off(start_server: StartServer) -> None:
    server = await start_server(body_timeout_s=0.5)
    stream = await trio.open_tcp_stream("127.0.0.1", server.port)
    head = (
        b"POST /v1/render/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    received = b""
    async with stream:
        await stream.send_all(head)

        async def trickle() -> None:
            with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                for _ in range(200):  # 1 byte every 50 ms: 10 s for 200 bytes, never done
                    await stream.send_all(b" ")
                    await trio.sleep(0.05)

        async with trio.open_nursery() as senders:
            senders.start_soon(trickle)
            with trio.fail_after(8):
                while chunk := await stream.receive_some():
                    received += chunk
            senders.cancel_scope.cancel()
    assert received.startswith(b"HTTP/1.1 408")
    assert b"body-timeout" in received
