"""The raw first request the door reads: plain ones come out as h11 would give them to the app;
anything h11 might read otherwise is "not plain" (and goes to Hypercorn untouched)."""

from __future__ import annotations

import h11
import pytest

from server.http.request_head import MAX_HEAD_BYTES, RequestHead, Unread, read_head

PLAIN = (
    b"POST /v1/render/echo HTTP/1.1\r\n"
    b"Host: 127.0.0.1:8000\r\n"
    b"Content-Type: application/json; charset=utf-8\r\n"
    b"content-length:  13 \r\n"
    b"X-Request-ID:\tabc\r\n"
    b"Empty:\r\n"
    b"\r\n"
    b'{"text": "x"}'
)


def h11_head(data: bytes) -> tuple[str, list[tuple[bytes, bytes]]]:
    """What h11, as Hypercorn runs it, makes of the same bytes."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(data)
    event = connection.next_event()
    assert isinstance(event, h11.Request)
    return event.target.decode(), list(event.headers)


def test_a_plain_request_reads_as_h11_reads_it() -> None:
    head = read_head(PLAIN)
    assert isinstance(head, RequestHead)
    path, headers = h11_head(PLAIN)
    assert head.path == path == "/v1/render/echo"
    assert head.headers == headers
    assert PLAIN[head.body_start :] == b'{"text": "x"}'


@pytest.mark.parametrize("cut", [0, 1, 5, 20, len(PLAIN) - len(b'{"text": "x"}') - 1])
def test_a_head_not_all_there_is_incomplete(cut: int) -> None:
    assert read_head(PLAIN[:cut]) is Unread.INCOMPLETE


@pytest.mark.parametrize(
    "data",
    [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"post /v1/render/echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/render/echo HTTP/1.0\r\nHost: x\r\n\r\n",
        b"POST /v1/render/echo?strict=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/render/ech%6F HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST http://x/v1/render/echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST  /v1/render/echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/render/echo HTTP/1.1\r\n\r\n",  # no Host: h11 answers 400
        b"POST /v1/render/echo HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        b"POST /v1/render/echo HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n",  # folded line
        b"POST /v1/render/echo HTTP/1.1\r\nHost: x\r\nA : b\r\n\r\n",
        b"POST /v1/render/echo HTTP/1.1\r\nHost: x\r\nA: caf\xc3\xa9\r\n\r\n",
        b"POST /v1/render/echo HTTP/1.1\r\nHost: x\r\nA: b\x00c\r\n\r\n",
        b"POST /v1/render/echo HTTP/1.1\nHost: x\n\n{}\r\n\r\n",  # bare LF lines
        b"\r\nPOST /v1/render/echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/render/echo HTTP/1.1\r\nHost: x\r\n" + b"A: b\r\n" * MAX_HEAD_BYTES + b"\r\n",
    ],
)
def test_anything_but_a_plain_request_is_not_read(data: bytes) -> None:
    assert read_head(data) is Unread.NOT_PLAIN


def test_a_head_that_never_ends_is_not_read_past_the_limit() -> None:
    assert read_head(b"POST /v1/render/echo HTTP/1.1\r\nA: " + b"b" * MAX_HEAD_BYTES) is (
        Unread.NOT_PLAIN
    )
